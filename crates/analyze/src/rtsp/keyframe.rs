//! One keyframe of an RTSP stream, fetched by camscan's own client (retina) so that the handover
//! report's decoder (ffmpeg) is given the picture on its stdin, never the stream's URL with its
//! password on its command line (where every local user reads it).
//!
//! A session as a viewer's: DESCRIBE, SETUP of the video only (interleaved TCP, else UDP on a
//! `461` answer, as [`crate::verify`]), PLAY, then frames until the first keyframe,
//! then TEARDOWN (retina's, when the session is dropped). retina depacketizes H.264 and H.265 into
//! Annex B access units with the parameter sets in front of each keyframe (a decoder needs nothing
//! else), and RFC 2435 JPEG into whole JPEG images. Other codecs (MPEG-4 part 2) are not
//! depacketized here: [`KeyframeError::Codec`] says so, and the caller opens them another way.

use std::time::{Duration, Instant};

use futures::StreamExt;
use retina::client::{PlayOptions, Session, SessionOptions, SetupOptions, TcpTransportOptions};
use retina::codec::{CodecItem, FrameFormat};

use crate::verify::{Step, step};
use credentials::Credential;
use error::{fmt_duration, one_line};
use net::rtsp::{USER_AGENT, start_patience};

/// A keyframe and how to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyframe {
    /// The ffmpeg demuxer that reads [`Keyframe::bytes`]: `h264`, `hevc` or `mjpeg`.
    pub format: &'static str,
    /// One access unit: Annex B with its parameter sets (H.264/H.265), or a whole JPEG.
    pub bytes: Vec<u8>,
}

/// Why no keyframe came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyframeError {
    /// The video's codec (its SDP encoding name) is not one depacketized here.
    Codec(String),
    /// The session failed, or no keyframe came in time: the reason, naming the step and the URL.
    Failed(String),
}

/// The ffmpeg demuxer for an SDP encoding name retina depacketizes.
pub fn demuxer(encoding: &str) -> Option<&'static str> {
    match encoding.to_ascii_lowercase().as_str() {
        "h264" => Some("h264"),
        "h265" => Some("hevc"),
        "jpeg" => Some("mjpeg"),
        _ => None,
    }
}

/// The first keyframe of the video of `url` (no credentials in it), logging in as `cred`.
/// `timeout`: each request's deadline; `within`: the whole session's, first keyframe included.
pub async fn first(
    url: &str,
    cred: Option<&Credential>,
    timeout: Duration,
    within: Duration,
) -> Result<Keyframe, KeyframeError> {
    let started = Instant::now();
    let failed = |s: Step| KeyframeError::Failed(s.message);
    let parsed =
        url::Url::parse(url).map_err(|e| KeyframeError::Failed(format!("bad URL {url}: {e}")))?;
    let opts = SessionOptions::default()
        .user_agent(USER_AGENT.to_string())
        .creds(cred.map(|c| retina::client::Credentials {
            username: c.username.clone(),
            password: c.password.clone(),
        }));
    let mut session = step(
        "DESCRIBE",
        url,
        start_patience(timeout),
        Session::describe(parsed, opts),
    )
    .await
    .map_err(failed)?;
    let Some((video, format)) = session
        .streams()
        .iter()
        .enumerate()
        .find(|(_, s)| s.media() == "video")
        .map(|(i, s)| (i, demuxer(s.encoding_name()).ok_or(s.encoding_name())))
    else {
        return Err(KeyframeError::Failed(format!(
            "{url}: no video stream in its SDP"
        )));
    };
    let format = format.map_err(|e| KeyframeError::Codec(e.to_string()))?;
    let setup = |t: retina::client::Transport| {
        SetupOptions::default()
            .transport(t)
            .frame_format(FrameFormat {
                h26x_framing: retina::codec::h26x::Framing::AnnexB,
                parameter_set_insertion: retina::codec::ParameterSetInsertion::EachKeyFrame,
                ..FrameFormat::default()
            })
    };
    let tcp = retina::client::Transport::Tcp(TcpTransportOptions::default());
    match step("SETUP", url, timeout, session.setup(video, setup(tcp))).await {
        Ok(_) => {}
        Err(Step {
            status: Some(461), ..
        }) => {
            let udp = retina::client::Transport::Udp(Default::default());
            step("SETUP", url, timeout, session.setup(video, setup(udp)))
                .await
                .map_err(failed)?;
        }
        Err(s) => return Err(failed(s)),
    }
    let playing = step(
        "PLAY",
        url,
        start_patience(timeout),
        session.play(PlayOptions::default()),
    )
    .await
    .map_err(failed)?;
    let mut demuxed = playing
        .demuxed()
        .map_err(|e| KeyframeError::Failed(format!("RTSP {url}: {}", one_line(&e))))?;
    // Every item read is bounded by what is left of `within`; a camera that sends only
    // non-key frames, or nothing, ends the loop there.
    loop {
        let left = within.saturating_sub(started.elapsed());
        let item = match tokio::time::timeout(left, demuxed.next()).await {
            Err(_) => {
                return Err(KeyframeError::Failed(format!(
                    "RTSP {url}: no keyframe within {}",
                    fmt_duration(within)
                )));
            }
            Ok(None) => {
                return Err(KeyframeError::Failed(format!(
                    "RTSP {url}: the camera ended the session before a keyframe"
                )));
            }
            Ok(Some(Err(e))) => {
                return Err(KeyframeError::Failed(format!(
                    "RTSP {url}: {}",
                    one_line(&e)
                )));
            }
            Ok(Some(Ok(item))) => item,
        };
        if let CodecItem::VideoFrame(f) = item
            && f.stream_id() == video
            && f.is_random_access_point()
            && f.loss() == 0
        {
            return Ok(Keyframe {
                format,
                bytes: f.into_data(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codecs_depacketized_here() {
        assert_eq!(demuxer("H264"), Some("h264"));
        assert_eq!(demuxer("h265"), Some("hevc"));
        assert_eq!(demuxer("JPEG"), Some("mjpeg"));
        assert_eq!(demuxer("MP4V-ES"), None);
    }
}
