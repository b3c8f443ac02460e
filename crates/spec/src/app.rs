//! App specs: an application on top of a catalog image, from its own lockfile.
//!
//! ```toml
//! name = "myapp"
//! base = "python"
//! [app]
//! files = [{ from = "src/", to = "/app" }]
//! python = { requirements = "requirements.txt" }
//! volumes = ["/tmp"]
//! [image]
//! entrypoint = ["/usr/bin/python3", "/app/main.py"]
//! ports = [8080]
//! [test]
//! http = { port = 8080, path = "/health", expect = "ok" }
//! ```
//!
//! A spec with a top-level `base` is an app spec ([`SpecKind::of`]).

use crate::error::{Error, Result};
use crate::input::Input;
use crate::names::ImageName;
use crate::parse::{architectures, is_env_name, volume_paths};
use buckle_debian::Arch;
use buckle_digest::Sha256;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Which format a spec text is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecKind {
    /// An image spec ([`crate::Spec`]): Debian packages.
    Image,
    /// An app spec ([`AppSpec`]): a base spec plus an application.
    App,
}

impl SpecKind {
    /// [`SpecKind::App`] when the text has a top-level `base` key. Text that is not
    /// TOML is [`SpecKind::Image`], whose parser reports the syntax error.
    pub fn of(text: &str) -> SpecKind {
        match text.parse::<toml::Table>() {
            Ok(table) if table.contains_key("base") => SpecKind::App,
            _ => SpecKind::Image,
        }
    }
}

/// An app spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    /// `name`: the image name.
    pub name: ImageName,
    /// `description`.
    pub description: Option<String>,
    /// `base`: the image the application runs on.
    pub base: BaseRef,
    /// `architectures`: the base's architectures to build; empty for all of them.
    pub architectures: Vec<Arch>,
    /// `[app]`.
    pub app: App,
    /// `[image]`.
    pub image: AppImage,
    /// `[test]`.
    pub test: Option<AppTest>,
    sha256: Sha256,
}

impl AppSpec {
    /// SHA-256 of the spec's text.
    pub fn sha256(&self) -> Sha256 {
        self.sha256
    }
}

/// Where the base spec is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseRef {
    /// A catalog spec by name (`python` is `catalog/python.toml`).
    Catalog(ImageName),
    /// A spec file, relative to the app spec's directory.
    Path(PathBuf),
}

/// `[app]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct App {
    /// `project`: the directory `files` and the lockfile are relative to, itself
    /// relative to the spec's directory (`.` by default).
    pub project: PathBuf,
    /// `files`: project paths and where they go, in the order given.
    pub files: Vec<AppFiles>,
    /// `python` or `node`: the dependencies' lockfile.
    pub dependencies: Option<Dependencies>,
    /// `volumes`: the paths the application may write to.
    pub volumes: Vec<String>,
}

/// One `files` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppFiles {
    /// `from`: relative to the project directory.
    pub from: PathBuf,
    /// `to`: an absolute path in the image.
    pub to: String,
}

/// The application's dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dependencies {
    /// `python = { requirements = "...", index = "..." }`.
    Python {
        /// A hashed requirements file, or a `uv.lock`, `pylock.toml` or `poetry.lock`
        /// (told by its name), relative to the project directory.
        requirements: PathBuf,
        /// A PEP 691 index URL; without it, the one pip is configured with.
        index: Option<String>,
    },
    /// `node = { lockfile = "...", allow-prebuilt = [...] }`.
    Node {
        /// A package-lock.json v2 or v3, relative to the project directory.
        lockfile: PathBuf,
        /// Packages whose install scripts are not needed: they ship prebuilt binaries.
        allow_prebuilt: Vec<String>,
    },
}

/// `[image]` of an app spec.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppImage {
    /// `entrypoint`; empty keeps the base's.
    pub entrypoint: Vec<String>,
    /// `cmd`.
    pub cmd: Vec<String>,
    /// `workdir`.
    pub workdir: Option<String>,
    /// `env`, added to the base's.
    pub env: BTreeMap<String, String>,
    /// `ports`: TCP ports the application listens on.
    pub ports: Vec<u16>,
}

/// `[test]` of an app spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppTest {
    /// `http`: a request the running application must answer.
    Http(HttpProbe),
    /// `command` and `expect`: a command run to its end whose output contains `expect`.
    Command {
        /// argv, the first element an absolute path.
        command: Vec<String>,
        /// Text the combined output must contain.
        expect: String,
    },
}

/// `http = { port, path, expect }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpProbe {
    /// The port on 127.0.0.1.
    pub port: u16,
    /// The request path, starting with `/`.
    pub path: String,
    /// Text the response body must contain.
    pub expect: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppSpec {
    name: Spanned<String>,
    description: Option<String>,
    base: Spanned<String>,
    architectures: Option<Spanned<Vec<Spanned<String>>>>,
    app: Spanned<RawApp>,
    #[serde(default)]
    image: RawAppImage,
    test: Option<Spanned<RawAppTest>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApp {
    project: Option<Spanned<String>>,
    #[serde(default)]
    files: Vec<Spanned<RawFiles>>,
    python: Option<Spanned<RawPython>>,
    node: Option<Spanned<RawNode>>,
    #[serde(default)]
    volumes: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFiles {
    from: Spanned<String>,
    to: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPython {
    requirements: Spanned<String>,
    index: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawNode {
    lockfile: Spanned<String>,
    #[serde(default)]
    allow_prebuilt: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAppImage {
    #[serde(default)]
    entrypoint: Vec<Spanned<String>>,
    #[serde(default)]
    cmd: Vec<String>,
    workdir: Option<Spanned<String>>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    ports: Vec<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppTest {
    http: Option<Spanned<RawHttp>>,
    #[serde(default)]
    command: Vec<Spanned<String>>,
    expect: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    port: Spanned<i64>,
    path: Spanned<String>,
    expect: Spanned<String>,
}

impl AppSpec {
    /// Parses and checks an app spec. `file` is only used in error messages.
    pub fn parse(text: &str, file: impl AsRef<Path>) -> Result<AppSpec> {
        let input = Input::new(text, file.as_ref());
        let raw: RawAppSpec = input.deserialize()?;
        let base = base(&input, &raw.base)?;
        let architectures = match &raw.architectures {
            Some(list) => architectures(&input, Some(list))?,
            None => Vec::new(),
        };
        let app_span = raw.app.span();
        let app = app(&input, raw.app.into_inner(), app_span)?;
        let image = image(&input, raw.image)?;
        let test = raw
            .test
            .map(|t| {
                let span = t.span();
                test(&input, t.into_inner(), span)
            })
            .transpose()?;
        Ok(AppSpec {
            name: input.parse::<ImageName>("name", &raw.name)?,
            description: raw.description,
            base,
            architectures,
            app,
            image,
            test,
            sha256: Sha256::of(text.as_bytes()),
        })
    }
}

fn base(input: &Input<'_>, raw: &Spanned<String>) -> Result<BaseRef> {
    let text = raw.get_ref();
    if text.is_empty() {
        return Err(input.invalid(
            &raw.span(),
            "base",
            "the base is empty",
            Some("name a catalog spec such as \"python\" or \"node\", or a path to a spec".into()),
        ));
    }
    if text.contains('/') || text.ends_with(".toml") {
        return Ok(BaseRef::Path(PathBuf::from(text)));
    }
    input
        .parse::<ImageName>("base", raw)
        .map(BaseRef::Catalog)
        .map_err(|e| match e {
            Error::Invalid { at, key, problem, .. } => Error::Invalid {
                at,
                key,
                problem,
                hint: Some(
                    "name a catalog spec such as \"python\", or a path to a spec such as \"./base.toml\""
                        .into(),
                ),
            },
            other => other,
        })
}

fn absolute(input: &Input<'_>, key: &str, value: &Spanned<String>) -> Result<String> {
    let path = value.get_ref();
    let escapes = path.split('/').any(|segment| segment == "..");
    if path.starts_with('/') && !escapes {
        Ok(path.clone())
    } else {
        Err(input.invalid(
            &value.span(),
            key,
            format!("`{path}` is not an absolute path inside the image"),
            Some("write the path in the image, starting with `/`, e.g. \"/app\"".into()),
        ))
    }
}

fn relative(input: &Input<'_>, key: &str, value: &Spanned<String>) -> Result<PathBuf> {
    let path = value.get_ref();
    let escapes = path.split('/').any(|segment| segment == "..");
    if path.is_empty() || path.starts_with('/') || escapes {
        return Err(input.invalid(
            &value.span(),
            key,
            format!("`{path}` is not a path inside the project"),
            Some("write a path relative to the project (the spec's directory unless `app.project` says otherwise), e.g. \"src/\" (\".\" for all of it)".into()),
        ));
    }
    Ok(PathBuf::from(path))
}

/// The project directory: relative to the spec's, and unlike the paths inside the
/// project it may climb out of the spec's directory (`..`).
fn project(input: &Input<'_>, value: &Spanned<String>) -> Result<PathBuf> {
    let path = value.get_ref();
    if path.is_empty() || path.starts_with('/') {
        return Err(input.invalid(
            &value.span(),
            "app.project",
            format!("`{path}` is not a directory relative to the spec's"),
            Some("write it relative to the spec's directory, e.g. \"..\" for the one above".into()),
        ));
    }
    Ok(PathBuf::from(path))
}

fn app(input: &Input<'_>, raw: RawApp, span: std::ops::Range<usize>) -> Result<App> {
    let project = match &raw.project {
        Some(value) => project(input, value)?,
        None => PathBuf::from("."),
    };
    let mut files = Vec::with_capacity(raw.files.len());
    for entry in &raw.files {
        let RawFiles { from, to } = entry.get_ref();
        files.push(AppFiles {
            from: relative(input, "app.files.from", from)?,
            to: absolute(input, "app.files.to", to)?,
        });
    }
    let dependencies = match (raw.python, raw.node) {
        (Some(_), Some(node)) => {
            return Err(input.invalid(
                &node.span(),
                "app.node",
                "an app has either `python` or `node` dependencies, not both",
                None,
            ))
        }
        (Some(python), None) => {
            let RawPython { requirements, index } = python.into_inner();
            let index = match index {
                Some(url)
                    if !(url.get_ref().starts_with("https://") || url.get_ref().starts_with("http://")) =>
                {
                    return Err(input.invalid(
                        &url.span(),
                        "app.python.index",
                        format!("`{}` is not an http(s) URL", url.get_ref()),
                        Some(
                            "give the index's simple API URL, e.g. \"https://pypi.example.org/simple\""
                                .into(),
                        ),
                    ))
                }
                other => other.map(Spanned::into_inner),
            };
            Some(Dependencies::Python {
                requirements: relative(input, "app.python.requirements", &requirements)?,
                index,
            })
        }
        (None, Some(node)) => {
            let RawNode {
                lockfile,
                allow_prebuilt,
            } = node.into_inner();
            Some(Dependencies::Node {
                lockfile: relative(input, "app.node.lockfile", &lockfile)?,
                allow_prebuilt: allow_prebuilt.into_iter().map(Spanned::into_inner).collect(),
            })
        }
        (None, None) => None,
    };
    if files.is_empty() && dependencies.is_none() {
        return Err(input.invalid(
            &span,
            "app",
            "the app has no `files` and no dependencies",
            Some("add files = [{ from = \"src/\", to = \"/app\" }] and a `python` or `node` lockfile".into()),
        ));
    }
    let volumes = volume_paths(input, "app.volumes", &raw.volumes, |v| {
        absolute(input, "app.volumes", v)
    })?;
    Ok(App {
        project,
        files,
        dependencies,
        volumes,
    })
}

fn port(input: &Input<'_>, key: &str, value: &Spanned<i64>) -> Result<u16> {
    u16::try_from(*value.get_ref())
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| {
            input.invalid(
                &value.span(),
                key,
                format!("`{}` is not a TCP port (1 to 65535)", value.get_ref()),
                None,
            )
        })
}

fn image(input: &Input<'_>, raw: RawAppImage) -> Result<AppImage> {
    if let Some(first) = raw.entrypoint.first() {
        if !first.get_ref().starts_with('/') {
            return Err(input.invalid(
                &first.span(),
                "image.entrypoint",
                format!("`{}` is not an absolute path", first.get_ref()),
                Some("images have no shell to search PATH: name the program by its full path".into()),
            ));
        }
    }
    for (name, value) in &raw.env {
        if !is_env_name(name) {
            return Err(input.invalid(
                &value.span(),
                "image.env",
                format!("`{name}` is not a valid environment variable name"),
                Some("use letters, digits and `_`, not starting with a digit".into()),
            ));
        }
    }
    let mut ports: Vec<u16> = Vec::with_capacity(raw.ports.len());
    for value in &raw.ports {
        let p = port(input, "image.ports", value)?;
        if !ports.contains(&p) {
            ports.push(p);
        }
    }
    Ok(AppImage {
        entrypoint: raw.entrypoint.into_iter().map(Spanned::into_inner).collect(),
        cmd: raw.cmd,
        workdir: raw
            .workdir
            .as_ref()
            .map(|w| absolute(input, "image.workdir", w))
            .transpose()?,
        env: raw.env.into_iter().map(|(k, v)| (k, v.into_inner())).collect(),
        ports,
    })
}

fn test(input: &Input<'_>, raw: RawAppTest, span: std::ops::Range<usize>) -> Result<AppTest> {
    let expect = |value: &Spanned<String>, key: &str| {
        if value.get_ref().is_empty() {
            Err(input.invalid(
                &value.span(),
                key,
                "the expected output is empty, so any answer would pass",
                None,
            ))
        } else {
            Ok(value.get_ref().clone())
        }
    };
    match (raw.http, raw.command.first(), raw.expect) {
        (Some(http), None, None) => {
            let RawHttp {
                port: raw_port,
                path,
                expect: body,
            } = http.into_inner();
            if !path.get_ref().starts_with('/') {
                return Err(input.invalid(
                    &path.span(),
                    "test.http.path",
                    format!("`{}` does not start with `/`", path.get_ref()),
                    None,
                ));
            }
            Ok(AppTest::Http(HttpProbe {
                port: port(input, "test.http.port", &raw_port)?,
                path: path.into_inner(),
                expect: expect(&body, "test.http.expect")?,
            }))
        }
        (None, Some(program), Some(wanted)) => {
            if !program.get_ref().starts_with('/') {
                return Err(input.invalid(
                    &program.span(),
                    "test.command",
                    format!("`{}` is not an absolute path", program.get_ref()),
                    Some("images have no shell to search PATH: name the program by its full path".into()),
                ));
            }
            Ok(AppTest::Command {
                command: raw.command.into_iter().map(Spanned::into_inner).collect(),
                expect: expect(&wanted, "test.expect")?,
            })
        }
        _ => Err(input.invalid(
            &span,
            "test",
            "a test is either `http` (a request the running app answers) or `command` with `expect`",
            Some(
                "write `http = { port = 8080, path = \"/health\", expect = \"ok\" }`, or `command = [\"/usr/bin/app\", \"--version\"]` and `expect = \"app \"`"
                    .into(),
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"name = "myapp"
base = "python"
[app]
files = [{ from = "src/", to = "/app" }]
python = { requirements = "requirements.txt" }
volumes = ["/tmp"]
[image]
entrypoint = ["/usr/bin/python3", "/app/main.py"]
ports = [8080]
[test]
http = { port = 8080, path = "/health", expect = "ok" }
"#;

    fn error(text: &str) -> String {
        AppSpec::parse(text, "buckle.toml").unwrap_err().to_string()
    }

    #[test]
    fn a_python_app_spec_parses() {
        assert_eq!(SpecKind::of(EXAMPLE), SpecKind::App);
        let spec = AppSpec::parse(EXAMPLE, "buckle.toml").unwrap();
        assert_eq!(spec.base, BaseRef::Catalog("python".parse().unwrap()));
        assert_eq!(
            spec.app.files,
            [AppFiles {
                from: "src/".into(),
                to: "/app".into()
            }]
        );
        assert_eq!(
            spec.app.dependencies,
            Some(Dependencies::Python {
                requirements: "requirements.txt".into(),
                index: None
            })
        );
        assert_eq!(spec.app.volumes, ["/tmp"]);
        assert_eq!(spec.image.ports, [8080]);
        assert!(matches!(spec.test, Some(AppTest::Http(HttpProbe { ref path, .. })) if path == "/health"));
    }

    #[test]
    fn a_node_app_on_a_base_given_by_path_parses() {
        let text = "name = \"web\"\nbase = \"../catalog/node.toml\"\n[app]\nfiles = [{ from = \".\", to = \"/app\" }]\nnode = { lockfile = \"package-lock.json\", allow-prebuilt = [\"esbuild\"] }\n";
        let spec = AppSpec::parse(text, "buckle.toml").unwrap();
        assert_eq!(spec.base, BaseRef::Path("../catalog/node.toml".into()));
        assert_eq!(
            spec.app.dependencies,
            Some(Dependencies::Node {
                lockfile: "package-lock.json".into(),
                allow_prebuilt: vec!["esbuild".into()]
            })
        );
        assert_eq!(
            SpecKind::of("name = \"x\"\npackages = [\"a\"]\n"),
            SpecKind::Image
        );
    }

    #[test]
    fn a_program_from_another_directory_tested_by_a_command_for_one_architecture_parses() {
        let text = "name = \"tool\"\nbase = \"cc\"\narchitectures = [\"amd64\"]\n[app]\nproject = \"..\"\nfiles = [{ from = \"target/dist/tool\", to = \"/app/tool\" }]\n[test]\ncommand = [\"/app/tool\", \"--version\"]\nexpect = \"tool \"\n";
        let spec = AppSpec::parse(text, "catalog/tool.toml").unwrap();
        assert_eq!(spec.architectures, ["amd64".parse::<Arch>().unwrap()]);
        assert_eq!(spec.app.project, Path::new(".."));
        assert_eq!(
            spec.test,
            Some(AppTest::Command {
                command: vec!["/app/tool".into(), "--version".into()],
                expect: "tool ".into()
            })
        );
        assert_eq!(
            AppSpec::parse(EXAMPLE, "b.toml").unwrap().app.project,
            Path::new(".")
        );

        let bad = text.replace("project = \"..\"", "project = \"/srv\"");
        assert!(
            error(&bad).starts_with("buckle.toml:5:11: `app.project`"),
            "{}",
            error(&bad)
        );
        let bad = text.replace("[\"amd64\"]", "[\"all\"]");
        assert!(error(&bad).contains("`architectures`"), "{}", error(&bad));
        let bad = text.replace("\"/app/tool\", \"--version\"", "\"tool\"");
        assert!(
            error(&bad).starts_with("buckle.toml:8:12: `test.command`"),
            "{}",
            error(&bad)
        );
        let bad = text.replace("expect = \"tool \"\n", "");
        assert!(error(&bad).contains("either `http`"), "{}", error(&bad));
        let bad = format!("{text}http = {{ port = 80, path = \"/\", expect = \"ok\" }}\n");
        assert!(error(&bad).contains("either `http`"), "{}", error(&bad));
    }

    #[test]
    fn bad_values_are_reported_at_their_line_and_column() {
        let bad = EXAMPLE.replace("\"/app\" }", "\"app\" }");
        assert_eq!(
            error(&bad),
            "buckle.toml:4:32: `app.files.to`: `app` is not an absolute path inside the image"
        );
        let bad = EXAMPLE.replace("ports = [8080]", "ports = [80800]");
        assert_eq!(
            error(&bad),
            "buckle.toml:9:10: `image.ports`: `80800` is not a TCP port (1 to 65535)"
        );
        let bad = EXAMPLE.replace("from = \"src/\"", "from = \"../src\"");
        assert!(
            error(&bad).starts_with("buckle.toml:4:19: `app.files.from`"),
            "{}",
            error(&bad)
        );
        let bad = EXAMPLE.replace("base = \"python\"", "base = \"Python\"");
        assert!(
            error(&bad).starts_with("buckle.toml:2:8: `base`"),
            "{}",
            error(&bad)
        );
        let bad = EXAMPLE.replace("volumes = [", "volumez = [");
        assert_eq!(error(&bad), "buckle.toml:6:1: unknown key `volumez`");
        let bad = EXAMPLE.replace("python = {", "node = { lockfile = \"p.json\" }\npython = {");
        assert!(
            error(&bad).contains("either `python` or `node`"),
            "{}",
            error(&bad)
        );
        let bad = EXAMPLE.replace("expect = \"ok\"", "expect = \"\"");
        assert!(
            error(&bad).starts_with("buckle.toml:11:50: `test.http.expect`"),
            "{}",
            error(&bad)
        );
    }
}
