//! WS-Discovery (2005/04, as ONVIF uses it): the Probe we send and a lenient reader of ProbeMatches.
//!
//! Facts from `shared/PROTOCOLS.md` §4.1. Devices differ: some send no `ProbeMatches` wrapper, an odd
//! Action, upper-case scope categories (`Name/IPCAM`), percent-encoded values, `0.0.0.0` or several
//! XAddrs. We read by local name, keep at most [`MAX_MATCHES`] matches, compare scope categories
//! case-insensitively and URL-decode their values.

use super::xml::{Node, walk};

/// The ONVIF Probe, filtered on NetworkVideoTransmitter (an empty Types also draws printers and PCs).
pub fn probe(message_id: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing">"#,
            r#"<s:Header><a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>"#,
            r#"<a:MessageID>{id}</a:MessageID>"#,
            r#"<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"#,
            r#"<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>"#,
            r#"<s:Body><Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery">"#,
            r#"<d:Types xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dp0="http://www.onvif.org/ver10/network/wsdl">dp0:NetworkVideoTransmitter</d:Types>"#,
            r#"</Probe></s:Body></s:Envelope>"#
        ),
        id = message_id
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
