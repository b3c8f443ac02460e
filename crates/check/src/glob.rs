//! The globs of policy files: `*` matches within one path component, `**` across
//! components (`/opt/**` is everything under `/opt`, `/usr/**/x` includes `/usr/x`),
//! `?` one character other than `/`; everything else matches itself.

/// A parsed glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    text: String,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Char(char),
    One,
    Star,
    /// `**` not followed by `/`: anything.
    Anything,
    /// `**/`: nothing, or anything that ends in `/`.
    Directories,
}

impl Glob {
    /// Parses `text`; the empty glob is refused.
    pub fn new(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("empty glob".to_owned());
        }
        let chars: Vec<char> = text.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while let Some(&c) = chars.get(i) {
            let token = match c {
                '*' if chars.get(i + 1) == Some(&'*') => {
                    i += 1;
                    if chars.get(i + 1) == Some(&'/') {
                        i += 1;
                        Token::Directories
                    } else {
                        Token::Anything
                    }
                }
                '*' => Token::Star,
                '?' => Token::One,
                other => Token::Char(other),
            };
            tokens.push(token);
            i += 1;
        }
        Ok(Glob {
            text: text.to_owned(),
            tokens,
        })
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        // row[j]: the tokens so far match text[..j].
        let mut row = vec![false; text.len() + 1];
        if let Some(first) = row.first_mut() {
            *first = true;
        }
        for token in &self.tokens {
            let mut next = vec![false; text.len() + 1];
            let mut any_before = false;
            for j in 0..=text.len() {
                let here = row.get(j).copied().unwrap_or(false);
                let prev_char = j.checked_sub(1).and_then(|k| text.get(k)).copied();
                let diagonal = j
                    .checked_sub(1)
                    .and_then(|k| row.get(k))
                    .copied()
                    .unwrap_or(false);
                let left = j
                    .checked_sub(1)
                    .and_then(|k| next.get(k))
                    .copied()
                    .unwrap_or(false);
                let value = match token {
                    Token::Char(c) => diagonal && prev_char == Some(*c),
                    Token::One => diagonal && prev_char.is_some_and(|p| p != '/'),
                    Token::Star => here || (left && prev_char.is_some_and(|p| p != '/')),
                    Token::Anything => here || left,
                    Token::Directories => here || (prev_char == Some('/') && any_before),
                };
                any_before |= here;
                if let Some(slot) = next.get_mut(j) {
                    *slot = value;
                }
            }
            row = next;
        }
        row.last().copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(glob: &str, text: &str) -> bool {
        Glob::new(glob).unwrap().matches(text)
    }

    #[test]
    fn star_stays_within_a_component_and_double_star_crosses() {
        assert!(m("/usr/bin/*", "/usr/bin/passwd"));
        assert!(!m("/usr/bin/*", "/usr/bin/x/passwd"));
        assert!(m("/opt/**", "/opt/app/bin/tool"));
        assert!(m("/usr/**/su", "/usr/su"));
        assert!(m("/usr/**/su", "/usr/lib/x/su"));
        assert!(!m("/usr/**/su", "/usr/lib/xsu"));
        assert!(m("**", "config:User"));
        assert!(m("config:Env/*", "config:Env/DB_PASSWORD"));
        assert!(m("BKL-SECRET-*", "BKL-SECRET-ENV"));
        assert!(!m("BKL-SECRET-*", "BKL-SHELL"));
        assert!(m("/etc/ssh/ssh_host_?sa_key", "/etc/ssh/ssh_host_rsa_key"));
        assert!(!m("/etc/passwd", "/etc/passwd-"));
        assert!(Glob::new("").is_err());
    }
}
