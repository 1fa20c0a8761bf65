//! XMeye / Sofia "DVRIP" device search on UDP 34569: the protocol of a very large share of cheap
//! cameras, DVRs and NVRs built on Xiongmai boards (sold as XMeye, ICSee, Besder, and many more).
//!
//! Every DVRIP message is a 20-byte header and a JSON body. The header (the search OpenIPC/python-dvr's
//! `DeviceManager.py` sends, and a device's reply an older copy of it recorded in a comment,
//! xyyangkun/python-dvr `DeviceManager.py` `ConfigXM`):
//! `0xff`, a version byte (0 asking, 1 answering), two reserved bytes, the session id and the
//! sequence number (u32 LE each), two packet-count bytes, the message id (u16 LE) and the body
//! length (u32 LE). We send message 1530 (`IPSEARCH_REQ`) with an empty body to the broadcast
//! address; each device answers message 1531 (`IPSEARCH_RSP`) to port 34569 of the asker (clients
//! bind that port to hear it; go2rtc `pkg/dvrip`, python-dvr), with the body
//! `{"NetWork.NetCommon": {HostIP, HostName, MAC, SN, ChannelNum, TCPPort 34567, HttpPort, Version,
//! DeviceType, ...}, "Ret": 100, "SessionID": "0x00000000"}`. `HostIP` is the address as hex of its
//! bytes in little-endian order (`0x6701A8C0` = 192.168.1.103).
//!
//! Read leniently: the body ends where the header says, or at the end of the datagram when the
//! length is wrong; trailing NULs and newlines (firmware ends bodies with `\n\0`) are dropped.
//! A body is at most one datagram and serde_json caps nesting, so a hostile reply costs bounded work.

use serde_json::Value;

use crate::arp;
use model::Announcement;

/// The port devices listen on and answer to.
pub const PORT: u16 = 34569;
const HEADER: usize = 20;
/// `IPSEARCH_REQ` and `IPSEARCH_RSP` (OpenIPC/python-dvr `DeviceManager.py` `SearchXM` sends 1530
/// and reads 1531).
const SEARCH_REQUEST: u16 = 1530;
const SEARCH_REPLY: u16 = 1531;

/// The search datagram: a header with message 1530 and no body (the bytes go2rtc, python-dvr and the
/// ICSee/XMEye apps send: `ff 00 00 00 00.. fa 05 00 00 00 00`).
pub fn search() -> Vec<u8> {
    let mut d = vec![0u8; HEADER];
    d[0] = 0xff;
    d[14..16].copy_from_slice(&SEARCH_REQUEST.to_le_bytes());
    d
}

/// Why a datagram is not a device's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DvripError {
    #[error("shorter than the 20-byte DVRIP header")]
    Short,
    #[error("not a DVRIP header (first byte {0:#04x})")]
    Magic(u8),
    #[error("message {0}, not a search answer (1531)")]
    Message(u16),
    #[error("body is not JSON: {0}")]
    Json(String),
    #[error("no NetWork.NetCommon object in the answer")]
    NoNetCommon,
}

/// Parse a datagram into what the device announced.
pub fn parse(bytes: &[u8]) -> Result<Announcement, DvripError> {
    if bytes.len() < HEADER {
        return Err(DvripError::Short);
    }
    if bytes[0] != 0xff {
        return Err(DvripError::Magic(bytes[0]));
    }
    let message = u16::from_le_bytes([bytes[14], bytes[15]]);
    if message != SEARCH_REPLY {
        return Err(DvripError::Message(message));
    }
    let declared = u32::from_le_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]) as usize;
    let rest = &bytes[HEADER..];
    let body = match rest.get(..declared) {
        Some(b) if declared > 0 => b,
        _ => rest,
    };
    let end = body
        .iter()
        .rposition(|b| !matches!(b, 0 | b'\r' | b'\n' | b' ' | b'\t'))
        .map_or(0, |i| i + 1);
    let json: Value =
        serde_json::from_slice(&body[..end]).map_err(|e| DvripError::Json(e.to_string()))?;
    let common = json
        .get("NetWork.NetCommon")
        .filter(|v| v.is_object())
        .ok_or(DvripError::NoNetCommon)?;
    Ok(announcement(common))
}

/// What a `NetWork.NetCommon` object says.
fn announcement(c: &Value) -> Announcement {
    let text = |key: &str| {
        c.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let number = |key: &str| match c.get(key) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let port = |key: &str| {
        number(key)
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p != 0)
    };
    Announcement {
        protocol: "dvrip".into(),
        // A numeric board/product code (24 on the Besder XM530 of the fixture); kept as given.
        device_type: number("DeviceType").map(|n| n.to_string()),
        model: None,
        serial: text("SN"),
        mac: text("MAC")
            .and_then(|m| arp::parse_mac(&m))
            .map(arp::format_mac),
        firmware: text("Version"),
        ipv4: text("HostIP").and_then(|h| hex_ipv4(&h)),
        ipv4_mask: text("Submask").and_then(|h| hex_ipv4(&h)),
        ipv4_gateway: text("GateWay").and_then(|h| hex_ipv4(&h)),
        ipv6: None,
        http_port: port("HttpPort"),
        sdk_port: port("TCPPort"),
        channels: number("ChannelNum").and_then(|n| u32::try_from(n).ok()),
        activated: None,
        dhcp: None,
        name: text("HostName"),
    }
}

/// `0x6701A8C0` (the address's bytes in little-endian order) as `192.168.1.103`.
fn hex_ipv4(hex: &str) -> Option<String> {
    let digits = hex
        .strip_prefix("0x")
        .or_else(|| hex.strip_prefix("0X"))
        .unwrap_or(hex);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let v = u32::from_str_radix(digits, 16).ok()?;
    Some(std::net::Ipv4Addr::from(v.to_le_bytes()).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `IPSEARCH_RSP` body a Besder 6024PB-XMA501 (XM530 board) sent, as published byte for byte
    /// (tests/fixtures/vendor/README.md).
    const BESDER: &[u8] =
        include_bytes!("../../../tests/fixtures/vendor/dvrip/besder_xm530_ipsearch_rsp.json");

    /// The body framed as the device frames it: a reply header with message 1531 and its length.
    fn framed(body: &[u8]) -> Vec<u8> {
        let mut d = search();
        d[1] = 1;
        d[14..16].copy_from_slice(&SEARCH_REPLY.to_le_bytes());
        d[16..20].copy_from_slice(&(body.len() as u32).to_le_bytes());
        d.extend_from_slice(body);
        d
    }

    #[test]
    fn besder_xm530_search_answer() {
        let a = parse(&framed(BESDER)).unwrap();
        assert_eq!(a.protocol, "dvrip");
        assert_eq!(a.name.as_deref(), Some("camera_743c"));
        assert_eq!(a.serial.as_deref(), Some("09d53d540f99b818"));
        assert_eq!(a.mac.as_deref(), Some("dc:29:19:e2:74:3c"));
        assert_eq!(a.ipv4.as_deref(), Some("192.168.1.103"));
        // The captured reply's `Submask` 0x00FFFFFF and `GateWay` 0x0101A8C0, little-endian.
        assert_eq!(a.ipv4_mask.as_deref(), Some("255.255.255.0"));
        assert_eq!(a.ipv4_gateway.as_deref(), Some("192.168.1.1"));
        assert_eq!(
            a.firmware.as_deref(),
            Some("V5.00.R02.00030747.10010.349f17.0000000")
        );
        assert_eq!((a.http_port, a.sdk_port), (Some(80), Some(34567)));
        assert_eq!(a.channels, Some(1));
        assert_eq!(a.device_type.as_deref(), Some("24"));
        assert_eq!(a.model, None);
    }

    #[test]
    fn search_layout() {
        let s = search();
        assert_eq!(s.len(), 20);
        assert_eq!(s[0], 0xff);
        assert_eq!(&s[14..16], &[0xfa, 0x05]);
        assert!(s[1..14].iter().chain(&s[16..]).all(|b| *b == 0));
        // Our own query, heard back on the shared port, is not an answer.
        assert_eq!(parse(&s), Err(DvripError::Message(1530)));
    }

    #[test]
    fn lenient_framing() {
        // Wrong length, trailing "\n\0" as firmware sends it.
        let mut d = framed(BESDER);
        d[16..20].copy_from_slice(&9999u32.to_le_bytes());
        d.extend_from_slice(b"\n\0");
        assert_eq!(
            parse(&d).unwrap().serial.as_deref(),
            Some("09d53d540f99b818")
        );
        // Length shorter than the body: the declared part only, which is not JSON.
        let mut d = framed(BESDER);
        d[16..20].copy_from_slice(&10u32.to_le_bytes());
        assert!(matches!(parse(&d), Err(DvripError::Json(_))));
    }

    #[test]
    fn rejects_what_is_not_an_answer() {
        assert_eq!(parse(&[0xff; 19]), Err(DvripError::Short));
        let mut d = framed(BESDER);
        d[0] = 0xfe;
        assert_eq!(parse(&d), Err(DvripError::Magic(0xfe)));
        assert_eq!(
            parse(&framed(br#"{"Ret": 100}"#)),
            Err(DvripError::NoNetCommon)
        );
        let deep = "[".repeat(10_000);
        assert!(matches!(
            parse(&framed(deep.as_bytes())),
            Err(DvripError::Json(_))
        ));
    }

    #[test]
    fn odd_values_are_dropped() {
        let body = br#"{"NetWork.NetCommon": {"HostIP": "0x1234567890", "TCPPort": 70000,
            "ChannelNum": "4", "MAC": "nonsense", "SN": " ", "HttpPort": 0}}"#;
        let a = parse(&framed(body)).unwrap();
        assert_eq!((a.ipv4, a.sdk_port, a.http_port), (None, None, None));
        assert_eq!((a.mac, a.serial), (None, None));
        assert_eq!(a.channels, Some(4));
        assert_eq!(hex_ipv4("0x0A01A8C0").as_deref(), Some("192.168.1.10"));
    }
}
