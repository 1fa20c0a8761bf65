//! `camscan serve`'s arguments.

use clap::Args;

use super::*;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// Address and port to listen on. On loopback (127.0.0.0/8, ::1) no token is asked for
    /// unless --auth is given; any other address always asks for it, and needs the token file
    /// to exist already (--print-token makes it).
    #[arg(
        long,
        value_name = "ADDR",
        env = "CAMSCAN_LISTEN",
        default_value = "127.0.0.1:8750"
    )]
    pub listen: std::net::SocketAddr,
    /// Ask for the token on a loopback address too (`Authorization: Bearer TOKEN`, or the login
    /// form at /login).
    #[arg(long, env = "CAMSCAN_SERVE_AUTH")]
    pub auth: bool,
    /// Print the server's token on stdout and exit (it is made, mode 0600, in serve.token next to
    /// the inventory file if there is none yet).
    #[arg(long)]
    pub print_token: bool,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(
        long,
        value_name = "FILE",
        env = "CAMSCAN_TLS_CERT",
        requires = "tls_key"
    )]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(
        long,
        value_name = "FILE",
        env = "CAMSCAN_TLS_KEY",
        requires = "tls_cert"
    )]
    pub tls_key: Option<std::path::PathBuf>,
    /// What `POST /api/v1/scans` may scan (addresses, CIDRs, ranges; comma-separated); anything
    /// else is refused (403) [default: the attached private subnets a scan without targets
    /// covers]. A scan's other settings (ports, timeouts, credentials) come from --config.
    #[arg(
        long,
        value_name = "TARGETS",
        value_delimiter = ',',
        env = "CAMSCAN_ALLOW_TARGETS"
    )]
    pub allow_targets: Vec<String>,
    /// A credentials file an API scan may choose by NAME (`site=/etc/camscan/site.creds`);
    /// repeatable. The config's own credentials are `default`; `none` sends none.
    #[arg(long, value_name = "NAME=FILE")]
    pub scan_credentials: Vec<String>,
    /// The credentials file (`user:password` lines) the server opens cameras with: the live
    /// preview, snapshots and API scans' `default` set (instead of the config's credentials).
    #[arg(long, value_name = "FILE", env = "CAMSCAN_CREDENTIALS")]
    pub credentials: Option<std::path::PathBuf>,
    /// No live preview: the page shows no Live buttons and the preview, live and WHEP routes
    /// answer 422.
    #[arg(long)]
    pub no_preview: bool,
    /// The fleet's hub: send this site's scans, devices and events to this PostgreSQL inventory
    /// (postgres:// URL) as they are recorded, and run the scans the hub queues for this site
    /// (held to --allow-targets and the credential sets).
    #[arg(long, value_name = "URL", env = "CAMSCAN_HUB")]
    pub hub: Option<std::path::PathBuf>,
    /// The hub's password, from the first line of this file (else PGPASSWORD, else ~/.pgpass).
    #[arg(long, value_name = "FILE", env = "CAMSCAN_HUB_PASSWORD_FILE")]
    pub hub_password_file: Option<std::path::PathBuf>,
    /// Also run the watcher in this process: a complete scan of the config's `targets:` (else
    /// the attached subnets) this often (`15m`); the rest of `camscan watch`'s settings come from
    /// the config's `watch:` section, which alone also starts it when it sets `every`, `cron` or
    /// `check_streams`.
    #[arg(long, value_name = "AGE", conflicts_with = "cron")]
    pub every: Option<String>,
    /// The watcher's scans on a cron schedule instead (as `camscan watch --cron`).
    #[arg(long, value_name = "EXPR")]
    pub cron: Option<String>,
    /// The watcher checks every known stream this often between scans (`30s`).
    #[arg(long, value_name = "AGE")]
    pub check_streams: Option<String>,
    #[command(flatten)]
    pub format_options: FormatOptionArgs,
    /// Offer the page's "Add to" buttons for a running tool: `frigate=URL`, `go2rtc=URL` or
    /// `mediamtx=URL` (`camscan push`'s plan, apply and verify, for one camera or a selection;
    /// passwords from --credentials). Repeatable.
    #[arg(
        long = "push",
        value_name = "TOOL=URL",
        env = "CAMSCAN_PUSH",
        value_delimiter = ','
    )]
    pub push: Vec<String>,
    #[command(flatten)]
    pub push_options: super::PushOptionArgs,
}
