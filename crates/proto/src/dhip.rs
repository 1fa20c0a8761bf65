//! Dahua's "DHIP" discovery on UDP 37810 (ConfigTool's protocol; `docs/design/protocols.md`, "Dahua
//! DHIP").
//!
//! A datagram is a 32-byte header (u32 LE header size 0x20, the bytes `DHIP`, two reserved words,
//! u32 LE body length, a reserved word, the body length again, a reserved word) and a JSON body. We
//! send `{"method":"DHDiscover.search","params":{"mac":"","uni":1}}`; a device answers
//! `client.notifyDevInfo` with `params.deviceInfo`: DeviceClass, DeviceType (the model), SerialNo,
//! Vendor, Version, HttpPort, Port (the 37777 SDK port), `IPv4Address.IPAddress`, and video input
//! counts. The header's two lengths must agree with each other; some firmware gets them wrong, so a
//! body that parses as JSON is accepted whatever they say. The body is at most one datagram and
//! serde_json caps nesting, so a hostile reply costs bounded work.

use serde_json::Value;

use crate::arp;
use model::Announcement;

/// The DHIP port and the multicast group devices listen on.
pub const PORT: u16 = 37810;
pub const GROUP: std::net::Ipv4Addr = std::net::Ipv4Addr::new(239, 255, 255, 251);
const HEADER: usize = 32;
const MAGIC: &[u8; 4] = b"DHIP";

/// The search datagram.
pub fn search() -> Vec<u8> {
    let body = br#"{"method":"DHDiscover.search","params":{"mac":"","uni":1}}"#;
    let len = (body.len() as u32).to_le_bytes();
    let mut out = Vec::with_capacity(HEADER + body.len() + 1);
    out.extend_from_slice(&(HEADER as u32).to_le_bytes());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&len);
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&len);
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(body);
    out
}

/// Why a datagram is not a device's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DhipError {
    #[error("shorter than the 32-byte DHIP header")]
    Short,
    #[error("no DHIP magic")]
    Magic,
    #[error("body is not JSON: {0}")]
    Json(String),
    #[error("not a device announcement (method {0:?})")]
    Method(String),
}

/// One device's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub info: Announcement,
    /// `Vendor`: Dahua, or the brand an OEM device is sold under.
    pub vendor: Option<String>,
}

/// Parse a datagram into what the device announced.
pub fn parse(bytes: &[u8]) -> Result<Reply, DhipError> {
    if bytes.len() < HEADER {
        return Err(DhipError::Short);
    }
    if &bytes[4..8] != MAGIC {
        return Err(DhipError::Magic);
    }
    let body = &bytes[HEADER..];
    // Firmware pads with NULs or ends with CRLF.
    let end = body
        .iter()
        .rposition(|b| !matches!(b, 0 | b'\r' | b'\n' | b' '))
        .map_or(0, |i| i + 1);
    let json: Value =
        serde_json::from_slice(&body[..end]).map_err(|e| DhipError::Json(e.to_string()))?;
    let method = json.get("method").and_then(Value::as_str).unwrap_or("");
    if method != "client.notifyDevInfo" {
        return Err(DhipError::Method(method.chars().take(64).collect()));
    }
    let info = json.pointer("/params/deviceInfo").unwrap_or(&Value::Null);
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let number = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let port = |key: &str| {
        number(info.get(key))
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p != 0)
    };
    let channels = |key: &str| number(info.get(key)).and_then(|n| u32::try_from(n).ok());
    let mac = text(json.get("mac"))
        .or_else(|| text(info.get("mac")))
        .and_then(|m| arp::parse_mac(&m))
        .map(arp::format_mac);
    let info_out = Announcement {
        protocol: "dhip".into(),
        device_type: text(info.get("DeviceClass")),
        model: text(info.get("DeviceType")),
        serial: text(info.get("SerialNo")),
        mac,
        firmware: text(info.get("Version")),
        ipv4: text(info.pointer("/IPv4Address/IPAddress"))
            .filter(|t| t.parse::<std::net::Ipv4Addr>().is_ok()),
        ipv4_mask: crate::sadp::ipv4(text(info.pointer("/IPv4Address/SubnetMask"))),
        ipv4_gateway: crate::sadp::ipv4(text(info.pointer("/IPv4Address/DefaultGateway"))),
        ipv6: None,
        http_port: port("HttpPort"),
        sdk_port: port("Port"),
        channels: match (
            channels("VideoInputChannels"),
            channels("RemoteVideoInputChannels"),
        ) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        },
        activated: None,
        dhcp: info
            .pointer("/IPv4Address/DhcpEnable")
            .and_then(Value::as_bool),
        // The name the installer gave the device (Dahua's `MachineName`; defaults to the serial).
        name: text(info.get("MachineName")),
    };
    Ok(Reply {
        info: info_out,
        vendor: text(info.get("Vendor")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datagram(body: &str) -> Vec<u8> {
        let mut d = search();
        d.truncate(HEADER);
        let len = (body.len() as u32).to_le_bytes();
        d[16..20].copy_from_slice(&len);
        d[24..28].copy_from_slice(&len);
        d.extend_from_slice(body.as_bytes());
        d
    }

    /// Field names as UniversalScanner's `Dahua2` reads them.
    const ANSWER: &str = r#"{"mac":"3c:ef:8c:00:00:12","method":"client.notifyDevInfo","params":{"deviceInfo":{
        "DeviceClass":"IPC","DeviceType":"IPC-HDW2431T-AS-S2","SerialNo":"7J0ABCD1234567",
        "Vendor":"Dahua","Version":"2.800.0000000.3.R","MachineName":"cam-12","HttpPort":80,
        "Port":37777,"IPv4Address":{"IPAddress":"198.18.0.12","SubnetMask":"255.255.255.0",
        "DefaultGateway":"198.18.0.1","DhcpEnable":false},"VideoInputChannels":1,
        "RemoteVideoInputChannels":0,"AlarmInputChannels":1}}}"#;

    #[test]
    fn search_layout() {
        let s = search();
        assert_eq!(&s[..4], &[0x20, 0, 0, 0]);
        assert_eq!(&s[4..8], b"DHIP");
        let len = u32::from_le_bytes(s[16..20].try_into().unwrap()) as usize;
        assert_eq!(len, s.len() - HEADER);
        assert_eq!(s[16..20], s[24..28]);
        let body: Value = serde_json::from_slice(&s[HEADER..]).unwrap();
        assert_eq!(body["method"], "DHDiscover.search");
    }

    #[test]
    fn device_answer() {
        let mut d = datagram(ANSWER);
        d.extend_from_slice(b"\r\n\0");
        let r = parse(&d).unwrap();
        assert_eq!(r.vendor.as_deref(), Some("Dahua"));
        let a = r.info;
        assert_eq!(a.protocol, "dhip");
        assert_eq!(a.device_type.as_deref(), Some("IPC"));
        assert_eq!(a.model.as_deref(), Some("IPC-HDW2431T-AS-S2"));
        assert_eq!(a.serial.as_deref(), Some("7J0ABCD1234567"));
        assert_eq!(a.mac.as_deref(), Some("3c:ef:8c:00:00:12"));
        assert_eq!(a.firmware.as_deref(), Some("2.800.0000000.3.R"));
        assert_eq!(a.ipv4.as_deref(), Some("198.18.0.12"));
        assert_eq!((a.http_port, a.sdk_port), (Some(80), Some(37777)));
        assert_eq!(a.channels, Some(1));
        assert_eq!(a.dhcp, Some(false));
    }

    #[test]
    fn rejects_what_is_not_an_answer() {
        assert_eq!(
            parse(&search()).unwrap_err(),
            DhipError::Method("DHDiscover.search".into())
        );
        assert_eq!(parse(b"DHIP").unwrap_err(), DhipError::Short);
        let mut bad = datagram(ANSWER);
        bad[4] = b'X';
        assert_eq!(parse(&bad).unwrap_err(), DhipError::Magic);
        assert!(matches!(
            parse(&datagram("{\"method\":")),
            Err(DhipError::Json(_))
        ));
        let deep = "[".repeat(10_000);
        assert!(matches!(parse(&datagram(&deep)), Err(DhipError::Json(_))));
    }

    #[test]
    fn odd_types_are_read_or_dropped() {
        let body = r#"{"method":"client.notifyDevInfo","params":{"deviceInfo":{
            "HttpPort":"8080","Port":70000,"VideoInputChannels":"4","SerialNo":"  ",
            "IPv4Address":"198.18.0.12"}}}"#;
        let a = parse(&datagram(body)).unwrap().info;
        assert_eq!((a.http_port, a.sdk_port), (Some(8080), None));
        assert_eq!(a.channels, Some(4));
        assert_eq!((a.serial, a.ipv4, a.mac), (None, None, None));
    }
}
