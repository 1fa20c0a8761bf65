//! One light health check of a known stream, between scans: how far it got ([`CheckLayer`]).
//!
//! Each starts with a bare TCP connect, which tells an unreachable host (no answer, ICMP
//! unreachable) from a closed port (RST) before any protocol is spoken. Then, per protocol:
//! - RTSP: one retina session, DESCRIBE then SETUP + PLAY until media has flowed for a short
//!   window ([`WINDOW`]: enough frames for a frame rate, not a long measurement), on the same
//!   code path as the scan's PLAY check (`analyze::verify`), so busy answers (503 while a shared
//!   media is torn down) are waited out the same way and are no failure.
//! - HLS, DASH, MJPEG, JPEG, FLV, TS over HTTP: a GET of the stream's URL, whose status and first
//!   bytes must arrive (the manifest, the first part).
//! - RTMP: handshake, connect, play until metadata or the first media message.
//! - WHEP (WebRTC): the endpoint's server still answers HTTP (no session is opened).
//!
//! A check that failed says at which layer and why; a stream that runs at less than half its
//! known frame rate fails at [`CheckLayer::Rate`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use retina::client::SessionGroup;

use analyze::verify::{self, Check};
use credentials::Credential;
use net::ConnectOutcome;
use store::{CheckLayer, CheckResult, CheckTarget};

/// Media measured per RTSP check once it flows: 2 s gives a rate from RTP timestamps to within
/// 2% on a 10 fps stream (see `analyze::verify`), and keeps a round of 100 streams light.
pub const WINDOW: Duration = Duration::from_secs(2);

/// Deadlines of one check.
#[derive(Debug, Clone, Copy)]
pub struct CheckDeadlines {
    pub connect: Duration,
    /// Each step (DESCRIBE, SETUP, PLAY, first packet; an HTTP answer).
    pub step: Duration,
}

/// Check `target` once. RTSP sessions are tracked in `group` (the device's), so the caller can
/// wait for their TEARDOWN before the next check on the device.
pub async fn check(
    target: &CheckTarget,
    d: CheckDeadlines,
    group: &Arc<SessionGroup>,
) -> CheckResult {
    let Ok(url) = url::Url::parse(&target.url) else {
        return CheckResult::failed(CheckLayer::Describe, format!("bad URL {}", target.url));
    };
    let Some(addr) = socket_addr(&url) else {
        return CheckResult::failed(CheckLayer::Host, format!("no address in {}", target.url));
    };
    match net::connect(addr, d.connect).await {
        ConnectOutcome::Open(_) => {}
        ConnectOutcome::Refused => {
            return CheckResult::failed(CheckLayer::Port, format!("{addr}: connection refused"));
        }
        ConnectOutcome::Timeout => {
            return CheckResult::failed(
                CheckLayer::Host,
                format!("{addr}: no answer within {:?}", d.connect),
            );
        }
        ConnectOutcome::Unreachable(e)
        | ConnectOutcome::Transient(e)
        | ConnectOutcome::Failed(e) => {
            return CheckResult::failed(CheckLayer::Host, format!("{addr}: {e}"));
        }
    }
    let result = match url.scheme() {
        "rtsp" => rtsp(target, d, group).await,
        "rtmp" => rtmp(&url, addr, d).await,
        "http" | "https" if target.protocol == "webrtc" => whep(&url, addr, d).await,
        "http" | "https" => http(&url, addr, d).await,
        other => CheckResult::failed(CheckLayer::Describe, format!("no check for {other}://")),
    };
    rate(result, target.fps)
}

/// The address a stream URL names (IP literals only: the store keeps addresses).
fn socket_addr(url: &url::Url) -> Option<SocketAddr> {
    let host = url.host_str()?.trim_matches(['[', ']']);
    let ip: IpAddr = host.parse().ok()?;
    Some(SocketAddr::new(
        ip,
        url.port_or_known_default().or(match url.scheme() {
            "rtsp" => Some(554),
            "rtmp" => Some(1935),
            _ => None,
        })?,
    ))
}

/// A check that got media at less than half the known rate fails at [`CheckLayer::Rate`].
fn rate(mut r: CheckResult, known: Option<f64>) -> CheckResult {
    if let (true, Some(fps), Some(known)) = (r.ok(), r.fps, known)
        && fps < known / 2.0
    {
        r.layer = CheckLayer::Rate;
        r.error = Some(format!("{fps} fps, known {known} fps"));
    }
    r
}

async fn rtsp(target: &CheckTarget, d: CheckDeadlines, group: &Arc<SessionGroup>) -> CheckResult {
    let cred: Option<&Credential> = target.credential.as_ref();
    // A watch round's checks are paced by its schedule, not by a scan's media budget.
    let unlimited = net::media_budget::MediaBudget::default();
    let check = Check {
        url: &target.url,
        cred,
        timeout: d.step,
        window: WINDOW,
        play: true,
        group: Some(group.clone()),
        media: &unlimited,
    };
    let mut described = false;
    let started = Instant::now();
    let mut on_described = |_: &retina::client::Session<retina::client::Described>| {
        described = true;
    };
    match verify::session(&check, &mut on_described).await {
        Ok(Some(m)) => CheckResult {
            layer: CheckLayer::Ok,
            error: None,
            // The window starts with the first packet: what came before it is the latency.
            first_packet_ms: Some(
                (started.elapsed().as_millis() as u64).saturating_sub(m.duration_ms),
            ),
            fps: m.fps,
            bitrate_kbps: m.bitrate_kbps,
        },
        Ok(None) => CheckResult {
            layer: CheckLayer::Ok,
            error: None,
            first_packet_ms: None,
            fps: None,
            bitrate_kbps: None,
        },
        Err(f) if described => CheckResult::failed(CheckLayer::Media, f.message),
        Err(f) => match f.status {
            Some(401 | 403) if cred.is_some() => CheckResult::failed(CheckLayer::Auth, f.message),
            _ => CheckResult::failed(CheckLayer::Describe, f.message),
        },
    }
}

async fn http(url: &url::Url, addr: SocketAddr, d: CheckDeadlines) -> CheckResult {
    let mut path = url.path().to_string();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    let started = Instant::now();
    let tls = url.scheme() == "https";
    match net::http::open_get(addr, &path, tls, d.connect, d.step).await {
        Err(e) => CheckResult::failed(CheckLayer::Describe, e.to_string()),
        Ok(r) if !(200..300).contains(&r.head.status) => CheckResult::failed(
            CheckLayer::Describe,
            format!("GET {path}: status {}", r.head.status),
        ),
        Ok(mut r) => {
            let deadline = tokio::time::Instant::now() + d.step;
            while r.body.is_empty() {
                match r.read_more(deadline).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => return CheckResult::failed(CheckLayer::Media, e.to_string()),
                }
            }
            if r.body.is_empty() {
                return CheckResult::failed(CheckLayer::Media, format!("GET {path}: empty body"));
            }
            CheckResult {
                layer: CheckLayer::Ok,
                error: None,
                first_packet_ms: Some(started.elapsed().as_millis() as u64),
                fps: None,
                bitrate_kbps: None,
            }
        }
    }
}

/// A WHEP endpoint: its server still answers HTTP there (a GET, which WHEP servers refuse with a
/// 4xx); a 5xx or no answer fails. A session is not opened: it would start media on the device.
async fn whep(url: &url::Url, addr: SocketAddr, d: CheckDeadlines) -> CheckResult {
    let path = url.path();
    let started = Instant::now();
    match net::http::open_get(addr, path, url.scheme() == "https", d.connect, d.step).await {
        Err(e) => CheckResult::failed(CheckLayer::Describe, e.to_string()),
        Ok(r) if r.head.status >= 500 => CheckResult::failed(
            CheckLayer::Describe,
            format!("GET {path}: status {}", r.head.status),
        ),
        Ok(_) => CheckResult {
            layer: CheckLayer::Ok,
            error: None,
            first_packet_ms: Some(started.elapsed().as_millis() as u64),
            fps: None,
            bitrate_kbps: None,
        },
    }
}

async fn rtmp(url: &url::Url, addr: SocketAddr, d: CheckDeadlines) -> CheckResult {
    let mut parts = url.path().trim_start_matches('/').splitn(2, '/');
    let (Some(app), Some(name)) = (parts.next(), parts.next()) else {
        return CheckResult::failed(CheckLayer::Describe, format!("no app/name in {url}"));
    };
    let started = Instant::now();
    match analyze::rtmp::play_check(addr, app, name, d.connect, d.step).await {
        Ok(true) => CheckResult {
            layer: CheckLayer::Ok,
            error: None,
            first_packet_ms: Some(started.elapsed().as_millis() as u64),
            fps: None,
            bitrate_kbps: None,
        },
        Ok(false) => CheckResult::failed(
            CheckLayer::Media,
            format!("RTMP play {app}/{name}: no metadata or media"),
        ),
        Err(e) => CheckResult::failed(CheckLayer::Describe, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(fps: Option<f64>) -> CheckResult {
        CheckResult {
            layer: CheckLayer::Ok,
            error: None,
            first_packet_ms: Some(10),
            fps,
            bitrate_kbps: None,
        }
    }

    #[test]
    fn half_the_known_rate_is_a_failure() {
        assert_eq!(rate(ok(Some(12.0)), Some(25.0)).layer, CheckLayer::Rate);
        assert_eq!(rate(ok(Some(13.0)), Some(25.0)).layer, CheckLayer::Ok);
        assert_eq!(rate(ok(None), Some(25.0)).layer, CheckLayer::Ok);
        assert_eq!(rate(ok(Some(1.0)), None).layer, CheckLayer::Ok);
    }

    #[test]
    fn addresses_of_stream_urls() {
        let a = |u: &str| socket_addr(&url::Url::parse(u).unwrap());
        assert_eq!(
            a("rtsp://10.0.0.2/s"),
            Some("10.0.0.2:554".parse().unwrap())
        );
        assert_eq!(
            a("rtsp://10.0.0.2:8554/s"),
            Some("10.0.0.2:8554".parse().unwrap())
        );
        assert_eq!(
            a("rtmp://10.0.0.2/live/x"),
            Some("10.0.0.2:1935".parse().unwrap())
        );
        assert_eq!(a("http://[::1]/x.m3u8"), Some("[::1]:80".parse().unwrap()));
        assert_eq!(a("rtsp://cam.local/s"), None);
    }
}
