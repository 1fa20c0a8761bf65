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

mod entry;
mod flows;
mod identity;
mod read;

use serde_json::Value;

use super::{EntryInput, Fut, Job, LoginWay, PushTool, Sent, is_it};
use crate::push::Options;
use crate::push::client::{Client, Request};
use crate::push::plan::{Entry, Running};
use export::cameras::Tool;

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
        export::ha_sheet::TOOL
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
        e.insert(i.name.to_string(), entry::camera_entry(i));
        e
    }

    fn items(&self, doc: &Value) -> Running {
        read::items(doc)
    }

    fn read<'a>(&'a self, c: &'a Client) -> Fut<'a, Running> {
        Box::pin(async move {
            let doc = read::read_doc(c).await.map_err(|e| is_it(self, e))?;
            Ok(read::items(&doc))
        })
    }

    fn write_all<'a>(
        &'a self,
        c: &'a Client,
        jobs: &'a [Job],
        running: &'a Running,
    ) -> Fut<'a, Vec<Sent>> {
        Box::pin(flows::write_all(c, jobs, running))
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
                    let path = format!("/api/config/config_entries/entry/{}", read::seg(id));
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

    /// Its config entry id: what an entry is found by after a person renamed it.
    fn tool_key(&self, item: &Value) -> Option<String> {
        item["_entry_id"].as_str().map(str::to_string)
    }

    /// An ONVIF flow that rewrote an entry (`already_configured`) has Home Assistant reload it
    /// after the flow answered (`config_entries.py` `_abort_if_unique_id_configured`,
    /// `reload_on_update`): its device's `configuration_url` changes once the camera is set up
    /// again, a few seconds later for a camera that answers (and the ONVIF integration's own
    /// connect timeouts for one that does not).
    fn settles_within(&self) -> std::time::Duration {
        std::time::Duration::from_secs(20)
    }

    /// The fields camscan wrote before and writes no more (a login the camera lost): dropped
    /// from what an options flow keeps of the entry ([`flows`]' update keeps the fields a person
    /// set that camscan never wrote).
    fn gone(&self, name: &str, old: &Value, new: &Entry) -> Vec<String> {
        let (Some(Value::Object(old)), Some(Value::Object(new))) = (old.get(name), new.get(name))
        else {
            return Vec::new();
        };
        old.keys()
            .filter(|k| !k.starts_with('_') && !new.contains_key(*k))
            .cloned()
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use read::{form_values, items};
    use serde_json::json;

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
        assert!(read::items(&json!([1])).is_empty());
        assert!(read::items(&json!({"entries": "x", "cameras": 3})).is_empty());
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
