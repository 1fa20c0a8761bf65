//! `camscan history [DEVICE]`: the inventory's events, newest first.

use crate::record::CommandError;
use clap::Args;
use error::exit;
use input::environment::Environment;
use store::{DeviceQuery, EventQuery};

use super::query::{open, since, some, unknown_device};
use super::write_stdout;

/// `camscan history`'s filter ([`store::settings::HISTORY`]).
pub struct HistoryFilters;

impl crate::cli::SettingList for HistoryFilters {
    const LIST: &'static [&'static dyn input::setting::Declared] = store::settings::HISTORY;
}

#[derive(Debug, Args, Default)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub store: super::inventory::DbArgs,
    /// Only this device's events (id, address or MAC).
    #[arg(value_name = "DEVICE")]
    pub device: Option<String>,
    /// `--since`.
    #[command(flatten)]
    pub filters: crate::cli::SettingArgs<HistoryFilters>,
    /// `-f`.
    #[command(flatten)]
    pub format: crate::cli::SettingArgs<super::inventory::Rows>,
    #[command(flatten)]
    pub table: super::TableWidth,
}

pub(super) fn run(args: &HistoryArgs, env: &Environment) -> Result<u8, CommandError> {
    // Every value read before anything is opened.
    let width = super::stdout_width(args.table.width()?, env);
    let format = args.format.values()?.get(&export::inventory::ROWS_FORMAT);
    let store = open(&args.store, env)?;
    if let Some(d) = &args.device
        && store.device(d, args.store.site()?.as_deref())?.is_none()
    {
        unknown_device(d);
        return Ok(exit::NOTHING);
    }
    let q = EventQuery {
        device: args.device.clone(),
        since: args
            .filters
            .values()?
            .get(&store::settings::HISTORY_SINCE)
            .as_deref()
            .map(|s| since("since", s))
            .transpose()?,
        site: args.store.site()?,
        ..Default::default()
    };
    let events = store.events(&q)?;
    let devices = store.devices(&DeviceQuery {
        site: args.store.site()?,
        ..DeviceQuery::default()
    })?;
    let then = store.event_addresses(&events)?;
    write_stdout(|out| export::inventory::events(&events, (&devices, &then), format, width, out))?;
    Ok(some(!events.is_empty()))
}
