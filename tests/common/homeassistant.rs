//! A real Home Assistant (PyPI `homeassistant` 2025.4.4, in `target/ha-venv`, which `scripts/test`
//! makes) in a network namespace of its own that has nothing but its loopback: Home Assistant opens
//! mDNS and multicast sockets, so it never runs in the test's own namespace. The cameras it is given
//! run in the same namespace, on its loopback (127.0.0.x): GStreamer's RTSP server
//! (`tests/servers/rtsp_server.py`), PyPI ipycam's ONVIF device API
//! (`tests/lab/responders/ipycam_onvif.py`) and an MJPEG-over-HTTP camera
//! (`tests/servers/homeassistant/mjpeg_camera.py`). camscan and any client reach them all through
//! `ip netns exec` ([`HomeAssistant::command`], [`super::camscan_in`]).
//!
//! `tests/servers/homeassistant/ha.py` starts Home Assistant, onboards its owner and writes a
//! long-lived access token to `CONFIG/token`; the namespace is removed when the handle drops, after
//! every server in it stopped. What Home Assistant's flows answer, step by step, is in
//! `tests/homeassistant.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

use super::{Server, root_dir, start};

/// Where Home Assistant listens inside its namespace (its own loopback, so always free).
pub const HA_ADDRESS: &str = "127.0.0.1";
pub const HA_PORT: u16 = 8123;

/// The venv `scripts/test` makes with Home Assistant and every integration package it would
/// otherwise install at run time.
pub fn ha_venv() -> PathBuf {
    let venv = root_dir().join("target/ha-venv");
    assert!(
        venv.join("bin/python3").exists(),
        "{} missing: run scripts/test (it installs Home Assistant)",
        venv.display()
    );
    venv
}

/// A running Home Assistant in namespace `ns`, and the cameras started beside it.
pub struct HomeAssistant {
    /// The network namespace (loopback only) Home Assistant and its cameras run in.
    pub ns: String,
    /// `http://127.0.0.1:8123`, reachable from inside `ns` only.
    pub url: String,
    /// The long-lived access token's file (one line, mode 0600).
    pub token_path: PathBuf,
    /// Home Assistant's configuration directory (its `home-assistant.log`, `.storage/`).
    pub config_dir: PathBuf,
    /// Cameras started with [`HomeAssistant::rtsp_cameras`], [`HomeAssistant::ipycam`] and
    /// [`HomeAssistant::mjpeg_camera`], in that order; stopped before Home Assistant.
    pub cameras: Vec<Server>,
    /// The launcher (`ha.py`); Home Assistant stops with it.
    pub server: Option<Server>,
    _dir: tempfile::TempDir,
}

/// `ip ARGS...`, which must succeed.
fn ip(args: &[&str]) {
    let ok = Command::new("ip").args(args).status().unwrap().success();
    assert!(ok, "ip {args:?} failed");
}

impl HomeAssistant {
    /// Home Assistant in a new loopback-only namespace (`csha-PID-N`), onboarded, READY with its
    /// token within 150 s. `what` names the test in the message when not root.
    pub fn start(what: &str) -> HomeAssistant {
        assert!(
            super::is_root(),
            "{what} needs root (ip netns): run scripts/test"
        );
        let venv = ha_venv();
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let ns = format!(
            "csha-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        );
        let _ = Command::new("ip")
            .args(["netns", "del", &ns])
            .stderr(Stdio::null())
            .status();
        ip(&["netns", "add", &ns]);
        // From here the namespace goes with the handle, whatever happens.
        let dir = tempfile::tempdir().unwrap();
        let mut ha = HomeAssistant {
            url: format!("http://{HA_ADDRESS}:{HA_PORT}"),
            token_path: dir.path().join("token"),
            config_dir: dir.path().to_path_buf(),
            ns,
            cameras: Vec::new(),
            server: None,
            _dir: dir,
        };
        // Loopback only, with multicast on it: Home Assistant's HTTP client opens an mDNS socket,
        // which needs a multicast route.
        ip(&["-n", &ha.ns, "link", "set", "lo", "up"]);
        ip(&["-n", &ha.ns, "link", "set", "lo", "multicast", "on"]);
        ip(&["-n", &ha.ns, "route", "add", "224.0.0.0/4", "dev", "lo"]);
        let launcher = root_dir().join("tests/servers/homeassistant/ha.py");
        let port = HA_PORT.to_string();
        ha.server = Some(start(
            "ip",
            &[
                "netns",
                "exec",
                &ha.ns,
                "/usr/bin/python3",
                launcher.to_str().unwrap(),
                "--bind",
                HA_ADDRESS,
                "--port",
                &port,
                "--config-dir",
                ha.config_dir.to_str().unwrap(),
                "--venv",
                venv.to_str().unwrap(),
            ],
            Duration::from_secs(150),
        ));
        ha
    }

    /// The long-lived access token.
    pub fn token(&self) -> String {
        super::read(&self.token_path).trim().to_string()
    }

    /// `ip netns exec NS program`: a command run inside Home Assistant's namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns, program]);
        c
    }

    /// One HTTP request to Home Assistant (curl inside its namespace): its status and body.
    /// `token`: `Some` sends it as the bearer (the token never on argv: curl reads the header
    /// from a file). A request unanswered within 60 s (a flow step waits 30 s at most on a
    /// stream) panics.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> (u16, String) {
        let mut c = self.command("curl");
        c.args([
            "-sS",
            "--max-time",
            "60",
            "-X",
            method,
            "-w",
            "\n%{http_code}",
        ]);
        let header = self
            .config_dir
            .join(format!("curl-header-{}", super::rand_suffix() % 1_000_000));
        if let Some(token) = token {
            write_private(&header, &format!("Authorization: Bearer {token}\n"));
            c.arg("-H").arg(format!("@{}", header.display()));
        }
        let input = body.map(|b| b.to_string());
        if input.is_some() {
            c.args([
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                "@-",
            ]);
        }
        c.arg(format!("{}{path}", self.url));
        let out = run_with_input(&mut c, input.as_deref());
        let _ = std::fs::remove_file(&header);
        assert!(
            out.status.success(),
            "curl {method} {path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').expect("curl printed the status");
        (status.trim().parse().unwrap(), body.to_string())
    }

    /// [`HomeAssistant::request`] with the token, the answer read as JSON (`Null` when it is
    /// not JSON).
    pub fn api(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let (status, text) = self.request(method, path, body, Some(&self.token()));
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Websocket commands (`{"type": ...}` each; ids are added), sent in order over one
    /// authenticated connection: the answer of each (`{"id", "type": "result", "success",
    /// "result" | "error"}`). `tests/servers/homeassistant/ws.py` speaks for the test.
    pub fn ws(&self, commands: &[Value]) -> Vec<Value> {
        let script = root_dir().join("tests/servers/homeassistant/ws.py");
        let mut c = self.command("/usr/bin/python3");
        c.arg(script)
            .args(["--url", &self.url, "--token-file"])
            .arg(&self.token_path);
        let input = Value::Array(commands.to_vec()).to_string();
        let out = run_with_input(&mut c, Some(&input));
        assert!(
            out.status.success(),
            "ws.py: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("ws.py prints a JSON list")
    }

    /// GStreamer RTSP servers described by `config` (`tests/servers/rtsp_server.py`) inside
    /// the namespace, kept until the handle drops.
    pub fn rtsp_cameras(&mut self, config: &Value) -> &Server {
        let server = super::rtsp_servers_in(Some(&self.ns), config);
        self.keep(server)
    }

    /// PyPI ipycam's ONVIF device API on `address:port` inside the namespace, behind `login`
    /// (user, password) when given (its GetStreamUri names rtsp://ADDRESS:8554/video_main and
    /// video_sub, served by nobody unless the test starts them). `mac`: a camera Home Assistant's
    /// ONVIF integration accepts (`--mac MAC --ptz-namespaces`: GetNetworkInterfaces answered
    /// with MAC, its PTZ answers well-formed); `None`: ipycam as it is, which that flow refuses
    /// ("Action not supported" to GetNetworkInterfaces).
    pub fn ipycam(
        &mut self,
        address: &str,
        port: u16,
        login: Option<(&str, &str)>,
        mac: Option<&str>,
    ) -> &Server {
        let script = root_dir().join("tests/lab/responders/ipycam_onvif.py");
        let python = super::lab_python();
        let port = port.to_string();
        let mut args = vec![
            "netns",
            "exec",
            &self.ns,
            &python,
            script.to_str().unwrap(),
            address,
            "--port",
            &port,
        ];
        if let Some((user, password)) = login {
            args.extend(["--user", user, "--password", password]);
        }
        if let Some(mac) = mac {
            args.extend(["--mac", mac, "--ptz-namespaces"]);
        }
        let server = start("ip", &args, Duration::from_secs(90));
        self.keep(server)
    }

    /// An MJPEG-over-HTTP camera on `address:port` inside the namespace
    /// (`tests/servers/homeassistant/mjpeg_camera.py`: `/mjpg/video.mjpg`, snapshot
    /// `/jpg/image.jpg`), behind `auth` (`"basic"` or `"digest"`, user, password) when given.
    pub fn mjpeg_camera(
        &mut self,
        address: &str,
        port: u16,
        auth: Option<(&str, &str, &str)>,
    ) -> &Server {
        let script = root_dir().join("tests/servers/homeassistant/mjpeg_camera.py");
        let port = port.to_string();
        let mut args = vec![
            "netns",
            "exec",
            &self.ns,
            "/usr/bin/python3",
            script.to_str().unwrap(),
            address,
            &port,
        ];
        if let Some((scheme, user, password)) = auth {
            args.extend(["--auth", scheme, "--user", user, "--password", password]);
        }
        let server = start("ip", &args, Duration::from_secs(30));
        self.keep(server)
    }

    /// The media lab's `units` (`tests/servers/media_lab.py --only UNITS`: its DASH is nginx
    /// serving ffmpeg's live MPD at http://127.0.0.52/dash/cam.mpd) inside the namespace.
    pub fn media_lab(&mut self, units: &str) -> &Server {
        let script = root_dir().join("tests/servers/media_lab.py");
        let args = [
            "netns",
            "exec",
            &self.ns,
            "/usr/bin/python3",
            script.to_str().unwrap(),
            "--only",
            units,
            "--timeout",
            "60",
        ];
        let server = start("ip", &args, Duration::from_secs(90));
        self.keep(server)
    }

    fn keep(&mut self, server: Server) -> &Server {
        self.cameras.push(server);
        self.cameras.last().unwrap()
    }

    /// The last `n` lines of Home Assistant's own log (for a failing assertion's message).
    pub fn log_tail(&self, n: usize) -> String {
        let log =
            std::fs::read_to_string(self.config_dir.join("home-assistant.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for HomeAssistant {
    fn drop(&mut self) {
        self.cameras.clear();
        if let Some(mut server) = self.server.take() {
            // EOF on its stdin: the launcher stops Home Assistant (SIGTERM, up to 20 s), exits.
            server.stop(Duration::from_secs(25));
        }
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
    }
}

/// Write `text` to `path`, readable by its owner only.
fn write_private(path: &Path, text: &str) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Run `c` with `input` on its stdin (or none), its output collected.
fn run_with_input(c: &mut Command, input: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if let Some(input) = input {
        stdin.write_all(input.as_bytes()).unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}
