//! Frigate configuration: a whole `config.yml` Frigate starts on as written: `mqtt:`, `cameras:`
//! (and with `--frigate-restream` a `go2rtc:` section).
//!
//! What Frigate expects (blakeblackshear/frigate, read at commit
//! e3fa70189324e5eb3b1dba756c153f6696f457de on dev and at its release v0.17.2; `scripts/check-exports`
//! loads the exports with Frigate's own `FrigateConfig.load` from both):
//! * `frigate/config/config.py`: `mqtt: MqttConfig` has no default, so a config without `mqtt:`
//!   fails with "mqtt / Field required"; `mqtt: {enabled: false}` (`frigate/config/mqtt.py`) is
//!   the smallest valid one.
//! * `frigate/config/camera/record.py`: `record.enabled` defaults to false, and a `record` role
//!   then records nothing; so each camera with the role gets `record: {enabled: true}`.
//! * Frigate records H.264/H.265 into MP4 segments by copying (`preset-record-generic`,
//!   `frigate/ffmpeg_presets.py`); an MJPEG camera needs `preset-record-mjpeg` (an H.264 encode) as
//!   its record output, or, with the restream, go2rtc's `ffmpeg:<url>#video=h264`
//!   (`docs/docs/configuration/camera_specific.md`, "MJPEG Cameras").
//! * `frigate/config/camera/ffmpeg.py` `apple_compatibility`: "Set tag on HEVC (H.265) recording
//!   stream to improve compatibility with Apple players"; set where the record stream is H.265.
//! * Camera names match `^[a-zA-Z0-9_-]+$` (`frigate/const.py` `REGEX_CAMERA_NAME`); see
//!   [`super::names`](mod@super::names). `friendly_name` (`frigate/config/camera/camera.py`) carries the device's own
//!   name for the UI.
//! * `docs/docs/configuration/cameras.md`: each camera lists `ffmpeg.inputs`, each with a `path`
//!   and `roles`; "Each role can only be assigned to one input per camera", and
//!   `frigate/config/camera/ffmpeg.py` refuses a camera without the `detect` role. The main stream
//!   records; a sub stream detects when it suits detection, else the main stream does both.
//! * `docs/docs/frigate/camera_setup.md` ("Choosing a detect resolution"): the detector sees 320x320
//!   crops, and higher resolutions do not improve accuracy; a sub stream qualifies when its larger
//!   side is at least 640 and its smaller side at most 1080 (a 352x288 CIF sub stream is too small
//!   to find people in; a 4K one costs decoding for nothing): [`detect_capable`](model::roles::detect_capable).
//! * `detect.width`/`height`: the detect stream's size, measured by the PLAY check or described
//!   (`frigate/config/camera/detect.py`: both or neither), and `detect.fps: 5`: "The default of **5**
//!   is correct for the vast majority of cameras" (`camera_setup.md`, "Choosing a detect frame
//!   rate"; the reference config: "Recommended value of 5"). `detect.enabled` defaults to false in
//!   `detect.py`, so it is set.
//! * Input presets (`docs/docs/configuration/ffmpeg_presets.md`): RTSP needs none
//!   (`preset-rtsp-generic` is the default), `preset-rtsp-udp` for a camera that only speaks RTSP
//!   over UDP (camscan's PLAY check fell back to UDP), `preset-rtmp-generic`, and
//!   `preset-http-mjpeg-generic`; `preset-rtsp-restream` for an input from go2rtc's restream.
//! * Passwords: `docs/docs/configuration/config.md` ("Environment Variable Substitution"): Frigate
//!   substitutes `{FRIGATE_*}` only, e.g. `rtsp://{FRIGATE_RTSP_USER}:{FRIGATE_RTSP_PASSWORD}@...`
//!   in an input path; `frigate/config/env.py` keeps only environment variables (and Docker secrets)
//!   whose names start with `FRIGATE_`. So passwords are written `{FRIGATE_<NAME>_PASSWORD}`.
//! * PTZ (`frigate/config/camera/onvif.py` `OnvifConfig`: `host`, `port` (default 8000), `user`,
//!   `password` (both `EnvString`, so `{FRIGATE_*}` references work), `autotracking`): a camera
//!   whose ONVIF PTZ service answered camscan gets an `onvif:` block with its device service's
//!   host and port, and the stream's user name and password reference. `autotracking` appears only
//!   where camscan found the camera ready for it ([`model::capabilities::Ptz`]), and
//!   disabled: `frigate/config/config.py` `verify_autotrack_zones` refuses `enabled: true` without
//!   `required_zones`, which name zones of the user's own drawing.
//! * `--frigate-restream` (`docs/docs/configuration/restream.md`, "With Sub Stream"): go2rtc
//!   streams under the camera's name (and `<name>_sub` for the stream that detects), inputs
//!   `rtsp://127.0.0.1:8554/<name>` with `input_args: preset-rtsp-restream`. The `go2rtc:` section
//!   holds the same sources as the go2rtc export ([`super::go2rtc`]) but with `{FRIGATE_*}`
//!   references: Frigate formats each go2rtc source with Python's `str.format` over its `FRIGATE_`
//!   variables (`docker/main/rootfs/usr/local/go2rtc/create_config.py`), where go2rtc's own
//!   `${...}` would stop it with "Invalid substitution".

use std::io::{self, Write};

use serde_yaml::{Mapping, Value};

use super::cameras::{self, Camera, Tool};
use super::go2rtc::{password_comments, skipped_comment, source, streams};
use super::names::Style;
use super::{Exporter, config_header, one_line, yaml};
use input::setting::{Repeat, SWITCH, Setting, switch};
use model::{Protocol, Report, Stream};

/// Frigate's ffmpeg inputs with an input preset for each: RTSP (the default preset), RTMP
/// (`preset-rtmp-generic`) and MJPEG (`preset-http-mjpeg-generic`), per
/// `docs/docs/configuration/ffmpeg_presets.md`.
pub const TOOL: Tool = Tool {
    accepts: &[Protocol::Rtsp, Protocol::Rtmp, Protocol::Mjpeg],
};

pub struct FrigateExporter {
    /// Inputs from go2rtc's restream, with a `go2rtc:` section (`--frigate-restream`).
    pub restream: bool,
    /// With the restream: let go2rtc take talk-back channels (`--backchannel`).
    pub backchannel: bool,
}

pub use model::roles::DETECT_FPS;

/// `--frigate-restream` (config `frigate_restream:`); push's help line is push's
/// (`push::tools::FORMAT_OPTIONS`).
pub static RESTREAM: Setting<bool> = Setting {
    key: "frigate_restream",
    flag: "--frigate-restream",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_FRIGATE_RESTREAM",
    value_name: SWITCH,
    help: "With --format frigate: a go2rtc section too, and camera inputs from go2rtc's restream \
           (rtsp://127.0.0.1:8554/NAME) instead of straight from each camera",
    default: false,
    choices: None,
    parse: switch,
};

/// go2rtc's restream inside Frigate, on Frigate's own host (`restream.md`).
const RESTREAM_URL: &str = "rtsp://127.0.0.1:8554";

/// Frigate's reference to a device's password variable.
fn reference(env_key: &str) -> String {
    format!("{{FRIGATE_{env_key}_PASSWORD}}")
}

/// The sub stream when it detects, else `None` (the main stream does both roles): the
/// capability sheet's rule ([`model::roles::detecting_sub`]).
fn detect_sub<'a>(cam: &Camera<'a>) -> Option<&'a Stream> {
    model::roles::detecting_sub(cam.sub)
}

/// The input preset for a stream taken straight from the camera.
fn input_args(s: &Stream) -> Option<&'static str> {
    match s.protocol {
        Protocol::Rtsp if s.measured.as_ref().is_some_and(|m| m.transport == "udp") => {
            Some("preset-rtsp-udp")
        }
        Protocol::Rtsp => None,
        Protocol::Rtmp => Some("preset-rtmp-generic"),
        Protocol::Mjpeg => Some("preset-http-mjpeg-generic"),
        _ => None,
    }
}

fn key(s: &str) -> Value {
    Value::String(s.into())
}

fn input(path: String, args: Option<&str>, roles: &[&str]) -> Value {
    let mut m = Mapping::new();
    m.insert(key("path"), Value::String(path));
    if let Some(a) = args {
        m.insert(key("input_args"), key(a));
    }
    m.insert(
        key("roles"),
        Value::Sequence(roles.iter().map(|r| key(r)).collect()),
    );
    Value::Mapping(m)
}

impl FrigateExporter {
    fn camera(&self, cam: &Camera<'_>) -> Value {
        let pass = reference(&cam.names.env_key());
        self.camera_entry(
            cam,
            &cam.names.camera(Style::Underscore),
            &cam.names.sub(Style::Underscore),
            &pass,
            &pass,
        )
    }

    /// The camera's `cameras:` entry under `name` (its restream's sub stream `sub_name`), with
    /// `pass_url` where a URL takes its password (a reference, or the password URL-encoded) and
    /// `pass_raw` in `onvif.password`. What the export writes and `camscan push` sends.
    pub fn camera_entry(
        &self,
        cam: &Camera<'_>,
        name: &str,
        sub_name: &str,
        pass_url: &str,
        pass_raw: &str,
    ) -> Value {
        let pass = pass_url;
        let sub = detect_sub(cam);
        let direct = |s: &Stream| {
            (
                cameras::for_ffmpeg(&cameras::stream_url(s, Some(pass))),
                input_args(s),
            )
        };
        let (main_path, main_args) = if self.restream {
            (
                format!("{RESTREAM_URL}/{name}"),
                Some("preset-rtsp-restream"),
            )
        } else {
            direct(cam.main)
        };
        // What the record role receives: go2rtc's restream turns MJPEG into H.264 (see
        // `restream_source`); straight from the camera, MJPEG is encoded by Frigate's own
        // `preset-record-mjpeg` output.
        let record_mjpeg = !self.restream && cameras::is_mjpeg(cam.main);
        let record_h265 = cameras::is_h265(cam.main);
        let mut inputs = Vec::new();
        match sub {
            Some(s) => {
                inputs.push(input(main_path, main_args, &["record"]));
                let (path, args) = if self.restream {
                    (
                        format!("{RESTREAM_URL}/{sub_name}"),
                        Some("preset-rtsp-restream"),
                    )
                } else {
                    direct(s)
                };
                inputs.push(input(path, args, &["detect"]));
            }
            None => inputs.push(input(main_path, main_args, &["detect", "record"])),
        }
        let mut ffmpeg = Mapping::new();
        ffmpeg.insert(key("inputs"), Value::Sequence(inputs));
        if record_mjpeg {
            let mut output = Mapping::new();
            output.insert(key("record"), key("preset-record-mjpeg"));
            ffmpeg.insert(key("output_args"), Value::Mapping(output));
        }
        if record_h265 {
            ffmpeg.insert(key("apple_compatibility"), Value::Bool(true));
        }
        let mut detect = Mapping::new();
        detect.insert(key("enabled"), Value::Bool(true));
        if let Some((w, h)) = cameras::size(sub.unwrap_or(cam.main)) {
            detect.insert(key("width"), Value::Number(w.into()));
            detect.insert(key("height"), Value::Number(h.into()));
        }
        detect.insert(key("fps"), Value::Number(DETECT_FPS.into()));
        let mut record = Mapping::new();
        record.insert(key("enabled"), Value::Bool(true));
        let mut m = Mapping::new();
        let friendly = cam.device.name.as_deref().map(one_line).unwrap_or_default();
        if !friendly.is_empty() {
            m.insert(key("friendly_name"), Value::String(friendly));
        }
        m.insert(key("ffmpeg"), Value::Mapping(ffmpeg));
        m.insert(key("detect"), Value::Mapping(detect));
        m.insert(key("record"), Value::Mapping(record));
        if let Some(onvif) = onvif_block(cam, pass_raw) {
            m.insert(key("onvif"), onvif);
        }
        Value::Mapping(m)
    }
}

/// The camera's PTZ facts, when its ONVIF PTZ service answered and it is the device's first
/// channel (an NVR's other channels are cameras behind it).
fn ptz<'a>(cam: &Camera<'a>) -> Option<&'a model::capabilities::Ptz> {
    (cameras::channel(&cam.main.url) == 1)
        .then_some(())
        .and(cam.device.capabilities.ptz.as_ref())
}

/// The `onvif:` block of a PTZ camera (see the module docs).
fn onvif_block(cam: &Camera<'_>, pass: &str) -> Option<Value> {
    let p = ptz(cam)?;
    let service = cameras::onvif_service(cam.device)?;
    let mut m = Mapping::new();
    m.insert(key("host"), Value::String(service.host));
    m.insert(key("port"), Value::Number(service.port.into()));
    // `cameras.md`: "If your ONVIF camera does not require authentication credentials, you may
    // still need to specify an empty string for `user` and `password`".
    // Under --show-credentials the stream's URL carries them (percent-encoded).
    let shown = cameras::userinfo(&cam.main.url).and_then(|info| {
        let (u, p) = info.split_once(':')?;
        Some((model::percent_decode(u), model::percent_decode(p)))
    });
    let (user, password) = match (&cam.main.username, shown) {
        (_, Some((u, p))) => (u, env_literal(&p)),
        (Some(user), None) if cameras::needs_password(cam.main) => {
            (one_line(user), pass.to_string())
        }
        _ => (String::new(), String::new()),
    };
    m.insert(key("user"), Value::String(user));
    m.insert(key("password"), Value::String(password));
    if p.autotracking.ready {
        let mut a = Mapping::new();
        a.insert(key("enabled"), Value::Bool(false));
        m.insert(key("autotracking"), Value::Mapping(a));
    }
    Some(Value::Mapping(m))
}

/// `s` as an `EnvString` of Frigate's reads it back: `onvif.host`, `user` and `password` go
/// through Python's `str.format(**FRIGATE_ENV_VARS)` when the config is validated
/// (`frigate/config/env.py` l.18-22 `validate_env_string`, at v0.17.2, commit 3d4dd3ac;
/// `frigate/config/camera/onvif.py` l.75-78), so a password with `{x}` in it is a KeyError and a
/// lone `{` a ValueError: Frigate refuses the whole file (`config_set`, 400 "Error parsing
/// config"). Braces doubled are the literal braces. Not for a `{FRIGATE_*}` reference, and not
/// needed in URLs, whose userinfo is percent-encoded (`{` as `%7B`).
pub fn env_literal(s: &str) -> String {
    s.replace('{', "{{").replace('}', "}}")
}

/// What the header says of PTZ cameras: which have an `onvif:` block, which are ready for
/// autotracking and how to turn it on, and why the others are not.
fn ptz_comments(cams: &[Camera<'_>]) -> String {
    let mut ready = Vec::new();
    let mut not = Vec::new();
    for cam in cams {
        let Some(p) = ptz(cam).filter(|_| cameras::onvif_service(cam.device).is_some()) else {
            continue;
        };
        let name = cam.names.camera(Style::Underscore);
        if p.autotracking.ready {
            ready.push(name);
        } else {
            not.push(format!("{name}: {}", one_line(&p.autotracking.reason)));
        }
    }
    let mut text = String::new();
    if !ready.is_empty() {
        text.push_str(&format!(
            "# PTZ autotracking ready ({}): draw a zone, name it in\n\
             # onvif.autotracking.required_zones, then set enabled: true.\n",
            ready.join(", ")
        ));
    }
    for n in not {
        text.push_str(&format!("# PTZ without autotracking: {n}\n"));
    }
    text
}

/// The camera's streams in Frigate's `go2rtc:` section (`--frigate-restream`) under `name` and
/// `sub_name`, with `pass` where a URL takes its password: what `camscan push` sends beside the
/// camera.
pub fn restream_streams(
    cam: &Camera<'_>,
    name: &str,
    sub_name: &str,
    pass: &str,
    backchannel: bool,
) -> Vec<(String, Value)> {
    super::go2rtc::camera_streams(cam, name, sub_name, pass, &restream_source, backchannel)
}

/// A stream's source in the `go2rtc:` section: as the go2rtc export writes it, but an MJPEG
/// stream through go2rtc's ffmpeg source encoded to H.264, as Frigate's docs give it
/// (`docs/docs/configuration/camera_specific.md`, "MJPEG Cameras":
/// `ffmpeg:http://your_mjpeg_stream_url#video=h264`), so the restream can be recorded.
fn restream_source(s: &Stream, password: &str) -> String {
    if cameras::is_mjpeg(s) {
        format!(
            "ffmpeg:{}#video=h264",
            cameras::stream_url(s, Some(password))
        )
    } else {
        source(s, password)
    }
}

impl Exporter for FrigateExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let plan = cameras::plan(report, TOOL);
        let mut text = config_header("Frigate configuration", report);
        text.push_str(
            "# A complete config.yml Frigate starts on as written: MQTT off (Frigate requires an mqtt:\n\
             # section; for Home Assistant's Frigate integration set enabled: true and host: your\n\
             # broker), each camera detecting and recording (record.enabled) with the roles below.\n",
        );
        let needed = password_comments(&plan.cameras, "FRIGATE_");
        if !needed.is_empty() {
            text.push_str(
                "# REQUIRED: Frigate fills {FRIGATE_*} from its environment (docker -e, compose\n\
                 # environment:, or Docker secrets) and refuses to start (KeyError) when one is unset.\n\
                 # Set each of these to the camera's URL-encoded password (p@ss as p%40ss):\n",
            );
            text.push_str(&needed);
        }
        // The names of the cameras whose main stream is of a kind the header has a word for.
        let named = |kind: fn(&Stream) -> bool| -> Vec<String> {
            plan.cameras
                .iter()
                .filter(|c| kind(c.main))
                .map(|c| c.names.camera(Style::Underscore))
                .collect()
        };
        let mjpeg = named(cameras::is_mjpeg);
        if !mjpeg.is_empty() {
            let how = if self.restream {
                "go2rtc's ffmpeg source encodes them to H.264 for the restream"
            } else {
                "Frigate's preset-record-mjpeg encodes them to H.264 (CPU heavy; camscan\n\
                 # --frigate-restream lets go2rtc do it)"
            };
            text.push_str(&format!(
                "# MJPEG cameras ({}): Frigate records only H.264/H.265 into MP4;\n# {how}.\n",
                mjpeg.join(", ")
            ));
        }
        let h265 = named(cameras::is_h265);
        if !h265.is_empty() {
            text.push_str(&format!(
                "# H.265 recordings ({}): ffmpeg.apple_compatibility tags them so Safari and\n\
                 # Apple devices play them; other browsers may not play H.265 at all.\n",
                h265.join(", ")
            ));
        }
        text.push_str(&ptz_comments(&plan.cameras));
        text.push_str(&skipped_comment(
            &plan.skipped,
            "no stream Frigate can read",
        ));
        let mut doc = Mapping::new();
        let mut mqtt = Mapping::new();
        mqtt.insert(key("enabled"), Value::Bool(false));
        doc.insert(key("mqtt"), Value::Mapping(mqtt));
        if self.restream {
            let mut go2rtc = Mapping::new();
            go2rtc.insert(
                key("streams"),
                Value::Mapping(streams(
                    &plan.cameras,
                    &reference,
                    &restream_source,
                    self.backchannel,
                )),
            );
            doc.insert(key("go2rtc"), Value::Mapping(go2rtc));
        }
        let mut cams = Mapping::new();
        for cam in &plan.cameras {
            cams.insert(
                Value::String(cam.names.camera(Style::Underscore)),
                self.camera(cam),
            );
        }
        doc.insert(key("cameras"), Value::Mapping(cams));
        text.push_str(&yaml::block(&Value::Mapping(doc)));
        out.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::export_report;
    use model::roles::detect_capable;

    fn render(report: &Report, restream: bool) -> String {
        let mut out = Vec::new();
        FrigateExporter {
            restream,
            backchannel: false,
        }
        .write(report, &mut out)
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&export_report(), false));
    }

    #[test]
    fn snapshot_restream() {
        insta::assert_snapshot!(render(&export_report(), true));
    }

    #[test]
    fn detect_rule() {
        assert!(detect_capable((640, 360)));
        assert!(detect_capable((704, 576)));
        assert!(detect_capable((1920, 1080)));
        assert!(detect_capable((1080, 1920)), "portrait");
        assert!(!detect_capable((352, 288)), "CIF is too small");
        assert!(!detect_capable((3840, 2160)), "4K costs for nothing");
        assert!(!detect_capable((639, 480)));
    }

    /// One input: path, roles, input_args.
    type Input = (String, Vec<String>, Option<String>);

    /// Each camera's name, inputs and `detect` section.
    fn cameras(text: &str) -> Vec<(String, Vec<Input>, Value)> {
        let doc: Value = serde_yaml::from_str(text).unwrap();
        doc["cameras"]
            .as_mapping()
            .unwrap()
            .iter()
            .map(|(name, cam)| {
                let inputs = cam["ffmpeg"]["inputs"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(|i| {
                        (
                            i["path"].as_str().unwrap().to_string(),
                            i["roles"]
                                .as_sequence()
                                .unwrap()
                                .iter()
                                .map(|r| r.as_str().unwrap().to_string())
                                .collect(),
                            i.get("input_args").map(|a| a.as_str().unwrap().to_string()),
                        )
                    })
                    .collect();
                (
                    name.as_str().unwrap().to_string(),
                    inputs,
                    cam["detect"].clone(),
                )
            })
            .collect()
    }

    #[test]
    fn roles_sizes_presets_and_references() {
        let text = render(&export_report(), false);
        let cams = cameras(&text);
        let get = |n: &str| cams.iter().find(|c| c.0 == n).unwrap();
        let door = get("front_door");
        assert_eq!(
            door.1,
            [
                (
                    "rtsp://admin:{FRIGATE_FRONT_DOOR_PASSWORD}@198.18.0.50:554/Streaming/Channels/101"
                        .into(),
                    vec!["record".to_string()],
                    None
                ),
                (
                    "rtsp://admin:{FRIGATE_FRONT_DOOR_PASSWORD}@198.18.0.50:554/Streaming/Channels/102"
                        .into(),
                    vec!["detect".to_string()],
                    None
                ),
            ]
        );
        assert_eq!(
            (
                door.2["width"].as_u64(),
                door.2["height"].as_u64(),
                door.2["fps"].as_u64()
            ),
            (Some(640), Some(360), Some(5))
        );
        // A CIF sub stream does not detect: the main stream does both, at its own size.
        let garage = get("garage_198_18_0_60");
        assert_eq!(garage.1.len(), 1);
        assert_eq!(garage.1[0].1, ["detect", "record"]);
        assert_eq!(garage.2["width"].as_u64(), Some(1920));
        assert_eq!(
            get("garage_198_18_0_61").1[0].2.as_deref(),
            Some("preset-rtmp-generic")
        );
        assert_eq!(get("on").1[0].2.as_deref(), Some("preset-rtsp-udp"));
        assert_eq!(
            (
                get("on").2["width"].as_u64(),
                get("on").2["height"].as_u64()
            ),
            (Some(640), Some(480)),
            "the measured size"
        );
        assert!(
            cams.iter().all(|c| c.0 != "entree_cafe"),
            "HLS is no Frigate input"
        );
        assert!(
            text.contains("# Skipped (no stream Frigate can read): 198.18.0.30, 198.18.0.70\n")
        );
        assert!(text.contains("#   FRIGATE_FRONT_DOOR_PASSWORD\n"));
        assert!(
            !text.contains("${"),
            "no go2rtc references in Frigate's config"
        );
    }

    /// Frigate's rules for a camera (see the module docs).
    fn check_rules(text: &str) {
        for (name, inputs, detect) in cameras(text) {
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
                "{name}"
            );
            let roles: Vec<&String> = inputs.iter().flat_map(|i| &i.1).collect();
            let mut unique = roles.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(roles.len(), unique.len(), "{name}: a role twice");
            assert!(
                roles.iter().any(|r| *r == "detect"),
                "{name}: no detect role"
            );
            assert_eq!(detect["fps"].as_u64(), Some(DETECT_FPS));
            assert_eq!(detect["width"].is_null(), detect["height"].is_null());
            if inputs.len() == 2 {
                let (w, h) = (
                    detect["width"].as_u64().unwrap(),
                    detect["height"].as_u64().unwrap(),
                );
                assert!(detect_capable((w as u32, h as u32)), "{name}: {w}x{h}");
            }
        }
    }

    #[test]
    fn rules_and_the_docs_examples() {
        use crate::doc_examples::{conforms, example, go2rtc_errors};
        // Frigate's `go2rtc:` section is go2rtc's own configuration (restream.md: "see go2rtc
        // docs"), so go2rtc's example counts there too.
        let mut go2rtc = Mapping::new();
        go2rtc.insert(key("go2rtc"), example("go2rtc/rtsp-client-example.yaml"));
        let docs = [
            example("frigate/cameras-example.yaml"),
            example("frigate/restream-sub-stream-example.yaml"),
            example("frigate/onvif-ptz-example.yaml"),
            Value::Mapping(go2rtc),
        ];
        // Documented elsewhere: friendly_name (frigate/config/camera/camera.py), detect.enabled,
        // detect.fps, record.enabled, ffmpeg.output_args.record, ffmpeg.apple_compatibility and
        // mqtt.enabled (docs/docs/configuration/reference.md); onvif.autotracking.enabled
        // (docs/docs/configuration/autotracking.md, frigate/config/camera/onvif.py).
        let extra = [
            "mqtt",
            "mqtt/enabled",
            "cameras/*/friendly_name",
            "cameras/*/detect/enabled",
            "cameras/*/detect/fps",
            "cameras/*/record",
            "cameras/*/record/enabled",
            "cameras/*/ffmpeg/output_args",
            "cameras/*/ffmpeg/output_args/record",
            "cameras/*/ffmpeg/apple_compatibility",
            "cameras/*/onvif/autotracking",
            "cameras/*/onvif/autotracking/enabled",
        ];
        for restream in [false, true] {
            let text = render(&export_report(), restream);
            check_rules(&text);
            let doc: Value = serde_yaml::from_str(&text).unwrap();
            assert_eq!(
                conforms(&doc, &docs, &["cameras", "go2rtc/streams"], &extra),
                Ok(()),
                "restream: {restream}"
            );
            if restream {
                assert_eq!(go2rtc_errors(&doc["go2rtc"]), Vec::<String>::new());
            }
        }
    }

    #[test]
    fn an_onvif_block_for_ptz_cameras_and_autotracking_only_when_ready() {
        let mut report = export_report();
        let doc: Value = serde_yaml::from_str(&render(&report, false)).unwrap();
        let onvif = &doc["cameras"]["front_door"]["onvif"];
        assert_eq!(onvif["host"], key("198.18.0.50"));
        assert_eq!(onvif["port"].as_u64(), Some(80));
        assert_eq!(onvif["password"], key("{FRIGATE_FRONT_DOOR_PASSWORD}"));
        assert_eq!(onvif["autotracking"]["enabled"], Value::Bool(false));
        assert!(doc["cameras"]["garage_198_18_0_60"]["onvif"].is_null());
        // Not ready: the block stays (PTZ from the UI), autotracking goes, the header says why.
        let door = report
            .devices
            .iter_mut()
            .find(|d| d.name.as_deref() == Some("Front Door"))
            .unwrap();
        let ptz = door.capabilities.ptz.as_mut().unwrap();
        ptz.autotracking.ready = false;
        ptz.autotracking.reason = "no TranslationSpaceFov relative move".into();
        let text = render(&report, false);
        let doc: Value = serde_yaml::from_str(&text).unwrap();
        assert!(doc["cameras"]["front_door"]["onvif"]["autotracking"].is_null());
        assert!(
            text.contains("# PTZ without autotracking: front_door: no TranslationSpaceFov"),
            "{text}"
        );
        // No PTZ: no block.
        report
            .devices
            .iter_mut()
            .for_each(|d| d.capabilities.ptz = None);
        let doc: Value = serde_yaml::from_str(&render(&report, false)).unwrap();
        assert!(doc["cameras"]["front_door"]["onvif"].is_null());
    }

    #[test]
    fn restream_through_go2rtc() {
        let text = render(&export_report(), true);
        let doc: Value = serde_yaml::from_str(&text).unwrap();
        let streams = doc["go2rtc"]["streams"].as_mapping().unwrap();
        // No onvif:// source: it would resolve to the main stream's URL, already the source.
        assert_eq!(
            streams["front_door"],
            key(
                "rtsp://admin:{FRIGATE_FRONT_DOOR_PASSWORD}@198.18.0.50:554/Streaming/Channels/101#backchannel=0"
            )
        );
        // An MJPEG camera reaches Frigate as H.264, encoded by go2rtc's ffmpeg source.
        assert_eq!(
            streams["on"],
            key("ffmpeg:rtsp://198.18.0.40:8554/live?ch=1&sub=0#video=h264")
        );
        assert_eq!(
            streams["front_door_sub"],
            key(
                "rtsp://admin:{FRIGATE_FRONT_DOOR_PASSWORD}@198.18.0.50:554/Streaming/Channels/102#backchannel=0"
            )
        );
        // The CIF sub stream is a go2rtc stream of its own (for live view) that Frigate does not
        // read: nothing detects on it.
        assert!(streams["garage_198_18_0_60"].is_string());
        assert!(streams.contains_key("garage_198_18_0_60_sub"));
        assert!(!text.contains("127.0.0.1:8554/garage_198_18_0_60_sub"));
        let cams = cameras(&text);
        for (name, inputs, _) in &cams {
            for (path, roles, args) in inputs {
                assert_eq!(args.as_deref(), Some("preset-rtsp-restream"));
                let stream = path.strip_prefix("rtsp://127.0.0.1:8554/").unwrap();
                assert!(streams.contains_key(stream), "{stream}");
                if roles == &["detect"] {
                    assert_eq!(stream, format!("{name}_sub"));
                } else {
                    assert_eq!(stream, name);
                }
            }
        }
        // Every go2rtc source is one Frigate can format: only {FRIGATE_*} braces.
        for v in streams.values() {
            let all: Vec<&str> = match v {
                Value::String(s) => vec![s],
                Value::Sequence(l) => l.iter().map(|v| v.as_str().unwrap()).collect(),
                _ => panic!(),
            };
            for s in all {
                let rest = s.replace("{FRIGATE_", "");
                assert!(!rest.contains('{') && !s.contains('$'), "{s}");
            }
        }
    }
}
