//! Which stored device an observed device is: the stable identity that survives an address
//! change. Pure: unit-tested without a database.
//!
//! A device is known by, strongest first: its MAC address, its serial number (with its vendor, when
//! both sides know one), its ONVIF endpoint reference or UPnP UDN (one `uuid`, as the registry
//! treats them), and its address only when nothing else is known. The rules:
//!
//! 1. **MAC first.** An observation with a MAC is the stored device with that MAC. Two addresses
//!    with one MAC are one device (the registry merges them within a scan; across scans the
//!    device's address changes). An observation whose MAC differs from the MAC stored for a device
//!    is never that device, whatever else matches: the same address with a new MAC is a different
//!    box (a replaced camera, or a DHCP address given to someone else).
//! 2. Else the stored device with the same serial, then the same uuid, as long as no key both
//!    sides know disagrees (so a stored device without a MAC may gain one).
//! 3. Else, by address: the device last seen at this address (the most recently seen one), when no
//!    key both sides know disagrees. This is how an address-only device later seen with a MAC at
//!    the same address becomes that MAC's device (first seen through a router, then on its link),
//!    and how an observation with nothing but an address (a routed scan of a MAC-known device)
//!    stays the same device.
//! 4. Else a new device.
//!
//! A stored device is matched by at most one observation of a scan; observations of one scan with
//! a common key are merged first ([`merge_observations`]).

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::Device;

/// The keys a device can be recognised by, normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// Lowercase `aa:bb:cc:dd:ee:ff`.
    pub mac: Option<String>,
    /// Lowercase serial number (placeholders like `123456` dropped).
    pub serial: Option<String>,
    /// Lowercase vendor, to tell two vendors' equal serials apart.
    pub vendor: Option<String>,
    /// ONVIF endpoint reference or UPnP UDN, lowercase, without `urn:` / `uuid:`.
    pub uuid: Option<String>,
}

impl Identity {
    pub fn of(d: &Device) -> Identity {
        let uuid = d
            .onvif
            .as_ref()
            .and_then(|o| o.endpoint.as_deref())
            .or_else(|| d.upnp.as_ref().and_then(|u| u.udn.as_deref()))
            .and_then(normalize_uuid);
        Identity {
            // A MAC shared by many addresses is the box in front of them (a bridge, a proxy), not
            // this device's.
            mac: d
                .mac
                .as_deref()
                .filter(|_| !d.mac_shared)
                .and_then(normalize_mac),
            serial: d.serial.as_deref().and_then(normalize_serial),
            vendor: d
                .vendor
                .as_deref()
                .map(|v| v.trim().to_ascii_lowercase())
                .filter(|v| !v.is_empty()),
            uuid,
        }
    }

    /// The key a device is shown by: the strongest it has, else its address.
    pub fn key(&self, ip: Option<IpAddr>) -> String {
        if let Some(m) = &self.mac {
            format!("mac:{m}")
        } else if let Some(s) = &self.serial {
            format!("serial:{s}")
        } else if let Some(u) = &self.uuid {
            format!("uuid:{u}")
        } else {
            ip.map_or_else(|| "ip:?".to_string(), |ip| format!("ip:{ip}"))
        }
    }

    /// Nothing but an address.
    pub fn is_empty(&self) -> bool {
        self.mac.is_none() && self.serial.is_none() && self.uuid.is_none()
    }

    /// A key both know and disagree on. Equal serials under two different known vendors disagree
    /// too: a serial number is its vendor's.
    pub fn conflicts(&self, other: &Identity) -> bool {
        fn differ(a: &Option<String>, b: &Option<String>) -> bool {
            matches!((a, b), (Some(a), Some(b)) if a != b)
        }
        differ(&self.mac, &other.mac)
            || differ(&self.serial, &other.serial)
            || (self.serial.is_some()
                && self.serial == other.serial
                && differ(&self.vendor, &other.vendor))
            || differ(&self.uuid, &other.uuid)
    }

    /// Fill the keys this one lacks from `other`.
    pub fn absorb(&mut self, other: &Identity) {
        for (mine, theirs) in [
            (&mut self.mac, &other.mac),
            (&mut self.serial, &other.serial),
            (&mut self.vendor, &other.vendor),
            (&mut self.uuid, &other.uuid),
        ] {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
    }
}

/// `AA-BB-CC-DD-EE-FF` or `aa:bb:..` to `aa:bb:cc:dd:ee:ff`; all-zero and broadcast are no MAC.
pub fn normalize_mac(mac: &str) -> Option<String> {
    let hex: String = mac.chars().filter(char::is_ascii_hexdigit).collect();
    if hex.len() != 12 || mac.trim().len() > 17 {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    if hex == "000000000000" || hex == "ffffffffffff" {
        return None;
    }
    let parts: Vec<&str> = (0..6).map(|i| &hex[i * 2..i * 2 + 2]).collect();
    Some(parts.join(":"))
}

pub fn normalize_serial(serial: &str) -> Option<String> {
    let s = serial.trim();
    crate::is_real_serial(s).then(|| s.to_ascii_lowercase())
}

pub fn normalize_uuid(id: &str) -> Option<String> {
    let id = id.trim().to_ascii_lowercase();
    let id = id.strip_prefix("urn:").unwrap_or(&id);
    let id = id.strip_prefix("uuid:").unwrap_or(id);
    (!id.is_empty()).then(|| id.to_string())
}

/// A stored device as identity matching sees it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub identity: Identity,
    pub ip: Option<IpAddr>,
    /// Unix ms; the most recent wins an address tie.
    pub last_seen: i64,
}

/// The stored devices, indexed by each key and by last address.
pub struct Index<'a> {
    candidates: &'a [Candidate],
    by_mac: HashMap<&'a str, usize>,
    by_serial: HashMap<&'a str, Vec<usize>>,
    by_uuid: HashMap<&'a str, Vec<usize>>,
    by_ip: HashMap<IpAddr, Vec<usize>>,
    taken: Vec<bool>,
}

impl<'a> Index<'a> {
    pub fn new(candidates: &'a [Candidate]) -> Self {
        let mut ix = Index {
            candidates,
            by_mac: HashMap::new(),
            by_serial: HashMap::new(),
            by_uuid: HashMap::new(),
            by_ip: HashMap::new(),
            taken: vec![false; candidates.len()],
        };
        for (i, c) in candidates.iter().enumerate() {
            if let Some(m) = &c.identity.mac {
                // Two stored devices never share a MAC (rule 1); keep the first if they do.
                ix.by_mac.entry(m).or_insert(i);
            }
            if let Some(s) = &c.identity.serial {
                ix.by_serial.entry(s).or_default().push(i);
            }
            if let Some(u) = &c.identity.uuid {
                ix.by_uuid.entry(u).or_default().push(i);
            }
            if let Some(ip) = c.ip {
                ix.by_ip.entry(ip).or_default().push(i);
            }
        }
        for list in ix.by_ip.values_mut() {
            list.sort_by_key(|&i| std::cmp::Reverse(candidates[i].last_seen));
        }
        ix
    }

    /// The stored device `id` seen at `ip` is (rules in the module doc), marked taken: by key,
    /// else by address. Within a scan, resolve every observation by key first
    /// ([`Index::resolve_key`]) and only then the rest by address, so a device that moved is not
    /// taken by whatever now answers at its old address.
    #[cfg(test)]
    pub fn resolve(&mut self, id: &Identity, ip: IpAddr) -> Option<usize> {
        self.resolve_key(id)
            .or_else(|| self.resolve_address(id, ip))
    }

    /// Rules 1 and 2: the stored device with this MAC, else serial, else uuid.
    pub fn resolve_key(&mut self, id: &Identity) -> Option<usize> {
        let found = self.find_key(id)?;
        self.taken[found] = true;
        Some(found)
    }

    /// Rule 3: the device last seen at `ip`, when no key both know disagrees.
    pub fn resolve_address(&mut self, id: &Identity, ip: IpAddr) -> Option<usize> {
        let found = self
            .by_ip
            .get(&ip)?
            .iter()
            .copied()
            .find(|&i| self.usable(i, id))?;
        self.taken[found] = true;
        Some(found)
    }

    fn usable(&self, i: usize, id: &Identity) -> bool {
        !self.taken[i] && !self.candidates[i].identity.conflicts(id)
    }

    fn find_key(&self, id: &Identity) -> Option<usize> {
        if let Some(mac) = &id.mac
            && let Some(&i) = self.by_mac.get(mac.as_str())
        {
            // The MAC decides (rule 1).
            return (!self.taken[i]).then_some(i);
        }
        let keyed = [
            id.serial.as_deref().and_then(|s| self.by_serial.get(s)),
            id.uuid.as_deref().and_then(|u| self.by_uuid.get(u)),
        ];
        keyed
            .into_iter()
            .flatten()
            .find_map(|list| list.iter().copied().find(|&i| self.usable(i, id)))
    }
}

/// Which of `candidates` each observation (its identity and address) is: every observation by
/// key first, then the rest by address, so a device that moved is not taken by whatever now
/// answers at its old address (rules in the module doc).
pub fn resolve_all(
    candidates: &[Candidate],
    observed: &[(&Identity, IpAddr)],
) -> Vec<Option<usize>> {
    let mut index = Index::new(candidates);
    let by_key: Vec<Option<usize>> = observed
        .iter()
        .map(|(id, _)| index.resolve_key(id))
        .collect();
    observed
        .iter()
        .zip(by_key)
        .map(|((id, ip), k)| k.or_else(|| index.resolve_address(id, *ip)))
        .collect()
}

/// Merge devices of one report that share a key (the registry already does; a report from an
/// older camscan or a hand-made one may not): the first keeps its fields, gains the other's
/// addresses, ports, services and streams. Returns the merged list in report order.
pub fn merge_observations(devices: &[Device]) -> Vec<Device> {
    let mut out: Vec<(Identity, Device)> = Vec::with_capacity(devices.len());
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for d in devices {
        let id = Identity::of(d);
        let keys: Vec<String> = [
            id.mac.as_ref().map(|m| format!("mac:{m}")),
            id.serial.as_ref().map(|s| format!("serial:{s}")),
            id.uuid.as_ref().map(|u| format!("uuid:{u}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let target = keys
            .iter()
            .filter_map(|k| by_key.get(k).copied())
            .find(|&i| !out[i].0.conflicts(&id));
        match target {
            Some(i) => {
                let (tid, t) = &mut out[i];
                tid.absorb(&id);
                for ip in std::iter::once(d.ip).chain(d.addresses.iter().copied()) {
                    if !t.addresses.contains(&ip) {
                        t.addresses.push(ip);
                    }
                }
                for p in &d.open_ports {
                    if !t.open_ports.contains(p) {
                        t.open_ports.push(*p);
                    }
                }
                t.open_ports.sort_unstable();
                t.services.extend(d.services.iter().cloned());
                t.streams.extend(d.streams.iter().cloned());
                for m in &d.discovered_by {
                    if !t.discovered_by.contains(m) {
                        t.discovered_by.push(*m);
                    }
                }
                if t.mac.is_none() {
                    t.mac.clone_from(&d.mac);
                }
                for k in keys {
                    by_key.entry(k).or_insert(i);
                }
            }
            None => {
                let i = out.len();
                for k in keys {
                    by_key.entry(k).or_insert(i);
                }
                out.push((id, d.clone()));
            }
        }
    }
    out.into_iter().map(|(_, d)| d).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn mac(m: &str) -> Identity {
        Identity {
            mac: normalize_mac(m),
            ..Identity::default()
        }
    }

    fn cand(id: Identity, addr: &str, last_seen: i64) -> Candidate {
        Candidate {
            identity: id,
            ip: Some(ip(addr)),
            last_seen,
        }
    }

    #[test]
    fn macs_normalise() {
        assert_eq!(
            normalize_mac("AA-BB-CC-00-11-22").as_deref(),
            Some("aa:bb:cc:00:11:22")
        );
        assert_eq!(
            normalize_mac("aabb.cc00.1122").as_deref(),
            Some("aa:bb:cc:00:11:22")
        );
        assert_eq!(normalize_mac("00:00:00:00:00:00"), None);
        assert_eq!(normalize_mac("ff:ff:ff:ff:ff:ff"), None);
        assert_eq!(normalize_mac("aa:bb"), None);
        assert_eq!(normalize_uuid("urn:uuid:ABC-1").as_deref(), Some("abc-1"));
        assert_eq!(normalize_uuid("uuid:abc-1").as_deref(), Some("abc-1"));
        assert_eq!(
            normalize_serial("0000000"),
            None,
            "a placeholder is no identity"
        );
    }

    #[test]
    fn one_mac_on_a_new_address_is_the_same_device() {
        let stored = [cand(mac("aa:bb:cc:00:00:01"), "10.0.0.5", 1)];
        let mut ix = Index::new(&stored);
        assert_eq!(
            ix.resolve(&mac("AA:BB:CC:00:00:01"), ip("10.0.0.9")),
            Some(0)
        );
    }

    #[test]
    fn one_address_whose_mac_changed_is_a_different_device() {
        let stored = [cand(mac("aa:bb:cc:00:00:01"), "10.0.0.5", 1)];
        let mut ix = Index::new(&stored);
        assert_eq!(ix.resolve(&mac("aa:bb:cc:00:00:02"), ip("10.0.0.5")), None);
    }

    #[test]
    fn an_address_only_device_seen_with_a_mac_at_its_address_gains_the_mac() {
        let stored = [cand(Identity::default(), "10.0.0.5", 1)];
        let mut ix = Index::new(&stored);
        assert_eq!(
            ix.resolve(&mac("aa:bb:cc:00:00:01"), ip("10.0.0.5")),
            Some(0)
        );
        // ...but not at another address.
        let mut ix = Index::new(&stored);
        assert_eq!(ix.resolve(&mac("aa:bb:cc:00:00:01"), ip("10.0.0.6")), None);
    }

    #[test]
    fn an_address_only_observation_is_the_device_last_seen_there() {
        let stored = [
            cand(mac("aa:bb:cc:00:00:01"), "10.0.0.5", 1),
            cand(mac("aa:bb:cc:00:00:02"), "10.0.0.5", 5),
        ];
        let mut ix = Index::new(&stored);
        assert_eq!(ix.resolve(&Identity::default(), ip("10.0.0.5")), Some(1));
        // Taken: the next address-only sighting there is the other one.
        assert_eq!(ix.resolve(&Identity::default(), ip("10.0.0.5")), Some(0));
        assert_eq!(ix.resolve(&Identity::default(), ip("10.0.0.5")), None);
    }

    #[test]
    fn serial_then_uuid_and_vendors_must_agree() {
        let serial = |s: &str, v: Option<&str>| Identity {
            serial: normalize_serial(s),
            vendor: v.map(str::to_string),
            ..Identity::default()
        };
        let stored = [
            cand(serial("DS2CD2143G2I-ABC", Some("hikvision")), "10.0.0.5", 1),
            cand(
                Identity {
                    uuid: Some("abc-1".into()),
                    ..Identity::default()
                },
                "10.0.0.6",
                1,
            ),
        ];
        let mut ix = Index::new(&stored);
        assert_eq!(
            ix.resolve(&serial("ds2cd2143g2i-abc", None), ip("10.0.0.7")),
            Some(0)
        );
        let mut ix = Index::new(&stored);
        assert_eq!(
            ix.resolve(&serial("DS2CD2143G2I-ABC", Some("dahua")), ip("10.0.0.7")),
            None,
            "another vendor's equal serial is another box"
        );
        let mut ix = Index::new(&stored);
        let id = Identity {
            uuid: normalize_uuid("urn:uuid:ABC-1"),
            mac: normalize_mac("aa:bb:cc:00:00:09"),
            ..Identity::default()
        };
        assert_eq!(ix.resolve(&id, ip("10.0.0.99")), Some(1), "gains the MAC");
        // A stored device with a MAC is not matched by serial when the observed MAC differs.
        let stored = [cand(
            Identity {
                mac: normalize_mac("aa:bb:cc:00:00:01"),
                serial: normalize_serial("SERIAL-0001"),
                ..Identity::default()
            },
            "10.0.0.5",
            1,
        )];
        let mut ix = Index::new(&stored);
        let id = Identity {
            mac: normalize_mac("aa:bb:cc:00:00:02"),
            serial: normalize_serial("SERIAL-0001"),
            ..Identity::default()
        };
        assert_eq!(ix.resolve(&id, ip("10.0.0.5")), None, "MAC first");
    }

    #[test]
    fn two_addresses_with_one_mac_in_one_report_are_one_device() {
        let mut a = Device::new(ip("10.0.0.5"));
        a.mac = Some("AA:BB:CC:00:00:01".into());
        a.open_ports = vec![554];
        let mut b = Device::new(ip("10.0.0.23"));
        b.mac = Some("aa-bb-cc-00-00-01".into());
        b.open_ports = vec![80];
        let c = Device::new(ip("10.0.0.6"));
        let merged = merge_observations(&[a, b, c]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].addresses, vec![ip("10.0.0.5"), ip("10.0.0.23")]);
        assert_eq!(merged[0].open_ports, vec![80, 554]);
        assert_eq!(merged[1].ip, ip("10.0.0.6"));
    }

    #[test]
    fn a_moved_device_is_not_taken_by_what_answers_at_its_old_address() {
        let stored = [cand(mac("aa:bb:cc:00:00:01"), "10.0.0.5", 1)];
        let mut ix = Index::new(&stored);
        // Key pass first: the MAC at its new address.
        assert_eq!(ix.resolve_key(&mac("aa:bb:cc:00:00:01")), Some(0));
        // Then a box with nothing but an address at the old one: not that device.
        assert_eq!(ix.resolve_key(&Identity::default()), None);
        assert_eq!(
            ix.resolve_address(&Identity::default(), ip("10.0.0.5")),
            None
        );
    }

    #[test]
    fn keys() {
        assert_eq!(mac("aa:bb:cc:00:00:01").key(None), "mac:aa:bb:cc:00:00:01");
        assert_eq!(Identity::default().key(Some(ip("10.0.0.5"))), "ip:10.0.0.5");
    }
}
