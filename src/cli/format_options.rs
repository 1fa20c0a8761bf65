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

impl Args for FormatOptionArgs {
    fn augment_args(mut cmd: Command) -> Command {
        for o in options::options() {
            let arg = Arg::new(o.key).long(o.long()).env(o.env).help(o.help);
            cmd = cmd.arg(match &o.kind {
                OptionKind::Switch => arg.action(ArgAction::SetTrue),
                OptionKind::Value { value_name, .. } => {
                    arg.action(ArgAction::Set).value_name(*value_name)
                }
            });
        }
        cmd
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for FormatOptionArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = FormatOptionArgs::default();
        args.update_from_arg_matches(m)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        for o in options::options() {
            if o.is_switch() {
                if m.get_flag(o.key) {
                    self.0.set(o, "true".into());
                }
            } else if let Some(v) = m.get_one::<String>(o.key) {
                self.0.set(o, v.clone());
            }
        }
        Ok(())
    }
}

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
}
