//! camscan against a real Home Assistant (PyPI `homeassistant` 2025.4.4 in `target/ha-venv`, made
//! by `scripts/test`), run by `common::homeassistant` in a network namespace that has only its
//! loopback, with the cameras it opens beside it. Needs root (`ip netns`).

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
