//! The argument shapes of each instruction (BuildKit's dispatch table of line parsers).

use crate::model::{Arguments, Kind};
use crate::parse::{instruction_from_line, is_blank};

pub(crate) fn parse_arguments(kind: Kind, rest: &str, escape: char) -> Result<Arguments, String> {
    Ok(match kind {
        Kind::Run | Kind::Cmd | Kind::Entrypoint | Kind::Shell => maybe_json(rest)?,
        Kind::Add | Kind::Copy | Kind::Volume => match json_array(rest)? {
            Some(items) => Arguments::Exec(items),
            None => blank_separated(rest),
        },
        Kind::From | Kind::Expose => blank_separated(rest),
        Kind::Arg => {
            let words = words(rest, escape);
            if words.is_empty() {
                Arguments::Empty
            } else {
                Arguments::Words(words)
            }
        }
        Kind::Env | Kind::Label => name_values(kind, rest, escape)?,
        Kind::Maintainer | Kind::StopSignal | Kind::User | Kind::Workdir => {
            if rest.is_empty() {
                Arguments::Empty
            } else {
                Arguments::Shell(rest.to_owned())
            }
        }
        Kind::Healthcheck => {
            let (kind, command) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            if kind.is_empty() {
                Arguments::Empty
            } else {
                Arguments::Healthcheck {
                    kind: kind.to_owned(),
                    command: Box::new(maybe_json(command.trim_start())?),
                }
            }
        }
        Kind::Onbuild => {
            if rest.is_empty() {
                Arguments::Empty
            } else {
                Arguments::Onbuild(Box::new(instruction_from_line(rest, escape)?))
            }
        }
        Kind::Unknown => Arguments::Unknown(rest.to_owned()),
    })
}

/// Exec form when the rest is a JSON array of strings, else shell form.
fn maybe_json(rest: &str) -> Result<Arguments, String> {
    if rest.is_empty() {
        return Ok(Arguments::Empty);
    }
    Ok(match json_array(rest)? {
        Some(items) => Arguments::Exec(items),
        None => Arguments::Shell(rest.to_owned()),
    })
}

/// The JSON array at the start of `rest` (what follows it is ignored, as BuildKit
/// does); `None` when there is none; an error for an array of non-strings.
fn json_array(rest: &str) -> Result<Option<Vec<String>>, String> {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Ok(None);
    }
    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
    let Some(Ok(serde_json::Value::Array(items))) = values.next() else {
        return Ok(None);
    };
    items
        .into_iter()
        .map(|item| match item {
            serde_json::Value::String(s) => Ok(s),
            _ => Err(format!(
                "`{rest}`: a JSON array here must hold only strings; quote every element"
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn blank_separated(rest: &str) -> Arguments {
    if rest.is_empty() {
        return Arguments::Empty;
    }
    Arguments::Words(
        rest.split(is_blank)
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// ENV and LABEL: `name=value ...`, or the old `NAME value` when the first word has no `=`.
fn name_values(kind: Kind, rest: &str, escape: char) -> Result<Arguments, String> {
    let words = words(rest, escape);
    let Some(first) = words.first() else {
        return Ok(Arguments::Empty);
    };
    let keyword = if kind == Kind::Env { "ENV" } else { "LABEL" };
    if !first.contains('=') {
        let Some(at) = rest.find(is_blank) else {
            return Err(format!(
                "{keyword} `{rest}` needs a value: write `{keyword} {rest}=VALUE`"
            ));
        };
        let value = rest[at..].trim_start_matches(is_blank);
        return Ok(Arguments::Pairs(vec![(rest[..at].to_owned(), value.to_owned())]));
    }
    words
        .iter()
        .map(|word| match word.split_once('=') {
            Some((name, value)) => Ok((name.to_owned(), value.to_owned())),
            None => Err(format!(
                "{keyword}: `{word}` has no `=`: every word must be NAME=VALUE"
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Arguments::Pairs)
}

/// Splits on whitespace outside quotes; quotes and escape characters are kept in the
/// words (BuildKit's `parseWords`).
pub(crate) fn words(rest: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut started = false;
    let mut quote: Option<char> = None;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            None if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            None => {
                started = true;
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                if c == escape {
                    if chars.peek().is_none() {
                        continue;
                    }
                    word.push(c);
                    if let Some(next) = chars.next() {
                        word.push(next);
                    }
                    continue;
                }
                word.push(c);
            }
            Some(q) => {
                if c == q {
                    quote = None;
                }
                if c == escape && q != '\'' {
                    if chars.peek().is_none() {
                        quote = None;
                        continue;
                    }
                    word.push(c);
                    if let Some(next) = chars.next() {
                        word.push(next);
                    }
                    continue;
                }
                word.push(c);
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_needs_a_string_array_and_falls_back_to_shell_form() {
        assert_eq!(
            maybe_json(r#"["a", "b c"]"#),
            Ok(Arguments::Exec(vec!["a".into(), "b c".into()]))
        );
        assert_eq!(maybe_json("['a']"), Ok(Arguments::Shell("['a']".into())));
        assert!(maybe_json("[1, 2]").is_err());
    }

    #[test]
    fn env_takes_both_forms_and_keeps_quotes() {
        let new = parse_arguments(Kind::Env, r#"A=1 B="two words""#, '\\');
        assert_eq!(
            new,
            Ok(Arguments::Pairs(vec![
                ("A".into(), "1".into()),
                ("B".into(), "\"two words\"".into())
            ]))
        );
        let old = parse_arguments(Kind::Env, "PATH /a:/b  c", '\\');
        assert_eq!(
            old,
            Ok(Arguments::Pairs(vec![("PATH".into(), "/a:/b  c".into())]))
        );
        assert!(parse_arguments(Kind::Env, "A=1 B", '\\').is_err());
    }

    #[test]
    fn words_keep_escapes_and_quotes() {
        assert_eq!(words(r#"A="x y" B=\"z"#, '\\'), vec![r#"A="x y""#, r#"B=\"z"#]);
    }
}
