//! `camscan watch`'s own arguments (the scan's are [`super::FindArgs`]).

use clap::Args;

use super::*;

#[derive(Debug, Clone, Args, Default)]
pub struct WatchArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Run a complete scan this often (`15m`, `1h`, `1d`) [default: 15m].
    #[arg(
        long,
        value_name = "AGE",
        env = "CAMSCAN_EVERY",
        conflicts_with = "cron"
    )]
    pub every: Option<String>,
    /// Run scans on a cron schedule instead (`*/15 * * * *`; 5 fields, or 6 with seconds first;
    /// local time).
    #[arg(long, value_name = "EXPR", env = "CAMSCAN_CRON")]
    pub cron: Option<String>,
    /// Check every known stream this often between scans (`30s`); off when not given.
    #[arg(long, value_name = "AGE", env = "CAMSCAN_CHECK_STREAMS")]
    pub check_streams: Option<String>,
    /// Failed checks in a row before a stream is down (a success brings it up) [default: 3].
    #[arg(long, value_name = "N")]
    pub down_after: Option<u32>,
    // Help: "Where events go: `stdout` (NDJSON, the default), `webhook=URL` (...), ...
    // Repeatable", each sink's form and help line from `notify::SINKS`.
    #[arg(
        long,
        value_name = "SINK",
        help = format!("Where events go: {}. Repeatable", crate::notify::sink_list(true))
    )]
    pub notify: Vec<String>,
    /// The sinks' own options (`--webhook-secret-file`, `--ha-discovery`), made from their
    /// registration (`notify::options`).
    #[command(flatten)]
    pub sink_options: SinkOptionArgs,
    /// Serve Prometheus metrics at http://ADDR/metrics (`127.0.0.1:9750`; another address than
    /// loopback must be given explicitly).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,
    /// Do not listen for WS-Discovery Hello/Bye and SSDP NOTIFY announcements between scans.
    #[arg(long)]
    pub no_listen: bool,
    /// Events kept for a sink that is down; past this, its oldest are dropped (and logged)
    /// [default: 10000].
    #[arg(long, value_name = "N")]
    pub outbox_cap: Option<i64>,
    /// Stop after this many scans (one-off runs, tests); run until a signal when not given.
    #[arg(long, value_name = "N")]
    pub rounds: Option<u32>,
    /// Keep an export up to date: after each scan, render FORMAT (any -f format: go2rtc,
    /// frigate, mediamtx, json...) from the inventory and replace FILE atomically when, and only
    /// when, its content changed. Repeatable.
    #[arg(long, value_name = "FORMAT=FILE")]
    pub write: Vec<String>,
    /// Run this command after a scan that rewrote a --write file (reload Frigate, go2rtc or
    /// MediaMTX); split as a shell quotes, run without a shell, the files in CAMSCAN_WRITTEN.
    #[arg(long, value_name = "COMMAND", env = "CAMSCAN_WRITE_THEN")]
    pub write_then: Option<String>,
}
