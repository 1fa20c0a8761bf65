//! The vendor registry (`data/vendors.yaml`) and the camera vendors' MAC prefixes
//! (`data/ouis.yaml`; every other prefix is looked up in the IEEE registry, [`super::oui`], whose
//! organisation names a vendor's `organisations` list).
//!
//! A vendor is spelled once: data files refer to it by `id` (`hikvision`), people read its `name`
//! (`Hikvision`), and the spellings devices use for it (`Server: Dahua Rtsp Server`, a UPnP
//! manufacturer `Samsung Techwin`) are its aliases. Code holds a [`VendorId`], got from the
//! registry, never a string it spelled itself; the few ids code must name (SADP is Hikvision's
//! protocol) are the constants below, and a test proves each is in the registry.

use serde::{Deserialize, Serialize};

use super::entry::{self, Check, Context};

/// Hikvision: the maker behind SADP answers.
pub const HIKVISION: &str = "hikvision";
/// Dahua: the maker behind DHIP answers that do not name a vendor.
pub const DAHUA: &str = "dahua";
/// go2rtc: its API answer also describes its WebRTC gateway.
pub const GO2RTC: &str = "go2rtc";
/// Every id the code names, for the test that proves the registry has them.
pub const NAMED_IN_CODE: &[&str] = &[HIKVISION, DAHUA, GO2RTC];

/// One vendor (or video-server project) of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    /// Lowercase letters, digits and `-`: what data files refer to.
    pub id: String,
    /// How people read it.
    pub name: String,
    /// Text (any case) naming the vendor in an RTSP `Server` header or auth realm.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// An auth realm starting with this (any case) names the vendor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub realm_prefixes: Vec<String>,
    /// Text (any case) in a UPnP `<manufacturer>` that marks a camera maker.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upnp_manufacturers: Vec<String>,
    /// Organisations of the IEEE MAC registry that are this vendor (`Zhejiang Dahua Technology
    /// Co., Ltd.`), spelled as the registry spells them; compared whole, in any case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organisations: Vec<String>,
    /// Runs of words (any case) of registry organisations that name the vendor as whole words
    /// but are deliberately not it (`Shanghai Dahua`: a scale factory), each with the reason.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub excluded_organisations: std::collections::BTreeMap<String, String>,
    /// The vendor documents a product's serial number as its MAC address (Axis), so a MAC is
    /// its serial when nothing else gave one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub serial_is_mac: bool,
    /// The vendor whose firmware this maker's devices run (an OEM's platform: `hikvision` for
    /// Annke), whose RTSP paths are asked right after this maker's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// How many of the maker's camera models a public per-model catalogue lists: the weight of
    /// its paths when no evidence names the maker (more models, asked earlier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_count: Option<u32>,
    pub source: String,
    #[serde(skip)]
    pub from: usize,
}

impl Check for Vendor {
    fn label(&self) -> String {
        self.id.clone()
    }

    fn key(&self) -> String {
        self.id.clone()
    }

    fn check(&self) -> Result<(), String> {
        entry::vendor_id(&self.id)?;
        entry::required("name", &self.name)?;
        entry::required("source", &self.source)?;
        for a in self
            .aliases
            .iter()
            .chain(&self.realm_prefixes)
            .chain(&self.upnp_manufacturers)
            .chain(&self.organisations)
        {
            entry::required("an alias", a)?;
        }
        for (run, why) in &self.excluded_organisations {
            entry::required("an excluded organisation", run)?;
            entry::required("the reason it is excluded", why)?;
        }
        if let Some(p) = &self.platform {
            entry::vendor_id(p)?;
            if *p == self.id {
                return Err(format!("platform {p:?} is the vendor itself"));
            }
        }
        Ok(())
    }

    fn check_in(&self, cx: &Context) -> Result<(), String> {
        self.platform.as_deref().map_or(Ok(()), |p| cx.vendor(p))
    }

    fn from(&self) -> usize {
        self.from
    }

    fn set_from(&mut self, from: usize) {
        self.from = from;
    }
}

/// A vendor of a loaded registry. Compared (and hashed) by id; `Debug` and `Display` show the id.
#[derive(Clone, Copy)]
pub struct VendorId(&'static Vendor);

impl VendorId {
    pub(super) fn new(v: &'static Vendor) -> VendorId {
        VendorId(v)
    }

    /// The id (`hikvision`), as data files spell it.
    pub fn as_str(self) -> &'static str {
        &self.0.id
    }

    /// The name people read (`Hikvision`).
    pub fn display_name(self) -> &'static str {
        &self.0.name
    }

    /// The registry entry.
    pub fn vendor(self) -> &'static Vendor {
        self.0
    }
}

impl PartialEq for VendorId {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}

impl Eq for VendorId {}

impl std::hash::Hash for VendorId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.id.hash(state);
    }
}

impl PartialEq<str> for VendorId {
    fn eq(&self, other: &str) -> bool {
        self.0.id == other
    }
}

impl PartialEq<&str> for VendorId {
    fn eq(&self, other: &&str) -> bool {
        self.0.id == *other
    }
}

impl std::fmt::Debug for VendorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VendorId({:?})", self.0.id)
    }
}

impl std::fmt::Display for VendorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.id)
    }
}

/// A MAC prefix (OUI) and the vendor owning it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Oui {
    /// The first three bytes, `aa:bb:cc` (either case).
    pub prefix: String,
    pub vendor: String,
    pub source: String,
    #[serde(skip)]
    pub from: usize,
}

impl Check for Oui {
    fn label(&self) -> String {
        self.prefix.clone()
    }

    fn key(&self) -> String {
        self.prefix.to_ascii_lowercase()
    }

    fn check(&self) -> Result<(), String> {
        entry::required("source", &self.source)?;
        entry::vendor_id(&self.vendor)?;
        let b = self.prefix.as_bytes();
        let ok = b.len() == 8
            && b.iter().enumerate().all(|(i, c)| {
                if i % 3 == 2 {
                    *c == b':'
                } else {
                    c.is_ascii_hexdigit()
                }
            });
        if ok {
            Ok(())
        } else {
            Err(format!(
                "prefix {:?} is not three bytes as aa:bb:cc",
                self.prefix
            ))
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
