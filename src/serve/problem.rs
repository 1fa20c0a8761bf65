//! Errors of the API as RFC 9457 problem documents (`application/problem+json`): a stable `type`
//! per kind of error that clients can branch on, a `title` that goes with the type, the HTTP
//! `status`, and a `detail` about this occurrence. The types are URNs (RFC 9457 §3.1.1 allows a
//! non-resolvable URI), so no documentation site has to exist for them to be stable.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use store::StoreError;

/// The Content-Type of a problem document (RFC 9457 §3).
pub const CONTENT_TYPE: &str = "application/problem+json";

/// The kinds of error the API answers, each with its stable `type` URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 404: no such route, device or scan.
    NotFound,
    /// 400: a query parameter or header that is not what the route takes.
    InvalidParameter,
    /// 405: the route exists, not with this method.
    MethodNotAllowed,
    /// 413: a request body over the limit.
    BodyTooLarge,
    /// 503: the request took longer than its deadline.
    Timeout,
    /// 503: as many live event streams as the server takes are open.
    TooManyStreams,
    /// 500: the store could not be read.
    Store,
    /// 400: a request body that is not what the route takes.
    InvalidBody,
    /// 415: a body in another format than the route reads.
    UnsupportedMediaType,
    /// 403: a scan of targets outside `--allow-targets`.
    TargetNotAllowed,
    /// 409: a scan is running already.
    ScanRunning,
    /// 429: a scan started too recently.
    RateLimited,
    /// 502: the camera did not give what the server fetched from it (its snapshot).
    Upstream,
    /// 401: the server asks for its token and the request has neither it nor a session.
    Unauthorized,
    /// 403: a state-changing request from another site (CSRF), or a Host that is not this
    /// server's (DNS rebinding).
    CrossOrigin,
    /// 503: the live preview has its most viewers (of the stream or of the server).
    TooManyViewers,
    /// 422: the stream cannot be played live as asked (not RTSP, not H.264, an offer without
    /// H.264).
    NotPlayable,
    /// 500: the server could not set up a WebRTC session (no UDP socket, a WebRTC error).
    WebrtcFailed,
    /// 502: a tool `camscan serve --push` names could not be reached, refused the login or
    /// answered what a push cannot read.
    ToolFailed,
    /// 409: a push is being applied already (one at a time: two would both plan the same add).
    PushRunning,
}

impl Kind {
    pub const ALL: [Kind; 20] = [
        Kind::NotFound,
        Kind::InvalidParameter,
        Kind::MethodNotAllowed,
        Kind::BodyTooLarge,
        Kind::Timeout,
        Kind::TooManyStreams,
        Kind::Store,
        Kind::InvalidBody,
        Kind::UnsupportedMediaType,
        Kind::TargetNotAllowed,
        Kind::ScanRunning,
        Kind::RateLimited,
        Kind::Unauthorized,
        Kind::CrossOrigin,
        Kind::Upstream,
        Kind::TooManyViewers,
        Kind::NotPlayable,
        Kind::WebrtcFailed,
        Kind::ToolFailed,
        Kind::PushRunning,
    ];

    pub fn type_uri(self) -> &'static str {
        match self {
            Kind::NotFound => "urn:camscan:problem:not-found",
            Kind::InvalidParameter => "urn:camscan:problem:invalid-parameter",
            Kind::MethodNotAllowed => "urn:camscan:problem:method-not-allowed",
            Kind::BodyTooLarge => "urn:camscan:problem:body-too-large",
            Kind::Timeout => "urn:camscan:problem:timeout",
            Kind::TooManyStreams => "urn:camscan:problem:too-many-streams",
            Kind::Store => "urn:camscan:problem:store",
            Kind::InvalidBody => "urn:camscan:problem:invalid-body",
            Kind::UnsupportedMediaType => "urn:camscan:problem:unsupported-media-type",
            Kind::TargetNotAllowed => "urn:camscan:problem:target-not-allowed",
            Kind::ScanRunning => "urn:camscan:problem:scan-running",
            Kind::RateLimited => "urn:camscan:problem:rate-limited",
            Kind::Unauthorized => "urn:camscan:problem:unauthorized",
            Kind::CrossOrigin => "urn:camscan:problem:cross-origin",
            Kind::Upstream => "urn:camscan:problem:camera-failed",
            Kind::TooManyViewers => "urn:camscan:problem:too-many-viewers",
            Kind::NotPlayable => "urn:camscan:problem:not-playable",
            Kind::WebrtcFailed => "urn:camscan:problem:webrtc-failed",
            Kind::ToolFailed => "urn:camscan:problem:tool-failed",
            Kind::PushRunning => "urn:camscan:problem:push-running",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::NotFound => "Not found",
            Kind::InvalidParameter => "Invalid parameter",
            Kind::MethodNotAllowed => "Method not allowed",
            Kind::BodyTooLarge => "Request body too large",
            Kind::Timeout => "Request took too long",
            Kind::TooManyStreams => "Too many event streams",
            Kind::Store => "Inventory unavailable",
            Kind::InvalidBody => "Invalid request body",
            Kind::UnsupportedMediaType => "Unsupported media type",
            Kind::TargetNotAllowed => "Target not allowed",
            Kind::ScanRunning => "A scan is running",
            Kind::RateLimited => "Too many scans",
            Kind::Unauthorized => "Token required",
            Kind::CrossOrigin => "Cross-origin request refused",
            Kind::Upstream => "The camera did not answer as asked",
            Kind::TooManyViewers => "Too many viewers",
            Kind::NotPlayable => "The stream cannot be played live",
            Kind::WebrtcFailed => "WebRTC session failed",
            Kind::ToolFailed => "The tool did not take the push",
            Kind::PushRunning => "A push is running",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::InvalidParameter => StatusCode::BAD_REQUEST,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::Timeout | Kind::TooManyStreams => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Store => StatusCode::INTERNAL_SERVER_ERROR,
            Kind::InvalidBody => StatusCode::BAD_REQUEST,
            Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::TargetNotAllowed => StatusCode::FORBIDDEN,
            Kind::ScanRunning => StatusCode::CONFLICT,
            Kind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::CrossOrigin => StatusCode::FORBIDDEN,
            Kind::Upstream => StatusCode::BAD_GATEWAY,
            Kind::TooManyViewers => StatusCode::SERVICE_UNAVAILABLE,
            Kind::NotPlayable => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::WebrtcFailed => StatusCode::INTERNAL_SERVER_ERROR,
            Kind::ToolFailed => StatusCode::BAD_GATEWAY,
            Kind::PushRunning => StatusCode::CONFLICT,
        }
    }
}

/// One problem document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip)]
    pub kind: Kind,
    /// When a client may ask again (`Retry-After`); the kind's own hint when `None`.
    #[serde(skip)]
    pub retry_after: Option<std::time::Duration>,
}

impl Problem {
    pub fn new(kind: Kind, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: kind.type_uri(),
            title: kind.title(),
            status: kind.status().as_u16(),
            detail: detail.into(),
            kind,
            retry_after: None,
        }
    }

    /// This problem with a `Retry-After` of `wait` (whole seconds).
    pub fn retry_after(mut self, wait: std::time::Duration) -> Problem {
        self.retry_after = Some(wait);
        self
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(Kind::NotFound, detail)
    }

    /// Parameter `name` had `value`, which is not what it takes (`expected`).
    pub fn invalid(name: &str, value: &str, expected: &str) -> Problem {
        Problem::new(
            Kind::InvalidParameter,
            format!("{name}={value:?}: {expected}"),
        )
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        match e {
            StoreError::NotFound { what, .. } => Problem::not_found(what),
            other => {
                tracing::warn!("serve: {other}");
                Problem::new(Kind::Store, other.to_string())
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = (self.kind.status(), body).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let Some(wait) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        } else if matches!(
            self.kind,
            Kind::TooManyStreams | Kind::Timeout | Kind::TooManyViewers
        ) {
            // A client may try again soon; 5 s is the event stream's own retry hint.
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_type() {
        let mut seen = std::collections::HashSet::new();
        for k in Kind::ALL {
            assert!(seen.insert(k.type_uri()), "{k:?}");
            assert!(k.type_uri().starts_with("urn:camscan:problem:"));
        }
        let p = serde_json::to_value(Problem::invalid("limit", "x", "a whole number")).unwrap();
        assert_eq!(
            p,
            serde_json::json!({"type": "urn:camscan:problem:invalid-parameter",
                "title": "Invalid parameter", "status": 400, "detail": "limit=\"x\": a whole number"})
        );
    }
}
