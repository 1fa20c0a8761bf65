//! The commands about camscan itself: `signatures`, `interfaces`, `completions`.

use clap::Args;

use super::{SettingArgs, SettingList};
use crate::model::setting::Declared;

/// `camscan signatures`' settings ([`crate::knowledge::listing::LISTING`]).
pub struct Listing;

impl SettingList for Listing {
    const LIST: &'static [&'static dyn Declared] = crate::knowledge::listing::LISTING;
}

/// `camscan interfaces`' settings ([`crate::net::interfaces::LISTING`]).
pub struct Interfaces;

impl SettingList for Interfaces {
    const LIST: &'static [&'static dyn Declared] = crate::net::interfaces::LISTING;
}

#[derive(Debug, Args, Default)]
pub struct SignaturesArgs {
    /// `--signatures`.
    #[command(flatten)]
    pub settings: SettingArgs<Listing>,
    #[command(flatten)]
    pub config: crate::cli::ConfigFile,
    /// Only this kind of entry [default: every kind].
    #[arg(long, value_enum)]
    pub kind: Option<crate::knowledge::listing::Section>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: ListFormat,
}

pub use crate::knowledge::listing::ListFormat;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args, Default)]
pub struct InterfacesArgs {
    /// `--interface`, `--allow-large`.
    #[command(flatten)]
    pub settings: SettingArgs<Interfaces>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: InterfacesFormat,
}

pub use crate::export::interfaces::InterfacesFormat;
