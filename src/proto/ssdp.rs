//! SSDP (UPnP 1.1 discovery): the M-SEARCH we send, the replies, and the device description XML.
//! Facts from `shared/PROTOCOLS.md` §4.3 (nmap `upnp.lua`, Axis USNs, UniversalScanner).

use super::response::{HeadProtocol, parse_head};
use super::xml::{Node, walk};
use crate::model::UpnpInfo as Description;

/// An M-SEARCH for `st` with `mx` seconds of reply spread.
pub fn msearch(st: &str, mx: u8) -> String {
    format!(
        "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: {mx}\r\nST: {st}\r\nUSER-AGENT: {}\r\n\r\n",
        super::USER_AGENT
    )
}

/// One M-SEARCH reply (or NOTIFY).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsdpReply {
    pub location: Option<String>,
    pub server: Option<String>,
    pub usn: Option<String>,
    pub st: Option<String>,
}

/// Read a reply datagram: an `HTTP/1.1 200` with the SSDP headers. `None` for anything else.
pub fn parse_reply(datagram: &[u8]) -> Option<SsdpReply> {
    let (head, _) = parse_head(datagram).ok().flatten()?;
    if head.protocol != HeadProtocol::Http || head.status != 200 {
        return None;
    }
    let get = |n: &str| {
        head.header(n)
            .map(|v| v.chars().take(512).collect::<String>())
    };
    Some(SsdpReply {
        location: get("location"),
        server: get("server"),
        usn: get("usn"),
        st: get("st").or_else(|| get("nt")),
    })
}

/// Read the root device (`root/device`, not its embedded devices) of a description document.
pub fn parse_description(xml: &str) -> Option<Description> {
    let mut d = Description::default();
    walk(xml, |n| {
        let Node::End(path, text) = n else { return };
        // root/device/<field>: exactly three levels.
        if path.len() != 3 || !path[1].eq_ignore_ascii_case("device") || text.is_empty() {
            return;
        }
        let v = Some(text.chars().take(256).collect::<String>());
        match path[2].as_str() {
            "deviceType" => d.device_type = v,
            "friendlyName" => d.friendly_name = v,
            "manufacturer" => d.manufacturer = v,
            "modelName" => d.model_name = v,
            "modelNumber" => d.model_number = v,
            "modelDescription" => d.model_description = v,
            "serialNumber" => d.serial_number = v,
            "UDN" => d.udn = v,
            "presentationURL" => d.presentation_url = v,
            _ => {}
        }
    });
    (d != Description::default()).then_some(d)
}

/// A camera by its own account: a camera device type, or a camera maker (`camera_maker` gets the
/// lower-cased manufacturer; the scan asks the knowledge set's `upnp_manufacturers`,
/// `data/vendors.yaml`: the vendors of PROTOCOLS §4.4-4.12).
pub fn is_camera(d: &Description, camera_maker: impl Fn(&str) -> bool) -> bool {
    let lower = |o: &Option<String>| o.as_deref().unwrap_or_default().to_ascii_lowercase();
    let dt = lower(&d.device_type);
    let maker = lower(&d.manufacturer);
    dt.contains("camera") || dt.contains("networkvideo") || camera_maker(&maker)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maker(m: &str) -> bool {
        crate::knowledge::get().is_camera_maker(m)
    }

    #[test]
    fn msearch_is_valid() {
        let m = msearch("ssdp:all", 1);
        assert!(m.starts_with("M-SEARCH * HTTP/1.1\r\n") && m.ends_with("\r\n\r\n"));
        assert!(m.contains("ST: ssdp:all\r\n") && m.contains("MX: 1\r\n"));
    }

    #[test]
    fn axis_reply_and_description() {
        // Axis USN embeds the MAC (FantasticFiasco/axis-discovery-ssdp-js; PROTOCOLS §4.3).
        let r = parse_reply(b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nLOCATION: http://198.18.0.11:49152/rootdesc1.xml\r\nSERVER: Linux/2.6.35, UPnP/1.0, Portable SDK for UPnP devices/1.6.18\r\nST: upnp:rootdevice\r\nUSN: uuid:Upnp-BasicDevice-1_0-ACCC8E270AD8::upnp:rootdevice\r\n\r\n").unwrap();
        assert_eq!(
            r.location.as_deref(),
            Some("http://198.18.0.11:49152/rootdesc1.xml")
        );
        assert!(r.usn.unwrap().contains("ACCC8E270AD8"));
        let d = parse_description(r#"<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major></specVersion><device><deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType><friendlyName>AXIS P3301 - 00408CA45086</friendlyName><manufacturer>AXIS</manufacturer><modelName>AXIS P3301</modelName><serialNumber>00408CA45086</serialNumber><UDN>uuid:Upnp-BasicDevice-1_0-00408CA45086</UDN><deviceList><device><friendlyName>embedded</friendlyName></device></deviceList></device></root>"#).unwrap();
        assert_eq!(
            d.friendly_name.as_deref(),
            Some("AXIS P3301 - 00408CA45086"),
            "root device, not embedded"
        );
        assert_eq!(d.serial_number.as_deref(), Some("00408CA45086"));
        assert!(is_camera(&d, maker));
        let router = Description {
            manufacturer: Some("Netgear".into()),
            device_type: Some("urn:schemas-upnp-org:device:InternetGatewayDevice:1".into()),
            ..Default::default()
        };
        assert!(!is_camera(&router, maker));
    }

    /// Replies captured from GUPnP/GSSDP 1.6 in the namespace lab (tests/lab/responders). The port,
    /// Date and Server header change per capture, so only stable facts are asserted.
    #[test]
    fn gupnp_fixtures() {
        let f = |n: &str| crate::test_fixture(&format!("../lab/responders/fixtures/{n}"));
        let r = parse_reply(&f("ssdp_msearch_reply_rootdevice.txt")).unwrap();
        assert!(
            r.location
                .as_deref()
                .unwrap()
                .starts_with("http://198.18.0.11:")
        );
        assert_eq!(r.st.as_deref(), Some("upnp:rootdevice"));
        assert!(r.server.as_deref().unwrap().contains("GUPnP"));
        let all = f("ssdp_msearch_reply_all.txt");
        let text = String::from_utf8_lossy(&all);
        let parts: Vec<&[u8]> = text
            .split("-----\n")
            .map(str::as_bytes)
            .filter(|p| p.len() > 20)
            .collect();
        assert!(parts.len() >= 3 && parts.iter().all(|p| parse_reply(p).is_some()));
        let d =
            parse_description(&String::from_utf8_lossy(&f("upnp_description_axis.xml"))).unwrap();
        assert_eq!(
            (d.manufacturer.as_deref(), d.model_name.as_deref()),
            (Some("AXIS"), Some("AXIS P3301"))
        );
        assert!(is_camera(&d, maker));
    }

    #[test]
    fn junk() {
        assert_eq!(parse_reply(b"NOTIFY * HTTP/1.1\r\n\r\n"), None);
        assert_eq!(parse_reply(b""), None);
        assert_eq!(parse_reply(b"HTTP/1.1 404 Not Found\r\n\r\n"), None);
        assert_eq!(parse_description("<root><device></device></root>"), None);
        assert_eq!(parse_description("garbage"), None);
    }
}
