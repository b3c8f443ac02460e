//! deb822 paragraphs: the `Field: value` format of Release, Packages and control files.
//!
//! Parsing borrows from the input, so a whole Packages index is read without copying a
//! value. A value keeps its continuation lines (with their newlines and leading
//! spaces); single-line values are trimmed.

use crate::error::{Error, Result};

/// One paragraph: its fields in input order and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph<'a> {
    fields: Vec<(&'a str, &'a str)>,
    line: usize,
}

impl<'a> Paragraph<'a> {
    /// The value of `field`, compared case-insensitively as deb822 requires.
    pub fn get(&self, field: &str) -> Option<&'a str> {
        self.fields
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(field))
            .map(|(_, value)| *value)
    }

    /// Fields in input order.
    pub fn fields(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.fields.iter().copied()
    }

    /// The 1-based line number where the paragraph starts.
    pub fn line(&self) -> usize {
        self.line
    }
}

/// Iterates over the paragraphs of `text`. Blank lines separate paragraphs and lines
/// starting with `#` are comments.
pub fn paragraphs(text: &str) -> Paragraphs<'_> {
    Paragraphs {
        text,
        offset: 0,
        line: 0,
    }
}

/// Iterator returned by [`paragraphs`].
pub struct Paragraphs<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> Paragraphs<'a> {
    /// The next line (without its newline) and its start offset.
    fn next_line(&mut self) -> Option<(usize, &'a str)> {
        let rest = self.text.get(self.offset..)?;
        if rest.is_empty() {
            return None;
        }
        let start = self.offset;
        let len = rest.find('\n').unwrap_or(rest.len());
        self.offset += (len + 1).min(rest.len());
        self.line += 1;
        Some((start, rest.get(..len).unwrap_or(rest)))
    }
}

fn is_blank(line: &str) -> bool {
    line.bytes().all(|b| b == b' ' || b == b'\t' || b == b'\r')
}

impl<'a> Iterator for Paragraphs<'a> {
    type Item = Result<Paragraph<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut fields: Vec<(&'a str, &'a str)> = Vec::with_capacity(24);
        let mut first_line = 0;
        // Byte range of the value being read: it grows over continuation lines.
        let mut open: Option<(&'a str, usize, usize)> = None;
        while let Some((start, line)) = self.next_line() {
            if is_blank(line) {
                if fields.is_empty() && open.is_none() {
                    continue;
                }
                break;
            }
            if line.starts_with('#') {
                continue;
            }
            if line.starts_with(' ') || line.starts_with('\t') {
                match open.as_mut() {
                    Some((_, _, end)) => *end = start + line.len(),
                    None => return Some(Err(syntax(self.line, line))),
                }
                continue;
            }
            let Some(colon) = line.find(':') else {
                return Some(Err(syntax(self.line, line)));
            };
            if let Some(done) = open.take() {
                fields.push(self.finish(done));
            }
            if fields.is_empty() {
                first_line = self.line;
            }
            let name = line.get(..colon).unwrap_or_default().trim_end();
            if name.is_empty() {
                return Some(Err(syntax(self.line, line)));
            }
            open = Some((name, start + colon + 1, start + line.len()));
        }
        if let Some(done) = open.take() {
            fields.push(self.finish(done));
        }
        if fields.is_empty() {
            return None;
        }
        Some(Ok(Paragraph {
            fields,
            line: first_line,
        }))
    }
}

impl<'a> Paragraphs<'a> {
    fn finish(&self, (name, start, end): (&'a str, usize, usize)) -> (&'a str, &'a str) {
        let value = self.text.get(start..end).unwrap_or_default();
        (name, value.trim())
    }
}

fn syntax(line: usize, found: &str) -> Error {
    let mut found = found.to_owned();
    if found.len() > 80 {
        let mut cut = 80;
        while !found.is_char_boundary(cut) {
            cut -= 1;
        }
        found.truncate(cut);
    }
    Error::Deb822Syntax { line, found }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Paragraph<'_>> {
        paragraphs(text).collect::<Result<_>>().unwrap()
    }

    #[test]
    fn paragraphs_split_on_blank_lines_and_keep_start_lines() {
        let ps = parse("\n\nPackage: a\nVersion: 1\n\n\nPackage: b\n");
        assert_eq!(ps.len(), 2);
        assert_eq!((ps[0].get("package"), ps[0].line()), (Some("a"), 3));
        assert_eq!((ps[1].get("Package"), ps[1].line()), (Some("b"), 7));
    }

    #[test]
    fn continuation_lines_stay_in_the_value() {
        let ps = parse("Description: short\n long line\n .\n more\nSize: 4\n");
        assert_eq!(ps[0].get("Description"), Some("short\n long line\n .\n more"));
        assert_eq!(ps[0].get("Size"), Some("4"));
    }

    #[test]
    fn multiline_field_with_empty_first_line() {
        let ps = parse("SHA256:\n abc 1 main/x\n def 2 main/y\nDate: now\n");
        assert_eq!(ps[0].get("SHA256"), Some("abc 1 main/x\n def 2 main/y"));
    }

    #[test]
    fn crlf_and_comments_are_tolerated() {
        let ps = parse("# comment\r\nPackage: a\r\nVersion: 1\r\n\r\nPackage: b\r\n");
        assert_eq!(ps[0].get("Version"), Some("1"));
        assert_eq!(ps.len(), 2);
    }

    #[test]
    fn garbage_line_is_an_error_with_its_line_number() {
        let err = paragraphs("Package: a\nno colon here\n")
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: expected `Field: value` or a continuation line, found `no colon here`"
        );
        let err = paragraphs(" leading continuation\n").next().unwrap().unwrap_err();
        assert!(matches!(err, Error::Deb822Syntax { line: 1, .. }));
    }
}
