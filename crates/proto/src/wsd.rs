//! WS-Discovery (2005/04, as ONVIF uses it): the Probe we send and a lenient reader of ProbeMatches.
//!
//! Facts from `docs/design/protocols.md`, "WS-Discovery". Devices differ: some send no
//! `ProbeMatches` wrapper, an odd Action, upper-case scope categories (`Name/IPCAM`),
//! percent-encoded values, `0.0.0.0` or several XAddrs. We read by local name, keep at most
//! [`MAX_MATCHES`] matches, compare scope categories case-insensitively and URL-decode their
//! values.

use super::xml::{Node, walk};

/// What a Probe asks for. WS-Discovery 2005/04 §5.2 (and 1.1 §5.2): a target service matches a
/// Probe when it has every type the Probe's `Types` lists; a Probe without `Types` matches every
/// target service. ONVIF Core §7.3.2.2: a device announces `tds:Device` (namespace
/// `http://www.onvif.org/ver10/device/wsdl`), a video transmitter also `dn:NetworkVideoTransmitter`
/// (`http://www.onvif.org/ver10/network/wsdl`). Devices disagree in practice: some answer only a
/// typed Probe, others only one for the type they announce, so each kind goes out on its own (as
/// futomi/node-onvif `lib/node-onvif.js` sends one Probe per type; python-ws-discovery sends an
/// untyped one when it is given no types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// `Types` = `dn:NetworkVideoTransmitter`.
    NetworkVideoTransmitter,
    /// `Types` = `tds:Device`.
    Device,
    /// No `Types`: every target service (printers and PCs too).
    Untyped,
}

impl ProbeKind {
    pub fn name(self) -> &'static str {
        match self {
            ProbeKind::NetworkVideoTransmitter => "typed dn:NetworkVideoTransmitter",
            ProbeKind::Device => "typed tds:Device",
            ProbeKind::Untyped => "untyped",
        }
    }
}

/// How a Probe's XML is laid out. Some devices read a unicast Probe only when it has no line
/// breaks between elements (the form futomi/node-onvif compacts its Probe to, `replace(/\>\s+\</g,
/// '><')`); others were tested against pretty-printed clients (python-ws-discovery sends
/// `toprettyxml()` output). Compact is sent first, pretty as a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One line, no whitespace between elements.
    Compact,
    /// One element a line, indented with tabs (python-ws-discovery's `toprettyxml()` layout).
    Pretty,
}

/// The WS-Discovery 2005/04 Probe (ONVIF's namespace), with `message_id` as its MessageID.
pub fn probe_with(message_id: &str, kind: ProbeKind, layout: Layout) -> String {
    let types = match kind {
        ProbeKind::NetworkVideoTransmitter => Some(
            r#"<d:Types xmlns:dn="http://www.onvif.org/ver10/network/wsdl">dn:NetworkVideoTransmitter</d:Types>"#,
        ),
        ProbeKind::Device => Some(
            r#"<d:Types xmlns:tds="http://www.onvif.org/ver10/device/wsdl">tds:Device</d:Types>"#,
        ),
        ProbeKind::Untyped => None,
    };
    // (depth, element): one line each in the pretty layout.
    let mut lines: Vec<(usize, String)> = vec![
        (0, r#"<?xml version="1.0" encoding="UTF-8"?>"#.to_string()),
        (
            0,
            concat!(
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" "#,
                r#"xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" "#,
                r#"xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">"#
            )
            .to_string(),
        ),
        (1, "<s:Header>".to_string()),
        (
            2,
            r#"<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>"#
                .to_string(),
        ),
        (2, format!("<a:MessageID>{message_id}</a:MessageID>")),
        (2, "<a:ReplyTo>".to_string()),
        (
            3,
            "<a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address>"
                .to_string(),
        ),
        (2, "</a:ReplyTo>".to_string()),
        (
            2,
            r#"<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>"#
                .to_string(),
        ),
        (1, "</s:Header>".to_string()),
        (1, "<s:Body>".to_string()),
    ];
    match types {
        Some(t) => {
            lines.push((2, "<d:Probe>".to_string()));
            lines.push((3, t.to_string()));
            lines.push((2, "</d:Probe>".to_string()));
        }
        None => lines.push((2, "<d:Probe/>".to_string())),
    }
    lines.push((1, "</s:Body>".to_string()));
    lines.push((0, "</s:Envelope>".to_string()));
    match layout {
        Layout::Compact => lines.into_iter().map(|(_, l)| l).collect(),
        Layout::Pretty => lines
            .into_iter()
            .map(|(depth, l)| format!("{}{l}\n", "\t".repeat(depth)))
            .collect(),
    }
}

/// The compact Probe for `dn:NetworkVideoTransmitter`.
pub fn probe(message_id: &str) -> String {
    probe_with(
        message_id,
        ProbeKind::NetworkVideoTransmitter,
        Layout::Compact,
    )
}

/// Most matches kept from one reply.
pub const MAX_MATCHES: usize = 16;

/// One ProbeMatch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeMatch {
    /// `wsa:EndpointReference/wsa:Address`, usually `urn:uuid:...`: the device's stable id.
    pub endpoint: Option<String>,
    /// Types, e.g. `dn:NetworkVideoTransmitter tds:Device`, split.
    pub types: Vec<String>,
    /// Scope URIs, split.
    pub scopes: Vec<String>,
    /// Service addresses, split.
    pub xaddrs: Vec<String>,
}

/// The header and matches of one reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeReply {
    pub relates_to: Option<String>,
    pub matches: Vec<ProbeMatch>,
}

fn split(text: &str) -> Vec<String> {
    text.split_whitespace()
        .take(64)
        .map(|s| s.chars().take(512).collect())
        .collect()
}

/// Read a ProbeMatches (or Hello) message. Never fails: a reply we cannot read has no matches.
pub fn parse(xml: &str) -> ProbeReply {
    let mut reply = ProbeReply::default();
    let mut current: Option<ProbeMatch> = None;
    walk(xml, |node| match node {
        Node::Start(path) => {
            let name = path.last().map(String::as_str).unwrap_or_default();
            if (name == "ProbeMatch" || name == "Hello") && current.is_none() {
                current = Some(ProbeMatch::default());
            }
        }
        Node::End(path, text) => {
            let name = path.last().map(String::as_str).unwrap_or_default();
            let in_header = path.iter().any(|p| p == "Header");
            if in_header {
                if name == "RelatesTo" {
                    reply.relates_to = Some(text.to_string());
                }
                return;
            }
            // Devices without a ProbeMatch wrapper: the first field starts a match.
            let m = current.get_or_insert_with(ProbeMatch::default);
            match name {
                "Address" if path.iter().any(|p| p == "EndpointReference") => {
                    m.endpoint = Some(text.chars().take(256).collect())
                }
                "Types" => m.types = split(text),
                "Scopes" => m.scopes = split(text),
                "XAddrs" => m.xaddrs = split(text),
                "ProbeMatch" | "Hello" => {
                    if let Some(m) = current.take()
                        && reply.matches.len() < MAX_MATCHES
                        && m != ProbeMatch::default()
                    {
                        reply.matches.push(m);
                    }
                }
                _ => {}
            }
        }
    });
    if let Some(m) = current.take()
        && m != ProbeMatch::default()
        && reply.matches.len() < MAX_MATCHES
    {
        reply.matches.push(m);
    }
    reply
}

/// The WS-Discovery 2005/04 namespace, as ONVIF uses it (Actions `<this>/Hello`, `<this>/Bye`).
pub const NS_2005_04: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
/// The OASIS WS-Discovery 1.1 namespace (2009/01), which WCF and nmap also speak.
pub const NS_2009_01: &str = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01";

/// Whether a device arrives or leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnounceKind {
    /// `Hello`: multicast when a device joins the network (WS-Discovery 2005/04 §4.1).
    Hello,
    /// `Bye`: multicast when it leaves gracefully (§4.2); carries only the endpoint reference.
    Bye,
}

/// An unsolicited `Hello` or `Bye`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub kind: AnnounceKind,
    /// `wsa:EndpointReference/wsa:Address`: the device's stable id (`urn:uuid:...`).
    pub endpoint: Option<String>,
    /// Types, split (a `Bye` usually has none).
    pub types: Vec<String>,
    /// Scope URIs, split.
    pub scopes: Vec<String>,
    /// Service addresses, split (may be empty: a `Hello` without XAddrs asks for a Resolve).
    pub xaddrs: Vec<String>,
    /// `MetadataVersion`, when it is a number.
    pub metadata_version: Option<u32>,
}

impl Announcement {
    /// What the announcement says of the device, as a Probe's answer says it.
    pub fn into_match(self) -> ProbeMatch {
        ProbeMatch {
            endpoint: self.endpoint,
            types: self.types,
            scopes: self.scopes,
            xaddrs: self.xaddrs,
        }
    }
}

/// Read a `Hello` or `Bye` (SOAP 1.2 over UDP). The kind comes from the `Body` element; an `Action`
/// header, when present, must name the same message in the 2005/04 or the 2009/01 namespace. `None`
/// for anything else (a Probe, ProbeMatches, a Resolve, junk), so our own multicast Probes and other
/// clients' ones are dropped here. Never fails loudly: the walk is bounded ([`super::xml`]).
pub fn parse_announcement(xml: &str) -> Option<Announcement> {
    let mut action: Option<String> = None;
    let mut body_kind: Option<AnnounceKind> = None;
    // A message cut short (its element never closed) is not read as an announcement.
    let mut closed = false;
    let mut a = Announcement {
        kind: AnnounceKind::Hello,
        endpoint: None,
        types: Vec::new(),
        scopes: Vec::new(),
        xaddrs: Vec::new(),
        metadata_version: None,
    };
    // Body/<Hello|Bye>/...: the message element sits right under Body (Envelope/Body/Hello).
    let under_message = |path: &[String]| -> bool {
        path.len() >= 4 && path[1] == "Body" && matches!(path[2].as_str(), "Hello" | "Bye")
    };
    walk(xml, |node| match node {
        Node::Start(path) => {
            if path.len() == 3 && path[1] == "Body" && body_kind.is_none() {
                body_kind = match path[2].as_str() {
                    "Hello" => Some(AnnounceKind::Hello),
                    "Bye" => Some(AnnounceKind::Bye),
                    _ => None,
                };
            }
        }
        Node::End(path, text) => {
            if path.len() == 3 && path[1] == "Header" && path[2] == "Action" {
                action = Some(text.chars().take(256).collect());
                return;
            }
            if path.len() == 3 && path[1] == "Body" && matches!(path[2].as_str(), "Hello" | "Bye") {
                closed = true;
                return;
            }
            if !under_message(path) {
                return;
            }
            match path.last().map(String::as_str).unwrap_or_default() {
                "Address" if path.iter().any(|p| p == "EndpointReference") => {
                    a.endpoint = Some(text.chars().take(256).collect())
                }
                "Types" => a.types = split(text),
                "Scopes" => a.scopes = split(text),
                "XAddrs" => a.xaddrs = split(text),
                "MetadataVersion" => a.metadata_version = text.parse().ok(),
                _ => {}
            }
        }
    });
    a.kind = body_kind.filter(|_| closed)?;
    if let Some(action) = action {
        let name = match a.kind {
            AnnounceKind::Hello => "Hello",
            AnnounceKind::Bye => "Bye",
        };
        let ok = [NS_2005_04, NS_2009_01].iter().any(|ns| {
            action
                .strip_prefix(ns)
                .and_then(|rest| rest.strip_prefix('/'))
                == Some(name)
        });
        if !ok {
            return None;
        }
    }
    Some(a)
}

/// What ONVIF scopes say about a device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeInfo {
    pub name: Option<String>,
    pub hardware: Option<String>,
    pub manufacturer: Option<String>,
    pub location: Option<String>,
    pub mac: Option<String>,
    /// `Streaming` (Profile S), `T`, `G`...
    pub profiles: Vec<String>,
}

/// Read `onvif://www.onvif.org/<category>/<value>` scopes: categories compared case-insensitively,
/// values percent-decoded.
pub fn scope_info(scopes: &[String]) -> ScopeInfo {
    let mut info = ScopeInfo::default();
    for s in scopes {
        let lower = s.to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("onvif://www.onvif.org/") else {
            continue;
        };
        let offset = s.len() - rest.len();
        let (category, value) = match s[offset..].split_once('/') {
            Some((c, v)) => (c.to_ascii_lowercase(), percent_decode(v)),
            None => continue,
        };
        if value.is_empty() {
            continue;
        }
        let slot = match category.as_str() {
            "name" => &mut info.name,
            "hardware" | "model" => &mut info.hardware,
            "manufacturer" | "mfr" => &mut info.manufacturer,
            "location" => &mut info.location,
            "mac" => &mut info.mac,
            "profile" => {
                info.profiles.push(value);
                continue;
            }
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    info
}

/// `%20` and `+`-free percent-decoding; invalid escapes are kept as written.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).chars().take(256).collect()
}

/// Rewrite an XAddr whose host is `0.0.0.0` (some cameras report it) to the sender's address.
pub fn fix_xaddr(xaddr: &str, sender: std::net::IpAddr) -> String {
    let host = match sender {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    };
    xaddr.replacen("//0.0.0.0", &format!("//{host}"), 1)
}

/// An XAddr whose host is an IPv6 link-local address (`http://[fe80::22]:8000/...`) with the zone
/// it was heard on, written the RFC 6874 way (`http://[fe80::22%25eth0]:8000/...`): a device cannot
/// know the zone its neighbours reach it through (RFC 4007 §6), so it never announces one. Other
/// XAddrs, and one that already has a zone, are returned as they are.
pub fn zone_xaddr(xaddr: &str, zone: &str) -> String {
    let Some(open) = xaddr.find("://[").map(|i| i + 4) else {
        return xaddr.to_string();
    };
    let Some(close) = xaddr
        .get(open..)
        .and_then(|rest| rest.find(']'))
        .map(|i| open + i)
    else {
        return xaddr.to_string();
    };
    let host = xaddr.get(open..close).unwrap_or_default();
    let link_local = host
        .parse::<std::net::Ipv6Addr>()
        .is_ok_and(|ip| ip.segments()[0] & 0xffc0 == 0xfe80);
    if !link_local || zone.is_empty() {
        return xaddr.to_string();
    }
    format!(
        "{}%25{zone}{}",
        xaddr.get(..close).unwrap_or_default(),
        xaddr.get(close..).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// python-ws-discovery's sample reply (andreikop/python-ws-discovery tests/data/probe_response.xml).
    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsdd="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">
<SOAP-ENV:Header><wsa:MessageID>uuid:1</wsa:MessageID><wsa:RelatesTo>uuid:probe-42</wsa:RelatesTo>
<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action></SOAP-ENV:Header>
<SOAP-ENV:Body><wsdd:ProbeMatches><wsdd:ProbeMatch>
<wsa:EndpointReference><wsa:Address>urn:uuid:a1f48ac2-dc8b-11df-b255-00408c1836b2</wsa:Address></wsa:EndpointReference>
<wsdd:Types>dn:NetworkVideoTransmitter tds:Device</wsdd:Types>
<wsdd:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/Name/IPCAM%20Lobby onvif://www.onvif.org/Model/631GA onvif://www.onvif.org/location/country/china onvif://www.onvif.org/MAC/00:40:8c:18:36:b2</wsdd:Scopes>
<wsdd:XAddrs>http://0.0.0.0:80/onvif/device_service http://[fe80::1]/onvif/device_service</wsdd:XAddrs>
<wsdd:MetadataVersion>1</wsdd:MetadataVersion></wsdd:ProbeMatch></wsdd:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;

    #[test]
    fn python_ws_discovery_sample() {
        let r = parse(SAMPLE);
        assert_eq!(r.relates_to.as_deref(), Some("uuid:probe-42"));
        assert_eq!(r.matches.len(), 1);
        let m = &r.matches[0];
        assert_eq!(
            m.endpoint.as_deref(),
            Some("urn:uuid:a1f48ac2-dc8b-11df-b255-00408c1836b2")
        );
        assert_eq!(m.types, ["dn:NetworkVideoTransmitter", "tds:Device"]);
        assert_eq!(m.xaddrs.len(), 2);
        let s = scope_info(&m.scopes);
        assert_eq!(s.name.as_deref(), Some("IPCAM Lobby"));
        assert_eq!(s.hardware.as_deref(), Some("631GA"));
        assert_eq!(s.mac.as_deref(), Some("00:40:8c:18:36:b2"));
        assert_eq!(s.location.as_deref(), Some("country/china"));
        assert_eq!(s.profiles, ["Streaming"]);
        assert_eq!(
            fix_xaddr(&m.xaddrs[0], "198.18.0.11".parse().unwrap()),
            "http://198.18.0.11:80/onvif/device_service"
        );
    }

    /// A real reply from PyPI `wsdiscovery` 2.1 (the lab's responder), captured in the namespace lab.
    #[test]
    fn wsdiscovery_python_responder_fixture() {
        let r = parse(&crate::test_fixture_str(
            "../lab/responders/fixtures/wsdiscovery_probematches_unicast.xml",
        ));
        // It answers our MessageID (a random uuid per capture).
        assert!(
            r.relates_to
                .as_deref()
                .is_some_and(|r| r.starts_with("urn:uuid:"))
        );
        let m = &r.matches[0];
        assert_eq!(m.xaddrs, ["http://198.18.0.11:8000/onvif/device_service"]);
        let s = scope_info(&m.scopes);
        assert_eq!(
            (s.name.as_deref(), s.hardware.as_deref()),
            (Some("Lab Camera"), Some("DS-2CD2043G2-I"))
        );
        let none = parse(&crate::test_fixture_str(
            "../lab/responders/fixtures/wsdiscovery_probematches_nomatch.xml",
        ));
        assert!(none.matches.iter().all(|m| m.xaddrs.is_empty()));
        let hello = parse(&crate::test_fixture_str(
            "../lab/responders/fixtures/wsdiscovery_hello.xml",
        ));
        assert_eq!(hello.matches.len(), 1);
    }

    #[test]
    fn no_wrapper_and_odd_prefixes() {
        // Non-conformant cameras: no ProbeMatches/ProbeMatch wrapper at all.
        let xml = r#"<Envelope><Body><d:Types>NetworkVideoTransmitter</d:Types><XAddrs>http://10.0.0.9/onvif/device_service</XAddrs></Body></Envelope>"#;
        let r = parse(xml);
        assert_eq!(r.matches.len(), 1);
        assert_eq!(
            r.matches[0].xaddrs,
            ["http://10.0.0.9/onvif/device_service"]
        );
    }

    #[test]
    fn hostile_replies() {
        let many = format!(
            "<E><B>{}</B></E>",
            "<ProbeMatch><Types>x</Types></ProbeMatch>".repeat(1000)
        );
        assert_eq!(parse(&many).matches.len(), MAX_MATCHES);
        for junk in ["", "garbage", "<ProbeMatch>", "<a><Types>", "\u{0}\u{1}"] {
            let _ = parse(junk);
        }
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%E2%82%AC"), "€");
    }

    /// The Hello PyPI `wsdiscovery` 2.1 multicasts when it publishes (the lab's responder, captured in
    /// the namespace lab) and the Bye it multicasts when it leaves (wsd_responder.py on SIGTERM, at
    /// 198.18.16.11 in tests/lab/listen_lab.sh).
    #[test]
    fn wsdiscovery_hello_and_bye() {
        let hello = parse_announcement(&crate::test_fixture_str(
            "../lab/responders/fixtures/wsdiscovery_hello.xml",
        ))
        .unwrap();
        assert_eq!(hello.kind, AnnounceKind::Hello);
        assert_eq!(
            hello.endpoint.as_deref(),
            Some("urn:uuid:bbb5242c-7a3c-5dac-9499-5d54f3d33f8c")
        );
        assert_eq!(hello.types, ["dn:NetworkVideoTransmitter", "tds:Device"]);
        assert_eq!(
            hello.xaddrs,
            ["http://198.18.0.11:8000/onvif/device_service"]
        );
        assert_eq!(hello.metadata_version, Some(1));
        assert_eq!(
            scope_info(&hello.scopes).name.as_deref(),
            Some("Lab Camera")
        );
        let bye = parse_announcement(&crate::test_fixture_str(
            "../lab/responders/fixtures/wsdiscovery_bye.xml",
        ))
        .unwrap();
        assert_eq!(bye.kind, AnnounceKind::Bye);
        assert_eq!(
            bye.endpoint.as_deref(),
            Some("urn:uuid:29973b29-2a75-504a-aa5a-6880d8e5fa49")
        );
        assert!(bye.xaddrs.is_empty() && bye.types.is_empty());
    }

    #[test]
    fn announcements_in_other_shapes() {
        // No Action header, no prefixes, the 2009/01 namespace's Action.
        let bare = r#"<Envelope><Body><Hello><EndpointReference><Address>urn:uuid:1</Address></EndpointReference><XAddrs>http://10.0.0.9/onvif/device_service</XAddrs><MetadataVersion>x</MetadataVersion></Hello></Body></Envelope>"#;
        let a = parse_announcement(bare).unwrap();
        assert_eq!(a.kind, AnnounceKind::Hello);
        assert_eq!(a.endpoint.as_deref(), Some("urn:uuid:1"));
        assert_eq!(a.metadata_version, None);
        let oasis = r#"<s:Envelope><s:Header><a:Action>http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/Bye</a:Action></s:Header><s:Body><d:Bye><a:EndpointReference><a:Address>urn:uuid:2</a:Address></a:EndpointReference></d:Bye></s:Body></s:Envelope>"#;
        assert_eq!(parse_announcement(oasis).unwrap().kind, AnnounceKind::Bye);
    }

    #[test]
    fn not_announcements() {
        let probe = probe("urn:uuid:abc");
        let mismatched = r#"<s:Envelope><s:Header><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Bye</a:Action></s:Header><s:Body><d:Hello/></s:Body></s:Envelope>"#;
        let nested =
            r#"<E><Body><X><Hello><XAddrs>http://1.2.3.4/</XAddrs></Hello></X></Body></E>"#;
        for junk in [
            probe.as_str(),
            SAMPLE,
            mismatched,
            nested,
            "",
            "garbage",
            "<Hello>",
            "<E><Body><Hello>",
        ] {
            assert_eq!(parse_announcement(junk), None, "{junk}");
        }
        // Bounded: thousands of XAddrs keep 64.
        let many = format!(
            "<E><Body><Hello><XAddrs>{}</XAddrs></Hello></Body></E>",
            "http://10.0.0.1/ ".repeat(5000)
        );
        assert_eq!(parse_announcement(&many).unwrap().xaddrs.len(), 64);
    }

    #[test]
    fn link_local_xaddrs_get_their_zone() {
        assert_eq!(
            zone_xaddr("http://[fe80::22]:8000/onvif/device_service", "eth0"),
            "http://[fe80::22%25eth0]:8000/onvif/device_service"
        );
        assert_eq!(
            zone_xaddr("http://[FE80::1]/onvif/device_service", "br-lan"),
            "http://[FE80::1%25br-lan]/onvif/device_service"
        );
        for same in [
            "http://[fd00:cafe::22]:8000/onvif/device_service",
            "http://[fe80::22%25eth1]/x",
            "http://198.18.0.11/onvif/device_service",
            "http://[fe80::22",
            "http://[",
            "",
            "urn:x://[é]",
        ] {
            assert_eq!(zone_xaddr(same, "eth0"), same);
        }
    }

    #[test]
    fn probe_variants() {
        use super::super::xml::first_text;
        for kind in [
            ProbeKind::NetworkVideoTransmitter,
            ProbeKind::Device,
            ProbeKind::Untyped,
        ] {
            let compact = probe_with("urn:uuid:c", kind, Layout::Compact);
            let pretty = probe_with("urn:uuid:p", kind, Layout::Pretty);
            // Compact: one line, nothing between elements.
            assert!(
                !compact.contains('\n') && !compact.contains("> "),
                "{compact}"
            );
            assert!(!compact.contains(">\t") && !compact.contains(">\r"));
            // Pretty: an element a line.
            assert!(pretty.lines().count() > 10, "{pretty}");
            assert!(pretty.contains("\n\t\t<a:MessageID>urn:uuid:p</a:MessageID>\n"));
            for (xml, id) in [(&compact, "urn:uuid:c"), (&pretty, "urn:uuid:p")] {
                assert_eq!(first_text(xml, "MessageID").as_deref(), Some(id));
                assert_eq!(
                    first_text(xml, "Action").as_deref(),
                    Some("http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe")
                );
                let types = first_text(xml, "Types");
                match kind {
                    ProbeKind::NetworkVideoTransmitter => {
                        assert_eq!(types.as_deref(), Some("dn:NetworkVideoTransmitter"));
                        assert!(
                            xml.contains(r#"xmlns:dn="http://www.onvif.org/ver10/network/wsdl""#)
                        );
                    }
                    ProbeKind::Device => {
                        assert_eq!(types.as_deref(), Some("tds:Device"));
                        assert!(
                            xml.contains(r#"xmlns:tds="http://www.onvif.org/ver10/device/wsdl""#)
                        );
                    }
                    ProbeKind::Untyped => {
                        assert_eq!(types, None);
                        assert!(xml.contains("<d:Probe/>"));
                    }
                }
            }
            // Our own Probes are never read as an announcement.
            assert_eq!(parse_announcement(&compact), None);
            assert_eq!(parse_announcement(&pretty), None);
        }
    }

    #[test]
    fn probe_is_well_formed() {
        let p = probe("uuid:abc");
        assert_eq!(
            super::super::xml::first_text(&p, "MessageID").as_deref(),
            Some("uuid:abc")
        );
        assert!(p.contains("NetworkVideoTransmitter"));
    }
}
