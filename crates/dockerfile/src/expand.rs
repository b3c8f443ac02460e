//! Variable expansion as BuildKit does it in FROM, COPY, ENV, WORKDIR, USER and the
//! other instructions it expands: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:+alternative}`, `${VAR+alternative}`, `${VAR:?message}`; quotes are removed.

use crate::error::ExpandError;
use std::iter::Peekable;
use std::str::Chars;

/// Expands one word. `lookup` gives a variable's value, `None` when it is unset.
///
/// ```
/// let vars = |name: &str| (name == "PY").then(|| "3.12".to_owned());
/// let image = buckle_dockerfile::expand("python:${PY:-3.11}-${VARIANT:-slim}", '\\', &vars).unwrap();
/// assert_eq!(image, "python:3.12-slim");
/// ```
pub fn expand(
    word: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ExpandError> {
    let mut expander = Expander {
        word,
        escape,
        lookup,
        chars: word.chars().peekable(),
    };
    expander.until(None, true)
}

struct Expander<'a> {
    word: &'a str,
    escape: char,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    chars: Peekable<Chars<'a>>,
}

impl Expander<'_> {
    /// Reads up to `stop` (consumed) or the end.
    fn until(&mut self, stop: Option<char>, top: bool) -> Result<String, ExpandError> {
        let mut out = String::new();
        while let Some(c) = self.chars.next() {
            if Some(c) == stop {
                return Ok(out);
            }
            match c {
                '\'' => {
                    for inner in self.chars.by_ref() {
                        if inner == '\'' {
                            break;
                        }
                        out.push(inner);
                    }
                }
                '"' => out.push_str(&self.double_quoted()?),
                '$' => out.push_str(&self.dollar()?),
                c if c == self.escape => out.extend(self.chars.next()),
                c => out.push(c),
            }
        }
        if stop.is_some() && !top {
            return Err(ExpandError::Unclosed {
                word: self.word.to_owned(),
            });
        }
        Ok(out)
    }

    fn double_quoted(&mut self) -> Result<String, ExpandError> {
        let mut out = String::new();
        while let Some(c) = self.chars.next() {
            match c {
                '"' => return Ok(out),
                '$' => out.push_str(&self.dollar()?),
                c if c == self.escape => match self.chars.peek() {
                    Some(&next) if next == '"' || next == '$' || next == self.escape => {
                        out.push(next);
                        self.chars.next();
                    }
                    Some(_) => out.push(c),
                    None => {}
                },
                c => out.push(c),
            }
        }
        Ok(out)
    }

    fn dollar(&mut self) -> Result<String, ExpandError> {
        if self.chars.next_if_eq(&'{').is_none() {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".to_owned());
            }
            return Ok((self.lookup)(&name).unwrap_or_default());
        }
        let name = self.name();
        let value = (self.lookup)(&name);
        let Some(c) = self.chars.next() else {
            return Err(ExpandError::Unclosed {
                word: self.word.to_owned(),
            });
        };
        if c == '}' {
            return Ok(value.unwrap_or_default());
        }
        let colon = c == ':';
        let modifier = if colon { self.chars.next() } else { Some(c) };
        let Some(modifier) = modifier else {
            return Err(ExpandError::Unclosed {
                word: self.word.to_owned(),
            });
        };
        let set = match &value {
            Some(v) => !(colon && v.is_empty()),
            None => false,
        };
        match modifier {
            '-' => {
                let default = self.until(Some('}'), false)?;
                Ok(if set { value.unwrap_or_default() } else { default })
            }
            '+' => {
                let alternative = self.until(Some('}'), false)?;
                Ok(if set { alternative } else { String::new() })
            }
            '?' => {
                let message = self.until(Some('}'), false)?;
                if set {
                    Ok(value.unwrap_or_default())
                } else {
                    let message = if message.is_empty() {
                        "is not allowed to be unset".to_owned()
                    } else {
                        message
                    };
                    Err(ExpandError::Required {
                        word: self.word.to_owned(),
                        name,
                        message,
                    })
                }
            }
            other => Err(ExpandError::Unsupported {
                word: self.word.to_owned(),
                name,
                modifier: other,
            }),
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.chars.next_if(|c| c.is_alphanumeric() || *c == '_') {
            name.push(c);
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(word: &str) -> Result<String, ExpandError> {
        let vars = |name: &str| match name {
            "SET" => Some("v".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        expand(word, '\\', &vars)
    }

    #[test]
    fn defaults_and_alternatives_follow_the_colon_rules() {
        assert_eq!(
            with("${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${SET:-d}").as_deref(),
            Ok("d d  v")
        );
        assert_eq!(
            with("${UNSET:+a}|${EMPTY:+a}|${EMPTY+a}|${SET:+a}").as_deref(),
            Ok("||a|a")
        );
        assert_eq!(with("$SET/$UNSET/${SET}x/$").as_deref(), Ok("v//vx/$"));
        assert_eq!(with("${UNSET:-${SET}-x}").as_deref(), Ok("v-x"));
    }

    #[test]
    fn quotes_and_escapes_are_removed_and_single_quotes_stop_expansion() {
        assert_eq!(with(r#"'$SET' "$SET" \$SET"#).as_deref(), Ok("$SET v $SET"));
    }

    #[test]
    fn broken_expressions_are_errors() {
        assert_eq!(with("${SET"), Err(ExpandError::Unclosed { word: "${SET".into() }));
        assert!(
            matches!(with("${UNSET:?give it}"), Err(ExpandError::Required { message, .. }) if message == "give it")
        );
        assert!(matches!(
            with("${SET#v}"),
            Err(ExpandError::Unsupported { modifier: '#', .. })
        ));
    }
}
