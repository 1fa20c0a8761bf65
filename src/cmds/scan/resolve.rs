//! `camscan scan`'s settings (and every command that scans: `watch`, `serve`, `audit`): its
//! flags and their `CAMSCAN_*` variables ([`ScanArgs`], which clap merges), the config file read
//! once by the command, and the defaults, resolved into one validated [`ScanJob`] (the scan's
//! [`ScanConfig`], its report's printing, its recording), as ripgrep turns low-level arguments
//! into high-level ones. Precedence: flags > env > YAML config file > defaults. The typed
//! settings are [`crate::scan::config`]'s and [`crate::record::ScanJob`]'s, the file's shape
//! [`crate::cli::file`]'s; only this layer
//! reads the command line, so the resolution is the door's functions ([`load_scan_job`],
//! [`resolve_scan_job`]), not methods of the type it makes.

use super::{FindArgs, ScanArgs, ScanPushArgs};
use crate::cli::file::{FileValues, read};
use crate::cli::{Process, invalid};
use crate::record::CommandError;
use crate::record::{ScanJob, default_site};
use crate::scan::ScanConfig;
use crate::scan::output::ReportOutput;
use credentials::{self, Credential};
use error::Error;
use input::environment::Environment;
use store::{HubConfig, InventoryAt};

/// The password for `--username`: CAMSCAN_PASSWORD, else a prompt when stdin is a terminal
/// (never argv); `None` without `--username`.
pub fn password_for(args: &ScanArgs, env: &Environment) -> Option<String> {
    let user = args.find.own.values().ok()?.get(&credentials::USERNAME)?;
    if let Some(p) = env.var("CAMSCAN_PASSWORD") {
        return Some(p.to_string());
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return rpassword::prompt_password(format!("camscan: password for {user}: ")).ok();
    }
    None
}

/// `camscan scan`'s settings, resolved once at the door: the scan's configuration (its config
/// file read, the password for `--username` asked, `-v`'s detailed table) and the pushes that
/// `--push` makes after it.
pub struct ScanCommand {
    pub cfg: ScanJob,
    pub pushes: Vec<crate::push::Settings>,
}

/// [`ScanCommand`] of `args` under the global flags of `cli`.
pub fn resolve(args: &ScanArgs, cli: &crate::cmds::Cli) -> Result<ScanCommand, CommandError> {
    let process = cli.process();
    let password = password_for(args, &process.env);
    let (mut cfg, _file) = load_scan_job(args, &process, password.as_deref())?;
    // -v also asks for the detailed table (one row per stream).
    cfg.report.detail = cli.verbose() > 0;
    let pushes = scan_pushes(&args.push, &cfg, &process.env)?;
    Ok(ScanCommand { cfg, pushes })
}

/// `--push TOOL=URL`'s settings of a command that scans (`scan`, `watch`), resolved with the
/// scan's own (its credentials, its format options) before anything is sent.
pub fn scan_pushes(
    args: &ScanPushArgs,
    cfg: &ScanJob,
    env: &Environment,
) -> Result<Vec<crate::push::Settings>, crate::record::CommandError> {
    let specs = args.push.values()?.get(&crate::push::settings::SCAN_PUSH);
    pushes_of(&specs, &args.options, cfg, env)
}

/// Each `TOOL=URL` of `specs` (`--push` of a command that scans: `scan`, `watch`, `serve`'s
/// scheduled scans) resolved with the scan's credentials and format options.
pub fn pushes_of(
    specs: &[String],
    options: &crate::cmds::push::PushOptionArgs,
    cfg: &ScanJob,
    env: &Environment,
) -> Result<Vec<crate::push::Settings>, crate::record::CommandError> {
    use crate::record::CommandError;
    specs
        .iter()
        .map(|spec| {
            let target = crate::push::Target::parse(spec).map_err(CommandError::Usage)?;
            Ok(crate::cmds::push::push(
                target,
                options,
                cfg.scan.credentials.clone(),
                &cfg.report.format_options,
                false,
                env,
            )?)
        })
        .collect()
}

/// Merge flags/env (`args`), the config file and the defaults; read targets files; validate values.
/// `process`: the global `--color` and the environment.
pub fn resolve_scan_job(
    args: &ScanArgs,
    file: &FileValues,
    process: &Process,
) -> Result<ScanJob, Error> {
    resolve_scan_job_with_password(args, file, process, None)
}

/// [`resolve_scan_job`] with the password for `--username` (from CAMSCAN_PASSWORD or a
/// prompt, which the caller handles). Each group of settings is one step below.
pub fn resolve_scan_job_with_password(
    args: &ScanArgs,
    file: &FileValues,
    process: &Process,
    password: Option<&str>,
) -> Result<ScanJob, Error> {
    let env = &process.env;
    let (out, args) = (&args.out, &args.find);
    let store = args.store.given()?;
    let settings = input::setting::Settings::resolve(
        crate::scan::settings::SCAN,
        &args.settings.0,
        &file.settings,
    )
    .map_err(|(key, value, why)| invalid(key, &value, &why))?;
    let targets = targets(args, file, &settings)?;
    let ports = ports(&settings);
    let own = args.own.resolve(&file.settings)?;
    let report = out.settings.resolve(&file.settings)?;
    let credentials = credentials(
        file,
        &settings,
        own.get(&credentials::USERNAME).as_deref(),
        password,
    )?;
    let hints = hints(file, &settings)?;
    let hub = own.get(&store::settings::HUB);
    let scan = ScanConfig {
        targets,
        ports,
        settings,
        credentials,
        hints,
        container_markers: env.var(net::host::MARKERS_ENV).map(net::host::markers_from),
    };
    let d = ReportOutput::default();
    let report = ReportOutput {
        format: report.get(&crate::scan::output::FORMAT),
        format_options: out.format_options.resolve(&file.settings)?,
        detail: d.detail,
        output: report.get(&export::OUTPUT),
        width: out
            .table
            .settings
            .resolve(&file.settings)?
            .get(&table_writer::WIDTH)
            .or(env.columns()),
        color: (process
            .color
            .or(file.get(&crate::cli::COLOR)?)
            .unwrap_or(d.color))
        .in_env(env),
    };
    let db = if own.get(&store::settings::NO_DB) {
        None
    } else {
        let given = (
            store.db.as_deref(),
            store.db_password_file.as_ref(),
            store.credential_key.as_ref(),
        );
        crate::cmds::inventory::find(given, file, env)?
    };
    let site = match store.site.clone() {
        Some(site) => site,
        None => file
            .get(&store::settings::SITE)?
            .unwrap_or_else(default_site),
    };
    let hub = hub.map(|at| HubConfig {
        at: InventoryAt::new(at),
        password_file: own.get(&store::settings::HUB_PASSWORD_FILE),
        site: site.clone(),
        env: env.clone(),
    });
    if let (Some(_), Some(db)) = (&hub, &db)
        && let Some((value, reason)) = store::db::location::no_agent(db.at.as_path())
    {
        let (field, reason) = ("db", reason.into());
        return Err(Error::InvalidValue {
            field,
            value,
            reason,
        });
    }
    Ok(ScanJob {
        scan,
        report,
        db,
        site,
        hub,
        unrecorded_ports: Vec::new(),
        signatures: own.get(&knowledge::listing::SIGNATURES),
        knowledge_dir: knowledge::user_dir(env),
    })
}

/// The whole scan configuration of a command line: its `--config` file read (or none), merged
/// with the flags as [`resolve_scan_job_with_password`] does. Every command that scans
/// (`scan`, `watch` and its reload, `serve`'s scans) resolves it here; the file comes back
/// for the command's own section (`watch:`).
pub fn load_scan_job(
    args: &ScanArgs,
    process: &Process,
    password: Option<&str>,
) -> Result<(ScanJob, FileValues), Error> {
    let file = args
        .find
        .store
        .config
        .path()?
        .as_deref()
        .map(crate::cli::file::load::<crate::cmds::FileKeys>)
        .transpose()?
        .unwrap_or_default();
    let cfg = resolve_scan_job_with_password(args, &file, process, password)
        .map_err(|e| file.placed(e))?;
    Ok((cfg, file))
}

/// The targets (flags, else the file; the targets file's lines added), blank entries dropped.
fn targets(
    args: &FindArgs,
    file: &FileValues,
    settings: &input::setting::Settings,
) -> Result<Vec<String>, Error> {
    let mut given = Vec::new();
    let mut targets = if !args.targets.is_empty() {
        given.push("the command line's targets");
        args.targets.clone()
    } else if let t = file.get(&crate::discovery::targets::TARGETS)?
        && !t.is_empty()
    {
        // `targets: []` is the file saying "none": the attached subnets, as with no key.
        given.push("the config file's targets");
        t
    } else {
        Vec::new()
    };
    if let Some(tf) = settings.get(&crate::discovery::targets::TARGETS_FILE) {
        given.push("the targets file");
        targets.extend(crate::discovery::targets::parse_targets_file(&read(&tf)?));
    }
    targets.retain(|t| !t.trim().is_empty());
    if targets.is_empty() && !given.is_empty() {
        return Err(Error::EmptyTargets {
            given: given.join(" and "),
        });
    }
    Ok(targets)
}

/// The TCP ports to probe: `--ports`, the STUN ports added once each.
fn ports(settings: &input::setting::Settings) -> Vec<u16> {
    let mut ports = settings.get(&crate::probe::PORTS).into_owned();
    for p in settings.get(&analyze::webrtc::STUN_PORTS) {
        if !ports.contains(&p) {
            ports.push(p);
        }
    }
    ports
}

/// The credentials to try, in order: the file's `credentials:` entries, the credentials file's,
/// then `--username` with its password; lines scoped to fewer addresses before the others
/// ([`credentials::narrowest_first`]).
fn credentials(
    file: &FileValues,
    settings: &input::setting::Settings,
    username: Option<&str>,
    password: Option<&str>,
) -> Result<Vec<Credential>, Error> {
    let mut creds = Vec::new();
    for (i, entry) in file.get(&credentials::ENTRIES)?.iter().enumerate() {
        creds.push(
            credentials::parse_entry(entry)
                .map_err(|reason| invalid("credentials", &format!("entry {}", i + 1), &reason))?,
        );
    }
    if let Some(path) = settings.get(&credentials::CREDENTIALS_FILE) {
        creds.extend(credentials::parse_file(&read(&path)?).map_err(|e| {
            Error::CredentialsFile {
                path: path.clone(),
                message: e.to_string(),
            }
        })?);
    }
    if let Some(user) = username {
        let Some(password) = password else {
            return Err(invalid(
                "username",
                user,
                "no password: set CAMSCAN_PASSWORD or run on a terminal to be asked",
            ));
        };
        creds.push(Credential::new(user.to_string(), password));
    }
    credentials::narrowest_first(&mut creds);
    Ok(creds)
}

/// The stream paths the user gave (`paths:` in the file, then the paths file's lines).
fn hints(
    file: &FileValues,
    settings: &input::setting::Settings,
) -> Result<analyze::hints::Hints, Error> {
    use analyze::hints::Hints;
    let listed = file.get(&analyze::hints::ENTRIES)?;
    let mut hints = Hints::parse(listed.iter().map(String::as_str))
        .map_err(|reason| invalid("paths", "config paths:", &reason))?;
    if let Some(path) = settings.get(&analyze::hints::PATHS_FILE) {
        let text = read(&path)?;
        let more = Hints::parse(text.lines())
            .map_err(|reason| invalid("paths", &path.display().to_string(), &reason))?;
        hints.extend(more);
    }
    Ok(hints)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use super::*;
    use crate::cli::file::*;
    use crate::cmds::scan::ScanOutputArgs;
    use crate::probe::DEFAULT_PER_HOST;
    use export::{Format, parse_csv_delimiter};
    use store::default_db_path;

    #[test]
    fn default_path_follows_xdg() {
        use input::environment::Environment;
        let env = |vars: &[(&str, &str)]| Environment::from_vars(vars.iter().copied());
        assert_eq!(
            default_db_path(&env(&[("XDG_STATE_HOME", "/state"), ("HOME", "/home/u")])),
            Some(PathBuf::from("/state/camscan/inventory.db"))
        );
        assert_eq!(
            default_db_path(&env(&[("HOME", "/home/u")])),
            Some(PathBuf::from("/home/u/.local/state/camscan/inventory.db"))
        );
        assert_eq!(default_db_path(&env(&[])), None);
    }

    /// `--fresh` (or `fresh: true`) leaves the scan context without what earlier scans knew.
    #[test]
    fn fresh_ignores_what_was_known() {
        let ip: std::net::IpAddr = "198.18.0.9".parse().unwrap();
        let known = || std::collections::HashMap::from([(ip, analyze::context::Known::default())]);
        let file = FileValues::parse::<crate::cmds::FileKeys>("fresh: true\n", Path::new("c.yaml"))
            .unwrap();
        let fresh = resolve_scan_job(&ScanArgs::default(), &file, &Process::default()).unwrap();
        assert!(fresh.scan.settings.get(&analyze::context::FRESH));
        assert!(crate::scan::plan::remembered(&fresh.scan, known()).is_empty());
        let args = ScanArgs {
            find: FindArgs {
                settings: flag(&analyze::context::FRESH, "true"),
                ..Default::default()
            },
            ..Default::default()
        };
        let flag = resolve_scan_job(&args, &FileValues::default(), &Process::default()).unwrap();
        assert!(flag.scan.settings.get(&analyze::context::FRESH));
        let usual = ScanJob::default();
        assert_eq!(crate::scan::plan::remembered(&usual.scan, known()).len(), 1);
    }

    /// The scan configuration of the command line `argv` with the config file `yaml`.
    fn resolve_argv(argv: &[&str], yaml: &str) -> Result<ScanJob, Error> {
        use clap::Parser;
        let cli = crate::cmds::Cli::try_parse_from(argv).unwrap();
        let crate::cmds::Command::Scan(args) = cli.command else {
            unreachable!()
        };
        let file = FileValues::parse::<crate::cmds::FileKeys>(yaml, Path::new("c.yaml")).unwrap();
        resolve_scan_job(&args, &file, &Process::default())
    }

    /// A switch its flag turns off (`--no-verify`, `-n`): on by default, off by the file's
    /// `verify: false` or by the flag, which wins over the file's `true`.
    #[test]
    fn switches_turned_off_by_their_flag() {
        use analyze::context::VERIFY;
        use net::rdns::DNS;
        let on = resolve_argv(&["camscan", "scan"], "").unwrap();
        assert!(on.scan.settings.get(&VERIFY) && on.scan.settings.get(&DNS));
        let file_off = resolve_argv(&["camscan", "scan"], "verify: false\ndns: false\n").unwrap();
        assert!(!file_off.scan.settings.get(&VERIFY) && !file_off.scan.settings.get(&DNS));
        let flag_off =
            resolve_argv(&["camscan", "scan", "--no-verify", "-n"], "verify: true\n").unwrap();
        assert!(!flag_off.scan.settings.get(&VERIFY) && !flag_off.scan.settings.get(&DNS));
        let err = resolve_argv(&["camscan", "scan", "--interface", " "], "").unwrap_err();
        assert!(err.to_string().contains("interface"), "{err}");
    }

    /// A list whose flag repeats (`--exclude`): each flag's values and the comma-separated ones
    /// together, blanks dropped; the file's list or text when no flag is given.
    #[test]
    fn a_repeated_list_flag_gives_all_its_values() {
        use crate::discovery::targets::EXCLUDE;
        let resolve = |argv: &[&str], yaml: &str| {
            resolve_argv(argv, yaml)
                .unwrap()
                .scan
                .settings
                .get(&EXCLUDE)
        };
        let argv = [
            "camscan",
            "scan",
            "--exclude",
            "10.0.0.1",
            "--exclude",
            "10.0.0.2, ,10.0.0.3",
        ];
        assert_eq!(
            resolve(&argv, "exclude: [10.9.9.9]\n"),
            ["10.0.0.1", "10.0.0.2", "10.0.0.3"],
            "the flags, over the file"
        );
        let want = ["10.9.9.9", "10.9.9.10"];
        assert_eq!(
            resolve(&["camscan", "scan"], "exclude: [10.9.9.9, 10.9.9.10]\n"),
            want
        );
        assert_eq!(
            resolve(&["camscan", "scan"], "exclude: 10.9.9.9, 10.9.9.10\n"),
            want
        );
        assert!(resolve(&["camscan", "scan"], "").is_empty());
    }

    #[test]
    fn csv_delimiters() {
        for (given, want) in [
            (",", b','),
            (";", b';'),
            ("|", b'|'),
            ("\t", b'\t'),
            ("\\t", b'\t'),
            ("tab", b'\t'),
            ("TAB", b'\t'),
        ] {
            assert_eq!(parse_csv_delimiter(given), Ok(want), "{given:?}");
        }
        for bad in [
            "", ";;", "ab", "\"", "'", "\n", "\r", "a", "1", " ", "é", "\\n",
        ] {
            assert!(parse_csv_delimiter(bad).is_err(), "{bad:?}");
        }
        let file = FileValues::parse::<crate::cmds::FileKeys>(
            "csv_delimiter: \";\"\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let c = resolve_scan_job(&ScanArgs::default(), &file, &Process::default()).unwrap();
        assert_eq!(csv_delimiter(&c), b';');
        let args = ScanArgs {
            out: ScanOutputArgs {
                format_options: given("csv_delimiter", "tab"),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            csv_delimiter(&resolve_scan_job(&args, &file, &Process::default()).unwrap()),
            b'\t',
            "flag over file"
        );
        let file = FileValues::parse::<crate::cmds::FileKeys>(
            "csv_delimiter: \"::\"\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let e = resolve_scan_job(&ScanArgs::default(), &file, &Process::default()).unwrap_err();
        assert!(e.to_string().contains("csv_delimiter"), "{e}");
    }

    /// The CSV delimiter a configuration gives the CSV exporter.
    fn csv_delimiter(c: &ScanJob) -> u8 {
        c.report.format_options.get(&export::csv::DELIMITER)
    }

    /// Whether a configuration turns `--frigate-restream` on.
    fn frigate_restream(c: &ScanJob) -> bool {
        c.report.format_options.get(&export::frigate::RESTREAM)
    }

    /// The flags of the format option `key` given as `value`.
    fn given(key: &str, value: &str) -> crate::cmds::scan::FormatOptionArgs {
        crate::cmds::scan::FormatOptionArgs::new([(key.to_string(), value.to_string())].into())
    }

    #[test]
    fn precedence_flag_over_file_over_default() {
        let file = FileValues::parse::<crate::cmds::FileKeys>(
            "ports: [554, 8554]\ntimeout: 5s\nconnect_timeout: 0.5\nretries: 3\nformat: csv\n",
            Path::new("x.yaml"),
        )
        .unwrap();
        let args = ScanArgs {
            find: FindArgs {
                settings: flag(&net::TIMEOUT, "2s"),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = resolve_scan_job(&args, &file, &Process::default()).unwrap();
        assert_eq!(c.scan.ports, [554, 8554]); // file over default
        assert_eq!(c.scan.settings.get(&net::TIMEOUT), Duration::from_secs(2)); // flag over file
        assert_eq!(
            c.scan.settings.get(&net::CONNECT_TIMEOUT),
            Duration::from_millis(500)
        );
        assert_eq!(c.scan.settings.get(&crate::probe::RETRIES), 3);
        assert_eq!(c.report.format, Format::Csv);
        assert_eq!(
            c.scan.settings.get(&crate::probe::PER_HOST),
            DEFAULT_PER_HOST
        ); // default
        let c = resolve_scan_job(
            &ScanArgs::default(),
            &FileValues::default(),
            &Process::default(),
        )
        .unwrap();
        assert_eq!(c, ScanJob::default());
    }

    #[test]
    fn configuration_export_formats_and_frigate_restream() {
        for (text, want) in [
            ("go2rtc", Format::Go2rtc),
            ("frigate", Format::Frigate),
            ("mediamtx", Format::Mediamtx),
            ("ha-sheet", Format::HaSheet),
        ] {
            let file = FileValues::parse::<crate::cmds::FileKeys>(
                &format!("format: {text}\n"),
                Path::new("c.yaml"),
            )
            .unwrap();
            let c = resolve_scan_job(&ScanArgs::default(), &file, &Process::default()).unwrap();
            assert_eq!(c.report.format, want, "{text}");
        }
        let file = FileValues::parse::<crate::cmds::FileKeys>(
            "frigate_restream: true\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let c = resolve_scan_job(&ScanArgs::default(), &file, &Process::default()).unwrap();
        assert!(frigate_restream(&c));
        let args = ScanArgs {
            out: ScanOutputArgs {
                format_options: given("frigate_restream", "true"),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = resolve_scan_job(&args, &FileValues::default(), &Process::default()).unwrap();
        assert!(frigate_restream(&c));
    }

    #[test]
    fn bad_yaml_names_the_file_and_the_problem() {
        let e =
            FileValues::parse::<crate::cmds::FileKeys>("prots: [554]\n", Path::new("cams.yaml"))
                .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("cams.yaml") && msg.contains("prots"), "{msg}");
        let e = FileValues::parse::<crate::cmds::FileKeys>("ports: [554\n", Path::new("c.yaml"))
            .unwrap_err();
        assert!(e.to_string().starts_with("invalid config file c.yaml"));
        let file =
            FileValues::parse::<crate::cmds::FileKeys>("timeout: soon\n", Path::new("c.yaml"))
                .unwrap();
        let e = resolve_scan_job(&ScanArgs::default(), &file, &Process::default()).unwrap_err();
        assert!(e.to_string().contains("timeout"), "{e}");
    }

    #[test]
    fn signature_files_from_the_flag_else_the_file() {
        let file = FileValues::parse::<crate::cmds::FileKeys>(
            "signatures: [site.yaml, more.yaml]\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let c = resolve_scan_job(&ScanArgs::default(), &file, &Process::default()).unwrap();
        assert_eq!(
            c.signatures,
            [PathBuf::from("site.yaml"), PathBuf::from("more.yaml")]
        );
        let args = ScanArgs {
            find: FindArgs {
                own: crate::cli::SettingArgs::new(
                    [("signatures".to_string(), "test.yaml".to_string())].into(),
                ),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = resolve_scan_job(&args, &file, &Process::default()).unwrap();
        assert_eq!(c.signatures, [PathBuf::from("test.yaml")], "flag over file");
    }

    #[test]
    fn stun_ports_are_probed_over_tcp_too() {
        let file = FileValues::parse::<crate::cmds::FileKeys>(
            "ports: [554, 3478]\nstun_ports: []\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let c = resolve_scan_job(&ScanArgs::default(), &file, &Process::default()).unwrap();
        let stun = |c: &ScanJob| c.scan.settings.get(&analyze::webrtc::STUN_PORTS);
        assert!(stun(&c).is_empty());
        assert_eq!(c.scan.ports, [554, 3478]);
        let args = ScanArgs {
            find: FindArgs {
                settings: flag(&analyze::webrtc::STUN_PORTS, "3478,19302,5349-5350"),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = resolve_scan_job(&args, &file, &Process::default()).unwrap();
        assert_eq!(stun(&c), [3478, 19302, 5349, 5350]);
        assert_eq!(
            c.scan.ports,
            [554, 3478, 19302, 5349, 5350],
            "added once each"
        );
        let file = FileValues::parse::<crate::cmds::FileKeys>(
            "stun_ports: \"19302\"\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let c = resolve_scan_job(&ScanArgs::default(), &file, &Process::default()).unwrap();
        assert_eq!(stun(&c), [19302]);
        assert!(c.scan.ports.ends_with(&[19302]));
        let bad = ScanArgs {
            find: FindArgs {
                settings: flag(&analyze::webrtc::STUN_PORTS, "0"),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(resolve_scan_job(&bad, &FileValues::default(), &Process::default()).is_err());
    }

    #[test]
    fn inventory_database_from_flag_env_file_or_default() {
        // The place as `--db` gave it (the type tells a file from a server).
        let db = |c: &ScanJob| c.db.as_ref().map(|i| i.at.as_path().to_path_buf());
        let file =
            FileValues::parse::<crate::cmds::FileKeys>("db: /srv/site.db\n", Path::new("c.yaml"))
                .unwrap();
        let c = resolve_scan_job(&ScanArgs::default(), &file, &Process::default()).unwrap();
        assert_eq!(
            db(&c),
            Some(PathBuf::from("/srv/site.db")),
            "file over default"
        );
        let args = ScanArgs {
            find: FindArgs {
                store: crate::cmds::inventory::DbArgs {
                    settings: crate::cli::SettingArgs::new(
                        [("db".to_string(), "/tmp/x.db".to_string())].into(),
                    ),
                    ..Default::default()
                },
                ..Default::default()
            },
            ..Default::default()
        };
        let c = resolve_scan_job(&args, &file, &Process::default()).unwrap();
        assert_eq!(db(&c), Some(PathBuf::from("/tmp/x.db")), "flag over file");
        let args = ScanArgs {
            find: FindArgs {
                store: crate::cmds::inventory::DbArgs {
                    settings: crate::cli::SettingArgs::new(
                        [("db".to_string(), "/tmp/x.db".to_string())].into(),
                    ),
                    ..Default::default()
                },
                own: crate::cli::SettingArgs::new(
                    [("no_db".to_string(), "true".to_string())].into(),
                ),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = resolve_scan_job(&args, &file, &Process::default()).unwrap();
        assert_eq!(db(&c), None, "--no-db wins");
        let process = Process {
            env: input::environment::Environment::from_vars([("HOME", "/home/u")]),
            ..Process::default()
        };
        let c = resolve_scan_job(&ScanArgs::default(), &FileValues::default(), &process).unwrap();
        assert_eq!(
            db(&c),
            Some(PathBuf::from("/home/u/.local/state/camscan/inventory.db"))
        );
        let c = resolve_scan_job(
            &ScanArgs::default(),
            &FileValues::default(),
            &Process::default(),
        )
        .unwrap();
        assert_eq!(db(&c), None, "no home: no default place");
    }

    /// Where a scan is recorded is the command's: the hub from the file's `hub:` or `--hub` (the
    /// flag over the file), sent this site's name; the scan's own configuration names none of it.
    #[test]
    fn the_hub_from_the_file_or_the_flag_is_where_the_job_records() {
        let at = |j: &ScanJob| {
            j.hub
                .as_ref()
                .map(|h| (h.at.as_path().display().to_string(), h.site.clone()))
        };
        let file = "hub: postgres://site@198.18.0.1/hub\nsite: north\n";
        let j = resolve_argv(&["camscan", "scan", "--no-db"], file).unwrap();
        assert_eq!(
            at(&j),
            Some(("postgres://site@198.18.0.1/hub".into(), "north".into()))
        );
        let argv = [
            "camscan",
            "scan",
            "--no-db",
            "--hub",
            "postgres://site@198.18.0.2/hub",
        ];
        let j = resolve_argv(&argv, file).unwrap();
        assert_eq!(
            at(&j).map(|(a, _)| a),
            Some("postgres://site@198.18.0.2/hub".into())
        );
        assert_eq!(at(&resolve_argv(&["camscan", "scan"], "").unwrap()), None);
    }

    /// `setting` given on the command line as `text`.
    fn flag(
        setting: &'static dyn input::setting::Declared,
        text: &str,
    ) -> crate::cmds::scan::ScanSettingArgs {
        crate::cmds::scan::ScanSettingArgs::new(
            [(setting.key().to_string(), text.to_string())].into(),
        )
    }

    #[test]
    fn detect_timeout_never_exceeds_the_step_timeout() {
        let file = FileValues::default();
        let args = ScanArgs {
            find: FindArgs {
                targets: vec!["127.0.0.1".into()],
                settings: flag(&net::TIMEOUT, "1s"),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = resolve_scan_job(&args, &file, &Process::default()).unwrap();
        assert_eq!(
            detect::detect_timeout(&c.scan.settings),
            Duration::from_secs(1),
            "clamped to --timeout"
        );
        let args = ScanArgs {
            find: FindArgs {
                targets: vec!["127.0.0.1".into()],
                settings: flag(&detect::DETECT_TIMEOUT, "500ms"),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = resolve_scan_job(&args, &file, &Process::default()).unwrap();
        assert_eq!(
            detect::detect_timeout(&c.scan.settings),
            Duration::from_millis(500)
        );
        assert_eq!(c.scan.settings.get(&net::TIMEOUT), net::DEFAULT_TIMEOUT);
    }

    #[test]
    fn example_config_matches_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml");
        let file = crate::cli::file::load::<crate::cmds::FileKeys>(&path).unwrap();
        let c = resolve_scan_job(&ScanArgs::default(), &file, &Process::default()).unwrap();
        assert_eq!(c, ScanJob::default());
        // And it names every key the file format knows, so it documents them all.
        let text = std::fs::read_to_string(&path).unwrap();
        for key in [
            "targets",
            "targets_file",
            "exclude",
            "ports",
            "stun_ports",
            "connect_timeout",
            "timeout",
            "detect_timeout",
            "probe_all",
            "format",
            "csv_delimiter",
            "frigate_restream",
            "backchannel",
            "output",
            "color",
            "allow_large",
            "allow_public",
            "credentials",
            "auth_budget",
            "signatures",
            "fresh",
            "verify",
            "verify_window",
            "dns",
            "detect",
            "interface",
            "discovery",
            "discovery_wait",
            "db",
            "watch",
        ]
        .into_iter()
        .chain(crate::scan::settings::SCAN.iter().map(|d| d.key()))
        {
            // A key whose default is decided when the scan is planned (media_rate) is shown
            // commented out, so the file still parses to the defaults.
            assert!(
                text.contains(&format!("\n{key}:")) || text.contains(&format!("\n# {key}:")),
                "config.example.yaml lacks {key}"
            );
        }
    }
}
