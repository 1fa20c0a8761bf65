//! `camscan watch --write FORMAT=FILE` (config `watch.write:`): exports that follow the cameras.
//!
//! After each scan round the inventory is rendered as `camscan serve` renders
//! `GET /api/v1/export/{format}` (the same document: [`crate::store::Store::inventory_report`],
//! every device the inventory knows as its newest scan described it, URLs without credentials)
//! and each file is replaced when, and only when, its bytes differ from what is on disk:
//! a DHCP move, a stream gone or new, a device new or forgotten rewrites the go2rtc/Frigate/MediaMTX
//! file; a scan that found the same cameras does not.
//!
//! A scan measures what a stream sends (frame rate, bitrate, packets, first-packet time), and
//! those figures move a little each time on an unchanged camera. So the document is first
//! *steadied* against the one rendered last round ([`steady`]): a stream that differs from its
//! previous description only in those measures, its frame rate within the rule `camscan diff`
//! and watch's `stream_changed` use ([`crate::store::same_rate`]), keeps its previous
//! description; when nothing else changed either, the previous document (with its scan times)
//! is kept whole. Formats that print measures or the scan's times (table, json, csv, xml, yaml,
//! ndjson, ha-sheet) are then rewritten on a real change only, like the others.
//!
//! The configuration formats (go2rtc, frigate, mediamtx, ha-sheet) begin with a comment naming
//! the scan (`# go2rtc streams from camscan 0.1.0, scan started ...`): a file that differs from
//! the render only in that line is not rewritten either, so a restarted watch leaves an unchanged
//! configuration alone (json, yaml, xml print the scan's times as data: after a restart they are
//! rewritten once).
//!
//! A file is replaced atomically: a temporary file in the same directory, written, fsynced,
//! given the old file's permissions (0644 for a new one), renamed over the old one, the directory
//! fsynced. A write that fails is logged and tried again next round (the render still differs
//! from the disk); it never stops the watch.
//!
//! `--write-then COMMAND` runs once after a round that rewrote at least one file (to reload
//! Frigate, go2rtc or MediaMTX). As `exec=` sinks do ([`crate::notify`]'s exec), COMMAND is split
//! into words as a shell quotes them and run directly, with nothing from devices on its command
//! line: the files written are in `CAMSCAN_WRITTEN` (one path per line). Its stdout and stderr go
//! to camscan's stderr (stdout carries results only); it runs in a process group of its own,
//! within [`THEN_TIMEOUT`] (then killed); a failure is logged, not fatal, and not retried (the
//! next rewrite runs it again).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::ValueEnum;

use crate::export::{ExportOptions, Format, exporter};
use crate::model::{Report, Stream};
use crate::notify::with_store;
use crate::store::{DeviceQuery, Store};

/// `--write-then`'s deadline: a reload (`docker restart frigate`, `systemctl reload go2rtc`,
/// a `curl` to MediaMTX's API) takes seconds; the same 30 s as an `exec=` sink.
pub const THEN_TIMEOUT: Duration = crate::notify::exec::TIMEOUT;

/// One `--write FORMAT=FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteSpec {
    pub format: Format,
    pub path: PathBuf,
}

impl std::str::FromStr for WriteSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<WriteSpec, String> {
        let names = || {
            Format::value_variants()
                .iter()
                .filter_map(|f| f.to_possible_value())
                .map(|v| v.get_name().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some((name, path)) = s.split_once('=') else {
            return Err(format!("{s}: FORMAT=FILE (FORMAT one of {})", names()));
        };
        let format = Format::from_str(name.trim(), true)
            .map_err(|_| format!("{s}: no format {name:?} (one of {})", names()))?;
        if path.is_empty() {
            return Err(format!("{s}: no FILE after ="));
        }
        Ok(WriteSpec {
            format,
            path: PathBuf::from(path),
        })
    }
}

/// The files a watcher keeps, the command run after a rewrite, and the document last rendered.
pub struct Writer {
    specs: Vec<WriteSpec>,
    then: Option<Vec<String>>,
    last: Option<Report>,
}

impl Writer {
    /// `None` when there is nothing to write; an error for a `--write-then` that cannot be split.
    pub fn new(specs: &[WriteSpec], then: Option<&str>) -> Result<Option<Writer>, String> {
        if specs.is_empty() {
            if then.is_some() {
                return Err("--write-then: without --write there is nothing to follow".into());
            }
            return Ok(None);
        }
        let then = then
            .map(|c| {
                let argv = shell_words::split(c).map_err(|e| format!("--write-then `{c}`: {e}"))?;
                if argv.is_empty() {
                    return Err(format!("--write-then `{c}`: no command"));
                }
                Ok(argv)
            })
            .transpose()?;
        Ok(Some(Writer {
            specs: specs.to_vec(),
            then,
            last: None,
        }))
    }

    /// After a scan round: render, replace the files whose bytes changed, run `--write-then`.
    pub async fn round(&mut self, store: &Arc<Mutex<Store>>) {
        let report = match with_store(store, |s| s.inventory_report(&DeviceQuery::default())).await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("watch --write: reading the inventory: {e}");
                return;
            }
        };
        let report = match self.last.take() {
            Some(prev) => steady(prev, report),
            None => report,
        };
        let specs = self.specs.clone();
        // Rendering and writing thousands of devices is blocking work: off the async workers.
        let job = tokio::task::spawn_blocking(move || {
            let written: Vec<PathBuf> = specs
                .iter()
                .filter_map(|spec| match render_and_write(spec, &report) {
                    Ok(true) => Some(spec.path.clone()),
                    Ok(false) => None,
                    Err(e) => {
                        tracing::error!(file = %spec.path.display(),
                            "watch --write: {e} (tried again next round)");
                        None
                    }
                })
                .collect();
            (report, written)
        });
        let (report, written) = match job.await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("watch --write: {e}");
                return;
            }
        };
        self.last = Some(report);
        for path in &written {
            tracing::info!(file = %path.display(), "watch --write: rewritten");
        }
        if let (Some(argv), false) = (&self.then, written.is_empty()) {
            run_then(argv, &written).await;
        }
    }
}

fn render_and_write(spec: &WriteSpec, report: &Report) -> Result<bool, String> {
    let mut bytes = Vec::new();
    exporter(spec.format, ExportOptions::default())
        .write(report, &mut bytes)
        .map_err(|e| format!("rendering: {e}"))?;
    let stamped = matches!(
        spec.format,
        Format::Go2rtc | Format::Frigate | Format::Mediamtx | Format::HaSheet
    );
    replace_if_changed(&spec.path, &bytes, stamped).map_err(|e| e.to_string())
}

/// The bytes after the first line when it is the header the configuration exports begin with
/// (`# go2rtc streams from camscan 0.1.0, scan started 2026-11-23T22:38:48.298Z.`: the
/// export module's `config_header`), which names the scan and so changes with every round.
fn without_stamp(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == b'\n') {
        Some(end)
            if b.starts_with(b"# ")
                && b[..end]
                    .windows(b" from camscan ".len())
                    .any(|w| w == b" from camscan ") =>
        {
            &b[end + 1..]
        }
        _ => b,
    }
}

/// `now`, with each stream that only re-measured the same thing given its `prev` description;
/// `prev` itself (scan times included) when nothing else differs.
pub(crate) fn steady(prev: Report, mut now: Report) -> Report {
    for d in &mut now.devices {
        let Some(p) = prev.devices.iter().find(|p| p.ip == d.ip) else {
            continue;
        };
        for s in &mut d.streams {
            if let Some(ps) = p.streams.iter().find(|ps| ps.url == s.url)
                && same_stream(ps, s)
            {
                *s = ps.clone();
            }
        }
    }
    if now.devices == prev.devices && now.targets == prev.targets {
        prev
    } else {
        now
    }
}

/// The same stream but for what a PLAY check measures and the frame rate's jitter.
fn same_stream(a: &Stream, b: &Stream) -> bool {
    let rate = |s: &Stream| s.video.as_ref().and_then(|v| v.fps);
    let rates = match (rate(a), rate(b)) {
        (Some(x), Some(y)) => crate::store::same_rate(x, y),
        (x, y) => x == y,
    };
    let bare = |s: &Stream| {
        let mut s = s.clone();
        s.measured = None;
        if let Some(v) = &mut s.video {
            v.fps = None;
            v.bitrate_kbps = None;
        }
        s
    };
    rates && bare(a) == bare(b)
}

/// Replace `path` with `bytes` atomically unless it holds them already (`stamped`: but for a
/// first line that names the scan, so a restarted watch does not rewrite an unchanged
/// configuration); `true` when written.
pub(crate) fn replace_if_changed(
    path: &Path,
    bytes: &[u8],
    stamped: bool,
) -> std::io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    let old_mode = match std::fs::read(path) {
        Ok(old) if old == bytes => return Ok(false),
        Ok(old) if stamped && without_stamp(&old) == without_stamp(bytes) => return Ok(false),
        Ok(_) => std::fs::metadata(path).ok().map(|m| m.permissions().mode()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.camscan-{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.set_permissions(std::fs::Permissions::from_mode(
            old_mode.unwrap_or(0o644) & 0o7777,
        ))?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // The rename is durable once the directory is.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(true)
}

/// Run `--write-then` once, bounded; its failure is logged.
async fn run_then(argv: &[String], written: &[PathBuf]) {
    let program = &argv[0];
    let list: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    let to_stderr = || {
        use std::os::fd::AsFd;
        std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::null())
    };
    let child = tokio::process::Command::new(program)
        .args(&argv[1..])
        .env("CAMSCAN_WRITTEN", list.join("\n"))
        .stdin(Stdio::null())
        .stdout(to_stderr())
        .stderr(to_stderr())
        .process_group(0)
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("watch --write-then {program}: cannot run: {e}");
            return;
        }
    };
    match tokio::time::timeout(THEN_TIMEOUT, child.wait()).await {
        Ok(Ok(s)) if s.success() => tracing::info!("watch --write-then {program}: done"),
        Ok(Ok(s)) => tracing::error!("watch --write-then {program}: {s}"),
        Ok(Err(e)) => tracing::error!("watch --write-then {program}: {e}"),
        Err(_) => {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(1), child.wait()).await;
            tracing::error!(
                "watch --write-then {program}: still running after {}; killed",
                crate::error::fmt_duration(THEN_TIMEOUT)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Device, Protocol, VideoInfo};

    #[test]
    fn specs_parse() {
        let s: WriteSpec = "go2rtc=/etc/go2rtc/cams.yaml".parse().unwrap();
        assert_eq!(s.format, Format::Go2rtc);
        assert_eq!(s.path, PathBuf::from("/etc/go2rtc/cams.yaml"));
        assert_eq!(
            "ha-sheet=x".parse::<WriteSpec>().unwrap().format,
            Format::HaSheet
        );
        for bad in ["go2rtc", "nope=x", "json="] {
            assert!(bad.parse::<WriteSpec>().is_err(), "{bad}");
        }
        assert!(Writer::new(&[], Some("true")).is_err());
        assert!(Writer::new(std::slice::from_ref(&s), Some("'x")).is_err());
        assert!(Writer::new(&[], None).unwrap().is_none());
    }

    fn report(at: &str, fps: f64, size: u32) -> Report {
        let mut s = Stream::new("http://10.0.0.5/mjpg".into(), Protocol::Mjpeg, 80);
        let mut v = VideoInfo::new("mjpeg".into());
        v.width = Some(size);
        v.fps = Some(fps);
        s.video = Some(v);
        let mut d = Device::new("10.0.0.5".parse().unwrap());
        d.streams.push(s);
        Report {
            schema_version: 1,
            camscan_version: "0".into(),
            started_at: at.into(),
            finished_at: at.into(),
            complete: true,
            targets: vec!["10.0.0.0/24".into()],
            devices: vec![d],
        }
    }

    #[test]
    fn a_rate_that_jitters_keeps_the_previous_document_and_a_real_change_does_not() {
        let prev = report("1", 4.97, 320);
        assert_eq!(steady(prev.clone(), report("2", 5.01, 320)), prev);
        let moved = steady(prev.clone(), report("2", 15.0, 320));
        assert_eq!(moved, report("2", 15.0, 320));
        let bigger = steady(prev, report("2", 5.01, 640));
        assert_eq!(bigger, report("2", 5.01, 640));
    }

    #[test]
    fn a_file_is_replaced_only_when_its_bytes_change_and_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("go2rtc.yaml");
        assert!(replace_if_changed(&path, b"a\n", false).unwrap());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o644);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(!replace_if_changed(&path, b"a\n", false).unwrap());
        assert!(replace_if_changed(&path, b"b\n", false).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"b\n");
        assert_eq!(mode(&path), 0o600);
        // A configuration's header names the scan: a new scan of the same cameras is no change.
        let conf = dir.path().join("c.yaml");
        let at = |t: &str, body: &str| {
            format!("# go2rtc streams from camscan 0.1.0, scan started {t}.\n{body}")
        };
        assert!(replace_if_changed(&conf, at("1", "streams: {}\n").as_bytes(), true).unwrap());
        assert!(!replace_if_changed(&conf, at("2", "streams: {}\n").as_bytes(), true).unwrap());
        assert!(replace_if_changed(&conf, at("2", "streams: {}\n").as_bytes(), false).unwrap());
        assert!(replace_if_changed(&conf, at("3", "streams:\n  a: x\n").as_bytes(), true).unwrap());
        std::fs::remove_file(&conf).unwrap();
        // No temporary file left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A directory that does not exist is an error, not a panic.
        assert!(replace_if_changed(&dir.path().join("no/such/f"), b"x", false).is_err());
    }
}
