//! Output: the report written whole at the end (`-o FILE` atomically, else stdout), NDJSON lines
//! written while the scan runs, and the progress bar on stderr.

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use error::Error;
use export::{self, ExportOptions, Format};
use input::setting::{Declared, Setting};

/// How a scan's report is written (`scan`, `convert`, `watch`'s first scan): `-f` and `-o`, also
/// the config file's top-level `format:` and `output:`.
pub static SETTINGS: &[&dyn Declared] = &[&FORMAT, &export::OUTPUT];

/// `-f`: the report's format ([`export::FORMATS`]).
pub static FORMAT: Setting<Format> = Setting {
    env: "CAMSCAN_FORMAT",
    ..input::choice::format_setting(Format::Table)
};
use crate::probe::ProbeStats;
use input::environment::ColorChoice;
use model::Report;

/// How a scan's report is printed, resolved by the command (`scan`, `convert`, `audit`, and the
/// format options `watch`, `serve` and `--push` render with): `-f`, its options, `-o`, the
/// table's width and colour, `-v`'s detail.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOutput {
    pub format: Format,
    /// The formats' own options (`--csv-delimiter`, `--frigate-restream`, ...).
    pub format_options: input::setting::Settings,
    /// The table with one row per stream and every detail. Not a key of its own: the command
    /// sets it from the global `-v` (which also raises the log level).
    pub detail: bool,
    pub output: Option<PathBuf>,
    /// The table's width in columns (`--width`; 0: as wide as it needs). `None`: `$COLUMNS`, else
    /// the terminal's, else 100.
    pub width: Option<u16>,
    pub color: ColorChoice,
}

impl Default for ReportOutput {
    fn default() -> Self {
        ReportOutput {
            format: Format::Table,
            format_options: export::options::defaults(),
            detail: false,
            output: None,
            width: None,
            color: ColorChoice::Auto,
        }
    }
}

/// NDJSON written during the scan: each device once, as soon as it is final, to stdout (flushed
/// after every line, for pipelines) or to the temporary file that becomes `-o FILE` at the end.
pub struct NdjsonStream {
    out: NdjsonOut,
    /// The first write error; nothing more is written after it, and it is reported at the end.
    error: Option<io::Error>,
    /// Devices written, by first address.
    written: HashSet<IpAddr>,
}

enum NdjsonOut {
    Stdout,
    File(AtomicFile),
}

impl NdjsonStream {
    pub fn open(output: Option<&Path>) -> Result<Self, Error> {
        let out =
            match output {
                Some(path) => NdjsonOut::File(AtomicFile::create(path).map_err(|source| {
                    Error::WriteOutput {
                        path: path.to_path_buf(),
                        source,
                    }
                })?),
                None => NdjsonOut::Stdout,
            };
        Ok(NdjsonStream {
            out,
            error: None,
            written: HashSet::new(),
        })
    }

    /// Write one final device; `Break` when stdout's reader has gone away (`camscan ... | head -1`):
    /// the scan can stop.
    pub fn write(&mut self, device: &model::Device) -> ControlFlow<()> {
        if self.error.is_some() || !self.written.insert(device.ip) {
            return self.flow();
        }
        tracing::debug!(ip = %device.ip, "device final: written");
        let written = match &mut self.out {
            NdjsonOut::Stdout => {
                let mut out = io::stdout().lock();
                export::write_ndjson_device(device, &mut out).and_then(|_| out.flush())
            }
            NdjsonOut::File(f) => export::write_ndjson_device(device, f),
        };
        self.error = written.err();
        self.flow()
    }

    fn flow(&self) -> ControlFlow<()> {
        let reader_gone = matches!(self.out, NdjsonOut::Stdout)
            && self
                .error
                .as_ref()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe);
        if reader_gone {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Write the devices not written yet (those still running at an interrupt), then put the file
    /// in place.
    pub fn finish(mut self, devices: &[model::Device]) -> Result<(), Error> {
        for d in devices {
            let _ = self.write(d);
        }
        match (self.out, self.error) {
            (NdjsonOut::Stdout, Some(e)) if e.kind() != io::ErrorKind::BrokenPipe => {
                Err(Error::WriteOutput {
                    path: "<stdout>".into(),
                    source: e,
                })
            }
            (NdjsonOut::Stdout, _) => Ok(()),
            (NdjsonOut::File(f), error) => {
                let path = f.path.clone();
                let result = match error {
                    Some(e) => Err(e), // dropping `f` removes the temporary file
                    None => f.commit(),
                };
                result.map_err(|source| Error::WriteOutput { path, source })
            }
        }
    }
}

/// The progress bar drawn on stderr now, if any: logs are written around it.
static BAR: std::sync::Mutex<Option<indicatif::ProgressBar>> = std::sync::Mutex::new(None);

/// The scan plan on stderr, before anything is sent: its line and one per warning
/// ([`model::plan::Plan::lines`]), wrapped at words to a terminal's width (under its
/// `camscan: plan: ` or `camscan: warning: `). Not with `--quiet`.
pub fn print_plan(plan: &model::plan::Plan) {
    let stderr = io::stderr();
    let width = stderr
        .is_terminal()
        .then(|| terminal_size::terminal_size_of(&stderr))
        .flatten()
        .map(|(w, _)| usize::from(w.0))
        .filter(|w| *w > 0);
    let mut err = stderr.lock();
    for line in plan.lines() {
        let line = sanitize::terminal(&line);
        let Some(w) = width else {
            let _ = writeln!(err, "{line}");
            continue;
        };
        // `camscan: plan: ` / `camscan: warning: `: the continuation lines go under the text.
        let cut = line.match_indices(": ").nth(1).map_or(0, |(at, _)| at + 2);
        for l in export::wrap(&line[..cut], &line[cut..], w) {
            let _ = writeln!(err, "{l}");
        }
    }
}

/// Run `write` (a log line to stderr) with the progress bar, if one is drawn, taken off its line
/// and drawn again after: a log never lands in the middle of the bar's line. The register is
/// held for the whole write, so a bar cannot be registered and drawn while a log that found none
/// is still being written (that log then moved the bar's first frame up, left on the screen).
pub fn around_progress<R>(write: impl FnOnce() -> R) -> R {
    let held = model::sync::lock(&BAR);
    match held.as_ref() {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Stop the progress bar: its task ended (awaited, so it draws no more) and its line cleared, before
/// the report is written.
pub async fn end_progress(bar: indicatif::ProgressBar, task: tokio::task::JoinHandle<()>) {
    task.abort();
    let _ = task.await;
    *model::sync::lock(&BAR) = None;
    bar.finish_and_clear();
}

/// The stage a scan's progress is in, as its bar names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// No port probe handed out yet: discovery (ARP, the multicast and vendor searches, host
    /// discovery) is finding the hosts.
    Discovering,
    /// Port probes under way.
    Probing,
    /// Every probe answered: the open ports' analyses (paths, logins, PLAY checks) run on.
    Analysing,
}

impl Stage {
    /// From the probe counters: how many were handed out and how many are done.
    pub fn of(total: u64, done: u64) -> Stage {
        if total == 0 {
            Stage::Discovering
        } else if done < total {
            Stage::Probing
        } else {
            Stage::Analysing
        }
    }

    /// The bar's template for the stage: a bar only while probing (never a full bar at `0/0`,
    /// nor one that sits full through the analysis).
    fn template(self) -> &'static str {
        match self {
            Stage::Discovering => "{spinner} discovering hosts, {msg} ({elapsed})",
            Stage::Probing => "{spinner} probing [{bar:20}] {pos}/{len}, {msg} ({elapsed})",
            Stage::Analysing => "{spinner} analysing, {msg} ({elapsed})",
        }
    }
}

/// A progress bar on stderr that names the stage the scan is in ([`Stage`]), refreshed by a
/// task; hidden when stderr is not a terminal.
pub fn progress_bar(
    stats: Arc<ProbeStats>,
) -> (indicatif::ProgressBar, tokio::task::JoinHandle<()>) {
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        indicatif::ProgressDrawTarget::stderr_with_hz(10),
    );
    let style = |stage: Stage| {
        indicatif::ProgressStyle::with_template(stage.template())
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ")
    };
    // Registered before anything can draw it (after every log being written now).
    *model::sync::lock(&BAR) = Some(bar.clone());
    bar.set_style(style(Stage::Discovering));
    let b = bar.clone();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut shown = Stage::Discovering;
        loop {
            tick.tick().await;
            let (total, done) = (ProbeStats::get(&stats.total), ProbeStats::get(&stats.done));
            let stage = Stage::of(total, done);
            if stage != shown {
                b.set_style(style(stage));
                shown = stage;
            }
            b.set_length(total);
            b.set_position(done);
            b.set_message(format!(
                "{} devices, {} open",
                ProbeStats::get(&stats.devices),
                ProbeStats::get(&stats.open)
            ));
        }
    });
    (bar, task)
}

pub use export::{DEFAULT_WIDTH, table_width};

fn export_options(cfg: &ReportOutput, to_terminal: bool) -> ExportOptions {
    let terminal = to_terminal
        .then(|| terminal_size::terminal_size_of(io::stdout()))
        .flatten()
        .map(|(w, _)| w.0);
    ExportOptions {
        color: cfg.format == Format::Table && cfg.color.enabled(to_terminal),
        width: table_width(cfg.width, terminal),
        detail: cfg.detail,
        formats: cfg.format_options.clone(),
    }
}

/// The directory a file will be written in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Whether a report may be written at `path`: its directory is there, and it is neither the
/// inventory this command uses (`inventory`: its `--db` file, or its `-wal`, `-shm` or
/// `-journal`) nor any other SQLite database. A report replaces its file (a new file renamed
/// over it): over an inventory, a `watch` or `serve` holding it would go on writing a file
/// nobody can open again, and everything it wrote after would be lost.
///
/// The inventory is recognised by device and inode (a `stat`, which opens nothing: this process
/// may hold a connection on it, and a plain open and close would drop that connection's locks);
/// only a file that is not it is opened, for its first 16 bytes.
pub fn check_writable(path: &Path, inventory: Option<&Path>) -> Result<(), Error> {
    let refuse = |why: String| Error::WriteOutput {
        path: path.to_path_buf(),
        source: io::Error::new(io::ErrorKind::AlreadyExists, why),
    };
    let dir = parent_dir(path);
    if !dir.is_dir() {
        return Err(Error::WriteOutput {
            path: path.to_path_buf(),
            source: io::Error::new(io::ErrorKind::NotFound, "directory does not exist"),
        });
    }
    if let Some(db) = inventory {
        if same_file(path, db) {
            return Err(refuse(
                "is the inventory (--db): a report written there would replace it; choose another -o"
                    .into(),
            ));
        }
        for end in ["-wal", "-shm", "-journal"] {
            let mut beside = db.as_os_str().to_owned();
            beside.push(end);
            if path == Path::new(&beside) || same_file(path, Path::new(&beside)) {
                return Err(refuse(format!(
                    "is the inventory's {} file: choose another -o",
                    &end[1..]
                )));
            }
        }
    }
    if is_sqlite_database(path) {
        return Err(refuse(
            "is an SQLite database (an inventory?): a report is never written over one; choose another -o"
                .into(),
        ));
    }
    Ok(())
}

/// Whether `a` and `b` are one file (device and inode; `false` when either is not there).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether `path` is a regular file beginning with SQLite's 16-byte header string
/// (sqlite.org/fileformat.html §1.3).
fn is_sqlite_database(path: &Path) -> bool {
    use std::io::Read as _;
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|_| &head == b"SQLite format 3\0")
}

/// Write the report to `-o FILE` atomically (temp file in the same directory, then rename) or to stdout.
/// A closed stdout pipe (`camscan ... | head`) is not an error.
pub fn write_report(cfg: &ReportOutput, report: &Report) -> Result<(), Error> {
    match &cfg.output {
        Some(path) => {
            let exporter = export::exporter(cfg.format, export_options(cfg, false));
            write_atomically(path, |w| exporter.write(report, w)).map_err(|source| {
                Error::WriteOutput {
                    path: path.clone(),
                    source,
                }
            })
        }
        None => {
            let stdout = io::stdout();
            let exporter = export::exporter(cfg.format, export_options(cfg, stdout.is_terminal()));
            let mut lock = io::BufWriter::new(stdout.lock());
            match exporter.write(report, &mut lock).and_then(|_| lock.flush()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                Err(source) => Err(Error::WriteOutput {
                    path: "<stdout>".into(),
                    source,
                }),
                Ok(()) => Ok(()),
            }
        }
    }
}

pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    fill(&mut file)?;
    file.commit()
}

/// A file written under a temporary name in its own directory and renamed over `path` by
/// [`AtomicFile::commit`], so readers see the old file or the whole new one. A file it replaces
/// keeps its permissions (a new one gets the default, umask applied); the rename is made durable
/// by syncing the directory too. Dropped without a commit, it removes the temporary file.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    /// `None` once committed.
    writer: Option<io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> io::Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "camscan-output".into());
        let tmp = parent_dir(path).join(format!(".{name}.{}.tmp", std::process::id()));
        let file = std::fs::File::create(&tmp)?;
        if let Ok(old) = std::fs::metadata(path)
            && let Err(e) = file.set_permissions(old.permissions())
        {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            writer: Some(io::BufWriter::new(file)),
        })
    }

    /// Flush, sync and rename into place.
    pub fn commit(mut self) -> io::Result<()> {
        let Some(w) = self.writer.take() else {
            return Ok(());
        };
        let result = w
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|file| file.sync_all())
            .and_then(|_| std::fs::rename(&self.tmp, &self.path));
        if result.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        } else if let Ok(dir) = std::fs::File::open(parent_dir(&self.path)) {
            // The rename is durable once the directory is.
            let _ = dir.sync_all();
        }
        result
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.writer {
            Some(w) => w.write(buf),
            None => Err(io::Error::other("file already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.as_mut().map_or(Ok(()), |w| w.flush())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            drop(w);
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_names_its_stage() {
        assert_eq!(Stage::of(0, 0), Stage::Discovering, "no full bar at 0/0");
        assert_eq!(Stage::of(441, 12), Stage::Probing);
        assert_eq!(
            Stage::of(441, 441),
            Stage::Analysing,
            "not a full bar through the analysis"
        );
        for stage in [Stage::Discovering, Stage::Probing, Stage::Analysing] {
            assert!(indicatif::ProgressStyle::with_template(stage.template()).is_ok());
        }
        assert!(!Stage::Discovering.template().contains("{bar"));
        assert!(!Stage::Analysing.template().contains("{bar"));
    }

    #[test]
    fn atomic_write_leaves_no_temp_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomically(&path, |w| w.write_all(b"{}")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
        let err = write_atomically(&path, |_| Err(io::Error::other("boom")));
        assert!(err.is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{}",
            "old file kept"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp left"
        );
    }
}
