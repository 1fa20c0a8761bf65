//! The per-host gate of analysis traffic (`--host-rate`), counted on the server's side: GStreamer's
//! RTSP server (`tests/servers/rtsp_server.py`) behind a small TCP relay of ours that notes when
//! each RTSP request line crosses it. camscan scans the relay's address.
//!
//! Addresses: 127.0.45.1-2 (`tests/common/mod.rs`).

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

const CAMERA: &str = "127.0.45.1";
const RELAY: &str = "127.0.45.2";

/// A relay on `RELAY:8554` to `CAMERA:8554` that records the instant of every request the client
/// sends (a line ending ` RTSP/1.0`, or ` HTTP/1.1` for the web check of an RTSP port; answers go
/// the other way).
fn counting_relay() -> Arc<Mutex<Vec<Instant>>> {
    let listener = TcpListener::bind((RELAY, 8554)).expect("bind the relay");
    let seen: Arc<Mutex<Vec<Instant>>> = Default::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect((CAMERA, 8554)) else {
                continue;
            };
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let log = log.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                let mut tail: Vec<u8> = Vec::new();
                while let Ok(n) = c_in.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    tail.extend_from_slice(&buf[..n]);
                    let hits = tail
                        .windows(10)
                        .filter(|w| w == b" RTSP/1.0\r" || w == b" HTTP/1.1\r")
                        .count();
                    let now = Instant::now();
                    log.lock().unwrap().extend(std::iter::repeat_n(now, hits));
                    // Keep what may be the start of a request line split across reads.
                    let keep = tail.len().saturating_sub(9);
                    tail.drain(..keep);
                    if s_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = s_out.shutdown(Shutdown::Write);
            });
            let (mut s_in, mut c_out) = (server, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s_in, &mut c_out);
                let _ = c_out.shutdown(Shutdown::Write);
            });
        }
    });
    seen
}

/// The most instants within any one second.
fn busiest_second(mut at: Vec<Instant>) -> usize {
    at.sort();
    (0..at.len())
        .map(|i| {
            at[i..]
                .iter()
                .take_while(|t| t.duration_since(at[i]) < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// `requests=N peak_per_s=M` of the device's timing line.
fn counted(stderr: &str) -> (u64, u64) {
    let line = stderr
        .lines()
        .find(|l| l.contains("timing: device"))
        .unwrap_or_else(|| panic!("no device timing line: {stderr}"));
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {line}"))
    };
    (field("requests="), field("peak_per_s="))
}

fn scan(rate: &str) -> (String, String) {
    let out = run(
        camscan()
            .args([
                "scan",
                RELAY,
                "-p",
                "8554",
                "--discovery",
                "ports",
                "--host-rate",
                rate,
                "-f",
                "json",
            ])
            .env("CAMSCAN_LOG", "warn,timing=debug")
            .env("NO_COLOR", "1"),
        Duration::from_secs(30),
    );
    (stdout(&out), stderr(&out))
}

#[test]
fn host_rate_holds_what_a_camera_receives_in_any_second() {
    let _camera = rtsp_servers(&serde_json::json!([
        {"address": CAMERA, "port": 8554, "shared": true, "auth": null, "mounts": [
            {"path": "/live", "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10},
             "audio": null}]}
    ]));
    let seen = counting_relay();

    // Unpaced, the walk and the PLAY check come in a burst: the server sees more than 5 in one
    // second (so the paced run below proves the gate, not a quiet scan).
    let (_, err) = scan("0");
    let burst = busiest_second(std::mem::take(&mut *seen.lock().unwrap()));
    assert!(
        burst > 6,
        "unpaced, {burst} requests in the busiest second: {err}"
    );
    let (_, peak) = counted(&err);
    assert!(
        peak as usize >= burst - 1,
        "the gate counted {peak}, the server saw {burst}"
    );

    // At 5 a second: one each 200 ms, and never 6 within one second as camscan let them go (a
    // task woken late waits for room rather than going beside the next one on time). The relay
    // notes each when its own thread reads it, which a busy machine may delay into the next
    // request's second: one more there is the relay's, never the burst.
    let (out, err) = scan("5");
    let at = std::mem::take(&mut *seen.lock().unwrap());
    let received = at.len();
    let busiest = busiest_second(at);
    let (_, sent_peak) = counted(&err);
    assert!(
        sent_peak <= 5,
        "camscan let {sent_peak} go within one second at --host-rate 5: {err}"
    );
    assert!(
        busiest <= 6,
        "{busiest} requests within one second at --host-rate 5: {err}"
    );
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    let streams: Vec<(&str, &str)> = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["streams"].as_array().unwrap())
        .map(|s| (s["url"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        streams,
        [("rtsp://127.0.45.2:8554/live", "ok")],
        "the stream is still found and plays: {err}"
    );
    // The timing log says what the device received, as the server counted it (give or take
    // retina's TEARDOWN, which the gate does not count, and a request on a connection the server
    // had closed).
    let (requests, _) = counted(&err);
    assert!(
        (requests as usize).abs_diff(received) <= 2,
        "the gate counted {requests}, the server saw {received}"
    );
}
