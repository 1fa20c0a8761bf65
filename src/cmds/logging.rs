//! Logging: to stderr only (stdout holds results), at the level -v/-q or `CAMSCAN_LOG` asks for,
//! in colour when stderr is a terminal (or `--color` says so) - decided before the config file is
//! read.

use std::io::IsTerminal;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::cli::{Cli, ColorChoice};

/// Logs go to stderr only. `CAMSCAN_LOG` (or `RUST_LOG`) takes a filter such as `debug` or
/// `camscan=debug,retina=warn`; otherwise -v/-q pick the level (warnings by default).
pub fn init(cli: &Cli) {
    let level = if cli.quiet {
        LevelFilter::ERROR
    } else {
        match cli.verbose {
            0 => LevelFilter::WARN,
            1 => LevelFilter::INFO,
            2 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        }
    };
    let from_env = ["CAMSCAN_LOG", "RUST_LOG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.trim().is_empty());
    let filter = match from_env.as_deref().map(str::parse::<Targets>) {
        Some(Ok(t)) => t,
        _ => Targets::new()
            .with_default(level)
            // retina logs a warning for every odd camera; show it only when asked for detail.
            .with_target(
                "retina",
                if cli.verbose > 1 {
                    level
                } else {
                    LevelFilter::ERROR
                },
            ),
    };
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(|| Stderr)
                .with_ansi(log_color(cli.color))
                .with_target(cli.verbose > 1),
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
fn log_color(choice: Option<ColorChoice>) -> bool {
    choice
        .unwrap_or_default()
        .enabled(std::io::stderr().is_terminal())
}
