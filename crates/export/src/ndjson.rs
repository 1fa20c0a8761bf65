//! NDJSON (newline-delimited JSON) for pipelines: one line per device, each line exactly the object
//! the JSON document has in `devices[]`. No header or summary line: every line is a device, so
//! `jq`, `grep` and line-by-line readers need no special case. During a scan, `app` writes each
//! device with [`write_device`] as soon as it is final (docs/reference/formats.md, "NDJSON output", gives the rule), so
//! lines come in the order devices finish; [`NdjsonExporter`] writes a finished report's devices in
//! its (address) order.

use std::io::{self, Write};

use super::Exporter;
use model::{Device, Report};

pub struct NdjsonExporter;

/// One device as one line of JSON (compact JSON escapes every line break inside strings).
pub fn write_device(device: &Device, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, device)?;
    out.write_all(b"\n")
}

impl Exporter for NdjsonExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        report.devices.iter().try_for_each(|d| write_device(d, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::report;

    fn render(report: &Report) -> String {
        crate::fixtures::render(&NdjsonExporter, report)
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&report()));
    }

    #[test]
    fn each_line_is_a_device_of_the_json_document() {
        let mut report = report();
        report.devices[0].name = Some("two\nlines\r\u{2028}\u{0}".into());
        let text = render(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), report.devices.len());
        assert!(text.ends_with('\n'));
        let document = serde_json::to_value(&report).unwrap();
        for (i, line) in lines.iter().enumerate() {
            let back: Device = serde_json::from_str(line).unwrap();
            assert_eq!(back, report.devices[i]);
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value, document["devices"][i]);
        }
    }
}
