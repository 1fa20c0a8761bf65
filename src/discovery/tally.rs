//! The discovery stages' counts behind the report's `coverage` ([`model::coverage`]): what
//! ARP's sweep asked and heard, and what the routed ranges' host discovery asked. Shared by the
//! stages that count (atomics, written as they go) and read once when the scan ends.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use model::coverage::{ArpCoverage, HostDiscoveryCoverage};

/// One scan's discovery counts.
#[derive(Debug, Default)]
pub struct Tally {
    /// The ARP sweep's figures, when it ran (one sweep per attached network, added up).
    arp: Mutex<Option<ArpCoverage>>,
    hosts_asked: AtomicU64,
    hosts_answered: AtomicU64,
    host_ports: Mutex<Vec<u16>>,
    /// Hosts that answered ICMP Echo; `None` while no ping sweep ran.
    icmp: Mutex<Option<u64>>,
    /// Times a poke or a connect found the kernel's neighbour table full (the unprivileged
    /// sweep's pokes and the probes count here; the raw sweep reads it to know whether hosts may
    /// have gone unheard).
    pub neighbour_full: AtomicU64,
}

impl Tally {
    /// Add one network's sweep.
    pub fn add_arp(&self, sweep: &ArpCoverage) {
        let mut arp = self.arp.lock().unwrap_or_else(|e| e.into_inner());
        let total = arp.get_or_insert_with(|| ArpCoverage {
            mode: sweep.mode.clone(),
            rate: sweep.rate,
            final_rate: sweep.final_rate,
            ..Default::default()
        });
        total.asked += sweep.asked;
        total.answered += sweep.answered;
        total.asked_again += sweep.asked_again;
        total.found_on_retry += sweep.found_on_retry;
        total.passes = total.passes.max(sweep.passes);
        total.final_rate = total.final_rate.min(sweep.final_rate);
        total.given_up += sweep.given_up;
        total.hidden += sweep.hidden;
        total.loss_percent = total.loss_percent.max(sweep.loss_percent);
        if sweep.mode != total.mode {
            total.mode = sweep.mode.clone();
        }
    }

    /// Host discovery asked `asked` addresses on `ports` (and by ICMP Echo, `icmp` of them
    /// answering, when it could); `answered` answered either.
    pub fn add_hosts(&self, asked: u64, answered: u64, ports: &[u16], icmp: Option<u64>) {
        if let Some(n) = icmp {
            *self
                .icmp
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(0) += n;
        }
        self.hosts_asked.fetch_add(asked, Ordering::Relaxed);
        self.hosts_answered.fetch_add(answered, Ordering::Relaxed);
        let mut p = self.host_ports.lock().unwrap_or_else(|e| e.into_inner());
        if p.is_empty() {
            p.extend_from_slice(ports);
        }
    }

    pub fn arp(&self) -> Option<ArpCoverage> {
        self.arp.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn host_discovery(&self) -> Option<HostDiscoveryCoverage> {
        let asked = self.hosts_asked.load(Ordering::Relaxed);
        (asked > 0).then(|| HostDiscoveryCoverage {
            asked,
            answered: self.hosts_answered.load(Ordering::Relaxed),
            icmp_answered: *self.icmp.lock().unwrap_or_else(|e| e.into_inner()),
            ports: self
                .host_ports
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        })
    }
}
