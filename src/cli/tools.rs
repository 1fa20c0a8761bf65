//! The commands about camscan itself: `signatures`, `interfaces`, `completions`.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args, Default)]
pub struct SignaturesArgs {
    /// Knowledge files, as `camscan scan --signatures` reads them (before the built-in data).
    #[arg(
        long,
        value_name = "FILE",
        env = "CAMSCAN_SIGNATURES",
        value_delimiter = ','
    )]
    pub signatures: Vec<PathBuf>,
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
    /// Only this interface.
    #[arg(long, value_name = "NAME", env = "CAMSCAN_INTERFACE")]
    pub interface: Option<String>,
    /// Plan subnets larger than a /22 too.
    #[arg(long, env = "CAMSCAN_ALLOW_LARGE")]
    pub allow_large: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: InterfacesFormat,
}

pub use crate::export::interfaces::InterfacesFormat;
