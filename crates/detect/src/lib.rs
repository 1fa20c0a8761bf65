//! Which protocol speaks on an open port. Each detector is the bytes to send plus a pure classifier of
//! the reply; this module runs them. An RTSP `OPTIONS` goes first: an RTSP server answers with an
//! `RTSP/1.0` status line. Anything else that answered (an `HTTP/1.x` error, an HTTP/0.9-style bare
//! body as CPython's http.server sends, a hang-up) gets a real `GET /` on a fresh connection, so a web
//! server is described by its own answer. A peer that stays silent is not asked twice. Port 1935 gets
//! the RTMP handshake first; any other port that hangs up on both RTSP and HTTP gets it last. Ports
//! whose servers speak first (Telnet, FTP, SSH: [`GREETING_PORTS`]) are listened to first. What an
//! HTTP port serves (HLS, DASH, MJPEG, JPEG) is `analyze::http`'s work.

pub mod fingerprint;
pub mod head;

use std::net::SocketAddr;
use std::time::Duration;

use error::NetError;
use input::setting::Repeat;
use net::rtsp::{Reply, RtspClient, http_get, url};
use proto::response::HeadProtocol;

/// What answered on a port.
pub enum Detection {
    /// An RTSP server; the connection is kept for analysis.
    Rtsp { client: RtspClient, options: Reply },
    /// A web server; `reply` is its answer to `GET /`; `tls` when it spoke HTTPS.
    Http {
        reply: Reply,
        tls: Option<net::tls::TlsInfo>,
    },
    /// An RTMP server: it completed the handshake.
    Rtmp,
    /// A STUN/TURN server: it answered a Binding request over TCP.
    Stun { response: proto::stun::StunResponse },
    /// A server that spoke first: Telnet, FTP or SSH (administration, not streams).
    Greeting(proto::greeting::Greeting),
}

/// Ports whose servers speak first, read before anything is sent: FTP 21, SSH 22, Telnet 23 (the
/// ports `camscan audit` adds) and their usual alternates 2121, 2222, 2323.
pub const GREETING_PORTS: &[u16] = &[21, 22, 23, 2121, 2222, 2323];

/// The RTMP port: the handshake is tried there first (an RTMP server hangs up on text).
pub const RTMP_PORT: u16 = 1935;

/// How long an open port has to answer the first probe of protocol detection (RTSP OPTIONS, HTTP
/// GET, the RTMP/TLS handshakes, a STUN Binding): Cameradar and RTSPBrute give an RTSP attempt 2 s
/// (`docs/design/protocols.md`, "Timeouts other tools use"). A port that accepts and stays silent
/// (a tarpit) costs this, not the longer `--timeout` that analysis requests get. Never more than
/// `--timeout`.
pub const DEFAULT_DETECT_TIMEOUT: Duration = Duration::from_secs(2);

/// `--detect-timeout`: how long an open port has to answer detection's first probe. Read with
/// [`detect_timeout`], which keeps it within `--timeout`.
pub static DETECT_TIMEOUT: input::setting::Setting<Duration> = input::setting::Setting {
    key: "detect_timeout",
    flag: "--detect-timeout",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_DETECT_TIMEOUT",
    value_name: "DURATION",
    help: "How long an open port has to answer protocol detection's first probe; a silent \
               port (a tarpit) costs this, three times this (at most 10s) on RTSP's ports 554, \
               8554, 10554 and 5554 of a device that has shown it is alive (another port \
               answered, discovery named it, the inventory knows it). At most --timeout \
               [default: 2s]",
    default: DEFAULT_DETECT_TIMEOUT,
    choices: None,
    parse: input::setting::duration,
};

/// `detect`: detect and analyse what speaks on each open port (`--no-detect`, `detect: false`:
/// open ports only, as a plain connect scan finds them; discovery still runs).
pub static DETECT: input::setting::Setting<bool> = input::setting::Setting {
    key: "detect",
    flag: "--no-detect",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_NO_DETECT",
    value_name: input::setting::SWITCH_OFF,
    help: "Only find open ports: no protocol detection or analysis (a plain connect scan; \
           discovery still runs)",
    default: true,
    choices: None,
    parse: input::setting::switch,
};

/// The detection deadline of `settings`: `--detect-timeout`, never more than `--timeout`.
pub fn detect_timeout(settings: &input::setting::Settings) -> Duration {
    settings
        .get(&DETECT_TIMEOUT)
        .min(settings.get(&net::TIMEOUT))
}
/// RTSP's own ports (the default list's: 554, registered, and the 8554, 10554 and 5554 servers and
/// cameras use): a peer there that accepted the connection but has not answered OPTIONS within
/// the detection deadline is given the patience a media server needs
/// ([`net::rtsp::start_patience`]) before it is called silent, when its device has shown
/// it is alive and may serve media (detection's caller says: `earned`). GStreamer answers no
/// client while it prepares or tears down a media (a shared 1080p x264 stream letting go of its
/// last client on a loaded machine kept OPTIONS unanswered past the 2 s deadline, and past 3 s,
/// held to a quarter of a CPU). A silent port on a device with no such sign costs one deadline.
pub const RTSP_PORTS: &[u16] = &[554, 8554, 10554, 5554];

/// Ports where HTTPS is tried first: 443, 8443 (camera and NVR web UIs), 7443 (UniFi Protect).
pub const TLS_PORTS: &[u16] = &[443, 8443, 7443];

/// Connect to `addr` and find out what it speaks. `Ok(None)`: something answered that we do not
/// recognise. A peer that accepts and then says nothing within `timeout` is an error. `stun_first`:
/// a STUN Binding is tried before anything else (3478 and `--stun-ports`). `earned`: asked only
/// when an RTSP port ([`RTSP_PORTS`]) has not answered OPTIONS within `timeout`, whether its
/// device has shown it is alive (then its answer may take the start patience).
pub async fn detect(
    addr: SocketAddr,
    connect_timeout: Duration,
    timeout: Duration,
    stun_first: bool,
    earned: impl std::future::Future<Output = bool>,
) -> Result<Option<Detection>, NetError> {
    // HTTPS ports: TLS first. A handshake that fails is remembered: if nothing else answers, it is
    // the port's story (old firmware that speaks only TLS 1.0).
    let mut tls_error = None;
    if TLS_PORTS.contains(&addr.port()) {
        match net::http::open_get(addr, "/", true, connect_timeout, timeout).await {
            Ok(got) => {
                let tls = got.tls.clone();
                let reply = Reply {
                    head: got.head,
                    body: got.body,
                };
                return Ok(Some(Detection::Http { reply, tls }));
            }
            // It showed a certificate: a TLS port whose handshake camscan could not finish (a key
            // too weak to verify, an old protocol); its plain-HTTP answer would only be a 400.
            Err(
                e @ NetError::Tls {
                    certificate: Some(_),
                    ..
                },
            ) => return Err(e),
            Err(e @ NetError::Tls { .. }) => tls_error = Some(e),
            Err(_) => {}
        }
    }
    if GREETING_PORTS.contains(&addr.port())
        && let Some(g) = net::read_greeting(addr, connect_timeout, timeout).await?
    {
        return Ok(Some(Detection::Greeting(g)));
    }
    if stun_first && let Ok(response) = net::stun::binding_tcp(addr, connect_timeout, timeout).await
    {
        return Ok(Some(Detection::Stun { response }));
    }
    if addr.port() == RTMP_PORT
        && net::rtmp::handshake(addr, connect_timeout, timeout)
            .await
            .is_ok()
    {
        return Ok(Some(Detection::Rtmp));
    }
    let mut client = RtspClient::connect(addr, connect_timeout, timeout).await?;
    // What the port said to OPTIONS when it was no RTSP or HTTP status line: if nothing below
    // recognises the port either, this is its story (garbage, or a protocol we do not speak).
    let mut malformed = None;
    let asked = if RTSP_PORTS.contains(&addr.port()) {
        let patience = net::rtsp::start_patience(timeout);
        client
            .request_patient_if("OPTIONS", &url(addr, "/"), &[], patience, earned)
            .await
    } else {
        client.request("OPTIONS", &url(addr, "/"), &[]).await
    };
    let options = match asked {
        Ok(r) if r.head.protocol == HeadProtocol::Rtsp => {
            return Ok(Some(Detection::Rtsp { client, options: r }));
        }
        Ok(r) => Some(r),
        Err(e @ NetError::Malformed { .. }) => {
            malformed = Some(e);
            None
        }
        // Another protocol, or one that hangs up on RTSP: ask it in HTTP below.
        Err(NetError::Closed { .. } | NetError::Io { .. }) => None,
        // Silent (a tarpit, or a protocol that waits for its own greeting): recorded on the device as
        // an error, and not worth a second timeout.
        Err(e) => return Err(e),
    };
    drop(client);
    match http_get(addr, "/", connect_timeout, timeout).await {
        Ok(reply) if reply.head.protocol == HeadProtocol::Http => {
            Ok(Some(Detection::Http { reply, tls: None }))
        }
        Ok(_) => Ok(options.map(|reply| Detection::Http { reply, tls: None })),
        // It answered OPTIONS in HTTP but not GET: describe it by the OPTIONS answer.
        Err(_) if options.is_some() => {
            Ok(options.map(|reply| Detection::Http { reply, tls: None }))
        }
        // Hung up on both text protocols: perhaps a binary one that waits for its greeting.
        Err(_) if addr.port() != RTMP_PORT => {
            match net::rtmp::handshake(addr, connect_timeout, timeout).await {
                Ok(_) => Ok(Some(Detection::Rtmp)),
                Err(_) => unrecognised(tls_error, malformed),
            }
        }
        Err(_) => unrecognised(tls_error, malformed),
    }
}

/// Nothing recognised the port: the failed TLS handshake on an HTTPS port, else the bytes it answered
/// OPTIONS with (recorded on the device), else nothing to say (a peer that only hangs up).
fn unrecognised(
    tls_error: Option<NetError>,
    malformed: Option<NetError>,
) -> Result<Option<Detection>, NetError> {
    tls_error.or(malformed).map_or(Ok(None), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A peer that answers every request with bytes of no protocol, and one that hangs up at once.
    async fn peer(garbage: bool) -> SocketAddr {
        let l = tokio::net::TcpListener::bind("127.0.0.93:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    while garbage && matches!(s.read(&mut buf).await, Ok(n) if n > 0) {
                        let _ = s.write_all(&[0xff; 2048]).await;
                    }
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn garbage_is_an_error_and_a_hang_up_is_not() {
        let (ct, t) = (Duration::from_secs(1), Duration::from_secs(2));
        let e = detect(peer(true).await, ct, t, false, async { false })
            .await
            .err()
            .unwrap();
        assert!(matches!(e, NetError::Malformed { .. }), "{e}");
        assert!(
            e.to_string().contains("not an RTSP or HTTP status line"),
            "{e}"
        );
        assert!(matches!(
            detect(peer(false).await, ct, t, false, async { false }).await,
            Ok(None)
        ));
    }
}
