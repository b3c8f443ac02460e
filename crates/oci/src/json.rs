//! Canonical JSON: the byte form whose digest names a config, manifest or index.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Serialises `value` with object keys sorted at every level and no whitespace, so
/// the same value always gives the same bytes (and the same digest), whatever the
/// order fields were declared or inserted in.
///
/// ```
/// let json = buckle_oci::canonical_json(&serde_json::json!({"b": [1, {"z": 0, "a": ""}], "a": null})).unwrap();
/// assert_eq!(json, br#"{"a":null,"b":[1,{"a":"","z":0}]}"#);
/// ```
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let value = serde_json::to_value(value).map_err(|source| Error::JsonEncode { source })?;
    let mut out = Vec::new();
    write_value(&mut out, &value)?;
    Ok(out)
}

/// Deserialises `null` as the type's default (Docker writes `"Env": null` and the like).
pub(crate) fn null_as_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<()> {
    match value {
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(out, &Value::String(key.clone()))?;
                out.push(b':');
                write_value(out, item)?;
            }
            out.push(b'}');
        }
        scalar => write_scalar(out, scalar)?,
    }
    Ok(())
}

fn write_scalar(out: &mut Vec<u8>, value: &Value) -> Result<()> {
    serde_json::to_writer(out, value).map_err(|source| Error::JsonEncode { source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn keys_are_sorted_whatever_the_insertion_order() {
        let mut a = HashMap::new();
        let mut b = HashMap::new();
        for k in ["zeta", "alpha", "mid", "Beta"] {
            a.insert(k, vec![k]);
        }
        for k in ["Beta", "mid", "alpha", "zeta"] {
            b.insert(k, vec![k]);
        }
        let (ja, jb) = (canonical_json(&a).unwrap(), canonical_json(&b).unwrap());
        assert_eq!(ja, jb);
        assert_eq!(
            String::from_utf8(ja).unwrap(),
            r#"{"Beta":["Beta"],"alpha":["alpha"],"mid":["mid"],"zeta":["zeta"]}"#
        );
    }

    #[test]
    fn strings_are_escaped_as_json() {
        let json = canonical_json(&serde_json::json!({"k\"": "line\nbreak"})).unwrap();
        assert_eq!(json, br#"{"k\"":"line\nbreak"}"#);
    }
}
