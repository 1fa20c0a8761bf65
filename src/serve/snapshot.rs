//! `GET /api/v1/devices/{id}/snapshot`: the camera's still image, fetched by the server so that
//! no credential ever reaches the browser.
//!
//! The device comes from its newest description ([`store::Store::device_report`]); the
//! fetch is the camera client's ([`net::snapshot`]: the camera's own addresses only, under
//! a deadline, a whole JPEG or PNG) with the server's configured credentials (the scan's `default`
//! and each `--scan-credentials` set). A device without a snapshot URL it may fetch is 404;
//! what the camera did wrong is a 502 problem document that says so.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::params::Params;
use super::problem::{Kind, Problem};
use net::snapshot::{self, SnapshotError};

/// `GET /api/v1/devices/{id}/snapshot`.
pub async fn snapshot(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    match fetch(state, &id, query.as_deref()).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn fetch(state: AppState, id: &str, query: Option<&str>) -> Result<Response, Problem> {
    Params::parse(query, &[])?;
    let Some(n) = id.parse::<i64>().ok().filter(|n| *n > 0) else {
        return Err(Problem::invalid("id", id, "a device id (a whole number)"));
    };
    let device = state
        .store
        .run(move |s| s.device_report(n))
        .await
        .map_err(Problem::from)?
        .ok_or_else(|| Problem::not_found(format!("no device {n} described in the inventory")))?;
    let creds = state
        .scans
        .as_ref()
        .map(|s| s.all_credentials())
        .unwrap_or_default();
    let image = snapshot::fetch(&device, creds).await.map_err(|e| match e {
        SnapshotError::NoUrl(why) => Problem::not_found(why),
        SnapshotError::Camera(why) => Problem::new(Kind::Upstream, why),
    })?;
    let mut resp = image.bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(image.media_type),
    );
    Ok(resp)
}
