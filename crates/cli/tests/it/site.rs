//! `buckle site` on the built catalog: the pages, the not-scanned state, the server's
//! refusals and its regeneration, and the site in Debian's chromium driven by
//! Selenium (crates/site/tests/browser.py): no console error or failed request, every
//! link resolves, filtering works, every table shows with JavaScript off, axe-core
//! finds no serious violation; screenshots in target/test-artifacts/site.

use crate::catalog;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

#[test]
fn the_site_shows_every_image_with_its_findings_kev_first_and_its_downloads() {
    let f = catalog::built();
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let site_arg = site.to_str().unwrap();
    let run = f
        .buckle
        .run(&["site", "out", "-o", site_arg, "--specs", "catalog"])
        .ok();
    assert!(run.stderr.contains("Generated"), "{}", run.stderr);
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    for name in ["hello", "hello-dev", "foo"] {
        assert!(
            index.contains(&format!("href=\"images/{name}/index.html\"")),
            "{name}"
        );
    }
    assert!(
        index.contains("<strong>1 KEV</strong>"),
        "hello's libfoo1 is on the KEV list"
    );
    assert!(index.contains("Content-Security-Policy"));
    assert!(
        !index.contains("<script>") && !index.contains("style=\""),
        "nothing inline"
    );
    assert!(
        !index.contains("http://") && !index.contains("https://"),
        "nothing from elsewhere"
    );
    let hello = std::fs::read_to_string(site.join("images/hello/index.html")).unwrap();
    let kev = hello.find("CVE-2025-31337").unwrap();
    let open = hello.find("CVE-2099-0003").unwrap();
    assert!(kev < open, "KEV first");
    assert!(hello.contains("buckle test catalog/hello.toml --image out/hello"));
    assert!(hello.contains("<title id=\"chart-title\">hello compared with hello-dev</title>"));
    let foo = std::fs::read_to_string(site.join("images/foo/index.html")).unwrap();
    assert!(
        foo.contains("CVE-2025-31337 (KEV)"),
        "foo's advisory names the KEV fix"
    );
    let spdx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("images/hello/sbom.spdx.json")).unwrap()).unwrap();
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    let provenance: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("images/hello/provenance.dsse.json")).unwrap())
            .unwrap();
    assert_eq!(provenance["payloadType"], "application/vnd.in-toto+json");
    let csv = std::fs::read_to_string(site.join("images/hello/packages.csv")).unwrap();
    let inspected = f.buckle.run(&["inspect", "out/hello", "--json"]).ok().json();
    assert_eq!(
        csv.lines().count() - 1,
        inspected["packages"].as_array().unwrap().len()
    );
    assert!(csv.contains("\r\nlibfoo1,1.0-1,amd64,foo,"), "{csv}");

    // Without feed data nothing is called clean.
    let empty_cache = out.path().join("empty-cache");
    let bare = out.path().join("bare");
    let run = f
        .buckle
        .command()
        .args(["site", "out", "-o", bare.to_str().unwrap()])
        .env("BUCKLE_CACHE", &empty_cache)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let index = std::fs::read_to_string(bare.join("index.html")).unwrap();
    assert_eq!(index.matches("not scanned: no feed data").count(), 3, "{index}");
    assert!(!index.contains(" open<"), "{index}");
}

/// `buckle site --serve 127.0.0.1:0`, killed when dropped.
struct Served {
    child: Child,
    address: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(f: &crate::fixture::Fixture, site: &std::path::Path, more: &std::path::Path) -> Served {
    let mut child = f
        .buckle
        .command()
        .args(["site", "out"])
        .arg(more)
        .args(["--specs", "catalog", "--serve", "127.0.0.1:0", "-o"])
        .arg(site)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("Serving") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the server ended");
    }
    let address = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    // Keep reading stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    Served { child, address }
}

/// The status code and body of a raw request line sent to `address`.
fn raw(address: &str, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "{request}\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let status = reply.split(' ').nth(1).unwrap().parse().unwrap();
    (status, reply)
}

#[test]
fn the_server_refuses_to_leave_the_site_and_follows_rebuilds() {
    let f = catalog::built();
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    // A folder of images of this test's own (the catalog is shared with other tests).
    let more = out.path().join("more");
    std::fs::create_dir(&more).unwrap();
    let served = serve(f, &site, &more);
    let address = &served.address;

    let (status, reply) = raw(address, "GET / HTTP/1.1");
    assert_eq!(status, 200);
    assert!(
        reply.contains("Content-Security-Policy: default-src 'self'"),
        "{reply}"
    );
    std::fs::write(out.path().join("secret"), "outside the site").unwrap();
    for request in [
        "GET /../secret HTTP/1.1",
        "GET /%2e%2e/secret HTTP/1.1",
        "GET /images/..%2f..%2fsecret HTTP/1.1",
        "GET /images/ HTTP/1.1",
        "GET /.. HTTP/1.1",
    ] {
        let (status, reply) = raw(address, request);
        assert_eq!(status, 404, "{request}: {reply}");
        assert!(!reply.contains("outside the site"));
    }
    assert_eq!(raw(address, "POST /index.html HTTP/1.1").0, 405);
    assert_eq!(raw(address, "HEAD /style.css HTTP/1.1").0, 200);

    // A new image in a served folder shows on the index without a restart.
    let before = raw(address, "GET /index.html HTTP/1.1").1;
    assert!(!before.contains("images/foo-dev/"));
    f.buckle
        .run(&[
            "build",
            "catalog/foo.toml",
            "--variant",
            "dev",
            "-o",
            more.join("foo-dev").to_str().unwrap(),
        ])
        .ok();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !raw(address, "GET /index.html HTTP/1.1")
        .1
        .contains("images/foo-dev/")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the site was not regenerated"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

#[cfg(feature = "clients")]
#[test]
fn the_site_in_chromium_loads_cleanly_filters_works_without_javascript_and_passes_axe() {
    let f = catalog::built();
    let out = tempfile::tempdir().unwrap();
    let more = out.path().join("more");
    std::fs::create_dir(&more).unwrap();
    let served = serve(f, &out.path().join("site"), &more);
    let address = &served.address;
    let artifacts = catalog::artifacts("site");
    let axe = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/axe-core-4.11.0.tgz");
    let run = catalog::python()
        .arg(catalog::driver("crates/site/tests/browser.py"))
        .arg(format!("http://{address}/"))
        .arg(&artifacts)
        .arg(&axe)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "browser.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    eprintln!("{stdout}");
    for check in [
        "ok the index loads",
        "ok filtering the index",
        "ok filtering the packages",
        "ok all ",
        "ok axe-core",
        "ok with JavaScript off",
    ] {
        assert!(stdout.contains(check), "{check} missing:\n{stdout}");
    }
    for shot in ["index-desktop", "index-phone", "image-desktop", "image-phone"] {
        let png = std::fs::read(artifacts.join(format!("{shot}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{shot}");
    }
}
