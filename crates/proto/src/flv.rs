//! HTTP-FLV: the FLV container (Adobe FLV spec v10.1, annex E) served over plain HTTP by streaming
//! servers (SRS, nginx-http-flv, VLC's HTTP output) and some cameras. A bounded read of the start of
//! the stream: the 9-byte header (`FLV`, version 1, audio/video flags), then tags until the codecs
//! are known. The `onMetaData` script tag gives size, frame rate and codecs (the same AMF0 object
//! RTMP carries, read by `proto::rtmp::parse_metadata_body`); the first audio and video tags give
//! the codecs when the metadata does not (video CodecID, or an Enhanced RTMP FourCC; audio
//! SoundFormat).

use crate::rtmp::{Metadata, parse_metadata_body};

/// Most tags read.
pub const MAX_TAGS: usize = 64;
/// Video frames whose timestamps give the frame rate when `onMetaData` has none.
pub const FPS_FRAMES: usize = 12;
/// Largest data offset accepted (the header is 9 bytes; the spec leaves room for growth).
pub const MAX_HEADER: u32 = 1024;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FlvError {
    #[error("not an FLV stream (no \"FLV\" signature, version 1)")]
    NotFlv,
    #[error("FLV header data offset {0} out of range")]
    BadHeader(u32),
}

/// What the start of an FLV stream says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlvInfo {
    /// The header's TypeFlagsVideo / TypeFlagsAudio.
    pub has_video: bool,
    pub has_audio: bool,
    /// `onMetaData`, with codec ids filled from the first tags when it lacks them.
    pub metadata: Metadata,
    /// An `onMetaData` tag was read.
    pub had_metadata: bool,
    /// Tags read.
    pub tags: usize,
    /// Timestamps (ms) of the first video frames (not sequence headers), at most [`FPS_FRAMES`].
    pub frame_times: Vec<u32>,
}

impl FlvInfo {
    /// Frames per second from the video tags' timestamps (FLV carries milliseconds), when
    /// [`FPS_FRAMES`] frames were read and their times increase.
    pub fn measured_fps(&self) -> Option<f64> {
        let (first, last) = (*self.frame_times.first()?, *self.frame_times.last()?);
        if self.frame_times.len() < FPS_FRAMES || last <= first {
            return None;
        }
        let fps = (self.frame_times.len() - 1) as f64 * 1000.0 / f64::from(last - first);
        let fps = (fps * 1000.0).round() / 1000.0;
        // Frames days apart round to 0: no rate (fuzz target `flv` found it).
        (fps > 0.0 && fps <= 1000.0).then_some(fps)
    }

    /// The metadata, codecs and (if the metadata has no frame rate) the frames to time are in.
    pub fn complete(&self) -> bool {
        let md = &self.metadata;
        self.had_metadata
            && (!self.has_video || md.video_codec().is_some())
            && (!self.has_audio || md.audio_codec().is_some())
            && (!self.has_video || md.frame_rate.is_some() || self.frame_times.len() >= FPS_FRAMES)
    }
}

fn u24(b: &[u8]) -> usize {
    (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2])
}

/// Parse the start of an FLV stream: the header must be whole; tags are read while whole.
pub fn parse(bytes: &[u8]) -> Result<FlvInfo, FlvError> {
    if bytes.len() < 9 || &bytes[..3] != b"FLV" || bytes[3] != 1 {
        return Err(FlvError::NotFlv);
    }
    let flags = bytes[4];
    let offset = u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]);
    if !(9..=MAX_HEADER).contains(&offset) {
        return Err(FlvError::BadHeader(offset));
    }
    let mut info = FlvInfo {
        has_video: flags & 0x01 != 0,
        has_audio: flags & 0x04 != 0,
        ..Default::default()
    };
    // The header, then PreviousTagSize0.
    let mut at = offset as usize + 4;
    let mut video_id = None;
    let mut audio_id = None;
    while info.tags < MAX_TAGS {
        let Some(head) = bytes.get(at..at + 11) else {
            break;
        };
        let kind = head[0] & 0x1f;
        let size = u24(&head[1..4]);
        // Timestamp: 24 bits, then the extended upper 8.
        let time = (u32::from(head[7]) << 24) | u24(&head[4..7]) as u32;
        let Some(data) = bytes.get(at + 11..at + 11 + size) else {
            break;
        };
        info.tags += 1;
        match kind {
            18 if !info.had_metadata => {
                if let Some(md) = parse_metadata_body(data) {
                    info.metadata = md;
                    info.had_metadata = true;
                }
            }
            9 if !data.is_empty() => {
                let enhanced = data[0] & 0x80 != 0;
                if video_id.is_none() {
                    video_id = if enhanced {
                        // Enhanced RTMP ExVideoTagHeader: a FourCC after the first byte.
                        data.get(1..5)
                            .map(|f| u32::from_be_bytes([f[0], f[1], f[2], f[3]]))
                    } else {
                        Some(u32::from(data[0] & 0x0f))
                    };
                }
                // A frame, not a sequence header (AVCPacketType 0; Enhanced PacketType 0).
                let header = if enhanced {
                    data[0] & 0x0f == 0
                } else {
                    data[0] & 0x0f == 7 && data.get(1) == Some(&0)
                };
                if !header && info.frame_times.len() < FPS_FRAMES {
                    info.frame_times.push(time);
                }
            }
            8 if audio_id.is_none() && !data.is_empty() => {
                audio_id = Some(u32::from(data[0] >> 4));
            }
            _ => {}
        }
        at += 11 + size + 4;
        let video_known = !info.has_video || video_id.is_some();
        let audio_known = !info.has_audio || audio_id.is_some();
        let timed = !info.has_video
            || info.metadata.frame_rate.is_some()
            || info.frame_times.len() >= FPS_FRAMES;
        if info.had_metadata && video_known && audio_known && timed {
            break;
        }
    }
    let md = &mut info.metadata;
    if md.video_codec_id.is_none() || md.video_codec().is_none() {
        md.video_codec_id = video_id.or(md.video_codec_id);
    }
    if md.audio_codec_id.is_none() || md.audio_codec().is_none() {
        md.audio_codec_id = audio_id.or(md.audio_codec_id);
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start of what VLC 3.0 (`mux=avformat{mux=flv}`) serves in the media lab: header with
    /// audio and video, `onMetaData` (640x360, 15 fps, videocodecid 7, audiocodecid 10), the AVC
    /// sequence header and the AAC one.
    fn vlc_start() -> Vec<u8> {
        let mut b = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        use crate::rtmp::amf0::{Amf0Value, encode};
        let mut meta = Vec::new();
        encode(&Amf0Value::String("onMetaData".into()), &mut meta);
        let props = [
            ("duration", 0.0),
            ("width", 640.0),
            ("height", 360.0),
            ("framerate", 15.0),
            ("videocodecid", 7.0),
            ("audiocodecid", 10.0),
            ("audiosamplerate", 44100.0),
        ];
        let array = props
            .iter()
            .map(|(k, v)| (k.to_string(), Amf0Value::Number(*v)))
            .collect();
        encode(&Amf0Value::EcmaArray(array), &mut meta);
        tag(&mut b, 18, &meta);
        tag(&mut b, 9, &[0x17, 0x00, 0, 0, 0, 1, 0x64, 0x00, 0x1e]);
        tag(&mut b, 8, &[0xaf, 0x00, 0x12, 0x08]);
        b
    }

    fn tag(out: &mut Vec<u8>, kind: u8, data: &[u8]) {
        let n = data.len();
        out.extend_from_slice(&[
            kind,
            (n >> 16) as u8,
            (n >> 8) as u8,
            n as u8,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ]);
        out.extend_from_slice(data);
        out.extend_from_slice(&((n + 11) as u32).to_be_bytes());
    }

    #[test]
    fn metadata_and_codecs() {
        let info = parse(&vlc_start()).unwrap();
        assert!(info.has_video && info.has_audio && info.had_metadata);
        let md = &info.metadata;
        assert_eq!(
            (md.width, md.height, md.frame_rate),
            (Some(640), Some(360), Some(15.0))
        );
        assert_eq!(
            (md.video_codec(), md.audio_codec()),
            (Some("h264"), Some("aac"))
        );
        assert_eq!(md.audio_sample_rate, Some(44100));
    }

    /// 8 KiB of VLC's live HTTP-FLV (tests/fixtures/flv, captured from the media lab).
    #[test]
    fn a_real_vlc_stream_start() {
        let bytes = &crate::test_fixture("flv/vlc_live_start.flv");
        let info = parse(bytes).unwrap();
        assert!(info.has_video && info.has_audio && info.had_metadata);
        let md = &info.metadata;
        assert_eq!((md.width, md.height), (Some(640), Some(360)));
        assert_eq!(
            (md.video_codec(), md.audio_codec()),
            (Some("h264"), Some("aac"))
        );
        assert_eq!(md.frame_rate, None, "VLC writes no framerate");
        // Its first keyframe does not fit in 8 KiB: not enough frames to time, so a reader goes on.
        assert!(info.frame_times.len() < FPS_FRAMES && !info.complete());
    }

    #[test]
    fn codecs_from_tags_when_metadata_is_missing_or_cut() {
        let mut b = b"FLV\x01\x01\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        // Enhanced RTMP: ExHeader bit, then the FourCC "hvc1".
        tag(&mut b, 9, &[0x90, b'h', b'v', b'c', b'1', 0]);
        let info = parse(&b).unwrap();
        assert!(!info.had_metadata);
        assert_eq!(info.metadata.video_codec(), Some("h265"));
        // A stream cut inside a tag: what came before it counts.
        let full = vlc_start();
        let info = parse(&full[..full.len() - 6]).unwrap();
        assert_eq!(info.metadata.video_codec(), Some("h264"));
        assert_eq!(info.tags, 2);
    }

    #[test]
    fn frame_rate_from_tag_timestamps() {
        let mut b = b"FLV\x01\x01\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        // The AVC sequence header at 0 ms does not count; then frames every 66/67 ms (15 fps).
        tag(&mut b, 9, &[0x17, 0x00, 0, 0, 0]);
        for i in 0..FPS_FRAMES as u32 {
            let t = i * 200 / 3;
            let n = b.len();
            tag(&mut b, 9, &[0x27, 0x01, 0, 0, 0, 0xaa]);
            b[n + 4..n + 7].copy_from_slice(&t.to_be_bytes()[1..]);
        }
        let info = parse(&b).unwrap();
        assert_eq!(info.frame_times.len(), FPS_FRAMES);
        assert_eq!(info.measured_fps(), Some(15.007)); // 11 intervals over 733 ms
        // Too few frames, or times that do not move: no guess.
        let short = FlvInfo {
            frame_times: vec![0, 66, 133],
            ..Default::default()
        };
        assert_eq!(short.measured_fps(), None);
        let stuck = FlvInfo {
            frame_times: vec![5; FPS_FRAMES],
            ..Default::default()
        };
        assert_eq!(stuck.measured_fps(), None);
        // Timestamps hours apart: a rate that rounds to 0 is no rate.
        let mut far = vec![0u32; FPS_FRAMES];
        far[FPS_FRAMES - 1] = 4_000_000_000;
        let far = FlvInfo {
            frame_times: far,
            ..Default::default()
        };
        assert_eq!(far.measured_fps(), None);
    }

    #[test]
    fn not_flv_and_hostile_headers() {
        assert_eq!(parse(b"<html>"), Err(FlvError::NotFlv));
        assert_eq!(parse(b"FLV\x02\x05\x00\x00\x00\x09"), Err(FlvError::NotFlv));
        assert_eq!(
            parse(b"FLV\x01\x05\xff\xff\xff\xff"),
            Err(FlvError::BadHeader(u32::MAX))
        );
        // A tag that declares 16 MiB and an endless run of empty tags stay bounded.
        let mut b = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        b.extend_from_slice(&[18, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(parse(&b).unwrap().tags, 0);
        let mut b = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        for _ in 0..1000 {
            tag(&mut b, 8, &[]);
        }
        assert_eq!(parse(&b).unwrap().tags, MAX_TAGS);
    }
}
