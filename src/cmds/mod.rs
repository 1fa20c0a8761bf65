//! The command layer: one module per subcommand, each taking its parsed arguments
//! ([`crate::cli`]) and returning the exit code, as moonfire-nvr's `cmds/<subcommand>`.
//!
//! A command module is a shell around the layers below it: it resolves its settings once
//! ([`crate::cli::settings`]: the arguments and the config file, read once, into typed settings;
//! `cli::settings::scan::load_scan_config` for every command that scans), installs the knowledge
//! files, builds the runtime and calls the pipeline ([`crate::scan`]), the inventory
//! ([`crate::record`], [`crate::store`]) or a long-running part ([`crate::watch`],
//! [`crate::serve`], [`crate::doctor`]). Those parts are siblings that name none of each other:
//! what runs together is composed here (`serve`'s watcher and the fleet's agent beside `watch` or
//! `serve`, in `serve.rs`, `watch.rs` and `agent.rs`). Nothing below names this module
//! (`scripts/module-cycles` checks); `main` calls [`run`] and is the only place that exits.
//!
//! The arguments stay in [`crate::cli`], one file per command's: the settings resolve from them
//! there, and the clap definitions are the single source of `--help`, `camscan man` and the CLI
//! reference. Nothing below this module and `cli` names an argument type.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::error::{Error, exit};
use crate::record::CommandError;

mod agent;
mod audit;
mod audit_record;
mod backup;
mod completions;
mod convert;
mod devices;
mod diff;
mod doctor;
mod forget;
mod history;
mod hub;
mod interfaces;
pub mod logging;
mod man;
mod prune;
mod push;
mod query;
mod scan;
mod scans;
mod serve;
mod show;
mod signatures;
mod watch;

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
fn stdout_width(given: Option<u16>, env: &crate::model::environment::Environment) -> Option<u16> {
    crate::scan::output::table_width(
        given.or(env.columns()),
        terminal_size::terminal_size_of(io::stdout()).map(|(w, _)| w.0),
    )
}
