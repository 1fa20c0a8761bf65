//! `camscan watch`'s own arguments (the scan's are [`super::FindArgs`]).

use clap::Args;

use super::*;

/// watch's own settings ([`crate::watch::settings::SETTINGS`]).
pub struct Watch;

impl SettingList for Watch {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] =
        crate::watch::settings::SETTINGS;
}

/// Where watch's events go, and the sinks' own options ([`crate::notify::SETTINGS`]).
pub struct Sinks;

impl SettingList for Sinks {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] = crate::notify::SETTINGS;
}

#[derive(Debug, Clone, Args, Default)]
pub struct WatchArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// `--every` ... `--write-then` ([`crate::watch::settings::SETTINGS`]).
    #[command(flatten)]
    pub settings: SettingArgs<Watch>,
    /// `--notify` and the sinks' own options (`--webhook-secret-file`, `--ha-discovery`):
    /// [`crate::notify::SETTINGS`], their list made from the sinks' registrations.
    #[command(flatten)]
    pub sinks: SettingArgs<Sinks>,
}
