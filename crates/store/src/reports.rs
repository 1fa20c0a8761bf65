//! Each device as the newest scan that saw it described it: the whole [`Device`] of the report
//! (ONVIF profiles with their snapshot URIs, names, `same_as`, errors...), which the store's own
//! columns keep only in part. `camscan serve` renders its exports from these and fetches a
//! device's snapshot from the URI kept here.
//!
//! Every URL is kept without its credentials: a scan run with `--show-credentials` puts passwords
//! in its report's URLs, and the inventory never holds a password ([`scrub`]). A complete scan
//! replaces a device's row; an interrupted one only adds rows for devices that had none (its
//! description may be partial).

use super::db::{Conn, OptionalExtension, params};

use super::columns::clean_url;
use model::{Device, Report};

/// Write `device` (stored as `device_id`) as `scan_id` saw it.
pub(crate) fn write(
    tx: &Conn,
    device_id: i64,
    scan_id: i64,
    complete: bool,
    device: &Device,
) -> super::db::Result<()> {
    let mut value = serde_json::to_value(device).unwrap_or_default();
    scrub(&mut value);
    let json = value.to_string();
    let sql = if complete {
        "INSERT INTO device_reports (device_id, scan_id, complete, json) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT (device_id) DO UPDATE SET scan_id = excluded.scan_id,
             complete = excluded.complete, json = excluded.json"
    } else {
        "INSERT OR IGNORE INTO device_reports (device_id, scan_id, complete, json)
         VALUES (?1, ?2, 0, ?3)"
    };
    tx.prepare_cached(sql)?
        .execute(params![device_id, scan_id, json])?;
    Ok(())
}

/// Remove the credentials of every URL in `value`: any string with `scheme://` and an `@` in its
/// authority, or a secret query parameter, goes through [`clean_url`].
pub(crate) fn scrub(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) if looks_like_url_with_secret(s) => *s = clean_url(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(scrub),
        serde_json::Value::Object(map) => map.values_mut().for_each(scrub),
        _ => {}
    }
}

fn looks_like_url_with_secret(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return false;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest[..end].contains('@') || rest.contains('?') && clean_url(s) != s
}

/// The newest description of the device `id`, or `None` when no scan since schema version 4
/// described it.
pub(crate) fn device(conn: &Conn, id: i64) -> super::db::Result<Option<Device>> {
    let json: Option<String> = conn
        .query_row(
            "SELECT json FROM device_reports WHERE device_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(json.and_then(|j| parse(id, &j)))
}

/// Field `name` of the stored description of device `id` (its `capabilities`), when it has one;
/// a description without the field (written before camscan knew it) reads as nothing learned, not
/// as an empty value.
pub(crate) fn field<T: serde::de::DeserializeOwned>(
    conn: &Conn,
    id: i64,
    name: &str,
) -> super::db::Result<Option<T>> {
    let json: Option<String> = conn
        .query_row(
            "SELECT json FROM device_reports WHERE device_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(json.and_then(|j| {
        let mut v: serde_json::Value = serde_json::from_str(&j).ok()?;
        serde_json::from_value(v.get_mut(name)?.take()).ok()
    }))
}

/// Every described device in id order (the inventory's order), with `only` as a filter on the
/// store's device ids (`None`: all). Devices described by no scan since schema version 4 are not
/// in it.
pub(crate) fn devices(
    conn: &Conn,
    only: Option<&std::collections::HashSet<i64>>,
) -> super::db::Result<Vec<Device>> {
    Ok(devices_with_ids(conn, only)?
        .into_iter()
        .map(|(_, d)| d)
        .collect())
}

/// [`devices`] with each device's store id.
pub(crate) fn devices_with_ids(
    conn: &Conn,
    only: Option<&std::collections::HashSet<i64>>,
) -> super::db::Result<Vec<(i64, Device)>> {
    let mut stmt = conn.prepare("SELECT device_id, json FROM device_reports ORDER BY device_id")?;
    let rows = stmt.query_map(params![], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, json) = row?;
        if only.is_some_and(|o| !o.contains(&id)) {
            continue;
        }
        out.extend(parse(id, &json).map(|d| (id, d)));
    }
    Ok(out)
}

/// A row written by another camscan version may not parse: it is skipped (and logged), never an
/// error for the whole export. A row written before report schema version 2 says `ok` for a
/// stream that sent no media: its streams are settled ([`model::Stream::settle`]).
fn parse(id: i64, json: &str) -> Option<Device> {
    match serde_json::from_str::<Device>(json) {
        Ok(mut d) => {
            d.streams.iter_mut().for_each(model::Stream::settle);
            Some(d)
        }
        Err(e) => {
            tracing::warn!(device = id, "its stored description does not parse: {e}");
            None
        }
    }
}

/// A report of `devices`, dated and targeted as the newest scan (`None`: the inventory has no
/// scan yet).
pub(crate) fn report(conn: &Conn, devices: Vec<Device>) -> super::db::Result<Report> {
    let newest: Option<(i64, i64, bool, String)> = conn
        .query_row(
            "SELECT started_at, finished_at, complete, targets FROM scans ORDER BY id DESC LIMIT 1",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let (started, finished, complete, targets) = match newest {
        Some((s, f, c, t)) => (
            super::columns::rfc3339(s),
            super::columns::rfc3339(f),
            c,
            serde_json::from_str(&t).unwrap_or_default(),
        ),
        None => {
            let now = jiff::Timestamp::now().to_string();
            (now.clone(), now, false, Vec::new())
        }
    };
    Ok(Report {
        schema_version: model::SCHEMA_VERSION,
        camscan_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: started,
        finished_at: finished,
        complete,
        targets,
        plan: None,
        coverage: None,
        devices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_every_credential_and_keeps_the_rest() {
        let mut v = serde_json::json!({
            "url": "rtsp://admin:secret@10.0.0.5:554/live",
            "same_as": "rtsp://admin:secret@10.0.0.5/live?user=admin&password=secret&channel=1",
            "snapshot": "http://10.0.0.5/snap.jpg?pwd=x",
            "plain": "http://10.0.0.5/index.html?page=1",
            "text": "user@example.org is not a url",
            "list": ["onvif://u:p@10.0.0.5:80/onvif/device_service", 5, null],
        });
        scrub(&mut v);
        let s = v.to_string();
        assert!(
            !s.contains("secret") && !s.contains("pwd=x") && !s.contains("u:p@"),
            "{s}"
        );
        assert_eq!(v["url"], "rtsp://10.0.0.5:554/live");
        assert_eq!(v["plain"], "http://10.0.0.5/index.html?page=1");
        assert_eq!(v["text"], "user@example.org is not a url");
        assert!(v["same_as"].as_str().unwrap().contains("channel=1"));
        assert_eq!(v["list"][1], 5);
    }
}
