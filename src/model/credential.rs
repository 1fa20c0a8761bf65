//! One credential to try on devices that ask for one (the parsing of credential files and
//! their sources are in [`crate::credentials`]): a user name, a password that `Debug` never
//! shows, and the hosts it may be tried on.

use std::fmt;
use std::net::IpAddr;

use super::addr::AddrRange;

/// One username and password, optionally limited to some hosts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub password: String,
    /// Hosts this credential may be tried on; `None` = every host.
    pub scope: Option<AddrRange>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("scope", &self.scope)
            .finish()
    }
}

impl Credential {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credential {
            username: username.into(),
            password: password.into(),
            scope: None,
        }
    }

    pub fn applies_to(&self, ip: IpAddr) -> bool {
        self.scope.is_none_or(|s| s.contains_ip(ip))
    }
}

/// Percent-encode a user name or password for the userinfo part of a URL (RFC 3986 §3.2.1):
/// everything but unreserved characters. `p@ss:w/rd` must not break `rtsp://user:pass@host/`
/// (bluenviron/mediamtx#2069).
pub fn encode_userinfo(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
