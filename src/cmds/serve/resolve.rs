//! `camscan serve`'s settings: the inventory served, the listener and its guard, what API scans
//! run with (the config file's scan settings, as `camscan scan --config` reads them, recorded at
//! the served inventory's site) and the watcher in this process; one read of the config file.

use super::ServeArgs;
use crate::cli::Process;
use crate::cmds::config_file;
use crate::cmds::scan::{FindArgs, ScanArgs, ScanOutputArgs, ScanSettingArgs, resolve_scan_job};
use crate::cmds::watch::WatchArgs;
use crate::record::CommandError;
use crate::serve::{self, Settings};
use crate::watch::WatchConfig;
use store::Inventory;

/// `camscan serve`'s settings, and its watcher's (`None`: no schedule).
pub fn serve(
    args: &ServeArgs,
    process: &Process,
) -> Result<(Settings, Option<WatchConfig>), CommandError> {
    let file = config_file(args.store.config.path()?.as_deref())?;
    let inventory = crate::cmds::inventory::resolve(&args.store, &file, &process.env)?;
    let given = args.settings.values()?;
    let watcher = args.watcher.values()?;
    use crate::watch::settings as watch;
    let (every, cron) = (watcher.get(&watch::EVERY), watcher.get(&watch::CRON));
    let (tls_cert, tls_key) = (given.get(&serve::TLS_CERT), given.get(&serve::TLS_KEY));
    // What a declaration cannot say yet (CONTRIBUTING, "A setting"): which flags go together.
    if every.is_some() && cron.is_some() {
        return Err(CommandError::Usage(
            "the argument '--every <AGE>' cannot be used with '--cron <EXPR>'".into(),
        ));
    }
    if tls_cert.is_some() != tls_key.is_some() {
        return Err(CommandError::Usage(
            "--tls-cert and --tls-key go together: give both, or neither".into(),
        ));
    }
    // The scan's own flags that serve has, over the file: where scans are recorded (the served
    // inventory, at its site), `--credentials` and the fleet's hub.
    // Serve's text for each, as given, under the scan's key: one parser reads it, as for `scan`.
    let text = |serve_key: &str, scan_key: &str| {
        args.settings
            .0
            .get(serve_key)
            .map(|v| (scan_key.to_string(), v.clone()))
    };
    let scan_given = [text("credentials_file", "credentials_file")];
    let own = [
        text("hub", "hub"),
        text("hub_password_file", "hub_password_file"),
    ];
    let scan_args = ScanArgs {
        find: FindArgs {
            settings: ScanSettingArgs::new(scan_given.into_iter().flatten().collect()),
            own: crate::cli::SettingArgs::new(own.into_iter().flatten().collect()),
            store: args.store.clone(),
            ..FindArgs::default()
        },
        out: ScanOutputArgs {
            format_options: args.format_options.clone(),
            ..ScanOutputArgs::default()
        },
        push: Default::default(),
    };
    // Its inventory is `inventory`: the same flags and file, resolved by the same rules.
    let scan = resolve_scan_job(&scan_args, &file, process)?;
    let check_streams = watcher.get(&watch::CHECK_STREAMS);
    let in_file = |s: &input::setting::Setting<Option<String>>| file.watch.contains_key(s.key);
    let watching = every.is_some()
        || cron.is_some()
        || check_streams.is_some()
        || in_file(&watch::EVERY)
        || in_file(&watch::CRON)
        || in_file(&watch::CHECK_STREAMS);
    let watch = if watching {
        // Serve's three over the file's `watch:`, as watch's own flags would be.
        let texts = [
            (watch::EVERY.key, every),
            (watch::CRON.key, cron),
            (watch::CHECK_STREAMS.key, check_streams),
        ];
        let wa = WatchArgs {
            settings: crate::cli::SettingArgs::new(
                texts
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.to_string(), v?)))
                    .collect(),
            ),
            ..WatchArgs::default()
        };
        Some(WatchConfig::resolve(&wa, &file.watch, &process.env).map_err(CommandError::Usage)?)
    } else {
        None
    };
    let pushes = crate::cmds::scan::pushes_of(
        &watcher.get(&crate::push::settings::SCAN_PUSH),
        &args.push_options,
        &scan,
        &process.env,
    )?;
    let settings = Settings {
        inventory,
        listen: given.get(&serve::LISTEN),
        auth: given.get(&serve::AUTH),
        tls_cert,
        tls_key,
        no_preview: given.get(&serve::NO_PREVIEW),
        scan,
        allow_targets: given.get(&serve::ALLOW_TARGETS),
        scan_credentials: given.get(&serve::SCAN_CREDENTIALS),
        pushes,
    };
    Ok((settings, watch))
}

/// The inventory whose server's token `camscan serve --print-token` prints.
pub fn serve_inventory(args: &ServeArgs, process: &Process) -> Result<Inventory, CommandError> {
    crate::cmds::inventory::resolve(
        &args.store,
        &config_file(args.store.config.path()?.as_deref())?,
        &process.env,
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cmds::{Cli, Command};
    use crate::record::CommandError;

    fn resolved(argv: &[&str]) -> Result<crate::serve::Settings, CommandError> {
        let db = ["camscan", "serve", "--db", "/nonexistent/camscan-test.db"];
        let cli = Cli::try_parse_from(db.iter().chain(argv)).unwrap();
        let Command::Serve(args) = cli.command else {
            unreachable!()
        };
        super::serve(&args, &Default::default()).map(|(s, _)| s)
    }

    /// Serve's `--every`, `--cron`, `--check-streams` and `--push` are watch's and the push's
    /// declarations, each with serve's help line; the watch's variables are not serve's
    /// (`CAMSCAN_EVERY` starts no watcher in serve), the push's is.
    #[test]
    fn the_watchers_flags_are_watchs_declarations_with_serves_help() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        let serve = cmd.find_subcommand("serve").unwrap();
        let watch = cmd.find_subcommand("watch").unwrap();
        let arg = |c: &clap::Command, id: &str| {
            let a = c.get_arguments().find(|a| a.get_id() == id).unwrap();
            let env = a.get_env().map(|e| e.to_string_lossy().into_owned());
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            (env, help, a.get_value_names().map(|v| v[0].to_string()))
        };
        for (key, line) in [
            ("every", crate::serve::EVERY_HELP),
            ("cron", crate::serve::CRON_HELP),
            ("check_streams", crate::serve::CHECK_STREAMS_HELP),
        ] {
            let (env, help, value) = arg(serve, key);
            assert_eq!((env, help.as_str()), (None, line), "serve --{key}");
            let (watch_env, _, watch_value) = arg(watch, key);
            assert!(watch_env.is_some(), "watch --{key} keeps its variable");
            assert_eq!(value, watch_value, "{key}: one declaration");
        }
        let (env, help, _) = arg(serve, "push");
        assert_eq!(env.as_deref(), Some("CAMSCAN_PUSH"));
        assert!(help.starts_with("Offer the page's"), "{help}");
        let s = resolved(&["--push", "go2rtc=http://127.0.0.1:1984"]).unwrap();
        assert_eq!(s.pushes.len(), 1);
    }

    /// What clap checked before serve's flags were declared settings, its resolution checks:
    /// `--every` not with `--cron`, `--tls-cert` and `--tls-key` together; both usage errors.
    #[test]
    fn flags_that_go_together_are_checked_when_resolved() {
        for argv in [
            &["--every", "1m", "--cron", "* * * * *"][..],
            &["--tls-cert", "c.pem"],
            &["--tls-key", "k.pem"],
        ] {
            match resolved(argv) {
                Err(CommandError::Usage(why)) => assert!(why.contains("--"), "{why}"),
                other => panic!("{argv:?}: {:?}", other.map(|_| ())),
            }
        }
        let s = resolved(&[
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--listen",
            "[::1]:9",
        ])
        .unwrap();
        assert_eq!(s.tls_key.as_deref(), Some(std::path::Path::new("k.pem")));
        assert_eq!(s.listen, "[::1]:9".parse().unwrap());
        let s = resolved(&["--scan-credentials", "a=/x,y", "--scan-credentials", "b=/z"]).unwrap();
        assert_eq!(
            s.scan_credentials,
            ["a=/x,y", "b=/z"],
            "repeated, a comma kept"
        );
        assert_eq!(resolved(&[]).unwrap().listen, crate::serve::LISTEN.default);
        match resolved(&["--listen", "localhost"]) {
            Err(CommandError::Run(e)) => assert!(e.to_string().contains("listen"), "{e}"),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
}
