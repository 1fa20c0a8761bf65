//! Plain data shared by every stage: what a scan found and what went wrong.
//!
//! These types are the public JSON contract (schema version [`SCHEMA_VERSION`]) for CI users, so field
//! names here are fixed: add fields, never rename them. No I/O and no tokio in this module.

#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

pub mod addr;
pub mod answers;
pub mod capabilities;
pub mod coverage;
mod credential;
pub mod identity;
pub mod known;
pub mod local_net;
pub mod misaddressed;
pub mod mounts;
pub mod nvr;
pub mod plan;
mod rank;
pub mod roles;
mod stream;
pub mod sync;
pub mod when;
pub use answers::*;
pub use capabilities::Capabilities;
pub use credential::{Credential, encode_userinfo, percent_decode, without_userinfo};
pub use misaddressed::Misaddressed;
pub use nvr::NvrChannel;
pub use rank::{area, main_stream, maker_and_model, model_names_vendor, ranked, size, stream_rank};
pub use stream::*;

/// Version of the JSON/CSV output schema. Bump it when a field changes meaning or disappears.
/// 2: a stream's `status` is `ok` only when it played (`verified`); one that answered and sent no
/// media is `unverified` (1 said `ok` for both).
pub const SCHEMA_VERSION: u32 = 2;

/// The older schema versions this camscan reads back (`camscan convert`), each settled to this
/// one's meaning ([`Report::settle_streams`]).
pub const READS_SCHEMA_VERSIONS: &[u32] = &[1, SCHEMA_VERSION];

/// The whole result of one scan, as the exporters render it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    pub camscan_version: String,
    /// RFC 3339 UTC time the scan started.
    pub started_at: String,
    /// RFC 3339 UTC time the scan ended (or was interrupted).
    pub finished_at: String,
    /// `false` when the scan was interrupted (Ctrl-C, SIGTERM) before every target was probed, or
    /// lost anything on its own side (`coverage.lost` says what).
    pub complete: bool,
    /// The target specifications as the user gave them.
    pub targets: Vec<String>,
    /// What the scan decided before it sent anything (interfaces, ranges, discovery methods,
    /// ports, the estimate and the warnings); absent in reports of older versions and in reports
    /// rebuilt from the inventory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<plan::Plan>,
    /// What the scan asked, heard and lost on its own side (`complete` is false when it lost
    /// anything); absent in reports of older versions and in reports rebuilt from the inventory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<coverage::Coverage>,
    pub devices: Vec<Device>,
}

impl Report {
    /// Settle every stream's status by whether it played ([`Stream::settle`]): a report of schema
    /// version 1 said `ok` for a stream that answered and sent no media, which is `unverified` now.
    /// The report is then one of this version.
    pub fn settle_streams(&mut self) {
        for d in &mut self.devices {
            d.streams.iter_mut().for_each(Stream::settle);
        }
        self.schema_version = SCHEMA_VERSION;
    }

    /// A device is interesting when it is (or serves) a camera.
    pub fn found_cameras(&self) -> bool {
        self.devices
            .iter()
            .any(|d| d.is_camera || !d.streams.is_empty())
    }
}

/// How a device came to our attention.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DiscoveryMethod {
    /// Answered ARP (on-link hosts), even with every port filtered.
    Arp,
    /// Answered an ONVIF WS-Discovery Probe.
    Onvif,
    /// Answered an SSDP M-SEARCH.
    Ssdp,
    /// An open TCP port found by the probe pool (`--discovery ports`, also in config files).
    #[serde(alias = "ports")]
    Port,
    /// Answered a Hikvision SADP inquiry (UDP 37020).
    Sadp,
    /// Answered a Dahua DHIP `DHDiscover.search` (UDP 37810).
    Dhip,
    /// Answered an XMeye/Sofia DVRIP search (UDP 34569).
    Dvrip,
    /// Answered a Ubiquiti discovery request (UDP 10001).
    Ubiquiti,
    /// Answered a Hanwha (Samsung Techwin/Wisenet) search (UDP 7701, answer to 7711).
    Hanwha,
    /// Answered a Vivotek search (UDP 10000).
    Vivotek,
    /// Answered a Sony `ENQ:allinfo` search (UDP 2380).
    Sony,
    /// Answered a Bosch RCP autodetect (UDP 1757, answer to 1758).
    Bosch,
    /// Answered a Foscam `MO_I` search (UDP 10000).
    Foscam,
    /// Answered an mDNS / DNS-SD query (UDP 5353).
    Mdns,
}

impl DiscoveryMethod {
    /// The name reports and the inventory use (the serde name).
    pub fn name(self) -> &'static str {
        match self {
            DiscoveryMethod::Arp => "arp",
            DiscoveryMethod::Onvif => "onvif",
            DiscoveryMethod::Ssdp => "ssdp",
            DiscoveryMethod::Port => "port",
            DiscoveryMethod::Sadp => "sadp",
            DiscoveryMethod::Dhip => "dhip",
            DiscoveryMethod::Dvrip => "dvrip",
            DiscoveryMethod::Ubiquiti => "ubiquiti",
            DiscoveryMethod::Hanwha => "hanwha",
            DiscoveryMethod::Vivotek => "vivotek",
            DiscoveryMethod::Sony => "sony",
            DiscoveryMethod::Bosch => "bosch",
            DiscoveryMethod::Foscam => "foscam",
            DiscoveryMethod::Mdns => "mdns",
        }
    }
}

/// One box on the network, keyed by its IP address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Device {
    pub ip: IpAddr,
    pub mac: Option<String>,
    pub hostname: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub serial: Option<String>,
    pub name: Option<String>,
    pub is_camera: bool,
    pub discovered_by: Vec<DiscoveryMethod>,
    pub open_ports: Vec<u16>,
    pub services: Vec<Service>,
    pub streams: Vec<Stream>,
    pub errors: Vec<Failure>,
    /// What the device said about itself over ONVIF WS-Discovery.
    #[serde(default)]
    pub onvif: Option<OnvifInfo>,
    /// The UPnP description the device serves (found by SSDP).
    #[serde(default)]
    pub upnp: Option<UpnpInfo>,
    /// Every address of this box (`ip` first): one device may answer on several addresses, merged by
    /// MAC, serial number or ONVIF endpoint.
    #[serde(default)]
    pub addresses: Vec<IpAddr>,
    /// Video channels the device announced (SADP analog + digital, DHIP local + remote inputs).
    #[serde(default)]
    pub channels: Option<u32>,
    /// What vendor discovery protocols (SADP, DHIP) said about the device.
    #[serde(default)]
    pub announced: Vec<Announcement>,
    /// Why camscan names this vendor/model from the device's web server (HTTP fingerprints:
    /// `port 80: Server: App-webs/`, `port 80: realm "DS-2CD2143G2-I"`).
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Every name the device goes by, each with where it came from; `name` and `hostname` are the
    /// best of each kind.
    #[serde(default)]
    pub names: Vec<DeviceName>,
    /// The IEEE registry's organisation for the MAC's prefix (`Hangzhou Hikvision Digital
    /// Technology Co.,Ltd.`), whatever the device is.
    #[serde(default)]
    pub mac_vendor: Option<String>,
    /// The MAC has the locally administered bit set (randomised or set by software): its prefix
    /// names no maker.
    #[serde(default)]
    pub mac_randomized: bool,
    /// What the device announced over mDNS / DNS-SD. Omitted when it said nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mdns: Option<MdnsInfo>,
    /// Other MACs that answered ARP for this address (raw ARP sweep): an address conflict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arp_conflict: Vec<String>,
    /// What the device's SNMP agent answered to a default community (`camscan audit` asks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snmp: Option<SnmpInfo>,
    /// Makers' factory credentials that opened something on the device (`camscan audit
    /// --check-defaults`): the user and what it opened, never the password.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_logins: Vec<DefaultLogin>,
    /// Logins the scan made that opened something other than a stream: a web page behind a
    /// login wall (HTTP Basic/Digest), the ONVIF device API (WS-UsernameToken or HTTP Digest).
    /// Streams carry their own ([`Stream::credential_entry`]). In no output: the audit's
    /// `credential-reuse` reads them, naming the service, never the password.
    #[serde(skip)]
    pub logins: Vec<ServiceLogin>,
    /// What the device can do beyond its streams (talk-back, PTZ, events, login schemes, stream
    /// roles, browser playback): versioned on its own. Omitted when nothing was learned.
    #[serde(default, skip_serializing_if = "capabilities::no_capabilities")]
    pub capabilities: Capabilities,
    /// The zone (interface name, RFC 4007 §11) of the device's IPv6 link-local addresses in `ip`
    /// and `addresses` (`eth0`: `fe80::21` is `fe80::21%eth0`); its stream URLs carry it in the
    /// RFC 6874 form (`rtsp://[fe80::21%25eth0]:554/...`). Omitted when it has no link-local
    /// address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The device was heard on the wire (SADP, DHIP, a WS-Discovery Hello, an ARP request) with an
    /// address outside every subnet attached to the interface: no unicast reaches it. Says its
    /// subnet and gateway and how to reach it. Omitted for every other device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub misaddressed: Option<Misaddressed>,
    /// The cameras an NVR records, as the NVR lists them (its channels): they sit on the NVR's
    /// own (PoE) subnet and are reached through the NVR, never probed directly. Omitted when the
    /// device is no NVR or did not list them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nvr_channels: Vec<NvrChannel>,
    /// Its MAC answered ARP for many addresses (a bridge, a Wi-Fi extender's MAC-NAT, a proxy-ARP
    /// router: `coverage.shared_macs` names it): the MAC is the box in front, not this device's,
    /// so it merges no addresses and identifies nothing in the inventory. Omitted when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mac_shared: bool,
    /// The name the configuration exports (and `camscan push`) give this device's cameras, in
    /// the `_` style (`hik_entrance`; channels and sub streams add `_ch2`, `_sub`). Fixed once
    /// given: the inventory keeps it, and a later scan gives the same device the same name
    /// wherever its address moves and whatever else appears. A new name comes from the device
    /// itself (its DNS name, its own name, else its maker and the end of its MAC), never from
    /// what else is on the network. Omitted for a device with no stream and no camera.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_name: Option<String>,
}

/// A login the scan made on a service of the device (the password is never kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLogin {
    /// The service, as an origin without credentials (`http://198.18.0.9:80`).
    pub service: String,
    /// What the login opened, for people (`web admin`, `ONVIF`).
    pub what: String,
    pub username: String,
    /// Which entry of the scan's credentials list it was (as [`Stream::credential_entry`]).
    pub credential_entry: Option<usize>,
}

/// A maker's documented factory credential that a device accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DefaultLogin {
    /// The factory user name (the password is never kept).
    pub username: String,
    /// Whose default it is (the maker's name).
    pub maker: String,
    /// What it opened: the stream's URL (without credentials).
    pub opened: String,
    pub port: u16,
    /// The address(es) of the maker's document that states the default (never its text, which
    /// quotes the password).
    pub source: String,
    /// `true` when the credential came from the scan's own list (`--credentials`): audit sent
    /// nothing more, it only recognised a factory default there.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub given: bool,
}

impl Device {
    pub fn new(ip: IpAddr) -> Self {
        Device {
            ip,
            mac: None,
            hostname: None,
            vendor: None,
            model: None,
            firmware: None,
            serial: None,
            name: None,
            is_camera: false,
            discovered_by: Vec::new(),
            open_ports: Vec::new(),
            services: Vec::new(),
            streams: Vec::new(),
            errors: Vec::new(),
            onvif: None,
            upnp: None,
            addresses: vec![ip],
            channels: None,
            announced: Vec::new(),
            evidence: Vec::new(),
            names: Vec::new(),
            mac_vendor: None,
            mac_randomized: false,
            mdns: None,
            arp_conflict: Vec::new(),
            snmp: None,
            default_logins: Vec::new(),
            logins: Vec::new(),
            capabilities: Capabilities::default(),
            zone: None,
            misaddressed: None,
            nvr_channels: Vec::new(),
            mac_shared: false,
            camera_name: None,
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Tcp,
    Udp,
}

/// Application protocol spoken on a port.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Rtsp,
    Http,
    /// RTMP (port 1935 and any port that completes the handshake).
    Rtmp,
    /// An HLS playlist over HTTP.
    Hls,
    /// An MPEG-DASH manifest over HTTP.
    Dash,
    /// Motion JPEG over HTTP (`multipart/x-mixed-replace`).
    Mjpeg,
    /// A JPEG snapshot URL.
    Jpeg,
    /// HTTP-FLV: a live FLV stream over HTTP.
    Flv,
    /// HTTP-TS: a live MPEG transport stream over HTTP (encoders, VLC, SRS' HTTP-TS remux).
    Ts,
    /// WebRTC: a STUN/TURN server, a WHEP endpoint or a WebRTC gateway's API.
    Webrtc,
    /// Administration services a greeting named (audit adds their ports): not camera streams.
    Telnet,
    Ftp,
    Ssh,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Rtsp => "rtsp",
            Protocol::Http => "http",
            Protocol::Rtmp => "rtmp",
            Protocol::Hls => "hls",
            Protocol::Dash => "dash",
            Protocol::Mjpeg => "mjpeg",
            Protocol::Jpeg => "jpeg",
            Protocol::Flv => "flv",
            Protocol::Ts => "ts",
            Protocol::Webrtc => "webrtc",
            Protocol::Telnet => "telnet",
            Protocol::Ftp => "ftp",
            Protocol::Ssh => "ssh",
        }
    }
}

/// Authentication a service or stream asks for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AuthScheme {
    /// Answered without credentials.
    None,
    Basic,
    Digest,
    /// Asked for credentials with a scheme we do not know, or we could not tell.
    #[default]
    Unknown,
}

impl AuthScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthScheme::None => "none",
            AuthScheme::Basic => "basic",
            AuthScheme::Digest => "digest",
            AuthScheme::Unknown => "unknown",
        }
    }
}

/// A protocol found on one port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Service {
    pub port: u16,
    pub transport: Transport,
    pub protocol: Protocol,
    /// The `Server` header (sanitised at render time, stored as sent).
    pub server: Option<String>,
    pub auth: AuthScheme,
    /// Authentication realm from `WWW-Authenticate`, a useful vendor fingerprint.
    #[serde(default)]
    pub realm: Option<String>,
    /// Methods from the RTSP `Public` header of the OPTIONS reply.
    #[serde(default)]
    pub methods: Vec<String>,
    /// HTTP: the root page's `<title>`.
    #[serde(default)]
    pub title: Option<String>,
    /// What the service is, when a fingerprint or protocol reply says (`Hikvision web UI`,
    /// `nginx-rtmp`, `Coturn-4.6.1`, `Janus WebRTC Server 1.1.2`).
    #[serde(default)]
    pub product: Option<String>,
    /// HTTPS: the TLS version and cipher suite agreed (`TLSv1.3 TLS13_AES_256_GCM_SHA384`).
    #[serde(default)]
    pub tls: Option<String>,
    /// What the service accepted when no stream name could be guessed, and how to give one
    /// (`application live accepted connect, stream key unknown: give it with --paths (a line
    /// live/<key>)`). Absent when there is nothing to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Every scheme the service's challenges offered (`auth` is the one camscan answers with:
    /// Digest when offered). Basic beside Digest means a client may still send the password in
    /// the clear.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offered: Vec<AuthScheme>,
    /// The protocol older than TLS 1.2 the server agreed to when offered at most TLS 1.1
    /// (`TLS 1.0`); only `camscan audit` asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_legacy: Option<String>,
    /// A TLS port's certificate (boxed: most services have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Box<Certificate>>,
    /// RTSP: how the stream paths were looked for (which maker's paths went first and what named
    /// it, how many were asked, what the device answered). Absent on other protocols and when
    /// an earlier scan's paths still served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_walk: Option<Box<PathWalk>>,
}

/// How an RTSP port's stream paths were looked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PathWalk {
    /// The maker whose documented paths were asked first; absent when no evidence named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker: Option<String>,
    /// The model the evidence named for that maker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The evidence that named the maker: `onvif-device` (GetDeviceInformation),
    /// `vendor-protocol` (SADP, DHIP, ...), `onvif-scopes`, `rtsp-server` (Server header or
    /// realm), `http-fingerprint`, `mdns`, `upnp` or `mac` (the IEEE registry), most trusted first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// What that evidence said (`ONVIF GetDeviceInformation "i-PRO"`, `MAC 00:80:F0:... (Panasonic
    /// Communications Co., Ltd.)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Which words named the maker, and where (`"ABUS" in the RTSP Server header "ABUS"`,
    /// `IEEE registry organisation "CANON INC."`); absent when a web signature named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_by: Option<String>,
    /// Other makers the evidence named, whose paths were asked right after (`Hikvision (mac)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    /// The first path asked after the user's (the named maker's main stream when one was named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// The maker was named only after the first round (an ONVIF answer that came late): its
    /// paths led the rest of the walk, and `first` is the first of those.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_first_round: bool,
    /// Which walk ran (`--walk`): `focused` (a device that names its streams is asked those, a
    /// named maker's device its maker's documented paths, other makers' paths only when none
    /// served) or `thorough` (every port's first round asks the other makers' main paths too).
    /// Absent in reports of older versions.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub walk: String,
    /// Paths the device announced for the port before the walk began (ONVIF GetStreamUri, an
    /// mDNS TXT `path`), asked first.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub announced: u32,
    /// Why the walk stopped asking paths: `named` (a path the device announced or the user gave
    /// served), `maker` (the named maker's documented path served), `first-round` (a path of
    /// the first round served), `later-round` (a path asked after the first round served),
    /// `exhausted` (every path asked, none served), `time-up` (the rest of the dictionary's time
    /// ran out), `live-over-http` (the port's HTTP side serves live media), `login` (every path
    /// asks for a login camscan could not make), `any-path` (the server answers any path with a
    /// stream), `no-answer` (the port stopped answering). Absent in reports of older versions.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stopped: String,
    /// DESCRIBE requests the walk sent: the random path that tells how the server answers an
    /// unknown one, the paths asked and the login's (a multi-channel device's channel walk comes
    /// after, uncounted).
    pub asked: u32,
    /// What the device answered those DESCRIBEs, status code to count (`{"404": 38, "200": 2}`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub answers: std::collections::BTreeMap<String, u32>,
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

/// The certificate a TLS port showed (whether or not the handshake then succeeded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Certificate {
    /// RFC 4514 text (`O=Maker,CN=camera`: the last name first).
    pub subject: String,
    pub issuer: String,
    /// Validity, RFC 3339 UTC.
    pub not_before: String,
    pub not_after: String,
    /// Issuer and subject are the same name: nobody vouches for it.
    pub self_signed: bool,
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, `DSA`, or the algorithm's OID.
    pub key_algorithm: String,
    /// RSA/DSA modulus bits, or the curve's size for EC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_bits: Option<u32>,
    /// The EC curve (`P-256`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
}

/// Which stage of the pipeline a failure happened in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Probe,
    Detect,
    Analyze,
}

/// A failure recorded on a device rather than aborting the scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Failure {
    pub stage: Stage,
    pub port: Option<u16>,
    pub message: String,
}

/// The model a device's own words name after its maker's name: `P1375` in an FTP greeting or
/// SNMP sysDescr `AXIS P1375 Network Camera 10.12.x`, for a device whose vendor is `Axis`. The
/// word after the maker's first word, when it has a letter and a digit (a model number, not
/// `Network` or a version alone). `None` when the text does not name the maker.
pub fn model_named_in(vendor: &str, text: &str) -> Option<String> {
    let maker = vendor.split_whitespace().next()?.to_ascii_lowercase();
    if maker.len() < 2 {
        return None;
    }
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"'))
        .filter(|w| !w.is_empty())
        .collect();
    let at = words.iter().position(|w| w.to_ascii_lowercase() == maker)?;
    let model = words.get(at + 1)?.trim_end_matches(['.', ':']);
    let modelish = model.chars().any(|c| c.is_ascii_digit())
        && model.chars().any(|c| c.is_ascii_alphabetic())
        && model.len() <= 32
        && model
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/'));
    modelish.then(|| model.to_string())
}

/// Placeholder serials (`0`, `123456`, `xxxxxxxx`) must not merge unrelated boxes.
pub fn is_real_serial(serial: &str) -> bool {
    let mut distinct: Vec<char> = serial.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    serial.len() >= 6
        && distinct.len() >= 4
        && !["unknown", "none", "null", "123456789"]
            .iter()
            .any(|p| serial.eq_ignore_ascii_case(p))
}

/// Whether `s` (an inventory's `--db`) names a PostgreSQL server (`postgres://` or
/// `postgresql://`, any case) rather than an SQLite file.
pub fn is_postgres_url(s: &str) -> bool {
    let lower = s.get(..13).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_greeting_or_sys_descr_names_the_model_after_the_maker() {
        let m = |v, t| model_named_in(v, t);
        assert_eq!(
            m(
                "Axis",
                "220 AXIS P1375 Network Camera 10.12.114 (2022) ready."
            )
            .as_deref(),
            Some("P1375")
        );
        assert_eq!(
            m("Axis", "AXIS P1375 Network Camera").as_deref(),
            Some("P1375")
        );
        assert_eq!(
            m("Hikvision", "Hikvision DS-2CD2143G2-I login:").as_deref(),
            Some("DS-2CD2143G2-I")
        );
        assert_eq!(m("Axis", "AXIS Network Camera"), None, "no model number");
        assert_eq!(
            m("Axis", "Linux 5.10 armv7l"),
            None,
            "the maker is not named"
        );
        assert_eq!(m("Axis", "AXIS 10.12"), None, "a version, no letter");
        assert_eq!(m("", "AXIS P1375"), None);
    }
}
