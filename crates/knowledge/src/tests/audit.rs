//! What audit judges with: factory credentials and advisories, each from the maker's own text.

use super::*;

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
