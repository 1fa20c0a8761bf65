//! The knowledge files: every embedded one parses with every check, user files extend them,
//! errors name the file, the entry and the line.

use super::*;

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
