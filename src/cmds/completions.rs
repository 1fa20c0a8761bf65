//! `camscan completions SHELL`: the shell completion script, on stdout.

use crate::cli::CompletionsArgs;
use crate::record::CommandError;

pub(super) fn run(args: &CompletionsArgs) -> Result<u8, CommandError> {
    crate::cli::completions(args.shell, &mut std::io::stdout().lock());
    Ok(crate::error::exit::FOUND)
}
