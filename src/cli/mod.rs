//! The entrance: the command line (clap derive) and its resolution into settings. Flags are as
//! the user types them; every one also reads a `CAMSCAN_*` environment variable. Values left unset
//! here fall back to the YAML config file and then to the defaults in [`crate::scan::config`], which is
//! why scan options are `Option`s: the help states each default.
//!
//! One file per command's arguments (`scan` holds what every command that scans shares,
//! `inventory` what every command that reads the inventory shares, `format_options` the formats'
//! own flags, made from their registry); [`settings`] turns them, with the config file read once,
//! into the typed settings each command hands down. Only the command layer (`cmds`) and this
//! module name these types.

use clap::{Parser, Subcommand};

pub use crate::discovery::DiscoveryMethod;
pub use crate::export::Format;
pub use crate::model::environment::ColorChoice;

use crate::model::setting::Repeat;

mod audit;
mod choices;
pub mod config;
mod doctor;
mod format_options;
mod hub;
mod inventory;
mod push;
pub mod reference;
mod scan;
mod serve;
mod setting_args;
pub mod settings;
mod tools;
mod watch;

pub use audit::*;
pub use doctor::*;
pub use format_options::FormatOptionArgs;
pub use hub::*;
pub use inventory::*;
pub use push::*;
pub use scan::*;
pub use serve::ServeArgs;
pub use setting_args::{Find, ReportOutput, ScanSettingArgs, SettingArgs, SettingList};
pub use tools::*;
pub use watch::*;

#[derive(Debug, Parser)]
#[command(
    name = "camscan",
    version,
    about = "Find every network camera and video stream on a LAN and say how to open each one",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    /// `-v`, `--log`, `-q`, `--color` ([`GLOBAL`]), given before or after the command.
    #[command(flatten)]
    pub global: SettingArgs<Global>,
    #[command(subcommand)]
    pub command: Command,
    /// The process environment, taken once with the arguments ([`Cli::from_process`]).
    #[arg(skip)]
    pub env: crate::model::environment::Environment,
}

impl Cli {
    /// The command line and environment of this process: the one place camscan reads either
    /// (clap reads the `CAMSCAN_*` variables of the flags here too). Usage errors: clap prints
    /// them and exits 2.
    pub fn from_process() -> Cli {
        let mut cli = <Cli as Parser>::parse();
        cli.env = crate::model::environment::Environment::from_vars(std::env::vars_os());
        cli
    }

    /// What every command's settings read beside its own arguments.
    pub fn process(&self) -> crate::cli::settings::Process {
        crate::cli::settings::Process {
            color: self.color(),
            env: self.env.clone(),
        }
    }

    /// The global options, as given (clap checked each: a value refused never gets here).
    fn globals(&self) -> crate::model::setting::Settings {
        self.global.values().unwrap_or_default()
    }

    /// `-v`'s count.
    pub fn verbose(&self) -> u8 {
        self.globals().get(&VERBOSE)
    }

    /// `--log`.
    pub fn log(&self) -> Option<String> {
        self.globals().get(&LOG)
    }

    /// `-q`.
    pub fn quiet(&self) -> bool {
        self.globals().get(&QUIET)
    }

    /// `--color`, given.
    pub fn color(&self) -> Option<ColorChoice> {
        self.globals().get(&COLOR)
    }
}

/// The options of every command, given before or after it.
pub struct Global;

impl SettingList for Global {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] = GLOBAL;
    const GLOBAL: bool = true;
}

/// The global options, in `--help`'s order.
pub static GLOBAL: &[&dyn crate::model::setting::Declared] = &[&VERBOSE, &LOG, &QUIET, &COLOR];

/// `-v`: more detail in what is printed, once per `v`.
pub static VERBOSE: crate::model::setting::Setting<u8> = crate::model::setting::Setting {
    key: "verbose",
    flag: "--verbose",
    short: Some('v'),
    repeat: Repeat::Once,
    env: "CAMSCAN_VERBOSE",
    value_name: crate::model::setting::COUNT,
    help: "More detail in what is printed: the scan's table with one row per stream and every \
           fact (codec, server, login, what the PLAY check measured, every error). Logs are \
           --log's",
    default: 0,
    choices: None,
    parse: |t| crate::model::setting::count(t, 0),
};

/// `--log`: what is logged on stderr (`cmds::logging`).
pub static LOG: crate::model::setting::Setting<Option<String>> = crate::model::setting::Setting {
    key: "log",
    flag: "--log",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_LOG",
    value_name: "LEVEL|FILTER",
    help: "Logs on stderr: a level (error, warn, info, debug, trace) or a filter \
           (`camscan=debug,retina=warn`) [default: warn; RUST_LOG is read too]",
    default: None,
    choices: None,
    parse: crate::model::setting::text,
};

/// `-q`: only errors on stderr.
pub static QUIET: crate::model::setting::Setting<bool> = crate::model::setting::Setting {
    key: "quiet",
    flag: "--quiet",
    short: Some('q'),
    repeat: Repeat::Once,
    env: "CAMSCAN_QUIET",
    value_name: crate::model::setting::SWITCH,
    help: "Only errors on stderr: no plan, progress, summary or warnings (logs only as --log \
           asks)",
    default: false,
    choices: None,
    parse: crate::model::setting::switch,
};

/// `--color`: when to use colours (the config file's `color:` is the scan's, below the flag).
pub static COLOR: crate::model::setting::Setting<Option<ColorChoice>> =
    crate::model::setting::Setting {
        key: "color",
        flag: "--color",
        short: None,
        repeat: Repeat::Once,
        env: "CAMSCAN_COLOR",
        value_name: "COLOR",
        help: "When to use colours in the table and logs [default: auto; NO_COLOR and TERM=dumb \
               turn auto off]",
        default: None,
        choices: Some(crate::model::choice::named::<ColorChoice>),
        parse: crate::model::choice::some::<ColorChoice>,
    };

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan targets (or, with none, the attached private subnets) for cameras and streams.
    Scan(Box<ScanArgs>),
    /// List this machine's IPv4 interfaces and which subnets a scan without targets would cover.
    /// Sends nothing.
    Interfaces(InterfacesArgs),
    /// Write a report `camscan scan -f json` wrote in another output format (the table at this
    /// terminal's width, CSV, go2rtc, ...) without scanning again. Sends nothing.
    Convert(Box<ConvertArgs>),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    Completions(CompletionsArgs),
    /// Print the manual (roff) on stdout: `camscan man | man -l -`; or, with --dir, write its
    /// pages (camscan.1 and one camscan-COMMAND.1 per command, which camscan.1 refers to) into
    /// a directory of the manual: `camscan man --dir /usr/local/share/man/man1`.
    Man(ManArgs),
    /// List the knowledge a scan uses (vendors, HTTP signatures and probes, RTSP/HTTP paths, RTMP
    /// names, OUIs) and where each entry comes from: built in, or a user's knowledge file. Sends
    /// nothing.
    Signatures(SignaturesArgs),
    /// The devices the inventory knows, with state, first and last seen, address, vendor/model and
    /// streams (up/total). Exit 0 when some are listed, 1 when none, 2 on error.
    Devices(DevicesArgs),
    /// Everything the inventory knows about one device (id, address or MAC): addresses, identity,
    /// ports, streams and events. Exit 0, or 1 when the device is unknown.
    Show(ShowArgs),
    /// The inventory's events (device new/offline/online, address, firmware, ports, streams),
    /// newest first. Exit 0 when some are listed, 1 when none.
    History(HistoryArgs),
    /// What changed between two recorded scans (default: the last two complete ones): devices,
    /// ports and streams added, removed and changed, as nmap's ndiff shows it. Exit 0 when nothing
    /// changed, 1 when something did, 2 on error.
    Diff(DiffArgs),
    /// The recorded scans, newest first: when, complete or interrupted, targets, devices seen.
    Scans(ScansArgs),
    /// Remove one device (id, address or MAC) and everything recorded about it from the inventory.
    /// Exit 0, or 1 when the device is unknown.
    Forget(ForgetArgs),
    /// Remove scans, events, offline devices and resolved audit findings older than a given age,
    /// to keep the file bounded.
    Prune(PruneArgs),
    /// Copy the inventory (an SQLite file) to a new file while it is in use: SQLite's own
    /// VACUUM INTO, one consistent moment of it beside a running watch or serve, never half a
    /// write (a plain cp of a database being written may be). The copy is checked by SQLite and
    /// made 0600; an existing file is never overwritten; the credential key is not copied.
    Backup(BackupArgs),
    /// Scan on a schedule, check known streams between scans, and send the inventory's events
    /// (device new/offline/online, stream down/up, ...) to stdout as NDJSON, webhooks, commands
    /// or MQTT, none lost. Runs until SIGINT/SIGTERM (exit 130/143); SIGHUP reloads --config.
    Watch(Box<WatchArgs>),
    /// Serve the inventory over HTTP: a read-only REST API under /api/v1 (devices, streams,
    /// events, scans, diff, an OpenAPI document) and the events live as Server-Sent Events.
    /// Beyond loopback it asks for a token (--print-token); HTTPS with --tls-cert/--tls-key.
    /// Runs until SIGINT/SIGTERM (exit 130/143).
    Serve(Box<ServeArgs>),
    /// Check why a scan may miss things: privileges for raw ARP, interfaces and the subnets a
    /// scan without targets covers, multicast routes, the open-file limit, ffprobe, the config
    /// file, the inventory (read-only), the credential key's and the serve token's permissions
    /// and each notification sink. One line per check, pass / warn / fail with the fix. Sends
    /// nothing but a TCP connect to each configured webhook/MQTT sink. Exit 0 when nothing
    /// fails, 1 when something does.
    Doctor(DoctorArgs),
    /// Judge the installation: scan (or, with --from-db, read the inventory without sending
    /// anything) and report security findings, each with a stable id, severity, evidence, fix and
    /// source; with --expect, compare it with a plan (ok / missing / mismatch / unexpected). Read
    /// only: nothing on any device is changed. Exit as scan does (0 found, 1 nothing, 2 error,
    /// 130/143 interrupted), or 4 with --fail-on when a finding at or above it exists.
    Audit(Box<AuditArgs>),
    /// The fleet's hub, run with its owner's login (--db postgres://OWNER@HUB/DB): add a site and
    /// a login of its own for its agent, which PostgreSQL's row-level security holds to that
    /// site's rows; list the sites; give a site's login a new password; forget a site's rows (a
    /// new inventory may then take its name); remove a site and its login.
    Hub(HubArgs),
    /// Push the inventory's cameras into a running tool ([`PUSH_ABOUT`], its tools written out
    /// from the push tool registry).
    #[command(
        about = crate::push::tools::expand_help(PUSH_ABOUT).into_owned(),
        long_about = crate::push::tools::expand_help(PUSH_ABOUT).into_owned()
    )]
    Push(Box<PushArgs>),
}

/// `camscan push`'s summary; the tools' names come from the push tool registry
/// ([`crate::push::tools::expand_help`]).
const PUSH_ABOUT: &str = "Push the inventory's cameras into a running {push tools} through its \
    API: plan (add, update, keep, or leave a person's entry alone), apply one camera at a time, \
    read back and verify. --dry-run prints the plan only. Nothing camscan did not write is \
    changed, and nothing is deleted without --prune. Exit 0 when all was taken and verified, 1 \
    when something was refused or did not verify, 2 when the tool cannot be reached.";

/// The completion script for `shell`, generated from these definitions (so it cannot drift).
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    use clap::CommandFactory;
    clap_complete::generate(shell, &mut Cli::command(), "camscan", out);
}

/// The manual page (roff): the top-level page with each subcommand's page after it, every flag
/// with its help, environment variable and default.
pub fn man_page(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for (_, page) in man_pages()? {
        out.write_all(&page)?;
    }
    Ok(())
}

/// `camscan man`'s arguments.
#[derive(Debug, clap::Args, Default)]
pub struct ManArgs {
    /// `--dir`.
    #[command(flatten)]
    pub settings: SettingArgs<Man>,
}

/// `camscan man`'s settings.
pub struct Man;

impl SettingList for Man {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] = &[&MAN_DIR];
}

/// `man --dir`: the manual's pages written there, one file each.
pub static MAN_DIR: crate::model::setting::Setting<Option<std::path::PathBuf>> =
    crate::model::setting::Setting {
        key: "dir",
        flag: "--dir",
        short: None,
        repeat: Repeat::Once,
        env: "",
        value_name: "DIR",
        help: "Write each page as its own file in DIR (`camscan.1`, `camscan-scan.1`, ...), the \
               pages `camscan.1` refers to, instead of the whole manual on stdout",
        default: None,
        choices: None,
        parse: crate::model::setting::path,
    };

/// The manual's pages, each with its file name: `camscan.1`, then `camscan-COMMAND.1` for each
/// command (the pages `camscan.1`'s SUBCOMMANDS refer to).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    // Built, so the `help` command camscan.1 lists is there too.
    cmd.build();
    let mut pages = Vec::new();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    pages.push(("camscan.1".to_string(), page));
    for sub in cmd.get_subcommands() {
        let name = format!("camscan-{}", sub.get_name());
        let mut page = Vec::new();
        let command = sub
            .clone()
            .display_name(name.clone())
            .bin_name(name.clone());
        clap_mangen::Man::new(command).render(&mut page)?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_choices() {
        assert!(ColorChoice::Always.enabled(false));
        assert!(!ColorChoice::Never.enabled(true));
        assert!(!ColorChoice::Auto.enabled(false));
    }
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
                    restream.get(&crate::export::frigate::RESTREAM)
                ),
                (want, true),
                "{flag}"
            );
        }
    }
}
