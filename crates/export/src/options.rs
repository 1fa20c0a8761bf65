//! A format's own options (`--csv-delimiter`, `--frigate-restream`, `--backchannel`): each is a
//! declared setting ([`input::setting::Setting`]) beside its exporter, listed by the
//! formats it applies to ([`super::FormatDef::options`]) and once in [`super::OPTIONS`]. The entrance
//! makes the flags of every command that writes a format (`scan`, `convert`, `watch --write`,
//! `serve`'s export) and the config file's top-level keys from that list, as for any setting;
//! the resolved values travel as one [`Settings`] in [`super::ExportOptions::formats`], which
//! each exporter's `make` reads (`options.formats.get(&csv::DELIMITER)`).
//!
//! Precedence is every setting's: the flag (or its `CAMSCAN_*` variable), else the config file's
//! key, else the option's default.

use super::OPTIONS;
use input::setting::{Declared, Settings};

/// Every option at its default (a command that takes none: `audit`'s, `push`'s renderers).
pub fn defaults() -> Settings {
    Settings::resolve(OPTIONS, &Default::default(), &Default::default()).unwrap_or_default()
}

/// The registered option whose config-file key is `key`.
pub fn option_keyed(key: &str) -> Option<&'static dyn Declared> {
    OPTIONS.iter().copied().find(|o| o.key() == key)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// [`super::OPTIONS`] is the formats' lists, each option once, in their order.
    #[test]
    fn every_format_option_is_listed_once() {
        let mut want: Vec<&str> = Vec::new();
        for def in super::super::FORMATS {
            for o in def.options {
                want.retain(|seen| *seen != o.key());
                want.push(o.key());
            }
        }
        let listed: Vec<&str> = OPTIONS.iter().map(|o| o.key()).collect();
        assert_eq!(listed, want);
        input::setting::assert_spelled_from_keys(OPTIONS, &[]);
    }

    #[test]
    fn the_flag_over_the_file_over_the_default() {
        use super::super::{csv::DELIMITER, frigate::RESTREAM};
        let text = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let file = text(&[("csv_delimiter", ";"), ("frigate_restream", "true")]);
        let flags = text(&[("csv_delimiter", "tab")]);
        let v = Settings::resolve(OPTIONS, &flags, &file).unwrap();
        assert_eq!((v.get(&DELIMITER), v.get(&RESTREAM)), (b'\t', true));
        let v = Settings::resolve(OPTIONS, &BTreeMap::new(), &file).unwrap();
        assert_eq!(v.get(&DELIMITER), b';');
        assert_eq!(
            defaults().get(&DELIMITER),
            b',',
            "the default is its parser's"
        );
        let bad = text(&[("csv_delimiter", "::")]);
        let (key, value, _) = Settings::resolve(OPTIONS, &bad, &file).unwrap_err();
        assert_eq!((key, value.as_str()), ("csv_delimiter", "::"));
    }
}
