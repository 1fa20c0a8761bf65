//! The camera vendor of a MAC, for naming a device from its ARP answer alone.
//!
//! The prefixes are data: the user's knowledge files, then `data/ouis.yaml` (only prefixes with a
//! source, which each entry names: Hikvision's from cameronnewman/hikvision-tooling
//! `internal/network/arp.go` where the IEEE agrees, Axis from its USNs and serials, Lorex from
//! CamioCam/rtsp#110), then the whole IEEE registry, whose organisations name vendors through the
//! vendor registry ([`knowledge::Knowledge::mac_maker`]). A randomised MAC names no vendor.

use knowledge::VendorId;
use registry::MacFacts;

/// The camera vendor owning this MAC's prefix, if known, as people read it (`Hikvision`).
pub fn vendor(mac: &str) -> Option<&'static str> {
    knowledge::get().oui_vendor(mac).map(VendorId::display_name)
}

/// What the MAC says about its maker, for the registry ([`registry::MacLookup`]): the IEEE
/// organisation, the randomised bit, the camera vendor's name.
pub fn facts(mac: &str) -> MacFacts {
    let m = knowledge::get().mac_maker(mac);
    MacFacts {
        organisation: m.organisation,
        randomized: m.randomized,
        vendor: m.vendor.map(VendorId::display_name),
    }
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
        let f = facts("dc:a6:32:27:0a:d8");
        assert_eq!(f.organisation, Some("Raspberry Pi Trading Ltd"));
        assert_eq!((f.randomized, f.vendor), (false, None));
        assert!(facts("02:00:00:00:00:01").randomized);
        assert_eq!(vendor("02:00:00:00:00:01"), None);
        assert_eq!(vendor("44:1"), None);
    }
}
