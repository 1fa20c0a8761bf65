//! `camscan serve`'s live preview: one camera session per stream, shared by every viewer.
//!
//! A [`Hub`] keeps one [`relay`] per stream somebody watches: one retina RTSP session (counted in
//! the scanner's per-device session cap), its RTP depacketized into access units and fanned out to
//! each viewer's own byte-capped [`queue`]. Viewers are the browser's Media Source Extensions
//! player (fragmented MP4 from [`fmp4`] over a WebSocket) and WebRTC peers ([`webrtc`], str0m in
//! RTP mode, the camera's own packets re-stamped). Nothing is transcoded: the browser decodes the
//! camera's own H.264, as go2rtc and moonfire-nvr do.
//!
//! Above the scan: the relay uses `analyze` (retina session helpers) and `store` (the stream's URL
//! and the credential that opened it); `serve` uses the hub.

pub mod fmp4;
mod fmp4_boxes;
mod fmp4_init;
pub mod queue;
pub mod relay;
mod relay_frames;
mod relay_viewers;
pub mod rtp;
#[cfg(feature = "webrtc")]
pub mod webrtc;
/// Built without the `webrtc` feature: the same interface, every offer refused.
#[cfg(not(feature = "webrtc"))]
#[path = "webrtc_off.rs"]
pub mod webrtc;
#[cfg(feature = "webrtc")]
mod webrtc_rebase;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

pub use relay::{Hub, HubLimits, PreviewError, Viewer, ViewerKind};

/// What a relay hands each viewer, in order. Cheap to clone (`Arc` inside).
#[derive(Clone, Debug)]
pub enum Unit {
    /// The camera's session (re)started, or its parameters changed: a viewer (re)starts its decoder
    /// (MSE: a new init segment). Always the first unit a viewer gets.
    Params(Arc<Params>),
    /// One H.264 access unit in decode order, AVC format (4-byte big-endian length before each
    /// NAL unit), as retina's `VideoFrame::data()` gives it.
    Video(Arc<VideoFrame>),
    /// One AAC frame (raw, no ADTS header).
    Audio(Arc<AudioFrame>),
    /// One RTP packet of the video stream as the camera sent it (WebRTC forwards these).
    Rtp(Arc<RtpPacket>),
    /// The camera dropped; the relay is reconnecting.
    Reconnecting { reason: String },
}

impl Unit {
    /// Bytes the unit holds (what a viewer's queue counts against its cap).
    pub fn size(&self) -> usize {
        match self {
            Unit::Video(f) => f.data.len(),
            Unit::Audio(f) => f.data.len(),
            Unit::Rtp(p) => p.payload.len() + 12,
            Unit::Params(_) | Unit::Reconnecting { .. } => 64,
        }
    }

    /// Whether a viewer cut back to the next keyframe may start again here.
    pub fn is_start(&self) -> bool {
        match self {
            Unit::Video(f) => f.keyframe,
            Unit::Rtp(p) => p.keyframe_start,
            Unit::Params(_) | Unit::Reconnecting { .. } => true,
            Unit::Audio(_) => false,
        }
    }
}

/// The stream's codec parameters, as the camera's SDP and in-band parameter sets give them.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub video: Option<VideoParams>,
    pub audio: Option<AudioParams>,
    /// Why the stream's audio is not offered (e.g. G.711, which MSE cannot play).
    pub audio_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VideoParams {
    /// `h264`, `h265` or `jpeg`.
    pub codec: String,
    /// RFC 6381 codec string, e.g. `avc1.4D401F`.
    pub rfc6381: String,
    /// The AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1).
    pub extra_data: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// RTP clock rate (90 000 for video).
    pub clock_rate: u32,
    /// The camera's RTP payload type for this stream.
    pub payload_type: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AudioParams {
    /// `aac`.
    pub codec: String,
    /// RFC 6381 codec string, e.g. `mp4a.40.2`.
    pub rfc6381: String,
    /// The AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1).
    pub extra_data: Vec<u8>,
    pub sample_rate: u32,
    pub channels: u16,
    /// Samples per frame (1024 for AAC-LC).
    pub frame_length: u32,
}

#[derive(Debug, Clone)]
pub struct VideoFrame {
    /// RTP timestamp in clock-rate units, unwrapped: increasing except where B-frames reorder.
    pub pts: i64,
    /// An IDR access unit (a decoder can start here).
    pub keyframe: bool,
    /// AVC format: each NAL unit after its 4-byte big-endian length.
    pub data: Bytes,
    /// When the relay got the frame's last packet.
    pub received: Instant,
}

#[derive(Debug, Clone)]
pub struct AudioFrame {
    /// RTP timestamp in sample-rate units, unwrapped.
    pub pts: i64,
    pub data: Bytes,
}

#[derive(Debug, Clone)]
pub struct RtpPacket {
    pub sequence: u16,
    pub timestamp: u32,
    pub marker: bool,
    pub payload_type: u8,
    /// The RTP payload (no header).
    pub payload: Bytes,
    /// The first packet of an IDR access unit (its SPS, PPS or IDR slice).
    pub keyframe_start: bool,
}
