//! The human table. By default compact: one row per device (its ports, who it is, how many streams,
//! and the main stream: the first that opened, else the first found). With `-v` ([`ExportOptions::
//! detail`]) one row per stream, or per device that has none, with every fact: identity, server,
//! user, verification, codec details, what the PLAY check measured, and the errors listed below.
//!
//! The table fits the width it is given ([`fit`]): the least important columns are left out first
//! (a footnote names them), words are wrapped but never broken, and a URL or address is printed
//! whole on one line, or shortened with `…` in the middle when it cannot fit (whole in `-v`'s notes
//! and in every machine format). Hints and reasons (no path found, login needed, stream key
//! unknown) are numbered notes under the table, each once. Device strings are sanitised before they
//! reach the terminal; colour only when [`ExportOptions::color`] says so.

mod detail;
pub mod fit;
mod notes;
pub(crate) use fit::paragraph as wrap;

use notes::*;
use std::io::{self, Write};

use super::{ExportOptions, Exporter, audio_summary, fmt_num, short_organisation, video_summary};
use fit::{Column, Text};
use model::{
    AuthScheme, Device, Protocol, Report, Service, Stage, Stream, StreamStatus, VideoInfo,
};
use sanitize::terminal;
use table_writer::{Cell, Color, Table};

pub struct TableExporter(pub ExportOptions);

fn status_color(s: StreamStatus) -> Color {
    match s {
        StreamStatus::Ok => Color::Green,
        StreamStatus::Unverified => Color::Cyan,
        StreamStatus::AuthRequired | StreamStatus::AuthFailed => Color::Yellow,
        StreamStatus::AuthLocked => Color::Magenta,
        StreamStatus::NotFound | StreamStatus::Error => Color::Red,
    }
}

/// The one-word status of the compact table (`-v` and the machine formats say `auth_required`):
/// `ok` only for a stream that played; `unverified` for one that answered and sent no media.
fn short_status(s: StreamStatus) -> &'static str {
    match s {
        StreamStatus::Ok => "ok",
        StreamStatus::Unverified => "unverified",
        StreamStatus::AuthRequired => "auth",
        StreamStatus::AuthFailed => "refused",
        StreamStatus::AuthLocked => "locked",
        StreamStatus::NotFound => "missing",
        StreamStatus::Error => "error",
    }
}

/// `H.264`, `H.265`, `MJPEG`: codecs as they are written (the machine formats keep `h264`).
fn codec_name(codec: &str) -> String {
    match codec {
        "h264" => "H.264".into(),
        "h265" | "hevc" => "H.265".into(),
        "mjpeg" => "MJPEG".into(),
        "mpeg4" => "MPEG-4".into(),
        "jpeg" => "JPEG".into(),
        other => other.to_ascii_uppercase(),
    }
}

/// Profiles as they are abbreviated (`CBP` for constrained baseline, `High10`), else the name with
/// a capital and no spaces.
fn profile_name(profile: &str) -> String {
    match profile.trim().to_ascii_lowercase().as_str() {
        "constrained baseline" => "CBP".into(),
        "main still picture" => "MSP".into(),
        "range extensions" => "RExt".into(),
        "high throughput" => "HT".into(),
        "screen content" => "SCC".into(),
        other => other
            .split([' ', ':'])
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect(),
    }
}

/// `25`, `29.97`: a frame rate as it is said, to two decimals at most. A measured one (RTP or
/// media timestamps, MJPEG parts) is said as the whole rate it is within 3% of (4.94 is 5, 15.007
/// is 15), else to one decimal.
fn fps_name(fps: f64, measured: bool) -> String {
    let whole = fps.round();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if measured {
        if whole > 0.0 && ((fps - whole) / whole).abs() <= 0.03 {
            format!("{whole:.0}")
        } else {
            trim(format!("{fps:.1}"))
        }
    } else if (fps - whole).abs() < 0.005 {
        format!("{whole:.0}")
    } else {
        trim(format!("{fps:.2}"))
    }
}

/// `H.264 1080p25 High`, `MJPEG 320x240 5fps`, `H.264 360p15 CBP`: the compact table's video, in
/// the spellings people use (`p` for 16:9 sizes); `-v` gives `h264 1920x1080 25fps high` and more.
fn short_video(v: &VideoInfo) -> String {
    let mut parts = vec![codec_name(&v.codec)];
    let measured = matches!(
        v.fps_source.as_deref(),
        Some("rtp" | "timestamps" | "parts")
    );
    let fps = v
        .fps
        .filter(|f| f.is_finite() && *f > 0.0)
        .map(|f| fps_name(f, measured));
    match (v.width, v.height) {
        (Some(w), Some(h)) if u64::from(w) * 9 == u64::from(h) * 16 && h >= 144 => {
            parts.push(format!("{h}p{}", fps.unwrap_or_default()));
        }
        (Some(w), Some(h)) => {
            parts.push(format!("{w}x{h}"));
            parts.extend(fps.map(|f| format!("{f}fps")));
        }
        _ => parts.extend(fps.map(|f| format!("{f}fps"))),
    }
    if let Some(p) = &v.profile {
        parts.push(profile_name(p));
    }
    parts.join(" ")
}

/// `Hikvision DS-2CD2042WD (front-door, cam1.lan)`: who the device says it is, with the maker of
/// its MAC when nothing named a vendor; the server's banner when it says nothing else.
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
            .is_some_and(|model| model::model_names_vendor(m, model))
    });
    let what = take([&maker, &d.model]);
    let names = take([&d.name, &d.hostname]);
    match (what.is_empty(), names.is_empty()) {
        (false, false) => format!("{} ({})", what.join(" "), names.join(", ")),
        (false, true) => what.join(" "),
        (true, false) => names.join(", "),
        // The banner of the main stream's server first (not the web admin's beside it).
        (true, true) => d
            .main_stream()
            .and_then(|m| d.services.iter().find(|s| s.port == m.port))
            .into_iter()
            .chain(&d.services)
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

/// `80,554,8080`: a list the table may break after any comma.
fn join_ports(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// A table's rows before they are fitted: a cell per column and the colour of some.
struct Rows {
    columns: &'static [Column],
    cells: Vec<Vec<Text>>,
    colors: Vec<Vec<Option<Color>>>,
}

impl Rows {
    fn new(columns: &'static [Column]) -> Self {
        Rows {
            columns,
            cells: Vec::new(),
            colors: Vec::new(),
        }
    }

    fn push(&mut self, cells: Vec<Text>, colors: Vec<(usize, Color)>) {
        let mut row_colors = vec![None; cells.len()];
        for (i, c) in colors {
            if let Some(slot) = row_colors.get_mut(i) {
                *slot = Some(c);
            }
        }
        self.cells.push(cells);
        self.colors.push(row_colors);
    }
}

/// The compact table's columns, in order. Priority 0 is always shown; Identity is the last to go,
/// the stream count the first.
const COMPACT: &[Column] = &[
    Column {
        header: "Device",
        priority: 0,
        soft_min: 15,
    },
    Column {
        header: "Ports",
        priority: 3,
        soft_min: 8,
    },
    Column {
        header: "Identity",
        priority: 1,
        soft_min: 16,
    },
    Column {
        header: "Streams",
        priority: 4,
        soft_min: 8,
    },
    Column {
        header: "Main stream",
        priority: 0,
        soft_min: 20,
    },
    Column {
        header: "Status",
        priority: 0,
        soft_min: 6,
    },
    Column {
        header: "Video",
        priority: 2,
        soft_min: 12,
    },
];

fn compact(report: &Report, notes: &mut Notes) -> Rows {
    let mut rows = Rows::new(COMPACT);
    for d in &report.devices {
        let mut address = d.ip.to_string();
        if let Some(more) = more_addresses_note(d, notes) {
            address.push(' ');
            address.push_str(&more);
        }
        let (main, status, video, color) = match d.main_stream() {
            Some(s) => {
                let mut status = vec![short_status(s.status).to_string()];
                status.extend(unverified_note(d, s, notes));
                status.extend(side_notes(d, notes));
                (
                    Text::whole(terminal(&s.url)),
                    status.join(" "),
                    s.video
                        .as_ref()
                        .map(|v| terminal(&short_video(v)).into_owned())
                        .unwrap_or_default(),
                    Some(status_color(s.status)),
                )
            }
            None => (
                Text::words(no_stream(d, notes)),
                String::new(),
                String::new(),
                None,
            ),
        };
        let streams = match d.streams.len() {
            0 => String::new(),
            n => {
                let count = |status| d.streams.iter().filter(|s| s.status == status).count();
                match count(StreamStatus::Unverified) {
                    0 => format!("{n} ({} ok)", count(StreamStatus::Ok)),
                    u => format!("{n} ({} ok, {u} unverified)", count(StreamStatus::Ok)),
                }
            }
        };
        rows.push(
            vec![
                Text::words(address),
                Text::words(join_ports(&d.open_ports)),
                Text::words(identity(d)),
                Text::words(streams),
                main,
                Text::words(status),
                Text::words(video),
            ],
            color.map(|c| (5, c)).into_iter().collect(),
        );
    }
    rows
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

/// Fit `rows` to the width and draw them; the names of the columns left out, and whether a cell
/// was shortened. With `whole_in_notes` (the detailed table), a shortened cell of the stream column
/// is given whole as a note, referred to under it.
fn draw(
    rows: &Rows,
    opts: &ExportOptions,
    notes: &mut Notes,
    whole_in_notes: Option<usize>,
) -> (Table, Vec<&'static str>, bool) {
    let limit = opts.width.map(usize::from);
    let layout = fit::fit(rows.columns, &rows.cells, limit);
    // Widths are ours: the table draws each cell's lines as they are.
    let mut t = Table::new(layout.shown.iter().zip(&layout.widths).map(|(&i, &w)| {
        let (lines, _) = fit::lines(&Text::words(rows.columns[i].header), w);
        lines.join("\n")
    }));
    t.color(opts.color);
    let mut any_shortened = false;
    for (cells, colors) in rows.cells.iter().zip(&rows.colors) {
        let mut drawn = Vec::new();
        for (&i, &w) in layout.shown.iter().zip(&layout.widths) {
            let text = cells.get(i).cloned().unwrap_or_default();
            let (mut lines, shortened) = fit::lines(&text, w);
            if shortened && whole_in_notes == Some(i) {
                let whole: Vec<&str> = text
                    .text
                    .split('\n')
                    .filter(|l| fit::width(l) > w)
                    .collect();
                lines.push(notes.refer(whole.join(" ")));
            } else {
                any_shortened |= shortened;
            }
            let mut cell = Cell::new(lines.join("\n"));
            if let Some(Some(c)) = colors.get(i) {
                cell = cell.fg(*c);
            }
            drawn.push(cell);
        }
        t.row(drawn);
    }
    let dropped = layout
        .dropped
        .iter()
        .map(|&i| rows.columns[i].header)
        .collect();
    (t, dropped, any_shortened)
}

/// A plain table (no colour) of `cells` under `columns`, fitted to `width` as the scan's table is
/// ([`fit`]: the least important columns left out first, words wrapped, URLs whole or shortened
/// in the middle): what the inventory's, the audit's and the doctor's tables draw. Returns the
/// table and the headers of the columns left out.
pub fn fitted(
    columns: &'static [Column],
    cells: Vec<Vec<Text>>,
    width: Option<u16>,
) -> (String, Vec<&'static str>) {
    let colors = vec![Vec::new(); cells.len()];
    let rows = Rows {
        columns,
        cells,
        colors,
    };
    let opts = ExportOptions {
        width,
        ..ExportOptions::default()
    };
    let (table, dropped, _) = draw(&rows, &opts, &mut Notes::default(), None);
    (table.to_string(), dropped)
}

/// The line under a fitted table that names the columns left out (`None`: none was), and where
/// to read them (`see`: `-f json`).
pub fn left_out(width: Option<u16>, dropped: &[&str], see: &str) -> Option<String> {
    (!dropped.is_empty()).then(|| {
        format!(
            "Not shown at {} columns: {} (see {see}, or a wider --width).",
            width.unwrap_or_default(),
            dropped.join(", ")
        )
    })
}

/// A column of a [`fitted`] table: its header, how soon it is left out (0: never) and the width
/// under which its words are not squeezed.
pub const fn col(header: &'static str, priority: u8, soft_min: usize) -> Column {
    Column {
        header,
        priority,
        soft_min,
    }
}

/// `rows` under `columns`, fitted to `width` ([`fitted`]), then the line naming the columns left
/// out and where to read them (`see`).
pub fn write_fitted(
    columns: &'static [Column],
    rows: Vec<Vec<Text>>,
    (width, see): (Option<u16>, &str),
    out: &mut dyn Write,
) -> io::Result<()> {
    let (table, dropped) = fitted(columns, rows, width);
    writeln!(out, "{table}")?;
    if let Some(line) = left_out(width, &dropped, see) {
        write_wrapped(out, "", &line, width)?;
    }
    Ok(())
}

/// `text` wrapped at words to `width` (whole without one), its lines after the first under the
/// end of `first`.
pub fn write_wrapped(
    out: &mut dyn Write,
    first: &str,
    text: &str,
    width: Option<u16>,
) -> io::Result<()> {
    let w = width.map_or(usize::MAX / 4, usize::from);
    for line in fit::paragraph(first, text, w) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Whether `-v`'s table at the same width shows what the compact one left out (`dropped`): its
/// rows and device cells carry the ports, identity and streams, and its Video column the video,
/// unless that width leaves it out too (then the footer does not send the reader there).
fn detail_shows(report: &Report, dropped: &[&str], width: Option<u16>) -> bool {
    if !dropped.contains(&"Video") {
        return true;
    }
    let rows = detail::detailed(report, &mut Notes::default());
    let layout = fit::fit(rows.columns, &rows.cells, width.map(usize::from));
    !layout
        .dropped
        .iter()
        .any(|&i| rows.columns[i].header == "Video")
}

/// Write `text` wrapped to the width (whole when there is none), each line after the first
/// indented under `first`.
fn paragraph(out: &mut dyn Write, first: &str, text: &str, width: Option<u16>) -> io::Result<()> {
    let w = width.map_or(usize::MAX / 4, usize::from);
    for line in fit::paragraph(first, text, w) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// What a scan lost on its own side, in words (`None`: nothing, so an incomplete scan was
/// interrupted).
fn lost(report: &Report) -> Option<String> {
    report
        .coverage
        .as_ref()
        .filter(|c| !c.lost.is_empty())
        .map(|c| c.lost.join("; "))
}

impl Exporter for TableExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let opts = &self.0;
        if report.devices.is_empty() {
            let note = if report.complete {
                String::new()
            } else {
                match lost(report) {
                    Some(why) => format!(" (incomplete: {why})"),
                    None => " (scan interrupted)".to_string(),
                }
            };
            writeln!(out, "No devices found{note}.")?;
            if let Some(c) = &report.coverage {
                paragraph(out, "", &format!("Coverage: {}.", c.line()), opts.width)?;
            }
            return Ok(());
        }
        let mut notes = Notes::default();
        let rows = if opts.detail {
            detail::detailed(report, &mut notes)
        } else {
            compact(report, &mut notes)
        };
        let whole_in_notes = opts.detail.then_some(detail::DETAILED_STREAM);
        let (table, dropped, shortened) = draw(&rows, opts, &mut notes, whole_in_notes);
        let table = table.to_string();
        writeln!(out, "{table}")?;
        // Notes as wide as the table, or 80 columns under a narrower one, as the width allows.
        let drawn = table.lines().map(fit::width).max().unwrap_or(0);
        let note_width = opts
            .width
            .map(|w| w.min(u16::try_from(drawn.max(80)).unwrap_or(u16::MAX)));
        for (i, text) in notes.0.iter().enumerate() {
            paragraph(out, &format!("[{}] ", i + 1), text, note_width)?;
        }
        let cameras = report.devices.iter().filter(|d| d.is_camera).count();
        let streams: usize = report.devices.iter().map(|d| d.streams.len()).sum();
        let errors: usize = report.devices.iter().map(|d| d.errors.len()).sum();
        let summary = format!(
            "{} device(s), {cameras} camera(s), {streams} stream(s), {errors} error(s){}{}",
            report.devices.len(),
            if errors > 0 && !opts.detail {
                " (-v lists them)"
            } else {
                ""
            },
            if report.complete {
                String::new()
            } else {
                match lost(report) {
                    Some(why) => format!(" (incomplete: {why})"),
                    None => " (scan interrupted: partial results)".to_string(),
                }
            }
        );
        paragraph(out, "", &summary, opts.width)?;
        if let Some(c) = &report.coverage {
            paragraph(out, "", &format!("Coverage: {}.", c.line()), opts.width)?;
        }
        if !dropped.is_empty() {
            let text = format!(
                "Not shown at {} columns: {} (see {}).",
                opts.width.unwrap_or_default(),
                dropped.join(", "),
                if opts.detail || !detail_shows(report, &dropped, opts.width) {
                    "-f json, or a wider --width"
                } else {
                    "-v or -f json"
                }
            );
            paragraph(out, "", &text, opts.width)?;
        }
        if shortened {
            paragraph(
                out,
                "",
                "URLs with … are shortened: whole in -v and -f json.",
                opts.width,
            )?;
        }
        if opts.detail {
            for d in report.devices.iter().filter(|d| !d.errors.is_empty()) {
                for e in &d.errors {
                    let port = e.port.map(|p| format!(":{p}")).unwrap_or_default();
                    let text = format!("{}{port}: {}", d.ip, terminal(&e.message));
                    paragraph(out, "  ", &text, opts.width)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::report;

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

    /// A stream that answered PLAY and sent no media is `unverified` with its reason as a note,
    /// never `ok` (issue 72), in the compact table and in `-v`; the stream count says how many
    /// played.
    #[test]
    fn a_stream_that_never_played_is_unverified_with_its_reason() {
        let mut r = report();
        let cam = &mut r.devices[0];
        cam.streams.retain(|s| s.status == StreamStatus::Unverified);
        let text = |r: &Report, detail: bool| {
            let mut out = Vec::new();
            TableExporter(ExportOptions {
                detail,
                width: Some(200),
                ..ExportOptions::default()
            })
            .write(r, &mut out)
            .unwrap();
            String::from_utf8(out).unwrap()
        };
        let why = "[1] unverified: RTSP PLAY rtsp://198.18.0.10:554/Streaming/Channels/104: no \
                   media packet within 5s";
        for detail in [false, true] {
            let t = text(&r, detail);
            let row = t.lines().find(|l| l.contains("Channels/104")).unwrap();
            assert!(row.contains("unverified [1]"), "{t}");
            assert!(!row.contains(" ok "), "{t}");
            assert!(t.contains(why), "{t}");
        }
        assert!(text(&r, false).contains("1 (0 ok, 1 unverified)"));
        // Not checked at all: the note says so.
        r.devices[0].errors.clear();
        assert!(
            text(&r, false).contains("[1] unverified: answered, not played: no PLAY check ran")
        );
    }

    /// `+1` after an address is explained under the table: which other addresses the device has,
    /// and where all of them are shown.
    #[test]
    fn more_addresses_are_explained_in_a_note() {
        let mut r = report();
        r.devices.retain(|d| d.addresses.len() > 1);
        r.devices[0].addresses.push("fe80::1".parse().unwrap());
        let mut out = Vec::new();
        TableExporter(ExportOptions {
            width: Some(160),
            ..ExportOptions::default()
        })
        .write(&r, &mut out)
        .unwrap();
        let t = String::from_utf8(out).unwrap();
        assert!(t.contains("198.18.0.40 +2 [1]"), "{t}");
        assert!(
            t.contains(
                "[1] +2: 2 more addresses of this device: 198.18.0.41, fe80::1; all in -v and -f \
                 json"
            ),
            "{t}"
        );
    }

    #[test]
    fn snapshot_detail() {
        let text = render(false, true);
        assert!(!text.contains('\x1b'));
        insta::assert_snapshot!(text);
    }

    /// A device whose services accepted but gave no stream name says why in a few words, its note
    /// under the table; a noted service beside found streams is referred to from the status (and
    /// gets a row of its own in the detailed table); a note two devices share is printed once.
    #[test]
    fn service_notes_are_numbered_and_printed_once() {
        let mut r = report();
        // Without the camera's unverified stream, whose note would come first.
        r.devices[0]
            .streams
            .retain(|s| s.status != StreamStatus::Unverified);
        let d = r.devices.iter_mut().find(|d| d.streams.is_empty()).unwrap();
        let mut rtmp = d.services[0].clone();
        rtmp.port = 1935;
        rtmp.protocol = model::Protocol::Rtmp;
        rtmp.auth = AuthScheme::None;
        rtmp.note = Some("application live accepted connect, stream key unknown".into());
        d.services.push(rtmp.clone());
        let render = |r: &Report, detail: bool| {
            let mut out = Vec::new();
            TableExporter(ExportOptions {
                detail,
                width: Some(120),
                ..ExportOptions::default()
            })
            .write(r, &mut out)
            .unwrap();
            String::from_utf8(out).unwrap()
        };
        let want = "[1] rtmp: application live accepted connect, stream key unknown";
        for detail in [false, true] {
            let text = render(&r, detail);
            assert_eq!(text.matches(want).count(), 1, "{text}");
            assert!(text.contains("stream key unknown [1]"), "{text}");
        }
        let d = r
            .devices
            .iter_mut()
            .find(|d| !d.streams.is_empty())
            .unwrap();
        d.services.push(rtmp);
        let compact = render(&r, false);
        assert_eq!(compact.matches(want).count(), 1, "{compact}");
        assert!(compact.contains(" ok [1] "), "{compact}");
        let detail = render(&r, true);
        assert_eq!(detail.matches(want).count(), 1, "{detail}");
        assert_eq!(
            detail.matches("stream key unknown [1]").count(),
            2,
            "{detail}"
        );
    }

    #[test]
    fn video_in_the_spellings_people_use() {
        let mut v = VideoInfo::new("h264".into());
        (v.width, v.height, v.fps) = (Some(1920), Some(1080), Some(25.0));
        v.profile = Some("high".into());
        assert_eq!(short_video(&v), "H.264 1080p25 High");
        v.profile = Some("constrained baseline".into());
        (v.width, v.height, v.fps) = (Some(640), Some(360), Some(15.007));
        v.fps_source = Some("timestamps".into());
        assert_eq!(short_video(&v), "H.264 360p15 CBP");
        let mut m = VideoInfo::new("mjpeg".into());
        (m.width, m.height, m.fps) = (Some(320), Some(240), Some(4.94));
        m.fps_source = Some("parts".into());
        assert_eq!(short_video(&m), "MJPEG 320x240 5fps");
        m.fps = Some(12.5);
        assert_eq!(short_video(&m), "MJPEG 320x240 12.5fps");
        let mut h = VideoInfo::new("h265".into());
        (h.fps, h.fps_source) = (Some(29.97), Some("sps".into()));
        h.profile = Some("main 10".into());
        assert_eq!(short_video(&h), "H.265 29.97fps Main10");
        assert_eq!(profile_name("high 4:2:2"), "High422");
        assert_eq!(short_status(StreamStatus::AuthRequired), "auth");
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
