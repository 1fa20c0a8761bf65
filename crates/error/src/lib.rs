//! Typed errors. Variants carry the address, file or value involved so an operator can act on the
//! message (or find the packet in Wireshark); callers classify by variant, never by message text.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

/// Exit codes (ripgrep/fd style): 0 found a camera or stream, 1 found none, 2 error, 130 SIGINT,
/// 143 SIGTERM.
pub mod exit {
    pub const FOUND: u8 = 0;
    pub const NOTHING: u8 = 1;
    pub const ERROR: u8 = 2;
    /// `camscan doctor`: a check failed (as `diff`'s 1, "something to look at").
    pub const DOCTOR_FAILED: u8 = 1;
    pub const SIGINT: u8 = 130;
    pub const SIGTERM: u8 = 143;
    /// `camscan audit --fail-on SEVERITY`: a finding at or above it exists.
    pub const FINDINGS: u8 = 4;
    /// A fleet hub refused this site's agent (`StoreError::SiteRefused`): another inventory holds
    /// the site's name, the hub is ahead of this inventory, or the login is another site's.
    pub const HUB_REFUSED: u8 = 5;
}

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
    /// `--credentials FILE` (or the config file's `credentials_file:`): the message names the line.
    #[error("invalid credentials file {}: {message}", path.display())]
    CredentialsFile { path: PathBuf, message: String },
    /// `camscan convert`'s input: not a JSON report this camscan reads.
    #[error("{} is not a camscan JSON report it can read: {message}", path.display())]
    Report { path: PathBuf, message: String },
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
    /// Targets were given (an argument, the config file's `targets`, a targets file) and came out
    /// empty: a blank variable or a generator that wrote nothing must not sweep the attached LAN.
    #[error(
        "the targets given ({given}) hold no address; give CIDRs, ranges, addresses or host names (with no target at all, camscan scans the attached subnets)"
    )]
    EmptyTargets { given: String },
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
    /// `certificate`: what the server showed before the handshake failed (an RSA key ring will
    /// not verify, under 2048 bits), for `camscan audit`.
    #[error("TLS handshake with {addr} failed: {reason}")]
    Tls {
        addr: SocketAddr,
        reason: String,
        certificate: Option<Box<model::Certificate>>,
    },
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

/// Why one step of analysing a port or device failed. Recorded on the device as a
/// [`model::Failure`] (its text is the failure's message), never fatal to the scan;
/// callers classify by variant, never by message text.
#[derive(Debug, Error)]
pub enum AnalyzeError {
    /// Talking to the device failed: connect, deadline, reset, busy, TLS, an oversized reply.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The device's bytes did not parse (a `proto` parser's typed error).
    #[error(transparent)]
    Malformed(Box<dyn std::error::Error + Send + Sync>),
    /// The answer parsed but lacks what the step needs (no program map, no frame in the window,
    /// no Representation).
    #[error("{0}")]
    Missing(String),
    /// The device answered with a refusal or an error status (`HTTP 404`, a SOAP fault).
    #[error("{0}")]
    Refused(String),
    /// Credentials needed and none given or accepted, or the failed-login budget spent.
    #[error("{0}")]
    Auth(String),
    /// Somewhere the device pointed that camscan does not go: another host, a redirect.
    #[error("{0}")]
    NotFollowed(String),
    /// A described stream's media check failed: no media within the window, a session error.
    #[error("{0}")]
    Media(String),
    /// A local tool camscan ran (ffprobe) failed.
    #[error("{0}")]
    Tool(String),
    /// What the step was doing (`MJPEG /video`, `ONVIF /onvif/device_service`), around the cause.
    #[error("{what}: {source}")]
    In {
        what: String,
        source: Box<AnalyzeError>,
    },
}

impl AnalyzeError {
    /// A parser's error about the device's bytes.
    pub fn malformed(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        AnalyzeError::Malformed(Box::new(e))
    }

    /// This error as the step `what` met it.
    pub fn within(self, what: impl Into<String>) -> Self {
        AnalyzeError::In {
            what: what.into(),
            source: Box::new(self),
        }
    }

    /// The innermost cause, past every [`AnalyzeError::In`].
    pub fn cause(&self) -> &AnalyzeError {
        match self {
            AnalyzeError::In { source, .. } => source.cause(),
            other => other,
        }
    }

    /// The failure recorded on the device.
    pub fn failure(&self, stage: model::Stage, port: Option<u16>) -> model::Failure {
        model::Failure {
            stage,
            port,
            message: failure_text(&self.to_string()),
        }
    }
}

/// The longest failure message kept, in characters: a device's bytes quoted in the middle of a
/// longer one are cut there (`…`), keeping its start (what failed) and its end (what camscan did).
pub const FAILURE_TEXT_MAX: usize = 400;

/// A failure's message as a report keeps it: on one line, a device's control bytes written as
/// escapes (`\u{1b}`), never raw, and at most [`FAILURE_TEXT_MAX`] characters.
pub fn failure_text(message: &str) -> String {
    let mut chars: Vec<char> = Vec::new();
    for c in one_line(&message).chars() {
        if c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}') {
            chars.extend(c.escape_default());
        } else {
            chars.push(c);
        }
    }
    if chars.len() > FAILURE_TEXT_MAX {
        let tail = FAILURE_TEXT_MAX * 2 / 5;
        let head = FAILURE_TEXT_MAX - tail - 1;
        let end = chars.split_off(chars.len() - tail);
        chars.truncate(head);
        chars.push('…');
        chars.extend(end);
    }
    chars.into_iter().collect()
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
    fn failure_text_never_carries_raw_device_bytes() {
        let raw = "unexpected answer: \u{1b}[2J\u{0}\u{7}ok\r\nnext\u{202e}";
        let t = failure_text(raw);
        assert!(!t.chars().any(|c| c.is_control()), "{t:?}");
        assert!(t.contains("\\u{1b}[2J"), "{t:?}");
        assert!(t.contains("ok; next"), "{t:?}");
        assert!(!t.contains('\u{202e}'), "{t:?}");
        let long = format!("DESCRIBE failed: {}; facts from SDP only", "x".repeat(1000));
        let t = failure_text(&long);
        assert_eq!(t.chars().count(), FAILURE_TEXT_MAX);
        assert!(
            t.starts_with("DESCRIBE failed") && t.ends_with("facts from SDP only"),
            "{t}"
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(Duration::from_secs(3)), "3s");
        assert_eq!(fmt_duration(Duration::from_millis(800)), "800ms");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
    }
}
