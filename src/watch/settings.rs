//! `camscan watch`'s own settings, declared once ([`input::setting::Setting`]) and listed
//! in [`SETTINGS`], which the entrance makes watch's flags from (`cli::setting_args`). Each is
//! resolved as every setting is: its flag, else the config file's `watch:` key ([`SECTION`]),
//! else its default (`cmds::watch::watch` makes them a [`super::WatchConfig`]).
//! `--notify` and the sinks' options are declared with the sinks (`notify`).

use input::setting::{Declared, Repeat, SWITCH_OFF, Setting, count, pairs, switch, text};

/// Every setting of `camscan watch` but the scan's, the push's and the sinks', in `--help`'s
/// order: the config file's `watch:` keys ([`SECTION`]), then `--rounds`, the command line's only.
pub static SETTINGS: &[&dyn Declared] = &[
    &EVERY,
    &CRON,
    &CHECK_STREAMS,
    &DOWN_AFTER,
    &METRICS,
    &LISTEN,
    &OUTBOX_CAP,
    &WRITE,
    &WRITE_THEN,
    &ROUNDS,
];

/// The keys of the config file's `watch:` section: [`SETTINGS`] but its last, `--rounds` (a
/// one-off run's), with the sinks' ([`crate::notify::SETTINGS`]), which `serve`'s watcher reads
/// too.
pub static SECTION: &[&dyn Declared] = match SETTINGS.split_last() {
    Some((_rounds, section)) => section,
    None => &[],
};

/// `--every`: a complete scan this often ([`super::Schedule`]).
pub static EVERY: Setting<Option<String>> = Setting {
    key: "every",
    flag: "--every",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_EVERY",
    value_name: "AGE",
    help: "Run a complete scan this often (`15m`, `1h`, `1d`) [default: 15m]",
    default: None,
    choices: None,
    parse: text,
};

/// `--cron`: the scans on a cron schedule instead ([`super::Schedule`]; not with [`EVERY`]).
pub static CRON: Setting<Option<String>> = Setting {
    key: "cron",
    flag: "--cron",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_CRON",
    value_name: "EXPR",
    help: "Run scans on a cron schedule instead (`*/15 * * * *`; 5 fields, or 6 with seconds \
           first; local time)",
    default: None,
    choices: None,
    parse: text,
};

/// `--check-streams`: the stream checks between scans ([`super::stream_check`]).
pub static CHECK_STREAMS: Setting<Option<String>> = Setting {
    key: "check_streams",
    flag: "--check-streams",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_CHECK_STREAMS",
    value_name: "AGE",
    help: "Check every known stream this often between scans (`30s`); off when not given",
    default: None,
    choices: None,
    parse: text,
};

/// `--down-after`: failed checks before a stream is down ([`super::DEFAULT_DOWN_AFTER`]). No
/// variable.
pub static DOWN_AFTER: Setting<u32> = Setting {
    key: "down_after",
    flag: "--down-after",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: "N",
    help: "Failed checks in a row before a stream is down (a success brings it up) [default: 3]",
    default: super::DEFAULT_DOWN_AFTER,
    choices: None,
    parse: |t| count(t, 1),
};

/// `--metrics`: the Prometheus endpoint ([`crate::metrics`]). No variable.
pub static METRICS: Setting<Option<String>> = Setting {
    key: "metrics",
    flag: "--metrics",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: "ADDR",
    help: "Serve Prometheus metrics at http://ADDR/metrics (`127.0.0.1:9750`; another address \
           than loopback must be given explicitly)",
    default: None,
    choices: None,
    parse: text,
};

/// `--no-listen` (config `watch: listen: false`): no announcements heard between scans. No
/// variable.
pub static LISTEN: Setting<bool> = Setting {
    key: "listen",
    flag: "--no-listen",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: SWITCH_OFF,
    help: "Do not listen for WS-Discovery Hello/Bye and SSDP NOTIFY announcements between scans",
    default: true,
    choices: None,
    parse: switch,
};

/// `--outbox-cap`: events kept for a sink that is down ([`super::DEFAULT_OUTBOX_CAP`]). No
/// variable.
pub static OUTBOX_CAP: Setting<i64> = Setting {
    key: "outbox_cap",
    flag: "--outbox-cap",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: "N",
    help: "Events kept for a sink that is down; past this, its oldest are dropped (and logged) \
           [default: 10000]",
    default: super::DEFAULT_OUTBOX_CAP,
    choices: None,
    parse: |t| count(t, 1),
};

/// `--rounds`: stop after this many scans. No variable.
pub static ROUNDS: Setting<Option<u32>> = Setting {
    key: "rounds",
    flag: "--rounds",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: "N",
    help: "Stop after this many scans (one-off runs, tests); run until a signal when not given",
    default: None,
    choices: None,
    parse: |t| count(t, 0).map(Some),
};

/// `--write FORMAT=FILE`: exports kept up to date ([`super::write`]). No variable.
pub static WRITE: Setting<Vec<String>> = Setting {
    key: "write",
    flag: "--write",
    short: None,
    repeat: Repeat::Commas,
    env: "",
    value_name: "FORMAT=FILE",
    help: "Keep an export up to date: after each scan, render FORMAT (any -f format: go2rtc, \
           frigate, mediamtx, json...) from the inventory and replace FILE atomically when, and \
           only when, its content changed. Repeatable",
    default: Vec::new(),
    choices: None,
    parse: pairs,
};

/// `--write-then`: the command run after a rewrite ([`super::write`]).
pub static WRITE_THEN: Setting<Option<String>> = Setting {
    key: "write_then",
    flag: "--write-then",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_WRITE_THEN",
    value_name: "COMMAND",
    help: "Run this command after a scan that rewrote a --write file (reload Frigate, go2rtc or \
           MediaMTX); split as a shell quotes, run without a shell, the files in CAMSCAN_WRITTEN",
    default: None,
    choices: None,
    parse: text,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_watch_setting_is_spelled_from_its_key() {
        input::setting::assert_spelled_from_keys(SETTINGS, &[""]);
        assert!((OUTBOX_CAP.parse)("0").is_err() && (DOWN_AFTER.parse)("0").is_err());
        assert!((ROUNDS.parse)("x").is_err());
    }

    /// The file's section is every flag's setting but `--rounds`, in the same order.
    #[test]
    fn the_section_is_the_flags_but_rounds() {
        let keys = |l: &[&dyn Declared]| l.iter().map(|d| d.key()).collect::<Vec<_>>();
        let mut flags = keys(SETTINGS);
        flags.retain(|k| *k != ROUNDS.key);
        assert_eq!(keys(SECTION), flags);
    }
}
