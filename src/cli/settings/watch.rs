//! `camscan watch`'s own settings: its flags over the config file's `watch:` section over the
//! defaults ([`WatchConfig`]; the scan's settings are [`super::scan()`]'s).

use crate::cli::WatchArgs;
use crate::cli::config::WatchFile;
use crate::notify::SinkSpec;
use crate::watch::{DEFAULT_DOWN_AFTER, DEFAULT_OUTBOX_CAP, Schedule, WatchConfig};

/// `camscan watch`'s settings: the scan's configuration as `camscan scan` resolves it (with the
/// password asked once, `password`), and watch's own from its flags and the config file's
/// `watch:` section, with its pushes. What SIGHUP resolves again: the config file re-read, the
/// command line and the environment the process's (what was read at the door).
pub fn watch(
    args: &WatchArgs,
    process: &crate::cli::settings::Process,
    password: Option<&str>,
) -> Result<(crate::scan::ScanConfig, WatchConfig), String> {
    let (cfg, file) =
        super::scan::load_scan_config(&args.scan, process, password).map_err(|e| e.to_string())?;
    let mut w = WatchConfig::resolve(args, &file.watch.clone().unwrap_or_default(), &process.env)?;
    w.pushes =
        super::push::scan_pushes(&args.scan.push, &cfg, &process.env).map_err(|e| e.to_string())?;
    Ok((cfg, w))
}

impl WatchConfig {
    /// From `camscan watch`'s flags over the config file's `watch:` section over the defaults.
    pub fn resolve(
        a: &WatchArgs,
        file: &WatchFile,
        env: &crate::model::environment::Environment,
    ) -> Result<WatchConfig, String> {
        use crate::watch::settings as set;
        let given = a.settings.values().map_err(|e| e.to_string())?;
        let flag_streams = given.get(&set::CHECK_STREAMS);
        let check_streams = flag_streams.as_deref().or(file.check_streams.as_deref());
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
        let down_after = given
            .get(&set::DOWN_AFTER)
            .or(file.down_after)
            .unwrap_or(DEFAULT_DOWN_AFTER);
        if down_after == 0 {
            return Err("--down-after: at least 1".into());
        }
        let outbox_cap = given
            .get(&set::OUTBOX_CAP)
            .or(file.outbox_cap)
            .unwrap_or(DEFAULT_OUTBOX_CAP);
        if outbox_cap < 1 {
            return Err("--outbox-cap: at least 1".into());
        }
        // The flags' schedule, else the file's (one of them gives both: that is an error).
        let (flag_every, flag_cron) = (given.get(&set::EVERY), given.get(&set::CRON));
        let (every, cron) = if flag_every.is_some() || flag_cron.is_some() {
            (flag_every.as_deref(), flag_cron.as_deref())
        } else {
            (file.every.as_deref(), file.cron.as_deref())
        };
        let flag_write = given.get(&set::WRITE);
        Ok(WatchConfig {
            schedule: Schedule::parse(every, cron)?,
            check_every,
            down_after,
            sinks,
            outbox_cap,
            rounds: given.get(&set::ROUNDS),
            listen: !given.get(&set::NO_LISTEN) && file.listen.unwrap_or(true),
            metrics: given
                .get(&set::METRICS)
                .as_deref()
                .or(file.metrics.as_deref())
                .map(|m| crate::metrics::parse_bind(m).map_err(|e| format!("--metrics {m}: {e}")))
                .transpose()?,
            sink_options: a.sink_options.resolve(&file.sink_options),
            webhook_secret_env: env.var_os(crate::notify::WEBHOOK_SECRET_ENV).map(|v| {
                use std::os::unix::ffi::OsStrExt;
                crate::watch::SecretBytes(v.as_bytes().to_vec())
            }),
            write: if flag_write.is_empty() {
                file.write.as_deref().unwrap_or_default()
            } else {
                &flag_write[..]
            }
            .iter()
            .map(|s| s.parse().map_err(|e| format!("--write {e}")))
            .collect::<Result<_, String>>()?,
            write_then: given.get(&set::WRITE_THEN).or(file.write_then.clone()),
            pushes: Vec::new(),
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
        let file = crate::cli::settings::file::load(&path).unwrap();
        let wf = file.watch.unwrap();
        let w = WatchConfig::resolve(&WatchArgs::default(), &wf, &Default::default()).unwrap();
        assert!(matches!(w.schedule, Schedule::Every(d) if d == DEFAULT_EVERY));
        assert_eq!(w.check_every, None);
        assert_eq!(w.down_after, DEFAULT_DOWN_AFTER);
        assert_eq!(w.sinks, [SinkSpec::default()]);
        assert_eq!(w.outbox_cap, DEFAULT_OUTBOX_CAP);
        assert!(w.listen);
        let args = WatchArgs {
            settings: crate::cli::SettingArgs::new(
                [
                    ("cron".into(), "0 * * * *".into()),
                    ("check_streams".into(), "30s".into()),
                    ("down_after".into(), "5".into()),
                ]
                .into(),
            ),
            notify: vec!["webhook=http://127.0.0.1:9/x".into()],
            ..Default::default()
        };
        let w = WatchConfig::resolve(&args, &wf, &Default::default()).unwrap();
        assert!(matches!(w.schedule, Schedule::Cron(_)));
        assert_eq!(w.check_every, Some(Duration::from_secs(30)));
        assert_eq!(w.down_after, 5);
        assert_eq!(w.sinks, ["webhook=http://127.0.0.1:9/x".parse().unwrap()]);
    }

    /// `--webhook-secret-file` and `--ha-discovery` over the `watch:` section's keys reach the
    /// sinks' options (the secret read from the file), for `watch` and `serve`'s watcher.
    #[test]
    fn the_sink_options_from_the_flags_else_the_watch_section_reach_the_sinks() {
        use clap::Parser;

        use crate::cli::{Cli, Command};
        use crate::notify::{SinkOptions, mqtt, webhook};

        let dir = tempfile::tempdir().unwrap();
        let (from_file, from_flag) = (dir.path().join("file.secret"), dir.path().join("flag"));
        std::fs::write(&from_file, "in the file\n").unwrap();
        std::fs::write(&from_flag, "on the line\n").unwrap();
        let config = dir.path().join("c.yaml");
        std::fs::write(
            &config,
            format!(
                "watch:\n  every: 1h\n  webhook_secret_file: {}\n  ha_discovery: true\n",
                from_file.display()
            ),
        )
        .unwrap();
        let wf = crate::cli::settings::file::load(&config)
            .unwrap()
            .watch
            .unwrap();
        let options = |a: &WatchArgs| {
            SinkOptions::new(
                WatchConfig::resolve(a, &wf, &Default::default())
                    .unwrap()
                    .sink_options,
                None,
            )
            .unwrap()
        };
        let o = options(&WatchArgs::default());
        assert_eq!(o.webhook_secret.as_deref(), Some(&b"in the file"[..]));
        assert!(o.values.on(&mqtt::HA_DISCOVERY_OPTION));
        let argv = ["camscan", "watch", "--webhook-secret-file"];
        let Command::Watch(a) =
            Cli::try_parse_from(argv.iter().copied().chain([from_flag.to_str().unwrap()]))
                .unwrap()
                .command
        else {
            unreachable!()
        };
        let o = options(&a);
        assert_eq!(o.webhook_secret.as_deref(), Some(&b"on the line"[..]));
        assert_eq!(
            o.values.path(&webhook::SECRET_FILE_OPTION),
            Some(from_flag.as_path())
        );
        assert!(o.values.on(&mqtt::HA_DISCOVERY_OPTION), "the file's switch");
        let w = WatchConfig::resolve(
            &WatchArgs::default(),
            &WatchFile::default(),
            &Default::default(),
        )
        .unwrap();
        assert_eq!(w.sink_options, Default::default(), "none given");

        let db = dir.path().join("i.db");
        let serve = Cli::try_parse_from([
            "camscan",
            "serve",
            "--config",
            config.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ])
        .unwrap();
        let Command::Serve(a) = serve.command else {
            unreachable!()
        };
        let (_, watcher) = crate::cli::settings::serve(&a, &Default::default()).unwrap();
        let o = SinkOptions::new(watcher.unwrap().sink_options, None).unwrap();
        assert_eq!(o.webhook_secret.as_deref(), Some(&b"in the file"[..]));
        assert!(o.values.on(&mqtt::HA_DISCOVERY_OPTION));
    }

    /// watch's declared flags reach its configuration: a schedule given twice is refused, a
    /// repeated `--write` keeps a comma in its file's name, `--down-after 0` is refused as the
    /// file's is.
    #[test]
    fn watchs_flags_are_resolved_over_the_file() {
        use clap::Parser;

        use crate::cli::{Cli, Command};
        let resolved = |argv: &[&str]| {
            let cli = Cli::try_parse_from(["camscan", "watch"].iter().chain(argv)).unwrap();
            let Command::Watch(a) = cli.command else {
                unreachable!()
            };
            WatchConfig::resolve(&a, &WatchFile::default(), &Default::default())
        };
        let e = resolved(&["--every", "1m", "--cron", "* * * * *"]).unwrap_err();
        assert!(e.contains("give one"), "{e}");
        let argv = [
            "--write",
            "json=/x/a,b.json",
            "--write",
            "csv=/x/c.csv",
            "--rounds",
            "2",
        ];
        let w = resolved(&argv).unwrap();
        let files: Vec<_> = w
            .write
            .iter()
            .map(|s| s.path.display().to_string())
            .collect();
        assert_eq!(files, ["/x/a,b.json", "/x/c.csv"]);
        assert_eq!(w.rounds, Some(2));
        let e = resolved(&["--down-after", "0"]).unwrap_err();
        assert!(e.contains("--down-after: at least 1"), "{e}");
        assert!(!resolved(&["--no-listen"]).unwrap().listen);
    }
}
