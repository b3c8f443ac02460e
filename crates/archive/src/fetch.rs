//! Mirror -> verified facts and files: InRelease (signature, suite, dates), Packages
//! indices (digests from Release, decoded and cached by digest) and .deb files
//! (downloaded in parallel into the cache, each verified).

use crate::cache::Cache;
use crate::date::ReleaseDate;
use crate::error::{Error, Result};
use crate::keys::Keyring;
use crate::packages::{decode, parse_index, parse_index_from, IndexChoice, StreamError};
use crate::release::{ListedFile, Release, ReleaseChecks};
use crate::verify::verify_clearsigned;
use buckle_debian::{Arch, BinaryPackage, Component, MirrorUrl, PoolPath, Suite};
use buckle_digest::{Mismatch, Sha256};
use buckle_http::Client;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use tracing::{debug, info, instrument};

/// The largest InRelease accepted (Debian's are about 200 KB).
const INRELEASE_LIMIT: u64 = 32 << 20;
/// The largest decoded index accepted when Release does not give its size.
const INDEX_LIMIT: u64 = 2 << 30;

/// A suite's Release, verified: signed by a trusted key, for the suite asked for, not
/// expired, not older than the lock's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRelease {
    /// The mirror it came from.
    pub mirror: MirrorUrl,
    /// The suite as asked for (the `dists/<suite>` directory).
    pub suite: Suite,
    /// The Release fields.
    pub release: Release,
    /// SHA256 of the InRelease file's bytes, as downloaded (the lock records it).
    pub inrelease_sha256: Sha256,
    /// Fingerprint of the key whose signature verified.
    pub signer: String,
}

impl VerifiedRelease {
    /// Release's `Date:` (the lock records it, against rollback).
    pub fn date(&self) -> ReleaseDate {
        self.release.date
    }

    fn url(&self, path: &str) -> String {
        self.mirror.join(&format!("dists/{}/{path}", self.suite))
    }

    /// The index files that make up the packages of `component` for `arch`, as apt
    /// reads them: `<component>/binary-<arch>`, then `<component>/binary-all` only when
    /// Release names `all` among its architectures, lists that index, and does not say
    /// that every architecture's index already lists the `Architecture: all` packages
    /// (`No-Support-for-Architecture-all: Packages`).
    pub fn index_files(&self, component: &Component, arch: &Arch) -> Result<Vec<IndexChoice>> {
        let own = IndexChoice::pick(&self.release, &self.suite, &format!("{component}/binary-{arch}"))?;
        let mut files = vec![own];
        let all_offered = self.release.architectures.iter().any(Arch::is_all);
        if all_offered && !self.release.arch_all_in_arch_indices && !arch.is_all() {
            if let Ok(all) = IndexChoice::pick(&self.release, &self.suite, &format!("{component}/binary-all"))
            {
                files.push(all);
            }
        }
        Ok(files)
    }
}

/// Verifies the bytes of an InRelease file as served at `mirror` for `suite`: signed
/// by a key of `keyring`, for `suite`, and passing `checks` (expiry, rollback).
pub fn verify_inrelease(
    mirror: &MirrorUrl,
    suite: &Suite,
    bytes: &[u8],
    keyring: &Keyring,
    checks: &ReleaseChecks,
) -> Result<VerifiedRelease> {
    let url = mirror.join(&format!("dists/{suite}/InRelease"));
    let signed = verify_clearsigned(bytes, keyring, checks.now, &url)?;
    let release = Release::parse(&signed.text, &url)?;
    release.check(suite, checks)?;
    info!(date = %release.date, signer = %signed.signer, "InRelease verified");
    Ok(VerifiedRelease {
        mirror: mirror.clone(),
        suite: suite.clone(),
        release,
        inrelease_sha256: Sha256::of(bytes),
        signer: signed.signer,
    })
}

/// The binary packages one suite offers for one component and architecture,
/// `Architecture: all` packages included.
#[derive(Debug, Clone)]
pub struct PackagesIndex {
    /// The suite they come from.
    pub suite: Suite,
    /// The component.
    pub component: Component,
    /// The architecture asked for.
    pub arch: Arch,
    /// The packages, in index order (the architecture's index first, then what only
    /// `binary-all` lists, when it had to be fetched).
    pub packages: Vec<BinaryPackage>,
}

/// A .deb to fetch: where it is and what it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebFile {
    /// The mirror serving it.
    pub mirror: MirrorUrl,
    /// Its pool path.
    pub path: PoolPath,
    /// Its SHA256 (from the lock or the index).
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size: u64,
}

/// What [`Archive::fetch_debs`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchSummary {
    /// Files downloaded.
    pub downloaded: usize,
    /// Files already in the cache.
    pub cached: usize,
    /// Bytes downloaded.
    pub bytes: u64,
}

/// Told about .deb fetching progress. Every method has a no-op default; one reporter
/// serves all worker threads.
pub trait Reporter: Sync {
    /// Fetching starts: `files` files of `bytes` bytes in all must be downloaded.
    fn on_start(&self, files: usize, bytes: u64) {
        let _ = (files, bytes);
    }
    /// `bytes` more bytes arrived.
    fn on_bytes(&self, bytes: u64) {
        let _ = bytes;
    }
    /// A retry discards `bytes` bytes already reported.
    fn on_discard(&self, bytes: u64) {
        let _ = bytes;
    }
    /// One file is downloaded and verified.
    fn on_file_done(&self, path: &PoolPath) {
        let _ = path;
    }
}

/// A [`Reporter`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReporter;

impl Reporter for NoReporter {}

/// Forwards byte progress from the HTTP client.
struct Bytes<'a>(&'a dyn Reporter);

impl buckle_http::Reporter for Bytes<'_> {
    fn on_progress(&self, _url: &str, bytes: u64) {
        self.0.on_bytes(bytes);
    }
    fn on_restart(&self, _url: &str, discarded: u64) {
        self.0.on_discard(discarded);
    }
}

/// The Debian archive client: one HTTP client and one cache.
#[derive(Debug, Clone)]
pub struct Archive {
    http: Client,
    cache: Cache,
}

impl Archive {
    /// A client downloading with `http` into `cache`.
    pub fn new(http: Client, cache: Cache) -> Archive {
        Archive { http, cache }
    }

    /// The cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The HTTP client.
    pub(crate) fn http(&self) -> &Client {
        &self.http
    }

    /// Fetches `dists/<suite>/InRelease` from `mirror`, verifies its signature with
    /// `keyring` and checks it is for `suite`, not expired at `now`, and not dated
    /// before `not_before` (the date recorded in the lock, if any).
    #[instrument(skip_all, fields(mirror = %mirror, suite = %suite))]
    pub fn open_suite(
        &self,
        mirror: &MirrorUrl,
        suite: &Suite,
        keyring: &Keyring,
        now: ReleaseDate,
        not_before: Option<ReleaseDate>,
    ) -> Result<VerifiedRelease> {
        let bytes = self.inrelease(mirror, suite)?;
        verify_inrelease(mirror, suite, &bytes, keyring, &ReleaseChecks { now, not_before })
    }

    /// The bytes of `dists/<suite>/InRelease` at `mirror`, not yet verified.
    pub fn inrelease(&self, mirror: &MirrorUrl, suite: &Suite) -> Result<Vec<u8>> {
        let url = mirror.join(&format!("dists/{suite}/InRelease"));
        self.http
            .get_bytes(&url, INRELEASE_LIMIT)
            .map_err(|source| Error::Download {
                what: format!("InRelease of `{suite}`"),
                source,
            })
    }

    /// The packages of `component` for `arch` in a verified suite: those of each of
    /// [`VerifiedRelease::index_files`], an `Architecture: all` package listed by the
    /// architecture's own index and by `binary-all` only once. Each index is verified
    /// against Release and decoded once; later calls read the decoded index from the
    /// cache (re-hashing it).
    #[instrument(skip_all, fields(suite = %release.suite, component = %component, arch = %arch))]
    pub fn packages(
        &self,
        release: &VerifiedRelease,
        component: &Component,
        arch: &Arch,
    ) -> Result<PackagesIndex> {
        let mut packages: Vec<BinaryPackage> = Vec::new();
        for choice in release.index_files(component, arch)? {
            let index = self.read_index(release, &choice)?;
            if packages.is_empty() {
                packages = index;
                continue;
            }
            // binary-all repeats the `all` packages an architecture's index may list.
            let key = |p: &BinaryPackage| (p.name.as_str().to_owned(), p.version.as_str().to_owned());
            let seen: HashSet<(String, String)> =
                packages.iter().filter(|p| p.arch.is_all()).map(key).collect();
            packages.extend(index.into_iter().filter(|p| !seen.contains(&key(p))));
        }
        info!(packages = packages.len(), "packages loaded");
        Ok(PackagesIndex {
            suite: release.suite.clone(),
            component: component.clone(),
            arch: arch.clone(),
            packages,
        })
    }

    /// The packages of the single index `<component>/binary-<arch>` (without adding
    /// `binary-all`), verified against Release and cached like [`Archive::packages`].
    #[instrument(skip_all, fields(suite = %release.suite, component = %component, arch = %arch))]
    pub fn index(
        &self,
        release: &VerifiedRelease,
        component: &Component,
        arch: &Arch,
    ) -> Result<Vec<BinaryPackage>> {
        let dir = format!("{component}/binary-{arch}");
        let choice = IndexChoice::pick(&release.release, &release.suite, &dir)?;
        self.read_index(release, &choice)
    }

    fn read_index(&self, release: &VerifiedRelease, choice: &IndexChoice) -> Result<Vec<BinaryPackage>> {
        let parse = |bytes: &[u8]| -> Result<Vec<BinaryPackage>> {
            let text = std::str::from_utf8(bytes).map_err(|e| Error::IndexSyntax {
                suite: release.suite.clone(),
                path: choice.path.clone(),
                reason: format!("not UTF-8 at byte {}", e.valid_up_to()),
            })?;
            parse_index(text).map_err(|reason| Error::IndexSyntax {
                suite: release.suite.clone(),
                path: choice.path.clone(),
                reason,
            })
        };
        if let Some(decoded) = choice.decoded {
            // Parsed a piece at a time while it is re-hashed; the result is used only if
            // the hash matches at the end.
            match self.cache.open(&decoded.sha256) {
                Ok(mut reader) => match parse_index_from(&mut reader) {
                    Ok(packages) => {
                        debug!(dir = %choice.dir, packages = packages.len(), "index from cache");
                        return Ok(packages);
                    }
                    Err(StreamError::Syntax(reason)) => {
                        return Err(Error::IndexSyntax {
                            suite: release.suite.clone(),
                            path: choice.path.clone(),
                            reason,
                        })
                    }
                    // Corrupt (and now removed): fetch it afresh.
                    Err(StreamError::Read(e)) if Mismatch::from_io(&e).is_some() => {}
                    Err(StreamError::Read(source)) => {
                        return Err(Error::Io {
                            action: "read",
                            path: reader.path().to_owned(),
                            source,
                        })
                    }
                },
                Err(Error::NotCached(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let bytes = self.fetch_index(release, choice)?;
        let packages = parse(&bytes)?;
        debug!(dir = %choice.dir, packages = packages.len(), "index fetched");
        Ok(packages)
    }

    /// Downloads, verifies and decodes an index, verifies the decoded bytes and caches
    /// them by their digest.
    fn fetch_index(&self, release: &VerifiedRelease, choice: &IndexChoice) -> Result<Vec<u8>> {
        let compressed = self.download_index(release, choice)?;
        let limit = choice.decoded.map_or(INDEX_LIMIT, |d| d.size);
        let bytes = decode(choice.compression, &compressed, limit).map_err(|source| Error::Decompress {
            suite: release.suite.clone(),
            path: choice.path.clone(),
            source,
        })?;
        if let Some(decoded) = choice.decoded {
            let plain = format!("{}/Packages", choice.dir);
            check_listed(release, &plain, &decoded, &bytes)?;
            self.cache.put_bytes(decoded.sha256, &bytes)?;
        }
        Ok(bytes)
    }

    /// Downloads the chosen index (by hash when the suite offers it) and checks its
    /// digest and size against Release.
    pub fn download_index(&self, release: &VerifiedRelease, choice: &IndexChoice) -> Result<Vec<u8>> {
        let download = |path: &str| {
            let url = release.url(path);
            // Allow one byte more than listed, so a longer file shows as a size mismatch.
            self.http.get_bytes(&url, choice.listed.size.saturating_add(1))
        };
        let by_hash = release.release.acquire_by_hash.then(|| choice.by_hash_path());
        let fetched = match &by_hash {
            Some(path) => match download(path) {
                // A mirror mid-sync may lack the by-hash copy; the name is checked alike.
                Err(buckle_http::Error::NotFound { .. }) => download(&choice.path),
                other => other,
            },
            None => download(&choice.path),
        };
        let bytes = fetched.map_err(|source| match source {
            buckle_http::Error::TooLarge { .. } => Error::IndexSize {
                suite: release.suite.clone(),
                path: choice.path.clone(),
                expected: choice.listed.size,
                actual: choice.listed.size + 1,
            },
            source => Error::Download {
                what: format!("`{}` of `{}`", choice.path, release.suite),
                source,
            },
        })?;
        check_listed(release, &choice.path, &choice.listed, &bytes)?;
        Ok(bytes)
    }

    /// Downloads every file of `debs` that is not in the cache yet, on `parallelism`
    /// threads sharing kept-alive connections, verifying each. Returns on the first
    /// failure (by position in `debs`) after the running downloads finish.
    #[instrument(skip_all, fields(files = debs.len()))]
    pub fn fetch_debs(
        &self,
        debs: &[DebFile],
        parallelism: usize,
        reporter: &dyn Reporter,
    ) -> Result<FetchSummary> {
        let mut todo: Vec<&DebFile> = Vec::new();
        let mut summary = FetchSummary::default();
        for deb in debs {
            if self.cache.contains(&deb.sha256) || todo.iter().any(|t| t.sha256 == deb.sha256) {
                summary.cached += 1;
            } else {
                todo.push(deb);
            }
        }
        reporter.on_start(todo.len(), todo.iter().map(|d| d.size).sum());
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let failures: Mutex<Vec<(usize, Error)>> = Mutex::new(Vec::new());
        let workers = parallelism.clamp(1, 16).min(todo.len());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    while !stop.load(Ordering::SeqCst) {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(deb) = todo.get(i) else { break };
                        if let Err(e) = self.fetch_deb(deb, reporter) {
                            stop.store(true, Ordering::SeqCst);
                            if let Ok(mut f) = failures.lock() {
                                f.push((i, e));
                            }
                        }
                    }
                });
            }
        });
        let failures = failures
            .into_inner()
            .map_err(|_| Error::Internal("a download thread panicked".to_owned()))?;
        if let Some((_, first)) = failures.into_iter().min_by_key(|(i, _)| *i) {
            return Err(first);
        }
        summary.downloaded = todo.len();
        summary.bytes = todo.iter().map(|d| d.size).sum();
        info!(
            downloaded = summary.downloaded,
            cached = summary.cached,
            bytes = summary.bytes,
            "debs fetched"
        );
        Ok(summary)
    }

    fn fetch_deb(&self, deb: &DebFile, reporter: &dyn Reporter) -> Result<()> {
        let url = deb.mirror.join(deb.path.as_str());
        debug!(url, "fetching");
        let mut writer = self.cache.writer(deb.sha256, Some(deb.size))?;
        self.http
            .get_to_writer_reporting(&url, &mut writer, &Bytes(reporter))
            .map_err(|source| deb_download_error(deb, source))?;
        writer.commit().map_err(|e| match e {
            Error::CacheMismatch { expected, actual } => Error::DebDigest {
                path: deb.path.clone(),
                expected,
                actual,
            },
            Error::CacheSize { expected, actual, .. } => Error::DebSize {
                path: deb.path.clone(),
                expected,
                actual,
            },
            other => other,
        })?;
        reporter.on_file_done(&deb.path);
        Ok(())
    }
}

fn deb_download_error(deb: &DebFile, source: buckle_http::Error) -> Error {
    match source {
        buckle_http::Error::NotFound { url } => Error::DebGone {
            path: deb.path.clone(),
            url,
        },
        buckle_http::Error::Sink { url, source } => match Mismatch::from_io(&source) {
            Some(Mismatch::Size { expected, actual }) => Error::DebSize {
                path: deb.path.clone(),
                expected: *expected,
                actual: *actual,
            },
            _ => Error::Download {
                what: format!("`{}`", deb.path),
                source: buckle_http::Error::Sink { url, source },
            },
        },
        source => Error::Download {
            what: format!("`{}`", deb.path),
            source,
        },
    }
}

/// Checks bytes against the digest and size Release lists for `path`.
fn check_listed(release: &VerifiedRelease, path: &str, listed: &ListedFile, bytes: &[u8]) -> Result<()> {
    if bytes.len() as u64 != listed.size {
        return Err(Error::IndexSize {
            suite: release.suite.clone(),
            path: path.to_owned(),
            expected: listed.size,
            actual: bytes.len() as u64,
        });
    }
    let actual = Sha256::of(bytes);
    if actual != listed.sha256 {
        return Err(Error::IndexDigest {
            suite: release.suite.clone(),
            path: path.to_owned(),
            expected: listed.sha256,
            actual,
        });
    }
    Ok(())
}
