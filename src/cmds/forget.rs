//! `camscan forget DEVICE`: remove a device and its history from the inventory, saying what
//! becomes of the entries camscan wrote for it in other tools (left there: `push --prune` removes
//! them).

use crate::record::CommandError;
use clap::Args;
use error::exit;
use input::environment::Environment;
use store::PushedAs;

use super::query::{open, unknown_device};
use super::write_stdout;

#[derive(Debug, Args, Default)]
pub struct ForgetArgs {
    #[command(flatten)]
    pub store: super::inventory::DbArgs,
    /// The device: id, address or MAC.
    #[arg(value_name = "DEVICE")]
    pub device: String,
}

pub(super) fn run(args: &ForgetArgs, env: &Environment) -> Result<u8, CommandError> {
    let mut store = open(&args.store, env)?;
    let site = args.store.site()?;
    let pushed = store.pushed_for(&args.device, site.as_deref())?;
    let n = store.forget(&args.device, site.as_deref())?;
    if n == 0 {
        unknown_device(&args.device);
        return Ok(exit::NOTHING);
    }
    write_stdout(|out| {
        writeln!(out, "Forgot {n} device(s) matching {:?}.", args.device)?;
        for line in left_in_tools(&pushed) {
            writeln!(out, "{line}")?;
        }
        Ok(())
    })?;
    Ok(exit::FOUND)
}

/// What `forget` and `prune` say of the entries camscan wrote for the devices they removed: each
/// tool's entries left as they are, and the push that removes them. Device ids are never
/// given twice, so no later camera takes these entries over: one that comes back is a new
/// device, and added anew.
pub(super) fn left_in_tools(pushed: &[PushedAs]) -> Vec<String> {
    let mut by_tool: std::collections::BTreeMap<(&str, &str), Vec<&str>> = Default::default();
    for p in pushed {
        by_tool
            .entry((p.tool.as_str(), p.target.as_str()))
            .or_default()
            .push(p.name.as_str());
    }
    by_tool
        .into_iter()
        .map(|((tool, target), names)| {
            let names: Vec<String> = names
                .iter()
                .map(|n| sanitize::terminal(n).into_owned())
                .collect();
            format!(
                "Left in {tool} at {target}: {} (camscan pushed it there; `camscan push {tool} \
                 {target} --prune` removes it, a person may keep it).",
                names.join(", ")
            )
        })
        .collect()
}
