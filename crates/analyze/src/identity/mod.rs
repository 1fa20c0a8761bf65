//! Who made a device, decided before its RTSP path walk: every maker/model clue the scan has for
//! the address (the MAC's registry entry, UPnP and mDNS answers, the web page's fingerprint, the
//! RTSP `Server` header or realm, ONVIF scopes, the makers' own discovery protocols, the ONVIF
//! device API), weighed by one rule, so that the named maker's documented paths are asked first.
//!
//! # The rule
//!
//! Clues rank by how directly the device speaks for itself, least trusted first ([`ClueSource`],
//! the same order the registry fills a device's `vendor` by):
//! MAC registry < UPnP < mDNS < web fingerprint < RTSP `Server`/realm < ONVIF scopes < vendor
//! discovery protocol < ONVIF `GetDeviceInformation`. The maker of the most trusted clue orders the
//! walk; among clues of one rank the first heard wins. Every other maker a clue named is kept,
//! in rank order, and its paths are asked right after: an OEM board in another brand's case
//! (Hikvision inside ABUS, LTS or Annke; Dahua inside Amcrest or Lorex) names the brand through
//! the device API and the board's maker through the MAC or the RTSP server, and both are right
//! about something. Each maker's platform (`platform:` in `data/vendors.yaml`: the firmware family
//! an OEM ships) follows that maker. The model comes from the most trusted clue that names one
//! for the chosen maker (per-model paths in `data/rtsp_paths.yaml` go first for it).
//!
//! [`decide`] is that rule, a pure function; [`Identities`] is the scan's board of clues per
//! address, filled by discovery as answers arrive (the MAC as soon as the host answers ARP), and
//! by the web fingerprint and the ONVIF device API as soon as they know. A walk about to order its
//! paths waits (at most [`SETTLE`], beside its first request) for the clues promised for its
//! address: every other open port of it until its detection says what it speaks (and, for a web
//! server, until its fingerprint is known), an ONVIF device API being asked. A clue that comes
//! later still orders what is left of the walk after its first round.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use knowledge::{Knowledge, VendorId};

mod clues;

pub use clues::{
    FingerprintClue, WebWords, clue_from_mac, clue_from_rtsp, clue_from_text, clue_from_words,
};

/// Longest a path walk waits for clues still on their way (a web port's fingerprint, an ONVIF
/// device API's answer) before ordering its paths: a LAN device's web fingerprint takes a few
/// round trips; a device that takes longer is walked with what is known.
pub const SETTLE: Duration = Duration::from_millis(1500);

/// When the answers to WS-Discovery's first two multicast rounds are due, from the window's start:
/// the second round (100 ms in), a responder's longest wait before it answers (500 ms, WS-Discovery
/// 1.1 §3.1.3 APP_MAX_DELAY; python-ws-discovery `daemon.py`) and 100 ms for the round trip and the
/// device reading the Probe (a first Probe lost, the second's answer is still in). A device whose
/// maker a clue named waits for these before its RTSP walk, not for the whole window
/// ([`Identities::onvif_answers_due`]); the WS-Discovery stage tells the board when they are due by
/// it (`camscan::discovery::wsd`, which holds its rounds to it).
pub const FIRST_ANSWERS_DUE: Duration = Duration::from_millis(100 + 500 + 100);

/// How long after the scan starts a walk whose first round found nothing, with no maker named
/// yet, may wait for a clue before it asks the rest of the dictionary (hundreds of paths): an
/// ONVIF ProbeMatch comes up to 0.5 s after the probe (WS-Discovery's random answer delay,
/// `APP_MAX_DELAY`), the device API's answer a few round trips later. A walk whose first round
/// ends later does not wait.
pub const LATE_CLUES: Duration = Duration::from_secs(1);

/// Where a clue came from, least trusted first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClueSource {
    /// The IEEE registry's organisation for the MAC's prefix: who made the network card.
    Mac,
    /// A UPnP description's `<manufacturer>` (often a SoC vendor's text).
    Upnp,
    /// An mDNS / DNS-SD answer.
    Mdns,
    /// A signature of the device's web server.
    HttpFingerprint,
    /// The RTSP server's `Server` header or authentication realm.
    RtspServer,
    /// ONVIF WS-Discovery scopes (set by the maker, sometimes an OEM's generic text).
    OnvifScopes,
    /// The maker's own discovery protocol (SADP, DHIP, DVRIP, ...).
    VendorProtocol,
    /// The ONVIF device API's `GetDeviceInformation`.
    OnvifDevice,
}

impl ClueSource {
    /// The name the JSON output gives it (`services[].path_walk.by`).
    pub fn as_str(self) -> &'static str {
        match self {
            ClueSource::Mac => "mac",
            ClueSource::Upnp => "upnp",
            ClueSource::Mdns => "mdns",
            ClueSource::HttpFingerprint => "http-fingerprint",
            ClueSource::RtspServer => "rtsp-server",
            ClueSource::OnvifScopes => "onvif-scopes",
            ClueSource::VendorProtocol => "vendor-protocol",
            ClueSource::OnvifDevice => "onvif-device",
        }
    }

    /// How the source reads in a sentence.
    pub fn label(self) -> &'static str {
        match self {
            ClueSource::Mac => "MAC registry",
            ClueSource::Upnp => "UPnP description",
            ClueSource::Mdns => "mDNS",
            ClueSource::HttpFingerprint => "web fingerprint",
            ClueSource::RtspServer => "RTSP server",
            ClueSource::OnvifScopes => "ONVIF scopes",
            ClueSource::VendorProtocol => "vendor discovery",
            ClueSource::OnvifDevice => "ONVIF GetDeviceInformation",
        }
    }
}

/// One maker (and maybe model) a source named for an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clue {
    pub source: ClueSource,
    pub maker: VendorId,
    pub model: Option<String>,
    /// What the source said, as evidence (`Server: Dahua Rtsp Server`, `MAC 00:80:F0:12:34:56
    /// (Panasonic Communications Co., Ltd.)`); device text, sanitised when rendered.
    pub said: String,
    /// Which words named the maker, where (`"Dahua" in the RTSP Server header "Dahua Rtsp
    /// Server"`, `IEEE registry organisation "CANON INC."`); `None` for a web signature, whose
    /// evidence is `said`.
    pub named_by: Option<String>,
}

/// The maker a device's walk was ordered by, and the others named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The clue that named the maker whose paths go first.
    pub by: Option<Clue>,
    /// The model, from the most trusted clue naming one for that maker.
    pub model: Option<String>,
    /// The makers whose paths are asked first, in order: the chosen one, then every other one a
    /// clue named (rank order), each followed by its platform.
    pub makers: Vec<VendorId>,
    /// Makers other clues named that differ from the chosen one, with their sources.
    pub others: Vec<(VendorId, ClueSource)>,
}

impl Identity {
    pub fn maker(&self) -> Option<VendorId> {
        self.by.as_ref().map(|c| c.maker)
    }
}

/// The rule of the module docs: the most trusted clue's maker first, then every other maker in
/// rank order, each followed by its platform; the model from the most trusted clue naming one for
/// the chosen maker.
pub fn decide(k: &'static Knowledge, clues: &[Clue]) -> Identity {
    // Most trusted first; a stable sort keeps the first heard first among equals.
    let mut ranked: Vec<&Clue> = clues.iter().collect();
    ranked.sort_by_key(|c| std::cmp::Reverse(c.source));
    let Some(top) = ranked.first() else {
        return Identity::default();
    };
    let mut id = Identity {
        by: Some((*top).clone()),
        ..Identity::default()
    };
    id.model = ranked
        .iter()
        .filter(|c| c.maker == top.maker)
        .find_map(|c| c.model.clone().filter(|m| !m.trim().is_empty()));
    for c in &ranked {
        for m in std::iter::once(c.maker).chain(k.platform_of(c.maker)) {
            if !id.makers.contains(&m) {
                id.makers.push(m);
            }
        }
        if c.maker != top.maker && !id.others.iter().any(|(m, _)| *m == c.maker) {
            id.others.push((c.maker, c.source));
        }
    }
    id
}

/// The scan's clues per address, and the clues still on their way. Clones share the board.
#[derive(Debug, Clone, Default)]
pub struct Identities(Arc<Board>);

#[derive(Debug)]
struct Board {
    state: Mutex<State>,
    changed: tokio::sync::Notify,
    /// When the board was made: the scan's start.
    born: tokio::time::Instant,
    /// When WS-Discovery's window closes, when it runs: until then any address may still answer
    /// it, and have its device API name its streams.
    onvif_window: Mutex<Option<tokio::time::Instant>>,
    /// When the answers to WS-Discovery's first multicast Probes are due, when they went out: a
    /// device that answers them has by then (a responder's random delay is at most 0.5 s).
    onvif_answers: Mutex<Option<tokio::time::Instant>>,
}

impl Default for Board {
    fn default() -> Self {
        Board {
            state: Default::default(),
            changed: Default::default(),
            born: tokio::time::Instant::now(),
            onvif_window: Mutex::new(None),
            onvif_answers: Mutex::new(None),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    clues: HashMap<IpAddr, Vec<Clue>>,
    /// What recognises each address's device (its MAC, serial, uuid as heard so far): a device
    /// the inventory knows is recognised at a new address by it ([`crate::followed`]).
    keys: HashMap<IpAddr, model::identity::Identity>,
    /// Addresses that showed a media server (a port answered RTSP or RTMP, WS-Discovery).
    media: std::collections::HashSet<IpAddr>,
    /// Addresses with a port that answered as a web server (where an ONVIF device API may be).
    web: std::collections::HashSet<IpAddr>,
    /// Clues on their way, by address.
    pending: HashMap<IpAddr, Vec<Promise>>,
}

/// A clue on its way, since when, and whether the port said it is a web server.
#[derive(Debug, Clone, Copy)]
struct Promise {
    what: Pending,
    since: tokio::time::Instant,
    web: bool,
}

/// A clue on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// An open port's detection, and its web fingerprint when it is a web server.
    Port(u16),
    /// The ONVIF device API's answer.
    OnvifDevice,
}

/// Longest a walk waits for another open port of its address that has not said what it speaks: a
/// port that accepts and stays silent (a tarpit, a binary SDK port) holds no walk for long (a
/// loaded web server may take most of a second to answer its first request); a port that
/// answered as a web server is waited for until its fingerprint (at most [`SETTLE`]).
pub const QUIET_PORT: Duration = Duration::from_secs(1);

/// Most clues kept per address: a device sending more is not telling more.
const MAX_CLUES: usize = 16;

/// Most addresses whose keys are kept (a /16 of cameras): beyond it a scan recognises no more
/// devices at new addresses, and the memory stays bounded.
const MAX_KEYED_HOSTS: usize = 65_536;

impl Identities {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remember `clue` for `ip` (a clue already there from the same source and maker is kept once).
    pub fn learn(&self, ip: IpAddr, clue: Clue) {
        {
            let mut s = self.state();
            let list = s.clues.entry(ip).or_default();
            if list.len() < MAX_CLUES
                && !list
                    .iter()
                    .any(|c| c.source == clue.source && c.maker == clue.maker)
            {
                list.push(clue);
            }
        }
        self.0.changed.notify_waiters();
    }

    /// Until when a walk with nothing named may wait for a late clue: [`LATE_CLUES`] after the
    /// scan (the board) started, or until WS-Discovery's window closes when that is later.
    pub fn late_clues_until(&self) -> tokio::time::Instant {
        let window = *self
            .0
            .onvif_window
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        (self.0.born + LATE_CLUES).max(window.unwrap_or(self.0.born))
    }

    /// WS-Discovery runs, its window closing at `until`: a walk that found nothing waits for it
    /// before it asks other makers' paths ([`Identities::late_clues_until`]).
    pub fn onvif_window(&self, until: tokio::time::Instant) {
        *self
            .0
            .onvif_window
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(until);
    }

    /// WS-Discovery's multicast Probes went out on the attached links: their answers are due at
    /// `at` ([`Identities::onvif_answers_due`]).
    pub fn onvif_answers(&self, at: tokio::time::Instant) {
        *self
            .0
            .onvif_answers
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(at);
    }

    /// When the answers to WS-Discovery's first multicast Probes are due, if they went out: a walk
    /// whose device's maker is named waits for those only, not for the whole window (a device
    /// that answers late, or only a later Probe, is asked its maker's paths first).
    pub fn onvif_answers_due(&self) -> Option<tokio::time::Instant> {
        *self
            .0
            .onvif_answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Whether an ONVIF device API of `ip` is being asked.
    pub fn onvif_pending(&self, ip: IpAddr) -> bool {
        self.state()
            .pending
            .get(&ip)
            .is_some_and(|l| l.iter().any(|p| p.what == Pending::OnvifDevice))
    }

    /// Learn the maker `mac` names, if it is a camera maker's, and the MAC as `ip`'s key.
    pub fn learn_mac(&self, ip: IpAddr, mac: &str) {
        self.learn_keys(
            ip,
            &model::identity::Identity {
                mac: model::identity::normalize_mac(mac),
                ..Default::default()
            },
        );
        if let Some(c) = clue_from_mac(knowledge::get(), mac) {
            self.learn(ip, c);
        }
    }

    /// Learn keys of `ip`'s device (normalised as [`model::identity::Identity::of`] does):
    /// a key heard first is kept.
    pub fn learn_keys(&self, ip: IpAddr, keys: &model::identity::Identity) {
        if keys.is_empty() {
            return;
        }
        let mut s = self.state();
        if s.keys.len() < MAX_KEYED_HOSTS || s.keys.contains_key(&ip) {
            s.keys.entry(ip).or_default().absorb(keys);
        }
    }

    /// The keys heard for `ip`'s device so far (none: an empty identity).
    pub fn keys(&self, ip: IpAddr) -> model::identity::Identity {
        self.state().keys.get(&ip).cloned().unwrap_or_default()
    }

    /// Learn the maker (and model) a device's text names, if it names one camscan knows.
    pub fn learn_maker(
        &self,
        ip: IpAddr,
        source: ClueSource,
        maker: Option<&str>,
        model: Option<&str>,
    ) {
        if let Some(c) = clue_from_text(knowledge::get(), source, maker, model) {
            self.learn(ip, c);
        }
    }

    /// `ip` showed a media server or a camera (a port answered RTSP or RTMP, it answered
    /// WS-Discovery): a silent RTSP port of it earns a media server's patience.
    pub fn saw_media(&self, ip: IpAddr) {
        self.state().media.insert(ip);
        self.0.changed.notify_waiters();
    }

    /// Whether a port of `ip` answered as a web server.
    pub fn has_web(&self, ip: IpAddr) -> bool {
        self.state().web.contains(&ip)
    }

    /// Whether `ip` showed a media server ([`Identities::saw_media`]).
    pub fn has_media(&self, ip: IpAddr) -> bool {
        self.state().media.contains(&ip)
    }

    /// The clues known for `ip`.
    pub fn clues(&self, ip: IpAddr) -> Vec<Clue> {
        self.state().clues.get(&ip).cloned().unwrap_or_default()
    }

    /// A clue for `ip` is on its way; it has come (or will not) when the guard is dropped or
    /// [`Expected::done`].
    pub fn expect(&self, ip: IpAddr, what: Pending) -> Expected {
        self.state().pending.entry(ip).or_default().push(Promise {
            what,
            since: tokio::time::Instant::now(),
            web: false,
        });
        Expected {
            board: self.clone(),
            ip,
            what,
            open: true,
        }
    }

    /// Change the promise `what` of `ip` (the first one still open).
    fn promise(&self, ip: IpAddr, what: Pending, f: impl FnOnce(&mut Vec<Promise>, usize)) {
        {
            let mut s = self.state();
            if let Some(list) = s.pending.get_mut(&ip) {
                if let Some(i) = list.iter().position(|p| p.what == what) {
                    f(list, i);
                }
                if list.is_empty() {
                    s.pending.remove(&ip);
                }
            }
        }
        self.0.changed.notify_waiters();
    }

    /// When the walk of `ip`'s port `own` may stop waiting for promised clues: `None` now, else
    /// the instant the oldest quiet port stops counting (or `far` when only clues that hold until
    /// they come are promised).
    fn still_promised(
        &self,
        ip: IpAddr,
        own: u16,
        far: tokio::time::Instant,
    ) -> Option<tokio::time::Instant> {
        let s = self.state();
        let now = tokio::time::Instant::now();
        let mut until: Option<tokio::time::Instant> = None;
        for p in s.pending.get(&ip).into_iter().flatten() {
            let holds = match p.what {
                Pending::Port(port) if port == own => None,
                Pending::Port(_) if p.web => Some(far),
                Pending::Port(_) => Some(p.since + QUIET_PORT).filter(|t| *t > now),
                Pending::OnvifDevice => Some(far),
            };
            until = match (until, holds) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        until
    }

    /// The clues for `ip` once no other clue is promised for it (but from its own port `own`; a
    /// quiet port counts [`QUIET_PORT`] from its opening), or at `wait` from now.
    pub async fn settled(&self, ip: IpAddr, own: u16, wait: Duration) -> Vec<Clue> {
        self.wait_for(ip, own, None, wait, || false).await
    }

    /// The clues for `ip` once more than `known` are there and no other is promised, once
    /// `stop()` (checked at each change of the board), or at `wait` from now.
    pub async fn news(
        &self,
        ip: IpAddr,
        own: u16,
        known: usize,
        wait: Duration,
        stop: impl Fn() -> bool,
    ) -> Vec<Clue> {
        self.wait_for(ip, own, Some(known), wait, stop).await
    }

    async fn wait_for(
        &self,
        ip: IpAddr,
        own: u16,
        more_than: Option<usize>,
        wait: Duration,
        stop: impl Fn() -> bool,
    ) -> Vec<Clue> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let changed = self.0.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if stop() {
                break;
            }
            let promised = self.still_promised(ip, own, deadline);
            let count = self.state().clues.get(&ip).map_or(0, Vec::len);
            let enough = more_than.is_none_or(|k| count > k);
            let wake = match (promised, enough) {
                (None, true) => break,
                (Some(t), _) => t.min(deadline),
                (None, false) => deadline,
            };
            if tokio::time::timeout_at(wake, changed).await.is_err()
                && tokio::time::Instant::now() >= deadline
            {
                tracing::debug!(%ip, "clues still on their way; walking with what is known");
                break;
            }
        }
        self.clues(ip)
    }
}

/// A clue on its way (see [`Identities::expect`]).
#[derive(Debug)]
pub struct Expected {
    board: Identities,
    ip: IpAddr,
    what: Pending,
    open: bool,
}

impl Expected {
    /// The clue has come (it was learnt) or will not come.
    pub fn done(mut self) {
        self.close();
    }

    /// The port answered as a web server: its fingerprint is worth waiting for (up to
    /// [`SETTLE`]), not only [`QUIET_PORT`].
    pub fn web(&self) {
        self.board.state().web.insert(self.ip);
        if self.open {
            self.board
                .promise(self.ip, self.what, |list, i| list[i].web = true);
        }
    }

    fn close(&mut self) {
        if std::mem::take(&mut self.open) {
            self.board.promise(self.ip, self.what, |list, i| {
                list.remove(i);
            });
        }
    }
}

impl Drop for Expected {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip() -> IpAddr {
        "192.0.2.7".parse().unwrap()
    }

    fn clue(maker: &str, source: ClueSource) -> Clue {
        Clue {
            source,
            maker: knowledge::get().vendor(maker).unwrap(),
            model: None,
            said: String::new(),
            named_by: None,
        }
    }

    /// A quiet port holds a walk for [`QUIET_PORT`]; a web port until its fingerprint; the walk's
    /// own port never.
    #[tokio::test(start_paused = true)]
    async fn promised_clues_hold_a_walk_as_long_as_they_are_worth() {
        let board = Identities::default();
        let _own = board.expect(ip(), Pending::Port(554));
        let quiet = board.expect(ip(), Pending::Port(8000));
        let t = tokio::time::Instant::now();
        board.settled(ip(), 554, SETTLE).await;
        assert_eq!(t.elapsed(), QUIET_PORT);
        drop(quiet);

        let web = board.expect(ip(), Pending::Port(80));
        web.web();
        let b = board.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(700)).await;
            b.learn(ip(), clue("axis", ClueSource::HttpFingerprint));
            web.done();
        });
        let t = tokio::time::Instant::now();
        let clues = board.settled(ip(), 554, SETTLE).await;
        assert_eq!(t.elapsed(), Duration::from_millis(700));
        assert_eq!(clues.len(), 1);

        // A device API that never answers holds the walk SETTLE at most.
        let _api = board.expect(ip(), Pending::OnvifDevice);
        let t = tokio::time::Instant::now();
        board.settled(ip(), 554, SETTLE).await;
        assert_eq!(t.elapsed(), SETTLE);
    }

    /// A web port no signature names a maker of: its own words may (issue 54): its `Server`
    /// header, realm, page title or certificate subject; a signature's maker still wins.
    #[test]
    fn a_web_servers_own_words_name_the_maker() {
        use detect::fingerprint::{Fingerprint, Kind};
        let k = knowledge::get();
        let told = |vendor: Option<&str>, words: WebWords, certificate: Option<&str>| {
            let board = Identities::default();
            let c = FingerprintClue {
                board: board.clone(),
                expected: Arc::new(Mutex::new(None)),
                certificate: certificate.map(str::to_string),
            };
            let fp = Fingerprint {
                vendor: vendor.and_then(|v| k.vendor(v)),
                product: None,
                kind: if vendor.is_some() {
                    Kind::CameraUi
                } else {
                    Kind::Generic
                },
                confidence: if vendor.is_some() { 90 } else { 0 },
                evidence: vec!["Server: test".into()],
            };
            c.tell(ip(), &fp, words);
            board.clues(ip())
        };
        let title = WebWords {
            title: Some("ABUS IP Camera"),
            ..WebWords::default()
        };
        let clues = told(None, title, None);
        assert_eq!(clues.len(), 1, "{clues:?}");
        assert_eq!(clues[0].maker, "abus");
        assert_eq!(clues[0].source, ClueSource::HttpFingerprint);
        assert_eq!(
            clues[0].named_by.as_deref(),
            Some(r#""ABUS" in the web page title "ABUS IP Camera""#)
        );
        let cert = told(None, WebWords::default(), Some("CN=cam-7,O=Canon Inc."));
        assert_eq!(cert[0].maker, "canon");
        let realm = WebWords {
            server: Some("lighttpd"),
            challenge: Some(r#"Digest realm="IP Camera(C2183)", nonce="1""#),
            title: Some("Login"),
        };
        assert_eq!(told(None, realm, None)[0].maker, "hikvision");
        // A signature's maker wins over the words; words that name nobody make no clue.
        let axis = told(Some("axis"), title, None);
        assert_eq!(axis.len(), 1);
        assert_eq!((axis[0].maker.as_str(), &axis[0].named_by), ("axis", &None));
        let plain = WebWords {
            server: Some("nginx"),
            title: Some("Canonical Motion settings"),
            ..WebWords::default()
        };
        assert!(told(None, plain, Some("CN=localhost")).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn news_waits_for_a_new_clue_or_the_deadline() {
        let board = Identities::default();
        assert_eq!(
            board.late_clues_until(),
            tokio::time::Instant::now() + LATE_CLUES
        );
        board.learn(ip(), clue("hikvision", ClueSource::Mac));
        let t = tokio::time::Instant::now();
        assert_eq!(
            board.news(ip(), 554, 1, LATE_CLUES, || false).await.len(),
            1
        );
        assert_eq!(t.elapsed(), LATE_CLUES);
        let b = board.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            b.learn(ip(), clue("abus", ClueSource::OnvifDevice));
        });
        let t = tokio::time::Instant::now();
        let clues = board.news(ip(), 554, 1, LATE_CLUES, || false).await;
        assert_eq!(t.elapsed(), Duration::from_millis(300));
        let id = decide(knowledge::get(), &clues);
        assert_eq!(id.maker().map(|v| v.as_str()), Some("abus"));
        assert_eq!(id.others.len(), 1);
    }
}
