//! `camscan serve`'s settings: the inventory served, the listener and its guard, what API scans
//! run with (the config file's scan settings, as `camscan scan --config` reads them, recorded at
//! the served inventory's site) and the watcher in this process; one read of the config file.

use super::Process;
use crate::cli::{FindArgs, ScanArgs, ScanOutputArgs, ServeArgs, WatchArgs};
use crate::record::CommandError;
use crate::serve::Settings;
use crate::store::Inventory;
use crate::watch::WatchConfig;

use super::config_file;
use super::scan::resolve_scan_config;

/// `camscan serve`'s settings, and its watcher's (`None`: no schedule).
pub fn serve(
    args: &ServeArgs,
    process: &Process,
) -> Result<(Settings, Option<WatchConfig>), CommandError> {
    let file = config_file(args.store.config.path.as_deref())?;
    let inventory = Inventory::resolve(&args.store, &file, &process.env)?;
    // The scan's own flags that serve has, over the file: where scans are recorded (the served
    // inventory, at its site), `--credentials` and the fleet's hub.
    let scan_args = ScanArgs {
        find: FindArgs {
            credentials: args.credentials.clone(),
            hub: args.hub.clone(),
            hub_password_file: args.hub_password_file.clone(),
            store: args.store.clone(),
            ..FindArgs::default()
        },
        out: ScanOutputArgs {
            format_options: args.format_options.clone(),
            ..ScanOutputArgs::default()
        },
        push: Default::default(),
    };
    // Its inventory is `inventory`: the same flags and file, resolved by the same rules.
    let scan = resolve_scan_config(&scan_args, &file, process)?;
    let watch_file = file.watch.clone().unwrap_or_default();
    let watching = args.every.is_some()
        || args.cron.is_some()
        || args.check_streams.is_some()
        || watch_file.every.is_some()
        || watch_file.cron.is_some()
        || watch_file.check_streams.is_some();
    let watch = if watching {
        let wa = WatchArgs {
            every: args.every.clone(),
            cron: args.cron.clone(),
            check_streams: args.check_streams.clone(),
            ..WatchArgs::default()
        };
        Some(WatchConfig::resolve(&wa, &watch_file, &process.env).map_err(CommandError::Usage)?)
    } else {
        None
    };
    let pushes = args
        .push
        .iter()
        .map(|spec| {
            let target = crate::push::Target::parse(spec).map_err(CommandError::Usage)?;
            Ok(super::push(
                target,
                &args.push_options,
                scan.credentials.clone(),
                &scan.format_options,
                false,
                &process.env,
            )?)
        })
        .collect::<Result<Vec<_>, CommandError>>()?;
    let settings = Settings {
        inventory,
        listen: args.listen,
        auth: args.auth,
        tls_cert: args.tls_cert.clone(),
        tls_key: args.tls_key.clone(),
        no_preview: args.no_preview,
        scan,
        allow_targets: args.allow_targets.clone(),
        scan_credentials: args.scan_credentials.clone(),
        pushes,
    };
    Ok((settings, watch))
}

/// The inventory whose server's token `camscan serve --print-token` prints.
pub fn serve_inventory(args: &ServeArgs, process: &Process) -> Result<Inventory, CommandError> {
    Inventory::resolve(
        &args.store,
        &config_file(args.store.config.path.as_deref())?,
        &process.env,
    )
}
