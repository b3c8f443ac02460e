//! Finding the here-documents a RUN, COPY or ADD line opens.

use crate::model::Heredoc;

/// Every `[N]<<[-]NAME` word of a line, in order. Words are split as a shell does
/// (quotes and backslashes keep blanks inside a word).
pub(crate) fn heredocs_in_line(line: &str) -> Result<Vec<Heredoc>, String> {
    shell_words(line)
        .iter()
        .filter_map(|word| heredoc_word(word).transpose())
        .collect()
}

fn heredoc_word(word: &str) -> Result<Option<Heredoc>, String> {
    let digits = word.find(|c: char| !c.is_ascii_digit()).unwrap_or(word.len());
    let Some(rest) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    if rest.is_empty() || rest.contains('<') {
        return Ok(None);
    }
    let file_descriptor = if digits == 0 {
        0
    } else {
        word[..digits]
            .parse()
            .map_err(|_| format!("`{word}`: the file descriptor is too large"))?
    };
    let unquoted = shell_words(rest);
    let [name] = unquoted.as_slice() else {
        return Ok(None);
    };
    let name = unquote(name);
    let quotes = |s: &str| s.chars().filter(|c| *c == '\'' || *c == '"').count();
    let expand = quotes(&name) == quotes(rest);
    Ok(Some(Heredoc {
        name,
        expand,
        chomp,
        file_descriptor,
        content: String::new(),
    }))
}

/// Splits like a shell, keeping quotes and backslashes in the words.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut started = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            '\\' => {
                started = true;
                word.push(c);
                word.extend(chars.next());
            }
            '\'' | '"' => {
                started = true;
                word.push(c);
                let mut escaped = false;
                for inner in chars.by_ref() {
                    word.push(inner);
                    if c == '"' && inner == '\\' && !escaped {
                        escaped = true;
                        continue;
                    }
                    if inner == c && !escaped {
                        break;
                    }
                    escaped = false;
                }
            }
            _ => {
                started = true;
                word.push(c);
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// Removes quotes and backslash escapes.
fn unquote(word: &str) -> String {
    let mut out = String::new();
    let mut chars = word.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => out.push(c),
            (_, '\\') => out.extend(chars.next()),
            (_, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredoc_words_give_name_quoting_chomp_and_descriptor() {
        let found = heredocs_in_line("RUN 3<<-'EOF' cat <<\"X Y\" > f <<plain").expect("valid");
        let summary: Vec<_> = found
            .iter()
            .map(|h| (h.name.as_str(), h.expand, h.chomp, h.file_descriptor))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("EOF", false, true, 3),
                ("X Y", false, false, 0),
                ("plain", true, false, 0)
            ]
        );
    }

    #[test]
    fn shifts_and_here_strings_are_not_heredocs() {
        assert!(heredocs_in_line("RUN echo $((1<<2)) <<< x <<")
            .expect("valid")
            .is_empty());
    }
}
