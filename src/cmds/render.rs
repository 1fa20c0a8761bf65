//! How the commands that read the inventory print what the store returns: tables and text for people (every
//! device string through [`crate::sanitize::terminal`]), and JSON, NDJSON, YAML and CSV (cells
//! through [`crate::sanitize::spreadsheet`]) for programs. The machine formats carry the store's
//! own serde types, so their fields are the store's (RFC 3339 UTC times).

use std::collections::HashMap;
use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table};
use serde::Serialize;

use crate::cli::{DocFormat, RowsFormat};
use crate::export::table::fit::{Column, Text};
use crate::export::table::{col, write_wrapped};
use crate::export::{audio_summary, video_summary};
use crate::record::short_time;
use crate::sanitize::{spreadsheet, terminal};
use crate::store::{
    Change, DeviceDetail, DeviceSummary, Diff, DiffDevice, ScanSummary, StoreEvent,
};

/// A serde unit variant as it is spelled in JSON (`online`, `stream_changed`).
fn label<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn opt(s: &Option<String>) -> String {
    s.as_deref()
        .map(|s| terminal(s).into_owned())
        .unwrap_or_default()
}

/// How wide a table on stdout may be: `--width` (0: no limit), else `$COLUMNS`, else the
/// terminal's width, else 100 (a pipe, a file), as `camscan scan`'s table.
pub(super) fn stdout_width(
    given: Option<u16>,
    env: &crate::model::environment::Environment,
) -> Option<u16> {
    crate::scan::output::table_width(
        given.or(env.columns()),
        terminal_size::terminal_size_of(io::stdout()).map(|(w, _)| w.0),
    )
}

/// `rows` under `columns` fitted to `width`, and the line naming the columns left out.
pub(super) fn write_fitted(
    columns: &'static [Column],
    rows: Vec<Vec<Text>>,
    width: Option<u16>,
    out: &mut dyn Write,
) -> io::Result<()> {
    crate::export::table::write_fitted(columns, rows, (width, "-f json"), out)
}

pub(super) fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    // Tables never depend on the terminal: no wrapping, whatever the width.
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(header.to_vec());
    t
}

/// The machine formats of a list; `Table` and `Csv` are the caller's.
pub(super) fn write_list<T: Serialize>(
    items: &[T],
    format: RowsFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        RowsFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, items).map_err(io::Error::from)?;
            writeln!(out)
        }
        RowsFormat::Ndjson => {
            for item in items {
                serde_json::to_writer(&mut *out, item).map_err(io::Error::from)?;
                writeln!(out)?;
            }
            Ok(())
        }
        RowsFormat::Yaml => {
            let text = serde_yaml::to_string(items).map_err(io::Error::other)?;
            out.write_all(text.as_bytes())
        }
        RowsFormat::Table | RowsFormat::Csv => unreachable!("rendered by the caller"),
    }
}

fn write_doc<T: Serialize>(doc: &T, format: DocFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        DocFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, doc).map_err(io::Error::from)?;
            writeln!(out)
        }
        DocFormat::Yaml => {
            let text = serde_yaml::to_string(doc).map_err(io::Error::other)?;
            out.write_all(text.as_bytes())
        }
        DocFormat::Table => unreachable!("rendered by the caller"),
    }
}

fn write_csv(header: &[&str], rows: &[Vec<String>], out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header)?;
    for row in rows {
        w.write_record(row.iter().map(|c| spreadsheet(c).into_owned()))?;
    }
    w.flush()
}

/// `Axis M1065-L`; the model alone when it starts with the vendor (`AXIS M1065-L`).
fn vendor_model(vendor: &Option<String>, model: &Option<String>) -> String {
    crate::model::maker_and_model(vendor.as_deref(), model.as_deref())
        .map(|s| terminal(&s).into_owned())
        .unwrap_or_default()
}

const DEVICE_COLUMNS: [&str; 12] = [
    "id",
    "state",
    "state_since",
    "address",
    "mac",
    "vendor",
    "model",
    "name",
    "streams_up",
    "streams_total",
    "first_seen",
    "last_seen",
];

/// `camscan devices`.
pub fn devices(
    list: &[DeviceSummary],
    format: RowsFormat,
    width: Option<u16>,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        RowsFormat::Table => {
            if list.is_empty() {
                return writeln!(out, "No devices in the inventory match.");
            }
            const COLUMNS: &[Column] = &[
                col("ID", 0, 3),
                col("State", 0, 7),
                col("Since", 3, 10),
                col("Address", 0, 15),
                col("MAC", 2, 17),
                col("Vendor / model", 1, 14),
                col("Name", 1, 12),
                col("Streams up", 0, 7),
                col("First seen", 5, 10),
                col("Last seen", 4, 10),
            ];
            let rows = list
                .iter()
                .map(|d| {
                    vec![
                        Text::words(d.id.to_string()),
                        Text::words(label(&d.state)),
                        Text::words(short_time(&d.state_since)),
                        Text::whole(d.address.map(|a| a.to_string()).unwrap_or_default()),
                        Text::whole(opt(&d.mac)),
                        Text::words(vendor_model(&d.vendor, &d.model)),
                        // The label, else the host name (the address has its own column).
                        Text::words(opt(&d.name.clone().or_else(|| d.hostname.clone()))),
                        Text::words(format!("{}/{}", d.streams_up, d.streams_total)),
                        Text::words(short_time(&d.first_seen)),
                        Text::words(short_time(&d.last_seen)),
                    ]
                })
                .collect();
            write_fitted(COLUMNS, rows, width, out)?;
            let online = list.iter().filter(|d| label(&d.state) == "online").count();
            writeln!(out, "{} device(s), {online} online", list.len())
        }
        RowsFormat::Csv => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|d| {
                    vec![
                        d.id.to_string(),
                        label(&d.state),
                        d.state_since.clone(),
                        d.address.map(|a| a.to_string()).unwrap_or_default(),
                        d.mac.clone().unwrap_or_default(),
                        d.vendor.clone().unwrap_or_default(),
                        d.model.clone().unwrap_or_default(),
                        d.name.clone().unwrap_or_default(),
                        d.streams_up.to_string(),
                        d.streams_total.to_string(),
                        d.first_seen.clone(),
                        d.last_seen.clone(),
                    ]
                })
                .collect();
            write_csv(&DEVICE_COLUMNS, &rows, out)
        }
        _ => write_list(list, format, out),
    }
}

/// An event's detail in one line: `before -> after` when it has both, else its JSON.
fn event_detail(e: &StoreEvent) -> String {
    let d = &e.detail;
    if matches!(
        e.kind,
        crate::store::EventKind::FindingNew | crate::store::EventKind::FindingResolved
    ) {
        return terminal(&finding_line(d)).into_owned();
    }
    let text = match (d.get("before"), d.get("after"), d.as_object()) {
        (Some(b), Some(a), _) => format!("{} -> {}", value_text(b), value_text(a)),
        // `address=192.168.1.64 streams=2`: what the event carries, nulls left out.
        (_, _, Some(o)) => o
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{k}={}", value_text(v)))
            .collect::<Vec<_>>()
            .join(" "),
        _ if d.is_null() => String::new(),
        _ => value_text(d),
    };
    terminal(&text).into_owned()
}

/// A finding event in one line: `high stream-unauthenticated port 8554: <title>` (the stream URL
/// is the event's own column).
fn finding_line(d: &serde_json::Value) -> String {
    let field = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let port = d
        .get("port")
        .and_then(serde_json::Value::as_u64)
        .map(|p| format!(" port {p}"))
        .unwrap_or_default();
    format!(
        "{} {}{port}: {}",
        field("severity"),
        field("finding"),
        field("title")
    )
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        serde_json::Value::Array(items) => {
            items.iter().map(value_text).collect::<Vec<_>>().join(",")
        }
        other => other.to_string(),
    }
}

/// `camscan history`: `devices` names each event's device by its current address.
pub fn events(
    list: &[StoreEvent],
    devices: &[DeviceSummary],
    format: RowsFormat,
    width: Option<u16>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let address: HashMap<i64, String> = devices
        .iter()
        .filter_map(|d| d.address.map(|a| (d.id, a.to_string())))
        .collect();
    let row = |e: &StoreEvent, full_time: bool| {
        vec![
            if full_time {
                e.at.clone()
            } else {
                short_time(&e.at)
            },
            label(&e.kind),
            e.device_id.to_string(),
            address.get(&e.device_id).cloned().unwrap_or_default(),
            e.stream_url
                .as_deref()
                .map(|u| terminal(u).into_owned())
                .unwrap_or_default(),
            event_detail(e),
        ]
    };
    match format {
        RowsFormat::Table => {
            if list.is_empty() {
                return writeln!(out, "No events.");
            }
            const COLUMNS: &[Column] = &[
                col("When", 0, 10),
                col("Event", 0, 12),
                col("Device", 2, 3),
                col("Address", 1, 15),
                col("Stream", 1, 20),
                col("Detail", 0, 24),
            ];
            let rows = list
                .iter()
                .map(|e| {
                    let mut cells: Vec<Text> = row(e, false).into_iter().map(Text::words).collect();
                    cells[3].whole = true;
                    cells[4].whole = true;
                    cells
                })
                .collect();
            write_fitted(COLUMNS, rows, width, out)
        }
        RowsFormat::Csv => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|e| {
                    let mut r = row(e, true);
                    r.insert(0, e.id.to_string());
                    r.push(e.scan_id.map(|s| s.to_string()).unwrap_or_default());
                    r.push(e.detail.to_string());
                    r
                })
                .collect();
            write_csv(
                &[
                    "id",
                    "at",
                    "kind",
                    "device_id",
                    "address",
                    "stream_url",
                    "summary",
                    "scan_id",
                    "detail",
                ],
                &rows,
                out,
            )
        }
        _ => write_list(list, format, out),
    }
}

/// `camscan scans`.
pub fn scans(
    list: &[ScanSummary],
    format: RowsFormat,
    width: Option<u16>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let row = |s: &ScanSummary, full: bool| {
        let time = |t: &str| if full { t.to_string() } else { short_time(t) };
        vec![
            s.id.to_string(),
            time(&s.scan.started_at),
            time(&s.scan.finished_at),
            if s.scan.complete {
                "complete".into()
            } else {
                "interrupted".into()
            },
            terminal(&s.scan.targets.join(",")).into_owned(),
            s.devices.to_string(),
            s.events.to_string(),
            terminal(&s.scan.version).into_owned(),
        ]
    };
    match format {
        RowsFormat::Table => {
            if list.is_empty() {
                return writeln!(out, "No scans recorded.");
            }
            const COLUMNS: &[Column] = &[
                col("ID", 0, 3),
                col("Started", 0, 10),
                col("Finished", 3, 10),
                col("Outcome", 0, 8),
                col("Targets", 1, 18),
                col("Devices", 0, 7),
                col("Events", 2, 6),
                col("camscan", 4, 7),
            ];
            let rows = list
                .iter()
                .map(|s| row(s, false).into_iter().map(Text::words).collect())
                .collect();
            write_fitted(COLUMNS, rows, width, out)
        }
        RowsFormat::Csv => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    let mut r = row(s, true);
                    let ports: Vec<String> = s.scan.ports.iter().map(u16::to_string).collect();
                    r.push(ports.join(","));
                    r.push(s.scan.methods.join(","));
                    r
                })
                .collect();
            write_csv(
                &[
                    "id",
                    "started_at",
                    "finished_at",
                    "outcome",
                    "targets",
                    "devices",
                    "events",
                    "version",
                    "ports",
                    "methods",
                ],
                &rows,
                out,
            )
        }
        _ => write_list(list, format, out),
    }
}

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
        if width.is_none_or(|w| crate::export::table::fit::width(line) <= usize::from(w)) {
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
                label(&st.status),
                short_time(&st.state_since)
            )?;
        }
    }
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
    use crate::store::{DeviceChanges, DeviceState, ScanInfo};

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

    #[test]
    fn a_diff_of_nothing_says_so() {
        let d = Diff {
            same_targets: true,
            a: scan(3, "2026-11-23T02:50:01.5Z"),
            b: scan(5, "2026-11-23T02:52:00Z"),
            added: vec![],
            removed: vec![],
            changed: vec![],
            not_seen: vec![crate::store::NotSeen {
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

    #[test]
    fn event_details_read_in_one_line() {
        use crate::store::EventKind;
        let event = |detail: serde_json::Value| StoreEvent {
            id: 1,
            scan_id: Some(2),
            site: "lab".into(),
            at: "2026-11-23T02:50:01Z".into(),
            kind: EventKind::StreamChanged,
            device_id: 3,
            stream_url: None,
            detail,
        };
        let d = |v| event_detail(&event(v));
        assert_eq!(
            d(
                serde_json::json!({"before": "h264 1280x720 15 -", "after": "h264 640x360 15 -", "changed": ["size"]})
            ),
            "h264 1280x720 15 - -> h264 640x360 15 -"
        );
        assert_eq!(
            d(serde_json::json!({"address": "10.0.0.5", "model": null, "ports": [80, 554]})),
            "address=10.0.0.5 ports=80,554"
        );
        assert_eq!(
            d(serde_json::json!({"name": "cam\u{1b}[2J"})),
            "name=cam\\u{1b}[2J"
        );
        assert_eq!(d(serde_json::Value::Null), "");
        let finding = StoreEvent {
            kind: EventKind::FindingNew,
            ..event(
                serde_json::json!({"finding": "stream-unauthenticated", "severity": "high",
                "title": "the stream plays without credentials", "port": 8554,
                "stream": "rtsp://10.0.0.5:8554/cam"}),
            )
        };
        assert_eq!(
            event_detail(&finding),
            "high stream-unauthenticated port 8554: the stream plays without credentials"
        );
    }

    #[test]
    fn device_rows_are_sanitised_and_csv_cells_defused() {
        let d = DeviceSummary {
            id: 7,
            site: "lab".into(),
            key: "mac:44:19:b6:00:00:01".into(),
            state: DeviceState::Online,
            state_since: "2026-11-23T02:50:01Z".into(),
            first_seen: "2026-11-20T10:00:00Z".into(),
            last_seen: "2026-11-23T02:50:01Z".into(),
            address: Some("192.168.1.64".parse().unwrap()),
            mac: Some("44:19:b6:00:00:01".into()),
            vendor: Some("Hikvision".into()),
            model: Some("DS-2CD\x1b]0;owned\x07".into()),
            name: Some("=HYPERLINK(\"x\")".into()),
            streams_up: 1,
            streams_total: 2,
            hostname: None,
            is_camera: true,
        };
        let table = text(|out| devices(std::slice::from_ref(&d), RowsFormat::Table, None, out));
        assert!(
            !table.contains('\x1b') && !table.contains('\x07'),
            "{table}"
        );
        assert!(
            table.contains("Hikvision DS-2CD\\u{1b}]0;owned\\u{7}"),
            "{table}"
        );
        assert!(
            table.contains("1/2") && table.contains("2026-11-20 10:00:00Z"),
            "{table}"
        );
        assert!(table.ends_with("1 device(s), 1 online\n"), "{table}");
        let csv = text(|out| devices(std::slice::from_ref(&d), RowsFormat::Csv, None, out));
        assert!(csv.contains(",\"'=HYPERLINK(\"\"x\"\")\","), "{csv}");
        let ndjson = text(|out| devices(&[d.clone(), d], RowsFormat::Ndjson, None, out));
        assert_eq!(ndjson.lines().count(), 2);
        let row: serde_json::Value = serde_json::from_str(ndjson.lines().next().unwrap()).unwrap();
        assert_eq!(row["state"], "online");
    }
}
