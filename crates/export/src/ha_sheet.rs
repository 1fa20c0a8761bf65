//! A plain-text sheet for setting cameras up in Home Assistant's UI: one block per camera with what
//! the Generic Camera, MJPEG IP Camera and ONVIF integrations ask for: the MJPEG IP Camera for an
//! HTTP MJPEG stream (`source/_integrations/mjpeg.markdown`), the Generic Camera for the rest
//! (RTSP H.264/H.265 above all: Home Assistant's `stream` integration plays only those), ONVIF only
//! where the device's ONVIF service answered camscan and has events or PTZ to give (the ONVIF
//! integration's entities: `source/_integrations/onvif.markdown` lists binary sensors and sensors
//! from the device's event topics, and PTZ through its `onvif.ptz` action; for the picture alone
//! the Generic Camera is enough).
//!
//! Home Assistant has no YAML import for these any more: the Generic Camera integration is set up
//! in the UI only (`home-assistant/home-assistant.io` `source/_integrations/generic.markdown`:
//! `ha_config_flow: true`, its fields are "Still Image URL", "Stream Source", "Username",
//! "Password", "RTSP transport protocol"; its YAML import was removed in home-assistant/core#107992,
//! 2024.2), and the ONVIF integration's YAML configuration was removed in
//! home-assistant/core#70395 (2022.5). So this is no configuration file: it lists the values to
//! paste, per camera: stream URLs (main and sub), a still-image URL (the ONVIF snapshot URI, else a
//! JPEG snapshot the scan found), user name, and the ONVIF host and port. Home Assistant's
//! built-in go2rtc (its `go2rtc` integration, 2024.11) writes its own go2rtc configuration and
//! takes none from users, so the sheet does not point there; a Frigate server joins through the
//! Frigate integration.
//!
//! URLs are written as the scan found them: with credentials only under `--show-credentials`, else
//! without even the user name, because the Generic Camera integration uses its Username and
//! Password fields only "if none are provided" in the URL (`generic.markdown`). Device strings are
//! shown on one line without control characters.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::cameras::{self, Camera, Tool};
use super::go2rtc::skipped_comment;
use super::names::Style;
use super::{Exporter, config_header, one_line, video_summary};
use model::{Protocol, Report, Stream};

/// Home Assistant's Generic Camera stream source (anything its stream integration opens:
/// PyAV's ffmpeg, DASH's MPD among them).
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

pub struct HaSheetExporter;

/// `h265 2688x1520 25fps, rtsp over udp`
fn describe(s: &Stream) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &s.video {
        let mut v = v.clone();
        // The codec profile (`main`) would read like "main stream" here.
        v.profile = None;
        if let Some((w, h)) = cameras::size(s) {
            (v.width, v.height) = (Some(w), Some(h));
        }
        // A nominal rate: the measured one wanders between scans (4.96, 5.01), and `camscan watch
        // --write` re-renders this sheet; to the nearest half frame (12.5 stays 12.5).
        v.fps = v.fps.map(|f| (f * 2.0).round() / 2.0);
        parts.push(one_line(&video_summary(&v)));
    }
    let udp = s.measured.as_ref().is_some_and(|m| m.transport == "udp");
    let codec = cameras::codec(s).unwrap_or_default();
    if s.protocol != Protocol::Rtsp && s.protocol.as_str() != codec {
        parts.push(s.protocol.as_str().to_string());
    } else if udp {
        parts.push("RTSP over UDP only".into());
    }
    // It answered and sent camscan no media: not known to play (`ok` is a stream that played).
    if s.status == model::StreamStatus::Unverified {
        parts.push("unverified: it sent no media in the scan".into());
    }
    parts.join(", ")
}

fn block(out: &mut String, cam: &Camera<'_>) {
    let d = cam.device;
    let title = [&d.name, &d.model, &d.vendor]
        .into_iter()
        .flatten()
        .map(|s| one_line(s))
        .find(|s| !s.is_empty())
        .map(|t| format!("{t} ({})", d.ip))
        .unwrap_or_else(|| d.ip.to_string());
    let _ = writeln!(
        out,
        "== {}: {title} ==",
        cam.names.camera(Style::Underscore)
    );
    if cam.main.protocol == Protocol::Mjpeg {
        // An MJPEG camera: the MJPEG IP Camera integration (`mjpeg.markdown`: "MJPEG URL",
        // "Still Image URL", "Username", "Password"); Home Assistant's stream component, which the
        // Generic Camera's Stream Source feeds, plays only H.264 and H.265.
        let _ = writeln!(
            out,
            "MJPEG IP Camera (Settings > Devices & services > Add integration):"
        );
        let _ = writeln!(
            out,
            "  MJPEG URL:       {}   ({})",
            cameras::safe_url(&cam.main.url),
            describe(cam.main)
        );
    } else {
        let _ = writeln!(
            out,
            "Generic Camera (Settings > Devices & services > Add integration):"
        );
        let note = if cameras::is_mjpeg(cam.main) {
            "; Home Assistant streams only H.264/H.265, so this shows stills"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  Stream Source:   {}   ({}{note})",
            cameras::for_ffmpeg(&cameras::safe_url(&cam.main.url)),
            describe(cam.main)
        );
    }
    if let Some(sub) = cam.sub {
        let _ = writeln!(
            out,
            "  Sub stream:      {}   ({}; a lighter Stream Source)",
            cameras::for_ffmpeg(&cameras::safe_url(&sub.url)),
            describe(sub)
        );
    }
    match cameras::snapshot(d, cam.main) {
        Some(url) => {
            let _ = writeln!(out, "  Still Image URL: {url}");
        }
        None => {
            let _ = writeln!(
                out,
                "  Still Image URL: (none found: leave empty, Home Assistant takes stills from the stream)"
            );
        }
    }
    if let Some(user) = &cam.main.username {
        let _ = writeln!(out, "  Username:        {}", one_line(user));
        if cameras::needs_password(cam.main) {
            let _ = writeln!(out, "  Password:        (the camera's password)");
        }
    }
    if cam
        .main
        .measured
        .as_ref()
        .is_some_and(|m| m.transport == "udp")
        && cam.main.protocol == Protocol::Rtsp
    {
        let _ = writeln!(out, "  RTSP transport protocol: udp");
    }
    let caps = &d.capabilities;
    let mut gives = Vec::new();
    if let Some(e) = &caps.events {
        gives.push(format!("events ({})", e.summary()));
    }
    if caps.ptz.is_some() {
        gives.push("PTZ".to_string());
    }
    if let Some(onvif) = cameras::onvif_service(d)
        && !gives.is_empty()
    {
        let _ = writeln!(out, "ONVIF (Add integration > ONVIF, set up manually):");
        let _ = writeln!(out, "  Host: {}", onvif.host.trim_matches(['[', ']']));
        let _ = writeln!(out, "  Port: {}", onvif.port);
        let _ = writeln!(out, "  Gives: {}", gives.join(", "));
    }
    out.push('\n');
}

impl Exporter for HaSheetExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let plan = cameras::plan(report, TOOL);
        let mut text = config_header("Home Assistant camera sheet", report);
        text.push_str(
            "# Home Assistant sets up Generic Camera, MJPEG IP Camera and ONVIF cameras in its UI only (no\n\
             # YAML): paste the values below there. Home Assistant's built-in go2rtc writes its own\n\
             # configuration and takes no streams file; a Frigate server (camscan -f frigate) joins\n\
             # through the Frigate integration.\n",
        );
        text.push_str(&skipped_comment(&plan.skipped, "no stream to show"));
        text.push('\n');
        for cam in &plan.cameras {
            block(&mut text, cam);
        }
        out.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::export_report;

    fn render(report: &Report) -> String {
        crate::fixtures::render(&HaSheetExporter, report)
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&export_report()));
    }

    #[test]
    fn one_block_per_camera_and_no_secret() {
        let text = render(&export_report());
        let blocks: Vec<&str> = text.lines().filter(|l| l.starts_with("== ")).collect();
        assert_eq!(blocks.len(), 7, "{text}");
        assert!(text.contains("== front_door: Front Door (198.18.0.50) ==\n"));
        assert!(
            text.contains("  Still Image URL: http://198.18.0.50/onvif-http/snapshot?Profile_1\n")
        );
        assert!(text.contains("  Still Image URL: http://198.18.0.70:8080/snapshot.jpg\n"));
        assert!(
            text.contains("  Username:        admin\n  Password:        (the camera's password)\n")
        );
        assert!(text.contains(
            "ONVIF (Add integration > ONVIF, set up manually):\n  Host: 198.18.0.50\n  Port: 80\n"
        ));
        assert!(!text.contains('@'), "no credentials in the URLs: {text}");
    }

    #[test]
    fn onvif_only_where_it_answered() {
        let mut report = export_report();
        for d in &mut report.devices {
            if let Some(o) = d.onvif.as_mut() {
                o.profiles.clear();
            }
        }
        let text = render(&report);
        assert!(!text.contains("ONVIF ("), "{text}");
    }

    #[test]
    fn onvif_only_where_it_has_events_or_ptz() {
        let mut report = export_report();
        assert!(render(&report).contains("  Gives: events (pull-point; 1 topic (motion)), PTZ\n"));
        for d in &mut report.devices {
            d.capabilities.events = None;
            d.capabilities.ptz = None;
        }
        let text = render(&report);
        assert!(!text.contains("ONVIF ("), "{text}");
    }

    #[test]
    fn hostile_names_stay_on_their_line() {
        let mut report = export_report();
        let door = report
            .devices
            .iter_mut()
            .find(|d| d.name.as_deref() == Some("Front Door"))
            .unwrap();
        door.name = Some("Front\n== evil ==\u{1b}[2J\u{202e}".into());
        let text = render(&report);
        assert!(
            text.contains("== front_evil_2j: Front == evil == [2J (198.18.0.50) ==\n"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'));
    }
}
