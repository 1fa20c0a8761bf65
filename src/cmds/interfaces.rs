//! `camscan interfaces`: the interfaces and the scan plan (which subnets a scan without targets
//! covers, and why not the others). Sends nothing.

use std::io::{self, Write};

use crate::cli::{InterfacesArgs, InterfacesFormat};
use crate::error::{Error, exit};
use crate::record::CommandError;

/// `camscan interfaces`: print the interfaces and the scan plan. Sends nothing.
#[allow(clippy::print_stdout)]
pub(super) fn run(args: &InterfacesArgs) -> Result<u8, CommandError> {
    let nets = crate::net::interfaces::list().map_err(Error::Interfaces)?;
    let plan = crate::net::interfaces::plan(nets, args.interface.as_deref(), args.allow_large);
    let mut out = io::stdout().lock();
    let written = if args.format == InterfacesFormat::Json {
        serde_json::to_writer_pretty(&mut out, &plan)
            .map_err(io::Error::from)
            .and_then(|_| writeln!(out))
    } else {
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.set_header(["Interface", "Address", "Subnet", "MAC", "Scan", "Why not"]);
        for n in &plan {
            t.add_row(vec![
                n.interface.clone(),
                format!("{}/{}", n.ip, n.prefix),
                n.cidr(),
                n.mac.clone().unwrap_or_default(),
                if n.scan { "yes".into() } else { "no".into() },
                n.reason.clone().unwrap_or_default(),
            ]);
        }
        writeln!(out, "{t}")
    };
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
