use super::*;
use crate::python::testing::WheelBuilder;
use buckle_testkit::server::Server;

fn requirement(name: &str, version: &str, hashes: Vec<Sha256>) -> Requirement {
    Requirement {
        name: ProjectName::new(name),
        version: version.into(),
        hashes,
        marker: None,
        line: 1,
    }
}

fn listed(filename: &str, sha256: Option<Sha256>) -> IndexFile {
    IndexFile {
        filename: filename.into(),
        url: format!("http://index/files/{filename}"),
        hashes: sha256
            .map(|d| BTreeMap::from([("sha256".to_owned(), d.hex())]))
            .unwrap_or_default(),
        size: None,
    }
}

fn t(s: &str) -> Target {
    s.parse().unwrap()
}

#[test]
fn the_best_compatible_wheel_is_chosen() {
    let files = [
        listed("markupsafe-3.0.2.tar.gz", None),
        listed(
            "MarkupSafe-3.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            None,
        ),
        listed(
            "MarkupSafe-3.0.2-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
            None,
        ),
        listed(
            "MarkupSafe-3.0.2-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            None,
        ),
        listed("MarkupSafe-3.0.2-cp311-cp311-musllinux_1_2_x86_64.whl", None),
        listed("MarkupSafe-3.0.1-cp311-cp311-manylinux_2_17_x86_64.whl", None),
    ];
    let r = requirement("markupsafe", "3.0.2", vec![]);
    assert_eq!(
        choose_wheel(&files, &r, &t("3.11/amd64")).unwrap().filename,
        "MarkupSafe-3.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    );
    assert_eq!(
        choose_wheel(&files, &r, &t("3.11/arm64")).unwrap().filename,
        "MarkupSafe-3.0.2-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
    );
    let err = choose_wheel(&files, &r, &t("3.12/amd64")).unwrap_err();
    assert!(
        err.to_string().starts_with("`markupsafe` 3.0.2 has no wheel for CPython 3.12 on amd64 (glibc 2.36); found MarkupSafe-3.0.2-cp311"),
        "{err}"
    );
}

#[test]
fn a_package_with_only_an_sdist_is_refused_by_name() {
    let files = [
        listed("legacy-1.0.tar.gz", None),
        listed("legacy-0.9-py3-none-any.whl", None),
    ];
    let err = choose_wheel(&files, &requirement("legacy", "1.0", vec![]), &t("3.13/amd64")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`legacy` 1.0 has no wheel, only source distributions (legacy-1.0.tar.gz)"
    );
    assert!(err.hint().unwrap().contains("wheels only"));
    let err = choose_wheel(&files, &requirement("legacy", "2.0", vec![]), &t("3.13/amd64")).unwrap_err();
    assert_eq!(err.to_string(), "`legacy` 2.0 has no files on the index");
}

#[test]
fn relative_urls_resolve_against_the_page() {
    let page = "http://h:1/simple/flask/";
    assert_eq!(absolute_url(page, "../../files/f.whl"), "http://h:1/files/f.whl");
    assert_eq!(absolute_url(page, "/p/f.whl"), "http://h:1/p/f.whl");
    assert_eq!(absolute_url(page, "f.whl"), "http://h:1/simple/flask/f.whl");
    assert_eq!(absolute_url(page, "https://o/f.whl"), "https://o/f.whl");
}

struct Fixture {
    server: Server,
    _cache: tempfile::TempDir,
    index: Index,
    wheel: WheelBuilder,
    good: Vec<u8>,
}

/// A loopback index serving one pure-Python wheel; `declared` is what the project
/// page says its sha256 is, `served` what the file URL answers.
fn fixture(served: impl Fn(&[u8]) -> Vec<u8>, declared: impl Fn(&[u8], &[u8]) -> Option<Sha256>) -> Fixture {
    let wheel =
        WheelBuilder::new("hello_app", "0.1.0", "py3-none-any").file("hello_app.py", b"WORD = 'hi'\n", 0o644);
    let good = wheel.build();
    let body = served(&good);
    let hashes = match declared(&good, &body) {
        Some(d) => format!("{{\"sha256\": \"{}\"}}", d.hex()),
        None => "{}".to_owned(),
    };
    let page = format!(
        "{{\"meta\": {{\"api-version\": \"1.1\"}}, \"name\": \"hello-app\", \"files\": [\
         {{\"filename\": \"{f}\", \"url\": \"../../files/{f}\", \"hashes\": {hashes}}},\
         {{\"filename\": \"hello_app-0.1.0.tar.gz\", \"url\": \"../../files/hello_app-0.1.0.tar.gz\", \"hashes\": {{}}}}]}}",
        f = wheel.file_name()
    );
    let server = Server::start(BTreeMap::from([
        ("/simple/hello-app/".to_owned(), page.into_bytes()),
        (format!("/files/{}", wheel.file_name()), body),
    ]));
    let cache = tempfile::tempdir().unwrap();
    let index = Index::new(
        Client::new(),
        &format!("{}/simple/", server.url()),
        Cache::new(cache.path()),
    );
    Fixture {
        server,
        _cache: cache,
        index,
        wheel,
        good,
    }
}

impl Fixture {
    /// Installs `hello-app` locked to the hash of the good wheel.
    fn install_locked(&self) -> Result<PythonInstall> {
        self.index.install(
            &requirements(Sha256::of(&self.good)),
            &t("3.13/amd64"),
            &InstallOptions::default(),
        )
    }
}

fn requirements(hash: Sha256) -> Requirements {
    Requirements::parse(&format!("hello-app==0.1.0 --hash=sha256:{}\n", hash.hex())).unwrap()
}

#[test]
fn wheel_from_a_loopback_index_installs_and_is_cached() {
    let f = fixture(|good| good.to_vec(), |good, _| Some(Sha256::of(good)));
    let reqs = requirements(Sha256::of(&f.good));
    let out = f
        .index
        .install(&reqs, &t("3.13/amd64"), &InstallOptions::default())
        .unwrap();
    assert!(out
        .tree
        .get(&buckle_oci::RelPath::new("usr/lib/python3/dist-packages/hello_app.py").unwrap())
        .is_some());
    assert_eq!(out.packages[0].purl(), "pkg:pypi/hello-app@0.1.0");
    assert_eq!(out.packages[0].sha256, Sha256::of(&f.good));
    let again = f
        .index
        .install(&reqs, &t("3.13/amd64"), &InstallOptions::default())
        .unwrap();
    assert_eq!(again, out);
    assert_eq!(
        f.server.count(&format!("/files/{}", f.wheel.file_name())),
        1,
        "the second install reads the cache"
    );
}

#[test]
fn tampered_wheel_served_under_the_locked_hash_is_refused() {
    let f = fixture(
        |good| {
            let mut bad = good.to_vec();
            bad.extend_from_slice(b"tampered");
            bad
        },
        |good, _| Some(Sha256::of(good)),
    );
    let err = f.install_locked().unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("`hello_app-0.1.0-py3-none-any.whl` of `hello-app` does not match the requirements file: expected one of "), "{text}");
    assert!(text.contains(&Sha256::of(&f.good).hex()), "{text}");
    assert!(matches!(err, Error::HashMismatch { .. }));
    assert!(
        !f.index.cache.contains(&Sha256::of(&f.good)),
        "nothing of the tampered file is kept"
    );
}

#[test]
fn tampered_wheel_declared_with_its_own_hash_is_refused() {
    let f = fixture(
        |good| [good, b"x".as_slice()].concat(),
        |_, served| Some(Sha256::of(served)),
    );
    let err = f.install_locked().unwrap_err();
    let Error::HashMismatch { actual, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(*actual, Sha256::of(&[f.good.as_slice(), b"x"].concat()));
}

#[test]
fn tampered_wheel_from_an_index_without_hashes_is_refused() {
    let f = fixture(|good| [good, b"y".as_slice()].concat(), |_, _| None);
    let err = f.install_locked().unwrap_err();
    assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
    let ok = fixture(|good| good.to_vec(), |_, _| None);
    ok.index
        .install(
            &requirements(Sha256::of(&ok.good)),
            &t("3.13/amd64"),
            &InstallOptions::default(),
        )
        .unwrap();
}

#[test]
fn a_project_missing_from_the_index_is_named() {
    let f = fixture(|good| good.to_vec(), |good, _| Some(Sha256::of(good)));
    let reqs =
        Requirements::parse(&format!("nothere==1.0 --hash=sha256:{}\n", Sha256::of(b"").hex())).unwrap();
    let err = f
        .index
        .install(&reqs, &t("3.13/amd64"), &InstallOptions::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("`nothere` is not on the index `{}/simple`", f.server.url())
    );
}

#[test]
fn an_index_without_pep_691_json_is_named() {
    let server = Server::start(BTreeMap::from([(
        "/simple/flask/".to_owned(),
        b"<!DOCTYPE html><html><body><a href=\"f.whl\">f.whl</a></body></html>".to_vec(),
    )]));
    let cache = tempfile::tempdir().unwrap();
    let index = Index::new(
        Client::new(),
        &format!("{}/simple", server.url()),
        Cache::new(cache.path()),
    );
    let err = index.files(&ProjectName::new("Flask")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}/simple/flask/` is not a PEP 691 JSON project page",
            server.url()
        )
    );
    let requests = server.requests();
    assert_eq!(requests[0].path, "/simple/flask/");
}

#[test]
fn a_wheel_sent_without_end_is_cut_off_at_the_size_the_index_gives() {
    let wheel =
        WheelBuilder::new("hello_app", "0.1.0", "py3-none-any").file("hello_app.py", b"WORD = 'hi'\n", 0o644);
    let good = wheel.build();
    let page = format!(
        "{{\"meta\": {{\"api-version\": \"1.1\"}}, \"name\": \"hello-app\", \"files\": [\
         {{\"filename\": \"{f}\", \"url\": \"../../files/{f}\", \"hashes\": {{\"sha256\": \"{h}\"}}, \"size\": {n}}}]}}",
        f = wheel.file_name(),
        h = Sha256::of(&good).hex(),
        n = good.len()
    );
    let file = format!("/files/{}", wheel.file_name());
    let server = Server::start(BTreeMap::from([
        ("/simple/hello-app/".to_owned(), page.into_bytes()),
        (file.clone(), good.clone()),
    ]));
    server.fail_always(&file, buckle_testkit::server::Fault::Endless);
    let cache = tempfile::tempdir().unwrap();
    let client = Client::builder()
        .attempts(2)
        .backoff(
            std::time::Duration::from_millis(5),
            std::time::Duration::from_millis(10),
        )
        .build();
    let index = Index::new(
        client,
        &format!("{}/simple/", server.url()),
        Cache::new(cache.path()),
    );
    let err = index
        .install(
            &requirements(Sha256::of(&good)),
            &t("3.13/amd64"),
            &InstallOptions::default(),
        )
        .unwrap_err();
    assert!(!index.cache.contains(&Sha256::of(&good)), "{err}");
    server.heal(&file);
    index
        .install(
            &requirements(Sha256::of(&good)),
            &t("3.13/amd64"),
            &InstallOptions::default(),
        )
        .unwrap();
}
