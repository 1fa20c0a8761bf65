//! `camscan watch --write FORMAT=FILE` (config `watch.write:`): exports that follow the cameras.
//!
//! After each scan round the inventory is rendered as `camscan serve` renders
//! `GET /api/v1/export/{format}` (the same document: [`store::Store::inventory_report`],
//! every device the inventory knows as its newest scan described it, URLs without credentials)
//! and each file is replaced when, and only when, its bytes differ from what is on disk:
//! a DHCP move, a stream gone or new, a device new or forgotten rewrites the go2rtc/Frigate/MediaMTX
//! file; a scan that found the same cameras does not.
//!
//! A scan measures what a stream sends (frame rate, bitrate, packets, first-packet time), and
//! those figures move a little each time on an unchanged camera. So the document is first
//! *steadied* against the one rendered last round ([`steady`]): a stream that differs from its
//! previous description only in those measures, its frame rate within the rule `camscan diff`
//! and watch's `stream_changed` use ([`store::same_rate`]), keeps its previous
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
//! A file is replaced atomically, as `camscan scan -o FILE` writes its output
//! ([`crate::scan::output::AtomicFile`]): a temporary file in the same directory, given the old
//! file's permissions (a new one the umask's), fsynced, renamed over the old one, the directory
//! fsynced. A write that fails is logged and tried again next round (the render still differs
//! from the disk); it never stops the watch.
//!
//! `--write-then COMMAND` runs once after a round that rewrote at least one file (to reload
//! Frigate, go2rtc or MediaMTX), the way an `exec=` sink runs its command ([`Exec::run`]):
//! split into words as a shell quotes them and run directly, with nothing from devices on its
//! command line; the files written are in `CAMSCAN_WRITTEN` (one path per line). Its stdout is
//! discarded (camscan's stdout carries results only); it runs in a process group of its own,
//! within [`THEN_TIMEOUT`] (then killed and reaped); a failure is logged with the first line of
//! its stderr, not fatal, and not retried (the next rewrite runs it again).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::notify::exec::Exec;
use export::{ExportOptions, Format, exporter};
use input::choice::Choice;
use input::setting::Settings;
use model::{Report, Stream};
use store::DeviceQuery;
use store::SharedStore;

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
        let names = || export::names().join(", ");
        let Some((name, path)) = s.split_once('=') else {
            return Err(format!("{s}: FORMAT=FILE (FORMAT one of {})", names()));
        };
        let format = Format::from_choice(name.trim(), true)
            .ok_or_else(|| format!("{s}: no format {name:?} (one of {})", names()))?;
        if path.is_empty() {
            return Err(format!("{s}: no FILE after ="));
        }
        Ok(WriteSpec {
            format,
            path: PathBuf::from(path),
        })
    }
}

/// The files a watcher keeps, the formats' options they are rendered with, the command run
/// after a rewrite, and the document last rendered.
pub struct Writer {
    specs: Vec<WriteSpec>,
    options: ExportOptions,
    then: Option<Exec>,
    last: Option<Report>,
}

impl Writer {
    /// [`Writer::new`] for the watch `w` recording into `db`.
    pub fn of(
        w: &super::WatchConfig,
        formats: &Settings,
        db: &store::Inventory,
    ) -> Result<Option<Writer>, String> {
        Writer::new(&w.write, w.write_then.as_deref(), formats, db.file())
    }

    /// `None` when there is nothing to write; an error for a `--write-then` that cannot be split,
    /// or a file that is the inventory (`db`) or another SQLite database
    /// ([`crate::scan::output::check_writable`]). The files are rendered with `formats`, the
    /// watch's format options (`--frigate-restream`, config `frigate_restream:`, ...).
    pub fn new(
        specs: &[WriteSpec],
        then: Option<&str>,
        formats: &Settings,
        db: Option<&std::path::Path>,
    ) -> Result<Option<Writer>, String> {
        for spec in specs {
            crate::scan::output::check_writable(&spec.path, db)
                .map_err(|e| format!("--write: {e}"))?;
        }
        if specs.is_empty() {
            if then.is_some() {
                return Err("--write-then: without --write there is nothing to follow".into());
            }
            return Ok(None);
        }
        let then = then
            .map(|c| Exec::new(c, THEN_TIMEOUT).map_err(|e| format!("--write-then: {e}")))
            .transpose()?;
        Ok(Some(Writer {
            specs: specs.to_vec(),
            options: ExportOptions {
                formats: formats.clone(),
                ..ExportOptions::default()
            },
            then,
            last: None,
        }))
    }

    /// After a scan round: render, replace the files whose bytes changed, run `--write-then`.
    pub async fn round(&mut self, store: &SharedStore) {
        let report = match store
            .run(|s| s.inventory_report(&DeviceQuery::default()))
            .await
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
        let (specs, options) = (self.specs.clone(), self.options.clone());
        // Rendering and writing thousands of devices is blocking work: off the async workers.
        let job = tokio::task::spawn_blocking(move || {
            let written: Vec<PathBuf> = specs
                .iter()
                .filter_map(|spec| match render_and_write(spec, &report, &options) {
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
        if let (Some(then), false) = (&self.then, written.is_empty()) {
            let list: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            match then.run(&[("CAMSCAN_WRITTEN", list.join("\n"))], b"").await {
                Ok(()) => tracing::info!("watch --write-then: done"),
                Err(e) => tracing::error!("watch --write-then: {e}"),
            }
        }
    }
}

fn render_and_write(
    spec: &WriteSpec,
    report: &Report,
    options: &ExportOptions,
) -> Result<bool, String> {
    let mut bytes = Vec::new();
    exporter(spec.format, options.clone())
        .write(report, &mut bytes)
        .map_err(|e| format!("rendering: {e}"))?;
    replace_if_changed(&spec.path, &bytes, spec.format.def().stamped).map_err(|e| e.to_string())
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
        // The roles' reasons name the streams' rates: from the streams kept.
        model::roles::derive(d);
        // How a port's paths were walked is this scan's account, like a stream's measures: a
        // rescan that found the same paths by what worked last time tells it differently.
        for s in &mut d.services {
            if let Some(ps) = p
                .services
                .iter()
                .find(|ps| ps.port == s.port && ps.protocol == s.protocol)
                && same_service(ps, s)
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

/// The same service but for the account of its path walk (and the reason line it gives when no
/// path served, which counts the paths asked, or that a rescan did not walk it).
fn same_service(a: &model::Service, b: &model::Service) -> bool {
    let bare = |s: &model::Service| {
        let mut s = s.clone();
        s.path_walk = None;
        if s.note.as_deref().is_some_and(|n| {
            n.starts_with("no stream path found") || n == analyze::rtsp::NOT_WALKED
        }) {
            s.note = None;
        }
        s
    };
    bare(a) == bare(b)
}

/// The same stream but for what a PLAY check measures and the frame rate's jitter.
fn same_stream(a: &Stream, b: &Stream) -> bool {
    let rate = |s: &Stream| s.video.as_ref().and_then(|v| v.fps);
    let rates = match (rate(a), rate(b)) {
        (Some(x), Some(y)) => store::same_rate(x, y),
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
    match std::fs::read(path) {
        Ok(old) if old == bytes => return Ok(false),
        Ok(old) if stamped && without_stamp(&old) == without_stamp(bytes) => return Ok(false),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    crate::scan::output::write_atomically(path, |w| w.write_all(bytes))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Device, Protocol, VideoInfo};

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
        assert!(Writer::new(&[], Some("true"), &Settings::default(), None).is_err());
        assert!(
            Writer::new(
                std::slice::from_ref(&s),
                Some("'x"),
                &Settings::default(),
                None
            )
            .is_err()
        );
        assert!(
            Writer::new(&[], None, &Settings::default(), None)
                .unwrap()
                .is_none()
        );
    }

    fn report(at: &str, fps: f64, size: u32) -> Report {
        let mut s = Stream::new("http://10.0.0.5/mjpg".into(), Protocol::Mjpeg, 80);
        let mut v = VideoInfo::new("mjpeg".into());
        v.width = Some(size);
        v.fps = Some(fps);
        s.video = Some(v);
        let mut d = Device::new("10.0.0.5".parse().unwrap());
        d.streams.push(s);
        // As the registry ends a scan: the roles' reasons name the rate.
        model::roles::derive(&mut d);
        Report {
            schema_version: 1,
            camscan_version: "0".into(),
            started_at: at.into(),
            finished_at: at.into(),
            complete: true,
            targets: vec!["10.0.0.0/24".into()],
            plan: None,
            coverage: None,
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
    fn a_path_walk_told_differently_is_no_change() {
        let with_walk = |asked: u32, note: &str| {
            let mut r = report("1", 5.0, 320);
            let mut svc = detect::head::service(
                554,
                Protocol::Rtsp,
                &proto::response::parse_head(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n")
                    .unwrap()
                    .unwrap()
                    .0,
            );
            svc.path_walk = Some(Box::new(model::PathWalk {
                asked,
                ..Default::default()
            }));
            svc.note = Some(note.into());
            r.devices[0].services.push(svc);
            r
        };
        let prev = with_walk(42, "no stream path found: 42 paths asked");
        let now = with_walk(7, "no stream path found: 7 paths asked");
        assert_eq!(steady(prev.clone(), now), prev);
        // A rescan that did not walk a port known for HTTP media tells the same port too.
        let mut not_walked = with_walk(0, analyze::rtsp::NOT_WALKED);
        not_walked.devices[0].services[0].path_walk = None;
        assert_eq!(steady(prev.clone(), not_walked), prev);
        // Another note is a change.
        let other = with_walk(42, "application live accepted connect, stream key unknown");
        assert_eq!(steady(prev, other.clone()), other);
    }

    #[test]
    fn a_file_is_replaced_only_when_its_bytes_change_and_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("go2rtc.yaml");
        assert!(replace_if_changed(&path, b"a\n", false).unwrap());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // A new file gets the mode any new file gets here (the umask's).
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        assert_eq!(mode(&path), mode(&plain));
        std::fs::remove_file(&plain).unwrap();
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
