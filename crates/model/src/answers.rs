//! What discovery answers say of a device, as the report keeps them: SNMP, mDNS, the vendor
//! protocols' announcements, UPnP and WS-Discovery (with the XAddrs that no longer answer).

use serde::{Deserialize, Serialize};

/// An SNMP agent that answered `GetRequest sysDescr.0` (v2c) to a default community.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SnmpInfo {
    /// The communities it answered (`public`, `private`); never one a user gave.
    pub communities: Vec<String>,
    /// sysDescr.0.
    #[serde(default)]
    pub sys_descr: Option<String>,
}

/// What a device announced over mDNS / DNS-SD (RFC 6762, RFC 6763).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MdnsInfo {
    /// The service instances it answered with, sorted by service type and instance.
    #[serde(default)]
    pub services: Vec<MdnsService>,
    /// Every service type it offers (`_http._tcp`, `_ipp._tcp`): those it lists under
    /// `_services._dns-sd._udp`, and those of records it added to its answers unasked.
    #[serde(default)]
    pub types: Vec<String>,
}

/// One DNS-SD service instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MdnsService {
    /// Service type: `_axis-video._tcp`, `_rtsp._tcp`, `_hap._tcp`, ...
    pub service: String,
    /// Instance name, often the name the user gave the device (`AXIS M3045-V - ACCC8E0A1B2C`).
    pub instance: String,
    /// The `.local` host name the service's SRV record points at.
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    /// TXT `key=value` pairs (a key alone when it has no value), sorted by key, the first of each
    /// key (RFC 6763 §6.4). Axis: `macaddress=ACCC8E0A1B2C`; RTSP: `path=/...`; HomeKit: `md`
    /// model, `ci` category.
    #[serde(default)]
    pub txt: Vec<String>,
}

/// One name of a device and where camscan read it.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct DeviceName {
    pub name: String,
    pub kind: NameKind,
    /// `user` (typed as a target), `dns` (reverse lookup), or the discovery method that told it
    /// (`mdns`, `onvif`, `ssdp`, `sadp`, `dhip`, ...).
    pub source: String,
}

/// What kind of name: a host name (DNS, `.local`) or a label a person gave the device.
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
pub enum NameKind {
    /// A DNS-style host name: `hostname`'s kind.
    Host,
    /// A friendly name (`Front Door`, an mDNS instance name): `name`'s kind.
    Label,
}

/// A vendor discovery protocol's description of a device, as the device sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Announcement {
    /// The protocol's discovery method name (`sadp`, `dhip`, `dvrip`, ...).
    pub protocol: String,
    /// SADP `DeviceType` code or DHIP `DeviceClass` (e.g. `IPC`, `NVR`).
    pub device_type: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// Lowercase `aa:bb:cc:dd:ee:ff`.
    pub mac: Option<String>,
    pub firmware: Option<String>,
    /// The IPv4 address the device says it has (may differ from where it answered from).
    pub ipv4: Option<String>,
    /// The IPv4 subnet mask it says it has (SADP `IPv4SubnetMask`, DHIP `SubnetMask`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_mask: Option<String>,
    /// The IPv4 gateway it says it uses (SADP `IPv4Gateway`, DHIP `DefaultGateway`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_gateway: Option<String>,
    /// An IPv6 address it says it has (SADP `IPv6Address`), `::` left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<String>,
    pub http_port: Option<u16>,
    /// The vendor SDK port (Hikvision 8000, Dahua 37777).
    pub sdk_port: Option<u16>,
    pub channels: Option<u32>,
    /// SADP only: `false` is a factory-state device with no password set yet.
    pub activated: Option<bool>,
    pub dhcp: Option<bool>,
    /// The name the device gives itself (DVRIP `HostName`, Ubiquiti's name), when the protocol
    /// carries one.
    #[serde(default)]
    pub name: Option<String>,
}

/// The root device of a UPnP description.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UpnpInfo {
    pub device_type: Option<String>,
    pub friendly_name: Option<String>,
    pub manufacturer: Option<String>,
    pub model_name: Option<String>,
    pub model_number: Option<String>,
    pub model_description: Option<String>,
    pub serial_number: Option<String>,
    pub udn: Option<String>,
    pub presentation_url: Option<String>,
}

/// A WS-Discovery ProbeMatch, as the device sent it (scopes and XAddrs kept raw), and the media
/// profiles its device API listed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OnvifInfo {
    /// EndpointReference address, usually `urn:uuid:...`.
    pub endpoint: Option<String>,
    pub types: Vec<String>,
    pub scopes: Vec<String>,
    /// Device service addresses, `0.0.0.0` rewritten to the sender.
    pub xaddrs: Vec<String>,
    /// Media profiles (GetProfiles on Media2 when the device has it, else Media1).
    #[serde(default)]
    pub profiles: Vec<OnvifProfile>,
    /// The device's clock minus the scanner's, in seconds (GetSystemDateAndTime, which ONVIF lets
    /// anyone ask); absent when the device did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_offset_s: Option<i64>,
    /// Device API operations the device answered without credentials (`GetDeviceInformation`,
    /// `GetProfiles`, `GetStreamUri`...), in the order asked; GetSystemDateAndTime not counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unauthenticated: Vec<String>,
    /// XAddrs the device announces (in its ProbeMatch) that do not answer: typically the camera's
    /// old address, kept in its WS-Discovery configuration after it moved. Each says who announced
    /// it, why it counts as stale and, when the sender answers the same port itself, where.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale_xaddrs: Vec<StaleXaddr>,
}

/// An announced XAddr whose host does not answer (see [`OnvifInfo::stale_xaddrs`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StaleXaddr {
    /// The XAddr as announced, e.g. `http://198.19.1.64/onvif/device_service`.
    pub address: String,
    /// The address the announcement came from.
    pub announced_by: String,
    /// Why it counts as stale: `connection refused`, `no answer within 1.0 s`, `unreachable: ...`.
    pub reason: String,
    /// The same service at the sender's own address, when that answers (the device API was asked
    /// there instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers_on: Option<String>,
}

impl StaleXaddr {
    /// One line for a technician: `announces http://198.19.1.64/onvif/device_service, which does
    /// not answer (no answer within 1.0 s): an old address of the camera; it answers on
    /// http://198.18.0.11/onvif/device_service`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} announces {}, which does not answer ({}): an old address of the device",
            self.announced_by, self.address, self.reason
        );
        match &self.answers_on {
            Some(url) => s.push_str(&format!("; it answers on {url}")),
            None => s.push_str(&format!(
                "; the same service does not answer on {} either",
                self.announced_by
            )),
        }
        s
    }
}

/// One ONVIF media profile: its encoder settings and where to get its stream and snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OnvifProfile {
    pub token: String,
    pub name: Option<String>,
    /// `H264`, `H265`, `JPEG`, `MPEG4` as the device spells it.
    pub encoding: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The encoder's frame-rate limit (a setting, not a measurement).
    pub fps: Option<f64>,
    /// `media2` or `media`: the service that listed it.
    pub service: String,
    pub stream_uri: Option<String>,
    pub snapshot_uri: Option<String>,
}
