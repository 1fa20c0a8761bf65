//! Every report a test's camscan run writes, kept for the outside parsers: `scripts/test`'s last
//! phase (`scripts/check-formats`) reads target/test-reports/ with parsers of other languages and
//! the shipped schemas (docs/reference/camscan.schema.json, camscan.xsd), so each output format is
//! checked on the scans of every kind of device the suite has, the hostile ones included.
//!
//! [`keep`] sees each finished run's stdout (from [`super::run`]): a JSON report is kept as
//! written, with every other document format rendered from it by this build's exporters (XML,
//! YAML, CSV, NDJSON, M3U); an XML report is kept as written. Keeping never fails a test: a report
//! that does not parse is kept as it is, for the check to name.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// The formats rendered beside each kept JSON report, by their registered names.
pub const RENDERED: &[&str] = &["xml", "yaml", "csv", "ndjson", "m3u"];

/// Where the reports go; `CAMSCAN_TEST_REPORTS` overrides (empty: keep nothing).
pub fn dir() -> Option<PathBuf> {
    match std::env::var_os("CAMSCAN_TEST_REPORTS") {
        Some(d) if d.is_empty() => None,
        Some(d) => Some(PathBuf::from(d)),
        None => Some(super::root_dir().join("target/test-reports")),
    }
}

/// A file name of its own: the test binary, its process and a count.
fn stem() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "test".into());
    // `scan_rtsp-0123abcd...`: cargo's hash suffix is noise here.
    let exe = exe.split('-').next().unwrap_or("test").to_string();
    format!(
        "{exe}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A scan's JSON document (not an audit's, a doctor's or an API answer): an object with the
/// report's own fields at its top.
fn is_scan_report(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| {
        ["schema_version", "started_at", "targets", "devices"]
            .iter()
            .all(|k| v.get(k).is_some())
    })
}

/// Keep `stdout` when it is a report (see the module doc).
pub fn keep(stdout: &[u8]) {
    let Some(dir) = dir() else { return };
    let text = String::from_utf8_lossy(stdout);
    let head = text.trim_start();
    let kind = if head.starts_with("<?xml") && head.contains("<camscan ") {
        "xml"
    } else if head.starts_with('{') && is_scan_report(stdout) {
        "json"
    } else {
        return;
    };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let stem = stem();
    let _ = std::fs::write(dir.join(format!("{stem}.{kind}")), stdout);
    if kind != "json" {
        return;
    }
    let Ok(report) = serde_json::from_slice::<model::Report>(stdout) else {
        return;
    };
    for name in RENDERED {
        let def = export::FORMATS
            .iter()
            .find(|f| f.name == *name)
            .expect("a registered format");
        let mut out = Vec::new();
        let options = export::ExportOptions::default();
        if (def.make)(options).write(&report, &mut out).is_ok() {
            let _ = std::fs::write(dir.join(format!("{stem}.{}", def.extension)), out);
        }
    }
}
