//! `camscan interfaces`: the interfaces and the scan plan (which subnets a scan without targets
//! covers, and why not the others). Sends nothing.

use std::io;

use crate::record::CommandError;
use error::{Error, exit};

/// `camscan interfaces`' settings ([`net::interfaces::LISTING`]).
pub struct Interfaces;

impl crate::cli::SettingList for Interfaces {
    const LIST: &'static [&'static dyn input::setting::Declared] = net::interfaces::LISTING;
}

#[derive(Debug, clap::Args, Default)]
pub struct InterfacesArgs {
    /// `--interface`, `--allow-large`.
    #[command(flatten)]
    pub settings: crate::cli::SettingArgs<Interfaces>,
    /// `-f`.
    #[command(flatten)]
    pub format: crate::cli::SettingArgs<InterfacesFormats>,
}

/// `camscan interfaces -f` ([`export::interfaces::FORMATS`]).
pub struct InterfacesFormats;

impl crate::cli::SettingList for InterfacesFormats {
    const LIST: &'static [&'static dyn input::setting::Declared] = export::interfaces::FORMATS;
}

/// `camscan interfaces`: print the interfaces and the scan plan. Sends nothing.
#[allow(clippy::print_stdout)]
pub(super) fn run(args: &InterfacesArgs) -> Result<u8, CommandError> {
    use net::interfaces::{LIST_LARGE, LIST_ONLY};
    let given = args.settings.values()?;
    let format = args
        .format
        .values()?
        .get(&export::interfaces::INTERFACES_FORMAT);
    let nets = net::interfaces::list().map_err(Error::Interfaces)?;
    let only = given.get(&LIST_ONLY);
    let plan = net::interfaces::plan(nets, only.as_deref(), given.get(&LIST_LARGE));
    let mut out = io::stdout().lock();
    let written = export::interfaces::write(&plan, format, &mut out);
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(exit::FOUND),
        Err(source) => Err(Error::WriteOutput {
            path: "<stdout>".into(),
            source,
        }
        .into()),
        Ok(()) => Ok(if plan.iter().any(|n| n.scan) {
            exit::FOUND
        } else {
            exit::NOTHING
        }),
    }
}
