//! The config file read at the door: once per command ([`read_config_file`], logged), and the
//! values the commands' settings take from it beside their flags (the knowledge files, the
//! inventory's place, the files it names). Its shape is [`crate::cli::file`]'s.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::cli::file::FileValues;
use error::Error;
use input::setting::Repeat;

/// `--config`: the config file, read before the settings it holds (so no key of its own).
pub static CONFIG: input::setting::Setting<Option<PathBuf>> = input::setting::Setting {
    key: "config",
    flag: "--config",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_CONFIG",
    value_name: "FILE",
    help: "Read settings from this YAML file (see config.example.yaml): each flag and its \
               variable overrides the file's key",
    default: None,
    choices: None,
    parse: input::setting::path,
};

/// The config file `--config` names, read (no file: every key unset). A command calls this once
/// and resolves all its settings from what it returns.
pub fn config_file<K: super::Keys>(path: Option<&Path>) -> Result<FileValues, Error> {
    Ok(path.map(load::<K>).transpose()?.unwrap_or_default())
}

/// The config file at `path`, read and parsed.
pub fn load<K: super::Keys>(path: &Path) -> Result<FileValues, Error> {
    let text = read_config_file(path).map_err(|source| Error::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    FileValues::parse::<K>(&text, path)
}

/// The config file's text. Every read of it goes through here and is logged (debug, target
/// `camscan::config`): a command reads it once and resolves all its settings from that read
/// (a test counts the lines); `watch` reads it again on SIGHUP.
pub fn read_config_file(path: &Path) -> std::io::Result<String> {
    tracing::debug!(target: "camscan::config", path = %path.display(), "reading the config file");
    std::fs::read_to_string(path)
}

/// A file the settings name (targets, credentials, paths), read.
pub(crate) fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
        path: path.to_path_buf(),
        source,
    })
}

/// `--config` ([`CONFIG`]).
pub struct Config;

impl crate::cli::SettingList for Config {
    const LIST: &'static [&'static dyn input::setting::Declared] = &[&CONFIG];
}

/// The config file: declared once, flattened by every command that reads one.
#[derive(Debug, Args, Default, Clone)]
pub struct ConfigFile {
    /// `--config`.
    #[command(flatten)]
    pub settings: crate::cli::SettingArgs<Config>,
}

impl ConfigFile {
    /// The config file given (`--config` or `CAMSCAN_CONFIG`).
    pub fn path(&self) -> Result<Option<PathBuf>, error::Error> {
        Ok(self.settings.values()?.get(&CONFIG))
    }
}
