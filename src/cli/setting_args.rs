//! The declared settings ([`crate::model::setting`]) as clap arguments: each setting of a list
//! becomes a flag with its `CAMSCAN_*` variable, value name and help line, read by the setting's
//! own parser (a bad value is clap's usage error, exit 2, naming the flag), and what was given
//! comes back as [`Settings`]. The flags are the declarations', not written here.

use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};

use crate::model::setting::{Declared, Given, Settings};

/// The scan settings given on the command line or in their variables
/// ([`crate::config::settings::SCAN`]); flattened into every command that scans.
#[derive(Debug, Clone, Default)]
pub struct ScanSettingArgs(pub Settings);

/// `cmd` with a flag for each setting of `list`.
fn augment(cmd: Command, list: &[&'static dyn Declared]) -> Command {
    list.iter().fold(cmd, |cmd, d| {
        let d: &'static dyn Declared = *d;
        cmd.arg(
            Arg::new(d.key())
                .long(d.flag().trim_start_matches('-'))
                .env(d.env())
                .value_name(d.value_name())
                .help(d.help())
                .value_parser(move |text: &str| d.read(text)),
        )
    })
}

/// What `m` was given of the settings of `list`.
fn given(m: &ArgMatches, list: &[&'static dyn Declared], into: &mut Settings) {
    for d in list {
        if let Ok(Some(v)) = m.try_get_one::<Given>(d.key()) {
            into.put(*d, v.clone());
        }
    }
}

impl FromArgMatches for ScanSettingArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut s = ScanSettingArgs::default();
        s.update_from_arg_matches(m)?;
        Ok(s)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        given(m, crate::config::settings::SCAN, &mut self.0);
        Ok(())
    }
}

impl Args for ScanSettingArgs {
    fn augment_args(cmd: Command) -> Command {
        augment(cmd, crate::config::settings::SCAN)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        augment(cmd, crate::config::settings::SCAN)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command as Sub};

    /// Every scan setting is a flag of `scan` (and its variable), read by its own parser; a bad
    /// value is a usage error naming the flag.
    #[test]
    fn every_scan_setting_is_a_flag_read_by_its_parser() {
        for d in crate::config::settings::SCAN {
            let cli = Cli::try_parse_from(["camscan", "scan", d.flag(), "7"])
                .unwrap_or_else(|e| panic!("{}: {e}", d.flag()));
            let Sub::Scan(args) = cli.command else {
                unreachable!()
            };
            assert!(args.find.settings.0.has(d.key()), "{} given", d.flag());
        }
        let e = Cli::try_parse_from(["camscan", "scan", "--arp-rate", "fast"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("--arp-rate"), "{e}");
        assert!(e.contains("not a whole number"), "{e}");
        let cli = Cli::try_parse_from(["camscan", "scan"]).unwrap();
        let Sub::Scan(args) = cli.command else {
            unreachable!()
        };
        assert_eq!(args.find.settings.0, Default::default(), "none given");
    }
}
