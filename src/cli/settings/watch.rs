//! `camscan watch`'s own settings: its flags over the config file's `watch:` section over the
//! defaults ([`WatchConfig`]; the scan's settings are [`super::scan`]'s).

use crate::cli::WatchArgs;
use crate::config::WatchFile;
use crate::notify::SinkSpec;
use crate::watch::{DEFAULT_DOWN_AFTER, DEFAULT_OUTBOX_CAP, Schedule, WatchConfig};

impl WatchConfig {
    /// From `camscan watch`'s flags over the config file's `watch:` section over the defaults.
    pub fn resolve(a: &WatchArgs, file: &WatchFile) -> Result<WatchConfig, String> {
        let check_streams = a.check_streams.as_deref().or(file.check_streams.as_deref());
        let check_every = check_streams
            .map(|s| {
                crate::model::when::parse_age(s)
                    .map_err(|e| format!("--check-streams {s}: {e}"))
                    .and_then(|d| {
                        if d.is_zero() {
                            Err(format!("--check-streams {s}: at least 1s"))
                        } else {
                            Ok(d)
                        }
                    })
            })
            .transpose()?;
        let notify = if a.notify.is_empty() {
            file.notify.clone().unwrap_or_default()
        } else {
            a.notify.clone()
        };
        let sinks = notify
            .iter()
            .map(|s| s.parse::<SinkSpec>().map_err(|e| format!("--notify {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let down_after = a
            .down_after
            .or(file.down_after)
            .unwrap_or(DEFAULT_DOWN_AFTER);
        if down_after == 0 {
            return Err("--down-after: at least 1".into());
        }
        let outbox_cap = a
            .outbox_cap
            .or(file.outbox_cap)
            .unwrap_or(DEFAULT_OUTBOX_CAP);
        if outbox_cap < 1 {
            return Err("--outbox-cap: at least 1".into());
        }
        // The flags' schedule, else the file's (one of them gives both: that is an error).
        let (every, cron) = if a.every.is_some() || a.cron.is_some() {
            (a.every.as_deref(), a.cron.as_deref())
        } else {
            (file.every.as_deref(), file.cron.as_deref())
        };
        Ok(WatchConfig {
            schedule: Schedule::parse(every, cron)?,
            check_every,
            down_after,
            sinks,
            outbox_cap,
            rounds: a.rounds,
            listen: !a.no_listen && file.listen.unwrap_or(true),
            metrics: a
                .metrics
                .as_deref()
                .or(file.metrics.as_deref())
                .map(|m| crate::metrics::parse_bind(m).map_err(|e| format!("--metrics {m}: {e}")))
                .transpose()?,
            webhook_secret_file: a
                .webhook_secret_file
                .clone()
                .or(file.webhook_secret_file.clone()),
            ha_discovery: a.ha_discovery || file.ha_discovery.unwrap_or(false),
            write: if a.write.is_empty() {
                file.write.as_deref().unwrap_or_default()
            } else {
                &a.write[..]
            }
            .iter()
            .map(|s| s.parse().map_err(|e| format!("--write {e}")))
            .collect::<Result<_, String>>()?,
            write_then: a.write_then.clone().or(file.write_then.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::watch::DEFAULT_EVERY;

    #[test]
    fn the_example_config_gives_the_defaults_and_flags_override_it() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml");
        let file = crate::config::FileConfig::load(&path).unwrap();
        let wf = file.watch.unwrap();
        let w = WatchConfig::resolve(&WatchArgs::default(), &wf).unwrap();
        assert!(matches!(w.schedule, Schedule::Every(d) if d == DEFAULT_EVERY));
        assert_eq!(w.check_every, None);
        assert_eq!(w.down_after, DEFAULT_DOWN_AFTER);
        assert_eq!(w.sinks, [SinkSpec::default()]);
        assert_eq!(w.outbox_cap, DEFAULT_OUTBOX_CAP);
        assert!(w.listen);
        let args = WatchArgs {
            cron: Some("0 * * * *".into()),
            check_streams: Some("30s".into()),
            down_after: Some(5),
            notify: vec!["webhook=http://127.0.0.1:9/x".into()],
            ..Default::default()
        };
        let w = WatchConfig::resolve(&args, &wf).unwrap();
        assert!(matches!(w.schedule, Schedule::Cron(_)));
        assert_eq!(w.check_every, Some(Duration::from_secs(30)));
        assert_eq!(w.down_after, 5);
        assert_eq!(w.sinks, ["webhook=http://127.0.0.1:9/x".parse().unwrap()]);
    }
}
