//! `camscan completions SHELL`: the shell completion script, on stdout.

use crate::record::CommandError;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The completion script for `shell`, generated from these definitions (so it cannot drift).
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    use clap::CommandFactory;
    clap_complete::generate(shell, &mut super::Cli::command(), "camscan", out);
}

pub(super) fn run(args: &CompletionsArgs) -> Result<u8, CommandError> {
    completions(args.shell, &mut std::io::stdout().lock());
    Ok(error::exit::FOUND)
}
