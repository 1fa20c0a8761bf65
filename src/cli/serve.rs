//! `camscan serve`'s arguments: its own settings are declared in [`crate::serve::SETTINGS`] and
//! made flags by the one adapter ([`SettingArgs`]).

use clap::Args;

use super::*;

/// serve's own settings ([`crate::serve::SETTINGS`]).
pub struct Serve;

impl SettingList for Serve {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] = crate::serve::SETTINGS;
    const HELP: &'static [(&'static str, &'static str)] = &[
        ("credentials_file", crate::serve::CREDENTIALS_HELP),
        ("hub", crate::serve::HUB_HELP),
    ];
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// `--listen`, `--auth`, `--print-token`, ... `--push`.
    #[command(flatten)]
    pub settings: SettingArgs<Serve>,
    #[command(flatten)]
    pub format_options: FormatOptionArgs,
    #[command(flatten)]
    pub push_options: super::PushOptionArgs,
}
