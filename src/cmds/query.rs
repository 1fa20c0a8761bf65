//! What the commands that read the inventory share: opening it (never creating it), their exit
//! codes (0 something listed, 1 nothing or an unknown device, 2 an error) and reading `--since`.

use std::io::{self, Write};

use super::inventory::DbArgs;
use crate::cmds::config_file;
use crate::record::CommandError;
use error::{Error, exit};
use input::environment::Environment;
use model::when::parse_since;
use store::Store;

/// The inventory of a query command: `--db`/`CAMSCAN_DB`, else the config file's `db:`, else the
/// default location. A query never creates the file.
pub(super) fn open(args: &DbArgs, env: &Environment) -> Result<Store, CommandError> {
    let file = config_file(args.config.path()?.as_deref())?;
    crate::record::open_existing_reading(&super::inventory::resolve(args, &file, env)?)
}

/// The exit code of a listing: 0 when something was listed, 1 when nothing was.
pub(super) fn some(found: bool) -> u8 {
    if found { exit::FOUND } else { exit::NOTHING }
}

/// One line on stderr for a device the inventory does not know.
pub(super) fn unknown_device(key: &str) {
    let _ = writeln!(
        io::stderr().lock(),
        "camscan: no device {:?} in the inventory (give an id from `camscan devices`, an address or a MAC)",
        sanitize::terminal(key)
    );
}

/// A command-line value that does not parse, with why.
pub(super) fn invalid(field: &'static str, value: &str, reason: &str) -> CommandError {
    Error::InvalidValue {
        field,
        value: value.to_string(),
        reason: reason.to_string(),
    }
    .into()
}

/// `--since`: an age back from now (`7d`), a date (`2026-11-01`, midnight UTC) or a time
/// (`2026-11-01T08:00:00Z`).
pub(super) fn since(field: &'static str, s: &str) -> Result<jiff::Timestamp, CommandError> {
    parse_since(s, jiff::Timestamp::now()).map_err(|reason| invalid(field, s, reason))
}
