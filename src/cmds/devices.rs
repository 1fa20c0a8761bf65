//! `camscan devices`: the devices the inventory knows, filtered by state, age, vendor or cameras only.

use crate::record::CommandError;
use clap::Args;
use input::environment::Environment;
use store::DeviceQuery;

use super::query::{open, since, some};
use super::write_stdout;

/// `camscan devices`' filters ([`store::settings::DEVICES`]).
pub struct DevicesFilters;

impl crate::cli::SettingList for DevicesFilters {
    const LIST: &'static [&'static dyn input::setting::Declared] = store::settings::DEVICES;
}

#[derive(Debug, Args, Default)]
pub struct DevicesArgs {
    #[command(flatten)]
    pub store: super::inventory::DbArgs,
    /// `--state`, `--since`, `--vendor`, `--cameras`.
    #[command(flatten)]
    pub filters: crate::cli::SettingArgs<DevicesFilters>,
    /// `-f`.
    #[command(flatten)]
    pub format: crate::cli::SettingArgs<super::inventory::Rows>,
    #[command(flatten)]
    pub table: super::TableWidth,
}

pub(super) fn run(args: &DevicesArgs, env: &Environment) -> Result<u8, CommandError> {
    // Every value read before anything is opened.
    let width = super::stdout_width(args.table.width()?, env);
    use store::settings as set;
    let filters = args.filters.values()?;
    let format = args.format.values()?.get(&export::inventory::ROWS_FORMAT);
    let store = open(&args.store, env)?;
    let q = DeviceQuery {
        state: filters.get(&set::STATE),
        since: filters
            .get(&set::DEVICES_SINCE)
            .as_deref()
            .map(|s| since("since", s))
            .transpose()?,
        vendor: filters.get(&set::VENDOR),
        cameras: filters.get(&set::CAMERAS),
        site: args.store.site()?,
    };
    let list = store.devices(&q)?;
    write_stdout(|out| export::inventory::devices(&list, format, width, out))?;
    Ok(some(!list.is_empty()))
}
