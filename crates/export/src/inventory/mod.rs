//! How the commands that read the inventory print what the store returns: tables and text for
//! people (every device string through [`sanitize::terminal`]), and JSON, NDJSON, YAML and
//! CSV (cells through [`sanitize::spreadsheet`]) for programs. The machine formats carry
//! the store's own serde types, so their fields are the store's (RFC 3339 UTC times).
//!
//! Each kind of document declares its formats once, beside its renderer ([`input::choices!`]):
//! [`RowsFormat`] for the lists (`devices`, `history`, `scans`, `hub sites`), [`DocFormat`] for
//! one document (`show`, `diff`). The scan's report has its registry in [`super::FORMATS`].

use std::io::{self, Write};

use serde::Serialize;

use crate::table::fit::{Column, Text};
use input::choice::format_setting;
use input::setting::{Declared, Setting};
use sanitize::{spreadsheet, terminal};
use store::site_admin::SiteAccount;
use table_writer::Table;

mod detail;
mod lists;

pub use detail::{device, diff};
pub use lists::{devices, events, scans};

input::choices! {
    /// How the inventory commands that list rows print them.
    pub enum RowsFormat {
        /// A table for people (device strings sanitised).
        Table = "table",
        /// One JSON array.
        Json = "json",
        /// RFC 4180 CSV with a header row.
        Csv = "csv",
        /// One JSON object per line.
        Ndjson = "ndjson",
        /// One YAML sequence.
        Yaml = "yaml",
    }
}

input::choices! {
    /// How `camscan show` and `camscan diff` print their one document.
    pub enum DocFormat {
        /// Text for people (device strings sanitised).
        Table = "table",
        /// One JSON object.
        Json = "json",
        /// One YAML document.
        Yaml = "yaml",
    }
}

/// `-f` of the inventory's lists (`devices`, `history`, `scans`, `hub list-sites`).
pub static ROWS_FORMAT: Setting<RowsFormat> = format_setting(RowsFormat::Table);

/// [`ROWS_FORMAT`], a command's list.
pub static ROWS: &[&dyn Declared] = &[&ROWS_FORMAT];

/// `-f` of `show` and `diff`.
pub static DOC_FORMAT: Setting<DocFormat> = format_setting(DocFormat::Table);

/// [`DOC_FORMAT`], a command's list.
pub static DOC: &[&dyn Declared] = &[&DOC_FORMAT];

/// `2026-11-23T02:50:01.123Z` as `2026-11-23 02:50:01Z`: second precision for tables; what does
/// not parse, sanitised.
pub fn short_time(rfc3339: &str) -> String {
    match rfc3339.parse::<jiff::Timestamp>() {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%SZ").to_string(),
        Err(_) => sanitize::terminal(rfc3339).into_owned(),
    }
}

/// A serde unit variant as it is spelled in JSON (`online`, `stream_changed`).
pub(super) fn label<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

pub(super) fn opt(s: &Option<String>) -> String {
    s.as_deref()
        .map(|s| terminal(s).into_owned())
        .unwrap_or_default()
}

/// `rows` under `columns` fitted to `width`, and the line naming the columns left out.
pub fn write_fitted(
    columns: &'static [Column],
    rows: Vec<Vec<Text>>,
    width: Option<u16>,
    out: &mut dyn Write,
) -> io::Result<()> {
    crate::table::write_fitted(columns, rows, (width, "-f json"), out)
}

/// A table under `header`, never wrapped (whatever the terminal's width).
pub(crate) fn new_table(header: &[&str]) -> Table {
    Table::new(header.iter().copied())
}

/// The machine formats of a list; `Table` and `Csv` are the caller's.
pub(crate) fn write_list<T: Serialize>(
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

pub(super) fn write_doc<T: Serialize>(
    doc: &T,
    format: DocFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
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

pub(super) fn write_csv(
    header: &[&str],
    rows: &[Vec<String>],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header)?;
    for row in rows {
        w.write_record(row.iter().map(|c| spreadsheet(c).into_owned()))?;
    }
    w.flush()
}

/// `Axis M1065-L`; the model alone when it starts with the vendor (`AXIS M1065-L`).
pub(super) fn vendor_model(vendor: &Option<String>, model: &Option<String>) -> String {
    model::maker_and_model(vendor.as_deref(), model.as_deref())
        .map(|s| terminal(&s).into_owned())
        .unwrap_or_default()
}

/// `camscan hub sites`: each site's account at the hub.
pub fn sites(list: &[SiteAccount], format: RowsFormat, out: &mut dyn Write) -> io::Result<()> {
    const HEADER: [&str; 8] = [
        "Site",
        "Login role",
        "Inventory",
        "Bound",
        "Last contact",
        "Event",
        "Scan",
        "Check",
    ];
    let row = |s: &SiteAccount| {
        vec![
            terminal(&s.name).into_owned(),
            s.role.clone().unwrap_or_else(|| "-".into()),
            s.inventory_id.clone().unwrap_or_else(|| "-".into()),
            s.bound_at.clone().unwrap_or_else(|| "-".into()),
            s.last_contact.clone().unwrap_or_else(|| "-".into()),
            s.last_event.to_string(),
            s.last_scan.to_string(),
            s.last_check.to_string(),
        ]
    };
    match format {
        RowsFormat::Csv => write_csv(&HEADER, &list.iter().map(row).collect::<Vec<_>>(), out),
        RowsFormat::Table if list.is_empty() => writeln!(out, "No sites at this hub."),
        RowsFormat::Table => {
            let mut t = new_table(&HEADER);
            for s in list {
                t.row(row(s));
            }
            writeln!(out, "{t}")
        }
        other => write_list(list, other, out),
    }
}
