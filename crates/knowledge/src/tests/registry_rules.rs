//! The device registry's naming and maker rules on the embedded knowledge, as a scan builds it
//! (`camscan::scan` hands the registry the knowledge's name rules and MAC lookup): a maker spelled
//! one way, factory defaults set aside as evidence, placeholders never a maker, an Axis serial
//! from its MAC. Beside the knowledge, which the registry itself does not name.

use std::collections::BTreeMap;
use std::net::IpAddr;

use model::{Announcement, DeviceName, DiscoveryMethod, MdnsInfo, NameKind, UpnpInfo};
use registry::{Event, MacFacts, Registry};

fn host(ip: IpAddr, mac: &str) -> Event {
    Event::Host {
        ip,
        method: DiscoveryMethod::Arp,
        mac: Some(mac.into()),
        vendor: None,
    }
}

/// A name `source` gave the device at `ip`.
fn name_event(ip: IpAddr, n: &str, kind: NameKind, source: &str) -> Event {
    Event::Name {
        ip,
        name: DeviceName {
            name: n.into(),
            kind,
            source: source.into(),
        },
    }
}

/// A camera's vendor-protocol announcement that names it.
fn named_announcement(ip: IpAddr, method: DiscoveryMethod, protocol: &str, name: &str) -> Event {
    Event::Announce {
        ip,
        method,
        info: Box::new(Announcement {
            protocol: protocol.into(),
            name: Some(name.into()),
            ..Default::default()
        }),
        vendor: None,
        is_camera: true,
    }
}

/// The scan's lookup (`camscan::discovery::camera_macs::facts`), on the embedded knowledge.
fn facts(mac: &str) -> MacFacts {
    let m = crate::embedded().mac_maker(mac);
    MacFacts {
        organisation: m.organisation,
        randomized: m.randomized,
        vendor: m.vendor.map(crate::VendorId::display_name),
    }
}

#[test]
fn every_mac_gets_its_maker_whichever_stage_told_it() {
    let [a, b, c, e, f]: [IpAddr; 5] =
        ["10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4", "10.0.1.5"].map(|s| s.parse().unwrap());
    let mut r = Registry::default().with_mac_lookup(facts);
    // ARP alone: a Dahua camera, not in data/ouis.yaml, named from the IEEE registry.
    r.apply(host(a, "e4:24:6c:12:34:56"));
    // A Raspberry Pi: its maker, and no camera vendor.
    r.apply(host(b, "DC-A6-32-00-00-01"));
    // A randomised MAC: said to be such, never given a maker.
    r.apply(host(c, "02:00:00:00:00:03"));
    // A MAC only from ONVIF scopes (no ARP), in Cisco notation.
    r.apply(Event::Onvif {
        ip: e,
        info: Box::default(),
        name: None,
        model: None,
        vendor: None,
        mac: Some("ec71.db00.0001".into()),
        is_camera: true,
    });
    // The device's own API names a vendor: the OUI, the least trusted source, does not replace it.
    r.apply(host(f, "44:19:b6:00:00:05"));
    r.apply(Event::Identity {
        ip: f,
        vendor: Some("HiWatch".into()),
        model: None,
        firmware: None,
        serial: None,
    });
    let d = r.devices();
    let got: Vec<(Option<&str>, Option<&str>, bool)> = d
        .iter()
        .map(|d| {
            (
                d.vendor.as_deref(),
                d.mac_vendor.as_deref(),
                d.mac_randomized,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                Some("Dahua"),
                Some("Zhejiang Dahua Technology Co., Ltd."),
                false
            ),
            (None, Some("Raspberry Pi Trading Ltd"), false),
            (None, None, true),
            (Some("Reolink"), Some("Reolink Innovation Limited"), false),
            (
                Some("HiWatch"),
                Some("Hangzhou Hikvision Digital Technology Co.,Ltd."),
                false
            ),
        ]
    );
}

/// A registry with the embedded knowledge's name rules and MAC lookup, as the scan builds it
/// (the scan's lookup reads the installed set: in these tests, the embedded one).
fn with_rules() -> Registry {
    Registry::new(BTreeMap::new())
        .with_mac_lookup(facts)
        .with_name_rules(crate::placeholders::name_rules())
}

fn upnp(ip: IpAddr, manufacturer: &str, model: &str, friendly: &str) -> Event {
    Event::Upnp {
        ip,
        info: Box::new(UpnpInfo {
            manufacturer: Some(manufacturer.into()),
            model_name: Some(model.into()),
            friendly_name: Some(friendly.into()),
            ..Default::default()
        }),
        is_camera: true,
    }
}

#[test]
fn one_maker_is_spelled_one_way_whatever_the_source() {
    let a: IpAddr = "10.0.0.1".parse().unwrap();
    let b: IpAddr = "10.0.0.2".parse().unwrap();
    let c: IpAddr = "10.0.0.3".parse().unwrap();
    let mut r = with_rules();
    // UPnP says `AXIS`; the OUI of the other says Axis; a third says the company's full name.
    r.apply(upnp(a, "AXIS", "AXIS M1065-L", "Front door"));
    r.apply(host(b, "ac:cc:8e:27:0a:d8"));
    r.apply(upnp(c, "Axis Communications AB", "P3245", "Yard"));
    let ds = r.devices();
    let vendors: Vec<_> = ds.iter().map(|d| d.vendor.as_deref()).collect();
    assert_eq!(vendors, [Some("Axis"), Some("Axis"), Some("Axis")]);
    // A maker the registry does not know is shown as sent.
    let mut r = with_rules();
    r.apply(upnp(a, "Acme Vision", "X1", "Gate"));
    assert_eq!(r.devices()[0].vendor.as_deref(), Some("Acme Vision"));
}

#[test]
fn a_factory_default_name_is_evidence_and_the_next_best_is_shown() {
    let ip: IpAddr = "10.0.0.9".parse().unwrap();
    let name = |n: &str, kind, source: &str| name_event(ip, n, kind, source);
    let mut r = with_rules();
    r.apply(name("LocalHost", NameKind::Host, "mdns"));
    r.apply(name("cam9.lan", NameKind::Host, "dns"));
    r.apply(upnp(ip, "ONVIF_IPNC", "IPC-1", "IP Camera"));
    r.apply(named_announcement(
        ip,
        DiscoveryMethod::Dvrip,
        "dvrip",
        "IPC",
    ));
    let d = &r.devices()[0];
    assert_eq!(d.hostname.as_deref(), Some("cam9.lan"));
    // Every label was a default: no name, so the table and page show the host name.
    assert_eq!(d.name, None);
    assert!(
        d.names.iter().all(|n| n.name == "cam9.lan"),
        "{:?}",
        d.names
    );
    for line in [
        "mdns: name \"LocalHost\" is a factory default, not its name",
        "ssdp: name \"IP Camera\" is a factory default, not its name",
        "dvrip: name \"IPC\" is a factory default, not its name",
        "ssdp: maker \"ONVIF_IPNC\" is a firmware placeholder, not the maker",
    ] {
        assert!(
            d.evidence.contains(&line.to_string()),
            "{line}: {:?}",
            d.evidence
        );
    }
    // Only the hostname `localhost` from DNS: no host name at all.
    let mut r = with_rules();
    r.apply(name("localhost", NameKind::Host, "dns"));
    assert_eq!(r.devices()[0].hostname, None);
    // But `localhost` typed by the user as the target is the name they gave it.
    let ip: IpAddr = "127.0.0.1".parse().unwrap();
    let mut r = Registry::new(BTreeMap::from([(ip, "localhost".to_string())]))
        .with_name_rules(crate::placeholders::name_rules());
    r.apply(Event::PortOpen { ip, port: 80 });
    assert_eq!(r.devices()[0].hostname.as_deref(), Some("localhost"));
}

#[test]
fn a_placeholder_maker_never_replaces_a_real_one() {
    let ip: IpAddr = "10.0.0.4".parse().unwrap();
    let identity = |vendor: &str| Event::Identity {
        ip,
        vendor: Some(vendor.into()),
        model: Some("IPC-HFW".into()),
        firmware: None,
        serial: None,
    };
    for placeholder in ["ONVIF_IPNC", "H264", "NONE", "onvif", "", "000"] {
        let mut r = with_rules();
        // The device API (the most trusted source) answers with a placeholder after UPnP named
        // the maker: the maker stays.
        r.apply(upnp(ip, "Dahua", "IPC-HFW", "Porch"));
        r.apply(identity(placeholder));
        let d = &r.devices()[0];
        assert_eq!(d.vendor.as_deref(), Some("Dahua"), "{placeholder:?}");
        // Alone, it names no maker.
        let mut r = with_rules();
        r.apply(identity(placeholder));
        assert_eq!(r.devices()[0].vendor, None, "{placeholder:?}");
    }
}

#[test]
fn an_axis_serial_is_its_mac() {
    let ip: IpAddr = "10.0.0.5".parse().unwrap();
    // From the MAC (ARP) and the OUI's vendor.
    let mut r = with_rules();
    r.apply(host(ip, "ac:cc:8e:27:0a:d8"));
    let d = &r.devices()[0];
    assert_eq!(d.vendor.as_deref(), Some("Axis"));
    assert_eq!(d.serial.as_deref(), Some("ACCC8E270AD8"));
    // From the mDNS TXT `macaddress`, before the MAC of another interface.
    let mut r = with_rules();
    r.apply(Event::Mdns {
        ip,
        info: Box::new(MdnsInfo {
            services: vec![model::MdnsService {
                service: "_axis-video._tcp".into(),
                instance: "AXIS M3045-V - ACCC8E0A1B2C".into(),
                txt: vec!["macaddress=ACCC8E0A1B2C".into()],
                ..Default::default()
            }],
            types: vec![],
        }),
        mac: None,
        model: Some("M3045-V".into()),
        is_camera: true,
    });
    r.apply(upnp(ip, "AXIS", "AXIS M3045-V", "Hall"));
    r.apply(host(ip, "ac:cc:8e:27:0a:d8"));
    assert_eq!(r.devices()[0].serial.as_deref(), Some("ACCC8E0A1B2C"));
    // A serial the device gave wins; another maker's MAC is no serial.
    let mut r = with_rules();
    r.apply(upnp(ip, "AXIS", "AXIS M3045-V", "Hall"));
    r.apply(Event::Identity {
        ip,
        vendor: None,
        model: None,
        firmware: None,
        serial: Some("B8A44F000001".into()),
    });
    r.apply(host(ip, "ac:cc:8e:27:0a:d8"));
    assert_eq!(r.devices()[0].serial.as_deref(), Some("B8A44F000001"));
    let mut r = with_rules();
    r.apply(host(ip, "44:19:b6:12:34:56"));
    assert_eq!(r.devices()[0].serial, None);
}
