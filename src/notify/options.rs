//! `watch`'s notification settings, declared once ([`input::setting::Setting`]): where
//! events go ([`NOTIFY`]) and each sink's own options (`--webhook-secret-file`,
//! `--ha-discovery`), declared beside their sink and listed by its registration
//! ([`super::SinkDef::options`]). [`SETTINGS`] lists them all, for `watch`'s flags and the config
//! file's `watch:` keys (which `serve`'s watcher reads too, and `camscan doctor` knows); a test
//! holds it to the registrations. A sink reads its options' resolved values from
//! [`super::SinkOptions::values`].
//!
//! Precedence is every setting's: the flag, else the config file's `watch:` key, else the
//! default (off, or not given).

use input::setting::{Declared, Repeat, Setting, lines};

use super::{mqtt, webhook};

/// `watch`'s notification settings: `--notify`, then every sink's own options, in the order of
/// [`super::SINKS`] and of each sink's list.
pub static SETTINGS: &[&dyn Declared] = &[&NOTIFY, &webhook::SECRET_FILE, &mqtt::HA_DISCOVERY];

/// `--notify` (config `watch: notify:`): the sinks events go to, each `NAME` or `NAME=VALUE` as
/// a sink's registration spells it; none given: `stdout`. A value may hold commas (a URL's
/// query), so the flag's values are kept apart by line ([`Repeat::Lines`]). Its help names every
/// sink's form (a test holds it to [`super::sink_list`]).
pub static NOTIFY: Setting<Vec<String>> = Setting {
    key: "notify",
    flag: "--notify",
    short: None,
    repeat: Repeat::Lines,
    env: "",
    value_name: "SINK",
    // The sinks are written out from their registrations (`notify::expand_help`).
    help: "Where events go: {sinks, described}. Repeatable",
    default: Vec::new(),
    choices: None,
    parse: lines,
};

/// The sinks' own options: each once, as their registrations list them.
pub fn sink_options() -> Vec<&'static dyn Declared> {
    let mut out: Vec<&'static dyn Declared> = Vec::new();
    for def in super::SINKS {
        for o in def.options {
            if !out.iter().any(|seen| seen.key() == o.key()) {
                out.push(*o);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list is `--notify` and the registrations' options, each once, in their order; each
    /// spelled from its key, with no variable (the webhook secret's is its own,
    /// `CAMSCAN_WEBHOOK_SECRET`, read by the entrance).
    #[test]
    fn the_list_is_notify_and_the_registrations_options() {
        let keys: Vec<&str> = SETTINGS.iter().map(|d| d.key()).collect();
        let mut want = vec!["notify"];
        want.extend(sink_options().iter().map(|d| d.key()));
        assert_eq!(keys, want);
        input::setting::assert_spelled_from_keys(SETTINGS, &[""]);
        assert!(SETTINGS.iter().all(|d| d.env().is_empty()));
    }

    /// `--notify`'s help names every sink's form and what it does, written out from the
    /// registrations.
    #[test]
    fn the_notify_help_names_every_sink() {
        let help = super::super::expand_help(NOTIFY.help);
        for def in super::super::SINKS {
            assert!(
                help.contains(&format!("`{}` ({})", def.syntax, def.help)),
                "{help}"
            );
        }
        assert_eq!(
            help,
            "Where events go: `stdout` (NDJSON, the default), `webhook=URL` (an HTTP(S) POST of \
             each event's JSON), `exec=COMMAND` (run per event, its JSON on stdin), \
             `mqtt=mqtt://HOST[:PORT]/TOPIC` (MQTT 3.1.1 publishes and retained states). Repeatable"
        );
    }

    #[test]
    fn a_sink_value_keeps_its_commas() {
        assert_eq!(
            (NOTIFY.parse)("webhook=http://h/a?x=1,2\nstdout\n"),
            Ok(vec![
                "webhook=http://h/a?x=1,2".to_string(),
                "stdout".into()
            ])
        );
    }
}
