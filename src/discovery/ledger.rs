//! Which addresses discovery handed the port probes and how many of their connects are still to finish,
//! so the collector can tell when one address's probes are all done (a device need not wait for
//! the probes of the rest of the range: a firewalled host's connect timeouts, a /16's last port).
//!
//! Discovery hands targets to the probes ([`crate::discovery::Probes::hand`]), which writes them
//! here at once, before the batch is queued: an address a stage handed before it closed is always
//! known here by the time the collector hears that the stage closed. The prober counts each
//! finished connect ([`Ledger::finish_one`]); the last one of an address tells the collector
//! through the open-port channel, behind that address's open ports
//! ([`crate::probe::ProbeNews::HostDone`]),
//! so the collector has seen every port the address opened before it counts it probed.
//!
//! Memory is bounded: at most [`TRACKED`] addresses are counted one by one. A scan handed more
//! (a /16 and up) is *untracked*: the collector then waits for the end of all probes, as before.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::discovery::targets::TargetSet;

/// Most addresses counted one by one (a /16).
pub const TRACKED: u128 = 65_536;

/// The probes' ledger of one scan; shared by discovery (which hands), the prober (which counts)
/// and the collector (which asks).
#[derive(Debug, Default)]
pub struct Ledger {
    inner: Mutex<Inner>,
}

/// One address's connects.
#[derive(Debug, Default, Clone, Copy)]
struct Count {
    /// Still to finish.
    left: u64,
    /// How many times `left` came down to 0 (an address handed again counts down again): the
    /// collector has seen all of its open ports once it heard of that many.
    rounds: u32,
}

#[derive(Debug, Default)]
struct Inner {
    /// Per address handed while tracked.
    remaining: HashMap<IpAddr, Count>,
    /// Addresses counted so far.
    counted: u128,
    /// More than [`TRACKED`] addresses were handed: nothing is known per address.
    untracked: bool,
}

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `targets` are handed to the probes, `ports` connects each.
    pub fn expect(&self, targets: &TargetSet, ports: usize) {
        let mut inner = self.lock();
        if inner.untracked {
            return;
        }
        let n = targets.len();
        if ports == 0 || n == 0 {
            return;
        }
        if inner.counted.saturating_add(n) > TRACKED {
            inner.untracked = true;
            inner.remaining = HashMap::new();
            return;
        }
        inner.counted += n;
        for ip in targets.iter() {
            inner.remaining.entry(ip).or_default().left += ports as u64;
        }
    }

    /// One connect to `ip` finished: whether it was the last one still to finish there.
    pub fn finish_one(&self, ip: IpAddr) -> bool {
        let mut inner = self.lock();
        match inner.remaining.get_mut(&ip) {
            Some(c) if c.left > 1 => {
                c.left -= 1;
                false
            }
            Some(c) if c.left == 1 => {
                c.left = 0;
                c.rounds += 1;
                true
            }
            _ => false,
        }
    }

    /// Whether the probes of `ip` are done and the collector, having heard `heard` of its
    /// [`crate::probe::ProbeNews::HostDone`]s, has seen every port they opened: never handed, or every
    /// connect finished and each time that happened heard of. Never while untracked.
    pub fn settled(&self, ip: IpAddr, heard: u32) -> bool {
        let inner = self.lock();
        !inner.untracked
            && inner
                .remaining
                .get(&ip)
                .is_none_or(|c| c.left == 0 && heard >= c.rounds)
    }

    /// More addresses were handed than are counted one by one.
    #[cfg(test)]
    fn untracked(&self) -> bool {
        self.lock().untracked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn counts_each_address_down_to_its_last_connect() {
        let l = Ledger::default();
        let set = TargetSet::default().with_addresses([ip("10.0.0.1"), ip("10.0.0.2")]);
        l.expect(&set, 2);
        let a = ip("10.0.0.1");
        assert!(!l.settled(a, 0));
        assert!(
            l.settled(ip("10.0.0.9"), 0),
            "never handed: nothing to wait for"
        );
        assert!(!l.finish_one(a));
        assert!(!l.settled(a, 0));
        assert!(l.finish_one(a), "its second connect is its last");
        assert!(!l.settled(a, 0), "done, but its news is not heard yet");
        assert!(l.settled(a, 1));
        assert!(!l.settled(ip("10.0.0.2"), 1));
        // Handed again (a stage found it once more): counted down again, heard of again.
        l.expect(&TargetSet::default().with_addresses([a]), 1);
        assert!(!l.settled(a, 1));
        assert!(l.finish_one(a));
        assert!(!l.settled(a, 1) && l.settled(a, 2));
        assert!(!l.finish_one(ip("10.0.0.7")), "never handed");
        assert!(!l.untracked());
    }

    #[test]
    fn a_range_beyond_the_bound_is_untracked() {
        let l = Ledger::default();
        let big = match crate::discovery::targets::parse_spec("10.1.0.0/15").unwrap() {
            crate::discovery::targets::TargetSpec::Range(r) => {
                TargetSet::new(vec![r], vec![], Default::default())
            }
            crate::discovery::targets::TargetSpec::Host(_) => unreachable!(),
        };
        l.expect(&TargetSet::default().with_addresses([ip("10.0.0.1")]), 1);
        l.expect(&big, 1);
        assert!(l.untracked());
        assert!(!l.settled(ip("10.0.0.1"), 5) && !l.settled(ip("10.9.9.9"), 0));
    }
}
