//! The human table. By default compact: one row per device (its ports, who it is, how many streams,
//! and the main stream: the first that opened, else the first found). With `-v` ([`ExportOptions::
//! detail`]) one row per stream, or per device that has none, with every fact: identity, server,
//! user, verification, codec details, what the PLAY check measured, and the errors listed below.
//! Device strings are sanitised before they reach the terminal; colour only when
//! [`ExportOptions::color`] says so.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table, Width};

use super::{ExportOptions, Exporter, audio_summary, fmt_num, short_organisation, video_summary};
use crate::model::{Device, Report, Stream, StreamStatus};
use crate::sanitize::terminal;

pub struct TableExporter(pub ExportOptions);

fn status_color(s: StreamStatus) -> Color {
    match s {
        StreamStatus::Ok => Color::Green,
        StreamStatus::AuthRequired | StreamStatus::AuthFailed => Color::Yellow,
        StreamStatus::AuthLocked => Color::Magenta,
        StreamStatus::NotFound | StreamStatus::Error => Color::Red,
    }
}

/// What to say in the stream column of a device without streams: what its services accepted
/// when no stream name could be guessed (`rtmp: application live accepted connect, stream key
/// unknown: give it with --paths ...`), else whether it is a camera.
fn no_stream_note(d: &Device) -> String {
    let notes = service_notes(d, |_| true);
    if !notes.is_empty() {
        return notes;
    }
    if d.is_camera {
        "camera, no stream path found".into()
    } else {
        "not a camera".into()
    }
}

/// The notes of the services `which` picks, one a line, each after its protocol.
fn service_notes(d: &Device, which: impl Fn(&crate::model::Service) -> bool) -> String {
    d.services
        .iter()
        .filter(|s| which(s))
        .filter_map(|s| {
            s.note
                .as_ref()
                .map(|n| format!("{}: {}", s.protocol.as_str(), terminal(n)))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn new_table(opts: ExportOptions, header: &[&str], no_wrap: &[usize]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.force_no_tty();
    if opts.color {
        t.enforce_styling();
    }
    match opts.width {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic);
            t.set_width(w);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    t.set_header(header);
    // A stream URL is for copying and a status is one word: never wrap them.
    for &i in no_wrap {
        if let Some(c) = t.column_mut(i) {
            c.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    // Nor an address (`also 255.255.255.255` is 20 columns with the padding).
    if !no_wrap.contains(&0)
        && let Some(c) = t.column_mut(0)
    {
        c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(20)));
    }
    t
}

/// `Hikvision DS-2CD2042WD (front-door, cam1.lan)`: who the device says it is, on one line, with
/// the maker of its MAC when nothing named a vendor; the server's banner when it says nothing else.
fn identity(d: &Device) -> String {
    let mut seen: Vec<String> = Vec::new();
    let mut take = |values: [&Option<String>; 2]| -> Vec<String> {
        let mut out = Vec::new();
        for v in values.into_iter().flatten() {
            let v = terminal(v.trim()).into_owned();
            if !v.is_empty() && !seen.contains(&v) {
                seen.push(v.clone());
                out.push(v);
            }
        }
        out
    };
    let maker = d.vendor.clone().or_else(|| mac_maker(d));
    // The model alone when it already starts with the maker's name (`AXIS M1065-L`).
    let maker = maker.filter(|m| {
        !d.model
            .as_deref()
            .is_some_and(|model| crate::model::model_names_vendor(m, model))
    });
    let what = take([&maker, &d.model]);
    let names = take([&d.name, &d.hostname]);
    match (what.is_empty(), names.is_empty()) {
        (false, false) => format!("{} ({})", what.join(" "), names.join(", ")),
        (false, true) => what.join(" "),
        (true, false) => names.join(", "),
        (true, true) => d
            .services
            .iter()
            .find_map(|s| s.server.as_deref())
            .map(|s| terminal(s.trim()).into_owned())
            .unwrap_or_default(),
    }
}

/// Who made the device's network card, from its MAC: the registry's organisation without its legal
/// form (`Raspberry Pi Trading`), or `random MAC` when the MAC is randomised.
fn mac_maker(d: &Device) -> Option<String> {
    if d.mac_randomized {
        Some("random MAC".into())
    } else {
        d.mac_vendor.as_deref().map(short_organisation)
    }
}

fn join_ports(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn compact(report: &Report, opts: ExportOptions) -> Table {
    let mut t = new_table(
        opts,
        &[
            "Device",
            "Ports",
            "Identity",
            "Streams",
            "Main stream",
            "Status",
            "Video",
        ],
        &[0, 4, 5],
    );
    for d in &report.devices {
        let mut address = d.ip.to_string();
        if d.addresses.len() > 1 {
            address.push_str(&format!(" +{}", d.addresses.len() - 1));
        }
        let (url, status, video) = match d.main_stream() {
            Some(s) => (
                Cell::new(terminal(&s.url)),
                Cell::new(s.status.as_str()).fg(status_color(s.status)),
                s.video
                    .as_ref()
                    .map(|v| terminal(&video_summary(v)).into_owned())
                    .unwrap_or_default(),
            ),
            None => (Cell::new(no_stream_note(d)), Cell::new(""), String::new()),
        };
        let streams = match d.streams.len() {
            0 => String::new(),
            n => {
                let ok = d
                    .streams
                    .iter()
                    .filter(|s| s.status == StreamStatus::Ok)
                    .count();
                format!("{n} ({ok} ok)")
            }
        };
        t.add_row(vec![
            Cell::new(address),
            Cell::new(join_ports(&d.open_ports)),
            Cell::new(identity(d)),
            Cell::new(streams),
            url,
            status,
            Cell::new(video),
        ]);
    }
    t
}

/// The device cell of the detailed table: address, then every identity fact on its own line.
fn device_label(d: &Device) -> String {
    let mut s = d.ip.to_string();
    for a in d.addresses.iter().filter(|a| **a != d.ip) {
        s.push_str(&format!("\nalso {a}"));
    }
    for (label, value) in [
        ("", &d.hostname),
        ("", &d.name),
        ("", &d.vendor),
        ("", &d.model),
        ("fw ", &d.firmware),
        ("sn ", &d.serial),
        ("", &d.mac),
    ] {
        if let Some(v) = value {
            s.push('\n');
            s.push_str(label);
            s.push_str(&terminal(v));
        }
    }
    // The MAC's maker on the line after it (`Raspberry Pi Trading`, `random MAC`).
    if d.mac.is_some()
        && let Some(maker) = mac_maker(d)
    {
        s.push('\n');
        s.push_str(&terminal(&maker));
    }
    s
}

/// `level 3.1, avc1.4D401F`, `fps from rtp`, `declared 512 kbit/s`: what the one-line summary leaves
/// out.
fn video_detail(s: &Stream) -> String {
    let Some(v) = &s.video else {
        return String::new();
    };
    let mut lines = vec![video_summary(v)];
    let codec: Vec<String> = [
        v.level.as_ref().map(|l| format!("level {l}")),
        v.rfc6381.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !codec.is_empty() {
        lines.push(codec.join(", "));
    }
    if let Some(src) = &v.fps_source {
        lines.push(format!("fps from {src}"));
    }
    if let Some(b) = v.bitrate_kbps {
        lines.push(format!("declared {b} kbit/s"));
    }
    lines
        .iter()
        .map(|l| terminal(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the PLAY check measured: `tcp 1000ms`, `152 packets 23442 B`, `187.5 kbit/s 25fps keyframe`.
fn measured(s: &Stream) -> String {
    let Some(m) = &s.measured else {
        return String::new();
    };
    let mut rate = Vec::new();
    if let Some(b) = m.bitrate_kbps {
        rate.push(format!("{} kbit/s", fmt_num(b)));
    }
    if let Some(f) = m.fps {
        rate.push(format!("{}fps", fmt_num(f)));
    }
    if let (Some(w), Some(h)) = (m.width, m.height) {
        rate.push(format!("{w}x{h}"));
    }
    if m.keyframe {
        rate.push("keyframe".into());
    }
    let mut lines = vec![
        format!("{} {}ms", terminal(&m.transport), m.duration_ms),
        format!("{} packets {} B", m.packets, m.bytes),
    ];
    if !rate.is_empty() {
        lines.push(rate.join(" "));
    }
    lines.join("\n")
}

fn detailed(report: &Report, opts: ExportOptions) -> Table {
    let mut t = new_table(
        opts,
        &[
            "Device", "Port", "Service", "Stream", "Status", "Auth", "Video", "Audio", "Measured",
        ],
        &[3, 4],
    );
    for d in &report.devices {
        let service_of = |port: u16| {
            d.services
                .iter()
                .find(|s| s.port == port)
                .map(|s| {
                    let mut v = s.protocol.as_str().to_string();
                    if let Some(server) = &s.server {
                        v.push('\n');
                        v.push_str(&terminal(server));
                    }
                    // Which maker's paths the walk asked first, and what named it.
                    if let Some(w) = &s.path_walk
                        && let (Some(maker), Some(by)) = (&w.maker, &w.by)
                    {
                        v.push_str(&format!("\npaths: {} ({by})", terminal(maker)));
                    }
                    v
                })
                .unwrap_or_default()
        };
        let realm_of = |port: u16| {
            d.services
                .iter()
                .find(|s| s.port == port)
                .and_then(|s| s.realm.as_deref())
                .map(|r| format!("\nrealm {}", terminal(r)))
                .unwrap_or_default()
        };
        if d.streams.is_empty() {
            let services = d
                .services
                .iter()
                .map(|s| service_of(s.port))
                .collect::<Vec<_>>()
                .join("\n");
            let auth = d
                .services
                .iter()
                .find(|s| s.auth.as_str() != "none")
                .map(|s| format!("{}{}", s.auth.as_str(), realm_of(s.port)))
                .unwrap_or_default();
            t.add_row(vec![
                Cell::new(device_label(d)),
                Cell::new(join_ports(&d.open_ports)),
                Cell::new(services),
                Cell::new(no_stream_note(d)),
                Cell::new(""),
                Cell::new(auth),
                Cell::new(""),
                Cell::new(""),
                Cell::new(""),
            ]);
        }
        // A service with a note and no stream of its own, on a device that has streams elsewhere.
        if !d.streams.is_empty() {
            for svc in d
                .services
                .iter()
                .filter(|svc| svc.note.is_some() && !d.streams.iter().any(|st| st.port == svc.port))
            {
                t.add_row(vec![
                    Cell::new(device_label(d)),
                    Cell::new(svc.port),
                    Cell::new(service_of(svc.port)),
                    Cell::new(service_notes(d, |x| x == svc)),
                    Cell::new(""),
                    Cell::new(""),
                    Cell::new(""),
                    Cell::new(""),
                    Cell::new(""),
                ]);
            }
        }
        for s in &d.streams {
            let mut url = terminal(&s.url).into_owned();
            if let Some(user) = &s.username {
                url.push_str(&format!("\nuser {}", terminal(user)));
            }
            if let Some(original) = &s.same_as {
                url.push_str(&format!("\nsame as {}", terminal(original)));
            }
            let status = if s.verified {
                format!("{}\nverified", s.status.as_str())
            } else {
                s.status.as_str().to_string()
            };
            t.add_row(vec![
                Cell::new(device_label(d)),
                Cell::new(s.port),
                Cell::new(service_of(s.port)),
                Cell::new(url),
                Cell::new(status).fg(status_color(s.status)),
                Cell::new(format!("{}{}", s.auth.as_str(), realm_of(s.port))),
                Cell::new(video_detail(s)),
                Cell::new(
                    s.audio
                        .as_ref()
                        .map(|a| terminal(&audio_summary(a)).into_owned())
                        .unwrap_or_default(),
                ),
                Cell::new(measured(s)),
            ]);
        }
    }
    t
}

impl Exporter for TableExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let opts = self.0;
        if report.devices.is_empty() {
            let note = if report.complete {
                ""
            } else {
                " (scan interrupted)"
            };
            return writeln!(out, "No devices found{note}.");
        }
        let table = if opts.detail {
            detailed(report, opts)
        } else {
            compact(report, opts)
        };
        writeln!(out, "{table}")?;
        let cameras = report.devices.iter().filter(|d| d.is_camera).count();
        let streams: usize = report.devices.iter().map(|d| d.streams.len()).sum();
        let errors: usize = report.devices.iter().map(|d| d.errors.len()).sum();
        writeln!(
            out,
            "{} device(s), {cameras} camera(s), {streams} stream(s), {errors} error(s){}{}",
            report.devices.len(),
            if errors > 0 && !opts.detail {
                " (-v lists them)"
            } else {
                ""
            },
            if report.complete {
                ""
            } else {
                " (scan interrupted: partial results)"
            }
        )?;
        if opts.detail {
            for d in report.devices.iter().filter(|d| !d.errors.is_empty()) {
                for e in &d.errors {
                    let port = e.port.map(|p| format!(":{p}")).unwrap_or_default();
                    writeln!(out, "  {}{port}: {}", d.ip, terminal(&e.message))?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::fixtures::report;

    fn render(color: bool, detail: bool) -> String {
        render_width(color, detail, Some(if detail { 180 } else { 140 }))
    }

    fn render_width(color: bool, detail: bool, width: Option<u16>) -> String {
        let mut out = Vec::new();
        TableExporter(ExportOptions {
            color,
            width,
            detail,
            ..ExportOptions::default()
        })
        .write(&report(), &mut out)
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn snapshot_plain() {
        let text = render(false, false);
        assert!(
            !text.contains('\x1b'),
            "no escapes without colour, none from devices"
        );
        assert_eq!(
            text.lines().filter(|l| l.starts_with("│ 198.")).count(),
            4,
            "one line per device: {text}"
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn snapshot_detail() {
        let text = render(false, true);
        assert!(!text.contains('\x1b'));
        insta::assert_snapshot!(text);
    }

    /// A device whose services accepted but gave no stream name says so, in both tables, and a
    /// noted service beside found streams gets a row of its own in the detailed one.
    #[test]
    fn service_notes_are_shown() {
        let mut r = report();
        let d = r.devices.iter_mut().find(|d| d.streams.is_empty()).unwrap();
        let mut rtmp = d.services[0].clone();
        rtmp.port = 1935;
        rtmp.protocol = crate::model::Protocol::Rtmp;
        rtmp.note = Some("application live accepted connect, stream key unknown".into());
        d.services.push(rtmp.clone());
        let render = |r: &Report, detail: bool| {
            let mut out = Vec::new();
            TableExporter(ExportOptions {
                detail,
                ..ExportOptions::default()
            })
            .write(r, &mut out)
            .unwrap();
            String::from_utf8(out).unwrap()
        };
        let want = "rtmp: application live accepted connect, stream key unknown";
        assert!(render(&r, false).contains(want));
        assert!(render(&r, true).contains(want));
        let d = r
            .devices
            .iter_mut()
            .find(|d| !d.streams.is_empty())
            .unwrap();
        d.services.push(rtmp);
        let detail = render(&r, true);
        assert_eq!(detail.matches(want).count(), 2, "{detail}");
    }

    #[test]
    fn colour_only_when_asked() {
        let compact = render(true, false);
        assert!(compact.contains("\x1b["));
        assert!(compact.contains("-evil"), "{compact}");
        let text = render_width(true, true, None);
        assert!(text.contains("\x1b["));
        // The device's own escape is still defused.
        assert!(text.contains("A0\\u{1"), "{text}");
        assert!(
            !text.contains("A0\x1b"),
            "the raw device escape must not pass"
        );
    }

    #[test]
    fn a_model_that_names_its_maker_is_not_doubled() {
        let mut d = Device::new("192.0.2.7".parse().unwrap());
        d.vendor = Some("Axis".into());
        d.model = Some("AXIS M1065-L".into());
        d.name = Some("Front door".into());
        assert_eq!(identity(&d), "AXIS M1065-L (Front door)");
        d.model = Some("M1065-L".into());
        assert_eq!(identity(&d), "Axis M1065-L (Front door)");
    }
}
