//! `camscan serve`: the inventory over HTTP, for the other tools of a site and (later) a web page.
//!
//! A read-only REST API under `/api/v1` ([`api`]): devices, streams, events, scans and the diff of
//! two scans, in the store's own serde types (the shapes `camscan devices/show/history/scans/diff
//! -f json` print: one schema, not a second one); errors as RFC 9457 problem documents
//! ([`problem`]); the OpenAPI 3.1 document of exactly these routes (`openapi.json`, checked against
//! the router by a test); and the store's events live as Server-Sent Events, resumable with
//! `Last-Event-ID` across a disconnect or a restart of the server ([`sse`]). The web page at `/`
//! ([`web`]) is embedded in the binary and reads the same API.
//!
//! It sits above the scan pipeline (as `watch` does) and only reads the store; the store's
//! rusqlite calls run on the blocking pool ([`crate::notify::with_store`]), never on the async
//! workers. Connections go through [`crate::http_server`] (one task each, header deadline, caps);
//! each request has a deadline and a bounded body ([`api::RequestLimits`]).
//!
//! Security: the API is a map of the network, so until it has authentication (a token, TLS) it
//! only listens on loopback; any other `--listen` is refused before anything is bound.
//!
//! Not here yet (issue 18): the snapshot proxy, `POST /api/v1/scans`, tokens/TLS/CSRF, the
//! watcher in the same process, `/metrics` on this listener, `GET /api/v1/export/{format}`.

pub mod api;
pub mod problem;
pub mod sse;
pub mod web;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cli::ServeArgs;
use crate::error::exit;
use crate::http_server::{self, Limits};
use crate::inventory::CommandError;

/// The connection limits of `camscan serve`.
///
/// * header read 10 s: as the metrics endpoint (Go's common ReadHeaderTimeout);
/// * a connection's life 30 min: long enough that a Server-Sent Events reader is not cut every
///   minute, short enough that a client that never reads is let go; a cut event stream resumes
///   with `Last-Event-ID`, which browsers' `EventSource` sends by itself;
/// * 64 connections: a few browsers (6 connections each) and integrations;
/// * 5 s grace after SIGTERM/SIGINT for requests under way (event streams end at once).
pub const LIMITS: Limits = Limits {
    header_read: Duration::from_secs(10),
    connection: Duration::from_secs(30 * 60),
    max_connections: 64,
    grace: Duration::from_secs(5),
};

/// Why a `--listen` address is refused.
pub fn check_listen(addr: SocketAddr) -> Result<(), String> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    Err(format!(
        "refusing to listen on {addr}: the API would show a map of the network to anyone who can \
         reach it, and it has no authentication yet (a token for binds beyond loopback comes \
         later); listen on a loopback address such as 127.0.0.1:8750, or put an authenticating \
         reverse proxy in front of it"
    ))
}

/// Run `camscan serve` until SIGINT (exit 130) or SIGTERM (exit 143).
pub async fn run(args: &ServeArgs) -> Result<u8, CommandError> {
    check_listen(args.listen).map_err(CommandError::Usage)?;
    let store = crate::inventory::open_existing(&args.store)?;
    let signals = Signals::listen()?;
    let path = store.path().to_path_buf();
    let listener = TcpListener::bind(args.listen).await.map_err(|e| {
        CommandError::Usage(format!("serve: cannot listen on {}: {e}", args.listen))
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| CommandError::Usage(format!("serve: {e}")))?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let state = api::AppState::new(Arc::new(Mutex::new(store)), stop_rx.clone());
    let poller = tokio::spawn(sse::poll_newest(state.clone(), stop_rx.clone()));
    let code = Arc::new(Mutex::new(None));
    let signals = tokio::spawn(signals.wait(stop_tx, code.clone()));
    // One line on stderr (stdout is for results): where the API is.
    let _ = writeln!(
        std::io::stderr().lock(),
        "camscan serve: the inventory {} at http://{local}/api/v1/ (OpenAPI: /api/v1/openapi.json)",
        path.display()
    );
    let app = api::router(state);
    let served = http_server::serve(listener, app, LIMITS, stop_rx, "serve").await;
    poller.abort();
    signals.abort();
    served.map_err(|e| CommandError::Usage(format!("serve: {e}")))?;
    let code = *code.lock().unwrap_or_else(|e| e.into_inner());
    Ok(code.unwrap_or(exit::ERROR))
}

/// SIGINT and SIGTERM, listened for before the server starts (so a failure to is an error, not a
/// server that cannot be stopped cleanly).
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn listen() -> Result<Signals, CommandError> {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind| {
            signal(kind)
                .map_err(|e| CommandError::Usage(format!("serve: cannot listen for signals: {e}")))
        };
        Ok(Signals {
            term: listen(SignalKind::terminate())?,
            int: listen(SignalKind::interrupt())?,
        })
    }

    /// Wait for one, note the exit code it means, and stop the server.
    async fn wait(mut self, stop: watch::Sender<bool>, code: Arc<Mutex<Option<u8>>>) {
        let got = tokio::select! {
            _ = self.int.recv() => exit::SIGINT,
            _ = self.term.recv() => exit::SIGTERM,
        };
        *code.lock().unwrap_or_else(|e| e.into_inner()) = Some(got);
        let _ = stop.send(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_served() {
        for ok in ["127.0.0.1:8750", "127.0.0.201:0", "[::1]:8750"] {
            assert_eq!(check_listen(ok.parse().unwrap()), Ok(()), "{ok}");
        }
        for refused in ["0.0.0.0:8750", "192.168.1.10:8750", "[::]:8750"] {
            let e = check_listen(refused.parse().unwrap()).unwrap_err();
            assert!(e.contains("no authentication yet"), "{refused}: {e}");
        }
    }
}
