//! The declared settings ([`crate::model::setting`]) as clap arguments: each setting of a list
//! becomes a flag with its `CAMSCAN_*` variable, value name and help line, and what was given
//! comes back as text by key, read by the setting's own parser when the settings are resolved,
//! as the config file's values are (one parser, one error for both: exit 2, one line naming
//! the setting). The flags are the declarations', not written here.

use std::collections::BTreeMap;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use crate::model::setting::Declared;

/// The scan settings given on the command line or in their variables, as text by key
/// ([`crate::scan::settings::SCAN`]); flattened into every command that scans.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanSettingArgs(pub BTreeMap<String, String>);

/// `cmd` with a flag for each setting of `list`.
fn augment(cmd: Command, list: &[&'static dyn Declared]) -> Command {
    list.iter().fold(cmd, |cmd, d| {
        let d: &'static dyn Declared = *d;
        let mut arg = Arg::new(d.key())
            .long(d.flag().trim_start_matches('-'))
            .env(d.env())
            .help(d.help());
        if let Some(c) = d.short() {
            arg = arg.short(c);
        }
        cmd.arg(if is_switch(d) || turned_off(d) {
            // A switch's variable is read as clap reads one (`false`, `0`, `no`, `off`, empty:
            // off).
            arg.action(ArgAction::SetTrue)
        } else if d.repeat() {
            arg.value_name(d.value_name()).action(ArgAction::Append)
        } else {
            arg.value_name(d.value_name())
        })
    })
}

pub(super) fn is_switch(d: &dyn Declared) -> bool {
    d.value_name() == crate::model::setting::SWITCH
}

/// A switch whose flag turns it off (`--no-verify`).
pub(super) fn turned_off(d: &dyn Declared) -> bool {
    d.value_name() == crate::model::setting::SWITCH_OFF
}

/// What `m` was given of the settings of `list`.
fn given(m: &ArgMatches, list: &[&'static dyn Declared], into: &mut BTreeMap<String, String>) {
    for d in list {
        if is_switch(*d) || turned_off(*d) {
            // The flag (or its variable) given: on (off for `--no-...`), whatever the file says;
            // else the file's.
            if let Ok(Some(true)) = m.try_get_one::<bool>(d.key()) {
                let value = if turned_off(*d) { "false" } else { "true" };
                into.insert(d.key().to_string(), value.into());
            }
        } else if d.repeat() {
            // Each time the flag is given, joined as the variable and the file's list are.
            if let Ok(Some(v)) = m.try_get_many::<String>(d.key()) {
                into.insert(
                    d.key().to_string(),
                    v.cloned().collect::<Vec<_>>().join(","),
                );
            }
        } else if let Ok(Some(v)) = m.try_get_one::<String>(d.key()) {
            into.insert(d.key().to_string(), v.clone());
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
        given(m, crate::scan::settings::SCAN, &mut self.0);
        Ok(())
    }
}

impl Args for ScanSettingArgs {
    fn augment_args(cmd: Command) -> Command {
        augment(cmd, crate::scan::settings::SCAN)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        augment(cmd, crate::scan::settings::SCAN)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{is_switch, turned_off};
    use crate::cli::{Cli, Command as Sub};

    /// Every scan setting is a flag of `scan` (and its variable), its text kept for the setting's
    /// own parser.
    #[test]
    fn every_scan_setting_is_a_flag_read_by_its_parser() {
        for d in crate::scan::settings::SCAN {
            let (argv, want) = if is_switch(*d) {
                (vec!["camscan", "scan", d.flag()], "true")
            } else if turned_off(*d) {
                (vec!["camscan", "scan", d.flag()], "false")
            } else {
                (vec!["camscan", "scan", d.flag(), "7"], "7")
            };
            let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{}: {e}", d.flag()));
            let Sub::Scan(args) = cli.command else {
                unreachable!()
            };
            assert_eq!(
                args.find.settings.0.get(d.key()).map(String::as_str),
                Some(want),
                "{} given",
                d.flag()
            );
        }
        for d in crate::scan::settings::SCAN {
            let Some(c) = d.short() else { continue };
            let short = format!("-{c}");
            let value: &[&str] = if is_switch(*d) || turned_off(*d) {
                &[]
            } else {
                &["7"]
            };
            let argv = |flag| [vec!["camscan", "scan", flag], value.to_vec()].concat();
            let cli = Cli::try_parse_from(argv(short.as_str())).unwrap();
            let Sub::Scan(args) = cli.command else {
                unreachable!()
            };
            let long = Cli::try_parse_from(argv(d.flag())).unwrap();
            let Sub::Scan(long) = long.command else {
                unreachable!()
            };
            assert_eq!(
                args.find.settings,
                long.find.settings,
                "{short} is {}",
                d.flag()
            );
        }
        let cli = Cli::try_parse_from(["camscan", "scan"]).unwrap();
        let Sub::Scan(args) = cli.command else {
            unreachable!()
        };
        assert_eq!(args.find.settings.0, Default::default(), "none given");
    }
}
