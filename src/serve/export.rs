//! `GET /api/v1/export/{format}`: the inventory in every format `camscan scan -f` writes,
//! go2rtc/Frigate/MediaMTX configurations included, as a download.
//!
//! The document is the inventory as a report ([`store::Store::inventory_report`]): each
//! device as the newest scan that saw it described it, URLs without credentials (the configs
//! refer to passwords as their exporters always do without `--show-credentials`:
//! `${CAMSCAN_<NAME>_PASSWORD}`-style placeholders or user names only). `state` filters as on
//! `GET /api/v1/devices` (`state=online` for the cameras up now).

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::params::Params;
use super::problem::{Kind, Problem};
use ::export::{ExportOptions, Format, exporter, names};
use input::choice::Choice;
use store::{DeviceQuery, DeviceState};

/// `GET /api/v1/export/{format}?state=`.
pub async fn export(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    match render(state, &name, query.as_deref()).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn render(state: AppState, name: &str, query: Option<&str>) -> Result<Response, Problem> {
    let p = Params::parse(query, &["state"])?;
    let Some(format) = Format::from_choice(name, false) else {
        return Err(Problem::not_found(format!(
            "no export format {:?} (one of {})",
            sanitize::terminal(name),
            names().join(", ")
        )));
    };
    let q = DeviceQuery {
        state: p.parsed(
            "state",
            &format!("one of {}", DeviceState::NAMES.join(", ")),
            |v| v.parse().ok(),
        )?,
        ..DeviceQuery::default()
    };
    let report = state
        .store
        .run(move |s| s.inventory_report(&q))
        .await
        .map_err(Problem::from)?;
    let options = ExportOptions {
        formats: state.format_options.clone(),
        ..ExportOptions::default()
    };
    // Rendering thousands of devices is CPU work: off the async workers.
    let body = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        let written = exporter(format, options).write(&report, &mut out);
        drop(report);
        // The report of a large inventory is tens of megabytes in many small allocations:
        // hand what it freed back to the system, or an idle server keeps its peak.
        super::release_memory();
        written.map(|()| out)
    })
    .await
    .map_err(|e| Problem::new(Kind::Store, format!("export: {e}")))?
    .map_err(|e| Problem::new(Kind::Store, format!("export: {e}")))?;
    let def = format.def();
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(def.media_type),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"camscan-inventory.{}\"",
        def.extension
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each format answers with the media type and file name it always had (the registration
    /// in `export::FORMATS` carries them; this pins what clients see).
    #[test]
    fn every_format_has_a_media_type_and_a_name() {
        let names = names();
        assert_eq!(names.len(), Format::choices().len());
        let want = [
            ("table", "text/plain; charset=utf-8", "txt"),
            ("json", "application/json", "json"),
            ("csv", "text/csv; charset=utf-8", "csv"),
            ("xml", "application/xml", "xml"),
            ("yaml", "application/yaml", "yaml"),
            ("ndjson", "application/x-ndjson", "ndjson"),
            ("m3u", "audio/x-mpegurl", "m3u"),
            ("go2rtc", "application/yaml", "go2rtc.yaml"),
            ("frigate", "application/yaml", "frigate.yaml"),
            ("mediamtx", "application/yaml", "mediamtx.yml"),
            ("ha-sheet", "text/plain; charset=utf-8", "ha-sheet.txt"),
        ];
        for (name, media, ext) in want {
            assert!(names.contains(&name), "{name}");
            let def = Format::from_choice(name, false).unwrap().def();
            assert_eq!((def.media_type, def.extension), (media, ext), "{name}");
        }
        for f in Format::choices() {
            let def = f.def();
            assert!(def.media_type.contains('/') && !def.extension.is_empty());
            assert!(
                HeaderValue::from_str(def.media_type).is_ok(),
                "{}",
                def.name
            );
        }
    }
}
