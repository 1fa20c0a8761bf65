//! Command-line interface (clap derive). Flags are as the user types them; every one also reads a
//! `CAMSCAN_*` environment variable. Values left unset here fall back to the YAML config file and then to
//! the defaults in `config.rs`, which is why scan options are `Option`s: the help states each default.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::config::ColorChoice;
pub use crate::discovery::DiscoveryMethod;
pub use crate::export::Format;

mod format_options;
mod hub;
mod serve;
pub mod settings;

pub use format_options::FormatOptionArgs;
pub use hub::*;
pub use serve::ServeArgs;

#[derive(Debug, Parser)]
#[command(
    name = "camscan",
    version,
    about = "Find every network camera and video stream on a LAN and say how to open each one",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    /// More log detail on stderr (-v info, -vv debug, -vvv trace). RUST_LOG or CAMSCAN_LOG override.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, env = "CAMSCAN_VERBOSE")]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(
        short,
        long,
        global = true,
        env = "CAMSCAN_QUIET",
        conflicts_with = "verbose"
    )]
    pub quiet: bool,
    /// When to use colours in the table and logs [default: auto; NO_COLOR and TERM=dumb turn auto off].
    #[arg(long, value_enum, global = true, env = "CAMSCAN_COLOR")]
    pub color: Option<ColorChoice>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan targets (or, with none, the attached private subnets) for cameras and streams.
    Scan(Box<ScanArgs>),
    /// List this machine's IPv4 interfaces and which subnets a scan without targets would cover.
    /// Sends nothing.
    Interfaces(InterfacesArgs),
    /// Write a report `camscan scan -f json` wrote in another output format (the table at this
    /// terminal's width, CSV, go2rtc, ...) without scanning again. Sends nothing.
    Convert(Box<ConvertArgs>),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout: `camscan man | man -l -`.
    Man,
    /// List the knowledge a scan uses (vendors, HTTP signatures and probes, RTSP/HTTP paths, RTMP
    /// names, OUIs) and where each entry comes from: built in, or a user's knowledge file. Sends
    /// nothing.
    Signatures(SignaturesArgs),
    /// The devices the inventory knows, with state, first and last seen, address, vendor/model and
    /// streams (up/total). Exit 0 when some are listed, 1 when none, 2 on error.
    Devices(DevicesArgs),
    /// Everything the inventory knows about one device (id, address or MAC): addresses, identity,
    /// ports, streams and events. Exit 0, or 1 when the device is unknown.
    Show(ShowArgs),
    /// The inventory's events (device new/offline/online, address, firmware, ports, streams),
    /// newest first. Exit 0 when some are listed, 1 when none.
    History(HistoryArgs),
    /// What changed between two recorded scans (default: the last two complete ones): devices,
    /// ports and streams added, removed and changed, as nmap's ndiff shows it. Exit 0 when nothing
    /// changed, 1 when something did, 2 on error.
    Diff(DiffArgs),
    /// The recorded scans, newest first: when, complete or interrupted, targets, devices seen.
    Scans(ScansArgs),
    /// Remove one device (id, address or MAC) and everything recorded about it from the inventory.
    /// Exit 0, or 1 when the device is unknown.
    Forget(ForgetArgs),
    /// Remove scans, events, offline devices and resolved audit findings older than a given age,
    /// to keep the file bounded.
    Prune(PruneArgs),
    /// Scan on a schedule, check known streams between scans, and send the inventory's events
    /// (device new/offline/online, stream down/up, ...) to stdout as NDJSON, webhooks, commands
    /// or MQTT, none lost. Runs until SIGINT/SIGTERM (exit 130/143); SIGHUP reloads --config.
    Watch(Box<WatchArgs>),
    /// Serve the inventory over HTTP: a read-only REST API under /api/v1 (devices, streams,
    /// events, scans, diff, an OpenAPI document) and the events live as Server-Sent Events.
    /// Beyond loopback it asks for a token (--print-token); HTTPS with --tls-cert/--tls-key.
    /// Runs until SIGINT/SIGTERM (exit 130/143).
    Serve(Box<ServeArgs>),
    /// Check why a scan may miss things: privileges for raw ARP, interfaces and the subnets a
    /// scan without targets covers, multicast routes, the open-file limit, ffprobe, the config
    /// file, the inventory (read-only), the credential key's and the serve token's permissions
    /// and each notification sink. One line per check, pass / warn / fail with the fix. Sends
    /// nothing but a TCP connect to each configured webhook/MQTT sink. Exit 0 when nothing
    /// fails, 1 when something does.
    Doctor(DoctorArgs),
    /// Judge the installation: scan (or, with --from-db, read the inventory without sending
    /// anything) and report security findings, each with a stable id, severity, evidence, fix and
    /// source; with --expect, compare it with a plan (ok / missing / mismatch / unexpected). Read
    /// only: nothing on any device is changed. Exit as scan does (0 found, 1 nothing, 2 error,
    /// 130/143 interrupted), or 4 with --fail-on when a finding at or above it exists.
    Audit(Box<AuditArgs>),
    /// The fleet's hub, run with its owner's login (--db postgres://OWNER@HUB/DB): add a site and
    /// a login of its own for its agent, which PostgreSQL's row-level security holds to that
    /// site's rows; list the sites; give a site's login a new password; forget a site's rows (a
    /// new inventory may then take its name); remove a site and its login.
    Hub(HubArgs),
}

/// `camscan audit`.
#[derive(Debug, Args, Default)]
pub struct AuditArgs {
    #[command(flatten)]
    pub find: FindArgs,
    /// Judge the inventory's newest description of each device at the site (--site, else this
    /// machine's) instead of scanning: nothing is sent.
    #[arg(long, env = "CAMSCAN_FROM_DB")]
    pub from_db: bool,
    /// Compare with a plan: a CSV whose header names some of name,address,mac,resolution,fps,
    /// codec (address or mac on every row), as a spreadsheet exports it.
    #[arg(long, value_name = "FILE", env = "CAMSCAN_EXPECT")]
    pub expect: Option<PathBuf>,
    /// Output format [default: table].
    #[arg(short, long, value_enum, env = "CAMSCAN_AUDIT_FORMAT")]
    pub format: Option<AuditFormat>,
    /// Write the result to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE", env = "CAMSCAN_OUTPUT")]
    pub output: Option<PathBuf>,
    /// Exit 4 when a finding at or above this severity exists (for CI).
    #[arg(long, value_enum, value_name = "SEVERITY", env = "CAMSCAN_FAIL_ON")]
    pub fail_on: Option<crate::audit::Severity>,
    /// The handover report's video decoder: ffmpeg at this path (or name in PATH) [default:
    /// ffmpeg from PATH when installed; without it, cameras with no snapshot or MJPEG stream
    /// have no picture].
    #[arg(long, value_name = "PATH", env = "CAMSCAN_FFMPEG")]
    pub ffmpeg: Option<PathBuf>,
    /// The handover report without pictures (no snapshot, frame or keyframe is fetched).
    #[arg(long, env = "CAMSCAN_NO_THUMBNAILS")]
    pub no_thumbnails: bool,
    /// Try the makers' documented factory credentials (data/default_credentials.yaml) on each
    /// stream that asks for a login: the device's maker's first, then every other maker's; at most one try
    /// per credential per device, inside the failed-login budget (--auth-budget), never once it
    /// is spent, never with --no-auth [default: off: none is ever sent].
    #[arg(long, env = "CAMSCAN_CHECK_DEFAULTS")]
    pub check_defaults: bool,
}

/// What `camscan audit` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum AuditFormat {
    /// A table for people, grouped by severity, with each finding's fix and source.
    #[default]
    Table,
    /// The versioned audit document: summary, findings, commissioning and the devices judged.
    Json,
    /// A row per finding, then a row per planned camera (`kind` tells them apart).
    Csv,
    /// The handover report: one self-contained HTML file (a picture of each camera, its
    /// streams, findings and fixes, the commissioning result) that prints to a clean PDF.
    Html,
}

/// Where the inventory is: shared by the inventory commands.
#[derive(Debug, Args, Default, Clone)]
pub struct DbArgs {
    /// The inventory: an SQLite file, or a PostgreSQL database as a postgres:// URL (the fleet's
    /// hub; no password in it: see --db-password-file) [default:
    /// $XDG_STATE_HOME/camscan/inventory.db, else ~/.local/state/camscan/inventory.db; or the
    /// config file's `db:`].
    #[arg(long, value_name = "PATH|URL", env = "CAMSCAN_DB")]
    pub db: Option<PathBuf>,
    /// The PostgreSQL password, from the first line of this file (else PGPASSWORD, else
    /// ~/.pgpass or the URL's passfile=, as libpq reads them).
    #[arg(long, value_name = "FILE", env = "CAMSCAN_DB_PASSWORD_FILE")]
    pub db_password_file: Option<PathBuf>,
    /// The key of the credential hashes the inventory keeps (which credential opened a stream),
    /// in this file, mode 0600, made on first use [default: beside an SQLite inventory, its name
    /// with .key added; for PostgreSQL $XDG_CONFIG_HOME/camscan/credential.key, else
    /// ~/.config/camscan/credential.key; or the config file's `credential_key:`]. Never in the
    /// inventory itself.
    #[arg(long, value_name = "FILE", env = "CAMSCAN_CREDENTIAL_KEY")]
    pub credential_key: Option<PathBuf>,
    /// Only this site's devices, scans and events (an inventory that holds several sites: the
    /// fleet's hub); `serve` records its scans at it [default: every site; serve's scans: the
    /// host name].
    #[arg(long, value_name = "NAME", env = "CAMSCAN_SITE")]
    pub site: Option<String>,
    /// Read `db:` from this config file (--db and CAMSCAN_DB override it).
    #[arg(long, value_name = "FILE", env = "CAMSCAN_CONFIG")]
    pub config: Option<PathBuf>,
}

/// How the inventory commands that list rows print them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum RowsFormat {
    /// A table for people (device strings sanitised).
    #[default]
    Table,
    /// One JSON array.
    Json,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object per line.
    Ndjson,
    /// One YAML sequence.
    Yaml,
}

/// How `camscan show` and `camscan diff` print their one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DocFormat {
    /// Text for people (device strings sanitised).
    #[default]
    Table,
    /// One JSON object.
    Json,
    /// One YAML document.
    Yaml,
}

/// A device's state, as `camscan devices --state` filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateFilter {
    Online,
    Offline,
    Unknown,
}

#[derive(Debug, Args, Default)]
pub struct DevicesArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// Only devices in this state.
    #[arg(long, value_enum)]
    pub state: Option<StateFilter>,
    /// Only devices seen within this age (`90s`, `30m`, `12h`, `7d`, `2w`) or since this date or
    /// time (`2026-11-01`, `2026-11-01T08:00:00Z`).
    #[arg(long, value_name = "AGE|DATE")]
    pub since: Option<String>,
    /// Only devices whose vendor contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub vendor: Option<String>,
    /// Only cameras: devices camscan found to be a camera, NVR or video server, or to serve a
    /// stream (not the gateway, the printer, the STUN server).
    #[arg(long)]
    pub cameras: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: RowsFormat,
}

#[derive(Debug, Args, Default)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub store: DbArgs,
    // Help: "Sinks to check besides the config file's `watch: notify:` (as `camscan watch
    // --notify`: `stdout`, `webhook=URL`, ...). Repeatable", the forms from `notify::SINKS`.
    #[arg(
        long,
        value_name = "SINK",
        help = format!(
            "Sinks to check besides the config file's `watch: notify:` (as `camscan watch \
             --notify`: {}). Repeatable",
            crate::notify::sink_list(false)
        )
    )]
    pub notify: Vec<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: DoctorFormat,
}

/// What `camscan doctor` can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DoctorFormat {
    /// A table for people, the status coloured on a terminal.
    #[default]
    Table,
    /// `{"checks": [{"name", "status", "detail", "fix"}], "summary": {"pass", "warn", "fail", "ok"}}`.
    Json,
}

#[derive(Debug, Args, Default)]
pub struct ShowArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// The device: its id (`camscan devices`), an address it had, or its MAC.
    #[arg(value_name = "DEVICE")]
    pub device: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: DocFormat,
}

#[derive(Debug, Args, Default)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// Only this device's events (id, address or MAC).
    #[arg(value_name = "DEVICE")]
    pub device: Option<String>,
    /// Only events within this age (`12h`, `7d`) or since this date or time.
    #[arg(long, value_name = "AGE|DATE")]
    pub since: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: RowsFormat,
}

#[derive(Debug, Args, Default)]
pub struct DiffArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// The older scan's id, as `camscan scans` lists it in this inventory (at a fleet's hub, the
    /// hub's ids: `camscan scans --site NAME`) [default: the second-last complete scan].
    #[arg(value_name = "SCAN_A")]
    pub scan_a: Option<i64>,
    /// The newer scan's id [default: the last complete scan].
    #[arg(value_name = "SCAN_B")]
    pub scan_b: Option<i64>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: DocFormat,
}

#[derive(Debug, Args, Default)]
pub struct ScansArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: RowsFormat,
}

#[derive(Debug, Args, Default)]
pub struct ForgetArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// The device: id, address or MAC.
    #[arg(value_name = "DEVICE")]
    pub device: String,
}

#[derive(Debug, Args, Default)]
pub struct WatchArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Run a complete scan this often (`15m`, `1h`, `1d`) [default: 15m].
    #[arg(
        long,
        value_name = "AGE",
        env = "CAMSCAN_EVERY",
        conflicts_with = "cron"
    )]
    pub every: Option<String>,
    /// Run scans on a cron schedule instead (`*/15 * * * *`; 5 fields, or 6 with seconds first;
    /// local time).
    #[arg(long, value_name = "EXPR", env = "CAMSCAN_CRON")]
    pub cron: Option<String>,
    /// Check every known stream this often between scans (`30s`); off when not given.
    #[arg(long, value_name = "AGE", env = "CAMSCAN_CHECK_STREAMS")]
    pub check_streams: Option<String>,
    /// Failed checks in a row before a stream is down (a success brings it up) [default: 3].
    #[arg(long, value_name = "N")]
    pub down_after: Option<u32>,
    // Help: "Where events go: `stdout` (NDJSON, the default), `webhook=URL` (...), ...
    // Repeatable", each sink's form and help line from `notify::SINKS`.
    #[arg(
        long,
        value_name = "SINK",
        help = format!("Where events go: {}. Repeatable", crate::notify::sink_list(true))
    )]
    pub notify: Vec<String>,
    /// File holding the secret that signs webhook bodies (HMAC-SHA256, header
    /// `X-Camscan-Signature: sha256=HEX`); or CAMSCAN_WEBHOOK_SECRET. Never on the command line.
    #[arg(long, value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,
    /// With an mqtt= sink: publish Home Assistant MQTT discovery configs (retained), so cameras
    /// appear in Home Assistant as connectivity sensors.
    #[arg(long)]
    pub ha_discovery: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics (`127.0.0.1:9750`; another address than
    /// loopback must be given explicitly).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,
    /// Do not listen for WS-Discovery Hello/Bye and SSDP NOTIFY announcements between scans.
    #[arg(long)]
    pub no_listen: bool,
    /// Events kept for a sink that is down; past this, its oldest are dropped (and logged)
    /// [default: 10000].
    #[arg(long, value_name = "N")]
    pub outbox_cap: Option<i64>,
    /// Stop after this many scans (one-off runs, tests); run until a signal when not given.
    #[arg(long, value_name = "N")]
    pub rounds: Option<u32>,
    /// Keep an export up to date: after each scan, render FORMAT (any -f format: go2rtc,
    /// frigate, mediamtx, json...) from the inventory and replace FILE atomically when, and only
    /// when, its content changed. Repeatable.
    #[arg(long, value_name = "FORMAT=FILE")]
    pub write: Vec<String>,
    /// Run this command after a scan that rewrote a --write file (reload Frigate, go2rtc or
    /// MediaMTX); split as a shell quotes, run without a shell, the files in CAMSCAN_WRITTEN.
    #[arg(long, value_name = "COMMAND", env = "CAMSCAN_WRITE_THEN")]
    pub write_then: Option<String>,
}

#[derive(Debug, Args, Default)]
pub struct PruneArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// Remove what is older than this age (`90d`, `12w`, `36h`).
    #[arg(long, value_name = "AGE")]
    pub older_than: String,
}

#[derive(Debug, Args, Default)]
pub struct SignaturesArgs {
    /// Knowledge files, as `camscan scan --signatures` reads them (before the built-in data).
    #[arg(
        long,
        value_name = "FILE",
        env = "CAMSCAN_SIGNATURES",
        value_delimiter = ','
    )]
    pub signatures: Vec<PathBuf>,
    /// Read the `signatures:` list of this config file (--signatures overrides it).
    #[arg(long, value_name = "FILE", env = "CAMSCAN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Only this kind of entry [default: every kind].
    #[arg(long, value_enum)]
    pub kind: Option<crate::knowledge::listing::Section>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: ListFormat,
}

/// What `camscan signatures` can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ListFormat {
    /// A summary and a table per kind, for people.
    #[default]
    Table,
    /// One JSON object: the files read, and each kind's entries with the file they came from.
    Json,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The completion script for `shell`, generated from these definitions (so it cannot drift).
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    use clap::CommandFactory;
    clap_complete::generate(shell, &mut Cli::command(), "camscan", out);
}

/// The manual page (roff): the top-level page with each subcommand's page after it, every flag
/// with its help, environment variable and default.
pub fn man_page(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use clap::CommandFactory;
    let cmd = Cli::command();
    clap_mangen::Man::new(cmd.clone()).render(out)?;
    for sub in cmd.get_subcommands() {
        let name = format!("camscan-{}", sub.get_name());
        let page = sub.clone().display_name(name.clone()).bin_name(name);
        clap_mangen::Man::new(page).render(out)?;
    }
    Ok(())
}

#[derive(Debug, Args, Default)]
pub struct InterfacesArgs {
    /// Only this interface.
    #[arg(long, value_name = "NAME", env = "CAMSCAN_INTERFACE")]
    pub interface: Option<String>,
    /// Plan subnets larger than a /22 too.
    #[arg(long, env = "CAMSCAN_ALLOW_LARGE")]
    pub allow_large: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: InterfacesFormat,
}

/// What `camscan interfaces` can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum InterfacesFormat {
    /// A table for people.
    #[default]
    Table,
    /// A JSON array, one object per interface subnet.
    Json,
}

/// `camscan scan`: what to scan and how, and how to write the report.
#[derive(Debug, Args, Default)]
pub struct ScanArgs {
    #[command(flatten)]
    pub find: FindArgs,
    #[command(flatten)]
    pub out: ScanOutputArgs,
}

/// How `camscan scan` (and `watch`'s first scan) writes its report.
#[derive(Debug, Args, Default, Clone)]
pub struct ScanOutputArgs {
    /// Output format [default: table].
    #[arg(short, long, value_enum, env = "CAMSCAN_FORMAT")]
    pub format: Option<Format>,
    #[command(flatten)]
    pub format_options: FormatOptionArgs,
    /// Write results to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE", env = "CAMSCAN_OUTPUT")]
    pub output: Option<PathBuf>,
    /// The table's width in columns; 0: as wide as its cells need [default: $COLUMNS, else the
    /// terminal's width, else 100].
    #[arg(long, value_name = "COLUMNS", env = "CAMSCAN_WIDTH")]
    pub width: Option<u16>,
}

/// `camscan convert`.
#[derive(Debug, Args, Default)]
pub struct ConvertArgs {
    /// The JSON report (`camscan scan -f json -o FILE`), or `-` for stdin.
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    #[command(flatten)]
    pub out: ScanOutputArgs,
}

/// What to scan and how: shared by every command that scans (`scan`, `watch`, `audit`, and
/// `serve`'s scans); each command adds how it writes what it found.
#[derive(Debug, Args, Default, Clone)]
pub struct FindArgs {
    /// Targets: CIDR (192.168.1.0/24), range (192.168.1.10-192.168.1.50 or 192.168.1.10-50), IP, or host name.
    #[arg(env = "CAMSCAN_TARGETS", value_delimiter = ',')]
    pub targets: Vec<String>,
    /// Read more targets from FILE, one per line; `#` starts a comment.
    #[arg(long, value_name = "FILE", env = "CAMSCAN_TARGETS_FILE")]
    pub targets_file: Option<PathBuf>,
    /// Skip these targets (same syntax as targets, comma-separated).
    #[arg(
        long,
        value_name = "TARGETS",
        value_delimiter = ',',
        env = "CAMSCAN_EXCLUDE"
    )]
    pub exclude: Vec<String>,
    /// TCP ports: list and ranges, e.g. 554,8554,8000-8010
    /// [default: 554,8554,10554,5554,80,81,88,443,8000,8080,8081,8443,1935,7447,34567,37777,2020,3478,8088,1984,8889].
    #[arg(short, long, value_name = "PORTS", env = "CAMSCAN_PORTS")]
    pub ports: Option<String>,
    /// More STUN/TURN ports (e.g. 3479,5349,19302): a STUN Binding is sent over UDP to each
    /// host with an open TCP port, and tried first over TCP (they are added to --ports). 3478 is
    /// always checked [default: none].
    #[arg(long, value_name = "PORTS", env = "CAMSCAN_STUN_PORTS")]
    pub stun_ports: Option<String>,
    /// TCP connect timeout per probe, e.g. 800ms, 1s (a bare number is seconds) [default: 1s].
    #[arg(long, value_name = "DURATION", env = "CAMSCAN_CONNECT_TIMEOUT")]
    pub connect_timeout: Option<String>,
    /// Timeout for each protocol step (one request and its reply) [default: 3s].
    #[arg(long, value_name = "DURATION", env = "CAMSCAN_TIMEOUT")]
    pub timeout: Option<String>,
    /// How long an open port has to answer protocol detection's first probe; a silent port (a
    /// tarpit) costs this. At most --timeout [default: 2s].
    #[arg(long, value_name = "DURATION", env = "CAMSCAN_DETECT_TIMEOUT")]
    pub detect_timeout: Option<String>,
    /// Probes in flight at once [default: derived from the open-file limit, at most 1024].
    #[arg(long, value_name = "N", env = "CAMSCAN_CONCURRENCY")]
    pub concurrency: Option<usize>,
    /// Probes in flight to one host at once [default: 32].
    #[arg(long, value_name = "N", env = "CAMSCAN_PER_HOST")]
    pub per_host: Option<usize>,
    /// Connects a second at most, all hosts together, so a NAT relay or a small switch sees a
    /// steady stream rather than a burst; 0: no limit [default: 10000, 500 on Docker Desktop].
    #[arg(long, value_name = "N", env = "CAMSCAN_MAX_RATE")]
    pub max_rate: Option<u32>,
    /// ARP requests a second at most, the broadcast budget of the sweep of an attached range (about
    /// 1 Mbit/s of broadcast at the default); passes over the silent addresses back off from it
    /// when requests are lost; 0: no limit [default: 1500].
    #[arg(long, value_name = "N", env = "CAMSCAN_ARP_RATE")]
    pub arp_rate: Option<u32>,
    /// RTSP sessions held on one device at a time, shared by media analysis, PLAY checks and
    /// ffprobe (cheap cameras allow 2-4 and answer 453/503 beyond) [default: 2].
    #[arg(long, value_name = "N", env = "CAMSCAN_SESSIONS_PER_DEVICE")]
    pub sessions_per_device: Option<usize>,
    /// Analysis connections (detection, HTTP, ONVIF, the RTSP path walk, RTMP) being opened or
    /// waiting for an answer from one device at a time; 0: no limit [default: 4].
    #[arg(long, value_name = "N", env = "CAMSCAN_HOST_CONNECTIONS")]
    pub host_connections: Option<usize>,
    /// Analysis requests a second to one device (a fifth of a second's go at once, the rest
    /// evenly spaced); 0: no limit [default: 250].
    #[arg(long, value_name = "N", env = "CAMSCAN_HOST_RATE")]
    pub host_rate: Option<u32>,
    /// Retries of a connect that failed for a transient local reason (no buffers, no ports, too many
    /// open files), with exponential backoff; a connect still failing is counted lost, never
    /// closed [default: 4].
    #[arg(long, value_name = "N", env = "CAMSCAN_RETRIES")]
    pub retries: Option<u32>,
    /// Read settings from a YAML file (see config.example.yaml); flags and env override it.
    #[arg(long, value_name = "FILE", env = "CAMSCAN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Credentials to try on devices that ask: a file of `user:password` lines, or
    /// `SCOPE user:password` to limit a line to an address, CIDR or range; `#` comments.
    #[arg(long, value_name = "FILE", env = "CAMSCAN_CREDENTIALS")]
    pub credentials: Option<PathBuf>,
    /// A user name to try; the password comes from CAMSCAN_PASSWORD, or a prompt on the terminal.
    #[arg(long, value_name = "NAME", env = "CAMSCAN_USERNAME")]
    pub username: Option<String>,
    /// Failed logins allowed per host, shared by every protocol [default: 3, below Hikvision's lock].
    #[arg(long, value_name = "N", env = "CAMSCAN_AUTH_BUDGET")]
    pub auth_budget: Option<u32>,
    /// Never send credentials (non-intrusive mode).
    #[arg(long, env = "CAMSCAN_NO_AUTH")]
    pub no_auth: bool,
    /// Put working credentials into stream URLs in the output (percent-encoded).
    #[arg(long, env = "CAMSCAN_SHOW_CREDENTIALS")]
    pub show_credentials: bool,
    /// Ignore what earlier scans learnt (the inventory's known paths and credentials): analyse every
    /// device from scratch, with the full dictionaries and channel walks.
    #[arg(long, env = "CAMSCAN_FRESH")]
    pub fresh: bool,
    /// Skip the PLAY check that proves each stream delivers media and measures its fps and bitrate.
    #[arg(long, env = "CAMSCAN_NO_VERIFY")]
    pub no_verify: bool,
    /// Never ask DNS for device names (no reverse lookups; as nmap's -n).
    #[arg(short = 'n', long, env = "CAMSCAN_NO_DNS")]
    pub no_dns: bool,
    /// Only find open ports: no protocol detection or analysis (a plain connect scan; discovery
    /// still runs).
    #[arg(long, env = "CAMSCAN_NO_DETECT")]
    pub no_detect: bool,
    /// How long the PLAY check listens to each stream at most [default: 2s].
    #[arg(long, value_name = "DURATION", env = "CAMSCAN_VERIFY_WINDOW")]
    pub verify_window: Option<String>,
    /// Also ask ffprobe (from PATH, or the given path) about each verified stream, to fill facts our
    /// own analysis left empty. Off by default.
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "ffprobe", env = "CAMSCAN_FFPROBE")]
    pub ffprobe: Option<PathBuf>,
    /// Knowledge files (YAML: signatures, RTSP/HTTP paths, RTMP names, OUIs, vendors) read before
    /// the built-in data, after which every *.yaml in ~/.config/camscan/knowledge.d/ is read too.
    /// Repeatable, or comma-separated.
    #[arg(
        long,
        value_name = "FILE",
        env = "CAMSCAN_SIGNATURES",
        value_delimiter = ','
    )]
    pub signatures: Vec<PathBuf>,
    /// Stream-name hints tried first on every protocol, one per line (`#` comments): `/path` (RTSP
    /// and HTTP), `app/stream` (RTMP application and stream, and where servers publish it over
    /// HTTP), or a bare stream name (key).
    #[arg(long, value_name = "FILE", env = "CAMSCAN_PATHS")]
    pub paths: Option<PathBuf>,
    /// With no targets, scan only this interface's subnets.
    #[arg(long, value_name = "NAME", env = "CAMSCAN_INTERFACE")]
    pub interface: Option<String>,
    /// How long WS-Discovery, SSDP, mDNS and the vendor protocols listen for answers (side by
    /// side), counted from the scan's start. Their answer times are 0.5-1.2 s (SSDP's MX of 1 s,
    /// WS-Discovery's 0.5 s hold-back after its rounds): shorter misses slow devices
    /// [default: 1500ms].
    #[arg(long, value_name = "DURATION", env = "CAMSCAN_DISCOVERY_WAIT")]
    pub discovery_wait: Option<String>,
    /// Discovery methods, comma-separated [default: all of them].
    #[arg(long, value_enum, value_delimiter = ',', env = "CAMSCAN_DISCOVERY")]
    pub discovery: Vec<DiscoveryMethod>,
    /// Allow scanning more than 65 536 addresses (a /16), or an attached subnet larger than a /22.
    #[arg(long, env = "CAMSCAN_ALLOW_LARGE")]
    pub allow_large: bool,
    /// Allow scanning publicly routable addresses.
    #[arg(long, env = "CAMSCAN_ALLOW_PUBLIC")]
    pub allow_public: bool,
    /// Probe every address of a routed range on every port, without asking a few likely ports
    /// first (host discovery misses a host that drops all of 554, 80, 443, 8000 and 8080).
    #[arg(long, env = "CAMSCAN_PROBE_ALL")]
    pub probe_all: bool,
    /// Give this host a temporary address in each misaddressed camera's subnet (a camera heard on
    /// the wire from another subnet) and scan it fully; the address is removed when the scan ends,
    /// however it ends. Needs root or CAP_NET_ADMIN; the camera's settings are never changed.
    #[arg(long, env = "CAMSCAN_REACH_MISADDRESSED")]
    pub reach_misaddressed: bool,
    /// Record the scan in this inventory: an SQLite file, or a PostgreSQL database as a
    /// postgres:// URL [default: $XDG_STATE_HOME/camscan/inventory.db, else
    /// ~/.local/state/camscan/inventory.db].
    #[arg(long, value_name = "PATH|URL", env = "CAMSCAN_DB")]
    pub db: Option<PathBuf>,
    /// The PostgreSQL password, from the first line of this file (else PGPASSWORD, else
    /// ~/.pgpass or the URL's passfile=, as libpq reads them).
    #[arg(long, value_name = "FILE", env = "CAMSCAN_DB_PASSWORD_FILE")]
    pub db_password_file: Option<PathBuf>,
    /// The key of the credential hashes the inventory keeps (which credential opened a stream),
    /// in this file, mode 0600, made on first use [default: beside an SQLite inventory, its name
    /// with .key added; for PostgreSQL $XDG_CONFIG_HOME/camscan/credential.key, else
    /// ~/.config/camscan/credential.key; or the config file's `credential_key:`]. Never in the
    /// inventory itself.
    #[arg(long, value_name = "FILE", env = "CAMSCAN_CREDENTIAL_KEY")]
    pub credential_key: Option<PathBuf>,
    /// The site this scan is recorded at: devices are told apart per site (192.168.1.10 at one
    /// site is never the one at another) [default: the config file's `site:`, else this
    /// machine's host name].
    #[arg(long, value_name = "NAME", env = "CAMSCAN_SITE")]
    pub site: Option<String>,
    /// The fleet's hub: after each scan (and with watch, as events come), send this site's
    /// scans, devices and events to this PostgreSQL inventory (postgres:// URL), which holds every
    /// site's. This site's own inventory stays its truth: nothing waits on the hub, and what it
    /// missed while away is sent when it is back.
    #[arg(long, value_name = "URL", env = "CAMSCAN_HUB")]
    pub hub: Option<PathBuf>,
    /// The hub's password, from the first line of this file (else PGPASSWORD, else ~/.pgpass).
    #[arg(long, value_name = "FILE", env = "CAMSCAN_HUB_PASSWORD_FILE")]
    pub hub_password_file: Option<PathBuf>,
    /// Record nothing: a scan that leaves no trace (no inventory file is opened or created).
    /// Wins over --db, CAMSCAN_DB and the config file's `db:`.
    #[arg(long, env = "CAMSCAN_NO_DB")]
    pub no_db: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_choices() {
        assert!(ColorChoice::Always.enabled(false));
        assert!(!ColorChoice::Never.enabled(true));
        assert!(!ColorChoice::Auto.enabled(false));
    }
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_parse() {
        let cli = Cli::try_parse_from([
            "camscan",
            "-vv",
            "scan",
            "10.0.0.0/24",
            "10.0.1.5",
            "-p",
            "554,8000-8002",
            "--format",
            "json",
            "-o",
            "out.json",
            "--exclude",
            "10.0.0.1,10.0.0.2",
        ])
        .unwrap();
        assert_eq!(cli.verbose, 2);
        let Command::Scan(a) = cli.command else {
            panic!("scan")
        };
        assert_eq!(a.find.targets, ["10.0.0.0/24", "10.0.1.5"]);
        assert_eq!(a.find.exclude, ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(a.find.ports.as_deref(), Some("554,8000-8002"));
        assert_eq!(a.out.format, Some(Format::Json));
        for (flag, want) in [
            ("go2rtc", Format::Go2rtc),
            ("frigate", Format::Frigate),
            ("mediamtx", Format::Mediamtx),
            ("ha-sheet", Format::HaSheet),
        ] {
            let cli =
                Cli::try_parse_from(["camscan", "scan", "-f", flag, "--frigate-restream"]).unwrap();
            let Command::Scan(a) = cli.command else {
                panic!("scan")
            };
            let restream = crate::export::options::option_keyed("frigate_restream").unwrap();
            assert_eq!(
                (a.out.format, a.out.format_options.0.on(restream)),
                (Some(want), true),
                "{flag}"
            );
        }
    }
}
