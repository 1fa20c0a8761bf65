//! `camscan scan`: resolve the configuration, open the inventory (before anything is sent: a
//! bad, locked or newer file stops here) and read what it knows of the targets, scan (trying
//! that first), write the report (stdout or `-o`), then record the scan and, unless `--quiet`,
//! say on stderr what changed since the last complete scan of the same targets. A failure to
//! record comes after the results were written, and still exits 2. Its arguments are `args`'s,
//! their resolution `resolve`'s (shared by every command that scans: `watch`, `serve`, `audit`,
//! `doctor`).

use std::io::Write as _;

mod args;
mod resolve;

pub use args::*;
pub use resolve::*;

use super::Cli;
use crate::record::ScanJob;
use crate::record::{self, CommandError, Summary};
use error::Error;

pub(super) fn run(args: &ScanArgs, cli: &Cli) -> Result<u8, CommandError> {
    let ScanCommand { cfg, pushes } = resolve::resolve(args, cli)?;
    let runtime = knowledge_and_runtime(&cfg)?;
    super::block_on(runtime, async {
        let code = scan_and_record(cfg.clone(), cli.quiet()).await?;
        if pushes.is_empty() || code == error::exit::SIGINT || code == error::exit::SIGTERM {
            return Ok(code);
        }
        let Some(inventory) = &cfg.db else {
            return Err(CommandError::Usage(
                "--push pushes from the inventory: drop --no-db".into(),
            ));
        };
        let mut store = record::open_existing(inventory)?;
        let pushed = super::push::after_scan(&mut store, &pushes).await;
        Ok(if pushed { code } else { error::exit::ERROR })
    })
}

/// The worker stack of a runtime that runs scans: a port's analysis is one deep future
/// (detection, then a protocol's readers, inside the host gate's scope); tokio's 2 MiB default
/// left little room in debug builds. Address space only, not memory used.
pub(super) const SCAN_STACK: usize = 8 * 1024 * 1024;

/// Install the user's knowledge files (a bad one stops the command here, before anything is
/// sent) and build the runtime a scan runs on.
pub(super) fn knowledge_and_runtime(cfg: &ScanJob) -> Result<tokio::runtime::Runtime, Error> {
    let k = knowledge::load(&cfg.signatures, cfg.knowledge_dir.as_deref())?;
    // The first and only install of this process, so it is never refused.
    knowledge::install(k);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(SCAN_STACK)
        .build()
        .map_err(Error::Runtime)
}

/// The scan between the inventory's two visits: read what it knows, scan, record. Returns the
/// exit code.
async fn scan_and_record(cfg: ScanJob, quiet: bool) -> Result<u8, CommandError> {
    scan_recorded(&cfg, quiet, true, async |_, _| {})
        .await
        .map(|s| s.exit_code())
}

/// [`scan_and_record`]'s scan, its report written (`write`, as `camscan scan` does) or only
/// returned (`camscan audit` judges it and writes its own); `enrich` adds to the report what
/// the caller asks of the devices found before it is recorded (audit's SNMP question). The
/// steps and their order are [`record::run_scan`]'s; this command's own are around it: the inventory
/// opened before anything is sent, the summary said on stderr, the hub sent what it lacks.
pub(super) async fn scan_recorded(
    cfg: &ScanJob,
    quiet: bool,
    write: bool,
    enrich: impl AsyncFnOnce(&mut model::Report, &analyze::context::AuthSettings),
) -> Result<crate::scan::Scanned, CommandError> {
    if cfg.hub.is_some() && cfg.db.is_none() {
        return Err(CommandError::Usage(
            "--hub sends this site's inventory to the hub: drop --no-db".into(),
        ));
    }
    let store = record::open_for_scan(cfg)?.map(store::SharedStore::new);
    let output = match (write, quiet) {
        (true, _) => record::Output::Write { progress: !quiet },
        (false, true) => record::Output::Return(crate::scan::Progress::Quiet),
        (false, false) => record::Output::Return(crate::scan::Progress::Bar),
    };
    let (scanned, recorded) = record::run_scan(cfg, store.as_ref(), output, enrich)
        .await
        .map_err(not_recorded)?;
    if let (Some(store), Some(recorded)) = (&store, recorded) {
        if let (Some(summary), false) = (recorded.summary, quiet) {
            print_summary(&summary);
        }
        if let Some(hub) = &cfg.hub {
            send_to_hub(&store.lock(), hub)?;
        }
    }
    Ok(scanned)
}

/// An inventory that fails around this command's scan (reading what it knows, beginning the
/// scan's row, recording its end) is said as one whose results were written but not recorded
/// ([`CommandError::Record`]); the scan's own errors are left as they are.
fn not_recorded(e: CommandError) -> CommandError {
    match e {
        CommandError::Store(e) => CommandError::Record(e),
        e => e,
    }
}

/// `scan --hub`: send what the hub lacks of this site (this scan, and anything an earlier run
/// could not send). A hub that cannot be reached is a warning: the results are in this site's
/// inventory, and the next `scan --hub` or `watch --hub` sends them. A hub that refuses this site
/// is the command's error (exit 5); the results stay in this site's inventory.
fn send_to_hub(store: &store::Store, hub: &crate::fleet::HubConfig) -> Result<(), CommandError> {
    let shown = crate::fleet::hub_display(hub);
    let sent = match crate::fleet::open_hub(hub) {
        Ok(mut hub_store) => match crate::fleet::push(store, &mut hub_store, &hub.site) {
            Err(store::StoreError::SiteRefused { detail, .. }) => {
                return Err(CommandError::HubRefused(detail));
            }
            pushed => pushed.map_err(|e| e.to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    match sent {
        Ok(p) => tracing::info!(
            hub = %shown,
            site = %hub.site,
            scans = p.scans,
            devices = p.devices,
            events = p.events,
            checks = p.checks,
            "sent to the hub"
        ),
        Err(e) => tracing::warn!(
            hub = %shown,
            "not sent to the hub ({e}); kept in this site's inventory, the next scan --hub or \
             watch --hub sends it"
        ),
    }
    Ok(())
}

/// The summary line on stderr (stdout holds the results): one line, nothing to say = nothing.
fn print_summary(summary: &Summary) {
    let _ = writeln!(std::io::stderr().lock(), "{summary}");
}
