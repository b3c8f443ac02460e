//! The SBOM formats, by the names the CLI uses.

use crate::error::{Error, Result};
use crate::model::SbomInput;
use std::fmt;
use std::str::FromStr;

/// An SBOM document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// SPDX 2.3 JSON (`spdx-json`).
    SpdxJson,
    /// CycloneDX 1.6 JSON (`cyclonedx-json`).
    CycloneDxJson,
}

impl Format {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [Format; 2] = [Format::SpdxJson, Format::CycloneDxJson];

    /// Writes `input` in this format.
    pub fn write(self, input: &SbomInput) -> Result<Vec<u8>> {
        match self {
            Format::SpdxJson => crate::spdx::write(input),
            Format::CycloneDxJson => crate::cyclonedx::write(input),
        }
    }

    /// The IANA media type, for the `artifactType` of an OCI artifact holding the document.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::SpdxJson => "application/spdx+json",
            Format::CycloneDxJson => "application/vnd.cyclonedx+json",
        }
    }

    /// The CLI name (`spdx-json`, `cyclonedx-json`).
    pub fn name(self) -> &'static str {
        match self {
            Format::SpdxJson => "spdx-json",
            Format::CycloneDxJson => "cyclonedx-json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        Format::ALL
            .into_iter()
            .find(|format| format.name() == s)
            .ok_or_else(|| Error::UnknownFormat { found: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip_and_unknown_names_list_the_known_ones() {
        for format in Format::ALL {
            assert_eq!(format.to_string().parse::<Format>().unwrap(), format);
        }
        let err = "spdx".parse::<Format>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown SBOM format `spdx`: expected `spdx-json` or `cyclonedx-json`"
        );
    }
}
