//! `camscan watch`: the scan configuration as `camscan scan` resolves it, and watch's own
//! (the flags and the config file's `watch:` section); SIGHUP resolves both again.

use super::Cli;
use crate::record::CommandError;
use crate::record::ScanJob;
use crate::scan::rules::ScanRules;
use crate::watch::{Reload, StartAgent, WatchConfig};

mod resolve;

pub use resolve::*;

/// watch's own settings ([`crate::watch::settings::SETTINGS`]).
pub struct Watch;

impl crate::cli::SettingList for Watch {
    const LIST: &'static [&'static dyn input::setting::Declared] = crate::watch::settings::SETTINGS;
}

/// Where watch's events go, and the sinks' own options ([`crate::notify::SETTINGS`]).
pub struct Sinks;

impl crate::cli::SettingList for Sinks {
    const LIST: &'static [&'static dyn input::setting::Declared] = crate::notify::SETTINGS;
}

#[derive(Debug, Clone, clap::Args, Default)]
pub struct WatchArgs {
    #[command(flatten)]
    pub scan: super::scan::ScanArgs,
    /// `--every` ... `--write-then` ([`crate::watch::settings::SETTINGS`]).
    #[command(flatten)]
    pub settings: crate::cli::SettingArgs<Watch>,
    /// `--notify` and the sinks' own options (`--webhook-secret-file`, `--ha-discovery`):
    /// [`crate::notify::SETTINGS`], their list made from the sinks' registrations.
    #[command(flatten)]
    pub sinks: crate::cli::SettingArgs<Sinks>,
}

/// What the config file's `watch:` section holds ([`crate::cli::file::Keys::WATCH`]): watch's
/// own settings and the sinks'.
pub const FILE_SECTION: &[&[&dyn input::setting::Declared]] =
    &[crate::watch::settings::SECTION, crate::notify::SETTINGS];

pub(super) fn run(args: &WatchArgs, cli: &Cli) -> Result<u8, CommandError> {
    let process = cli.process();
    // Asked once: a reload reads the files again, never the terminal.
    let password = super::scan::password_for(&args.scan, &process.env);
    let resolve = move |args: &WatchArgs| -> Result<(ScanJob, WatchConfig), String> {
        watch(args, &process, password.as_deref())
    };
    let (cfg, w) = resolve(args).map_err(CommandError::Usage)?;
    let runtime = super::scan::knowledge_and_runtime(&cfg)?;
    // SIGHUP: the same arguments resolved again, the configuration file re-read (the command
    // line and the environment are the process's: what was read at the door).
    let reload_args = args.clone();
    let reload: Reload = Box::new(move || resolve(&reload_args));
    // `--hub`: the fleet's agent beside the rounds, held to watch's own targets.
    let hub_agent = cfg.hub.clone().map(|hub| {
        let cfg = cfg.clone();
        let start: StartAgent = Box::new(move |beside| {
            let rules = agent_rules(&cfg.scan)?;
            Ok(super::agent::start(hub, rules, beside))
        });
        start
    });
    super::block_on(runtime, crate::watch::run(cfg, w, reload, hub_agent))
}

/// What the scans a hub queues for this site are held to: the watch's own targets
/// (`scan::rules::own_ranges`) and credentials (`default`, `none`).
fn agent_rules(cfg: &crate::scan::ScanConfig) -> Result<ScanRules, CommandError> {
    let allow = crate::scan::rules::own_ranges(cfg)
        .map_err(|e| CommandError::Usage(format!("watch --hub: {e}")))?;
    ScanRules::new(
        cfg.clone(),
        &allow,
        ("this site's agent", "watch's targets"),
        Vec::new(),
    )
    .map_err(CommandError::Usage)
}
