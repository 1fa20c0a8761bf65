//! A stream as the report says it (part of the JSON contract, as all of [`super`]): how opening
//! it went ([`StreamStatus`]), what its description says of its video and audio
//! ([`VideoInfo`], [`AudioInfo`]), and what the PLAY check measured ([`Measured`]).

use serde::{Deserialize, Serialize};

use super::*;

/// Outcome of trying to open one stream URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StreamStatus {
    Ok,
    /// Asks for credentials and none were tried (none given, or `--no-auth`).
    AuthRequired,
    /// Every credential tried was refused (within the lockout budget).
    AuthFailed,
    /// The device signalled a lockout, or began refusing a credential that had worked: camscan stopped.
    AuthLocked,
    NotFound,
    Error,
}

impl StreamStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamStatus::Ok => "ok",
            StreamStatus::AuthRequired => "auth_required",
            StreamStatus::AuthFailed => "auth_failed",
            StreamStatus::AuthLocked => "auth_locked",
            StreamStatus::NotFound => "not_found",
            StreamStatus::Error => "error",
        }
    }
}

/// A stream URL and what is known about its media. URLs never carry credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Stream {
    pub url: String,
    pub protocol: Protocol,
    pub port: u16,
    pub auth: AuthScheme,
    pub status: StreamStatus,
    /// The user name that opened the stream (never the password).
    #[serde(default)]
    pub username: Option<String>,
    /// `true` once media packets were actually received (the PLAY check).
    pub verified: bool,
    pub video: Option<VideoInfo>,
    pub audio: Option<AudioInfo>,
    /// What the PLAY check measured, when it ran.
    #[serde(default)]
    pub measured: Option<Measured>,
    /// This URL gives the same stream as the one named here (same description: parameter sets,
    /// size, rate), on a server that ignores the sub-stream selector or serves one stream under
    /// two names. Its DESCRIBE answered in this scan; its facts, PLAY check and `verified` are the
    /// other's: it was not opened or played itself (first scans and rescans alike).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_as: Option<String>,
    /// What camscan had to work around to describe this stream, e.g. `sdp_repaired: missing
    /// origin address` for a camera SDP a strict parser rejects. Omitted when empty.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
    /// Which entry of the scan's credentials list opened it (its position): in no output, for
    /// the inventory to keep that entry's keyed hash when several entries share a user name.
    #[serde(skip)]
    pub credential_entry: Option<usize>,
}

/// What the PLAY check measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Measured {
    /// `tcp` or `udp`.
    pub transport: String,
    pub packets: u64,
    pub bytes: u64,
    /// Frames per second from RTP timestamps (video only).
    pub fps: Option<f64>,
    /// Payload bitrate in kbit/s over the window.
    pub bitrate_kbps: Option<f64>,
    /// A keyframe (IDR/IRAP, or any JPEG frame) arrived.
    pub keyframe: bool,
    /// How long we listened, ms.
    pub duration_ms: u64,
    /// Frame size read from the media (MJPEG: the RTP/JPEG header), when the stream gives it.
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
}

impl Stream {
    /// A stream that opened without credentials and has not been analysed yet.
    pub fn new(url: String, protocol: Protocol, port: u16) -> Self {
        Stream {
            url,
            protocol,
            port,
            auth: AuthScheme::None,
            status: StreamStatus::Ok,
            username: None,
            verified: false,
            video: None,
            audio: None,
            measured: None,
            same_as: None,
            notes: Vec::new(),
            credential_entry: None,
        }
    }
}

/// Video facts, lowercase codec names: `h264`, `h265`, `mjpeg`, `mpeg4`, `vp8`, `vp9`, `av1`, or the SDP
/// encoding name lowercased for anything else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VideoInfo {
    pub codec: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Frames per second: measured from RTP timestamps when the PLAY check ran and disagreed with the
    /// stream's own claim, else as declared.
    pub fps: Option<f64>,
    /// Where `fps` came from: `rtp` (measured), `sps` (the encoder's timing info), `sdp`
    /// (`a=framerate`), `parts` (MJPEG arrivals), `playlist`, `manifest`, `segment` (fMP4 HLS
    /// fragment), `metadata` (RTMP/FLV `onMetaData`), `timestamps` (FLV tags) or `ffprobe`.
    #[serde(default)]
    pub fps_source: Option<String>,
    /// Codec profile, e.g. `main`, `high`, `baseline` (H.264) or `main`, `main10` (H.265).
    pub profile: Option<String>,
    /// Codec level, e.g. `3.1`.
    #[serde(default)]
    pub level: Option<String>,
    /// RFC 6381 codec string, e.g. `avc1.4D401F`.
    #[serde(default)]
    pub rfc6381: Option<String>,
    /// Bitrate the stream declares, kbit/s: SDP `b=AS:`, HLS `BANDWIDTH`, DASH `bandwidth`, RTMP/FLV
    /// `videodatarate`.
    #[serde(default)]
    pub bitrate_kbps: Option<u32>,
}

impl VideoInfo {
    /// Only the codec known.
    pub fn new(codec: String) -> Self {
        VideoInfo {
            codec,
            width: None,
            height: None,
            fps: None,
            fps_source: None,
            profile: None,
            level: None,
            rfc6381: None,
            bitrate_kbps: None,
        }
    }
}

/// Audio facts, lowercase codec names: `aac`, `pcmu`, `pcma`, `g722`, `g726`, `opus`, `l16`, or the SDP
/// encoding name lowercased.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AudioInfo {
    pub codec: String,
    /// Hz.
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
}
