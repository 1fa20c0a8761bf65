//! Stream verification: SETUP + PLAY a stream for a short window and measure what really arrives.
//!
//! A DESCRIBE proves a path exists, not that video flows (Cameradar validates with one RTP packet,
//! `docs/design/protocols.md`, "RTSP probing rules"). We PLAY over TCP (interleaved), fall back to
//! UDP when the server answers SETUP with 461 Unsupported Transport (retina#103), read raw RTP
//! until we have enough frames to measure, or the window ends, then drop the session (retina sends
//! TEARDOWN). Frame rate comes from RTP timestamps, not from the SDP, which can lie (go2rtc#655);
//! bitrate from bytes over wall time. The media facts DESCRIBE and the PLAY check share one session
//! (one connection, one DESCRIBE), so a camera sees one session per stream from camscan, not two a
//! few seconds apart. (A SETUP over TCP refused with any other `4xx` than a login's is asked over
//! UDP as well: [`tcp_refused`].)

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use retina::client::{
    Described, PacketItem, PlayOptions, Playing, Session, SessionGroup, SessionOptions,
    SetupOptions, TcpTransportOptions, Transport, UdpTransportOptions,
};

use credentials::Credential;
use error::{fmt_duration, one_line};
use model::Measured;
use net::media_budget::{MediaBudget, Pull};
use net::rtsp::{Busy, USER_AGENT, is_busy, start_patience};

/// Distinct frames (RTP timestamps) after which the measurement is good enough to stop early.
const ENOUGH_FRAMES: u32 = 26;

/// Which codec's keyframe rules to apply to payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyframeRule {
    H264,
    H265,
    /// Every JPEG frame is complete on its own.
    Every,
    Unknown,
}

impl KeyframeRule {
    pub fn for_encoding(encoding: &str) -> Self {
        match encoding.to_ascii_lowercase().as_str() {
            "h264" => KeyframeRule::H264,
            "h265" => KeyframeRule::H265,
            "jpeg" => KeyframeRule::Every,
            _ => KeyframeRule::Unknown,
        }
    }

    /// Does this RTP payload start (or carry) a keyframe? RFC 6184 (H.264: NAL 5 = IDR, also inside
    /// STAP-A 24 and FU-A 28 start fragments) and RFC 7798 (H.265: NAL 16-21 = IRAP, also in AP 48 and
    /// FU 49).
    pub fn is_keyframe(self, payload: &[u8]) -> bool {
        match self {
            KeyframeRule::Every => !payload.is_empty(),
            KeyframeRule::Unknown => false,
            KeyframeRule::H264 => {
                let Some(&b0) = payload.first() else {
                    return false;
                };
                match b0 & 0x1f {
                    5 => true,
                    24 => stap_nals(&payload[1..], 2)
                        .any(|n| n.first().is_some_and(|b| b & 0x1f == 5)),
                    28 => payload
                        .get(1)
                        .is_some_and(|fu| fu & 0x80 != 0 && fu & 0x1f == 5),
                    _ => false,
                }
            }
            KeyframeRule::H265 => {
                let Some(&b0) = payload.first() else {
                    return false;
                };
                let irap = |t: u8| (16..=21).contains(&t);
                match (b0 >> 1) & 0x3f {
                    48 => payload.get(2..).is_some_and(|rest| {
                        stap_nals(rest, 2).any(|n| n.first().is_some_and(|b| irap((b >> 1) & 0x3f)))
                    }),
                    49 => payload
                        .get(2)
                        .is_some_and(|fu| fu & 0x80 != 0 && irap(fu & 0x3f)),
                    t => irap(t),
                }
            }
        }
    }
}

/// NAL units of an aggregation packet: 16-bit length-prefixed, stopping at the first bad length.
fn stap_nals(mut data: &[u8], len_bytes: usize) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        if data.len() < len_bytes {
            return None;
        }
        let n = usize::from(u16::from_be_bytes([data[0], data[1]]));
        let rest = &data[len_bytes..];
        if n == 0 || n > rest.len() {
            return None;
        }
        let (nal, tail) = rest.split_at(n);
        data = tail;
        Some(nal)
    })
}

/// Most distinct RTP timestamps kept for the rate (at 60 fps, 8 s of frames: far past any window).
const MAX_TIMESTAMPS: usize = 512;
/// Frame intervals that must agree (within [`STEADY_SPREAD`]) before the rate is trusted and the PLAY
/// check may stop: RTP timestamps are exact (90 kHz), so a handful at a constant rate gives it to
/// well within 2%.
const STEADY_STEPS: usize = 6;
const STEADY_SPREAD: f64 = 0.02;
/// Highest frame rate believed from RTP timestamps (high-speed cameras stream 240 fps at most).
const MAX_FPS: f64 = 1000.0;

/// Accumulates RTP packets of one stream. Pure: fed packets, asked for results.
///
/// The frame rate counts every distinct timestamp whatever order it came in: with B-frames
/// (H.264/H.265 main and high profiles) frames are sent in decoding order, so presentation
/// timestamps go back and forth (an I/P frame is sent before the B-frames shown before it). The
/// distinct timestamps, sorted, are consecutive frames; an interval of more than 1.5 times the
/// median is a frame not received (the edges of the window, where a P frame arrived and its
/// B-frames did not yet), and is left out of both the count and the span.
#[derive(Debug, Clone)]
pub struct RtpStats {
    rule: KeyframeRule,
    clock_rate: u32,
    pub packets: u64,
    pub bytes: u64,
    pub keyframe: bool,
    /// Distinct timestamps seen, sorted (at most [`MAX_TIMESTAMPS`]).
    timestamps: Vec<i64>,
    /// Frame size read from the media itself (RTP/JPEG headers).
    pub dimensions: Option<(u32, u32)>,
}

impl RtpStats {
    pub fn new(rule: KeyframeRule, clock_rate: u32) -> Self {
        RtpStats {
            rule,
            clock_rate,
            packets: 0,
            bytes: 0,
            keyframe: false,
            timestamps: Vec::new(),
            dimensions: None,
        }
    }

    /// One packet: its extended RTP timestamp and payload.
    pub fn push(&mut self, timestamp: i64, payload: &[u8]) {
        self.packets += 1;
        self.bytes += payload.len() as u64;
        if !self.keyframe && self.rule.is_keyframe(payload) {
            self.keyframe = true;
        }
        // RFC 2435 §3.1: the JPEG header carries width/8 and height/8 in bytes 6 and 7.
        if self.rule == KeyframeRule::Every
            && self.dimensions.is_none()
            && let [_, _, _, _, _, _, w, h, ..] = payload
            && *w > 0
            && *h > 0
        {
            self.dimensions = Some((u32::from(*w) * 8, u32::from(*h) * 8));
        }
        if let Err(at) = self.timestamps.binary_search(&timestamp)
            && self.timestamps.len() < MAX_TIMESTAMPS
        {
            self.timestamps.insert(at, timestamp);
        }
    }

    /// Distinct frames (timestamps) seen.
    pub fn frames(&self) -> u32 {
        self.timestamps.len() as u32
    }

    /// The intervals between consecutive frames, without the gaps of frames not received.
    fn steps(&self) -> Vec<i64> {
        let mut steps: Vec<i64> = self.timestamps.windows(2).map(|w| w[1] - w[0]).collect();
        if steps.is_empty() {
            return steps;
        }
        let mut sorted = steps.clone();
        sorted.sort_unstable();
        let median = sorted[sorted.len() / 2];
        steps.retain(|&d| d > 0 && d * 2 <= median * 3);
        steps
    }

    /// Frames per second: frame intervals over their span, gaps left out.
    pub fn fps(&self) -> Option<f64> {
        let steps = self.steps();
        if steps.len() < 2 || self.clock_rate == 0 {
            return None;
        }
        let span: i64 = steps.iter().sum();
        let fps = steps.len() as f64 * f64::from(self.clock_rate) / span as f64;
        // Rounded first: a rate that rounds to 0 (frames hours apart) is no rate (found by fuzz
        // target rtp_stats), and none above MAX_FPS is a camera's.
        let fps = (fps * 100.0).round() / 100.0;
        (fps > 0.0 && fps <= MAX_FPS).then_some(fps)
    }

    /// `true` once [`STEADY_STEPS`] frame intervals agree within [`STEADY_SPREAD`]: the rate is
    /// known, more frames would not change it.
    pub fn steady(&self) -> bool {
        let steps = self.steps();
        if steps.len() < STEADY_STEPS {
            return false;
        }
        let (min, max) = steps
            .iter()
            .fold((i64::MAX, i64::MIN), |(lo, hi), &d| (lo.min(d), hi.max(d)));
        (max - min) as f64 <= min as f64 * STEADY_SPREAD
    }

    /// Enough to stop listening: a keyframe and a steady rate (or [`ENOUGH_FRAMES`] frames of an
    /// unsteady one); for a stream with no keyframes to look for (audio), [`ENOUGH_FRAMES`]
    /// packets.
    pub fn enough(&self) -> bool {
        if self.rule == KeyframeRule::Unknown {
            return self.packets >= u64::from(ENOUGH_FRAMES);
        }
        self.keyframe && (self.steady() || self.frames() >= ENOUGH_FRAMES)
    }
}

/// One stream's retina session: what to do with it.
pub struct Check<'a> {
    pub url: &'a str,
    pub cred: Option<&'a Credential>,
    /// Deadline of each step (DESCRIBE, SETUP, PLAY, the first media packet); busy answers are
    /// waited out within one such deadline.
    pub timeout: Duration,
    /// Longest measurement after the first media packet (it stops earlier once [`RtpStats::enough`]).
    pub window: Duration,
    /// SETUP + PLAY and measure (the PLAY check); `false`: DESCRIBE only.
    pub play: bool,
    /// The device's session group: retina records the TEARDOWN of dropped sessions there.
    pub group: Option<Arc<SessionGroup>>,
    /// The scan's media budget: the PLAY waits for room in it.
    pub media: &'a MediaBudget,
}

/// One retina session on a stream: DESCRIBE, handing the described session to `described` (for its
/// media facts), then when asked SETUP + PLAY and measure, all on one connection. A busy answer
/// (503, 453) to any step is waited out within one step deadline and the session started again; a
/// SETUP over TCP refused (`461 Unsupported Transport`, retina#103, or any other refusal:
/// [`tcp_refused`]) is asked again over UDP in the same session. Errors are messages naming the
/// step that failed.
pub async fn session(
    check: &Check<'_>,
    described: &mut (dyn FnMut(&Session<Described>) + Send),
) -> Result<Option<Measured>, Failed> {
    let transport = Transport::Tcp(TcpTransportOptions::default());
    let mut busy = Busy::new(check.timeout);
    loop {
        match once(check, transport.clone(), described).await {
            Err(Step {
                status: Some(status),
                message,
                ..
            }) if is_busy(status) => {
                tracing::debug!(url = check.url, status, "busy; starting the session again");
                if !busy.wait(None).await {
                    return Err(Failed {
                        message: format!(
                            "{message} (busy for {}, asked {} times)",
                            fmt_duration(check.timeout),
                            busy.attempts() + 1
                        ),
                        timed_out: false,
                        status: Some(status),
                    });
                }
            }
            other => {
                return other.map_err(|s| Failed {
                    message: s.message,
                    timed_out: s.timed_out,
                    status: s.status,
                });
            }
        }
    }
}

/// Why a stream's session failed: a message naming the step, and whether the step got no answer
/// in time (rather than an answer retina refused), and the RTSP status of the answer that ended
/// it, when one did (before the session was described: DESCRIBE's).
#[derive(Debug)]
pub struct Failed {
    pub message: String,
    pub timed_out: bool,
    pub status: Option<u16>,
}

/// Why one step of a retina session failed.
pub struct Step {
    pub status: Option<u16>,
    pub message: String,
    pub(crate) timed_out: bool,
}

/// One retina call under `timeout`, its failure a message naming the step and the URL. Each step
/// is one RTSP request (DESCRIBE, SETUP, PLAY; retina's answer to a 401 and its TEARDOWN are not
/// counted): it takes a token of the device's gate ([`net::host_gate`]) first, and is
/// counted there.
pub async fn step<T>(
    what: &str,
    url: &str,
    timeout: Duration,
    fut: impl std::future::Future<Output = Result<T, retina::Error>>,
) -> Result<T, Step> {
    if let Some(ip) = url_ip(url) {
        net::host_gate::request(ip, net::host_gate::Wire::Rtsp).await;
    }
    let asked = std::time::Instant::now();
    let r = tokio::time::timeout(timeout, fut).await;
    tracing::debug!(
        url,
        ms = asked.elapsed().as_millis() as u64,
        ok = matches!(r, Ok(Ok(_))),
        "retina {what}"
    );
    match r {
        Err(_) => Err(Step {
            status: None,
            message: format!(
                "RTSP {what} {url}: no answer within {}",
                fmt_duration(timeout)
            ),
            timed_out: true,
        }),
        Ok(Err(e)) => Err(Step {
            status: e.status_code(),
            message: format!("RTSP {what} {url}: {}", one_line(&e)),
            timed_out: false,
        }),
        Ok(Ok(v)) => Ok(v),
    }
}

/// The address a URL names, when it is one.
fn url_ip(url: &str) -> Option<std::net::IpAddr> {
    let u = url::Url::parse(url).ok()?;
    match u.host()? {
        url::Host::Ipv4(a) => Some(a.into()),
        url::Host::Ipv6(a) => Some(a.into()),
        url::Host::Domain(_) => None,
    }
}

/// Whether a SETUP over TCP answered `status` is a refusal of the transport, for the check to
/// ask for UDP: any `4xx` but a login (401, 407) or a busy server (453). RFC 2326 §11.3.13 names
/// `461 Unsupported Transport`, and many servers answer it; rtsp-rs 0.1 (PyPI) answers `461`,
/// others a plain `400 Bad Request`, and ffplay, whose default is UDP, plays them all.
pub(crate) fn tcp_refused(status: Option<u16>) -> bool {
    status.is_some_and(|s| (400..500).contains(&s) && !matches!(s, 401 | 407 | 453))
}

/// One DESCRIBE and, when asked, one PLAY check over `transport`: the media a window receives.
async fn once(
    check: &Check<'_>,
    transport: Transport,
    described: &mut (dyn FnMut(&Session<Described>) + Send),
) -> Result<Option<Measured>, Step> {
    let (url, timeout) = (check.url, check.timeout);
    let mut session = describe(check).await?;
    described(&session);
    if !check.play {
        return Ok(None);
    }
    let index = stream_to_measure(&session, url)?;
    let st = &session.streams()[index];
    let stats = RtpStats::new(
        KeyframeRule::for_encoding(st.encoding_name()),
        st.clock_rate_hz(),
    );
    let is_video = st.media() == "video";
    // Room in the media budget before the SETUP: a check that waits holds no session open.
    let pull = check.media.admit().await;
    let transport_name = match step(
        "SETUP",
        url,
        timeout,
        session.setup(index, SetupOptions::default().transport(transport.clone())),
    )
    .await
    {
        Ok(_) => transport.to_string(),
        Err(refused) if matches!(transport, Transport::Tcp(_)) && tcp_refused(refused.status) => {
            let status = refused.status.unwrap_or_default();
            tracing::debug!(url, status, "SETUP over TCP refused; trying UDP");
            let udp = Transport::Udp(UdpTransportOptions::default());
            step(
                "SETUP",
                url,
                timeout,
                session.setup(index, SetupOptions::default().transport(udp.clone())),
            )
            .await
            .map_err(|e| Step {
                message: format!(
                    "RTSP SETUP {url}: RTP over TCP refused ({}) and over UDP: {}",
                    net::rtsp::status_words(status),
                    e.message
                ),
                ..e
            })?;
            udp.to_string()
        }
        Err(e) => return Err(e),
    };
    let patience = start_patience(timeout);
    let mut playing = step("PLAY", url, patience, session.play(PlayOptions::default())).await?;
    let mut reading = Reading::new(stats, patience, check.window, pull);
    reading.checked();
    receive(&mut playing, index, &mut reading, url).await?;
    drop(playing); // TEARDOWN (retina's Auto policy), tracked in the device's session group
    let Some(start) = reading.start else {
        return Err(Step {
            status: None,
            message: format!(
                "RTSP PLAY {url}: no media packet within {}",
                fmt_duration(patience)
            ),
            timed_out: true,
        });
    };
    Ok(Some(measured(
        start,
        transport_name,
        is_video,
        &reading.stats,
    )))
}

/// The DESCRIBE of `check.url`, with its credential and session group, under the start patience.
async fn describe(check: &Check<'_>) -> Result<Session<Described>, Step> {
    let (url, timeout) = (check.url, check.timeout);
    let parsed = url::Url::parse(url).map_err(|e| Step {
        status: None,
        message: format!("bad URL {url}: {e}"),
        timed_out: false,
    })?;
    let mut opts = SessionOptions::default()
        .user_agent(USER_AGENT.to_string())
        .creds(check.cred.map(|c| retina::client::Credentials {
            username: c.username.clone(),
            password: c.password.clone(),
        }));
    if let Some(g) = &check.group {
        opts = opts.session_group(g.clone());
    }
    step(
        "DESCRIBE",
        url,
        start_patience(timeout),
        Session::describe(parsed, opts),
    )
    .await
}

/// The stream a PLAY check measures: the video stream if there is one, else the first.
fn stream_to_measure(session: &Session<Described>, url: &str) -> Result<usize, Step> {
    session
        .streams()
        .iter()
        .position(|s| s.media() == "video")
        .or((!session.streams().is_empty()).then_some(0))
        .ok_or_else(|| Step {
            status: None,
            message: format!("{url}: no stream to play"),
            timed_out: false,
        })
}

/// A PLAY check's reading of one stream: the first packet within the start patience, then
/// packets for up to the window after it, until [`RtpStats::enough`]. Shared by the retina
/// session here and the PLAY on the connection that found the stream (`analyze::rtsp::play`).
pub(crate) struct Reading<'b> {
    pub stats: RtpStats,
    /// When the first packet came.
    pub start: Option<Instant>,
    deadline: tokio::time::Instant,
    window: Duration,
    /// The check's share of the scan's media budget, told of every byte.
    pull: Pull<'b>,
}

impl<'b> Reading<'b> {
    pub fn new(stats: RtpStats, patience: Duration, window: Duration, pull: Pull<'b>) -> Self {
        Reading {
            stats,
            start: None,
            deadline: tokio::time::Instant::now() + patience,
            window,
            pull,
        }
    }

    /// The check runs to its end (its PLAY was answered): it counts among the scan's checks,
    /// media or not.
    pub fn checked(&mut self) {
        self.pull.checked();
    }

    /// When to stop waiting: the patience's end before the first packet, the window's after it.
    pub fn deadline(&self) -> tokio::time::Instant {
        self.deadline
    }

    /// One packet of the stream measured (its extended RTP timestamp); `true` once enough came.
    pub fn packet(&mut self, url: &str, timestamp: i64, payload: &[u8]) -> bool {
        if self.start.is_none() {
            tracing::debug!(url, "first media packet");
            self.start = Some(Instant::now());
            self.deadline = tokio::time::Instant::now() + self.window;
        }
        self.stats.push(timestamp, payload);
        self.pull.pulled(payload.len() as u64);
        self.stats.enough()
    }
}

/// Receive stream `index`'s packets into `reading` until they are enough, its deadline passes,
/// or the stream ends. An error before any packet is the check's error, one after it keeps what
/// was measured.
async fn receive(
    playing: &mut Session<Playing>,
    index: usize,
    reading: &mut Reading<'_>,
    url: &str,
) -> Result<(), Step> {
    // The first packet may take a while: an encoder with look-ahead (x264 without zerolatency, as
    // GStreamer servers and NVR re-streamers run it) sends nothing for ~1.5 s after PLAY. It gets
    // the start patience; the measuring window starts with it.
    loop {
        let item = tokio::select! {
            item = playing.next() => item,
            _ = tokio::time::sleep_until(reading.deadline()) => break,
        };
        match item {
            Some(Ok(PacketItem::Rtp(p))) if p.stream_id() == index => {
                if reading.packet(url, p.timestamp().timestamp(), p.payload()) {
                    break;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                if reading.stats.packets == 0 {
                    return Err(Step {
                        status: e.status_code(),
                        message: format!("RTSP PLAY {url}: {}", one_line(&e)),
                        timed_out: false,
                    });
                }
                break; // keep what we measured
            }
            None => break,
        }
    }
    Ok(())
}

/// What a PLAY check measured from its first packet on.
pub fn measured(start: Instant, transport: String, is_video: bool, stats: &RtpStats) -> Measured {
    let elapsed = start.elapsed();
    let secs = elapsed.as_secs_f64().max(0.001);
    Measured {
        transport,
        packets: stats.packets,
        bytes: stats.bytes,
        fps: if is_video { stats.fps() } else { None },
        bitrate_kbps: Some(((stats.bytes as f64 * 8.0 / 1000.0 / secs) * 10.0).round() / 10.0),
        keyframe: stats.keyframe,
        duration_ms: elapsed.as_millis() as u64,
        width: stats.dimensions.map(|d| d.0),
        height: stats.dimensions.map(|d| d.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which answers to a SETUP over TCP ask for UDP: rtsp-rs' `461`, a plain `400` (issue 84),
    /// any other refusal; not a login, not a busy server, not a success or a server error.
    #[test]
    fn any_refusal_of_tcp_asks_for_udp() {
        for refused in [400, 403, 404, 406, 461, 462] {
            assert!(tcp_refused(Some(refused)), "{refused}");
        }
        for other in [200, 401, 407, 453, 500, 503] {
            assert!(!tcp_refused(Some(other)), "{other}");
        }
        assert!(!tcp_refused(None));
    }

    #[test]
    fn fps_from_timestamps() {
        // 25 fps at 90 kHz: 3600 ticks per frame, two packets per frame.
        let mut s = RtpStats::new(KeyframeRule::H264, 90_000);
        for f in 0..26i64 {
            s.push(f * 3600, &[0x41, 0]);
            s.push(f * 3600, &[0x41, 1]);
        }
        assert_eq!(s.frames(), 26);
        assert_eq!(s.fps(), Some(25.0));
        assert_eq!(s.packets, 52);
        assert!(!s.keyframe);
    }

    #[test]
    fn b_frames_in_decoding_order_count_every_frame() {
        // x264 with 2 B-frames at 12 fps sends I0 P3 B1 B2 P6 B4 B5 ...: presentation timestamps
        // go back and forth. Reading only timestamps later than the last one drops the B-frames
        // (that reading measured a real 12 fps x264 stream as 10).
        let order = [0i64, 3, 1, 2, 6, 4, 5, 9, 7, 8, 12, 10, 11, 15];
        let mut s = RtpStats::new(KeyframeRule::H264, 90_000);
        for f in order {
            let nal: &[u8] = if f == 0 { &[0x65, 0] } else { &[0x41, 0] };
            s.push(1_000 + f * 7_500, nal);
        }
        assert_eq!(s.frames(), 14);
        // 15 arrived before 13 and 14: their gap is left out, the rate stays exact.
        assert_eq!(s.fps(), Some(12.0));
        assert!(s.steady() && s.keyframe && s.enough());
    }

    #[test]
    fn steady_needs_agreeing_intervals_and_enough_needs_a_keyframe() {
        let mut s = RtpStats::new(KeyframeRule::H264, 90_000);
        for f in 0..6i64 {
            s.push(f * 3_600, &[0x41]);
        }
        assert!(!s.steady(), "five intervals are not enough");
        s.push(6 * 3_600, &[0x41]);
        assert!(s.steady());
        assert!(!s.enough(), "no keyframe yet");
        s.push(7 * 3_600, &[0x65]);
        assert!(s.enough());
        // A camera stamping frames by its wall clock, 5% apart: not steady, measured on.
        let mut j = RtpStats::new(KeyframeRule::H264, 90_000);
        let mut t = 0;
        for f in 0..10 {
            t += if f % 2 == 0 { 3_500 } else { 3_700 };
            j.push(t, &[0x65]);
        }
        assert!(!j.steady());
        assert!(!j.enough());
        assert!((j.fps().unwrap() - 25.0).abs() < 0.25, "{:?}", j.fps());
        // Audio (no keyframes to look for) is enough after ENOUGH_FRAMES packets.
        let mut a = RtpStats::new(KeyframeRule::Unknown, 8_000);
        for p in 0..ENOUGH_FRAMES {
            assert!(!a.enough());
            a.push(i64::from(p) * 160, &[0]);
        }
        assert!(a.enough());
    }

    #[test]
    fn implausible_rates_are_no_rate() {
        // Found by fuzz target rtp_stats: frames hours apart rounded to 0 fps.
        let input = crate::test_fixture("rtp/fuzz_fps_rounds_to_zero.bin");
        let mut s = RtpStats::new(KeyframeRule::Every, 90_000);
        let mut rest = &input[1..];
        while rest.len() >= 5 {
            let ts = i64::from(u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]));
            let len = usize::from(rest[4]).min(rest.len() - 5);
            s.push(ts, &rest[5..5 + len]);
            rest = &rest[5 + len..];
            assert_ne!(s.fps(), Some(0.0));
        }
        // One tick apart: 90 000 fps is no camera's.
        let mut fast = RtpStats::new(KeyframeRule::H264, 90_000);
        for t in 0..10 {
            fast.push(t, &[0x65]);
        }
        assert_eq!(fast.fps(), None);
    }

    #[test]
    fn too_few_frames_give_no_fps() {
        let mut s = RtpStats::new(KeyframeRule::H264, 90_000);
        s.push(0, &[1]);
        s.push(3600, &[1]);
        assert_eq!(s.fps(), None);
    }

    #[test]
    fn keyframes() {
        let k = KeyframeRule::H264;
        assert!(k.is_keyframe(&[0x65, 0x88])); // IDR
        assert!(!k.is_keyframe(&[0x41, 0x9a])); // non-IDR slice
        assert!(k.is_keyframe(&[0x7c, 0x85])); // FU-A start of IDR
        assert!(!k.is_keyframe(&[0x7c, 0x05])); // FU-A continuation
        assert!(k.is_keyframe(&[0x78, 0, 2, 0x67, 0x42, 0, 1, 0x65])); // STAP-A with SPS then IDR
        assert!(!k.is_keyframe(&[0x78, 0, 9, 0x67])); // STAP-A with a bad length
        let h = KeyframeRule::H265;
        assert!(h.is_keyframe(&[19 << 1, 1])); // IDR_W_RADL
        assert!(!h.is_keyframe(&[1 << 1, 1])); // TRAIL_R
        assert!(h.is_keyframe(&[49 << 1, 1, 0x80 | 20])); // FU start of CRA
        assert!(KeyframeRule::Every.is_keyframe(&[0]));
        let mut j = RtpStats::new(KeyframeRule::Every, 90_000);
        j.push(0, &[0, 0, 0, 0, 1, 70, 80, 60]); // RFC 2435 header: 640x480
        assert_eq!(j.dimensions, Some((640, 480)));
        for junk in [&[][..], &[0x7c], &[0x78, 0], &[0x62]] {
            let _ = k.is_keyframe(junk);
            let _ = h.is_keyframe(junk);
        }
    }
}
