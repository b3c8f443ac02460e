//! Packages parse throughput on the real trixie amd64 index, beside libapt-pkg's
//! TagFile parser (python3-apt) as the peer, in one run.
//!
//! Run with `cargo bench -p buckle-archive --bench parse`. The index is fetched (and
//! verified) from the mirror in the host's apt configuration into
//! `target/tmp/bench-cache`, or read from `BUCKLE_BENCH_INDEX` (a decoded Packages
//! file) when set.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use buckle_archive::{packages::parse_index, Archive, Cache, Keyring, ReleaseDate};
use buckle_debian::deb822;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

const RUNS: usize = 5;

fn main() {
    let (path, warm) = index_path();
    let started = Instant::now();
    let bytes = std::fs::read(&path).expect("read the index");
    let text = String::from_utf8(bytes).expect("the index is UTF-8");
    let read = started.elapsed();
    let mb = text.len() as f64 / 1e6;
    println!("index: {} ({:.1} MB, read in {:?})", path.display(), mb, read);

    let split = best(|| deb822::paragraphs(&text).filter(|p| p.is_ok()).count());
    report(
        "deb822 split + field index (1 thread)",
        mb,
        split.0,
        split.1,
        "paragraphs",
    );

    let full = best(|| parse_index(&text).expect("the index parses"));
    report(
        &format!("BinaryPackage parse ({} threads)", rayon::current_num_threads()),
        mb,
        full.0,
        full.1,
        "packages",
    );

    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool");
    let one = single.install(|| best(|| parse_index(&text).expect("the index parses")));
    report("BinaryPackage parse (1 thread)", mb, one.0, one.1, "packages");

    if let Some(warm) = warm {
        let (time, count) = best(|| std::fs::read(&path).expect("read the index"));
        report("read the cached file (no hashing)", mb, time, count, "bytes");
        let (time, count) = best(|| buckle_digest::Sha256::of(text.as_bytes()).as_bytes().len());
        report("sha256 of the index", mb, time, count, "bytes");
        let (time, count) = best(warm);
        report(
            "warm index load: cache read + sha256 + parse",
            mb,
            time,
            count,
            "packages",
        );
    }

    match peer(&path) {
        Some((time, count)) => report(
            "peer: libapt-pkg TagFile via python3-apt (1 thread)",
            mb,
            time,
            count,
            "sections",
        ),
        None => println!("peer: /usr/bin/python3 with apt_pkg is not available"),
    }
}

fn report(what: &str, mb: f64, time: Duration, count: usize, unit: &str) {
    println!(
        "{what:<55} {:>8.1} MB/s  {:>7.1} ms  {count} {unit}",
        mb / time.as_secs_f64(),
        time.as_secs_f64() * 1e3
    );
}

/// The best time of [`RUNS`] runs, and the result's length. The result is dropped
/// outside the timed part: a lock keeps the packages.
fn best<T: Counted>(mut f: impl FnMut() -> T) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut count = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let result = std::hint::black_box(f());
        best = best.min(start.elapsed());
        count = result.count();
    }
    (best, count)
}

trait Counted {
    fn count(&self) -> usize;
}

impl Counted for usize {
    fn count(&self) -> usize {
        *self
    }
}

impl<T> Counted for Vec<T> {
    fn count(&self) -> usize {
        self.len()
    }
}

type WarmLoad = Box<dyn FnMut() -> Vec<buckle_debian::BinaryPackage>>;

/// The decoded index's path and, when fetched through the archive, a closure that
/// loads it the way a warm `buckle lock` does (from the cache, re-hashed, parsed).
fn index_path() -> (PathBuf, Option<WarmLoad>) {
    if let Some(path) = std::env::var_os("BUCKLE_BENCH_INDEX") {
        return (PathBuf::from(path), None);
    }
    let mirrors = buckle_archive::from_apt_config("/etc/apt".as_ref()).expect("read /etc/apt");
    let mirror = mirrors.archive().expect("a Debian mirror in /etc/apt");
    let cache = Cache::new(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-cache"));
    let archive = Archive::new(buckle_http::Client::new(), cache.clone());
    let now = ReleaseDate::from_system_time(SystemTime::now());
    let suite = "trixie".parse().expect("a suite name");
    let release = archive
        .open_suite(mirror, &suite, &Keyring::debian(), now, None)
        .expect("open trixie");
    let (main, amd64) = (
        "main".parse().expect("a component"),
        "amd64".parse().expect("an arch"),
    );
    archive
        .index(&release, &main, &amd64)
        .expect("fetch the amd64 index");
    let decoded = release.release.sha256["main/binary-amd64/Packages"].sha256;
    let warm: WarmLoad = Box::new(move || archive.index(&release, &main, &amd64).expect("load the index"));
    (cache.path(&decoded), Some(warm))
}

/// libapt-pkg's TagFile over the same file, reading the fields buckle reads.
fn peer(path: &std::path::Path) -> Option<(Duration, usize)> {
    let script = r#"
import apt_pkg, sys, time
best, n = None, 0
for _ in range(5):
    start = time.perf_counter()
    n = 0
    with apt_pkg.TagFile(sys.argv[1]) as tags:
        for s in tags:
            for f in ("Package", "Version", "Architecture", "Source", "Depends", "Pre-Depends",
                      "Provides", "Multi-Arch", "Filename", "Size", "SHA256"):
                s.get(f)
            n += 1
    t = time.perf_counter() - start
    best = t if best is None else min(best, t)
print(best, n)
"#;
    let out = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .ok()?;
    let stdout = String::from_utf8(out.stdout).ok()?;
    let mut words = stdout.split_whitespace();
    let secs: f64 = words.next()?.parse().ok()?;
    let count: usize = words.next()?.parse().ok()?;
    Some((Duration::from_secs_f64(secs), count))
}
