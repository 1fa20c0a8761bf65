//! The YAML config file's values: every key a declared setting's, as text by key, read by its
//! setting's parser when the command resolves it (its flag over it); the `watch:` section's the
//! same, for watch's settings and the sinks'. An unknown key is an error, with its place, so a
//! typo is caught. The entrance reads the file, once per command
//! (`cli::settings::read_config_file`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::watch_section;
use crate::error::Error;
use crate::model::setting::Setting;

/// The config file's values, as text by key (`Debug` shows the keys only: `credentials:` holds
/// passwords).
#[derive(Clone, Default)]
pub struct FileValues {
    /// The top level's: the scan's settings ([`crate::scan::settings::SCAN`] and
    /// [`crate::scan::settings::FILE`]), the report's, the formats' options and `color`.
    pub settings: BTreeMap<String, String>,
    /// The `watch:` section's: `camscan watch`'s settings and the sinks' ([`watch_section`]).
    pub watch: BTreeMap<String, String>,
}

/// The file's shape as its reader sees it once the sieve has taken the settings' keys out of the
/// top level: the `watch:` section, and no other key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Shape {
    #[serde(default, deserialize_with = "watch_section::read")]
    pub(super) watch: BTreeMap<String, String>,
}

impl std::fmt::Debug for FileValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileValues")
            .field("settings", &self.settings.keys().collect::<Vec<_>>())
            .field("watch", &self.watch.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl FileValues {
    /// `setting`'s value at the file's top level, else its default; a value its parser refuses
    /// is the error naming its key.
    pub fn get<T: Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static>(
        &self,
        setting: &'static Setting<T>,
    ) -> Result<T, Error> {
        match self.settings.get(setting.key) {
            None => Ok(setting.default.clone()),
            Some(text) => (setting.parse)(text).map_err(|reason| Error::InvalidValue {
                field: setting.key,
                value: text.clone(),
                reason,
            }),
        }
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, Error> {
        if text.trim().is_empty() {
            return Ok(FileValues::default());
        }
        super::top_level::from_yaml(text).map_err(|e| Error::ConfigFile {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }
}
