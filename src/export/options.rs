//! A format's own options (`--csv-delimiter`, `--frigate-restream`, `--backchannel`): each is
//! declared once, as a [`FormatOption`] beside its exporter, and listed by the formats it applies
//! to ([`super::FormatDef::options`]). Everything else reads the registration: the flags of every
//! command that writes a format (`scan`, `convert`, `watch --write`, `serve`'s export), the config
//! file's top-level keys, and the values an exporter is made with ([`FormatValues`], carried by
//! [`super::ExportOptions`]).
//!
//! Precedence is the scan settings': the flag (or its `CAMSCAN_*` variable), else the config
//! file's key, else the option's default ([`resolve`]).

use std::collections::BTreeMap;

use super::FORMATS;
use crate::error::Error;

/// One option of one or more formats.
#[derive(Debug)]
pub struct FormatOption {
    /// Its flag, as typed (`--csv-delimiter`).
    pub flag: &'static str,
    /// Its key at the config file's top level (`csv_delimiter`); also the name its values go by
    /// in [`FormatValues`] and in the error for a bad value.
    pub key: &'static str,
    /// The environment variable that sets it (`CAMSCAN_CSV_DELIMITER`).
    pub env: &'static str,
    /// Its line in `--help` (clap style: no final period).
    pub help: &'static str,
    /// Its line in `camscan push --help`, for an option a push reads (what it writes beside each
    /// camera); `None`: push does not take it.
    pub pushed: Option<&'static str>,
    /// A switch, or a value with its parser.
    pub kind: OptionKind,
}

/// What an option takes.
#[derive(Debug)]
pub enum OptionKind {
    /// On or off (off by default): a flag without a value, `true`/`false` in the config file.
    Switch,
    /// A value, text in the config file.
    Value {
        /// The flag's value in `--help` (`CHAR`).
        value_name: &'static str,
        /// The value when none is given, as [`OptionKind::Value::parse`] spells it.
        default: &'static str,
        /// The value's one spelling (`tab` and `\t` are a tab), or why it is refused; pure.
        parse: fn(&str) -> Result<String, &'static str>,
    },
}

impl FormatOption {
    /// The flag without its dashes (`csv-delimiter`), as clap's `long` takes it.
    pub fn long(&self) -> &'static str {
        self.flag.trim_start_matches('-')
    }

    /// A switch (no value).
    pub fn is_switch(&self) -> bool {
        matches!(self.kind, OptionKind::Switch)
    }
}

/// Every format option, each once, in the order of [`FORMATS`] and of each format's list; an
/// option several formats list stands where the last of them lists it (`--backchannel` after
/// `--frigate-restream`, whose help it names).
pub fn options() -> Vec<&'static FormatOption> {
    let mut out: Vec<&'static FormatOption> = Vec::new();
    for def in FORMATS {
        for o in def.options {
            out.retain(|seen| seen.key != o.key);
            out.push(o);
        }
    }
    out
}

/// The registered option whose config-file key is `key`.
pub fn option_keyed(key: &str) -> Option<&'static FormatOption> {
    options().into_iter().find(|o| o.key == key)
}

/// Format options' values by key: as given (a flag's, a config file's), or resolved (every
/// value parsed; a switch present only when on, a value only when it is not the default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormatValues(BTreeMap<&'static str, String>);

impl FormatValues {
    /// `option` given as `value` (a switch: `true` or `false`).
    pub fn set(&mut self, option: &'static FormatOption, value: String) {
        self.0.insert(option.key, value);
    }

    /// What was given for `option`.
    pub fn given(&self, option: &FormatOption) -> Option<&str> {
        self.0.get(option.key).map(String::as_str)
    }

    /// Whether the switch `option` is on.
    pub fn on(&self, option: &FormatOption) -> bool {
        self.given(option) == Some("true")
    }

    /// The value of `option`, its default when none was given.
    pub fn value(&self, option: &FormatOption) -> &str {
        match (&option.kind, self.given(option)) {
            (_, Some(v)) => v,
            (OptionKind::Value { default, .. }, None) => default,
            (OptionKind::Switch, None) => "false",
        }
    }
}

/// The options' values: each flag's (`flags`), else the config file's (`file`), checked, in
/// their one spelling; the default ones left out. A bad value is an error naming the option's
/// flag (`by_flag`, for a command without a config file) or its config key.
pub fn resolve(
    flags: &FormatValues,
    file: &FormatValues,
    by_flag: bool,
) -> Result<FormatValues, Error> {
    let mut out = FormatValues::default();
    for o in options() {
        let Some(given) = flags.given(o).or(file.given(o)) else {
            continue;
        };
        match &o.kind {
            OptionKind::Switch => {
                if flags.on(o) || file.on(o) {
                    out.set(o, "true".into());
                }
            }
            OptionKind::Value { default, parse, .. } => {
                let v = parse(given).map_err(|reason| Error::InvalidValue {
                    field: if by_flag { o.flag } else { o.key },
                    value: given.to_string(),
                    reason: reason.to_string(),
                })?;
                if v != *default {
                    out.set(o, v);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each option once, with a flag, key and variable of the house's spelling, and each
    /// value's default its own parse.
    #[test]
    fn every_option_is_registered_once_and_well_named() {
        let all = options();
        let mut keys: Vec<&str> = all.iter().map(|o| o.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), all.len(), "{keys:?}");
        for o in all {
            assert_eq!(o.flag, format!("--{}", o.key.replace('_', "-")));
            assert_eq!(o.env, format!("CAMSCAN_{}", o.key.to_uppercase()));
            assert!(!o.help.ends_with('.'), "{}", o.flag);
            if let OptionKind::Value { default, parse, .. } = &o.kind {
                assert_eq!(parse(default).as_deref(), Ok(*default), "{}", o.flag);
            }
        }
    }

    #[test]
    fn the_flag_over_the_file_over_the_default() {
        let csv = option_keyed("csv_delimiter").unwrap();
        let restream = option_keyed("frigate_restream").unwrap();
        let mut file = FormatValues::default();
        file.set(csv, ";".into());
        file.set(restream, "true".into());
        let mut flags = FormatValues::default();
        flags.set(csv, "tab".into());
        let v = resolve(&flags, &file, false).unwrap();
        assert_eq!((v.value(csv), v.on(restream)), ("\t", true));
        let v = resolve(&FormatValues::default(), &file, false).unwrap();
        assert_eq!(v.value(csv), ";");
        file.set(csv, ",".into());
        file.set(restream, "false".into());
        assert_eq!(
            resolve(&FormatValues::default(), &file, false).unwrap(),
            FormatValues::default(),
            "defaults are left out"
        );
        flags.set(csv, "::".into());
        let e = resolve(&flags, &file, true).unwrap_err().to_string();
        assert!(e.contains("--csv-delimiter"), "{e}");
        let e = resolve(&FormatValues::default(), &flags, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("csv_delimiter"), "{e}");
    }
}
