//! The discovery stages of a scan, listed once ([`STAGES`]): what each method of finding devices on
//! the LAN does while the port probes run. Each method's file holds all of its stage: its
//! [`About`] (`STAGE`: which `--discovery` choices run it, whether it announces channel counts,
//! what the collector learns from its events) and its `start`, which sends its answers as registry
//! events the moment it has them. Its module docs say what those events are and how the registry
//! merges them. The scan (`scan/sweep.rs`) runs the list in order and waits for what each left
//! running.
//!
//! A stage's `start` is called for every scan, with the [`Scope`]; a stage the scan did not choose
//! starts nothing (ARP, not chosen, still hands every target to the port probes: nothing narrows
//! them then). Every stage spawns its tasks and returns them at once, so all of them start with the
//! scan: ARP's sweep tells the others whom it found (`Scope::hosts`), which their unicast queries
//! and the port probes wait for; their multicast and broadcast queries do not.

use tokio::task::JoinHandle;

use super::scope::{About, ScanMessage, Scope};
use super::{arp, mdns, ssdp, vendor, wsd};
use analyze::identity::Identities;
use registry::Event;

/// One discovery stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// ARP liveness and MACs of on-link targets ([`arp`]).
    Arp,
    /// mDNS / DNS-SD ([`mdns`]).
    Mdns,
    /// ONVIF WS-Discovery and each answer's device API ([`wsd`]).
    Onvif,
    /// SSDP and each answer's UPnP description ([`ssdp`]).
    Ssdp,
    /// Every vendor protocol of [`super::protocols`], side by side ([`vendor`]).
    Vendor,
}

/// Every stage, in the order a scan starts them, all at its start: ARP first (its sweep decides
/// which on-link hosts are probed and asked by unicast), the others beside it and the port probes.
pub const STAGES: [Stage; 5] = [
    Stage::Arp,
    Stage::Mdns,
    Stage::Onvif,
    Stage::Ssdp,
    Stage::Vendor,
];

impl Stage {
    /// What the stage says of itself (its method's file's `STAGE`).
    pub fn about(self) -> &'static About {
        match self {
            Stage::Arp => &arp::STAGE,
            Stage::Mdns => &mdns::STAGE,
            Stage::Onvif => &wsd::STAGE,
            Stage::Ssdp => &ssdp::STAGE,
            Stage::Vendor => &vendor::STAGE,
        }
    }

    /// Start the stage for the scan of `scope`: its tasks, for the scan to wait for (none when the
    /// scan did not choose it; ARP's are its sweep, then the IPv6 neighbour discovery of the hosts
    /// it found, and its passive listener for misaddressed devices).
    pub fn start<M: ScanMessage>(self, scope: &mut Scope<M>) -> Vec<JoinHandle<()>> {
        match self {
            Stage::Arp => arp::start(scope),
            Stage::Mdns => mdns::start(scope),
            Stage::Onvif => wsd::start(scope),
            Stage::Ssdp => ssdp::start(scope),
            Stage::Vendor => vendor::start(scope),
        }
    }
}

/// Put what one event of the scan names on the identity board, by the rule of the stage that sent
/// it ([`About::learn`]); the collector calls it with every event, in the order they arrive.
pub fn learn(board: &Identities, ev: &Event) {
    for stage in STAGES {
        (stage.about().learn)(board, ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::DiscoveryMethod;

    /// Every `--discovery` choice but `ports` runs exactly one stage, and every stage serves one.
    #[test]
    fn every_method_has_one_stage() {
        for m in &super::super::defaults() {
            let serving: Vec<&str> = STAGES
                .iter()
                .filter(|s| (s.about().serves)(*m))
                .map(|s| s.about().name)
                .collect();
            let want = usize::from(*m != DiscoveryMethod::Port);
            assert_eq!(serving.len(), want, "{m:?}: {serving:?}");
        }
        for s in STAGES {
            assert!(
                super::super::defaults()
                    .iter()
                    .any(|m| (s.about().serves)(*m)),
                "{} serves a method",
                s.about().name
            );
        }
        assert_eq!(
            STAGES[0],
            Stage::Arp,
            "ARP first: the others ask who it found"
        );
    }
}
