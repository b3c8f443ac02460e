use super::*;

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn read(file: &str, text: &str, target: &str) -> Result<Requirements> {
    Requirements::read(Path::new(file), text, &target.parse().unwrap())
}

fn names(requirements: &Requirements) -> Vec<(&str, &str, usize)> {
    requirements
        .requirements
        .iter()
        .map(|r| (r.name.as_str(), r.version.as_str(), r.hashes.len()))
        .collect()
}

/// A project that needs `web` (with its `speed` extra) everywhere and `tomli` before
/// 3.11; `web` needs `colour` on Windows only and `fast` for its extra; `pytest` is a
/// development dependency.
fn uv_lock() -> String {
    format!(
        r#"version = 1
revision = 3
requires-python = ">=3.9"

[[package]]
name = "colour"
version = "0.4.6"
source = {{ registry = "https://index.invalid/simple" }}
wheels = [{{ url = "https://index.invalid/c.whl", hash = "sha256:{A}" }}]

[[package]]
name = "Fast"
version = "2.0"
source = {{ registry = "https://index.invalid/simple" }}
sdist = {{ url = "https://index.invalid/fast.tar.gz", hash = "sha256:{A}" }}
wheels = [{{ url = "https://index.invalid/f.whl", hash = "sha256:{B}" }}]

[[package]]
name = "myapp"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [
    {{ name = "web", extra = ["speed"] }},
    {{ name = "tomli", marker = "python_full_version < '3.11'" }},
]

[package.dev-dependencies]
dev = [{{ name = "pytest" }}]

[[package]]
name = "pytest"
version = "8.0"
source = {{ registry = "https://index.invalid/simple" }}
wheels = [{{ url = "https://index.invalid/p.whl", hash = "sha256:{A}" }}]

[[package]]
name = "tomli"
version = "2.2.1"
source = {{ registry = "https://index.invalid/simple" }}
wheels = [{{ url = "https://index.invalid/t.whl", hash = "sha256:{A}" }}]

[[package]]
name = "web"
version = "3.1.0"
source = {{ registry = "https://index.invalid/simple/" }}
dependencies = [{{ name = "colour", marker = "sys_platform == 'win32'" }}]
wheels = [{{ url = "https://index.invalid/w.whl", hash = "sha256:{A}" }}]

[package.optional-dependencies]
speed = [{{ name = "fast" }}]
"#
    )
}

#[test]
fn uv_lock_follows_the_edges_whose_markers_hold_and_the_extras_asked_for() {
    let lock = uv_lock();
    let requirements = read("uv.lock", &lock, "3.13/amd64").unwrap();
    assert_eq!(
        names(&requirements),
        [("fast", "2.0", 2), ("web", "3.1.0", 1)],
        "no colour (Windows), no tomli (before 3.11), no pytest (dev), fast for web[speed]"
    );
    assert_eq!(
        requirements.index_url.as_deref(),
        Some("https://index.invalid/simple")
    );
    let older = read("uv.lock", &lock, "3.10/arm64").unwrap();
    assert_eq!(
        names(&older).iter().map(|n| n.0).collect::<Vec<_>>(),
        ["fast", "tomli", "web"]
    );
    assert!(older.requirements.iter().all(|r| r.marker.is_none()));
    let line = older
        .requirements
        .iter()
        .find(|r| r.name.as_str() == "tomli")
        .unwrap()
        .line;
    assert_eq!(lock.lines().nth(line - 1), Some("name = \"tomli\""));
}

#[test]
fn uv_lock_refuses_what_no_index_hash_pins() {
    let git = uv_lock().replace(
        "name = \"web\"\nversion = \"3.1.0\"\nsource = { registry = \"https://index.invalid/simple/\" }",
        "name = \"web\"\nversion = \"3.1.0\"\nsource = { git = \"https://git.invalid/web?rev=1#abc\" }",
    );
    let err = read("uv.lock", &git, "3.13/amd64").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("uv.lock, line 43: `web` comes from a git source"),
        "{err}"
    );
    assert!(err.hint().unwrap().contains("uv export"));

    let unhashed = uv_lock().replace(
        &format!("{{ url = \"https://index.invalid/w.whl\", hash = \"sha256:{A}\" }}"),
        "",
    );
    let err = read("uv.lock", &unhashed, "3.13/amd64").unwrap_err();
    assert!(
        err.to_string().contains("`web` 3.1.0 has no sha256 hash"),
        "{err}"
    );

    let no_project = uv_lock().replace("editable = \".\"", "editable = \"libs/myapp\"");
    let err = read("uv.lock", &no_project, "3.13/amd64").unwrap_err();
    assert!(
        err.to_string().contains("no package of the lock is the project"),
        "{err}"
    );

    let undecidable = uv_lock().replace("python_full_version < '3.11'", "platform_release > '5'");
    let err = read("uv.lock", &undecidable, "3.13/amd64").unwrap_err();
    assert!(
        err.to_string().contains("cannot evaluate the marker of `tomli`"),
        "{err}"
    );

    let err = read("uv.lock", "version = [", "3.13/amd64").unwrap_err();
    assert!(
        err.to_string().starts_with("uv.lock, line 1: not a uv.lock"),
        "{err}"
    );
}

#[test]
fn uv_lock_picks_among_versions_by_the_edge_and_refuses_two_indexes() {
    let forked = uv_lock().replace(
        "{ name = \"tomli\", marker",
        "{ name = \"tomli\", version = \"2.2.1\", marker",
    ) + &format!(
        "\n[[package]]\nname = \"tomli\"\nversion = \"1.0\"\nsource = {{ registry = \"https://index.invalid/simple\" }}\nwheels = [{{ url = \"https://index.invalid/t1.whl\", hash = \"sha256:{B}\" }}]\n"
    );
    let requirements = read("uv.lock", &forked, "3.10/amd64").unwrap();
    assert!(names(&requirements).contains(&("tomli", "2.2.1", 1)));
    let ambiguous = forked.replace(
        "{ name = \"tomli\", version = \"2.2.1\", marker",
        "{ name = \"tomli\", marker",
    );
    let err = read("uv.lock", &ambiguous, "3.10/amd64").unwrap_err();
    assert!(err.to_string().contains("holds at several versions"), "{err}");

    let two = uv_lock().replace(
        "name = \"Fast\"\nversion = \"2.0\"\nsource = { registry = \"https://index.invalid/simple\" }",
        "name = \"Fast\"\nversion = \"2.0\"\nsource = { registry = \"https://other.invalid/simple\" }",
    );
    let err = read("uv.lock", &two, "3.13/amd64").unwrap_err();
    assert!(err.to_string().contains("two indexes"), "{err}");
}

fn pylock_toml() -> String {
    format!(
        r#"lock-version = "1.0"
created-by = "uv"
requires-python = ">=3.9"

[[packages]]
name = "colour"
version = "0.4.6"
marker = "sys_platform == 'win32'"
index = "https://index.invalid/simple"
wheels = [{{ url = "https://index.invalid/c.whl", upload-time = 2024-11-08T17:25:46Z, size = 8, hashes = {{ sha256 = "{A}" }} }}]

[[packages]]
name = "web"
version = "3.1.0"
index = "https://index.invalid/simple"
sdist = {{ url = "https://index.invalid/web.tar.gz", size = 9, hashes = {{ sha256 = "{B}" }} }}
wheels = [{{ url = "https://index.invalid/w.whl", size = 8, hashes = {{ sha256 = "{A}", md5 = "00" }} }}]
"#
    )
}

#[test]
fn pylock_keeps_the_packages_whose_markers_hold() {
    let requirements = read("pylock.toml", &pylock_toml(), "3.13/amd64").unwrap();
    assert_eq!(names(&requirements), [("web", "3.1.0", 2)]);
    assert_eq!(
        requirements.index_url.as_deref(),
        Some("https://index.invalid/simple")
    );
    let named = read("pylock.prod.toml", &pylock_toml(), "3.13/amd64").unwrap();
    assert_eq!(named, requirements);
}

#[test]
fn pylock_refuses_other_sources_versions_and_hashes() {
    let vcs = pylock_toml() + "\n[[packages]]\nname = \"tool\"\nvcs = { type = \"git\", url = \"https://git.invalid/tool\", commit-id = \"abc\" }\n";
    let err = read("pylock.toml", &vcs, "3.13/amd64").unwrap_err();
    assert!(err.to_string().contains("`tool` comes from a vcs"), "{err}");

    let md5 = pylock_toml().replace(&format!("sha256 = \"{B}\""), "md5 = \"00\"");
    let err = read("pylock.toml", &md5, "3.13/amd64").unwrap_err();
    assert!(
        err.to_string().contains("`web` has a file without a sha256 hash"),
        "{err}"
    );

    let future = pylock_toml().replace("lock-version = \"1.0\"", "lock-version = \"2.0\"");
    let err = read("pylock.toml", &future, "3.13/amd64").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("pylock.toml, line 1: lock-version 2.0"),
        "{err}"
    );
}

fn poetry_lock(lock_version: &str) -> String {
    format!(
        r#"# generated by hand for the test

[[package]]
name = "colour"
version = "0.4.6"
optional = false
groups = ["main"]
markers = "platform_system == \"Windows\""
files = [{{file = "colour-0.4.6-py3-none-any.whl", hash = "sha256:{A}"}}]

[[package]]
name = "extra-only"
version = "1.0"
optional = true
groups = ["main"]
files = [{{file = "extra_only-1.0-py3-none-any.whl", hash = "sha256:{A}"}}]

[[package]]
name = "pytest"
version = "8.0"
optional = false
groups = ["dev"]
files = [{{file = "pytest-8.0-py3-none-any.whl", hash = "sha256:{A}"}}]

[[package]]
name = "tomli"
version = "2.2.1"
optional = false
groups = ["main", "dev"]
markers = {{main = "python_version < \"3.11\"", dev = "python_version >= \"3.9\""}}
files = [{{file = "tomli-2.2.1-py3-none-any.whl", hash = "sha256:{A}"}}]

[[package]]
name = "web"
version = "3.1.0"
optional = false
groups = ["main"]
files = [
    {{file = "web-3.1.0-py3-none-any.whl", hash = "sha256:{A}"}},
    {{file = "web-3.1.0.tar.gz", hash = "sha256:{B}"}},
]

[package.dependencies]
colour = {{version = "*", markers = "platform_system == \"Windows\""}}

[metadata]
lock-version = "{lock_version}"
python-versions = ">=3.9"
content-hash = "00"
"#
    )
}

#[test]
fn poetry_lock_installs_the_main_group_whose_markers_hold() {
    let requirements = read("poetry.lock", &poetry_lock("2.1"), "3.13/amd64").unwrap();
    assert_eq!(names(&requirements), [("web", "3.1.0", 2)]);
    assert_eq!(requirements.index_url, None, "no source: the configured index");
    let older = read("poetry.lock", &poetry_lock("2.1"), "3.10/amd64").unwrap();
    assert_eq!(names(&older), [("tomli", "2.2.1", 1), ("web", "3.1.0", 2)]);
}

#[test]
fn poetry_lock_refuses_locks_without_groups_and_other_sources() {
    let err = read("poetry.lock", &poetry_lock("2.0"), "3.13/amd64").unwrap_err();
    assert!(
        err.to_string()
            .contains("lock-version 2.0 does not say which group"),
        "{err}"
    );
    assert!(err.to_string().contains("poetry export"), "{err}");

    let git = poetry_lock("2.1").replace(
        "[package.dependencies]",
        "[package.source]\ntype = \"git\"\nurl = \"https://git.invalid/web\"\nreference = \"main\"\n\n[package.dependencies]",
    );
    let err = read("poetry.lock", &git, "3.13/amd64").unwrap_err();
    assert!(err.to_string().contains("`web` comes from a git source"), "{err}");

    let legacy = poetry_lock("2.1").replace(
        "[package.dependencies]",
        "[package.source]\ntype = \"legacy\"\nurl = \"https://index.invalid/simple/\"\nreference = \"mine\"\n\n[package.dependencies]",
    );
    let requirements = read("poetry.lock", &legacy, "3.13/amd64").unwrap();
    assert_eq!(
        requirements.index_url.as_deref(),
        Some("https://index.invalid/simple")
    );
}

#[test]
fn the_format_is_told_by_the_file_name() {
    assert_eq!(LockFormat::of(Path::new("app/uv.lock")), LockFormat::Uv);
    assert_eq!(LockFormat::of(Path::new("pylock.toml")), LockFormat::Pylock);
    assert_eq!(LockFormat::of(Path::new("pylock.dev.toml")), LockFormat::Pylock);
    assert_eq!(LockFormat::of(Path::new("poetry.lock")), LockFormat::Poetry);
    assert_eq!(
        LockFormat::of(Path::new("requirements.lock")),
        LockFormat::Requirements
    );
    let text = format!("web==3.1.0 --hash=sha256:{A}\n");
    assert_eq!(
        read("requirements.txt", &text, "3.13/amd64").unwrap(),
        Requirements::parse(&text).unwrap()
    );
}
