//! `camscan push`'s arguments, and what `scan --push` and `watch --push` share with it: how the
//! push logs in to the tool, trusts its certificate, and writes passwords.

use clap::Args;

use super::format_options::PushFormatOptionArgs;
use super::{DbArgs, SettingArgs, SettingList};
use crate::model::setting::Declared;
pub use crate::push::ToolKind;

/// How a push reaches and writes into a tool ([`crate::push::settings::OPTIONS`]).
pub struct PushOptions;

impl SettingList for PushOptions {
    const LIST: &'static [&'static dyn Declared] = crate::push::settings::OPTIONS;
}

/// How a push reaches and writes into a tool, as given (shared by `push`, `scan --push`,
/// `watch --push`, `serve --push`).
pub type PushOptionArgs = SettingArgs<PushOptions>;

/// `camscan push`'s own settings ([`crate::push::settings::SETTINGS`]).
pub struct Push;

impl SettingList for Push {
    const LIST: &'static [&'static dyn Declared] = crate::push::settings::SETTINGS;
}

/// `--push` of the commands that scan ([`crate::push::settings::AFTER_SCAN`]).
pub struct AfterScan;

impl SettingList for AfterScan {
    const LIST: &'static [&'static dyn Declared] = crate::push::settings::AFTER_SCAN;
}

/// `camscan push TOOL URL`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The tool.
    #[arg(value_enum)]
    pub tool: ToolKind,
    /// Its API's URL: Frigate http://HOST:5000 (or https://HOST:8971 with a login), go2rtc
    /// http://HOST:1984, MediaMTX http://HOST:9997, Home Assistant http://HOST:8123.
    #[arg(value_name = "URL")]
    pub url: String,
    #[command(flatten)]
    pub store: DbArgs,
    #[command(flatten)]
    pub options: PushOptionArgs,
    /// `--credentials`, `--device`, `--dry-run`, `-f`.
    #[command(flatten)]
    pub settings: SettingArgs<Push>,
    #[command(flatten)]
    pub table: crate::cli::TableWidth,
    #[command(flatten)]
    pub format_options: PushFormatOptionArgs,
}
