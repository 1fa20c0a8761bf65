//! camscan's entry point: parse the command line, set up logging, run the command, exit. The
//! only `process::exit` in the program; each command is a module of [`camscan::cmds`].

use std::process::ExitCode;

use camscan::cmds::Cli;

fn main() -> ExitCode {
    let cli = Cli::from_process();
    camscan::cmds::logging::init(&cli);
    camscan::cmds::run(&cli)
}
