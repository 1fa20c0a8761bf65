//! `camscan doctor`'s settings: its flags, handed down as [`crate::doctor::Settings`] with the
//! config file's text (read here) and the entrance's reader of it (its keys, the scan's own
//! resolution of its values, the inventory it names): doctor judges the file, the entrance reads it.

use std::path::Path;

use super::DoctorArgs;
use crate::cli::Process;
use crate::cli::file::FileValues;
use crate::cmds::scan::{ScanArgs, resolve_scan_job};
use crate::doctor::{FileRead, FileReader, Settings};
use error::Error;
use store::Inventory;

/// `camscan doctor`'s settings.
pub fn doctor(args: &DoctorArgs, process: &Process) -> Result<Settings, Error> {
    let store = args.store.given()?;
    let env = process.env.clone();
    let inventory = move |file: &FileValues| {
        let given = (
            store.db.as_deref(),
            store.db_password_file.as_ref(),
            store.credential_key.as_ref(),
        );
        crate::cmds::inventory::find(given, file, &env)
    };
    Ok(Settings {
        config: args.store.config.path()?.map(|path| {
            let text = crate::cli::read_config_file(&path).map_err(|e| e.to_string());
            (path, text)
        }),
        file: file_reader(inventory),
        env: process.env.clone(),
        notify: args.notify.values()?.get(&crate::notify::NOTIFY),
        format: args.format.values()?.get(&crate::doctor::FORMAT),
        color: process.color.map(|c| c.in_env(&process.env)),
        width: export::table_width(
            args.table.width()?.or(process.env.columns()),
            terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0),
        ),
    })
}

/// How a scan reads the config file, for doctor: the keys it knows, and a text read into what
/// doctor asks of it, with the inventory `inventory` finds with it.
pub fn file_reader(
    inventory: impl Fn(&FileValues) -> Result<Option<Inventory>, Error> + 'static,
) -> FileReader {
    FileReader {
        keys: crate::cli::file::keys::<crate::cmds::FileKeys>(),
        watch_keys: crate::cli::file::watch_keys::<crate::cmds::FileKeys>(),
        misspelt: crate::cli::file::misspelt::<crate::cmds::FileKeys>,
        read: Box::new(move |text: Option<(&str, &Path)>| {
            let file = match text {
                Some((text, path)) => FileValues::parse::<crate::cmds::FileKeys>(text, path)?,
                None => FileValues::default(),
            };
            // The `watch:` section's values, each its default where not given.
            let sinks = crate::cli::SettingArgs::<crate::cmds::watch::Sinks>::default()
                .resolve(&file.watch)?;
            let watch = crate::cli::SettingArgs::<crate::cmds::watch::Watch>::default()
                .resolve(&file.watch)?;
            Ok(FileRead {
                scan_values: scan_values(&file).err(),
                inventory: inventory(&file)?,
                ffprobe: analyze::ffprobe::FFPROBE.in_file(&file.settings),
                settings: file.settings,
                notify: sinks.get(&crate::notify::NOTIFY),
                outbox_cap: watch.get(&crate::watch::settings::OUTBOX_CAP),
            })
        }),
    }
}

/// What `camscan scan --config FILE` (no flags) says of the file's values.
fn scan_values(file: &FileValues) -> Result<(), Error> {
    resolve_scan_job(&ScanArgs::default(), file, &Process::default()).map(drop)
}
