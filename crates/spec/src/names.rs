//! The image name, the one identifier of a spec that is not a Debian archive name
//! (those live in `buckle-debian`).

buckle_debian::string_newtype!(
    /// An image name such as `python` or `python-3.11`: lowercase letters, digits, `-`,
    /// and `.` between letters or digits (as OCI repository names allow).
    ImageName,
    "image name",
    "use lowercase letters, digits, `-`, and `.` between letters or digits, starting with a letter or digit",
    |s| buckle_debian::lower_word(s, b"-.") && dots_between_alphanumerics(s) && s.len() <= 64
);

fn dots_between_alphanumerics(s: &str) -> bool {
    let b = s.as_bytes();
    let alphanumeric = |i: Option<usize>| i.and_then(|i| b.get(i)).is_some_and(u8::is_ascii_alphanumeric);
    (0..b.len())
        .filter(|&i| b[i] == b'.')
        .all(|i| alphanumeric(i.checked_sub(1)) && alphanumeric(Some(i + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_follow_their_rule() {
        assert!("python-dev".parse::<ImageName>().is_ok());
        assert!("Python".parse::<ImageName>().is_err());
        assert!("-x".parse::<ImageName>().is_err());
        assert!("python-3.11".parse::<ImageName>().is_ok());
        for bad in ["python.", "python-.3", "python..3", "3.-x"] {
            assert!(bad.parse::<ImageName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_name_message_says_what_and_why() {
        let err = "Py".parse::<ImageName>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`Py` is not a valid image name: use lowercase letters, digits, `-`, and `.` between letters or digits, starting with a letter or digit"
        );
    }
}
