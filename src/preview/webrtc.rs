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
//! CRATES.md §9), so the page uses Media Source Extensions for those.
//!
//! Per viewer the packets are re-based ([`Rebase`]): our own SSRC (str0m's), sequence numbers
//! that start at a random point and never jump back, timestamps offset from the camera's. A viewer
//! starts at the first packet of a keyframe; after the camera reconnects (a new RTSP session with
//! new sequence numbers and timestamps) the same outgoing stream continues at the next keyframe,
//! its timestamps advanced by the wall-clock gap, so the browser sees one stream that paused.
//! Keyframe requests (PLI/FIR) from the browser are counted and logged, never forwarded: the
//! camera is shared by every viewer, and one browser must not make it send keyframes for all.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
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

use super::{RtpPacket, Unit, Viewer, ViewerKind};

/// H.264's RTP clock (RFC 6184 §8.2.1: "a 90 kHz clock rate MUST be used").
const CLOCK_RATE: u64 = 90_000;

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

/// A jump in the camera's sequence numbers larger than this is a discontinuity (not packet loss):
/// the viewer waits for the next keyframe. RFC 3550 Appendix A.1 uses 3000 ("MAX_DROPOUT") for
/// its own checks; a preview can afford to be stricter.
const MAX_SEQ_GAP: i32 = 1000;

/// Caps and deadlines of the WHEP gateway.
#[derive(Debug, Clone)]
pub struct GatewayLimits {
    /// Sessions at once, all streams together.
    pub max_sessions: usize,
    /// A session that has not connected (ICE + DTLS) by then is ended. Chromium on loopback
    /// connects in about 0.4 s (CRATES.md §9); 10 s covers a slow network and a busy browser.
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
    sessions: Mutex<HashMap<String, watch::Sender<bool>>>,
    shutdown: watch::Sender<bool>,
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<bool>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
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
        {
            let mut sessions = self.inner.lock();
            if *self.inner.shutdown.borrow() {
                return Err(WhepError::ShuttingDown);
            }
            if sessions.len() >= max {
                return Err(WhepError::Full(max));
            }
            sessions.insert(id.clone(), stop);
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
            Some(stop) => !stop.send_replace(true),
            None => false,
        }
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

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    // A failed getrandom only makes the start predictable, which RTP tolerates.
    let _ = getrandom::fill(&mut b);
    u32::from_le_bytes(b)
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
/// under it too, CRATES.md §9).
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
}

#[derive(Default)]
struct Counters {
    plis: u64,
    firs: u64,
    forwarded: u64,
}

impl Session {
    async fn run(mut self) {
        let started = Instant::now();
        let mut connected: Option<Instant> = None;
        let mut counters = Counters::default();
        let end = self.drive(started, &mut connected, &mut counters).await;
        self.rtc.disconnect();
        tracing::debug!(
            session = %self.id,
            %end,
            connected_after_ms = connected.map(|c| (c - started).as_millis() as u64),
            forwarded = counters.forwarded,
            plis = counters.plis,
            firs = counters.firs,
            viewer_dropped = self.viewer.dropped(),
            "WebRTC session ended"
        );
    }

    async fn drive(
        &mut self,
        started: Instant,
        connected: &mut Option<Instant>,
        counters: &mut Counters,
    ) -> End {
        let mut buf = vec![0u8; RECV_BUFFER];
        let mut rebase = Rebase::new();
        let mut last_heard = started;
        let mut dropped = self.viewer.dropped();
        if *self.stop.borrow() {
            return End::Deleted;
        }
        if *self.shutdown.borrow() {
            return End::Shutdown;
        }
        loop {
            // Everything str0m wants sent, and when it next wants the time.
            let wake = loop {
                let out = match self.rtc.poll_output() {
                    Ok(o) => o,
                    Err(e) => return End::Failed(e.to_string()),
                };
                match out {
                    Output::Timeout(t) => break t,
                    Output::Transmit(t) => {
                        // UDP: a full socket buffer drops the datagram, as the network would.
                        let _ = self.socket.try_send_to(&t.contents, t.destination);
                    }
                    Output::Event(e) => match e {
                        Event::Connected => {
                            let now = Instant::now();
                            *connected = Some(now);
                            last_heard = now;
                            tracing::debug!(
                                session = %self.id,
                                after_ms = (now - started).as_millis() as u64,
                                "WebRTC session connected"
                            );
                        }
                        Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                            return End::Disconnected;
                        }
                        Event::Closed => return End::Closed,
                        Event::KeyframeRequest(r) => {
                            match r.kind {
                                KeyframeRequestKind::Pli => counters.plis += 1,
                                KeyframeRequestKind::Fir => counters.firs += 1,
                            }
                            tracing::debug!(
                                session = %self.id,
                                kind = ?r.kind,
                                "keyframe request from the viewer, not forwarded (the camera is shared)"
                            );
                        }
                        _ => {}
                    },
                }
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

            tokio::select! {
                biased;
                _ = self.stop.changed() => return End::Deleted,
                _ = self.shutdown.changed() => return End::Shutdown,
                r = self.socket.recv_from(&mut buf) => match r {
                    Ok((n, source)) => {
                        let now = Instant::now();
                        // Bytes that are not STUN, DTLS or SRTP are ignored, like str0m does.
                        if let Ok(recv) = Receive::new(Protocol::Udp, source, self.local, &buf[..n]) {
                            last_heard = now;
                            if let Err(e) = self.rtc.handle_input(Input::Receive(now, recv)) {
                                return End::Failed(e.to_string());
                            }
                        }
                    }
                    // ICMP errors from an earlier send (Linux reports them on the next call).
                    Err(e) if matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
                    ) => {}
                    Err(e) => return End::Failed(format!("UDP: {e}")),
                },
                unit = self.viewer.next(), if connected.is_some() => {
                    let Some(unit) = unit else { return End::ViewerGone };
                    match unit {
                        Unit::Rtp(p) => {
                            let now = Instant::now();
                            let d = self.viewer.dropped();
                            let cut = d != dropped;
                            dropped = d;
                            if let Some((seq, ts)) = rebase.map(&p, cut, now) {
                                let mut direct = self.rtc.direct_api();
                                let Some(tx) = direct.stream_tx_by_mid(self.mid, None) else {
                                    return End::Failed("no send stream for the video".into());
                                };
                                tx.write_rtp(
                                    RtpWrite::new(self.pt, SeqNo::from(seq), ts, now, &p.payload[..])
                                        .marker(p.marker)
                                        .nackable(true),
                                );
                                counters.forwarded += 1;
                            }
                        }
                        Unit::Params(_) | Unit::Reconnecting { .. } => rebase.restart(),
                        Unit::Video(_) | Unit::Audio(_) => {}
                    }
                }
                _ = tokio::time::sleep_until(wake.into()) => {
                    if let Err(e) = self.rtc.handle_input(Input::Timeout(Instant::now())) {
                        return End::Failed(e.to_string());
                    }
                }
            }
        }
    }
}

/// One viewer's re-basing of the camera's RTP: the camera's sequence numbers and timestamps in,
/// one continuous outgoing stream's out. Pure (no I/O), so its rules are tested on their own.
#[derive(Debug)]
struct Rebase {
    /// Waiting for a packet that starts a keyframe; everything else is dropped meanwhile.
    waiting: bool,
    /// The camera's stream (re)started (new parameters, a reconnect): timestamps re-based too.
    restarted: bool,
    /// The last camera sequence number forwarded, extended (no wrap).
    last_in: Option<i64>,
    /// Outgoing extended sequence number = camera's extended + `seq_offset`.
    seq_offset: i64,
    /// Highest outgoing extended sequence number so far.
    max_out: Option<u64>,
    /// The outgoing sequence number of this run's first packet (its keyframe).
    run_start: u64,
    /// Outgoing timestamp = camera's + `ts_offset` (mod 2^32).
    ts_offset: u32,
    /// The last outgoing timestamp and when it went.
    last_ts: Option<(u32, Instant)>,
    /// Random starts (RFC 3550 §5.1: sequence number and timestamp start at random values).
    seq_start: u64,
    ts_start: u32,
}

impl Rebase {
    fn new() -> Rebase {
        // Below 2^15, so the first wrap is at least 32768 packets away and the SRTP rollover
        // counter starts at 0 as the receiver assumes (RFC 3711 §3.3.1).
        let seq_start = u64::from(random_u32() & 0x7fff);
        Rebase {
            waiting: true,
            restarted: true,
            last_in: None,
            seq_offset: 0,
            max_out: None,
            run_start: seq_start,
            ts_offset: 0,
            last_ts: None,
            seq_start,
            ts_start: random_u32(),
        }
    }

    /// The camera's session restarted or changed parameters: wait for its next keyframe.
    fn restart(&mut self) {
        self.waiting = true;
        self.restarted = true;
        self.last_in = None;
    }

    /// The outgoing (extended sequence number, timestamp) for `p`, or `None` to drop it.
    /// `cut`: the viewer's queue skipped packets before this one (it was cut back to a keyframe).
    fn map(&mut self, p: &RtpPacket, cut: bool, now: Instant) -> Option<(u64, u32)> {
        let ext = match self.last_in {
            Some(last) if !self.waiting && !cut => {
                let delta = i32::from(p.sequence.wrapping_sub(last as u16) as i16);
                if delta == 0 || delta.abs() > MAX_SEQ_GAP {
                    // A duplicate, or a jump no loss explains: wait for a keyframe.
                    if delta != 0 {
                        self.waiting = true;
                    }
                    if !p.keyframe_start || delta == 0 {
                        return None;
                    }
                    None
                } else {
                    Some(last + i64::from(delta))
                }
            }
            _ => None,
        };
        let ext = match ext {
            Some(e) => e,
            None => {
                if !p.keyframe_start {
                    self.waiting = true;
                    return None;
                }
                self.resync(p, now)
            }
        };
        let out = ext + self.seq_offset;
        if out < self.run_start as i64 {
            // Reordered from before this run's keyframe: its number was used by the last run.
            return None;
        }
        let out = out as u64;
        self.last_in = Some(ext.max(self.last_in.unwrap_or(ext)));
        self.max_out = Some(self.max_out.map_or(out, |m| m.max(out)));
        let ts = p.timestamp.wrapping_add(self.ts_offset);
        self.last_ts = Some((ts, now));
        Some((out, ts))
    }

    /// Starts a run at keyframe packet `p`: its sequence number follows the highest sent so far
    /// (or the random start); after a camera restart its timestamp follows the last one sent by
    /// the wall-clock time since (or the random start). Returns `p`'s extended camera sequence.
    fn resync(&mut self, p: &RtpPacket, now: Instant) -> i64 {
        let ext = i64::from(p.sequence);
        let next_out = self.max_out.map_or(self.seq_start, |m| m + 1);
        self.seq_offset = next_out as i64 - ext;
        self.run_start = next_out;
        if self.restarted {
            let target = match self.last_ts {
                Some((ts, at)) => {
                    let gap = now.saturating_duration_since(at);
                    let ticks = (gap.as_micros() as u64).saturating_mul(CLOCK_RATE) / 1_000_000;
                    // At least one tick: the new picture comes after the last one.
                    ts.wrapping_add(ticks.max(1) as u32)
                }
                None => self.ts_start,
            };
            self.ts_offset = target.wrapping_sub(p.timestamp);
            self.restarted = false;
        }
        self.waiting = false;
        self.last_in = None;
        ext
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preview::Params;
    use crate::preview::queue::Queue;
    use bytes::Bytes;
    use str0m::change::{SdpAnswer, SdpPendingOffer};
    use str0m::media::Direction;

    const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

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
            api.add_media(MediaKind::Video, Direction::RecvOnly, None, None, None);
            let (offer, pending) = api.apply().unwrap();
            let b = Browser {
                rtc,
                socket,
                local,
                connected: None,
                got: Vec::new(),
            };
            (b, offer.to_sdp_string(), pending)
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
                            self.socket
                                .send_to(&t.contents, t.destination)
                                .await
                                .unwrap();
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
        let (id, answer) = gateway.answer(&offer, viewer, LOOPBACK).await.unwrap();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(gateway.sessions(), 1);
        assert!(answer.contains("a=ice-lite"), "{answer}");
        assert!(answer.contains("H264/90000"), "{answer}");
        browser
            .rtc
            .sdp_api()
            .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).unwrap())
            .unwrap();
        browser
            .run(Duration::from_secs(5), |b| b.connected.is_some())
            .await;
        let connected = browser.connected.expect("connected");
        eprintln!("time to connected on loopback: {:?}", connected - posted);

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
        browser
            .run(Duration::from_secs(5), |b| b.got.len() >= want.len())
            .await;
        let got = &browser.got;
        assert_eq!(got.len(), want.len());
        let payloads: Vec<Bytes> = got
            .iter()
            .map(|p| Bytes::from(p.payload.to_vec()))
            .collect();
        assert_eq!(payloads, want);
        // The first is the keyframe's SPS; the P-frame before it was not sent.
        assert_eq!(got[0].payload[0] & 0x1f, 7);
        for w in got.windows(2) {
            assert_eq!(*w[1].seq_no, *w[0].seq_no + 1);
            assert_eq!(w[1].header.ssrc, w[0].header.ssrc);
        }
        let ts0 = got[0].header.timestamp;
        assert_eq!(got[3].header.timestamp.wrapping_sub(ts0), 3600);
        assert!(got.iter().filter(|p| p.header.marker).count() == 6);

        // The camera drops and comes back with new numbers: the viewer's stream goes on.
        let last = got.last().unwrap();
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
        push_all(&queue, &access_unit(&mut 5u16, 1, false, 8));
        push_all(&queue, &again);
        let n = browser.got.len() + again.len();
        browser
            .run(Duration::from_secs(5), |b| b.got.len() >= n)
            .await;
        let resumed = &browser.got[n - again.len()..];
        assert_eq!(browser.got.len(), n);
        assert_eq!(*resumed[0].seq_no, last_seq + 1);
        assert_eq!(resumed[0].header.ssrc, last_ssrc);
        let gap = resumed[0].header.timestamp.wrapping_sub(last_ts);
        assert!((18_000..90_000).contains(&gap), "timestamp gap {gap}");

        assert!(gateway.end(&id));
        assert!(!gateway.end(&id));
        wait_for_no_sessions(&gateway).await;
        assert!(!gateway.end(&id));
        // The viewer was dropped with the session: the relay's side sees it.
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
        let gateway = Gateway::new(GatewayLimits::default());
        let (queue, viewer) = Viewer::detached(ViewerKind::Rtp, 1 << 20);
        let (mut browser, offer, pending) = Browser::offer(RtcConfig::new()).await;
        let (_, answer) = gateway.answer(&offer, viewer, LOOPBACK).await.unwrap();
        browser
            .rtc
            .sdp_api()
            .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).unwrap())
            .unwrap();
        browser
            .run(Duration::from_secs(5), |b| b.connected.is_some())
            .await;
        assert!(browser.connected.is_some());
        // The relay ends (the server stops, the stream is gone): the viewer's next() is None.
        queue.close();
        wait_for_no_sessions(&gateway).await;
    }
}
