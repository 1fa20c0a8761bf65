//! `camscan serve`: the inventory over HTTP until SIGINT/SIGTERM; `--print-token` prints the
//! server's token and exits. With a schedule the watcher runs inside it, with `--hub` the fleet's
//! agent beside it: this plugs both in ([`crate::serve::Parts`]).

use std::io::Write as _;

use crate::record::CommandError;
use crate::serve::{Parts, Watcher};
use crate::watch::WatchConfig;
use error::exit;

mod resolve;

pub use resolve::*;

/// serve's own settings ([`crate::serve::SETTINGS`]).
pub struct Serve;

impl crate::cli::SettingList for Serve {
    const LIST: &'static [&'static dyn input::setting::Declared] = crate::serve::SETTINGS;
    const HELP: &'static [(&'static str, &'static str)] = &[
        ("credentials_file", crate::serve::CREDENTIALS_HELP),
        ("hub", crate::serve::HUB_HELP),
    ];
}

/// The settings serve takes from others, each declared once: the watcher's schedule and stream
/// checks (watch's, without their variables: `CAMSCAN_EVERY` is watch's) and the "Add to"
/// buttons' tools (the push's `--push TOOL=URL`), with serve's own help lines.
pub struct ServeWatcher;

impl crate::cli::SettingList for ServeWatcher {
    const LIST: &'static [&'static dyn input::setting::Declared] = &[
        &crate::watch::settings::EVERY,
        &crate::watch::settings::CRON,
        &crate::watch::settings::CHECK_STREAMS,
        &crate::push::settings::SCAN_PUSH,
    ];
    const HELP: &'static [(&'static str, &'static str)] = &[
        ("every", crate::serve::EVERY_HELP),
        ("cron", crate::serve::CRON_HELP),
        ("check_streams", crate::serve::CHECK_STREAMS_HELP),
        ("push", crate::serve::PUSH_HELP),
    ];
    const NO_ENV: &'static [&'static str] = &["every", "cron", "check_streams"];
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: super::inventory::DbArgs,
    /// `--listen`, `--auth`, `--print-token`, ... `--hub-password-file`.
    #[command(flatten)]
    pub settings: crate::cli::SettingArgs<Serve>,
    /// `--every`, `--cron`, `--check-streams` (watch's) and `--push` (the push's).
    #[command(flatten)]
    pub watcher: crate::cli::SettingArgs<ServeWatcher>,
    #[command(flatten)]
    pub format_options: super::scan::FormatOptionArgs,
    #[command(flatten)]
    pub push_options: super::push::PushOptionArgs,
}

pub(super) fn run(args: &ServeArgs, process: &crate::cli::Process) -> Result<u8, CommandError> {
    if args.settings.values()?.get(&crate::serve::PRINT_TOKEN) {
        let token = crate::serve::print_token(&serve_inventory(args, process)?)?;
        // A closed stdout is not an error worth more than the exit code.
        let ok = writeln!(std::io::stdout().lock(), "{token}").is_ok();
        return Ok(if ok { exit::FOUND } else { exit::ERROR });
    }
    let (settings, watch) = serve(args, process)?;
    super::block_on(
        super::runtime()?,
        crate::serve::run(&settings, parts(watch)),
    )
}

/// The watcher and the fleet's agent, as serve runs them.
fn parts(watch: Option<WatchConfig>) -> Parts {
    Parts {
        watcher: watch.map(watcher),
        agent: super::agent::start,
        // The agent's own bound on a requested scan's end, and its last push.
        agent_wait: crate::fleet::STOP_WAIT * 2,
    }
}

/// The watcher inside serve: `watch`'s own configuration, run embedded (no signals, no metrics
/// endpoint of its own).
fn watcher(w: WatchConfig) -> Watcher {
    Box::new(move |cfg, host| Box::pin(crate::watch::run_embedded(cfg, w, host)))
}
