//! M3U playlist (extended M3U, as VLC, mpv and ffplay read it) of every stream that opened
//! (`status: ok`, which played, and `unverified`, which answered and sent no media: its title
//! says `unverified`), for `vlc inventory.m3u`. WHEP endpoints (`webrtc`) are left out: a player opens
//! them with an HTTP POST of its own offer, not from a playlist. Each entry is `#EXTINF:-1,<title>` and the URL; the title
//! is the device's name (else its address), the video codec and the frame size.
//!
//! URLs carry credentials only when the scan put them there (`--show-credentials`); nothing is added
//! here. Device strings reach a player's playlist view, so the title loses its control characters,
//! and a URL never holds a line break or space that could start a new playlist line.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Exporter, hidden, one_line as clean};
use model::{Device, Protocol, Report, Stream};

pub struct M3uExporter;

fn title(d: &Device, s: &Stream) -> String {
    let name = d
        .name
        .as_deref()
        .map(clean)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| d.ip.to_string());
    let mut parts = vec![name];
    if let Some(v) = &s.video {
        parts.push(clean(&v.codec));
        if let (Some(w), Some(h)) = (v.width, v.height) {
            parts.push(format!("{w}x{h}"));
        }
    } else if let Some(a) = &s.audio {
        parts.push(clean(&a.codec));
    }
    if s.status == model::StreamStatus::Unverified {
        parts.push("(unverified)".into());
    }
    parts.retain(|p| !p.is_empty());
    parts.join(" ")
}

/// The URL on one line: white space and control characters percent-encoded (a URL has none).
fn url_line(url: &str) -> Cow<'_, str> {
    if !url.chars().any(|c| hidden(c) || c.is_whitespace()) {
        return Cow::Borrowed(url);
    }
    let mut out = String::with_capacity(url.len() + 8);
    for c in url.chars() {
        if hidden(c) || c.is_whitespace() {
            for b in c.encode_utf8(&mut [0; 4]).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether a player can open the stream's URL from a playlist.
fn playable(s: &Stream) -> bool {
    // An alias (`same_as`) is the same stream under another URL: listed once.
    s.status.answers() && s.protocol != Protocol::Webrtc && s.same_as.is_none()
}

impl Exporter for M3uExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "#EXTM3U")?;
        for d in &report.devices {
            for s in d.streams.iter().filter(|s| playable(s)) {
                writeln!(out, "#EXTINF:-1,{}", title(d, s))?;
                writeln!(out, "{}", url_line(&s.url))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::report;

    fn render(report: &Report) -> String {
        crate::fixtures::render(&M3uExporter, report)
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&report()));
    }

    #[test]
    fn only_playable_streams_as_given() {
        let mut report = report();
        let mut whep = report.devices[0].streams[0].clone();
        whep.url = "http://198.18.0.10:8889/cam/whep".into();
        whep.protocol = Protocol::Webrtc;
        report.devices[0].streams.push(whep);
        let text = render(&report);
        let urls: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        let ok: Vec<&str> = report
            .devices
            .iter()
            .flat_map(|d| &d.streams)
            .filter(|s| s.status.answers() && s.protocol != Protocol::Webrtc)
            .filter(|s| s.same_as.is_none())
            .map(|s| s.url.as_str())
            .collect();
        assert!(
            !text.contains("Channels/103"),
            "an alias is listed once, under its first URL"
        );
        assert!(
            !text.contains("/cam/whep"),
            "a WHEP endpoint is no playlist entry"
        );
        assert_eq!(urls, ok);
        assert!(
            !text.contains("Channels/102"),
            "auth_required is not playable"
        );
    }

    #[test]
    fn hostile_names_and_urls_stay_on_their_lines() {
        let mut report = report();
        report.devices[0].name =
            Some("Cam\n#EXTINF:-1,evil\r\nrtsp://evil/\u{1b}[2J\u{202e}x".into());
        report.devices[0].streams[0].url = "rtsp://198.18.0.10/a b\n#EXT".into();
        report.devices[0].streams[0].video.as_mut().unwrap().codec = "h264\u{0}\t".into();
        let text = render(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1],
            "#EXTINF:-1,Cam #EXTINF:-1,evil rtsp://evil/ [2J x h264 1280x720"
        );
        assert_eq!(lines[2], "rtsp://198.18.0.10/a%20b%0A#EXT");
        // Two lines per playable stream, after the header (the camera's unverified one too, its
        // title saying so).
        assert_eq!(
            lines[3],
            "#EXTINF:-1,Cam #EXTINF:-1,evil rtsp://evil/ [2J x pcmu (unverified)"
        );
        assert_eq!(lines.len(), 1 + 2 * 3, "{text}");
    }

    #[test]
    fn credentials_only_when_the_url_has_them() {
        let mut report = report();
        report.devices[0].streams[0].url = "rtsp://admin:p%40ss@198.18.0.10:554/a".into();
        report.devices[0].streams[0].username = Some("admin".into());
        let text = render(&report);
        assert!(text.contains("\nrtsp://admin:p%40ss@198.18.0.10:554/a\n"));
        let plain = render(&crate::fixtures::report());
        assert!(!plain.contains('@'), "{plain}");
    }
}
