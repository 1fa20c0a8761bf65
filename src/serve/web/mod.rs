//! The web page of `camscan serve`: one HTML document, one stylesheet, one script and an icon,
//! embedded in the binary (`include_str!`: no CDN, no build step, nothing fetched from outside,
//! so it works on an isolated site).
//!
//! The page is a small client of the API under `/api/v1`: it routes on the path itself
//! (`/`, `/devices/{id}`, `/live/{stream_id}`, `/sites`, `/sites/{name}`), so each of those paths answers the same
//! document and a deep link or a reload lands on the right view. It builds its DOM with
//! `createElement`/`textContent` only (a device's name is hostile input), uses no inline script
//! or style, and so runs under the strict Content-Security-Policy [`CSP`] that every page answer
//! carries.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};

use super::AppState;
use super::problem::Problem;

const INDEX: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");
const ICON: &str = include_str!("icon.svg");

/// The policy of the page (issue 18's security model): [`super::auth::CSP`], which every
/// answer carries.
pub const CSP: &str = super::auth::CSP;

/// The paths of the page, outside the API's [`super::api::routes`].
pub fn pages() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/", get(index)),
        ("/devices/{id}", get(index)),
        ("/live/{id}", get(index)),
        ("/sites", get(index)),
        ("/findings", get(index)),
        ("/sites/{name}", get(index)),
        ("/assets/{file}", get(asset)),
    ]
}

/// The embedded files under `/assets/`, with their types.
pub const ASSETS: &[(&str, &str, &str)] = &[
    ("app.js", "text/javascript; charset=utf-8", APP_JS),
    ("app.css", "text/css; charset=utf-8", APP_CSS),
    ("icon.svg", "image/svg+xml", ICON),
];

async fn index() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        INDEX,
    )
        .into_response()
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, body)) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static(kind))],
            *body,
        )
            .into_response(),
        None => Problem::not_found(format!(
            "no asset {:?} (the page's are {})",
            crate::sanitize::terminal(&file),
            ASSETS
                .iter()
                .map(|(n, _, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document names each asset it loads, and nothing from another origin; no inline
    /// script or style (the CSP would block them).
    #[test]
    fn the_page_loads_only_its_own_assets() {
        for (name, _, body) in ASSETS {
            assert!(!body.is_empty(), "{name}");
        }
        assert!(INDEX.contains("src=\"/assets/app.js\""));
        assert!(INDEX.contains("href=\"/assets/app.css\""));
        assert!(!INDEX.contains("style="), "no style attributes");
        assert!(!INDEX.contains("<style"), "no inline style");
        assert_eq!(INDEX.matches("<script").count(), 1, "one external script");
        // Nothing from another origin (the SVG namespace is a name, not a fetch).
        for doc in [
            INDEX,
            &APP_JS.replace("http://www.w3.org/2000/svg", ""),
            APP_CSS,
        ] {
            assert!(!doc.contains("http://") && !doc.contains("https://"));
        }
        // The script never writes markup from strings, and never evaluates any.
        for banned in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "eval(",
            "new Function",
            "document.write",
        ] {
            assert!(!APP_JS.contains(banned), "app.js uses {banned}");
        }
    }
}
