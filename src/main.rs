//! camscan's entry point: parse the command line, set up logging, build the runtime, run, exit.
//! The only `process::exit` in the program.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use camscan::app::{self, exit};
use camscan::cli::{Cli, Command, ListFormat, SignaturesArgs};
use camscan::config::{FileConfig, ScanConfig};
use camscan::{inventory, knowledge};

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors: clap prints them and exits 2
    init_logging(&cli);
    let args = match &cli.command {
        Command::Scan(args) => args,
        Command::Interfaces(args) => {
            return match app::interfaces(args) {
                Ok(code) => ExitCode::from(code),
                Err(e) => fail(&e),
            };
        }
        Command::Completions(args) => {
            camscan::cli::completions(args.shell, &mut std::io::stdout().lock());
            return ExitCode::SUCCESS;
        }
        Command::Signatures(args) => return signatures(args),
        Command::Devices(args) => return done(inventory::devices(args)),
        Command::Show(args) => return done(inventory::show(args)),
        Command::History(args) => return done(inventory::history(args)),
        Command::Diff(args) => return done(inventory::diff(args)),
        Command::Scans(args) => return done(inventory::scans(args)),
        Command::Forget(args) => return done(inventory::forget(args)),
        Command::Prune(args) => return done(inventory::prune(args)),
        Command::Watch(args) => return watch(args, &cli),
        Command::Serve(args) => return serve(args),
        Command::Doctor(args) => return done(camscan::doctor::run(args, cli.color)),
        Command::Man => {
            return match camscan::cli::man_page(&mut std::io::stdout().lock()) {
                Ok(()) => ExitCode::SUCCESS,
                // A closed pipe (`camscan man | head`) is no error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(source) => fail(&camscan::error::Error::WriteOutput {
                    path: "stdout".into(),
                    source,
                }),
            };
        }
    };
    let cfg = args
        .config
        .as_deref()
        .map(FileConfig::load)
        .transpose()
        .and_then(|file| {
            let password = args.username.as_ref().and_then(|user| password_for(user));
            ScanConfig::resolve_with_password(
                args,
                &file.unwrap_or_default(),
                cli.color,
                password.as_deref(),
            )
        });
    let mut cfg = match cfg {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    // -v also asks for the detailed table (one row per stream).
    cfg.detail = cli.verbose > 0;
    let runtime = match knowledge_and_runtime(&cfg) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let result = runtime.block_on(app::run(cfg, cli.quiet));
    // Tasks still running after an interrupt are cancelled, not awaited.
    runtime.shutdown_timeout(Duration::from_millis(200));
    done(result)
}

/// `camscan watch`: the scan configuration as `camscan scan` resolves it, and watch's own.
fn watch(args: &camscan::cli::WatchArgs, cli: &Cli) -> ExitCode {
    let color = cli.color;
    let password = args
        .scan
        .username
        .as_ref()
        .and_then(|user| password_for(user));
    let resolve = move |args: &camscan::cli::WatchArgs| {
        let file = args
            .scan
            .config
            .as_deref()
            .map(FileConfig::load)
            .transpose()
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let cfg = ScanConfig::resolve_with_password(&args.scan, &file, color, password.as_deref())
            .map_err(|e| e.to_string())?;
        let w =
            camscan::watch::WatchConfig::resolve(args, &file.watch.clone().unwrap_or_default())?;
        Ok::<_, String>((cfg, w))
    };
    let (cfg, w) = match resolve(args) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let runtime = match knowledge_and_runtime(&cfg) {
        Ok(r) => r,
        Err(code) => return code,
    };
    // SIGHUP: the same arguments resolved again (the configuration file re-read).
    let reload_args = Cli::parse();
    let reload: camscan::watch::Reload = Box::new(move || match &reload_args.command {
        Command::Watch(a) => resolve(a),
        _ => Err("not watch".into()),
    });
    let result = runtime.block_on(camscan::watch::run(cfg, w, reload));
    runtime.shutdown_timeout(Duration::from_millis(200));
    done(result)
}

/// `camscan serve`: the inventory over HTTP until SIGINT/SIGTERM.
fn serve(args: &camscan::cli::ServeArgs) -> ExitCode {
    if args.print_token {
        return done(camscan::serve::print_token(args).map(|token| {
            // A closed stdout is not an error worth more than the exit code.
            let ok = writeln!(std::io::stdout().lock(), "{token}").is_ok();
            if ok { exit::FOUND } else { exit::ERROR }
        }));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&camscan::error::Error::Runtime(e)),
    };
    let result = runtime.block_on(camscan::serve::run(args));
    runtime.shutdown_timeout(Duration::from_millis(200));
    done(result)
}

/// Install the user's knowledge files (a bad one stops the command here, before anything is
/// sent) and build the runtime a scan runs on.
fn knowledge_and_runtime(cfg: &ScanConfig) -> Result<tokio::runtime::Runtime, ExitCode> {
    match knowledge::load(&cfg.signatures, knowledge::user_dir().as_deref()) {
        // The first and only install of this process, so it is never refused.
        Ok(k) => {
            knowledge::install(k);
        }
        Err(e) => return Err(fail(&e)),
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // A port's analysis is one deep future (detection, then a protocol's readers); tokio's
        // 2 MiB default left little room in debug builds. Address space only, not memory used.
        .thread_stack_size(8 * 1024 * 1024)
        .build()
        .map_err(|e| fail(&camscan::error::Error::Runtime(e)))
}

/// The exit code of a command, or its error as one line on stderr and exit code 2.
fn done<E: std::fmt::Display>(result: Result<u8, E>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => fail(&e),
    }
}

/// `camscan signatures`: the knowledge set a scan with the same files would use, and where each
/// entry comes from.
fn signatures(args: &SignaturesArgs) -> ExitCode {
    let file = match args.config.as_deref().map(FileConfig::load).transpose() {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => return fail(&e),
    };
    let files = camscan::config::signature_files(&args.signatures, &file);
    let k = match knowledge::load(&files, knowledge::user_dir().as_deref()) {
        Ok(k) => k,
        Err(e) => return fail(&e),
    };
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        ListFormat::Table => knowledge::listing::write_table(&k, args.kind, &mut out),
        ListFormat::Json => knowledge::listing::write_json(&k, args.kind, &mut out),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(source) => fail(&camscan::error::Error::WriteOutput {
            path: "stdout".into(),
            source,
        }),
    }
}

/// The password for `--username`: CAMSCAN_PASSWORD, else a prompt when stdin is a terminal (never argv).
fn password_for(user: &str) -> Option<String> {
    if let Ok(p) = std::env::var("CAMSCAN_PASSWORD") {
        return Some(p);
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return rpassword::prompt_password(format!("camscan: password for {user}: ")).ok();
    }
    None
}

/// One clear line on stderr, exit code 2.
#[allow(clippy::print_stderr)]
fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("camscan: error: {e}");
    ExitCode::from(exit::ERROR)
}

/// Logs go to stderr only. `CAMSCAN_LOG` (or `RUST_LOG`) takes a filter such as `debug` or
/// `camscan=debug,retina=warn`; otherwise -v/-q pick the level (warnings by default).
fn init_logging(cli: &Cli) {
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
                .with_writer(std::io::stderr)
                .with_ansi(app::log_color(cli.color))
                .with_target(cli.verbose > 1),
        )
        .with(filter)
        .try_init();
}
