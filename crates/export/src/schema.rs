//! The report's schemas, drawn from the model's own types so they cannot drift from what camscan
//! writes: the JSON document's JSON Schema (draft 2020-12, by schemars from the types' serde
//! attributes and doc comments) and, from it, the XML report's XSD ([`super::xsd`]). Shipped as
//! docs/reference/camscan.schema.json and docs/reference/camscan.xsd (tests/docs.rs compares them).
//!
//! The JSON Schema leaves objects open (no `additionalProperties: false`): the document only ever
//! gains fields within a `schema_version`, so a consumer validating against this version's schema
//! keeps working on a newer camscan. The XSD is exact: XML Schema 1.0 has no open content that
//! keeps the sequences checked, so validate each version's XML against its own XSD.

use serde_json::Value;

use model::Report;

/// The JSON Schema (draft 2020-12) of the JSON document; `#/$defs/Device` is one NDJSON line.
pub fn json_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Report>().to_value();
    if let Some(root) = schema.as_object_mut() {
        root.insert(
            "title".into(),
            Value::String(format!(
                "camscan report, schema_version {}",
                model::SCHEMA_VERSION
            )),
        );
    }
    schema
}

/// [`json_schema`] as the shipped file's text.
pub fn json_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&json_schema()).expect("a Value serialises");
    s.push('\n');
    s
}

/// The XSD of the XML report, as the shipped file's text.
pub fn xsd_text() -> String {
    super::xsd::xsd(&json_schema())
}
