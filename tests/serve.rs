//! `camscan serve` end to end: a real SQLite inventory filled by real scans of GStreamer RTSP
//! cameras (`tests/servers/rtsp_server.py`, one process per camera so one can be stopped) on
//! 127.0.0.201-202:8554, served by the real binary on 127.0.0.209, and every route checked over
//! real HTTP (a plain `TcpStream` client, so nothing between the test and the server's bytes):
//! pages and filters, problem documents, the web page and its assets, the OpenAPI document against what the server answers,
//! the live event stream resumed with `Last-Event-ID` across a restart of the server, and the
//! limits (an oversized body, a head that never ends, a head too long). SIGTERM and SIGINT end
//! it with 143 and 130.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use common::http::{Answer, exchange, get};
use common::{Serve, Server, camscan, camscan_with_db, free_port, run, stderr};
use serde_json::{Value, json};

const TARGETS: &str = "127.0.0.201-203";
const SERVE_IP: &str = "127.0.0.209";
const LIMIT: Duration = Duration::from_secs(90);

/// One camera: a GStreamer RTSP server on `ip`:8554 with one H.264 stream.
fn camera(ip: &str) -> Server {
    common::rtsp_servers(&json!([
        {"address": ip, "port": 8554, "auth": null, "mounts": [
            {"path": "/Streaming/Channels/101",
             "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
             "audio": null}]}
    ]))
}

fn scan(db: &Path) {
    let out = run(
        camscan_with_db(db).args(["scan", TARGETS, "-p", "8554", "-f", "json"]),
        LIMIT,
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan: {}",
        stderr(&out)
    );
}

/// `camscan serve` on SERVE_IP:`port` (a restart reuses the port), with `extra` arguments.
fn serve_on(db: &Path, port: u16, extra: &[&str]) -> Serve {
    Serve::start(db, &format!("{SERVE_IP}:{port}"), extra)
}

fn get_json(addr: &str, path: &str) -> Value {
    let a = get(addr, path);
    assert_eq!(
        a.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&a.body)
    );
    assert_eq!(
        a.header("content-type").as_deref(),
        Some("application/json")
    );
    a.json()
}

/// Every item of a list walked page by page with `limit` and `cursor`.
fn walk(addr: &str, path: &str, limit: usize) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let page = get_json(addr, &url);
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit, "{url}");
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return items,
        }
    }
    panic!("{path}: the walk did not end");
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|v| v["id"].as_i64().unwrap()).collect()
}

/// An open event stream.
struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    fn open(addr: &str, last_event_id: Option<i64>) -> Events {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let resume = last_event_id
            .map(|id| format!("Last-Event-ID: {id}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "GET /api/v1/events/stream HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{resume}\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(s);
        let mut head = String::new();
        let until = Instant::now() + Duration::from_secs(10);
        while !head.ends_with("\r\n\r\n") {
            assert!(Instant::now() < until, "no head: {head:?}");
            let mut line = String::new();
            if reader.read_line(&mut line).is_ok() {
                head.push_str(&line);
            }
        }
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: text/event-stream"),
            "{head}"
        );
        Events { reader }
    }

    /// The (id, event) pairs that arrive within `wait`, stopping early at `want` of them.
    fn read(&mut self, want: usize, wait: Duration) -> Vec<(i64, Value)> {
        let until = Instant::now() + wait;
        let mut out = Vec::new();
        let (mut id, mut data) = (None, String::new());
        // The body is chunked: chunk-size lines are read and ignored (no SSE line is hex alone).
        while out.len() < want && Instant::now() < until {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(_) => continue,
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(v) = line.strip_prefix("id:") {
                id = Some(v.trim().parse::<i64>().unwrap());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            } else if line.is_empty() && !data.is_empty() {
                let event: Value = serde_json::from_str(&data).unwrap();
                let id = id.take().expect("every event has an id");
                assert_eq!(event["id"], id, "the SSE id is the store's event id");
                out.push((id, event));
                data.clear();
            }
        }
        out
    }
}

/// The whole of issue 18's read side on one lab: scan, serve, check each route, stop, change
/// the lab, restart, resume the event stream.
#[test]
fn the_inventory_over_http() {
    let a = camera("127.0.0.201");
    let b = camera("127.0.0.202");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    scan(&db);
    let port = free_port(SERVE_IP);
    let serve = serve_on(&db, port, &[]);
    let addr = serve.addr.clone();

    // Devices: the two cameras, in the shape `camscan devices -f json` prints.
    let cli: Value = serde_json::from_slice(
        &run(camscan_with_db(&db).args(["devices", "-f", "json"]), LIMIT).stdout,
    )
    .unwrap();
    let first = get(&addr, "/api/v1/devices");
    assert_eq!(first.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(
        first.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    let page = get_json(&addr, "/api/v1/devices");
    let devices = page["items"].as_array().unwrap().clone();
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(devices.len(), 2, "{page}");
    let mut by_cli = cli.as_array().unwrap().clone();
    by_cli.sort_by_key(|d| d["id"].as_i64());
    assert_eq!(devices, by_cli, "one schema: the CLI's JSON");
    let walked = walk(&addr, "/api/v1/devices", 1);
    assert_eq!(
        ids(&walked),
        ids(&devices),
        "a cursor walk sees every device once"
    );

    // Filters.
    let count = |path: &str| get_json(&addr, path)["items"].as_array().unwrap().len();
    assert_eq!(count("/api/v1/devices?state=online"), 2);
    assert_eq!(count("/api/v1/devices?state=offline"), 0);
    assert_eq!(count("/api/v1/devices?q=127.0.0.202"), 1);
    assert_eq!(count("/api/v1/devices?vendor=no-such-vendor"), 0);
    assert_eq!(count("/api/v1/devices?since=1h"), 2);
    assert_eq!(count("/api/v1/devices?since=2999-01-01"), 0);
    // Both devices serve a stream: cameras, every one.
    assert_eq!(count("/api/v1/devices?cameras=true"), 2);
    assert_eq!(count("/api/v1/devices?cameras=false"), 2);
    assert!(
        devices
            .iter()
            .all(|d| d["is_camera"] == true && d.get("hostname").is_some()),
        "{devices:?}"
    );
    get(&addr, "/api/v1/devices?cameras=maybe").assert_problem(400, "invalid-parameter");
    get(&addr, "/api/v1/devices?state=sleeping").assert_problem(400, "invalid-parameter");
    get(&addr, "/api/v1/devices?limit=0").assert_problem(400, "invalid-parameter");
    get(&addr, "/api/v1/devices?stat=online").assert_problem(400, "invalid-parameter");
    get(&addr, "/api/v1/devices?since=yesterday").assert_problem(400, "invalid-parameter");

    // One device, by id and by address, as `camscan show -f json`.
    let id = devices[1]["id"].as_i64().unwrap();
    let one = get_json(&addr, &format!("/api/v1/devices/{id}"));
    let show: Value = serde_json::from_slice(
        &run(
            camscan_with_db(&db).args(["show", &id.to_string(), "-f", "json"]),
            LIMIT,
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(one, show);
    let addr_of = one["address"].as_str().unwrap().to_string();
    assert_eq!(
        get_json(&addr, &format!("/api/v1/devices/{addr_of}"))["id"],
        id
    );
    get(&addr, "/api/v1/devices/999999").assert_problem(404, "not-found");

    // Streams: each with its id and device, no credentials.
    let streams = get_json(&addr, "/api/v1/streams")["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(streams.len(), 2, "{streams:?}");
    for s in &streams {
        assert!(s["id"].is_i64() && s["device_id"].is_i64(), "{s}");
        assert!(
            s["url"]
                .as_str()
                .unwrap()
                .ends_with(":8554/Streaming/Channels/101"),
            "{s}"
        );
        assert_eq!(s["protocol"], "rtsp");
        assert_eq!(s["state"], "up");
    }
    let of_one = get_json(&addr, &format!("/api/v1/streams?device_id={id}"))["items"].clone();
    assert_eq!(of_one.as_array().unwrap().len(), 1);
    assert_eq!(of_one[0]["device_id"], id);
    assert_eq!(ids(&walk(&addr, "/api/v1/streams", 1)), ids(&streams));

    // Events: newest first, a walk sees each once, filters, an unknown device is a 404.
    let events = get_json(&addr, "/api/v1/events?limit=1000")["items"]
        .as_array()
        .unwrap()
        .clone();
    let kinds: BTreeSet<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains("device_new"), "{kinds:?}");
    let event_ids = ids(&events);
    assert!(event_ids.windows(2).all(|w| w[0] > w[1]), "{event_ids:?}");
    assert_eq!(ids(&walk(&addr, "/api/v1/events", 2)), event_ids);
    let new_ones = get_json(&addr, "/api/v1/events?kind=device_new")["items"].clone();
    assert_eq!(new_ones.as_array().unwrap().len(), 2);
    let of_device = get_json(&addr, &format!("/api/v1/events?device={addr_of}"))["items"].clone();
    assert!(
        of_device
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["device_id"] == id)
    );
    get(&addr, "/api/v1/events?device=10.99.99.99").assert_problem(404, "not-found");
    get(&addr, "/api/v1/events?kind=exploded").assert_problem(400, "invalid-parameter");

    // Scans, and a diff that needs two of them.
    let scans = get_json(&addr, "/api/v1/scans")["items"].clone();
    assert_eq!(scans.as_array().unwrap().len(), 1);
    assert_eq!(scans[0]["complete"], true);
    get(&addr, "/api/v1/diff").assert_problem(404, "not-found");
    get(&addr, "/api/v1/diff?from=x").assert_problem(400, "invalid-parameter");

    // Sites: the one this inventory's scans ran at, with its devices and its last scan; and a
    // filter by site that matches nothing is an empty page, not an error.
    let site = scans[0]["site"].as_str().unwrap().to_string();
    assert!(!site.is_empty());
    let sites = get_json(&addr, "/api/v1/sites");
    let sites = sites.as_array().unwrap();
    assert_eq!(sites.len(), 1, "{sites:?}");
    assert_eq!(sites[0]["name"], site.as_str());
    let all = get_json(&addr, "/api/v1/devices")["items"].clone();
    assert_eq!(sites[0]["devices"], all.as_array().unwrap().len());
    assert_eq!(sites[0]["last_scan"], scans[0]["finished_at"]);
    assert_eq!(sites[0]["last_contact"], serde_json::Value::Null);
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|d| d["site"] == site.as_str())
    );
    let elsewhere = get_json(&addr, "/api/v1/devices?site=elsewhere")["items"].clone();
    assert_eq!(elsewhere.as_array().unwrap().len(), 0);
    let here = get_json(&addr, &format!("/api/v1/devices?site={site}"))["items"].clone();
    assert_eq!(here, all);

    // Anything else.
    get(&addr, "/api/v2/devices").assert_problem(404, "not-found");
    get(&addr, "/no/such/page").assert_problem(404, "not-found");

    // The web page: the same document at / and at each view's path (deep links), its assets
    // with their types, under the page's Content-Security-Policy.
    for path in ["/", &format!("/devices/{id}"), "/live/1"] {
        let page = get(&addr, path);
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(
            page.header("content-type").as_deref(),
            Some("text/html; charset=utf-8")
        );
        let csp = page.header("content-security-policy").unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("style-src 'self'"));
        assert!(String::from_utf8_lossy(&page.body).contains("/assets/app.js"));
    }
    for (asset, kind) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("icon.svg", "image/svg+xml"),
    ] {
        let a = get(&addr, &format!("/assets/{asset}"));
        assert_eq!(a.status, 200, "{asset}");
        assert_eq!(a.header("content-type").as_deref(), Some(kind));
        assert!(!a.body.is_empty());
    }
    get(&addr, "/assets/nope.js").assert_problem(404, "not-found");

    // What the page draws: a device's availability (online since the scan found it, unknown
    // before), a stream's checks (none: no watcher ran).
    let avail = get_json(&addr, &format!("/api/v1/devices/{id}/availability"));
    assert_eq!(avail["device_id"], id);
    let spans = avail["spans"].as_array().unwrap();
    assert_eq!(spans.first().unwrap()["from"], avail["from"]);
    assert_eq!(spans.last().unwrap()["to"], avail["to"]);
    assert_eq!(spans.last().unwrap()["state"], "online", "{avail}");
    assert_eq!(spans.first().unwrap()["state"], "unknown", "{avail}");
    assert_eq!(avail["online_ratio"], 1.0);
    let day = get_json(&addr, &format!("/api/v1/devices/{id}/availability?days=1"));
    assert!(day["from"].as_str() > avail["from"].as_str());
    get(&addr, &format!("/api/v1/devices/{id}/availability?days=0"))
        .assert_problem(400, "invalid-parameter");
    get(&addr, "/api/v1/devices/x/availability").assert_problem(400, "invalid-parameter");
    get(&addr, "/api/v1/devices/999999/availability").assert_problem(404, "not-found");
    let stream_id = of_one[0]["id"].as_i64().unwrap();
    let checks = get_json(
        &addr,
        &format!("/api/v1/streams/{stream_id}/checks?since=7d"),
    );
    assert_eq!(checks["stream_id"], stream_id);
    assert_eq!(checks["items"], json!([]));
    get(&addr, "/api/v1/streams/999999/checks").assert_problem(404, "not-found");
    get(
        &addr,
        &format!("/api/v1/streams/{stream_id}/checks?limit=0"),
    )
    .assert_problem(400, "invalid-parameter");
    let post = exchange(
        &addr,
        &format!(
            "POST /api/v1/devices HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
        ),
    );
    post.assert_problem(405, "method-not-allowed");
    assert_eq!(post.header("allow").as_deref(), Some("GET, HEAD"));

    // The OpenAPI document: every route it names answers, with a status it lists for that
    // route; and what the server answers for the error cases above is listed too.
    let doc = get_json(&addr, "/api/v1/openapi.json");
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths {
        // WHEP's POST and DELETE are proven with real offers (tests/live.rs, tests/live_api.rs),
        // the push's POST against a tool (tests/push_page.rs).
        if item.get("get").is_none() {
            assert!(
                path.contains("/whep") || path == "/api/v1/push/{tool}",
                "{path}: no GET"
            );
            continue;
        }
        let documented: BTreeSet<u16> = item["get"]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(|c| c.parse().unwrap())
            .collect();
        let status = |concrete: &str| {
            if concrete.ends_with("/events/stream") {
                // An endless body: only the head is read.
                let mut s = TcpStream::connect(&addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                write!(s, "GET {concrete} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
                let mut line = String::new();
                BufReader::new(s).read_line(&mut line).unwrap();
                line.split_whitespace()
                    .nth(1)
                    .unwrap()
                    .parse::<u16>()
                    .unwrap()
            } else {
                get(&addr, concrete).status
            }
        };
        // `{id}` is a stream's id under /streams, a device's elsewhere.
        let concrete = if path.starts_with("/api/v1/streams/") {
            path.replace("{id}", &stream_id.to_string())
        } else {
            path.replace("{id}", &id.to_string())
        }
        .replace("{format}", "json");
        let ok = status(&concrete);
        // One scan only so far: the diff has nothing to compare (404, documented); no scan
        // was asked over the API, so there is no job, and none queued for a fleet's site.
        // The lab's cameras are RTSP only: no snapshot URL (404).
        // The live feed is a WebSocket: a plain GET is 400. The lab's stream is RTSP, not MJPEG
        // over HTTP (422).
        let expected = if path == "/api/v1/diff"
            || path == "/api/v1/scans/jobs/{id}"
            || path == "/api/v1/scans/requests/{id}"
            || path == "/api/v1/devices/{id}/snapshot"
        {
            404
        } else if path == "/api/v1/streams/{id}/live" {
            400
        } else if path == "/api/v1/streams/{id}/mjpeg" {
            422
        } else {
            200
        };
        assert_eq!(ok, expected, "{concrete}");
        assert!(documented.contains(&ok), "{path}: {ok} not documented");
        // Every route refuses a parameter it does not take, and says so in the document.
        let bad = status(&format!("{concrete}?no_such_parameter=1"));
        assert_eq!(bad, 400, "{path}");
        assert!(documented.contains(&400), "{path}: 400 not documented");
        for common in [405, 413, 500, 503] {
            assert!(
                documented.contains(&common),
                "{path}: {common} not documented"
            );
        }
    }
    assert!(paths.contains_key("/api/v1/devices/{id}"));
    assert_eq!(paths.len(), 26, "{:?}", paths.keys().collect::<Vec<_>>());
    let types: BTreeSet<&str> =
        doc["components"]["schemas"]["Problem"]["properties"]["type"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
    for kind in [
        "not-found",
        "invalid-parameter",
        "method-not-allowed",
        "body-too-large",
    ] {
        assert!(types.contains(format!("urn:camscan:problem:{kind}").as_str()));
    }

    // The event stream from the start (Last-Event-ID 0): every stored event, oldest first.
    let mut stream = Events::open(&addr, Some(0));
    let replay = stream.read(event_ids.len(), Duration::from_secs(10));
    let mut oldest_first = event_ids.clone();
    oldest_first.reverse();
    assert_eq!(
        replay.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        oldest_first
    );
    let last_seen = *oldest_first.last().unwrap();
    drop(stream);
    get(&addr, "/api/v1/events/stream?after=1").assert_problem(400, "invalid-parameter");
    let bad = exchange(
        &addr,
        &format!(
            "GET /api/v1/events/stream HTTP/1.1\r\nHost: {addr}\r\nLast-Event-ID: nope\r\nConnection: close\r\n\r\n"
        ),
    );
    bad.assert_problem(400, "invalid-parameter");

    // SIGTERM: 143, promptly, with a live stream open (it ends with the server).
    let open = Events::open(&addr, None);
    let t = Instant::now();
    assert_eq!(serve.stop("TERM"), Some(143));
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    drop(open);

    // While the server is down, a camera goes away and a scan sees it: new events.
    drop(b);
    scan(&db);
    let serve = serve_on(&db, port, &[]);
    let all = get_json(&addr, "/api/v1/events?limit=1000")["items"]
        .as_array()
        .unwrap()
        .clone();
    let mut missed: Vec<i64> = ids(&all).into_iter().filter(|i| *i > last_seen).collect();
    missed.reverse();
    assert!(!missed.is_empty(), "the second scan derived no events");
    let kinds: BTreeSet<&str> = all
        .iter()
        .filter(|e| e["id"].as_i64().unwrap() > last_seen)
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains("device_offline"), "{kinds:?}");

    // Reconnect with the last id seen: exactly the missed events, nothing before them.
    let mut stream = Events::open(&addr, Some(last_seen));
    let resumed = stream.read(missed.len() + 1, Duration::from_secs(3));
    assert_eq!(
        resumed.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        missed
    );
    let resumed_last = *missed.last().unwrap();

    // Then live: the camera comes back, a scan (another process) records it, the open stream
    // gets the new events as they are stored.
    let b = camera("127.0.0.202");
    scan(&db);
    let live = stream.read(100, Duration::from_secs(5));
    let now: Vec<i64> = ids(&get_json(&addr, "/api/v1/events?limit=1000")["items"]
        .as_array()
        .unwrap()
        .clone())
    .into_iter()
    .filter(|i| *i > resumed_last)
    .rev()
    .collect();
    assert!(!now.is_empty());
    assert_eq!(live.iter().map(|(id, _)| *id).collect::<Vec<_>>(), now);
    assert!(
        live.iter().any(|(_, e)| e["kind"] == "device_online"),
        "{live:?}"
    );
    drop(stream);

    // Two complete scans now: the diff between the first and the second.
    let scans = walk(&addr, "/api/v1/scans", 1);
    assert_eq!(scans.len(), 3);
    let (first, second) = (
        scans[2]["id"].as_i64().unwrap(),
        scans[1]["id"].as_i64().unwrap(),
    );
    let diff = get_json(&addr, &format!("/api/v1/diff?from={first}&to={second}"));
    assert_eq!(diff["a"]["id"], first);
    assert_eq!(diff["removed"].as_array().unwrap().len(), 1, "{diff}");
    get(&addr, "/api/v1/diff?from=1&to=999").assert_problem(404, "not-found");

    // SIGINT: 130.
    assert_eq!(serve.stop("INT"), Some(130));
    drop((a, b));
}

/// Requests that would hold the server: a body over the limit is refused before it is read; a
/// head that never ends, and one over 16 KiB, are cut within the header deadline.
/// An inventory with no device (serve opens an existing one): a scan of a closed port on
/// 127.0.0.206 made it.
fn empty_inventory() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let out = run(
        camscan_with_db(&db).args(["scan", "127.0.0.206", "-p", "9", "--discovery", "ports"]),
        LIMIT,
    );
    assert!(db.exists(), "{}", stderr(&out));
    (dir, db)
}

fn post_scan(addr: &str, content_type: &str, body: &str, origin: Option<&str>) -> Answer {
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    exchange(
        addr,
        &format!(
            "POST /api/v1/scans HTTP/1.1\r\nHost: {addr}\r\n{origin}Content-Type: {content_type}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// A scan asked over the API, of a real GStreamer camera on 127.0.0.205:8554: refused outside
/// `--allow-targets`, in another format, from another site; accepted (202, Location), one at a
/// time, its progress and end on the event stream as `event: scan`, recorded (its scan id in the
/// scans, its device in the devices), and not again within 10 s.
#[test]
fn a_scan_asked_over_the_api() {
    let (dir, db) = empty_inventory();
    let _cam = camera("127.0.0.205");
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, "ports: \"8554\"\n").unwrap();
    let serve = serve_on(
        &db,
        free_port(SERVE_IP),
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--allow-targets",
            "127.0.0.204-127.0.0.206",
        ],
    );
    let addr = serve.addr.clone();
    let origin = format!("http://{addr}");
    let opts = get_json(&addr, "/api/v1/scans/options");
    assert_eq!(opts["allow_targets"], json!(["127.0.0.204-127.0.0.206"]));
    assert_eq!(opts["credentials"], json!(["none"]));
    assert_eq!(opts["ports"], "8554");

    let json_type = "application/json";
    post_scan(
        &addr,
        json_type,
        r#"{"targets":["127.0.0.1"]}"#,
        Some(&origin),
    )
    .assert_problem(403, "target-not-allowed");
    post_scan(
        &addr,
        json_type,
        r#"{"targets":["127.0.0.204/24"]}"#,
        Some(&origin),
    )
    .assert_problem(403, "target-not-allowed");
    post_scan(
        &addr,
        json_type,
        r#"{"targets":["localhost"]}"#,
        Some(&origin),
    )
    .assert_problem(400, "invalid-body");
    post_scan(
        &addr,
        json_type,
        r#"{"targets":"127.0.0.205"}"#,
        Some(&origin),
    )
    .assert_problem(400, "invalid-body");
    post_scan(
        &addr,
        "text/plain",
        r#"{"targets":["127.0.0.205"]}"#,
        Some(&origin),
    )
    .assert_problem(415, "unsupported-media-type");
    post_scan(
        &addr,
        json_type,
        r#"{"targets":["127.0.0.205"]}"#,
        Some("http://evil.example"),
    )
    .assert_problem(403, "cross-origin");

    // The event stream is open before the scan starts.
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    write!(
        stream,
        "GET /api/v1/events/stream HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut events = BufReader::new(stream);

    let started = post_scan(
        &addr,
        json_type,
        r#"{"targets":["127.0.0.205"]}"#,
        Some(&origin),
    );
    assert_eq!(
        started.status,
        202,
        "{}",
        String::from_utf8_lossy(&started.body)
    );
    let job = started.json();
    assert_eq!(job["state"], "running");
    assert_eq!(job["hosts_total"], 1);
    let id = job["id"].as_u64().unwrap();
    assert_eq!(
        started.header("location"),
        Some(format!("/api/v1/scans/jobs/{id}"))
    );
    let again = post_scan(
        &addr,
        json_type,
        r#"{"targets":["127.0.0.205"]}"#,
        Some(&origin),
    );
    let kind = again.json()["type"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        kind.ends_with(":scan-running") || kind.ends_with(":rate-limited"),
        "{kind}"
    );

    // `event: scan` lines until the job ends.
    let until = Instant::now() + Duration::from_secs(90);
    let (mut kind, mut seen, mut end) = (String::new(), 0, None);
    while end.is_none() && Instant::now() < until {
        let mut line = String::new();
        if events.read_line(&mut line).is_err() {
            continue;
        }
        let line = line.trim_end();
        if let Some(k) = line.strip_prefix("event:") {
            kind = k.trim().to_string();
        } else if let (Some(data), "scan") = (line.strip_prefix("data:"), kind.as_str()) {
            let j: Value = serde_json::from_str(data.trim()).unwrap();
            assert_eq!(j["id"], id);
            seen += 1;
            if j["state"] != "running" {
                end = Some(j);
            }
        } else if line.is_empty() {
            kind.clear();
        }
    }
    let end = end.expect("the job's end came as an event: scan");
    assert!(seen >= 1);
    assert_eq!(end["state"], "done", "{end}");
    assert_eq!(end["hosts_done"], 1);
    assert!(end["devices"].as_u64().unwrap() >= 1, "{end}");
    let scan_id = end["scan_id"].as_i64().unwrap();
    assert_eq!(get_json(&addr, &format!("/api/v1/scans/jobs/{id}")), end);
    assert_eq!(get_json(&addr, "/api/v1/scans/jobs")["items"][0], end);
    assert_eq!(get_json(&addr, "/api/v1/scans")["items"][0]["id"], scan_id);
    let devices = get_json(&addr, "/api/v1/devices?q=127.0.0.205");
    let device = &devices["items"][0];
    assert_eq!(device["address"], "127.0.0.205", "{devices}");
    let streams = get_json(
        &addr,
        &format!("/api/v1/streams?device_id={}", device["id"]),
    );
    assert!(
        streams["items"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with("127.0.0.205:8554/Streaming/Channels/101"),
        "{streams}"
    );

    // Prometheus on the same listener: the API scan and the device it found.
    let m = get(&addr, "/metrics");
    assert_eq!(m.status, 200);
    assert!(
        m.header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4"))
    );
    let text = String::from_utf8_lossy(&m.body);
    assert!(
        text.lines().any(|l| l.starts_with("camscan_device_up{")
            && l.contains("ip=\"127.0.0.205\"")
            && l.ends_with(" 1")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("camscan_scans_total") && !l.ends_with(" 0")),
        "{text}"
    );

    // The inventory downloads in every format, the configs included, without credentials.
    let doc = get(&addr, "/api/v1/export/json");
    assert_eq!(doc.status, 200);
    assert_eq!(
        doc.header("content-disposition").as_deref(),
        Some("attachment; filename=\"camscan-inventory.json\"")
    );
    let doc = doc.json();
    assert_eq!(doc["schema_version"], 2);
    let cam = doc["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ip"] == "127.0.0.205")
        .unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(
        cam["streams"][0]["url"],
        "rtsp://127.0.0.205:8554/Streaming/Channels/101"
    );
    let go2rtc = get(&addr, "/api/v1/export/go2rtc");
    assert_eq!(
        go2rtc.header("content-type").as_deref(),
        Some("application/yaml")
    );
    let text = String::from_utf8_lossy(&go2rtc.body);
    assert!(
        text.contains("streams:")
            && text.contains("rtsp://127.0.0.205:8554/Streaming/Channels/101"),
        "{text}"
    );
    let csv = get(&addr, "/api/v1/export/csv?state=online");
    assert_eq!(csv.status, 200);
    assert!(String::from_utf8_lossy(&csv.body).contains("127.0.0.205"));
    get(&addr, "/api/v1/export/pdf").assert_problem(404, "not-found");
    get(&addr, "/api/v1/export/csv?state=up").assert_problem(400, "invalid-parameter");

    let soon = post_scan(
        &addr,
        json_type,
        r#"{"targets":["127.0.0.205"]}"#,
        Some(&origin),
    );
    soon.assert_problem(429, "rate-limited");
    assert_eq!(soon.header("retry-after").as_deref(), Some("10"));
    get(&addr, "/api/v1/scans/jobs/99").assert_problem(404, "not-found");
    assert_eq!(serve.stop("TERM"), Some(143));
}

/// The snapshot proxy against a real server: Debian's nginx (the media lab's `hls` and `mjpeg`
/// units, moved to 127.0.0.207) serving an ffmpeg-made JPEG at /snapshot.jpg. The scan finds it as a JPEG stream;
/// the server fetches it from the camera's address and passes the same bytes on; a camera with no
/// snapshot URL is a 404.
#[test]
fn a_cameras_snapshot_through_the_server() {
    let _lab = common::media_lab(
        &[
            "--only",
            "hls,mjpeg",
            "--bind",
            "hls=127.0.0.207",
            "--bind",
            "mjpeg=127.0.0.207",
            "--timeout",
            "120",
        ],
        Duration::from_secs(90),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let out = run(
        camscan_with_db(&db).args(["scan", "127.0.0.207", "-p", "80", "-f", "json"]),
        LIMIT,
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let serve = serve_on(&db, free_port(SERVE_IP), &[]);
    let addr = serve.addr.clone();
    let devices = get_json(&addr, "/api/v1/devices?q=127.0.0.207");
    let id = devices["items"][0]["id"].as_i64().unwrap();
    let snap = get(&addr, &format!("/api/v1/devices/{id}/snapshot"));
    assert_eq!(snap.status, 200, "{}", String::from_utf8_lossy(&snap.body));
    assert_eq!(snap.header("content-type").as_deref(), Some("image/jpeg"));
    let direct = exchange(
        "127.0.0.207:80",
        "GET /snapshot.jpg HTTP/1.1\r\nHost: 127.0.0.207\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(direct.status, 200);
    assert!(snap.body.len() > 1000);
    assert_eq!(snap.body, direct.body, "the camera's bytes, unchanged");
    get(&addr, "/api/v1/devices/999999/snapshot").assert_problem(404, "not-found");
    get(&addr, "/api/v1/devices/x/snapshot").assert_problem(400, "invalid-parameter");
}

/// `camscan serve --every --check-streams`: the watcher in the same process. Its first round
/// scans the config's targets (a real GStreamer camera on 127.0.0.204:8554) with no request; its
/// checks fill the stream's history; the camera stopped, its stream goes down (an event the API
/// lists); SIGTERM stops both (143).
#[test]
fn the_watcher_runs_inside_serve() {
    let (dir, db) = empty_inventory();
    let cam = camera("127.0.0.204");
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, "targets: [\"127.0.0.204\"]\nports: \"8554\"\n").unwrap();
    let serve = serve_on(
        &db,
        free_port(SERVE_IP),
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--allow-targets",
            "127.0.0.204",
            "--every",
            "1h",
            "--check-streams",
            "1s",
        ],
    );
    let addr = serve.addr.clone();
    let wait_for = |what: &str, f: &dyn Fn() -> Option<Value>| -> Value {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(v) = f() {
                return v;
            }
            assert!(Instant::now() < until, "{what} within 60 s");
            std::thread::sleep(Duration::from_millis(250));
        }
    };
    let device = wait_for("the watcher's first scan", &|| {
        let page = get_json(&addr, "/api/v1/devices?q=127.0.0.204");
        page["items"].as_array()?.first().cloned()
    });
    let streams = get_json(
        &addr,
        &format!("/api/v1/streams?device_id={}", device["id"]),
    );
    let stream = streams["items"][0]["id"].as_i64().unwrap();
    wait_for("a stream check", &|| {
        let c = get_json(&addr, &format!("/api/v1/streams/{stream}/checks"));
        let items = c["items"].as_array()?;
        items.iter().any(|c| c["ok"] == true).then(|| c.clone())
    });
    drop(cam);
    let down = wait_for("stream_down", &|| {
        let e = get_json(&addr, "/api/v1/events?kind=stream_down");
        e["items"].as_array()?.first().cloned()
    });
    assert_eq!(
        down["stream_url"], "rtsp://127.0.0.204:8554/Streaming/Channels/101",
        "{down}"
    );
    assert_eq!(serve.stop("TERM"), Some(143));
}

#[test]
fn oversized_and_slow_requests_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    // An empty inventory is enough: nothing here reads a device.
    let out = run(
        camscan_with_db(&db).args(["scan", "127.0.0.208", "-p", "9", "--discovery", "ports"]),
        LIMIT,
    );
    assert!(db.exists(), "{}", stderr(&out));
    let serve = serve_on(&db, free_port(SERVE_IP), &[]);
    let addr = serve.addr.clone();

    // 10 MB announced, 1 KB sent: answered 413 at once, without waiting for the rest.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST /api/v1/devices HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 10000000\r\n\r\n"
    )
    .unwrap();
    s.write_all(&[b'x'; 1024]).unwrap();
    let t = Instant::now();
    let mut line = String::new();
    BufReader::new(&s).read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 413"), "{line:?}");
    assert!(t.elapsed() < Duration::from_secs(5));

    // Half a request line, then nothing: closed by the 10 s header deadline.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    slow.write_all(b"GET /api/v1/dev").unwrap();
    let t = Instant::now();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_secs(8) && waited < Duration::from_secs(15),
        "closed after {waited:?}"
    );
    assert!(
        rest.is_empty() || rest.starts_with(b"HTTP/1.1 408"),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );

    // A head over 16 KiB: 431 and closed.
    let big = "x".repeat(20 * 1024);
    let a = exchange(
        &addr,
        &format!(
            "GET /api/v1/devices HTTP/1.1\r\nHost: {addr}\r\nX-Big: {big}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(a.status, 431, "{}", a.head);

    // Live event streams are capped: one more than 32 is answered 503 with Retry-After.
    let open: Vec<Events> = (0..32).map(|_| Events::open(&addr, None)).collect();
    let refused = get(&addr, "/api/v1/events/stream");
    refused.assert_problem(503, "too-many-streams");
    assert_eq!(refused.header("retry-after").as_deref(), Some("5"));
    drop(open);
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        // The server notices the closed streams at its next write or poll.
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET /api/v1/events/stream HTTP/1.1\r\nHost: {addr}\r\n\r\n"
        )
        .unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        if line.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < until, "slots not given back: {line}");
        std::thread::sleep(Duration::from_millis(200));
    }

    // The server is still there.
    assert_eq!(get(&addr, "/api/v1/devices").status, 200);
    assert_eq!(serve.stop("TERM"), Some(143));
}

/// Beyond loopback without a token file it refuses to start (saying how to make one), before it
/// binds or opens anything.
#[test]
fn a_bind_beyond_loopback_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    let out = run(
        camscan().args([
            "serve",
            "--listen",
            "0.0.0.0:8750",
            "--db",
            db.to_str().unwrap(),
        ]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("refusing to listen on 0.0.0.0:8750"), "{err}");
    assert!(err.contains("camscan serve --print-token"), "{err}");
    assert!(!db.exists());
    assert!(!dir.path().join("serve.token").exists());

    // A store that does not exist is not created by serve.
    let out = run(
        camscan().args([
            "serve",
            "--listen",
            &format!("{SERVE_IP}:{}", free_port(SERVE_IP)),
            "--db",
            db.to_str().unwrap(),
        ]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no inventory at"), "{}", stderr(&out));
}
