//! `camscan prune --older-than AGE`: remove scans, events, address records, devices and resolved
//! findings older than AGE.

use crate::record::CommandError;
use clap::Args;
use error::exit;
use input::environment::Environment;
use model::when::parse_age;

use super::query::{invalid, open};
use super::write_stdout;

/// `camscan prune`'s age ([`store::settings::PRUNE`]).
pub struct Prune;

impl crate::cli::SettingList for Prune {
    const LIST: &'static [&'static dyn input::setting::Declared] = store::settings::PRUNE;
    const REQUIRED: &'static [&'static str] = &["older_than"];
}

#[derive(Debug, Args, Default)]
pub struct PruneArgs {
    #[command(flatten)]
    pub store: super::inventory::DbArgs,
    /// `--older-than`.
    #[command(flatten)]
    pub settings: crate::cli::SettingArgs<Prune>,
}

pub(super) fn run(args: &PruneArgs, env: &Environment) -> Result<u8, CommandError> {
    if let Some(site) = &args.store.site()? {
        return Err(CommandError::Usage(format!(
            "prune works on every site of the inventory at once (its ages are the same for all); \
             drop --site {site}"
        )));
    }
    let older_than = args
        .settings
        .values()?
        .get(&store::settings::OLDER_THAN)
        .ok_or_else(|| CommandError::Usage("--older-than is required".into()))?;
    let age =
        parse_age(&older_than).map_err(|reason| invalid("older_than", &older_than, reason))?;
    let mut store = open(&args.store, env)?;
    let p = store.prune(age)?;
    write_stdout(|out| {
        writeln!(
            out,
            "Removed {} scan(s), {} event(s), {} address record(s), {} device(s) and {} resolved \
             finding(s) older than {}.",
            p.scans, p.events, p.addresses, p.devices, p.findings, older_than
        )?;
        for line in super::forget::left_in_tools(&p.pushed) {
            writeln!(out, "{line}")?;
        }
        Ok(())
    })?;
    Ok(exit::FOUND)
}
