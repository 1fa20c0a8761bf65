//! The viewers' side of a relay: what a viewer wants ([`ViewerKind`]), the [`Viewer`] handle
//! with its queue and lease, the relay's [`Status`] it reads, and `Shared`, the fan-out of one
//! relay's units to its viewers' queues.
//!
//! Kept apart from `relay.rs` (the hub and the RTSP session), which builds these and re-exports
//! the public ones, so their paths (`preview::relay::Viewer`) stay as they were.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::queue::Queue;
use super::{Params, Unit};

/// A relay's session is closed this long after its last viewer left.
pub const LINGER: Duration = Duration::from_secs(5);

/// What a viewer wants from the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewerKind {
    /// Depacketized access units (`Unit::Video`, `Unit::Audio`): the MSE player.
    Frames,
    /// The video as RTP packets of at most [`super::rtp::MTU`] bytes (`Unit::Rtp`): WebRTC.
    Rtp,
}

/// How a relay is doing, for the page and the API.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Status {
    /// `connecting`, `live`, `reconnecting` or `failed`.
    pub state: &'static str,
    /// Why it is reconnecting or failed.
    pub error: Option<String>,
    #[serde(skip)]
    pub params: Option<Arc<Params>>,
    /// Whether the video reorders frames (B-frames); `None` until known.
    pub b_frames: Option<bool>,
    /// Frame rate measured from the RTP timestamps of the last frames.
    pub fps: Option<f64>,
    /// RTSP sessions the relay opened (1 until the camera drops).
    pub sessions: u64,
    pub viewers: usize,
    /// Of those, WebRTC viewers (RTP).
    pub webrtc: usize,
}

/// One relay: its viewers' queues and its status.
pub(super) struct Shared {
    pub(super) viewers: Mutex<Vec<(ViewerKind, Arc<Queue>)>>,
    pub(super) status: watch::Sender<Status>,
    /// When the last viewer left (or the relay started with none yet).
    pub(super) idle_since: Mutex<Option<Instant>>,
}

impl Shared {
    pub(super) fn lock_viewers(&self) -> std::sync::MutexGuard<'_, Vec<(ViewerKind, Arc<Queue>)>> {
        self.viewers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Push to the viewers of `kind` (all with `None`), dropping those gone; how many are left.
    pub(super) fn push(&self, kind: Option<ViewerKind>, unit: &Unit) -> usize {
        let mut v = self.lock_viewers();
        v.retain(|(k, q)| {
            if kind.is_none_or(|want| want == *k) {
                q.push(unit.clone())
            } else {
                !q.is_closed()
            }
        });
        drop(v);
        self.counted()
    }

    /// Drop the viewers gone; how many are left.
    pub(super) fn prune(&self) -> usize {
        self.lock_viewers().retain(|(_, q)| !q.is_closed());
        self.counted()
    }

    /// Count the viewers into the status; how many there are.
    pub(super) fn counted(&self) -> usize {
        let v = self.lock_viewers();
        let left = v.len();
        let rtp = v.iter().filter(|(k, _)| *k == ViewerKind::Rtp).count();
        drop(v);
        self.status.send_if_modified(|s| {
            let changed = s.viewers != left || s.webrtc != rtp;
            s.viewers = left;
            s.webrtc = rtp;
            changed
        });
        let mut idle = self.idle_since.lock().unwrap_or_else(|e| e.into_inner());
        match (left, idle.is_some()) {
            (0, false) => *idle = Some(Instant::now()),
            (n, true) if n > 0 => *idle = None,
            _ => {}
        }
        left
    }

    pub(super) fn wants(&self, kind: ViewerKind) -> bool {
        self.lock_viewers()
            .iter()
            .any(|(k, q)| *k == kind && !q.is_closed())
    }

    /// Whether the last viewer left at least [`LINGER`] ago.
    pub(super) fn idle(&self) -> bool {
        self.prune();
        self.idle_since
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|t| t.elapsed() >= LINGER)
    }
}

/// One viewer of a relay: the units for it, in order.
pub struct Viewer {
    pub(super) kind: ViewerKind,
    pub(super) queue: Arc<Queue>,
    pub(super) lease: Option<Lease>,
}

/// Keeps the hub's viewer count and gives the relay's status.
pub(super) struct Lease {
    pub(super) total: Arc<AtomicUsize>,
    pub(super) status: watch::Receiver<Status>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.total.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Viewer {
    /// A viewer fed by hand (tests and benchmarks): push units into the returned queue.
    pub fn detached(kind: ViewerKind, cap: usize) -> (Arc<Queue>, Viewer) {
        let queue = Queue::new(cap);
        (
            queue.clone(),
            Viewer {
                kind,
                queue,
                lease: None,
            },
        )
    }

    pub fn kind(&self) -> ViewerKind {
        self.kind
    }

    /// The next unit; `None` once the relay has ended (the server is stopping, the stream is gone).
    pub async fn next(&mut self) -> Option<Unit> {
        self.queue.pop().await
    }

    /// Times this viewer fell behind by more than its byte cap and was cut back to a keyframe.
    pub fn dropped(&self) -> u64 {
        self.queue.dropped()
    }

    /// The relay's status now (a detached viewer: the default, `state` empty).
    pub fn status(&self) -> Status {
        self.lease
            .as_ref()
            .map(|l| l.status.borrow().clone())
            .unwrap_or_default()
    }

    /// Wait until the relay knows the stream's parameters and whether it has B-frames (or
    /// failed), at most `limit`; the status then.
    pub async fn settled(&mut self, limit: Duration) -> Status {
        let Some(lease) = self.lease.as_mut() else {
            return Status::default();
        };
        let _ = tokio::time::timeout(
            limit,
            lease
                .status
                .wait_for(|s| s.state == "failed" || (s.params.is_some() && s.b_frames.is_some())),
        )
        .await;
        lease.status.borrow().clone()
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.queue.close();
    }
}
