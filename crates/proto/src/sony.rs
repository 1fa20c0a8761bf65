//! Sony network camera search on UDP 2380 (`docs/design/protocols.md`, "Vendor discovery ports").
//!
//! As UniversalScanner's `Sony.cs` frames it: a datagram is 0x02, then text lines each ended by 0xff,
//! then 0x03. The request is the one line `ENQ:allinfo`; a camera answers `KEY:VALUE` lines: `MAC`
//! (`aa-bb-cc-dd-ee-ff`), `MODEL`, `SERIAL`, `IPADR`, `DHCP` (`ON`/`OFF`), `WEBPORT`, `SOFTVERSION`
//! and more, which are ignored.

use crate::arp;
use model::Announcement;

/// The port cameras listen on.
pub const PORT: u16 = 2380;
const START: u8 = 0x02;
const END: u8 = 0x03;
const EOL: u8 = 0xff;

/// The request: `ENQ:allinfo`.
pub fn request() -> Vec<u8> {
    let mut r = vec![START];
    r.extend_from_slice(b"ENQ:allinfo");
    r.extend_from_slice(&[EOL, END]);
    r
}

/// Why a datagram is not a camera's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SonyError {
    #[error("not framed by 0x02 .. 0x03")]
    Framing,
    #[error("no MODEL and no MAC line")]
    NoIdentity,
}

/// Parse a datagram into what the camera announced.
pub fn parse(bytes: &[u8]) -> Result<Announcement, SonyError> {
    let inner = match bytes {
        [START, inner @ .., END] => inner,
        _ => return Err(SonyError::Framing),
    };
    let mut a = Announcement {
        protocol: "sony".into(),
        ..Default::default()
    };
    for line in inner.split(|b| *b == EOL) {
        let line = String::from_utf8_lossy(line);
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let text = (!value.is_empty()).then(|| value.to_string());
        match key.trim().to_ascii_uppercase().as_str() {
            "MAC" => a.mac = arp::parse_mac(value).map(arp::format_mac),
            "MODEL" => a.model = text,
            "SERIAL" => a.serial = text,
            "IPADR" => a.ipv4 = text.filter(|t| t.parse::<std::net::Ipv4Addr>().is_ok()),
            "SOFTVERSION" => a.firmware = text,
            "WEBPORT" => a.http_port = value.parse().ok().filter(|p| *p != 0),
            "DHCP" => {
                a.dhcp = match value.to_ascii_uppercase().as_str() {
                    "ON" => Some(true),
                    "OFF" => Some(false),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    if a.model.is_none() && a.mac.is_none() {
        return Err(SonyError::NoIdentity);
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UniversalScanner's published self-test answer (fixtures README: placeholder values).
    const SELFTEST: &[u8] =
        include_bytes!("../../../tests/fixtures/vendor/sony/universalscanner_selftest.bin");

    #[test]
    fn universalscanner_selftest_answer() {
        let a = parse(SELFTEST).unwrap();
        assert_eq!(a.protocol, "sony");
        assert_eq!(a.mac.as_deref(), Some("aa:bb:cc:dd:ee:ff"));
        assert_eq!(a.model.as_deref(), Some("Virtual"));
        assert_eq!(a.serial.as_deref(), Some("123456789"));
        assert_eq!(a.ipv4.as_deref(), Some("240.0.11.0"));
        assert_eq!(a.firmware.as_deref(), Some("3.0.0"));
        assert_eq!((a.http_port, a.dhcp), (Some(80), Some(false)));
    }

    #[test]
    fn request_and_junk_are_not_answers() {
        assert_eq!(parse(&request()), Err(SonyError::NoIdentity));
        assert_eq!(parse(b"\x02MODEL:X\xff"), Err(SonyError::Framing));
        assert_eq!(parse(&[0x02]), Err(SonyError::Framing));
        assert_eq!(parse(&[0x02, 0x03]), Err(SonyError::NoIdentity));
    }
}
