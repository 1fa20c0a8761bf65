//! The facts behind each check of `camscan doctor`, gathered from this machine: `/proc`, the
//! interfaces, the rlimit, `ffprobe -version`, the config file, the store (read-only), the serve
//! token file, and a TCP connect to each configured notification sink. Only the sink checks touch
//! a network, and only the hosts the user configured; the interface check lists, never sends.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::config_checks::config;
use super::parse::{self, FdVerdict};
use super::sinks::sink;
use super::store::{credential_key, outbox, postgres_store, serve_token, store};
use super::{Check, FileRead, Settings};

/// How long `ffprobe -version` may take: it prints a few lines and exits in milliseconds; a
/// wrapper script waiting on something else must not hold doctor up.
const FFPROBE_DEADLINE: Duration = Duration::from_secs(5);

/// Every check, in the order a user would fix things.
pub fn all(args: &Settings) -> Vec<Check> {
    let (config_check, file) = config(args.config.as_ref(), &args.file);
    let (interfaces_check, planned) = interfaces(&file);
    let mut out = vec![
        privileges(),
        container(&args.env),
        interfaces_check,
        multicast_route(&planned),
        neighbour_table(),
        open_files(&file),
        ffprobe(&file),
        config_check,
    ];
    let inventory = file.inventory;
    let db = inventory.as_ref().map(|i| i.at.clone());
    let mut sinks: Vec<String> = file.notify.clone();
    sinks.extend(args.notify.iter().cloned());
    let (store_check, inspection) = match &db {
        Some(store::InventoryAt::Postgres(url)) => postgres_store(url, inventory.as_ref()),
        Some(store::InventoryAt::File(path)) => store(Some(path)),
        None => store(None),
    };
    out.push(store_check);
    let sqlite = inventory.as_ref().and_then(|i| i.file());
    out.extend(sqlite.map(super::store::store_filesystem));
    if let Some(i) = &inspection {
        out.push(outbox(i, &sinks, file.outbox_cap));
        out.push(super::store::stream_paths(i));
    }
    out.push(credential_key(inventory.as_ref()));
    out.push(serve_token(inventory.as_ref()));
    out.extend(sinks.iter().map(|s| sink(s, &args.env)));
    out
}

/// Root, or `CAP_NET_RAW` in the effective set: raw ARP frames ([`net::packet`]).
fn privileges() -> Check {
    const NAME: &str = "privileges";
    let status = std::fs::read_to_string("/proc/self/status").ok();
    let euid = status.as_deref().and_then(parse::euid);
    let eff = status.as_deref().and_then(parse::cap_eff);
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "/usr/local/bin/camscan".into());
    let setcap = format!("sudo setcap cap_net_raw+ep {exe}");
    if euid == Some(0) {
        return Check::pass(NAME, "running as root: raw ARP and multicast available");
    }
    match eff {
        Some(mask) if parse::has_cap(mask, parse::CAP_NET_RAW) => Check::pass(
            NAME,
            format!(
                "CAP_NET_RAW in the effective set{}: raw ARP available",
                if parse::has_cap(mask, parse::CAP_NET_ADMIN) {
                    " (and CAP_NET_ADMIN)"
                } else {
                    ""
                }
            ),
        ),
        Some(_) => Check::warn(
            NAME,
            "not root and no CAP_NET_RAW: ARP liveness falls back to a UDP poke and the kernel \
             neighbour table, which misses hosts that answer nothing; multicast discovery works",
            setcap,
        ),
        None => Check::warn(
            NAME,
            "cannot read CapEff from /proc/self/status: privileges unknown",
            setcap,
        ),
    }
}

/// Where camscan runs, as the scan plan judges it ([`net::host::warnings`]: a container on a
/// bridge network, Docker Desktop, WSL 2). Reads local files only.
fn container(env: &input::environment::Environment) -> Check {
    const NAME: &str = "container";
    let locals = net::interfaces::list().unwrap_or_default();
    let markers = env.var(net::host::MARKERS_ENV).map(net::host::markers_from);
    let facts = net::host::HostFacts::gather(&locals, markers.as_deref());
    let warnings = net::host::warnings(&facts, &locals);
    if warnings.is_empty() {
        return Check::pass(
            NAME,
            match net::host::container(&facts) {
                Some(why) => format!(
                    "in a container ({why}) on the host's network: discovery reaches the LAN"
                ),
                None => "not in a container, nor in Docker Desktop's or WSL's VM".into(),
            },
        );
    }
    let detail: Vec<String> = warnings
        .iter()
        .map(|w| format!("{}: {}", w.code, w.message))
        .collect();
    let fix = if warnings.iter().any(|w| w.code == "container-bridge") {
        "run the container with --network host, or give the cameras' subnet as targets"
    } else {
        "give targets explicitly (camscan scan 192.168.1.0/24), or run camscan natively"
    };
    Check::warn(NAME, detail.join("; "), fix)
}

/// The subnets a scan without targets covers, as `camscan interfaces` plans them. Lists only.
fn interfaces(file: &FileRead) -> (Check, Vec<net::interfaces::LocalNet>) {
    use crate::discovery::targets::ALLOW_LARGE;
    use net::interfaces::INTERFACE;
    const NAME: &str = "interfaces";
    let nets = match net::interfaces::list() {
        Ok(n) => n,
        Err(e) => {
            return (
                Check::fail(
                    NAME,
                    format!("cannot list interfaces: {e}"),
                    "give targets explicitly (camscan scan 192.168.1.0/24)",
                ),
                Vec::new(),
            );
        }
    };
    let only = INTERFACE.in_file(&file.settings);
    let plan = net::interfaces::plan(nets, only.as_deref(), ALLOW_LARGE.in_file(&file.settings));
    let scanned: Vec<String> = plan
        .iter()
        .filter(|n| n.scan)
        .map(|n| format!("{} {}", n.interface, n.cidr()))
        .collect();
    let skipped: Vec<String> = plan
        .iter()
        .filter(|n| !n.scan && !n.loopback)
        .map(|n| {
            format!(
                "{} {} ({})",
                n.interface,
                n.cidr(),
                n.reason.as_deref().unwrap_or("")
            )
        })
        .collect();
    let skipped_note = if skipped.is_empty() {
        String::new()
    } else {
        format!("; not scanned: {}", skipped.join(", "))
    };
    let check = if scanned.is_empty() {
        Check::warn(
            NAME,
            format!("a scan without targets covers nothing{skipped_note}"),
            "give targets (camscan scan 192.168.1.0/24), or --allow-large / --interface NAME",
        )
    } else {
        Check::pass(
            NAME,
            format!(
                "a scan without targets covers {}{skipped_note}",
                scanned.join(", ")
            ),
        )
    };
    let planned = plan.into_iter().filter(|n| n.scan).collect();
    (check, planned)
}

/// A route for 224.0.0.0/4 (or the default route) on each interface a target-less scan uses:
/// without one, WS-Discovery, SSDP and mDNS queries have no way out.
fn multicast_route(planned: &[net::interfaces::LocalNet]) -> Check {
    const NAME: &str = "multicast_route";
    let text = match std::fs::read_to_string("/proc/net/route") {
        Ok(t) => t,
        Err(e) => {
            return Check::warn(
                NAME,
                format!("cannot read /proc/net/route: {e}"),
                "check `ip route` for 224.0.0.0/4 or a default route",
            );
        }
    };
    let routes = parse::routes(&text);
    let mut names: Vec<&str> = planned.iter().map(|n| n.interface.as_str()).collect();
    names.dedup();
    if names.is_empty() {
        return Check::warn(
            NAME,
            "no interface for multicast discovery (a scan without targets covers nothing)",
            "give targets, or --interface NAME",
        );
    }
    let mut have = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        match parse::multicast_route(&routes, name) {
            Some(r) if r.prefix == 0 => have.push(format!("{name} (default route)")),
            Some(r) => have.push(format!("{name} ({}/{})", r.destination, r.prefix)),
            None => missing.push(name),
        }
    }
    if missing.is_empty() {
        Check::pass(NAME, format!("multicast leaves by {}", have.join(", ")))
    } else {
        Check::warn(
            NAME,
            format!(
                "no route for 224.0.0.0/4 on {}: WS-Discovery, SSDP and mDNS may not leave by it",
                missing.join(", ")
            ),
            missing
                .iter()
                .map(|n| format!("sudo ip route add 224.0.0.0/4 dev {n}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

/// The kernel's neighbour table against the largest attached subnet: a scan reaching more hosts
/// of one than the table has room for finds it full ([`net::neigh`]), and waits it out.
fn neighbour_table() -> Check {
    const NAME: &str = "neighbour_table";
    let largest = net::interfaces::list()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| !n.loopback && n.mac.is_some())
        .map(|n| (1u64 << (32 - u32::from(n.prefix.min(32)))).saturating_sub(2))
        .max()
        .unwrap_or(0);
    let Some(limits) = net::neigh::limits() else {
        return Check::pass(
            NAME,
            format!(
                "the neighbour table's limit cannot be read here (a network namespace hides it; \
                 the kernel's default is {} entries for all namespaces together)",
                net::neigh::KERNEL_DEFAULT_THRESH3
            ),
        );
    };
    let (room, entries) = (limits.room(), limits.entries);
    let held = format!(
        "gc_thresh3 {}, {entries} entries in use, room for {room}",
        limits.thresh3
    );
    if largest > room {
        Check::warn(
            NAME,
            format!(
                "{held}: a scan of the largest attached subnet ({largest} addresses) may find it \
                 full and wait it out"
            ),
            format!("sudo {}", net::neigh::sysctl_line(largest, entries)),
        )
    } else {
        Check::pass(
            NAME,
            format!("{held}, enough for the largest attached subnet ({largest} addresses)"),
        )
    }
}

/// RLIMIT_NOFILE against the probe pool: a scan raises its soft limit to the hard one and sizes
/// the pool from it (`net::default_concurrency`).
fn open_files(file: &FileRead) -> Check {
    const NAME: &str = "open_files";
    let (soft, hard) = match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok(l) => l,
        Err(e) => {
            return Check::warn(
                NAME,
                format!("cannot read RLIMIT_NOFILE: {e}"),
                "check `ulimit -n` and `ulimit -Hn`",
            );
        }
    };
    let limits = format!("soft {soft}, hard {hard}");
    let raise = |n: u64| {
        format!(
            "raise the hard limit to {n} or more (`ulimit -Hn {n}` as root, or LimitNOFILE={n} in a systemd unit)"
        )
    };
    let concurrency = file
        .settings
        .get(crate::probe::CONCURRENCY.key)
        .and_then(|t| (crate::probe::CONCURRENCY.parse)(t).ok())
        .flatten();
    match parse::fd_verdict(hard, concurrency) {
        FdVerdict::Enough { concurrency } => Check::pass(
            NAME,
            format!("{limits}: a scan runs {concurrency} probes at once"),
        ),
        FdVerdict::Low {
            concurrency,
            hard_needed,
        } => Check::warn(
            NAME,
            format!(
                "{limits}: a scan runs {concurrency} probes at once, fewer than its {} default",
                net::MAX_DEFAULT_CONCURRENCY
            ),
            raise(hard_needed),
        ),
        FdVerdict::Clamped {
            asked,
            concurrency,
            hard_needed,
        } => Check::warn(
            NAME,
            format!("{limits}: concurrency {asked} does not fit; a scan uses {concurrency}"),
            raise(hard_needed),
        ),
    }
}

/// `ffprobe -version` under a deadline: the config's `ffprobe:` path, else `ffprobe` from PATH.
/// Missing is a warning (it is optional, off by default) unless the config turns it on.
fn ffprobe(file: &FileRead) -> Check {
    const NAME: &str = "ffprobe";
    let configured = file.ffprobe.is_some();
    let program = file
        .ffprobe
        .clone()
        .unwrap_or_else(|| PathBuf::from("ffprobe"));
    let shown = program.display().to_string();
    let missing = |detail: String| {
        let fix = "install it (apt install ffmpeg) or give its path (--ffprobe PATH)";
        if configured {
            Check::fail(NAME, detail, fix)
        } else {
            Check::warn(
                NAME,
                format!("{detail}; --ffprobe cannot fill what camscan's own analysis leaves empty"),
                fix,
            )
        }
    };
    match run_with_deadline(&program, &["-version"], FFPROBE_DEADLINE) {
        Ok((true, out)) => match parse::ffprobe_version(&out) {
            Some(v) => Check::pass(NAME, format!("{shown}: version {v}")),
            None => missing(format!("{shown}: -version printed no ffprobe version")),
        },
        Ok((false, _)) => missing(format!("{shown} -version failed")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            missing(format!("{shown}: not found"))
        }
        Err(e) => missing(format!("{shown}: {e}")),
    }
}

/// Run `program args` with stdin closed and stderr discarded; its success and stdout, or an error
/// when it cannot start or is still running at `deadline` (then killed and reaped).
fn run_with_deadline(
    program: &Path,
    args: &[&str],
    deadline: Duration,
) -> std::io::Result<(bool, String)> {
    use std::io::Read;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdout = child.stdout.take();
    // Read on a thread, so a chatty program cannot block on a full pipe while we wait for it.
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(out) = stdout.as_mut() {
            let _ = out.take(64 * 1024).read_to_string(&mut s);
        }
        s
    });
    let until = Instant::now() + deadline;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= until {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {}", error::fmt_duration(deadline)),
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let out = reader.join().unwrap_or_default();
    Ok((status.success(), out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    /// The config check with the entrance's reader (the scan's own resolution of the values),
    /// as the command hands it.
    fn config(path: Option<&Path>) -> (Check, FileRead) {
        let given = path.map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| e.to_string());
            (p.to_path_buf(), text)
        });
        let reader = crate::cmds::doctor::file_reader(|_| Ok(None));
        super::config(given.as_ref(), &reader)
    }

    #[test]
    fn config_names_every_unknown_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        std::fs::write(
            &path,
            "prots: 554\nports: 80,554\nwatch:\n  evry: 15m\n  notify: [stdout]\n",
        )
        .unwrap();
        let (c, file) = config(Some(&path));
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail.contains("`prots` (did you mean `ports`?)")
                && c.detail
                    .contains("`watch.evry` (did you mean `watch.every`?)"),
            "{}",
            c.detail
        );
        // What is known still counts for the other checks.
        assert!(file.settings.contains_key("ports"));
        assert_eq!(file.notify, ["stdout"]);
    }

    /// The sinks' own options are `watch:` keys it knows (and suggests), read as a scan reads them.
    #[test]
    fn config_knows_the_sink_options_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        let mut text = String::from("watch:\n");
        for o in crate::notify::options::sink_options() {
            let value = if o.value_name().is_empty() {
                "true"
            } else {
                "x"
            };
            text.push_str(&format!("  {}: {value}\n", o.key()));
        }
        std::fs::write(&path, &text).unwrap();
        let (c, _) = config(Some(&path));
        assert_eq!(c.status, Status::Pass, "{}", c.detail);
        std::fs::write(&path, "watch:\n  ha_discovry: true\n").unwrap();
        let (c, _) = config(Some(&path));
        assert!(
            c.detail
                .contains("`watch.ha_discovry` (did you mean `watch.ha_discovery`?)"),
            "{}",
            c.detail
        );
    }

    #[test]
    fn config_values_and_sinks_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        std::fs::write(&path, "ports: 99999\n").unwrap();
        assert_eq!(config(Some(&path)).0.status, Status::Fail);
        std::fs::write(&path, "watch:\n  notify: [pager=1]\n").unwrap();
        let (c, _) = config(Some(&path));
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("pager"), "{}", c.detail);
        std::fs::write(&path, "ports: [554]\nwatch:\n  notify: [stdout]\n").unwrap();
        assert_eq!(config(Some(&path)).0.status, Status::Pass);
        std::fs::write(&path, "ports: [554\n").unwrap();
        assert_eq!(config(Some(&path)).0.status, Status::Fail);
        // A bare number is one port, as `-p 554` is: a scan takes it, and so does doctor.
        std::fs::write(&path, "ports: 554\n").unwrap();
        assert_eq!(config(Some(&path)).0.status, Status::Pass);
        assert_eq!(config(None).0.status, Status::Pass);
    }

    #[test]
    fn exec_sinks_need_a_program() {
        let env = input::environment::Environment::from_vars([("PATH", "/usr/bin:/bin")]);
        let sink = |s: &str| sink(s, &env);
        assert_eq!(sink("exec=sh -c 'true'").status, Status::Pass);
        let c = sink("exec=/nonexistent/camscan-hook --x");
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("not found"), "{}", c.detail);
        assert_eq!(sink("exec='unbalanced").status, Status::Fail);
        assert_eq!(sink("stdout").status, Status::Pass);
        assert_eq!(sink("carrier-pigeon=1").status, Status::Fail);
    }

    #[test]
    fn a_program_past_its_deadline_is_killed() {
        let r = run_with_deadline(Path::new("sleep"), &["10"], Duration::from_millis(100));
        assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
        let (ok, out) =
            run_with_deadline(Path::new("echo"), &["hello"], Duration::from_secs(5)).unwrap();
        assert!(ok);
        assert_eq!(out, "hello\n");
    }
}
