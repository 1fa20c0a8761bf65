//! The YAML config file's values: every key a declared setting's, as text by key, read by its
//! setting's parser when the command resolves it (its flag over it); the `watch:` section's the
//! same, for watch's settings and the sinks'. An unknown key is an error, with its place, so a
//! typo is caught. The door reads the file, once per command ([`super::read_config_file`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{Keys, watch_section};
use error::Error;
use input::setting::Setting;

/// The choices of a closed set's key, at the top level or (`true`) in `watch:`.
type Choices = fn(bool, &str) -> Option<Vec<String>>;

/// The config file's values, as text by key (`Debug` shows the keys only: `credentials:` holds
/// passwords).
#[derive(Clone, Default)]
pub struct FileValues {
    /// The top level's: the settings of the lists [`Keys::TOP`] (the scan's, the report's, the
    /// formats' options and `color`).
    pub settings: BTreeMap<String, String>,
    /// The `watch:` section's: `camscan watch`'s settings and the sinks' ([`watch_section`]).
    pub watch: BTreeMap<String, String>,
    /// Where it was read from, and the line of each key it gave (`per_host`, `watch.every`): a
    /// bad value is said with its place ([`FileValues::placed`]).
    pub path: Option<std::path::PathBuf>,
    pub lines: BTreeMap<String, usize>,
    /// The choices of a closed set's key, at the top level or (`true`) in `watch:`, from the
    /// lists the file was read with: what a misspelt value is told it may be.
    pub(super) choices: Option<Choices>,
}

/// The file's shape as its reader sees it once the sieve has taken the settings' keys out of the
/// top level: the `watch:` section, and no other key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub(super) struct Shape<K: Keys> {
    #[serde(default, deserialize_with = "watch_section::read::<K, _>")]
    pub(super) watch: BTreeMap<String, String>,
    #[serde(skip)]
    keys: std::marker::PhantomData<fn() -> K>,
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

    pub fn parse<K: Keys>(text: &str, path: &Path) -> Result<Self, Error> {
        if text.trim().is_empty() {
            return Ok(FileValues::default());
        }
        let mut values = super::top_level::from_yaml::<K>(text).map_err(|e| Error::ConfigFile {
            path: path.to_path_buf(),
            message: in_doctors_words::<K>(&e, text),
        })?;
        values.path = Some(path.to_path_buf());
        values.choices = Some(|in_watch, key| {
            if in_watch {
                watch_section::choices::<K>(key)
            } else {
                super::top_level::choices::<K>(key)
            }
        });
        // A top-level key starts its line, unindented (`per_host: 2`); the `watch:` section's are
        // indented below it (`watch.every`).
        let mut in_watch = false;
        for (i, line) in text.lines().enumerate() {
            let Some((key, _)) = line.split_once(':') else {
                continue;
            };
            let indented = key.starts_with([' ', '\t']);
            if key.trim_start().starts_with(['#', '-']) {
                continue;
            }
            let key = key.trim();
            let name = if indented {
                if !in_watch || !values.watch.contains_key(key) {
                    continue;
                }
                format!("watch.{key}")
            } else {
                in_watch = key == "watch";
                if !values.settings.contains_key(key) {
                    continue;
                }
                key.to_string()
            };
            values.lines.entry(name).or_insert(i + 1);
        }
        Ok(values)
    }

    /// `e` said with its place when it is a bad value this file gave (the flags did not give
    /// that key another value): "`per_host: 0` at line 2: at least 1", with the choice it
    /// probably meant for a misspelt one ("did you mean `json`?"), as `camscan doctor` says it.
    /// Any other error as it was.
    pub fn placed(&self, e: Error) -> Error {
        self.placed_in(e, false)
    }

    /// [`FileValues::placed`] for a value of the `watch:` section (`watch.every: 1hr`).
    pub fn placed_in_watch(&self, e: Error) -> Error {
        self.placed_in(e, true)
    }

    fn placed_in(&self, e: Error, in_watch: bool) -> Error {
        let (
            Some(path),
            Error::InvalidValue {
                field,
                value,
                reason,
            },
        ) = (&self.path, &e)
        else {
            return e;
        };
        let (given, name) = if in_watch {
            (self.watch.get(*field), format!("watch.{field}"))
        } else {
            (self.settings.get(*field), field.to_string())
        };
        if given != Some(value) {
            return e;
        }
        let at = self
            .lines
            .get(&name)
            .map_or_else(String::new, |n| format!(" at line {n}"));
        let meant = self
            .choices
            .and_then(|choices| choices(in_watch, field))
            .and_then(|names| {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                value
                    .split(',')
                    .map(str::trim)
                    .find(|v| !v.is_empty() && !names.contains(v))
                    .and_then(|v| nearest(v, &names).map(|k| (v, k)))
                    .map(|(v, k)| format!(" (`{v}`: did you mean `{k}`?)"))
            })
            .unwrap_or_default();
        Error::ConfigFile {
            path: path.clone(),
            message: format!("`{name}: {value}`{at}: {reason}{meant} ({EVERY_KEY})"),
        }
    }
}

/// Where the config file's messages send the user.
pub const EVERY_KEY: &str = "config.example.yaml lists every key";

/// A misspelt key as `camscan doctor` names it, "`prots` (did you mean `ports`?)", or
/// "`watch.evry` (did you mean `watch.every`?)" in the `watch:` section; the key alone when no
/// known key is within two edits of it.
pub fn misspelt<K: Keys>(key: &str, in_watch: bool) -> String {
    let (prefix, known) = if in_watch {
        ("watch.", super::watch_keys::<K>())
    } else {
        ("", super::keys::<K>())
    };
    match nearest(key, &known) {
        Some(k) => format!("`{prefix}{key}` (did you mean `{prefix}{k}`?)"),
        None => format!("`{prefix}{key}`"),
    }
}

/// The known key closest to a misspelt one (at most 2 edits away), to suggest.
fn nearest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over chars (config keys are short).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The reader's error as the user reads it: serde's "unknown field `per_hosts`, expected
/// `watch`" (the fields left after the sieve, which mean nothing to the user) said as `doctor`
/// says it, with the key it probably meant and its line; any other error as the reader wrote it
/// (it names its line).
fn in_doctors_words<K: Keys>(e: &serde_yaml::Error, text: &str) -> String {
    let said = e.to_string();
    let Some(key) = said
        .split_once("unknown field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(key, _)| key)
    else {
        return said;
    };
    let line = e.location().map(|l| (l.line(), l.column()));
    // The `watch:` section is the file's only nested mapping: its keys are indented.
    let in_watch = line
        .and_then(|(n, _)| text.lines().nth(n.saturating_sub(1)))
        .is_some_and(|l| l.starts_with([' ', '\t']));
    let at = line.map_or_else(String::new, |(n, c)| format!(" at line {n} column {c}"));
    if !in_watch && super::watch_keys::<K>().contains(&key) {
        return format!(
            "unknown key `{key}`{at}: it belongs in the `watch:` section (`watch.{key}`) \
             ({EVERY_KEY})"
        );
    }
    format!(
        "unknown key {}{at} ({EVERY_KEY})",
        misspelt::<K>(key, in_watch)
    )
}

#[cfg(test)]
mod tests {
    use super::{edit_distance, nearest};

    /// A misspelt key's suggestion: the known key at most two edits away.
    #[test]
    fn the_nearest_known_key_is_suggested() {
        let known = &["ports", "color", "watch"];
        assert_eq!(nearest("prots", known), Some("ports"));
        assert_eq!(nearest("colour", known), Some("color"));
        assert_eq!(nearest("something_else", known), None);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
