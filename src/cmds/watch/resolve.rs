//! `camscan watch`'s own settings: its flags over the config file's `watch:` section over the
//! defaults ([`WatchConfig`]; the scan's settings are [`crate::cmds::scan::load_scan_job`]'s).

use std::collections::BTreeMap;

use super::WatchArgs;
use crate::notify::SinkSpec;
use crate::watch::{Schedule, WatchConfig};

/// `camscan watch`'s settings: the scan's configuration as `camscan scan` resolves it (with the
/// password asked once, `password`), and watch's own from its flags and the config file's
/// `watch:` section, with its pushes. What SIGHUP resolves again: the config file re-read, the
/// command line and the environment the process's (what was read at the door).
pub fn watch(
    args: &WatchArgs,
    process: &crate::cli::Process,
    password: Option<&str>,
) -> Result<(crate::record::ScanJob, WatchConfig), String> {
    let (cfg, file) = crate::cmds::scan::load_scan_job(&args.scan, process, password)
        .map_err(|e| e.to_string())?;
    // A bad value of the file's `watch:` section, said with its place (`watch.every: 1hr` at line
    // 3), before the section is resolved.
    for checked in [
        args.settings.resolve(&file.watch),
        args.sinks.resolve(&file.watch),
    ] {
        checked.map_err(|e| file.placed_in_watch(e).to_string())?;
    }
    let mut w = WatchConfig::resolve(args, &file.watch, &process.env)?;
    w.pushes = crate::cmds::scan::scan_pushes(&args.scan.push, &cfg, &process.env)
        .map_err(|e| e.to_string())?;
    Ok((cfg, w))
}

impl WatchConfig {
    /// From `camscan watch`'s flags over the config file's `watch:` section (`file`, text by
    /// key) over the defaults, every setting as [`input::setting::Settings::resolve`]
    /// resolves it; but the schedule, which is the flags' when they give one (`--cron` over the
    /// file's `every:` is no conflict).
    pub fn resolve(
        a: &WatchArgs,
        file: &BTreeMap<String, String>,
        env: &input::environment::Environment,
    ) -> Result<WatchConfig, String> {
        use crate::watch::settings as set;
        let values = a.settings.resolve(file).map_err(|e| e.to_string())?;
        let sink_options = a.sinks.resolve(file).map_err(|e| e.to_string())?;
        let check_every = values
            .get(&set::CHECK_STREAMS)
            .map(|s| {
                model::when::parse_age(&s)
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
        let sinks = sink_options
            .get(&crate::notify::NOTIFY)
            .iter()
            .map(|s| s.parse::<SinkSpec>().map_err(|e| format!("--notify {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        // The flags' schedule, else the file's (one of them gives both: that is an error).
        let schedule_given = |key: &str| a.settings.0.contains_key(key);
        let (every, cron) = if schedule_given(set::EVERY.key) || schedule_given(set::CRON.key) {
            let flags = a.settings.values().map_err(|e| e.to_string())?;
            (flags.get(&set::EVERY), flags.get(&set::CRON))
        } else {
            (values.get(&set::EVERY), values.get(&set::CRON))
        };
        Ok(WatchConfig {
            schedule: Schedule::parse(every.as_deref(), cron.as_deref())?,
            check_every,
            down_after: values.get(&set::DOWN_AFTER),
            sinks,
            outbox_cap: values.get(&set::OUTBOX_CAP),
            rounds: values.get(&set::ROUNDS),
            listen: values.get(&set::LISTEN),
            metrics: values
                .get(&set::METRICS)
                .map(|m| crate::metrics::parse_bind(&m).map_err(|e| format!("--metrics {m}: {e}")))
                .transpose()?,
            sink_options,
            webhook_secret_env: env.var_os(crate::notify::WEBHOOK_SECRET_ENV).map(|v| {
                use std::os::unix::ffi::OsStrExt;
                crate::watch::SecretBytes(v.as_bytes().to_vec())
            }),
            write: values
                .get(&set::WRITE)
                .iter()
                .map(|s| s.parse().map_err(|e| format!("--write {e}")))
                .collect::<Result<_, String>>()?,
            write_then: values.get(&set::WRITE_THEN),
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
        let file = crate::cli::file::load::<crate::cmds::FileKeys>(&path).unwrap();
        let wf = file.watch;
        let w = WatchConfig::resolve(&WatchArgs::default(), &wf, &Default::default()).unwrap();
        assert!(matches!(w.schedule, Schedule::Every(d) if d == DEFAULT_EVERY));
        assert_eq!(w.check_every, None);
        assert_eq!(w.down_after, crate::watch::DEFAULT_DOWN_AFTER);
        assert_eq!(w.sinks, [SinkSpec::default()]);
        assert_eq!(w.outbox_cap, crate::watch::DEFAULT_OUTBOX_CAP);
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
            sinks: crate::cli::SettingArgs::new(
                [("notify".into(), "webhook=http://127.0.0.1:9/x".into())].into(),
            ),
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

        use crate::cmds::{Cli, Command};
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
        let wf = crate::cli::file::load::<crate::cmds::FileKeys>(&config)
            .unwrap()
            .watch;
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
        assert!(o.values.get(&mqtt::HA_DISCOVERY));
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
            o.values.get(&webhook::SECRET_FILE).as_deref(),
            Some(from_flag.as_path())
        );
        assert!(o.values.get(&mqtt::HA_DISCOVERY), "the file's switch");
        let w = WatchConfig::resolve(&WatchArgs::default(), &BTreeMap::new(), &Default::default())
            .unwrap();
        let o = w.sink_options;
        assert_eq!(o.get(&webhook::SECRET_FILE), None, "none given");
        assert!(!o.get(&mqtt::HA_DISCOVERY) && o.get(&crate::notify::NOTIFY).is_empty());

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
        let (_, watcher) = crate::cmds::serve::serve(&a, &Default::default()).unwrap();
        let o = SinkOptions::new(watcher.unwrap().sink_options, None).unwrap();
        assert_eq!(o.webhook_secret.as_deref(), Some(&b"in the file"[..]));
        assert!(o.values.get(&mqtt::HA_DISCOVERY));
    }

    /// watch's declared flags reach its configuration: a schedule given twice is refused, a
    /// repeated `--write` keeps a comma in its file's name, `--down-after 0` is refused as the
    /// file's is.
    #[test]
    fn watchs_flags_are_resolved_over_the_file() {
        use clap::Parser;

        use crate::cmds::{Cli, Command};
        let resolved = |argv: &[&str]| {
            let cli = Cli::try_parse_from(["camscan", "watch"].iter().chain(argv)).unwrap();
            let Command::Watch(a) = cli.command else {
                unreachable!()
            };
            WatchConfig::resolve(&a, &BTreeMap::new(), &Default::default())
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
        assert!(e.contains("for down_after: must be at least 1"), "{e}");
        assert!(!resolved(&["--no-listen"]).unwrap().listen);
        let w = resolved(&["--notify", "webhook=http://h/a?x=1,2", "--notify", "stdout"]);
        assert_eq!(
            w.unwrap().sinks,
            [
                "webhook=http://h/a?x=1,2".parse().unwrap(),
                SinkSpec::default()
            ],
            "a comma in a sink's value"
        );
    }
}
