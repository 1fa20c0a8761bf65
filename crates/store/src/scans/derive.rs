//! What a scan changes: the events and new states derived by comparing one scan's observations
//! with what the store knew. Pure functions over plain data (no SQLite), so the rules are
//! unit-tested on their own.
//!
//! # What a scan may judge (the offline rules)
//! * A device seen by the scan is `online` (`device_online` when it was `offline`), whether the
//!   scan completed or not: a sighting is a fact.
//! * A device the scan did not see becomes `offline` (`device_offline`, its streams `down`) only
//!   when the scan was **complete**, its targets covered the device's last address, and its
//!   methods would have seen it: a discovery method that saw the device last time ran again (for
//!   port probes: on at least one of the ports that were open). A complete scan that covered the
//!   address with methods that could not have seen it (other ports, ARP off) makes an `online`
//!   device `unknown`, without an event. Devices outside the targets are untouched.
//! * An interrupted scan derives nothing negative: no offline, no port closed, no stream gone or
//!   down, no stream changed, no auth changed (an analysis cut short proves nothing). It still
//!   records what it saw: new devices, addresses, open ports, new and returning streams; an up
//!   stream whose facts or login it saw differ is left as stored, so the next complete scan
//!   reports the change.
//! * On a device the scan saw, a port is closed (`port_closed`) only when the scan probed that
//!   port; a stream not listed again is `stream_gone` when its port is still open, `stream_down`
//!   when its port was probed and is closed, untouched when its port was not probed.
//! * A stream is `up` when its server answered for it (open, or asking for credentials), `down`
//!   when it answered not found or failed. `stream_changed`: codec, frame size, frame rate beyond
//!   5 % or audio differ, both scans having described the stream. `auth_changed`: a stream that
//!   opened without credentials now asks for them, or the credential that worked stopped working
//!   or another one works now.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use serde_json::{Value, json};

use super::ScanInfo;
use crate::{DeviceState, EventKind, StreamState};
use model::addr::{AddrRange, TargetSpec, parse_spec};
use model::identity::{Candidate, Identity, resolve_all};
use model::{AuthScheme, Device, Stream, StreamStatus};

/// Frame-rate change that counts as `stream_changed` (the 5 %). A measured rate moves
/// by about 1 % from one scan to the next on an unchanged camera (VLC's 5 fps MJPEG read 4.97,
/// 5.01, 4.98 in three scans a few seconds apart), a real change (25 to 15, 30 to 25) by 15 %
/// or more.
const FPS_CHANGE: f64 = 0.05;

/// Whether two frame rates are the same rate, as `camscan diff`, watch's `stream_changed` and
/// `watch --write` judge it: within [`FPS_CHANGE`] of each other, or both within it of the same
/// nominal whole rate (4.8 and 5.1 are a 5 fps camera measured twice; 29.97 is nominal 30).
pub fn same_rate(a: f64, b: f64) -> bool {
    if !(a.is_finite() && b.is_finite()) {
        return a == b || (a.is_nan() && b.is_nan());
    }
    if (a - b).abs() <= a.abs().max(b.abs()) * FPS_CHANGE {
        return true;
    }
    let nominal = |f: f64| {
        let n = f.round();
        (n >= 1.0 && (f - n).abs() <= n * FPS_CHANGE).then_some(n)
    };
    matches!((nominal(a), nominal(b)), (Some(x), Some(y)) if x == y)
}

/// What a stream description says, as compared between scans: `h264 1920x1080 25 aac`, `-` for
/// what is unknown.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Facts {
    pub codec: Option<String>,
    pub size: Option<(u32, u32)>,
    pub fps: Option<f64>,
    pub audio: Option<String>,
}

impl Facts {
    pub fn of(s: &Stream) -> Facts {
        let v = s.video.as_ref();
        let size = v
            .and_then(|v| v.width.zip(v.height))
            .or_else(|| s.measured.as_ref().and_then(|m| m.width.zip(m.height)));
        Facts {
            codec: v.map(|v| v.codec.clone()),
            size,
            fps: v.and_then(|v| v.fps).filter(|f| f.is_finite() && *f > 0.0),
            audio: s.audio.as_ref().map(|a| a.codec.clone()),
        }
    }

    pub fn described(&self) -> bool {
        self.codec.is_some() || self.audio.is_some()
    }

    pub fn to_text(&self) -> String {
        let dash = || "-".to_string();
        let clean = |s: &str| s.replace([' ', ';'], "_");
        format!(
            "{} {} {} {}",
            self.codec.as_deref().map_or_else(dash, clean),
            self.size.map_or_else(dash, |(w, h)| format!("{w}x{h}")),
            self.fps
                .map_or_else(dash, |f| format!("{}", (f * 100.0).round() / 100.0)),
            self.audio.as_deref().map_or_else(dash, clean),
        )
    }

    pub fn parse(text: &str) -> Facts {
        let mut it = text.split(' ').map(|t| (t != "-").then_some(t));
        let codec = it.next().flatten().map(str::to_string);
        let size = it.next().flatten().and_then(|s| {
            let (w, h) = s.split_once('x')?;
            Some((w.parse().ok()?, h.parse().ok()?))
        });
        let fps = it.next().flatten().and_then(|f| f.parse().ok());
        let audio = it.next().flatten().map(str::to_string);
        Facts {
            codec,
            size,
            fps,
            audio,
        }
    }

    /// What differs between two descriptions, `None` when nothing does or one side described
    /// nothing.
    pub fn change(&self, now: &Facts) -> Option<Vec<&'static str>> {
        if !self.described() || !now.described() {
            return None;
        }
        let what = self.differences(now);
        (!what.is_empty()).then_some(what)
    }

    /// The facts that differ, each compared only when both sides know it (audio always: none
    /// is a fact once a stream is described), the frame rate by [`same_rate`].
    pub fn differences(&self, now: &Facts) -> Vec<&'static str> {
        let mut what = Vec::new();
        if let (Some(a), Some(b)) = (&self.codec, &now.codec)
            && !a.eq_ignore_ascii_case(b)
        {
            what.push("codec");
        }
        if let (Some(a), Some(b)) = (self.size, now.size)
            && a != b
        {
            what.push("size");
        }
        if let (Some(a), Some(b)) = (self.fps, now.fps)
            && !same_rate(a, b)
        {
            what.push("fps");
        }
        if self.audio != now.audio {
            what.push("audio");
        }
        what
    }

    /// The same stream description for `camscan diff`: described on both sides or on neither,
    /// and no [`Facts::differences`].
    pub fn same(&self, now: &Facts) -> bool {
        self.described() == now.described() && self.differences(now).is_empty()
    }
}

/// What a device can do, as compared between scans: each capability both scans asked about
/// (`None` where one did not).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct CanDo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub talkback: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ptz: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autotracking: Option<bool>,
}

impl CanDo {
    /// What `c` says: talk-back when the backchannel was asked, PTZ and events when the ONVIF
    /// services were listed (a device whose ONVIF login failed this time says nothing of them),
    /// autotracking when PTZ was read.
    pub fn of(c: &model::Capabilities) -> CanDo {
        let listed = c.onvif.as_ref().filter(|o| !o.services.is_empty());
        CanDo {
            talkback: c.talkback.as_ref().map(|t| t.supported),
            ptz: listed.map(|o| o.has("ptz")),
            events: listed.map(|o| o.has("events")),
            autotracking: c.ptz.as_ref().map(|p| p.autotracking.ready),
        }
    }
}

/// A `capabilities_changed` event's detail when what the device can do differs between the
/// stored description and this scan's (each capability compared only when both asked), with
/// `what` naming the capabilities that changed; `None` when nothing comparable changed.
pub(crate) fn capability_change(
    before: &model::Capabilities,
    after: &model::Capabilities,
) -> Option<Value> {
    let (b, a) = (CanDo::of(before), CanDo::of(after));
    let mut what = Vec::new();
    for (name, x, y) in [
        ("talkback", b.talkback, a.talkback),
        ("ptz", b.ptz, a.ptz),
        ("events", b.events, a.events),
        ("autotracking", b.autotracking, a.autotracking),
    ] {
        if let (Some(x), Some(y)) = (x, y)
            && x != y
        {
            what.push(name);
        }
    }
    (!what.is_empty()).then(|| json!({"before": b, "after": a, "what": what}))
}

/// A scan's stream's state ([`StreamState::of`]).
pub(crate) fn stream_state(s: &model::Stream) -> StreamState {
    StreamState::of(s.status, s.verified)
}

/// A stream as the store knew it.
#[derive(Debug, Clone)]
pub(crate) struct PriorStream {
    pub id: i64,
    pub skey: String,
    pub url: String,
    pub port: u16,
    pub status: StreamStatus,
    pub auth: AuthScheme,
    pub state: StreamState,
    pub facts: Facts,
    pub cred: Option<Vec<u8>>,
}

/// A device as the store knew it.
#[derive(Debug, Clone)]
pub(crate) struct PriorDevice {
    pub id: i64,
    pub identity: Identity,
    pub ip: Option<IpAddr>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub state: DeviceState,
    /// Discovery methods of its last sighting.
    pub methods: Vec<String>,
    pub ports: Vec<u16>,
    pub last_seen: i64,
    pub streams: Vec<PriorStream>,
}

/// A stream as this scan saw it.
#[derive(Debug, Clone)]
pub(crate) struct ObsStream<'a> {
    pub stream: &'a Stream,
    pub skey: String,
    /// Without credentials.
    pub url: String,
    pub facts: Facts,
    pub state: StreamState,
    /// Keyed hash of the credential that opened it.
    pub cred: Option<Vec<u8>>,
}

/// A device as this scan saw it.
#[derive(Debug, Clone)]
pub(crate) struct Observed<'a> {
    pub device: &'a Device,
    pub identity: Identity,
    pub ports: Vec<u16>,
    pub methods: Vec<String>,
    pub streams: Vec<ObsStream<'a>>,
}

/// The device an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who {
    Prior(usize),
    New(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Planned {
    pub who: Who,
    pub kind: EventKind,
    pub stream_url: Option<String>,
    pub detail: Value,
}

/// A stored stream of a seen device that this scan did not list, and its new state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StreamUpdate {
    pub prior_stream: usize,
    pub state: StreamState,
}

/// What to write for one observed device.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SeenPlan {
    pub prior: Option<usize>,
    /// Open ports to store: the ones seen, and the stored ones this scan could not judge.
    pub ports: Vec<u16>,
    /// Per observed stream (same order): write it (`false`: an interrupted scan saw it down, keep
    /// what was stored).
    pub write_stream: Vec<bool>,
    /// Per observed stream: the index of the same stream in the prior device's list.
    pub prior_streams: Vec<Option<usize>>,
    pub unlisted: Vec<StreamUpdate>,
}

/// Everything a scan changes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// One per observation, same order.
    pub seen: Vec<SeenPlan>,
    /// Devices not seen whose state changes (their `up` streams go `down` with an offline).
    pub unseen: Vec<(usize, DeviceState)>,
    pub events: Vec<Planned>,
}

impl Plan {
    /// (new, gone, changed) device counts.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut changed = BTreeSet::new();
        let (mut new, mut gone) = (0, 0);
        for e in &self.events {
            match (e.kind, e.who) {
                (EventKind::DeviceNew, _) => new += 1,
                (EventKind::DeviceOffline, _) => gone += 1,
                (_, Who::Prior(i)) => {
                    changed.insert(i);
                }
                (_, Who::New(_)) => {}
            }
        }
        (new, gone, changed.len())
    }
}

/// The address ranges a scan's targets cover (host names cover nothing: the store cannot know
/// what they resolved to).
pub(crate) fn covered_ranges(targets: &[String]) -> Vec<AddrRange> {
    targets
        .iter()
        .filter_map(|t| match parse_spec(t) {
            Ok(TargetSpec::Range(r)) => Some(r),
            _ => None,
        })
        .collect()
}

/// Would `scan` have seen `d` had it been there (a method that saw it last time ran again; port
/// probes on at least one of its open ports)?
pub(crate) fn would_see(d: &PriorDevice, scan: &ScanInfo) -> bool {
    d.methods.iter().any(|m| {
        scan.methods.iter().any(|s| s == m)
            && (m != "port" || d.ports.iter().any(|p| scan.ports.contains(p)))
    })
}

fn probed(scan: &ScanInfo, port: u16) -> bool {
    scan.complete && scan.methods.iter().any(|m| m == "port") && scan.ports.contains(&port)
}

/// Derive what `scan` changes, given what the store knew (`prior`) and what it saw (`obs`).
pub(crate) fn plan(prior: &[PriorDevice], scan: &ScanInfo, obs: &[Observed<'_>]) -> Plan {
    let candidates: Vec<Candidate> = prior
        .iter()
        .map(|p| Candidate {
            identity: p.identity.clone(),
            ip: p.ip,
            last_seen: p.last_seen,
        })
        .collect();
    let mut plan = Plan {
        seen: Vec::with_capacity(obs.len()),
        unseen: Vec::new(),
        events: Vec::new(),
    };
    let mut matched = vec![false; prior.len()];
    let observed: Vec<(&Identity, std::net::IpAddr)> =
        obs.iter().map(|o| (&o.identity, o.device.ip)).collect();
    let found = resolve_all(&candidates, &observed);
    for (oi, o) in obs.iter().enumerate() {
        match found[oi] {
            None => {
                plan.events.push(Planned {
                    who: Who::New(oi),
                    kind: EventKind::DeviceNew,
                    stream_url: None,
                    // The rest is on the device record.
                    detail: json!({
                        "address": o.device.ip,
                        "key": o.identity.key(Some(o.device.ip)),
                    }),
                });
                plan.seen.push(SeenPlan {
                    prior: None,
                    ports: o.ports.clone(),
                    write_stream: vec![true; o.streams.len()],
                    prior_streams: vec![None; o.streams.len()],
                    unlisted: Vec::new(),
                });
            }
            Some(pi) => {
                matched[pi] = true;
                let seen = seen_device(&prior[pi], pi, scan, o, &mut plan.events);
                plan.seen.push(seen);
            }
        }
    }
    let ranges = covered_ranges(&scan.targets);
    if scan.complete {
        for (pi, p) in prior.iter().enumerate() {
            if matched[pi] || p.state == DeviceState::Offline {
                continue;
            }
            let Some(ip) = p.ip else { continue };
            if !ranges.iter().any(|r| r.contains_ip(ip)) {
                continue;
            }
            if would_see(p, scan) {
                plan.unseen.push((pi, DeviceState::Offline));
                plan.events.push(Planned {
                    who: Who::Prior(pi),
                    kind: EventKind::DeviceOffline,
                    stream_url: None,
                    detail: json!({ "address": ip }),
                });
            } else if p.state == DeviceState::Online {
                plan.unseen.push((pi, DeviceState::Unknown));
            }
        }
    }
    plan
}

fn before_after<T: serde::Serialize>(before: T, after: T) -> Value {
    json!({ "before": before, "after": after })
}

/// The events of one device the scan saw, and what to write for it.
fn seen_device(
    p: &PriorDevice,
    pi: usize,
    scan: &ScanInfo,
    o: &Observed<'_>,
    events: &mut Vec<Planned>,
) -> SeenPlan {
    let mut ev = Events {
        who: Who::Prior(pi),
        events,
    };
    identity_events(p, o.device, &mut ev);
    let (ports, closed) = port_events(p, scan, o, &mut ev);
    let (write_stream, prior_streams) = listed_stream_events(p, scan, o, &mut ev);
    let unlisted = if scan.complete {
        unlisted_stream_events(p, o, &closed, &mut ev)
    } else {
        Vec::new()
    };
    SeenPlan {
        prior: Some(pi),
        ports: ports.into_iter().collect(),
        write_stream,
        prior_streams,
        unlisted,
    }
}

/// Where one device's events go.
struct Events<'a> {
    who: Who,
    events: &'a mut Vec<Planned>,
}

impl Events<'_> {
    fn push(&mut self, kind: EventKind, stream_url: Option<&str>, detail: Value) {
        self.events.push(Planned {
            who: self.who,
            kind,
            stream_url: stream_url.map(str::to_string),
            detail,
        })
    }
}

/// Back online, a new address, new firmware, another vendor or model.
fn identity_events(p: &PriorDevice, d: &model::Device, ev: &mut Events<'_>) {
    if p.state == DeviceState::Offline {
        ev.push(EventKind::DeviceOnline, None, json!({ "address": d.ip }));
    }
    if let Some(before) = p.ip
        && before != d.ip
    {
        ev.push(EventKind::AddressChanged, None, before_after(before, d.ip));
    }
    if let (Some(a), Some(b)) = (&p.firmware, &d.firmware)
        && a != b
    {
        ev.push(EventKind::FirmwareChanged, None, before_after(a, b));
    }
    let differs = |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b));
    if differs(&p.vendor, &d.vendor) || differs(&p.model, &d.model) {
        ev.push(
            EventKind::IdentityChanged,
            None,
            before_after(
                json!({ "vendor": p.vendor, "model": p.model }),
                json!({ "vendor": d.vendor, "model": d.model }),
            ),
        );
    }
}

/// Ports opened, and closed (only those this scan probed: a port it did not probe is kept).
/// Returns the device's ports to write, and those that closed.
fn port_events(
    p: &PriorDevice,
    scan: &ScanInfo,
    o: &Observed<'_>,
    ev: &mut Events<'_>,
) -> (BTreeSet<u16>, BTreeSet<u16>) {
    let mut ports: BTreeSet<u16> = o.ports.iter().copied().collect();
    for &port in &o.ports {
        if !p.ports.contains(&port) {
            ev.push(EventKind::PortOpened, None, json!({ "port": port }));
        }
    }
    let mut closed = BTreeSet::new();
    for &port in &p.ports {
        if o.ports.contains(&port) {
            continue;
        }
        if probed(scan, port) {
            closed.insert(port);
            ev.push(EventKind::PortClosed, None, json!({ "port": port }));
        } else {
            ports.insert(port);
        }
    }
    (ports, closed)
}

/// The streams this scan listed: new, up, down, changed, their authentication changed. Returns,
/// per listed stream, whether to write it (an interrupted scan's down or changed stream is not
/// evidence) and its stored stream.
fn listed_stream_events(
    p: &PriorDevice,
    scan: &ScanInfo,
    o: &Observed<'_>,
    ev: &mut Events<'_>,
) -> (Vec<bool>, Vec<Option<usize>>) {
    let by_key: HashMap<&str, usize> = p
        .streams
        .iter()
        .enumerate()
        .map(|(i, s)| (s.skey.as_str(), i))
        .collect();
    let mut write_stream = Vec::with_capacity(o.streams.len());
    let mut prior_streams = Vec::with_capacity(o.streams.len());
    for s in &o.streams {
        let url = Some(s.url.as_str());
        let found = by_key.get(s.skey.as_str()).copied();
        prior_streams.push(found);
        let Some(si) = found else {
            ev.push(
                EventKind::StreamNew,
                url,
                json!({ "status": s.stream.status, "facts": s.facts.to_text() }),
            );
            write_stream.push(true);
            continue;
        };
        let ps = &p.streams[si];
        let changed_while_up = ps.state.answers()
            && (ps.facts.change(&s.facts).is_some() || auth_change(ps, s).is_some());
        if !scan.complete && (s.state == StreamState::Down || changed_while_up) {
            // Cut short: not evidence of anything, and what it saw differ is left for the next
            // complete scan to judge against what the store knew (so it is not lost).
            write_stream.push(false);
            continue;
        }
        write_stream.push(true);
        match (ps.state.answers(), s.state.answers()) {
            (false, true) => ev.push(
                EventKind::StreamUp,
                url,
                json!({ "status": s.stream.status }),
            ),
            (true, false) => ev.push(
                EventKind::StreamDown,
                url,
                json!({ "status": s.stream.status }),
            ),
            _ => {}
        }
        if !scan.complete {
            continue;
        }
        if let Some(what) = ps.facts.change(&s.facts) {
            ev.push(
                EventKind::StreamChanged,
                url,
                json!({ "changed": what, "before": ps.facts.to_text(), "after": s.facts.to_text() }),
            );
        }
        if let Some(reason) = auth_change(ps, s) {
            ev.push(
                EventKind::AuthChanged,
                url,
                json!({ "reason": reason, "before": ps.status, "after": s.stream.status }),
            );
        }
    }
    (write_stream, prior_streams)
}

/// Stored streams a complete scan did not list: gone when their port is still open, down when
/// it closed (else left alone: the port was not probed).
fn unlisted_stream_events(
    p: &PriorDevice,
    o: &Observed<'_>,
    closed: &BTreeSet<u16>,
    ev: &mut Events<'_>,
) -> Vec<StreamUpdate> {
    let listed: BTreeSet<&str> = o.streams.iter().map(|s| s.skey.as_str()).collect();
    let mut unlisted = Vec::new();
    for (si, ps) in p.streams.iter().enumerate() {
        if listed.contains(ps.skey.as_str()) || ps.state == StreamState::Down {
            continue;
        }
        let kind = if o.ports.contains(&ps.port) {
            EventKind::StreamGone
        } else if closed.contains(&ps.port) {
            EventKind::StreamDown
        } else {
            continue;
        };
        ev.push(kind, Some(&ps.url), json!({ "port": ps.port }));
        unlisted.push(StreamUpdate {
            prior_stream: si,
            state: StreamState::Down,
        });
    }
    unlisted
}

/// Why a stream's authentication changed, if it did.
fn auth_change(before: &PriorStream, now: &ObsStream<'_>) -> Option<&'static str> {
    let asks = matches!(
        now.stream.status,
        StreamStatus::AuthRequired | StreamStatus::AuthFailed | StreamStatus::AuthLocked
    );
    let was_open = before.status.answers();
    if was_open && before.auth == AuthScheme::None && before.cred.is_none() && asks {
        return Some("asks for credentials now");
    }
    if was_open && before.cred.is_some() && asks {
        return Some("the credential that worked stopped working");
    }
    if was_open
        && now.stream.status.answers()
        && before.cred.is_some()
        && now.cred.is_some()
        && before.cred != now.cred
    {
        return Some("another credential works now");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{DiscoveryMethod, Protocol, VideoInfo};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn scan(complete: bool, targets: &[&str]) -> ScanInfo {
        ScanInfo {
            started_at: "2026-01-01T00:00:00Z".into(),
            finished_at: "2026-01-01T00:01:00Z".into(),
            complete,
            site: "lab".into(),
            targets: targets.iter().map(|t| t.to_string()).collect(),
            ports: vec![80, 554, 8000],
            methods: vec!["port".into(), "arp".into(), "onvif".into()],
            version: "0.1.0".into(),
            coverage: None,
        }
    }

    fn prior_stream(skey: &str, port: u16, status: StreamStatus, facts: &str) -> PriorStream {
        PriorStream {
            id: 0,
            skey: skey.into(),
            url: format!("rtsp://10.0.0.5:{port}/{skey}"),
            port,
            status,
            auth: AuthScheme::None,
            state: StreamState::of(status, true),
            facts: Facts::parse(facts),
            cred: None,
        }
    }

    fn prior(id: i64, mac: &str, addr: &str, ports: &[u16]) -> PriorDevice {
        PriorDevice {
            id,
            identity: Identity {
                mac: model::identity::normalize_mac(mac),
                ..Identity::default()
            },
            ip: Some(ip(addr)),
            vendor: Some("Hikvision".into()),
            model: Some("DS-2CD2143G2-I".into()),
            firmware: Some("V5.7.3".into()),
            state: DeviceState::Online,
            methods: vec!["port".into()],
            ports: ports.to_vec(),
            last_seen: 1,
            streams: vec![prior_stream(
                "s1",
                554,
                StreamStatus::Ok,
                "h264 1920x1080 25 aac",
            )],
        }
    }

    fn device(mac: &str, addr: &str, ports: &[u16]) -> Device {
        let mut d = Device::new(ip(addr));
        d.mac = Some(mac.into());
        d.vendor = Some("Hikvision".into());
        d.model = Some("DS-2CD2143G2-I".into());
        d.firmware = Some("V5.7.3".into());
        d.open_ports = ports.to_vec();
        d.discovered_by = vec![DiscoveryMethod::Port];
        d
    }

    fn stream(status: StreamStatus, codec: &str, w: u32, fps: f64) -> Stream {
        let mut s = Stream::new("rtsp://10.0.0.5:554/s1".into(), Protocol::Rtsp, 554);
        s.status = status;
        let mut v = VideoInfo::new(codec.into());
        v.width = Some(w);
        v.height = Some(w * 9 / 16);
        v.fps = Some(fps);
        s.video = Some(v);
        s.audio = Some(model::AudioInfo {
            codec: "aac".into(),
            sample_rate: None,
            channels: None,
        });
        s
    }

    fn observe<'a>(d: &'a Device, skeys: &[&str]) -> Observed<'a> {
        Observed {
            device: d,
            identity: Identity::of(d),
            ports: d.open_ports.clone(),
            methods: d
                .discovered_by
                .iter()
                .map(|m| format!("{m:?}").to_lowercase())
                .collect(),
            streams: d
                .streams
                .iter()
                .zip(skeys)
                .map(|(s, k)| ObsStream {
                    stream: s,
                    skey: k.to_string(),
                    url: s.url.clone(),
                    facts: Facts::of(s),
                    state: stream_state(s),
                    cred: None,
                })
                .collect(),
        }
    }

    fn kinds(p: &Plan) -> Vec<EventKind> {
        p.events.iter().map(|e| e.kind).collect()
    }

    #[test]
    fn facts_round_trip_and_compare() {
        let s = stream(StreamStatus::Ok, "h264", 1920, 25.0);
        let f = Facts::of(&s);
        assert_eq!(f.to_text(), "h264 1920x1080 25 aac");
        assert_eq!(Facts::parse(&f.to_text()), f);
        assert_eq!(Facts::parse("- - - -"), Facts::default());
        let near = Facts {
            fps: Some(26.0),
            ..f.clone()
        };
        assert_eq!(f.change(&near), None, "4 % is not a change");
        let far = Facts {
            fps: Some(27.0),
            ..f.clone()
        };
        assert_eq!(f.change(&far), Some(vec!["fps"]));
        assert!(f.same(&near) && !f.same(&far) && !f.same(&Facts::default()));
        let other = Facts {
            codec: Some("h265".into()),
            size: Some((1280, 720)),
            audio: None,
            ..f.clone()
        };
        assert_eq!(f.change(&other), Some(vec!["codec", "size", "audio"]));
        assert_eq!(
            f.change(&Facts::default()),
            None,
            "an undescribed stream proves nothing"
        );
    }

    #[test]
    fn rates_within_five_percent_or_of_one_nominal_rate_are_the_same() {
        // VLC's 5 fps MJPEG measured in three scans, and the 4.96 / 5.02.
        for (a, b) in [
            (4.97, 5.01),
            (5.01, 4.98),
            (4.96, 5.02),
            (29.97, 30.0),
            (25.0, 25.0),
        ] {
            assert!(same_rate(a, b) && same_rate(b, a), "{a} {b}");
        }
        // 5.5 % apart, but both a 5 fps camera.
        assert!(same_rate(4.85, 5.12));
        for (a, b) in [
            (25.0, 15.0),
            (30.0, 25.0),
            (5.0, 6.0),
            (1.0, 2.0),
            (0.5, 0.6),
        ] {
            assert!(!same_rate(a, b) && !same_rate(b, a), "{a} {b}");
        }
    }

    #[test]
    fn a_new_device_is_one_event() {
        let d = device("aa:bb:cc:00:00:01", "10.0.0.5", &[554]);
        let p = plan(&[], &scan(true, &["10.0.0.0/24"]), &[observe(&d, &[])]);
        assert_eq!(kinds(&p), vec![EventKind::DeviceNew]);
        assert_eq!(p.counts(), (1, 0, 0));
        assert_eq!(p.seen[0].prior, None);
    }

    #[test]
    fn an_unchanged_device_derives_nothing() {
        let mut d = device("aa:bb:cc:00:00:01", "10.0.0.5", &[554]);
        d.streams = vec![stream(StreamStatus::Ok, "h264", 1920, 25.0)];
        let pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554])];
        let p = plan(&pr, &scan(true, &["10.0.0.0/24"]), &[observe(&d, &["s1"])]);
        assert_eq!(kinds(&p), vec![]);
        assert_eq!(p.seen[0].prior, Some(0));
        assert_eq!(p.counts(), (0, 0, 0));
    }

    #[test]
    fn a_complete_scan_covering_the_address_takes_a_missing_device_offline() {
        let pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554])];
        let p = plan(&pr, &scan(true, &["10.0.0.0/24"]), &[]);
        assert_eq!(kinds(&p), vec![EventKind::DeviceOffline]);
        assert_eq!(p.unseen, vec![(0, DeviceState::Offline)]);
        assert_eq!(p.counts(), (0, 1, 0));
        // Already offline: nothing more.
        let mut off = pr.clone();
        off[0].state = DeviceState::Offline;
        assert_eq!(
            plan(&off, &scan(true, &["10.0.0.0/24"]), &[]).events,
            vec![]
        );
    }

    #[test]
    fn an_interrupted_scan_takes_nothing_offline() {
        let pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554])];
        let p = plan(&pr, &scan(false, &["10.0.0.0/24"]), &[]);
        assert_eq!(p.events, vec![]);
        assert_eq!(p.unseen, vec![]);
    }

    #[test]
    fn a_scan_of_another_range_changes_nothing() {
        let pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554])];
        for targets in [
            &["10.0.1.0/24"][..],
            &["10.0.0.6-9"],
            &["camera.example"],
            &[],
        ] {
            let p = plan(&pr, &scan(true, targets), &[]);
            assert_eq!(p.events, vec![], "{targets:?}");
            assert_eq!(p.unseen, vec![], "{targets:?}");
        }
        let p = plan(&pr, &scan(true, &["10.0.0.5"]), &[]);
        assert_eq!(
            kinds(&p),
            vec![EventKind::DeviceOffline],
            "a single address covers it"
        );
    }

    #[test]
    fn a_scan_whose_methods_could_not_see_it_makes_it_unknown() {
        let pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554])];
        let mut other_ports = scan(true, &["10.0.0.0/24"]);
        other_ports.ports = vec![80];
        let p = plan(&pr, &other_ports, &[]);
        assert_eq!(p.events, vec![]);
        assert_eq!(p.unseen, vec![(0, DeviceState::Unknown)]);
        let mut no_ports = scan(true, &["10.0.0.0/24"]);
        no_ports.methods = vec!["arp".into()];
        assert_eq!(
            plan(&pr, &no_ports, &[]).unseen,
            vec![(0, DeviceState::Unknown)]
        );
        // Seen by ARP last time, and ARP ran: offline even with other ports.
        let mut arp = pr.clone();
        arp[0].methods = vec!["arp".into(), "port".into()];
        assert_eq!(
            kinds(&plan(&arp, &other_ports, &[])),
            vec![EventKind::DeviceOffline]
        );
    }

    #[test]
    fn an_offline_device_seen_again_is_online() {
        let mut pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554])];
        pr[0].state = DeviceState::Offline;
        let mut d = device("aa:bb:cc:00:00:01", "10.0.0.5", &[554]);
        d.streams = vec![stream(StreamStatus::Ok, "h264", 1920, 25.0)];
        // Even an interrupted scan: a sighting is a fact.
        let p = plan(&pr, &scan(false, &["10.0.0.0/24"]), &[observe(&d, &["s1"])]);
        assert_eq!(kinds(&p), vec![EventKind::DeviceOnline]);
    }

    #[test]
    fn a_moved_device_keeps_its_identity_and_a_new_mac_is_a_new_device() {
        let pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554])];
        let mut moved = device("aa:bb:cc:00:00:01", "10.0.0.9", &[554]);
        moved.streams = vec![stream(StreamStatus::Ok, "h264", 1920, 25.0)];
        let p = plan(
            &pr,
            &scan(true, &["10.0.0.0/24"]),
            &[observe(&moved, &["s1"])],
        );
        assert_eq!(kinds(&p), vec![EventKind::AddressChanged]);
        assert_eq!(
            p.events[0].detail,
            json!({"before": "10.0.0.5", "after": "10.0.0.9"})
        );

        let mut swapped = device("aa:bb:cc:00:00:02", "10.0.0.5", &[554]);
        swapped.streams = vec![stream(StreamStatus::Ok, "h264", 1920, 25.0)];
        let p = plan(
            &pr,
            &scan(true, &["10.0.0.0/24"]),
            &[observe(&swapped, &["s1"])],
        );
        assert_eq!(
            kinds(&p),
            vec![EventKind::DeviceNew, EventKind::DeviceOffline]
        );
        assert_eq!(p.events[1].who, Who::Prior(0));
    }

    #[test]
    fn a_device_that_moved_is_itself_even_when_another_box_took_its_address() {
        let pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554])];
        // Listed first: a routed box with no MAC now at .5; then the camera at .9.
        let other = Device::new(ip("10.0.0.5"));
        let mut moved = device("aa:bb:cc:00:00:01", "10.0.0.9", &[554]);
        moved.streams = vec![stream(StreamStatus::Ok, "h264", 1920, 25.0)];
        let p = plan(
            &pr,
            &scan(true, &["10.0.0.0/24"]),
            &[observe(&other, &[]), observe(&moved, &["s1"])],
        );
        assert_eq!(p.seen[0].prior, None);
        assert_eq!(p.seen[1].prior, Some(0));
        assert_eq!(
            kinds(&p),
            vec![EventKind::DeviceNew, EventKind::AddressChanged]
        );
    }

    #[test]
    fn firmware_and_identity_changes() {
        let pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554])];
        let mut d = device("aa:bb:cc:00:00:01", "10.0.0.5", &[554]);
        d.streams = vec![stream(StreamStatus::Ok, "h264", 1920, 25.0)];
        d.firmware = Some("V5.8.0".into());
        d.model = Some("DS-2CD2387G2".into());
        let p = plan(&pr, &scan(true, &["10.0.0.0/24"]), &[observe(&d, &["s1"])]);
        assert_eq!(
            kinds(&p),
            vec![EventKind::FirmwareChanged, EventKind::IdentityChanged]
        );
        // A field this scan did not learn is no change.
        d.firmware = None;
        d.model = None;
        let p = plan(&pr, &scan(true, &["10.0.0.0/24"]), &[observe(&d, &["s1"])]);
        assert_eq!(p.events, vec![]);
    }

    #[test]
    fn ports_close_only_when_probed_by_a_complete_scan() {
        let pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[80, 554, 9000])];
        let mut d = device("aa:bb:cc:00:00:01", "10.0.0.5", &[554, 8000]);
        d.streams = vec![stream(StreamStatus::Ok, "h264", 1920, 25.0)];
        let p = plan(&pr, &scan(true, &["10.0.0.0/24"]), &[observe(&d, &["s1"])]);
        assert_eq!(
            kinds(&p),
            vec![EventKind::PortOpened, EventKind::PortClosed]
        );
        assert_eq!(p.events[0].detail, json!({"port": 8000}));
        assert_eq!(p.events[1].detail, json!({"port": 80}));
        // 9000 was not probed: still believed open.
        assert_eq!(p.seen[0].ports, vec![554, 8000, 9000]);
        let p = plan(&pr, &scan(false, &["10.0.0.0/24"]), &[observe(&d, &["s1"])]);
        assert_eq!(kinds(&p), vec![EventKind::PortOpened]);
        assert_eq!(p.seen[0].ports, vec![80, 554, 8000, 9000]);
    }

    #[test]
    fn streams_new_gone_down_up_changed() {
        let mut pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554, 8554])];
        pr[0].streams.push(prior_stream(
            "s2",
            554,
            StreamStatus::Ok,
            "h264 640x360 15 -",
        ));
        pr[0].streams.push(prior_stream(
            "s3",
            8554,
            StreamStatus::Ok,
            "h264 640x360 15 -",
        ));
        pr[0]
            .streams
            .push(prior_stream("s4", 554, StreamStatus::NotFound, "- - - -"));
        pr[0].streams[0].facts = Facts::parse("h264 1920x1080 25 aac");
        pr[0].ports = vec![554, 8554];
        let mut sc = scan(true, &["10.0.0.0/24"]);
        sc.ports = vec![554, 8554];
        let mut d = device("aa:bb:cc:00:00:01", "10.0.0.5", &[554]);
        d.streams = vec![
            stream(StreamStatus::Ok, "h264", 1280, 25.0), // s1: size changed
            stream(StreamStatus::Ok, "h264", 1280, 25.0), // s4: back up
            stream(StreamStatus::Ok, "h264", 1280, 25.0), // s5: new
        ];
        let o = observe(&d, &["s1", "s4", "s5"]);
        let p = plan(&pr, &sc, &[o]);
        assert_eq!(
            kinds(&p),
            vec![
                EventKind::PortClosed,
                EventKind::StreamChanged,
                EventKind::StreamUp,
                EventKind::StreamNew,
                EventKind::StreamGone,
                EventKind::StreamDown,
            ]
        );
        assert_eq!(p.events[1].detail["changed"], json!(["size"]));
        assert_eq!(
            p.seen[0].unlisted,
            vec![
                StreamUpdate {
                    prior_stream: 1,
                    state: StreamState::Down
                },
                StreamUpdate {
                    prior_stream: 2,
                    state: StreamState::Down
                },
            ]
        );
        // Interrupted: only the positive ones, nothing written as gone.
        let o = observe(&d, &["s1", "s4", "s5"]);
        let mut cut = sc.clone();
        cut.complete = false;
        let p = plan(&pr, &cut, &[o]);
        assert_eq!(kinds(&p), vec![EventKind::StreamUp, EventKind::StreamNew]);
        assert!(p.seen[0].unlisted.is_empty());
    }

    #[test]
    fn an_interrupted_scan_seeing_a_stream_fail_keeps_it() {
        let pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554])];
        let mut d = device("aa:bb:cc:00:00:01", "10.0.0.5", &[554]);
        d.streams = vec![stream(StreamStatus::Error, "h264", 1920, 25.0)];
        let p = plan(&pr, &scan(false, &["10.0.0.0/24"]), &[observe(&d, &["s1"])]);
        assert_eq!(p.events, vec![]);
        assert_eq!(p.seen[0].write_stream, vec![false]);
        let p = plan(&pr, &scan(true, &["10.0.0.0/24"]), &[observe(&d, &["s1"])]);
        assert_eq!(kinds(&p), vec![EventKind::StreamDown]);
        assert_eq!(p.seen[0].write_stream, vec![true]);
    }

    /// A change an interrupted scan saw is not written, so the next complete scan reports it.
    #[test]
    fn a_change_seen_by_an_interrupted_scan_is_left_for_the_next_complete_one() {
        let pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554])];
        let mut d = device("aa:bb:cc:00:00:01", "10.0.0.5", &[554]);
        d.streams = vec![stream(StreamStatus::Ok, "h264", 1280, 25.0)];
        let p = plan(&pr, &scan(false, &["10.0.0.0/24"]), &[observe(&d, &["s1"])]);
        assert_eq!(p.events, vec![]);
        assert_eq!(p.seen[0].write_stream, vec![false], "the stored facts stay");
        let p = plan(&pr, &scan(true, &["10.0.0.0/24"]), &[observe(&d, &["s1"])]);
        assert_eq!(kinds(&p), vec![EventKind::StreamChanged]);
        assert_eq!(p.seen[0].write_stream, vec![true]);
    }

    #[test]
    fn capabilities_compare_only_what_both_asked() {
        use model::Capabilities;
        use model::capabilities::{OnvifServices, Talkback};
        let talk = |yes: bool| Talkback {
            supported: yes,
            url: "rtsp://c/".into(),
            codec: None,
            sample_rate: None,
            channels: None,
            evidence: String::new(),
            audio_outputs: None,
        };
        let listed = |s: &[&str]| OnvifServices {
            profiles: vec![],
            services: s.iter().map(|x| x.to_string()).collect(),
        };
        let a = Capabilities {
            talkback: Some(talk(true)),
            onvif: Some(listed(&["device", "events", "ptz"])),
            ..Capabilities::default()
        };
        assert_eq!(capability_change(&a, &a), None);
        // Not asked this time: nothing to say.
        assert_eq!(capability_change(&a, &Capabilities::default()), None);
        let b = Capabilities {
            talkback: Some(talk(false)),
            onvif: Some(listed(&["device", "ptz"])),
            ..Capabilities::default()
        };
        let d = capability_change(&a, &b).unwrap();
        assert_eq!(d["what"], json!(["talkback", "events"]));
        assert_eq!(d["before"]["events"], json!(true));
        assert_eq!(d["after"]["talkback"], json!(false));
    }

    #[test]
    fn auth_changes() {
        let pr = [prior(1, "aa:bb:cc:00:00:01", "10.0.0.5", &[554])];
        let mut d = device("aa:bb:cc:00:00:01", "10.0.0.5", &[554]);
        d.streams = vec![stream(StreamStatus::AuthRequired, "h264", 1920, 25.0)];
        let p = plan(&pr, &scan(true, &["10.0.0.0/24"]), &[observe(&d, &["s1"])]);
        assert_eq!(kinds(&p), vec![EventKind::AuthChanged]);
        assert_eq!(p.events[0].detail["reason"], "asks for credentials now");

        let mut with_cred = pr.clone();
        with_cred[0].streams[0].cred = Some(vec![1; 32]);
        with_cred[0].streams[0].auth = AuthScheme::Digest;
        d.streams[0].status = StreamStatus::AuthFailed;
        let p = plan(
            &with_cred,
            &scan(true, &["10.0.0.0/24"]),
            &[observe(&d, &["s1"])],
        );
        assert_eq!(
            p.events[0].detail["reason"],
            "the credential that worked stopped working"
        );

        d.streams[0].status = StreamStatus::Ok;
        let mut o = observe(&d, &["s1"]);
        o.streams[0].cred = Some(vec![2; 32]);
        let p = plan(&with_cred, &scan(true, &["10.0.0.0/24"]), &[o]);
        assert_eq!(p.events[0].detail["reason"], "another credential works now");
        let mut o = observe(&d, &["s1"]);
        o.streams[0].cred = Some(vec![1; 32]);
        assert_eq!(
            plan(&with_cred, &scan(true, &["10.0.0.0/24"]), &[o]).events,
            vec![]
        );
    }
}
