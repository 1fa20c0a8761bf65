//! `camscan convert`: a report `camscan scan -f json` wrote, read back and written in any output
//! format, as the scan would have written it (the table fitted to this terminal, `-o` atomically).
//! Sends nothing.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use clap::Args;

use super::Cli;
use crate::record::CommandError;
use crate::scan::output::{self, ReportOutput};
use error::Error;
use model::{READS_SCHEMA_VERSIONS, Report, SCHEMA_VERSION};

/// The most of a report read (a /16 of cameras is a few hundred MiB of JSON at most).
const MOST: u64 = 1 << 30;

/// `camscan convert`.
#[derive(Debug, Args, Default)]
pub struct ConvertArgs {
    /// The JSON report (`camscan scan -f json -o FILE`), or `-` for stdin.
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    #[command(flatten)]
    pub out: super::scan::ScanOutputArgs,
}

pub(super) fn run(args: &ConvertArgs, cli: &Cli) -> Result<u8, CommandError> {
    let report = read(&args.report)?;
    let out = &args.out;
    let given = out.settings.values()?;
    let printing = ReportOutput {
        format: given.get(&output::FORMAT),
        format_options: out.format_options.values()?,
        output: given.get(&export::OUTPUT),
        width: out.table.width()?.or(cli.env.columns()),
        color: cli
            .color()
            .unwrap_or(ReportOutput::default().color)
            .in_env(&cli.env),
        detail: cli.verbose() > 0,
    };
    if let Some(path) = &printing.output {
        output::check_writable(path, None)?;
    }
    output::write_report(&printing, &report)?;
    Ok(0)
}

/// The report at `path` (`-`: stdin), checked to be one this camscan wrote or can read.
fn read(path: &Path) -> Result<Report, Error> {
    let mut text = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin().lock().take(MOST).read_to_end(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MOST).read_to_end(&mut text))
    };
    read.map_err(|source| Error::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text).map_err(|message| Error::Report {
        path: path.to_path_buf(),
        message,
    })
}

/// A JSON report of a schema version this camscan reads, settled to this version's meaning (a
/// version 1 report's `ok` stream that sent no media is `unverified`); why not otherwise.
fn parse(text: &[u8]) -> Result<Report, String> {
    let value: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| format!("not JSON ({e})"))?;
    match value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
    {
        Some(v) if READS_SCHEMA_VERSIONS.iter().any(|r| u64::from(*r) == v) => {}
        Some(v) => {
            let reads: Vec<String> = READS_SCHEMA_VERSIONS.iter().map(u32::to_string).collect();
            return Err(format!(
                "schema_version {v}, and this camscan reads {} (up to {SCHEMA_VERSION})",
                reads.join(" and ")
            ));
        }
        None => {
            return Err(
                "no schema_version: write it with `camscan scan -f json` (NDJSON, YAML and the \
                 inventory are not read here)"
                    .into(),
            );
        }
    }
    let mut report: Report = serde_json::from_value(value).map_err(|e| e.to_string())?;
    report.settle_streams();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_read_back_and_anything_else_refused() {
        let report = export::fixtures::report();
        let text = serde_json::to_vec(&report).unwrap();
        assert_eq!(parse(&text).unwrap(), report);
        assert!(parse(b"{").unwrap_err().starts_with("not JSON"));
        assert!(parse(b"[]").unwrap_err().contains("no schema_version"));
        let this = format!("\"schema_version\":{SCHEMA_VERSION}");
        let newer = String::from_utf8(text)
            .unwrap()
            .replacen(&this, "\"schema_version\":99", 1);
        assert!(
            parse(newer.as_bytes())
                .unwrap_err()
                .contains("schema_version 99")
        );
        assert!(parse(br#"{"schema_version":1}"#).is_err(), "fields missing");
    }

    /// Schema version 1 said `ok` for a stream that answered and sent no media (issue 72): read
    /// back, it is `unverified`, and a stream that played stays `ok`; the report is then this
    /// version's.
    #[test]
    fn a_version_1_report_reads_its_unplayed_ok_streams_as_unverified() {
        use model::StreamStatus;
        let report = export::fixtures::report();
        let mut v1 = serde_json::to_value(&report).unwrap();
        v1["schema_version"] = 1.into();
        let streams = v1["devices"][0]["streams"].as_array_mut().unwrap();
        assert!(
            streams.len() >= 2,
            "the fixture's first device has two streams"
        );
        streams[0]["status"] = "ok".into();
        streams[0]["verified"] = true.into();
        streams[1]["status"] = "ok".into();
        streams[1]["verified"] = false.into();
        let back = parse(&serde_json::to_vec(&v1).unwrap()).unwrap();
        assert_eq!(back.schema_version, SCHEMA_VERSION);
        let got: Vec<_> = back.devices[0].streams[..2]
            .iter()
            .map(|s| s.status)
            .collect();
        assert_eq!(got, [StreamStatus::Ok, StreamStatus::Unverified]);
    }
}
