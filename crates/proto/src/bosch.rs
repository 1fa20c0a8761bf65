//! Bosch RCP autodetect: a request to UDP 1757, answered to UDP 1758 (`docs/design/protocols.md`,
//! "Vendor discovery ports").
//!
//! As UniversalScanner's `Bosch.cs` lays it out: the request is 12 bytes, the magic `99 39 a4 27`, a
//! transaction id and the request magic `ff 00 06 de` (big-endian words). A device answers in one of
//! two forms. The binary one is 32 bytes: the magic, the transaction id, the MAC (6 bytes, at 8), two
//! bytes, then the IPv4 address, mask and gateway (network order, at 0x10, 0x14, 0x18). The XML one
//! (newer firmware) is a `<root><device>` with `friendlyName` (the model), `serialNumber`,
//! `physAddress` (`00-11-22-33-44-55`), `unitIPAddress`, `HTTPPort`, `dhcp` and more; it is read on
//! the bounded XML walk by element name.

use crate::arp;
use crate::xml::{self, Node};
use model::Announcement;

/// Where requests go, and where devices send answers.
pub const PORT: u16 = 1757;
pub const REPLY_PORT: u16 = 1758;
const MAGIC: [u8; 4] = [0x99, 0x39, 0xa4, 0x27];
const REQUEST: [u8; 4] = [0xff, 0x00, 0x06, 0xde];
const BINARY: usize = 32;

/// The request with transaction id `transaction`.
pub fn request(transaction: u32) -> Vec<u8> {
    let mut r = MAGIC.to_vec();
    r.extend_from_slice(&transaction.to_be_bytes());
    r.extend_from_slice(&REQUEST);
    r
}

/// Why a datagram is not a device's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoschError {
    #[error("neither the 32-byte binary answer nor an XML one")]
    Form,
    #[error("no MAC and no address in the answer")]
    NoIdentity,
}

/// Parse a datagram into what the device announced.
pub fn parse(bytes: &[u8]) -> Result<Announcement, BoschError> {
    let mut a = Announcement {
        protocol: "bosch".into(),
        ..Default::default()
    };
    if bytes.len() == BINARY && bytes[..4] == MAGIC {
        a.mac = Some(arp::format_mac(bytes[8..14].try_into().unwrap()));
        let ip: [u8; 4] = bytes[0x10..0x14].try_into().unwrap();
        a.ipv4 = Some(std::net::Ipv4Addr::from(ip).to_string());
        return Ok(a);
    }
    let text = String::from_utf8_lossy(bytes);
    if !text.trim_start().starts_with('<') {
        return Err(BoschError::Form);
    }
    xml::walk(&text, |node| {
        let Node::End(path, value) = node else {
            return;
        };
        let Some(name) = path.last() else {
            return;
        };
        let value = value.trim();
        let some = (!value.is_empty()).then(|| value.to_string());
        match name.as_str() {
            "friendlyName" => a.model = some,
            "serialNumber" => a.serial = some,
            "physAddress" => a.mac = arp::parse_mac(value).map(arp::format_mac),
            "unitIPAddress" => {
                a.ipv4 = some.filter(|t| t.parse::<std::net::Ipv4Addr>().is_ok());
            }
            "HTTPPort" => a.http_port = value.parse().ok().filter(|p| *p != 0),
            "dhcp" => {
                a.dhcp = match value {
                    "1" => Some(true),
                    "0" => Some(false),
                    _ => None,
                }
            }
            _ => {}
        }
    });
    if a.mac.is_none() && a.ipv4.is_none() {
        return Err(BoschError::NoIdentity);
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UniversalScanner's published self-test answers (fixtures README: placeholder values).
    const BINARY_ANSWER: &[u8] =
        include_bytes!("../../../tests/fixtures/vendor/bosch/universalscanner_selftest.bin");
    const XML_ANSWER: &[u8] =
        include_bytes!("../../../tests/fixtures/vendor/bosch/universalscanner_selftest.xml");

    #[test]
    fn universalscanner_binary_answer() {
        let a = parse(BINARY_ANSWER).unwrap();
        assert_eq!(a.protocol, "bosch");
        assert_eq!(a.mac.as_deref(), Some("00:11:22:33:44:55"));
        assert_eq!(a.ipv4.as_deref(), Some("240.0.7.0"));
        assert_eq!(a.model, None);
    }

    #[test]
    fn universalscanner_xml_answer() {
        let a = parse(XML_ANSWER).unwrap();
        assert_eq!(a.model.as_deref(), Some("Virtual (XML)"));
        assert_eq!(a.serial.as_deref(), Some("12345678:12345678"));
        assert_eq!(a.mac.as_deref(), Some("00:11:22:33:44:55"));
        assert_eq!(a.ipv4.as_deref(), Some("240.0.7.1"));
        assert_eq!((a.http_port, a.dhcp), (Some(80), Some(false)));
    }

    #[test]
    fn request_and_junk_are_not_answers() {
        assert_eq!(request(7).len(), 12);
        assert_eq!(parse(&request(7)), Err(BoschError::Form));
        assert_eq!(parse(b"<root/>"), Err(BoschError::NoIdentity));
        assert_eq!(parse(&BINARY_ANSWER[..31]), Err(BoschError::Form));
        let deep = "<a>".repeat(10_000);
        assert_eq!(parse(deep.as_bytes()), Err(BoschError::NoIdentity));
    }
}
