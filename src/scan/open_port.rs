//! One open port's analysis: detect what it speaks, then ask the analyser of that protocol, and
//! turn what it found into registry events. In: an address and the [`ScanContext`]; out: events.

use std::net::IpAddr;

use analyze::context::ScanContext;
use analyze::rtsp;
use analyze::webrtc::STUN_PORTS;
use detect::{self, Detection};
use error::AnalyzeError;
use model::{Failure, Protocol, Stage};
use net::{CONNECT_TIMEOUT, TIMEOUT};
use registry::Event;

/// Everything one open port yields.
/// `expected`: the promise of this port's maker clue to the address's RTSP walks, kept (dropped)
/// once detection says the port is no web server, or once its fingerprint is known.
pub async fn analyze_port(
    addr: std::net::SocketAddr,
    ctx: &ScanContext,
    expected: analyze::identity::Expected,
) -> Vec<Event> {
    let ip = addr.ip();
    let port = addr.port();
    let stun_first =
        port == analyze::webrtc::STUN_PORT || ctx.settings.get(&STUN_PORTS).contains(&port);
    let detected = {
        let _detect = timing::begin("detect");
        let detect_once = || {
            detect::detect(
                addr,
                ctx.settings.get(&CONNECT_TIMEOUT),
                ctx.detect_timeout(),
                stun_first,
                shown_media(addr, ctx),
            )
        };
        let mut detected = detect_once().await;
        // Refused, or hung up on every protocol asked (the connection met the used-up server's
        // backlog as it closed): one more look, the analysis slot lent meanwhile.
        if detected.as_ref().err().is_some_and(refused_after_open) || matches!(detected, Ok(None)) {
            tracing::debug!(%addr, "open a moment ago, refused or hung up now: looking once more");
            analyze::slot::idle(tokio::time::sleep(ONE_CONNECTION_WAIT)).await;
            detected = detect_once().await;
        }
        detected
    };
    if let Ok(Some(Detection::Rtsp { .. } | Detection::Rtmp)) = &detected {
        ctx.identities.saw_media(ip);
    }
    let expected = match &detected {
        Ok(Some(Detection::Http { .. })) => {
            expected.web();
            Some(expected)
        }
        _ => {
            expected.done(); // no fingerprint comes from here
            None
        }
    };
    match detected {
        Err(e) => detection_failed(ip, port, e),
        Ok(None) => {
            tracing::debug!(%addr, "open port speaks no protocol we detect");
            vec![]
        }
        Ok(Some(Detection::Http { reply, tls })) => {
            let _http = timing::begin("http");
            http_events(addr, &reply, tls, ctx, expected).await
        }
        Ok(Some(Detection::Stun { response })) => stun_events(addr, &response, ctx).await,
        Ok(Some(Detection::Greeting(g))) => vec![greeting_service(ip, port, g)],
        Ok(Some(Detection::Rtmp)) => rtmp_events(addr, ctx).await,
        Ok(Some(Detection::Rtsp { client, options })) => {
            rtsp_events(addr, client, &options, ctx).await
        }
    }
}

/// How long a port that refused detection right after the probe found it open is left before it
/// is asked once more: a server that takes one connection at a time and restarts after each
/// (ffmpeg's HTTP server with `-listen 1` in a loop, as people serve a USB camera with it) is used
/// up by the probe's connection and listens again about 0.3 s later (measured on this project's
/// machine, idle, ffmpeg 5.1); with tests and builds beside it, one second was once not enough
/// (`tests/streamer_manners.rs`), so two. Only a port refused right after it was open waits, or
/// one that hung up on RTSP, HTTP and RTMP alike: a connection that reached the used-up server's
/// backlog as it closed is accepted and then dropped (CI: detection over in 0.5 s, the port
/// reported with no service and no word).
const ONE_CONNECTION_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A connection refused (or reset) on a port the probe found open a moment ago.
fn refused_after_open(e: &error::NetError) -> bool {
    use std::io::ErrorKind::{ConnectionRefused, ConnectionReset};
    matches!(e, error::NetError::Connect { source, .. }
        if matches!(source.kind(), ConnectionRefused | ConnectionReset))
}

/// Whether the device at `addr` has shown it is alive and may serve media, so that its silent
/// RTSP port earns a media server's start patience (`detect::RTSP_PORTS`): the inventory knows an
/// RTSP stream on that port, another port answered (RTSP, RTMP, or a web server: CI's GStreamer
/// camera, busy with a shared media, had only its login-walled web admin to show), some evidence
/// named a camera maker (its MAC's block, a discovery protocol, another port's web page or RTSP
/// `Server`), or it announced streams. Asked once detection's deadline has passed, it first waits
/// for the device's other ports to say what they are (at most what is left of the patience). A
/// device whose every port stays silent has shown nothing.
async fn shown_media(addr: std::net::SocketAddr, ctx: &ScanContext) -> bool {
    let ip = addr.ip();
    if !ctx.known_rtsp_paths(addr).is_empty() {
        return true;
    }
    let wait = net::rtsp::start_patience(ctx.detect_timeout()).saturating_sub(ctx.detect_timeout());
    let clues = ctx.identities.settled(ip, addr.port(), wait).await;
    !clues.is_empty()
        || ctx.identities.has_media(ip)
        || ctx.identities.has_web(ip)
        || ctx.stream_hints.has(addr)
}

/// A STUN server found on a TCP port: its service there and on UDP, where WebRTC clients use it.
async fn stun_events(
    addr: std::net::SocketAddr,
    response: &proto::stun::StunResponse,
    ctx: &ScanContext,
) -> Vec<Event> {
    let (ip, port) = (addr.ip(), addr.port());
    let service = |transport, r: &proto::stun::StunResponse| stun_service(addr, transport, r);
    let mut events = vec![service(model::Transport::Tcp, response)];
    // STUN servers listen on UDP too, where WebRTC clients use them.
    let _stun = timing::begin("stun");
    match analyze::webrtc::binding_udp(addr, ctx.settings.get(&TIMEOUT)).await {
        Ok(r) => events.push(service(model::Transport::Udp, &r)),
        Err(e) => events.push(Event::Failure {
            ip,
            failure: Failure {
                stage: Stage::Analyze,
                port: Some(port),
                message: e.to_string(),
            },
        }),
    }
    events
}

/// An RTMP server: its service and the streams the walk of its applications found.
async fn rtmp_events(addr: std::net::SocketAddr, ctx: &ScanContext) -> Vec<Event> {
    let (ip, port) = (addr.ip(), addr.port());
    let f = {
        let _rtmp = timing::begin("rtmp");
        analyze::rtmp::analyze(
            addr,
            ctx.settings.get(&CONNECT_TIMEOUT),
            ctx.settings.get(&TIMEOUT),
            &ctx.hints,
        )
        .await
    };
    let mut service = model::Service {
        auth: model::AuthScheme::None,
        note: f.note,
        ..bare_service(port, Protocol::Rtmp)
    };
    if f.streams.is_empty() {
        service.auth = model::AuthScheme::Unknown;
    }
    let mut events = vec![Event::Service { ip, service }];
    events.extend(found_events(ip, port, f.streams, f.failures));
    events
}

/// An RTSP server: its service, logins, streams and talk-back, and its HTTP side's streams.
async fn rtsp_events(
    addr: std::net::SocketAddr,
    client: net::rtsp::RtspClient,
    options: &net::rtsp::Reply,
    ctx: &ScanContext,
) -> Vec<Event> {
    let (ip, port) = (addr.ip(), addr.port());
    // Some servers answer RTSP and HTTP on one port (VLC's HTTP output answers OPTIONS in
    // RTSP): where the RTSP side shows such a server, the port is asked in HTTP too, side by side
    // with the RTSP analysis (not after it: VLC's RTSP walk alone takes 1.4 s). Elsewhere a
    // request line of another protocol is not sent while the RTSP work goes on (an RTSP server
    // may take it badly: rtsp-streaming-server, from npm, exits on `GET / HTTP/1.0`), and after it
    // only when it found no stream and the port still answered.
    let rtsp_side = async {
        let _rtsp = timing::begin("rtsp");
        rtsp::analyze(client, options, ctx).await
    };
    let (f, http) = if shares_http(&options.head) {
        tokio::join!(rtsp_side, http_side(addr, ctx))
    } else {
        let f = rtsp_side.await;
        // The walk found no stream path and the port still answered.
        let found_none = f
            .service
            .path_walk
            .as_ref()
            .is_none_or(|w| matches!(w.stopped.as_str(), "exhausted" | "time-up" | ""));
        let http = if f.streams.is_empty() && found_none {
            http_side(addr, ctx).await
        } else {
            None
        };
        (f, http)
    };
    let mut events = vec![Event::Service {
        ip,
        service: f.service,
    }];
    events.extend(f.logins.map(|l| logins_event(ip, l)));
    events.extend(found_events(ip, port, f.streams, f.failures));
    if let Some(talkback) = f.talkback {
        events.push(Event::Capabilities {
            ip,
            capabilities: Box::new(model::Capabilities {
                talkback: Some(talkback),
                ..Default::default()
            }),
        });
    }
    events.extend(http.into_iter().flatten());
    events
}

/// RTSP servers known to answer HTTP on their RTSP port, by the start of the `Server` header of
/// their RTSP answers: VLC (its HTTP output's host answers OPTIONS in RTSP, `VLC/3.0.21
/// LibVLC/3.0.21`).
const SHARES_HTTP: &[&str] = &["VLC/"];

/// Whether an RTSP port's OPTIONS answer shows an HTTP server there: an HTTP status line, or the
/// `Server` of a server known to share its port ([`SHARES_HTTP`]).
fn shares_http(head: &proto::response::ResponseHead) -> bool {
    head.protocol == proto::response::HeadProtocol::Http
        || head.header("server").is_some_and(|s| {
            let s = s.trim_start().as_bytes();
            SHARES_HTTP
                .iter()
                .any(|p| s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
        })
}

/// An RTSP port's HTTP side: what it serves, kept only when it found a stream (the port is then
/// a web server too). An RTSP server's own RTSP-over-HTTP tunnel is no web service: GStreamer's
/// answers a plain `GET` with `503` (no length, connection left open), so a 503 ends it at once.
async fn http_side(addr: std::net::SocketAddr, ctx: &ScanContext) -> Option<Vec<Event>> {
    let reply = net::rtsp::http_get(
        addr,
        "/",
        ctx.settings.get(&CONNECT_TIMEOUT),
        ctx.settings.get(&TIMEOUT),
    )
    .await
    .ok()
    .filter(|r| r.head.protocol == proto::response::HeadProtocol::Http && r.head.status != 503)?;
    let http = {
        let _http = timing::begin("http");
        http_events(addr, &reply, None, ctx, None).await
    };
    if http.iter().any(|e| matches!(e, Event::Stream { .. })) {
        Some(http)
    } else {
        tracing::debug!(%addr, status = reply.head.status, "RTSP port's HTTP side serves no stream");
        None
    }
}

/// A port whose detection failed: the failure, and for a TLS port that showed its certificate
/// before its handshake failed, an HTTPS service with that certificate (audit judges it).
fn detection_failed(ip: IpAddr, port: u16, e: error::NetError) -> Vec<Event> {
    let mut events = Vec::new();
    if let error::NetError::Tls {
        certificate: Some(c),
        reason,
        ..
    } = &e
    {
        let service = model::Service {
            tls: Some(format!("handshake failed: {reason}")),
            certificate: Some(c.clone()),
            ..bare_service(port, Protocol::Http)
        };
        events.push(Event::Service { ip, service });
    }
    events.push(Event::Failure {
        ip,
        failure: Failure {
            stage: Stage::Detect,
            port: Some(port),
            message: e.to_string(),
        },
    });
    events
}

/// A service of `protocol` on `port` with nothing known of it yet.
fn bare_service(port: u16, protocol: Protocol) -> model::Service {
    model::Service {
        port,
        transport: model::Transport::Tcp,
        protocol,
        server: None,
        auth: model::AuthScheme::Unknown,
        realm: None,
        methods: Vec::new(),
        title: None,
        product: None,
        tls: None,
        note: None,
        offered: Vec::new(),
        certificate: None,
        tls_legacy: None,
        path_walk: None,
    }
}

/// A Telnet, FTP or SSH server that greeted: its service, what it said as its `server`.
fn greeting_service(ip: IpAddr, port: u16, g: proto::greeting::Greeting) -> Event {
    use proto::greeting::GreetingProtocol;
    let protocol = match g.protocol {
        GreetingProtocol::Telnet => Protocol::Telnet,
        GreetingProtocol::Ftp => Protocol::Ftp,
        GreetingProtocol::Ssh => Protocol::Ssh,
    };
    Event::Service {
        ip,
        service: model::Service {
            server: Some(g.text),
            ..bare_service(port, protocol)
        },
    }
}

/// An HTTP port: its service, and the media it serves.
async fn http_events(
    addr: std::net::SocketAddr,
    reply: &net::rtsp::Reply,
    tls: Option<net::tls::TlsInfo>,
    ctx: &ScanContext,
    expected: Option<analyze::identity::Expected>,
) -> Vec<Event> {
    let (ip, port) = (addr.ip(), addr.port());
    let https = tls.is_some();
    let mut hs = analyze::http::HttpSettings::for_port(ctx, addr, https);
    if let Some(expected) = expected {
        // The RTSP walks of this address wait (a little) for the maker this port's fingerprint
        // names (an RTSP port's own HTTP side promises nothing: that walk is its neighbour).
        hs.clues = Some(analyze::identity::FingerprintClue {
            board: ctx.identities.clone(),
            expected: std::sync::Arc::new(std::sync::Mutex::new(Some(expected))),
            certificate: tls
                .as_ref()
                .and_then(|t| t.certificate.as_ref())
                .map(|c| c.subject.clone()),
        });
    }
    // Boxed: the HTTP analysis is a large future (many paths, each with its media readers), and
    // inline in every port task it overflowed a worker thread's stack in debug builds.
    let f = Box::pin(analyze::http::analyze(addr, reply, &hs)).await;
    let mut service = detect::head::service(port, Protocol::Http, &reply.head);
    service.tls = tls.as_ref().map(|t| t.summary.clone());
    service.certificate = tls.as_ref().and_then(|t| t.certificate.clone());
    service.title = f.title.clone();
    service.note = f.note.clone();
    let mut events = Vec::new();
    if let Some(fp) = &f.fingerprint {
        use detect::fingerprint::{CLAIM_CONFIDENCE, Kind};
        let claimed = fp.confidence >= CLAIM_CONFIDENCE && fp.kind != Kind::Generic;
        if claimed {
            let vendor = fp.vendor.map(|v| v.display_name().to_string());
            service.product = Some(product_name(vendor.as_deref(), fp));
            events.push(Event::Fingerprint {
                ip,
                port,
                vendor,
                model: fp.product.clone(),
                is_camera: fp.kind.is_video(),
                evidence: fp.evidence.clone(),
            });
        }
    }
    events.insert(0, Event::Service { ip, service });
    // A WebRTC gateway API or a WHEP endpoint makes the port a `webrtc` service too.
    let whep = f.streams.iter().any(|st| st.protocol == Protocol::Webrtc);
    let webrtc_product = f
        .webrtc_gateway
        .or_else(|| whep.then(|| "WHEP endpoint".to_string()));
    if let Some(product) = webrtc_product {
        let mut service = detect::head::service(port, Protocol::Webrtc, &reply.head);
        service.product = Some(product);
        service.tls = tls.map(|t| t.summary);
        events.push(Event::Service { ip, service });
    }
    let scheme = if https { "https" } else { "http" };
    let mut offered = proto::auth::offered_logins(reply.head.headers_named("www-authenticate"));
    if let Some(used) = &f.login_scheme
        && !offered.contains(used)
    {
        offered.push(used.clone());
    }
    if !offered.is_empty() {
        let logins = model::capabilities::LoginSchemes {
            service: format!("{scheme}://{addr}"),
            offered,
            used: f.login_scheme.clone(),
        };
        events.push(logins_event(ip, logins));
    }
    if let Some((username, credential_entry)) = f.login.clone() {
        events.push(Event::Login {
            ip,
            login: model::ServiceLogin {
                service: format!("{scheme}://{addr}"),
                what: "web admin".into(),
                username,
                credential_entry,
            },
        });
    }
    if !f.nvr_channels.is_empty() {
        events.push(Event::NvrChannels {
            ip,
            channels: f.nvr_channels,
        });
    }
    events.extend(found_events(ip, port, f.streams, f.failures));
    events
}

/// The login schemes one service offered, for the device's capability sheet.
pub(crate) fn logins_event(ip: IpAddr, logins: model::capabilities::LoginSchemes) -> Event {
    Event::Capabilities {
        ip,
        capabilities: Box::new(model::Capabilities {
            logins: vec![logins],
            ..Default::default()
        }),
    }
}

/// A `webrtc` service for a STUN server's answer on `addr` over `transport`.
fn stun_service(
    addr: std::net::SocketAddr,
    transport: model::Transport,
    r: &proto::stun::StunResponse,
) -> Event {
    Event::Service {
        ip: addr.ip(),
        service: model::Service {
            port: addr.port(),
            transport,
            protocol: Protocol::Webrtc,
            server: r.software.clone(),
            auth: model::AuthScheme::None,
            realm: None,
            methods: Vec::new(),
            title: None,
            product: Some(analyze::webrtc::describe(r)),
            tls: None,
            note: None,
            offered: Vec::new(),
            certificate: None,
            tls_legacy: None,
            path_walk: None,
        },
    }
}

/// `--stun-ports` over UDP to one host (one with an open TCP port): a Binding to each port at
/// once. Silence and ICMP port-unreachable are the normal "nothing there"; anything else that
/// fails is recorded.
pub async fn udp_stun_events(ip: IpAddr, ctx: &ScanContext) -> Vec<Event> {
    let ports = ctx.settings.get(&STUN_PORTS);
    let asks = ports.iter().map(|&port| async move {
        let addr = std::net::SocketAddr::new(ip, port);
        match analyze::webrtc::binding_udp(addr, ctx.settings.get(&TIMEOUT)).await {
            Ok(r) => Some(stun_service(addr, model::Transport::Udp, &r)),
            Err(error::NetError::Timeout { .. } | error::NetError::Connect { .. }) => None,
            Err(e) => Some(Event::Failure {
                ip,
                failure: Failure {
                    stage: Stage::Analyze,
                    port: Some(port),
                    message: e.to_string(),
                },
            }),
        }
    });
    futures::future::join_all(asks)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// `Hikvision DS-2CD2143G2-I (camera-ui)`, `Janus WebRTC Server (video-server)`: the product, with the
/// vendor in front unless the product already names it, and the kind.
fn product_name(vendor: Option<&str>, fp: &detect::fingerprint::Fingerprint) -> String {
    let name = match (vendor, fp.product.as_deref()) {
        (Some(v), Some(p)) if p.to_ascii_lowercase().contains(&v.to_ascii_lowercase()) => p.into(),
        (Some(v), Some(p)) => format!("{v} {p}"),
        (Some(v), None) => v.into(),
        (None, Some(p)) => p.into(),
        (None, None) => "web server".into(),
    };
    format!("{name} ({})", fp.kind.as_str())
}

/// The streams one port's analysis found and the failures it met, as registry events.
fn found_events(
    ip: IpAddr,
    port: u16,
    streams: Vec<model::Stream>,
    failures: Vec<AnalyzeError>,
) -> impl Iterator<Item = Event> {
    let streams = streams.into_iter().map(move |stream| Event::Stream {
        ip,
        stream: Box::new(stream),
    });
    let failures = failures.into_iter().map(move |e| Event::Failure {
        ip,
        failure: e.failure(Stage::Analyze, Some(port)),
    });
    streams.chain(failures)
}
