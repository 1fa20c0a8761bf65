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
    /// `--from-db`, `--expect`, `-o`, `--ffmpeg`, `--no-thumbnails`, `--check-defaults`, `-f`,
    /// `--fail-on`.
    #[command(flatten)]
    pub settings: SettingArgs<Audit>,
    #[command(flatten)]
    pub table: crate::cli::TableWidth,
}
