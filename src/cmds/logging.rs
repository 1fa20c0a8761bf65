//! Logging: to stderr only (stdout holds results), at the level `--log` (or `CAMSCAN_LOG`,
//! `RUST_LOG`) asks for, warnings by default, errors only with `-q`; in colour when stderr is a
//! terminal (or `--color` says so) - decided before the config file is read. `-v` is detail in
//! the results, never logs.

use std::io::IsTerminal;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use super::Cli;
use crate::cli::ColorChoice;

/// Logs go to stderr only. `--log` (`CAMSCAN_LOG`, else `RUST_LOG`) takes a level or a filter
/// such as `camscan=debug,retina=warn`; otherwise warnings, and errors only with `-q`.
pub fn init(cli: &Cli) {
    let asked = cli
        .log()
        .or_else(|| cli.env.var("RUST_LOG").map(str::to_string))
        .filter(|v| !v.trim().is_empty());
    let quiet = if cli.quiet() {
        LevelFilter::ERROR
    } else {
        LevelFilter::WARN
    };
    let filter = match asked.as_deref().map(str::parse::<Targets>) {
        Some(Ok(t)) => t,
        _ => Targets::new()
            .with_default(quiet)
            // retina logs a warning for every odd camera; shown only when a filter asks for it.
            .with_target("retina", LevelFilter::ERROR),
    };
    // A bare level asks for camscan's detail, not retina's warning on every odd camera.
    let filter = match asked.as_deref().map(str::trim) {
        Some(level) if level.parse::<LevelFilter>().is_ok() && !level.contains('=') => {
            let level: LevelFilter = level.parse().unwrap_or(LevelFilter::WARN);
            let retina = if level >= LevelFilter::DEBUG {
                level
            } else {
                LevelFilter::ERROR
            };
            Targets::new()
                .with_default(level)
                .with_target("retina", retina)
        }
        _ => filter,
    };
    let detail = filter
        .default_level()
        .is_some_and(|l| l >= LevelFilter::DEBUG);
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(|| Stderr)
                .with_ansi(log_color(cli.color(), &cli.env))
                .with_target(detail),
        )
        .with(filter)
        .try_init();
}

/// stderr, written around a progress bar being drawn ([`crate::scan::output::around_progress`]).
struct Stderr;

impl std::io::Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::scan::output::around_progress(|| std::io::stderr().write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        crate::scan::output::around_progress(|| std::io::stderr().write_all(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Whether logs are in colour: `--color`, else whether stderr is a terminal.
fn log_color(choice: Option<ColorChoice>, env: &input::environment::Environment) -> bool {
    choice
        .unwrap_or_default()
        .in_env(env)
        .enabled(std::io::stderr().is_terminal())
}
