//! Seccomp profiles recorded from what a container really calls.
//!
//! - [`trace`]: `strace -f` output of `runc run`, from which the container's own
//!   process tree is picked out (its command's `execve` onwards, and every child it
//!   forks) and its syscalls collected;
//! - [`profile`]: the OCI / Kubernetes seccomp profile allowing exactly those (plus
//!   what the runtime needs between loading the filter and the `execve`), denying the
//!   rest with `EPERM`, with the names each architecture uses.
#![deny(missing_docs)]

pub mod profile;
pub mod trace;

pub use profile::Profile;
pub use trace::{container_syscalls, TraceError};
