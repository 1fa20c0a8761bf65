//! Describe one RTSP URL with camscan's library: codec, resolution, fps, audio, auth.
//!
//! ```text
//! cargo run --example describe -- rtsp://127.0.0.11:554/Streaming/Channels/101
//! ```
//! Prints the stream as JSON (the same object a scan reports). Credentials in the URL
//! (`rtsp://user:pass@host/...`, percent-encoded) are tried when the server asks for them. Only
//! point it at a device you may probe.

#![allow(clippy::print_stdout, clippy::print_stderr)] // an example program talks to its user

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use analyze::rtsp::{ScanContext, describe_stream};

#[tokio::main]
async fn main() -> ExitCode {
    let Some(arg) = std::env::args().nth(1) else {
        eprintln!("usage: describe rtsp://HOST[:PORT]/PATH");
        return ExitCode::from(2);
    };
    let url = match url::Url::parse(&arg) {
        Ok(u) if u.scheme() == "rtsp" && u.host_str().is_some() => u,
        _ => {
            eprintln!("not an rtsp:// URL: {arg}");
            return ExitCode::from(2);
        }
    };
    let host = url.host_str().unwrap_or_default();
    let port = url.port().unwrap_or(554);
    let addr: SocketAddr = match (host.trim_matches(['[', ']']), port).to_socket_addrs() {
        Ok(mut a) => match a.next() {
            Some(a) => a,
            None => return fail("no address for host"),
        },
        Err(e) => return fail(&e.to_string()),
    };
    let mut path = url.path().to_string();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    let mut settings = ScanContext::anonymous(Duration::from_secs(2), Duration::from_secs(5));
    if !url.username().is_empty() {
        let cred = credentials::Credential::new(
            percent_decode(url.username()),
            percent_decode(url.password().unwrap_or_default()),
        );
        settings.auth.credentials = std::sync::Arc::new(vec![cred]);
    }
    match describe_stream(addr, &path, &settings).await {
        Ok((stream, notes)) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&stream).unwrap_or_default()
            );
            for n in notes {
                eprintln!("note: {n}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(1)
}

/// The userinfo of a URL as typed (`%40` back to `@`); a `%` not followed by two hex digits stays.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(v) if b[i] == b'%' => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
