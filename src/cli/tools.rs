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
    /// `--signatures`, `--kind`, `-f`.
    #[command(flatten)]
    pub settings: SettingArgs<Listing>,
    #[command(flatten)]
    pub config: crate::cli::ConfigFile,
}

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
    /// `-f`.
    #[command(flatten)]
    pub format: SettingArgs<InterfacesFormats>,
}

/// `camscan interfaces -f` ([`crate::export::interfaces::FORMATS`]).
pub struct InterfacesFormats;

impl SettingList for InterfacesFormats {
    const LIST: &'static [&'static dyn Declared] = crate::export::interfaces::FORMATS;
}
