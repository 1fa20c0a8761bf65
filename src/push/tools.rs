//! Each tool's side of a push: how its running configuration is read into items
//! ([`super::plan::Running`]), and the requests that add, update and remove one camera's entry.
//! Each contract is cited from the tool's own source.
//!
//! * **Frigate 0.17** (blakeblackshear/frigate v0.17.2): `frigate/api/app.py` `config_set`
//!   (`PUT /api/config/set`, JSON body `{requires_restart, update_topic, config_data}` per
//!   `frigate/api/defs/request/app_body.py`). `config_data` is flattened to dotted keys
//!   (`frigate/util/builtin.py` `flatten_config_data`) and each is set in the YAML file
//!   (`update_yaml_file_bulk`, ruamel, comments kept): mappings merge key by key, a list is
//!   replaced whole, `""` deletes the key. Frigate then validates the whole file and on failure
//!   writes the old file back and answers 400. The query-string form is not used: a list index in
//!   a dotted key (`cameras.x.ffmpeg.inputs.0.path=`) fails in `update_yaml` with a 500.
//!   `update_topic: config/cameras/<name>/add` with `requires_restart: 0` starts a new camera at
//!   once (`frigate/config/camera/updater.py` `CameraConfigUpdateEnum`); there is no topic for
//!   a camera's inputs, so an update is saved with `requires_restart: 0` (the API's running
//!   config swapped, so that it reads back as written) and the camera's ffmpeg takes the new
//!   inputs at Frigate's next restart (said in the plan). A removal sends the `remove` topic.
//!   `GET /api/config` answers the running config (`request.app.frigate_config`, which a
//!   change with `requires_restart: 1` does not touch) with each input path masked
//!   (`clean_camera_user_pass`, `://*:*@`); `X-Cache-Bypass: 1` skips the 5 s cache of Frigate's
//!   nginx (`docker/main/rootfs/usr/local/nginx/conf/nginx.conf`). The wizard's own order
//!   (`web/src/components/settings/CameraWizardDialog.tsx`): the camera with its topic, then its
//!   `go2rtc.streams` with `requires_restart: 0`, then `PUT /api/go2rtc/streams/<name>?src=`
//!   (Frigate forwards it to its go2rtc, which starts the stream).
//! * **go2rtc** (AlexxIT/go2rtc `internal/streams/api.go` `apiStreams`): `PUT
//!   /api/streams?name=N&src=URL[&src=URL2]` makes the stream and writes it into go2rtc's YAML
//!   (`app.PatchConfig`); `GET /api/streams` lists every stream as `{"producers":[{"url":..}]}`
//!   (a connected producer shows its connection, `url` among its fields; secrets masked by
//!   `pkg/creds/secrets.go`, `://***@`); `DELETE /api/streams?src=N` deletes it from both.
//! * **MediaMTX** (bluenviron/mediamtx `api/openapi.yaml`): `POST /v3/config/paths/add/{name}`,
//!   `PATCH /v3/config/paths/patch/{name}`, `DELETE /v3/config/paths/delete/{name}`, and
//!   `GET /v3/config/paths/list?page=&itemsPerPage=` (`{pageCount, items: [PathConf with name]}`).
//!   Kept in RAM only: MediaMTX does not write its file, so a restart forgets what the API added
//!   (said in the plan and the docs).

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use super::client::{Answer, Client, Request};
use super::plan::{Entry, Items, Running};
use super::{PushError, ToolKind};

/// Cache bypass header of Frigate's nginx.
const BYPASS: (&str, &str) = ("x-cache-bypass", "1");

/// MediaMTX's page size when listing paths (its maximum is not capped; 100 is the default).
const MTX_PAGE: usize = 500;

/// Pages read at most (500 paths each): a bound on a hostile or broken tool's answer.
const MTX_MAX_PAGES: usize = 100;

/// What a request did for one entry.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The tool accepted every request.
    pub ok: bool,
    /// Its own words when it refused.
    pub message: Option<String>,
}

impl Sent {
    fn from(answers: &[Answer]) -> Sent {
        match answers.iter().find(|a| !a.ok()) {
            Some(a) => Sent {
                ok: false,
                message: Some(a.message()),
            },
            None => Sent {
                ok: true,
                message: None,
            },
        }
    }
}

/// The item keys of one tool.
pub struct ToolItems {
    pub tool: ToolKind,
    /// Frigate's restream: the camera's go2rtc streams are written beside it.
    pub restream: bool,
}

impl Items for ToolItems {
    fn keys(&self, name: &str) -> Vec<String> {
        match self.tool {
            ToolKind::Frigate if self.restream => vec![
                format!("cameras.{name}"),
                format!("go2rtc.streams.{name}"),
                format!("go2rtc.streams.{name}_sub"),
            ],
            ToolKind::Frigate => vec![format!("cameras.{name}")],
            ToolKind::Go2rtc => vec![name.to_string(), format!("{name}_sub")],
            ToolKind::Mediamtx => vec![name.to_string(), format!("{name}sub")],
        }
    }
}

/// Read what the tool holds now: page by page, as MediaMTX lists its paths (at most
/// [`MTX_MAX_PAGES`]); Frigate and go2rtc answer in one.
pub async fn read(c: &Client, tool: ToolKind) -> Result<Running, PushError> {
    let mut out = Running::new();
    for page in 0..MTX_MAX_PAGES {
        let v = c
            .read_json(read_request(tool, page))
            .await
            .map_err(|e| is_it(tool, e))?;
        out.extend(items_of(tool, &v));
        let pages = match tool {
            ToolKind::Mediamtx => v["pageCount"].as_u64().unwrap_or(1) as usize,
            ToolKind::Frigate | ToolKind::Go2rtc => 1,
        };
        if page + 1 >= pages {
            break;
        }
    }
    Ok(out)
}

/// A read of the tool refused or answered with something not JSON: most often the URL is
/// another tool's (go2rtc's push aimed at Frigate: "HTTP 404: Camera not found"), so say where
/// the tool's API usually is.
fn is_it(tool: ToolKind, e: PushError) -> PushError {
    let usual = match tool {
        ToolKind::Frigate => "http://HOST:5000 (https://HOST:8971 with its login)",
        ToolKind::Go2rtc => "http://HOST:1984",
        ToolKind::Mediamtx => "http://HOST:9997 (its API: api: yes in mediamtx.yml)",
    };
    let hint = |detail: String| {
        format!(
            "{detail}; is this {}'s API? It is usually at {usual}",
            tool.name()
        )
    };
    match e {
        PushError::Refused { url, detail } => PushError::Refused {
            url,
            detail: hint(detail),
        },
        PushError::Malformed { url, detail } => PushError::Malformed {
            url,
            detail: hint(detail),
        },
        other => other,
    }
}

/// The request that reads page `page` of what `tool` holds.
fn read_request(tool: ToolKind, page: usize) -> Request<'static> {
    match tool {
        ToolKind::Frigate => Request::get("/api/config").headers(&[BYPASS]),
        ToolKind::Go2rtc => Request::get("/api/streams"),
        ToolKind::Mediamtx => Request::get("/v3/config/paths/list")
            .query("page", page.to_string())
            .query("itemsPerPage", MTX_PAGE.to_string()),
    }
}

/// What a tool's read-back document holds, as items (the fuzz target's entry point).
pub fn items_of(tool: ToolKind, v: &Value) -> Running {
    match tool {
        ToolKind::Frigate => frigate_items(v),
        ToolKind::Go2rtc => go2rtc_items(v),
        ToolKind::Mediamtx => mediamtx_items(v),
    }
}

/// One page of MediaMTX's paths (`items`), each by its name and without it.
fn mediamtx_items(v: &Value) -> Running {
    let mut out = Running::new();
    for item in v["items"].as_array().into_iter().flatten() {
        if let Some(name) = item["name"].as_str() {
            let mut conf = item.clone();
            if let Some(m) = conf.as_object_mut() {
                m.remove("name");
            }
            out.insert(name.to_string(), conf);
        }
    }
    out
}

/// Frigate's cameras (`cameras.<name>`) and go2rtc streams (`go2rtc.streams.<name>`, each a
/// list of sources).
fn frigate_items(v: &Value) -> Running {
    let mut out = Running::new();
    for (name, cam) in v["cameras"].as_object().into_iter().flatten() {
        out.insert(format!("cameras.{name}"), cam.clone());
    }
    for (name, s) in v["go2rtc"]["streams"].as_object().into_iter().flatten() {
        out.insert(format!("go2rtc.streams.{name}"), sources(s));
    }
    out
}

/// go2rtc's streams, each as the list of its producers' URLs.
fn go2rtc_items(v: &Value) -> Running {
    let mut out = Running::new();
    for (name, s) in v.as_object().into_iter().flatten() {
        let urls: Vec<Value> = s["producers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["url"].as_str().map(|u| Value::String(u.to_string())))
            .collect();
        out.insert(name.clone(), Value::Array(urls));
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

/// One camera to write: its name, its entry, whether it is new, and the dotted fields of
/// Frigate's camera camscan wrote before and no longer writes (deleted).
pub struct Job {
    pub name: String,
    pub entry: Entry,
    pub add: bool,
    pub gone: Vec<String>,
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

/// Write every job; one [`Sent`] per job, in order.
pub async fn write_all(c: &Client, tool: ToolKind, jobs: &[Job]) -> Result<Vec<Sent>, PushError> {
    if tool == ToolKind::Frigate && jobs.len() > FRIGATE_LIVE_MAX {
        return frigate_batches(c, jobs).await;
    }
    let mut out = Vec::with_capacity(jobs.len());
    for j in jobs {
        out.push(write(c, tool, j).await?);
    }
    Ok(out)
}

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
        .map(|s| s.unwrap_or(Sent::from(&[])))
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

/// Write one camera: its requests in the tool's order.
pub async fn write(c: &Client, tool: ToolKind, job: &Job) -> Result<Sent, PushError> {
    let (name, entry, add) = (job.name.as_str(), &job.entry, job.add);
    let mut answers = Vec::new();
    match tool {
        ToolKind::Frigate => {
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
                let body =
                    json!({"requires_restart": 0, "config_data": {"go2rtc": {"streams": streams}}});
                answers.push(c.send(Request::put("/api/config/set").body(body)).await?);
                for (n, v) in &streams {
                    answers.extend(go2rtc_forward(c, n, v).await?);
                }
            }
        }
        ToolKind::Go2rtc => {
            for (n, v) in entry {
                let sources = v.as_array().into_iter().flatten().filter_map(Value::as_str);
                let put = sources.fold(Request::put("/api/streams").query("name", n), |r, src| {
                    r.query("src", src)
                });
                answers.push(c.send(put).await?);
            }
        }
        ToolKind::Mediamtx => {
            for (n, v) in entry {
                let (method, path) = if add {
                    (Method::POST, format!("/v3/config/paths/add/{n}"))
                } else {
                    (Method::PATCH, format!("/v3/config/paths/patch/{n}"))
                };
                answers.push(c.send(Request::new(method, path).body(v.clone())).await?);
            }
        }
    }
    Ok(Sent::from(&answers))
}

/// Remove what camscan wrote under `keys` (`push --prune`).
pub async fn remove(
    c: &Client,
    tool: ToolKind,
    name: &str,
    keys: &[String],
) -> Result<Sent, PushError> {
    let mut answers = Vec::new();
    match tool {
        ToolKind::Frigate => {
            let mut data = serde_json::Map::new();
            for k in keys {
                set_dotted_map(&mut data, k, Value::String(String::new()));
            }
            let body = json!({"requires_restart": 0,
                              "update_topic": format!("config/cameras/{name}/remove"),
                              "config_data": data});
            answers.push(c.send(Request::put("/api/config/set").body(body)).await?);
        }
        ToolKind::Go2rtc => {
            for k in keys {
                answers.push(
                    c.send(Request::delete("/api/streams").query("src", k))
                        .await?,
                );
            }
        }
        ToolKind::Mediamtx => {
            for k in keys {
                let delete = Request::delete(format!("/v3/config/paths/delete/{k}"));
                answers.push(c.send(delete).await?);
            }
        }
    }
    Ok(Sent::from(&answers))
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
        let g = json!({"a": {"producers": [{"url": "rtsp://h/x"}, {"remote_addr": "1"}], "consumers": []}});
        assert_eq!(go2rtc_items(&g)["a"], json!(["rtsp://h/x"]));
        // Hostile shapes read as nothing, never a panic.
        assert!(frigate_items(&json!([1, 2])).is_empty());
        assert!(go2rtc_items(&json!("x")).is_empty());
    }
}
