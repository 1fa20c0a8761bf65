//! The inventory as the operator meets it: recording each `camscan scan` in the store (opened
//! before anything is sent, written after the results reached stdout or `-o`), the one-line summary
//! of what changed since the last complete scan of the same targets, and the commands that read
//! the store back (`devices`, `show`, `history`, `diff`, `scans`, `forget`, `prune`).
//!
//! Everything about SQLite stays behind [`crate::store::Store`]; this module only chooses the
//! file, turns the command line into store queries and prints what comes back ([`render`]).
//! Exit codes follow the scan's: 0 something listed (or, for `diff`, nothing changed), 1 nothing
//! listed or an unknown device (for `diff`, something changed), 2 an error.

pub mod render;

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::analyze::context::Known;
use crate::cli::{
    DbArgs, DevicesArgs, DiffArgs, ForgetArgs, HistoryArgs, PruneArgs, ScansArgs, ShowArgs,
    StateFilter,
};
use crate::config::{FileConfig, ScanConfig};
use crate::error::{Error, exit};
use crate::model::{DiscoveryMethod, Report};
use crate::store::{
    DeviceQuery, DeviceState, EventQuery, ScanInfo, ScanSummary, Store, StoreError,
};

/// Why an inventory command (or the recording of a scan) failed. One line each; exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Run(#[from] Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The scan ran and its results were written, but the store refused them.
    #[error("the scan's results were written but not recorded: {0}")]
    Record(StoreError),
    #[error(
        "no inventory at {}: `camscan scan` records one there (or give --db PATH)",
        path.display()
    )]
    NoInventory { path: PathBuf },
    #[error(
        "no place for the inventory: neither XDG_STATE_HOME nor HOME is set; give --db PATH (or --no-db)"
    )]
    NoLocation,
    /// A command's arguments do not go together (`camscan watch --no-db`, a bad sink).
    #[error("{0}")]
    Usage(String),
}

/// The inventory of a query command: `--db`/`CAMSCAN_DB`, else the config file's `db:`, else the
/// default location. A query never creates the file.
pub(crate) fn open_existing(args: &DbArgs) -> Result<Store, CommandError> {
    let path = location(args)?;
    if !path.exists() {
        return Err(CommandError::NoInventory { path });
    }
    Ok(Store::open(&path)?)
}

/// Where the inventory of `args` is (the file may not exist): `--db`/`CAMSCAN_DB`, else the
/// config file's `db:`, else the default location.
pub(crate) fn location(args: &DbArgs) -> Result<PathBuf, CommandError> {
    let file = args
        .config
        .as_deref()
        .map(FileConfig::load)
        .transpose()?
        .unwrap_or_default();
    crate::config::db_path(args.db.as_deref(), &file).ok_or(CommandError::NoLocation)
}

/// `camscan scan`'s store, opened (created, migrated, checked) before anything is sent: a bad,
/// locked or newer file stops the scan here. `None` with `--no-db`.
pub fn open_for_scan(cfg: &ScanConfig) -> Result<Option<Store>, CommandError> {
    match &cfg.db {
        Some(path) => Ok(Some(Store::open(path)?)),
        None => Ok(None),
    }
}

/// What the inventory knows of the scan's targets (stream paths and the credential that worked),
/// for the analysers to try first: nothing without a store or with `--fresh`.
pub fn known(
    store: Option<&Store>,
    cfg: &ScanConfig,
) -> Result<HashMap<IpAddr, Known>, CommandError> {
    match store {
        Some(store) if !cfg.fresh => Ok(store.known(&cfg.targets, &cfg.credentials)?),
        _ => Ok(HashMap::new()),
    }
}

/// The reverse DNS answers the inventory still trusts (nothing without a store, with `--fresh` or
/// `--no-dns`), to seed the scan's resolver.
pub fn dns_answers(
    store: Option<&Store>,
    cfg: &ScanConfig,
) -> Result<Vec<crate::net::rdns::DnsAnswer>, CommandError> {
    match store {
        Some(store) if !cfg.fresh && cfg.dns => Ok(store.dns_answers()?),
        _ => Ok(Vec::new()),
    }
}

/// What `camscan scan` says at the end when it has a store and an earlier complete scan of the
/// same targets: how many devices are new, gone and changed since that scan.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The earlier scan, and this one.
    pub since: ScanSummary,
    pub scan_id: i64,
    pub new: usize,
    pub gone: usize,
    pub changed: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Since scan {} ({}) of the same targets: {} new, {} gone, {} changed device(s) (camscan diff {} {})",
            self.since.id,
            render::short_time(&self.since.scan.started_at),
            self.new,
            self.gone,
            self.changed,
            self.since.id,
            self.scan_id,
        )
    }
}

/// Record a finished (or interrupted) scan whose report was already written. Returns what
/// changed since the last complete scan of the same targets, when there was one and this scan is
/// complete (an interrupted scan derives nothing, so it says nothing).
pub fn record(
    store: &mut Store,
    cfg: &ScanConfig,
    report: &Report,
) -> Result<Option<Summary>, StoreError> {
    record_with_events(store, cfg, report).map(|r| r.summary)
}

/// [`record`], with the events the scan derived (for `camscan watch`'s metrics).
/// What recording a scan gave.
pub struct RecordedScan {
    /// Its id in the store.
    pub scan_id: i64,
    /// Against the latest complete scan of the same targets, for a complete scan.
    pub summary: Option<Summary>,
    /// The events it derived.
    pub events: Vec<crate::store::StoreEvent>,
}

pub fn record_with_events(
    store: &mut Store,
    cfg: &ScanConfig,
    report: &Report,
) -> Result<RecordedScan, StoreError> {
    let same = |s: &ScanSummary| s.scan.complete && same_targets(&s.scan.targets, &report.targets);
    let earlier = store.scans()?.into_iter().find(same);
    let ports: &[u16] = if cfg.discovery.contains(&crate::cli::Discovery::Ports) {
        &cfg.ports
    } else {
        &[]
    };
    let methods: Vec<DiscoveryMethod> = cfg.discovery.iter().map(|d| method(*d)).collect();
    let info = ScanInfo::of_report(report, ports, &methods);
    let recorded = store.record_scan(&info, report, &cfg.credentials)?;
    let (Some(since), true) = (earlier, report.complete) else {
        return Ok(RecordedScan {
            scan_id: recorded.scan_id,
            summary: None,
            events: recorded.events,
        });
    };
    let diff = store.diff(Some(since.id), Some(recorded.scan_id))?;
    let summary = Summary {
        since,
        scan_id: recorded.scan_id,
        new: diff.added.len(),
        gone: diff.removed.len(),
        changed: diff.changed.len(),
    };
    Ok(RecordedScan {
        scan_id: recorded.scan_id,
        summary: Some(summary),
        events: recorded.events,
    })
}

/// The discovery method a `--discovery` choice runs, as the report names it.
fn method(d: crate::cli::Discovery) -> DiscoveryMethod {
    d.method()
}

/// Two target lists cover the same specifications, whatever their order.
fn same_targets(a: &[String], b: &[String]) -> bool {
    let norm = |v: &[String]| {
        let mut v: Vec<String> = v.iter().map(|s| s.trim().to_ascii_lowercase()).collect();
        v.sort();
        v.dedup();
        v
    };
    norm(a) == norm(b)
}

/// The summary line on stderr (stdout holds the results): one line, nothing to say = nothing.
pub fn print_summary(summary: &Summary) {
    let _ = writeln!(io::stderr().lock(), "{summary}");
}

/// `camscan devices`.
pub fn devices(args: &DevicesArgs) -> Result<u8, CommandError> {
    let store = open_existing(&args.store)?;
    let q = DeviceQuery {
        state: args.state.map(|s| match s {
            StateFilter::Online => DeviceState::Online,
            StateFilter::Offline => DeviceState::Offline,
            StateFilter::Unknown => DeviceState::Unknown,
        }),
        since: args
            .since
            .as_deref()
            .map(|s| since("since", s))
            .transpose()?,
        vendor: args.vendor.clone(),
        cameras: args.cameras,
    };
    let list = store.devices(&q)?;
    write_stdout(|out| render::devices(&list, args.format, out))?;
    Ok(some(!list.is_empty()))
}

/// `camscan show DEVICE`: exit 1 (and one line on stderr) when the device is unknown.
pub fn show(args: &ShowArgs) -> Result<u8, CommandError> {
    let store = open_existing(&args.store)?;
    let Some(detail) = store.device(&args.device)? else {
        unknown_device(&args.device);
        return Ok(exit::NOTHING);
    };
    write_stdout(|out| render::device(&detail, args.format, out))?;
    Ok(exit::FOUND)
}

/// `camscan history [DEVICE]`: events newest first; exit 1 when none (or the device is unknown).
pub fn history(args: &HistoryArgs) -> Result<u8, CommandError> {
    let store = open_existing(&args.store)?;
    if let Some(d) = &args.device
        && store.device(d)?.is_none()
    {
        unknown_device(d);
        return Ok(exit::NOTHING);
    }
    let q = EventQuery {
        device: args.device.clone(),
        since: args
            .since
            .as_deref()
            .map(|s| since("since", s))
            .transpose()?,
        ..Default::default()
    };
    let events = store.events(&q)?;
    let devices = store.devices(&DeviceQuery::default())?;
    write_stdout(|out| render::events(&events, &devices, args.format, out))?;
    Ok(some(!events.is_empty()))
}

/// `camscan diff [A] [B]`: exit 0 when nothing changed, 1 when something did.
pub fn diff(args: &DiffArgs) -> Result<u8, CommandError> {
    let store = open_existing(&args.store)?;
    let diff = store.diff(args.scan_a, args.scan_b)?;
    write_stdout(|out| render::diff(&diff, args.format, out))?;
    Ok(if diff.is_empty() { 0 } else { 1 })
}

/// `camscan scans`: exit 1 when none is recorded.
pub fn scans(args: &ScansArgs) -> Result<u8, CommandError> {
    let store = open_existing(&args.store)?;
    let list = store.scans()?;
    write_stdout(|out| render::scans(&list, args.format, out))?;
    Ok(some(!list.is_empty()))
}

/// `camscan forget DEVICE`: exit 1 when the device is unknown.
pub fn forget(args: &ForgetArgs) -> Result<u8, CommandError> {
    let mut store = open_existing(&args.store)?;
    let n = store.forget(&args.device)?;
    if n == 0 {
        unknown_device(&args.device);
        return Ok(exit::NOTHING);
    }
    write_stdout(|out| writeln!(out, "Forgot {n} device(s) matching {:?}.", args.device))?;
    Ok(exit::FOUND)
}

/// `camscan prune --older-than AGE`: exit 0 (also when nothing was that old).
pub fn prune(args: &PruneArgs) -> Result<u8, CommandError> {
    let age = parse_age(&args.older_than)
        .map_err(|reason| invalid("older_than", &args.older_than, reason))?;
    let mut store = open_existing(&args.store)?;
    let p = store.prune(age)?;
    write_stdout(|out| {
        writeln!(
            out,
            "Removed {} scan(s), {} event(s), {} address record(s) and {} device(s) older than {}.",
            p.scans, p.events, p.addresses, p.devices, args.older_than
        )
    })?;
    Ok(exit::FOUND)
}

fn some(found: bool) -> u8 {
    if found { exit::FOUND } else { exit::NOTHING }
}

fn unknown_device(key: &str) {
    let _ = writeln!(
        io::stderr().lock(),
        "camscan: no device {:?} in the inventory (give an id from `camscan devices`, an address or a MAC)",
        crate::sanitize::terminal(key)
    );
}

/// Write to stdout; a reader that went away (`camscan devices | head`) is no error.
fn write_stdout(fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), CommandError> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match fill(&mut out).and_then(|_| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(Error::WriteOutput {
            path: "<stdout>".into(),
            source,
        }
        .into()),
        Ok(()) => Ok(()),
    }
}

fn invalid(field: &'static str, value: &str, reason: &str) -> CommandError {
    Error::InvalidValue {
        field,
        value: value.to_string(),
        reason: reason.to_string(),
    }
    .into()
}

/// `--since`: an age back from now (`7d`), a date (`2026-11-01`, midnight UTC) or a time
/// (`2026-11-01T08:00:00Z`).
fn since(field: &'static str, s: &str) -> Result<jiff::Timestamp, CommandError> {
    parse_since(s, jiff::Timestamp::now()).map_err(|reason| invalid(field, s, reason))
}

/// [`since`] against a given `now`, for tests.
pub fn parse_since(s: &str, now: jiff::Timestamp) -> Result<jiff::Timestamp, &'static str> {
    if let Ok(age) = parse_age(s) {
        let age = jiff::SignedDuration::try_from(age).map_err(|_| "too long ago")?;
        return now.checked_sub(age).map_err(|_| "too long ago");
    }
    if let Ok(t) = s.trim().parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = s.trim().parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|_| "not a date camscan can place");
    }
    Err(
        "expected an age such as 12h, 7d or 2w, a date such as 2026-11-01, or a time such as 2026-11-01T08:00:00Z",
    )
}

/// An age: a whole number and a unit, `s`, `m` (minutes), `h`, `d` or `w` (`90s`, `30m`, `12h`,
/// `7d`, `2w`). Days and weeks are 24 h and 7 x 24 h: the inventory keeps UTC times.
pub fn parse_age(s: &str) -> Result<Duration, &'static str> {
    const EXPECTED: &str = "expected an age such as 90s, 30m, 12h, 7d or 2w";
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or(EXPECTED)?;
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| EXPECTED)?;
    let scale = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(EXPECTED),
    };
    n.checked_mul(scale)
        .filter(|&secs| secs <= 100 * 365 * 86_400)
        .map(Duration::from_secs)
        .ok_or("at most 100 years")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_age("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_age("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_age("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_age(" 2w "), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse_age("0d"), Ok(Duration::ZERO));
        for bad in [
            "",
            "7",
            "d",
            "7x",
            "-7d",
            "1.5d",
            "7 days",
            "99999999999999999999d",
            "40000d",
        ] {
            assert!(parse_age(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn since_is_an_age_a_date_or_a_time() {
        let now: jiff::Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
        let at = |s: &str| parse_since(s, now).map(|t| t.to_string());
        assert_eq!(at("12h").as_deref(), Ok("2026-11-23T00:00:00Z"));
        assert_eq!(at("7d").as_deref(), Ok("2026-11-16T12:00:00Z"));
        assert_eq!(at("2026-11-01").as_deref(), Ok("2026-11-01T00:00:00Z"));
        assert_eq!(
            at("2026-11-01T08:30:00Z").as_deref(),
            Ok("2026-11-01T08:30:00Z")
        );
        assert!(at("yesterday").is_err());
        assert!(at("2026-13-01").is_err());
    }

    #[test]
    fn same_targets_ignores_order_case_and_repeats() {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(same_targets(
            &v(&["127.0.0.131-139", "NVR.lan"]),
            &v(&["nvr.lan", "127.0.0.131-139", "nvr.lan"])
        ));
        assert!(!same_targets(
            &v(&["127.0.0.131-139"]),
            &v(&["127.0.0.131-138"])
        ));
    }
}
