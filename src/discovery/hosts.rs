//! Host discovery of routed ranges: which addresses behind a router hold a host, before the
//! whole port set goes to each. ARP cannot cross a router, and a firewall that drops what goes to
//! an absent address makes every connect to one wait out its deadline: a /20 with 1,000 hosts
//! and 21 ports costs 64,000 such waits without it. So a routed range is first asked on a few
//! likely ports ([`DISCOVERY_PORTS`], those of the scan's ports); an address that answers any of
//! them, open or refused (a host's own TCP says "closed" with a reset), is a host, and gets the
//! rest of the scan's ports at once. nmap's host discovery does the same with its SYN to 443 and
//! ACK to 80 (the nmap book, "Host Discovery"). Before the connects, every IPv4 address gets an
//! ICMP Echo where the process may open an ICMP socket ([`net::ping`]); an answer hands the
//! address on at once, and the answers' round trips set the connects' deadline
//! ([`discovery_timeout`]). A host that drops every one of those ports and ping is missed:
//! `--probe-all` gives every address the whole set, as nmap's `-Pn` does.
//!
//! Loopback and a routed part smaller than [`MIN_ADDRESSES`] (a few named hosts) go straight to
//! the probes: there is nothing to save.

use std::collections::HashSet;
use std::net::IpAddr;

use tokio::sync::mpsc;

use super::scope::{Batch, Probes};
use super::tally::Tally;
use super::targets::TargetSet;

use input::setting::Repeat;

/// `--probe-all`: no host discovery first ([`first_ports`]).
pub static PROBE_ALL: input::setting::Setting<bool> = input::setting::Setting {
    key: "probe_all",
    flag: "--probe-all",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_PROBE_ALL",
    value_name: input::setting::SWITCH,
    help: "Probe every address of a routed range on every port, without asking a few likely ports \
           first (host discovery misses a host that drops all of 554, 80, 443, 8000 and 8080)",
    default: false,
    choices: None,
    parse: input::setting::switch,
};

/// The likely ports, in the order asked: RTSP, HTTP, HTTPS, then a camera maker's SDK port and
/// the common other web port. Only those among the scan's ports are asked.
pub const DISCOVERY_PORTS: [u16; 5] = [554, 80, 443, 8000, 8080];
/// Routed parts smaller than this get the whole port set at once.
pub const MIN_ADDRESSES: u128 = 16;

/// The ports host discovery asks first on `routed`, the routed part of the targets
/// ([`super::links::Links::routed`]), for a scan of `ports` (empty: it does not run, every
/// address gets every port).
pub fn first_ports(routed: &TargetSet, ports: &[u16], probe_all: bool) -> Vec<u16> {
    if applies(routed.len(), ports, probe_all) {
        discovery_ports(ports)
    } else {
        Vec::new()
    }
}

/// The ports host discovery asks on a scan of `ports` (empty: none of the likely ones is scanned,
/// so every address gets the whole set).
pub fn discovery_ports(ports: &[u16]) -> Vec<u16> {
    DISCOVERY_PORTS
        .iter()
        .copied()
        .filter(|p| ports.contains(p))
        .collect()
}

/// Whether a scan of `routed` addresses on `ports` discovers hosts first.
pub fn applies(routed: u128, ports: &[u16], probe_all: bool) -> bool {
    !probe_all && routed >= MIN_ADDRESSES && !discovery_ports(ports).is_empty()
}

/// Hand `set` (targets on no attached network) to the probes: loopback and small parts at once;
/// a routed range through host discovery first ([`applies`]), each address that answers handed
/// with the rest of `ports` the moment it does. Returns when every address has been handed or
/// found silent.
pub async fn hand(set: TargetSet, probes: Probes, how: Discovery, tally: &Tally) {
    let Discovery {
        ports,
        probe_all,
        ping_rate,
        connect_timeout,
    } = how;
    let (local, routed) = super::links::split_routed(&set);
    if !local.is_empty() {
        probes.hand(local);
    }
    if routed.is_empty() {
        return;
    }
    if !probes.open() || !applies(routed.len(), &ports, probe_all) {
        probes.hand(routed);
        return;
    }
    let asked = discovery_ports(&ports);
    let rest: Vec<u16> = ports
        .iter()
        .copied()
        .filter(|p| !asked.contains(p))
        .collect();
    let (tx, mut rx) = mpsc::unbounded_channel();
    tracing::info!(
        addresses = %routed.len(),
        ports = ?asked,
        "host discovery of routed ranges (connects to likely ports; --probe-all skips it)"
    );
    let addresses = u64::try_from(routed.len()).unwrap_or(u64::MAX);
    // ICMP Echo first (a /20 is asked in half a second at the default rate), walking the ranges
    // lazily: each address that answers is handed on at once (through the channel the connects'
    // answers use), and the answers' round trips set the deadline of the connects that follow.
    let (icmp, answers) = ping(&routed, ping_rate, &tx).await;
    let wait = answers.silent_wait();
    let timeout = wait.map(|rtt| discovery_timeout(rtt, connect_timeout));
    // A host that answered waits as its own answer says, never less than a silent address.
    let hosts: std::collections::HashMap<IpAddr, std::time::Duration> = answers
        .hosts
        .iter()
        .map(|(ip, own)| {
            let own = host_timeout(*own, timeout.unwrap_or(connect_timeout), connect_timeout);
            (IpAddr::V4(*ip), own)
        })
        .collect();
    tracing::debug!(
        ?wait,
        ?timeout,
        first_wait = ?answers.first.map(|e| e.wait()),
        later = answers.later.map_or(0, |e| e.samples()),
        slowest_host = ?hosts.values().max(),
        "host discovery's connect deadline (silent addresses; each host that answered its own)"
    );
    probes.hand(Batch {
        ports: Some(asked.clone()),
        answered: Some(tx),
        timeout,
        host_timeouts: (!hosts.is_empty()).then(|| std::sync::Arc::new(hosts)),
        ..Batch::from(routed)
    });
    // The sender lives in the batch and its connects: the channel ends with the last of them.
    let mut live: HashSet<IpAddr> = HashSet::new();
    while let Some(ip) = rx.recv().await {
        if live.insert(ip) && !rest.is_empty() {
            probes.hand(Batch {
                ports: Some(rest.clone()),
                ..Batch::from(TargetSet::default().with_addresses([ip]))
            });
        }
    }
    tracing::info!(
        asked = addresses,
        answered = live.len(),
        "host discovery of routed ranges done"
    );
    tally.add_hosts(addresses, live.len() as u64, &asked, icmp);
}

/// Ping the IPv4 addresses of `routed` (walked lazily), each answer sent to `tx`: how many
/// answered (`None`: no ICMP socket) and their round trips ([`net::ping::sweep`]).
async fn ping(
    routed: &TargetSet,
    rate: u32,
    tx: &mpsc::UnboundedSender<IpAddr>,
) -> (Option<u64>, net::ping::Answers) {
    let v4 = routed.iter().filter_map(|ip| match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => None,
    });
    if v4.clone().next().is_none() {
        return (None, Default::default());
    }
    let mut answered = 0u64;
    match net::ping::sweep(v4, rate, &mut |ip| {
        answered += 1;
        let _ = tx.send(IpAddr::V4(ip));
    })
    .await
    {
        Ok(answers) => (Some(answered), answers),
        Err(e) => {
            tracing::info!(
                "host discovery without ICMP echo (no ping or raw ICMP socket: {e}); the \
                 likely ports only"
            );
            (None, Default::default())
        }
    }
}

/// How host discovery runs.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The scan's ports.
    pub ports: Vec<u16>,
    /// `--probe-all`: none; every address gets every port.
    pub probe_all: bool,
    /// ICMP Echo requests a second (the scan's `--max-rate`; 0: no limit).
    pub ping_rate: u32,
    /// The scan's connect deadline (`--connect-timeout`).
    pub connect_timeout: std::time::Duration,
}

/// The least deadline of a discovery connect once pings have answered.
pub const MIN_DISCOVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(150);

/// The deadline of host discovery's connects to an address that did not answer a ping, when the
/// path takes `wait` ([`net::round_trips::path_wait`]: the mean round trip and four
/// deviations of the hosts asked a second time, not of first answers, which behind a router
/// resolving its neighbours cold include its ARP; never the single slowest answer): at least
/// [`MIN_DISCOVERY_TIMEOUT`], at most the scan's `connect_timeout`. A host
/// answers a SYN about as fast as a ping, so an address silent that long holds nobody (nmap's
/// timing engine sets its probe timeouts from the round trips it sees the same way: the nmap
/// book, "Timing and Performance"). A host that drops pings and sits behind a much slower link
/// than the hosts that answered is missed; `--probe-all` asks every address with the full
/// deadline.
pub fn discovery_timeout(
    wait: std::time::Duration,
    connect_timeout: std::time::Duration,
) -> std::time::Duration {
    wait.max(MIN_DISCOVERY_TIMEOUT).min(connect_timeout)
}

/// The deadline of host discovery's connects to a host whose ping answered in `own`: its own
/// ([`net::round_trips::host_wait`]), at least `silent` (the deadline of an address that
/// did not answer, [`discovery_timeout`]), at most the scan's `connect_timeout`. A host behind a
/// slow link keeps the longer wait its answer asks for, whatever the others' say.
pub fn host_timeout(
    own: std::time::Duration,
    silent: std::time::Duration,
    connect_timeout: std::time::Duration,
) -> std::time::Duration {
    net::round_trips::host_wait(own)
        .max(silent)
        .min(connect_timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_routed_ranges_of_some_size_with_a_likely_port_are_discovered_first() {
        let defaults = crate::probe::DEFAULT_PORTS;
        assert_eq!(discovery_ports(&defaults), [554, 80, 443, 8000, 8080]);
        assert_eq!(discovery_ports(&[554, 8554]), [554]);
        assert!(discovery_ports(&[8554]).is_empty());
        assert!(applies(4096, &defaults, false));
        assert!(!applies(4096, &defaults, true), "--probe-all");
        assert!(!applies(8, &defaults, false), "a few named hosts");
        assert!(!applies(4096, &[8554], false), "no likely port scanned");
    }

    #[test]
    fn the_connects_wait_as_the_pings_took() {
        let ms = std::time::Duration::from_millis;
        assert_eq!(discovery_timeout(ms(1), ms(1000)), MIN_DISCOVERY_TIMEOUT);
        assert_eq!(discovery_timeout(ms(320), ms(1000)), ms(320));
        assert_eq!(discovery_timeout(ms(1400), ms(1000)), ms(1000));
        assert_eq!(
            discovery_timeout(ms(1), ms(100)),
            ms(100),
            "never above the scan's own"
        );
    }

    #[test]
    fn a_host_that_answered_slowly_keeps_its_own_longer_deadline() {
        let ms = std::time::Duration::from_millis;
        let silent = MIN_DISCOVERY_TIMEOUT;
        assert_eq!(host_timeout(ms(1), silent, ms(1000)), silent, "a fast host");
        assert_eq!(host_timeout(ms(200), silent, ms(1000)), ms(600));
        assert_eq!(
            host_timeout(ms(500), silent, ms(1000)),
            ms(1000),
            "the scan's"
        );
    }
}
