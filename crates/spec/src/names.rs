//! Newtypes for the outside identifiers a spec or lock names: image names, suites,
//! components, pool paths and mirror URLs. Each is checked once, when parsed.

use std::fmt;
use std::str::FromStr;

/// Why a string is not a valid identifier of some kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}: {rule}")]
pub struct NameError {
    /// What was given.
    pub value: String,
    /// What it was meant to be (`image name`, `suite`...).
    pub kind: &'static str,
    /// The rule it breaks.
    pub rule: &'static str,
}

fn check(value: &str, kind: &'static str, rule: &'static str, ok: bool) -> Result<String, NameError> {
    if ok {
        Ok(value.to_owned())
    } else {
        Err(NameError {
            value: value.to_owned(),
            kind,
            rule,
        })
    }
}

fn lower_word(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || extra.contains(&b))
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $t:ident, $kind:literal, $rule:literal, $valid:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $t(String);

        impl $t {
            /// The value as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $t {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                let valid: fn(&str) -> bool = $valid;
                check(s, $kind, $rule, valid(s)).map($t)
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($t), self.0)
            }
        }

        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_newtype!(
    /// An image name such as `python`: lowercase letters, digits and `-`.
    ImageName,
    "image name",
    "use lowercase letters, digits and `-`, starting with a letter or digit",
    |s| lower_word(s, b"-") && s.len() <= 64
);

string_newtype!(
    /// An archive suite or codename such as `trixie`, `trixie-security` or `stable`.
    Suite,
    "suite",
    "use lowercase letters, digits, `-` and `.`",
    |s| lower_word(s, b"-.")
);

string_newtype!(
    /// An archive component such as `main`, `contrib` or `non-free-firmware`.
    Component,
    "component",
    "use lowercase letters, digits and `-`",
    |s| lower_word(s, b"-")
);

string_newtype!(
    /// A `.deb`'s path relative to the mirror root, as the Packages index's `Filename:`
    /// gives it, e.g. `pool/main/g/glibc/libc6_2.41-12_amd64.deb`. Never absolute, never
    /// with `..`, `.` or empty segments, so joining it to a mirror URL or a directory
    /// cannot escape either.
    PoolPath,
    "pool path",
    "expected a relative path like `pool/main/g/glibc/libc6_2.41-12_amd64.deb` without `..`, `.`, empty segments or whitespace",
    |s| {
        !s.is_empty()
            && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\')
            && s.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..")
    }
);

string_newtype!(
    /// The base URL of a Debian archive (the directory holding `dists/` and `pool/`),
    /// `http://` or `https://`, without a trailing slash. Only specs hold URLs: locks
    /// never do.
    MirrorUrl,
    "mirror URL",
    "expected `http://host/path` or `https://host/path` without spaces, a query or a trailing `/`",
    |s| {
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"));
        rest.is_some_and(|r| {
            !r.is_empty()
                && !r.starts_with('/')
                && !r.ends_with('/')
                && !r.chars().any(|c| c.is_whitespace() || c.is_control() || "?#".contains(c))
        })
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_path_refuses_anything_that_could_escape_the_mirror_root() {
        assert!("pool/main/g/glibc/libc6_2.41-12_amd64.deb"
            .parse::<PoolPath>()
            .is_ok());
        for bad in [
            "/etc/passwd",
            "pool/../../etc/passwd",
            "pool//x.deb",
            "./pool/x.deb",
            "pool/x.deb/",
            "pool/a b.deb",
            "pool\\x.deb",
            "",
        ] {
            assert!(bad.parse::<PoolPath>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn image_names_suites_and_urls_follow_their_rules() {
        assert!("python-dev".parse::<ImageName>().is_ok());
        assert!("Python".parse::<ImageName>().is_err());
        assert!("-x".parse::<ImageName>().is_err());
        assert!("trixie-security".parse::<Suite>().is_ok());
        assert!("trixie/updates".parse::<Suite>().is_err());
        assert!("non-free-firmware".parse::<Component>().is_ok());
        assert!("http://mirror.example/debian".parse::<MirrorUrl>().is_ok());
        for bad in ["ftp://x/debian", "http://", "http://x/debian/", "http://x/?a"] {
            assert!(bad.parse::<MirrorUrl>().is_err(), "{bad:?}");
        }
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
