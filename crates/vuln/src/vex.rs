//! VEX: what is said about whether a finding applies. Statements come from the user's
//! OpenVEX file (kept in git next to the spec) and from the image itself (a package
//! whose file list shows that none of its files are in the image cannot hold vulnerable
//! code; without such a list nothing is assumed); they are applied
//! to findings, and findings go out as OpenVEX or CycloneDX VEX documents.
//!
//! OpenVEX per its specification v0.2.0 (`@context`, `@id`, `author`, `timestamp`,
//! `version`, `statements[]` with `vulnerability.name`, `products[]`, `status`,
//! `justification`, `impact_statement`, `action_statement`); CycloneDX per its 1.6
//! schema (`vulnerabilities[]` with `analysis.state`, `analysis.justification`,
//! `affects[].ref`).

use crate::error::{Error, Result};
use crate::scan::Finding;
use buckle_debian::PackageName;
use buckle_digest::Sha256;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A VEX status (OpenVEX's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    /// The product is not affected.
    NotAffected,
    /// The product is affected.
    Affected,
    /// The product contains a fix.
    Fixed,
    /// Not known yet.
    UnderInvestigation,
}

/// Why a product is not affected (OpenVEX's justification labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Justification {
    /// The vulnerable component is not in the product.
    ComponentNotPresent,
    /// The component is there, the vulnerable code is not.
    VulnerableCodeNotPresent,
    /// The vulnerable code cannot run in the product.
    VulnerableCodeNotInExecutePath,
    /// An attacker cannot reach the vulnerable code's inputs.
    VulnerableCodeCannotBeControlledByAdversary,
    /// Mitigations in the product stop exploitation.
    InlineMitigationsAlreadyExist,
}

impl Justification {
    const ALL: [(&'static str, Justification); 5] = [
        ("component_not_present", Justification::ComponentNotPresent),
        (
            "vulnerable_code_not_present",
            Justification::VulnerableCodeNotPresent,
        ),
        (
            "vulnerable_code_not_in_execute_path",
            Justification::VulnerableCodeNotInExecutePath,
        ),
        (
            "vulnerable_code_cannot_be_controlled_by_adversary",
            Justification::VulnerableCodeCannotBeControlledByAdversary,
        ),
        (
            "inline_mitigations_already_exist",
            Justification::InlineMitigationsAlreadyExist,
        ),
    ];

    /// OpenVEX's label.
    pub fn label(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, j)| *j == self)
            .map_or("", |(label, _)| label)
    }

    /// The nearest CycloneDX 1.6 `analysis.justification`.
    pub fn cyclonedx(self) -> &'static str {
        match self {
            Justification::ComponentNotPresent | Justification::VulnerableCodeNotPresent => {
                "code_not_present"
            }
            Justification::VulnerableCodeNotInExecutePath => "code_not_reachable",
            Justification::VulnerableCodeCannotBeControlledByAdversary => "requires_environment",
            Justification::InlineMitigationsAlreadyExist => "protected_by_mitigating_control",
        }
    }
}

/// One statement about one vulnerability and the packages it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexStatement {
    /// The vulnerability name, and its aliases.
    pub names: Vec<String>,
    /// The products it is about: purls (`pkg:deb/debian/openssl`, with or without a
    /// version) or package names; empty means every package of the image.
    pub products: Vec<String>,
    /// The status.
    pub status: VexStatus,
    /// Why not affected.
    pub justification: Option<Justification>,
    /// Free text: impact or action.
    pub note: Option<String>,
    /// Where it was said (`vex.json`, `automatic`).
    pub origin: String,
}

/// A VEX statement that decided a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexDecision {
    /// The status.
    pub status: VexStatus,
    /// The justification, for `not_affected`.
    pub justification: Option<Justification>,
    /// The statement's note.
    pub note: Option<String>,
    /// Where it was said.
    pub origin: String,
}

impl VexDecision {
    /// Whether the finding is suppressed (not affected, or fixed).
    pub fn suppresses(&self) -> bool {
        matches!(self.status, VexStatus::NotAffected | VexStatus::Fixed)
    }
}

/// Reads an OpenVEX document. Each statement needs `vulnerability.name` (or the
/// v0.0.1 string form) and `status`; `not_affected` needs a `justification` from the
/// specification's list: a statement without one is an error naming it.
pub fn parse_openvex(origin: &str, bytes: &[u8]) -> Result<Vec<VexStatement>> {
    let bad = |problem: String| Error::Vex {
        origin: origin.to_owned(),
        problem,
    };
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    let context = doc.get("@context").and_then(Value::as_str).unwrap_or_default();
    if !context.starts_with("https://openvex.dev/ns") {
        return Err(bad(format!(
            "`@context` is `{context}`, expected an OpenVEX context such as `https://openvex.dev/ns/v0.2.0`"
        )));
    }
    let statements = doc
        .get("statements")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `statements` array".to_owned()))?;
    statements
        .iter()
        .enumerate()
        .map(|(index, statement)| read_statement(origin, index, statement).map_err(&bad))
        .collect()
}

fn read_statement(
    origin: &str,
    index: usize,
    statement: &Value,
) -> std::result::Result<VexStatement, String> {
    let at = format!("statement {}", index + 1);
    let vulnerability = statement.get("vulnerability");
    let name = vulnerability
        .and_then(|v| v.get("name").or(Some(v)))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{at} has no `vulnerability.name`"))?;
    let mut names = vec![name.to_owned()];
    names.extend(
        vulnerability
            .and_then(|v| v.get("aliases"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str().map(str::to_owned)),
    );
    let status = statement
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let status = match status {
        "not_affected" => VexStatus::NotAffected,
        "affected" => VexStatus::Affected,
        "fixed" => VexStatus::Fixed,
        "under_investigation" => VexStatus::UnderInvestigation,
        other => {
            return Err(format!(
                "{at} ({name}) has status `{other}`; expected not_affected, affected, fixed or under_investigation"
            ))
        }
    };
    let justification = match statement.get("justification").and_then(Value::as_str) {
        Some(label) => Some(
            Justification::ALL
                .iter()
                .find(|(l, _)| *l == label)
                .map(|(_, j)| *j)
                .ok_or_else(|| format!("{at} ({name}) has the unknown justification `{label}`"))?,
        ),
        None => None,
    };
    if status == VexStatus::NotAffected && justification.is_none() {
        return Err(format!(
            "{at} ({name}) says not_affected without a `justification`"
        ));
    }
    let products = statement
        .get("products")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            p.pointer("/identifiers/purl")
                .or_else(|| p.get("@id"))
                .or(Some(p))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    let note = ["impact_statement", "action_statement", "status_notes"]
        .iter()
        .find_map(|k| statement.get(*k).and_then(Value::as_str))
        .map(str::to_owned);
    Ok(VexStatement {
        names,
        products,
        status,
        justification,
        note,
        origin: origin.to_owned(),
    })
}

impl VexStatement {
    /// Whether the statement is about this finding: one of its names is the finding's
    /// id or an alias, and it names no product, or a product that is the finding's
    /// package (by purl, with the version if the purl has one, or by name) or its
    /// source package, or an OCI image (the image scanned).
    pub fn applies_to(&self, finding: &Finding) -> bool {
        let named = finding
            .ids()
            .any(|id| self.names.iter().any(|n| n.eq_ignore_ascii_case(id.as_str())));
        named && (self.products.is_empty() || self.products.iter().any(|p| product_matches(p, finding)))
    }
}

fn product_matches(product: &str, finding: &Finding) -> bool {
    if product.starts_with("pkg:oci/") {
        return true;
    }
    let Some(rest) = product.strip_prefix("pkg:deb/") else {
        return product == finding.package.as_str() || product == finding.source.as_str();
    };
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let name_version = path.rsplit('/').next().unwrap_or_default();
    let (name, version) = match name_version.split_once('@') {
        Some((name, version)) => (
            name,
            Some(
                version
                    .replace("%2B", "+")
                    .replace("%2b", "+")
                    .replace("%3A", ":"),
            ),
        ),
        None => (name_version, None),
    };
    let name_ok = name == finding.package.as_str() || name == finding.source.as_str();
    name_ok && version.is_none_or(|v| v == finding.installed.as_str() || v == finding.source_version.as_str())
}

/// What the scanned image shows about a package's files: the automatic statement
/// needs proof that the vulnerable code is absent, and unknown is not absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// At least one of its files (beyond its docs) is in the image.
    Present,
    /// Its file list (this path: `info/<name>.list`, `.md5sums`, `status.d/<name>.md5sums`)
    /// is in the image, and none of the files it names (beyond docs) is.
    Absent {
        /// The file list's path.
        list: String,
    },
    /// Which of its files the image holds is not known (no file list in the image, or a
    /// status file or SBOM that names no files): why.
    Unknown {
        /// Why it is not known.
        reason: String,
    },
}

/// The automatic statement for a package whose file list shows that none of its files
/// are in the image: the vulnerable code cannot be there.
pub fn code_not_present(package: &PackageName, list: &str) -> VexDecision {
    VexDecision {
        status: VexStatus::NotAffected,
        justification: Some(Justification::VulnerableCodeNotPresent),
        note: Some(format!(
            "none of the files of `{package}` that `{list}` lists are in the image"
        )),
        origin: "automatic".to_owned(),
    }
}

/// A finding and the VEX decision about it, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decided {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// What VEX says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vex: Option<VexDecision>,
    /// Why the automatic `not_affected` rule was not applied, when it could not be: the
    /// package's files are not known, so the finding stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_automatic_vex: Option<String>,
}

/// Applies statements to findings: the user's statements first (the last matching one
/// wins, as later statements update earlier ones), then the automatic one for packages
/// whose [`Presence`] (from `presence`) is proven [`Presence::Absent`]. A package whose
/// files are [`Presence::Unknown`] keeps its finding, with the reason in
/// [`Decided::no_automatic_vex`].
pub fn apply(
    findings: Vec<Finding>,
    statements: &[VexStatement],
    presence: impl Fn(&PackageName) -> Presence,
) -> Vec<Decided> {
    findings
        .into_iter()
        .map(|finding| {
            let user = statements
                .iter()
                .rev()
                .find(|s| s.applies_to(&finding))
                .map(|s| VexDecision {
                    status: s.status,
                    justification: s.justification,
                    note: s.note.clone(),
                    origin: s.origin.clone(),
                });
            if user.is_some() {
                return Decided {
                    finding,
                    vex: user,
                    no_automatic_vex: None,
                };
            }
            let (vex, no_automatic_vex) = match presence(&finding.package) {
                Presence::Present => (None, None),
                Presence::Absent { list } => (Some(code_not_present(&finding.package, &list)), None),
                Presence::Unknown { reason } => (None, Some(reason)),
            };
            Decided {
                finding,
                vex,
                no_automatic_vex,
            }
        })
        .collect()
}

/// The product identity written into documents: the finding's purl, else its name.
fn product(finding: &Finding) -> String {
    finding
        .purl
        .clone()
        .unwrap_or_else(|| format!("pkg:deb/debian/{}", finding.package))
}

fn action(finding: &Finding) -> String {
    match &finding.fixed {
        Some(fixed) => format!(
            "update {} to {fixed} or later (rebuild the image)",
            finding.source
        ),
        None => format!("no fix is available yet for {} in {}", finding.id, finding.source),
    }
}

/// The findings as an OpenVEX v0.2.0 document. `timestamp` is RFC 3339; the document
/// `@id` is derived from its statements, so the same findings give the same id.
pub fn to_openvex(decided: &[Decided], timestamp: &str) -> Value {
    let statements: Vec<Value> = decided
        .iter()
        .map(|d| {
            let f = &d.finding;
            let mut statement = json!({
                "vulnerability": { "name": f.id.as_str() },
                "products": [{ "@id": product(f), "identifiers": { "purl": product(f) } }],
            });
            if !f.aliases.is_empty() {
                statement["vulnerability"]["aliases"] =
                    json!(f.aliases.iter().map(|a| a.as_str()).collect::<Vec<_>>());
            }
            match &d.vex {
                Some(vex) => {
                    statement["status"] = json!(vex.status);
                    if let Some(justification) = vex.justification {
                        statement["justification"] = json!(justification.label());
                    }
                    if vex.status == VexStatus::Affected {
                        statement["action_statement"] = json!(vex.note.clone().unwrap_or_else(|| action(f)));
                    } else if let Some(note) = &vex.note {
                        statement["status_notes"] = json!(format!("{note} ({})", vex.origin));
                    }
                }
                None => {
                    statement["status"] = json!("affected");
                    statement["action_statement"] = json!(action(f));
                    if let Some(reason) = &d.no_automatic_vex {
                        statement["status_notes"] = json!(format!("no automatic VEX: {reason}"));
                    }
                }
            }
            statement
        })
        .collect();
    let id = Sha256::of(serde_json::to_string(&statements).unwrap_or_default().as_bytes());
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("urn:buckle:vex:{}", id.hex()),
        "author": "buckle",
        "timestamp": timestamp,
        "version": 1,
        "tooling": format!("buckle {}", env!("CARGO_PKG_VERSION")),
        "statements": statements,
    })
}

/// The findings as a CycloneDX 1.6 VEX document: the affected packages as components,
/// each vulnerability with its analysis and the components it affects.
pub fn to_cyclonedx(decided: &[Decided], timestamp: &str) -> Value {
    let mut components: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for d in decided {
        let purl = product(&d.finding);
        if seen.insert(purl.clone()) {
            components.push(json!({
                "type": "library",
                "bom-ref": purl,
                "name": d.finding.package.as_str(),
                "version": d.finding.installed.as_str(),
                "purl": purl,
            }));
        }
    }
    let vulnerabilities: Vec<Value> = decided
        .iter()
        .map(|d| {
            let f = &d.finding;
            let (state, justification, response) = match &d.vex {
                Some(vex) => match vex.status {
                    VexStatus::NotAffected => ("not_affected", vex.justification.map(Justification::cyclonedx), None),
                    VexStatus::Fixed => ("resolved", None, None),
                    VexStatus::UnderInvestigation => ("in_triage", None, None),
                    VexStatus::Affected => ("exploitable", None, Some("update")),
                },
                None => ("exploitable", None, Some(if f.fixed.is_some() { "update" } else { "will_not_fix" })),
            };
            let mut analysis = json!({ "state": state, "detail": d.vex.as_ref().and_then(|v| v.note.clone()).unwrap_or_else(|| action(f)) });
            if let Some(justification) = justification {
                analysis["justification"] = json!(justification);
            }
            if let Some(response) = response {
                analysis["response"] = json!([response]);
            }
            let mut vulnerability = json!({
                "bom-ref": format!("{}/{}", f.id, product(f)),
                "id": f.id.as_str(),
                "analysis": analysis,
                "affects": [{ "ref": product(f) }],
            });
            if let Some(severity) = f.severity {
                vulnerability["ratings"] = json!([{ "severity": severity_cyclonedx(severity) }]);
            }
            if !f.aliases.is_empty() {
                vulnerability["references"] = json!(f
                    .aliases
                    .iter()
                    .map(|a| json!({ "id": a.as_str(), "source": { "name": "Debian" } }))
                    .collect::<Vec<_>>());
            }
            let mut properties = Vec::new();
            if let Some(kev) = &f.kev {
                properties.push(json!({ "name": "buckle:kev:dateAdded", "value": kev.date_added }));
                properties.push(json!({ "name": "buckle:kev:dueDate", "value": kev.due_date }));
            }
            if let Some(reason) = &d.no_automatic_vex {
                properties.push(json!({ "name": "buckle:noAutomaticVex", "value": reason }));
            }
            if !properties.is_empty() {
                vulnerability["properties"] = json!(properties);
            }
            vulnerability
        })
        .collect();
    let digest = Sha256::of(
        serde_json::to_string(&vulnerabilities)
            .unwrap_or_default()
            .as_bytes(),
    )
    .hex();
    let uuid = format!(
        "{}-{}-4{}-8{}-{}",
        &digest[0..8],
        &digest[8..12],
        &digest[13..16],
        &digest[17..20],
        &digest[20..32]
    );
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{uuid}"),
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": { "components": [{ "type": "application", "name": "buckle", "version": env!("CARGO_PKG_VERSION") }] },
        },
        "components": components,
        "vulnerabilities": vulnerabilities,
    })
}

fn severity_cyclonedx(severity: crate::Severity) -> &'static str {
    match severity {
        crate::Severity::Negligible => "info",
        crate::Severity::Low => "low",
        crate::Severity::Medium => "medium",
        crate::Severity::High => "high",
        crate::Severity::Critical => "critical",
    }
}
