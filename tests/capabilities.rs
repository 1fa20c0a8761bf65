//! What the ONVIF API says a camera can do, against a real ONVIF implementation: PyPI `ipycam`
//! 1.3.0's ONVIF server (a virtual PTZ camera; `tests/lab/responders/ipycam_onvif.py` runs its own
//! handler on one address), found by PyPI WSDiscovery's responder, in the namespace lab of
//! `tests/lab/lab.sh`. camscan runs in the lab's scanner namespace only; the lab is torn down at the
//! end, also on failure. Needs root and the lab venv: `scripts/test`.
//!
//! ipycam lists device, media and PTZ services (no events), one PTZ node with generic spaces only
//! (no `TranslationSpaceFov`), `MoveStatus="true"` in the PTZ service capabilities and a
//! `MoveStatus` in GetStatus: so PTZ is read, Frigate's autotracking is not ready for want of the
//! FOV space, and no event service is asked.

mod common;

use std::time::Duration;

use common::netns::NsLab;
use common::{run, stderr, stdout};

/// The lab `PREFIX-*`, torn down when dropped (panics included).
/// The lab of `tests/lab/lab.sh` (without its GStreamer cameras).
fn lab() -> NsLab {
    NsLab::up("capabilities", "lab.sh", "cspz", &["0"])
}

#[test]
fn ipycam_ptz_read_from_its_onvif_api() {
    let mut lab = lab();
    let python = common::lab_python();
    let root = common::root_dir();
    let wsd = root.join("tests/lab/responders/wsd_responder.py");
    let ipycam = root.join("tests/lab/responders/ipycam_onvif.py");
    lab.serve_with(
        &python,
        "h1",
        &[
            ipycam.to_str().unwrap(),
            "198.18.0.11",
            "--port",
            "8000",
            "--user",
            "admin",
            "--password",
            "s3cret",
        ],
    );
    lab.serve_with(
        &python,
        "h1",
        &[
            wsd.to_str().unwrap(),
            "198.18.0.11",
            "http://198.18.0.11:8000/onvif/device_service",
            "onvif://www.onvif.org/type/video_encoder",
            "onvif://www.onvif.org/type/ptz",
            "onvif://www.onvif.org/Profile/Streaming",
            "onvif://www.onvif.org/Profile/T",
            "onvif://www.onvif.org/name/IPyCam",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds.txt");
    std::fs::write(&creds, "admin:s3cret\n").unwrap();
    let out = run(
        lab.camscan().args([
            "scan",
            "-f",
            "json",
            "-p",
            "8000",
            "--credentials",
            creds.to_str().unwrap(),
        ]),
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let cam = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ip"] == "198.18.0.11")
        .unwrap_or_else(|| panic!("no 198.18.0.11 in {report:#}"));
    let caps = &cam["capabilities"];
    assert_eq!(caps["version"], 1, "{caps:#}");
    // Services from GetServices, profiles from the WS-Discovery scopes (Streaming is S).
    assert_eq!(
        caps["onvif"]["services"],
        serde_json::json!(["device", "media", "ptz"]),
        "{caps:#}"
    );
    assert_eq!(caps["onvif"]["profiles"], serde_json::json!(["S", "T"]));
    let ptz = &caps["ptz"];
    assert_eq!(ptz["nodes"], 1, "{ptz:#}");
    assert_eq!(
        (&ptz["absolute"], &ptz["relative"], &ptz["continuous"]),
        (&true.into(), &true.into(), &true.into())
    );
    assert_eq!(ptz["fov_relative"], false);
    assert_eq!(ptz["home"], true);
    assert_eq!(ptz["presets"], 10);
    assert_eq!(
        ptz["spaces"],
        serde_json::json!([
            "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace",
            "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationGenericSpace",
            "http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace",
            "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace",
            "http://www.onvif.org/ver10/tptz/ZoomSpaces/TranslationGenericSpace",
            "http://www.onvif.org/ver10/tptz/ZoomSpaces/VelocityGenericSpace",
        ])
    );
    assert_eq!(
        ptz["move_status"], true,
        "GetStatus of Profile_Main holds MoveStatus"
    );
    assert_eq!(
        ptz["default_relative_space"],
        "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationGenericSpace"
    );
    assert_eq!(ptz["autotracking"]["ready"], false);
    assert_eq!(
        ptz["autotracking"]["reason"], "no FOV relative pan/tilt space (TranslationSpaceFov)",
        "MoveStatus is there (service capabilities and GetStatus): only the FOV space is missing"
    );
    assert!(
        caps.get("events").is_none(),
        "ipycam lists no event service: {caps:#}"
    );
    // The optional calls leave no failure behind.
    let errors = cam["errors"].as_array().cloned().unwrap_or_default();
    assert!(
        !errors.iter().any(|e| e.to_string().contains("ptz")),
        "{errors:?}"
    );
}
