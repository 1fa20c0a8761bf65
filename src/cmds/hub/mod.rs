//! `camscan hub add-site|list-sites|rotate-site|forget-site|remove-site`: the fleet's sites as
//! the hub's owner manages them (`store::site_admin` holds the roles, grants and policies).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::file::FileValues;
use crate::cmds::config_file;
use crate::record::CommandError;
use error::exit;
use input::environment::Environment;
use store::Store;
use store::site_admin::{SiteForgotten, role_for};
use store::{Inventory, InventoryAt};

use super::write_stdout;

mod args;

pub use args::*;

pub(super) fn run(args: &HubArgs, env: &Environment) -> Result<u8, CommandError> {
    match &args.command {
        HubCommand::AddSite(a) => {
            check_name(&a.name)?;
            let own = a.settings.values()?;
            let password_file = required_path(own.get(&store::site_admin::PASSWORD_FILE))?;
            let role = own.get(&store::site_admin::ROLE);
            let role = role.unwrap_or_else(|| role_for(&a.name));
            let (mut store, hub) = open(&a.hub, env)?;
            let password = new_password()?;
            let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
            // Written beside the file first (a password the hub took but nobody kept would lock
            // the agent out), put in its place once the hub took it (a refusal leaves the file
            // there as it was).
            let pending = write_password(&password_file, &password)?;
            let added = store
                .add_site(&a.name, &role, &verifier)?
                .map_err(CommandError::Usage)?;
            pending.keep()?;
            let url = agent_url(&hub, &added.role)?;
            say(&format!(
                "site {:?}: {} login role {}; its password is in {} (mode 0600). Give the agent \
                 --site {} --hub URL --hub-password-file FILE with the URL below.",
                a.name,
                if added.created {
                    "new"
                } else {
                    "new password for the"
                },
                added.role,
                password_file.display(),
                a.name
            ));
            write_stdout(|out| writeln!(out, "{url}"))?;
            Ok(exit::FOUND)
        }
        HubCommand::RotateSite(a) => {
            let password_file =
                required_path(a.settings.values()?.get(&store::site_admin::PASSWORD_FILE))?;
            let (mut store, _) = open(&a.hub, env)?;
            let password = new_password()?;
            let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
            let accounts = store.site_accounts()?;
            if !accounts
                .iter()
                .any(|s| s.name == a.name && s.role.is_some())
            {
                return Err(CommandError::Usage(format!(
                    "site {:?} has no login of its own at this hub: `camscan hub add-site {}` \
                     makes one",
                    a.name, a.name
                )));
            }
            let pending = write_password(&password_file, &password)?;
            let role = store
                .rotate_site(&a.name, &verifier)?
                .map_err(CommandError::Usage)?;
            pending.keep()?;
            say(&format!(
                "site {:?}: new password for {role} in {} (mode 0600); the old one no longer \
                 logs in",
                a.name,
                password_file.display()
            ));
            Ok(exit::FOUND)
        }
        HubCommand::ListSites(a) => {
            let format = a.format.values()?.get(&export::inventory::ROWS_FORMAT);
            let (store, _) = open(&a.hub, env)?;
            let list = store.site_accounts()?;
            write_stdout(|out| export::inventory::sites(&list, format, out))?;
            Ok(if list.is_empty() {
                exit::NOTHING
            } else {
                exit::FOUND
            })
        }
        HubCommand::ForgetSite(a) | HubCommand::RemoveSite(a) => {
            let remove = matches!(args.command, HubCommand::RemoveSite(_));
            let (mut store, _) = open(&a.hub, env)?;
            let Some(f) = store.forget_site(&a.name, remove)? else {
                say(&format!("the hub knows no site {:?}", a.name));
                return Ok(exit::NOTHING);
            };
            write_stdout(|out| {
                writeln!(
                    out,
                    "{} site {:?}: {}{}",
                    if remove { "Removed" } else { "Forgot" },
                    a.name,
                    counts(&f),
                    if remove {
                        "; its login role is dropped."
                    } else {
                        "; its name is free for the next inventory that sends it (its login \
                         stays)."
                    }
                )
            })?;
            Ok(exit::FOUND)
        }
    }
}

fn counts(f: &SiteForgotten) -> String {
    format!(
        "{} scan(s), {} device(s), {} stream(s), {} event(s), {} check(s), {} finding(s) and {} \
         scan request(s) removed",
        f.scans, f.devices, f.streams, f.events, f.checks, f.findings, f.requests
    )
}

/// A site name an agent can give: not empty, no control characters.
fn check_name(name: &str) -> Result<(), CommandError> {
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err(CommandError::Usage(format!(
            "{name:?} is not a site name: give the name the site's agent sends (--site)"
        )));
    }
    Ok(())
}

/// `--password-file`, which clap requires (a library caller's arguments may still lack it).
fn required_path(given: Option<std::path::PathBuf>) -> Result<std::path::PathBuf, CommandError> {
    given.ok_or_else(|| CommandError::Usage("--password-file is required".into()))
}

/// The hub's inventory, opened with the owner's login (PostgreSQL only), and its URL.
fn open(args: &HubDbArgs, env: &Environment) -> Result<(Store, String), CommandError> {
    let url = hub_url(args, env)?;
    let password_file = args
        .settings
        .values()?
        .get(&store::settings::DB_PASSWORD_FILE);
    let target = crate::record::pg_target(&url, password_file.as_deref(), env)?;
    Ok((Store::open_hub(&target)?, url))
}

/// The hub's URL: `--db`, else the config file's `db:`, as every inventory command reads them.
fn hub_url(args: &HubDbArgs, env: &Environment) -> Result<String, CommandError> {
    match of_hub(args, &config_file(args.config.path()?.as_deref())?, env)?.at {
        InventoryAt::Postgres(url) => Ok(url),
        InventoryAt::File(_) => Err(not_a_hub()),
    }
}

fn not_a_hub() -> CommandError {
    CommandError::Usage(
        "camscan hub works on a PostgreSQL hub: give --db postgres://OWNER@HOST/DB (the owner of \
         camscan's tables, with the right to create roles)"
            .into(),
    )
}

/// The agent's `--hub` URL: the owner's URL with the site's role as its user and no password.
fn agent_url(hub: &str, role: &str) -> Result<String, CommandError> {
    let mut url =
        url::Url::parse(hub).map_err(|e| CommandError::Usage(format!("--db: not a URL ({e})")))?;
    let _ = url.set_password(None);
    let _ = url.set_username(role);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "password" && k != "user")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok(url.to_string())
}

/// 32 random bytes in hex: a password no dictionary holds, safe in any URL or password file.
fn new_password() -> Result<String, CommandError> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw)
        .map_err(|e| CommandError::Usage(format!("no randomness for a password: {e}")))?;
    Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
}

/// A password written beside its file (`PATH.new`, mode 0600), moved into place by
/// [`Pending::keep`]; removed when dropped without.
struct Pending {
    new: PathBuf,
    path: PathBuf,
    kept: bool,
}

impl Pending {
    fn keep(mut self) -> Result<(), CommandError> {
        std::fs::rename(&self.new, &self.path).map_err(|e| {
            CommandError::Usage(format!(
                "the hub took the new password, kept in {} ({e}): move it to {}",
                self.new.display(),
                self.path.display()
            ))
        })?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.new);
        }
    }
}

/// Write `password` beside `path` (`PATH.new`, mode 0600, synced), to be moved into place.
fn write_password(path: &Path, password: &str) -> Result<Pending, CommandError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    let new = PathBuf::from(name);
    let fail =
        |e: std::io::Error| CommandError::Usage(format!("--password-file {}: {e}", path.display()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&new)
        .map_err(fail)?;
    let pending = Pending {
        new,
        path: path.to_path_buf(),
        kept: false,
    };
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(fail)?;
    writeln!(f, "{password}").map_err(fail)?;
    f.sync_all().map_err(fail)?;
    Ok(pending)
}

/// One line for the person at the terminal (stderr: stdout holds only the result).
#[allow(clippy::print_stderr)]
fn say(line: &str) {
    eprintln!("camscan: {line}");
}

/// `camscan hub`'s: the hub's database, as every inventory command finds it.
fn of_hub(
    args: &HubDbArgs,
    file: &FileValues,
    env: &Environment,
) -> Result<Inventory, CommandError> {
    use store::settings::{DB, DB_PASSWORD_FILE};
    let given = args.settings.values()?;
    let db = super::inventory::db_path(given.get(&DB).as_deref(), file, env)?
        .ok_or(CommandError::NoLocation)?;
    Ok(super::inventory::inventory(
        db,
        given.get(&DB_PASSWORD_FILE),
        None,
        env,
    ))
}
