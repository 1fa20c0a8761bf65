//! Streams as the inventory remembers them (their URLs never carry credentials): the columns one
//! is read from (shared with a device's detail, `devices`), streams with their ids and their
//! devices' (`GET /api/v1/streams`), and which credential opened which stream, as group numbers
//! (`audit --from-db`'s credential reuse; the keyed hash itself stays in the store).

use serde::Serialize;

use super::columns::{parse_auth, parse_status, rfc3339};
use super::db::{self, Conn, Row, params};
use super::{Store, StoreError, StreamState};
use model::{AudioInfo, AuthScheme, Measured, Protocol, StreamStatus, VideoInfo};

/// A stream as the store remembers it. The URL never carries credentials.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamRecord {
    pub url: String,
    pub protocol: Protocol,
    pub port: u16,
    pub status: StreamStatus,
    pub auth: AuthScheme,
    pub username: Option<String>,
    pub video: Option<VideoInfo>,
    pub audio: Option<AudioInfo>,
    pub measured: Option<Measured>,
    pub state: StreamState,
    pub state_since: String,
    pub first_seen: String,
    pub last_seen: String,
    /// RFC 3339: the last time media packets were received from it.
    pub last_verified: Option<String>,
}

impl StreamRecord {
    /// The stream as the scan model describes it, for the model's main-stream ranking
    /// ([`model::stream_rank`]): verified once media was received from it.
    pub fn as_model(&self) -> model::Stream {
        let mut s = model::Stream::new(self.url.clone(), self.protocol, self.port);
        s.status = self.status;
        s.auth = self.auth;
        s.verified = self.last_verified.is_some();
        s.video.clone_from(&self.video);
        s.measured.clone_from(&self.measured);
        s
    }
}

/// A stream with its id and its device's (the API's `GET /api/v1/streams`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamEntry {
    pub id: i64,
    pub device_id: i64,
    #[serde(flatten)]
    pub stream: StreamRecord,
}

impl Store {
    /// How many streams the inventory holds in each state (`camscan_streams{state}`).
    pub fn stream_counts(&self) -> Result<Vec<(StreamState, u64)>, StoreError> {
        let counts = || -> db::Result<Vec<(StreamState, u64)>> {
            let mut stmt = self
                .conn
                .prepare("SELECT state, COUNT(*) FROM streams GROUP BY state")?;
            let rows = stmt.query_map(params![], |r| {
                Ok((
                    super::columns::parse_stream_state(&r.get::<_, String>(0)?),
                    r.get::<_, i64>(1)?,
                ))
            })?;
            rows.map(|r| r.map(|(s, n)| (s, u64::try_from(n).unwrap_or(0))))
                .collect()
        };
        counts().map_err(|e| self.err(e))
    }

    /// Up to `limit` streams with their ids and their devices', by id: of `device` (any when
    /// `None`), in `state` (any when `None`), with an id above `after`.
    pub fn streams(
        &self,
        device: Option<i64>,
        state: Option<StreamState>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StreamEntry>, StoreError> {
        streams(&self.conn, device, state, after, limit).map_err(|e| self.err(e))
    }

    /// Which credential opened each stream (`audit --from-db`'s credential-reuse): `(device id,
    /// stream URL, group)`, streams opened by one credential sharing a group number; the
    /// credential is never read back (the store keeps only its keyed hash).
    pub fn stream_credentials(
        &self,
        site: Option<&str>,
    ) -> Result<Vec<(i64, String, usize)>, StoreError> {
        stream_credentials(&self.conn, site).map_err(|e| self.err(e))
    }

    /// The login that opened each device of `site` before, by its identity (issue 82): per
    /// device whose stream was opened by an entry of `creds` (matched by keyed hash, whatever the
    /// entry's scope), that entry, with the device's keys and last address. A scan tries it first
    /// on the device wherever it is found ([`model::known::KnownLogin`]).
    pub fn known_logins(
        &self,
        site: &str,
        creds: &[model::Credential],
    ) -> Result<Vec<model::known::KnownLogin>, StoreError> {
        known_logins(&self.conn, &self.key, site, creds).map_err(|e| self.err(e))
    }
}

/// [`Store::known_logins`]: the newest stream of each device that a credential of `creds` opened.
fn known_logins(
    conn: &Conn,
    key: &[u8],
    site: &str,
    creds: &[model::Credential],
) -> db::Result<Vec<model::known::KnownLogin>> {
    if creds.is_empty() {
        return Ok(Vec::new());
    }
    let by_hash: std::collections::HashMap<Vec<u8>, &model::Credential> = creds
        .iter()
        .map(|c| (super::columns::cred_hash(key, &c.username, &c.password), c))
        .collect();
    let rows = conn.query_all(
        "SELECT d.id, d.mac, d.serial_key, d.vendor, d.uuid, d.ip, s.cred
         FROM streams s JOIN devices d ON d.id = s.device_id
         WHERE s.cred IS NOT NULL AND s.status = 'ok' AND d.site = ?1
         ORDER BY d.id, s.last_seen DESC, s.id",
        params![site],
    )?;
    let mut out: Vec<model::known::KnownLogin> = Vec::new();
    let mut last: Option<i64> = None;
    for r in rows {
        let id: i64 = r.get(0)?;
        let hash: Vec<u8> = r.get(6)?;
        let Some(c) = by_hash.get(&hash) else {
            continue;
        };
        if last == Some(id) {
            continue;
        }
        last = Some(id);
        let identity = model::identity::Identity {
            mac: r.get(1)?,
            serial: r.get(2)?,
            vendor: r
                .get::<_, Option<String>>(3)?
                .map(|v| v.to_ascii_lowercase()),
            uuid: r.get(4)?,
        };
        if identity.is_empty() {
            // Known by its address alone: nothing recognises it elsewhere.
            continue;
        }
        out.push(model::known::KnownLogin {
            identity,
            ip: r.get::<_, Option<String>>(5)?.and_then(|s| s.parse().ok()),
            credential: (*c).clone(),
        });
    }
    Ok(out)
}

/// The columns [`stream_record`] reads, then the stream's id and its device's.
pub(super) const STREAM_COLUMNS: &str =
    "SELECT s.url, s.protocol, s.port, s.status, s.auth, s.username, t.text,
        s.state, s.state_since, s.first_seen, s.last_seen, s.last_verified, s.measured,
        s.id, s.device_id
    FROM streams s LEFT JOIN texts t ON t.id = s.media";

pub(super) fn stream_record(r: &Row) -> db::Result<StreamRecord> {
    let media: serde_json::Value = r
        .get::<_, Option<String>>(6)?
        .and_then(|m| serde_json::from_str(&m).ok())
        .unwrap_or_default();
    Ok(StreamRecord {
        url: r.get(0)?,
        protocol: serde_json::from_value(serde_json::Value::String(r.get(1)?))
            .unwrap_or(Protocol::Rtsp),
        port: r.get(2)?,
        // `ok` in the column is `ok` only for a stream that plays (its state `up`).
        status: parse_status(&r.get::<_, String>(3)?).settled(
            super::columns::parse_stream_state(&r.get::<_, String>(7)?) == StreamState::Up,
        ),
        auth: parse_auth(&r.get::<_, String>(4)?),
        username: r.get(5)?,
        video: serde_json::from_value(media["video"].clone())
            .ok()
            .flatten(),
        audio: serde_json::from_value(media["audio"].clone())
            .ok()
            .flatten(),
        measured: r
            .get::<_, Option<String>>(12)?
            .as_deref()
            .and_then(super::columns::parse_measured),
        state: super::columns::parse_stream_state(&r.get::<_, String>(7)?),
        state_since: rfc3339(r.get(8)?),
        first_seen: rfc3339(r.get(9)?),
        last_seen: rfc3339(r.get(10)?),
        last_verified: r.get::<_, Option<i64>>(11)?.map(rfc3339),
    })
}

/// Streams with their ids and their devices', by id: of `device` (any when `None`), in `state`,
/// with an id above `after`, at most `limit`.
pub(crate) fn streams(
    conn: &Conn,
    device: Option<i64>,
    state: Option<StreamState>,
    after: Option<i64>,
    limit: usize,
) -> db::Result<Vec<StreamEntry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{STREAM_COLUMNS} WHERE (?1 IS NULL OR s.device_id = ?1) AND (?2 IS NULL OR s.state = ?2)
           AND (?3 IS NULL OR s.id > ?3)
         ORDER BY s.id LIMIT ?4"
    ))?;
    let state = state.map(super::columns::stream_state_str);
    stmt.query_map(params![device, state, after, limit as i64], |r| {
        Ok(StreamEntry {
            id: r.get(13)?,
            device_id: r.get(14)?,
            stream: stream_record(r)?,
        })
    })?
    .collect()
}

/// Which credential opened each stream, as group numbers (one per keyed hash, numbered in
/// stream order; the hash itself stays in the store): `(device id, stream URL, group)`, of one
/// site or all.
pub(crate) fn stream_credentials(
    conn: &Conn,
    site: Option<&str>,
) -> db::Result<Vec<(i64, String, usize)>> {
    let rows = conn.query_all(
        "SELECT s.device_id, s.url, s.cred FROM streams s JOIN devices d ON d.id = s.device_id
         WHERE s.cred IS NOT NULL AND (?1 IS NULL OR d.site = ?1) ORDER BY s.id",
        params![site],
    )?;
    let mut groups: Vec<Vec<u8>> = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let hash: Vec<u8> = r.get(2)?;
        let group = match groups.iter().position(|g| *g == hash) {
            Some(g) => g,
            None => {
                groups.push(hash);
                groups.len() - 1
            }
        };
        out.push((r.get(0)?, r.get(1)?, group));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Engine, both_engines, camera, report, scan, two_cameras};
    use crate::{DeviceQuery, EventQuery};
    use model::Credential;

    both_engines!(pages_by_id_for_the_api);
    both_engines!(a_devices_login_is_known_by_its_identity_whatever_its_scope);

    /// Issue 82: the entry that opened a device is found by its keyed hash even when it is scoped
    /// to another address, with the device's MAC; an entry no stream was opened by is not.
    fn a_devices_login_is_known_by_its_identity_whatever_its_scope(engine: Engine) {
        let (_dir, store) = two_cameras(engine);
        // The entry `10.0.0.5 admin:12345` of a credentials file.
        let scoped = Credential {
            scope: Some(model::addr::AddrRange::single("10.0.0.5".parse().unwrap())),
            ..Credential::new("admin", "12345")
        };
        let other = Credential::new("admin", "54321");
        let logins = store
            .known_logins("lab", &[other.clone(), scoped.clone()])
            .unwrap();
        assert_eq!(logins.len(), 2, "{logins:?}");
        assert_eq!(logins[0].identity.mac.as_deref(), Some("aa:bb:cc:00:00:01"));
        assert_eq!(logins[0].ip, Some("10.0.0.5".parse().unwrap()));
        assert_eq!(logins[0].credential, scoped, "the entry, scope and all");
        assert_eq!(logins[1].identity.mac.as_deref(), Some("aa:bb:cc:00:00:02"));
        assert!(store.known_logins("lab", &[other]).unwrap().is_empty());
        assert!(
            store
                .known_logins("elsewhere", &[scoped])
                .unwrap()
                .is_empty()
        );
    }

    /// The API's reads: pages of devices by id (filters and text in SQL), streams with ids,
    /// events by id before a cursor and after a last-seen id.
    fn pages_by_id_for_the_api(engine: Engine) {
        let (_dir, mut store) = two_cameras(engine);
        store
            .record_scan(
                &scan(2, true),
                &report(vec![
                    camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920),
                    camera("aa:bb:cc:00:00:02", "10.0.0.6", 1920),
                    camera("aa:bb:cc:00:00:03", "10.0.0.7", 1280),
                ]),
                &[Credential::new("admin", "12345")],
            )
            .unwrap();
        let any = DeviceQuery::default();
        let all = store.devices_page(&any, None, None, 100).unwrap();
        let ids: Vec<i64> = all.iter().map(|d| d.id).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let first = store.devices_page(&any, None, None, 2).unwrap();
        let rest = store
            .devices_page(&any, None, Some(first[1].id), 2)
            .unwrap();
        assert_eq!(
            first.iter().chain(&rest).map(|d| d.id).collect::<Vec<_>>(),
            ids
        );
        let text = |t: &str| store.devices_page(&any, Some(t), None, 100).unwrap().len();
        assert_eq!(text("10.0.0.7"), 1);
        assert_eq!(text("AA:BB:CC:00:00:0"), 3);
        assert_eq!(text("HIKVISION"), 3);
        assert_eq!(text("axis"), 0);

        let streams = store.streams(None, None, None, 100).unwrap();
        assert_eq!(streams.len(), 3);
        let first = store.streams(None, Some(StreamState::Up), None, 2).unwrap();
        let rest = store
            .streams(None, Some(StreamState::Up), Some(first[1].id), 2)
            .unwrap();
        assert_eq!(
            first.iter().chain(&rest).cloned().collect::<Vec<_>>(),
            streams
        );
        assert!(
            store
                .streams(None, Some(StreamState::Down), None, 100)
                .unwrap()
                .is_empty()
        );
        let d7 = store.device("10.0.0.7", None).unwrap().unwrap();
        let s7: Vec<_> = streams
            .iter()
            .filter(|s| s.device_id == d7.summary.id)
            .collect();
        assert_eq!(s7.len(), 1);
        assert!(!s7[0].stream.url.contains("12345"), "{}", s7[0].stream.url);
        assert_eq!(s7[0].stream, d7.streams[0]);

        let newest = store.last_event_id().unwrap();
        let events = store.events_before(&EventQuery::default(), None).unwrap();
        assert_eq!(events[0].id, newest);
        assert!(events.windows(2).all(|w| w[0].id > w[1].id));
        let older = store
            .events_before(&EventQuery::default(), Some(events[0].id))
            .unwrap();
        assert_eq!(older, events[1..]);
        let after = store.events_after(events[2].id, 100).unwrap();
        let mut expected = events[..2].to_vec();
        expected.reverse();
        assert_eq!(after, expected);
        assert_eq!(store.events_after(newest, 100).unwrap(), vec![]);
        assert_eq!(store.events_after(0, 1).unwrap().len(), 1);
    }
}
