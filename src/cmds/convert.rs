//! `camscan convert`: a report `camscan scan -f json` wrote, read back and written in any output
//! format, as the scan would have written it (the table fitted to this terminal, `-o` atomically).
//! Sends nothing.

use std::io::Read as _;
use std::path::Path;

use crate::cli::{Cli, ConvertArgs};
use crate::config::ScanConfig;
use crate::error::Error;
use crate::model::{Report, SCHEMA_VERSION};
use crate::record::CommandError;
use crate::scan::output;

/// The most of a report read (a /16 of cameras is a few hundred MiB of JSON at most).
const MOST: u64 = 1 << 30;

pub(super) fn run(args: &ConvertArgs, cli: &Cli) -> Result<u8, CommandError> {
    let report = read(&args.report)?;
    let out = &args.out;
    let mut cfg = ScanConfig::default();
    if let Some(f) = out.format {
        cfg.format = f;
    }
    cfg.format_options = out.format_options.resolve(&Default::default(), true)?;
    cfg.output = out.output.clone();
    cfg.width = out.table.width.or(cli.env.columns());
    cfg.color = cli.color.unwrap_or(cfg.color).in_env(&cli.env);
    cfg.detail = cli.verbose > 0;
    if let Some(path) = &cfg.output {
        output::check_writable(path, None)?;
    }
    output::write_report(&cfg, &report)?;
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

/// A JSON report of this schema version; why not otherwise.
fn parse(text: &[u8]) -> Result<Report, String> {
    let value: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| format!("not JSON ({e})"))?;
    match value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
    {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(format!(
                "schema_version {v}, and this camscan reads {SCHEMA_VERSION}"
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
    serde_json::from_value(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_read_back_and_anything_else_refused() {
        let report = crate::export::fixtures::report();
        let text = serde_json::to_vec(&report).unwrap();
        assert_eq!(parse(&text).unwrap(), report);
        assert!(parse(b"{").unwrap_err().starts_with("not JSON"));
        assert!(parse(b"[]").unwrap_err().contains("no schema_version"));
        let newer = String::from_utf8(text).unwrap().replacen(
            "\"schema_version\":1",
            "\"schema_version\":2",
            1,
        );
        assert!(
            parse(newer.as_bytes())
                .unwrap_err()
                .contains("schema_version 2")
        );
        assert!(parse(br#"{"schema_version":1}"#).is_err(), "fields missing");
    }
}
