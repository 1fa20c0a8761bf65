//! What a found stream is: one retina session per stream for its media facts (SDP, parameter sets)
//! and the PLAY check, the lenient SDP reading beside it, and the aliases of one stream.

use crate::context::{ScanContext, VERIFY, VERIFY_WINDOW};
use crate::verify;
use crate::verify::Check;
use credentials::Credential;
use error::AnalyzeError;
use model::{AudioInfo, Stream, VideoInfo};
use proto::{h26x, sdp, sdp_facts};
use retina::client::Session;
use retina::codec::ParametersRef;
use std::net::SocketAddr;

/// What makes two descriptions the same stream: per media, its kind, encoding, clock, the
/// parameter sets or decoder config it declares, its size and rate. `None` when the video carries
/// no parameter sets (two such streams cannot be told apart from their descriptions).
pub(super) fn description_key(body: &[u8]) -> Option<String> {
    let sd = sdp::parse(body);
    let mut key = String::new();
    let mut has_parameters = false;
    for m in &sd.media {
        let params: Vec<&str> = [
            "sprop-parameter-sets",
            "sprop-vps",
            "sprop-sps",
            "sprop-pps",
            "config",
        ]
        .iter()
        .filter_map(|p| m.fmtp_param(p))
        .collect();
        if m.kind == "video" && !params.is_empty() {
            has_parameters = true;
        }
        key.push_str(&format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{};",
            m.kind,
            m.encoding_name(),
            m.clock_rate,
            m.channels,
            m.dimensions,
            m.framerate,
            params.join(",")
        ));
    }
    has_parameters.then_some(key)
}

/// Fold a PLAY check's measurement into the stream: a measured frame rate that differs from the
/// declared one by more than 5% replaces it (and says so in `fps_source`).
pub(super) fn fold_measured(stream: &mut Stream, url: &str, m: model::Measured) {
    stream.verified = true;
    if let (Some(v), Some(measured)) = (stream.video.as_mut(), m.fps) {
        let agrees = v.fps.is_some_and(|d| (d - measured).abs() <= d * 0.05);
        if !agrees {
            if let Some(declared) = v.fps {
                tracing::info!(
                    url,
                    declared,
                    measured,
                    "stream frame rate differs from what it declares"
                );
            }
            v.fps = Some(measured);
            v.fps_source = Some("rtp".into());
        }
    }
    if let (Some(v), Some(w), Some(h)) = (stream.video.as_mut(), m.width, m.height)
        && v.width.is_none()
    {
        v.width = Some(w);
        v.height = Some(h);
    }
    stream.measured = Some(m);
}

/// Media facts from the SDP and a retina session, the PLAY check on that same session, and
/// optional ffprobe enrichment of one stream our DESCRIBE found (`body`: its SDP), within the
/// device's session cap; returns the failures to record.
pub(super) async fn media_and_checks(
    stream: &mut Stream,
    addr: SocketAddr,
    plain_url: &str,
    body: &[u8],
    cred: Option<&Credential>,
    settings: &ScanContext,
    holder: Option<Box<super::walker::Held>>,
) -> Vec<AnalyzeError> {
    let session = open_session(addr, plain_url, Some(body), cred, settings, holder).await;
    finish(stream, addr, plain_url, body, session, cred, settings).await
}

/// What one stream's retina session gave.
pub(super) struct Sessioned {
    /// The media facts: the SDP's, with retina's decoding on top once described.
    video: Option<VideoInfo>,
    audio: Option<AudioInfo>,
    /// The SDP the session was described with; `None`: it was not described.
    pub(super) sdp: Option<Vec<u8>>,
    /// The PLAY check's measurement (`None` when not asked for), or why the session failed.
    pub(super) result: Result<Option<model::Measured>, verify::Failed>,
}

/// One retina session on a stream, within the device's session cap: DESCRIBE (the media facts),
/// then the PLAY check when asked. `body` is the SDP our DESCRIBE got, whose facts are the base
/// (all there is when retina rejects it); `None` when the session's DESCRIBE is the first look at
/// the stream (a known stream re-checked, [`super::revisit`](mod@super::revisit)). `holder` is released once the
/// session has described the stream.
pub(super) async fn open_session(
    addr: SocketAddr,
    plain_url: &str,
    body: Option<&[u8]>,
    cred: Option<&Credential>,
    settings: &ScanContext,
    holder: Option<Box<super::walker::Held>>,
) -> Sessioned {
    let play = settings.settings.get(&VERIFY);
    let window = settings.settings.get(&VERIFY_WINDOW);
    let timeout = settings.settings.get(&net::TIMEOUT);
    let (mut video, mut audio) = match body {
        Some(b) => {
            let (v, a, _) = facts_of_sdp(b, plain_url);
            (v, a)
        }
        None => (None, None),
    };
    let slot = {
        let _slot = timing::begin("slot");
        settings.sessions.acquire(addr.ip()).await
    };
    // The PLAY check on the connection that found the stream, when there is one (see
    // [`super::play`]); the retina session below when it declines.
    let mut holder = holder;
    // (Taken only for a PLAY check: without one, the holder keeps the media prepared until the
    // retina session below has described it.)
    if play
        && let Some(b) = body
        && let Some(held) = holder.take()
    {
        let played = super::play::on_held(
            held,
            plain_url,
            b,
            cred,
            timeout,
            window,
            &settings.verify.media,
        );
        let played = {
            let _play = timing::begin("play");
            played.await
        };
        match played {
            super::play::Played::Done(result, closing) => {
                // The result is the device's now; the session lingers and is torn down, and
                // its slot given back after, in a task of its own (see `play::Closing`).
                let lingering = slot.lingering();
                tokio::spawn(async move {
                    closing.close(&slot, lingering).await;
                    slot.release().await;
                });
                return Sessioned {
                    video,
                    audio,
                    sdp: Some(b.to_vec()),
                    result: result.map(Some),
                };
            }
            super::play::Played::Declined(why) => {
                tracing::debug!(
                    url = plain_url,
                    "PLAY on the held connection declined ({why}); a retina session"
                );
            }
        }
    }
    let check = Check {
        url: plain_url,
        cred,
        timeout,
        window,
        play,
        group: Some(slot.group()),
        media: &settings.verify.media,
    };
    let mut sdp = None;
    let mut on_described = |session: &Session<retina::client::Described>| {
        holder.take(); // our session holds the media now
        if body.is_none() {
            (video, audio, _) = facts_of_sdp(session.sdp(), plain_url);
        }
        sdp = Some(session.sdp().to_vec());
        retina_facts(session, &mut video, &mut audio);
    };
    let phase = if play { "play" } else { "facts" };
    let result = {
        let _phase = timing::begin(phase);
        verify::session(&check, &mut on_described).await
    };
    drop(holder);
    // retina's TEARDOWN of the dropped session runs on; the slot waits for it, the result not.
    tokio::spawn(slot.release());
    Sessioned {
        video,
        audio,
        sdp,
        result,
    }
}

/// Fill `stream` from its session: the media facts (`body`'s alone when the session was not
/// described), the repairs our SDP reading made, the PLAY check's measurement; then ffprobe when
/// configured. Returns the failures to record.
pub(super) async fn finish(
    stream: &mut Stream,
    addr: SocketAddr,
    plain_url: &str,
    body: &[u8],
    session: Sessioned,
    cred: Option<&Credential>,
    settings: &ScanContext,
) -> Vec<AnalyzeError> {
    let mut notes = Vec::new();
    let described = session.sdp.is_some();
    let (video, audio, sd) = facts_of_sdp(body, plain_url);
    (stream.video, stream.audio) = if described {
        (session.video, session.audio)
    } else {
        (video, audio)
    };
    // retina refused the answer (its strict SDP parser, most often): every repair our reader made
    // is reported, and the facts are what `sdp_facts` decoded from the SDP.
    let rejected = matches!(&session.result, Err(f) if !described && !f.timed_out);
    stream.notes = sdp_facts::repair_notes(&sd, rejected);
    match session.result {
        Ok(Some(m)) => fold_measured(stream, plain_url, m),
        Ok(None) => {}
        Err(f) if !described => notes.push(AnalyzeError::Media(format!(
            "{}; facts from SDP only",
            f.message
        ))),
        Err(f) => notes.push(AnalyzeError::Media(f.message)),
    }
    if let Some(ffprobe) = &settings.verify.ffprobe
        && (stream.verified || stream.video.is_none())
    {
        let ip = addr.ip();
        let slot = {
            let _slot = timing::begin("slot");
            settings.sessions.acquire(ip).await
        };
        let probed = {
            let _ffprobe = timing::begin("ffprobe");
            crate::ffprobe::probe(
                ffprobe,
                plain_url,
                cred,
                settings.settings.get(&net::TIMEOUT),
            )
            .await
        };
        slot.release().await;
        match probed {
            Ok(p) => {
                crate::ffprobe::enrich(stream, &p);
            }
            Err(e) => notes.push(e),
        }
    }
    notes
}

/// Media facts our SDP reading gives (parameter sets included: `proto::sdp_facts`): the base, and
/// all there is when retina rejects the SDP; with the description, for its repairs.
pub(super) fn facts_of_sdp(
    sdp_body: &[u8],
    stream_url: &str,
) -> (
    Option<VideoInfo>,
    Option<AudioInfo>,
    sdp::SessionDescription,
) {
    let sd = sdp::parse_for(sdp_body, stream_url);
    let video = sd
        .media
        .iter()
        .find(|m| m.kind == "video")
        .map(video_from_sdp);
    let audio = sd
        .media
        .iter()
        .find(|m| m.kind == "audio")
        .map(audio_from_sdp);
    (video, audio, sd)
}

/// retina's decoded parameters (SPS/VPS: dimensions, frame rate, RFC 6381 profile) on top of the
/// SDP's facts.
pub(super) fn retina_facts(
    session: &Session<retina::client::Described>,
    video: &mut Option<VideoInfo>,
    audio: &mut Option<AudioInfo>,
) {
    if let Some(st) = session.streams().iter().find(|s| s.media() == "video") {
        let v = video.get_or_insert_with(|| VideoInfo::new(video_codec(st.encoding_name())));
        if let Some(ParametersRef::Video(p)) = st.parameters() {
            let (w, h) = p.pixel_dimensions();
            if w > 0 && h > 0 {
                v.width = Some(w);
                v.height = Some(h);
            }
            if let Some((num, den)) = p.frame_rate().filter(|(n, d)| *n > 0 && *d > 0) {
                v.fps = Some(round_fps(f64::from(den) / f64::from(num)));
                v.fps_source = Some("sps".into());
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
            v.fps_source = v.fps.map(|_| "sdp".into());
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
}

/// Frame rates to 3 decimals (29.97), so `(1001, 30000)` does not print as 29.970029970029973.
pub(super) fn round_fps(f: f64) -> f64 {
    (f * 1000.0).round() / 1000.0
}

/// Our codec names from SDP encoding names (`proto::sdp_facts`, shared with the SDP reader).
pub fn video_codec(encoding: &str) -> String {
    sdp_facts::video_codec(encoding)
}

pub fn audio_codec(encoding: &str) -> String {
    sdp_facts::audio_codec(encoding)
}

/// Video facts of one SDP media section, parameter sets included: the same reading on the main
/// path (under retina's) and the fallback (`proto::sdp_facts::video`).
pub(crate) fn video_from_sdp(m: &sdp::MediaDescription) -> VideoInfo {
    sdp_facts::video(m)
}

/// Audio facts of one SDP media section (`proto::sdp_facts::audio`).
pub(crate) fn audio_from_sdp(m: &sdp::MediaDescription) -> AudioInfo {
    sdp_facts::audio(m)
}
