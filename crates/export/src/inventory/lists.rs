//! The inventory's lists: `camscan devices`, `history` and `scans`.

use std::collections::HashMap;
use std::io::{self, Write};

use super::{
    RowsFormat, label, opt, short_time, vendor_model, write_csv, write_fitted, write_list,
};
use crate::table::col;
use crate::table::fit::{Column, Text};
use sanitize::terminal;
use store::{DeviceSummary, ScanSummary, StoreEvent};

const DEVICE_COLUMNS: [&str; 13] = [
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
    "pushed",
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
                col("Pushed as", 6, 12),
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
                        Text::words(terminal(&d.pushed.join(" ")).into_owned()),
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
                        d.pushed.join(" "),
                    ]
                })
                .collect();
            write_csv(&DEVICE_COLUMNS, &rows, out)
        }
        _ => write_list(list, format, out),
    }
}

/// An event's detail in one line: `before -> after` when it has both, else its JSON.
pub(super) fn event_detail(e: &StoreEvent) -> String {
    let d = &e.detail;
    if matches!(
        e.kind,
        store::EventKind::FindingNew | store::EventKind::FindingResolved
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

/// `camscan history`: each event with the address its device had then (`then`, by event id:
/// [`store::Store::event_addresses`]), else its device's current one (`devices`).
pub fn events(
    list: &[StoreEvent],
    (devices, then): (&[DeviceSummary], &HashMap<i64, String>),
    format: RowsFormat,
    width: Option<u16>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let current: HashMap<i64, String> = devices
        .iter()
        .filter_map(|d| d.address.map(|a| (d.id, a.to_string())))
        .collect();
    let address = |e: &StoreEvent| {
        then.get(&e.id)
            .or_else(|| current.get(&e.device_id))
            .cloned()
            .unwrap_or_default()
    };
    let row = |e: &StoreEvent, full_time: bool| {
        vec![
            if full_time {
                e.at.clone()
            } else {
                short_time(&e.at)
            },
            label(&e.kind),
            e.device_id.to_string(),
            address(e),
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

#[cfg(test)]
mod tests {
    use super::*;
    use store::DeviceState;

    fn text(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn event_details_read_in_one_line() {
        use store::EventKind;
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
            pushed: vec!["frigate:=cmd\x1b[2J".into()],
        };
        let table = text(|out| devices(std::slice::from_ref(&d), RowsFormat::Table, None, out));
        assert!(!table.contains('\x1b'), "{table}");
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
        assert!(csv.lines().next().unwrap().ends_with(",pushed"), "{csv}");
        let ndjson = text(|out| devices(&[d.clone(), d], RowsFormat::Ndjson, None, out));
        assert_eq!(ndjson.lines().count(), 2);
        let row: serde_json::Value = serde_json::from_str(ndjson.lines().next().unwrap()).unwrap();
        assert_eq!(row["state"], "online");
        assert_eq!(row["pushed"][0], "frigate:=cmd\u{1b}[2J");
    }
}
