//! Foscam device search on UDP 10000 (`docs/design/protocols.md`, "Vendor discovery ports").
//!
//! As UniversalScanner's `Foscam.cs` lays it out: every datagram starts with a 23-byte (0x17) header,
//! the magic `MO_I`, a u16 type (0 request, 1 answer), a cipher flag at 6, an 8-byte XOR key at 7 and a
//! size byte at 0x0f. The request adds a big-endian 1 (27 bytes); we send it as OpenIPC/python-dvr's
//! `DeviceManager.py` `SearchFros` does, with the size (4) at 0x0f and again at 0x13. An answer (at least 0x57 bytes) holds the serial (13 bytes at 0x17; Foscam
//! uses the MAC's 12 hex digits), the name (21 bytes at 0x24), the IPv4 address (network order, at
//! 0x39), a device type byte (0x49), firmware and web UI versions (4 bytes each, one per component, at
//! 0x4d and 0x51) and the web port (big-endian, at 0x55). When the cipher flag is set, everything after
//! the header is XORed with the key, repeating.

use crate::arp;
use model::Announcement;

/// The port devices listen on.
pub const PORT: u16 = 10000;
const MAGIC: &[u8; 4] = b"MO_I";
const HEADER: usize = 0x17;
const ANSWER: usize = 0x57;

/// The search request.
pub fn request() -> Vec<u8> {
    let mut r = vec![0u8; HEADER];
    r[..4].copy_from_slice(MAGIC);
    r[0x0f] = 4;
    r[0x13] = 4;
    r.extend_from_slice(&1u32.to_be_bytes());
    r
}

/// Why a datagram is not a device's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoscamError {
    #[error("no MO_I magic")]
    Magic,
    #[error("type {0}, not an answer (1)")]
    Kind(u16),
    #[error("{0} bytes, shorter than an answer (87)")]
    Short(usize),
}

/// Parse a datagram into what the device announced.
pub fn parse(bytes: &[u8]) -> Result<Announcement, FoscamError> {
    if bytes.get(..4) != Some(&MAGIC[..]) {
        return Err(FoscamError::Magic);
    }
    if bytes.len() < ANSWER {
        return Err(FoscamError::Short(bytes.len()));
    }
    let kind = u16::from_le_bytes([bytes[4], bytes[5]]);
    if kind != 1 {
        return Err(FoscamError::Kind(kind));
    }
    let mut d = bytes[..ANSWER].to_vec();
    if d[6] != 0 {
        let key: [u8; 8] = d[7..15].try_into().unwrap();
        for (i, b) in d[HEADER..].iter_mut().enumerate() {
            *b ^= key[i % 8];
        }
    }
    let text = |at: usize, len: usize| {
        let raw = &d[at..at + len];
        let raw = &raw[..raw.iter().position(|b| *b == 0).unwrap_or(len)];
        let s = String::from_utf8_lossy(raw).trim().to_string();
        (!s.is_empty()).then_some(s)
    };
    let serial = text(0x17, 13);
    let version = |at: usize| {
        let v = &d[at..at + 4];
        (v != [0, 0, 0, 0]).then(|| format!("{}.{}.{}.{}", v[0], v[1], v[2], v[3]))
    };
    let ip: [u8; 4] = d[0x39..0x3d].try_into().unwrap();
    Ok(Announcement {
        protocol: "foscam".into(),
        device_type: Some(d[0x49].to_string()),
        mac: serial.as_deref().and_then(mac_of_serial),
        serial,
        name: text(0x24, 21),
        ipv4: (ip != [0, 0, 0, 0]).then(|| std::net::Ipv4Addr::from(ip).to_string()),
        firmware: version(0x4d),
        http_port: Some(u16::from_be_bytes([d[0x55], d[0x56]])).filter(|p| *p != 0),
        ..Default::default()
    })
}

/// A serial of 12 hex digits is the MAC (python-dvr `SearchFros` reads it so).
fn mac_of_serial(serial: &str) -> Option<String> {
    if serial.len() != 12 || !serial.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let pairs: Vec<&str> = (0..6).map(|i| &serial[i * 2..i * 2 + 2]).collect();
    arp::parse_mac(&pairs.join(":")).map(arp::format_mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UniversalScanner's published self-test answers, plain and ciphered (fixtures README:
    /// placeholder values).
    const PLAIN: &[u8] =
        include_bytes!("../../../tests/fixtures/vendor/foscam/universalscanner_selftest.bin");
    const CIPHERED: &[u8] = include_bytes!(
        "../../../tests/fixtures/vendor/foscam/universalscanner_selftest_cipher.bin"
    );

    #[test]
    fn universalscanner_plain_answer() {
        let a = parse(PLAIN).unwrap();
        assert_eq!(a.protocol, "foscam");
        assert_eq!(a.serial.as_deref(), Some("0123456789"));
        assert_eq!(a.mac, None, "a 10-digit serial is no MAC");
        assert_eq!(a.name.as_deref(), Some("Virtual device"));
        assert_eq!(a.ipv4.as_deref(), Some("240.0.20.0"));
        assert_eq!(a.http_port, Some(80));
    }

    #[test]
    fn universalscanner_ciphered_answer() {
        let a = parse(CIPHERED).unwrap();
        assert_eq!(a.serial.as_deref(), Some("0123456789"));
        assert_eq!(a.name.as_deref(), Some("*Virtual device*"));
        assert_eq!(a.ipv4.as_deref(), Some("240.0.20.1"));
        assert_eq!(a.http_port, Some(80));
    }

    #[test]
    fn request_and_junk_are_not_answers() {
        assert_eq!(request().len(), 27);
        assert_eq!(parse(&request()), Err(FoscamError::Short(27)));
        assert_eq!(parse(b"MO_J"), Err(FoscamError::Magic));
        let mut other = PLAIN.to_vec();
        other[4] = 2;
        assert_eq!(parse(&other), Err(FoscamError::Kind(2)));
        assert_eq!(
            mac_of_serial("0001FFBC1113").as_deref(),
            Some("00:01:ff:bc:11:13")
        );
    }
}
