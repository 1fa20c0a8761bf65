//! An audit as people and programs read it: a table grouped by severity (device strings through
//! [`sanitize::terminal`]), the versioned JSON document ([`super::AuditReport`]), and CSV
//! (one row per finding, then one per commissioning result; cells through
//! [`sanitize::spreadsheet`]).

use std::io::{self, Write};

use export::table::fit::{Column, Text};
use export::table::{col, write_wrapped as wrapped};

use super::plan::{Commissioning, PlanResult};
use super::{AuditReport, DeviceRef, Finding, Severity};
use sanitize::{spreadsheet, terminal};

/// The CSV's columns.
pub const CSV_HEADER: [&str; 15] = [
    "kind", "id", "severity", "address", "mac", "site", "name", "vendor", "model", "port",
    "stream", "title", "evidence", "fix", "source",
];

/// `rows` under `columns` fitted to `width` (the scan's table's rules), and the columns left out.
fn fitted(
    columns: &'static [Column],
    rows: Vec<Vec<Text>>,
    width: Option<u16>,
    out: &mut dyn Write,
) -> io::Result<()> {
    export::table::write_fitted(columns, rows, (width, "-f json or -f html"), out)
}

fn device_cell(d: &DeviceRef) -> String {
    let mut s = d.address.to_string();
    let who =
        model::maker_and_model(d.vendor.as_deref(), d.model.as_deref()).or_else(|| d.name.clone());
    if let Some(w) = who {
        s.push_str(&format!(" ({})", terminal(&w)));
    }
    s
}

fn where_cell(f: &Finding) -> String {
    match (&f.stream, f.port) {
        (Some(s), _) => terminal(s).into_owned(),
        (None, Some(p)) => format!("port {p}"),
        (None, None) => String::new(),
    }
}

/// The table: a summary line, the findings grouped by severity with each id's fix once, then
/// commissioning.
pub fn table(r: &AuditReport, width: Option<u16>, out: &mut dyn Write) -> io::Result<()> {
    let s = &r.summary;
    let site = r
        .site
        .as_deref()
        .map(|s| format!(" at site {}", terminal(s)))
        .unwrap_or_default();
    let head = format!(
        "Audit of {} device{} ({} camera{}, {} verified){site}: {} critical, {} high, {} medium, \
         {} low, {} info",
        s.devices,
        plural(s.devices),
        s.cameras,
        plural(s.cameras),
        s.verified,
        s.critical,
        s.high,
        s.medium,
        s.low,
        s.info
    );
    wrapped(out, "", &head, width)?;
    for level in Severity::DESCENDING {
        let group: Vec<&Finding> = r.findings.iter().filter(|f| f.severity == level).collect();
        if group.is_empty() {
            continue;
        }
        writeln!(out, "\n{} ({})", level.as_str().to_uppercase(), group.len())?;
        const COLUMNS: &[Column] = &[
            col("Finding", 0, 12),
            col("Device", 1, 16),
            col("Where", 1, 20),
            col("Evidence", 0, 30),
        ];
        let rows = group
            .iter()
            .map(|f| {
                vec![
                    Text::words(f.id.as_str()),
                    Text::words(device_cell(&f.device)),
                    Text::whole(where_cell(f)),
                    Text::words(terminal(&f.evidence)),
                ]
            })
            .collect();
        fitted(COLUMNS, rows, width, out)?;
    }
    let mut ids: Vec<_> = r.findings.iter().map(|f| f.id).collect();
    ids.sort();
    ids.dedup();
    if !ids.is_empty() {
        writeln!(out, "\nHow to fix")?;
        for id in ids {
            let t = super::rules::texts(id);
            let first = format!("  {}: ", id.as_str());
            wrapped(
                out,
                &first,
                &format!("{} {}", t.title, fix_line(t.fix)),
                width,
            )?;
            wrapped(out, "    source: ", t.source, width)?;
        }
    }
    let partial = partial_coverage(r);
    if !partial.is_empty() {
        writeln!(out)?;
        wrapped(
            out,
            "",
            "Advisory coverage is partial: no firmware-advisory finding does not mean not \
             affected",
            width,
        )?;
        for p in &partial {
            let text = format!(
                "{} ({}): {} leaves out {}",
                terminal(&p.maker),
                p.addresses.join(", "),
                p.advisory,
                p.left_out
            );
            wrapped(out, "  ", &text, width)?;
            wrapped(out, "    source: ", &p.source, width)?;
        }
    }
    if !r.not_checked.is_empty() {
        writeln!(out)?;
        wrapped(
            out,
            "",
            "Not checked: judged from the inventory, which does not keep everything a scan sees",
            width,
        )?;
        for n in &r.not_checked {
            wrapped(out, &format!("  {}: ", n.checks.join(", ")), &n.why, width)?;
        }
    }
    if let Some(c) = &r.commissioning {
        commissioning_table(c, width, out)?;
    }
    Ok(())
}

/// One partial advisory entry and the devices of its maker it concerns.
pub struct PartialCoverage {
    pub maker: String,
    pub advisory: String,
    pub left_out: String,
    pub source: String,
    pub addresses: Vec<String>,
}

/// The report's coverage notes grouped by advisory, in the order they first appear (devices in
/// report order): what the table and the HTML report say once per advisory.
pub fn partial_coverage(r: &AuditReport) -> Vec<PartialCoverage> {
    let mut out: Vec<PartialCoverage> = Vec::new();
    for c in &r.coverage {
        let address = c.device.address.to_string();
        match out.iter_mut().find(|p| p.advisory == c.advisory) {
            Some(p) => {
                if !p.addresses.contains(&address) {
                    p.addresses.push(address);
                }
            }
            None => out.push(PartialCoverage {
                maker: c.maker.clone(),
                advisory: c.advisory.clone(),
                left_out: c.left_out.clone(),
                source: c.source.clone(),
                addresses: vec![address],
            }),
        }
    }
    out
}

/// `(fix: ...)`, the fix's whitespace folded.
fn fix_line(fix: &str) -> String {
    format!(
        "(fix: {})",
        fix.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn planned_name(p: &PlanResult) -> String {
    p.planned
        .name
        .as_deref()
        .map(|n| terminal(n).into_owned())
        .unwrap_or_else(|| format!("line {}", p.planned.line))
}

fn differences(p: &PlanResult) -> String {
    p.differences
        .iter()
        .map(|d| {
            format!(
                "{}: planned {}, found {}",
                d.fact,
                d.planned,
                terminal(&d.found)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn commissioning_table(
    c: &Commissioning,
    width: Option<u16>,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "\nCommissioning: {} planned, {} ok, {} mismatch, {} missing, {} unexpected",
        c.planned,
        c.ok,
        c.mismatch,
        c.missing,
        c.unexpected.len()
    )?;
    const COLUMNS: &[Column] = &[
        col("Planned", 0, 12),
        col("Address", 0, 15),
        col("MAC", 2, 17),
        col("Result", 0, 10),
        col("Differences", 0, 24),
    ];
    let mut rows: Vec<Vec<Text>> = Vec::new();
    for p in &c.cameras {
        rows.push(vec![
            Text::words(planned_name(p)),
            Text::whole(
                p.planned
                    .address
                    .map(|a| a.to_string())
                    .or_else(|| p.found.as_ref().map(|f| f.address.to_string()))
                    .unwrap_or_default(),
            ),
            Text::whole(p.planned.mac.clone().unwrap_or_default()),
            Text::words(p.state.as_str()),
            Text::words(differences(p)),
        ]);
    }
    for u in &c.unexpected {
        rows.push(vec![
            Text::words(""),
            Text::whole(u.address.to_string()),
            Text::whole(u.mac.as_deref().map(terminal).unwrap_or_default()),
            Text::words("unexpected"),
            Text::words(
                model::maker_and_model(u.vendor.as_deref(), u.model.as_deref())
                    .map(|w| format!("not in the plan: {}", terminal(&w)))
                    .unwrap_or_else(|| "not in the plan".into()),
            ),
        ]);
    }
    fitted(COLUMNS, rows, width, out)
}

/// The JSON document.
pub fn json(r: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::from)?;
    writeln!(out)
}

/// CSV: a row per finding (`kind` = `finding`), then a row per device and partial advisory
/// (`kind` = `coverage`, `id` = the advisory, `evidence` = what it leaves out), then a row per
/// planned camera and per unexpected one (`kind` = `commissioning`, `id` = the result,
/// `evidence` = the differences).
pub fn csv(r: &AuditReport, delimiter: u8, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(out);
    w.write_record(CSV_HEADER)?;
    let dev = |d: &DeviceRef| {
        [
            d.address.to_string(),
            d.mac.clone().unwrap_or_default(),
            d.site.clone().unwrap_or_default(),
            d.name.clone().unwrap_or_default(),
            d.vendor.clone().unwrap_or_default(),
            d.model.clone().unwrap_or_default(),
        ]
    };
    for f in &r.findings {
        let mut row = vec![
            "finding".to_string(),
            f.id.as_str().into(),
            f.severity.as_str().into(),
        ];
        row.extend(dev(&f.device));
        row.extend([
            f.port.map(|p| p.to_string()).unwrap_or_default(),
            f.stream.clone().unwrap_or_default(),
            f.title.clone(),
            f.evidence.clone(),
            f.fix.split_whitespace().collect::<Vec<_>>().join(" "),
            f.source.clone(),
        ]);
        w.write_record(row.iter().map(|c| spreadsheet(c).into_owned()))?;
    }
    for c in &r.coverage {
        let mut row = vec!["coverage".to_string(), c.advisory.clone(), String::new()];
        row.extend(dev(&c.device));
        row.extend([
            String::new(),
            String::new(),
            format!("{}: advisory coverage is partial", c.advisory),
            c.left_out.clone(),
            String::new(),
            c.source.clone(),
        ]);
        w.write_record(row.iter().map(|c| spreadsheet(c).into_owned()))?;
    }
    if let Some(c) = &r.commissioning {
        for p in &c.cameras {
            let mut row = vec![
                "commissioning".to_string(),
                p.state.as_str().into(),
                String::new(),
            ];
            match &p.found {
                Some(d) => {
                    let mut cells = dev(d);
                    cells[3] = p.planned.name.clone().unwrap_or_default();
                    row.extend(cells);
                }
                None => row.extend([
                    p.planned.address.map(|a| a.to_string()).unwrap_or_default(),
                    p.planned.mac.clone().unwrap_or_default(),
                    r.site.clone().unwrap_or_default(),
                    p.planned.name.clone().unwrap_or_default(),
                    String::new(),
                    String::new(),
                ]),
            }
            row.extend([
                String::new(),
                String::new(),
                format!("plan line {}", p.planned.line),
                differences(p),
                String::new(),
                String::new(),
            ]);
            w.write_record(row.iter().map(|c| spreadsheet(c).into_owned()))?;
        }
        for u in &c.unexpected {
            let mut row = vec![
                "commissioning".to_string(),
                "unexpected".into(),
                String::new(),
            ];
            row.extend(dev(u));
            row.extend(std::iter::repeat_n(String::new(), 6));
            w.write_record(row.iter().map(|c| spreadsheet(c).into_owned()))?;
        }
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Context;
    use model::{Device, Report};

    fn audit(devices: Vec<Device>) -> AuditReport {
        let report = Report {
            schema_version: 1,
            camscan_version: "0.0.0".into(),
            started_at: "2026-11-25T08:00:00Z".into(),
            finished_at: "2026-11-25T08:00:04Z".into(),
            complete: true,
            targets: vec!["198.18.0.0/24".into()],
            plan: None,
            coverage: None,
            devices,
        };
        AuditReport::new(report, "scan", &Context::default(), None)
    }

    fn device(ip: &str, vendor: &str, model: &str) -> Device {
        let mut d = Device::new(ip.parse().unwrap());
        d.vendor = Some(vendor.into());
        d.model = Some(model.into());
        d.firmware = Some("V5.7.3 build 220112".into());
        d
    }

    /// Two Hikvision devices with no advisory finding: the table, the CSV and the JSON say
    /// that Hikvision's advisory coverage is partial (once per advisory in the table, naming
    /// both); a report of a maker whose entries are complete says nothing of it.
    #[test]
    fn a_partial_entrys_coverage_note_is_shown() {
        let r = audit(vec![
            device("198.18.0.5", "HIKVISION", "DS-2CD2143G2-I"),
            device("198.18.0.6", "Hikvision", "DS-2CD2386G2-IU"),
        ]);
        assert!(
            r.findings
                .iter()
                .all(|f| f.id != crate::audit::FindingId::FirmwareAdvisory),
            "{:?}",
            r.findings
        );
        let mut out = Vec::new();
        table(&r, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "Advisory coverage is partial: no firmware-advisory finding does not mean not \
                 affected\n  Hikvision (198.18.0.5, 198.18.0.6): CVE-2025-66177 leaves out the \
                 further NVR"
            ),
            "{text}"
        );
        let mut out = Vec::new();
        csv(&r, b',', &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("coverage,CVE-2025-66177,,198.18.0."))
                .count(),
            2,
            "{text}"
        );
        let mut out = Vec::new();
        json(&r, &mut out).unwrap();
        let back: AuditReport = serde_json::from_slice(&out).unwrap();
        assert_eq!(back.coverage, r.coverage);
        assert_eq!(back.coverage.len(), 2);

        let r = audit(vec![device("198.18.0.7", "Dahua", "IPC-HDW3849H-AS-PV")]);
        assert!(r.coverage.is_empty());
        let mut out = Vec::new();
        table(&r, None, &mut out).unwrap();
        assert!(!String::from_utf8(out).unwrap().contains("coverage"));
    }
}
