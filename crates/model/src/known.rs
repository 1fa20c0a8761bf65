//! What the inventory keeps of earlier scans for the next one: per address, the paths and the
//! credential that worked ([`Known`]), reverse DNS answers with how long each is good for, and
//! the names the exports gave each device's cameras ([`GivenName`]).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use super::Credential;

/// What an earlier scan found on one address, kept by the inventory store: tried first by the
/// next scan (issue 15 caching).
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Paths (with query) of the streams this address served last time, per port and protocol.
    pub rtsp_paths: BTreeMap<u16, Vec<String>>,
    pub http_paths: BTreeMap<u16, Vec<String>>,
    /// The credentials-file entry that worked last time (matched by keyed hash of user:password).
    pub credential: Option<Credential>,
}

/// How long a name is kept (getnameinfo gives no TTL; DHCP leases and DNS records of cameras change
/// on the scale of hours).
pub const POSITIVE_TTL: Duration = Duration::from_secs(3600);

/// How long "no name" is kept: shorter, so a record added by the site's admin shows soon.
pub const NEGATIVE_TTL: Duration = Duration::from_secs(600);

/// One answer as the inventory keeps it: the address, its name (`None`: no name), when it was
/// looked up.
pub type DnsAnswer = (IpAddr, Option<String>, SystemTime);

/// A name the inventory gave a device's cameras ([`crate::Device::camera_name`]), with
/// what recognises the device on a later scan (the inventory's identity rules,
/// [`crate::identity`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenName {
    pub identity: crate::identity::Identity,
    /// Where the device was last seen.
    pub ip: Option<IpAddr>,
    /// Unix ms.
    pub last_seen: i64,
    pub name: String,
}

/// A device the inventory last saw misaddressed (heard on `interface`'s segment at an address of
/// no attached subnet): the next scan asks for it directly, with an ARP probe on that segment
/// (`camscan::discovery::misaddressed::listen_arp`), instead of waiting for it to speak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownMisaddressed {
    pub ip: std::net::Ipv4Addr,
    pub interface: String,
}

/// The login that opened a device before, with what recognises the device on a later scan (the
/// inventory's identity rules, [`crate::identity`]) and where it was: a device recognised
/// at a new address is tried first with it, even when its line of the credentials file is scoped
/// to the old address (issue 82: a camera's login follows the camera).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownLogin {
    pub identity: crate::identity::Identity,
    /// Where the device was last seen.
    pub ip: Option<IpAddr>,
    /// The credentials-file entry whose keyed hash is the one stored for the device's stream.
    pub credential: Credential,
}

impl KnownLogin {
    /// Whether a device seen with `seen`'s keys is this login's device, by the keys the
    /// inventory recognises a device by ([`crate::identity`], rules 1 and 2): the same MAC
    /// when both know one (a MAC that differs is never the device); else the same serial or uuid,
    /// with no key both know disagreeing. An address alone never recognises a device here.
    pub fn recognises(&self, seen: &crate::identity::Identity) -> bool {
        let stored = &self.identity;
        if let (Some(a), Some(b)) = (&stored.mac, &seen.mac) {
            return a == b;
        }
        if stored.conflicts(seen) {
            return false;
        }
        let same =
            |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a == b);
        same(&stored.serial, &seen.serial) || same(&stored.uuid, &seen.uuid)
    }
}

/// [`KnownLogin`]s indexed by each key, so that a scan of thousands of devices finds a device's
/// login without reading the whole list for each of its logins.
#[derive(Debug, Clone, Default)]
pub struct KnownLogins {
    list: Vec<KnownLogin>,
    by_mac: std::collections::HashMap<String, usize>,
    by_serial: std::collections::HashMap<String, Vec<usize>>,
    by_uuid: std::collections::HashMap<String, Vec<usize>>,
}

impl KnownLogins {
    pub fn new(list: Vec<KnownLogin>) -> KnownLogins {
        let mut out = KnownLogins::default();
        for (i, l) in list.iter().enumerate() {
            if let Some(m) = &l.identity.mac {
                out.by_mac.entry(m.clone()).or_insert(i);
            }
            if let Some(s) = &l.identity.serial {
                out.by_serial.entry(s.clone()).or_default().push(i);
            }
            if let Some(u) = &l.identity.uuid {
                out.by_uuid.entry(u.clone()).or_default().push(i);
            }
        }
        out.list = list;
        out
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The login of the device `seen` is ([`KnownLogin::recognises`]): by its MAC, else its
    /// serial, else its uuid.
    pub fn find(&self, seen: &crate::identity::Identity) -> Option<&KnownLogin> {
        let by_mac = seen
            .mac
            .as_ref()
            .and_then(|m| self.by_mac.get(m))
            .into_iter()
            .copied();
        let by_serial = seen
            .serial
            .as_ref()
            .and_then(|s| self.by_serial.get(s))
            .into_iter()
            .flatten()
            .copied();
        let by_uuid = seen
            .uuid
            .as_ref()
            .and_then(|u| self.by_uuid.get(u))
            .into_iter()
            .flatten()
            .copied();
        by_mac
            .chain(by_serial)
            .chain(by_uuid)
            .map(|i| &self.list[i])
            .find(|l| l.recognises(seen))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;

    fn login(mac: Option<&str>, serial: Option<&str>) -> KnownLogin {
        KnownLogin {
            identity: Identity {
                mac: mac.map(str::to_string),
                serial: serial.map(str::to_string),
                ..Identity::default()
            },
            ip: Some("198.18.0.11".parse().unwrap()),
            credential: Credential::new("admin", "x"),
        }
    }

    #[test]
    fn a_device_is_recognised_by_its_keys_never_by_an_address() {
        let seen = |mac: Option<&str>, serial: Option<&str>| Identity {
            mac: mac.map(str::to_string),
            serial: serial.map(str::to_string),
            ..Identity::default()
        };
        let l = login(Some("44:19:b6:00:00:11"), Some("ds1"));
        assert!(l.recognises(&seen(Some("44:19:b6:00:00:11"), None)));
        // A MAC that differs is another box, whatever its serial says.
        assert!(!l.recognises(&seen(Some("02:00:00:00:00:12"), Some("ds1"))));
        // Routed (no MAC): the serial recognises it.
        assert!(l.recognises(&seen(None, Some("ds1"))));
        assert!(!l.recognises(&seen(None, Some("ds2"))));
        assert!(
            !l.recognises(&Identity::default()),
            "nothing but an address"
        );
        assert!(!login(None, None).recognises(&seen(Some("44:19:b6:00:00:11"), None)));
    }

    #[test]
    fn the_index_finds_what_recognises_would() {
        let seen = |mac: Option<&str>, serial: Option<&str>| Identity {
            mac: mac.map(str::to_string),
            serial: serial.map(str::to_string),
            ..Identity::default()
        };
        let mut routed = login(None, Some("ds2"));
        routed.credential = Credential::new("admin", "y");
        let all = KnownLogins::new(vec![login(Some("44:19:b6:00:00:11"), Some("ds1")), routed]);
        let found = |s: Identity| all.find(&s).map(|l| l.credential.password.as_str());
        assert_eq!(found(seen(Some("44:19:b6:00:00:11"), None)), Some("x"));
        assert_eq!(found(seen(None, Some("ds2"))), Some("y"));
        // A MAC of its own and the first device's serial: another box.
        assert_eq!(found(seen(Some("02:00:00:00:00:12"), Some("ds1"))), None);
        // A MAC never stored, with the routed device's serial: that device (no MAC to disagree).
        assert_eq!(
            found(seen(Some("02:00:00:00:00:12"), Some("ds2"))),
            Some("y")
        );
        assert_eq!(found(Identity::default()), None);
    }
}
