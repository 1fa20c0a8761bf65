//! The fleet's trust, on Debian's PostgreSQL with password logins (SCRAM): `camscan hub add-site`
//! makes a login per site, and PostgreSQL itself (row-level security, grants), not camscan's code,
//! keeps each site's login to its own rows. A site's agent with exactly those grants delivers
//! scans, snapshots, events and stream checks; the same login gets PostgreSQL's refusal (SQLSTATE
//! 42501) for another site's rows and requests, sees none of them, and a second inventory under
//! an existing site's name is refused at the agent (exit 5, both inventory ids) with the first
//! site's rows unchanged byte for byte. An inventory restored from an older copy is refused,
//! not skipped. Addresses: 127.0.10.1-3 (cameras), 127.0.10.10 (the hubs).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::postgres::{Pg, bin_dir};
use common::{Proc, camscan, camscan_with_db, run, stderr, stdout};

const LIMIT: Duration = Duration::from_secs(60);
const OWNER_PASSWORD: &str = "owner-Secret-1";

/// A camera of the site at `ip` (GStreamer, shared media, as the watch tests run one).
fn cam(ip: &str) -> common::Server {
    common::watch_camera(ip)
}

/// psql over TCP as `role` with `password`; stdout, or stderr with the SQLSTATE (`42501: ...`).
fn psql_as(pg: &Pg, role: &str, password: &str, sql: &str) -> Result<String, String> {
    let out = Command::new(bin_dir().join("psql"))
        .args([
            "-X",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-v",
            "VERBOSITY=verbose",
        ])
        .args([
            "-h",
            &pg.addr,
            "-p",
            &pg.port.to_string(),
            "-U",
            role,
            "-d",
            "hub",
        ])
        .args(["-c", sql])
        .env("PGPASSWORD", password)
        .env("PGSSLMODE", "disable")
        .output()
        .expect("psql runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// PostgreSQL refused `sql` for `role` as insufficient privilege (42501: a missing grant or a
/// row-level security policy).
fn refused(pg: &Pg, role: &str, password: &str, sql: &str) -> String {
    match psql_as(pg, role, password, sql) {
        Ok(out) => panic!("{role} was allowed {sql:?}: {out}"),
        Err(e) => {
            assert!(
                e.contains("42501"),
                "{sql:?}: not PostgreSQL's refusal: {e}"
            );
            e
        }
    }
}

/// Every row the hub holds of `site`, each table's rows as PostgreSQL prints them, in order.
fn dump(pg: &Pg, site: &str) -> Vec<String> {
    let mut all = Vec::new();
    for table in [
        "scans",
        "devices",
        "streams",
        "events",
        "checks",
        "findings",
        "scan_requests",
    ] {
        all.push(pg.psql(
            "hub",
            &format!("SELECT t::text FROM {table} t WHERE site = '{site}' ORDER BY id"),
        ));
    }
    for table in ["addresses", "device_reports", "scan_devices"] {
        all.push(pg.psql(
            "hub",
            &format!(
                "SELECT t::text FROM {table} t JOIN devices d ON d.id = t.device_id
                 WHERE d.site = '{site}' ORDER BY 1"
            ),
        ));
    }
    all.push(pg.psql(
        "hub",
        &format!("SELECT s::text FROM sites s WHERE name = '{site}'"),
    ));
    all
}

fn count(pg: &Pg, sql: &str) -> i64 {
    pg.psql("hub", sql).parse().unwrap_or(0)
}

/// `camscan hub add-site NAME`: the agent's URL (stdout) and the password file.
fn add_site(hub: &str, owner_pw: &Path, dir: &Path, name: &str) -> (String, PathBuf) {
    let pw = dir.join(format!("{name}.pw"));
    let out = run(
        camscan()
            .args(["hub", "add-site", name, "--db", hub])
            .arg("--db-password-file")
            .arg(owner_pw)
            .arg("--password-file")
            .arg(&pw),
        LIMIT,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "add-site {name}: {}",
        stderr(&out)
    );
    let url = stdout(&out).trim().to_string();
    assert!(
        url.starts_with(&format!("postgres://camscan_site_{name}@")),
        "{url}"
    );
    let secret = std::fs::read_to_string(&pw).unwrap();
    assert!(!url.contains(secret.trim()), "the URL carries no password");
    let mode = std::fs::metadata(&pw).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", pw.display());
    (url, pw)
}

fn wait_for(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("{what}: not within {limit:?}");
}

#[test]
fn a_site_login_touches_only_its_own_site() {
    let dir = tempfile::tempdir().unwrap();
    let pg = Pg::start_on("127.0.10.10");
    let hub = pg.create_db("hub");
    pg.require_password(OWNER_PASSWORD);
    let owner_pw = dir.path().join("owner.pw");
    std::fs::write(&owner_pw, format!("{OWNER_PASSWORD}\n")).unwrap();
    std::fs::set_permissions(&owner_pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (north_url, north_pw) = add_site(&hub, &owner_pw, dir.path(), "north");
    let (south_url, south_pw) = add_site(&hub, &owner_pw, dir.path(), "south");
    let secret = |p: &Path| std::fs::read_to_string(p).unwrap().trim().to_string();
    let (north_secret, south_secret) = (secret(&north_pw), secret(&south_pw));
    // Refused (south has its login): its password file is left as it was.
    let out = run(
        camscan()
            .args([
                "hub",
                "add-site",
                "south",
                "--db",
                &hub,
                "--role",
                "camscan_other",
            ])
            .arg("--db-password-file")
            .arg(&owner_pw)
            .arg("--password-file")
            .arg(&south_pw),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("has the login role camscan_site_south already"),
        "{}",
        stderr(&out)
    );
    assert_eq!(secret(&south_pw), south_secret);
    assert!(!dir.path().join("south.pw.new").exists());
    let _cams = [cam("127.0.10.1"), cam("127.0.10.2")];

    // South sends a scan with its own login.
    let south_db = dir.path().join("south.db");
    let out = run(
        camscan_with_db(&south_db)
            .args(["scan", "127.0.10.2", "-p", "8554", "--site", "south", "-q"])
            .args(["--hub", &south_url])
            .arg("--hub-password-file")
            .arg(&south_pw),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "south: {}", stderr(&out));
    assert_eq!(
        count(&pg, "SELECT COUNT(*) FROM devices WHERE site = 'south'"),
        1
    );

    // North's agent, with exactly add-site's grants, delivers scans, snapshots, events and
    // stream checks.
    let north_db = dir.path().join("north.db");
    let log = dir.path().join("agent.log");
    let mut agent = Proc(
        camscan_with_db(&north_db)
            .env("CAMSCAN_LOG", "info")
            .args([
                "watch",
                "--no-listen",
                "127.0.10.1",
                "-p",
                "8554",
                "--site",
                "north",
            ])
            .args(["--hub", &north_url])
            .arg("--hub-password-file")
            .arg(&north_pw)
            .args([
                "--every",
                "2s",
                "--check-streams",
                "1s",
                "--notify",
                "exec=true",
            ])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("camscan watch starts"),
    );
    wait_for(Duration::from_secs(90), "north's rows at the hub", || {
        let n = |sql: &str| count(&pg, sql);
        n("SELECT COUNT(*) FROM scans WHERE site = 'north' AND complete <> 0") >= 2
            && n("SELECT COUNT(*) FROM events WHERE site = 'north'") >= 1
            && n("SELECT COUNT(*) FROM checks WHERE site = 'north'") >= 2
            && n(
                "SELECT COUNT(*) FROM scan_devices sd JOIN devices d ON d.id = sd.device_id
                  WHERE d.site = 'north'",
            ) >= 1
    });
    let _ = agent.0.kill();
    let _ = agent.0.wait();
    let out = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !out.contains("permission denied") && !out.contains("42501"),
        "the agent was refused something it needs: {out}"
    );
    // A scan of south's queued at the hub.
    pg.psql(
        "hub",
        "INSERT INTO scan_requests (site, targets, requested_at) VALUES ('south', '[\"127.0.10.2\"]', 1)",
    );
    let before = dump(&pg, "south");

    // North's login, by hand: PostgreSQL refuses it every write of south's rows...
    let south_device = pg.psql("hub", "SELECT id FROM devices WHERE site = 'south'");
    let north = |sql: &str| refused(&pg, "camscan_site_north", &north_secret, sql);
    north(
        "INSERT INTO scans (site, started_at, finished_at, complete, targets, ports, methods, version)
         VALUES ('south', 1, 1, 1, '', '', '', 'x')",
    );
    north("UPDATE scans SET site = 'south' WHERE site = 'north'");
    north(&format!(
        "INSERT INTO events (site, at, kind, device_id, detail)
         VALUES ('north', 1, 'device_new', {south_device}, '')"
    ));
    north("DELETE FROM devices");
    north("DELETE FROM scan_requests");
    north("SELECT * FROM meta");
    north("UPDATE sites SET name = 'east'");
    north("UPDATE sites SET role = 'camscan_site_south'");
    north("TRUNCATE events");
    // ... shows it none of them, and gives it none of south's scan requests to claim.
    let sees = |sql: &str| psql_as(&pg, "camscan_site_north", &north_secret, sql).unwrap();
    assert_eq!(
        sees("SELECT COUNT(*) FROM devices WHERE site = 'south'"),
        "0"
    );
    assert_eq!(
        sees("SELECT COUNT(*) FROM events WHERE site <> 'north'"),
        "0"
    );
    assert_eq!(sees("SELECT COUNT(*) FROM scan_requests"), "0");
    assert_eq!(
        sees("SELECT COUNT(*) FROM texts WHERE site <> 'north'"),
        "0"
    );
    assert_eq!(sees("SELECT string_agg(name, ',') FROM sites"), "north");
    assert_eq!(
        sees("UPDATE scan_requests SET state = 'running' WHERE site = 'south' RETURNING id"),
        "UPDATE 0"
    );
    assert_eq!(
        sees("DELETE FROM checks WHERE site = 'south' RETURNING id"),
        "DELETE 0"
    );
    // camscan with north's login as south is refused before anything is sent.
    let out = run(
        camscan_with_db(&north_db)
            .args(["scan", "127.0.10.1", "-p", "8554", "--site", "south", "-q"])
            .args(["--hub", &north_url])
            .arg("--hub-password-file")
            .arg(&north_pw),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is site \"north\"'s, not \"south\"'s"),
        "{}",
        stderr(&out)
    );

    // A second agent under south's name, with another inventory: refused, one line naming both
    // inventories and the fix.
    let bound = pg.psql("hub", "SELECT inventory_id FROM sites WHERE name = 'south'");
    let other_db = dir.path().join("other.db");
    let out = run(
        camscan_with_db(&other_db)
            .args(["scan", "127.0.10.2", "-p", "8554", "--site", "south", "-q"])
            .args(["--hub", &south_url])
            .arg("--hub-password-file")
            .arg(&south_pw),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.starts_with("camscan: error: the hub refused this site"))
        .unwrap_or_else(|| panic!("no refusal line: {err}"));
    assert!(line.contains(&bound) && bound.len() == 32, "{line}");
    assert!(line.contains("camscan hub forget-site south"), "{line}");
    let ours = line
        .split("this is inventory ")
        .nth(1)
        .map(|s| s.chars().take(32).collect::<String>())
        .unwrap_or_default();
    assert!(ours.len() == 32 && ours != bound, "{line}");
    assert!(!south_secret.is_empty() && !err.contains(&south_secret));

    assert_eq!(dump(&pg, "south"), before, "south's rows changed");

    // A new password for north: the old one no longer logs in.
    let rotated = dir.path().join("north-2.pw");
    let out = run(
        camscan()
            .args(["hub", "rotate-site", "north", "--db", &hub])
            .arg("--db-password-file")
            .arg(&owner_pw)
            .arg("--password-file")
            .arg(&rotated),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let old = psql_as(&pg, "camscan_site_north", &north_secret, "SELECT 1").unwrap_err();
    assert!(old.contains("password authentication failed"), "{old}");
    assert_eq!(
        psql_as(&pg, "camscan_site_north", &secret(&rotated), "SELECT 1").unwrap(),
        "1"
    );

    // The hub owner's list, then north removed with its login.
    let out = run(
        camscan()
            .args(["hub", "list-sites", "-f", "json", "--db", &hub])
            .arg("--db-password-file")
            .arg(&owner_pw),
        LIMIT,
    );
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let south_row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "south")
        .unwrap();
    assert_eq!(south_row["role"], "camscan_site_south");
    assert_eq!(south_row["inventory_id"], bound.as_str());
    let out = run(
        camscan()
            .args(["hub", "remove-site", "north", "--db", &hub])
            .arg("--db-password-file")
            .arg(&owner_pw),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        count(&pg, "SELECT COUNT(*) FROM devices WHERE site = 'north'"),
        0
    );
    assert_eq!(
        pg.psql(
            "hub",
            "SELECT COUNT(*) FROM pg_roles WHERE rolname = 'camscan_site_north'"
        ),
        "0"
    );
    assert_eq!(dump(&pg, "south"), before, "south's rows changed");
}

/// A site whose own inventory is on PostgreSQL cannot be an agent: two writers there can commit
/// id 101 after 102 (shown first, on Debian's PostgreSQL with camscan's schema), and the hub's
/// cursor, reading ids after the newest it took, would skip 101. Refused before anything is sent.
#[test]
fn a_postgres_site_inventory_is_no_agent() {
    let pg = Pg::start_on("127.0.10.10");
    let site = pg.create_db("hub");
    let out = run(
        camscan()
            .args(["scans", "--db", &site])
            .env_remove("CAMSCAN_NO_DB"),
        LIMIT,
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let insert = "INSERT INTO scans (started_at, finished_at, complete, targets, ports, methods, \
                  version, site) VALUES (1, 1, 1, '', '', '', 'x', 'west') RETURNING id";
    // Writer one takes an id and has not committed; writer two takes the next and commits.
    let one = pg.hold(&format!("BEGIN; {insert};"));
    let two: i64 = pg
        .psql("hub", insert)
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let seen = pg.psql(
        "hub",
        "SELECT string_agg(id::text, ',' ORDER BY id) FROM scans",
    );
    assert_eq!(seen, two.to_string(), "only the later id is visible");
    one.release("COMMIT;");
    let seen = pg.psql(
        "hub",
        "SELECT string_agg(id::text, ',' ORDER BY id) FROM scans",
    );
    assert_eq!(
        seen,
        format!("{},{two}", two - 1),
        "the earlier id appears after the later one: a cursor past {two} skips it"
    );

    let url = "postgres://camscan@127.0.10.10:1/site?sslmode=disable";
    for args in [
        vec!["scan", "127.0.10.1", "-p", "8554"],
        vec!["watch", "127.0.10.1", "-p", "8554", "--no-listen"],
    ] {
        let out = run(
            camscan()
                .env_remove("CAMSCAN_NO_DB")
                .args(&args)
                .args(["--db", url, "--hub", url]),
            LIMIT,
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("keeps its own inventory in a file (SQLite)")
                && err.contains("would skip 101"),
            "{args:?}: {err}"
        );
    }
}

/// A site whose inventory is an older copy than what it sent (restored from a backup: its new
/// rows take ids the hub already has) is refused, not skipped; an agent killed after the hub's
/// commit (the site never remembered the hub's answer, but has the same rows) goes on; after
/// `hub forget-site` the older copy is taken from the start.
#[test]
fn an_older_copy_of_a_site_is_refused_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let pg = Pg::start_on("127.0.10.10");
    let hub = pg.create_db("hub");
    let _cam = cam("127.0.10.3");
    let db = dir.path().join("east.db");
    let scan = || {
        run(
            camscan_with_db(&db)
                .args(["scan", "127.0.10.3", "-p", "8554", "--site", "east", "-q"])
                .args(["--hub", &hub]),
            LIMIT,
        )
    };
    let out = scan();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A backup of the site's inventory (its log folded in first, as a backup tool copies it).
    let sqlite = |path: &Path| rusqlite::Connection::open(path).unwrap();
    sqlite(&db)
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let backup = dir.path().join("east.backup");
    std::fs::copy(&db, &backup).unwrap();
    for _ in 0..2 {
        let out = scan();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let at_hub = || count(&pg, "SELECT COUNT(*) FROM scans WHERE site = 'east'");
    assert_eq!(at_hub(), 3);

    // An agent killed after the hub took its batch: the site's remembered cursor is behind, its
    // rows are the hub's. It goes on.
    sqlite(&db)
        .execute("DELETE FROM meta WHERE key = 'hub_cursor:east'", [])
        .unwrap();
    let out = scan();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(at_hub(), 4);

    // The older copy comes back: its next scan takes id 2, which the hub holds (another scan).
    let _ = std::fs::remove_file(dir.path().join("east.db-wal"));
    let _ = std::fs::remove_file(dir.path().join("east.db-shm"));
    std::fs::copy(&backup, &db).unwrap();
    let out = scan();
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "camscan: error: the hub refused this site: the hub holds site \"east\" up to"
        ) && err.contains("older copy")
            && err.contains("camscan hub forget-site east"),
        "{err}"
    );
    assert_eq!(at_hub(), 4, "nothing of the older copy reached the hub");

    // Forgotten at the hub: the older copy is taken whole, from the start.
    let out = run(
        camscan().args(["hub", "forget-site", "east", "--db", &hub]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = scan();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let here: i64 = sqlite(&db)
        .query_row("SELECT COUNT(*) FROM scans WHERE site = 'east'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!((here, at_hub()), (3, 3));
}
