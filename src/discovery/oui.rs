//! MAC prefixes (OUIs) of camera vendors, for naming a device from its ARP answer alone.
//!
//! Only prefixes with a source are listed (`shared/PROTOCOLS.md` §4.4, §4.12): Hikvision's from
//! cameronnewman/hikvision-tooling `internal/network/arp.go`; Axis from its USNs and serials; Lorex from
//! CamioCam/rtsp#110. More vendors join as sources are checked.

/// `(prefix, vendor)`, prefix lowercase `aa:bb:cc`.
const OUIS: &[(&str, &str)] = &[
    ("00:0d:c5", "Hikvision"),
    ("28:57:be", "Hikvision"),
    ("44:19:b6", "Hikvision"),
    ("54:c4:15", "Hikvision"),
    ("80:cc:9c", "Hikvision"),
    ("a4:14:37", "Hikvision"),
    ("bc:ad:28", "Hikvision"),
    ("c0:56:e3", "Hikvision"),
    ("c4:2f:90", "Hikvision"),
    ("e0:2f:6d", "Hikvision"),
    ("f4:52:14", "Hikvision"),
    ("48:40:a9", "Hikvision"),
    ("8c:e7:48", "Hikvision"),
    ("4c:bd:8f", "Hikvision"),
    ("18:68:cb", "Hikvision"),
    ("44:47:cc", "Hikvision"),
    ("e4:24:6c", "Hikvision"),
    ("00:40:8c", "Axis"),
    ("ac:cc:8e", "Axis"),
    ("00:40:7f", "Lorex"),
];

/// The camera vendor owning this MAC's prefix, if known.
pub fn vendor(mac: &str) -> Option<&'static str> {
    let prefix = mac.get(..8)?.to_ascii_lowercase();
    OUIS.iter().find(|(p, _)| *p == prefix).map(|(_, v)| *v)
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
