//! The REST API under `/api/v1`: its routes and the router built from them, the inventory's
//! read handlers, and the limits every request is held to (query parameters, pages and JSON
//! answers are in [`super::params`], shared with the other handlers).
//!
//! Bodies are the store's serde types, so an API client reads the fields `camscan devices -f json`
//! (a list item), `camscan show -f json` (one device), `camscan history -f json`, `camscan scans
//! -f json` and `camscan diff -f json` print. Lists are pages: `{"items": [..], "next_cursor":
//! ..}`, ordered by id (devices and streams ascending, events and scans newest first); the cursor
//! is opaque to clients (today the last id of the page), so a walk with `cursor` sees every item
//! once even while new ones arrive. Unknown query parameters are refused (400): a misspelt filter
//! would otherwise silently return everything.
//!
//! [`routes`] is the one list of what the server answers; the router is built from it and the
//! OpenAPI document is checked against it (tests below, and `tests/serve.rs` over HTTP).

use std::time::Duration;

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};

use super::AppState;
use super::params::{Params, json, one_of, page};
use super::problem::{Kind, Problem};
use super::sse;
use store::{
    DeviceQuery, DeviceState, EventKind, EventQuery, FindingQuery, FindingState, SEVERITIES, Store,
    StreamState,
};

/// The OpenAPI 3.1 document of these routes, written by hand and checked against [`routes`].
pub const OPENAPI: &str = include_str!("openapi.json");

/// What one request may take.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// From the request's head to its answer's head. 10 s: every read is one SQLite query on a
    /// local file (a 10,000-device list reads in tens of milliseconds); what takes longer waits on
    /// a lock another process holds, and the client should hear so rather than hang.
    pub deadline: Duration,
    /// Largest request body, by its Content-Length. No route reads a body yet (all are GET);
    /// 64 KiB leaves room for the scan requests to come, and anything larger is refused (413)
    /// before it is read.
    pub max_body: u64,
}

pub const REQUEST_LIMITS: RequestLimits = RequestLimits {
    deadline: Duration::from_secs(10),
    max_body: 64 * 1024,
};

/// One route of the API: its path (axum's `{param}` syntax, which OpenAPI shares), the method it
/// answers (`get`, `post` or `delete`, as OpenAPI spells it), and the status codes its handler answers
/// besides the ones every route may ([`COMMON_STATUSES`]).
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub path: &'static str,
    pub method: &'static str,
    pub statuses: &'static [u16],
}

/// Statuses any route may answer: 401 (the token is asked for and not given, [`super::auth`]),
/// 405 (another method), 413 (a body too large), 500 (the store failed), 503 (the request's
/// deadline passed).
pub const COMMON_STATUSES: &[u16] = &[401, 405, 413, 500, 503];

/// Every route, with its handler.
pub fn routes() -> Vec<(Route, MethodRouter<AppState>)> {
    let r = |path, statuses| Route {
        path,
        method: "get",
        statuses,
    };
    let post = |path, statuses| Route {
        path,
        method: "post",
        statuses,
    };
    let delete = |path, statuses| Route {
        path,
        method: "delete",
        statuses,
    };
    vec![
        (r("/api/v1/devices", &[200, 400]), get(devices)),
        (r("/api/v1/devices/{id}", &[200, 400, 404]), get(device)),
        (
            r("/api/v1/devices/{id}/availability", &[200, 400, 404]),
            get(availability),
        ),
        (r("/api/v1/streams", &[200, 400]), get(streams)),
        (
            r("/api/v1/streams/{id}/checks", &[200, 400, 404]),
            get(checks),
        ),
        (r("/api/v1/events", &[200, 400, 404]), get(events)),
        (r("/api/v1/events/stream", &[200, 400]), get(sse::stream)),
        (r("/api/v1/findings", &[200, 400, 404]), get(findings)),
        (r("/api/v1/scans", &[200, 400]), get(scans)),
        (
            post("/api/v1/scans", &[202, 400, 403, 404, 409, 415, 429]),
            axum::routing::post(super::scans::post),
        ),
        (
            r("/api/v1/devices/{id}/snapshot", &[200, 400, 404, 502]),
            get(super::snapshot::snapshot),
        ),
        (
            r("/api/v1/export/{format}", &[200, 400, 404]),
            get(super::export::export),
        ),
        (
            r("/api/v1/scans/jobs", &[200, 400]),
            get(super::scans::jobs),
        ),
        (
            r("/api/v1/scans/jobs/{id}", &[200, 400, 404]),
            get(super::scans::job),
        ),
        (
            r("/api/v1/scans/requests", &[200, 400]),
            get(super::scans::requests),
        ),
        (
            r("/api/v1/scans/requests/{id}", &[200, 400, 404]),
            get(super::scans::request_state),
        ),
        (
            r("/api/v1/scans/options", &[200, 400]),
            get(super::scans::options),
        ),
        (
            r("/api/v1/streams/{id}/preview", &[200, 400, 404, 422, 502]),
            get(super::live::preview),
        ),
        (
            r("/api/v1/streams/{id}/live", &[101, 400, 404, 422]),
            get(super::live::websocket),
        ),
        (
            r("/api/v1/streams/{id}/mjpeg", &[200, 400, 404, 422, 502]),
            get(super::live::mjpeg),
        ),
        (
            post("/api/v1/streams/{id}/whep", &[201, 400, 404, 415, 422]),
            axum::routing::post(super::live::whep),
        ),
        (
            delete("/api/v1/streams/{id}/whep/{session}", &[200, 400, 404, 422]),
            axum::routing::delete(super::live::whep_delete),
        ),
        (r("/api/v1/push", &[200, 400]), get(super::push::targets)),
        (
            post("/api/v1/push/{tool}", &[200, 400, 403, 404, 409, 415, 502]),
            axum::routing::post(super::push::post),
        ),
        (r("/api/v1/diff", &[200, 400, 404]), get(diff)),
        (r("/api/v1/sites", &[200, 400]), get(sites)),
        (r("/api/v1/openapi.json", &[200, 400]), get(openapi)),
    ]
}

/// The router: [`routes`], problem documents for unknown routes (404) and other methods (405),
/// the web page ([`super::web::pages`], outside the API), and the per-request limits.
pub fn router(state: AppState) -> Router {
    // Routes of one path with different methods are one method router.
    let mut by_path: Vec<(&'static str, MethodRouter<AppState>)> = Vec::new();
    for (route, handler) in routes() {
        match by_path.iter_mut().find(|(p, _)| *p == route.path) {
            Some((_, m)) => *m = std::mem::take(m).merge(handler),
            None => by_path.push((route.path, handler)),
        }
    }
    let mut app = Router::new();
    for (path, handler) in by_path {
        app = app.route(path, handler);
    }
    for (path, handler) in super::web::pages() {
        app = app.route(path, handler);
    }
    // Prometheus on the same listener (outside the API: its own text formats, not JSON).
    app = app.route("/metrics", get(metrics));
    app.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(limits))
        .with_state(state)
}

/// `GET /metrics`: the Prometheus exposition, as `camscan watch --metrics` serves it.
async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    crate::metrics::render(&state.metrics, &headers)
}

/// The body limit and the deadline of every request, and the headers of every answer.
async fn limits(req: Request, next: Next) -> Response {
    let limits = REQUEST_LIMITS;
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if length.is_some_and(|n| n > limits.max_body) {
        return Problem::new(
            Kind::BodyTooLarge,
            format!("at most {} bytes of request body", limits.max_body),
        )
        .into_response();
    }
    let mut resp = match tokio::time::timeout(limits.deadline, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => Problem::new(
            Kind::Timeout,
            format!(
                "no answer within {} s (the inventory may be locked by another process)",
                limits.deadline.as_secs()
            ),
        )
        .into_response(),
    };
    // The inventory changes under every answer: no cache keeps one. And a browser never guesses
    // another type than the one given (device strings are inside these bodies).
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

async fn not_found(req: Request) -> Problem {
    Problem::not_found(format!(
        "no route {}; the API is under /api/v1 (see /api/v1/openapi.json)",
        sanitize::terminal(req.uri().path())
    ))
}

/// The methods a route answers, for `Allow`.
fn allowed(path: &str) -> &'static str {
    if routes()
        .iter()
        .any(|(r, _)| r.path == path && r.method == "post")
    {
        "GET, HEAD, POST"
    } else {
        "GET, HEAD"
    }
}

async fn method_not_allowed(req: Request) -> Response {
    let req_path = req.uri().path().to_string();
    let mut resp = Problem::new(
        Kind::MethodNotAllowed,
        format!(
            "{} is not answered here (see /api/v1/openapi.json for each route's methods)",
            sanitize::terminal(req.method().as_str())
        ),
    )
    .into_response();
    resp.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_static(allowed(req_path.as_str())),
    );
    resp
}

/// Run a store read on the blocking pool; its error as a problem.
async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Store) -> Result<T, store::StoreError> + Send + 'static,
) -> Result<T, Problem> {
    state.store.run(f).await.map_err(Problem::from)
}

/// `GET /api/v1/devices?state=&vendor=&since=&q=&limit=&cursor=`: devices by id.
async fn devices(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    respond(devices_page(state, query).await)
}

async fn devices_page(state: AppState, query: Option<String>) -> Result<Response, Problem> {
    let p = Params::parse(
        query.as_deref(),
        &[
            "state", "vendor", "cameras", "since", "q", "limit", "cursor", "site",
        ],
    )?;
    let q = DeviceQuery {
        state: p.parsed("state", &one_of(DeviceState::NAMES), |v| v.parse().ok())?,
        since: p.since()?,
        vendor: p.get("vendor").map(str::to_string),
        cameras: p.flag("cameras")?,
        site: p.get("site").map(str::to_string),
    };
    let text = p.get("q").map(str::to_string);
    let (limit, cursor) = (p.limit()?, p.cursor()?);
    let list = read(&state, move |s| {
        s.devices_page(&q, text.as_deref(), cursor, limit + 1)
    })
    .await?;
    Ok(json(&page(list, limit, |d| d.id)))
}

/// `GET /api/v1/devices/{id}`: one device by id, address or MAC, as `camscan show` finds it.
async fn device(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let found = async {
        let p = Params::parse(query.as_deref(), &["site"])?;
        let key = id.clone();
        let site = p.get("site").map(str::to_string);
        read(&state, move |s| {
            let Some(d) = s.device(&key, site.as_deref())? else {
                return Ok(None);
            };
            let states = super::push::ledger_states(s, &d.pushed);
            Ok(Some((d, states)))
        })
        .await?
        .map(|(d, states)| {
            // Each entry camscan pushed with its state in the ledger (`written`, `pending`).
            let mut v = serde_json::to_value(&d).unwrap_or_default();
            if let Some(rows) = v.get_mut("pushed").and_then(|p| p.as_array_mut()) {
                for (row, state) in rows.iter_mut().zip(states) {
                    row["state"] = serde_json::Value::from(state);
                }
            }
            json(&v)
        })
        .ok_or_else(|| {
            Problem::not_found(format!(
                "no device {:?} in the inventory (give an id, an address or a MAC)",
                sanitize::terminal(&id)
            ))
        })
    };
    respond(found.await)
}

/// The most days `GET /api/v1/devices/{id}/availability` looks back; 7 when not given. 31: a
/// month, which events older than the store's pruning age may not cover anyway.
pub const MAX_AVAILABILITY_DAYS: i64 = 31;

/// `{id}` of the routes that take a numeric id only.
fn numeric_id(name: &str, v: &str) -> Result<i64, Problem> {
    v.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| Problem::invalid(name, v, "a whole number"))
}

/// `GET /api/v1/devices/{id}/availability?days=`: the device's online/offline spans over the
/// last `days` days (7 by default), from its events.
async fn availability(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let found = async {
        let p = Params::parse(query.as_deref(), &["days"])?;
        let id = numeric_id("id", &id)?;
        let expected = format!("a whole number of days from 1 to {MAX_AVAILABILITY_DAYS}");
        let days = p
            .parsed("days", &expected, |v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|n| (1..=MAX_AVAILABILITY_DAYS).contains(n))
            })?
            .unwrap_or(7);
        let to = jiff::Timestamp::now();
        let from = to - jiff::SignedDuration::from_hours(24 * days);
        read(&state, move |s| s.availability(id, from, to))
            .await?
            .map(|a| json(&a))
            .ok_or_else(|| Problem::not_found(format!("no device {id} in the inventory")))
    };
    respond(found.await)
}

/// `GET /api/v1/streams/{id}/checks?since=&limit=`: the stream's newest checks by
/// `camscan watch --check-streams`, oldest first (the store keeps the last
/// [`store::CHECKS_PER_STREAM`] of each).
async fn checks(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let found = async {
        let p = Params::parse(query.as_deref(), &["since", "limit"])?;
        let id = numeric_id("id", &id)?;
        let (since, limit) = (p.since()?, p.limit()?);
        read(&state, move |s| s.checks(id, since, limit))
            .await?
            .map(|c| json(&serde_json::json!({ "stream_id": id, "items": c })))
            .ok_or_else(|| Problem::not_found(format!("no stream {id} in the inventory")))
    };
    respond(found.await)
}

/// `GET /api/v1/streams?device_id=&state=&limit=&cursor=`: streams by id.
async fn streams(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let list = async {
        let p = Params::parse(query.as_deref(), &["device_id", "state", "limit", "cursor"])?;
        let device: Option<i64> = p.parsed("device_id", "a device id", |v| v.parse().ok())?;
        let st: Option<StreamState> =
            p.parsed("state", &one_of(StreamState::NAMES), |v| v.parse().ok())?;
        let (limit, cursor) = (p.limit()?, p.cursor()?);
        let list = read(&state, move |s| s.streams(device, st, cursor, limit + 1)).await?;
        Ok(json(&page(list, limit, |e| e.id)))
    };
    respond(list.await)
}

/// `GET /api/v1/events?device=&kind=&since=&limit=&cursor=`: events, newest first.
async fn events(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let list = async {
        let p = Params::parse(
            query.as_deref(),
            &["device", "kind", "since", "limit", "cursor", "site"],
        )?;
        let kind: Option<EventKind> =
            p.parsed("kind", &one_of(EventKind::NAMES), |v| v.parse().ok())?;
        let limit = p.limit()?;
        let q = EventQuery {
            device: p.get("device").map(str::to_string),
            since: p.since()?,
            kind,
            limit: Some(limit + 1),
            site: p.get("site").map(str::to_string),
        };
        let before = p.cursor()?;
        let list = read(&state, move |s| s.events_before(&q, before)).await?;
        Ok(json(&page(list, limit, |e| e.id)))
    };
    respond(list.await)
}

/// `GET /api/v1/findings?site=&device=&severity=&state=&limit=&cursor=`: audit findings by id,
/// open ones unless `state` says otherwise; `severity` is the least one shown.
async fn findings(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let list = async {
        let p = Params::parse(
            query.as_deref(),
            &["site", "device", "severity", "state", "limit", "cursor"],
        )?;
        let severity = p.parsed("severity", &one_of(&SEVERITIES), |v| {
            SEVERITIES.contains(&v).then(|| v.to_string())
        })?;
        let st: Option<FindingState> =
            p.parsed("state", &one_of(FindingState::NAMES), |v| v.parse().ok())?;
        let q = FindingQuery {
            site: p.get("site").map(str::to_string),
            device: p.get("device").map(str::to_string),
            severity,
            state: st.unwrap_or_default(),
        };
        let (limit, cursor) = (p.limit()?, p.cursor()?);
        let list = read(&state, move |s| s.findings(&q, cursor, limit + 1)).await?;
        Ok(json(&page(list, limit, |f| f.id)))
    };
    respond(list.await)
}

/// `GET /api/v1/scans?limit=&cursor=`: recorded scans, newest first.
async fn scans(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let list = async {
        let p = Params::parse(query.as_deref(), &["limit", "cursor", "site"])?;
        let (limit, cursor) = (p.limit()?, p.cursor()?);
        let site = p.get("site").map(str::to_string);
        let mut list = read(&state, move |s| s.scans(site.as_deref())).await?;
        list.retain(|s| cursor.is_none_or(|c| s.id < c));
        list.truncate(limit + 1);
        Ok(json(&page(list, limit, |s| s.id)))
    };
    respond(list.await)
}

/// `GET /api/v1/diff?from=SCAN&to=SCAN`: as `camscan diff`, the last two complete scans by
/// default.
async fn diff(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let found = async {
        let p = Params::parse(query.as_deref(), &["from", "to", "site"])?;
        let scan = |name| p.parsed(name, "a scan id", |v| v.parse::<i64>().ok());
        let (from, to) = (scan("from")?, scan("to")?);
        let site = p.get("site").map(str::to_string);
        let d = read(&state, move |s| s.diff(from, to, site.as_deref())).await?;
        Ok(json(&d))
    };
    respond(found.await)
}

/// `GET /api/v1/sites`: each site the inventory holds, with its health at a glance.
async fn sites(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let list = async {
        Params::parse(query.as_deref(), &[])?;
        let list = read(&state, |s| s.sites()).await?;
        Ok(json(&list))
    };
    respond(list.await)
}

/// `GET /api/v1/openapi.json`.
async fn openapi(RawQuery(query): RawQuery) -> Response {
    if let Err(p) = Params::parse(query.as_deref(), &[]) {
        return p.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI,
    )
        .into_response()
}

fn respond(r: Result<Response, Problem>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::params::DEFAULT_PAGE;
    use std::collections::{BTreeMap, BTreeSet};

    /// One registration per output format: `export::FORMATS` is the list, and the OpenAPI
    /// document's `{format}` values (the file, held to it here) and the page's download buttons
    /// (`EXPORTS` in the served `app.js`, filled in from it: every format but the terminal table)
    /// offer each, so a new exporter cannot go stale in either.
    #[test]
    fn the_api_document_and_the_page_offer_every_output_format() {
        use input::choice::Choice;
        let formats: Vec<String> = ::export::Format::choice_names()
            .into_iter()
            .map(String::from)
            .collect();
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        let listed: Vec<String> = doc["paths"]["/api/v1/export/{format}"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "format")
            .unwrap()["schema"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(listed, formats, "openapi.json's export formats");
        let js = crate::serve::web::script();
        let start = js
            .find("const EXPORTS = [")
            .expect("app.js has its EXPORTS table");
        let table = &js[start..start + js[start..].find("];").unwrap()];
        let offered: Vec<&str> = table
            .split("[\"")
            .skip(1)
            .filter_map(|entry| entry.split('"').next())
            .collect();
        let downloads: Vec<&str> = formats
            .iter()
            .map(String::as_str)
            .filter(|f| *f != "table")
            .collect();
        assert_eq!(
            offered, downloads,
            "the page's download buttons (EXPORTS in app.js)"
        );
    }

    /// The OpenAPI document's paths, methods and response codes are exactly the router's.
    #[test]
    fn the_openapi_document_is_the_router() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"].as_str().unwrap().get(..3), Some("3.1"));
        let mut documented: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let ops = item.as_object().unwrap();
            for (method, op) in ops.iter().filter(|(k, _)| *k != "parameters") {
                let codes = op["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(|c| c.parse::<u16>().unwrap())
                    .collect();
                documented.insert(format!("{method} {path}"), codes);
            }
        }
        let served: BTreeMap<String, BTreeSet<u16>> = routes()
            .into_iter()
            .map(|(r, _)| {
                let codes = r.statuses.iter().chain(COMMON_STATUSES).copied().collect();
                (format!("{} {}", r.method, r.path), codes)
            })
            .collect();
        assert_eq!(documented, served);
    }

    /// Every problem `type` the server can answer is listed in the document.
    #[test]
    fn the_openapi_document_lists_every_problem_type() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        let types: BTreeSet<&str> =
            doc["components"]["schemas"]["Problem"]["properties"]["type"]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
        let kinds: BTreeSet<&str> = Kind::ALL.iter().map(|k| k.type_uri()).collect();
        assert_eq!(types, kinds);
    }

    #[test]
    fn params_are_checked() {
        let p = Params::parse(
            Some("state=online&limit=5&q=axis%20cam"),
            &["state", "limit", "q"],
        )
        .unwrap();
        assert_eq!(p.get("q"), Some("axis cam"));
        assert_eq!(p.limit().unwrap(), 5);
        assert!(Params::parse(Some("stat=online"), &["state"]).is_err());
        assert!(Params::parse(Some("limit=1&limit=2"), &["limit"]).is_err());
        for bad in ["limit=0", "limit=1001", "limit=x", "limit=-1"] {
            let p = Params::parse(Some(bad), &["limit"]).unwrap();
            assert_eq!(p.limit().unwrap_err().kind, Kind::InvalidParameter, "{bad}");
        }
        let p = Params::parse(None, &["limit"]).unwrap();
        assert_eq!(p.limit().unwrap(), DEFAULT_PAGE);
    }

    #[test]
    fn pages_end_with_no_cursor() {
        let p = page(vec![1, 2, 3], 2, |n| *n);
        assert_eq!((p.items, p.next_cursor.as_deref()), (vec![1, 2], Some("2")));
        let p = page(vec![1, 2], 2, |n| *n);
        assert_eq!((p.items, p.next_cursor), (vec![1, 2], None));
    }
}
