//! `camscan doctor`'s settings: its flags, handed down as [`crate::doctor::Settings`] with the
//! scan's own resolution of a config file's values (doctor reads and judges the file itself).

use crate::cli::{ColorChoice, DoctorArgs, DoctorFormat, ScanArgs};
use crate::config::{FileConfig, ScanConfig};
use crate::doctor::Settings;
use crate::error::Error;

/// `camscan doctor`'s settings.
pub fn doctor(args: &DoctorArgs, color: Option<ColorChoice>) -> Settings {
    Settings {
        config: args.store.config.clone(),
        db: args.store.db.clone(),
        db_password_file: args.store.db_password_file.clone(),
        credential_key: args.store.credential_key.clone(),
        notify: args.notify.clone(),
        json: args.format == DoctorFormat::Json,
        color,
        width: crate::export::table_width(
            args.width,
            std::env::var("COLUMNS").ok().as_deref(),
            terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0),
        ),
        scan_values,
    }
}

/// What `camscan scan --config FILE` (no flags) says of the file's values.
pub fn scan_values(file: &FileConfig) -> Result<(), Error> {
    ScanConfig::resolve(&ScanArgs::default(), file, None).map(drop)
}
