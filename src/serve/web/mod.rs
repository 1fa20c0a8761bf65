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

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};

use super::AppState;
use super::problem::Problem;

const INDEX: &str = include_str!("index.html");
const APP_CSS: &str = include_str!("app.css");
const ICON: &str = include_str!("icon.svg");

/// Where `app.js` takes its download buttons: the server writes the formats there
/// ([`app_js`]).
const EXPORTS_SLOT: &str = "[/* export::FORMATS */]";

/// `app.js` as served: its [`EXPORTS_SLOT`] filled from [`export::FORMATS`] (once).
static APP_JS: LazyLock<String> = LazyLock::new(|| app_js(include_str!("app.js")));

/// `source` with its [`EXPORTS_SLOT`] replaced by the formats the page offers as downloads, in
/// the registry's order: `[["json","JSON"],...]`, a JSON array (and so a JavaScript one).
fn app_js(source: &str) -> String {
    let offered: Vec<[&str; 2]> = export::FORMATS
        .iter()
        .filter_map(|f| f.button.map(|label| [f.name, label]))
        .collect();
    let list = serde_json::to_string(&offered).unwrap_or_else(|_| "[]".into());
    source.replacen(EXPORTS_SLOT, &list, 1)
}

/// The script as the page gets it.
pub fn script() -> &'static str {
    APP_JS.as_str()
}

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
pub fn assets() -> [(&'static str, &'static str, &'static str); 3] {
    [
        ("app.js", "text/javascript; charset=utf-8", script()),
        ("app.css", "text/css; charset=utf-8", APP_CSS),
        ("icon.svg", "image/svg+xml", ICON),
    ]
}

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
    let assets = assets();
    match assets.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, body)) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static(kind))],
            *body,
        )
            .into_response(),
        None => Problem::not_found(format!(
            "no asset {:?} (the page's are {})",
            sanitize::terminal(&file),
            assets
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
        for (name, _, body) in assets() {
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
            &script().replace("http://www.w3.org/2000/svg", ""),
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
            assert!(!script().contains(banned), "app.js uses {banned}");
        }
    }

    /// The script gets its download buttons from the registry: the slot is in `app.js` once and
    /// gone from what is served, which offers every format with a button label, in order.
    #[test]
    fn the_served_script_offers_the_registered_downloads() {
        let source = include_str!("app.js");
        assert_eq!(
            source.matches(EXPORTS_SLOT).count(),
            1,
            "app.js's EXPORTS slot"
        );
        assert!(source.contains(&format!("const EXPORTS = {EXPORTS_SLOT};")));
        assert!(!script().contains(EXPORTS_SLOT));
        let start = script().find("const EXPORTS = ").unwrap() + "const EXPORTS = ".len();
        let end = start + script()[start..].find(';').unwrap();
        let offered: Vec<(String, String)> = serde_json::from_str(&script()[start..end]).unwrap();
        let want: Vec<(String, String)> = export::FORMATS
            .iter()
            .filter_map(|f| f.button.map(|b| (f.name.to_string(), b.to_string())))
            .collect();
        assert_eq!(offered, want);
        assert_eq!(offered[0], ("json".to_string(), "JSON".to_string()));
        assert!(offered.contains(&("ha-sheet".to_string(), "HA sheet".to_string())));
    }
}
