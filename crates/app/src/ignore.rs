//! `.buckleignore` / `.dockerignore`: which project files stay out of the image.
//!
//! The semantics are Docker's: one pattern a line, `#` starts a comment line, blank
//! lines are skipped, surrounding whitespace is trimmed, a leading `/` is dropped (every
//! pattern is relative to the project root, never matched at any depth as in git).
//! `*` matches any run of characters but `/`, `?` one character but `/`, `[...]` a
//! class (`[!...]` or `[^...]` negated), `\` escapes the next character, and `**`
//! matches any number of directories (`**/x` finds `x` at any depth). A path is
//! ignored when it or one of its parent directories matches; `!pattern` takes a path
//! back in. The last pattern that matches decides.

/// The parsed rules of an ignore file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreRules {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    negated: bool,
    pattern: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `*`: characters but `/`.
    Star,
    /// `?`: one character but `/`.
    One,
    /// `[...]`: ranges, negated or not.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    /// `**/`: zero or more whole directories.
    AnyDirs,
    /// `**` elsewhere: any characters, `/` included.
    Any,
}

impl IgnoreRules {
    /// Parses an ignore file's text. Every line is a valid pattern (an unclosed `[`
    /// matches a literal `[`), so parsing cannot fail.
    pub fn parse(text: &str) -> Self {
        let rules = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let line = line.trim();
                let (negated, pattern) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, line),
                };
                let pattern = clean(pattern);
                (!pattern.is_empty()).then(|| Rule {
                    negated,
                    pattern: tokens(&pattern),
                })
            })
            .collect();
        IgnoreRules { rules }
    }

    /// Whether `path` (relative to the project root, `/`-separated) stays out.
    pub fn is_ignored(&self, path: &str) -> bool {
        let mut ignored = false;
        for rule in &self.rules {
            if rule.negated == ignored && matches_or_parent(&rule.pattern, path) {
                ignored = !rule.negated;
            }
        }
        ignored
    }

    /// Whether a directory must be walked although it is ignored: some `!` rule may
    /// take back something inside it.
    pub fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|r| r.negated)
    }
}

/// The pattern as Docker cleans it: no leading `/`, no `.` segments, no repeated or
/// trailing `/`.
fn clean(pattern: &str) -> String {
    let segments: Vec<&str> = pattern
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    segments.join("/")
}

fn tokens(pattern: &str) -> Vec<Token> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                    out.push(Token::AnyDirs);
                } else {
                    out.push(Token::Any);
                }
            }
            '*' => out.push(Token::Star),
            '?' => out.push(Token::One),
            '\\' => {
                if let Some(&next) = chars.get(i) {
                    i += 1;
                    out.push(Token::Char(next));
                } else {
                    out.push(Token::Char('\\'));
                }
            }
            '[' => match class(&chars, i) {
                Some((token, next)) => {
                    out.push(token);
                    i = next;
                }
                None => out.push(Token::Char('[')),
            },
            c => out.push(Token::Char(c)),
        }
    }
    out
}

/// The class starting after `[` at `start`: the token and the index after `]`.
fn class(chars: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start;
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        i += 1;
        if c == ']' && !first {
            return Some((Token::Class { negated, ranges }, i));
        }
        first = false;
        let low = if c == '\\' {
            let escaped = *chars.get(i)?;
            i += 1;
            escaped
        } else {
            c
        };
        let high = if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&h| h != ']') {
            let h = *chars.get(i + 1)?;
            i += 2;
            h
        } else {
            low
        };
        ranges.push((low, high));
    }
}

fn matches_or_parent(pattern: &[Token], path: &str) -> bool {
    if glob(pattern, &path.chars().collect::<Vec<_>>()) {
        return true;
    }
    let mut prefix = path;
    while let Some((parent, _)) = prefix.rsplit_once('/') {
        if glob(pattern, &parent.chars().collect::<Vec<_>>()) {
            return true;
        }
        prefix = parent;
    }
    false
}

/// Whether the whole of `text` matches `pattern`.
fn glob(pattern: &[Token], text: &[char]) -> bool {
    let Some((token, rest)) = pattern.split_first() else {
        return text.is_empty();
    };
    match token {
        Token::Char(c) => text.first() == Some(c) && glob(rest, text.get(1..).unwrap_or_default()),
        Token::One => {
            text.first().is_some_and(|&c| c != '/') && glob(rest, text.get(1..).unwrap_or_default())
        }
        Token::Class { negated, ranges } => {
            text.first().is_some_and(|&c| {
                c != '/' && ranges.iter().any(|&(low, high)| (low..=high).contains(&c)) != *negated
            }) && glob(rest, text.get(1..).unwrap_or_default())
        }
        Token::Star => {
            let run = text.iter().take_while(|&&c| c != '/').count();
            (0..=run).any(|n| glob(rest, text.get(n..).unwrap_or_default()))
        }
        Token::Any => (0..=text.len()).any(|n| glob(rest, text.get(n..).unwrap_or_default())),
        Token::AnyDirs => {
            glob(rest, text)
                || text
                    .iter()
                    .enumerate()
                    .filter(|(_, &c)| c == '/')
                    .any(|(i, _)| glob(rest, text.get(i + 1..).unwrap_or_default()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignored(rules: &str, path: &str) -> bool {
        IgnoreRules::parse(rules).is_ignored(path)
    }

    #[test]
    fn patterns_are_anchored_at_the_project_root() {
        assert!(ignored("secret.txt", "secret.txt"));
        assert!(
            !ignored("secret.txt", "sub/secret.txt"),
            "unlike git, no match at depth"
        );
        assert!(ignored("/build", "build/out.o"), "a leading slash is dropped");
        assert!(ignored("./build/", "build"));
    }

    #[test]
    fn a_matching_directory_ignores_everything_under_it() {
        assert!(ignored("node_modules", "node_modules/x/index.js"));
        assert!(ignored("*/cache", "a/cache/deep/file"));
        assert!(!ignored("*/cache", "a/b/cache/file"), "`*` stops at `/`");
    }

    #[test]
    fn double_star_spans_directories() {
        assert!(ignored("**/__pycache__", "__pycache__/m.pyc"));
        assert!(ignored("**/__pycache__", "pkg/sub/__pycache__/m.pyc"));
        assert!(ignored("**/*.pyc", "a/b/c.pyc"));
        assert!(ignored("docs/**", "docs/a/b.md"));
        assert!(ignored("a/**/z", "a/z"));
        assert!(ignored("a/**/z", "a/b/c/z"));
        assert!(!ignored("a/**/z", "b/z"));
    }

    #[test]
    fn negation_takes_paths_back_and_the_last_match_wins() {
        let rules = "*.md\n!README.md\n";
        assert!(ignored(rules, "CHANGES.md"));
        assert!(!ignored(rules, "README.md"));
        let rules = "*.md\n!README.md\nREADME.md\n";
        assert!(ignored(rules, "README.md"), "a later pattern wins");
        let rules = "tests\n!tests/fixtures\n";
        assert!(ignored(rules, "tests/unit.py"));
        assert!(!ignored(rules, "tests/fixtures/data.json"));
        assert!(IgnoreRules::parse(rules).has_exceptions());
    }

    #[test]
    fn single_characters_classes_escapes_and_comments() {
        assert!(ignored("file?.txt", "file1.txt"));
        assert!(!ignored("file?.txt", "file10.txt"));
        assert!(ignored("[a-c]*.log", "b-server.log"));
        assert!(!ignored("[!a-c]*.log", "b-server.log"));
        assert!(ignored("[^a-c]*.log", "x.log"));
        assert!(ignored("\\#notes", "#notes"));
        assert!(!ignored("# comment\n\n   \n", "# comment"));
        assert!(ignored("  .env  ", ".env"), "whitespace is trimmed");
        assert!(ignored("a[", "a["), "an unclosed class is literal");
    }
}
