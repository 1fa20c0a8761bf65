//! The flags of the formats' own options (`--csv-delimiter`, `--frigate-restream`,
//! `--backchannel`): their declarations' ([`crate::export::options::OPTIONS`]) through the one
//! adapter ([`super::SettingArgs`]), flattened into every command that writes a format: `scan`,
//! `convert`, `watch` (its `--write` files) and `serve` (`GET /api/v1/export/{format}`); and
//! those a push reads, with push's own help lines ([`crate::push::settings::FORMAT_OPTIONS`]).

use super::{SettingArgs, SettingList};
use crate::model::setting::Declared;

/// Every format option.
pub struct FormatOptions;

impl SettingList for FormatOptions {
    const LIST: &'static [&'static dyn Declared] = crate::export::options::OPTIONS;
}

/// The format options given on the command line (or by their variables), resolved with the
/// config file's keys.
pub type FormatOptionArgs = SettingArgs<FormatOptions>;

/// The format options a push reads (what it writes beside each camera), with push's help.
pub struct PushFormatOptions;

impl SettingList for PushFormatOptions {
    const LIST: &'static [&'static dyn Declared] = crate::push::settings::FORMAT_OPTIONS;
    const HELP: &'static [(&'static str, &'static str)] = crate::push::settings::FORMAT_OPTION_HELP;
}

/// The format options a push reads, as given.
pub type PushFormatOptionArgs = SettingArgs<PushFormatOptions>;

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command as Sub};
    use crate::export::{csv::DELIMITER, frigate::RESTREAM};
    use clap::Parser;

    /// Every command that writes a format takes every format option.
    #[test]
    fn scan_convert_watch_and_serve_take_the_options() {
        let given = |line: &[&str]| {
            let mut argv = vec!["camscan"];
            argv.extend_from_slice(line);
            argv.extend(["--frigate-restream", "--csv-delimiter", ";"]);
            let args = match Cli::try_parse_from(argv).unwrap().command {
                Sub::Scan(a) => a.out.format_options,
                Sub::Convert(a) => a.out.format_options,
                Sub::Watch(a) => a.scan.out.format_options,
                Sub::Serve(a) => a.format_options,
                _ => unreachable!(),
            };
            args.values().unwrap()
        };
        for line in [
            &["scan"][..],
            &["convert", "r.json"],
            &["watch"],
            &["serve"],
        ] {
            let v = given(line);
            assert!(v.get(&RESTREAM), "{line:?}");
            assert_eq!(v.get(&DELIMITER), b';', "{line:?}");
        }
    }

    /// `push` takes the options a push reads (issue 73: its --help listed `--csv-delimiter` and
    /// "with --format ..." lines), with push's help, and refuses the others.
    #[test]
    fn push_takes_only_what_a_push_writes() {
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
        assert!(a.format_options.values().unwrap().get(&RESTREAM));
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
        for (key, line) in crate::push::settings::FORMAT_OPTION_HELP {
            assert!(
                crate::push::settings::FORMAT_OPTIONS
                    .iter()
                    .any(|d| d.key() == *key),
                "{key}"
            );
            let start: String = line.chars().take(30).collect();
            assert!(help.contains(&start), "{key}: {help}");
        }
    }
}
