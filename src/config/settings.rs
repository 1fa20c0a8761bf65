//! The settings of the commands that scan, listed once ([`SCAN`]): each is declared beside the
//! code that reads it ([`crate::model::setting::Setting`]), and this list is what the entrance
//! makes `scan`'s, `watch`'s and `audit`'s flags from (`cli::setting_args`), what the config
//! file's top level takes ([`from_yaml`]), what `camscan doctor` knows and what the references
//! are generated from. The resolved values travel in [`crate::config::ScanConfig::settings`].
//!
//! Adding a scan setting: its declaration beside its use, and its line here.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::FileConfig;
use super::sieve::{Registry, Sieve};
use crate::export::{FormatOption, FormatValues};
use crate::model::setting::{Declared, Settings};

/// Every setting of the commands that scan, in `--help`'s order.
pub static SCAN: &[&dyn Declared] = &[
    &crate::discovery::targets::EXCLUDE,
    &super::PORTS,
    &crate::analyze::webrtc::STUN_PORTS,
    &crate::net::CONNECT_TIMEOUT,
    &crate::net::TIMEOUT,
    &crate::detect::DETECT_TIMEOUT,
    &crate::probe::CONCURRENCY,
    &crate::probe::PER_HOST,
    &crate::probe::MAX_RATE,
    &crate::discovery::arp::ARP_RATE,
    &crate::analyze::sessions::SESSIONS_PER_DEVICE,
    &crate::net::host_gate::HOST_CONNECTIONS,
    &crate::net::host_gate::HOST_RATE,
    &crate::net::media_budget::MEDIA_RATE,
    &crate::probe::RETRIES,
    &crate::analyze::budget::AUTH_BUDGET,
    &crate::analyze::context::VERIFY_WINDOW,
    &crate::discovery::DISCOVERY_WAIT,
    &crate::analyze::context::VERIFY,
    &crate::net::rdns::DNS,
    &crate::detect::DETECT,
    &crate::net::interfaces::INTERFACE,
    &crate::discovery::reach::REACH_MISADDRESSED,
    &crate::analyze::context::NO_AUTH,
    &crate::analyze::context::SHOW_CREDENTIALS,
    &crate::analyze::context::FRESH,
    &crate::discovery::hosts::PROBE_ALL,
    &crate::discovery::targets::ALLOW_LARGE,
    &crate::discovery::targets::ALLOW_PUBLIC,
];

/// The scan setting whose config-file key is `key`.
pub fn scan_setting(key: &str) -> Option<&'static dyn Declared> {
    SCAN.iter().copied().find(|d| d.key() == key)
}

/// Every scan setting at its default.
pub fn defaults() -> Settings {
    Settings::resolve(SCAN, &BTreeMap::new(), &BTreeMap::new())
        .unwrap_or_else(|_| Settings::default())
}

/// The reference's table of the scan settings (`docs/reference/configuration.md`, checked by
/// `tests/docs.rs`): each setting's flag, variable, config-file key and `--help` line, from its
/// declaration.
pub fn table() -> String {
    use crate::model::setting::{SWITCH, SWITCH_OFF};
    let mut out = String::from("| Flag | Env | In the file | Meaning |\n|---|---|---|---|\n");
    for d in SCAN {
        let short = d.short().map(|c| format!("-{c}, ")).unwrap_or_default();
        let (flag, key) = match d.value_name() {
            SWITCH => (d.flag().to_string(), format!("{}: true", d.key())),
            SWITCH_OFF => (d.flag().to_string(), format!("{}: false", d.key())),
            v => (format!("{} {v}", d.flag()), d.key().to_string()),
        };
        // A `|` inside a cell would end it.
        let help = d.help().replace('|', "\\|");
        out.push_str(&format!(
            "| `{short}{flag}` | `{}` | `{key}` | {help} |\n",
            d.env()
        ));
    }
    out
}

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

    /// Every setting is declared once: distinct keys, flags and variables, spelled from the key.
    /// `--ports`' help names the list a scan probes by default.
    #[test]
    fn the_ports_help_names_the_default_ports() {
        let list: Vec<String> = crate::config::DEFAULT_PORTS
            .iter()
            .map(u16::to_string)
            .collect();
        let want = format!("[default: {}]", list.join(","));
        assert!(crate::config::PORTS.help.ends_with(&want), "{want}");
    }

    #[test]
    fn every_setting_is_spelled_from_its_key() {
        for d in SCAN {
            // A switch its flag turns off is spelled `--no-` and its key.
            let off = d.value_name() == crate::model::setting::SWITCH_OFF;
            let name = format!("{}{}", if off { "no_" } else { "" }, d.key());
            assert_eq!(d.flag(), format!("--{}", name.replace('_', "-")));
            assert_eq!(d.env(), format!("CAMSCAN_{}", name.to_uppercase()));
            assert!(!d.help().ends_with('.'), "{}: clap style", d.key());
        }
        let mut keys: Vec<&str> = SCAN.iter().map(|d| d.key()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), SCAN.len());
    }
}
