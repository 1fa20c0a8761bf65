//! `camscan interfaces`: the machine's interface subnets and which a scan without targets covers.

use std::io::{self, Write};

use input::choice::format_setting;
use input::setting::{Declared, Setting};
use model::local_net::LocalNet;

input::choices! {
    /// What `camscan interfaces` can print.
    pub enum InterfacesFormat {
        /// A table for people.
        Table = "table",
        /// A JSON array, one object per interface subnet.
        Json = "json",
    }
}

/// `camscan interfaces -f`.
pub static INTERFACES_FORMAT: Setting<InterfacesFormat> = format_setting(InterfacesFormat::Table);

/// [`INTERFACES_FORMAT`], the command's list (beside `net::interfaces::LISTING`).
pub static FORMATS: &[&dyn Declared] = &[&INTERFACES_FORMAT];

/// The plan as `format` says.
pub fn write(plan: &[LocalNet], format: InterfacesFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        InterfacesFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, plan).map_err(io::Error::from)?;
            writeln!(out)
        }
        InterfacesFormat::Table => {
            let mut t = super::inventory::new_table(&[
                "Interface",
                "Address",
                "Subnet",
                "MAC",
                "Scan",
                "Why not",
            ]);
            for n in plan {
                t.row([
                    n.interface.clone(),
                    format!("{}/{}", n.ip, n.prefix),
                    n.cidr(),
                    n.mac.clone().unwrap_or_default(),
                    if n.scan { "yes".into() } else { "no".into() },
                    n.reason.clone().unwrap_or_default(),
                ]);
            }
            writeln!(out, "{t}")
        }
    }
}
