//! The operations commands are made of, one module per step of the factory: lock,
//! fetch, build, sign, push, smoke-test, scan, check. A command turns its arguments
//! into an operation's request and prints what comes back; an operation that combines
//! steps (a build that signs, tests and pushes) calls the other operations, never a
//! command.

pub mod advisories;
pub mod app;
pub mod attachments;
pub mod build;
pub mod bundle;
pub mod catalog;
pub mod check;
pub mod fetch;
pub mod harden;
pub mod lock;
pub mod push;
pub mod resolution_memo;
pub mod scan;
pub mod seccomp;
pub mod sign;
pub mod specs;
pub mod test;
