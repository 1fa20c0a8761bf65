use std::path::PathBuf;

use super::entry::Check;
use super::*;

/// A set with these user files (path, text), kept for the rest of the test process.
fn with(files: &[(&str, &str)]) -> Result<&'static Knowledge, String> {
    let files: Vec<(PathBuf, String)> = files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect();
    Knowledge::with_user_files(&files)
        .map(|k| &*Box::leak(Box::new(k)))
        .map_err(|e| e.to_string())
}

fn keys<T: Check>(items: &[T]) -> Vec<String> {
    items.iter().map(Check::key).collect()
}

#[test]
fn every_embedded_file_parses_with_every_check() {
    let k = embedded();
    let cx = Context::of(k);
    for (name, text) in EMBEDDED {
        if let Err(e) = parse(text, Some(&cx)) {
            panic!("{name}: {e}");
        }
    }
    assert_eq!(k.files.len(), EMBEDDED.len());
    for (what, n) in [
        ("vendors", k.vendors.len()),
        ("probes", k.probes.len()),
        ("signatures", k.signatures.len()),
        ("rtsp_paths", k.rtsp_paths.len()),
        ("http_paths", k.http_paths.len()),
        ("http_folders", k.http_folders.len()),
        ("http_server_paths", k.http_server_paths.len()),
        ("rtmp_apps", k.rtmp_apps.len()),
        ("rtmp_streams", k.rtmp_streams.len()),
        ("ouis", k.ouis.len()),
        ("placeholders", k.placeholders.len()),
        ("advisories", k.advisories.len()),
        ("default_credentials", k.default_credentials.len()),
    ] {
        assert!(n > 0, "no {what}");
    }
    // Each file holds its own kinds only.
    for (i, (name, _)) in EMBEDDED.iter().enumerate() {
        assert!(k.vendors.iter().all(|e| e.from != i) || *name == "data/vendors.yaml");
        assert!(k.ouis.iter().all(|e| e.from != i) || *name == "data/ouis.yaml");
        assert!(k.signatures.iter().all(|e| e.from != i) || *name == "data/signatures.yaml");
    }
}

#[test]
fn every_embedded_entry_names_its_source() {
    let k = embedded();
    let sources = k
        .vendors
        .iter()
        .map(|e| (e.label(), &e.source))
        .chain(k.probes.iter().map(|e| (e.label(), &e.source)))
        .chain(k.signatures.iter().map(|e| (e.label(), &e.source)))
        .chain(k.rtsp_paths.iter().map(|e| (e.label(), &e.source)))
        .chain(k.http_paths.iter().map(|e| (e.label(), &e.source)))
        .chain(k.http_folders.iter().map(|e| (e.label(), &e.source)))
        .chain(k.http_server_paths.iter().map(|e| (e.label(), &e.source)))
        .chain(k.rtmp_apps.iter().map(|e| (e.label(), &e.source)))
        .chain(k.rtmp_streams.iter().map(|e| (e.label(), &e.source)))
        .chain(k.ouis.iter().map(|e| (e.label(), &e.source)))
        .chain(k.placeholders.iter().map(|e| (e.label(), &e.source)));
    let mut n = 0;
    for (label, source) in sources {
        assert!(!source.trim().is_empty(), "{label} has no source");
        n += 1;
    }
    assert!(n > 150, "{n} entries");
}

#[test]
fn no_embedded_entry_is_there_twice() {
    fn unique(what: &str, keys: Vec<String>) {
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[..i].contains(k), "{what}: {k} twice");
        }
    }
    let k = embedded();
    unique("vendors", keys(&k.vendors));
    unique("probes", keys(&k.probes));
    unique("signatures", keys(&k.signatures));
    unique("placeholders", keys(&k.placeholders));
    unique("advisories", keys(&k.advisories));
    unique("default_credentials", keys(&k.default_credentials));
    unique("rtsp_paths", keys(&k.rtsp_paths));
    // A path once per maker (several makers may document one path: /stream1 is ACTi's, Pelco's
    // and TP-Link's).
    for v in &k.vendors {
        unique(
            &format!("rtsp path of {}", v.id),
            k.rtsp_paths
                .iter()
                .filter(|r| r.vendor == v.id)
                .flat_map(|r| r.paths.clone())
                .collect(),
        );
    }
    unique("http_paths", keys(&k.http_paths));
    unique(
        "http_folders",
        k.http_folders.iter().map(|f| f.folder.clone()).collect(),
    );
    for f in &k.http_folders {
        unique(&f.folder, f.names.clone());
    }
    unique("http_server_paths", keys(&k.http_server_paths));
    unique("rtmp_apps", keys(&k.rtmp_apps));
    unique("rtmp_streams", keys(&k.rtmp_streams));
    unique("ouis", keys(&k.ouis));
    // A vendor's aliases name it alone.
    unique(
        "alias",
        k.vendors.iter().flat_map(|v| v.aliases.clone()).collect(),
    );
}

#[test]
fn the_vendors_code_names_are_registered() {
    for id in vendors::NAMED_IN_CODE {
        assert!(embedded().vendor(id).is_some(), "{id}");
    }
    let hik = embedded().vendor("hikvision").unwrap();
    assert_eq!(
        (hik.as_str(), hik.display_name()),
        ("hikvision", "Hikvision")
    );
    assert_eq!(hik, "hikvision");
    assert_eq!(display_name("blue-iris"), "Blue Iris");
    assert_eq!(display_name("no-such-vendor"), "no-such-vendor");
}

#[test]
fn every_probe_reveals_a_vendor_with_a_signature() {
    let k = embedded();
    assert!(
        k.probes.len() <= 12,
        "each probe is a request on every HTTP port"
    );
    for p in &k.probes {
        let v = p
            .vendor
            .as_deref()
            .expect("built-in probes name their vendor");
        assert!(
            k.signatures.iter().any(|s| s.vendor.as_deref() == Some(v)),
            "{v} has no signature"
        );
    }
}

#[test]
fn user_entries_come_first() {
    let k = with(&[(
        "/home/u/acme.yaml",
        "vendors:\n  - id: acme\n    name: ACME Cams\n    aliases: [acme-rtsp]\n    source: our lab\n\
         rtsp_paths:\n  - vendor: acme\n    paths: [/acme/live]\n    source: ACME manual p.3\n  \
         - vendor: hikvision\n    paths: [/Streaming/Channels/103]\n    source: our NVR\n\
         ouis:\n  - prefix: \"44:19:B6\"\n    vendor: acme\n    source: relabelled boxes\n\
         rtmp_apps:\n  - name: cams\n    source: our relay\n\
         http_folders:\n  - folder: /hls/\n    names: [cam1.m3u8]\n    source: our relay\n",
    )])
    .unwrap();
    assert_eq!(k.files.len(), EMBEDDED.len() + 1);
    assert_eq!(k.rtsp_paths[0].paths, ["/acme/live"]);
    assert_eq!(k.rtsp_paths[1].vendor, "hikvision");
    assert_eq!(k.rtsp_paths.len(), embedded().rtsp_paths.len() + 2);
    assert_eq!(
        k.origin(k.rtsp_paths[0].from).to_string(),
        "/home/u/acme.yaml"
    );
    assert_eq!(
        k.origin(k.rtsp_paths[2].from).to_string(),
        "data/rtsp_paths.yaml (built in)"
    );
    let acme = k.vendor("acme").unwrap();
    assert_eq!(acme.display_name(), "ACME Cams");
    assert_eq!(k.vendor_named_in(Some("ACME-RTSP/1.0"), None), Some(acme));
    // The user's OUI entry wins over the built-in one for the same prefix.
    assert_eq!(k.oui_vendor("44:19:b6:00:00:01"), Some(acme));
    assert_eq!(k.rtmp_apps()[..2], ["cams", "live"]);
    assert_eq!(k.http_folders(), ["/hls/", "/dash/"]);
    assert_eq!(
        k.http_folder_names("/hls/")[..2],
        ["cam1.m3u8", "index.m3u8"]
    );
    // The embedded set is untouched.
    assert!(embedded().vendor("acme").is_none());
}

#[test]
fn a_user_vendor_entry_extends_a_known_vendor() {
    let k = with(&[(
        "ext.yaml",
        "vendors:\n  - id: hikvision\n    name: HIKVISION\n    aliases: [hiwatch]\n    source: HiWatch is Hikvision's\n",
    )])
    .unwrap();
    let hik = k.vendor("hikvision").unwrap();
    assert_eq!(hik.display_name(), "HIKVISION");
    assert_eq!(k.vendor_named_in(Some("HiWatch RTSP"), None), Some(hik));
    // The built-in aliases still count.
    assert_eq!(k.vendor_named_in(None, Some("IP Camera(C1)")), Some(hik));
}

#[test]
fn files_of_comments_only_add_nothing() {
    let k = with(&[("a.yaml", ""), ("b.yaml", "# nothing yet\n")]).unwrap();
    assert_eq!(k.signatures.len(), embedded().signatures.len());
}

/// The error for a user file with `text`.
fn error(text: &str) -> String {
    with(&[("/etc/cams/bad.yaml", text)]).unwrap_err()
}

#[test]
fn errors_name_the_file_the_entry_and_the_line() {
    let e = error(
        "signatures:\n  - vendor: hikvision\n    product: ok\n    kind: nvr\n    confidence: 50\n    all: [{server_is: X}]\n    source: s\n\
         \x20 - vendor: acme\n    product: Acme cam\n    kind: camera-ui\n    confidence: 80\n    all: [{server_is: ACME}]\n    source: s\n",
    );
    assert!(
        e.starts_with("invalid knowledge file /etc/cams/bad.yaml: "),
        "{e}"
    );
    assert!(e.contains("signatures[1]"), "{e}");
    assert!(e.contains("\"Acme cam\""), "{e}");
    assert!(e.contains("unknown vendor \"acme\""), "{e}");
    assert!(e.contains("line 8"), "{e}");

    let e = error("rtsp_paths:\n  - vendor: hikvision\n    paths: [/x]\n");
    assert!(e.contains("rtsp_paths[0]") && e.contains("source"), "{e}");
    assert!(e.contains("line 2"), "{e}");

    let e = error("ouis:\n  - prefix: 44-19-b6\n    vendor: hikvision\n    source: s\n");
    assert!(
        e.contains("ouis[0]") && e.contains("aa:bb:cc") && e.contains("line 2"),
        "{e}"
    );

    let e = error("signature:\n  - x: 1\n");
    assert!(e.contains("unknown field `signature`"), "{e}");

    let e = error("probes:\n  - path: /x\n    source: s\n    vendr: axis\n");
    assert!(e.contains("probes[0]") && e.contains("vendr"), "{e}");

    let e = error("rtmp_apps: [\n");
    assert!(e.contains("bad.yaml") && e.contains("line"), "{e}");

    let e = error(
        "signatures:\n  - product: p\n    kind: camera-ui\n    confidence: 90\n    all: [{server_is: X}]\n    source: s\n",
    );
    assert!(e.contains("names its vendor"), "{e}");

    let e = error(
        "signatures:\n  - vendor: axis\n    product: p\n    kind: camera-ui\n    confidence: high\n    all: [{server_is: X}]\n    source: s\n",
    );
    assert!(
        e.contains("signatures[0].confidence") && e.contains("line 5"),
        "{e}"
    );
}

#[test]
fn conditions_have_one_key_and_paths_must_be_probed() {
    let sig = |all: &str| {
        format!(
            "signatures:\n  - vendor: axis\n    product: p\n    kind: camera-ui\n    confidence: 90\n    all:\n{all}    source: s\n"
        )
    };
    let e = error(&sig("      - server_is: A\n        title_is: B\n"));
    assert!(e.contains("one key, this one has 2"), "{e}");
    let e = error(&sig("      - server_is: \"\"\n"));
    assert!(e.contains("empty"), "{e}");
    let e = error(&sig("      - no_server: false\n"));
    assert!(e.contains("no_server"), "{e}");
    let e = error(&sig("      - path: /acme/info\n"));
    assert!(e.contains("not a probe path"), "{e}");
    // A probe added in another file (even a later one) makes it valid.
    let ok = with(&[
        (
            "a.yaml",
            &sig("      - path: /acme/info\n      - status: 200\n"),
        ),
        (
            "b.yaml",
            "probes:\n  - path: /acme/info\n    source: ACME API\n",
        ),
    ])
    .unwrap();
    assert_eq!(ok.probe_paths()[0], "/acme/info");
    assert_eq!(
        ok.signatures[0].all,
        [Match::Path("/acme/info".into()), Match::Status(200)]
    );
}

#[test]
fn a_repeated_entry_is_no_error() {
    let k = with(&[(
        "dup.yaml",
        "rtmp_streams:\n  - name: live\n    source: again\n  - name: live\n    source: twice\n",
    )])
    .unwrap();
    assert_eq!(k.rtmp_streams().iter().filter(|n| **n == "live").count(), 1);
}

#[test]
fn signatures_round_trip_through_their_file_format() {
    for s in &embedded().signatures {
        let text = serde_yaml::to_string(s).unwrap();
        let back = Signature {
            from: s.from,
            ..serde_yaml::from_str(&text).unwrap()
        };
        assert_eq!(&back, s, "{text}");
    }
}

#[test]
fn the_knowledge_directory_holds_yaml_files_only() {
    let dir = tempfile::tempdir().unwrap();
    assert!(dir_files(&dir.path().join("absent")).unwrap().is_empty());
    for name in ["b.yaml", "a.yaml", "notes.txt", "c.yml"] {
        std::fs::write(dir.path().join(name), "# empty\n").unwrap();
    }
    std::fs::create_dir(dir.path().join("d.yaml")).unwrap();
    let names: Vec<String> = dir_files(dir.path())
        .unwrap()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["a.yaml", "b.yaml"]);
    let other = tempfile::tempdir().unwrap();
    let flag = other.path().join("flag.yaml");
    std::fs::write(&flag, "rtmp_apps:\n  - name: first\n    source: s\n").unwrap();
    let k = load(std::slice::from_ref(&flag), Some(dir.path())).unwrap();
    assert_eq!(k.files.len(), EMBEDDED.len() + 3);
    assert_eq!(k.rtmp_apps()[0], "first");
    let e = load(&[dir.path().join("missing.yaml")], None).unwrap_err();
    assert!(e.to_string().contains("missing.yaml"), "{e}");
    // A directory that cannot be listed (here: a file in its place; for a user: another user's
    // HOME) is skipped, not fatal.
    assert!(dir_files(&flag).is_err());
    let k = load(&[], Some(&flag)).unwrap();
    assert_eq!(k.files.len(), EMBEDDED.len());
}

#[test]
fn the_listing_says_where_each_entry_came_from() {
    let k = with(&[(
        "/home/u/acme.yaml",
        "vendors:\n  - id: acme\n    name: \"ACME\\u001b[31m\"\n    source: s\nrtmp_apps:\n  - name: cams\n    source: s\n",
    )])
    .unwrap();
    let mut out = Vec::new();
    listing::write_table(k, None, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    for s in listing::Section::ALL {
        assert!(text.contains(&format!("\n{} (", s.key())), "{}", s.key());
    }
    assert!(text.contains("1 from /home/u/acme.yaml"), "{text}");
    assert!(text.contains("5 from data/rtmp.yaml (built in)"), "{text}");
    assert!(!text.contains('\u{1b}'), "escape sequences are dropped");
    let mut out = Vec::new();
    listing::write_json(k, Some(listing::Section::RtmpApps), &mut out).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let apps = doc["rtmp_apps"].as_array().unwrap();
    assert_eq!(apps.len(), 6);
    assert_eq!(apps[0]["from"], "/home/u/acme.yaml");
    assert_eq!(apps[1]["name"], "live");
    assert_eq!(apps[1]["from"], "data/rtmp.yaml");
    assert!(doc.get("signatures").is_none());
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), EMBEDDED.len() + 1);
    assert_eq!(files.last().unwrap()["entries"]["rtmp_apps"], 1);
}

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

#[test]
fn factory_defaults_are_placeholders_in_their_field_only() {
    let k = embedded();
    for t in [
        "LocalHost",
        "localhost",
        " IPC ",
        "IP Camera",
        "NVR",
        "",
        "0",
        "00:00:00:00:00:00",
    ] {
        assert!(k.is_placeholder(Field::Name, t), "{t:?}");
    }
    for t in ["ONVIF_IPNC", "onvif", "H264", "NONE", "IPCAM", "", "000000"] {
        assert!(k.is_placeholder(Field::Vendor, t), "{t:?}");
    }
    // Whole text only, and only in the fields the entry names.
    for t in ["Front door", "IPC-HFW1230S", "localhost-cam", "NVR 2"] {
        assert!(!k.is_placeholder(Field::Name, t), "{t:?}");
    }
    assert!(!k.is_placeholder(Field::Vendor, "IPC"));
    assert!(!k.is_placeholder(Field::Vendor, "Axis"));
    // A user file adds its own.
    let user = with(&[(
        "mine.yaml",
        "placeholders:\n  - text: Camera1\n    fields: [name]\n    source: our installer's default\n",
    )])
    .unwrap();
    assert!(user.is_placeholder(Field::Name, "camera1"));
    assert!(!embedded().is_placeholder(Field::Name, "camera1"));
}

/// Every advisory names the maker's own text (its advisory page, or the CVE record the maker
/// published as CNA), or is partial and says the maker published none; and issue 40's two
/// examples carry the whole affected list their sources give.
#[test]
fn every_advisory_has_a_makers_source_url() {
    const MAKERS: [(&str, &str); 4] = [
        ("hikvision", "hikvision.com"),
        ("dahua", "dahuasecurity.com"),
        ("axis", "axis.com"),
        ("reolink", "reolink.com"),
    ];
    let k = embedded();
    for a in &k.advisories {
        let Some(m) = &a.maker_source else {
            let left_out = a.coverage_note().unwrap_or_default();
            assert!(
                left_out.contains("published no advisory"),
                "{}: no maker_source, and left_out does not say the maker published none",
                a.id
            );
            continue;
        };
        assert!(a.sources.contains(m), "{}: {m} is not a source", a.id);
        let url = url::Url::parse(m).unwrap();
        let host = url.host_str().unwrap_or_default();
        let own_site = MAKERS.iter().any(|(v, domain)| {
            *v == a.vendor && (host == *domain || host.ends_with(&format!(".{domain}")))
        });
        let cna_record = host == "raw.githubusercontent.com"
            && url.path().starts_with("/CVEProject/cvelistV5/")
            && url.path().ends_with(&format!("/{}.json", a.id));
        assert!(own_site || cna_record, "{}: {m} is not the maker's", a.id);
    }
    let reolink = k
        .advisories
        .iter()
        .find(|a| a.id == "CVE-2021-40407")
        .unwrap();
    assert!(reolink.maker_source.is_none() && reolink.partial);
    let secure_boot = k
        .advisories
        .iter()
        .find(|a| a.id == "CVE-2023-21414")
        .unwrap();
    assert!(
        secure_boot
            .affected
            .iter()
            .any(|l| l.platform.as_deref() == Some("ARTPEC-8") && l.all_models),
        "the ARTPEC-8 line"
    );
    let boa = k
        .advisories
        .iter()
        .find(|a| a.id == "CVE-2017-20049")
        .unwrap();
    assert!(
        boa.affected.iter().all(|l| l.all_models),
        "every Axis model"
    );
}

/// The audit's two data files: every advisory with a source, a maker in the registry, ranges
/// that parse and a KEV flag for the catalogue's; every factory credential with the maker's
/// document; and a user file with an advisory that has no source is refused, naming the entry.
#[test]
fn the_audit_data_files_load_through_the_checks() {
    let k = embedded();
    assert!(k.advisories.len() >= 8, "{} advisories", k.advisories.len());
    for a in &k.advisories {
        assert!(
            k.vendor(&a.vendor).is_some(),
            "{}: vendor {}",
            a.id,
            a.vendor
        );
        assert!(!a.sources.is_empty(), "{}", a.id);
        for l in &a.affected {
            for v in [&l.from, &l.through, &l.before].into_iter().flatten() {
                assert!(firmware::parse(v).is_some(), "{}: {v}", a.id);
            }
        }
    }
    for id in ["CVE-2017-7921", "CVE-2021-33044", "CVE-2021-33045"] {
        let a = k.advisories.iter().find(|a| a.id == id).unwrap();
        assert!(a.kev, "{id} is in CISA's catalogue");
    }
    assert!(k.default_credentials.len() >= 5);
    for d in &k.default_credentials {
        assert!(d.source.contains("http"), "{}", d.label());
    }
    let err = with(&[(
        "mine.yaml",
        "advisories:\n  - id: CVE-2099-1\n    vendor: axis\n    summary: s\n    fixed: \"2\"\n    \
         affected:\n      - series: s\n        models: [\"AXIS Q1615*\"]\n        before: \"2.0\"\n    \
         sources: []\n",
    )])
    .unwrap_err();
    assert!(
        err.contains("mine.yaml") && err.contains("CVE-2099-1") && err.contains("no source"),
        "{err}"
    );
    let err = with(&[(
        "mine.yaml",
        "default_credentials:\n  - vendor: nobody\n    username: admin\n    password: x\n    \
         applies_to: all\n    source: https://example.invalid/manual\n",
    )])
    .unwrap_err();
    assert!(err.contains("unknown vendor"), "{err}");
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
