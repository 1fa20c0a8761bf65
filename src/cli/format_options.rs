//! The flags of the formats' own options (`--csv-delimiter`, `--frigate-restream`,
//! `--backchannel`), made from their registration ([`crate::export::options`]) rather than
//! written here: one [`Arg`] per option, with its help, value name and `CAMSCAN_*` variable.
//! Flattened into every command that writes a format: `scan`, `convert`, `watch` (its
//! `--write` files) and `serve` (`GET /api/v1/export/{format}`).

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use crate::export::FormatValues;
use crate::export::options::{self, OptionKind};

/// The format options given on the command line (or by their variables), unchecked: the
/// configuration checks them with the config file's ([`options::resolve`]).
#[derive(Debug, Clone, Default)]
pub struct FormatOptionArgs(pub FormatValues);

impl FormatOptionArgs {
    /// The options' values: these flags, else the config file's (`file`), else the defaults.
    /// A bad value is an error naming the config key, or the flag when `by_flag` (a command
    /// without a config file).
    pub fn resolve(
        &self,
        file: &FormatValues,
        by_flag: bool,
    ) -> Result<FormatValues, crate::error::Error> {
        options::resolve(&self.0, file, by_flag)
    }
}

/// The options `help` gives a line (the option's line for `--help`), as clap arguments.
fn augment(mut cmd: Command, help: fn(&options::FormatOption) -> Option<&'static str>) -> Command {
    for o in options::options() {
        let Some(help) = help(o) else {
            continue;
        };
        let arg = Arg::new(o.key).long(o.long()).env(o.env).help(help);
        cmd = cmd.arg(match &o.kind {
            OptionKind::Switch => arg.action(ArgAction::SetTrue),
            OptionKind::Value { value_name, .. } => {
                arg.action(ArgAction::Set).value_name(*value_name)
            }
        });
    }
    cmd
}

/// The values of the options `taken` picks, from clap's matches.
fn values(
    m: &ArgMatches,
    into: &mut FormatValues,
    taken: fn(&options::FormatOption) -> Option<&'static str>,
) {
    for o in options::options().iter().filter(|o| taken(o).is_some()) {
        if o.is_switch() {
            if m.get_flag(o.key) {
                into.set(o, "true".into());
            }
        } else if let Some(v) = m.get_one::<String>(o.key) {
            into.set(o, v.clone());
        }
    }
}

/// The format options a push reads (`--frigate-restream`, `--backchannel`: what it writes
/// beside each camera), with push's own help lines; no other format's option.
#[derive(Debug, Clone, Default)]
pub struct PushFormatOptionArgs(pub FormatValues);

impl PushFormatOptionArgs {
    /// As [`FormatOptionArgs::resolve`].
    pub fn resolve(
        &self,
        file: &FormatValues,
        by_flag: bool,
    ) -> Result<FormatValues, crate::error::Error> {
        options::resolve(&self.0, file, by_flag)
    }
}

/// clap's `Args` for a set of format options: those `$help` gives a line, with that line.
macro_rules! option_args {
    ($t:ty, $help:expr) => {
        impl Args for $t {
            fn augment_args(cmd: Command) -> Command {
                augment(cmd, $help)
            }

            fn augment_args_for_update(cmd: Command) -> Command {
                Self::augment_args(cmd)
            }
        }

        impl FromArgMatches for $t {
            fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
                let mut args = <$t>::default();
                args.update_from_arg_matches(m)?;
                Ok(args)
            }

            fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
                values(m, &mut self.0, $help);
                Ok(())
            }
        }
    };
}

option_args!(FormatOptionArgs, |o| Some(o.help));
option_args!(PushFormatOptionArgs, |o| o.pushed);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command as Sub};
    use clap::Parser;

    /// Every command that writes a format takes every format option.
    #[test]
    fn scan_convert_watch_and_serve_take_the_options() {
        let restream = options::option_keyed("frigate_restream").unwrap();
        let csv = options::option_keyed("csv_delimiter").unwrap();
        let given = |line: &[&str]| -> FormatValues {
            let mut argv = vec!["camscan"];
            argv.extend_from_slice(line);
            argv.extend(["--frigate-restream", "--csv-delimiter", ";"]);
            match Cli::try_parse_from(argv).unwrap().command {
                Sub::Scan(a) => a.out.format_options.0,
                Sub::Convert(a) => a.out.format_options.0,
                Sub::Watch(a) => a.scan.out.format_options.0,
                Sub::Serve(a) => a.format_options.0,
                _ => unreachable!(),
            }
        };
        for line in [
            &["scan"][..],
            &["convert", "r.json"],
            &["watch"],
            &["serve"],
        ] {
            let v = given(line);
            assert!(v.on(restream), "{line:?}");
            assert_eq!(v.given(csv), Some(";"), "{line:?}");
        }
    }

    /// `push` takes the options a push reads (issue 73: its --help listed `--csv-delimiter` and
    /// "with --format ..." lines), and refuses the others.
    #[test]
    fn push_takes_only_what_a_push_writes() {
        let restream = options::option_keyed("frigate_restream").unwrap();
        let argv = [
            "camscan",
            "push",
            "frigate",
            "http://f:5000",
            "--frigate-restream",
        ];
        let Sub::Push(a) = Cli::try_parse_from(argv).unwrap().command else {
            unreachable!()
        };
        assert!(a.format_options.0.on(restream));
        let csv = [
            "camscan",
            "push",
            "go2rtc",
            "http://g:1984",
            "--csv-delimiter",
            ";",
        ];
        assert!(Cli::try_parse_from(csv).is_err());
        let help = <crate::cli::Cli as clap::CommandFactory>::command()
            .find_subcommand_mut("push")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(
            !help.contains("--csv-delimiter") && !help.contains("With --format"),
            "{help}"
        );
        assert!(help.contains("--backchannel"), "{help}");
    }
}
