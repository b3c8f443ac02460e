//! The spec's `[[upstream]]` artifacts through lock, fetch and build: pin each per
//! architecture, fetch it into the cache verified against the lock, unpack it into
//! its layer.

use crate::exit::UserError;
use crate::files::SpecFile;
use crate::session::{resolve, Session};
use anyhow::Context;
use buckle_archive::upstream::{npm_tarball_url, Pins};
use buckle_archive::Keyring;
use buckle_debian::Arch;
use buckle_image::deb::Limits;
use buckle_image::upstream::{unpack_upstream, UpstreamLayer};
use buckle_spec::{Lock, LockedUpstream, Upstream, UpstreamOrigin};
use std::collections::BTreeMap;

/// Label (and annotation) recording where an upstream artifact came from:
/// `dev.buckle.upstream.<name>` = `<purl> sha256:<hex>`.
pub const UPSTREAM_LABEL_PREFIX: &str = "dev.buckle.upstream.";

/// Pins every artifact of the spec for every architecture. An entry of `old` that
/// still fits the spec is kept unless `update`; with `update`, an npm entry whose
/// tarball the registry still names by the same integrity is kept without downloading
/// it again.
pub fn lock_upstream(
    session: &Session,
    spec: &SpecFile,
    old: Option<&Lock>,
    update: bool,
) -> anyhow::Result<Vec<LockedUpstream>> {
    let mut out = Vec::new();
    for upstream in &spec.spec.upstream {
        let mut checksums: Option<BTreeMap<String, buckle_digest::Sha256>> = None;
        for arch in &spec.spec.architectures {
            let previous = old
                .and_then(|lock| lock.upstream_for(arch).find(|u| u.name == upstream.name))
                .filter(|locked| still_fits(upstream, arch, locked));
            if let Some(locked) = previous.filter(|_| !update) {
                out.push(locked.clone());
                continue;
            }
            let locked = pin(session, spec, upstream, arch, previous, &mut checksums)
                .with_context(|| format!("cannot pin upstream artifact `{}` for {arch}", upstream.name))?;
            out.push(locked);
        }
    }
    Ok(out)
}

/// Whether a locked entry is still what the spec asks for.
fn still_fits(upstream: &Upstream, arch: &Arch, locked: &LockedUpstream) -> bool {
    let version_fits =
        locked.version == upstream.version || locked.version.starts_with(&format!("{}.", upstream.version));
    let origin_fits = match &upstream.origin {
        UpstreamOrigin::Npm(packages) => packages.get(arch) == locked.npm.as_ref(),
        UpstreamOrigin::Url { urls, sha256, .. } => {
            urls.get(arch) == locked.url.as_ref() && sha256.get(arch).is_none_or(|s| *s == locked.sha256)
        }
    };
    version_fits && origin_fits
}

fn pin(
    session: &Session,
    spec: &SpecFile,
    upstream: &Upstream,
    arch: &Arch,
    previous: Option<&LockedUpstream>,
    checksums: &mut Option<BTreeMap<String, buckle_digest::Sha256>>,
) -> anyhow::Result<LockedUpstream> {
    let archive = &session.archive;
    match &upstream.origin {
        UpstreamOrigin::Npm(packages) => {
            let package = packages
                .get(arch)
                .context("the spec was checked to name a package for every architecture")?;
            let registry = session.npm_registry()?;
            let release = archive.npm_release(registry, package, &upstream.version)?;
            // The integrity (SHA-512) names the bytes the old pin's SHA-256 was taken of.
            let unchanged = previous.filter(|locked| {
                locked.version == release.version
                    && locked.integrity.as_deref() == Some(release.integrity.as_str())
            });
            if let Some(locked) = unchanged {
                return Ok(locked.clone());
            }
            let url = npm_tarball_url(registry, package, &release.version);
            let pins = Pins {
                sha256: None,
                integrity: Some(release.integrity.clone()),
            };
            let fetched = archive.fetch_upstream(&url, &pins)?;
            Ok(LockedUpstream {
                name: upstream.name.clone(),
                architecture: arch.clone(),
                version: release.version,
                npm: Some(package.clone()),
                url: None,
                size: fetched.size,
                sha256: fetched.sha256,
                integrity: Some(release.integrity),
            })
        }
        UpstreamOrigin::Url {
            urls,
            sha256,
            checksums: signed,
        } => {
            let url = urls
                .get(arch)
                .context("the spec was checked to name a URL for every architecture")?;
            let from_spec = sha256.get(arch).copied();
            let from_checksums = match signed {
                Some(signed) => {
                    if checksums.is_none() {
                        let keyring = checksum_keyring(spec, &signed.keys)?;
                        *checksums = Some(archive.signed_checksums(&signed.url, &keyring, session.now())?);
                    }
                    let file = url.rsplit('/').next().unwrap_or(url);
                    let listed = checksums.as_ref().and_then(|c| c.get(file)).copied();
                    Some(listed.ok_or_else(|| buckle_archive::Error::ChecksumMissing {
                        url: signed.url.clone(),
                        file: file.to_owned(),
                    })?)
                }
                None => None,
            };
            let pinned = match (from_spec, from_checksums) {
                (Some(a), Some(b)) if a != b => anyhow::bail!(UserError::new(format!(
                    "the spec pins `{url}` to sha256 {a}, but the signed checksums say {b}"
                ))),
                (a, b) => a.or(b),
            };
            let pins = Pins {
                sha256: Some(pinned.context("the spec was checked to pin every URL")?),
                integrity: None,
            };
            let fetched = archive.fetch_upstream(url, &pins)?;
            Ok(LockedUpstream {
                name: upstream.name.clone(),
                architecture: arch.clone(),
                version: upstream.version.clone(),
                npm: None,
                url: Some(url.clone()),
                size: fetched.size,
                sha256: fetched.sha256,
                integrity: None,
            })
        }
    }
}

fn checksum_keyring(spec: &SpecFile, keys: &[std::path::PathBuf]) -> anyhow::Result<Keyring> {
    let mut keyring: Option<Keyring> = None;
    for key in keys {
        let path = resolve(spec.dir(), key);
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read key `{}`", path.display()))?;
        let one = Keyring::from_bytes(&path.display().to_string(), &bytes)?;
        match &mut keyring {
            Some(all) => all.extend(one),
            None => keyring = Some(one),
        }
    }
    keyring.context("the spec was checked to list at least one key")
}

/// Where a locked artifact is downloaded from.
pub fn download_url(session: &Session, locked: &LockedUpstream) -> anyhow::Result<String> {
    match (&locked.npm, &locked.url) {
        (Some(package), _) => Ok(npm_tarball_url(session.npm_registry()?, package, &locked.version)),
        (None, Some(url)) => Ok(url.clone()),
        (None, None) => anyhow::bail!("the lock was checked to give `npm` or `url`"),
    }
}

/// Fetches every artifact of the lock that the cache lacks, verified against the lock;
/// returns how many were downloaded.
pub fn fetch_upstream(session: &Session, lock: &Lock) -> anyhow::Result<usize> {
    let mut downloaded = 0;
    for locked in &lock.upstream {
        if session.archive.cache().contains(&locked.sha256) {
            continue;
        }
        let url = download_url(session, locked)?;
        let pins = Pins {
            sha256: Some(locked.sha256),
            integrity: locked.integrity.clone(),
        };
        session.archive.fetch_upstream(&url, &pins).with_context(|| {
            format!(
                "cannot fetch upstream artifact `{}` for {}",
                locked.name, locked.architecture
            )
        })?;
        downloaded += 1;
    }
    Ok(downloaded)
}

/// The unpacked artifacts of the image for `arch`, in spec order.
pub fn layers(
    session: &Session,
    spec: &SpecFile,
    lock: &Lock,
    arch: &Arch,
) -> anyhow::Result<Vec<UpstreamLayer>> {
    let mut out = Vec::new();
    for upstream in &spec.spec.upstream {
        let locked = lock
            .upstream_for(arch)
            .find(|u| u.name == upstream.name)
            .ok_or_else(|| {
                UserError::with_hint(
                    format!(
                        "`{}` pins no `{}` for {arch}",
                        spec.lock_path().display(),
                        upstream.name
                    ),
                    format!("run `buckle lock {}`", spec.path.display()),
                )
            })?;
        // Read whole: the cache checks the digest over every byte before unpacking.
        let bytes = session.archive.cache().read(&locked.sha256)?;
        let file = download_url(session, locked)?;
        let file = file.rsplit('/').next().unwrap_or(&file).to_owned();
        let layer = unpack_upstream(upstream, &locked.version, &file, &bytes[..], &Limits::default())
            .with_context(|| format!("cannot unpack upstream artifact `{}` for {arch}", upstream.name))?;
        out.push(layer);
    }
    Ok(out)
}

/// The label recording one artifact's origin: `<purl> sha256:<hex>`, then
/// ` sha512:<hex>` for npm artifacts. SBOMs of the image are made from it.
pub fn origin_label(locked: &LockedUpstream) -> (String, String) {
    let mut value = format!("{} sha256:{}", locked.purl(), locked.sha256.hex());
    if let Some(hex) = locked.sha512_hex() {
        value.push_str(&format!(" sha512:{hex}"));
    }
    (format!("{UPSTREAM_LABEL_PREFIX}{}", locked.name), value)
}

/// The upstream artifacts an image's labels record, for its SBOM; a label that does
/// not read as [`origin_label`] writes is an error naming it.
pub fn from_labels(labels: &BTreeMap<String, String>) -> anyhow::Result<Vec<buckle_sbom::UpstreamFacts>> {
    let mut out = Vec::new();
    for (key, value) in labels {
        let Some(name) = key.strip_prefix(UPSTREAM_LABEL_PREFIX) else {
            continue;
        };
        let bad = || {
            UserError::new(format!(
                "label `{key}` is `{value}`: expected `<purl> sha256:<hex>`"
            ))
        };
        let mut words = value.split(' ');
        let purl = words.next().filter(|p| p.starts_with("pkg:")).ok_or_else(bad)?;
        let sha256 = words
            .next()
            .and_then(|w| w.strip_prefix("sha256:"))
            .and_then(|hex| hex.parse().ok())
            .ok_or_else(bad)?;
        let sha512 = words
            .next()
            .and_then(|w| w.strip_prefix("sha512:"))
            .map(str::to_owned);
        let (without_qualifiers, qualifiers) = purl.split_once('?').unwrap_or((purl, ""));
        let version = without_qualifiers
            .rsplit_once('@')
            .map(|(_, v)| v)
            .ok_or_else(bad)?;
        let download_location = qualifiers
            .split('&')
            .find_map(|q| q.strip_prefix("download_url="))
            .map(|url| url.replace("%20", " "));
        out.push(buckle_sbom::UpstreamFacts {
            name: name.to_owned(),
            version: version.to_owned(),
            purl: purl.to_owned(),
            sha256,
            sha512,
            download_location,
        });
    }
    Ok(out)
}
