//! One credential to try on devices that ask for one (the parsing of credential files and
//! their sources are in `credentials`): a user name, a password that `Debug` never
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

/// `url` without the `user:password@` of its authority, taken apart as text (a URL the url crate
/// refuses too: what a failure's message or an old row may hold); anything else as it is.
pub fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

/// The inverse of [`encode_userinfo`] (and of any percent-encoding): `%XX` decoded, an invalid
/// escape kept as written, bytes that are not UTF-8 replaced.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(hex) = std::str::from_utf8(&b[i + 1..i + 3])
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_decodes_to_what_was_encoded() {
        for s in ["admin", "p@ss:w/rd", "p%40ss", "naïve pass", "+plus+"] {
            assert_eq!(percent_decode(&encode_userinfo(s)), s);
        }
        assert_eq!(percent_decode("bad%zzescape%4"), "bad%zzescape%4");
    }
}
