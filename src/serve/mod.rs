//! `camscan serve`: the inventory over HTTP, for the other tools of a site and (later) a web page.
//!
//! A read-only REST API under `/api/v1` ([`api`]): devices, streams, events, scans and the diff of
//! two scans, in the store's own serde types (the shapes `camscan devices/show/history/scans/diff
//! -f json` print: one schema, not a second one); errors as RFC 9457 problem documents
//! ([`problem`]); the OpenAPI 3.1 document of exactly these routes (`openapi.json`, checked against
//! the router by a test); and the store's events live as Server-Sent Events, resumable with
//! `Last-Event-ID` across a disconnect or a restart of the server ([`sse`]). The web page at `/`
//! ([`web`]) is embedded in the binary and reads the same API.
//!
//! It sits above the scan pipeline (as `watch` does) and only reads the store; the store's
//! rusqlite calls run on the blocking pool ([`store::SharedStore::run`]), never on the async
//! workers. Connections go through [`crate::http_server`] (one task each, header deadline, caps);
//! each request has a deadline and a bounded body ([`api::RequestLimits`]).
//!
//! Security ([`auth`]): loopback without a token by default; `--auth`, and any other `--listen`,
//! ask for the token (bearer header or the login form's session cookie); state-changing requests
//! from other sites are refused; `--tls-cert/--tls-key` serve HTTPS ([`tls`]).
//!
//! Scans asked over the API ([`scans`]) run in this process and are recorded in the store; the
//! inventory downloads in every export format ([`export`]).
//!
//! `/metrics` on the same listener is the Prometheus exposition ([`crate::metrics`]).
//!
//! A camera's snapshot is fetched by the server ([`snapshot`]), never by the browser.
//!
//! With a schedule (`--every`, `--cron`, `--check-streams` or the config's `watch:`), the watcher
//! runs in this process too, its scans taking turns with the API's; with `--hub`, so does the
//! fleet's agent. Serve names neither: the command layer plugs them in ([`Parts`]).

pub mod api;
pub mod auth;
pub mod export;
pub mod live;
pub mod params;
pub mod problem;
pub mod push;
pub mod scans;
pub mod settings;
pub mod snapshot;
pub mod sse;
pub mod tls;
pub mod token;
pub mod web;

pub use settings::{
    ALLOW_TARGETS, AUTH, CHECK_STREAMS_HELP, CREDENTIALS_HELP, CRON_HELP, EVERY_HELP, HUB_HELP,
    HUB_PASSWORD_FILE, LISTEN, NO_PREVIEW, PRINT_TOKEN, PUSH_HELP, SCAN_CREDENTIALS, SETTINGS,
    TLS_CERT, TLS_KEY,
};

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::http_server::{self, Limits};
use crate::record::CommandError;
use crate::record::ScanJob;
use crate::record::round::{Beside, Embedded, Task};
use crate::scan::rules::ScanRules;
use error::exit;
use store::SharedStore;
use store::{HubConfig, Inventory};

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub store: SharedStore,
    /// Turns true on SIGTERM/SIGINT: live event streams end so the server can stop.
    pub stop: watch::Receiver<bool>,
    pub live: sse::Live,
    /// Scans asked over the API; `None` refuses them.
    pub scans: Option<Arc<scans::Scans>>,
    /// What `/metrics` exposes (the API scans' figures, the devices, the watcher's when it runs
    /// here).
    pub metrics: crate::metrics::Metrics,
    /// The live preview (relays and WHEP sessions); `None` when it is off.
    pub live_preview: Option<Arc<live::Live>>,
    /// The formats' own options `GET /api/v1/export/{format}` renders with (serve's flags, else
    /// its config file's keys).
    pub format_options: input::setting::Settings,
    /// The tools the page may push cameras into (`--push`), and the inventory each push opens
    /// for itself (a push waits on the tool, never with the shared store's lock held).
    pub pushes: Arc<push::Pushes>,
}

impl AppState {
    pub fn new(store: SharedStore, stop: watch::Receiver<bool>) -> AppState {
        AppState {
            store,
            stop,
            live: sse::Live::new(sse::MAX_STREAMS),
            scans: None,
            metrics: crate::metrics::Metrics::new(),
            live_preview: None,
            format_options: Default::default(),
            pushes: Arc::default(),
        }
    }

    pub fn with_scans(mut self, scans: Arc<scans::Scans>) -> AppState {
        self.scans = Some(scans);
        self
    }
}

/// The connection limits of `camscan serve`.
///
/// * header read 10 s: as the metrics endpoint (Go's common ReadHeaderTimeout);
/// * a connection's life 30 min: long enough that a Server-Sent Events reader is not cut every
///   minute, short enough that a client that never reads is let go; a cut event stream resumes
///   with `Last-Event-ID`, which browsers' `EventSource` sends by itself;
/// * 64 connections: a few browsers (6 connections each) and integrations;
/// * 5 s grace after SIGTERM/SIGINT for requests under way (event streams end at once).
pub const LIMITS: Limits = Limits {
    header_read: Duration::from_secs(10),
    connection: Duration::from_secs(30 * 60),
    max_connections: 64,
    grace: Duration::from_secs(5),
};

/// `camscan serve`'s settings, resolved once by the command from its flags, their `CAMSCAN_*`
/// variables and the config file.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The inventory served (it must exist).
    pub inventory: Inventory,
    /// `--listen`.
    pub listen: std::net::SocketAddr,
    /// `--auth`: ask for the token even on loopback.
    pub auth: bool,
    /// `--tls-cert` and `--tls-key`.
    pub tls_cert: Option<std::path::PathBuf>,
    pub tls_key: Option<std::path::PathBuf>,
    /// `--no-preview`.
    pub no_preview: bool,
    /// What API scans run with: the config file's scan settings (and `--credentials`, `--hub`),
    /// recorded in the served inventory at its site. Its targets are the watcher's.
    pub scan: ScanJob,
    /// `--allow-targets`: else the attached private subnets.
    pub allow_targets: Vec<String>,
    /// `--scan-credentials NAME=FILE`, as given.
    pub scan_credentials: Vec<String>,
    /// `--push TOOL=URL`: the tools the page may add cameras to.
    pub pushes: Vec<crate::push::Settings>,
}

/// The token of the server of `inventory` (created, mode 0600, if there is none yet): what
/// `camscan serve --print-token` prints.
pub fn print_token(inventory: &Inventory) -> Result<String, CommandError> {
    auth::token(&auth::token_path(inventory)).map_err(CommandError::Usage)
}

/// What the command layer (`cmds::serve`) plugs into `camscan serve`: the parts that are
/// commands of their own, which serve runs beside its API without naming them.
pub struct Parts {
    /// The scheduled watcher (`--every`, `--cron`, `--check-streams` or the config's `watch:`),
    /// resolved by the command; `None`: no schedule.
    pub watcher: Option<Watcher>,
    /// The fleet's agent for `--hub`: held to the API's rules, with what serve shares with it.
    pub agent: fn(HubConfig, ScanRules, Beside) -> Task,
    /// How long a stopping server waits for its agent (its last push, a requested scan's end).
    pub agent_wait: Duration,
}

/// A watcher resolved: started with its scan configuration (the config's targets) and what
/// serve shares with it; ends when serve stops.
pub type Watcher = Box<dyn FnOnce(ScanJob, Embedded) -> Task<Result<u8, CommandError>> + Send>;

/// Run `camscan serve` until SIGINT (exit 130) or SIGTERM (exit 143).
pub async fn run(args: &Settings, parts: Parts) -> Result<u8, CommandError> {
    let usage = CommandError::Usage;
    // Everything that can refuse the start is checked before anything is opened or bound.
    let mut pre = Preflight::check(args)?;
    let store = crate::record::open_existing(&args.inventory)?;
    let mut scan_cfg = scan_config(args, parts.watcher)?;
    // The first start makes the token (so that a later one beyond loopback has it).
    let token = match pre.token.take() {
        Some(t) => t,
        None => auth::token(&pre.token_path).map_err(usage)?,
    };
    let signals = Signals::listen()?;
    let path = store.path().to_path_buf();
    let listener = TcpListener::bind(args.listen).await.map_err(|e| {
        CommandError::Usage(format!("serve: cannot listen on {}: {e}", args.listen))
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| CommandError::Usage(format!("serve: {e}")))?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let watcher = scan_cfg.watcher.take();
    let hub = scan_cfg.hub.take();
    let (state, allowed) = app_state(scan_cfg, SharedStore::new(store), &stop_rx, args)?;
    let hub_wake = hub.as_ref().map(|_| Arc::new(tokio::sync::Notify::new()));
    // A hub that refuses this site stops serve: its reason is the command's error.
    let hub_refused: Arc<Mutex<Option<String>>> = Arc::default();
    // The agent stops after the watcher: its last push then carries the watcher's last round.
    let (agent_stop, agent_stop_rx) = watch::channel(false);
    let agent = match (hub, &hub_wake, &state.scans) {
        (Some(h), Some(wake), Some(scans)) => {
            let (slot, stop) = (hub_refused.clone(), stop_tx.clone());
            let refused: Arc<dyn Fn(String) + Send + Sync> = Arc::new(move |why| {
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
                let _ = stop.send(true);
            });
            let beside = Beside {
                store: state.store.clone(),
                wake: wake.clone(),
                stop: agent_stop_rx.clone(),
                turn: scans.turn(),
                refused,
            };
            Some(tokio::spawn((parts.agent)(
                h,
                scans.rules().clone(),
                beside,
            )))
        }
        _ => None,
    };
    let preview = state.live_preview.clone();
    let poller = tokio::spawn(sse::poll_newest(state.clone(), stop_rx.clone()));
    let devices = tokio::spawn(device_metrics(state.clone(), stop_rx.clone()));
    let watcher = watcher.map(|(cfg, w)| spawn_watcher(&state, &stop_rx, cfg, w, hub_wake));
    let code = Arc::new(Mutex::new(None));
    let signals = tokio::spawn(signals.wait(stop_tx, code.clone()));
    let scheme = if pre.tls.is_some() { "https" } else { "http" };
    let base = format!("{scheme}://{local}");
    announce(&pre, &path, &base, (&allowed, preview.is_some()));
    let guard = auth::Guard::new(
        pre.bind.auth.then(|| auth::Token::new(&token)),
        pre.tls.is_some(),
    );
    let app = auth::protect(api::router(state), guard);
    let served = http_server::serve_tls(listener, app, LIMITS, stop_rx, "serve", pre.tls).await;
    if let Some(p) = preview {
        p.gateway.shutdown();
    }
    if let Some(w) = watcher {
        // It saw the stop too: let it end its round's recording and its sinks (bounded).
        let _ = tokio::time::timeout(Duration::from_secs(10), w).await;
    }
    let _ = agent_stop.send(true);
    if let Some(a) = agent {
        // The agent's last push (and a requested scan's end), bounded.
        let _ = tokio::time::timeout(parts.agent_wait, a).await;
    }
    poller.abort();
    devices.abort();
    signals.abort();
    served.map_err(|e| CommandError::Usage(format!("serve: {e}")))?;
    if let Some(why) = hub_refused.lock().unwrap_or_else(|e| e.into_inner()).take() {
        return Err(CommandError::HubRefused(why));
    }
    let code = *code.lock().unwrap_or_else(|e| e.into_inner());
    Ok(code.unwrap_or(exit::ERROR))
}

/// What `serve` checks before it opens or binds anything: where the inventory and its token are,
/// the TLS files, and whether the address may be served with the guard asked for.
struct Preflight {
    token_path: std::path::PathBuf,
    /// `None`: no token yet (the first start makes it).
    token: Option<String>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    bind: auth::Bind,
}

impl Preflight {
    fn check(args: &Settings) -> Result<Preflight, CommandError> {
        let usage = CommandError::Usage;
        let token_path = auth::token_path(&args.inventory);
        let token = auth::read_token(&token_path).map_err(usage)?;
        let tls = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(tls::acceptor(cert, key).map_err(usage)?),
            _ => None,
        };
        let bind = auth::bind_policy(
            args.listen,
            args.auth,
            tls.is_some(),
            token.is_some(),
            &token_path,
        )
        .map_err(usage)?;
        Ok(Preflight {
            token_path,
            token,
            tls,
            bind,
        })
    }
}

/// The server's shared state: the store, the metrics, API scans with their limits and
/// credentials, and (unless `--no-preview`) the live preview's relays and WebRTC gateway. With it,
/// the targets API scans may cover, for the start line.
fn app_state(
    scan_cfg: ServeScans,
    store: SharedStore,
    stop_rx: &watch::Receiver<bool>,
    args: &Settings,
) -> Result<(AppState, String), CommandError> {
    let metrics = crate::metrics::Metrics::new();
    let sessions_per_device = scan_cfg
        .cfg
        .scan
        .settings
        .get(&analyze::sessions::SESSIONS_PER_DEVICE);
    let format_options = scan_cfg.cfg.report.format_options.clone();
    let scans = scans::Scans::new(
        scan_cfg.cfg,
        &scan_cfg.allow,
        scan_cfg.named,
        store.clone(),
        metrics.clone(),
    )
    .map_err(CommandError::Usage)?;
    let allowed = scans.options().allow_targets.join(", ");
    let creds = scans.all_credentials();
    let mut state = AppState::new(store, stop_rx.clone()).with_scans(Arc::new(scans));
    state.metrics = metrics;
    state.format_options = format_options;
    state.pushes = Arc::new(push::Pushes::new(
        args.pushes.clone(),
        args.inventory.clone(),
    ));
    if !args.no_preview {
        // The relays hold their own per-device session slots: API scans count theirs per scan
        // (scan::plan), so a camera being scanned and watched live may see both.
        let hub = crate::preview::Hub::new(
            state.store.clone(),
            creds,
            Arc::new(analyze::sessions::DeviceSessions::new(sessions_per_device)),
            crate::preview::HubLimits::default(),
            stop_rx.clone(),
        );
        let gateway =
            crate::preview::webrtc::Gateway::new(crate::preview::webrtc::GatewayLimits::default());
        state.live_preview = Some(Arc::new(live::Live { hub, gateway }));
    }
    Ok((state, allowed))
}

/// The scheduled watcher in this process: its rounds take the same gate as API scans.
fn spawn_watcher(
    state: &AppState,
    stop_rx: &watch::Receiver<bool>,
    cfg: ScanJob,
    watcher: Watcher,
    hub_wake: Option<Arc<tokio::sync::Notify>>,
) -> tokio::task::JoinHandle<()> {
    // The agent runs beside the server; the watcher wakes it after its rounds.
    let embedded = Embedded {
        hub_wake,
        store: state.store.clone(),
        metrics: state.metrics.clone(),
        stop: stop_rx.clone(),
        gate: state
            .scans
            .as_ref()
            .map(|s| s.gate.clone())
            .unwrap_or_default(),
    };
    tokio::spawn(async move {
        if let Err(e) = watcher(cfg, embedded).await {
            tracing::error!("serve: the watcher stopped: {e}");
        }
    })
}

/// On stderr (stdout is for results): where the API is, how it is guarded, what API scans may
/// cover, and (`previewing`) that a build without WebRTC previews over MSE only.
fn announce(
    pre: &Preflight,
    inventory: &std::path::Path,
    base: &str,
    (allowed, previewing): (&str, bool),
) {
    let guarded = if pre.bind.auth {
        format!(
            "; the token in {} is asked for (bearer or /login)",
            pre.token_path.display()
        )
    } else {
        String::new()
    };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "camscan serve: the inventory {} at {base}/ (the page; the API's paths, under \
         /api/v1, described at {base}/api/v1/openapi.json){guarded}",
        inventory.display()
    );
    let _ = writeln!(
        err,
        "camscan serve: scans asked over the API may cover {}",
        if allowed.is_empty() {
            "nothing (--allow-targets)"
        } else {
            allowed
        }
    );
    if let Some(warning) = &pre.bind.warning {
        let _ = writeln!(err, "{warning}");
    }
    if previewing && !cfg!(feature = "webrtc") {
        let _ = writeln!(
            err,
            "camscan serve: built without the `webrtc` feature: the live preview plays over MSE \
             only (cargo build --release --features webrtc, or the Debian package, has WebRTC)"
        );
    }
}

/// How often `/metrics`' device gauges are read again from the store (which other processes
/// write: a `camscan watch` or `scan` beside this server). 15 s: Prometheus's default scrape
/// interval, for one indexed read of the device list.
pub const DEVICE_METRICS_EVERY: Duration = Duration::from_secs(15);

/// Keep `camscan_device_up` and friends as the store says, until the server stops.
async fn device_metrics(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(DEVICE_METRICS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tick.tick() => {}
        }
        crate::record::round::refresh_devices(&state.store, &state.metrics).await;
        release_memory();
    }
}

/// Return the heap's free memory to the system (glibc keeps freed small allocations in its
/// arenas; after an export of 10,000 devices the idle server stayed at its 54 MB peak instead of
/// ~10 MB). Called after large answers and on the device-metrics tick.
pub fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim only walks and trims glibc's own arenas; it takes no pointer.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What API scans run with.
struct ServeScans {
    cfg: ScanJob,
    /// The watcher to run in this process, with its scan configuration (the config's targets).
    watcher: Option<(ScanJob, Watcher)>,
    allow: Vec<String>,
    named: Vec<(String, Vec<credentials::Credential>)>,
    /// `--hub`: this site's agent.
    hub: Option<HubConfig>,
}

/// API scans' settings (the config file's, without targets) and the watcher's (with them);
/// `--allow-targets`, else the attached private subnets a scan without targets covers; the named
/// credential files.
fn scan_config(args: &Settings, watcher: Option<Watcher>) -> Result<ServeScans, CommandError> {
    let usage = CommandError::Usage;
    let mut cfg = args.scan.clone();
    // The fleet's agent runs beside the server (not inside its watcher), with API scans' rules.
    let hub = cfg.hub.take();
    let watcher = watcher.map(|w| (cfg.clone(), w));
    cfg.scan.targets.clear();
    if !cfg.signatures.is_empty() {
        let k = knowledge::load(&cfg.signatures, cfg.knowledge_dir.as_deref())?;
        knowledge::install(k);
    }
    let allow = if args.allow_targets.is_empty() {
        crate::scan::rules::attached(&cfg.scan).map_err(|e| usage(format!("serve: {e}")))?
    } else {
        args.allow_targets.clone()
    };
    let mut named = Vec::new();
    for spec in &args.scan_credentials {
        let Some((name, path)) = spec
            .split_once('=')
            .filter(|(n, p)| !n.is_empty() && !p.is_empty())
        else {
            return Err(usage(format!(
                "--scan-credentials {spec:?}: give NAME=FILE"
            )));
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("--scan-credentials {name}: {path}: {e}")))?;
        let set = credentials::parse_file(&text)
            .map_err(|e| usage(format!("--scan-credentials {name}: {path}: {e}")))?;
        named.push((name.to_string(), set));
    }
    Ok(ServeScans {
        cfg,
        watcher,
        allow,
        named,
        hub,
    })
}

/// SIGINT and SIGTERM, listened for before the server starts (so a failure to is an error, not a
/// server that cannot be stopped cleanly).
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn listen() -> Result<Signals, CommandError> {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind| {
            signal(kind)
                .map_err(|e| CommandError::Usage(format!("serve: cannot listen for signals: {e}")))
        };
        Ok(Signals {
            term: listen(SignalKind::terminate())?,
            int: listen(SignalKind::interrupt())?,
        })
    }

    /// Wait for one, note the exit code it means, and stop the server.
    async fn wait(mut self, stop: watch::Sender<bool>, code: Arc<Mutex<Option<u8>>>) {
        let got = tokio::select! {
            _ = self.int.recv() => exit::SIGINT,
            _ = self.term.recv() => exit::SIGTERM,
        };
        *code.lock().unwrap_or_else(|e| e.into_inner()) = Some(got);
        let _ = stop.send(true);
    }
}
