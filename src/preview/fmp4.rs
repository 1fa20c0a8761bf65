//! Fragmented MP4 for Media Source Extensions (pure: no I/O, never panics on any input).
//!
//! The browser preview plays the camera's own H.264 (and AAC) without transcoding: the relay hands
//! each viewer access units in decode order, and this module wraps them in the boxes Chromium's MSE
//! parser wants: an init segment (`ftyp` + `moov` with one `trak` per track and `mvex`, ISO/IEC
//! 14496-12 §8), then one `moof` + `mdat` per video frame (latency: a frame is sent as soon as it
//! is whole) and per audio frame.
//!
//! RTP carries only presentation times. MP4 wants a decode time per sample too, increasing in
//! decode order, with the presentation time given as a composition offset from it. [`Muxer`]
//! derives the decode times from the presentation times it has seen (see [`Muxer::video`]) and
//! writes signed composition offsets (`trun` version 1, §8.8.8), so streams with B-frames (x264's
//! defaults) play. Decode times start at zero at the first keyframe a muxer sees, presentation
//! times a fixed two frame periods later (room for the B-frames after it); audio is placed on the
//! same time line through the shared RTP-derived clock (each stream's pts converted to seconds).
//!
//! Every length and time is checked: hostile or broken parameters and frames give a [`MuxError`],
//! never a panic (fuzzed by `fuzz/fuzz_targets/fmp4.rs`).
//!
//! The error, the box writers and the codec-record checks are in `fmp4_boxes.rs` beside this file,
//! the init segment's boxes in `fmp4_init.rs`.

use std::collections::VecDeque;

pub use super::fmp4_boxes::{AUDIO_TRACK, MAX_CONFIG, MuxError, VIDEO_TRACK};
use super::fmp4_boxes::{
    audio_object_type, avc_config, check_audio, check_video, put_u32, put_u64, write_box,
    write_full_box,
};
pub use super::fmp4_init::init_segment;
use super::{AudioFrame, AudioParams, VideoFrame, VideoParams};

/// Largest frame accepted, in bytes. A 4K IDR at camera bitrates is well under 4 MiB; 32 MiB
/// keeps every box size far from `u32::MAX` while never refusing a real frame.
pub const MAX_FRAME: usize = 32 * 1024 * 1024;

/// Frame period assumed until two frames give a better one: 1/25 s (the most common camera rate).
const DEFAULT_FPS: u32 = 25;

/// Presentation times start this many (assumed) frame periods after decode time zero, so the
/// B-frames that follow the first keyframe can still be decoded before they are shown (decode
/// time never after presentation time). Two is the reordering of x264's defaults (3 B-frames,
/// pyramid: `has_b_frames` 2, ffmpeg's first dts of -2 frames) and of ffmpeg's `-bf 2`; deeper
/// reordering still plays (`trun` offsets are signed), with a few decode times after
/// presentation times at the start. Only a label: MSE plays from what is buffered, so it adds
/// no latency.
const PRESENTATION_DELAY_FRAMES: i64 = 2;

/// How many recent presentation times the frame-period estimate looks at: a GOP's worth of
/// reordering (x264 allows at most 16 B-frames) with room to spare.
const PERIOD_WINDOW: usize = 32;

/// A presentation-time jump larger than this (in seconds) is a break in the stream (a camera that
/// reset its clock), not lost frames: decode times jump with it instead of catching up gradually.
const MAX_CATCH_UP_SECS: i64 = 10;

// ---------------------------------------------------------------------------------------------
// MSE type

/// The MSE type of the stream [`init_segment`] describes, e.g.
/// `video/mp4; codecs="avc1.4D401F, mp4a.40.2"` (RFC 6381 §3.3).
///
/// The codec strings are taken from the configuration records the init segment carries, so the
/// two always agree; where a record is unusable the parameters' own string is used, reduced to
/// the characters a codec string may hold.
pub fn mime(video: &VideoParams, audio: Option<&AudioParams>) -> String {
    let video_codec = match avc_config(&video.extra_data) {
        Ok(c) => format!(
            "avc1.{:02X}{:02X}{:02X}",
            c.profile[0], c.profile[1], c.profile[2]
        ),
        Err(_) => codec_chars(&video.rfc6381),
    };
    let mut codecs = video_codec;
    if let Some(a) = audio {
        let audio_codec = match audio_object_type(&a.extra_data) {
            Ok(aot) => format!("mp4a.40.{aot}"),
            Err(_) => codec_chars(&a.rfc6381),
        };
        codecs.push_str(", ");
        codecs.push_str(&audio_codec);
    }
    format!("video/mp4; codecs=\"{codecs}\"")
}

/// Keeps the characters an RFC 6381 codec string is made of (no quotes to break out of).
fn codec_chars(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .take(64)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Init segment

// ---------------------------------------------------------------------------------------------
// Fragments

/// `trun` sample flags (§8.8.3.1) of a sync sample: depends on no other sample.
const SYNC_SAMPLE: u32 = 0x0200_0000;
/// `trun` sample flags of any other video sample: depends on others, is a non-sync sample.
const NON_SYNC_SAMPLE: u32 = 0x0101_0000;

/// One viewer's muxer: frames in (decode order), `moof` + `mdat` fragments out.
///
/// A new viewer, or new parameters, gets a new `Muxer` and a new [`init_segment`].
#[derive(Debug)]
pub struct Muxer {
    clock_rate: u32,
    audio: Option<AudioTrack>,
    /// `mfhd` sequence number of the next fragment (starts at 1, increases by one).
    sequence: u32,
    video: Option<VideoState>,
}

#[derive(Debug)]
struct AudioTrack {
    sample_rate: u32,
    frame_length: u32,
    /// Decode time (sample-rate units) past the last frame sent, so audio never goes backwards.
    next: Option<i64>,
}

/// The video time line, from the first keyframe on.
#[derive(Debug)]
struct VideoState {
    /// The first keyframe's pts: time zero of both tracks.
    base: i64,
    /// Decode time of the last frame (clock-rate units, from `base`).
    dts: i64,
    /// Duration written for the last frame (its `trun` sample duration).
    duration: u32,
    /// Largest presentation time seen (on the muxer's time line: from `base`, plus the delay).
    max_pts: i64,
    /// How far behind `max_pts` a later frame's presentation time has been seen (B-frames).
    reorder: i64,
    /// Recent presentation times, for the frame-period estimate.
    recent: VecDeque<i64>,
    /// A break was seen (a time far from the others): frames are skipped to the next keyframe.
    broken: bool,
}

impl Muxer {
    /// A muxer for the tracks [`init_segment`] describes with the same parameters. Invalid
    /// parameters give the same error `init_segment` would.
    pub fn new(video: &VideoParams, audio: Option<&AudioParams>) -> Result<Muxer, MuxError> {
        check_video(video)?;
        let audio = match audio {
            Some(a) => {
                check_audio(a)?;
                Some(AudioTrack {
                    sample_rate: a.sample_rate,
                    frame_length: if a.frame_length == 0 {
                        1024
                    } else {
                        a.frame_length
                    },
                    next: None,
                })
            }
            None => None,
        };
        Ok(Muxer {
            clock_rate: video.clock_rate,
            audio,
            sequence: 1,
            video: None,
        })
    }

    /// Whether the muxer has had its first keyframe (and so places audio too).
    pub fn started(&self) -> bool {
        self.video.is_some()
    }

    /// Muxes one video access unit (AVC format, decode order) into one fragment.
    ///
    /// Until the first keyframe every frame is refused with [`MuxError::NoKeyframeYet`] (skip
    /// it). The first keyframe has decode time zero and presentation time
    /// [`PRESENTATION_DELAY_FRAMES`] assumed periods; later frames keep their presentation times
    /// relative to it. Each decode time is the previous one plus the frame period (the median
    /// gap between recent presentation times, 1/25 s until there are two), never after the
    /// frame's own presentation time (so B-frames decode before they show), never more than
    /// twice the previous sample's duration later than the previous one (Chromium treats a
    /// larger decode-time step as a discontinuity and drops frames to the next keyframe), and
    /// not further behind the presentation times than the reordering seen requires, except
    /// across a presentation-time jump of more than ten seconds. A frame more than a second
    /// before the latest or ten seconds after it is a break: frames are refused
    /// ([`MuxError::NoKeyframeYet`]) up to the next keyframe, which is placed one period after
    /// the last frame. Decode times strictly increase; the composition offset (pts - dts) is
    /// signed.
    pub fn video(&mut self, f: &VideoFrame) -> Result<Vec<u8>, MuxError> {
        check_avc_frame(&f.data)?;
        let fallback_period = fallback_period(self.clock_rate);
        let out_of_range = MuxError::Timestamp {
            what: "video",
            pts: f.pts,
        };
        let max_catch_up = i64::from(self.clock_rate).saturating_mul(MAX_CATCH_UP_SECS);
        if self.video.is_none() && !f.keyframe {
            return Err(MuxError::NoKeyframeYet);
        }
        let delay = presentation_delay(self.clock_rate);
        // A frame far before the others (more than a second: no reordering is that deep) or far
        // after them (a camera that reset its clock, a relay that reconnected without new
        // parameters) breaks the time line: skip to the next keyframe, and place that one a
        // period after the last frame, so the output's times never go back or leap.
        if let Some(state) = &mut self.video {
            let relative = f
                .pts
                .checked_sub(state.base)
                .and_then(|p| p.checked_add(delay));
            let far = relative.is_none_or(|p| {
                p < state.max_pts.saturating_sub(i64::from(self.clock_rate))
                    || p > state.max_pts.saturating_add(max_catch_up)
            });
            if far || state.broken {
                if !f.keyframe {
                    state.broken = true;
                    return Err(MuxError::NoKeyframeYet);
                }
                let period =
                    estimate_period(&state.recent, state.max_pts).unwrap_or(fallback_period);
                let next = state.max_pts.saturating_add(period);
                state.base = f
                    .pts
                    .checked_add(delay)
                    .and_then(|p| p.checked_sub(next))
                    .ok_or(out_of_range.clone())?;
                state.recent.clear();
                state.reorder = 0;
                state.broken = false;
            }
        }
        let base = self.video.as_ref().map_or(f.pts, |s| s.base);
        let pts = f
            .pts
            .checked_sub(base)
            .and_then(|p| p.checked_add(delay))
            .ok_or(out_of_range.clone())?;
        let (dts, period, reorder) = match &self.video {
            None => (0, fallback_period, 0),
            Some(state) => {
                let period = estimate_period(&state.recent, pts).unwrap_or(fallback_period);
                let reorder = state.reorder.max(state.max_pts.saturating_sub(pts));
                let max_pts = state.max_pts.max(pts);
                let prev = state.dts;
                // The previous decode time plus a period, never after this frame's presentation
                // time ...
                let mut dts = prev.saturating_add(period).min(pts);
                // ... nor further behind than the reordering seen (plus slack) allows ...
                let lowest = max_pts
                    .saturating_sub(reorder)
                    .saturating_sub(period.saturating_mul(2));
                if lowest.saturating_sub(dts) > max_catch_up {
                    // (a break in the stream: follow it at once)
                    dts = lowest;
                } else {
                    dts = dts.max(lowest);
                    // ... nor a step Chromium would take for a discontinuity.
                    let max_step = i64::from(state.duration).saturating_mul(2);
                    dts = dts.min(prev.saturating_add(max_step));
                }
                (dts.max(prev.saturating_add(1)), period, reorder)
            }
        };
        let offset = i32::try_from(pts.saturating_sub(dts)).map_err(|_| out_of_range.clone())?;
        let decode_time = u64::try_from(dts).map_err(|_| out_of_range.clone())?;
        let duration = u32::try_from(period).map_err(|_| out_of_range.clone())?;
        let fragment = fragment(
            self.sequence,
            VIDEO_TRACK,
            decode_time,
            &[Sample {
                duration,
                size: f.data.len(),
                flags: Some(if f.keyframe {
                    SYNC_SAMPLE
                } else {
                    NON_SYNC_SAMPLE
                }),
                offset: Some(offset),
            }],
            &[&f.data],
        )?;

        // The fragment is certain: commit the time line.
        let state = self.video.get_or_insert_with(|| VideoState {
            base,
            dts: 0,
            duration,
            max_pts: pts,
            reorder: 0,
            recent: VecDeque::with_capacity(PERIOD_WINDOW),
            broken: false,
        });
        state.dts = dts;
        state.duration = duration;
        state.max_pts = state.max_pts.max(pts);
        state.reorder = reorder;
        if state.recent.len() >= PERIOD_WINDOW {
            state.recent.pop_front();
        }
        state.recent.push_back(pts);
        self.sequence = self.sequence.wrapping_add(1).max(1);
        Ok(fragment)
    }

    /// Muxes one AAC frame (raw, no ADTS) into a fragment.
    ///
    /// `Ok(None)` while there is no video time line yet (before the first keyframe), for a frame
    /// that would play before the time line's start (more than the presentation delay before
    /// the first keyframe), and for one that would go back in time; the caller drops those.
    pub fn audio(&mut self, f: &AudioFrame) -> Result<Option<Vec<u8>>, MuxError> {
        let Some(track) = &mut self.audio else {
            return Err(MuxError::NoAudioTrack);
        };
        if f.data.is_empty() {
            return Err(MuxError::EmptyFrame { what: "audio" });
        }
        if f.data.len() > MAX_FRAME {
            return Err(MuxError::FrameTooLarge {
                what: "audio",
                len: f.data.len(),
                max: MAX_FRAME,
            });
        }
        let Some(video) = &self.video else {
            return Ok(None);
        };
        // Time zero of the time line (the first keyframe's pts less the presentation delay) in
        // audio units: origin * sample_rate / clock_rate, in i128 so nothing overflows.
        let origin = i128::from(video.base) - i128::from(presentation_delay(self.clock_rate));
        let base = origin * i128::from(track.sample_rate) / i128::from(self.clock_rate.max(1));
        let time = i128::from(f.pts) - base;
        let Ok(time) = i64::try_from(time) else {
            return Err(MuxError::Timestamp {
                what: "audio",
                pts: f.pts,
            });
        };
        if time < 0 || track.next.is_some_and(|next| time < next) {
            return Ok(None);
        }
        let decode_time = u64::try_from(time).map_err(|_| MuxError::Timestamp {
            what: "audio",
            pts: f.pts,
        })?;
        let fragment = fragment(
            self.sequence,
            AUDIO_TRACK,
            decode_time,
            &[Sample {
                duration: track.frame_length,
                size: f.data.len(),
                flags: None,
                offset: None,
            }],
            &[&f.data],
        )?;
        track.next = Some(time.saturating_add(i64::from(track.frame_length)));
        self.sequence = self.sequence.wrapping_add(1).max(1);
        Ok(Some(fragment))
    }
}

/// The frame period assumed until there are two frames: 1/[`DEFAULT_FPS`] s in clock units.
fn fallback_period(clock_rate: u32) -> i64 {
    i64::from((clock_rate / DEFAULT_FPS).max(1))
}

/// The first keyframe's presentation time on a muxer's time line, in clock units.
fn presentation_delay(clock_rate: u32) -> i64 {
    fallback_period(clock_rate) * PRESENTATION_DELAY_FRAMES
}

/// The frame period: the smallest positive gap between `pts` and the recent presentation times
/// (sorted), i.e. between neighbours in presentation order whatever the decode order.
fn estimate_period(recent: &VecDeque<i64>, pts: i64) -> Option<i64> {
    let mut times: Vec<i64> = recent.iter().copied().chain([pts]).collect();
    times.sort_unstable();
    times.dedup();
    // The median gap between neighbouring presentation times: the smallest would follow the
    // jitter of a camera (or re-streamer) whose timestamps wander by tens of milliseconds.
    let mut gaps: Vec<i64> = times
        .windows(2)
        .filter_map(|w| w[1].checked_sub(w[0]))
        .filter(|gap| *gap > 0)
        .collect();
    if gaps.is_empty() {
        return None;
    }
    let mid = gaps.len() / 2;
    Some(*gaps.select_nth_unstable(mid).1)
}

/// Checks that a video frame is AVC: 4-byte lengths whose NAL units exactly fill it.
fn check_avc_frame(data: &[u8]) -> Result<(), MuxError> {
    if data.is_empty() {
        return Err(MuxError::EmptyFrame { what: "video" });
    }
    if data.len() > MAX_FRAME {
        return Err(MuxError::FrameTooLarge {
            what: "video",
            len: data.len(),
            max: MAX_FRAME,
        });
    }
    let mut rest = data;
    while !rest.is_empty() {
        let [a, b, c, d, tail @ ..] = rest else {
            return Err(MuxError::BadVideoFrame("ends inside a NAL unit length"));
        };
        let len = u32::from_be_bytes([*a, *b, *c, *d]) as usize;
        if len == 0 {
            return Err(MuxError::BadVideoFrame("empty NAL unit"));
        }
        rest = tail
            .get(len..)
            .ok_or(MuxError::BadVideoFrame("NAL unit runs past the frame"))?;
    }
    Ok(())
}

/// One `trun` entry.
struct Sample {
    duration: u32,
    size: usize,
    /// Per-sample flags (video); `None`: the `trex` default (audio: every sample is a sync one).
    flags: Option<u32>,
    /// Composition offset (video); `None` for audio, where presentation is decode time.
    offset: Option<i32>,
}

/// `moof` (`mfhd`, `traf` with `tfhd`, `tfdt`, `trun`) + `mdat` holding `data`.
fn fragment(
    sequence: u32,
    track: u32,
    decode_time: u64,
    samples: &[Sample],
    data: &[&[u8]],
) -> Result<Vec<u8>, MuxError> {
    let data_len: usize = data.iter().map(|d| d.len()).sum();
    let too_large = MuxError::FrameTooLarge {
        what: "fragment",
        len: data_len,
        max: MAX_FRAME,
    };
    if data_len > MAX_FRAME {
        return Err(too_large);
    }
    let with_flags = samples.iter().any(|s| s.flags.is_some());
    let with_offsets = samples.iter().any(|s| s.offset.is_some());
    let mut out = Vec::with_capacity(128 + data_len);
    let mut data_offset_at = 0;
    write_box(&mut out, b"moof", |out| {
        write_full_box(out, b"mfhd", 0, 0, |out| {
            put_u32(out, sequence);
            Ok(())
        })?;
        write_box(out, b"traf", |out| {
            // default-base-is-moof: data offsets count from this moof (§8.8.7.1).
            write_full_box(out, b"tfhd", 0, 0x02_0000, |out| {
                put_u32(out, track);
                Ok(())
            })?;
            write_full_box(out, b"tfdt", 1, 0, |out| {
                put_u64(out, decode_time);
                Ok(())
            })?;
            // data-offset, sample-duration, sample-size, [sample-flags], [composition offsets].
            let mut flags = 0x000001 | 0x000100 | 0x000200;
            if with_flags {
                flags |= 0x000400;
            }
            if with_offsets {
                flags |= 0x000800;
            }
            let version = u8::from(with_offsets); // version 1: signed composition offsets
            write_full_box(out, b"trun", version, flags, |out| {
                let count = u32::try_from(samples.len()).map_err(|_| too_large.clone())?;
                put_u32(out, count);
                data_offset_at = out.len();
                put_u32(out, 0); // data_offset, patched below
                for s in samples {
                    put_u32(out, s.duration);
                    put_u32(out, u32::try_from(s.size).map_err(|_| too_large.clone())?);
                    if with_flags {
                        put_u32(out, s.flags.unwrap_or(SYNC_SAMPLE));
                    }
                    if with_offsets {
                        out.extend_from_slice(&s.offset.unwrap_or(0).to_be_bytes());
                    }
                }
                Ok(())
            })
        })
    })?;
    // The samples start right after the moof and the mdat's 8-byte header.
    let data_offset = u32::try_from(out.len() + 8).map_err(|_| too_large.clone())?;
    out[data_offset_at..data_offset_at + 4].copy_from_slice(&data_offset.to_be_bytes());
    write_box(&mut out, b"mdat", |out| {
        for d in data {
            out.extend_from_slice(d);
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use bytes::Bytes;

    use super::super::fmp4_init::put_descriptor;
    use super::*;
    use proto::mp4;

    /// A minimal well-formed avcC: High profile level 3.1, one SPS and one PPS (bodies shortened;
    /// the muxer checks the record's framing, not the parameter sets' contents).
    const AVCC: &[u8] = &[
        1, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1f, 0x01, 0x00, 0x02,
        0x68, 0xee,
    ];
    /// AudioSpecificConfig: AAC LC (object type 2), 48 kHz (index 3), 2 channels.
    const ASC: &[u8] = &[0x11, 0x90];

    fn video_params() -> VideoParams {
        VideoParams {
            codec: "h264".into(),
            rfc6381: "avc1.64001F".into(),
            extra_data: AVCC.to_vec(),
            width: 1280,
            height: 720,
            clock_rate: 90_000,
            payload_type: 96,
        }
    }

    fn audio_params() -> AudioParams {
        AudioParams {
            codec: "aac".into(),
            rfc6381: "mp4a.40.2".into(),
            extra_data: ASC.to_vec(),
            sample_rate: 48_000,
            channels: 2,
            frame_length: 1024,
        }
    }

    fn frame(pts: i64, keyframe: bool, data: &[u8]) -> VideoFrame {
        VideoFrame {
            pts,
            keyframe,
            data: Bytes::copy_from_slice(data),
            received: Instant::now(),
        }
    }

    /// An AVC access unit: one NAL unit of `len` bytes (type 5, IDR slice, or 1, non-IDR).
    fn access_unit(keyframe: bool, len: usize) -> Vec<u8> {
        let mut nal = vec![0xab; len];
        nal[0] = if keyframe { 0x65 } else { 0x41 };
        let mut au = (len as u32).to_be_bytes().to_vec();
        au.extend_from_slice(&nal);
        au
    }

    // --- A small box reader (independent of the writer above) ---------------------------------

    /// The boxes in `data`, in order: (type, body after the 8-byte header). Panics on bad framing:
    /// the muxer's output must always be well formed.
    fn boxes(mut data: &[u8]) -> Vec<([u8; 4], &[u8])> {
        let mut out = Vec::new();
        while !data.is_empty() {
            assert!(data.len() >= 8, "truncated box header: {data:?}");
            let size = u32::from_be_bytes(data[..4].try_into().unwrap()) as usize;
            assert!(
                size >= 8 && size <= data.len(),
                "box size {size} of {} bytes",
                data.len()
            );
            out.push((data[4..8].try_into().unwrap(), &data[8..size]));
            data = &data[size..];
        }
        out
    }

    /// The one child box of type `t` in `data` (panics if absent or repeated).
    fn child<'a>(data: &'a [u8], t: &[u8; 4]) -> &'a [u8] {
        let found: Vec<_> = boxes(data).into_iter().filter(|(ty, _)| ty == t).collect();
        assert_eq!(found.len(), 1, "{} boxes", String::from_utf8_lossy(t));
        found[0].1
    }

    fn kinds(data: &[u8]) -> Vec<String> {
        boxes(data)
            .iter()
            .map(|(t, _)| String::from_utf8_lossy(t).into_owned())
            .collect()
    }

    fn be32(b: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
    }

    fn be64(b: &[u8], at: usize) -> u64 {
        u64::from_be_bytes(b[at..at + 8].try_into().unwrap())
    }

    /// The sample entry in a `trak`'s `stsd` (after its version/flags and entry count).
    fn sample_entry(trak: &[u8]) -> ([u8; 4], &[u8]) {
        let stbl = child(child(child(trak, b"mdia"), b"minf"), b"stbl");
        let stsd = child(stbl, b"stsd");
        assert_eq!(be32(stsd, 4), 1, "stsd entry_count");
        let entries = boxes(&stsd[8..]);
        assert_eq!(entries.len(), 1);
        entries[0]
    }

    /// What one `moof` + `mdat` fragment says.
    #[derive(Debug)]
    struct Parsed {
        sequence: u32,
        track: u32,
        decode_time: u64,
        trun_version: u8,
        trun_flags: u32,
        duration: u32,
        flags: Option<u32>,
        offset: Option<i32>,
        payload: Vec<u8>,
    }

    /// Reads a one-sample fragment the way a player does: the sample's bytes are found through
    /// the `trun` data offset (from the start of the `moof`), not by assuming where the mdat is.
    fn parse_fragment(frag: &[u8]) -> Parsed {
        assert_eq!(kinds(frag), ["moof", "mdat"]);
        let top = boxes(frag);
        let moof = top[0].1;
        let mdat_body = top[1].1;
        let moof_size = 8 + moof.len();
        assert_eq!(kinds(moof), ["mfhd", "traf"]);
        let mfhd = child(moof, b"mfhd");
        let traf = child(moof, b"traf");
        assert_eq!(kinds(traf), ["tfhd", "tfdt", "trun"]);
        let tfhd = child(traf, b"tfhd");
        assert_eq!(be32(tfhd, 0) & 0xff_ffff, 0x02_0000, "default-base-is-moof");
        let tfdt = child(traf, b"tfdt");
        assert_eq!(tfdt[0], 1, "64-bit tfdt");
        let trun = child(traf, b"trun");
        let trun_flags = be32(trun, 0) & 0xff_ffff;
        assert_eq!(be32(trun, 4), 1, "one sample per fragment");
        assert_ne!(trun_flags & 0x1, 0, "data-offset-present");
        let data_offset = be32(trun, 8) as usize;
        let mut at = 12;
        let mut next = || {
            let v = be32(trun, at);
            at += 4;
            v
        };
        let duration = if trun_flags & 0x100 != 0 { next() } else { 0 };
        let size = if trun_flags & 0x200 != 0 {
            next() as usize
        } else {
            panic!("sample size missing")
        };
        let flags = (trun_flags & 0x400 != 0).then(&mut next);
        let offset = (trun_flags & 0x800 != 0).then(|| next() as i32);
        assert_eq!(at, trun.len(), "trun has no trailing bytes");
        assert_eq!(
            data_offset,
            moof_size + 8,
            "data offset is the mdat payload"
        );
        assert_eq!(size, mdat_body.len(), "the sample fills the mdat");
        Parsed {
            sequence: be32(mfhd, 4),
            track: be32(tfhd, 4),
            decode_time: be64(tfdt, 4),
            trun_version: trun[0],
            trun_flags,
            duration,
            flags,
            offset,
            payload: frag[data_offset..data_offset + size].to_vec(),
        }
    }

    // --- Init segment ---------------------------------------------------------------------------

    #[test]
    fn init_segment_is_ftyp_and_moov_with_the_avcc_and_mvex() {
        let init = init_segment(&video_params(), None).unwrap();
        assert_eq!(kinds(&init), ["ftyp", "moov"]);
        let top = boxes(&init);
        assert_eq!(&top[0].1[..4], b"iso6");
        let moov = top[1].1;
        assert_eq!(kinds(moov), ["mvhd", "trak", "mvex"]);
        let mvhd = child(moov, b"mvhd");
        assert_eq!(be32(mvhd, mvhd.len() - 4), 2, "next_track_ID");

        let trak = child(moov, b"trak");
        let tkhd = child(trak, b"tkhd");
        assert_eq!(be32(tkhd, 12), VIDEO_TRACK);
        assert_eq!(be32(tkhd, tkhd.len() - 8), 1280 << 16);
        assert_eq!(be32(tkhd, tkhd.len() - 4), 720 << 16);
        let mdia = child(trak, b"mdia");
        let mdhd = child(mdia, b"mdhd");
        assert_eq!(be32(mdhd, 12), 90_000, "timescale is the RTP clock rate");
        assert_eq!(&child(mdia, b"hdlr")[8..12], b"vide");

        let (entry, avc1) = sample_entry(trak);
        assert_eq!(&entry, b"avc1");
        assert_eq!(u16::from_be_bytes([avc1[24], avc1[25]]), 1280);
        assert_eq!(u16::from_be_bytes([avc1[26], avc1[27]]), 720);
        // VisualSampleEntry's fixed part is 78 bytes; the avcC follows.
        assert_eq!(kinds(&avc1[78..]), ["avcC"]);
        assert_eq!(child(&avc1[78..], b"avcC"), AVCC);

        let mvex = child(moov, b"mvex");
        assert_eq!(kinds(mvex), ["trex"]);
        assert_eq!(be32(child(mvex, b"trex"), 4), VIDEO_TRACK);

        // The project's own MP4 reader (what `analyze` uses on cameras' fMP4) agrees.
        let parsed = mp4::parse_init(&init).unwrap();
        assert_eq!(parsed.tracks.len(), 1);
        let v = parsed.video().unwrap();
        assert_eq!(v.id, VIDEO_TRACK);
        assert_eq!(v.timescale, Some(90_000));
        assert_eq!(v.rfc6381.as_deref(), Some("avc1.64001F"));
        assert_eq!((v.width, v.height), (Some(1280), Some(720)));
    }

    #[test]
    fn init_segment_with_audio_has_an_mp4a_track_with_the_asc_in_esds() {
        let init = init_segment(&video_params(), Some(&audio_params())).unwrap();
        let moov = boxes(&init)[1].1;
        assert_eq!(kinds(moov), ["mvhd", "trak", "trak", "mvex"]);
        let mvhd = child(moov, b"mvhd");
        assert_eq!(be32(mvhd, mvhd.len() - 4), 3, "next_track_ID");
        let traks: Vec<_> = boxes(moov)
            .into_iter()
            .filter(|(t, _)| t == b"trak")
            .map(|(_, b)| b)
            .collect();
        let audio = traks[1];
        assert_eq!(be32(child(audio, b"tkhd"), 12), AUDIO_TRACK);
        let mdia = child(audio, b"mdia");
        assert_eq!(be32(child(mdia, b"mdhd"), 12), 48_000);
        assert_eq!(&child(mdia, b"hdlr")[8..12], b"soun");
        let (entry, mp4a) = sample_entry(audio);
        assert_eq!(&entry, b"mp4a");
        assert_eq!(u16::from_be_bytes([mp4a[16], mp4a[17]]), 2, "channelcount");
        assert_eq!(be32(mp4a, 24), 48_000 << 16, "samplerate 16.16");
        // AudioSampleEntry's fixed part is 28 bytes; the esds follows.
        let esds = child(&mp4a[28..], b"esds");
        // ES_Descriptor(3) { ES_ID, flags, DecoderConfig(4) { 0x40, stream type, 11 bytes,
        // DecoderSpecificInfo(5) { ASC } }, SLConfig(6) { 2 } }, one-byte sizes here.
        let es = &esds[4..];
        assert_eq!(es[0], 0x03);
        assert_eq!(usize::from(es[1]), es.len() - 2);
        assert_eq!(u16::from_be_bytes([es[2], es[3]]), AUDIO_TRACK as u16);
        let dcd = &es[5..];
        assert_eq!(dcd[0], 0x04);
        assert_eq!(dcd[2], 0x40, "objectTypeIndication: MPEG-4 audio");
        assert_eq!(dcd[3] >> 2, 0x05, "streamType: audio");
        let dsi = &dcd[2 + 13..];
        assert_eq!(dsi[0], 0x05);
        assert_eq!(usize::from(dsi[1]), ASC.len());
        assert_eq!(&dsi[2..2 + ASC.len()], ASC);
        assert_eq!(&dsi[2 + ASC.len()..], [0x06, 0x01, 0x02]);
        assert_eq!(usize::from(dcd[1]), 13 + 2 + ASC.len());

        let mvex = child(moov, b"mvex");
        assert_eq!(kinds(mvex), ["trex", "trex"]);
        let ids: Vec<u32> = boxes(mvex).iter().map(|(_, b)| be32(b, 4)).collect();
        assert_eq!(ids, [VIDEO_TRACK, AUDIO_TRACK]);

        let parsed = mp4::parse_init(&init).unwrap();
        let a = parsed.audio().unwrap();
        assert_eq!(a.id, AUDIO_TRACK);
        assert_eq!(a.timescale, Some(48_000));
        assert_eq!(a.sample_rate, Some(48_000));
        assert_eq!(a.channels, Some(2));
    }

    #[test]
    fn descriptor_sizes_use_more_bytes_past_127() {
        let mut out = Vec::new();
        put_descriptor(&mut out, 5, &[7; 200]).unwrap();
        // 200 = 0b1_1001000: two 7-bit groups, the first with the continuation bit.
        assert_eq!(&out[..3], [5, 0x81, 0x48]);
        assert_eq!(out.len(), 3 + 200);
        // A long (but accepted) AudioSpecificConfig still makes a readable init segment.
        let mut a = audio_params();
        a.extra_data.extend_from_slice(&[0; 300]);
        let init = init_segment(&video_params(), Some(&a)).unwrap();
        boxes(&init);
    }

    #[test]
    fn mime_names_the_codecs_of_the_records() {
        let v = video_params();
        assert_eq!(mime(&v, None), "video/mp4; codecs=\"avc1.64001F\"");
        assert_eq!(
            mime(&v, Some(&audio_params())),
            "video/mp4; codecs=\"avc1.64001F, mp4a.40.2\""
        );
        // The record wins over a wrong string; an unusable record falls back to the string,
        // without anything that could end the quoted parameter.
        let mut wrong = v.clone();
        wrong.rfc6381 = "avc1.42E01E".into();
        assert_eq!(mime(&wrong, None), "video/mp4; codecs=\"avc1.64001F\"");
        let mut broken = v.clone();
        broken.extra_data.clear();
        broken.rfc6381 = "avc1.4D401F\", evil=\"x".into();
        assert_eq!(
            mime(&broken, None),
            "video/mp4; codecs=\"avc1.4D401Fevilx\""
        );
    }

    #[test]
    fn unusable_parameters_are_errors() {
        let mut h265 = video_params();
        h265.codec = "h265".into();
        assert_eq!(
            init_segment(&h265, None),
            Err(MuxError::UnsupportedVideo("h265".into()))
        );
        assert_eq!(
            Muxer::new(&h265, None).unwrap_err(),
            MuxError::UnsupportedVideo("h265".into())
        );
        let mut zero = video_params();
        zero.clock_rate = 0;
        assert_eq!(
            init_segment(&zero, None),
            Err(MuxError::ZeroClockRate { what: "video" })
        );

        // Every cut of the record, and every wrong header, is refused.
        for cut in 0..AVCC.len() {
            let mut v = video_params();
            v.extra_data.truncate(cut);
            assert!(
                matches!(init_segment(&v, None), Err(MuxError::BadAvcConfig(_))),
                "avcC cut to {cut} bytes"
            );
            assert!(Muxer::new(&v, None).is_err());
        }
        let broken: [(usize, u8); 5] = [
            (0, 0),    // configurationVersion 0
            (4, 0xfd), // 2-byte NAL lengths
            (5, 0xe0), // no SPS
            (7, 0xff), // SPS length past the end
            (12, 0),   // no PPS
        ];
        for (at, byte) in broken {
            let mut v = video_params();
            v.extra_data[at] = byte;
            assert!(
                matches!(init_segment(&v, None), Err(MuxError::BadAvcConfig(_))),
                "avcC byte {at} = {byte:#x}"
            );
        }
        let mut empty_sps = video_params();
        empty_sps.extra_data = vec![1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0, 1, 0, 1, 0x68];
        assert!(init_segment(&empty_sps, None).is_err());
        let mut huge = video_params();
        huge.extra_data.resize(MAX_CONFIG + 1, 0);
        assert!(init_segment(&huge, None).is_err());

        let v = video_params();
        let mut pcmu = audio_params();
        pcmu.codec = "pcmu".into();
        assert_eq!(
            init_segment(&v, Some(&pcmu)),
            Err(MuxError::UnsupportedAudio("pcmu".into()))
        );
        for asc in [&[][..], &[0x10], &[0x00, 0x00]] {
            let mut a = audio_params();
            a.extra_data = asc.to_vec();
            assert!(
                matches!(init_segment(&v, Some(&a)), Err(MuxError::BadAudioConfig(_))),
                "ASC {asc:?}"
            );
        }
        let mut silent = audio_params();
        silent.sample_rate = 0;
        assert_eq!(
            Muxer::new(&v, Some(&silent)).unwrap_err(),
            MuxError::ZeroClockRate { what: "audio" }
        );
    }

    #[test]
    fn extended_audio_object_types_are_read() {
        // audioObjectType 31 escape + 6 bits: 32 + 10 = 42 (USAC).
        let mut a = audio_params();
        a.extra_data = vec![(31 << 3) | 0b001, 0b0100_0000];
        assert_eq!(audio_object_type(&a.extra_data), Ok(42));
        assert!(mime(&video_params(), Some(&a)).ends_with("mp4a.40.42\""));
    }

    // --- Fragments ------------------------------------------------------------------------------

    #[test]
    fn a_keyframe_fragment_points_at_its_bytes() {
        let mut m = Muxer::new(&video_params(), None).unwrap();
        assert!(!m.started());
        let au = access_unit(true, 1000);
        let frag = m.video(&frame(123_456, true, &au)).unwrap();
        assert!(m.started());
        let p = parse_fragment(&frag);
        assert_eq!(p.sequence, 1);
        assert_eq!(p.track, VIDEO_TRACK);
        assert_eq!(p.decode_time, 0, "decode time starts at the first keyframe");
        assert_eq!(p.trun_version, 1, "signed composition offsets");
        assert_eq!(p.trun_flags, 0x000f01);
        assert_eq!(p.duration, 90_000 / DEFAULT_FPS);
        assert_eq!(p.flags, Some(SYNC_SAMPLE));
        assert_eq!(
            p.offset,
            Some(7200),
            "presentation two 25 fps periods later"
        );
        assert_eq!(p.payload, au);
    }

    #[test]
    fn frames_before_the_first_keyframe_are_refused_without_using_a_sequence_number() {
        let mut m = Muxer::new(&video_params(), None).unwrap();
        let p = frame(0, false, &access_unit(false, 10));
        assert_eq!(m.video(&p), Err(MuxError::NoKeyframeYet));
        assert!(!m.started());
        let first = parse_fragment(&m.video(&frame(3600, true, &access_unit(true, 10))).unwrap());
        assert_eq!((first.sequence, first.decode_time), (1, 0));
        // After the keyframe, non-keyframes are muxed, flagged as non-sync.
        let next = parse_fragment(
            &m.video(&frame(7200, false, &access_unit(false, 10)))
                .unwrap(),
        );
        assert_eq!(next.sequence, 2);
        assert_eq!(next.flags, Some(NON_SYNC_SAMPLE));
        assert_eq!(next.decode_time, 3600);
        assert_eq!(next.offset, Some(7200));
    }

    #[test]
    fn a_break_in_the_times_skips_to_the_next_keyframe_and_keeps_the_output_going() {
        let mut m = Muxer::new(&video_params(), None).unwrap();
        let mut last = None;
        for i in 0..10i64 {
            let au = access_unit(i == 0, 40);
            last = Some(parse_fragment(
                &m.video(&frame(900_000 + i * 6000, i == 0, &au)).unwrap(),
            ));
        }
        let last = last.unwrap();
        // 2.3 s back (a camera whose clock restarted): refused up to the next keyframe ...
        let back = 900_000 + 9 * 6000 - 209_000;
        assert_eq!(
            m.video(&frame(back, false, &access_unit(false, 40))),
            Err(MuxError::NoKeyframeYet)
        );
        assert_eq!(
            m.video(&frame(back + 6000, false, &access_unit(false, 40))),
            Err(MuxError::NoKeyframeYet)
        );
        // ... which follows the last frame by one period, in decode and presentation time.
        let k = parse_fragment(
            &m.video(&frame(back + 12_000, true, &access_unit(true, 40)))
                .unwrap(),
        );
        assert_eq!(k.decode_time, last.decode_time + 6000, "{k:?}");
        let after = parse_fragment(
            &m.video(&frame(back + 18_000, false, &access_unit(false, 40)))
                .unwrap(),
        );
        assert!(after.decode_time > k.decode_time);
        assert_eq!(
            after.decode_time as i64 + i64::from(after.offset.unwrap())
                - (k.decode_time as i64 + i64::from(k.offset.unwrap())),
            6000
        );
    }

    #[test]
    fn b_frames_get_increasing_decode_times_and_signed_offsets() {
        // x264 with 2 B-frames: I0 P3 B1 B2 P6 B4 B5 ... (presentation index), 40 ms a frame.
        let order: Vec<i64> = vec![0, 3, 1, 2, 6, 4, 5, 9, 7, 8, 12, 10, 11];
        let base = 1_000_000i64;
        let mut m = Muxer::new(&video_params(), None).unwrap();
        let mut prev: Option<Parsed> = None;
        for (i, n) in order.iter().enumerate() {
            let pts = base + n * 3600;
            let au = access_unit(i == 0, 50 + i);
            let p = parse_fragment(&m.video(&frame(pts, i == 0, &au)).unwrap());
            assert_eq!(p.sequence, i as u32 + 1);
            assert_eq!(p.trun_version, 1);
            assert_eq!(p.payload, au);
            let offset = i64::from(p.offset.unwrap());
            assert_eq!(
                p.decode_time as i64 + offset,
                pts - base + 7200,
                "frame {i}: decode time + offset is the presentation time (plus the delay)"
            );
            assert!(offset >= 0, "frame {i}: decoded before it is shown: {p:?}");
            if let Some(prev) = &prev {
                assert!(p.decode_time > prev.decode_time, "frame {i}: {p:?}");
                // Never a decode-time jump Chromium takes for a discontinuity.
                assert!(p.decode_time - prev.decode_time <= 2 * u64::from(prev.duration));
            }
            prev = Some(p);
        }
        // Once the reordering is known, decode times stay at most one reorder depth behind.
        let last = prev.unwrap();
        assert!(
            12 * 3600 - (last.decode_time as i64) <= 4 * 3600,
            "{last:?}"
        );
    }

    #[test]
    fn any_frame_rate_steps_decode_times_within_twice_the_last_duration() {
        // A 5 fps camera's second frame is 18000 ticks after the first, whose duration had to be
        // guessed (1/25 s): a step over twice that would make Chromium drop to the next keyframe.
        for fps in [1, 5, 10, 12, 25, 30, 60] {
            let period = 90_000 / fps;
            let mut m = Muxer::new(&video_params(), None).unwrap();
            let mut prev: Option<Parsed> = None;
            for i in 0..40 {
                let f = frame(i * period, i == 0, &access_unit(i == 0, 10));
                let p = parse_fragment(&m.video(&f).unwrap());
                assert!(p.offset.unwrap() >= 0, "{fps} fps frame {i}: {p:?}");
                if let Some(prev) = &prev {
                    let step = p.decode_time - prev.decode_time;
                    assert!(
                        step > 0 && step <= 2 * u64::from(prev.duration),
                        "{fps} fps {i}"
                    );
                }
                if i > 1 {
                    assert_eq!(i64::from(p.duration), period, "{fps} fps frame {i}");
                }
                prev = Some(p);
            }
        }
    }

    #[test]
    fn audio_is_placed_on_the_video_time_line() {
        let mut m = Muxer::new(&video_params(), Some(&audio_params())).unwrap();
        let aac = |pts: i64| AudioFrame {
            pts,
            data: Bytes::from_static(&[0x21, 0x10, 0x04]),
        };
        // No video time line yet: dropped.
        assert_eq!(m.audio(&aac(48_000)), Ok(None));
        // Video starts at 1 s (90 kHz), shown at 80 ms on the time line; audio at 1 s (48 kHz)
        // is at 80 ms too, and audio up to 80 ms earlier still fits.
        m.video(&frame(90_000, true, &access_unit(true, 20)))
            .unwrap();
        assert_eq!(m.audio(&aac(44_159)), Ok(None), "before the time line");
        let early = parse_fragment(&m.audio(&aac(44_160)).unwrap().unwrap());
        assert_eq!(early.decode_time, 0);
        let a = parse_fragment(&m.audio(&aac(48_000)).unwrap().unwrap());
        assert_eq!(a.sequence, 3, "one sequence for both tracks");
        assert_eq!(a.track, AUDIO_TRACK);
        assert_eq!(a.decode_time, 3840);
        assert_eq!(a.trun_version, 0);
        assert_eq!(a.trun_flags, 0x000301, "no per-sample flags or offsets");
        assert_eq!(a.duration, 1024);
        assert_eq!(a.payload, [0x21, 0x10, 0x04]);
        let b = parse_fragment(&m.audio(&aac(48_000 + 1024)).unwrap().unwrap());
        assert_eq!((b.sequence, b.decode_time), (4, 3840 + 1024));
        // Going back in time (a retransmitted or overlapping frame): dropped.
        assert_eq!(m.audio(&aac(48_000 + 1000)), Ok(None));
        assert_eq!(
            m.audio(&AudioFrame {
                pts: 60_000,
                data: Bytes::new()
            }),
            Err(MuxError::EmptyFrame { what: "audio" })
        );
        let mut silent = Muxer::new(&video_params(), None).unwrap();
        assert_eq!(silent.audio(&aac(0)), Err(MuxError::NoAudioTrack));
    }

    #[test]
    fn broken_frames_are_errors() {
        let mut m = Muxer::new(&video_params(), None).unwrap();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", vec![]),
            ("short length", vec![0, 0, 1]),
            ("length past the end", vec![0, 0, 0, 9, 0x65, 1, 2]),
            ("zero length", vec![0, 0, 0, 0, 0, 0, 0, 1, 0x65]),
            (
                "trailing bytes",
                [access_unit(true, 5), vec![0, 0]].concat(),
            ),
            ("huge length", vec![0xff, 0xff, 0xff, 0xff, 0x65]),
            ("Annex B", vec![0, 0, 0, 1, 0x65, 0x88, 0x84, 0, 0, 1, 0x41]),
        ];
        for (what, data) in cases {
            let e = m.video(&frame(0, true, &data)).unwrap_err();
            assert!(
                matches!(e, MuxError::BadVideoFrame(_) | MuxError::EmptyFrame { .. }),
                "{what}: {e:?}"
            );
        }
        assert!(
            !m.started(),
            "a refused keyframe does not start the time line"
        );
        let huge = vec![0u8; MAX_FRAME + 1];
        assert!(matches!(
            m.video(&frame(0, true, &huge)),
            Err(MuxError::FrameTooLarge { .. })
        ));
        // Two NAL units are fine.
        let two = [access_unit(true, 7), access_unit(true, 3)].concat();
        assert_eq!(
            parse_fragment(&m.video(&frame(0, true, &two)).unwrap()).payload,
            two
        );
    }

    #[test]
    fn hostile_timestamps_are_errors_not_panics() {
        let au = access_unit(true, 4);
        for first in [i64::MIN, -1, 0, i64::MAX] {
            for next in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX] {
                let mut m = Muxer::new(&video_params(), Some(&audio_params())).unwrap();
                m.video(&frame(first, true, &au)).unwrap();
                let mut last = 0;
                for k in [true, false] {
                    if let Ok(f) = m.video(&frame(next, k, &au)) {
                        let p = parse_fragment(&f);
                        assert!(p.decode_time > last);
                        last = p.decode_time;
                    }
                }
                for pts in [i64::MIN, -1, 0, i64::MAX] {
                    if let Ok(Some(f)) = m.audio(&AudioFrame {
                        pts,
                        data: Bytes::from_static(&[1]),
                    }) {
                        parse_fragment(&f);
                    }
                }
            }
        }
    }

    /// A deterministic stream of odd timing (jitter, duplicates, jumps both ways, lost frames):
    /// every fragment is well formed, decode times strictly increase, and decode time plus
    /// offset is the presentation time whenever the offset fits.
    #[test]
    fn odd_timing_keeps_decode_times_increasing() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _stream in 0..20 {
            let mut m = Muxer::new(&video_params(), Some(&audio_params())).unwrap();
            let mut pts = rand(1 << 40) as i64;
            let mut last: Option<u64> = None;
            let mut sequence = 0;
            for i in 0..300 {
                pts += match rand(20) {
                    0 => 0,
                    1 => -(rand(20_000) as i64),
                    2 => rand(2_000_000) as i64,
                    3 => 3600 * rand(5) as i64,
                    _ => 3000 + rand(1200) as i64,
                };
                let keyframe = i == 0 || rand(30) == 0;
                if let Ok(f) = m.video(&frame(pts, keyframe, &access_unit(keyframe, 8))) {
                    let p = parse_fragment(&f);
                    assert!(
                        last.is_none_or(|l| p.decode_time > l),
                        "{p:?} after {last:?}"
                    );
                    assert!(p.sequence > sequence);
                    sequence = p.sequence;
                    last = Some(p.decode_time);
                }
                if rand(3) == 0 {
                    let apts = pts * 48_000 / 90_000 + rand(2000) as i64 - 1000;
                    if let Ok(Some(f)) = m.audio(&AudioFrame {
                        pts: apts,
                        data: Bytes::from_static(&[0x21, 0]),
                    }) {
                        let p = parse_fragment(&f);
                        assert!(p.sequence > sequence);
                        sequence = p.sequence;
                    }
                }
            }
            assert!(last.is_some());
        }
    }

    // --- Real H.264 (x264 with B-frames) and AAC, read back by ffprobe --------------------------

    /// Whether ffmpeg and ffprobe run.
    fn ffmpeg_tools() -> Result<(), String> {
        for tool in ["ffmpeg", "ffprobe"] {
            match std::process::Command::new(tool).arg("-version").output() {
                Ok(o) if o.status.success() => {}
                Ok(o) => return Err(format!("{tool} -version exited with {}", o.status)),
                Err(e) => return Err(format!("{tool} not runnable: {e}")),
            }
        }
        Ok(())
    }

    fn run(tool: &str, args: &[&str]) -> Vec<u8> {
        let out = std::process::Command::new(tool)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{tool} {args:?}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    fn ffprobe(path: &std::path::Path, shows: &[&str]) -> serde_json::Value {
        let path = path.to_str().unwrap();
        let mut args = vec!["-v", "error", "-of", "json"];
        args.extend_from_slice(shows);
        args.push(path);
        serde_json::from_slice(&run("ffprobe", &args)).unwrap()
    }

    /// The bytes of an ffprobe `-show_data` dump: lines of `00000000: 0000 02ab ...  ascii`, the
    /// hex in the 40 columns after the offset.
    fn unhexdump(dump: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for line in dump.lines().filter(|l| !l.is_empty()) {
            let hex = &line[10..line.len().min(50)];
            for word in hex.split_whitespace() {
                for pair in word.as_bytes().chunks(2) {
                    let pair = std::str::from_utf8(pair).unwrap();
                    out.push(u8::from_str_radix(pair, 16).unwrap());
                }
            }
        }
        out
    }

    fn int(v: &serde_json::Value, key: &str) -> i64 {
        match &v[key] {
            serde_json::Value::Number(n) => n.as_i64().unwrap(),
            serde_json::Value::String(s) => s.parse().unwrap(),
            other => panic!("{key}: {other:?} in {v}"),
        }
    }

    /// A timestamp in a stream's `time_base` ("1/90000") converted to `rate` units, exactly.
    fn to_rate(ticks: i64, time_base: &str, rate: i64) -> i64 {
        let (num, den) = time_base.split_once('/').unwrap();
        let (num, den): (i64, i64) = (num.parse().unwrap(), den.parse().unwrap());
        assert_eq!(
            ticks * rate * num % den,
            0,
            "{ticks} in {time_base} to {rate}"
        );
        ticks * rate * num / den
    }

    #[test]
    fn real_x264_b_frames_and_aac_read_back_by_ffprobe() {
        if let Err(why) = ffmpeg_tools() {
            if std::env::var_os("CI").is_none() {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("SKIPPED real_x264_b_frames_and_aac_read_back_by_ffprobe: {why}");
                }
                return;
            }
            panic!("{why}: CI must run the ffprobe round trip");
        }
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source.mp4");
        // 3 s of x264 (High profile, 2 B-frames, a keyframe a second) and AAC, as a camera with
        // B-frames sends them.
        let encode = "-v error -nostdin -y \
            -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 \
            -t 3 -c:v libx264 -pix_fmt yuv420p -bf 2 -g 25 -c:a aac -video_track_timescale 90000";
        let mut args: Vec<&str> = encode.split_whitespace().collect();
        args.push(source.to_str().unwrap());
        run("ffmpeg", &args);
        let probe = ffprobe(&source, &["-show_streams", "-show_packets", "-show_data"]);
        let streams = probe["streams"].as_array().unwrap();
        let stream = |kind: &str| {
            streams
                .iter()
                .find(|s| s["codec_type"] == kind)
                .unwrap_or_else(|| panic!("no {kind} stream"))
        };
        let (vs, aus) = (stream("video"), stream("audio"));
        let video = VideoParams {
            codec: "h264".into(),
            rfc6381: String::new(),
            extra_data: unhexdump(vs["extradata"].as_str().unwrap()),
            width: int(vs, "width") as u32,
            height: int(vs, "height") as u32,
            clock_rate: 90_000,
            payload_type: 96,
        };
        let audio = AudioParams {
            codec: "aac".into(),
            rfc6381: String::new(),
            extra_data: unhexdump(aus["extradata"].as_str().unwrap()),
            sample_rate: int(aus, "sample_rate") as u32,
            channels: int(aus, "channels") as u16,
            frame_length: 1024,
        };
        assert_eq!(video.extra_data.len() as i64, int(vs, "extradata_size"));
        assert_eq!(
            mime(&video, Some(&audio)),
            "video/mp4; codecs=\"avc1.64000D, mp4a.40.2\""
        );
        let rate = i64::from(audio.sample_rate);

        // Feed every packet in file order (decode order per stream), as the relay would.
        let mut muxed = init_segment(&video, Some(&audio)).unwrap();
        let mut m = Muxer::new(&video, Some(&audio)).unwrap();
        let mut sent_video: Vec<(i64, bool)> = Vec::new();
        let mut sent_audio: Vec<i64> = Vec::new();
        let mut last_video: Option<(u64, u32)> = None;
        for p in probe["packets"].as_array().unwrap() {
            let data = unhexdump(p["data"].as_str().unwrap());
            assert_eq!(data.len() as i64, int(p, "size"));
            let index = int(p, "stream_index") as usize;
            let time_base = streams[index]["time_base"].as_str().unwrap();
            if p["codec_type"] == "video" {
                let pts = to_rate(int(p, "pts"), time_base, 90_000);
                let keyframe = p["flags"].as_str().unwrap().contains('K');
                let fragment = m.video(&frame(pts, keyframe, &data)).unwrap();
                // ffmpeg hides negative composition offsets (it shifts the track's presentation
                // times instead), and ignores decode-time steps Chromium takes for a
                // discontinuity: both are checked on the boxes themselves.
                let parsed = parse_fragment(&fragment);
                assert_eq!(parsed.payload, data);
                assert!(parsed.offset.unwrap() >= 0, "{parsed:?}");
                if let Some((dts, duration)) = last_video {
                    let step = parsed.decode_time - dts;
                    assert!(step > 0 && step <= 2 * u64::from(duration), "{parsed:?}");
                }
                last_video = Some((parsed.decode_time, parsed.duration));
                muxed.extend_from_slice(&fragment);
                sent_video.push((pts, keyframe));
            } else {
                let pts = to_rate(int(p, "pts"), time_base, rate);
                let f = AudioFrame {
                    pts,
                    data: Bytes::from(data),
                };
                if let Some(fragment) = m.audio(&f).unwrap() {
                    muxed.extend_from_slice(&fragment);
                    sent_audio.push(pts);
                }
            }
        }
        assert_eq!(sent_video.len(), 75);
        assert!(sent_video[0].1 && sent_video.iter().filter(|v| v.1).count() == 3);
        let reordered = sent_video.windows(2).any(|w| w[1].0 < w[0].0);
        assert!(reordered, "the source has B-frames");
        assert!(sent_audio.len() > 100, "{} audio frames", sent_audio.len());

        let out = dir.path().join("muxed.mp4");
        std::fs::write(&out, &muxed).unwrap();
        let back = ffprobe(&out, &["-show_streams", "-show_packets", "-show_frames"]);
        let back_streams = back["streams"].as_array().unwrap();
        assert_eq!(back_streams.len(), 2);
        assert_eq!(back_streams[0]["codec_type"], "video");
        assert_eq!(back_streams[0]["time_base"], "1/90000");
        assert_eq!(back_streams[1]["codec_type"], "audio");
        assert_eq!(back_streams[1]["time_base"], format!("1/{rate}"));
        let items = back["packets_and_frames"].as_array().unwrap();
        let of = |kind: &str, index: i64| -> Vec<&serde_json::Value> {
            items
                .iter()
                .filter(|i| i["type"] == kind && int(i, "stream_index") == index)
                .collect()
        };

        // Video packets: every frame, in decode order, with its presentation time (relative to
        // the first keyframe), its keyframe flag, and decode times increasing, never after
        // presentation.
        let packets = of("packet", 0);
        assert_eq!(packets.len(), sent_video.len());
        let (out0, in0) = (int(packets[0], "pts"), sent_video[0].0);
        let mut last_dts = None;
        for (i, (p, (pts, keyframe))) in packets.iter().zip(&sent_video).enumerate() {
            assert_eq!(int(p, "pts") - out0, pts - in0, "video packet {i}");
            assert_eq!(p["flags"].as_str().unwrap().contains('K'), *keyframe, "{i}");
            let dts = int(p, "dts");
            assert!(
                last_dts.is_none_or(|l| dts > l),
                "video packet {i}: dts {dts}"
            );
            assert!(dts <= int(p, "pts"), "video packet {i}: dts after pts: {p}");
            last_dts = Some(dts);
        }
        // Decoded: every frame decodes (ffprobe printed no error), keyframes where they were.
        let frames = of("frame", 0);
        assert_eq!(frames.len(), sent_video.len());
        let mut shown: Vec<(i64, bool)> = frames
            .iter()
            .map(|f| (int(f, "pts") - out0, int(f, "key_frame") == 1))
            .collect();
        let mut expected: Vec<(i64, bool)> =
            sent_video.iter().map(|(p, k)| (p - in0, *k)).collect();
        shown.sort_unstable();
        expected.sort_unstable();
        assert_eq!(shown, expected);

        // Audio: every frame muxed, at its time, on the same time line as the video.
        let audio_packets = of("packet", 1);
        assert_eq!(audio_packets.len(), sent_audio.len());
        for (i, (p, pts)) in audio_packets.iter().zip(&sent_audio).enumerate() {
            // Offsets from the first video frame, in audio samples: as sent, to the sample.
            let sent = pts - in0 * rate / 90_000;
            let read = int(p, "pts") - out0 * rate / 90_000;
            assert!(
                (sent - read).abs() <= 1,
                "audio packet {i}: {sent} vs {read}"
            );
        }
        assert_eq!(of("frame", 1).len(), sent_audio.len());
    }
}
