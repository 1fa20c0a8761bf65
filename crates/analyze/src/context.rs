//! The scan context: what every analyser of a scan reads and shares, built once per scan from the
//! configuration (`scan::plan`) and cloned cheaply into each port's task.
//!
//! It holds the scan's resolved settings (deadlines, `--no-auth`, the PLAY check...: each read by
//! its declaration, `ctx.settings.get(&net::TIMEOUT)`, the context keeps no copy), what is no
//! setting of its own (the credentials and the login budget, the media budget, ffprobe, the user's
//! hints) and the state analysers of different ports and protocols share (which stream
//! URLs are taken, the channel counts SADP/DHIP announced, the per-device RTSP session slots).
//! Each analyser derives its own settings from it ([`super::http::HttpSettings::for_port`],
//! [`super::onvif::OnvifSettings::for_scan`]), so it sees only what it needs and the context
//! names no analyser.
//!
//! It also carries what an earlier scan learnt ([`Known`], from the inventory store): the stream
//! paths and the credential that worked on each address, which the RTSP and HTTP analysers try
//! first so that an unchanged device is re-checked with a few requests (`--fresh` leaves it empty).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::budget::{AuthBudget, DEFAULT_AUTH_BUDGET};
use super::hints::Hints;
use super::sessions::DeviceSessions;
use credentials::Credential;
use input::setting::Repeat;
use net::host_gate::HostGates;

/// Longest a channel walk waits at a gap for SADP/DHIP to announce the device's channel count.
pub const MAX_ANNOUNCE_WAIT: Duration = Duration::from_secs(10);

/// Default PLAY window: enough for a keyframe and 25 frames at 15 fps and a typical 1-2 s GOP.
pub const DEFAULT_VERIFY_WINDOW: Duration = Duration::from_secs(2);

/// `--verify-window`: how long a PLAY check watches a stream at most.
pub static VERIFY_WINDOW: input::setting::Setting<Duration> = input::setting::Setting {
    key: "verify_window",
    flag: "--verify-window",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_VERIFY_WINDOW",
    value_name: "DURATION",
    help: "How long the PLAY check listens to each stream at most [default: 2s]",
    default: DEFAULT_VERIFY_WINDOW,
    choices: None,
    parse: input::setting::duration,
};

/// `verify`: PLAY each stream to prove it delivers media and measure it (`--no-verify`,
/// `verify: false`: not).
pub static VERIFY: input::setting::Setting<bool> = input::setting::Setting {
    key: "verify",
    flag: "--no-verify",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_NO_VERIFY",
    value_name: input::setting::SWITCH_OFF,
    help: "Skip the PLAY check that proves each stream delivers media and measures its fps and \
           bitrate",
    default: true,
    choices: None,
    parse: input::setting::switch,
};

/// Everything the analysers of one scan read and share. Clones share the state.
#[derive(Debug, Clone)]
pub struct ScanContext {
    /// The declared scan settings, as resolved ([`input::setting`]): a stage or an
    /// analyser reads its own where it uses it, and only so (`ctx.settings.get(&net::TIMEOUT)`,
    /// `ctx.settings.get(&SESSIONS_PER_DEVICE)`); the context keeps no copy of one.
    pub settings: Arc<input::setting::Settings>,
    pub auth: AuthSettings,
    pub verify: VerifySettings,
    /// The user's hints (`--paths`) for every protocol.
    pub hints: Arc<Hints>,
    /// Their RTSP projection: paths tried before the dictionary.
    pub rtsp_paths: Arc<Vec<String>>,
    /// Stream URLs already taken for analysis in this scan.
    pub claimed: Claims,
    pub announcements: Announcements,
    /// Stream paths devices announced for one of their ports (mDNS `_rtsp._tcp` TXT `path`), which
    /// that port's RTSP analysis tries first.
    pub stream_hints: StreamHints,
    /// Ports found serving live media over HTTP: their RTSP walk asks no more than its first
    /// round when it has found nothing.
    pub http_live: LivePorts,
    /// RTSP sessions camscan may hold on one device at a time (`--sessions-per-device`), shared by
    /// media analysis, the PLAY check and ffprobe across every port and path of the scan.
    pub sessions: Arc<DeviceSessions>,
    /// The per-host gate of analysis traffic (`--host-connections`, `--host-rate`) and the count
    /// of what each device received: `scan::dispatch` runs each port's analysis inside its
    /// [`net::host_gate::scope`].
    pub gates: Arc<HostGates>,
    /// What worked on each address last time (the store's [`Known`] map): tried first. Empty
    /// without a store and with `--fresh`.
    pub known: Arc<HashMap<IpAddr, Known>>,
    /// The login that opened each device the inventory knows, by its identity (the store's
    /// `store::Store::known_logins`): a device recognised at a new address is tried first
    /// with it ([`super::followed`]). Empty without a store and with `--fresh`.
    pub logins: Arc<model::known::KnownLogins>,
    /// Who made each address's device, as the clues come in ([`super::identity`]): orders the RTSP
    /// path walks.
    pub identities: super::identity::Identities,
}

pub use model::known::Known;

/// `--fresh`: the scan starts with nothing an earlier scan learnt (the analysers' [`Known`] left
/// empty, `record::memory`).
pub static FRESH: input::setting::Setting<bool> = input::setting::Setting {
    key: "fresh",
    flag: "--fresh",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_FRESH",
    value_name: input::setting::SWITCH,
    help: "Ignore what earlier scans learnt (the inventory's known paths and credentials): analyse \
           every device from scratch, with the full dictionaries and channel walks",
    default: false,
    choices: None,
    parse: input::setting::switch,
};

/// `--no-auth`: never send credentials (non-intrusive mode).
pub static NO_AUTH: input::setting::Setting<bool> = input::setting::Setting {
    key: "no_auth",
    flag: "--no-auth",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_NO_AUTH",
    value_name: input::setting::SWITCH,
    help: "Never send credentials (non-intrusive mode)",
    default: false,
    choices: None,
    parse: input::setting::switch,
};

/// `--show-credentials`: put working credentials into the stream URLs reported.
pub static SHOW_CREDENTIALS: input::setting::Setting<bool> = input::setting::Setting {
    key: "show_credentials",
    flag: "--show-credentials",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_SHOW_CREDENTIALS",
    value_name: input::setting::SWITCH,
    help: "Put working credentials into stream URLs in the output (percent-encoded)",
    default: false,
    choices: None,
    parse: input::setting::switch,
};

/// Logging in: whom to try and how often. Whether to log in at all ([`NO_AUTH`]) and whether to
/// show what worked ([`SHOW_CREDENTIALS`]) are settings, read from [`ScanContext::settings`].
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Credentials in the order to try them.
    pub credentials: Arc<Vec<Credential>>,
    /// Failed-login budget shared by every protocol, per host.
    pub budget: Arc<AuthBudget>,
}

/// Proving that media flows: with what, and within which budget. Whether to ([`VERIFY`]) and for
/// how long ([`VERIFY_WINDOW`]) are settings, read from [`ScanContext::settings`].
#[derive(Debug, Clone)]
pub struct VerifySettings {
    /// Run this ffprobe on streams to fill what our analysis left empty (`--ffprobe`).
    pub ffprobe: Option<std::path::PathBuf>,
    /// The scan's media budget (`--media-rate`): every PLAY check and MJPEG read waits for room
    /// in it. Made by the plan at its rate (`camscan::scan::plan::ScanPlan::context`); no limit
    /// outside a scan.
    pub media: Arc<net::media_budget::MediaBudget>,
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

/// Ports whose HTTP side was found serving live media (MJPEG, HTTP-FLV, HTTP-TS) in this scan. A
/// port that answers RTSP too (VLC's HTTP output answers every RTSP path 404) walks the rest of
/// the RTSP dictionary only while this says nothing of it: its first round still asks, so a
/// server with both kinds of streams is found. Clones share the set.
#[derive(Debug, Clone, Default)]
pub struct LivePorts(Arc<Mutex<HashSet<std::net::SocketAddr>>>);

impl LivePorts {
    /// `addr` serves live media over HTTP.
    pub fn mark(&self, addr: std::net::SocketAddr) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(addr);
    }

    /// Whether `addr` was found serving live media over HTTP.
    pub fn has(&self, addr: std::net::SocketAddr) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&addr)
    }
}

/// Stream paths a device announced for one of its ports (mDNS `_rtsp._tcp` TXT `path`), by
/// address and port. Each is taken once: by that port's RTSP analysis, which tries it before the
/// dictionary, or, when no analysis took it before discovery ended (the analysis had started before
/// the answer came, or the port was never analysed), by the discovery that learnt it, which
/// describes it itself. Clones share the map.
#[derive(Debug, Clone, Default)]
pub struct StreamHints(Arc<Mutex<HashMap<std::net::SocketAddr, Vec<String>>>>);

/// Paths kept per address and port: a device announcing more is not worth more requests.
const MAX_HINTS_PER_PORT: usize = 8;

impl StreamHints {
    /// Remember that `addr` serves `path` (starting with `/`).
    pub fn add(&self, addr: std::net::SocketAddr, path: &str) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let paths = map.entry(addr).or_default();
        if paths.len() < MAX_HINTS_PER_PORT && !paths.iter().any(|p| p == path) {
            paths.push(path.to_string());
        }
    }

    /// Whether paths were announced for `addr` (not taken yet).
    pub fn has(&self, addr: std::net::SocketAddr) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&addr)
            .is_some_and(|p| !p.is_empty())
    }

    /// The paths announced for `addr`, taken (a second call gets none).
    pub fn take(&self, addr: std::net::SocketAddr) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&addr)
            .unwrap_or_default()
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
    /// Every other setting is its default; [`ScanContext::with`] gives one another value.
    pub fn anonymous(connect_timeout: Duration, timeout: Duration) -> Self {
        let mut settings = input::setting::Settings::default();
        settings.set(&net::CONNECT_TIMEOUT, connect_timeout);
        settings.set(&net::TIMEOUT, timeout);
        ScanContext {
            settings: Arc::new(settings),
            auth: AuthSettings {
                credentials: Arc::new(Vec::new()),
                budget: Arc::new(AuthBudget::new(DEFAULT_AUTH_BUDGET)),
            },
            verify: VerifySettings {
                ffprobe: None,
                media: Default::default(),
            },
            hints: Default::default(),
            rtsp_paths: Default::default(),
            claimed: Default::default(),
            announcements: Announcements::finished(),
            stream_hints: Default::default(),
            http_live: Default::default(),
            sessions: Default::default(),
            gates: Default::default(),
            known: Default::default(),
            logins: Default::default(),
            identities: Default::default(),
        }
    }

    /// This context with `setting` given as `value` (its clones made before keep theirs): what
    /// tests, examples and library callers change of [`ScanContext::anonymous`]'s defaults.
    pub fn with<T: Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static>(
        mut self,
        setting: &'static input::setting::Setting<T>,
        value: T,
    ) -> Self {
        Arc::make_mut(&mut self.settings).set(setting, value);
        self
    }

    /// Deadline of protocol detection's first answers: `--detect-timeout`, but never longer than
    /// `--timeout` ([`detect::detect_timeout`]). Derived from two settings, so not a
    /// setting of its own.
    pub fn detect_timeout(&self) -> Duration {
        detect::detect_timeout(&self.settings)
    }

    /// This context with what an earlier scan learnt (the store's map; leave it out for
    /// `--fresh`).
    pub fn with_known(mut self, known: HashMap<IpAddr, Known>) -> Self {
        self.known = Arc::new(known);
        self
    }

    /// The RTSP paths `addr` served last time, if any.
    pub fn known_rtsp_paths(&self, addr: std::net::SocketAddr) -> &[String] {
        self.known
            .get(&addr.ip())
            .and_then(|k| k.rtsp_paths.get(&addr.port()))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether `addr` served HTTP media last time and no RTSP stream (a media server's HTTP port
    /// that also answers RTSP, as VLC's does): a rescan does not walk its RTSP paths.
    pub fn known_as_http_media_only(&self, addr: std::net::SocketAddr) -> bool {
        self.known.get(&addr.ip()).is_some_and(|k| {
            k.http_paths
                .get(&addr.port())
                .is_some_and(|p| !p.is_empty())
                && k.rtsp_paths.get(&addr.port()).is_none_or(Vec::is_empty)
        })
    }

    /// The credential that worked on `ip` last time, when credentials may be sent to it: its
    /// scope covers `ip`, or it is the login of the device recognised there ([`super::followed`]).
    pub fn known_credential(&self, ip: IpAddr) -> Option<&Credential> {
        self.known
            .get(&ip)
            .and_then(|k| k.credential.as_ref())
            .filter(|c| {
                !self.settings.get(&NO_AUTH)
                    && (c.applies_to(ip) || self.followed_login(ip).is_some_and(|l| l == *c))
            })
    }

    /// The position of `cred` in the credentials list (for [`model::Stream::credential_entry`]).
    pub fn credential_entry(&self, cred: Option<&Credential>) -> Option<usize> {
        let cred = cred?;
        self.auth.credentials.iter().position(|c| c == cred)
    }

    /// Take `url` for analysis; `false` if another port or discovery of this scan already took it.
    pub fn claim(&self, url: &str) -> bool {
        self.claimed.take(url)
    }
}

/// What `report` says worked, as the [`Known`] map a rescan of the same addresses starts from:
/// for each address, the paths of the streams that answered (`ok`) per port (RTSP, and the HTTP
/// media an HTTP probe confirms: HLS, DASH, MJPEG, JPEG, FLV, TS; not WHEP, which is asked, not
/// fetched), and the credential named by the user name those streams carry (the first entry of
/// `creds` with that name that applies to the address; the store, which keeps a keyed hash of
/// user:password, tells apart entries sharing one name). Credentials in URLs are dropped.
pub fn known_from_report(report: &model::Report, creds: &[Credential]) -> HashMap<IpAddr, Known> {
    use model::Protocol;
    let mut map: HashMap<IpAddr, Known> = HashMap::new();
    for device in &report.devices {
        for stream in &device.streams {
            if !stream.status.answers() {
                continue;
            }
            let Ok(u) = url::Url::parse(&stream.url) else {
                continue;
            };
            let ip = u
                .host_str()
                .and_then(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().ok())
                .unwrap_or(device.ip);
            let port = u.port_or_known_default().unwrap_or(stream.port);
            let mut path = u.path().to_string();
            if let Some(q) = u.query() {
                path.push('?');
                path.push_str(q);
            }
            let known = map.entry(ip).or_default();
            let list = match (stream.protocol, u.scheme()) {
                (Protocol::Rtsp, "rtsp") => known.rtsp_paths.entry(port).or_default(),
                (
                    Protocol::Hls
                    | Protocol::Dash
                    | Protocol::Mjpeg
                    | Protocol::Jpeg
                    | Protocol::Flv
                    | Protocol::Ts,
                    "http" | "https",
                ) => known.http_paths.entry(port).or_default(),
                _ => continue,
            };
            if !list.contains(&path) {
                list.push(path);
            }
            if known.credential.is_none()
                && let Some(user) = &stream.username
            {
                let entry = stream.credential_entry.and_then(|i| creds.get(i));
                known.credential = entry
                    .filter(|c| &c.username == user)
                    .or_else(|| {
                        creds
                            .iter()
                            .find(|c| &c.username == user && c.applies_to(ip))
                    })
                    .cloned();
            }
        }
    }
    map.retain(|_, k| !k.rtsp_paths.is_empty() || !k.http_paths.is_empty());
    map
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
    use std::collections::BTreeMap;

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

    /// What worked (streams that answered) per address, port and protocol; the credential by the
    /// user name the streams carry; credentials in URLs, failed streams and WHEP left out.
    #[test]
    fn known_from_a_report() {
        use model::{Device, Protocol, Report, Stream, StreamStatus};
        let ip: IpAddr = "198.18.0.21".parse().unwrap();
        let mut d = Device::new(ip);
        let mut add = |url: &str, protocol, port, status, user: Option<&str>| {
            let mut s = Stream::new(url.into(), protocol, port);
            s.status = status;
            s.username = user.map(str::to_string);
            d.streams.push(s);
        };
        let ok = StreamStatus::Ok;
        add(
            "rtsp://admin:secret@198.18.0.21:554/Streaming/Channels/101",
            Protocol::Rtsp,
            554,
            ok,
            Some("admin"),
        );
        add(
            "rtsp://198.18.0.21:554/cam/realmonitor?channel=1&subtype=0",
            Protocol::Rtsp,
            554,
            ok,
            Some("admin"),
        );
        add(
            "rtsp://198.18.0.21:8554/x",
            Protocol::Rtsp,
            8554,
            StreamStatus::AuthFailed,
            None,
        );
        add(
            "http://198.18.0.21/hls/cam.m3u8",
            Protocol::Hls,
            80,
            ok,
            None,
        );
        add(
            "https://198.18.0.21/snap.jpg",
            Protocol::Jpeg,
            443,
            ok,
            None,
        );
        add(
            "http://198.18.0.21:8889/cam/whep",
            Protocol::Webrtc,
            8889,
            ok,
            None,
        );
        let report = Report {
            schema_version: 1,
            camscan_version: "0".into(),
            started_at: String::new(),
            finished_at: String::new(),
            complete: true,
            targets: vec![],
            plan: None,
            coverage: None,
            devices: vec![d, Device::new("198.18.0.22".parse().unwrap())],
        };
        let creds = [
            Credential::new("root", "x"),
            Credential::new("admin", "secret"),
        ];
        let known = known_from_report(&report, &creds);
        assert_eq!(
            known.len(),
            1,
            "a device with no stream is not known: {known:?}"
        );
        let k = &known[&ip];
        assert_eq!(
            k.rtsp_paths,
            BTreeMap::from([(
                554,
                vec![
                    "/Streaming/Channels/101".to_string(),
                    "/cam/realmonitor?channel=1&subtype=0".to_string()
                ]
            )])
        );
        assert_eq!(
            k.http_paths,
            BTreeMap::from([
                (80, vec!["/hls/cam.m3u8".to_string()]),
                (443, vec!["/snap.jpg".to_string()])
            ])
        );
        assert_eq!(k.credential, Some(Credential::new("admin", "secret")));
        // The context hands them out per port, and the credential only when auth is on.
        let ctx = ScanContext::anonymous(Duration::from_secs(1), Duration::from_secs(1))
            .with_known(known);
        assert_eq!(ctx.known_rtsp_paths((ip, 554).into()).len(), 2);
        assert!(ctx.known_rtsp_paths((ip, 8554).into()).is_empty());
        assert_eq!(
            *crate::http::HttpSettings::for_port(&ctx, (ip, 443).into(), true).known_paths,
            ["/snap.jpg"]
        );
        assert!(
            crate::http::HttpSettings::for_port(&ctx, (ip, 8080).into(), false)
                .known_paths
                .is_empty()
        );
        assert!(ctx.known_credential(ip).is_some());
        let ctx = ctx.with(&NO_AUTH, true);
        assert!(ctx.known_credential(ip).is_none(), "--no-auth sends none");
    }

    /// The context keeps no copy of a setting: what `anonymous` and `with` give is what the
    /// settings say, and detection's deadline is `--detect-timeout` within `--timeout`.
    #[test]
    fn settings_are_read_from_the_settings() {
        use net::{CONNECT_TIMEOUT, TIMEOUT};
        let ms = Duration::from_millis;
        let ctx = ScanContext::anonymous(ms(700), ms(5000));
        assert_eq!(ctx.settings.get(&CONNECT_TIMEOUT), ms(700));
        assert_eq!(ctx.settings.get(&TIMEOUT), ms(5000));
        assert_eq!(ctx.detect_timeout(), detect::DEFAULT_DETECT_TIMEOUT);
        assert!(ctx.settings.get(&VERIFY) && !ctx.settings.get(&NO_AUTH));
        assert!(!ctx.settings.get(&SHOW_CREDENTIALS));
        assert_eq!(ctx.settings.get(&VERIFY_WINDOW), DEFAULT_VERIFY_WINDOW);
        let short = ScanContext::anonymous(ms(700), ms(500));
        assert_eq!(short.detect_timeout(), ms(500), "never past --timeout");
        let clone = ctx.clone();
        let ctx = ctx
            .with(&detect::DETECT_TIMEOUT, ms(4000))
            .with(&NO_AUTH, true);
        assert_eq!(ctx.detect_timeout(), ms(4000));
        assert!(ctx.settings.get(&NO_AUTH));
        assert!(
            !clone.settings.get(&NO_AUTH),
            "an earlier clone keeps its own"
        );
        assert_eq!(ctx.with(&TIMEOUT, ms(3000)).detect_timeout(), ms(3000));
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
