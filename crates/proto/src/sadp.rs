//! Hikvision SADP (Search Active Devices Protocol), the XML flavour on UDP 37020
//! (`docs/design/protocols.md`, "Hikvision SADP").
//!
//! We send `<Probe><Uuid>…</Uuid><Types>inquiry</Types></Probe>` (newer firmware also answers
//! `inquiry_v32`); a device answers with a `<ProbeMatch>` that names its model (`DeviceDescription`),
//! serial (`DeviceSN`), MAC (with `-` separators), firmware, ports, channel counts and whether it was
//! ever activated. Devices answer to the sender or to the multicast group, and echo our `Uuid`, which
//! tells our answers from those to another SADP client on the LAN. Read leniently on the bounded XML
//! walk: element names by local name, missing fields stay `None`, numbers that do not parse are
//! dropped rather than failing the reply.

use crate::arp;
use crate::xml::{self, Node};
use model::Announcement;

/// The SADP port, and the multicast group devices listen on.
pub const PORT: u16 = 37020;
pub const GROUP: std::net::Ipv4Addr = std::net::Ipv4Addr::new(239, 255, 255, 250);

/// The probe datagrams: `inquiry`, then `inquiry_v32` for newer firmware.
pub fn probes(uuid: &str) -> [String; 2] {
    ["inquiry", "inquiry_v32"].map(|types| {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Probe><Uuid>{uuid}</Uuid><Types>{types}</Types></Probe>"
        )
    })
}

/// One device's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// The `Uuid` it echoes (ours when it answers us).
    pub uuid: Option<String>,
    pub info: Announcement,
}

/// Parse a datagram; `None` unless it is a `ProbeMatch`.
pub fn parse(bytes: &[u8]) -> Option<Reply> {
    let text = String::from_utf8_lossy(bytes);
    let mut is_match = false;
    let mut reply = Reply::default();
    let mut analog: Option<u32> = None;
    let mut digital: Option<u32> = None;
    xml::walk(&text, |node| {
        let Node::End(path, value) = node else {
            if let Node::Start(path) = node {
                is_match |= path.len() == 1 && path[0].eq_ignore_ascii_case("ProbeMatch");
            }
            return;
        };
        if path.len() != 2 || !path[0].eq_ignore_ascii_case("ProbeMatch") {
            return;
        }
        let value = value.trim();
        let text = (!value.is_empty()).then(|| value.to_string());
        let info = &mut reply.info;
        match path[1].as_str() {
            "Uuid" => reply.uuid = text,
            "DeviceType" => info.device_type = text,
            "DeviceDescription" => info.model = text,
            "DeviceSN" => info.serial = text,
            "MAC" => info.mac = arp::parse_mac(value).map(arp::format_mac),
            "IPv4Address" => info.ipv4 = text.filter(|t| t.parse::<std::net::Ipv4Addr>().is_ok()),
            "IPv4SubnetMask" => info.ipv4_mask = ipv4(text),
            "IPv4Gateway" => info.ipv4_gateway = ipv4(text),
            "IPv6Address" => {
                info.ipv6 = text.filter(|t| {
                    t.parse::<std::net::Ipv6Addr>()
                        .is_ok_and(|a| !a.is_unspecified())
                });
            }
            "SoftwareVersion" => info.firmware = text,
            "HttpPort" => info.http_port = port(value),
            "CommandPort" => info.sdk_port = port(value),
            "AnalogChannelNum" => analog = value.parse().ok(),
            "DigitalChannelNum" => digital = value.parse().ok(),
            "Activated" => info.activated = boolean(value),
            "DHCP" => info.dhcp = boolean(value),
            _ => {}
        }
    });
    if !is_match {
        return None;
    }
    reply.info.protocol = "sadp".into();
    reply.info.channels = match (analog, digital) {
        (None, None) => None,
        (a, d) => Some(a.unwrap_or(0).saturating_add(d.unwrap_or(0))),
    };
    Some(reply)
}

/// A dotted IPv4 address other than `0.0.0.0` (what devices send for "none").
pub(crate) fn ipv4(text: Option<String>) -> Option<String> {
    text.filter(|t| {
        t.parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| !a.is_unspecified())
    })
}

/// A port number, `None` for 0 or garbage.
pub(crate) fn port(text: &str) -> Option<u16> {
    text.trim().parse::<u16>().ok().filter(|p| *p != 0)
}

/// `true`/`false` in any case (SADP), also `1`/`0`.
pub(crate) fn boolean(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Field set and spelling of a ProbeMatch as hikvision-tooling's `Device` struct reads it.
    const REPLY: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<ProbeMatch>
<Uuid>6F1C3A52-0D7E-4F5B-9B1E-2C8D4A6E7F10</Uuid>
<Types>inquiry</Types>
<DeviceType>139331</DeviceType>
<DeviceDescription>DS-2CD2143G2-I</DeviceDescription>
<DeviceSN>DS-2CD2143G2-I20230101AAWRJ12345678</DeviceSN>
<CommandPort>8000</CommandPort>
<HttpPort>80</HttpPort>
<MAC>44-19-b6-00-00-11</MAC>
<IPv4Address>198.18.0.11</IPv4Address>
<IPv4SubnetMask>255.255.255.0</IPv4SubnetMask>
<IPv4Gateway>198.18.0.1</IPv4Gateway>
<DHCP>false</DHCP>
<AnalogChannelNum>0</AnalogChannelNum>
<DigitalChannelNum>1</DigitalChannelNum>
<SoftwareVersion>V5.7.3build 220112</SoftwareVersion>
<DSPVersion>V7.3 build 220112</DSPVersion>
<Activated>true</Activated>
</ProbeMatch>"#;

    #[test]
    fn probe_match() {
        let r = parse(REPLY.as_bytes()).unwrap();
        assert_eq!(
            r.uuid.as_deref(),
            Some("6F1C3A52-0D7E-4F5B-9B1E-2C8D4A6E7F10")
        );
        let i = r.info;
        assert_eq!(i.protocol, "sadp");
        assert_eq!(i.model.as_deref(), Some("DS-2CD2143G2-I"));
        assert_eq!(
            i.serial.as_deref(),
            Some("DS-2CD2143G2-I20230101AAWRJ12345678")
        );
        assert_eq!(i.mac.as_deref(), Some("44:19:b6:00:00:11"));
        assert_eq!(i.ipv4.as_deref(), Some("198.18.0.11"));
        assert_eq!(i.ipv4_mask.as_deref(), Some("255.255.255.0"));
        assert_eq!(i.ipv4_gateway.as_deref(), Some("198.18.0.1"));
        assert_eq!(i.ipv6, None, "no IPv6Address field");
        assert_eq!(i.firmware.as_deref(), Some("V5.7.3build 220112"));
        assert_eq!((i.http_port, i.sdk_port), (Some(80), Some(8000)));
        assert_eq!(i.channels, Some(1));
        assert_eq!((i.activated, i.dhcp), (Some(true), Some(false)));
    }

    #[test]
    fn nvr_channels_add_up_and_garbage_is_dropped() {
        let xml = "<ProbeMatch><AnalogChannelNum>4</AnalogChannelNum>\
                   <DigitalChannelNum>8</DigitalChannelNum><HttpPort>99999</HttpPort>\
                   <MAC>nonsense</MAC><IPv4Address>not an ip</IPv4Address>\
                   <IPv4Gateway>0.0.0.0</IPv4Gateway><IPv6Address>::</IPv6Address>\
                   <Activated>FALSE</Activated></ProbeMatch>";
        let i = parse(xml.as_bytes()).unwrap().info;
        assert_eq!(i.channels, Some(12));
        assert_eq!((i.http_port, i.mac, i.ipv4), (None, None, None));
        assert_eq!(
            (i.ipv4_gateway, i.ipv6),
            (None, None),
            "0.0.0.0 and :: say none"
        );
        assert_eq!(i.activated, Some(false));
    }

    #[test]
    fn only_probe_matches() {
        assert!(
            parse(probes("X")[0].as_bytes()).is_none(),
            "our own probe looped back"
        );
        assert!(parse(b"").is_none());
        assert!(parse(b"\xff\xfe<ProbeMatch").is_none());
        assert!(parse(b"<Other><ProbeMatch>1</ProbeMatch></Other>").is_none());
        // Truncated: what was read stays.
        let r = parse(b"<ProbeMatch><DeviceSN>ABC123</DeviceSN><MAC>44-19").unwrap();
        assert_eq!(r.info.serial.as_deref(), Some("ABC123"));
    }

    #[test]
    fn probes_name_both_types() {
        let [a, b] = probes("AB-CD");
        assert!(a.contains("<Uuid>AB-CD</Uuid><Types>inquiry</Types>"));
        assert!(b.contains("<Types>inquiry_v32</Types>"));
    }
}
