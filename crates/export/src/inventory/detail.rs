//! One document of the inventory: `camscan show`'s device and `camscan diff`'s two scans.

use std::io::{self, Write};

use super::lists::event_detail;
use super::{DocFormat, label, opt, short_time, vendor_model, write_doc};
use crate::table::write_wrapped;
use crate::{audio_summary, video_summary};
use model::StreamStatus;
use sanitize::terminal;
use store::{
    Change, DeviceDetail, DeviceState, Diff, DiffDevice, ScanSummary, StreamRecord, StreamState,
};

/// `camscan show`: one device as text, each line wrapped at words to `width` (continued under its
/// own indent), or the store's document.
pub fn device(
    d: &DeviceDetail,
    format: DocFormat,
    width: Option<u16>,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format != DocFormat::Table {
        return write_doc(d, format, out);
    }
    let mut text = Vec::new();
    device_text(d, &mut text)?;
    for line in String::from_utf8_lossy(&text).lines() {
        // Lines that fit keep their spacing (the fields' alignment); longer ones are wrapped.
        if width.is_none_or(|w| crate::table::fit::width(line) <= usize::from(w)) {
            writeln!(out, "{line}")?;
            continue;
        }
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        write_wrapped(out, indent, body, width)?;
    }
    Ok(())
}

fn device_text(d: &DeviceDetail, out: &mut dyn Write) -> io::Result<()> {
    let s = &d.summary;
    writeln!(
        out,
        "Device {} ({}): {} since {}",
        s.id,
        terminal(&s.key),
        label(&s.state),
        short_time(&s.state_since)
    )?;
    let field = |out: &mut dyn Write, name: &str, value: String| -> io::Result<()> {
        if value.is_empty() {
            Ok(())
        } else {
            writeln!(out, "  {name:<12} {value}")
        }
    };
    field(
        out,
        "Address",
        s.address.map(|a| a.to_string()).unwrap_or_default(),
    )?;
    field(out, "MAC", opt(&s.mac))?;
    field(out, "Vendor", opt(&s.vendor))?;
    field(out, "Model", opt(&s.model))?;
    field(out, "Name", opt(&s.name))?;
    field(out, "Host name", opt(&d.hostname))?;
    field(out, "Firmware", opt(&d.firmware))?;
    field(out, "Serial", opt(&d.serial))?;
    field(out, "First seen", short_time(&s.first_seen))?;
    field(out, "Last seen", short_time(&s.last_seen))?;
    let ports: Vec<String> = d.open_ports.iter().map(u16::to_string).collect();
    field(out, "Open ports", ports.join(", "))?;
    if d.addresses.len() > 1 {
        writeln!(out, "  Addresses:")?;
        for a in &d.addresses {
            writeln!(
                out,
                "    {:<15} {} .. {}",
                a.ip.to_string(),
                short_time(&a.first_seen),
                short_time(&a.last_seen)
            )?;
        }
    }
    if !d.services.is_empty() {
        writeln!(out, "  Services:")?;
        for svc in &d.services {
            let what = [svc.server.as_deref(), svc.product.as_deref()]
                .into_iter()
                .flatten()
                .map(|s| terminal(s).into_owned())
                .collect::<Vec<_>>()
                .join(", ");
            writeln!(
                out,
                "    {}/{} {} {}",
                svc.port,
                label(&svc.transport),
                label(&svc.protocol),
                what
            )?;
        }
    }
    if !d.streams.is_empty() {
        writeln!(out, "  Streams:")?;
        for st in &d.streams {
            let mut facts = Vec::new();
            if let Some(v) = &st.video {
                facts.push(terminal(&video_summary(v)).into_owned());
            }
            if let Some(a) = &st.audio {
                facts.push(terminal(&audio_summary(a)).into_owned());
            }
            if d.main_stream.as_deref() == Some(st.url.as_str()) {
                facts.insert(0, "main".into());
            }
            writeln!(
                out,
                "    {:<4} {} {} ({}, since {})",
                label(&st.state),
                terminal(&st.url),
                facts.join(", "),
                stream_reason(st, d.summary.state),
                short_time(&st.state_since)
            )?;
        }
    }
    pushed_lines(d, out)?;
    if !d.events.is_empty() {
        writeln!(out, "  Events (newest first):")?;
        for e in &d.events {
            let stream = e
                .stream_url
                .as_deref()
                .map(|u| format!(" {}", terminal(u)))
                .unwrap_or_default();
            let detail = event_detail(e);
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            };
            writeln!(
                out,
                "    {} {}{stream}{detail}",
                short_time(&e.at),
                label(&e.kind)
            )?;
        }
    }
    Ok(())
}

/// Where camscan pushed the device, and under which name (`Pushed:`; nothing when nowhere).
fn pushed_lines(d: &DeviceDetail, out: &mut dyn Write) -> io::Result<()> {
    if !d.pushed.is_empty() {
        writeln!(out, "  Pushed:")?;
    }
    for p in &d.pushed {
        writeln!(
            out,
            "    {} {} as {} (written {})",
            p.tool,
            terminal(&p.target),
            terminal(&p.name),
            short_time(&p.written_at)
        )?;
    }
    Ok(())
}

/// Why a stored stream is in its state, in words (`show`'s parenthesis after it): what its last
/// scan found, and for a stream that is `down`, why.
fn stream_reason(st: &StreamRecord, device: DeviceState) -> String {
    let found = match st.status {
        StreamStatus::Ok | StreamStatus::Unverified if st.state == StreamState::Up => "it plays",
        StreamStatus::Ok | StreamStatus::Unverified => "it answers, no media received",
        StreamStatus::AuthRequired => "a login is needed and none was tried",
        StreamStatus::AuthFailed => "every login tried was refused",
        StreamStatus::AuthLocked => "the device locked camscan out",
        StreamStatus::NotFound => "its server says there is no such stream",
        StreamStatus::Error => "it did not open (the scan's errors say why)",
    };
    match st.state {
        StreamState::Down if device == DeviceState::Offline => {
            format!("its device is offline; before, {found}")
        }
        StreamState::Down if st.status.answers() => {
            "it stopped answering: checks failed, or its port closed".into()
        }
        _ => found.into(),
    }
}

fn scan_line(sign: char, s: &ScanSummary) -> String {
    format!(
        "{sign}scan {} {} {} of {}",
        s.id,
        short_time(&s.scan.started_at),
        if s.scan.complete {
            "complete"
        } else {
            "interrupted"
        },
        terminal(&s.scan.targets.join(","))
    )
}

fn device_head(address: &std::net::IpAddr, id: i64, key: &str, vm: &str) -> String {
    let vm = if vm.is_empty() {
        String::new()
    } else {
        format!(" {vm}")
    };
    format!("{address} (device {id}, {}){vm}:", terminal(key))
}

fn whole_device(out: &mut dyn Write, sign: char, d: &DiffDevice) -> io::Result<()> {
    writeln!(
        out,
        "{sign}{}",
        device_head(
            &d.address,
            d.device_id,
            &d.key,
            &vendor_model(&d.vendor, &d.model)
        )
    )?;
    for p in &d.ports {
        writeln!(out, "{sign}  port {p}")?;
    }
    for s in &d.streams {
        writeln!(out, "{sign}  stream {}", terminal(s))?;
    }
    Ok(())
}

fn change_lines(out: &mut dyn Write, c: &Change) -> io::Result<()> {
    let field = terminal(&c.field);
    let line = |v: &str| {
        if v.is_empty() {
            format!("  {field}")
        } else {
            format!("  {field}: {}", terminal(v))
        }
    };
    if let Some(b) = &c.before {
        writeln!(out, "-{}", line(b))?;
    }
    if let Some(a) = &c.after {
        writeln!(out, "+{}", line(a))?;
    }
    Ok(())
}

/// `camscan diff`: as nmap's ndiff prints its text, a `-` line for what only the older scan had,
/// `+` for what only the newer has, a space for context. Devices added, then removed, then
/// changed, each in address order; then the devices the newer scan could not have seen, one `?`
/// line each with why (no change: `no change` is still said when there is nothing else).
pub fn diff(d: &Diff, format: DocFormat, out: &mut dyn Write) -> io::Result<()> {
    if format != DocFormat::Table {
        return write_doc(d, format, out);
    }
    writeln!(out, "{}", scan_line('-', &d.a))?;
    writeln!(out, "{}", scan_line('+', &d.b))?;
    if !d.same_targets {
        // Asked for by id: said, since a device outside one scan's targets was never looked for.
        writeln!(
            out,
            "note: these scans are of different targets: a device only one of them could see \
             shows as added or removed"
        )?;
    }
    let mut added: Vec<&DiffDevice> = d.added.iter().collect();
    added.sort_by_key(|x| x.address);
    let mut removed: Vec<&DiffDevice> = d.removed.iter().collect();
    removed.sort_by_key(|x| x.address);
    let mut changed: Vec<_> = d.changed.iter().collect();
    changed.sort_by_key(|x| x.address);
    if added.is_empty() && removed.is_empty() && changed.is_empty() {
        // Said, not left to a blank: the exit status (0) says it to scripts.
        writeln!(out, "\nno change")?;
    }
    for a in added {
        writeln!(out)?;
        whole_device(out, '+', a)?;
    }
    for r in removed {
        writeln!(out)?;
        whole_device(out, '-', r)?;
    }
    for c in changed {
        writeln!(out)?;
        writeln!(out, " {}", device_head(&c.address, c.device_id, &c.key, ""))?;
        for ch in &c.changes {
            change_lines(out, ch)?;
        }
    }
    let mut not_seen: Vec<_> = d.not_seen.iter().collect();
    not_seen.sort_by_key(|n| n.device.address);
    if !not_seen.is_empty() {
        writeln!(out)?;
    }
    for n in not_seen {
        let d = &n.device;
        let head = device_head(
            &d.address,
            d.device_id,
            &d.key,
            &vendor_model(&d.vendor, &d.model),
        );
        writeln!(out, "?{head} not seen: {}", terminal(&n.why))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::{DeviceChanges, ScanInfo};

    fn scan(id: i64, at: &str) -> ScanSummary {
        ScanSummary {
            id,
            scan: ScanInfo {
                started_at: at.into(),
                finished_at: at.into(),
                complete: true,
                site: "lab".into(),
                targets: vec!["127.0.0.131-139".into()],
                ports: vec![8554],
                methods: vec!["port".into()],
                version: "0.1.0".into(),
                coverage: None,
            },
            devices: 3,
            events: 0,
        }
    }

    fn device(id: i64, ip: &str, vendor: Option<&str>) -> DiffDevice {
        DiffDevice {
            device_id: id,
            key: format!("ip:{ip}"),
            address: ip.parse().unwrap(),
            vendor: vendor.map(str::to_string),
            model: None,
            ports: vec![8554],
            streams: vec![format!("rtsp://{ip}:8554/live")],
        }
    }

    fn text(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// `show` says why a stream is in its state in words: a refusal as what was refused, a
    /// stream down with its offline device as that (issue 72: "down … (auth_required)").
    #[test]
    fn a_streams_state_is_said_in_words() {
        let record = |state, status| StreamRecord {
            url: "rtsp://198.18.0.5:554/live".into(),
            protocol: model::Protocol::Rtsp,
            port: 554,
            status,
            auth: model::AuthScheme::Digest,
            username: None,
            video: None,
            audio: None,
            measured: None,
            state,
            state_since: "2026-01-01T00:00:00Z".into(),
            first_seen: "2026-01-01T00:00:00Z".into(),
            last_seen: "2026-01-01T00:00:00Z".into(),
            last_verified: None,
        };
        let online = DeviceState::Online;
        let say = |state, status, device| stream_reason(&record(state, status), device);
        assert_eq!(
            say(StreamState::Refused, StreamStatus::AuthRequired, online),
            "a login is needed and none was tried"
        );
        assert_eq!(
            say(StreamState::Refused, StreamStatus::AuthFailed, online),
            "every login tried was refused"
        );
        assert_eq!(
            say(
                StreamState::Down,
                StreamStatus::AuthFailed,
                DeviceState::Offline
            ),
            "its device is offline; before, every login tried was refused"
        );
        assert_eq!(
            say(StreamState::Unverified, StreamStatus::Unverified, online),
            "it answers, no media received"
        );
        assert_eq!(say(StreamState::Up, StreamStatus::Ok, online), "it plays");
        assert!(say(StreamState::Down, StreamStatus::Unverified, online).starts_with("it stopped"));
    }

    #[test]
    fn a_diff_of_nothing_says_so() {
        let d = Diff {
            same_targets: true,
            a: scan(3, "2026-11-23T02:50:01.5Z"),
            b: scan(5, "2026-11-23T02:52:00Z"),
            added: vec![],
            removed: vec![],
            changed: vec![],
            not_seen: vec![store::NotSeen {
                device: device(6, "198.19.1.64", Some("Hikvision")),
                why: "198.19.1.64 is outside scan 5's targets".into(),
            }],
        };
        let got = text(|out| diff(&d, DocFormat::Table, out));
        assert!(
            got.ends_with(
                "\n\nno change\n\n?198.19.1.64 (device 6, ip:198.19.1.64) Hikvision: not seen: \
                 198.19.1.64 is outside scan 5's targets\n"
            ),
            "{got}"
        );
    }

    #[test]
    fn diff_reads_as_ndiff() {
        let d = Diff {
            same_targets: true,
            a: scan(3, "2026-11-23T02:50:01.5Z"),
            b: scan(5, "2026-11-23T02:52:00Z"),
            added: vec![device(4, "127.0.0.134", Some("Hik\x1b[2Jvision"))],
            removed: vec![device(2, "127.0.0.132", None)],
            changed: vec![DeviceChanges {
                device_id: 3,
                key: "ip:127.0.0.133".into(),
                address: "127.0.0.133".parse().unwrap(),
                changes: vec![
                    Change {
                        field: "stream rtsp://127.0.0.133:8554/live".into(),
                        before: Some("h264 1280x720".into()),
                        after: Some("h264 640x360".into()),
                    },
                    Change {
                        field: "port 80".into(),
                        before: None,
                        after: Some(String::new()),
                    },
                ],
            }],
            not_seen: vec![],
        };
        let got = text(|out| diff(&d, DocFormat::Table, out));
        assert_eq!(
            got,
            "\
-scan 3 2026-11-23 02:50:01Z complete of 127.0.0.131-139
+scan 5 2026-11-23 02:52:00Z complete of 127.0.0.131-139

+127.0.0.134 (device 4, ip:127.0.0.134) Hik\\u{1b}[2Jvision:
+  port 8554
+  stream rtsp://127.0.0.134:8554/live

-127.0.0.132 (device 2, ip:127.0.0.132):
-  port 8554
-  stream rtsp://127.0.0.132:8554/live

 127.0.0.133 (device 3, ip:127.0.0.133):
-  stream rtsp://127.0.0.133:8554/live: h264 1280x720
+  stream rtsp://127.0.0.133:8554/live: h264 640x360
+  port 80
"
        );
        let json: serde_json::Value =
            serde_json::from_str(&text(|out| diff(&d, DocFormat::Json, out))).unwrap();
        assert_eq!(json["added"][0]["address"], "127.0.0.134");
    }
}
