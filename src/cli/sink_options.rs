//! The flags of the notification sinks' own options (`--webhook-secret-file`, `--ha-discovery`),
//! made from their registration ([`crate::notify::options`]) rather than written here: one
//! [`Arg`] per option, with its help, value name and variable (if it has one). Flattened into
//! `watch` ([`super::WatchArgs`]).

use std::ffi::OsString;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use crate::notify::SinkValues;
use crate::notify::options::{self, SinkOptionKind};

/// The sink options given on the command line: [`SinkOptionArgs::resolve`] puts them over the
/// config file's `watch:` keys.
#[derive(Debug, Clone, Default)]
pub struct SinkOptionArgs(pub SinkValues);

impl SinkOptionArgs {
    /// The options' values: these flags, else the config file's `watch:` keys (`file`).
    pub fn resolve(&self, file: &SinkValues) -> SinkValues {
        options::resolve(&self.0, file)
    }
}

impl Args for SinkOptionArgs {
    fn augment_args(mut cmd: Command) -> Command {
        for o in options::options() {
            let mut arg = Arg::new(o.key).long(o.long()).help(o.help);
            if let Some(env) = o.env {
                arg = arg.env(env);
            }
            cmd = cmd.arg(match o.kind {
                SinkOptionKind::Switch => arg.action(ArgAction::SetTrue),
                SinkOptionKind::Value { value_name } => arg
                    .action(ArgAction::Set)
                    .value_name(value_name)
                    .value_parser(clap::value_parser!(OsString)),
            });
        }
        cmd
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for SinkOptionArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = SinkOptionArgs::default();
        args.update_from_arg_matches(m)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        for o in options::options() {
            if o.is_switch() {
                if m.get_flag(o.key) {
                    self.0.set(o, "true");
                }
            } else if let Some(v) = m.get_one::<OsString>(o.key) {
                self.0.set(o, v.clone());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command as Sub};

    /// `watch` takes every sink option, by its registered flag.
    #[test]
    fn watch_takes_the_sink_options() {
        let argv = [
            "camscan",
            "watch",
            "--ha-discovery",
            "--webhook-secret-file",
            "hook.secret",
        ];
        let Sub::Watch(a) = Cli::try_parse_from(argv).unwrap().command else {
            unreachable!()
        };
        let v = a.sink_options.0;
        assert!(v.on(options::option_keyed("ha_discovery").unwrap()));
        let file = options::option_keyed("webhook_secret_file").unwrap();
        assert_eq!(v.path(file), Some(Path::new("hook.secret")));
        for o in options::options() {
            let mut argv = vec!["camscan", "watch", o.flag];
            if !o.is_switch() {
                argv.push("x");
            }
            assert!(Cli::try_parse_from(argv).is_ok(), "watch lacks {}", o.flag);
        }
    }

    /// `--help` of `watch` and `doctor` name every sink form, and `watch`'s says what each does
    /// (the documents that list them are held in `notify`).
    #[test]
    fn every_help_text_gives_the_sink_forms() {
        use clap::CommandFactory;
        let cli = Cli::command();
        for sub in ["watch", "doctor"] {
            let arg = cli
                .find_subcommand(sub)
                .and_then(|c| c.get_arguments().find(|a| a.get_id() == "notify"))
                .unwrap_or_else(|| panic!("{sub} has --notify"));
            let help = arg
                .get_long_help()
                .or(arg.get_help())
                .map(|h| h.to_string())
                .unwrap_or_default()
                .replace('\n', " ");
            for d in crate::notify::SINKS {
                assert!(
                    help.contains(&format!("`{}`", d.syntax)),
                    "{sub} --notify help lacks {}: {help}",
                    d.syntax
                );
                if sub == "watch" {
                    assert!(
                        help.contains(d.help),
                        "{sub} --notify help lacks {}",
                        d.help
                    );
                }
            }
        }
    }
}
