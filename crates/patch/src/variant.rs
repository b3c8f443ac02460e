//! `Variant` as `runtime` or `dev` in JSON.

use buckle_spec::Variant;
use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(variant: &Variant, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(variant.as_str())
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Variant, D::Error> {
    let text = String::deserialize(d)?;
    Variant::ALL
        .into_iter()
        .find(|v| v.as_str() == text)
        .ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a variant: expected runtime or dev"))
        })
}
