//! Where the inventory is (`DbArgs`, shared by the commands that read it) and the arguments of
//! those commands: `devices`, `show`, `history`, `diff`, `scans`, `forget`, `prune`.

use std::path::PathBuf;

use clap::Args;

/// The inventory's settings ([`crate::store::settings::INVENTORY`]).
pub struct InventorySettings;

impl super::SettingList for InventorySettings {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] =
        crate::store::settings::INVENTORY;
}

/// Where the inventory is, how it is opened and which site: declared once
/// ([`crate::store::settings`]), flattened by every command that reads or records it (`scan`,
/// `watch`, `audit`, `serve`, `push`, `doctor` and the inventory commands).
#[derive(Debug, Args, Default, Clone)]
pub struct DbArgs {
    /// `--db`, `--db-password-file`, `--credential-key`, `--site`.
    #[command(flatten)]
    pub settings: super::SettingArgs<InventorySettings>,
    #[command(flatten)]
    pub config: ConfigFile,
}

/// The inventory's settings as given (a flag or its variable), each read by its parser.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GivenInventory {
    pub db: Option<PathBuf>,
    pub db_password_file: Option<PathBuf>,
    pub credential_key: Option<PathBuf>,
    pub site: Option<String>,
}

impl DbArgs {
    /// What was given of the inventory's settings; a value its parser refuses is the error.
    pub fn given(&self) -> Result<GivenInventory, crate::error::Error> {
        use crate::store::settings::{CREDENTIAL_KEY, DB, DB_PASSWORD_FILE, SITE};
        let v = self.settings.values()?;
        Ok(GivenInventory {
            db: v.get(&DB),
            db_password_file: v.get(&DB_PASSWORD_FILE),
            credential_key: v.get(&CREDENTIAL_KEY),
            site: v.get(&SITE),
        })
    }

    /// `--site`, given.
    pub fn site(&self) -> Result<Option<String>, crate::error::Error> {
        Ok(self.given()?.site)
    }
}

/// [`crate::model::table::WIDTH`] alone.
pub struct Width;

impl super::SettingList for Width {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] =
        crate::model::table::WIDTH_LIST;
}

/// `--width` ([`crate::model::table::WIDTH`]): flattened by every command that draws a table
/// (`scan`, `audit`, `doctor`, `push` and the inventory's lists and documents).
#[derive(Debug, Args, Default, Clone)]
pub struct TableWidth {
    #[command(flatten)]
    pub settings: super::SettingArgs<Width>,
}

impl TableWidth {
    /// `--width`, given.
    pub fn width(&self) -> Result<Option<u16>, crate::error::Error> {
        Ok(self.settings.values()?.get(&crate::model::table::WIDTH))
    }
}

/// `camscan devices`' filters ([`crate::store::settings::DEVICES`]).
pub struct DevicesFilters;

impl super::SettingList for DevicesFilters {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] =
        crate::store::settings::DEVICES;
}

/// `camscan prune`'s age ([`crate::store::settings::PRUNE`]).
pub struct Prune;

impl super::SettingList for Prune {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] =
        crate::store::settings::PRUNE;
    const REQUIRED: &'static [&'static str] = &["older_than"];
}

/// `camscan history`'s filter ([`crate::store::settings::HISTORY`]).
pub struct HistoryFilters;

impl super::SettingList for HistoryFilters {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] =
        crate::store::settings::HISTORY;
}

/// `--config` ([`crate::cli::settings::CONFIG`]).
pub struct Config;

impl super::SettingList for Config {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] =
        &[&crate::cli::settings::CONFIG];
}

/// The config file: declared once, flattened by every command that reads one.
#[derive(Debug, Args, Default, Clone)]
pub struct ConfigFile {
    /// `--config`.
    #[command(flatten)]
    pub settings: super::SettingArgs<Config>,
}

impl ConfigFile {
    /// The config file given (`--config` or `CAMSCAN_CONFIG`).
    pub fn path(&self) -> Result<Option<PathBuf>, crate::error::Error> {
        Ok(self.settings.values()?.get(&crate::cli::settings::CONFIG))
    }
}

/// `-f` of the inventory's lists ([`crate::export::inventory::ROWS`]).
pub struct Rows;

impl super::SettingList for Rows {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] =
        crate::export::inventory::ROWS;
}

/// `-f` of `show` and `diff` ([`crate::export::inventory::DOC`]).
pub struct Doc;

impl super::SettingList for Doc {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] =
        crate::export::inventory::DOC;
}

#[derive(Debug, Args, Default)]
pub struct DevicesArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// `--state`, `--since`, `--vendor`, `--cameras`.
    #[command(flatten)]
    pub filters: super::SettingArgs<DevicesFilters>,
    /// `-f`.
    #[command(flatten)]
    pub format: super::SettingArgs<Rows>,
    #[command(flatten)]
    pub table: crate::cli::TableWidth,
}

#[derive(Debug, Args, Default)]
pub struct ShowArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// The device: its id (`camscan devices`), an address it had, or its MAC.
    #[arg(value_name = "DEVICE")]
    pub device: String,
    /// `-f`.
    #[command(flatten)]
    pub format: super::SettingArgs<Doc>,
    #[command(flatten)]
    pub table: crate::cli::TableWidth,
}

#[derive(Debug, Args, Default)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// Only this device's events (id, address or MAC).
    #[arg(value_name = "DEVICE")]
    pub device: Option<String>,
    /// `--since`.
    #[command(flatten)]
    pub filters: super::SettingArgs<HistoryFilters>,
    /// `-f`.
    #[command(flatten)]
    pub format: super::SettingArgs<Rows>,
    #[command(flatten)]
    pub table: crate::cli::TableWidth,
}

#[derive(Debug, Args, Default)]
pub struct DiffArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// The older scan's id, as `camscan scans` lists it in this inventory (at a fleet's hub, the
    /// hub's ids: `camscan scans --site NAME`) [default: the second-last complete scan].
    #[arg(value_name = "SCAN_A")]
    pub scan_a: Option<i64>,
    /// The newer scan's id [default: the last complete scan].
    #[arg(value_name = "SCAN_B")]
    pub scan_b: Option<i64>,
    /// `-f`.
    #[command(flatten)]
    pub format: super::SettingArgs<Doc>,
}

#[derive(Debug, Args, Default)]
pub struct ScansArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// `-f`.
    #[command(flatten)]
    pub format: super::SettingArgs<Rows>,
    #[command(flatten)]
    pub table: crate::cli::TableWidth,
}

#[derive(Debug, Args, Default)]
pub struct ForgetArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// The device: id, address or MAC.
    #[arg(value_name = "DEVICE")]
    pub device: String,
}

#[derive(Debug, Args, Default)]
pub struct BackupArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// Where to write the copy: a path where there is no file yet (mode 0600).
    #[arg(value_name = "FILE")]
    pub dest: std::path::PathBuf,
}

#[derive(Debug, Args, Default)]
pub struct PruneArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// `--older-than`.
    #[command(flatten)]
    pub settings: super::SettingArgs<Prune>,
}
