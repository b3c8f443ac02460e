use super::*;
use crate::python::testing::write_tree;
use crate::NodeKind;
use buckle_testkit::server::Server;
use std::collections::BTreeMap;

/// A gzipped npm tarball with `package/` entries.
fn tarball(files: &[(&str, &str, u32)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (path, content, mode) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(*mode);
        // npm's tarballs leave the owner fields blank.
        header.set_mtime(0);
        header.set_cksum();
        builder
            .append_data(&mut header, format!("package/{path}"), content.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn sri(bytes: &[u8]) -> String {
    Integrity::parse(&format!("sha512-{}==", "A".repeat(86)))
        .unwrap()
        .of(bytes)
        .to_string()
}

struct Registry {
    tarballs: BTreeMap<String, Vec<u8>>,
    entries: Vec<String>,
}

impl Registry {
    fn new() -> Self {
        Registry {
            tarballs: BTreeMap::new(),
            entries: Vec::new(),
        }
    }

    /// Adds a package at `path` whose tarball holds `files`; `extra` is more JSON fields.
    fn add(
        &mut self,
        path: &str,
        name: &str,
        version: &str,
        files: &[(&str, &str, u32)],
        extra: &str,
    ) -> &mut Self {
        let manifest = format!("{{\"name\": \"{name}\", \"version\": \"{version}\", \"license\": \"ISC\"}}");
        let mut all = vec![("package.json", manifest.as_str(), 0o644)];
        all.extend_from_slice(files);
        let bytes = tarball(&all);
        let url = format!("http://registry/{name}/-/{version}.tgz");
        self.entries.push(format!(
            "\"{path}\": {{\"version\": \"{version}\", \"resolved\": \"{url}\", \"integrity\": \"{}\"{extra}}}",
            sri(&bytes)
        ));
        self.tarballs.insert(url, bytes);
        self
    }

    fn lock(&self) -> PackageLock {
        PackageLock::parse(&format!(
            "{{\"name\": \"app\", \"lockfileVersion\": 3, \"packages\": {{\"\": {{\"name\": \"app\"}}, {}}}}}",
            self.entries.join(", ")
        ))
        .unwrap()
    }

    fn install(&self, options: &NodeOptions) -> Result<NodeInstall> {
        install(&self.lock(), options, |url, _| Ok(self.tarballs[url].clone()))
    }
}

fn options() -> NodeOptions {
    NodeOptions::new(RelPath::new("app").unwrap(), Machine::Amd64, "http://registry")
}

fn small_app() -> Registry {
    let mut r = Registry::new();
    r.add(
        "node_modules/left-pad",
        "left-pad",
        "1.3.0",
        &[(
            "index.js",
            "module.exports = (s, n) => String(s).padStart(n);\n",
            0o644,
        )],
        "",
    )
    .add(
        "node_modules/@acme/cli",
        "@acme/cli",
        "2.0.0",
        &[(
            "bin/run.js",
            "#!/usr/bin/env node\nconsole.log(require('left-pad')('x', 3));\n",
            0o644,
        )],
        ", \"bin\": {\"acme\": \"bin/run.js\"}",
    )
    .add(
        "node_modules/@acme/cli/node_modules/left-pad",
        "left-pad",
        "1.0.0",
        &[("index.js", "module.exports = () => 'old';\n", 0o644)],
        "",
    )
    .add(
        "node_modules/jest",
        "jest",
        "29.0.0",
        &[("index.js", "", 0o644)],
        ", \"dev\": true",
    )
    .add(
        "node_modules/fsevents",
        "fsevents",
        "2.3.3",
        &[("index.js", "", 0o644)],
        ", \"optional\": true, \"os\": [\"darwin\"], \"hasInstallScript\": true",
    )
    .add(
        "node_modules/@esbuild/linux-arm64",
        "@esbuild/linux-arm64",
        "0.24.0",
        &[("bin/esbuild", "", 0o755)],
        ", \"optional\": true, \"os\": [\"linux\"], \"cpu\": [\"arm64\"]",
    );
    r
}

#[test]
fn packages_land_at_the_lockfile_paths_without_dev_or_foreign_optionals() {
    let out = small_app().install(&options()).unwrap();
    let paths: Vec<&str> = out
        .tree
        .nodes()
        .map(|(p, _)| p.as_str())
        .filter(|p| p.ends_with(".js") || p.contains(".bin/"))
        .collect();
    assert_eq!(
        paths,
        [
            "app/node_modules/.bin/acme",
            "app/node_modules/@acme/cli/bin/run.js",
            "app/node_modules/@acme/cli/node_modules/left-pad/index.js",
            "app/node_modules/left-pad/index.js",
        ]
    );
    let purls: Vec<String> = out.packages.iter().map(|p| p.purl()).collect();
    assert_eq!(
        purls,
        [
            "pkg:npm/%40acme/cli@2.0.0",
            "pkg:npm/left-pad@1.0.0",
            "pkg:npm/left-pad@1.3.0"
        ]
    );
    assert_eq!(out.packages[0].license.as_deref(), Some("ISC"));
    assert!(out.packages[0]
        .integrity
        .as_deref()
        .unwrap()
        .starts_with("sha512-"));
    let arm = options_for(Machine::Arm64);
    let on_arm = small_app().install(&arm).unwrap();
    assert!(on_arm
        .tree
        .get(&RelPath::new("app/node_modules/@esbuild/linux-arm64/bin/esbuild").unwrap())
        .is_some());
}

fn options_for(machine: Machine) -> NodeOptions {
    NodeOptions::new(RelPath::new("app").unwrap(), machine, "http://registry")
}

#[test]
fn bins_are_relative_symlinks_to_executable_targets_and_run_with_node() {
    let out = small_app().install(&options()).unwrap();
    let link = out
        .tree
        .get(&RelPath::new("app/node_modules/.bin/acme").unwrap())
        .unwrap();
    assert_eq!(link.kind, NodeKind::Symlink("../@acme/cli/bin/run.js".into()));
    let target = out
        .tree
        .get(&RelPath::new("app/node_modules/@acme/cli/bin/run.js").unwrap())
        .unwrap();
    assert_eq!(target.mode, 0o755);
    let dir = tempfile::tempdir().unwrap();
    write_tree(&out.tree, dir.path());
    let run = std::process::Command::new("node")
        .arg(dir.path().join("app/node_modules/.bin/acme"))
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    // The nested left-pad 1.0.0 shadows the top-level one, as the lockfile lays out.
    assert_eq!(String::from_utf8_lossy(&run.stdout), "old\n");
}

#[test]
fn tarball_not_matching_its_integrity_is_refused() {
    let mut r = small_app();
    let url = "http://registry/left-pad/-/1.3.0.tgz".to_owned();
    r.tarballs.insert(
        url,
        tarball(&[("package.json", "{}", 0o644), ("index.js", "evil()", 0o644)]),
    );
    let err = r.install(&options()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("`left-pad` 1.3.0 does not match package-lock.json: expected sha512-"),
        "{text}"
    );
    assert!(err.hint().is_some());
}

#[test]
fn package_without_integrity_is_refused() {
    let lock = PackageLock::parse(r#"{"lockfileVersion": 3, "packages": {"node_modules/a": {"version": "1.0.0", "resolved": "http://r/a.tgz"}}}"#).unwrap();
    let err = install(&lock, &options(), |_, _| unreachable!("nothing is downloaded")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "package-lock.json: `node_modules/a`: `a` 1.0.0 has no `integrity`; every package must be hashed"
    );
}

#[test]
fn package_with_an_install_script_is_refused_unless_allowed_as_prebuilt() {
    let mut r = Registry::new();
    r.add(
        "node_modules/sharp",
        "sharp",
        "0.33.5",
        &[("index.js", "", 0o644)],
        ", \"hasInstallScript\": true",
    );
    let err = r.install(&options()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`sharp` 0.33.5 (`node_modules/sharp`) has an install script, which buckle never runs"
    );
    assert!(err.hint().unwrap().contains("--allow-prebuilt"));
    let mut allowed = options();
    allowed.allow_prebuilt.insert("sharp".into());
    assert_eq!(r.install(&allowed).unwrap().packages.len(), 1);
}

#[test]
fn install_script_hidden_from_the_lockfile_is_still_refused() {
    let mut r = Registry::new();
    let manifest = "{\"name\": \"sneaky\", \"scripts\": {\"postinstall\": \"node steal.js\"}}";
    let bytes = tarball(&[("package.json", manifest, 0o644)]);
    r.entries.push(format!(
        "\"node_modules/sneaky\": {{\"version\": \"1.0.0\", \"resolved\": \"http://registry/s.tgz\", \"integrity\": \"{}\"}}",
        sri(&bytes)
    ));
    r.tarballs.insert("http://registry/s.tgz".into(), bytes);
    let err = r.install(&options()).unwrap_err();
    assert!(matches!(err, Error::InstallScript { .. }), "{err}");
}

#[test]
fn required_package_for_another_platform_is_refused() {
    let mut r = Registry::new();
    r.add(
        "node_modules/mac-only",
        "mac-only",
        "1.0.0",
        &[],
        ", \"os\": [\"darwin\"]",
    );
    let err = r.install(&options()).unwrap_err();
    assert!(err.to_string().contains("is only for os [\"darwin\"]"), "{err}");
}

#[test]
fn tarballs_come_from_a_loopback_registry_and_urls_are_built_when_not_resolved() {
    let bytes = tarball(&[
        ("package.json", "{\"name\": \"@s/tiny\"}", 0o644),
        ("i.js", "1", 0o644),
    ]);
    let server = Server::start(BTreeMap::from([(
        "/@s/tiny/-/tiny-1.0.0.tgz".to_owned(),
        bytes.clone(),
    )]));
    let lock = PackageLock::parse(&format!(
        "{{\"lockfileVersion\": 2, \"packages\": {{\"node_modules/@s/tiny\": {{\"version\": \"1.0.0\", \"integrity\": \"{}\"}}}}}}",
        sri(&bytes)
    ))
    .unwrap();
    let mut opts = options();
    opts.registry = server.url();
    let out = super::Registry::new(Client::new()).install(&lock, &opts).unwrap();
    assert_eq!(
        out.packages[0].download_url,
        format!("{}/@s/tiny/-/tiny-1.0.0.tgz", server.url())
    );
    assert_eq!(out.packages[0].sha256, Sha256::of(&bytes));
}

#[test]
fn a_cached_tarball_is_found_by_its_integrity_and_one_that_no_longer_matches_is_fetched_again() {
    let bytes = tarball(&[("package.json", "{\"name\": \"tiny\"}", 0o644)]);
    let path = "/tiny/-/tiny-1.0.0.tgz";
    let server = Server::start(BTreeMap::from([(path.to_owned(), bytes.clone())]));
    let lock = PackageLock::parse(&format!(
        "{{\"lockfileVersion\": 3, \"packages\": {{\"node_modules/tiny\": {{\"version\": \"1.0.0\", \"integrity\": \"{}\"}}}}}}",
        sri(&bytes)
    ))
    .unwrap();
    let mut opts = options();
    opts.registry = server.url();
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let registry = super::Registry::new(Client::new()).with_cache(cache.clone());

    let first = registry.install(&lock, &opts).unwrap();
    let second = registry.install(&lock, &opts).unwrap();
    assert_eq!(first, second);
    assert_eq!(server.count(path), 1, "the second install reads the cache");

    std::fs::write(cache.path(&Sha256::of(&bytes)), b"not the tarball").unwrap();
    assert_eq!(registry.install(&lock, &opts).unwrap(), first);
    assert_eq!(
        server.count(path),
        2,
        "a cache entry that does not match is not used"
    );

    // Another entry given this tarball's integrity is not served it from the cache:
    // its own tarball is downloaded and fails.
    let other = "/other/-/other-1.0.0.tgz";
    server.insert(other, b"other".to_vec());
    let confused = PackageLock::parse(&format!(
        "{{\"lockfileVersion\": 3, \"packages\": {{\"node_modules/other\": {{\"version\": \"1.0.0\", \"integrity\": \"{}\"}}}}}}",
        sri(&bytes)
    ))
    .unwrap();
    let err = registry.install(&confused, &opts).unwrap_err();
    assert!(matches!(err, Error::IntegrityMismatch { .. }), "{err}");
    assert_eq!(server.count(other), 1);

    server.insert(path, b"tampered".to_vec());
    std::fs::remove_dir_all(dir.path().join("npm")).unwrap();
    let err = registry.install(&lock, &opts).unwrap_err();
    assert!(matches!(err, Error::IntegrityMismatch { .. }), "{err}");
    assert!(
        !dir.path().join("npm").exists(),
        "nothing of a tarball that failed its integrity is kept"
    );
}

#[test]
fn tarball_entry_escaping_the_package_is_rejected() {
    let mut header = tar::Header::new_gnu();
    let name = b"package/../../../etc/passwd";
    header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
    header.set_size(5);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    builder.append(&header, b"evil\n".as_slice()).unwrap();
    let bytes = builder.into_inner().unwrap().finish().unwrap();
    let mut r = Registry::new();
    r.entries.push(format!(
        "\"node_modules/evil\": {{\"version\": \"1.0.0\", \"resolved\": \"http://registry/e.tgz\", \"integrity\": \"{}\"}}",
        sri(&bytes)
    ));
    r.tarballs.insert("http://registry/e.tgz".into(), bytes);
    let err = r.install(&options()).unwrap_err();
    assert!(matches!(err, Error::TarballEntry { .. }), "{err}");
    assert_eq!(err.to_string(), "the tarball of `evil` 1.0.0 cannot be unpacked");
    let cause = std::error::Error::source(&err).unwrap().to_string();
    assert!(cause.contains("../../../etc/passwd"), "{cause}");
}

#[test]
fn lockfile_path_escaping_the_application_is_rejected() {
    let err = PackageLock::parse(
        r#"{"lockfileVersion": 3, "packages": {"node_modules/../../usr/bin": {"version": "1.0.0"}}}"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "package-lock.json: `node_modules/../../usr/bin`: the path leaves the application's directory"
    );
}
