//! WebRTC viewers over WHEP: the camera's own H.264 RTP packets, re-stamped, sent to a browser.
//!
//! WHEP (draft-ietf-wish-whep, the egress twin of WHIP, RFC 9725) is one HTTP POST: the player's
//! SDP offer in, our SDP answer out, a session URL to DELETE when done. [`Gateway::answer`] is that
//! exchange; `serve` wires it to HTTP. Each session is one tokio task that owns one UDP socket
//! (bound on the address the HTTP request came in on, announced as the only ICE host candidate;
//! we are ICE-lite, as a server with a known address is) and one str0m [`Rtc`] in RTP mode: str0m
//! does ICE, DTLS and SRTP, and we hand it the camera's RTP packets one by one. Nothing is
//! transcoded or even depacketized, which is why this path has the lowest delay; it is also why a
//! stream with B-frames does not play here (Chromium's WebRTC decoder shows only the keyframes,
//! `docs/design/crates.md`, "WebRTC in headless Chromium"), so the page uses Media Source
//! Extensions for those.
//!
//! Per viewer the packets are re-based (`Rebase`, in `webrtc_rebase.rs` beside this file): our own SSRC (str0m's), sequence numbers
//! that start at a random point and never jump back, timestamps offset from the camera's. A viewer
//! starts at the first packet of a keyframe after it connects (the live edge: what came during
//! the handshake is dropped, not sent late in a burst); after the camera reconnects (a new RTSP session with
//! new sequence numbers and timestamps) the same outgoing stream continues at the next keyframe,
//! its timestamps advanced by the wall-clock gap, so the browser sees one stream that paused.
//! Keyframe requests (PLI/FIR) from the browser are counted and logged, never forwarded: the
//! camera is shared by every viewer, and one browser must not make it send keyframes for all.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{KeyframeRequestKind, MediaKind, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpWrite, SeqNo};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::watch;

use super::webrtc_rebase::Rebase;
use super::{Unit, Viewer, ViewerKind};

/// Largest offer accepted. Chromium's offers are 3-6 KB (all its codecs, extensions and
/// candidates); 64 KiB leaves room for any real player and stops a client feeding the SDP
/// parser megabytes.
pub const MAX_OFFER_BYTES: usize = 64 * 1024;

/// Largest UDP datagram we read: WebRTC peers keep datagrams under the path MTU (str0m's own
/// maximum is 1500 bytes); anything longer is truncated and then refused by the SRTP check.
const RECV_BUFFER: usize = 2048;

/// Outgoing packets str0m keeps per session to answer the browser's NACKs (str0m's default is
/// 1000). 512 packets are about a second of a 4 Mbit/s stream, at most ~0.7 MB per viewer.
const SEND_BUFFER_PACKETS: usize = 512;

/// Caps and deadlines of the WHEP gateway.
#[derive(Debug, Clone)]
pub struct GatewayLimits {
    /// Sessions at once, all streams together.
    pub max_sessions: usize,
    /// A session that has not connected (ICE + DTLS) by then is ended. Chromium on loopback
    /// connects in about 0.4 s (ICE and DTLS: `docs/design/crates.md`, "WebRTC in headless
    /// Chromium"); 10 s covers a slow network and a busy browser.
    pub connect_timeout: Duration,
    /// A connected session that has heard nothing from its peer for this long is ended. Browsers
    /// send ICE consent checks every ~5 s (RFC 7675 §5.1) and RTCP receiver reports every second.
    pub silence_timeout: Duration,
}

impl Default for GatewayLimits {
    fn default() -> Self {
        GatewayLimits {
            max_sessions: 64,
            connect_timeout: Duration::from_secs(10),
            silence_timeout: Duration::from_secs(15),
        }
    }
}

/// Why an offer was not answered. `serve` maps each to an HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum WhepError {
    /// The offer is not an SDP offer str0m can accept (HTTP 400).
    #[error("bad SDP offer: {0}")]
    BadOffer(String),
    /// The offer has no video we can send H.264 on (HTTP 422).
    #[error(
        "the offer has no H.264 video to receive (the camera's stream is H.264, forwarded as is)"
    )]
    NoH264,
    /// The gateway has its maximum of sessions (HTTP 503).
    #[error("too many WebRTC sessions ({0}); try again later or use the MSE preview")]
    Full(usize),
    /// The server is stopping (HTTP 503).
    #[error("the server is stopping")]
    ShuttingDown,
    /// Our side failed: no socket, a str0m error (HTTP 500).
    #[error("WebRTC session failed: {0}")]
    Internal(String),
}

impl WhepError {
    /// The HTTP status `serve` answers with.
    pub fn status(&self) -> u16 {
        match self {
            WhepError::BadOffer(_) => 400,
            WhepError::NoH264 => 422,
            WhepError::Full(_) | WhepError::ShuttingDown => 503,
            WhepError::Internal(_) => 500,
        }
    }
}

/// The WHEP sessions of the server.
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    limits: GatewayLimits,
    sessions: Mutex<HashMap<String, Entry>>,
    shutdown: watch::Sender<bool>,
}

/// A running session as the gateway sees it: how to stop it, and its counters.
struct Entry {
    stop: watch::Sender<bool>,
    counters: Arc<Counters>,
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a session has done so far (for the API and the logs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// ICE and DTLS are up (SRTP flows).
    pub connected: bool,
    /// RTP packets handed to the peer.
    pub forwarded: u64,
    /// Keyframe requests from the peer (RTCP PLI, FIR), counted and not forwarded.
    pub plis: u64,
    pub firs: u64,
}

/// The session task's counters, shared with the gateway.
#[derive(Default)]
struct Counters {
    connected: AtomicBool,
    forwarded: AtomicU64,
    plis: AtomicU64,
    firs: AtomicU64,
}

impl Counters {
    fn get(&self) -> SessionStats {
        SessionStats {
            connected: self.connected.load(Ordering::Relaxed),
            forwarded: self.forwarded.load(Ordering::Relaxed),
            plis: self.plis.load(Ordering::Relaxed),
            firs: self.firs.load(Ordering::Relaxed),
        }
    }
}

/// Removes its session from the map when the session's task ends, however it ends.
struct Registration {
    inner: Arc<Inner>,
    id: String,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.inner.lock().remove(&self.id);
    }
}

impl Gateway {
    pub fn new(limits: GatewayLimits) -> Gateway {
        let (shutdown, _) = watch::channel(false);
        Gateway {
            inner: Arc::new(Inner {
                limits,
                sessions: Mutex::new(HashMap::new()),
                shutdown,
            }),
        }
    }

    /// Whether offers are answered at all (always, in this build).
    pub fn ready(&self) -> Result<(), WhepError> {
        Ok(())
    }

    /// Answers a WHEP offer: a session sending `viewer`'s RTP to the offering peer from a UDP
    /// socket on `local_ip` (the address the HTTP request arrived on). Returns the session's id
    /// (random, URL-safe) and the SDP answer. The session runs until [`Gateway::end`], an ICE or
    /// DTLS failure, peer silence, the viewer's end, or [`Gateway::shutdown`].
    pub async fn answer(
        &self,
        offer: &str,
        viewer: Viewer,
        local_ip: IpAddr,
    ) -> Result<(String, String), WhepError> {
        if *self.inner.shutdown.borrow() {
            return Err(WhepError::ShuttingDown);
        }
        let max = self.inner.limits.max_sessions;
        if self.inner.lock().len() >= max {
            return Err(WhepError::Full(max));
        }
        if viewer.kind() != ViewerKind::Rtp {
            return Err(WhepError::Internal(
                "the viewer does not get RTP packets".into(),
            ));
        }
        if offer.len() > MAX_OFFER_BYTES {
            return Err(WhepError::BadOffer(format!(
                "{} bytes, more than {MAX_OFFER_BYTES}",
                offer.len()
            )));
        }

        let socket = UdpSocket::bind(SocketAddr::new(local_ip, 0))
            .await
            .map_err(|e| WhepError::Internal(format!("UDP socket on {local_ip}: {e}")))?;
        let local = socket
            .local_addr()
            .map_err(|e| WhepError::Internal(e.to_string()))?;
        let (rtc, answer, mid, pt) = negotiate(offer, local)?;

        let id = session_id()?;
        let (stop, stop_rx) = watch::channel(false);
        let counters = Arc::new(Counters::default());
        {
            let mut sessions = self.inner.lock();
            if *self.inner.shutdown.borrow() {
                return Err(WhepError::ShuttingDown);
            }
            if sessions.len() >= max {
                return Err(WhepError::Full(max));
            }
            sessions.insert(
                id.clone(),
                Entry {
                    stop,
                    counters: counters.clone(),
                },
            );
        }
        let registration = Registration {
            inner: self.inner.clone(),
            id: id.clone(),
        };
        let session = Session {
            rtc,
            socket,
            local,
            viewer,
            mid,
            pt,
            stop: stop_rx,
            shutdown: self.inner.shutdown.subscribe(),
            limits: self.inner.limits.clone(),
            id: id.clone(),
            counters,
        };
        tokio::spawn(async move {
            let _registration = registration;
            session.run().await;
        });
        Ok((id, answer))
    }

    /// Ends a session (WHEP DELETE). False if there is no such session (or it is already ending).
    pub fn end(&self, id: &str) -> bool {
        match self.inner.lock().get(id) {
            Some(e) => !e.stop.send_replace(true),
            None => false,
        }
    }

    /// A running session's counters; `None` once it has ended (or never was).
    pub fn stats(&self, id: &str) -> Option<SessionStats> {
        self.inner.lock().get(id).map(|e| e.counters.get())
    }

    /// Sessions whose task is still running.
    pub fn sessions(&self) -> usize {
        self.inner.lock().len()
    }

    /// Ends every session and refuses new ones (the server is stopping).
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// 128 random bits, hex: unguessable (the id is all a DELETE needs besides the API's auth) and
/// URL-safe.
fn session_id() -> Result<String, WhepError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| WhepError::Internal(format!("random: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Accepts `offer` into a new RTP-mode [`Rtc`] whose one host candidate is `local`: the `Rtc`, the
/// answer SDP, and the video mid and payload type H.264 goes out on.
fn negotiate(offer: &str, local: SocketAddr) -> Result<(Rtc, String, Mid, Pt), WhepError> {
    // str0m's SDP parser is not ours; a panic on a hostile offer must not take the server down.
    let accepted = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let offer =
            SdpOffer::from_sdp_string(offer).map_err(|e| WhepError::BadOffer(e.to_string()))?;
        let mut rtc = RtcConfig::new()
            .set_rtp_mode(true)
            .set_ice_lite(true)
            // Only H.264: the camera's encoding is what we forward; nothing else could play.
            .clear_codecs()
            .enable_h264(true)
            .set_send_buffer_video(SEND_BUFFER_PACKETS)
            .build(Instant::now());
        let candidate = Candidate::host(local, "udp")
            .map_err(|e| WhepError::Internal(format!("host candidate {local}: {e}")))?;
        rtc.add_local_candidate(candidate);
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| WhepError::BadOffer(e.to_string()))?;
        Ok::<_, WhepError>((rtc, answer.to_sdp_string()))
    }));
    let (rtc, answer) = match accepted {
        Ok(r) => r?,
        Err(_) => return Err(WhepError::BadOffer("the SDP parser failed on it".into())),
    };
    let (mid, pt) = h264_video(&rtc, &answer).ok_or(WhepError::NoH264)?;
    Ok((rtc, answer, mid, pt))
}

/// The first video mid we send on with an H.264 payload type the peer offered. Among the peer's
/// H.264 formats: packetization-mode 1 first (the camera sends FU-A and STAP-A), then
/// constrained baseline (what every WebRTC H.264 decoder has; Chromium decodes Main and High
/// under it too: `docs/design/crates.md`, "WebRTC in headless Chromium").
fn h264_video(rtc: &Rtc, answer: &str) -> Option<(Mid, Pt)> {
    for mid in answer_mids(answer) {
        let mid: Mid = mid.as_str().into();
        let Some(media) = rtc.media(mid) else {
            continue;
        };
        if media.kind() != MediaKind::Video || !media.direction().is_sending() {
            continue;
        }
        let remote = media.remote_pts();
        let best = rtc
            .codec_config()
            .params()
            .iter()
            .filter(|p| p.spec().codec == Codec::H264 && remote.contains(&p.pt()))
            .max_by_key(|p| {
                let f = p.spec().format;
                let mode1 = f.packetization_mode == Some(1);
                let cb = f.profile_level_id.map(|v| v >> 8) == Some(0x42e0);
                (mode1, cb)
            });
        if let Some(p) = best {
            return Some((mid, p.pt()));
        }
    }
    None
}

/// The mids of the answer's media sections that are not rejected (port 0), in order.
fn answer_mids(answer: &str) -> Vec<String> {
    let mut mids = Vec::new();
    let mut live = false;
    for line in answer.lines() {
        let line = line.trim_end();
        if let Some(m) = line.strip_prefix("m=") {
            live = m.split_whitespace().nth(1) != Some("0");
        } else if let Some(mid) = line.strip_prefix("a=mid:")
            && live
        {
            mids.push(mid.to_string());
        }
    }
    mids
}

/// Why a session ended (logged).
enum End {
    Deleted,
    Shutdown,
    ViewerGone,
    NotConnected,
    Silent,
    Disconnected,
    Closed,
    Failed(String),
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            End::Deleted => f.write_str("ended by the client (DELETE)"),
            End::Shutdown => f.write_str("the server is stopping"),
            End::ViewerGone => f.write_str("the stream's relay ended"),
            End::NotConnected => f.write_str("no ICE/DTLS connection in time"),
            End::Silent => f.write_str("the peer went silent"),
            End::Disconnected => f.write_str("ICE disconnected"),
            End::Closed => f.write_str("the peer closed the connection"),
            End::Failed(e) => write!(f, "failed: {e}"),
        }
    }
}

struct Session {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    viewer: Viewer,
    mid: Mid,
    pt: Pt,
    stop: watch::Receiver<bool>,
    shutdown: watch::Receiver<bool>,
    limits: GatewayLimits,
    id: String,
    counters: Arc<Counters>,
}

impl Session {
    async fn run(mut self) {
        let started = Instant::now();
        let mut connected: Option<Instant> = None;
        let end = self.drive(started, &mut connected).await;
        // Best effort: a DTLS close_notify to the peer (str0m queues it; we do not wait).
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| self.rtc.disconnect()));
        let c = self.counters.get();
        tracing::debug!(
            session = %self.id,
            %end,
            connected_after_ms = connected.map(|c| (c - started).as_millis() as u64),
            forwarded = c.forwarded,
            plis = c.plis,
            firs = c.firs,
            viewer_dropped = self.viewer.dropped(),
            "WebRTC session ended"
        );
    }

    /// Hands str0m one input. str0m's parsers are not ours: a panic on a peer's bytes ends this
    /// session, not the server.
    fn feed(&mut self, input: Input) -> Result<(), End> {
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.rtc.handle_input(input))) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(End::Failed(e.to_string())),
            Err(_) => Err(End::Failed("str0m panicked on the peer's input".into())),
        }
    }

    fn poll(&mut self) -> Result<Output, End> {
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.rtc.poll_output())) {
            Ok(Ok(o)) => Ok(o),
            Ok(Err(e)) => Err(End::Failed(e.to_string())),
            Err(_) => Err(End::Failed("str0m panicked".into())),
        }
    }

    fn keyframe_request(&self, kind: KeyframeRequestKind) {
        let n = match kind {
            KeyframeRequestKind::Pli => &self.counters.plis,
            KeyframeRequestKind::Fir => &self.counters.firs,
        };
        let n = n.fetch_add(1, Ordering::Relaxed) + 1;
        // A browser that cannot decode asks again and again (Chromium with B-frames: ~5 a
        // second: docs/design/crates.md, "WebRTC in headless Chromium"): log the 1st, 2nd, 4th,
        // 8th... only.
        if n.is_power_of_two() {
            tracing::debug!(
                session = %self.id,
                ?kind,
                count = n,
                "keyframe request from the viewer, not forwarded (the camera is shared)"
            );
        }
    }

    /// The session's loop: what str0m wants sent, then the first of a stop, a datagram, a unit
    /// from the camera or str0m's next timeout; until the session ends (and why).
    async fn drive(&mut self, started: Instant, connected: &mut Option<Instant>) -> End {
        let mut buf = vec![0u8; RECV_BUFFER];
        let mut media = Media {
            rebase: Rebase::new(),
            dropped: self.viewer.dropped(),
        };
        let mut last_heard = started;
        if *self.stop.borrow() {
            return End::Deleted;
        }
        if *self.shutdown.borrow() {
            return End::Shutdown;
        }
        loop {
            let wake = match self.transmit(started, connected, &mut last_heard) {
                Ok(w) => w,
                Err(end) => return end,
            };
            if !self.rtc.is_alive() {
                return End::Closed;
            }
            let now = Instant::now();
            let guard = match connected {
                Some(_) => last_heard + self.limits.silence_timeout,
                None => started + self.limits.connect_timeout,
            };
            if now >= guard {
                return if connected.is_some() {
                    End::Silent
                } else {
                    End::NotConnected
                };
            }
            let wake = wake.min(guard);

            let step = tokio::select! {
                biased;
                _ = self.stop.changed() => return End::Deleted,
                _ = self.shutdown.changed() => return End::Shutdown,
                r = self.socket.recv_from(&mut buf) => match r {
                    Ok((n, source)) => self.datagram(&buf[..n], source, &mut last_heard),
                    // ICMP errors from an earlier send (Linux reports them on the next call).
                    Err(e) if matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
                    ) => Ok(()),
                    Err(e) => Err(End::Failed(format!("UDP: {e}"))),
                },
                unit = self.viewer.next() => match unit {
                    Some(unit) => self.unit(unit, connected.is_some(), &mut media),
                    None => Err(End::ViewerGone),
                },
                _ = tokio::time::sleep_until(wake.into()) => self.feed(Input::Timeout(Instant::now())),
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    /// Everything str0m wants sent, and its events; returns when it next wants the time.
    fn transmit(
        &mut self,
        started: Instant,
        connected: &mut Option<Instant>,
        last_heard: &mut Instant,
    ) -> Result<Instant, End> {
        loop {
            match self.poll()? {
                Output::Timeout(t) => return Ok(t),
                Output::Transmit(t) => {
                    // UDP: a full socket buffer drops the datagram, as the network would.
                    let _ = self.socket.try_send_to(&t.contents, t.destination);
                }
                Output::Event(e) => match e {
                    Event::Connected => {
                        let now = Instant::now();
                        *connected = Some(now);
                        self.counters.connected.store(true, Ordering::Relaxed);
                        *last_heard = now;
                        tracing::debug!(
                            session = %self.id,
                            after_ms = (now - started).as_millis() as u64,
                            "WebRTC session connected"
                        );
                    }
                    Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                        // As ICE-lite, str0m's agent reports this once no binding request
                        // came from the peer for 15 s (or the pairs of the offer failed).
                        return Err(End::Disconnected);
                    }
                    Event::Closed => return Err(End::Closed),
                    Event::KeyframeRequest(r) => self.keyframe_request(r.kind),
                    _ => {}
                },
            }
        }
    }

    /// A datagram from `source`. Bytes that are not STUN, DTLS or (S)RTP are ignored, and so is
    /// what str0m says is not for this peer (a STUN check with other credentials, DTLS or RTP
    /// from an address ICE has not seen): a stranger who finds the port can neither end the
    /// session nor keep it alive.
    fn datagram(
        &mut self,
        bytes: &[u8],
        source: SocketAddr,
        last_heard: &mut Instant,
    ) -> Result<(), End> {
        let now = Instant::now();
        let Ok(recv) = Receive::new(Protocol::Udp, source, self.local, bytes) else {
            return Ok(());
        };
        let input = Input::Receive(now, recv);
        if !self.rtc.accepts(&input) {
            return Ok(());
        }
        *last_heard = now;
        self.feed(input)
    }

    /// A unit from the camera's relay: RTP forwarded re-based once connected.
    fn unit(&mut self, unit: Unit, connected: bool, media: &mut Media) -> Result<(), End> {
        match unit {
            // Not connected yet: what the camera sends meanwhile is dropped, so the peer starts
            // at the live edge (the next keyframe after it connects), not with a burst of packets
            // as old as the handshake.
            Unit::Rtp(_) if !connected => {}
            Unit::Rtp(p) => {
                let now = Instant::now();
                let d = self.viewer.dropped();
                let cut = d != media.dropped;
                media.dropped = d;
                if let Some((seq, ts)) = media.rebase.map(&p, cut, now) {
                    let mut direct = self.rtc.direct_api();
                    let Some(tx) = direct.stream_tx_by_mid(self.mid, None) else {
                        return Err(End::Failed("no send stream for the video".into()));
                    };
                    tx.write_rtp(
                        RtpWrite::new(self.pt, SeqNo::from(seq), ts, now, &p.payload[..])
                            .marker(p.marker)
                            .nackable(true),
                    );
                    self.counters.forwarded.fetch_add(1, Ordering::Relaxed);
                }
            }
            // The camera's session (re)started or the relay is reconnecting: keep the peer,
            // resume at the next keyframe after the next Params.
            Unit::Params(_) | Unit::Reconnecting { .. } => media.rebase.restart(),
            Unit::Video(_) | Unit::Audio(_) => {}
        }
        Ok(())
    }
}

/// What a session keeps of the camera's media between units: the re-basing, and how many units
/// the viewer's queue had dropped (a change is a cut).
struct Media {
    rebase: Rebase,
    dropped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preview::queue::Queue;
    use crate::preview::{Params, RtpPacket};
    use bytes::Bytes;
    use str0m::change::{SdpAnswer, SdpPendingOffer};
    use str0m::media::Direction;

    const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    /// Another loopback address (Linux routes all of 127.0.0.0/8 to `lo`).
    const GATEWAY_IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    /// One H.264 NAL unit as a single-NAL-unit RTP payload (RFC 6184 §5.6): the NAL header byte
    /// (nal_ref_idc 3, the given type) and a body.
    fn nal(nal_type: u8, body: &[u8]) -> Bytes {
        let mut v = vec![0x60 | nal_type];
        v.extend_from_slice(body);
        Bytes::from(v)
    }

    fn rtp(seq: u16, ts: u32, marker: bool, key: bool, payload: Bytes) -> Unit {
        Unit::Rtp(Arc::new(RtpPacket {
            sequence: seq,
            timestamp: ts,
            marker,
            payload_type: 96,
            payload,
            keyframe_start: key,
        }))
    }

    /// An access unit as the camera packetizes it: SPS, PPS, IDR slice (keyframe) or one
    /// non-IDR slice, one packet per NAL unit, the marker on the last.
    fn access_unit(seq: &mut u16, ts: u32, key: bool, n: u8) -> Vec<Unit> {
        let nals = if key {
            vec![
                // SPS: Constrained Baseline, level 3.0, 320x240 (profile_idc 66, constraint
                // flags 0xc0, level_idc 30), then its exp-Golomb fields.
                nal(7, &[0x42, 0xc0, 0x1e, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10]),
                nal(8, &[0xce, 0x3c, 0x80]),
                nal(5, &[0x88, 0x84, n, 0x21, 0xa0, 0x00, 0x01]),
            ]
        } else {
            vec![nal(1, &[0x9a, 0x02, n, 0x44, 0x10])]
        };
        let count = nals.len();
        nals.into_iter()
            .enumerate()
            .map(|(i, p)| {
                let s = *seq;
                *seq = seq.wrapping_add(1);
                rtp(s, ts, i + 1 == count, key && i == 0, p)
            })
            .collect()
    }

    fn packet(seq: u16, ts: u32, key: bool) -> RtpPacket {
        RtpPacket {
            sequence: seq,
            timestamp: ts,
            marker: false,
            payload_type: 96,
            payload: Bytes::from_static(b"x"),
            keyframe_start: key,
        }
    }

    #[test]
    fn rebase_starts_at_a_keyframe_and_keeps_the_cameras_gaps() {
        let mut r = Rebase::new();
        let t0 = Instant::now();
        assert_eq!(r.map(&packet(100, 5000, false), false, t0), None);
        let (s0, ts0) = r.map(&packet(101, 5000, true), false, t0).unwrap();
        assert!(s0 < 0x8000);
        assert_eq!(
            r.map(&packet(102, 5000, false), false, t0),
            Some((s0 + 1, ts0))
        );
        // A lost packet stays a gap (the browser sees the loss and can NACK it).
        assert_eq!(
            r.map(&packet(104, 8000, false), false, t0),
            Some((s0 + 3, ts0.wrapping_add(3000)))
        );
        // A duplicate is dropped.
        assert_eq!(r.map(&packet(104, 8000, false), false, t0), None);
        // The camera's wrap is not ours: the extended number keeps growing.
        let mut r = Rebase::new();
        let (a, _) = r.map(&packet(65535, 1, true), false, t0).unwrap();
        assert_eq!(r.map(&packet(0, 1, false), false, t0).unwrap().0, a + 1);
    }

    #[test]
    fn rebase_continues_across_a_cut_back_and_a_reconnect() {
        let mut r = Rebase::new();
        let t0 = Instant::now();
        let (s0, ts0) = r.map(&packet(10, 1000, true), false, t0).unwrap();
        r.map(&packet(11, 4000, false), false, t0).unwrap();
        // The queue cut the viewer back: 500 packets skipped, the next one a keyframe. The
        // sequence continues without a gap; the camera's clock still holds.
        let (s, ts) = r.map(&packet(511, 91000, true), true, t0).unwrap();
        assert_eq!(s, s0 + 2);
        assert_eq!(ts, ts0.wrapping_add(90000));
        // The camera reconnects: new sequence numbers and clock. Nothing until its keyframe,
        // which continues the sequence, 2 s of wall clock later on our clock.
        r.restart();
        assert_eq!(r.map(&packet(7, 123, false), false, t0), None);
        let later = t0 + Duration::from_secs(2);
        let (s2, ts2) = r.map(&packet(8, 123, true), false, later).unwrap();
        assert_eq!(s2, s + 1);
        assert_eq!(ts2, ts.wrapping_add(180_000));
        assert_eq!(
            r.map(&packet(9, 3123, false), false, later),
            Some((s2 + 1, ts2 + 3000))
        );
        // A jump no loss explains: wait for the next keyframe, then continue.
        assert_eq!(r.map(&packet(30_000, 6123, false), false, later), None);
        assert_eq!(r.map(&packet(30_001, 6123, false), false, later), None);
        assert_eq!(
            r.map(&packet(30_002, 9123, true), false, later).unwrap().0,
            s2 + 2
        );
    }

    #[test]
    fn answer_mids_skips_rejected_sections() {
        let sdp = "v=0\r\nm=audio 0 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n";
        assert_eq!(answer_mids(sdp), vec!["1".to_string()]);
    }

    /// A str0m peer playing the browser: an RTP-mode `Rtc` on its own UDP socket on 127.0.0.1.
    struct Browser {
        rtc: Rtc,
        socket: UdpSocket,
        local: SocketAddr,
        /// The video section it offered to receive on.
        mid: Mid,
        connected: Option<Instant>,
        got: Vec<str0m::rtp::RtpPacket>,
    }

    impl Browser {
        async fn offer(config: RtcConfig) -> (Browser, String, SdpPendingOffer) {
            let socket = UdpSocket::bind((LOOPBACK, 0)).await.unwrap();
            let local = socket.local_addr().unwrap();
            let mut rtc = config.set_rtp_mode(true).build(Instant::now());
            rtc.add_local_candidate(Candidate::host(local, "udp").unwrap());
            let mut api = rtc.sdp_api();
            let mid = api.add_media(MediaKind::Video, Direction::RecvOnly, None, None, None);
            let (offer, pending) = api.apply().unwrap();
            let b = Browser {
                rtc,
                socket,
                local,
                mid,
                connected: None,
                got: Vec::new(),
            };
            (b, offer.to_sdp_string(), pending)
        }

        fn accept(&mut self, pending: SdpPendingOffer, answer: &str) {
            let answer = SdpAnswer::from_sdp_string(answer).expect("the answer parses");
            self.rtc
                .sdp_api()
                .accept_answer(pending, answer)
                .expect("the answer fits the offer");
        }

        /// Runs the peer for up to `max`, or until `done` holds.
        async fn run(&mut self, max: Duration, done: impl Fn(&Browser) -> bool) {
            let deadline = Instant::now() + max;
            let mut buf = vec![0u8; RECV_BUFFER];
            while Instant::now() < deadline && !done(self) {
                let wake = loop {
                    match self.rtc.poll_output().unwrap() {
                        Output::Timeout(t) => break t,
                        Output::Transmit(t) => {
                            let _ = self.socket.try_send_to(&t.contents, t.destination);
                        }
                        Output::Event(Event::Connected) => self.connected = Some(Instant::now()),
                        Output::Event(Event::RtpPacket(p)) => self.got.push(p),
                        Output::Event(_) => {}
                    }
                };
                let wake = wake.min(deadline);
                tokio::select! {
                    r = self.socket.recv_from(&mut buf) => {
                        let (n, source) = r.unwrap();
                        let recv = Receive::new(Protocol::Udp, source, self.local, &buf[..n]).unwrap();
                        self.rtc.handle_input(Input::Receive(Instant::now(), recv)).unwrap();
                    }
                    _ = tokio::time::sleep_until(wake.into()) => {
                        self.rtc.handle_input(Input::Timeout(Instant::now())).unwrap();
                    }
                }
            }
        }

        /// Runs the peer until it is connected (at most 5 s).
        async fn connect(&mut self) {
            self.run(Duration::from_secs(5), |b| b.connected.is_some())
                .await;
            assert!(self.connected.is_some(), "no ICE/DTLS connection in 5 s");
        }

        /// Runs the peer until it has received `n` packets in all (at most 5 s).
        async fn receive(&mut self, n: usize) {
            self.run(Duration::from_secs(5), |b| b.got.len() >= n).await;
        }

        /// Sends an RTCP PLI for the video it receives (str0m sends it with its next RTCP).
        fn request_keyframe(&mut self) {
            self.rtc
                .direct_api()
                .stream_rx_by_mid(self.mid, None)
                .expect("a receive stream once packets came")
                .request_keyframe(KeyframeRequestKind::Pli);
        }
    }

    /// The answer's ICE candidates: address and type.
    fn candidates(answer: &str) -> Vec<(SocketAddr, String)> {
        answer
            .lines()
            .filter_map(|l| {
                // foundation component transport priority address port "typ" type ...
                let f: Vec<&str> = l.strip_prefix("a=candidate:")?.split_whitespace().collect();
                let ip: IpAddr = f.get(4)?.parse().ok()?;
                let port: u16 = f.get(5)?.parse().ok()?;
                (f.get(6) == Some(&"typ")).then_some(())?;
                Some((SocketAddr::new(ip, port), f.get(7)?.to_string()))
            })
            .collect()
    }

    /// The answer's H.264 payload types and their fmtp parameters.
    fn h264_formats(answer: &str) -> Vec<(u8, String)> {
        let lines: Vec<&str> = answer.lines().map(str::trim_end).collect();
        lines
            .iter()
            .filter_map(|l| {
                let (pt, codec) = l.strip_prefix("a=rtpmap:")?.split_once(' ')?;
                (codec == "H264/90000").then_some(())?;
                let fmtp = lines
                    .iter()
                    .find_map(|f| f.strip_prefix(&format!("a=fmtp:{pt} ")))
                    .unwrap_or_default();
                Some((pt.parse().ok()?, fmtp.to_string()))
            })
            .collect()
    }

    /// Waits (at most 2 s) for the gateway's session to count `want` PLIs, running the peer.
    async fn wait_for_plis(g: &Gateway, id: &str, browser: &mut Browser, want: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let plis = g.stats(id).expect("the session runs").plis;
            if plis >= want || Instant::now() >= deadline {
                return plis;
            }
            browser.run(Duration::from_millis(20), |_| false).await;
        }
    }

    async fn wait_for_no_sessions(g: &Gateway) {
        for _ in 0..200 {
            if g.sessions() == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{} sessions left", g.sessions());
    }

    fn params() -> Unit {
        Unit::Params(Arc::new(Params {
            video: None,
            audio: None,
            audio_note: None,
        }))
    }

    fn pushed_payloads(units: &[Unit]) -> Vec<Bytes> {
        units
            .iter()
            .filter_map(|u| match u {
                Unit::Rtp(p) => Some(p.payload.clone()),
                _ => None,
            })
            .collect()
    }

    fn push_all(q: &Queue, units: &[Unit]) {
        for u in units {
            assert!(q.push(u.clone()));
        }
    }

    #[allow(clippy::print_stderr)]
    #[tokio::test]
    async fn a_str0m_browser_receives_the_cameras_packets_over_udp() {
        let gateway = Gateway::new(GatewayLimits::default());
        let (queue, viewer) = Viewer::detached(ViewerKind::Rtp, 1 << 20);
        let (mut browser, offer, pending) = Browser::offer(RtcConfig::new()).await;
        let posted = Instant::now();
        // The gateway on another loopback address than the browser: the answer must announce
        // the address it was given, and packets must come from it.
        let (id, answer) = gateway.answer(&offer, viewer, GATEWAY_IP).await.unwrap();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(gateway.sessions(), 1);
        assert_eq!(gateway.stats(&id), Some(SessionStats::default()));
        assert!(answer.contains("a=ice-lite"), "{answer}");
        let cands = candidates(&answer);
        assert_eq!(cands.len(), 1, "{answer}");
        let (session_addr, typ) = &cands[0];
        assert_eq!(session_addr.ip(), GATEWAY_IP);
        assert_ne!(session_addr.port(), 0);
        assert_eq!(typ, "host");
        let formats = h264_formats(&answer);
        assert!(!formats.is_empty(), "{answer}");
        // Nothing but H.264 (and its retransmissions) is answered.
        assert!(!answer.contains("VP8") && !answer.contains("VP9") && !answer.contains("AV1"));
        // The camera sends a keyframe before the peer has connected: the session takes it from
        // the queue and drops it (the peer starts at the live edge, below).
        let early = access_unit(&mut 40_000u16, 1_000_000, true, 42);
        push_all(&queue, &[params()]);
        push_all(&queue, &early);
        for _ in 0..200 {
            if queue.bytes() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(queue.bytes(), 0, "the session did not take the early units");
        browser.accept(pending, &answer);
        browser.connect().await;
        eprintln!(
            "time to connected on loopback: {:?}",
            browser.connected.unwrap() - posted
        );
        assert!(gateway.stats(&id).unwrap().connected);
        assert_eq!(gateway.stats(&id).unwrap().forwarded, 0);

        // Mid-stream join: the camera is at sequence 65530 (about to wrap), in a P-frame.
        let mut seq = 65530u16;
        let mut units = vec![params()];
        let skipped = access_unit(&mut seq, 900, false, 0);
        units.extend(skipped.iter().cloned());
        let mut sent = Vec::new();
        for i in 0..6u8 {
            sent.extend(access_unit(
                &mut seq,
                3600 + u32::from(i) * 3600,
                i % 3 == 0,
                i,
            ));
        }
        units.extend(sent.iter().cloned());
        push_all(&queue, &units);
        let want = pushed_payloads(&sent);
        browser.receive(want.len()).await;
        let got = &browser.got;
        assert_eq!(got.len(), want.len());
        let payloads: Vec<Bytes> = got
            .iter()
            .map(|p| Bytes::from(p.payload.to_vec()))
            .collect();
        assert_eq!(payloads, want);
        // The first is the keyframe's SPS; the P-frame before it was not sent.
        assert_eq!(got[0].payload[0] & 0x1f, 7);
        // All on one H.264 payload type of the answer, packetization-mode 1 (the camera's FU-A
        // and STAP-A packets are valid there), from one SSRC, numbered without a gap across
        // the camera's wrap.
        let pt = *got[0].header.payload_type;
        let fmtp = &formats
            .iter()
            .find(|(p, _)| *p == pt)
            .expect("an H.264 PT")
            .1;
        assert!(fmtp.contains("packetization-mode=1"), "{pt}: {fmtp}");
        for w in got.windows(2) {
            assert_eq!(*w[1].seq_no, *w[0].seq_no + 1);
            assert_eq!(w[1].header.ssrc, w[0].header.ssrc);
            assert_eq!(*w[1].header.payload_type, pt);
        }
        let ts0 = got[0].header.timestamp;
        assert_eq!(got[3].header.timestamp.wrapping_sub(ts0), 3600);
        assert_eq!(got.iter().filter(|p| p.header.marker).count(), 6);
        assert_eq!(gateway.stats(&id).unwrap().forwarded, want.len() as u64);

        // The browser asks for keyframes: each request is counted once, nothing is sent in
        // reply (no packet re-sent, no keyframe conjured) and nothing reaches the relay (its
        // queue is all the session holds of it, and only takes from it).
        let before = browser.got.len();
        for n in 1..=3 {
            browser.request_keyframe();
            assert_eq!(wait_for_plis(&gateway, &id, &mut browser, n).await, n);
        }
        browser.run(Duration::from_millis(300), |_| false).await;
        let stats = gateway.stats(&id).unwrap();
        assert_eq!((stats.plis, stats.firs), (3, 0));
        assert_eq!(browser.got.len(), before);
        assert_eq!(stats.forwarded, before as u64);
        assert_eq!(queue.bytes(), 0);

        // The camera drops and comes back with new numbers: the viewer's stream goes on.
        let last = browser.got.last().unwrap();
        let (last_seq, last_ssrc, last_ts) =
            (*last.seq_no, last.header.ssrc, last.header.timestamp);
        let mut seq = 17u16;
        let again = access_unit(&mut seq, 777_777, true, 9);
        push_all(
            &queue,
            &[Unit::Reconnecting {
                reason: "test".into(),
            }],
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        push_all(&queue, &[params()]);
        // Not a keyframe start: skipped.
        push_all(&queue, &access_unit(&mut 5u16, 1, false, 8));
        push_all(&queue, &again);
        let n = browser.got.len() + again.len();
        browser.receive(n).await;
        assert_eq!(browser.got.len(), n);
        let resumed = &browser.got[n - again.len()..];
        assert_eq!(resumed[0].payload[0] & 0x1f, 7);
        assert_eq!(*resumed[0].seq_no, last_seq + 1);
        assert_eq!(resumed[0].header.ssrc, last_ssrc);
        assert_eq!(*resumed[0].header.payload_type, pt);
        // The pause (>= 200 ms) shows as a timestamp gap on our clock, not the camera's jump.
        let gap = resumed[0].header.timestamp.wrapping_sub(last_ts);
        assert!((18_000..90_000).contains(&gap), "timestamp gap {gap}");

        // DELETE: the session ends, its socket is closed, the viewer is dropped.
        assert!(gateway.end(&id));
        assert!(!gateway.end(&id));
        wait_for_no_sessions(&gateway).await;
        assert!(!gateway.end(&id));
        assert_eq!(gateway.stats(&id), None);
        std::net::UdpSocket::bind(session_addr).expect("the session's port is free again");
        // The relay's side sees the viewer gone.
        assert!(!queue.push(params()));
    }

    #[tokio::test]
    async fn an_offer_without_h264_is_refused() {
        let gateway = Gateway::new(GatewayLimits::default());
        let (_q, viewer) = Viewer::detached(ViewerKind::Rtp, 1 << 20);
        let config = RtcConfig::new().clear_codecs().enable_vp8(true);
        let (_browser, offer, _pending) = Browser::offer(config).await;
        let err = gateway.answer(&offer, viewer, LOOPBACK).await.unwrap_err();
        assert!(matches!(err, WhepError::NoH264), "{err}");
        assert_eq!(err.status(), 422);
        assert_eq!(gateway.sessions(), 0);
    }

    #[tokio::test]
    async fn garbage_offers_are_bad_requests() {
        let gateway = Gateway::new(GatewayLimits::default());
        for offer in [
            "",
            "hello",
            "v=0\r\nm=video",
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
        ] {
            let (_q, viewer) = Viewer::detached(ViewerKind::Rtp, 1 << 20);
            let err = gateway.answer(offer, viewer, LOOPBACK).await.unwrap_err();
            assert_eq!(err.status(), 400, "{offer:?}: {err}");
        }
        let (_q, viewer) = Viewer::detached(ViewerKind::Rtp, 1 << 20);
        let huge = "a".repeat(MAX_OFFER_BYTES + 1);
        assert!(matches!(
            gateway.answer(&huge, viewer, LOOPBACK).await,
            Err(WhepError::BadOffer(_))
        ));
    }

    #[tokio::test]
    async fn sessions_are_capped_end_unconnected_and_stop_at_shutdown() {
        let gateway = Gateway::new(GatewayLimits {
            max_sessions: 2,
            connect_timeout: Duration::from_millis(300),
            ..GatewayLimits::default()
        });
        let mut keep = Vec::new();
        for _ in 0..2 {
            let (q, viewer) = Viewer::detached(ViewerKind::Rtp, 1 << 20);
            let (b, offer, _) = Browser::offer(RtcConfig::new()).await;
            gateway.answer(&offer, viewer, LOOPBACK).await.unwrap();
            keep.push((q, b));
        }
        assert_eq!(gateway.sessions(), 2);
        let (_q, viewer) = Viewer::detached(ViewerKind::Rtp, 1 << 20);
        let (_b, offer, _) = Browser::offer(RtcConfig::new()).await;
        let err = gateway.answer(&offer, viewer, LOOPBACK).await.unwrap_err();
        assert!(matches!(err, WhepError::Full(2)), "{err}");
        assert_eq!(err.status(), 503);
        // Nobody answered those offers' peers: both end after the connect timeout.
        wait_for_no_sessions(&gateway).await;

        let (_q, viewer) = Viewer::detached(ViewerKind::Rtp, 1 << 20);
        let (_b, offer, _) = Browser::offer(RtcConfig::new()).await;
        gateway.answer(&offer, viewer, LOOPBACK).await.unwrap();
        assert_eq!(gateway.sessions(), 1);
        gateway.shutdown();
        wait_for_no_sessions(&gateway).await;
        let (_q, viewer) = Viewer::detached(ViewerKind::Rtp, 1 << 20);
        assert!(matches!(
            gateway.answer(&offer, viewer, LOOPBACK).await,
            Err(WhepError::ShuttingDown)
        ));
    }

    #[tokio::test]
    async fn a_session_ends_with_its_viewer() {
        // The relay ends (the server stops, the stream is gone; the viewer's next() is None)
        // before the peer connected, and after.
        for connect in [false, true] {
            let gateway = Gateway::new(GatewayLimits::default());
            let (queue, viewer) = Viewer::detached(ViewerKind::Rtp, 1 << 20);
            let (mut browser, offer, pending) = Browser::offer(RtcConfig::new()).await;
            let (_, answer) = gateway.answer(&offer, viewer, LOOPBACK).await.unwrap();
            if connect {
                browser.accept(pending, &answer);
                browser.connect().await;
            }
            queue.close();
            // Well before the 10 s connect timeout.
            wait_for_no_sessions(&gateway).await;
        }
    }

    #[tokio::test]
    async fn a_session_ends_when_its_peer_goes_silent() {
        // 1.5 s against RTCP every 200 ms: a test process starved for half a second on a busy
        // machine (two cores, the fuzz build beside) must not read as a silent peer.
        let silence = Duration::from_millis(1500);
        let gateway = Gateway::new(GatewayLimits {
            silence_timeout: silence,
            ..GatewayLimits::default()
        });
        let (queue, viewer) = Viewer::detached(ViewerKind::Rtp, 1 << 20);
        let (mut browser, offer, pending) = Browser::offer(RtcConfig::new()).await;
        let (id, answer) = gateway.answer(&offer, viewer, LOOPBACK).await.unwrap();
        browser.accept(pending, &answer);
        browser.connect().await;
        push_all(&queue, &[params()]);
        let key = access_unit(&mut 1u16, 0, true, 1);
        push_all(&queue, &key);
        browser.receive(key.len()).await;
        // A peer that talks (here RTCP every 200 ms) keeps its session past the timeout.
        for _ in 0..10 {
            browser.request_keyframe();
            browser.run(Duration::from_millis(200), |_| false).await;
        }
        assert_eq!(gateway.sessions(), 1);
        assert!(gateway.stats(&id).unwrap().plis >= 1);
        // The tab is closed without a DELETE: nothing more comes from the peer. A stranger who
        // found the port keeps sending (STUN, DTLS, RTP-looking junk): that is not the peer.
        drop(browser);
        let quiet = Instant::now();
        let target = candidates(&answer)[0].0;
        let stranger = UdpSocket::bind((LOOPBACK, 0)).await.unwrap();
        let junk = junk_datagrams();
        for d in junk.iter().cycle().take(300) {
            if gateway.sessions() == 0 {
                break;
            }
            let _ = stranger.try_send_to(d, target);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            gateway.sessions(),
            0,
            "the session outlived its silent peer"
        );
        // Not at once: the session waited for the silence to last (it last heard the peer at
        // most ~200 ms before the drop).
        assert!(
            quiet.elapsed() >= silence - Duration::from_millis(300),
            "{:?}",
            quiet.elapsed()
        );
        assert!(!queue.push(params()));
    }

    /// Datagrams a stranger (or a broken peer) might send to a session's port: STUN without or
    /// with the wrong credentials, DTLS and RTP/RTCP headers with junk, and junk of every first
    /// byte class RFC 7983 demultiplexes on.
    fn junk_datagrams() -> Vec<Vec<u8>> {
        const COOKIE: [u8; 4] = [0x21, 0x12, 0xa4, 0x42];
        let mut stun = vec![0x00, 0x01, 0x00, 0x00];
        stun.extend_from_slice(&COOKIE);
        stun.extend_from_slice(&[7; 12]);
        let mut stun_user = vec![0x00, 0x01, 0x00, 0x08];
        stun_user.extend_from_slice(&COOKIE);
        stun_user.extend_from_slice(&[9; 12]);
        stun_user.extend_from_slice(&[0x00, 0x06, 0x00, 0x04]);
        stun_user.extend_from_slice(b"ab:c");
        let mut v = vec![
            stun,
            stun_user,
            vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4],
            vec![23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0xff, 0xff, 1, 2],
            vec![0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3],
            vec![0x80, 200, 0, 1, 0, 0, 0, 1],
            vec![0xff; 1500],
        ];
        // A fixed pseudo-random spread of lengths and first bytes (a linear congruential
        // generator, Numerical Recipes' constants).
        let mut x = 0x1234_5678u32;
        for len in [1usize, 2, 12, 20, 100, 1200] {
            for first in [0u8, 1, 3, 19, 20, 22, 63, 64, 79, 127, 128, 191, 255] {
                let mut d = vec![first];
                while d.len() < len {
                    x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    d.push((x >> 24) as u8);
                }
                v.push(d);
            }
        }
        v
    }

    #[tokio::test]
    async fn junk_datagrams_neither_end_nor_disturb_a_session() {
        let gateway = Gateway::new(GatewayLimits::default());
        let (queue, viewer) = Viewer::detached(ViewerKind::Rtp, 1 << 20);
        let (mut browser, offer, pending) = Browser::offer(RtcConfig::new()).await;
        let (id, answer) = gateway.answer(&offer, viewer, LOOPBACK).await.unwrap();
        let target = candidates(&answer)[0].0;
        let stranger = UdpSocket::bind((LOOPBACK, 0)).await.unwrap();
        let junk = junk_datagrams();
        // Before the peer connects: a stranger's junk does not stop ICE or DTLS.
        for d in &junk {
            let _ = stranger.try_send_to(d, target);
        }
        browser.accept(pending, &answer);
        browser.connect().await;
        push_all(&queue, &[params()]);
        let mut seq = 1000u16;
        let first = access_unit(&mut seq, 0, true, 1);
        push_all(&queue, &first);
        browser.receive(first.len()).await;
        assert_eq!(browser.got.len(), first.len());

        // Connected: junk from a stranger, then from the peer's own address.
        for d in &junk {
            let _ = stranger.try_send_to(d, target);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        for d in &junk {
            let _ = browser.socket.try_send_to(d, target);
        }
        let second = access_unit(&mut seq, 3600, false, 2);
        push_all(&queue, &second);
        let n = first.len() + second.len();
        browser.receive(n).await;
        assert_eq!(browser.got.len(), n);
        assert_eq!(gateway.sessions(), 1);
        let stats = gateway.stats(&id).unwrap();
        assert_eq!(stats.forwarded, n as u64);
        assert_eq!((stats.plis, stats.firs), (0, 0));
    }
}
