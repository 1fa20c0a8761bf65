//! What a device is when the registry renders it ([`super::Registry::render`]): its addresses
//! in order, the maker of its network card, the model its greetings name, and its NVR channels
//! marked as played; pure, on the merged device.

use super::*;

/// Who made the network card of the device's MAC: the IEEE registry's organisation for every MAC
/// (`mac_vendor`), the locally administered bit (`mac_randomized`: no maker then), and the camera
/// vendor the prefix names as `vendor` when no better source named one (the OUI is the least
/// trusted source, so any other's value stays).
pub(super) fn mac_maker(d: &mut Device, lookup: Option<MacLookup>) {
    let (Some(mac), Some(lookup)) = (d.mac.as_deref(), lookup) else {
        return;
    };
    let maker = lookup(mac);
    d.mac_randomized = maker.randomized;
    d.mac_vendor = maker.organisation.map(str::to_string);
    if d.vendor.is_none() {
        d.vendor = maker.vendor.map(str::to_string);
    }
}

/// Sort a device's lists, decide `is_camera` and name the MAC's maker.
/// A device whose maker is known and model is not: the model an administration service's greeting
/// names after the maker (an Axis FTP server's `220 AXIS P1375 Network Camera 10.12.x ready`).
pub(super) fn model_from_greetings(d: &mut Device) {
    let (Some(vendor), None) = (d.vendor.as_deref(), d.model.as_deref()) else {
        return;
    };
    let found = d
        .services
        .iter()
        .filter(|s| matches!(s.protocol, Protocol::Telnet | Protocol::Ftp))
        .find_map(|s| Some((s.port, model::model_named_in(vendor, s.server.as_deref()?)?)));
    if let Some((port, model)) = found {
        d.evidence
            .push(format!("port {port}: its greeting names the model {model}"));
        d.model = Some(model);
    }
}

pub(super) fn finish(
    mut d: Device,
    lookup: Option<MacLookup>,
    rules: Option<NameRules>,
    zones: Option<ZoneLookup>,
) -> Device {
    d.addresses.sort_unstable();
    d.addresses.retain(|a| *a != d.ip);
    d.addresses.insert(0, d.ip);
    // The zone of its link-local addresses, as the scan learned it (a target's `%eth0`, the
    // interface a neighbour answered on): one link per device.
    if d.zone.is_none()
        && let Some(zones) = zones
    {
        d.zone = d.addresses.iter().find_map(|a| zones(*a));
    }
    d.open_ports.sort_unstable();
    d.discovered_by.sort();
    model_from_greetings(&mut d);
    d.services
        .sort_by_key(|s| (s.port, s.protocol, s.transport));
    d.streams
        .sort_by(|a, b| (a.port, &a.url).cmp(&(b.port, &b.url)));
    // `ok` only for a stream that played: whatever analysed it (a PLAY check, a segment fetched,
    // `--no-verify`), its status is settled here by `verified`, once.
    d.streams.iter_mut().for_each(model::Stream::settle);
    d.errors
        .sort_by(|a, b| (a.stage, a.port, &a.message).cmp(&(b.stage, b.port, &b.message)));
    if let Some(rules) = rules {
        drop_placeholder_names(&mut d, rules);
    }
    sort_names(&mut d.names);
    let best = |kind| {
        d.names
            .iter()
            .find(|n| n.kind == kind)
            .map(|n| n.name.clone())
    };
    if let Some(h) = best(NameKind::Host) {
        d.hostname = Some(h);
    }
    if let Some(n) = best(NameKind::Label) {
        d.name = Some(n);
    }
    mac_maker(&mut d, lookup);
    if let Some(rules) = rules {
        serial_from_mac(&mut d, rules);
    }
    model::roles::derive(&mut d);
    // An RTSP server on a LAN is a camera, NVR or video server: exactly what users look for.
    d.is_camera = d.is_camera
        || !d.streams.is_empty()
        || d.services.iter().any(|s| s.protocol == Protocol::Rtsp);
    d
}

/// An NVR channel is `verified` when a stream of the NVR with the channel's main stream URL
/// (compared without credentials) answered PLAY in this scan.
pub(super) fn mark_played_channels(d: &mut model::Device) {
    if d.nvr_channels.is_empty() {
        return;
    }
    fn key(u: &str) -> Option<(String, Option<u16>, String, Option<String>)> {
        let u = url::Url::parse(u).ok()?;
        Some((
            u.host_str()?.to_string(),
            u.port_or_known_default().or(Some(554)),
            u.path().to_string(),
            u.query().map(str::to_string),
        ))
    }
    let played: Vec<_> = d
        .streams
        .iter()
        .filter(|s| s.status.answers())
        .filter_map(|s| key(&s.url))
        .collect();
    for ch in &mut d.nvr_channels {
        ch.verified = ch
            .stream
            .as_deref()
            .and_then(key)
            .is_some_and(|k| played.contains(&k));
    }
}

/// The channels an NVR listed, each marked verified when its stream played. A maker's API
/// (ISAPI, Dahua CGI) knows more than ONVIF profiles (the camera's address, model, online state):
/// channels read from ONVIF profiles never replace a maker's list, whichever came first, and a
/// maker's list replaces them.
pub(super) fn set_nvr_channels(d: &mut Device, channels: Vec<model::NvrChannel>) {
    let onvif =
        |list: &[model::NvrChannel]| list.iter().all(|c| c.source == model::NvrChannel::ONVIF);
    if !d.nvr_channels.is_empty() && !onvif(&d.nvr_channels) && onvif(&channels) {
        return;
    }
    d.nvr_channels = channels;
    mark_played_channels(d);
}
