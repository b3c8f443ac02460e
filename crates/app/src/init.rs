//! `buckle init app`: a first app spec for a Python or Node project, from the files it
//! already has, with every guess said out loud.

use crate::error::{Error, Result};
use std::path::Path;

/// The kind of project to write a spec for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectKind {
    /// pyproject.toml and a hashed requirements file, uv.lock, pylock.toml or poetry.lock.
    Python,
    /// package.json and package-lock.json.
    Node,
}

/// What `buckle init app` writes and says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitPlan {
    /// The spec's text.
    pub spec: String,
    /// The ignore file to write beside it, when the project has none.
    pub ignore_file: Option<String>,
    /// Each guess, as a sentence.
    pub guesses: Vec<String>,
    /// Things the user must do before `buckle build` works.
    pub todo: Vec<String>,
}

/// The port written when nothing says which one the service listens on.
const DEFAULT_PORT: u16 = 8080;

/// Plans the spec for the project in `dir`.
pub fn plan(dir: &Path, kind: ProjectKind) -> Result<InitPlan> {
    let project = Project::read(dir)?;
    match kind {
        ProjectKind::Python => python(&project),
        ProjectKind::Node => node(&project),
    }
}

/// The files of the project that decide the spec.
struct Project<'a> {
    dir: &'a Path,
}

impl<'a> Project<'a> {
    fn read(dir: &'a Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::Init {
                problem: format!("`{}` is not a directory", dir.display()),
            });
        }
        Ok(Project { dir })
    }

    fn has(&self, name: &str) -> bool {
        self.dir.join(name).exists()
    }

    fn text(&self, name: &str) -> Result<Option<String>> {
        let path = self.dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::ProjectRead { path, source }),
        }
    }

    /// The app's files: `src/` when the project has one, else all of it.
    fn files(&self) -> (&'static str, String) {
        if self.dir.join("src").is_dir() {
            (
                "src/",
                "the application's files are `src/`, copied to /app".to_owned(),
            )
        } else {
            (
                ".",
                "the application's files are the whole project, copied to /app".to_owned(),
            )
        }
    }

    fn has_ignore_file(&self) -> bool {
        crate::project::IGNORE_FILES.iter().any(|name| self.has(name))
    }

    fn name(&self, declared: Option<&str>) -> String {
        let raw = declared.map(str::to_owned).unwrap_or_else(|| {
            self.dir
                .canonicalize()
                .ok()
                .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "app".to_owned())
        });
        image_name(&raw)
    }
}

/// `My_App` -> `my-app`: an image name (lowercase letters, digits, `-`).
fn image_name(raw: &str) -> String {
    let base = raw.rsplit('/').next().unwrap_or(raw);
    let mut name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_matches('-').to_owned();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    if name.is_empty() {
        "app".to_owned()
    } else {
        name.chars().take(64).collect()
    }
}

fn python(project: &Project<'_>) -> Result<InitPlan> {
    let pyproject = project
        .text("pyproject.toml")?
        .map(|text| {
            text.parse::<toml::Table>().map_err(|e| Error::Init {
                problem: format!("pyproject.toml is not valid TOML: {}", e.message()),
            })
        })
        .transpose()?;
    let declared = pyproject
        .as_ref()
        .and_then(|t| t.get("project")?.get("name")?.as_str().map(str::to_owned));
    let mut guesses = Vec::new();
    let mut todo = Vec::new();
    let name = project.name(declared.as_deref());
    guesses.push(match &declared {
        Some(d) => format!("the image is named `{name}` after pyproject.toml's `{d}`"),
        None => format!("the image is named `{name}` after the directory"),
    });
    let requirements = [
        "requirements.txt",
        "requirements.lock",
        "requirements/prod.txt",
        "uv.lock",
        "pylock.toml",
        "poetry.lock",
    ]
    .into_iter()
    .find(|name| project.has(name));
    let requirements = match requirements {
        Some(file) if file.ends_with(".txt") || file == "requirements.lock" => {
            guesses.push(format!("the dependencies are `{file}` (it must be hashed)"));
            file
        }
        Some(file) => {
            guesses.push(format!(
                "the dependencies are `{file}`: the packages it locks for Linux and the image's Python, without development groups"
            ));
            file
        }
        None => {
            todo.push("lock the dependencies: `uv lock`, or a hashed requirements.txt from `uv pip compile --generate-hashes pyproject.toml -o requirements.txt`".to_owned());
            "requirements.txt"
        }
    };
    let (from, files_guess) = project.files();
    guesses.push(files_guess);
    let src = if from == "src/" {
        project.dir.join("src")
    } else {
        project.dir.to_owned()
    };
    let entrypoint = python_entrypoint(&src, pyproject.as_ref(), &mut guesses, &mut todo);
    guesses.push(format!(
        "the base is the catalog's `python` image (CPython 3.13); it listens on port {DEFAULT_PORT}"
    ));
    let spec = format!(
        "# Written by `buckle init app --python`; see docs/spec.md, \"App specs\".\nname = \"{name}\"\nbase = \"python\"\n\n[app]\nfiles = [{{ from = \"{from}\", to = \"/app\" }}]\npython = {{ requirements = \"{requirements}\" }}\nvolumes = [\"/tmp\"]\n\n[image]\nentrypoint = {entrypoint}\nworkdir = \"/app\"\nports = [{DEFAULT_PORT}]\n\n# [test]\n# http = {{ port = {DEFAULT_PORT}, path = \"/\", expect = \"...\" }}\n"
    );
    let ignore_file = (!project.has_ignore_file())
        .then(|| "# What `buckle build` leaves out of the image (Docker's .dockerignore rules).\n**/__pycache__\n**/*.pyc\n.venv\n.git\ntests/\n".to_owned());
    Ok(InitPlan {
        spec,
        ignore_file,
        guesses,
        todo,
    })
}

/// `python3 -m <package>` for a package with `__main__.py`, else `python3 /app/<file>`
/// for the first of main.py, app.py, server.py, wsgi.py.
fn python_entrypoint(
    src: &Path,
    pyproject: Option<&toml::Table>,
    guesses: &mut Vec<String>,
    todo: &mut Vec<String>,
) -> String {
    let mut packages: Vec<String> = std::fs::read_dir(src)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("__main__.py").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    packages.sort();
    if let Some(package) = packages.first() {
        guesses.push(format!(
            "it runs as `python3 -m {package}` (the package with a __main__.py)"
        ));
        return format!("[\"/usr/bin/python3\", \"-m\", \"{package}\"]");
    }
    if let Some(file) = ["main.py", "app.py", "server.py", "wsgi.py"]
        .into_iter()
        .find(|f| src.join(f).is_file())
    {
        guesses.push(format!("it runs as `python3 /app/{file}`"));
        return format!("[\"/usr/bin/python3\", \"/app/{file}\"]");
    }
    let script = pyproject.and_then(|t| {
        t.get("project")?
            .get("scripts")?
            .as_table()?
            .iter()
            .next()
            .map(|(k, _)| k.clone())
    });
    todo.push(match script {
        Some(script) => format!("set `entrypoint`: the project's script `{script}` is not installed into the image; run its module with `/usr/bin/python3 -m`"),
        None => "set `entrypoint`: no __main__.py, main.py or app.py was found".to_owned(),
    });
    "[\"/usr/bin/python3\", \"/app/main.py\"]".to_owned()
}

fn node(project: &Project<'_>) -> Result<InitPlan> {
    let text = project.text("package.json")?.ok_or_else(|| Error::Init {
        problem: format!("`{}` has no package.json", project.dir.display()),
    })?;
    let package: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Init {
        problem: format!("package.json is not valid JSON: {e}"),
    })?;
    let mut guesses = Vec::new();
    let mut todo = Vec::new();
    let declared = package["name"].as_str();
    let name = project.name(declared);
    guesses.push(match declared {
        Some(d) => format!("the image is named `{name}` after package.json's `{d}`"),
        None => format!("the image is named `{name}` after the directory"),
    });
    if project.has("package-lock.json") {
        guesses.push("the dependencies are package-lock.json".to_owned());
    } else {
        todo.push("write package-lock.json: `npm install --package-lock-only --ignore-scripts`".to_owned());
    }
    let base = node_base(package["engines"]["node"].as_str());
    guesses.push(format!(
        "the base is the catalog's `{base}` image{}",
        package["engines"]["node"]
            .as_str()
            .map(|e| format!(" (engines.node is `{e}`)"))
            .unwrap_or_default()
    ));
    let main = package["main"]
        .as_str()
        .map(|m| m.trim_start_matches("./").to_owned());
    let start = package["scripts"]["start"]
        .as_str()
        .and_then(|s| s.strip_prefix("node "))
        .map(|s| s.trim().trim_start_matches("./").to_owned());
    let script = start
        .clone()
        .or(main.clone())
        .filter(|s| project.dir.join(s).is_file());
    let script = match script {
        Some(s) => {
            guesses.push(format!(
                "it runs as `node /app/{s}` (package.json's {})",
                if start.as_deref() == Some(s.as_str()) {
                    "`scripts.start`"
                } else {
                    "`main`"
                }
            ));
            s
        }
        None => {
            let found = ["server.js", "index.js", "app.js"]
                .into_iter()
                .find(|f| project.dir.join(f).is_file());
            match found {
                Some(f) => guesses.push(format!("it runs as `node /app/{f}`")),
                None => todo.push(
                    "set `entrypoint`: no start script, main, server.js or index.js was found".to_owned(),
                ),
            }
            found.unwrap_or("index.js").to_owned()
        }
    };
    guesses.push(format!(
        "the application's files are the whole project, copied to /app, node_modules beside them; it listens on port {DEFAULT_PORT}"
    ));
    let spec = format!(
        "# Written by `buckle init app --node`; see docs/spec.md, \"App specs\".\nname = \"{name}\"\nbase = \"{base}\"\n\n[app]\nfiles = [{{ from = \".\", to = \"/app\" }}]\nnode = {{ lockfile = \"package-lock.json\" }}\nvolumes = [\"/tmp\"]\n\n[image]\nentrypoint = [\"/usr/bin/node\", \"/app/{script}\"]\nworkdir = \"/app\"\nports = [{DEFAULT_PORT}]\n\n# [test]\n# http = {{ port = {DEFAULT_PORT}, path = \"/\", expect = \"...\" }}\n"
    );
    let ignore_file = (!project.has_ignore_file()).then(|| {
        "# What `buckle build` leaves out of the image (Docker's .dockerignore rules).\n# node_modules comes from package-lock.json, not from here.\nnode_modules\n.git\n*.log\nbuckle.toml\nout\n".to_owned()
    });
    Ok(InitPlan {
        spec,
        ignore_file,
        guesses,
        todo,
    })
}

/// The catalog's Node image for an `engines.node` range: the one of its major
/// version when the range names exactly one, else the newest LTS (`node`).
fn node_base(engines: Option<&str>) -> &'static str {
    let Some(range) = engines else {
        return "node";
    };
    let major = range
        .trim()
        .trim_start_matches(['^', '~', '='])
        .split(['.', ' '])
        .next()
        .unwrap_or_default();
    match major {
        "20" => "node-20-debian",
        "22" => "node-22",
        _ => "node",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    #[test]
    fn a_python_project_with_a_main_package_gets_python_m() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "pyproject.toml", "[project]\nname = \"Orders_API\"\n");
        write(dir.path(), "requirements.txt", "");
        write(dir.path(), "src/orders/__main__.py", "");
        let plan = plan(dir.path(), ProjectKind::Python).unwrap();
        assert!(plan.spec.contains("name = \"orders-api\""), "{}", plan.spec);
        assert!(plan
            .spec
            .contains("entrypoint = [\"/usr/bin/python3\", \"-m\", \"orders\"]"));
        assert!(plan.spec.contains("files = [{ from = \"src/\", to = \"/app\" }]"));
        assert!(plan.todo.is_empty(), "{:?}", plan.todo);
        assert!(plan.ignore_file.unwrap().contains("__pycache__"));
        assert!(plan.guesses.iter().any(|g| g.contains("python3 -m orders")));
    }

    #[test]
    fn a_uv_project_is_built_from_its_lock() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "uv.lock", "");
        write(dir.path(), "app.py", "");
        write(dir.path(), ".dockerignore", ".venv\n");
        let plan = plan(dir.path(), ProjectKind::Python).unwrap();
        assert!(plan.todo.is_empty(), "{:?}", plan.todo);
        assert!(
            plan.spec.contains("python = { requirements = \"uv.lock\" }"),
            "{}",
            plan.spec
        );
        assert!(plan
            .guesses
            .iter()
            .any(|g| g.starts_with("the dependencies are `uv.lock`")));
        assert!(plan.spec.contains("\"/app/app.py\""));
        assert_eq!(plan.ignore_file, None, "the project's own ignore file is kept");
    }

    #[test]
    fn a_project_without_a_lock_is_told_how_to_make_one() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "app.py", "");
        let plan = plan(dir.path(), ProjectKind::Python).unwrap();
        assert!(plan.todo[0].contains("uv lock"), "{:?}", plan.todo);
    }

    #[test]
    fn a_node_project_gets_its_start_script_and_engine() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "package.json",
            r#"{"name": "@acme/web", "engines": {"node": "^22.11"}, "scripts": {"start": "node ./server.js"}}"#,
        );
        write(dir.path(), "package-lock.json", "{}");
        write(dir.path(), "server.js", "");
        let plan = plan(dir.path(), ProjectKind::Node).unwrap();
        assert!(plan.spec.contains("name = \"web\""), "{}", plan.spec);
        assert!(plan.spec.contains("base = \"node-22\""));
        assert!(plan.spec.contains("[\"/usr/bin/node\", \"/app/server.js\"]"));
        assert!(plan.ignore_file.unwrap().contains("node_modules"));
        assert!(plan.todo.is_empty(), "{:?}", plan.todo);
    }

    #[test]
    fn a_node_project_without_package_json_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = plan(dir.path(), ProjectKind::Node).unwrap_err();
        assert!(err.to_string().contains("has no package.json"), "{err}");
    }

    #[test]
    fn written_specs_parse() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "package.json", r#"{"main": "index.js"}"#);
        write(dir.path(), "index.js", "");
        let plan = plan(dir.path(), ProjectKind::Node).unwrap();
        let spec = buckle_spec::AppSpec::parse(&plan.spec, "buckle.toml").unwrap();
        assert_eq!(spec.base, buckle_spec::BaseRef::Catalog("node".parse().unwrap()));
        write(dir.path(), "pyproject.toml", "[project]\nname = \"x\"\n");
        let python = super::plan(dir.path(), ProjectKind::Python).unwrap();
        buckle_spec::AppSpec::parse(&python.spec, "buckle.toml").unwrap();
    }
}
