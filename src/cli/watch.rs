//! `camscan watch`'s own arguments (the scan's are [`super::FindArgs`]).

use clap::Args;

use super::*;

/// watch's own settings ([`crate::watch::settings::SETTINGS`]).
pub struct Watch;

impl SettingList for Watch {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] =
        crate::watch::settings::SETTINGS;
}

#[derive(Debug, Clone, Args, Default)]
pub struct WatchArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// `--every` ... `--write-then` ([`crate::watch::settings::SETTINGS`]).
    #[command(flatten)]
    pub settings: SettingArgs<Watch>,
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
}
