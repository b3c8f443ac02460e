//! The one package model that both SBOM formats are written from.

use crate::error::{Duplicate, Error, Result};
use crate::license::LicenseInfo;
use crate::purl;
use buckle_debian::{Arch, PackageName, Version};
use buckle_digest::Sha256;
use sha1::Digest as _;
use std::fmt;

/// Everything an SBOM says about one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomInput {
    /// The image the SBOM describes.
    pub image: ImageSubject,
    /// The Debian packages installed in it, in any order.
    pub packages: Vec<PackageFacts>,
    /// Every regular file in the image, when file-level detail was asked for.
    pub files: Option<Vec<FileFacts>>,
    /// Artifacts from outside Debian (the spec's `[[upstream]]`), from the lock.
    pub upstream: Vec<UpstreamFacts>,
    /// The application and its packages, for an app image.
    pub app: Option<crate::app::AppFacts>,
}

/// An artifact installed from its upstream rather than from a `.deb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamFacts {
    /// The spec's `upstream.name` (lowercase letters, digits, `-`).
    pub name: String,
    /// The exact version.
    pub version: String,
    /// Its package URL (`pkg:npm/...` or `pkg:generic/...?download_url=...`).
    pub purl: String,
    /// SHA-256 of the archive.
    pub sha256: Sha256,
    /// SHA-512 of the archive in hex, when the lock has it (npm integrity).
    pub sha512: Option<String>,
    /// Where the archive was downloaded from, when known.
    pub download_location: Option<String>,
}

/// The image as the described root component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSubject {
    /// The image's name as the user knows it (`python`, `registry.example/team/python:3`).
    pub name: String,
    /// The manifest digest.
    pub digest: Sha256,
    /// The config's `created` time (RFC 3339), if it has one.
    pub created: Option<String>,
    /// The config's architecture (`amd64`, `arm64`).
    pub architecture: String,
    /// Facts from the image's os-release file.
    pub os_release: OsRelease,
}

impl ImageSubject {
    /// `pkg:oci/<name>@sha256%3A<hex>`, the name being the last path segment of the
    /// repository, lowercased, as the purl `oci` type requires.
    pub fn purl(&self) -> String {
        let repository = self.name.split('@').next().unwrap_or_default();
        let last = repository.rsplit('/').next().unwrap_or_default();
        let name = last.split(':').next().unwrap_or_default().to_ascii_lowercase();
        purl::oci(&name, &self.digest)
    }
}

/// The fields of os-release(5) that identify a distribution release.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OsRelease {
    /// `ID` (`debian`).
    pub id: Option<String>,
    /// `VERSION_ID` (`13`); absent on testing and unstable.
    pub version_id: Option<String>,
    /// `VERSION_CODENAME` (`trixie`).
    pub version_codename: Option<String>,
}

impl OsRelease {
    /// Reads `/etc/os-release` text: `KEY=value` lines, values optionally quoted.
    ///
    /// ```
    /// let os = buckle_sbom::OsRelease::parse("ID=debian\nVERSION_ID=\"13\"\nVERSION_CODENAME=trixie\n");
    /// assert_eq!(os.version_id.as_deref(), Some("13"));
    /// ```
    pub fn parse(text: &str) -> OsRelease {
        let mut os = OsRelease::default();
        for line in text.lines() {
            let Some((key, value)) = line.trim().split_once('=') else {
                continue;
            };
            let value = unquote(value.trim());
            let slot = match key.trim() {
                "ID" => &mut os.id,
                "VERSION_ID" => &mut os.version_id,
                "VERSION_CODENAME" => &mut os.version_codename,
                _ => continue,
            };
            *slot = (!value.is_empty()).then_some(value);
        }
        os
    }

    /// The purl namespace: the lowercased `ID`, `debian` when unknown.
    pub fn vendor(&self) -> String {
        self.id
            .as_deref()
            .map_or_else(|| "debian".to_owned(), str::to_ascii_lowercase)
    }

    /// The purl `distro` qualifier: `<vendor>-<VERSION_ID>`, or `<vendor>-<codename>` on
    /// releases without a version number.
    pub fn distro(&self) -> Option<String> {
        let release = self.version_id.as_ref().or(self.version_codename.as_ref())?;
        Some(format!("{}-{release}", self.vendor()))
    }
}

fn unquote(value: &str) -> String {
    let inner = ['"', '\'']
        .iter()
        .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
        .unwrap_or(value);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// What is known about one installed Debian package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFacts {
    /// Binary package name.
    pub name: PackageName,
    /// Binary package version.
    pub version: Version,
    /// Architecture (`amd64`, `all`).
    pub arch: Arch,
    /// Source package name (the binary name when the package has no `Source` field).
    pub source: PackageName,
    /// Source package version (differs from `version` for binNMUs).
    pub source_version: Version,
    /// The `Maintainer` field, `Name <email>`.
    pub maintainer: Option<String>,
    /// The `Homepage` field.
    pub homepage: Option<String>,
    /// SHA256 of the `.deb` the package was installed from, when known (from the lock).
    pub deb_sha256: Option<Sha256>,
    /// Absolute URL of that `.deb` (mirror + pool path), when known; anything that is
    /// not an `http(s)://` URL is written as NOASSERTION in SPDX.
    pub download_location: Option<String>,
    /// License declared by the package's copyright file.
    pub license: LicenseInfo,
    /// Packages of this set that this one depends on (`Depends` and `Pre-Depends`).
    pub depends: Vec<PackageName>,
}

impl PackageFacts {
    /// `pkg:deb/<vendor>/<name>@<version>?arch=<arch>&distro=<vendor>-<release>`, with
    /// `&upstream=<source>` when the source name differs and `<source>@<source version>`
    /// when the source version differs (binNMUs), all percent-encoded per the purl spec.
    ///
    /// ```
    /// # use buckle_sbom::{LicenseInfo, OsRelease, PackageFacts};
    /// let facts = PackageFacts {
    ///     name: "libpython3.13-minimal".parse().unwrap(),
    ///     version: "3.13.5-2+b1".parse().unwrap(),
    ///     arch: "amd64".parse().unwrap(),
    ///     source: "python3.13".parse().unwrap(),
    ///     source_version: "3.13.5-2".parse().unwrap(),
    ///     maintainer: None,
    ///     homepage: None,
    ///     deb_sha256: None,
    ///     download_location: None,
    ///     license: LicenseInfo::NoAssertion,
    ///     depends: vec![],
    /// };
    /// let os = OsRelease::parse("ID=debian\nVERSION_ID=13\n");
    /// assert_eq!(
    ///     facts.purl(&os),
    ///     "pkg:deb/debian/libpython3.13-minimal@3.13.5-2%2Bb1?arch=amd64&distro=debian-13&upstream=python3.13%403.13.5-2"
    /// );
    /// ```
    pub fn purl(&self, os: &OsRelease) -> String {
        let distro = os.distro().unwrap_or_default();
        let upstream = if self.source_version.as_str() != self.version.as_str() {
            format!("{}@{}", self.source, self.source_version)
        } else if self.source != self.name {
            self.source.to_string()
        } else {
            String::new()
        };
        purl::build(
            "deb",
            Some(&os.vendor()),
            self.name.as_str(),
            self.version.as_str(),
            &[
                ("arch", self.arch.as_str()),
                ("distro", &distro),
                ("upstream", &upstream),
            ],
        )
    }

    /// The maintainer's name and email (`Name <email>`), when the package names one.
    pub fn maintainer_parts(&self) -> Option<(String, Option<String>)> {
        let maintainer = self.maintainer.as_deref()?.trim();
        let (name, email) = match maintainer.split_once('<') {
            Some((name, rest)) => {
                let email = rest.split('>').next().unwrap_or_default().trim();
                (name.trim(), (!email.is_empty()).then(|| email.to_owned()))
            }
            None => (maintainer, None),
        };
        match (name.is_empty(), email) {
            (false, email) => Some((name.to_owned(), email)),
            (true, Some(email)) => Some((email.clone(), Some(email))),
            (true, None) => None,
        }
    }

    /// `name:arch`, the identity of an installed package.
    pub fn key(&self) -> PackageKey {
        PackageKey {
            name: self.name.clone(),
            arch: self.arch.clone(),
        }
    }
}

/// An installed package's identity: dpkg allows one version per name and architecture.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageKey {
    /// Package name.
    pub name: PackageName,
    /// Architecture.
    pub arch: Arch,
}

impl fmt::Display for PackageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.arch)
    }
}

/// A SHA-1 digest. SPDX 2.3 requires one for every file; nothing else uses it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha1([u8; 20]);

impl Sha1 {
    /// SHA-1 of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha1 {
        Sha1(sha1::Sha1::digest(bytes).into())
    }

    /// The 20 bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// Lowercase hex.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for Sha1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha1({})", self.hex())
    }
}

/// One regular file in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    /// Absolute path inside the image (`/usr/bin/python3.13`).
    pub path: String,
    /// The packages whose dpkg file lists name this path (usually one, none for files
    /// that no package installed).
    pub packages: Vec<PackageName>,
    /// SHA256 of the content.
    pub sha256: Sha256,
    /// SHA-1 of the content.
    pub sha1: Sha1,
}

impl FileFacts {
    /// Hashes `content` for the file at `path`.
    pub fn from_content(path: impl Into<String>, packages: Vec<PackageName>, content: &[u8]) -> Self {
        FileFacts {
            path: path.into(),
            packages,
            sha256: Sha256::of(content),
            sha1: Sha1::of(content),
        }
    }
}

/// A `.deb` an image was built from (one lock entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebOrigin {
    /// Package name.
    pub name: PackageName,
    /// Architecture.
    pub arch: Arch,
    /// Version.
    pub version: Version,
    /// SHA256 of the `.deb`.
    pub sha256: Sha256,
    /// Absolute URL of the `.deb`, when known.
    pub download_location: Option<String>,
}

/// Records each package's `.deb` digest and location from the lock it was built from.
///
/// Packages without a lock entry keep what they had; a lock entry whose version differs
/// from the installed one is an error, because the SBOM would then describe another image.
pub fn attach_debs(packages: &mut [PackageFacts], debs: &[DebOrigin]) -> Result<()> {
    for package in packages.iter_mut() {
        let Some(deb) = debs
            .iter()
            .find(|deb| deb.name == package.name && deb.arch == package.arch)
        else {
            continue;
        };
        if deb.version.as_str() != package.version.as_str() {
            return Err(Error::DebVersion {
                name: package.name.clone(),
                arch: package.arch.clone(),
                installed: package.version.to_string(),
                locked: deb.version.to_string(),
            });
        }
        package.deb_sha256 = Some(deb.sha256);
        if deb.download_location.is_some() {
            package.download_location.clone_from(&deb.download_location);
        }
    }
    Ok(())
}

/// The input in the order documents are written: packages by name, architecture and
/// version, dependencies and file owners sorted and deduplicated, files by path.
/// Packages that share a name and architecture are an error: each must get one identity.
pub(crate) fn normalised(input: &SbomInput) -> Result<SbomInput> {
    let mut input = input.clone();
    input
        .packages
        .sort_by(|a, b| (a.key(), a.version.as_str()).cmp(&(b.key(), b.version.as_str())));
    for pair in input.packages.windows(2) {
        if let [first, second] = pair {
            if first.key() == second.key() {
                return Err(Error::DuplicatePackage(Box::new(Duplicate {
                    name: first.name.clone(),
                    arch: first.arch.clone(),
                    first: first.version.to_string(),
                    first_path: "input".to_owned(),
                    second: second.version.to_string(),
                    second_path: "input".to_owned(),
                })));
            }
        }
    }
    for package in &mut input.packages {
        package.depends.sort();
        package.depends.dedup();
    }
    if let Some(files) = &mut input.files {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| a.path == b.path);
        for file in files.iter_mut() {
            file.packages.sort();
            file.packages.dedup();
        }
    }
    Ok(input)
}

/// The image's `created` time as `YYYY-MM-DDThh:mm:ssZ` in UTC (the form SPDX requires),
/// fractions of a second dropped.
pub(crate) fn created_utc(created: &str) -> Result<String> {
    let bad = || Error::Created {
        value: created.to_owned(),
    };
    let seconds = parse_rfc3339(created).ok_or_else(bad)?;
    let seconds = u64::try_from(seconds).map_err(|_| bad())?;
    Ok(buckle_oci::rfc3339_utc(seconds))
}

/// Seconds since the epoch of `YYYY-MM-DD(T| )hh:mm:ss[.frac](Z|±hh:mm)`.
fn parse_rfc3339(text: &str) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        is_ascii_number(digits).then(|| digits.parse().ok())?
    };
    let bytes = text.as_bytes();
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|(at, want)| bytes.get(*at) != Some(want))
        || !matches!(bytes.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let valid =
        (1..=12).contains(&month) && (1..=31).contains(&day) && hour < 24 && minute < 60 && second < 61;
    if !valid {
        return None;
    }
    let mut rest = text.get(19..)?;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = fraction.get(digits..)?;
    }
    let offset = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = two_digits(*h1, *h2)?;
            let minutes = two_digits(*m1, *m2)?;
            let magnitude = hours * 3600 + minutes * 60;
            if *sign == b'-' {
                -magnitude
            } else {
                magnitude
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn is_ascii_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn two_digits(high: u8, low: u8) -> Option<i64> {
    (high.is_ascii_digit() && low.is_ascii_digit())
        .then(|| i64::from(high - b'0') * 10 + i64::from(low - b'0'))
}

/// Days since 1970-01-01 of a Gregorian date (the inverse of `buckle_oci`'s calendar),
/// counting in 400-year eras that start on 1 March.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_times_are_normalised_to_utc_seconds() {
        let cases = [
            ("2025-08-09T10:11:12Z", "2025-08-09T10:11:12Z"),
            ("2025-08-09T10:11:12.123456789Z", "2025-08-09T10:11:12Z"),
            ("2025-08-09T01:11:12+02:30", "2025-08-08T22:41:12Z"),
            ("2024-02-29t23:00:00-01:00", "2024-03-01T00:00:00Z"),
            ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
        ];
        for (input, want) in cases {
            assert_eq!(created_utc(input).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn malformed_created_time_names_the_value() {
        for bad in [
            "2025-08-09",
            "2025-13-09T10:11:12Z",
            "2025-08-09T10:11:12",
            "1969-12-31T23:59:59Z",
        ] {
            let err = created_utc(bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("image created time `{bad}` is not an RFC 3339 date-time at or after 1970-01-01T00:00:00Z")
            );
        }
    }

    #[test]
    fn os_release_values_are_unquoted_and_give_the_distro_qualifier() {
        let os = OsRelease::parse("PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\nVERSION_ID='13'\nVERSION_CODENAME=trixie\n");
        assert_eq!(os.distro().as_deref(), Some("debian-13"));
        let sid = OsRelease::parse("ID=debian\nVERSION_CODENAME=forky\n");
        assert_eq!(sid.distro().as_deref(), Some("debian-forky"));
        assert_eq!(OsRelease::default().distro(), None);
        assert_eq!(OsRelease::default().vendor(), "debian");
    }

    fn tzdata() -> PackageFacts {
        PackageFacts {
            name: "tzdata".parse().unwrap(),
            version: "2025b-4".parse().unwrap(),
            arch: "all".parse().unwrap(),
            source: "tzdata".parse().unwrap(),
            source_version: "2025b-4".parse().unwrap(),
            maintainer: None,
            homepage: None,
            deb_sha256: None,
            download_location: None,
            license: LicenseInfo::NoAssertion,
            depends: vec![],
        }
    }

    fn deb(version: &str) -> DebOrigin {
        DebOrigin {
            name: "tzdata".parse().unwrap(),
            arch: "all".parse().unwrap(),
            version: version.parse().unwrap(),
            sha256: Sha256::of(b"tzdata.deb"),
            download_location: Some(
                "https://mirror.invalid/pool/main/t/tzdata/tzdata_2025b-4_all.deb".to_owned(),
            ),
        }
    }

    #[test]
    fn lock_entries_give_packages_their_deb_digest_and_location() {
        let mut packages = vec![tzdata()];
        attach_debs(&mut packages, &[deb("2025b-4")]).unwrap();
        assert_eq!(packages[0].deb_sha256, Some(Sha256::of(b"tzdata.deb")));
        assert_eq!(
            packages[0].download_location.as_deref(),
            Some("https://mirror.invalid/pool/main/t/tzdata/tzdata_2025b-4_all.deb")
        );
    }

    #[test]
    fn lock_entry_at_another_version_is_an_error() {
        let err = attach_debs(&mut [tzdata()], &[deb("2025a-1")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "package `tzdata` (all) is installed at version 2025b-4 but the lock has 2025a-1"
        );
    }

    #[test]
    fn image_purl_uses_the_last_repository_segment_and_encodes_the_digest_colon() {
        let image = ImageSubject {
            name: "registry.example:5000/Team/Python:3.13".to_owned(),
            digest: Sha256::of(b"manifest"),
            created: None,
            architecture: "amd64".to_owned(),
            os_release: OsRelease::default(),
        };
        assert_eq!(
            image.purl(),
            format!("pkg:oci/python@sha256%3A{}", Sha256::of(b"manifest").hex())
        );
    }
}
