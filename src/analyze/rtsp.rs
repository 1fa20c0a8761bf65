//! RTSP analysis of one port: find the stream paths, then describe each stream's media.
//!
//! Path discovery uses the hand-written client (it sees status, scheme and realm); media facts come from
//! retina's DESCRIBE (it decodes SPS/VPS into dimensions, frame rate and RFC 6381 profile), with our
//! lenient SDP reader as the base and the fallback when retina rejects a camera's SDP.
//!
//! Before trusting any answer the host is baselined with a random path: a server that answers 200 to
//! anything must not produce one fake stream per dictionary entry (Cameradar #438, #369), and one that
//! answers 401 to anything cannot tell us paths until we have credentials.

use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::time::Duration;

use retina::client::{Session, SessionOptions};
use retina::codec::ParametersRef;

use crate::detect;
use crate::error::NetError;
use crate::model::{
    AudioInfo, AuthScheme, Failure, Protocol, Service, Stage, Stream, StreamStatus, VideoInfo,
};
use crate::net::rtsp::{Reply, RtspClient, USER_AGENT, url};
use crate::proto::{h26x, sdp};

/// Settings for RTSP analysis.
#[derive(Debug, Clone)]
pub struct RtspSettings {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Candidate paths, in order (see [`super::paths::candidates`]).
    pub paths: Vec<String>,
}

/// What analysis found on one RTSP port.
#[derive(Debug, Clone)]
pub struct RtspFindings {
    pub service: Service,
    pub streams: Vec<Stream>,
    pub failures: Vec<Failure>,
}

/// How a server answered a DESCRIBE.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    /// 200 with an SDP carrying at least one `m=` line.
    Media(Vec<u8>),
    /// 401: credentials needed, with the scheme offered.
    Auth(AuthScheme),
    /// 403: the path may exist but we may not have it.
    Forbidden,
    /// Anything else (404, 454, 400, or 200 without media).
    Missing,
}

fn classify(reply: &Reply) -> Answer {
    match reply.head.status {
        200 if !sdp::parse(&reply.body).media.is_empty() => Answer::Media(reply.body.clone()),
        401 => Answer::Auth(detect::head::best_scheme(&detect::head::challenges(
            &reply.head,
        ))),
        403 => Answer::Forbidden,
        _ => Answer::Missing,
    }
}

/// Walks paths on one connection, reconnecting once when a camera hangs up between requests.
struct Walker {
    client: Option<RtspClient>,
    addr: SocketAddr,
    settings: RtspSettings,
}

impl Walker {
    async fn describe(&mut self, path: &str) -> Result<Answer, NetError> {
        let target = url(self.addr, path);
        for attempt in 0..2 {
            let client = match self.client.as_mut() {
                Some(c) => c,
                None => self.client.insert(
                    RtspClient::connect(
                        self.addr,
                        self.settings.connect_timeout,
                        self.settings.timeout,
                    )
                    .await?,
                ),
            };
            match client
                .request("DESCRIBE", &target, &[("Accept", "application/sdp")])
                .await
            {
                Ok(reply) => return Ok(classify(&reply)),
                Err(NetError::Closed { .. } | NetError::Io { .. }) if attempt == 0 => {
                    self.client = None; // some cameras close after each reply; try a fresh connection
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the loop returns on its second attempt")
    }
}

/// Analyse an RTSP port whose `OPTIONS` reply is `options`, reusing the detection connection.
pub async fn analyze(client: RtspClient, options: &Reply, settings: &RtspSettings) -> RtspFindings {
    let addr = client.addr();
    let mut service = detect::head::service(addr.port(), Protocol::Rtsp, &options.head);
    let mut streams = Vec::new();
    let mut failures = Vec::new();
    let mut walker = Walker {
        client: Some(client),
        addr,
        settings: settings.clone(),
    };
    let fail = |e: &NetError| Failure {
        stage: Stage::Analyze,
        port: Some(addr.port()),
        message: e.to_string(),
    };

    let nonce = std::collections::hash_map::RandomState::new().hash_one(addr);
    let baseline = walker.describe(&format!("/camscan-{nonce:016x}")).await;
    let mut found: Vec<(String, Answer)> = Vec::new();
    match baseline {
        Err(e) => failures.push(fail(&e)),
        Ok(Answer::Media(_)) => {
            tracing::info!(%addr, "answers DESCRIBE of any path with a stream; reporting only /");
            match walker.describe("/").await {
                Ok(a @ Answer::Media(_)) => found.push(("/".into(), a)),
                Ok(_) => {}
                Err(e) => failures.push(fail(&e)),
            }
        }
        Ok(Answer::Auth(scheme)) => {
            // 401 before 404: every path looks alike without credentials.
            tracing::info!(%addr, "asks for credentials on any path; paths cannot be told apart without them");
            service.auth = scheme;
        }
        Ok(Answer::Forbidden | Answer::Missing) => {
            for path in std::iter::once("/").chain(settings.paths.iter().map(String::as_str)) {
                match walker.describe(path).await {
                    Ok(Answer::Missing) => {}
                    Ok(a) => found.push((path.to_string(), a)),
                    Err(e) => {
                        failures.push(fail(&e));
                        break; // a server that stops answering will not answer the next path either
                    }
                }
            }
        }
    }
    drop(walker);

    for (path, answer) in found {
        let stream_url = url(addr, &path);
        let mut stream = Stream {
            url: stream_url.clone(),
            protocol: Protocol::Rtsp,
            port: addr.port(),
            auth: AuthScheme::None,
            status: StreamStatus::Ok,
            verified: false,
            video: None,
            audio: None,
        };
        match answer {
            Answer::Media(body) => {
                let (video, audio, err) = media_facts(&stream_url, &body, settings.timeout).await;
                stream.video = video;
                stream.audio = audio;
                if let Some(message) = err {
                    failures.push(Failure {
                        stage: Stage::Analyze,
                        port: Some(addr.port()),
                        message,
                    });
                }
            }
            Answer::Auth(scheme) => {
                stream.auth = scheme;
                stream.status = StreamStatus::AuthRequired;
            }
            Answer::Forbidden => {
                stream.auth = AuthScheme::Unknown;
                stream.status = StreamStatus::AuthRequired;
            }
            Answer::Missing => continue,
        }
        streams.push(stream);
    }

    if streams.iter().any(|s| s.status == StreamStatus::Ok) {
        service.auth = AuthScheme::None;
    } else if let Some(s) = streams
        .iter()
        .find(|s| s.status == StreamStatus::AuthRequired)
    {
        service.auth = s.auth;
    }
    RtspFindings {
        service,
        streams,
        failures,
    }
}

/// DESCRIBE one stream URL path on `addr` and analyse its media: the library entry point for a single
/// known URL (see `examples/describe.rs`). Failures of the media analysis are returned as messages
/// beside the stream, as a scan records them.
pub async fn describe_stream(
    addr: SocketAddr,
    path: &str,
    settings: &RtspSettings,
) -> Result<(Stream, Option<String>), NetError> {
    let mut client = RtspClient::connect(addr, settings.connect_timeout, settings.timeout).await?;
    let target = url(addr, path);
    let reply = client
        .request("DESCRIBE", &target, &[("Accept", "application/sdp")])
        .await?;
    drop(client);
    let mut stream = Stream {
        url: target.clone(),
        protocol: Protocol::Rtsp,
        port: addr.port(),
        auth: AuthScheme::None,
        status: StreamStatus::Ok,
        verified: false,
        video: None,
        audio: None,
    };
    let mut note = None;
    match classify(&reply) {
        Answer::Media(body) => {
            let (video, audio, err) = media_facts(&target, &body, settings.timeout).await;
            (stream.video, stream.audio, note) = (video, audio, err);
        }
        Answer::Auth(scheme) => {
            stream.auth = scheme;
            stream.status = StreamStatus::AuthRequired;
        }
        Answer::Forbidden => {
            stream.auth = AuthScheme::Unknown;
            stream.status = StreamStatus::AuthRequired;
        }
        Answer::Missing => stream.status = StreamStatus::NotFound,
    }
    Ok((stream, note))
}

/// Media facts for one stream: our SDP reading as the base, retina's decoded parameters on top.
/// Returns an error message when retina could not describe the stream (the facts then come from the SDP).
async fn media_facts(
    stream_url: &str,
    sdp_body: &[u8],
    timeout: Duration,
) -> (Option<VideoInfo>, Option<AudioInfo>, Option<String>) {
    let sd = sdp::parse(sdp_body);
    let mut video = sd
        .media
        .iter()
        .find(|m| m.kind == "video")
        .map(video_from_sdp);
    let mut audio = sd
        .media
        .iter()
        .find(|m| m.kind == "audio")
        .map(audio_from_sdp);
    let Ok(parsed) = url::Url::parse(stream_url) else {
        return (video, audio, None);
    };
    let opts = SessionOptions::default().user_agent(USER_AGENT.to_string());
    let session = match tokio::time::timeout(timeout, Session::describe(parsed, opts)).await {
        Err(_) => {
            return (
                video,
                audio,
                Some(format!(
                    "RTSP DESCRIBE {stream_url} (retina) got no answer within {}; facts from SDP only",
                    crate::error::fmt_duration(timeout)
                )),
            );
        }
        Ok(Err(e)) => {
            return (
                video,
                audio,
                Some(format!(
                    "RTSP DESCRIBE {stream_url} (retina): {e}; facts from SDP only"
                )),
            );
        }
        Ok(Ok(s)) => s,
    };
    if let Some(st) = session.streams().iter().find(|s| s.media() == "video") {
        let v = video.get_or_insert_with(|| VideoInfo {
            codec: video_codec(st.encoding_name()),
            width: None,
            height: None,
            fps: None,
            profile: None,
            level: None,
            rfc6381: None,
            bitrate_kbps: None,
        });
        if let Some(ParametersRef::Video(p)) = st.parameters() {
            let (w, h) = p.pixel_dimensions();
            if w > 0 && h > 0 {
                v.width = Some(w);
                v.height = Some(h);
            }
            if let Some((num, den)) = p.frame_rate().filter(|(n, d)| *n > 0 && *d > 0) {
                v.fps = Some(round_fps(f64::from(den) / f64::from(num)));
            }
            let codec = p.rfc6381_codec();
            let (profile, level) = h26x::from_rfc6381(codec);
            if profile.is_some() {
                v.profile = profile;
            }
            if level.is_some() {
                v.level = level;
            }
            v.rfc6381 = Some(codec.to_string());
        }
        if v.fps.is_none() {
            v.fps = st.framerate().map(|f| round_fps(f64::from(f)));
        }
    }
    if let Some(st) = session.streams().iter().find(|s| s.media() == "audio") {
        let a = audio.get_or_insert_with(|| AudioInfo {
            codec: audio_codec(st.encoding_name()),
            sample_rate: None,
            channels: None,
        });
        if let Some(ParametersRef::Audio(p)) = st.parameters() {
            a.sample_rate = Some(p.clock_rate());
            a.channels = Some(p.channels().get());
        } else {
            a.sample_rate = a.sample_rate.or(Some(st.clock_rate_hz()));
            a.channels = a.channels.or(st.channels().map(|c| c.get()));
        }
    }
    (video, audio, None)
}

/// Frame rates to 3 decimals (29.97), so `(1001, 30000)` does not print as 29.970029970029973.
fn round_fps(f: f64) -> f64 {
    (f * 1000.0).round() / 1000.0
}

/// Our codec names from SDP encoding names.
pub fn video_codec(encoding: &str) -> String {
    match encoding.to_ascii_lowercase().as_str() {
        "h264" => "h264".into(),
        "h265" | "hevc" => "h265".into(),
        "jpeg" => "mjpeg".into(),
        "mp4v-es" => "mpeg4".into(),
        "mpv" => "mpeg2".into(),
        other => other.chars().take(32).collect(),
    }
}

pub fn audio_codec(encoding: &str) -> String {
    let e = encoding.to_ascii_lowercase();
    match e.as_str() {
        "mpeg4-generic" | "mp4a-latm" => "aac".into(),
        "mpa" => "mp3".into(),
        g if g.starts_with("g726") => "g726".into(),
        other => other.chars().take(32).collect(),
    }
}

fn video_from_sdp(m: &sdp::MediaDescription) -> VideoInfo {
    let codec = video_codec(&m.encoding_name().unwrap_or_default());
    let (profile, level) = match (codec.as_str(), m.fmtp_param("profile-level-id")) {
        ("h264", Some(hex)) => h26x::h264_from_hex(hex),
        _ => (None, None),
    };
    VideoInfo {
        codec,
        width: m.dimensions.map(|d| d.0),
        height: m.dimensions.map(|d| d.1),
        fps: m.framerate.map(round_fps),
        profile,
        level,
        rfc6381: None,
        bitrate_kbps: m.bandwidth_kbps,
    }
}

fn audio_from_sdp(m: &sdp::MediaDescription) -> AudioInfo {
    AudioInfo {
        codec: audio_codec(&m.encoding_name().unwrap_or_default()),
        sample_rate: m.clock(),
        channels: m.channels.or(Some(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_names() {
        assert_eq!(video_codec("H264"), "h264");
        assert_eq!(video_codec("JPEG"), "mjpeg");
        assert_eq!(video_codec("MP4V-ES"), "mpeg4");
        assert_eq!(audio_codec("MPEG4-GENERIC"), "aac");
        assert_eq!(audio_codec("G726-32"), "g726");
        assert_eq!(audio_codec("PCMU"), "pcmu");
        assert_eq!(audio_codec("opus"), "opus");
    }

    #[test]
    fn facts_from_a_hikvision_style_sdp() {
        let body = b"v=0\r\ns=Media Presentation\r\nm=video 0 RTP/AVP 96\r\nb=AS:4096\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=640029;packetization-mode=1\r\na=x-dimensions:1920,1080\r\nm=audio 0 RTP/AVP 8\r\n";
        let sd = sdp::parse(body);
        let v = video_from_sdp(&sd.media[0]);
        assert_eq!(
            (v.width, v.height, v.bitrate_kbps),
            (Some(1920), Some(1080), Some(4096))
        );
        assert_eq!(v.profile.as_deref(), Some("high"));
        let a = audio_from_sdp(&sd.media[1]);
        assert_eq!(
            (a.codec.as_str(), a.sample_rate, a.channels),
            ("pcma", Some(8000), Some(1))
        );
    }
}
