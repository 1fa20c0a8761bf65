//! `camscan doctor`'s checks of the notification sinks: a TCP connect to each configured host
//! (the only checks that touch a network, and only the hosts the user configured), a program's
//! path and mode.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use super::Check;
use crate::notify::{DoctorCheck, SinkSpec};

/// Name resolution and TCP connect of a sink: the deadline of one protocol step of a scan
/// ([`net::DEFAULT_TIMEOUT`], 3 s); a receiver on the LAN or loopback accepts within
/// milliseconds.
const SINK_DEADLINE: Duration = net::DEFAULT_TIMEOUT;

/// One configured sink, as its registration says (`notify::SINKS`' `doctor`): reachable
/// (webhook, mqtt: a TCP connect to the configured host), a program that exists (exec), or
/// nothing to check (stdout).
pub(super) fn sink(spec: &str, env: &input::environment::Environment) -> Check {
    let parsed = match spec.parse::<SinkSpec>() {
        Ok(s) => s,
        Err(e) => {
            return Check::fail(SINK, e, crate::notify::sink_syntax());
        }
    };
    let shown = crate::notify::shown_name(&parsed.name());
    match parsed.def().doctor {
        DoctorCheck::Nothing(what) => Check::pass(SINK, format!("{shown}: {what}")),
        DoctorCheck::Connect { default_port } => sink_connect(&shown, parsed.value(), default_port),
        DoctorCheck::Program => sink_program(&shown, parsed.value(), env),
    }
}

/// The name of the sink checks.
const SINK: &str = "sink";

/// A sink's URL reachable: a TCP connect to its host and port (`default_port`, else the
/// scheme's, when it gives none).
pub(super) fn sink_connect(shown: &str, url: &str, default_port: Option<u16>) -> Check {
    let (host, port) = match url::Url::parse(url) {
        Ok(u) => (
            u.host_str()
                .unwrap_or("")
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            u.port().or(default_port).or(u.port_or_known_default()),
        ),
        Err(e) => return Check::fail(SINK, format!("{shown}: {e}"), "correct the URL"),
    };
    let Some(port) = port else {
        return Check::fail(SINK, format!("{shown}: no port"), "give a port in the URL");
    };
    match connect(&host, port, SINK_DEADLINE) {
        Ok((addr, took)) => Check::pass(
            SINK,
            format!(
                "{shown}: {addr} accepted a TCP connection in {} ms",
                took.as_millis()
            ),
        ),
        Err(e) => Check::fail(
            SINK,
            format!("{shown}: {host}:{port}: {e}"),
            "start the receiver, or correct the host and port; its events wait in the outbox meanwhile",
        ),
    }
}

/// A sink's command runnable: its program found and executable.
pub(super) fn sink_program(
    shown: &str,
    command: &str,
    env: &input::environment::Environment,
) -> Check {
    let program = match shell_words::split(command) {
        Ok(argv) if !argv.is_empty() => argv[0].clone(),
        Ok(_) => {
            return Check::fail(SINK, format!("{shown}: no command"), "name a program");
        }
        Err(e) => {
            return Check::fail(SINK, format!("{shown}: {e}"), "balance the quotes");
        }
    };
    match env.find_program(&program) {
        Some(p) if is_executable(&p) => {
            Check::pass(SINK, format!("{shown}: {} is executable", p.display()))
        }
        Some(p) => Check::fail(
            SINK,
            format!("{shown}: {} is not executable", p.display()),
            format!("chmod +x {}", p.display()),
        ),
        None => Check::fail(
            SINK,
            format!("{shown}: `{program}` not found (in PATH or as a path)"),
            "install it, or give its full path",
        ),
    }
}

/// A TCP connect to `host:port`, name resolution and connect each within `deadline`: the address
/// that accepted and how long it took.
pub(super) fn connect(
    host: &str,
    port: u16,
    deadline: Duration,
) -> Result<(SocketAddr, Duration), String> {
    let target = (host.to_string(), port);
    // The system resolver has no deadline of its own: ask it on a thread and stop waiting.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(target.to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
    });
    let addrs = match rx.recv_timeout(deadline) {
        Ok(Ok(a)) if !a.is_empty() => a,
        Ok(Ok(_)) => return Err("no address".into()),
        Ok(Err(e)) => return Err(format!("cannot resolve: {e}")),
        Err(_) => {
            return Err(format!(
                "cannot resolve within {}",
                error::fmt_duration(deadline)
            ));
        }
    };
    let mut last = String::new();
    for addr in addrs {
        let start = Instant::now();
        match TcpStream::connect_timeout(&addr, deadline) {
            Ok(_) => return Ok((addr, start.elapsed())),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                last = format!("no TCP answer within {}", error::fmt_duration(deadline));
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

pub(super) fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}
