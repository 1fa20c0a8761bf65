//! A notification sink's own options (`--webhook-secret-file`, `--ha-discovery`): each is
//! declared once, as a [`SinkOption`] beside its sink, and listed by its sink's registration
//! ([`super::SinkDef::options`]). Everything else reads the registration: `watch`'s flags, the
//! config file's `watch:` keys (which `serve`'s watcher reads too, and `camscan doctor` knows),
//! and the values a sink is made with ([`SinkValues`], carried by [`super::SinkOptions`]).
//!
//! Precedence is `watch`'s: the flag, else the config file's `watch:` key, else off (a switch)
//! or not given (a value) ([`resolve`]).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::Path;

use super::SINKS;

/// One option of one or more sinks.
#[derive(Debug)]
pub struct SinkOption {
    /// Its flag, as typed (`--webhook-secret-file`).
    pub flag: &'static str,
    /// Its key in the config file's `watch:` section (`webhook_secret_file`); also the name its
    /// values go by in [`SinkValues`].
    pub key: &'static str,
    /// The environment variable that sets it, if any (`CAMSCAN_*`).
    pub env: Option<&'static str>,
    /// Its line in `--help` (clap style: no final period).
    pub help: &'static str,
    /// A switch, or a value.
    pub kind: SinkOptionKind,
}

/// What a sink option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkOptionKind {
    /// On or off (off by default): a flag without a value, `true`/`false` in the config file.
    Switch,
    /// A value (a path, as any other byte string the flag takes), text in the config file; not
    /// given by default. The sink checks it when it is made.
    Value {
        /// The flag's value in `--help` (`FILE`).
        value_name: &'static str,
    },
}

impl SinkOption {
    /// The flag without its dashes (`ha-discovery`), as clap's `long` takes it.
    pub fn long(&self) -> &'static str {
        self.flag.trim_start_matches('-')
    }

    /// A switch (no value).
    pub fn is_switch(&self) -> bool {
        matches!(self.kind, SinkOptionKind::Switch)
    }
}

/// Every sink option, each once, in the order of [`SINKS`] and of each sink's list.
pub fn options() -> Vec<&'static SinkOption> {
    let mut out: Vec<&'static SinkOption> = Vec::new();
    for def in SINKS {
        for o in def.options {
            out.retain(|seen| seen.key != o.key);
            out.push(o);
        }
    }
    out
}

/// The registered option whose `watch:` key is `key`.
pub fn option_keyed(key: &str) -> Option<&'static SinkOption> {
    options().into_iter().find(|o| o.key == key)
}

/// Sink options' values by key: as given (a flag's, a config file's), or resolved (a switch
/// present only when on).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkValues(BTreeMap<&'static str, OsString>);

impl SinkValues {
    /// `option` given as `value` (a switch: `true` or `false`).
    pub fn set(&mut self, option: &'static SinkOption, value: impl Into<OsString>) {
        self.0.insert(option.key, value.into());
    }

    /// What was given for `option`.
    pub fn given(&self, option: &SinkOption) -> Option<&OsStr> {
        self.0.get(option.key).map(OsString::as_os_str)
    }

    /// Whether the switch `option` is on.
    pub fn on(&self, option: &SinkOption) -> bool {
        self.given(option) == Some(OsStr::new("true"))
    }

    /// The value of `option` as a path, when given.
    pub fn path(&self, option: &SinkOption) -> Option<&Path> {
        self.given(option).map(Path::new)
    }
}

/// The options' values: each flag's (`flags`), else the config file's `watch:` key's (`file`);
/// a switch is on when either turns it on, and left out when off.
pub fn resolve(flags: &SinkValues, file: &SinkValues) -> SinkValues {
    let mut out = SinkValues::default();
    for o in options() {
        match o.kind {
            SinkOptionKind::Switch => {
                if flags.on(o) || file.on(o) {
                    out.set(o, "true");
                }
            }
            SinkOptionKind::Value { .. } => {
                if let Some(v) = flags.given(o).or(file.given(o)) {
                    out.set(o, v);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each option once, listed by a sink, with a flag and a `watch:` key of the house's
    /// spelling, a help line, and a variable (if any) named after its key.
    #[test]
    fn every_sink_option_is_registered_once_and_well_named() {
        let all = options();
        assert!(!all.is_empty());
        let mut keys: Vec<&str> = all.iter().map(|o| o.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), all.len(), "{keys:?}");
        for o in all {
            assert!(!o.key.is_empty(), "{}", o.flag);
            assert_eq!(o.flag, format!("--{}", o.key.replace('_', "-")));
            assert!(!o.help.is_empty() && !o.help.ends_with('.'), "{}", o.flag);
            if let Some(env) = o.env {
                assert_eq!(env, format!("CAMSCAN_{}", o.key.to_uppercase()));
            }
            assert!(
                SINKS
                    .iter()
                    .any(|d| d.options.iter().any(|x| x.key == o.key)),
                "{}",
                o.flag
            );
        }
        for key in ["webhook_secret_file", "ha_discovery"] {
            assert!(option_keyed(key).is_some(), "{key}");
        }
    }

    #[test]
    fn the_flag_over_the_file_and_a_switch_on_from_either() {
        let file_opt = option_keyed("webhook_secret_file").unwrap();
        let ha = option_keyed("ha_discovery").unwrap();
        let mut file = SinkValues::default();
        file.set(file_opt, "/etc/camscan/file.secret");
        file.set(ha, "true");
        let mut flags = SinkValues::default();
        flags.set(file_opt, "flag.secret");
        let v = resolve(&flags, &file);
        assert_eq!(v.path(file_opt), Some(Path::new("flag.secret")));
        assert!(v.on(ha));
        let v = resolve(&SinkValues::default(), &file);
        assert_eq!(
            v.path(file_opt),
            Some(Path::new("/etc/camscan/file.secret"))
        );
        file.set(ha, "false");
        flags.set(ha, "true");
        assert!(resolve(&flags, &file).on(ha));
        assert_eq!(
            resolve(&SinkValues::default(), &SinkValues::default()),
            SinkValues::default(),
            "nothing given: nothing set"
        );
        let mut off = SinkValues::default();
        off.set(ha, "false");
        assert_eq!(
            resolve(&off, &off),
            SinkValues::default(),
            "off is left out"
        );
    }
}
