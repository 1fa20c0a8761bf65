//! The makers: their IEEE registry organisations, OUIs, the texts that name them and their
//! path knowledge.

use super::*;

#[test]
fn every_vendor_organisation_is_in_the_registry_once() {
    let k = embedded();
    let registry: Vec<&str> = oui::organisations().collect();
    let mut seen: Vec<String> = Vec::new();
    for v in &k.vendors {
        for o in &v.organisations {
            assert!(
                registry.iter().any(|r| same_words(r, o)),
                "{}: {o:?} is not an organisation of the IEEE registry",
                v.id
            );
            let key = o.to_ascii_lowercase();
            assert!(!seen.contains(&key), "{o:?} names two vendors");
            seen.push(key);
        }
    }
    // Every camera maker of the registry that has blocks of its own is mapped.
    for id in [
        "hikvision",
        "dahua",
        "axis",
        "reolink",
        "uniview",
        "tp-link",
        "hanwha",
        "vivotek",
        "ubiquiti",
        "bosch",
        "geovision",
        "mobotix",
        "lorex",
        "amcrest",
        "panasonic",
        "sony",
    ] {
        let v = k.vendor(id).unwrap().vendor();
        assert!(!v.organisations.is_empty(), "{id} has no organisation");
    }
}

#[test]
fn camera_makers_blocks_name_their_vendor() {
    let k = embedded();
    // Real prefixes of the IEEE registry, none of them in data/ouis.yaml.
    for (mac, vendor, organisation) in [
        (
            "08:ED:ED:01:02:03",
            "Dahua",
            "Zhejiang Dahua Technology Co., Ltd.",
        ),
        (
            "e4-24-6c-01-02-03",
            "Dahua",
            "Zhejiang Dahua Technology Co., Ltd.",
        ),
        (
            "5803.fb01.0203",
            "Hikvision",
            "Hangzhou Hikvision Digital Technology Co.,Ltd.",
        ),
        (
            "64:f2:fb:01:02:03",
            "EZVIZ",
            "Hangzhou Ezviz Software Co.,Ltd.",
        ),
        (
            "6c:f1:7e:01:02:03",
            "Uniview",
            "Zhejiang Uniview Technologies Co.,Ltd.",
        ),
        (
            "48:ea:63:01:02:03",
            "Uniview",
            "Zhejiang Uniview Technologies Co., Ltd.",
        ),
        ("ec:71:db:01:02:03", "Reolink", "Reolink Innovation Limited"),
        (
            "d0:37:45:01:02:03",
            "TP-Link",
            "TP-LINK TECHNOLOGIES CO.,LTD.",
        ),
        (
            "00:31:92:01:02:03",
            "TP-Link",
            "TP-Link Corporation Limited",
        ),
        ("00:40:8c:01:02:03", "Axis", "AXIS COMMUNICATIONS AB"),
        ("b8:a4:4f:01:02:03", "Axis", "Axis Communications AB"),
        ("00:09:18:01:02:03", "Hanwha", "SAMSUNG TECHWIN CO.,LTD"),
        ("00:02:d1:01:02:03", "Vivotek", "Vivotek, Inc."),
        ("24:a4:3c:01:02:03", "Ubiquiti", "Ubiquiti Networks Inc."),
        ("00:04:63:01:02:03", "Bosch", "Bosch Security Systems"),
        ("00:03:c5:0c:9f:25", "Mobotix", "Mobotix AG"),
        ("00:13:e2:01:02:03", "GeoVision", "GeoVision Inc."),
        ("00:1f:54:01:02:03", "Lorex", "Lorex Technology Inc."),
        ("9c:8e:cd:01:02:03", "Amcrest", "Amcrest Technologies"),
        ("d4:2d:c5:01:02:03", "i-PRO", "i-PRO Co., Ltd."),
        ("84:ba:3b:01:02:03", "Canon", "CANON INC."),
        ("00:17:9a:01:02:03", "D-Link", "D-Link Corporation"),
        ("e0:da:dc:01:02:03", "JVC", "JVC KENWOOD Corporation"),
        (
            "70:76:f0:01:02:03",
            "LevelOne",
            "LevelOne Communications (India) Private Limited",
        ),
        (
            "00:11:14:01:02:03",
            "EverFocus",
            "EverFocus Electronics Corp.",
        ),
        ("00:0a:13:01:02:03", "Honeywell", "Honeywell Video Systems"),
        ("00:0f:c9:01:02:03", "ALLNET", "Allnet GmbH"),
        (
            "64:f2:fb:01:02:03",
            "EZVIZ",
            "Hangzhou Ezviz Software Co.,Ltd.",
        ),
        ("08:00:46:01:02:03", "Sony", "Sony Corporation"),
    ] {
        let m = k.mac_maker(mac);
        assert_eq!(m.organisation, Some(organisation), "{mac}");
        assert_eq!(m.vendor.map(VendorId::display_name), Some(vendor), "{mac}");
        assert!(!m.randomized);
        assert_eq!(k.oui_vendor(mac), m.vendor);
    }
    // Names that look like a camera maker's but are not (data/vendors.yaml's
    // excluded_organisations says why).
    for (mac, organisation) in [
        ("70:b3:d5:98:70:01", "AXIS CORPORATION"),
        ("40:2c:76:10:00:01", "Shanghai Dahua Scale Factory"),
        ("5c:a9:33:01:02:03", "Luma Home"),
        ("dc:a6:32:01:02:03", "Raspberry Pi Trading Ltd"),
    ] {
        let m = k.mac_maker(mac);
        assert_eq!(m.organisation, Some(organisation), "{mac}");
        assert_eq!(m.vendor, None, "{mac}");
    }
    // A randomised MAC, a broken one.
    let m = k.mac_maker("da:a1:19:01:02:03");
    assert_eq!(
        m,
        MacMaker {
            organisation: None,
            randomized: true,
            vendor: None
        }
    );
    assert_eq!(k.mac_maker("not a mac"), MacMaker::default());
}

#[test]
fn built_in_ouis_agree_with_the_registry() {
    // Blocks the registry assigns to another company whose cameras an OEM sells: 00:40:7F is
    // FLIR Systems', which owned Lorex (CamioCam/rtsp#110 saw Lorex cameras on it).
    const OEM_BLOCKS: &[(&str, &str)] = &[("00:40:7f", "FLIR Systems")];
    let k = embedded();
    for o in &k.ouis {
        let mac = oui::parse_mac(&format!("{}:00:00:01", o.prefix)).unwrap();
        let Some(organisation) = oui::organisation(mac) else {
            continue;
        };
        match k.organisation_vendor(organisation) {
            Some(v) => assert_eq!(v, o.vendor.as_str(), "{}: {organisation}", o.prefix),
            None => assert!(
                OEM_BLOCKS.contains(&(o.prefix.as_str(), organisation)),
                "{} is {organisation}'s in the IEEE registry, not {}'s",
                o.prefix,
                o.vendor
            ),
        }
    }
}

#[test]
fn user_files_map_macs_first() {
    let k = with(&[(
        "/home/u/lab.yaml",
        "vendors:\n  - id: acme\n    name: ACME Cams\n    organisations: [\"raspberry  pi trading ltd\"]\n    source: our lab\n\
         ouis:\n  - prefix: \"e4:24:6C\"\n    vendor: acme\n    source: relabelled boxes\n  \
         - prefix: \"02:00:00\"\n    vendor: acme\n    source: our lab's software MACs\n",
    )])
    .unwrap();
    let acme = k.vendor("acme").unwrap();
    // A user's organisation, in any case and spacing.
    assert_eq!(k.mac_maker("dc:a6:32:00:00:01").vendor, Some(acme));
    // A user's prefix before the registry's organisation; the organisation is still reported.
    let m = k.mac_maker("E4:24:6C:00:00:01");
    assert_eq!(m.vendor, Some(acme));
    assert_eq!(m.organisation, Some("Zhejiang Dahua Technology Co., Ltd."));
    // A randomised MAC has no maker, even when listed.
    assert_eq!(k.mac_maker("02:00:00:00:00:01").vendor, None);
    // The built-in mapping is unchanged.
    assert_eq!(
        k.mac_maker("08:ed:ed:00:00:01")
            .vendor
            .map(VendorId::display_name),
        Some("Dahua")
    );
}

#[test]
fn maker_texts_name_one_vendor() {
    let k = embedded();
    let name = |t: &str| k.vendor_for_text(t).map(VendorId::display_name);
    // UPnP's `AXIS`, the company's name, the registry's name: one vendor.
    for t in [
        "AXIS",
        "Axis",
        "axis",
        "Axis Communications AB",
        "AXIS COMMUNICATIONS",
    ] {
        assert_eq!(name(t), Some("Axis"), "{t}");
    }
    assert_eq!(name("HIKVISION"), Some("Hikvision"));
    assert_eq!(
        name("Hangzhou Hikvision Digital Technology"),
        Some("Hikvision")
    );
    assert_eq!(name("Amcrest"), Some("Dahua"));
    // A word that only starts with a vendor's name, and makers the registry does not know.
    assert_eq!(name("Axisplus"), None);
    assert_eq!(name("Acme Vision"), None);
    assert_eq!(name("  "), None);
    assert!(k.vendor("axis").unwrap().vendor().serial_is_mac);
    assert!(!k.vendor("hikvision").unwrap().vendor().serial_is_mac);
}

/// The path knowledge: every maker's platform is a maker with paths of its own (no OEM points to
/// nothing, none to itself through a chain), every entry has a source, and no text names two
/// makers (an alias, id or name of one is not another's, compared as whole words).
#[test]
fn the_path_knowledge_is_whole() {
    let k = super::get();
    let has_paths = |id: &str| k.rtsp_paths.iter().any(|e| e.vendor == id);
    for v in &k.vendors {
        if let Some(p) = &v.platform {
            assert!(k.vendor(p).is_some(), "{}: platform {p} unknown", v.id);
            assert!(has_paths(p), "{}: platform {p} documents no path", v.id);
            let pp = k.vendors.iter().find(|x| x.id == *p).unwrap();
            assert!(
                pp.platform.as_deref() != Some(v.id.as_str()),
                "{} and {p} name each other",
                v.id
            );
        }
    }
    for e in &k.rtsp_paths {
        assert!(!e.source.trim().is_empty(), "{} has no source", e.vendor);
        assert!(k.vendor(&e.vendor).is_some(), "{}", e.vendor);
    }
    // Every spelling that names a maker names one maker only (an alias, id or name).
    let mut seen: Vec<(Vec<String>, &str)> = Vec::new();
    for v in &k.vendors {
        let mut names: Vec<Vec<String>> = v.aliases.iter().map(|a| super::words(a)).collect();
        names.push(super::words(&v.id));
        names.push(super::words(&v.name));
        names.sort();
        names.dedup();
        for n in names {
            if let Some((_, other)) = seen.iter().find(|(s, id)| *s == n && *id != v.id) {
                panic!("{:?} names both {other} and {}", n.join(" "), v.id);
            }
            seen.push((n, &v.id));
        }
    }
    // The makers with a path of their own, and those reached through their platform.
    let own = k.vendors.iter().filter(|v| has_paths(&v.id)).count();
    let through = k
        .vendors
        .iter()
        .filter(|v| !has_paths(&v.id) && v.platform.is_some())
        .count();
    assert!(own >= 100, "{own} makers document their paths");
    assert!(own + through >= 115, "{own} + {through}");
}

/// Whole words: an alias inside a longer word names nobody (TP-Link's `vigi` is not in
/// `Avigilon`, which names Avigilon by its own name).
#[test]
fn aliases_are_matched_as_whole_words() {
    let k = super::get();
    let tp = k.vendor("tp-link");
    assert_eq!(
        k.vendor_named_in(Some("Avigilon RTSP"), None),
        k.vendor("avigilon")
    );
    assert_eq!(k.vendor_named_in(Some("Xvigilant RTSP"), None), None);
    assert_eq!(k.vendor_named_in(Some("VIGI C340"), None), tp);
    assert_eq!(k.vendor_named_in(Some("TP-LINK IPC/1.0"), None), tp);
    assert_eq!(k.vendor_named_in(None, Some("tapo camera")), tp);
    assert_eq!(
        k.vendor_named_in(Some("Dahua Rtsp Server"), None),
        k.vendor("dahua")
    );
    assert_eq!(
        k.vendor_named_in(Some("Hipcam RealServer/V1.0"), None),
        k.vendor("xmeye")
    );
    assert_eq!(k.vendor_named_in(Some("Hikvisionary"), None), None);
}

/// `needle` (non-empty) appears in `hay` as a run of whole words.
fn has_run(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Issue 54: every organisation of the IEEE registry whose name holds a maker's id, name or alias
/// as whole words (for every maker with RTSP paths, its own or its platform's) is either mapped to
/// it (`organisations`) or deliberately excluded with a reason (`excluded_organisations`: another
/// company of the same name, a conglomerate's other arm); every exclusion excludes something.
#[test]
fn a_makers_registry_organisations_are_mapped_or_excluded() {
    let k = embedded();
    let registry: Vec<(&str, Vec<String>)> =
        oui::organisations().map(|o| (o, super::words(o))).collect();
    let mut unaccounted = Vec::new();
    let mut makers = 0;
    for v in &k.vendors {
        let id = k.vendor(&v.id).unwrap();
        if !k.has_rtsp_paths(id) {
            continue;
        }
        makers += 1;
        let names: Vec<Vec<String>> = [&v.id, &v.name]
            .into_iter()
            .chain(&v.aliases)
            .map(|n| super::words(n))
            .collect();
        let excluded: Vec<Vec<String>> = v
            .excluded_organisations
            .keys()
            .map(|r| super::words(r))
            .collect();
        let mut used = vec![false; excluded.len()];
        for (o, words) in &registry {
            if !names.iter().any(|n| has_run(words, n)) {
                continue;
            }
            if v.organisations.iter().any(|m| same_words(m, o)) {
                continue;
            }
            match excluded.iter().position(|r| has_run(words, r)) {
                Some(i) => used[i] = true,
                None => unaccounted.push(format!("{}: {o:?}", v.id)),
            }
        }
        for (run, used) in v.excluded_organisations.keys().zip(used) {
            assert!(used, "{}: excluded {run:?} excludes nothing", v.id);
        }
    }
    assert!(
        unaccounted.is_empty(),
        "registry organisations naming a maker, neither in its organisations nor excluded:\n{}",
        unaccounted.join("\n")
    );
    assert!(makers >= 125, "{makers}");
}
