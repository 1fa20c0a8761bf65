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
    /// The declared scan settings (`--concurrency`, `--arp-rate`, ...:
    /// [`crate::scan::settings::SCAN`]), each with its variable.
    #[command(flatten)]
    pub settings: crate::cli::ScanSettingArgs,
    /// A user name to try; the password comes from CAMSCAN_PASSWORD, or a prompt on the terminal.
    #[arg(long, value_name = "NAME", env = "CAMSCAN_USERNAME")]
    pub username: Option<String>,
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
    /// Where the scan is recorded, and the config file.
    #[command(flatten)]
    pub store: crate::cli::DbArgs,
    /// The hub's password, from the first line of this file (else PGPASSWORD, else ~/.pgpass).
    #[arg(long, value_name = "FILE", env = "CAMSCAN_HUB_PASSWORD_FILE")]
    pub hub_password_file: Option<PathBuf>,
    /// Record nothing: a scan that leaves no trace (no inventory file is opened or created).
    /// Wins over --db, CAMSCAN_DB and the config file's `db:`.
    #[arg(long, env = "CAMSCAN_NO_DB")]
    pub no_db: bool,
}
