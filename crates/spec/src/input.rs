//! Reading TOML text with every error mapped to `file:line:column`.

use crate::error::{Error, Location, Result};
use serde::de::DeserializeOwned;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// A TOML text and the file name to report errors against.
pub(crate) struct Input<'a> {
    pub file: &'a Path,
    pub text: &'a str,
}

impl<'a> Input<'a> {
    pub fn new(text: &'a str, file: &'a Path) -> Self {
        Input { file, text }
    }

    /// The location of byte `offset` (clamped to the text).
    pub fn at(&self, offset: usize) -> Location {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = self.text.get(..offset).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location {
            file: self.file.to_owned(),
            line: before.matches('\n').count() + 1,
            column: before.get(line_start..).unwrap_or_default().chars().count() + 1,
        }
    }

    /// The line (1-based) of byte `offset`.
    pub fn line(&self, span: &Range<usize>) -> usize {
        self.at(span.start).line
    }

    /// Deserializes the whole text.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T> {
        toml::from_str(self.text).map_err(|e| self.toml_error(&e))
    }

    fn toml_error(&self, e: &toml::de::Error) -> Error {
        let at = self.at(e.span().map_or(0, |s| s.start));
        match parse_unknown_field(e.message()) {
            Some((key, expected)) => Error::UnknownKey { at, key, expected },
            None => Error::Toml {
                at,
                message: e.message().trim_end().to_owned(),
            },
        }
    }

    /// An [`Error::Invalid`] at `span`.
    pub fn invalid(
        &self,
        span: &Range<usize>,
        key: &str,
        problem: impl Into<String>,
        hint: Option<String>,
    ) -> Error {
        Error::Invalid {
            at: self.at(span.start),
            key: key.to_owned(),
            problem: problem.into(),
            hint,
        }
    }

    /// Parses a spanned string with `FromStr`, reporting the parse error at the value.
    pub fn parse<T>(&self, key: &str, value: &Spanned<String>) -> Result<T>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        value
            .get_ref()
            .parse()
            .map_err(|e: T::Err| self.invalid(&value.span(), key, e.to_string(), None))
    }

    /// Parses a list of spanned strings, rejecting repeats.
    pub fn parse_unique<T>(&self, key: &str, values: &[Spanned<String>]) -> Result<Vec<T>>
    where
        T: std::str::FromStr + PartialEq,
        T::Err: std::fmt::Display,
    {
        let mut out: Vec<T> = Vec::with_capacity(values.len());
        for value in values {
            let parsed = self.parse(key, value)?;
            if let Some(first) = out.iter().position(|o| *o == parsed) {
                let first_span = values.get(first).map_or(0..0, Spanned::span);
                return Err(self.duplicate(key, value, &first_span));
            }
            out.push(parsed);
        }
        Ok(out)
    }

    /// An [`Error::Duplicate`] for `value`, first seen at `first`.
    pub fn duplicate(&self, key: &str, value: &Spanned<String>, first: &Range<usize>) -> Error {
        Error::Duplicate {
            at: self.at(value.span().start),
            key: key.to_owned(),
            value: value.get_ref().clone(),
            first_line: self.line(first),
        }
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a`", or
/// "there are no fields") as the key and the expected keys.
fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let expected = rest.split('`').skip(1).step_by(2).map(str::to_owned).collect();
    Some((key.to_owned(), expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_one_based_line_and_character_column() {
        let input = Input::new("a = 1\nb = \"é\"\nc", Path::new("x.toml"));
        assert_eq!(input.at(0).to_string(), "x.toml:1:1");
        assert_eq!(input.at(6).to_string(), "x.toml:2:1");
        assert_eq!(input.at(14).to_string(), "x.toml:2:8");
        assert_eq!(input.at(15).to_string(), "x.toml:3:1");
        assert_eq!(input.at(13).column, 7, "é counts as one column");
        assert_eq!(input.at(12).column, 6, "inside é clamps to its start");
        assert_eq!(input.at(999).to_string(), "x.toml:3:2");
    }

    #[test]
    fn unknown_field_messages_yield_key_and_expected_keys() {
        assert_eq!(
            parse_unknown_field("unknown field `nmae`, expected one of `name`, `packages`"),
            Some(("nmae".into(), vec!["name".into(), "packages".into()]))
        );
        assert_eq!(
            parse_unknown_field("unknown field `b`, expected `a`"),
            Some(("b".into(), vec!["a".into()]))
        );
        assert_eq!(parse_unknown_field("missing field `name`"), None);
    }
}
