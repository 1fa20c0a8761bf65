//! The config file's top level: `FileConfig`'s own fields, the formats' options
//! ([`super::format_options`]) and the scan settings ([`crate::scan::settings::SCAN`]), the last
//! two taken out of the mapping by the sieve ([`super::sieve`]) before the derived reader sees it.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::FileConfig;
use super::sieve::{Registry, Sieve};
use crate::export::{FormatOption, FormatValues};
use crate::model::setting::Declared;
use crate::scan::settings::{SCAN, scan_setting};

/// The config file's top-level keys: `FileConfig`'s fields (`fields`), the format options' and
/// the scan settings'.
pub fn keys(fields: &[&'static str]) -> Vec<&'static str> {
    let mut keys = super::format_options::keys(fields);
    keys.extend(SCAN.iter().map(|d| d.key()));
    keys
}

/// The config file `text` (not empty) read, its format options and scan settings among it.
pub(super) fn from_yaml(text: &str) -> Result<FileConfig, serde_yaml::Error> {
    let mut taken = TopLevel::default();
    let mut file = FileConfig::deserialize(Sieve {
        inner: serde_yaml::Deserializer::from_str(text),
        taken: &mut taken,
    })?;
    file.format_options = taken.formats;
    file.settings = taken.settings;
    Ok(file)
}

/// What the file's top level holds besides `FileConfig`'s fields.
#[derive(Default)]
struct TopLevel {
    formats: FormatValues,
    /// The scan settings' values, as text (each read by its setting's parser when resolved).
    settings: BTreeMap<String, String>,
}

#[derive(Clone, Copy)]
enum Keyed {
    Format(&'static FormatOption),
    Setting(&'static dyn Declared),
}

impl Registry for TopLevel {
    type Option = Keyed;

    fn keyed(key: &str) -> Option<Keyed> {
        crate::export::options::option_keyed(key)
            .map(Keyed::Format)
            .or_else(|| scan_setting(key).map(Keyed::Setting))
    }

    fn is_switch(option: Keyed) -> bool {
        matches!(option, Keyed::Format(o) if o.is_switch())
    }

    fn is_scalar(option: Keyed) -> bool {
        matches!(option, Keyed::Setting(_))
    }

    fn take(&mut self, option: Keyed, value: String) {
        match option {
            Keyed::Format(o) => self.formats.set(o, value),
            Keyed::Setting(d) => {
                self.settings.insert(d.key().to_string(), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::setting::Settings;

    /// A scan setting is a top-level key, a number or a text; an unknown key is still refused
    /// with its place, and a setting's bad value is its parser's error when resolved.
    #[test]
    fn the_settings_keys_are_read_from_the_top_level() {
        let file = FileConfig::parse(
            "arp_rate: 300\nmedia_rate: \"20\"\nconcurrency: null\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        assert_eq!(
            file.settings.get("arp_rate").map(String::as_str),
            Some("300")
        );
        assert_eq!(
            file.settings.get("media_rate").map(String::as_str),
            Some("20")
        );
        assert!(
            !file.settings.contains_key("concurrency"),
            "null: not given"
        );
        let e = FileConfig::parse("arp_rat: 300\n", Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `arp_rat`"), "{e}");
        let s = Settings::resolve(SCAN, &BTreeMap::new(), &file.settings).unwrap();
        assert_eq!(s.get(&crate::discovery::arp::ARP_RATE), 300);
        assert_eq!(s.get(&crate::net::media_budget::MEDIA_RATE), Some(20));
        let bad: BTreeMap<String, String> = [("per_host".to_string(), "0".to_string())].into();
        let (key, value, why) = Settings::resolve(SCAN, &BTreeMap::new(), &bad).unwrap_err();
        assert_eq!((key, value.as_str()), ("per_host", "0"));
        assert!(why.contains("at least 1"), "{why}");
    }
}
