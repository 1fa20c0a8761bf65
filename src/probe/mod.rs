//! The bounded TCP connect pool.
//!
//! Targets are walked lazily and port-major (every host on one port, then the next port), so a /16
//! never becomes a list and no one host is hit on all ports at once. A global permit and a per-host
//! permit are taken *before* a probe task is spawned (mini-redis `server.rs`), so the number of sockets
//! in flight never exceeds the pool size. The per-host cap uses a fixed set of striped semaphores keyed
//! by address hash: memory stays constant however large the range (two hosts sharing a stripe share a
//! cap, which only makes the scan gentler). A token bucket ([`pace`]) holds the connects to
//! `--max-rate` a second, taken after both permits, right before the connect is spawned.

pub use net::pace;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};

use crate::discovery::Batch;
use crate::discovery::ledger::Ledger;
use crate::discovery::tally::Tally;
use crate::discovery::targets::TargetSet;
use input::setting::{Repeat, Setting};
use net::neigh::Entry;
use net::{self, ConnectOutcome};

/// Per-host stripes: enough that unrelated hosts rarely share one.
const HOST_STRIPES: usize = 4096;
/// First backoff after a transient error; doubles per retry.
const BACKOFF_BASE: Duration = Duration::from_millis(50);

/// Camera ports probed by default: RTSP (554, 8554, 10554, 5554), HTTP/ONVIF (80, 81, 88 Foscam, 443,
/// 8000 Hikvision SDK/Reolink ONVIF, 8080, 8081, 8443, 2020 Tapo ONVIF), RTMP 1935, UniFi 7447, XMeye
/// 34567, Dahua 37777 (`docs/design/protocols.md`, "The port set"; 8443 beside 443 for HTTPS web
/// UIs), and WebRTC: STUN/TURN 3478 (RFC 5389), Janus' HTTP API 8088, go2rtc's API and WHEP 1984,
/// MediaMTX's WebRTC/WHEP listener 8889.
pub const DEFAULT_PORTS: [u16; 21] = [
    554, 8554, 10554, 5554, 80, 81, 88, 443, 8000, 8080, 8081, 8443, 1935, 7447, 34567, 37777,
    2020, 3478, 8088, 1984, 8889,
];

/// `--ports`: the TCP ports probed, before the STUN ports and an audit's are added
/// ([`crate::scan::ScanConfig::ports`] is the whole list).
pub static PORTS: Setting<std::borrow::Cow<'static, [u16]>> = Setting {
    key: "ports",
    flag: "--ports",
    short: Some('p'),
    repeat: Repeat::Once,
    env: "CAMSCAN_PORTS",
    value_name: "PORTS",
    help: "TCP ports: list and ranges, e.g. 554,8554,8000-8010 [default: 554,8554,10554,5554,\
               80,81,88,443,8000,8080,8081,8443,1935,7447,34567,37777,2020,3478,8088,1984,8889]",
    default: std::borrow::Cow::Borrowed(&DEFAULT_PORTS),
    choices: None,
    parse: |t| input::setting::ports(t).map(std::borrow::Cow::Owned),
};
/// `--concurrency`: probes in flight at once (`None`: from the open-file limit,
/// [`net::default_concurrency`]).
pub static CONCURRENCY: Setting<Option<usize>> = Setting {
    key: "concurrency",
    flag: "--concurrency",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_CONCURRENCY",
    value_name: "N",
    help: "Probes in flight at once; an eighth of it (16 to 128) is the port analyses run at \
           once [default: derived from the open-file limit, at most 1024]",
    default: None,
    choices: None,
    parse: |t| input::setting::count(t, 1).map(Some),
};

/// Probes in flight to one host: more than the default port list, so a host that drops every SYN
/// (a firewall) costs one connect timeout rather than one per wave. A SYN and an RST are no load for
/// a camera; the analysis stages, which do load it, have their own limits.
pub const DEFAULT_PER_HOST: usize = 32;

/// Retries of a connect that failed for a local reason (ENOBUFS, EMFILE...), backing off 50, 100,
/// 200, 400 ms: a scan that runs out of room waits for it rather than count the port closed.
pub const DEFAULT_RETRIES: u32 = 4;

/// `--per-host`: probes in flight to one host at once.
pub static PER_HOST: Setting<usize> = Setting {
    key: "per_host",
    flag: "--per-host",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_PER_HOST",
    value_name: "N",
    help: "Probes in flight to one host at once [default: 32]",
    default: DEFAULT_PER_HOST,
    choices: None,
    parse: |t| input::setting::count(t, 1),
};

/// `--max-rate`: connects a second, all hosts together (0: no limit; `None`: the plan's
/// default, lower on Docker Desktop).
pub static MAX_RATE: Setting<Option<u32>> = Setting {
    key: "max_rate",
    flag: "--max-rate",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_MAX_RATE",
    value_name: "N",
    help: "Connects a second at most, all hosts together, so a NAT relay or a small switch sees \
           a steady stream rather than a burst; 0: no limit [default: 10000, 500 on Docker \
           Desktop]",
    default: None,
    choices: None,
    parse: |t| input::setting::count(t, 0).map(Some),
};

/// `--retries`: retries of a connect that failed for a local reason (at most 10).
pub static RETRIES: Setting<u32> = Setting {
    key: "retries",
    flag: "--retries",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_RETRIES",
    value_name: "N",
    help: "Retries of a connect that failed for a transient local reason (no buffers, no ports, \
           too many open files), with exponential backoff; a connect still failing is counted \
           lost, never closed [default: 4]",
    default: DEFAULT_RETRIES,
    choices: None,
    parse: |t| match input::setting::count(t, 0)? {
        n if n > 10 => Err("at most 10".into()),
        n => Ok(n),
    },
};

#[derive(Debug, Clone)]
pub struct ProbeSettings {
    pub connect_timeout: Duration,
    pub concurrency: usize,
    pub per_host: usize,
    pub retries: u32,
    /// Connects a second at most, all hosts together (`--max-rate`); 0: no limit.
    pub max_rate: u32,
}

/// Counters of one probe run; shared so a progress display can read them while it runs.
#[derive(Debug, Default)]
pub struct ProbeStats {
    pub total: AtomicU64,
    pub done: AtomicU64,
    pub open: AtomicU64,
    pub closed: AtomicU64,
    pub timeouts: AtomicU64,
    pub unreachable: AtomicU64,
    pub errors: AtomicU64,
    pub retries: AtomicU64,
    /// Connects given up for a local reason after every retry (no socket, no buffer, a full
    /// neighbour table): neither closed nor filtered, unknown.
    pub lost: AtomicU64,
    /// Highest number of connects in flight at once (checks the pool bound).
    pub peak_in_flight: AtomicU64,
    /// Devices found so far (the collector's registry; not a probe figure, but the run's progress
    /// is read from here).
    pub devices: AtomicU64,
    in_flight: AtomicU64,
}

impl ProbeStats {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// An open port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenPort {
    pub addr: SocketAddr,
}

/// What the probes tell the dispatcher, in order: each open port as it is found, and, with a
/// [`crate::discovery::ledger::Ledger`], each address whose connects are all done, sent behind its open ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeNews {
    Open(OpenPort),
    /// Every connect to this address handed so far has finished (its open ports were sent first).
    HostDone(IpAddr),
}

fn stripe(ip: &IpAddr) -> usize {
    let n: u128 = match ip {
        IpAddr::V4(v) => u32::from(*v) as u128,
        IpAddr::V6(v) => u128::from(*v),
    };
    // Fibonacci hashing spreads consecutive addresses over stripes.
    let h = (n as u64 ^ (n >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 32) as usize % HOST_STRIPES
}

/// The connect pool: one global bound and the per-host stripes, shared by every batch of targets
/// handed to it (the off-link targets at once, each on-link host as it answers ARP).
pub struct Prober {
    settings: ProbeSettings,
    open_tx: mpsc::Sender<ProbeNews>,
    /// Counts each address's connects down (`None`: nobody asks).
    ledger: Option<Arc<Ledger>>,
    /// Where a connect that found the neighbour table full is counted (ARP's sweep reads it:
    /// [`Tally::neighbour_full`]).
    tally: Option<Arc<Tally>>,
    stats: Arc<ProbeStats>,
    pool: Arc<Semaphore>,
    stripes: Arc<Vec<Semaphore>>,
    /// Held only for the arithmetic of one token (never across an await).
    pace: std::sync::Mutex<pace::Pace>,
    /// The origin of the pace's clock.
    started: tokio::time::Instant,
}

impl Prober {
    pub fn new(
        settings: &ProbeSettings,
        open_tx: mpsc::Sender<ProbeNews>,
        stats: Arc<ProbeStats>,
    ) -> Self {
        Prober {
            settings: settings.clone(),
            open_tx,
            ledger: None,
            tally: None,
            stats,
            pool: Arc::new(Semaphore::new(settings.concurrency)),
            stripes: Arc::new(
                (0..HOST_STRIPES)
                    .map(|_| Semaphore::new(settings.per_host))
                    .collect(),
            ),
            pace: std::sync::Mutex::new(pace::Pace::new(settings.max_rate, Duration::ZERO)),
            started: tokio::time::Instant::now(),
        }
    }

    /// Count each address's connects down in `ledger` (whoever hands targets writes them there)
    /// and send [`ProbeNews::HostDone`] after an address's last one.
    pub fn with_ledger(mut self, ledger: Arc<Ledger>) -> Self {
        self.ledger = Some(ledger);
        self
    }

    /// Count the connects that find the neighbour table full in `tally`.
    pub fn with_tally(mut self, tally: Arc<Tally>) -> Self {
        self.tally = Some(tally);
        self
    }

    /// Start a probe of every (port, host) pair of `batch`'s targets on its ports (`ports` when it
    /// names none), port-major; each open port goes to the receiver as soon as it is found. Returns
    /// once the last probe has started (the pool bounds how many run), or early if the receiver
    /// is gone.
    pub async fn add(&self, batch: &Batch, ports: &[u16]) {
        let ports = batch.ports.as_deref().unwrap_or(ports);
        let targets = &batch.targets;
        let total = targets.len().saturating_mul(ports.len() as u128);
        self.stats
            .total
            .fetch_add(u64::try_from(total).unwrap_or(u64::MAX), Ordering::Relaxed);
        for &port in ports {
            for ip in targets.iter() {
                if self.open_tx.is_closed() {
                    return;
                }
                let s = stripe(&ip);
                // Host permit first, then the pool permit, both before spawning.
                let Ok(host_permit) = self.stripes[s].acquire().await else {
                    return;
                };
                host_permit.forget();
                let Ok(permit) = self.pool.clone().acquire_owned().await else {
                    self.stripes[s].add_permits(1);
                    return;
                };
                // The global rate: one token a connect (batches added at once share the bucket).
                let wait = self
                    .pace
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take(self.started.elapsed());
                if let Some(wait) = wait {
                    tokio::time::sleep(wait).await;
                }
                let addr = SocketAddr::new(ip, port);
                let tx = self.open_tx.clone();
                let stats = self.stats.clone();
                let stripes = self.stripes.clone();
                let settings = self.settings.clone();
                let ledger = self.ledger.clone();
                let answered = batch.answered.clone();
                let alive = batch.alive;
                let timeout = batch
                    .timeout_for(&ip)
                    .unwrap_or(self.settings.connect_timeout);
                let tally = self.tally.clone();
                tokio::spawn(async move {
                    let n = stats.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
                    stats.peak_in_flight.fetch_max(n, Ordering::Relaxed);
                    let answer = probe_one(
                        addr,
                        (&settings, timeout),
                        (&stats, tally.as_deref()),
                        alive,
                    )
                    .await;
                    stats.in_flight.fetch_sub(1, Ordering::Relaxed);
                    stats.done.fetch_add(1, Ordering::Relaxed);
                    stripes[s].add_permits(1);
                    drop(permit);
                    if answer != Answer::Silent
                        && let Some(answered) = &answered
                    {
                        let _ = answered.send(ip);
                    }
                    if answer == Answer::Open {
                        let _ = tx.send(ProbeNews::Open(OpenPort { addr })).await;
                    }
                    // After this connect's open port, on the same channel: whoever reads it has
                    // seen every open port of the address when it reads that the address is done.
                    if ledger.is_some_and(|l| l.finish_one(ip)) {
                        let _ = tx.send(ProbeNews::HostDone(ip)).await;
                    }
                });
            }
        }
    }

    /// Wait for every probe started to finish (all pool permits back), then let the receiver see
    /// the end of the open ports.
    pub async fn finish(self) {
        let _ = self
            .pool
            .acquire_many(self.settings.concurrency as u32)
            .await;
    }
}

/// Probe every (port, host) pair; send each open port to `open_tx` as soon as it is found.
/// Returns when every probe has finished, or early if the receiver is dropped.
pub async fn run(
    targets: &TargetSet,
    ports: &[u16],
    settings: &ProbeSettings,
    open_tx: mpsc::Sender<ProbeNews>,
    stats: Arc<ProbeStats>,
) {
    let prober = Prober::new(settings, open_tx, stats);
    prober.add(&Batch::from(targets.clone()), ports).await;
    prober.finish().await;
}

/// What one connect learnt of its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Open,
    /// Refused: the host is there, the port closed.
    Closed,
    /// A timeout, an unreachable, or a connect given up (counted `lost`).
    Silent,
}

/// Why a connect to a host that answered ARP may have gone unanswered for this machine's sake,
/// not the port's: the neighbour table's entry for it when that is not resolved, or a resolved one
/// while the table has been found full in this scan (`tally`); `None`: the timeout stands.
fn silenced(addr: SocketAddr, tally: Option<&Tally>) -> Option<Entry> {
    match net::neigh::entry(addr.ip()) {
        Entry::Resolved if tally.is_some_and(|t| t.neighbour_full.load(Ordering::Relaxed) > 0) => {
            Some(Entry::Resolved)
        }
        Entry::Resolved => None,
        other => Some(other),
    }
}

/// Pause before a connect whose SYN found the neighbour table full is asked again, times the
/// attempt: the kernel frees entries older than 5 s once the table is full.
const NEIGHBOUR_PAUSE: Duration = Duration::from_millis(1000);
/// Connects asked again for a full neighbour table, at most.
const NEIGHBOUR_RETRIES: u32 = 4;

/// One probe with retries on transient local errors and, for a host that answered ARP (`alive`),
/// on a timeout whose SYN found no neighbour entry to go out on.
async fn probe_one(
    addr: SocketAddr,
    (settings, timeout): (&ProbeSettings, Duration),
    (stats, tally): (&ProbeStats, Option<&Tally>),
    alive: bool,
) -> Answer {
    let (mut attempt, mut neighbour) = (0, 0);
    loop {
        match net::connect(addr, timeout).await {
            ConnectOutcome::Open(stream) => {
                // Close with RST: a scan should not leave sockets in TIME_WAIT.
                let _ = stream.set_zero_linger();
                stats.open.fetch_add(1, Ordering::Relaxed);
                return Answer::Open;
            }
            ConnectOutcome::Refused => {
                stats.closed.fetch_add(1, Ordering::Relaxed);
                return Answer::Closed;
            }
            ConnectOutcome::Timeout | ConnectOutcome::Unreachable(_)
                if alive
                    && let Some(entry) = silenced(addr, tally)
                    && (entry != Entry::Resolved || neighbour < NEIGHBOUR_RETRIES) =>
            {
                // The host answered the sweep's ARP, yet the connect went unanswered. No
                // neighbour entry at all: the SYN found the table full and never left. An
                // unresolved one: the kernel's own ARP exchange was lost. A resolved one while the
                // table has been full in this scan: the answer may have been lost to it on its way
                // back. None is the port's answer: asked again once there may be room.
                if entry == Entry::Absent
                    && let Some(t) = tally
                {
                    t.neighbour_full.fetch_add(1, Ordering::Relaxed);
                }
                if neighbour >= NEIGHBOUR_RETRIES {
                    tracing::debug!(%addr, ?entry, "no neighbour entry after every retry; connect given up");
                    stats.lost.fetch_add(1, Ordering::Relaxed);
                    return Answer::Silent;
                }
                neighbour += 1;
                stats.retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(NEIGHBOUR_PAUSE * neighbour).await;
            }
            ConnectOutcome::Timeout => {
                stats.timeouts.fetch_add(1, Ordering::Relaxed);
                return Answer::Silent;
            }
            ConnectOutcome::Unreachable(_) => {
                stats.unreachable.fetch_add(1, Ordering::Relaxed);
                return Answer::Silent;
            }
            ConnectOutcome::Transient(e) if attempt < settings.retries => {
                attempt += 1;
                stats.retries.fetch_add(1, Ordering::Relaxed);
                let backoff = BACKOFF_BASE * 2u32.saturating_pow(attempt - 1);
                tracing::debug!(%addr, "transient connect error ({e}); retry {attempt} in {backoff:?}");
                tokio::time::sleep(backoff).await;
            }
            ConnectOutcome::Transient(e) => {
                tracing::debug!(%addr, "connect given up after {attempt} retries: {e}");
                stats.lost.fetch_add(1, Ordering::Relaxed);
                return Answer::Silent;
            }
            ConnectOutcome::Failed(e) => {
                tracing::debug!(%addr, "connect failed: {e}");
                stats.errors.fetch_add(1, Ordering::Relaxed);
                return Answer::Silent;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::targets::{TargetSpec, parse_spec};
    use std::collections::BTreeMap;
    use tokio::net::TcpListener;

    fn targets(specs: &[&str]) -> TargetSet {
        let ranges = specs
            .iter()
            .map(|s| match parse_spec(s).unwrap() {
                TargetSpec::Range(r) => r,
                TargetSpec::Host(_) => unreachable!(),
            })
            .collect();
        TargetSet::new(ranges, vec![], BTreeMap::new())
    }

    #[tokio::test]
    async fn finds_open_ports_and_respects_the_pool_bound() {
        let l1 = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l1.local_addr().unwrap().port();
        // Many closed ports on 32 loopback addresses, one open.
        let t = targets(&["127.0.0.0/27"]);
        let mut ports: Vec<u16> = vec![port];
        // Ten closed ports below 1024: a port in the ephemeral range may be the listener's own
        // (it was once: 40003 open twice).
        ports.extend((2..=12).filter(|p| *p != port).take(10));
        let (tx, mut rx) = mpsc::channel(16);
        let stats = Arc::new(ProbeStats::default());
        let settings = ProbeSettings {
            connect_timeout: Duration::from_secs(1),
            concurrency: 7,
            per_host: 2,
            retries: 1,
            max_rate: 0,
        };
        let st = stats.clone();
        let book = Arc::new(Ledger::default());
        book.expect(&t, ports.len());
        let counted = book.clone();
        let run = tokio::spawn(async move {
            let prober = Prober::new(&settings, tx, st).with_ledger(counted);
            prober.add(&Batch::from(t), &ports).await;
            prober.finish().await;
        });
        let (mut open, mut done) = (Vec::new(), Vec::new());
        while let Some(news) = rx.recv().await {
            match news {
                ProbeNews::Open(o) => {
                    assert!(!done.contains(&o.addr.ip()), "{o:?} after its host's end");
                    open.push(o.addr)
                }
                ProbeNews::HostDone(ip) => done.push(ip),
            }
        }
        run.await.unwrap();
        assert_eq!(open, [SocketAddr::from(([127, 0, 0, 1], port))]);
        done.sort();
        let all: Vec<IpAddr> = targets(&["127.0.0.0/27"]).iter().collect();
        assert_eq!(done, all, "each address once, when its last port is done");
        assert!(all.iter().all(|ip| book.settled(*ip, 1)));
        assert_eq!(ProbeStats::get(&stats.total), 30 * 11);
        assert_eq!(ProbeStats::get(&stats.done), 30 * 11);
        assert_eq!(ProbeStats::get(&stats.open), 1);
        assert!(ProbeStats::get(&stats.peak_in_flight) <= 7);
        drop(l1);
    }

    #[test]
    fn stripes_spread_consecutive_hosts() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..256u32 {
            seen.insert(stripe(&IpAddr::from(std::net::Ipv4Addr::from(
                0x0a00_0000 + i,
            ))));
        }
        assert!(seen.len() > 240, "{}", seen.len());
    }

    #[tokio::test]
    async fn max_rate_spreads_the_connects() {
        // 60 closed ports at 200 a second (a burst of 4): at least 56 / 200 = 280 ms.
        let t = targets(&["127.0.0.1/32"]);
        let ports: Vec<u16> = (40100..40160).collect();
        let (tx, mut rx) = mpsc::channel(16);
        let stats = Arc::new(ProbeStats::default());
        let settings = ProbeSettings {
            connect_timeout: Duration::from_secs(1),
            concurrency: 64,
            per_host: 64,
            retries: 0,
            max_rate: 200,
        };
        let started = std::time::Instant::now();
        let st = stats.clone();
        let run = tokio::spawn(async move { run(&t, &ports, &settings, tx, st).await });
        while rx.recv().await.is_some() {}
        run.await.unwrap();
        let took = started.elapsed();
        assert_eq!(ProbeStats::get(&stats.done), 60);
        assert!(took >= Duration::from_millis(280), "{took:?}");
    }
}
