//! Where a scan's time goes: each open port's analysis as phase windows, and one line per device
//! when it is final, for `scripts/bench` and for anyone asking why a scan took as long as it did.
//!
//! Times are milliseconds since the scan started ([`start`]). A port's analysis is timed inside
//! [`port`], which sets up a task-local list that each phase adds to when it ends (a phase is a
//! value, [`begin`] to its drop, held beside the work it times): `detect`, then the protocol's
//! analysis (`rtsp`, `http`, `rtmp`, `stun`), and inside RTSP the per-stream `slot` (waiting for
//! one of the device's session slots), `play` (the stream's retina session: DESCRIBE for its facts,
//! then the PLAY check; `facts` with `--no-verify`, DESCRIBE only) and `ffprobe`. A phase run several times (three
//! streams' PLAY checks) is one window, first start to last end, with a count; windows may overlap,
//! as the work does. `paths` is derived: from the start of `rtsp` to its first per-stream phase,
//! the DESCRIBE walk, login and channel walk that come before them.
//!
//! Everything is logged at debug level on the [`TARGET`] target, to stderr like every log:
//! `CAMSCAN_LOG=warn,timing=debug camscan scan ...`. Outside [`port`] (a library caller
//! such as `examples/describe`) a phase records nothing.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Instant;

/// The log target of the timing lines.
pub const TARGET: &str = "timing";

/// When the (first) scan of this process started.
static START: OnceLock<Instant> = OnceLock::new();

tokio::task_local! {
    /// The phases of the port being analysed by this task.
    static PHASES: RefCell<Vec<Phase>>;
}

/// Mark the start of the scan: times are counted from here (from the first call of [`now_ms`] if
/// this is never called).
pub fn start() {
    let _ = START.set(Instant::now());
}

/// Milliseconds since the scan started.
pub fn now_ms() -> u64 {
    u64::try_from(START.get_or_init(Instant::now).elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Whether the timing lines are logged (the collector then tracks when devices are final).
pub fn enabled() -> bool {
    tracing::enabled!(target: TARGET, tracing::Level::DEBUG)
}

/// One kind of work on a port: its window, first start to last end, and how many times it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    pub name: &'static str,
    pub count: u32,
    pub first_ms: u64,
    pub last_ms: u64,
}

/// One open port's analysis, from the moment it was handed out to its last event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortTiming {
    pub port: u16,
    pub start_ms: u64,
    pub end_ms: u64,
    /// In order of first start.
    pub phases: Vec<Phase>,
}

/// The phases that run per RTSP stream, after the path walk.
const STREAM_PHASES: [&str; 4] = ["slot", "facts", "play", "ffprobe"];

fn record(phases: &mut Vec<Phase>, name: &'static str, start: u64, end: u64) {
    match phases.iter_mut().find(|p| p.name == name) {
        Some(p) => {
            p.count += 1;
            p.first_ms = p.first_ms.min(start);
            p.last_ms = p.last_ms.max(end);
        }
        None => phases.push(Phase {
            name,
            count: 1,
            first_ms: start,
            last_ms: end,
        }),
    }
}

impl PortTiming {
    /// The timing of a port analysed from `start_ms` to `end_ms` with these phases; adds the
    /// derived `paths` phase of an RTSP port.
    pub fn new(port: u16, start_ms: u64, end_ms: u64, mut phases: Vec<Phase>) -> Self {
        if let Some(rtsp) = phases.iter().find(|p| p.name == "rtsp").cloned() {
            let walked_until = phases
                .iter()
                .filter(|p| STREAM_PHASES.contains(&p.name))
                .map(|p| p.first_ms)
                .min()
                .unwrap_or(rtsp.last_ms);
            record(&mut phases, "paths", rtsp.first_ms, walked_until);
        }
        phases.sort_by_key(|p| p.first_ms);
        PortTiming {
            port,
            start_ms,
            end_ms,
            phases,
        }
    }

    /// The protocol whose analysis ran on this port, if detection found one.
    pub fn protocol(&self) -> Option<&'static str> {
        self.phases
            .iter()
            .map(|p| p.name)
            .find(|n| matches!(*n, "rtsp" | "http" | "rtmp" | "stun"))
    }

    /// `554 rtsp 35-2890 ms: detect 35-40, rtsp 40-2890, paths 40-410, facts 410-700 x3, ...`
    pub fn breakdown(&self) -> String {
        let mut s = format!(
            "{} {} {}-{} ms",
            self.port,
            self.protocol().unwrap_or("-"),
            self.start_ms,
            self.end_ms
        );
        for (i, p) in self.phases.iter().enumerate() {
            let _ = write!(
                s,
                "{}{} {}-{}",
                if i == 0 { ": " } else { ", " },
                p.name,
                p.first_ms,
                p.last_ms
            );
            if p.count > 1 {
                let _ = write!(s, " x{}", p.count);
            }
        }
        s
    }
}

/// A phase of the port being analysed, from [`begin`] until it is dropped: the work it times
/// runs beside it, in the same task, and never passes through here.
#[must_use = "a phase lasts until it is dropped"]
pub struct Running {
    name: &'static str,
    start: u64,
}

/// Phase `name` of the port being analysed (if any) begins now, and ends when the value returned
/// is dropped (at the end of the block that holds it, or when the work is cancelled).
pub fn begin(name: &'static str) -> Running {
    Running {
        name,
        start: now_ms(),
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let end = now_ms();
        let _ = PHASES.try_with(|p| record(&mut p.borrow_mut(), self.name, self.start, end));
    }
}

/// Run one port's analysis `fut`, collecting the phases it records.
pub async fn port<F: Future>(port: u16, fut: F) -> (F::Output, PortTiming) {
    let start_ms = now_ms();
    PHASES
        .scope(RefCell::new(Vec::new()), async move {
            let out = fut.await;
            let phases = PHASES.with(RefCell::take);
            (out, PortTiming::new(port, start_ms, now_ms(), phases))
        })
        .await
}

/// The message of a device's line: its ports, slowest (latest to finish) first.
pub fn device_breakdown(mut ports: Vec<&PortTiming>) -> String {
    if ports.is_empty() {
        return "no open port".into();
    }
    ports.sort_by_key(|p| std::cmp::Reverse(p.end_ms));
    ports
        .iter()
        .map(|p| p.breakdown())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn phases_of_a_port_are_windows_with_counts_and_paths_is_derived() {
        let ((), t) = port(554, async {
            drop(begin("detect"));
            let rtsp = begin("rtsp");
            drop(begin("facts"));
            drop(begin("play"));
            drop(begin("play"));
            drop(rtsp);
        })
        .await;
        let names: Vec<_> = t.phases.iter().map(|p| (p.name, p.count)).collect();
        for want in [
            ("detect", 1),
            ("rtsp", 1),
            ("paths", 1),
            ("facts", 1),
            ("play", 2),
        ] {
            assert!(names.contains(&want), "{want:?} in {names:?}");
        }
        assert_eq!(t.protocol(), Some("rtsp"));
        let paths = t.phases.iter().find(|p| p.name == "paths").unwrap();
        let facts = t.phases.iter().find(|p| p.name == "facts").unwrap();
        assert_eq!(paths.last_ms, facts.first_ms);
        assert!(t.breakdown().starts_with("554 rtsp "), "{}", t.breakdown());
        assert!(t.breakdown().contains("play "), "{}", t.breakdown());
    }

    #[test]
    fn phase_windows_merge_and_devices_list_their_slowest_port_first() {
        let phases = vec![Phase {
            name: "http",
            count: 1,
            first_ms: 5,
            last_ms: 9,
        }];
        let mut p = phases.clone();
        record(&mut p, "http", 2, 30);
        assert_eq!((p[0].count, p[0].first_ms, p[0].last_ms), (2, 2, 30));
        let fast = PortTiming::new(80, 1, 9, phases);
        let slow = PortTiming::new(554, 1, 2000, Vec::new());
        let line = device_breakdown(vec![&fast, &slow]);
        assert!(
            line.starts_with("554 - 1-2000 ms; 80 http 1-9 ms: http 5-9"),
            "{line}"
        );
        assert_eq!(device_breakdown(Vec::new()), "no open port");
    }

    #[tokio::test]
    async fn a_phase_outside_a_port_is_not_recorded() {
        drop(begin("play"));
        let ((), t) = port(80, async {}).await;
        assert!(t.phases.is_empty(), "{:?}", t.phases);
    }
}
