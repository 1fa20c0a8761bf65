//! The typed settings below the commands: a scan's validated configuration ([`ScanConfig`]) and
//! its defaults here, the config file's shape (`file`), where the inventory is (`inventory`), the
//! formats' own options in the file (`format_options`), the sinks' (`sink_options`; both read
//! through `sieve`) and the values read from text (`parse`).
//!
//! Low-level inputs (flags, `CAMSCAN_*` env, which clap merges, and the YAML file) become one
//! [`ScanConfig`] of checked, typed values, as ripgrep turns low-level args into high-level ones;
//! the command line's side of that is `cli::settings`, and nothing here names the command line or
//! the store. Precedence: flags > env > YAML config file > defaults. `config.example.yaml` lists
//! every key with its default; a test checks that it parses to exactly [`ScanConfig::default`].

use std::path::PathBuf;

use serde::Deserialize;

mod file;
pub mod format_options;
mod inventory;
mod parse;
pub mod settings;
mod sieve;
pub mod sink_options;

pub use file::*;
pub use inventory::*;
pub(crate) use parse::invalid;
pub use parse::{parse_csv_delimiter, parse_ports};

use crate::credentials::Credential;
pub use crate::discovery::DiscoveryMethod;
pub use crate::export::Format;

/// Camera ports probed by default: RTSP (554, 8554, 10554, 5554), HTTP/ONVIF (80, 81, 88 Foscam, 443,
/// 8000 Hikvision SDK/Reolink ONVIF, 8080, 8081, 8443, 2020 Tapo ONVIF), RTMP 1935, UniFi 7447, XMeye
/// 34567, Dahua 37777 (`docs/design/protocols.md`, "The port set"; 8443 beside 443 for HTTPS web
/// UIs), and WebRTC: STUN/TURN 3478 (RFC 5389), Janus' HTTP API 8088, go2rtc's API and WHEP 1984,
/// MediaMTX's WebRTC/WHEP listener 8889.
pub const DEFAULT_PORTS: [u16; 21] = [
    554, 8554, 10554, 5554, 80, 81, 88, 443, 8000, 8080, 8081, 8443, 1935, 7447, 34567, 37777,
    2020, 3478, 8088, 1984, 8889,
];

/// `--ports`: the TCP ports probed, before the STUN ports and an audit's are added
/// ([`ScanConfig::ports`] is the whole list).
pub static PORTS: crate::model::setting::Setting<std::borrow::Cow<'static, [u16]>> =
    crate::model::setting::Setting {
        key: "ports",
        flag: "--ports",
        short: Some('p'),
        repeat: false,
        env: "CAMSCAN_PORTS",
        value_name: "PORTS",
        help: "TCP ports: list and ranges, e.g. 554,8554,8000-8010 [default: 554,8554,10554,5554,\
               80,81,88,443,8000,8080,8081,8443,1935,7447,34567,37777,2020,3478,8088,1984,8889]",
        default: std::borrow::Cow::Borrowed(&DEFAULT_PORTS),
        parse: |t| crate::model::setting::ports(t).map(std::borrow::Cow::Owned),
    };
pub use crate::net::MAX_DEFAULT_CONCURRENCY;
pub use crate::probe::{DEFAULT_PER_HOST, DEFAULT_RETRIES};
/// Connects a second at most, all hosts together, when neither `--max-rate` nor the file says:
/// ZMap's default send rate (10,000 packets a second, zmap(1) `--rate`). A /24 of 21 ports (5,334
/// connects) then takes about half a second; on an attached subnet only the hosts that answer ARP
/// are probed, so a LAN scan rarely meets it.
pub const DEFAULT_MAX_RATE: u32 = 10_000;
/// The default on Docker Desktop (the plan's `docker-desktop` warning): its NAT relay wedges under
/// connect bursts and then returns every port open or none.
pub const DOCKER_DESKTOP_MAX_RATE: u32 = 500;

/// Everything a scan needs, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanConfig {
    pub targets: Vec<String>,
    /// The TCP ports probed: `--ports` ([`PORTS`]) with the STUN ports added, and an audit's or
    /// an API scan's own.
    pub ports: Vec<u16>,
    /// Ports among `ports` asked only for `camscan audit`'s own questions (Telnet, SSH, SNMP's
    /// neighbours): probed and judged, never recorded in the inventory, where a port the
    /// usual scans do not ask would read as `port_opened` (a change that is none).
    pub unrecorded_ports: Vec<u16>,
    /// The declared scan settings ([`settings::SCAN`]: the deadlines, the pacing, the login
    /// budget, the waits, the switches), resolved: read where they are used,
    /// `cfg.settings.get(&crate::discovery::arp::ARP_RATE)`.
    pub settings: crate::model::setting::Settings,
    pub format: Format,
    /// The formats' own options (`--csv-delimiter`, `--frigate-restream`, ...).
    pub format_options: crate::export::FormatValues,
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
    /// `main` loads them, with the knowledge directory's, before the scan ([`crate::knowledge`]).
    pub signatures: Vec<PathBuf>,
    /// The user's knowledge directory, read after `signatures` (`$XDG_CONFIG_HOME/camscan/
    /// knowledge.d`, [`crate::knowledge::user_dir`]); `None`: none.
    pub knowledge_dir: Option<PathBuf>,
    /// The container markers `CAMSCAN_CONTAINER_MARKERS` gives in place of the usual ones
    /// ([`crate::net::host::HostFacts::gather`]); `None`: the usual.
    pub container_markers: Option<Vec<String>>,
    /// ffprobe to enrich streams with; `None` = off.
    pub ffprobe: Option<PathBuf>,
    /// Discovery methods to run.
    pub discovery: Vec<DiscoveryMethod>,
    /// The inventory the scan is recorded in (`--db`, `CAMSCAN_DB`, config `db:`, else
    /// [`default_db_path`]; `--db-password-file`, `--credential-key`); `None` with `--no-db` (or
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
            ports: DEFAULT_PORTS.to_vec(),
            unrecorded_ports: Vec::new(),
            settings: settings::defaults(),
            format: Format::Table,
            format_options: Default::default(),
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
    pub fn host_gate(&self) -> crate::net::host_gate::GateSettings {
        crate::net::host_gate::GateSettings {
            connections: self.settings.get(&crate::net::host_gate::HOST_CONNECTIONS),
            rate: self.settings.get(&crate::net::host_gate::HOST_RATE),
        }
    }
}

/// What every command's settings read beside its own arguments and the config file: the global
/// `--color` and the process environment, both taken at the entrance (`Cli::process`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Process {
    pub color: Option<ColorChoice>,
    pub env: crate::model::environment::Environment,
}

/// `--color` and the file's `color:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl crate::model::choice::Choice for ColorChoice {
    fn choices() -> &'static [Self] {
        &[ColorChoice::Auto, ColorChoice::Always, ColorChoice::Never]
    }

    fn choice(self) -> &'static str {
        match self {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        }
    }
}

impl ColorChoice {
    /// The choice the environment leaves: `auto` is `never` where NO_COLOR (non-empty) or
    /// TERM=dumb forbid colour. The entrance resolves `--color` so, once.
    pub fn in_env(self, env: &crate::model::environment::Environment) -> ColorChoice {
        match self {
            ColorChoice::Auto if !env.colour_allowed() => ColorChoice::Never,
            c => c,
        }
    }

    /// Whether to colour output going to a stream that is (or is not) a terminal (a choice
    /// resolved by [`ColorChoice::in_env`]).
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal,
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

/// `program` as a path (it has a `/`), else the first match in `env`'s PATH.
pub fn find_program(
    program: &str,
    env: &crate::model::environment::Environment,
) -> Option<PathBuf> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        return p.is_file().then_some(p);
    }
    let path = env.var_os("PATH")?;
    std::env::split_paths(path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}
