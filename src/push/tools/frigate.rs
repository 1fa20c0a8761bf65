//! Frigate's side of a push.
//!
//! **Frigate 0.17** (blakeblackshear/frigate v0.17.2): `frigate/api/app.py` `config_set`
//! (`PUT /api/config/set`, JSON body `{requires_restart, update_topic, config_data}` per
//! `frigate/api/defs/request/app_body.py`). `config_data` is flattened to dotted keys
//! (`frigate/util/builtin.py` `flatten_config_data`) and each is set in the YAML file
//! (`update_yaml_file_bulk`, ruamel, comments kept): mappings merge key by key, a list is
//! replaced whole, `""` deletes the key. Frigate then validates the whole file and on failure
//! writes the old file back and answers 400. The query-string form is not used: a list index in
//! a dotted key (`cameras.x.ffmpeg.inputs.0.path=`) fails in `update_yaml` with a 500.
//! `update_topic: config/cameras/<name>/add` with `requires_restart: 0` starts a new camera at
//! once (`frigate/config/camera/updater.py` `CameraConfigUpdateEnum`); there is no topic for
//! a camera's inputs, so an update is saved with `requires_restart: 0` (the API's running
//! config swapped, so that it reads back as written) and the camera's ffmpeg takes the new
//! inputs at Frigate's next restart (said in the plan). A removal sends the `remove` topic.
//! `GET /api/config` answers the running config (`request.app.frigate_config`, which a
//! change with `requires_restart: 1` does not touch) with each input path masked
//! (`clean_camera_user_pass`, `://*:*@`); `X-Cache-Bypass: 1` skips the 5 s cache of Frigate's
//! nginx (`docker/main/rootfs/usr/local/nginx/conf/nginx.conf`). The wizard's own order
//! (`web/src/components/settings/CameraWizardDialog.tsx`): the camera with its topic, then its
//! `go2rtc.streams` with `requires_restart: 0`, then `PUT /api/go2rtc/streams/<name>?src=`
//! (Frigate forwards it to its go2rtc, which starts the stream).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Password;
use super::{EntryInput, Fut, Job, LoginWay, PushTool, Sent, is_it, list};
use crate::push::client::{Answer, Client, Request};
use crate::push::plan::{Entry, Running};
use crate::push::{Options, PushError};
use export::cameras::Tool;

/// Cache bypass header of Frigate's nginx.
const BYPASS: (&str, &str) = ("x-cache-bypass", "1");

pub struct Frigate;

/// Push's `--help` line for `--frigate-restream` ([`super::FORMAT_OPTION_HELP`]).
pub const RESTREAM_HELP: &str = "Frigate: each camera's go2rtc streams written beside it, and its \
     inputs from Frigate's go2rtc restream (rtsp://127.0.0.1:8554/NAME) instead of straight from \
     the camera";

impl PushTool for Frigate {
    fn name(&self) -> &'static str {
        "frigate"
    }

    fn title(&self) -> &'static str {
        "Frigate"
    }

    fn help(&self) -> &'static str {
        "Frigate 0.17 (`PUT /api/config/set`)"
    }

    fn usual_url(&self) -> &'static str {
        "http://HOST:5000 (https://HOST:8971 with its login)"
    }

    fn login_way(&self) -> LoginWay {
        LoginWay::Cookie
    }

    fn streams(&self) -> Tool {
        export::frigate::TOOL
    }

    fn reference(&self, key: &str) -> Option<(String, String)> {
        let var = format!("FRIGATE_{key}_PASSWORD");
        let text = format!("{{{var}}}");
        Some((var, text))
    }

    fn read_options(&self, formats: &input::setting::Settings, options: &mut Options) {
        options.restream = formats.get(&export::frigate::RESTREAM);
    }

    fn keys(&self, name: &str, options: Options) -> Vec<String> {
        if options.restream {
            vec![
                format!("cameras.{name}"),
                format!("go2rtc.streams.{name}"),
                format!("go2rtc.streams.{name}_sub"),
            ]
        } else {
            vec![format!("cameras.{name}")]
        }
    }

    fn entry(&self, i: &EntryInput<'_, '_>) -> Entry {
        let exporter = export::frigate::FrigateExporter {
            restream: i.options.restream,
            backchannel: i.options.backchannel,
        };
        let name = i.name;
        let sub_name = format!("{name}_sub");
        // The raw password goes into Frigate's `onvif.password` only, an `EnvString` (its braces
        // doubled: `export::frigate::env_literal`).
        let raw = match i.password {
            Password::Known(p) => export::frigate::env_literal(p),
            _ => i.raw.to_string(),
        };
        let v = exporter.camera_entry(i.cam, name, &sub_name, i.in_url, &raw);
        let mut e = Entry::new();
        e.insert(
            format!("cameras.{name}"),
            without_empty_text(super::json(&v)),
        );
        if i.options.restream {
            for (n, v) in export::frigate::restream_streams(
                i.cam,
                name,
                &sub_name,
                i.in_url,
                i.options.backchannel,
            ) {
                e.insert(format!("go2rtc.streams.{n}"), list(super::json(&v)));
            }
        }
        e
    }

    fn items(&self, doc: &Value) -> Running {
        frigate_items(doc)
    }

    fn read<'a>(&'a self, c: &'a Client) -> Fut<'a, Running> {
        Box::pin(async move {
            let v = c
                .read_json(Request::get("/api/config").headers(&[BYPASS]))
                .await
                .map_err(|e| is_it(self, e))?;
            Ok(self.items(&v))
        })
    }

    fn write_all<'a>(
        &'a self,
        c: &'a Client,
        jobs: &'a [Job],
        _running: &'a Running,
    ) -> Fut<'a, Vec<Sent>> {
        Box::pin(async move {
            if jobs.len() > FRIGATE_LIVE_MAX {
                return frigate_batches(c, jobs).await;
            }
            let mut out = Vec::with_capacity(jobs.len());
            for j in jobs {
                out.push(write(c, j).await?);
            }
            Ok(out)
        })
    }

    fn remove<'a>(
        &'a self,
        c: &'a Client,
        name: &'a str,
        keys: &'a [String],
        _running: &'a Running,
    ) -> Fut<'a, Sent> {
        Box::pin(async move {
            let mut data = serde_json::Map::new();
            for k in keys {
                set_dotted_map(&mut data, k, Value::String(String::new()));
            }
            let body = json!({"requires_restart": 0,
                              "update_topic": format!("config/cameras/{name}/remove"),
                              "config_data": data});
            let a = c.send(Request::put("/api/config/set").body(body)).await?;
            Ok(Sent::from(&[a]))
        })
    }

    /// The fields of Frigate's camera entry camscan wrote before and writes no more: an update
    /// deletes them (Frigate merges what it is sent).
    fn gone(&self, name: &str, old: &Value, new: &Entry) -> Vec<String> {
        let key = format!("cameras.{name}");
        let new = crate::push::plan::mask(new.get(&key).unwrap_or(&Value::Null));
        gone_fields(&old[&key], &new)
    }

    fn notes(&self, jobs: usize, adds: usize) -> Vec<String> {
        let mut notes = vec![
            "Frigate starts an added camera at once; an updated camera's new inputs take effect \
             at Frigate's next restart (it has no live update for inputs)"
                .to_string(),
        ];
        if jobs > FRIGATE_LIVE_MAX && adds > 0 {
            notes.push(format!(
                "{jobs} cameras were sent {FRIGATE_BATCH} at a time (Frigate rewrites and checks \
                 its whole file on every change): the added ones start at Frigate's next restart"
            ));
        }
        notes
    }
}

/// Frigate's cameras (`cameras.<name>`) and go2rtc streams (`go2rtc.streams.<name>`, each a
/// list of sources).
pub fn frigate_items(v: &Value) -> Running {
    let mut out = Running::new();
    for (name, cam) in v["cameras"].as_object().into_iter().flatten() {
        out.insert(format!("cameras.{name}"), cam.clone());
    }
    for (name, s) in v["go2rtc"]["streams"].as_object().into_iter().flatten() {
        out.insert(format!("go2rtc.streams.{name}"), sources(s));
    }
    out
}

/// One source or a list of them, as a list.
fn sources(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::Array(vec![Value::String(s.clone())]),
        Value::Array(_) => v.clone(),
        _ => Value::Array(Vec::new()),
    }
}

/// A push of up to this many cameras into Frigate sends one request per camera, each new one
/// started at once by its `update_topic`, as Frigate's own wizard does. Beyond it, cameras go
/// [`FRIGATE_BATCH`] at a time: every `config_set` rewrites and validates Frigate's whole file
/// (`update_yaml_file_bulk`, `FrigateConfig.parse`), so one request per camera costs the square
/// of the site's size (measured on the fake Frigate, `scripts/bench --push`: 134 cameras one by
/// one took 38.6 s, 0.29 s a request; 1 334 would take about an hour).
pub const FRIGATE_LIVE_MAX: usize = 10;

/// Cameras per Frigate request beyond [`FRIGATE_LIVE_MAX`]. A batch Frigate refuses is split in
/// halves until the cameras it refuses are alone, so one refusal still blocks no other camera.
pub const FRIGATE_BATCH: usize = 200;

/// Frigate, [`FRIGATE_BATCH`] cameras a request, a refused batch halved until its refusals are
/// alone (see [`FRIGATE_LIVE_MAX`]).
async fn frigate_batches(c: &Client, jobs: &[Job]) -> Result<Vec<Sent>, PushError> {
    let mut out: Vec<Option<Sent>> = (0..jobs.len()).map(|_| None).collect();
    let mut todo: Vec<std::ops::Range<usize>> = (0..jobs.len())
        .step_by(FRIGATE_BATCH)
        .map(|i| i..(i + FRIGATE_BATCH).min(jobs.len()))
        .rev()
        .collect();
    // Bounded: each refused range of more than one camera becomes two smaller ones.
    while let Some(r) = todo.pop() {
        let mut cameras = serde_json::Map::new();
        let mut streams: BTreeMap<&str, &Value> = BTreeMap::new();
        for j in &jobs[r.clone()] {
            cameras.insert(j.name.clone(), frigate_camera(j));
            streams.extend(restream_items(&j.entry));
        }
        let mut data = json!({"cameras": cameras});
        if !streams.is_empty() {
            data["go2rtc"] = json!({"streams": streams});
        }
        let body = json!({"requires_restart": 0, "config_data": data});
        let a = c.send(Request::put("/api/config/set").body(body)).await?;
        if a.ok() {
            let mut answers = vec![a];
            for (n, v) in &streams {
                answers.extend(go2rtc_forward(c, n, v).await?);
            }
            let sent = Sent::from(&answers);
            for slot in &mut out[r] {
                *slot = Some(sent.clone());
            }
        } else if r.len() == 1 || a.status >= 500 {
            // A refusal of one camera, or a failure of the whole request: said for each.
            let sent = Sent::from(&[a]);
            for slot in &mut out[r] {
                *slot = Some(sent.clone());
            }
        } else {
            let mid = r.start + r.len() / 2;
            todo.push(mid..r.end);
            todo.push(r.start..mid);
        }
    }
    Ok(out
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Sent::from(&[])))
        .collect())
}

/// Frigate's camera of `job`, with the fields it no longer writes set to `""` (deleted).
fn frigate_camera(job: &Job) -> Value {
    let mut camera = job
        .entry
        .get(&format!("cameras.{}", job.name))
        .cloned()
        .unwrap_or(Value::Null);
    for path in &job.gone {
        set_dotted(&mut camera, path, Value::String(String::new()));
    }
    camera
}

/// The go2rtc streams of a Frigate entry (`--frigate-restream`), by name.
fn restream_items(entry: &Entry) -> impl Iterator<Item = (&str, &Value)> {
    entry
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("go2rtc.streams.").map(|n| (n, v)))
}

/// Frigate's `PUT /api/go2rtc/streams/{name}?src=` (its first source), which starts the stream in
/// Frigate's go2rtc, as the wizard does after saving it.
async fn go2rtc_forward(c: &Client, name: &str, v: &Value) -> Result<Option<Answer>, PushError> {
    let Some(first) = v.as_array().and_then(|a| a.first()).and_then(Value::as_str) else {
        return Ok(None);
    };
    let forward = Request::put(format!("/api/go2rtc/streams/{name}")).query("src", first);
    Ok(Some(c.send(forward).await?))
}

/// Write one camera: its requests in Frigate's order.
async fn write(c: &Client, job: &Job) -> Result<Sent, PushError> {
    let (name, entry, add) = (job.name.as_str(), &job.entry, job.add);
    let mut answers = Vec::new();

    let camera = frigate_camera(job);
    let body = if add {
        json!({"requires_restart": 0, "update_topic": format!("config/cameras/{name}/add"),
               "config_data": {"cameras": {name: camera}}})
    } else {
        // `requires_restart: 0` swaps the API's running config (`config_set`: `if
        // body.requires_restart == 0 or body.update_topic`), so `GET /api/config`
        // reads back what was written; with 1 it would answer the old config until a
        // restart, and the ledger would hash that.
        json!({"requires_restart": 0, "config_data": {"cameras": {name: camera}}})
    };
    answers.push(c.send(Request::put("/api/config/set").body(body)).await?);
    let streams: BTreeMap<&str, &Value> = restream_items(entry).collect();
    if answers[0].ok() && !streams.is_empty() {
        let body = json!({"requires_restart": 0, "config_data": {"go2rtc": {"streams": streams}}});
        answers.push(c.send(Request::put("/api/config/set").body(body)).await?);
        for (n, v) in &streams {
            answers.extend(go2rtc_forward(c, n, v).await?);
        }
    }
    Ok(Sent::from(&answers))
}

/// `v` without its empty strings. Frigate's `config_set` reads `""` as "delete this key"
/// (`frigate/util/builtin.py` `update_yaml`), and deleting a key that is not there raises the
/// KeyError it answers with 500 "Error updating config" (`frigate/api/app.py`): the `onvif:`
/// block of a camera without a login (`user: ""`, as Frigate's docs ask of a file) was refused.
/// Through the API a key left out is a key not set, which is what `""` means in a file.
fn without_empty_text(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| v.as_str() != Some(""))
                .map(|(k, v)| (k, without_empty_text(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_empty_text).collect()),
        other => other,
    }
}

/// Set the dotted `path` (`onvif` or `ffmpeg.output_args`) inside `v` to `value`.
fn set_dotted(v: &mut Value, path: &str, value: Value) {
    if let Value::Object(m) = v {
        set_dotted_map(m, path, value);
    }
}

fn set_dotted_map(m: &mut serde_json::Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            m.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let child = m
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if !child.is_object() {
                *child = Value::Object(serde_json::Map::new());
            }
            set_dotted(child, rest, value);
        }
    }
}

/// The dotted fields of `old` (mappings only) that `new` no longer has: what an update deletes.
pub fn gone_fields(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(old: &Value, new: &Value, prefix: &str, out: &mut Vec<String>) {
        let (Value::Object(o), Value::Object(n)) = (old, new) else {
            return;
        };
        for (k, ov) in o {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match n.get(k) {
                None => out.push(path),
                Some(nv) => walk(ov, nv, &path, out),
            }
        }
    }
    walk(old, new, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_no_longer_written_are_deleted_by_name() {
        let old = json!({"ffmpeg": {"inputs": [], "output_args": {"record": "x"}}, "onvif": {"host": "h"}});
        let new = json!({"ffmpeg": {"inputs": []}});
        assert_eq!(gone_fields(&old, &new), ["ffmpeg.output_args", "onvif"]);
        let mut cam = new.clone();
        for p in gone_fields(&old, &new) {
            set_dotted(&mut cam, &p, Value::String(String::new()));
        }
        assert_eq!(
            cam,
            json!({"ffmpeg": {"inputs": [], "output_args": ""}, "onvif": ""})
        );
    }

    #[test]
    fn readbacks_become_items() {
        let f = json!({"cameras": {"a": {"detect": {}}}, "go2rtc": {"streams": {"a": "rtsp://***@h/x", "b": ["x", "y"]}}});
        let items = frigate_items(&f);
        assert_eq!(items["go2rtc.streams.a"], json!(["rtsp://***@h/x"]));
        assert_eq!(items["go2rtc.streams.b"], json!(["x", "y"]));
        assert!(items.contains_key("cameras.a"));
        // Hostile shapes read as nothing, never a panic.
        assert!(frigate_items(&json!([1, 2])).is_empty());
    }
}
