//! The commands besides the scan pipeline ([`crate::scan`]): `camscan scan` with its inventory
//! ([`run`]), `camscan interfaces`, and the colour of logs.

use std::io::{self, IsTerminal, Write};

use crate::cli::{ColorChoice, InterfacesArgs, InterfacesFormat};
use crate::config::ScanConfig;
use crate::error::Error;
use crate::inventory::{self, CommandError};

pub use crate::error::exit;

/// `camscan scan`: open the inventory (before anything is sent: a bad, locked or newer file stops
/// here) and read what it knows of the targets, scan (trying that first) and write the report (stdout or `-o`), then record the scan and, unless `quiet`,
/// say on stderr what changed since the last complete scan of the same targets. A failure to
/// record comes after the results were written, and still exits 2. Returns the exit code.
pub async fn run(cfg: ScanConfig, quiet: bool) -> Result<u8, CommandError> {
    let mut store = inventory::open_for_scan(&cfg)?;
    let known = inventory::known(store.as_ref(), &cfg)?;
    let dns = inventory::dns_answers(store.as_ref(), &cfg)?;
    let scanned = crate::scan::run(&cfg, !quiet, known, dns).await?;
    if let Some(store) = store.as_mut() {
        store
            .record_dns(&scanned.dns)
            .map_err(CommandError::Record)?;
        let summary =
            inventory::record(store, &cfg, &scanned.report).map_err(CommandError::Record)?;
        if let (Some(summary), false) = (summary, quiet) {
            inventory::print_summary(&summary);
        }
    }
    Ok(scanned.exit_code())
}

/// `camscan interfaces`: print the interfaces and the scan plan. Sends nothing.
#[allow(clippy::print_stdout)]
pub fn interfaces(args: &InterfacesArgs) -> Result<u8, Error> {
    let nets = crate::net::interfaces::list().map_err(Error::Interfaces)?;
    let plan = crate::net::interfaces::plan(nets, args.interface.as_deref(), args.allow_large);
    let mut out = io::stdout().lock();
    let written = if args.format == InterfacesFormat::Json {
        serde_json::to_writer_pretty(&mut out, &plan)
            .map_err(io::Error::from)
            .and_then(|_| writeln!(out))
    } else {
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.set_header(["Interface", "Address", "Subnet", "MAC", "Scan", "Why not"]);
        for n in &plan {
            t.add_row(vec![
                n.interface.clone(),
                format!("{}/{}", n.ip, n.prefix),
                n.cidr(),
                n.mac.clone().unwrap_or_default(),
                if n.scan { "yes".into() } else { "no".into() },
                n.reason.clone().unwrap_or_default(),
            ]);
        }
        writeln!(out, "{t}")
    };
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(exit::FOUND),
        Err(source) => Err(Error::WriteOutput {
            path: "<stdout>".into(),
            source,
        }),
        Ok(()) => Ok(if plan.iter().any(|n| n.scan) {
            exit::FOUND
        } else {
            exit::NOTHING
        }),
    }
}

/// Used by `main` to decide colour of logs before the config file is read.
pub fn log_color(choice: Option<ColorChoice>) -> bool {
    choice
        .unwrap_or_default()
        .enabled(io::stderr().is_terminal())
}
