//! The fleet's benchmark (issue 29): SITES sites x DEVICES devices x 3 streams (the made-up site of
//! examples/support/site.rs; every site has the same addresses, as private ranges do), each with
//! its own SQLite inventory holding two scans, sent by the agent's code (`fleet::push`) into one
//! hub: Debian's PostgreSQL (started here in a temporary directory, as the tests do), and an SQLite
//! file side by side; PostgreSQL with fsync off (as the tests run it), with fsync on (its default),
//! and with fsync on and each site through its own login under row-level security (`camscan hub
//! add-site`). Printed per hub: events per second into the hub, the time to send a site's
//! hour of backlog (12 scan rounds, `--every 5m`), and over the whole inventory (SITES x DEVICES
//! devices) `camscan serve`'s `GET /api/v1/devices?limit=100` (the first page) and
//! `GET /api/v1/sites`, median of 20 each, and serve's RSS. Targets: first page < 50 ms, sites
//! < 200 ms.
//!
//! ```text
//! scripts/bench --fleet [SITES [DEVICES]]      (default 100 x 1000; builds the release binary)
//! ```
//! A benchmark, not a test: nothing here fails a build. Loopback only (127.0.8.20 for the
//! hub's PostgreSQL, 127.0.8.21 for serve); the servers are its own children.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark program talks to its user

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use store::{DeviceQuery, Store};

#[path = "support/http.rs"]
mod http;
#[path = "../tests/common/postgres.rs"]
#[allow(dead_code)]
mod postgres;
#[path = "support/site.rs"]
#[allow(dead_code)]
mod site;

const SERVE: &str = "127.0.8.21:18761";

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Site `i`'s name.
fn name(i: u32) -> String {
    format!("site-{i:03}")
}

/// Record `round` of site `s` in its inventory.
fn record(store: &mut Store, s: &str, n: u32, round: u32) {
    let info = store::ScanInfo {
        site: s.to_string(),
        ..site::info(round)
    };
    store
        .record_scan(&info, &site::report(n, round), &[])
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Send everything `local` holds of `site` to `hub`; the events sent.
fn push(local: &Store, hub: &mut Store, s: &str) -> usize {
    camscan::fleet::push(local, hub, s)
        .unwrap_or_else(|e| panic!("{e}"))
        .events
}

fn serve(db: &str) -> Child {
    let bin = std::env::var("CAMSCAN_BIN").unwrap_or_else(|_| "target/release/camscan".into());
    let mut child = Command::new(&bin)
        .args(["serve", "--db", db, "--listen", SERVE])
        .env(
            "XDG_STATE_HOME",
            std::env::temp_dir().join("camscan-fleet-bench-state"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    let addr: SocketAddr = SERVE.parse().unwrap();
    for _ in 0..200 {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("camscan serve did not start");
}

/// Median of 20 `GET path` on serve, in ms.
fn timed(path: &str) -> f64 {
    let (status, _, _) = http::get(SERVE, path);
    assert_eq!(status, 200, "{path}");
    median(
        (0..20)
            .map(|_| {
                let t = Instant::now();
                let (status, _, body) = http::get(SERVE, path);
                assert!(status == 200 && !body.is_empty());
                ms(t.elapsed())
            })
            .collect(),
    )
}

struct Figures {
    events: usize,
    send: Duration,
    backlog: Duration,
    backlog_events: usize,
    first_page: f64,
    sites: f64,
    rss: (f64, f64),
}

/// The hub at `url` with `user`'s login (the tests' server trusts loopback logins).
fn open_pg(url: &str, user: Option<&str>) -> Store {
    let url = match user {
        Some(u) => url.replacen("postgres://camscan@", &format!("postgres://{u}@"), 1),
        None => url.to_string(),
    };
    let target = store::PgTarget::from_url(&url, &|_| None).unwrap();
    match user {
        // A site's login, as an agent connects (`fleet::open_hub`): no credential key.
        Some(_) => Store::open_hub(&target),
        None => Store::open_postgres(&target),
    }
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Send every site, then a backlog; with `logins`, each site through its own login
/// (`camscan hub add-site`'s role, held to its rows by row-level security).
fn run(hub_at: &str, sites: &[(String, PathBuf)], n: u32, logins: bool) -> Figures {
    let pg = hub_at.starts_with("postgres://");
    let mut hub = if pg {
        open_pg(hub_at, None)
    } else {
        Store::open(Path::new(hub_at)).unwrap_or_else(|e| panic!("{e}"))
    };
    let role = |s: &str| store::site_admin::role_for(s);
    if logins {
        let verifier = postgres_protocol::password::scram_sha_256(b"bench");
        for (s, _) in sites {
            hub.add_site(s, &role(s), &verifier)
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let site_hub = |s: &str| logins.then(|| open_pg(hub_at, Some(&role(s))));
    let t = Instant::now();
    let mut events = 0;
    for (s, path) in sites {
        let local = Store::open(path).unwrap_or_else(|e| panic!("{e}"));
        events += match site_hub(s) {
            Some(mut h) => push(&local, &mut h, s),
            None => push(&local, &mut hub, s),
        };
    }
    let send = t.elapsed();
    // An hour of backlog at the first site: 12 rounds recorded while the hub was away.
    let (s, path) = &sites[0];
    let mut local = Store::open(path).unwrap_or_else(|e| panic!("{e}"));
    let before = local.last_event_id().unwrap();
    for round in 2..14 {
        record(&mut local, s, n, round);
    }
    let backlog_events = (local.last_event_id().unwrap() - before) as usize;
    let mut backlog_hub = site_hub(s);
    let t = Instant::now();
    match &mut backlog_hub {
        Some(h) => push(&local, h, s),
        None => push(&local, &mut hub, s),
    };
    let backlog = t.elapsed();
    drop(backlog_hub);
    let all = hub.devices(&DeviceQuery::default()).unwrap().len();
    eprintln!("  {hub_at}: {all} devices at the hub");
    drop(hub);
    let mut server = serve(hub_at);
    let first_page = timed("/api/v1/devices?limit=100");
    let sites_ms = timed("/api/v1/sites");
    let rss = http::rss(server.id());
    let _ = server.kill();
    let _ = server.wait();
    eprintln!(
        "  {hub_at}: {events} events in {:.1} s ({:.0}/s), backlog {backlog_events} events in \
         {:.2} s, first page {first_page:.1} ms, sites {sites_ms:.1} ms",
        send.as_secs_f64(),
        events as f64 / send.as_secs_f64(),
        backlog.as_secs_f64()
    );
    Figures {
        events,
        send,
        backlog,
        backlog_events,
        first_page,
        sites: sites_ms,
        rss,
    }
}

fn main() {
    let arg = |i: usize, d: u32| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(d)
    };
    let (n_sites, n) = (arg(1, 100), arg(2, 1000));
    let dir = tempfile::tempdir().expect("a temporary directory");
    eprintln!("fleet bench: {n_sites} sites x {n} devices x 3 streams; recording the sites...");
    let t = Instant::now();
    let sites: Vec<(String, PathBuf)> = (0..n_sites)
        .map(|i| {
            let s = name(i);
            let path = dir.path().join(format!("{s}.db"));
            let mut store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
            record(&mut store, &s, n, 0);
            record(&mut store, &s, n, 1);
            (s, path)
        })
        .collect();
    eprintln!("  recorded in {:.1} s", t.elapsed().as_secs_f64());

    // PostgreSQL three ways, each into a new database: fsync off (as the tests run it), fsync on
    // (PostgreSQL's default: every commit waits for the disk), and fsync on with each site
    // through its own login under row-level security (`camscan hub add-site`).
    let mut pg = postgres::Pg::start_on("127.0.8.20");
    eprintln!("PostgreSQL hub, fsync off...");
    let off = run(&pg.create_db("hub"), &sites, n, false);
    pg.durable();
    eprintln!("PostgreSQL hub, fsync on...");
    let on = run(&pg.create_db("hub_on"), &sites, n, false);
    eprintln!("PostgreSQL hub, fsync on, a login per site...");
    let logins = run(&pg.create_db("hub_logins"), &sites, n, true);
    pg.stop();
    eprintln!("SQLite hub...");
    let file = dir.path().join("hub.db");
    let on_sqlite = run(file.to_str().unwrap(), &sites, n, false);

    let total = u64::from(n_sites) * u64::from(n);
    println!(
        "camscan fleet: {n_sites} sites x {n} devices x 3 streams ({total} devices at the hub)"
    );
    let all = [&off, &on, &logins, &on_sqlite];
    println!(
        "{:<52} {:>14} {:>14} {:>14} {:>14}",
        "", "PG fsync off", "PG fsync on", "PG on, logins", "SQLite (WAL)"
    );
    let row = |what: &str, f: &dyn Fn(&Figures) -> String| {
        let cells: Vec<String> = all.iter().map(|x| format!("{:>14}", f(x))).collect();
        println!("{what:<52} {}", cells.join(" "));
    };
    row("events (with their devices) into the hub", &|f| {
        format!("{:.0}/s", f.events as f64 / f.send.as_secs_f64())
    });
    row("all sites sent (s)", &|f| {
        format!("{:.1}", f.send.as_secs_f64())
    });
    row(
        &format!(
            "an hour of backlog of one site ({} events, s)",
            off.backlog_events
        ),
        &|f| format!("{:.2}", f.backlog.as_secs_f64()),
    );
    row("GET /api/v1/devices first page, median of 20 (ms)", &|f| {
        format!("{:.1}", f.first_page)
    });
    row("GET /api/v1/sites, median of 20 (ms)", &|f| {
        format!("{:.1}", f.sites)
    });
    row("serve RSS after the requests / peak (MB)", &|f| {
        format!("{:.0} / {:.0}", f.rss.0, f.rss.1)
    });
    println!(
        "targets (PostgreSQL, fsync on): first page < 50 ms ({}), sites < 200 ms ({})",
        if on.first_page < 50.0 { "ok" } else { "OVER" },
        if on.sites < 200.0 { "ok" } else { "OVER" }
    );
}
