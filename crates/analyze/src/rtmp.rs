//! RTMP (`docs/design/protocols.md`, "RTMP handshake"): is a port an RTMP server, and which of the
//! usual application/stream names play on it.
//!
//! The simple handshake (C0+C1, S0+S1+S2, C2) proves RTMP. Then each application name (`rtmp_apps`
//! of `data/rtmp.yaml`, [`knowledge`]) is connected to, and each accepted one's stream names
//! (`rtmp_streams`) are played, one connection per name,
//! listening up to [`PLAY_WINDOW`]. A name plays when `onMetaData` or media arrive:
//! `NetStream.Play.Start` alone proves nothing, since nginx-rtmp starts any name and waits for a
//! publisher. Metadata gives codec, size and
//! frame rate. Stream keys cannot be guessed beyond these common names and the user's hints
//! (`--paths`: `app/stream` lines, bare names); a server with other names is still reported as an
//! RTMP service, with a note naming the applications that accepted `connect`.

use std::net::SocketAddr;
use std::time::Duration;

use error::{AnalyzeError, NetError};
use model::{AudioInfo, Protocol, Stream, VideoInfo};
pub use net::rtmp::{Conn, handshake};
use proto::rtmp::{self, chunk::message_type};

// Application names tried (nginx-rtmp's and SRS's `live`, Reolink's `bcs`, ...) and stream names
// tried in each accepted application (Reolink `channel0_main.bcs`, docs/design/protocols.md, "RTMP
// handshake") are data: `rtmp_apps` and `rtmp_streams` of `data/rtmp.yaml`, read through
// `knowledge::get()`.

/// How long plays are listened to.
pub const PLAY_WINDOW: Duration = Duration::from_millis(1500);

/// What one RTMP port gave.
#[derive(Debug, Default)]
pub struct RtmpFindings {
    pub streams: Vec<Stream>,
    pub failures: Vec<AnalyzeError>,
    /// Applications that accepted `connect`.
    pub accepted_apps: Vec<String>,
    /// With no stream found: which applications accepted `connect` and how to give the stream
    /// key (`--paths`).
    pub note: Option<String>,
}

fn rtmp_url(addr: SocketAddr, app: &str, name: Option<&str>) -> String {
    let host = net::zone::authority(addr);
    match name {
        Some(n) => format!("rtmp://{host}/{app}/{n}"),
        None => format!("rtmp://{host}/{app}"),
    }
}

/// Plays tried at once on one server.
const PLAYS_IN_PARALLEL: usize = 12;

/// Find playable streams on an RTMP server (the handshake already succeeded once on `addr`).
///
/// Many servers (nginx-rtmp) give every `createStream` on a connection the same message stream id,
/// so each name is played on a connection of its own: first the application names are tried (a
/// server closes or answers `_error` for one it does not have), then each accepted application's
/// candidate names, [`PLAYS_IN_PARALLEL`] at a time.
pub async fn analyze(
    addr: SocketAddr,
    connect_timeout: Duration,
    timeout: Duration,
    hints: &crate::hints::Hints,
) -> RtmpFindings {
    use futures::StreamExt;
    let mut findings = RtmpFindings::default();
    // The user's applications first, then the usual ones.
    let hinted = hints.rtmp_pairs();
    let mut tried: Vec<String> = Vec::new();
    for app in hinted
        .iter()
        .map(|(app, _)| app.as_str())
        .chain(knowledge::get().rtmp_apps())
    {
        if !tried.iter().any(|a| a == app) {
            tried.push(app.to_string());
        }
    }
    let accepted = futures::future::join_all(tried.iter().map(|app| async move {
        let r = connect_app(addr, app, connect_timeout, timeout).await;
        (app.clone(), r.map(|c| c.is_some()))
    }))
    .await;
    for (app, r) in accepted {
        match r {
            Ok(true) => findings.accepted_apps.push(app),
            Ok(false) => {}
            Err(e) => findings
                .failures
                .push(AnalyzeError::from(e).within(format!("RTMP app {app}"))),
        }
    }
    // The user's pairs, then their names and the usual names in each accepted application.
    let mut plays: Vec<(String, String)> = Vec::new();
    let names: Vec<String> = hints
        .rtmp_names()
        .into_iter()
        .chain(
            knowledge::get()
                .rtmp_streams()
                .into_iter()
                .map(str::to_string),
        )
        .collect();
    for app in &findings.accepted_apps {
        let pairs = hinted.iter().filter(|(a, _)| a == app).cloned();
        let guesses = names.iter().map(|n| (app.clone(), n.clone()));
        for play in pairs.chain(guesses) {
            if !plays.contains(&play) {
                plays.push(play);
            }
        }
    }
    let results: Vec<Result<Option<Stream>, NetError>> =
        futures::stream::iter(plays)
            .map(|(app, name)| async move {
                try_play(addr, &app, &name, connect_timeout, timeout).await
            })
            .buffer_unordered(PLAYS_IN_PARALLEL)
            .collect()
            .await;
    for r in results {
        match r {
            Ok(Some(s)) => findings.streams.push(s),
            Ok(None) => {}
            Err(e) => findings
                .failures
                .push(AnalyzeError::from(e).within("RTMP play")),
        }
    }
    findings.streams.sort_by(|a, b| a.url.cmp(&b.url));
    findings.failures.sort_by_key(ToString::to_string);
    findings
        .failures
        .dedup_by(|a, b| a.to_string() == b.to_string());
    if findings.streams.is_empty() {
        findings.note = Some(no_stream_note(&findings.accepted_apps, &tried));
    }
    findings
}

/// What to say about an RTMP server where no name played: which applications accepted `connect`
/// (the stream key is what is missing) or that none did, and how to give them.
fn no_stream_note(accepted: &[String], tried: &[String]) -> String {
    match accepted {
        [] => format!(
            "no application accepted connect (tried {}): give app/stream with --paths",
            tried.join(", ")
        ),
        [app] => format!(
            "application {app} accepted connect, stream key unknown: give it with --paths \
             (a line {app}/<key>)"
        ),
        apps => format!(
            "applications {} accepted connect, stream key unknown: give it with --paths \
             (a line {}/<key>)",
            apps.join(", "),
            apps[0]
        ),
    }
}

/// Handshake and `connect(app)`: `Ok(Some(conn))` when the server accepts the application,
/// `Ok(None)` when it refuses it (`_error`, or hangs up, as nginx-rtmp does).
async fn connect_app(
    addr: SocketAddr,
    app: &str,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<Option<Conn>, NetError> {
    let mut c = handshake(addr, connect_timeout, timeout).await?;
    let tc_url = rtmp_url(addr, app, None);
    c.send(&rtmp::connect_command(app, &tc_url, 1)).await?;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let m = match c.next(deadline).await {
            Ok(Some(m)) => m,
            Ok(None) => {
                return Err(NetError::Timeout {
                    addr,
                    what: "RTMP connect".into(),
                    timeout,
                });
            }
            Err(NetError::Closed { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if m.type_id != message_type::COMMAND_AMF0 {
            continue;
        }
        let Ok(cmd) = rtmp::parse_command(&m) else {
            continue;
        };
        match cmd.name.as_str() {
            "_result" if cmd.transaction_id == 1.0 => return Ok(Some(c)),
            "_error" if cmd.transaction_id == 1.0 => return Ok(None),
            _ => {}
        }
    }
}

/// Video and audio facts from `onMetaData` (RTMP, HTTP-FLV): codecs, size, the declared frame
/// rate (`fps_source: metadata`) and bitrate.
pub(crate) fn metadata_facts(md: &rtmp::Metadata) -> (Option<VideoInfo>, Option<AudioInfo>) {
    let video = md.video_codec().map(|codec| {
        let mut v = VideoInfo::new(codec.into());
        (v.width, v.height) = (md.width, md.height);
        v.fps = md.frame_rate;
        v.fps_source = md.frame_rate.map(|_| "metadata".to_string());
        v.bitrate_kbps = md.video_data_rate.map(|r| r.round() as u32);
        v
    });
    let audio = md.audio_codec().map(|codec| AudioInfo {
        codec: codec.into(),
        sample_rate: md.audio_sample_rate,
        channels: None,
    });
    (video, audio)
}

/// A known stream's health check (`camscan watch`): does playing `app/name` still give metadata
/// or media within [`PLAY_WINDOW`]?
pub async fn play_check(
    addr: SocketAddr,
    app: &str,
    name: &str,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<bool, NetError> {
    Ok(try_play(addr, app, name, connect_timeout, timeout)
        .await?
        .is_some())
}

/// Play `app/name` on a connection of its own; a stream when metadata or media arrive within
/// [`PLAY_WINDOW`].
async fn try_play(
    addr: SocketAddr,
    app: &str,
    name: &str,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<Option<Stream>, NetError> {
    let Some(mut c) = connect_app(addr, app, connect_timeout, timeout).await? else {
        return Ok(None);
    };
    c.send(&rtmp::create_stream(2)).await?;
    let deadline = tokio::time::Instant::now() + timeout;
    let id = loop {
        let Some(m) = c.next(deadline).await? else {
            return Ok(None);
        };
        if m.type_id != message_type::COMMAND_AMF0 {
            continue;
        }
        if let Ok(cmd) = rtmp::parse_command(&m)
            && cmd.name == "_result"
            && cmd.transaction_id == 2.0
        {
            match rtmp::created_stream_id(&cmd) {
                Some(id) => break id,
                None => return Ok(None),
            }
        }
    };
    c.send(&rtmp::play(name, id, 0)).await?;
    let mut stream: Option<Stream> = None;
    let deadline = tokio::time::Instant::now() + PLAY_WINDOW;
    loop {
        let m = match c.next(deadline).await {
            Ok(Some(m)) => m,
            Ok(None) | Err(NetError::Closed { .. }) => break,
            Err(e) => return Err(e),
        };
        if m.type_id == message_type::COMMAND_AMF0
            && let Ok(cmd) = rtmp::parse_command(&m)
            && let Some(st) = rtmp::Status::from_command(&cmd)
            && st.is(rtmp::PLAY_STREAM_NOT_FOUND)
        {
            break;
        }
        let media = matches!(m.type_id, message_type::AUDIO | message_type::VIDEO);
        let meta = rtmp::parse_metadata(&m);
        if !media && meta.is_none() {
            continue;
        }
        let s = stream.get_or_insert_with(|| {
            let mut s = Stream::new(rtmp_url(addr, app, Some(name)), Protocol::Rtmp, addr.port());
            s.verified = true;
            s
        });
        if let Some(md) = meta {
            let (video, audio) = metadata_facts(&md);
            if video.is_some() {
                s.video = video;
            }
            if audio.is_some() {
                s.audio = audio;
            }
        }
        if s.video.is_some() {
            break; // described: no need to wait out the window
        }
    }
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_names_the_accepted_applications() {
        let tried: Vec<String> = knowledge::get()
            .rtmp_apps()
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(
            no_stream_note(&["live".into()], &tried),
            "application live accepted connect, stream key unknown: give it with --paths (a line live/<key>)"
        );
        let two = no_stream_note(&["live".into(), "app".into()], &tried);
        assert!(
            two.starts_with("applications live, app accepted connect"),
            "{two}"
        );
        let none = no_stream_note(&[], &tried);
        assert!(
            none.contains("tried live, bcs, app, stream, rtmp"),
            "{none}"
        );
    }
}
