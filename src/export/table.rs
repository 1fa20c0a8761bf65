//! The human table: one row per stream, or one row per device that has no stream. Device strings are
//! sanitised before they reach the terminal; colour only when [`ExportOptions::color`] says so.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table};

use super::{ExportOptions, Exporter, audio_summary, video_summary};
use crate::model::{Device, Report, StreamStatus};
use crate::sanitize::terminal;

pub struct TableExporter(pub ExportOptions);

fn device_label(d: &Device) -> String {
    let mut s = d.ip.to_string();
    for extra in [&d.hostname, &d.vendor, &d.model].into_iter().flatten() {
        s.push('\n');
        s.push_str(&terminal(extra));
    }
    s
}

fn status_color(s: StreamStatus) -> Color {
    match s {
        StreamStatus::Ok => Color::Green,
        StreamStatus::AuthRequired | StreamStatus::AuthFailed => Color::Yellow,
        StreamStatus::AuthLocked => Color::Magenta,
        StreamStatus::NotFound | StreamStatus::Error => Color::Red,
    }
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
        t.set_header([
            "Device", "Port", "Service", "Stream", "Status", "Auth", "Video", "Audio",
        ]);
        // A stream URL is for copying and a status is one word: never wrap them.
        for i in [3, 4] {
            if let Some(c) = t.column_mut(i) {
                c.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
        for d in &report.devices {
            let server_of = |port: u16| {
                d.services
                    .iter()
                    .find(|s| s.port == port)
                    .map(|s| {
                        let mut v = s.protocol.as_str().to_string();
                        if let Some(server) = &s.server {
                            v.push('\n');
                            v.push_str(&terminal(server));
                        }
                        v
                    })
                    .unwrap_or_default()
            };
            if d.streams.is_empty() {
                let ports = d
                    .open_ports
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                let services = d
                    .services
                    .iter()
                    .map(|s| server_of(s.port))
                    .collect::<Vec<_>>()
                    .join("\n");
                let note = if d.is_camera {
                    "camera, no stream path found"
                } else {
                    "not a camera"
                };
                let auth = d
                    .services
                    .iter()
                    .map(|s| s.auth.as_str())
                    .find(|a| *a != "none")
                    .unwrap_or("");
                t.add_row(vec![
                    Cell::new(device_label(d)),
                    Cell::new(ports),
                    Cell::new(services),
                    Cell::new(note),
                    Cell::new(""),
                    Cell::new(auth),
                    Cell::new(""),
                    Cell::new(""),
                ]);
            }
            for s in &d.streams {
                t.add_row(vec![
                    Cell::new(device_label(d)),
                    Cell::new(s.port),
                    Cell::new(server_of(s.port)),
                    Cell::new(terminal(&s.url)),
                    Cell::new(s.status.as_str()).fg(status_color(s.status)),
                    Cell::new(s.auth.as_str()),
                    Cell::new(s.video.as_ref().map(video_summary).unwrap_or_default()),
                    Cell::new(s.audio.as_ref().map(audio_summary).unwrap_or_default()),
                ]);
            }
        }
        writeln!(out, "{t}")?;
        let cameras = report.devices.iter().filter(|d| d.is_camera).count();
        let streams: usize = report.devices.iter().map(|d| d.streams.len()).sum();
        let errors: usize = report.devices.iter().map(|d| d.errors.len()).sum();
        writeln!(
            out,
            "{} device(s), {cameras} camera(s), {streams} stream(s), {errors} error(s){}",
            report.devices.len(),
            if report.complete {
                ""
            } else {
                " (scan interrupted: partial results)"
            }
        )?;
        for d in report.devices.iter().filter(|d| !d.errors.is_empty()) {
            for e in &d.errors {
                let port = e.port.map(|p| format!(":{p}")).unwrap_or_default();
                writeln!(out, "  {}{port}: {}", d.ip, terminal(&e.message))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::fixtures::report;

    fn render(color: bool) -> String {
        let mut out = Vec::new();
        TableExporter(ExportOptions {
            color,
            width: Some(140),
        })
        .write(&report(), &mut out)
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn snapshot_plain() {
        let text = render(false);
        assert!(
            !text.contains('\x1b'),
            "no escapes without colour, none from devices"
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn colour_only_when_asked() {
        let text = render(true);
        assert!(text.contains("\x1b["));
        // The device's own escape is still defused.
        assert!(text.contains("A0\\u{1"), "{text}");
        assert!(
            !text.contains("A0\x1b"),
            "the raw device escape must not pass"
        );
    }
}
