//! Which open findings an audit may resolve, from what it could have seen. Resolving wrongly is
//! the worse mistake (a hole reported fixed), so
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

use super::FindingId;
use model::{Device, DiscoveryMethod};

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
        // Only SADP's answer carries the flag (DHIP's is not read): a scan without SADP could not
        // have seen the device activated.
        FindingId::UninitializedDevice => ran(DiscoveryMethod::Sadp),
        FindingId::IpConflict => ran(DiscoveryMethod::Arp),
        _ => port.is_none_or(port_seen),
    }
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
        timed_out.errors.push(model::Failure {
            stage: model::Stage::Analyze,
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
        let dhip_only = Coverage {
            methods: vec![DiscoveryMethod::Dhip],
            ..scan.clone()
        };
        assert!(
            !may_resolve(FindingId::UninitializedDevice, None, &d, &dhip_only),
            "DHIP's answer carries no activation flag"
        );
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
