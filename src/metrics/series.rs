//! The series `camscan watch --metrics` exports, registered in three groups (devices and
//! streams, scans, events and notification sinks), in the order the exposition lists them.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::{CheckSet, CompleteSet, DeviceSet, GaugeF, KindSet, SCAN_BUCKETS, SinkSet, StreamSet};

/// Register `metric` under `name` (with `unit`, when it has one) and hand it back.
fn registered<M>(r: &mut Registry, name: &str, help: &str, unit: Option<Unit>, metric: M) -> M
where
    M: prometheus_client::registry::Metric + Clone,
{
    match unit {
        Some(unit) => r.register_with_unit(name, help, unit, metric.clone()),
        None => r.register(name, help, metric.clone()),
    }
    metric
}

/// The devices' and streams' series.
pub(super) struct StreamSeries {
    pub(super) device_up: Family<DeviceSet, Gauge>,
    pub(super) stream_up: Family<StreamSet, Gauge>,
    pub(super) stream_fps: Family<StreamSet, GaugeF>,
    pub(super) stream_bitrate: Family<StreamSet, GaugeF>,
    pub(super) stream_first_packet: Family<StreamSet, GaugeF>,
    pub(super) stream_checks: Family<CheckSet, Counter>,
}

impl StreamSeries {
    pub(super) fn register(r: &mut Registry) -> StreamSeries {
        StreamSeries {
            device_up: registered(
                r,
                "camscan_device_up",
                "Whether the device answered its last scan or stream check (1) or is offline (0)",
                None,
                Family::default(),
            ),
            stream_up: registered(
                r,
                "camscan_stream_up",
                "Whether the stream is up (1) or down (0) after the watch's hysteresis (down after --down-after failed checks, up after one success)",
                None,
                Family::default(),
            ),
            stream_fps: registered(
                r,
                "camscan_stream_fps",
                "Frames per second the last stream check measured (absent when it measured none)",
                None,
                Family::default(),
            ),
            stream_bitrate: registered(
                r,
                "camscan_stream_bitrate",
                "Bitrate the last stream check measured, in bytes per second (absent when it measured none)",
                Some(Unit::Other("bytes_per_second".into())),
                Family::default(),
            ),
            stream_first_packet: registered(
                r,
                "camscan_stream_first_packet",
                "Time from the last stream check's request to its first media packet (absent when none came)",
                Some(Unit::Seconds),
                Family::default(),
            ),
            stream_checks: registered(
                r,
                "camscan_stream_checks",
                "Stream checks by result: ok, or the layer that failed (host, port, describe, auth, media, rate)",
                None,
                Family::default(),
            ),
        }
    }
}

/// The scans' series.
pub(super) struct ScanSeries {
    pub(super) scan_duration: Histogram,
    pub(super) last_scan: GaugeF,
    pub(super) scans: Family<CompleteSet, Counter>,
    pub(super) probes: Counter,
    pub(super) failed_logins: Counter,
    pub(super) devices: Gauge,
    pub(super) streams: Family<super::StateSet, Gauge>,
}

impl ScanSeries {
    pub(super) fn register(r: &mut Registry) -> ScanSeries {
        ScanSeries {
            scan_duration: registered(
                r,
                "camscan_scan_duration",
                "How long each scan of the watch took",
                Some(Unit::Seconds),
                Histogram::new(SCAN_BUCKETS),
            ),
            last_scan: registered(
                r,
                "camscan_last_scan_timestamp",
                "When the last scan finished, in seconds since the Unix epoch",
                Some(Unit::Seconds),
                GaugeF::default(),
            ),
            scans: registered(
                r,
                "camscan_scans",
                "Scans finished; complete=false when one was cut short (a deadline or a stop)",
                None,
                Family::default(),
            ),
            probes: registered(
                r,
                "camscan_probes",
                "TCP connection attempts (probes) the scans made",
                None,
                Counter::default(),
            ),
            failed_logins: registered(
                r,
                "camscan_failed_logins",
                "Logins the scans tried that the devices refused",
                None,
                Counter::default(),
            ),
            devices: registered(
                r,
                "camscan_devices",
                "Devices the last scan found",
                None,
                Gauge::default(),
            ),
            streams: registered(
                r,
                "camscan_streams",
                "The inventory's streams by state: up (it played), unverified (its server \
                 answers, no media received), refused (a login needed or refused), down",
                None,
                Family::default(),
            ),
        }
    }
}

/// The events' and notification sinks' series.
pub(super) struct EventSeries {
    pub(super) events: Family<KindSet, Counter>,
    pub(super) outbox_depth: Family<SinkSet, Gauge>,
    pub(super) delivered: Family<SinkSet, Counter>,
    pub(super) failures: Family<SinkSet, Counter>,
    pub(super) dropped: Family<SinkSet, Counter>,
}

impl EventSeries {
    pub(super) fn register(r: &mut Registry) -> EventSeries {
        EventSeries {
            events: registered(
                r,
                "camscan_events",
                "Inventory events derived by scans, stream checks and announcements, by kind",
                None,
                Family::default(),
            ),
            outbox_depth: registered(
                r,
                "camscan_outbox_depth",
                "Events waiting in the store for the notification sink",
                None,
                Family::default(),
            ),
            delivered: registered(
                r,
                "camscan_notifications_delivered",
                "Events the notification sink took",
                None,
                Family::default(),
            ),
            failures: registered(
                r,
                "camscan_notification_failures",
                "Failed delivery attempts to the notification sink (each is retried)",
                None,
                Family::default(),
            ),
            dropped: registered(
                r,
                "camscan_outbox_dropped",
                "Events dropped for the notification sink because it fell more than --outbox-cap behind",
                None,
                Family::default(),
            ),
        }
    }
}
