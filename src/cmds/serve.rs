//! `camscan serve`: the inventory over HTTP until SIGINT/SIGTERM; `--print-token` prints the
//! server's token and exits. With a schedule the watcher runs inside it, with `--hub` the fleet's
//! agent beside it: this plugs both in ([`crate::serve::Parts`]).

use std::io::Write as _;

use crate::cli::{ServeArgs, WatchArgs};
use crate::config::WatchFile;
use crate::error::exit;
use crate::record::CommandError;
use crate::serve::{Parts, Watcher};
use crate::watch::WatchConfig;

pub(super) fn run(args: &ServeArgs) -> Result<u8, CommandError> {
    if args.print_token {
        let token = crate::serve::print_token(args)?;
        // A closed stdout is not an error worth more than the exit code.
        let ok = writeln!(std::io::stdout().lock(), "{token}").is_ok();
        return Ok(if ok { exit::FOUND } else { exit::ERROR });
    }
    super::block_on(super::runtime()?, crate::serve::run(args, parts()))
}

/// The watcher and the fleet's agent, as serve runs them.
fn parts() -> Parts {
    Parts {
        watcher,
        agent: super::agent::start,
        // The agent's own bound on a requested scan's end, and its last push.
        agent_wait: crate::fleet::STOP_WAIT * 2,
    }
}

/// The watcher inside serve: `watch`'s own configuration resolved from serve's schedule flags
/// and the file's `watch:` section, run embedded (no signals, no metrics endpoint of its own).
fn watcher(args: &WatchArgs, file: &WatchFile) -> Result<Watcher, String> {
    let w = WatchConfig::resolve(args, file)?;
    Ok(Box::new(move |cfg, host| {
        Box::pin(crate::watch::run_embedded(cfg, w, host))
    }))
}
