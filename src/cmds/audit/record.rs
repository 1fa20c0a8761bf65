//! `camscan audit` keeps its findings in the inventory (`store::findings`): each finding is tied
//! to the stored device it concerns, and what the audit could have seen
//! ([`crate::audit::resolve`]) decides which open findings it may resolve.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::audit::resolve::{Coverage, may_resolve};
use crate::audit::{AuditReport, Finding, FindingId};
use model::Device;
use store::{FindingKey, FindingsAudit, FindingsRecorded, NewFinding, Store, StoreError};

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
