//! A stream as the report says it (part of the JSON contract, as all of [`super`]): how opening
//! it went ([`StreamStatus`]), what its description says of its video and audio
//! ([`VideoInfo`], [`AudioInfo`]), and what the PLAY check measured ([`Measured`]).

use serde::{Deserialize, Serialize};

use super::*;

/// Outcome of trying to open one stream URL. `ok` means it played: media was received from it
/// (`verified` is then `true`); a stream whose server answered and sent no media is
/// `unverified`. Schema version 1 wrote `ok` for both; a version 1 report read back (`camscan
/// convert`) is settled by its `verified`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StreamStatus {
    /// It played: its server answered and media was received from it (`verified` is `true`).
    Ok,
    /// Its server answered for it (DESCRIBE, PLAY, a GET) and no media was received: not known to
    /// play (the PLAY check got none within its window, or did not run: `--no-verify`, a stream
    /// kind it does not check).
    Unverified,
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
            StreamStatus::Unverified => "unverified",
            StreamStatus::AuthRequired => "auth_required",
            StreamStatus::AuthFailed => "auth_failed",
            StreamStatus::AuthLocked => "auth_locked",
            StreamStatus::NotFound => "not_found",
            StreamStatus::Error => "error",
        }
    }

    /// Its server answered for it and let camscan in: `ok` or `unverified`. What "it opened"
    /// means everywhere (a stream to export, to rank first, to check again), whether or not
    /// media came.
    pub fn answers(self) -> bool {
        matches!(self, StreamStatus::Ok | StreamStatus::Unverified)
    }

    /// The status of a stream that answered, by whether media came from it: `ok` when it did,
    /// `unverified` when not; any other status as it is. The one rule that keeps `ok` meaning
    /// "played" (the registry when a scan ends, a report of schema version 1 read back, the
    /// inventory's rows).
    pub fn settled(self, verified: bool) -> StreamStatus {
        match self {
            StreamStatus::Ok | StreamStatus::Unverified if verified => StreamStatus::Ok,
            StreamStatus::Ok | StreamStatus::Unverified => StreamStatus::Unverified,
            other => other,
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
    /// A stream that opened without credentials and has not been analysed yet: `unverified`
    /// until media comes from it ([`Stream::settle`]).
    pub fn new(url: String, protocol: Protocol, port: u16) -> Self {
        Stream {
            url,
            protocol,
            port,
            auth: AuthScheme::None,
            status: StreamStatus::Unverified,
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

    /// Settle its status by `verified` ([`StreamStatus::settled`]): `ok` only when it played.
    pub fn settle(&mut self) {
        self.status = self.status.settled(self.verified);
    }

    /// Why an `unverified` stream is not known to play, in words (`None` for any other status):
    /// the PLAY check's own failure among its device's `errors` (`RTSP PLAY rtsp://…: no media
    /// packet within 5s`), else that it is the same stream as another that was not played, that
    /// the PLAY check measured no media, that it is a WHEP endpoint (its offer answered, no media
    /// taken), or that no check ran (`--no-verify`, or a stream kind camscan does not play).
    pub fn unverified_reason(&self, errors: &[Failure]) -> Option<String> {
        if self.status != StreamStatus::Unverified {
            return None;
        }
        let plain = without_userinfo(&self.url);
        if let Some(f) = errors.iter().find(|f| {
            f.port.is_none_or(|p| p == self.port)
                && (f.message.contains(&self.url) || f.message.contains(&plain))
        }) {
            return Some(f.message.clone());
        }
        Some(match (&self.same_as, &self.measured) {
            (Some(original), _) => format!("the same stream as {original}, which did not play"),
            (None, Some(m)) => format!("answered PLAY, no media in {} ms", m.duration_ms),
            (None, None) if self.protocol == Protocol::Webrtc => {
                "a WHEP endpoint: it answered camscan's offer, whose media camscan does not \
                 receive"
                    .into()
            }
            (None, None) => {
                "answered, not played: no PLAY check ran (--no-verify, or a kind of stream \
                 camscan does not play)"
                    .into()
            }
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `ok` is a stream that played; one that answered and sent no media is `unverified`,
    /// whichever of the two it was called; a refusal or a failure stays what it is.
    #[test]
    fn ok_only_when_media_came() {
        use StreamStatus::*;
        for s in [Ok, Unverified] {
            assert_eq!(s.settled(true), Ok);
            assert_eq!(s.settled(false), Unverified);
            assert!(s.answers());
        }
        for s in [AuthRequired, AuthFailed, AuthLocked, NotFound, Error] {
            assert_eq!(s.settled(true), s);
            assert_eq!(s.settled(false), s);
            assert!(!s.answers());
        }
        let mut s = Stream::new("rtsp://198.18.0.5/live".into(), Protocol::Rtsp, 554);
        assert_eq!(s.status, Unverified, "answered, nothing played yet");
        s.verified = true;
        s.settle();
        assert_eq!(s.status, Ok);
    }

    /// Why a stream is unverified: the PLAY check's failure for its URL (credentials or not),
    /// else what is known of it; nothing for a stream that played.
    #[test]
    fn an_unverified_stream_says_why() {
        let mut s = Stream::new("rtsp://198.18.0.5:554/live".into(), Protocol::Rtsp, 554);
        let failure = |message: &str, port| Failure {
            stage: Stage::Analyze,
            port: Some(port),
            message: message.into(),
        };
        let play = "RTSP PLAY rtsp://198.18.0.5:554/live: no media packet within 5s";
        let other = failure("RTSP DESCRIBE rtsp://198.18.0.5:554/other: 404", 554);
        assert_eq!(
            s.unverified_reason(&[other.clone(), failure(play, 554)]),
            Some(play.into())
        );
        assert!(
            s.unverified_reason(&[failure(play, 8554)])
                .unwrap()
                .contains("no PLAY check ran"),
            "another port's failure is not its own"
        );
        s.url = "rtsp://admin:secret@198.18.0.5:554/live".into();
        assert_eq!(
            s.unverified_reason(&[failure(play, 554)]),
            Some(play.into())
        );
        s.measured = Some(Measured {
            transport: "tcp".into(),
            packets: 0,
            bytes: 0,
            fps: None,
            bitrate_kbps: None,
            keyframe: false,
            duration_ms: 3000,
            width: None,
            height: None,
        });
        assert_eq!(
            s.unverified_reason(&[other]).as_deref(),
            Some("answered PLAY, no media in 3000 ms")
        );
        let mut whep = Stream::new(
            "http://198.18.0.5:8889/cam/whep".into(),
            Protocol::Webrtc,
            8889,
        );
        whep.status = StreamStatus::Unverified;
        assert!(
            whep.unverified_reason(&[])
                .unwrap()
                .contains("WHEP endpoint")
        );
        s.same_as = Some("rtsp://198.18.0.5:554/main".into());
        assert!(s.unverified_reason(&[]).unwrap().contains("same stream as"));
        s.verified = true;
        s.settle();
        assert_eq!(s.unverified_reason(&[]), None);
    }
}
