//! HLS playlists and DASH manifests as streams: what the playlist or manifest says, and what its
//! newest media segment (MPEG-TS or fMP4) says when it is read to prove the stream is live.

use std::net::SocketAddr;

use super::{HttpSettings, fetch, fetch_up_to, same_origin_path};
use error::AnalyzeError;
use model::{AudioInfo, Protocol, Stream, VideoInfo};
use proto::{h26x, hls, mp4, mpd, ts};

/// A DASH manifest as a stream, or why it is none: not an MPD, or no Representation read, with the
/// reason the XML walk stopped early if it did (an XML bomb, nesting past the cap, malformed XML).
pub(super) fn dash(url: String, port: u16, path: &str, text: &str) -> Result<Stream, AnalyzeError> {
    let what = match mpd::parse(text) {
        Some(manifest) if !manifest.representations.is_empty() => {
            return Ok(dash_stream(url, port, &manifest));
        }
        Some(_) => "no Representation in the manifest",
        None => "not an MPD manifest",
    };
    let why = proto::xml::walk(text, |_| {})
        .map(|cut| format!(": {cut}"))
        .unwrap_or_default();
    Err(AnalyzeError::Missing(format!("{what}{why}")).within(format!("DASH {path}")))
}

pub(super) fn video_from_codecs(codecs: &[String]) -> (Option<VideoInfo>, Option<AudioInfo>) {
    let mut video = None;
    let mut audio = None;
    for c in codecs {
        match hls::codec_name(c) {
            Some((hls::MediaKind::Video, name)) if video.is_none() => {
                let mut v = VideoInfo::new(name.into());
                v.rfc6381 = Some(c.clone());
                (v.profile, v.level) = h26x::from_rfc6381(c);
                video = Some(v);
            }
            Some((hls::MediaKind::Audio, name)) if audio.is_none() => {
                audio = Some(AudioInfo {
                    codec: name.into(),
                    sample_rate: None,
                    channels: None,
                });
            }
            _ => {}
        }
    }
    (video, audio)
}

/// An HLS playlist as a stream: the variant with the most bandwidth (then pixels) describes it.
pub(super) fn hls_stream(url: String, port: u16, playlist: &hls::Playlist) -> Stream {
    let mut stream = Stream::new(url, Protocol::Hls, port);
    if let hls::Playlist::Master { variants } = playlist
        && let Some(best) = variants.iter().max_by_key(|v| {
            (
                v.bandwidth.unwrap_or(0),
                v.resolution.map_or(0, |(w, h)| u64::from(w) * u64::from(h)),
            )
        })
    {
        let (mut video, audio) = video_from_codecs(&best.codecs);
        if video.is_none() && best.resolution.is_some() {
            video = Some(VideoInfo::new("unknown".into()));
        }
        if let Some(v) = video.as_mut() {
            if let Some((w, h)) = best.resolution {
                (v.width, v.height) = (Some(w), Some(h));
            }
            v.fps = best.frame_rate;
            v.fps_source = best.frame_rate.map(|_| "playlist".to_string());
            v.bitrate_kbps = best.bandwidth.map(|b| (b / 1000) as u32);
        }
        stream.video = video;
        stream.audio = audio;
    }
    stream
}

/// The playlist leaves out the video codec, size or frame rate (ffmpeg writes no `FRAME-RATE`, and
/// no `CODECS` for HEVC).
pub(super) fn lacks_video_facts(stream: &Stream) -> bool {
    stream
        .video
        .as_ref()
        .is_none_or(|v| v.codec == "unknown" || v.fps.is_none() || v.width.is_none())
}

/// What the segments say that the playlist does not: a master playlist's best variant is followed to
/// its media playlist first (same host and port only). fMP4 (`#EXT-X-MAP`): the init segment gives
/// codecs, profile, size and audio, and the first media segment's first fragment the frame rate
/// (`fps_source: "segment"`). MPEG-TS: the first segment's PMT gives the codecs when nothing named
/// them, and an H.264 stream's SPS its size, profile and frame rate (`fps_source: "sps"`).
pub(super) async fn segment_facts(
    addr: SocketAddr,
    url: &str,
    playlist: &hls::Playlist,
    s: &HttpSettings,
    stream: &mut Stream,
) {
    let media_url = match playlist {
        hls::Playlist::Media { .. } => Some(url.to_string()),
        hls::Playlist::Master { variants } => variants
            .iter()
            .max_by_key(|v| v.bandwidth.unwrap_or(0))
            .and_then(|v| hls::resolve(url, &v.uri)),
    };
    let Some(media_url) = media_url else { return };
    let media = if media_url == url {
        playlist.clone()
    } else {
        let Some(path) = same_origin_path(addr, &media_url, s.tls) else {
            return;
        };
        match fetch(addr, &path, s).await {
            Ok(got) => match hls::parse(&String::from_utf8_lossy(&got.body)) {
                Ok(p) => p,
                Err(_) => return,
            },
            Err(_) => return,
        }
    };
    let hls::Playlist::Media { segments, map, .. } = &media else {
        return;
    };
    let Some(segment) = segments
        .first()
        .and_then(|seg| hls::resolve(&media_url, &seg.uri))
        .and_then(|u| same_origin_path(addr, &u, s.tls))
    else {
        return;
    };
    if let Some(map) = map {
        let Some(init_path) =
            hls::resolve(&media_url, map).and_then(|u| same_origin_path(addr, &u, s.tls))
        else {
            return;
        };
        fmp4_facts(addr, &init_path, &segment, s, stream).await;
        return;
    }
    if let Some(bytes) = head_bytes(addr, &segment, s, 64 * 1024).await {
        stream.verified = ts::looks_like_ts(&bytes);
        apply_ts(stream, &bytes);
    }
}

/// Fill what `stream` does not know yet from the start of an MPEG-TS segment: codecs from the PMT,
/// AAC's rate and channels from its first ADTS header, and an H.264 stream's size, profile, level
/// and frame rate (`fps_source: "sps"`, VUI timing) from its first SPS.
pub(super) fn apply_ts(stream: &mut Stream, bytes: &[u8]) {
    for t in ts::stream_types(bytes) {
        match ts::codec(t) {
            Some((true, name)) if stream.video.as_ref().is_none_or(|v| v.codec == "unknown") => {
                let mut v = stream
                    .video
                    .take()
                    .unwrap_or_else(|| VideoInfo::new(name.into()));
                v.codec = name.into();
                stream.video = Some(v);
            }
            Some((false, name)) if stream.audio.is_none() => {
                stream.audio = Some(AudioInfo {
                    codec: name.into(),
                    sample_rate: None,
                    channels: None,
                });
            }
            _ => {}
        }
    }
    if let Some(a) = stream.audio.as_mut().filter(|a| a.codec == "aac")
        && let Some(h) = ts::adts(bytes)
    {
        a.sample_rate = a.sample_rate.or(Some(h.sample_rate));
        a.channels = a.channels.or(h.channels);
    }
    let Some(v) = stream.video.as_mut().filter(|v| v.codec == "h264") else {
        return;
    };
    let Some(sps) = ts::h264_sps(bytes).and_then(|nal| h26x::h264_sps(&nal)) else {
        return;
    };
    if v.width.is_none() || v.height.is_none() {
        (v.width, v.height) = (sps.width, sps.height);
    }
    if v.fps.is_none() && sps.fps.is_some() {
        v.fps = sps.fps;
        v.fps_source = Some("sps".into());
    }
    if v.rfc6381.is_none() {
        v.rfc6381 = Some(sps.rfc6381);
    }
    if v.profile.is_none() {
        (v.profile, v.level) = (sps.profile, Some(sps.level));
    }
}

/// The first bytes of `path`, at most `limit`. `None` when the request failed or the answer is not
/// a `200`.
pub(super) async fn head_bytes(
    addr: SocketAddr,
    path: &str,
    s: &HttpSettings,
    limit: usize,
) -> Option<Vec<u8>> {
    let got = fetch_up_to(addr, path, s, limit).await.ok()?;
    (got.head.status == 200).then_some(got.body)
}

/// An fMP4 init segment's facts on `stream`, then the frame rate from the first media segment.
pub(super) async fn fmp4_facts(
    addr: SocketAddr,
    init_path: &str,
    segment_path: &str,
    s: &HttpSettings,
    stream: &mut Stream,
) {
    let Some(init) = head_bytes(addr, init_path, s, 64 * 1024).await else {
        return;
    };
    let Ok(init) = mp4::parse_init(&init) else {
        return;
    };
    apply_init(stream, &init);
    let needs_rate = stream.video.as_ref().is_some_and(|v| v.fps.is_none());
    if !s.verify && !needs_rate {
        return;
    }
    // The moof comes first; 64 KiB holds it for any segment a camera makes.
    let Some(seg) = head_bytes(addr, segment_path, s, 64 * 1024).await else {
        return;
    };
    stream.verified = mp4::is_media_segment(&seg);
    if let Some(fps) = init
        .video()
        .filter(|_| needs_rate)
        .and_then(|track| mp4::fragment_rate(&seg, track))
        && let Some(v) = stream.video.as_mut()
    {
        v.fps = Some(fps);
        v.fps_source = Some("segment".into());
    }
}

/// Fill what `stream` does not know yet from an init segment's first video and audio tracks.
pub(super) fn apply_init(stream: &mut Stream, init: &mp4::Init) {
    if let Some(t) = init.video()
        && let Some(codec) = &t.codec
    {
        let v = stream
            .video
            .get_or_insert_with(|| VideoInfo::new(codec.clone()));
        if v.codec == "unknown" {
            v.codec = codec.clone();
        }
        if v.rfc6381.is_none() {
            v.rfc6381 = t.rfc6381.clone();
        }
        if v.profile.is_none()
            && let Some(rfc) = &v.rfc6381
        {
            (v.profile, v.level) = h26x::from_rfc6381(rfc);
        }
        if v.width.is_none() || v.height.is_none() {
            (v.width, v.height) = (t.width, t.height);
        }
    }
    if let Some(t) = init.audio()
        && let Some(codec) = &t.codec
    {
        let a = stream.audio.get_or_insert_with(|| AudioInfo {
            codec: codec.clone(),
            sample_rate: None,
            channels: None,
        });
        a.sample_rate = a.sample_rate.or(t.sample_rate);
        a.channels = a.channels.or(t.channels);
    }
}

/// A DASH manifest as a stream: its largest video representation and first audio one.
/// The video representation a player would pick: the largest, then the richest.
pub(super) fn best_video(m: &mpd::Manifest) -> Option<&mpd::Representation> {
    m.representations
        .iter()
        .filter(|r| r.is_video())
        .max_by_key(|r| {
            (
                u64::from(r.width.unwrap_or(0)) * u64::from(r.height.unwrap_or(0)),
                r.bandwidth.unwrap_or(0),
            )
        })
}

pub(super) fn dash_stream(url: String, port: u16, m: &mpd::Manifest) -> Stream {
    let mut stream = Stream::new(url, Protocol::Dash, port);
    if let Some(r) = best_video(m) {
        let codecs: Vec<String> = r.codecs.iter().cloned().collect();
        let (video, _) = video_from_codecs(&codecs);
        let mut v = video.unwrap_or_else(|| VideoInfo::new("unknown".into()));
        (v.width, v.height) = (r.width, r.height);
        v.fps = r.frame_rate;
        v.fps_source = r.frame_rate.map(|_| "manifest".to_string());
        v.bitrate_kbps = r.bandwidth.map(|b| (b / 1000) as u32);
        stream.video = Some(v);
    }
    if let Some(r) = m.representations.iter().find(|r| r.is_audio()) {
        let codecs: Vec<String> = r.codecs.iter().cloned().collect();
        if let (_, Some(mut a)) = video_from_codecs(&codecs) {
            a.sample_rate = r.audio_sampling_rate;
            stream.audio = Some(a);
        }
    }
    stream
}
