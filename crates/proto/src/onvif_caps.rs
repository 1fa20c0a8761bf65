//! What the ONVIF API says a camera can do, read from replies to read-only `Get*` requests: the
//! services `GetServices` lists (by short name), the ONVIF profiles a WS-Discovery answer's scopes
//! claim, the PTZ service's nodes, configuration, service capabilities and status, and the event
//! service's capabilities and topics. Pure and bounded: replies are read by local name through
//! [`super::xml`] (any namespace prefix), except event topics, whose names keep the device's
//! prefixes (`tns1:RuleEngine/CellMotionDetector/Motion`). Facts and their sources:
//! `docs/design/protocols.md`, "ONVIF capabilities".

use quick_xml::events::Event as XmlEvent;
use quick_xml::reader::Reader;

use super::xml::{Node, attr, walk, walk_with_attrs};
use model::capabilities::{Ptz, Readiness};

/// The short name of an ONVIF service by its WSDL namespace (ONVIF Core §8.1.2.1 GetServices; the
/// namespaces are those of each service's WSDL at `https://www.onvif.org/ver10/` and `ver20/`).
pub fn service_name(namespace: &str) -> Option<&'static str> {
    const BY_NAMESPACE: &[(&str, &str)] = &[
        ("http://www.onvif.org/ver10/device/wsdl", "device"),
        ("http://www.onvif.org/ver10/media/wsdl", "media"),
        ("http://www.onvif.org/ver20/media/wsdl", "media2"),
        ("http://www.onvif.org/ver20/ptz/wsdl", "ptz"),
        ("http://www.onvif.org/ver10/events/wsdl", "events"),
        ("http://www.onvif.org/ver20/imaging/wsdl", "imaging"),
        ("http://www.onvif.org/ver10/deviceIO/wsdl", "deviceio"),
        ("http://www.onvif.org/ver20/analytics/wsdl", "analytics"),
        ("http://www.onvif.org/ver10/recording/wsdl", "recording"),
        ("http://www.onvif.org/ver10/search/wsdl", "search"),
        ("http://www.onvif.org/ver10/replay/wsdl", "replay"),
        ("http://www.onvif.org/ver10/receiver/wsdl", "receiver"),
        ("http://www.onvif.org/ver10/display/wsdl", "display"),
        (
            "http://www.onvif.org/ver10/analyticsdevice/wsdl",
            "analyticsdevice",
        ),
        (
            "http://www.onvif.org/ver10/accesscontrol/wsdl",
            "accesscontrol",
        ),
        ("http://www.onvif.org/ver10/doorcontrol/wsdl", "doorcontrol"),
        ("http://www.onvif.org/ver10/thermal/wsdl", "thermal"),
        (
            "http://www.onvif.org/ver10/advancedsecurity/wsdl",
            "advancedsecurity",
        ),
    ];
    let ns = namespace.trim();
    BY_NAMESPACE
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(ns))
        .map(|(_, s)| *s)
}

/// The short names of the services a GetServices reply listed (`(namespace, XAddr)` pairs from
/// [`super::soap::services`]), sorted, each once; unknown namespaces are left out.
pub fn service_names(services: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = services
        .iter()
        .filter_map(|(ns, _)| service_name(ns))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The ONVIF profiles claimed in WS-Discovery scopes: `onvif://www.onvif.org/Profile/<X>`
/// (ONVIF Core §7.3.2.2 "Scopes"; each profile specification names its scope, e.g. Profile S
/// §7.1 `onvif://www.onvif.org/Profile/Streaming`, which older devices still write for S).
/// Letters `S`, `T`, `G`, `M`, `C`, `A`, `D`, sorted, each once.
pub fn profiles_from_scopes(scopes: &[String]) -> Vec<String> {
    const PREFIX: &str = "onvif://www.onvif.org/profile/";
    let mut out: Vec<String> = Vec::new();
    for s in scopes.iter().take(256) {
        let s = s.trim();
        let Some(head) = s.get(..PREFIX.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(PREFIX) {
            continue;
        }
        let value = s
            .get(PREFIX.len()..)
            .unwrap_or_default()
            .trim_end_matches('/');
        let letter = if value.eq_ignore_ascii_case("streaming") {
            "S"
        } else {
            match value.to_ascii_uppercase().as_str() {
                "S" => "S",
                "T" => "T",
                "G" => "G",
                "M" => "M",
                "C" => "C",
                "A" => "A",
                "D" => "D",
                _ => continue,
            }
        };
        if !out.iter().any(|p| p == letter) {
            out.push(letter.to_string());
        }
    }
    out.sort();
    out
}

/// Most PTZ nodes counted, and most space URIs kept.
pub const MAX_NODES: u32 = 64;
pub const MAX_SPACES: usize = 64;

/// `TranslationSpaceFov`: relative pan/tilt in field-of-view units (ONVIF PTZ Service
/// Specification §5.7 "Relative Pan/Tilt Translation Space in FOV").
pub const FOV_SPACE: &str = "TranslationSpaceFov";

/// PTZ GetNodes: the node count, move kinds, spaces, presets and home. `None` when the reply holds
/// no `PTZNode` (ONVIF PTZ Service Specification §5.3.1 GetNodes; the node's
/// `SupportedPTZSpaces` lists `Absolute*PositionSpace`, `Relative*TranslationSpace` and
/// `Continuous*VelocitySpace` for pan/tilt and zoom, §5.7).
pub fn ptz_nodes(xml: &str) -> Option<Ptz> {
    let mut p = Ptz::default();
    let mut seen = false;
    walk(xml, |n| match n {
        Node::Start(path) if path.last().is_some_and(|l| l == "PTZNode") => {
            seen = true;
            p.nodes = (p.nodes + 1).min(MAX_NODES);
        }
        Node::End(path, text) if seen => {
            let Some(last) = path.last().map(String::as_str) else {
                return;
            };
            let parent = path.iter().rev().nth(1).map(String::as_str).unwrap_or("");
            match last {
                "URI" if path.iter().any(|x| x == "SupportedPTZSpaces") => {
                    if parent.starts_with("Absolute") {
                        p.absolute = true;
                    } else if parent.starts_with("Relative") {
                        p.relative = true;
                        if parent == "RelativePanTiltTranslationSpace" && text.contains(FOV_SPACE) {
                            p.fov_relative = true;
                        }
                    } else if parent.starts_with("Continuous") {
                        p.continuous = true;
                    }
                    let uri: String = text.chars().take(256).collect();
                    if !uri.is_empty() && p.spaces.len() < MAX_SPACES && !p.spaces.contains(&uri) {
                        p.spaces.push(uri);
                    }
                }
                "MaximumNumberOfPresets" => {
                    if let Ok(v) = text.trim().parse::<u32>() {
                        p.presets = Some(p.presets.unwrap_or(0).max(v));
                    }
                }
                "HomeSupported" => p.home |= text.trim().eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        _ => {}
    });
    p.spaces.sort();
    seen.then_some(p)
}

/// A PTZ configuration's default spaces (ONVIF PTZ Service Specification §5.2
/// `PTZConfiguration`), from GetConfigurations or a media profile's `PTZConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PtzConfiguration {
    pub default_relative_pan_tilt: Option<String>,
    pub default_relative_zoom: Option<String>,
    pub default_absolute_zoom: Option<String>,
}

/// The first PTZ configuration in a GetConfigurations reply (`PTZConfiguration`), a Media1
/// GetProfiles reply (`Profiles/PTZConfiguration`) or a Media2 one (`Profiles/Configurations/PTZ`).
/// With GetProfiles, also the token of the profile that holds it (for GetStatus).
pub fn ptz_configuration(xml: &str) -> Option<(Option<String>, PtzConfiguration)> {
    let mut profile_token: Option<String> = None;
    let mut found: Option<(Option<String>, PtzConfiguration)> = None;
    let mut current = PtzConfiguration::default();
    let mut inside = false;
    walk_with_attrs(xml, |n, attrs| match n {
        Node::Start(path) if found.is_none() => match path.last().map(String::as_str) {
            Some("Profiles") => {
                profile_token = attr(attrs, "token").map(|t| t.chars().take(64).collect());
            }
            Some("PTZConfiguration") => inside = true,
            Some("PTZ")
                if path
                    .iter()
                    .rev()
                    .nth(1)
                    .is_some_and(|p| p == "Configurations") =>
            {
                inside = true
            }
            _ => {}
        },
        Node::End(path, text) if inside && found.is_none() => {
            let clip = || Some(text.chars().take(256).collect::<String>());
            match path.last().map(String::as_str) {
                Some("DefaultRelativePanTiltTranslationSpace") => {
                    current.default_relative_pan_tilt = clip()
                }
                Some("DefaultRelativeZoomTranslationSpace") => {
                    current.default_relative_zoom = clip()
                }
                Some("DefaultAbsoluteZoomPositionSpace") => current.default_absolute_zoom = clip(),
                Some("PTZConfiguration") | Some("PTZ") => {
                    inside = false;
                    found = Some((profile_token.clone(), std::mem::take(&mut current)));
                }
                _ => {}
            }
        }
        _ => {}
    });
    found
}

/// PTZ GetServiceCapabilities: the `MoveStatus` attribute of `Capabilities` (ONVIF PTZ Service
/// Specification §5.1 "Capabilities": `GetStatus` reports the move status).
pub fn ptz_move_status_capability(xml: &str) -> Option<bool> {
    capability_attr(xml, "MoveStatus")
}

/// PTZ GetStatus: whether `PTZStatus` holds a `MoveStatus` (ONVIF PTZ Service Specification
/// §5.4 GetStatus; the element is optional). `None` when the reply has no `PTZStatus`.
pub fn ptz_status_has_move_status(xml: &str) -> Option<bool> {
    let (mut status, mut moves) = (false, false);
    walk(xml, |n| {
        if let Node::Start(path) = n {
            match path.last().map(String::as_str) {
                Some("PTZStatus") => status = true,
                Some("MoveStatus") if path.iter().any(|x| x == "PTZStatus") => moves = true,
                _ => {}
            }
        }
    });
    status.then_some(moves)
}

/// Events GetServiceCapabilities: `(WSPullPointSupport, WSSubscriptionPolicySupport)`, attributes
/// of `tev:Capabilities` (ONVIF Core §9.2 "Get service capabilities" of the event service).
pub fn event_capabilities(xml: &str) -> (Option<bool>, Option<bool>) {
    (
        capability_attr(xml, "WSPullPointSupport"),
        capability_attr(xml, "WSSubscriptionPolicySupport"),
    )
}

/// An xsd:boolean attribute of the first `Capabilities` element.
fn capability_attr(xml: &str, name: &str) -> Option<bool> {
    let mut out = None;
    let mut done = false;
    walk_with_attrs(xml, |n, attrs| {
        if let Node::Start(path) = n
            && !done
            && path.last().is_some_and(|l| l == "Capabilities")
        {
            done = true;
            out = attr(attrs, name).and_then(|v| match v.trim() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            });
        }
    });
    out
}

/// Most topics kept from GetEventProperties, and deepest topic path followed below `TopicSet`.
pub const MAX_TOPICS: usize = 64;
pub const MAX_TOPIC_DEPTH: usize = 8;
/// Most elements read from one GetEventProperties reply.
const MAX_TOPIC_ELEMENTS: usize = 20_000;

/// GetEventProperties: each topic of the `wstop:TopicSet` marked `wstop:topic="true"` (OASIS
/// WS-Topics 1.3 §6.1; ONVIF Core §9.5.6 "Get event properties"), as the path of its element names
/// below the set, prefixes kept (`tns1:RuleEngine/CellMotionDetector/Motion`). Sorted, each once,
/// at most [`MAX_TOPICS`]; names of the `MessageDescription` below a topic are not topics.
pub fn event_topics(xml: &str) -> Vec<String> {
    let mut reader = Reader::from_str(xml);
    // Inside the TopicSet: one entry per open element below it; `None` for a level that is not
    // part of a topic name (a MessageDescription and what it holds, or deeper than the cap).
    let mut stack: Vec<Option<String>> = Vec::new();
    let mut inside = false;
    let mut elements = 0usize;
    let mut out: Vec<String> = Vec::new();
    loop {
        let (e, empty) = match reader.read_event() {
            Ok(XmlEvent::Start(e)) => (e, false),
            Ok(XmlEvent::Empty(e)) => (e, true),
            Ok(XmlEvent::End(_)) => {
                if inside && stack.pop().is_none() {
                    inside = false; // the TopicSet closed
                }
                continue;
            }
            Ok(XmlEvent::DocType(d)) if d.contains("<!ENTITY") => break,
            Ok(XmlEvent::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        elements += 1;
        if elements > MAX_TOPIC_ELEMENTS || stack.len() > super::xml::MAX_DEPTH * 4 {
            break;
        }
        let local = e.local_name();
        if !inside {
            inside = local.as_ref() == "TopicSet" && !empty;
            continue;
        }
        let named = stack.len() < MAX_TOPIC_DEPTH
            && stack.iter().all(Option::is_some)
            && local.as_ref() != "MessageDescription";
        let name = named.then(|| {
            let qname = e.name();
            let full: &str = qname.as_ref();
            full.chars().take(128).collect::<String>()
        });
        stack.push(name);
        let topic = e
            .attributes()
            .with_checks(false)
            .take(32)
            .flatten()
            .any(|a| {
                a.key.local_name().as_ref() == "topic"
                    && a.value.as_ref().eq_ignore_ascii_case("true")
            });
        if topic && named && out.len() < MAX_TOPICS {
            let t = stack
                .iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join("/");
            if !out.contains(&t) {
                out.push(t);
            }
        }
        if empty {
            stack.pop();
        }
    }
    out.sort();
    out
}

/// Whether Frigate's autotracking can drive this PTZ camera, by the checks Frigate makes
/// (blakeblackshear/frigate `frigate/ptz/onvif.py`, `OnvifController._init_onvif`, and
/// `frigate/ptz/autotrack.py`, `PtzAutoTracker._autotracker_setup`):
///
/// - "pt-r-fov": a `RelativePanTiltTranslationSpace` whose URI contains `TranslationSpaceFov`
///   (Frigate reads it from GetConfigurationOptions' `Spaces`, the same `PTZSpaces` type as a
///   node's `SupportedPTZSpaces`, which is read here) **and** the profile's PTZ configuration has a
///   `DefaultRelativePanTiltTranslationSpace`; without it autotracking is disabled ("FOV relative
///   movement not supported");
/// - the PTZ service's GetServiceCapabilities says `MoveStatus` true; otherwise disabled ("ONVIF
///   MoveStatus not supported");
/// - GetStatus reports `MoveStatus` (`get_camera_status`: without it Frigate warns autotracking
///   "will not function correctly").
///
/// Zooming is optional in Frigate (it disables zooming, not tracking): relative zooming needs a
/// `DefaultRelativeZoomTranslationSpace` and a `RelativeZoomTranslationSpace`, absolute zooming a
/// `DefaultAbsoluteZoomPositionSpace` and an `AbsoluteZoomPositionSpace`; the reason says which.
pub fn frigate_autotracking(
    ptz: &Ptz,
    config: Option<&PtzConfiguration>,
    service_move_status: Option<bool>,
) -> Readiness {
    let mut missing = Vec::new();
    if !ptz.fov_relative {
        missing.push("no FOV relative pan/tilt space (TranslationSpaceFov)");
    }
    if config
        .and_then(|c| c.default_relative_pan_tilt.as_ref())
        .is_none()
    {
        missing
            .push("no DefaultRelativePanTiltTranslationSpace in the profile's PTZ configuration");
    }
    match service_move_status {
        Some(true) => {}
        Some(false) => missing.push("the PTZ service capabilities say MoveStatus false"),
        None => missing.push("the PTZ service capabilities do not say MoveStatus"),
    }
    if ptz.move_status != Some(true) {
        missing.push("GetStatus reports no MoveStatus");
    }
    if !missing.is_empty() {
        return Readiness {
            ready: false,
            reason: missing.join("; "),
        };
    }
    let has = |kind: &str| ptz.spaces.iter().any(|s| s.contains(kind));
    let relative_zoom =
        config.is_some_and(|c| c.default_relative_zoom.is_some()) && has("ZoomSpaces/Translation");
    let absolute_zoom =
        config.is_some_and(|c| c.default_absolute_zoom.is_some()) && has("ZoomSpaces/Position");
    let zoom = match (relative_zoom, absolute_zoom) {
        (true, true) => "relative or absolute zooming",
        (true, false) => "relative zooming only",
        (false, true) => "absolute zooming only",
        (false, false) => "no zooming",
    };
    Readiness {
        ready: true,
        reason: format!("FOV relative pan/tilt and MoveStatus present; {zoom}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        crate::test_fixture_str(&format!("onvif/agsh/{name}"))
    }

    #[test]
    fn services_by_namespace() {
        let xml = fixture("GetServices.xml");
        let listed = super::super::soap::services(&xml);
        assert_eq!(
            service_names(&listed),
            ["device", "deviceio", "events", "imaging", "media", "ptz"]
        );
        assert_eq!(
            service_name(" http://www.onvif.org/ver20/media/wsdl "),
            Some("media2")
        );
        assert_eq!(service_name("http://example.com/x"), None);
    }

    #[test]
    fn profiles_claimed_in_scopes() {
        let scopes: Vec<String> = [
            "onvif://www.onvif.org/Profile/Streaming",
            "onvif://www.onvif.org/Profile/T",
            "onvif://www.onvif.org/profile/g",
            "onvif://www.onvif.org/Profile/S",
            "onvif://www.onvif.org/Profile/Q",
            "onvif://www.onvif.org/type/video_encoder",
            "onvif://www.onvif.org/Profile/",
            "onvif://",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(profiles_from_scopes(&scopes), ["G", "S", "T"]);
    }

    /// GetNodes, GetStatus, the event service's capabilities and GetEventProperties as agsh/onvif
    /// stores them (tests/fixtures/onvif/README.md).
    #[test]
    fn captured_ptz_replies() {
        let p = ptz_nodes(&fixture("GetNodes.xml")).unwrap();
        assert_eq!(p.nodes, 1);
        assert!(p.absolute && p.relative && p.continuous && p.home);
        assert!(!p.fov_relative);
        assert_eq!(p.presets, Some(360));
        assert_eq!(p.spaces.len(), 8, "{:?}", p.spaces);
        assert!(p.spaces.contains(
            &"http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationGenericSpace".into()
        ));
        assert_eq!(
            ptz_status_has_move_status(&fixture("GetStatus.xml")),
            Some(true)
        );
        assert_eq!(ptz_status_has_move_status(&fixture("GetNodes.xml")), None);
    }

    #[test]
    fn captured_event_replies() {
        assert_eq!(
            event_capabilities(&fixture("events.GetServiceCapabilities.xml")),
            (Some(true), Some(false))
        );
        let topics = event_topics(&fixture("GetEventProperties.xml"));
        assert_eq!(
            topics,
            [
                "tns1:Device/Trigger/DigitalInput",
                "tns1:Device/tnsaxis:IO/Port",
                "tns1:VideoAnalytics/tnsaxis:MotionDetection",
                "tns1:VideoSource/MotionAlarm",
            ]
        );
    }

    #[test]
    fn fov_space_configuration_and_readiness() {
        // Shaped as ONVIF PTZ §5.7 describes a node; not a capture.
        let nodes = r#"<Envelope><Body><GetNodesResponse><PTZNode token="n"><SupportedPTZSpaces>
            <RelativePanTiltTranslationSpace><URI>http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov</URI></RelativePanTiltTranslationSpace>
            <RelativeZoomTranslationSpace><URI>http://www.onvif.org/ver10/tptz/ZoomSpaces/TranslationGenericSpace</URI></RelativeZoomTranslationSpace>
            </SupportedPTZSpaces><HomeSupported>false</HomeSupported></PTZNode></GetNodesResponse></Body></Envelope>"#;
        let mut p = ptz_nodes(nodes).unwrap();
        assert!(p.fov_relative && p.relative && !p.absolute && !p.home);
        let profiles = r#"<Envelope><Body><GetProfilesResponse><Profiles token="A"><Name>a</Name></Profiles>
            <Profiles token="B"><PTZConfiguration token="c"><DefaultRelativePanTiltTranslationSpace>http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov</DefaultRelativePanTiltTranslationSpace>
            <DefaultRelativeZoomTranslationSpace>z</DefaultRelativeZoomTranslationSpace></PTZConfiguration></Profiles></GetProfilesResponse></Body></Envelope>"#;
        let (token, config) = ptz_configuration(profiles).unwrap();
        assert_eq!(token.as_deref(), Some("B"));
        let r = frigate_autotracking(&p, Some(&config), Some(true));
        assert!(!r.ready);
        assert_eq!(r.reason, "GetStatus reports no MoveStatus");
        p.move_status = Some(true);
        let r = frigate_autotracking(&p, Some(&config), Some(true));
        assert!(r.ready, "{r:?}");
        assert!(r.reason.ends_with("relative zooming only"), "{r:?}");
        let r = frigate_autotracking(&p, None, None);
        assert!(!r.ready && r.reason.contains("DefaultRelativePanTiltTranslationSpace"));
        let caps = r#"<Capabilities EFlip="false" MoveStatus="true" StatusPosition="true"/>"#;
        assert_eq!(ptz_move_status_capability(caps), Some(true));
        let media2 = r#"<GetProfilesResponse><Profiles token="M"><Configurations><PTZ token="p"><DefaultAbsoluteZoomPositionSpace>a</DefaultAbsoluteZoomPositionSpace></PTZ></Configurations></Profiles></GetProfilesResponse>"#;
        let (token, config) = ptz_configuration(media2).unwrap();
        assert_eq!(
            (token.as_deref(), config.default_absolute_zoom.as_deref()),
            (Some("M"), Some("a"))
        );
    }

    #[test]
    fn hostile_topic_sets_are_bounded() {
        let mut deep = String::from("<TopicSet>");
        for i in 0..200 {
            deep.push_str(&format!("<t{i} topic=\"true\">"));
        }
        let topics = event_topics(&deep);
        assert!(topics.len() <= MAX_TOPIC_DEPTH, "{topics:?}");
        assert!(
            topics
                .iter()
                .all(|t| t.split('/').count() <= MAX_TOPIC_DEPTH)
        );
        let mut wide = String::from("<TopicSet>");
        for i in 0..500 {
            wide.push_str(&format!("<a:x{i} wstop:topic=\"true\"/>"));
        }
        wide.push_str("</TopicSet>");
        assert_eq!(event_topics(&wide).len(), MAX_TOPICS);
        for junk in [
            "",
            "<",
            "<TopicSet><a topic='true'><MessageDescription><b topic='true'/>",
            "\u{0}<x",
        ] {
            let _ = event_topics(junk);
            let _ = ptz_nodes(junk);
            let _ = ptz_configuration(junk);
            let _ = event_capabilities(junk);
            let _ = ptz_status_has_move_status(junk);
        }
        assert_eq!(
            event_topics(
                "<TopicSet><a><MessageDescription><b topic='true'/></MessageDescription></a></TopicSet>"
            ),
            Vec::<String>::new()
        );
    }
}
