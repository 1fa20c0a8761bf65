//! camscan against a real Home Assistant (PyPI `homeassistant` 2025.4.4 in `target/ha-venv`, made
//! by `scripts/test`), run by `common::homeassistant` in a network namespace that has only its
//! loopback, with the cameras it opens beside it. Needs root (`ip netns`).

#![allow(clippy::print_stderr)]

mod common;

use common::homeassistant::HomeAssistant;

/// The harness itself: Home Assistant starts in its namespace, onboarded, and its API answers the
/// long-lived token and refuses any other.
#[test]
fn home_assistant_answers_its_token_only() {
    let ha = HomeAssistant::start("home_assistant_answers_its_token_only");
    let (status, body) = ha.api("GET", "/api/", None);
    assert_eq!(status, 200, "{body}\n{}", ha.log_tail(30));
    assert_eq!(body, serde_json::json!({"message": "API running."}));

    let (status, body) = ha.request("GET", "/api/", None, Some("not-the-token"));
    assert_eq!(status, 401, "{body}");
    let (status, body) = ha.request("GET", "/api/", None, None);
    assert_eq!(status, 401, "{body}");

    let meta = std::fs::metadata(&ha.token_path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}

/// The harness's cameras and clients: a GStreamer camera in Home Assistant's namespace goes in
/// through the generic camera's own flow (`user`, then `user_confirm`), and the websocket reads
/// its entity back.
#[test]
fn a_camera_in_the_namespace_goes_through_the_generic_flow() {
    let mut ha = HomeAssistant::start("a_camera_in_the_namespace_goes_through_the_generic_flow");
    ha.rtsp_cameras(&serde_json::json!([
        {"address": "127.0.0.11", "port": 8554, "shared": true, "auth": null, "mounts": [
            {"path": "/live",
             "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10}, "audio": null}]}
    ]));
    let flows = "/api/config/config_entries/flow";
    let (status, form) = ha.api(
        "POST",
        flows,
        Some(&serde_json::json!({"handler": "generic"})),
    );
    assert_eq!(status, 200, "{form}");
    assert_eq!(form["step_id"], "user", "{form}");
    let step = format!("{flows}/{}", form["flow_id"].as_str().unwrap());
    let user = serde_json::json!({
        "stream_source": "rtsp://127.0.0.11:8554/live", "rtsp_transport": "tcp",
        "framerate": 2, "verify_ssl": false,
    });
    let (status, confirm) = ha.api("POST", &step, Some(&user));
    assert_eq!(status, 200, "{confirm}\n{}", ha.log_tail(30));
    assert_eq!(confirm["step_id"], "user_confirm", "{confirm}");
    let (status, done) = ha.api(
        "POST",
        &step,
        Some(&serde_json::json!({"confirmed_ok": true})),
    );
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["type"], "create_entry", "{done}");
    assert_eq!(done["title"], "127_0_0_11");
    assert_eq!(done["result"]["state"], "loaded", "{done}");
    let entry = done["result"]["entry_id"].as_str().unwrap().to_string();

    let answers = ha.ws(&[serde_json::json!({"type": "config/entity_registry/list"})]);
    let entities = answers[0]["result"].as_array().unwrap();
    let camera = entities
        .iter()
        .find(|e| e["config_entry_id"] == entry.as_str())
        .unwrap_or_else(|| panic!("no entity of entry {entry}: {answers:?}"));
    assert_eq!(camera["entity_id"], "camera.127_0_0_11");
    let (status, state) = ha.api("GET", "/api/states/camera.127_0_0_11", None);
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["state"], "idle", "{state}");
}

// ---- camscan push homeassistant ------------------------------------------------------------

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use model::{
    AuthScheme, Credential, Device, DiscoveryMethod, OnvifInfo, OnvifProfile, Protocol, Stream,
    StreamStatus, VideoInfo,
};
use serde_json::{Value, json};

const PASSWORD: &str = "s3cret";

/// A stream that played, as a scan records it.
fn played(url: &str, protocol: Protocol, port: u16, login: bool) -> Stream {
    let mut s = Stream::new(url.to_string(), protocol, port);
    s.status = StreamStatus::Ok;
    s.verified = true;
    s.auth = if login {
        AuthScheme::Digest
    } else {
        AuthScheme::None
    };
    s.username = login.then(|| "admin".to_string());
    let codec = if protocol == Protocol::Mjpeg {
        "mjpeg"
    } else {
        "h264"
    };
    let mut v = VideoInfo::new(codec.into());
    (v.width, v.height, v.fps) = (Some(320), Some(240), Some(10.0));
    s.video = Some(v);
    s
}

fn device(ip: &str, mac: &str, name: &str, streams: Vec<Stream>) -> Device {
    let mut d = Device::new(ip.parse().unwrap());
    d.mac = Some(mac.into());
    d.name = Some(name.into());
    d.is_camera = true;
    d.open_ports = streams.iter().map(|s| s.port).collect();
    d.discovered_by = vec![DiscoveryMethod::Arp, DiscoveryMethod::Port];
    d.streams = streams;
    d
}

/// An ipycam ONVIF camera as a scan records it: its device service on port 8000, one H.264
/// profile whose stream GStreamer serves on 8554.
fn onvif_camera(ip: &str, mac: &str, name: &str) -> Device {
    let url = format!("rtsp://{ip}:8554/video_main");
    let mut d = device(
        ip,
        mac,
        name,
        vec![played(&url, Protocol::Rtsp, 8554, false)],
    );
    d.open_ports.push(8000);
    d.onvif = Some(OnvifInfo {
        xaddrs: vec![format!("http://{ip}:8000/onvif/device_service")],
        profiles: vec![OnvifProfile {
            token: "Profile_Main".into(),
            encoding: Some("H264".into()),
            stream_uri: Some(url),
            ..OnvifProfile::default()
        }],
        ..OnvifInfo::default()
    });
    d
}

/// The inventory: the cameras of `devices`, as one scan recorded them.
fn record(db: &Path, n: u32, devices: Vec<Device>) {
    let login = Credential::new("admin", PASSWORD);
    common::inventory::record(db, n, "127.0.0.0/24", devices, &login);
}

/// `camscan push homeassistant URL -f json` inside Home Assistant's namespace, the token from a
/// file; the camera passwords and the token are never on its output.
fn push(ha: &HomeAssistant, db: &Path, url: &str, extra: &[&str]) -> (Output, Value) {
    push_as(ha, db, url, "json", extra)
}

/// [`push`], printed as `format` says.
fn push_as(
    ha: &HomeAssistant,
    db: &Path,
    url: &str,
    format: &str,
    extra: &[&str],
) -> (Output, Value) {
    let creds = db.with_file_name("site.creds");
    std::fs::write(&creds, format!("admin:{PASSWORD}\n")).unwrap();
    let o = common::run(
        common::camscan_in(&ha.ns)
            .env_remove("CAMSCAN_NO_DB")
            .env("CAMSCAN_DB", db)
            .args([
                "push",
                "homeassistant",
                url,
                "-f",
                format,
                "--push-login-file",
            ])
            .arg(&ha.token_path)
            .arg("--credentials")
            .arg(&creds)
            .args(extra),
        Duration::from_secs(240),
    );
    let (out, err) = (common::stdout(&o), common::stderr(&o));
    eprintln!(
        "camscan push homeassistant: {:?}\n{out}\n{err}",
        o.status.code()
    );
    let token = ha.token();
    for text in [&out, &err] {
        assert!(
            !text.contains(PASSWORD),
            "a camera password on camscan's output"
        );
        assert!(!text.contains(&token), "the token on camscan's output");
    }
    (o, serde_json::from_str(&out).unwrap_or(Value::Null))
}

/// Each step's name and action, and whether it verified.
fn steps(v: &Value) -> Vec<(String, String, Option<bool>)> {
    let results = v["results"].as_array().cloned().unwrap_or_default();
    v["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, s)| {
            (
                s["name"].as_str().unwrap_or("").to_string(),
                s["action"].as_str().unwrap_or("").to_string(),
                results.get(i).and_then(|r| r["verified"].as_bool()),
            )
        })
        .collect()
}

/// Home Assistant's entries of the camera integrations: title -> (domain, entry id, state).
fn entries(ha: &HomeAssistant) -> std::collections::BTreeMap<String, (String, String, String)> {
    let (status, list) = ha.api("GET", "/api/config/config_entries/entry", None);
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .filter(|e| ["generic", "mjpeg", "onvif"].contains(&e["domain"].as_str().unwrap()))
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
            (s("title"), (s("domain"), s("entry_id"), s("state")))
        })
        .collect()
}

/// What a generic or MJPEG entry points at: its options flow's form, the flow then deleted.
fn options(ha: &HomeAssistant, entry_id: &str) -> Value {
    let flows = "/api/config/config_entries/options/flow";
    let (status, form) = ha.api("POST", flows, Some(&json!({"handler": entry_id})));
    assert_eq!(status, 200, "{form}");
    let flow = form["flow_id"].as_str().unwrap();
    ha.api("DELETE", &format!("{flows}/{flow}"), None);
    let mut out = serde_json::Map::new();
    for f in form["data_schema"].as_array().unwrap() {
        let v = f["description"]["suggested_value"].clone();
        let v = if v.is_null() { f["default"].clone() } else { v };
        out.insert(f["name"].as_str().unwrap().to_string(), v);
    }
    Value::Object(out)
}

/// The push's targets against the real Home Assistant: an RTSP camera without a login and one
/// with Digest (its still image refused: left out) through the generic camera, an MJPEG camera
/// through the MJPEG integration, an ONVIF camera through the ONVIF integration, and a second
/// ONVIF camera reporting the first one's MAC through the generic camera, the reason said (Home
/// Assistant's ONVIF flow would have rewritten the first camera's entry). Every entry loaded and
/// named as camscan names it; a person's entry untouched; a second push changes nothing; a camera
/// that moves is an update of its own entry; an unreachable Home Assistant fails within 15 s.
#[test]
fn push_puts_each_camera_through_its_integrations_flow() {
    let mut ha = HomeAssistant::start("push_puts_each_camera_through_its_integrations_flow");
    let mount = |path: &str| {
        json!({"path": path, "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10},
               "audio": null})
    };
    let digest = json!({"method": "digest", "user": "admin", "password": PASSWORD});
    ha.rtsp_cameras(&json!([
        {"address": "127.0.0.11", "port": 8554, "shared": true, "auth": null, "mounts": [mount("/live")]},
        {"address": "127.0.0.15", "port": 8554, "shared": true, "auth": null, "mounts": [mount("/live")]},
        {"address": "127.0.0.12", "port": 8554, "shared": true, "auth": digest,
         "mounts": [mount("/Streaming/Channels/101")]},
        {"address": "127.0.0.13", "port": 8554, "shared": true, "auth": null, "mounts": [mount("/live")]},
        {"address": "127.0.0.33", "port": 8554, "shared": true, "auth": null, "mounts": [mount("/video_main")]},
        {"address": "127.0.0.34", "port": 8554, "shared": true, "auth": null, "mounts": [mount("/video_main")]},
        {"address": "127.0.0.35", "port": 8554, "shared": true, "auth": null, "mounts": [mount("/video_main")]}
    ]));
    ha.mjpeg_camera("127.0.0.21", 8080, None);
    ha.ipycam("127.0.0.33", 8000, None, Some("02:00:5e:10:00:33"));
    // A second camera of the same firmware reporting the first one's MAC (home-assistant/core
    // #70056): its own, on the wire, is ...:34.
    ha.ipycam("127.0.0.34", 8000, None, Some("02:00:5e:10:00:33"));
    // A camera in another subnet: camscan knows no MAC of it, and its identity is its own.
    ha.ipycam("127.0.0.35", 8000, None, Some("02:00:5e:10:00:35"));

    // A person's camera, added in Home Assistant by hand.
    let flows = "/api/config/config_entries/flow";
    let (_, form) = ha.api("POST", flows, Some(&json!({"handler": "generic"})));
    let step = format!("{flows}/{}", form["flow_id"].as_str().unwrap());
    let (_, confirm) = ha.api(
        "POST",
        &step,
        Some(
            &json!({"stream_source": "rtsp://127.0.0.13:8554/live", "framerate": 2,
                     "verify_ssl": false}),
        ),
    );
    assert_eq!(
        confirm["step_id"],
        "user_confirm",
        "{confirm}\n{}",
        ha.log_tail(30)
    );
    ha.api("POST", &step, Some(&json!({"confirmed_ok": true})));
    let person = entries(&ha)["127_0_0_13"].clone();
    let person_options = options(&ha, &person.1);

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let mut digest_cam = device(
        "127.0.0.12",
        "02:00:5e:10:00:12",
        "drive",
        vec![played(
            "rtsp://127.0.0.12:8554/Streaming/Channels/101",
            Protocol::Rtsp,
            8554,
            true,
        )],
    );
    // A snapshot URL the scan saw answer, which Home Assistant cannot load.
    let mut snap = Stream::new(
        "http://127.0.0.12:8080/snapshot.jpg".into(),
        Protocol::Jpeg,
        8080,
    );
    snap.status = StreamStatus::Ok;
    digest_cam.streams.push(snap);
    let mjpeg = device(
        "127.0.0.21",
        "02:00:5e:10:00:21",
        "porch",
        vec![played(
            "http://127.0.0.21:8080/mjpg/video.mjpg",
            Protocol::Mjpeg,
            8080,
            false,
        )],
    );
    let mut routed = onvif_camera("127.0.0.35", "", "shed");
    routed.mac = None;
    routed.discovered_by = vec![DiscoveryMethod::Port];
    let lab = |front_ip: &str| {
        vec![
            device(
                front_ip,
                "02:00:5e:10:00:11",
                "front",
                vec![played(
                    &format!("rtsp://{front_ip}:8554/live"),
                    Protocol::Rtsp,
                    8554,
                    false,
                )],
            ),
            digest_cam.clone(),
            mjpeg.clone(),
            onvif_camera("127.0.0.33", "02:00:5e:10:00:33", "yard"),
            onvif_camera("127.0.0.34", "02:00:5e:10:00:34", "gate"),
            routed.clone(),
        ]
    };
    record(&db, 1, lab("127.0.0.11"));

    // First push, as people read it: every camera added through its integration's flow, and
    // verified (the integrations guide's sample).
    let (o, _) = push_as(&ha, &db, &ha.url, "table", &["--width", "100"]);
    let table = common::stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{table}\n{}", ha.log_tail(40));
    assert!(
        table.contains("6 added") && table.contains("verified 6/6"),
        "{table}"
    );
    common::samples::console_sample(
        "docs/guide/integrations.md",
        "push-homeassistant",
        "tests/homeassistant.rs, its first push into the real Home Assistant",
        "camscan push homeassistant http://127.0.0.1:8123 --push-login-file ha.token \
         --credentials site.creds",
        &table,
        &[],
    );
    // The plan as programs read it: the same six, kept now.
    let (o, first) = push(&ha, &db, &ha.url, &["--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{first}");
    let s = steps(&first);
    assert_eq!(s.len(), 6, "{first}");
    let names: Vec<&str> = s.iter().map(|(n, _, _)| n.as_str()).collect();
    let by_ip = |ip: &str| -> String {
        let i = first["steps"]
            .as_array()
            .unwrap()
            .iter()
            .position(|st| st["stream"].as_str().unwrap_or("").contains(ip))
            .unwrap_or_else(|| panic!("no step for {ip}: {first}"));
        names[i].to_string()
    };
    let got = entries(&ha);
    let domain = |ip: &str| got[&by_ip(ip)].0.clone();
    assert_eq!(domain("127.0.0.11"), "generic", "{got:?}");
    assert_eq!(domain("127.0.0.12"), "generic", "{got:?}");
    assert_eq!(domain("127.0.0.21"), "mjpeg", "{got:?}");
    assert_eq!(domain("127.0.0.33"), "onvif", "{got:?}");
    assert_eq!(domain("127.0.0.34"), "generic", "{got:?}");
    assert_eq!(domain("127.0.0.35"), "onvif", "{got:?}");
    for (title, (_, _, state)) in &got {
        assert_eq!(state, "loaded", "{title}: {got:?}\n{}", ha.log_tail(40));
    }
    // The camera reporting another's identity: through the generic camera, and why.
    // The table's cells as one text (its wrapped lines joined, its rules out).
    let flat = table
        .replace(['│', '┆'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("02:00:5e:10:00:33") && flat.contains("not its own MAC"),
        "{table}"
    );
    // The ONVIF camera's entry still points at its own camera (nothing rewrote it): its device
    // is the one at .33.
    let (status, url) = ha.request(
        "POST",
        "/api/template",
        Some(&json!({"template": format!(
            "{{{{ device_attr(device_id('camera.{}_mainstream'), 'configuration_url') }}}}",
            by_ip("127.0.0.33"))})),
        Some(&ha.token()),
    );
    assert_eq!(
        (status, url.trim()),
        (200, "http://127.0.0.33:8000"),
        "{got:?}"
    );
    // The Digest camera: its login in the entry, its refused still left out, said.
    assert!(flat.contains("without its still image"), "{table}");
    let drive = options(&ha, &got[&by_ip("127.0.0.12")].1);
    assert_eq!(drive["username"], "admin", "{drive}");
    assert_eq!(
        drive["stream_source"],
        "rtsp://127.0.0.12:8554/Streaming/Channels/101"
    );
    assert_eq!(drive["still_image_url"], "", "{drive}");
    // The person's entry is as they made it.
    assert_eq!(got["127_0_0_13"], person);
    assert_eq!(options(&ha, &person.1), person_options);

    // Second push: nothing sent, nothing changed.
    let (o, second) = push(&ha, &db, &ha.url, &[]);
    assert_eq!(o.status.code(), Some(0), "{second}");
    for (name, action, verified) in steps(&second) {
        assert_eq!(action, "keep", "{name}: {second}");
        assert_eq!(verified, Some(true), "{name}: {second}");
    }
    assert!(
        second["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["sent"] == false),
        "{second}"
    );
    assert_eq!(entries(&ha), got);

    // The camera without a login moves (same MAC): an update of its own entry.
    record(&db, 2, lab("127.0.0.15"));
    let (o, third) = push(&ha, &db, &ha.url, &[]);
    assert_eq!(o.status.code(), Some(0), "{third}\n{}", ha.log_tail(40));
    let front = by_ip("127.0.0.11");
    let moved: Vec<_> = steps(&third)
        .into_iter()
        .filter(|(_, a, _)| a != "keep")
        .collect();
    assert_eq!(
        moved,
        [(front.clone(), "update".to_string(), Some(true))],
        "{third}"
    );
    let after = entries(&ha);
    assert_eq!(after[&front].1, got[&front].1, "the same entry, updated");
    assert_eq!(
        options(&ha, &after[&front].1)["stream_source"],
        "rtsp://127.0.0.15:8554/live"
    );
    assert_eq!(after.len(), got.len(), "{after:?}");

    // A camera that left the inventory: its entry stays without --prune, and goes with it.
    let gate = by_ip("127.0.0.34");
    let forget = common::run(
        common::camscan_with_db(&db).args(["forget", "127.0.0.34"]),
        Duration::from_secs(30),
    );
    assert!(forget.status.success(), "{}", common::stderr(&forget));
    let (_, kept) = push(&ha, &db, &ha.url, &[]);
    assert!(entries(&ha).contains_key(&gate), "{kept}");
    let (o, pruned) = push(&ha, &db, &ha.url, &["--prune"]);
    assert_eq!(o.status.code(), Some(0), "{pruned}");
    let removed: Vec<_> = steps(&pruned)
        .into_iter()
        .filter(|(_, a, _)| a == "remove")
        .collect();
    assert_eq!(
        removed,
        [(gate.clone(), "remove".to_string(), Some(true))],
        "{pruned}"
    );
    let now = entries(&ha);
    assert!(
        !now.contains_key(&gate) && now.contains_key("127_0_0_13"),
        "{now:?}"
    );

    // A token Home Assistant does not know: refused, said so.
    let wrong = dir.path().join("wrong.token");
    std::fs::write(&wrong, "not-a-token\n").unwrap();
    let o = common::run(
        common::camscan_in(&ha.ns)
            .env_remove("CAMSCAN_NO_DB")
            .env("CAMSCAN_DB", &db)
            .args(["push", "homeassistant", &ha.url, "--push-login-file"])
            .arg(&wrong),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("login refused"),
        "{}",
        common::stderr(&o)
    );
    // Issue 82: no token at all is not the same "HTTP 401" as a wrong one: it says none was given
    // and where one goes.
    let o = common::run(
        common::camscan_in(&ha.ns)
            .env_remove("CAMSCAN_NO_DB")
            .env_remove("CAMSCAN_PUSH_TOKEN")
            .env("CAMSCAN_DB", &db)
            .args(["push", "homeassistant", &ha.url]),
        Duration::from_secs(60),
    );
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no token was given")
            && err.contains("--push-login-file")
            && err.contains("CAMSCAN_PUSH_TOKEN")
            && !err.contains("login refused"),
        "{err}"
    );

    // Nothing listening: exit 2 within 15 s, the URL named.
    let started = Instant::now();
    let (o, _) = push(&ha, &db, "http://127.0.0.1:9", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(
        common::stderr(&o).contains("127.0.0.1:9"),
        "{}",
        common::stderr(&o)
    );
}

// ---- a pushed camera's whole life (issue 82) -----------------------------------------------

/// The configuration URL of the device behind an ONVIF entry's camera entity `entity`.
fn configuration_url(ha: &HomeAssistant, entity: &str) -> String {
    let (status, url) = ha.request(
        "POST",
        "/api/template",
        Some(&json!({"template": format!(
            "{{{{ device_attr(device_id('{entity}'), 'configuration_url') }}}}")})),
        Some(&ha.token()),
    );
    assert_eq!(status, 200, "{url}");
    url.trim().to_string()
}

/// The one step named `name` of a push's JSON: its action, its `why` and `note`, and whether it
/// verified.
fn step_of(v: &Value, name: &str) -> (String, String, Option<bool>) {
    let steps = v["steps"].as_array().cloned().unwrap_or_default();
    let i = steps
        .iter()
        .position(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name}: {v}"));
    let s = &steps[i];
    (
        s["action"].as_str().unwrap_or("").to_string(),
        format!("{} {}", s["why"], s["note"]),
        v["results"][i]["verified"].as_bool(),
    )
}

/// Issue 82, against the real Home Assistant: what integrators live through after the first
/// push. A camera replaced (the dead one forgotten, its id the newest) is a new entry, the old
/// one left as it was and said; an ONVIF camera moved twice is followed both times, verified
/// (Home Assistant reloads the entry after its flow answered: the read-back waits for it); a
/// person's rename leaves the entry camscan's (the title theirs, the stream updated on a move);
/// an entry deleted in Home Assistant is added anew; a DASH camera goes in through the generic
/// camera (Home Assistant's stream opens the MPD).
#[test]
fn a_pushed_cameras_whole_life_in_home_assistant() {
    let mut ha = HomeAssistant::start("a_pushed_cameras_whole_life_in_home_assistant");
    let mount = |path: &str| {
        json!({"path": path, "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10},
               "audio": null})
    };
    let cams: Vec<Value> = ["127.0.0.11", "127.0.0.15", "127.0.0.16", "127.0.0.17"]
        .iter()
        .map(|a| {
            json!({"address": a, "port": 8554, "shared": true, "auth": null,
                        "mounts": [mount("/live")]})
        })
        .chain(["127.0.0.33", "127.0.0.36", "127.0.0.37"].iter().map(|a| {
            json!({"address": a, "port": 8554, "shared": true, "auth": null,
                   "mounts": [mount("/video_main")]})
        }))
        .collect();
    ha.rtsp_cameras(&Value::Array(cams));
    // One ONVIF camera (its MAC ...:33 wherever it is), at three addresses in turn.
    for a in ["127.0.0.33", "127.0.0.36", "127.0.0.37"] {
        ha.ipycam(a, 8000, None, Some("02:00:5e:10:00:33"));
    }
    ha.media_lab("dash");

    let rtsp = |ip: &str, mac: &str, name: &str| {
        let url = format!("rtsp://{ip}:8554/live");
        device(
            ip,
            mac,
            name,
            vec![played(&url, Protocol::Rtsp, 8554, false)],
        )
    };
    let mut dash = device(
        "127.0.0.52",
        "02:00:5e:10:00:52",
        "lobby",
        vec![played(
            "http://127.0.0.52/dash/cam.mpd",
            Protocol::Dash,
            80,
            false,
        )],
    );
    dash.streams[0].video.as_mut().unwrap().width = Some(640);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    // The porch camera last: its id is the newest, the one SQLite gave again once forgotten.
    let site = |front: &str, yard: &str, porch: Option<Device>| {
        let mut v = vec![
            rtsp(front, "02:00:5e:10:00:11", "front"),
            onvif_camera(yard, "02:00:5e:10:00:33", "yard"),
            dash.clone(),
        ];
        v.extend(porch);
        v
    };
    record(
        &db,
        1,
        site(
            "127.0.0.11",
            "127.0.0.33",
            Some(rtsp("127.0.0.16", "02:00:5e:10:00:16", "porch")),
        ),
    );
    let (o, first) = push(&ha, &db, &ha.url, &[]);
    for name in ["front", "yard", "porch"] {
        assert_eq!(
            step_of(&first, name),
            ("add".into(), "null null".into(), Some(true)),
            "{first}"
        );
    }
    // Home Assistant opens the live MPD itself before it takes the entry, and gives up after 30 s
    // without a part of its own HLS (`components/generic/config_flow.py`, "timeout"): on a loaded
    // machine the lab's live DASH encoder lags, and Home Assistant's refusal is what camscan
    // reports. The user's next push adds it (asked once more here; it must go in then).
    let lobby = step_of(&first, "lobby");
    if lobby.2.is_none() && first.to_string().contains("stream_source: timeout") {
        eprintln!("Home Assistant timed out on the MPD once (a loaded machine): pushing again");
        let (o, again) = push(&ha, &db, &ha.url, &[]);
        assert_eq!(o.status.code(), Some(0), "{again}\n{}", ha.log_tail(40));
        assert_eq!(step_of(&again, "lobby").0, "add", "{again}");
        assert_eq!(step_of(&again, "lobby").2, Some(true), "{again}");
    } else {
        assert_eq!(o.status.code(), Some(0), "{first}\n{}", ha.log_tail(40));
        assert_eq!(
            lobby,
            ("add".into(), "null null".into(), Some(true)),
            "{first}"
        );
    }
    let got = entries(&ha);
    // DASH: the generic camera holds the MPD, its entry loaded.
    assert_eq!(got["lobby"].0, "generic", "{got:?}");
    assert_eq!(
        options(&ha, &got["lobby"].1)["stream_source"],
        "http://127.0.0.52/dash/cam.mpd"
    );

    // The porch camera dies and is forgotten; its replacement (another MAC, another address)
    // is a new camera: a new entry, the old one left as camscan wrote it, and said.
    let forget = common::run(
        common::camscan_with_db(&db).args(["forget", "127.0.0.16"]),
        Duration::from_secs(30),
    );
    let said = common::stdout(&forget);
    assert!(forget.status.success(), "{}", common::stderr(&forget));
    assert!(
        said.contains("Left in homeassistant")
            && said.contains("porch")
            && said.contains("--prune"),
        "{said}"
    );
    record(
        &db,
        2,
        site(
            "127.0.0.11",
            "127.0.0.33",
            Some(rtsp("127.0.0.17", "02:00:5e:10:00:17", "porch")),
        ),
    );
    let (o, replaced) = push(&ha, &db, &ha.url, &[]);
    assert_eq!(o.status.code(), Some(0), "{replaced}\n{}", ha.log_tail(40));
    let (action, why, _) = step_of(&replaced, "porch");
    assert_eq!(action, "leave", "the old entry: {replaced}");
    assert!(why.contains("no longer in the inventory"), "{why}");
    assert_eq!(
        step_of(&replaced, "porch_2"),
        ("add".into(), "null null".into(), Some(true)),
        "{replaced}"
    );
    let now = entries(&ha);
    assert_eq!(now["porch"].1, got["porch"].1, "the old entry is its own");
    assert_eq!(
        options(&ha, &now["porch"].1)["stream_source"],
        "rtsp://127.0.0.16:8554/live"
    );
    assert_eq!(
        options(&ha, &now["porch_2"].1)["stream_source"],
        "rtsp://127.0.0.17:8554/live"
    );

    // The ONVIF camera moves, twice: each an update of its own entry, verified once Home
    // Assistant has reloaded it.
    let entity = "camera.yard_mainstream";
    assert_eq!(configuration_url(&ha, entity), "http://127.0.0.33:8000");
    for (n, yard) in [(3, "127.0.0.36"), (4, "127.0.0.37")] {
        record(&db, n, site("127.0.0.11", yard, None));
        let (o, moved) = push(&ha, &db, &ha.url, &[]);
        assert_eq!(o.status.code(), Some(0), "{moved}\n{}", ha.log_tail(40));
        let (action, why, verified) = step_of(&moved, "yard");
        assert_eq!(
            (action.as_str(), verified),
            ("update", Some(true)),
            "{moved}"
        );
        assert!(why.contains(&format!("→ {yard}")), "{why}");
        assert_eq!(
            configuration_url(&ha, entity),
            format!("http://{yard}:8000")
        );
        assert_eq!(entries(&ha)["yard"].1, got["yard"].1, "the same entry");
        // And the push after: nothing to do (never "a person's").
        let (_, after) = push(&ha, &db, &ha.url, &["--dry-run"]);
        assert_eq!(step_of(&after, "yard").0, "keep", "{after}");
    }

    // A person renames the front camera's entry: still camscan's, the title theirs; the camera
    // moves, and the entry follows it under the person's title.
    let front = got["front"].1.clone();
    let answers = ha.ws(&[json!({"type": "config_entries/update", "entry_id": front,
                                 "title": "Front door"})]);
    assert_eq!(answers[0]["success"], true, "{answers:?}");
    let (o, renamed) = push(&ha, &db, &ha.url, &[]);
    assert_eq!(o.status.code(), Some(0), "{renamed}");
    let (action, note, verified) = step_of(&renamed, "front");
    assert_eq!(
        (action.as_str(), verified),
        ("keep", Some(true)),
        "{renamed}"
    );
    assert!(note.contains("Front door"), "{note}");
    record(&db, 5, site("127.0.0.15", "127.0.0.37", None));
    let (o, moved) = push(&ha, &db, &ha.url, &[]);
    assert_eq!(o.status.code(), Some(0), "{moved}\n{}", ha.log_tail(40));
    let (action, _, verified) = step_of(&moved, "front");
    assert_eq!(
        (action.as_str(), verified),
        ("update", Some(true)),
        "{moved}"
    );
    let now = entries(&ha);
    assert_eq!(
        now["Front door"].1, front,
        "the person's title kept: {now:?}"
    );
    assert!(!now.contains_key("front"), "{now:?}");
    assert_eq!(
        options(&ha, &front)["stream_source"],
        "rtsp://127.0.0.15:8554/live"
    );

    // The person deletes it in Home Assistant: the next push adds it anew.
    let (status, body) = ha.api(
        "DELETE",
        &format!("/api/config/config_entries/entry/{front}"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let (o, back) = push(&ha, &db, &ha.url, &[]);
    assert_eq!(o.status.code(), Some(0), "{back}\n{}", ha.log_tail(40));
    let (action, note, verified) = step_of(&back, "front");
    assert_eq!((action.as_str(), verified), ("add", Some(true)), "{back}");
    assert!(note.contains("deleted in the tool"), "{note}");
    let now = entries(&ha);
    assert_ne!(now["front"].1, front, "a new entry: {now:?}");
    assert_eq!(
        options(&ha, &now["front"].1)["stream_source"],
        "rtsp://127.0.0.15:8554/live"
    );
}
