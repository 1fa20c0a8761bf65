//! Typed errors. Variants carry the address, file or value involved so an operator can act on the
//! message (or find the packet in Wireshark); callers classify by variant, never by message text.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

/// Errors that stop a run before or after scanning: bad input, unwritable output. Exit code 2.
#[derive(Debug, Error)]
pub enum Error {
    #[error("invalid target {spec:?}: {reason}")]
    InvalidTarget { spec: String, reason: String },
    #[error("invalid port list {spec:?}: {reason}")]
    InvalidPorts { spec: String, reason: String },
    #[error("invalid value {value:?} for {field}: {reason}")]
    InvalidValue {
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error("cannot read {}: {source}", path.display())]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {}: {message}", path.display())]
    ConfigFile { path: PathBuf, message: String },
    /// A user's knowledge file (`--signatures`, the knowledge directory); the message names the
    /// entry and the line.
    #[error("invalid knowledge file {}: {message}", path.display())]
    KnowledgeFile { path: PathBuf, message: String },
    #[error(
        "{count} addresses to scan is more than {limit} (a /16); pass --allow-large to scan this many"
    )]
    TooLarge { count: u128, limit: u128 },
    #[error(
        "{target} includes publicly routable addresses; pass --allow-public if you are allowed to scan them"
    )]
    PublicTarget { target: String },
    #[error("cannot resolve host name {host:?}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("no targets: give CIDRs, ranges, addresses or host names, or --targets-file")]
    NoTargets,
    #[error(
        "no targets given and no attached private subnet to scan ({0}); see `camscan interfaces`"
    )]
    NoLocalNetworks(String),
    #[error("cannot list network interfaces: {0}")]
    Interfaces(std::io::Error),
    #[error("cannot write {}: {source}", path.display())]
    WriteOutput {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// Why talking to one endpoint failed. Recorded on the device, never fatal to the scan.
#[derive(Debug, Error)]
pub enum NetError {
    #[error("connect to {addr} timed out after {}", fmt_duration(*.timeout))]
    ConnectTimeout { addr: SocketAddr, timeout: Duration },
    #[error("connect to {addr} failed: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{what} to {addr} got no complete answer within {}", fmt_duration(*.timeout))]
    Timeout {
        addr: SocketAddr,
        what: String,
        timeout: Duration,
    },
    #[error("{what} to {addr}: {source}")]
    Io {
        addr: SocketAddr,
        what: String,
        source: std::io::Error,
    },
    #[error("{what} to {addr}: peer closed the connection after {received} bytes")]
    Closed {
        addr: SocketAddr,
        what: String,
        received: usize,
    },
    #[error("TLS handshake with {addr} failed: {reason}")]
    Tls { addr: SocketAddr, reason: String },
    #[error("{what} to {addr}: malformed reply: {reason}")]
    Malformed {
        addr: SocketAddr,
        what: String,
        reason: String,
    },
    #[error("{what} to {addr}: server busy ({status}) for {}, asked {attempts} times", fmt_duration(*.waited))]
    Busy {
        addr: SocketAddr,
        what: String,
        status: u16,
        attempts: u32,
        waited: Duration,
    },
    #[error("{what} to {addr}: reply larger than {limit} bytes")]
    TooLarge {
        addr: SocketAddr,
        what: String,
        limit: usize,
    },
}

/// A library error's text on one line: retina puts connection and packet details on extra lines
/// (`conn: 10.0.0.5:51234(me)->10.0.0.9:554@...`), which are worth keeping for Wireshark but not as
/// line breaks in a table or CSV cell.
pub fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// `1.5s`, `800ms`: how durations appear in messages.
pub fn fmt_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(Duration::from_secs(3)), "3s");
        assert_eq!(fmt_duration(Duration::from_millis(800)), "800ms");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
    }
}
