//! `camscan man`: the man page (roff), rendered from the same clap definitions as `--help`.

use crate::error::Error;
use crate::record::CommandError;

pub(super) fn run() -> Result<u8, CommandError> {
    match crate::cli::man_page(&mut std::io::stdout().lock()) {
        Ok(()) => Ok(crate::error::exit::FOUND),
        // A closed pipe (`camscan man | head`) is no error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(crate::error::exit::FOUND),
        Err(source) => Err(Error::WriteOutput {
            path: "stdout".into(),
            source,
        }
        .into()),
    }
}
