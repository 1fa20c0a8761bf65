//! IPv6 on a real (virtual) dual-stack LAN: the namespace lab of `tests/lab/ipv6_lab.sh`, with
//! GStreamer's RTSP server listening on `[::]:554` in a dual-stack camera (198.18.0.21,
//! fd00:cafe::21, fe80::21) and an IPv6-only one (fd00:cafe::22, fe80::22). camscan runs inside the
//! scanner namespace only; multicast (ff02::1) never leaves the lab's bridge.
//! Needs root and GStreamer: `scripts/test`.

mod common;

use common::netns::NsLab;
use std::time::Duration;

use common::schema::Report;
use common::{run, stderr, stdout};
use serde_json::json;

const PREFIX: &str = "v6lab";

/// The lab, torn down when dropped (panics included).
struct Lab(NsLab);

impl Lab {
    fn up() -> Lab {
        Lab::up_as(PREFIX)
    }

    /// The lab under another prefix (tests run in parallel, each with its own namespaces).
    fn up_as(prefix: &'static str) -> Lab {
        let mut lab = NsLab::up("ipv6", "ipv6_lab.sh", prefix, &[]);
        for cam in ["ds", "v6"] {
            // Every address of the namespace, IPv4 and IPv6: gst-rtsp-server on "::" (a
            // dual-stack socket, as cameras listen).
            let config = json!([{"address": "::", "port": 554, "auth": null,
                "mounts": [{"path": "/live", "video": {"codec": "h264", "width": 320,
                    "height": 240, "fps": 10, "profile": "baseline"}, "audio": null}]}]);
            lab.servers
                .push(common::rtsp_servers_in(Some(&lab.ns(cam)), &config));
        }
        Lab(lab)
    }

    fn scan(&self, args: &[&str]) -> Report {
        let out = run(
            self.0
                .camscan()
                .args(["scan", "-f", "json", "-p", "554"])
                .args(args),
            Duration::from_secs(60),
        );
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
    }
}

#[test]
fn link_local_targets_dual_stack_merge_and_zoned_urls() {
    let lab = Lab::up();

    // (a) A link-local target with its zone: connects through eth0, and the stream URL carries the
    // zone the RFC 6874 way.
    let r = lab.scan(&["fe80::22%eth0"]);
    assert_eq!(r.devices.len(), 1, "{:?}", r.devices);
    let d = &r.devices[0];
    assert_eq!(d.ip, "fe80::22");
    assert_eq!(d.zone.as_deref(), Some("eth0"));
    let s = d.streams.first().expect("the IPv6-only camera's stream");
    assert_eq!(s.url, "rtsp://[fe80::22%25eth0]:554/live");
    let video = s.video.as_ref().expect("DESCRIBE over IPv6 link-local");
    assert_eq!(video.codec, "h264");
    assert_eq!(video.width, Some(320));

    // A unique-local target needs no zone and gets none.
    let r = lab.scan(&["fd00:cafe::22"]);
    assert_eq!(
        r.devices[0].streams[0].url,
        "rtsp://[fd00:cafe::22]:554/live"
    );
    assert_eq!(r.devices[0].zone, None);

    // (b) An IPv4 scan of the attached /24 learns the dual-stack camera's IPv6 addresses on its
    // link (all-nodes echo, then the neighbour table) and lists it once, merged by MAC.
    let r = lab.scan(&["198.18.0.0/24"]);
    let cams: Vec<_> = r
        .devices
        .iter()
        .filter(|d| d.mac.as_deref() == Some("02:00:00:00:06:21"))
        .collect();
    assert_eq!(cams.len(), 1, "one device: {:?}", r.devices);
    let d = cams[0];
    assert_eq!(d.ip, "198.18.0.21");
    for a in ["198.18.0.21", "fd00:cafe::21", "fe80::21"] {
        assert!(
            d.addresses.iter().any(|x| x == a),
            "{a} in {:?}",
            d.addresses
        );
    }
    assert_eq!(d.zone.as_deref(), Some("eth0"));
    assert_eq!(d.streams[0].url, "rtsp://198.18.0.21:554/live");
    // The IPv6-only camera is no target of an IPv4 scan.
    assert!(
        !r.devices
            .iter()
            .any(|d| d.addresses.iter().any(|a| a == "fe80::22"))
    );

    // (c) A link-local prefix with a zone means the neighbours that answer on that link.
    let r = lab.scan(&["fe80::/64%eth0"]);
    let mut urls: Vec<&str> = r
        .devices
        .iter()
        .flat_map(|d| d.streams.iter().map(|s| s.url.as_str()))
        .collect();
    urls.sort_unstable();
    assert_eq!(
        urls,
        [
            "rtsp://[fe80::21%25eth0]:554/live",
            "rtsp://[fe80::22%25eth0]:554/live"
        ]
    );

    // A zone that names no interface is refused before anything is sent.
    let out = run(
        common::camscan_in(&format!("{PREFIX}-scan")).args(["scan", "fe80::22%eth9"]),
        Duration::from_secs(20),
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no network interface"),
        "{}",
        stderr(&out)
    );
}

/// WS-Discovery and mDNS over IPv6: the IPv6-only camera runs the real PyPI WSDiscovery 2.1.2 on IPv6 (the
/// library's own IPv6 networking: it joins FF02::C on eth0), announcing a link-local XAddr as a
/// camera does (no zone: a device cannot know its neighbours' zone). A scan of the link's
/// neighbours sends the Probe to [ff02::c]:3702 on eth0 and finds it by WS-Discovery too, its
/// XAddr and stream URL with the zone. It also runs Debian's avahi-daemon with IPv6 on: the mDNS
/// query to [ff02::fb]:5353 on eth0 finds it too.
#[test]
#[allow(clippy::print_stderr)] // the scan time, to the test log
fn ipv6_only_camera_found_by_ws_discovery_on_ff02_c() {
    let mut lab = Lab::up_as("v6wsd");
    let wsd = common::root_dir().join("tests/lab/responders/wsd_responder.py");
    lab.0.serve_with(
        &common::lab_python(),
        "v6",
        &[
            wsd.to_str().unwrap(),
            "fd00:cafe::22",
            "http://[fe80::22]:8000/onvif/device_service",
        ],
    );
    // And mDNS over IPv6: Debian's avahi-daemon 0.8 on FF02::FB in the same namespace.
    let avahi = common::root_dir().join("tests/lab/responders/avahi_device.py");
    let service = common::root_dir().join("tests/lab/responders/avahi/axis-camera.service");
    lab.0.serve_with(
        "/usr/bin/python3",
        "v6",
        &[
            avahi.to_str().unwrap(),
            "--ipv6",
            "axis-v6cam",
            service.to_str().unwrap(),
        ],
    );
    let started = std::time::Instant::now();
    // The link's neighbours, and the camera's unique-local address: avahi answers from it (the
    // address it publishes), so it must be a target for its answer to count.
    let r = lab.scan(&["fe80::/64%eth0", "fd00:cafe::22"]);
    eprintln!("scan took {:?}", started.elapsed());
    // One device: the link-local address answered WS-Discovery, the unique-local one mDNS (avahi
    // answers from the address it publishes), and the neighbour table gives both the same MAC.
    let both: Vec<_> = r
        .devices
        .iter()
        .filter(|d| {
            d.addresses
                .iter()
                .any(|a| a == "fe80::22" || a == "fd00:cafe::22")
        })
        .collect();
    assert_eq!(both.len(), 1, "one device for the camera's two addresses");
    let d = both[0];
    let mut addresses = d.addresses.clone();
    addresses.sort();
    assert_eq!(addresses, ["fd00:cafe::22", "fe80::22"]);
    assert_eq!(d.mac.as_deref(), Some("02:00:00:00:06:22"));
    for m in ["onvif", "mdns"] {
        assert!(
            d.discovered_by.iter().any(|x| x == m),
            "{m}: {:?}",
            d.discovered_by
        );
    }
    assert_eq!(d.name.as_deref(), Some("Lab Camera"));
    assert!(d.is_camera);
    let onvif = d.onvif.as_ref().expect("the ProbeMatch");
    assert_eq!(
        onvif.xaddrs,
        ["http://[fe80::22%25eth0]:8000/onvif/device_service"]
    );
    assert_eq!(d.zone.as_deref(), Some("eth0"));
    assert!(
        d.streams
            .iter()
            .any(|s| s.url == "rtsp://[fe80::22%25eth0]:554/live"),
        "{:?}",
        d.streams.iter().map(|s| &s.url).collect::<Vec<_>>()
    );
    // mDNS over IPv6: the query went to [ff02::fb]:5353 on eth0 (the link of the zoned targets)
    // and avahi's answer names the camera's host.
    assert_eq!(d.hostname.as_deref(), Some("axis-v6cam.local"), "{d:?}");
    // The dual-stack camera runs no WS-Discovery: found by its echo answer only.
    let ds = r.device("fe80::21");
    assert!(!ds.discovered_by.iter().any(|m| m == "onvif"));
}
