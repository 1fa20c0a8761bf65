//! The device registry: the one owner of scan results. Stages send [`Event`]s; the registry merges them
//! into one [`Device`] per IP, then into one per box (by MAC, serial, ONVIF endpoint or UPnP UDN),
//! and hands the exporters a deterministic, sorted view. Identity fields keep the value from the most
//! trustworthy source whatever order stages answer in. No I/O here.
//!
//! Each device's final MAC, whichever stage told it (ARP, ONVIF scopes, SADP/DHIP), is looked up
//! once with the [`MacLookup`] the registry was given (the scan gives `discovery::camera_macs::facts`: the
//! embedded IEEE registry): the organisation, whether the MAC is randomised, and the camera vendor
//! as the least trusted source of `vendor`. A function handed in, so the registry stays on `model`.

mod boxes;
pub use boxes::SHARED_MAC_MIN;
use boxes::normal_mac;
mod event;
mod finish;
mod names;

pub use event::Event;
pub use names::{NameRules, name_rank};

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

use finish::{finish, mark_played_channels, set_nvr_channels};
use model::is_real_serial;
use model::{
    Announcement, Device, DiscoveryMethod, MdnsInfo, NameKind, OnvifInfo, Protocol, Service,
    UpnpInfo,
};
use names::{add_name, drop_placeholder_names, fill_vendor, serial_from_mac, sort_names};

#[derive(Debug, Default)]
pub struct Registry {
    devices: BTreeMap<IpAddr, Device>,
    hostnames: BTreeMap<IpAddr, String>,
    /// How trustworthy each identity field's current value is, per device.
    trust: BTreeMap<IpAddr, Trust>,
    /// Who made a MAC's network card; none: `mac_vendor` and `mac_randomized` are left as they are.
    mac_lookup: Option<MacLookup>,
    /// How makers are spelled and which names are factory defaults; none: taken as sent.
    rules: Option<NameRules>,
    /// The interface of a link-local address, as the scan learned it; none: no `zone` is set.
    zone_lookup: Option<ZoneLookup>,
    /// The MACs shared by many addresses, as last worked out; emptied by every event.
    shared: std::sync::Mutex<Option<std::sync::Arc<HashSet<String>>>>,
}

/// Names the zone (`eth0`) a link-local address was learned on.
pub type ZoneLookup = fn(IpAddr) -> Option<String>;

/// What a MAC says about its maker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MacFacts {
    /// The IEEE registry's organisation for the MAC's prefix.
    pub organisation: Option<&'static str>,
    /// The locally administered bit is set (randomised): no maker.
    pub randomized: bool,
    /// The camera vendor's name, when the prefix is a camera maker's.
    pub vendor: Option<&'static str>,
}

/// Looks up a MAC (as a device's `mac` spells it).
pub type MacLookup = fn(&str) -> MacFacts;

/// Where an identity fact came from, least trustworthy first: a value is replaced only by one from
/// an equal or better source, so the result does not depend on which stage answered first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    #[default]
    None,
    /// The MAC's OUI: a guess about the network card's maker.
    Oui,
    /// A UPnP description: often a generic SoC vendor's text.
    Upnp,
    /// An mDNS TXT record (HomeKit `md`): what the device's firmware publishes.
    Mdns,
    /// A signature of the device's web server (HTTP fingerprint).
    Fingerprint,
    /// ONVIF WS-Discovery scopes: set by the vendor, sometimes stale or OEM-generic.
    OnvifScopes,
    /// The vendor's own discovery protocol (SADP, DHIP).
    Announce,
    /// The device's management API (ONVIF GetDeviceInformation).
    DeviceApi,
}

/// The source of each identity field of one device.
#[derive(Debug, Clone, Copy, Default)]
struct Trust {
    vendor: Source,
    model: Source,
    firmware: Source,
    serial: Source,
}

/// Put `value` into `slot` if it says something and its source is at least as good as the current one.
fn fill(slot: &mut Option<String>, trust: &mut Source, value: Option<String>, source: Source) {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return;
    };
    if slot.is_none() || source >= *trust {
        *slot = Some(value);
        *trust = source;
    }
}

/// Like [`fill`], but a placeholder serial (`000000`) never replaces a real one.
fn fill_serial(
    slot: &mut Option<String>,
    trust: &mut Source,
    value: Option<String>,
    source: Source,
) {
    let placeholder = value.as_deref().is_some_and(|v| !is_real_serial(v.trim()));
    if placeholder && slot.as_deref().is_some_and(|v| is_real_serial(v.trim())) {
        return;
    }
    fill(slot, trust, value, source);
}

fn seen_by(d: &mut Device, method: DiscoveryMethod) {
    if !d.discovered_by.contains(&method) {
        d.discovered_by.push(method);
    }
}

impl Registry {
    /// `hostnames`: names the user typed, by address, to show on their devices.
    pub fn new(hostnames: BTreeMap<IpAddr, String>) -> Self {
        Registry {
            devices: BTreeMap::new(),
            hostnames,
            trust: BTreeMap::new(),
            mac_lookup: None,
            rules: None,
            zone_lookup: None,
            shared: Default::default(),
        }
    }

    /// Name each device's link-local zone with `lookup` when rendering (the scan gives the
    /// zones its targets and neighbour discovery learned).
    pub fn with_zone_lookup(mut self, lookup: ZoneLookup) -> Self {
        self.zone_lookup = Some(lookup);
        self
    }

    /// Spell makers and drop factory-default names with `rules` ([`NameRules`]).
    pub fn with_name_rules(mut self, rules: NameRules) -> Self {
        self.rules = Some(rules);
        self
    }

    /// Name each device's MAC maker with `lookup` when rendering.
    pub fn with_mac_lookup(mut self, lookup: MacLookup) -> Self {
        self.mac_lookup = Some(lookup);
        self
    }

    fn device_and_trust(&mut self, ip: IpAddr) -> (&mut Device, &mut Trust) {
        let t = self.trust.entry(ip).or_default();
        let hostnames = &self.hostnames;
        let d = self.devices.entry(ip).or_insert_with(|| {
            let mut d = Device::new(ip);
            if let Some(h) = hostnames.get(&ip) {
                add_name(&mut d, h, NameKind::Host, "user");
            }
            d
        });
        (d, t)
    }

    fn device(&mut self, ip: IpAddr) -> &mut Device {
        self.device_and_trust(ip).0
    }

    /// A failure on `ip`'s device, once: the same answer met on several paths is one error.
    fn failure(&mut self, ip: IpAddr, failure: model::Failure) {
        let errors = &mut self.device(ip).errors;
        if !errors.contains(&failure) {
            tracing::debug!(%ip, stage = ?failure.stage, port = ?failure.port, message = %failure.message, "failure");
            errors.push(failure);
        }
    }

    /// Merge one piece of evidence into its device: each identity field from its most trustworthy
    /// source (`Source`), names with their sources, streams and services by their keys.
    pub fn apply(&mut self, event: Event) {
        *self.shared.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
        match event {
            Event::PortOpen { ip, port } => {
                let d = self.device(ip);
                if !d.open_ports.contains(&port) {
                    d.open_ports.push(port);
                }
                seen_by(d, DiscoveryMethod::Port);
            }
            Event::Host {
                ip,
                method,
                mac,
                vendor,
            } => self.host(ip, method, mac, vendor),
            Event::Identity {
                ip,
                vendor,
                model,
                firmware,
                serial,
            } => self.identity(ip, (vendor, model, firmware, serial)),
            Event::Upnp {
                ip,
                info,
                is_camera,
            } => self.upnp(ip, *info, is_camera),
            Event::Onvif {
                ip,
                info,
                name,
                model,
                vendor,
                mac,
                is_camera,
            } => self.onvif(ip, *info, (name, model, vendor, mac), is_camera),
            Event::ArpConflict { ip, macs } => {
                let d = self.device(ip);
                for m in macs {
                    if !d.arp_conflict.contains(&m) {
                        d.arp_conflict.push(m);
                    }
                }
            }
            Event::OnvifProfiles {
                ip,
                profiles,
                clock_offset_s,
                unauthenticated,
            } => {
                let d = self.device(ip);
                let o = d.onvif.get_or_insert_with(OnvifInfo::default);
                o.profiles = profiles;
                o.clock_offset_s = clock_offset_s;
                o.unauthenticated = unauthenticated;
            }
            Event::Capabilities { ip, capabilities } => {
                self.device(ip).capabilities.merge(*capabilities);
            }
            Event::NvrChannels { ip, channels } => set_nvr_channels(self.device(ip), channels),
            Event::Login { ip, login } => self.login(ip, login),
            Event::Fingerprint {
                ip,
                port,
                vendor,
                model,
                is_camera,
                evidence,
            } => self.fingerprint(ip, port, (vendor, model), is_camera, evidence),
            Event::Announce {
                ip,
                method,
                info,
                vendor,
                is_camera,
            } => self.announce(ip, method, *info, vendor, is_camera),
            Event::Service { ip, service } => self.service(ip, service),
            Event::Stream { ip, stream } => {
                let d = self.device(ip);
                match d.streams.iter_mut().find(|s| s.url == stream.url) {
                    Some(existing) => *existing = *stream,
                    None => d.streams.push(*stream),
                }
                mark_played_channels(d);
            }
            Event::Mdns {
                ip,
                info,
                mac,
                model,
                is_camera,
            } => self.mdns(ip, *info, (mac, model), is_camera),
            Event::Name { ip, name } => {
                add_name(self.device(ip), &name.name, name.kind, &name.source);
            }
            Event::Failure { ip, failure } => self.failure(ip, failure),
            Event::Misaddressed {
                ip,
                method,
                sighting,
                mac,
            } => self.misaddressed(ip, method, *sighting, mac),
        }
    }

    /// A host that answered (ARP, a ping, a discovery protocol): its MAC, the maker its prefix
    /// names (the least trusted source).
    fn host(
        &mut self,
        ip: IpAddr,
        method: DiscoveryMethod,
        mac: Option<String>,
        vendor: Option<String>,
    ) {
        let rules = self.rules;
        let (d, t) = self.device_and_trust(ip);
        // A MAC seen on the wire beats one a device claims.
        if mac.is_some() {
            d.mac = mac;
        }
        fill_vendor(d, &mut t.vendor, vendor, Source::Oui, rules);
        seen_by(d, method);
    }

    /// What a device API said of the device: vendor, model, firmware and serial.
    fn identity(
        &mut self,
        ip: IpAddr,
        said: (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        ),
    ) {
        let (vendor, model, firmware, serial) = said;
        let rules = self.rules;
        let (d, t) = self.device_and_trust(ip);
        let s = Source::DeviceApi;
        fill_vendor(d, &mut t.vendor, vendor, s, rules);
        fill(&mut d.model, &mut t.model, model, s);
        fill(&mut d.firmware, &mut t.firmware, firmware, s);
        fill_serial(&mut d.serial, &mut t.serial, serial, s);
    }

    /// A login that worked (or was refused), once, in a stable order.
    fn login(&mut self, ip: IpAddr, login: model::ServiceLogin) {
        let d = self.device(ip);
        if !d.logins.contains(&login) {
            d.logins.push(login);
            d.logins.sort_by(|a, b| {
                (&a.service, &a.what, &a.username).cmp(&(&b.service, &b.what, &b.username))
            });
        }
    }

    /// An mDNS answer: its facts, the MAC and model it names.
    fn mdns(
        &mut self,
        ip: IpAddr,
        info: MdnsInfo,
        (mac, model): (Option<String>, Option<String>),
        is_camera: bool,
    ) {
        let (d, t) = self.device_and_trust(ip);
        fill(&mut d.model, &mut t.model, model, Source::Mdns);
        if d.mac.is_none() {
            d.mac = mac;
        }
        d.is_camera |= is_camera;
        seen_by(d, DiscoveryMethod::Mdns);
        merge_mdns(d.mdns.get_or_insert_with(MdnsInfo::default), info);
    }

    /// A device heard with an address outside every attached subnet.
    fn misaddressed(
        &mut self,
        ip: IpAddr,
        method: DiscoveryMethod,
        sighting: model::Misaddressed,
        mac: Option<String>,
    ) {
        let d = self.device(ip);
        match &mut d.misaddressed {
            Some(m) => m.merge(sighting),
            None => d.misaddressed = Some(sighting),
        }
        if mac.is_some() && (d.mac.is_none() || method == DiscoveryMethod::Arp) {
            d.mac = mac;
        }
        seen_by(d, method);
    }

    /// An SSDP answer and its UPnP description.
    fn upnp(&mut self, ip: IpAddr, info: UpnpInfo, is_camera: bool) {
        let rules = self.rules;
        let (d, t) = self.device_and_trust(ip);
        let s = Source::Upnp;
        if let Some(n) = &info.friendly_name {
            add_name(d, n, NameKind::Label, "ssdp");
        }
        fill_vendor(d, &mut t.vendor, info.manufacturer.clone(), s, rules);
        fill(&mut d.model, &mut t.model, info.model_name.clone(), s);
        fill_serial(&mut d.serial, &mut t.serial, info.serial_number.clone(), s);
        d.is_camera |= is_camera;
        seen_by(d, DiscoveryMethod::Ssdp);
        d.upnp = Some(info);
    }

    /// What a port's fingerprint says (vendor, model), and its evidence lines.
    /// A WS-Discovery ProbeMatch: names, model, maker and MAC from its scopes, and the match
    /// itself (what the device API told, if it answered first, kept).
    fn onvif(
        &mut self,
        ip: IpAddr,
        info: OnvifInfo,
        (name, model, vendor, mac): (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        ),
        is_camera: bool,
    ) {
        let rules = self.rules;
        let (d, t) = self.device_and_trust(ip);
        let s = Source::OnvifScopes;
        if let Some(n) = &name {
            add_name(d, n, NameKind::Label, "onvif");
        }
        fill(&mut d.model, &mut t.model, model, s);
        fill_vendor(d, &mut t.vendor, vendor, s, rules);
        if d.mac.is_none() {
            d.mac = mac.map(|m| m.to_ascii_lowercase());
        }
        d.is_camera |= is_camera;
        seen_by(d, DiscoveryMethod::Onvif);
        let api = d.onvif.take().unwrap_or_default();
        d.onvif = Some(OnvifInfo {
            profiles: api.profiles,
            clock_offset_s: api.clock_offset_s,
            unauthenticated: api.unauthenticated,
            ..info
        });
    }

    fn fingerprint(
        &mut self,
        ip: IpAddr,
        port: u16,
        (vendor, model): (Option<String>, Option<String>),
        is_camera: bool,
        evidence: Vec<String>,
    ) {
        let rules = self.rules;
        let (d, t) = self.device_and_trust(ip);
        let s = Source::Fingerprint;
        fill_vendor(d, &mut t.vendor, vendor, s, rules);
        fill(&mut d.model, &mut t.model, model, s);
        d.is_camera |= is_camera;
        for e in evidence {
            let line = format!("port {port}: {e}");
            if !d.evidence.contains(&line) {
                d.evidence.push(line);
            }
        }
    }

    /// A vendor discovery protocol's answer (SADP, DHIP, DVRIP, Ubiquiti, ...).
    fn announce(
        &mut self,
        ip: IpAddr,
        method: DiscoveryMethod,
        info: Announcement,
        vendor: Option<String>,
        is_camera: bool,
    ) {
        let rules = self.rules;
        let (d, t) = self.device_and_trust(ip);
        let s = Source::Announce;
        fill_vendor(d, &mut t.vendor, vendor, s, rules);
        fill(&mut d.model, &mut t.model, info.model.clone(), s);
        fill(&mut d.firmware, &mut t.firmware, info.firmware.clone(), s);
        fill_serial(&mut d.serial, &mut t.serial, info.serial.clone(), s);
        if d.mac.is_none() {
            d.mac = info.mac.clone();
        }
        if info.channels.is_some() {
            d.channels = info.channels;
        }
        if let Some(n) = &info.name {
            add_name(d, n, NameKind::Label, &info.protocol);
        }
        d.is_camera |= is_camera;
        seen_by(d, method);
        if !d.announced.contains(&info) {
            d.announced.push(info);
        }
    }

    /// A service on a port, replacing what was known of the same port, protocol and transport.
    fn service(&mut self, ip: IpAddr, service: Service) {
        let d = self.device(ip);
        match d.services.iter_mut().find(|s| {
            (s.port, s.protocol, s.transport) == (service.port, service.protocol, service.transport)
        }) {
            Some(existing) => *existing = service,
            None => d.services.push(service),
        }
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// Every device, one per box, sorted by IP, with its lists sorted and `is_camera` decided.
    ///
    /// Addresses that are one box are merged into the lowest of them: the same MAC, the same ONVIF
    /// endpoint reference or UPnP UDN, or the same serial number. The others are listed in
    /// `addresses`; the lowest address keeps its identity fields and takes the others' where it has
    /// none.
    pub fn devices(&self) -> Vec<Device> {
        self.groups()
            .iter()
            .filter_map(|g| self.render(g))
            .collect()
    }

    /// The device of one group of [`Registry::groups`], as [`Registry::devices`] renders it.
    pub fn render(&self, group: &[IpAddr]) -> Option<Device> {
        let mut parts = group.iter().filter_map(|ip| self.devices.get(ip));
        let mut d = parts.next()?.clone();
        for other in parts {
            absorb(&mut d, other);
        }
        d.mac_shared = d
            .mac
            .as_deref()
            .is_some_and(|m| self.shared_mac_set().contains(normal_mac(m).as_str()));
        Some(finish(d, self.mac_lookup, self.rules, self.zone_lookup))
    }
}

/// Add what another answer (or address) said over mDNS: services by type and instance (a later
/// answer's facts fill what an earlier one left out), types once each; both lists sorted.
fn merge_mdns(into: &mut MdnsInfo, from: MdnsInfo) {
    for s in from.services {
        match into
            .services
            .iter_mut()
            .find(|x| x.service == s.service && x.instance == s.instance)
        {
            Some(x) => {
                x.host = x.host.take().or(s.host);
                x.port = x.port.or(s.port);
                if x.txt.is_empty() {
                    x.txt = s.txt;
                }
            }
            None => into.services.push(s),
        }
    }
    for t in from.types {
        if !into.types.contains(&t) {
            into.types.push(t);
        }
    }
    into.services
        .sort_by(|a, b| (&a.service, &a.instance).cmp(&(&b.service, &b.instance)));
    into.types.sort();
}

/// Merge `other` (another address of the same box) into `d`.
fn absorb(d: &mut Device, other: &Device) {
    if !d.addresses.contains(&other.ip) {
        d.addresses.push(other.ip);
    }
    for (slot, value) in [
        (&mut d.mac, &other.mac),
        (&mut d.hostname, &other.hostname),
        (&mut d.vendor, &other.vendor),
        (&mut d.model, &other.model),
        (&mut d.firmware, &other.firmware),
        (&mut d.serial, &other.serial),
        (&mut d.name, &other.name),
    ] {
        if slot.is_none() {
            slot.clone_from(value);
        }
    }
    d.is_camera |= other.is_camera;
    d.channels = d.channels.or(other.channels);
    for m in &other.discovered_by {
        seen_by(d, *m);
    }
    for p in &other.open_ports {
        if !d.open_ports.contains(p) {
            d.open_ports.push(*p);
        }
    }
    for s in &other.services {
        if !d
            .services
            .iter()
            .any(|x| (x.port, x.protocol, x.transport) == (s.port, s.protocol, s.transport))
        {
            d.services.push(s.clone());
        }
    }
    for s in &other.streams {
        if !d.streams.iter().any(|x| x.url == s.url) {
            d.streams.push(s.clone());
        }
    }
    d.errors.extend(other.errors.iter().cloned());
    for l in &other.logins {
        if !d.logins.contains(l) {
            d.logins.push(l.clone());
        }
    }
    if d.onvif.is_none() {
        d.onvif.clone_from(&other.onvif);
    }
    d.capabilities.merge(other.capabilities.clone());
    if d.upnp.is_none() {
        d.upnp.clone_from(&other.upnp);
    }
    if let Some(m) = &other.mdns {
        merge_mdns(d.mdns.get_or_insert_with(MdnsInfo::default), m.clone());
    }
    for e in &other.evidence {
        if !d.evidence.contains(e) {
            d.evidence.push(e.clone());
        }
    }
    for a in &other.announced {
        if !d.announced.contains(a) {
            d.announced.push(a.clone());
        }
    }
    for n in &other.names {
        if !d.names.contains(n) {
            d.names.push(n.clone());
        }
    }
    if let Some(m) = &other.misaddressed {
        match &mut d.misaddressed {
            Some(mine) => mine.merge(m.clone()),
            None => d.misaddressed = Some(m.clone()),
        }
    }
    if d.mac_vendor.is_none() {
        d.mac_vendor.clone_from(&other.mac_vendor);
        d.mac_randomized |= other.mac_randomized;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{AuthScheme, Stage, Transport};
    use model::{DeviceName, Failure, Stream};

    fn service(port: u16, protocol: Protocol) -> Service {
        Service {
            port,
            transport: Transport::Tcp,
            protocol,
            server: None,
            auth: AuthScheme::None,
            realm: None,
            methods: vec![],
            title: None,
            product: None,
            tls: None,
            note: None,
            offered: Vec::new(),
            certificate: None,
            tls_legacy: None,
            path_walk: None,
        }
    }

    #[test]
    fn merges_and_sorts_deterministically() {
        let a: IpAddr = "10.0.0.2".parse().unwrap();
        let b: IpAddr = "10.0.0.10".parse().unwrap();
        let mut names = BTreeMap::new();
        names.insert(b, "cam".to_string());
        let mut r = Registry::new(names);
        r.apply(Event::PortOpen { ip: b, port: 8554 });
        r.apply(Event::PortOpen { ip: b, port: 554 });
        r.apply(Event::PortOpen { ip: b, port: 554 });
        r.apply(Event::PortOpen { ip: a, port: 80 });
        r.apply(Event::Service {
            ip: a,
            service: service(80, Protocol::Http),
        });
        r.apply(Event::Service {
            ip: b,
            service: service(8554, Protocol::Rtsp),
        });
        for _ in 0..3 {
            // The same failure met three times (the ONVIF service asked on three paths) is one.
            r.apply(Event::Failure {
                ip: a,
                failure: Failure {
                    stage: Stage::Analyze,
                    port: Some(80),
                    message: "x".into(),
                },
            });
        }
        r.apply(Event::Stream {
            ip: b,
            stream: Box::new(Stream::new(
                "rtsp://10.0.0.10:8554/a".into(),
                Protocol::Rtsp,
                8554,
            )),
        });
        let d = r.devices();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].ip, a); // 10.0.0.2 before 10.0.0.10: by address, not by text
        assert!(!d[0].is_camera);
        assert_eq!(d[0].errors.len(), 1);
        assert_eq!(d[1].open_ports, [554, 8554]);
        assert_eq!(d[1].hostname.as_deref(), Some("cam"));
        assert!(d[1].is_camera);
        assert_eq!(d[1].discovered_by, [DiscoveryMethod::Port]);
    }

    fn announce(ip: IpAddr, model: &str, serial: &str) -> Event {
        Event::Announce {
            ip,
            method: DiscoveryMethod::Sadp,
            info: Box::new(Announcement {
                protocol: "sadp".into(),
                model: Some(model.into()),
                serial: Some(serial.into()),
                channels: Some(4),
                ..Default::default()
            }),
            vendor: Some("Hikvision".into()),
            is_camera: true,
        }
    }

    fn identity(ip: IpAddr, model: &str) -> Event {
        Event::Identity {
            ip,
            vendor: Some("HIKVISION".into()),
            model: Some(model.into()),
            firmware: None,
            serial: None,
        }
    }

    #[test]
    fn the_most_trustworthy_source_wins_in_any_order() {
        let ip: IpAddr = "198.18.0.11".parse().unwrap();
        let oui = Event::Host {
            ip,
            method: DiscoveryMethod::Arp,
            mac: Some("44:19:b6:00:00:11".into()),
            vendor: Some("Hikvision (OUI)".into()),
        };
        let events = [
            oui,
            announce(ip, "SADP-MODEL", "SERIAL-0001"),
            identity(ip, "API-MODEL"),
        ];
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1]] {
            let mut r = Registry::default();
            for i in order {
                r.apply(events[i].clone());
            }
            let d = &r.devices()[0];
            assert_eq!(d.model.as_deref(), Some("API-MODEL"), "{order:?}");
            assert_eq!(d.vendor.as_deref(), Some("HIKVISION"), "{order:?}");
            assert_eq!(
                d.serial.as_deref(),
                Some("SERIAL-0001"),
                "gap filled: {order:?}"
            );
            assert_eq!(d.channels, Some(4));
            assert!(d.is_camera);
            assert_eq!(
                d.discovered_by,
                [DiscoveryMethod::Arp, DiscoveryMethod::Sadp]
            );
        }
    }

    /// A name `source` gave the device at `ip`.
    fn name_event(ip: IpAddr, n: &str, kind: NameKind, source: &str) -> Event {
        Event::Name {
            ip,
            name: DeviceName {
                name: n.into(),
                kind,
                source: source.into(),
            },
        }
    }

    /// A camera's vendor-protocol announcement that names it.
    fn named_announcement(
        ip: IpAddr,
        method: DiscoveryMethod,
        protocol: &str,
        name: &str,
    ) -> Event {
        Event::Announce {
            ip,
            method,
            info: Box::new(Announcement {
                protocol: protocol.into(),
                name: Some(name.into()),
                ..Default::default()
            }),
            vendor: None,
            is_camera: true,
        }
    }

    #[test]
    fn every_name_is_kept_with_its_source_and_the_best_of_each_kind_shown() {
        let ip: IpAddr = "198.18.0.7".parse().unwrap();
        let name = |n: &str, kind, source: &str| name_event(ip, n, kind, source);
        let events = vec![
            name("cam7.local", NameKind::Host, "mdns"),
            name("Axis M3045 - ACCC8E", NameKind::Label, "mdns"),
            Event::Upnp {
                ip,
                info: Box::new(UpnpInfo {
                    friendly_name: Some("IP Camera".into()),
                    ..Default::default()
                }),
                is_camera: true,
            },
            name("cam7.lab.example", NameKind::Host, "dns"),
            name("  ", NameKind::Label, "dns"),
            name("cam7.lab.example", NameKind::Host, "dns"),
        ];
        // Any order gives the same device.
        for order in [events.clone(), events.into_iter().rev().collect()] {
            let mut r = Registry::new(BTreeMap::new());
            for e in order {
                r.apply(e);
            }
            let d = &r.devices()[0];
            assert_eq!(d.hostname.as_deref(), Some("cam7.lab.example"));
            assert_eq!(d.name.as_deref(), Some("Axis M3045 - ACCC8E"));
            let listed: Vec<(&str, &str)> = d
                .names
                .iter()
                .map(|n| (n.name.as_str(), n.source.as_str()))
                .collect();
            assert_eq!(
                listed,
                [
                    ("cam7.lab.example", "dns"),
                    ("cam7.local", "mdns"),
                    ("Axis M3045 - ACCC8E", "mdns"),
                    ("IP Camera", "ssdp"),
                ]
            );
        }
        // What the user typed beats DNS; a vendor protocol's name beats mDNS.
        let mut hosts = BTreeMap::new();
        hosts.insert(ip, "frontcam".to_string());
        let mut r = Registry::new(hosts);
        r.apply(name("cam7.lab.example", NameKind::Host, "dns"));
        r.apply(named_announcement(
            ip,
            DiscoveryMethod::Dhip,
            "dhip",
            "Gate",
        ));
        r.apply(name("Axis M3045", NameKind::Label, "mdns"));
        let d = &r.devices()[0];
        assert_eq!(d.hostname.as_deref(), Some("frontcam"));
        assert_eq!(d.name.as_deref(), Some("Gate"));
    }

    /// mDNS: the TXT MAC only where none was seen on the wire, the model, one entry per service
    /// whatever the order of answers, and the instance and `.local` names ranked with the others.
    #[test]
    fn mdns_answers_merge_and_fill_gaps_only() {
        use model::MdnsService;
        let ip: IpAddr = "198.18.0.11".parse().unwrap();
        let service = |service: &str, port, txt: &[&str]| MdnsService {
            service: service.into(),
            instance: "AXIS M3045-V - ACCC8E0A1B2C".into(),
            host: Some("axis-accc8e0a1b2c.local".into()),
            port: Some(port),
            txt: txt.iter().map(|t| t.to_string()).collect(),
        };
        let mdns = |services, types: &[&str]| Event::Mdns {
            ip,
            info: Box::new(MdnsInfo {
                services,
                types: types.iter().map(|t| t.to_string()).collect(),
            }),
            mac: Some("ac:cc:8e:0a:1b:2c".into()),
            model: Some("M3045-V".into()),
            is_camera: true,
        };
        let events = [
            mdns(
                vec![service("_rtsp._tcp", 554, &["path=/axis-media/media.amp"])],
                &["_rtsp._tcp"],
            ),
            mdns(
                vec![service(
                    "_axis-video._tcp",
                    80,
                    &["macaddress=ACCC8E0A1B2C"],
                )],
                &["_http._tcp", "_axis-video._tcp"],
            ),
            Event::Name {
                ip,
                name: DeviceName {
                    name: "AXIS M3045-V - ACCC8E0A1B2C".into(),
                    kind: NameKind::Label,
                    source: "mdns".into(),
                },
            },
        ];
        for order in [[0, 1, 2], [2, 1, 0]] {
            let mut r = Registry::default();
            for i in order {
                r.apply(events[i].clone());
            }
            let d = &r.devices()[0];
            assert_eq!(
                d.mac.as_deref(),
                Some("ac:cc:8e:0a:1b:2c"),
                "none known: the TXT's"
            );
            assert_eq!(d.model.as_deref(), Some("M3045-V"));
            assert_eq!(d.name.as_deref(), Some("AXIS M3045-V - ACCC8E0A1B2C"));
            assert!(d.is_camera);
            assert_eq!(d.discovered_by, [DiscoveryMethod::Mdns]);
            let m = d.mdns.as_ref().unwrap();
            let kinds: Vec<&str> = m.services.iter().map(|s| s.service.as_str()).collect();
            assert_eq!(kinds, ["_axis-video._tcp", "_rtsp._tcp"], "{order:?}");
            assert_eq!(m.types, ["_axis-video._tcp", "_http._tcp", "_rtsp._tcp"]);
        }
        // A MAC seen on the wire stays; the device API's model beats the TXT's.
        let mut r = Registry::default();
        r.apply(Event::Host {
            ip,
            method: DiscoveryMethod::Arp,
            mac: Some("44:19:b6:00:00:11".into()),
            vendor: None,
        });
        r.apply(identity(ip, "AXIS M3045-V"));
        r.apply(events[1].clone());
        let d = &r.devices()[0];
        assert_eq!(d.mac.as_deref(), Some("44:19:b6:00:00:11"));
        assert_eq!(d.model.as_deref(), Some("AXIS M3045-V"));
    }

    #[test]
    fn one_box_on_several_addresses_is_one_device() {
        let [a, b, c, e]: [IpAddr; 4] =
            ["198.18.0.11", "198.18.0.12", "198.18.0.13", "198.18.0.14"]
                .map(|s| s.parse().unwrap());
        let mut r = Registry::default();
        // a and c: same serial (SADP on one, DHIP-less identity on the other).
        r.apply(announce(c, "DS-7608NI", "DS-7608NI0120190101CCRR123"));
        r.apply(Event::PortOpen { ip: c, port: 554 });
        r.apply(announce(a, "DS-7608NI", "DS-7608NI0120190101CCRR123"));
        r.apply(Event::PortOpen { ip: a, port: 80 });
        // b and e: the same MAC.
        for ip in [b, e] {
            r.apply(Event::Host {
                ip,
                method: DiscoveryMethod::Arp,
                mac: Some("02:00:00:00:00:12".into()),
                vendor: None,
            });
        }
        // A placeholder serial merges nothing.
        for ip in [b, c] {
            r.apply(Event::Identity {
                ip,
                vendor: None,
                model: None,
                firmware: None,
                serial: Some("000000".into()),
            });
        }
        let d = r.devices();
        assert_eq!(d.len(), 2, "{d:#?}");
        assert_eq!(d[0].ip, a);
        assert_eq!(d[0].addresses, [a, c]);
        assert_eq!(d[0].open_ports, [80, 554]);
        assert_eq!(d[1].ip, b);
        assert_eq!(d[1].addresses, [b, e]);
    }

    /// A Wi-Fi extender's MAC-NAT or a proxy-ARP router answers ARP for every host behind it
    /// with its own MAC: many addresses on one MAC are separate devices, the MAC named as the
    /// box in front; a few on one MAC are one multi-homed box, unless they say they are not.
    #[test]
    fn a_mac_shared_by_many_addresses_merges_none_of_them() {
        let mut r = Registry::default();
        let ips: Vec<IpAddr> = (1..=40)
            .map(|i| format!("198.19.0.{i}").parse().unwrap())
            .collect();
        for ip in &ips {
            r.apply(host(*ip, "02:AA:00:00:00:01"));
        }
        // Two of them are one camera by its serial (on two addresses behind the extender).
        for ip in &ips[..2] {
            r.apply(announce(
                *ip,
                "DS-2CD2386G2",
                "DS-2CD2386G2-IU20230101AAWRJ12345",
            ));
        }
        let d = r.devices();
        assert_eq!(d.len(), 39, "40 hosts, two of them one camera");
        assert_eq!(d[0].addresses, ips[..2]);
        assert!(d.iter().all(|d| d.mac_shared));
        let shared = r.shared_macs();
        assert_eq!(shared.len(), 1);
        assert_eq!(shared[0].mac, "02:aa:00:00:00:01");
        assert_eq!(shared[0].addresses, 40);

        // At the limit (SHARED_MAC_MIN addresses), still one box.
        let mut r = Registry::default();
        for ip in &ips[..SHARED_MAC_MIN as usize] {
            r.apply(host(*ip, "02:aa:00:00:00:02"));
        }
        let d = r.devices();
        assert_eq!(d.len(), 1);
        assert!(!d[0].mac_shared);
        assert!(r.shared_macs().is_empty());

        // One MAC, two addresses, two serials: two boxes (MAC-NAT of two cameras).
        let mut r = Registry::default();
        for (ip, serial) in ips[..2].iter().zip([
            "DS-2CD2386G2-IU20230101AAWRJ00001",
            "DS-2CD2386G2-IU20230101AAWRJ00002",
        ]) {
            r.apply(host(*ip, "02:aa:00:00:00:03"));
            r.apply(announce(*ip, "DS-2CD2386G2", serial));
        }
        assert_eq!(r.devices().len(), 2);
    }

    #[test]
    fn a_mac_comes_before_a_serial() {
        let [a, b, c]: [IpAddr; 3] =
            ["198.18.0.11", "198.18.0.12", "198.18.0.13"].map(|s| s.parse().unwrap());
        let mut r = Registry::default();
        // Two boxes with their own MACs claim one serial (a cloned firmware image): two devices.
        // A third address with that serial and no MAC joins the first.
        for (ip, mac) in [
            (a, Some("02:00:00:00:00:0a")),
            (b, Some("02:00:00:00:00:0b")),
            (c, None),
        ] {
            r.apply(Event::Host {
                ip,
                method: DiscoveryMethod::Arp,
                mac: mac.map(str::to_string),
                vendor: None,
            });
            r.apply(announce(ip, "XM530", "a1b2c3d4e5f60001"));
        }
        let groups = r.groups();
        assert_eq!(groups, [vec![a, c], vec![b]]);
    }

    #[test]
    fn onvif_endpoint_and_upnp_udn_merge() {
        let [a, b]: [IpAddr; 2] = ["10.0.0.5", "10.0.0.6"].map(|s| s.parse().unwrap());
        let mut r = Registry::default();
        r.apply(Event::Onvif {
            ip: b,
            info: Box::new(OnvifInfo {
                endpoint: Some("urn:uuid:5f5a69c2-e0ae-504f-829b-00408cae0001".into()),
                types: vec![],
                scopes: vec![],
                xaddrs: vec![],
                profiles: vec![],
                ..OnvifInfo::default()
            }),
            name: None,
            model: None,
            vendor: None,
            mac: None,
            is_camera: true,
        });
        r.apply(Event::Upnp {
            ip: a,
            info: Box::new(UpnpInfo {
                udn: Some("uuid:5F5A69C2-E0AE-504F-829B-00408CAE0001".into()),
                ..Default::default()
            }),
            is_camera: false,
        });
        let d = r.devices();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].addresses, [a, b]);
        assert!(d[0].is_camera);
        assert_eq!(
            d[0].discovered_by,
            [DiscoveryMethod::Onvif, DiscoveryMethod::Ssdp]
        );
    }

    fn host(ip: IpAddr, mac: &str) -> Event {
        Event::Host {
            ip,
            method: DiscoveryMethod::Arp,
            mac: Some(mac.into()),
            vendor: None,
        }
    }

    /// ONVIF profiles' channels never replace a maker's list (which knows the cameras), whichever
    /// event comes first; a maker's list replaces them; a new ONVIF list replaces an older one.
    #[test]
    fn a_makers_channels_win_over_onvif_profiles() {
        use model::NvrChannel;
        let ip: IpAddr = "10.0.0.9".parse().unwrap();
        let ch = |n: u32, source: &str| NvrChannel {
            channel: n,
            source: source.into(),
            ..Default::default()
        };
        let sources = |r: &Registry| -> Vec<String> {
            r.devices()[0]
                .nvr_channels
                .iter()
                .map(|c| format!("{}{}", c.source, c.channel))
                .collect()
        };
        let mut r = Registry::new(BTreeMap::new());
        r.apply(Event::NvrChannels {
            ip,
            channels: vec![ch(1, NvrChannel::ONVIF), ch(2, NvrChannel::ONVIF)],
        });
        assert_eq!(sources(&r), ["onvif1", "onvif2"]);
        r.apply(Event::NvrChannels {
            ip,
            channels: vec![ch(1, "hikvision-isapi")],
        });
        assert_eq!(sources(&r), ["hikvision-isapi1"]);
        r.apply(Event::NvrChannels {
            ip,
            channels: vec![ch(3, NvrChannel::ONVIF)],
        });
        assert_eq!(
            sources(&r),
            ["hikvision-isapi1"],
            "not duplicated nor replaced"
        );
        let mut r = Registry::new(BTreeMap::new());
        for n in [1, 2] {
            r.apply(Event::NvrChannels {
                ip,
                channels: vec![ch(n, NvrChannel::ONVIF)],
            });
        }
        assert_eq!(sources(&r), ["onvif2"]);
    }
}
