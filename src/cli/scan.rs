//! What to scan and how (`FindArgs`, shared by every command that scans) and how a report is
//! written (`ScanOutputArgs`): `camscan scan` and `camscan convert`.

use std::path::PathBuf;

use clap::Args;

use super::*;

/// `camscan scan`: what to scan and how, and how to write the report.
#[derive(Debug, Clone, Args, Default)]
pub struct ScanArgs {
    #[command(flatten)]
    pub find: FindArgs,
    #[command(flatten)]
    pub out: ScanOutputArgs,
    #[command(flatten)]
    pub push: ScanPushArgs,
}

/// `--push TOOL=URL` after each scan is recorded (`scan`, `watch`).
#[derive(Debug, Args, Default, Clone)]
pub struct ScanPushArgs {
    /// `--push TOOL=URL`.
    #[command(flatten)]
    pub push: super::SettingArgs<super::AfterScan>,
    #[command(flatten)]
    pub options: super::PushOptionArgs,
}

/// How `camscan scan` (and `watch`'s first scan) writes its report.
#[derive(Debug, Args, Default, Clone)]
pub struct ScanOutputArgs {
    /// Output format [default: table].
    #[arg(short, long, value_enum, env = "CAMSCAN_FORMAT")]
    pub format: Option<Format>,
    #[command(flatten)]
    pub format_options: FormatOptionArgs,
    /// Write results to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE", env = "CAMSCAN_OUTPUT")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub table: crate::cli::TableWidth,
}

/// `camscan convert`.
#[derive(Debug, Args, Default)]
pub struct ConvertArgs {
    /// The JSON report (`camscan scan -f json -o FILE`), or `-` for stdin.
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    #[command(flatten)]
    pub out: ScanOutputArgs,
}

/// What to scan and how: shared by every command that scans (`scan`, `watch`, `audit`, and
/// `serve`'s scans); each command adds how it writes what it found.
#[derive(Debug, Args, Default, Clone)]
pub struct FindArgs {
    /// Targets: CIDR (192.168.1.0/24), range (192.168.1.10-192.168.1.50 or 192.168.1.10-50), IP, or host name.
    #[arg(env = "CAMSCAN_TARGETS", value_delimiter = ',')]
    pub targets: Vec<String>,
    /// Read more targets from FILE, one per line; `#` starts a comment.
    #[arg(long, value_name = "FILE", env = "CAMSCAN_TARGETS_FILE")]
    pub targets_file: Option<PathBuf>,
    /// The declared scan settings (`--concurrency`, `--arp-rate`, ...:
    /// [`crate::scan::settings::SCAN`]), each with its variable.
    #[command(flatten)]
    pub settings: crate::cli::ScanSettingArgs,
    /// Credentials to try on devices that ask: a file of `user:password` lines, or
    /// `SCOPE user:password` to limit a line to an address, CIDR or range (tried on those hosts
    /// before the unscoped lines, the narrowest first); `#` comments.
    #[arg(long, value_name = "FILE", env = "CAMSCAN_CREDENTIALS")]
    pub credentials: Option<PathBuf>,
    /// A user name to try; the password comes from CAMSCAN_PASSWORD, or a prompt on the terminal.
    #[arg(long, value_name = "NAME", env = "CAMSCAN_USERNAME")]
    pub username: Option<String>,
    /// Also ask ffprobe (from PATH, or the given path) about each verified stream, to fill facts our
    /// own analysis left empty. Off by default.
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "ffprobe", env = "CAMSCAN_FFPROBE")]
    pub ffprobe: Option<PathBuf>,
    /// Knowledge files (YAML: signatures, RTSP/HTTP paths, RTMP names, OUIs, vendors) read before
    /// the built-in data, after which every *.yaml in ~/.config/camscan/knowledge.d/ is read too.
    /// Repeatable, or comma-separated.
    #[arg(
        long,
        value_name = "FILE",
        env = "CAMSCAN_SIGNATURES",
        value_delimiter = ','
    )]
    pub signatures: Vec<PathBuf>,
    /// Stream-name hints tried first on every protocol, one per line (`#` comments): `/path` (RTSP
    /// and HTTP), `app/stream` (RTMP application and stream, and where servers publish it over
    /// HTTP), or a bare stream name (key).
    #[arg(long, value_name = "FILE", env = "CAMSCAN_PATHS")]
    pub paths: Option<PathBuf>,
    /// Discovery methods, comma-separated [default: all of them].
    #[arg(long, value_enum, value_delimiter = ',', env = "CAMSCAN_DISCOVERY")]
    pub discovery: Vec<DiscoveryMethod>,
    /// Where the scan is recorded, and the config file.
    #[command(flatten)]
    pub store: crate::cli::DbArgs,
    /// The fleet's hub: after each scan (and with watch, as events come), send this site's
    /// scans, devices and events to this PostgreSQL inventory (postgres:// URL), which holds every
    /// site's. This site's own inventory stays its truth: nothing waits on the hub, and what it
    /// missed while away is sent when it is back.
    #[arg(long, value_name = "URL", env = "CAMSCAN_HUB")]
    pub hub: Option<PathBuf>,
    /// The hub's password, from the first line of this file (else PGPASSWORD, else ~/.pgpass).
    #[arg(long, value_name = "FILE", env = "CAMSCAN_HUB_PASSWORD_FILE")]
    pub hub_password_file: Option<PathBuf>,
    /// Record nothing: a scan that leaves no trace (no inventory file is opened or created).
    /// Wins over --db, CAMSCAN_DB and the config file's `db:`.
    #[arg(long, env = "CAMSCAN_NO_DB")]
    pub no_db: bool,
}
