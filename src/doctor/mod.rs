//! `camscan doctor`: why a scan may miss things, one line per check, each pass / warn / fail with
//! the fix.
//!
//! A scan that finds less than it should rarely says why: without `CAP_NET_RAW` ARP falls back to
//! the neighbour table, a host with no multicast route hears no WS-Discovery answer, a low
//! open-file limit shrinks the probe pool, a damaged inventory or an unreachable webhook loses
//! events. Doctor looks at each of these *locally*: it reads `/proc`, the interfaces, the config
//! file and the store (read-only), runs `ffprobe -version`, and sends nothing to any network
//! except a TCP connect to each notification sink the user configured (their own hosts).
//!
//! [`parse`] holds the pure parsers and verdicts (unit-tested on fixed text); [`checks`] gathers
//! the facts; this file renders them (a table for people, JSON for scripts) and decides the exit
//! code: 0 when nothing fails, [`exit::DOCTOR_FAILED`] when something does.

use std::io::{self, IsTerminal, Write};

use serde::{Deserialize, Serialize};

use error::{Error, exit};
use input::environment::ColorChoice;

pub mod checks;
mod config_checks;
pub mod parse;
mod sinks;
mod store;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing to do.
    Pass,
    /// A scan runs, but may miss something; the fix says what would help.
    Warn,
    /// Something is broken: a scan, the store or a sink will not work as configured.
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One line of the report. `name` is stable (scripts key on it): `privileges`, `container`,
/// `interfaces`,
/// `multicast_route`, `open_files`, `ffprobe`, `config`, `store`, `outbox`, `stream_paths`,
/// `serve_token`,
/// `sink` (once per sink, the detail naming it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
    /// What to do about a warn or fail (a command to run where there is one); `null` on pass.
    pub fix: Option<String>,
}

impl Check {
    pub fn pass(name: &str, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: Status::Pass,
            detail: detail.into(),
            fix: None,
        }
    }

    pub fn warn(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn fail(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Counts of each status; `ok` when none failed (exit 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub ok: bool,
}

input::choices! {
    /// What `camscan doctor` can print.
    pub enum DoctorFormat {
        /// A table for people, the status coloured on a terminal.
        Table = "table",
        /// `{"checks": [{"name", "status", "detail", "fix"}], "summary": {"pass", "warn", "fail", "ok"}}`.
        Json = "json",
    }
}

/// `camscan doctor -f`.
pub static FORMAT: input::setting::Setting<DoctorFormat> =
    input::choice::format_setting(DoctorFormat::Table);

/// [`FORMAT`], the command's list.
pub static FORMATS: &[&dyn input::setting::Declared] = &[&FORMAT];

/// `camscan doctor --notify`'s help line (the setting is watch's, [`crate::notify::NOTIFY`]): the
/// sinks' forms written out from their registrations (`notify::expand_help`).
pub const NOTIFY_HELP: &str = "Sinks to check besides the config file's `watch: notify:` (as \
                               `camscan watch --notify`: {sinks}). Repeatable";

/// The whole report: `-f json` prints exactly this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub checks: Vec<Check>,
    pub summary: Summary,
}

impl Report {
    pub fn new(checks: Vec<Check>) -> Report {
        let count = |s| checks.iter().filter(|c| c.status == s).count();
        let summary = Summary {
            pass: count(Status::Pass),
            warn: count(Status::Warn),
            fail: count(Status::Fail),
            ok: count(Status::Fail) == 0,
        };
        Report { checks, summary }
    }

    pub fn exit_code(&self) -> u8 {
        if self.summary.ok {
            exit::FOUND
        } else {
            exit::DOCTOR_FAILED
        }
    }
}

/// How the entrance reads a config file, handed down: the keys it knows and what a text says, as
/// a scan reads it. Doctor judges the file; the file's shape and the settings it resolves into
/// are the entrance's (`cli::file`, the commands' rooms).
pub struct FileReader {
    /// The keys the file's top level knows (its fields, the formats' options, the scan
    /// settings'), and its `watch:` section's (the sinks' options among them).
    pub keys: Vec<&'static str>,
    pub watch_keys: Vec<&'static str>,
    /// A key the file does not know, named as the reader names it ("`prots` (did you mean
    /// `ports`?)"), at the top level or (`true`) in `watch:`.
    pub misspelt: fn(&str, bool) -> String,
    /// The file's text (`None`: no file, every key unset) read as a scan reads it, at its path.
    pub read: ReadFile,
}

/// The entrance's reader of a config file's text ([`FileReader::read`]).
pub type ReadFile = Box<dyn Fn(Option<(&str, &std::path::Path)>) -> Result<FileRead, Error>>;

/// What doctor asks of a config file, read by the entrance.
#[derive(Debug, Default)]
pub struct FileRead {
    /// The scan settings' values, as text, by key (`concurrency`, `interface`, `allow_large`).
    pub settings: std::collections::BTreeMap<String, String>,
    /// `ffprobe:`.
    pub ffprobe: Option<std::path::PathBuf>,
    /// `watch.notify:` (empty: none).
    pub notify: Vec<String>,
    /// `watch.outbox_cap:`, else its default.
    pub outbox_cap: i64,
    /// What `camscan scan --config` says of the file's values (ports, durations, credentials),
    /// the scan's own resolution; `None`: valid.
    pub scan_values: Option<Error>,
    /// The inventory as the commands find it with this file (`--db`, else the file's `db:`, else
    /// the default place; its password and key files). `None`: no place for one.
    pub inventory: Option<::store::Inventory>,
}

/// The config file given, and its text (or the error reading it).
pub type ConfigText = (std::path::PathBuf, Result<String, String>);

/// `camscan doctor`'s settings, as the command resolved them. The config file is not read yet:
/// doctor reads it itself, to judge it (`config` check) rather than fail on it.
pub struct Settings {
    /// `--config` (`CAMSCAN_CONFIG`) and its text as the entrance read it (or why it could not):
    /// doctor judges the file, it does not read it.
    pub config: Option<ConfigText>,
    /// How the entrance reads the file (and finds the inventory with it).
    pub file: FileReader,
    /// The process environment (`PATH` for the sinks' programs, the container markers).
    pub env: input::environment::Environment,
    /// `--notify`: sinks to check besides the file's.
    pub notify: Vec<String>,
    /// `--format`.
    pub format: DoctorFormat,
    /// The global `--color`.
    pub color: Option<ColorChoice>,
    /// The table's width (`--width`, `$COLUMNS`, the terminal's, else 100); `None`: unbounded.
    pub width: Option<u16>,
}

/// `camscan doctor`: run every check, print the report on stdout, return the exit code.
#[allow(clippy::print_stdout)]
pub fn run(settings: &Settings) -> Result<u8, Error> {
    let report = Report::new(checks::all(settings));
    let mut out = io::stdout().lock();
    let color = settings.color;
    let written = match settings.format {
        DoctorFormat::Json => serde_json::to_writer_pretty(&mut out, &report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        DoctorFormat::Table => {
            let tty = io::stdout().is_terminal();
            let colour = color.unwrap_or_default().enabled(tty);
            write_table(&report, colour, settings.width, &mut out)
        }
    };
    match written {
        Ok(()) => Ok(report.exit_code()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(report.exit_code()),
        Err(source) => Err(Error::WriteOutput {
            path: "<stdout>".into(),
            source,
        }),
    }
}

/// The report for people: one row per check, its status coloured when `color`, wrapped to
/// `width` when given, and a summary line.
pub fn write_table(
    report: &Report,
    color: bool,
    width: Option<u16>,
    out: &mut dyn Write,
) -> io::Result<()> {
    use table_writer::{Cell, Color, Table};
    let mut t = Table::new(["Check", "Status", "Detail", "Fix"]);
    t.color(color);
    if let Some(w) = width {
        t.wrap_to(w);
    }
    for c in &report.checks {
        let colour = match c.status {
            Status::Pass => Color::Green,
            Status::Warn => Color::Yellow,
            Status::Fail => Color::Red,
        };
        t.row([
            Cell::new(&c.name),
            Cell::new(c.status.as_str()).fg(colour),
            Cell::new(sanitize::terminal(&c.detail)),
            Cell::new(sanitize::terminal(c.fix.as_deref().unwrap_or(""))),
        ]);
    }
    writeln!(out, "{t}")?;
    let s = &report.summary;
    writeln!(
        out,
        "{} passed, {} warned, {} failed",
        s.pass, s.warn, s.fail
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--notify`'s help names every sink's form, written out from the registrations.
    #[test]
    fn the_notify_help_names_every_sink() {
        assert_eq!(
            crate::notify::expand_help(super::NOTIFY_HELP),
            format!(
                "Sinks to check besides the config file's `watch: notify:` (as `camscan watch \
                 --notify`: {}). Repeatable",
                crate::notify::sink_list(false)
            )
        );
    }

    fn report() -> Report {
        Report::new(vec![
            Check::pass("privileges", "root"),
            Check::warn("ffprobe", "not found", "apt install ffmpeg"),
            Check::fail(
                "serve_token",
                "/x/serve.token: mode 0644",
                "chmod 600 /x/serve.token",
            ),
        ])
    }

    #[test]
    fn summary_and_exit_code() {
        let r = report();
        assert_eq!(
            r.summary,
            Summary {
                pass: 1,
                warn: 1,
                fail: 1,
                ok: false
            }
        );
        assert_eq!(r.exit_code(), exit::DOCTOR_FAILED);
        let fine = Report::new(vec![Check::warn("a", "b", "c")]);
        assert_eq!(fine.exit_code(), exit::FOUND);
    }

    #[test]
    fn json_shape_is_stable() {
        let v = serde_json::to_value(report()).unwrap();
        assert_eq!(
            v["checks"][0],
            serde_json::json!({"name": "privileges", "status": "pass", "detail": "root", "fix": null})
        );
        assert_eq!(v["checks"][2]["status"], "fail");
        assert_eq!(
            v["summary"],
            serde_json::json!({"pass": 1, "warn": 1, "fail": 1, "ok": false})
        );
    }

    #[test]
    fn table_without_colour_has_no_escapes() {
        let mut out = Vec::new();
        write_table(&report(), false, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\x1b'), "{text}");
        assert!(text.contains("chmod 600 /x/serve.token"), "{text}");
        assert!(text.ends_with("1 passed, 1 warned, 1 failed\n"), "{text}");
        let mut out = Vec::new();
        write_table(&report(), true, Some(80), &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().contains('\x1b'));
    }
}
