//! Media read live off an HTTP response: HTTP-FLV (metadata, codecs, tag rate), HTTP-TS (program
//! map, SPS, ADTS) and MJPEG (parts, size, the measured frame rate), each within its window.

use super::manifest::apply_ts;
use super::{HttpSettings, MAX_FLV, MAX_TS};
use error::{AnalyzeError, NetError};
use model::{Measured, Protocol, Stream, VideoInfo};
use net::http::OpenGet;
use proto::{mjpeg, ts};
use std::time::Duration;

/// MJPEG parts read after the opening burst to measure the frame rate (within the window), at
/// most: an even stream stops sooner ([`MJPEG_SETTLED`]).
pub(super) const MJPEG_PARTS: usize = 15;
/// Steady intervals between MJPEG parts needed at least before the measurement may end before
/// [`MJPEG_PARTS`] (when the rate's error bound is within [`MJPEG_AGREE`]: `live::rate_settled`).
pub(super) const MJPEG_SETTLED: usize = 6;
/// The error bound on the rate that ends the measurement early: 2% (the accuracy asked is 5%).
pub(super) const MJPEG_AGREE: f64 = 0.02;
/// How long a slow MJPEG stream is watched at least (the verify window when longer): 15 parts of a
/// 5 fps camera. A busy machine (the server's or ours) sends and reads parts late and bunched; the
/// rate's error falls fast with the number of parts, and 10 parts (2 s at 5 fps) have read 5.26.
pub(super) const MJPEG_MIN_WINDOW: Duration = Duration::from_secs(3);
/// How far apart the periods of the two halves of the steady MJPEG parts may be, as a share of the
/// period of them all, for the rate to stand at the end of the window (`live::halves_agree`): 3%.
/// VLC's 5 fps stream starved of CPU (a 250 ms cgroup period, 2% quota), replayed from 308 start
/// points: 301 within 5% at 3%, 299 at 5%.
pub(super) const MJPEG_HALVES: f64 = 0.03;
/// How long an MJPEG stream whose halves disagree is watched at most (the verify window when
/// longer): three windows of [`MJPEG_MIN_WINDOW`], time for a stall or two to pass.
pub(super) const MJPEG_MAX_WINDOW: Duration = Duration::from_secs(9);
/// MJPEG parts after the opening burst at which the measurement ends, agreeing halves or not.
pub(super) const MJPEG_MAX_PARTS: usize = 45;
/// Parts that arrive closer than this to the one before, at the start of a stream, are the
/// server's buffer flushed at once (VLC sends what it holds back to back), not the camera's rate.
const BURST_GAP: f64 = 0.015;
/// A live media answer (MJPEG, HTTP-FLV, HTTP-TS) to the GET of `path` on `addr`, read as its
/// kind is; `None` for any other answer. The port is marked live at once ([`HttpSettings::live`]):
/// its RTSP walk, if it answers RTSP too, need not go on past its first round.
pub(super) async fn stream(
    got: &mut OpenGet,
    ctype: &str,
    (addr, path, url): (std::net::SocketAddr, &str, &str),
    s: &HttpSettings,
) -> Option<Result<Stream, AnalyzeError>> {
    let what = if ctype.starts_with("multipart/") {
        "MJPEG"
    } else if ctype.starts_with("video/x-flv") || got.body.starts_with(b"FLV\x01") {
        "HTTP-FLV"
    } else if ctype.starts_with("video/mp2t") {
        "HTTP-TS"
    } else {
        return None;
    };
    s.live.mark(addr);
    let (url, port) = (url.to_string(), addr.port());
    let read = match what {
        "MJPEG" => mjpeg_stream(got, url, port, s).await,
        "HTTP-FLV" => flv_stream(got, url, port, s).await,
        _ => ts_stream(got, url, port, s).await,
    };
    Some(read.map_err(|e| e.within(format!("{what} {path}"))))
}

/// Read the start of an HTTP-FLV stream (at most [`MAX_FLV`], within the step timeout) until its
/// `onMetaData` and codecs are known.
pub(super) async fn flv_stream(
    got: &mut OpenGet,
    url: String,
    port: u16,
    s: &HttpSettings,
) -> Result<Stream, AnalyzeError> {
    use proto::flv;
    let deadline = tokio::time::Instant::now() + s.timeout;
    got.read_while(MAX_FLV, deadline, |b| {
        flv::parse(b).is_ok_and(|i| i.complete())
    })
    .await?;
    let info = flv::parse(&got.body).map_err(AnalyzeError::malformed)?;
    let mut stream = Stream::new(url, Protocol::Flv, port);
    // Tags arrived: the stream is live, not only announced.
    stream.verified = info.tags > 0;
    (stream.video, stream.audio) = crate::rtmp::metadata_facts(&info.metadata);
    if let Some(v) = stream.video.as_mut()
        && v.fps.is_none()
        && let Some(fps) = info.measured_fps()
    {
        v.fps = Some(fps);
        v.fps_source = Some("timestamps".into());
    }
    Ok(stream)
}

/// Read the start of an HTTP-TS stream (at most [`MAX_TS`], within the step timeout) until its
/// program map, an H.264 stream's SPS and an AAC stream's ADTS header have arrived.
pub(super) async fn ts_stream(
    got: &mut OpenGet,
    url: String,
    port: u16,
    s: &HttpSettings,
) -> Result<Stream, AnalyzeError> {
    let deadline = tokio::time::Instant::now() + s.timeout;
    got.read_while(MAX_TS, deadline, ts_facts_complete).await?;
    ts_described(url, port, &got.body)
}

/// The program map is there, and so are the SPS and ADTS header of the streams that have them.
pub(super) fn ts_facts_complete(bytes: &[u8]) -> bool {
    let streams = ts::streams(bytes);
    let has = |t: u8| streams.iter().any(|(st, _)| *st == t);
    !streams.is_empty()
        && (!has(0x1b) || ts::h264_sps(bytes).is_some())
        && (!has(0x0f) || ts::adts(bytes).is_some())
}

/// A transport stream as a stream: its program map's codecs and what their headers say.
pub(super) fn ts_described(url: String, port: u16, bytes: &[u8]) -> Result<Stream, AnalyzeError> {
    if ts::streams(bytes).is_empty() {
        return Err(AnalyzeError::Missing(format!(
            "no program map table in the first {} bytes",
            bytes.len()
        )));
    }
    let mut stream = Stream::new(url, Protocol::Ts, port);
    apply_ts(&mut stream, bytes);
    // Packets of a live program arrived.
    stream.verified = true;
    Ok(stream)
}

/// Watch an MJPEG stream: parts, sizes, and the measured frame rate.
pub(super) async fn mjpeg_stream(
    got: &mut OpenGet,
    url: String,
    port: u16,
    s: &HttpSettings,
) -> Result<Stream, AnalyzeError> {
    let ctype = got.head.header("content-type").unwrap_or("").to_string();
    // Room in the scan's media budget first (the server's sending waits on TCP meanwhile).
    let mut pull = s.media.admit().await;
    pull.checked();
    pull.pulled(got.body.len() as u64);
    let started = tokio::time::Instant::now();
    let window = s.window.max(MJPEG_MIN_WINDOW).as_secs_f64();
    let mut parts = mjpeg::Parts::new(&ctype);
    // Seconds since `started` of each part, for the rate.
    let mut secs: Vec<f64> = Vec::new();
    let mut size: Option<(u16, u16)> = None;
    let mut bytes = 0u64;
    loop {
        parts
            .feed(&got.body)
            .map_err(|_| AnalyzeError::Missing("multipart stream with no boundary".into()))?;
        // Keep memory flat: what the splitter took is not needed again.
        got.body.clear();
        while let Some(part) = parts.next_part().map_err(AnalyzeError::malformed)? {
            secs.push(started.elapsed().as_secs_f64());
            bytes += part.body.len() as u64;
            if size.is_none() {
                size = mjpeg::jpeg_dimensions(&part.body);
            }
        }
        let until = match next_step(&secs, started.elapsed().as_secs_f64(), window) {
            Step::Done => break,
            Step::ReadUntil(until) => started + Duration::from_secs_f64(until),
        };
        match got.read_more(until).await {
            Ok(0) => break,
            Ok(n) => pull.pulled(n as u64),
            // The next step looks at the time: the window goes on, or it is over.
            Err(NetError::Timeout { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if secs.is_empty() {
        return Err(AnalyzeError::Missing(format!(
            "no JPEG frame within {}",
            error::fmt_duration(s.window.max(MJPEG_MIN_WINDOW))
        )));
    }
    let mut stream = Stream::new(url, Protocol::Mjpeg, port);
    let mut video = VideoInfo::new("mjpeg".into());
    (video.width, video.height) = match size {
        Some((w, h)) => (Some(u32::from(w)), Some(u32::from(h))),
        None => (None, None),
    };
    let fps = measured_rate(&secs).map(|f| (f * 100.0).round() / 100.0);
    tracing::debug!(url = %stream.url, ?secs, ?fps, "MJPEG part arrivals (s)");
    video.fps = fps;
    video.fps_source = fps.map(|_| "parts".to_string());
    let duration = started.elapsed();
    stream.measured = Some(Measured {
        transport: "tcp".into(),
        packets: secs.len() as u64,
        bytes,
        fps,
        bitrate_kbps: (duration.as_secs_f64() > 0.0)
            .then(|| (bytes as f64 * 8.0 / 1000.0 / duration.as_secs_f64() * 10.0).round() / 10.0),
        keyframe: true,
        duration_ms: duration.as_millis() as u64,
        width: video.width,
        height: video.height,
    });
    stream.video = Some(video);
    stream.verified = true;
    Ok(stream)
}

/// The arrivals `t` (seconds) from the source's cadence on: the first part and the opening burst
/// (leading parts closer together than half the median gap: a server flushing its buffer) cut
/// off. Empty with fewer than three arrivals.
fn steady(t: &[f64]) -> &[f64] {
    if t.len() < 3 {
        return &[];
    }
    let mut gaps: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_by(f64::total_cmp);
    let median_gap = gaps[gaps.len() / 2];
    let burst = t
        .windows(2)
        .take_while(|w| w[1] - w[0] < median_gap / 2.0)
        .count();
    // The burst's last part came at connection time too: the source's cadence starts after it.
    &t[burst + 1..]
}

/// Whether the rate of parts that arrived at `t` (seconds) is known before [`MJPEG_PARTS`]: at
/// least [`MJPEG_SETTLED`] steady intervals, and the rate's error bound within [`MJPEG_AGREE`],
/// read one of three ways:
/// - even ([`even_settled`]): every steady part near one line;
/// - on its lower line ([`lower_line_settled`]): at least half of them near the line the
///   reported rate is the slope of, the others late;
/// - on the line most of them lie near ([`majority_line`]), the others early or late: the rate
///   is then read from that line ([`measured_rate`]).
pub fn rate_settled(t: &[f64]) -> bool {
    let steady = steady(t);
    steady.len() > MJPEG_SETTLED
        && (even_settled(steady) || lower_line_settled(steady) || majority_line(steady).is_some())
}

/// The frame rate the MJPEG measurement reports for parts that arrived at `t` (seconds): the
/// slope of the line it stopped on when only [`majority_line`] settled it, else [`steady_rate`].
pub fn measured_rate(t: &[f64]) -> Option<f64> {
    let steady = steady(t);
    if steady.len() > MJPEG_SETTLED
        && !even_settled(steady)
        && !lower_line_settled(steady)
        && let Some(period) = majority_line(steady)
    {
        return Some(1.0 / period);
    }
    steady_rate(t)
}

/// The bound: every steady part lies within `e` seconds of the line the period is the slope of
/// (the read of a part is late or early by at most `e`), so over a span of `S` seconds the period
/// is off by at most `2e / S`. A loaded machine (the server's or ours) reads parts late and
/// bunched: `e` is large, and the measurement goes on to [`MJPEG_PARTS`], which keeps the 5%
/// accuracy there. VLC's MJPEG server at 5 fps in the bench lab, with its first intervals 6% apart,
/// stops after 8 parts (1.4 s) where six intervals within 2% of each other took 13 (2.4 s).
fn even_settled(steady: &[f64]) -> bool {
    let Some(period) = theil_sen(steady) else {
        return false;
    };
    let mut offsets: Vec<f64> = steady
        .iter()
        .enumerate()
        .map(|(i, x)| x - period * i as f64)
        .collect();
    offsets.sort_by(f64::total_cmp);
    let start = offsets[offsets.len() / 2];
    let off_line = steady
        .iter()
        .enumerate()
        .map(|(i, x)| (x - start - period * i as f64).abs())
        .fold(0.0, f64::max);
    let span = steady[steady.len() - 1] - steady[0];
    span > 0.0 && 2.0 * off_line <= MJPEG_AGREE * span
}

/// The same bound on the line [`period`] reports the rate from (every part on or above it): the
/// parts within half the bound's budget of it (`MJPEG_AGREE * S / 2`), when they are at least half
/// of the steady parts, lie within `e` of it over their own span `S'`, and `2e / S'` is within
/// [`MJPEG_AGREE`]. The parts above it are late (a part is never sent before its time) and do not
/// move it. VLC 3.0's MJPEG output at 5 fps in the bench lab shifts its cadence by about half a
/// period for a few parts every second or two (its parts 80-100 ms off the line): an even line is
/// never within the bound then, and the measurement read on to 15 parts or more (2.8-4.3 s) where
/// the parts on the lower line gave the rate within 1% after 9-17 (1.5-3.1 s).
fn lower_line_settled(steady: &[f64]) -> bool {
    let Some((a, period)) = lower_edge(steady) else {
        return false;
    };
    let above = |i: usize| steady[i] - steady[a] - period * (i as f64 - a as f64);
    let span = steady[steady.len() - 1] - steady[0];
    let near: Vec<usize> = (0..steady.len())
        .filter(|&i| above(i) <= MJPEG_AGREE * span / 2.0)
        .collect();
    let (Some(&first), Some(&last)) = (near.first(), near.last()) else {
        return false;
    };
    if near.len() < MJPEG_SETTLED + 1 || 2 * near.len() < steady.len() {
        return false;
    }
    let e = near.iter().map(|&i| above(i).abs()).fold(0.0, f64::max);
    let near_span = steady[last] - steady[first];
    near_span > 0.0 && 2.0 * e <= MJPEG_AGREE * near_span
}

/// The most steady parts [`majority_line`] looks at: it tries the line through every pair of them
/// against every part, so its work grows with the cube of their number. A measurement ends at
/// [`MJPEG_MAX_PARTS`] steady parts, but one read may bring many (a server flushing a buffer, or
/// a hostile one sending thousands of tiny parts at once); past this many the rule is not tried.
const MAJORITY_MAX: usize = 2 * MJPEG_MAX_PARTS;

/// The period of the line most steady parts lie near, early or late, when it settles the rate:
/// of the lines through two parts, the first with the most parts within a quarter of the bound's
/// budget of it (`MJPEG_AGREE * S / 4` over the steady span `S`); when they are at least half of
/// the steady parts (and [`MJPEG_SETTLED`] + 1 at least), the least-squares line through them,
/// and every one of them within `e` of it, `2e / S'` within [`MJPEG_AGREE`] over their own span
/// `S'`. VLC 3.0's MJPEG output at 5 fps in the bench lab also sends a few parts about 100 ms
/// early (four on a cadence half a period before the rest): the lower line then runs through the
/// early ones, and one rescan read 31 parts (6.0 s) where this line gave 4.95 fps after 13. With
/// half the bound as the tolerance, a read of the starved recordings (`a_starved_mjpeg_stream_is_
/// measured_within_5_percent`) reported 19% off where it reports 11% at most with a quarter.
fn majority_line(steady: &[f64]) -> Option<f64> {
    let n = steady.len();
    if n <= MJPEG_SETTLED || n > MAJORITY_MAX {
        return None;
    }
    let span = steady[n - 1] - steady[0];
    if span <= 0.0 {
        return None;
    }
    let tolerance = MJPEG_AGREE * span / 4.0;
    let mut best: Vec<usize> = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let slope = (steady[j] - steady[i]) / (j - i) as f64;
            if slope <= 0.0 {
                continue;
            }
            let near = (0..n).filter(|&k| {
                (steady[k] - steady[i] - slope * (k as f64 - i as f64)).abs() <= tolerance
            });
            if near.clone().count() > best.len() {
                best = near.collect();
            }
        }
    }
    if best.len() < MJPEG_SETTLED + 1 || 2 * best.len() < n {
        return None;
    }
    // Least squares through the parts near the line: part number against arrival.
    let count = best.len() as f64;
    let mean_k = best.iter().map(|&k| k as f64).sum::<f64>() / count;
    let mean_t = best.iter().map(|&k| steady[k]).sum::<f64>() / count;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &k in &best {
        sxy += (k as f64 - mean_k) * (steady[k] - mean_t);
        sxx += (k as f64 - mean_k).powi(2);
    }
    let period = sxy / sxx;
    if period.is_nan() || period <= 0.0 {
        return None;
    }
    let e = best
        .iter()
        .map(|&k| (steady[k] - mean_t - period * (k as f64 - mean_k)).abs())
        .fold(0.0, f64::max);
    let near_span = steady[best[best.len() - 1]] - steady[best[0]];
    (near_span > 0.0 && 2.0 * e <= MJPEG_AGREE * near_span).then_some(period)
}

/// What the MJPEG measurement does next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Step {
    /// The rate is known, or the longest window is over.
    Done,
    /// Read on until this many seconds after the measurement started.
    ReadUntil(f64),
}

/// The MJPEG measurement's next step, from the parts' arrival seconds `t` at `elapsed` seconds
/// into a `window` (the verify window, at least [`MJPEG_MIN_WINDOW`]):
/// - done early when an even stream's rate is known ([`rate_settled`]);
/// - at the end of the window (or after [`MJPEG_PARTS`] steady parts), done when the two halves
///   of the steady parts give the same rate ([`halves_agree`]);
/// - else read on, to [`MJPEG_MAX_WINDOW`] (or [`MJPEG_MAX_PARTS`] steady parts) at most.
///
/// A loaded machine (the server's or ours) stalls the stream, then sends or reads what piled up
/// at once: 3 s of VLC's 5 fps stream held 8 parts in bunches whose rate read 7.4 fps. Reading
/// on until both halves agree gives back the time a stall took.
pub(super) fn next_step(t: &[f64], elapsed: f64, window: f64) -> Step {
    if rate_settled(t) {
        return Step::Done;
    }
    let counted = steady_parts(t);
    let last = window.max(MJPEG_MAX_WINDOW.as_secs_f64());
    if elapsed < window && counted < MJPEG_PARTS {
        return Step::ReadUntil(window);
    }
    // No part in the whole window: nothing to wait for.
    if t.is_empty() || halves_agree(t) || counted >= MJPEG_MAX_PARTS || elapsed >= last {
        return Step::Done;
    }
    Step::ReadUntil(last)
}

/// Parts that arrived at `t` (seconds) after the opening burst (see [`BURST_GAP`]).
pub(super) fn steady_parts(t: &[f64]) -> usize {
    let burst = t.windows(2).take_while(|w| w[1] - w[0] < BURST_GAP).count();
    t.len().saturating_sub(burst + 1)
}

/// Whether the first and the second half of the steady parts of `t` give the same period, within
/// [`MJPEG_HALVES`] of the period of them all (eight steady parts at least). A stall and the
/// bunch after it bend the rate of the half they fall in, seldom both halves alike.
pub(super) fn halves_agree(t: &[f64]) -> bool {
    let steady = steady(t);
    let n = steady.len();
    if n < 8 {
        return false;
    }
    match (
        period(&steady[..n / 2]),
        period(&steady[n / 2..]),
        period(steady),
    ) {
        (Some(a), Some(b), Some(all)) => (a - b).abs() <= MJPEG_HALVES * all,
        _ => false,
    }
}

/// The frame rate of parts that arrived at `t` (seconds), from the steady part of the window:
/// the first part and the opening burst are cut off (they arrive when the connection opens: the
/// leading parts closer together than half the median gap are a server flushing its buffer),
/// then the period is the slope of the lower line of the arrivals ([`period`]). `None` with
/// fewer than three steady parts.
pub fn steady_rate(t: &[f64]) -> Option<f64> {
    let steady = steady(t);
    if steady.len() < 3 {
        return None;
    }
    period(steady).map(|p| 1.0 / p)
}

/// The period of parts that arrived at `steady` (seconds): the slope of the line under every
/// arrival that lies closest to them all, the linear program of Moon, Skelly and Towsley
/// ("Estimation and removal of clock skew from network delay measurements", IEEE INFOCOM 1999,
/// §IV-B): minimise the summed height of the points above the line. A part is never sent or read
/// before its time, only late (a stalled server, a busy reader, a buffer flushed at once), so
/// delays lift points off the line and leave it alone; a median of slopes (Theil-Sen, used before)
/// is bent by bunches once they are a third of the window. The optimum is the edge of the lower
/// convex hull of (part number, arrival) over the middle part number. `None` when the slope is
/// not positive.
fn period(steady: &[f64]) -> Option<f64> {
    lower_edge(steady).map(|(_, period)| period)
}

/// [`period`]'s edge of the lower convex hull: the part number it starts at, and its slope.
fn lower_edge(steady: &[f64]) -> Option<(usize, f64)> {
    let mut hull: Vec<usize> = Vec::with_capacity(steady.len());
    for i in 0..steady.len() {
        while let [.., a, b] = hull[..] {
            // `b` is not below the line from `a` to `i`: not on the lower hull.
            if (steady[b] - steady[a]) * (i - b) as f64 >= (steady[i] - steady[b]) * (b - a) as f64
            {
                hull.pop();
            } else {
                break;
            }
        }
        hull.push(i);
    }
    let middle = steady.len().saturating_sub(1) as f64 / 2.0;
    let (start, period) = hull
        .windows(2)
        .find(|e| e[0] as f64 <= middle && middle <= e[1] as f64)
        .map(|e| (e[0], (steady[e[1]] - steady[e[0]]) / (e[1] - e[0]) as f64))?;
    (period > 0.0).then_some((start, period))
}

/// The Theil-Sen slope of arrival time against part number (the median of pairwise slopes);
/// `None` when it is not positive. The line [`even_settled`] measures an even stream's parts
/// against (both ways: there, every part is near it).
fn theil_sen(steady: &[f64]) -> Option<f64> {
    let mut slopes: Vec<f64> = Vec::with_capacity(steady.len() * steady.len() / 2);
    for i in 0..steady.len() {
        for j in i + 1..steady.len() {
            slopes.push((steady[j] - steady[i]) / (j - i) as f64);
        }
    }
    slopes.sort_by(f64::total_cmp);
    let n = slopes.len();
    if n == 0 {
        return None;
    }
    let period = if n % 2 == 1 {
        slopes[n / 2]
    } else {
        (slopes[n / 2 - 1] + slopes[n / 2]) / 2.0
    };
    (period > 0.0).then_some(period)
}
