//! Multicast DNS and DNS-based Service Discovery (RFC 6762, RFC 6763): the one-shot query camscan
//! sends, a parser of the DNS messages devices answer with, and the services those answers describe.
//!
//! The parser reads the DNS wire format of RFC 1035 §4 with name compression (§4.1.4). Device bytes
//! are hostile: a compression pointer must point before the name it is part of (so pointers cannot
//! loop), a name is at most 255 bytes on the wire, counts in the header are not trusted for memory
//! (each record costs at least 11 bytes of input), and a message cut short keeps the records read
//! before the cut. The TC bit (RFC 6762 §18.5: more answers follow in another packet) is reported,
//! not an error: each datagram is read on its own.
//!
//! What a device offers is assembled from its records by [`services`]: a PTR from a service type to
//! an instance (`AXIS M3045-V - ACCC8E0A1B2C._axis-video._tcp.local`), the instance's SRV (host
//! name and port) and TXT (key=value facts, RFC 6763 §6), and the host name's A record.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The mDNS group and port (RFC 6762 §3).
pub const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
pub const PORT: u16 = 5353;

/// The service types camscan asks for, each with where it was seen.
pub const SERVICE_TYPES: &[&str] = &[
    // Axis cameras and encoders, and DoorBird door stations (which borrow it): Home Assistant's
    // `axis` and `doorbird` integrations match it, with TXT `macaddress` (manifest.json
    // `zeroconf`); UniversalScanner (Axis.cs) queries both Axis types.
    "_axis-video._tcp",
    // Axis NVRs and recorders (UniversalScanner Axis.cs, beside `_axis-video._tcp`).
    "_axis-nvr._tcp",
    // RTSP servers: IANA service name `rtsp`; DNS-SD TXT key `path` is the stream path
    // (dns-sd.org ServiceTypes: "rtsp ... path=<path>").
    "_rtsp._tcp",
    // HomeKit accessories (HomeKit Accessory Protocol §6.4: TXT `md` model, `ci` category, where
    // 17 is an IP camera and 18 a video doorbell).
    "_hap._tcp",
    // Arecont Vision cameras (UniversalScanner Arecont.cs queries `_arec._tcp.local`).
    "_arec._tcp",
    // Web interfaces: kept only when the instance name or TXT marks a camera
    // ([`is_camera_service`]); Home Assistant matches Axis on `_http._tcp` with `macaddress`.
    "_http._tcp",
    "_https._tcp",
    // Every service type the device offers (RFC 6763 §9).
    "_services._dns-sd._udp",
];

/// Whether `service` (`_ipp._tcp`) is one of [`SERVICE_TYPES`]: records of other services a
/// responder adds to its answer are not what camscan asked for.
pub fn asked(service: &str) -> bool {
    SERVICE_TYPES
        .iter()
        .any(|t| *t != META_QUERY && t.eq_ignore_ascii_case(service))
}

/// RFC 6763 §9: the meta-query naming every service type a responder offers.
pub const META_QUERY: &str = "_services._dns-sd._udp";

/// DNS record types (RFC 1035 §3.2.2, RFC 3596, RFC 2782).
pub const TYPE_A: u16 = 1;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_SRV: u16 = 33;

/// Longest name on the wire (RFC 1035 §2.3.4).
const MAX_NAME: usize = 255;
/// Records kept from one message; a full 9000-byte jumbo datagram holds fewer than 820.
const MAX_RECORDS: usize = 1024;
/// TXT strings kept per record, and the longest kept value.
const MAX_TXT: usize = 64;
const MAX_VALUE: usize = 255;

/// A one-shot query (RFC 6762 §5.1) with one PTR question per service type in `types`
/// (`_rtsp._tcp`; `.local` is added). Sent from a port other than 5353, it asks for unicast
/// answers to that port (§6.7, "legacy unicast"); the QU bit is not set, since legacy answers
/// come unicast anyway and some responders ignore questions whose class has the top bit set.
pub fn query(id: u16, types: &[&str]) -> Vec<u8> {
    let mut m = Vec::with_capacity(12 + types.len() * 32);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0, 0]); // a standard query
    m.extend_from_slice(&(types.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    for t in types {
        for label in t.split('.').chain(["local"]).filter(|l| !l.is_empty()) {
            let label = &label.as_bytes()[..label.len().min(63)];
            m.push(label.len() as u8);
            m.extend_from_slice(label);
        }
        m.push(0);
        m.extend_from_slice(&TYPE_PTR.to_be_bytes());
        m.extend_from_slice(&1u16.to_be_bytes()); // class IN
    }
    m
}

/// Why a datagram is not an mDNS message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MdnsError {
    #[error("mDNS message shorter than its 12-byte header")]
    Short,
    #[error("a DNS query, not a response")]
    Query,
}

/// A domain name as its labels (each as UTF-8, invalid bytes replaced).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Name(pub Vec<String>);

impl Name {
    /// The name with its labels joined by dots (a dot inside a label is kept as it is: instance
    /// names are for people).
    pub fn dotted(&self) -> String {
        self.0.join(".")
    }

    /// Equal ignoring ASCII case (DNS names compare so, RFC 4343).
    pub fn same(&self, other: &Name) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }

    /// `self` without a trailing `local` label.
    fn without_local(&self) -> &[String] {
        match self.0.split_last() {
            Some((last, rest)) if last.eq_ignore_ascii_case("local") => rest,
            _ => &self.0,
        }
    }
}

/// One resource record's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Ptr(Name),
    Srv {
        port: u16,
        target: Name,
    },
    /// The character-strings of a TXT record, as sent.
    Txt(Vec<Vec<u8>>),
    /// Any other type, skipped.
    Other(u16),
}

/// One resource record (answer, authority or additional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: Name,
    pub ttl: u32,
    pub data: Data,
}

/// One response datagram.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub id: u16,
    /// TC: the responder has more answers in following packets (RFC 6762 §18.5).
    pub truncated: bool,
    /// The datagram ended (or held garbage) before the records its header announced.
    pub cut: bool,
    pub records: Vec<Record>,
}

/// Parse a response datagram. Questions are skipped; records up to the first malformed one are
/// kept (`cut` says one was).
pub fn parse(bytes: &[u8]) -> Result<Message, MdnsError> {
    if bytes.len() < 12 {
        return Err(MdnsError::Short);
    }
    let word = |i: usize| u16::from_be_bytes([bytes[i], bytes[i + 1]]);
    let flags = word(2);
    if flags & 0x8000 == 0 {
        return Err(MdnsError::Query);
    }
    let mut msg = Message {
        id: word(0),
        truncated: flags & 0x0200 != 0,
        ..Default::default()
    };
    let questions = word(4);
    let records = usize::from(word(6)) + usize::from(word(8)) + usize::from(word(10));
    let mut pos = 12;
    for _ in 0..questions {
        match read_name(bytes, pos) {
            Some((_, end)) if end + 4 <= bytes.len() => pos = end + 4,
            _ => {
                msg.cut = true;
                return Ok(msg);
            }
        }
    }
    for _ in 0..records.min(MAX_RECORDS) {
        match read_record(bytes, pos) {
            Some((r, end)) => {
                msg.records.push(r);
                pos = end;
            }
            None => {
                msg.cut = true;
                break;
            }
        }
    }
    Ok(msg)
}

/// The record at `pos` and where the next one starts.
fn read_record(b: &[u8], pos: usize) -> Option<(Record, usize)> {
    let (name, p) = read_name(b, pos)?;
    let head = b.get(p..p + 10)?;
    let rtype = u16::from_be_bytes([head[0], head[1]]);
    let ttl = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    let len = usize::from(u16::from_be_bytes([head[8], head[9]]));
    let start = p + 10;
    let end = start.checked_add(len)?;
    let rdata = b.get(start..end)?;
    let data = match rtype {
        TYPE_A => Data::A(Ipv4Addr::from(<[u8; 4]>::try_from(rdata).ok()?)),
        TYPE_AAAA => Data::Aaaa(Ipv6Addr::from(<[u8; 16]>::try_from(rdata).ok()?)),
        TYPE_PTR => {
            let (target, used) = read_name(b, start)?;
            (used <= end).then_some(())?;
            Data::Ptr(target)
        }
        TYPE_SRV => {
            let port = u16::from_be_bytes([*rdata.get(4)?, *rdata.get(5)?]);
            let (target, used) = read_name(b, start + 6)?;
            (used <= end).then_some(())?;
            Data::Srv { port, target }
        }
        TYPE_TXT => {
            let mut strings = Vec::new();
            let mut i = 0;
            while i < rdata.len() && strings.len() < MAX_TXT {
                let n = usize::from(rdata[i]);
                let s = rdata.get(i + 1..i + 1 + n)?;
                if !s.is_empty() {
                    strings.push(s.to_vec());
                }
                i += 1 + n;
            }
            Data::Txt(strings)
        }
        other => Data::Other(other),
    };
    Some((Record { name, ttl, data }, end))
}

/// The (possibly compressed) name at `pos`, and where the bytes after it start (after the first
/// pointer, if any). A pointer must point before the start of the labels that led to it, so each
/// jump goes strictly backwards and the walk ends; the name is at most [`MAX_NAME`] bytes.
fn read_name(b: &[u8], pos: usize) -> Option<(Name, usize)> {
    let mut labels = Vec::new();
    let mut wire = 0usize;
    let mut at = pos;
    let mut floor = pos; // a pointer must go below this
    let mut after = None;
    loop {
        let len = *b.get(at)?;
        match len & 0xC0 {
            0x00 if len == 0 => {
                return Some((Name(labels), after.unwrap_or(at + 1)));
            }
            0x00 => {
                let n = usize::from(len);
                let label = b.get(at + 1..at + 1 + n)?;
                wire += 1 + n;
                if wire + 1 > MAX_NAME {
                    return None;
                }
                labels.push(String::from_utf8_lossy(label).into_owned());
                at += 1 + n;
            }
            0xC0 => {
                let low = *b.get(at + 1)?;
                let target = usize::from(u16::from_be_bytes([len & 0x3F, low]));
                if target >= floor {
                    return None; // forwards or onto itself: a loop, or not a name we have read
                }
                after.get_or_insert(at + 2);
                floor = target;
                at = target;
            }
            // 0x40 and 0x80: extended and reserved label types (RFC 6891 §5), not in mDNS.
            _ => return None,
        }
    }
}

/// One service instance a device announced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    /// `_axis-video._tcp`.
    pub service: String,
    /// The instance label, often the name the user gave the device (`Front Door`).
    pub instance: String,
    /// The SRV target, a `.local` host name.
    pub host: Option<String>,
    pub port: Option<u16>,
    /// TXT key=value pairs: keys as sent (the first of each key, compared without case, wins:
    /// RFC 6763 §6.4), a key without `=` has an empty value.
    pub txt: BTreeMap<String, String>,
    /// The host name's IPv4 address, when the message carried its A record.
    pub address: Option<Ipv4Addr>,
}

impl Service {
    /// A TXT value by key, ignoring case.
    pub fn txt(&self, key: &str) -> Option<&str> {
        self.txt
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// What one or more response messages of one device say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Services {
    /// Service types listed under `_services._dns-sd._udp` (`_http._tcp`), sorted.
    pub types: Vec<String>,
    /// Instances, in the order of their first record.
    pub services: Vec<Service>,
    /// Host names whose A record is the given address (the device's own `.local` names).
    pub hosts: Vec<String>,
}

/// Assemble the services `records` describe, and the host names with address `sender` (its A
/// record, or its AAAA record for an IPv6 sender).
pub fn services(records: &[Record], sender: std::net::IpAddr) -> Services {
    let mut out = Services::default();
    // The instance a record's owner name is, if it is `<instance>.<_service>.<_proto>.local`.
    let instance_of = |name: &Name| -> Option<(String, String)> {
        let l = name.without_local();
        if l.len() < 3 {
            return None;
        }
        let (proto, service) = (&l[l.len() - 1], &l[l.len() - 2]);
        if !proto.eq_ignore_ascii_case("_tcp") && !proto.eq_ignore_ascii_case("_udp") {
            return None;
        }
        if !service.starts_with('_') || l[..l.len() - 2].iter().any(|x| x == "_sub") {
            return None;
        }
        // An instance label may hold dots; it is every label before the service type.
        let instance = l[..l.len() - 2].join(".");
        Some((instance, format!("{service}.{proto}").to_ascii_lowercase()))
    };
    let entry = |out: &mut Services, name: &Name| -> Option<usize> {
        let (instance, service) = instance_of(name)?;
        if let Some(i) = out
            .services
            .iter()
            .position(|s| s.service == service && s.instance.eq_ignore_ascii_case(&instance))
        {
            return Some(i);
        }
        if out.services.len() >= MAX_RECORDS {
            return None;
        }
        out.services.push(Service {
            service,
            instance,
            ..Default::default()
        });
        Some(out.services.len() - 1)
    };
    for r in records {
        match &r.data {
            Data::Ptr(target) => {
                let owner = r.name.without_local().join(".");
                if owner.eq_ignore_ascii_case(META_QUERY) {
                    let t = target.without_local().join(".").to_ascii_lowercase();
                    if t.starts_with('_') && !out.types.contains(&t) && out.types.len() < MAX_TXT {
                        out.types.push(t);
                    }
                } else {
                    entry(&mut out, target);
                }
            }
            Data::Srv { port, target } => {
                if let Some(i) = entry(&mut out, &r.name) {
                    let s = &mut out.services[i];
                    s.port.get_or_insert(*port);
                    s.host.get_or_insert_with(|| target.dotted());
                }
            }
            Data::Txt(strings) => {
                if let Some(i) = entry(&mut out, &r.name) {
                    let s = &mut out.services[i];
                    if s.txt.is_empty() {
                        s.txt = txt_pairs(strings);
                    }
                }
            }
            _ => {}
        }
    }
    for r in records {
        if let Data::A(ip) = r.data {
            let host = r.name.dotted();
            for s in &mut out.services {
                if s.address.is_none()
                    && s.host
                        .as_deref()
                        .is_some_and(|h| h.eq_ignore_ascii_case(&host))
                {
                    s.address = Some(ip);
                }
            }
            if std::net::IpAddr::V4(ip) == sender
                && !out.hosts.iter().any(|h| h.eq_ignore_ascii_case(&host))
            {
                out.hosts.push(host);
            }
        } else if let Data::Aaaa(ip) = r.data {
            let host = r.name.dotted();
            if std::net::IpAddr::V6(ip) == sender
                && !out.hosts.iter().any(|h| h.eq_ignore_ascii_case(&host))
            {
                out.hosts.push(host);
            }
        }
    }
    out.types.sort();
    out
}

/// TXT strings as key=value pairs (RFC 6763 §6.3-6.5): the first of each key wins, keys compare
/// without case, a string starting with `=` (no key) is ignored.
pub fn txt_pairs(strings: &[Vec<u8>]) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for s in strings {
        let s = String::from_utf8_lossy(s);
        let (key, value) = s.split_once('=').unwrap_or((&s, ""));
        if key.is_empty() || map.keys().any(|k| k.eq_ignore_ascii_case(key)) {
            continue;
        }
        map.insert(key.to_string(), value.chars().take(MAX_VALUE).collect());
    }
    map
}

/// HomeKit accessory categories of video devices (HAP §13 "Accessory Categories": 17 IP camera,
/// 18 video doorbell).
const HAP_VIDEO_CATEGORIES: &[&str] = &["17", "18"];

/// Words in an instance name or TXT value that mark a web interface as a camera's or recorder's.
const CAMERA_WORDS: &[&str] = &[
    "camera", "webcam", "ipcam", "netcam", "nvr", "dvr", "doorbell", "axis",
];

/// Whether `s` is a camera's (or video recorder's) service: the camera service types, a HomeKit
/// camera or doorbell, or a web interface whose instance name or TXT says camera (or names a
/// camera maker, by `is_camera_maker`).
pub fn is_camera_service(s: &Service, is_camera_maker: impl Fn(&str) -> bool) -> bool {
    match s.service.as_str() {
        "_axis-video._tcp" | "_axis-nvr._tcp" | "_rtsp._tcp" | "_arec._tcp" => true,
        "_hap._tcp" => s
            .txt("ci")
            .is_some_and(|c| HAP_VIDEO_CATEGORIES.contains(&c)),
        _ => {
            let marks = |text: &str| {
                let t = text.to_ascii_lowercase();
                CAMERA_WORDS.iter().any(|w| t.contains(w))
                    || t.split(|c: char| !c.is_ascii_alphanumeric())
                        .any(|w| !w.is_empty() && is_camera_maker(w))
            };
            marks(&s.instance) || s.txt("macaddress").is_some() || s.txt.values().any(|v| marks(v))
        }
    }
}

/// The MAC a TXT record names (Axis `macaddress=ACCC8E0A1B2C`), as `aa:bb:cc:dd:ee:ff`.
pub fn mac(s: &Service) -> Option<String> {
    let v = s.txt("macaddress")?;
    let hex: String = v.chars().filter(|c| *c != ':' && *c != '-').collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    Some(
        (0..6)
            .map(|i| &hex[i * 2..i * 2 + 2])
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// The model a TXT record names (`md`, HomeKit; `model`).
pub fn model(s: &Service) -> Option<&str> {
    ["md", "model"]
        .iter()
        .find_map(|k| s.txt(k))
        .filter(|m| !m.trim().is_empty())
}

/// The stream path an `_rtsp._tcp` TXT record names (`path=/axis-media/media.amp`), with a
/// leading `/`.
pub fn rtsp_path(s: &Service) -> Option<String> {
    if s.service != "_rtsp._tcp" {
        return None;
    }
    let p = s.txt("path")?.trim();
    if p.is_empty() || p.chars().any(|c| c.is_control() || c == ' ') {
        return None;
    }
    Some(if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response builder for the tests: names written out (or as pointers), records appended.
    struct Msg(Vec<u8>);

    impl Msg {
        fn new(answers: u16) -> Msg {
            let mut m = vec![0, 0, 0x84, 0, 0, 0];
            m.extend_from_slice(&answers.to_be_bytes());
            m.extend_from_slice(&[0, 0, 0, 0]);
            Msg(m)
        }
        fn name(&mut self, name: &str) -> usize {
            let at = self.0.len();
            for l in name.split('.') {
                self.0.push(l.len() as u8);
                self.0.extend_from_slice(l.as_bytes());
            }
            self.0.push(0);
            at
        }
        fn record(&mut self, owner: &[u8], rtype: u16, rdata: &[u8]) {
            self.0.extend_from_slice(owner);
            self.0.extend_from_slice(&rtype.to_be_bytes());
            self.0.extend_from_slice(&[0x80, 1, 0, 0, 0x11, 0x94]);
            self.0
                .extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            self.0.extend_from_slice(rdata);
        }
    }

    fn labels(name: &str) -> Vec<u8> {
        let mut v = Vec::new();
        for l in name.split('.') {
            v.push(l.len() as u8);
            v.extend_from_slice(l.as_bytes());
        }
        v.push(0);
        v
    }

    fn ptr(at: usize) -> [u8; 2] {
        [0xC0 | (at >> 8) as u8, at as u8]
    }

    #[test]
    fn query_asks_one_ptr_question_per_type() {
        let q = query(0x1234, &["_rtsp._tcp", "_services._dns-sd._udp"]);
        assert_eq!(&q[..12], &[0x12, 0x34, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0]);
        let first = [&labels("_rtsp._tcp.local")[..], &[0, 12, 0, 1]].concat();
        assert_eq!(&q[12..12 + first.len()], &first[..]);
        assert!(
            q.ends_with(&[&labels("_services._dns-sd._udp.local")[..], &[0, 12, 0, 1]].concat())
        );
        assert_eq!(parse(&q), Err(MdnsError::Query));
    }

    /// An Axis-style answer, compressed as Avahi compresses: PTR, SRV, TXT and A, with every
    /// name after the first a pointer into an earlier one.
    #[test]
    fn axis_style_answer_with_compression() {
        let mut m = Msg::new(4);
        let svc = m.name("_axis-video._tcp.local");
        let mut inst = labels("AXIS M3045-V - ACCC8E0A1B2C");
        inst.truncate(inst.len() - 1);
        let inst_at = m.0.len() + 10; // where the PTR's rdata starts
        m.record(&[], TYPE_PTR, &[&inst[..], &ptr(svc)].concat());
        let host_at = m.0.len() + 2 + 10 + 6;
        let mut srv = vec![0, 0, 0, 0, 0, 80];
        srv.extend_from_slice(&labels("axis-accc8e0a1b2c.local"));
        m.record(&ptr(inst_at), TYPE_SRV, &srv);
        let mut txt = Vec::new();
        for s in [
            "macaddress=ACCC8E0A1B2C",
            "model=M3045-V",
            "MacAddress=0000",
            "=x",
            "flag",
        ] {
            txt.push(s.len() as u8);
            txt.extend_from_slice(s.as_bytes());
        }
        m.record(&ptr(inst_at), TYPE_TXT, &txt);
        m.record(&ptr(host_at), TYPE_A, &[198, 18, 0, 11]);
        let msg = parse(&m.0).unwrap();
        assert!(!msg.cut && !msg.truncated, "{msg:?}");
        assert_eq!(msg.records.len(), 4);
        let found = services(&msg.records, Ipv4Addr::new(198, 18, 0, 11).into());
        assert_eq!(found.hosts, ["axis-accc8e0a1b2c.local"]);
        let s = &found.services[0];
        assert_eq!(s.service, "_axis-video._tcp");
        assert_eq!(s.instance, "AXIS M3045-V - ACCC8E0A1B2C");
        assert_eq!(s.host.as_deref(), Some("axis-accc8e0a1b2c.local"));
        assert_eq!(s.port, Some(80));
        assert_eq!(s.address, Some(Ipv4Addr::new(198, 18, 0, 11)));
        assert_eq!(s.txt("MACADDRESS"), Some("ACCC8E0A1B2C"), "first key wins");
        assert_eq!(s.txt("flag"), Some(""));
        assert_eq!(s.txt.len(), 3, "{:?}", s.txt);
        assert_eq!(mac(s).as_deref(), Some("ac:cc:8e:0a:1b:2c"));
        assert_eq!(model(s), Some("M3045-V"));
        assert!(is_camera_service(s, |_| false));
    }

    /// Debian's avahi-daemon 0.8 (tests/lab/responders/avahi_device.py with
    /// avahi/axis-camera.service), answering camscan's query in the namespace lab: the legacy
    /// unicast answer (RFC 6762 §6.7: our ID, the questions repeated, TTL 10, every record in the
    /// answer section, compressed) and the host records it multicast meanwhile (ID 0, no
    /// questions: its A and AAAA and their reverse-lookup PTRs, `11.0.18.198.in-addr.arpa`).
    #[test]
    fn avahi_axis_answers() {
        let sender = Ipv4Addr::new(198, 18, 0, 11);
        let unicast = parse(include_bytes!(
            "../../../tests/fixtures/mdns/avahi-0.8-axis-unicast.bin"
        ))
        .unwrap();
        assert_eq!(unicast.id, 0x1234);
        assert!(!unicast.cut && !unicast.truncated);
        assert!(unicast.records.iter().all(|r| r.ttl == 10));
        let found = services(&unicast.records, sender.into());
        assert_eq!(found.hosts, ["axis-accc8e0a1b2c.local"]);
        assert_eq!(found.types, ["_axis-video._tcp", "_rtsp._tcp"]);
        let mut kinds: Vec<(&str, Option<u16>)> = found
            .services
            .iter()
            .map(|s| (s.service.as_str(), s.port))
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            [("_axis-video._tcp", Some(80)), ("_rtsp._tcp", Some(8554))]
        );
        assert!(
            found
                .services
                .iter()
                .all(|s| s.instance == "AXIS M3045-V - ACCC8E0A1B2C"
                    && s.host.as_deref() == Some("axis-accc8e0a1b2c.local")
                    && s.address == Some(sender))
        );
        assert!(
            found
                .services
                .iter()
                .any(|s| mac(s).as_deref() == Some("ac:cc:8e:0a:1b:2c"))
        );
        assert!(
            found
                .services
                .iter()
                .any(|s| rtsp_path(s).as_deref() == Some("/lab/announced-by-mdns"))
        );
        let multicast = parse(include_bytes!(
            "../../../tests/fixtures/mdns/avahi-0.8-axis-multicast.bin"
        ))
        .unwrap();
        assert_eq!(multicast.id, 0);
        let found = services(&multicast.records, sender.into());
        assert_eq!(found.hosts, ["axis-accc8e0a1b2c.local"]);
        assert!(
            found.services.is_empty() && found.types.is_empty(),
            "reverse-lookup PTRs are not services: {found:?}"
        );
    }

    #[test]
    fn rtsp_path_meta_query_and_http_filter() {
        let mut m = Msg::new(4);
        let mut srv = vec![0, 0, 0, 0, 0x22, 0x2a];
        srv.extend_from_slice(&labels("cam.local"));
        m.record(&labels("Porch._rtsp._tcp.local"), TYPE_SRV, &srv);
        m.record(
            &labels("Porch._rtsp._tcp.local"),
            TYPE_TXT,
            b"\x0epath=live/main",
        );
        m.record(
            &labels("_services._dns-sd._udp.local"),
            TYPE_PTR,
            &labels("_rtsp._tcp.local"),
        );
        m.record(
            &labels("_services._dns-sd._udp.local"),
            TYPE_PTR,
            &labels("_http._tcp.local"),
        );
        let msg = parse(&m.0).unwrap();
        let found = services(&msg.records, Ipv4Addr::new(198, 18, 0, 12).into());
        assert_eq!(found.types, ["_http._tcp", "_rtsp._tcp"]);
        assert!(asked("_RTSP._tcp") && !asked("_ipp._tcp") && !asked(META_QUERY));
        let s = &found.services[0];
        assert_eq!((s.port, s.address), (Some(8746), None));
        assert_eq!(rtsp_path(s).as_deref(), Some("/live/main"));
        let printer = Service {
            service: "_http._tcp".into(),
            instance: "Brother HL-L2350DW".into(),
            ..Default::default()
        };
        assert!(!is_camera_service(&printer, |_| false));
        let cam = Service {
            instance: "Garage Camera".into(),
            ..printer.clone()
        };
        assert!(is_camera_service(&cam, |_| false));
        let hik = Service {
            instance: "HIKVISION DS-2CD2143".into(),
            ..printer
        };
        assert!(is_camera_service(&hik, |m| m.eq_ignore_ascii_case("hikvision")));
        let bulb = Service {
            service: "_hap._tcp".into(),
            txt: txt_pairs(&[b"ci=5".to_vec()]),
            ..Default::default()
        };
        assert!(!is_camera_service(&bulb, |_| false));
    }

    #[test]
    fn pointer_loops_and_forward_pointers_are_refused() {
        // A name that points at itself, and one that points forwards.
        for rdata in [&[0xC0u8, 12][..], &[0xC0, 40]] {
            let mut m = Msg::new(1);
            m.0.extend_from_slice(rdata);
            m.0.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
            let msg = parse(&m.0).unwrap();
            assert!(msg.cut && msg.records.is_empty(), "{msg:?}");
        }
        // Two names pointing at each other: the second jump goes forwards, refused.
        let mut m = Msg::new(1);
        m.0.extend_from_slice(&[1, b'a', 0xC0, 16, 1, b'b', 0xC0, 12]);
        assert!(read_name(&m.0, 16).is_none());
        assert!(read_name(&m.0, 12).is_none());
    }

    #[test]
    fn truncation_and_limits() {
        let mut m = Msg::new(2);
        m.record(&labels("cam.local"), TYPE_A, &[198, 18, 0, 11]);
        m.record(&labels("cam.local"), TYPE_A, &[198, 18, 0, 12]);
        let full = parse(&m.0).unwrap();
        assert_eq!(full.records.len(), 2);
        for cut in 0..m.0.len() {
            match parse(&m.0[..cut]) {
                Err(MdnsError::Short) => assert!(cut < 12),
                Ok(msg) => {
                    assert!(msg.records.len() < 2);
                    assert!(msg.cut);
                }
                Err(e) => panic!("{e}"),
            }
        }
        m.0[2] |= 0x02;
        assert!(parse(&m.0).unwrap().truncated);
        // A name longer than 255 bytes.
        let mut long = Msg::new(1);
        for _ in 0..5 {
            long.0.push(63);
            long.0.extend_from_slice(&[b'x'; 63]);
        }
        long.0.push(0);
        long.0
            .extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
        assert!(parse(&long.0).unwrap().records.is_empty());
        // A header that claims 65535 records of a 12-byte message.
        let lie = [0, 0, 0x84, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        let msg = parse(&lie).unwrap();
        assert!(msg.cut && msg.records.is_empty());
    }
}
