//! Errors for reading packages, assembling the tree, hardening and writing layers.

use buckle_debian::{Arch, PackageError, PackageName};
use buckle_oci::RelPath;
use std::borrow::Cow;
use std::io;

/// Everything that can go wrong while turning packages into an image.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not a `.deb` as deb(5) describes it.
    #[error("`{deb}` is not a valid .deb: {problem}")]
    DebFormat {
        /// The package file.
        deb: String,
        /// What is wrong.
        problem: String,
    },
    /// An ar member that deb(5) does not define.
    #[error("`{deb}` has an unknown member `{member}`: expected `debian-binary`, `control.tar[.gz|.xz|.zst]`, `data.tar[.gz|.xz|.zst]` or a name starting with `_`")]
    UnknownMember {
        /// The package file.
        deb: String,
        /// The member's name.
        member: String,
    },
    /// `control.tar` or `data.tar` in a compression buckle does not read.
    #[error("`{member}` in `{deb}` uses an unsupported compression: expected none, `.gz`, `.xz` or `.zst`")]
    UnsupportedCompression {
        /// The package file.
        deb: String,
        /// The member's name.
        member: String,
    },
    /// A member could not be read (a truncated file, corrupt compression).
    #[error("cannot read `{member}` in `{deb}`")]
    DebRead {
        /// The package file.
        deb: String,
        /// The member's name.
        member: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The tar inside a member is broken or holds an entry the safe reader refuses
    /// (absolute or `..` paths, absurd sizes, corrupt compression).
    #[error("cannot unpack `{member}` in `{deb}`")]
    DebTar {
        /// The package file.
        deb: String,
        /// The member's name.
        member: String,
        /// The cause, naming the entry.
        #[source]
        source: Box<buckle_oci::Error>,
    },
    /// An upstream artifact is not what its `[[upstream]]` entry says.
    #[error("upstream artifact `{name}` (`{file}`) cannot be used: {problem}")]
    UpstreamFormat {
        /// The spec's `upstream.name`.
        name: String,
        /// The archive.
        file: String,
        /// What is wrong.
        problem: String,
    },
    /// An upstream artifact would replace what a package (or buckle) put in the image.
    #[error("upstream artifact `{name}` would replace `/{path}`, which `{owner}` puts in the image")]
    UpstreamConflict {
        /// The spec's `upstream.name`.
        name: String,
        /// The path both have.
        path: RelPath,
        /// The package that ships it, or `buckle`.
        owner: String,
    },
    /// An extra layer would replace what a package (or buckle) put in the image.
    #[error("layer `{name}` would replace `/{path}`, which `{owner}` puts in the image")]
    LayerConflict {
        /// The layer's name.
        name: String,
        /// The path both have.
        path: RelPath,
        /// The package that ships it, or `buckle`.
        owner: String,
    },
    /// A device node or FIFO in a package.
    #[error("`{deb}` contains `{path}`, a {kind}: device nodes and fifos are not allowed in images")]
    ForbiddenEntry {
        /// The package file.
        deb: String,
        /// The entry.
        path: RelPath,
        /// `character device`, `block device` or `fifo`.
        kind: &'static str,
    },
    /// A hard link whose target is not an earlier regular file of the same package.
    #[error("`{deb}` contains a hard link `{path}` to `{target}`, which is not an earlier regular file of the package")]
    HardlinkTarget {
        /// The package file.
        deb: String,
        /// The link.
        path: RelPath,
        /// What it points at.
        target: RelPath,
    },
    /// The files of one package add up to more than the limit.
    #[error("`{deb}` unpacks to more than {max} bytes")]
    PackageTooLarge {
        /// The package file.
        deb: String,
        /// The limit.
        max: u64,
    },
    /// The control file does not describe a binary package.
    #[error("the control file of `{deb}` is not usable")]
    Control {
        /// The package file.
        deb: String,
        /// What is wrong with it.
        #[source]
        source: PackageError,
    },
    /// A line of `md5sums` or `conffiles` that cannot be read.
    #[error("`{file}` of `{deb}`, line {line}: {problem}")]
    ControlFile {
        /// The package file.
        deb: String,
        /// `control`, `md5sums` or `conffiles`.
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// The same package given twice.
    #[error("package `{package}` is given twice")]
    DuplicatePackage {
        /// The package.
        package: PackageName,
    },
    /// Two packages put different things at one path.
    #[error("`{first}` and `{second}` both ship `{path}`: {detail}")]
    Conflict {
        /// The path.
        path: RelPath,
        /// The package already there (`buckle` for files buckle made).
        first: String,
        /// The package being added.
        second: String,
        /// How the two differ.
        detail: String,
    },
    /// An entry whose parent directory is a symlink in the tree.
    #[error("`{package}` ships `{path}` under `{link}`, a symlink to `{target}`{}", if *escapes { " that leads outside the root" } else { "" })]
    ThroughSymlink {
        /// The package (`buckle` for files buckle made).
        package: String,
        /// The entry.
        path: RelPath,
        /// The symlink on the way.
        link: RelPath,
        /// Its target.
        target: String,
        /// Whether following it leaves the root.
        escapes: bool,
    },
    /// An entry whose parent is a file.
    #[error("`{package}` ships `{path}`, but `{parent}` is not a directory")]
    NotADirectory {
        /// The package (`buckle` for files buckle made).
        package: String,
        /// The entry.
        path: RelPath,
        /// The parent that is not a directory.
        parent: RelPath,
    },
    /// A runtime image that would contain a shell or a package manager.
    #[error("the runtime image contains `{path}` from `{package}`: runtime images have no shell and no package manager")]
    ShellInRuntime {
        /// The path.
        path: RelPath,
        /// The package that ships it.
        package: String,
    },
    /// An architecture a step has no data for.
    #[error("cannot write the {what} for architecture `{arch}`: buckle knows amd64, arm64, i386, armhf, ppc64el, s390x and riscv64")]
    UnsupportedArch {
        /// The architecture.
        arch: Arch,
        /// What could not be made.
        what: &'static str,
    },
    /// A `.deb` whose control file says something else than the lock.
    #[error("`{deb}` does not match the lock: expected {field} `{expected}`, found `{actual}`")]
    LockMismatch {
        /// The package file.
        deb: String,
        /// The control field.
        field: &'static str,
        /// What the lock (or the image's architecture) says.
        expected: String,
        /// What the control file says.
        actual: String,
    },
    /// The config or manifest could not be stored.
    #[error("cannot write the image {what}")]
    ImageWrite {
        /// `config` or `manifest`.
        what: &'static str,
        /// The cause.
        #[source]
        source: Box<buckle_oci::Error>,
    },
    /// A layer could not be written.
    #[error("cannot write layer `{layer}`")]
    LayerWrite {
        /// The layer's name (a source package, `rest` or `buckle`).
        layer: String,
        /// The cause.
        #[source]
        source: Box<buckle_oci::Error>,
    },
    /// A symlink of the spec's `[image] links` leads to nothing in the image.
    #[error("the link `/{link}` -> `{target}` of `[image] links` leads to nothing in the image")]
    DanglingLink {
        /// The link's path.
        link: RelPath,
        /// Its target, `{arch}` filled in.
        target: String,
    },
    /// A CA certificate that cannot go into the Java truststore.
    #[error("cannot put `{certificate}` in the Java truststore: {problem}")]
    Truststore {
        /// The certificate's file, or `[image] certificates`.
        certificate: String,
        /// What is wrong.
        problem: String,
    },
    /// A broken invariant inside buckle: a bug, never bad input.
    #[error("internal error (please report it): {what}")]
    Internal {
        /// What went wrong.
        what: String,
    },
    /// The layer cache could not be read or written.
    #[error("cannot use the layer cache at `{}`; check its permissions and free space, or build with --no-layer-cache", path.display())]
    LayerCache {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// What the user can do about this error, when there is something.
    pub fn hint(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::DebFormat { .. } | Error::DebRead { .. } => Some(Cow::Borrowed(
                "the cached file may be damaged; remove it from the cache and build again",
            )),
            Error::LockMismatch { .. } => Some(Cow::Borrowed(
                "the package file and the lock disagree: the cache entry may be stale; resolve the lock again",
            )),
            Error::Conflict { .. } => Some(Cow::Borrowed(
                "exclude one of the packages in the spec, or declare a diversion for the path",
            )),
            Error::LayerConflict { .. } => Some(Cow::Borrowed(
                "leave the path out of the layer, or exclude the package that ships it",
            )),
            Error::UpstreamConflict { .. } => Some(Cow::Borrowed(
                "give the artifact another `prefix` or `links` path, or exclude the package that ships the file",
            )),
            Error::DanglingLink { .. } => Some(Cow::Borrowed(
                "check the target's path in the package's file list (`dpkg -L` in the -dev image); `{arch}` stands for the Debian architecture",
            )),
            Error::ShellInRuntime { package, .. } => Some(Cow::Owned(format!(
                "add `{package}` to `exclude` in the spec (with the reason), or build the dev variant if the image needs it"
            ))),
            _ => None,
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
