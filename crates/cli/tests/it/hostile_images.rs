//! Hostile images given to the commands that read images (docs/SECURITY.md): each
//! gets a clear error or a well-defined answer, never a panic, within a bounded time
//! and within the memory budget.

use crate::cli::Buckle;
use buckle_digest::Sha256;
use serde_json::{json, Value};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// An OCI layout written blob by blob, so that it can be wrong in any way.
struct RawLayout<'a> {
    root: &'a Path,
}

impl RawLayout<'_> {
    fn new(root: &Path) -> RawLayout<'_> {
        std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
        std::fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        RawLayout { root }
    }

    fn blob(&self, bytes: &[u8]) -> Sha256 {
        let digest = Sha256::of(bytes);
        std::fs::write(self.root.join("blobs/sha256").join(digest.hex()), bytes).unwrap();
        digest
    }

    fn descriptor(&self, media_type: &str, bytes: &[u8]) -> Value {
        json!({"mediaType": media_type, "digest": self.blob(bytes).oci(), "size": bytes.len()})
    }

    /// index.json naming `top`.
    fn index(&self, top: Value) {
        let index = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": [top]});
        std::fs::write(self.root.join("index.json"), index.to_string()).unwrap();
    }

    /// An image of `layers` (each an uncompressed tar), gzip-compressed as given.
    fn image(&self, layers: &[Vec<u8>]) -> Value {
        let diff_ids: Vec<String> = layers.iter().map(|l| Sha256::of(l).oci()).collect();
        let config = json!({"architecture": "amd64", "os": "linux",
            "config": {"User": "65532:65532", "Entrypoint": ["/bin/app"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids}});
        let layer_descriptors: Vec<Value> = layers.iter().map(|l| self.descriptor(LAYER, &gzip(l))).collect();
        let manifest = json!({"schemaVersion": 2, "mediaType": MANIFEST,
            "config": self.descriptor(CONFIG, config.to_string().as_bytes()),
            "layers": layer_descriptors});
        self.descriptor(MANIFEST, manifest.to_string().as_bytes())
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A tar of `(name, content)` files, names written verbatim (up to 100 bytes).
fn tar(files: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, content) in files {
        let mut header = [0u8; 512];
        header[..name.len()].copy_from_slice(name);
        header[100..108].copy_from_slice(b"0000644\0");
        header[108..116].copy_from_slice(b"0000000\0");
        header[116..124].copy_from_slice(b"0000000\0");
        header[124..136].copy_from_slice(format!("{:011o}\0", content.len()).as_bytes());
        header[136..148].copy_from_slice(b"00000000000\0");
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
        header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(content);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

const STATUS: &[u8] = b"Package: app\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n\n";

/// How one run of buckle ended, and what it took.
struct Outcome {
    code: Option<i32>,
    signal: Option<i32>,
    stderr: String,
    elapsed: Duration,
    peak_rss_kib: i64,
}

/// The peak resident memory of a running process (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> Option<i64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs buckle, killing it after `limit`; its peak resident memory is sampled every
/// 10 ms from /proc while it runs.
fn run_bounded(buckle: &Buckle, args: &[&str], limit: Duration) -> Outcome {
    let started = Instant::now();
    let mut child: std::process::Child = buckle
        .command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).ok();
        text
    });
    let mut peak = 0;
    let exit = loop {
        peak = peak.max(peak_rss_kib(child.id()).unwrap_or(0));
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if started.elapsed() > limit {
            child.kill().ok();
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Outcome {
        code: exit.code(),
        signal: exit.signal(),
        stderr: reader.join().unwrap(),
        elapsed: started.elapsed(),
        peak_rss_kib: peak,
    }
}

struct Case {
    name: &'static str,
    make: fn(&Path),
    /// Whether every command must refuse the image (else it may answer, within the
    /// time and memory bounds, when it does not need what is hostile in it).
    refused: bool,
    /// A refusal's error must contain this.
    error: &'static str,
    /// `--memory-budget` for the case (default: buckle's own).
    budget: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "gzip bomb: a 1 GiB dpkg status file in a 1 MiB layer",
            make: |root| {
                let layout = RawLayout::new(root);
                let mut status = STATUS.to_vec();
                status.resize(1 << 30, b'\n');
                let layer = tar(&[(b"var/lib/dpkg/status", &status)]);
                let image = layout.image(&[layer]);
                layout.index(image);
            },
            refused: false,
            error: "memory budget of 512 MiB",
            budget: None,
        },
        Case {
            name: "200 000 entries against an 8 MiB budget",
            make: |root| {
                let layout = RawLayout::new(root);
                let names: Vec<Vec<u8>> = (0..200_000)
                    .map(|i| format!("usr/share/f{i}").into_bytes())
                    .collect();
                let files: Vec<(&[u8], &[u8])> = names.iter().map(|n| (n.as_slice(), &b""[..])).collect();
                let image = layout.image(&[tar(&files)]);
                layout.index(image);
            },
            refused: false,
            error: "memory budget of 8 MiB",
            budget: Some("8M"),
        },
        Case {
            name: "layer path traversal",
            make: |root| {
                let layout = RawLayout::new(root);
                let image = layout.image(&[tar(&[(b"../../../../etc/cron.d/pwn", b"* * * * * root id\n")])]);
                layout.index(image);
            },
            refused: true,
            error: "`..` component",
            budget: None,
        },
        Case {
            name: "indexes that name their child twice, 40 deep (2^40 paths)",
            make: |root| {
                let layout = RawLayout::new(root);
                // An index cannot name itself (its digest would have to contain itself):
                // repeating a child at every level is the same loop, unrolled.
                let mut top = layout.image(&[tar(&[(b"var/lib/dpkg/status", STATUS)])]);
                for _ in 0..40 {
                    let wrapper =
                        json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": [top.clone(), top]});
                    top = layout.descriptor(INDEX, wrapper.to_string().as_bytes());
                }
                layout.index(top);
            },
            refused: true,
            error: "",
            budget: None,
        },
        Case {
            name: "indexes nested 64 deep",
            make: |root| {
                let layout = RawLayout::new(root);
                let mut top = layout.image(&[tar(&[(b"var/lib/dpkg/status", STATUS)])]);
                for _ in 0..64 {
                    let wrapper = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": [top]});
                    top = layout.descriptor(INDEX, wrapper.to_string().as_bytes());
                }
                layout.index(top);
            },
            refused: true,
            error: "",
            budget: None,
        },
        Case {
            name: "a manifest that claims 5 GB",
            make: |root| {
                let layout = RawLayout::new(root);
                let mut top = layout.image(&[tar(&[(b"var/lib/dpkg/status", STATUS)])]);
                top["size"] = json!(5_000_000_000u64);
                layout.index(top);
            },
            refused: true,
            error: "",
            budget: None,
        },
        Case {
            name: "a layer whose bytes do not match its digest",
            make: |root| {
                let layout = RawLayout::new(root);
                let top = layout.image(&[tar(&[(b"var/lib/dpkg/status", STATUS)])]);
                let manifest: Value = serde_json::from_slice(&blob(root, &top)).unwrap();
                let layer = &manifest["layers"][0];
                let path = blob_path(root, layer);
                let mut bytes = std::fs::read(&path).unwrap();
                let last = bytes.len() - 9;
                bytes[last] ^= 0xff;
                std::fs::write(&path, bytes).unwrap();
                layout.index(top);
            },
            refused: true,
            error: "",
            budget: None,
        },
        Case {
            name: "a layer whose size does not match its descriptor",
            make: |root| {
                let layout = RawLayout::new(root);
                let top = layout.image(&[tar(&[(b"var/lib/dpkg/status", STATUS)])]);
                let mut manifest: Value = serde_json::from_slice(&blob(root, &top)).unwrap();
                manifest["layers"][0]["size"] = json!(manifest["layers"][0]["size"].as_u64().unwrap() - 7);
                let top = layout.descriptor(MANIFEST, manifest.to_string().as_bytes());
                layout.index(top);
            },
            refused: true,
            error: "",
            budget: None,
        },
        Case {
            name: "whiteouts of the root, of a parent and of `..`",
            make: |root| {
                let layout = RawLayout::new(root);
                let image = layout.image(&[
                    tar(&[(b"var/lib/dpkg/status", STATUS), (b"usr/bin/app", b"x")]),
                    tar(&[
                        (b".wh..wh..opq", b""),
                        (b"usr/.wh...", b""),
                        (b"var/lib/.wh.dpkg", b""),
                    ]),
                ]);
                layout.index(image);
            },
            refused: false,
            error: "",
            budget: None,
        },
    ]
}

fn blob_path(root: &Path, descriptor: &Value) -> std::path::PathBuf {
    let digest = descriptor["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:");
    root.join("blobs/sha256").join(digest)
}

fn blob(root: &Path, descriptor: &Value) -> Vec<u8> {
    std::fs::read(blob_path(root, descriptor)).unwrap()
}

#[test]
fn hostile_images_get_clear_errors_within_time_and_memory() {
    // The test archive's fixture, for its cache: trixie's archive feed is there, so that
    // `scan` gets as far as reading the image.
    let archive = crate::fixture::Fixture::new();
    archive.update_archive_feed();
    let dir = archive.dir.path();
    let buckle = &archive.buckle;
    let mut failures = Vec::new();
    for (number, case) in cases().into_iter().enumerate() {
        let image = dir.join(format!("image-{number}"));
        (case.make)(&image);
        let image = image.to_str().unwrap().to_owned();
        let hardened = format!("{image}-hardened");
        let commands: [&[&str]; 6] = [
            &["check"],
            &["sbom"],
            &["inspect"],
            &["diff", &image],
            &["scan", "--release", "trixie"],
            &["harden", "--offline", "-o", &hardened],
        ];
        for command in commands {
            let mut args: Vec<&str> = command.to_vec();
            args.insert(1, &image);
            if let Some(budget) = case.budget {
                args.extend(["--memory-budget", budget]);
            }
            let outcome = run_bounded(buckle, &args, Duration::from_secs(120));
            let what = format!("{} / buckle {}", case.name, command[0]);
            let first_line = outcome
                .stderr
                .lines()
                .find(|l| l.contains("error"))
                .unwrap_or("")
                .to_owned();
            match (outcome.code, outcome.signal) {
                (Some(101), _) => failures.push(format!("{what}: panicked: {}", outcome.stderr)),
                (None, signal) => failures.push(format!(
                    "{what}: killed by signal {signal:?} after {:?}",
                    outcome.elapsed
                )),
                (Some(0), _) if case.refused => failures.push(format!("{what}: succeeded")),
                (Some(code), _) if code != 0 && !outcome.stderr.contains(case.error) => failures.push(
                    format!("{what}: exit {code} without `{}`: {}", case.error, outcome.stderr),
                ),
                _ => {}
            }
            if outcome.peak_rss_kib > 640 << 10 {
                failures.push(format!(
                    "{what}: peak memory {} MiB ({first_line})",
                    outcome.peak_rss_kib >> 10
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
