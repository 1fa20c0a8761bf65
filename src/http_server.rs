//! The accept loop of camscan's HTTP servers (`camscan watch --metrics`, `camscan serve`): axum
//! routes, served over hyper's HTTP/1 connection with limits `axum::serve` does not have.
//!
//! `axum::serve` sets no timer (so hyper's header-read deadline never fires) and takes every
//! connection: a client that opens connections and sends nothing, or sends a request a byte a
//! minute, or never reads the answer, would hold the server. Here each connection is one task with
//! a header-read deadline (which also closes an idle keep-alive connection), a cap on the bytes
//! buffered for a request head, and a whole-life deadline; there is a cap on open connections, past
//! which new ones are closed at once ([`Limits`]). A stop lets the requests under way finish
//! (within [`Limits::grace`]) and closes the rest.
//!
//! With a TLS acceptor ([`serve_tls`]) the handshake runs inside the connection's task, under the
//! header-read deadline, so a peer that opens a connection and never finishes its handshake holds
//! one connection slot for at most that long and never the accept loop. Each request carries the
//! peer's address as axum's `ConnectInfo<SocketAddr>` (the login's failure count is per peer).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// The most a request head (request line and headers) may take: hyper's read buffer. 16 KiB:
/// nginx's default `large_client_header_buffers` is 4 x 8 KiB, and no client of these servers
/// sends cookies or long tokens; a longer head is answered 431 and the connection closed.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// How long a server waits for a slow or idle client, and how many it serves at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From the moment a request is awaited (a new connection, or after an answer on a kept-alive
    /// one) to its whole header. 10 s: a scraper or a browser sends its request at once; Go's
    /// servers commonly use this ReadHeaderTimeout.
    pub header_read: Duration,
    /// A connection's whole life, however busy: a client that never reads the answer is let go.
    pub connection: Duration,
    /// Open connections at a time; more are closed at once.
    pub max_connections: usize,
    /// After a stop, how long requests under way have to finish.
    pub grace: Duration,
}

impl Default for Limits {
    /// The metrics endpoint's: a 60 s connection life (a scrape interval's worth; a scraper just
    /// connects again) and 32 connections (a handful of scrapers and browsers, far below the fd
    /// limit).
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(10),
            connection: Duration::from_secs(60),
            max_connections: 32,
            grace: Duration::from_secs(2),
        }
    }
}

/// Serve `app` on `listener` until `stop` turns true (or its sender goes away); then let
/// requests under way finish within [`Limits::grace`] and return. `name` prefixes the logs.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stop: watch::Receiver<bool>,
    name: &'static str,
) -> io::Result<()> {
    serve_tls(listener, app, limits, stop, name, None).await
}

/// [`serve`], over TLS when `tls` is given.
pub async fn serve_tls(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    name: &'static str,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut conns = JoinSet::new();
    let stopped = |stop: &mut watch::Receiver<bool>| {
        let mut stop = stop.clone();
        async move {
            // A dropped sender is a stop too: whoever owned it is gone.
            let _ = stop.wait_for(|s| *s).await;
        }
    };
    loop {
        tokio::select! {
            _ = stopped(&mut stop) => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE and friends: wait a little rather than spin.
                        tracing::warn!("{name}: accept: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                // The permit is taken before the task is spawned (mini-redis `server.rs`).
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    tracing::debug!(%peer, "{name}: too many connections, closing this one");
                    drop(tcp);
                    continue;
                };
                let app = app.clone();
                let stop = stopped(&mut stop);
                let tls = tls.clone();
                let local = tcp.local_addr().ok();
                conns.spawn(async move {
                    let _slot = slot;
                    let Some(tls) = tls else {
                        return connection(tcp, (peer, local), app, limits, stop, name).await;
                    };
                    match tokio::time::timeout(limits.header_read, tls.accept(tcp)).await {
                        Ok(Ok(stream)) => connection(stream, (peer, local), app, limits, stop, name).await,
                        Ok(Err(e)) => tracing::debug!(%peer, "{name}: TLS handshake: {e}"),
                        Err(_) => tracing::debug!(
                            %peer,
                            "{name}: no TLS handshake within {} s, closing",
                            limits.header_read.as_secs()
                        ),
                    }
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

/// The address a request arrived on (the server's side of its connection), in each request's
/// extensions: the live preview's WebRTC answers offer a candidate on it.
#[derive(Debug, Clone, Copy)]
pub struct LocalAddr(pub SocketAddr);

/// One connection's HTTP/1 requests, until it closes, its life ends or the server stops.
async fn connection<I>(
    io: I,
    (peer, local): (SocketAddr, Option<SocketAddr>),
    app: Router,
    limits: Limits,
    stop: impl std::future::Future<Output = ()>,
    name: &'static str,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let inner = TowerToHyperService::new(app);
    let service = hyper::service::service_fn(move |mut req| {
        req.extensions_mut().insert(ConnectInfo(peer));
        if let Some(local) = local {
            req.extensions_mut().insert(LocalAddr(local));
        }
        inner.call(req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .max_buf_size(MAX_HEAD_BYTES);
    // An upgraded connection (a WebSocket) leaves this task: the handler that took it owns it,
    // under its own limits (the live preview's viewer caps), and it no longer counts here.
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, "{name}: connection: {e}");
            }
            return;
        }
        _ = stop => {}
        _ = tokio::time::sleep(limits.connection) => {
            tracing::debug!(%peer, "{name}: connection open too long, closing");
        }
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(limits.grace, conn).await;
}
