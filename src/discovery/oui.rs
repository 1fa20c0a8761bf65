//! The camera vendor of a MAC, for naming a device from its ARP answer alone.
//!
//! The prefixes are data: the user's knowledge files, then `data/ouis.yaml` (only prefixes with a
//! source: `shared/PROTOCOLS.md` §4.4, §4.12; Hikvision's from cameronnewman/hikvision-tooling
//! `internal/network/arp.go` where the IEEE agrees, Axis from its USNs and serials, Lorex from
//! CamioCam/rtsp#110), then the whole IEEE registry, whose organisations name vendors through the
//! vendor registry ([`crate::knowledge::Knowledge::mac_maker`]). A randomised MAC names no vendor.

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
        // Not in data/ouis.yaml: the IEEE registry's organisation names the vendor.
        assert_eq!(vendor("08:ed:ed:27:0a:d8"), Some("Dahua"));
        assert_eq!(vendor("dc:a6:32:27:0a:d8"), None);
        assert_eq!(vendor("02:00:00:00:00:01"), None);
        assert_eq!(vendor("44:1"), None);
    }
}
