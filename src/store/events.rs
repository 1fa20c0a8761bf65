//! The store as an outbox and a health log, for `camscan watch`.
//!
//! **Outbox.** The `events` table is the outbox: an event is written there in the transaction that
//! derives it, before any sink hears of it. Each sink (`--notify`) has a cursor in `sinks`: the id
//! of the last event it acknowledged. A sink is given the events after its cursor, in id order,
//! and the cursor moves only after delivery, so delivery is at-least-once and in order, across
//! restarts and a sink that is down for hours. A sink seen for the first time starts at the newest
//! event (it is not sent the whole history). Bounded: a sink more than `cap` events behind skips
//! the oldest, and the count it skipped is kept (`dropped`) and logged.
//!
//! **Health.** Stream checks between scans ([`Store::record_check`]) are kept per stream, the last
//! [`CHECKS_PER_STREAM`] of each; the consecutive failures decide `stream_down` (after `down_after`)
//! and one success `stream_up`, and a device whose every stream found its host unreachable goes
//! `device_offline` once (not one `stream_down` per stream).

use super::db::{Conn, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::columns::rfc3339;
use super::{EventKind, StreamState};

/// The version of [`Notice`]'s JSON: a consumer checks it. Raised when a field changes meaning or
/// goes away; new fields may appear without it.
pub const NOTICE_SCHEMA: u32 = 1;

/// Stream checks kept per stream (the newest).
pub const CHECKS_PER_STREAM: i64 = 100;

/// One event as sinks receive it: the store's event with what a consumer needs to act on it
/// without asking the store (the device's identity, the stream's URL). JSON: one object, the
/// NDJSON line of `camscan watch` and the body of a webhook POST.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// [`NOTICE_SCHEMA`].
    pub schema: u32,
    /// The event's id in the store: increasing; a consumer that sees one twice (at-least-once
    /// delivery) drops the second.
    pub id: i64,
    /// When it was derived (RFC 3339, UTC).
    pub at: String,
    pub kind: EventKind,
    /// The scan that derived it; `None` for a stream check's or an announcement's.
    pub scan_id: Option<i64>,
    pub device: NoticeDevice,
    /// The stream it is about (URL without credentials).
    pub stream: Option<String>,
    /// What changed, as `camscan history -f json` shows it (`{"before":..,"after":..}`, the
    /// layer and error of a `stream_down`, ...).
    pub detail: serde_json::Value,
}

/// The device an event is about, as the store knows it at delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeDevice {
    pub id: i64,
    /// The stable identity (`mac:..`, `serial:..`, `uuid:..`, `ip:..`).
    pub key: String,
    pub ip: Option<String>,
    pub mac: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub name: Option<String>,
}

impl Notice {
    /// The state this event leaves its device in, when it says: `device_new`/`device_online`
    /// online, `device_offline` offline.
    pub fn device_online(&self) -> Option<bool> {
        match self.kind {
            EventKind::DeviceNew | EventKind::DeviceOnline => Some(true),
            EventKind::DeviceOffline => Some(false),
            _ => None,
        }
    }

    /// The state this event leaves its finding in, when it is about one: `finding_new` open
    /// (`true`), `finding_resolved` resolved.
    pub fn finding_open(&self) -> Option<bool> {
        match self.kind {
            EventKind::FindingNew => Some(true),
            EventKind::FindingResolved => Some(false),
            _ => None,
        }
    }

    /// The state this event leaves its stream in, when it says.
    pub fn stream_state(&self) -> Option<StreamState> {
        match self.kind {
            EventKind::StreamNew | EventKind::StreamUp => Some(StreamState::Up),
            EventKind::StreamDown | EventKind::StreamGone => Some(StreamState::Down),
            _ => None,
        }
    }
}

/// Where a sink stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The last event delivered.
    pub delivered: i64,
    /// Events skipped because the sink fell more than the cap behind, in all.
    pub dropped: i64,
}

pub(crate) fn latest_event(conn: &Conn) -> super::db::Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(id), 0) FROM events", params![], |r| {
        r.get(0)
    })
}

/// The cursor of `sink`, created at the newest event when the sink is new.
pub(crate) fn cursor(conn: &Conn, sink: &str, now: i64) -> super::db::Result<Cursor> {
    if let Some(c) = conn
        .query_row(
            "SELECT delivered, dropped FROM sinks WHERE name = ?1",
            [sink],
            |r| {
                Ok(Cursor {
                    delivered: r.get(0)?,
                    dropped: r.get(1)?,
                })
            },
        )
        .optional()?
    {
        return Ok(c);
    }
    let delivered = latest_event(conn)?;
    conn.execute(
        "INSERT INTO sinks (name, delivered, dropped, updated) VALUES (?1, ?2, 0, ?3)",
        params![sink, delivered, now],
    )?;
    Ok(Cursor {
        delivered,
        dropped: 0,
    })
}

/// Up to `limit` events after `sink`'s cursor, oldest first. When more than `cap` are waiting,
/// the cursor first skips the oldest (and counts them); returns how many it skipped now.
pub(crate) fn pending(
    conn: &Conn,
    sink: &str,
    cap: i64,
    limit: i64,
    now: i64,
) -> super::db::Result<(Vec<Notice>, i64)> {
    let c = cursor(conn, sink, now)?;
    let waiting: i64 = conn.query_row(
        "SELECT COUNT(*) FROM events WHERE id > ?1",
        [c.delivered],
        |r| r.get(0),
    )?;
    let mut skipped = 0;
    let mut after = c.delivered;
    if waiting > cap {
        // The id of the oldest event kept: the cap newest remain.
        after = conn.query_row(
            "SELECT id FROM events WHERE id > ?1 ORDER BY id LIMIT 1 OFFSET ?2",
            params![c.delivered, waiting - cap - 1],
            |r| r.get(0),
        )?;
        skipped = waiting - cap;
        conn.execute(
            "UPDATE sinks SET delivered = ?2, dropped = dropped + ?3, updated = ?4 WHERE name = ?1",
            params![sink, after, skipped, now],
        )?;
    }
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, e.at, e.kind, e.scan_id, e.stream_url, e.detail,
                d.id, d.key, d.ip, d.mac, d.vendor, d.model, d.firmware, d.name
           FROM events e JOIN devices d ON d.id = e.device_id
          WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], |r| {
        let kind: String = r.get(2)?;
        let detail: String = r.get(5)?;
        Ok(Notice {
            schema: NOTICE_SCHEMA,
            id: r.get(0)?,
            at: rfc3339(r.get(1)?),
            kind: serde_json::from_value(serde_json::Value::String(kind))
                .unwrap_or(EventKind::DeviceNew),
            scan_id: r.get(3)?,
            stream: r.get(4)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            device: NoticeDevice {
                id: r.get(6)?,
                key: r.get(7)?,
                ip: r.get(8)?,
                mac: r.get(9)?,
                vendor: r.get(10)?,
                model: r.get(11)?,
                firmware: r.get(12)?,
                name: r.get(13)?,
            },
        })
    })?;
    let notices = rows.collect::<super::db::Result<Vec<_>>>()?;
    Ok((notices, skipped))
}

/// `sink` delivered every event up to `id`.
pub(crate) fn delivered(conn: &Conn, sink: &str, id: i64, now: i64) -> super::db::Result<()> {
    conn.execute(
        "UPDATE sinks SET delivered = CASE WHEN delivered > ?2 THEN delivered ELSE ?2 END,
             updated = ?3 WHERE name = ?1",
        params![sink, id, now],
    )?;
    Ok(())
}

/// Events waiting for `sink` (its outbox depth).
pub(crate) fn depth(conn: &Conn, sink: &str) -> super::db::Result<i64> {
    conn.query_row(
        "SELECT COUNT(*) FROM events
          WHERE id > COALESCE((SELECT delivered FROM sinks WHERE name = ?1), 0)",
        [sink],
        |r| r.get(0),
    )
}
