//! Machine-readable copyright file -> SPDX license expression.
//!
//! A copyright file counts as machine-readable when its first paragraph has a `Format:`
//! field naming the copyright format 1.0 (or its DEP-5 drafts). Then the first line of the
//! `License:` field of every `Files` paragraph is read as the format defines it: short
//! names joined by `or` and `and` (`and` binds tighter, a comma before a keyword loosens
//! it), each optionally followed by `with <words> exception`. Debian short names become
//! SPDX identifiers where the meaning is certain (`GPL-2+` is `GPL-2.0-or-later`, `Expat`
//! is `MIT`, `BSD-3-clause` is `BSD-3-Clause`); any other name becomes a `LicenseRef-`
//! that records the name the file used. The terms of all paragraphs are joined with
//! `AND`, deduplicated and sorted. A file that is not machine-readable gives
//! [`LicenseInfo::NoAssertion`]: the free text is never guessed at.
//!
//! Reference: <https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/>.

mod spdx_ids;

use buckle_debian::deb822;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// The license a package declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenseInfo {
    /// No machine-readable copyright file: nothing is asserted.
    NoAssertion,
    /// The SPDX expression built from the copyright file's `License:` short names.
    Declared(LicenseExpression),
}

/// An SPDX license expression and the `LicenseRef-` identifiers it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseExpression {
    text: String,
    refs: BTreeMap<String, BTreeSet<String>>,
}

impl LicenseExpression {
    /// The expression, e.g. `GPL-2.0-or-later AND LicenseRef-public-domain`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Each `LicenseRef-` identifier in the expression, with the Debian names it stands for.
    pub fn license_refs(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.refs
    }
}

impl LicenseInfo {
    /// Reads a `/usr/share/doc/<package>/copyright` file.
    ///
    /// ```
    /// use buckle_sbom::LicenseInfo;
    ///
    /// let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n\
    ///             Files: *\nCopyright: 2024 A\nLicense: GPL-2+\n\n\
    ///             Files: lib/*\nCopyright: 2024 B\nLicense: Expat or LGPL-2.1+\n";
    /// let license = LicenseInfo::from_copyright(text);
    /// assert_eq!(
    ///     license.spdx(),
    ///     "GPL-2.0-or-later AND (LGPL-2.1-or-later OR MIT)"
    /// );
    /// assert_eq!(LicenseInfo::from_copyright("This is free software.\n").spdx(), "NOASSERTION");
    /// ```
    pub fn from_copyright(text: &str) -> LicenseInfo {
        match declared(text) {
            Some(expression) => LicenseInfo::Declared(expression),
            None => LicenseInfo::NoAssertion,
        }
    }

    /// The expression, or `None` when nothing is asserted.
    pub fn expression(&self) -> Option<&LicenseExpression> {
        match self {
            LicenseInfo::NoAssertion => None,
            LicenseInfo::Declared(expression) => Some(expression),
        }
    }

    /// The value for an SPDX license field: the expression or `NOASSERTION`.
    pub fn spdx(&self) -> &str {
        self.expression().map_or("NOASSERTION", LicenseExpression::as_str)
    }
}

fn declared(text: &str) -> Option<LicenseExpression> {
    let mut paragraphs = deb822::paragraphs(text);
    let header = paragraphs.next()?.ok()?;
    if !is_copyright_format(header.get("Format")?) {
        return None;
    }
    let mut refs = BTreeMap::new();
    let mut terms = Vec::new();
    for paragraph in paragraphs {
        let paragraph = paragraph.ok()?;
        if paragraph.get("Files").is_none() {
            continue;
        }
        let short_names = first_line(text, paragraph.get("License")?)?;
        terms.push(match parse_line(short_names) {
            Some(raw) => lower(&raw, &mut refs),
            None => Expr::Leaf(license_ref(short_names, &mut refs)),
        });
    }
    if terms.is_empty() {
        return None;
    }
    Some(LicenseExpression {
        text: Expr::all(terms).render(),
        refs,
    })
}

fn is_copyright_format(format: &str) -> bool {
    let format = format.trim().to_ascii_lowercase();
    format.contains("/copyright-format/1.0") || format.contains("/deps/dep5")
}

/// The first line of a field value, or `None` when the field's first line is empty (the
/// value then starts on a continuation line, and is a license text, not short names).
///
/// The deb822 parser trims values, so whether the value began on the field's own line is
/// recovered from where the value sits in `text`.
fn first_line<'a>(text: &str, value: &'a str) -> Option<&'a str> {
    let offset = (value.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let field_line = before.get(line_start..)?;
    if field_line.starts_with([' ', '\t']) || !field_line.contains(':') {
        return None;
    }
    let line = value.lines().next()?.trim();
    (!line.is_empty()).then_some(line)
}

/// A `License:` short-name line as written, before names are mapped.
#[derive(Debug, PartialEq)]
enum Raw<'a> {
    Name(&'a str),
    With(&'a str, String),
    All(Vec<Raw<'a>>),
    Any(Vec<Raw<'a>>),
}

/// Parses `A or B and C, and D with X exception`; `None` when it does not follow the format.
fn parse_line(line: &str) -> Option<Raw<'_>> {
    let mut segments = line.split(',');
    let mut expression = parse_or(segments.next()?)?;
    for segment in segments {
        let words: Vec<&str> = segment.split_whitespace().collect();
        let (keyword, rest) = words.split_first()?;
        let next = parse_or_words(rest)?;
        expression = if keyword.eq_ignore_ascii_case("and") {
            Raw::All(vec![expression, next])
        } else if keyword.eq_ignore_ascii_case("or") {
            Raw::Any(vec![expression, next])
        } else {
            return None;
        };
    }
    Some(expression)
}

fn parse_or(segment: &str) -> Option<Raw<'_>> {
    let words: Vec<&str> = segment.split_whitespace().collect();
    parse_or_words(&words)
}

fn parse_or_words<'a>(words: &[&'a str]) -> Option<Raw<'a>> {
    let alternatives = split_on(words, "or")
        .into_iter()
        .map(|group| {
            let terms = split_on(group, "and")
                .into_iter()
                .map(parse_term)
                .collect::<Option<Vec<_>>>()?;
            Some(single_or(terms, Raw::All))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(single_or(alternatives, Raw::Any))
}

fn single_or<'a>(mut items: Vec<Raw<'a>>, wrap: fn(Vec<Raw<'a>>) -> Raw<'a>) -> Raw<'a> {
    if items.len() == 1 {
        if let Some(only) = items.pop() {
            return only;
        }
    }
    wrap(items)
}

fn split_on<'w, 'a>(words: &'w [&'a str], keyword: &str) -> Vec<&'w [&'a str]> {
    words.split(|word| word.eq_ignore_ascii_case(keyword)).collect()
}

fn parse_term<'a>(words: &[&'a str]) -> Option<Raw<'a>> {
    match words {
        [name] => Some(Raw::Name(name)),
        [name, with, exception @ .., last]
            if with.eq_ignore_ascii_case("with")
                && last.eq_ignore_ascii_case("exception")
                && !exception.is_empty() =>
        {
            Some(Raw::With(name, exception.join(" ")))
        }
        _ => None,
    }
}

/// A normalised SPDX expression: leaves are rendered identifiers (or `X WITH Y`).
#[derive(Debug, Clone)]
enum Expr {
    Leaf(String),
    All(Vec<Expr>),
    Any(Vec<Expr>),
}

impl Expr {
    fn all(items: Vec<Expr>) -> Expr {
        Expr::combine(items, true)
    }

    fn any(items: Vec<Expr>) -> Expr {
        Expr::combine(items, false)
    }

    /// Flattens nested operators of the same kind, sorts and deduplicates the operands.
    fn combine(items: Vec<Expr>, conjunction: bool) -> Expr {
        let mut flat = Vec::new();
        for item in items {
            match item {
                Expr::All(inner) if conjunction => flat.extend(inner),
                Expr::Any(inner) if !conjunction => flat.extend(inner),
                other => flat.push(other),
            }
        }
        let mut keyed: Vec<(String, Expr)> = flat.into_iter().map(|e| (e.render(), e)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.0 == b.0);
        let mut operands: Vec<Expr> = keyed.into_iter().map(|(_, e)| e).collect();
        match (operands.len(), operands.pop()) {
            (1, Some(only)) => only,
            (_, Some(last)) => {
                operands.push(last);
                if conjunction {
                    Expr::All(operands)
                } else {
                    Expr::Any(operands)
                }
            }
            (_, None) => Expr::All(Vec::new()),
        }
    }

    fn render(&self) -> String {
        match self {
            Expr::Leaf(text) => text.clone(),
            Expr::All(items) => Expr::join(items, " AND "),
            Expr::Any(items) => Expr::join(items, " OR "),
        }
    }

    fn join(items: &[Expr], operator: &str) -> String {
        items
            .iter()
            .map(|item| match item {
                Expr::Leaf(text) => text.clone(),
                compound => format!("({})", compound.render()),
            })
            .collect::<Vec<_>>()
            .join(operator)
    }
}

fn lower(raw: &Raw<'_>, refs: &mut BTreeMap<String, BTreeSet<String>>) -> Expr {
    match raw {
        Raw::Name(name) => Expr::Leaf(spdx_id(name).unwrap_or_else(|| license_ref(name, refs))),
        Raw::With(name, exception) => Expr::Leaf(with_exception(name, exception, refs)),
        Raw::All(items) => Expr::all(items.iter().map(|item| lower(item, refs)).collect()),
        Raw::Any(items) => Expr::any(items.iter().map(|item| lower(item, refs)).collect()),
    }
}

fn with_exception(name: &str, exception: &str, refs: &mut BTreeMap<String, BTreeSet<String>>) -> String {
    let license = spdx_id(name);
    let exception_id = license.as_deref().and_then(|id| exception_id(id, exception));
    match (license, exception_id) {
        (Some(license), Some(exception)) => format!("{license} WITH {exception}"),
        _ => license_ref(&format!("{name} with {exception} exception"), refs),
    }
}

/// The SPDX identifier for a Debian short name, when its meaning is certain.
fn spdx_id(name: &str) -> Option<String> {
    if let Some(id) = gnu(name) {
        return Some(id);
    }
    let alias = ALIASES
        .iter()
        .find(|(debian, _)| debian.eq_ignore_ascii_case(name))
        .map(|(_, spdx)| *spdx);
    alias.or_else(|| lookup(name)).map(str::to_owned)
}

/// Debian short names whose SPDX identifier is spelled differently (beyond letter case).
/// From the copyright format's list of short names and /usr/share/common-licenses.
const ALIASES: &[(&str, &str)] = &[
    ("Expat", "MIT"),
    ("Apache-2", "Apache-2.0"),
    ("Artistic", "Artistic-1.0-Perl"),
    ("Artistic-1", "Artistic-1.0"),
    ("Artistic-2", "Artistic-2.0"),
    ("CC0", "CC0-1.0"),
    ("MPL-2", "MPL-2.0"),
    ("OpenLDAP-2.8", "OLDAP-2.8"),
    ("PSF-2", "PSF-2.0"),
    ("Zope-2.1", "ZPL-2.1"),
];

/// `GPL-2`, `GPL-2+`, `LGPL-2.1+`, `AGPL-3+`, `GFDL-NIV-1.3+` -> `-only` / `-or-later` ids.
/// Unversioned names (`GPL`) have no certain SPDX identifier.
fn gnu(name: &str) -> Option<String> {
    let (base, or_later) = match name.strip_suffix('+') {
        Some(base) => (base, true),
        None => (name, false),
    };
    let families = [
        ("GFDL-NIV-", "GFDL", "-no-invariants"),
        ("AGPL-", "AGPL", ""),
        ("LGPL-", "LGPL", ""),
        ("GFDL-", "GFDL", ""),
        ("GPL-", "GPL", ""),
    ];
    let (version, family, variant) = families.iter().find_map(|(prefix, family, variant)| {
        let head = base.get(..prefix.len())?;
        let version = base.get(prefix.len()..)?;
        head.eq_ignore_ascii_case(prefix)
            .then_some((version, *family, *variant))
    })?;
    let version = match version.split_once('.') {
        None if is_digits(version) => format!("{version}.0"),
        Some((major, minor)) if is_digits(major) && is_digits(minor) => version.to_owned(),
        _ => return None,
    };
    let suffix = if or_later { "or-later" } else { "only" };
    lookup(&format!("{family}-{version}{variant}-{suffix}")).map(str::to_owned)
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// The SPDX exception for `<license> with <words> exception`, when it is certain.
fn exception_id(license: &str, words: &str) -> Option<&'static str> {
    let key = words
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
        .to_ascii_lowercase();
    Some(match key.as_str() {
        "autoconf" if license.starts_with("GPL-2.0-") => "Autoconf-exception-2.0",
        "autoconf" if license.starts_with("GPL-3.0-") => "Autoconf-exception-3.0",
        "bison" | "bison-2.2" => "Bison-exception-2.2",
        "classpath" => "Classpath-exception-2.0",
        "font" => "Font-exception-2.0",
        "gcc-runtime-3.1" | "gcc-3.1" => "GCC-exception-3.1",
        "libtool" => "Libtool-exception",
        "linux-syscall-note" => "Linux-syscall-note",
        "llvm" => "LLVM-exception",
        "texinfo" => "Texinfo-exception",
        _ => return None,
    })
}

/// `text` as an SPDX expression when it is one: license identifiers of the SPDX list
/// joined by `AND`/`OR`, with parentheses, as a package's metadata declares it
/// (`MIT`, `Apache-2.0 OR MIT`). Free text (`BSD License`) is `None`: never guessed at.
pub(crate) fn spdx_expression(text: &str) -> Option<String> {
    let spaced = text.replace('(', " ( ").replace(')', " ) ");
    let mut out: Vec<String> = Vec::new();
    let mut expect_operand = true;
    let mut depth = 0usize;
    for token in spaced.split_whitespace() {
        match token {
            "(" if expect_operand => depth += 1,
            ")" if !expect_operand && depth > 0 => depth -= 1,
            _ if !expect_operand
                && (token.eq_ignore_ascii_case("and") || token.eq_ignore_ascii_case("or")) =>
            {
                expect_operand = true;
                out.push(token.to_ascii_uppercase());
                continue;
            }
            _ if expect_operand => {
                out.push(lookup(token)?.to_owned());
                expect_operand = false;
                continue;
            }
            _ => return None,
        }
        out.push(token.to_owned());
    }
    if expect_operand || depth != 0 {
        return None;
    }
    Some(out.join(" ").replace("( ", "(").replace(" )", ")"))
}

/// The canonical spelling of an SPDX license identifier, matched ignoring case.
fn lookup(name: &str) -> Option<&'static str> {
    let index = spdx_ids::LICENSES
        .binary_search_by(|id| compare_ignoring_case(id, name))
        .ok()?;
    spdx_ids::LICENSES.get(index).copied()
}

fn compare_ignoring_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// `LicenseRef-<name>` with characters outside `[A-Za-z0-9.-]` replaced, recorded in `refs`.
fn license_ref(debian_name: &str, refs: &mut BTreeMap<String, BTreeSet<String>>) -> String {
    let id = format!("LicenseRef-{}", sanitise(debian_name));
    refs.entry(id.clone()).or_default().insert(debian_name.to_owned());
    id
}

fn sanitise(name: &str) -> String {
    let spelled = name.replace('+', "-plus-");
    let mut out = String::with_capacity(spelled.len());
    for c in spelled.chars() {
        let keep = c.is_ascii_alphanumeric() || c == '.';
        if keep {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "unnamed".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests;
