//! The fleet end to end on real parts: Debian's PostgreSQL as the hub (`common::postgres`), two
//! sites whose `camscan watch --hub` agents each keep an SQLite inventory of their own, and
//! GStreamer RTSP cameras at the same addresses at both sites (private ranges overlap between
//! sites; each site's cameras are servers of their own, on its own port). The hub goes away while cameras go down and up and a new one is installed;
//! when it is back it must hold exactly the events each site saw, once each, in order. Then the
//! same with an agent killed with -9 again and again during its replay, and with the hub killed
//! and restarted. Scans asked for at the hub run at their site. Addresses: 127.0.8.1-2
//! (cameras), 127.0.8.10 (the hub), 127.0.8.11-12 (a hub that fails), 127.0.8.13-17 (scans asked
//! at the hub), 127.0.8.18-20 (a long scan killed).

// The counts each phase ends with go to stderr, for the record (CHANGELOG, closing notes).
#![allow(clippy::print_stderr)]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::http::{get, post_json};
use common::postgres::Pg;
use common::{Proc, Serve, camscan, camscan_with_db, free_port, run, stderr, stdout};
use serde_json::Value;

const CAMS: &str = "127.0.8.1-127.0.8.2";
const LIMIT: Duration = Duration::from_secs(60);
/// How long a site's agent may take to catch up after the hub is back (its backoff is at most
/// 60 s; it was away for less than a minute, so the next attempt is within about 30 s).
const LONG: Duration = Duration::from_secs(90);

/// A camera both sites see, as the watch tests run one (shared media, as deployments run it).
fn cam(ip: &str) -> common::Server {
    common::watch_camera(ip)
}

/// The RTSP port of `site`'s cameras: each site has cameras of its own at the same addresses
/// (as two sites' private ranges overlap), so no camera server answers both sites' agents.
/// (One GStreamer server with shared media hit by two agents' scans and checks at once aborts
/// in `gst_rtsp_media_get_rates`: a GStreamer fault that no site's real camera sees twice.)
fn port_of(site: &str) -> &'static str {
    if site == "south" { "8555" } else { "8554" }
}

/// `site`'s camera at `ip` (shared media, as the watch tests' cameras).
fn site_cam(ip: &str, site: &str) -> common::Server {
    let port: u16 = port_of(site).parse().unwrap();
    common::rtsp_servers(&serde_json::json!([
        {"address": ip, "port": port, "shared": true, "auth": null, "mounts": [
            {"path": "/live",
             "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10}, "audio": null}]}
    ]))
}

/// Both sites' cameras at `ip`.
fn cams(ip: &str) -> Vec<common::Server> {
    vec![site_cam(ip, "north"), site_cam(ip, "south")]
}

/// A site's agent: `camscan watch --site SITE --hub HUB` scanning the cameras every 2 s and
/// checking their streams every second.
fn agent(db: &Path, site: &str, hub: &str) -> Proc {
    Proc(
        camscan_with_db(db)
            .env("CAMSCAN_LOG", "info")
            .args([
                "watch",
                "--no-listen",
                CAMS,
                "-p",
                port_of(site),
                "--site",
                site,
            ])
            .args(["--hub", hub, "--every", "2s", "--check-streams", "1s"])
            .args(["--down-after", "2", "--notify", "exec=true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("camscan watch starts"),
    )
}

/// camscan for an inventory named by `--db` (a hub's URL, or a site's file).
fn inventory() -> std::process::Command {
    let mut c = camscan();
    c.env_remove("CAMSCAN_NO_DB");
    c
}

/// SIGKILL (what `Child::kill` sends), and reap.
fn kill9(p: &mut Proc) {
    let _ = p.0.kill();
    let _ = p.0.wait();
}

/// `camscan history` of `db` (a file or the hub's URL) for `site`, oldest first: kind, time,
/// stream and detail of each event.
fn history(db: &str, site: &str) -> Vec<(String, String, String, String)> {
    if !db.starts_with("postgres://") && !Path::new(db).exists() {
        return Vec::new();
    }
    let out = run(
        inventory().args(["history", "--db", db, "--site", site, "-f", "json"]),
        LIMIT,
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "history {db}: {}",
        stderr(&out)
    );
    let text = stdout(&out);
    let v: Value = serde_json::from_str(if text.trim().is_empty() { "[]" } else { &text })
        .unwrap_or_else(|e| panic!("{e}: {text}"));
    let mut list: Vec<(i64, (String, String, String, String))> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                (
                    e["kind"].as_str().unwrap_or("").to_string(),
                    e["at"].as_str().unwrap_or("").to_string(),
                    e["stream_url"].as_str().unwrap_or("").to_string(),
                    e["detail"].to_string(),
                ),
            )
        })
        .collect();
    // Ids order the events (newest first on output).
    list.sort_by_key(|(id, _)| *id);
    list.into_iter().map(|(_, e)| e).collect()
}

fn kinds(h: &[(String, String, String, String)]) -> Vec<&str> {
    h.iter().map(|e| e.0.as_str()).collect()
}

/// Wait until `f` holds (at most `limit`); panic with `what` and the last state `f` saw.
fn wait_for(limit: Duration, what: &str, mut f: impl FnMut() -> Result<(), String>) {
    let until = Instant::now() + limit;
    let mut last = String::new();
    while Instant::now() < until {
        match f() {
            Ok(()) => return,
            Err(state) => last = state,
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    panic!("not within {limit:?}: {what}; last seen: {last}");
}

/// `Ok` when `cond`, else the state to report.
fn check(cond: bool, state: impl std::fmt::Debug) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(format!("{state:?}"))
    }
}

/// The hub holds the site's events exactly: the same, once each, in the same order.
fn converged(hub: &str, site_db: &Path, site: &str) -> bool {
    let here = history(site_db.to_str().unwrap(), site);
    let there = history(hub, site);
    !here.is_empty() && here == there
}

#[test]
fn two_sites_reach_the_hub_through_an_outage_and_kill_9() {
    let mut pg = Pg::start_on("127.0.8.10");
    let hub = pg.create_db("hub");
    let dir = tempfile::tempdir().unwrap();
    let (north_db, south_db) = (dir.path().join("north.db"), dir.path().join("south.db"));

    let counts = |site: &str, db: &Path| {
        (
            history(db.to_str().unwrap(), site).len(),
            history(&hub, site).len(),
        )
    };
    let cam1 = cams("127.0.8.1");
    let mut north = agent(&north_db, "north", &hub);
    let mut south = agent(&south_db, "south", &hub);
    for (db, site) in [(&north_db, "north"), (&south_db, "south")] {
        wait_for(LIMIT, &format!("{site}'s camera at the hub"), || {
            let there = history(&hub, site);
            check(
                converged(&hub, db, site) && kinds(&there).contains(&"device_new"),
                kinds(&there),
            )
        });
    }

    // The hub goes away; meanwhile the camera goes down and a new one is installed.
    pg.stop();
    drop(cam1);
    let _cam2 = cams("127.0.8.2");
    for (db, site) in [(&north_db, "north"), (&south_db, "south")] {
        wait_for(LIMIT, &format!("{site} sees the outage's changes"), || {
            let k = history(db.to_str().unwrap(), site);
            let k = kinds(&k);
            let new = k.iter().filter(|k| **k == "device_new").count();
            // A scan may see the camera gone before two checks fail (offline, its stream down).
            let gone = k.contains(&"stream_down") || k.contains(&"device_offline");
            check(new == 2 && gone, &k)
        });
    }
    // A camera back while the hub is still away.
    let cam1 = cams("127.0.8.1");
    for (db, site) in [(&north_db, "north"), (&south_db, "south")] {
        wait_for(LIMIT, &format!("{site} sees the camera back"), || {
            let k = history(db.to_str().unwrap(), site);
            let k = kinds(&k);
            check(k.contains(&"stream_up") || k.contains(&"device_online"), &k)
        });
    }
    pg.start();
    for (db, site) in [(&north_db, "north"), (&south_db, "south")] {
        wait_for(LONG, &format!("{site} caught up"), || {
            check(converged(&hub, db, site), counts(site, db))
        });
    }
    eprintln!(
        "outage: north {:?}, south {:?} (events at the site, at the hub)",
        counts("north", &north_db),
        counts("south", &south_db)
    );

    // North's agent killed with -9 again and again while it replays a backlog.
    kill9(&mut north);
    pg.stop();
    drop(cam1);
    // The site records while its agent and the hub are away: scans with the camera going and
    // coming write the backlog.
    let mut cam1 = None;
    for _ in 0..4 {
        let out = run(
            camscan_with_db(&north_db).args(["scan", CAMS, "-p", "8554", "--site", "north"]),
            LIMIT,
        );
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        cam1 = match cam1 {
            Some(c) => {
                drop(c);
                None
            }
            None => Some(site_cam("127.0.8.1", "north")),
        };
    }
    pg.start();
    for delay in [150, 400, 900, 1500] {
        let mut a = agent(&north_db, "north", &hub);
        std::thread::sleep(Duration::from_millis(delay));
        kill9(&mut a);
    }
    // And the hub killed and restarted under the agents.
    north = agent(&north_db, "north", &hub);
    std::thread::sleep(Duration::from_secs(2));
    pg.kill();
    std::thread::sleep(Duration::from_secs(3));
    pg.start();
    for (db, site) in [(&north_db, "north"), (&south_db, "south")] {
        wait_for(LONG, &format!("{site} caught up again"), || {
            check(converged(&hub, db, site), counts(site, db))
        });
    }
    eprintln!(
        "kill -9: north {:?}, south {:?} (events at the site, at the hub)",
        counts("north", &north_db),
        counts("south", &south_db)
    );

    // The hub tells the sites apart: the same address at both, one device each.
    let out = run(
        inventory().args(["devices", "--db", &hub, "-f", "json"]),
        LIMIT,
    );
    let devices: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut at: Vec<(String, String)> = devices
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["site"].as_str().unwrap().to_string(),
                d["address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    at.sort();
    assert_eq!(
        at,
        [
            ("north".to_string(), "127.0.8.1".to_string()),
            ("north".to_string(), "127.0.8.2".to_string()),
            ("south".to_string(), "127.0.8.1".to_string()),
            ("south".to_string(), "127.0.8.2".to_string()),
        ]
    );
    kill9(&mut north);
    kill9(&mut south);
    // Stream checks and per-scan snapshots: the agents sent them with the rest; with the agents
    // stopped, one last push (the agents' own) sends what they recorded after their last.
    for (db, site) in [(&north_db, "north"), (&south_db, "south")] {
        same_checks_and_diff(&hub, db, site);
    }
}

/// `camscan diff -f json` of `db` (a file or the hub's URL) for `site`, with `ids` (none: the
/// default pair), the ids (each inventory's own) taken out.
fn diff(db: &str, site: &str, ids: &[i64]) -> Value {
    let out = run(
        inventory()
            .args(["diff", "--db", db, "--site", site, "-f", "json"])
            .args(ids.iter().map(i64::to_string)),
        LIMIT,
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "diff {db}: {}",
        stderr(&out)
    );
    let mut v: Value =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    for side in ["a", "b"] {
        v[side]["id"] = Value::Null;
    }
    for list in ["added", "removed", "changed"] {
        for d in v[list].as_array_mut().unwrap() {
            d["device_id"] = Value::Null;
        }
    }
    v
}

/// `db`'s complete scans of `site` (`camscan scans`): (id, started_at), oldest first.
fn complete_scans(db: &str, site: &str) -> Vec<(i64, String)> {
    let out = run(
        inventory().args(["scans", "--db", db, "--site", site, "-f", "json"]),
        LIMIT,
    );
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
    let mut scans: Vec<(i64, String)> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|s| s["complete"] == true)
                .filter_map(|s| Some((s["id"].as_i64()?, s["started_at"].as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    scans.sort();
    scans
}

/// The hub holds `site`'s stream checks as the site does (the same checks of each stream, in the
/// same order, with the same figures), and `camscan diff --site` at the hub says what it says at
/// the site: for the default pair, and for the site's first and newest complete scans named by
/// each inventory's own ids (`camscan scans --site` lists them).
fn same_checks_and_diff(hub: &str, site_db: &Path, site: &str) {
    use store::{CheckRecord, DeviceQuery, Store};
    let local = Store::open(site_db).unwrap();
    // The key file the camscan processes of the tests use (their XDG_CONFIG_HOME), not the
    // user's own.
    let key = common::root_dir().join("target/no-user-config/camscan/credential.key");
    let mut there = camscan::record::open_db(
        &store::InventoryAt::new(hub.into()),
        None,
        Some(&key),
        &input::environment::Environment::from_vars(std::env::vars_os()),
    )
    .unwrap();
    let view = |c: &CheckRecord| {
        (
            c.at.clone(),
            c.ok,
            c.layer.clone(),
            c.error.clone(),
            c.first_packet_ms,
            c.fps,
            c.bitrate_kbps,
        )
    };
    // Each of the site's streams with its checks, and the hub's stream of the same device and URL.
    let pairs = |local: &Store, there: &Store| {
        let q = DeviceQuery {
            site: Some(site.to_string()),
            ..DeviceQuery::default()
        };
        let mut pairs = Vec::new();
        for d in local.devices(&q).unwrap() {
            let address = d.address.unwrap().to_string();
            let copy = there.device(&address, Some(site)).unwrap().unwrap();
            let theirs = there
                .streams(Some(copy.summary.id), None, None, 100)
                .unwrap();
            for s in local.streams(Some(d.id), None, None, 100).unwrap() {
                let t = theirs
                    .iter()
                    .find(|t| t.stream.url == s.stream.url)
                    .unwrap();
                let checks = |st: &Store, id| -> Vec<_> {
                    st.checks(id, None, 1000)
                        .unwrap()
                        .unwrap()
                        .iter()
                        .map(view)
                        .collect()
                };
                pairs.push((
                    s.stream.url.clone(),
                    checks(local, s.id),
                    checks(there, t.id),
                ));
            }
        }
        pairs
    };
    let before = pairs(&local, &there);
    assert!(
        before.iter().any(|(_, _, at_hub)| !at_hub.is_empty()),
        "{site}: the agent sent no check: {before:?}"
    );
    let pushed = camscan::fleet::push(&local, &mut there, site).unwrap();
    let after = pairs(&local, &there);
    let mut checks = 0;
    for (url, here, at_hub) in &after {
        assert_eq!(at_hub, here, "{site} {url}");
        checks += here.len();
    }
    assert!(checks > 0, "{site}: no check at the site");
    let hub_scans = complete_scans(hub, site);
    let site_scans = complete_scans(site_db.to_str().unwrap(), site);
    // The site's newest complete scan the hub holds (a scan killed with its agent holds the
    // hub's cursor until its heartbeat is stale; the scans after it wait in turn).
    let newest = site_scans
        .iter()
        .rev()
        .find_map(|(id, at)| Some((*id, hub_scans.iter().find(|h| &h.1 == at)?.0)))
        .unwrap();
    let (first, first_at_hub) = (site_scans[0].0, hub_scans[0].0);
    assert_eq!(site_scans[0].1, hub_scans[0].1, "{site}: the first scan");
    let here = diff(site_db.to_str().unwrap(), site, &[first, newest.0]);
    let at_hub = diff(hub, site, &[first_at_hub, newest.1]);
    assert!(
        !here["added"].as_array().unwrap().is_empty()
            && !here["removed"].as_array().unwrap().is_empty(),
        "{site}: the camera went and another came: {here}"
    );
    assert_eq!(at_hub, here, "{site}: diff of the first and newest scans");
    if site_scans.last().map(|s| s.0) == Some(newest.0) {
        assert_eq!(
            diff(hub, site, &[]),
            diff(site_db.to_str().unwrap(), site, &[])
        );
    }
    eprintln!(
        "{site}: {checks} checks of {} streams the same at the hub (the last push sent {}), \
         {} scans at the site, diff {first}..{} here = diff {first_at_hub}..{} at the hub",
        after.len(),
        pushed.checks,
        site_scans.len(),
        newest.0,
        newest.1
    );
}

/// A hub that cannot be reached, refuses the login or is missing its database is one clear line
/// and exit 2 for the inventory commands, never a panic; `scan --hub` keeps its results and says
/// the hub was not reached.
#[test]
fn a_hub_that_fails_is_one_clear_line() {
    let pg = Pg::start_on("127.0.8.11");
    let hub = pg.create_db("hub");
    let cases = [
        (
            "postgres://camscan@127.0.8.12:1/hub?sslmode=disable&connect_timeout=2".to_string(),
            "cannot reach the PostgreSQL server",
        ),
        (pg.url("nope"), "does not exist; create it first"),
    ];
    for (url, says) in cases {
        let out = run(inventory().args(["devices", "--db", &url]), LIMIT);
        assert_eq!(out.status.code(), Some(2), "{url}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
    }
    // A password is required: none given, a wrong one, the right one from a file.
    pg.require_password("hunter2");
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "wrong\n").unwrap();
    let out = run(
        inventory()
            .args(["devices", "--db", &hub, "--db-password-file"])
            .arg(&pw),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("refused the login"), "{err}");
    assert!(err.contains("--db-password-file"), "{err}");
    assert!(!err.contains("wrong"), "the password never shows: {err}");
    std::fs::write(&pw, "hunter2\n").unwrap();
    let out = run(
        inventory()
            .args(["devices", "--db", &hub, "--db-password-file"])
            .arg(&pw),
        LIMIT,
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    // libpq's password file, as libpq reads it (HOME's .pgpass, mode 0600).
    let pgpass = dir.path().join(".pgpass");
    std::fs::write(
        &pgpass,
        format!("127.0.8.11:{}:hub:camscan:hunter2\n", pg.port),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(
        inventory()
            .env("HOME", dir.path())
            .args(["devices", "--db", &hub]),
        LIMIT,
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));

    // scan --hub with the hub away: the scan is recorded at the site, the hub not reached.
    let db = dir.path().join("site.db");
    let out = run(
        camscan_with_db(&db)
            .env("CAMSCAN_LOG", "warn")
            .args([
                "scan",
                "127.0.8.12",
                "-p",
                "8554",
                "--site",
                "east",
                "--hub",
            ])
            .arg("postgres://camscan@127.0.8.12:1/hub?sslmode=disable&connect_timeout=2"),
        LIMIT,
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not sent to the hub"),
        "{}",
        stderr(&out)
    );
    let out = run(
        camscan_with_db(&db).args(["scans", "--site", "east", "-f", "json"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A scan asked for at the hub (`POST /api/v1/scans` with a `site`) is queued there, claimed by
/// that site's agent (north: `serve --hub`; south: `watch --hub`), run at the site with the
/// site's settings and rules, and comes back: the request done with the hub's copy of the scan,
/// the camera in the hub's inventory at that site. Outside the site's rules it is refused with the
/// reason; for a site with no agent it is 404.
#[test]
fn a_scan_asked_at_the_hub_runs_at_its_site() {
    let pg = Pg::start_on("127.0.8.13");
    let hub = pg.create_db("hub");
    let dir = tempfile::tempdir().unwrap();
    let _cam = cam("127.0.8.14");
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, "ports: \"8554\"\n").unwrap();
    let (north_db, south_db) = (dir.path().join("north.db"), dir.path().join("south.db"));
    // The hub's page and API, over its PostgreSQL inventory.
    let hub_at = format!("127.0.8.15:{}", free_port("127.0.8.15"));
    let hub_serve = inventory()
        .args([
            "serve", "--db", &hub, "--listen", &hub_at, "--site", "centre",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map(Proc)
        .expect("the hub's serve starts");
    // North's serve needs its inventory: a first scan there makes it.
    let out = run(
        camscan_with_db(&north_db).args(["scan", "127.0.8.17", "-p", "8554", "--site", "north"]),
        LIMIT,
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let north_at = format!("127.0.8.16:{}", free_port("127.0.8.16"));
    let north = Serve::start(
        &north_db,
        &north_at,
        &[
            "--site",
            "north",
            "--hub",
            &hub,
            "--config",
            cfg.to_str().unwrap(),
            "--allow-targets",
            "127.0.8.14",
            "--no-preview",
        ],
    );
    let south = Proc(
        camscan_with_db(&south_db)
            .env("CAMSCAN_LOG", "info")
            .args([
                "watch",
                "--no-listen",
                "127.0.8.14",
                "-p",
                "8554",
                "--site",
                "south",
            ])
            .args(["--hub", &hub, "--every", "1h", "--notify", "exec=true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("camscan watch starts"),
    );
    let until = Instant::now() + LIMIT;
    while std::net::TcpStream::connect(&hub_at).is_err() {
        assert!(Instant::now() < until, "the hub's serve is not listening");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Both agents reach the hub (they are its sites).
    wait_for(LIMIT, "both sites at the hub", || {
        let a = get(&hub_at, "/api/v1/sites");
        let names: Vec<String> = if a.status == 200 {
            a.json()
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["last_contact"].is_string())
                .map(|s| s["name"].as_str().unwrap().to_string())
                .collect()
        } else {
            Vec::new()
        };
        check(names == ["north", "south"], &names)
    });
    let ask = |body: &str| {
        let a = post_json(&hub_at, "/api/v1/scans", body);
        (a.status, a.header("location"), a.json())
    };
    let finished = |id: i64| {
        let mut last = Value::Null;
        wait_for(LIMIT, &format!("request {id} ends"), || {
            last = get(&hub_at, &format!("/api/v1/scans/requests/{id}")).json();
            let state = last["state"].as_str().unwrap_or("").to_string();
            check(!["queued", "running"].contains(&state.as_str()), &last)
        });
        last
    };
    for site in ["north", "south"] {
        let body = format!(r#"{{"site": "{site}", "targets": ["127.0.8.14"]}}"#);
        let (status, location, r) = ask(&body);
        assert_eq!(status, 202, "{r}");
        let id = r["id"].as_i64().unwrap();
        assert_eq!(location, Some(format!("/api/v1/scans/requests/{id}")));
        assert_eq!(r["state"], "queued");
        let r = finished(id);
        assert_eq!(r["state"], "done", "{r}");
        assert!(r["devices"].as_u64().unwrap() >= 1, "{r}");
        assert!(
            r["claimed_by"].as_str().unwrap().starts_with("camscan "),
            "{r}"
        );
        // The scan reaches the hub through the push, then the request names the hub's copy.
        wait_for(
            LIMIT,
            &format!("{site}'s requested scan at the hub"),
            || {
                let r = get(&hub_at, &format!("/api/v1/scans/requests/{id}")).json();
                let scans = get(&hub_at, &format!("/api/v1/scans?site={site}")).json();
                let ids: Vec<i64> = scans["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|s| s["id"].as_i64())
                    .collect();
                check(
                    r["scan_id"].as_i64().is_some_and(|s| ids.contains(&s)),
                    (&r, &ids),
                )
            },
        );
        let devices = get(&hub_at, &format!("/api/v1/devices?site={site}")).json();
        let addresses: Vec<&str> = devices["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["address"].as_str())
            .collect();
        assert_eq!(addresses, ["127.0.8.14"], "{site}");
    }
    // Outside the site's rules: refused at the site, the reason at the hub.
    let (status, _, r) = ask(r#"{"site": "north", "targets": ["127.0.8.17"]}"#);
    assert_eq!(status, 202, "{r}");
    let r = finished(r["id"].as_i64().unwrap());
    assert_eq!(r["state"], "refused", "{r}");
    assert!(r["error"].as_str().unwrap().contains("outside what"), "{r}");
    // No agent of that site: nobody would run it.
    let (status, _, r) = ask(r#"{"site": "west", "targets": ["127.0.8.14"]}"#);
    assert_eq!(status, 404, "{r}");
    assert!(
        r["detail"].as_str().unwrap().contains("north, south"),
        "{r}"
    );
    let list = get(&hub_at, "/api/v1/scans/requests?site=north").json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");
    hub_page(&hub_at);
    drop((hub_serve, north, south));
}

/// The hub's page in Debian's Chromium (`tests/web/sites.mjs`): the sites overview, one site's
/// devices, the site filter, a scan asked at a site from the form. Screenshots in
/// `target/screenshots/`.
fn hub_page(addr: &str) {
    let node_dir = match common::browser() {
        Ok(d) => d,
        Err(why) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED the hub's page: {why}; scripts/test installs it");
            return;
        }
        Err(why) => panic!("{why}: CI must run the browser test (scripts/test installs it)"),
    };
    let shots = common::root_dir().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = run(
        std::process::Command::new("node")
            .arg(common::root_dir().join("tests/web/sites.mjs"))
            .env("CAMSCAN_BASE", format!("http://{addr}"))
            .env("CAMSCAN_SHOTS", &shots)
            .env("BROWSER_NODE", &node_dir)
            .env("CHROMIUM", common::CHROMIUM)
            .env("CAMSCAN_CAMERA", "127.0.8.14"),
        Duration::from_secs(180),
    );
    assert!(
        out.status.success() && stdout(&out).contains("PASS"),
        "the hub's page: {}\n{}",
        stdout(&out),
        stderr(&out)
    );
    for shot in [
        "sites.png",
        "sites-dark.png",
        "site-devices.png",
        "site-scan.png",
    ] {
        assert!(shots.join(shot).exists(), "{shot}");
    }
}

/// A long scan records each device as it becomes final: killed with -9 while a silent host still
/// holds it, its scan is in the inventory, incomplete, with the camera it had found, on both
/// engines.
#[test]
fn a_scan_killed_keeps_the_devices_it_had_found() {
    let _cam = cam("127.0.8.18");
    // A host that takes connections and never answers (a tarpit): the scan waits on it.
    let silent = std::net::TcpListener::bind("127.0.8.19:8554").unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in silent.incoming().take(64).flatten() {
            held.push(c);
        }
    });
    let pg = Pg::start_on("127.0.8.20");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.db");
    for (n, db) in [file.to_str().unwrap().to_string(), pg.create_db("site")]
        .into_iter()
        .enumerate()
    {
        // The scan's log, to show when the camera is not recorded in time.
        let log = dir.path().join(format!("scan-{n}.log"));
        let mut scan = Proc(
            inventory()
                .args(["scan", "127.0.8.18-127.0.8.19", "-p", "8554", "--db", &db])
                .args(["--site", "east", "-f", "json"])
                // A silent port costs the detection timeout: a minute here, the long scan.
                .args(["--timeout", "60s", "--detect-timeout", "60s"])
                .env("CAMSCAN_LOG", "debug")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("camscan scan starts"),
        );
        let devices = |db: &str| -> Result<Vec<String>, String> {
            let out = run(
                inventory().args(["devices", "--db", db, "-f", "json"]),
                LIMIT,
            );
            let v: Value = serde_json::from_str(&stdout(&out))
                .map_err(|e| format!("devices: {e}: {}", String::from_utf8_lossy(&out.stderr)))?;
            Ok(v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d["address"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default())
        };
        wait_for(
            LIMIT,
            &format!("the camera recorded while {db} scans"),
            || match devices(&db) {
                Ok(found) if found.contains(&"127.0.8.18".to_string()) => Ok(()),
                found => {
                    let said = std::fs::read_to_string(&log).unwrap_or_default();
                    let tail: Vec<&str> = said.lines().rev().take(40).collect();
                    let tail: Vec<&str> = tail.into_iter().rev().collect();
                    Err(format!(
                        "{found:?}; the scan's log ends:\n{}",
                        tail.join("\n")
                    ))
                }
            },
        );
        assert!(
            scan.0.try_wait().unwrap().is_none(),
            "the scan still runs (the silent host holds it) when it is killed"
        );
        kill9(&mut scan);
        let out = run(
            inventory().args(["scans", "--db", &db, "--site", "east", "-f", "json"]),
            LIMIT,
        );
        let scans: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let scans = scans.as_array().unwrap();
        assert_eq!(scans.len(), 1, "{scans:?}");
        assert_eq!(scans[0]["complete"], false, "{scans:?}");
        assert_eq!(scans[0]["devices"], 1, "{scans:?}");
        assert_eq!(devices(&db), Ok(vec!["127.0.8.18".to_string()]));
        eprintln!("killed during its scan, {db}: {}", scans[0]);
    }
}
