//! `camscan push`'s arguments, and what `scan --push` and `watch --push` share with it: how the
//! push logs in to the tool, trusts its certificate, and writes passwords.

use std::path::PathBuf;

use clap::Args;

use super::DbArgs;
use super::format_options::PushFormatOptionArgs;
pub use crate::push::ToolKind;

/// How a push reaches and writes into a tool (shared by `push`, `scan --push`, `watch --push`).
#[derive(Debug, Args, Default, Clone)]
pub struct PushOptionArgs {
    /// The tool's own login, from the first line of this file: `user:password` for Frigate's
    /// login (port 8971) and go2rtc's or MediaMTX's Basic auth; Home Assistant's long-lived
    /// access token [default: CAMSCAN_PUSH_USER and CAMSCAN_PUSH_PASSWORD, Home Assistant's
    /// CAMSCAN_PUSH_TOKEN, else none]. Never on the command line.
    #[arg(long, value_name = "FILE", env = "CAMSCAN_PUSH_LOGIN_FILE")]
    pub push_login_file: Option<PathBuf>,
    /// Trust the certificates in this PEM file for an https:// tool (Frigate's own CA).
    #[arg(long, value_name = "FILE", env = "CAMSCAN_PUSH_CA_FILE")]
    pub push_ca_file: Option<PathBuf>,
    /// Accept any certificate of an https:// tool (Frigate's self-signed default on 8971).
    #[arg(long, env = "CAMSCAN_PUSH_INSECURE")]
    pub push_insecure: bool,
    /// Write each camera's password as the tool's reference to its environment
    /// ({FRIGATE_<NAME>_PASSWORD}, go2rtc's ${CAMSCAN_<NAME>_PASSWORD}) instead of the password;
    /// the plan names the variables to set. Not for MediaMTX, which expands none.
    #[arg(long, env = "CAMSCAN_PASSWORD_REFS")]
    pub password_refs: bool,
    /// Also remove the entries camscan wrote for cameras no longer in the inventory (only those
    /// nobody has changed since). Without it nothing is ever deleted.
    #[arg(long)]
    pub prune: bool,
    /// Also push cameras whose main stream answered but never played (status `unverified`).
    /// Without it a camera goes into a tool only once camscan received its media: a tool given a
    /// stream that does not play probes it again and again (Frigate: 30 s on every change of
    /// its configuration), and the plan says why each such camera is left out.
    #[arg(long, env = "CAMSCAN_PUSH_UNVERIFIED")]
    pub push_unverified: bool,
    /// Seconds each request to the tool may take [default: 10].
    #[arg(long, value_name = "SECONDS", env = "CAMSCAN_PUSH_TIMEOUT")]
    pub push_timeout: Option<f64>,
}

pub use crate::push::render::PushFormat;

/// `camscan push TOOL URL`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The tool.
    #[arg(value_enum)]
    pub tool: ToolKind,
    /// Its API's URL: Frigate http://HOST:5000 (or https://HOST:8971 with a login), go2rtc
    /// http://HOST:1984, MediaMTX http://HOST:9997, Home Assistant http://HOST:8123.
    #[arg(value_name = "URL")]
    pub url: String,
    #[command(flatten)]
    pub store: DbArgs,
    #[command(flatten)]
    pub options: PushOptionArgs,
    /// The camera logins the scan used (its --credentials file): each camera's password is the
    /// entry whose keyed hash the inventory kept [default: the config file's credentials_file;
    /// CAMSCAN_<NAME>_PASSWORD variables too].
    #[arg(long, value_name = "FILE", env = "CAMSCAN_CREDENTIALS")]
    pub credentials: Option<PathBuf>,
    /// Push only this device (an id from `camscan devices`, an address it had, or its MAC);
    /// repeat for more [default: every camera of the inventory].
    #[arg(long, value_name = "DEVICE")]
    pub device: Vec<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub format: PushFormat,
    #[command(flatten)]
    pub table: crate::cli::TableWidth,
    #[command(flatten)]
    pub format_options: PushFormatOptionArgs,
}
