//! The audit's rules: pure functions from what a scan saw to findings, one small function per
//! finding id, each with its tests below. A rule only reads the device's description; it never
//! sends anything, and its evidence never holds a password or a session token (the report's
//! stream URLs carry none, and a credential is named by the devices it opens, never shown).

use std::collections::BTreeMap;

use super::{Context, DeviceRef, Finding, FindingId, Severity};
use model::{AuthScheme, Device, DiscoveryMethod, Protocol, Service, Stream};

mod tls;

pub use tls::{tls_certificates, tls_missing, tls_weak_protocol};

/// The ONVIF operations the Core Specification's PRE_AUTH access class lets anyone call
/// ("Access classes for service requests"): answering them without credentials is by design.
pub const ONVIF_PRE_AUTH: [&str; 7] = [
    "GetSystemDateAndTime",
    "GetServices",
    "GetServiceCapabilities",
    "GetCapabilities",
    "GetWsdlUrl",
    "GetEndpointReference",
    "GetHostname",
];

/// Operations whose open answer hands out the picture or the accounts: a high finding.
const ONVIF_SENSITIVE: [&str; 5] = [
    "GetProfiles",
    "GetStreamUri",
    "GetSnapshotUri",
    "GetUsers",
    "GetVideoSources",
];

/// Clock skew that breaks WS-Security logins (a device accepts a `Created` time within a few
/// seconds; ONVIF's own tests allow 5 s) and that makes event times useless as evidence.
const SKEW_MEDIUM_S: i64 = 5;
const SKEW_HIGH_S: i64 = 300;

/// Every rule that judges one device alone from what the scan saw (those that also read the
/// knowledge files are [`super::known`]'s).
pub fn device_rules(d: &Device, ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(stream_unauthenticated(d, ctx));
    out.extend(onvif_unauthenticated(d, ctx));
    out.extend(basic_auth_cleartext(d, ctx));
    out.extend(upnp_exposed(d, ctx));
    out.extend(clock_skew(d, ctx));
    out.extend(uninitialized_device(d, ctx));
    out.extend(cleartext_admin_service(d, ctx));
    out.extend(tls_certificates(d, ctx));
    out.extend(tls_missing(d, ctx));
    out.extend(snmp_default_community(d, ctx));
    out.extend(tls_weak_protocol(d, ctx));
    out.extend(ip_conflict(d, ctx));
    out.extend(digest_md5_only(d, ctx));
    out.extend(onvif_usernametoken_only(d, ctx));
    out
}

/// Every rule that compares devices.
pub fn across_devices(devices: &[Device], ctx: &Context) -> Vec<Finding> {
    credential_reuse(devices, ctx)
}

/// A finding of `d` with the id's fixed texts.
pub(super) fn finding(d: &Device, ctx: &Context, id: FindingId, severity: Severity) -> Finding {
    let t = texts(id);
    Finding {
        id,
        severity,
        title: t.title.to_string(),
        device: DeviceRef::of(d, ctx.site.as_deref()),
        port: None,
        stream: None,
        evidence: String::new(),
        why: t.why.to_string(),
        fix: t.fix.to_string(),
        vendor_fix: vendor_fix(id, d.vendor.as_deref()),
        source: t.source.to_string(),
    }
}

pub use super::texts::{Texts, texts};

/// The maker's own setting for a fix, where its documentation names one.
fn vendor_fix(id: FindingId, vendor: Option<&str>) -> Option<String> {
    let v = vendor?.to_ascii_lowercase();
    let text = match id {
        FindingId::StreamUnauthenticated | FindingId::BasicAuthCleartext if v.contains("axis") => {
            "Axis: System > Users: 'Allow anonymous viewers' off; System > Plain config > \
             Network: HTTP and RTSP authentication policy 'Digest'"
        }
        FindingId::StreamUnauthenticated | FindingId::BasicAuthCleartext
            if v.contains("hikvision") =>
        {
            "Hikvision: Configuration > System > Security > Authentication: RTSP and WEB \
             authentication 'digest'"
        }
        FindingId::OnvifUnauthenticated if v.contains("hikvision") => {
            "Hikvision: Configuration > Network > Advanced Settings > Integration Protocol: \
             add an ONVIF user and set authentication to 'Digest&ws-username token'"
        }
        FindingId::UpnpExposed if v.contains("axis") => {
            "Axis: System > Network > Network discovery protocols: UPnP off"
        }
        FindingId::UpnpExposed if v.contains("hikvision") => {
            "Hikvision: Configuration > Network > Basic Settings > NAT: UPnP off"
        }
        _ => return None,
    };
    Some(text.to_string())
}

fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Rtsp => "RTSP",
        Protocol::Http => "HTTP",
        Protocol::Rtmp => "RTMP",
        Protocol::Hls => "HLS",
        Protocol::Dash => "DASH",
        Protocol::Mjpeg => "MJPEG",
        Protocol::Jpeg => "snapshot",
        Protocol::Flv => "HTTP-FLV",
        Protocol::Ts => "MPEG-TS",
        Protocol::Webrtc => "WebRTC",
        Protocol::Telnet => "Telnet",
        Protocol::Ftp => "FTP",
        Protocol::Ssh => "SSH",
    }
}

/// What a stream showed, for evidence: codec and size, and whether the PLAY check delivered.
fn stream_facts(s: &Stream) -> String {
    let mut facts = Vec::new();
    if let Some(v) = &s.video {
        match (v.width, v.height) {
            (Some(w), Some(h)) => facts.push(format!("{} {w}x{h}", v.codec)),
            _ => facts.push(v.codec.clone()),
        }
    }
    if let Some(m) = &s.measured {
        facts.push(format!("{} packets in {} ms", m.packets, m.duration_ms));
    }
    facts.join(", ")
}

/// `stream-unauthenticated`: a stream that answered and played with no credential sent.
pub fn stream_unauthenticated(d: &Device, ctx: &Context) -> Vec<Finding> {
    d.streams
        .iter()
        .filter(|s| {
            s.status.answers()
                && s.username.is_none()
                && s.auth == AuthScheme::None
                && s.same_as.is_none()
        })
        .map(|s| {
            let asked = match s.protocol {
                Protocol::Rtsp => "DESCRIBE",
                Protocol::Rtmp => "play",
                Protocol::Webrtc => "offer",
                _ => "GET",
            };
            let played = if s.verified {
                "; the PLAY check received media"
            } else {
                ""
            };
            let facts = stream_facts(s);
            let facts = if facts.is_empty() {
                String::new()
            } else {
                format!(" ({facts})")
            };
            Finding {
                port: Some(s.port),
                stream: Some(s.url.clone()),
                evidence: format!(
                    "{} {asked} {} without credentials was answered with the stream{facts}{played}",
                    protocol_name(s.protocol),
                    s.url
                ),
                ..finding(d, ctx, FindingId::StreamUnauthenticated, Severity::High)
            }
        })
        .collect()
}

/// `onvif-unauthenticated`: device API operations beyond PRE_AUTH answered without credentials.
pub fn onvif_unauthenticated(d: &Device, ctx: &Context) -> Option<Finding> {
    let o = d.onvif.as_ref()?;
    let open: Vec<&str> = o
        .unauthenticated
        .iter()
        .map(String::as_str)
        .filter(|op| !ONVIF_PRE_AUTH.contains(op))
        .collect();
    if open.is_empty() {
        return None;
    }
    let severity = if open.iter().any(|op| ONVIF_SENSITIVE.contains(op)) {
        Severity::High
    } else {
        Severity::Medium
    };
    let at = o
        .xaddrs
        .first()
        .map(String::as_str)
        .unwrap_or("the device service");
    Some(Finding {
        port: o
            .xaddrs
            .first()
            .and_then(|x| url::Url::parse(x).ok())
            .and_then(|u| u.port_or_known_default()),
        evidence: format!(
            "{} at {at} answered without credentials (PRE_AUTH allows only {})",
            open.join(", "),
            ONVIF_PRE_AUTH[..4].join(", ") + ", ..."
        ),
        ..finding(d, ctx, FindingId::OnvifUnauthenticated, severity)
    })
}

fn is_tls(s: &Service) -> bool {
    s.tls.is_some()
}

/// `basic-auth-cleartext`: a port offering Basic (medium), or a stream that accepted a password
/// sent with Basic (high), without TLS. A port that offers only Digest is not flagged.
pub fn basic_auth_cleartext(d: &Device, ctx: &Context) -> Vec<Finding> {
    let mut by_port: BTreeMap<u16, Finding> = BTreeMap::new();
    for s in &d.services {
        if !matches!(s.protocol, Protocol::Rtsp | Protocol::Http)
            || is_tls(s)
            || !(s.offered.contains(&AuthScheme::Basic) || s.auth == AuthScheme::Basic)
        {
            continue;
        }
        let realm = s
            .realm
            .as_deref()
            .map(|r| format!(" realm=\"{r}\""))
            .unwrap_or_default();
        let others = if s.offered.contains(&AuthScheme::Digest) {
            " beside Digest"
        } else {
            " only"
        };
        by_port.insert(
            s.port,
            Finding {
                port: Some(s.port),
                evidence: format!(
                    "{} on port {} answered 401 with WWW-Authenticate: Basic{realm}{others}, \
                     without TLS",
                    protocol_name(s.protocol),
                    s.port
                ),
                ..finding(d, ctx, FindingId::BasicAuthCleartext, Severity::Medium)
            },
        );
    }
    let tls_port = |port: u16| d.services.iter().any(|s| s.port == port && is_tls(s));
    for s in &d.streams {
        if s.auth != AuthScheme::Basic
            || s.username.is_none()
            || !s.status.answers()
            || s.url.starts_with("https:")
            || s.url.starts_with("rtsps:")
            || tls_port(s.port)
        {
            continue;
        }
        by_port.insert(
            s.port,
            Finding {
                severity: Severity::High,
                port: Some(s.port),
                stream: Some(s.url.clone()),
                evidence: format!(
                    "{} {} accepted a password sent with Basic (in the clear; the password is \
                     not shown here)",
                    protocol_name(s.protocol),
                    s.url
                ),
                ..finding(d, ctx, FindingId::BasicAuthCleartext, Severity::High)
            },
        );
    }
    by_port.into_values().collect()
}

/// `upnp-exposed`: the device answered SSDP.
pub fn upnp_exposed(d: &Device, ctx: &Context) -> Option<Finding> {
    if !d.discovered_by.contains(&DiscoveryMethod::Ssdp) {
        return None;
    }
    let what = d
        .upnp
        .as_ref()
        .and_then(|u| u.device_type.clone().or_else(|| u.friendly_name.clone()))
        .map(|t| format!(" as {t}"))
        .unwrap_or_default();
    Some(Finding {
        evidence: format!("answered an SSDP M-SEARCH{what}"),
        ..finding(d, ctx, FindingId::UpnpExposed, Severity::Low)
    })
}

/// `clock-skew`: the ONVIF clock differs from ours by more than 5 s (medium) or 5 min (high).
pub fn clock_skew(d: &Device, ctx: &Context) -> Option<Finding> {
    let offset = d.onvif.as_ref()?.clock_offset_s?;
    let severity = match offset.unsigned_abs() {
        s if s > SKEW_HIGH_S as u64 => Severity::High,
        s if s > SKEW_MEDIUM_S as u64 => Severity::Medium,
        _ => return None,
    };
    let (dir, by) = if offset > 0 {
        ("ahead of", offset)
    } else {
        ("behind", -offset)
    };
    Some(Finding {
        evidence: format!(
            "GetSystemDateAndTime: the device's UTC clock is {} {dir} the scanner's",
            human_seconds(by)
        ),
        ..finding(d, ctx, FindingId::ClockSkew, severity)
    })
}

/// `6 y 298 d`, `3 h 2 min`, `45 s` (a year of 365 days).
fn human_seconds(s: i64) -> String {
    match s {
        s if s >= 365 * 86_400 => {
            format!("{} y {} d", s / (365 * 86_400), s % (365 * 86_400) / 86_400)
        }
        s if s >= 86_400 => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{s} s"),
    }
}

/// `uninitialized-device`: a discovery answer says the device was never activated (SADP's
/// `Activated`; any protocol that fills [`model::Announcement::activated`]).
pub fn uninitialized_device(d: &Device, ctx: &Context) -> Option<Finding> {
    let a = d.announced.iter().find(|a| a.activated == Some(false))?;
    Some(Finding {
        evidence: format!(
            "its {} answer says it is not activated",
            a.protocol.to_ascii_uppercase()
        ),
        ..finding(d, ctx, FindingId::UninitializedDevice, Severity::Critical)
    })
}

/// `cleartext-admin-service`: a Telnet (high) or FTP (medium) server greeted on connecting; SSH
/// (encrypted, but an administration door all the same) is info. Nothing is logged into.
pub fn cleartext_admin_service(d: &Device, ctx: &Context) -> Vec<Finding> {
    d.services
        .iter()
        .filter_map(|s| {
            let severity = match s.protocol {
                Protocol::Telnet => Severity::High,
                Protocol::Ftp => Severity::Medium,
                Protocol::Ssh => Severity::Info,
                _ => return None,
            };
            let said = s
                .server
                .as_deref()
                .map(|t| format!(": {t}"))
                .unwrap_or_default();
            Some(Finding {
                port: Some(s.port),
                evidence: format!(
                    "{} on port {} greeted on connecting{said}",
                    protocol_name(s.protocol),
                    s.port
                ),
                ..finding(d, ctx, FindingId::CleartextAdminService, severity)
            })
        })
        .collect()
}

/// `ip-conflict`: more than one MAC answered ARP for the device's address (raw ARP only).
pub fn ip_conflict(d: &Device, ctx: &Context) -> Option<Finding> {
    if d.arp_conflict.is_empty() {
        return None;
    }
    let mut macs: Vec<&str> = d.mac.as_deref().into_iter().collect();
    macs.extend(d.arp_conflict.iter().map(String::as_str));
    Some(Finding {
        evidence: format!(
            "ARP requests for {} were answered by {} MACs: {}",
            d.ip,
            macs.len(),
            macs.join(", ")
        ),
        ..finding(d, ctx, FindingId::IpConflict, Severity::Medium)
    })
}

/// The port of a login service (`rtsp://198.18.0.10:554`, `onvif http://198.18.0.10:80`).
fn login_port(service: &str) -> Option<u16> {
    service
        .rsplit(':')
        .next()?
        .trim_end_matches('/')
        .parse()
        .ok()
}

/// `digest-md5-only` (info): a service whose challenges offer Digest, all of it with MD5
/// (`digest-md5`, `digest-md5-sess`; other schemes such as Basic may stand beside it).
pub fn digest_md5_only(d: &Device, ctx: &Context) -> Vec<Finding> {
    d.capabilities
        .logins
        .iter()
        .filter(|l| {
            let digests: Vec<&String> = l
                .offered
                .iter()
                .filter(|o| o.starts_with("digest"))
                .collect();
            !digests.is_empty() && digests.iter().all(|o| o.starts_with("digest-md5"))
        })
        .map(|l| Finding {
            port: login_port(&l.service),
            evidence: format!(
                "{} offered {}: Digest with MD5 only",
                l.service,
                l.offered.join(", ")
            ),
            ..finding(d, ctx, FindingId::DigestMd5Only, Severity::Info)
        })
        .collect()
}

/// `onvif-usernametoken-only` (low): the ONVIF device API refused with a SOAP fault (or took a
/// WS-UsernameToken) and offered no HTTP Digest challenge.
pub fn onvif_usernametoken_only(d: &Device, ctx: &Context) -> Option<Finding> {
    let l = d.capabilities.logins.iter().find(|l| {
        l.service.starts_with("onvif ")
            && l.offered.iter().any(|o| o == "ws-usernametoken")
            && !l.offered.iter().any(|o| o.starts_with("digest"))
    })?;
    Some(Finding {
        port: login_port(&l.service),
        evidence: format!(
            "{} refused requests without an HTTP Digest challenge; offered: {}",
            l.service,
            l.offered.join(", ")
        ),
        ..finding(d, ctx, FindingId::OnvifUsernametokenOnly, Severity::Low)
    })
}

/// `snmp-default-community`: the SNMP agent answered a default community (v2c GetRequest
/// sysDescr.0): high; `private`, which is usually the write community, critical.
pub fn snmp_default_community(d: &Device, ctx: &Context) -> Option<Finding> {
    let s = d.snmp.as_ref().filter(|s| !s.communities.is_empty())?;
    let severity = if s.communities.iter().any(|c| c == "private") {
        Severity::Critical
    } else {
        Severity::High
    };
    let said = s
        .sys_descr
        .as_deref()
        .map(|t| format!(": sysDescr \"{t}\""))
        .unwrap_or_default();
    Some(Finding {
        port: Some(161),
        evidence: format!(
            "SNMP v2c GetRequest sysDescr.0 with community {} was answered{said}",
            s.communities
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        ..finding(d, ctx, FindingId::SnmpDefaultCommunity, severity)
    })
}

/// `credential-reuse`: one credential (one entry of the credentials the scan was given, or one
/// keyed hash in the inventory) opened services on several devices: a stream (RTSP, HTTP media
/// or snapshot, or any protocol the scan logged in to) or a login the scan made on a service
/// that is not a stream ([`Device::logins`]: a web admin page behind HTTP Basic/Digest, the ONVIF
/// device API). One finding per device, naming the services it opened there and on each other
/// device; the credential itself is never shown.
///
/// One device's services sharing a credential is not reuse: a camera keeps one account list for
/// its web page, its RTSP server and its ONVIF API (Axis, Hikvision and Dahua alike), so one login
/// opening all three is how the device works, not a password copied elsewhere. Only across
/// devices is it reported.
pub fn credential_reuse(devices: &[Device], ctx: &Context) -> Vec<Finding> {
    // Credential entry -> each device it opened something on, with what (in device order).
    let mut groups: BTreeMap<usize, Vec<(&Device, Vec<String>)>> = BTreeMap::new();
    for d in devices {
        let mut opened: Vec<(usize, String)> =
            d.streams
                .iter()
                .filter(|s| s.status.answers())
                .filter_map(|s| Some((s.credential_entry?, format!("{} (stream)", origin(s)))))
                .chain(d.logins.iter().filter_map(|l| {
                    Some((l.credential_entry?, format!("{} ({})", l.service, l.what)))
                }))
                .collect();
        opened.sort();
        opened.dedup();
        for (entry, what) in opened {
            let members = groups.entry(entry).or_default();
            match members.iter_mut().find(|(m, _)| m.ip == d.ip) {
                Some((_, list)) => list.push(what),
                None => members.push((d, vec![what])),
            }
        }
    }
    let mut out = Vec::new();
    for members in groups.values().filter(|m| m.len() > 1) {
        for (d, own) in members {
            let others: Vec<String> = members
                .iter()
                .filter(|(o, _)| o.ip != d.ip)
                .map(|(o, what)| format!("{} at {}", o.ip, what.join(" and ")))
                .collect();
            out.push(Finding {
                evidence: format!(
                    "the credential that opened {} also opened {} other device{}: {}",
                    own.join(" and "),
                    others.len(),
                    if others.len() == 1 { "" } else { "s" },
                    others.join("; ")
                ),
                ..finding(d, ctx, FindingId::CredentialReuse, Severity::Medium)
            });
        }
    }
    out
}

/// A stream's service as `scheme://host:port` (its URL carries no credential; the path is left
/// out: the finding names services, the stream list has the paths).
fn origin(s: &Stream) -> String {
    match url::Url::parse(&s.url) {
        Ok(u) => match u.host_str() {
            Some(host) => format!("{}://{host}:{}", u.scheme(), u.port().unwrap_or(s.port)),
            None => s.url.clone(),
        },
        Err(_) => s.url.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::StreamStatus;
    use model::{Announcement, OnvifInfo, Transport, VideoInfo};

    fn device(ip: &str) -> Device {
        let mut d = Device::new(ip.parse().unwrap());
        d.vendor = Some("Hikvision".into());
        d
    }

    fn stream(url: &str, auth: AuthScheme, user: Option<&str>) -> Stream {
        let mut s = Stream::new(url.into(), Protocol::Rtsp, 554);
        s.auth = auth;
        s.username = user.map(str::to_string);
        s.verified = true;
        s.video = Some(VideoInfo::new("H264".into()));
        s
    }

    fn service(port: u16, protocol: Protocol, offered: &[AuthScheme]) -> Service {
        Service {
            port,
            transport: Transport::Tcp,
            protocol,
            server: None,
            auth: detect::head::best_scheme(
                &offered
                    .iter()
                    .map(|s| proto::auth::Challenge {
                        scheme: s.as_str().to_string(),
                        realm: Some("cam".into()),
                        algorithm: None,
                    })
                    .collect::<Vec<_>>(),
            ),
            realm: Some("cam".into()),
            methods: Vec::new(),
            title: None,
            product: None,
            tls: None,
            note: None,
            offered: offered.to_vec(),
            certificate: None,
            tls_legacy: None,
            path_walk: None,
        }
    }

    fn ids(f: &[Finding]) -> Vec<(FindingId, Severity)> {
        f.iter().map(|f| (f.id, f.severity)).collect()
    }

    #[test]
    fn an_open_stream_is_high_and_a_protected_or_duplicate_one_is_nothing() {
        let mut d = device("198.18.0.2");
        d.streams = vec![
            stream("rtsp://198.18.0.2:554/open", AuthScheme::None, None),
            stream(
                "rtsp://198.18.0.2:554/locked",
                AuthScheme::Digest,
                Some("admin"),
            ),
        ];
        let mut refused = stream("rtsp://198.18.0.2:554/refused", AuthScheme::Digest, None);
        refused.status = StreamStatus::AuthRequired;
        let mut dup = stream("rtsp://198.18.0.2:554/dup", AuthScheme::None, None);
        dup.same_as = Some("rtsp://198.18.0.2:554/open".into());
        d.streams.extend([refused, dup]);
        let f = stream_unauthenticated(&d, &Context::default());
        assert_eq!(
            ids(&f),
            [(FindingId::StreamUnauthenticated, Severity::High)]
        );
        assert_eq!(f[0].stream.as_deref(), Some("rtsp://198.18.0.2:554/open"));
        assert!(f[0].evidence.contains("DESCRIBE"), "{}", f[0].evidence);
        assert!(f[0].vendor_fix.as_deref().unwrap().starts_with("Hikvision"));
    }

    #[test]
    fn onvif_beyond_pre_auth_is_a_finding_and_pre_auth_alone_is_not() {
        let mut d = device("198.18.0.3");
        let mut o = OnvifInfo {
            xaddrs: vec!["http://198.18.0.3:8080/onvif/device_service".into()],
            unauthenticated: vec!["GetServices".into(), "GetCapabilities".into()],
            ..OnvifInfo::default()
        };
        d.onvif = Some(o.clone());
        assert!(onvif_unauthenticated(&d, &Context::default()).is_none());
        o.unauthenticated.push("GetDeviceInformation".into());
        d.onvif = Some(o.clone());
        let f = onvif_unauthenticated(&d, &Context::default()).unwrap();
        assert_eq!((f.severity, f.port), (Severity::Medium, Some(8080)));
        o.unauthenticated.push("GetStreamUri".into());
        d.onvif = Some(o);
        let f = onvif_unauthenticated(&d, &Context::default()).unwrap();
        assert_eq!(f.severity, Severity::High);
        assert!(f.evidence.starts_with("GetDeviceInformation, GetStreamUri"));
    }

    #[test]
    fn basic_offered_or_accepted_without_tls_and_digest_only_is_clean() {
        let ctx = Context::default();
        let mut d = device("198.18.0.4");
        d.services = vec![service(554, Protocol::Rtsp, &[AuthScheme::Digest])];
        assert!(basic_auth_cleartext(&d, &ctx).is_empty(), "Digest only");
        d.services = vec![service(
            554,
            Protocol::Rtsp,
            &[AuthScheme::Digest, AuthScheme::Basic],
        )];
        let f = basic_auth_cleartext(&d, &ctx);
        assert_eq!(ids(&f), [(FindingId::BasicAuthCleartext, Severity::Medium)]);
        assert!(f[0].evidence.contains("beside Digest"));
        // A password accepted with Basic on the same port: one finding, high.
        d.streams = vec![stream(
            "rtsp://198.18.0.4:554/live",
            AuthScheme::Basic,
            Some("admin"),
        )];
        let f = basic_auth_cleartext(&d, &ctx);
        assert_eq!(ids(&f), [(FindingId::BasicAuthCleartext, Severity::High)]);
        assert!(!f[0].evidence.contains("admin"));
        // Over TLS: nothing.
        let mut https = service(443, Protocol::Http, &[AuthScheme::Basic]);
        https.tls = Some("TLSv1.3".into());
        d.services = vec![https];
        d.streams.clear();
        assert!(basic_auth_cleartext(&d, &ctx).is_empty());
    }

    #[test]
    fn clock_skew_has_two_levels_and_a_small_drift_is_fine() {
        let ctx = Context::default();
        let mut d = device("198.18.0.5");
        let at = |s: i64| OnvifInfo {
            clock_offset_s: Some(s),
            ..OnvifInfo::default()
        };
        d.onvif = Some(at(3));
        assert!(clock_skew(&d, &ctx).is_none());
        d.onvif = Some(at(-42));
        let f = clock_skew(&d, &ctx).unwrap();
        assert_eq!(f.severity, Severity::Medium);
        assert!(f.evidence.contains("42 s behind"), "{}", f.evidence);
        d.onvif = Some(at(3 * 3600 + 120));
        let f = clock_skew(&d, &ctx).unwrap();
        assert_eq!(f.severity, Severity::High);
        assert!(f.evidence.contains("3 h 2 min ahead"), "{}", f.evidence);
    }

    #[test]
    fn ssdp_activation_and_reuse() {
        let ctx = Context {
            site: Some("north".into()),
            now: 0,
        };
        let mut a = device("198.18.0.6");
        assert!(upnp_exposed(&a, &ctx).is_none());
        a.discovered_by.push(DiscoveryMethod::Ssdp);
        let f = upnp_exposed(&a, &ctx).unwrap();
        assert_eq!(f.device.site.as_deref(), Some("north"));
        assert!(uninitialized_device(&a, &ctx).is_none());
        a.announced.push(Announcement {
            protocol: "sadp".into(),
            activated: Some(true),
            ..Announcement::default()
        });
        assert!(uninitialized_device(&a, &ctx).is_none());
        a.announced[0].activated = Some(false);
        assert_eq!(
            uninitialized_device(&a, &ctx).unwrap().severity,
            Severity::Critical
        );
        // Reuse: entry 0 opens a and b; entry 1 only c.
        let with = |ip: &str, entry: usize| {
            let mut d = device(ip);
            let mut s = stream(
                &format!("rtsp://{ip}:554/live"),
                AuthScheme::Digest,
                Some("admin"),
            );
            s.credential_entry = Some(entry);
            d.streams.push(s);
            d
        };
        let devices = [
            with("198.18.0.7", 0),
            with("198.18.0.8", 0),
            with("198.18.0.9", 1),
        ];
        let f = credential_reuse(&devices, &ctx);
        assert_eq!(f.len(), 2);
        assert_eq!(
            f[0].evidence,
            "the credential that opened rtsp://198.18.0.7:554 (stream) also opened 1 other \
             device: 198.18.0.8 at rtsp://198.18.0.8:554 (stream)"
        );
        assert!(f.iter().all(|f| !f.evidence.contains("admin")));
    }

    fn web_login(ip: &str, port: u16, what: &str, entry: usize) -> model::ServiceLogin {
        model::ServiceLogin {
            service: format!("http://{ip}:{port}"),
            what: what.into(),
            username: "admin".into(),
            credential_entry: Some(entry),
        }
    }

    /// Issue 40: one password opening a camera's RTSP stream and another device's web admin
    /// page (or its ONVIF API) is reuse; one device's own services sharing it is not; other
    /// passwords are not.
    #[test]
    fn credential_reuse_spans_rtsp_http_and_onvif_across_devices_only() {
        let ctx = Context::default();
        let mut cam = device("10.0.0.5");
        let mut s = stream(
            "rtsp://10.0.0.5:554/Streaming/Channels/101",
            AuthScheme::Digest,
            Some("admin"),
        );
        s.credential_entry = Some(0);
        cam.streams.push(s);
        // The camera's own web page with the same credential: not a finding by itself.
        cam.logins.push(web_login("10.0.0.5", 80, "web admin", 0));
        assert!(credential_reuse(std::slice::from_ref(&cam), &ctx).is_empty());
        let mut nvr = device("10.0.0.9");
        nvr.logins.push(web_login("10.0.0.9", 80, "web admin", 0));
        let mut other = device("10.0.0.12");
        other.logins.push(web_login("10.0.0.12", 80, "ONVIF", 1));
        let devices = [cam.clone(), nvr.clone(), other.clone()];
        let f = credential_reuse(&devices, &ctx);
        let got: Vec<(String, &str)> = f
            .iter()
            .map(|f| (f.device.address.to_string(), f.evidence.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "10.0.0.5".to_string(),
                    "the credential that opened http://10.0.0.5:80 (web admin) and \
                     rtsp://10.0.0.5:554 (stream) also opened 1 other device: 10.0.0.9 at \
                     http://10.0.0.9:80 (web admin)"
                ),
                (
                    "10.0.0.9".to_string(),
                    "the credential that opened http://10.0.0.9:80 (web admin) also opened 1 \
                     other device: 10.0.0.5 at http://10.0.0.5:80 (web admin) and \
                     rtsp://10.0.0.5:554 (stream)"
                ),
            ]
        );
        assert_eq!(f[0].severity, Severity::Medium);
        // Deterministic: the same devices give the same findings.
        assert_eq!(credential_reuse(&devices, &ctx), f);
        // An ONVIF login with entry 0 on the third device joins the group.
        other.logins[0].credential_entry = Some(0);
        let f = credential_reuse(&[cam, nvr, other], &ctx);
        assert_eq!(f.len(), 3);
        assert!(
            f[0].evidence.ends_with(
                "also opened 2 other devices: 10.0.0.9 at http://10.0.0.9:80 (web admin); \
                 10.0.0.12 at http://10.0.0.12:80 (ONVIF)"
            ),
            "{}",
            f[0].evidence
        );
        assert!(f.iter().all(|f| !f.evidence.contains("admin\"")));
    }

    #[test]
    fn telnet_is_high_ftp_medium_ssh_info() {
        let mut d = device("198.18.0.10");
        d.services = [
            (23, Protocol::Telnet, "IAC DO ECHO"),
            (21, Protocol::Ftp, "220 ready"),
            (22, Protocol::Ssh, "SSH-2.0-OpenSSH_9.2p1"),
            (80, Protocol::Http, "nginx"),
        ]
        .map(|(port, protocol, said)| Service {
            server: Some(said.into()),
            ..service(port, protocol, &[])
        })
        .to_vec();
        let f = cleartext_admin_service(&d, &Context::default());
        let got: Vec<_> = f.iter().map(|f| (f.port, f.severity)).collect();
        assert_eq!(
            got,
            [
                (Some(23), Severity::High),
                (Some(21), Severity::Medium),
                (Some(22), Severity::Info)
            ]
        );
        assert_eq!(
            f[0].evidence,
            "Telnet on port 23 greeted on connecting: IAC DO ECHO"
        );
    }

    #[test]
    fn certificates_expired_expiring_self_signed_and_weak() {
        let now = "2026-11-25T00:00:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second();
        let ctx = Context { site: None, now };
        let cert = |not_after: &str, self_signed, alg: &str, bits| model::Certificate {
            subject: "CN=cam".into(),
            issuer: if self_signed { "CN=cam" } else { "CN=Site CA" }.into(),
            not_before: "2020-01-01T00:00:00Z".into(),
            not_after: not_after.into(),
            self_signed,
            key_algorithm: alg.into(),
            key_bits: Some(bits),
            curve: None,
        };
        let with = |c| {
            let mut d = device("198.18.0.20");
            let mut s = service(443, Protocol::Http, &[]);
            s.tls = Some("TLS 1.2".into());
            s.certificate = Some(Box::new(c));
            d.services = vec![s];
            tls_certificates(&d, &ctx)
        };
        let ids = |f: Vec<Finding>| {
            f.into_iter()
                .map(|f| (f.id, f.severity))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(with(cert("2020-01-31T00:00:00Z", true, "RSA", 1024))),
            [
                (FindingId::TlsCertificateExpired, Severity::High),
                (FindingId::TlsSelfSigned, Severity::Low),
                (FindingId::TlsWeakKey, Severity::Medium)
            ]
        );
        assert_eq!(
            ids(with(cert("2026-12-10T00:00:00Z", false, "RSA", 2048))),
            [(FindingId::TlsCertificateExpiring, Severity::Medium)]
        );
        assert!(with(cert("2029-02-27T00:00:00Z", false, "EC", 256)).is_empty());
        let f = with(cert("2020-01-31T00:00:00Z", true, "RSA", 1024));
        assert!(
            f[0].evidence
                .contains("expired 2020-01-31T00:00:00Z (6 y 300 d ago)"),
            "{}",
            f[0].evidence
        );
    }

    #[test]
    fn a_login_over_http_without_any_https_port() {
        let ctx = Context::default();
        let mut d = device("198.18.0.21");
        d.services = vec![service(80, Protocol::Http, &[AuthScheme::Digest])];
        let f = tls_missing(&d, &ctx).unwrap();
        assert_eq!((f.severity, f.port), (Severity::Medium, Some(80)));
        let mut https = service(443, Protocol::Http, &[]);
        https.tls = Some("TLS 1.3".into());
        d.services.push(https);
        assert!(tls_missing(&d, &ctx).is_none(), "HTTPS is there");
        d.services = vec![service(80, Protocol::Http, &[])];
        assert!(tls_missing(&d, &ctx).is_none(), "no login");
    }

    #[test]
    fn two_macs_for_one_address_conflict() {
        let mut d = device("198.18.0.101");
        d.mac = Some("02:00:00:00:01:01".into());
        assert!(ip_conflict(&d, &Context::default()).is_none());
        d.arp_conflict = vec!["02:00:00:00:01:02".into()];
        let f = ip_conflict(&d, &Context::default()).unwrap();
        assert_eq!(
            f.evidence,
            "ARP requests for 198.18.0.101 were answered by 2 MACs: 02:00:00:00:01:01, \
             02:00:00:00:01:02"
        );
    }

    #[test]
    fn a_legacy_tls_version_is_a_finding() {
        let mut d = device("198.18.0.23");
        let mut s = service(443, Protocol::Http, &[]);
        s.tls = Some("TLS 1.2".into());
        d.services = vec![s.clone()];
        assert!(tls_weak_protocol(&d, &Context::default()).is_empty());
        s.tls_legacy = Some("TLS 1.0".into());
        d.services = vec![s];
        let f = tls_weak_protocol(&d, &Context::default());
        assert_eq!(
            f.iter().map(|f| (f.severity, f.port)).collect::<Vec<_>>(),
            [(Severity::Medium, Some(443))]
        );
        assert!(f[0].evidence.ends_with("ServerHello for TLS 1.0"));
    }

    #[test]
    fn snmp_public_is_high_and_private_critical() {
        let ctx = Context::default();
        let mut d = device("198.18.0.22");
        assert!(snmp_default_community(&d, &ctx).is_none());
        d.snmp = Some(model::SnmpInfo {
            communities: vec!["public".into()],
            sys_descr: Some("Linux cam".into()),
        });
        let f = snmp_default_community(&d, &ctx).unwrap();
        assert_eq!((f.severity, f.port), (Severity::High, Some(161)));
        assert_eq!(
            f.evidence,
            "SNMP v2c GetRequest sysDescr.0 with community \"public\" was answered: sysDescr \"Linux cam\""
        );
        d.snmp.as_mut().unwrap().communities.push("private".into());
        assert_eq!(
            snmp_default_community(&d, &ctx).unwrap().severity,
            Severity::Critical
        );
    }

    #[test]
    fn every_id_has_texts_and_a_source() {
        for id in FindingId::ALL {
            let t = texts(id);
            assert_eq!(t.id, id, "{id:?} has texts of its own");
            assert!(!t.title.is_empty() && !t.why.is_empty() && !t.fix.is_empty());
            assert!(!t.source.is_empty());
            // The serialised id is the documented one.
            assert_eq!(
                serde_json::to_value(id).unwrap(),
                serde_json::Value::String(id.as_str().into())
            );
        }
    }

    fn logins(service: &str, offered: &[&str]) -> model::capabilities::LoginSchemes {
        model::capabilities::LoginSchemes {
            service: service.into(),
            offered: offered.iter().map(|s| s.to_string()).collect(),
            used: None,
        }
    }

    #[test]
    fn digest_with_md5_alone_is_info_and_sha256_beside_it_is_nothing() {
        let mut d = device("198.18.0.2");
        d.capabilities.logins = vec![
            logins("rtsp://198.18.0.2:554", &["digest-md5", "basic"]),
            logins("http://198.18.0.2:80", &["digest-sha-256", "digest-md5"]),
            logins("http://198.18.0.2:8080", &["basic"]),
            logins("onvif http://198.18.0.2:8000", &["digest-md5-sess"]),
        ];
        let f = digest_md5_only(&d, &Context::default());
        assert_eq!(
            ids(&f),
            [
                (FindingId::DigestMd5Only, Severity::Info),
                (FindingId::DigestMd5Only, Severity::Info)
            ]
        );
        assert_eq!((f[0].port, f[1].port), (Some(554), Some(8000)));
        assert_eq!(
            f[0].evidence,
            "rtsp://198.18.0.2:554 offered digest-md5, basic: Digest with MD5 only"
        );
        assert!(f[0].source.contains("RFC 7616"));
        d.capabilities.logins.clear();
        assert!(digest_md5_only(&d, &Context::default()).is_empty());
    }

    #[test]
    fn an_onvif_api_without_http_digest_is_low() {
        let mut d = device("198.18.0.2");
        d.capabilities.logins = vec![
            logins("rtsp://198.18.0.2:554", &["basic"]),
            logins("onvif http://198.18.0.2:8000", &["ws-usernametoken"]),
        ];
        let f = onvif_usernametoken_only(&d, &Context::default()).unwrap();
        assert_eq!(
            (f.id, f.severity, f.port),
            (FindingId::OnvifUsernametokenOnly, Severity::Low, Some(8000))
        );
        assert!(f.source.contains("ONVIF Core Specification"));
        // HTTP Digest beside the token, or HTTP Digest alone: nothing.
        for offered in [&["digest-md5", "ws-usernametoken"][..], &["digest-sha-256"]] {
            d.capabilities.logins[1] = logins("onvif http://198.18.0.2:8000", offered);
            assert!(onvif_usernametoken_only(&d, &Context::default()).is_none());
        }
        // A non-ONVIF service is not judged.
        d.capabilities.logins = vec![logins("http://198.18.0.2:80", &["ws-usernametoken"])];
        assert!(onvif_usernametoken_only(&d, &Context::default()).is_none());
    }
}
