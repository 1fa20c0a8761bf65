//! The HTTP endpoint of the metrics: `GET /metrics` (the exposition), `GET /` (one line pointing
//! there), 404 for anything else.
//!
//! axum routes; the accept loop is ours, over hyper's HTTP/1 connection, because `axum::serve`
//! sets no timer (so hyper's header-read deadline never fires) and takes every connection: a
//! client that opens connections and sends nothing, or sends a request a byte a minute, or never
//! reads the answer, would hold the server. Here each connection has a header-read deadline
//! (which also closes an idle keep-alive connection), a whole-life deadline, and there is a cap on
//! open connections, past which new ones are closed at once ([`Limits`]).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::Metrics;

/// The Content-Type of the OpenMetrics exposition (served when the scraper's `Accept` names it,
/// as Prometheus's does).
pub const CONTENT_TYPE_OPENMETRICS: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The Content-Type of the classic text exposition (served to everyone else).
pub const CONTENT_TYPE_CLASSIC: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How long the server waits for a slow or idle client.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From the moment a request is awaited (a new connection, or after an answer on a kept-alive
    /// one) to its whole header. 10 s: a scraper sends its request at once; Go's servers commonly
    /// use this ReadHeaderTimeout.
    pub header_read: Duration,
    /// A connection's whole life, however busy: a client that never reads the answer is let go.
    /// 60 s, a scrape interval's worth; a scraper just connects again.
    pub connection: Duration,
    /// Open connections at a time; more are closed at once. 32: a handful of scrapers and
    /// browsers, far below the fd limit.
    pub max_connections: usize,
    /// After a stop, how long requests under way have to finish.
    pub grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(10),
            connection: Duration::from_secs(60),
            max_connections: 32,
            grace: Duration::from_secs(2),
        }
    }
}

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
    pub async fn run(self, metrics: Metrics, mut stop: watch::Receiver<bool>) -> io::Result<()> {
        let MetricsServer { listener, limits } = self;
        let app = router(metrics);
        let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
        let mut conns = JoinSet::new();
        let stopped = |stop: &mut watch::Receiver<bool>| {
            let mut stop = stop.clone();
            async move {
                // A dropped sender is a stop too: the watch that owned it is gone.
                let _ = stop.wait_for(|s| *s).await;
            }
        };
        tracing::info!(addr = %listener.local_addr()?, "metrics: serving /metrics");
        loop {
            tokio::select! {
                _ = stopped(&mut stop) => break,
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
                accepted = listener.accept() => {
                    let (tcp, peer) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            // EMFILE and friends: wait a little rather than spin.
                            tracing::warn!("metrics: accept: {e}");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    };
                    let Ok(slot) = slots.clone().try_acquire_owned() else {
                        tracing::debug!(%peer, "metrics: too many connections, closing this one");
                        drop(tcp);
                        continue;
                    };
                    let service = TowerToHyperService::new(app.clone());
                    let stop = stopped(&mut stop);
                    conns.spawn(async move {
                        let _slot = slot;
                        let mut builder = hyper::server::conn::http1::Builder::new();
                        builder
                            .timer(TokioTimer::new())
                            .header_read_timeout(limits.header_read)
                            .max_buf_size(16 * 1024);
                        let conn = builder.serve_connection(TokioIo::new(tcp), service);
                        tokio::pin!(conn);
                        tokio::select! {
                            r = conn.as_mut() => {
                                if let Err(e) = r {
                                    tracing::debug!(%peer, "metrics: connection: {e}");
                                }
                                return;
                            }
                            _ = stop => {}
                            _ = tokio::time::sleep(limits.connection) => {
                                tracing::debug!(%peer, "metrics: connection open too long, closing");
                            }
                        }
                        conn.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(limits.grace, conn).await;
                    });
                }
            }
        }
        drop(listener);
        let drained = tokio::time::timeout(limits.grace + Duration::from_millis(500), async {
            while conns.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            conns.abort_all();
        }
        Ok(())
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
}
