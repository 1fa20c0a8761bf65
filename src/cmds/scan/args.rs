//! `camscan scan`'s arguments: what to scan and how (`FindArgs`, shared by every command that
//! scans) and how a report is written (`ScanOutputArgs`, shared with `camscan convert`), each a
//! list of declared settings made flags by the door's adapter.

use clap::Args;

/// `camscan scan`: what to scan and how, and how to write the report.
#[derive(Debug, Clone, Args, Default)]
pub struct ScanArgs {
    #[command(flatten)]
    pub find: FindArgs,
    #[command(flatten)]
    pub out: ScanOutputArgs,
    #[command(flatten)]
    pub push: ScanPushArgs,
}

/// `--push TOOL=URL` after each scan is recorded (`scan`, `watch`).
#[derive(Debug, Args, Default, Clone)]
pub struct ScanPushArgs {
    /// `--push TOOL=URL`.
    #[command(flatten)]
    pub push: crate::cli::SettingArgs<crate::cmds::push::AfterScan>,
    #[command(flatten)]
    pub options: crate::cmds::push::PushOptionArgs,
}

/// How `camscan scan` (and `watch`'s first scan) writes its report.
#[derive(Debug, Args, Default, Clone)]
pub struct ScanOutputArgs {
    /// `-f`, `-o` ([`crate::scan::output::SETTINGS`]).
    #[command(flatten)]
    pub settings: crate::cli::SettingArgs<ReportOutput>,
    #[command(flatten)]
    pub format_options: FormatOptionArgs,
    #[command(flatten)]
    pub table: crate::cmds::TableWidth,
}

/// What to scan and how: shared by every command that scans (`scan`, `watch`, `audit`, and
/// `serve`'s scans); each command adds how it writes what it found.
#[derive(Debug, Args, Default, Clone)]
pub struct FindArgs {
    /// Targets: CIDR (192.168.1.0/24), range (192.168.1.10-192.168.1.50 or 192.168.1.10-50), IP, or host name.
    #[arg(env = "CAMSCAN_TARGETS", value_delimiter = ',')]
    pub targets: Vec<String>,
    /// The declared scan settings (`--concurrency`, `--arp-rate`, ...:
    /// [`crate::scan::settings::SCAN`]), each with its variable.
    #[command(flatten)]
    pub settings: ScanSettingArgs,
    /// `--username`, `--signatures`, `--hub-password-file`, `--no-db`
    /// ([`FIND`]).
    #[command(flatten)]
    pub own: crate::cli::SettingArgs<Find>,
    /// Where the scan is recorded, and the config file.
    #[command(flatten)]
    pub store: crate::cmds::inventory::DbArgs,
}

/// The scan settings ([`crate::scan::settings::SCAN`]); flattened into every command that
/// scans.
pub struct Scan;

impl crate::cli::SettingList for Scan {
    const LIST: &'static [&'static dyn input::setting::Declared] = crate::scan::settings::SCAN;
    const BARE: &'static [(&'static str, &'static str)] = &[("ffprobe", "ffprobe")];
}

/// The scan settings given on the command line or in their variables.
pub type ScanSettingArgs = crate::cli::SettingArgs<Scan>;

/// How a scan's report is written ([`crate::scan::output::SETTINGS`]).
pub struct ReportOutput;

impl crate::cli::SettingList for ReportOutput {
    const LIST: &'static [&'static dyn input::setting::Declared] = crate::scan::output::SETTINGS;
}

/// The settings of the commands that scan which the config file does not hold
/// ([`FIND`]).
pub struct Find;

impl crate::cli::SettingList for Find {
    const LIST: &'static [&'static dyn input::setting::Declared] = FIND;
    const HELP: &'static [(&'static str, &'static str)] = &[("signatures", SIGNATURES_HELP)];
}

/// Every format option.
pub struct FormatOptions;

impl crate::cli::SettingList for FormatOptions {
    const LIST: &'static [&'static dyn input::setting::Declared] = export::OPTIONS;
}

/// The format options given on the command line (or by their variables), resolved with the
/// config file's keys.
pub type FormatOptionArgs = crate::cli::SettingArgs<FormatOptions>;

/// What the config file's top level holds ([`crate::cli::file::Keys::TOP`]): the formats'
/// options, the scan's settings, the report's, the file's own lists and the keys other lists'
/// flags give ([`FILE_KEYS`]), and `--color`.
pub const FILE_TOP: &[&[&dyn input::setting::Declared]] = &[
    export::OPTIONS,
    crate::scan::settings::SCAN,
    crate::scan::output::SETTINGS,
    FILE_KEYS,
    &[&crate::cli::COLOR],
];

/// The settings of the commands that scan beside [`crate::scan::settings::SCAN`]: `--username` (whose password is
/// asked at once; the command line's only), `--signatures` (the file's `signatures:` too,
/// [`FILE_KEYS`]), the fleet's hub and its password file (where the scan is recorded, beside the
/// inventory's place; the file's `hub:` too) and `--no-db` (the command line's only).
pub static FIND: &[&dyn input::setting::Declared] = &[
    &credentials::USERNAME,
    &knowledge::listing::SIGNATURES,
    &store::settings::HUB,
    &store::settings::HUB_PASSWORD_FILE,
    &store::settings::NO_DB,
];

/// The config file's top-level keys besides [`crate::scan::settings::SCAN`]'s, the report's and the formats' options:
/// the file's own lists (`targets:`, `credentials:`, `paths:`; no flag), and the settings whose
/// flags other lists give (`--signatures` and `--hub` in [`FIND`], the inventory's `--db`,
/// `--credential-key` and `--site`, `--width`): each flag over the file's key as its list resolves it
/// (`resolve(&file.settings)`). `--color` is the entrance's (`cli::GLOBAL`).
pub static FILE_KEYS: &[&dyn input::setting::Declared] = &[
    &crate::discovery::targets::TARGETS,
    &credentials::ENTRIES,
    &analyze::hints::ENTRIES,
    &knowledge::listing::SIGNATURES,
    &store::settings::DB,
    &store::settings::CREDENTIAL_KEY,
    &store::settings::SITE,
    &store::settings::HUB,
    &table_writer::WIDTH,
];

/// `--signatures`' help line in the commands that scan ([`FIND`]; `camscan signatures` says its
/// own).
pub const SIGNATURES_HELP: &str = "Knowledge files (YAML: signatures, RTSP/HTTP paths, RTMP \
    names, OUIs, vendors) read before the built-in data, after which every *.yaml in \
    ~/.config/camscan/knowledge.d/ is read too. Repeatable, or comma-separated";
