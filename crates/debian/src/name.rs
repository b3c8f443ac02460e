//! Package and architecture names.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A binary or source package name, valid by Debian policy §5.6.1.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageName(String);

impl PackageName {
    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PackageName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let valid = s.len() >= 2
            && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b));
        if valid {
            Ok(PackageName(s.to_owned()))
        } else {
            Err(Error::PackageName(s.to_owned()))
        }
    }
}

/// A Debian architecture name such as `amd64`, `arm64` or `all`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Arch(String);

impl Arch {
    /// The architecture as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `all`, the architecture of architecture-independent packages.
    pub fn is_all(&self) -> bool {
        self.0 == "all"
    }

    /// The OCI/Go name of this architecture (`amd64`, `arm64`, `arm` with a variant...),
    /// or `None` when there is no OCI equivalent.
    pub fn oci(&self) -> Option<(&'static str, Option<&'static str>)> {
        Some(match self.0.as_str() {
            "amd64" => ("amd64", None),
            "arm64" => ("arm64", Some("v8")),
            "armhf" => ("arm", Some("v7")),
            "armel" => ("arm", Some("v5")),
            "i386" => ("386", None),
            "ppc64el" => ("ppc64le", None),
            "s390x" => ("s390x", None),
            "riscv64" => ("riscv64", None),
            _ => return None,
        })
    }

    /// The Debian architecture of an OCI/Go architecture and variant (`arm64` ->
    /// `arm64`, `arm` `v7` -> `armhf`), when Debian has one.
    pub fn from_oci(architecture: &str, variant: Option<&str>) -> Option<Arch> {
        const DEBIAN: [&str; 8] = [
            "amd64", "arm64", "armhf", "armel", "i386", "ppc64el", "s390x", "riscv64",
        ];
        DEBIAN.iter().map(|name| Arch((*name).to_owned())).find(|arch| {
            arch.oci().is_some_and(|(oci, oci_variant)| {
                oci == architecture && (variant.is_none() || variant == oci_variant)
            })
        })
    }

    /// The multiarch tuple naming this architecture's library directory
    /// (`/usr/lib/x86_64-linux-gnu`), as Debian's multiarch policy assigns it.
    pub fn multiarch_tuple(&self) -> Option<&'static str> {
        Some(match self.0.as_str() {
            "amd64" => "x86_64-linux-gnu",
            "arm64" => "aarch64-linux-gnu",
            "armhf" => "arm-linux-gnueabihf",
            "armel" => "arm-linux-gnueabi",
            "i386" => "i386-linux-gnu",
            "ppc64el" => "powerpc64le-linux-gnu",
            "s390x" => "s390x-linux-gnu",
            "riscv64" => "riscv64-linux-gnu",
            _ => return None,
        })
    }
}

impl FromStr for Arch {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let valid = !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Arch(s.to_owned()))
        } else {
            Err(Error::Arch(s.to_owned()))
        }
    }
}

macro_rules! string_newtype_impls {
    ($t:ty) => {
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
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                String::deserialize(d)?
                    .parse()
                    .map_err(serde::de::Error::custom)
            }
        }
        impl std::borrow::Borrow<str> for $t {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

string_newtype_impls!(PackageName);
string_newtype_impls!(Arch);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oci_architectures_map_back_to_debian_with_their_multiarch_tuples() {
        let arm64 = Arch::from_oci("arm64", Some("v8")).unwrap();
        assert_eq!(arm64.as_str(), "arm64");
        assert_eq!(arm64.multiarch_tuple(), Some("aarch64-linux-gnu"));
        assert_eq!(Arch::from_oci("arm64", None).unwrap().as_str(), "arm64");
        assert_eq!(Arch::from_oci("arm", Some("v7")).unwrap().as_str(), "armhf");
        assert_eq!(Arch::from_oci("arm", Some("v5")).unwrap().as_str(), "armel");
        assert_eq!(
            Arch::from_oci("386", None).unwrap().multiarch_tuple(),
            Some("i386-linux-gnu")
        );
        assert_eq!(
            Arch::from_oci("amd64", None).unwrap().multiarch_tuple(),
            Some("x86_64-linux-gnu")
        );
        assert_eq!(Arch::from_oci("mips", None), None);
    }

    #[test]
    fn package_names_follow_policy() {
        for good in ["libc6", "libstdc++6", "python3.13", "g++-14", "0ad"] {
            assert_eq!(good.parse::<PackageName>().unwrap().to_string(), good);
        }
        for bad in ["", "a", "Libc6", "-x", "lib_c", "lib c", "x:any"] {
            assert!(bad.parse::<PackageName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn arch_maps_to_oci_platform() {
        let arm64: Arch = "arm64".parse().unwrap();
        assert_eq!(arm64.oci(), Some(("arm64", Some("v8"))));
        assert!("all".parse::<Arch>().unwrap().is_all());
        assert!("AMD64".parse::<Arch>().is_err());
    }
}
