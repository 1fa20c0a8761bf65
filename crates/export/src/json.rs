//! The JSON document: the public contract for CI users (schema in docs/reference/json-schema.md).

use std::io::{self, Write};

use super::Exporter;
use model::Report;

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::report;

    #[test]
    fn snapshot_and_round_trip() {
        let mut out = Vec::new();
        JsonExporter.write(&report(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        insta::assert_snapshot!(text);
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report());
    }
}
