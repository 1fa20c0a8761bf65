//! An audit as people and programs read it: a table grouped by severity (device strings through
//! [`crate::sanitize::terminal`]), the versioned JSON document ([`super::AuditReport`]), and CSV
//! (one row per finding, then one per commissioning result; cells through
//! [`crate::sanitize::spreadsheet`]).

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table};

use super::plan::{Commissioning, PlanResult};
use super::{AuditReport, DeviceRef, Finding, Severity};
use crate::sanitize::{spreadsheet, terminal};

/// The CSV's columns.
pub const CSV_HEADER: [&str; 15] = [
    "kind", "id", "severity", "address", "mac", "site", "name", "vendor", "model", "port",
    "stream", "title", "evidence", "fix", "source",
];

fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(header.to_vec());
    t
}

fn device_cell(d: &DeviceRef) -> String {
    let mut s = d.address.to_string();
    let who = crate::model::maker_and_model(d.vendor.as_deref(), d.model.as_deref())
        .or_else(|| d.name.clone());
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
pub fn table(r: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let s = &r.summary;
    let site = r
        .site
        .as_deref()
        .map(|s| format!(" at site {}", terminal(s)))
        .unwrap_or_default();
    writeln!(
        out,
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
    )?;
    for level in Severity::DESCENDING {
        let group: Vec<&Finding> = r.findings.iter().filter(|f| f.severity == level).collect();
        if group.is_empty() {
            continue;
        }
        writeln!(out, "\n{} ({})", level.as_str().to_uppercase(), group.len())?;
        let mut t = new_table(&["Finding", "Device", "Where", "Evidence"]);
        for f in &group {
            t.add_row(vec![
                f.id.as_str().to_string(),
                device_cell(&f.device),
                where_cell(f),
                terminal(&f.evidence).into_owned(),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    let mut ids: Vec<_> = r.findings.iter().map(|f| f.id).collect();
    ids.sort();
    ids.dedup();
    if !ids.is_empty() {
        writeln!(out, "\nHow to fix")?;
        for id in ids {
            let t = super::rules::texts(id);
            writeln!(out, "  {}: {} {}", id.as_str(), t.title, fix_line(t.fix))?;
            writeln!(out, "    source: {}", t.source)?;
        }
    }
    if let Some(c) = &r.commissioning {
        commissioning_table(c, out)?;
    }
    Ok(())
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

fn commissioning_table(c: &Commissioning, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "\nCommissioning: {} planned, {} ok, {} mismatch, {} missing, {} unexpected",
        c.planned,
        c.ok,
        c.mismatch,
        c.missing,
        c.unexpected.len()
    )?;
    let mut t = new_table(&["Planned", "Address", "MAC", "Result", "Differences"]);
    for p in &c.cameras {
        t.add_row(vec![
            planned_name(p),
            p.planned
                .address
                .map(|a| a.to_string())
                .or_else(|| p.found.as_ref().map(|f| f.address.to_string()))
                .unwrap_or_default(),
            p.planned.mac.clone().unwrap_or_default(),
            p.state.as_str().to_string(),
            differences(p),
        ]);
    }
    for u in &c.unexpected {
        t.add_row(vec![
            String::new(),
            u.address.to_string(),
            u.mac
                .as_deref()
                .map(terminal)
                .unwrap_or_default()
                .into_owned(),
            "unexpected".into(),
            crate::model::maker_and_model(u.vendor.as_deref(), u.model.as_deref())
                .map(|w| format!("not in the plan: {}", terminal(&w)))
                .unwrap_or_else(|| "not in the plan".into()),
        ]);
    }
    writeln!(out, "{t}")
}

/// The JSON document.
pub fn json(r: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::from)?;
    writeln!(out)
}

/// CSV: a row per finding (`kind` = `finding`), then a row per planned camera and per unexpected
/// one (`kind` = `commissioning`, `id` = the result, `evidence` = the differences).
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
