//! SSDP (UPnP 1.1 discovery): the M-SEARCH we send, the replies, the `NOTIFY` announcements devices
//! multicast on their own, and the device description XML.
//! Facts from `docs/design/protocols.md`, "SSDP and UPnP" (nmap `upnp.lua`, Axis USNs,
//! UniversalScanner); `NOTIFY` from the UPnP Device Architecture 1.1 §1.2 (advertisement) and
//! §1.2.3 (`ssdp:byebye`).

use super::response::{
    HeadProtocol, MAX_HEAD_BYTES, find_head_end, parse_head, parse_header_lines,
};
use super::xml::{Node, walk};
use model::UpnpInfo as Description;

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

/// Most characters kept of a `NOTIFY` header value (as of an M-SEARCH reply's).
const MAX_VALUE: usize = 512;

/// What a `NOTIFY` says (its `NTS` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nts {
    /// `ssdp:alive`: the device (one of its services) is on the network; sent at start and every
    /// `max-age / 2` or so after (UDA 1.1 §1.2.2).
    Alive,
    /// `ssdp:byebye`: it is leaving (UDA 1.1 §1.2.3). GSSDP also sends one round at start, before its
    /// first `ssdp:alive`, to clear stale caches.
    ByeBye,
    /// `ssdp:update` (UDA 1.1 §1.2.4): a new BOOTID; the device stays.
    Update,
}

/// One `NOTIFY * HTTP/1.1` advertisement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    pub nts: Nts,
    /// Notification type: `upnp:rootdevice`, `uuid:...`, a device or service type URN.
    pub nt: Option<String>,
    /// Unique service name: `uuid:...` or `uuid:...::<NT>`.
    pub usn: Option<String>,
    /// The device description URL (alive and update only).
    pub location: Option<String>,
    /// `CACHE-CONTROL: max-age=N`, in seconds (alive only).
    pub max_age: Option<u32>,
    pub server: Option<String>,
}

/// Read a `NOTIFY * HTTP/1.x` datagram whose `NTS` is `ssdp:alive`, `ssdp:byebye` or `ssdp:update`.
/// `None` for anything else: an M-SEARCH (ours or another control point's), a reply, an unknown NTS, a
/// head longer than [`MAX_HEAD_BYTES`], junk.
pub fn parse_notify(datagram: &[u8]) -> Option<Notify> {
    // A datagram may end right after the headers, without the blank line (seen from small stacks).
    let end = find_head_end(datagram).unwrap_or(datagram.len());
    if end > MAX_HEAD_BYTES {
        return None;
    }
    let text = String::from_utf8_lossy(&datagram[..end]);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut start = lines.next()?.split_ascii_whitespace();
    let (method, target, version) = (start.next()?, start.next()?, start.next()?);
    if method != "NOTIFY"
        || target != "*"
        || !version.starts_with("HTTP/1.")
        || start.next().is_some()
    {
        return None;
    }
    let headers = parse_header_lines(lines);
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.chars().take(MAX_VALUE).collect::<String>())
            .filter(|v| !v.is_empty())
    };
    let nts = match get("nts")?.to_ascii_lowercase().as_str() {
        "ssdp:alive" => Nts::Alive,
        "ssdp:byebye" => Nts::ByeBye,
        "ssdp:update" => Nts::Update,
        _ => return None,
    };
    Some(Notify {
        nts,
        nt: get("nt"),
        usn: get("usn"),
        location: get("location"),
        max_age: get("cache-control").as_deref().and_then(max_age),
        server: get("server"),
    })
}

/// `max-age=1800` out of a `CACHE-CONTROL` value (`max-age = 1800`, `MAX-AGE="1800", no-cache`).
fn max_age(cache_control: &str) -> Option<u32> {
    cache_control.split(',').find_map(|directive| {
        let (name, value) = directive.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("max-age") {
            return None;
        }
        value.trim().trim_matches('"').parse().ok()
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
/// `data/vendors.yaml`, each maker with its sources).
pub fn is_camera(d: &Description, camera_maker: impl Fn(&str) -> bool) -> bool {
    let lower = |o: &Option<String>| o.as_deref().unwrap_or_default().to_ascii_lowercase();
    let dt = lower(&d.device_type);
    let maker = lower(&d.manufacturer);
    dt.contains("camera") || dt.contains("networkvideo") || camera_maker(&maker)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vendor registry's answer (`knowledge`, in the main crate) for the makers these tests
    /// name: AXIS makes cameras, Netgear does not.
    fn maker(m: &str) -> bool {
        assert_eq!(
            m,
            m.to_lowercase(),
            "is_camera hands the maker over lower-cased"
        );
        m == "axis"
    }

    #[test]
    fn msearch_is_valid() {
        let m = msearch("ssdp:all", 1);
        assert!(m.starts_with("M-SEARCH * HTTP/1.1\r\n") && m.ends_with("\r\n\r\n"));
        assert!(m.contains("ST: ssdp:all\r\n") && m.contains("MX: 1\r\n"));
    }

    #[test]
    fn axis_reply_and_description() {
        // Axis USN embeds the MAC (FantasticFiasco/axis-discovery-ssdp-js;
        // docs/design/protocols.md, "SSDP and UPnP").
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

    /// NOTIFYs GUPnP/GSSDP 1.6 multicast in the namespace lab (tests/lab/responders/ssdp_device.py at
    /// 198.18.17.13, tests/lab/listen_lab.sh), captured byte for byte: an alive of the root device at
    /// start and its byebye when the device is made unavailable.
    #[test]
    fn gssdp_notify_alive_and_byebye() {
        let f = |n: &str| crate::test_fixture(&format!("../lab/responders/fixtures/{n}"));
        let alive = parse_notify(&f("ssdp_notify_alive_rootdevice.txt")).unwrap();
        assert_eq!(alive.nts, Nts::Alive);
        assert_eq!(alive.nt.as_deref(), Some("upnp:rootdevice"));
        assert_eq!(
            alive.location.as_deref(),
            Some("http://198.18.17.13:39466/Upnp-BasicDevice-1_0-00408CA45086.xml")
        );
        assert_eq!(alive.max_age, Some(1800));
        assert!(alive.server.as_deref().unwrap().contains("GUPnP/1.6"));
        assert_eq!(
            alive.usn.as_deref(),
            Some("uuid:Upnp-BasicDevice-1_0-00408CA45086::upnp:rootdevice")
        );
        let bye = parse_notify(&f("ssdp_notify_byebye_rootdevice.txt")).unwrap();
        assert_eq!(bye.nts, Nts::ByeBye);
        assert_eq!(bye.nt.as_deref(), Some("upnp:rootdevice"));
        assert_eq!((bye.location, bye.max_age), (None, None));
        // An M-SEARCH reply is not a NOTIFY, nor the other way round.
        assert_eq!(parse_notify(&f("ssdp_msearch_reply_rootdevice.txt")), None);
        assert_eq!(parse_reply(&f("ssdp_notify_alive_rootdevice.txt")), None);
    }

    #[test]
    fn notify_leniency() {
        // LF-only, lower-case names and NTS, quoted max-age among other directives, no final blank line.
        let n = parse_notify(b"NOTIFY * HTTP/1.0\nnts: SSDP:ALIVE\ncache-control: no-cache, MAX-AGE = \"120\"\nlocation: http://10.0.0.9/d.xml").unwrap();
        assert_eq!((n.nts, n.max_age), (Nts::Alive, Some(120)));
        assert_eq!(n.location.as_deref(), Some("http://10.0.0.9/d.xml"));
        let u = parse_notify(b"NOTIFY * HTTP/1.1\r\nNTS: ssdp:update\r\n\r\n").unwrap();
        assert_eq!(u.nts, Nts::Update);
    }

    #[test]
    fn notify_junk() {
        let msearch = msearch("ssdp:all", 1);
        for junk in [
            msearch.as_bytes(),
            b"HTTP/1.1 200 OK\r\nNTS: ssdp:alive\r\n\r\n",
            b"NOTIFY * HTTP/1.1\r\n\r\n",
            b"NOTIFY * HTTP/1.1\r\nNTS: ssdp:propchange\r\n\r\n",
            b"NOTIFY /evented HTTP/1.1\r\nNTS: ssdp:alive\r\n\r\n",
            b"NOTIFY * HTTP/1.1 extra\r\nNTS: ssdp:alive\r\n\r\n",
            b"NOTIFY *",
            b"",
            b"\xff\xfe\x00",
        ] {
            assert_eq!(
                parse_notify(junk),
                None,
                "{:?}",
                String::from_utf8_lossy(junk)
            );
        }
        // A head beyond the cap is not read; long values are clipped.
        let mut huge = b"NOTIFY * HTTP/1.1\r\nNTS: ssdp:alive\r\n".to_vec();
        huge.extend(std::iter::repeat_n(b'x', MAX_HEAD_BYTES));
        huge.extend(b"\r\n\r\n");
        assert_eq!(parse_notify(&huge), None);
        let long = format!(
            "NOTIFY * HTTP/1.1\r\nNTS: ssdp:alive\r\nSERVER: {}\r\n\r\n",
            "s".repeat(4000)
        );
        let n = parse_notify(long.as_bytes()).unwrap();
        assert_eq!(n.server.unwrap().len(), MAX_VALUE);
        assert_eq!(max_age("max-age=99999999999"), None);
        assert_eq!(max_age("s-maxage=5"), None);
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
