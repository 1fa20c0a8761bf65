//! The YAML config file's shape: its keys (every one optional; an unknown one is an error, so a
//! typo is caught) and how its text is read into them. The entrance reads the file, once per
//! command (`cli::settings::read_config_file`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::watch_section;
use crate::error::Error;
use crate::model::environment::ColorChoice;

/// A list given either as a YAML sequence or as one comma-separated string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ListOrString {
    List(Vec<serde_yaml::Value>),
    Text(String),
}

impl ListOrString {
    pub(crate) fn items(&self) -> Vec<String> {
        match self {
            ListOrString::Text(s) => s.split(',').map(|s| s.trim().to_string()).collect(),
            ListOrString::List(v) => v
                .iter()
                .map(|v| match v {
                    serde_yaml::Value::String(s) => s.clone(),
                    other => serde_yaml::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                })
                .collect(),
        }
    }
}

/// The YAML config file. Every key optional; unknown keys are an error so typos are caught.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub targets: Option<ListOrString>,
    pub width: Option<u16>,
    pub color: Option<ColorChoice>,
    /// Credential entries, as in a credentials file (`user:password` or `SCOPE user:password`).
    pub credentials: Option<Vec<String>>,
    pub paths: Option<Vec<String>>,
    /// Knowledge files, read before the built-in data.
    pub signatures: Option<Vec<PathBuf>>,
    /// The inventory database (`--db`); `null` for the default location.
    pub db: Option<PathBuf>,
    /// The credential key's file (`--credential-key`); `null` for the inventory's default.
    pub credential_key: Option<PathBuf>,
    /// The site scans are recorded at (`--site`); `null` for the host name.
    pub site: Option<String>,
    /// `camscan watch`'s settings, as text by key (its `watch:` section: [`watch_section`]);
    /// its flags override them.
    #[serde(default, deserialize_with = "watch_section::read")]
    pub watch: std::collections::BTreeMap<String, String>,
    /// The declared settings' values at the top level, as text, by key: the scan's
    /// ([`crate::scan::settings::SCAN`]) and the formats' options
    /// ([`crate::export::options::OPTIONS`]), each read by its setting's parser when resolved.
    #[serde(skip)]
    pub settings: std::collections::BTreeMap<String, String>,
}

impl FileConfig {
    pub fn parse(text: &str, path: &Path) -> Result<Self, Error> {
        if text.trim().is_empty() {
            return Ok(FileConfig::default());
        }
        super::top_level::from_yaml(text).map_err(|e| Error::ConfigFile {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }
}
