//! `camscan watch`'s notification sinks against real peers: a Mosquitto broker (Debian's
//! `mosquitto`, read back with `mosquitto_sub`), a webhook receiver on CPython's http.server
//! (tests/servers/webhook_receiver.py) and commands run by the exec sink. Events come from a real
//! store (`Store::record_scan`, `Store::record_check`) and go out through `notify::deliver`, the
//! loop `camscan watch` runs per sink.
//!
//! Addresses: 127.0.0.161 (the broker), 127.0.0.162-163 (webhook receivers). Every wait is
//! bounded.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use camscan::notify::{self, Sink, SinkError, SinkStats};
use model::{AuthScheme, Device, DiscoveryMethod, Protocol, Report, Stream, VideoInfo};
use store::SharedStore;
use store::{CheckLayer, CheckResult, EventKind, Notice, ScanInfo, Store, StoreError};
use tokio::sync::{Notify, watch};

const BROKER: &str = "127.0.0.161";
const BROKER_PORT: u16 = 1883;
/// The outbox cap of these tests: far above what they write, so nothing is dropped.
const CAP: i64 = 10_000;
/// A cursor that never delivers: what every sink should have received, read back at the end.
const WITNESS: &str = "test-witness";

// ---------------------------------------------------------------------------------------------
// The store and its events

fn scan(n: u32) -> ScanInfo {
    ScanInfo {
        started_at: format!("2026-01-0{n}T00:00:00Z"),
        finished_at: format!("2026-01-0{n}T00:01:00Z"),
        complete: true,
        site: "lab".into(),
        targets: vec!["10.0.0.0/24".into()],
        ports: vec![554],
        methods: vec!["port".into(), "arp".into()],
        version: "0.1.0".into(),
        coverage: None,
    }
}

/// A camera with one verified RTSP stream (the addresses are data in a report, never contacted).
fn camera(mac: &str, ip: &str, model: &str) -> Device {
    let mut d = Device::new(ip.parse().unwrap());
    d.mac = Some(mac.into());
    d.vendor = Some("Hikvision".into());
    d.model = Some(model.into());
    d.firmware = Some("V5.7.3".into());
    d.is_camera = true;
    d.open_ports = vec![554];
    d.discovered_by = vec![DiscoveryMethod::Arp, DiscoveryMethod::Port];
    let mut s = Stream::new(
        format!("rtsp://{ip}:554/Streaming/Channels/101"),
        Protocol::Rtsp,
        554,
    );
    s.auth = AuthScheme::None;
    s.verified = true;
    let mut v = VideoInfo::new("h264".into());
    (v.width, v.height, v.fps) = (Some(1920), Some(1080), Some(25.0));
    s.video = Some(v);
    d.streams = vec![s];
    d
}

fn report(devices: Vec<Device>) -> Report {
    Report {
        schema_version: 1,
        camscan_version: "0.1.0".into(),
        started_at: String::new(),
        finished_at: String::new(),
        complete: true,
        targets: vec![],
        plan: None,
        coverage: None,
        devices,
    }
}

fn open_store(dir: &Path) -> SharedStore {
    let store = Store::open(&dir.join("inventory.db")).unwrap();
    // The witness starts before any event.
    store.sink_cursor(WITNESS).unwrap();
    SharedStore::new(store)
}

fn record(store: &SharedStore, n: u32, devices: Vec<Device>) -> Vec<EventKind> {
    let r = store
        .lock()
        .record_scan(&scan(n), &report(devices), &[])
        .unwrap();
    r.events.iter().map(|e| e.kind).collect()
}

/// Every event the store wrote, in id order.
fn all_events(store: &SharedStore) -> Vec<Notice> {
    store.lock().pending(WITNESS, CAP, CAP).unwrap().0
}

fn depth(store: &SharedStore, sink: &str) -> i64 {
    store.lock().outbox_depth(sink).unwrap()
}

const A: (&str, &str, &str) = ("aa:bb:cc:00:00:01", "10.0.0.5", "DS-2CD2042WD");
const B: (&str, &str, &str) = ("aa:bb:cc:00:00:02", "10.0.0.6", "DS-2CD2143G0");

fn cam(c: (&str, &str, &str)) -> Device {
    camera(c.0, c.1, c.2)
}

// ---------------------------------------------------------------------------------------------
// The delivery loop as `camscan watch` runs it

struct Deliverer {
    stop: watch::Sender<bool>,
    wake: Arc<Notify>,
    stats: Arc<Mutex<SinkStats>>,
    task: tokio::task::JoinHandle<Result<(), StoreError>>,
}

impl Deliverer {
    fn start(store: &SharedStore, name: &str, sink: Sink) -> Deliverer {
        let (stop, stop_rx) = watch::channel(false);
        let wake = Arc::new(Notify::new());
        let stats = Arc::new(Mutex::new(SinkStats::default()));
        let task = tokio::spawn(notify::deliver(
            store.clone(),
            name.to_string(),
            sink,
            CAP,
            wake.clone(),
            stop_rx,
            stats.clone(),
        ));
        Deliverer {
            stop,
            wake,
            stats,
            task,
        }
    }

    fn stats(&self) -> SinkStats {
        *self.stats.lock().unwrap()
    }

    /// Wait until the task has counted `n` deliveries (it moves the cursor, then counts).
    async fn delivered(&self, n: usize) {
        wait_until("the delivery count", Duration::from_secs(10), || {
            self.stats().delivered as usize >= n
        })
        .await;
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("the delivery task stops within 20 s")
            .unwrap()
            .unwrap();
    }
}

/// Poll `ready` every 25 ms for at most `limit`.
async fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Mosquitto

/// A Mosquitto broker on 127.0.0.161:1883 (no persistence: a restart forgets retained messages,
/// as a default install configured that way does), killed (by its PID) on drop.
struct Broker {
    child: Child,
}

impl Broker {
    fn start(dir: &Path) -> Broker {
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {BROKER_PORT} {BROKER}\nallow_anonymous true\npersistence false\n\
                 log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n"
            ),
        )
        .unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("mosquitto.log"))
            .unwrap();
        let mut child = Command::new("mosquitto")
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("mosquitto (Debian package mosquitto; scripts/test installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect_timeout(
            &(BROKER.parse::<std::net::IpAddr>().unwrap(), BROKER_PORT).into(),
            Duration::from_millis(200),
        )
        .is_err()
        {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "mosquitto exited with {status}: {}",
                    common::read(&dir.join("mosquitto.log"))
                );
            }
            assert!(Instant::now() < deadline, "mosquitto not listening in 10 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        // Ours, not another broker on the port (ours would have exited: address in use).
        std::thread::sleep(Duration::from_millis(100));
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "mosquitto exited with {status}: {}",
                common::read(&dir.join("mosquitto.log"))
            );
        }
        Broker { child }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One message as `mosquitto_sub -F '%r %q %t %p'` prints it.
#[derive(Debug, Clone, PartialEq)]
struct Msg {
    retained: bool,
    qos: u8,
    topic: String,
    payload: String,
}

fn parse_msg(line: &str) -> Option<Msg> {
    let (r, rest) = line.split_once(' ')?;
    let (q, rest) = rest.split_once(' ')?;
    let (topic, payload) = rest.split_once(' ').unwrap_or((rest, ""));
    Some(Msg {
        retained: r == "1",
        qos: q.parse().ok()?,
        topic: topic.into(),
        payload: payload.into(),
    })
}

const SUB_ARGS: [&str; 6] = ["-t", "cams/#", "-t", "homeassistant/#", "-F", "%r %q %t %p"];

/// A live `mosquitto_sub` (QoS 1) on the broker's topics, killed on drop.
struct Subscriber {
    child: Child,
    msgs: Arc<Mutex<Vec<Msg>>>,
}

impl Subscriber {
    /// Subscribe, and return once a marker published after it has come through.
    async fn start(marker: &str) -> Subscriber {
        let mut child = Command::new("mosquitto_sub")
            .args(["-h", BROKER, "-p", &BROKER_PORT.to_string(), "-q", "1"])
            .args(SUB_ARGS)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("mosquitto_sub (Debian package mosquitto-clients)");
        let out = child.stdout.take().unwrap();
        let msgs = Arc::new(Mutex::new(Vec::new()));
        let sink = msgs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(m) = parse_msg(&line) {
                    sink.lock().unwrap().push(m);
                }
            }
        });
        let sub = Subscriber { child, msgs };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let status = Command::new("mosquitto_pub")
                .args(["-h", BROKER, "-p", &BROKER_PORT.to_string()])
                .args(["-t", "cams/marker", "-m", marker])
                .status()
                .unwrap();
            assert!(status.success(), "mosquitto_pub");
            tokio::time::sleep(Duration::from_millis(100)).await;
            if sub
                .msgs()
                .iter()
                .any(|m| m.topic == "cams/marker" && m.payload == marker)
            {
                return sub;
            }
            assert!(
                Instant::now() < deadline,
                "mosquitto_sub not subscribed in 10 s"
            );
        }
    }

    fn msgs(&self) -> Vec<Msg> {
        self.msgs.lock().unwrap().clone()
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The broker's retained messages now: topic -> payload.
fn retained() -> BTreeMap<String, String> {
    let out = Command::new("mosquitto_sub")
        .args(["-h", BROKER, "-p", &BROKER_PORT.to_string(), "-q", "1"])
        .args(SUB_ARGS)
        // Retained messages come right after the subscription; 2 s is plenty on loopback.
        .args(["--retained-only", "-W", "2"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(parse_msg)
        .map(|m| {
            assert!(m.retained, "{m:?}");
            (m.topic, m.payload)
        })
        .collect()
}

/// The notices among `msgs` (the event topics), checked against their topic and QoS.
fn event_notices(msgs: &[Msg]) -> Vec<Notice> {
    msgs.iter()
        .filter(|m| {
            !m.topic.ends_with("/state") && m.topic.starts_with("cams/") && m.topic != "cams/marker"
        })
        .map(|m| {
            let n: Notice = serde_json::from_str(&m.payload)
                .unwrap_or_else(|e| panic!("{}: {e}: {}", m.topic, m.payload));
            assert_eq!(
                m.topic,
                format!("cams/{}/{}", n.device.id, n.kind.as_str()),
                "event topic"
            );
            assert!(!m.retained, "events are not retained: {m:?}");
            assert_eq!(m.qos, 1, "{m:?}");
            n
        })
        .collect()
}

/// `got` is `expected` in order, none missing; a notice may come twice in a row (at-least-once:
/// the one in flight when the broker went away), at most `dups` times in all.
fn assert_in_order(got: &[Notice], expected: &[Notice], dups: usize) {
    let ids: Vec<i64> = got.iter().map(|n| n.id).collect();
    let mut dedup = ids.clone();
    dedup.dedup();
    let want: Vec<i64> = expected.iter().map(|n| n.id).collect();
    assert_eq!(dedup, want, "event ids received (in order) {ids:?}");
    assert!(ids.len() - dedup.len() <= dups, "duplicates: {ids:?}");
    for n in got {
        let e = expected.iter().find(|e| e.id == n.id).unwrap();
        assert_eq!(
            (n.kind, &n.stream, n.device.id, n.scan_id, &n.device.key),
            (e.kind, &e.stream, e.device.id, e.scan_id, &e.device.key),
            "notice {}",
            n.id
        );
    }
}

fn mqtt_sink() -> Sink {
    let mut values = input::setting::Settings::default();
    values.set(&notify::mqtt::HA_DISCOVERY, true);
    Sink::new(
        &format!("mqtt=mqtt://{BROKER}:{BROKER_PORT}/cams")
            .parse()
            .unwrap(),
        &notify::SinkOptions {
            values,
            webhook_secret: None,
        },
    )
    .unwrap()
}

/// Everything through a real broker: states and discovery configs retained, events in order; the
/// broker stopped and restarted (events wait in the store and all arrive, in order); the delivery
/// task itself stopped and restarted (it resumes where it left off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_through_mosquitto_across_broker_and_task_restarts() {
    use camscan::notify::mqtt::{stream_hash, stream_state_topic};
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let name = format!("mqtt=mqtt://{BROKER}:{BROKER_PORT}/cams");
    let broker = Broker::start(dir.path());
    let sub1 = Subscriber::start("one").await;
    let d = Deliverer::start(&store, &name, mqtt_sink());
    // The sink's cursor exists before the first event (a new sink starts at the newest).
    wait_until("the sink's cursor", Duration::from_secs(10), || {
        store.lock().sink_cursor(&name).is_ok()
    })
    .await;

    // 1. Two cameras appear; then A shows a second stream.
    let url_a = format!("rtsp://{}:554/Streaming/Channels/101", A.1);
    let url_a2 = format!("rtsp://{}:554/Streaming/Channels/102", A.1);
    assert_eq!(
        record(&store, 1, vec![cam(A), cam(B)]),
        [EventKind::DeviceNew, EventKind::DeviceNew]
    );
    d.wake.notify_one();
    let mut a2 = cam(A);
    a2.streams.push({
        let mut s = a2.streams[0].clone();
        s.url = url_a2.clone();
        s
    });
    assert_eq!(
        record(&store, 2, vec![a2.clone(), cam(B)]),
        [EventKind::StreamNew]
    );
    d.wake.notify_one();
    let phase1 = all_events(&store);
    let a = phase1[0].device.clone();
    let b = phase1[1].device.clone();
    assert_eq!((a.ip.as_deref(), b.ip.as_deref()), (Some(A.1), Some(B.1)));
    wait_until("phase 1 delivered", Duration::from_secs(20), || {
        depth(&store, &name) == 0
    })
    .await;
    wait_until("phase 1 at the subscriber", Duration::from_secs(10), || {
        event_notices(&sub1.msgs()).len() >= phase1.len()
    })
    .await;
    assert_in_order(&event_notices(&sub1.msgs()), &phase1, 0);
    d.delivered(phase1.len()).await;
    assert_eq!(d.stats().delivered as usize, phase1.len());
    let (ha, ha2) = (stream_hash(&url_a), stream_hash(&url_a2));
    let r = retained();
    let device_a_config = format!("homeassistant/binary_sensor/camscan_{}/config", a.id);
    let device_b_config = format!("homeassistant/binary_sensor/camscan_{}/config", b.id);
    let stream_a2_config = format!("homeassistant/binary_sensor/camscan_{}_{ha2}/config", a.id);
    let mut expected = BTreeMap::from([
        (format!("cams/{}/state", a.id), "online".to_string()),
        (format!("cams/{}/state", b.id), "online".to_string()),
        (
            format!("cams/{}/stream/{ha2}/state", a.id),
            "up".to_string(),
        ),
    ]);
    let configs = [&device_a_config, &device_b_config, &stream_a2_config];
    assert_eq!(
        r.keys().collect::<Vec<_>>(),
        expected
            .keys()
            .chain(configs)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>(),
        "retained topics"
    );
    for (topic, payload) in &expected {
        assert_eq!(&r[topic], payload, "{topic}");
    }
    // Home Assistant discovery: one connectivity sensor per device and per stream, grouped.
    let config: serde_json::Value = serde_json::from_str(&r[&device_a_config]).unwrap();
    let device_block = serde_json::json!({
        "identifiers": [format!("camscan_{}", a.key)],
        "connections": [["mac", A.0]],
        "manufacturer": "Hikvision",
        "model": A.2,
        "sw_version": "V5.7.3",
        "name": format!("Hikvision {} ({})", A.2, A.1),
    });
    assert_eq!(
        config,
        serde_json::json!({
            "name": "Connectivity",
            "unique_id": format!("camscan_{}", a.id),
            "device_class": "connectivity",
            "state_topic": format!("cams/{}/state", a.id),
            "payload_on": "online",
            "payload_off": "offline",
            "qos": 1,
            "device": device_block,
        })
    );
    let stream_config: serde_json::Value = serde_json::from_str(&r[&stream_a2_config]).unwrap();
    assert_eq!(
        stream_config,
        serde_json::json!({
            "name": format!("Stream {url_a2}"),
            "unique_id": format!("camscan_{}_{ha2}", a.id),
            "device_class": "connectivity",
            "state_topic": stream_state_topic("cams", a.id, &url_a2),
            "payload_on": "up",
            "payload_off": "down",
            "qos": 1,
            "device": device_block,
        })
    );

    // 2. The broker goes away; camera B goes too. The events wait in the store while the task
    //    retries; the broker comes back on the same port and every one arrives, in order.
    drop(broker);
    drop(sub1);
    assert_eq!(
        record(&store, 3, vec![a2.clone()]),
        [EventKind::DeviceOffline]
    );
    d.wake.notify_one();
    wait_until("three failed attempts", Duration::from_secs(20), || {
        d.stats().failures >= 3
    })
    .await;
    let phase2: Vec<Notice> = all_events(&store).split_off(phase1.len());
    assert_eq!(phase2.len(), 1);
    assert_eq!(depth(&store, &name), 1, "queued while the broker is down");
    // The task now waits out its third backoff (2-3 s): time to bring the broker and a
    // subscriber back before it tries again.
    let broker = Broker::start(dir.path());
    let sub2 = Subscriber::start("two").await;
    wait_until("phase 2 delivered", Duration::from_secs(30), || {
        depth(&store, &name) == 0
    })
    .await;
    wait_until("phase 2 at the subscriber", Duration::from_secs(10), || {
        event_notices(&sub2.msgs()).len() >= phase2.len()
    })
    .await;
    assert_in_order(&event_notices(&sub2.msgs()), &phase2, 1);
    assert!(d.stats().failures >= 3);
    // The broker forgot its retained messages; the reconnect published them again, B now offline.
    expected.insert(format!("cams/{}/state", b.id), "offline".into());
    let r = retained();
    for (topic, payload) in &expected {
        assert_eq!(&r[topic], payload, "{topic} after the broker's restart");
    }
    for config in configs {
        assert!(
            r.contains_key(config),
            "{config} after the broker's restart"
        );
    }

    // 3. The broker goes away again, a stream check finds A's first stream down, and the delivery
    //    task is stopped (camscan restarting). A new task on the same store delivers what was left.
    drop(broker);
    drop(sub2);
    let target = store
        .lock()
        .check_targets(None, &[])
        .unwrap()
        .into_iter()
        .find(|t| t.url == url_a)
        .expect("A's stream is checked");
    let down = store
        .lock()
        .record_check(
            target.stream_id,
            &CheckResult::failed(CheckLayer::Describe, "RTSP 404 Not Found"),
            1,
        )
        .unwrap();
    assert_eq!(
        down.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [EventKind::StreamDown]
    );
    d.wake.notify_one();
    wait_until("a failed attempt", Duration::from_secs(20), || {
        d.stats().failures >= 4
    })
    .await;
    d.stop().await;
    assert_eq!(depth(&store, &name), 1, "left for the next task");
    // B is back, and with it its stream; A's first stream opens again at the scan.
    assert_eq!(
        record(&store, 4, vec![a2.clone(), cam(B)]),
        [
            EventKind::StreamUp,
            EventKind::DeviceOnline,
            EventKind::StreamUp
        ]
    );
    let phase3: Vec<Notice> = all_events(&store).split_off(phase1.len() + phase2.len());
    let broker = Broker::start(dir.path());
    let sub3 = Subscriber::start("three").await;
    let d = Deliverer::start(&store, &name, mqtt_sink());
    wait_until("phase 3 delivered", Duration::from_secs(30), || {
        depth(&store, &name) == 0
    })
    .await;
    wait_until("phase 3 at the subscriber", Duration::from_secs(10), || {
        event_notices(&sub3.msgs()).len() >= phase3.len()
    })
    .await;
    assert_in_order(&event_notices(&sub3.msgs()), &phase3, 0);
    d.delivered(phase3.len()).await;
    assert_eq!(d.stats().failures, 0);
    assert_eq!(d.stats().delivered as usize, phase3.len());
    d.stop().await;
    // What the new task published after the second restart is retained (what the first task
    // published before it, the broker forgot and the new task never knew: its states come back
    // with their devices' next events).
    let hb = stream_hash(&format!("rtsp://{}:554/Streaming/Channels/101", B.1));
    let r = retained();
    for (topic, payload) in [
        (format!("cams/{}/stream/{ha}/state", a.id), "up"),
        (format!("cams/{}/state", b.id), "online"),
        (format!("cams/{}/stream/{hb}/state", b.id), "up"),
    ] {
        assert_eq!(r.get(&topic).map(String::as_str), Some(payload), "{topic}");
    }
    for config in [
        device_a_config,
        device_b_config,
        format!("homeassistant/binary_sensor/camscan_{}_{ha}/config", a.id),
        format!("homeassistant/binary_sensor/camscan_{}_{hb}/config", b.id),
    ] {
        assert!(r.contains_key(&config), "{config}");
    }
    drop(broker);
    drop(sub3);
}

// ---------------------------------------------------------------------------------------------
// Webhook

/// A hand-made notice for the sinks driven directly (no store).
fn sample_notice() -> Notice {
    Notice {
        schema: store::NOTICE_SCHEMA,
        id: 41,
        at: "2026-01-01T00:00:00Z".into(),
        kind: EventKind::StreamDown,
        scan_id: None,
        device: store::NoticeDevice {
            id: 3,
            key: format!("mac:{}", A.0),
            ip: Some(A.1.into()),
            mac: Some(A.0.into()),
            vendor: Some("Hikvision".into()),
            model: Some(A.2.into()),
            firmware: None,
            name: Some("Front door".into()),
        },
        stream: Some(format!("rtsp://{}:554/Streaming/Channels/101", A.1)),
        detail: serde_json::json!({"layer": "describe", "error": "RTSP 404 Not Found"}),
    }
}

/// One request as tests/servers/webhook_receiver.py saw it.
#[derive(Debug, serde::Deserialize)]
struct Hit {
    t: f64,
    status: Option<u16>,
    sig_ok: bool,
    event: Option<String>,
    delivery: Option<String>,
    content_type: Option<String>,
    body: serde_json::Value,
}

fn receiver(ip: &str, secret: &Path, mode: &str) -> (common::Server, String) {
    let port = common::free_port(ip);
    let script = common::root_dir().join("tests/servers/webhook_receiver.py");
    let server = common::start(
        "/usr/bin/python3",
        &[
            script.to_str().unwrap(),
            ip,
            &port.to_string(),
            secret.to_str().unwrap(),
            mode,
        ],
        Duration::from_secs(30),
    );
    (server, format!("http://{ip}:{port}/hooks/camscan"))
}

fn hits(server: &common::Server) -> Vec<Hit> {
    server
        .lines
        .lock()
        .unwrap()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn secret_file(dir: &Path) -> PathBuf {
    let path = dir.join("webhook.secret");
    // As an editor saves it: with a final newline, which is not part of the secret.
    std::fs::write(&path, "correct horse battery staple\n").unwrap();
    path
}

/// A receiver that fails three times: the event is retried with growing gaps, arrives signed,
/// and is accepted once; the cursor moves only then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_retries_with_backoff_until_accepted_and_signs_every_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let (server, url) = receiver("127.0.0.162", &secret, "flaky:3");
    let options = notify::SinkOptions::from_env_and_file(Some(&secret), None).unwrap();
    assert_eq!(
        options.webhook_secret.as_deref(),
        Some(&b"correct horse battery staple"[..])
    );
    let store = open_store(dir.path());
    let name = format!("webhook={url}");
    let sink = Sink::new(&name.parse().unwrap(), &options).unwrap();
    let d = Deliverer::start(&store, &name, sink);
    wait_until("the sink's cursor", Duration::from_secs(10), || {
        store.lock().sink_cursor(&name).is_ok()
    })
    .await;
    record(&store, 1, vec![cam(A)]);
    d.wake.notify_one();
    let events = all_events(&store);
    assert_eq!(events.len(), 1);
    wait_until(
        "queued while the receiver fails",
        Duration::from_secs(10),
        || hits(&server).len() >= 2,
    )
    .await;
    assert_eq!(
        depth(&store, &name),
        1,
        "not delivered while it answers 500"
    );
    // Backoff 0.5 s, 1 s, 2 s (each up to half again): about 3.5-5.3 s in all.
    wait_until("accepted", Duration::from_secs(30), || {
        depth(&store, &name) == 0
    })
    .await;
    let hits = hits(&server);
    assert_eq!(
        hits.iter().map(|h| h.status).collect::<Vec<_>>(),
        [Some(500), Some(500), Some(500), Some(204)]
    );
    for h in &hits {
        assert!(
            h.sig_ok,
            "X-Camscan-Signature verified by the receiver: {h:?}"
        );
        assert_eq!(h.event.as_deref(), Some("device_new"));
        assert_eq!(h.delivery, Some(events[0].id.to_string()));
        assert_eq!(h.content_type.as_deref(), Some("application/json"));
        let body: Notice = serde_json::from_value(h.body.clone()).unwrap();
        assert_eq!(body, events[0]);
    }
    let gaps: Vec<f64> = hits.windows(2).map(|w| w[1].t - w[0].t).collect();
    assert!(
        gaps[0] >= 0.45,
        "first retry after the minimum backoff: {gaps:?}"
    );
    assert!(
        gaps[1] > gaps[0] && gaps[2] > gaps[1],
        "growing gaps: {gaps:?}"
    );
    d.delivered(1).await;
    let st = d.stats();
    assert_eq!((st.failures, st.delivered, st.depth), (3, 1, 0));
    d.stop().await;

    // The receiver checks the signature: another secret is refused (401), an error to retry.
    let mut wrong = notify::webhook::Webhook::new(
        &url,
        Some(b"another secret".to_vec()),
        notify::webhook::TIMEOUT,
    )
    .unwrap();
    let e = wrong.deliver(&sample_notice()).await.unwrap_err();
    assert!(e.0.contains("HTTP 401"), "{e}");
}

/// A receiver that takes the request and never answers: the attempt ends at its deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_that_never_answers_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let (server, url) = receiver("127.0.0.163", &secret, "silent");
    let mut sink = notify::webhook::Webhook::new(
        &url,
        Some(b"correct horse battery staple".to_vec()),
        Duration::from_secs(1),
    )
    .unwrap();
    let started = Instant::now();
    let e: SinkError = sink.deliver(&sample_notice()).await.unwrap_err();
    let took = started.elapsed();
    assert!(e.0.contains("no answer within 1s"), "{e}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    let hits = hits(&server);
    assert_eq!(hits.len(), 1, "the request reached the receiver");
    assert!(hits[0].sig_ok && hits[0].status.is_none());
    assert_eq!(hits[0].event.as_deref(), Some("stream_down"));
}

/// Nothing listening: a refused connection is a failure naming the URL, at once.
#[tokio::test]
async fn webhook_refused_connection_is_an_error() {
    let port = common::free_port("127.0.0.163");
    let url = format!("http://127.0.0.163:{port}/hook");
    let mut sink = notify::webhook::Webhook::new(&url, None, Duration::from_secs(5)).unwrap();
    let e = sink.deliver(&sample_notice()).await.unwrap_err();
    let origin = format!("http://127.0.0.163:{port}/…");
    assert!(e.0.starts_with(&format!("webhook {origin}: ")), "{e}");
    assert!(!e.0.contains("/hook") && !e.0.contains("within"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Exec

fn sh_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// Each notice on the command's stdin, its kind and id in the environment; delivered in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_gets_each_notice_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.ndjson");
    let store = open_store(dir.path());
    let name = format!(
        r#"exec=sh -c 'cat >> "$1"; echo "$CAMSCAN_EVENT $CAMSCAN_EVENT_ID" >> "$1.env"' sink {}"#,
        sh_quote(&out)
    );
    let sink = Sink::new(&name.parse().unwrap(), &notify::SinkOptions::default()).unwrap();
    let d = Deliverer::start(&store, &name, sink);
    wait_until("the sink's cursor", Duration::from_secs(10), || {
        store.lock().sink_cursor(&name).is_ok()
    })
    .await;
    record(&store, 1, vec![cam(A), cam(B)]);
    d.wake.notify_one();
    let events = all_events(&store);
    assert_eq!(events.len(), 2);
    wait_until("delivered", Duration::from_secs(20), || {
        depth(&store, &name) == 0
    })
    .await;
    let got: Vec<Notice> = common::read(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got, events);
    let env: Vec<String> = common::read(&dir.path().join("events.ndjson.env"))
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(
        env,
        events
            .iter()
            .map(|e| format!("device_new {}", e.id))
            .collect::<Vec<_>>()
    );
    d.delivered(2).await;
    assert_eq!(d.stats().failures, 0);
    d.stop().await;
}

/// A command that fails (exit 1) is retried until it succeeds; its stderr's first line is the
/// error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_failure_is_retried_and_reports_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let mut failing = notify::exec::Exec::new(
        "sh -c 'echo \"chat server said no\" >&2; echo second line >&2; exit 1'",
        Duration::from_secs(10),
    )
    .unwrap();
    let e = failing.deliver(&sample_notice()).await.unwrap_err();
    assert!(
        e.0.contains("exit status: 1") && e.0.ends_with(": chat server said no"),
        "{e}"
    );
    let mut missing =
        notify::exec::Exec::new("/nonexistent/camscan-hook", Duration::from_secs(10)).unwrap();
    let e = missing.deliver(&sample_notice()).await.unwrap_err();
    assert!(e.0.contains("cannot run"), "{e}");

    // Fails twice, then takes the notice.
    let out = dir.path().join("out.ndjson");
    let store = open_store(dir.path());
    let name = format!(
        r#"exec=sh -c 'n=$(cat "$1.count" 2>/dev/null || echo 0); echo $((n+1)) > "$1.count"; if [ "$n" -lt 2 ]; then echo "try $n failed" >&2; exit 1; fi; cat >> "$1"' sink {}"#,
        sh_quote(&out)
    );
    let sink = Sink::new(&name.parse().unwrap(), &notify::SinkOptions::default()).unwrap();
    let d = Deliverer::start(&store, &name, sink);
    wait_until("the sink's cursor", Duration::from_secs(10), || {
        store.lock().sink_cursor(&name).is_ok()
    })
    .await;
    record(&store, 1, vec![cam(A)]);
    d.wake.notify_one();
    wait_until(
        "delivered on the third run",
        Duration::from_secs(20),
        || depth(&store, &name) == 0,
    )
    .await;
    let got: Notice = serde_json::from_str(common::read(&out).trim()).unwrap();
    assert_eq!(got, all_events(&store)[0]);
    assert_eq!(
        common::read(&dir.path().join("out.ndjson.count")).trim(),
        "3"
    );
    d.delivered(1).await;
    let st = d.stats();
    assert_eq!((st.failures, st.delivered), (2, 1));
    d.stop().await;
}

/// A command that never ends is killed at the deadline and reaped (no zombie left).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_that_hangs_is_killed_at_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let mut sink = notify::exec::Exec::new(
        &format!(
            "sh -c 'echo $$ > \"$1\"; echo going to sleep >&2; exec sleep 1000' x {}",
            sh_quote(&pidfile)
        ),
        Duration::from_secs(1),
    )
    .unwrap();
    let started = Instant::now();
    let e = sink.deliver(&sample_notice()).await.unwrap_err();
    let took = started.elapsed();
    assert!(
        e.0.contains("still running after 1s; killed") && e.0.ends_with(": going to sleep"),
        "{e}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    let pid = common::read(&pidfile).trim().to_string();
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} is gone (killed and reaped, not a zombie)"
    );
}
