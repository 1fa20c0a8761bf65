//! How much of the network a scan really asked, and what it lost on its own side (`"coverage"`):
//! the report's honest count behind `complete`. A scan is complete only when nothing was lost on
//! camscan's side: every ARP pass that still found hosts was followed by another, no connect was
//! given up for a local reason (no socket, no buffer, a full neighbour table), and no host
//! discovery was cut short. An address that stayed silent through every pass is absent, not lost.

use serde::{Deserialize, Serialize};

/// What the scan asked and what it lost.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Coverage {
    /// The ARP sweep of the attached ranges (absent when ARP did not run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arp: Option<ArpCoverage>,
    /// Host discovery of the routed ranges before their port probes (absent when none ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_discovery: Option<HostDiscoveryCoverage>,
    /// The TCP connect probes.
    pub probes: ProbeCoverage,
    /// Times the kernel's neighbour table was found full (a connect's SYN or an ARP poke had no
    /// neighbour entry to go out on); each was waited out and asked again.
    pub neighbour_overflows: u64,
    /// MACs that answered ARP for many addresses (a bridge, a Wi-Fi extender's MAC-NAT, a
    /// proxy-ARP router): their addresses are separate devices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_macs: Vec<SharedMac>,
    /// The media the PLAY checks and MJPEG reads pulled, against the scan's media budget
    /// (`--media-rate`; absent in reports of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaCoverage>,
    /// The requests each device was sent after the port probe (detection, analysis, the device
    /// APIs, the PLAY checks), by protocol: one entry per reported device that was sent any, in
    /// the report's order (absent in reports of older versions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<DeviceRequests>,
    /// Why the scan is not complete, one short reason each (empty when it is).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost: Vec<String>,
}

/// The ARP sweep's figures.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ArpCoverage {
    /// `raw` (requests on a packet socket) or `unprivileged` (the kernel's own, through a poke).
    pub mode: String,
    /// Addresses asked in the first pass.
    pub asked: u64,
    /// Addresses that answered.
    pub answered: u64,
    /// Requests sent again to addresses silent in an earlier pass.
    pub asked_again: u64,
    /// Hosts that answered only when asked again (what the earlier passes lost).
    pub found_on_retry: u64,
    /// Passes over the silent addresses, the first included.
    pub passes: u32,
    /// Requests a second of the first pass (the broadcast budget) and of the last.
    pub rate: u32,
    pub final_rate: u32,
    /// The share of hosts the first pass did not hear, percent: the segment's loss at the budget.
    #[serde(default)]
    pub loss_percent: f64,
    /// Addresses still silent when the sweep stopped after its last pass although hosts were
    /// expected to be hidden among them (given up on); 0 when none was expected.
    pub given_up: u64,
    /// How many hosts were expected to be still hidden among them (from the loss), when any.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hidden: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Host discovery of routed ranges.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HostDiscoveryCoverage {
    /// Addresses asked (TCP connects to a few likely ports).
    pub asked: u64,
    /// Addresses that answered (a port open or refused): these got the full port set.
    pub answered: u64,
    /// The ports asked.
    pub ports: Vec<u16>,
    /// Addresses that answered ICMP Echo (asked of every IPv4 address beside the ports); absent
    /// when no ICMP socket could be had (neither a ping socket nor a raw one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp_answered: Option<u64>,
}

/// What the media checks pulled.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MediaCoverage {
    /// The budget: kbit/s all checks together may pull (0: no limit).
    pub budget_kbps: u64,
    /// Checks that ran (RTSP PLAY checks and MJPEG reads), media or not.
    pub checks: u64,
    /// Media bytes they pulled in all (each check's own are its stream's `measured.bytes`).
    pub bytes: u64,
    /// Checks that waited for room in the budget before they started, and for how long in all.
    pub waited: u64,
    pub waited_ms: u64,
    /// The most the checks running at one time were counted to pull, kbit/s.
    pub peak_kbps: u64,
}

/// The requests one device was sent, by protocol (`net::host_gate` counts each as it goes out:
/// an RTSP or HTTP request, an RTMP handshake or command; a retina session's DESCRIBE, SETUP and
/// PLAY, not its TEARDOWN nor its repeat of a DESCRIBE with a login).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeviceRequests {
    /// The device's address (`devices[].ip`); its other addresses' requests are counted with it.
    pub ip: String,
    /// All of them.
    pub total: u64,
    pub rtsp: u64,
    /// HTTP requests (detection's `GET /`, the web analysis, ONVIF's SOAP calls).
    pub http: u64,
    pub rtmp: u64,
    /// A TLS ClientHello on its own, a STUN Binding over TCP, a connection read for a greeting.
    pub other: u64,
}

/// The connect probes' figures.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProbeCoverage {
    pub connects: u64,
    pub open: u64,
    pub closed: u64,
    /// Connects that waited out their deadline (filtered, or nobody there).
    pub timeouts: u64,
    pub unreachable: u64,
    /// Connects asked again after a local failure or a full neighbour table.
    pub retried: u64,
    /// Connects given up for a local reason after every retry: neither closed nor filtered, but
    /// unknown (the scan is then not complete).
    pub lost: u64,
}

/// A MAC that answered for many addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SharedMac {
    pub mac: String,
    /// Addresses it answered for.
    pub addresses: u64,
    /// What it probably is.
    pub kind: String,
}

impl Coverage {
    /// Whether nothing was lost on camscan's side.
    pub fn whole(&self) -> bool {
        self.lost.is_empty()
    }

    /// Decide `lost` from the figures.
    pub fn judge(&mut self) {
        let mut lost = Vec::new();
        if let Some(arp) = &self.arp
            && arp.given_up > 0
            && arp.hidden == 0.0
        {
            lost.push(format!(
                "ARP: {} silent address(es) given up on after {} passes while the neighbour table \
                 was still full",
                arp.given_up, arp.passes
            ));
        } else if let Some(arp) = &self.arp
            && arp.given_up > 0
        {
            lost.push(format!(
                "ARP: about {} host(s) may still hide among {} silent address(es) after {} passes \
                 ({}% of requests or answers lost)",
                arp.hidden.ceil(),
                arp.given_up,
                arp.passes,
                arp.loss_percent
            ));
        }
        if self.probes.lost > 0 {
            lost.push(format!(
                "{} connect(s) given up for a local reason (no socket or buffer, a full neighbour table)",
                self.probes.lost
            ));
        }
        self.lost = lost;
    }

    /// One line for people (the table's footer, the progress log).
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        if let Some(a) = &self.arp {
            parts.push(format!(
                "ARP {} asked, {} answered ({} on a retry), {} asked again in {} pass{}",
                a.asked,
                a.answered,
                a.found_on_retry,
                a.asked_again,
                a.passes,
                if a.passes == 1 { "" } else { "es" }
            ));
        }
        if let Some(h) = &self.host_discovery {
            parts.push(format!(
                "host discovery {} asked, {} answered{}",
                h.asked,
                h.answered,
                match h.icmp_answered {
                    Some(n) => format!(" ({n} to ping)"),
                    None => " (no ping: ports only)".to_string(),
                }
            ));
        }
        let p = &self.probes;
        parts.push(format!(
            "{} connects ({} open, {} closed, {} timed out, {} retried, {} lost)",
            p.connects, p.open, p.closed, p.timeouts, p.retried, p.lost
        ));
        if self.neighbour_overflows > 0 {
            parts.push(format!(
                "neighbour table full {} time(s)",
                self.neighbour_overflows
            ));
        }
        for s in &self.shared_macs {
            parts.push(format!(
                "{} answers for {} addresses ({})",
                s.mac, s.addresses, s.kind
            ));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_that_gave_up_on_hosts_or_connects_is_not_whole() {
        let mut c = Coverage::default();
        c.judge();
        assert!(c.whole());
        c.arp = Some(ArpCoverage {
            given_up: 3,
            hidden: 1.2,
            ..Default::default()
        });
        c.judge();
        assert!(!c.whole());
        assert!(
            c.lost[0].contains("about 2 host(s) may still hide among 3 silent"),
            "{:?}",
            c.lost
        );
        // Given up while the neighbour table stayed full.
        c.arp = Some(ArpCoverage {
            given_up: 5,
            passes: 6,
            ..Default::default()
        });
        c.judge();
        assert!(
            c.lost[0].contains("5 silent address(es) given up on after 6 passes"),
            "{:?}",
            c.lost
        );
        c.arp = None;
        c.probes.lost = 2;
        c.judge();
        assert_eq!(c.lost.len(), 1);
        assert!(c.lost[0].contains("2 connect"));
        // Timeouts and absent addresses are answers, not losses.
        c.probes.lost = 0;
        c.probes.timeouts = 1000;
        c.neighbour_overflows = 5;
        c.judge();
        assert!(
            c.whole(),
            "an overflow waited out and asked again loses nothing"
        );
    }
}
