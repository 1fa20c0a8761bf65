//! The scan plan: everything decided before the first packet, built once from the configuration
//! (what ripgrep's `HiArgs` is to its flags). Which addresses (targets resolved, excluded, checked
//! against the size and public-address guards), which interfaces each discovery method uses, how
//! many probes at once (from the open-file limit), and the [`ScanContext`] every analyser shares.
//! A plan that cannot be made is an error before anything is sent.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::discovery::targets::{self, LARGE_LIMIT};
use crate::discovery::{DiscoveryMethod, Links};
use crate::probe::ProbeSettings;
use crate::scan::ScanConfig;
use analyze::budget::AuthBudget;
use analyze::context::{Announcements, AuthSettings, Known, ScanContext, VerifySettings};
use analyze::sessions::DeviceSessions;
use error::Error;
use net::host::HostFacts;
use net::interfaces::LocalNet;

/// Timeout for host-name resolution; DNS has its own retries, so this only guards a hung resolver.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// What a scan will do.
pub struct ScanPlan {
    /// When planning began: the report's `started_at`.
    pub started_at: jiff::Timestamp,
    /// The targets as the user gave them (or the attached subnets chosen for them).
    pub target_specs: Vec<String>,
    pub set: targets::TargetSet,
    pub probe: ProbeSettings,
    /// Port analyses at once ([`net::analysis_slots`]).
    pub analyses: usize,
    pub ports: Vec<u16>,
    pub methods: Vec<DiscoveryMethod>,
    /// How long the multicast/broadcast methods listen.
    pub discovery_wait: Duration,
    /// `--probe-all`: no host discovery of routed ranges.
    pub probe_all: bool,
    pub links: Links,
    /// `false` with `--no-detect`: open ports are listed, not analysed.
    pub detect: bool,
    /// Reverse DNS of every device found (`None` with `--no-dns`); seed it with what the inventory
    /// remembers ([`net::rdns::Resolver::seed`]) before the pipeline runs.
    pub names: Option<Arc<net::rdns::Resolver>>,
    /// The plan as the report and stderr show it, warnings included ([`super::forecast`]).
    pub summary: model::plan::Plan,
    /// `--reach-misaddressed`: the scan's temporary addresses; the pipeline removes them at its end.
    pub reach: Option<crate::discovery::reach::Reacher>,
    /// The media budget of the scan's PLAY checks, in bytes a second (`--media-rate`, else a
    /// share of the slowest link the plan uses: [`net::media_budget::default_rate`]; 0: no
    /// limit): the context's budget ([`ScanPlan::context`]).
    pub media_rate: u64,
    /// The names the inventory gave devices' cameras (empty without one): set by the caller
    /// before the pipeline runs, which gives each device found its name back
    /// ([`export::names::settle`]).
    pub given_names: Vec<model::known::GivenName>,
    /// The devices the inventory last saw misaddressed (empty without one): set by the caller
    /// before the pipeline runs; ARP's listener on each segment asks for those heard there.
    pub misaddressed_known: Vec<model::known::KnownMisaddressed>,
}

impl ScanPlan {
    /// Resolve the targets and check them, size the probe pool, and find the interfaces.
    pub async fn build(cfg: &ScanConfig) -> Result<Self, Error> {
        let started_at = jiff::Timestamp::now();
        let locals = net::interfaces::list().map_err(Error::Interfaces)?;
        let attached = cfg.targets.is_empty();
        let target_specs = if attached {
            attached_subnets(cfg, &locals)?
        } else {
            cfg.targets.clone()
        };
        let exclude = cfg.settings.get(&targets::EXCLUDE);
        let set = targets::build(&target_specs, &exclude, RESOLVE_TIMEOUT).await?;
        if set.is_empty() {
            return Err(Error::NoTargets);
        }
        if set.len() > LARGE_LIMIT && !cfg.settings.get(&targets::ALLOW_LARGE) {
            return Err(Error::TooLarge {
                count: set.len(),
                limit: LARGE_LIMIT,
            });
        }
        if let Some(ip) = set
            .first_public()
            .filter(|_| !cfg.settings.get(&targets::ALLOW_PUBLIC))
        {
            return Err(Error::PublicTarget {
                target: ip.to_string(),
            });
        }
        let links = Links::of(&locals, &set);
        let fd_limit = net::raise_fd_limit();
        let concurrency = concurrency(cfg.settings.get(&crate::probe::CONCURRENCY), fd_limit);
        let analyses = net::analysis_slots(concurrency, fd_limit);
        let host = HostFacts::gather(&locals, cfg.container_markers.as_deref());
        let host_warnings = net::host::warnings(&host, &locals);
        let probe = ProbeSettings {
            connect_timeout: cfg.settings.get(&net::CONNECT_TIMEOUT),
            concurrency,
            per_host: cfg.settings.get(&crate::probe::PER_HOST),
            retries: cfg.settings.get(&crate::probe::RETRIES),
            max_rate: max_rate(cfg.settings.get(&crate::probe::MAX_RATE), &host_warnings),
        };
        let methods = cfg.discovery();
        let mut summary = super::forecast::plan(&super::forecast::Inputs {
            set: &set,
            links: &links,
            methods: &methods,
            ports: &cfg.ports,
            probe: &probe,
            gates: cfg.host_gate(),
            discovery_wait: cfg.settings.get(&crate::discovery::DISCOVERY_WAIT),
            raw: net::host::raw_sockets(host.status.as_deref()),
            host: host_warnings,
            v6_links: &crate::discovery::wsd::v6_links(&set),
            settings: &cfg.settings,
            probe_all: cfg.settings.get(&crate::discovery::hosts::PROBE_ALL),
            neighbours: net::neigh::limits(),
        });
        let media_rate = media_rate(
            cfg.settings.get(&net::media_budget::MEDIA_RATE),
            &summary.interfaces,
        );
        summary.media_rate_kbps = media_rate * 8 / 1000;
        if attached {
            summary.warnings.insert(
                0,
                model::plan::Warning::new(
                    "no-targets",
                    format!(
                        "no target given: scanning the attached subnets {}",
                        target_specs.join(", ")
                    ),
                ),
            );
        }
        tracing::info!(
            addresses = %set.len(),
            ports = cfg.ports.len(),
            concurrency,
            analyses,
            "scanning"
        );
        Ok(ScanPlan {
            started_at,
            target_specs,
            set,
            probe,
            analyses,
            ports: cfg.ports.clone(),
            methods,
            discovery_wait: cfg.settings.get(&crate::discovery::DISCOVERY_WAIT),
            probe_all: cfg.settings.get(&crate::discovery::hosts::PROBE_ALL),
            links,
            detect: cfg.settings.get(&detect::DETECT),
            names: cfg
                .settings
                .get(&net::rdns::DNS)
                .then(|| Arc::new(net::rdns::Resolver::default())),
            summary,
            reach: cfg
                .settings
                .get(&crate::discovery::reach::REACH_MISADDRESSED)
                .then(crate::discovery::reach::Reacher::default),
            media_rate,
            given_names: Vec::new(),
            misaddressed_known: Vec::new(),
        })
    }
}

/// The media budget in bytes a second: `--media-rate` (Mbit/s; 0: no limit), else the default
/// share of the slowest of the plan's interfaces that says its speed.
fn media_rate(asked: Option<u32>, interfaces: &[model::plan::PlanInterface]) -> u64 {
    use net::media_budget::{default_rate, link_speed};
    match asked {
        Some(mbit) => u64::from(mbit) * 1_000_000 / 8,
        None => {
            let speeds: Vec<u64> = interfaces
                .iter()
                .filter_map(|i| link_speed(&i.name))
                .collect();
            default_rate(&speeds)
        }
    }
}

/// Connects a second at most, all hosts together, when neither `--max-rate` nor the file says:
/// ZMap's default send rate (10,000 packets a second, zmap(1) `--rate`). A /24 of 21 ports (5,334
/// connects) then takes about half a second; on an attached subnet only the hosts that answer ARP
/// are probed, so a LAN scan rarely meets it.
pub const DEFAULT_MAX_RATE: u32 = 10_000;
/// The default on Docker Desktop (the plan's `docker-desktop` warning): its NAT relay wedges under
/// connect bursts and then returns every port open or none.
pub const DOCKER_DESKTOP_MAX_RATE: u32 = 500;

/// The global connect rate: the one asked for, else the default, lower on Docker Desktop (the
/// plan's `docker-desktop` warning).
fn max_rate(asked: Option<u32>, host: &[model::plan::Warning]) -> u32 {
    asked.unwrap_or(if host.iter().any(|w| w.code == "docker-desktop") {
        DOCKER_DESKTOP_MAX_RATE
    } else {
        DEFAULT_MAX_RATE
    })
}

impl ScanPlan {
    /// The context the analysers of this scan share, made by the plan from the configuration it
    /// was built from (its media budget the plan's rate), and the sender that tells it when the
    /// channel-announcing discovery (SADP, DHIP) has finished. `known`: what earlier scans learnt
    /// about each address (the store's `Store::known`), which the analysers try first
    /// ([`remembered`]).
    pub fn context(
        &self,
        cfg: &ScanConfig,
        known: HashMap<IpAddr, Known>,
    ) -> (ScanContext, tokio::sync::watch::Sender<bool>) {
        let (announcements, announced) = Announcements::new();
        let ctx = context(cfg, remembered(cfg, known), self.media_rate, announcements);
        (ctx, announced)
    }
}

/// What earlier scans learnt, as a scan uses it: nothing with `--fresh`.
pub fn remembered(cfg: &ScanConfig, known: HashMap<IpAddr, Known>) -> HashMap<IpAddr, Known> {
    if cfg.settings.get(&analyze::context::FRESH) {
        HashMap::new()
    } else {
        known
    }
}

/// [`ScanPlan::context`]'s context.
fn context(
    cfg: &ScanConfig,
    known: HashMap<IpAddr, Known>,
    media_rate: u64,
    announcements: Announcements,
) -> ScanContext {
    ScanContext {
        settings: Arc::new(cfg.settings.clone()),
        auth: AuthSettings {
            credentials: Arc::new(cfg.credentials.clone()),
            budget: Arc::new(AuthBudget::new(
                cfg.settings.get(&analyze::budget::AUTH_BUDGET),
            )),
        },
        verify: VerifySettings {
            ffprobe: cfg.settings.get(&analyze::ffprobe::FFPROBE),
            media: Arc::new(net::media_budget::MediaBudget::new(media_rate)),
        },
        hints: Arc::new(cfg.hints.clone()),
        rtsp_paths: Arc::new(cfg.hints.rtsp_paths()),
        claimed: Default::default(),
        announcements,
        stream_hints: Default::default(),
        http_live: Default::default(),
        sessions: Arc::new(DeviceSessions::new(
            cfg.settings.get(&analyze::sessions::SESSIONS_PER_DEVICE),
        )),
        gates: Arc::new(net::host_gate::HostGates::new(cfg.host_gate())),
        known: Arc::new(known),
        logins: Default::default(),
        identities: Default::default(),
    }
}

/// No targets: the attached private subnets (`camscan interfaces` shows this plan).
fn attached_subnets(cfg: &ScanConfig, locals: &[LocalNet]) -> Result<Vec<String>, Error> {
    let plan = net::interfaces::plan(
        locals.to_vec(),
        cfg.settings.get(&net::interfaces::INTERFACE).as_deref(),
        cfg.settings.get(&targets::ALLOW_LARGE),
    );
    let specs: Vec<String> = plan.iter().filter(|n| n.scan).map(|n| n.cidr()).collect();
    if specs.is_empty() {
        let why = plan
            .iter()
            .filter_map(|n| {
                Some(format!(
                    "{} {}: {}",
                    n.interface,
                    n.cidr(),
                    n.reason.as_ref()?
                ))
            })
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Error::NoLocalNetworks(if why.is_empty() {
            "no IPv4 interface".into()
        } else {
            why
        }));
    }
    Ok(specs)
}

/// Probes at once: `--concurrency`, unless it needs more sockets than the open-file limit
/// `fd_limit` (raised as far as allowed first) gives; by default what that limit allows.
fn concurrency(asked: Option<usize>, fd_limit: u64) -> usize {
    let derived = net::default_concurrency(fd_limit);
    match asked {
        Some(n) if n > derived && !net::fits_fd_limit(n, fd_limit) => {
            tracing::warn!(
                "concurrency {n} needs more sockets than the open-file limit ({fd_limit}) allows; using {derived}"
            );
            derived
        }
        Some(n) => n,
        None => derived,
    }
}
