//! HTTP fingerprints end to end. No camera firmware is installable here, so the positive case is a
//! loopback fake that answers exactly as the cited Hikvision signatures describe (`Server: App-webs/`,
//! a Digest realm naming the model on `/ISAPI/System/deviceInfo`); the negative cases on real servers
//! (nginx's default site) are in `tests/media.rs`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::schema::Report;
use common::{run, stderr, stdout};

/// A web server that looks like a Hikvision camera's; serves until the test process ends.
fn hikvision_like(addr: &str) {
    let listener = TcpListener::bind(addr).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    return;
                }
                // Drain the head.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, extra, body) = match path.as_str() {
                    "/" => (
                        "200 OK",
                        "Content-Type: text/html\r\n",
                        "<html><head><title>Index</title></head><body>web</body></html>",
                    ),
                    "/ISAPI/System/deviceInfo" => (
                        "401 Unauthorized",
                        "WWW-Authenticate: Digest qop=\"auth\", realm=\"DS-2CD2143G2-I\", nonce=\"4e5a\", stale=\"FALSE\"\r\n",
                        "",
                    ),
                    _ => ("404 Not Found", "", ""),
                };
                let mut conn = conn;
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\nServer: App-webs/\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
}

#[test]
fn a_camera_web_ui_names_vendor_and_model_with_evidence() {
    hikvision_like("127.0.0.71:8081");
    let out = run(
        common::camscan().args(["scan", "127.0.0.71", "-p", "8081", "-f", "json"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let raw: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let d = report.device("127.0.0.71");
    assert!(d.is_camera, "a camera web UI is a camera");
    assert_eq!(d.vendor.as_deref(), Some("Hikvision"));
    assert_eq!(d.model.as_deref(), Some("DS-2CD2143G2-I"));
    let evidence: Vec<&str> = raw["devices"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert!(
        evidence.iter().any(|e| e.contains("App-webs")),
        "{evidence:?}"
    );
    assert!(evidence.iter().all(|e| e.starts_with("port 8081: ")));
    let s = &d.services[0];
    assert_eq!(s.title.as_deref(), Some("Index"));
    assert!(
        s.product.as_deref().unwrap_or("").starts_with("Hikvision"),
        "{s:?}"
    );
}
