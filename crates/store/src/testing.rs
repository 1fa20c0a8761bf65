//! The store's tests run on both engines (one suite, parameterised): [`TestDb`] is a fresh
//! inventory on either, and [`both_engines!`] turns `fn name(engine: Engine)` into the tests
//! `name::sqlite` and `name::postgres`. PostgreSQL is Debian's server, started once per test
//! binary in a temporary directory on loopback (`tests/common/postgres.rs`, shared with the
//! integration tests); each test gets a database of its own. `CAMSCAN_TEST_PG` (an admin URL)
//! uses a running server instead.
//!
//! The fixtures the topics' tests share are here too: a scan ([`scan`]), a camera with one
//! stream ([`camera`]), a report of devices ([`report`]), an inventory holding two cameras
//! ([`two_cameras`]), a stream check ([`check`]) and the stream to check at an address
//! ([`stream_of`]).

use std::sync::atomic::{AtomicU32, Ordering};

use super::db::{Conn, DbLocation, PgTarget};
use super::{CheckLayer, CheckResult, CheckTarget, EventKind, Recorded, ScanInfo, Store};
use model::{AuthScheme, Credential, Device, DiscoveryMethod, Protocol, Report, Stream, VideoInfo};

pub(crate) use super::db::Engine;

#[allow(dead_code, clippy::all)]
#[path = "../../../tests/common/postgres.rs"]
mod fixture;

/// A fresh, empty inventory on one engine; dropping it removes a file (a PostgreSQL database
/// goes with the test server).
pub(crate) struct TestDb {
    /// The SQLite file and its key file; a PostgreSQL database's key file.
    dir: tempfile::TempDir,
    pub at: DbLocation,
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// The URL of a database on the test server that a test may create databases from.
fn admin_url() -> String {
    if let Ok(url) = std::env::var("CAMSCAN_TEST_PG") {
        return url;
    }
    fixture::pg().url("postgres")
}

impl TestDb {
    pub fn new(engine: Engine) -> TestDb {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let at = DbLocation::File(dir.path().join("inventory.db"));
                TestDb { dir, at }
            }
            Engine::Postgres => {
                static N: AtomicU32 = AtomicU32::new(0);
                let name = format!(
                    "camscan_t{}_{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                );
                let admin = PgTarget::from_url(&admin_url(), &no_env).unwrap();
                let conn = Conn::postgres(&admin).unwrap();
                conn.execute_batch(&format!("CREATE DATABASE {name}"))
                    .unwrap();
                let mut target = admin.clone();
                target.dbname = name;
                TestDb {
                    dir: tempfile::tempdir().unwrap(),
                    at: DbLocation::Postgres(Box::new(target)),
                }
            }
        }
    }

    /// Open (again) the inventory.
    pub fn open(&self) -> Store {
        self.try_open().unwrap()
    }

    /// Open (again) the inventory, or why not.
    pub fn try_open(&self) -> Result<Store, super::StoreError> {
        match &self.at {
            DbLocation::File(path) => Store::open(path),
            // Not the user's own key file in the config directory.
            DbLocation::Postgres(target) => {
                Store::open_postgres_keyed(target, Some(&self.key_file()))
            }
        }
    }

    /// Where the inventory's credential key is kept.
    pub fn key_file(&self) -> std::path::PathBuf {
        match &self.at {
            DbLocation::File(path) => super::cred_key::beside(path),
            DbLocation::Postgres(_) => self.dir.path().join("credential.key"),
        }
    }
}

/// Scan `n` of site `lab` (on 2026-01-0`n`): 10.0.0.0/24, ports 80 and 554, port probes and ARP.
pub(crate) fn scan(n: u32, complete: bool) -> ScanInfo {
    ScanInfo {
        started_at: format!("2026-01-0{n}T00:00:00Z"),
        finished_at: format!("2026-01-0{n}T00:01:00Z"),
        complete,
        site: "lab".into(),
        targets: vec!["10.0.0.0/24".into()],
        ports: vec![80, 554],
        methods: vec!["port".into(), "arp".into()],
        version: "0.1.0".into(),
        coverage: None,
    }
}

/// A Hikvision camera at `ip` with MAC `mac`: one verified H.264 RTSP stream `width` pixels wide,
/// opened with Digest as admin:12345 (in its URL, as `--show-credentials` gives it).
pub(crate) fn camera(mac: &str, ip: &str, width: u32) -> Device {
    let mut d = Device::new(ip.parse().unwrap());
    d.mac = Some(mac.into());
    d.vendor = Some("Hikvision".into());
    d.firmware = Some("V5.7.3".into());
    d.is_camera = true;
    d.open_ports = vec![554];
    d.discovered_by = vec![DiscoveryMethod::Arp, DiscoveryMethod::Port];
    let mut s = Stream::new(
        format!("rtsp://admin:12345@{ip}:554/Streaming/Channels/101"),
        Protocol::Rtsp,
        554,
    );
    s.username = Some("admin".into());
    s.auth = AuthScheme::Digest;
    s.verified = true;
    s.settle();
    let mut v = VideoInfo::new("h264".into());
    v.width = Some(width);
    v.height = Some(width * 9 / 16);
    v.fps = Some(25.0);
    s.video = Some(v);
    d.streams = vec![s];
    d
}

/// A complete scan's report of `devices`.
pub(crate) fn report(devices: Vec<Device>) -> Report {
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

/// The kinds of the events a recording derived, in order.
pub(crate) fn kinds(r: &Recorded) -> Vec<EventKind> {
    r.events.iter().map(|e| e.kind).collect()
}

/// A store holding two cameras (one stream each), recorded by a complete scan.
pub(crate) fn two_cameras(engine: Engine) -> (TestDb, Store) {
    let db = TestDb::new(engine);
    let mut store = db.open();
    store
        .record_scan(
            &scan(1, true),
            &report(vec![
                camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920),
                camera("aa:bb:cc:00:00:02", "10.0.0.6", 1920),
            ]),
            &[Credential::new("admin", "12345")],
        )
        .unwrap();
    (db, store)
}

/// A stream check that got as far as `layer` (with an error unless it is `Ok`), without figures.
pub(crate) fn check(layer: CheckLayer) -> CheckResult {
    CheckResult {
        layer,
        error: (layer != CheckLayer::Ok).then(|| "x".into()),
        first_packet_ms: None,
        fps: None,
        bitrate_kbps: None,
    }
}

/// The stream `camscan watch` would check at `ip`, admin:12345 given as the credential.
pub(crate) fn stream_of(store: &Store, ip: &str) -> CheckTarget {
    store
        .check_targets(None, &[Credential::new("admin", "12345")])
        .unwrap()
        .into_iter()
        .find(|t| t.url.contains(ip))
        .unwrap()
}

/// `both_engines!(a, b)`: the tests `a::sqlite`, `a::postgres`, `b::sqlite`, ... each calling
/// `fn a(engine: Engine)`.
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::testing::Engine::Sqlite)
            }
            #[test]
            fn postgres() {
                super::$name($crate::testing::Engine::Postgres)
            }
        }
    )*};
}
pub(crate) use both_engines;
