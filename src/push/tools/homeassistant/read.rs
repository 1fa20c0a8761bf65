//! Reading what Home Assistant holds: its config entries, what each generic and MJPEG entry
//! points at (its options flow's form), and its camera entities, into items.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::entry::normal_mac;
use crate::push::PushError;
use crate::push::client::{Client, Request};
use crate::push::plan::Running;

/// The integrations camscan writes, and reads back.
const DOMAINS: &[&str] = &["onvif", "generic", "mjpeg"];

/// Camera entities with their config entry, state and device (one template: the REST API has no
/// entity registry route).
const CAMERAS_TEMPLATE: &str = r#"{%- set ns = namespace(rows=[]) -%}
{%- for s in states.camera -%}
{%- set d = device_id(s.entity_id) -%}
{%- set ns.rows = ns.rows + [{"entity_id": s.entity_id, "entry_id": config_entry_id(s.entity_id), "state": s.state, "configuration_url": (device_attr(d, "configuration_url") if d else none), "identifiers": ((device_attr(d, "identifiers") | list | map("list") | list) if d else [])}] -%}
{%- endfor -%}
{{ ns.rows | to_json }}"#;

/// A path segment of an id Home Assistant gave (ids are hex; anything else is escaped).
pub(super) fn seg(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// Read what Home Assistant holds: its config entries, each generic and MJPEG entry's options
/// (read through an options flow), and its camera entities.
pub(super) async fn read_doc(c: &Client) -> Result<Value, PushError> {
    let entries = c
        .read_json(Request::get("/api/config/config_entries/entry"))
        .await?;
    let mut forms = serde_json::Map::new();
    for e in entries.as_array().into_iter().flatten() {
        let (Some(id), Some(domain)) = (e["entry_id"].as_str(), e["domain"].as_str()) else {
            continue;
        };
        if !matches!(domain, "generic" | "mjpeg") || e["state"] != "loaded" {
            continue;
        }
        if let Some(form) = options_form(c, id).await? {
            forms.insert(id.to_string(), form);
        }
    }
    let cameras = c
        .send(Request::post(
            "/api/template",
            json!({"template": CAMERAS_TEMPLATE}),
        ))
        .await?;
    let cameras: Value = if cameras.ok() {
        serde_json::from_str(&cameras.body).unwrap_or(Value::Null)
    } else {
        return Err(PushError::Refused {
            url: c.shown.clone(),
            detail: format!("POST /api/template: {}", cameras.message()),
        });
    };
    Ok(json!({"entries": entries, "forms": forms, "cameras": cameras}))
}

/// The values an entry's options flow offers (what the entry holds now), the flow then deleted.
async fn options_form(c: &Client, entry_id: &str) -> Result<Option<Value>, PushError> {
    let a = c
        .send(Request::post(
            "/api/config/config_entries/options/flow",
            json!({"handler": entry_id}),
        ))
        .await?;
    if !a.ok() {
        return Ok(None);
    }
    let v: Value = serde_json::from_str(&a.body).unwrap_or(Value::Null);
    if let Some(flow) = v["flow_id"].as_str() {
        let path = format!("/api/config/config_entries/options/flow/{}", seg(flow));
        c.send(Request::delete(path)).await?;
    }
    Ok(Some(form_values(&v["data_schema"])))
}

/// A form's values: each field's suggested value, else its default.
pub(super) fn form_values(schema: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for f in schema.as_array().into_iter().flatten() {
        let Some(name) = f["name"].as_str() else {
            continue;
        };
        let v = f["description"]["suggested_value"]
            .clone()
            .or_null(|| f["default"].clone());
        if !v.is_null() {
            out.insert(name.to_string(), v);
        }
    }
    Value::Object(out)
}

trait OrNull {
    fn or_null(self, f: impl FnOnce() -> Value) -> Value;
}

impl OrNull for Value {
    fn or_null(self, f: impl FnOnce() -> Value) -> Value {
        if self.is_null() { f() } else { self }
    }
}

/// The entries of `doc` ([`read_doc`]) as items: each camera integration's entry by its title,
/// its fields as the integration holds them, and `_entry_id`, `_state`, `_entities` (never
/// compared: camscan writes no such field).
pub fn items(doc: &Value) -> Running {
    let mut cams_of: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for c in doc["cameras"].as_array().into_iter().flatten() {
        if let Some(id) = c["entry_id"].as_str() {
            cams_of.entry(id).or_default().push(c);
        }
    }
    let mut out = Running::new();
    for e in doc["entries"].as_array().into_iter().flatten() {
        let (Some(id), Some(domain), Some(title)) = (
            e["entry_id"].as_str(),
            e["domain"].as_str(),
            e["title"].as_str(),
        ) else {
            continue;
        };
        if !DOMAINS.contains(&domain) {
            continue;
        }
        let mut v = match doc["forms"].get(id) {
            Some(Value::Object(m)) if domain != "onvif" => Value::Object(m.clone()),
            _ => json!({}),
        };
        v["integration"] = json!(domain);
        let cams = cams_of.get(id).map(Vec::as_slice).unwrap_or(&[]);
        if domain == "onvif" {
            if let Some(url) = cams.iter().find_map(|c| c["configuration_url"].as_str()) {
                v["device"] = json!(url.trim_end_matches('/'));
            }
            let identity = cams
                .iter()
                .flat_map(|c| c["identifiers"].as_array().into_iter().flatten())
                .find(|i| i[0] == "onvif")
                .and_then(|i| i[1].as_str());
            if let Some(id) = identity {
                v["identity"] = json!(normal_mac(id));
            }
        }
        v["_entry_id"] = json!(id);
        v["_state"] = e["state"].clone();
        if let Some(reason) = e["reason"].as_str() {
            v["_reason"] = json!(reason);
        }
        let entities: serde_json::Map<String, Value> = cams
            .iter()
            .filter_map(|c| Some((c["entity_id"].as_str()?.to_string(), c["state"].clone())))
            .collect();
        v["_entities"] = Value::Object(entities);
        // Two entries of one title: the second by its id too (never camscan's name).
        let key = if out.contains_key(title) {
            format!("{title} ({id})")
        } else {
            title.to_string()
        };
        out.insert(key, v);
    }
    out
}
