//! Factory defaults devices report as their name or maker (`data/placeholders.yaml`): a host name
//! `LocalHost`, a label `IP Camera`, an ONVIF `Manufacturer` of `ONVIF_IPNC`. They say what the
//! firmware was built from, not who the device is: the registry keeps them as evidence and shows
//! the next best name or maker.

use serde::{Deserialize, Serialize};

use super::entry::{self, Check};

/// Which identity field a placeholder text stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// A device's name: a host name or a label.
    Name,
    /// A device's maker.
    Vendor,
}

/// One factory-default text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placeholder {
    /// The text, compared whole (trimmed, any case).
    pub text: String,
    /// The fields it is a placeholder in.
    pub fields: Vec<Field>,
    /// Where devices were seen sending it.
    pub source: String,
    #[serde(skip)]
    pub from: usize,
}

impl Check for Placeholder {
    fn label(&self) -> String {
        format!("{:?}", self.text)
    }

    fn key(&self) -> String {
        self.text.trim().to_ascii_lowercase()
    }

    fn check(&self) -> Result<(), String> {
        entry::required("text", &self.text)?;
        entry::required("source", &self.source)?;
        if self.fields.is_empty() {
            return Err(format!("{:?} names no field", self.text));
        }
        Ok(())
    }

    fn from(&self) -> usize {
        self.from
    }

    fn set_from(&mut self, from: usize) {
        self.from = from;
    }
}

/// Text that names nothing whatever the list says: empty, or only zeros and separators
/// (`0`, `00:00:00:00:00:00`, `0.0.0.0`) as firmware with an unset field sends it.
pub fn is_blank(text: &str) -> bool {
    text.trim()
        .chars()
        .all(|c| c == '0' || c.is_whitespace() || matches!(c, ':' | '-' | '.' | '_'))
}

/// The registry's [`registry::NameRules`] from the installed knowledge: the vendor
/// registry's spelling of makers, these placeholders, the vendors whose serial is the MAC.
pub fn name_rules() -> registry::NameRules {
    registry::NameRules {
        vendor: |text| {
            super::get()
                .vendor_for_text(text)
                .map(super::VendorId::display_name)
        },
        placeholder_name: |text| super::get().is_placeholder(Field::Name, text),
        placeholder_vendor: |text| super::get().is_placeholder(Field::Vendor, text),
        serial_is_mac: |vendor| {
            super::get()
                .vendor_for_text(vendor)
                .is_some_and(|v| v.vendor().serial_is_mac)
        },
    }
}
