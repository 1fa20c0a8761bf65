//! `camscan doctor`'s settings: its flags, handed down as [`crate::doctor::Settings`] with the
//! scan's own resolution of a config file's values (the file read here, judged by doctor).

use super::scan::resolve_scan_config;
use crate::cli::{DoctorArgs, ScanArgs};
use crate::config::{FileConfig, Inventory, Process};
use crate::doctor::Settings;
use crate::error::Error;

/// `camscan doctor`'s settings.
pub fn doctor(args: &DoctorArgs, process: &Process) -> Result<Settings, Error> {
    let store = args.store.given()?;
    let env = process.env.clone();
    Ok(Settings {
        config: args.store.config.path.clone().map(|path| {
            let text = crate::config::read_config_file(&path).map_err(|e| e.to_string());
            (path, text)
        }),
        inventory: Box::new(move |file| {
            let given = (
                store.db.as_deref(),
                store.db_password_file.as_ref(),
                store.credential_key.as_ref(),
            );
            Inventory::find(given, file, &env)
        }),
        env: process.env.clone(),
        notify: args.notify.clone(),
        format: args.format,
        color: process.color.map(|c| c.in_env(&process.env)),
        width: crate::export::table_width(
            args.table.width()?.or(process.env.columns()),
            terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0),
        ),
        scan_values,
    })
}

/// What `camscan scan --config FILE` (no flags) says of the file's values.
pub fn scan_values(file: &FileConfig) -> Result<(), Error> {
    resolve_scan_config(&ScanArgs::default(), file, &Process::default()).map(drop)
}
