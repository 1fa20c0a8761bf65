//! The live preview's HTTP side: what a stream can be played as, the Media Source Extensions feed
//! (fragmented MP4 over a WebSocket) and the WHEP endpoint (draft-ietf-wish-whep, the egress twin
//! of WHIP, RFC 9725).
//!
//! The work is in [`crate::preview`]: its [`Hub`] keeps one RTSP session per watched stream and
//! fans it out; this module only maps routes onto it. A handler subscribes a viewer before it
//! answers, so a refusal (no such stream, too many viewers) is a plain problem document, and the
//! relay's status (B-frames or not, the camera's refusal) decides which players the page is
//! offered:
//!
//! | the stream | modes | why |
//! |---|---|---|
//! | H.264, no B-frames | `webrtc`, `mse` | WebRTC is lower latency; MSE if it does not connect |
//! | H.264 with B-frames | `mse` | Chromium's WebRTC decodes only the keyframes of such a stream |
//! | H.265, RTSP MJPEG, others | `snapshot` | no browser route decodes them without transcoding |
//! | MJPEG over HTTP | `mjpeg` | the browser shows `multipart/x-mixed-replace` as it is |

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::watch;

use super::AppState;
use super::params::Params;
use super::problem::{Kind, Problem};
use crate::http_server::LocalAddr;
use crate::preview::fmp4::{self, MuxError, Muxer};
use crate::preview::webrtc::{Gateway, WhepError};
use crate::preview::{Hub, PreviewError, Unit, Viewer, ViewerKind};

/// How long the preview answer waits for the relay to know the stream (its parameters and
/// whether it has B-frames): a keyframe interval (2 s at most on most cameras), x264's look-ahead
/// (~1.5 s) and 16 frames, inside the API's 10 s request deadline.
const SETTLE: Duration = Duration::from_secs(7);
/// A WebSocket send that takes longer than this ends the viewer (a peer that stopped reading;
/// its queue has already cut it back to keyframes meanwhile).
const SEND_DEADLINE: Duration = Duration::from_secs(10);
/// How often a WebSocket viewer is told the relay's state, its frame rate and its drops.
const STATS_EVERY: Duration = Duration::from_secs(1);

/// The preview's parts, shared by the handlers.
pub struct Live {
    pub hub: Arc<Hub>,
    pub gateway: Gateway,
}

/// What `GET /api/v1/streams/{id}/preview` answers.
#[derive(Debug, Serialize)]
pub struct PreviewInfo {
    pub stream_id: i64,
    pub device_id: i64,
    /// The stream's URL, without credentials.
    pub url: String,
    pub protocol: String,
    pub codec: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Frame rate: measured by the relay when it runs, else what the last scan saw.
    pub fps: Option<f64>,
    /// Whether the video has B-frames; `null` until the relay knows.
    pub b_frames: Option<bool>,
    pub audio: Option<String>,
    /// Why the stream's audio is not played.
    pub audio_note: Option<String>,
    /// The players that can show it, best first: `webrtc`, `mse`, `mjpeg` or `snapshot`.
    pub modes: Vec<&'static str>,
    /// Why it is not played live (`snapshot`), in words for a person.
    pub reason: Option<String>,
    /// The relay's state: `connecting`, `live`, `reconnecting`, `failed`; `null` when none runs.
    pub state: Option<&'static str>,
    pub viewers: usize,
    pub webrtc_sessions: usize,
    /// Where each player gets it (paths on this server).
    pub live: Option<String>,
    pub whep: Option<String>,
    pub mjpeg: Option<String>,
    pub snapshot: String,
}

fn stream_id(id: &str) -> Result<i64, Problem> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Problem::invalid("id", id, "a stream id (a whole number)"))
}

fn live(state: &AppState) -> Result<&Arc<Live>, Problem> {
    state.live_preview.as_ref().ok_or_else(|| {
        Problem::new(
            Kind::NotPlayable,
            "the live preview is off on this server (--no-preview)",
        )
    })
}

impl From<PreviewError> for Problem {
    fn from(e: PreviewError) -> Problem {
        let kind = match &e {
            PreviewError::NoStream(_) => Kind::NotFound,
            PreviewError::NotRtsp { .. } => Kind::NotPlayable,
            PreviewError::StreamFull(_) | PreviewError::Full(_) | PreviewError::Stopping => {
                Kind::TooManyViewers
            }
            PreviewError::Store(_) => Kind::Store,
        };
        Problem::new(kind, e.to_string())
    }
}

impl From<WhepError> for Problem {
    fn from(e: WhepError) -> Problem {
        let kind = match e.status() {
            400 => Kind::InvalidBody,
            422 => Kind::NotPlayable,
            503 => Kind::TooManyViewers,
            _ => Kind::WebrtcFailed,
        };
        Problem::new(kind, e.to_string())
    }
}

/// The stored `{video, audio}` description's codec, size and frame rate.
struct Stored {
    codec: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    fps: Option<f64>,
    audio: Option<String>,
}

fn stored(media: Option<&str>) -> Stored {
    let v: serde_json::Value = media
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default();
    let video = &v["video"];
    let num = |x: &serde_json::Value| x.as_u64().and_then(|n| u32::try_from(n).ok());
    Stored {
        codec: video["codec"].as_str().map(str::to_string),
        width: num(&video["width"]),
        height: num(&video["height"]),
        fps: video["fps"].as_f64(),
        audio: v["audio"]["codec"].as_str().map(str::to_string),
    }
}

/// Why a stream of `protocol` with `codec` video is shown as a snapshot, or `None` when a live
/// player can show it.
pub fn not_live_reason(protocol: &str, codec: Option<&str>) -> Option<String> {
    match (protocol, codec) {
        ("rtsp", None | Some("h264")) | ("mjpeg", _) => None,
        ("rtsp", Some("h265")) => Some(
            "this browser cannot decode H.265: the camera's snapshot, refreshed, stands in".into(),
        ),
        ("rtsp", Some("mjpeg")) => Some(
            "Motion JPEG over RTSP is not relayed: the camera's snapshot, refreshed, stands in"
                .into(),
        ),
        ("rtsp", Some(other)) => Some(format!(
            "{other} video cannot be played in a browser without transcoding: the camera's \
             snapshot, refreshed, stands in"
        )),
        (other, _) => Some(format!(
            "the live preview plays RTSP and MJPEG streams; open this {} stream in a player",
            other.to_ascii_uppercase()
        )),
    }
}

/// `GET /api/v1/streams/{id}/preview`.
pub async fn preview(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    match info(&state, &id, query.as_deref()).await {
        Ok(i) => super::params::json(&i),
        Err(p) => p.into_response(),
    }
}

async fn info(state: &AppState, id: &str, query: Option<&str>) -> Result<PreviewInfo, Problem> {
    Params::parse(query, &[])?;
    let id = stream_id(id)?;
    let live = live(state)?;
    let target = live.hub.target(id).await?;
    let s = stored(target.media.as_deref());
    let base = format!("/api/v1/streams/{id}");
    let mut info = PreviewInfo {
        stream_id: id,
        device_id: target.device_id,
        url: target.url.clone(),
        protocol: target.protocol.clone(),
        codec: s.codec.clone(),
        width: s.width,
        height: s.height,
        fps: s.fps,
        b_frames: None,
        audio: s.audio.clone(),
        audio_note: None,
        modes: vec!["snapshot"],
        reason: not_live_reason(&target.protocol, s.codec.as_deref()),
        state: None,
        viewers: 0,
        webrtc_sessions: 0,
        live: None,
        whep: None,
        mjpeg: None,
        snapshot: format!("/api/v1/devices/{}/snapshot", target.device_id),
    };
    if info.reason.is_some() {
        return Ok(info);
    }
    if target.protocol == "mjpeg" {
        info.modes = vec!["mjpeg"];
        info.mjpeg = Some(format!("{base}/mjpeg"));
        return Ok(info);
    }
    // An RTSP stream of H.264 (or of a codec the last scan did not see): ask the relay. The
    // viewer is dropped at once; the relay lingers for the player that follows.
    let mut probe = live.hub.subscribe(id, ViewerKind::Frames).await?;
    let status = probe.settled(SETTLE).await;
    drop(probe);
    if status.state == "failed" {
        return Err(Problem::new(
            Kind::Upstream,
            format!(
                "the camera did not play the stream: {}",
                status.error.as_deref().unwrap_or("no reason given")
            ),
        ));
    }
    info.state = Some(status.state);
    // Not counting this answer's own probe.
    info.viewers = status.viewers.saturating_sub(1);
    info.webrtc_sessions = status.webrtc;
    info.fps = status.fps.or(info.fps);
    info.b_frames = status.b_frames;
    if let Some(p) = &status.params {
        info.audio_note = p.audio_note.clone();
        info.audio = p.audio.as_ref().map(|a| a.codec.clone());
        if let Some(v) = &p.video {
            info.codec = Some(v.codec.clone());
            info.width = Some(v.width).filter(|w| *w > 0).or(info.width);
            info.height = Some(v.height).filter(|h| *h > 0).or(info.height);
        }
    }
    info.reason = not_live_reason("rtsp", info.codec.as_deref());
    if info.reason.is_none() {
        info.live = Some(format!("{base}/live"));
        info.whep = cfg!(feature = "webrtc").then(|| format!("{base}/whep"));
        info.modes = match status.b_frames {
            Some(false) if cfg!(feature = "webrtc") => vec!["webrtc", "mse"],
            _ => vec!["mse"],
        };
    }
    Ok(info)
}

/// `GET /api/v1/streams/{id}/live`: the MSE feed, over a WebSocket.
///
/// Text messages (JSON) and binary ones, in order: `{"type":"params","mime":...,"codec",
/// "width","height","audio","audio_note"}` then the init segment (binary), then one fragment
/// (`moof`+`mdat`, binary) per frame from the next keyframe on; `{"type":"reconnecting",
/// "reason"}` when the camera drops (a new `params` and init follow when it is back);
/// `{"type":"stats","state","fps","b_frames","dropped","viewers"}` every second.
pub async fn websocket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ws: WebSocketUpgrade,
) -> Response {
    let viewer = async {
        let id = stream_id(&id)?;
        let live = live(&state)?;
        let target = live.hub.target(id).await?;
        let s = stored(target.media.as_deref());
        if let Some(why) = not_live_reason(&target.protocol, s.codec.as_deref()) {
            return Err(Problem::new(Kind::NotPlayable, why));
        }
        Ok::<Viewer, Problem>(live.hub.subscribe(id, ViewerKind::Frames).await?)
    };
    match viewer.await {
        Ok(viewer) => {
            let stop = state.stop.clone();
            ws.max_message_size(64 * 1024)
                .on_upgrade(move |socket| feed(socket, viewer, stop))
        }
        Err(p) => p.into_response(),
    }
}

/// One WebSocket viewer, until it closes, falls too far behind, the relay ends or the server
/// stops.
async fn feed(socket: WebSocket, mut viewer: Viewer, mut stop: watch::Receiver<bool>) {
    let (mut tx, mut rx) = socket.split();
    let mut muxer: Option<Muxer> = None;
    let mut stats = tokio::time::interval(STATS_EVERY);
    stats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let out: Vec<Message> = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            incoming = rx.next() => match incoming {
                // The page sends nothing but pings and its close.
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => continue,
            },
            _ = stats.tick() => {
                let s = viewer.status();
                vec![text(serde_json::json!({
                    "type": "stats", "state": s.state, "fps": s.fps, "b_frames": s.b_frames,
                    "dropped": viewer.dropped(), "viewers": s.viewers,
                }))]
            },
            unit = viewer.next() => match unit {
                None => break,
                Some(unit) => units(unit, &mut muxer),
            },
        };
        for m in out {
            match tokio::time::timeout(SEND_DEADLINE, tx.send(m)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::debug!("live: a viewer went away: {e}");
                    return;
                }
                Err(_) => {
                    tracing::debug!("live: a viewer took over {SEND_DEADLINE:?} to take a message");
                    return;
                }
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), tx.send(Message::Close(None))).await;
}

fn text(v: serde_json::Value) -> Message {
    Message::Text(v.to_string().into())
}

/// The messages one unit makes for an MSE viewer.
fn units(unit: Unit, muxer: &mut Option<Muxer>) -> Vec<Message> {
    match unit {
        Unit::Params(p) => {
            *muxer = None;
            let Some(video) = &p.video else {
                return vec![text(serde_json::json!({
                    "type": "unsupported", "reason": "the stream has no video the preview plays",
                }))];
            };
            let audio = p.audio.as_ref();
            let made = fmp4::init_segment(video, audio)
                .and_then(|init| Muxer::new(video, audio).map(|m| (init, m)));
            match made {
                Ok((init, m)) => {
                    *muxer = Some(m);
                    vec![
                        text(serde_json::json!({
                            "type": "params", "mime": fmp4::mime(video, audio),
                            "codec": video.codec, "width": video.width, "height": video.height,
                            "audio": audio.map(|a| &a.codec), "audio_note": p.audio_note,
                        })),
                        Message::Binary(init.into()),
                    ]
                }
                Err(e) => vec![text(serde_json::json!({
                    "type": "unsupported", "reason": e.to_string(),
                }))],
            }
        }
        Unit::Video(f) => match muxer.as_mut().map(|m| m.video(&f)) {
            Some(Ok(frag)) => vec![Message::Binary(frag.into())],
            Some(Err(MuxError::NoKeyframeYet)) | None => Vec::new(),
            Some(Err(e)) => {
                tracing::debug!("live: a frame not muxed: {e}");
                Vec::new()
            }
        },
        Unit::Audio(f) => match muxer.as_mut().map(|m| m.audio(&f)) {
            Some(Ok(Some(frag))) => vec![Message::Binary(frag.into())],
            Some(Ok(None)) | None => Vec::new(),
            Some(Err(e)) => {
                tracing::debug!("live: an audio frame not muxed: {e}");
                Vec::new()
            }
        },
        Unit::Rtp(_) => Vec::new(),
        Unit::Reconnecting { reason } => {
            *muxer = None;
            vec![text(
                serde_json::json!({"type": "reconnecting", "reason": reason}),
            )]
        }
    }
}

/// Each read of an MJPEG camera's body has this long (a camera at 1 fps sends a part a second).
const MJPEG_READ: Duration = Duration::from_secs(10);
/// Connecting to the camera and reading its answer's head.
const MJPEG_OPEN: Duration = Duration::from_secs(5);

/// `GET /api/v1/streams/{id}/mjpeg`: the camera's `multipart/x-mixed-replace` body, passed on as
/// it comes (the page shows it in an `<img>`). One camera connection per viewer (an MJPEG camera
/// serves each client its own connection anyway); the server's credential list answers the
/// camera's challenge, and no credential reaches the browser.
pub async fn mjpeg(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    match mjpeg_open(&state, &id, query.as_deref()).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn mjpeg_open(state: &AppState, id: &str, query: Option<&str>) -> Result<Response, Problem> {
    use net::http::open_get_as;
    Params::parse(query, &[])?;
    let id = stream_id(id)?;
    let live = live(state)?;
    let target = live.hub.target(id).await?;
    if target.protocol != "mjpeg" {
        return Err(Problem::new(
            Kind::NotPlayable,
            format!("stream {id} is {}, not MJPEG over HTTP", target.protocol),
        ));
    }
    let upstream = |detail: String| Problem::new(Kind::Upstream, detail);
    let url = url::Url::parse(&target.url)
        .map_err(|e| upstream(format!("the stream's URL does not parse: {e}")))?;
    let host: IpAddr = url
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| upstream("the stream's URL names no address".into()))?;
    let addr = std::net::SocketAddr::new(host, url.port_or_known_default().unwrap_or(80));
    let tls = url.scheme() == "https";
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let open = |authorization: Option<String>| {
        let path = path.clone();
        async move {
            open_get_as(
                addr,
                &path,
                tls,
                authorization.as_deref(),
                MJPEG_OPEN,
                MJPEG_OPEN,
            )
            .await
            .map_err(|e| upstream(format!("the camera did not answer: {e}")))
        }
    };
    let mut got = open(None).await?;
    if got.head.status == 401 {
        let Some(c) = &target.credential else {
            return Err(upstream(
                "the camera asks for credentials and the server has none that opened it \
                 (--credentials)"
                    .into(),
            ));
        };
        let authorization =
            net::snapshot::answer_challenge(&got.head, c, &path).ok_or_else(|| {
                upstream("the camera's 401 has no challenge the server answers".into())
            })?;
        got = open(Some(authorization)).await?;
    }
    if got.head.status != 200 {
        return Err(upstream(format!("the camera answered {}", got.head.status)));
    }
    let content_type = got
        .head
        .header("content-type")
        .filter(|t| t.to_ascii_lowercase().starts_with("multipart/"))
        .and_then(|t| HeaderValue::from_str(t).ok())
        .ok_or_else(|| upstream("the camera's answer is not multipart (not MJPEG)".into()))?;
    if got.is_chunked() {
        return Err(upstream(
            "the camera sends its MJPEG in chunked coding, which the relay does not pass on".into(),
        ));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let mut stop = state.stop.clone();
    tokio::spawn(async move {
        let first = got.take_body();
        if !first.is_empty() && tx.send(Ok(Bytes::from(first))).await.is_err() {
            return;
        }
        loop {
            let deadline = tokio::time::Instant::now() + MJPEG_READ;
            let read = tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                _ = tx.closed() => return,
                r = got.read_more(deadline) => r,
            };
            match read {
                Ok(0) => return,
                Ok(_) => {
                    let bytes = Bytes::from(got.take_body());
                    // A viewer that stops reading holds at most 8 reads; then the send waits, and
                    // the camera's connection with it.
                    if tokio::time::timeout(MJPEG_READ, tx.send(Ok(bytes)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Err(e) => {
                    tracing::debug!("live: MJPEG relay of stream {id}: {e}");
                    return;
                }
            }
        }
    });
    let body = axum::body::Body::from_stream(futures::stream::unfold(rx, |mut rx| async {
        rx.recv().await.map(|item| (item, rx))
    }));
    let mut resp = Response::new(body);
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    Ok(resp)
}

/// `POST /api/v1/streams/{id}/whep`: an SDP offer in, `201 Created` with the answer and the
/// session's `Location` out.
pub async fn whep(
    State(state): State<AppState>,
    Path(id): Path<String>,
    local: Option<axum::Extension<LocalAddr>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match whep_offer(&state, &id, local.map(|l| l.0.0.ip()), &headers, &body).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn whep_offer(
    state: &AppState,
    id: &str,
    local: Option<IpAddr>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Problem> {
    let id = stream_id(id)?;
    let live = live(state)?;
    let sdp = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/sdp"))
        });
    if !sdp {
        return Err(Problem::new(
            Kind::UnsupportedMediaType,
            "a WHEP offer is Content-Type: application/sdp",
        ));
    }
    live.gateway.ready()?;
    let offer = std::str::from_utf8(body)
        .map_err(|_| Problem::new(Kind::InvalidBody, "the SDP offer is not UTF-8 text"))?;
    let local = local.ok_or_else(|| {
        Problem::new(Kind::WebrtcFailed, "the request's local address is unknown")
    })?;
    let target = live.hub.target(id).await?;
    let s = stored(target.media.as_deref());
    if let Some(why) = not_live_reason(&target.protocol, s.codec.as_deref())
        .or_else(|| (target.protocol != "rtsp").then(|| "WHEP plays RTSP H.264 streams".into()))
    {
        return Err(Problem::new(Kind::NotPlayable, why));
    }
    let viewer = live.hub.subscribe(id, ViewerKind::Rtp).await?;
    let (session, answer) = live.gateway.answer(offer, viewer, local).await?;
    let location = format!("/api/v1/streams/{id}/whep/{session}");
    let mut resp = (StatusCode::CREATED, answer).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/sdp"),
    );
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// `DELETE /api/v1/streams/{id}/whep/{session}`: the WHEP session ends.
pub async fn whep_delete(
    State(state): State<AppState>,
    Path((id, session)): Path<(String, String)>,
) -> Response {
    let ended = async {
        stream_id(&id)?;
        let live = live(&state)?;
        if live.gateway.end(&session) {
            Ok(StatusCode::OK.into_response())
        } else {
            Err(Problem::not_found(format!(
                "no WHEP session {}",
                sanitize::terminal(&session)
            )))
        }
    };
    match ended.await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_codec_has_its_player_or_its_reason() {
        assert_eq!(not_live_reason("rtsp", Some("h264")), None);
        assert_eq!(not_live_reason("rtsp", None), None);
        assert_eq!(not_live_reason("mjpeg", None), None);
        assert!(
            not_live_reason("rtsp", Some("h265"))
                .unwrap()
                .contains("this browser cannot decode H.265")
        );
        assert!(
            not_live_reason("hls", Some("h264"))
                .unwrap()
                .contains("open this HLS stream")
        );
    }

    #[test]
    fn the_stored_description_gives_codec_size_and_rate() {
        let s = stored(Some(
            r#"{"video":{"codec":"h264","width":640,"height":360,"fps":15.0},"audio":{"codec":"aac"}}"#,
        ));
        assert_eq!(s.codec.as_deref(), Some("h264"));
        assert_eq!(
            (s.width, s.height, s.fps),
            (Some(640), Some(360), Some(15.0))
        );
        assert_eq!(s.audio.as_deref(), Some("aac"));
        let none = stored(Some("not json"));
        assert!(none.codec.is_none() && none.width.is_none());
    }
}
