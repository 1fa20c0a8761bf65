//! The configuration exports (`-f go2rtc`, `frigate`, `mediamtx`, `ha-sheet`) of one real scan of
//! one lab: three GStreamer RTSP servers (`tests/servers/rtsp_server.py`) on 127.0.0.121-123, port
//! 8554 (Hikvision paths: .121 and .122 with a main and a sub stream, .122 asking for Digest
//! credentials with a password that needs URL-encoding, .123 H.265 only), and the media lab's
//! (`tests/servers/media_lab.py`) nginx serving ffmpeg-made HLS on 127.0.0.124:80 and VLC serving
//! MJPEG over HTTP on 127.0.0.125:8080.
//!
//! Each export must load in its tool as written, checked with the tool's own definition at a
//! pinned release (their code is not vendored; the rules below are written from it, citing the
//! file): go2rtc v1.9.14 (`www/schema.json`, vendored in `tests/fixtures/go2rtc/`, and the source
//! rules for `streams:` values), Frigate v0.17.2 (its pydantic models under `frigate/config/`;
//! `scripts/check-exports` runs Frigate's own `FrigateConfig.load` on these files, too heavy for this
//! suite), MediaMTX v1.20.1 (`internal/conf`). Each checker is shown to reject a broken file. Every
//! exported RTSP source must also open in ffprobe once the password reference is filled in the way
//! the tool fills it.
//!
//! A device whose ONVIF service refuses is not in this lab: on loopback camscan sends no
//! WS-Discovery (it probes only ARP-alive hosts), so that rule is covered by the unit tests of
//! `crates/export/src/go2rtc.rs` over the fixture report.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use common::{Server, camscan, run, stderr, stdout};
use serde_json::json;
use serde_yaml::Value;

const PASSWORD: &str = "p@ss:w rd";
/// `PASSWORD` URL-encoded, as the exports ask users to set their variables.
const PASSWORD_ENCODED: &str = "p%40ss%3Aw%20rd";

struct Lab {
    _rtsp: Server,
    _media: Server,
    _dir: tempfile::TempDir,
    credentials: PathBuf,
}

fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        assert!(
            common::is_root(),
            "the media lab needs root: run scripts/test"
        );
        let video = |codec: &str, w: u32, h: u32, fps: u32| {
            json!({"codec": codec, "width": w, "height": h, "fps": fps, "profile": "main"})
        };
        let rtsp = common::rtsp_servers(&json!([
            {"address": "127.0.0.121", "port": 8554, "auth": null, "mounts": [
                {"path": "/Streaming/Channels/101", "video": video("h264", 1280, 720, 25), "audio": null},
                {"path": "/Streaming/Channels/102", "video": video("h264", 640, 360, 15), "audio": null}]},
            {"address": "127.0.0.122", "port": 8554,
             "auth": {"method": "digest", "user": "admin", "password": PASSWORD}, "mounts": [
                {"path": "/Streaming/Channels/101", "video": video("h264", 640, 360, 15), "audio": null},
                {"path": "/Streaming/Channels/102", "video": video("h264", 320, 180, 10), "audio": null}]},
            {"address": "127.0.0.123", "port": 8554, "auth": null, "mounts": [
                {"path": "/Streaming/Channels/101", "video": video("h265", 640, 360, 10), "audio": null}]}
        ]));
        // Addresses of this file's own (tests/common/mod.rs): other test files run media labs at
        // the same time.
        let media = common::media_lab(
            &[
                "--only",
                "hls,mjpeg",
                "--bind",
                "hls=127.0.0.124",
                "--bind",
                "mjpeg=127.0.0.125",
                "--timeout",
                "80",
            ],
            Duration::from_secs(90),
        );
        let dir = tempfile::tempdir().unwrap();
        let credentials = dir.path().join("credentials");
        std::fs::write(&credentials, format!("admin:{PASSWORD}\n")).unwrap();
        Lab {
            _rtsp: rtsp,
            _media: media,
            _dir: dir,
            credentials,
        }
    })
}

/// The export of one scan of the lab.
fn scan(format: &str, extra: &[&str]) -> String {
    // One scan at a time: each client of the test servers costs an encoder.
    static ONE: Mutex<()> = Mutex::new(());
    let lab = lab();
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let out = run(
        camscan()
            .args([
                "scan",
                "127.0.0.121-125",
                "-p",
                "8554,80,8080",
                "-f",
                format,
            ])
            .arg("--credentials")
            .arg(&lab.credentials)
            .args(extra),
        Duration::from_secs(90),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    // scripts/check-exports reads the exports of this lab from here.
    if let Some(dir) = std::env::var_os("CAMSCAN_EXPORTS_DIR") {
        let name = format!("{format}{}.txt", extra.concat());
        std::fs::write(PathBuf::from(dir).join(name), &text).unwrap();
    }
    text
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

// ---- go2rtc v1.9.14 -------------------------------------------------------------------------

/// The source schemes go2rtc v1.9.14 registers (`streams.HandleFunc` / `streams.RedirectFunc` in
/// `internal/*/`: rtsp/rtsps/rtspx in `internal/rtsp/rtsp.go`, http/https/httpx/tcp in
/// `internal/http/http.go`, rtmp/rtmps/rtmpx in `internal/rtmp/rtmp.go`, ffmpeg in
/// `internal/ffmpeg/ffmpeg.go`, onvif in `internal/onvif/onvif.go`, exec in
/// `internal/exec/exec.go`; the others are vendor clouds this export never writes).
const GO2RTC_SCHEMES: [&str; 15] = [
    "rtsp", "rtsps", "rtspx", "http", "https", "httpx", "tcp", "rtmp", "rtmps", "rtmpx", "ffmpeg",
    "onvif", "exec", "webrtc", "isapi",
];

/// go2rtc's complaints about `config`: its JSON Schema (`www/schema.json`, vendored), then the
/// rules its source applies to `streams:` values: each source's scheme has a handler, a
/// `${NAME}` reference has go2rtc's form (`pkg/creds/creds.go` `ReplaceVars`: `\${([^}{]+)}`)
/// and is filled from `env`, and a list holds no source twice.
fn go2rtc_errors(config: &Value, env: &[(&str, &str)]) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(&common::read(
        &common::root_dir().join("tests/fixtures/go2rtc/schema.json"),
    ))
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let json = serde_json::to_value(config).unwrap();
    let mut errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    let Some(streams) = config.get("streams").and_then(Value::as_mapping) else {
        return errors;
    };
    for (name, v) in streams {
        let list: Vec<&str> = match v {
            Value::String(s) => vec![s.as_str()],
            Value::Sequence(l) => l.iter().map(str_of).collect(),
            _ => Vec::new(),
        };
        for (i, source) in list.iter().enumerate() {
            let scheme = source.split(':').next().unwrap_or_default();
            if !GO2RTC_SCHEMES.contains(&scheme) {
                errors.push(format!("{name:?}: no handler for {source}"));
            }
            if let Some(inner) = source.strip_prefix("ffmpeg:") {
                let url = inner.split('#').next().unwrap_or_default();
                if !url.contains("://") {
                    errors.push(format!("{name:?}: ffmpeg input is no URL: {source}"));
                }
            }
            let mut rest = *source;
            while let Some(at) = rest.find("${") {
                let tail = &rest[at + 2..];
                let end = tail.find('}').unwrap_or(tail.len());
                let var = &tail[..end];
                let var_name = var.split(':').next().unwrap_or_default();
                if var.is_empty() || var.contains('{') || end == tail.len() {
                    errors.push(format!("{name:?}: malformed reference in {source}"));
                } else if !env.iter().any(|(k, _)| *k == var_name) {
                    errors.push(format!("{name:?}: ${{{var_name}}} unset"));
                }
                rest = &tail[end.min(tail.len())..];
            }
            if list[..i].contains(source) {
                errors.push(format!("{name:?}: {source} twice"));
            }
        }
    }
    errors
}

// ---- Frigate v0.17.2 ------------------------------------------------------------------------

/// `FrigateConfig`'s fields (`frigate/config/config.py`); `FrigateBaseModel` forbids others
/// (`frigate/config/base.py`: `extra="forbid"`).
const FRIGATE_KEYS: [&str; 33] = [
    "version",
    "safe_mode",
    "environment_vars",
    "logger",
    "auth",
    "database",
    "go2rtc",
    "mqtt",
    "notifications",
    "networking",
    "proxy",
    "telemetry",
    "tls",
    "ui",
    "detectors",
    "model",
    "genai",
    "cameras",
    "audio",
    "birdseye",
    "detect",
    "ffmpeg",
    "live",
    "motion",
    "objects",
    "record",
    "review",
    "snapshots",
    "timestamp_style",
    "audio_transcription",
    "classification",
    "semantic_search",
    "face_recognition",
];
/// `CameraConfig`'s fields (`frigate/config/camera/camera.py`).
const FRIGATE_CAMERA_KEYS: [&str; 25] = [
    "name",
    "friendly_name",
    "enabled",
    "audio",
    "audio_transcription",
    "birdseye",
    "detect",
    "face_recognition",
    "ffmpeg",
    "live",
    "lpr",
    "motion",
    "objects",
    "record",
    "review",
    "semantic_search",
    "snapshots",
    "timestamp_style",
    "best_image_timeout",
    "mqtt",
    "notifications",
    "onvif",
    "type",
    "ui",
    "zones",
];
/// `CameraFfmpegConfig` and `CameraInput` (`frigate/config/camera/ffmpeg.py`).
const FRIGATE_FFMPEG_KEYS: [&str; 9] = [
    "path",
    "global_args",
    "hwaccel_args",
    "input_args",
    "output_args",
    "retry_interval",
    "apple_compatibility",
    "gpu",
    "inputs",
];
const FRIGATE_INPUT_KEYS: [&str; 5] =
    ["path", "roles", "global_args", "hwaccel_args", "input_args"];
/// `CameraRoleEnum`.
const FRIGATE_ROLES: [&str; 3] = ["audio", "record", "detect"];
/// Input presets and record output presets in `frigate/ffmpeg_presets.py`
/// (`PRESETS_INPUT`, `PRESETS_RECORD_OUTPUT`).
const FRIGATE_INPUT_PRESETS: [&str; 9] = [
    "preset-http-jpeg-generic",
    "preset-http-mjpeg-generic",
    "preset-http-reolink",
    "preset-rtmp-generic",
    "preset-rtsp-generic",
    "preset-rtsp-restream",
    "preset-rtsp-restream-low-latency",
    "preset-rtsp-udp",
    "preset-rtsp-blue-iris",
];
const FRIGATE_RECORD_PRESETS: [&str; 6] = [
    "preset-record-generic",
    "preset-record-generic-audio-aac",
    "preset-record-generic-audio-copy",
    "preset-record-mjpeg",
    "preset-record-jpeg",
    "preset-record-ubiquiti",
];

/// `{FRIGATE_*}` substitution as `frigate/config/env.py` `validate_env_string` does it
/// (`str.format(**FRIGATE_ENV_VARS)`): an unset name is a `KeyError`, and any other brace breaks
/// `str.format`.
fn frigate_format(s: &str, env: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('}') {
            return Err(format!("ValueError: Single '}}' in {s}"));
        }
        let end = tail
            .find('}')
            .ok_or(format!("ValueError: unmatched '{{' in {s}"))?;
        let name = &tail[1..end];
        match env.iter().find(|(k, _)| *k == name) {
            Some((_, v)) => out.push_str(v),
            None => return Err(format!("KeyError: '{name}'")),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Frigate's complaints about `config` with `env` as its environment, from its models at v0.17.2
/// (see the constants' sources): `mqtt` is required (`FrigateConfig.mqtt` has no default), no
/// unknown key, camera names match `REGEX_CAMERA_NAME` (`frigate/const.py`), each camera's inputs
/// use each role once and one is `detect` (`ffmpeg.py` `validate_roles`), presets exist,
/// `detect.width`/`height` come together (`detect.py`), every input path and go2rtc source
/// survives the `{FRIGATE_*}` substitution; and camscan's own rule that roles do what they say:
/// a `record` role with `record.enabled: true`.
fn frigate_errors(config: &Value, env: &[(&str, &str)]) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(top) = config.as_mapping() else {
        return vec!["not a mapping".into()];
    };
    for k in top.keys() {
        if !FRIGATE_KEYS.contains(&str_of(k)) {
            errors.push(format!("{}: extra fields not permitted", str_of(k)));
        }
    }
    match config.get("mqtt") {
        None => errors.push("mqtt: Field required".into()),
        Some(m) => {
            let enabled = m.get("enabled").and_then(Value::as_bool).unwrap_or(true);
            if enabled && m.get("host").is_none() {
                errors.push("mqtt: enabled without a host".into());
            }
        }
    }
    if let Some(streams) = config.get("go2rtc").and_then(|g| g.get("streams")) {
        for v in streams.as_mapping().into_iter().flat_map(|m| m.values()) {
            let list = match v {
                Value::Sequence(l) => l.clone(),
                other => vec![other.clone()],
            };
            for s in list {
                // docker/main/rootfs/usr/local/go2rtc/create_config.py formats each source with
                // the FRIGATE_ variables (a KeyError stops go2rtc's start) and drops echo:, expr:
                // and exec: sources (frigate/util/services.py `is_restricted_go2rtc_source`).
                if let Err(e) = frigate_format(str_of(&s), env) {
                    errors.push(format!("go2rtc: {e}"));
                }
                if ["echo:", "expr:", "exec:"]
                    .iter()
                    .any(|p| str_of(&s).trim().starts_with(p))
                {
                    errors.push(format!("go2rtc: restricted source {}", str_of(&s)));
                }
            }
        }
    }
    let Some(cams) = config.get("cameras").and_then(Value::as_mapping) else {
        errors.push("cameras: Field required".into());
        return errors;
    };
    for (name, cam) in cams {
        let name = str_of(name);
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            errors.push(format!(
                "cameras.{name}: name does not match ^[a-zA-Z0-9_-]+$"
            ));
        }
        for k in cam.as_mapping().into_iter().flat_map(|m| m.keys()) {
            if !FRIGATE_CAMERA_KEYS.contains(&str_of(k)) {
                errors.push(format!("cameras.{name}.{}: extra field", str_of(k)));
            }
        }
        let ffmpeg = &cam["ffmpeg"];
        for k in ffmpeg.as_mapping().into_iter().flat_map(|m| m.keys()) {
            if !FRIGATE_FFMPEG_KEYS.contains(&str_of(k)) {
                errors.push(format!("cameras.{name}.ffmpeg.{}: extra field", str_of(k)));
            }
        }
        let inputs = ffmpeg["inputs"].as_sequence().cloned().unwrap_or_default();
        if inputs.is_empty() {
            errors.push(format!("cameras.{name}.ffmpeg.inputs: Field required"));
        }
        let mut roles = Vec::new();
        for i in &inputs {
            for k in i.as_mapping().into_iter().flat_map(|m| m.keys()) {
                if !FRIGATE_INPUT_KEYS.contains(&str_of(k)) {
                    errors.push(format!("cameras.{name} input: extra field {}", str_of(k)));
                }
            }
            if let Err(e) = frigate_format(str_of(&i["path"]), env) {
                errors.push(format!("cameras.{name}: {e}"));
            }
            for r in i["roles"].as_sequence().into_iter().flatten() {
                if !FRIGATE_ROLES.contains(&str_of(r)) {
                    errors.push(format!("cameras.{name}: no role {}", str_of(r)));
                }
                roles.push(str_of(r).to_string());
            }
            if let Some(a) = i.get("input_args").and_then(Value::as_str)
                && a.starts_with("preset-")
                && !FRIGATE_INPUT_PRESETS.contains(&a)
            {
                errors.push(format!("cameras.{name}: no input preset {a}"));
            }
        }
        let mut unique = roles.clone();
        unique.sort();
        unique.dedup();
        if unique.len() != roles.len() {
            errors.push(format!(
                "cameras.{name}: Each input role may only be used once."
            ));
        }
        if !roles.iter().any(|r| r == "detect") {
            errors.push(format!("cameras.{name}: The detect role is required."));
        }
        if let Some(a) = ffmpeg["output_args"].get("record").and_then(Value::as_str)
            && a.starts_with("preset-")
            && !FRIGATE_RECORD_PRESETS.contains(&a)
        {
            errors.push(format!("cameras.{name}: no record preset {a}"));
        }
        let d = &cam["detect"];
        if d.get("width").is_some() != d.get("height").is_some() {
            errors.push(format!(
                "cameras.{name}.detect: width and height go together"
            ));
        }
        let recording = cam["record"]["enabled"].as_bool() == Some(true);
        if roles.iter().any(|r| r == "record") && !recording {
            errors.push(format!(
                "cameras.{name}: a record role but record.enabled is not true"
            ));
        }
    }
    errors
}

// ---- MediaMTX v1.20.1 -----------------------------------------------------------------------

/// The path settings of MediaMTX v1.20.1 (`internal/conf/path.go`, the `json:` tags of `Path`,
/// rpiCamera* left out); its loader refuses any other key (`internal/conf/jsonwrapper/unmarshal.go`:
/// "json: unknown field").
const MEDIAMTX_PATH_KEYS: [&str; 46] = [
    "name",
    "source",
    "sourceFingerprint",
    "sourceOnDemand",
    "sourceOnDemandStartTimeout",
    "sourceOnDemandCloseAfter",
    "maxReaders",
    "srtReadPassphrase",
    "fallback",
    "useAbsoluteTimestamp",
    "alwaysAvailable",
    "alwaysAvailableTracks",
    "alwaysAvailableFile",
    "forward",
    "record",
    "playback",
    "recordPath",
    "recordFormat",
    "recordPartDuration",
    "recordMaxPartSize",
    "recordSegmentDuration",
    "recordDeleteAfter",
    "overridePublisher",
    "srtPublishPassphrase",
    "rtspDemuxMpegts",
    "rtspTransport",
    "rtspAnyPort",
    "rtspRangeType",
    "rtspRangeStart",
    "rtspScale",
    "rtspUDPSourcePortRange",
    "rtpSDP",
    "moqTransport",
    "whepBearerToken",
    "whepSTUNGatherTimeout",
    "whepHandshakeTimeout",
    "whepTrackGatherTimeout",
    "sourceRedirect",
    "publishUser",
    "publishPass",
    "publishIPs",
    "readUser",
    "readPass",
    "readIPs",
    "sourceProtocol",
    "sourceAnyPortEnable",
];
/// `internal/conf/rtsp_transport.go` `UnmarshalJSON`.
const MEDIAMTX_RTSP_TRANSPORTS: [&str; 4] = ["udp", "multicast", "tcp", "automatic"];

/// MediaMTX's complaints about `config` (its `paths:` section), from `internal/conf` at v1.20.1:
/// path names (`path.go` `rePathName` `^[0-9a-zA-Z_\-/\.]+$`, no leading or trailing `/`, and
/// `all`/`all_others` are not static sources), known keys only, a source URL with a scheme and a
/// host and "username and password must be both provided" (`path.go`), `rtspTransport` values,
/// `sourceOnDemand` a boolean.
fn mediamtx_errors(config: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    for k in config.as_mapping().into_iter().flat_map(|m| m.keys()) {
        if str_of(k) != "paths" {
            errors.push(format!("json: unknown field {:?}", str_of(k)));
        }
    }
    for (name, path) in config["paths"].as_mapping().into_iter().flatten() {
        let name = str_of(name);
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-/.".contains(c))
            && !name.starts_with('/')
            && !name.ends_with('/');
        if !ok || name == "all" || name == "all_others" {
            errors.push(format!("invalid path name: {name}"));
        }
        for (k, v) in path.as_mapping().into_iter().flatten() {
            let k = str_of(k);
            if !MEDIAMTX_PATH_KEYS.contains(&k) {
                errors.push(format!("json: unknown field \"paths.{name}.{k}\""));
            }
            if k == "rtspTransport" && !MEDIAMTX_RTSP_TRANSPORTS.contains(&str_of(v)) {
                errors.push(format!("invalid transport '{}'", str_of(v)));
            }
            if k == "sourceOnDemand" && !v.is_bool() {
                errors.push(format!("{name}: sourceOnDemand is no boolean"));
            }
        }
        let source = str_of(&path["source"]);
        match url::Url::parse(source) {
            Ok(u) if !u.host_str().unwrap_or_default().is_empty() => {
                if u.username().is_empty() != u.password().unwrap_or_default().is_empty() {
                    errors.push(format!(
                        "{name}: username and password must be both provided"
                    ));
                }
            }
            _ => errors.push(format!("'{source}' is not a valid URL")),
        }
    }
    errors
}

// ---- helpers --------------------------------------------------------------------------------

/// ffprobe's picture size of `url`'s first video stream.
fn ffprobe_size(url: &str) -> (u64, u64) {
    let mut cmd = Command::new("ffprobe");
    cmd.args(["-v", "error", "-rw_timeout", "10000000"]);
    if url.starts_with("rtsp://") {
        cmd.args(["-rtsp_transport", "tcp"]);
    }
    let out = run(
        cmd.args([
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "json",
            url,
        ]),
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "ffprobe {url}: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let s = &v["streams"][0];
    (s["width"].as_u64().unwrap(), s["height"].as_u64().unwrap())
}

fn sources(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(l) => l.iter().map(|s| str_of(s).to_string()).collect(),
        other => panic!("not a go2rtc source: {other:?}"),
    }
}

/// All go2rtc sources by stream name.
fn go2rtc_streams(streams: &Value) -> BTreeMap<String, Vec<String>> {
    streams
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (str_of(k).to_string(), sources(v)))
        .collect()
}

const A_MAIN: &str = "rtsp://127.0.0.121:8554/Streaming/Channels/101";
const A_SUB: &str = "rtsp://127.0.0.121:8554/Streaming/Channels/102";
const C_MAIN: &str = "rtsp://127.0.0.123:8554/Streaming/Channels/101";
const MJPEG: &str = "http://127.0.0.125:8080/mjpg/video.mjpg";
const B_VAR: &str = "CAMSCAN_CAMERA_127_0_0_122_PASSWORD";
const B_MAIN: &str =
    "rtsp://admin:${CAMSCAN_CAMERA_127_0_0_122_PASSWORD}@127.0.0.122:8554/Streaming/Channels/101";
const B_SUB: &str =
    "rtsp://admin:${CAMSCAN_CAMERA_127_0_0_122_PASSWORD}@127.0.0.122:8554/Streaming/Channels/102";
const F_VAR: &str = "FRIGATE_CAMERA_127_0_0_122_PASSWORD";

/// The stream whose sources include one starting with `prefix`.
fn stream_with<'a>(streams: &'a BTreeMap<String, Vec<String>>, prefix: &str) -> &'a str {
    streams
        .iter()
        .find(|(_, l)| l.iter().any(|s| s.starts_with(prefix)))
        .map(|(k, _)| k.as_str())
        .unwrap_or_else(|| panic!("no source {prefix} in {streams:?}"))
}

#[test]
fn go2rtc_export_loads_in_go2rtc_and_every_source_plays() {
    let text = scan("go2rtc", &[]);
    let doc = yaml(&text);
    assert_eq!(
        go2rtc_errors(&doc, &[(B_VAR, PASSWORD_ENCODED)]),
        Vec::<String>::new(),
        "{text}"
    );
    let streams = go2rtc_streams(&doc["streams"]);
    // Sub streams are streams of their own: one list's second H.264 source is never chosen.
    assert_eq!(streams["camera_127_0_0_121"], [A_MAIN]);
    assert_eq!(streams["camera_127_0_0_121_sub"], [A_SUB]);
    assert_eq!(streams["camera_127_0_0_122"], [B_MAIN]);
    assert_eq!(streams["camera_127_0_0_122_sub"], [B_SUB]);
    assert_eq!(streams["camera_127_0_0_123"], [C_MAIN]);
    assert!(streams.contains_key(stream_with(&streams, MJPEG)));
    // HLS through go2rtc's ffmpeg source (its own reader takes MPEG-TS segments only).
    let hls = &streams[stream_with(&streams, "ffmpeg:http://127.0.0.124")];
    assert!(hls[0].contains(".m3u8"), "{hls:?}");
    assert!(!text.contains("onvif://"), "{text}");
    assert!(text.contains(&format!("#   {B_VAR}\n")), "{text}");
    assert!(!text.contains(PASSWORD) && !text.contains(PASSWORD_ENCODED));
    let filled = text.replace(&format!("${{{B_VAR}}}"), PASSWORD_ENCODED);
    let sizes: Vec<(u64, u64)> = go2rtc_streams(&yaml(&filled)["streams"])
        .values()
        .flatten()
        .filter(|u| u.starts_with("rtsp://"))
        .map(|u| ffprobe_size(u))
        .collect();
    assert_eq!(
        sizes,
        [(1280, 720), (640, 360), (640, 360), (320, 180), (640, 360)]
    );
    // ffmpeg (as go2rtc's ffmpeg source runs it) opens the HLS master playlist; its first
    // variant is 640x360 (tests/servers/media_lab.py).
    assert_eq!(
        ffprobe_size(hls[0].strip_prefix("ffmpeg:").unwrap()),
        (640, 360)
    );
}

#[test]
fn go2rtc_export_with_show_credentials_carries_them() {
    let text = scan("go2rtc", &["--show-credentials"]);
    let doc = yaml(&text);
    assert_eq!(go2rtc_errors(&doc, &[]), Vec::<String>::new());
    let b = sources(&doc["streams"]["camera_127_0_0_122_sub"]);
    assert!(!text.contains("${"), "{text}");
    assert_eq!(ffprobe_size(&b[0]), (320, 180));
}

/// Each camera's inputs: (path, roles, input_args).
fn frigate_inputs(cam: &Value) -> Vec<(String, Vec<String>, Option<String>)> {
    cam["ffmpeg"]["inputs"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|i| {
            (
                str_of(&i["path"]).to_string(),
                i["roles"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(|r| str_of(r).to_string())
                    .collect(),
                i.get("input_args").map(|a| str_of(a).to_string()),
            )
        })
        .collect()
}

#[test]
fn frigate_export_loads_in_frigate_and_its_roles_do_what_they_say() {
    let text = scan("frigate", &[]);
    let doc = yaml(&text);
    assert_eq!(
        frigate_errors(&doc, &[(F_VAR, PASSWORD_ENCODED)]),
        Vec::<String>::new(),
        "{text}"
    );
    // Without its variable Frigate stops with a bare KeyError: the header says it is required.
    assert!(
        frigate_errors(&doc, &[])
            .iter()
            .any(|e| e.contains(&format!("KeyError: '{F_VAR}'")))
    );
    assert!(text.contains("# REQUIRED: "), "{text}");
    assert!(text.contains(&format!("#   {F_VAR}\n")), "{text}");
    assert_eq!(doc["mqtt"]["enabled"].as_bool(), Some(false));
    let cams = doc["cameras"].as_mapping().unwrap();
    let a = &cams["camera_127_0_0_121"];
    assert_eq!(
        frigate_inputs(a),
        [
            (A_MAIN.to_string(), vec!["record".to_string()], None),
            (A_SUB.to_string(), vec!["detect".to_string()], None),
        ]
    );
    assert_eq!(
        (
            a["detect"]["width"].as_u64(),
            a["detect"]["height"].as_u64()
        ),
        (Some(640), Some(360))
    );
    // A 320x180 sub stream is too small to detect on: the main does both.
    let b = frigate_inputs(&cams["camera_127_0_0_122"]);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].1, ["detect", "record"]);
    let filled = frigate_format(&b[0].0, &[(F_VAR, PASSWORD_ENCODED)]).unwrap();
    assert_eq!(ffprobe_size(&filled), (640, 360));
    // H.265: tagged for Apple players.
    let c = &cams["camera_127_0_0_123"];
    assert_eq!(c["ffmpeg"]["apple_compatibility"].as_bool(), Some(true));
    assert!(text.contains("Safari"), "{text}");
    // MJPEG over HTTP: Frigate's MJPEG input preset, and its MJPEG record preset.
    let (_, mjpeg) = cams
        .iter()
        .find(|(_, c)| frigate_inputs(c)[0].0 == MJPEG)
        .expect("the MJPEG camera");
    assert_eq!(
        frigate_inputs(mjpeg)[0].2.as_deref(),
        Some("preset-http-mjpeg-generic")
    );
    assert_eq!(
        mjpeg["ffmpeg"]["output_args"]["record"].as_str(),
        Some("preset-record-mjpeg")
    );
    // HLS is no Frigate input: the header says it was left out and why.
    assert!(
        text.contains("# Skipped (no stream Frigate can read): 127.0.0.124"),
        "{text}"
    );
}

#[test]
fn frigate_restream_export_loads_in_frigate_and_reads_go2rtcs_streams() {
    let text = scan("frigate", &["--frigate-restream"]);
    let doc = yaml(&text);
    let env = [(F_VAR, PASSWORD_ENCODED)];
    assert_eq!(frigate_errors(&doc, &env), Vec::<String>::new(), "{text}");
    // After Frigate's substitution, go2rtc's own rules.
    let go2rtc =
        yaml(&frigate_format(&serde_yaml::to_string(&doc["go2rtc"]).unwrap(), &env).unwrap());
    assert_eq!(go2rtc_errors(&go2rtc, &[]), Vec::<String>::new(), "{text}");
    let streams = go2rtc_streams(&doc["go2rtc"]["streams"]);
    assert_eq!(streams["camera_127_0_0_121"], [A_MAIN]);
    assert_eq!(streams["camera_127_0_0_121_sub"], [A_SUB]);
    let frigate = |u: &str| u.replace("${CAMSCAN_", "{FRIGATE_");
    assert_eq!(streams["camera_127_0_0_122"], [frigate(B_MAIN)]);
    // The MJPEG camera reaches Frigate as H.264 (Frigate's docs: go2rtc's ffmpeg source).
    let mjpeg = stream_with(&streams, &format!("ffmpeg:{MJPEG}"));
    assert_eq!(streams[mjpeg], [format!("ffmpeg:{MJPEG}#video=h264")]);
    for (name, cam) in doc["cameras"].as_mapping().unwrap() {
        let name = str_of(name);
        for (path, roles, args) in frigate_inputs(cam) {
            assert_eq!(args.as_deref(), Some("preset-rtsp-restream"));
            let stream = path.strip_prefix("rtsp://127.0.0.1:8554/").unwrap();
            let want = if roles == ["detect"] {
                format!("{name}_sub")
            } else {
                name.to_string()
            };
            assert_eq!(stream, want);
            assert!(streams.contains_key(stream), "{stream}");
        }
        assert!(cam["ffmpeg"].get("output_args").is_none(), "go2rtc encodes");
    }
}

#[test]
fn mediamtx_export_loads_in_mediamtx_and_its_override_lines_work_in_a_shell() {
    let text = scan("mediamtx", &[]);
    let doc = yaml(&text);
    assert_eq!(mediamtx_errors(&doc), Vec::<String>::new(), "{text}");
    let paths = doc["paths"].as_mapping().unwrap();
    for want in [
        "camera12700121",
        "camera12700121sub",
        "camera12700122",
        "camera12700122sub",
        "camera12700123",
    ] {
        assert!(paths.contains_key(want), "{want}: {text}");
    }
    assert_eq!(str_of(&paths["camera12700121sub"]["source"]), A_SUB);
    // Valid with no environment at all: the camera that needs a password has none in the file.
    assert_eq!(
        str_of(&paths["camera12700122"]["source"]),
        "rtsp://127.0.0.122:8554/Streaming/Channels/101"
    );
    // The RTSP servers delivered over TCP.
    for (name, path) in paths {
        if str_of(&path["source"]).starts_with("rtsp://") {
            assert_eq!(str_of(&path["rtspTransport"]), "tcp", "{name:?}");
        }
    }
    assert!(
        paths
            .values()
            .any(|p| str_of(&p["source"]).starts_with("http://127.0.0.124")),
        "HLS: {text}"
    );
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("#   MTX_PATHS_"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    let mut sizes = Vec::new();
    for line in lines {
        // MediaMTX's environment loader (internal/conf/env/env.go): the path is the part up to
        // the next `_`, lowercased.
        let (name, rest) = line.split_once('_').unwrap();
        assert!(rest.starts_with("SOURCE=\""), "{line}");
        assert!(
            paths.contains_key(name.to_ascii_lowercase().as_str()),
            "{line}"
        );
        let var = format!("MTX_PATHS_{name}_SOURCE");
        let out = run(
            Command::new("/bin/sh")
                .arg("-c")
                .arg(format!("MTX_PATHS_{line}\nprintf %s \"${var}\""))
                .env(B_VAR, PASSWORD_ENCODED),
            Duration::from_secs(10),
        );
        let url = stdout(&out);
        assert!(url.starts_with("rtsp://admin:p%40ss"), "{url}");
        // The overridden source is valid too.
        let mut overridden = doc.clone();
        overridden["paths"][name.to_ascii_lowercase().as_str()]["source"] =
            Value::String(url.clone());
        assert_eq!(mediamtx_errors(&overridden), Vec::<String>::new());
        sizes.push(ffprobe_size(&url));
    }
    assert_eq!(sizes, [(640, 360), (320, 180)]);
}

#[test]
fn ha_sheet_names_the_integration_for_each_kind_of_stream() {
    let text = scan("ha-sheet", &[]);
    assert!(text.contains("no\n# YAML"), "{text}");
    for want in [
        "== camera_127_0_0_121: 127.0.0.121 ==\nGeneric Camera",
        &format!("  Stream Source:   {A_MAIN}   (h264 1280x720 25fps)\n"),
        &format!("  Sub stream:      {A_SUB}   (h264 640x360 15fps; a lighter Stream Source)\n"),
        "  Stream Source:   rtsp://127.0.0.122:8554/Streaming/Channels/101   (h264 640x360 15fps)\n",
        "  Username:        admin\n  Password:        (the camera's password)\n",
        &format!(
            "MJPEG IP Camera (Settings > Devices & services > Add integration):\n  MJPEG URL:       {MJPEG}"
        ),
    ] {
        assert!(text.contains(want), "lacks {want:?}:\n{text}");
    }
    assert!(!text.contains("ONVIF ("), "no ONVIF answered: {text}");
    assert!(!text.contains("go2rtc integration"), "{text}");
    assert!(!text.contains('@'), "{text}");
}

/// Every one of `wants` is in some line of a checker's `errors`.
fn says_all(errors: Vec<String>, wants: &[&str]) {
    let errors = errors.join("\n");
    for want in wants {
        assert!(errors.contains(want), "{want}: {errors}");
    }
}

/// Each checker rejects a file broken the way the users met: these are the failures
/// Frigate, MediaMTX and go2rtc themselves report.
#[test]
fn the_tool_checkers_reject_broken_files() {
    let frigate = yaml(
        "go2rtc:\n  streams:\n    x: exec:ffmpeg -i rtsp://h/1\ncameras:\n  front door:\n    ffmpeg:\n      inputs:\n      - path: rtsp://admin:{FRIGATE_X}@h/1\n        roles: [record, record]\n        input_args: preset-rtsp-nope\n",
    );
    says_all(
        frigate_errors(&frigate, &[]),
        &[
            "mqtt: Field required",
            "name does not match",
            "KeyError: 'FRIGATE_X'",
            "Each input role may only be used once.",
            "The detect role is required.",
            "no input preset preset-rtsp-nope",
            "record.enabled is not true",
            "restricted source exec:",
        ],
    );
    let mediamtx = yaml(
        "paths:\n  all:\n    source: rtsp://admin@h/1\n    rtspTransport: quic\n    sourceOnDemmand: true\n",
    );
    says_all(
        mediamtx_errors(&mediamtx),
        &[
            "invalid path name: all",
            "username and password must be both provided",
            "invalid transport 'quic'",
            "unknown field \"paths.all.sourceOnDemmand\"",
        ],
    );
    let go2rtc =
        yaml("streams:\n  a: [rtsp://h/1, rtsp://h/1, 'smb://h/x', 'rtsp://u:${P@h/1']\n  b: 5\n");
    says_all(
        go2rtc_errors(&go2rtc, &[]),
        &[
            "is not valid",
            "rtsp://h/1 twice",
            "no handler for smb://h/x",
            "malformed reference",
        ],
    );
}
