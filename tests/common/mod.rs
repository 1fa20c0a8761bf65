//! Test harness shared by the integration tests: real servers on loopback addresses, the camscan
//! binary, and a typed copy of the JSON contract.
//!
//! Servers are started once per test binary (a `OnceLock`) and exit by themselves when their stdin
//! reaches EOF, which happens when the test process ends, so nothing outlives a test run. Every
//! address used is in 127.0.0.0/8.
//!
//! `scripts/test` runs the test binaries side by side (`scripts/run-tests`), so each file owns the
//! addresses its servers listen on and no two files share one (ports are fixed, e.g. 8554). Taken:
//!
//! | file | addresses |
//! | --- | --- |
//! | scan_rtsp | 127.0.0.11-20 |
//! | rtsp_auth | 127.0.0.31-45 |
//! | media | 127.0.0.51-63 |
//! | fingerprint | 127.0.0.71-72 |
//! | hostile | 127.0.0.81-92 |
//! | rtsp_manners | 127.0.0.111-114 |
//! | exports | 127.0.0.121-129 |
//! | inventory | 127.0.0.131-139, 127.0.0.199 |
//! | cache | 127.0.0.141-149 |
//! | http_auth | 127.0.0.151-159 |
//! | notify | 127.0.0.161-163 |
//! | metrics | 127.0.0.171-177 |
//! | watch | 127.0.0.181-191 |
//! | serve | 127.0.0.201-209 |
//! | web | 127.0.0.211-219 |
//! | serve_auth | 127.0.0.221-229 |
//! | doctor | 127.0.0.231-233 |
//! | live | 127.0.0.241-249 |
//! | live_api | 127.0.2.1-9 |
//! | knowledge | 127.0.3.1-2 |
//! | watch_write | 127.0.7.1-4 |
//! | fleet | 127.0.8.1-20 |
//! | audit | 127.0.9.1-19 |
//! | maker_paths | 127.0.4.1-9 |
//! | fleet_security | 127.0.10.1-10 |
//! | secrets | 127.0.40.1-2 |
//! | table | 127.0.11.1-14 |
//! | talkback | 127.0.12.1-2 |
//! | login_schemes | 127.0.43.21-29 |
//! | scan_plan | 127.0.44.1-3 |
//! | politeness | 127.0.45.1-2 |
//! | push | 127.0.60.1-20 |
//! | push_page | 127.0.61.1-19 |
//! | truth | 127.0.62.1-19 |
//! | media_budget | 127.0.63.1-4 |
//! | streamer_manners | 127.0.64.1-9; Motion at 127.0.0.1:18764 (it binds no other loopback address) |
//! | asking | 127.0.65.1-9 (and 26554 on every address: rtsp-streaming-server binds no address) |
//! | homeassistant | its own namespaces' loopback (`common::homeassistant`) |
//!
//! A new file takes a block of its own (127.0.N.x for N from 4 up). Servers bound to port 0 and
//! the namespace labs (each with its own prefix) need no entry.

#![allow(dead_code)]

pub mod drawn;
pub mod homeassistant;
pub mod http;
pub mod inventory;
pub mod netns;
pub mod postgres;
pub mod pty;
pub mod reports;
pub mod samples;
pub mod schema;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A server process that lives as long as this handle (or the test process).
pub struct Server {
    pub child: Child,
    _stdin: Option<ChildStdin>,
    /// Lines the server printed on stdout after READY (e.g. `AUTHFAIL 127.0.0.13:8554`).
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn root_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bytes of `tests/fixtures/<path>` (the same loader as the unit tests' `crate::test_fixture`).
pub fn fixture(path: &str) -> Vec<u8> {
    let full = root_dir().join("tests/fixtures").join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Tests that bind port 554 need root (the project's test command runs them as root).
/// The venv `scripts/test` makes for the lab's third-party responders (PyPI WSDiscovery, aiortc).
pub fn lab_python() -> String {
    let p = root_dir().join("target/lab-venv/bin/python3");
    assert!(p.exists(), "{} missing: run scripts/test", p.display());
    p.to_string_lossy().into_owned()
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// Start `program args...` with a stdin pipe and wait (at most `wait`) for it to print READY.
/// A small camera as the watch tests run it: GStreamer's RTSP server on `ip`:8554, shared media
/// (as deployments run it), one 320x240 10 fps H.264 stream at `/live`.
pub fn watch_camera(ip: &str) -> Server {
    watch_camera_in(None, ip)
}

/// [`watch_camera`] inside the network namespace `netns` (`None`: this one).
pub fn watch_camera_in(netns: Option<&str>, ip: &str) -> Server {
    rtsp_servers_in(
        netns,
        &serde_json::json!([
            {"address": ip, "port": 8554, "shared": true, "auth": null, "mounts": [
                {"path": "/live",
                 "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10}, "audio": null}]}
        ]),
    )
}

/// The media lab (`tests/servers/media_lab.py`: nginx, nginx-rtmp, VLC, coturn, Janus... as
/// root) with `args` (`--only`, `--bind`, `--timeout`), READY within `wait`.
pub fn media_lab(args: &[&str], wait: Duration) -> Server {
    let script = root_dir().join("tests/servers/media_lab.py");
    let mut all = vec![script.to_str().expect("a UTF-8 path")];
    all.extend_from_slice(args);
    start("/usr/bin/python3", &all, wait)
}

/// A fake tool of `tests/servers/push/<tool>.py` (Frigate, go2rtc, MediaMTX played by their
/// source contracts) with `env` and `args`, READY within 30 s.
pub fn push_fake(tool: &str, env: &[(&str, &str)], args: &[&str]) -> Server {
    let script = root_dir().join(format!("tests/servers/push/{tool}.py"));
    let mut all: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    all.push(lab_python());
    all.push(script.to_string_lossy().into_owned());
    all.extend(args.iter().map(|a| a.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    start("/usr/bin/env", &refs, Duration::from_secs(30))
}

/// The fake Frigate on `ip` (a free port) over `config`, written first as a configuration
/// without cameras; the server and its URL.
pub fn empty_frigate(ip: &str, config: &Path) -> (Server, String) {
    std::fs::write(config, "mqtt:\n  enabled: false\ncameras: {}\n").unwrap();
    let port = free_port(ip).to_string();
    let config = config.to_str().expect("a UTF-8 path");
    let server = push_fake(
        "frigate",
        &[],
        &["--bind", ip, "--port", &port, "--config", config],
    );
    (server, format!("http://{ip}:{port}"))
}

impl Server {
    /// Close the server's stdin (the harness's "stop") and wait up to `limit` for it to exit on
    /// its own (a launcher that stops what it started first); killed after that.
    pub fn stop(&mut self, limit: Duration) {
        self._stdin.take();
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// How many of the lines the server printed begin with `prefix` (`AUTHFAIL`).
    pub fn lines_starting(&self, prefix: &str) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with(prefix))
            .count()
    }
}

pub fn start(program: &str, args: &[&str], wait: Duration) -> Server {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {program}: {e} (run scripts/test to install test servers)")
        });
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let sink = lines.clone();
    std::thread::spawn(move || {
        let mut ready = Some(ready_tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.trim() == "READY" {
                if let Some(tx) = ready.take() {
                    let _ = tx.send(());
                }
            } else {
                sink.lock().unwrap().push(line);
            }
        }
    });
    let deadline = Instant::now() + wait;
    loop {
        if ready_rx.recv_timeout(Duration::from_millis(100)).is_ok() {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{program} {args:?} exited with {status} before READY");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{program} {args:?} not READY within {wait:?}");
        }
    }
    Server {
        child,
        _stdin: Some(stdin),
        lines,
    }
}

/// A third-party server that knows nothing of the harness's READY/stdin contract (BusyBox's
/// telnetd): started by a bash wrapper that says READY once `ip:port` accepts, and kills it when
/// its stdin closes (the test process ended) or it is killed itself (`setpriv --pdeathsig`), so
/// the server never outlives the tests.
pub fn start_silent(program: &str, args: &[&str], (ip, port): (&str, u16)) -> Server {
    let quoted: Vec<String> = std::iter::once(program)
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let script = format!(
        "setpriv --pdeathsig KILL {} & pid=$!; trap 'kill $pid 2>/dev/null' EXIT; \
         for i in $(seq 200); do (echo > /dev/tcp/{ip}/{port}) 2>/dev/null && break; sleep 0.05; done; \
         echo READY; cat > /dev/null",
        quoted.join(" ")
    );
    start("bash", &["-c", &script], Duration::from_secs(20))
}

/// GStreamer RTSP servers described by `config` (see tests/servers/rtsp_server.py).
pub fn rtsp_servers(config: &serde_json::Value) -> Server {
    rtsp_servers_in(None, config)
}

/// [`rtsp_servers`] inside the network namespace `netns` (`None`: this one).
pub fn rtsp_servers_in(netns: Option<&str>, config: &serde_json::Value) -> Server {
    let dir = std::env::temp_dir().join(format!("camscan-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("rtsp-{}.json", rand_suffix()));
    std::fs::write(&path, serde_json::to_vec_pretty(config).unwrap()).unwrap();
    let script = root_dir().join("tests/servers/rtsp_server.py");
    let (script, path) = (script.to_str().unwrap(), path.to_str().unwrap());
    // Generous: a cold machine builds GStreamer's plugin registry on the first start.
    let wait = Duration::from_secs(90);
    match netns {
        None => start("/usr/bin/python3", &[script, path], wait),
        Some(ns) => start(
            "ip",
            &["netns", "exec", ns, "/usr/bin/python3", script, path],
            wait,
        ),
    }
}

/// CPython's http.server on `address:port`.
pub fn http_server(address: &str, port: u16) -> Server {
    let script = root_dir().join("tests/servers/http_server.py");
    start(
        "/usr/bin/python3",
        &[script.to_str().unwrap(), address, &port.to_string()],
        Duration::from_secs(30),
    )
}

/// [`http_server`] behind HTTP Basic: every path asks for `login` (`USER:PASSWORD`), a web admin
/// page behind a login wall.
pub fn http_server_with_login(address: &str, port: u16, login: &str) -> Server {
    let script = root_dir().join("tests/servers/http_server.py");
    start(
        "/usr/bin/python3",
        &[script.to_str().unwrap(), address, &port.to_string(), login],
        Duration::from_secs(30),
    )
}

fn rand_suffix() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(Instant::now())
}

/// The camscan binary under test, with a clean environment for its own variables.
pub fn camscan() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_camscan"));
    clean_env(&mut c);
    c
}

/// [`camscan`] inside the network namespace `netns` (`ip netns exec`: a test's own namespace lab).
pub fn camscan_in(netns: &str) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", netns, env!("CARGO_BIN_EXE_camscan")]);
    clean_env(&mut c);
    c
}

/// camscan's environment in the tests: none of the user's camscan variables, no user knowledge
/// files, no inventory unless asked for.
fn clean_env(c: &mut Command) {
    for (k, _) in std::env::vars() {
        if k.starts_with("CAMSCAN_") || ["RUST_LOG", "NO_COLOR", "COLUMNS"].contains(&k.as_str()) {
            c.env_remove(k);
        }
    }
    // A knowledge directory (~/.config/camscan/knowledge.d) would change what a scan tries: tests
    // see none unless they set XDG_CONFIG_HOME themselves (this one does not exist).
    c.env("XDG_CONFIG_HOME", root_dir().join("target/no-user-config"));
    // Scans leave no inventory behind unless a test asks for one ([`camscan_with_db`]); and none
    // ever lands in the user's own ~/.local/state.
    c.env("CAMSCAN_NO_DB", "true");
    c.env("XDG_STATE_HOME", root_dir().join("target/no-user-state"));
    c.stdin(Stdio::null());
}

/// [`camscan`] recording its scans in (and reading its inventory commands from) `db`.
pub fn camscan_with_db(db: &Path) -> Command {
    let mut c = camscan();
    c.env_remove("CAMSCAN_NO_DB");
    c.env("CAMSCAN_DB", db);
    c
}

/// Run camscan with `args`; panic with its stderr if it does not finish within `limit`. Its
/// output is read while it runs (a pipe holds only 64 KiB: a larger output would block it).
pub fn run(cmd: &mut Command, limit: Duration) -> Output {
    use std::io::Read;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("camscan runs");
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "camscan did not finish within {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&err.join().unwrap_or_default())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    };
    reports::keep(&output.stdout);
    output
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A loopback TCP port nobody listens on (bound then released).
pub fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fake RTSP server of ours for one camera quirk: it answers every OPTIONS and every DESCRIBE of
/// any path with 200 and the same SDP (seen on cheap cameras: Cameradar #438, #369). It serves on a
/// fresh port of `ip` until the test process ends; returns the port and a request counter.
pub fn rtsp_answers_anything(ip: &str) -> (u16, Arc<Mutex<u32>>) {
    let sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=Any\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=framerate:20\r\n";
    rtsp_fake(ip, sdp.as_bytes().to_vec())
}

/// The same fake serving `sdp` (any bytes: fixtures of broken camera SDPs) to every DESCRIBE.
pub fn rtsp_fake(ip: &str, sdp: Vec<u8>) -> (u16, Arc<Mutex<u32>>) {
    use std::io::{Read, Write};
    let sdp = Arc::new(sdp);
    let listener = std::net::TcpListener::bind((ip, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(Mutex::new(0u32));
    let counter = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(200) {
            let Ok(mut conn) = conn else { continue };
            let counter = counter.clone();
            let sdp = sdp.clone();
            std::thread::spawn(move || {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
                let mut buf = Vec::new();
                let mut chunk = [0u8; 2048];
                loop {
                    let Ok(n) = conn.read(&mut chunk) else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let req = String::from_utf8_lossy(&buf[..end]).into_owned();
                        buf.drain(..end + 4);
                        *counter.lock().unwrap() += 1;
                        let cseq = req
                            .lines()
                            .find_map(|l| l.strip_prefix("CSeq:").map(|v| v.trim().to_string()))
                            .unwrap_or_else(|| "0".into());
                        let reply = if req.starts_with("DESCRIBE") {
                            let mut r = format!(
                                "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nServer: AnyPath/1.0\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n",
                                sdp.len()
                            )
                            .into_bytes();
                            r.extend_from_slice(&sdp);
                            r
                        } else {
                            format!(
                                "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nServer: AnyPath/1.0\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n"
                            )
                            .into_bytes()
                        };
                        if conn.write_all(&reply).is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (port, count)
}

/// A running `camscan serve` on `addr` (`ip:port`), killed by its PID when dropped.
pub struct Serve {
    pub child: Child,
    pub addr: String,
}

impl Serve {
    /// `camscan serve --listen addr` over `db` with `extra` arguments, once it accepts
    /// connections (within 20 s).
    pub fn start(db: &Path, addr: &str, extra: &[&str]) -> Serve {
        let child = camscan_with_db(db)
            .args(["serve", "--listen", addr])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("camscan serve runs");
        let until = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < until, "serve not listening on {addr}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Serve {
            child,
            addr: addr.to_string(),
        }
    }

    /// Send `signal` (TERM or INT) and return the exit code.
    pub fn stop(mut self, signal: &str) -> Option<i32> {
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(15);
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("serve ignored SIG{signal}");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's Chromium, which the browser tests drive.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// A child process killed (by its PID) when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What the browser tests need (Chromium, node, playwright-core in `target/browser-node`, which
/// scripts/test installs), or why they cannot run: the directory playwright-core is in.
pub fn browser() -> Result<PathBuf, String> {
    let node_dir = root_dir().join("target/browser-node");
    if !Path::new(CHROMIUM).exists() {
        return Err(format!("{CHROMIUM} is missing (Debian package chromium)"));
    }
    if !node_dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        return Err(format!(
            "playwright-core is missing from {}",
            node_dir.display()
        ));
    }
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(node_dir),
        _ => Err("node is missing (Debian package nodejs)".into()),
    }
}
