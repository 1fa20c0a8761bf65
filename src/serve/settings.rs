//! `camscan serve`'s own settings, declared once ([`input::setting::Setting`]) and listed
//! in [`SETTINGS`], which the entrance makes serve's flags from (`cli::setting_args`). None is a
//! config-file key: the file's keys serve reads are the scan's, the inventory's and `watch:`.
//! What they set is [`super::Settings`] (resolved by `cmds::serve::serve`).

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;

use input::setting::{Declared, Repeat, SWITCH, Setting, list, pairs, path, switch};

/// Every setting of `camscan serve` but the inventory's, the formats' and the push's, in
/// `--help`'s order.
pub static SETTINGS: &[&dyn Declared] = &[
    &LISTEN,
    &AUTH,
    &PRINT_TOKEN,
    &TLS_CERT,
    &TLS_KEY,
    &ALLOW_TARGETS,
    &SCAN_CREDENTIALS,
    &credentials::CREDENTIALS_FILE,
    &NO_PREVIEW,
    &store::settings::HUB,
    &HUB_PASSWORD_FILE,
];

/// Where the server listens when `--listen` is not given.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 1), 8750));

/// `--listen`: the server's address ([`super::auth`] asks for the token beyond loopback).
pub static LISTEN: Setting<SocketAddr> = Setting {
    key: "listen",
    flag: "--listen",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_LISTEN",
    value_name: "ADDR",
    help: "Address and port to listen on. On loopback (127.0.0.0/8, ::1) no token is asked for \
           unless --auth is given; any other address always asks for it, and needs the token \
           file to exist already (--print-token makes it) [default: 127.0.0.1:8750]",
    default: DEFAULT_LISTEN,
    choices: None,
    parse: |t| {
        t.parse()
            .map_err(|e| format!("{e}: give an address and port such as 127.0.0.1:8750"))
    },
};

/// `--auth`: the token asked for on loopback too ([`super::auth`]).
pub static AUTH: Setting<bool> = Setting {
    key: "auth",
    flag: "--auth",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_SERVE_AUTH",
    value_name: SWITCH,
    help: "Ask for the token on a loopback address too (`Authorization: Bearer TOKEN`, or the \
           login form at /login)",
    default: false,
    choices: None,
    parse: switch,
};

/// `--print-token`: print the token and exit ([`super::print_token`]). No variable.
pub static PRINT_TOKEN: Setting<bool> = Setting {
    key: "print_token",
    flag: "--print-token",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: SWITCH,
    help: "Print the server's token on stdout and exit (it is made, mode 0600, in serve.token \
           next to the inventory file if there is none yet)",
    default: false,
    choices: None,
    parse: switch,
};

/// `--tls-cert`: HTTPS ([`super::tls`]); needs [`TLS_KEY`] (`cmds::serve::serve` checks).
pub static TLS_CERT: Setting<Option<PathBuf>> = Setting {
    key: "tls_cert",
    flag: "--tls-cert",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_TLS_CERT",
    value_name: "FILE",
    help: "Serve HTTPS with this certificate chain (PEM); needs --tls-key",
    default: None,
    choices: None,
    parse: path,
};

/// `--tls-key`: the key of [`TLS_CERT`], which it needs.
pub static TLS_KEY: Setting<Option<PathBuf>> = Setting {
    key: "tls_key",
    flag: "--tls-key",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_TLS_KEY",
    value_name: "FILE",
    help: "The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1)",
    default: None,
    choices: None,
    parse: path,
};

/// `--allow-targets`: what API scans may scan ([`super::scans`]); empty: the attached subnets.
pub static ALLOW_TARGETS: Setting<Vec<String>> = Setting {
    key: "allow_targets",
    flag: "--allow-targets",
    short: None,
    repeat: Repeat::Commas,
    env: "CAMSCAN_ALLOW_TARGETS",
    value_name: "TARGETS",
    help: "What `POST /api/v1/scans` may scan (addresses, CIDRs, ranges; comma-separated); \
           anything else is refused (403) [default: the attached private subnets a scan without \
           targets covers]. A scan's other settings (ports, timeouts, credentials) come from \
           --config",
    default: Vec::new(),
    choices: None,
    parse: list,
};

/// `--scan-credentials NAME=FILE`: the credential sets an API scan may choose
/// ([`super::scans`] reads each). No variable.
pub static SCAN_CREDENTIALS: Setting<Vec<String>> = Setting {
    key: "scan_credentials",
    flag: "--scan-credentials",
    short: None,
    repeat: Repeat::Commas,
    env: "",
    value_name: "NAME=FILE",
    help: "A credentials file an API scan may choose by NAME (`site=/etc/camscan/site.creds`); \
           repeatable. The config's own credentials are `default`; `none` sends none",
    default: Vec::new(),
    choices: None,
    parse: pairs,
};

/// `--credentials` ([`credentials::CREDENTIALS_FILE`], the scan's setting, by its key
/// `credentials_file`) in serve's `--help`: the logins the server opens cameras with (the
/// preview, snapshots, API scans' `default` set), over the config file's.
pub const CREDENTIALS_HELP: &str = "The credentials file (`user:password` lines) the server opens \
    cameras with: the live preview, snapshots and API scans' `default` set (instead of the \
    config's credentials)";

/// `--no-preview`: no live preview ([`super::live`]). No variable.
pub static NO_PREVIEW: Setting<bool> = Setting {
    key: "no_preview",
    flag: "--no-preview",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: SWITCH,
    help: "No live preview: the page shows no Live buttons and the preview, live and WHEP routes \
           answer 422",
    default: false,
    choices: None,
    parse: switch,
};

/// `--hub` ([`store::settings::HUB`], the scan's setting) in serve's `--help`: the fleet's
/// hub this server's agent sends to and takes queued scans from.
pub const HUB_HELP: &str = "The fleet's hub: send this site's scans, devices and events to this \
    PostgreSQL inventory (postgres:// URL) as they are recorded, and run the scans the hub queues \
    for this site (held to --allow-targets and the credential sets)";

/// `--hub-password-file`: the scan's ([`store::settings::HUB_PASSWORD_FILE`]).
pub use store::settings::HUB_PASSWORD_FILE;

/// `serve --every`'s help line: watch's setting (`watch::settings::EVERY`, read as `watch
/// --every` reads it, without its variable), the watcher in this process; not with `--cron`
/// (`cmds::serve::serve` checks).
pub const EVERY_HELP: &str = "Also run the watcher in this process: a complete scan of the \
    config's `targets:` (else the attached subnets) this often (`15m`); the rest of `camscan \
    watch`'s settings come from the config's `watch:` section, which alone also starts it when \
    it sets `every`, `cron` or `check_streams`";

/// `serve --cron`'s help line: watch's setting, the watcher's schedule as a cron expression.
pub const CRON_HELP: &str =
    "The watcher's scans on a cron schedule instead (as `camscan watch --cron`)";

/// `serve --check-streams`'s help line: watch's setting, the watcher's stream checks.
pub const CHECK_STREAMS_HELP: &str =
    "The watcher checks every known stream this often between scans (`30s`)";

/// `serve --push TOOL=URL`'s help line: the push's setting (`push::settings::SCAN_PUSH`), the
/// tools the page's "Add to" buttons push into ([`super::push`]). The tools are written out
/// from the push tool registry (`push::tools::expand_help`).
pub const PUSH_HELP: &str = "Offer the page's \"Add to\" buttons for a running tool: {push \
    tools as TOOL=URL} (`camscan push`'s plan, apply and verify, for one camera or a selection; \
    passwords from --credentials). Repeatable";

#[cfg(test)]
mod tests {
    use super::*;

    /// Every serve setting is spelled from its key (`auth`'s variable is `CAMSCAN_SERVE_AUTH`:
    /// `CAMSCAN_AUTH` would not say whose) and its default's value is the one its help names.
    #[test]
    fn every_serve_setting_is_spelled_from_its_key() {
        // `--credentials` is the scan's setting, spelled as the scan spells it.
        let own = SETTINGS.iter().filter(|d| d.key() != "credentials_file");
        input::setting::assert_spelled_from_keys(own, &["", "CAMSCAN_SERVE_AUTH"]);
        assert_eq!((LISTEN.parse)("127.0.0.1:8750"), Ok(LISTEN.default));
        assert!((LISTEN.parse)("localhost").is_err());
    }
}
