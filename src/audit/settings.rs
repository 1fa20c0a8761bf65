//! `camscan audit`'s own settings, declared once ([`input::setting::Setting`]) and listed
//! in [`SETTINGS`], which the entrance makes audit's flags from (`cli::setting_args`); the
//! scan's are the scan's. None is a config-file key. `-f` is declared beside the formats
//! ([`super::formats::FORMAT`]).

use std::path::PathBuf;

use input::setting::{Declared, Repeat, SWITCH, Setting, path, switch};

/// Every setting of `camscan audit` but the scan's and `--width`, in `--help`'s order.
pub static SETTINGS: &[&dyn Declared] = &[
    &FROM_DB,
    &EXPECT,
    &export::OUTPUT,
    &FFMPEG,
    &NO_THUMBNAILS,
    &CHECK_DEFAULTS,
    &super::formats::FORMAT,
    &FAIL_ON,
];

/// `--fail-on`: exit 4 when a finding this severe or more exists.
pub static FAIL_ON: Setting<Option<super::Severity>> = Setting {
    key: "fail_on",
    flag: "--fail-on",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_FAIL_ON",
    value_name: "SEVERITY",
    help: "Exit 4 when a finding at or above this severity exists (for CI)",
    default: None,
    choices: Some(input::choice::named::<super::Severity>),
    parse: input::choice::some::<super::Severity>,
};

/// `--from-db`: the inventory judged, nothing sent.
pub static FROM_DB: Setting<bool> = Setting {
    key: "from_db",
    flag: "--from-db",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_FROM_DB",
    value_name: SWITCH,
    help: "Judge the inventory's newest description of each device at the site (--site, else \
           this machine's) instead of scanning: nothing is sent",
    default: false,
    choices: None,
    parse: switch,
};

/// `--expect`: the plan compared with ([`super::plan`]).
pub static EXPECT: Setting<Option<PathBuf>> = Setting {
    key: "expect",
    flag: "--expect",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_EXPECT",
    value_name: "FILE",
    help: "Compare with a plan: a CSV whose header names some of \
           name,address,mac,resolution,fps,codec (address or mac on every row), as a \
           spreadsheet exports it",
    default: None,
    choices: None,
    parse: path,
};

/// `--ffmpeg`: the handover report's decoder ([`super::thumbnail`]).
pub static FFMPEG: Setting<Option<PathBuf>> = Setting {
    key: "ffmpeg",
    flag: "--ffmpeg",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_FFMPEG",
    value_name: "PATH",
    help: "The handover report's video decoder: ffmpeg at this path (or name in PATH) [default: \
           ffmpeg from PATH when installed; without it, cameras with no snapshot or MJPEG stream \
           have no picture]",
    default: None,
    choices: None,
    parse: path,
};

/// `--no-thumbnails`: the handover report without pictures ([`super::thumbnail`]).
pub static NO_THUMBNAILS: Setting<bool> = Setting {
    key: "no_thumbnails",
    flag: "--no-thumbnails",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_NO_THUMBNAILS",
    value_name: SWITCH,
    help: "The handover report without pictures (no snapshot, frame or keyframe is fetched)",
    default: false,
    choices: None,
    parse: switch,
};

/// `--check-defaults`: the makers' factory credentials tried ([`super::probe`]).
pub static CHECK_DEFAULTS: Setting<bool> = Setting {
    key: "check_defaults",
    flag: "--check-defaults",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_CHECK_DEFAULTS",
    value_name: SWITCH,
    help: "Try the makers' documented factory credentials (data/default_credentials.yaml) on \
           each stream that asks for a login: the device's maker's first, then every other \
           maker's; at most one try per credential per device, inside the failed-login budget \
           (--auth-budget), never once it is spent, never with --no-auth [default: off: none is \
           ever sent]",
    default: false,
    choices: None,
    parse: switch,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_audit_setting_is_spelled_from_its_key() {
        // `-f`'s variable is audit's own (`CAMSCAN_FORMAT` is the scan report's).
        input::setting::assert_spelled_from_keys(SETTINGS, &["CAMSCAN_AUDIT_FORMAT"]);
    }
}
