//! The image name, the one identifier of a spec that is not a Debian archive name
//! (those live in `buckle-debian`).

buckle_debian::string_newtype!(
    /// An image name such as `python`: lowercase letters, digits and `-`.
    ImageName,
    "image name",
    "use lowercase letters, digits and `-`, starting with a letter or digit",
    |s| buckle_debian::lower_word(s, b"-") && s.len() <= 64
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_follow_their_rule() {
        assert!("python-dev".parse::<ImageName>().is_ok());
        assert!("Python".parse::<ImageName>().is_err());
        assert!("-x".parse::<ImageName>().is_err());
    }

    #[test]
    fn invalid_name_message_says_what_and_why() {
        let err = "Py".parse::<ImageName>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`Py` is not a valid image name: use lowercase letters, digits and `-`, starting with a letter or digit"
        );
    }
}
