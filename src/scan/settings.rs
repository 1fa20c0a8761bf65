//! The settings of the commands that scan, listed once ([`SCAN`]): each is declared beside the
//! code that reads it ([`input::setting::Setting`]), and this list is what the entrance
//! makes `scan`'s, `watch`'s and `audit`'s flags from (`cli::SettingArgs`), what the config
//! file's top level takes (`cli::file`), what `camscan doctor` knows and what the
//! references are generated from. The resolved values travel in [`super::ScanConfig::settings`].
//!
//! Adding a scan setting: its declaration beside its use, and its line here.

use std::collections::BTreeMap;

use input::setting::{Declared, Settings};

/// Every setting of the commands that scan, in `--help`'s order.
pub static SCAN: &[&dyn Declared] = &[
    &crate::discovery::targets::TARGETS_FILE,
    &crate::discovery::targets::EXCLUDE,
    &crate::probe::PORTS,
    &analyze::webrtc::STUN_PORTS,
    &net::CONNECT_TIMEOUT,
    &net::TIMEOUT,
    &detect::DETECT_TIMEOUT,
    &crate::probe::CONCURRENCY,
    &crate::probe::PER_HOST,
    &crate::probe::MAX_RATE,
    &crate::discovery::arp::ARP_RATE,
    &analyze::sessions::SESSIONS_PER_DEVICE,
    &net::host_gate::HOST_CONNECTIONS,
    &net::host_gate::HOST_RATE,
    &net::media_budget::MEDIA_RATE,
    &crate::probe::RETRIES,
    &analyze::budget::AUTH_BUDGET,
    &analyze::context::VERIFY_WINDOW,
    &crate::discovery::DISCOVERY_WAIT,
    &analyze::context::VERIFY,
    &net::rdns::DNS,
    &detect::DETECT,
    &net::interfaces::INTERFACE,
    &crate::discovery::reach::REACH_MISADDRESSED,
    &analyze::context::NO_AUTH,
    &analyze::context::SHOW_CREDENTIALS,
    &analyze::context::FRESH,
    &crate::discovery::hosts::PROBE_ALL,
    &crate::discovery::targets::ALLOW_LARGE,
    &crate::discovery::targets::ALLOW_PUBLIC,
    &credentials::CREDENTIALS_FILE,
    &analyze::hints::PATHS_FILE,
    &analyze::paths::WALK,
    &analyze::ffprobe::FFPROBE,
    &crate::discovery::DISCOVERY,
];

/// Every scan setting at its default.
pub fn defaults() -> Settings {
    Settings::resolve(SCAN, &BTreeMap::new(), &BTreeMap::new())
        .unwrap_or_else(|_| Settings::default())
}

/// The reference's table of the scan settings (`docs/reference/configuration.md`, checked by
/// `tests/docs.rs`): each setting's flag, variable, config-file key and `--help` line, from its
/// declaration.
pub fn table() -> String {
    use input::setting::{SWITCH, SWITCH_OFF};
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every setting is declared once: distinct keys, flags and variables, spelled from the key.
    /// `--ports`' help names the list a scan probes by default.
    #[test]
    fn the_ports_help_names_the_default_ports() {
        let list: Vec<String> = crate::probe::DEFAULT_PORTS
            .iter()
            .map(u16::to_string)
            .collect();
        let want = format!("[default: {}]", list.join(","));
        assert!(crate::probe::PORTS.help.ends_with(&want), "{want}");
    }

    #[test]
    fn every_setting_is_spelled_from_its_key() {
        // The files whose config keys say `_file` beside the file's own lists (`credentials:`,
        // `paths:`), their flags older than the keys.
        let renamed = [("credentials_file", "credentials"), ("paths_file", "paths")];
        for d in SCAN {
            // A switch its flag turns off is spelled `--no-` and its key.
            let off = d.value_name() == input::setting::SWITCH_OFF;
            let key = renamed
                .iter()
                .find(|(key, _)| *key == d.key())
                .map_or(d.key(), |(_, flag)| *flag);
            let name = format!("{}{}", if off { "no_" } else { "" }, key);
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
