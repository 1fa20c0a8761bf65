//! The per-device cap on simultaneous RTSP sessions, shared by media analysis and the PLAY check.
//!
//! Cheap cameras and NVRs allow 2-4 RTSP sessions and answer `453 Not Enough Bandwidth` or `503
//! Service Unavailable` beyond (Dahua also 401, rroller/dahua#603); a viewer may already hold one.
//! So camscan holds at most `--sessions-per-device` (default [`DEFAULT_SESSIONS_PER_DEVICE`])
//! sessions on one address at a time, however many streams a channel walk finds. A slot is given back
//! only after retina's `TEARDOWN` of the session it held was attempted: a server that tears a shared
//! media down asynchronously (GStreamer) answers 503 to the next session that arrives meanwhile, so
//! a new session never starts while ours is still being torn down.
//!
//! A PLAY-checked session may also linger ([`SessionSlot::linger`]): kept, its slot held, until
//! another session of the device waits for a slot, the device answers a DESCRIBE of ours busy
//! ([`DeviceSessions::hurry`]: it may count our sessions against its few) or the device's RTSP
//! analysis ends ([`DeviceSessions::settle`]), and only then torn down. GStreamer answers the TEARDOWN of a
//! shared media's last client only once the media is torn down, and answers no other client
//! meanwhile (0.8-1.2 s with a look-ahead x264 on the bench lab): torn down at once, the device's
//! last request (the talk-back DESCRIBE) waited for that.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use retina::client::SessionGroup;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use input::setting::Repeat;

/// Default cap: 2. Cameras serve a limited number of clients at once, and a Dahua whose limit is
/// full refuses everyone, with a 401 as if the password were wrong (`docs/design/protocols.md`,
/// "Lockouts and connection limits"); two sessions of ours leave the rest to the camera's other
/// clients.
pub const DEFAULT_SESSIONS_PER_DEVICE: usize = 2;

/// `--sessions-per-device`: RTSP sessions held on one device at a time.
pub static SESSIONS_PER_DEVICE: input::setting::Setting<usize> = input::setting::Setting {
    key: "sessions_per_device",
    flag: "--sessions-per-device",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_SESSIONS_PER_DEVICE",
    value_name: "N",
    help: "RTSP sessions held on one device at a time, shared by media analysis, PLAY checks \
               and ffprobe (cheap cameras allow 2-4 and answer 453/503 beyond) [default: 2]",
    default: DEFAULT_SESSIONS_PER_DEVICE,
    choices: None,
    parse: |t| input::setting::count(t, 1),
};

/// Longest wait for the TEARDOWN of a session before its slot is given back anyway (one request on
/// an open connection; a dead camera must not hold the slot).
const TEARDOWN_WAIT: Duration = Duration::from_millis(1000);

/// Longest a session lingers after its check ([`SessionSlot::linger`]) when nothing ends it
/// sooner: about one device's remaining requests, an alias's DESCRIBE included (a server with a
/// look-ahead encoder prepares the alias's media again, 1.9-2.6 s on the bench lab; a linger of
/// 1.5 s ended inside it, and the device's sub-stream guesses then waited for the teardown).
const LINGER_MAX: Duration = Duration::from_millis(3000);

/// Session slots per device address. Cloned settings share one.
pub struct DeviceSessions {
    cap: usize,
    devices: Mutex<HashMap<IpAddr, Device>>,
}

#[derive(Clone)]
struct Device {
    slots: Arc<Semaphore>,
    /// retina tracks the TEARDOWN of the device's dropped sessions here.
    group: Arc<SessionGroup>,
    calls: Arc<Calls>,
    /// Connections done with ([`DeviceSessions::park`]), closed when the analysis settles.
    parked: Arc<Mutex<Vec<Parked>>>,
}

/// A connection kept open, idle, until its device's analysis settles.
type Parked = Box<dyn std::any::Any + Send>;

/// What ends a lingering session of a device: a session waiting for a slot, or the end of the
/// device's RTSP analysis.
#[derive(Default)]
struct Calls {
    /// Sessions waiting for a slot.
    waiting: AtomicUsize,
    wake: Notify,
    /// Sessions lingering, or ending, whose TEARDOWN is not sent yet ([`Lingering`]).
    lingering: AtomicUsize,
    /// Told each time one of them has sent its TEARDOWN.
    sent: Notify,
    /// [`DeviceSessions::settle`] and [`DeviceSessions::hurry`] calls so far: a session that
    /// lingers from before the latest does not linger on (it may not have been waiting yet when
    /// that one woke the others).
    settles: AtomicUsize,
}

/// A session that lingers after its check ([`SessionSlot::lingering`]), until its TEARDOWN is
/// sent: [`DeviceSessions::settle`] waits for that, so a scan never ends with a session of ours
/// left set up on a camera that counts it against its few until it times out.
pub struct Lingering {
    calls: Arc<Calls>,
    /// [`Calls::settles`] when the session began to linger.
    settles: usize,
}

impl Drop for Lingering {
    fn drop(&mut self) {
        self.calls.lingering.fetch_sub(1, Ordering::SeqCst);
        self.calls.sent.notify_waiters();
    }
}

/// One session's right to exist on a device; give it back with [`SessionSlot::release`].
pub struct SessionSlot {
    _permit: OwnedSemaphorePermit,
    group: Arc<SessionGroup>,
    calls: Arc<Calls>,
}

/// A session waiting for a slot, counted while it waits (a cancelled wait included).
struct Waiting(Arc<Calls>);

impl Waiting {
    fn new(calls: &Arc<Calls>) -> Self {
        calls.waiting.fetch_add(1, Ordering::SeqCst);
        calls.wake.notify_waiters();
        Waiting(calls.clone())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

impl DeviceSessions {
    /// `cap` sessions per device (at least 1).
    pub fn new(cap: usize) -> Self {
        DeviceSessions {
            cap: cap.max(1),
            devices: Mutex::new(HashMap::new()),
        }
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    fn device(&self, ip: IpAddr) -> Device {
        self.devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(ip)
            .or_insert_with(|| Device {
                slots: Arc::new(Semaphore::new(self.cap)),
                group: Arc::new(SessionGroup::default()),
                calls: Arc::default(),
                parked: Arc::default(),
            })
            .clone()
    }

    /// Keep `conn` (a connection whose DESCRIBE found a stream that needs it no more: an alias,
    /// a stream analysed through another path) open and idle until the RTSP analysis of `ip`
    /// settles ([`DeviceSessions::settle`]). A server with shared media (GStreamer) tears a media
    /// down in its main loop when the last connection that described it closes, and answers no
    /// one meanwhile (130-170 ms for a look-ahead x264 on the bench lab): closed at once, the
    /// device's last requests (its sub-stream guesses, the talk-back DESCRIBE) waited for that.
    pub fn park(&self, ip: IpAddr, conn: Parked) {
        self.device(ip)
            .parked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
    }

    /// Wait for a free slot on `ip`; while it waits, the device's lingering sessions end.
    pub async fn acquire(&self, ip: IpAddr) -> SessionSlot {
        let d = self.device(ip);
        let permit = match d.slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                let _waiting = Waiting::new(&d.calls);
                d.slots
                    .acquire_owned()
                    .await
                    .expect("session semaphores are never closed")
            }
        };
        SessionSlot {
            _permit: permit,
            group: d.group,
            calls: d.calls,
        }
    }

    /// The lingering sessions of `ip` end now: the device answered a request of ours busy (it
    /// may count them against its few, as `tests/servers/session_limit.py` does).
    pub fn hurry(&self, ip: IpAddr) {
        self.wake_lingering(ip);
    }

    /// End the lingering sessions of `ip`; the device's calls, when it has any.
    fn wake_lingering(&self, ip: IpAddr) -> Option<Arc<Calls>> {
        let calls = self
            .devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ip)
            .map(|d| d.calls.clone())?;
        calls.settles.fetch_add(1, Ordering::SeqCst);
        calls.wake.notify_waiters();
        Some(calls)
    }

    /// The RTSP analysis of `ip` has sent its last request: its lingering sessions end now. Returns
    /// once each has sent its TEARDOWN (at most [`TEARDOWN_WAIT`]).
    pub async fn settle(&self, ip: IpAddr) {
        let Some(calls) = self.wake_lingering(ip) else {
            return;
        };
        // The parked connections close now (outside the lock).
        let parked = std::mem::take(
            &mut *self
                .device(ip)
                .parked
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        drop(parked);
        let all_sent = async {
            loop {
                let sent = calls.sent.notified();
                tokio::pin!(sent);
                sent.as_mut().enable();
                if calls.lingering.load(Ordering::SeqCst) == 0 {
                    return;
                }
                sent.await;
            }
        };
        let _ = tokio::time::timeout(TEARDOWN_WAIT, all_sent).await;
    }
}

impl std::fmt::Debug for DeviceSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceSessions")
            .field("cap", &self.cap)
            .finish_non_exhaustive()
    }
}

impl Default for DeviceSessions {
    fn default() -> Self {
        DeviceSessions::new(DEFAULT_SESSIONS_PER_DEVICE)
    }
}

impl SessionSlot {
    /// The group retina tracks this device's sessions in (for `SessionOptions::session_group`).
    pub fn group(&self) -> Arc<SessionGroup> {
        self.group.clone()
    }

    /// Count this slot's session as lingering from now until the guard is dropped (once its
    /// TEARDOWN is sent): taken before the task that lingers is spawned, so that a
    /// [`DeviceSessions::settle`] right after sees it.
    pub fn lingering(&self) -> Lingering {
        self.calls.lingering.fetch_add(1, Ordering::SeqCst);
        Lingering {
            calls: self.calls.clone(),
            settles: self.calls.settles.load(Ordering::SeqCst),
        }
    }

    /// Hold the slot while `meanwhile` runs (a checked session kept playing) until another session
    /// of the device waits for a slot, the device answered busy ([`DeviceSessions::hurry`]), its
    /// analysis has settled ([`DeviceSessions::settle`]), or [`LINGER_MAX`] has passed. `meanwhile` never ending
    /// first is the caller's (it drains the session's media); if it does, the linger ends too.
    pub async fn linger(
        &self,
        lingering: &Lingering,
        meanwhile: impl std::future::Future<Output = ()>,
    ) {
        let woken = self.calls.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if self.calls.waiting.load(Ordering::SeqCst) > 0
            || self.calls.settles.load(Ordering::SeqCst) != lingering.settles
        {
            return;
        }
        tokio::select! {
            _ = woken => {}
            _ = meanwhile => {}
            _ = tokio::time::sleep(LINGER_MAX) => {}
        }
    }

    /// Give the slot back once the TEARDOWN of the sessions dropped on this device was attempted
    /// (at most [`TEARDOWN_WAIT`]).
    pub async fn release(self) {
        let t = std::time::Instant::now();
        let st = self.group.stale_sessions();
        let _ = tokio::time::timeout(TEARDOWN_WAIT, self.group.await_teardown()).await;
        tracing::debug!(
            ms = t.elapsed().as_millis() as u64,
            stale = st.num_sessions,
            "slot released"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_are_per_device_and_capped() {
        let s = DeviceSessions::new(2);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let one = s.acquire(a).await;
        let _two = s.acquire(a).await;
        // A third on the same device waits; another device is not held up.
        assert!(
            tokio::time::timeout(Duration::from_millis(50), s.acquire(a))
                .await
                .is_err()
        );
        let _other = tokio::time::timeout(Duration::from_millis(50), s.acquire(b))
            .await
            .expect("another device has its own slots");
        one.release().await;
        let _three = tokio::time::timeout(Duration::from_millis(50), s.acquire(a))
            .await
            .expect("a released slot is free again");
        assert_eq!(DeviceSessions::new(0).cap(), 1);
    }

    /// A session lingers after its check until the device's analysis settles or another session
    /// of the device waits for a slot; settle returns once the lingering one has let go.
    #[tokio::test]
    async fn a_lingering_session_ends_on_settle_or_when_a_session_waits() {
        let s = Arc::new(DeviceSessions::new(1));
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let forever = std::future::pending::<()>;
        // Settled: the linger ends, and settle waits for its guard.
        let slot = s.acquire(a).await;
        let lingering = slot.lingering();
        let task = tokio::spawn(async move {
            slot.linger(&lingering, forever()).await;
            drop(lingering);
            slot.release().await;
        });
        tokio::task::yield_now().await;
        tokio::time::timeout(Duration::from_millis(500), s.settle(a))
            .await
            .expect("settle returns once the lingering session let go");
        task.await.unwrap();
        // A second session waiting for the only slot ends the linger too.
        let slot = s.acquire(a).await;
        let lingering = slot.lingering();
        let held = tokio::spawn(async move {
            let t = std::time::Instant::now();
            slot.linger(&lingering, forever()).await;
            drop(lingering);
            slot.release().await;
            t.elapsed()
        });
        tokio::task::yield_now().await;
        let _next = tokio::time::timeout(Duration::from_millis(500), s.acquire(a))
            .await
            .expect("a waiting session ends the linger");
        assert!(held.await.unwrap() < LINGER_MAX);
    }

    /// A parked connection stays open, idle, until its device's analysis settles, and is closed
    /// then (the server sees the end of the stream); another device's settle leaves it open.
    #[tokio::test]
    async fn a_parked_connection_closes_when_its_device_settles() {
        use tokio::io::AsyncReadExt;
        let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let conn = tokio::net::TcpStream::connect(server.local_addr().unwrap())
            .await
            .unwrap();
        let (mut seen, _) = server.accept().await.unwrap();
        let s = DeviceSessions::new(2);
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        s.park(a, Box::new(conn));
        s.settle(b).await;
        let mut buf = [0u8; 1];
        assert!(
            tokio::time::timeout(Duration::from_millis(200), seen.read(&mut buf))
                .await
                .is_err(),
            "open while its device's analysis goes on"
        );
        s.settle(a).await;
        let read = tokio::time::timeout(Duration::from_secs(5), seen.read(&mut buf))
            .await
            .expect("closed once its device settles");
        assert_eq!(read.unwrap(), 0, "the end of the stream");
    }
}
