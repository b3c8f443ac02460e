//! Small signed Debian repositories built in code: pool files, Packages indices in
//! several compressions (with by-hash copies), Release and a clearsigned InRelease.
//!
//! Each link of the chain of trust can be broken on purpose with [`Break`], and the
//! result is served on loopback HTTP by [`Repo::serve`].
//!
//! ```
//! use buckle_testkit::keys::TestKey;
//! use buckle_testkit::repo::{RepoBuilder, SuiteBuilder, TestPackage};
//!
//! let key = TestKey::generate("archive");
//! let repo = RepoBuilder::new(&key)
//!     .suite(SuiteBuilder::new("trixie").package(TestPackage::new("hello", "1.0-1", "amd64")))
//!     .build();
//! assert!(repo.files().contains_key("/dists/trixie/InRelease"));
//! ```

use crate::keys::{clearsign_with, TestKey};
use crate::server::Server;
use buckle_digest::Sha256;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

/// A default `Date:` for test releases.
pub const DEFAULT_DATE: &str = "Sat, 21 Nov 2026 09:15:44 UTC";

/// A compression a Packages index is published in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Compression {
    /// `Packages`
    None,
    /// `Packages.gz`
    Gzip,
    /// `Packages.xz`
    Xz,
}

impl Compression {
    fn suffix(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => ".gz",
            Compression::Xz => ".xz",
        }
    }

    fn compress(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Compression::None => bytes.to_vec(),
            Compression::Gzip => {
                let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                enc.write_all(bytes).expect("writing to a Vec does not fail");
                enc.finish().expect("writing to a Vec does not fail")
            }
            Compression::Xz => {
                let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 6);
                enc.write_all(bytes).expect("writing to a Vec does not fail");
                enc.finish().expect("writing to a Vec does not fail")
            }
        }
    }
}

/// Where `Architecture: all` packages are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchAll {
    /// In every architecture's index and in `binary-all`, with
    /// `No-Support-for-Architecture-all: Packages` in Release (what Debian does, so
    /// that clients need not fetch `binary-all`).
    InEveryIndex,
    /// Only in `binary-all`, without that field (clients must fetch `binary-all`).
    OnlyInBinaryAll,
    /// In every architecture's index and in a `binary-all` that Release lists, but
    /// Release neither names `all` among its architectures nor sets the field (what
    /// Debian's security archive does; clients must not fetch `binary-all`).
    Unannounced,
}

/// A way to break one link of the chain of trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// Flip a byte of the signed text after signing (the signature no longer matches).
    TamperSignedText,
    /// List a wrong SHA256 in Release for `<component>/binary-<arch>/Packages<ext>`
    /// (the path relative to the suite directory).
    IndexDigest(String),
    /// List a wrong SHA256 for this package's .deb in Packages.
    DebDigest(String),
    /// List a wrong size for this package's .deb in Packages.
    DebSize(String),
    /// Do not publish this package's .deb in the pool (a 404).
    MissingDeb(String),
}

/// A binary package: control fields plus the .deb bytes.
#[derive(Debug, Clone)]
pub struct TestPackage {
    name: String,
    version: String,
    arch: String,
    component: String,
    fields: Vec<(String, String)>,
    deb: Vec<u8>,
}

impl TestPackage {
    /// A package with placeholder .deb bytes (the archive client only checks hashes).
    pub fn new(name: &str, version: &str, arch: &str) -> TestPackage {
        TestPackage {
            name: name.to_owned(),
            version: version.to_owned(),
            arch: arch.to_owned(),
            component: "main".to_owned(),
            fields: Vec::new(),
            deb: format!("!<arch>\nfake deb {name} {version} {arch}\n").into_bytes(),
        }
    }

    /// Adds a control field (e.g. `Depends`).
    pub fn field(mut self, name: &str, value: &str) -> TestPackage {
        self.fields.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Uses these bytes as the .deb.
    pub fn deb(mut self, bytes: Vec<u8>) -> TestPackage {
        self.deb = bytes;
        self
    }

    /// Puts the package in another component than `main`.
    pub fn component(mut self, component: &str) -> TestPackage {
        self.component = component.to_owned();
        self
    }

    /// The pool path the package is published at.
    pub fn pool_path(&self) -> String {
        let initial = self.name.get(..1).unwrap_or("_");
        let version = self.version.replace(':', "%3a");
        format!(
            "pool/{}/{initial}/{}/{}_{version}_{}.deb",
            self.component, self.name, self.name, self.arch
        )
    }

    /// The .deb bytes.
    pub fn deb_bytes(&self) -> &[u8] {
        &self.deb
    }

    fn stanza(&self, breaks: &[Break]) -> String {
        let mut s = format!(
            "Package: {}\nVersion: {}\nArchitecture: {}\n",
            self.name, self.version, self.arch
        );
        for (name, value) in &self.fields {
            let _ = writeln!(s, "{name}: {value}");
        }
        let mut sha = Sha256::of(&self.deb);
        let mut size = self.deb.len();
        if breaks.contains(&Break::DebDigest(self.name.clone())) {
            sha = Sha256::of(b"not the deb");
        }
        if breaks.contains(&Break::DebSize(self.name.clone())) {
            size += 1;
        }
        let _ = write!(
            s,
            "Filename: {}\nSize: {size}\nSHA256: {sha}\nDescription: test package {}\n",
            self.pool_path(),
            self.name
        );
        s
    }
}

/// One suite (a `dists/<codename>` directory).
#[derive(Debug, Clone)]
pub struct SuiteBuilder {
    codename: String,
    suite: Option<String>,
    components: Vec<String>,
    arches: Vec<String>,
    packages: Vec<TestPackage>,
    date: String,
    valid_until: Option<String>,
    by_hash: bool,
    arch_all: ArchAll,
    compressions: Vec<Compression>,
    breaks: Vec<Break>,
    signers: Option<Vec<TestKey>>,
    bad_signers: Vec<TestKey>,
}

impl SuiteBuilder {
    /// A suite with codename `codename`, component `main`, architecture `amd64`,
    /// by-hash on, arch `all` packages in every index (as Debian does), and all three
    /// compressions.
    pub fn new(codename: &str) -> SuiteBuilder {
        SuiteBuilder {
            codename: codename.to_owned(),
            suite: None,
            components: vec!["main".to_owned()],
            arches: vec!["amd64".to_owned()],
            packages: Vec::new(),
            date: DEFAULT_DATE.to_owned(),
            valid_until: None,
            by_hash: true,
            arch_all: ArchAll::InEveryIndex,
            compressions: vec![Compression::None, Compression::Gzip, Compression::Xz],
            breaks: Vec::new(),
            signers: None,
            bad_signers: Vec::new(),
        }
    }

    /// Sets `Suite:` (e.g. `stable`); without it the codename is used.
    pub fn suite_name(mut self, suite: &str) -> Self {
        self.suite = Some(suite.to_owned());
        self
    }

    /// Sets the components.
    pub fn components(mut self, components: &[&str]) -> Self {
        self.components = components.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// Sets the architectures (without `all`).
    pub fn arches(mut self, arches: &[&str]) -> Self {
        self.arches = arches.iter().map(|a| (*a).to_owned()).collect();
        self
    }

    /// Adds a package.
    pub fn package(mut self, package: TestPackage) -> Self {
        self.packages.push(package);
        self
    }

    /// Sets `Date:`.
    pub fn date(mut self, date: &str) -> Self {
        self.date = date.to_owned();
        self
    }

    /// Sets `Valid-Until:`.
    pub fn valid_until(mut self, date: &str) -> Self {
        self.valid_until = Some(date.to_owned());
        self
    }

    /// Turns `Acquire-By-Hash` on or off.
    pub fn by_hash(mut self, on: bool) -> Self {
        self.by_hash = on;
        self
    }

    /// Where `Architecture: all` packages go (default [`ArchAll::InEveryIndex`]).
    pub fn arch_all(mut self, layout: ArchAll) -> Self {
        self.arch_all = layout;
        self
    }

    /// Publishes indices only in these compressions.
    pub fn compressions(mut self, compressions: &[Compression]) -> Self {
        self.compressions = compressions.to_vec();
        self
    }

    /// Signs InRelease with these keys instead of the repository key.
    pub fn signed_by(mut self, keys: &[&TestKey]) -> Self {
        self.signers = Some(keys.iter().map(|k| (*k).clone()).collect());
        self
    }

    /// Adds a signature by `key` that does not match the signed text.
    pub fn bad_signature_by(mut self, key: &TestKey) -> Self {
        self.bad_signers.push(key.clone());
        self
    }

    /// Breaks a link on purpose.
    pub fn breaking(mut self, link: Break) -> Self {
        self.breaks.push(link);
        self
    }

    fn index_arches(&self) -> Vec<String> {
        let mut arches = self.arches.clone();
        arches.push("all".to_owned());
        arches
    }

    fn index_text(&self, component: &str, arch: &str) -> String {
        let mut packages: Vec<&TestPackage> = self
            .packages
            .iter()
            .filter(|p| p.component == component)
            .filter(|p| p.arch == arch || (p.arch == "all" && self.arch_all != ArchAll::OnlyInBinaryAll))
            .collect();
        packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        let stanzas: Vec<String> = packages.iter().map(|p| p.stanza(&self.breaks)).collect();
        stanzas.join("\n")
    }

    /// Writes indices (and by-hash copies) into `files`; returns the Release text.
    fn render(&self, files: &mut BTreeMap<String, Vec<u8>>) -> String {
        let dir = format!("/dists/{}", self.codename);
        let mut listed: BTreeMap<String, (Sha256, usize)> = BTreeMap::new();
        for component in &self.components {
            for arch in self.index_arches() {
                let text = self.index_text(component, &arch);
                let index_dir = format!("{component}/binary-{arch}");
                for compression in [Compression::None, Compression::Gzip, Compression::Xz] {
                    let bytes = compression.compress(text.as_bytes());
                    let name = format!("{index_dir}/Packages{}", compression.suffix());
                    let sha = Sha256::of(&bytes);
                    let published = self.compressions.contains(&compression);
                    // Like Debian, Release lists the plain index even when only
                    // compressed ones are published, so the decoded index is checked.
                    if published || compression == Compression::None {
                        listed.insert(name.clone(), (sha, bytes.len()));
                    }
                    if !published {
                        continue;
                    }
                    if self.by_hash {
                        let by_hash = format!("{dir}/{index_dir}/by-hash/SHA256/{sha}");
                        files.insert(by_hash, bytes.clone());
                    }
                    files.insert(format!("{dir}/{name}"), bytes);
                }
            }
        }
        self.release_text(&listed)
    }

    fn release_text(&self, listed: &BTreeMap<String, (Sha256, usize)>) -> String {
        let suite = self.suite.as_deref().unwrap_or(&self.codename);
        let mut arches = self.arches.clone();
        if self.arch_all != ArchAll::Unannounced {
            arches.insert(0, "all".to_owned());
        }
        let mut r = format!(
            "Origin: Buckle Test\nLabel: Buckle Test\nSuite: {suite}\nCodename: {}\nDate: {}\n",
            self.codename, self.date
        );
        if let Some(valid_until) = &self.valid_until {
            let _ = writeln!(r, "Valid-Until: {valid_until}");
        }
        if self.by_hash {
            r.push_str("Acquire-By-Hash: yes\n");
        }
        if self.arch_all == ArchAll::InEveryIndex {
            r.push_str("No-Support-for-Architecture-all: Packages\n");
        }
        let _ = write!(
            r,
            "Architectures: {}\nComponents: {}\nDescription: buckle test archive\nSHA256:\n",
            arches.join(" "),
            self.components.join(" ")
        );
        for (name, (sha, size)) in listed {
            let sha = if self.breaks.contains(&Break::IndexDigest(name.clone())) {
                Sha256::of(b"not the index")
            } else {
                *sha
            };
            let _ = writeln!(r, " {sha} {size:>8} {name}");
        }
        r
    }

    fn sign(&self, release: &str, key: &TestKey) -> String {
        let signers: Vec<&TestKey> = match &self.signers {
            Some(keys) => keys.iter().collect(),
            None => vec![key],
        };
        let bad: Vec<&TestKey> = self.bad_signers.iter().collect();
        let signed = clearsign_with(release, &signers, &bad);
        if self.breaks.contains(&Break::TamperSignedText) {
            // `Origin: Buckle Test` becomes `Origin: Buckle Tesu` inside the signed part.
            return signed.replacen("Origin: Buckle Test", "Origin: Buckle Tesu", 1);
        }
        signed
    }
}

/// Builds a [`Repo`].
pub struct RepoBuilder<'k> {
    key: &'k TestKey,
    suites: Vec<SuiteBuilder>,
}

impl<'k> RepoBuilder<'k> {
    /// A repository signed by `key`.
    pub fn new(key: &'k TestKey) -> Self {
        RepoBuilder {
            key,
            suites: Vec::new(),
        }
    }

    /// Adds a suite.
    pub fn suite(mut self, suite: SuiteBuilder) -> Self {
        self.suites.push(suite);
        self
    }

    /// Renders every file.
    pub fn build(self) -> Repo {
        let mut files = BTreeMap::new();
        for suite in &self.suites {
            for package in &suite.packages {
                if !suite.breaks.contains(&Break::MissingDeb(package.name.clone())) {
                    files.insert(format!("/{}", package.pool_path()), package.deb.clone());
                }
            }
            let release = suite.render(&mut files);
            let dir = format!("/dists/{}", suite.codename);
            let signed = suite.sign(&release, self.key);
            files.insert(format!("{dir}/Release"), release.into_bytes());
            files.insert(format!("{dir}/InRelease"), signed.into_bytes());
        }
        Repo { files }
    }
}

/// A rendered repository: URL path -> bytes.
#[derive(Debug, Clone)]
pub struct Repo {
    files: BTreeMap<String, Vec<u8>>,
}

impl Repo {
    /// Every file, keyed by URL path (starting with `/`).
    pub fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    /// Serves the repository on loopback HTTP.
    pub fn serve(&self) -> Server {
        Server::start(self.files.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(repo: &Repo, path: &str) -> String {
        String::from_utf8(repo.files()[path].clone()).unwrap()
    }

    #[test]
    fn release_lists_every_index_with_its_digest_and_by_hash_copies_exist() {
        let key = TestKey::generate("archive");
        let repo = RepoBuilder::new(&key)
            .suite(
                SuiteBuilder::new("trixie")
                    .package(TestPackage::new("hello", "1.0-1", "amd64"))
                    .package(TestPackage::new("tzdata", "2025a-1", "all")),
            )
            .build();
        let release = text(&repo, "/dists/trixie/Release");
        let xz = &repo.files()["/dists/trixie/main/binary-amd64/Packages.xz"];
        let line = format!(
            " {} {:>8} main/binary-amd64/Packages.xz",
            Sha256::of(xz),
            xz.len()
        );
        assert!(release.contains(&line), "{release}");
        let by_hash = format!(
            "/dists/trixie/main/binary-amd64/by-hash/SHA256/{}",
            Sha256::of(xz)
        );
        assert_eq!(&repo.files()[&by_hash], xz);
        assert!(text(&repo, "/dists/trixie/main/binary-all/Packages").contains("Package: tzdata"));
        assert!(text(&repo, "/dists/trixie/main/binary-amd64/Packages").contains("tzdata"));
        assert!(release.contains("No-Support-for-Architecture-all: Packages\n"));
        assert!(repo
            .files()
            .contains_key("/pool/main/h/hello/hello_1.0-1_amd64.deb"));
    }

    #[test]
    fn split_arch_all_layout_keeps_arch_all_out_of_arch_indices() {
        let key = TestKey::generate("archive");
        let repo = RepoBuilder::new(&key)
            .suite(
                SuiteBuilder::new("trixie")
                    .arch_all(ArchAll::OnlyInBinaryAll)
                    .package(TestPackage::new("tzdata", "2025a-1", "all")),
            )
            .build();
        assert!(text(&repo, "/dists/trixie/main/binary-all/Packages").contains("Package: tzdata"));
        assert!(!text(&repo, "/dists/trixie/main/binary-amd64/Packages").contains("tzdata"));
        assert!(!text(&repo, "/dists/trixie/Release").contains("No-Support-for-Architecture-all"));
    }

    #[test]
    fn breaking_the_deb_digest_changes_only_that_package() {
        let key = TestKey::generate("archive");
        let repo = RepoBuilder::new(&key)
            .suite(
                SuiteBuilder::new("trixie")
                    .package(TestPackage::new("aa", "1", "amd64"))
                    .package(TestPackage::new("bb", "1", "amd64"))
                    .breaking(Break::DebDigest("bb".into())),
            )
            .build();
        let index = text(&repo, "/dists/trixie/main/binary-amd64/Packages");
        let bad = Sha256::of(b"not the index").to_string();
        assert!(!index.contains(&bad));
        assert!(index.contains(&Sha256::of(b"not the deb").to_string()));
        let aa = TestPackage::new("aa", "1", "amd64");
        assert!(index.contains(&Sha256::of(aa.deb_bytes()).to_string()));
    }
}
