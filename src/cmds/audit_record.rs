//! `camscan audit` keeps its findings in the inventory (`store::findings`): each finding is tied
//! to the stored device it concerns, and what the audit could have seen decides which open
//! findings it may resolve. Resolving wrongly is the worse mistake (a hole reported fixed), so
//! the rules here are conservative:
//!
//! * an incomplete audit (the scan was interrupted) resolves nothing;
//! * only findings of devices this audit judged (the store resolves none of the others);
//! * a finding on a port resolves only when the port was seen open this time or was probed
//!   (`--from-db` probes nothing: only an open port it describes counts), and the scan recorded
//!   no failure on it (a timeout, an analysis cut short);
//! * a finding that one of audit's own questions found (SNMP communities, legacy TLS) resolves
//!   only when those questions were asked (a complete scan of `camscan audit`, never
//!   `--from-db`, whose descriptions may come from a plain `camscan scan`), one that a discovery
//!   method found (SSDP, SADP/DHIP, ARP) only when the method ran, and `default-credential` only
//!   by a complete audit that tried the makers' defaults (`--check-defaults`).

use std::collections::HashMap;
use std::net::IpAddr;

use crate::audit::{AuditReport, Finding, FindingId};
use crate::model::{Device, DiscoveryMethod};
use crate::store::{FindingKey, FindingsAudit, FindingsRecorded, NewFinding, Store, StoreError};

/// What an audit looked at, for [`may_resolve`].
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// The scan ran to its end (`--from-db`: always).
    pub complete: bool,
    /// Audit's own questions (SNMP, legacy TLS) were asked of every device.
    pub asked: bool,
    /// The makers' factory credentials were tried (`--check-defaults`, a complete scan).
    pub defaults: bool,
    /// The TCP ports probed (`None`: none, as with `--from-db`).
    pub ports: Option<Vec<u16>>,
    /// The discovery methods that ran.
    pub methods: Vec<DiscoveryMethod>,
}

/// Whether an open finding `id` on `port` of `device` (as this audit judged it) that the audit
/// no longer found may be resolved.
pub fn may_resolve(id: FindingId, port: Option<u16>, device: &Device, cov: &Coverage) -> bool {
    let ran = |m: DiscoveryMethod| cov.methods.contains(&m);
    // A port the scan failed on this time (a timeout, an analysis that did not finish) was not
    // judged, open or probed.
    let port_seen = |p: u16| {
        !device.errors.iter().any(|e| e.port == Some(p))
            && (device.open_ports.contains(&p)
                || cov.ports.as_ref().is_some_and(|ps| ps.contains(&p)))
    };
    match id {
        FindingId::DefaultCredential => cov.defaults && port.is_none_or(port_seen),
        FindingId::SnmpDefaultCommunity | FindingId::TlsWeakProtocol => cov.asked,
        FindingId::UpnpExposed => ran(DiscoveryMethod::Ssdp),
        FindingId::UninitializedDevice => ran(DiscoveryMethod::Sadp) || ran(DiscoveryMethod::Dhip),
        FindingId::IpConflict => ran(DiscoveryMethod::Arp),
        _ => port.is_none_or(port_seen),
    }
}

/// The store's form of a finding of the stored device `device_id`.
fn new_finding(f: &Finding, device_id: i64) -> NewFinding {
    NewFinding {
        device_id,
        finding: f.id.as_str().to_string(),
        severity: f.severity.as_str().to_string(),
        port: f.port,
        stream: f.stream.clone(),
        title: f.title.clone(),
        evidence: f.evidence.clone(),
        why: f.why.clone(),
        fix: f.fix.clone(),
        vendor_fix: f.vendor_fix.clone(),
        source: f.source.clone(),
    }
}

/// A device as findings name it: its address and MAC.
fn who(ip: IpAddr, mac: Option<&str>) -> (IpAddr, Option<String>) {
    (ip, mac.map(str::to_ascii_lowercase))
}

/// Record `audit`'s findings at `site`: the devices it judged found in the store by MAC, else by
/// address (the scan has just recorded them; `--from-db` read them from it).
pub fn record(
    store: &mut Store,
    site: &str,
    audit: &AuditReport,
    cov: &Coverage,
) -> Result<FindingsRecorded, StoreError> {
    let mut ids: HashMap<(IpAddr, Option<String>), (i64, &Device)> = HashMap::new();
    for d in &audit.report.devices {
        let key = d.mac.clone().unwrap_or_else(|| d.ip.to_string());
        match store.device_id(&key, Some(site))? {
            Some(id) => {
                ids.insert(who(d.ip, d.mac.as_deref()), (id, d));
            }
            None => tracing::debug!(device = %d.ip, "audit: a device the inventory does not know"),
        }
    }
    let found: Vec<NewFinding> = audit
        .findings
        .iter()
        .filter_map(|f| {
            let id = ids.get(&who(f.device.address, f.device.mac.as_deref()))?.0;
            Some(new_finding(f, id))
        })
        .collect();
    let judged: Vec<i64> = ids.values().map(|(id, _)| *id).collect();
    let devices: HashMap<i64, &Device> = ids.values().copied().collect();
    let resolve = |k: &FindingKey| {
        let id = serde_json::from_value::<FindingId>(serde_json::Value::String(k.finding.clone()));
        match (id, devices.get(&k.device_id)) {
            (Ok(id), Some(d)) => may_resolve(id, k.port, d, cov),
            // A finding id this camscan does not know (a newer one wrote it): left as it is.
            _ => false,
        }
    };
    store.record_findings(&FindingsAudit {
        site,
        found: &found,
        judged: &judged,
        complete: cov.complete,
        may_resolve: &resolve,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(ports: &[u16]) -> Device {
        let mut d = Device::new("10.0.0.5".parse().unwrap());
        d.open_ports = ports.to_vec();
        d
    }

    #[test]
    fn only_what_the_audit_could_see_resolves() {
        let scan = Coverage {
            complete: true,
            asked: true,
            defaults: false,
            ports: Some(vec![80, 554]),
            methods: vec![DiscoveryMethod::Port, DiscoveryMethod::Arp],
        };
        let from_db = Coverage {
            complete: true,
            ..Coverage::default()
        };
        let d = device(&[554]);
        let stream = FindingId::StreamUnauthenticated;
        assert!(may_resolve(stream, Some(554), &d, &scan));
        assert!(may_resolve(stream, Some(554), &d, &from_db), "seen open");
        assert!(
            may_resolve(stream, Some(80), &d, &scan),
            "probed, closed now"
        );
        assert!(!may_resolve(stream, Some(8554), &d, &scan), "not probed");
        assert!(!may_resolve(stream, Some(80), &d, &from_db));
        assert!(may_resolve(FindingId::ClockSkew, None, &d, &from_db));
        let mut timed_out = device(&[554]);
        timed_out.errors.push(crate::model::Failure {
            stage: crate::model::Stage::Analyze,
            port: Some(554),
            message: "DESCRIBE: no answer within 5 s".into(),
        });
        assert!(
            !may_resolve(stream, Some(554), &timed_out, &scan),
            "a failure on the port"
        );
        for id in [FindingId::SnmpDefaultCommunity, FindingId::TlsWeakProtocol] {
            assert!(may_resolve(id, Some(161), &d, &scan));
            assert!(!may_resolve(id, Some(161), &d, &from_db), "{id:?}");
        }
        assert!(
            !may_resolve(FindingId::UpnpExposed, None, &d, &scan),
            "no SSDP ran"
        );
        assert!(may_resolve(FindingId::IpConflict, None, &d, &scan));
        assert!(!may_resolve(
            FindingId::DefaultCredential,
            Some(554),
            &d,
            &scan
        ));
        let defaults = Coverage {
            defaults: true,
            ..scan.clone()
        };
        assert!(may_resolve(
            FindingId::DefaultCredential,
            Some(554),
            &d,
            &defaults
        ));
    }
}
