//! Settings resolved once: each command turns its clap arguments, their `CAMSCAN_*` variables and
//! the config file (read once per process, [`file::load`]) into the typed
//! settings it hands down ([`crate::scan::ScanConfig`], [`crate::watch::WatchConfig`], the
//! inventory's place). Nothing below the commands names an argument type of [`crate::cli`].

mod doctor;
pub mod file;
mod inventory;
mod push;
mod scan;
mod serve;
mod watch;

pub use doctor::{doctor, file_reader};
pub use push::{camera_logins, push};
pub use scan::{ScanCommand, audit, password_for, scan};
pub use serve::{serve, serve_inventory};
pub use watch::watch;

pub use file::{CONFIG, config_file, read_config_file};

use crate::model::environment::ColorChoice;

/// What every command's settings read beside its own arguments and the config file: the global
/// `--color` and the process environment, both taken at the entrance (`Cli::process`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Process {
    pub color: Option<ColorChoice>,
    pub env: crate::model::environment::Environment,
}

/// The error every setting reports a bad value with.
pub(crate) fn invalid(field: &'static str, value: &str, reason: &str) -> crate::error::Error {
    crate::error::Error::InvalidValue {
        field,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}
