//! `camscan man`: the manual (roff), rendered from the same clap definitions as `--help`: on
//! stdout whole, or (`--dir`) one file per page, as the package installs them.

use crate::error::Error;
use crate::record::CommandError;

pub(super) fn run(args: &crate::cli::ManArgs) -> Result<u8, CommandError> {
    if let Some(dir) = &args.settings.values()?.get(&crate::cli::MAN_DIR) {
        let pages = crate::cli::man_pages().map_err(|source| Error::WriteOutput {
            path: dir.clone(),
            source,
        })?;
        for (name, page) in pages {
            let path = dir.join(name);
            std::fs::write(&path, page).map_err(|source| Error::WriteOutput { path, source })?;
        }
        return Ok(crate::error::exit::FOUND);
    }
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
