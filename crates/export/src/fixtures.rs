//! A fixed report for exporter snapshots: fixed timestamps, a camera with a stream that played, a
//! protected one, and one that answered PLAY and sent no media (`unverified`, its failure among
//! the device's errors), a plain web server, a hostile device whose strings try formula and escape injection, and
//! an "odd" device whose strings a YAML 1.1 reader would misread (`on`, `0012`, `1e3`, `12:30`) or
//! XML must escape, with every nested object (ONVIF, UPnP, SADP) filled in.
//!
//! [`export_report`] adds what the configuration exports (go2rtc, Frigate, MediaMTX, the Home
//! Assistant sheet) choose between: a camera with a main and a sub stream, a user name, ONVIF
//! profiles and a snapshot URI; two devices whose names collide; a CIF sub stream too small to
//! detect on; an RTMP camera; an HLS-only camera with a JPEG snapshot and an accented name; and
//! channel 2 of an NVR.

use model::*;

/// What `exporter` writes for `report`, as text.
pub fn render(exporter: &dyn super::Exporter, report: &Report) -> String {
    let mut out = Vec::new();
    exporter.write(report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

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
            note: None,
            offered: Vec::new(),
            certificate: None,
            tls_legacy: None,
            path_walk: None,
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
                same_as: None,
                notes: vec!["sdp_repaired: missing origin address".into()],
                credential_entry: None,
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
                same_as: None,
                notes: Vec::new(),
                credential_entry: None,
            },
            Stream {
                url: "rtsp://198.18.0.10:554/Streaming/Channels/103".into(),
                protocol: Protocol::Rtsp,
                port: 554,
                auth: AuthScheme::None,
                status: StreamStatus::Ok,
                username: None,
                verified: true,
                video: None,
                audio: None,
                measured: None,
                same_as: Some("rtsp://198.18.0.10:554/Streaming/Channels/101".into()),
                notes: Vec::new(),
                credential_entry: None,
            },
            // It answered DESCRIBE and PLAY and sent no media (issue 72): not `ok`. Its
            // description named no video, so the configuration exports leave it out.
            Stream {
                status: StreamStatus::Unverified,
                audio: Some(AudioInfo {
                    codec: "pcmu".into(),
                    sample_rate: Some(8000),
                    channels: Some(1),
                }),
                ..Stream::new(
                    "rtsp://198.18.0.10:554/Streaming/Channels/104".into(),
                    Protocol::Rtsp,
                    554,
                )
            },
        ],
        errors: vec![Failure {
            stage: Stage::Analyze,
            port: Some(554),
            message: "RTSP PLAY rtsp://198.18.0.10:554/Streaming/Channels/104: no media packet \
                      within 5s"
                .into(),
        }],
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
            note: None,
            offered: Vec::new(),
            certificate: None,
            tls_legacy: None,
            path_walk: None,
        }],
        // A MAC whose maker the IEEE registry names, not a camera vendor.
        mac: Some("dc:a6:32:00:00:20".into()),
        mac_vendor: Some("Raspberry Pi Trading Ltd".into()),
        ..Device::new("198.18.0.20".parse().unwrap())
    };
    let hostile = Device {
        // A randomised MAC (locally administered bit): no maker.
        mac: Some("02:00:00:00:00:30".into()),
        mac_randomized: true,
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
            note: None,
            offered: Vec::new(),
            certificate: None,
            tls_legacy: None,
            path_walk: None,
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
            note: None,
            offered: Vec::new(),
            certificate: None,
            tls_legacy: None,
            path_walk: None,
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
            same_as: None,
            notes: Vec::new(),
            credential_entry: None,
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
            ..OnvifInfo::default()
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
            ipv4_mask: None,
            ipv4_gateway: None,
            ipv6: None,
            http_port: Some(80),
            sdk_port: Some(8000),
            channels: Some(1),
            activated: Some(false),
            dhcp: Some(true),
            name: Some("no".into()),
        }],
        ..Device::new(odd_ip)
    };
    let mut camera = camera;
    camera.capabilities = Capabilities {
        talkback: Some(capabilities::Talkback {
            supported: true,
            url: "rtsp://198.18.0.10:554/Streaming/Channels/101".into(),
            codec: Some("pcmu".into()),
            sample_rate: Some(8000),
            channels: Some(1),
            evidence: "sendonly audio section".into(),
            audio_outputs: None,
        }),
        logins: vec![capabilities::LoginSchemes {
            service: "rtsp://198.18.0.10:554".into(),
            offered: vec!["digest-md5".into()],
            used: None,
        }],
        ..Capabilities::default()
    };
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        camscan_version: "0.0.0-test".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: "2026-01-01T00:00:02Z".into(),
        complete: true,
        targets: vec!["198.18.0.0/24".into()],
        plan: None,
        coverage: None,
        devices: vec![camera, web, hostile, odd],
    };
    derive_roles(&mut report);
    report
}

/// Stream roles and browser playback, as the registry derives them when a scan ends.
fn derive_roles(report: &mut Report) {
    report.devices.iter_mut().for_each(roles::derive);
}

/// A PTZ camera Frigate can autotrack with, with motion events (the door camera of
/// [`export_report`]).
fn door_capabilities() -> Capabilities {
    Capabilities {
        ptz: Some(capabilities::Ptz {
            nodes: 1,
            absolute: true,
            relative: true,
            continuous: true,
            fov_relative: true,
            spaces: vec![
                "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov".into(),
            ],
            presets: Some(256),
            home: true,
            move_status: Some(true),
            default_relative_space: Some(
                "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov".into(),
            ),
            autotracking: capabilities::Readiness {
                ready: true,
                reason: "relative moves in field-of-view units and MoveStatus in GetStatus".into(),
            },
        }),
        events: Some(capabilities::Events {
            pull_point: Some(true),
            subscription_policy: Some(false),
            topics: vec!["tns1:RuleEngine/CellMotionDetector/Motion".into()],
        }),
        onvif: Some(capabilities::OnvifServices {
            profiles: vec!["S".into(), "T".into()],
            services: vec![
                "device".into(),
                "events".into(),
                "media".into(),
                "media2".into(),
                "ptz".into(),
            ],
        }),
        ..Capabilities::default()
    }
}

fn video(codec: &str, w: u32, h: u32, fps: f64) -> Option<VideoInfo> {
    Some(VideoInfo {
        width: Some(w),
        height: Some(h),
        fps: Some(fps),
        fps_source: Some("sps".into()),
        ..VideoInfo::new(codec.into())
    })
}

fn measured(transport: &str, fps: f64) -> Option<Measured> {
    Some(Measured {
        transport: transport.into(),
        packets: 100,
        bytes: 100_000,
        fps: Some(fps),
        bitrate_kbps: Some(800.0),
        keyframe: true,
        duration_ms: 2000,
        width: None,
        height: None,
    })
}

fn rtsp_service(port: u16, auth: AuthScheme) -> Service {
    Service {
        port,
        transport: Transport::Tcp,
        protocol: Protocol::Rtsp,
        server: None,
        auth,
        realm: None,
        methods: vec![],
        title: None,
        product: None,
        tls: None,
        note: None,
        offered: Vec::new(),
        certificate: None,
        tls_legacy: None,
        path_walk: None,
    }
}

/// A verified stream of `codec` `w`x`h` at `url`.
fn verified(url: &str, protocol: Protocol, port: u16, v: Option<VideoInfo>) -> Stream {
    let fps = v.as_ref().and_then(|v| v.fps).unwrap_or(25.0);
    Stream {
        status: StreamStatus::Ok,
        verified: true,
        video: v,
        measured: measured("tcp", fps),
        ..Stream::new(url.into(), protocol, port)
    }
}

/// [`report`] and the cameras the configuration exports choose between (see the module docs).
pub fn export_report() -> Report {
    let mut report = report();
    let door_main = "rtsp://198.18.0.50:554/Streaming/Channels/101";
    let door_sub = "rtsp://198.18.0.50:554/Streaming/Channels/102";
    let with_user = |mut s: Stream| {
        s.username = Some("admin".into());
        s.auth = AuthScheme::Digest;
        s
    };
    let door = Device {
        name: Some("Front Door".into()),
        vendor: Some("Hikvision".into()),
        model: Some("DS-2CD2143G2-I".into()),
        is_camera: true,
        discovered_by: vec![DiscoveryMethod::Onvif, DiscoveryMethod::Port],
        open_ports: vec![80, 554],
        services: vec![rtsp_service(554, AuthScheme::Digest)],
        streams: vec![
            with_user(verified(
                door_main,
                Protocol::Rtsp,
                554,
                video("h265", 2688, 1520, 25.0),
            )),
            with_user(verified(
                door_sub,
                Protocol::Rtsp,
                554,
                video("h264", 640, 360, 15.0),
            )),
        ],
        onvif: Some(OnvifInfo {
            endpoint: Some("urn:uuid:00000000-0000-0000-0000-000000000050".into()),
            types: vec!["dn:NetworkVideoTransmitter".into()],
            scopes: vec!["onvif://www.onvif.org/name/Front%20Door".into()],
            xaddrs: vec!["http://198.18.0.50/onvif/device_service".into()],
            profiles: vec![
                OnvifProfile {
                    token: "Profile_1".into(),
                    name: Some("mainStream".into()),
                    encoding: Some("H265".into()),
                    width: Some(2688),
                    height: Some(1520),
                    fps: Some(25.0),
                    service: "media2".into(),
                    stream_uri: Some(door_main.into()),
                    snapshot_uri: Some("http://198.18.0.50/onvif-http/snapshot?Profile_1".into()),
                },
                OnvifProfile {
                    token: "Profile_2".into(),
                    name: Some("subStream".into()),
                    encoding: Some("H264".into()),
                    width: Some(640),
                    height: Some(360),
                    fps: Some(15.0),
                    service: "media2".into(),
                    stream_uri: Some(door_sub.into()),
                    snapshot_uri: None,
                },
            ],
            ..OnvifInfo::default()
        }),
        ..Device::new("198.18.0.50".parse().unwrap())
    };
    let garage = Device {
        name: Some("Garage".into()),
        vendor: Some("Dahua".into()),
        is_camera: true,
        discovered_by: vec![DiscoveryMethod::Port],
        open_ports: vec![554],
        services: vec![rtsp_service(554, AuthScheme::None)],
        streams: vec![
            verified(
                "rtsp://198.18.0.60:554/cam/realmonitor?channel=1&subtype=0",
                Protocol::Rtsp,
                554,
                video("h264", 1920, 1080, 20.0),
            ),
            verified(
                "rtsp://198.18.0.60:554/cam/realmonitor?channel=1&subtype=1",
                Protocol::Rtsp,
                554,
                video("h264", 352, 288, 10.0),
            ),
        ],
        ..Device::new("198.18.0.60".parse().unwrap())
    };
    let garage_rtmp = Device {
        name: Some("garage".into()),
        is_camera: true,
        discovered_by: vec![DiscoveryMethod::Port],
        open_ports: vec![1935],
        streams: vec![Stream {
            // Described from its onMetaData, not PLAY-checked.
            video: video("h264", 1280, 720, 25.0),
            ..Stream::new(
                "rtmp://198.18.0.61:1935/live/garage".into(),
                Protocol::Rtmp,
                1935,
            )
        }],
        ..Device::new("198.18.0.61".parse().unwrap())
    };
    let hls = Device {
        name: Some("Entrée Café".into()),
        discovered_by: vec![DiscoveryMethod::Port],
        open_ports: vec![8080],
        streams: vec![
            verified(
                "http://198.18.0.70:8080/hls/cam.m3u8",
                Protocol::Hls,
                8080,
                video("h264", 1280, 720, 25.0),
            ),
            Stream {
                video: Some(VideoInfo::new("mjpeg".into())),
                ..Stream::new(
                    "http://198.18.0.70:8080/snapshot.jpg".into(),
                    Protocol::Jpeg,
                    8080,
                )
            },
        ],
        ..Device::new("198.18.0.70".parse().unwrap())
    };
    let nvr = Device {
        model: Some("NVR".into()),
        is_camera: true,
        discovered_by: vec![DiscoveryMethod::Port],
        open_ports: vec![554],
        services: vec![rtsp_service(554, AuthScheme::None)],
        channels: Some(4),
        streams: vec![
            verified(
                "rtsp://198.18.0.80:554/Streaming/Channels/201",
                Protocol::Rtsp,
                554,
                video("h264", 1920, 1080, 25.0),
            ),
            verified(
                "rtsp://198.18.0.80:554/Streaming/Channels/202",
                Protocol::Rtsp,
                554,
                video("h264", 704, 576, 25.0),
            ),
            Stream {
                status: StreamStatus::AuthFailed,
                auth: AuthScheme::Digest,
                ..Stream::new(
                    "rtsp://198.18.0.80:554/Streaming/Channels/301".into(),
                    Protocol::Rtsp,
                    554,
                )
            },
        ],
        ..Device::new("198.18.0.80".parse().unwrap())
    };
    let mut door = door;
    door.capabilities = door_capabilities();
    report.devices.extend([door, garage, garage_rtmp, hls, nvr]);
    derive_roles(&mut report);
    report
}
