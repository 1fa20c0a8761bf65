//! Home Assistant's side of a push: each camera added through the integration a person would
//! pick in its UI, by the integration's own config flow over Home Assistant's REST API (cited
//! from `homeassistant==2025.4.4`):
//!
//! * **ONVIF** (`components/onvif/config_flow.py`): step `user` `{"auto": false}`, then
//!   `configure` `{name, host, port, username, password}`; the entry's unique id is the identity
//!   the camera reports (its first enabled interface's MAC, else its serial:
//!   `async_setup_profiles`), and a flow for an identity already configured rewrites that entry's
//!   host and login and reloads it (`_abort_if_unique_id_configured(updates=...)`). Some makers'
//!   cameras report one identity for them all (home-assistant/core #70056, #77933): a camera
//!   whose reported identity is not its own MAC is taken out again and added through the generic
//!   camera, the reason said, so that no later camera can overwrite it.
//! * **Generic camera** (`components/generic/config_flow.py`): step `user` with the stream source,
//!   still image, RTSP transport, authentication, login, frame rate and TLS check
//!   (`build_schema`); Home Assistant opens the stream itself (`async_test_and_preview_stream`)
//!   before it shows `user_confirm`, answered `{"confirmed_ok": true}`. Its entries have no unique
//!   id: the ledger is the only guard against a second entry. An update is the options flow
//!   (`GenericOptionsFlowHandler`: `init`, then `user_confirm`), which replaces the whole options
//!   (the login is sent again). What an entry points at is read from the options flow's form (its
//!   fields' `suggested_value`), the flow then deleted.
//! * **MJPEG IP camera** (`components/mjpeg/config_flow.py`): step `user` `{name, mjpeg_url,
//!   still_image_url, username, password, verify_ssl}`; a second entry of the same URL aborts
//!   (`_async_abort_entries_match`); updates through its options flow (`init`).
//!
//! The entries are listed by `GET /api/config/config_entries/entry` (`config/config_entries.py`,
//! `as_json_fragment`: no data or options), each camera's entity, its state and its device's
//! `configuration_url` and identifiers by one template (`POST /api/template`), and an entry is
//! renamed to camscan's camera name over the websocket (`config_entries/update`: there is no REST
//! route for it). A removal is `DELETE /api/config/config_entries/entry/<id>`. A flow given up on is
//! deleted (`DELETE /api/config/config_entries/flow/<id>`).
//!
//! The item key of an entry is its title; camscan's entries carry its camera names.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::{Value, json};

use super::{EntryInput, Fut, Job, LoginWay, PushTool, Sent, is_it};
use crate::export::cameras::{self, Tool};
use crate::model::{AuthScheme, Protocol};
use crate::push::Options;
use crate::push::PushError;
use crate::push::client::{Answer, Client, Request};
use crate::push::entries::Password;
use crate::push::plan::{Entry, Running};

/// The integrations camscan writes, and reads back.
const DOMAINS: &[&str] = &["onvif", "generic", "mjpeg"];

/// Flows run side by side at most: Home Assistant opens each camera's stream in a flow (3 s when
/// it plays, 30 s when not), and a site's worth at once would load the machine it runs on.
const FLOWS_AT_ONCE: usize = 4;

/// A flow step's deadline: Home Assistant opens the camera's stream in the generic camera's step
/// and answers "timeout" after 30 s (`components/stream/const.py` `SOURCE_TIMEOUT`); a still
/// image 10 s (`components/generic/const.py` `GET_IMAGE_TIMEOUT`).
const STEP_DEADLINE: std::time::Duration = std::time::Duration::from_secs(45);

/// Camera entities with their config entry, state and device (one template: the REST API has no
/// entity registry route).
const CAMERAS_TEMPLATE: &str = r#"{%- set ns = namespace(rows=[]) -%}
{%- for s in states.camera -%}
{%- set d = device_id(s.entity_id) -%}
{%- set ns.rows = ns.rows + [{"entity_id": s.entity_id, "entry_id": config_entry_id(s.entity_id), "state": s.state, "configuration_url": (device_attr(d, "configuration_url") if d else none), "identifiers": ((device_attr(d, "identifiers") | list | map("list") | list) if d else [])}] -%}
{%- endfor -%}
{{ ns.rows | to_json }}"#;

pub struct HomeAssistant;

impl PushTool for HomeAssistant {
    fn name(&self) -> &'static str {
        "homeassistant"
    }

    fn title(&self) -> &'static str {
        "Home Assistant"
    }

    fn help(&self) -> &'static str {
        "Home Assistant 2025 (its ONVIF, generic camera and MJPEG config flows)"
    }

    fn usual_url(&self) -> &'static str {
        "http://HOST:8123, with a long-lived access token (--push-login-file or CAMSCAN_PUSH_TOKEN)"
    }

    fn login_way(&self) -> LoginWay {
        LoginWay::Token
    }

    fn streams(&self) -> Tool {
        Tool::HaSheet
    }

    /// Home Assistant's flows take values, not references to its environment.
    fn reference(&self, _key: &str) -> Option<(String, String)> {
        None
    }

    fn keys(&self, name: &str, _options: Options) -> Vec<String> {
        vec![name.to_string()]
    }

    fn entry(&self, i: &EntryInput<'_, '_>) -> Entry {
        let mut e = Entry::new();
        e.insert(i.name.to_string(), camera_entry(i));
        e
    }

    fn items(&self, doc: &Value) -> Running {
        items(doc)
    }

    fn read<'a>(&'a self, c: &'a Client) -> Fut<'a, Running> {
        Box::pin(async move {
            let doc = read_doc(c).await.map_err(|e| is_it(self, e))?;
            Ok(items(&doc))
        })
    }

    fn write_all<'a>(
        &'a self,
        c: &'a Client,
        jobs: &'a [Job],
        running: &'a Running,
    ) -> Fut<'a, Vec<Sent>> {
        Box::pin(async move {
            let ws = Ws::new(c);
            // The identities Home Assistant's ONVIF entries are keyed by, and whose.
            let mut identities: BTreeMap<String, String> = running
                .iter()
                .filter(|(_, v)| v["integration"] == "onvif")
                .filter_map(|(k, v)| Some((v["identity"].as_str()?.to_string(), k.clone())))
                .collect();
            // ONVIF adds one after another (a shared identity found on one turns the next to the
            // generic camera); the rest side by side within a bound.
            let mut out: Vec<Option<Sent>> = (0..jobs.len()).map(|_| None).collect();
            let (onvif, rest): (Vec<usize>, Vec<usize>) = (0..jobs.len()).partition(|&k| {
                jobs[k].add && integration(&jobs[k].entry, &jobs[k].name) == "onvif"
            });
            for k in onvif {
                let job = &jobs[k];
                let sent = match add_onvif(c, &ws, job, &job.entry[&job.name], &identities).await {
                    Ok(sent) => sent,
                    Err(e) => Sent::refused(e),
                };
                if sent.ok && sent.instead.is_none() {
                    let own = job.entry[&job.name]["identity"].as_str().unwrap_or("");
                    identities.insert(own.to_string(), job.name.clone());
                }
                out[k] = Some(sent);
            }
            let results: Vec<(usize, Result<Sent, PushError>)> =
                futures::stream::iter(rest.into_iter().map(|k| {
                    let ws = &ws;
                    async move { (k, write(c, ws, &jobs[k]).await) }
                }))
                .buffer_unordered(FLOWS_AT_ONCE)
                .collect()
                .await;
            for (k, r) in results {
                out[k] = Some(r?);
            }
            Ok(out
                .into_iter()
                .map(|s| s.unwrap_or_else(|| Sent::refused("not sent".into())))
                .collect())
        })
    }

    fn remove<'a>(
        &'a self,
        c: &'a Client,
        _name: &'a str,
        _keys: &'a [String],
        running: &'a Running,
    ) -> Fut<'a, Sent> {
        Box::pin(async move {
            let mut answers = Vec::new();
            for v in running.values() {
                if let Some(id) = v["_entry_id"].as_str() {
                    let path = format!("/api/config/config_entries/entry/{}", seg(id));
                    answers.push(c.send(Request::delete(path)).await?);
                }
            }
            Ok(Sent::from(&answers))
        })
    }

    fn notes(&self, _jobs: usize, _adds: usize) -> Vec<String> {
        vec![
            "Home Assistant keeps each camera's login in plain text in its .storage directory \
             (core.config_entries): protect that directory and its backups as you would the \
             cameras' passwords"
                .into(),
        ]
    }

    /// Loaded, and a camera entity that is not unavailable.
    fn health(&self, held: &Running) -> Option<String> {
        for v in held.values() {
            let state = v["_state"].as_str().unwrap_or("");
            if state != "loaded" {
                let reason = v["_reason"].as_str().unwrap_or("");
                return Some(format!(
                    "its entry is {state}{}{reason}",
                    if reason.is_empty() { "" } else { ": " }
                ));
            }
            let entities = v["_entities"].as_object().cloned().unwrap_or_default();
            if entities.is_empty() {
                return Some("its entry has no camera entity".into());
            }
            if let Some((id, _)) = entities
                .iter()
                .find(|(_, s)| s.as_str() == Some("unavailable"))
            {
                return Some(format!("{id} is unavailable"));
            }
        }
        None
    }
}

/// The integration an entry's value names.
fn integration<'e>(entry: &'e Entry, name: &str) -> &'e str {
    entry
        .get(name)
        .and_then(|v| v["integration"].as_str())
        .unwrap_or("")
}

/// One camera's value: the integration it goes through and the fields Home Assistant holds.
fn camera_entry(i: &EntryInput<'_, '_>) -> Value {
    let cam = i.cam;
    let login = login(i);
    let main = cam.main;
    if main.protocol == Protocol::Mjpeg {
        let mut v = json!({
            "integration": "mjpeg",
            "mjpeg_url": cameras::safe_url(&main.url),
            "verify_ssl": false,
        });
        if let Some(still) = cameras::snapshot(cam.device, main) {
            v["still_image_url"] = json!(still);
        }
        if let Some((user, pass)) = login {
            v["username"] = json!(user);
            v["password"] = json!(pass);
        }
        return v;
    }
    // A camera Home Assistant's ONVIF integration refused before stays the generic camera's.
    let before = i.written.and_then(|w| w.get(i.name));
    if let Some(why) = before
        .filter(|b| b["integration"] == "generic")
        .and_then(|b| b["_why"].as_str())
    {
        return generic(i, login, Some(why.to_string()));
    }
    let Some(s) = cameras::onvif_service(cam.device) else {
        return generic(i, login, None);
    };
    if let Some(why) = onvif_refusal(i) {
        return generic(i, login, Some(why));
    }
    let (user, pass) = login.clone().unwrap_or_default();
    json!({
        "integration": "onvif",
        "device": format!("http://{}:{}", s.host, s.port),
        "identity": cam.device.mac.as_deref().map(normal_mac).unwrap_or_default(),
        "_login": {"username": user, "password": pass},
        "_generic": generic(i, login, None),
    })
}

/// Why a camera is not added through the ONVIF integration (`None`: it is).
fn onvif_refusal(i: &EntryInput<'_, '_>) -> Option<String> {
    let d = i.cam.device;
    let s = cameras::onvif_service(d)?;
    if d.onvif.as_ref().is_none_or(|o| o.profiles.is_empty()) {
        return Some("camscan read no ONVIF media profile from it".into());
    }
    if s.path != "/onvif/device_service" {
        // Home Assistant asks the default path only (`onvif-zeep-async`'s `ONVIFCamera`).
        return Some(format!(
            "its ONVIF service is at {}, where Home Assistant does not look",
            s.path
        ));
    }
    if d.mac.is_none() || d.mac_shared {
        return Some(
            "camscan does not know its own MAC (a routed camera), so it cannot tell whether the \
             identity it reports over ONVIF is its own"
                .into(),
        );
    }
    if matches!(i.password, Password::Unknown | Password::Reference) {
        return Some("its ONVIF login is unknown".into());
    }
    None
}

/// The camera's login as a flow takes it: `None` when it needs none.
fn login(i: &EntryInput<'_, '_>) -> Option<(String, String)> {
    let user = i.cam.main.username.clone()?;
    match i.password {
        Password::Known(p) => Some((user, p.clone())),
        _ => Some((user, String::new())),
    }
}

/// The generic camera's value for `i`, and why it is not the ONVIF integration's.
fn generic(i: &EntryInput<'_, '_>, login: Option<(String, String)>, why: Option<String>) -> Value {
    let main = i.cam.main;
    let mut v = json!({
        "integration": "generic",
        "stream_source": cameras::safe_url(&main.url),
        "framerate": 2.0,
        "verify_ssl": false,
    });
    if main.protocol == Protocol::Rtsp {
        let udp = main.measured.as_ref().is_some_and(|m| m.transport == "udp");
        v["rtsp_transport"] = json!(if udp { "udp" } else { "tcp" });
    }
    // A still Home Assistant refused before is left out again (`add_generic`).
    let refused = i
        .written
        .and_then(|w| w.get(i.name))
        .is_some_and(|b| b["_still_refused"] == true);
    match cameras::snapshot(i.cam.device, main) {
        Some(_) if refused => v["_still_refused"] = json!(true),
        Some(still) => v["still_image_url"] = json!(still),
        None => {}
    }
    if let Some((user, pass)) = login {
        v["authentication"] = json!(match main.auth {
            AuthScheme::Digest => "digest",
            _ => "basic",
        });
        v["username"] = json!(user);
        v["password"] = json!(pass);
    }
    if let Some(why) = why {
        v["_why"] = json!(why);
    }
    v
}

/// The identity a camera's ONVIF device service at `device` (`http://host:port`) reports, asked
/// as Home Assistant asks it (`components/onvif/config_flow.py` `async_setup_profiles`): the first
/// enabled interface's MAC; the serial number when GetNetworkInterfaces faults "not implemented";
/// any other fault or no answer is what Home Assistant would refuse the camera for.
async fn reported_identity(device: &str, user: &str, password: &str) -> Result<String, String> {
    use crate::proto::soap;
    let url = format!("{}/onvif/device_service", device.trim_end_matches('/'));
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let ask = |body: &'static str| {
        let security = (!user.is_empty()).then(|| {
            let mut nonce = [0u8; 16];
            let _ = getrandom::fill(&mut nonce);
            let created = jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            soap::username_token(soap::TokenKind::Digest, user, password, &nonce, &created)
        });
        let envelope = soap::envelope(security.as_deref(), body);
        let req = http
            .post(&url)
            .header("content-type", "application/soap+xml; charset=utf-8")
            .body(envelope);
        async move {
            let resp = req.send().await.map_err(|e| e.to_string())?;
            let text = resp.text().await.map_err(|e| e.to_string())?;
            Ok::<String, String>(text)
        }
    };
    let xml = ask(soap::GET_NETWORK_INTERFACES).await?;
    if let Some(f) = soap::fault(&xml) {
        let reason = f.reason.clone().unwrap_or_default();
        if f.is_not_authorized() {
            return Err(format!("its login was refused: {reason}"));
        }
        if !reason.contains("not implemented") {
            return Err(format!("GetNetworkInterfaces: {reason}"));
        }
    } else if let Some(mac) = soap::first_enabled_mac(&xml) {
        return Ok(normal_mac(&mac));
    }
    let xml = ask(soap::GET_DEVICE_INFORMATION).await?;
    soap::device_information(&xml)
        .and_then(|i| i.serial)
        .map(|s| normal_mac(&s))
        .ok_or_else(|| "it reports neither a MAC nor a serial number".into())
}

/// `aa:bb:cc:dd:ee:ff`, as a MAC compares.
fn normal_mac(m: &str) -> String {
    m.trim().to_ascii_lowercase().replace('-', ":")
}

/// A path segment of an id Home Assistant gave (ids are hex; anything else is escaped).
fn seg(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// Read what Home Assistant holds: its config entries, each generic and MJPEG entry's options
/// (read through an options flow), and its camera entities.
async fn read_doc(c: &Client) -> Result<Value, PushError> {
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
fn form_values(schema: &Value) -> Value {
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

/// The fields of `v` a flow's form takes (camscan's own markers out).
fn form_fields(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.retain(|k, _| !k.starts_with('_') && k != "integration");
    }
    v
}

/// What a flow step answered.
struct Step {
    kind: String,
    flow_id: Option<String>,
    step_id: String,
    /// The errors of a form shown again, with the integration's own detail.
    errors: Option<String>,
    /// The entry created.
    entry: Option<Value>,
    /// An abort's reason.
    reason: Option<String>,
}

impl Step {
    fn of(a: &Answer) -> Result<Step, String> {
        if !a.ok() {
            return Err(a.message());
        }
        let v: Value = serde_json::from_str(&a.body).map_err(|e| format!("not JSON ({e})"))?;
        let errors = v["errors"].as_object().filter(|m| !m.is_empty()).map(|m| {
            let detail = v["description_placeholders"]["error"].as_str();
            let mut s = m
                .iter()
                .map(|(k, e)| format!("{k}: {}", e.as_str().unwrap_or("?")))
                .collect::<Vec<_>>()
                .join(", ");
            if let Some(d) = detail {
                s.push_str(&format!(" ({})", crate::sanitize::terminal(d)));
            }
            s
        });
        Ok(Step {
            kind: v["type"].as_str().unwrap_or("").to_string(),
            flow_id: v["flow_id"].as_str().map(str::to_string),
            step_id: v["step_id"].as_str().unwrap_or("").to_string(),
            errors,
            entry: v.get("result").cloned().filter(|r| r.is_object()),
            reason: v["reason"].as_str().map(str::to_string),
        })
    }
}

/// A config or options flow in progress.
struct Flow<'c> {
    c: &'c Client,
    base: &'static str,
    id: Option<String>,
}

impl<'c> Flow<'c> {
    /// Start a flow of `handler` (a domain, or an entry id for an options flow).
    async fn start(c: &'c Client, options: bool, handler: &str) -> Result<(Flow<'c>, Step), String> {
        let base = if options {
            "/api/config/config_entries/options/flow"
        } else {
            "/api/config/config_entries/flow"
        };
        let a = c
            .send(Request::post(base, json!({"handler": handler})))
            .await
            .map_err(|e| e.to_string())?;
        let step = Step::of(&a)?;
        Ok((
            Flow {
                c,
                base,
                id: step.flow_id.clone(),
            },
            step,
        ))
    }

    async fn next(&mut self, data: Value) -> Result<Step, String> {
        let Some(id) = &self.id else {
            return Err("the flow has ended".into());
        };
        let path = format!("{}/{}", self.base, seg(id));
        let a = self
            .c
            .send(Request::post(path, data).deadline(STEP_DEADLINE))
            .await
            .map_err(|e| e.to_string())?;
        let step = Step::of(&a)?;
        if step.kind != "form" {
            self.id = None;
        }
        Ok(step)
    }

    /// Delete a flow given up on (no entry is left half made).
    async fn abandon(&mut self) {
        if let Some(id) = self.id.take() {
            let path = format!("{}/{}", self.base, seg(&id));
            let _ = self.c.send(Request::delete(path)).await;
        }
    }
}

/// Write one camera: a flow, the entry renamed to camscan's name.
async fn write(c: &Client, ws: &Ws<'_>, job: &Job) -> Result<Sent, PushError> {
    let Some(value) = job.entry.get(&job.name) else {
        return Ok(Sent::refused("no entry".into()));
    };
    let held = job.running.get(&job.name);
    let r = match (value["integration"].as_str().unwrap_or(""), job.add) {
        ("onvif", true) => add_onvif(c, ws, job, value, &BTreeMap::new()).await,
        ("onvif", false) => onvif_flow(c, &job.name, value, job)
            .await
            .map(|_| Sent::from(&[])),
        ("generic", true) => add_generic(c, ws, &job.name, value).await,
        (domain, true) => add_with_flow(c, ws, &job.name, domain, value)
            .await
            .map(|_| Sent::from(&[])),
        (_, false) => match held.and_then(|h| h["_entry_id"].as_str()) {
            Some(id) if held.is_some_and(|h| h["integration"] == value["integration"]) => {
                update_options(c, id, value).await.map(|_| Sent::from(&[]))
            }
            // Another integration than camscan wrote (ONVIF to generic): the entry replaced.
            Some(id) => {
                let path = format!("/api/config/config_entries/entry/{}", seg(id));
                let a = c.send(Request::delete(path)).await?;
                if !a.ok() {
                    return Ok(Sent::from(&[a]));
                }
                let domain = value["integration"].as_str().unwrap_or("generic");
                add_with_flow(c, ws, &job.name, domain, value)
                    .await
                    .map(|_| Sent::from(&[]))
            }
            None => Err("not in Home Assistant any more".into()),
        },
    };
    Ok(match r {
        Ok(mut sent) => {
            if sent.message.is_none() {
                sent.message = value["_why"]
                    .as_str()
                    .map(|w| format!("through the generic camera: {w}"));
            }
            sent
        }
        Err(e) => Sent::refused(e),
    })
}

/// A config flow of `domain` for `value`, to its entry (renamed to `name`); its id.
async fn add_with_flow(
    c: &Client,
    ws: &Ws<'_>,
    name: &str,
    domain: &str,
    value: &Value,
) -> Result<String, String> {
    let (mut flow, first) = Flow::start(c, false, domain).await?;
    let r = async {
        let mut step = first;
        let mut data = form_fields(value);
        if domain == "mjpeg" {
            data["name"] = json!(name);
        }
        // Bounded: user, then user_confirm.
        for _ in 0..3 {
            match (step.kind.as_str(), step.step_id.as_str()) {
                ("form", "user_confirm") => {
                    step = flow.next(json!({"confirmed_ok": true})).await?;
                }
                ("form", _) if step.errors.is_some() => {
                    return Err(step.errors.unwrap_or_default());
                }
                ("form", _) => step = flow.next(data.clone()).await?,
                ("create_entry", _) => break,
                ("abort", _) => {
                    return Err(format!(
                        "Home Assistant aborted: {}",
                        step.reason.unwrap_or_default()
                    ));
                }
                (other, _) => return Err(format!("unexpected flow step {other:?}")),
            }
        }
        let id = step
            .entry
            .as_ref()
            .and_then(|e| e["entry_id"].as_str())
            .ok_or_else(|| "the flow created no entry".to_string())?
            .to_string();
        Ok(id)
    }
    .await;
    let id = match r {
        Ok(id) => id,
        Err(e) => {
            flow.abandon().await;
            return Err(e);
        }
    };
    ws.rename(&id, name).await?;
    Ok(id)
}

/// An ONVIF camera added: first the identity it reports asked as Home Assistant will ask it; a
/// camera that would be refused, or that reports another's identity, or one Home Assistant's
/// ONVIF entries already hold (`identities`: the flow would rewrite that entry), goes through the
/// generic camera instead, the reason said. Then the ONVIF flow, and the identity it keyed the
/// entry by checked again.
async fn add_onvif(
    c: &Client,
    ws: &Ws<'_>,
    job: &Job,
    value: &Value,
    identities: &BTreeMap<String, String>,
) -> Result<Sent, String> {
    let own = value["identity"].as_str().unwrap_or("");
    let login = &value["_login"];
    let reported = reported_identity(
        value["device"].as_str().unwrap_or(""),
        login["username"].as_str().unwrap_or(""),
        login["password"].as_str().unwrap_or(""),
    )
    .await;
    let why = match reported {
        Err(e) => Some(format!(
            "Home Assistant's ONVIF integration would refuse it ({e})"
        )),
        Ok(r) if r != own => Some(format!(
            "it reports the identity {r} over ONVIF, not its own MAC {own}; Home Assistant keys \
             ONVIF entries by it, and a second camera reporting it would overwrite the first \
             (home-assistant/core #70056)"
        )),
        Ok(r) => identities.get(&r).map(|holder| {
            format!(
                "Home Assistant's ONVIF entry {holder} already holds its identity {r}: its ONVIF \
                 flow would rewrite that entry"
            )
        }),
    };
    if let Some(why) = why {
        return add_generic_instead(c, ws, job, why).await;
    }
    let (id, title) = match onvif_flow(c, &job.name, value, job).await {
        Ok(v) => v,
        Err(e) => {
            let why = format!("Home Assistant's ONVIF integration refused it ({e})");
            return add_generic_instead(c, ws, job, why).await;
        }
    };
    let reported = title.rsplit_once(" - ").map(|(_, m)| normal_mac(m));
    if reported.as_deref() != Some(own) {
        let path = format!("/api/config/config_entries/entry/{}", seg(&id));
        let a = c
            .send(Request::delete(path))
            .await
            .map_err(|e| e.to_string())?;
        if !a.ok() {
            return Err(a.message());
        }
        let why = format!(
            "it reports the identity {} over ONVIF, not its own MAC {own}; Home Assistant keys \
             ONVIF entries by it, and another camera reporting it would overwrite this one \
             (home-assistant/core #70056)",
            reported.unwrap_or_default()
        );
        return add_generic_instead(c, ws, job, why).await;
    }
    ws.rename(&id, &job.name).await?;
    Ok(Sent::from(&[]))
}

/// The camera of `job` through the generic camera; the entry it is now.
async fn add_generic_instead(
    c: &Client,
    ws: &Ws<'_>,
    job: &Job,
    why: String,
) -> Result<Sent, String> {
    let mut value = job.entry[&job.name]["_generic"].clone();
    if !value.is_object() {
        return Err(format!(
            "{why}, and camscan has no stream of it for the generic camera"
        ));
    }
    value["_why"] = json!(why);
    let sent = add_generic(c, ws, &job.name, &value).await?;
    let taken = sent
        .instead
        .as_ref()
        .and_then(|e| e.get(&job.name))
        .cloned()
        .unwrap_or(value);
    let mut instead = Entry::new();
    instead.insert(job.name.clone(), taken);
    Ok(Sent {
        ok: true,
        message: Some(format!("through the generic camera: {why}")),
        instead: Some(instead),
    })
}

/// A camera through the generic camera: with its still image, else (Home Assistant could not
/// load it: a snapshot behind another login, an MJPEG stream as a still) without, said.
async fn add_generic(c: &Client, ws: &Ws<'_>, name: &str, value: &Value) -> Result<Sent, String> {
    match add_with_flow(c, ws, name, "generic", value).await {
        Ok(_) => Ok(Sent::from(&[])),
        Err(e) if e.contains("still_image_url") && value.get("still_image_url").is_some() => {
            let mut v = value.clone();
            if let Some(m) = v.as_object_mut() {
                m.remove("still_image_url");
            }
            v["_still_refused"] = json!(true);
            add_with_flow(c, ws, name, "generic", &v).await?;
            let mut instead = Entry::new();
            instead.insert(name.to_string(), v);
            Ok(Sent {
                ok: true,
                message: Some(format!(
                    "without its still image, which Home Assistant could not load ({e})"
                )),
                instead: Some(instead),
            })
        }
        Err(e) => Err(e),
    }
}

/// The ONVIF flow for `value` (a new entry, or the update of the camera's own: Home Assistant
/// rewrites an entry of the same identity); the entry's id and title.
async fn onvif_flow(
    c: &Client,
    name: &str,
    value: &Value,
    job: &Job,
) -> Result<(String, String), String> {
    let device = value["device"].as_str().unwrap_or("");
    let u = url::Url::parse(device).map_err(|e| format!("{device:?}: {e}"))?;
    let host = u.host_str().unwrap_or("").trim_matches(['[', ']']).to_string();
    let port = u.port_or_known_default().unwrap_or(80);
    let login = &value["_login"];
    let (user, pass) = (
        login["username"].as_str().unwrap_or(""),
        login["password"].as_str().unwrap_or(""),
    );
    let (mut flow, first) = Flow::start(c, false, "onvif").await?;
    let r = async {
        let mut step = first;
        for _ in 0..3 {
            match (step.kind.as_str(), step.step_id.as_str()) {
                ("form", _) if step.errors.is_some() => {
                    return Err(step.errors.unwrap_or_default());
                }
                ("form", "user") => step = flow.next(json!({"auto": false})).await?,
                ("form", "configure") => {
                    step = flow
                        .next(json!({"name": name, "host": host, "port": port,
                                     "username": user, "password": pass}))
                        .await?;
                }
                ("create_entry", _) => {
                    let e = step.entry.unwrap_or_default();
                    return Ok((
                        e["entry_id"].as_str().unwrap_or("").to_string(),
                        e["title"].as_str().unwrap_or("").to_string(),
                    ));
                }
                // An update: the entry of this identity rewritten (its id unchanged).
                ("abort", _) if !job.add && step.reason.as_deref() == Some("already_configured") => {
                    let id = job
                        .running
                        .get(name)
                        .and_then(|h| h["_entry_id"].as_str())
                        .unwrap_or("")
                        .to_string();
                    return Ok((id, String::new()));
                }
                ("abort", _) => {
                    return Err(format!("aborted: {}", step.reason.unwrap_or_default()));
                }
                (other, s) => return Err(format!("unexpected flow step {other:?} {s:?}")),
            }
        }
        Err("the flow did not end".into())
    }
    .await;
    if r.is_err() {
        flow.abandon().await;
    }
    r
}

/// A generic or MJPEG entry updated through its options flow (the whole options, the login
/// again).
async fn update_options(c: &Client, entry_id: &str, value: &Value) -> Result<(), String> {
    let (mut flow, first) = Flow::start(c, true, entry_id).await?;
    let r = async {
        let mut step = first;
        let data = form_fields(value);
        for _ in 0..3 {
            match (step.kind.as_str(), step.step_id.as_str()) {
                ("form", "user_confirm") => {
                    step = flow.next(json!({"confirmed_ok": true})).await?;
                }
                ("form", _) if step.errors.is_some() => {
                    return Err(step.errors.unwrap_or_default());
                }
                ("form", _) => {
                    let mut data = data.clone();
                    if value["integration"] == "generic" {
                        // Required by the options flow's form only (`build_schema`).
                        data["limit_refetch_to_url_change"] = json!(false);
                    }
                    step = flow.next(data).await?;
                }
                ("create_entry", _) => return Ok(()),
                ("abort", _) => {
                    return Err(format!("aborted: {}", step.reason.unwrap_or_default()));
                }
                (other, _) => return Err(format!("unexpected flow step {other:?}")),
            }
        }
        Err("the flow did not end".into())
    }
    .await;
    if r.is_err() {
        flow.abandon().await;
    }
    r
}

/// Home Assistant's websocket API, for what its REST API has no route for (renaming an entry).
struct Ws<'c> {
    c: &'c Client,
}

impl<'c> Ws<'c> {
    fn new(c: &'c Client) -> Ws<'c> {
        Ws { c }
    }

    /// Give entry `id` the title `name` (`config_entries/update`).
    async fn rename(&self, id: &str, name: &str) -> Result<(), String> {
        let cmd = json!({"type": "config_entries/update", "entry_id": id, "title": name});
        self.c.websocket(cmd).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_become_items_by_title() {
        let doc = json!({
            "entries": [
                {"entry_id": "a1", "domain": "generic", "title": "front", "state": "loaded"},
                {"entry_id": "b2", "domain": "onvif", "title": "yard", "state": "setup_retry",
                 "reason": "no answer"},
                {"entry_id": "c3", "domain": "met", "title": "Home", "state": "loaded"},
                {"entry_id": "d4", "domain": "generic", "title": "front", "state": "loaded"}
            ],
            "forms": {"a1": {"stream_source": "rtsp://198.18.0.5/x", "password": "pw"}},
            "cameras": [
                {"entity_id": "camera.front", "entry_id": "a1", "state": "idle"},
                {"entity_id": "camera.yard", "entry_id": "b2", "state": "unavailable",
                 "configuration_url": "http://198.18.0.6:80/",
                 "identifiers": [["onvif", "AA-BB-CC-DD-EE-FF"]]}
            ]
        });
        let items = items(&doc);
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(items["front"]["stream_source"], "rtsp://198.18.0.5/x");
        assert_eq!(items["front"]["integration"], "generic");
        assert_eq!(items["yard"]["device"], "http://198.18.0.6:80");
        assert_eq!(items["yard"]["identity"], "aa:bb:cc:dd:ee:ff");
        assert!(items.contains_key("front (d4)"));
        let ha = HomeAssistant;
        let held = |k: &str| -> Running { [(k.to_string(), items[k].clone())].into() };
        assert_eq!(ha.health(&held("front")), None);
        assert!(ha.health(&held("yard")).unwrap().contains("setup_retry"));
        // Hostile shapes read as nothing.
        assert!(super::items(&json!([1])).is_empty());
        assert!(super::items(&json!({"entries": "x", "cameras": 3})).is_empty());
    }

    #[test]
    fn a_forms_values_are_its_suggestions_else_defaults() {
        let schema = json!([
            {"name": "stream_source", "description": {"suggested_value": "rtsp://h/x"}},
            {"name": "verify_ssl", "default": false},
            {"name": "username", "description": {"suggested_value": null}}
        ]);
        assert_eq!(
            form_values(&schema),
            json!({"stream_source": "rtsp://h/x", "verify_ssl": false})
        );
    }
}
