//! The JSON output contract (docs/reference/json-schema.md, schema_version 2), written out independently of the
//! library's own types: if a field the docs promise is renamed or retyped, parsing here fails.
//! Extra fields are allowed (the contract only grows).

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub camscan_version: String,
    pub started_at: String,
    pub finished_at: String,
    pub complete: bool,
    pub targets: Vec<String>,
    /// What the scan decided before it sent anything; absent in reports rebuilt from the
    /// inventory.
    #[serde(default)]
    pub plan: Option<Plan>,
    /// What the scan asked, heard and lost; absent in reports rebuilt from the inventory.
    #[serde(default)]
    pub coverage: Option<Coverage>,
    pub devices: Vec<Device>,
}

/// The `coverage` object.
#[derive(Debug, Deserialize)]
pub struct Coverage {
    #[serde(default)]
    pub arp: Option<ArpCoverage>,
    #[serde(default)]
    pub host_discovery: Option<HostDiscoveryCoverage>,
    pub probes: ProbeCoverage,
    pub neighbour_overflows: u64,
    #[serde(default)]
    pub shared_macs: Vec<SharedMac>,
    #[serde(default)]
    pub lost: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct ArpCoverage {
    pub mode: String,
    pub asked: u64,
    pub answered: u64,
    pub asked_again: u64,
    pub found_on_retry: u64,
    pub passes: u32,
    pub rate: u32,
    pub final_rate: u32,
    pub loss_percent: f64,
    pub given_up: u64,
    #[serde(default)]
    pub hidden: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HostDiscoveryCoverage {
    pub asked: u64,
    pub answered: u64,
    pub ports: Vec<u16>,
    #[serde(default)]
    pub icmp_answered: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct ProbeCoverage {
    pub connects: u64,
    pub open: u64,
    pub closed: u64,
    pub timeouts: u64,
    pub unreachable: u64,
    pub retried: u64,
    pub lost: u64,
}

#[derive(Debug, Deserialize)]
pub struct SharedMac {
    pub mac: String,
    pub addresses: u64,
    pub kind: String,
}

/// The `plan` object.
#[derive(Debug, Deserialize)]
pub struct Plan {
    pub interfaces: Vec<PlanInterface>,
    pub ranges: Vec<PlanRange>,
    pub addresses: u64,
    pub ports: Vec<u16>,
    pub discovery: Vec<PlanMethod>,
    pub concurrency: u64,
    pub per_host: u64,
    pub max_rate: u64,
    #[serde(default)]
    pub arp_rate: u64,
    #[serde(default)]
    pub host_discovery: Vec<u16>,
    pub connect_timeout_ms: u64,
    pub retries: u32,
    pub estimate: Estimate,
    pub warnings: Vec<PlanWarning>,
}

#[derive(Debug, Deserialize)]
pub struct PlanInterface {
    pub name: String,
    pub address: String,
    pub subnet: String,
}

#[derive(Debug, Deserialize)]
pub struct PlanRange {
    pub first: String,
    pub last: String,
    pub addresses: u64,
    pub interface: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PlanMethod {
    pub method: String,
    pub runs: bool,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Estimate {
    pub probes: u64,
    pub min_seconds: f64,
    pub max_seconds: f64,
    pub model: String,
}

#[derive(Debug, Deserialize)]
pub struct PlanWarning {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
pub struct Device {
    pub ip: String,
    pub mac: Option<String>,
    pub hostname: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub serial: Option<String>,
    pub name: Option<String>,
    pub is_camera: bool,
    pub discovered_by: Vec<String>,
    pub open_ports: Vec<u16>,
    pub services: Vec<Service>,
    pub streams: Vec<Stream>,
    pub errors: Vec<Failure>,
    pub addresses: Vec<String>,
    pub channels: Option<u32>,
    pub announced: Vec<Announcement>,
    /// Every name with its source (docs/reference/formats.md, "Device names").
    pub names: Vec<Name>,
    /// The IEEE registry's organisation for the MAC's prefix.
    pub mac_vendor: Option<String>,
    /// The MAC is locally administered (randomised): no maker.
    pub mac_randomized: bool,
    /// The MAC answered for many addresses (a bridge or proxy in front); absent when false.
    #[serde(default)]
    pub mac_shared: bool,
    /// What the device can do; absent when nothing was learned.
    #[serde(default)]
    pub capabilities: Option<Capabilities>,
    /// The interface of the device's IPv6 link-local addresses; absent when it has none.
    #[serde(default)]
    pub zone: Option<String>,
    /// Heard on the wire with an address outside every attached subnet; absent otherwise.
    #[serde(default)]
    pub misaddressed: Option<Misaddressed>,
    /// An NVR's channels: the cameras behind it (docs/reference/json-schema.md); absent otherwise.
    #[serde(default)]
    pub nvr_channels: Vec<NvrChannel>,
    /// The WS-Discovery answer (and the device API's profiles); absent when none came.
    #[serde(default)]
    pub onvif: Option<Onvif>,
}

/// One `nvr_channels` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NvrChannel {
    pub channel: u32,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub serial: Option<String>,
    #[serde(default)]
    pub firmware: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    pub online: Option<bool>,
    #[serde(default)]
    pub stream: Option<String>,
    #[serde(default)]
    pub substream: Option<String>,
    pub verified: bool,
    pub source: String,
}

/// The `onvif` object, as far as the tests read it.
#[derive(Debug, Deserialize)]
pub struct Onvif {
    pub endpoint: Option<String>,
    pub types: Vec<String>,
    pub scopes: Vec<String>,
    pub xaddrs: Vec<String>,
    /// Announced XAddrs that do not answer; absent when there are none.
    #[serde(default)]
    pub stale_xaddrs: Vec<StaleXaddr>,
}

/// One of `onvif.stale_xaddrs`.
#[derive(Debug, Deserialize)]
pub struct StaleXaddr {
    pub address: String,
    pub announced_by: String,
    pub reason: String,
    #[serde(default)]
    pub answers_on: Option<String>,
}

/// The `misaddressed` object: the device's subnet and how to reach it.
#[derive(Debug, Deserialize)]
pub struct Misaddressed {
    pub address: String,
    pub mask: String,
    pub prefix: u8,
    #[serde(default)]
    pub mask_assumed: bool,
    pub gateway: Option<String>,
    pub interface: String,
    pub seen_by: Vec<String>,
    pub reach: Reach,
    #[serde(default)]
    pub reached: bool,
}

#[derive(Debug, Deserialize)]
pub struct Reach {
    pub ipv6_link_local: Option<String>,
    pub temporary_address: String,
    pub ip_addr_add: String,
    pub ip_addr_del: String,
}

/// The `capabilities` object (its own `version`, 1).
#[derive(Debug, Deserialize)]
pub struct Capabilities {
    pub version: u32,
    pub talkback: Option<Talkback>,
    pub ptz: Option<Ptz>,
    pub events: Option<Events>,
    pub onvif: Option<OnvifServices>,
    #[serde(default)]
    pub logins: Vec<LoginSchemes>,
    pub roles: Option<Roles>,
    #[serde(default)]
    pub playback: Vec<Playback>,
}

#[derive(Debug, Deserialize)]
pub struct Talkback {
    pub supported: bool,
    pub url: String,
    pub codec: Option<String>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
    pub evidence: String,
}

#[derive(Debug, Deserialize)]
pub struct Ptz {
    pub nodes: u32,
    pub absolute: bool,
    pub relative: bool,
    pub continuous: bool,
    pub fov_relative: bool,
    #[serde(default)]
    pub spaces: Vec<String>,
    pub presets: Option<u32>,
    pub home: bool,
    pub move_status: Option<bool>,
    pub default_relative_space: Option<String>,
    pub autotracking: Readiness,
}

#[derive(Debug, Deserialize)]
pub struct Readiness {
    pub ready: bool,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
pub struct Events {
    pub pull_point: Option<bool>,
    pub subscription_policy: Option<bool>,
    #[serde(default)]
    pub topics: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct OnvifServices {
    #[serde(default)]
    pub profiles: Vec<String>,
    #[serde(default)]
    pub services: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginSchemes {
    pub service: String,
    pub offered: Vec<String>,
    pub used: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Roles {
    pub record: Option<Role>,
    pub detect: Option<Role>,
}

#[derive(Debug, Deserialize)]
pub struct Role {
    pub url: String,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
pub struct Playback {
    pub url: String,
    /// `everywhere`, `some`, `none`.
    pub browsers: String,
    #[serde(default)]
    pub via: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
pub struct Name {
    pub name: String,
    /// `host` or `label`.
    pub kind: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
pub struct Announcement {
    pub protocol: String,
    pub device_type: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub mac: Option<String>,
    pub firmware: Option<String>,
    pub ipv4: Option<String>,
    #[serde(default)]
    pub ipv4_mask: Option<String>,
    #[serde(default)]
    pub ipv4_gateway: Option<String>,
    #[serde(default)]
    pub ipv6: Option<String>,
    pub http_port: Option<u16>,
    pub sdk_port: Option<u16>,
    pub channels: Option<u32>,
    pub activated: Option<bool>,
    pub dhcp: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct Service {
    pub port: u16,
    pub transport: String,
    pub protocol: String,
    pub server: Option<String>,
    pub auth: Auth,
    pub title: Option<String>,
    pub product: Option<String>,
    pub tls: Option<String>,
    /// Absent unless a name could not be guessed.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    None,
    Basic,
    Digest,
    Unknown,
}

#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It played: media came (`verified` is true).
    Ok,
    /// It answered and sent no media (schema version 2; version 1 said `ok`).
    Unverified,
    AuthRequired,
    AuthFailed,
    AuthLocked,
    NotFound,
    Error,
}

impl Status {
    /// Its server answered and let camscan in: `ok` (it played) or `unverified` (no media).
    pub fn answers(self) -> bool {
        matches!(self, Status::Ok | Status::Unverified)
    }
}

#[derive(Debug, Deserialize)]
pub struct Stream {
    pub url: String,
    pub protocol: String,
    pub auth: Auth,
    pub status: Status,
    pub verified: bool,
    pub video: Option<Video>,
    pub audio: Option<Audio>,
    #[serde(default)]
    pub measured: Option<Measured>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub same_as: Option<String>,
    /// What camscan worked around (`sdp_repaired: missing origin address`); absent when none.
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, PartialEq, Deserialize)]
pub struct Video {
    pub codec: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fps: Option<f64>,
    pub profile: Option<String>,
    #[serde(default)]
    pub fps_source: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub rfc6381: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Measured {
    pub transport: String,
    pub packets: u64,
    pub bytes: u64,
    pub fps: Option<f64>,
    pub bitrate_kbps: Option<f64>,
    pub keyframe: bool,
}

#[derive(Debug, PartialEq, Deserialize)]
pub struct Audio {
    pub codec: String,
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
}

#[derive(Debug, Deserialize)]
pub struct Failure {
    pub stage: String,
    pub port: Option<u16>,
    pub message: String,
}

impl Report {
    pub fn device(&self, ip: &str) -> &Device {
        self.devices.iter().find(|d| d.ip == ip).unwrap_or_else(|| {
            panic!(
                "no device {ip} in {:#?}",
                self.devices.iter().map(|d| &d.ip).collect::<Vec<_>>()
            )
        })
    }
}

impl Device {
    pub fn stream(&self, url: &str) -> &Stream {
        self.streams
            .iter()
            .find(|s| s.url == url)
            .unwrap_or_else(|| {
                panic!(
                    "no stream {url} on {}: {:#?}",
                    self.ip,
                    self.streams.iter().map(|s| &s.url).collect::<Vec<_>>()
                )
            })
    }
}

/// `camscan audit -f json` (docs/reference/json-schema.md, audit_schema_version 1).
#[derive(Debug, Deserialize)]
pub struct Audit {
    pub audit_schema_version: u32,
    pub camscan_version: String,
    pub source: String,
    pub site: Option<String>,
    pub summary: AuditSummary,
    pub findings: Vec<Finding>,
    pub commissioning: Option<Commissioning>,
    #[serde(default)]
    pub not_checked: Vec<NotChecked>,
    pub report: Report,
}

#[derive(Debug, Deserialize)]
pub struct NotChecked {
    pub checks: Vec<String>,
    pub why: String,
}

#[derive(Debug, Deserialize)]
pub struct AuditSummary {
    pub devices: usize,
    pub cameras: usize,
    pub verified: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

#[derive(Debug, Deserialize)]
pub struct Finding {
    pub id: String,
    pub severity: String,
    pub title: String,
    pub device: FindingDevice,
    pub port: Option<u16>,
    pub stream: Option<String>,
    pub evidence: String,
    pub why: String,
    pub fix: String,
    #[serde(default)]
    pub vendor_fix: Option<String>,
    pub source: String,
}

#[derive(Debug, Deserialize)]
pub struct FindingDevice {
    pub address: String,
    pub mac: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub name: Option<String>,
    pub site: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Commissioning {
    pub planned: usize,
    pub ok: usize,
    pub missing: usize,
    pub mismatch: usize,
    pub cameras: Vec<PlannedResult>,
    pub unexpected: Vec<FindingDevice>,
}

#[derive(Debug, Deserialize)]
pub struct PlannedResult {
    pub planned: Planned,
    pub state: String,
    pub found: Option<FindingDevice>,
    pub differences: Vec<Difference>,
}

#[derive(Debug, Deserialize)]
pub struct Planned {
    pub line: usize,
    pub name: Option<String>,
    pub address: Option<String>,
    pub mac: Option<String>,
    pub resolution: Option<(u32, u32)>,
    pub fps: Option<f64>,
    pub codec: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Difference {
    pub fact: String,
    pub planned: String,
    pub found: String,
}
