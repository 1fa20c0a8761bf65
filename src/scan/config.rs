//! A scan's configuration, validated ([`ScanConfig`]): the plan's input, with its defaults and
//! the ports it probes (`--ports`, [`crate::probe::PORTS`]). Its declared settings are listed in [`super::settings::SCAN`];
//! the entrance (`cmds::scan`) resolves flags, `CAMSCAN_*` variables, the config file and these
//! defaults into it, in that precedence, as ripgrep turns low-level args into high-level ones;
//! nothing here names the command line. `config.example.yaml` lists every key with its default; a
//! test checks that it parses to exactly [`ScanConfig::default`].

use std::path::PathBuf;

use credentials::Credential;
use export::Format;
use input::environment::ColorChoice;
use model::DiscoveryMethod;
use store::{HubConfig, Inventory};

/// Everything a scan needs, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanConfig {
    pub targets: Vec<String>,
    /// The TCP ports probed: `--ports` ([`crate::probe::PORTS`]) with the STUN ports added, and an audit's or
    /// an API scan's own.
    pub ports: Vec<u16>,
    /// Ports among `ports` asked only for `camscan audit`'s own questions (Telnet, SSH, SNMP's
    /// neighbours): probed and judged, never recorded in the inventory, where a port the
    /// usual scans do not ask would read as `port_opened` (a change that is none).
    pub unrecorded_ports: Vec<u16>,
    /// The declared scan settings ([`super::settings::SCAN`]: the deadlines, the pacing, the login
    /// budget, the waits, the switches), resolved: read where they are used,
    /// `cfg.settings.get(&crate::discovery::arp::ARP_RATE)`.
    pub settings: input::setting::Settings,
    pub format: Format,
    /// The formats' own options (`--csv-delimiter`, `--frigate-restream`, ...).
    pub format_options: input::setting::Settings,
    /// The table with one row per stream and every detail. Not a key of its own: `main` sets it
    /// from the global `-v` (which also raises the log level).
    pub detail: bool,
    pub output: Option<PathBuf>,
    /// The table's width in columns (`--width`; 0: as wide as it needs). `None`: `$COLUMNS`, else
    /// the terminal's, else 100.
    pub width: Option<u16>,
    pub color: ColorChoice,
    /// Credentials in the order to try them (config list, then file, then username/password).
    pub credentials: Vec<Credential>,
    /// The user's stream-name hints (`--paths`, config `paths:` then `paths_file:`), tried before
    /// the built-in dictionaries on RTSP, HTTP and RTMP ports.
    pub hints: crate::analyze::hints::Hints,
    /// Knowledge files read before the built-in data (`--signatures`, else config `signatures:`);
    /// `main` loads them, with the knowledge directory's, before the scan ([`knowledge`]).
    pub signatures: Vec<PathBuf>,
    /// The user's knowledge directory, read after `signatures` (`$XDG_CONFIG_HOME/camscan/
    /// knowledge.d`, [`knowledge::user_dir`]); `None`: none.
    pub knowledge_dir: Option<PathBuf>,
    /// The container markers `CAMSCAN_CONTAINER_MARKERS` gives in place of the usual ones
    /// ([`net::host::HostFacts::gather`]); `None`: the usual.
    pub container_markers: Option<Vec<String>>,
    /// ffprobe to enrich streams with; `None` = off.
    pub ffprobe: Option<PathBuf>,
    /// Discovery methods to run.
    pub discovery: Vec<DiscoveryMethod>,
    /// The inventory the scan is recorded in (`--db`, `CAMSCAN_DB`, config `db:`, else
    /// [`store::default_db_path`]; `--db-password-file`, `--credential-key`); `None` with `--no-db` (or
    /// when there is no home directory to hold the default): nothing is recorded.
    pub db: Option<Inventory>,
    /// The site the scan is recorded at (`--site`, `CAMSCAN_SITE`, config `site:`, else the
    /// host name): identity, offline and events are per site.
    pub site: String,
    /// The fleet's hub this site sends its inventory to (`--hub`, config `hub:`).
    pub hub: Option<HubConfig>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            targets: Vec::new(),
            ports: crate::probe::DEFAULT_PORTS.to_vec(),
            unrecorded_ports: Vec::new(),
            settings: super::settings::defaults(),
            format: Format::Table,
            format_options: export::options::defaults(),
            detail: false,
            output: None,
            width: None,
            color: ColorChoice::Auto,
            credentials: Vec::new(),
            hints: Default::default(),
            signatures: Vec::new(),
            knowledge_dir: None,
            container_markers: None,
            ffprobe: None,
            discovery: crate::discovery::defaults(),
            db: None,
            site: default_site(),
            hub: None,
        }
    }
}

impl ScanConfig {
    /// The per-host gate of analysis traffic (`--host-connections`, `--host-rate`).
    pub fn host_gate(&self) -> net::host_gate::GateSettings {
        net::host_gate::GateSettings {
            connections: self.settings.get(&net::host_gate::HOST_CONNECTIONS),
            rate: self.settings.get(&net::host_gate::HOST_RATE),
        }
    }
}

/// The site of a machine that names none: its host name (`localhost` when it has none).
pub fn default_site() -> String {
    dns_lookup::get_hostname()
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}
