//! The rules that judge with the knowledge files: `firmware-advisory` (the maker's, the model's
//! and the firmware's match with a published advisory, `data/advisories.yaml`) and
//! `default-credential` (a maker's factory credential, `data/default_credentials.yaml`, that
//! opened something; what `audit --check-defaults` found, [`super::probe::default_credentials`]).
//! Pure functions, like every rule; their evidence never holds a password.

use super::rules::finding;
use super::{Context, Finding, FindingId, Severity};
use knowledge::advisories::{Advisory, Affected, InRange};
use model::Device;

/// `firmware-advisory`: every advisory of the device's maker with a model pattern that names the
/// device's model and a firmware range its firmware falls in: critical when CISA lists it as
/// exploited, else high. A model that matches but a firmware that cannot be compared with the
/// range (or none reported) is an info finding that says so: never a guess, and never a match on
/// a version alone (no maker or no model: nothing).
pub fn firmware_advisory(d: &Device, ctx: &Context, advisories: &[Advisory]) -> Vec<Finding> {
    let (Some(vendor), Some(model)) = (d.vendor.as_deref(), d.model.as_deref()) else {
        return Vec::new();
    };
    let Some(maker) = knowledge::get().vendor_for_text(vendor) else {
        return Vec::new();
    };
    let firmware = d.firmware.as_deref().map(str::trim).unwrap_or_default();
    let mut out = Vec::new();
    for a in advisories.iter().filter(|a| a.vendor == maker.as_str()) {
        let lines: Vec<&Affected> = a.affected.iter().filter(|l| l.names_model(model)).collect();
        let verdicts: Vec<(InRange, &Affected)> =
            lines.iter().map(|l| (l.contains(firmware), *l)).collect();
        // A line limited to a chip (`platform`) is never confirmed: camscan does not learn a
        // device's chip. A model's own line in range wins; then a chip's line in range; then
        // a line the firmware cannot be compared with.
        let hit = verdicts
            .iter()
            .find(|(v, l)| *v == InRange::Yes && l.platform.is_none())
            .or_else(|| verdicts.iter().find(|(v, _)| *v == InRange::Yes))
            .or_else(|| verdicts.iter().find(|(v, _)| *v == InRange::Unknown));
        let Some(&(verdict, line)) = hit else {
            continue;
        };
        let named = match &a.advisory {
            Some(adv) => format!("{} ({adv})", a.id),
            None => a.id.clone(),
        };
        let source = a.sources.first().map(String::as_str).unwrap_or_default();
        let kev = if a.kev {
            " CISA lists it in the Known Exploited Vulnerabilities catalogue: it is exploited \
             in the wild."
        } else {
            ""
        };
        let base = finding(d, ctx, FindingId::FirmwareAdvisory, Severity::Info);
        let f = if let (InRange::Yes, Some(chip)) = (verdict, &line.platform) {
            Finding {
                title: format!("{}: may apply ({chip} products only)", a.id),
                evidence: format!(
                    "advisory {named} concerns {} ({}; fixed in {}; {source}): the device runs \
                     {firmware}, in that range, but camscan cannot tell whether it is an {chip} \
                     product: check the product's datasheet",
                    line.series,
                    line.describe(),
                    a.fixed
                ),
                why: format!("{}.{kev}", a.summary),
                fix: format!(
                    "Look up the device's chip in its datasheet; on a {chip} product, update \
                     the firmware to {} or later.",
                    a.fixed
                ),
                source: a.sources.join("; "),
                ..base
            }
        } else if verdict == InRange::Yes {
            Finding {
                severity: if a.kev {
                    Severity::Critical
                } else {
                    Severity::High
                },
                title: format!("{}: {}", a.id, base.title),
                evidence: format!(
                    "advisory {named} applies to {model} before firmware {} ({source}): the \
                     device runs {firmware}, in the range {} of {}",
                    a.fixed,
                    line.describe(),
                    line.series
                ),
                why: format!("{}.{kev}", a.summary),
                fix: format!("Update the firmware to {} or later.", a.fixed),
                source: a.sources.join("; "),
                ..base
            }
        } else {
            let said = if firmware.is_empty() {
                "the device did not report its firmware".to_string()
            } else {
                format!("its firmware {firmware:?} cannot be compared with the range")
            };
            Finding {
                title: format!("{}: may apply (firmware unknown)", a.id),
                evidence: format!(
                    "advisory {named} concerns {model} ({}, affected {}; fixed in {}; \
                     {source}), but {said}: check the firmware by hand",
                    line.series,
                    line.describe(),
                    a.fixed
                ),
                why: format!("{}.{kev}", a.summary),
                fix: format!(
                    "Read the firmware version on the device and compare it with {}; update \
                     when it is older.",
                    a.fixed
                ),
                source: a.sources.join("; "),
                ..base
            }
        };
        out.push(f);
    }
    out
}

/// What the advisories leave out for `d`: one note for each partial entry
/// ([`Advisory::coverage_note`]) of the device's maker, in the file's order, so that no finding
/// is not read as "not affected". A device whose maker is unknown gets none (no advisory is
/// matched to it at all, which the guide says).
pub fn coverage(d: &Device, ctx: &Context, advisories: &[Advisory]) -> Vec<super::Coverage> {
    let Some(maker) = d
        .vendor
        .as_deref()
        .and_then(|v| knowledge::get().vendor_for_text(v))
    else {
        return Vec::new();
    };
    advisories
        .iter()
        .filter(|a| a.vendor == maker.as_str())
        .filter_map(|a| {
            Some(super::Coverage {
                device: super::DeviceRef::of(d, ctx.site.as_deref()),
                maker: knowledge::display_name(&a.vendor),
                advisory: a.id.clone(),
                left_out: a.coverage_note()?.to_string(),
                source: a
                    .maker_source
                    .clone()
                    .unwrap_or_else(|| a.sources.join("; ")),
            })
        })
        .collect()
}

/// `default-credential`: a maker's documented factory credential opened something on the device
/// (critical). The evidence names the user, whose default it is and what it opened; the password
/// is never shown, nor the maker's document's text (which quotes it): only its address.
pub fn default_credential(d: &Device, ctx: &Context) -> Vec<Finding> {
    d.default_logins
        .iter()
        .map(|l| {
            let base = finding(d, ctx, FindingId::DefaultCredential, Severity::Critical);
            let how = if l.given {
                " (it was in the scan's own credentials: audit sent nothing more)"
            } else {
                ""
            };
            let doc: Vec<&str> = l
                .source
                .split_whitespace()
                .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
                .collect();
            Finding {
                port: Some(l.port),
                stream: Some(l.opened.clone()),
                evidence: format!(
                    "{}'s factory user \"{}\" with {}'s documented default password (not shown) \
                     opened {}{how}",
                    l.maker, l.username, l.maker, l.opened
                ),
                source: if doc.is_empty() {
                    base.source.clone()
                } else {
                    format!("{}; the default: {}", base.source, doc.join(" "))
                },
                ..base
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::DefaultLogin;

    fn camera(vendor: &str, model: &str, firmware: Option<&str>) -> Device {
        let mut d = Device::new("198.18.0.30".parse().unwrap());
        d.vendor = Some(vendor.into());
        d.model = Some(model.into());
        d.firmware = firmware.map(str::to_string);
        d
    }

    fn embedded() -> &'static [Advisory] {
        &knowledge::embedded().advisories
    }

    fn ids(f: &[Finding]) -> Vec<(String, Severity)> {
        f.iter()
            .map(|f| (f.title.split(':').next().unwrap().to_string(), f.severity))
            .collect()
    }

    #[test]
    fn a_model_in_a_range_of_the_embedded_file_is_a_finding() {
        let d = camera("HIKVISION", "DS-2CD2142F-IW", Some("V5.3.0 build 151016"));
        let f = firmware_advisory(&d, &Context::default(), embedded());
        assert_eq!(ids(&f), [("CVE-2017-7921".into(), Severity::Critical)]);
        assert!(
            f[0].evidence.starts_with(
                "advisory CVE-2017-7921 (ICSA-17-124-01) applies to DS-2CD2142F-IW before \
                 firmware V5.4.41"
            ),
            "{}",
            f[0].evidence
        );
        assert!(f[0].evidence.contains(
            "in the range V5.2.0 build 140721 to V5.4.0 build 160530 of DS-2CD2xx2F-I Series"
        ));
        assert!(f[0].source.contains("icsa-17-124-01"));
        assert!(f[0].why.contains("Known Exploited"));
    }

    #[test]
    fn right_version_wrong_model_or_maker_is_nothing() {
        let ctx = Context::default();
        // The version is in CVE-2017-7921's range, the model is not in its series.
        let d = camera("HIKVISION", "DS-2CD2143G2-I", Some("V5.3.0 build 151016"));
        assert!(firmware_advisory(&d, &ctx, embedded()).is_empty());
        // The model's name under another maker (one without an advisory for all its models).
        let d = camera("Dahua", "DS-2CD2142F-IW", Some("V5.3.0 build 151016"));
        assert!(firmware_advisory(&d, &ctx, embedded()).is_empty());
        // No maker, or no model: a version alone never matches.
        let mut d = camera("HIKVISION", "DS-2CD2142F-IW", Some("V5.3.0 build 151016"));
        d.vendor = None;
        assert!(firmware_advisory(&d, &ctx, embedded()).is_empty());
        let mut d = camera("HIKVISION", "x", Some("V5.3.0 build 151016"));
        d.model = None;
        assert!(firmware_advisory(&d, &ctx, embedded()).is_empty());
    }

    #[test]
    fn right_model_fixed_version_is_nothing() {
        let d = camera("Hikvision", "DS-2CD2142F-IW", Some("V5.4.41 build 170312"));
        assert!(firmware_advisory(&d, &Context::default(), embedded()).is_empty());
        let d = camera("Hikvision", "DS-2CD2142F-IW", Some("V5.1.0 build 131202"));
        assert!(
            firmware_advisory(&d, &Context::default(), embedded()).is_empty(),
            "older than the first affected"
        );
    }

    #[test]
    fn an_unparseable_or_missing_firmware_is_unknown_not_a_guess() {
        let d = camera("Hikvision", "DS-2CD2142F-IW", Some("build unknown"));
        let f = firmware_advisory(&d, &Context::default(), embedded());
        assert_eq!(ids(&f), [("CVE-2017-7921".into(), Severity::Info)]);
        assert!(
            f[0].evidence.contains("cannot be compared"),
            "{}",
            f[0].evidence
        );
        let d = camera("Hikvision", "DS-2CD2142F-IW", None);
        let f = firmware_advisory(&d, &Context::default(), embedded());
        assert!(f[0].evidence.contains("did not report its firmware"));
        // Dahua gives a build time; a version without a build date is unknown.
        let d = camera("Dahua", "IPC-HDW3849H-AS-PV", Some("V2.800.0000000.16.R"));
        let f = firmware_advisory(&d, &Context::default(), embedded());
        assert!(f.iter().all(|f| f.severity == Severity::Info), "{f:?}");
        let d = camera(
            "Dahua",
            "IPC-HDW3849H-AS-PV",
            Some("V2.800.0000000.5.R, Build Date 2021-04-20"),
        );
        let f = firmware_advisory(&d, &Context::default(), embedded());
        assert_eq!(
            ids(&f),
            [("CVE-2021-33044".into(), Severity::Critical)],
            "built before June 2021, after May 2020"
        );
    }

    /// CVE-2023-21414's ARTPEC-8 line (the CVE record's first): any Axis model on AXIS OS
    /// 10.11 to 11.5 gets it as "may apply", since camscan cannot read the chip; a model the
    /// record names itself (Q3527-LVE) is confirmed; outside the range, nothing.
    #[test]
    fn an_artpec8_device_on_an_affected_firmware_gets_cve_2023_21414() {
        let ctx = Context::default();
        let cve = |f: &[Finding]| -> Vec<Finding> {
            f.iter()
                .filter(|f| f.title.starts_with("CVE-2023-21414"))
                .cloned()
                .collect()
        };
        // AXIS Q1656 is an ARTPEC-8 camera, on AXIS OS 11.1.
        let d = camera("Axis Communications AB", "AXIS Q1656", Some("11.1.66"));
        let f = cve(&firmware_advisory(&d, &ctx, embedded()));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Info);
        assert_eq!(
            f[0].title,
            "CVE-2023-21414: may apply (ARTPEC-8 products only)"
        );
        assert!(
            f[0].evidence.contains(
                "AXIS OS 10.11 - 11.5 on ARTPEC-8 products (ARTPEC-8 products, from 10.11, \
                 before 11.6"
            ) && f[0].evidence.contains("runs 11.1.66, in that range"),
            "{}",
            f[0].evidence
        );
        // The line's ends: 10.11 is in, 11.6 and 10.10 are not.
        let d = camera("Axis", "AXIS Q1656", Some("10.11.65"));
        assert_eq!(cve(&firmware_advisory(&d, &ctx, embedded())).len(), 1);
        for outside in ["11.6.94", "10.10.73", "12.0.86"] {
            let d = camera("Axis", "AXIS Q1656", Some(outside));
            assert!(
                cve(&firmware_advisory(&d, &ctx, embedded())).is_empty(),
                "{outside}"
            );
        }
        // A model named by the record itself is confirmed (high: not in CISA's catalogue).
        let d = camera("Axis", "AXIS Q3527-LVE", Some("11.1.66"));
        let f = cve(&firmware_advisory(&d, &ctx, embedded()));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        assert!(
            f[0].evidence.contains("of AXIS Q3527-LVE"),
            "{}",
            f[0].evidence
        );
    }

    /// CVE-2017-20049 is every Axis firmware before 5.65, not only the two example models.
    #[test]
    fn cve_2017_20049_covers_every_axis_model_before_5_65() {
        let ctx = Context::default();
        let d = camera("AXIS", "AXIS 2120", Some("2.43"));
        let f = firmware_advisory(&d, &ctx, embedded());
        assert_eq!(ids(&f), [("CVE-2017-20049".into(), Severity::High)]);
        let d = camera("AXIS", "AXIS M1033-W", Some("5.65"));
        assert!(firmware_advisory(&d, &ctx, embedded()).is_empty(), "fixed");
    }

    /// A device of a maker with partial entries gets a coverage note for each, naming what
    /// the entry leaves out; a maker whose entries are complete gets none.
    #[test]
    fn a_partial_entrys_coverage_note_is_given_for_its_makers_devices() {
        let ctx = Context::default();
        let d = camera("Hikvision", "DS-2CD2143G2-I", Some("V5.7.3 build 220112"));
        let c = coverage(&d, &ctx, embedded());
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(
            (c[0].advisory.as_str(), c[0].maker.as_str()),
            ("CVE-2025-66177", "Hikvision")
        );
        assert!(c[0].left_out.contains("further NVR"), "{}", c[0].left_out);
        assert!(coverage(&camera("Dahua", "IPC-HDW3849H", None), &ctx, embedded()).is_empty());
        let mut unknown = camera("x", "y", None);
        unknown.vendor = None;
        assert!(coverage(&unknown, &ctx, embedded()).is_empty());
    }

    #[test]
    fn a_default_login_is_critical_and_never_shows_the_password() {
        let mut d = camera("Hikvision", "DS-2CD2142F-IW", None);
        assert!(default_credential(&d, &Context::default()).is_empty());
        d.default_logins.push(DefaultLogin {
            username: "admin".into(),
            maker: "Hikvision".into(),
            opened: "rtsp://198.18.0.30:554/Streaming/Channels/101".into(),
            port: 554,
            source:
                "https://example.invalid/manual (the manual: 'admin and the password is 12345')"
                    .into(),
            given: false,
        });
        let f = default_credential(&d, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].severity, f[0].port), (Severity::Critical, Some(554)));
        assert_eq!(
            f[0].evidence,
            "Hikvision's factory user \"admin\" with Hikvision's documented default password \
             (not shown) opened rtsp://198.18.0.30:554/Streaming/Channels/101"
        );
        let all = serde_json::to_string(&f).unwrap();
        assert!(!all.contains("12345"), "{all}");
        assert!(
            f[0].source
                .ends_with("the default: https://example.invalid/manual")
        );
    }
}
