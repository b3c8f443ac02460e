//! "Did you mean" suggestions for misspelt keys and names.

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_finds_the_intended_key_and_nonsense_finds_nothing() {
        let keys = ["name", "packages", "architectures", "exclude"];
        assert_eq!(closest("pakages", keys), Some("packages"));
        assert_eq!(closest("architecture", keys), Some("architectures"));
        assert_eq!(closest("zzz", keys), None);
    }
}
