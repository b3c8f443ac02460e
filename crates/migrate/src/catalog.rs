//! The catalog's specs (catalog/*.toml), built in: the generated spec starts from one.

use toml::Table;

const SPECS: [(&str, &str); 9] = [
    ("base", include_str!("../../../catalog/base.toml")),
    ("cc", include_str!("../../../catalog/cc.toml")),
    ("static", include_str!("../../../catalog/static.toml")),
    ("python", include_str!("../../../catalog/python.toml")),
    ("node", include_str!("../../../catalog/node.toml")),
    ("node-22", include_str!("../../../catalog/node-22.toml")),
    ("node-24", include_str!("../../../catalog/node-24.toml")),
    (
        "node-20-debian",
        include_str!("../../../catalog/node-20-debian.toml"),
    ),
    ("nginx", include_str!("../../../catalog/nginx.toml")),
];

/// One catalog spec, as a TOML table.
pub(crate) struct CatalogSpec {
    pub table: Table,
}

/// The catalog spec named `name`, if buckle ships it.
pub(crate) fn spec(name: &str) -> Option<CatalogSpec> {
    let (_, text) = SPECS.iter().find(|(n, _)| *n == name)?;
    let table = text
        .parse::<Table>()
        .unwrap_or_else(|e| unreachable!("catalog/{name}.toml is valid TOML: {e}"));
    Some(CatalogSpec { table })
}

impl CatalogSpec {
    /// `packages`: the runtime roots.
    pub fn packages(&self) -> Vec<String> {
        strings(self.table.get("packages"))
    }

    /// `[image] entrypoint`: empty when the spec sets none.
    pub fn entrypoint(&self) -> Vec<String> {
        strings(self.table.get("image").and_then(|image| image.get("entrypoint")))
    }
}

fn strings(value: Option<&toml::Value>) -> Vec<String> {
    value
        .and_then(toml::Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
