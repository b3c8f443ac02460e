//! Dockerfiles as BuildKit reads them.
//!
//! [`parse`] follows BuildKit's parser: parser directives (`# syntax=`, `# escape=`,
//! `# check=`), the escape character, line continuations (comment and blank lines
//! inside them), heredocs, flags (`--mount`, `--from`, `--chmod`, ...), exec (JSON)
//! and shell forms. Every instruction keeps its physical line range, so a rewriter can
//! copy the lines it leaves alone byte for byte. Instructions BuildKit does not know
//! are kept, with a warning. [`Dockerfile::stages`] resolves the FROM lines with the
//! ARGs declared before them, and [`expand`] does BuildKit's `${VAR:-default}`
//! expansion. No I/O: callers pass the text in.
//!
//! # Example
//!
//! ```
//! use buckle_dockerfile::{parse, Arguments, Base};
//! use std::collections::BTreeMap;
//!
//! let file = parse("ARG PY=3.12\nFROM python:${PY}-slim AS build\nRUN <<EOF\npip install .\nEOF\nCMD python -m app\n").unwrap();
//! let stages = file.stages(&BTreeMap::new()).unwrap();
//! assert_eq!(stages[0].base, Base::Image("python:3.12-slim".into()));
//! assert_eq!(file.instructions[2].heredocs[0].content, "pip install .\n");
//! assert_eq!((file.instructions[2].first_line, file.instructions[2].last_line), (3, 5));
//! assert_eq!(file.instructions[3].arguments, Arguments::Shell("python -m app".into()));
//! ```
#![deny(missing_docs)]

mod arguments;
mod error;
mod expand;
mod heredoc;
mod model;
mod parse;
mod stages;

pub use error::{ExpandError, ParseError};
pub use expand::expand;
pub use model::{Arguments, Directive, Dockerfile, Heredoc, Instruction, Kind, Warning};
pub use parse::parse;
pub use stages::{Base, Stage};
