//! What `camscan audit` can write, declared once, and the one `write` that renders each:
//! the table and the machine formats ([`super::render`]) and the handover report
//! ([`super::report`]).

use std::io::{self, Write};

use super::AuditReport;
use super::thumbnail::Pictures;
use super::{render, report};
use input::choice::format_setting;
use input::setting::Setting;

input::choices! {
    /// What `camscan audit` can write.
    pub enum AuditFormat {
        /// A table for people, grouped by severity, with each finding's fix and source.
        Table = "table",
        /// The versioned audit document: summary, findings, commissioning and the devices judged.
        Json = "json",
        /// A row per finding, then a row per planned camera (`kind` tells them apart).
        Csv = "csv",
        /// The handover report: one self-contained HTML file (a picture of each camera, its
        /// streams, findings and fixes, the commissioning result) that prints to a clean PDF.
        Html = "html",
    }
}

/// `camscan audit -f`.
pub static FORMAT: Setting<AuditFormat> = Setting {
    env: "CAMSCAN_AUDIT_FORMAT",
    ..format_setting(AuditFormat::Table)
};

/// The audit as `format` says: the table fitted to `width`, the handover report with the
/// `pictures` taken (or why none were).
pub fn write(
    r: &AuditReport,
    (format, width): (AuditFormat, Option<u16>),
    pictures: Result<&Pictures, &str>,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        AuditFormat::Table => render::table(r, width, out),
        AuditFormat::Json => render::json(r, out),
        AuditFormat::Csv => render::csv(r, b',', out),
        AuditFormat::Html => report::html(r, pictures, out),
    }
}
