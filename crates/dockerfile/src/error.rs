//! Why a Dockerfile was rejected: each error names the lines it is about.

/// A Dockerfile that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", lines_text(*.first_line, *.last_line))]
pub struct ParseError {
    /// First line (1-based) of the instruction or directive at fault.
    pub first_line: usize,
    /// Last line (1-based); equal to `first_line` for a one-line problem.
    pub last_line: usize,
    /// What is wrong and, where there is one, what to write instead.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(first_line: usize, last_line: usize, message: impl Into<String>) -> Self {
        ParseError {
            first_line,
            last_line,
            message: message.into(),
        }
    }
}

fn lines_text(first: usize, last: usize) -> String {
    if first == last {
        format!("line {first}")
    } else {
        format!("lines {first}-{last}")
    }
}

/// A `$VAR` / `${VAR...}` expression that cannot be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    /// `${` without its closing `}`.
    #[error("`{word}`: missing `}}` after `${{`")]
    Unclosed {
        /// The word being expanded.
        word: String,
    },
    /// `${VAR:?message}` with VAR unset (or empty, with the colon).
    #[error("`{word}`: {name}: {message}")]
    Required {
        /// The word being expanded.
        word: String,
        /// The variable.
        name: String,
        /// The message the Dockerfile gives.
        message: String,
    },
    /// A modifier this expander does not know (BuildKit's `#`, `%` and `/` patterns).
    #[error("`{word}`: unsupported modifier `{modifier}` in `${{{name}...}}`; only :-, -, :+, +, :? and ? are understood")]
    Unsupported {
        /// The word being expanded.
        word: String,
        /// The variable.
        name: String,
        /// The modifier character.
        modifier: char,
    },
}
