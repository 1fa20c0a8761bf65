//! The per-host gate of analysis traffic: what camscan sends to one device after the port probe
//! (detection, the HTTP fingerprint, ONVIF, ISAPI, the RTSP path walk, RTMP, the PLAY checks' RTSP
//! requests) goes through it.
//!
//! Per target address it holds (a) a cap on the analysis exchanges in flight at once
//! (`--host-connections`: a connection being opened, a request waiting for its answer) and (b) a
//! token bucket of requests a second (`--host-rate`, holding a fifth of a second's requests, at
//! least one: a burst beyond that is spaced evenly, see [`super::pace`]) under a cap of the rate
//! within any one second, counted when each request is let through (a task woken late would
//! otherwise go beside the next one on time), and it counts what the device received: the
//! requests sent, the most sent within any one second and the most exchanges in flight at once
//! (the scan's timing log prints them per device, `requests=N peak_per_s=M peak_connections=K`).
//!
//! The scan's context (`analyze::context::ScanContext`) carries one [`HostGates`] for the
//! whole scan, like the login budget and the session slots; `scan::dispatch` runs each open port's
//! analysis inside [`scope`], so every connect and request the net clients make in that task finds
//! the gates without forty signatures carrying them (as `timing` finds its phases).
//! Discovery's follow-up requests run in a scope too (WS-Discovery's ONVIF device API, SSDP's UPnP
//! descriptions, mDNS's describing requests). Outside a scope (a library caller, `watch`'s stream
//! checks, `serve`) the clients go ungated.
//!
//! What goes through it: each HTTP request ([`super::http`]: one per connection) takes a slot until
//! its reply's head is in, and a token; an RTSP connection ([`super::rtsp::RtspClient`]) takes a slot
//! while it connects, and each request on it a slot until its answer and a token; an RTMP handshake,
//! a TLS ClientHello on its own, a STUN Binding over TCP and a connection read for a greeting count
//! as one request with a slot until done; each RTMP command is a request. The retina sessions of
//! media analysis and the PLAY check take a token for their DESCRIBE, SETUP and PLAY
//! (`analyze::verify::step`); their connections are capped by the session slots
//! (`--sessions-per-device`, `analyze::sessions`), not by this cap, and their TEARDOWN and the
//! repeat of a DESCRIBE with a login are not counted.
//!
//! A slot is held only inside one exchange, which has its deadline, and never while another slot is
//! asked for, so the slots cannot wedge; a slot is still waited for at most [`SLOT_WAIT`], past which
//! the exchange goes anyway (logged at debug level, and counted in the peak).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::pace::Pace;

use input::setting::{Repeat, Setting};

/// Default cap on analysis exchanges in flight to one device (`--host-connections`): 4, the
/// most a normal scan of a camera had in flight (measured: GStreamer's RTSP server with two
/// streams and CPython's web server behind a login on one address, `docs/design/performance.md`,
/// "Politeness"), so it costs that scan nothing, and no more than the 2-4 RTSP clients cheap
/// cameras serve (`analyze::sessions`; a Dahua whose connection limit is full refuses everyone,
/// `docs/design/protocols.md`, "Lockouts and connection limits").
pub const DEFAULT_HOST_CONNECTIONS: usize = 4;

/// Default requests a second to one device (`--host-rate`): 250, with a burst of 50. Unpaced, the
/// busiest device of `scripts/bench`'s lab received 203 in its busiest second (an RTSP server whose
/// only stream no dictionary guesses, answering each DESCRIBE of the path walk with a 404 at once),
/// the others 3-111; a rate the walks reach holds them back, and with them the devices' finality:
/// with a bucket of one, 50 a second took the lab's full inventory from 3.9 s to 5.0 s, 200 a
/// second (5 ms a request) made the first round of a one-request-at-a-time camera 0.2 s longer
/// (`docs/design/performance.md`, "Politeness"). So the default sits above every lab device and
/// stops only a runaway: no second holds more than 250.
pub const DEFAULT_HOST_RATE: u32 = 250;

/// `--host-connections`: analysis connections to one device at a time (0: no limit).
pub static HOST_CONNECTIONS: Setting<usize> = Setting {
    key: "host_connections",
    flag: "--host-connections",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_HOST_CONNECTIONS",
    value_name: "N",
    help: "Analysis connections (detection, HTTP, ONVIF, the RTSP path walk, RTMP) being opened \
           or waiting for an answer from one device at a time; 0: no limit [default: 4]",
    default: DEFAULT_HOST_CONNECTIONS,
    choices: None,
    parse: |t| input::setting::count(t, 0),
};

/// `--host-rate`: analysis requests a second to one device (0: no limit).
pub static HOST_RATE: Setting<u32> = Setting {
    key: "host_rate",
    flag: "--host-rate",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_HOST_RATE",
    value_name: "N",
    help: "Analysis requests a second to one device, never more within any one second (a fifth \
           of a second's go at once, the rest evenly spaced); 0: no limit [default: 250]",
    default: DEFAULT_HOST_RATE,
    choices: None,
    parse: |t| input::setting::count(t, 0),
};

/// The per-host bucket holds this fraction of a second of requests (1/5: at the default 250 a
/// second, 50 go at once, then one each 4 ms; at 5 a second, one).
const BURST_DIVISOR: u32 = 5;

/// Longest wait for a connection slot before the connection goes anyway.
pub const SLOT_WAIT: Duration = Duration::from_secs(10);

/// The two limits (0: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateSettings {
    /// Concurrent analysis connections to one address.
    pub connections: usize,
    /// Requests a second to one address.
    pub rate: u32,
}

impl Default for GateSettings {
    fn default() -> Self {
        GateSettings {
            connections: DEFAULT_HOST_CONNECTIONS,
            rate: DEFAULT_HOST_RATE,
        }
    }
}

/// The protocol a request to a device speaks, for its counts by protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// RTSP requests (detection's OPTIONS, the walk's DESCRIBEs, the PLAY checks' requests).
    Rtsp,
    /// HTTP requests (detection's `GET /`, the web fingerprint, ONVIF's SOAP, ISAPI, HTTP media).
    Http,
    /// RTMP: the handshake and each command.
    Rtmp,
    /// The rest: a TLS ClientHello on its own, a STUN Binding over TCP, a connection read for a
    /// greeting.
    Other,
}

impl Wire {
    fn index(self) -> usize {
        self as usize
    }
}

/// What one address received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostCount {
    pub requests: u64,
    /// The requests by protocol, in [`Wire`]'s order (RTSP, HTTP, RTMP, other).
    pub by_wire: [u64; 4],
    /// The most requests within any one second.
    pub peak_per_s: u32,
    /// The most analysis connections open at once.
    pub peak_connections: u32,
}

impl HostCount {
    /// Several addresses of one device: requests added, the highest peak (their seconds may not
    /// line up, so this is a floor of the device's own peak).
    pub fn merge(self, other: HostCount) -> HostCount {
        let mut by_wire = self.by_wire;
        for (a, b) in by_wire.iter_mut().zip(other.by_wire) {
            *a += b;
        }
        HostCount {
            requests: self.requests + other.requests,
            by_wire,
            peak_per_s: self.peak_per_s.max(other.peak_per_s),
            peak_connections: self.peak_connections.max(other.peak_connections),
        }
    }
}

/// The count of one address: pure, the clock is an argument.
#[derive(Debug, Clone, Default)]
pub struct Counter {
    requests: u64,
    /// When each request of the last second went.
    window: VecDeque<Duration>,
    peak: u32,
}

impl Counter {
    /// One request at `now` (a clock going back counts as the latest instant seen).
    pub fn record(&mut self, now: Duration) {
        let now = self.forget_before(now);
        self.window.push_back(now);
        self.requests += 1;
        self.peak = self
            .peak
            .max(u32::try_from(self.window.len()).unwrap_or(u32::MAX));
    }

    /// How long from `now` until one more request keeps the last second at `cap` requests or fewer
    /// (`None`: at once). The bucket spaces requests by when they were let through, but a task woken
    /// late goes beside the next one woken on time; this holds the second to `cap` as the device
    /// receives it.
    pub fn room(&mut self, now: Duration, cap: u32) -> Option<Duration> {
        let now = self.forget_before(now);
        let cap = usize::try_from(cap).unwrap_or(usize::MAX).max(1);
        let held = self.window.len();
        if held < cap {
            return None;
        }
        // The request at `held - cap` (and every one before it) has to leave the second first.
        let leaves = self.window[held - cap] + Duration::from_secs(1);
        Some(leaves.saturating_sub(now).max(Duration::from_millis(1)))
    }

    /// Drop the instants more than a second before `now` (a clock going back counts as the latest
    /// instant seen); the instant counted as now.
    fn forget_before(&mut self, now: Duration) -> Duration {
        let now = self.window.back().map_or(now, |last| now.max(*last));
        while self
            .window
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= Duration::from_secs(1))
        {
            self.window.pop_front();
        }
        now
    }

    pub fn count(&self) -> HostCount {
        HostCount {
            requests: self.requests,
            by_wire: [0; 4],
            peak_per_s: self.peak,
            peak_connections: 0,
        }
    }
}

/// The gates of one scan, per address. Shared (behind an `Arc`) by every analysis task.
pub struct HostGates {
    settings: GateSettings,
    /// The origin of the buckets' and counters' clock.
    origin: tokio::time::Instant,
    hosts: Mutex<HashMap<IpAddr, Arc<Host>>>,
}

struct Host {
    /// `None`: no cap.
    slots: Option<Arc<Semaphore>>,
    state: Mutex<HostState>,
}

struct HostState {
    pace: Pace,
    counter: Counter,
    /// Requests by protocol ([`Wire`]).
    by_wire: [u64; 4],
    /// Connections open now, and the most at once.
    open: u32,
    peak_open: u32,
}

/// One analysis connection's right to exist on a device; dropping it gives the slot back.
pub struct HostPermit {
    _permit: Option<OwnedSemaphorePermit>,
    /// Whose open connections count this one.
    host: Option<Arc<Host>>,
}

impl HostPermit {
    /// No slot held (ungated).
    pub fn none() -> Self {
        HostPermit {
            _permit: None,
            host: None,
        }
    }
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        if let Some(h) = &self.host {
            let mut s = lock(&h.state);
            s.open = s.open.saturating_sub(1);
        }
    }
}

impl std::fmt::Debug for HostPermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostPermit")
            .field("slot", &self._permit.is_some())
            .finish()
    }
}

impl HostGates {
    pub fn new(settings: GateSettings) -> Self {
        HostGates {
            settings,
            origin: tokio::time::Instant::now(),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> GateSettings {
        self.settings
    }

    fn host(&self, ip: IpAddr) -> Arc<Host> {
        let now = self.now();
        self.hosts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(ip)
            .or_insert_with(|| {
                Arc::new(Host {
                    slots: (self.settings.connections > 0)
                        .then(|| Arc::new(Semaphore::new(self.settings.connections))),
                    state: Mutex::new(HostState {
                        pace: Pace::with_burst(
                            self.settings.rate,
                            self.settings.rate / BURST_DIVISOR,
                            now,
                        ),
                        counter: Counter::default(),
                        by_wire: [0; 4],
                        open: 0,
                        peak_open: 0,
                    }),
                })
            })
            .clone()
    }

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    /// Wait for a connection slot on `ip` (at most [`SLOT_WAIT`]).
    pub async fn connection(&self, ip: IpAddr) -> HostPermit {
        let host = self.host(ip);
        let permit = match host.slots.clone() {
            None => None,
            Some(slots) => match tokio::time::timeout(SLOT_WAIT, slots.acquire_owned()).await {
                Ok(Ok(permit)) => Some(permit),
                _ => {
                    tracing::debug!(%ip, "no analysis connection slot within {SLOT_WAIT:?}: going anyway");
                    None
                }
            },
        };
        {
            let mut s = lock(&host.state);
            s.open += 1;
            s.peak_open = s.peak_open.max(s.open);
        }
        HostPermit {
            _permit: permit,
            host: Some(host),
        }
    }

    /// Wait for `ip`'s next request token and for room in its last second, then count the request.
    pub async fn request(&self, ip: IpAddr) {
        self.request_as(ip, Wire::Other).await;
    }

    /// [`HostGates::request`], counted as a request of `wire`.
    pub async fn request_as(&self, ip: IpAddr, wire: Wire) {
        let host = self.host(ip);
        lock(&host.state).by_wire[wire.index()] += 1;
        let wait = lock(&host.state).pace.take(self.now());
        if let Some(wait) = wait {
            tokio::time::sleep(wait).await;
        }
        if self.settings.rate == 0 {
            lock(&host.state).counter.record(self.now());
            return;
        }
        // Each wait ends when an instant leaves the window, so this ends within `rate` turns; the
        // bound only keeps a clock that stands still from holding the request forever.
        for _ in 0..=self.settings.rate {
            let now = self.now();
            let wait = {
                let mut s = lock(&host.state);
                match s.counter.room(now, self.settings.rate) {
                    None => {
                        s.counter.record(now);
                        return;
                    }
                    Some(wait) => wait,
                }
            };
            tokio::time::sleep(wait).await;
        }
        lock(&host.state).counter.record(self.now());
    }

    /// The requests `ips` (one device's addresses) received, as the report's coverage gives
    /// them (`None` when none was sent).
    pub fn device_requests(&self, ips: &[IpAddr]) -> Option<model::coverage::DeviceRequests> {
        let c = ips
            .iter()
            .map(|ip| self.count(*ip))
            .fold(HostCount::default(), HostCount::merge);
        let [rtsp, http, rtmp, other] = c.by_wire;
        (c.requests > 0).then(|| model::coverage::DeviceRequests {
            ip: ips.first().map(IpAddr::to_string).unwrap_or_default(),
            total: c.requests,
            rtsp,
            http,
            rtmp,
            other,
        })
    }

    /// What `ip` received so far.
    pub fn count(&self, ip: IpAddr) -> HostCount {
        let host = self
            .hosts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ip)
            .cloned();
        host.map(|h| {
            let s = lock(&h.state);
            HostCount {
                peak_connections: s.peak_open,
                by_wire: s.by_wire,
                ..s.counter.count()
            }
        })
        .unwrap_or_default()
    }
}

fn lock(state: &Mutex<HostState>) -> std::sync::MutexGuard<'_, HostState> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl std::fmt::Debug for HostGates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostGates")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Default for HostGates {
    fn default() -> Self {
        HostGates::new(GateSettings::default())
    }
}

tokio::task_local! {
    /// The gates of the scan whose analysis runs in this task.
    static GATES: Arc<HostGates>;
}

/// Run `f` (one port's analysis) with `gates`: the net clients it calls are gated and counted.
pub async fn scope<F: Future>(gates: Arc<HostGates>, f: F) -> F::Output {
    GATES.scope(gates, f).await
}

fn current() -> Option<Arc<HostGates>> {
    GATES.try_with(Arc::clone).ok()
}

/// A connection slot on `ip` from this task's gates (none outside a [`scope`]).
pub async fn connection(ip: IpAddr) -> HostPermit {
    match current() {
        Some(g) => g.connection(ip).await,
        None => HostPermit::none(),
    }
}

/// A request token on `ip` from this task's gates, and the request counted as `wire`'s (nothing
/// outside a [`scope`]).
pub async fn request(ip: IpAddr, wire: Wire) {
    if let Some(g) = current() {
        g.request_as(ip, wire).await;
    }
}

/// A connection that carries one request of `wire`: a slot, then a token.
pub async fn open(ip: IpAddr, wire: Wire) -> HostPermit {
    let permit = connection(ip).await;
    request(ip, wire).await;
    permit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 18, 0, 11));

    /// When each of `n` requests to [`IP`], one after the other, was let through (from the first).
    async fn request_times(g: &HostGates, n: usize) -> Vec<Duration> {
        let t0 = tokio::time::Instant::now();
        let mut at = Vec::new();
        for _ in 0..n {
            g.request(IP).await;
            at.push(t0.elapsed());
        }
        at
    }

    /// `n` tasks each asking for a request to [`IP`] at once; each says when it was let through
    /// (from `t0`).
    fn spawn_requests(
        g: &Arc<HostGates>,
        n: usize,
        t0: tokio::time::Instant,
    ) -> Vec<tokio::task::JoinHandle<Duration>> {
        (0..n)
            .map(|_| {
                let g = g.clone();
                tokio::spawn(async move {
                    g.request(IP).await;
                    t0.elapsed()
                })
            })
            .collect()
    }

    #[test]
    fn the_counter_keeps_the_busiest_second() {
        let mut c = Counter::default();
        assert_eq!(c.count(), HostCount::default());
        // 3 at once, then one each 300 ms: 0, 0, 0, 300, 600, 900 are 6 within one second.
        for t in [0, 0, 0, 300, 600, 900, 1200, 1500] {
            c.record(ms(t));
        }
        assert_eq!(
            c.count(),
            HostCount {
                requests: 8,
                peak_per_s: 6,
                ..HostCount::default()
            }
        );
        // A full second apart is not "within one second".
        let mut c = Counter::default();
        for t in [0, 1000, 2000, 2999, 3000] {
            c.record(ms(t));
        }
        assert_eq!(c.count().peak_per_s, 2);
        // A clock going back counts at the latest instant.
        c.record(ms(10));
        assert_eq!(c.count().peak_per_s, 3);
        assert_eq!(c.count().requests, 6);
    }

    #[test]
    fn counts_of_a_device_merge() {
        let a = HostCount {
            requests: 3,
            by_wire: [1, 2, 0, 0],
            peak_per_s: 2,
            peak_connections: 3,
        };
        let b = HostCount {
            requests: 5,
            by_wire: [0, 4, 1, 0],
            peak_per_s: 4,
            peak_connections: 1,
        };
        assert_eq!(
            a.merge(b),
            HostCount {
                requests: 8,
                by_wire: [1, 6, 1, 0],
                peak_per_s: 4,
                peak_connections: 3
            }
        );
    }

    /// At 5 a second the bucket holds one: the requests go at 0, 200, 400... ms, so no second
    /// holds more than 5; the counter says so.
    #[tokio::test(start_paused = true)]
    async fn the_rate_spaces_requests_evenly() {
        let g = HostGates::new(GateSettings {
            connections: 0,
            rate: 5,
        });
        let at = request_times(&g, 11).await;
        let want: Vec<_> = (0..11).map(|i| ms(200 * i)).collect();
        assert_eq!(at, want);
        assert_eq!(
            g.count(IP),
            HostCount {
                requests: 11,
                by_wire: [0, 0, 0, 11],
                peak_per_s: 5,
                peak_connections: 0
            }
        );
        // Another address has a bucket of its own, and nothing counted yet.
        assert_eq!(
            g.count("198.18.0.12".parse().unwrap()),
            HostCount::default()
        );
        let t1 = tokio::time::Instant::now();
        g.request("198.18.0.12".parse().unwrap()).await;
        assert_eq!(t1.elapsed(), Duration::ZERO);
    }

    /// At 250 a second the bucket holds 50: a walk's first 50 requests go at once, the rest one
    /// each 4 ms until the second holds 250; then each waits for one of that second to leave.
    #[tokio::test(start_paused = true)]
    async fn a_fifth_of_a_second_goes_at_once_then_the_rate() {
        let g = HostGates::new(GateSettings {
            connections: 0,
            rate: 250,
        });
        let at = request_times(&g, 400).await;
        assert!(
            at[..50].iter().all(|t| *t == Duration::ZERO),
            "{:?}",
            &at[..51]
        );
        assert_eq!(at[50], ms(4));
        assert_eq!(at[249], ms(800));
        // The 251st would make 251 within 804 ms: it waits for the first 50 to leave, at 1 s.
        assert_eq!(at[250], ms(1000));
        let c = g.count(IP);
        assert_eq!(c.requests, 400);
        assert_eq!(c.peak_per_s, 250, "{c:?}");
        assert!(at.windows(251).all(|w| w[250] - w[0] >= ms(1000)));
    }

    /// A task woken late goes beside the next one woken on time; the cap holds that second to the
    /// rate anyway (as the device receives it, not as the bucket let them through).
    #[tokio::test(start_paused = true)]
    async fn a_late_wake_up_never_crowds_a_second() {
        let g = Arc::new(HostGates::new(GateSettings {
            connections: 0,
            rate: 5,
        }));
        let t0 = tokio::time::Instant::now();
        // The first goes at once; A's token is for 200 ms...
        g.request(IP).await;
        let a_wait = g.host(IP).state.lock().unwrap().pace.take(g.now());
        assert_eq!(a_wait, Some(ms(200)));
        // ...five more take theirs now, for 400, 600, 800, 1,000 and 1,200 ms...
        let tasks = spawn_requests(&g, 5, t0);
        // ...and A's task comes back at 350 ms (a busy machine), going as the gate would.
        tokio::time::sleep(ms(350)).await;
        {
            let now = g.now();
            let host = g.host(IP);
            let mut s = host.state.lock().unwrap();
            assert_eq!(s.counter.room(now, 5), None);
            s.counter.record(now);
        }
        let mut at = Vec::new();
        for t in tasks {
            at.push(t.await.unwrap());
        }
        at.sort();
        // 350, 400, 600, 800, 1,000 and 1,200 would be six within one second: the last waits for
        // A's to leave, at 1,350 ms.
        assert_eq!(at, [ms(400), ms(600), ms(800), ms(1000), ms(1350)]);
        assert_eq!(g.count(IP).peak_per_s, 5);
        assert_eq!(g.count(IP).requests, 7);
        // The counter's own arithmetic, by the clock given.
        let mut c = Counter::default();
        for t in [0, 200, 400, 600, 950] {
            assert_eq!(c.room(ms(t), 5), None);
            c.record(ms(t));
        }
        assert_eq!(c.room(ms(960), 5), Some(ms(40)));
        assert_eq!(c.room(ms(1000), 5), None);
        // A second of its own at one a second; a cap of 0 counts as 1.
        let mut c = Counter::default();
        c.record(ms(10));
        assert_eq!(c.room(ms(500), 1), Some(ms(510)));
        assert_eq!(c.room(ms(500), 0), Some(ms(510)));
    }

    /// Concurrent requests from many tasks are spaced as well.
    #[tokio::test(start_paused = true)]
    async fn concurrent_requests_share_the_bucket() {
        let g = Arc::new(HostGates::new(GateSettings {
            connections: 0,
            rate: 10,
        }));
        let t0 = tokio::time::Instant::now();
        let tasks = spawn_requests(&g, 20, t0);
        let mut at = Vec::new();
        for t in tasks {
            at.push(t.await.unwrap());
        }
        at.sort();
        // A burst of two (a fifth of a second at 10), then one each 100 ms, the tenth at 800 ms;
        // the eleventh waits for the first second to end.
        assert_eq!(&at[..3], &[ms(0), ms(0), ms(100)]);
        assert_eq!(at[9], ms(800));
        assert_eq!(at[10], ms(1000));
        assert_eq!(
            g.count(IP).peak_per_s,
            10,
            "the burst and 8 more within the first second, never 11"
        );
        assert!(at.windows(11).all(|w| w[10] - w[0] >= ms(1000)), "{at:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn no_limit_never_waits() {
        let g = HostGates::new(GateSettings {
            connections: 0,
            rate: 0,
        });
        let t0 = tokio::time::Instant::now();
        let held: Vec<_> = futures::future::join_all((0..100).map(|_| g.connection(IP))).await;
        for _ in 0..100 {
            g.request(IP).await;
        }
        assert_eq!(t0.elapsed(), Duration::ZERO);
        assert_eq!(held.len(), 100);
        assert_eq!(
            g.count(IP),
            HostCount {
                requests: 100,
                by_wire: [0, 0, 0, 100],
                peak_per_s: 100,
                peak_connections: 100
            }
        );
    }

    /// The cap holds connections back until one is given back; a wait longer than SLOT_WAIT goes
    /// anyway (a scan never wedges on its own connections).
    #[tokio::test(start_paused = true)]
    async fn the_cap_holds_connections_back() {
        let g = Arc::new(HostGates::new(GateSettings {
            connections: 2,
            rate: 0,
        }));
        let a = g.connection(IP).await;
        let _b = g.connection(IP).await;
        let t0 = tokio::time::Instant::now();
        let third = {
            let g = g.clone();
            tokio::spawn(async move {
                let p = g.connection(IP).await;
                (t0.elapsed(), p)
            })
        };
        tokio::time::sleep(ms(300)).await;
        drop(a);
        let (waited, c) = third.await.unwrap();
        assert_eq!(waited, ms(300));
        // Another address is not held back by this one.
        let other: IpAddr = "198.18.0.12".parse().unwrap();
        let t1 = tokio::time::Instant::now();
        let _o = g.connection(other).await;
        assert_eq!(t1.elapsed(), Duration::ZERO);
        // Both slots held: the fourth waits SLOT_WAIT, then goes.
        let t2 = tokio::time::Instant::now();
        let d = g.connection(IP).await;
        assert_eq!(t2.elapsed(), SLOT_WAIT);
        assert_eq!(
            g.count(IP).peak_connections,
            3,
            "the one past the wait is counted"
        );
        drop((c, d));
    }

    /// Outside a scope nothing is gated; inside, the task's requests are counted.
    #[tokio::test(start_paused = true)]
    async fn the_scope_carries_the_gates() {
        open(IP, Wire::Rtsp).await;
        let g = Arc::new(HostGates::new(GateSettings {
            connections: 1,
            rate: 2,
        }));
        let t0 = tokio::time::Instant::now();
        scope(g.clone(), async {
            let _p = open(IP, Wire::Rtsp).await;
            request(IP, Wire::Http).await;
            request(IP, Wire::Http).await;
        })
        .await;
        assert_eq!(t0.elapsed(), ms(1000));
        assert_eq!(
            g.count(IP),
            HostCount {
                requests: 3,
                by_wire: [1, 2, 0, 0],
                peak_per_s: 2,
                peak_connections: 1
            }
        );
    }
}
