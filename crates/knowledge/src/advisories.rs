//! Published security advisories for camera firmware (`data/advisories.yaml`), which
//! `camscan audit` matches against each device's maker, model and firmware
//! (`firmware-advisory`), and the makers' documented factory credentials
//! (`data/default_credentials.yaml`), which `camscan audit --check-defaults` tries
//! (`default-credential`).
//!
//! An advisory applies to a device only when the maker, a model pattern and the firmware range
//! all match: a version string alone is never enough (Axis's vulnerability scanner guide warns
//! that version-only matching gives false positives, and makers number their lines apart).
//! `scripts/refresh-advisories` compares the file with CISA's Known Exploited Vulnerabilities
//! catalogue and checks that every entry has a source and ranges that parse.

use serde::{Deserialize, Serialize};

use super::entry::{self, Check, Context};
use super::firmware;

/// One advisory: a CVE and/or a maker's advisory id, for one maker's models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advisory {
    /// The CVE (`CVE-2021-36260`), else the maker's advisory id.
    pub id: String,
    /// The maker's (or a CERT's) advisory id (`HSRC-202109-01`, `ICSA-17-124-01`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advisory: Option<String>,
    /// A vendor id (`vendors.yaml`).
    pub vendor: String,
    /// One line: what the flaw lets an attacker do.
    pub summary: String,
    /// Listed in CISA's Known Exploited Vulnerabilities catalogue.
    #[serde(default)]
    pub kev: bool,
    /// The models and firmware ranges affected, as the advisory lists them.
    pub affected: Vec<Affected>,
    /// The fixed firmware, as the advisory names it (free text: makers name one per line).
    pub fixed: String,
    /// Where every fact of the entry comes from: the maker's advisory, the CVE record, CISA.
    pub sources: Vec<String>,
    /// The maker's own text: its advisory page, else the CVE record the maker published as its
    /// CVE numbering authority (one of `sources`). Absent only when the maker published none,
    /// which `left_out` then says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker_source: Option<String>,
    /// The entry does not model everything its sources list (lines, models or firmware left
    /// out): "no finding" for this maker's devices is then no proof they are unaffected, and
    /// the audit says so ([`Advisory::coverage_note`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// With `partial`: one sentence saying what is not modelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_out: Option<String>,
    #[serde(skip)]
    pub from: usize,
}

impl Advisory {
    /// What a partial entry leaves out, for the audit's coverage note; `None` for a complete one.
    pub fn coverage_note(&self) -> Option<&str> {
        self.partial.then_some(self.left_out.as_deref()).flatten()
    }
}

/// One line of an advisory's affected-products table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Affected {
    /// The series as the advisory names it (`DS-2CD2xx2F-I Series`), for people.
    pub series: String,
    /// Model patterns ([`firmware::model_matches`]): `#` a digit, `?` a letter or digit, `@`
    /// letters, `*` anything. Empty with `all_models`.
    #[serde(default)]
    pub models: Vec<String>,
    /// The advisory names every model of the maker (`All firmware versions prior to 5.65`):
    /// any model of the maker matches, the firmware range still has to.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_models: bool,
    /// First affected firmware (inclusive); none: every earlier one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last affected firmware (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through: Option<String>,
    /// First fixed firmware (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Firmware built before this date (`YYYY-MM-DD`), when the advisory gives a build time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub built_before: Option<String>,
    /// The chip the line is limited to (`ARTPEC-8`), when the advisory names a platform rather
    /// than models. camscan does not learn a device's chip, so a device of the maker in the
    /// firmware range gets an info finding ("may apply"), never a confirmed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// Whether a device's firmware falls in an [`Affected`] range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InRange {
    Yes,
    No,
    /// The firmware cannot be compared with the range (unparseable, another scheme, no build
    /// date where the range needs one).
    Unknown,
}

impl Affected {
    /// Whether the line names `model` (a device's text).
    pub fn names_model(&self, model: &str) -> bool {
        self.all_models
            || self
                .models
                .iter()
                .any(|p| firmware::model_matches(p, model))
    }

    /// Whether `firmware` (a device's text) falls in this range; never a guess.
    pub fn contains(&self, firmware: &str) -> InRange {
        use firmware::Order::*;
        let Some(v) = firmware::parse(firmware) else {
            return InRange::Unknown;
        };
        let mut checks = Vec::new();
        let cmp = |bound: &str| firmware::parse(bound).map(|b| firmware::compare(&v, &b));
        if let Some(f) = &self.from {
            checks.push(cmp(f).map(|o| match o {
                Unknown => None,
                o => Some(o != Less),
            }));
        }
        if let Some(t) = &self.through {
            checks.push(cmp(t).map(|o| match o {
                Unknown => None,
                o => Some(o != Greater),
            }));
        }
        if let Some(b) = &self.before {
            checks.push(cmp(b).map(|o| match o {
                Unknown => None,
                o => Some(o == Less),
            }));
        }
        if let Some(d) = &self.built_before {
            checks.push(Some(date(d).and_then(|d| v.build.map(|b| b < d))));
        }
        if checks.is_empty() {
            return InRange::Unknown;
        }
        let mut unknown = false;
        for c in checks {
            match c.flatten() {
                Some(false) => return InRange::No,
                Some(true) => {}
                None => unknown = true,
            }
        }
        if unknown {
            InRange::Unknown
        } else {
            InRange::Yes
        }
    }

    /// The range in words: `V5.2.0 build 140721 to V5.4.0 build 160530`, `before 5.65`,
    /// `built before 2021-06-01`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.platform {
            parts.push(format!("{p} products"));
        }
        match (&self.from, &self.through) {
            (Some(f), Some(t)) => parts.push(format!("{f} to {t}")),
            (None, Some(t)) => parts.push(format!("up to {t}")),
            (Some(f), None) => parts.push(format!("from {f}")),
            (None, None) => {}
        }
        if let Some(b) = &self.before {
            parts.push(format!("before {b}"));
        }
        if let Some(d) = &self.built_before {
            parts.push(format!("built before {d}"));
        }
        parts.join(", ")
    }

    fn check(&self) -> Result<(), String> {
        entry::required("series", &self.series)?;
        match (self.all_models, self.models.is_empty()) {
            (false, true) => return Err(format!("{}: no model pattern", self.series)),
            (true, false) => {
                return Err(format!(
                    "{}: all_models with model patterns: say one or the other",
                    self.series
                ));
            }
            _ => {}
        }
        for m in &self.models {
            firmware::pattern_ok(m)?;
        }
        if self.through.is_none() && self.before.is_none() && self.built_before.is_none() {
            return Err(format!(
                "{}: no upper bound (through, before or built_before): a range open at the top \
                 would flag every firmware",
                self.series
            ));
        }
        for v in [&self.from, &self.through, &self.before]
            .into_iter()
            .flatten()
        {
            if firmware::parse(v).is_none() {
                return Err(format!("{}: version {v:?} does not parse", self.series));
            }
        }
        if let Some(d) = &self.built_before
            && date(d).is_none()
        {
            return Err(format!(
                "{}: built_before {d:?} is not a YYYY-MM-DD date",
                self.series
            ));
        }
        Ok(())
    }
}

/// `YYYY-MM-DD` as YYYYMMDD.
fn date(text: &str) -> Option<u32> {
    let d: Vec<&str> = text.trim().split('-').collect();
    let [y, m, day] = d.as_slice() else {
        return None;
    };
    if y.len() != 4 || m.len() != 2 || day.len() != 2 {
        return None;
    }
    let (y, m, day): (u32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, day.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&day)).then_some(y * 10_000 + m * 100 + day)
}

/// `Ok` when every source is a web address.
fn sources_ok(sources: &[String]) -> Result<(), String> {
    if sources.is_empty() {
        return Err("no source".into());
    }
    for s in sources {
        if !(s.starts_with("https://") || s.starts_with("http://"))
            || s.contains(char::is_whitespace)
        {
            return Err(format!("source {s:?} is not a URL"));
        }
    }
    Ok(())
}

impl Check for Advisory {
    fn label(&self) -> String {
        self.id.clone()
    }

    fn key(&self) -> String {
        format!("{} {}", self.id, self.vendor)
    }

    fn check(&self) -> Result<(), String> {
        entry::required("id", &self.id)?;
        entry::vendor_id(&self.vendor)?;
        entry::required("summary", &self.summary)?;
        entry::required("fixed", &self.fixed)?;
        if self.affected.is_empty() {
            return Err("no affected models".into());
        }
        for a in &self.affected {
            a.check()?;
        }
        sources_ok(&self.sources)?;
        if let Some(m) = &self.maker_source {
            sources_ok(std::slice::from_ref(m)).map_err(|e| format!("maker_source: {e}"))?;
            if !self.sources.contains(m) {
                return Err(format!("maker_source {m} is not one of the sources"));
            }
        }
        match (self.partial, self.left_out.as_deref().map(str::trim)) {
            (true, None | Some("")) => {
                Err("partial without left_out: say what the entry does not model".into())
            }
            (false, Some(_)) => Err("left_out without partial: true".into()),
            _ => Ok(()),
        }
    }

    fn check_in(&self, cx: &Context) -> Result<(), String> {
        cx.vendor(&self.vendor)
    }

    fn from(&self) -> usize {
        self.from
    }

    fn set_from(&mut self, from: usize) {
        self.from = from;
    }
}

/// A maker's documented factory credential.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultCredential {
    /// A vendor id (`vendors.yaml`).
    pub vendor: String,
    pub username: String,
    /// Empty when the maker's default is no password.
    #[serde(default)]
    pub password: String,
    /// Which products or firmware the maker documents it for.
    pub applies_to: String,
    /// The maker's manual, support page or hardening guide that documents it (a URL, then what
    /// it says).
    pub source: String,
    #[serde(skip)]
    pub from: usize,
}

impl std::fmt::Debug for DefaultCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultCredential")
            .field("vendor", &self.vendor)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Check for DefaultCredential {
    fn label(&self) -> String {
        format!("{} {}", self.vendor, self.username)
    }

    fn key(&self) -> String {
        format!(
            "{}\u{0}{}\u{0}{}",
            self.vendor, self.username, self.password
        )
    }

    fn check(&self) -> Result<(), String> {
        entry::vendor_id(&self.vendor)?;
        entry::required("username", &self.username)?;
        entry::required("applies_to", &self.applies_to)?;
        entry::required("source", &self.source)?;
        if !self.source.contains("https://") && !self.source.contains("http://") {
            return Err("the source names no URL (the maker's manual or support page)".into());
        }
        if self.username.contains(':') || self.username.chars().any(char::is_control) {
            return Err("the user name has a ':' or a control character".into());
        }
        Ok(())
    }

    fn check_in(&self, cx: &Context) -> Result<(), String> {
        cx.vendor(&self.vendor)
    }

    fn from(&self) -> usize {
        self.from
    }

    fn set_from(&mut self, from: usize) {
        self.from = from;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: Option<&str>, through: Option<&str>, before: Option<&str>) -> Affected {
        Affected {
            series: "test".into(),
            models: vec!["DS-2CD2##2F-I*".into()],
            from: from.map(str::to_string),
            through: through.map(str::to_string),
            before: before.map(str::to_string),
            built_before: None,
            platform: None,
            all_models: false,
        }
    }

    #[test]
    fn ranges_include_their_ends_as_written() {
        let r = range(
            Some("V5.2.0 build 140721"),
            Some("V5.4.0 build 160530"),
            None,
        );
        assert_eq!(r.contains("V5.3.0 build 151016"), InRange::Yes);
        assert_eq!(
            r.contains("V5.4.0 build 160530"),
            InRange::Yes,
            "through is inclusive"
        );
        assert_eq!(
            r.contains("V5.2.0 build 140721"),
            InRange::Yes,
            "from is inclusive"
        );
        assert_eq!(
            r.contains("V5.4.41 build 170312"),
            InRange::No,
            "the fixed line"
        );
        assert_eq!(
            r.contains("V5.1.6 build 131205"),
            InRange::No,
            "older than the range"
        );
        assert_eq!(r.contains("unknown"), InRange::Unknown);
        let b = range(None, None, Some("5.65"));
        assert_eq!(b.contains("5.60.1"), InRange::Yes);
        assert_eq!(b.contains("5.65"), InRange::No, "before is exclusive");
        assert_eq!(b.contains("6.50.1.2"), InRange::No);
        assert_eq!(r.describe(), "V5.2.0 build 140721 to V5.4.0 build 160530");
    }

    /// Dahua's advisories give a build time, which a bare version does not carry: unknown.
    #[test]
    fn a_build_time_needs_a_build_date() {
        let r = Affected {
            built_before: Some("2021-06-01".into()),
            ..range(None, None, None)
        };
        assert_eq!(r.contains("V2.800.0000000.5.R.210420"), InRange::Yes);
        assert_eq!(
            r.contains("2.800.0000000.16.R, Build Date 2021-07-20"),
            InRange::No
        );
        assert_eq!(r.contains("V2.800.0000000.16.R"), InRange::Unknown);
        assert_eq!(r.describe(), "built before 2021-06-01");
    }

    #[test]
    fn entries_without_a_top_or_a_source_are_refused() {
        let mut a = Advisory {
            id: "CVE-0000-0001".into(),
            advisory: None,
            vendor: "hikvision".into(),
            summary: "s".into(),
            kev: false,
            affected: vec![range(Some("5.0"), None, None)],
            fixed: "5.1".into(),
            sources: vec!["https://example.invalid/a".into()],
            maker_source: None,
            partial: false,
            left_out: None,
            from: 0,
        };
        assert!(a.check().unwrap_err().contains("no upper bound"));
        a.affected = vec![range(None, Some("5.1"), None)];
        assert!(a.check().is_ok());
        a.sources.clear();
        assert!(a.check().is_err());
        a.sources = vec!["the manual".into()];
        assert!(a.check().is_err());
        a.sources = vec!["https://example.invalid/a".into()];
        a.affected = vec![range(None, Some("not a version"), None)];
        assert!(a.check().unwrap_err().contains("does not parse"));
    }

    /// A partial entry says what it leaves out; the maker's source is one of the sources.
    #[test]
    fn a_partial_entry_needs_its_left_out_and_a_maker_source_is_a_listed_url() {
        let mut a = Advisory {
            id: "CVE-0000-0002".into(),
            advisory: None,
            vendor: "axis".into(),
            summary: "s".into(),
            kev: false,
            affected: vec![range(None, Some("5.1"), None)],
            fixed: "5.2".into(),
            sources: vec!["https://www.axis.com/a.pdf".into()],
            maker_source: Some("https://www.axis.com/a.pdf".into()),
            partial: true,
            left_out: None,
            from: 0,
        };
        assert!(a.check().unwrap_err().contains("without left_out"));
        a.left_out = Some("  ".into());
        assert!(a.check().is_err(), "a blank sentence says nothing");
        a.left_out = Some("the B line".into());
        assert!(a.check().is_ok());
        assert_eq!(a.coverage_note(), Some("the B line"));
        a.partial = false;
        assert!(a.check().unwrap_err().contains("without partial"));
        a.left_out = None;
        assert!(a.check().is_ok());
        assert_eq!(a.coverage_note(), None);
        a.maker_source = Some("https://www.axis.com/other.pdf".into());
        assert!(a.check().unwrap_err().contains("not one of the sources"));
        a.maker_source = Some("the maker's page".into());
        assert!(a.check().is_err());
    }

    #[test]
    fn a_default_credential_needs_a_url_and_debug_hides_its_password() {
        let d = DefaultCredential {
            vendor: "axis".into(),
            username: "root".into(),
            password: "pass".into(),
            applies_to: "old firmware".into(),
            source: "the manual".into(),
            from: 0,
        };
        assert!(d.check().is_err());
        assert!(!format!("{d:?}").contains("pass\""));
    }
}
