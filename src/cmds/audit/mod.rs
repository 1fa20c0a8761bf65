//! `camscan audit`: the plan is read first (a bad one stops here, before anything is sent); then
//! a scan runs and is recorded as `camscan scan` would record it (or, with `--from-db`, the
//! inventory's newest description of each device at the site is read and nothing is sent); the
//! devices are judged ([`crate::audit`]), the findings recorded in the inventory with their
//! `finding_new` / `finding_resolved` events (unless `--no-db`; see `record`) and the
//! result written (stdout or `-o`, atomically). The
//! exit code is the scan's (0 found, 1 nothing, 130/143 interrupted), or 4 with `--fail-on` when
//! a finding at or above it exists; an error is 2.

use std::path::Path;

use super::Cli;
use crate::audit::formats::AuditFormat;
use crate::audit::settings as set;
use crate::audit::thumbnail::{self, Pictures};
use crate::audit::{AuditReport, Context, plan};
use crate::record::CommandError;
use crate::record::ScanJob;
use error::{Error, exit};
use store::DeviceQuery;
use store::Inventory;

mod record;

/// audit's own settings ([`crate::audit::settings::SETTINGS`]).
pub struct Audit;

impl crate::cli::SettingList for Audit {
    const LIST: &'static [&'static dyn input::setting::Declared] = crate::audit::settings::SETTINGS;
}

/// `camscan audit`.
#[derive(Debug, clap::Args, Default)]
pub struct AuditArgs {
    #[command(flatten)]
    pub find: super::scan::FindArgs,
    /// `--from-db`, `--expect`, `-o`, `--ffmpeg`, `--no-thumbnails`, `--check-defaults`, `-f`,
    /// `--fail-on`.
    #[command(flatten)]
    pub settings: crate::cli::SettingArgs<Audit>,
    #[command(flatten)]
    pub table: super::TableWidth,
}

pub(super) fn run(args: &AuditArgs, cli: &Cli) -> Result<u8, CommandError> {
    let own = args.settings.values()?;
    let named_ffmpeg = own.get(&set::FFMPEG);
    let ffmpeg = find_ffmpeg(named_ffmpeg.as_deref(), &cli.env);
    refuse_conflicts(args, &own, ffmpeg.as_deref())?;
    let plan = own
        .get(&set::EXPECT)
        .as_deref()
        .map(read_plan)
        .transpose()?;
    let cfg = scan_config(args, cli)?;
    let output = own.get(&export::OUTPUT);
    let (from_db, check_defaults) = (own.get(&set::FROM_DB), own.get(&set::CHECK_DEFAULTS));
    let no_thumbnails = own.get(&set::NO_THUMBNAILS);
    if let Some(path) = &output {
        crate::scan::output::check_writable(path, cfg.db.as_ref().and_then(|i| i.file()))?;
    }
    let format = own.get(&crate::audit::formats::FORMAT);
    // The handover report's pictures, or why there are none.
    let mut pics: Result<Pictures, String> = Err(if no_thumbnails {
        "--no-thumbnails".into()
    } else {
        "--from-db judges the inventory without sending anything".into()
    });
    let mut coverage = crate::audit::resolve::Coverage {
        complete: true,
        ..Default::default()
    };
    let (report, source, code) = if from_db {
        // The inventory the scan settings resolved (`--db`, the file's `db:`, the default).
        let Some(db) = &cfg.db else {
            return Err(CommandError::NoLocation);
        };
        let report = from_inventory(db, &cfg.site)?;
        let code = if report.found_cameras() {
            exit::FOUND
        } else {
            exit::NOTHING
        };
        (report, "inventory", code)
    } else {
        let runtime = super::scan::knowledge_and_runtime(&cfg)?;
        // Audit's own questions, unless the scan was interrupted (the user wants out).
        let connect = cfg.scan.settings.get(&net::CONNECT_TIMEOUT);
        let step = cfg.scan.settings.get(&net::TIMEOUT);
        let ask = async |r: &mut model::Report, auth: &_| {
            use crate::audit::probe;
            if r.complete {
                probe::snmp(r, probe::SNMP_WAIT.min(step)).await;
                probe::tls_legacy(r, connect, step).await;
                if check_defaults {
                    probe::default_credentials(r, auth, &cfg.scan.settings).await;
                }
            }
        };
        let pictures_wanted = format == AuditFormat::Html && !no_thumbnails;
        let (scanned, got) = super::block_on(runtime, async {
            let scanned = super::scan::scan_recorded(&cfg, cli.quiet(), false, ask).await?;
            let got = if !pictures_wanted {
                Err("--no-thumbnails".to_string())
            } else if !scanned.report.complete {
                Err("the scan was interrupted".to_string())
            } else {
                Ok(pictures(&scanned.report, &cfg.scan.credentials, ffmpeg.clone()).await)
            };
            Ok::<_, CommandError>((scanned, got))
        })?;
        pics = got;
        let code = scanned.exit_code();
        let complete = scanned.report.complete && !matches!(code, exit::SIGINT | exit::SIGTERM);
        coverage = crate::audit::resolve::Coverage {
            complete,
            asked: complete,
            defaults: complete && check_defaults,
            ports: cfg
                .scan
                .discovery()
                .contains(&model::DiscoveryMethod::Port)
                .then(|| cfg.scan.ports.clone()),
            methods: cfg.scan.discovery(),
        };
        (scanned.report, "scan", code)
    };
    let ctx = Context {
        site: Some(cfg.site.clone()),
        now: jiff::Timestamp::now().as_second(),
    };
    let commissioning = plan
        .as_ref()
        .map(|p| plan::compare(p, &report.devices, ctx.site.as_deref()));
    let audit = AuditReport::new(report, source, &ctx, commissioning);
    write(
        &audit,
        (format, super::stdout_width(args.table.width()?, &cli.env)),
        pics.as_ref().map_err(String::as_str),
        output.as_deref(),
    )?;
    record_findings(&cfg, &audit, &coverage)?;
    let failed = own
        .get(&set::FAIL_ON)
        .is_some_and(|level| audit.fails_at(level));
    // An interrupted scan keeps its code: what it judged is incomplete.
    Ok(if failed && !matches!(code, exit::SIGINT | exit::SIGTERM) {
        exit::FINDINGS
    } else {
        code
    })
}

/// The scan configuration of `camscan audit`: the scan's own resolution of its flags and config
/// file, with the administration ports added. Their servers speak first, so after the connect
/// nothing is sent; they are not the user's: asked and judged, kept out of the inventory (no
/// `port_opened`).
fn scan_config(args: &AuditArgs, cli: &Cli) -> Result<ScanJob, Error> {
    let scan_args = super::scan::ScanArgs {
        find: args.find.clone(),
        out: Default::default(),
        push: Default::default(),
    };
    let process = cli.process();
    let password = super::scan::password_for(&scan_args, &process.env);
    let (mut cfg, _file) = super::scan::load_scan_job(&scan_args, &process, password.as_deref())?;
    for port in crate::audit::AUDIT_PORTS {
        if !cfg.scan.ports.contains(&port) {
            cfg.scan.ports.push(port);
            cfg.unrecorded_ports.push(port);
        }
    }
    Ok(cfg)
}

/// The flags that do not go together, refused before anything is read or sent; `ffmpeg`: the
/// program `--ffmpeg` named, found.
fn refuse_conflicts(
    args: &AuditArgs,
    own: &input::setting::Settings,
    ffmpeg: Option<&Path>,
) -> Result<(), CommandError> {
    let from_db = own.get(&set::FROM_DB);
    let targets_file = args.find.settings.0.contains_key("targets_file");
    if from_db && (!args.find.targets.is_empty() || targets_file) {
        return Err(CommandError::Usage(
            "--from-db judges the inventory at the site as it is; drop the targets (or drop \
             --from-db to scan them)"
                .into(),
        ));
    }
    if from_db && args.find.own.values()?.get(&store::settings::NO_DB) {
        return Err(CommandError::Usage(
            "--from-db reads the inventory: drop --no-db".into(),
        ));
    }
    if let Some(named) = &own.get(&set::FFMPEG)
        && ffmpeg.is_none()
    {
        return Err(CommandError::Usage(format!(
            "--ffmpeg {}: no such program (install Debian's ffmpeg, or drop --ffmpeg to use the \
             one in PATH)",
            named.display()
        )));
    }
    if from_db && own.get(&set::CHECK_DEFAULTS) {
        return Err(CommandError::Usage(
            "--from-db sends nothing: drop --check-defaults (or drop --from-db to scan)".into(),
        ));
    }
    Ok(())
}

/// The findings into the inventory (unless --no-db), with their events, once the result is
/// written.
fn record_findings(
    cfg: &ScanJob,
    audit: &AuditReport,
    coverage: &crate::audit::resolve::Coverage,
) -> Result<(), CommandError> {
    if let Some(mut store) = crate::record::open_for_scan(cfg)? {
        let r =
            record::record(&mut store, &cfg.site, audit, coverage).map_err(CommandError::Record)?;
        tracing::info!(
            new = r.new,
            resolved = r.resolved,
            open = r.open,
            complete = coverage.complete,
            "findings recorded in the inventory"
        );
    }
    Ok(())
}

/// The plan of `--expect`, its unread columns said on stderr.
fn read_plan(path: &Path) -> Result<plan::Plan, CommandError> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    let p = plan::parse(&text)
        .map_err(|e| CommandError::Usage(format!("the plan {}: {e}", path.display())))?;
    if !p.ignored_columns.is_empty() {
        tracing::warn!(
            plan = %path.display(),
            "columns not read: {} (camscan reads {})",
            p.ignored_columns.join(", "),
            plan::COLUMNS.join(",")
        );
    }
    Ok(p)
}

/// The inventory's newest description of each device at `site`, with which credential opened
/// which stream (as the scan's credential entries), for the rules that compare devices.
fn from_inventory(db: &Inventory, site: &str) -> Result<model::Report, CommandError> {
    let store = crate::record::open_existing(db)?;
    let q = DeviceQuery {
        site: Some(site.to_string()),
        ..DeviceQuery::default()
    };
    let mut report = store.inventory_report(&q)?;
    let groups = store.stream_credentials(Some(site))?;
    for d in &mut report.devices {
        // Both URLs are as the store keeps them: without credentials.
        for s in &mut d.streams {
            s.credential_entry = groups
                .iter()
                .find(|(_, u, _)| *u == s.url)
                .map(|(_, _, g)| *g);
        }
    }
    Ok(report)
}

/// ffmpeg as `--ffmpeg` names it (a path, or a name looked up in PATH), else `ffmpeg` from PATH
/// when it is installed.
fn find_ffmpeg(
    flag: Option<&Path>,
    env: &input::environment::Environment,
) -> Option<std::path::PathBuf> {
    let name = flag.map_or_else(|| "ffmpeg".into(), |p| p.to_string_lossy().into_owned());
    env.find_program(&name)
}

/// A picture of each camera of `report` for the handover report (a line on stderr first: it
/// takes a moment per camera).
async fn pictures(
    report: &model::Report,
    credentials: &[model::Credential],
    ffmpeg: Option<std::path::PathBuf>,
) -> Pictures {
    let cameras = report
        .devices
        .iter()
        .filter(|d| crate::audit::is_camera(d))
        .count();
    if cameras > 0 {
        tracing::info!(
            cameras,
            ffmpeg = %ffmpeg.as_deref().map_or("not installed".into(), |p| p.display().to_string()),
            "taking each camera's picture for the report (at most {} at once, {} each)",
            thumbnail::PARALLEL,
            error::fmt_duration(thumbnail::DEADLINE)
        );
    }
    let started = std::time::Instant::now();
    let got = thumbnail::gather(&report.devices, credentials, ffmpeg.as_deref()).await;
    tracing::info!(
        pictures = got.values().filter(|p| p.is_ok()).count(),
        of = got.len(),
        "pictures taken in {}",
        error::fmt_duration(started.elapsed())
    );
    got
}

fn write(
    audit: &AuditReport,
    (format, width): (AuditFormat, Option<u16>),
    pictures: Result<&Pictures, &str>,
    output: Option<&Path>,
) -> Result<(), CommandError> {
    let fill = |out: &mut dyn std::io::Write| {
        crate::audit::formats::write(audit, (format, width), pictures, out)
    };
    match output {
        Some(path) => crate::scan::output::write_atomically(path, fill).map_err(|source| {
            Error::WriteOutput {
                path: path.to_path_buf(),
                source,
            }
            .into()
        }),
        None => super::write_stdout(fill),
    }
}
