//! `camscan push TOOL URL`: the inventory's cameras into a running Frigate, go2rtc, MediaMTX or
//! Home Assistant ([`crate::push`]); and the push after `scan --push`. Exit 0 when everything sent was taken
//! and verified, 1 when something was refused or did not verify, 2 when the tool could not be
//! reached or the inventory not read.

use crate::cmds::config_file;
use crate::push::{Outcome, PushError, Settings, Target, render};
use crate::record::CommandError;
use error::exit;
use input::environment::Environment;
use store::Store;

use super::write_stdout;

mod resolve;

pub use resolve::*;

/// How a push reaches and writes into a tool ([`crate::push::settings::OPTIONS`]).
pub struct PushOptions;

impl crate::cli::SettingList for PushOptions {
    const LIST: &'static [&'static dyn input::setting::Declared] = crate::push::settings::OPTIONS;
}

/// How a push reaches and writes into a tool, as given (shared by `push`, `scan --push`,
/// `watch --push`, `serve --push`).
pub type PushOptionArgs = crate::cli::SettingArgs<PushOptions>;

/// `camscan push`'s own settings ([`crate::push::settings::SETTINGS`]).
pub struct Push;

impl crate::cli::SettingList for Push {
    const LIST: &'static [&'static dyn input::setting::Declared] = crate::push::settings::SETTINGS;
    const HELP: &'static [(&'static str, &'static str)] =
        &[("credentials_file", crate::push::settings::CREDENTIALS_HELP)];
}

/// `--push` of the commands that scan ([`crate::push::settings::AFTER_SCAN`]).
pub struct AfterScan;

impl crate::cli::SettingList for AfterScan {
    const LIST: &'static [&'static dyn input::setting::Declared] =
        crate::push::settings::AFTER_SCAN;
}

/// `camscan push URL`'s help; where each tool's API usually is comes from its registration.
const URL_HELP: &str = "Its API's URL: {push tools' URLs}";

/// `camscan push TOOL URL`.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The tool.
    #[arg(value_enum)]
    pub tool: crate::push::ToolKind,
    /// Its API's URL ([`URL_HELP`], the tools written out from the push tool registry).
    #[arg(value_name = "URL", help = crate::cli::expand_help(URL_HELP))]
    pub url: String,
    #[command(flatten)]
    pub store: super::inventory::DbArgs,
    #[command(flatten)]
    pub options: PushOptionArgs,
    /// `--credentials`, `--device`, `--dry-run`, `-f`.
    #[command(flatten)]
    pub settings: crate::cli::SettingArgs<Push>,
    #[command(flatten)]
    pub table: super::TableWidth,
    #[command(flatten)]
    pub format_options: PushFormatOptionArgs,
}

/// The format options a push reads (what it writes beside each camera), with push's help.
pub struct PushFormatOptions;

impl crate::cli::SettingList for PushFormatOptions {
    const LIST: &'static [&'static dyn input::setting::Declared] =
        crate::push::settings::FORMAT_OPTIONS;
    const HELP: &'static [(&'static str, &'static str)] = crate::push::settings::FORMAT_OPTION_HELP;
}

/// The format options a push reads, as given.
pub type PushFormatOptionArgs = crate::cli::SettingArgs<PushFormatOptions>;

/// `camscan push`'s summary; the tools' names come from the push tool registry
/// ([`crate::push::tools::expand_help`]).
pub(crate) const ABOUT: &str = "Push the inventory's cameras into a running {push tools} through its \
    API: plan (add, update, keep, or leave a person's entry alone), apply one camera at a time, \
    read back and verify. --dry-run prints the plan only. Nothing camscan did not write is \
    changed, and nothing is deleted without --prune. Exit 0 when all was taken and verified, 1 \
    when something was refused or did not verify, 2 when the tool cannot be reached.";

pub(super) fn run(args: &PushArgs, env: &Environment) -> Result<u8, CommandError> {
    let file = config_file(args.store.config.path()?.as_deref())?;
    let target = Target::new(args.tool, &args.url).map_err(CommandError::Usage)?;
    let own = args.settings.values()?;
    let given = own.get(&credentials::CREDENTIALS_FILE);
    let creds = camera_logins(given.as_deref(), &file)?;
    let formats = args.format_options.resolve(&file.settings)?;
    let dry_run = own.get(&crate::push::settings::DRY_RUN);
    let mut settings = push(target, &args.options, creds, &formats, dry_run, env)?;
    let mut store =
        crate::record::open_existing(&super::inventory::resolve(&args.store, &file, env)?)?;
    settings.hand_back = own.get(&crate::push::settings::HAND_BACK);
    let devices = own.get(&crate::push::settings::DEVICE);
    let site = args.store.site()?;
    if !devices.is_empty() {
        let mut only = std::collections::BTreeSet::new();
        for key in &devices {
            let id = store.device_id(key, site.as_deref())?;
            only.insert(id.ok_or_else(|| {
                CommandError::Usage(format!(
                    "--device {:?}: no such device in the inventory (give an id from `camscan \
                     devices`, an address or a MAC)",
                    sanitize::terminal(key)
                ))
            })?);
        }
        settings.only = Some(only);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(error::Error::Runtime)?;
    let outcome = runtime
        .block_on(crate::push::run(&mut store, &settings))
        .map_err(push_error)?;
    let width = super::stdout_width(args.table.width()?, env).unwrap_or(u16::MAX);
    write_stdout(|out| render::write(&outcome, own.get(&render::FORMAT), width, out))?;
    Ok(code(&outcome))
}

/// The exit code of a push that ran.
pub(super) fn code(o: &Outcome) -> u8 {
    if o.failed() {
        exit::NOTHING
    } else {
        exit::FOUND
    }
}

pub(super) fn push_error(e: PushError) -> CommandError {
    match e {
        PushError::Store(e) => CommandError::Record(e),
        other => CommandError::Usage(other.to_string()),
    }
}

/// `scan --push`: each target pushed after the scan was recorded, its table on stderr (stdout
/// holds the scan's report). Returns whether every push went through.
pub(super) async fn after_scan(store: &mut Store, pushes: &[Settings]) -> bool {
    let mut all_ok = true;
    for settings in pushes {
        match crate::push::run(store, settings).await {
            Ok(o) => {
                let mut text = Vec::new();
                let _ = render::table(&o, 100, &mut text);
                let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), &text);
                all_ok &= !o.failed();
            }
            Err(e) => {
                tracing::error!("push: {e}");
                all_ok = false;
            }
        }
    }
    all_ok
}
