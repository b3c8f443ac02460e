//! Text -> [`Dockerfile`], following BuildKit's parser: directives, comments,
//! continuations, heredocs, then each logical line split into keyword, flags and
//! arguments.

use crate::arguments::parse_arguments;
use crate::error::ParseError;
use crate::heredoc::heredocs_in_line;
use crate::model::{Arguments, Directive, Dockerfile, Instruction, Kind, Warning};

const DIRECTIVES: [&str; 3] = ["syntax", "escape", "check"];

/// Parses a Dockerfile.
///
/// Comments and blank lines belong to no instruction; every instruction records the
/// physical lines it spans. Instructions BuildKit does not know are kept (as
/// [`Arguments::Unknown`]) with a warning.
pub fn parse(source: &str) -> Result<Dockerfile, ParseError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let lines: Vec<String> = source.split_inclusive('\n').map(str::to_owned).collect();
    let mut directives = DirectiveScanner::default();
    let mut instructions = Vec::new();
    let mut warnings = Vec::new();
    let mut next = 0;
    while next < lines.len() {
        let processed = directives.process(&lines[next], true, next + 1)?;
        next += 1;
        let first_line = next;
        let escape = directives.escape;
        let (first, mut complete) = trim_continuation(&processed, escape);
        if complete && first.is_empty() {
            continue;
        }
        let mut logical = first.to_owned();
        let mut empty_continuation = false;
        while !complete && next < lines.len() {
            let raw = &lines[next];
            let processed = directives.process(raw, false, next + 1)?;
            next += 1;
            if is_comment(raw) {
                continue;
            }
            if processed.trim_start().is_empty() {
                empty_continuation = true;
                continue;
            }
            let (part, done) = trim_continuation(&processed, escape);
            logical.push_str(part);
            complete = done;
        }
        if empty_continuation {
            warnings.push(Warning {
                line: first_line,
                message: format!(
                    "empty continuation line in `{first}`: a future Dockerfile syntax may reject it; remove the blank line or the `{escape}` before it"
                ),
            });
        }
        let mut instruction = instruction_from_line(&logical, escape)
            .map_err(|message| ParseError::new(first_line, next, message))?;
        if can_contain_heredoc(&instruction) && logical.contains("<<") {
            let heredocs =
                heredocs_in_line(&logical).map_err(|message| ParseError::new(first_line, next, message))?;
            for mut heredoc in heredocs {
                let mut terminated = false;
                while next < lines.len() {
                    let raw = &lines[next];
                    next += 1;
                    let candidate = trim_newline(raw);
                    let candidate = if heredoc.chomp {
                        candidate.trim_start_matches('\t')
                    } else {
                        candidate
                    };
                    if candidate == heredoc.name {
                        terminated = true;
                        break;
                    }
                    heredoc.content.push_str(raw);
                }
                if !terminated {
                    return Err(ParseError::new(
                        first_line,
                        next,
                        format!(
                            "unterminated heredoc `<<{}`: add a line `{}` after its content",
                            heredoc.name, heredoc.name
                        ),
                    ));
                }
                instruction.heredocs.push(heredoc);
            }
        }
        instruction.first_line = first_line;
        instruction.last_line = next;
        if let Arguments::Unknown(_) = instruction.arguments {
            warnings.push(Warning {
                line: first_line,
                message: format!(
                    "unknown instruction `{}`: kept as written; BuildKit ignores it",
                    instruction.keyword
                ),
            });
        }
        instructions.push(instruction);
    }
    Ok(Dockerfile {
        directives: directives.found,
        escape: directives.escape,
        instructions,
        warnings,
        lines,
    })
}

/// Keyword, flags and arguments of one logical line (BuildKit's `newNodeFromLine`).
pub(crate) fn instruction_from_line(line: &str, escape: char) -> Result<Instruction, String> {
    let trimmed = line.trim();
    let (keyword, rest) = match trimmed.find(is_blank) {
        Some(at) => (&trimmed[..at], trimmed[at..].trim_start_matches(is_blank)),
        None => (trimmed, ""),
    };
    let (flags, rest) = extract_flags(rest);
    let rest = rest.trim();
    let arguments = parse_arguments(Kind::from_keyword(keyword), rest, escape)?;
    Ok(Instruction {
        keyword: keyword.to_owned(),
        flags,
        arguments,
        heredocs: Vec::new(),
        original: line.to_owned(),
        first_line: 0,
        last_line: 0,
    })
}

/// BuildKit's word separator: ASCII blanks other than the newline.
pub(crate) fn is_blank(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

fn is_comment(raw: &str) -> bool {
    trim_newline(raw).trim_start().starts_with('#')
}

fn trim_newline(raw: &str) -> &str {
    raw.trim_end_matches(['\r', '\n'])
}

/// Removes a trailing escape character (and blanks after it): the line continues. An
/// escaped escape character (two at the end) does not continue it; a lone one does.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let without_blanks = line.trim_end_matches([' ', '\t']);
    match without_blanks.strip_suffix(escape) {
        Some(kept) if !kept.ends_with(escape) => (kept, false),
        _ => (line, true),
    }
}

fn can_contain_heredoc(instruction: &Instruction) -> bool {
    let target = match &instruction.arguments {
        Arguments::Onbuild(inner) => inner,
        _ => instruction,
    };
    matches!(target.kind(), Kind::Run | Kind::Copy | Kind::Add)
        && !matches!(target.arguments, Arguments::Exec(_))
}

/// The leading `--flag` words (BuildKit's `extractBuilderFlags`); `--` alone ends them.
fn extract_flags(line: &str) -> (Vec<String>, &str) {
    let mut flags = Vec::new();
    let mut chars = line.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(start, _)) = chars.peek() else {
            return (flags, "");
        };
        if !line[start..].starts_with("--") {
            return (flags, &line[start..]);
        }
        let mut word = String::new();
        let mut quoted = false;
        let mut quote = '\0';
        loop {
            let Some((at, c)) = chars.next() else {
                if word != "--" && (quoted || !word.is_empty()) {
                    flags.push(word);
                }
                return (flags, "");
            };
            if quote != '\0' {
                if c == quote {
                    quote = '\0';
                } else if c == '\\' {
                    if let Some((_, next)) = chars.next() {
                        word.push(next);
                    }
                } else {
                    word.push(c);
                }
                continue;
            }
            if c.is_whitespace() {
                if word == "--" {
                    return (flags, &line[at..]);
                }
                if quoted || !word.is_empty() {
                    flags.push(word);
                }
                break;
            }
            match c {
                '\'' | '"' => {
                    quote = c;
                    quoted = true;
                }
                '\\' => {
                    if let Some((_, next)) = chars.next() {
                        word.push(next);
                    }
                }
                _ => word.push(c),
            }
        }
    }
}

/// Reads the directives at the top of the file; the first other line ends them.
struct DirectiveScanner {
    escape: char,
    done: bool,
    found: Vec<Directive>,
}

impl Default for DirectiveScanner {
    fn default() -> Self {
        DirectiveScanner {
            escape: '\\',
            done: false,
            found: Vec::new(),
        }
    }
}

impl DirectiveScanner {
    /// BuildKit's `processLine`: newline (and leading blanks) trimmed, comments emptied,
    /// directives recorded while they may still appear.
    fn process(&mut self, raw: &str, strip_left: bool, line: usize) -> Result<String, ParseError> {
        let mut token = trim_newline(raw);
        if strip_left {
            token = token.trim_start();
        }
        self.directive(token, line)?;
        Ok(if is_comment(token) {
            String::new()
        } else {
            token.to_owned()
        })
    }

    fn directive(&mut self, token: &str, line: usize) -> Result<(), ParseError> {
        if self.done {
            return Ok(());
        }
        let Some((name, value)) = directive_parts(token) else {
            self.done = true;
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        if !DIRECTIVES.contains(&name.as_str()) {
            self.done = true;
            return Ok(());
        }
        if self.found.iter().any(|d| d.name == name) {
            return Err(ParseError::new(
                line,
                line,
                format!("only one `{name}` parser directive can be used"),
            ));
        }
        if name == "escape" {
            self.escape = match value {
                "\\" => '\\',
                "`" => '`',
                other => {
                    return Err(ParseError::new(
                        line,
                        line,
                        format!(
                            "invalid escape character `{other}`: the escape directive takes `\\` or `` ` ``"
                        ),
                    ))
                }
            };
        }
        self.found.push(Directive {
            name,
            value: value.to_owned(),
            line,
        });
        Ok(())
    }
}

/// `#\s*name\s*=\s*value\s*` with a name of a letter then letters or digits.
fn directive_parts(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix('#')?.trim_start();
    let name_end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let name = &rest[..name_end];
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let value = rest[name_end..].trim_start().strip_prefix('=')?.trim();
    (!value.is_empty()).then_some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(source: &str) -> Instruction {
        let parsed = parse(source).expect("parses");
        assert_eq!(parsed.instructions.len(), 1, "{:?}", parsed.instructions);
        parsed.instructions.into_iter().next().expect("one")
    }

    #[test]
    fn continuation_skips_comment_and_blank_lines_and_keeps_the_range() {
        let parsed =
            parse("FROM a\nRUN apt-get update \\\n# a comment\n\n    && apt-get install -y curl\nUSER 1\n")
                .expect("parses");
        let run = &parsed.instructions[1];
        assert_eq!((run.first_line, run.last_line), (2, 5));
        assert_eq!(
            run.arguments,
            Arguments::Shell("apt-get update     && apt-get install -y curl".into())
        );
        assert_eq!(parsed.instructions[2].first_line, 6);
        assert_eq!(
            parsed.warnings.len(),
            1,
            "the blank line inside the continuation is warned about"
        );
    }

    #[test]
    fn escape_directive_switches_the_continuation_character() {
        let parsed = parse("# escape=`\nFROM windows\nRUN dir `\n  c:\\\n").expect("parses");
        assert_eq!(parsed.escape, '`');
        assert_eq!(
            parsed.instructions[1].arguments,
            Arguments::Shell("dir   c:\\".into())
        );
        assert_eq!(
            parsed.directives[0],
            Directive {
                name: "escape".into(),
                value: "`".into(),
                line: 1
            }
        );
    }

    #[test]
    fn directives_after_a_comment_are_plain_comments() {
        let parsed = parse("# hello\n# escape=`\nFROM a\n").expect("parses");
        assert!(parsed.directives.is_empty());
        assert_eq!(parsed.escape, '\\');
    }

    #[test]
    fn duplicate_and_invalid_directives_are_errors_with_their_line() {
        let err = parse("# syntax=a\n# syntax=b\nFROM a\n").expect_err("duplicate");
        assert_eq!(
            err.to_string(),
            "line 2: only one `syntax` parser directive can be used"
        );
        let err = parse("# escape=x\nFROM a\n").expect_err("bad escape");
        assert!(
            err.to_string()
                .starts_with("line 1: invalid escape character `x`"),
            "{err}"
        );
    }

    #[test]
    fn flags_are_split_off_with_quotes_removed() {
        let run = one("RUN --mount=type=cache,target=/root/.cache \"--network=none\" echo hi");
        assert_eq!(run.flags, vec!["--mount=type=cache,target=/root/.cache"]);
        assert_eq!(
            run.arguments,
            Arguments::Shell("\"--network=none\" echo hi".into())
        );
        let copy = one("COPY --from=build --chown=\"app:app\" --chmod=755 --link /out /app");
        assert_eq!(copy.flag("from"), Some("build"));
        assert_eq!(copy.flag("chown"), Some("app:app"));
        assert_eq!(copy.flag("link"), Some(""));
        assert_eq!(
            copy.arguments,
            Arguments::Words(vec!["/out".into(), "/app".into()])
        );
    }

    #[test]
    fn heredocs_take_their_lines_and_several_can_follow_one_line() {
        let parsed = parse("FROM a\nRUN <<EOF\napt-get update\nEOF\nCOPY <<one.txt <<-\"two\" /dst/\n1\none.txt\n\t2\n\ttwo\nUSER x\n").expect("parses");
        let run = &parsed.instructions[1];
        assert_eq!((run.first_line, run.last_line), (2, 4));
        assert_eq!(run.heredocs[0].content, "apt-get update\n");
        let copy = &parsed.instructions[2];
        assert_eq!((copy.first_line, copy.last_line), (5, 9));
        assert_eq!(copy.heredocs.len(), 2);
        assert_eq!(copy.heredocs[0].content, "1\n");
        assert!(copy.heredocs[1].chomp && !copy.heredocs[1].expand);
        assert_eq!(copy.heredocs[1].content, "\t2\n");
        assert_eq!(parsed.instructions[3].first_line, 10);
    }

    #[test]
    fn an_unterminated_heredoc_is_an_error_naming_its_lines() {
        let err = parse("FROM a\nRUN <<EOF\necho\n").expect_err("unterminated");
        assert_eq!(
            err.to_string(),
            "lines 2-3: unterminated heredoc `<<EOF`: add a line `EOF` after its content"
        );
    }

    #[test]
    fn unknown_instructions_are_kept_with_a_warning() {
        let parsed = parse("FROM a\nFROBNICATE the thing\n").expect("parses");
        assert_eq!(
            parsed.instructions[1].arguments,
            Arguments::Unknown("the thing".into())
        );
        assert_eq!(parsed.warnings[0].line, 2);
    }

    #[test]
    fn source_lines_give_back_the_bytes() {
        let parsed = parse("FROM a\r\n# c\nRUN x\n").expect("parses");
        assert_eq!(parsed.source_lines(1, 2), ["FROM a\r\n", "# c\n"]);
        assert_eq!(
            parsed.instructions[0].arguments,
            Arguments::Words(vec!["a".into()])
        );
    }
}
