//! Node: package-lock.json -> verified tarballs -> `node_modules`.

mod install;
mod integrity;
mod lock;

pub use install::{install, unpack_tarball, NodeInstall, NodeOptions, Registry};
pub use integrity::Integrity;
pub use lock::{LockPackage, PackageLock};
