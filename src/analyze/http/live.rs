//! Media read live off an HTTP response: HTTP-FLV (metadata, codecs, tag rate), HTTP-TS (program
//! map, SPS, ADTS) and MJPEG (parts, size, the measured frame rate), each within its window.

use super::manifest::apply_ts;
use super::{
    BURST_GAP, HttpSettings, MAX_FLV, MAX_TS, MJPEG_AGREE, MJPEG_MIN_WINDOW, MJPEG_PARTS,
    MJPEG_SETTLED,
};
use crate::error::{AnalyzeError, NetError};
use crate::model::{Measured, Protocol, Stream, VideoInfo};
use crate::net::http::OpenGet;
use crate::proto::{mjpeg, ts};

/// Read the start of an HTTP-FLV stream (at most [`MAX_FLV`], within the step timeout) until its
/// `onMetaData` and codecs are known.
pub(super) async fn flv_stream(
    got: &mut OpenGet,
    url: String,
    port: u16,
    s: &HttpSettings,
) -> Result<Stream, AnalyzeError> {
    use crate::proto::flv;
    let deadline = tokio::time::Instant::now() + s.timeout;
    got.read_while(MAX_FLV, deadline, |b| {
        flv::parse(b).is_ok_and(|i| i.complete())
    })
    .await?;
    let info = flv::parse(&got.body).map_err(AnalyzeError::malformed)?;
    let mut stream = Stream::new(url, Protocol::Flv, port);
    // Tags arrived: the stream is live, not only announced.
    stream.verified = info.tags > 0;
    (stream.video, stream.audio) = crate::analyze::rtmp::metadata_facts(&info.metadata);
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
    let started = tokio::time::Instant::now();
    let deadline = started + s.window.max(MJPEG_MIN_WINDOW);
    let mut parts = mjpeg::Parts::new(&ctype);
    let mut arrivals: Vec<tokio::time::Instant> = Vec::new();
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
        let before = arrivals.len();
        while let Some(part) = parts.next_part().map_err(AnalyzeError::malformed)? {
            let now = tokio::time::Instant::now();
            arrivals.push(now);
            secs.push(now.duration_since(started).as_secs_f64());
            bytes += part.body.len() as u64;
            if size.is_none() {
                size = mjpeg::jpeg_dimensions(&part.body);
            }
        }
        if steady_parts(&arrivals) >= MJPEG_PARTS {
            break;
        }
        // The rate is looked at again only when a part came.
        if arrivals.len() > before && rate_settled(&secs) {
            break;
        }
        match got.read_more(deadline).await {
            Ok(0) => break,
            Ok(_) => {}
            Err(NetError::Timeout { .. }) => break,
            Err(e) => return Err(e.into()),
        }
    }
    if arrivals.is_empty() {
        return Err(AnalyzeError::Missing(format!(
            "no JPEG frame within {}",
            crate::error::fmt_duration(s.window.max(MJPEG_MIN_WINDOW))
        )));
    }
    let mut stream = Stream::new(url, Protocol::Mjpeg, port);
    let mut video = VideoInfo::new("mjpeg".into());
    (video.width, video.height) = match size {
        Some((w, h)) => (Some(u32::from(w)), Some(u32::from(h))),
        None => (None, None),
    };
    let fps = steady_rate(&secs).map(|f| (f * 100.0).round() / 100.0);
    tracing::debug!(url = %stream.url, ?secs, ?fps, "MJPEG part arrivals (s)");
    video.fps = fps;
    video.fps_source = fps.map(|_| "parts".to_string());
    let duration = started.elapsed();
    stream.measured = Some(Measured {
        transport: "tcp".into(),
        packets: arrivals.len() as u64,
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
/// least [`MJPEG_SETTLED`] steady intervals, and the rate's error bound within [`MJPEG_AGREE`].
/// The bound: every steady part lies within `e` seconds of the line the period is the slope of
/// (the read of a part is late or early by at most `e`), so over a span of `S` seconds the period
/// is off by at most `2e / S`. A loaded machine (the server's or ours) reads parts late and
/// bunched: `e` is large, and the measurement goes on to [`MJPEG_PARTS`], which keeps the 5%
/// accuracy there. VLC's MJPEG server at 5 fps in the bench lab, with its first intervals 6% apart,
/// stops after 8 parts (1.4 s) where six intervals within 2% of each other took 13 (2.4 s).
pub fn rate_settled(t: &[f64]) -> bool {
    let steady = steady(t);
    if steady.len() < MJPEG_SETTLED + 1 {
        return false;
    }
    let Some(period) = period(steady) else {
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

/// Parts that arrived after the opening burst (see [`BURST_GAP`]).
pub(super) fn steady_parts(arrivals: &[tokio::time::Instant]) -> usize {
    let burst = arrivals
        .windows(2)
        .take_while(|w| w[1].duration_since(w[0]).as_secs_f64() < BURST_GAP)
        .count();
    arrivals.len().saturating_sub(burst + 1)
}

/// The frame rate of parts that arrived at `t` (seconds), from the steady part of the window:
/// the first part and the opening burst are cut off (they arrive when the connection opens: the
/// leading parts closer together than half the median gap are a server flushing its buffer), then the period is the Theil-Sen slope of arrival time against
/// part number: the median of `(t[j] - t[i]) / (j - i)` over every pair. A busy scanning machine
/// reads late now and then, which makes one gap long and the next short; the median of pairwise
/// slopes ignores such outliers where a first-to-last average or a mean gap does not. `None`
/// with fewer than three steady parts.
pub fn steady_rate(t: &[f64]) -> Option<f64> {
    let steady = steady(t);
    if steady.len() < 3 {
        return None;
    }
    period(steady).map(|p| 1.0 / p)
}

/// The Theil-Sen slope of arrival time against part number (the median of pairwise slopes);
/// `None` when it is not positive.
fn period(steady: &[f64]) -> Option<f64> {
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
