//! Names from a Debian archive's layout: suites, components, pool paths and mirror
//! URLs. Each is checked once, when parsed, so joining them into a URL or a path
//! cannot escape the archive.

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

impl NameError {
    /// `Ok(value)` when `ok`, else the error for `value` of `kind` breaking `rule`.
    #[doc(hidden)]
    pub fn check(value: &str, kind: &'static str, rule: &'static str, ok: bool) -> Result<String, NameError> {
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
}

/// Lowercase letters and digits plus `extra`, starting with a letter or digit.
#[doc(hidden)]
pub fn lower_word(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || extra.contains(&b))
}

#[macro_export]
#[doc(hidden)]
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

        impl ::std::str::FromStr for $t {
            type Err = $crate::NameError;
            fn from_str(s: &str) -> Result<Self, $crate::NameError> {
                let valid: fn(&str) -> bool = $valid;
                $crate::NameError::check(s, $kind, $rule, valid(s)).map($t)
            }
        }

        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::fmt::Debug for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({:?})", stringify!($t), self.0)
            }
        }

        impl $crate::serde::Serialize for $t {
            fn serialize<S: $crate::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> $crate::serde::Deserialize<'de> for $t {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <String as $crate::serde::Deserialize>::deserialize(d)?.parse().map_err($crate::serde::de::Error::custom)
            }
        }
    };
}

crate::string_newtype!(
    /// An archive suite or codename such as `trixie`, `trixie-security` or `stable`.
    Suite,
    "suite",
    "use lowercase letters, digits, `-` and `.`",
    |s| lower_word(s, b"-.")
);

crate::string_newtype!(
    /// An archive component such as `main`, `contrib` or `non-free-firmware`.
    Component,
    "component",
    "use lowercase letters, digits and `-`",
    |s| lower_word(s, b"-")
);

crate::string_newtype!(
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

crate::string_newtype!(
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

impl PoolPath {
    /// The last segment (`libc6_2.41-12_amd64.deb`).
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

impl MirrorUrl {
    /// The URL of `path` (relative) below the mirror.
    pub fn join(&self, path: &str) -> String {
        format!("{}/{}", self.0, path.trim_start_matches('/'))
    }
}

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
    fn suites_components_and_urls_follow_their_rules() {
        assert!("trixie-security".parse::<Suite>().is_ok());
        assert!("trixie/updates".parse::<Suite>().is_err());
        assert!("non-free-firmware".parse::<Component>().is_ok());
        assert!("http://mirror.example/debian".parse::<MirrorUrl>().is_ok());
        for bad in ["ftp://x/debian", "http://", "http://x/debian/", "http://x/?a"] {
            assert!(bad.parse::<MirrorUrl>().is_err(), "{bad:?}");
        }
    }
}
