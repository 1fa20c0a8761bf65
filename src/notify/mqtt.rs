//! The `mqtt=mqtt://HOST[:PORT]/TOPIC` sink (rumqttc, MQTT 3.1.1, plain TCP), with optional Home
//! Assistant MQTT discovery (`--ha-discovery`).
//!
//! Per notice, all QoS 1 (the broker acknowledges each with a PUBACK):
//!
//! | topic | payload | retained |
//! |---|---|---|
//! | `TOPIC/<device-id>/<kind>` | the notice's JSON | no |
//! | `TOPIC/<device-id>/state` | `online` / `offline` ([`Notice::device_online`]) | yes |
//! | `TOPIC/<device-id>/stream/<hash>/state` | `up` / `down`: its server answers or not ([`Notice::stream_answers`]) | yes |
//! | `TOPIC/<device-id>/finding/<hash>/state` | `open` / `resolved` ([`Notice::finding_open`]) | yes |
//!
//! A finding's `<hash>` is [`stream_hash`] of `<finding id>|<port>|<stream>`: its identity on the
//! device (`finding_new` / `finding_resolved`, from `camscan audit`).
//!
//! `<device-id>` is the store's device id (the notice's `device.id`), `<hash>` the first 12 hex
//! digits of the SHA-256 of the stream's URL (without credentials): short, stable across runs
//! and versions, and free of the `/`, `+` and `#` a URL would bring into a topic.
//!
//! With discovery, before a device's first publish (and again when its config changes: a new
//! firmware, a name), a retained config on
//! `homeassistant/binary_sensor/camscan_<device-id>/config` makes a `connectivity` binary sensor
//! of the device state topic, and one per stream (`camscan_<device-id>_<hash>`) of the stream's;
//! both carry the same `device` block so Home Assistant groups them under one device. A finding
//! gets a `problem` binary sensor (`camscan_<device-id>_finding_<hash>`, on: open), named after
//! its id and port, under the same device. Field names
//! from Home Assistant's MQTT discovery and MQTT binary sensor documentation
//! (home-assistant.io/integrations/mqtt/, /integrations/binary_sensor.mqtt/).
//!
//! After every reconnect, the first delivery publishes again every retained message (states and
//! configs) this process has had acknowledged: a broker without persistence forgets them when it
//! restarts, and Home Assistant would otherwise lose the sensors until each device's next event.
//!
//! A delivery is `Ok` only once the broker has acknowledged every publish of the notice, within
//! [`TIMEOUT`]. One connection is kept between notices, its event loop driven by a task of its
//! own (so keepalive pings flow while the sink is idle); any error drops it, and the next delivery
//! connects afresh (clean session, so nothing half-sent is replayed under the old packet ids: the
//! delivery loop sends the whole notice again).

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::BoxFuture;
use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::SinkError;
use error::fmt_duration;
use input::setting::{Repeat, SWITCH, Setting, switch};
use store::Notice;

/// One delivery's deadline (connecting when needed, publishing, every PUBACK): 10 s. A broker on
/// the LAN acknowledges in milliseconds (docs/design/crates.md, "MQTT: rumqttc": two retained
/// QoS 1 publishes acked in 2.9 ms by Mosquitto on loopback); 10 s is rumqttc's own default for
/// the TCP connect and CONNACK (`NetworkOptions::connection_timeout`, 5 s) plus room for the
/// publishes.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Keepalive: 30 s, half of Mosquitto's and most clients' 60 s, so a broker that went away
/// without a FIN is noticed within 45 s (1.5 x keepalive, MQTT 3.1.1 §3.1.2.10) while idle.
const KEEP_ALIVE: Duration = Duration::from_secs(30);

/// Largest packet either way: a notice with a `stream_changed` detail is a few KiB; 256 KiB
/// leaves room and stays far under a broker's limit (Mosquitto's `message_size_limit` is
/// unlimited by default, MQTT's own 256 MiB).
const MAX_PACKET: usize = 256 * 1024;

/// The default port of MQTT over TCP (IANA).
pub const DEFAULT_PORT: u16 = 1883;

/// The topic prefix when the URL gives none.
const DEFAULT_TOPIC: &str = "camscan";

/// `--ha-discovery` (config `watch: ha_discovery:`): Home Assistant discovery on every MQTT sink.
pub static HA_DISCOVERY: Setting<bool> = Setting {
    key: "ha_discovery",
    flag: "--ha-discovery",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: SWITCH,
    help: "With an mqtt= sink: publish Home Assistant MQTT discovery configs (retained), so \
           cameras appear in Home Assistant as connectivity sensors",
    default: false,
    choices: None,
    parse: switch,
};

/// Home Assistant's default discovery prefix.
const HA_PREFIX: &str = "homeassistant";

/// Requests queued for the event loop task; a delivery awaits room (the task drains them),
/// and rumqttc keeps at most 100 QoS 1 publishes unacknowledged (its default `inflight`).
const REQUESTS: usize = 64;

/// An MQTT broker and where to publish.
pub struct Mqtt {
    host: String,
    port: u16,
    topic: String,
    ha_discovery: bool,
    timeout: Duration,
    conn: Option<Connection>,
    /// Every retained message the broker acknowledged, by topic (the last payload): what to
    /// publish again after a reconnect, and the configs Home Assistant already has.
    retained: BTreeMap<String, Vec<u8>>,
    /// Connected since the last delivery: publish [`Mqtt::retained`] again first.
    fresh: bool,
}

/// One MQTT session: the client and what its event loop task reports.
struct Connection {
    client: AsyncClient,
    events: mpsc::UnboundedReceiver<Result<Progress, String>>,
    task: AbortOnDrop,
}

/// The event loop task ends with its connection.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What the event loop task passes on (pings and the rest stay there).
#[derive(Debug)]
enum Progress {
    Connected,
    /// A publish went out.
    Sent,
    /// The broker acknowledged one (PUBACK).
    Acked,
}

/// One publish of a notice.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
}

impl Mqtt {
    /// A sink for `url` (`mqtt://HOST[:PORT]/TOPIC`; TOPIC defaults to `camscan`), with Home
    /// Assistant discovery when `ha_discovery`, each delivery within `timeout` ([`TIMEOUT`] for
    /// `--notify`). Nothing connects yet.
    pub fn new(url: &str, ha_discovery: bool, timeout: Duration) -> Result<Mqtt, String> {
        let u = url::Url::parse(url).map_err(|e| format!("mqtt `{url}`: {e}"))?;
        if u.scheme() != "mqtt" {
            return Err(format!(
                "mqtt `{url}`: expected mqtt://HOST[:PORT]/TOPIC (TLS is not supported yet)"
            ));
        }
        let host = match u.host() {
            Some(url::Host::Ipv6(a)) => a.to_string(),
            Some(h) => h.to_string(),
            None => return Err(format!("mqtt `{url}`: no host")),
        };
        if !u.username().is_empty() || u.password().is_some() {
            return Err(format!(
                "mqtt `{url}`: credentials in the URL are not supported (they would be on the command line)"
            ));
        }
        if u.query().is_some() || u.fragment().is_some() {
            return Err(format!(
                "mqtt `{url}`: `?` and `#` have no place in a topic to publish under"
            ));
        }
        let topic = u.path().trim_matches('/');
        let topic = if topic.is_empty() {
            DEFAULT_TOPIC
        } else {
            topic
        };
        if topic.contains(['+', '#', '\0']) || topic.split('/').any(str::is_empty) {
            return Err(format!(
                "mqtt `{url}`: `{topic}` is not a topic to publish under (no `+`, `#` or empty levels)"
            ));
        }
        Ok(Mqtt {
            host,
            port: u.port().unwrap_or(DEFAULT_PORT),
            topic: topic.to_string(),
            ha_discovery,
            timeout,
            conn: None,
            retained: BTreeMap::new(),
            fresh: false,
        })
    }

    /// The topic prefix.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub async fn deliver(&mut self, notice: &Notice) -> Result<(), SinkError> {
        let deadline = Instant::now() + self.timeout;
        let result = self.try_deliver(notice, deadline).await;
        if result.is_err() {
            // Whatever state the session is in, the next attempt starts a new one.
            self.conn = None;
        }
        result
    }

    async fn try_deliver(&mut self, notice: &Notice, deadline: Instant) -> Result<(), SinkError> {
        let within = fmt_duration(self.timeout);
        let broker = format!("mqtt {}:{}", self.host, self.port);
        // A session that ended while the sink was idle (the broker restarted, a keepalive went
        // unanswered) may not have finished its task yet: what it reported decides.
        if let Some(c) = &mut self.conn {
            loop {
                match c.events.try_recv() {
                    Ok(Ok(_)) => continue,
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Ok(Err(_)) | Err(mpsc::error::TryRecvError::Disconnected) => {
                        self.conn = None;
                        break;
                    }
                }
            }
        }
        if self.conn.as_ref().is_none_or(|c| c.task.0.is_finished()) {
            self.conn = None;
            let conn = tokio::time::timeout_at(deadline, self.connect())
                .await
                .map_err(|_| SinkError(format!("{broker}: no CONNACK within {within}")))?
                .map_err(|e| SinkError(format!("{broker}: {e}")))?;
            self.conn = Some(conn);
            self.fresh = true;
        }
        let mut messages = Vec::new();
        if self.fresh {
            messages.extend(self.retained.iter().map(|(topic, payload)| Message {
                topic: topic.clone(),
                payload: payload.clone(),
                retain: true,
            }));
        }
        messages.extend(self.messages(notice));
        let conn = self.conn.as_mut().expect("connected above");
        // Queue them all (the event loop task sends them as it goes), then count what goes out
        // and what comes back. Counting, not matching packet ids: rumqttc reuses ids within its
        // inflight window, and every earlier publish on this session was acknowledged before
        // its delivery returned (any failure ends the session).
        let (mut sent, mut acked) = (0, 0);
        for m in &messages {
            let publish = conn.client.publish(
                m.topic.clone(),
                QoS::AtLeastOnce,
                m.retain,
                m.payload.clone(),
            );
            tokio::time::timeout_at(deadline, publish)
                .await
                .map_err(|_| SinkError(format!("{broker}: publishing stalled for {within}")))?
                .map_err(|e| SinkError(format!("{broker}: publish {}: {e}", m.topic)))?;
        }
        while sent < messages.len() || acked < messages.len() {
            let progress = tokio::time::timeout_at(deadline, conn.events.recv())
                .await
                .map_err(|_| {
                    SinkError(format!(
                        "{broker}: {acked} of {} publishes acknowledged within {within}",
                        messages.len()
                    ))
                })?;
            match progress {
                Some(Ok(Progress::Sent)) => sent += 1,
                Some(Ok(Progress::Acked)) => acked += 1,
                Some(Ok(Progress::Connected)) => {}
                Some(Err(e)) => return Err(SinkError(format!("{broker}: {e}"))),
                None => return Err(SinkError(format!("{broker}: connection closed"))),
            }
        }
        self.fresh = false;
        for m in messages.into_iter().filter(|m| m.retain) {
            self.retained.insert(m.topic, m.payload);
        }
        Ok(())
    }

    /// Connect and wait for the broker's CONNACK.
    async fn connect(&self) -> Result<Connection, String> {
        let id = format!("camscan-{:016x}", net::random_u64());
        let mut options = MqttOptions::new(id, self.host.clone(), self.port);
        options
            .set_keep_alive(KEEP_ALIVE)
            .set_clean_session(true)
            .set_max_packet_size(MAX_PACKET, MAX_PACKET)
            .set_request_channel_capacity(REQUESTS);
        let (client, mut eventloop) = AsyncClient::new(options, REQUESTS);
        let (tx, mut events) = mpsc::unbounded_channel();
        let task = AbortOnDrop(tokio::spawn(async move {
            loop {
                let progress = match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                        if ack.code == rumqttc::ConnectReturnCode::Success {
                            Ok(Progress::Connected)
                        } else {
                            Err(format!("connection refused: {:?}", ack.code))
                        }
                    }
                    Ok(Event::Incoming(Packet::PubAck(_))) => Ok(Progress::Acked),
                    Ok(Event::Outgoing(Outgoing::Publish(_))) => Ok(Progress::Sent),
                    Ok(_) => continue,
                    Err(e) => Err(super::error_chain(&e)),
                };
                let last = progress.is_err();
                if tx.send(progress).is_err() || last {
                    // The sink is gone, or the connection is: rumqttc would reconnect on the
                    // next poll; the sink does that itself, with a new session.
                    return;
                }
            }
        }));
        match events.recv().await {
            Some(Ok(Progress::Connected)) => Ok(Connection {
                client,
                events,
                task,
            }),
            Some(Ok(other)) => Err(format!("expected a CONNACK first, got {other:?}")),
            Some(Err(e)) => Err(e),
            None => Err("connection closed".into()),
        }
    }

    /// The publishes of `notice`, in order: the Home Assistant configs Home Assistant does not
    /// have yet (or has older), the states, then the event.
    fn messages(&self, notice: &Notice) -> Vec<Message> {
        let d = notice.device.id;
        let mut out = Vec::new();
        if self.ha_discovery {
            let mut configs = vec![(device_config_topic(d), device_config(&self.topic, notice))];
            if notice.finding_open().is_some() {
                configs.push((
                    finding_config_topic(d, notice),
                    finding_config(&self.topic, notice),
                ));
            } else if let Some(url) = &notice.stream {
                configs.push((
                    stream_config_topic(d, url),
                    stream_config(&self.topic, notice, url),
                ));
            }
            for (topic, config) in configs {
                let payload = config.to_string().into_bytes();
                if self.retained.get(&topic) != Some(&payload) {
                    out.push(Message {
                        topic,
                        payload,
                        retain: true,
                    });
                }
            }
        }
        if let Some(online) = notice.device_online() {
            out.push(Message {
                topic: device_state_topic(&self.topic, d),
                payload: if online { "online" } else { "offline" }.into(),
                retain: true,
            });
        }
        if let (Some(answers), Some(url)) = (notice.stream_answers(), &notice.stream) {
            out.push(Message {
                topic: stream_state_topic(&self.topic, d, url),
                payload: if answers { "up" } else { "down" }.into(),
                retain: true,
            });
        }
        if let Some(open) = notice.finding_open() {
            out.push(Message {
                topic: finding_state_topic(&self.topic, notice),
                payload: if open { "open" } else { "resolved" }.into(),
                retain: true,
            });
        }
        out.push(Message {
            topic: event_topic(&self.topic, notice),
            payload: serde_json::to_vec(notice).unwrap_or_default(),
            retain: false,
        });
        out
    }
}

/// `TOPIC/<device-id>/<kind>`.
pub fn event_topic(topic: &str, notice: &Notice) -> String {
    format!("{topic}/{}/{}", notice.device.id, notice.kind.as_str())
}

/// `TOPIC/<device-id>/state`.
pub fn device_state_topic(topic: &str, device: i64) -> String {
    format!("{topic}/{device}/state")
}

/// `TOPIC/<device-id>/stream/<hash>/state`.
pub fn stream_state_topic(topic: &str, device: i64, url: &str) -> String {
    format!("{topic}/{device}/stream/{}/state", stream_hash(url))
}

/// A finding's identity on its device, from a `finding_*` notice: `<id>|<port>|<stream>`.
fn finding_identity(notice: &Notice) -> String {
    let d = &notice.detail;
    format!(
        "{}|{}|{}",
        d.get("finding").and_then(|v| v.as_str()).unwrap_or(""),
        d.get("port")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0),
        d.get("stream").and_then(|v| v.as_str()).unwrap_or("")
    )
}

/// `TOPIC/<device-id>/finding/<hash>/state`.
pub fn finding_state_topic(topic: &str, notice: &Notice) -> String {
    format!(
        "{topic}/{}/finding/{}/state",
        notice.device.id,
        stream_hash(&finding_identity(notice))
    )
}

/// `homeassistant/binary_sensor/camscan_<device-id>_finding_<hash>/config`.
pub fn finding_config_topic(device: i64, notice: &Notice) -> String {
    format!(
        "{HA_PREFIX}/binary_sensor/camscan_{device}_finding_{}/config",
        stream_hash(&finding_identity(notice))
    )
}

/// The discovery config of one finding's `problem` sensor (on: open).
pub fn finding_config(topic: &str, notice: &Notice) -> serde_json::Value {
    let d = notice.device.id;
    let detail = &notice.detail;
    let id = detail
        .get("finding")
        .and_then(|v| v.as_str())
        .unwrap_or("finding");
    let name = match detail.get("port").and_then(serde_json::Value::as_u64) {
        Some(port) => format!("Finding {id} (port {port})"),
        None => format!("Finding {id}"),
    };
    json!({
        "name": name,
        "unique_id": format!("camscan_{d}_finding_{}", stream_hash(&finding_identity(notice))),
        "device_class": "problem",
        "state_topic": finding_state_topic(topic, notice),
        "payload_on": "open",
        "payload_off": "resolved",
        "qos": 1,
        "device": ha_device(notice),
    })
}

/// The first 12 hex digits (48 bits) of the SHA-256 of `url`: a stream's name in topics.
pub fn stream_hash(url: &str) -> String {
    super::hex(&Sha256::digest(url.as_bytes())[..6])
}

/// `homeassistant/binary_sensor/camscan_<device-id>/config`.
pub fn device_config_topic(device: i64) -> String {
    format!("{HA_PREFIX}/binary_sensor/camscan_{device}/config")
}

/// `homeassistant/binary_sensor/camscan_<device-id>_<hash>/config`.
pub fn stream_config_topic(device: i64, url: &str) -> String {
    format!(
        "{HA_PREFIX}/binary_sensor/camscan_{device}_{}/config",
        stream_hash(url)
    )
}

/// The Home Assistant `device` block: what groups a device's sensors.
fn ha_device(notice: &Notice) -> serde_json::Value {
    let d = &notice.device;
    let name = d
        .name
        .clone()
        .or_else(|| {
            let vm = [d.vendor.as_deref(), d.model.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let at =
                d.ip.as_deref()
                    .map(|ip| format!(" ({ip})"))
                    .unwrap_or_default();
            (!vm.is_empty()).then(|| format!("{vm}{at}"))
        })
        .or_else(|| d.ip.clone())
        .unwrap_or_else(|| d.key.clone());
    let mut block = json!({
        "identifiers": [format!("camscan_{}", d.key)],
        "name": name,
    });
    if let Some(mac) = &d.mac {
        // Lets Home Assistant merge this device with what other integrations (a router's) know.
        block["connections"] = json!([["mac", mac]]);
    }
    for (field, value) in [
        ("manufacturer", &d.vendor),
        ("model", &d.model),
        ("sw_version", &d.firmware),
    ] {
        if let Some(v) = value {
            block[field] = json!(v);
        }
    }
    block
}

/// The discovery config of a device's connectivity sensor.
pub fn device_config(topic: &str, notice: &Notice) -> serde_json::Value {
    let d = notice.device.id;
    json!({
        "name": "Connectivity",
        "unique_id": format!("camscan_{d}"),
        "device_class": "connectivity",
        "state_topic": device_state_topic(topic, d),
        "payload_on": "online",
        "payload_off": "offline",
        "qos": 1,
        "device": ha_device(notice),
    })
}

/// The discovery config of one stream's sensor (on: up).
pub fn stream_config(topic: &str, notice: &Notice, url: &str) -> serde_json::Value {
    let d = notice.device.id;
    json!({
        "name": format!("Stream {url}"),
        "unique_id": format!("camscan_{d}_{}", stream_hash(url)),
        "device_class": "connectivity",
        "state_topic": stream_state_topic(topic, d, url),
        "payload_on": "up",
        "payload_off": "down",
        "qos": 1,
        "device": ha_device(notice),
    })
}

impl super::Deliver for Mqtt {
    fn deliver<'a>(&'a mut self, notice: &'a Notice) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(Mqtt::deliver(self, notice))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::{EventKind, NOTICE_SCHEMA, NoticeDevice};

    fn notice(kind: EventKind, stream: Option<&str>) -> Notice {
        Notice {
            schema: NOTICE_SCHEMA,
            id: 7,
            at: "2026-01-01T00:00:00Z".into(),
            kind,
            scan_id: Some(1),
            device: NoticeDevice {
                id: 3,
                key: "mac:aa:bb:cc:00:00:01".into(),
                ip: Some("10.0.0.5".into()),
                mac: Some("aa:bb:cc:00:00:01".into()),
                vendor: Some("Hikvision".into()),
                model: Some("DS-2CD2042WD".into()),
                firmware: Some("V5.7.3".into()),
                name: None,
            },
            stream: stream.map(String::from),
            detail: serde_json::Value::Null,
        }
    }

    const URL: &str = "rtsp://10.0.0.5:554/Streaming/Channels/101";

    #[test]
    fn urls_give_host_port_and_topic() {
        let m = Mqtt::new("mqtt://127.0.0.1:1884/home/cams/", false, TIMEOUT).unwrap();
        assert_eq!(
            (m.host.as_str(), m.port, m.topic()),
            ("127.0.0.1", 1884, "home/cams")
        );
        let m = Mqtt::new("mqtt://broker.lan", false, TIMEOUT).unwrap();
        assert_eq!((m.port, m.topic()), (1883, "camscan"));
        let m = Mqtt::new("mqtt://[::1]/t", false, TIMEOUT).unwrap();
        assert_eq!(m.host, "::1");
        for bad in [
            "mqtts://h/t",
            "mqtt://h/a/+/b",
            "mqtt://h/a/#",
            "mqtt://h/a//b",
            "mqtt://user:pw@h/t",
            "mqtt:///t",
        ] {
            assert!(Mqtt::new(bad, false, TIMEOUT).is_err(), "{bad}");
        }
    }

    /// A finding is a `problem` sensor of its device, open or resolved (retained), with no
    /// stream sensor for the stream it concerns; its event on `TOPIC/<id>/finding_new`.
    #[test]
    fn findings_are_problem_sensors() {
        let m = Mqtt::new("mqtt://127.0.0.1/cams", true, TIMEOUT).unwrap();
        let mut n = notice(EventKind::FindingNew, Some(URL));
        n.detail = json!({"finding": "stream-unauthenticated", "severity": "high",
            "title": "plays without credentials", "port": 554, "stream": URL});
        let msgs = m.messages(&n);
        let topics: Vec<&str> = msgs.iter().map(|m| m.topic.as_str()).collect();
        let h = stream_hash(&format!("stream-unauthenticated|554|{URL}"));
        assert_eq!(
            topics,
            [
                "homeassistant/binary_sensor/camscan_3/config".to_string(),
                format!("homeassistant/binary_sensor/camscan_3_finding_{h}/config"),
                format!("cams/3/finding/{h}/state"),
                "cams/3/finding_new".to_string(),
            ]
        );
        let config: serde_json::Value = serde_json::from_slice(&msgs[1].payload).unwrap();
        assert_eq!(config["device_class"], "problem");
        assert_eq!(config["name"], "Finding stream-unauthenticated (port 554)");
        assert_eq!(config["state_topic"], format!("cams/3/finding/{h}/state"));
        assert_eq!(
            (msgs[2].payload.as_slice(), msgs[2].retain),
            (&b"open"[..], true)
        );
        n.kind = EventKind::FindingResolved;
        let msgs = m.messages(&n);
        let state = msgs.iter().find(|m| m.topic.ends_with("/state")).unwrap();
        assert_eq!(state.payload, b"resolved");
        assert_eq!(msgs.last().unwrap().topic, "cams/3/finding_resolved");
    }

    #[test]
    fn topics() {
        let n = notice(EventKind::StreamDown, Some(URL));
        assert_eq!(event_topic("cams", &n), "cams/3/stream_down");
        assert_eq!(device_state_topic("cams", 3), "cams/3/state");
        let h = stream_hash(URL);
        assert_eq!(h.len(), 12);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(h, stream_hash(URL), "stable");
        assert_ne!(h, stream_hash("rtsp://10.0.0.5:554/Streaming/Channels/102"));
        // The SHA-256 of the URL, truncated: pinned so a change of hash is a decision.
        assert_eq!(
            stream_hash("rtsp://10.0.0.5:554/Streaming/Channels/101"),
            super::super::hex(&Sha256::digest(URL.as_bytes()))[..12]
        );
        assert_eq!(
            stream_state_topic("cams", 3, URL),
            format!("cams/3/stream/{h}/state")
        );
        assert_eq!(
            device_config_topic(3),
            "homeassistant/binary_sensor/camscan_3/config"
        );
        assert_eq!(
            stream_config_topic(3, URL),
            format!("homeassistant/binary_sensor/camscan_3_{h}/config")
        );
    }

    #[test]
    fn home_assistant_configs() {
        let n = notice(EventKind::DeviceNew, None);
        let device = json!({
            "identifiers": ["camscan_mac:aa:bb:cc:00:00:01"],
            "connections": [["mac", "aa:bb:cc:00:00:01"]],
            "name": "Hikvision DS-2CD2042WD (10.0.0.5)",
            "manufacturer": "Hikvision",
            "model": "DS-2CD2042WD",
            "sw_version": "V5.7.3",
        });
        assert_eq!(
            device_config("cams", &n),
            json!({
                "name": "Connectivity",
                "unique_id": "camscan_3",
                "device_class": "connectivity",
                "state_topic": "cams/3/state",
                "payload_on": "online",
                "payload_off": "offline",
                "qos": 1,
                "device": device,
            })
        );
        let h = stream_hash(URL);
        assert_eq!(
            stream_config("cams", &n, URL),
            json!({
                "name": format!("Stream {URL}"),
                "unique_id": format!("camscan_3_{h}"),
                "device_class": "connectivity",
                "state_topic": format!("cams/3/stream/{h}/state"),
                "payload_on": "up",
                "payload_off": "down",
                "qos": 1,
                "device": device,
            })
        );
        // A device known by address only: named by it, no connections, no empty fields.
        let mut bare = notice(EventKind::DeviceNew, None);
        bare.device.mac = None;
        bare.device.vendor = None;
        bare.device.model = None;
        bare.device.firmware = None;
        bare.device.key = "ip:10.0.0.9".into();
        bare.device.ip = Some("10.0.0.9".into());
        assert_eq!(
            device_config("cams", &bare)["device"],
            json!({"identifiers": ["camscan_ip:10.0.0.9"], "name": "10.0.0.9"})
        );
    }

    #[test]
    fn a_notice_publishes_configs_once_then_states_then_the_event() {
        let mut m = Mqtt::new("mqtt://127.0.0.1/cams", true, TIMEOUT).unwrap();
        let n = notice(EventKind::StreamNew, Some(URL));
        let msgs = m.messages(&n);
        let topics: Vec<_> = msgs.iter().map(|m| (m.topic.as_str(), m.retain)).collect();
        let h = stream_hash(URL);
        assert_eq!(
            topics,
            [
                ("homeassistant/binary_sensor/camscan_3/config", true),
                (
                    format!("homeassistant/binary_sensor/camscan_3_{h}/config").as_str(),
                    true
                ),
                (format!("cams/3/stream/{h}/state").as_str(), true),
                ("cams/3/stream_new", false),
            ]
        );
        assert_eq!(msgs[2].payload, b"up");
        let back: Notice = serde_json::from_slice(&msgs[3].payload).unwrap();
        assert_eq!(back, n);
        // Once acknowledged, the configs are not sent again while they stay the same.
        for msg in msgs.into_iter().filter(|m| m.retain) {
            m.retained.insert(msg.topic, msg.payload);
        }
        let msgs = m.messages(&notice(EventKind::DeviceOffline, None));
        let topics: Vec<_> = msgs.iter().map(|m| m.topic.as_str()).collect();
        assert_eq!(topics, ["cams/3/state", "cams/3/device_offline"]);
        assert_eq!(msgs[0].payload, b"offline");
        // A new firmware: the device's config again, with it.
        let mut upgraded = notice(EventKind::FirmwareChanged, None);
        upgraded.device.firmware = Some("V5.8.0".into());
        let msgs = m.messages(&upgraded);
        assert_eq!(
            msgs[0].topic,
            "homeassistant/binary_sensor/camscan_3/config"
        );
        assert!(String::from_utf8_lossy(&msgs[0].payload).contains("V5.8.0"));
        assert_eq!(msgs.len(), 2);
        // Without discovery: no configs.
        let plain = Mqtt::new("mqtt://127.0.0.1/cams", false, TIMEOUT).unwrap();
        assert_eq!(plain.messages(&n).len(), 2);
    }
}
