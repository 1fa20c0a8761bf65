//! `GET /api/v1/events/stream`: the store's events live, as Server-Sent Events (the WHATWG HTML
//! standard, "Server-sent events").
//!
//! Each event is one store event: `id:` is its id in the store's events table and `data:` the
//! same JSON object `GET /api/v1/events` lists. A client that reconnects with `Last-Event-ID` (as
//! browsers' `EventSource` does by itself) first gets, from the store, every event after that id,
//! then the live ones: nothing is lost across a disconnect or a restart of the server, as long as
//! `camscan prune` has not removed the events in between. Without `Last-Event-ID` the stream
//! starts with the next new event.
//!
//! The store is written by other processes (`camscan scan`, `camscan watch`), so new events are
//! found by polling: one task reads the newest event id every [`POLL`] while streams are open and
//! wakes them; each stream then reads what it has not sent, at most [`BATCH`] at a time. Streams
//! are capped ([`MAX_STREAMS`]; one more is answered 503 with `Retry-After`), keep-alive comments
//! go out every [`KEEP_ALIVE`] so proxies and clients see a live connection, and every stream ends
//! when the server stops.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::AppState;
use super::params::Params;
use super::problem::{Kind, Problem};
use store::StoreEvent;

/// How often the newest event id is read while streams are open. 500 ms: an event shows up on a
/// page within half a second, for one indexed `MAX(id)` query (microseconds) per tick.
pub const POLL: Duration = Duration::from_millis(500);
/// Open event streams at a time. 32: a few browsers and integrations; each open stream holds a
/// connection (of [`super::LIMITS`]' 64).
pub const MAX_STREAMS: usize = 32;
/// The interval of keep-alive comments. 15 s: the HTML standard suggests a comment "every 15
/// seconds or so" for proxies that drop idle connections.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Events read from the store at a time for one stream (a replay after a long absence comes in
/// batches of this size).
pub const BATCH: usize = 256;
/// The reconnection time the stream asks of clients (`retry:`), in line with `Retry-After: 5`.
pub const RETRY: Duration = Duration::from_secs(5);

/// The live side shared by the streams: the newest event id and the stream slots.
#[derive(Clone)]
pub struct Live {
    newest: Arc<watch::Sender<i64>>,
    slots: Arc<Semaphore>,
}

impl Live {
    pub fn new(max_streams: usize) -> Live {
        Live {
            newest: Arc::new(watch::channel(0).0),
            slots: Arc::new(Semaphore::new(max_streams.max(1))),
        }
    }
}

/// Read the newest event id every [`POLL`] while any stream is open, and wake the streams when
/// it changed. Ends when the server stops.
pub async fn poll_newest(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tick.tick() => {}
        }
        if state.live.newest.receiver_count() == 0 {
            continue;
        }
        match state.store.run(|s| s.last_event_id()).await {
            Ok(id) => {
                state.live.newest.send_if_modified(|n| {
                    let changed = *n != id;
                    *n = id;
                    changed
                });
            }
            Err(e) => tracing::warn!("serve: reading the newest event: {e}"),
        }
    }
}

/// `Last-Event-ID`: the id of the last event the client has (RFC-less but WHATWG-defined: the
/// value of the last `id:` field it saw).
fn last_event_id(headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(v) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or("").trim();
    if text.is_empty() {
        // An empty id resets the client's: it has nothing.
        return Ok(None);
    }
    text.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .map(Some)
        .ok_or_else(|| {
            Problem::invalid(
                "Last-Event-ID",
                &sanitize::terminal(text),
                "the id of an event this stream sent (a whole number)",
            )
        })
}

/// `GET /api/v1/events/stream`.
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match open(state, &headers, query.as_deref()).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn open(
    state: AppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Response, Problem> {
    Params::parse(query, &[])?;
    let resume = last_event_id(headers)?;
    let Ok(slot) = state.live.slots.clone().try_acquire_owned() else {
        return Err(Problem::new(
            Kind::TooManyStreams,
            format!("at most {MAX_STREAMS} event streams at a time; try again later"),
        ));
    };
    let after = match resume {
        Some(id) => id,
        None => state
            .store
            .run(|s| s.last_event_id())
            .await
            .map_err(Problem::from)?,
    };
    let jobs = state.scans.as_ref().map(|s| {
        let mut rx = s.subscribe();
        // A job under way is sent at once; an ended one only when it changes again.
        if rx
            .borrow()
            .as_ref()
            .is_none_or(|j| j.state != super::scans::JobState::Running)
        {
            rx.borrow_and_update();
        }
        rx
    });
    let reader = Reader {
        state: state.clone(),
        jobs,
        job_pending: false,
        newest: state.live.newest.subscribe(),
        stop: state.stop.clone(),
        after,
        queue: VecDeque::new(),
        first: true,
        _slot: slot,
    };
    let events = futures::stream::unfold(reader, |mut r| async move {
        r.next()
            .await
            .map(|e| (Ok::<_, std::convert::Infallible>(e), r))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

/// One open stream: where it stands and what it has read but not sent.
struct Reader {
    state: AppState,
    /// Scan jobs' progress (`event: scan`, no id): the newest state of the job that changed.
    jobs: Option<watch::Receiver<Option<super::scans::Job>>>,
    /// A job changed while the stream waited.
    job_pending: bool,
    newest: watch::Receiver<i64>,
    stop: watch::Receiver<bool>,
    /// The id of the last event sent (or of the newest when the stream began).
    after: i64,
    queue: VecDeque<StoreEvent>,
    first: bool,
    _slot: OwnedSemaphorePermit,
}

impl Reader {
    /// The next event to send; `None` ends the stream (the server stops, or the store failed:
    /// the client reconnects with its `Last-Event-ID`).
    async fn next(&mut self) -> Option<Event> {
        loop {
            if *self.stop.borrow() {
                return None;
            }
            if let Some(job) = self.job_changed() {
                return Some(job);
            }
            if let Some(e) = self.queue.pop_front() {
                let mut event = Event::default().id(e.id.to_string());
                if std::mem::take(&mut self.first) {
                    event = event.retry(RETRY);
                }
                return match serde_json::to_string(&e) {
                    Ok(data) => Some(event.data(data)),
                    Err(err) => {
                        tracing::warn!("serve: event {}: {err}", e.id);
                        continue;
                    }
                };
            }
            let after = self.after;
            let batch = match self
                .state
                .store
                .run(move |s| s.events_after(after, BATCH))
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!("serve: event stream: {e}");
                    return None;
                }
            };
            if let Some(last) = batch.last() {
                self.after = last.id;
                self.queue.extend(batch);
                continue;
            }
            // Nothing after `after`: wait for the poller, a job (or the stop).
            self.newest.borrow_and_update();
            let job = async {
                match self.jobs.as_mut() {
                    Some(rx) => rx.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                alive = job => {
                    // `changed` marked the job seen: it is sent on the next turn.
                    if alive {
                        self.job_pending = true;
                    } else {
                        self.jobs = None;
                    }
                }
                changed = self.newest.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
                changed = self.stop.changed() => {
                    // A dropped sender is a stop too.
                    if changed.is_err() {
                        return None;
                    }
                }
            }
        }
    }
}

impl Reader {
    /// The scan job that changed since the last one sent, as an `event: scan`.
    fn job_changed(&mut self) -> Option<Event> {
        let rx = self.jobs.as_mut()?;
        if !std::mem::take(&mut self.job_pending) && !rx.has_changed().unwrap_or(false) {
            return None;
        }
        let job = rx.borrow_and_update().clone()?;
        let data = serde_json::to_string(&job).ok()?;
        Some(Event::default().event("scan").data(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn last_event_id_header() {
        let mut h = HeaderMap::new();
        assert_eq!(last_event_id(&h).unwrap(), None);
        h.insert("last-event-id", HeaderValue::from_static(" 42 "));
        assert_eq!(last_event_id(&h).unwrap(), Some(42));
        h.insert("last-event-id", HeaderValue::from_static(""));
        assert_eq!(last_event_id(&h).unwrap(), None);
        for bad in ["-1", "x", "4.2"] {
            h.insert("last-event-id", HeaderValue::from_static(bad));
            assert_eq!(last_event_id(&h).unwrap_err().kind, Kind::InvalidParameter);
        }
    }
}
