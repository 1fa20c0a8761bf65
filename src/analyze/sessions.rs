//! The per-device cap on simultaneous RTSP sessions, shared by media analysis and the PLAY check.
//!
//! Cheap cameras and NVRs allow 2-4 RTSP sessions and answer `453 Not Enough Bandwidth` or `503
//! Service Unavailable` beyond (Dahua also 401, rroller/dahua#603); a viewer may already hold one.
//! So camscan holds at most `--sessions-per-device` (default [`DEFAULT_SESSIONS_PER_DEVICE`])
//! sessions on one address at a time, however many streams a channel walk finds. A slot is given back
//! only after retina's `TEARDOWN` of the session it held was attempted: a server that tears a shared
//! media down asynchronously (GStreamer) answers 503 to the next session that arrives meanwhile, so
//! a new session never starts while ours is still being torn down.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use retina::client::SessionGroup;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Default cap: 2. Cameras serve a limited number of clients at once, and a Dahua whose limit is
/// full refuses everyone, with a 401 as if the password were wrong (`docs/design/protocols.md`,
/// "Lockouts and connection limits"); two sessions of ours leave the rest to the camera's other
/// clients.
pub const DEFAULT_SESSIONS_PER_DEVICE: usize = 2;

/// `--sessions-per-device`: RTSP sessions held on one device at a time.
pub static SESSIONS_PER_DEVICE: crate::model::setting::Setting<usize> =
    crate::model::setting::Setting {
        key: "sessions_per_device",
        flag: "--sessions-per-device",
        short: None,
        repeat: false,
        env: "CAMSCAN_SESSIONS_PER_DEVICE",
        value_name: "N",
        help: "RTSP sessions held on one device at a time, shared by media analysis, PLAY checks \
               and ffprobe (cheap cameras allow 2-4 and answer 453/503 beyond) [default: 2]",
        default: DEFAULT_SESSIONS_PER_DEVICE,
        parse: |t| crate::model::setting::count(t, 1),
    };

/// Longest wait for the TEARDOWN of a session before its slot is given back anyway (one request on
/// an open connection; a dead camera must not hold the slot).
const TEARDOWN_WAIT: Duration = Duration::from_millis(1000);

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
}

/// One session's right to exist on a device; give it back with [`SessionSlot::release`].
pub struct SessionSlot {
    _permit: OwnedSemaphorePermit,
    group: Arc<SessionGroup>,
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
            })
            .clone()
    }

    /// Wait for a free slot on `ip`.
    pub async fn acquire(&self, ip: IpAddr) -> SessionSlot {
        let d = self.device(ip);
        let permit = d
            .slots
            .acquire_owned()
            .await
            .expect("session semaphores are never closed");
        SessionSlot {
            _permit: permit,
            group: d.group,
        }
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

    /// Give the slot back once the TEARDOWN of the sessions dropped on this device was attempted
    /// (at most [`TEARDOWN_WAIT`]).
    pub async fn release(self) {
        let t = std::time::Instant::now();
        let st = self.group.stale_sessions();
        let _ = tokio::time::timeout(TEARDOWN_WAIT, self.group.await_teardown()).await;
        tracing::debug!(
            ms = t.elapsed().as_micros() as u64,
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
}
