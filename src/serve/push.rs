//! `GET /api/v1/push` and `POST /api/v1/push/{tool}`: the page's "Add to Frigate" (and go2rtc,
//! MediaMTX), for the tools `camscan serve --push TOOL=URL` names. The same plan, apply and
//! verify as `camscan push` ([`crate::push`]), limited to the devices the page sends.
//!
//! `{"devices": [ids], "apply": false}` answers the plan and sends nothing to the tool;
//! `"apply": true` applies it and answers each camera's result. The request is held to the
//! server's rules as `POST /api/v1/scans` is (its token, same-origin only: [`super::auth`]); the
//! tools, their logins and the camera passwords are the server's, never the client's. Each push
//! opens the inventory for itself: it waits on the tool, never with the shared store's lock held.
//!
//! A push runs in a task of its own, to its end: the request's deadline
//! ([`super::api::REQUEST_LIMITS`]) or a client that goes away drops the handler, and a push
//! dropped between the tool's write and the read-back that records it in the ledger would leave
//! cameras in the tool that camscan no longer knows it wrote (a person's entries from then on,
//! never updated again: [`crate::push`]'s plan). One push is applied at a time (409 for
//! another: two would both plan the same add); plans are never held up.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::params::{Params, json};
use super::problem::{Kind, Problem};
use crate::push::{PushError, Settings, ToolKind};
use store::Inventory;

/// A request's deadline is the server's ([`super::api::REQUEST_LIMITS`], 10 s): each of a push's
/// requests to the tool gets at most this, so that a stuck tool is said as such.
const TOOL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// What `camscan serve --push` configured.
#[derive(Debug, Default)]
pub struct Pushes {
    pub targets: Vec<Settings>,
    /// The served inventory, opened anew by each push.
    pub inventory: Option<Inventory>,
    /// Held by the push being applied, until its ledger is written.
    applying: Arc<tokio::sync::Mutex<()>>,
}

impl Pushes {
    pub fn new(targets: Vec<Settings>, inventory: Inventory) -> Pushes {
        Pushes {
            targets,
            inventory: Some(inventory),
            applying: Arc::default(),
        }
    }
}

/// The state the push ledger gives each of `pushed` (a device's entries, [`store::PushedAs`]):
/// `written` when the tool's read-back of it was recorded, `pending` when it was sent and not yet
/// read back (a push cut short, or one under way), `unknown` when the ledger no longer holds it.
/// The one place the page's device view reads the ledger, through the store's pushes API.
pub fn ledger_states(store: &store::Store, pushed: &[store::PushedAs]) -> Vec<&'static str> {
    let mut rows: std::collections::HashMap<(String, String), Vec<store::PushRecord>> =
        std::collections::HashMap::new();
    pushed
        .iter()
        .map(|p| {
            let key = (p.tool.clone(), p.target.clone());
            let ledger = rows
                .entry(key)
                .or_insert_with(|| store.pushes(&p.tool, &p.target).unwrap_or_default());
            match ledger.iter().find(|r| r.name == p.name) {
                Some(r) if r.pending.is_some() || r.hash.is_empty() => "pending",
                Some(_) => "written",
                None => "unknown",
            }
        })
        .collect()
}

/// One tool the page may push into.
#[derive(Debug, Serialize)]
struct Target {
    tool: ToolKind,
    /// Its name as people write it (the page's "Add to Home Assistant").
    title: &'static str,
    url: String,
}

/// `GET /api/v1/push`. It takes no query parameter (400 for one, as every route).
pub async fn targets(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    if let Err(p) = Params::parse(query.as_deref(), &[]) {
        return p.into_response();
    }
    let list: Vec<Target> = state
        .pushes
        .targets
        .iter()
        .map(|s| Target {
            tool: s.target.tool,
            title: s.target.tool.title(),
            url: s.target.shown(),
        })
        .collect();
    json(&serde_json::json!({ "targets": list })).into_response()
}

/// The body of `POST /api/v1/push/{tool}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PushRequest {
    /// Device ids (`GET /api/v1/devices`); at least one.
    devices: Vec<i64>,
    /// Apply the plan (else only plan it).
    #[serde(default)]
    apply: bool,
}

/// `POST /api/v1/push/{tool}`.
pub async fn post(
    State(state): State<AppState>,
    Path(tool): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match run(&state, &tool, &headers, &body).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn run(
    state: &AppState,
    tool: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Problem> {
    let Some(settings) = ToolKind::parse(tool)
        .and_then(|t| state.pushes.targets.iter().find(|s| s.target.tool == t))
    else {
        return Err(Problem::not_found(format!(
            "no push target {:?} on this server (camscan serve --push TOOL=URL)",
            sanitize::terminal(tool)
        )));
    };
    if !super::params::is_json(headers) {
        return Err(Problem::new(
            Kind::UnsupportedMediaType,
            "send the push as JSON (Content-Type: application/json)",
        ));
    }
    let req: PushRequest = serde_json::from_slice(body).map_err(|e| {
        Problem::new(
            Kind::InvalidBody,
            format!(
                "the body is not a push request ({}): {{\"devices\": [3, 7], \"apply\": false}}",
                sanitize::terminal(&e.to_string())
            ),
        )
    })?;
    if req.devices.is_empty() || req.devices.len() > 10_000 {
        return Err(Problem::new(
            Kind::InvalidBody,
            "devices: give 1 to 10000 device ids",
        ));
    }
    let Some(inventory) = state.pushes.inventory.clone() else {
        return Err(Problem::new(Kind::Store, "no inventory to push from"));
    };
    let mut settings = settings.clone();
    settings.only = Some(req.devices.iter().copied().collect::<BTreeSet<i64>>());
    settings.dry_run = !req.apply;
    settings.timeout = settings.timeout.min(TOOL_TIMEOUT);
    let gate = if req.apply {
        let held = Arc::clone(&state.pushes.applying).try_lock_owned();
        Some(held.map_err(|_| {
            Problem::new(
                Kind::PushRunning,
                "another push is being applied; plan again when it has finished",
            )
        })?)
    } else {
        None
    };
    let mut store = crate::record::open_existing(&inventory)
        .map_err(|e| Problem::new(Kind::Store, e.to_string()))?;
    let shown = settings.target.shown();
    // Its own task, so that it reaches the read-back and the ledger whatever becomes of the
    // request (the module's docs); the gate goes with it.
    let push = tokio::spawn(async move {
        let outcome = crate::push::run(&mut store, &settings).await;
        drop(gate);
        outcome
    });
    match push.await {
        Ok(Ok(outcome)) => Ok(json(&outcome).into_response()),
        Ok(Err(PushError::Store(e))) => Err(Problem::new(Kind::Store, e.to_string())),
        Ok(Err(e @ PushError::UnknownDevices(_))) => Err(Problem::new(
            Kind::NotFound,
            format!("{e} (GET /api/v1/devices lists them)"),
        )),
        Ok(Err(e)) => Err(Problem::new(Kind::ToolFailed, e.to_string())),
        Err(e) => Err(Problem::new(
            Kind::ToolFailed,
            format!("{shown}: the push stopped before its end ({e})"),
        )),
    }
}
