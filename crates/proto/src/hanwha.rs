//! Hanwha Vision (formerly Samsung Techwin; Wisenet) device search: a request to UDP 7701, answered
//! to UDP 7711 (`docs/design/protocols.md`, "Vendor discovery ports").
//!
//! Both are one fixed 262-byte (0x106) record, as UniversalScanner's `Hanwha.cs` lays it out: byte 0
//! is the packet type (0x01 request, 0x0b answer); NUL-padded ASCII fields hold the MAC
//! (`00:11:22:33:44:55`, 18 bytes at 0x13), the IPv4 address, mask and gateway (16 bytes each at
//! 0x25, 0x35, 0x45), the device type (the model, 10 bytes at 0x6d) and the web page URL (39 bytes
//! at 0x85). We send the request record (type 0x01, zeros elsewhere). A shorter answer yields the
//! fields it holds in full.

use crate::arp;
use model::Announcement;

/// Where requests go, and where devices send answers.
pub const PORT: u16 = 7701;
pub const REPLY_PORT: u16 = 7711;
const RECORD: usize = 0x106;
const REQUEST: u8 = 0x01;
const ANSWER: u8 = 0x0b;

/// The request: the record with type 0x01.
pub fn request() -> Vec<u8> {
    let mut r = vec![0u8; RECORD];
    r[0] = REQUEST;
    r
}

/// Why a datagram is not a device's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HanwhaError {
    #[error("packet type {0:#04x}, not an answer (0x0b)")]
    Kind(u8),
    #[error("empty datagram")]
    Empty,
    #[error("no MAC and no address in the answer")]
    NoIdentity,
}

/// Parse a datagram into what the device announced.
pub fn parse(bytes: &[u8]) -> Result<Announcement, HanwhaError> {
    let first = *bytes.first().ok_or(HanwhaError::Empty)?;
    if first != ANSWER {
        return Err(HanwhaError::Kind(first));
    }
    let field = |at: usize, len: usize| -> Option<String> {
        let raw = bytes.get(at..at + len)?;
        let raw = &raw[..raw.iter().position(|b| *b == 0).unwrap_or(raw.len())];
        let s = String::from_utf8_lossy(raw).trim().to_string();
        (!s.is_empty()).then_some(s)
    };
    let a = Announcement {
        protocol: "hanwha".into(),
        mac: field(0x13, 18)
            .and_then(|m| arp::parse_mac(&m))
            .map(arp::format_mac),
        ipv4: field(0x25, 16).filter(|t| t.parse::<std::net::Ipv4Addr>().is_ok()),
        model: field(0x6d, 10),
        http_port: field(0x85, 39).and_then(|u| url_port(&u)),
        ..Default::default()
    };
    if a.mac.is_none() && a.ipv4.is_none() {
        return Err(HanwhaError::NoIdentity);
    }
    Ok(a)
}

/// The port of an `http://host:port/...` URL, when it names one.
fn url_port(url: &str) -> Option<u16> {
    let rest = url.strip_prefix("http://")?;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    authority.rsplit_once(':')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UniversalScanner's published self-test answer (fixtures README: placeholder values).
    const SELFTEST: &[u8] =
        include_bytes!("../../../tests/fixtures/vendor/hanwha/universalscanner_selftest.bin");

    #[test]
    fn universalscanner_selftest_answer() {
        let a = parse(SELFTEST).unwrap();
        assert_eq!(a.protocol, "hanwha");
        assert_eq!(a.mac.as_deref(), Some("00:11:22:33:44:55"));
        assert_eq!(a.ipv4.as_deref(), Some("240.0.9.0"));
        assert_eq!(a.model.as_deref(), Some("Virtual"));
        assert_eq!(
            a.http_port, None,
            "http://127.0.0.1/index.htm names no port"
        );
    }

    #[test]
    fn request_is_not_an_answer() {
        let r = request();
        assert_eq!(r.len(), 262);
        assert_eq!(parse(&r), Err(HanwhaError::Kind(1)));
        assert_eq!(parse(&[]), Err(HanwhaError::Empty));
        assert_eq!(parse(&[0x0b; 4]), Err(HanwhaError::NoIdentity));
    }

    #[test]
    fn short_answers_and_ports() {
        let a = parse(&SELFTEST[..0x30]).unwrap();
        assert_eq!(a.mac.as_deref(), Some("00:11:22:33:44:55"));
        assert_eq!(a.ipv4, None, "the address field is cut");
        assert_eq!(url_port("http://198.18.0.5:8080/index.htm"), Some(8080));
        assert_eq!(url_port("http://198.18.0.5/"), None);
    }
}
