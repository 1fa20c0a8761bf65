//! The Debian package, end to end: `scripts/package --fast --binary` packages the binary this
//! suite built (lintian must have nothing to say), dpkg installs it, and then:
//!
//! 1. `/usr/bin/camscan` carries `cap_net_raw=ep` and nothing else; the service user `camscan`,
//!    `/var/lib/camscan` (0700, its own) and the conffiles in `/etc/camscan` exist.
//! 2. In the namespace lab of `tests/lab/lab.sh` (h1..h4 answering ARP, h4 dropping every IP
//!    packet; GStreamer's RTSP server on h1), the INSTALLED camscan run by uid nobody with no
//!    inherited capability finds what root finds: the same devices, MACs, ports and streams, every
//!    one found by raw ARP, and a plan without `no-raw-sockets`. The suite's own binary (no file
//!    capability) as nobody does not: its ARP runs unprivileged and the plan warns.
//! 3. The watch unit's ExecStart, with the unit's environment, user and capabilities (bounding,
//!    ambient, no-new-privileges, as systemd sets them: setpriv), records the lab into
//!    `/var/lib/camscan/inventory.db`; the serve unit's ExecStart, the same way, serves it on
//!    loopback with an empty effective capability set, and its API lists the camera.
//! 4. `dpkg --remove` keeps the inventory and the configuration; `dpkg --purge` removes them and
//!    the user. The package is purged however the test ends (a guard).
//!
//! One test in a binary of its own: it is the only one that installs anything (every other test
//! runs the binary cargo built, never `camscan` from PATH). Skipped where dpkg is missing.
//! Addresses: 198.18.0.0/24 inside the lab, 127.0.0.1 for serve.
// The packaging log, lintian's verdict and both inventories go to the test's log.
#![allow(clippy::print_stderr)]

mod common;

use common::netns::NsLab;
use common::schema::{Plan, Report};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PREFIX: &str = "cspkg";
const INSTALLED: &str = "/usr/bin/camscan";
const UNITS: &str = "/lib/systemd/system";
const LIMIT: Duration = Duration::from_secs(60);

/// A child killed (SIGKILL) and reaped when dropped.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Purges the package (whatever state it is in) when the test ends.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg")
            .args(["--purge", "camscan"])
            .stdout(Stdio::null())
            .status();
    }
}

fn sh(program: &str, args: &[&str]) -> Output {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `ip netns exec SCAN [setpriv ...] /usr/bin/camscan ARGS` with nothing of this process's
/// environment but PATH.
fn installed_in(lab: &NsLab, setpriv: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", &lab.ns("scan")]);
    if !setpriv.is_empty() {
        c.arg("setpriv").args(setpriv);
    }
    c.arg(INSTALLED)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    // /.dockerenv or not, the lab is not a container (tests/scan_plan.rs).
    c.env("CAMSCAN_CONTAINER_MARKERS", "");
    c.envs(env.iter().copied()).stdin(Stdio::null());
    c
}

const SCAN: &[&str] = &["scan", "198.18.0.0/24", "-p", "554", "-f", "json"];
const NOBODY: &[&str] = &[
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "--inh-caps=-all",
];

/// What a scan found, device by device: MAC, how, ports, streams (URL, played).
type Found = BTreeMap<String, (Option<String>, Vec<String>, Vec<u16>, Vec<(String, bool)>)>;

fn found(report: &Report) -> Found {
    report
        .devices
        .iter()
        .map(|d| {
            let mut by = d.discovered_by.clone();
            by.sort();
            let streams = d.streams.iter().map(|s| (s.url.clone(), s.verified));
            (
                d.ip.clone(),
                (d.mac.clone(), by, d.open_ports.clone(), streams.collect()),
            )
        })
        .collect()
}

fn scan(cmd: &mut Command) -> (Report, String) {
    let out = common::run(cmd.env("CAMSCAN_NO_DB", "true"), LIMIT);
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    (serde_json::from_slice(&out.stdout).unwrap(), err)
}

fn arp_note(plan: &Plan) -> Option<String> {
    let arp = plan.discovery.iter().find(|m| m.method == "arp").unwrap();
    arp.note.clone()
}

/// `KEY=VALUE` of every `Environment=` line of a unit, and its `ExecStart=` split into words
/// (continuation lines joined).
fn unit(name: &str) -> (Vec<(String, String)>, Vec<String>) {
    let body = std::fs::read_to_string(Path::new(UNITS).join(name)).unwrap();
    let joined = body.replace("\\\n", " ");
    let mut env = Vec::new();
    let mut exec = Vec::new();
    for line in joined.lines() {
        if let Some(kv) = line.strip_prefix("Environment=") {
            let (k, v) = kv.split_once('=').unwrap();
            env.push((k.to_string(), v.to_string()));
        } else if let Some(cmd) = line.strip_prefix("ExecStart=") {
            exec = cmd.split_whitespace().map(String::from).collect();
        }
    }
    assert_eq!(exec.first().map(String::as_str), Some(INSTALLED), "{body}");
    (env, exec)
}

/// The watch unit's user and capabilities as systemd applies them (User=camscan and its group,
/// CapabilityBoundingSet=CAP_NET_RAW, AmbientCapabilities=CAP_NET_RAW, NoNewPrivileges=yes).
const WATCH_USER: &[&str] = &[
    "--reuid=camscan",
    "--regid=camscan",
    "--init-groups",
    "--bounding-set=-all,+net_raw",
    "--inh-caps=-all,+net_raw",
    "--ambient-caps=-all,+net_raw",
    "--no-new-privs",
];

/// What systemd does before it executes a unit with `User=camscan`, `CapabilityBoundingSet=
/// CAP_NET_RAW`, `NoNewPrivileges=yes` and no `AmbientCapabilities=` (systemd.exec(5)): drop the
/// bounding set to CAP_NET_RAW, take the user's gid, groups and uid (which empties the permitted
/// set: capabilities(7), "Effect of user ID changes"), set no_new_privs, execute. setpriv cannot
/// stand in here: it keeps its permitted set across the uid change, and a file capability then
/// stays. Done by Debian's python3 (prctl(2) through ctypes) before it executes `argv`.
fn as_systemd_service(argv: &[String]) -> Command {
    const LAUNCH: &str = r#"
import ctypes, grp, os, pwd, sys
libc = ctypes.CDLL(None, use_errno=True)
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, CAP_NET_RAW = 24, 38, 13
def ok(rc):
    if rc != 0:
        raise OSError(ctypes.get_errno(), "prctl")
last = int(open("/proc/sys/kernel/cap_last_cap").read())
for cap in range(last + 1):
    if cap != CAP_NET_RAW:
        ok(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
user = pwd.getpwnam("camscan")
os.setgroups([user.pw_gid])
os.setresgid(user.pw_gid, user.pw_gid, user.pw_gid)
os.setresuid(user.pw_uid, user.pw_uid, user.pw_uid)
ok(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
os.execv(sys.argv[1], sys.argv[1:])
"#;
    let mut c = Command::new("/usr/bin/python3");
    c.args(["-c", LAUNCH]).args(argv);
    c
}

#[test]
fn the_debian_package_installs_scans_unprivileged_serves_and_purges() {
    if Command::new("dpkg").arg("--version").output().is_err() {
        eprintln!("skipped: no dpkg on this machine");
        return;
    }
    assert!(
        common::is_root(),
        "the package test needs root: run scripts/test"
    );
    let already = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", "camscan"])
        .output()
        .unwrap();
    assert!(
        !text(&already.stdout).contains("install ok installed"),
        "a camscan package is installed on this machine already; the test installs and purges \
         its own (dpkg --purge camscan first)"
    );
    let started = Instant::now();

    // Package the binary this suite built.
    let dir = tempfile::tempdir().unwrap();
    let out = sh(
        common::root_dir().join("scripts/package").to_str().unwrap(),
        &[
            "--fast",
            "--binary",
            env!("CARGO_BIN_EXE_camscan"),
            "--out",
            dir.path().to_str().unwrap(),
        ],
    );
    let log = text(&out.stderr);
    let deb = text(&out.stdout).trim().to_string();
    eprintln!("packaged in {:?}:\n{log}", started.elapsed());
    if log.contains("scripts/package: lintian") {
        let said: Vec<&str> = log
            .lines()
            .filter(|l| l.len() > 2 && l.as_bytes()[1] == b':' && "EWI".contains(&l[..1]))
            .collect();
        assert!(said.is_empty(), "lintian: {said:#?}");
    }
    let files = text(&sh("dpkg-deb", &["-c", &deb]).stdout);
    for f in [
        "./usr/bin/camscan",
        "./usr/share/man/man1/camscan.1.gz",
        "./usr/share/man/man1/camscan-scan.1.gz",
        "./usr/share/man/man1/camscan-audit.1.gz",
        "./usr/share/bash-completion/completions/camscan",
        "./usr/share/zsh/vendor-completions/_camscan",
        "./usr/share/fish/vendor_completions.d/camscan.fish",
        "./etc/camscan/config.yaml",
        "./lib/systemd/system/camscan-watch.service",
        "./lib/systemd/system/camscan-serve.service",
        "./usr/share/doc/camscan/copyright",
        "./usr/share/doc/camscan/guide/install.md",
    ] {
        assert!(files.contains(f), "{f} in the package:\n{files}");
    }
    let sums = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(sums.status.success(), "{}", text(&sums.stdout));
    assert_eq!(
        text(&sums.stdout).lines().count(),
        2,
        "the .deb and the tarball"
    );
    // The tarball: the package's files, under camscan-VERSION/.
    let tarball = text(&sums.stdout)
        .lines()
        .find_map(|l| l.strip_suffix(": OK").filter(|f| f.ends_with(".tar.xz")))
        .unwrap()
        .to_string();
    let listed = |out: Output, strip: &dyn Fn(&str) -> String| -> Vec<String> {
        let mut v: Vec<String> = text(&out.stdout)
            .lines()
            .map(strip)
            .filter(|l| !l.is_empty())
            .collect();
        v.sort();
        v
    };
    let in_deb = listed(
        sh(
            "sh",
            &["-c", &format!("dpkg-deb --fsys-tarfile '{deb}' | tar -t")],
        ),
        &|l| l.trim_start_matches("./").trim_end_matches('/').to_string(),
    );
    let in_tar = listed(
        sh(
            "tar",
            &["-tJf", dir.path().join(&tarball).to_str().unwrap()],
        ),
        &|l| {
            l.split_once('/')
                .map(|(_, rest)| rest.trim_end_matches('/').to_string())
                .unwrap_or_default()
        },
    );
    assert!(in_deb.len() > 20, "{in_deb:?}");
    assert_eq!(in_tar, in_deb, "the tarball holds the package's files");

    // Install.
    let guard = Installed;
    sh("dpkg", &["-i", &deb]);
    assert_eq!(
        text(&sh("getcap", &[INSTALLED]).stdout).trim(),
        format!("{INSTALLED} cap_net_raw=ep")
    );
    sh("getent", &["passwd", "camscan"]);
    let state = sh("stat", &["-c", "%U %G %a", "/var/lib/camscan"]);
    assert_eq!(text(&state.stdout).trim(), "camscan camscan 700");
    let conffiles = text(&sh("dpkg-query", &["-W", "-f=${Conffiles}", "camscan"]).stdout);
    assert!(
        conffiles.contains("/etc/camscan/config.yaml"),
        "{conffiles}"
    );
    let creds = sh("stat", &["-c", "%U %G %a", "/etc/camscan/credentials.txt"]);
    assert_eq!(text(&creds.stdout).trim(), "root camscan 640");

    // The lab: an RTSP camera on h1; h2..h4 answer ARP only (h4 drops every IP packet).
    let mut lab = NsLab::up("package", "lab.sh", PREFIX, &[]);
    let cfg = dir.path().join("rtsp.json");
    let servers = serde_json::json!([{"address": "198.18.0.11", "port": 554, "auth": null, "mounts": [
        {"path": "/Streaming/Channels/101",
         "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
         "audio": null}]}]);
    std::fs::write(&cfg, serde_json::to_vec(&servers).unwrap()).unwrap();
    let rtsp = common::root_dir().join("tests/servers/rtsp_server.py");
    lab.serve_with(
        "/usr/bin/python3",
        "h1",
        &[rtsp.to_str().unwrap(), cfg.to_str().unwrap()],
    );

    // Root and nobody, the installed binary: the same inventory, raw ARP for both.
    let (root, _) = scan(installed_in(&lab, &[], &[]).args(SCAN));
    let (nobody, err) = scan(installed_in(&lab, NOBODY, &[]).args(SCAN));
    let (root_found, nobody_found) = (found(&root), found(&nobody));
    eprintln!("root:   {root_found:?}\nnobody: {nobody_found:?}");
    assert_eq!(nobody_found, root_found, "{err}");
    let ips: Vec<&str> = root_found.keys().map(String::as_str).collect();
    assert_eq!(
        ips,
        ["198.18.0.11", "198.18.0.12", "198.18.0.13", "198.18.0.14"]
    );
    assert!(
        root_found
            .values()
            .all(|(_, by, _, _)| by.contains(&"arp".to_string())),
        "{root_found:?}"
    );
    let cam = &nobody_found["198.18.0.11"];
    assert_eq!(cam.0.as_deref(), Some("44:19:b6:00:00:11"));
    assert_eq!(
        cam.3,
        [(
            "rtsp://198.18.0.11:554/Streaming/Channels/101".to_string(),
            true
        )]
    );
    let plan = nobody.plan.as_ref().unwrap();
    assert_eq!(arp_note(plan).as_deref(), Some("raw"), "{err}");
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    assert!(!err.contains("no-raw-sockets"), "{err}");

    // The suite's own binary as nobody has no file capability: unprivileged ARP, and it says so.
    let mut bare = lab.camscan_as_nobody();
    bare.args(SCAN).env("CAMSCAN_CONTAINER_MARKERS", "");
    let (bare, err) = scan(&mut bare);
    let plan = bare.plan.as_ref().unwrap();
    assert_eq!(arp_note(plan).as_deref(), Some("unprivileged"), "{err}");
    assert_eq!(err.matches("no-raw-sockets").count(), 1, "said once: {err}");

    // The watch unit's command, as its user with its capabilities, records the lab.
    let (env, exec) = unit("camscan-watch.service");
    let mut watch = installed_in(&lab, WATCH_USER, &[]);
    watch
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(&exec[1..])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut watch = Killed(watch.spawn().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let events = watch.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(events).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let until = Instant::now() + LIMIT;
    while seen
        .iter()
        .filter(|l: &&String| l.contains("\"device_new\""))
        .count()
        < 4
    {
        let left = until.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(e) => panic!("watch: 4 new devices within {LIMIT:?} ({e}): {seen:#?}"),
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &watch.0.id().to_string()])
        .status();
    let status = watch.0.wait().unwrap();
    let mut werr = String::new();
    use std::io::Read;
    watch
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut werr)
        .unwrap();
    assert!(
        seen.iter().any(|l| l.contains("\"ip\":\"198.18.0.11\"")),
        "{seen:#?}\n{werr}"
    );
    assert!(!werr.contains("no-raw-sockets"), "{werr}");
    assert_eq!(status.code(), Some(143), "a clean stop on SIGTERM: {werr}");
    let db = text(&sh("stat", &["-c", "%U %a", "/var/lib/camscan/inventory.db"]).stdout);
    assert_eq!(db.trim(), "camscan 600");

    // The serve unit's command, as its user, on a free loopback port: the camera in its API.
    let (env, exec) = unit("camscan-serve.service");
    let port = common::free_port("127.0.0.1");
    let addr = format!("127.0.0.1:{port}");
    let mut serve = as_systemd_service(&exec);
    serve
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("CAMSCAN_LISTEN", &addr)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let mut serve = Killed(serve.spawn().unwrap());
    let until = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < until, "serve not listening on {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", serve.0.id())).unwrap();
    for l in ["CapEff:\t0000000000000000", "CapPrm:\t0000000000000000"] {
        assert!(
            status.contains(l),
            "serve runs with no capability: {status}"
        );
    }
    let page = common::http::get(&addr, "/api/v1/devices?q=198.18.0.11");
    assert_eq!(page.status, 200, "{}", text(&page.body));
    let page = page.json();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page:#}");
    assert_eq!(items[0]["mac"], "44:19:b6:00:00:11", "{page:#}");
    let _ = serve.0.kill();
    let _ = serve.0.wait();
    drop(lab);

    // Remove keeps the inventory and the configuration; purge takes them and the user.
    sh("dpkg", &["--remove", "camscan"]);
    assert!(!Path::new(INSTALLED).exists());
    assert!(Path::new("/var/lib/camscan/inventory.db").exists());
    assert!(Path::new("/etc/camscan/config.yaml").exists());
    sh("dpkg", &["--purge", "camscan"]);
    assert!(!Path::new("/var/lib/camscan").exists());
    assert!(!Path::new("/etc/camscan").exists());
    let user = Command::new("getent")
        .args(["passwd", "camscan"])
        .output()
        .unwrap();
    assert!(!user.status.success(), "the camscan user is gone");
    drop(guard);
    eprintln!("package test: {:?} in all", started.elapsed());
}
