//! spec text -> [`Spec`]: TOML read with spans, then every value checked and turned
//! into its type, with errors at the value's `file:line:column`.

use crate::config::{Check, ImageConfig, SmokeTest, User};
use crate::error::Result;
use crate::input::Input;
use crate::model::{Distribution, Exclude, Keyring, Mirror, Source, Spec};
use crate::names::ImageName;
use crate::upstream::{is_npm_name, is_upstream_name, Checksums, EndOfLife, Upstream, UpstreamOrigin};
use buckle_debian::{Arch, PackageName};
use buckle_debian::{Component, MirrorUrl, Suite};
use buckle_digest::Sha256;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    name: Spanned<String>,
    description: Option<String>,
    distribution: Option<Spanned<String>>,
    architectures: Option<Spanned<Vec<Spanned<String>>>>,
    packages: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    exclude: Vec<Spanned<RawExclude>>,
    #[serde(default)]
    source: Vec<Spanned<RawSource>>,
    #[serde(default)]
    image: RawImage,
    #[serde(default)]
    dev: RawDev,
    test: Option<Spanned<RawTest>>,
    eol: Option<Spanned<String>>,
    #[serde(default)]
    upstream: Vec<Spanned<RawUpstream>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawUpstream {
    name: Spanned<String>,
    version: Spanned<String>,
    npm: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    url: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    #[serde(default)]
    sha256: BTreeMap<String, Spanned<String>>,
    checksums: Option<Spanned<RawChecksums>>,
    prefix: Spanned<String>,
    strip_components: Option<usize>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    links: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecksums {
    url: Spanned<String>,
    keys: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExclude {
    package: Spanned<String>,
    reason: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    url: Option<Spanned<String>>,
    suites: Spanned<Vec<Spanned<String>>>,
    components: Option<Spanned<Vec<Spanned<String>>>>,
    keyring: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawImage {
    user: Option<Spanned<String>>,
    #[serde(default)]
    entrypoint: Vec<Spanned<String>>,
    #[serde(default)]
    cmd: Vec<String>,
    workdir: Option<Spanned<String>>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    tzdata: Option<bool>,
    #[serde(default)]
    certificates: Vec<Spanned<String>>,
    #[serde(default)]
    volumes: Vec<Spanned<String>>,
    #[serde(default)]
    files: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    links: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDev {
    #[serde(default)]
    packages: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTest {
    command: Option<Spanned<Vec<Spanned<String>>>>,
    expect: Option<Spanned<String>>,
    port: Option<Spanned<u16>>,
    init: Option<Spanned<Vec<Spanned<String>>>>,
    client: Option<Spanned<Vec<Spanned<String>>>>,
    http: Option<Spanned<RawHttp>>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    port: Spanned<u16>,
    path: Spanned<String>,
    expect: Spanned<String>,
}

impl Spec {
    /// Parses and checks a spec. `file` is only used in error messages.
    pub fn parse(text: &str, file: impl AsRef<Path>) -> Result<Spec> {
        let input = Input::new(text, file.as_ref());
        let raw: RawSpec = input.deserialize()?;
        let distribution = match &raw.distribution {
            Some(d) => input
                .parse::<Distribution>("distribution", d)
                .map_err(|e| with_hint(e, "supported distributions: `trixie`, `bookworm`"))?,
            None => Distribution::default(),
        };
        let packages = roots(&input, "packages", raw.packages.get_ref(), &[])?;
        if packages.is_empty() {
            return Err(input.invalid(
                &raw.packages.span(),
                "packages",
                "the list is empty",
                Some("name at least one package to build the image from".into()),
            ));
        }
        let dev_packages = roots(&input, "dev.packages", &raw.dev.packages, raw.packages.get_ref())?;
        let excludes = excludes(&input, &raw.exclude, raw.packages.get_ref())?;
        let sources = if raw.source.is_empty() {
            distribution.default_sources()
        } else {
            raw.source
                .iter()
                .map(|s| source(&input, s))
                .collect::<Result<_>>()?
        };
        let architectures = architectures(&input, raw.architectures.as_ref())?;
        let upstream = upstreams(&input, &raw.upstream, &architectures)?;
        Ok(Spec {
            name: input.parse::<ImageName>("name", &raw.name)?,
            description: raw.description,
            distribution,
            architectures,
            packages,
            excludes,
            sources,
            image: image(&input, raw.image)?,
            dev_packages,
            test: raw
                .test
                .map(|t| {
                    let span = t.span();
                    smoke_test(&input, t.into_inner(), span)
                })
                .transpose()?,
            eol: raw
                .eol
                .as_ref()
                .map(|e| input.parse::<EndOfLife>("eol", e))
                .transpose()?,
            upstream,
            sha256: Sha256::of(text.as_bytes()),
        })
    }
}

fn with_hint(err: crate::Error, text: &str) -> crate::Error {
    match err {
        crate::Error::Invalid { at, key, problem, .. } => crate::Error::Invalid {
            at,
            key,
            problem,
            hint: Some(text.to_owned()),
        },
        other => other,
    }
}

pub(crate) fn architectures(
    input: &Input<'_>,
    raw: Option<&Spanned<Vec<Spanned<String>>>>,
) -> Result<Vec<Arch>> {
    let Some(raw) = raw else {
        return Ok(vec!["amd64".parse().expect("`amd64` is a valid architecture")]);
    };
    let arches: Vec<Arch> = input.parse_unique("architectures", raw.get_ref())?;
    if arches.is_empty() {
        return Err(input.invalid(
            &raw.span(),
            "architectures",
            "the list is empty",
            Some("leave `architectures` out for the default, [\"amd64\"]".into()),
        ));
    }
    for (arch, value) in arches.iter().zip(raw.get_ref()) {
        if arch.is_all() || arch.oci().is_none() {
            return Err(input.invalid(
                &value.span(),
                "architectures",
                format!("`{arch}` is not an architecture an image can be built for"),
                Some("use Debian architecture names such as `amd64` and `arm64`".into()),
            ));
        }
    }
    Ok(arches)
}

/// Root package names; `earlier` are roots from another list that must not repeat.
fn roots(
    input: &Input<'_>,
    key: &str,
    values: &[Spanned<String>],
    earlier: &[Spanned<String>],
) -> Result<Vec<PackageName>> {
    let names: Vec<PackageName> = input.parse_unique(key, values).map_err(|e| {
        with_hint(
            e,
            "list package names only, without versions or architectures: `buckle lock` picks the versions",
        )
    })?;
    for value in values {
        if let Some(first) = earlier.iter().find(|e| e.get_ref() == value.get_ref()) {
            return Err(input.duplicate(key, value, &first.span()));
        }
    }
    Ok(names)
}

fn excludes(
    input: &Input<'_>,
    raw: &[Spanned<RawExclude>],
    packages: &[Spanned<String>],
) -> Result<Vec<Exclude>> {
    let mut out: Vec<Exclude> = Vec::with_capacity(raw.len());
    for (i, entry) in raw.iter().enumerate() {
        let RawExclude { package, reason } = entry.get_ref();
        let name: PackageName = input.parse("exclude.package", package)?;
        if let Some(first) = raw
            .get(..i)
            .unwrap_or_default()
            .iter()
            .find(|e| e.get_ref().package.get_ref() == package.get_ref())
        {
            return Err(input.duplicate("exclude.package", package, &first.get_ref().package.span()));
        }
        // `[dev] packages` may name a cut package: the dev variant adds it back.
        if packages.iter().any(|p| p.get_ref() == package.get_ref()) {
            return Err(input.invalid(
                &package.span(),
                "exclude.package",
                format!("`{name}` is both a root in `packages` and excluded"),
                Some("remove it from `packages` or from `[[exclude]]`".into()),
            ));
        }
        let reason = match reason {
            Some(r) if !r.get_ref().trim().is_empty() => r.get_ref().trim().to_owned(),
            Some(r) => return Err(missing_reason(input, &r.span(), &name)),
            None => return Err(missing_reason(input, &entry.span(), &name)),
        };
        out.push(Exclude {
            package: name,
            reason,
        });
    }
    Ok(out)
}

fn missing_reason(input: &Input<'_>, span: &std::ops::Range<usize>, name: &PackageName) -> crate::Error {
    input.invalid(
        span,
        "exclude.reason",
        format!("excluding `{name}` needs a reason"),
        Some("say why the image works without it, e.g. reason = \"only maintainer scripts use it\"".into()),
    )
}

fn source(input: &Input<'_>, raw: &Spanned<RawSource>) -> Result<Source> {
    let RawSource {
        url,
        suites: raw_suites,
        components,
        keyring,
    } = raw.get_ref();
    let suites: Vec<Suite> = input.parse_unique("source.suites", raw_suites.get_ref())?;
    if suites.is_empty() {
        return Err(input.invalid(&raw_suites.span(), "source.suites", "the list is empty", None));
    }
    let components = match components {
        Some(c) if c.get_ref().is_empty() => {
            return Err(input.invalid(&c.span(), "source.components", "the list is empty", None))
        }
        Some(c) => input.parse_unique::<Component>("source.components", c.get_ref())?,
        None => vec!["main".parse().expect("`main` is a valid component name")],
    };
    let mirror = match url {
        Some(url) => Mirror::Url(input.parse::<MirrorUrl>("source.url", url)?),
        None => host_mirror(input, raw_suites, &suites)?,
    };
    let keyring = match keyring {
        Some(k) if k.get_ref().is_empty() => {
            return Err(input.invalid(&k.span(), "source.keyring", "the path is empty", None))
        }
        Some(k) => Keyring::File(PathBuf::from(k.get_ref())),
        None => Keyring::Debian,
    };
    Ok(Source {
        mirror,
        suites,
        components,
        keyring,
    })
}

/// Without `url`: the host's security mirror for `-security` suites, its Debian mirror
/// for the others; one source cannot mix both.
fn host_mirror(
    input: &Input<'_>,
    raw_suites: &Spanned<Vec<Spanned<String>>>,
    suites: &[Suite],
) -> Result<Mirror> {
    let security = |s: &Suite| s.as_str().ends_with("-security");
    if suites.iter().all(security) {
        Ok(Mirror::DebianSecurity)
    } else if suites.iter().any(security) {
        Err(input.invalid(
            &raw_suites.span(),
            "source.suites",
            "without `url`, a source cannot mix `-security` suites (read from the host's security mirror) with others (read from the host's Debian mirror)",
            Some("put the `-security` suites in a `[[source]]` of their own".into()),
        ))
    } else {
        Ok(Mirror::Debian)
    }
}

fn image(input: &Input<'_>, raw: RawImage) -> Result<ImageConfig> {
    let absolute = |key: &str, value: &Spanned<String>| -> Result<String> {
        if value.get_ref().starts_with('/') {
            Ok(value.get_ref().clone())
        } else {
            Err(input.invalid(
                &value.span(),
                key,
                format!("`{}` is not an absolute path", value.get_ref()),
                None,
            ))
        }
    };
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
    if let Some(first) = raw.entrypoint.first().filter(|e| e.get_ref().is_empty()) {
        return Err(input.invalid(&first.span(), "image.entrypoint", "the program is empty", None));
    }
    let volumes = volume_paths(input, "image.volumes", &raw.volumes, |v| {
        absolute("image.volumes", v)
    })?;
    let certificates = raw
        .certificates
        .iter()
        .map(|c| {
            if c.get_ref().is_empty() {
                Err(input.invalid(&c.span(), "image.certificates", "the path is empty", None))
            } else {
                Ok(PathBuf::from(c.get_ref()))
            }
        })
        .collect::<Result<_>>()?;
    let mut files = BTreeMap::new();
    for (target, source) in &raw.files {
        let escapes = target.split('/').any(|segment| segment == "..");
        if !target.starts_with('/') || target.len() < 2 || escapes {
            return Err(input.invalid(
                &source.span(),
                "image.files",
                format!("`{target}` is not an absolute path inside the image"),
                Some("name the file's path in the image, e.g. \"/etc/nginx/nginx.conf\"".into()),
            ));
        }
        if source.get_ref().is_empty() {
            return Err(input.invalid(&source.span(), "image.files", "the source path is empty", None));
        }
        files.insert(target.clone(), PathBuf::from(source.get_ref()));
    }
    let mut links = BTreeMap::new();
    for (link, target) in &raw.links {
        let escapes = link.split('/').any(|segment| segment == "..");
        if !link.starts_with('/') || link.len() < 2 || escapes {
            return Err(input.invalid(
                &target.span(),
                "image.links",
                format!("`{link}` is not an absolute path inside the image"),
                Some("name the link's path in the image, e.g. \"/usr/bin/java\"".into()),
            ));
        }
        if files.contains_key(link) {
            return Err(input.invalid(
                &target.span(),
                "image.links",
                format!("`{link}` is both a file and a link"),
                Some("keep one of them".into()),
            ));
        }
        if target.get_ref().is_empty() {
            return Err(input.invalid(&target.span(), "image.links", "the link's target is empty", None));
        }
        links.insert(link.clone(), target.get_ref().clone());
    }
    Ok(ImageConfig {
        files,
        links,
        user: raw
            .user
            .as_ref()
            .map(|u| input.parse::<User>("image.user", u))
            .transpose()?
            .unwrap_or_default(),
        entrypoint: raw.entrypoint.into_iter().map(Spanned::into_inner).collect(),
        cmd: raw.cmd,
        workdir: raw
            .workdir
            .as_ref()
            .map(|w| absolute("image.workdir", w))
            .transpose()?,
        env: raw.env.into_iter().map(|(k, v)| (k, v.into_inner())).collect(),
        labels: raw.labels,
        annotations: raw.annotations,
        tzdata: raw.tzdata,
        certificates,
        volumes,
    })
}

pub(crate) fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn smoke_test(input: &Input<'_>, raw: RawTest, span: std::ops::Range<usize>) -> Result<SmokeTest> {
    let RawTest {
        command,
        expect,
        port,
        init,
        client,
        http,
        env,
    } = raw;
    for (name, value) in &env {
        if !is_env_name(name) {
            return Err(input.invalid(
                &value.span(),
                "test.env",
                format!("`{name}` is not a valid environment variable name"),
                Some("use letters, digits and `_`, not starting with a digit".into()),
            ));
        }
    }
    let env = env.into_iter().map(|(k, v)| (k, v.into_inner())).collect();
    let service = client.is_some() || http.is_some();
    let init = match init {
        Some(init) if !service => {
            return Err(input.invalid(
                &init.span(),
                "test.init",
                "`init` prepares a service's volumes: it needs a probe (`client` or `http`)",
                None,
            ))
        }
        Some(init) => argv(input, "test.init", init)?,
        None => Vec::new(),
    };
    let command = match command {
        Some(command) => argv(input, "test.command", command)?,
        None if service => Vec::new(),
        None => {
            return Err(input.invalid(
                &span,
                "test.command",
                "a smoke test needs a `command`, or a probe (`client` or `http`) for a service",
                Some("add command = [\"/usr/bin/program\", \"--version\"] and expect = \"...\"".into()),
            ))
        }
    };
    let expect = expect.map(|e| expected(input, "test.expect", e)).transpose()?;
    let check = match (client, http) {
        (Some(_), Some(http)) => {
            return Err(input.invalid(
                &http.span(),
                "test.http",
                "a service test has one probe: `client` or `http`, not both",
                None,
            ))
        }
        (None, None) => {
            if let Some(port) = &port {
                return Err(input.invalid(
                    &port.span(),
                    "test.port",
                    "`port` is for a service test, which has a probe (`client` or `http`)",
                    None,
                ));
            }
            let expect = expect.ok_or_else(|| {
                input.invalid(&span, "test.expect", "the test says no `expect`ed output", None)
            })?;
            Check::Output { expect }
        }
        (Some(client), None) => {
            let port = port.ok_or_else(|| {
                input.invalid(
                    &span,
                    "test.port",
                    "a `client` probe needs the `port` the service listens on",
                    Some("add port = <a port >= 1024 no other service here uses>".into()),
                )
            })?;
            let expect = expect.ok_or_else(|| {
                input.invalid(
                    &span,
                    "test.expect",
                    "the `client` probe says no `expect`ed output",
                    None,
                )
            })?;
            Check::Client {
                port: listening_port(input, "test.port", &port)?,
                command: argv(input, "test.client", client)?,
                expect,
            }
        }
        (None, Some(http)) => {
            let span = http.span();
            let RawHttp {
                port: http_port,
                path,
                expect: http_expect,
            } = http.into_inner();
            if let Some(port) = &port {
                return Err(input.invalid(
                    &port.span(),
                    "test.port",
                    "an `http` probe names its port itself",
                    Some("use http = { port = ..., path = \"/\", expect = \"...\" }".into()),
                ));
            }
            if expect.is_some() {
                return Err(input.invalid(
                    &span,
                    "test.expect",
                    "an `http` probe names what it expects itself",
                    Some("move it into http = { ..., expect = \"...\" }".into()),
                ));
            }
            if !path.get_ref().starts_with('/') {
                return Err(input.invalid(
                    &path.span(),
                    "test.http.path",
                    format!("`{}` is not a request path", path.get_ref()),
                    Some("start it with `/`, e.g. \"/\"".into()),
                ));
            }
            Check::Http {
                port: listening_port(input, "test.http.port", &http_port)?,
                path: path.into_inner(),
                expect: expected(input, "test.http.expect", http_expect)?,
            }
        }
    };
    Ok(SmokeTest {
        command,
        env,
        init,
        check,
    })
}
/// An argv: not empty, its program an absolute path.
fn argv(input: &Input<'_>, key: &str, raw: Spanned<Vec<Spanned<String>>>) -> Result<Vec<String>> {
    match raw.get_ref().first() {
        None => return Err(input.invalid(&raw.span(), key, "the command is empty", None)),
        Some(program) if !program.get_ref().starts_with('/') => {
            return Err(input.invalid(
                &program.span(),
                key,
                format!("`{}` is not an absolute path", program.get_ref()),
                Some("images have no shell to search PATH: name the program by its full path".into()),
            ))
        }
        Some(_) => {}
    }
    Ok(raw.into_inner().into_iter().map(Spanned::into_inner).collect())
}

fn expected(input: &Input<'_>, key: &str, raw: Spanned<String>) -> Result<String> {
    if raw.get_ref().is_empty() {
        return Err(input.invalid(
            &raw.span(),
            key,
            "the expected output is empty, so any output would pass",
            None,
        ));
    }
    Ok(raw.into_inner())
}

/// A port a non-root service can listen on.
fn listening_port(input: &Input<'_>, key: &str, raw: &Spanned<u16>) -> Result<u16> {
    let port = *raw.get_ref();
    if port < 1024 {
        return Err(input.invalid(
            &raw.span(),
            key,
            format!("port {port} is below 1024, which only root may listen on"),
            Some("images run as uid 65532 without capabilities: pick a port from 1024 up".into()),
        ));
    }
    Ok(port)
}

fn upstreams(input: &Input<'_>, raw: &[Spanned<RawUpstream>], arches: &[Arch]) -> Result<Vec<Upstream>> {
    let mut out: Vec<Upstream> = Vec::with_capacity(raw.len());
    for entry in raw {
        let upstream = upstream(input, entry, arches)?;
        if out.iter().any(|u| u.name == upstream.name) {
            let first = raw
                .iter()
                .find(|r| r.get_ref().name.get_ref() == &upstream.name)
                .map_or(0..0, |r| r.get_ref().name.span());
            return Err(input.duplicate("upstream.name", &entry.get_ref().name, &first));
        }
        out.push(upstream);
    }
    Ok(out)
}

fn upstream(input: &Input<'_>, entry: &Spanned<RawUpstream>, arches: &[Arch]) -> Result<Upstream> {
    let raw = entry.get_ref();
    let name = raw.name.get_ref();
    if !is_upstream_name(name) {
        return Err(input.invalid(
            &raw.name.span(),
            "upstream.name",
            format!("`{name}` is not a valid name"),
            Some("use lowercase letters, digits and `-`, starting with a letter".into()),
        ));
    }
    let version = raw.version.get_ref();
    if version.is_empty()
        || !version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-+_".contains(&b))
    {
        return Err(input.invalid(
            &raw.version.span(),
            "upstream.version",
            format!("`{version}` is not a version"),
            Some("give an exact version such as \"22.23.5\", or for npm a prefix such as \"22\"".into()),
        ));
    }
    let per_arch = |key: &str,
                    table: &Spanned<BTreeMap<String, Spanned<String>>>|
     -> Result<BTreeMap<Arch, Spanned<String>>> {
        let mut out = BTreeMap::new();
        for (arch, value) in table.get_ref() {
            let parsed: Arch = arch
                .parse()
                .map_err(|e: buckle_debian::Error| input.invalid(&value.span(), key, e.to_string(), None))?;
            if !arches.contains(&parsed) {
                return Err(input.invalid(
                    &value.span(),
                    key,
                    format!("`{arch}` is not in the spec's `architectures`"),
                    None,
                ));
            }
            out.insert(parsed, value.clone());
        }
        if let Some(missing) = arches.iter().find(|a| !out.contains_key(*a)) {
            return Err(input.invalid(
                &table.span(),
                key,
                format!("no entry for architecture `{missing}`"),
                Some("give one for every architecture the spec builds".into()),
            ));
        }
        Ok(out)
    };
    let origin = match (&raw.npm, &raw.url) {
        (Some(npm), None) => {
            if let Some((_, v)) = raw.sha256.iter().next() {
                return Err(input.invalid(
                    &v.span(),
                    "upstream.sha256",
                    "an npm artifact is pinned by the lock (its registry integrity), not by `sha256`",
                    Some("remove `sha256`: `buckle lock` records the integrity".into()),
                ));
            }
            if let Some(c) = &raw.checksums {
                return Err(input.invalid(
                    &c.span(),
                    "upstream.checksums",
                    "`checksums` is for `url` artifacts",
                    None,
                ));
            }
            let packages = per_arch("upstream.npm", npm)?;
            for value in packages.values() {
                if !is_npm_name(value.get_ref()) {
                    return Err(input.invalid(
                        &value.span(),
                        "upstream.npm",
                        format!("`{}` is not an npm package name", value.get_ref()),
                        None,
                    ));
                }
            }
            UpstreamOrigin::Npm(packages.into_iter().map(|(a, v)| (a, v.into_inner())).collect())
        }
        (None, Some(url)) => url_origin(input, raw, &per_arch("upstream.url", url)?)?,
        (Some(npm), Some(_)) => {
            return Err(input.invalid(
                &npm.span(),
                "upstream",
                "give either `npm` or `url`, not both",
                None,
            ))
        }
        (None, None) => {
            return Err(input.invalid(
                &entry.span(),
                "upstream",
                format!("`{name}` says neither where it comes from: expected `npm` or `url`"),
                Some("npm = { amd64 = \"package-name\" } or url = { amd64 = \"https://…\" }".into()),
            ))
        }
    };
    let prefix = raw.prefix.get_ref();
    if !prefix.starts_with('/') || prefix.len() < 2 || prefix.split('/').any(|s| s == "..") {
        return Err(input.invalid(
            &raw.prefix.span(),
            "upstream.prefix",
            format!("`{prefix}` is not an absolute directory inside the image"),
            Some("for example \"/opt/node\"".into()),
        ));
    }
    let mut paths = Vec::with_capacity(raw.paths.len());
    for path in &raw.paths {
        let p = path.get_ref();
        if p.is_empty() || p.starts_with('/') || p.split('/').any(|s| s == ".." || s.is_empty()) {
            return Err(input.invalid(
                &path.span(),
                "upstream.paths",
                format!("`{p}` is not a relative path inside the archive"),
                Some(
                    "name entries as the archive has them after `strip-components`, e.g. \"bin/node\"".into(),
                ),
            ));
        }
        paths.push(p.clone());
    }
    let mut links = BTreeMap::new();
    for (link, target) in &raw.links {
        if !link.starts_with('/') || link.len() < 2 || link.split('/').any(|s| s == "..") {
            return Err(input.invalid(
                &target.span(),
                "upstream.links",
                format!("`{link}` is not an absolute path inside the image"),
                None,
            ));
        }
        if target.get_ref().is_empty() {
            return Err(input.invalid(&target.span(), "upstream.links", "the target is empty", None));
        }
        links.insert(link.clone(), target.get_ref().clone());
    }
    Ok(Upstream {
        name: name.clone(),
        version: version.clone(),
        origin,
        prefix: prefix.trim_end_matches('/').to_owned(),
        strip_components: raw.strip_components.unwrap_or(1),
        paths,
        links,
    })
}

fn url_origin(
    input: &Input<'_>,
    raw: &RawUpstream,
    urls: &BTreeMap<Arch, Spanned<String>>,
) -> Result<UpstreamOrigin> {
    for url in urls.values() {
        let u = url.get_ref();
        let archive = [".tar.gz", ".tgz", ".tar.xz"].iter().any(|ext| u.ends_with(ext));
        if !(u.starts_with("https://") || u.starts_with("http://")) || !archive {
            return Err(input.invalid(
                &url.span(),
                "upstream.url",
                format!("`{u}` is not an http(s) URL of a `.tar.gz`, `.tgz` or `.tar.xz` archive"),
                None,
            ));
        }
    }
    let mut sha256 = BTreeMap::new();
    for (arch, value) in &raw.sha256 {
        let parsed: Arch = arch.parse().map_err(|e: buckle_debian::Error| {
            input.invalid(&value.span(), "upstream.sha256", e.to_string(), None)
        })?;
        if !urls.contains_key(&parsed) {
            return Err(input.invalid(
                &value.span(),
                "upstream.sha256",
                format!("`url` has no entry for `{arch}`"),
                None,
            ));
        }
        sha256.insert(parsed, input.parse::<Sha256>("upstream.sha256", value)?);
    }
    let checksums = match &raw.checksums {
        Some(c) => {
            let RawChecksums { url, keys } = c.get_ref();
            if !url.get_ref().starts_with("https://") && !url.get_ref().starts_with("http://") {
                return Err(input.invalid(
                    &url.span(),
                    "upstream.checksums.url",
                    "expected an http(s) URL",
                    None,
                ));
            }
            if keys.get_ref().is_empty() || keys.get_ref().iter().any(|k| k.get_ref().is_empty()) {
                return Err(input.invalid(
                    &keys.span(),
                    "upstream.checksums.keys",
                    "a signed checksums file needs the keys it must be signed with",
                    Some("list the signers' OpenPGP public key files, relative to the spec".into()),
                ));
            }
            Some(Checksums {
                url: url.get_ref().clone(),
                keys: keys
                    .get_ref()
                    .iter()
                    .map(|k| PathBuf::from(k.get_ref()))
                    .collect(),
            })
        }
        None => None,
    };
    if checksums.is_none() {
        if let Some((arch, _)) = urls.iter().find(|(a, _)| !sha256.contains_key(*a)) {
            return Err(input.invalid(
                &urls.get(arch).map_or(0..0, Spanned::span),
                "upstream.url",
                format!("nothing pins the `{arch}` artifact: expected `sha256` for it or a signed `checksums` file"),
                Some("buckle never trusts a download on first use; add sha256 = { <arch> = \"…\" } or checksums = { url, keys }".into()),
            ));
        }
    }
    Ok(UpstreamOrigin::Url {
        urls: urls
            .iter()
            .map(|(a, u)| (a.clone(), u.get_ref().clone()))
            .collect(),
        sha256,
        checksums,
    })
}

/// `key`'s volume paths, each checked by `path` and named only once.
pub(crate) fn volume_paths(
    input: &Input<'_>,
    key: &str,
    values: &[Spanned<String>],
    path: impl Fn(&Spanned<String>) -> Result<String>,
) -> Result<Vec<String>> {
    let mut volumes = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        let checked = path(value)?;
        if let Some(first) = values[..i].iter().find(|f| f.get_ref() == value.get_ref()) {
            return Err(input.duplicate(key, value, &first.span()));
        }
        volumes.push(checked);
    }
    Ok(volumes)
}

#[cfg(test)]
mod tests;
