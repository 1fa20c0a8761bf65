//! A push's settings, declared once ([`input::setting::Setting`]) in three lists the
//! entrance makes flags from (`cli::setting_args`): [`OPTIONS`], how any push reaches and writes
//! into a tool (`push`, `scan --push`, `watch --push`, `serve --push`); [`SETTINGS`], the `push`
//! command's own; [`AFTER_SCAN`], `--push` of the commands that scan. None is a config-file key.
//! What they set is [`super::Settings`] (resolved by `cmds::push::push`).

use std::path::PathBuf;
use std::time::Duration;

use input::setting::{Declared, Repeat, SWITCH, Setting, list, path, switch};

/// How a push reaches and writes into a tool, in `--help`'s order.
pub static OPTIONS: &[&dyn Declared] = &[
    &LOGIN_FILE,
    &CA_FILE,
    &INSECURE,
    &PASSWORD_REFS,
    &PRUNE,
    &UNVERIFIED,
    &TIMEOUT,
];

/// `camscan push`'s own settings (beside [`OPTIONS`] and the inventory's), in `--help`'s order.
/// `--credentials` is the scan's declaration (the camera logins file), with push's help line
/// ([`CREDENTIALS_HELP`]).
pub static SETTINGS: &[&dyn Declared] = &[
    &credentials::CREDENTIALS_FILE,
    &DEVICE,
    &DRY_RUN,
    &HAND_BACK,
    &super::render::FORMAT,
];

/// The formats' options a push reads: the push tools', [`super::tools::FORMAT_OPTIONS`].
pub use super::tools::{FORMAT_OPTION_HELP, FORMAT_OPTIONS};

/// Push's `--help` line for `--credentials` (`credentials_file`, the scan's declaration).
pub const CREDENTIALS_HELP: &str = "The camera logins the scan used (its --credentials file): each \
     camera's password is the entry whose keyed hash the inventory kept [default: the config \
     file's credentials_file; CAMSCAN_<NAME>_PASSWORD variables too]";

/// `--push` of the commands that scan (`scan`, `watch`), before [`OPTIONS`].
pub static AFTER_SCAN: &[&dyn Declared] = &[&SCAN_PUSH];

/// `--push-login-file`: the tool's own login ([`super::Login`]), read from a file, never argv.
pub static LOGIN_FILE: Setting<Option<PathBuf>> = Setting {
    key: "push_login_file",
    flag: "--push-login-file",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_PUSH_LOGIN_FILE",
    value_name: "FILE",
    help: "The tool's own login, from the first line of this file: `user:password` for Frigate's \
           login (port 8971) and go2rtc's or MediaMTX's Basic auth; Home Assistant's long-lived \
           access token [default: CAMSCAN_PUSH_USER and CAMSCAN_PUSH_PASSWORD, Home Assistant's \
           CAMSCAN_PUSH_TOKEN, else none]. Never on the command line",
    default: None,
    choices: None,
    parse: path,
};

/// `--push-ca-file`: the certificates an https:// tool is trusted by ([`super::Tls`]).
pub static CA_FILE: Setting<Option<PathBuf>> = Setting {
    key: "push_ca_file",
    flag: "--push-ca-file",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_PUSH_CA_FILE",
    value_name: "FILE",
    help: "Trust the certificates in this PEM file for an https:// tool (Frigate's own CA)",
    default: None,
    choices: None,
    parse: path,
};

/// `--push-insecure`: any certificate accepted ([`super::Tls`]).
pub static INSECURE: Setting<bool> = Setting {
    key: "push_insecure",
    flag: "--push-insecure",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_PUSH_INSECURE",
    value_name: SWITCH,
    help: "Accept any certificate of an https:// tool (Frigate's self-signed default on 8971)",
    default: false,
    choices: None,
    parse: switch,
};

/// `--password-refs`: the tool's reference to a variable instead of each password
/// ([`super::entries`]).
pub static PASSWORD_REFS: Setting<bool> = Setting {
    key: "password_refs",
    flag: "--password-refs",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_PASSWORD_REFS",
    value_name: SWITCH,
    help: "Write each camera's password as the tool's reference to its environment \
           ({FRIGATE_<NAME>_PASSWORD}, go2rtc's ${CAMSCAN_<NAME>_PASSWORD}) instead of the \
           password; the plan names the variables to set. Not for MediaMTX, which expands none",
    default: false,
    choices: None,
    parse: switch,
};

/// `--prune`: camscan's own entries of cameras gone are removed ([`super::plan::Leaving`]). No
/// variable.
pub static PRUNE: Setting<bool> = Setting {
    key: "prune",
    flag: "--prune",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: SWITCH,
    help: "Also remove the entries camscan wrote for cameras no longer in the inventory (only \
           those nobody has changed since). Without it nothing is ever deleted",
    default: false,
    choices: None,
    parse: switch,
};

/// `--push-unverified`: cameras that never played are pushed too ([`super::plan`]).
pub static UNVERIFIED: Setting<bool> = Setting {
    key: "push_unverified",
    flag: "--push-unverified",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_PUSH_UNVERIFIED",
    value_name: SWITCH,
    help: "Also push cameras whose main stream answered but never played (status `unverified`). \
           Without it a camera goes into a tool only once camscan received its media: a tool \
           given a stream that does not play probes it again and again (Frigate: 30 s on every \
           change of its configuration), and the plan says why each such camera is left out",
    default: false,
    choices: None,
    parse: switch,
};

/// `--push-timeout`: each request's deadline ([`super::TIMEOUT`] by default).
pub static TIMEOUT: Setting<Duration> = Setting {
    key: "push_timeout",
    flag: "--push-timeout",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_PUSH_TIMEOUT",
    value_name: "SECONDS",
    help: "Seconds each request to the tool may take [default: 10]",
    default: super::TIMEOUT,
    choices: None,
    parse: seconds,
};

/// A number of seconds, more than 0 and at most 600 (`2.5`).
fn seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 600.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err("give seconds, more than 0 and at most 600".into()),
    }
}

/// `push --device`: only these devices ([`super::Settings::only`]). No variable.
pub static DEVICE: Setting<Vec<String>> = Setting {
    key: "device",
    flag: "--device",
    short: None,
    repeat: Repeat::Commas,
    env: "",
    value_name: "DEVICE",
    help: "Push only this device (an id from `camscan devices`, an address it had, or its MAC); \
           repeat for more [default: every camera of the inventory]",
    default: Vec::new(),
    choices: None,
    parse: list,
};

/// `push --dry-run`: the plan only ([`super::Settings::dry_run`]). No variable.
pub static DRY_RUN: Setting<bool> = Setting {
    key: "dry_run",
    flag: "--dry-run",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: SWITCH,
    help: "Print the plan and change nothing",
    default: false,
    choices: None,
    parse: switch,
};

/// `push --hand-back`: entries camscan wrote and a person edited since, camscan's again
/// ([`super::Settings::hand_back`]). No variable.
pub static HAND_BACK: Setting<Vec<String>> = Setting {
    key: "hand_back",
    flag: "--hand-back",
    short: None,
    repeat: Repeat::Commas,
    env: "",
    value_name: "NAME",
    help: "Hand the entry NAME (one camscan wrote, a person edited since: the plan says \"now a \
           person's\") back to camscan: its fields are set to camscan's again and it follows its \
           camera from then on; repeat for more",
    default: Vec::new(),
    choices: None,
    parse: list,
};

/// `scan --push`, `watch --push`: a push after each recorded scan.
pub static SCAN_PUSH: Setting<Vec<String>> = Setting {
    key: "push",
    flag: "--push",
    short: None,
    repeat: Repeat::Commas,
    env: "CAMSCAN_PUSH",
    value_name: "TOOL=URL",
    // The tools are written out from the push tool registry (`tools::expand_help`).
    help: "After the scan is recorded, push the inventory's cameras into a running tool: \
           {push tools as TOOL=URL} (as `camscan push` does; passwords from --credentials). \
           Repeatable",
    default: Vec::new(),
    choices: None,
    parse: list,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_timeout_is_seconds_up_to_ten_minutes() {
        assert_eq!(seconds("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(seconds("600"), Ok(Duration::from_secs(600)));
        for bad in ["0", "-1", "601", "NaN", "inf", "10s"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(TIMEOUT.default, Duration::from_secs(10), "its help says 10");
    }

    #[test]
    fn every_push_setting_is_spelled_from_its_key() {
        // `--credentials` is the scan's declaration (`credentials_file`), spelled before the rule.
        let own = OPTIONS.iter().chain(SETTINGS).chain(AFTER_SCAN);
        let own = own.filter(|d| d.key() != credentials::CREDENTIALS_FILE.key);
        input::setting::assert_spelled_from_keys(own, &[""]);
    }
}
