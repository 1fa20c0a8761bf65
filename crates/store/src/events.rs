//! Events: what changed, as the store derived it (a scan, a stream check, an audit), read back
//! newest first (`camscan history`), in pages by id (`GET /api/v1/events`) and after a last-seen
//! id (the live feed); and the events as an outbox, for `camscan watch`'s sinks.
//!
//! **Outbox.** The `events` table is the outbox: an event is written there in the transaction that
//! derives it, before any sink hears of it. Each sink (`--notify`) has a cursor in `sinks`: the id
//! of the last event it acknowledged. A sink is given the events after its cursor, in id order,
//! and the cursor moves only after delivery, so delivery is at-least-once and in order, across
//! restarts and a sink that is down for hours. A sink seen for the first time starts at the newest
//! event (it is not sent the whole history). Bounded: a sink more than `cap` events behind skips
//! the oldest, and the count it skipped is kept (`dropped`) and logged.

use serde::{Deserialize, Serialize};

use super::columns::rfc3339;
use super::db::{self, Conn, OptionalExtension, Row, params};
use super::{EventKind, Store, StoreError, StoreEvent, lookup};

/// Filters of [`Store::events`]; `None` = any.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Device id, address or MAC.
    pub device: Option<String>,
    pub since: Option<jiff::Timestamp>,
    pub kind: Option<EventKind>,
    pub limit: Option<usize>,
    /// Of this site only (and the device, when named, is looked up at it).
    pub site: Option<String>,
}

/// The version of [`Notice`]'s JSON: a consumer checks it. Raised when a field changes meaning or
/// goes away; new fields may appear without it.
pub const NOTICE_SCHEMA: u32 = 1;

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

    /// Whether this event leaves its stream's server answering for it, when it says (whether
    /// the stream plays is its state, [`crate::StreamState`]).
    pub fn stream_answers(&self) -> Option<bool> {
        match self.kind {
            EventKind::StreamNew | EventKind::StreamUp => Some(true),
            EventKind::StreamDown | EventKind::StreamGone => Some(false),
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

impl Store {
    /// The device an event query names, resolved; one that is not known is
    /// [`StoreError::NotFound`].
    pub(super) fn event_device(&self, q: &EventQuery) -> Result<Option<i64>, StoreError> {
        match &q.device {
            Some(key) => Ok(Some(
                lookup::resolve(&self.conn, key, q.site.as_deref())
                    .map_err(|e| self.err(e))?
                    .ok_or_else(|| self.not_found(format!("no device {key:?} in the inventory")))?,
            )),
            None => Ok(None),
        }
    }

    /// Events, newest first. A device that is not known is [`StoreError::NotFound`].
    pub fn events(&self, q: &EventQuery) -> Result<Vec<StoreEvent>, StoreError> {
        let device = self.event_device(q)?;
        list(&self.conn, device, q).map_err(|e| self.err(e))
    }

    /// The address each of `events`' devices had at the event, by event id (`camscan history`
    /// shows it, not the device's address today): the one the event names (`device_new`,
    /// `device_online`, `device_offline`: its `address`; `address_changed`: its `after`), else
    /// the one its scan saw the device at, else the one the inventory knew the device at then.
    /// An event with none of these is left out (its device's address is all there is).
    pub fn event_addresses(
        &self,
        events: &[StoreEvent],
    ) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        let mut out = std::collections::HashMap::new();
        for e in events {
            let found = match named_address(e) {
                Some(a) => Some(a),
                None => address_then(&self.conn, e).map_err(|err| self.err(err))?,
            };
            out.extend(found.map(|a| (e.id, a)));
        }
        Ok(out)
    }

    /// Events as [`Store::events`] filters them, but newest id first and only those with an id
    /// below `before`: pages a cursor (the last id of the previous page) continues exactly.
    pub fn events_before(
        &self,
        q: &EventQuery,
        before: Option<i64>,
    ) -> Result<Vec<StoreEvent>, StoreError> {
        let device = self.event_device(q)?;
        events_by_id(&self.conn, device, q, before).map_err(|e| self.err(e))
    }

    /// Up to `limit` events with an id above `after`, oldest first: what a live reader that last
    /// saw `after` missed.
    pub fn events_after(&self, after: i64, limit: usize) -> Result<Vec<StoreEvent>, StoreError> {
        events_after(&self.conn, after, limit).map_err(|e| self.err(e))
    }

    /// The newest event's id; 0 when there is none.
    pub fn last_event_id(&self) -> Result<i64, StoreError> {
        last_event_id(&self.conn).map_err(|e| self.err(e))
    }

    /// Where `sink` stands in the outbox; a sink seen for the first time starts at the newest
    /// event.
    pub fn sink_cursor(&self, sink: &str) -> Result<Cursor, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        cursor(&self.conn, sink, now).map_err(|e| self.err(e))
    }

    /// Up to `limit` events waiting for `sink`, oldest first, and how many of the oldest it
    /// skipped now because more than `cap` were waiting.
    pub fn pending(
        &self,
        sink: &str,
        cap: i64,
        limit: i64,
    ) -> Result<(Vec<Notice>, i64), StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        pending(&self.conn, sink, cap, limit, now).map_err(|e| self.err(e))
    }

    /// `sink` has every event up to `id`.
    pub fn delivered(&self, sink: &str, id: i64) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        delivered(&self.conn, sink, id, now).map_err(|e| self.err(e))
    }

    /// Events waiting for `sink`.
    pub fn outbox_depth(&self, sink: &str) -> Result<i64, StoreError> {
        depth(&self.conn, sink).map_err(|e| self.err(e))
    }
}

/// An event kind as the `events.kind` column spells it (serde's spelling), read back.
pub(crate) fn parse_kind(s: &str) -> Option<EventKind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// An event kind as the `events.kind` column spells it.
pub(crate) fn kind_str(k: EventKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn event_row(r: &Row) -> db::Result<StoreEvent> {
    Ok(StoreEvent {
        id: r.get(0)?,
        scan_id: r.get(1)?,
        at: rfc3339(r.get(2)?),
        kind: parse_kind(&r.get::<_, String>(3)?).unwrap_or(EventKind::DeviceNew),
        device_id: r.get(4)?,
        stream_url: r.get(5)?,
        detail: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
        site: r.get(7)?,
    })
}

/// The address an event names in its detail: `address` (a device found, back or gone),
/// `after` (its address changed).
pub(crate) fn named_address(e: &StoreEvent) -> Option<String> {
    let field = match e.kind {
        EventKind::DeviceNew | EventKind::DeviceOnline | EventKind::DeviceOffline => "address",
        EventKind::AddressChanged => "after",
        _ => return None,
    };
    e.detail
        .get(field)
        .and_then(serde_json::Value::as_str)
        .filter(|a| a.parse::<std::net::IpAddr>().is_ok())
        .map(str::to_string)
}

/// The address the event's scan saw its device at (the scan's `seen` line begins with it), else
/// the one of the device's addresses it had at the event's time (the newest such, when two
/// overlap).
fn address_then(conn: &Conn, e: &StoreEvent) -> db::Result<Option<String>> {
    if let Some(scan) = e.scan_id {
        let seen: Option<String> = conn
            .query_row(
                "SELECT t.text FROM scan_devices sd JOIN texts t ON t.id = sd.seen
                 WHERE sd.scan_id = ?1 AND sd.device_id = ?2",
                params![scan, e.device_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(ip) = seen
            .as_deref()
            .and_then(|s| s.split('|').next())
            .filter(|a| a.parse::<std::net::IpAddr>().is_ok())
        {
            return Ok(Some(ip.to_string()));
        }
    }
    let at = super::columns::millis(&e.at);
    conn.query_row(
        "SELECT ip FROM addresses WHERE device_id = ?1 AND first_seen <= ?2 AND last_seen >= ?2
         ORDER BY first_seen DESC LIMIT 1",
        params![e.device_id, at],
        |r| r.get(0),
    )
    .optional()
}

/// Events matching `q` (the device already resolved to `device`), newest first.
pub(crate) fn list(
    conn: &Conn,
    device: Option<i64>,
    q: &EventQuery,
) -> db::Result<Vec<StoreEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, scan_id, at, kind, device_id, stream_url, detail, site FROM events
         WHERE (?1 IS NULL OR device_id = ?1) AND (?2 IS NULL OR at >= ?2)
           AND (?3 IS NULL OR kind = ?3) AND (?5 IS NULL OR site = ?5)
         ORDER BY at DESC, id DESC LIMIT ?4",
    )?;
    let limit = q.limit.map_or(i64::MAX, |l| l as i64);
    stmt.query_map(
        params![
            device,
            q.since.map(|t| t.as_millisecond()),
            q.kind.map(kind_str),
            limit,
            q.site,
        ],
        event_row,
    )?
    .collect()
}

/// Events matching `q` (the device already resolved to `device`) with an id below `before`,
/// newest id first: pages that a cursor (the last id of a page) continues exactly.
pub(crate) fn events_by_id(
    conn: &Conn,
    device: Option<i64>,
    q: &EventQuery,
    before: Option<i64>,
) -> db::Result<Vec<StoreEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, scan_id, at, kind, device_id, stream_url, detail, site FROM events
         WHERE (?1 IS NULL OR device_id = ?1) AND (?2 IS NULL OR at >= ?2)
           AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR id < ?4)
           AND (?6 IS NULL OR site = ?6)
         ORDER BY id DESC LIMIT ?5",
    )?;
    let limit = q.limit.map_or(i64::MAX, |l| l as i64);
    stmt.query_map(
        params![
            device,
            q.since.map(|t| t.as_millisecond()),
            q.kind.map(kind_str),
            before,
            limit,
            q.site,
        ],
        event_row,
    )?
    .collect()
}

/// Up to `limit` events with an id above `after`, oldest first (what a live reader missed).
pub(crate) fn events_after(conn: &Conn, after: i64, limit: usize) -> db::Result<Vec<StoreEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, scan_id, at, kind, device_id, stream_url, detail, site FROM events
         WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    stmt.query_map(params![after, limit as i64], event_row)?
        .collect()
}

/// The newest event's id (0 when there is none).
pub(crate) fn last_event_id(conn: &Conn) -> db::Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(id), 0) FROM events", params![], |r| {
        r.get(0)
    })
}

/// The cursor of `sink`, created at the newest event when the sink is new.
pub(crate) fn cursor(conn: &Conn, sink: &str, now: i64) -> db::Result<Cursor> {
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
    let delivered = last_event_id(conn)?;
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
) -> db::Result<(Vec<Notice>, i64)> {
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
    let notices = rows.collect::<db::Result<Vec<_>>>()?;
    Ok((notices, skipped))
}

/// `sink` delivered every event up to `id`.
pub(crate) fn delivered(conn: &Conn, sink: &str, id: i64, now: i64) -> db::Result<()> {
    conn.execute(
        "UPDATE sinks SET delivered = CASE WHEN delivered > ?2 THEN delivered ELSE ?2 END,
             updated = ?3 WHERE name = ?1",
        params![sink, id, now],
    )?;
    Ok(())
}

/// Events waiting for `sink` (its outbox depth).
pub(crate) fn depth(conn: &Conn, sink: &str) -> db::Result<i64> {
    conn.query_row(
        "SELECT COUNT(*) FROM events
          WHERE id > COALESCE((SELECT delivered FROM sinks WHERE name = ?1), 0)",
        [sink],
        |r| r.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CheckLayer;
    use crate::testing::{Engine, both_engines, check, stream_of, two_cameras};

    both_engines!(
        the_outbox_gives_each_sink_its_events_in_order_from_where_it_joined,
        each_event_has_the_address_its_device_had_then,
    );

    /// A camera found at .5, a port opened there, then moved to .9: `history` shows each event
    /// with the address of its time (issue 72: every row said .9, today's).
    fn each_event_has_the_address_its_device_had_then(engine: Engine) {
        use crate::testing::{TestDb, camera, report, scan};
        let db = TestDb::new(engine);
        let mut s = db.open();
        let mac = "aa:bb:cc:00:00:41";
        let at = |ip: &str, ports: &[u16]| {
            let mut c = camera(mac, ip, 640);
            c.open_ports = ports.to_vec();
            report(vec![c])
        };
        s.record_scan(&scan(1, true), &at("10.0.0.5", &[554]), &[])
            .unwrap();
        s.record_scan(&scan(2, true), &at("10.0.0.5", &[80, 554]), &[])
            .unwrap();
        s.record_scan(&scan(3, true), &at("10.0.0.9", &[80, 554]), &[])
            .unwrap();
        let events = s.events(&EventQuery::default()).unwrap();
        let then = s.event_addresses(&events).unwrap();
        let got: Vec<(EventKind, &str)> = events
            .iter()
            .rev()
            .map(|e| (e.kind, then.get(&e.id).map_or("-", String::as_str)))
            .collect();
        assert_eq!(
            got,
            [
                (EventKind::DeviceNew, "10.0.0.5"),
                (EventKind::PortOpened, "10.0.0.5"),
                (EventKind::AddressChanged, "10.0.0.9"),
            ]
        );
    }

    fn the_outbox_gives_each_sink_its_events_in_order_from_where_it_joined(engine: Engine) {
        let (_d, mut store) = two_cameras(engine);
        // A sink that joins now does not get the history.
        assert_eq!(store.pending("a", 100, 10).unwrap().0, []);
        let t = stream_of(&store, "10.0.0.5");
        for _ in 0..2 {
            store
                .record_check(t.stream_id, &check(CheckLayer::Port), 1)
                .unwrap();
            store
                .record_check(t.stream_id, &check(CheckLayer::Ok), 1)
                .unwrap();
        }
        let (events, skipped) = store.pending("a", 100, 10).unwrap();
        assert_eq!(skipped, 0);
        let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
        use EventKind::*;
        assert_eq!(kinds, [StreamDown, StreamUp, StreamDown, StreamUp]);
        assert!(events.windows(2).all(|w| w[0].id < w[1].id));
        let n = &events[0];
        assert_eq!(n.schema, NOTICE_SCHEMA);
        assert_eq!(n.device.ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(n.device.mac.as_deref(), Some("aa:bb:cc:00:00:01"));
        assert_eq!(
            n.stream.as_deref(),
            Some("rtsp://10.0.0.5:554/Streaming/Channels/101")
        );
        assert_eq!(n.detail["layer"], "port");
        assert_eq!(n.stream_answers(), Some(false));
        // Delivered up to the second: the rest stay, across a reopen.
        store.delivered("a", events[1].id).unwrap();
        assert_eq!(store.outbox_depth("a").unwrap(), 2);
        drop(store);
        let mut store = _d.open();
        let (left, _) = store.pending("a", 100, 10).unwrap();
        assert_eq!(left, events[2..]);
        // Over the cap: the oldest are skipped and counted.
        for _ in 0..3 {
            store
                .record_check(t.stream_id, &check(CheckLayer::Port), 1)
                .unwrap();
            store
                .record_check(t.stream_id, &check(CheckLayer::Ok), 1)
                .unwrap();
        }
        let (kept, skipped) = store.pending("a", 3, 10).unwrap();
        assert_eq!((kept.len(), skipped), (3, 5));
        assert_eq!(store.sink_cursor("a").unwrap().dropped, 5);
        assert_eq!(kept.last().unwrap().kind, StreamUp);
    }
}
