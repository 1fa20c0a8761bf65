//! The HTTP endpoint of the metrics: `GET /metrics` (the exposition), `GET /` (one line pointing
//! there), 404 for anything else.
//!
//! axum routes, served by [`crate::http_server`]'s accept loop (header-read deadline, connection
//! life and count capped: [`Limits`]), the one `camscan serve` uses too.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::{DEFAULT_PORT, Metrics};
pub use crate::http_server::Limits;

/// The Content-Type of the OpenMetrics exposition (served when the scraper's `Accept` names it,
/// as Prometheus's does).
pub const CONTENT_TYPE_OPENMETRICS: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The Content-Type of the classic text exposition (served to everyone else).
pub const CONTENT_TYPE_CLASSIC: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A bound metrics endpoint, not serving yet: bind first (so a taken or forbidden address is an
/// error before the watch starts), then [`MetricsServer::run`].
pub struct MetricsServer {
    listener: TcpListener,
    limits: Limits,
}

impl MetricsServer {
    /// Listen on `addr`. The error names the address.
    pub async fn bind(addr: SocketAddr) -> io::Result<MetricsServer> {
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            io::Error::new(e.kind(), format!("metrics: cannot listen on {addr}: {e}"))
        })?;
        Ok(MetricsServer {
            listener,
            limits: Limits::default(),
        })
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The address it listens on (the port chosen when bound to port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve until `stop` turns true (or its sender goes away); then let requests under way finish
    /// within [`Limits::grace`] and return.
    pub async fn run(self, metrics: Metrics, stop: watch::Receiver<bool>) -> io::Result<()> {
        let MetricsServer { listener, limits } = self;
        tracing::info!(addr = %listener.local_addr()?, "metrics: serving /metrics");
        crate::http_server::serve(listener, router(metrics), limits, stop, "metrics").await
    }
}

/// Serve `metrics` at `http://addr/metrics` until `stop` turns true. A bind error is returned
/// at once (the caller says so in one line and exits 2).
pub async fn serve(
    addr: SocketAddr,
    metrics: Metrics,
    stop: watch::Receiver<bool>,
) -> io::Result<()> {
    MetricsServer::bind(addr).await?.run(metrics, stop).await
}

fn router(metrics: Metrics) -> Router {
    Router::new()
        .route("/metrics", get(exposition))
        .route("/", get(index))
        .fallback(not_found)
        .with_state(metrics)
}

async fn exposition(State(metrics): State<Metrics>, headers: HeaderMap) -> Response {
    render(&metrics, &headers)
}

/// The exposition `headers`' `Accept` asks for (OpenMetrics or the classic text), as an answer.
/// `camscan serve` answers `/metrics` with it too.
pub fn render(metrics: &Metrics, headers: &HeaderMap) -> Response {
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(accepts_openmetrics);
    let (content_type, body) = if openmetrics {
        (CONTENT_TYPE_OPENMETRICS, metrics.render())
    } else {
        (CONTENT_TYPE_CLASSIC, metrics.render_classic())
    };
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn index() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "camscan watch: Prometheus metrics at /metrics\n",
    )
        .into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found: the metrics are at /metrics\n",
    )
        .into_response()
}

/// Whether an `Accept` value names OpenMetrics text with a non-zero quality.
fn accepts_openmetrics(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim();
        media.eq_ignore_ascii_case("application/openmetrics-text")
            && !parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f64>().ok())
                    .is_some_and(|q| q <= 0.0)
            })
    })
}

/// A `--metrics` value: `PORT` or `:PORT` is loopback (`127.0.0.1:PORT`); `IP` is `IP:9750`;
/// `IP:PORT` and `[IPv6]:PORT` as given (`0.0.0.0:9750` listens on every interface: it has to be
/// written out); `localhost[:PORT]` is 127.0.0.1.
pub fn parse_bind(s: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    let s = s.trim();
    let port = |p: &str| -> Result<u16, String> {
        match p.parse::<u16>() {
            Ok(0) => Err(format!("`{s}`: port 0")),
            Ok(p) => Ok(p),
            Err(_) => Err(format!("`{s}`: `{p}` is not a port (1-65535)")),
        }
    };
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    if s.is_empty() {
        return Err("empty address: expected PORT, :PORT or IP:PORT".into());
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(SocketAddr::new(loopback, port(s)?));
    }
    if let Some(p) = s.strip_prefix(':')
        && !p.contains(':')
    {
        return Ok(SocketAddr::new(loopback, port(p)?));
    }
    if s.eq_ignore_ascii_case("localhost") {
        return Ok(SocketAddr::new(loopback, DEFAULT_PORT));
    }
    if let Some((host, p)) = s.rsplit_once(':')
        && host.eq_ignore_ascii_case("localhost")
    {
        return Ok(SocketAddr::new(loopback, port(p)?));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_PORT));
    }
    if let Ok(a) = s.parse::<SocketAddr>() {
        if a.port() == 0 {
            return Err(format!("`{s}`: port 0"));
        }
        return Ok(a);
    }
    Err(format!(
        "`{s}`: expected PORT, :PORT, IP, IP:PORT or [IPv6]:PORT"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation() {
        // Prometheus 2.42's scrape Accept.
        assert!(accepts_openmetrics(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        ));
        assert!(accepts_openmetrics("Application/OpenMetrics-Text"));
        assert!(!accepts_openmetrics("*/*"));
        assert!(!accepts_openmetrics("text/plain;version=0.0.4"));
        assert!(!accepts_openmetrics("application/openmetrics-text;q=0"));
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parse_bind_port_alone_is_loopback() {
        assert_eq!(parse_bind("9750"), Ok(addr("127.0.0.1:9750")));
        assert_eq!(parse_bind(":9750"), Ok(addr("127.0.0.1:9750")));
        assert_eq!(parse_bind(" 9751 "), Ok(addr("127.0.0.1:9751")));
        assert_eq!(parse_bind("localhost:9752"), Ok(addr("127.0.0.1:9752")));
        assert_eq!(parse_bind("localhost"), Ok(addr("127.0.0.1:9750")));
    }

    #[test]
    fn parse_bind_explicit_addresses_as_given() {
        assert_eq!(parse_bind("127.0.0.1:9750"), Ok(addr("127.0.0.1:9750")));
        assert_eq!(parse_bind("[::1]:9750"), Ok(addr("[::1]:9750")));
        assert_eq!(parse_bind("0.0.0.0:9750"), Ok(addr("0.0.0.0:9750")));
        assert_eq!(parse_bind("[::]:8080"), Ok(addr("[::]:8080")));
        assert_eq!(parse_bind("10.1.2.3"), Ok(addr("10.1.2.3:9750")));
        assert_eq!(parse_bind("::1"), Ok(addr("[::1]:9750")));
    }

    #[test]
    fn parse_bind_rejects() {
        for bad in [
            "",
            "0",
            ":0",
            "70000",
            ":abc",
            "host.example:9750",
            "127.0.0.1:",
            "127.0.0.1:0",
            "[::1]",
            "1.2.3.4:99999",
            "::1:9750x",
        ] {
            assert!(parse_bind(bad).is_err(), "{bad:?} accepted");
        }
    }
}
