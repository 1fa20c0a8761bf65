//! The PLAY check on the connection whose DESCRIBE found the stream: SETUP over TCP (interleaved)
//! and PLAY on that same connection, then the media it carries, measured as the retina session of
//! [`crate::verify`] measures it.
//!
//! Why not always retina: retina opens a session of its own (a second DESCRIBE), and its PLAY asks
//! for `Range: npt=0.000-`. A server with shared media (GStreamer's) takes that range as a seek: it
//! flushes the media it has just prepared for the DESCRIBE and prepares it again before answering,
//! so an x264 encoder with look-ahead costs its start twice (on the bench lab's B-frame camera,
//! DESCRIBE 1.8 s, then PLAY with the range 2.0 s and without it 2 ms, the first packet 46 ms
//! later). A live stream needs no range (RFC 2326 §10.5: a PLAY without one plays from the current
//! position), so this PLAY sends none.
//!
//! A SETUP over TCP that the server refuses (`461 Unsupported Transport`, or `400` and other
//! refusals) is asked again over UDP on the same connection ([`setup_udp`]), and the media is
//! taken from the server's address whatever port it sends from (`net::rtp_udp`: rtsp-rs sends
//! from a port its SETUP answer did not name, which retina's UDP drops).
//!
//! A busy answer to the PLAY (503, 453) is asked again on the session already set up, the first
//! time at once ([`play`]): a new session would describe the stream again. Anything else unusual
//! before the media flows (no session, an answer other than 200, both transports refused, a server still
//! busy after one step deadline, bytes that are neither frames nor RTSP) declines, and the caller
//! runs the retina session as before: it knows UDP, waits out busy answers and reads stranger
//! servers.

use std::time::{Duration, Instant};

use super::walker::{Held, authorize};
use crate::sessions::{Lingering, SessionSlot};
use crate::verify::{self, KeyframeRule, RtpStats};
use credentials::Credential;
use error::NetError;
use error::fmt_duration;
use model::Measured;
use net::media_budget::MediaBudget;
use net::rtp_udp::RtpPair;
use net::rtsp::{Busy, Interleaved, Reply, RtspClient, is_busy, retry_after, start_patience};
use proto::{rtp, sdp};

/// Longest wait for the TEARDOWN's answer before the connection is closed anyway.
const TEARDOWN_WAIT: Duration = Duration::from_secs(1);

/// How the check on the held connection ended.
pub(super) enum Played {
    /// The media came (or PLAY was answered and nothing came): the check's result, and the
    /// session, still set up, for the caller to end ([`Closing::close`]).
    Done(Result<Measured, verify::Failed>, Box<Closing>),
    /// Not tried to the end, for this reason: the retina session is the check.
    Declined(String),
}

/// SETUP and PLAY `url` on `held` (whose DESCRIBE answered `body`), measure for at most `window`
/// after the first packet; the session is left set up ([`Played::Done`]). `timeout`: each
/// request's deadline (the first packet gets the start patience).
pub(super) async fn on_held(
    held: Box<Held>,
    url: &str,
    body: &[u8],
    cred: Option<&Credential>,
    timeout: Duration,
    window: Duration,
    media: &MediaBudget,
) -> Played {
    let Held {
        mut client,
        challenges,
        base,
        played,
    } = *held;
    client.set_timeout(timeout);
    let auth = |method: &str, uri: &str| cred.and_then(|c| authorize(&challenges, c, method, uri));
    let sd = sdp::parse_for(body, url);
    let Some(index) = sd
        .media
        .iter()
        .position(|m| m.kind == "video")
        .or((!sd.media.is_empty()).then_some(0))
    else {
        return Played::Declined("no media in the description".into());
    };
    let m = &sd.media[index];
    // Room in the media budget before the SETUP: a check that waits holds no session set up.
    let pull = media.admit().await;
    // Controls are relative to the answer's base URL when it names one; the aggregate PLAY goes
    // to that base then (as retina and ffmpeg send it), else to the URL described.
    let aggregate = match base.as_deref() {
        Some(b) if b.trim_end_matches('/') != url.trim_end_matches('/') => b,
        _ => url,
    };
    let control = control_url(aggregate, m.control.as_deref());
    let (session, carrier) = match setup(&mut client, &control, &auth).await {
        Ok(set_up) => set_up,
        Err(declined) => return declined,
    };
    let mut headers = vec![("Session", session.clone())];
    headers.extend(auth("PLAY", aggregate).map(|a| ("Authorization", a)));
    let patience = start_patience(timeout);
    let reply = play(
        &mut client,
        url,
        aggregate,
        &as_refs(&headers),
        patience,
        timeout,
    )
    .await;
    // The walk may ask its next paths now: this PLAY is answered.
    drop(played);
    match reply {
        Ok(r) if r.head.status == 200 => {}
        Ok(r) => return Played::Declined(format!("PLAY answered {}", r.head.status)),
        Err(e) => return Played::Declined(format!("PLAY: {e}")),
    }
    let encoding = m.encoding_name().unwrap_or_default();
    let stats = RtpStats::new(
        KeyframeRule::for_encoding(&encoding),
        m.clock().unwrap_or(90_000),
    );
    let is_video = m.kind == "video";
    let mut reading = verify::Reading::new(stats, patience, window, pull);
    let (broken, transport) = match &carrier {
        Carrier::Tcp(channel) => (
            read_media(&mut client, &mut reading, *channel, url).await,
            "tcp",
        ),
        Carrier::Udp { pair, server } => (read_udp(pair, *server, &mut reading, url).await, "udp"),
    };
    if reading.start.is_some() || broken.is_none() {
        reading.checked();
    }
    let result = match (reading.start, broken) {
        (Some(start), _) => Ok(verify::measured(
            start,
            transport.into(),
            is_video,
            &reading.stats,
        )),
        (None, Some(e)) => return Played::Declined(format!("after PLAY: {e}")),
        (None, None) => Err(verify::Failed {
            message: format!(
                "RTSP PLAY {url}: no media packet within {}",
                fmt_duration(patience)
            ),
            timed_out: true,
            status: None,
        }),
    };
    let closing = Closing {
        client,
        url: aggregate.to_string(),
        authorization: auth("TEARDOWN", aggregate),
        session,
    };
    Played::Done(result, Box::new(closing))
}

/// PLAY the session set up on `client` (`headers`: its `Session`, its login). A busy answer (503,
/// 453) is asked again on that same session, the first time at once, then after the busy backoff
/// (or the server's `Retry-After`), all within one step deadline (`timeout`): GStreamer answers a
/// PLAY 503 when the shared media's state is in flux (gst-rtsp-server `rtsp-client.c`,
/// `handle_play_request`: its `unsuspend_failed` and `setup_play_mode`'s `seek_failed`, the media
/// another client just left being torn down), and RFC 2326 §10.5 lets a client send PLAY again on
/// a session it set up. Declining instead meant a retina session: a new DESCRIBE and a ranged PLAY,
/// each a start of a look-ahead encoder (about 2 s), after the backoff's pause. The last answer
/// is returned, busy or not.
async fn play(
    client: &mut RtspClient,
    url: &str,
    aggregate: &str,
    headers: &[(&'static str, &str)],
    patience: Duration,
    timeout: Duration,
) -> Result<Reply, NetError> {
    // The deadline runs from the first busy answer (the first PLAY may take the start patience).
    let mut busy: Option<Busy> = None;
    loop {
        let asked = Instant::now();
        let reply = client
            .request_patient("PLAY", aggregate, headers, patience)
            .await;
        let status = reply.as_ref().ok().map(|r| r.head.status);
        tracing::debug!(
            url,
            ms = asked.elapsed().as_millis() as u64,
            status,
            "PLAY on the connection that found the stream"
        );
        let r = match reply {
            Ok(r) if is_busy(r.head.status) => r,
            other => return other,
        };
        let again = match (&mut busy, retry_after(&r.head)) {
            (None, None) => {
                busy = Some(Busy::new(timeout));
                true
            }
            (waited, after) => {
                waited
                    .get_or_insert_with(|| Busy::new(timeout))
                    .wait(after)
                    .await
            }
        };
        if !again {
            return Ok(r);
        }
        tracing::debug!(url, status, "PLAY busy; asking again on the same session");
    }
}

/// Where a set-up session's media arrives.
enum Carrier {
    /// Interleaved on the RTSP connection, on this RTP channel.
    Tcp(u8),
    /// Over UDP to our socket pair, from the server's address (any of its ports).
    Udp {
        pair: Box<RtpPair>,
        server: std::net::IpAddr,
    },
}

/// SETUP `control` over the connection, interleaved TCP first; a refusal of TCP (any `4xx` but a
/// login's or a busy server's, [`verify::tcp_refused`]: rtsp-rs answers `461`, others `400`)
/// asks for UDP on the same connection ([`setup_udp`]). The session and where its media comes,
/// or why the check is declined. `auth`: the `Authorization` for a method and URL.
async fn setup(
    client: &mut RtspClient,
    control: &str,
    auth: &(dyn Fn(&str, &str) -> Option<String> + Sync),
) -> Result<(String, Carrier), Played> {
    let transport = "RTP/AVP/TCP;unicast;interleaved=0-1";
    let reply = setup_request(client, control, transport, auth).await?;
    if verify::tcp_refused(Some(reply.head.status)) {
        tracing::debug!(
            control,
            status = reply.head.status,
            "SETUP over TCP refused; asking for UDP"
        );
        return setup_udp(client, control, auth, reply.head.status).await;
    }
    let session = session_of(&reply)?;
    let channel = reply
        .head
        .header("transport")
        .and_then(interleaved_channel)
        .unwrap_or(0);
    Ok((session, Carrier::Tcp(channel)))
}

/// SETUP `control` over UDP after the server refused TCP with `refused`: a socket pair on the
/// connection's own address, `client_port=` its ports; the media is then taken from the server's
/// address (or the answer's `source=`) whatever port it comes from.
async fn setup_udp(
    client: &mut RtspClient,
    control: &str,
    auth: &(dyn Fn(&str, &str) -> Option<String> + Sync),
    refused: u16,
) -> Result<(String, Carrier), Played> {
    let tcp = net::rtsp::status_words(refused);
    let local = match client.local_addr() {
        Some(a) => a.ip(),
        None => return Err(Played::Declined(format!("SETUP over TCP answered {tcp}"))),
    };
    let pair = match RtpPair::bind(local).await {
        Ok(p) => p,
        Err(e) => {
            return Err(Played::Declined(format!(
                "SETUP over TCP answered {tcp}; no UDP port pair: {e}"
            )));
        }
    };
    let port = pair.port();
    let transport = format!("RTP/AVP;unicast;client_port={port}-{}", port + 1);
    let reply = setup_request(client, control, &transport, auth).await?;
    if reply.head.status != 200 {
        return Err(Played::Declined(format!(
            "SETUP over TCP answered {tcp}, over UDP {}",
            net::rtsp::status_words(reply.head.status)
        )));
    }
    let session = session_of(&reply)?;
    let server = reply
        .head
        .header("transport")
        .and_then(source_of)
        .unwrap_or(client.addr().ip());
    Ok((
        session,
        Carrier::Udp {
            pair: Box::new(pair),
            server,
        },
    ))
}

/// One SETUP asking for `transport`; an answer that is no RTSP answer declines the check.
async fn setup_request(
    client: &mut RtspClient,
    control: &str,
    transport: &str,
    auth: &(dyn Fn(&str, &str) -> Option<String> + Sync),
) -> Result<Reply, Played> {
    let mut headers = vec![("Transport", transport.to_string())];
    headers.extend(auth("SETUP", control).map(|a| ("Authorization", a)));
    match client.request("SETUP", control, &as_refs(&headers)).await {
        Ok(r) if r.head.status == 200 || verify::tcp_refused(Some(r.head.status)) => Ok(r),
        Ok(r) => Err(Played::Declined(format!(
            "SETUP answered {}",
            r.head.status
        ))),
        Err(e) => Err(Played::Declined(format!("SETUP: {e}"))),
    }
}

/// The session a SETUP answer opened.
fn session_of(reply: &Reply) -> Result<String, Played> {
    reply
        .head
        .header("session")
        .and_then(|s| s.split(';').next())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Played::Declined("SETUP answered without a session".into()))
}

/// The `source=` address of a SETUP answer's `Transport` (RFC 2326 §12.39).
fn source_of(transport: &str) -> Option<std::net::IpAddr> {
    transport
        .split(';')
        .find_map(|p| p.trim().strip_prefix("source="))
        .and_then(|v| v.trim().parse().ok())
}

/// Feed `reading` the RTP packets that come over UDP from `server`'s address until its deadline
/// or its window is full; what broke the socket, if something did.
async fn read_udp(
    pair: &RtpPair,
    server: std::net::IpAddr,
    reading: &mut verify::Reading<'_>,
    url: &str,
) -> Option<String> {
    let mut timestamps = rtp::Extender::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match pair.recv_from(server, &mut buf, reading.deadline()).await {
            None => return None,
            Some(Err(e)) => return Some(e.to_string()),
            Some(Ok(n)) => n,
        };
        let Some(p) = rtp::packet(&buf[..n]) else {
            continue;
        };
        if reading.packet(url, timestamps.extend(p.timestamp), p.payload) {
            return None;
        }
    }
}

/// Feed `reading` the RTP packets of `channel` until its deadline or its window is full; what
/// broke the connection, if something did.
async fn read_media(
    client: &mut RtspClient,
    reading: &mut verify::Reading<'_>,
    channel: u8,
    url: &str,
) -> Option<String> {
    let mut timestamps = rtp::Extender::default();
    loop {
        let item = match tokio::time::timeout_at(reading.deadline(), client.next_item()).await {
            Err(_) => return None,
            Ok(Err(e)) => return Some(e.to_string()),
            Ok(Ok(item)) => item,
        };
        let Interleaved::Frame { channel: c, data } = item else {
            continue;
        };
        let Some(p) = rtp::packet(&data).filter(|_| c == channel) else {
            continue;
        };
        if reading.packet(url, timestamps.extend(p.timestamp), p.payload) {
            return None;
        }
    }
}

/// A checked session, still set up: [`Closing::close`] ends it. The check's result does not wait
/// for that. A server with shared media answers the TEARDOWN of its last client only once the
/// media is torn down, and GStreamer's answers no other request meanwhile (0.8-1.2 s with a
/// look-ahead x264 on the bench lab), so the session lingers while the device's analysis may still
/// send requests (the talk-back DESCRIBE), holding its slot ([`SessionSlot::linger`]); the slot is
/// given back once the TEARDOWN is answered: the server answers the next session 503 while it is
/// still tearing this one down.
pub(super) struct Closing {
    client: RtspClient,
    url: String,
    session: String,
    authorization: Option<String>,
}

impl Closing {
    /// Linger (reading and dropping what the session still sends), then TEARDOWN and wait (at
    /// most [`TEARDOWN_WAIT`]) for the answer among the frames still coming; the connection
    /// closes when this ends.
    pub(super) async fn close(mut self, slot: &SessionSlot, lingering: Lingering) {
        let client = &mut self.client;
        slot.linger(&lingering, async {
            while client.next_item().await.is_ok() {}
        })
        .await;
        let mut headers = vec![("Session", self.session.as_str())];
        if let Some(a) = self.authorization.as_deref() {
            headers.push(("Authorization", a));
        }
        let sent = client.send_request("TEARDOWN", &self.url, &headers).await;
        drop(lingering);
        let Ok(cseq) = sent else {
            return;
        };
        let answered = async {
            loop {
                match client.next_item().await {
                    Ok(Interleaved::Message {
                        status: Some(_),
                        cseq: Some(c),
                    }) if c == cseq => return,
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        };
        let _ = tokio::time::timeout(TEARDOWN_WAIT, answered).await;
    }
}

fn as_refs<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    headers.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The URL to SETUP a media section at: its `a=control` when absolute, the request URL for `*`
/// or none, else the control appended to the request URL with one `/` between (as ffmpeg and
/// live555 join them; Dahua's `trackID=0` after a query string included).
fn control_url(url: &str, control: Option<&str>) -> String {
    match control.map(str::trim) {
        None | Some("" | "*") => url.to_string(),
        Some(c) if c.len() > 7 && c[..7].eq_ignore_ascii_case("rtsp://") => c.to_string(),
        Some(c) => {
            let c = c.trim_start_matches('/');
            if url.ends_with('/') {
                format!("{url}{c}")
            } else {
                format!("{url}/{c}")
            }
        }
    }
}

/// The first channel of `interleaved=A-B` in a SETUP answer's `Transport`.
fn interleaved_channel(transport: &str) -> Option<u8> {
    transport
        .split(';')
        .find_map(|p| p.trim().strip_prefix("interleaved="))
        .and_then(|v| v.split('-').next())
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_urls_join_as_players_join_them() {
        let u = "rtsp://10.0.0.9:554/Streaming/Channels/101";
        assert_eq!(control_url(u, None), u);
        assert_eq!(control_url(u, Some("*")), u);
        assert_eq!(control_url(u, Some("stream=0")), format!("{u}/stream=0"));
        assert_eq!(
            control_url(&format!("{u}/"), Some("trackID=1")),
            format!("{u}/trackID=1")
        );
        let q = "rtsp://10.0.0.9:554/cam/realmonitor?channel=1&subtype=0";
        assert_eq!(control_url(q, Some("trackID=0")), format!("{q}/trackID=0"));
        assert_eq!(
            control_url(u, Some("RTSP://10.0.0.9/x/track1")),
            "RTSP://10.0.0.9/x/track1"
        );
    }

    #[test]
    fn interleaved_channels() {
        assert_eq!(
            interleaved_channel("RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=1"),
            Some(2)
        );
        assert_eq!(
            interleaved_channel("RTP/AVP;unicast;client_port=5000-5001"),
            None
        );
    }
}
