//! The command layer: one room per command, as moonfire-nvr's `cmds/<subcommand>` and cargo's
//! `commands/<cmd>.rs`: `cmds/<cmd>.rs`, or `cmds/<cmd>/` when large, holds the command's
//! arguments (its lists of declared settings, made flags by the door's adapter,
//! [`crate::cli::SettingArgs`]), their resolution once into typed settings (the arguments, their
//! variables and the config file, read once) and its `run`, which returns the exit code. Adding a
//! command is its room and its line in [`Command`] (and its arm in [`run`]).
//!
//! A room is a shell around the layers below it: it resolves its settings, installs the
//! knowledge files, builds the runtime and calls the pipeline ([`crate::scan`]), the inventory
//! ([`crate::record`], [`store`]) or a long-running part ([`crate::watch`],
//! [`crate::serve`], [`crate::doctor`]). Those parts are siblings that name none of each other:
//! what runs together is composed here (`serve`'s watcher and the fleet's agent beside `watch` or
//! `serve`, in `serve/`, `watch/` and `agent.rs`). What rooms share has a room of its own:
//! `inventory` (where the inventory is), `scan` (what every command that scans resolves),
//! `query` (what the inventory's readers share). Nothing below names this module
//! (`scripts/module-cycles` checks); `main` calls [`run`] and is the only place that exits. The
//! clap definitions made here are the single source of `--help`, `camscan man` and the CLI
//! reference ([`mod@reference`]).

use std::io::{self, Write};
use std::process::ExitCode;

use crate::record::CommandError;
use error::{Error, exit};

mod agent;
pub mod audit;
pub mod backup;
pub mod completions;
pub mod convert;
pub mod devices;
pub mod diff;
pub mod doctor;
pub mod forget;
pub mod history;
pub mod hub;
pub mod interfaces;
pub mod inventory;
pub mod logging;
pub mod man;
pub mod prune;
pub mod push;
mod query;
pub mod reference;
pub mod scan;
pub mod scans;
pub mod serve;
pub mod show;
pub mod signatures;
pub mod watch;

/// The command line: the door's global flags ([`crate::cli::Cli`]) over this list of commands.
pub type Cli = crate::cli::Cli<Command>;

/// The commands, one line each: its name (the variant), its `--help` summary, its room's
/// arguments. Adding a command is its room (`cmds/<cmd>.rs`) and a line here and in [`run`].
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Scan targets (or, with none, the attached private subnets) for cameras and streams.
    Scan(Box<scan::ScanArgs>),
    /// List this machine's IPv4 interfaces and which subnets a scan without targets would cover.
    /// Sends nothing.
    Interfaces(interfaces::InterfacesArgs),
    /// Write a report `camscan scan -f json` wrote in another output format (the table at this
    /// terminal's width, CSV, go2rtc, ...) without scanning again. Sends nothing.
    Convert(Box<convert::ConvertArgs>),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    Completions(completions::CompletionsArgs),
    /// Print the manual (roff) on stdout: `camscan man | man -l -`; or, with --dir, write its
    /// pages (camscan.1 and one camscan-COMMAND.1 per command, which camscan.1 refers to) into
    /// a directory of the manual: `camscan man --dir /usr/local/share/man/man1`.
    Man(man::ManArgs),
    /// List the knowledge a scan uses (vendors, HTTP signatures and probes, RTSP/HTTP paths, RTMP
    /// names, OUIs) and where each entry comes from: built in, or a user's knowledge file. Sends
    /// nothing.
    Signatures(signatures::SignaturesArgs),
    /// The devices the inventory knows, with state, first and last seen, address, vendor/model and
    /// streams (up/total). Exit 0 when some are listed, 1 when none, 2 on error.
    Devices(devices::DevicesArgs),
    /// Everything the inventory knows about one device (id, address or MAC): addresses, identity,
    /// ports, streams and events. Exit 0, or 1 when the device is unknown.
    Show(show::ShowArgs),
    /// The inventory's events (device new/offline/online, address, firmware, ports, streams),
    /// newest first. Exit 0 when some are listed, 1 when none.
    History(history::HistoryArgs),
    /// What changed between two recorded scans (default: the last two complete ones): devices,
    /// ports and streams added, removed and changed, as nmap's ndiff shows it. Exit 0 when nothing
    /// changed, 1 when something did, 2 on error.
    Diff(diff::DiffArgs),
    /// The recorded scans, newest first: when, complete or interrupted, targets, devices seen.
    Scans(scans::ScansArgs),
    /// Remove one device (id, address or MAC) and everything recorded about it from the inventory.
    /// Exit 0, or 1 when the device is unknown.
    Forget(forget::ForgetArgs),
    /// Remove scans, events, offline devices and resolved audit findings older than a given age,
    /// to keep the file bounded.
    Prune(prune::PruneArgs),
    /// Copy the inventory (an SQLite file) to a new file while it is in use: SQLite's own
    /// VACUUM INTO, one consistent moment of it beside a running watch or serve, never half a
    /// write (a plain cp of a database being written may be). The copy is checked by SQLite and
    /// made 0600; an existing file is never overwritten; the credential key is not copied.
    Backup(backup::BackupArgs),
    /// Scan on a schedule, check known streams between scans, and send the inventory's events
    /// (device new/offline/online, stream down/up, ...) to stdout as NDJSON, webhooks, commands
    /// or MQTT, none lost. Runs until SIGINT/SIGTERM (exit 130/143); SIGHUP reloads --config.
    Watch(Box<watch::WatchArgs>),
    /// Serve the inventory over HTTP: a read-only REST API under /api/v1 (devices, streams,
    /// events, scans, diff, an OpenAPI document) and the events live as Server-Sent Events.
    /// Beyond loopback it asks for a token (--print-token); HTTPS with --tls-cert/--tls-key.
    /// Runs until SIGINT/SIGTERM (exit 130/143).
    Serve(Box<serve::ServeArgs>),
    /// Check why a scan may miss things: privileges for raw ARP, interfaces and the subnets a
    /// scan without targets covers, multicast routes, the open-file limit, ffprobe, the config
    /// file, the inventory (read-only), the credential key's and the serve token's permissions
    /// and each notification sink. One line per check, pass / warn / fail with the fix. Sends
    /// nothing but a TCP connect to each configured webhook/MQTT sink. Exit 0 when nothing
    /// fails, 1 when something does.
    Doctor(doctor::DoctorArgs),
    /// Judge the installation: scan (or, with --from-db, read the inventory without sending
    /// anything) and report security findings, each with a stable id, severity, evidence, fix and
    /// source; with --expect, compare it with a plan (ok / missing / mismatch / unexpected). Read
    /// only: nothing on any device is changed. Exit as scan does (0 found, 1 nothing, 2 error,
    /// 130/143 interrupted), or 4 with --fail-on when a finding at or above it exists.
    Audit(Box<audit::AuditArgs>),
    /// The fleet's hub, run with its owner's login (--db postgres://OWNER@HUB/DB): add a site and
    /// a login of its own for its agent, which PostgreSQL's row-level security holds to that
    /// site's rows; list the sites; give a site's login a new password; forget a site's rows (a
    /// new inventory may then take its name); remove a site and its login.
    Hub(hub::HubArgs),
    /// Push the inventory's cameras into a running tool ([`push::ABOUT`], its tools written out
    /// from the push tool registry).
    #[command(
        about = crate::cli::expand_help(push::ABOUT),
        long_about = crate::cli::expand_help(push::ABOUT)
    )]
    Push(Box<push::PushArgs>),
}

/// The settings the config file holds, handed to the door's reader by the commands that read it:
/// at its top level the scan's and its report's ([`scan::FILE_TOP`]), in its `watch:` section
/// watch's and the sinks' ([`watch::FILE_SECTION`]).
pub struct FileKeys;

impl crate::cli::file::Keys for FileKeys {
    const TOP: &'static [&'static [&'static dyn input::setting::Declared]] = scan::FILE_TOP;
    const WATCH: &'static [&'static [&'static dyn input::setting::Declared]] = watch::FILE_SECTION;
}

/// The config file `path` names (none: every key unset), read once with the commands' keys.
pub fn config_file(path: Option<&std::path::Path>) -> Result<crate::cli::file::FileValues, Error> {
    crate::cli::file::config_file::<FileKeys>(path)
}

/// Run the command `cli` names; its exit code, or its error as one line on stderr and exit 2.
pub fn run(cli: &Cli) -> ExitCode {
    let result = match &cli.command {
        Command::Scan(args) => scan::run(args, cli),
        Command::Interfaces(args) => interfaces::run(args),
        Command::Convert(args) => convert::run(args, cli),
        Command::Completions(args) => completions::run(args),
        Command::Signatures(args) => signatures::run(args, &cli.env),
        Command::Devices(args) => devices::run(args, &cli.env),
        Command::Show(args) => show::run(args, &cli.env),
        Command::History(args) => history::run(args, &cli.env),
        Command::Diff(args) => diff::run(args, &cli.env),
        Command::Scans(args) => scans::run(args, &cli.env),
        Command::Forget(args) => forget::run(args, &cli.env),
        Command::Prune(args) => prune::run(args, &cli.env),
        Command::Backup(args) => backup::run(args, &cli.env),
        Command::Watch(args) => watch::run(args, cli),
        Command::Serve(args) => serve::run(args, &cli.process()),
        Command::Doctor(args) => doctor::run(args, &cli.process()),
        Command::Audit(args) => audit::run(args, cli),
        Command::Hub(args) => hub::run(args, &cli.env),
        Command::Push(args) => push::run(args, &cli.env),
        Command::Man(args) => man::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e @ CommandError::HubRefused(_)) => fail(&e, exit::HUB_REFUSED),
        Err(e) => fail(&e, exit::ERROR),
    }
}

/// One clear line on stderr, exit code `code` (2 for most errors).
#[allow(clippy::print_stderr)]
fn fail(e: &dyn std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("camscan: error: {e}");
    ExitCode::from(code)
}

/// Write a command's results to stdout; a reader that went away (`camscan devices | head`) is
/// no error.
fn write_stdout(fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), CommandError> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match fill(&mut out).and_then(|_| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(Error::WriteOutput {
            path: "<stdout>".into(),
            source,
        }
        .into()),
        Ok(()) => Ok(()),
    }
}

/// The multi-threaded runtime of the commands that serve (`serve`), which run scans too: the
/// scan's stack size ([`scan::SCAN_STACK`]).
fn runtime() -> Result<tokio::runtime::Runtime, CommandError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(scan::SCAN_STACK)
        .build()
        .map_err(|e| Error::Runtime(e).into())
}

/// Run `future` on `runtime`; tasks still running when it returns (after an interrupt) are
/// cancelled, not awaited.
fn block_on<T>(runtime: tokio::runtime::Runtime, future: impl Future<Output = T>) -> T {
    let result = runtime.block_on(future);
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    result
}

/// How wide a table on stdout may be: `--width` (0: no limit), else `$COLUMNS`, else the
/// terminal's width, else 100 (a pipe, a file), as `camscan scan`'s table.
fn stdout_width(given: Option<u16>, env: &input::environment::Environment) -> Option<u16> {
    crate::scan::output::table_width(
        given.or(env.columns()),
        terminal_size::terminal_size_of(io::stdout()).map(|(w, _)| w.0),
    )
}

/// [`table_writer::WIDTH`] alone.
pub struct Width;

impl crate::cli::SettingList for Width {
    const LIST: &'static [&'static dyn input::setting::Declared] = table_writer::WIDTH_LIST;
}

/// `--width` ([`table_writer::WIDTH`]): flattened by every command that draws a table
/// (`scan`, `audit`, `doctor`, `push` and the inventory's lists and documents).
#[derive(Debug, clap::Args, Default, Clone)]
pub struct TableWidth {
    #[command(flatten)]
    pub settings: crate::cli::SettingArgs<Width>,
}

impl TableWidth {
    /// `--width`, given.
    pub fn width(&self) -> Result<Option<u16>, error::Error> {
        Ok(self.settings.values()?.get(&table_writer::WIDTH))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::ColorChoice;
    use clap::Parser;
    use export::Format;

    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_parse() {
        let cli = Cli::try_parse_from([
            "camscan",
            "-vv",
            "scan",
            "10.0.0.0/24",
            "10.0.1.5",
            "-p",
            "554,8000-8002",
            "--format",
            "json",
            "-o",
            "out.json",
            "--exclude",
            "10.0.0.1,10.0.0.2",
        ])
        .unwrap();
        assert_eq!(cli.verbose(), 2);
        // The global options after the command, too; a colour not among the choices refused.
        let after =
            Cli::try_parse_from(["camscan", "devices", "-q", "--color", "never", "-vvv"]).unwrap();
        assert_eq!(
            (after.quiet(), after.color(), after.verbose(), after.log()),
            (true, Some(ColorChoice::Never), 3, None)
        );
        assert!(Cli::try_parse_from(["camscan", "--color", "pink", "devices"]).is_err());
        let Command::Scan(a) = cli.command else {
            panic!("scan")
        };
        assert_eq!(a.find.targets, ["10.0.0.0/24", "10.0.1.5"]);
        assert_eq!(
            a.find.settings.0.get("exclude").map(String::as_str),
            Some("10.0.0.1,10.0.0.2")
        );
        assert_eq!(
            a.find.settings.0.get("ports").map(String::as_str),
            Some("554,8000-8002")
        );
        let report = a.out.settings.values().unwrap();
        assert_eq!(report.get(&crate::scan::output::FORMAT), Format::Json);
        for (flag, want) in [
            ("go2rtc", Format::Go2rtc),
            ("frigate", Format::Frigate),
            ("mediamtx", Format::Mediamtx),
            ("ha-sheet", Format::HaSheet),
        ] {
            let cli =
                Cli::try_parse_from(["camscan", "scan", "-f", flag, "--frigate-restream"]).unwrap();
            let Command::Scan(a) = cli.command else {
                panic!("scan")
            };
            let restream = a.out.format_options.values().unwrap();
            let report = a.out.settings.values().unwrap();
            assert_eq!(
                (
                    report.get(&crate::scan::output::FORMAT),
                    restream.get(&export::frigate::RESTREAM)
                ),
                (want, true),
                "{flag}"
            );
        }
    }
}

#[cfg(test)]
mod format_options {
    use crate::cmds::{Cli, Command as Sub};
    use clap::Parser;
    use export::{csv::DELIMITER, frigate::RESTREAM};

    /// Every command that writes a format takes every format option.
    #[test]
    fn scan_convert_watch_and_serve_take_the_options() {
        let given = |line: &[&str]| {
            let mut argv = vec!["camscan"];
            argv.extend_from_slice(line);
            argv.extend(["--frigate-restream", "--csv-delimiter", ";"]);
            let args = match Cli::try_parse_from(argv).unwrap().command {
                Sub::Scan(a) => a.out.format_options,
                Sub::Convert(a) => a.out.format_options,
                Sub::Watch(a) => a.scan.out.format_options,
                Sub::Serve(a) => a.format_options,
                _ => unreachable!(),
            };
            args.values().unwrap()
        };
        for line in [
            &["scan"][..],
            &["convert", "r.json"],
            &["watch"],
            &["serve"],
        ] {
            let v = given(line);
            assert!(v.get(&RESTREAM), "{line:?}");
            assert_eq!(v.get(&DELIMITER), b';', "{line:?}");
        }
    }

    /// `push` takes the options a push reads (issue 73: its --help listed `--csv-delimiter` and
    /// "with --format ..." lines), with push's help, and refuses the others.
    #[test]
    fn push_takes_only_what_a_push_writes() {
        let argv = [
            "camscan",
            "push",
            "frigate",
            "http://f:5000",
            "--frigate-restream",
        ];
        let Sub::Push(a) = Cli::try_parse_from(argv).unwrap().command else {
            unreachable!()
        };
        assert!(a.format_options.values().unwrap().get(&RESTREAM));
        let csv = [
            "camscan",
            "push",
            "go2rtc",
            "http://g:1984",
            "--csv-delimiter",
            ";",
        ];
        assert!(Cli::try_parse_from(csv).is_err());
        let help = <Cli as clap::CommandFactory>::command()
            .find_subcommand_mut("push")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(
            !help.contains("--csv-delimiter") && !help.contains("With --format"),
            "{help}"
        );
        assert!(help.contains("--backchannel"), "{help}");
        for (key, line) in crate::push::settings::FORMAT_OPTION_HELP {
            assert!(
                crate::push::settings::FORMAT_OPTIONS
                    .iter()
                    .any(|d| d.key() == *key),
                "{key}"
            );
            let start: String = line.chars().take(30).collect();
            assert!(help.contains(&start), "{key}: {help}");
        }
    }
}
