//! Where the inventory is, how it is opened and which site: the settings every command that
//! reads or records an inventory takes (`scan`, `watch`, `audit`, `serve`, `push`, `doctor` and
//! the inventory commands), declared once ([`input::setting::Setting`]) and listed in
//! [`INVENTORY`], which the entrance makes their flags from (`cli::setting_args`). Each is an
//! `Option` whose `None` lets the config file's key (`db:`, `credential_key:`, `site:`) speak,
//! then the default its help names (`cmds::inventory` resolves them).

use std::path::PathBuf;

use input::setting::{Declared, Repeat, Setting, path, text};

/// The inventory's settings, in `--help`'s order (`--config` follows them).
pub static INVENTORY: &[&dyn Declared] = &[&DB, &DB_PASSWORD_FILE, &CREDENTIAL_KEY, &SITE];

/// `--db`: the inventory, an SQLite file or a postgres:// URL.
pub static DB: Setting<Option<PathBuf>> = Setting {
    key: "db",
    flag: "--db",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_DB",
    value_name: "PATH|URL",
    help: "The inventory: an SQLite file, or a PostgreSQL database as a postgres:// URL (the \
           fleet's hub; no password in it: see --db-password-file) [default: the config file's \
           `db:`, else $XDG_STATE_HOME/camscan/inventory.db, else \
           ~/.local/state/camscan/inventory.db]",
    default: None,
    choices: None,
    parse: path,
};

/// `--db-password-file`: a PostgreSQL inventory's password ([`super::pgpass`]).
pub static DB_PASSWORD_FILE: Setting<Option<PathBuf>> = Setting {
    key: "db_password_file",
    flag: "--db-password-file",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_DB_PASSWORD_FILE",
    value_name: "FILE",
    help: "The PostgreSQL password, from the first line of this file (else PGPASSWORD, else \
           ~/.pgpass or the URL's passfile=, as libpq reads them)",
    default: None,
    choices: None,
    parse: path,
};

/// `--credential-key`: the key of the credential hashes ([`super::cred_key`]).
pub static CREDENTIAL_KEY: Setting<Option<PathBuf>> = Setting {
    key: "credential_key",
    flag: "--credential-key",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_CREDENTIAL_KEY",
    value_name: "FILE",
    help: "The key of the credential hashes the inventory keeps (which credential opened a \
           stream), in this file, mode 0600, made on first use [default: the config file's \
           `credential_key:`, else beside an SQLite inventory, its name with .key added; for \
           PostgreSQL $XDG_CONFIG_HOME/camscan/credential.key, else \
           ~/.config/camscan/credential.key]. Never in the inventory itself",
    default: None,
    choices: None,
    parse: path,
};

/// `--site`: the site a scan is recorded at, and the inventory commands show.
pub static SITE: Setting<Option<String>> = Setting {
    key: "site",
    flag: "--site",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_SITE",
    value_name: "NAME",
    help: "The site: a scan is recorded at it, and devices are told apart per site \
           (192.168.1.10 at one site is never the one at another); the inventory commands show \
           only its devices, scans and events [default: a scan's, the config file's `site:`, \
           else this machine's host name; the inventory commands, every site]",
    default: None,
    choices: None,
    parse: text,
};

/// `camscan devices`' filters besides `--state` (a choice), in `--help`'s order; none has a
/// variable ([`super::DeviceQuery`]).
pub static DEVICES: &[&dyn Declared] = &[&STATE, &DEVICES_SINCE, &VENDOR, &CAMERAS];

/// `devices --state`: only devices in this state.
pub static STATE: Setting<Option<super::DeviceState>> = Setting {
    key: "state",
    flag: "--state",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: "STATE",
    help: "Only devices in this state",
    default: None,
    choices: Some(input::choice::named::<super::DeviceState>),
    parse: input::choice::some::<super::DeviceState>,
};

/// `--hub` (config `hub:`): the fleet's hub this site sends its inventory to.
pub static HUB: input::setting::Setting<Option<PathBuf>> = input::setting::Setting {
    key: "hub",
    flag: "--hub",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_HUB",
    value_name: "URL",
    help: "The fleet's hub: after each scan (and with watch, as events come), send this site's scans, devices and events to this PostgreSQL inventory (postgres:// URL), which holds every site's. This site's own inventory stays its truth: nothing waits on the hub, and what it missed while away is sent when it is back",
    default: None,
    choices: None,
    parse: path,
};

/// `--hub-password-file`: the hub's password (the command line's only, `cmds::scan::FIND`;
/// `serve` says it as this too).
pub static HUB_PASSWORD_FILE: Setting<Option<PathBuf>> = Setting {
    key: "hub_password_file",
    flag: "--hub-password-file",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_HUB_PASSWORD_FILE",
    value_name: "FILE",
    help: "The hub's password, from the first line of this file (else PGPASSWORD, else \
           ~/.pgpass)",
    default: None,
    choices: None,
    parse: path,
};

/// `--no-db`: record nothing (the command line's only, `cmds::scan::FIND`).
pub static NO_DB: Setting<bool> = Setting {
    key: "no_db",
    flag: "--no-db",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_NO_DB",
    value_name: input::setting::SWITCH,
    help: "Record nothing: a scan that leaves no trace (no inventory file is opened or created). \
           Wins over --db, CAMSCAN_DB and the config file's `db:`",
    default: false,
    choices: None,
    parse: input::setting::switch,
};

/// `camscan prune`'s age.
pub static PRUNE: &[&dyn Declared] = &[&OLDER_THAN];

/// `prune --older-than`: what is older than this age goes (read where it is used); the command
/// requires it.
pub static OLDER_THAN: Setting<Option<String>> = Setting {
    key: "older_than",
    flag: "--older-than",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: "AGE",
    help: "Remove what is older than this age (`90d`, `12w`, `36h`)",
    default: None,
    choices: None,
    parse: text,
};

/// `camscan history`'s filter ([`super::EventQuery`]).
pub static HISTORY: &[&dyn Declared] = &[&HISTORY_SINCE];

/// `devices --since`: seen within an age or since a date (read where it is used).
pub static DEVICES_SINCE: Setting<Option<String>> = Setting {
    key: "since",
    flag: "--since",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: "AGE|DATE",
    help: "Only devices seen within this age (`90s`, `30m`, `12h`, `7d`, `2w`) or since this \
           date or time (`2026-11-01`, `2026-11-01T08:00:00Z`)",
    default: None,
    choices: None,
    parse: text,
};

/// `devices --vendor`: a vendor's text.
pub static VENDOR: Setting<Option<String>> = Setting {
    key: "vendor",
    flag: "--vendor",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: "TEXT",
    help: "Only devices whose vendor contains this text (case-insensitive)",
    default: None,
    choices: None,
    parse: text,
};

/// `devices --cameras`: cameras only.
pub static CAMERAS: Setting<bool> = Setting {
    key: "cameras",
    flag: "--cameras",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: input::setting::SWITCH,
    help: "Only cameras: devices camscan found to be a camera, NVR or video server, or to serve \
           a stream (not the gateway, the printer, the STUN server)",
    default: false,
    choices: None,
    parse: input::setting::switch,
};

/// `history --since`: events within an age or since a date (read where it is used).
pub static HISTORY_SINCE: Setting<Option<String>> = Setting {
    key: "since",
    flag: "--since",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: "AGE|DATE",
    help: "Only events within this age (`12h`, `7d`) or since this date or time",
    default: None,
    choices: None,
    parse: text,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inventory_setting_is_spelled_from_its_key() {
        input::setting::assert_spelled_from_keys(
            INVENTORY.iter().chain(DEVICES).chain(HISTORY),
            &[""],
        );
    }
}
