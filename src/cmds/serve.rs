//! `camscan serve`: the inventory over HTTP until SIGINT/SIGTERM; `--print-token` prints the
//! server's token and exits.

use std::io::Write as _;

use crate::cli::{ServeArgs, settings};
use crate::error::exit;
use crate::record::CommandError;

pub(super) fn run(args: &ServeArgs) -> Result<u8, CommandError> {
    if args.print_token {
        let token = crate::serve::print_token(&settings::serve_inventory(args)?)?;
        // A closed stdout is not an error worth more than the exit code.
        let ok = writeln!(std::io::stdout().lock(), "{token}").is_ok();
        return Ok(if ok { exit::FOUND } else { exit::ERROR });
    }
    let settings = settings::serve(args)?;
    super::block_on(super::runtime()?, crate::serve::run(&settings))
}
