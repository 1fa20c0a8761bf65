//! `camscan watch`: complete scans on a schedule, light checks of the known streams between them,
//! and every event the inventory derives sent to the `--notify` sinks, none lost.
//!
//! It sits above the scan pipeline and uses it as `camscan scan` does, each round a
//! [`crate::record::round::scan_round`] (the pipeline, then the recording); it never reaches inside it.
//! It names neither `serve` (which runs it embedded, [`run_embedded`]) nor `fleet` (whose agent
//! the command layer starts beside the rounds for `--hub`, [`StartAgent`]). The pieces, each a
//! task:
//!
//! * the **scan loop** (here): a scan, its recording (events into the store's outbox), a wake-up
//!   for every sink, then a wait for the next time of the schedule (`--every`, `--cron`), a
//!   signal, or an announced device;
//! * the **checker** ([`check_rounds`], one check in [`stream_check`], `--check-streams`): every known stream on an interval, at most
//!   one check session per device at a time, devices spread over the interval, paused while a
//!   scan runs (the scan's own PLAY checks see the same cameras then);
//! * one **deliverer** per sink ([`crate::notify::deliver`]): the outbox's events in order, at
//!   least once, across restarts.
//!
//! SIGINT and SIGTERM stop it: a scan under way is interrupted (recorded as such, deriving
//! nothing), checks and deliveries in flight are abandoned (a delivery not acknowledged is sent
//! again next time), and it exits 130 or 143. SIGHUP reloads the configuration file for the
//! following rounds (targets, credentials, schedule, checks); sinks and the metrics address need
//! a restart. Every state change is a store transaction, so a `kill -9` leaves the store as the
//! last committed step left it.

mod agent;
pub mod check_rounds;
pub mod push;
mod rounds;
pub mod settings;
pub mod stream_check;
pub mod write;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::discovery::listen::{Announcement, Listener};
use crate::metrics::{Metrics, MetricsServer};
use crate::notify::{self, Sink, SinkOptions, SinkSpec, SinkStats};
use crate::record::CommandError;
use crate::record::ScanJob;
use crate::record::round::{Beside, Embedded, Task, refresh_devices};
use error::exit;
use model::sync::lock;
use store::SharedStore;

/// When the scans run.
#[derive(Debug, Clone)]
pub enum Schedule {
    Every(Duration),
    Cron(Box<croner::Cron>),
}

/// What a long-running watch keeps: scans, events and devices unseen for longer are pruned once a
/// day (as `camscan prune --older-than 90d`), so the inventory stays bounded; stream checks are
/// bounded per stream already.
pub const RETAIN: Duration = Duration::from_secs(90 * 86_400);
const PRUNE_EVERY: Duration = Duration::from_secs(86_400);

/// The default schedule: a complete scan every 15 minutes.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(15 * 60);

impl Schedule {
    /// `--every AGE` or `--cron EXPR` (5 fields, or 6 with seconds first).
    pub fn parse(every: Option<&str>, cron: Option<&str>) -> Result<Schedule, String> {
        match (every, cron) {
            (Some(_), Some(_)) => Err("--every and --cron: give one".into()),
            (None, Some(expr)) => croner::parser::CronParser::builder()
                .seconds(croner::parser::Seconds::Optional)
                .build()
                .parse(expr)
                .map(|c| Schedule::Cron(Box::new(c)))
                .map_err(|e| format!("--cron {expr:?}: {e}")),
            (Some(age), None) => {
                let d = model::when::parse_age(age).map_err(|e| format!("--every {age}: {e}"))?;
                if d < Duration::from_secs(1) {
                    return Err(format!("--every {age}: at least 1s"));
                }
                Ok(Schedule::Every(d))
            }
            (None, None) => Ok(Schedule::Every(DEFAULT_EVERY)),
        }
    }

    /// How long from `now` to the next scan, the previous one having started at `started`.
    pub fn wait(&self, started: jiff::Timestamp, now: &jiff::Zoned) -> Duration {
        match self {
            Schedule::Every(d) => {
                let next = started
                    .checked_add(jiff::SignedDuration::try_from(*d).unwrap_or_default())
                    .unwrap_or(started);
                let left = next.duration_since(now.timestamp());
                Duration::try_from(left).unwrap_or(Duration::ZERO)
            }
            Schedule::Cron(c) => match c.find_next_occurrence(now, false) {
                Ok(next) => Duration::try_from(next.timestamp().duration_since(now.timestamp()))
                    .unwrap_or(Duration::ZERO),
                // No next time (a date in the past): wait a day and ask again.
                Err(_) => Duration::from_secs(86_400),
            },
        }
    }
}

/// A secret's bytes; `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(pub Vec<u8>);

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What `camscan watch` does besides the scan configuration.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub schedule: Schedule,
    /// Stream checks between scans, this often.
    pub check_every: Option<Duration>,
    pub down_after: u32,
    pub sinks: Vec<SinkSpec>,
    pub outbox_cap: i64,
    /// Stop after this many scans.
    pub rounds: Option<u32>,
    /// Listen for WS-Discovery Hello/Bye and SSDP NOTIFY between scans.
    pub listen: bool,
    /// Serve Prometheus metrics here.
    pub metrics: Option<std::net::SocketAddr>,
    /// `--notify` and the sinks' own options (`--webhook-secret-file`, `--ha-discovery`;
    /// [`notify::SETTINGS`]), resolved.
    pub sink_options: input::setting::Settings,
    /// [`notify::WEBHOOK_SECRET_ENV`]'s value, as the entrance read it: the webhook secret when
    /// no `--webhook-secret-file` is given (`Debug` shows only whether there is one).
    pub webhook_secret_env: Option<SecretBytes>,
    /// Exports kept up to date after each scan round (`--write FORMAT=FILE`).
    pub write: Vec<write::WriteSpec>,
    /// Run after a round that rewrote one of them.
    pub write_then: Option<String>,
    /// Tools kept up to date after each scan round (`--push TOOL=URL`; [`push`]).
    pub pushes: Vec<crate::push::Settings>,
}

/// Failed checks in a row before a stream is down, by default.
pub const DEFAULT_DOWN_AFTER: u32 = 3;
pub use crate::notify::DEFAULT_OUTBOX_CAP;

/// Announcements queued for the scan loop (more are dropped, and counted by the listener).
const ANNOUNCEMENTS_QUEUED: usize = 64;
/// An address is scanned for an announcement at most this often (a device repeats `ssdp:alive`
/// every half max-age, often a minute; a Hello storm must not become a scan storm).
pub const ANNOUNCED_SCAN_GAP: Duration = Duration::from_secs(60);
/// At most this many announced addresses are remembered (the oldest are forgotten).
const ANNOUNCED_REMEMBERED: usize = 4096;

/// The rate limit of scans for announcements.
#[derive(Debug, Default)]
struct AnnouncedScans {
    last: HashMap<std::net::IpAddr, std::time::Instant>,
}

impl AnnouncedScans {
    /// May `ip` be scanned now? Records it when so.
    fn take(&mut self, ip: std::net::IpAddr, now: std::time::Instant) -> bool {
        if self
            .last
            .get(&ip)
            .is_some_and(|t| now.duration_since(*t) < ANNOUNCED_SCAN_GAP)
        {
            return false;
        }
        if self.last.len() >= ANNOUNCED_REMEMBERED {
            self.last
                .retain(|_, t| now.duration_since(*t) < ANNOUNCED_SCAN_GAP);
        }
        if self.last.len() >= ANNOUNCED_REMEMBERED {
            return false;
        }
        self.last.insert(ip, now);
        true
    }
}

/// Why watch stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Running,
    Signal(u8),
    Done,
}

/// Reads the configuration again (SIGHUP).
pub type Reload = Box<dyn Fn() -> Result<(ScanJob, WatchConfig), String> + Send + Sync>;

/// Starts the fleet's agent beside the rounds (`watch --hub`; the command layer gives it): with
/// what the watch shares, the agent's task, or why it cannot run.
pub type StartAgent = Box<dyn FnOnce(Beside) -> Result<Task, CommandError> + Send>;

/// Run `camscan watch` until a signal (or `--rounds`); returns the exit code. `hub_agent`: the
/// fleet's agent for `--hub`, run beside the rounds.
pub async fn run(
    cfg: ScanJob,
    w: WatchConfig,
    reload: Reload,
    hub_agent: Option<StartAgent>,
) -> Result<u8, CommandError> {
    run_with(cfg, w, reload, None, hub_agent).await
}

/// The watcher inside `camscan serve`: no signals, no metrics endpoint of its own (serve's
/// `/metrics` shows its figures), scans one at a time with serve's; ends when `embedded.stop`.
pub async fn run_embedded(
    cfg: ScanJob,
    w: WatchConfig,
    embedded: Embedded,
) -> Result<u8, CommandError> {
    let reload: Reload =
        Box::new(|| Err("configuration reload is not available under serve".into()));
    run_with(cfg, w, reload, Some(embedded), None).await
}

/// The watch: its store, metrics endpoint and sinks started, its stop (signals, or the host's
/// stop), the stream checker and the announcement listener, then the scan rounds until a stop;
/// then the sinks drained (after `--rounds`) and every task stopped.
async fn run_with(
    cfg: ScanJob,
    mut w: WatchConfig,
    reload: Reload,
    embedded: Option<Embedded>,
    hub_agent: Option<StartAgent>,
) -> Result<u8, CommandError> {
    let Some(db) = cfg.db.clone() else {
        return Err(CommandError::Usage(
            "camscan watch needs the inventory (it is where events wait for their sinks): drop --no-db".into(),
        ));
    };
    // The gate: one scan at a time (the rounds', the hub's requested ones, and the host's).
    let (store, gate, metrics) = match &embedded {
        Some(e) => (e.store.clone(), e.gate.clone(), e.metrics.clone()),
        None => (
            SharedStore::new(crate::record::open(&db)?),
            Default::default(),
            Default::default(),
        ),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let state = Arc::new(Mutex::new(Stop::Running));
    let server = metrics_server(&mut w, embedded.is_some()).await?;
    // Flags that do not go together stop the watch before anything starts.
    let writer =
        write::Writer::of(&w, &cfg.report.format_options, &db).map_err(CommandError::Usage)?;
    let mut tasks = tokio::task::JoinSet::new();
    let hub_wake = hub_agent.as_ref().map(|_| Arc::new(Notify::new()));
    let host_agent = embedded.as_ref().and_then(|e| e.hub_wake.clone());
    let sinks = Sinks::start(
        &w,
        &store,
        &stop_rx,
        &mut tasks,
        hub_wake.clone().or(host_agent),
    )
    .await?;
    spawn_metrics(server, &metrics, &sinks, &stop_rx, &mut tasks);
    refresh_devices(&store, &metrics).await;

    // Signals: SIGINT/SIGTERM stop, SIGHUP reloads.
    let reload_asked = Arc::new(AtomicBool::new(false));
    let wake_loop = Arc::new(Notify::new());
    let stops = (state.clone(), stop_tx.clone(), wake_loop.clone());
    spawn_stop(embedded.as_ref(), stops, reload_asked.clone(), &mut tasks);

    // The checker.
    let scanning = Arc::new(AtomicBool::new(false));
    let checker = Arc::new(Mutex::new(check_rounds::Settings::of(&cfg, &w)));
    if w.check_every.is_some() {
        tasks.spawn(check_rounds::run(
            store.clone(),
            checker.clone(),
            scanning.clone(),
            sinks.wakes.clone(),
            metrics.clone(),
            stop_rx.clone(),
        ));
    }
    let hub_refused: Arc<Mutex<Option<String>>> = Arc::default();
    // The agent stops after the rounds, so that its last push carries their last round.
    let (agent_stop, agent_stop_rx) = watch::channel(false);
    if let (Some(start), Some(wake)) = (hub_agent, hub_wake) {
        // The fleet's agent: woken with the sinks, as new events are recorded; it runs the scans
        // the hub queues for this site with the rounds' gate.
        let host = agent::Host {
            store: &store,
            metrics: &metrics,
            gate: &gate,
            scanning: &scanning,
            wakes: &sinks.wakes,
            job: &cfg,
        };
        let stops = (state.clone(), stop_tx.clone(), wake_loop.clone());
        tasks.spawn(start(Beside {
            store: store.clone(),
            wake,
            stop: agent_stop_rx,
            turn: agent::turn(host),
            refused: agent::on_refused(&hub_refused, stops),
        })?);
    }
    let (targets, announcements, listening) =
        listen_for_announcements(&cfg, &w, &stop_rx, &mut tasks).await?;
    let pushers = push::Pusher::all(&w.pushes);
    let mut rounds = rounds::Rounds {
        cfg,
        w,
        db,
        store: store.clone(),
        metrics,
        gate: Some(gate),
        scanning,
        wakes: sinks.wakes.clone(),
        writer,
        pushers,
        checker,
        targets,
        announced: AnnouncedScans::default(),
    };
    rounds
        .run(rounds::Control {
            state: &state,
            reload_asked: &reload_asked,
            reload: &reload,
            wake: &wake_loop,
            announcements,
            listening,
        })
        .await;
    let _ = agent_stop.send(true);
    let code = shut_down(&state, &store, &sinks.stats, stop_tx, tasks).await;
    match hub_refused.lock().unwrap_or_else(|e| e.into_inner()).take() {
        Some(why) => Err(CommandError::HubRefused(why)),
        None => Ok(code),
    }
}

/// The metrics endpoint's address, taken before anything runs (a taken one is an error now);
/// none under serve, whose own listener serves /metrics.
async fn metrics_server(
    w: &mut WatchConfig,
    embedded: bool,
) -> Result<Option<MetricsServer>, CommandError> {
    if embedded && w.metrics.take().is_some() {
        tracing::warn!("watch metrics: served at /metrics on serve's own listener, not apart");
    }
    match w.metrics {
        Some(addr) => {
            Ok(Some(MetricsServer::bind(addr).await.map_err(|e| {
                CommandError::Usage(format!("--metrics {addr}: {e}"))
            })?))
        }
        None => Ok(None),
    }
}

/// The metrics endpoint (when it has an address) and the sinks' figures into the metrics.
fn spawn_metrics(
    server: Option<MetricsServer>,
    metrics: &Metrics,
    sinks: &Sinks,
    stop_rx: &watch::Receiver<bool>,
    tasks: &mut tokio::task::JoinSet<()>,
) {
    if let Some(server) = server {
        let (m, stop) = (metrics.clone(), stop_rx.clone());
        tasks.spawn(async move {
            if let Err(e) = server.run(m, stop).await {
                tracing::error!("metrics endpoint stopped: {e}");
            }
        });
    }
    tasks.spawn(sink_metrics(
        metrics.clone(),
        sinks.stats.clone(),
        stop_rx.clone(),
    ));
}

/// The notification sinks' delivery tasks: how to wake them, and their figures.
struct Sinks {
    wakes: Arc<Vec<Arc<Notify>>>,
    stats: Vec<(String, Arc<Mutex<SinkStats>>)>,
}

impl Sinks {
    /// Start a delivery task per sink (stdout when none is given). Sinks first: a new sink's
    /// cursor starts at the newest event, before this run derives any.
    async fn start(
        w: &WatchConfig,
        store: &SharedStore,
        stop_rx: &watch::Receiver<bool>,
        tasks: &mut tokio::task::JoinSet<()>,
        hub_wake: Option<Arc<Notify>>,
    ) -> Result<Sinks, CommandError> {
        let specs = if w.sinks.is_empty() {
            vec![SinkSpec::default()]
        } else {
            w.sinks.clone()
        };
        let mut wakes = Vec::new();
        let mut stats: Vec<(String, Arc<Mutex<SinkStats>>)> = Vec::new();
        let options = SinkOptions::new(
            w.sink_options.clone(),
            w.webhook_secret_env.as_ref().map(|s| s.0.as_slice()),
        )
        .map_err(CommandError::Usage)?;
        for spec in &specs {
            let sink = Sink::new(spec, &options).map_err(CommandError::Usage)?;
            let name = spec.name();
            store
                .run({
                    let name = name.clone();
                    move |s| s.sink_cursor(&name).map(|_| ())
                })
                .await?;
            let wake = Arc::new(Notify::new());
            let st = Arc::new(Mutex::new(SinkStats::default()));
            wakes.push(wake.clone());
            stats.push((name.clone(), st.clone()));
            let (store, stop) = (store.clone(), stop_rx.clone());
            let cap = w.outbox_cap;
            tasks.spawn(async move {
                if let Err(e) =
                    notify::deliver(store, name.clone(), sink, cap, wake, stop, st).await
                {
                    tracing::error!(sink = %notify::shown_name(&name), "delivery stopped: {e}");
                }
            });
        }
        wakes.extend(hub_wake);
        Ok(Sinks {
            wakes: Arc::new(wakes),
            stats,
        })
    }
}

/// What stops the watch: SIGINT/SIGTERM (and SIGHUP, which asks for a reload) on its own, the
/// host's stop when embedded. `stops`: the state to set, the stop to send, the rounds to wake.
fn spawn_stop(
    embedded: Option<&Embedded>,
    (state, stop_tx, wake_loop): (Arc<Mutex<Stop>>, watch::Sender<bool>, Arc<Notify>),
    reload_asked: Arc<AtomicBool>,
    tasks: &mut tokio::task::JoinSet<()>,
) {
    match embedded {
        None => {
            tasks.spawn(signals(state, stop_tx, reload_asked, wake_loop));
        }
        Some(e) => {
            let mut host = e.stop.clone();
            let mut stopped = stop_tx.subscribe();
            tasks.spawn(async move {
                tokio::select! {
                    _ = host.wait_for(|s| *s) => {}
                    _ = stopped.changed() => return,
                }
                stop_with(&state, &stop_tx, &wake_loop, exit::SIGTERM);
            });
        }
    }
}

/// Announcements: listened for on the interfaces whose networks hold the targets (none for
/// loopback targets), an announcing target scanned at once. Returns the targets, the channel
/// and whether anything listens.
async fn listen_for_announcements(
    cfg: &ScanJob,
    w: &WatchConfig,
    stop_rx: &watch::Receiver<bool>,
    tasks: &mut tokio::task::JoinSet<()>,
) -> Result<
    (
        crate::discovery::targets::TargetSet,
        tokio::sync::mpsc::Receiver<Announcement>,
        bool,
    ),
    CommandError,
> {
    let (ann_tx, ann_rx) = tokio::sync::mpsc::channel::<Announcement>(ANNOUNCEMENTS_QUEUED);
    let plan = crate::scan::plan::ScanPlan::build(&cfg.scan).await?;
    let mut listening = false;
    if w.listen && !plan.links.multicast.is_empty() {
        match Listener::bind(&plan.links.multicast) {
            Ok(l) => {
                let stop = stop_rx.clone();
                tasks.spawn(async move {
                    if let Err(e) = l.run(ann_tx, stop).await {
                        tracing::warn!("announcement listener stopped: {e}");
                    }
                });
                listening = true;
            }
            Err(e) => tracing::warn!("not listening for announcements: {e}"),
        }
    }
    Ok((plan.set, ann_rx, listening))
}

/// Stop: let sinks deliver what this run derived (bounded, after `--rounds`), then stop every
/// task (5 s, then aborted). The exit code: the signal's, else 0.
async fn shut_down(
    state: &Mutex<Stop>,
    store: &SharedStore,
    stats: &[(String, Arc<Mutex<SinkStats>>)],
    stop_tx: watch::Sender<bool>,
    mut tasks: tokio::task::JoinSet<()>,
) -> u8 {
    let stopped_by = *lock(state);
    if stopped_by == Stop::Done {
        drain(store, stats, Duration::from_secs(10)).await;
    }
    let _ = stop_tx.send(true);
    let deadline = tokio::time::sleep(Duration::from_secs(5));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = tasks.join_next() => if next.is_none() { break },
            _ = &mut deadline => { tasks.abort_all(); break }
        }
    }
    match *lock(state) {
        Stop::Signal(code) => code,
        _ => exit::FOUND,
    }
}

/// Copy each sink's figures into the metrics, every few seconds.
async fn sink_metrics(
    metrics: Metrics,
    stats: Vec<(String, Arc<Mutex<SinkStats>>)>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        for (name, st) in &stats {
            let snapshot = *lock(st);
            metrics.sink(&notify::shown_name(name), &snapshot);
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Wait (at most `limit`) until every sink has delivered what is in the outbox.
async fn drain(store: &SharedStore, stats: &[(String, Arc<Mutex<SinkStats>>)], limit: Duration) {
    let until = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < until {
        let names: Vec<String> = stats.iter().map(|(n, _)| n.clone()).collect();
        let left = store
            .run(move |s| {
                names
                    .iter()
                    .map(|n| s.outbox_depth(n))
                    .sum::<Result<i64, _>>()
            })
            .await
            .unwrap_or(0);
        if left == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn signals(
    state: Arc<Mutex<Stop>>,
    stop: watch::Sender<bool>,
    reload: Arc<AtomicBool>,
    wake: Arc<Notify>,
) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for signals");
        return;
    };
    let mut stopped = stop.subscribe();
    loop {
        let code = tokio::select! {
            _ = int.recv() => exit::SIGINT,
            _ = term.recv() => exit::SIGTERM,
            _ = hup.recv() => {
                reload.store(true, Ordering::Relaxed);
                wake.notify_one();
                continue;
            }
            _ = stopped.changed() => return,
        };
        stop_with(&state, &stop, &wake, code);
        return;
    }
}

/// Stop the watch with exit `code` (unless it is stopping already) and wake its rounds: what a
/// signal, the host's stop and a hub's refusal do.
fn stop_with(state: &Mutex<Stop>, stop: &watch::Sender<bool>, wake: &Notify, code: u8) {
    {
        let mut s = lock(state);
        if *s == Stop::Running {
            *s = Stop::Signal(code);
        }
    }
    let _ = stop.send(true);
    wake.notify_one();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announced_addresses_are_scanned_at_most_once_a_minute() {
        let mut a = AnnouncedScans::default();
        let t0 = std::time::Instant::now();
        let ip: std::net::IpAddr = "10.0.0.5".parse().unwrap();
        let other: std::net::IpAddr = "10.0.0.6".parse().unwrap();
        assert!(a.take(ip, t0));
        assert!(!a.take(ip, t0 + Duration::from_secs(30)));
        assert!(a.take(other, t0 + Duration::from_secs(30)));
        assert!(a.take(ip, t0 + ANNOUNCED_SCAN_GAP));
    }

    #[test]
    fn schedules() {
        let now: jiff::Zoned = "2026-11-23T10:07:30+00:00[UTC]".parse().unwrap();
        let every = Schedule::parse(Some("15m"), None).unwrap();
        let started = now.timestamp() - jiff::SignedDuration::from_secs(60);
        assert_eq!(every.wait(started, &now), Duration::from_secs(14 * 60));
        // A scan longer than the interval: the next starts at once.
        let long_ago = now.timestamp() - jiff::SignedDuration::from_secs(3600);
        assert_eq!(every.wait(long_ago, &now), Duration::ZERO);
        let cron = Schedule::parse(None, Some("*/15 * * * *")).unwrap();
        assert_eq!(cron.wait(started, &now), Duration::from_secs(7 * 60 + 30));
        let secs = Schedule::parse(None, Some("*/10 * * * * *")).unwrap();
        assert_eq!(secs.wait(started, &now), Duration::from_secs(10));
        assert!(matches!(
            Schedule::parse(None, None).unwrap(),
            Schedule::Every(d) if d == DEFAULT_EVERY
        ));
        for bad in [
            (Some("0s"), None),
            (Some("x"), None),
            (None, Some("61 * * * *")),
        ] {
            assert!(Schedule::parse(bad.0, bad.1).is_err(), "{bad:?}");
        }
        assert!(Schedule::parse(Some("1m"), Some("* * * * *")).is_err());
    }
}
