//! The made-up camera site of the inventory and `serve` benchmarks (examples/store_bench.rs,
//! examples/serve_bench.rs): devices shaped like a camera site (Hikvision/Dahua/Axis names, an RTSP
//! main and sub stream and a JPEG snapshot each, measured PLAY facts), and each later scan changes a
//! few of them the way sites change: 5 % move to another address, 1 % get new firmware, 2 % change
//! a stream's size, 1 % vanish and 1 % are new.

use std::net::{IpAddr, Ipv4Addr};

use model::{
    AudioInfo, AuthScheme, Device, DiscoveryMethod, Measured, Protocol, Report, Service, Stream,
    StreamStatus, Transport, VideoInfo,
};
use store::ScanInfo;

const VENDORS: &[(&str, &str, &str)] = &[
    ("Hikvision", "DS-2CD2143G2-I", "/Streaming/Channels/"),
    (
        "Dahua",
        "IPC-HDW2431T-AS",
        "/cam/realmonitor?channel=1&subtype=",
    ),
    (
        "Axis",
        "P3245-LVE",
        "/axis-media/media.amp?camera=1&resolution=",
    ),
];

fn ip(i: u32, moved: bool) -> IpAddr {
    // 10.20.0.0/16; a moved device takes an address from the second half.
    let n = if moved { 32768 + i } else { 10 + i };
    IpAddr::V4(Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 20, 0, 0)) + n))
}

fn stream(url: String, port: u16, codec: &str, w: u32, h: u32, fps: f64, audio: bool) -> Stream {
    let mut s = Stream::new(url, Protocol::Rtsp, port);
    s.auth = AuthScheme::Digest;
    s.status = StreamStatus::Ok;
    s.username = Some("admin".into());
    s.verified = true;
    let mut v = VideoInfo::new(codec.into());
    v.width = Some(w);
    v.height = Some(h);
    v.fps = Some(fps);
    v.fps_source = Some("rtp".into());
    v.profile = Some("main".into());
    v.level = Some("4.0".into());
    s.video = Some(v);
    if audio {
        s.audio = Some(AudioInfo {
            codec: "aac".into(),
            sample_rate: Some(16000),
            channels: Some(1),
        });
    }
    s.measured = Some(Measured {
        transport: "tcp".into(),
        packets: 420,
        bytes: 512_000,
        fps: Some(fps),
        bitrate_kbps: Some(2048.0),
        keyframe: true,
        duration_ms: 2000,
        width: None,
        height: None,
    });
    s
}

/// Device `i` as scan `round` sees it.
pub fn device(i: u32, round: u32) -> Device {
    let moved = round > 0 && i % 20 == round % 20;
    let addr = ip(i, moved);
    let (vendor, model, path) = VENDORS[(i % 3) as usize];
    let mut d = Device::new(addr);
    d.mac = Some(format!(
        "{:02x}:1a:2b:{:02x}:{:02x}:{:02x}",
        0x44 + (i % 3),
        i >> 16,
        (i >> 8) & 0xff,
        i & 0xff
    ));
    d.vendor = Some(vendor.into());
    d.model = Some(model.into());
    d.firmware = Some(if round > 0 && i % 100 == round % 100 {
        "V5.8.0".into()
    } else {
        "V5.7.3".into()
    });
    d.serial = Some(format!("{model}-{i:08}"));
    d.name = Some(format!("cam-{i}"));
    d.is_camera = true;
    d.discovered_by = vec![DiscoveryMethod::Arp, DiscoveryMethod::Port];
    d.open_ports = vec![80, 554];
    d.services = vec![
        Service {
            port: 80,
            transport: Transport::Tcp,
            protocol: Protocol::Http,
            server: Some("App-webs/".into()),
            auth: AuthScheme::Digest,
            realm: Some(model.into()),
            methods: vec![],
            title: None,
            product: Some(format!("{vendor} web UI")),
            tls: None,
            note: None,
            offered: Vec::new(),
            certificate: None,
            tls_legacy: None,
            path_walk: None,
        },
        Service {
            port: 554,
            transport: Transport::Tcp,
            protocol: Protocol::Rtsp,
            server: None,
            auth: AuthScheme::Digest,
            realm: None,
            methods: vec![
                "OPTIONS".into(),
                "DESCRIBE".into(),
                "SETUP".into(),
                "PLAY".into(),
            ],
            title: None,
            product: None,
            tls: None,
            note: None,
            offered: Vec::new(),
            certificate: None,
            tls_legacy: None,
            path_walk: None,
        },
    ];
    let resized = round > 0 && i % 50 == round % 50;
    let (w, h) = if resized { (2560, 1440) } else { (1920, 1080) };
    let url = |sub: &str| format!("rtsp://{addr}:554{path}{sub}");
    d.streams = vec![
        stream(
            url(if i.is_multiple_of(3) { "101" } else { "0" }),
            554,
            "h264",
            w,
            h,
            25.0,
            true,
        ),
        stream(
            url(if i.is_multiple_of(3) { "102" } else { "1" }),
            554,
            "h264",
            640,
            360,
            15.0,
            false,
        ),
        stream(
            url(if i.is_multiple_of(3) { "201" } else { "2" }),
            554,
            "h265",
            1280,
            720,
            12.5,
            false,
        ),
    ];
    d
}

/// Scan `round` of a `n`-device site: 1 % of devices absent, 1 % new ones.
pub fn report(n: u32, round: u32) -> Report {
    let mut devices: Vec<Device> = (0..n)
        .filter(|i| round == 0 || i % 100 != (round + 50) % 100)
        .map(|i| device(i, round))
        .collect();
    if round > 0 {
        devices.extend((0..n / 100).map(|k| device(n + round * n / 100 + k, 0)));
    }
    Report {
        schema_version: 1,
        camscan_version: env!("CARGO_PKG_VERSION").into(),
        started_at: String::new(),
        finished_at: String::new(),
        complete: true,

        targets: vec!["10.20.0.0/16".into()],
        plan: None,
        coverage: None,
        devices,
    }
}

pub fn info(round: u32) -> ScanInfo {
    ScanInfo {
        started_at: format!("2026-01-{:02}T03:00:00Z", round + 1),
        finished_at: format!("2026-01-{:02}T03:10:00Z", round + 1),
        complete: true,
        site: "bench".into(),
        targets: vec!["10.20.0.0/16".into()],
        ports: vec![80, 554, 8000, 8080, 8554],
        methods: vec!["arp".into(), "port".into(), "onvif".into()],
        version: env!("CARGO_PKG_VERSION").into(),
        coverage: None,
    }
}
