//! What every discovery stage is given ([`Scope`]) and what it describes of itself ([`About`]):
//! the shape the stages of [`super::stage`] share, so a scan runs them as one list.
//!
//! The types live here, apart from the list, so that each method's file (`arp.rs`, `wsd.rs`,
//! `ssdp.rs`, `mdns.rs`, `vendor.rs`) can name them while the list names those files: the
//! dependencies between the files of `discovery/` only point one way.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::links::Links;
use super::targets::TargetSet;
use crate::discovery::ledger::Ledger;
use analyze::context::ScanContext;
use analyze::identity::Identities;
use model::DiscoveryMethod;
use registry::Event;

/// The message type of the scan's event channel: registry events are one kind of it (the scan's
/// own messages, its progress news, are the others). Discovery sits below the scan and does not
/// name that type, so the stages are generic over it; they send events into the very channel the
/// collector reads, bounded, so a slow collector pushes back on them.
pub trait ScanMessage: From<Event> + Send + 'static {}

impl<T: From<Event> + Send + 'static> ScanMessage for T {}

/// What a stage says of itself, beside its start: each method's file has one (`STAGE`), and
/// [`super::Stage::about`] finds it.
#[derive(Debug)]
pub struct About {
    /// How it is called (`ARP`, `mDNS`), for messages about it such as a test's.
    pub name: &'static str,
    /// Whether choosing this `--discovery` method runs the stage.
    pub serves: fn(DiscoveryMethod) -> bool,
    /// Its answers announce channel counts: a channel walk that meets a gap waits for the stages
    /// that do (for a short grace at most) before it takes the gap as the end.
    pub announces_channels: bool,
    /// The part of its merge rule the collector applies, before the registry merges the event: the
    /// makers and MAC one of its events names go on the scan's identity board (the RTSP walks
    /// order their paths by it). Called with every event of the scan; events of other stages are
    /// left alone.
    pub learn: fn(&Identities, &Event),
}

/// Targets handed to the port probes, with the ports to probe on them (`None`: the scan's).
#[derive(Debug)]
pub struct Batch {
    pub targets: TargetSet,
    pub ports: Option<Vec<u16>>,
    /// Hosts that answered ARP on an attached network: a connect to one that times out without
    /// a neighbour entry never left this machine (a full neighbour table) and is asked again.
    pub alive: bool,
    /// Told each address that answered a connect of this batch (open or refused): host discovery
    /// of routed ranges ([`super::hosts`]).
    pub answered: Option<mpsc::UnboundedSender<IpAddr>>,
    /// The connect deadline of this batch (`None`: the scan's): host discovery's, from the
    /// pings' round trips.
    pub timeout: Option<Duration>,
    /// The connect deadlines of some of its addresses, in place of `timeout`: host discovery's
    /// for the hosts that answered a ping, each from its own answer.
    pub host_timeouts: Option<Arc<HashMap<IpAddr, Duration>>>,
}

impl Batch {
    /// The connect deadline of `ip` in this batch (`None`: the scan's).
    pub fn timeout_for(&self, ip: &IpAddr) -> Option<Duration> {
        self.host_timeouts
            .as_ref()
            .and_then(|t| t.get(ip).copied())
            .or(self.timeout)
    }
}

impl From<TargetSet> for Batch {
    fn from(targets: TargetSet) -> Self {
        Batch {
            targets,
            ports: None,
            alive: false,
            answered: None,
            timeout: None,
            host_timeouts: None,
        }
    }
}

/// The port probes' queue as discovery feeds it: targets go there as soon as a stage knows them.
/// Closed (what is handed is dropped) when the scan does not probe ports.
#[derive(Debug, Clone, Default)]
pub struct Probes {
    queue: Option<mpsc::UnboundedSender<Batch>>,
    /// Where what is handed is written before it is queued, with the scan's port count, so the
    /// collector knows an address's probes are still to come ([`crate::discovery::ledger`]).
    ledger: Option<(Arc<Ledger>, usize)>,
}

impl Probes {
    /// The probes that read `batches`; `None`: the scan does not probe ports.
    pub fn new(batches: Option<mpsc::UnboundedSender<Batch>>) -> Self {
        Probes {
            queue: batches,
            ledger: None,
        }
    }

    /// Write each batch in `ledger` as it is handed (`ports`: the scan's port count).
    pub fn with_ledger(mut self, ledger: Arc<Ledger>, ports: usize) -> Self {
        self.ledger = Some((ledger, ports));
        self
    }

    /// Whether the scan probes ports at all.
    pub fn open(&self) -> bool {
        self.queue.is_some()
    }

    /// Hand targets to the probes.
    pub fn hand(&self, batch: impl Into<Batch>) {
        if let Some(tx) = &self.queue {
            let batch = batch.into();
            if let Some((ledger, ports)) = &self.ledger {
                ledger.expect(
                    &batch.targets,
                    batch.ports.as_ref().map_or(*ports, Vec::len),
                );
            }
            let _ = tx.send(batch);
        }
    }

    /// Hand one address to the probes, with the scan's ports.
    pub fn hand_address(&self, ip: IpAddr) {
        self.hand(TargetSet::default().with_addresses([ip]));
    }

    /// Hand one on-link host that answered ARP, with the scan's ports.
    pub fn hand_alive(&self, ip: IpAddr) {
        self.hand(Batch {
            alive: true,
            ..Batch::from(TargetSet::default().with_addresses([ip]))
        });
    }
}

/// Who ARP's sweep found: what the port probes ask and the stages accept answers from (`probed`)
/// and the hosts the unicast queries go to (`alive`).
#[derive(Debug, Clone, Default)]
pub struct Hosts {
    /// The targets, less the on-link addresses that did not answer ARP (all the targets without
    /// ARP).
    pub probed: TargetSet,
    /// The on-link hosts that answered ARP; empty without ARP.
    pub alive: Vec<Ipv4Addr>,
}

/// [`Hosts`] once ARP's sweep is done, for the stages that start beside it: their multicast and
/// broadcast queries go out at the scan's start (their protocols' answer times count from there),
/// their unicast queries when the sweep has found whom to ask.
#[derive(Debug, Clone)]
pub struct Swept {
    found: tokio::sync::watch::Receiver<Option<Arc<Hosts>>>,
    /// What a stage gets should the sweep end without a word (its task failed): every target
    /// accepted, nobody to ask by unicast.
    fallback: Arc<Hosts>,
}

/// Where ARP's sweep puts what it found ([`Swept::pending`]).
#[derive(Debug)]
pub struct SweepDone(tokio::sync::watch::Sender<Option<Arc<Hosts>>>);

impl SweepDone {
    pub fn send(self, hosts: Hosts) {
        let _ = self.0.send(Some(Arc::new(hosts)));
    }
}

impl Swept {
    /// Known already (no ARP): every target of `set`, nobody to ask by unicast.
    pub fn ready(set: &TargetSet) -> Swept {
        let hosts = Arc::new(Hosts {
            probed: set.clone(),
            alive: Vec::new(),
        });
        let (_, found) = tokio::sync::watch::channel(Some(hosts.clone()));
        Swept {
            found,
            fallback: hosts,
        }
    }

    /// Known when the sweep sends it.
    pub fn pending(set: &TargetSet) -> (SweepDone, Swept) {
        let (tx, found) = tokio::sync::watch::channel(None);
        let fallback = Arc::new(Hosts {
            probed: set.clone(),
            alive: Vec::new(),
        });
        (SweepDone(tx), Swept { found, fallback })
    }

    /// What the sweep found, once it has.
    pub async fn get(&self) -> Arc<Hosts> {
        let mut found = self.found.clone();
        match found.wait_for(Option::is_some).await {
            Ok(hosts) => hosts.clone().unwrap_or_else(|| self.fallback.clone()),
            Err(_) => self.fallback.clone(),
        }
    }

    /// What the sweep found, if it is done.
    pub fn known(&self) -> Option<Arc<Hosts>> {
        self.found.borrow().clone()
    }

    /// The hosts to ask by unicast, once the sweep has found them.
    pub async fn alive(&self) -> Vec<Ipv4Addr> {
        self.get().await.alive.clone()
    }

    /// Whether an answer from `ip` counts: a target the probes ask, or, while the sweep is still
    /// running, any target (an on-link host that answers a multicast query is alive).
    pub fn accepts(&self, ip: IpAddr) -> bool {
        match self.found.borrow().as_ref() {
            Some(hosts) => hosts.probed.contains(ip),
            None => self.fallback.probed.contains(ip),
        }
    }
}

/// What woke a stage's receive loop ([`hosts_or_datagram`]).
pub enum Woke {
    /// The hosts ARP's sweep found, to ask by unicast.
    Hosts(Vec<Ipv4Addr>),
    /// A datagram (its length and sender), or `None` once `until` passed.
    Datagram(Option<(usize, std::net::SocketAddr)>),
}

/// The next thing a stage that listens beside ARP's sweep waits for: the sweep's hosts while
/// `hosts` is given (not yet taken), or whichever of `sockets` has a datagram first, until
/// `until` (with no socket yet, `until` itself).
pub async fn hosts_or_datagram<F: std::future::Future<Output = Vec<Ipv4Addr>>>(
    hosts: Option<std::pin::Pin<&mut F>>,
    sockets: &[tokio::net::UdpSocket],
    until: tokio::time::Instant,
    buf: &mut [u8],
) -> Woke {
    let datagram = async {
        if sockets.is_empty() {
            tokio::time::sleep_until(until).await;
            None
        } else {
            net::recv_any(sockets, until, buf).await
        }
    };
    match hosts {
        Some(hosts) => tokio::select! {
            named = hosts => Woke::Hosts(named),
            got = datagram => Woke::Datagram(got),
        },
        None => Woke::Datagram(datagram.await),
    }
}

/// What every stage is given: the scan's choices, targets, interfaces and deadlines, the context
/// the analysers share, where its events go and where the targets it finds go. ARP, the first
/// stage, sweeps beside the others and tells them whom it found through `hosts`.
pub struct Scope<M> {
    /// The `--discovery` choices.
    pub methods: Vec<DiscoveryMethod>,
    /// `--probe-all`: every routed address gets the whole port set, without host discovery first.
    pub probe_all: bool,
    /// The connect rate (`--max-rate`; 0: no limit): host discovery's ICMP Echo goes at it too.
    pub max_rate: u32,
    /// What the stages asked and heard, for the report's coverage.
    pub tally: Arc<super::tally::Tally>,
    /// The scan's targets.
    pub set: TargetSet,
    /// Whom ARP's sweep found (known at once without ARP).
    pub hosts: Swept,
    pub links: Links,
    /// The scan's ports (a host found only by mDNS is probed on them).
    pub ports: Vec<u16>,
    /// How long the multicast and broadcast methods listen (`--discovery-wait`), counted from
    /// `started`: see [`Scope::window`].
    pub wait: Duration,
    /// When the scan started (before ARP's sweep).
    pub started: tokio::time::Instant,
    /// The context every analyser of the scan shares (deadlines, logins, the identity board,
    /// announced channel counts, stream hints).
    pub ctx: ScanContext,
    /// The scan's event channel.
    pub events: mpsc::Sender<M>,
    pub probes: Probes,
    /// `--reach-misaddressed`: the scan's temporary addresses (`None`: misaddressed devices are
    /// only reported).
    pub reach: Option<super::reach::Reacher>,
    /// The devices the inventory last saw misaddressed: each segment's listener asks for those
    /// heard on it.
    pub misaddressed_known: Vec<model::known::KnownMisaddressed>,
}

impl<M> Scope<M> {
    /// Whether the scan chose `method`.
    pub fn chose(&self, method: DiscoveryMethod) -> bool {
        self.methods.contains(&method)
    }

    /// How long a method starting now listens: until `--discovery-wait` after the scan's start
    /// (every stage starts with the scan; the default leaves each protocol its answer time, see
    /// `--discovery-wait`'s help).
    pub fn window(&self) -> Duration {
        (self.started + self.wait).saturating_duration_since(tokio::time::Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(addrs: &[&str]) -> TargetSet {
        TargetSet::default().with_addresses(addrs.iter().map(|a| a.parse::<IpAddr>().unwrap()))
    }

    /// While ARP sweeps, every target's answer counts and nobody is asked yet; once it is done,
    /// only the hosts it left probed count, and the ones it found are asked.
    #[tokio::test]
    async fn the_stages_learn_whom_the_sweep_found_when_it_is_done() {
        let targets = set(&["198.18.0.11", "198.18.0.12"]);
        let (done, hosts) = Swept::pending(&targets);
        let (a, b): (IpAddr, IpAddr) = (
            "198.18.0.11".parse().unwrap(),
            "198.18.0.12".parse().unwrap(),
        );
        assert!(hosts.accepts(a) && hosts.accepts(b));
        assert!(
            !hosts.accepts("198.18.0.13".parse().unwrap()),
            "not a target"
        );
        assert!(hosts.known().is_none());
        let waiting = tokio::spawn({
            let hosts = hosts.clone();
            async move { hosts.alive().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !waiting.is_finished(),
            "the unicast list waits for the sweep"
        );
        done.send(Hosts {
            probed: set(&["198.18.0.11"]),
            alive: vec![Ipv4Addr::new(198, 18, 0, 11)],
        });
        assert_eq!(waiting.await.unwrap(), [Ipv4Addr::new(198, 18, 0, 11)]);
        assert!(hosts.accepts(a));
        assert!(!hosts.accepts(b), "on-link, did not answer ARP");
    }

    /// A sweep that ends without a word (its task failed) leaves every target accepted and nobody
    /// to ask, rather than a stage waiting for ever.
    #[tokio::test]
    async fn a_sweep_that_fails_leaves_the_targets() {
        let targets = set(&["198.18.0.11"]);
        let (done, hosts) = Swept::pending(&targets);
        drop(done);
        assert!(hosts.alive().await.is_empty());
        assert!(
            hosts
                .get()
                .await
                .probed
                .contains("198.18.0.11".parse().unwrap())
        );
        let ready = Swept::ready(&targets);
        assert!(ready.known().is_some());
        assert!(ready.alive().await.is_empty());
    }
}
