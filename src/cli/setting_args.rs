//! The declared settings ([`input::setting`]) as clap arguments: each setting of a list
//! becomes a flag with its `CAMSCAN_*` variable, value name and help line, and what was given
//! comes back as text by key, read by the setting's own parser when the settings are resolved,
//! as the config file's values are (one parser, one error for both: exit 2, one line naming
//! the setting). The flags are the declarations', not written here: this is the one adapter,
//! [`SettingArgs`] over any list ([`SettingList`]), flattened into each command's arguments.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use input::setting::{Declared, Repeat, Settings};

/// A list of declared settings a command takes as flags: a marker type per list (`Scan`:
/// [`crate::scan::settings::SCAN`]).
pub trait SettingList: 'static {
    /// The settings, in `--help`'s order.
    const LIST: &'static [&'static dyn Declared];
    /// This command's own `--help` line for some of them, by key (push's for the format options
    /// it reads: what it writes, not what an export does); the others say their declaration's.
    const HELP: &'static [(&'static str, &'static str)] = &[];
    /// The keys of the settings this command cannot go without (`hub add-site
    /// --password-file`): clap refuses the command line without them, as for a required flag.
    const REQUIRED: &'static [&'static str] = &[];
    /// What a flag given without a value stands for, by key (`--ffprobe` alone: `ffprobe`, found
    /// on PATH): its value may then be left out.
    const BARE: &'static [(&'static str, &'static str)] = &[];
    /// Whether its flags are every command's, given before or after the command (`-v`).
    const GLOBAL: bool = false;
    /// The keys whose variable this command does not read (serve's `--every`, watch's setting,
    /// which `CAMSCAN_EVERY` gives watch only).
    const NO_ENV: &'static [&'static str] = &[];
}

/// How a list's command takes its settings beyond what each declaration says
/// ([`SettingList::HELP`], [`SettingList::REQUIRED`], [`SettingList::BARE`],
/// [`SettingList::GLOBAL`], [`SettingList::NO_ENV`]).
#[derive(Clone, Copy)]
struct Taken {
    help: &'static [(&'static str, &'static str)],
    required: &'static [&'static str],
    bare: &'static [(&'static str, &'static str)],
    global: bool,
    no_env: &'static [&'static str],
}

impl Taken {
    fn of<L: SettingList>() -> Taken {
        Taken {
            help: L::HELP,
            required: L::REQUIRED,
            bare: L::BARE,
            global: L::GLOBAL,
            no_env: L::NO_ENV,
        }
    }
}

/// The settings of the list `L` given on the command line or in their variables, as text by
/// key: `#[command(flatten)]` it into a command's arguments.
pub struct SettingArgs<L>(pub BTreeMap<String, String>, PhantomData<fn() -> L>);

impl<L: SettingList> SettingArgs<L> {
    /// These values given (a test's command line).
    pub fn new(given: BTreeMap<String, String>) -> Self {
        SettingArgs(given, PhantomData)
    }

    /// Every setting of the list: the value given here, else the one `file` spells (the config
    /// file's, by key), else its default; a value its parser refuses is a usage error naming its
    /// key.
    pub fn resolve(&self, file: &BTreeMap<String, String>) -> Result<Settings, error::Error> {
        Settings::resolve(L::LIST, &self.0, file).map_err(|(field, value, reason)| {
            error::Error::InvalidValue {
                field,
                value,
                reason,
            }
        })
    }

    /// [`SettingArgs::resolve`] with no config file (a list the file does not hold).
    pub fn values(&self) -> Result<Settings, error::Error> {
        self.resolve(&BTreeMap::new())
    }
}

impl<L> Default for SettingArgs<L> {
    fn default() -> Self {
        SettingArgs(BTreeMap::new(), PhantomData)
    }
}

impl<L> Clone for SettingArgs<L> {
    fn clone(&self) -> Self {
        SettingArgs(self.0.clone(), PhantomData)
    }
}

impl<L> PartialEq for SettingArgs<L> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<L> fmt::Debug for SettingArgs<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SettingArgs").field(&self.0).finish()
    }
}

/// `cmd` with a flag for each setting of `list`, as `taken` says this command takes it.
fn augment(cmd: Command, list: &[&'static dyn Declared], taken: Taken) -> Command {
    list.iter().fold(cmd, |cmd, d| {
        let d: &'static dyn Declared = *d;
        let line = taken
            .help
            .iter()
            .find(|(key, _)| *key == d.key())
            .map_or(d.help(), |(_, line)| *line);
        let mut arg = Arg::new(d.key())
            .long(d.flag().trim_start_matches('-'))
            .help(expand_help(line))
            .required(taken.required.contains(&d.key()))
            .global(taken.global);
        if let Some((_, bare)) = taken.bare.iter().find(|(key, _)| *key == d.key()) {
            arg = arg.num_args(0..=1).default_missing_value(*bare);
        }
        // No variable: a flag that only the command line gives (`--print-token`).
        if !d.env().is_empty() && !taken.no_env.contains(&d.key()) {
            arg = arg.env(d.env());
        }
        if let Some(c) = d.short() {
            arg = arg.short(c);
        }
        let choices = d.choices();
        if !choices.is_empty() {
            // A closed set: `--help` lists it, clap refuses any other name (each of a list's).
            arg = arg.value_parser(PossibleValuesParser::new(choices.into_iter().map(
                |(name, help)| match help {
                    Some(help) => PossibleValue::new(name).help(help),
                    None => PossibleValue::new(name),
                },
            )));
            if d.repeat() == Repeat::Commas {
                arg = arg.value_delimiter(',');
            }
        }
        cmd.arg(if d.value_name() == input::setting::COUNT {
            arg.action(ArgAction::Count)
        } else if is_switch(d) || turned_off(d) {
            // A switch's variable is read as clap reads one (`false`, `0`, `no`, `off`, empty:
            // off).
            arg.action(ArgAction::SetTrue)
        } else if d.repeat() != Repeat::Once {
            arg.value_name(d.value_name()).action(ArgAction::Append)
        } else {
            arg.value_name(d.value_name())
        })
    })
}

/// A help line with its lists written out from their registrations: the push tools'
/// ([`crate::push::tools::expand_help`]) and the sinks' ([`crate::notify::expand_help`]).
pub fn expand_help(line: &str) -> String {
    crate::notify::expand_help(&crate::push::tools::expand_help(line)).into_owned()
}

pub(super) fn is_switch(d: &dyn Declared) -> bool {
    d.value_name() == input::setting::SWITCH
}

/// A switch whose flag turns it off (`--no-verify`).
pub(super) fn turned_off(d: &dyn Declared) -> bool {
    d.value_name() == input::setting::SWITCH_OFF
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
        } else if d.value_name() == input::setting::COUNT {
            if let Ok(Some(n)) = m.try_get_one::<u8>(d.key())
                && *n > 0
            {
                into.insert(d.key().to_string(), n.to_string());
            }
        } else if let Some(joiner) = d.repeat().joiner() {
            // Each time the flag is given, joined as the variable and the file's list are.
            if let Ok(Some(v)) = m.try_get_many::<String>(d.key()) {
                into.insert(
                    d.key().to_string(),
                    v.cloned().collect::<Vec<_>>().join(joiner),
                );
            }
        } else if let Ok(Some(v)) = m.try_get_one::<String>(d.key()) {
            into.insert(d.key().to_string(), v.clone());
        }
    }
}

impl<L: SettingList> FromArgMatches for SettingArgs<L> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut s = SettingArgs::default();
        s.update_from_arg_matches(m)?;
        Ok(s)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        given(m, L::LIST, &mut self.0);
        Ok(())
    }
}

impl<L: SettingList> Args for SettingArgs<L> {
    fn augment_args(cmd: Command) -> Command {
        augment(cmd, L::LIST, Taken::of::<L>())
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        augment(cmd, L::LIST, Taken::of::<L>())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Repeat, is_switch, turned_off};
    use crate::cmds::{Cli, Command as Sub};

    /// Every scan setting is a flag of `scan` (and its variable), its text kept for the setting's
    /// own parser.
    #[test]
    fn every_scan_setting_is_a_flag_read_by_its_parser() {
        for d in crate::scan::settings::SCAN {
            let choices = d.choices();
            let (argv, want) = if is_switch(*d) {
                (vec!["camscan", "scan", d.flag()], "true")
            } else if turned_off(*d) {
                (vec!["camscan", "scan", d.flag()], "false")
            } else if let Some((last, _)) = choices.last() {
                (vec!["camscan", "scan", d.flag(), last], *last)
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

    /// Every list of settings the adapter serves, with a command line of a command that takes it.
    #[allow(clippy::type_complexity)]
    fn served_lists() -> [(
        &'static [&'static str],
        &'static [&'static dyn input::setting::Declared],
    ); 30] {
        static MAN: &[&dyn input::setting::Declared] = &[&crate::cmds::man::MAN_DIR];
        static NOTIFY: &[&dyn input::setting::Declared] = &[&crate::notify::NOTIFY];
        static CONFIG: &[&dyn input::setting::Declared] = &[&crate::cli::CONFIG];
        [
            (&["scan"], crate::cmds::scan::FIND),
            (&["watch"], crate::cmds::scan::FIND),
            (&["convert", "r.json"], crate::scan::output::SETTINGS),
            (&["man"], MAN),
            (&["devices"], export::inventory::ROWS),
            (&["history"], export::inventory::ROWS),
            (&["scans"], export::inventory::ROWS),
            (&["hub", "list-sites"], export::inventory::ROWS),
            (&["diff"], export::inventory::DOC),
            (&["doctor"], crate::doctor::FORMATS),
            (&["serve"], crate::serve::SETTINGS),
            (&["serve"], crate::push::settings::OPTIONS),
            (
                &["push", "go2rtc", "http://127.0.0.1:1984"],
                crate::push::settings::SETTINGS,
            ),
            (&["scan"], crate::push::settings::AFTER_SCAN),
            (&["interfaces"], net::interfaces::LISTING),
            (&["signatures"], knowledge::listing::LISTING),
            (&["watch"], crate::watch::settings::SETTINGS),
            (&["watch"], crate::notify::SETTINGS),
            (&["doctor"], NOTIFY),
            (&["audit"], crate::audit::settings::SETTINGS),
            (&["devices"], store::settings::INVENTORY),
            (&["scan"], store::settings::INVENTORY),
            (&["devices"], store::settings::DEVICES),
            (&["history"], store::settings::HISTORY),
            (&["scans"], table_writer::WIDTH_LIST),
            (&["hub", "remove-site", "lab"], store::site_admin::HUB_DB),
            (&["hub", "add-site", "lab"], store::site_admin::ADD_SITE),
            (
                &["hub", "rotate-site", "lab"],
                store::site_admin::ROTATE_SITE,
            ),
            (&["prune"], store::settings::PRUNE),
            (&["devices"], CONFIG),
        ]
    }

    /// Every list the adapter serves is its command's flags, each read back as given (a
    /// repeated flag's values joined as its declaration says), and a setting with no variable
    /// has none.
    #[test]
    fn every_list_is_its_commands_flags() {
        use clap::CommandFactory;

        let lists = served_lists();
        // A required flag, given beside the one under test (`hub add-site --role` needs
        // `--password-file`).
        let required = [("add-site", "--password-file")];
        for (sub, list) in lists {
            for d in list {
                let mut argv = vec!["camscan"];
                argv.extend(sub);
                for (command, flag) in required {
                    if sub.contains(&command) && d.flag() != flag {
                        argv.extend([flag, "p"]);
                    }
                }
                assert!(!d.flag().is_empty(), "{}: a flag to give", d.key());
                argv.push(d.flag());
                let choices = d.choices();
                let want = if is_switch(*d) {
                    "true"
                } else if turned_off(*d) {
                    "false"
                } else if let Some((last, _)) = choices.last() {
                    // A closed set's last name (the first is the default); anything else is
                    // refused.
                    let mut wrong = argv.clone();
                    wrong.push("7");
                    assert!(
                        Cli::command().try_get_matches_from(&wrong).is_err(),
                        "{wrong:?}"
                    );
                    argv.push(last);
                    last
                } else if d.repeat() == Repeat::Commas {
                    argv.extend(["a", d.flag(), "b"]);
                    "a,b"
                } else if d.repeat() == Repeat::Lines {
                    argv.extend(["a,b", d.flag(), "c"]);
                    "a,b\nc"
                } else {
                    argv.push("7");
                    "7"
                };
                let m = Cli::command()
                    .try_get_matches_from(&argv)
                    .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
                // The innermost command's (`hub add-site`'s).
                let mut m = &m;
                let mut command = &Cli::command();
                while let Some((name, inner)) = m.subcommand() {
                    m = inner;
                    command = command.find_subcommand(name).unwrap();
                }
                let mut got = Default::default();
                super::given(m, list, &mut got);
                assert_eq!(got.get(d.key()).map(String::as_str), Some(want), "{argv:?}");
                let arg = command
                    .get_arguments()
                    .find(|a| a.get_id() == d.key())
                    .unwrap();
                let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
                assert_eq!(env.unwrap_or_default(), d.env(), "{}", d.flag());
            }
        }
    }

    /// A setting is declared once: two lists that take the same key with the same variable
    /// take the same declaration (a command that words it its own way says so in its list's
    /// `HELP`).
    #[test]
    fn a_setting_is_declared_once() {
        let mut seen: std::collections::HashMap<(&str, &str), *const ()> = Default::default();
        let mut twice = std::collections::BTreeSet::new();
        for (_, list) in served_lists() {
            for d in list {
                if d.env().is_empty() {
                    continue;
                }
                let at = *d as *const dyn input::setting::Declared as *const ();
                // One key and variable, or one flag and variable: one setting.
                for same in [(d.key(), d.env()), (d.flag(), d.env())] {
                    if !std::ptr::eq(*seen.entry(same).or_insert(at), at) {
                        twice.insert(d.key());
                    }
                }
            }
        }
        assert!(twice.is_empty(), "declared more than once: {twice:?}");
    }

    /// A list's required setting is required by clap (`hub rotate-site --password-file`,
    /// `prune --older-than`), and its help line is the command's own where the list says one.
    #[test]
    fn a_list_says_what_its_command_requires() {
        use clap::CommandFactory;
        for argv in [
            &["camscan", "prune"][..],
            &["camscan", "hub", "rotate-site", "lab"],
            &["camscan", "hub", "add-site", "lab", "--role", "r"],
        ] {
            let e = Cli::command().try_get_matches_from(argv).unwrap_err();
            assert_eq!(
                e.kind(),
                clap::error::ErrorKind::MissingRequiredArgument,
                "{argv:?}"
            );
        }
        let mut cmd = Cli::command();
        let rotate = cmd
            .find_subcommand_mut("hub")
            .unwrap()
            .find_subcommand_mut("rotate-site")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(rotate.contains("Write the new password here"), "{rotate}");
        // A bare `--ffprobe` is `ffprobe` (found on PATH); a value after it is the value.
        for (argv, want) in [
            (&["camscan", "scan", "--ffprobe"][..], "ffprobe"),
            (&["camscan", "scan", "--ffprobe", "/opt/ff"], "/opt/ff"),
        ] {
            let Sub::Scan(a) = Cli::try_parse_from(argv).unwrap().command else {
                unreachable!()
            };
            let got = a.find.settings.values().unwrap();
            assert_eq!(
                got.get(&analyze::ffprobe::FFPROBE),
                Some(want.into()),
                "{argv:?}"
            );
        }
    }
}
