//! A device's history over a window of time, as the web page draws it: its availability (online
//! and offline spans from its `device_new`/`device_online`/`device_offline` events) and the
//! stream checks `camscan watch --check-streams` recorded (fps, bitrate, time to first packet).
//!
//! The spans are a pure function of the events ([`spans`], unit-tested below), so the page and
//! any other client read the same answer instead of each re-deriving it from the event list.

use super::db::{Conn, OptionalExtension, params};
use serde::Serialize;

use super::columns::rfc3339;

/// What a device was during one span of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Online,
    Offline,
    /// Before the inventory first saw it.
    Unknown,
}

/// One span of [`DeviceAvailability`]. Times are RFC 3339.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    pub from: String,
    pub to: String,
    pub state: Availability,
}

/// A device's availability from `from` to `to` (`GET /api/v1/devices/{id}/availability`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceAvailability {
    pub device_id: i64,
    pub from: String,
    pub to: String,
    /// Consecutive, covering `from` to `to`, oldest first.
    pub spans: Vec<Span>,
    /// Online time over the time the device was known (not `unknown`) in the window; `null` when
    /// it was not known at all.
    pub online_ratio: Option<f64>,
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

/// The online/offline spans from `from` to `to` (Unix ms) of a device first seen at
/// `first_seen`, given its availability events (time, `true` = came online / is new, `false` =
/// went offline) oldest first, with at most one before `from` (the last one, which sets the state
/// the window starts in).
///
/// With no event before the window (pruned, or none ever), the state before the first event
/// inside it is the opposite of that event; with none inside either, it is `current`.
pub(crate) fn spans(
    from: i64,
    to: i64,
    first_seen: i64,
    events: &[(i64, bool)],
    current: Availability,
) -> Vec<(i64, i64, Availability)> {
    let state_of = |online: bool| {
        if online {
            Availability::Online
        } else {
            Availability::Offline
        }
    };
    let before: Option<&(i64, bool)> = events.iter().rev().find(|(at, _)| *at < from);
    let inside: Vec<&(i64, bool)> = events
        .iter()
        .filter(|(at, _)| *at >= from && *at < to)
        .collect();
    let mut state = match (before, inside.first()) {
        (Some((_, online)), _) => state_of(*online),
        (None, Some((_, online))) => state_of(!*online),
        (None, None) => current,
    };
    let mut out: Vec<(i64, i64, Availability)> = Vec::new();
    let mut push = |a: i64, b: i64, s: Availability| {
        if b <= a {
            return;
        }
        match out.last_mut() {
            Some(last) if last.2 == s && last.1 == a => last.1 = b,
            _ => out.push((a, b, s)),
        }
    };
    let mut at = from;
    if first_seen > from {
        let until = first_seen.min(to);
        push(from, until, Availability::Unknown);
        at = until;
        state = Availability::Online;
    }
    for (t, online) in inside {
        let t = (*t).max(at);
        push(at, t, state);
        at = t;
        state = state_of(*online);
    }
    push(at, to, state);
    out
}

/// [`DeviceAvailability`] of `device_id` from `from` to `to` (Unix ms); `None` when no such
/// device.
pub(crate) fn availability(
    conn: &Conn,
    device_id: i64,
    from: i64,
    to: i64,
) -> super::db::Result<Option<DeviceAvailability>> {
    let Some((first_seen, state)) = conn
        .query_row(
            "SELECT first_seen, state FROM devices WHERE id = ?1",
            [device_id],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?
    else {
        return Ok(None);
    };
    let current = match state.as_str() {
        "online" => Availability::Online,
        "offline" => Availability::Offline,
        _ => Availability::Unknown,
    };
    const KINDS: &str = "('device_new', 'device_online', 'device_offline')";
    let last_before: Option<(i64, String)> = conn
        .query_row(
            &format!(
                "SELECT at, kind FROM events WHERE device_id = ?1 AND at < ?2 AND kind IN {KINDS}
                 ORDER BY at DESC, id DESC LIMIT 1"
            ),
            params![device_id, from],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let mut stmt = conn.prepare(&format!(
        "SELECT at, kind FROM events WHERE device_id = ?1 AND at >= ?2 AND at < ?3 AND kind IN {KINDS}
         ORDER BY at, id"
    ))?;
    let inside = stmt
        .query_map(params![device_id, from, to], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<super::db::Result<Vec<_>>>()?;
    let events: Vec<(i64, bool)> = last_before
        .into_iter()
        .chain(inside)
        .map(|(at, kind)| (at, kind != "device_offline"))
        .collect();
    let spans = spans(from, to, first_seen, &events, current);
    let (mut online, mut known) = (0i64, 0i64);
    for (a, b, s) in &spans {
        match s {
            Availability::Online => {
                online += b - a;
                known += b - a;
            }
            Availability::Offline => known += b - a,
            Availability::Unknown => {}
        }
    }
    Ok(Some(DeviceAvailability {
        device_id,
        from: rfc3339(from),
        to: rfc3339(to),
        spans: spans
            .into_iter()
            .map(|(a, b, state)| Span {
                from: rfc3339(a),
                to: rfc3339(b),
                state,
            })
            .collect(),
        online_ratio: (known > 0).then(|| online as f64 / known as f64),
    }))
}

/// The newest `limit` checks of `stream_id` at or after `since` (Unix ms), oldest first; `None`
/// when no such stream.
pub(crate) fn checks(
    conn: &Conn,
    stream_id: i64,
    since: Option<i64>,
    limit: usize,
) -> super::db::Result<Option<Vec<CheckRecord>>> {
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
        .collect::<super::db::Result<Vec<_>>>()?;
    rows.reverse();
    Ok(Some(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Availability::*;

    const H: i64 = 3_600_000;

    #[test]
    fn a_device_seen_before_the_window_and_never_changed_is_online_throughout() {
        let s = spans(10 * H, 20 * H, 0, &[(0, true)], Online);
        assert_eq!(s, vec![(10 * H, 20 * H, Online)]);
    }

    #[test]
    fn a_device_new_inside_the_window_is_unknown_before() {
        let s = spans(0, 10 * H, 4 * H, &[(4 * H, true)], Online);
        assert_eq!(s, vec![(0, 4 * H, Unknown), (4 * H, 10 * H, Online)]);
    }

    #[test]
    fn offline_and_back_makes_three_spans() {
        let events = [(0, true), (12 * H, false), (15 * H, true)];
        let s = spans(10 * H, 20 * H, 0, &events, Online);
        assert_eq!(
            s,
            vec![
                (10 * H, 12 * H, Online),
                (12 * H, 15 * H, Offline),
                (15 * H, 20 * H, Online)
            ]
        );
    }

    #[test]
    fn the_last_event_before_the_window_sets_its_start() {
        let s = spans(10 * H, 20 * H, 0, &[(5 * H, false)], Online);
        assert_eq!(s, vec![(10 * H, 20 * H, Offline)]);
    }

    #[test]
    fn with_earlier_events_pruned_the_first_inside_tells_the_state_before_it() {
        let s = spans(10 * H, 20 * H, 0, &[(14 * H, true)], Online);
        assert_eq!(s, vec![(10 * H, 14 * H, Offline), (14 * H, 20 * H, Online)]);
        // No event at all: the device's current state.
        assert_eq!(
            spans(10 * H, 20 * H, 0, &[], Offline),
            vec![(10 * H, 20 * H, Offline)]
        );
    }

    #[test]
    fn repeated_states_merge_and_a_device_first_seen_after_the_window_is_unknown() {
        let events = [
            (11 * H, true),
            (12 * H, true),
            (13 * H, false),
            (13 * H, false),
        ];
        let s = spans(10 * H, 20 * H, 11 * H, &events, Offline);
        assert_eq!(
            s,
            vec![
                (10 * H, 11 * H, Unknown),
                (11 * H, 13 * H, Online),
                (13 * H, 20 * H, Offline)
            ]
        );
        assert_eq!(
            spans(10 * H, 20 * H, 30 * H, &[], Online),
            vec![(10 * H, 20 * H, Unknown)]
        );
    }
}
