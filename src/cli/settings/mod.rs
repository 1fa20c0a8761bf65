//! Settings resolved once: each command turns its clap arguments, their `CAMSCAN_*` variables and
//! the config file (read once per process, [`crate::config::FileConfig::load`]) into the typed
//! settings it hands down ([`crate::config::ScanConfig`], [`crate::watch::WatchConfig`], the
//! inventory's place). Nothing below the commands names an argument type of [`crate::cli`].

mod doctor;
mod inventory;
mod push;
mod scan;
mod serve;
mod watch;

pub use doctor::{doctor, scan_values};
pub use push::{camera_logins, push};
pub use scan::{ScanCommand, audit, password_for, scan};
pub use serve::{serve, serve_inventory};
pub use watch::watch;

use std::path::Path;

use crate::config::FileConfig;
use crate::error::Error;

/// The config file `--config` names, read (no file: every key unset). A command calls this once
/// and resolves all its settings from what it returns.
pub fn config_file(path: Option<&Path>) -> Result<FileConfig, Error> {
    Ok(path.map(FileConfig::load).transpose()?.unwrap_or_default())
}
