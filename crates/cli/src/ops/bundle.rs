//! Air-gap bundles: made from the specs' locks on a connected machine, verified and
//! imported into the cache on a disconnected one, served as apt repositories.

use crate::exit::UserError;
use crate::files::SpecFile;
use crate::ops::fetch::fetch_lock;
use crate::ops::lock::require_lock;
use crate::printer::Printer;
use crate::session::Session;
use anyhow::Context;
use buckle_archive::{verify_inrelease, Cache, Keyring, ReleaseChecks, VerifiedRelease};
use buckle_bundle::debian::{self, DebianContents};
use buckle_bundle::imported::{ImportRecord, ImportedSuite, Imports};
use buckle_bundle::manifest::MemberKind;
use buckle_bundle::read::{read_head, unpack, Unpacked};
use buckle_bundle::write::{BundleBuilder, Written};
use buckle_bundle::Member;
use buckle_debian::{Component, Suite};
use buckle_digest::Sha256;
use buckle_sign::key::{PrivateKey, PublicKey};
use buckle_spec::Mirror;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

/// What `bundle create` is asked for.
pub struct CreateRequest<'a> {
    /// Specs, or directories of specs.
    pub specs: &'a [PathBuf],
    /// The bundle file to write.
    pub output: &'a Path,
    /// Every component's indexes, not only the specs'.
    pub full: bool,
    /// An older bundle to make a delta on.
    pub since: Option<&'a Path>,
    /// A directory of OCI layouts to carry.
    pub images: Option<&'a Path>,
    /// The key to sign the manifest with.
    pub sign: Option<&'a PrivateKey>,
    /// Parallel downloads.
    pub jobs: usize,
}

/// What `bundle create` wrote.
pub struct Created {
    /// The bundle.
    pub written: Written,
    /// Specs carried.
    pub specs: Vec<PathBuf>,
    /// Specs left out, with why.
    pub skipped: Vec<(PathBuf, &'static str)>,
    /// Whether the vulnerability feeds came along.
    pub feeds: bool,
}

/// The name a source's mirror has inside bundles (and in `bundle serve` URLs).
pub fn mirror_name(mirror: &Mirror) -> String {
    match mirror {
        Mirror::Debian => "debian".to_owned(),
        Mirror::DebianSecurity => "debian-security".to_owned(),
        Mirror::Url(url) => format!("mirror-{}", Sha256::of(url.as_str().as_bytes()).short(12)),
    }
}

/// Writes a bundle of everything the specs' locks need.
pub fn create(session: &Session, request: &CreateRequest<'_>, printer: &Printer) -> anyhow::Result<Created> {
    let mut bundle = BundleBuilder::new(session.now());
    let mut releases: BTreeMap<(String, Suite), VerifiedRelease> = BTreeMap::new();
    // (mirror name, pool path) -> SHA-256, for every package an index in the bundle lists.
    let mut listed: HashSet<(String, String, Sha256)> = HashSet::new();
    let mut indexes_added: BTreeSet<(String, Suite, Component, buckle_debian::Arch)> = BTreeSet::new();
    let mut specs = Vec::new();
    let mut skipped = Vec::new();
    for path in crate::ops::specs::image_specs(request.specs)? {
        let spec = SpecFile::load(&path)?;
        if spec.spec.sources.is_empty() {
            skipped.push((path, "an app spec: bundle its base spec"));
            continue;
        }
        let lock = require_lock(&spec)?;
        fetch_lock(session, &spec, &lock, request.jobs, printer)?;
        let arches: Vec<_> = lock.images.keys().cloned().collect();
        let mut suite_mirror: BTreeMap<Suite, String> = BTreeMap::new();
        for source in &spec.spec.sources {
            let name = mirror_name(&source.mirror);
            let url = session.mirror_url(source)?;
            bundle.mirror(&name, url.as_str());
            let keyring = session.keyring(&spec, source)?;
            for suite in &source.suites {
                suite_mirror.insert(suite.clone(), name.clone());
                let key = (name.clone(), suite.clone());
                if !releases.contains_key(&key) {
                    let bytes = session.archive.inrelease(&url, suite)?;
                    let checks = ReleaseChecks {
                        now: session.now(),
                        not_before: None,
                    };
                    let release = verify_inrelease(&url, suite, &bytes, &keyring, &checks)
                        .with_context(|| format!("cannot open suite `{suite}`"))?;
                    bundle.add_bytes(&format!("mirrors/{name}/dists/{suite}/InRelease"), bytes)?;
                    releases.insert(key.clone(), release);
                }
                let release = &releases[&key];
                let components: Vec<Component> = if request.full {
                    release
                        .release
                        .components
                        .iter()
                        .filter_map(|c| c.parse().ok())
                        .collect()
                } else {
                    source.components.clone()
                };
                for component in &components {
                    for arch in &arches {
                        if !indexes_added.insert((
                            name.clone(),
                            suite.clone(),
                            component.clone(),
                            arch.clone(),
                        )) {
                            continue;
                        }
                        for choice in release.index_files(component, arch)? {
                            let bytes = session.archive.download_index(release, &choice)?;
                            bundle
                                .add_bytes(&format!("mirrors/{name}/dists/{suite}/{}", choice.path), bytes)?;
                        }
                        for package in session.packages(release, component, arch)?.iter() {
                            if let (Some(file), Some(sha)) = (&package.filename, package.sha256) {
                                listed.insert((name.clone(), file.clone(), sha));
                            }
                        }
                    }
                }
            }
        }
        for package in lock.images.values().flat_map(|v| v.values()).flatten() {
            let name = &suite_mirror[&package.suite];
            if !listed.contains(&(name.clone(), package.path.as_str().to_owned(), package.sha256)) {
                anyhow::bail!(UserError::with_hint(
                    format!(
                        "`{}` pins {} {} ({}), which `{}` no longer lists: the bundle could not prove it",
                        spec.lock_path().display(),
                        package.name,
                        package.version,
                        package.path,
                        package.suite
                    ),
                    format!(
                        "run `buckle lock --update {}` (or `buckle update`), then create the bundle again",
                        path.display()
                    )
                ));
            }
            let file = session.archive.cache().path(&package.sha256);
            bundle.add_file(&format!("mirrors/{name}/{}", package.path), &file)?;
        }
        for upstream in &lock.upstream {
            let file = session.archive.cache().path(&upstream.sha256);
            bundle.add_file(&format!("upstream/{}", upstream.sha256.hex()), &file)?;
        }
        specs.push(path);
    }
    let feeds_dir = session.archive.cache().root().join("vuln");
    let feeds = feeds_dir.is_dir() && bundle.add_tree("feeds", &feeds_dir)? > 0;
    if let Some(images) = request.images {
        bundle.add_tree("images", images)?;
    }
    if let Some(since) = request.since {
        let head =
            read_head(since).with_context(|| format!("cannot read the base bundle `{}`", since.display()))?;
        bundle.since(&head.manifest, head.digest);
    }
    let written = bundle
        .write(request.output, request.sign)
        .with_context(|| format!("cannot write `{}`", request.output.display()))?;
    Ok(Created {
        written,
        specs,
        skipped,
        feeds,
    })
}

/// A bundle checked end to end: every member against the manifest, the manifest's
/// signature when a key is given, the Debian chain, and a delta's base in the cache.
pub struct Opened {
    /// The members, unpacked.
    pub unpacked: Unpacked,
    /// The verified Debian contents.
    pub debian: DebianContents,
    /// Where the members are (removed when dropped).
    _staging: tempfile::TempDir,
}

impl Opened {
    /// Where a member's bytes are: unpacked, or for a delta's base, in the cache.
    pub fn content(&self, session: &Session, member: &Member) -> PathBuf {
        member_content(session.archive.cache(), &self.unpacked, member)
    }
}

fn member_content(cache: &Cache, unpacked: &Unpacked, member: &Member) -> PathBuf {
    if member.in_base {
        cache.path(&member.sha256)
    } else {
        unpacked.path(member)
    }
}

/// The keys InRelease files must be signed with: Debian's and any given.
pub fn keyring(extra: &[PathBuf]) -> anyhow::Result<Keyring> {
    let mut keyring = Keyring::debian();
    for path in extra {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read the keyring `{}`", path.display()))?;
        keyring.extend(Keyring::from_bytes(&path.display().to_string(), &bytes)?);
    }
    Ok(keyring)
}

/// Unpacks and verifies `bundle` (in a directory inside the cache, so that an import
/// moves files instead of copying them).
pub fn open(
    session: &Session,
    bundle: &Path,
    key: Option<&PublicKey>,
    keyring: &Keyring,
) -> anyhow::Result<Opened> {
    let root = session.archive.cache().root();
    std::fs::create_dir_all(root).with_context(|| format!("cannot create the cache `{}`", root.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".bundle-")
        .tempdir_in(root)
        .with_context(|| format!("cannot create a directory in `{}`", root.display()))?;
    let what = || format!("cannot use the bundle `{}`", bundle.display());
    let unpacked = unpack(bundle, staging.path()).with_context(what)?;
    if let Some(key) = key {
        unpacked.head.verify_signature(key).with_context(what)?;
    }
    let manifest = &unpacked.head.manifest;
    if let Some(base) = &manifest.base {
        if !Imports::new(root).contains(&base.manifest) {
            anyhow::bail!(UserError::with_hint(
                format!(
                    "`{}` is a delta on the bundle {} (made {}), which was not imported here",
                    bundle.display(),
                    base.manifest,
                    base.created
                ),
                "import that bundle first (and any delta made between them), then this one"
            ));
        }
        if let Some(gone) = manifest
            .members
            .iter()
            .find(|m| m.in_base && !session.archive.cache().contains(&m.sha256))
        {
            anyhow::bail!(UserError::with_hint(
                format!("`{}` of the base bundle is no longer in the cache", gone.path),
                "import the base bundle again, then this delta"
            ));
        }
    }
    let content = |member: &Member| member_content(session.archive.cache(), &unpacked, member);
    let debian = debian::verify(manifest, &content, keyring, manifest.created).with_context(what)?;
    Ok(Opened {
        unpacked,
        debian,
        _staging: staging,
    })
}

/// What an import added.
pub struct Imported {
    /// The record left in the cache.
    pub record: ImportRecord,
    /// Members stored (not already in the cache).
    pub stored: usize,
    /// Feed store files written.
    pub feeds: usize,
    /// Image files written.
    pub images: usize,
}

/// Adds a verified bundle to the cache and feed store; the record comes last, so an
/// interrupted import leaves only content-addressed files, never a record.
pub fn import(session: &Session, opened: &Opened, images_to: Option<&Path>) -> anyhow::Result<Imported> {
    let cache = session.archive.cache();
    let manifest = &opened.unpacked.head.manifest;
    let mut imported = Imported {
        record: record(session, opened),
        stored: 0,
        feeds: 0,
        images: 0,
    };
    for member in manifest.carried() {
        if !cache.contains(&member.sha256) {
            let path = opened.unpacked.path(member);
            let file =
                std::fs::File::open(&path).with_context(|| format!("cannot open `{}`", path.display()))?;
            cache.put(member.sha256, Some(member.size), file)?;
            imported.stored += 1;
        }
    }
    for index in &opened.debian.indexes {
        if !cache.contains(&index.sha256) {
            cache.put_bytes(index.sha256, &index.bytes)?;
        }
    }
    let feeds_dir = cache.root().join("vuln");
    for member in manifest.carried() {
        let target = match member.kind()? {
            MemberKind::Feed(relative) => feeds_dir.join(relative),
            MemberKind::Image(relative) => match images_to {
                Some(dir) => dir.join(relative),
                None => continue,
            },
            _ => continue,
        };
        replace_file(&opened.unpacked.path(member), &target)?;
        match member.kind()? {
            MemberKind::Feed(_) => imported.feeds += 1,
            _ => imported.images += 1,
        }
    }
    Imports::new(cache.root()).record(&imported.record)?;
    Ok(imported)
}

/// Copies `from` over `to` through a temporary file renamed into place.
fn replace_file(from: &Path, to: &Path) -> anyhow::Result<()> {
    let parent = to.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    let temp = parent.join(format!(".import.{}", std::process::id()));
    std::fs::copy(from, &temp).with_context(|| format!("cannot write `{}`", temp.display()))?;
    std::fs::rename(&temp, to).with_context(|| format!("cannot write `{}`", to.display()))
}

/// The record an import of `opened` leaves.
pub fn record(session: &Session, opened: &Opened) -> ImportRecord {
    let manifest = &opened.unpacked.head.manifest;
    ImportRecord {
        digest: opened.unpacked.head.digest,
        created: manifest.created,
        imported: session.now(),
        base: manifest.base.as_ref().map(|b| b.manifest),
        suites: opened
            .debian
            .suites
            .iter()
            .map(|s| ImportedSuite {
                mirror: s.mirror.clone(),
                url: s.release.mirror.as_str().to_owned(),
                suite: s.release.suite.to_string(),
                inrelease: s.release.inrelease_sha256,
                date: s.release.date(),
                valid_until: s.release.release.valid_until,
            })
            .collect(),
    }
}
