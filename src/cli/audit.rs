//! `camscan audit`'s arguments.

use clap::Args;

use super::*;

/// audit's own settings ([`crate::audit::settings::SETTINGS`]).
pub struct Audit;

impl SettingList for Audit {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] =
        crate::audit::settings::SETTINGS;
}

/// `camscan audit`.
#[derive(Debug, Args, Default)]
pub struct AuditArgs {
    #[command(flatten)]
    pub find: FindArgs,
    /// `--from-db`, `--expect`, `-o`, `--ffmpeg`, `--no-thumbnails`, `--check-defaults`.
    #[command(flatten)]
    pub settings: SettingArgs<Audit>,
    /// Output format [default: table].
    #[arg(short, long, value_enum, env = "CAMSCAN_AUDIT_FORMAT")]
    pub format: Option<AuditFormat>,
    #[command(flatten)]
    pub table: crate::cli::TableWidth,
    /// Exit 4 when a finding at or above this severity exists (for CI).
    #[arg(long, value_enum, value_name = "SEVERITY", env = "CAMSCAN_FAIL_ON")]
    pub fail_on: Option<crate::audit::Severity>,
}

pub use crate::audit::formats::AuditFormat;
