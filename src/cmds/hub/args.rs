//! `camscan hub`'s arguments: the fleet hub's site administration (add, list, rotate, forget and
//! remove sites).

use clap::{Args, Subcommand};

use crate::cli::{SettingArgs, SettingList};

/// `camscan hub`.
#[derive(Debug, Args)]
pub struct HubArgs {
    #[command(subcommand)]
    pub command: HubCommand,
}

/// What `camscan hub` does.
#[derive(Debug, Subcommand)]
pub enum HubCommand {
    /// Add a site: a login role for its agent with exactly the grants it needs, held by
    /// row-level security to the site's own rows and scan requests. Prints the agent's hub URL
    /// (no password) on stdout and writes the password to --password-file (mode 0600). A site
    /// that exists with a login gets a new password (as rotate-site).
    AddSite(HubAddSiteArgs),
    /// List the sites: login role, the inventory each name is bound to, last contact, cursor.
    ListSites(HubListArgs),
    /// Give a site's login a new password (written to --password-file, 0600); the old one stops
    /// working at once.
    RotateSite(HubRotateArgs),
    /// Remove every row the hub holds of a site and unbind its name, so that another inventory
    /// (a site box rebuilt, its inventory made again) may send it from the start. The login
    /// stays.
    ForgetSite(HubSiteArgs),
    /// Remove a site: its rows, its name and its login role.
    RemoveSite(HubSiteArgs),
}

/// The hub's database's settings ([`store::site_admin::HUB_DB`]).
pub struct HubDb;

impl SettingList for HubDb {
    const LIST: &'static [&'static dyn input::setting::Declared] = store::site_admin::HUB_DB;
    const HELP: &'static [(&'static str, &'static str)] = store::site_admin::HUB_DB_HELP;
}

/// `hub add-site`'s settings ([`store::site_admin::ADD_SITE`]).
pub struct AddSite;

impl SettingList for AddSite {
    const LIST: &'static [&'static dyn input::setting::Declared] = store::site_admin::ADD_SITE;
    const REQUIRED: &'static [&'static str] = &["password_file"];
}

/// `hub rotate-site`'s settings ([`store::site_admin::ROTATE_SITE`]).
pub struct RotateSite;

impl SettingList for RotateSite {
    const LIST: &'static [&'static dyn input::setting::Declared] = store::site_admin::ROTATE_SITE;
    const HELP: &'static [(&'static str, &'static str)] =
        &[("password_file", "Write the new password here (mode 0600)")];
    const REQUIRED: &'static [&'static str] = &["password_file"];
}

/// The hub's database, with its owner's login.
#[derive(Debug, Args, Default, Clone)]
pub struct HubDbArgs {
    /// `--db`, `--db-password-file`.
    #[command(flatten)]
    pub settings: SettingArgs<HubDb>,
    #[command(flatten)]
    pub config: crate::cli::ConfigFile,
}

#[derive(Debug, Args)]
pub struct HubAddSiteArgs {
    #[command(flatten)]
    pub hub: HubDbArgs,
    /// The site's name, as its agent's --site gives it.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// `--password-file`, `--role`.
    #[command(flatten)]
    pub settings: SettingArgs<AddSite>,
}

#[derive(Debug, Args)]
pub struct HubRotateArgs {
    #[command(flatten)]
    pub hub: HubDbArgs,
    #[arg(value_name = "NAME")]
    pub name: String,
    /// `--password-file`.
    #[command(flatten)]
    pub settings: SettingArgs<RotateSite>,
}

#[derive(Debug, Args)]
pub struct HubSiteArgs {
    #[command(flatten)]
    pub hub: HubDbArgs,
    #[arg(value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct HubListArgs {
    #[command(flatten)]
    pub hub: HubDbArgs,
    /// `-f`.
    #[command(flatten)]
    pub format: SettingArgs<crate::cmds::inventory::Rows>,
}
