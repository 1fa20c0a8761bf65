//! `camscan audit`'s arguments.

use std::path::PathBuf;

use clap::Args;

use super::*;

/// `camscan audit`.
#[derive(Debug, Args, Default)]
pub struct AuditArgs {
    #[command(flatten)]
    pub find: FindArgs,
    /// Judge the inventory's newest description of each device at the site (--site, else this
    /// machine's) instead of scanning: nothing is sent.
    #[arg(long, env = "CAMSCAN_FROM_DB")]
    pub from_db: bool,
    /// Compare with a plan: a CSV whose header names some of name,address,mac,resolution,fps,
    /// codec (address or mac on every row), as a spreadsheet exports it.
    #[arg(long, value_name = "FILE", env = "CAMSCAN_EXPECT")]
    pub expect: Option<PathBuf>,
    /// Output format [default: table].
    #[arg(short, long, value_enum, env = "CAMSCAN_AUDIT_FORMAT")]
    pub format: Option<AuditFormat>,
    /// Write the result to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE", env = "CAMSCAN_OUTPUT")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub table: crate::cli::TableWidth,
    /// Exit 4 when a finding at or above this severity exists (for CI).
    #[arg(long, value_enum, value_name = "SEVERITY", env = "CAMSCAN_FAIL_ON")]
    pub fail_on: Option<crate::audit::Severity>,
    /// The handover report's video decoder: ffmpeg at this path (or name in PATH) [default:
    /// ffmpeg from PATH when installed; without it, cameras with no snapshot or MJPEG stream
    /// have no picture].
    #[arg(long, value_name = "PATH", env = "CAMSCAN_FFMPEG")]
    pub ffmpeg: Option<PathBuf>,
    /// The handover report without pictures (no snapshot, frame or keyframe is fetched).
    #[arg(long, env = "CAMSCAN_NO_THUMBNAILS")]
    pub no_thumbnails: bool,
    /// Try the makers' documented factory credentials (data/default_credentials.yaml) on each
    /// stream that asks for a login: the device's maker's first, then every other maker's; at most one try
    /// per credential per device, inside the failed-login budget (--auth-budget), never once it
    /// is spent, never with --no-auth [default: off: none is ever sent].
    #[arg(long, env = "CAMSCAN_CHECK_DEFAULTS")]
    pub check_defaults: bool,
}

pub use crate::audit::formats::AuditFormat;
