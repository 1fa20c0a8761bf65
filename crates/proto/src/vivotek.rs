//! Vivotek device search on UDP 10000 (`docs/design/protocols.md`, "Vendor discovery ports").
//!
//! As UniversalScanner's `Vivotek.cs` reads it: a datagram starts with a session byte and the magic
//! `4a 5d 8f 1c`; the request is just those 5 bytes. An answer continues with fields of one type byte,
//! one length byte and the value: 0x01 the device's long name, 0x02 the MAC (6 bytes), 0x03 the IPv4
//! address (4 bytes), 0x09 the model (short name). Type 0x04 is special: its "length" byte is its
//! value and no bytes follow. Type 0x00 ends the list; a field running past the end stops the walk.

use crate::arp;
use crate::padded_text as text;
use model::Announcement;

/// The port devices listen on.
pub const PORT: u16 = 10000;
const MAGIC: [u8; 4] = [0x4a, 0x5d, 0x8f, 0x1c];
const HEADER: usize = 5;

/// The request with session byte `session`.
pub fn request(session: u8) -> Vec<u8> {
    let mut r = vec![session];
    r.extend_from_slice(&MAGIC);
    r
}

/// Why a datagram is not a device's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VivotekError {
    #[error("no Vivotek magic")]
    Magic,
    #[error("no MAC and no address in the answer")]
    NoIdentity,
}

/// Parse a datagram into what the device announced.
pub fn parse(bytes: &[u8]) -> Result<Announcement, VivotekError> {
    if bytes.get(1..HEADER) != Some(&MAGIC[..]) {
        return Err(VivotekError::Magic);
    }
    let mut a = Announcement {
        protocol: "vivotek".into(),
        ..Default::default()
    };
    let mut at = HEADER;
    while let Some(&[kind, len]) = bytes.get(at..at + 2) {
        at += 2;
        if kind == 0x00 {
            break;
        }
        if kind == 0x04 {
            continue; // the length byte is the value
        }
        let Some(value) = bytes.get(at..at + usize::from(len)) else {
            break;
        };
        at += usize::from(len);
        match kind {
            0x01 => a.name = text(value),
            0x02 => {
                a.mac = <[u8; 6]>::try_from(value).ok().map(arp::format_mac);
            }
            0x03 => {
                a.ipv4 = <[u8; 4]>::try_from(value)
                    .ok()
                    .map(|b| std::net::Ipv4Addr::from(b).to_string());
            }
            0x09 => a.model = text(value),
            _ => {}
        }
    }
    if a.mac.is_none() && a.ipv4.is_none() {
        return Err(VivotekError::NoIdentity);
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UniversalScanner's published self-test answer (fixtures README: placeholder values).
    const SELFTEST: &[u8] =
        include_bytes!("../../../tests/fixtures/vendor/vivotek/universalscanner_selftest.bin");

    #[test]
    fn universalscanner_selftest_answer() {
        let a = parse(SELFTEST).unwrap();
        assert_eq!(a.protocol, "vivotek");
        assert_eq!(a.name.as_deref(), Some("Virtual-Virtual-1"));
        assert_eq!(a.mac.as_deref(), Some("00:11:22:33:44:55"));
        assert_eq!(a.ipv4.as_deref(), Some("240.0.10.0"));
        assert_eq!(a.model.as_deref(), Some("Virtual"));
    }

    #[test]
    fn request_and_junk_are_not_answers() {
        assert_eq!(parse(&request(7)), Err(VivotekError::NoIdentity));
        assert_eq!(parse(b"MO_I\x01\x00"), Err(VivotekError::Magic));
        assert_eq!(parse(&[]), Err(VivotekError::Magic));
        // A field longer than the datagram stops the walk.
        let mut cut = request(1);
        cut.extend_from_slice(&[0x02, 0x06, 0x00, 0x11]);
        assert_eq!(parse(&cut), Err(VivotekError::NoIdentity));
    }
}
