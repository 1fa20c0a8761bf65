//! A scan and the inventory: opening it where the settings say ([`store::Inventory`]:
//! an SQLite file or a PostgreSQL database, told apart when the command resolved its settings),
//! what it knows of the targets before a scan (paths and credentials that worked, trusted reverse
//! DNS answers), and recording the scan after its results were written, with the summary of what
//! changed since the last complete scan of the same targets. A recorded scan's steps run in one
//! order, written once ([`run_scan`]): `camscan scan` and `audit` (`cmds::scan`), and `watch`'s
//! rounds, `serve`'s API scans and the scans a fleet hub asks of a site ([`round::scan_round`],
//! which adds the round's figures) all record through it; the commands that read the inventory
//! back are in [`crate::cmds`]. What the long-running parts share besides (a host's turn handed
//! to the task beside it, what serve shares with its watcher) is [`round`]'s too.
//!
//! Everything about SQLite and PostgreSQL stays behind [`store::Store`]; this module only
//! opens the inventory and turns a scan's configuration and report into store calls.
//! [`CommandError`] is how a command that uses the inventory fails.

mod job;
pub mod round;

pub use job::{ScanJob, default_site};

use input::environment::Environment;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use error::Error;
use model::{DiscoveryMethod, Report};
use store::{Inventory, InventoryAt};
use store::{PgTarget, Recorded, ScanInfo, ScanSummary, Store, StoreError};

/// Why an inventory command (or the recording of a scan) failed. One line each; exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Run(#[from] Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The scan ran and its results were written, but the store refused them.
    #[error("the scan's results were written but not recorded: {0}")]
    Record(StoreError),
    #[error(
        "no inventory at {}: `camscan scan` records one there (or give --db PATH)",
        path.display()
    )]
    NoInventory { path: PathBuf },
    #[error(
        "no place for the inventory: neither XDG_STATE_HOME nor HOME is set; give --db PATH (or --no-db)"
    )]
    NoLocation,
    /// A fleet hub refused this site's agent (exit [`error::exit::HUB_REFUSED`]): what
    /// it had found stays in the site's inventory.
    #[error("the hub refused this site: {0}")]
    HubRefused(String),
    /// A command's arguments do not go together (`camscan watch --no-db`, a bad sink).
    #[error("{0}")]
    Usage(String),
}

/// The inventory of a query command, which never creates the file.
pub fn open_existing(inventory: &Inventory) -> Result<Store, CommandError> {
    if let InventoryAt::File(path) = &inventory.at
        && !path.exists()
    {
        return Err(CommandError::NoInventory { path: path.clone() });
    }
    open(inventory)
}

/// [`open_existing`] for a command that reads ([`Store::open_reading`]): a `watch` writing the
/// inventory never makes it wait or fail.
pub fn open_existing_reading(inventory: &Inventory) -> Result<Store, CommandError> {
    match &inventory.at {
        InventoryAt::File(path) if !path.exists() => {
            Err(CommandError::NoInventory { path: path.clone() })
        }
        InventoryAt::File(path) => Ok(Store::open_reading(
            path,
            inventory.credential_key.as_deref(),
        )?),
        InventoryAt::Postgres(_) => open(inventory),
    }
}

/// Open `inventory` (creating and migrating an SQLite file), with its password and key files.
pub fn open(inventory: &Inventory) -> Result<Store, CommandError> {
    open_db(
        &inventory.at,
        inventory.password_file.as_deref(),
        inventory.credential_key.as_deref(),
        &inventory.env,
    )
}

/// The token file's name, in the directory of the inventory file.
pub const TOKEN_FILE: &str = "serve.token";

/// `<directory of the store file>/serve.token`; for an inventory on a PostgreSQL server, in the
/// directory of the default inventory file (`$XDG_STATE_HOME/camscan/`), which is this machine's.
pub fn token_path(store: &Inventory) -> PathBuf {
    let InventoryAt::File(store_path) = &store.at else {
        return match store::default_db_path(&store.env)
            .as_deref()
            .and_then(Path::parent)
        {
            Some(dir) => dir.join(TOKEN_FILE),
            None => PathBuf::from(TOKEN_FILE),
        };
    };
    match store_path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(TOKEN_FILE),
        _ => PathBuf::from(TOKEN_FILE),
    }
}

/// Open the inventory `db` names: an SQLite file, or a `postgres://` URL with its password from
/// `password_file` (`--db-password-file`) or libpq's usual places, and TLS as its `sslmode`
/// asks; the key of its credential hashes in `key_file` (`--credential-key`), else its default
/// place ([`store::cred_key`]).
pub fn open_db(
    db: &InventoryAt,
    password_file: Option<&Path>,
    key_file: Option<&Path>,
    env: &Environment,
) -> Result<Store, CommandError> {
    match db {
        InventoryAt::Postgres(url) => Ok(Store::open_postgres_keyed(
            &pg_target(url, password_file, env)?,
            key_file,
        )?),
        InventoryAt::File(path) => Ok(Store::open_keyed(path, key_file)?),
    }
}

/// The PostgreSQL database `url` names, ready to connect to (password found, TLS made).
pub fn pg_target(
    url: &str,
    password_file: Option<&Path>,
    environment: &Environment,
) -> Result<PgTarget, CommandError> {
    let env = |k: &str| environment.var(k).map(str::to_string);
    let bad = |detail: String| {
        CommandError::Usage(format!(
            "--db {}: {detail}",
            store::db::location::redact_url(url)
        ))
    };
    let mut target = PgTarget::from_url(url, &env).map_err(bad)?;
    if target.password_in_url {
        tracing::warn!(
            db = %target.display(),
            "the --db URL carries a password, which every user of this machine can read in the \
             process list: use --db-password-file, PGPASSWORD or ~/.pgpass"
        );
    }
    let home = environment.home();
    if let Some(warning) = target
        .resolve_password(password_file, &env, home.as_deref())
        .map_err(bad)?
    {
        tracing::warn!("{warning}");
    }
    use net::tls::ServerCheck;
    use store::db::location::SslMode;
    let check = match target.sslmode {
        SslMode::Disable => None,
        SslMode::Prefer | SslMode::Require => Some(ServerCheck::Nothing),
        SslMode::VerifyCa => Some(ServerCheck::Authority),
        SslMode::VerifyFull => Some(ServerCheck::AuthorityAndName),
    };
    target.tls = net::tls::postgres_client(check, target.sslrootcert.as_deref(), home.as_deref())
        .map_err(bad)?;
    Ok(target)
}

/// `camscan scan`'s store, opened (created, migrated, checked) before anything is sent: a bad,
/// locked or newer file stops the scan here. `None` with `--no-db`.
pub fn open_for_scan(cfg: &ScanJob) -> Result<Option<Store>, CommandError> {
    cfg.db.as_ref().map(open).transpose()
}

/// What the inventory tells a scan before it starts (nothing without a store): what earlier scans
/// learnt per address, the login that opened each device (by its identity, to follow a device
/// that moved) and the reverse DNS answers it still trusts (neither with `--fresh`, no
/// DNS with `--no-dns`), the names it gave devices' cameras at the site, and the devices it last
/// saw misaddressed there (the scan asks for each on the segment it was heard on). Every
/// recorded scan ([`run_scan`]: `camscan scan`, `audit`, and the rounds of `watch`, `serve` and the
/// fleet) reads it here.
fn memory(store: Option<&Store>, cfg: &ScanJob) -> Result<crate::scan::Memory, StoreError> {
    let Some(store) = store else {
        return Ok(crate::scan::Memory::default());
    };
    Ok(crate::scan::Memory {
        // `--fresh` forgets what was learnt of the devices, not what they are called.
        known: if cfg.scan.settings.get(&analyze::context::FRESH) {
            HashMap::new()
        } else {
            store.known(&cfg.site, &cfg.scan.targets, &cfg.scan.credentials)?
        },
        logins: if cfg.scan.settings.get(&analyze::context::FRESH) {
            Vec::new()
        } else {
            store.known_logins(&cfg.site, &cfg.scan.credentials)?
        },
        dns: if !cfg.scan.settings.get(&analyze::context::FRESH)
            && cfg.scan.settings.get(&net::rdns::DNS)
        {
            store.dns_answers()?
        } else {
            Vec::new()
        },
        names: store.given_names(&cfg.site)?,
        misaddressed: store.misaddressed_known(&cfg.site)?,
    })
}

/// What a recorded scan does with its report.
pub enum Output {
    /// Write it as `camscan scan` does (stdout or `-o`; NDJSON device by device), before it is
    /// recorded: a failure to record comes after the results. A bar on stderr when `progress`.
    Write { progress: bool },
    /// Only return it (`camscan audit` judges it and writes its own; a long-running host reads
    /// its figures), with this progress.
    Return(crate::scan::Progress),
}

/// One recorded scan, its steps in their one order: what the inventory knows of the targets
/// ([`memory`]), the scan's row begun and its devices recorded as they become final ([`Live`]),
/// the scan ([`Output`]: its report written or returned), its row abandoned when it never ran,
/// `enrich` (what the caller adds to the report before it is recorded: audit's own questions),
/// then its end recorded with its events and what changed since the last complete scan of the
/// same targets ([`finish`]). `store` is the inventory the caller opened and keeps (a
/// long-running camscan holds its own, and its locks, across rounds); `None` (`--no-db`) only
/// scans. Returns the scan and, with a store, what recording it gave. An inventory that fails is
/// [`CommandError::Store`]; every call on it runs off the async workers. A long-running host's
/// round ([`round::scan_round`]) is this with a store.
pub async fn run_scan(
    cfg: &ScanJob,
    store: Option<&store::SharedStore>,
    output: Output,
    enrich: impl AsyncFnOnce(&mut Report, &analyze::context::AuthSettings),
) -> Result<(crate::scan::Scanned, Option<RecordedScan>), CommandError> {
    let (scanned, parts) = run(cfg, store, output, enrich).await?;
    match store {
        Some(store) => {
            let (recorded, scanned) = end(cfg, store, scanned, parts).await?;
            Ok((scanned, Some(recorded)))
        }
        None => Ok((scanned, None)),
    }
}

/// [`run_scan`] with a store, its recording always given: what a long-running host's rounds run.
pub(crate) async fn scan_recorded(
    cfg: &ScanJob,
    store: &store::SharedStore,
    output: Output,
) -> Result<(crate::scan::Scanned, RecordedScan), CommandError> {
    let (scanned, parts) = run(cfg, Some(store), output, async |_, _| {}).await?;
    let (recorded, scanned) = end(cfg, store, scanned, parts).await?;
    Ok((scanned, recorded))
}

/// [`run_scan`]'s steps up to its end: the scan run, its devices recorded as they became final
/// (`Some` with a store), enriched.
async fn run(
    cfg: &ScanJob,
    store: Option<&store::SharedStore>,
    output: Output,
    enrich: impl AsyncFnOnce(&mut Report, &analyze::context::AuthSettings),
) -> Result<(crate::scan::Scanned, Option<Recorded>), CommandError> {
    let memory = match store {
        Some(store) => {
            let cfg = cfg.clone();
            store.run(move |s| memory(Some(s), &cfg)).await?
        }
        None => memory(None, cfg)?,
    };
    // Devices are recorded as they become final: a long scan killed keeps what it had found.
    let live = match store {
        Some(store) => {
            let (store, cfg) = (store.clone(), cfg.clone());
            Some(
                tokio::task::spawn_blocking(move || Live::begin(&store, &cfg))
                    .await
                    .map_err(joined)??,
            )
        }
        None => None,
    };
    let on_final = live.as_ref().map(Live::on_final);
    let scanned = match output {
        Output::Write { progress } => {
            let inventory = cfg.db.as_ref().and_then(|i| i.file());
            let scan = &cfg.scan;
            crate::scan::run(scan, &cfg.report, inventory, progress, memory, on_final).await
        }
        Output::Return(progress) => crate::scan::find(&cfg.scan, progress, memory, on_final).await,
    };
    let parts = match live {
        Some(live) => Some(
            tokio::task::spawn_blocking(move || live.end())
                .await
                .map_err(joined)?,
        ),
        None => None,
    };
    let mut scanned = match scanned {
        Ok(s) => s,
        Err(e) => {
            // A scan that never ran leaves no row behind.
            if let (Some(store), Some(p)) = (store, &parts) {
                let id = p.scan_id;
                let _ = store.run(move |s| s.abandon_scan(id)).await;
            }
            return Err(e.into());
        }
    };
    enrich(&mut scanned.report, &scanned.auth).await;
    Ok((scanned, parts))
}

/// A recording task that did not finish.
fn joined(e: tokio::task::JoinError) -> CommandError {
    CommandError::Usage(format!("recording the scan: {e}"))
}

/// [`run_scan`]'s last step with a store: its end recorded ([`finish`]), off the async workers.
async fn end(
    cfg: &ScanJob,
    store: &store::SharedStore,
    scanned: crate::scan::Scanned,
    parts: Option<Recorded>,
) -> Result<(RecordedScan, crate::scan::Scanned), CommandError> {
    let cfg = cfg.clone();
    Ok(store
        .run(move |s| Ok((finish(s, &cfg, &scanned, parts)?, scanned)))
        .await?)
}

/// The end of a recorded scan: the DNS answers it looked up, then the scan, its devices and the
/// events they make (`parts`: what [`Live`] recorded as devices became final).
fn finish(
    store: &mut Store,
    cfg: &ScanJob,
    scanned: &crate::scan::Scanned,
    parts: Option<Recorded>,
) -> Result<RecordedScan, StoreError> {
    store.record_dns(&scanned.dns)?;
    record_with_events(store, cfg, &scanned.report, parts)
}

/// What `camscan scan` says at the end when it has a store and an earlier complete scan of the
/// same targets: how many devices are new, gone and changed since that scan.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The earlier scan, and this one.
    pub since: ScanSummary,
    pub scan_id: i64,
    pub new: usize,
    pub gone: usize,
    pub changed: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Since scan {} ({}) of the same targets: {} new, {} gone, {} changed device(s) (camscan diff {} {})",
            self.since.id,
            export::inventory::short_time(&self.since.scan.started_at),
            self.new,
            self.gone,
            self.changed,
            self.since.id,
            self.scan_id,
        )
    }
}

/// A scan that records its devices as they become final, so that a long scan killed (or a
/// machine that loses power) keeps what it had found, its scan marked incomplete. The pipeline's
/// `on_final` hands each final device over a channel (it never waits on the store); a thread
/// records what came in the last second as one part (one transaction: a busy scan's devices are
/// batched, a quiet one's recorded at once) and beats the scan's heartbeat every
/// [`Live::BEAT`] between parts. [`Live::end`] returns what the parts recorded; the scan's end
/// is then recorded into the same row ([`record_with_events`]).
struct Live {
    scan_id: i64,
    /// [`ScanJob::unrecorded_ports`].
    unrecorded: Vec<u16>,
    tx: Option<std::sync::mpsc::Sender<model::Device>>,
    thread: Option<std::thread::JoinHandle<Vec<store::StoreEvent>>>,
}

impl Live {
    /// How often a running scan's heartbeat is written when no device became final.
    pub const BEAT: std::time::Duration = std::time::Duration::from_secs(30);
    /// How long a part gathers devices before it is recorded.
    pub const GATHER: std::time::Duration = std::time::Duration::from_secs(1);
    /// The most devices in one part.
    pub const PART: usize = 500;

    /// Begin recording `cfg`'s scan in `store`.
    pub fn begin(store: &store::SharedStore, cfg: &ScanJob) -> Result<Live, StoreError> {
        let now = jiff::Timestamp::now().to_string();
        let ports = recorded_ports(cfg);
        let mut info = ScanInfo::of_report(
            &Report {
                schema_version: 0,
                camscan_version: env!("CARGO_PKG_VERSION").to_string(),
                started_at: now.clone(),
                finished_at: now,
                complete: false,
                targets: cfg.scan.targets.clone(),
                plan: None,
                coverage: None,
                devices: Vec::new(),
            },
            &cfg.site,
            &ports,
            &cfg.scan.discovery(),
        );
        let scan_id = store.lock().begin_scan(&info)?;
        let (tx, rx) = std::sync::mpsc::channel::<model::Device>();
        let (store, creds) = (store.clone(), cfg.scan.credentials.clone());
        let thread = std::thread::Builder::new()
            .name("camscan-record".into())
            .spawn(move || {
                use std::sync::mpsc::RecvTimeoutError;
                let mut events = Vec::new();
                loop {
                    let first = match rx.recv_timeout(Live::BEAT) {
                        Ok(d) => d,
                        Err(RecvTimeoutError::Timeout) => {
                            if let Err(e) = store.lock().scan_heartbeat(scan_id) {
                                tracing::warn!("the running scan's heartbeat: {e}");
                            }
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    };
                    let mut devices = vec![first];
                    let until = std::time::Instant::now() + Live::GATHER;
                    while devices.len() < Live::PART {
                        match rx.recv_timeout(
                            until.saturating_duration_since(std::time::Instant::now()),
                        ) {
                            Ok(d) => devices.push(d),
                            Err(_) => break,
                        }
                    }
                    info.finished_at = jiff::Timestamp::now().to_string();
                    let part = Report {
                        schema_version: 0,
                        camscan_version: info.version.clone(),
                        started_at: info.started_at.clone(),
                        finished_at: info.finished_at.clone(),
                        complete: false,
                        targets: info.targets.clone(),
                        plan: None,
                        coverage: None,
                        devices,
                    };
                    match store.lock().record_part(scan_id, &info, &part, &creds) {
                        Ok(r) => events.extend(r.events),
                        // The scan's end records every device again: nothing is lost.
                        Err(e) => tracing::warn!("recording devices as they become final: {e}"),
                    }
                }
                events
            })
            .map_err(|e| StoreError::Io {
                path: PathBuf::from("camscan-record"),
                source: e,
            })?;
        Ok(Live {
            scan_id,
            unrecorded: cfg.unrecorded_ports.clone(),
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// The pipeline's `on_final`: each final device to the recorder (never waits).
    pub fn on_final(&self) -> crate::scan::collect::OnFinal<'static> {
        let tx = self.tx.clone();
        let unrecorded = self.unrecorded.clone();
        Box::new(move |d: &model::Device| {
            if let Some(tx) = &tx {
                let _ = tx.send(for_inventory(d, &unrecorded));
            }
            std::ops::ControlFlow::Continue(())
        })
    }

    /// Stop recording parts (what came in is recorded first): the scan's id and the events the
    /// parts derived.
    pub fn end(mut self) -> store::Recorded {
        drop(self.tx.take());
        let events = self
            .thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        store::Recorded {
            scan_id: self.scan_id,
            events,
            new: 0,
            gone: 0,
            changed: 0,
        }
    }
}

/// What recording a scan gave.
pub struct RecordedScan {
    /// Its id in the store.
    pub scan_id: i64,
    /// Against the latest complete scan of the same targets, for a complete scan.
    pub summary: Option<Summary>,
    /// The events it derived.
    pub events: Vec<store::StoreEvent>,
}

/// Record a finished (or interrupted) scan whose report was already written, with what changed
/// since the last complete scan of the same targets (when there was one and this scan is
/// complete: an interrupted scan derives nothing, so it says nothing) and the events the scan
/// derived (for `camscan watch`'s metrics). `live`: the scan recorded its devices as they became
/// final ([`Live`]): its end goes into that scan's row, and its events are those of the parts and
/// of the end.
pub fn record_with_events(
    store: &mut Store,
    cfg: &ScanJob,
    report: &Report,
    live: Option<Recorded>,
) -> Result<RecordedScan, StoreError> {
    let stripped;
    let report = if cfg.unrecorded_ports.is_empty() {
        report
    } else {
        stripped = Report {
            devices: report
                .devices
                .iter()
                .map(|d| for_inventory(d, &cfg.unrecorded_ports))
                .collect(),
            ..report.clone()
        };
        &stripped
    };
    let same =
        |s: &ScanSummary| s.scan.complete && store::same_targets(&s.scan.targets, &report.targets);
    let earlier = store.scans(Some(&cfg.site))?.into_iter().find(same);
    let ports = recorded_ports(cfg);
    let info = ScanInfo::of_report(report, &cfg.site, &ports, &cfg.scan.discovery());
    let recorded = match live {
        Some(parts) => {
            let mut end = store.record_end(parts.scan_id, &info, report, &cfg.scan.credentials)?;
            let mut events = parts.events;
            events.append(&mut end.events);
            end.events = events;
            end
        }
        None => store.record_scan(&info, report, &cfg.scan.credentials)?,
    };
    let (Some(since), true) = (earlier, report.complete) else {
        return Ok(RecordedScan {
            scan_id: recorded.scan_id,
            summary: None,
            events: recorded.events,
        });
    };
    let diff = store.diff(Some(since.id), Some(recorded.scan_id), Some(&cfg.site))?;
    let summary = Summary {
        since,
        scan_id: recorded.scan_id,
        new: diff.added.len(),
        gone: diff.removed.len(),
        changed: diff.changed.len(),
    };
    Ok(RecordedScan {
        scan_id: recorded.scan_id,
        summary: Some(summary),
        events: recorded.events,
    })
}

/// The ports a scan records as asked: its ports but audit's own ([`ScanJob::unrecorded_ports`]);
/// none when no port was probed.
fn recorded_ports(cfg: &ScanJob) -> Vec<u16> {
    if !cfg.scan.discovery().contains(&DiscoveryMethod::Port) {
        return Vec::new();
    }
    let mut ports = cfg.scan.ports.clone();
    ports.retain(|p| !cfg.unrecorded_ports.contains(p));
    ports
}

/// `d` as the inventory records it: without what was found on `unrecorded` ports.
fn for_inventory(d: &model::Device, unrecorded: &[u16]) -> model::Device {
    let mut d = d.clone();
    if !unrecorded.is_empty() {
        d.open_ports.retain(|p| !unrecorded.contains(p));
        d.services.retain(|s| !unrecorded.contains(&s.port));
        d.streams.retain(|s| !unrecorded.contains(&s.port));
    }
    d
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_targets_ignores_order_case_and_repeats() {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(store::same_targets(
            &v(&["127.0.0.131-139", "NVR.lan"]),
            &v(&["nvr.lan", "127.0.0.131-139", "nvr.lan"])
        ));
        assert!(!store::same_targets(
            &v(&["127.0.0.131-139"]),
            &v(&["127.0.0.131-138"])
        ));
    }
}
