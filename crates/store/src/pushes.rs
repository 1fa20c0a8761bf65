//! `camscan push`'s ledger (`pushes`): what camscan wrote into another tool, where, for which
//! camera, and a hash of the tool's own read-back of it (`camscan::push` plans from it). A row is
//! written only after the tool has answered and its read-back was hashed; the passwords written
//! are kept only as a keyed MAC under the inventory's credential key ([`super::cred_key`]), so a
//! copy of the inventory tells nobody a camera's password.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::db::{Conn, params};
use super::{Store, StoreError};

/// One entry camscan owns in one tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRecord {
    /// `frigate`, `go2rtc`, `mediamtx`.
    pub tool: String,
    /// The tool's URL without credentials.
    pub target: String,
    /// The entry's name in the tool (camscan's; a person may have renamed it since, see
    /// `tool_key`).
    pub name: String,
    /// The tool's own key of the entry, where it has one beside the name people see (Home
    /// Assistant's config entry id): the entry is found by it after a person renamed it.
    pub tool_key: Option<String>,
    /// The camera: its device (`devices.id`) and channel (1 but on an NVR).
    pub device_id: i64,
    pub channel: u32,
    /// JSON of what camscan wrote, every password masked.
    pub written: String,
    /// SHA-256 (hex) of the tool's read-back of the fields written, passwords masked.
    pub hash: String,
    /// [`Store::secret_mac`] of the passwords written; `None` when none was.
    pub secret: Option<Vec<u8>>,
    /// Unix milliseconds.
    pub written_at: i64,
    /// What camscan is writing now, recorded before the request is sent and cleared once the
    /// tool's read-back is hashed: a push killed in between leaves the plan able to tell its own
    /// write from a person's (`camscan::push::plan`). An add not yet read back has an empty
    /// `hash`.
    pub pending: Option<Pending>,
}

/// A write sent and not yet read back: what it writes and the passwords it carries, which become
/// the row's `written` and `secret` once the tool is seen holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// As [`PushRecord::written`].
    pub written: String,
    /// As [`PushRecord::secret`].
    pub secret: Option<Vec<u8>>,
}

/// A device the inventory describes, with its store id (what the ledger names).
#[derive(Debug, Clone)]
pub struct StoredDevice {
    pub id: i64,
    pub device: model::Device,
}

/// Which login opened a stream, as the inventory keeps it: the user name and the keyed hash of
/// `user:password` ([`super::columns::cred_hash`]), never the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLogin {
    pub device_id: i64,
    pub url: String,
    pub username: String,
    pub hash: Vec<u8>,
}

/// One entry camscan wrote for a device: where, and under which name (`show`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PushedAs {
    pub tool: String,
    /// The tool's URL, without credentials.
    pub target: String,
    /// The entry's name in the tool.
    pub name: String,
    /// RFC 3339 UTC time camscan last wrote it.
    pub written_at: String,
}

/// The entries camscan wrote for device `id`, by tool, target and name.
pub(super) fn pushed_as(conn: &Conn, id: i64) -> super::db::Result<Vec<PushedAs>> {
    pushed_where(conn, "device_id = ?1", id)
}

/// The entries camscan wrote for the devices not seen since `cutoff` (Unix ms): what `prune`
/// leaves in the tools.
pub(super) fn pushed_before(conn: &Conn, cutoff: i64) -> super::db::Result<Vec<PushedAs>> {
    pushed_where(
        conn,
        "device_id IN (SELECT id FROM devices WHERE last_seen < ?1)",
        cutoff,
    )
}

fn pushed_where(conn: &Conn, filter: &str, value: i64) -> super::db::Result<Vec<PushedAs>> {
    let rows = conn.query_all(
        &format!(
            "SELECT tool, target, name, written_at FROM pushes WHERE {filter}
              ORDER BY tool, target, name"
        ),
        params![value],
    )?;
    let mut out = Vec::new();
    for r in rows {
        let at: i64 = r.get(3)?;
        out.push(PushedAs {
            tool: r.get(0)?,
            target: r.get(1)?,
            name: r.get(2)?,
            written_at: jiff::Timestamp::from_millisecond(at)
                .map(|t| t.to_string())
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

impl Store {
    /// The entries camscan wrote for the device `key` (an id, address or MAC, as `forget` takes
    /// it): what `forget` leaves in the tools.
    pub fn pushed_for(&self, key: &str, site: Option<&str>) -> Result<Vec<PushedAs>, StoreError> {
        let Some(id) = super::lookup::resolve(&self.conn, key, site).map_err(|e| self.err(e))?
        else {
            return Ok(Vec::new());
        };
        pushed_as(&self.conn, id).map_err(|e| self.err(e))
    }

    /// The entries camscan wrote into `tool` at `target`, by name.
    pub fn pushes(&self, tool: &str, target: &str) -> Result<Vec<PushRecord>, StoreError> {
        pushes(&self.conn, tool, target).map_err(|e| self.err(e))
    }

    /// Record (or replace) what camscan wrote under `r.name`.
    pub fn record_push(&mut self, r: &PushRecord) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO pushes (tool, target, name, device_id, channel, written, hash, secret,
                                     written_at, pending, pending_secret, tool_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (tool, target, name) DO UPDATE SET device_id = excluded.device_id,
                     channel = excluded.channel, written = excluded.written, hash = excluded.hash,
                     secret = excluded.secret, written_at = excluded.written_at,
                     pending = excluded.pending, pending_secret = excluded.pending_secret,
                     tool_key = COALESCE(excluded.tool_key, pushes.tool_key)",
                params![
                    r.tool,
                    r.target,
                    r.name,
                    r.device_id,
                    i64::from(r.channel),
                    r.written,
                    r.hash,
                    r.secret,
                    r.written_at,
                    r.pending.as_ref().map(|p| p.written.clone()),
                    r.pending.as_ref().and_then(|p| p.secret.clone()),
                    r.tool_key
                ],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Keep the tool's own key of the entry `name` ([`PushRecord::tool_key`]).
    pub fn set_push_tool_key(
        &mut self,
        tool: &str,
        target: &str,
        name: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE pushes SET tool_key = ?4 WHERE tool = ?1 AND target = ?2 AND name = ?3",
                params![tool, target, name, key],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Forget the entry `name` (after `push --prune` removed it from the tool).
    pub fn forget_push(&mut self, tool: &str, target: &str, name: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM pushes WHERE tool = ?1 AND target = ?2 AND name = ?3",
                params![tool, target, name],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Every described device with its store id, in id order (the inventory's order).
    pub fn stored_devices(&self) -> Result<Vec<StoredDevice>, StoreError> {
        super::reports::devices_with_ids(&self.conn, None)
            .map(|v| {
                v.into_iter()
                    .map(|(id, device)| StoredDevice { id, device })
                    .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// The logins that opened streams (user name and keyed hash), for the push to find a
    /// stream's password among a credentials file's entries ([`Store::login_matches`]).
    pub fn stored_logins(&self) -> Result<Vec<StoredLogin>, StoreError> {
        let rows = self
            .conn
            .query_all(
                "SELECT device_id, url, username, cred FROM streams
                  WHERE cred IS NOT NULL AND username IS NOT NULL ORDER BY id",
                params![],
            )
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(StoredLogin {
                device_id: r.get(0).map_err(|e| self.err(e))?,
                url: r.get(1).map_err(|e| self.err(e))?,
                username: r.get(2).map_err(|e| self.err(e))?,
                hash: r.get(3).map_err(|e| self.err(e))?,
            });
        }
        Ok(out)
    }

    /// Whether `user:password` is the login `login` keeps the hash of.
    pub fn login_matches(&self, login: &StoredLogin, user: &str, password: &str) -> bool {
        use subtle::ConstantTimeEq;
        user == login.username
            && bool::from(super::columns::cred_hash(&self.key, user, password).ct_eq(&login.hash))
    }

    /// A `pushed` or `push_failed` event of device `device_id` into the outbox (at its site), for
    /// `watch --push`'s sinks.
    pub fn record_push_event(
        &mut self,
        kind: super::EventKind,
        device_id: i64,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        self.conn
            .execute(
                "INSERT INTO events (scan_id, at, kind, device_id, stream_url, detail, site)
                 SELECT NULL, ?1, ?2, id, NULL, ?3, site FROM devices WHERE id = ?4",
                params![
                    now,
                    super::events::kind_str(kind),
                    detail.to_string(),
                    device_id
                ],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// HMAC-SHA256 of `secret` under the inventory's credential key: what the ledger keeps of
    /// the passwords a push wrote, to tell a changed password without keeping it.
    pub fn secret_mac(&self, secret: &str) -> Vec<u8> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(b"camscan push\0");
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

fn pushes(conn: &Conn, tool: &str, target: &str) -> super::db::Result<Vec<PushRecord>> {
    let rows = conn.query_all(
        "SELECT name, device_id, channel, written, hash, secret, written_at, pending,
                pending_secret, tool_key
           FROM pushes WHERE tool = ?1 AND target = ?2 ORDER BY name",
        params![tool, target],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let pending = match r.get::<_, Option<String>>(7)? {
            Some(written) => Some(Pending {
                written,
                secret: r.get(8)?,
            }),
            None => None,
        };
        out.push(PushRecord {
            tool: tool.to_string(),
            target: target.to_string(),
            name: r.get(0)?,
            tool_key: r.get(9)?,
            device_id: r.get(1)?,
            channel: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(1),
            written: r.get(3)?,
            hash: r.get(4)?,
            secret: r.get(5)?,
            written_at: r.get(6)?,
            pending,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Engine, TestDb, both_engines};

    both_engines!(the_ledger_keeps_what_was_written_and_forgets_on_demand,);

    fn the_ledger_keeps_what_was_written_and_forgets_on_demand(engine: Engine) {
        let db = TestDb::new(engine);
        let mut store = db.open();
        let secret = store.secret_mac("hunter2");
        assert_ne!(secret, store.secret_mac("hunter3"));
        assert!(!secret.windows(7).any(|w| w == b"hunter2"));
        let mut r = PushRecord {
            tool: "frigate".into(),
            target: "http://127.0.0.1:5000".into(),
            name: "front_door".into(),
            tool_key: Some("01JABC".into()),
            device_id: 7,
            channel: 1,
            written: r#"{"ffmpeg":{}}"#.into(),
            hash: "ab".into(),
            secret: Some(secret.clone()),
            written_at: 1000,
            pending: Some(Pending {
                written: "{}".into(),
                secret: Some(store.secret_mac("hunter3")),
            }),
        };
        store.record_push(&r).unwrap();
        r.hash = "cd".into();
        store.record_push(&r).unwrap();
        let mut other = r.clone();
        other.target = "http://127.0.0.2:5000".into();
        other.secret = None;
        store.record_push(&other).unwrap();
        assert_eq!(
            store.pushes("frigate", "http://127.0.0.1:5000").unwrap(),
            [r.clone()]
        );
        assert_eq!(
            store.pushes("frigate", "http://127.0.0.2:5000").unwrap(),
            [other]
        );
        store
            .forget_push("frigate", "http://127.0.0.1:5000", "front_door")
            .unwrap();
        assert!(
            store
                .pushes("frigate", "http://127.0.0.1:5000")
                .unwrap()
                .is_empty()
        );
    }
}
