//! Python: hashed requirements or a lockfile -> wheels for the target -> installed files.

mod index;
mod install;
mod locks;
mod marker;
mod requirements;
mod tags;
#[cfg(test)]
pub(crate) mod testing;

pub use index::{choose_wheel, Index, IndexFile, PythonInstall};
pub use install::{install_wheel, InstallOptions, Metadata, WheelFile, SITE_PACKAGES};
pub use locks::LockFormat;
pub use requirements::{ProjectName, Requirement, Requirements};
pub use tags::{Machine, Target, WheelName, DEFAULT_GLIBC};
