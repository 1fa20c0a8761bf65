//! go2rtc configuration: a `streams:` map from a camera's name to its sources, to paste into
//! `go2rtc.yaml` (or load with `go2rtc -config`).
//!
//! What go2rtc expects (AlexxIT/go2rtc, read at its release v1.9.14, commit
//! dc1685e9cf7a8c349181f20a1b4a44825ed394c5 or later):
//! * `www/schema.json`: `streams` is an object whose values are one source string, a list of
//!   them, or null; the vendored copy in `tests/fixtures/go2rtc/` checks every export, and
//!   `tests/exports.rs` checks each source's scheme against the handlers go2rtc registers.
//! * A stream's sources are alternatives, not a menu: go2rtc gives each client the first source
//!   whose codecs it can take (`internal/streams/add_consumer.go` walks the producers in order),
//!   so a second H.264 source in one list is never chosen. The sub stream is therefore a stream
//!   of its own, `<name>_sub` (as Frigate's restream docs name it). `#transport=udp` after an
//!   RTSP URL makes go2rtc's RTSP client SETUP over UDP (`internal/rtsp/rtsp.go`), which a camera
//!   that refused RTSP over TCP needs (camscan's PLAY check measured it over UDP).
//! * HLS and DASH: go2rtc's HTTP source reads HLS only with MPEG-TS segments and only its first
//!   variant (`pkg/hls/reader.go`, `pkg/hls/producer.go` `mpegts.Open`), and has no DASH reader,
//!   so both are written as its `ffmpeg:` source (`internal/ffmpeg/ffmpeg.go`: an `http` input,
//!   `-c copy` when no codec is asked for), which reads fMP4 HLS (H.265) and DASH too.
//! * `internal/onvif/README.md`: the ONVIF source is `onvif://user:pass@host:port?subtype=`;
//!   `pkg/onvif/client.go` `GetURI` reads a number there as an index into GetProfiles and anything
//!   else as the profile token (the first profile without one), and dials that profile's RTSP URI.
//!   It is written only where the device's ONVIF service answered camscan (it listed profiles: a
//!   device whose service refused the connection never can), and only when that profile's URI is
//!   not already a source of the camera (it would add the same stream again).
//! * `pkg/creds/creds.go` `ReplaceVars`, called on the config file's text before it is parsed
//!   (`internal/app/config.go`): `${NAME}` and `${NAME:default}` are replaced from go2rtc's `env:`
//!   section, `$CREDENTIALS_DIRECTORY/NAME` (systemd credentials) or the environment. So a
//!   password is written as `${CAMSCAN_<NAME>_PASSWORD}` and never appears in the file. The value
//!   goes into the URL as it is, so it must be URL-encoded (`p@ss` as `p%40ss`), as Frigate's
//!   restream docs say of go2rtc ("Handling Complex Passwords").
//!
//! * Talk-back: go2rtc's RTSP client asks every RTSP source for the ONVIF backchannel and holds it
//!   while the stream runs; `#backchannel=0` after the URL turns that off (go2rtc's README,
//!   "Source: RTSP": "Amcrest Doorbell users may want to disable two-way audio, because with an
//!   active stream you won't have a call button working"; Frigate's go2rtc docs say the same of
//!   Reolink and Dahua doorbells). So camscan writes `#backchannel=0` on the RTSP and ONVIF sources
//!   of every camera that has talk-back or was not asked, unless `--backchannel`; then the main
//!   stream's source keeps it (go2rtc plays talk-back to it) and the sub stream's is still off, so
//!   one session holds it. A camera camscan found without talk-back gets nothing.
//!
//! Streams are named by [`super::names`](mod@super::names) (`Style::Underscore`).

use std::io::{self, Write};

use serde_yaml::{Mapping, Value};

use super::cameras::{self, Camera, Tool};
use super::names::Style;
use super::{Exporter, config_header, yaml};
use input::setting::{Repeat, SWITCH, Setting, switch};
use model::{Device, Protocol, Report, Stream};

/// go2rtc sources: `rtsp://`, `rtmp://`, `http://` for MJPEG, HTTP-FLV and MPEG-TS (go2rtc
/// `internal/http/http.go` tells the format from Content-Type), and `ffmpeg:` for HLS and DASH.
pub const TOOL: Tool = Tool {
    accepts: &[
        Protocol::Rtsp,
        Protocol::Rtmp,
        Protocol::Mjpeg,
        Protocol::Flv,
        Protocol::Ts,
        Protocol::Hls,
        Protocol::Dash,
    ],
};

pub struct Go2rtcExporter {
    /// Let go2rtc take the talk-back channel (`--backchannel`; see the module docs).
    pub backchannel: bool,
}

/// `--backchannel` (config `backchannel:`): go2rtc's sources, this export's and Frigate's
/// restream ([`super::frigate`]).
/// Push's help line is push's (`push::tools::FORMAT_OPTIONS`).
pub static BACKCHANNEL: Setting<bool> = Setting {
    key: "backchannel",
    flag: "--backchannel",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_BACKCHANNEL",
    value_name: SWITCH,
    help: "With --format go2rtc (and frigate --frigate-restream): let go2rtc take the talk-back \
           channel of cameras that have one. Off by default: while go2rtc holds it, some \
           doorbells lose their call button and other clients their two-way audio \
           (`#backchannel=0`)",
    default: false,
    choices: None,
    parse: switch,
};

/// go2rtc's option that keeps its RTSP client off a camera's backchannel.
const BACKCHANNEL_OFF: &str = "#backchannel=0";

/// Whether a source of `d` gets [`BACKCHANNEL_OFF`]: an RTSP or ONVIF source, of a camera not
/// known to lack talk-back, unless the user let go2rtc take it on this (the main) source.
fn backchannel_off(d: &Device, source: &str, take_it: bool) -> bool {
    let rtsp = source.starts_with("rtsp://")
        || source.starts_with("rtsps://")
        || source.starts_with("onvif://");
    let lacks = d
        .capabilities
        .talkback
        .as_ref()
        .is_some_and(|t| !t.supported);
    rtsp && !lacks && !take_it
}

/// go2rtc's reference to a device's password variable.
fn reference(env_key: &str) -> String {
    format!("${{CAMSCAN_{env_key}_PASSWORD}}")
}

/// The go2rtc source for one stream; `password` is the reference to put in its URL.
pub(super) fn source(s: &Stream, password: &str) -> String {
    let mut url = cameras::stream_url(s, Some(password));
    if matches!(s.protocol, Protocol::Hls | Protocol::Dash) {
        // go2rtc's own HLS reader takes MPEG-TS segments only, DASH none: ffmpeg reads both.
        return format!("ffmpeg:{url}");
    }
    if cameras::rtsp_transport(s) == Some("udp") {
        url.push_str("#transport=udp");
    }
    url
}

/// A URL without its userinfo, to compare sources whatever credentials they carry.
fn plain(url: &str) -> String {
    match cameras::userinfo(url) {
        Some(info) => url.replacen(&format!("{info}@"), "", 1),
        None => url.to_string(),
    }
}

/// `onvif://user:pass@host:port[/path][?subtype=N]` for the camera whose main stream is `main`,
/// where its ONVIF device service answered and the profile the source resolves to streams a URL
/// that is not already among `taken` (go2rtc would dial the same stream twice for nothing).
pub(super) fn onvif_source(
    d: &Device,
    main: &Stream,
    password: &str,
    taken: &[&Stream],
) -> Option<String> {
    let service = cameras::onvif_service(d)?;
    // go2rtc's GetURI (pkg/onvif/client.go): the profile named by subtype, else the first one.
    let (index, profile) = cameras::onvif_profile(d, main).or_else(|| {
        let first = d.onvif.as_ref()?.profiles.first()?;
        Some((0, first))
    })?;
    let uri = plain(&cameras::safe_url(profile.stream_uri.as_deref()?.trim()));
    if taken
        .iter()
        .any(|s| plain(&cameras::safe_url(&s.url)) == uri)
    {
        return None;
    }
    let userinfo = match cameras::userinfo(&cameras::safe_url(&main.url)) {
        // --show-credentials: the stream's own.
        Some(info) => format!("{info}@"),
        None => match &main.username {
            Some(user) => format!("{}:{password}@", cameras::encode_userinfo(user)),
            None => String::new(),
        },
    };
    let path = if service.path == "/onvif/device_service" || service.path == "/" {
        ""
    } else {
        service.path.as_str()
    };
    // The profile by token, or by index when the token is a number (go2rtc would take a numeric
    // token for an index).
    let token = profile.token.trim();
    let subtype = if token.is_empty() || token.bytes().all(|b| b.is_ascii_digit()) {
        index.to_string()
    } else {
        cameras::encode_userinfo(token)
    };
    Some(format!(
        "onvif://{userinfo}{}:{}{path}?subtype={subtype}",
        service.host, service.port
    ))
}

/// One source or a list of them, as go2rtc's schema allows.
fn sources_value(list: Vec<String>) -> Value {
    match <[String; 1]>::try_from(list) {
        Ok([one]) => Value::String(one),
        Err(list) => Value::Sequence(list.into_iter().map(Value::String).collect()),
    }
}

/// The `streams:` map for `cameras`: each camera's main stream (and its ONVIF source, see
/// [`onvif_source`]) under its name, its sub stream under `<name>_sub`. `password` makes a
/// device's password reference from its environment key; `source` writes one stream's source;
/// `backchannel` lets go2rtc take talk-back on the main stream (see the module docs).
pub(super) fn streams(
    cameras: &[Camera<'_>],
    password: &dyn Fn(&str) -> String,
    source: &dyn Fn(&Stream, &str) -> String,
    backchannel: bool,
) -> Mapping {
    let mut map = Mapping::new();
    for cam in cameras {
        let pass = password(&cam.names.env_key());
        let name = cam.names.camera(Style::Underscore);
        let sub = cam.names.sub(Style::Underscore);
        for (n, v) in camera_streams(cam, &name, &sub, &pass, source, backchannel) {
            map.insert(Value::String(n), v);
        }
    }
    map
}

/// One camera's streams: its main stream (and its ONVIF source) under `name`, its sub stream
/// under `sub_name`, with `pass` where a URL takes its password (see [`streams`]).
pub fn camera_streams(
    cam: &Camera<'_>,
    name: &str,
    sub_name: &str,
    pass: &str,
    source: &dyn Fn(&Stream, &str) -> String,
    backchannel: bool,
) -> Vec<(String, Value)> {
    let guard = |s: String, take_it: bool| {
        if backchannel_off(cam.device, &s, take_it) {
            s + BACKCHANNEL_OFF
        } else {
            s
        }
    };
    let mut list = vec![guard(source(cam.main, pass), backchannel)];
    let taken: Vec<&Stream> = [Some(cam.main), cam.sub].into_iter().flatten().collect();
    list.extend(onvif_source(cam.device, cam.main, pass, &taken).map(|s| guard(s, backchannel)));
    let mut out = vec![(name.to_string(), sources_value(list))];
    if let Some(sub) = cam.sub {
        out.push((
            sub_name.to_string(),
            Value::String(guard(source(sub, pass), false)),
        ));
    }
    out
}

/// The go2rtc source of a stream (see [`source`]), for `camscan push`.
pub fn stream_source(s: &Stream, password: &str) -> String {
    source(s, password)
}

/// Comment lines naming each password variable a configuration needs (`prefix` + key +
/// `_PASSWORD`), one per device.
pub(super) fn password_comments(cameras: &[Camera<'_>], prefix: &str) -> String {
    let mut keys: Vec<String> = Vec::new();
    for cam in cameras {
        let needs =
            cameras::needs_password(cam.main) || cam.sub.is_some_and(cameras::needs_password);
        let key = format!("{prefix}{}_PASSWORD", cam.names.env_key());
        if needs && !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.iter().map(|k| format!("#   {k}\n")).collect()
}

/// Which cameras announced ONVIF but get no `onvif://` source, and why.
pub(super) fn onvif_comment(cameras: &[Camera<'_>]) -> String {
    let mut refused = Vec::new();
    for cam in cameras {
        let announced = cam.device.onvif.is_some();
        if announced && !cameras::onvif_answered(cam.device) && !refused.contains(&cam.device.ip) {
            refused.push(cam.device.ip);
        }
    }
    if refused.is_empty() {
        return String::new();
    }
    let list: Vec<String> = refused.iter().map(ToString::to_string).collect();
    format!(
        "# No onvif:// source (the device announced ONVIF but its device service did not answer\n\
         # camscan; see the device's failures in -f json): {}\n",
        list.join(", ")
    )
}

/// `# Skipped ...: 198.18.0.30, ...` when the export leaves camera devices out.
pub(super) fn skipped_comment(skipped: &[std::net::IpAddr], why: &str) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    let list: Vec<String> = skipped.iter().map(ToString::to_string).collect();
    format!("# Skipped ({why}): {}\n", list.join(", "))
}

impl Exporter for Go2rtcExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let plan = cameras::plan(report, TOOL);
        let mut text = config_header("go2rtc streams", report);
        let needed = password_comments(&plan.cameras, "CAMSCAN_");
        if !needed.is_empty() {
            text.push_str(
                "# Passwords come from go2rtc's env: section or environment: set each of these to the\n\
                 # camera's URL-encoded password (p@ss as p%40ss):\n",
            );
            text.push_str(&needed);
        }
        text.push_str(&skipped_comment(&plan.skipped, "no stream go2rtc can pull"));
        text.push_str(&onvif_comment(&plan.cameras));
        let streams = streams(&plan.cameras, &reference, &source, self.backchannel);
        let mut doc = Mapping::new();
        doc.insert(Value::String("streams".into()), Value::Mapping(streams));
        text.push_str(&yaml::block(&Value::Mapping(doc)));
        out.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::export_report;

    fn render(report: &Report) -> String {
        crate::fixtures::render(&Go2rtcExporter { backchannel: false }, report)
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&export_report()));
    }

    fn parsed(text: &str) -> Mapping {
        let doc: Value = serde_yaml::from_str(text).unwrap();
        doc.get("streams").unwrap().as_mapping().unwrap().clone()
    }

    fn list(v: &Value) -> Vec<&str> {
        match v {
            Value::String(s) => vec![s.as_str()],
            Value::Sequence(l) => l.iter().map(|v| v.as_str().unwrap()).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn main_then_sub_then_onvif_with_references() {
        let streams = parsed(&render(&export_report()));
        let door = list(&streams["front_door"]);
        // The sub stream is a stream of its own; no onvif:// source, whose profile streams the
        // main stream's URL again.
        assert_eq!(
            door,
            [
                "rtsp://admin:${CAMSCAN_FRONT_DOOR_PASSWORD}@198.18.0.50:554/Streaming/Channels/101#backchannel=0"
            ]
        );
        assert_eq!(
            list(&streams["front_door_sub"]),
            [
                "rtsp://admin:${CAMSCAN_FRONT_DOOR_PASSWORD}@198.18.0.50:554/Streaming/Channels/102#backchannel=0"
            ]
        );
        // The UDP-only camera gets go2rtc's UDP transport.
        assert_eq!(
            list(&streams["on"]),
            ["rtsp://198.18.0.40:8554/live?ch=1&sub=0#transport=udp#backchannel=0"]
        );
        assert_eq!(
            list(&streams["camera_198_18_0_10"]),
            ["rtsp://198.18.0.10:554/Streaming/Channels/101#backchannel=0"],
            "the protected stream and the alias are left out"
        );
        assert_eq!(
            list(&streams["entree_cafe"]),
            ["ffmpeg:http://198.18.0.70:8080/hls/cam.m3u8"],
            "HLS through go2rtc's ffmpeg source"
        );
        assert!(streams.get("nvr_198_18_0_80_ch2").is_some());
    }

    #[test]
    fn onvif_only_where_it_answered_and_adds_a_stream() {
        let door_of = |r: &mut Report| -> usize {
            r.devices
                .iter()
                .position(|d| d.name.as_deref() == Some("Front Door"))
                .unwrap()
        };
        // The profile streams a URL camscan did not list: the onvif:// source adds it (the
        // first profile, go2rtc's default, named by its token).
        let mut report = export_report();
        let i = door_of(&mut report);
        for p in &mut report.devices[i].onvif.as_mut().unwrap().profiles {
            p.stream_uri = Some("rtsp://198.18.0.50:554/onvif/media1".into());
        }
        let text = render(&report);
        assert_eq!(
            list(&parsed(&text)["front_door"]),
            [
                "rtsp://admin:${CAMSCAN_FRONT_DOOR_PASSWORD}@198.18.0.50:554/Streaming/Channels/101#backchannel=0",
                "onvif://admin:${CAMSCAN_FRONT_DOOR_PASSWORD}@198.18.0.50:80?subtype=Profile_1#backchannel=0",
            ]
        );
        assert!(!text.contains("# No onvif://"), "{text}");
        // The device announced ONVIF but its service refused camscan: no profiles, no source, and
        // the header says why.
        report.devices[i].onvif.as_mut().unwrap().profiles.clear();
        let text = render(&report);
        assert_eq!(list(&parsed(&text)["front_door"]).len(), 1, "{text}");
        assert!(!text.contains("onvif://admin"), "{text}");
        assert!(
            text.contains(
                "did not answer\n# camscan; see the device's failures in -f json): 198.18.0.50\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn talkback_is_left_to_the_camera_unless_asked() {
        let mut report = export_report();
        // The garage camera answered 551 to the backchannel: nothing to guard.
        let garage = report
            .devices
            .iter_mut()
            .find(|d| d.name.as_deref() == Some("Garage"))
            .unwrap();
        garage.capabilities.talkback = Some(model::capabilities::Talkback {
            supported: false,
            url: garage.streams[0].url.clone(),
            codec: None,
            sample_rate: None,
            channels: None,
            evidence: "551 Option not supported".into(),
            audio_outputs: None,
        });
        let streams = parsed(&render(&report));
        assert_eq!(
            list(&streams["garage_198_18_0_60"]),
            ["rtsp://198.18.0.60:554/cam/realmonitor?channel=1&subtype=0"]
        );
        // The talk-back camera: off on both streams by default; with --backchannel the main
        // stream takes it and the sub stream stays off (one session holds it).
        assert!(list(&streams["camera_198_18_0_10"])[0].ends_with("#backchannel=0"));
        let text = crate::fixtures::render(&Go2rtcExporter { backchannel: true }, &report);
        let streams = parsed(&text);
        assert_eq!(
            list(&streams["camera_198_18_0_10"]),
            ["rtsp://198.18.0.10:554/Streaming/Channels/101"]
        );
        assert!(list(&streams["front_door_sub"])[0].ends_with("#backchannel=0"));
        assert!(!list(&streams["front_door"])[0].ends_with("#backchannel=0"));
    }

    #[test]
    fn show_credentials_keeps_the_scans_urls() {
        let mut report = export_report();
        let door = report
            .devices
            .iter_mut()
            .find(|d| d.name.as_deref() == Some("Front Door"))
            .unwrap();
        for s in &mut door.streams {
            s.url = s.url.replace("rtsp://", "rtsp://admin:p%40ss@");
        }
        let text = render(&report);
        let door = list(&parsed(&text)["front_door"])
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        assert_eq!(
            door[0],
            "rtsp://admin:p%40ss@198.18.0.50:554/Streaming/Channels/101#backchannel=0"
        );
        assert_eq!(door.len(), 1);
        assert!(!text.contains("CAMSCAN_FRONT_DOOR_PASSWORD"), "{text}");
    }

    #[test]
    fn valid_by_go2rtcs_schema_and_shaped_like_its_docs() {
        use crate::doc_examples::{conforms, example, go2rtc_errors};
        let docs = [
            example("go2rtc/rtsp-client-example.yaml"),
            example("go2rtc/onvif-example.yaml"),
        ];
        let mut shown = export_report();
        for s in shown.devices.iter_mut().flat_map(|d| &mut d.streams) {
            if s.username.is_some() {
                s.url = s.url.replace("rtsp://", "rtsp://admin:p%40ss@");
            }
        }
        let mut empty = export_report();
        empty.devices.clear();
        for report in [export_report(), shown, empty] {
            let doc: Value = serde_yaml::from_str(&render(&report)).unwrap();
            assert_eq!(go2rtc_errors(&doc), Vec::<String>::new());
            assert_eq!(conforms(&doc, &docs, &["streams"], &[]), Ok(()));
        }
        // The documented sources and ours: the same schemes, user and password in the same place.
        let streams = parsed(&render(&export_report()));
        for v in streams.values() {
            for source in list(v) {
                let source = source.strip_prefix("ffmpeg:").unwrap_or(source);
                let (scheme, rest) = source.split_once("://").unwrap();
                assert!(
                    ["rtsp", "rtmp", "http", "onvif"].contains(&scheme),
                    "{source}"
                );
                if let Some(info) = cameras::userinfo(source) {
                    let (user, pass) = info.split_once(':').unwrap();
                    assert_eq!((user, pass), ("admin", "${CAMSCAN_FRONT_DOOR_PASSWORD}"));
                    assert!(rest.starts_with(info));
                }
            }
        }
    }

    #[test]
    fn no_camera_no_streams() {
        let mut report = export_report();
        report
            .devices
            .retain(|d| d.streams.is_empty() && !d.is_camera);
        let text = render(&report);
        assert!(text.ends_with("streams: {}\n"), "{text}");
        assert!(parsed(&text).is_empty());
    }
}
