//! The scan context: what every analyser of a scan reads and shares, built once per scan from the
//! configuration (`scan::plan`) and cloned cheaply into each port's task.
//!
//! It holds the scan-wide settings (deadlines, credentials and the login budget, the PLAY check,
//! the user's hints) and the state analysers of different ports and protocols share (which stream
//! URLs are taken, the channel counts SADP/DHIP announced, the per-device RTSP session slots).
//! Per-protocol settings are derived from it ([`ScanContext::http`], [`ScanContext::onvif`]) so each
//! analyser sees only what it needs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::budget::{AuthBudget, DEFAULT_AUTH_BUDGET};
use super::hints::Hints;
use super::sessions::DeviceSessions;
use crate::credentials::Credential;

/// Longest a channel walk waits at a gap for SADP/DHIP to announce the device's channel count.
pub const MAX_ANNOUNCE_WAIT: Duration = Duration::from_secs(10);

/// Default PLAY window: enough for a keyframe and 25 frames at 15 fps and a typical 1-2 s GOP.
pub const DEFAULT_VERIFY_WINDOW: Duration = Duration::from_secs(2);

/// Everything the analysers of one scan read and share. Clones share the state.
#[derive(Debug, Clone)]
pub struct ScanContext {
    pub connect_timeout: Duration,
    /// Deadline of each protocol step (a request and its answer).
    pub timeout: Duration,
    /// Deadline of protocol detection's first answers (≤ `timeout`).
    pub detect_timeout: Duration,
    pub auth: AuthSettings,
    pub verify: VerifySettings,
    /// The user's hints (`--paths`) for every protocol.
    pub hints: Arc<Hints>,
    /// Their RTSP projection: paths tried before the dictionary.
    pub rtsp_paths: Arc<Vec<String>>,
    /// `--stun-ports`: ports where a STUN Binding goes first over TCP, and over UDP to every host
    /// with an open TCP port (3478 is always tried over TCP, and over UDP once TCP answered).
    pub stun_ports: Vec<u16>,
    /// Stream URLs already taken for analysis in this scan.
    pub claimed: Claims,
    pub announcements: Announcements,
    /// RTSP sessions camscan may hold on one device at a time (`--sessions-per-device`), shared by
    /// media analysis, the PLAY check and ffprobe across every port and path of the scan.
    pub sessions: Arc<DeviceSessions>,
}

#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Paths (with query) of the streams this address served last time, per port and protocol.
    pub rtsp_paths: BTreeMap<u16, Vec<String>>,
    pub http_paths: BTreeMap<u16, Vec<String>>,
    /// The credentials-file entry that worked last time (matched by keyed hash of user:password).
    pub credential: Option<crate::credentials::Credential>,
}

/// Logging in.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Credentials in the order to try them.
    pub credentials: Arc<Vec<Credential>>,
    /// Failed-login budget shared by every protocol, per host.
    pub budget: Arc<AuthBudget>,
    /// `false` with `--no-auth`: never send credentials.
    pub enabled: bool,
    /// Put working credentials into stream URLs (`--show-credentials`).
    pub show_credentials: bool,
}

/// Proving that media flows.
#[derive(Debug, Clone)]
pub struct VerifySettings {
    /// PLAY each stream found (read an HLS/DASH media segment) to prove media flows and measure
    /// it (`--no-verify` turns it off).
    pub enabled: bool,
    /// How long a PLAY check (or an MJPEG read) listens at most.
    pub window: Duration,
    /// Run this ffprobe on streams to fill what our analysis left empty (`--ffprobe`).
    pub ffprobe: Option<std::path::PathBuf>,
}

/// Stream URLs taken for analysis: a stream found both on its RTSP port and through ONVIF is
/// described and PLAYed once. Clones share the set.
#[derive(Debug, Clone, Default)]
pub struct Claims(Arc<Mutex<HashSet<String>>>);

impl Claims {
    /// `false` if `url` (or a URL naming the same stream) was taken already.
    pub fn take(&self, url: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(claim_key(url))
    }
}

/// Video channel counts devices announced (SADP, DHIP), by address: the channel walk then visits
/// every announced channel instead of stopping at the first gap (an unplugged NVR input).
#[derive(Debug, Clone)]
pub struct Announcements {
    counts: Arc<Mutex<HashMap<IpAddr, u32>>>,
    /// `true` once the discovery that announces channel counts has finished: a channel walk that
    /// meets a gap before then waits for it (port probes start before discovery ends).
    done: tokio::sync::watch::Receiver<bool>,
    /// Woken at every announced count (a walk waiting at a gap goes on at once).
    now: Arc<tokio::sync::Notify>,
}

impl Announcements {
    /// A set that waits for the sender to say `true` (discovery finished) or to go away.
    pub fn new() -> (Self, tokio::sync::watch::Sender<bool>) {
        let (tx, done) = tokio::sync::watch::channel(false);
        let a = Announcements {
            counts: Default::default(),
            done,
            now: Default::default(),
        };
        (a, tx)
    }

    /// A set whose discovery has already finished (nothing will be announced).
    pub fn finished() -> Self {
        Announcements {
            counts: Default::default(),
            done: tokio::sync::watch::channel(true).1,
            now: Default::default(),
        }
    }

    /// Remember that the device at `ip` announced `channels` video channels.
    pub fn announce(&self, ip: IpAddr, channels: u32) {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ip, channels);
        self.now.notify_waiters();
    }

    pub fn of(&self, ip: IpAddr) -> Option<u32> {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ip)
            .copied()
    }

    /// The channel count `ip` announced: at once when known, else as soon as it arrives or the
    /// announcing discovery has finished (at most [`MAX_ANNOUNCE_WAIT`] from now).
    pub async fn wait_for(&self, ip: IpAddr) -> Option<u32> {
        let deadline = tokio::time::Instant::now() + MAX_ANNOUNCE_WAIT;
        let mut done = self.done.clone();
        loop {
            // Registered before the check, so an announcement in between is not missed.
            let notified = self.now.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(n) = self.of(ip) {
                return Some(n);
            }
            if *done.borrow_and_update() {
                return None;
            }
            tokio::select! {
                _ = notified => {}
                changed = done.changed() => {
                    if changed.is_err() {
                        return self.of(ip); // discovery is gone
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return self.of(ip),
            }
        }
    }
}

impl ScanContext {
    /// A context with no credentials (and a budget of its own), whose announcing discovery has
    /// finished: what a single analyser's tests and examples use.
    pub fn anonymous(connect_timeout: Duration, timeout: Duration) -> Self {
        ScanContext {
            connect_timeout,
            timeout,
            detect_timeout: timeout.min(crate::detect::DEFAULT_DETECT_TIMEOUT),
            auth: AuthSettings {
                credentials: Arc::new(Vec::new()),
                budget: Arc::new(AuthBudget::new(DEFAULT_AUTH_BUDGET)),
                enabled: true,
                show_credentials: false,
            },
            verify: VerifySettings {
                enabled: true,
                window: DEFAULT_VERIFY_WINDOW,
                ffprobe: None,
            },
            hints: Default::default(),
            rtsp_paths: Default::default(),
            stun_ports: Vec::new(),
            claimed: Default::default(),
            announcements: Announcements::finished(),
            sessions: Default::default(),
        }
    }

    /// Take `url` for analysis; `false` if another port or discovery of this scan already took it.
    pub fn claim(&self, url: &str) -> bool {
        self.claimed.take(url)
    }

    /// What the analysis of an HTTP port (HTTPS when `tls`) needs.
    pub fn http(&self, tls: bool) -> super::http::HttpSettings {
        super::http::HttpSettings {
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            window: self.verify.window,
            tls,
            hint_paths: Arc::new(self.hints.http_paths()),
            verify: self.verify.enabled,
        }
    }

    /// What the ONVIF device API calls need.
    pub fn onvif(&self) -> super::onvif::OnvifSettings {
        super::onvif::OnvifSettings {
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            credentials: self.auth.credentials.clone(),
            budget: self.auth.budget.clone(),
            use_auth: self.auth.enabled,
        }
    }
}

/// The stream a URL names, for [`ScanContext::claim`]: Hikvision's ONVIF stream URIs add
/// `?transportmode=unicast&profile=Profile_1` to the path its RTSP port serves, and name the same
/// stream. Only a query made of nothing but those two keys is dropped; any other query (Dahua's
/// `channel=1&subtype=0`) names a different stream.
fn claim_key(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let only_noise = query.split('&').all(|pair| {
        let key = pair.split('=').next().unwrap_or("");
        key.eq_ignore_ascii_case("transportmode") || key.eq_ignore_ascii_case("profile")
    });
    if only_noise {
        base.to_string()
    } else {
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A channel walk at a gap waits for SADP/DHIP: it goes on the moment its host's count is
    /// announced, or when discovery says it is done, whichever comes first.
    #[tokio::test(start_paused = true)]
    async fn a_walk_waits_for_announcements_only_as_long_as_needed() {
        let (s, done_tx) = Announcements::new();
        let s = Arc::new(s);
        let ip: std::net::IpAddr = "198.18.0.11".parse().unwrap();
        let other: std::net::IpAddr = "198.18.0.12".parse().unwrap();
        let t0 = tokio::time::Instant::now();
        let announcer = {
            let s = s.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(40)).await;
                s.announce(other, 8); // someone else's count: keeps waiting
                tokio::time::sleep(Duration::from_millis(10)).await;
                s.announce(ip, 4);
                tokio::time::sleep(Duration::from_millis(450)).await;
                done_tx.send(true).unwrap();
            })
        };
        assert_eq!(s.wait_for(ip).await, Some(4));
        assert_eq!(t0.elapsed(), Duration::from_millis(50));
        assert_eq!(s.wait_for(ip).await, Some(4), "known: no wait");
        assert_eq!(t0.elapsed(), Duration::from_millis(50));
        let silent: std::net::IpAddr = "198.18.0.13".parse().unwrap();
        assert_eq!(s.wait_for(silent).await, None);
        assert_eq!(
            t0.elapsed(),
            Duration::from_millis(500),
            "released when discovery is done"
        );
        announcer.await.unwrap();
        // Without discovery (a library caller), nothing waits.
        let lone = Announcements::finished();
        let t1 = tokio::time::Instant::now();
        assert_eq!(lone.wait_for(silent).await, None);
        assert_eq!(t1.elapsed(), Duration::ZERO);
    }

    #[test]
    fn claim_keys_join_hikvision_onvif_uris_only() {
        let plain = "rtsp://10.0.0.2:554/Streaming/Channels/101";
        assert_eq!(
            claim_key(&format!("{plain}?transportmode=unicast&profile=Profile_1")),
            plain
        );
        assert_eq!(claim_key(plain), plain);
        let dahua = "rtsp://10.0.0.3:554/cam/realmonitor?channel=1&subtype=0";
        assert_eq!(claim_key(dahua), dahua);
        let mixed = "rtsp://10.0.0.3:554/a?transportmode=unicast&channel=2";
        assert_eq!(claim_key(mixed), mixed);
        let s = ScanContext::anonymous(Duration::from_secs(1), Duration::from_secs(1));
        assert!(s.claim(plain));
        assert!(!s.claim(&format!("{plain}?transportmode=unicast")));
    }

    #[test]
    fn a_stream_is_claimed_once_per_scan() {
        let a = ScanContext::anonymous(Duration::from_secs(1), Duration::from_secs(1));
        let b = a.clone(); // the ONVIF path holds a clone of the same settings
        assert!(a.claim("rtsp://10.0.0.2:554/x"));
        assert!(!b.claim("rtsp://10.0.0.2:554/x"));
        assert!(b.claim("rtsp://10.0.0.2:554/y"));
    }
}
