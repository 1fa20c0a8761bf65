//! `camscan doctor`'s checks of the config file: it reads, its keys are known, its values parse.

use std::path::Path;

use super::parse;
use super::{Check, FileRead, FileReader};
use crate::notify::SinkSpec;

/// The config file: it parses, every key is known (each unknown one named, with the key it
/// probably meant), and its values are valid. Returns the file as far as it could be read (the
/// unknown keys left out), for the other checks.
pub(super) fn config(given: Option<&super::ConfigText>, reader: &FileReader) -> (Check, FileRead) {
    // Every key unset: what the other checks go on when the file cannot be read.
    let defaults = || (reader.read)(None).unwrap_or_default();
    let Some((path, text)) = given else {
        return (
            Check::pass(
                CONFIG,
                "no config file given (--config, CAMSCAN_CONFIG): defaults",
            ),
            defaults(),
        );
    };
    let shown = path.display();
    let mut value = match read_yaml(path, text.as_deref()) {
        Ok(Some(v)) => v,
        Ok(None) => {
            return (
                Check::pass(CONFIG, format!("{shown}: empty (defaults)")),
                defaults(),
            );
        }
        Err(check) => return (check, defaults()),
    };
    let unknown = match remove_unknown_keys(&mut value, reader) {
        Some(unknown) => unknown,
        None => {
            return (
                Check::fail(
                    CONFIG,
                    format!("{shown}: not a mapping of keys to values"),
                    EVERY_KEY,
                ),
                defaults(),
            );
        }
    };
    // The rest read as a scan reads it (the entrance's reader), so doctor and scan agree.
    let rest = serde_yaml::to_string(&value).unwrap_or_default();
    let file = match (reader.read)(Some((&rest, path))) {
        Ok(f) => f,
        Err(e) => {
            return (
                Check::fail(CONFIG, e.to_string(), format!("correct it ({EVERY_KEY})")),
                defaults(),
            );
        }
    };
    if !unknown.is_empty() {
        return (
            Check::fail(
                CONFIG,
                format!(
                    "{shown}: unknown key{} {} (a scan refuses the file)",
                    if unknown.len() == 1 { "" } else { "s" },
                    unknown.join(", ")
                ),
                format!("rename or remove them ({EVERY_KEY})"),
            ),
            file,
        );
    }
    let check = bad_values(&file, &shown.to_string())
        .unwrap_or_else(|| Check::pass(CONFIG, format!("{shown}: parses, every key known")));
    (check, file)
}

/// The config check's name.
const CONFIG: &str = "config";
/// Where the config check sends the user.
const EVERY_KEY: &str = "config.example.yaml lists every key";

/// The config file as YAML: `None` when it is empty; a failed check when it cannot be read or
/// is not YAML.
pub(super) fn read_yaml(
    path: &Path,
    text: Result<&str, &String>,
) -> Result<Option<serde_yaml::Value>, Check> {
    let shown = path.display();
    let text = text.map_err(|e| {
        Check::fail(
            CONFIG,
            format!("{shown}: {e}"),
            "give a readable file to --config",
        )
    })?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_yaml::from_str(text).map(Some).map_err(|e| {
        Check::fail(
            CONFIG,
            format!("{shown}: not YAML: {e}"),
            format!("correct the YAML ({EVERY_KEY})"),
        )
    })
}

/// Take the keys a scan does not know out of the file (top level and `watch:`), each named with
/// the key it probably meant. `None` when the file is not a mapping.
pub(super) fn remove_unknown_keys(
    value: &mut serde_yaml::Value,
    reader: &FileReader,
) -> Option<Vec<String>> {
    let top = value.as_mapping_mut()?;
    let mut unknown = Vec::new();
    let known = &reader.keys;
    for key in parse::unknown_keys(top, known) {
        unknown.push((reader.misspelt)(&key, false));
        top.remove(key.as_str());
    }
    if let Some(watch) = top.get_mut("watch").and_then(|w| w.as_mapping_mut()) {
        let known = &reader.watch_keys;
        for key in parse::unknown_keys(watch, known) {
            unknown.push((reader.misspelt)(&key, true));
            watch.remove(key.as_str());
        }
    }
    Some(unknown)
}

/// Values: what `camscan scan --config` would say about them (ports, durations, credentials),
/// then the sinks of `watch.notify`. `None` when all are valid.
pub(super) fn bad_values(file: &FileRead, shown: &str) -> Option<Check> {
    if let Some(e) = &file.scan_values {
        return Some(Check::fail(
            CONFIG,
            e.to_string(),
            format!("correct it ({EVERY_KEY})"),
        ));
    }
    let bad_sinks: Vec<String> = file
        .notify
        .iter()
        .filter_map(|s| s.parse::<SinkSpec>().err())
        .collect();
    (!bad_sinks.is_empty()).then(|| {
        Check::fail(
            CONFIG,
            format!("{shown}: watch.notify: {}", bad_sinks.join("; ")),
            crate::notify::sink_syntax(),
        )
    })
}
