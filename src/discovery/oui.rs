//! MAC prefixes (OUIs) of camera vendors, for naming a device from its ARP answer alone.
//!
//! The prefixes are data: `data/ouis.yaml` (only prefixes with a source: `shared/PROTOCOLS.md` §4.4,
//! §4.12; Hikvision's from cameronnewman/hikvision-tooling `internal/network/arp.go`, Axis from its
//! USNs and serials, Lorex from CamioCam/rtsp#110), with the user's knowledge files before it
//! ([`crate::knowledge`]); the vendors are the registry's.

use crate::knowledge::VendorId;

/// The camera vendor owning this MAC's prefix, if known, as people read it (`Hikvision`).
pub fn vendor(mac: &str) -> Option<&'static str> {
    crate::knowledge::get()
        .oui_vendor(mac)
        .map(VendorId::display_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_prefixes() {
        assert_eq!(vendor("44:19:B6:12:34:56"), Some("Hikvision"));
        assert_eq!(vendor("ac:cc:8e:27:0a:d8"), Some("Axis"));
        assert_eq!(vendor("02:00:00:00:00:01"), None);
        assert_eq!(vendor("44:1"), None);
    }
}
