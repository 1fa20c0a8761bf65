//! A web server that asks for a login on every path (issue 27): Debian's nginx with `auth_basic` on
//! the whole site (every path, a made-up one too, answers `401` with a Basic realm), in front of a
//! real JPEG snapshot made by ffmpeg at start-up and, at Axis' `/mjpg/video.mjpg`, VLC's MJPEG
//! output (`tests/servers/media_lab.py --only mjpeg`, 320x240 at 5 fps) through `proxy_pass`.
//!
//! * Without credentials the service is reported as needing a login (scheme, realm, a note) and no
//!   stream is guessed: before, the dictionary listed one `auth_required` stream per media path.
//! * With the right credential the streams that exist are found (exactly `/mjpg/video.mjpg` and
//!   `/snapshot.jpg`) and read: the MJPEG rate measured through the login.
//! * Wrong credentials stay within the login budget: nginx's access log counts the logins sent.
//! * A server that locks one path only (a made-up path is a 404) still gets it listed.
//!
//! One nginx serves the three sites (one address each, its own access log), started once for the
//! file with the MJPEG source. Needs root (VLC, as the media lab runs it), /usr/sbin/nginx, VLC and
//! ffmpeg (scripts/test installs them).

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use common::schema::{Auth, Report, Status};
use common::{Server, camscan, run, stderr, stdout};

/// The whole site behind `auth_basic` (the Axis case), scanned without and with the right credential.
const WALL: &str = "127.0.0.154";
/// The same site, for the wrong credentials (its own access log: the attempts are counted).
const WRONG: &str = "127.0.0.156";
/// One path locked (`/mjpg/video.mjpg`), everything else open: a made-up path is a 404.
const PARTIAL: &str = "127.0.0.155";
/// VLC's MJPEG output (the media lab's `mjpeg` unit moved here), proxied by the wall.
const MJPEG: &str = "127.0.0.158";
const PORT: u16 = 8080;
const REALM: &str = "camscan lab";
const USER: &str = "viewer";
const PASSWORD: &str = "s3cret pass";

struct Lab {
    _nginx: Server,
    _mjpeg: Server,
    dir: PathBuf,
}

fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        assert!(common::is_root(), "VLC's MJPEG needs the media lab as root: run scripts/test");
        let bind = format!("mjpeg={MJPEG}");
        // The launcher's snapshot server (lab plumbing) on an address of this file's own too:
        // other test files run media labs at the same time.
        let mjpeg = common::media_lab(
            &[
                "--only",
                "mjpeg",
                "--bind",
                &bind,
                "--bind",
                "hls=127.0.0.157",
            ],
            Duration::from_secs(60),
        );
        let dir = std::env::temp_dir().join(format!("camscan-http-auth-{}", std::process::id()));
        let www = dir.join("www");
        std::fs::create_dir_all(&www).unwrap();
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        // A real 320x240 JPEG, as a camera's snapshot.
        let ffmpeg = std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
            .arg("testsrc=size=320x240:rate=1")
            .args(["-frames:v", "1"])
            .arg(www.join("snapshot.jpg"))
            .status()
            .expect("ffmpeg runs");
        assert!(ffmpeg.success());
        std::fs::write(
            www.join("index.html"),
            "<!doctype html><html><head><title>Camera</title></head><body>live view</body></html>\n",
        )
        .unwrap();
        // nginx's own plain-text password scheme (ngx_http_auth_basic_module: `{PLAIN}`).
        std::fs::write(dir.join("htpasswd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let d = dir.display();
        let site = |ip: &str, name: &str, auth: &str| {
            format!(
                "    server {{\n        listen {ip}:{PORT};\n        root {d}/www;\n        index index.html;\n        access_log {d}/logs/{name}.log;\n{auth}    }}\n"
            )
        };
        let whole = format!(
            "        auth_basic \"{REALM}\";\n        auth_basic_user_file {d}/htpasswd;\n        location /mjpg/ {{ proxy_pass http://{MJPEG}:8080; proxy_buffering off; }}\n"
        );
        let one_path = format!(
            "        location = /mjpg/video.mjpg {{\n            auth_basic \"{REALM}\";\n            auth_basic_user_file {d}/htpasswd;\n        }}\n"
        );
        let conf = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/logs/error.log info;\nevents {{ worker_connections 64; }}\nhttp {{\n    types {{ text/html html; image/jpeg jpg; }}\n    client_body_temp_path {d}/client_body;\n    proxy_temp_path {d}/proxy;\n    fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n{}{}{}}}\n",
            site(WALL, "wall", &whole),
            site(WRONG, "wrong", &whole),
            site(PARTIAL, "partial", &one_path),
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        // nginx in the foreground, ended when this test process ends (its stdin closes).
        let script = format!(
            "/usr/sbin/nginx -c {d}/nginx.conf -e {d}/logs/error.log & pid=$!\n\
             for i in $(seq 100); do (exec 3<>/dev/tcp/{PARTIAL}/{PORT}) 2>/dev/null && break; sleep 0.1; done\n\
             echo READY\ncat >/dev/null\nkill $pid; wait $pid\n"
        );
        let nginx = common::start("/bin/bash", &["-c", &script], Duration::from_secs(20));
        Lab {
            _nginx: nginx,
            _mjpeg: mjpeg,
            dir,
        }
    })
}

fn scan(ip: &str, extra: &[&str]) -> (Report, serde_json::Value, String) {
    let port = PORT.to_string();
    let out = run(
        camscan()
            .args(["scan", ip, "-p", &port, "-f", "json", "--no-verify"])
            .args(extra),
        Duration::from_secs(60),
    );
    let text = stdout(&out);
    let report: Report = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\nstderr: {}", stderr(&out)));
    (report, serde_json::from_str(&text).unwrap(), stderr(&out))
}

fn credentials(name: &str, lines: &str) -> PathBuf {
    let path = lab().dir.join(name);
    std::fs::write(&path, lines).unwrap();
    path
}

#[test]
fn a_login_wall_is_one_login_not_eight_streams() {
    lab();
    let (report, raw, err) = scan(WALL, &[]);
    let d = report.device(WALL);
    assert!(d.streams.is_empty(), "{:?}\n{err}", d.streams);
    let s = &d.services[0];
    assert_eq!((s.protocol.as_str(), s.auth), ("http", Auth::Basic));
    assert_eq!(raw["devices"][0]["services"][0]["realm"], REALM);
    let note = s.note.as_deref().unwrap_or_default();
    assert!(
        note.starts_with(
            "asks for a login on every path, made-up ones too (HTTP 401, Basic realm \"camscan lab\")"
        ),
        "{note}"
    );
    assert!(
        note.ends_with("give credentials with --credentials"),
        "{note}"
    );
    // The table says it too, in place of the streams.
    let out = run(
        camscan().args(["scan", WALL, "-p", &PORT.to_string(), "--no-verify"]),
        Duration::from_secs(60),
    );
    let table = stdout(&out);
    assert!(table.contains("asks for a login on every path"), "{table}");
    assert!(!table.contains("auth_required"), "{table}");
    // CSV: one row, no stream, the login the device asks for in `auth`.
    let out = run(
        camscan().args([
            "scan",
            WALL,
            "-p",
            &PORT.to_string(),
            "--no-verify",
            "-f",
            "csv",
        ]),
        Duration::from_secs(60),
    );
    let csv = stdout(&out);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 2, "{csv}");
    let header: Vec<&str> = rows[0].split(',').collect();
    let cells: Vec<&str> = rows[1].split(',').collect();
    let col = |name: &str| cells[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!((col("url"), col("auth")), ("", "basic"), "{csv}");
}

#[test]
fn the_right_credential_finds_the_paths_that_exist() {
    let file = credentials("right.txt", &format!("admin:nope\n{USER}:{PASSWORD}\n"));
    let (report, raw, err) = scan(WALL, &["--credentials", file.to_str().unwrap()]);
    let d = report.device(WALL);
    let mut urls: Vec<&str> = d.streams.iter().map(|s| s.url.as_str()).collect();
    urls.sort();
    assert_eq!(
        urls,
        [
            format!("http://{WALL}:{PORT}/mjpg/video.mjpg"),
            format!("http://{WALL}:{PORT}/snapshot.jpg")
        ],
        "{:?}\n{err}",
        d.streams
    );
    for st in &d.streams {
        // Opened (--no-verify: not played).
        assert_eq!(
            (st.status.answers(), st.auth),
            (true, Auth::Basic),
            "{st:?}"
        );
        assert_eq!(st.username.as_deref(), Some(USER));
        let v = st.video.as_ref().unwrap();
        assert_eq!((v.width, v.height), (Some(320), Some(240)), "{st:?}");
    }
    let jpeg = d.stream(&format!("http://{WALL}:{PORT}/snapshot.jpg"));
    assert!(jpeg.verified, "a whole JPEG was read");
    let mjpeg = d.stream(&format!("http://{WALL}:{PORT}/mjpg/video.mjpg"));
    assert_eq!(mjpeg.protocol, "mjpeg");
    // VLC sends 5 parts a second; the rate is measured through the login.
    let fps = mjpeg.video.as_ref().unwrap().fps.unwrap();
    assert!((fps - 5.0).abs() < 0.5, "{fps}");
    // The password is in no output.
    assert!(!raw.to_string().contains("s3cret"));
}

#[test]
fn wrong_credentials_stay_within_the_login_budget() {
    let file = credentials(
        "wrong.txt",
        "admin:a\nadmin:b\nroot:c\nviewer:d\nviewer:e\n",
    );
    let (report, _, err) = scan(WRONG, &["--credentials", file.to_str().unwrap()]);
    let d = report.device(WRONG);
    assert!(d.streams.is_empty(), "{:?}\n{err}", d.streams);
    let note = d.services[0].note.as_deref().unwrap_or_default();
    assert!(
        note.ends_with(
            "the 3 credential(s) tried were refused; failed-login budget for this host spent"
        ),
        "{note}"
    );
    assert!(
        d.errors
            .iter()
            .any(|e| e.message.contains("HTTP login refused")),
        "{:?}",
        d.errors
    );
    // nginx logs the Basic user of every request that sent one (`$remote_user`, the third field
    // of its combined format): three logins, the default budget, and nothing else sent a user.
    let log = common::read(&lab().dir.join("logs/wrong.log"));
    let logins = log
        .lines()
        .filter(|l| l.split(' ').nth(2).is_some_and(|u| u != "-"))
        .count();
    assert_eq!(logins, 3, "{log}");
}

/// No regression: a server that locks one media path and answers 404 to a made-up one still
/// gets that path listed as needing a login, beside what it serves openly.
#[test]
fn a_server_locking_one_path_still_lists_it() {
    lab();
    let (report, _, err) = scan(PARTIAL, &[]);
    let d = report.device(PARTIAL);
    let locked: Vec<&str> = d
        .streams
        .iter()
        .filter(|s| s.status == Status::AuthRequired)
        .map(|s| s.url.as_str())
        .collect();
    assert_eq!(
        locked,
        [format!("http://{PARTIAL}:{PORT}/mjpg/video.mjpg")],
        "{err}"
    );
    assert_eq!(d.stream(locked[0]).auth, Auth::Basic);
    let open = d.stream(&format!("http://{PARTIAL}:{PORT}/snapshot.jpg"));
    assert!(open.status.answers(), "{open:?}");
    assert!(d.services[0].note.is_none(), "{:?}", d.services[0].note);
}
