//! `camscan audit`: is this installation safe, and is it what was ordered?
//!
//! Findings are judged from what a scan saw (a [`Report`]'s devices), never by sending anything
//! of their own: the rules in [`rules`] are pure functions from a device (and, for rules that
//! compare devices, the whole list) to findings, each with its test. Commissioning ([`plan`])
//! compares the devices with a technician's plan. [`render`] writes the result as a table, JSON
//! or CSV; [`resolve`] decides which of the inventory's open findings an audit may call resolved. Every finding has a stable id (scripts depend on them: never rename one), a severity,
//! the device and port or stream it concerns, the evidence (what was observed, no secret in it),
//! why it matters, how to fix it, and where the rule comes from.

use serde::{Deserialize, Serialize};

use model::{Device, Report};

pub mod formats;
pub mod known;
pub mod plan;
pub mod probe;
pub mod render;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod settings;
pub mod texts;
pub mod thumbnail;

/// Ports an audit adds to the scan's: FTP, SSH and Telnet, for `cleartext-admin-service`.
pub const AUDIT_PORTS: [u16; 3] = [21, 22, 23];

/// The audit JSON's own schema version (the scan's devices inside keep theirs).
pub const AUDIT_SCHEMA_VERSION: u32 = 1;

/// How bad a finding is; ordered, so `--fail-on high` means high or critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Lowest first, as `--min-severity` lists them.
    pub const ASCENDING: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// Highest first, as reports list them.
    pub const DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
}

impl input::choice::Choice for Severity {
    fn choices() -> &'static [Self] {
        &Severity::ASCENDING
    }

    fn choice(self) -> &'static str {
        self.as_str()
    }
}

/// A finding's stable id. The serialised names are a contract: add ids, never rename them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingId {
    StreamUnauthenticated,
    OnvifUnauthenticated,
    BasicAuthCleartext,
    DefaultCredential,
    CredentialReuse,
    TlsMissing,
    TlsWeakProtocol,
    TlsCertificateExpired,
    TlsCertificateExpiring,
    TlsSelfSigned,
    TlsWeakKey,
    CleartextAdminService,
    SnmpDefaultCommunity,
    UpnpExposed,
    ClockSkew,
    UninitializedDevice,
    IpConflict,
    FirmwareAdvisory,
    DigestMd5Only,
    OnvifUsernametokenOnly,
}

impl FindingId {
    /// Every id, in the order of the enum (the documented list's).
    pub const ALL: [FindingId; 20] = [
        FindingId::StreamUnauthenticated,
        FindingId::OnvifUnauthenticated,
        FindingId::BasicAuthCleartext,
        FindingId::DefaultCredential,
        FindingId::CredentialReuse,
        FindingId::TlsMissing,
        FindingId::TlsWeakProtocol,
        FindingId::TlsCertificateExpired,
        FindingId::TlsCertificateExpiring,
        FindingId::TlsSelfSigned,
        FindingId::TlsWeakKey,
        FindingId::CleartextAdminService,
        FindingId::SnmpDefaultCommunity,
        FindingId::UpnpExposed,
        FindingId::ClockSkew,
        FindingId::UninitializedDevice,
        FindingId::IpConflict,
        FindingId::FirmwareAdvisory,
        FindingId::DigestMd5Only,
        FindingId::OnvifUsernametokenOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingId::StreamUnauthenticated => "stream-unauthenticated",
            FindingId::OnvifUnauthenticated => "onvif-unauthenticated",
            FindingId::BasicAuthCleartext => "basic-auth-cleartext",
            FindingId::DefaultCredential => "default-credential",
            FindingId::CredentialReuse => "credential-reuse",
            FindingId::TlsMissing => "tls-missing",
            FindingId::TlsWeakProtocol => "tls-weak-protocol",
            FindingId::TlsCertificateExpired => "tls-certificate-expired",
            FindingId::TlsCertificateExpiring => "tls-certificate-expiring",
            FindingId::TlsSelfSigned => "tls-self-signed",
            FindingId::TlsWeakKey => "tls-weak-key",
            FindingId::CleartextAdminService => "cleartext-admin-service",
            FindingId::SnmpDefaultCommunity => "snmp-default-community",
            FindingId::UpnpExposed => "upnp-exposed",
            FindingId::ClockSkew => "clock-skew",
            FindingId::UninitializedDevice => "uninitialized-device",
            FindingId::IpConflict => "ip-conflict",
            FindingId::FirmwareAdvisory => "firmware-advisory",
            FindingId::DigestMd5Only => "digest-md5-only",
            FindingId::OnvifUsernametokenOnly => "onvif-usernametoken-only",
        }
    }
}

/// The device a finding concerns, as a reader finds it on site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRef {
    pub address: std::net::IpAddr,
    pub mac: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub name: Option<String>,
    pub site: Option<String>,
}

impl DeviceRef {
    pub fn of(d: &Device, site: Option<&str>) -> DeviceRef {
        DeviceRef {
            address: d.ip,
            mac: d.mac.clone(),
            vendor: d.vendor.clone(),
            model: d.model.clone(),
            name: d.name.clone(),
            site: site.map(str::to_string),
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: FindingId,
    pub severity: Severity,
    /// One line: what is wrong.
    pub title: String,
    pub device: DeviceRef,
    pub port: Option<u16>,
    /// The stream's URL (never with credentials in it).
    pub stream: Option<String>,
    /// What was observed: the request and the relevant part of the answer, secrets redacted.
    pub evidence: String,
    pub why: String,
    /// How to fix it, for any maker.
    pub fix: String,
    /// The maker's own setting, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_fix: Option<String>,
    /// Where the rule comes from: a hardening guide's section, a specification, an advisory.
    pub source: String,
}

/// A partial advisory entry of a device's maker: what `firmware-advisory` could not check on
/// it, so that no finding is not read as "not affected".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub device: DeviceRef,
    /// The maker's display name.
    pub maker: String,
    /// The advisory's id (`CVE-2025-66177`).
    pub advisory: String,
    /// What the entry does not model (`data/advisories.yaml`'s `left_out`).
    pub left_out: String,
    /// The maker's source for the whole list (else every source of the entry).
    pub source: String,
}

/// What the rules are judged against besides the devices.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The site the devices are at (the fleet's), for the findings' device references.
    pub site: Option<String>,
    /// When the judgement is made, Unix seconds (certificates expire against it).
    pub now: i64,
}

/// Every finding of `devices`, most severe first, then by address, id and port.
pub fn judge(devices: &[Device], ctx: &Context) -> Vec<Finding> {
    let mut out: Vec<Finding> = devices
        .iter()
        .flat_map(|d| {
            let mut found = rules::device_rules(d, ctx);
            found.extend(known::default_credential(d, ctx));
            found.extend(known::firmware_advisory(
                d,
                ctx,
                &knowledge::get().advisories,
            ));
            found
        })
        .collect();
    out.extend(rules::across_devices(devices, ctx));
    sort(&mut out);
    out
}

/// Most severe first, then by address, id, port and stream: the order every output keeps.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.device.address.cmp(&b.device.address))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.port.cmp(&b.port))
            .then_with(|| a.stream.cmp(&b.stream))
    });
}

/// An audit's whole result: the JSON document, and what every other output renders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    pub audit_schema_version: u32,
    pub camscan_version: String,
    /// `scan` (a scan ran for this audit) or `inventory` (`--from-db`: the stored inventory).
    pub source: String,
    pub site: Option<String>,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// With `--expect`: each planned camera's result and the cameras not in the plan.
    pub commissioning: Option<plan::Commissioning>,
    /// Advisory coverage that is partial: for each device whose maker has advisory entries
    /// that leave lines out, which and what ([`known::coverage`]). Empty when complete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<Coverage>,
    /// The checks this audit could not make, each with why (`--from-db`: what the inventory
    /// does not keep). Empty when every check was made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<NotChecked>,
    /// The devices judged (the scan's report, or the inventory's newest descriptions).
    pub report: Report,
}

/// A check an audit could not make, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotChecked {
    /// The finding ids the check gives (`credential-reuse`).
    pub checks: Vec<String>,
    pub why: String,
}

/// What `audit --from-db` cannot judge from the inventory, which keeps each device's newest
/// description and no more: the logins a scan made, and the answers of the audit's own
/// questions (administration ports, SNMP, legacy TLS) unless that description came from an
/// audit that scanned.
pub fn not_from_inventory() -> Vec<NotChecked> {
    let ports: Vec<String> = AUDIT_PORTS.iter().map(u16::to_string).collect();
    vec![
        NotChecked {
            checks: vec![FindingId::CredentialReuse.as_str().into()],
            why: "judged for streams only: the inventory keeps a keyed hash of each stream's \
                  login, never the logins a scan made to web admin pages and the ONVIF API"
                .into(),
        },
        NotChecked {
            checks: vec![FindingId::CleartextAdminService.as_str().into()],
            why: format!(
                "FTP, SSH and Telnet (ports {}) are asked by an audit that scans and never \
                 recorded; judged only where the site's own scans asked those ports",
                ports.join(", ")
            ),
        },
        NotChecked {
            checks: vec![FindingId::DefaultCredential.as_str().into()],
            why: "the makers' factory credentials are tried only by an audit that scans with \
                  --check-defaults; judged only where the newest description came from one"
                .into(),
        },
        NotChecked {
            checks: vec![
                FindingId::SnmpDefaultCommunity.as_str().into(),
                FindingId::TlsWeakProtocol.as_str().into(),
            ],
            why: "SNMP's default communities and TLS 1.1 and older are asked only by an audit \
                  that scans: judged only for devices whose newest description came from one"
                .into(),
        },
    ]
}

/// Counts at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub devices: usize,
    pub cameras: usize,
    /// Cameras with at least one stream verified to play.
    pub verified: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl AuditReport {
    pub fn new(
        report: Report,
        source: &str,
        ctx: &Context,
        commissioning: Option<plan::Commissioning>,
    ) -> AuditReport {
        let findings = judge(&report.devices, ctx);
        let coverage = report
            .devices
            .iter()
            .flat_map(|d| known::coverage(d, ctx, &knowledge::get().advisories))
            .collect();
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        let cameras: Vec<&Device> = report.devices.iter().filter(|d| is_camera(d)).collect();
        let summary = Summary {
            devices: report.devices.len(),
            cameras: cameras.len(),
            verified: cameras
                .iter()
                .filter(|d| d.streams.iter().any(|s| s.verified))
                .count(),
            critical: count(Severity::Critical),
            high: count(Severity::High),
            medium: count(Severity::Medium),
            low: count(Severity::Low),
            info: count(Severity::Info),
        };
        AuditReport {
            audit_schema_version: AUDIT_SCHEMA_VERSION,
            camscan_version: env!("CARGO_PKG_VERSION").to_string(),
            source: source.to_string(),
            site: ctx.site.clone(),
            summary,
            findings,
            commissioning,
            coverage,
            not_checked: if source == "inventory" {
                not_from_inventory()
            } else {
                Vec::new()
            },
            report,
        }
    }

    /// Whether a finding at or above `level` exists (`--fail-on`).
    pub fn fails_at(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= level)
    }
}

/// A camera, as the audit counts them: said to be one, or showing a stream.
pub fn is_camera(d: &Device) -> bool {
    d.is_camera || !d.streams.is_empty()
}
