//! Each rule on small real images: the hardened image passes, one change fails it.

use crate::support::*;
use buckle_check::{check, FileView, Policy, Status};
use buckle_oci::annotation;
use buckle_oci::tar::{Entry, EntryKind};

fn status(image: &TestImage, rule: &str) -> (Status, String) {
    let report = image.report();
    let f = finding(&report, rule);
    (f.status, f.message.clone())
}

#[test]
fn the_hardened_image_scores_100_and_fails_nothing() {
    let report = TestImage::hardened().report();
    let bad: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.deduction > 0 || f.status == Status::Fail)
        .map(|f| format!("{} {}: {}", f.rule, f.status, f.message))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(report.score, 100);
    assert_eq!(report.explanation(), "100 = 100");
}

#[test]
fn root_user_is_found_whether_unset_zero_root_or_a_uid_0_name() {
    let passwd_with_toor = {
        let mut layer = hardened_layer();
        layer.retain(|(e, _)| e.path.as_str() != "etc/passwd");
        layer.push(file(
            "etc/passwd",
            0o644,
            b"root:x:0:0::/root:/bin/false\ntoor:x:0:0::/root:/bin/false\n",
        ));
        layer
    };
    let cases = [
        (
            TestImage::hardened().user(None),
            "the image runs as root: `User` is not set",
        ),
        (
            TestImage::hardened().user(Some("0")),
            "the image runs as root: `User` `0` has uid 0: config:User (`0`)",
        ),
        (
            TestImage::hardened().user(Some("root:root")),
            "the image runs as root: `User` is `root`: config:User (`root:root`)",
        ),
        (
            TestImage {
                layers: vec![],
                created_by: vec![],
                ..TestImage::hardened()
            }
            .layer(passwd_with_toor)
            .user(Some("toor")),
            "the image runs as root: `User` `toor` has uid 0: config:User (`toor`)",
        ),
    ];
    for (image, expected) in cases {
        let (status, message) = status(&image, "BKL-USER-ROOT");
        assert_eq!(status, Status::Fail);
        assert!(message.starts_with(expected), "{message}");
    }
}

#[test]
fn a_user_name_missing_from_passwd_fails_and_the_root_group_warns() {
    let (status_app, message) = status(&TestImage::hardened().user(Some("app")), "BKL-USER-ROOT");
    assert_eq!(status_app, Status::Fail);
    assert!(
        message.contains("user `app` cannot be resolved to a uid (/etc/passwd does not list it)"),
        "{message}"
    );
    let (status_group, message) = status(&TestImage::hardened().user(Some("65532:0")), "BKL-USER-ROOT");
    assert_eq!(status_group, Status::Warn);
    assert!(message.contains("with the root group (`0`)"), "{message}");
    let (status_ok, message) = status(&TestImage::hardened().user(Some("nonroot")), "BKL-USER-ROOT");
    assert_eq!(
        (status_ok, message.as_str()),
        (Status::Pass, "the image runs as uid 65532 (`nonroot`)")
    );
}

fn with_shell_and_apt() -> TestImage {
    TestImage::hardened().layer(vec![
        link("bin", "usr/bin"),
        dir("usr", 0o755),
        dir("usr/bin", 0o755),
        file("usr/bin/dash", 0o755, b"\x7fELF dash"),
        link("usr/bin/sh", "dash"),
        link("usr/bin/bash", "missing-bash"),
        file("usr/bin/apt-get", 0o755, b"\x7fELF apt"),
        file("usr/bin/pip3", 0o755, b"#!/usr/bin/python3\n"),
        dir("usr/local", 0o755),
        dir("usr/local/bin", 0o755),
        file("usr/local/bin/pip", 0o755, b"#!/usr/local/bin/python\n"),
    ])
}

#[test]
fn shells_count_only_when_they_resolve_to_a_file() {
    let report = with_shell_and_apt().report();
    let shell = finding(&report, "BKL-SHELL");
    assert_eq!(shell.status, Status::Fail);
    let locations: Vec<&str> = shell.evidence.iter().map(|e| e.location.as_str()).collect();
    assert_eq!(locations, ["/usr/bin/dash", "/usr/bin/sh"]);
    assert!(
        shell.message.contains("/usr/bin/sh (link to /usr/bin/dash)"),
        "{}",
        shell.message
    );
    assert!(
        shell.message.starts_with("a shell is present"),
        "{}",
        shell.message
    );
}

#[test]
fn package_managers_include_system_pip_but_not_an_application_pip() {
    let report = with_shell_and_apt().report();
    let managers = finding(&report, "BKL-PACKAGE-MANAGER");
    assert_eq!(managers.status, Status::Fail);
    let locations: Vec<&str> = managers.evidence.iter().map(|e| e.location.as_str()).collect();
    assert_eq!(locations, ["/usr/bin/apt-get", "/usr/bin/pip3"]);
}

#[test]
fn dev_variants_fail_shell_and_package_manager_rules_saying_they_are_dev() {
    let labelled = with_shell_and_apt().label("dev.buckle.variant", "dev").report();
    for rule in ["BKL-SHELL", "BKL-PACKAGE-MANAGER"] {
        let f = finding(&labelled, rule);
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message.starts_with(
                "this is the dev variant (label `dev.buckle.variant=dev`), meant for build stages"
            ),
            "{}",
            f.message
        );
        assert!(f.hint.contains("build stages"), "{}", f.hint);
    }
    assert_eq!(labelled.variant, buckle_check::Variant::Dev);
    let titled = with_shell_and_apt()
        .annotation(annotation::TITLE, "python-dev")
        .report();
    assert!(finding(&titled, "BKL-SHELL")
        .message
        .contains("an image title ending in `-dev`"));
}

#[test]
fn a_debugging_image_fails_the_shell_rule_saying_it_has_one_by_design() {
    let report = with_shell_and_apt()
        .label("dev.buckle.debug", "attach with kubectl debug")
        .report();
    let shell = finding(&report, "BKL-SHELL");
    assert_eq!(shell.status, Status::Fail);
    assert!(
        shell.message.starts_with(
            "this is a debugging image (label `dev.buckle.debug`: attach with kubectl debug): it ships a shell by design"
        ),
        "{}",
        shell.message
    );
    assert!(shell.hint.contains("kubectl debug"), "{}", shell.hint);
}

#[test]
fn setuid_and_setgid_files_are_named_with_owner_but_setgid_directories_are_not() {
    let image = TestImage::hardened().layer(vec![
        dir("usr", 0o755),
        dir("usr/bin", 0o755),
        file("usr/bin/su", 0o4755, b"\x7fELF su"),
        file("usr/bin/wall", 0o2755, b"\x7fELF wall"),
        dir("var/mail", 0o2775),
    ]);
    let (status, message) = status(&image, "BKL-SETUID");
    assert_eq!(status, Status::Fail);
    assert_eq!(
        message,
        "setuid or setgid files are present: /usr/bin/su (setuid uid 0), /usr/bin/wall (setgid gid 0)"
    );
}

#[test]
fn world_writable_files_and_non_sticky_directories_fail() {
    let image = TestImage::hardened().layer(vec![
        file("etc/open", 0o666, b"x"),
        dir("srv", 0o777),
        dir("shared", 0o1777),
        link("etc/link", "open"),
    ]);
    let (status, message) = status(&image, "BKL-WORLD-WRITABLE");
    assert_eq!(status, Status::Fail);
    assert_eq!(
        message,
        "world-writable files or directories without the sticky bit: /etc/open (mode 0666, file), /srv (mode 0777, directory without the sticky bit)"
    );
}

#[test]
fn device_nodes_fail() {
    // The layer writer refuses device nodes, so this one is added to the view by hand.
    let mut view = TestImage::hardened().view();
    let node = Entry {
        kind: EntryKind::CharDevice,
        ..Entry::file(p("dev/mem"), 0o600, 0)
    };
    view.files.insert(p("dev/mem"), FileView::new(node, 0));
    let report = check(&view, &Policy::default());
    let f = finding(&report, "BKL-DEVICE-NODE");
    assert_eq!(
        (f.status, f.message.as_str()),
        (
            Status::Fail,
            "device nodes are present: /dev/mem (character device)"
        )
    );
}

#[test]
fn tmp_must_be_a_1777_directory() {
    let missing = TestImage::hardened().layer(vec![whiteout("tmp")]);
    assert_eq!(
        status(&missing, "BKL-TMP"),
        (Status::Fail, "/tmp does not exist: /tmp (missing)".into())
    );
    let closed = TestImage::hardened().layer(vec![dir("tmp", 0o755)]);
    assert_eq!(
        status(&closed, "BKL-TMP"),
        (
            Status::Fail,
            "/tmp has mode 0755, not 1777: /tmp (mode 0755)".into()
        )
    );
}

#[test]
fn entrypoints_needing_a_shell_fail() {
    let script = TestImage::hardened()
        .layer(vec![file(
            "docker-entrypoint.sh",
            0o755,
            b"#!/bin/sh\nexec \"$@\"\n",
        )])
        .entrypoint(&["/sbin/tini", "--", "/docker-entrypoint.sh"]);
    assert_eq!(
        status(&script, "BKL-ENTRYPOINT-SHELL"),
        (
            Status::Fail,
            "`/docker-entrypoint.sh` is a shell script (`#!/bin/sh`) and breaks without a shell: /docker-entrypoint.sh (`#!/bin/sh`)".into()
        )
    );
    let shell_form = TestImage::hardened().entrypoint(&["/bin/sh", "-c", "exec /usr/bin/app"]);
    let (status_form, message) = status(&shell_form, "BKL-ENTRYPOINT-SHELL");
    assert_eq!(status_form, Status::Fail);
    assert!(
        message.starts_with("the command is in shell form (`/bin/sh -c exec /usr/bin/app`)"),
        "{message}"
    );
    let via_bash = TestImage::hardened().entrypoint(&["bash", "/start.sh"]);
    assert!(status(&via_bash, "BKL-ENTRYPOINT-SHELL")
        .1
        .starts_with("the command runs `/start.sh` through the shell `bash`"));
}

#[test]
fn entrypoints_without_a_shell_pass_and_missing_ones_warn() {
    let by_path = TestImage::hardened().entrypoint(&["app"]);
    assert_eq!(
        status(&by_path, "BKL-ENTRYPOINT-SHELL"),
        (Status::Pass, "`/usr/bin/app` runs without a shell".into())
    );
    let python = TestImage::hardened()
        .layer(vec![file(
            "serve.py",
            0o755,
            b"#!/usr/bin/env python3\nprint(1)\n",
        )])
        .entrypoint(&["/serve.py"]);
    assert_eq!(status(&python, "BKL-ENTRYPOINT-SHELL").0, Status::Pass);
    let missing = TestImage::hardened().entrypoint(&["/nowhere"]);
    assert_eq!(status(&missing, "BKL-ENTRYPOINT-SHELL").0, Status::Warn);
    let mut none = TestImage::hardened();
    none.config.entrypoint = None;
    assert_eq!(status(&none, "BKL-ENTRYPOINT-SHELL").0, Status::NotApplicable);
}

const CATALOG_NGINX_CONF: &[u8] = b"pid /tmp/nginx.pid;\nerror_log stderr notice;\nhttp {\n access_log /dev/stdout;\n client_body_temp_path /tmp/client_body;\n proxy_temp_path /tmp/proxy;\n fastcgi_temp_path /tmp/fastcgi;\n uwsgi_temp_path /tmp/uwsgi;\n scgi_temp_path /tmp/scgi;\n}\n";

fn nginx(conf: Option<&[u8]>) -> TestImage {
    let mut layer = vec![
        dir("usr/sbin", 0o755),
        file("usr/sbin/nginx", 0o755, b"\x7fELF nginx"),
        link("var/run", "/run"),
    ];
    if let Some(conf) = conf {
        layer.push(dir("etc/nginx", 0o755));
        layer.push(file("etc/nginx/nginx.conf", 0o644, conf));
    }
    TestImage::hardened().layer(layer)
}

#[test]
fn nginx_with_debian_defaults_writes_outside_any_volume() {
    let (status, message) = status(&nginx(None), "BKL-READONLY-ROOT-WRITES");
    assert_eq!(status, Status::Fail);
    assert!(
        message.starts_with("nginx would write outside any volume at start-up, which fails under a read-only root: /run/nginx.pid (nginx `pid` (default)), /var/log/nginx/access.log"),
        "{message}"
    );
    assert!(message.contains("/var/lib/nginx/body"), "{message}");
}

#[test]
fn nginx_configured_for_tmp_passes_only_with_a_tmp_volume() {
    let with_volume = nginx(Some(CATALOG_NGINX_CONF)).volume("/tmp");
    assert_eq!(
        status(&with_volume, "BKL-READONLY-ROOT-WRITES"),
        (
            Status::Pass,
            "every start-up write of nginx is covered (/tmp)".into()
        )
    );
    let (without, message) = status(&nginx(Some(CATALOG_NGINX_CONF)), "BKL-READONLY-ROOT-WRITES");
    assert_eq!(without, Status::Fail);
    assert!(
        message.contains("/tmp/nginx.pid (nginx `pid` (nginx.conf))"),
        "{message}"
    );
    let run_volume = nginx(None)
        .volume("/run")
        .volume("/var/log/nginx")
        .volume("/var/lib/nginx");
    assert_eq!(status(&run_volume, "BKL-READONLY-ROOT-WRITES").0, Status::Pass);
    assert_eq!(
        status(&TestImage::hardened(), "BKL-READONLY-ROOT-WRITES").0,
        Status::NotApplicable
    );
}

#[test]
fn apache2_is_judged_with_debians_configuration_and_postgres_by_its_socket_directory() {
    let apache2 = |envvars: bool| {
        let mut layer = vec![
            dir("usr/sbin", 0o755),
            file("usr/sbin/apache2", 0o755, b"\x7fELF apache2"),
        ];
        if envvars {
            layer.push(dir("etc/apache2", 0o755));
            layer.push(file(
                "etc/apache2/envvars",
                0o644,
                b"export APACHE_RUN_DIR=/var/run/apache2\n",
            ));
        }
        TestImage::hardened().layer(layer).volume("/tmp")
    };
    let (debian, message) = status(&apache2(true), "BKL-READONLY-ROOT-WRITES");
    assert_eq!(debian, Status::Fail);
    assert!(
        message.contains("/var/run/apache2 (apache2 run directory)"),
        "{message}"
    );
    assert_eq!(
        status(&apache2(false), "BKL-READONLY-ROOT-WRITES").0,
        Status::NotApplicable
    );
    let postgres = || {
        TestImage::hardened()
            .layer(vec![
                dir("usr/lib/postgresql/17/bin", 0o755),
                file("usr/lib/postgresql/17/bin/postgres", 0o755, b"\x7fELF postgres"),
            ])
            .volume("/tmp")
    };
    let (default, message) = status(&postgres(), "BKL-READONLY-ROOT-WRITES");
    assert_eq!(default, Status::Fail);
    assert!(message.contains("/var/run/postgresql"), "{message}");
    let moved = postgres().entrypoint(&[
        "/usr/lib/postgresql/17/bin/postgres",
        "-c",
        "unix_socket_directories=/tmp",
    ]);
    assert_eq!(
        status(&moved, "BKL-READONLY-ROOT-WRITES"),
        (
            Status::Pass,
            "every start-up write of postgres is covered (/tmp)".into()
        )
    );
}

#[test]
fn php_fpm_is_judged_by_the_paths_its_configuration_names() {
    let fpm = |conf: Option<&[u8]>| {
        let mut layer = vec![
            dir("usr/sbin", 0o755),
            file("usr/sbin/php-fpm8.4", 0o755, b"\x7fELF php-fpm"),
            dir("etc/php/8.4/fpm/pool.d", 0o755),
            file(
                "etc/php/8.4/fpm/pool.d/www.conf",
                0o644,
                b"[www]\nuser = www-data\nlisten = /run/php/php8.4-fpm.sock\n",
            ),
        ];
        if let Some(conf) = conf {
            layer.push(file("etc/php/8.4/fpm/php-fpm.conf", 0o644, conf));
        }
        TestImage::hardened().layer(layer)
    };
    let debian = b"[global]\npid = /run/php/php8.4-fpm.pid\nerror_log = /var/log/php8.4-fpm.log\ninclude=/etc/php/8.4/fpm/pool.d/*.conf\n";
    let (status_debian, message) = status(&fpm(Some(debian)), "BKL-READONLY-ROOT-WRITES");
    assert_eq!(status_debian, Status::Fail);
    for write in [
        "/run/php/php8.4-fpm.pid (php-fpm `pid` (/etc/php/8.4/fpm/php-fpm.conf))",
        "/var/log/php8.4-fpm.log",
        "/run/php/php8.4-fpm.sock (php-fpm `listen` (/etc/php/8.4/fpm/pool.d/www.conf))",
    ] {
        assert!(message.contains(write), "{write}: {message}");
    }
    // The catalog's: logs to stderr, TCP, no pid file, pool.d not included.
    let container = b"[global]\nerror_log = /proc/self/fd/2\n; pid = /run/x.pid\n[www]\nlisten = ${PHP_FPM_LISTEN}\naccess.log = /proc/self/fd/2\n";
    assert_eq!(
        status(&fpm(Some(container)), "BKL-READONLY-ROOT-WRITES").0,
        Status::Pass
    );
    let (unread, message) = status(&fpm(None), "BKL-READONLY-ROOT-WRITES");
    assert_eq!(unread, Status::Fail);
    assert!(message.contains("/run/php (php-fpm run directory"), "{message}");
}

#[test]
fn missing_package_metadata_fails_when_there_are_binaries() {
    let mut layer = hardened_layer();
    layer.retain(|(e, _)| !e.path.as_str().starts_with("var/lib/dpkg"));
    let image = TestImage {
        layers: vec![],
        created_by: vec![],
        ..TestImage::hardened()
    }
    .layer(layer.clone());
    let (status_missing, message) = status(&image, "BKL-PACKAGE-METADATA-MISSING");
    assert_eq!(status_missing, Status::Fail);
    assert!(
        message.contains("although the image holds 1 ELF files"),
        "{message}"
    );
    assert_eq!(
        status(&image, "BKL-PACKAGE-METADATA-STALE").0,
        Status::NotApplicable
    );
    layer.retain(|(e, _)| e.path.as_str() != "usr/bin/app");
    let empty = TestImage {
        layers: vec![],
        created_by: vec![],
        ..TestImage::hardened()
    }
    .layer(layer);
    assert_eq!(
        status(&empty, "BKL-PACKAGE-METADATA-MISSING").0,
        Status::NotApplicable
    );
}

#[test]
fn binaries_no_package_lists_are_stale_and_merged_usr_paths_are_owned() {
    let image = TestImage::hardened().layer(vec![
        link("bin", "usr/bin"),
        file("usr/bin/ls", 0o755, b"\x7fELF ls"),
        dir("usr/local/bin", 0o755),
        file("usr/local/bin/tool", 0o755, b"\x7fELF tool"),
        file("usr/local/bin/script", 0o755, b"#!/usr/bin/python3\n"),
        dir("usr/sbin", 0o755),
        file("usr/sbin/copied", 0o755, b"\x7fELF copied"),
        dir("var/lib/dpkg/info", 0o755),
        file("var/lib/dpkg/status", 0o644, b"Package: coreutils\nStatus: install ok installed\nVersion: 9.1\n\nPackage: gone\nStatus: deinstall ok config-files\n"),
        file("var/lib/dpkg/info/coreutils.list", 0o644, b"/.\n/bin\n/bin/ls\n"),
    ]);
    let report = image.report();
    let stale = finding(&report, "BKL-PACKAGE-METADATA-STALE");
    assert_eq!(stale.status, Status::Fail);
    let locations: Vec<&str> = stale.evidence.iter().map(|e| e.location.as_str()).collect();
    assert_eq!(locations, ["/usr/sbin/copied"]);
    // /usr/local is no package's: listed, at no cost.
    let local = finding(&report, "BKL-LOCAL-BINARIES");
    assert_eq!(local.status, Status::Warn);
    let locations: Vec<&str> = local.evidence.iter().map(|e| e.location.as_str()).collect();
    assert_eq!(locations, ["/usr/local/bin/tool"]);
    let missing = finding(&report, "BKL-PACKAGE-METADATA-MISSING");
    assert_eq!(
        missing.message,
        "package metadata found: /var/lib/dpkg/status, /var/lib/dpkg/status.d/, 2 packages"
    );
}

#[test]
fn a_compiled_extension_a_python_wheel_records_belongs_to_it_and_an_unrecorded_one_is_stale() {
    let site = "usr/lib/python3/dist-packages";
    let record = "markupsafe/__init__.py,sha256=x,10\nmarkupsafe/_speedups.cpython-313-x86_64-linux-gnu.so,sha256=y,20\n\"../../../bin/odd,name\",sha256=z,5\nMarkupSafe-3.0.2.dist-info/RECORD,,\n";
    let image = TestImage::hardened().layer(vec![
        dir("var/lib/dpkg/info", 0o755),
        file(
            "var/lib/dpkg/status",
            0o644,
            b"Package: python3\nStatus: install ok installed\nVersion: 3.13\n",
        ),
        file("var/lib/dpkg/info/python3.list", 0o644, b"/.\n/usr/bin/python3\n"),
        file("usr/bin/python3", 0o755, b"\x7fELF python"),
        file("usr/bin/odd,name", 0o755, b"\x7fELF odd"),
        file(
            &format!("{site}/markupsafe/_speedups.cpython-313-x86_64-linux-gnu.so"),
            0o644,
            b"\x7fELF ext",
        ),
        file(
            &format!("{site}/markupsafe/_unrecorded.so"),
            0o644,
            b"\x7fELF other",
        ),
        file(
            &format!("{site}/MarkupSafe-3.0.2.dist-info/RECORD"),
            0o644,
            record.as_bytes(),
        ),
    ]);
    let report = image.report();
    let stale = finding(&report, "BKL-PACKAGE-METADATA-STALE");
    assert_eq!(stale.status, Status::Fail);
    let locations: Vec<&str> = stale.evidence.iter().map(|e| e.location.as_str()).collect();
    assert_eq!(locations, [format!("/{site}/markupsafe/_unrecorded.so")]);
}

#[test]
fn attachments_are_required_for_layouts_and_not_applicable_to_docker_archives() {
    let mut bare = TestImage::hardened();
    bare.referrers.clear();
    let report = bare.report();
    for (rule, what) in [
        ("BKL-ATTACH-SBOM", "SBOM"),
        ("BKL-ATTACH-PROVENANCE", "provenance"),
        ("BKL-ATTACH-SIGNATURE", "signature"),
    ] {
        let f = finding(&report, rule);
        assert_eq!(f.status, Status::Fail, "{rule}");
        assert!(
            f.message
                .starts_with(&format!("no {what} is attached to the image")),
            "{}",
            f.message
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("app.tar");
    bare.write_docker_archive(&archive);
    let view = view_of_archive(&archive);
    assert_eq!(view.tags, ["example/app:1.0"]);
    let report = check(&view, &Policy::default());
    let f = finding(&report, "BKL-ATTACH-SIGNATURE");
    assert_eq!(
        (f.status, f.message.as_str()),
        (
            Status::NotApplicable,
            "not applicable: a docker archive cannot carry attachments"
        )
    );
}

#[test]
fn cosign_signature_tags_count_as_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image");
    let mut image = TestImage::hardened();
    image.referrers.retain(|(t, _, _)| t == "application/spdx+json");
    let manifest = image.write_layout(&path);
    let mut layout = buckle_oci::layout::Layout::open(&path).unwrap();
    let signature = layout
        .put_blob("application/vnd.dev.cosign.simplesigning.v1+json", b"{}")
        .unwrap();
    // cosign's signature manifests carry a minimal image config.
    let cosign_config =
        br#"{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config = layout
        .put_blob("application/vnd.oci.image.config.v1+json", cosign_config)
        .unwrap();
    let tag = format!("sha256-{}.sig", manifest.digest.hex());
    layout
        .add_manifest(
            &buckle_oci::ImageManifest::new(config, vec![signature]),
            &[(annotation::REF_NAME, tag.as_str())],
        )
        .unwrap();
    let report = check(&view_of_layout_tag(&path, "1.0").unwrap(), &Policy::default());
    assert_eq!(finding(&report, "BKL-ATTACH-SIGNATURE").status, Status::Pass);
    assert_eq!(finding(&report, "BKL-ATTACH-PROVENANCE").status, Status::Fail);
}

#[test]
fn base_digest_tags_and_history_rules() {
    let mut derived = TestImage::hardened().layer(vec![file("app.txt", 0o644, b"x")]);
    derived.annotations.clear();
    assert_eq!(status(&derived, "BKL-BASE-UNPINNED").0, Status::Fail);
    let pinned = derived.clone().annotation(annotation::BASE_DIGEST, "sha256:abc");
    assert_eq!(status(&pinned, "BKL-BASE-UNPINNED").0, Status::Pass);
    let mut by_buckle = derived.clone();
    by_buckle.created_by = vec!["buckle: glibc layer".into(), "buckle: buckle layer".into()];
    assert_eq!(status(&by_buckle, "BKL-BASE-UNPINNED").0, Status::NotApplicable);

    assert_eq!(
        status(&TestImage::hardened().tag(Some("latest")), "BKL-TAG-LATEST"),
        (
            Status::Fail,
            "the image is tagged only `latest`: tag:latest".into()
        )
    );
    assert_eq!(
        status(&TestImage::hardened().tag(None), "BKL-TAG-LATEST").0,
        Status::NotApplicable
    );

    let remote = TestImage::hardened()
        .layer(vec![file("opt/x.tgz", 0o644, b"x")])
        .created_by("ADD https://downloads.example/x.tgz /opt/ # buildkit");
    assert_eq!(
        status(&remote, "BKL-HISTORY-ADD-REMOTE"),
        (
            Status::Fail,
            "build steps ADD remote URLs: history:1 (ADD https://downloads.example/x.tgz)".into()
        )
    );
    let alone = TestImage::hardened()
        .layer(vec![dir("var/lib/apt", 0o755)])
        .created_by("/bin/sh -c apt-get update");
    assert_eq!(status(&alone, "BKL-HISTORY-UPDATE-ALONE").0, Status::Fail);
    let together = TestImage::hardened()
        .layer(vec![dir("var/lib/apt", 0o755)])
        .created_by("/bin/sh -c apt-get update && apt-get install -y curl");
    assert_eq!(status(&together, "BKL-HISTORY-UPDATE-ALONE").0, Status::Pass);
}

#[test]
fn healthcheck_is_informational_and_costs_nothing() {
    let report = TestImage::hardened().report();
    let f = finding(&report, "BKL-HEALTHCHECK");
    assert_eq!(
        (f.status, f.deduction, f.cis.as_deref()),
        (Status::Warn, 0, Some("4.6"))
    );
    assert!(
        f.message.contains("distroless-style images usually have none"),
        "{}",
        f.message
    );
    let mut with = TestImage::hardened();
    with.config.extra.insert(
        "Healthcheck".into(),
        serde_json::json!({"Test": ["CMD", "/usr/bin/app", "--health"]}),
    );
    assert_eq!(status(&with, "BKL-HEALTHCHECK").0, Status::Pass);
}

#[test]
fn cis_ids_are_mapped_in_the_rule_metadata() {
    let cis = |id: &str| buckle_check::rules::find(id).and_then(|r| r.cis);
    assert_eq!(cis("BKL-USER-ROOT"), Some("4.1"));
    assert_eq!(cis("BKL-HEALTHCHECK"), Some("4.6"));
    assert_eq!(cis("BKL-HISTORY-UPDATE-ALONE"), Some("4.7"));
    assert_eq!(cis("BKL-SETUID"), Some("4.8"));
    assert_eq!(cis("BKL-HISTORY-ADD-REMOTE"), Some("4.9"));
    assert_eq!(cis("BKL-SECRET-ENV"), Some("4.10"));
    let ids: Vec<&str> = buckle_check::rules::catalog().iter().map(|r| r.id).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "rule ids are unique");
}

#[test]
fn reading_an_image_reports_each_layer_then_the_merge() {
    use std::cell::RefCell;
    #[derive(Default)]
    struct Log(RefCell<Vec<String>>);
    impl buckle_check::Reporter for Log {
        fn on_layer(&self, index: usize, layers: usize, size: u64) {
            assert!(size > 0);
            self.0.borrow_mut().push(format!("layer {index}/{layers}"));
        }
        fn on_merge(&self) {
            self.0.borrow_mut().push("merge".into());
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image");
    TestImage::hardened()
        .layer(vec![file("a", 0o644, b"a")])
        .write_layout(&path);
    let image = buckle_oci::open_image(&path, &Default::default()).unwrap();
    let log = Log::default();
    let view =
        buckle_check::ImageView::from_oci_with(&image, buckle_check::Attachments::docker_archive(), &log)
            .unwrap();
    assert_eq!(log.0.into_inner(), ["layer 0/2", "layer 1/2", "merge"]);
    assert_eq!(view.layers.len(), 2);
}

#[test]
fn end_of_life_warns_only_past_the_labelled_date_and_needs_a_clock() {
    // 2026-04-30 is Node 20's end of life; day 20573 since 1970.
    let node20 = TestImage::hardened().label(buckle_check::EOL_LABEL, "2026-04-30");
    let view = node20.view();
    let judge = |now: Option<u64>| {
        let report = buckle_check::check_at(&view, &Policy::default(), now);
        let f = finding(&report, "BKL-EOL");
        (f.status, f.deduction, f.message.clone())
    };
    let last_day = 20_573 * 86_400;
    let (past, deduction, message) = judge(Some(last_day + 86_400 + 5));
    assert_eq!((past, deduction), (Status::Warn, 5), "{message}");
    assert_eq!(
        message,
        "upstream support ended 2026-04-30, 1 days ago: dev.buckle.eol (2026-04-30)"
    );
    let (today, _, message) = judge(Some(last_day));
    assert_eq!(today, Status::Pass, "{message}");
    assert!(message.contains("0 days left"), "{message}");
    assert_eq!(judge(None).0, Status::NotApplicable);
    assert_eq!(status(&TestImage::hardened(), "BKL-EOL").0, Status::NotApplicable);
    let garbled = TestImage::hardened().label(buckle_check::EOL_LABEL, "someday");
    assert_eq!(status(&garbled, "BKL-EOL").0, Status::Warn);
}
