//! What one relay session's frames become for its viewers: the stream's parameters, RTP
//! packets for WebRTC, access units for MSE, and the frame rate measured from their timestamps
//! (`super::relay` runs the session).

use std::sync::Arc;
use std::time::Instant;

use retina::codec::ParametersRef;

use super::relay_viewers::{Shared, ViewerKind};
use super::rtp::Packetizer;
use super::{AudioFrame, AudioParams, Params, Unit, VideoFrame, VideoParams};

/// Frames after a keyframe without reordering before the stream is said to have no B-frames
/// (x264 and camera encoders put B-frames in every mini-GOP of at most 16 frames).
const B_FRAME_WINDOW: u32 = 16;

/// Whether a session's video frames, in the order they arrive (decode order), are shown in
/// another order: B-frames.
#[derive(Debug)]
struct Reorder {
    /// Frames after a keyframe seen in order (across keyframes: a camera that gets a keyframe
    /// request from each new client of a shared media may never go 16 frames without one).
    in_order: u32,
    /// The PTS of the last keyframe: a frame of its (closed) GOP is never shown before it.
    key_pts: i64,
    /// The highest PTS since the last keyframe (a lower one is a B-frame).
    max_pts: i64,
}

impl Reorder {
    fn new() -> Self {
        Reorder {
            in_order: 0,
            key_pts: i64::MIN,
            max_pts: i64::MIN,
        }
    }

    /// The frame at `pts` (a keyframe or not): `Some(true)` when it is shown before a frame
    /// received earlier (a B-frame), `Some(false)` once [`B_FRAME_WINDOW`] frames came in order,
    /// else `None` (not known yet; nothing is known before the first keyframe).
    ///
    /// A frame shown before its GOP's keyframe is not a B-frame: the timestamps started again (a
    /// server that seeks a shared media for a new client restarts its running time, GStreamer's
    /// among them; a source restarted), and the frames are read from it on as from a keyframe.
    /// Read as a B-frame, it would take WebRTC from a stream without B-frames for the session
    /// (the likely cause of one CI run's `tests/live.rs` failure, whose log kept no timestamps).
    /// An open GOP's leading B-frames are read so too; its other B-frames still tell.
    fn frame(&mut self, pts: i64, keyframe: bool) -> Option<bool> {
        if keyframe || (self.max_pts != i64::MIN && pts < self.key_pts) {
            self.key_pts = pts;
            self.max_pts = pts;
            return None;
        }
        if self.max_pts == i64::MIN {
            return None;
        }
        let verdict = if pts < self.max_pts {
            Some(true)
        } else {
            self.in_order = self.in_order.saturating_add(1);
            (self.in_order >= B_FRAME_WINDOW).then_some(false)
        };
        self.max_pts = self.max_pts.max(pts);
        verdict
    }
}

/// The relay's state between frames of one session.
pub(super) struct Frames {
    payload_type: u8,
    audio_note: Option<String>,
    pub(super) params: Option<Arc<Params>>,
    packetizer: Packetizer,
    pub(super) frames: u64,
    /// Whether the video's frames are reordered (B-frames).
    reorder: Reorder,
    /// PTS of the last frames (the measured frame rate).
    recent: std::collections::VecDeque<i64>,
    clock_rate: u32,
}

impl Frames {
    pub(super) fn new(payload_type: u8, audio_note: Option<String>) -> Self {
        Frames {
            payload_type,
            audio_note,
            params: None,
            packetizer: Packetizer::new(payload_type),
            frames: 0,
            reorder: Reorder::new(),
            recent: Default::default(),
            clock_rate: 90_000,
        }
    }

    /// The stream's parameters, as retina has them now, to every viewer.
    pub(super) fn params(
        &mut self,
        demuxed: &retina::client::Demuxed,
        video: usize,
        audio: Option<usize>,
        shared: &Shared,
    ) {
        let streams = demuxed.streams();
        let v = match streams[video].parameters() {
            Some(ParametersRef::Video(v)) => {
                let (width, height) = v.pixel_dimensions();
                Some(VideoParams {
                    codec: "h264".into(),
                    rfc6381: v.rfc6381_codec().to_string(),
                    extra_data: v.extra_data().to_vec(),
                    width,
                    height,
                    clock_rate: streams[video].clock_rate_hz(),
                    payload_type: self.payload_type,
                })
            }
            _ => None,
        };
        let a = audio.and_then(|i| match streams[i].parameters() {
            Some(ParametersRef::Audio(a)) => Some(AudioParams {
                codec: "aac".into(),
                rfc6381: a.rfc6381_codec()?.to_string(),
                extra_data: a.extra_data().to_vec(),
                sample_rate: a.clock_rate(),
                channels: a.channels().get(),
                frame_length: a.frame_length().map_or(1024, |n| n.get()),
            }),
            _ => None,
        });
        if let Some(v) = &v {
            self.clock_rate = v.clock_rate.max(1);
        }
        let p = Arc::new(Params {
            video: v,
            audio: a,
            audio_note: self.audio_note.clone(),
        });
        self.params = Some(p.clone());
        shared.status.send_modify(|s| s.params = Some(p.clone()));
        shared.push(None, &Unit::Params(p));
    }

    pub(super) fn video(&mut self, f: retina::codec::VideoFrame, shared: &Shared) {
        let pts = f.timestamp().elapsed();
        let keyframe = f.is_random_access_point();
        self.frames += 1;
        let b_frames = self.reorder.frame(pts, keyframe);
        self.recent.push_back(pts);
        if self.recent.len() > 50 {
            self.recent.pop_front();
        }
        if b_frames.is_some() || self.frames % 25 == 1 {
            let fps = self.fps();
            shared.status.send_if_modified(|s| {
                let before = (s.state, s.b_frames, s.fps);
                s.state = "live";
                s.error = None;
                // Once seen, B-frames stay known for the session.
                if s.b_frames != Some(true) && b_frames.is_some() {
                    s.b_frames = b_frames;
                }
                if fps.is_some() {
                    s.fps = fps;
                }
                before != (s.state, s.b_frames, s.fps)
            });
        }
        let data = bytes::Bytes::from(f.into_data());
        if shared.wants(ViewerKind::Rtp) {
            for p in self.packetizer.packetize(pts as u32, keyframe, &data) {
                shared.push(Some(ViewerKind::Rtp), &Unit::Rtp(Arc::new(p)));
            }
        }
        shared.push(
            Some(ViewerKind::Frames),
            &Unit::Video(Arc::new(VideoFrame {
                pts,
                keyframe,
                data,
                received: Instant::now(),
            })),
        );
    }

    pub(super) fn audio(&mut self, f: retina::codec::AudioFrame, shared: &Shared) {
        let pts = f.timestamp().elapsed();
        let data = bytes::Bytes::copy_from_slice(f.data());
        shared.push(
            Some(ViewerKind::Frames),
            &Unit::Audio(Arc::new(AudioFrame { pts, data })),
        );
    }

    /// Frames per second from the RTP timestamps of the last frames (B-frames reorder them, so
    /// the span is max - min).
    fn fps(&self) -> Option<f64> {
        // Distinct times: a camera that repeats a frame's timestamp (a slice or parameter sets
        // sent as units of their own) has not made two pictures.
        let mut times: Vec<i64> = self.recent.iter().copied().collect();
        times.sort_unstable();
        times.dedup();
        let n = times.len();
        if n < 5 {
            return None;
        }
        let (min, max) = (times[0], times[n - 1]);
        (max > min).then(|| (n - 1) as f64 * f64::from(self.clock_rate) / (max - min) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::{B_FRAME_WINDOW, Reorder};

    /// The verdicts of frames `(pts, keyframe)` in the order they arrive.
    fn verdicts(frames: &[(i64, bool)]) -> Vec<Option<bool>> {
        let mut r = Reorder::new();
        frames.iter().map(|&(pts, key)| r.frame(pts, key)).collect()
    }

    /// x264's `bframes=2` in decode order (I P B B P ...): each B-frame tells.
    #[test]
    fn each_b_frame_is_told() {
        let v = verdicts(&[(0, true), (3, false), (1, false), (2, false), (6, false)]);
        assert_eq!(v, [None, None, Some(true), Some(true), None]);
    }

    /// Frames in order: no B-frames once a window of them came, not before.
    #[test]
    fn frames_in_order_have_no_b_frames_after_a_window() {
        let frames: Vec<(i64, bool)> = (0..=i64::from(B_FRAME_WINDOW))
            .map(|i| (i * 6000, i == 0))
            .collect();
        let v = verdicts(&frames);
        assert!(v[..v.len() - 1].iter().all(Option::is_none), "{v:?}");
        assert_eq!(v.last(), Some(&Some(false)));
        // Nothing is known before the first keyframe.
        assert_eq!(verdicts(&[(5, false), (1, false), (9, false)]), [None; 3]);
    }

    /// Timestamps that start again in the middle of a GOP (a shared media sought for another
    /// client) are not B-frames: a stream without them is still said to have none, and B-frames
    /// after such a restart are still told.
    #[test]
    fn timestamps_starting_again_are_not_b_frames() {
        let mut frames = vec![(900_000, true), (906_000, false), (912_000, false)];
        frames.extend((0..i64::from(B_FRAME_WINDOW)).map(|i| (i * 6000, false)));
        let v = verdicts(&frames);
        assert!(!v.contains(&Some(true)), "{v:?}");
        assert_eq!(v.last(), Some(&Some(false)));
        let v = verdicts(&[
            (900_000, true),
            (912_000, false),
            (0, false),
            (12_000, false),
            (6_000, false),
        ]);
        assert_eq!(v, [None, None, None, None, Some(true)]);
    }
}
