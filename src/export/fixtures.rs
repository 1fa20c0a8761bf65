//! A fixed report for exporter snapshots: fixed timestamps, a camera with an open and a protected
//! stream, a plain web server, a hostile device whose strings try formula and escape injection, and
//! an "odd" device whose strings a YAML 1.1 reader would misread (`on`, `0012`, `1e3`, `12:30`) or
//! XML must escape, with every nested object (ONVIF, UPnP, SADP) filled in.

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
                notes: vec!["sdp_repaired: missing origin address".into()],
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
                notes: Vec::new(),
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
    let odd_ip = "198.18.0.40".parse().unwrap();
    let odd_url = "rtsp://198.18.0.40:8554/live?ch=1&sub=0".to_string();
    let odd = Device {
        mac: Some("00:12:34:56:78:9a".into()),
        hostname: Some("~".into()),
        vendor: Some("yes".into()),
        model: Some("1e3".into()),
        firmware: Some("12:30".into()),
        serial: Some("0012".into()),
        name: Some("on".into()),
        is_camera: true,
        discovered_by: vec![DiscoveryMethod::Onvif, DiscoveryMethod::Port],
        open_ports: vec![8554],
        services: vec![Service {
            port: 8554,
            transport: Transport::Tcp,
            protocol: Protocol::Rtsp,
            server: Some("null".into()),
            auth: AuthScheme::None,
            realm: None,
            methods: vec!["OPTIONS".into()],
            title: Some("yes".into()),
            product: Some("1e3".into()),
            tls: None,
        }],
        streams: vec![Stream {
            url: odd_url.clone(),
            protocol: Protocol::Rtsp,
            port: 8554,
            auth: AuthScheme::None,
            status: StreamStatus::Ok,
            username: None,
            verified: true,
            video: Some(VideoInfo {
                fps: Some(12.5),
                fps_source: Some("sdp".into()),
                width: Some(640),
                height: Some(480),
                ..VideoInfo::new("mjpeg".into())
            }),
            audio: None,
            measured: Some(Measured {
                transport: "udp".into(),
                packets: 40,
                bytes: 51200,
                fps: Some(12.5),
                bitrate_kbps: Some(204.8),
                keyframe: true,
                duration_ms: 2000,
                width: Some(640),
                height: Some(480),
            }),
            notes: Vec::new(),
        }],
        onvif: Some(OnvifInfo {
            endpoint: Some("urn:uuid:00000000-0000-0000-0000-000000000040".into()),
            types: vec!["dn:NetworkVideoTransmitter".into()],
            scopes: vec![
                "onvif://www.onvif.org/name/on".into(),
                "onvif://www.onvif.org/location/2026-01-01".into(),
            ],
            xaddrs: vec!["http://198.18.0.40/onvif/device_service".into()],
            profiles: vec![OnvifProfile {
                token: "0777".into(),
                name: Some("off".into()),
                encoding: Some("JPEG".into()),
                width: Some(640),
                height: Some(480),
                fps: Some(12.5),
                service: "media".into(),
                stream_uri: Some(odd_url),
                snapshot_uri: None,
            }],
        }),
        upnp: Some(UpnpInfo {
            device_type: Some("urn:schemas-upnp-org:device:Basic:1".into()),
            friendly_name: Some("<Cam & \"Co\"> 'on'".into()),
            manufacturer: Some("yes".into()),
            model_name: Some("1e3".into()),
            ..Default::default()
        }),
        addresses: vec![odd_ip, "198.18.0.41".parse().unwrap()],
        channels: Some(1),
        announced: vec![Announcement {
            protocol: "sadp".into(),
            device_type: Some("0x1F".into()),
            model: Some("1e3".into()),
            serial: Some("0012".into()),
            mac: Some("00:12:34:56:78:9a".into()),
            firmware: Some("12:30".into()),
            ipv4: Some("198.18.0.40".into()),
            http_port: Some(80),
            sdk_port: Some(8000),
            channels: Some(1),
            activated: Some(false),
            dhcp: Some(true),
        }],
        ..Device::new(odd_ip)
    };
    Report {
        schema_version: SCHEMA_VERSION,
        camscan_version: "0.0.0-test".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: "2026-01-01T00:00:02Z".into(),
        complete: true,
        targets: vec!["198.18.0.0/24".into()],
        devices: vec![camera, web, hostile, odd],
    }
}
