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
    let filter = match asked.as_deref().map(|a| with_crates(a).parse::<Targets>()) {
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

/// The workspace's crates below this one (`crates/`): their log lines' targets are their library
/// names (`net::rtsp`, `registry`), not `camscan::…`.
const CRATES: &[&str] = &[
    "analyze",
    "credentials",
    "detect",
    "error",
    "export",
    "input",
    "knowledge",
    "model",
    "net",
    "proto",
    "registry",
    "sanitize",
    "store",
    "table_writer",
    "timing",
];

/// A `--log` filter as it was written before the crates: a `camscan` directive names the crates
/// below too (`camscan=debug` is camscan's detail, wherever its code lives), and
/// `camscan::<crate>…` is that crate's target (`camscan::registry=debug` is `registry=debug`).
fn with_crates(filter: &str) -> String {
    let mut out = Vec::new();
    for directive in filter.split(',') {
        let d = directive.trim();
        let (target, level) = d.find('=').map_or((d, ""), |i| d.split_at(i));
        let inner = target.strip_prefix("camscan::");
        if target == "camscan" {
            out.push(d.to_string());
            out.extend(CRATES.iter().map(|c| format!("{c}{level}")));
        } else if let Some(inner) =
            inner.filter(|t| CRATES.contains(&t.split("::").next().unwrap_or_default()))
        {
            out.push(format!("{inner}{level}"));
        } else {
            out.push(d.to_string());
        }
    }
    out.join(",")
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

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    #[test]
    fn a_camscan_filter_names_the_crates_below_too() {
        let asked = "warn,camscan=debug,camscan::registry=trace,retina=error";
        // As written, the crates' lines are not camscan's: their targets are their own names.
        let raw: Targets = asked.parse().unwrap();
        assert!(!raw.would_enable("net::rtsp", &Level::DEBUG));
        let t: Targets = with_crates(asked).parse().unwrap();
        assert!(t.would_enable("camscan::scan::sweep", &Level::DEBUG));
        assert!(t.would_enable("net::rtsp", &Level::DEBUG));
        assert!(t.would_enable("export::frigate", &Level::DEBUG));
        assert!(!t.would_enable("net::rtsp", &Level::TRACE));
        assert!(t.would_enable("registry", &Level::TRACE));
        assert!(!t.would_enable("retina::client", &Level::WARN));
        assert!(t.would_enable("hyper", &Level::WARN));
        assert!(!t.would_enable("hyper", &Level::INFO));
        // A filter that names no camscan target is left as it was.
        assert_eq!(with_crates("info,retina=warn"), "info,retina=warn");
    }

    /// The timing lines' filter as the guides wrote it before the timing crate
    /// (`camscan::timing=debug`) still shows them, and only them, and an analyser's as it was.
    #[test]
    fn the_timing_and_analyze_filters_of_old_name_their_crates() {
        let t: Targets = with_crates("warn,camscan::timing=debug,camscan::analyze::rtsp=debug")
            .parse()
            .unwrap();
        assert!(t.would_enable(timing::TARGET, &Level::DEBUG));
        assert!(t.would_enable("analyze::rtsp::walker", &Level::DEBUG));
        assert!(!t.would_enable("analyze::http", &Level::DEBUG));
        assert!(!t.would_enable("detect", &Level::DEBUG));
        let t: Targets = with_crates("warn,camscan=debug").parse().unwrap();
        assert!(t.would_enable(timing::TARGET, &Level::DEBUG));
        assert!(t.would_enable("detect::fingerprint", &Level::DEBUG));
    }

    /// The list is the workspace's crates (each `crates/<dir>/Cargo.toml`'s library name).
    #[test]
    fn the_crates_are_the_workspaces() {
        let dir = format!("{}/crates", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("Cargo.toml")).ok())
            .filter_map(|toml| {
                let lib = toml.split("[lib]").nth(1)?;
                let name = lib.lines().find_map(|l| l.trim().strip_prefix("name = "))?;
                Some(name.trim_matches('"').to_string())
            })
            .collect();
        names.sort();
        assert_eq!(names, CRATES);
    }
}
