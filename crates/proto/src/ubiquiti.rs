//! Ubiquiti device discovery on UDP 10001 (UniFi Protect cameras, consoles, access points, bridges).
//!
//! A client sends the 4-byte v1 request `01 00 00 00` (version 1, command 0, no payload) and the v2
//! request `02 08 00 00` to the broadcast address and to the multicast group 233.89.188.1; each
//! device answers the asking socket with a header (version u8, command u8, payload length u16 BE)
//! and TLV fields (type u8, length u16 BE, value). Field types as uilibs/unifi-discovery reads them
//! (`unifi_discovery/__init__.py`): 0x01 hardware address (6 bytes), 0x02 MAC + IPv4 (10 bytes, may
//! repeat), 0x03 firmware, 0x04 IPv4, 0x05 MAC, 0x0a uptime, 0x0b host name, 0x0c platform (the short
//! model: `UVC G4 Pro`), 0x14 long model (`Unifi-Protect-UAP-Bridge`), 0x15 product name and 0x16
//! version (v2 answers).
//!
//! Unknown fields are skipped; a field running past the end stops the walk with what was read. Not
//! every answer is a camera: UniFi cameras' platforms and firmware start with `UVC` (UniFi Video
//! Camera), see [`is_camera`].

use crate::arp;
use crate::padded_text as text;
use model::Announcement;

/// The port devices listen on, and the multicast group (unifi-discovery `MULTICAST_IP`).
pub const PORT: u16 = 10001;
pub const GROUP: std::net::Ipv4Addr = std::net::Ipv4Addr::new(233, 89, 188, 1);
const HEADER: usize = 4;

/// The requests: v1 (what every Ubiquiti device answers) and v2 (consoles that answer only it;
/// unifi-discovery sends both).
pub fn requests() -> [Vec<u8>; 2] {
    [vec![1, 0, 0, 0], vec![2, 8, 0, 0]]
}

/// Why a datagram is not a device's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UbntError {
    #[error("shorter than the 4-byte header")]
    Short,
    #[error("version {0}, command {1}: not a discovery answer")]
    Kind(u8, u8),
    #[error("no address or MAC field")]
    Empty,
}

/// Parse a datagram into what the device announced.
pub fn parse(bytes: &[u8]) -> Result<Announcement, UbntError> {
    if bytes.len() < HEADER {
        return Err(UbntError::Short);
    }
    let (version, command) = (bytes[0], bytes[1]);
    // v1 answers are command 0; v2 answers 6, 9 and 11 (8 is the v2 request).
    if !matches!((version, command), (1, 0) | (2, 6) | (2, 9) | (2, 11)) {
        return Err(UbntError::Kind(version, command));
    }
    let declared = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    let payload = &bytes[HEADER..];
    let payload = &payload[..declared.min(payload.len())];
    let mut a = Announcement {
        protocol: "ubiquiti".into(),
        ..Default::default()
    };
    let (mut platform, mut long_model, mut product, mut version_v2) = (None, None, None, None);
    let mut at = 0;
    while let Some(head) = payload.get(at..at + 3) {
        let len = usize::from(u16::from_be_bytes([head[1], head[2]]));
        let Some(value) = payload.get(at + 3..at + 3 + len) else {
            break;
        };
        at += 3 + len;
        let mac = || (value.len() >= 6).then(|| arp::format_mac(value[..6].try_into().unwrap()));
        let ipv4 = |v: &[u8]| {
            <[u8; 4]>::try_from(v)
                .ok()
                .map(|b| std::net::Ipv4Addr::from(b).to_string())
        };
        match head[0] {
            0x01 | 0x05 if a.mac.is_none() => a.mac = mac(),
            0x02 if value.len() == 10 => {
                a.mac = a.mac.take().or_else(mac);
                a.ipv4 = a.ipv4.take().or_else(|| ipv4(&value[6..]));
            }
            0x04 => a.ipv4 = a.ipv4.take().or_else(|| ipv4(value)),
            0x03 => a.firmware = text(value),
            0x0b => a.name = text(value),
            0x0c => platform = text(value),
            0x14 => long_model = text(value),
            0x15 => product = text(value),
            0x16 => version_v2 = text(value),
            _ => {}
        }
    }
    if a.mac.is_none() && a.ipv4.is_none() {
        return Err(UbntError::Empty);
    }
    a.model = platform.or_else(|| product.clone()).or(long_model.clone());
    a.device_type = long_model.or(product);
    a.firmware = a.firmware.or(version_v2);
    Ok(a)
}

/// A UniFi camera: platform (or firmware) starting with `UVC`, the UniFi Video Camera line (`UVC G4
/// Pro`, firmware `UVC.S5L.v4.46...` in the fixture); bridges, consoles and access points are not.
pub fn is_camera(a: &Announcement) -> bool {
    [&a.model, &a.firmware]
        .into_iter()
        .flatten()
        .any(|s| s.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("UVC")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UniFi G4 Pro camera's v1 answer (uilibs/unifi-discovery tests; fixtures README).
    const UVC_G4_PRO: &[u8] =
        include_bytes!("../../../tests/fixtures/vendor/ubiquiti/uvc_g4_pro.bin");
    /// A UniFi Protect UAP bridge's v1 answer (same source).
    const UFP_UAP_B: &[u8] =
        include_bytes!("../../../tests/fixtures/vendor/ubiquiti/ufp_uap_b.bin");

    #[test]
    fn unifi_g4_pro_camera() {
        let a = parse(UVC_G4_PRO).unwrap();
        assert_eq!(a.protocol, "ubiquiti");
        assert_eq!(a.mac.as_deref(), Some("e0:63:da:00:5e:08"));
        assert_eq!(a.ipv4.as_deref(), Some("192.168.212.1"));
        assert_eq!(a.name.as_deref(), Some("Gate"));
        assert_eq!(a.model.as_deref(), Some("UVC G4 Pro"));
        assert_eq!(
            a.firmware.as_deref(),
            Some("UVC.S5L.v4.46.18.67.ceacbaa.211202.1017")
        );
        assert!(is_camera(&a));
    }

    #[test]
    fn unifi_protect_bridge_is_not_a_camera() {
        let a = parse(UFP_UAP_B).unwrap();
        assert_eq!(a.mac.as_deref(), Some("24:5a:4c:75:ba:e6"));
        assert_eq!(a.ipv4.as_deref(), Some("192.168.213.47"));
        assert_eq!(a.name.as_deref(), Some("AlexanderTechRoom"));
        assert_eq!(a.model.as_deref(), Some("UFP-UAP-B"));
        assert_eq!(a.device_type.as_deref(), Some("Unifi-Protect-UAP-Bridge"));
        assert!(!is_camera(&a));
    }

    #[test]
    fn rejects_requests_and_junk() {
        for r in requests() {
            assert!(parse(&r).is_err(), "{r:?}");
        }
        assert_eq!(parse(&[1, 0]), Err(UbntError::Short));
        assert_eq!(parse(&[9, 9, 0, 0]), Err(UbntError::Kind(9, 9)));
        // A field longer than the datagram: the walk stops, nothing was read.
        assert_eq!(parse(&[1, 0, 0, 9, 1, 0, 200]), Err(UbntError::Empty));
    }

    #[test]
    fn truncated_answer_keeps_what_was_read() {
        let cut = &UVC_G4_PRO[..40];
        let a = parse(cut).unwrap();
        assert_eq!(a.mac.as_deref(), Some("e0:63:da:00:5e:08"));
        assert_eq!(a.name.as_deref(), Some("Gate"));
        assert_eq!(a.firmware, None);
    }
}
