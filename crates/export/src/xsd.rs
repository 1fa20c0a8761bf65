//! The XML report's schema (W3C XML Schema 1.0), drawn from the JSON Schema of the same document
//! ([`super::schema`]) by the rules the XML writer follows ([`super::xml`]): an object is an element
//! whose children are its fields in serde's order; a list is its item element repeated; `null` and
//! empty lists are no element; [`ATTRIBUTES`] are attributes; each of the [`DICTIONARIES`] is one
//! element per entry with its key in an attribute. An enumeration is a restriction of `xs:string`.
//!
//! Only what the model's schema holds is handled: a shape the writer has no rule for (a list of
//! lists, a map not listed in [`DICTIONARIES`], two fields written as one element name) panics, and
//! the unit tests draw the schema, so such a change to the model fails them.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::xml::{ATTRIBUTES, DICTIONARIES, item_name};

/// The XSD text of the report.
pub fn xsd(schema: &Value) -> String {
    let defs = schema["$defs"].as_object().expect("the schema has $defs");
    let mut out = String::new();
    out.push_str(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n  \
         <xs:annotation><xs:documentation>camscan's XML report (camscan -f xml), schema_version {}, \
         drawn from the model's types (docs/reference/formats.md, XML output). Validate a report \
         with: xmllint --noout --schema camscan.xsd report.xml</xs:documentation></xs:annotation>\n",
        model::SCHEMA_VERSION
    ));
    out.push_str("  <xs:element name=\"camscan\" type=\"Report\"/>\n");
    complex_type(&mut out, "Report", "camscan", schema);
    for (name, def) in defs {
        if def.get("properties").is_some() {
            let element = element_of_def(name, schema, defs);
            complex_type(&mut out, name, &element, def);
        } else {
            let values = enumeration(def)
                .unwrap_or_else(|| panic!("$defs/{name}: neither an object nor an enumeration"));
            simple_enum(&mut out, name, &values, def);
        }
    }
    out.push_str("</xs:schema>\n");
    out
}

/// The element name a definition is written under, for [`ATTRIBUTES`] (which are keyed by element):
/// the name of the field or list item that refers to it (the first found).
fn element_of_def(def: &str, root: &Value, defs: &Map<String, Value>) -> String {
    let target = format!("#/$defs/{def}");
    std::iter::once(root)
        .chain(defs.values())
        .filter_map(|d| d.get("properties").and_then(Value::as_object))
        .flat_map(|props| props.iter())
        .find_map(|(field, s)| {
            let (inner, _) = unwrap_null(s);
            if inner.get("type").and_then(Value::as_str) == Some("array") {
                (inner["items"].get("$ref").and_then(Value::as_str) == Some(target.as_str()))
                    .then(|| item_name(field).to_string())
            } else {
                (inner.get("$ref").and_then(Value::as_str) == Some(target.as_str()))
                    .then(|| field.clone())
            }
        })
        .unwrap_or_else(|| def.to_string())
}

/// `s` without a `null` alternative, and whether it had one.
fn unwrap_null(s: &Value) -> (Value, bool) {
    if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
        let non_null: Vec<&Value> = any
            .iter()
            .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if non_null.len() == 1 && any.len() == 2 {
            return (non_null[0].clone(), true);
        }
    }
    if let Some(types) = s.get("type").and_then(Value::as_array) {
        let non_null: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
        if non_null.len() == 1 && types.len() == 2 {
            let mut inner = s.clone();
            inner["type"] = non_null[0].clone();
            return (inner, true);
        }
    }
    (s.clone(), false)
}

/// The strings an enumeration allows (`enum`, or `oneOf` of `const`s and `enum`s), if it is one.
fn enumeration(s: &Value) -> Option<Vec<String>> {
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect()
    };
    if let Some(e) = s.get("enum") {
        return strings(e);
    }
    if let Some(c) = s.get("const") {
        return Some(vec![c.as_str()?.to_string()]);
    }
    let parts = s.get("oneOf")?.as_array()?;
    let mut all = Vec::new();
    for p in parts {
        all.extend(enumeration(p)?);
    }
    Some(all)
}

/// The XSD type of a scalar schema, or of a `$ref`.
fn type_of(s: &Value, at: &str) -> String {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return r.trim_start_matches("#/$defs/").to_string();
    }
    let format = s.get("format").and_then(Value::as_str);
    match (s.get("type").and_then(Value::as_str), format) {
        (Some("string"), _) => "xs:string",
        (Some("boolean"), _) => "xs:boolean",
        (Some("number"), _) => "xs:double",
        (Some("integer"), Some("uint8")) => "xs:unsignedByte",
        (Some("integer"), Some("uint16")) => "xs:unsignedShort",
        (Some("integer"), Some("uint32")) => "xs:unsignedInt",
        (Some("integer"), Some("uint64" | "uint")) => "xs:unsignedLong",
        (Some("integer"), Some("int8")) => "xs:byte",
        (Some("integer"), Some("int16")) => "xs:short",
        (Some("integer"), Some("int32")) => "xs:int",
        (Some("integer"), _) => "xs:long",
        _ => panic!("{at}: no XML rule for {s}"),
    }
    .to_string()
}

fn documentation(out: &mut String, indent: &str, s: &Value) {
    if let Some(d) = s.get("description").and_then(Value::as_str) {
        let d = d
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\n', " ");
        let _ = writeln!(
            out,
            "{indent}<xs:annotation><xs:documentation>{d}</xs:documentation></xs:annotation>"
        );
    }
}

fn simple_enum(out: &mut String, name: &str, values: &[String], def: &Value) {
    let _ = writeln!(out, "  <xs:simpleType name=\"{name}\">");
    documentation(out, "    ", def);
    out.push_str("    <xs:restriction base=\"xs:string\">\n");
    enumerations(out, "      ", values);
    out.push_str("    </xs:restriction>\n  </xs:simpleType>\n");
}

/// One `<xs:enumeration>` line per value, at `indent`.
fn enumerations(out: &mut String, indent: &str, values: &[String]) {
    for v in values {
        let _ = writeln!(out, "{indent}<xs:enumeration value=\"{v}\"/>");
    }
}

/// A named complex type for the object schema `def`, written as the element `element`.
fn complex_type(out: &mut String, name: &str, element: &str, def: &Value) {
    let props = def["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{name}: an object without properties"));
    let required: Vec<&str> = def
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let as_attrs: &[&str] = ATTRIBUTES
        .iter()
        .find(|(el, _)| *el == element)
        .map_or(&[], |(_, fields)| fields);
    let _ = writeln!(out, "  <xs:complexType name=\"{name}\">");
    documentation(out, "    ", def);
    out.push_str("    <xs:sequence>\n");
    let mut names: Vec<String> = Vec::new();
    for (field, s) in props {
        if as_attrs.contains(&field.as_str()) {
            continue;
        }
        let at = format!("{name}.{field}");
        let (inner, nullable) = unwrap_null(s);
        let is_list = inner.get("type").and_then(Value::as_str) == Some("array");
        let element_name = if is_list { item_name(field) } else { field };
        assert!(
            !names.iter().any(|n| n == element_name),
            "{at}: two fields of {name} are written as <{element_name}>"
        );
        names.push(element_name.to_string());
        let optional = nullable || is_list || !required.contains(&field.as_str());
        let occurs = match (optional, is_list) {
            (_, true) => " minOccurs=\"0\" maxOccurs=\"unbounded\"",
            (true, false) => " minOccurs=\"0\"",
            (false, false) => "",
        };
        let item = if is_list {
            let (item, _) = unwrap_null(&inner["items"]);
            assert!(
                item.get("type").and_then(Value::as_str) != Some("array"),
                "{at}: a list of lists has no XML rule"
            );
            item
        } else {
            inner
        };
        field_element(out, &at, field, element_name, occurs, &item, s);
    }
    out.push_str("    </xs:sequence>\n");
    for field in as_attrs {
        let s = &props
            .get(*field)
            .unwrap_or_else(|| panic!("{name} has no field {field} for an attribute"));
        let use_ = if required.contains(field) {
            " use=\"required\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    <xs:attribute name=\"{field}\" type=\"{}\"{use_}/>",
            type_of(&unwrap_null(s).0, &format!("{name}@{field}"))
        );
    }
    out.push_str("  </xs:complexType>\n");
}

/// One field's element declaration inside a sequence.
#[allow(clippy::too_many_arguments)]
fn field_element(
    out: &mut String,
    at: &str,
    field: &str,
    element_name: &str,
    occurs: &str,
    item: &Value,
    doc: &Value,
) {
    if let Some(map) = item.get("additionalProperties").filter(|m| m.is_object()) {
        let d = DICTIONARIES
            .iter()
            .find(|d| d.field == field)
            .unwrap_or_else(|| panic!("{at}: a map not listed in xml::DICTIONARIES"));
        let value_type = type_of(&unwrap_null(map).0, at);
        let _ = writeln!(out, "      <xs:element name=\"{element_name}\"{occurs}>");
        documentation(out, "        ", doc);
        let _ = writeln!(
            out,
            "        <xs:complexType><xs:sequence>\n          \
             <xs:element name=\"{}\" minOccurs=\"0\" maxOccurs=\"unbounded\">\n            \
             <xs:complexType><xs:simpleContent><xs:extension base=\"{value_type}\">\n              \
             <xs:attribute name=\"{}\" type=\"xs:string\" use=\"required\"/>\n            \
             </xs:extension></xs:simpleContent></xs:complexType>\n          \
             </xs:element>\n        </xs:sequence></xs:complexType>\n      </xs:element>",
            d.item, d.key
        );
        return;
    }
    assert!(
        DICTIONARIES.iter().all(|d| d.field != field),
        "{at}: its name is listed in xml::DICTIONARIES but it is not a map"
    );
    if let Some(values) = enumeration(item).filter(|_| item.get("$ref").is_none()) {
        let _ = writeln!(out, "      <xs:element name=\"{element_name}\"{occurs}>");
        documentation(out, "        ", doc);
        out.push_str("        <xs:simpleType><xs:restriction base=\"xs:string\">\n");
        enumerations(out, "          ", &values);
        out.push_str("        </xs:restriction></xs:simpleType>\n      </xs:element>\n");
        return;
    }
    let ty = type_of(item, at);
    if doc.get("description").is_some() {
        let _ = writeln!(
            out,
            "      <xs:element name=\"{element_name}\" type=\"{ty}\"{occurs}>"
        );
        documentation(out, "        ", doc);
        out.push_str("      </xs:element>\n");
    } else {
        let _ = writeln!(
            out,
            "      <xs:element name=\"{element_name}\" type=\"{ty}\"{occurs}/>"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> String {
        xsd(&super::super::schema::json_schema())
    }

    /// Every map of the model is one the XML writer has a rule for, and every element and type
    /// the writer uses is declared.
    #[test]
    fn the_model_draws_a_schema() {
        let t = text();
        assert!(t.contains("<xs:element name=\"camscan\" type=\"Report\"/>"));
        assert!(t.contains("<xs:complexType name=\"Device\">"));
        assert!(t.contains("<xs:attribute name=\"ip\" type=\"xs:string\" use=\"required\"/>"));
        assert!(t.contains("<xs:element name=\"status\" minOccurs=\"0\" maxOccurs=\"unbounded\">"));
        assert!(t.contains("<xs:attribute name=\"code\" type=\"xs:string\" use=\"required\"/>"));
        // A stream's status is an enumeration of the model's variants.
        assert!(t.contains("<xs:enumeration value=\"auth_required\"/>"));
    }

    #[test]
    #[should_panic(expected = "a map not listed in xml::DICTIONARIES")]
    fn an_unlisted_map_has_no_rule() {
        let mut schema = super::super::schema::json_schema();
        schema["$defs"]["Device"]["properties"]["http_headers"] =
            serde_json::json!({"type": "object", "additionalProperties": {"type": "string"}});
        xsd(&schema);
    }

    #[test]
    #[should_panic(expected = "a list of lists has no XML rule")]
    fn a_list_of_lists_has_no_rule() {
        let mut schema = super::super::schema::json_schema();
        schema["$defs"]["Device"]["properties"]["grid"] = serde_json::json!(
            {"type": "array", "items": {"type": "array", "items": {"type": "string"}}});
        xsd(&schema);
    }
}
