//! Which addresses are one box: the registry's grouping rule ([`Registry::groups`]). Addresses
//! with the same MAC are one device, then those with the same ONVIF endpoint reference, UPnP UDN
//! or serial number, as long as their MACs do not disagree. A MAC that answers ARP for more than
//! [`SHARED_MAC_MIN`] addresses is the box in front of them (a bridge, a Wi-Fi extender's MAC-NAT,
//! a proxy-ARP router): it merges none of them, and the report names it
//! ([`Registry::shared_macs`]). Addresses on one MAC whose serials or ONVIF/UPnP identities differ
//! stay apart too.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use super::Registry;
use model::{Device, is_real_serial};

impl Registry {
    /// The addresses of each box as [`Registry::devices`] merges them, sorted, in the same order as
    /// its devices; each group's first address is its device's `ip`.
    pub fn groups(&self) -> Vec<Vec<IpAddr>> {
        let list: Vec<&Device> = self.devices.values().collect();
        let mut parent: Vec<usize> = (0..list.len()).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        // MAC first, then the other keys (ONVIF endpoint, UPnP UDN, serial) only between groups
        // whose MACs do not disagree: two boxes with their own MACs stay two whatever serial they
        // claim (the inventory's identity rule too).
        let shared = self.shared_mac_set();
        let keys: Vec<Vec<String>> = list
            .iter()
            .map(|d| {
                let mut k = identity_keys(d);
                // A MAC shared by many addresses merges none of them: each is a host of its own
                // behind a bridge or proxy, one box only where another key says so.
                if let Some(m) = k
                    .iter()
                    .position(|k| k.strip_prefix("mac ").is_some_and(|m| shared.contains(m)))
                {
                    k[m] = format!("shared {}", &k[m][4..]);
                }
                k
            })
            .collect();
        let mut mac: Vec<Option<&str>> = keys
            .iter()
            .map(|k| {
                k.iter()
                    .find_map(|k| k.strip_prefix("mac ").or_else(|| k.strip_prefix("shared ")))
            })
            .collect();
        let mut owner: std::collections::HashMap<&str, usize> = Default::default();
        for by_mac in [true, false] {
            for (i, device_keys) in keys.iter().enumerate() {
                for key in device_keys
                    .iter()
                    .filter(|k| k.starts_with("mac ") == by_mac)
                {
                    if key.starts_with("shared ") {
                        continue;
                    }
                    let first = *owner.entry(key).or_insert(i);
                    let (a, b) = (root(&mut parent, first), root(&mut parent, i));
                    if a == b || matches!((mac[a], mac[b]), (Some(x), Some(y)) if x != y) {
                        continue;
                    }
                    // One MAC, but each address says it is a different box (its own serial or
                    // ONVIF/UPnP identity): a Wi-Fi extender's MAC-NAT or a proxy in front.
                    if by_mac && identities_differ(&keys[first], device_keys) {
                        continue;
                    }
                    // The lower address (earlier in the sorted map) stays the root.
                    let (low, high) = (a.min(b), a.max(b));
                    parent[high] = low;
                    mac[low] = mac[low].or(mac[high]);
                }
            }
        }
        let mut merged: BTreeMap<usize, Vec<IpAddr>> = BTreeMap::new();
        for (i, d) in list.iter().enumerate() {
            merged.entry(root(&mut parent, i)).or_default().push(d.ip);
        }
        merged.into_values().collect()
    }

    /// How many IPv4 addresses each MAC was seen with, normalised.
    fn addresses_per_mac(&self) -> HashMap<String, u64> {
        let mut count: HashMap<String, u64> = HashMap::new();
        for d in self.devices.values().filter(|d| d.ip.is_ipv4()) {
            if let Some(m) = d.mac.as_deref() {
                *count.entry(normal_mac(m)).or_default() += 1;
            }
        }
        count
    }

    /// The MACs seen with more than [`SHARED_MAC_MIN`] IPv4 addresses (worked out once between
    /// events: rendering each final device asks).
    pub(super) fn shared_mac_set(&self) -> std::sync::Arc<HashSet<String>> {
        let mut cache = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get_or_insert_with(|| {
                std::sync::Arc::new(
                    self.addresses_per_mac()
                        .into_iter()
                        .filter(|(_, n)| *n > SHARED_MAC_MIN)
                        .map(|(m, _)| m)
                        .collect(),
                )
            })
            .clone()
    }

    /// The MACs that answered for many addresses ([`SHARED_MAC_MIN`]), by MAC: the report's
    /// `coverage.shared_macs`.
    pub fn shared_macs(&self) -> Vec<model::coverage::SharedMac> {
        let mut out: Vec<_> = self
            .addresses_per_mac()
            .into_iter()
            .filter(|(_, n)| *n > SHARED_MAC_MIN)
            .map(|(mac, addresses)| model::coverage::SharedMac {
                mac,
                addresses,
                kind: "bridge or proxy-ARP host (Wi-Fi extender MAC-NAT, proxy-ARP router)".into(),
            })
            .collect();
        out.sort_by(|a, b| a.mac.cmp(&b.mac));
        out
    }
}

/// A MAC answering for more IPv4 addresses than this in one scan is the box in front of them (a
/// bridge, a Wi-Fi extender's MAC-NAT, a proxy-ARP router), not one host: its addresses stay
/// separate devices. A host of its own rarely holds more than a few addresses on one interface
/// (a camera's fixed address beside its DHCP one, an NVR's management and camera-side addresses
/// on one port); 4 leaves room for those.
pub const SHARED_MAC_MIN: u64 = 4;

/// A MAC as [`identity_keys`] spells it.
pub(super) fn normal_mac(mac: &str) -> String {
    mac.trim().to_ascii_lowercase().replace('-', ":")
}

/// Two key sets that both name a serial, or both an ONVIF/UPnP identity, and share none of them.
fn identities_differ(a: &[String], b: &[String]) -> bool {
    ["serial ", "endpoint "].iter().any(|kind| {
        let of = |k: &[String]| -> Vec<String> {
            k.iter().filter(|k| k.starts_with(kind)).cloned().collect()
        };
        let (x, y) = (of(a), of(b));
        !x.is_empty() && !y.is_empty() && !x.iter().any(|k| y.contains(k))
    })
}

/// What identifies a box whatever address it answered on.
fn identity_keys(d: &Device) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(mac) = d.mac.as_deref() {
        let mac = mac.trim().to_ascii_lowercase().replace('-', ":");
        let hex = mac.chars().filter(char::is_ascii_hexdigit).count();
        if mac.len() == 17 && hex == 12 && mac != "00:00:00:00:00:00" && mac != "ff:ff:ff:ff:ff:ff"
        {
            keys.push(format!("mac {mac}"));
        }
    }
    if let Some(ep) = d.onvif.as_ref().and_then(|o| o.endpoint.as_deref()) {
        keys.push(endpoint_key(ep));
    }
    if let Some(udn) = d.upnp.as_ref().and_then(|u| u.udn.as_deref()) {
        keys.push(endpoint_key(udn));
    }
    if let Some(serial) = d.serial.as_deref().map(str::trim)
        && is_real_serial(serial)
    {
        keys.push(format!("serial {}", serial.to_ascii_lowercase()));
    }
    keys
}

/// `urn:uuid:X` (WS-Discovery) and `uuid:X` (UPnP) name the same thing.
fn endpoint_key(id: &str) -> String {
    let id = id.trim().to_ascii_lowercase();
    format!("endpoint {}", id.strip_prefix("urn:").unwrap_or(&id))
}
