//! One RTSP session per camera stream, fanned out to every viewer.
//!
//! The first viewer of a stream starts its relay: a task that takes one of the device's session
//! slots (the scanner's per-device cap, so a camera allowing two sessions never sees a third from
//! camscan), opens the stream with retina (DESCRIBE, SETUP of the H.264 video and AAC audio, PLAY,
//! each under a deadline), and pushes every access unit to each viewer's [`Queue`]. It never waits
//! for a viewer. When the camera drops (a restart, a cut cable, a stall of [`STALL`]) viewers get
//! [`Unit::Reconnecting`] and the relay opens the stream again after a short backoff; playback
//! resumes at the camera's next keyframe. [`LINGER`] after its last viewer left, the relay closes
//! the session (a page reload or a switch from WebRTC to MSE finds it still open).
//!
//! Credentials come from the server's credential list, matched to the stream by the store's keyed
//! hash of the one that opened it; a credential the camera refuses is not sent again to that
//! stream until the server restarts or the store says another one works.
//!
//! The viewers' side (the [`Viewer`] handle, its [`Status`], the fan-out to the queues) is in
//! `relay_viewers.rs` beside this file, and what a session's frames become for them (parameters,
//! RTP packets, access units, the measured frame rate) in `relay_frames.rs`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use retina::client::{
    Demuxed, Described, PlayOptions, Session, SessionOptions, SetupOptions, TcpTransportOptions,
};
use retina::codec::{CodecItem, FrameFormat};
use tokio::sync::watch;

use super::Unit;
use super::queue::Queue;
use super::relay_frames::Frames;
pub use super::relay_viewers::{LINGER, Status, Viewer, ViewerKind};
use super::relay_viewers::{Lease, Shared};
use analyze::sessions::DeviceSessions;
use analyze::verify::{Step, step};
use credentials::Credential;
use model::sync::lock;
use net::rtsp::{USER_AGENT, start_patience};
use store::CheckTarget;
use store::SharedStore;

/// No media for this long: the camera is taken for gone and the session opened again.
pub const STALL: Duration = Duration::from_secs(5);
/// Deadline of each RTSP step (DESCRIBE and PLAY get [`start_patience`] of it).
pub const STEP: Duration = Duration::from_secs(4);
/// Pauses between attempts to reopen a dropped camera: short, and capped at 1 s, so playback
/// resumes within about a second of the camera's return plus its encoder's start-up (x264's
/// look-ahead: ~1.5 s), inside the 3 s a viewer is promised. One DESCRIBE a second to a camera
/// that is down costs it nothing.
const BACKOFF: [Duration; 3] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
];

/// Caps of the preview.
#[derive(Debug, Clone)]
pub struct HubLimits {
    /// Viewers of one stream (each is a queue the relay fills).
    pub viewers_per_stream: usize,
    /// Viewers of all streams together.
    pub viewers_total: usize,
    /// Bytes waiting for one viewer before it is cut back to the next keyframe.
    pub queue_bytes: usize,
}

impl Default for HubLimits {
    /// 16 per stream and 64 in all: a wall of displays and a few people; the relay copies nothing
    /// per viewer but its queue, so the caps guard memory (64 x 2 MiB at worst), not CPU.
    fn default() -> Self {
        HubLimits {
            viewers_per_stream: 16,
            viewers_total: 64,
            queue_bytes: super::queue::DEFAULT_CAP,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("stream {0} is not a verified stream in the inventory")]
    NoStream(i64),
    #[error("stream {id} is {protocol}; the relay plays RTSP streams")]
    NotRtsp { id: i64, protocol: String },
    #[error("{0} viewers already watch this stream (the most it may have)")]
    StreamFull(usize),
    #[error("{0} viewers already watch (the most the server may have)")]
    Full(usize),
    #[error("the server is stopping")]
    Stopping,
    #[error("the inventory: {0}")]
    Store(String),
}

/// The relays of the streams being watched.
pub struct Hub {
    store: SharedStore,
    creds: Vec<Credential>,
    sessions: Arc<DeviceSessions>,
    limits: HubLimits,
    relays: Mutex<HashMap<i64, Arc<Shared>>>,
    total: Arc<AtomicUsize>,
    stop: watch::Receiver<bool>,
    /// The credentials a camera refused, per stream: never sent to it again.
    refused: Arc<Mutex<HashMap<i64, Vec<String>>>>,
}

impl Hub {
    /// A hub over the inventory `store`, opening streams with `creds`, holding at most the
    /// per-device session slots of `sessions` (shared with the server's scans).
    pub fn new(
        store: SharedStore,
        creds: Vec<Credential>,
        sessions: Arc<DeviceSessions>,
        limits: HubLimits,
        stop: watch::Receiver<bool>,
    ) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            creds,
            sessions,
            limits,
            relays: Mutex::new(HashMap::new()),
            total: Arc::new(AtomicUsize::new(0)),
            stop,
            refused: Default::default(),
        })
    }

    /// The stream as the inventory knows it (verified, not held), with its credential.
    pub async fn target(&self, id: i64) -> Result<CheckTarget, PreviewError> {
        let store = self.store.clone();
        let creds = self.creds.clone();
        let all = tokio::task::spawn_blocking(move || {
            let s = store.lock();
            s.check_targets(None, &creds)
        })
        .await
        .map_err(|e| PreviewError::Store(e.to_string()))?
        .map_err(|e| PreviewError::Store(e.to_string()))?;
        all.into_iter()
            .find(|t| t.stream_id == id)
            .ok_or(PreviewError::NoStream(id))
    }

    /// Viewers watching now, all streams.
    pub fn viewers(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// The status of stream `id`'s relay, when one runs.
    pub fn status(&self, id: i64) -> Option<Status> {
        let relays = self.relays.lock().unwrap_or_else(|e| e.into_inner());
        let shared = relays.get(&id)?.clone();
        drop(relays);
        shared.prune();
        let s = shared.status.borrow().clone();
        Some(s)
    }

    /// Relays running now (each holds at most one RTSP session).
    pub fn relays(&self) -> usize {
        self.relays.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Watch stream `id`: its relay started if it is not running.
    pub async fn subscribe(
        self: &Arc<Self>,
        id: i64,
        kind: ViewerKind,
    ) -> Result<Viewer, PreviewError> {
        if *self.stop.borrow() {
            return Err(PreviewError::Stopping);
        }
        let target = self.target(id).await?;
        if target.protocol != "rtsp" {
            return Err(PreviewError::NotRtsp {
                id,
                protocol: target.protocol,
            });
        }
        let total = self.total.fetch_add(1, Ordering::Relaxed);
        let queue = Queue::new(self.limits.queue_bytes);
        let lease_total = self.total.clone();
        if total >= self.limits.viewers_total {
            self.total.fetch_sub(1, Ordering::Relaxed);
            return Err(PreviewError::Full(self.limits.viewers_total));
        }
        let mut relays = self.relays.lock().unwrap_or_else(|e| e.into_inner());
        let shared = match relays.get(&id) {
            Some(s) => s.clone(),
            None => {
                let shared = Arc::new(Shared {
                    viewers: Mutex::new(Vec::new()),
                    status: watch::Sender::new(Status {
                        state: "connecting",
                        ..Status::default()
                    }),
                    idle_since: Mutex::new(None),
                });
                relays.insert(id, shared.clone());
                tokio::spawn(run(self.clone(), id, target, shared.clone()));
                shared
            }
        };
        {
            let mut v = shared.lock_viewers();
            v.retain(|(_, q)| !q.is_closed());
            if v.len() >= self.limits.viewers_per_stream {
                self.total.fetch_sub(1, Ordering::Relaxed);
                return Err(PreviewError::StreamFull(self.limits.viewers_per_stream));
            }
            // A viewer joining a live relay starts with the stream's parameters; its first
            // picture is the next keyframe.
            if let Some(p) = shared.status.borrow().params.clone() {
                queue.push(Unit::Params(p));
            }
            v.push((kind, queue.clone()));
        }
        shared.counted();
        drop(relays);
        Ok(Viewer {
            kind,
            queue,
            lease: Some(Lease {
                total: lease_total,
                status: shared.status.subscribe(),
            }),
        })
    }

    /// Remove relay `id` if it has had no viewer for [`LINGER`] or the server stops (under the
    /// map's lock, so a viewer arriving meanwhile either joins before or starts a new relay);
    /// whether it was removed.
    fn retire(&self, id: i64, shared: &Arc<Shared>) -> bool {
        let mut relays = self.relays.lock().unwrap_or_else(|e| e.into_inner());
        if shared.idle() || *self.stop.borrow() {
            relays.remove(&id);
            for (_, q) in shared.lock_viewers().drain(..) {
                q.close();
            }
            true
        } else {
            false
        }
    }
}

/// How a relay's session ended.
enum Ended {
    /// No viewer for [`LINGER`].
    Idle,
    /// The server is stopping.
    Stop,
    /// The camera dropped or refused; `media`: frames had come, so the backoff starts again.
    Dropped {
        reason: String,
        media: bool,
        /// The camera answered 401/403 to the credential sent (or to none).
        refused: bool,
    },
}

/// The relay of stream `id`: sessions opened again until it retires.
async fn run(hub: Arc<Hub>, id: i64, target: CheckTarget, shared: Arc<Shared>) {
    let Some(ip) = target_ip(&target) else {
        shared.status.send_modify(|s| {
            s.state = "failed";
            s.error = Some(format!("no address in {}", target.url));
        });
        while !hub.retire(id, &shared) {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        return;
    };
    let mut attempt = 0usize;
    let mut stop = hub.stop.clone();
    loop {
        if hub.retire(id, &shared) {
            return;
        }
        // A credential the camera refused is never sent to it again; without one that works,
        // the relay fails until its viewers leave.
        let refused = lock(&hub.refused).get(&id).cloned().unwrap_or_default();
        let cred = target
            .credential
            .clone()
            .filter(|c| !refused.contains(&c.username));
        if target.credential.is_some() && cred.is_none() {
            shared.status.send_modify(|s| {
                s.state = "failed";
                s.error = Some("the camera refused the credential that opened it".into());
            });
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
            continue;
        }
        let slot = loop {
            tokio::select! {
                s = hub.sessions.acquire(ip) => break Some(s),
                _ = tokio::time::sleep(Duration::from_secs(1)) => {
                    if hub.retire(id, &shared) {
                        break None;
                    }
                }
            }
        };
        let Some(slot) = slot else { return };
        let ended = play(&target, cred.as_ref(), &slot, &shared, &mut stop).await;
        slot.release().await;
        match ended {
            Ended::Idle | Ended::Stop => {}
            Ended::Dropped {
                reason,
                media,
                refused,
            } => {
                tracing::info!(stream = id, url = target.url, "preview: {reason}");
                if media {
                    attempt = 0;
                }
                if refused {
                    if let Some(c) = &cred {
                        lock(&hub.refused)
                            .entry(id)
                            .or_default()
                            .push(c.username.clone());
                    }
                    shared.status.send_modify(|s| {
                        s.state = "failed";
                        s.error = Some(format!(
                            "the camera refused the credential that opened it ({reason})"
                        ));
                    });
                } else {
                    shared.status.send_modify(|s| {
                        s.state = "reconnecting";
                        s.error = Some(reason.clone());
                    });
                }
                shared.push(None, &Unit::Reconnecting { reason });
                let pause = BACKOFF[attempt.min(BACKOFF.len() - 1)];
                attempt += 1;
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop.wait_for(|s| *s) => {}
                }
            }
        }
    }
}

/// The camera's address: the stream URL's host, else the device's last address.
fn target_ip(t: &CheckTarget) -> Option<IpAddr> {
    url::Url::parse(&t.url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_string()))
        .and_then(|h| h.parse().ok())
        .or_else(|| t.ip.as_deref().and_then(|ip| ip.parse().ok()))
}

fn dropped(s: Step, media: bool) -> Ended {
    Ended::Dropped {
        refused: matches!(s.status, Some(401 | 403)),
        reason: s.message,
        media,
    }
}

/// The frame format the relay asks retina for: 4-byte NAL lengths (MP4's, which WebRTC's
/// packetizer reads too), the parameter sets before every keyframe (so a viewer joining at any
/// keyframe, or a WebRTC decoder, has them in band), raw AAC.
fn frame_format() -> FrameFormat {
    FrameFormat {
        h26x_framing: retina::codec::h26x::Framing::FourByteLength,
        parameter_set_insertion: retina::codec::ParameterSetInsertion::EachKeyFrame,
        aac_framing: retina::codec::aac::Framing::Raw,
    }
}

/// One RTSP session of the relay, until the camera drops, the viewers leave or the server stops.
async fn play(
    target: &CheckTarget,
    cred: Option<&Credential>,
    slot: &analyze::sessions::SessionSlot,
    shared: &Shared,
    stop: &mut watch::Receiver<bool>,
) -> Ended {
    let url = target.url.as_str();
    let mut session = match describe(url, cred, slot).await {
        Ok(s) => s,
        Err(ended) => return ended,
    };
    let tracks = match Tracks::of(&session, url) {
        Ok(t) => t,
        Err(ended) => return ended,
    };
    if let Err(ended) = setup(&mut session, url, &tracks).await {
        return ended;
    }
    let demuxed = match start(session, url).await {
        Ok(d) => d,
        Err(ended) => return ended,
    };
    shared.status.send_modify(|s| {
        s.sessions += 1;
        s.state = "connecting";
    });
    relay_media(demuxed, tracks, url, shared, stop).await
}

/// DESCRIBE `url` with the credential `cred`, in the session group of `slot`.
async fn describe(
    url: &str,
    cred: Option<&Credential>,
    slot: &analyze::sessions::SessionSlot,
) -> Result<Session<Described>, Ended> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Err(Ended::Dropped {
            reason: format!("bad URL {url}"),
            media: false,
            refused: false,
        });
    };
    let opts = SessionOptions::default()
        .user_agent(USER_AGENT.to_string())
        .session_group(slot.group())
        .creds(cred.map(|c| retina::client::Credentials {
            username: c.username.clone(),
            password: c.password.clone(),
        }));
    step(
        "DESCRIBE",
        url,
        start_patience(STEP),
        Session::describe(parsed, opts),
    )
    .await
    .map_err(|s| dropped(s, false))
}

/// The streams of the camera's SDP the relay plays.
struct Tracks {
    /// The H.264 video stream.
    video: usize,
    /// The AAC audio stream, when there is one.
    audio: Option<usize>,
    /// The video's RTP payload type (the WebRTC viewers' packets keep it).
    payload_type: u8,
    /// Why the camera's audio is left out, for the page.
    audio_note: Option<String>,
}

impl Tracks {
    /// The video (H.264, else the session is dropped) and audio (AAC, else a note) of `session`.
    fn of(session: &Session<Described>, url: &str) -> Result<Tracks, Ended> {
        let streams = session.streams();
        let Some(video) = streams.iter().position(|s| s.media() == "video") else {
            return Err(Ended::Dropped {
                reason: format!("{url}: no video stream in the camera's SDP"),
                media: false,
                refused: false,
            });
        };
        let encoding = streams[video].encoding_name().to_ascii_lowercase();
        if encoding != "h264" {
            return Err(Ended::Dropped {
                reason: format!(
                    "{url}: {encoding} video cannot be relayed to a browser (H.264 only)"
                ),
                media: false,
                refused: false,
            });
        }
        let payload_type = streams[video].rtp_payload_type();
        let (audio, audio_note) = match streams.iter().position(|s| s.media() == "audio") {
            Some(i)
                if streams[i]
                    .encoding_name()
                    .eq_ignore_ascii_case("mpeg4-generic") =>
            {
                (Some(i), None)
            }
            Some(i) => (
                None,
                Some(format!(
                    "{} audio is not supported by the browser preview (AAC only)",
                    audio_name(streams[i].encoding_name())
                )),
            ),
            None => (None, None),
        };
        Ok(Tracks {
            video,
            audio,
            payload_type,
            audio_note,
        })
    }
}

/// SETUP of the video and the audio: interleaved TCP, else (a 461 answer) UDP.
async fn setup(session: &mut Session<Described>, url: &str, tracks: &Tracks) -> Result<(), Ended> {
    let mut transport = retina::client::Transport::Tcp(TcpTransportOptions::default());
    for index in std::iter::once(tracks.video).chain(tracks.audio) {
        let setup = |t: retina::client::Transport| {
            SetupOptions::default()
                .transport(t)
                .frame_format(frame_format())
        };
        match step(
            "SETUP",
            url,
            STEP,
            session.setup(index, setup(transport.clone())),
        )
        .await
        {
            Ok(_) => {}
            Err(Step {
                status: Some(461), ..
            }) if matches!(transport, retina::client::Transport::Tcp(_)) => {
                transport = retina::client::Transport::Udp(Default::default());
                if let Err(s) = step(
                    "SETUP",
                    url,
                    STEP,
                    session.setup(index, setup(transport.clone())),
                )
                .await
                {
                    return Err(dropped(s, false));
                }
            }
            Err(s) => return Err(dropped(s, false)),
        }
    }
    Ok(())
}

/// PLAY, and the session's frames.
async fn start(session: Session<Described>, url: &str) -> Result<Demuxed, Ended> {
    let playing = match step(
        "PLAY",
        url,
        start_patience(STEP),
        session.play(PlayOptions::default()),
    )
    .await
    {
        Ok(p) => p,
        Err(s) => return Err(dropped(s, false)),
    };
    playing.demuxed().map_err(|e| Ended::Dropped {
        reason: format!("RTSP {url}: {e}"),
        media: false,
        refused: false,
    })
}

/// The session's frames to the viewers until the camera drops or stalls, the viewers leave or
/// the server stops.
async fn relay_media(
    mut demuxed: Demuxed,
    tracks: Tracks,
    url: &str,
    shared: &Shared,
    stop: &mut watch::Receiver<bool>,
) -> Ended {
    let Tracks {
        video,
        audio,
        payload_type,
        audio_note,
    } = tracks;
    let mut relay = Frames::new(payload_type, audio_note);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    // The first packet may take a while (an encoder with look-ahead sends nothing for ~1.5 s).
    let mut patience = start_patience(STEP).max(STALL);
    loop {
        tokio::select! {
            item = tokio::time::timeout(patience, demuxed.next()) => {
                let item = match item {
                    Err(_) => return Ended::Dropped {
                        reason: format!("{url}: no media for {} s", patience.as_secs()),
                        media: relay.frames > 0,
                        refused: false,
                    },
                    Ok(None) => return Ended::Dropped {
                        reason: format!("{url}: the camera ended the session"),
                        media: relay.frames > 0,
                        refused: false,
                    },
                    Ok(Some(Err(e))) => return Ended::Dropped {
                        reason: format!("RTSP {url}: {}", error::one_line(&e)),
                        media: relay.frames > 0,
                        refused: false,
                    },
                    Ok(Some(Ok(item))) => item,
                };
                patience = STALL;
                match item {
                    CodecItem::VideoFrame(f) if f.stream_id() == video => {
                        if relay.params.is_none() || f.has_new_parameters() {
                            relay.params(&demuxed, video, audio, shared);
                        }
                        relay.video(f, shared);
                    }
                    CodecItem::AudioFrame(f) if Some(f.stream_id()) == audio => {
                        relay.audio(f, shared);
                    }
                    _ => {}
                }
            }
            _ = stop.wait_for(|s| *s) => return Ended::Stop,
            _ = tick.tick() => {
                if shared.idle() {
                    return Ended::Idle;
                }
            }
        }
    }
}

fn audio_name(encoding: &str) -> String {
    match encoding.to_ascii_lowercase().as_str() {
        "pcmu" => "G.711 µ-law (PCMU)".into(),
        "pcma" => "G.711 A-law (PCMA)".into(),
        other => other.to_string(),
    }
}
