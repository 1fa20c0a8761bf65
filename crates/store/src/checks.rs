//! Stream health between scans (`camscan watch --check-streams`): the streams to check, each
//! check's result recorded with the state changes it makes, and a stream's recorded checks read
//! back (`GET /api/v1/streams/{id}/checks`: fps, bitrate and time to first packet, as the web page
//! draws them).
//!
//! Rules (unit-tested below): a stream goes `down` after `down_after` consecutive failed checks
//! and `up` again after one success. A check that could not reach the host counts toward the
//! device instead: the device goes `offline` once (one `device_offline`, not one `stream_down`
//! per stream) and `online` with the next check that reaches it. A credential refused to a check
//! makes one `auth_changed`, and the stream is held (no more checks, so no more failed logins)
//! until a scan sees it again. A full scan resets the count and the hold.
//!
//! Bounded: the newest [`CHECKS_PER_STREAM`] checks of each stream are kept, at a site as it
//! records them and at the hub as it copies a site's (`replication`).

use super::db::{self, Conn, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::columns::cred_hash;
use super::columns::rfc3339;
use super::{EventKind, Store, StoreError, StoreEvent, schema};
use model::Credential;

/// Stream checks kept per stream (the newest).
pub const CHECKS_PER_STREAM: i64 = 100;

/// How far a stream check got: the layer that failed, or [`CheckLayer::Ok`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckLayer {
    /// No route to the host, or it did not answer the connection.
    Host,
    /// The host refused the connection: the port is closed.
    Port,
    /// The server answered, but not the stream (DESCRIBE, manifest or play refused: the status).
    Describe,
    /// The credential that opened the stream is refused.
    Auth,
    /// Described, but no media within the deadline.
    Media,
    /// Media, at less than half the known frame rate.
    Rate,
    Ok,
}

impl CheckLayer {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckLayer::Host => "host",
            CheckLayer::Port => "port",
            CheckLayer::Describe => "describe",
            CheckLayer::Auth => "auth",
            CheckLayer::Media => "media",
            CheckLayer::Rate => "rate",
            CheckLayer::Ok => "ok",
        }
    }
}

/// One stream check's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub layer: CheckLayer,
    /// What failed, one line.
    pub error: Option<String>,
    /// From the request to the first media packet.
    pub first_packet_ms: Option<u64>,
    pub fps: Option<f64>,
    pub bitrate_kbps: Option<f64>,
}

impl CheckResult {
    pub fn failed(layer: CheckLayer, error: impl Into<String>) -> Self {
        CheckResult {
            layer,
            error: Some(error.into()),
            first_packet_ms: None,
            fps: None,
            bitrate_kbps: None,
        }
    }

    pub fn ok(&self) -> bool {
        self.layer == CheckLayer::Ok
    }
}

/// A stream to check, as the store knows it.
#[derive(Debug, Clone)]
pub struct CheckTarget {
    pub stream_id: i64,
    pub device_id: i64,
    /// The device's last address.
    pub ip: Option<String>,
    /// The stream's URL (without credentials) and protocol (`rtsp`, `hls`, ...).
    pub url: String,
    pub protocol: String,
    /// The entry of the credentials list that opened it last time.
    pub credential: Option<Credential>,
    /// The frame rate it is known to run at (measured, else declared).
    pub fps: Option<f64>,
    pub up: bool,
    /// What the last scan saw of it: the stored `{video, audio}` description (JSON), if any.
    pub media: Option<String>,
}

/// One recorded stream check (`GET /api/v1/streams/{id}/checks`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckRecord {
    pub id: i64,
    pub stream_id: i64,
    /// RFC 3339.
    pub at: String,
    pub ok: bool,
    /// How far it got (`host`, `port`, `describe`, `auth`, `media`, `rate`, `ok`).
    pub layer: String,
    pub error: Option<String>,
    pub first_packet_ms: Option<i64>,
    pub fps: Option<f64>,
    pub bitrate_kbps: Option<f64>,
}

impl Store {
    /// The streams `camscan watch` checks between scans: those that opened at their last scan and
    /// are not held (a refused credential waits for the next scan), with the entry of `creds`
    /// that opened each.
    pub fn check_targets(
        &self,
        site: Option<&str>,
        creds: &[Credential],
    ) -> Result<Vec<CheckTarget>, StoreError> {
        targets(&self.conn, &self.key, site, creds).map_err(|e| self.err(e))
    }

    /// Record a stream check and the state changes it makes (`down_after` consecutive failures:
    /// `stream_down`; see the module's rules); returns the events written to the outbox.
    pub fn record_check(
        &mut self,
        stream_id: i64,
        result: &CheckResult,
        down_after: u32,
    ) -> Result<Vec<StoreEvent>, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        let path = self.path.clone();
        record(&mut self.conn, stream_id, result, down_after.max(1), now)
            .map_err(|e| schema::map_err(&path, e))
    }

    /// The newest `limit` recorded checks of stream `stream_id` at or after `since`, oldest
    /// first; `None` when no such stream.
    pub fn checks(
        &self,
        stream_id: i64,
        since: Option<jiff::Timestamp>,
        limit: usize,
    ) -> Result<Option<Vec<CheckRecord>>, StoreError> {
        checks(
            &self.conn,
            stream_id,
            since.map(|t| t.as_millisecond()),
            limit,
        )
        .map_err(|e| self.err(e))
    }
}

/// The streams that opened at their last scan and are not held, with the credential entry whose
/// keyed hash matches theirs.
pub(crate) fn targets(
    conn: &Conn,
    key: &[u8],
    site: Option<&str>,
    creds: &[Credential],
) -> db::Result<Vec<CheckTarget>> {
    let by_hash: std::collections::HashMap<Vec<u8>, &Credential> = creds
        .iter()
        .map(|c| (cred_hash(key, &c.username, &c.password), c))
        .collect();
    let mut stmt = conn.prepare(
        "SELECT s.id, s.device_id, d.ip, s.url, s.protocol, s.cred, t.text, s.state
           FROM streams s JOIN devices d ON d.id = s.device_id
           LEFT JOIN texts t ON t.id = s.media
          WHERE s.status = 'ok' AND s.held IS NULL AND (?1 IS NULL OR d.site = ?1)
          ORDER BY s.device_id, s.id",
    )?;
    let rows = stmt.query_map(params![site], |r| {
        let cred: Option<Vec<u8>> = r.get(5)?;
        let media: Option<String> = r.get(6)?;
        let state: String = r.get(7)?;
        Ok(CheckTarget {
            stream_id: r.get(0)?,
            device_id: r.get(1)?,
            ip: r.get(2)?,
            url: r.get(3)?,
            protocol: r.get(4)?,
            credential: cred.and_then(|h| by_hash.get(&h).map(|c| (*c).clone())),
            fps: media.as_deref().and_then(known_fps),
            up: state == "up",
            media,
        })
    })?;
    rows.collect()
}

/// The frame rate of a stored `{video, audio}` description.
fn known_fps(media: &str) -> Option<f64> {
    let v: serde_json::Value = serde_json::from_str(media).ok()?;
    v.get("video")?.get("fps")?.as_f64().filter(|f| *f > 0.0)
}

/// Record one check of `stream_id` at `now` and the state changes it makes (see the module's
/// rules); returns the events written. One transaction.
pub(crate) fn record(
    conn: &mut Conn,
    stream_id: i64,
    result: &CheckResult,
    down_after: u32,
    now: i64,
) -> db::Result<Vec<StoreEvent>> {
    let tx = conn.transaction()?;
    let Some(stream) = checked_stream(&tx, stream_id)? else {
        return Ok(Vec::new()); // forgotten meanwhile
    };
    insert_check(&tx, stream_id, result, now)?;
    let made = apply_check(&tx, &stream, result, down_after, now)?;
    let events = write_events(&tx, stream.device_id, &stream.site, made, now)?;
    tx.commit()?;
    Ok(events)
}

/// What a check changes depends on: the stream's state and failures in a row, and its device's
/// state.
struct CheckedStream {
    id: i64,
    device_id: i64,
    url: String,
    state: String,
    fails: i64,
    device_state: String,
    site: String,
}

/// The stream as the store has it; `None` when it was forgotten meanwhile.
fn checked_stream(conn: &Conn, stream_id: i64) -> db::Result<Option<CheckedStream>> {
    conn.query_row(
        "SELECT s.device_id, s.url, s.state, s.fails, d.state, d.site
           FROM streams s JOIN devices d ON d.id = s.device_id WHERE s.id = ?1",
        [stream_id],
        |r| {
            Ok(CheckedStream {
                id: stream_id,
                device_id: r.get(0)?,
                url: r.get(1)?,
                state: r.get(2)?,
                fails: r.get(3)?,
                device_state: r.get(4)?,
                site: r.get(5)?,
            })
        },
    )
    .optional()
}

/// The check itself, and the stream's checks beyond [`CHECKS_PER_STREAM`] dropped.
fn insert_check(conn: &Conn, stream_id: i64, result: &CheckResult, now: i64) -> db::Result<()> {
    conn.prepare_cached(
        "INSERT INTO checks (stream_id, at, ok, layer, error, first_packet_ms, fps, bitrate_kbps)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        stream_id,
        now,
        result.ok(),
        result.layer.as_str(),
        result.error,
        result.first_packet_ms.map(|m| m as i64),
        result.fps,
        result.bitrate_kbps,
    ])?;
    prune_checks(conn, stream_id)
}

/// Stream `stream_id`'s checks beyond the newest [`CHECKS_PER_STREAM`] dropped: at a site as it
/// records one, at the hub as it copies a site's (`replication`).
pub(crate) fn prune_checks(conn: &Conn, stream_id: i64) -> db::Result<()> {
    conn.prepare_cached(
        "DELETE FROM checks WHERE stream_id = ?1 AND id <= (
             SELECT id FROM checks WHERE stream_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![stream_id, CHECKS_PER_STREAM])?;
    Ok(())
}

/// An event to write: its kind, stream and detail.
type Made = (EventKind, Option<String>, serde_json::Value);

/// The state changes of one check, by the layer it got to: a success brings the stream up (and
/// its device online), a refused login holds the stream, `down_after` failures in a row take
/// the device offline (the host did not answer) or the stream down.
fn apply_check(
    conn: &Conn,
    st: &CheckedStream,
    result: &CheckResult,
    down_after: u32,
    now: i64,
) -> db::Result<Vec<Made>> {
    let stream_id = st.id;
    let event = |kind: EventKind, stream: Option<&str>, detail: serde_json::Value| {
        (kind, stream.map(str::to_string), detail)
    };
    let mut made = Vec::new();
    let detail = || {
        serde_json::json!({
            "by": "check",
            "layer": result.layer.as_str(),
            "error": result.error,
        })
    };
    match result.layer {
        CheckLayer::Ok => {
            conn.execute(
                "UPDATE streams SET fails = 0, last_verified = ?2,
                     state_since = CASE WHEN state = 'up' THEN state_since ELSE ?2 END, state = 'up'
                 WHERE id = ?1",
                params![stream_id, now],
            )?;
            conn.execute(
                "UPDATE devices SET last_seen = CASE WHEN last_seen > ?2 THEN last_seen ELSE ?2 END,
                     state_since = CASE WHEN state = 'online' THEN state_since ELSE ?2 END,
                     state = 'online'
                 WHERE id = ?1",
                params![st.device_id, now],
            )?;
            if st.device_state == "offline" {
                made.push(event(
                    EventKind::DeviceOnline,
                    None,
                    serde_json::json!({"by": "check"}),
                ));
            }
            if st.state == "down" {
                made.push(event(
                    EventKind::StreamUp,
                    Some(&st.url),
                    serde_json::json!({"by": "check", "fps": result.fps,
                        "first_packet_ms": result.first_packet_ms}),
                ));
            }
        }
        CheckLayer::Auth => {
            conn.execute(
                "UPDATE streams SET held = 'auth', fails = fails + 1 WHERE id = ?1",
                [stream_id],
            )?;
            made.push(event(EventKind::AuthChanged, Some(&st.url), detail()));
        }
        CheckLayer::Host => {
            conn.execute(
                "UPDATE streams SET fails = fails + 1 WHERE id = ?1",
                [stream_id],
            )?;
            if st.fails + 1 >= i64::from(down_after) && st.device_state != "offline" {
                conn.execute(
                    "UPDATE devices SET state = 'offline', state_since = ?2 WHERE id = ?1",
                    params![st.device_id, now],
                )?;
                made.push(event(EventKind::DeviceOffline, None, detail()));
            }
        }
        _ => {
            conn.execute(
                "UPDATE streams SET fails = fails + 1 WHERE id = ?1",
                [stream_id],
            )?;
            if st.fails + 1 >= i64::from(down_after) && st.state == "up" {
                conn.execute(
                    "UPDATE streams SET state = 'down', state_since = ?2 WHERE id = ?1",
                    params![stream_id, now],
                )?;
                made.push(event(EventKind::StreamDown, Some(&st.url), detail()));
            }
        }
    }
    Ok(made)
}

/// Write the check's events (no scan), in order; returns them as the store lists them.
fn write_events(
    conn: &Conn,
    device_id: i64,
    site: &str,
    made: Vec<Made>,
    now: i64,
) -> db::Result<Vec<StoreEvent>> {
    let mut events = Vec::new();
    for (kind, stream_url, detail) in made {
        let name = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let id = conn
            .prepare_cached(
                "INSERT INTO events (scan_id, at, kind, device_id, stream_url, detail, site)
             VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .insert(params![
                now,
                name,
                device_id,
                stream_url,
                detail.to_string(),
                site
            ])?;
        events.push(StoreEvent {
            id,
            scan_id: None,
            site: site.to_string(),
            at: rfc3339(now),
            kind,
            device_id,
            stream_url,
            detail,
        });
    }
    Ok(events)
}

/// The newest `limit` checks of `stream_id` at or after `since` (Unix ms), oldest first; `None`
/// when no such stream.
pub(crate) fn checks(
    conn: &Conn,
    stream_id: i64,
    since: Option<i64>,
    limit: usize,
) -> db::Result<Option<Vec<CheckRecord>>> {
    let known: Option<i64> = conn
        .query_row("SELECT id FROM streams WHERE id = ?1", [stream_id], |r| {
            r.get(0)
        })
        .optional()?;
    if known.is_none() {
        return Ok(None);
    }
    let mut stmt = conn.prepare(
        "SELECT id, at, ok, layer, error, first_packet_ms, fps, bitrate_kbps FROM checks
          WHERE stream_id = ?1 AND at >= ?2 ORDER BY id DESC LIMIT ?3",
    )?;
    let mut rows = stmt
        .query_map(
            params![
                stream_id,
                since.unwrap_or(i64::MIN),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| {
                Ok(CheckRecord {
                    id: r.get(0)?,
                    stream_id,
                    at: rfc3339(r.get(1)?),
                    ok: r.get(2)?,
                    layer: r.get(3)?,
                    error: r.get(4)?,
                    first_packet_ms: r.get(5)?,
                    fps: r.get(6)?,
                    bitrate_kbps: r.get(7)?,
                })
            },
        )?
        .collect::<db::Result<Vec<_>>>()?;
    rows.reverse();
    Ok(Some(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{
        Engine, both_engines, camera, check, report, scan, stream_of, two_cameras,
    };
    use crate::{Availability, DeviceState};
    use model::Credential;

    both_engines!(
        check_history_and_availability_for_the_page,
        a_stream_goes_down_after_n_failed_checks_and_up_after_one_success,
        an_unreachable_host_is_one_device_offline_and_a_refused_credential_one_auth_changed,
        checks_kept_per_stream_are_bounded,
    );

    /// The page's history reads: a stream's checks (newest `limit`, oldest first, with their
    /// figures) and a device's availability spans from its events.
    fn check_history_and_availability_for_the_page(engine: Engine) {
        let (_d, mut store) = two_cameras(engine);
        let t = stream_of(&store, "10.0.0.5");
        let start = jiff::Timestamp::now();
        for fps in [24.0, 25.0, 26.0] {
            let mut ok = check(CheckLayer::Ok);
            ok.fps = Some(fps);
            ok.bitrate_kbps = Some(fps * 100.0);
            ok.first_packet_ms = Some(fps as u64);
            store.record_check(t.stream_id, &ok, 2).unwrap();
        }
        let all = store.checks(t.stream_id, None, 100).unwrap().unwrap();
        assert_eq!(
            all.iter().map(|c| c.fps).collect::<Vec<_>>(),
            [Some(24.0), Some(25.0), Some(26.0)]
        );
        assert!(all.iter().all(|c| c.ok && c.layer == "ok"));
        assert_eq!(all[2].bitrate_kbps, Some(2600.0));
        assert_eq!(all[2].first_packet_ms, Some(26));
        let newest = store.checks(t.stream_id, None, 2).unwrap().unwrap();
        assert_eq!(
            newest.iter().map(|c| c.id).collect::<Vec<_>>(),
            [all[1].id, all[2].id]
        );
        let later = start + jiff::SignedDuration::from_hours(1);
        assert!(
            store
                .checks(t.stream_id, Some(later), 100)
                .unwrap()
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.checks(999_999, None, 100).unwrap(), None);

        // Two unreachable checks: offline (device_offline); one that reaches it: online.
        for _ in 0..2 {
            store
                .record_check(t.stream_id, &check(CheckLayer::Host), 2)
                .unwrap();
        }
        let day_ago = start - jiff::SignedDuration::from_hours(24);
        let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
        let a = store
            .availability(t.device_id, day_ago, soon)
            .unwrap()
            .unwrap();
        let states: Vec<Availability> = a.spans.iter().map(|s| s.state).collect();
        // First seen by the scan of 2026-01-01 (device_new), long before the window.
        assert_eq!(
            states,
            [Availability::Online, Availability::Offline],
            "{a:?}"
        );
        assert_eq!(a.spans[0].from, a.from);
        assert_eq!(a.spans.last().unwrap().to, a.to);
        store
            .record_check(t.stream_id, &check(CheckLayer::Ok), 2)
            .unwrap();
        let a = store
            .availability(t.device_id, day_ago, soon)
            .unwrap()
            .unwrap();
        assert_eq!(a.spans.last().unwrap().state, Availability::Online, "{a:?}");
        let ratio = a.online_ratio.unwrap();
        assert!(ratio > 0.99 && ratio <= 1.0, "{ratio}");
        assert_eq!(store.availability(999_999, day_ago, soon).unwrap(), None);
    }

    fn a_stream_goes_down_after_n_failed_checks_and_up_after_one_success(engine: Engine) {
        let (_d, mut store) = two_cameras(engine);
        let t = stream_of(&store, "10.0.0.5");
        assert_eq!(t.credential, Some(Credential::new("admin", "12345")));
        assert_eq!(t.fps, Some(25.0));
        assert!(t.up);
        let kinds = |e: Vec<StoreEvent>| e.into_iter().map(|e| e.kind).collect::<Vec<_>>();
        for _ in 0..2 {
            assert_eq!(
                kinds(
                    store
                        .record_check(t.stream_id, &check(CheckLayer::Media), 3)
                        .unwrap()
                ),
                []
            );
        }
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Media), 3)
                    .unwrap()
            ),
            [EventKind::StreamDown]
        );
        // Still failing: no second stream_down.
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Port), 3)
                    .unwrap()
            ),
            []
        );
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Ok), 3)
                    .unwrap()
            ),
            [EventKind::StreamUp]
        );
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Ok), 3)
                    .unwrap()
            ),
            []
        );
        // A failure between successes does not count toward the next run of failures.
        store
            .record_check(t.stream_id, &check(CheckLayer::Media), 2)
            .unwrap();
        store
            .record_check(t.stream_id, &check(CheckLayer::Ok), 2)
            .unwrap();
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Media), 2)
                    .unwrap()
            ),
            []
        );
        // The other camera's stream was never touched.
        assert!(stream_of(&store, "10.0.0.6").up);
    }

    fn an_unreachable_host_is_one_device_offline_and_a_refused_credential_one_auth_changed(
        engine: Engine,
    ) {
        let (_d, mut store) = two_cameras(engine);
        let t = stream_of(&store, "10.0.0.5");
        let kinds = |e: Vec<StoreEvent>| e.into_iter().map(|e| e.kind).collect::<Vec<_>>();
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Host), 2)
                    .unwrap()
            ),
            []
        );
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Host), 2)
                    .unwrap()
            ),
            [EventKind::DeviceOffline]
        );
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Host), 2)
                    .unwrap()
            ),
            []
        );
        let d = store.device("10.0.0.5", None).unwrap().unwrap();
        assert_eq!(d.summary.state, DeviceState::Offline);
        // Its stream is not reported down: the device is.
        assert!(stream_of(&store, "10.0.0.5").up);
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Ok), 2)
                    .unwrap()
            ),
            [EventKind::DeviceOnline]
        );
        // A refused credential: one auth_changed, and the stream is held until the next scan.
        let u = stream_of(&store, "10.0.0.6");
        assert_eq!(
            kinds(
                store
                    .record_check(u.stream_id, &check(CheckLayer::Auth), 3)
                    .unwrap()
            ),
            [EventKind::AuthChanged]
        );
        let creds = [Credential::new("admin", "12345")];
        assert!(
            !store
                .check_targets(None, &creds)
                .unwrap()
                .iter()
                .any(|t| t.stream_id == u.stream_id)
        );
        store
            .record_scan(
                &scan(2, true),
                &report(vec![
                    camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920),
                    camera("aa:bb:cc:00:00:02", "10.0.0.6", 1920),
                ]),
                &creds,
            )
            .unwrap();
        assert!(
            store
                .check_targets(None, &creds)
                .unwrap()
                .iter()
                .any(|t| t.stream_id == u.stream_id)
        );
    }

    fn checks_kept_per_stream_are_bounded(engine: Engine) {
        let (_d, mut store) = two_cameras(engine);
        let t = stream_of(&store, "10.0.0.5");
        for _ in 0..(CHECKS_PER_STREAM + 20) {
            store
                .record_check(t.stream_id, &check(CheckLayer::Ok), 3)
                .unwrap();
        }
        let n: i64 = store
            .conn
            .query_row(
                "SELECT COUNT(*) FROM checks WHERE stream_id = ?1",
                [t.stream_id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, CHECKS_PER_STREAM);
    }
}
