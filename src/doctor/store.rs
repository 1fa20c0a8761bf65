//! The inventory's checks of `camscan doctor`: the store itself (a file, read-only, or a
//! PostgreSQL database: reachable, logged in, its schema), the events waiting for each sink, and
//! the serve token beside it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::Check;
use super::parse;
use crate::notify::SinkSpec;
use store::StoreError;
use store::inspect::{self, Inspection};
use store::{Inventory, InventoryAt};

/// The store, read-only: path, schema version, integrity, size. A missing store is a warning
/// (the first scan makes it).
pub(super) fn store(path: Option<&Path>) -> (Check, Option<Inspection>) {
    const NAME: &str = "store";
    let Some(path) = path else {
        return (
            Check::warn(
                NAME,
                "no inventory location (neither HOME nor XDG_STATE_HOME set)",
                "give --db PATH (or db: in the config file)",
            ),
            None,
        );
    };
    let shown = path.display();
    let moved = format!(
        "move it away to start a new inventory (mv {shown} {shown}.damaged); `sqlite3 {shown}.damaged .recover` may save its rows"
    );
    match inspect::inspect(path) {
        Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => (
            Check::warn(
                NAME,
                format!("{shown}: no inventory yet; nothing is remembered between scans"),
                "run a scan (it creates the file), or give --db PATH",
            ),
            None,
        ),
        Err(e @ (StoreError::NotSqlite { .. } | StoreError::Corrupt { .. })) => {
            (Check::fail(NAME, e.to_string(), moved), None)
        }
        Err(e @ StoreError::Locked { .. }) => (
            Check::warn(
                NAME,
                e.to_string(),
                "run doctor again when the write is done",
            ),
            None,
        ),
        Err(e) => (
            Check::fail(NAME, e.to_string(), "check the file and its directory"),
            None,
        ),
        Ok(i) => {
            let facts = format!(
                "{shown}: schema {}, {}, {} event{}",
                i.schema_version,
                human_bytes(i.size),
                i.events,
                if i.events == 1 { "" } else { "s" }
            );
            let check = if !i.is_sound() {
                Check::fail(
                    NAME,
                    format!("{facts}; integrity_check: {}", i.integrity.join("; ")),
                    moved,
                )
            } else if i.schema_version > i.current_version {
                Check::fail(
                    NAME,
                    format!(
                        "{facts}; written by a newer camscan (this one knows schema {})",
                        i.current_version
                    ),
                    "upgrade camscan, or give another --db",
                )
            } else if i.schema_version < i.current_version {
                Check::warn(
                    NAME,
                    format!(
                        "{facts}, integrity ok; the next scan migrates it to schema {}",
                        i.current_version
                    ),
                    "nothing to do: it upgrades itself (copy the file first to keep the old one)",
                )
            } else {
                Check::pass(NAME, format!("{facts}, integrity ok"))
            };
            (check, Some(i))
        }
    }
}

/// The filesystem the inventory file is on: a warning on a network filesystem, where SQLite's
/// locks may not hold and WAL's shared memory cannot be shared ([`model::mounts`]).
pub(super) fn store_filesystem(path: &Path) -> Check {
    const NAME: &str = "store_filesystem";
    let Some(mount) = store::mount_of(path) else {
        return Check::pass(
            NAME,
            format!("{}: its filesystem is not listed", path.display()),
        );
    };
    let facts = format!(
        "{} is on {} ({} mounted at {})",
        path.display(),
        mount.fstype,
        mount.source,
        mount.point.display()
    );
    if mount.is_network() {
        Check::warn(
            NAME,
            format!(
                "{facts}, a network filesystem: SQLite's locks may not hold there and WAL cannot \
                 share its index between hosts, so two camscans may damage the inventory"
            ),
            "keep the inventory on a local disk (--db /var/lib/camscan/inventory.db), or use a \
             PostgreSQL inventory (--db postgres://...) for many hosts",
        )
    } else {
        Check::pass(NAME, format!("{facts}, a local filesystem"))
    }
}

/// The inventory on a PostgreSQL server: reachable, logged in, its schema.
pub(super) fn postgres_store(
    url: &str,
    inventory: Option<&Inventory>,
) -> (Check, Option<Inspection>) {
    const NAME: &str = "store";
    let default = input::environment::Environment::default();
    let (password_file, env) =
        inventory.map_or((None, &default), |i| (i.password_file.as_deref(), &i.env));
    let target = match crate::record::pg_target(url, password_file, env) {
        Ok(t) => t,
        Err(e) => return (Check::fail(NAME, e.to_string(), "fix --db"), None),
    };
    match inspect::inspect_postgres(&target) {
        Err(e @ StoreError::Login { .. }) => (
            Check::fail(
                NAME,
                e.to_string(),
                "give the password with --db-password-file, PGPASSWORD or ~/.pgpass",
            ),
            None,
        ),
        Err(e) => (
            Check::fail(
                NAME,
                e.to_string(),
                "start the server or fix --db's host and port",
            ),
            None,
        ),
        Ok(i) => {
            let facts = format!(
                "{}: PostgreSQL, schema {}, {}, {} event{}",
                target.display(),
                i.schema_version,
                human_bytes(i.size),
                i.events,
                if i.events == 1 { "" } else { "s" }
            );
            let check = if i.schema_version > i.current_version {
                Check::fail(
                    NAME,
                    format!(
                        "{facts}; written by a newer camscan (this one knows schema {})",
                        i.current_version
                    ),
                    "upgrade camscan, or give another --db",
                )
            } else if i.schema_version < i.current_version {
                Check::warn(
                    NAME,
                    format!(
                        "{facts}; the next scan migrates it to schema {}",
                        i.current_version
                    ),
                    "nothing to do: it upgrades itself",
                )
            } else {
                Check::pass(NAME, facts)
            };
            (check, Some(i))
        }
    }
}

pub(super) fn human_bytes(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f >= KIB * KIB {
        format!("{:.1} MiB", f / (KIB * KIB))
    } else if f >= KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// Events waiting in the outbox, per sink the store knows and per configured sink.
pub(super) fn outbox(i: &Inspection, configured: &[String], cap: i64) -> Check {
    const NAME: &str = "outbox";
    let mut parts = Vec::new();
    let mut full = Vec::new();
    for s in &i.sinks {
        let name = crate::notify::shown_name(&s.name);
        let dropped = if s.dropped > 0 {
            format!(", {} dropped", s.dropped)
        } else {
            String::new()
        };
        parts.push(format!("{name}: {} waiting{dropped}", s.waiting));
        if s.waiting >= cap {
            full.push(name);
        }
    }
    for c in configured {
        let Ok(spec) = c.parse::<SinkSpec>() else {
            continue;
        };
        if !i.sinks.iter().any(|s| s.name == spec.name()) {
            parts.push(format!(
                "{}: new (starts at the newest event)",
                crate::notify::shown_name(&spec.name())
            ));
        }
    }
    if parts.is_empty() {
        return Check::pass(NAME, "no sink has taken events from this store");
    }
    if full.is_empty() {
        Check::pass(NAME, parts.join("; "))
    } else {
        Check::warn(
            NAME,
            format!(
                "{}; at the cap ({cap}): the oldest are dropped for {}",
                parts.join("; "),
                full.join(", ")
            ),
            "bring the sink back (see its check), or raise --outbox-cap",
        )
    }
}

/// The serve token beside the store: readable by its owner only.
/// The cameras whose RTSP port served no stream the last time they were seen: each with the reason
/// its scan gave (which maker was assumed from which evidence, the paths asked, what it answered,
/// what to do).
pub(super) fn stream_paths(i: &Inspection) -> Check {
    const NAME: &str = "stream_paths";
    if i.no_path.is_empty() {
        return Check::pass(
            NAME,
            "every RTSP port in the inventory served a stream, or asked for a login",
        );
    }
    Check::warn(
        NAME,
        format!(
            "{} RTSP port(s) with no stream path found{}:\n{}",
            i.no_path.len(),
            if i.no_path.len() >= store::inspect::MAX_NO_PATH {
                " (the first ones)"
            } else {
                ""
            },
            i.no_path
                .iter()
                .map(|l| sanitize::terminal(l).into_owned())
                .collect::<Vec<_>>()
                .join("\n")
        ),
        "give each camera's documented path with `camscan scan ADDRESS --paths FILE` (a line /path), or enable ONVIF on it; `camscan scan ADDRESS -v -f json` shows the walk (path_walk)",
    )
}

/// The key file of the inventory's credential hashes (`key`: `--credential-key` or the config
/// file's; else the inventory's default place): there and mode 0600, or not made yet.
pub(super) fn credential_key(inventory: Option<&Inventory>) -> Check {
    const NAME: &str = "credential_key";
    let Some(inventory) = inventory else {
        return Check::pass(NAME, "no inventory location, so no key file");
    };
    let path = match (&inventory.credential_key, &inventory.at) {
        (Some(k), _) => k.clone(),
        (None, InventoryAt::Postgres(_)) => {
            return Check::warn(
                NAME,
                "no place for the PostgreSQL inventory's credential key (neither \
                     XDG_CONFIG_HOME nor HOME set)",
                "give --credential-key FILE",
            );
        }
        (None, InventoryAt::File(db)) => store::cred_key::beside(db),
    };
    let shown = path.display();
    match store::cred_key::state(&path) {
        Ok(store::cred_key::KeyState::Missing) => Check::pass(
            NAME,
            format!("{shown}: none yet (made, mode 0600, when the inventory is first opened)"),
        ),
        Err(e) => Check::fail(
            NAME,
            format!("{shown}: {e}"),
            format!("check the file's owner and permissions (chmod 600 {shown})"),
        ),
        Ok(store::cred_key::KeyState::Present { mode }) => {
            if parse::too_open(mode) {
                Check::fail(
                    NAME,
                    format!(
                        "{shown}: mode {mode:04o}: others on this machine can read the key of \
                         the inventory's credential hashes"
                    ),
                    format!("chmod 600 {shown}"),
                )
            } else {
                Check::pass(NAME, format!("{shown}: mode {mode:04o}"))
            }
        }
    }
}

pub(super) fn serve_token(db: Option<&Inventory>) -> Check {
    const NAME: &str = "serve_token";
    let Some(db) = db else {
        return Check::pass(NAME, "no inventory location, so no token file");
    };
    let path = crate::record::token_path(db);
    let shown = path.display();
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Check::pass(
            NAME,
            format!("{shown}: none yet (created by camscan serve --print-token)"),
        ),
        Err(e) => Check::fail(
            NAME,
            format!("{shown}: {e}"),
            format!("check the file's owner and permissions (chmod 600 {shown})"),
        ),
        Ok(m) => {
            let mode = m.permissions().mode();
            if parse::too_open(mode) {
                Check::fail(
                    NAME,
                    format!(
                        "{shown}: mode {:04o}: others on this machine can read the token",
                        mode & 0o7777
                    ),
                    format!("chmod 600 {shown}"),
                )
            } else {
                Check::pass(NAME, format!("{shown}: mode {:04o}", mode & 0o7777))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(2048), "2.0 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MiB");
    }
}
