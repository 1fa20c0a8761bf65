//! Print the announcements camscan's listener hears (WS-Discovery Hello/Bye, SSDP NOTIFY), one JSON
//! object per line, until stdin closes or Ctrl-C.
//!
//! ```text
//! cargo run --example listen -- 192.168.1.20 [10.0.0.5 ...]
//! ```
//! Each argument is an address of this host; the listener joins 239.255.255.250 (UDP 3702 and 1900)
//! on the interface holding it. It only listens: nothing is sent. Prints `READY` on stdout once every
//! socket has joined (so a test can start devices after it), then e.g.
//! `{"ip":"198.18.16.11","kind":"hello","source":"ws-discovery","detail":"http://198.18.16.11:8000/onvif/device_service"}`.
//! Logs (which sockets joined, what was dropped and why) go to stderr; `RUST_LOG=debug` shows more.

#![allow(clippy::print_stdout, clippy::print_stderr)] // an example program talks to its user

use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::process::ExitCode;

use camscan::discovery::listen::Listener;

#[tokio::main]
async fn main() -> ExitCode {
    let mut interfaces = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.parse::<Ipv4Addr>() {
            Ok(ip) => interfaces.push(ip),
            Err(_) => {
                eprintln!("usage: listen ADDRESS... (addresses of this host; {arg:?} is not one)");
                return ExitCode::from(2);
            }
        }
    }
    if interfaces.is_empty() {
        eprintln!("usage: listen ADDRESS... (addresses of this host)");
        return ExitCode::from(2);
    }
    // A plain level from RUST_LOG (camscan's tracing-subscriber has no env-filter).
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .init();
    let listener = match Listener::bind(&interfaces) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("listen: {e}");
            return ExitCode::from(1);
        }
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Stop when stdin reaches EOF (the test harness closes it) or on Ctrl-C.
    std::thread::spawn({
        let stop_tx = stop_tx.clone();
        move || {
            let mut sink = [0u8; 256];
            while matches!(std::io::stdin().read(&mut sink), Ok(n) if n > 0) {}
            let _ = stop_tx.send(true);
        }
    });
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop_tx.send(true);
    });
    let run = tokio::spawn(listener.run(tx, stop_rx));
    println!("READY");
    let mut out = std::io::stdout().lock();
    while let Some(a) = rx.recv().await {
        let line = serde_json::to_string(&a).unwrap_or_default();
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    match run.await {
        Ok(Ok(_)) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("listen: {e}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("listen: {e}");
            ExitCode::from(1)
        }
    }
}
