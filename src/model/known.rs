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

/// A name the inventory gave a device's cameras ([`crate::model::Device::camera_name`]), with
/// what recognises the device on a later scan (the inventory's identity rules,
/// [`crate::model::identity`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenName {
    pub identity: crate::model::identity::Identity,
    /// Where the device was last seen.
    pub ip: Option<IpAddr>,
    /// Unix ms.
    pub last_seen: i64,
    pub name: String,
}

/// A device the inventory last saw misaddressed (heard on `interface`'s segment at an address of
/// no attached subnet): the next scan asks for it directly, with an ARP probe on that segment
/// ([`crate::discovery::misaddressed::listen_arp`]), instead of waiting for it to speak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownMisaddressed {
    pub ip: std::net::Ipv4Addr,
    pub interface: String,
}
