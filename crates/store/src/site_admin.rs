//! The hub owner's side of the fleet (`camscan hub add-site|list-sites|rotate-site|forget-site|
//! remove-site`): a login role per site, and PostgreSQL's own row-level security so that the role
//! reads and writes only its site's rows and claims only its site's scan requests. The engine
//! enforces it: a compromised site box holding its agent's password can do to the hub no more
//! than its site's agent does.
//!
//! Every site role is a member of the group role [`GROUP`], which holds the grants ([`GRANTS`]);
//! each table has two policies: `camscan_any` (permissive, every role: the owner and roles made
//! before sites had their own keep what their grants give) and `camscan_own_site` (restrictive,
//! for [`GROUP`] only: the row's site is the role's, `camscan_site()`, and what the row points to
//! is the site's own). The owner of the tables (and a superuser) is not subject to row-level
//! security: `serve` at the hub sees every site.

use super::db::{Conn, Engine, OptionalExtension, params};
use super::{Store, StoreError};

use input::setting::Repeat;

/// The group role of every site's login role.
pub const GROUP: &str = "camscan_sites";

/// The row is the connected site role's (`NULLIF`: a role of the group that no site of this
/// database names, a site of another hub in the same cluster, matches nothing).
const OWN: &str = "site = (SELECT NULLIF(camscan_site(), ''))";
/// The row's device is one the role may see (its own site's).
const DEVICE: &str = "EXISTS (SELECT 1 FROM devices d WHERE d.id = device_id)";

/// Each table's restrictive policy: what a site role may see (`USING`) and write (`WITH
/// CHECK`): its own site's rows, pointing only at its own site's devices, streams, scans and
/// texts (a foreign key alone would let a row hang on another site's device).
fn policies() -> Vec<(&'static str, String, String)> {
    let text =
        |col: &str| format!("({col} IS NULL OR EXISTS (SELECT 1 FROM texts t WHERE t.id = {col}))");
    vec![
        ("scans", OWN.into(), OWN.into()),
        (
            "devices",
            OWN.into(),
            format!("{OWN} AND {}", text("services")),
        ),
        (
            "streams",
            OWN.into(),
            format!(
                "{OWN} AND {DEVICE} AND {} AND {}",
                text("facts"),
                text("media")
            ),
        ),
        (
            "events",
            OWN.into(),
            format!(
                "{OWN} AND {DEVICE} AND (scan_id IS NULL OR EXISTS \
                 (SELECT 1 FROM scans s WHERE s.id = scan_id))"
            ),
        ),
        (
            "checks",
            OWN.into(),
            format!("{OWN} AND EXISTS (SELECT 1 FROM streams s WHERE s.id = stream_id)"),
        ),
        ("findings", OWN.into(), format!("{OWN} AND {DEVICE}")),
        ("scan_requests", OWN.into(), OWN.into()),
        ("texts", OWN.into(), OWN.into()),
        ("addresses", DEVICE.into(), DEVICE.into()),
        ("device_reports", DEVICE.into(), DEVICE.into()),
        (
            "scan_devices",
            DEVICE.into(),
            format!(
                "{DEVICE} AND EXISTS (SELECT 1 FROM scans s WHERE s.id = scan_id) AND {} AND {}",
                text("info"),
                text("seen")
            ),
        ),
        (
            "sites",
            "role = current_user".into(),
            "role = current_user".into(),
        ),
    ]
}

/// What a site's agent may do at the hub, exactly: read the schema version; read and move its
/// site's cursor, binding and last contact (not rename it, not change its role); upsert its
/// scans, devices, addresses, streams, findings, snapshots and descriptions; add events and
/// texts; add stream checks and prune them to the newest 100 per stream (`DELETE` on `checks`
/// only); claim and update its scan requests. Nothing else: no `meta`, `sinks` or `dns_names`,
/// no `DELETE` elsewhere, no `TRUNCATE`, no DDL.
pub const GRANTS: &[&str] = &[
    "GRANT SELECT ON camscan_schema TO camscan_sites",
    "GRANT SELECT ON sites TO camscan_sites",
    "GRANT UPDATE (inventory_id, bound_at, last_event, last_scan, last_check, last_contact, agent) \
     ON sites TO camscan_sites",
    "GRANT SELECT, UPDATE ON scan_requests TO camscan_sites",
    "GRANT SELECT, INSERT, UPDATE ON scans, devices, addresses, streams, findings, scan_devices, \
     device_reports TO camscan_sites",
    "GRANT SELECT, INSERT ON events, texts TO camscan_sites",
    "GRANT SELECT, INSERT, DELETE ON checks TO camscan_sites",
];

/// Make the group role, its grants and every table's policies (idempotent: run by each
/// `add-site`, so a hub upgraded since gets the newest).
pub(crate) fn ensure_isolation(tx: &Conn) -> super::db::Result<()> {
    tx.execute_batch(&format!(
        "DO $$ BEGIN
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{GROUP}') THEN
             CREATE ROLE {GROUP} NOLOGIN;
           END IF;
         END $$;"
    ))?;
    for g in GRANTS {
        tx.execute_batch(g)?;
    }
    for (table, using, check) in policies() {
        tx.execute_batch(&format!(
            "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
             DROP POLICY IF EXISTS camscan_any ON {table};
             CREATE POLICY camscan_any ON {table} USING (true) WITH CHECK (true);
             DROP POLICY IF EXISTS camscan_own_site ON {table};
             CREATE POLICY camscan_own_site ON {table} AS RESTRICTIVE TO {GROUP}
               USING ({using}) WITH CHECK ({check});"
        ))?;
    }
    Ok(())
}

/// `camscan hub`'s settings of the hub's database, with its owner's login (every `hub`
/// command), in `--help`'s order; the config file's `--config` beside them. They are the
/// inventory's `--db` and `--db-password-file` ([`crate::settings`]), declared once; `hub`'s room
/// words their help for the hub ([`HUB_DB_HELP`]).
pub static HUB_DB: &[&dyn input::setting::Declared] =
    &[&crate::settings::DB, &crate::settings::DB_PASSWORD_FILE];

/// `hub`'s own help lines of [`HUB_DB`], by key.
pub const HUB_DB_HELP: &[(&str, &str)] = &[
    (
        "db",
        "The hub: a postgres:// URL with its owner's login (no password in it: see \
         --db-password-file) [default: the config file's `db:`]",
    ),
    (
        "db_password_file",
        "The owner's password, from the first line of this file (else PGPASSWORD, else \
         ~/.pgpass)",
    ),
];

/// `hub add-site`'s settings besides the hub's and `--password-file` (a required flag, which a
/// declaration does not say yet).
pub static ADD_SITE: &[&dyn input::setting::Declared] = &[&PASSWORD_FILE, &ROLE];

/// `hub rotate-site`'s settings.
pub static ROTATE_SITE: &[&dyn input::setting::Declared] = &[&PASSWORD_FILE];

/// `hub add-site --password-file` (and `rotate-site`'s, which says "the new password"): where the
/// login's password is written; the command requires it.
pub static PASSWORD_FILE: input::setting::Setting<Option<std::path::PathBuf>> =
    input::setting::Setting {
        key: "password_file",
        flag: "--password-file",
        short: None,
        repeat: Repeat::Once,
        env: "",
        value_name: "PATH",
        help: "Write the login's password here (made with mode 0600; its first line is the \
               password)",
        default: None,
        choices: None,
        parse: input::setting::path,
    };

/// `hub add-site --role`: the login role's name ([`role_for`] by default). No variable.
pub static ROLE: input::setting::Setting<Option<String>> = input::setting::Setting {
    key: "role",
    flag: "--role",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: "ROLE",
    help: "The login role's name [default: camscan_site_ and the site's name]",
    default: None,
    choices: None,
    parse: input::setting::text,
};

/// The login role's name for `site` when none is given: `camscan_site_` and the name in
/// lowercase letters, digits and `_`; a hash of the name is added when that changed it, so two
/// names never share a role (63 bytes at most, PostgreSQL's limit).
pub fn role_for(site: &str) -> String {
    let slug: String = site
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        })
        .collect();
    let mut role = format!("camscan_site_{slug}");
    if slug != site || role.len() > 63 {
        // FNV-1a: stable across versions, which a role name must be.
        let h = site.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        role.truncate(63 - 9);
        role = format!("{role}_{:08x}", h as u32);
    }
    role
}

/// A role name camscan writes into SQL: lowercase letters, digits and `_`, not starting with a
/// digit, 63 bytes at most.
pub fn valid_role(role: &str) -> bool {
    !role.is_empty()
        && role.len() <= 63
        && !role.starts_with(|c: char| c.is_ascii_digit())
        && role
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && role != GROUP
}

/// A site as the hub owner sees it (`camscan hub list-sites`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SiteAccount {
    pub name: String,
    /// Its agent's login role (`None`: a site made before `add-site`, or by an agent whose role
    /// is not a site's).
    pub role: Option<String>,
    /// The inventory its name is bound to, and since when (RFC 3339).
    pub inventory_id: Option<String>,
    pub bound_at: Option<String>,
    pub last_contact: Option<String>,
    pub agent: Option<String>,
    /// The newest site event, scan and check the hub holds.
    pub last_event: i64,
    pub last_scan: i64,
    pub last_check: i64,
}

/// What `add-site` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteAdded {
    pub role: String,
    /// The role was made now (else it existed and has a new password).
    pub created: bool,
}

/// Rows of one site removed at the hub (`forget-site`, `remove-site`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SiteForgotten {
    pub scans: usize,
    pub devices: usize,
    pub streams: usize,
    pub events: usize,
    pub checks: usize,
    pub findings: usize,
    pub requests: usize,
}

/// Site `name`'s login role: `None` when the hub has no such site, `Some(None)` when it has no
/// role.
fn site_role(tx: &Conn, name: &str) -> super::db::Result<Option<Option<String>>> {
    tx.query_row(
        "SELECT role FROM sites WHERE name = ?1",
        params![name],
        |r| r.get(0),
    )
    .optional()
}

fn postgres_only(tx: &Conn) -> super::db::Result<()> {
    if tx.engine() != Engine::Postgres {
        return Err(super::db::DbError::Other(
            "the fleet's site logins need a PostgreSQL hub: give --db postgres://...".into(),
        ));
    }
    Ok(())
}

/// Add site `name` with login role `role` (made, or its password replaced) whose password's
/// SCRAM verifier is `verifier` (the password itself never reaches the server, nor its log).
pub(crate) fn add(
    tx: &Conn,
    name: &str,
    role: &str,
    verifier: &str,
) -> super::db::Result<Result<SiteAdded, String>> {
    postgres_only(tx)?;
    if !valid_role(role) {
        return Ok(Err(format!(
            "{role:?} is not a role name camscan makes: lowercase letters, digits and _, at most \
             63 bytes"
        )));
    }
    let held = site_role(tx, name)?;
    if let Some(Some(other)) = &held
        && other != role
    {
        return Ok(Err(format!(
            "site {name:?} has the login role {other} already; `camscan hub rotate-site {name}` \
             gives it a new password"
        )));
    }
    let taken: Option<String> = tx
        .query_row(
            "SELECT name FROM sites WHERE role = ?1 AND name <> ?2",
            params![role, name],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(other) = taken {
        return Ok(Err(format!(
            "the role {role} is site {other:?}'s already; give --role another name"
        )));
    }
    ensure_isolation(tx)?;
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?1)",
        params![role],
        |r| r.get(0),
    )?;
    if exists && held.is_none() {
        return Ok(Err(format!(
            "a role {role} exists already and is no site's; give --role another name (camscan \
             never takes over a role it did not make)"
        )));
    }
    let verifier = verifier.replace('\'', "''");
    if exists {
        tx.execute_batch(&format!("ALTER ROLE {role} LOGIN PASSWORD '{verifier}'"))?;
    } else {
        tx.execute_batch(&format!(
            "CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION \
             NOBYPASSRLS INHERIT PASSWORD '{verifier}' IN ROLE {GROUP}"
        ))?;
    }
    tx.execute(
        "INSERT INTO sites (name, role) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET role = excluded.role",
        params![name, role],
    )?;
    Ok(Ok(SiteAdded {
        role: role.to_string(),
        created: !exists,
    }))
}

/// A new password (its SCRAM verifier) for site `name`'s role: the old one stops working at once
/// (sessions already open go on until they end). The role, or why there is none.
pub(crate) fn rotate(
    tx: &Conn,
    name: &str,
    verifier: &str,
) -> super::db::Result<Result<String, String>> {
    postgres_only(tx)?;
    let role = site_role(tx, name)?;
    let Some(Some(role)) = role else {
        return Ok(Err(format!(
            "site {name:?} has no login of its own: `camscan hub add-site {name}` makes one"
        )));
    };
    if !valid_role(&role) {
        return Ok(Err(format!(
            "site {name:?}'s role {role:?} is not one camscan made"
        )));
    }
    let verifier = verifier.replace('\'', "''");
    tx.execute_batch(&format!("ALTER ROLE {role} PASSWORD '{verifier}'"))?;
    Ok(Ok(role))
}

/// Every site the hub knows, by name.
pub(crate) fn list(conn: &Conn) -> super::db::Result<Vec<SiteAccount>> {
    let time = |v: Option<i64>| v.map(super::columns::rfc3339);
    conn.query_all(
        "SELECT name, role, inventory_id, bound_at, last_contact, agent, last_event, last_scan,
                last_check
         FROM sites ORDER BY name",
        params![],
    )?
    .into_iter()
    .map(|r| {
        Ok(SiteAccount {
            name: r.get(0)?,
            role: r.get(1)?,
            inventory_id: r.get(2)?,
            bound_at: time(r.get(3)?),
            last_contact: time(r.get(4)?),
            agent: r.get(5)?,
            last_event: r.get(6)?,
            last_scan: r.get(7)?,
            last_check: r.get(8)?,
        })
    })
    .collect()
}

/// Remove every row the hub holds of site `name` and unbind its name (the next inventory to
/// send it is bound and sends from the start); its login role stays. `None` when the hub does
/// not know the site.
pub(crate) fn forget(tx: &Conn, name: &str) -> super::db::Result<Option<SiteForgotten>> {
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sites WHERE name = ?1)
             OR EXISTS (SELECT 1 FROM devices WHERE site = ?1)
             OR EXISTS (SELECT 1 FROM scans WHERE site = ?1)",
        params![name],
        |r| r.get(0),
    )?;
    if !known {
        return Ok(None);
    }
    let del = |sql: &str| tx.execute(sql, params![name]);
    let mut f = SiteForgotten {
        events: del("DELETE FROM events WHERE site = ?1")?,
        ..SiteForgotten::default()
    };
    f.checks = del("DELETE FROM checks WHERE site = ?1
            OR stream_id IN (SELECT s.id FROM streams s JOIN devices d ON d.id = s.device_id
                             WHERE d.site = ?1)")?;
    f.findings = del("DELETE FROM findings WHERE site = ?1")?;
    f.streams = del("DELETE FROM streams WHERE site = ?1
            OR device_id IN (SELECT id FROM devices WHERE site = ?1)")?;
    f.devices = del("DELETE FROM devices WHERE site = ?1")?;
    f.scans = del("DELETE FROM scans WHERE site = ?1")?;
    f.requests = del("DELETE FROM scan_requests WHERE site = ?1")?;
    tx.execute(
        "UPDATE sites SET inventory_id = NULL, bound_at = NULL, last_event = 0, last_scan = 0,
             last_check = 0, last_contact = NULL, agent = NULL
         WHERE name = ?1",
        params![name],
    )?;
    Ok(Some(f))
}

/// [`forget`] the site, then drop its login role and its row. `None` when the hub does not know
/// it.
pub(crate) fn remove(tx: &Conn, name: &str) -> super::db::Result<Option<SiteForgotten>> {
    let role = site_role(tx, name)?;
    let Some(forgotten) = forget(tx, name)? else {
        return Ok(None);
    };
    tx.execute("DELETE FROM sites WHERE name = ?1", params![name])?;
    if let Some(Some(role)) = role
        && valid_role(&role)
        && tx.engine() == Engine::Postgres
    {
        tx.execute_batch(&format!(
            "DO $$ BEGIN
               IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                 DROP OWNED BY {role};
                 DROP ROLE {role};
               END IF;
             END $$;"
        ))?;
    }
    Ok(Some(forgotten))
}

impl Store {
    /// (At the hub, with its owner's login.) Add site `name` and its agent's login role `role`
    /// with the password whose SCRAM verifier is `verifier`, and make sure row-level security
    /// holds every site role to its own rows (the policies above); an existing site's role gets
    /// the new password. `Err(reason)` inside: refused, no site or role changed.
    pub fn add_site(
        &mut self,
        name: &str,
        role: &str,
        verifier: &str,
    ) -> Result<Result<SiteAdded, String>, StoreError> {
        self.write(|tx| add(tx, name, role, verifier))
    }

    /// (At the hub, with its owner's login.) A new password for site `name`'s role: the role, or
    /// why it has none.
    pub fn rotate_site(
        &mut self,
        name: &str,
        verifier: &str,
    ) -> Result<Result<String, String>, StoreError> {
        self.write(|tx| rotate(tx, name, verifier))
    }

    /// (At the hub.) Every site with its login role, binding and cursor.
    pub fn site_accounts(&self) -> Result<Vec<SiteAccount>, StoreError> {
        list(&self.conn).map_err(|e| self.err(e))
    }

    /// (At the hub, with its owner's login.) Remove every row of site `name` and unbind its name;
    /// with `drop_login`, its role and its row as well. `None`: no such site.
    pub fn forget_site(
        &mut self,
        name: &str,
        drop_login: bool,
    ) -> Result<Option<SiteForgotten>, StoreError> {
        self.write(|tx| {
            if drop_login {
                remove(tx, name)
            } else {
                forget(tx, name)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_safe_and_distinct() {
        assert_eq!(role_for("north"), "camscan_site_north");
        assert_eq!(role_for("site_2"), "camscan_site_site_2");
        let a = role_for("North");
        let b = role_for("north ");
        assert!(a.starts_with("camscan_site_north_"), "{a}");
        assert_ne!(a, b);
        assert_ne!(a, role_for("north"));
        for name in [
            "x'; DROP TABLE sites; --",
            "Zürich Süd",
            &"long".repeat(40),
            "",
        ] {
            let r = role_for(name);
            assert!(valid_role(&r), "{name:?} -> {r:?}");
        }
        assert!(!valid_role("camscan_sites"));
        assert!(!valid_role("Robert'); DROP"));
        assert!(!valid_role("1abc"));
        assert!(!valid_role(&"a".repeat(64)));
    }
}
