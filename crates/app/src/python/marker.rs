//! Environment markers (PEP 508) evaluated for a [`Target`]: `python_version`,
//! `python_full_version`, `platform_machine`, `sys_platform`, `platform_system`,
//! `os_name`, `implementation_name`, `platform_python_implementation` and `extra`
//! (always empty: requirements files list what to install, not extras). A marker
//! naming anything else (`platform_release`, ...) cannot be decided for an image and
//! is refused.

use super::tags::Target;
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    Str(String),
    Op(String),
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '"' | '\'' => {
                let end = chars
                    .iter()
                    .skip(i + 1)
                    .position(|&d| d == c)
                    .ok_or_else(|| "a quoted string is not closed".to_owned())?;
                out.push(Token::Str(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            '<' | '>' | '=' | '!' | '~' => {
                let mut op = String::new();
                while let Some(&d) = chars.get(i) {
                    if "<>=!~".contains(d) {
                        op.push(d);
                        i += 1;
                    } else {
                        break;
                    }
                }
                out.push(Token::Op(op));
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == '.' => {
                let mut word = String::new();
                while let Some(&d) = chars.get(i) {
                    if d.is_ascii_alphanumeric() || d == '_' || d == '.' {
                        word.push(d);
                        i += 1;
                    } else {
                        break;
                    }
                }
                out.push(Token::Ident(word));
            }
            other => return Err(format!("unexpected `{other}`")),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    target: &'a Target,
}

enum Value {
    /// An environment variable's value, and whether it is a version.
    Variable(String, bool),
    Literal(String),
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut value = self.and()?;
        while matches!(self.peek(), Some(Token::Ident(w)) if w == "or") {
            self.at += 1;
            let right = self.and()?;
            value = value || right;
        }
        Ok(value)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut value = self.expression()?;
        while matches!(self.peek(), Some(Token::Ident(w)) if w == "and") {
            self.at += 1;
            let right = self.expression()?;
            value = value && right;
        }
        Ok(value)
    }

    fn expression(&mut self) -> Result<bool, String> {
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let value = self.or()?;
            return match self.next() {
                Some(Token::Close) => Ok(value),
                _ => Err("a `(` is not closed".to_owned()),
            };
        }
        let left = self.value()?;
        let op = match self.next() {
            Some(Token::Op(op)) => op,
            Some(Token::Ident(w)) if w == "in" => "in".to_owned(),
            Some(Token::Ident(w)) if w == "not" => match self.next() {
                Some(Token::Ident(w)) if w == "in" => "not in".to_owned(),
                _ => return Err("expected `in` after `not`".to_owned()),
            },
            _ => return Err("expected a comparison operator".to_owned()),
        };
        let right = self.value()?;
        compare(&left, &op, &right)
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Value::Literal(s)),
            Some(Token::Ident(name)) => self.variable(&name),
            _ => Err("expected a variable or a quoted string".to_owned()),
        }
    }

    fn variable(&self, name: &str) -> Result<Value, String> {
        let t = self.target;
        Ok(match name {
            "python_version" => Value::Variable(t.python_version(), true),
            "python_full_version" => Value::Variable(format!("{}.{}.{}", t.major, t.minor, t.micro), true),
            "platform_machine" => Value::Variable(t.machine.wheel_name().to_owned(), false),
            "sys_platform" => Value::Variable("linux".to_owned(), false),
            "platform_system" => Value::Variable("Linux".to_owned(), false),
            "os_name" => Value::Variable("posix".to_owned(), false),
            "implementation_name" => Value::Variable("cpython".to_owned(), false),
            "platform_python_implementation" => Value::Variable("CPython".to_owned(), false),
            "implementation_version" => Value::Variable(format!("{}.{}.{}", t.major, t.minor, t.micro), true),
            "extra" => Value::Variable(String::new(), false),
            other => {
                return Err(format!(
                    "`{other}` cannot be known for an image; compile the requirements without markers on it"
                ))
            }
        })
    }
}

fn compare(left: &Value, op: &str, right: &Value) -> Result<bool, String> {
    let (l, r, version) = match (left, right) {
        (Value::Variable(l, v), Value::Literal(r)) | (Value::Literal(l), Value::Variable(r, v)) => {
            (l.as_str(), r.as_str(), *v)
        }
        (Value::Literal(l), Value::Literal(r)) => (l.as_str(), r.as_str(), false),
        (Value::Variable(l, a), Value::Variable(r, b)) => (l.as_str(), r.as_str(), *a && *b),
    };
    let release = |s: &str| -> Option<Vec<u64>> { s.split('.').map(|n| n.parse().ok()).collect() };
    match op {
        "in" => return Ok(r.contains(l)),
        "not in" => return Ok(!r.contains(l)),
        _ => {}
    }
    if version {
        if let Some(wildcard) = r.strip_suffix(".*") {
            let (Some(lv), Some(prefix)) = (release(l), release(wildcard)) else {
                return Err(format!("`{r}` is not a version"));
            };
            let matches = lv.len() >= prefix.len() && lv[..prefix.len()] == prefix[..];
            return match op {
                "==" => Ok(matches),
                "!=" => Ok(!matches),
                _ => Err(format!("`{op}` cannot be used with the wildcard `{r}`")),
            };
        }
        let (Some(lv), Some(rv)) = (release(l), release(r)) else {
            return Err(format!("`{l}` {op} `{r}` does not compare two versions"));
        };
        let ordering = compare_release(&lv, &rv);
        return match op {
            "==" | "===" => Ok(ordering == Ordering::Equal),
            "!=" => Ok(ordering != Ordering::Equal),
            "<" => Ok(ordering == Ordering::Less),
            "<=" => Ok(ordering != Ordering::Greater),
            ">" => Ok(ordering == Ordering::Greater),
            ">=" => Ok(ordering != Ordering::Less),
            "~=" => {
                if rv.len() < 2 {
                    return Err(format!("`~=` needs at least two version parts, found `{r}`"));
                }
                let prefix = &rv[..rv.len() - 1];
                Ok(ordering != Ordering::Less && lv.len() >= prefix.len() && lv[..prefix.len()] == *prefix)
            }
            other => Err(format!("unknown operator `{other}`")),
        };
    }
    match op {
        "==" | "===" => Ok(l == r),
        "!=" => Ok(l != r),
        other => Err(format!(
            "`{other}` cannot compare `{l}` and `{r}`, which are not versions"
        )),
    }
}

fn compare_release(a: &[u64], b: &[u64]) -> Ordering {
    let len = a.len().max(b.len());
    for i in 0..len {
        let (x, y) = (a.get(i).copied().unwrap_or(0), b.get(i).copied().unwrap_or(0));
        match x.cmp(&y) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    Ordering::Equal
}

/// Whether `marker` holds for `target`; `Err` explains why it cannot be decided.
pub(crate) fn evaluate(marker: &str, target: &Target) -> Result<bool, String> {
    let tokens = tokenize(marker)?;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        target,
    };
    let value = parser.or()?;
    if parser.at < tokens.len() {
        return Err("unexpected text after the marker".to_owned());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(marker: &str, target: &str) -> Result<bool, String> {
        evaluate(marker, &target.parse().unwrap())
    }

    #[test]
    fn python_version_markers_compare_as_versions() {
        assert_eq!(eval(r#"python_version < "3.12""#, "3.11/amd64"), Ok(true));
        assert_eq!(eval(r#"python_version < "3.12""#, "3.13/amd64"), Ok(false));
        assert_eq!(eval(r#"python_version >= "3.9""#, "3.13/amd64"), Ok(true));
        assert_eq!(
            eval(r#"python_full_version >= "3.11.3""#, "3.11.2/amd64"),
            Ok(false)
        );
        assert_eq!(eval(r#"python_version == "3.*""#, "3.11/amd64"), Ok(true));
        assert_eq!(eval(r#"python_version ~= "3.10""#, "3.13/amd64"), Ok(true));
    }

    #[test]
    fn platform_markers_follow_the_target() {
        let m = r#"platform_machine == "x86_64" and sys_platform == "linux""#;
        assert_eq!(eval(m, "3.13/amd64"), Ok(true));
        assert_eq!(eval(m, "3.13/arm64"), Ok(false));
        assert_eq!(
            eval(
                r#"sys_platform == "win32" or (os_name == "posix" and 'linux' in sys_platform)"#,
                "3.13/amd64"
            ),
            Ok(true)
        );
        assert_eq!(eval(r#"platform_system != "Windows""#, "3.13/amd64"), Ok(true));
        assert_eq!(eval(r#"extra == "dev""#, "3.13/amd64"), Ok(false));
    }

    #[test]
    fn markers_that_cannot_be_known_are_refused() {
        let err = eval(r#"platform_release >= "6""#, "3.13/amd64").unwrap_err();
        assert!(err.contains("`platform_release` cannot be known"), "{err}");
        assert!(eval(r#"python_version < "3.12"#, "3.13/amd64").is_err());
        assert!(eval(r#"python_version"#, "3.13/amd64").is_err());
    }
}
