//! A scan's configuration, validated ([`ScanConfig`]): the plan's input, with its defaults and
//! the ports it probes (`--ports`, [`crate::probe::PORTS`]). Its declared settings are listed in [`super::settings::SCAN`];
//! the entrance (`cmds::scan`) resolves flags, `CAMSCAN_*` variables, the config file and these
//! defaults into it, in that precedence, as ripgrep turns low-level args into high-level ones;
//! nothing here names the command line, the report's printing or the inventory (the command's:
//! `record::ScanJob`). `config.example.yaml` lists every key with its default; a test checks
//! that it parses to exactly the defaults.

use credentials::Credential;
use model::DiscoveryMethod;

/// What a scan's plan needs, validated: what to find and how to ask. Where the scan is recorded
/// and how its report is printed are the command's ([`crate::record::ScanJob`],
/// [`super::output::ReportOutput`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ScanConfig {
    pub targets: Vec<String>,
    /// The TCP ports probed: `--ports` ([`crate::probe::PORTS`]) with the STUN ports added, and an audit's or
    /// an API scan's own.
    pub ports: Vec<u16>,
    /// The declared scan settings ([`super::settings::SCAN`]: the deadlines, the pacing, the login
    /// budget, the waits, the switches), resolved: read where they are used,
    /// `cfg.settings.get(&crate::discovery::arp::ARP_RATE)`.
    pub settings: input::setting::Settings,
    /// Credentials in the order to try them (config list, then file, then username/password).
    pub credentials: Vec<Credential>,
    /// The user's stream-name hints (`--paths`, config `paths:` then `paths_file:`), tried before
    /// the built-in dictionaries on RTSP, HTTP and RTMP ports.
    pub hints: analyze::hints::Hints,
    /// The container markers `CAMSCAN_CONTAINER_MARKERS` gives in place of the usual ones
    /// ([`net::host::HostFacts::gather`]); `None`: the usual.
    pub container_markers: Option<Vec<String>>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            targets: Vec::new(),
            ports: crate::probe::DEFAULT_PORTS.to_vec(),
            settings: super::settings::defaults(),
            credentials: Vec::new(),
            hints: Default::default(),
            container_markers: None,
        }
    }
}

impl ScanConfig {
    /// The discovery methods to run (`--discovery`).
    pub fn discovery(&self) -> Vec<DiscoveryMethod> {
        self.settings.get(&crate::discovery::DISCOVERY).into_owned()
    }

    /// The per-host gate of analysis traffic (`--host-connections`, `--host-rate`).
    pub fn host_gate(&self) -> net::host_gate::GateSettings {
        net::host_gate::GateSettings {
            connections: self.settings.get(&net::host_gate::HOST_CONNECTIONS),
            rate: self.settings.get(&net::host_gate::HOST_RATE),
        }
    }
}
