//! Prometheus metrics of `camscan watch --metrics ADDR`: what the watch loop knows (devices up,
//! stream checks, scans, events, sinks) as series a Prometheus server scrapes from
//! `http://ADDR/metrics` ([`serve`]).
//!
//! Built on `prometheus-client` (the Prometheus organisation's crate). Every metric has HELP text
//! and, where it has one, a unit in its name and a `# UNIT` line (OpenMetrics), in base units as
//! Prometheus asks (<https://prometheus.io/docs/practices/naming/#base-units>): seconds, and bytes
//! per second for a bitrate (a check's kbit/s x 125).
//!
//! **Bounded.** Series are per device and per stream, so [`Metrics::forget_device`] and
//! [`Metrics::forget_stream`] remove theirs, and a device whose labels change (a new address) has
//! its old series removed, so a long watch does not pile up dead series. Label values from devices
//! (vendor, model) have control characters escaped and are cut at [`LABEL_MAX`] characters; stream
//! URLs never carry credentials (userinfo is stripped even if a caller passes it).
//!
//! **Two formats.** [`Metrics::render`] is OpenMetrics 1.0 text (what prometheus-client writes),
//! served to a scraper that asks for it (Prometheus does, in its `Accept`). [`Metrics::render_classic`]
//! is the same data in the classic text format 0.0.4 (counters' HELP/TYPE named with `_total`, no
//! `# UNIT`/`# EOF`), served to everything else (curl, `promtool check metrics`). Why both: the
//! OpenMetrics text read as classic text has counter families (`camscan_scans`) without samples
//! and `_total` samples without HELP, which `promtool check metrics` reports as problems
//! (measured with Debian's promtool 2.42; a real Prometheus 2.42 reads either format right).

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::notify::{Secret, SinkStats, sink_named};
use store::{CheckLayer, CheckResult, EventKind};

mod classic;
mod endpoint;
mod series;

pub use classic::openmetrics_to_classic;
pub use endpoint::parse_bind;

use series::{EventSeries, ScanSeries, StreamSeries};

pub use endpoint::{Limits, MetricsServer, render, serve};

/// The port of `--metrics` when only an address, or nothing, is given. 9750 is not in
/// Prometheus's default port allocations list
/// (<https://github.com/prometheus/prometheus/wiki/Default-port-allocations>) and not registered
/// with IANA for anything camscan would collide with on a camera-watching host.
pub const DEFAULT_PORT: u16 = 9750;

/// Longest label value taken from a device (vendor, model, key) or a URL, in characters: a hostile
/// device must not make a series of kilobytes.
pub const LABEL_MAX: usize = 200;

/// Buckets of `camscan_scan_duration_seconds`: a scan of a few addresses takes about a second, a
/// /24 with logins tens of seconds to minutes, a /16 up to an hour.
const SCAN_BUCKETS: [f64; 11] = [
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

/// Every [`EventKind`], so `camscan_events_total` starts each at 0 (a counter that appears at 1
/// hides its first increase from `rate()`/`increase()`).
const EVENT_KINDS: [EventKind; 19] = [
    EventKind::DeviceNew,
    EventKind::DeviceOffline,
    EventKind::DeviceOnline,
    EventKind::AddressChanged,
    EventKind::FirmwareChanged,
    EventKind::IdentityChanged,
    EventKind::PortOpened,
    EventKind::PortClosed,
    EventKind::StreamNew,
    EventKind::StreamGone,
    EventKind::StreamDown,
    EventKind::StreamUp,
    EventKind::StreamChanged,
    EventKind::AuthChanged,
    EventKind::CapabilitiesChanged,
    EventKind::FindingNew,
    EventKind::FindingResolved,
    EventKind::Pushed,
    EventKind::PushFailed,
];

/// Fails to compile when a kind is added to [`EventKind`] and not to [`EVENT_KINDS`].
#[allow(dead_code)]
fn event_kinds_complete(k: EventKind) {
    match k {
        EventKind::DeviceNew
        | EventKind::DeviceOffline
        | EventKind::DeviceOnline
        | EventKind::AddressChanged
        | EventKind::FirmwareChanged
        | EventKind::IdentityChanged
        | EventKind::PortOpened
        | EventKind::PortClosed
        | EventKind::StreamNew
        | EventKind::StreamGone
        | EventKind::StreamDown
        | EventKind::StreamUp
        | EventKind::StreamChanged
        | EventKind::AuthChanged
        | EventKind::CapabilitiesChanged
        | EventKind::FindingNew
        | EventKind::FindingResolved
        | EventKind::Pushed
        | EventKind::PushFailed => {}
    }
}

/// Every [`CheckLayer`] (the `result` label of `camscan_stream_checks_total`), each started at 0.
const CHECK_LAYERS: [CheckLayer; 7] = [
    CheckLayer::Ok,
    CheckLayer::Host,
    CheckLayer::Port,
    CheckLayer::Describe,
    CheckLayer::Auth,
    CheckLayer::Media,
    CheckLayer::Rate,
];

/// A device as the store knows it (`camscan_device_up`'s labels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLabels {
    /// The store's device id.
    pub id: i64,
    /// The stable identity (`mac:..`, `serial:..`, `uuid:..`, `ip:..`).
    pub key: String,
    /// The last address; empty when unknown.
    pub ip: String,
    pub vendor: String,
    pub model: String,
}

/// A stream as the store knows it (the labels of the `camscan_stream_*` series).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamLabels {
    /// The store's stream id.
    pub stream_id: i64,
    pub device_id: i64,
    /// Without credentials (any userinfo is stripped).
    pub url: String,
    /// `rtsp`, `hls`, ...
    pub protocol: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeviceSet {
    device_id: i64,
    key: String,
    ip: String,
    vendor: String,
    model: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StreamSet {
    stream_id: i64,
    device_id: i64,
    url: String,
    protocol: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CheckSet {
    stream_id: i64,
    device_id: i64,
    url: String,
    protocol: String,
    result: &'static str,
}

impl CheckSet {
    fn new(s: &StreamSet, layer: CheckLayer) -> Self {
        CheckSet {
            stream_id: s.stream_id,
            device_id: s.device_id,
            url: s.url.clone(),
            protocol: s.protocol.clone(),
            result: layer.as_str(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CompleteSet {
    complete: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct StateSet {
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindSet {
    kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SinkSet {
    sink: String,
}

type GaugeF = Gauge<f64, AtomicU64>;

/// The metrics of one `camscan watch`. Cheap to clone (one `Arc`); every method takes `&self`.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    device_up: Family<DeviceSet, Gauge>,
    stream_up: Family<StreamSet, Gauge>,
    stream_fps: Family<StreamSet, GaugeF>,
    stream_bitrate: Family<StreamSet, GaugeF>,
    stream_first_packet: Family<StreamSet, GaugeF>,
    stream_checks: Family<CheckSet, Counter>,
    scan_duration: Histogram,
    last_scan: GaugeF,
    scans: Family<CompleteSet, Counter>,
    probes: Counter,
    failed_logins: Counter,
    devices: Gauge,
    streams: Family<StateSet, Gauge>,
    events: Family<KindSet, Counter>,
    outbox_depth: Family<SinkSet, Gauge>,
    delivered: Family<SinkSet, Counter>,
    failures: Family<SinkSet, Counter>,
    dropped: Family<SinkSet, Counter>,
    /// The label sets now exported per device, stream and sink, to remove them when they change
    /// or go away, and each sink's last cumulative stats (counters move by the difference).
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    devices: HashMap<i64, DeviceSet>,
    streams: HashMap<i64, StreamSet>,
    sinks: HashMap<String, (SinkSet, SinkStats)>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every series registered, the label sets that must show from the start created.
    pub fn new() -> Metrics {
        let mut r = Registry::default();
        let StreamSeries {
            device_up,
            stream_up,
            stream_fps,
            stream_bitrate,
            stream_first_packet,
            stream_checks,
        } = StreamSeries::register(&mut r);
        let ScanSeries {
            scan_duration,
            last_scan,
            scans,
            probes,
            failed_logins,
            devices,
            streams,
        } = ScanSeries::register(&mut r);
        for state in store::StreamState::NAMES {
            let _ = streams.get_or_create(&StateSet { state });
        }
        let EventSeries {
            events,
            outbox_depth,
            delivered,
            failures,
            dropped,
        } = EventSeries::register(&mut r);
        for complete in ["true", "false"] {
            let _ = scans.get_or_create(&CompleteSet { complete });
        }
        for kind in EVENT_KINDS {
            let _ = events.get_or_create(&KindSet {
                kind: kind_name(kind),
            });
        }
        Metrics {
            inner: Arc::new(Inner {
                registry: r,
                device_up,
                stream_up,
                stream_fps,
                stream_bitrate,
                stream_first_packet,
                stream_checks,
                scan_duration,
                last_scan,
                scans,
                probes,
                failed_logins,
                devices,
                streams,
                events,
                outbox_depth,
                delivered,
                failures,
                dropped,
                state: Mutex::new(State::default()),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a few maps updated in one step each; a panic elsewhere leaves them usable.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The device is online (`true`) or offline: `camscan_device_up`. New labels for a known id
    /// (a new address, a vendor learnt) replace its old series.
    pub fn device(&self, d: &DeviceLabels, online: bool) {
        let set = DeviceSet {
            device_id: d.id,
            key: label(&d.key),
            ip: label(&d.ip),
            vendor: label(&d.vendor),
            model: label(&d.model),
        };
        let mut state = self.state();
        if let Some(old) = state.devices.insert(d.id, set.clone())
            && old != set
        {
            self.inner.device_up.remove(&old);
        }
        self.inner
            .device_up
            .get_or_create(&set)
            .set(i64::from(online));
    }

    /// One stream check: `up` is the stream's state after it (the store's hysteresis), `result`
    /// what the check measured. fps, bitrate and first-packet time are the last check's: a check
    /// that measured none removes the series (absent = not measured), so a down stream does not
    /// keep the figures of its last good check.
    pub fn stream_check(&self, s: &StreamLabels, result: &CheckResult, up: bool) {
        let set = StreamSet {
            stream_id: s.stream_id,
            device_id: s.device_id,
            url: label(&strip_userinfo(&s.url)),
            protocol: label(&s.protocol),
        };
        let i = &self.inner;
        let mut state = self.state();
        match state.streams.insert(s.stream_id, set.clone()) {
            Some(old) if old == set => {}
            old => {
                if let Some(old) = old {
                    i.remove_stream(&old);
                }
                for layer in CHECK_LAYERS {
                    let _ = i.stream_checks.get_or_create(&CheckSet::new(&set, layer));
                }
            }
        }
        i.stream_up.get_or_create(&set).set(i64::from(up));
        i.stream_checks
            .get_or_create(&CheckSet::new(&set, result.layer))
            .inc();
        let put = |family: &Family<StreamSet, GaugeF>, value: Option<f64>| match value {
            Some(v) if v.is_finite() && v >= 0.0 => {
                family.get_or_create(&set).set(v);
            }
            _ => {
                family.remove(&set);
            }
        };
        put(&i.stream_fps, result.fps);
        // kbit/s (1000 bit/s, as the check reports it) to bytes/s.
        put(&i.stream_bitrate, result.bitrate_kbps.map(|k| k * 125.0));
        put(
            &i.stream_first_packet,
            result.first_packet_ms.map(|ms| ms as f64 / 1000.0),
        );
    }

    /// The inventory's streams in each state (`up`: it played; `unverified`, `refused`, `down`):
    /// `camscan_streams{state}`.
    pub fn streams(&self, counts: &[(store::StreamState, u64)]) {
        for state in store::StreamState::NAMES {
            let n = counts
                .iter()
                .filter(|(s, _)| s.as_str() == *state)
                .map(|(_, n)| *n)
                .sum::<u64>();
            self.inner
                .streams
                .get_or_create(&StateSet { state })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// A scan finished after `seconds`: its duration, whether it ran to the end, the devices it
    /// found and the probes and refused logins it made (this scan's counts, added to the totals).
    pub fn scan_finished(
        &self,
        seconds: f64,
        complete: bool,
        devices: u64,
        probes: u64,
        failed_logins: u64,
    ) {
        let i = &self.inner;
        if seconds.is_finite() && seconds >= 0.0 {
            i.scan_duration.observe(seconds);
        }
        i.scans
            .get_or_create(&CompleteSet {
                complete: if complete { "true" } else { "false" },
            })
            .inc();
        i.probes.inc_by(probes);
        i.failed_logins.inc_by(failed_logins);
        i.devices.set(i64::try_from(devices).unwrap_or(i64::MAX));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        i.last_scan.set(now);
    }

    /// One event written to the store: `camscan_events_total{kind}`.
    pub fn event(&self, kind: EventKind) {
        self.inner
            .events
            .get_or_create(&KindSet {
                kind: kind_name(kind),
            })
            .inc();
    }

    /// A sink's cumulative stats (as [`crate::notify::deliver`] keeps them). The counters move by
    /// the increase since the last call, so they stay monotonic; stats that went down (their
    /// source started again from zero) count in full.
    pub fn sink(&self, name: &str, stats: &SinkStats) {
        let i = &self.inner;
        let mut state = self.state();
        let (set, last) = state.sinks.entry(name.to_string()).or_insert_with(|| {
            (
                SinkSet {
                    sink: label(&sink_label(name)),
                },
                SinkStats::default(),
            )
        });
        let grow = |now: u64, before: u64| now.checked_sub(before).unwrap_or(now);
        i.delivered
            .get_or_create(set)
            .inc_by(grow(stats.delivered, last.delivered));
        i.failures
            .get_or_create(set)
            .inc_by(grow(stats.failures, last.failures));
        i.dropped
            .get_or_create(set)
            .inc_by(grow(stats.dropped, last.dropped));
        i.outbox_depth.get_or_create(set).set(stats.depth.max(0));
        *last = *stats;
    }

    /// Remove the device's series, and those of every stream of it.
    pub fn forget_device(&self, id: i64) {
        let mut state = self.state();
        if let Some(old) = state.devices.remove(&id) {
            self.inner.device_up.remove(&old);
        }
        let gone: Vec<i64> = state
            .streams
            .iter()
            .filter(|(_, s)| s.device_id == id)
            .map(|(k, _)| *k)
            .collect();
        for sid in gone {
            if let Some(old) = state.streams.remove(&sid) {
                self.inner.remove_stream(&old);
            }
        }
    }

    /// Forget every device (and its streams) whose id is not in `ids`: the inventory no longer
    /// has it (forgotten, pruned).
    pub fn retain_devices(&self, ids: &std::collections::HashSet<i64>) {
        let gone: Vec<i64> = self
            .state()
            .devices
            .keys()
            .filter(|id| !ids.contains(id))
            .copied()
            .collect();
        for id in gone {
            self.forget_device(id);
        }
    }

    /// Forget every stream whose id is not in `ids` (no longer checked: gone, or held).
    pub fn retain_streams(&self, ids: &std::collections::HashSet<i64>) {
        let gone: Vec<i64> = self
            .state()
            .streams
            .keys()
            .filter(|id| !ids.contains(id))
            .copied()
            .collect();
        for id in gone {
            self.forget_stream(id);
        }
    }

    /// Remove the stream's series.
    pub fn forget_stream(&self, id: i64) {
        let mut state = self.state();
        if let Some(old) = state.streams.remove(&id) {
            self.inner.remove_stream(&old);
        }
    }

    /// The exposition in OpenMetrics 1.0 text (ends with `# EOF`).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; prometheus-client's own encoders return Ok.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.inner.registry);
        out
    }

    /// The exposition in the classic Prometheus text format 0.0.4.
    pub fn render_classic(&self) -> String {
        openmetrics_to_classic(&self.render())
    }
}

impl Inner {
    fn remove_stream(&self, s: &StreamSet) {
        self.stream_up.remove(s);
        self.stream_fps.remove(s);
        self.stream_bitrate.remove(s);
        self.stream_first_packet.remove(s);
        for layer in CHECK_LAYERS {
            self.stream_checks.remove(&CheckSet::new(s, layer));
        }
    }
}

/// `stream_down` etc.: the kind's name as the store and notices write it.
fn kind_name(kind: EventKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{kind:?}"))
}

/// A label value from outside: control characters escaped, at most [`LABEL_MAX`] characters.
fn label(s: &str) -> String {
    let s = sanitize::terminal(s);
    match s.char_indices().nth(LABEL_MAX) {
        Some((cut, _)) => s[..cut].to_string(),
        None => s.into_owned(),
    }
}

/// `url` without `user:password@`. The store's URLs never have it (it keeps credentials apart);
/// this is the defence should one arrive anyway. Not a URL: cut what sits between `://` and the
/// last `@` of the authority.
fn strip_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let Some(scheme_end) = url.find("://") else {
        return Cow::Borrowed(url);
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            tracing::warn!("a stream URL with credentials reached the metrics; left out");
            Cow::Owned(format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]))
        }
        None => Cow::Borrowed(url),
    }
}

/// A sink's `--notify` value as a label: for a sink whose value may hold a secret (its
/// registration's `secret`: webhook, mqtt), the URL's userinfo, query and fragment removed (a
/// webhook token often sits there); the others (`stdout`, `exec=COMMAND`) as given.
fn sink_label(name: &str) -> String {
    match name.split_once('=') {
        Some((kind, value)) if sink_named(kind).is_some_and(|d| d.secret != Secret::None) => {
            let value = strip_userinfo(value);
            let end = value.find(['?', '#']).unwrap_or(value.len());
            format!("{kind}={}", &value[..end])
        }
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn strip_userinfo_removes_credentials_only() {
        assert_eq!(
            strip_userinfo("rtsp://admin:secret@10.0.0.5:554/Streaming/101"),
            "rtsp://10.0.0.5:554/Streaming/101"
        );
        assert_eq!(
            strip_userinfo("rtsp://a@b:p@ss@10.0.0.5/x@y"),
            "rtsp://10.0.0.5/x@y"
        );
        assert_eq!(strip_userinfo("http://h/x?u=a@b"), "http://h/x?u=a@b");
        assert_eq!(strip_userinfo("not a url"), "not a url");
    }

    #[test]
    fn sink_labels_lose_secrets() {
        assert_eq!(sink_label("stdout"), "stdout");
        assert_eq!(
            sink_label("webhook=https://u:p@hooks.example/h?token=abc"),
            "webhook=https://hooks.example/h"
        );
        assert_eq!(
            sink_label("mqtt=mqtt://user:pw@broker:1883/camscan"),
            "mqtt=mqtt://broker:1883/camscan"
        );
        assert_eq!(sink_label("exec=/usr/bin/logger"), "exec=/usr/bin/logger");
    }

    #[test]
    fn labels_from_devices_are_escaped_and_bounded() {
        assert_eq!(label("Hik\x1b[2Jvision"), "Hik\\u{1b}[2Jvision");
        assert_eq!(label(&"x".repeat(5000)).chars().count(), LABEL_MAX);
        assert_eq!(label(&"é".repeat(300)).chars().count(), LABEL_MAX);
    }

    #[test]
    fn classic_format_names_counters_by_their_samples() {
        let m = Metrics::new();
        m.scan_finished(12.5, true, 3, 100, 2);
        let om = m.render();
        assert!(om.contains("# TYPE camscan_scans counter\n"), "{om}");
        assert!(om.contains("# UNIT camscan_scan_duration_seconds seconds\n"));
        assert!(om.ends_with("# EOF\n"));
        let classic = m.render_classic();
        assert!(classic.contains("# HELP camscan_scans_total Scans finished"));
        assert!(classic.contains("# TYPE camscan_scans_total counter\n"));
        assert!(classic.contains("camscan_scans_total{complete=\"true\"} 1\n"));
        assert!(classic.contains("camscan_probes_total 100\n"));
        assert!(classic.contains("# TYPE camscan_scan_duration_seconds histogram\n"));
        assert!(classic.contains("camscan_scan_duration_seconds_bucket{le=\"30.0\"} 1\n"));
        assert!(!classic.contains("# UNIT") && !classic.contains("# EOF"));
        // Every sample line of one is in the other.
        let samples = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(samples(&om), samples(&classic));
    }

    fn stream(id: i64, url: &str) -> StreamLabels {
        StreamLabels {
            stream_id: id,
            device_id: 7,
            url: url.into(),
            protocol: "rtsp".into(),
        }
    }

    fn ok_check() -> CheckResult {
        CheckResult {
            layer: CheckLayer::Ok,
            error: None,
            first_packet_ms: Some(250),
            fps: Some(25.0),
            bitrate_kbps: Some(2048.0),
        }
    }

    #[test]
    fn stream_check_sets_values_and_a_failure_clears_them() {
        let m = Metrics::new();
        let s = stream(3, "rtsp://10.0.0.5:554/ch1");
        m.stream_check(&s, &ok_check(), true);
        let t = m.render();
        let l = r#"{stream_id="3",device_id="7",url="rtsp://10.0.0.5:554/ch1",protocol="rtsp"}"#;
        assert!(t.contains(&format!("camscan_stream_up{l} 1\n")), "{t}");
        assert!(t.contains(&format!("camscan_stream_fps{l} 25.0\n")));
        assert!(t.contains(&format!(
            "camscan_stream_bitrate_bytes_per_second{l} 256000.0\n"
        )));
        assert!(t.contains(&format!("camscan_stream_first_packet_seconds{l} 0.25\n")));
        let c = |r: &str| {
            format!(
                "camscan_stream_checks_total{{stream_id=\"3\",device_id=\"7\",url=\"rtsp://10.0.0.5:554/ch1\",protocol=\"rtsp\",result=\"{r}\"}}"
            )
        };
        assert!(t.contains(&format!("{} 1\n", c("ok"))));
        assert!(t.contains(&format!("{} 0\n", c("media"))));

        m.stream_check(
            &s,
            &CheckResult::failed(CheckLayer::Media, "no media"),
            true,
        );
        m.stream_check(
            &s,
            &CheckResult::failed(CheckLayer::Media, "no media"),
            false,
        );
        let t = m.render();
        assert!(t.contains(&format!("camscan_stream_up{l} 0\n")), "{t}");
        assert!(!t.contains("camscan_stream_fps{"));
        assert!(!t.contains("camscan_stream_bitrate_bytes_per_second{"));
        assert!(t.contains(&format!("{} 2\n", c("media"))));
        assert!(t.contains(&format!("{} 1\n", c("ok"))));
    }

    #[test]
    fn forget_removes_series_and_changed_labels_replace_them() {
        let m = Metrics::new();
        let d = DeviceLabels {
            id: 7,
            key: "mac:00:11:22:33:44:55".into(),
            ip: "10.0.0.5".into(),
            vendor: "Hikvision".into(),
            model: "DS-2CD2042WD".into(),
        };
        m.device(&d, true);
        m.stream_check(&stream(3, "rtsp://10.0.0.5/a"), &ok_check(), true);
        m.stream_check(&stream(4, "rtsp://10.0.0.5/b"), &ok_check(), true);
        m.forget_stream(3);
        let t = m.render();
        assert!(!t.contains("stream_id=\"3\""), "{t}");
        assert!(t.contains("stream_id=\"4\""));

        let moved = DeviceLabels {
            ip: "10.0.0.9".into(),
            ..d.clone()
        };
        m.device(&moved, false);
        let t = m.render();
        assert!(!t.contains("ip=\"10.0.0.5\""), "{t}");
        assert!(t.contains("ip=\"10.0.0.9\",vendor=\"Hikvision\",model=\"DS-2CD2042WD\"} 0\n"));

        m.forget_device(7);
        let t = m.render();
        assert!(!t.contains("device_id=\"7\""), "{t}");
        // A family without series is left out of the exposition altogether.
        assert!(!t.contains("camscan_device_up"));
    }

    #[test]
    fn sink_counters_stay_monotonic() {
        let m = Metrics::new();
        let mut st = SinkStats {
            delivered: 5,
            failures: 2,
            dropped: 0,
            depth: 3,
        };
        m.sink("webhook=http://127.0.0.1:9/h?k=secret", &st);
        st.delivered = 9;
        st.depth = 0;
        m.sink("webhook=http://127.0.0.1:9/h?k=secret", &st);
        // The delivery loop started again: its stats count from zero.
        m.sink(
            "webhook=http://127.0.0.1:9/h?k=secret",
            &SinkStats {
                delivered: 1,
                ..SinkStats::default()
            },
        );
        let t = m.render();
        let l = r#"{sink="webhook=http://127.0.0.1:9/h"}"#;
        assert!(!t.contains("secret"));
        assert!(
            t.contains(&format!("camscan_notifications_delivered_total{l} 10\n")),
            "{t}"
        );
        assert!(t.contains(&format!("camscan_notification_failures_total{l} 2\n")));
        assert!(t.contains(&format!("camscan_outbox_dropped_total{l} 0\n")));
        assert!(t.contains(&format!("camscan_outbox_depth{l} 0\n")));
    }

    #[test]
    fn events_start_at_zero_and_count() {
        let m = Metrics::new();
        m.event(EventKind::StreamDown);
        m.event(EventKind::StreamDown);
        let t = m.render();
        assert!(
            t.contains("camscan_events_total{kind=\"stream_down\"} 2\n"),
            "{t}"
        );
        assert!(t.contains("camscan_events_total{kind=\"auth_changed\"} 0\n"));
        assert_eq!(
            t.matches("camscan_events_total{").count(),
            EVENT_KINDS.len()
        );
    }
}
