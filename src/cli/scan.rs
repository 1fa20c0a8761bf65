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
    /// `-f`, `-o` ([`crate::scan::output::SETTINGS`]).
    #[command(flatten)]
    pub settings: super::SettingArgs<super::ReportOutput>,
    #[command(flatten)]
    pub format_options: FormatOptionArgs,
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
    /// `--username`, `--signatures`, `--hub-password-file`, `--no-db`
    /// ([`crate::scan::settings::FIND`]).
    #[command(flatten)]
    pub own: crate::cli::SettingArgs<crate::cli::Find>,
    /// Where the scan is recorded, and the config file.
    #[command(flatten)]
    pub store: crate::cli::DbArgs,
}
