//! The validated scan configuration.
//!
//! Low-level inputs (flags, `CAMSCAN_*` env, which clap merges, and the YAML file) become one
//! [`ScanConfig`] of checked, typed values, as ripgrep turns low-level args into high-level ones.
//! Precedence: flags > env > YAML config file > defaults. `config.example.yaml` lists every key with its
//! default; a test checks that it parses to exactly [`ScanConfig::default`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::{ColorChoice, DiscoveryMethod, FindArgs, Format, ScanArgs};
use crate::credentials::{self, Credential};
use crate::error::Error;

/// Camera ports probed by default: RTSP (554, 8554, 10554, 5554), HTTP/ONVIF (80, 81, 88 Foscam, 443,
/// 8000 Hikvision SDK/Reolink ONVIF, 8080, 8081, 8443, 2020 Tapo ONVIF), RTMP 1935, UniFi 7447, XMeye
/// 34567, Dahua 37777 (`docs/design/protocols.md`, "The port set"; 8443 beside 443 for HTTPS web
/// UIs), and WebRTC: STUN/TURN 3478 (RFC 5389), Janus' HTTP API 8088, go2rtc's API and WHEP 1984,
/// MediaMTX's WebRTC/WHEP listener 8889.
pub const DEFAULT_PORTS: [u16; 21] = [
    554, 8554, 10554, 5554, 80, 81, 88, 443, 8000, 8080, 8081, 8443, 1935, 7447, 34567, 37777,
    2020, 3478, 8088, 1984, 8889,
];
/// 1 s: a LAN host answers a SYN in well under 10 ms; Strix's 100 ms misses slow Wi-Fi cameras.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// 3 s per request/reply, between Cameradar's 2 s and go2rtc's 5 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
pub use crate::net::MAX_DEFAULT_CONCURRENCY;
/// Probes in flight to one host: more than the default port list, so a host that drops every SYN
/// (a firewall) costs one connect timeout rather than one per wave. A SYN and an RST are no load for
/// a camera; the analysis stages, which do load it, have their own limits.
pub const DEFAULT_PER_HOST: usize = 32;
/// Connects a second at most, all hosts together, when neither `--max-rate` nor the file says:
/// ZMap's default send rate (10,000 packets a second, zmap(1) `--rate`). A /24 of 21 ports (5,334
/// connects) then takes about half a second; on an attached subnet only the hosts that answer ARP
/// are probed, so a LAN scan rarely meets it.
pub const DEFAULT_MAX_RATE: u32 = 10_000;
/// The default on Docker Desktop (the plan's `docker-desktop` warning): its NAT relay wedges under
/// connect bursts and then returns every port open or none.
pub const DOCKER_DESKTOP_MAX_RATE: u32 = 500;
/// Retries of a connect that failed for a local reason (ENOBUFS, EMFILE...), backing off 50, 100,
/// 200, 400 ms: a scan that runs out of room waits for it rather than count the port closed.
pub const DEFAULT_RETRIES: u32 = 4;
/// How long WS-Discovery, SSDP, SADP, DHIP and mDNS listen, from the scan's start (they all start
/// with it): devices delay answers by up to MaxDelay (500 ms in WS-Discovery's defaults, after the
/// round at 300 ms; an SSDP device within MX seconds of the M-SEARCH, 1 s here, UPnP Device
/// Architecture 1.1 §1.3.3; mDNS responders by 20-120 ms, RFC 6762 §6, up to 500 ms for a truncated
/// query; the vendor protocols' captured replies come within milliseconds); python-ws-discovery
/// waits 3 s, go2rtc 5 s, and LAN devices answer well within 1.5 s.
pub const DEFAULT_DISCOVERY_WAIT: Duration = Duration::from_millis(1500);
pub use crate::detect::DEFAULT_DETECT_TIMEOUT;

/// Everything a scan needs, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanConfig {
    pub targets: Vec<String>,
    pub exclude: Vec<String>,
    pub ports: Vec<u16>,
    /// `--stun-ports`: STUN Binding first over TCP and, to every host with an open TCP port, over
    /// UDP. Also in `ports` (probed over TCP).
    pub stun_ports: Vec<u16>,
    pub connect_timeout: Duration,
    /// Deadline of protocol detection's first answers (at most `timeout`).
    pub detect_timeout: Duration,
    pub timeout: Duration,
    /// `None`: derive from the open-file limit at start.
    pub concurrency: Option<usize>,
    pub per_host: usize,
    /// `--max-rate`: connects a second, all hosts together (0: no limit); `None`: the default
    /// ([`DEFAULT_MAX_RATE`], or [`DOCKER_DESKTOP_MAX_RATE`] there), decided with the scan plan.
    pub max_rate: Option<u32>,
    /// `--arp-rate`: ARP requests a second, the sweep's broadcast budget (0: no limit).
    pub arp_rate: u32,
    /// `--probe-all`: every routed address gets every port (no host discovery first).
    pub probe_all: bool,
    /// RTSP sessions held on one device at a time (`--sessions-per-device`).
    pub sessions_per_device: usize,
    /// Analysis connections to one device at a time (`--host-connections`, 0: no limit).
    pub host_connections: usize,
    /// Analysis requests a second to one device (`--host-rate`, 0: no limit).
    pub host_rate: u32,
    pub retries: u32,
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
    pub allow_large: bool,
    pub allow_public: bool,
    /// `--reach-misaddressed`: add a temporary address in each misaddressed device's subnet for
    /// the scan and scan the device through it.
    pub reach_misaddressed: bool,
    /// Credentials in the order to try them (config list, then file, then username/password).
    pub credentials: Vec<Credential>,
    /// Failed logins allowed per host.
    pub auth_budget: u32,
    pub no_auth: bool,
    pub show_credentials: bool,
    /// The user's stream-name hints (`--paths`, config `paths:` then `paths_file:`), tried before
    /// the built-in dictionaries on RTSP, HTTP and RTMP ports.
    pub hints: crate::analyze::hints::Hints,
    /// Knowledge files read before the built-in data (`--signatures`, else config `signatures:`);
    /// `main` loads them, with the knowledge directory's, before the scan ([`crate::knowledge`]).
    pub signatures: Vec<PathBuf>,
    /// Ignore what earlier scans learnt (`--fresh`): the analysers start with nothing known.
    pub fresh: bool,
    /// PLAY each stream to prove it and measure it.
    pub verify: bool,
    /// Look each device's name up in DNS (reverse lookup; `--no-dns` / `dns: false` turn it off).
    pub dns: bool,
    /// Detect and analyse what speaks on each open port (`--no-detect`: open ports only, like a
    /// plain connect scan).
    pub detect: bool,
    pub verify_window: Duration,
    /// ffprobe to enrich streams with; `None` = off.
    pub ffprobe: Option<PathBuf>,
    /// With no targets: only this interface's subnets.
    pub interface: Option<String>,
    /// Discovery methods to run.
    pub discovery: Vec<DiscoveryMethod>,
    /// How long the multicast/broadcast discovery methods listen for answers.
    pub discovery_wait: Duration,
    /// The inventory database the scan is recorded in (`--db`, `CAMSCAN_DB`, config `db:`, else
    /// [`default_db_path`]); `None` with `--no-db` (or when there is no home
    /// directory to hold the default): nothing is recorded. A `postgres://` URL names a
    /// PostgreSQL database.
    pub db: Option<PathBuf>,
    /// `--db-password-file`: the PostgreSQL password's file.
    pub db_password_file: Option<PathBuf>,
    /// The credential key's file (`--credential-key`, `CAMSCAN_CREDENTIAL_KEY`, config
    /// `credential_key:`); `None`: the inventory's default ([`crate::store::cred_key`]).
    pub credential_key: Option<PathBuf>,
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
            exclude: Vec::new(),
            ports: DEFAULT_PORTS.to_vec(),
            stun_ports: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            detect_timeout: DEFAULT_DETECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            concurrency: None,
            per_host: DEFAULT_PER_HOST,
            max_rate: None,
            arp_rate: crate::discovery::arp::DEFAULT_RATE,
            probe_all: false,
            sessions_per_device: crate::analyze::sessions::DEFAULT_SESSIONS_PER_DEVICE,
            host_connections: crate::net::host_gate::DEFAULT_HOST_CONNECTIONS,
            host_rate: crate::net::host_gate::DEFAULT_HOST_RATE,
            retries: DEFAULT_RETRIES,
            format: Format::Table,
            format_options: Default::default(),
            detail: false,
            output: None,
            width: None,
            color: ColorChoice::Auto,
            allow_large: false,
            allow_public: false,
            reach_misaddressed: false,
            credentials: Vec::new(),
            auth_budget: crate::analyze::budget::DEFAULT_AUTH_BUDGET,
            no_auth: false,
            show_credentials: false,
            hints: Default::default(),
            signatures: Vec::new(),
            fresh: false,
            verify: true,
            dns: true,
            detect: true,
            verify_window: crate::analyze::context::DEFAULT_VERIFY_WINDOW,
            ffprobe: None,
            interface: None,
            discovery: crate::discovery::defaults(),
            discovery_wait: DEFAULT_DISCOVERY_WAIT,
            db: default_db_path(),
            db_password_file: None,
            credential_key: None,
            site: default_site(),
            hub: None,
        }
    }
}

/// A list given either as a YAML sequence or as one comma-separated string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ListOrString {
    List(Vec<serde_yaml::Value>),
    Text(String),
}

impl ListOrString {
    fn items(&self) -> Vec<String> {
        match self {
            ListOrString::Text(s) => s.split(',').map(|s| s.trim().to_string()).collect(),
            ListOrString::List(v) => v
                .iter()
                .map(|v| match v {
                    serde_yaml::Value::String(s) => s.clone(),
                    other => serde_yaml::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                })
                .collect(),
        }
    }
}

/// A duration as `800ms`, `1s`, `1.5s`, `2m`, or a bare number of seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DurationValue {
    Seconds(f64),
    Text(String),
}

/// The YAML config file. Every key optional; unknown keys are an error so typos are caught.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub targets: Option<ListOrString>,
    pub targets_file: Option<PathBuf>,
    pub exclude: Option<ListOrString>,
    pub ports: Option<ListOrString>,
    pub stun_ports: Option<ListOrString>,
    pub connect_timeout: Option<DurationValue>,
    pub detect_timeout: Option<DurationValue>,
    pub timeout: Option<DurationValue>,
    pub concurrency: Option<usize>,
    pub per_host: Option<usize>,
    pub max_rate: Option<u32>,
    pub arp_rate: Option<u32>,
    pub probe_all: Option<bool>,
    pub sessions_per_device: Option<usize>,
    pub host_connections: Option<usize>,
    pub host_rate: Option<u32>,
    pub retries: Option<u32>,
    pub format: Option<Format>,
    pub output: Option<PathBuf>,
    pub width: Option<u16>,
    pub color: Option<ColorChoice>,
    pub allow_large: Option<bool>,
    pub allow_public: Option<bool>,
    /// Credential entries, as in a credentials file (`user:password` or `SCOPE user:password`).
    pub credentials: Option<Vec<String>>,
    pub credentials_file: Option<PathBuf>,
    pub auth_budget: Option<u32>,
    pub no_auth: Option<bool>,
    pub show_credentials: Option<bool>,
    pub paths: Option<Vec<String>>,
    pub paths_file: Option<PathBuf>,
    /// Knowledge files, read before the built-in data.
    pub signatures: Option<Vec<PathBuf>>,
    pub fresh: Option<bool>,
    pub verify: Option<bool>,
    pub dns: Option<bool>,
    pub detect: Option<bool>,
    pub verify_window: Option<DurationValue>,
    pub ffprobe: Option<PathBuf>,
    pub interface: Option<String>,
    pub discovery: Option<Vec<DiscoveryMethod>>,
    pub discovery_wait: Option<DurationValue>,
    /// The inventory database (`--db`); `null` for the default location.
    pub db: Option<PathBuf>,
    /// The credential key's file (`--credential-key`); `null` for the inventory's default.
    pub credential_key: Option<PathBuf>,
    /// The site scans are recorded at (`--site`); `null` for the host name.
    pub site: Option<String>,
    /// The fleet's hub (`--hub`).
    pub hub: Option<PathBuf>,
    /// `camscan watch`'s settings (its flags override them).
    pub watch: Option<WatchFile>,
    /// The formats' own options' keys, as given ([`format_options`]).
    #[serde(skip)]
    pub format_options: crate::export::FormatValues,
}

/// The `watch:` section of the config file: `camscan watch`'s flags, by the same names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchFile {
    pub every: Option<String>,
    pub cron: Option<String>,
    pub check_streams: Option<String>,
    pub down_after: Option<u32>,
    pub notify: Option<Vec<String>>,
    pub webhook_secret_file: Option<PathBuf>,
    pub ha_discovery: Option<bool>,
    pub metrics: Option<String>,
    pub listen: Option<bool>,
    pub outbox_cap: Option<i64>,
    pub write: Option<Vec<String>>,
    pub write_then: Option<String>,
}

impl FileConfig {
    pub fn parse(text: &str, path: &Path) -> Result<Self, Error> {
        if text.trim().is_empty() {
            return Ok(FileConfig::default());
        }
        format_options::from_yaml(text).map_err(|e| Error::ConfigFile {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = read(path)?;
        Self::parse(&text, path)
    }
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
        path: path.to_path_buf(),
        source,
    })
}

impl ScanConfig {
    /// The per-host gate of analysis traffic (`--host-connections`, `--host-rate`).
    pub fn host_gate(&self) -> crate::net::host_gate::GateSettings {
        crate::net::host_gate::GateSettings {
            connections: self.host_connections,
            rate: self.host_rate,
        }
    }

    /// Merge flags/env (`args`), the config file and the defaults; read targets files; validate values.
    /// `color` is the global flag. `password` is the password for `--username` (from CAMSCAN_PASSWORD
    /// or a prompt, which the caller handles).
    pub fn resolve(
        args: &ScanArgs,
        file: &FileConfig,
        color: Option<ColorChoice>,
    ) -> Result<Self, Error> {
        Self::resolve_with_password(args, file, color, None)
    }

    /// [`ScanConfig::resolve`] with the password for `--username` (from CAMSCAN_PASSWORD or a
    /// prompt, which the caller handles). Each group of settings is one step below.
    pub fn resolve_with_password(
        args: &ScanArgs,
        file: &FileConfig,
        color: Option<ColorChoice>,
        password: Option<&str>,
    ) -> Result<Self, Error> {
        let (out, args) = (&args.out, &args.find);
        let d = ScanConfig::default();
        let (targets, exclude) = targets(args, file)?;
        let (ports, stun_ports) = ports(args, file, &d)?;
        let times = Deadlines::resolve(args, file, &d)?;
        let limits = Limits::resolve(args, file, &d)?;
        let credentials = credentials(args, file, password)?;
        let hints = hints(args, file)?;
        let (verify_window, discovery_wait) = waits(args, file, &d)?;
        Ok(ScanConfig {
            targets,
            exclude,
            ports,
            stun_ports,
            detect_timeout: times.detect_timeout,
            connect_timeout: times.connect_timeout,
            timeout: times.timeout,
            concurrency: limits.concurrency,
            per_host: limits.per_host,
            max_rate: limits.max_rate,
            arp_rate: limits.arp_rate,
            probe_all: args.probe_all || file.probe_all.unwrap_or(false),
            sessions_per_device: limits.sessions_per_device,
            host_connections: limits.host_connections,
            host_rate: limits.host_rate,
            retries: limits.retries,
            format: out.format.or(file.format).unwrap_or(d.format),
            format_options: out.format_options.resolve(&file.format_options, false)?,
            detail: d.detail,
            output: out.output.clone().or_else(|| file.output.clone()),
            width: out.width.or(file.width),
            color: color.or(file.color).unwrap_or(d.color),
            allow_large: args.allow_large || file.allow_large.unwrap_or(false),
            allow_public: args.allow_public || file.allow_public.unwrap_or(false),
            reach_misaddressed: args.reach_misaddressed,
            credentials,
            auth_budget: args
                .auth_budget
                .or(file.auth_budget)
                .unwrap_or(d.auth_budget),
            no_auth: args.no_auth || file.no_auth.unwrap_or(false),
            show_credentials: args.show_credentials || file.show_credentials.unwrap_or(false),
            hints,
            signatures: signature_files(&args.signatures, file),
            fresh: args.fresh || file.fresh.unwrap_or(false),
            verify: !args.no_verify && file.verify.unwrap_or(true),
            dns: !args.no_dns && file.dns.unwrap_or(true),
            detect: !args.no_detect && file.detect.unwrap_or(true),
            verify_window,
            ffprobe: args.ffprobe.clone().or_else(|| file.ffprobe.clone()),
            interface: args.interface.clone().or_else(|| file.interface.clone()),
            discovery: if !args.discovery.is_empty() {
                args.discovery.clone()
            } else {
                file.discovery.clone().unwrap_or(d.discovery)
            },
            discovery_wait,
            db: if args.no_db {
                None
            } else {
                db_path(args.db.as_deref(), file)
            },
            db_password_file: args.db_password_file.clone(),
            credential_key: args
                .credential_key
                .clone()
                .or_else(|| file.credential_key.clone()),
            site: args
                .site
                .clone()
                .or_else(|| file.site.clone())
                .unwrap_or_else(default_site),
            hub: None,
        })
        .and_then(|mut c: ScanConfig| {
            c.hub = args
                .hub
                .clone()
                .or_else(|| file.hub.clone())
                .map(|at| HubConfig {
                    at,
                    password_file: args.hub_password_file.clone(),
                    site: c.site.clone(),
                });
            if let (Some(_), Some(db)) = (&c.hub, &c.db)
                && let Some((value, reason)) = crate::store::db::location::no_agent(db)
            {
                let (field, reason) = ("db", reason.into());
                return Err(Error::InvalidValue {
                    field,
                    value,
                    reason,
                });
            }
            Ok(c)
        })
    }

    /// The whole scan configuration of a command line: its `--config` file read (or none), merged
    /// with the flags as [`ScanConfig::resolve_with_password`] does. Every command that scans
    /// (`scan`, `watch` and its reload, `serve`'s scans) resolves it here; the file comes back
    /// for the command's own section (`watch:`).
    pub fn load(
        args: &ScanArgs,
        color: Option<ColorChoice>,
        password: Option<&str>,
    ) -> Result<(Self, FileConfig), Error> {
        let file = args
            .find
            .config
            .as_deref()
            .map(FileConfig::load)
            .transpose()?
            .unwrap_or_default();
        let cfg = Self::resolve_with_password(args, &file, color, password)?;
        Ok((cfg, file))
    }
}

/// The targets (flags, else the file; the targets file's lines added) and the exclusions, blank
/// entries dropped.
fn targets(args: &FindArgs, file: &FileConfig) -> Result<(Vec<String>, Vec<String>), Error> {
    let mut targets = if !args.targets.is_empty() {
        args.targets.clone()
    } else {
        file.targets.as_ref().map(|t| t.items()).unwrap_or_default()
    };
    if let Some(tf) = args.targets_file.as_ref().or(file.targets_file.as_ref()) {
        targets.extend(crate::discovery::targets::parse_targets_file(&read(tf)?));
    }
    targets.retain(|t| !t.trim().is_empty());
    let mut exclude = if !args.exclude.is_empty() {
        args.exclude.clone()
    } else {
        file.exclude.as_ref().map(|t| t.items()).unwrap_or_default()
    };
    exclude.retain(|t| !t.trim().is_empty());
    Ok((targets, exclude))
}

/// The TCP ports to probe (the STUN ports among them) and the STUN ports.
fn ports(
    args: &FindArgs,
    file: &FileConfig,
    d: &ScanConfig,
) -> Result<(Vec<u16>, Vec<u16>), Error> {
    let mut ports = match (&args.ports, &file.ports) {
        (Some(p), _) => parse_ports(p)?,
        (None, Some(p)) => parse_ports(&p.items().join(","))?,
        (None, None) => d.ports.clone(),
    };
    let stun_ports = match (&args.stun_ports, &file.stun_ports) {
        (Some(p), _) => parse_ports(p)?,
        (None, Some(p)) if p.items().iter().all(|i| i.is_empty()) => Vec::new(),
        (None, Some(p)) => parse_ports(&p.items().join(","))?,
        (None, None) => d.stun_ports.clone(),
    };
    for p in &stun_ports {
        if !ports.contains(p) {
            ports.push(*p);
        }
    }
    Ok((ports, stun_ports))
}

/// The scan's deadlines.
struct Deadlines {
    connect_timeout: Duration,
    timeout: Duration,
    /// At most `timeout`.
    detect_timeout: Duration,
}

impl Deadlines {
    fn resolve(args: &FindArgs, file: &FileConfig, d: &ScanConfig) -> Result<Deadlines, Error> {
        let connect_timeout = duration_field(
            "connect_timeout",
            args.connect_timeout.as_deref(),
            file.connect_timeout.as_ref(),
        )?
        .unwrap_or(d.connect_timeout);
        let timeout = duration_field("timeout", args.timeout.as_deref(), file.timeout.as_ref())?
            .unwrap_or(d.timeout);
        let detect_timeout = duration_field(
            "detect_timeout",
            args.detect_timeout.as_deref(),
            file.detect_timeout.as_ref(),
        )?
        .unwrap_or(d.detect_timeout)
        .min(timeout);
        Ok(Deadlines {
            connect_timeout,
            timeout,
            detect_timeout,
        })
    }
}

/// How long a PLAY check watches media, and how long discovery listens.
fn waits(
    args: &FindArgs,
    file: &FileConfig,
    d: &ScanConfig,
) -> Result<(Duration, Duration), Error> {
    let verify_window = duration_field(
        "verify_window",
        args.verify_window.as_deref(),
        file.verify_window.as_ref(),
    )?
    .unwrap_or(d.verify_window);
    let discovery_wait = duration_field(
        "discovery_wait",
        args.discovery_wait.as_deref(),
        file.discovery_wait.as_ref(),
    )?
    .unwrap_or(d.discovery_wait);
    Ok((verify_window, discovery_wait))
}

/// How much the scan does at once, and how often it retries.
struct Limits {
    concurrency: Option<usize>,
    per_host: usize,
    max_rate: Option<u32>,
    arp_rate: u32,
    sessions_per_device: usize,
    host_connections: usize,
    host_rate: u32,
    retries: u32,
}

impl Limits {
    fn resolve(args: &FindArgs, file: &FileConfig, d: &ScanConfig) -> Result<Limits, Error> {
        let concurrency = args.concurrency.or(file.concurrency);
        if concurrency == Some(0) {
            return Err(invalid("concurrency", "0", "must be at least 1"));
        }
        let per_host = args.per_host.or(file.per_host).unwrap_or(d.per_host);
        if per_host == 0 {
            return Err(invalid("per_host", "0", "must be at least 1"));
        }
        let sessions_per_device = args
            .sessions_per_device
            .or(file.sessions_per_device)
            .unwrap_or(d.sessions_per_device);
        if sessions_per_device == 0 {
            return Err(invalid("sessions_per_device", "0", "must be at least 1"));
        }
        let retries = args.retries.or(file.retries).unwrap_or(d.retries);
        if retries > 10 {
            return Err(invalid("retries", &retries.to_string(), "at most 10"));
        }
        Ok(Limits {
            concurrency,
            per_host,
            max_rate: args.max_rate.or(file.max_rate),
            arp_rate: args.arp_rate.or(file.arp_rate).unwrap_or(d.arp_rate),
            sessions_per_device,
            host_connections: args
                .host_connections
                .or(file.host_connections)
                .unwrap_or(d.host_connections),
            host_rate: args.host_rate.or(file.host_rate).unwrap_or(d.host_rate),
            retries,
        })
    }
}

/// The credentials to try, in order: the file's `credentials:` entries, the credentials file's,
/// then `--username` with its password.
fn credentials(
    args: &FindArgs,
    file: &FileConfig,
    password: Option<&str>,
) -> Result<Vec<Credential>, Error> {
    let mut creds = Vec::new();
    for (i, entry) in file.credentials.iter().flatten().enumerate() {
        creds.push(
            credentials::parse_entry(entry)
                .map_err(|reason| invalid("credentials", &format!("entry {}", i + 1), &reason))?,
        );
    }
    if let Some(path) = args.credentials.as_ref().or(file.credentials_file.as_ref()) {
        creds.extend(
            credentials::parse_file(&read(path)?).map_err(|e| Error::ConfigFile {
                path: path.clone(),
                message: e.to_string(),
            })?,
        );
    }
    if let Some(user) = &args.username {
        let Some(password) = password else {
            return Err(invalid(
                "username",
                user,
                "no password: set CAMSCAN_PASSWORD or run on a terminal to be asked",
            ));
        };
        creds.push(Credential::new(user.clone(), password));
    }
    Ok(creds)
}

/// The stream paths the user gave (`paths:` in the file, then the paths file's lines).
fn hints(args: &FindArgs, file: &FileConfig) -> Result<crate::analyze::hints::Hints, Error> {
    use crate::analyze::hints::Hints;
    let listed = file.paths.clone().unwrap_or_default();
    let mut hints = Hints::parse(listed.iter().map(String::as_str))
        .map_err(|reason| invalid("paths", "config paths:", &reason))?;
    if let Some(path) = args.paths.as_ref().or(file.paths_file.as_ref()) {
        let text = read(path)?;
        let more = Hints::parse(text.lines())
            .map_err(|reason| invalid("paths", &path.display().to_string(), &reason))?;
        hints.extend(more);
    }
    Ok(hints)
}

/// The inventory database: the flag's (or `CAMSCAN_DB`'s), else the config file's `db:`, else the
/// default location ([`default_db_path`]; `None` without a home directory).
pub fn db_path(flag: Option<&Path>, file: &FileConfig) -> Option<PathBuf> {
    flag.map(Path::to_path_buf)
        .or_else(|| file.db.clone())
        .or_else(default_db_path)
}

/// Knowledge files: the flag's (or `CAMSCAN_SIGNATURES`'s), else the config file's, in order.
/// Relative paths are relative to the working directory, as every path of the config file is.
pub fn signature_files(flag: &[PathBuf], file: &FileConfig) -> Vec<PathBuf> {
    if flag.is_empty() {
        file.signatures.clone().unwrap_or_default()
    } else {
        flag.to_vec()
    }
}

fn invalid(field: &'static str, value: &str, reason: &str) -> Error {
    Error::InvalidValue {
        field,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

fn duration_field(
    field: &'static str,
    flag: Option<&str>,
    file: Option<&DurationValue>,
) -> Result<Option<Duration>, Error> {
    let d = match (flag, file) {
        (Some(s), _) => parse_duration(s),
        (None, Some(DurationValue::Text(s))) => parse_duration(s),
        (None, Some(DurationValue::Seconds(n))) => secs(*n),
        (None, None) => return Ok(None),
    };
    let shown = flag.map(str::to_string).unwrap_or_else(|| match file {
        Some(DurationValue::Text(s)) => s.clone(),
        Some(DurationValue::Seconds(n)) => n.to_string(),
        None => String::new(),
    });
    let d = d.map_err(|reason| invalid(field, &shown, reason))?;
    if d.is_zero() || d > Duration::from_secs(3600) {
        return Err(invalid(field, &shown, "must be more than 0 and at most 1h"));
    }
    Ok(Some(d))
}

pub mod format_options;
mod parse;
use parse::secs;
pub use parse::{parse_csv_delimiter, parse_duration, parse_ports};

/// The inventory's default place: `$XDG_STATE_HOME/camscan/inventory.db`, else
/// `~/.local/state/camscan/inventory.db`: the XDG base directory specification's place for state
/// that should persist between runs but is not worth backing up like user data (a history of
/// what was seen). `None` without either variable.
pub fn default_db_path() -> Option<PathBuf> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    // The specification: a relative value is invalid and ignored.
    let base = var("XDG_STATE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| var("HOME").map(|h| h.join(".local").join("state")))?;
    Some(base.join("camscan").join("inventory.db"))
}

/// The fleet's hub a site sends its inventory to (`--hub`; `crate::fleet` sends).
#[derive(Debug, Clone, PartialEq)]
pub struct HubConfig {
    /// `--hub`: a `postgres://` URL (or a file, for a hub on this machine).
    pub at: PathBuf,
    /// `--hub-password-file`.
    pub password_file: Option<PathBuf>,
    /// This site's name.
    pub site: String,
}

/// The site of a machine that names none: its host name (`localhost` when it has none).
pub fn default_site() -> String {
    dns_lookup::get_hostname()
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// `program` as a path (it has a `/`), else the first match in PATH.
pub fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::ScanOutputArgs;

    #[test]
    fn default_path_follows_xdg() {
        // Read-only check of the rule on this process's environment.
        let p = default_db_path();
        match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
            Some(x) if Path::new(&x).is_absolute() => {
                assert_eq!(p, Some(Path::new(&x).join("camscan/inventory.db")))
            }
            _ => {
                if let Some(h) = std::env::var_os("HOME") {
                    assert_eq!(
                        p,
                        Some(Path::new(&h).join(".local/state/camscan/inventory.db"))
                    )
                }
            }
        }
    }

    /// `--fresh` (or `fresh: true`) leaves the scan context without what earlier scans knew.
    #[test]
    fn fresh_ignores_what_was_known() {
        let ip: std::net::IpAddr = "198.18.0.9".parse().unwrap();
        let known =
            || std::collections::HashMap::from([(ip, crate::analyze::context::Known::default())]);
        let file = FileConfig::parse("fresh: true\n", Path::new("c.yaml")).unwrap();
        let fresh = ScanConfig::resolve(&ScanArgs::default(), &file, None).unwrap();
        assert!(fresh.fresh);
        let (ctx, _tx) = crate::scan::plan::context_with_known(&fresh, known());
        assert!(ctx.known.is_empty());
        let args = ScanArgs {
            find: FindArgs {
                fresh: true,
                ..Default::default()
            },
            ..Default::default()
        };
        let flag = ScanConfig::resolve(&args, &FileConfig::default(), None).unwrap();
        assert!(flag.fresh);
        let usual = ScanConfig::default();
        let (ctx, _tx) = crate::scan::plan::context_with_known(&usual, known());
        assert_eq!(ctx.known.len(), 1);
    }

    #[test]
    fn ports() {
        assert_eq!(
            parse_ports("554, 8554,8000-8002,554").unwrap(),
            [554, 8554, 8000, 8001, 8002]
        );
        assert_eq!(parse_ports("1-65535").unwrap().len(), 65535);
        for bad in ["", "0", "65536", "80-", "x", "90-80", "1:2"] {
            let e = parse_ports(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid port list"), "{bad}: {e}");
        }
    }

    #[test]
    fn csv_delimiters() {
        for (given, want) in [
            (",", b','),
            (";", b';'),
            ("|", b'|'),
            ("\t", b'\t'),
            ("\\t", b'\t'),
            ("tab", b'\t'),
            ("TAB", b'\t'),
        ] {
            assert_eq!(parse_csv_delimiter(given), Ok(want), "{given:?}");
        }
        for bad in [
            "", ";;", "ab", "\"", "'", "\n", "\r", "a", "1", " ", "é", "\\n",
        ] {
            assert!(parse_csv_delimiter(bad).is_err(), "{bad:?}");
        }
        let file = FileConfig::parse("csv_delimiter: \";\"\n", Path::new("c.yaml")).unwrap();
        let c = ScanConfig::resolve(&ScanArgs::default(), &file, None).unwrap();
        assert_eq!(csv_delimiter(&c), b';');
        let args = ScanArgs {
            out: ScanOutputArgs {
                format_options: given("csv_delimiter", "tab"),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            csv_delimiter(&ScanConfig::resolve(&args, &file, None).unwrap()),
            b'\t',
            "flag over file"
        );
        let file = FileConfig::parse("csv_delimiter: \"::\"\n", Path::new("c.yaml")).unwrap();
        let e = ScanConfig::resolve(&ScanArgs::default(), &file, None).unwrap_err();
        assert!(e.to_string().contains("csv_delimiter"), "{e}");
    }

    /// The CSV delimiter a configuration gives the CSV exporter.
    fn csv_delimiter(c: &ScanConfig) -> u8 {
        let option = crate::export::options::option_keyed("csv_delimiter").unwrap();
        parse_csv_delimiter(c.format_options.value(option)).unwrap()
    }

    /// Whether a configuration turns `--frigate-restream` on.
    fn frigate_restream(c: &ScanConfig) -> bool {
        let option = crate::export::options::option_keyed("frigate_restream").unwrap();
        c.format_options.on(option)
    }

    /// The flags of the format option `key` given as `value`.
    fn given(key: &str, value: &str) -> crate::cli::FormatOptionArgs {
        let mut values = crate::export::FormatValues::default();
        let option = crate::export::options::option_keyed(key).unwrap();
        values.set(option, value.into());
        crate::cli::FormatOptionArgs(values)
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("800ms"), Ok(Duration::from_millis(800)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn precedence_flag_over_file_over_default() {
        let file = FileConfig::parse(
            "ports: [554, 8554]\ntimeout: 5s\nconnect_timeout: 0.5\nretries: 3\nformat: csv\n",
            Path::new("x.yaml"),
        )
        .unwrap();
        let args = ScanArgs {
            find: FindArgs {
                timeout: Some("2s".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = ScanConfig::resolve(&args, &file, None).unwrap();
        assert_eq!(c.ports, [554, 8554]); // file over default
        assert_eq!(c.timeout, Duration::from_secs(2)); // flag over file
        assert_eq!(c.connect_timeout, Duration::from_millis(500));
        assert_eq!(c.retries, 3);
        assert_eq!(c.format, Format::Csv);
        assert_eq!(c.per_host, DEFAULT_PER_HOST); // default
        let c = ScanConfig::resolve(&ScanArgs::default(), &FileConfig::default(), None).unwrap();
        assert_eq!(c, ScanConfig::default());
    }

    #[test]
    fn configuration_export_formats_and_frigate_restream() {
        for (text, want) in [
            ("go2rtc", Format::Go2rtc),
            ("frigate", Format::Frigate),
            ("mediamtx", Format::Mediamtx),
            ("ha-sheet", Format::HaSheet),
        ] {
            let file =
                FileConfig::parse(&format!("format: {text}\n"), Path::new("c.yaml")).unwrap();
            let c = ScanConfig::resolve(&ScanArgs::default(), &file, None).unwrap();
            assert_eq!(c.format, want, "{text}");
        }
        let file = FileConfig::parse("frigate_restream: true\n", Path::new("c.yaml")).unwrap();
        let c = ScanConfig::resolve(&ScanArgs::default(), &file, None).unwrap();
        assert!(frigate_restream(&c));
        let args = ScanArgs {
            out: ScanOutputArgs {
                format_options: given("frigate_restream", "true"),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = ScanConfig::resolve(&args, &FileConfig::default(), None).unwrap();
        assert!(frigate_restream(&c));
    }

    #[test]
    fn bad_yaml_names_the_file_and_the_problem() {
        let e = FileConfig::parse("prots: [554]\n", Path::new("cams.yaml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("cams.yaml") && msg.contains("prots"), "{msg}");
        let e = FileConfig::parse("ports: [554\n", Path::new("c.yaml")).unwrap_err();
        assert!(e.to_string().starts_with("invalid config file c.yaml"));
        let file = FileConfig::parse("timeout: soon\n", Path::new("c.yaml")).unwrap();
        let e = ScanConfig::resolve(&ScanArgs::default(), &file, None).unwrap_err();
        assert!(e.to_string().contains("timeout"), "{e}");
    }

    #[test]
    fn signature_files_from_the_flag_else_the_file() {
        let file =
            FileConfig::parse("signatures: [site.yaml, more.yaml]\n", Path::new("c.yaml")).unwrap();
        let c = ScanConfig::resolve(&ScanArgs::default(), &file, None).unwrap();
        assert_eq!(
            c.signatures,
            [PathBuf::from("site.yaml"), PathBuf::from("more.yaml")]
        );
        let args = ScanArgs {
            find: FindArgs {
                signatures: vec!["test.yaml".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        let c = ScanConfig::resolve(&args, &file, None).unwrap();
        assert_eq!(c.signatures, [PathBuf::from("test.yaml")], "flag over file");
    }

    #[test]
    fn stun_ports_are_probed_over_tcp_too() {
        let file =
            FileConfig::parse("ports: [554, 3478]\nstun_ports: []\n", Path::new("c.yaml")).unwrap();
        let c = ScanConfig::resolve(&ScanArgs::default(), &file, None).unwrap();
        assert!(c.stun_ports.is_empty());
        assert_eq!(c.ports, [554, 3478]);
        let args = ScanArgs {
            find: FindArgs {
                stun_ports: Some("3478,19302,5349-5350".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = ScanConfig::resolve(&args, &file, None).unwrap();
        assert_eq!(c.stun_ports, [3478, 19302, 5349, 5350]);
        assert_eq!(c.ports, [554, 3478, 19302, 5349, 5350], "added once each");
        let file = FileConfig::parse("stun_ports: \"19302\"\n", Path::new("c.yaml")).unwrap();
        let c = ScanConfig::resolve(&ScanArgs::default(), &file, None).unwrap();
        assert_eq!(c.stun_ports, [19302]);
        assert!(c.ports.ends_with(&[19302]));
        let bad = ScanArgs {
            find: FindArgs {
                stun_ports: Some("0".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(ScanConfig::resolve(&bad, &FileConfig::default(), None).is_err());
    }

    #[test]
    fn inventory_database_from_flag_env_file_or_default() {
        let file = FileConfig::parse("db: /srv/site.db\n", Path::new("c.yaml")).unwrap();
        let c = ScanConfig::resolve(&ScanArgs::default(), &file, None).unwrap();
        assert_eq!(
            c.db,
            Some(PathBuf::from("/srv/site.db")),
            "file over default"
        );
        let args = ScanArgs {
            find: FindArgs {
                db: Some("/tmp/x.db".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = ScanConfig::resolve(&args, &file, None).unwrap();
        assert_eq!(c.db, Some(PathBuf::from("/tmp/x.db")), "flag over file");
        let args = ScanArgs {
            find: FindArgs {
                db: Some("/tmp/x.db".into()),
                no_db: true,
                ..Default::default()
            },
            ..Default::default()
        };
        let c = ScanConfig::resolve(&args, &file, None).unwrap();
        assert_eq!(c.db, None, "--no-db wins");
        let c = ScanConfig::resolve(&ScanArgs::default(), &FileConfig::default(), None).unwrap();
        assert_eq!(c.db, default_db_path());
    }

    #[test]
    fn detect_timeout_never_exceeds_the_step_timeout() {
        let file = FileConfig::default();
        let args = ScanArgs {
            find: FindArgs {
                targets: vec!["127.0.0.1".into()],
                timeout: Some("1s".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = ScanConfig::resolve(&args, &file, None).unwrap();
        assert_eq!(
            c.detect_timeout,
            Duration::from_secs(1),
            "clamped to --timeout"
        );
        let args = ScanArgs {
            find: FindArgs {
                targets: vec!["127.0.0.1".into()],
                detect_timeout: Some("500ms".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = ScanConfig::resolve(&args, &file, None).unwrap();
        assert_eq!(c.detect_timeout, Duration::from_millis(500));
        assert_eq!(c.timeout, DEFAULT_TIMEOUT);
    }

    #[test]
    fn example_config_matches_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml");
        let file = FileConfig::load(&path).unwrap();
        let c = ScanConfig::resolve(&ScanArgs::default(), &file, None).unwrap();
        assert_eq!(c, ScanConfig::default());
        // And it names every key the file format knows, so it documents them all.
        let text = std::fs::read_to_string(&path).unwrap();
        for key in [
            "targets",
            "targets_file",
            "exclude",
            "ports",
            "stun_ports",
            "connect_timeout",
            "timeout",
            "detect_timeout",
            "concurrency",
            "per_host",
            "max_rate",
            "arp_rate",
            "probe_all",
            "sessions_per_device",
            "retries",
            "format",
            "csv_delimiter",
            "frigate_restream",
            "backchannel",
            "output",
            "color",
            "allow_large",
            "allow_public",
            "credentials",
            "auth_budget",
            "signatures",
            "fresh",
            "verify",
            "verify_window",
            "dns",
            "detect",
            "interface",
            "discovery",
            "discovery_wait",
            "db",
            "watch",
        ] {
            assert!(
                text.contains(&format!("\n{key}:")),
                "config.example.yaml lacks {key}"
            );
        }
    }
}
