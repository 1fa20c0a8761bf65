//! A fixed report for exporter snapshots: fixed timestamps, a camera with an open and a protected
//! stream, a plain web server, and a hostile device whose strings try formula and escape injection.

use crate::model::*;

pub fn report() -> Report {
    let camera = Device {
        is_camera: true,
        discovered_by: vec![DiscoveryMethod::Port],
        open_ports: vec![80, 554],
        services: vec![Service {
            port: 554,
            transport: Transport::Tcp,
            protocol: Protocol::Rtsp,
            server: Some("GStreamer RTSP server".into()),
            auth: AuthScheme::None,
            realm: None,
            methods: vec!["OPTIONS".into(), "DESCRIBE".into()],
            title: None,
            product: None,
            tls: None,
        }],
        streams: vec![
            Stream {
                url: "rtsp://198.18.0.10:554/Streaming/Channels/101".into(),
                protocol: Protocol::Rtsp,
                port: 554,
                auth: AuthScheme::None,
                status: StreamStatus::Ok,
                username: None,
                verified: true,
                video: Some(VideoInfo {
                    codec: "h264".into(),
                    width: Some(1280),
                    height: Some(720),
                    fps: Some(25.0),
                    fps_source: Some("rtp".into()),
                    profile: Some("main".into()),
                    level: Some("3.1".into()),
                    rfc6381: Some("avc1.4D401F".into()),
                    bitrate_kbps: None,
                }),
                audio: Some(AudioInfo {
                    codec: "aac".into(),
                    sample_rate: Some(16000),
                    channels: Some(1),
                }),
                measured: Some(Measured {
                    transport: "tcp".into(),
                    packets: 152,
                    bytes: 23442,
                    fps: Some(25.0),
                    bitrate_kbps: Some(187.5),
                    keyframe: true,
                    duration_ms: 1000,
                    width: None,
                    height: None,
                }),
            },
            Stream {
                url: "rtsp://198.18.0.10:554/Streaming/Channels/102".into(),
                protocol: Protocol::Rtsp,
                port: 554,
                auth: AuthScheme::Digest,
                status: StreamStatus::AuthRequired,
                username: None,
                verified: false,
                video: None,
                audio: None,
                measured: None,
            },
        ],
        ..Device::new("198.18.0.10".parse().unwrap())
    };
    let web = Device {
        discovered_by: vec![DiscoveryMethod::Port],
        open_ports: vec![80],
        services: vec![Service {
            port: 80,
            transport: Transport::Tcp,
            protocol: Protocol::Http,
            server: Some("nginx".into()),
            auth: AuthScheme::None,
            realm: None,
            methods: vec![],
            title: None,
            product: None,
            tls: None,
        }],
        ..Device::new("198.18.0.20".parse().unwrap())
    };
    let hostile = Device {
        hostname: Some("-evil".into()),
        discovered_by: vec![DiscoveryMethod::Port],
        open_ports: vec![554],
        is_camera: true,
        services: vec![Service {
            port: 554,
            transport: Transport::Tcp,
            protocol: Protocol::Rtsp,
            server: Some("=cmd|' /C calc'!A0\x1b[31m".into()),
            auth: AuthScheme::Basic,
            realm: Some("@x".into()),
            methods: vec![],
            title: None,
            product: None,
            tls: None,
        }],
        errors: vec![Failure {
            stage: Stage::Analyze,
            port: Some(554),
            message: "RTSP DESCRIBE rtsp://198.18.0.30:554/ to 198.18.0.30:554 got no complete answer within 3s".into(),
        }],
        ..Device::new("198.18.0.30".parse().unwrap())
    };
    Report {
        schema_version: SCHEMA_VERSION,
        camscan_version: "0.0.0-test".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: "2026-01-01T00:00:02Z".into(),
        complete: true,
        targets: vec!["198.18.0.0/24".into()],
        devices: vec![camera, web, hostile],
    }
}
