//! FIRST's EPSS scores (CSV) -> [`Epss`].
//!
//! The published file starts with a comment line
//! `#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z`, then the header
//! `cve,epss,percentile`, then one line per CVE.

use crate::advisory::{Epss, EpssScore};
use crate::error::{Error, Result};

/// Reads the CSV; `origin` names the file in errors, which give the line.
pub fn parse(origin: &str, text: &str) -> Result<Epss> {
    let bad = |line: usize, problem: String| Error::Feed {
        origin: format!("{origin}:{line}"),
        problem,
    };
    let mut epss = Epss::default();
    let mut header_seen = false;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = line.trim();
        if let Some(comment) = line.strip_prefix('#') {
            for pair in comment.split(',') {
                match pair.split_once(':') {
                    Some(("model_version", v)) => epss.model_version = v.to_owned(),
                    Some(("score_date", v)) => epss.score_date = v.to_owned(),
                    _ => {}
                }
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        if !header_seen {
            if line != "cve,epss,percentile" {
                return Err(bad(
                    line_no,
                    format!("expected the header `cve,epss,percentile`, found `{line}`"),
                ));
            }
            header_seen = true;
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let [cve, score, percentile] = fields.as_slice() else {
            return Err(bad(
                line_no,
                format!("expected `cve,epss,percentile`, found `{line}`"),
            ));
        };
        let number = |text: &str| -> Result<f64> {
            text.parse::<f64>()
                .ok()
                .filter(|v| (0.0..=1.0).contains(v))
                .ok_or_else(|| bad(line_no, format!("`{text}` is not a number from 0 to 1")))
        };
        let id = cve
            .parse()
            .map_err(|_| bad(line_no, format!("`{cve}` is not a CVE id")))?;
        epss.scores.insert(
            id,
            EpssScore {
                score: number(score)?,
                percentile: number(percentile)?,
            },
        );
    }
    if !header_seen {
        return Err(bad(
            1,
            "no `cve,epss,percentile` header: not an EPSS CSV".to_owned(),
        ));
    }
    Ok(epss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_model_line_are_read() {
        let csv = "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\ncve,epss,percentile\nCVE-2024-38475,0.94,0.999\nCVE-2025-27363,0.5,0.97\n";
        let epss = parse("epss.csv", csv).unwrap();
        assert_eq!(epss.model_version, "v2025.03.14");
        assert_eq!(epss.score_date, "2025-08-25T12:55:00Z");
        assert_eq!(epss.scores.len(), 2);
        assert_eq!(epss.scores[&"CVE-2024-38475".parse().unwrap()].score, 0.94);
    }

    #[test]
    fn bad_lines_are_errors_with_the_line() {
        let err = parse("e.csv", "cve,epss,percentile\nCVE-2024-1234,1.5,0.2\n").unwrap_err();
        assert_eq!(err.to_string(), "`e.csv:2`: `1.5` is not a number from 0 to 1");
        let err = parse("e.csv", "id,score\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`e.csv:1`: expected the header `cve,epss,percentile`, found `id,score`"
        );
    }
}
