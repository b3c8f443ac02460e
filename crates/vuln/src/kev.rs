//! CISA's Known Exploited Vulnerabilities catalog (JSON) -> [`Kev`].
//!
//! Fields per the catalog's published schema: `catalogVersion`, `dateReleased`, and
//! `vulnerabilities[]` with `cveID`, `vulnerabilityName`, `dateAdded`, `dueDate`,
//! `knownRansomwareCampaignUse`.

use crate::advisory::{Kev, KevEntry};
use crate::error::{Error, Result};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Catalog {
    catalog_version: String,
    #[serde(default)]
    date_released: String,
    vulnerabilities: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(default)]
    vulnerability_name: String,
    date_added: String,
    due_date: String,
    #[serde(default)]
    known_ransomware_campaign_use: String,
}

/// Reads the catalog; `origin` names the file in errors. An entry whose `cveID` is not
/// a CVE id is an error naming it.
pub fn parse(origin: &str, bytes: &[u8]) -> Result<Kev> {
    let catalog: Catalog = serde_json::from_slice(bytes).map_err(|source| Error::Json {
        origin: origin.to_owned(),
        source,
    })?;
    let mut kev = Kev {
        version: catalog.catalog_version,
        released: catalog.date_released,
        entries: Default::default(),
    };
    for entry in catalog.vulnerabilities {
        let id = entry.cve_id.parse().map_err(|_| Error::Feed {
            origin: origin.to_owned(),
            problem: format!("`{}` is not a CVE id", entry.cve_id),
        })?;
        kev.entries.insert(
            id,
            KevEntry {
                date_added: entry.date_added,
                due_date: entry.due_date,
                name: entry.vulnerability_name,
                ransomware: entry.known_ransomware_campaign_use,
            },
        );
    }
    Ok(kev)
}
