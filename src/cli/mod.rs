//! The door: the adapter that makes clap's arguments from declared settings ([`SettingArgs`]),
//! the config file (its shape, its sieve and its one reading, [`mod@file`]), the global flags
//! ([`GLOBAL`]) and the process's argv and environment, read once ([`Cli::from_process`]). The
//! commands are not named here: each lives in its room of [`crate::cmds`], which registers it in
//! its `Command` list and hands this door that list ([`Cli`] is generic over it). Flags are as
//! the user types them; every one also reads a `CAMSCAN_*` environment variable. Values left
//! unset fall back to the YAML config file and then to the declared defaults.

use clap::{Parser, Subcommand};

pub use input::environment::ColorChoice;

use input::setting::Repeat;

mod choices;
pub mod file;
mod process;
mod setting_args;

pub use file::{CONFIG, ConfigFile, read_config_file};
pub use process::{Process, invalid};
pub use setting_args::{SettingArgs, SettingList, expand_help};

#[derive(Debug, Parser)]
#[command(
    name = "camscan",
    version,
    about = "Find every network camera and video stream on a LAN and say how to open each one",
    long_about = None,
    propagate_version = true
)]
pub struct Cli<C: Subcommand> {
    /// `-v`, `--log`, `-q`, `--color` ([`GLOBAL`]), given before or after the command.
    #[command(flatten)]
    pub global: SettingArgs<Global>,
    /// The command and its arguments, from the commands' list (`cmds::Command`).
    #[command(subcommand)]
    pub command: C,
    /// The process environment, taken once with the arguments ([`Cli::from_process`]).
    #[arg(skip)]
    pub env: input::environment::Environment,
}

impl<C: Subcommand + std::fmt::Debug> Cli<C> {
    /// The command line and environment of this process: the one place camscan reads either
    /// (clap reads the `CAMSCAN_*` variables of the flags here too). Usage errors: clap prints
    /// them and exits 2.
    pub fn from_process() -> Cli<C> {
        let mut cli = <Cli<C> as Parser>::parse();
        cli.env = input::environment::Environment::from_vars(std::env::vars_os());
        cli
    }

    /// What every command's settings read beside its own arguments.
    pub fn process(&self) -> Process {
        Process {
            color: self.color(),
            env: self.env.clone(),
        }
    }

    /// The global options, as given (clap checked each: a value refused never gets here).
    fn globals(&self) -> input::setting::Settings {
        self.global.values().unwrap_or_default()
    }

    /// `-v`'s count.
    pub fn verbose(&self) -> u8 {
        self.globals().get(&VERBOSE)
    }

    /// `--log`.
    pub fn log(&self) -> Option<String> {
        self.globals().get(&LOG)
    }

    /// `-q`.
    pub fn quiet(&self) -> bool {
        self.globals().get(&QUIET)
    }

    /// `--color`, given.
    pub fn color(&self) -> Option<ColorChoice> {
        self.globals().get(&COLOR)
    }
}

/// The options of every command, given before or after it.
pub struct Global;

impl SettingList for Global {
    const LIST: &'static [&'static dyn input::setting::Declared] = GLOBAL;
    const GLOBAL: bool = true;
}

/// The global options, in `--help`'s order.
pub static GLOBAL: &[&dyn input::setting::Declared] = &[&VERBOSE, &LOG, &QUIET, &COLOR];

/// `-v`: more detail in what is printed, once per `v`.
pub static VERBOSE: input::setting::Setting<u8> = input::setting::Setting {
    key: "verbose",
    flag: "--verbose",
    short: Some('v'),
    repeat: Repeat::Once,
    env: "CAMSCAN_VERBOSE",
    value_name: input::setting::COUNT,
    help: "More detail in what is printed: the scan's table with one row per stream and every \
           fact (codec, server, login, what the PLAY check measured, every error). Logs are \
           --log's",
    default: 0,
    choices: None,
    parse: |t| input::setting::count(t, 0),
};

/// `--log`: what is logged on stderr (`cmds::logging`).
pub static LOG: input::setting::Setting<Option<String>> = input::setting::Setting {
    key: "log",
    flag: "--log",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_LOG",
    value_name: "LEVEL|FILTER",
    help: "Logs on stderr: a level (error, warn, info, debug, trace) or a filter \
           (`camscan=debug,retina=warn`) [default: warn; RUST_LOG is read too]",
    default: None,
    choices: None,
    parse: input::setting::text,
};

/// `-q`: only errors on stderr.
pub static QUIET: input::setting::Setting<bool> = input::setting::Setting {
    key: "quiet",
    flag: "--quiet",
    short: Some('q'),
    repeat: Repeat::Once,
    env: "CAMSCAN_QUIET",
    value_name: input::setting::SWITCH,
    help: "Only errors on stderr: no plan, progress, summary or warnings (logs only as --log \
           asks)",
    default: false,
    choices: None,
    parse: input::setting::switch,
};

/// `--color`: when to use colours (the config file's `color:` is the scan's, below the flag).
pub static COLOR: input::setting::Setting<Option<ColorChoice>> = input::setting::Setting {
    key: "color",
    flag: "--color",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_COLOR",
    value_name: "COLOR",
    help: "When to use colours in the table and logs [default: auto; NO_COLOR and TERM=dumb \
               turn auto off]",
    default: None,
    choices: Some(input::choice::named::<ColorChoice>),
    parse: input::choice::some::<ColorChoice>,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_choices() {
        assert!(ColorChoice::Always.enabled(false));
        assert!(!ColorChoice::Never.enabled(true));
        assert!(!ColorChoice::Auto.enabled(false));
    }
}
