//! ONVIF SOAP: request envelopes (with WS-UsernameToken) and lenient readers of the replies camscan
//! needs. Facts and call order, with their sources (go2rtc `pkg/onvif`, Home Assistant, agsh/onvif
//! issues): `docs/design/protocols.md`, "ONVIF call order". Replies are read by local name, so any
//! namespace prefix works.

use base64::Engine;
use sha1::{Digest, Sha1};

use super::xml::{Node, first_text, walk};

pub const NS_DEVICE: &str = "http://www.onvif.org/ver10/device/wsdl";
pub const NS_MEDIA: &str = "http://www.onvif.org/ver10/media/wsdl";
pub const NS_MEDIA2: &str = "http://www.onvif.org/ver20/media/wsdl";
pub const NS_SCHEMA: &str = "http://www.onvif.org/ver10/schema";

/// How a request proves who sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Base64(SHA1(nonce ‖ created ‖ password)): the password never travels.
    Digest,
    /// The password in clear text (some devices accept nothing else).
    Text,
}

/// The WS-Security header for `user`/`password`, stamped `created` (the *device's* clock, RFC 3339
/// UTC: a skewed camera clock is the first cause of NotAuthorized, agsh/onvif#249).
pub fn username_token(
    kind: TokenKind,
    user: &str,
    password: &str,
    nonce: &[u8],
    created: &str,
) -> String {
    let (ptype, pass) = match kind {
        TokenKind::Digest => {
            let mut h = Sha1::new();
            h.update(nonce);
            h.update(created.as_bytes());
            h.update(password.as_bytes());
            (
                "PasswordDigest",
                base64::engine::general_purpose::STANDARD.encode(h.finalize()),
            )
        }
        TokenKind::Text => ("PasswordText", escape(password)),
    };
    format!(
        concat!(
            r#"<wsse:Security s:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" "#,
            r#"xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">"#,
            r#"<wsse:UsernameToken><wsse:Username>{user}</wsse:Username>"#,
            r#"<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#{ptype}">{pass}</wsse:Password>"#,
            r#"<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">{nonce}</wsse:Nonce>"#,
            r#"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"#
        ),
        user = escape(user),
        ptype = ptype,
        pass = pass,
        nonce = base64::engine::general_purpose::STANDARD.encode(nonce),
        created = created,
    )
}

/// A SOAP 1.2 envelope around `body`, with an optional security header.
pub fn envelope(security: Option<&str>, body: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="{dev}" xmlns:trt="{media}" xmlns:tr2="{media2}" xmlns:tt="{schema}">"#,
            r#"<s:Header>{sec}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#
        ),
        dev = NS_DEVICE,
        media = NS_MEDIA,
        media2 = NS_MEDIA2,
        schema = NS_SCHEMA,
        sec = security.unwrap_or_default(),
        body = body
    )
}

pub const GET_SYSTEM_DATE_AND_TIME: &str = "<tds:GetSystemDateAndTime/>";
pub const GET_DEVICE_INFORMATION: &str = "<tds:GetDeviceInformation/>";
pub const GET_NETWORK_INTERFACES: &str = "<tds:GetNetworkInterfaces/>";
pub const GET_CAPABILITIES: &str =
    "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>";
pub const GET_PROFILES: &str = "<trt:GetProfiles/>";
pub const GET_SERVICES: &str =
    "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>";
/// Media2 GetProfiles: every configuration of every profile (H.265 profiles exist only here).
pub const GET_PROFILES2: &str = "<tr2:GetProfiles><tr2:Type>All</tr2:Type></tr2:GetProfiles>";

pub fn get_stream_uri2(token: &str) -> String {
    format!(
        "<tr2:GetStreamUri><tr2:Protocol>RTSP</tr2:Protocol><tr2:ProfileToken>{}</tr2:ProfileToken></tr2:GetStreamUri>",
        escape(token)
    )
}

pub fn get_snapshot_uri2(token: &str) -> String {
    format!(
        "<tr2:GetSnapshotUri><tr2:ProfileToken>{}</tr2:ProfileToken></tr2:GetSnapshotUri>",
        escape(token)
    )
}

/// The PTZ service's namespace (ONVIF PTZ Service Specification, WSDL `ver20/ptz/wsdl`).
pub const NS_PTZ: &str = "http://www.onvif.org/ver20/ptz/wsdl";
/// The event service's namespace (ONVIF Core §9, WSDL `ver10/events/wsdl`).
pub const NS_EVENTS: &str = "http://www.onvif.org/ver10/events/wsdl";

/// PTZ GetNodes (ONVIF PTZ Service Specification §5.3.1).
pub const GET_PTZ_NODES: &str =
    r#"<tptz:GetNodes xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl"/>"#;
/// PTZ GetConfigurations (§5.2.1).
pub const GET_PTZ_CONFIGURATIONS: &str =
    r#"<tptz:GetConfigurations xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl"/>"#;
/// PTZ GetServiceCapabilities (§5.1).
pub const GET_PTZ_SERVICE_CAPABILITIES: &str =
    r#"<tptz:GetServiceCapabilities xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl"/>"#;
/// Events GetServiceCapabilities (ONVIF Core §9.2).
pub const GET_EVENT_SERVICE_CAPABILITIES: &str =
    r#"<tev:GetServiceCapabilities xmlns:tev="http://www.onvif.org/ver10/events/wsdl"/>"#;
/// Events GetEventProperties (ONVIF Core §9.5.6).
pub const GET_EVENT_PROPERTIES: &str =
    r#"<tev:GetEventProperties xmlns:tev="http://www.onvif.org/ver10/events/wsdl"/>"#;

/// PTZ GetStatus of a media profile (§5.4).
pub fn get_ptz_status(token: &str) -> String {
    format!(
        r#"<tptz:GetStatus xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl"><tptz:ProfileToken>{}</tptz:ProfileToken></tptz:GetStatus>"#,
        escape(token)
    )
}

/// A service's address from GetCapabilities (`Capabilities/<category>/XAddr`: `Media`, `PTZ`,
/// `Events`...; ONVIF Core §8.1.2.2), for devices without GetServices.
pub fn capability_xaddr(xml: &str, category: &str) -> Option<String> {
    let mut found = None;
    walk(xml, |n| {
        if let Node::End(p, text) = n
            && found.is_none()
            && p.last().is_some_and(|l| l == "XAddr")
            && p.iter()
                .rev()
                .nth(1)
                .is_some_and(|parent| parent == category)
            && !text.is_empty()
        {
            found = Some(clip(text));
        }
    });
    found
}

/// Most services kept from GetServices.
pub const MAX_SERVICES: usize = 64;

/// GetServices: `(namespace, XAddr)` of each service.
pub fn services(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let (mut ns, mut xaddr) = (None, None);
    walk(xml, |n| {
        let Node::End(p, text) = n else { return };
        let parent_is_service = p.len() >= 2 && p[p.len() - 2] == "Service";
        match p.last().map(String::as_str) {
            Some("Namespace") if parent_is_service => ns = Some(clip(text)),
            Some("XAddr") if parent_is_service => xaddr = Some(clip(text)),
            Some("Service") => {
                if let (Some(n), Some(x)) = (ns.take(), xaddr.take())
                    && out.len() < MAX_SERVICES
                {
                    out.push((n, x));
                }
            }
            _ => {}
        }
    });
    out
}

pub fn get_stream_uri(token: &str) -> String {
    format!(
        "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>{}</trt:ProfileToken></trt:GetStreamUri>",
        escape(token)
    )
}

pub fn get_snapshot_uri(token: &str) -> String {
    format!(
        "<trt:GetSnapshotUri><trt:ProfileToken>{}</trt:ProfileToken></trt:GetSnapshotUri>",
        escape(token)
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// A SOAP fault: its reason and the most specific subcode (`ter:NotAuthorized`, `ter:ActionNotSupported`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub subcode: Option<String>,
    pub reason: Option<String>,
}

impl Fault {
    /// Credentials refused (ONVIF Core §5.11.2.1 `ter:NotAuthorized`; some devices say `Sender` only
    /// with a reason naming authentication).
    pub fn is_not_authorized(&self) -> bool {
        let has = |s: &Option<String>, n: &str| {
            s.as_deref()
                .is_some_and(|v| v.to_ascii_lowercase().contains(n))
        };
        has(&self.subcode, "notauthorized")
            || has(&self.reason, "not authorized")
            || has(&self.reason, "authority")
    }
}

pub fn fault(xml: &str) -> Option<Fault> {
    let mut in_fault = false;
    let mut f = Fault {
        subcode: None,
        reason: None,
    };
    walk(xml, |n| match n {
        Node::Start(p) if p.last().is_some_and(|l| l == "Fault") => in_fault = true,
        Node::End(p, text) if in_fault => match p.last().map(String::as_str) {
            // The innermost Subcode/Value wins.
            Some("Value") if p.iter().any(|x| x == "Subcode") && !text.is_empty() => {
                f.subcode = Some(clip(text))
            }
            Some("Value") if f.subcode.is_none() && !text.is_empty() => {
                f.subcode = Some(clip(text))
            }
            Some("Text") if f.reason.is_none() => f.reason = Some(clip(text)),
            Some("faultstring") => f.reason = Some(clip(text)),
            _ => {}
        },
        _ => {}
    });
    in_fault.then_some(f)
}

fn clip(s: &str) -> String {
    s.chars().take(256).collect()
}

/// GetSystemDateAndTime: the device's UTC clock as seconds since the Unix epoch.
pub fn system_date_time_utc(xml: &str) -> Option<i64> {
    let mut in_utc = false;
    let mut v = [None::<i64>; 6];
    walk(xml, |n| match n {
        Node::Start(p) if p.last().is_some_and(|l| l == "UTCDateTime") => in_utc = true,
        Node::End(p, _) if p.last().is_some_and(|l| l == "UTCDateTime") => in_utc = false,
        Node::End(p, text) if in_utc => {
            let i = match p.last().map(String::as_str) {
                Some("Year") => 0,
                Some("Month") => 1,
                Some("Day") => 2,
                Some("Hour") => 3,
                Some("Minute") => 4,
                Some("Second") => 5,
                _ => return,
            };
            v[i] = text.trim().parse().ok();
        }
        _ => {}
    });
    let [y, mo, d, h, mi, s] = v;
    let dt = jiff::civil::DateTime::new(
        i16::try_from(y?).ok()?,
        i8::try_from(mo?).ok()?,
        i8::try_from(d?).ok()?,
        i8::try_from(h?).ok()?,
        i8::try_from(mi?).ok()?,
        i8::try_from(s?).ok()?,
        0,
    )
    .ok()?;
    Some(
        dt.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_second(),
    )
}

/// GetDeviceInformation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceInformation {
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub serial: Option<String>,
    pub hardware_id: Option<String>,
}

pub fn device_information(xml: &str) -> Option<DeviceInformation> {
    let get = |n: &str| {
        first_text(xml, n)
            .filter(|t| !t.is_empty())
            .map(|t| clip(&t))
    };
    let info = DeviceInformation {
        manufacturer: get("Manufacturer"),
        model: get("Model"),
        firmware: get("FirmwareVersion"),
        serial: get("SerialNumber"),
        hardware_id: get("HardwareId"),
    };
    (info != DeviceInformation::default()).then_some(info)
}

/// GetNetworkInterfaces: the MAC (`Info/HwAddress`) of the first interface whose `Enabled` is
/// true, as Home Assistant's ONVIF integration takes it for a camera's identity
/// (`components/onvif/config_flow.py` `async_setup_profiles`).
pub fn first_enabled_mac(xml: &str) -> Option<String> {
    let mut out: Option<String> = None;
    let (mut enabled, mut hw) = (false, None::<String>);
    walk(xml, |n| match n {
        Node::Start(p) if p.last().is_some_and(|l| l == "NetworkInterfaces") => {
            enabled = false;
            hw = None;
        }
        Node::End(p, text) if p.iter().any(|x| x == "NetworkInterfaces") => {
            match p.last().map(String::as_str) {
                Some("Enabled") if p.len() >= 2 && p[p.len() - 2] == "NetworkInterfaces" => {
                    enabled = matches!(text.trim(), "true" | "1");
                }
                Some("HwAddress") => hw = Some(clip(text.trim())),
                Some("NetworkInterfaces") if out.is_none() && enabled => out = hw.take(),
                _ => {}
            }
        }
        _ => {}
    });
    out.filter(|m| !m.is_empty())
}

/// The Media service address from GetCapabilities (`Capabilities/Media/XAddr`).
pub fn media_xaddr(xml: &str) -> Option<String> {
    let mut found = None;
    walk(xml, |n| {
        if let Node::End(p, text) = n
            && found.is_none()
            && p.last().is_some_and(|l| l == "XAddr")
            && p.iter()
                .rev()
                .nth(1)
                .is_some_and(|parent| parent == "Media")
        {
            found = Some(clip(text));
        }
    });
    found
}

/// One media profile from GetProfiles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub token: String,
    pub name: Option<String>,
    /// `H264`, `JPEG`, `MPEG4`; Media2 adds `H265`.
    pub encoding: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fps: Option<f64>,
    /// The physical video input the profile streams (`SourceToken` of its video source
    /// configuration): Media1 `Profiles/VideoSourceConfiguration/SourceToken` (ONVIF Media Service
    /// Specification §5.2.2 GetProfiles, §5.4 "Video source configuration"; `tt:Profile` in
    /// `ver10/schema/onvif.xsd`), Media2 `Profiles/Configurations/VideoSource/SourceToken` (ONVIF
    /// Media2 Service Specification §5.1.2 GetProfiles: `Type` `All` returns every configuration,
    /// §5.2.2 "Video source configuration"; `tr2:ConfigurationSet/VideoSource` in
    /// `ver20/media/wsdl/media.wsdl`). `tt:VideoSourceConfiguration/SourceToken` is the
    /// "reference to the physical input": an NVR or encoder has one video source per channel.
    pub source_token: Option<String>,
    /// That video source configuration's `Name` (`tt:ConfigurationEntity/Name`), when present.
    pub source_name: Option<String>,
}

/// Most profiles kept (go2rtc stops at 10; NVRs have one per channel and stream).
pub const MAX_PROFILES: usize = 64;

pub fn profiles(xml: &str) -> Vec<Profile> {
    let mut out: Vec<Profile> = Vec::new();
    let mut current: Option<Profile> = None;
    let mut reader = quick_xml::reader::Reader::from_str(xml);
    // Profile tokens are attributes, which the text walk does not see: read them here.
    let mut tokens: Vec<String> = Vec::new();
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) | Ok(quick_xml::events::Event::Empty(e))
                if e.local_name().as_ref() == "Profiles" =>
            {
                let token = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == "token")
                    .and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(|v| clip(&v))
                    })
                    .unwrap_or_default();
                tokens.push(token);
                if tokens.len() >= MAX_PROFILES {
                    break;
                }
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    let mut index = 0;
    walk(xml, |n| match n {
        Node::Start(p) if p.last().is_some_and(|l| l == "Profiles") => {
            current = Some(Profile {
                token: tokens.get(index).cloned().unwrap_or_default(),
                ..Default::default()
            });
            index += 1;
        }
        Node::End(p, text) => {
            let Some(prof) = current.as_mut() else { return };
            // Media1 `VideoEncoderConfiguration`; Media2 `Configurations/VideoEncoder`.
            let in_encoder = p
                .iter()
                .any(|x| x == "VideoEncoderConfiguration" || x == "VideoEncoder");
            // The profile's own video source configuration: Media1 `Profiles/
            // VideoSourceConfiguration`, Media2 `Profiles/Configurations/VideoSource` (not an
            // audio source's `SourceToken`, nor one nested deeper).
            let in_source = matches!(p, [.., pr, vs, _]
                    if pr == "Profiles" && vs == "VideoSourceConfiguration")
                || matches!(p, [.., pr, cs, vs, _]
                    if pr == "Profiles" && cs == "Configurations" && vs == "VideoSource");
            match p.last().map(String::as_str) {
                Some("SourceToken") if in_source && !text.is_empty() => {
                    prof.source_token = Some(clip(text))
                }
                Some("Name") if in_source && !text.is_empty() => {
                    prof.source_name = Some(clip(text))
                }
                Some("Name") if p.len() >= 2 && p[p.len() - 2] == "Profiles" => {
                    prof.name = Some(clip(text))
                }
                Some("Encoding") if in_encoder => prof.encoding = Some(clip(text)),
                Some("Width") if in_encoder => prof.width = text.parse().ok(),
                Some("Height") if in_encoder => prof.height = text.parse().ok(),
                Some("FrameRateLimit") if in_encoder => prof.fps = text.parse().ok(),
                Some("Profiles") => {
                    if let Some(done) = current.take()
                        && out.len() < MAX_PROFILES
                    {
                        out.push(done);
                    }
                }
                _ => {}
            }
        }
        _ => {}
    });
    out
}

/// GetStreamUri / GetSnapshotUri: `MediaUri/Uri`.
pub fn media_uri(xml: &str) -> Option<String> {
    first_text(xml, "Uri")
        .filter(|u| !u.is_empty())
        .map(|u| clip(&u))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Home Assistant's identity of an ONVIF camera: the first enabled interface's MAC (ONVIF
    /// Core's GetNetworkInterfacesResponse shape), never a disabled one's.
    #[test]
    fn the_first_enabled_interfaces_mac() {
        let xml = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body><tds:GetNetworkInterfacesResponse>
<tds:NetworkInterfaces token="eth1"><tt:Enabled>false</tt:Enabled><tt:Info><tt:Name>eth1</tt:Name><tt:HwAddress>00:11:22:33:44:01</tt:HwAddress></tt:Info></tds:NetworkInterfaces>
<tds:NetworkInterfaces token="eth0"><tt:Enabled>true</tt:Enabled><tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>00:11:22:33:44:00</tt:HwAddress><tt:MTU>1500</tt:MTU></tt:Info><tt:IPv4><tt:Enabled>true</tt:Enabled></tt:IPv4></tds:NetworkInterfaces>
</tds:GetNetworkInterfacesResponse></s:Body></s:Envelope>"#;
        assert_eq!(first_enabled_mac(xml).as_deref(), Some("00:11:22:33:44:00"));
        assert_eq!(first_enabled_mac("<a>"), None);
        assert_eq!(
            first_enabled_mac("<NetworkInterfaces><Enabled>true</Enabled></NetworkInterfaces>"),
            None
        );
    }

    #[test]
    fn password_digest_matches_the_onvif_formula() {
        // Base64(SHA1(nonce ‖ created ‖ password)), computed independently:
        // printf 'abcdefghijklmnop2026-01-01T00:00:00Zsecret' | sha1sum | xxd -r -p | base64
        let t = username_token(
            TokenKind::Digest,
            "admin",
            "secret",
            b"abcdefghijklmnop",
            "2026-01-01T00:00:00Z",
        );
        assert!(t.contains("#PasswordDigest\">"), "{t}");
        let digest = first_text(&format!("<r>{t}</r>"), "Password").unwrap();
        assert_eq!(digest, digest_fixture());
        assert!(t.contains("YWJjZGVmZ2hpamtsbW5vcA=="), "nonce base64");
        let t = username_token(TokenKind::Text, "a<b", "p&w", b"n", "c");
        assert!(t.contains("PasswordText\">p&amp;w<") && t.contains("a&lt;b"));
    }

    fn digest_fixture() -> String {
        crate::test_fixture_str("onvif/password_digest.txt")
            .trim_ascii()
            .to_string()
    }

    #[test]
    fn faults() {
        let xml = r#"<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error"><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">Sender not Authorized</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>"#;
        let f = fault(xml).unwrap();
        assert_eq!(f.subcode.as_deref(), Some("ter:NotAuthorized"));
        assert!(f.is_not_authorized());
        assert_eq!(fault("<Envelope><Body><X/></Body></Envelope>"), None);
    }

    #[test]
    fn date_time_profiles_uri() {
        let dt = r#"<s:Envelope><s:Body><tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:UTCDateTime><tt:Time><tt:Hour>12</tt:Hour><tt:Minute>0</tt:Minute><tt:Second>5</tt:Second></tt:Time><tt:Date><tt:Year>2026</tt:Year><tt:Month>11</tt:Month><tt:Day>22</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse></s:Body></s:Envelope>"#;
        assert_eq!(system_date_time_utc(dt), Some(1_795_348_805));
        let p = r#"<Envelope><Body><GetProfilesResponse><trt:Profiles token="Profile_1" fixed="true"><tt:Name>mainStream</tt:Name><tt:VideoEncoderConfiguration token="V1"><tt:Name>enc</tt:Name><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>1280</tt:Width><tt:Height>720</tt:Height></tt:Resolution><tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit></tt:RateControl></tt:VideoEncoderConfiguration></trt:Profiles><trt:Profiles token="Profile_2"><tt:Name>sub</tt:Name></trt:Profiles></GetProfilesResponse></Body></Envelope>"#;
        let ps = profiles(p);
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].token, "Profile_1");
        assert_eq!(ps[0].name.as_deref(), Some("mainStream"));
        assert_eq!(
            (
                ps[0].encoding.as_deref(),
                ps[0].width,
                ps[0].height,
                ps[0].fps
            ),
            (Some("H264"), Some(1280), Some(720), Some(25.0))
        );
        assert_eq!(ps[1].token, "Profile_2");
        let u = r#"<Envelope><Body><GetStreamUriResponse><MediaUri><tt:Uri>rtsp://10.0.0.2:554/Streaming/Channels/101?transportmode=unicast&amp;profile=Profile_1</tt:Uri></MediaUri></GetStreamUriResponse></Body></Envelope>"#;
        assert_eq!(
            media_uri(u).as_deref(),
            Some(
                "rtsp://10.0.0.2:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1"
            )
        );
        let caps = r#"<Envelope><Body><Capabilities><Device><XAddr>http://d</XAddr></Device><Media><XAddr>http://10.0.0.2/onvif/Media</XAddr></Media></Capabilities></Body></Envelope>"#;
        assert_eq!(
            media_xaddr(caps).as_deref(),
            Some("http://10.0.0.2/onvif/Media")
        );
    }

    /// Replies captured from the lab's ONVIF device (tests/lab/responders/onvif_device.py).
    #[test]
    fn lab_device_fixtures() {
        let f = |n: &str| crate::test_fixture_str(&format!("../lab/responders/fixtures/{n}"));
        let info = device_information(&f("onvif_GetDeviceInformation.xml")).unwrap();
        assert_eq!(info.manufacturer.as_deref(), Some("HIKVISION"));
        assert_eq!(
            info.serial.as_deref(),
            Some("DS-2CD2043G2-I20230101AAWRJ12345678")
        );
        let ps = profiles(&f("onvif_GetProfiles.xml"));
        assert_eq!(ps.len(), 2);
        assert_eq!(
            (
                ps[0].token.as_str(),
                ps[0].name.as_deref(),
                ps[0].width,
                ps[0].fps
            ),
            ("Profile_1", Some("mainStream"), Some(1280), Some(25.0))
        );
        assert!(
            ps.iter()
                .all(|p| p.source_token.as_deref() == Some("VideoSource_1"))
        );
        assert_eq!(
            media_uri(&f("onvif_GetStreamUri.xml")).as_deref(),
            Some("rtsp://198.18.0.11:554/Streaming/Channels/101")
        );
        assert!(
            fault(&f("onvif_Fault_NotAuthorized.xml"))
                .unwrap()
                .is_not_authorized()
        );
        assert!(
            !fault(&f("onvif_Fault_ActionNotSupported.xml"))
                .unwrap()
                .is_not_authorized()
        );
        assert!(system_date_time_utc(&f("onvif_GetSystemDateAndTime.xml")).is_some());
        assert!(
            media_xaddr(&f("onvif_GetCapabilities.xml"))
                .unwrap()
                .starts_with("http://")
        );
    }

    /// An NVR's profiles (ONVIF Media Service Specification §5.2.2, Media2 §5.1.2): two video
    /// sources, two profiles each; written from the schemas (`tt:Profile`,
    /// `tr2:ConfigurationSet`), not captured. An audio source's `SourceToken` is not the video's.
    #[test]
    fn profiles_name_their_video_source() {
        let m1 = r#"<Envelope><Body><trt:GetProfilesResponse>
            <trt:Profiles token="P101"><tt:Name>ch1 main</tt:Name>
            <tt:VideoSourceConfiguration token="VSC1"><tt:Name>Gate</tt:Name><tt:UseCount>2</tt:UseCount>
            <tt:SourceToken>VS_1</tt:SourceToken><tt:Bounds x="0" y="0" width="640" height="360"/>
            </tt:VideoSourceConfiguration>
            <tt:AudioSourceConfiguration token="ASC1"><tt:Name>mic</tt:Name>
            <tt:SourceToken>AS_1</tt:SourceToken></tt:AudioSourceConfiguration></trt:Profiles>
            <trt:Profiles token="P201"><tt:Name>ch2 main</tt:Name>
            <tt:AudioSourceConfiguration token="ASC2"><tt:SourceToken>AS_2</tt:SourceToken>
            </tt:AudioSourceConfiguration>
            <tt:VideoSourceConfiguration token="VSC2"><tt:Name></tt:Name>
            <tt:SourceToken> VS_2 </tt:SourceToken></tt:VideoSourceConfiguration></trt:Profiles>
            <trt:Profiles token="P301"><tt:Name>no source</tt:Name></trt:Profiles>
            </trt:GetProfilesResponse></Body></Envelope>"#;
        let ps = profiles(m1);
        let got: Vec<_> = ps
            .iter()
            .map(|p| (p.source_token.as_deref(), p.source_name.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (Some("VS_1"), Some("Gate")),
                (Some("VS_2"), None),
                (None, None)
            ]
        );
        assert_eq!(
            ps[0].name.as_deref(),
            Some("ch1 main"),
            "the profile's own name"
        );
        let m2 = r#"<Envelope><Body><tr2:GetProfilesResponse>
            <tr2:Profiles token="P101" fixed="true"><tr2:Name>main</tr2:Name><tr2:Configurations>
            <tr2:AudioSource token="A1"><tt:Name>mic</tt:Name><tt:SourceToken>AS_1</tt:SourceToken></tr2:AudioSource>
            <tr2:VideoSource token="V1"><tt:Name>Yard</tt:Name><tt:SourceToken>VS_2</tt:SourceToken>
            </tr2:VideoSource></tr2:Configurations></tr2:Profiles>
            </tr2:GetProfilesResponse></Body></Envelope>"#;
        let ps = profiles(m2);
        assert_eq!(
            (ps[0].source_token.as_deref(), ps[0].source_name.as_deref()),
            (Some("VS_2"), Some("Yard"))
        );
        assert_eq!(ps[0].name.as_deref(), Some("main"));
    }

    #[test]
    fn junk_never_panics() {
        for j in [
            "",
            "<",
            "<Envelope><Body><Profiles token=",
            "<Fault><Value>",
            "<UTCDateTime><Year>99999</Year>",
        ] {
            let _ = (
                fault(j),
                system_date_time_utc(j),
                device_information(j),
                media_xaddr(j),
                profiles(j),
                media_uri(j),
            );
        }
    }

    #[test]
    fn media2_profiles_and_services() {
        let services_xml = r#"<env:Envelope><env:Body><tds:GetServicesResponse>
            <tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl</tds:Namespace>
            <tds:XAddr>http://10.0.0.2/onvif/device_service</tds:XAddr><tds:Version><tt:Major>2</tt:Major></tds:Version></tds:Service>
            <tds:Service><tds:Namespace>http://www.onvif.org/ver20/media/wsdl</tds:Namespace>
            <tds:XAddr>http://10.0.0.2/onvif/Media2</tds:XAddr></tds:Service>
            <tds:Service><tds:Namespace>broken, no xaddr</tds:Namespace></tds:Service>
            </tds:GetServicesResponse></env:Body></env:Envelope>"#;
        assert_eq!(
            services(services_xml),
            [
                (
                    NS_DEVICE.to_string(),
                    "http://10.0.0.2/onvif/device_service".to_string()
                ),
                (
                    NS_MEDIA2.to_string(),
                    "http://10.0.0.2/onvif/Media2".to_string()
                ),
            ]
        );
        let p2 = r#"<Envelope><Body><tr2:GetProfilesResponse><tr2:Profiles token="Profile_101" fixed="true">
            <tr2:Name>mainStream</tr2:Name><tr2:Configurations><tr2:VideoSource token="VS1"><tt:Name>src</tt:Name>
            <tt:Bounds x="0" y="0" width="2560" height="1440"/></tr2:VideoSource>
            <tr2:VideoEncoder token="VE1" GovLength="50" Profile="Main"><tt:Name>enc</tt:Name>
            <tt:Encoding>H265</tt:Encoding><tt:Resolution><tt:Width>2560</tt:Width><tt:Height>1440</tt:Height>
            </tt:Resolution><tt:RateControl ConstantBitRate="false"><tt:FrameRateLimit>20.000000</tt:FrameRateLimit>
            <tt:BitrateLimit>4096</tt:BitrateLimit></tt:RateControl></tr2:VideoEncoder></tr2:Configurations>
            </tr2:Profiles></tr2:GetProfilesResponse></Body></Envelope>"#;
        let ps = profiles(p2);
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].token, "Profile_101");
        assert_eq!(ps[0].encoding.as_deref(), Some("H265"));
        assert_eq!((ps[0].width, ps[0].height), (Some(2560), Some(1440)));
        assert_eq!(ps[0].fps, Some(20.0));
        let uri = r#"<Envelope><Body><tr2:GetStreamUriResponse><tr2:Uri>rtsp://10.0.0.2/Streaming/Channels/101</tr2:Uri></tr2:GetStreamUriResponse></Body></Envelope>"#;
        assert_eq!(
            media_uri(uri).as_deref(),
            Some("rtsp://10.0.0.2/Streaming/Channels/101")
        );
        assert!(get_stream_uri2("a<b").contains("<tr2:ProfileToken>a&lt;b</tr2:ProfileToken>"));
        assert!(
            envelope(None, GET_PROFILES2)
                .contains(r#"xmlns:tr2="http://www.onvif.org/ver20/media/wsdl""#)
        );
    }
}
