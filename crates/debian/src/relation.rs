//! Relation fields: `Depends`, `Pre-Depends`, `Provides`, `Breaks`... (Debian policy §7.1).
//!
//! A field is a comma-separated list of [`Alternatives`]; each is a `|`-separated list
//! of [`Relation`]s such as `libc6 (>= 2.36)` or `python3:any`.

use crate::error::{Error, Result};
use crate::{Arch, PackageName, Version};
use std::fmt;

/// A version operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// `<<`
    Less,
    /// `<=` (and the obsolete `<`)
    LessOrEqual,
    /// `=`
    Equal,
    /// `>=` (and the obsolete `>`)
    GreaterOrEqual,
    /// `>>`
    Greater,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "<<" => Op::Less,
            "<=" | "<" => Op::LessOrEqual,
            "=" => Op::Equal,
            ">=" | ">" => Op::GreaterOrEqual,
            ">>" => Op::Greater,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Op::Less => "<<",
            Op::LessOrEqual => "<=",
            Op::Equal => "=",
            Op::GreaterOrEqual => ">=",
            Op::Greater => ">>",
        }
    }
}

/// A version constraint such as `>= 2.36`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// The operator.
    pub op: Op,
    /// The version on the right-hand side.
    pub version: Version,
}

impl Constraint {
    /// Whether `candidate` satisfies this constraint.
    pub fn allows(&self, candidate: &Version) -> bool {
        let order = candidate.cmp(&self.version);
        match self.op {
            Op::Less => order.is_lt(),
            Op::LessOrEqual => order.is_le(),
            Op::Equal => order.is_eq(),
            Op::GreaterOrEqual => order.is_ge(),
            Op::Greater => order.is_gt(),
        }
    }
}

/// The architecture qualifier after a name: `:any`, `:native` or a concrete arch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchQualifier {
    /// `:any`: any architecture, if the target is `Multi-Arch: allowed`.
    Any,
    /// `:native`.
    Native,
    /// A specific architecture.
    Arch(Arch),
}

/// One relation: a package name with an optional qualifier and version constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// The package (real or virtual) named.
    pub name: PackageName,
    /// The `:arch` qualifier, if any.
    pub qualifier: Option<ArchQualifier>,
    /// The version constraint, if any.
    pub constraint: Option<Constraint>,
}

/// `a | b | c`: any one of them satisfies the dependency.
pub type Alternatives = Vec<Relation>;

/// A relation field (`Depends`, `Pre-Depends`, `Replaces`) as a stanza writes it,
/// parsed when read: a Packages index has some 70,000 stanzas and a lock looks at a
/// few hundred, so parsing every field up front would be most of the work.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relations(Option<Box<str>>);

impl Relations {
    /// The field's text (`None`: the stanza has no such field).
    pub fn new(text: Option<&str>) -> Relations {
        Relations(text.map(Box::from))
    }

    /// The field as written, if the stanza has it.
    pub fn text(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The groups of alternatives; empty when the field is absent.
    pub fn parse(&self) -> Result<Vec<Alternatives>> {
        self.text().map_or_else(|| Ok(Vec::new()), parse_relations)
    }
}

/// Parses a whole relation field. Architecture restrictions (`[amd64]`) and build
/// profiles (`<!nocheck>`) are accepted and dropped: they only matter for source
/// packages, whose relations buckle does not resolve.
pub fn parse_relations(field: &str) -> Result<Vec<Alternatives>> {
    field
        .split(',')
        .map(str::trim)
        .filter(|group| !group.is_empty())
        .map(|group| group.split('|').map(parse_relation).collect())
        .collect()
}

/// Parses one relation such as `libc6:any (>= 2.36)`.
pub fn parse_relation(text: &str) -> Result<Relation> {
    let fail = |reason: &str| Error::Relation {
        relation: text.trim().to_owned(),
        reason: reason.to_owned(),
    };
    let text_no_extras = strip_restrictions(text);
    let (head, constraint) = match text_no_extras.find('(') {
        Some(open) => {
            let close = text_no_extras.rfind(')').ok_or_else(|| fail("missing `)`"))?;
            let inner = text_no_extras
                .get(open + 1..close)
                .ok_or_else(|| fail("misplaced `)`"))?;
            (
                text_no_extras.get(..open).unwrap_or_default(),
                Some(parse_constraint(inner).map_err(|r| fail(&r))?),
            )
        }
        None => (&*text_no_extras, None),
    };
    let head = head.trim();
    let (name, qualifier) = match head.split_once(':') {
        Some((name, "any")) => (name, Some(ArchQualifier::Any)),
        Some((name, "native")) => (name, Some(ArchQualifier::Native)),
        Some((name, arch)) => (
            name,
            Some(ArchQualifier::Arch(
                arch.parse().map_err(|_| fail("bad architecture qualifier"))?,
            )),
        ),
        None => (head, None),
    };
    let name = name.parse().map_err(|_| fail("bad package name"))?;
    Ok(Relation {
        name,
        qualifier,
        constraint,
    })
}

fn parse_constraint(inner: &str) -> std::result::Result<Constraint, String> {
    let inner = inner.trim();
    let op_len = inner.chars().take_while(|c| "<>=".contains(*c)).count();
    let (op, version) = inner.split_at(op_len);
    let op = Op::parse(op).ok_or_else(|| format!("unknown operator `{op}`"))?;
    let version = version.trim().parse().map_err(|e: Error| e.to_string())?;
    Ok(Constraint { op, version })
}

fn strip_restrictions(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['[', '<']) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut in_parens = false;
    let mut skip_until = None;
    for c in text.chars() {
        if let Some(end) = skip_until {
            if c == end {
                skip_until = None;
            }
            continue;
        }
        match c {
            '[' if !in_parens => skip_until = Some(']'),
            '<' if !in_parens => skip_until = Some('>'),
            _ => {
                in_parens = (in_parens || c == '(') && c != ')';
                out.push(c);
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        match &self.qualifier {
            Some(ArchQualifier::Any) => write!(f, ":any")?,
            Some(ArchQualifier::Native) => write!(f, ":native")?,
            Some(ArchQualifier::Arch(arch)) => write!(f, ":{arch}")?,
            None => {}
        }
        if let Some(c) = &self.constraint {
            write!(f, " ({} {})", c.op.as_str(), c.version)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depends_with_alternatives_constraints_and_qualifiers() {
        let field = "libc6 (>= 2.38), perl:any | python3:any (>> 3.11~), libssl3t64 (= 3.5.1-1)";
        let groups = parse_relations(field).unwrap();
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[1].len(), 2);
        assert_eq!(groups[1][0].qualifier, Some(ArchQualifier::Any));
        assert_eq!(groups[1][1].to_string(), "python3:any (>> 3.11~)");
        let c = groups[0][0].constraint.as_ref().unwrap();
        assert!(c.allows(&"2.41-12".parse().unwrap()));
        assert!(!c.allows(&"2.37".parse().unwrap()));
    }

    #[test]
    fn multiline_fields_and_obsolete_operators_parse() {
        let groups = parse_relations("aa (< 2),\n bb (> 1)").unwrap();
        assert_eq!(groups[0][0].constraint.as_ref().unwrap().op, Op::LessOrEqual);
        assert_eq!(groups[1][0].constraint.as_ref().unwrap().op, Op::GreaterOrEqual);
    }

    #[test]
    fn arch_restrictions_and_profiles_are_dropped() {
        let groups = parse_relations("foo [amd64] <!nocheck>, bar (>= 1) [!arm64]").unwrap();
        assert_eq!(groups[0][0].to_string(), "foo");
        assert_eq!(groups[1][0].to_string(), "bar (>= 1)");
    }

    #[test]
    fn malformed_relations_say_what_is_wrong() {
        let err = parse_relation("libc6 (>= 2.38").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot parse relation `libc6 (>= 2.38`: missing `)`"
        );
        assert!(parse_relation("libc6 (~> 1)").is_err());
        assert!(parse_relation("Libc6").is_err());
    }
}
