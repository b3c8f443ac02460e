//! The parsed Dockerfile: instructions with their flags, arguments and source lines.

use serde::Serialize;

/// A parsed Dockerfile. The source text is kept, so a rewriter can copy untouched lines
/// byte for byte ([`Dockerfile::source_lines`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dockerfile {
    /// The parser directives at the top (`# syntax=`, `# escape=`, `# check=`).
    pub directives: Vec<Directive>,
    /// The escape character: `\` unless `# escape=` says `` ` ``.
    pub escape: char,
    /// Every instruction in order, unknown ones included.
    pub instructions: Vec<Instruction>,
    /// Things BuildKit accepts but warns about, and instructions it ignores.
    pub warnings: Vec<Warning>,
    #[serde(skip)]
    pub(crate) lines: Vec<String>,
}

impl Dockerfile {
    /// The physical lines `first..=last` (1-based), each with its line ending.
    pub fn source_lines(&self, first: usize, last: usize) -> &[String] {
        let end = last.min(self.lines.len());
        let start = first.saturating_sub(1).min(end);
        &self.lines[start..end]
    }

    /// How many physical lines the source has.
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }
}

/// A parser directive: `# name=value` before anything else in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    /// Lower-cased name: `syntax`, `escape` or `check`.
    pub name: String,
    /// The value, trimmed.
    pub value: String,
    /// 1-based line.
    pub line: usize,
}

/// Something the file does that works but deserves a look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// 1-based line of the instruction.
    pub line: usize,
    /// What and why.
    pub message: String,
}

/// One instruction: its keyword, flags, arguments, heredocs and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instruction {
    /// The keyword as written (any case).
    pub keyword: String,
    /// The flags before the arguments, as BuildKit lists them: `--name=value` with
    /// quotes and backslashes removed.
    pub flags: Vec<String>,
    /// The arguments, in the form the keyword takes.
    pub arguments: Arguments,
    /// The here-documents the first line opens, in order.
    pub heredocs: Vec<Heredoc>,
    /// The logical line: continuations joined, comment lines inside them dropped.
    pub original: String,
    /// First physical line (1-based).
    pub first_line: usize,
    /// Last physical line (1-based), heredoc terminators included.
    pub last_line: usize,
}

impl Instruction {
    /// Which instruction this is.
    pub fn kind(&self) -> Kind {
        Kind::from_keyword(&self.keyword)
    }

    /// The value of `--name=value` (the last one when repeated); `Some("")` for a bare `--name`.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().rev().find_map(|flag| {
            let rest = flag.strip_prefix("--")?;
            match rest.split_once('=') {
                Some((key, value)) if key.eq_ignore_ascii_case(name) => Some(value),
                None if rest.eq_ignore_ascii_case(name) => Some(""),
                _ => None,
            }
        })
    }
}

/// An instruction's arguments, in the shapes BuildKit's parser gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "form", content = "value", rename_all = "snake_case")]
pub enum Arguments {
    /// Nothing after the keyword (and flags).
    Empty,
    /// JSON array form (exec form for RUN, CMD, ENTRYPOINT, SHELL).
    Exec(Vec<String>),
    /// The rest of the line as one string (shell form, USER, WORKDIR, ...).
    Shell(String),
    /// Whitespace-separated words (FROM, EXPOSE, COPY/ADD/VOLUME, ARG).
    Words(Vec<String>),
    /// `key=value` pairs of ENV and LABEL (or the old `KEY value` form), quotes kept.
    Pairs(Vec<(String, String)>),
    /// HEALTHCHECK: `NONE` or `CMD` and its command.
    Healthcheck {
        /// `CMD` or `NONE`, as written.
        kind: String,
        /// The command after `CMD`.
        command: Box<Arguments>,
    },
    /// ONBUILD and the instruction it defers.
    Onbuild(Box<Instruction>),
    /// An instruction BuildKit does not know; its text is kept verbatim.
    Unknown(String),
}

/// A here-document: `<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heredoc {
    /// The delimiter, quotes removed.
    pub name: String,
    /// Whether variables in the content are expanded (an unquoted delimiter).
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from the content and the terminator.
    pub chomp: bool,
    /// The file descriptor (`0` unless written as `N<<`).
    pub file_descriptor: u32,
    /// The content lines as written, each with its newline, terminator excluded.
    pub content: String,
}

/// The instructions of the Dockerfile reference, and `Unknown` for anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub enum Kind {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    StopSignal,
    User,
    Volume,
    Workdir,
    Unknown,
}

impl Kind {
    /// The instruction a keyword names, in any case.
    pub fn from_keyword(keyword: &str) -> Kind {
        match keyword.to_ascii_lowercase().as_str() {
            "add" => Kind::Add,
            "arg" => Kind::Arg,
            "cmd" => Kind::Cmd,
            "copy" => Kind::Copy,
            "entrypoint" => Kind::Entrypoint,
            "env" => Kind::Env,
            "expose" => Kind::Expose,
            "from" => Kind::From,
            "healthcheck" => Kind::Healthcheck,
            "label" => Kind::Label,
            "maintainer" => Kind::Maintainer,
            "onbuild" => Kind::Onbuild,
            "run" => Kind::Run,
            "shell" => Kind::Shell,
            "stopsignal" => Kind::StopSignal,
            "user" => Kind::User,
            "volume" => Kind::Volume,
            "workdir" => Kind::Workdir,
            _ => Kind::Unknown,
        }
    }
}
