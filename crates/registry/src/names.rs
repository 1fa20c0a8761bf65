//! The names and makers devices report, as the registry keeps them: every name with its source and
//! the best of each kind shown ([`name_rank`]); makers spelled as the vendor registry spells them
//! and firmware placeholders kept as evidence ([`NameRules`], handed in by the scan); factory-default
//! names dropped for the next best; a serial from the MAC for vendors that document it so.

use model::{Device, DeviceName, NameKind};

use super::{Source, fill};
use model::is_real_serial;

/// What the knowledge files say about the names and makers devices report, handed in so the
/// registry stays on `model` (the scan gives the vendor registry and `data/placeholders.yaml`).
#[derive(Debug, Clone, Copy)]
pub struct NameRules {
    /// The vendor registry's name for a maker text (`AXIS` and `Axis Communications AB` are
    /// `Axis`); none when no vendor matches (the text is shown as sent).
    pub vendor: fn(&str) -> Option<&'static str>,
    /// The text is a factory default as a device's name (`LocalHost`, `IP Camera`, empty).
    pub placeholder_name: fn(&str) -> bool,
    /// The text is a firmware placeholder as a maker (`ONVIF_IPNC`, `H264`, `NONE`, empty).
    pub placeholder_vendor: fn(&str) -> bool,
    /// The vendor (as `vendor` names it) documents its serial numbers as the MAC (Axis).
    pub serial_is_mac: fn(&str) -> bool,
}

impl Source {
    /// How evidence names the source.
    fn label(self) -> &'static str {
        match self {
            Source::None => "unknown",
            Source::Oui => "oui",
            Source::Upnp => "ssdp",
            Source::Mdns => "mdns",
            Source::Fingerprint => "http",
            Source::OnvifScopes => "onvif",
            Source::Announce => "discovery",
            Source::DeviceApi => "onvif device api",
        }
    }
}

/// Like [`fill`] for a maker: a firmware placeholder (`ONVIF_IPNC`) is kept as evidence, never
/// as the vendor; any other text is spelled as the vendor registry spells it (`AXIS` is `Axis`).
pub(super) fn fill_vendor(
    d: &mut Device,
    trust: &mut Source,
    value: Option<String>,
    source: Source,
    rules: Option<NameRules>,
) {
    let Some(value) = value else { return };
    let Some(rules) = rules else {
        return fill(&mut d.vendor, trust, Some(value), source);
    };
    if (rules.placeholder_vendor)(&value) {
        if !value.trim().is_empty() {
            let line = format!(
                "{}: maker {:?} is a firmware placeholder, not the maker",
                source.label(),
                value.trim()
            );
            if !d.evidence.contains(&line) {
                d.evidence.push(line);
            }
        }
        return;
    }
    let value = (rules.vendor)(&value).map_or(value, str::to_string);
    fill(&mut d.vendor, trust, Some(value), source);
}

/// Record a name once (trimmed, control characters and all, as the device sent it; exporters escape).
pub(super) fn add_name(d: &mut Device, name: &str, kind: NameKind, source: &str) {
    let name = name.trim();
    if name.is_empty() {
        return;
    }
    let n = DeviceName {
        name: name.to_string(),
        kind,
        source: source.to_string(),
    };
    if !d.names.contains(&n) {
        d.names.push(n);
    }
}

/// How much a name is to be believed as the device's `hostname` or `name`, higher first.
///
/// Host names: what the user typed, then the network's DNS (reverse lookup), then the name the
/// device picked for itself on mDNS. Labels: what the vendor protocol or the device API says
/// (set by the installer in the device's own settings), then ONVIF scopes, then the mDNS instance
/// name, then the UPnP friendly name (often the generic model text).
pub fn name_rank(kind: NameKind, source: &str) -> u8 {
    match (kind, source) {
        (NameKind::Host, "user") => 3,
        (NameKind::Host, "dns") => 2,
        (NameKind::Host, _) => 1,
        (NameKind::Label, "ssdp") => 1,
        (NameKind::Label, "mdns") => 2,
        (NameKind::Label, "onvif") => 3,
        (NameKind::Label, _) => 4,
    }
}

/// Host names before labels, the best first within each kind, then by name and source: the same
/// order every run, whatever order the stages answered in.
pub(super) fn sort_names(names: &mut [DeviceName]) {
    names.sort_by(|a, b| {
        let key = |n: &DeviceName| (n.kind, std::cmp::Reverse(name_rank(n.kind, &n.source)));
        (key(a), &a.name, &a.source).cmp(&(key(b), &b.name, &b.source))
    });
}

/// A factory-default name (`LocalHost`, `IP Camera`) is not the device's name: it leaves `names`
/// (and `name`/`hostname`) for the evidence, and the next best name is shown. A name the user
/// typed as the target (source `user`: `camscan scan localhost`) is theirs, not a device's
/// default, and stays.
pub(super) fn drop_placeholder_names(d: &mut Device, rules: NameRules) {
    let (defaults, names): (Vec<DeviceName>, Vec<DeviceName>) = std::mem::take(&mut d.names)
        .into_iter()
        .partition(|n| n.source != "user" && (rules.placeholder_name)(&n.name));
    let typed: Vec<String> = names
        .iter()
        .filter(|n| n.source == "user")
        .map(|n| n.name.clone())
        .collect();
    d.names = names;
    for n in defaults {
        let line = format!(
            "{}: name {:?} is a factory default, not its name",
            n.source, n.name
        );
        if !d.evidence.contains(&line) {
            d.evidence.push(line);
        }
    }
    for slot in [&mut d.name, &mut d.hostname] {
        if slot
            .as_deref()
            .is_some_and(|v| (rules.placeholder_name)(v) && !typed.iter().any(|t| t == v))
        {
            *slot = None;
        }
    }
}

/// A vendor that documents its serial number as the MAC (Axis): when no source gave a real
/// serial, the MAC is the serial, in the vendor's form (12 uppercase hex digits). The MAC its
/// mDNS TXT `macaddress` publishes comes first (Axis publishes its serial there), then the
/// device's MAC.
pub(super) fn serial_from_mac(d: &mut Device, rules: NameRules) {
    if d.serial
        .as_deref()
        .is_some_and(|s| is_real_serial(s.trim()))
    {
        return;
    }
    if !d.vendor.as_deref().is_some_and(rules.serial_is_mac) {
        return;
    }
    let hex12 = |m: &str| -> Option<String> {
        let hex: String = m
            .chars()
            .filter(|c| !matches!(c, ':' | '-' | '.'))
            .collect();
        (hex.len() == 12 && hex.chars().all(|c| c.is_ascii_hexdigit()) && is_real_serial(&hex))
            .then(|| hex.to_ascii_uppercase())
    };
    let txt = d.mdns.iter().flat_map(|m| &m.services).find_map(|s| {
        s.txt.iter().find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            k.eq_ignore_ascii_case("macaddress")
                .then(|| hex12(v))
                .flatten()
        })
    });
    let (serial, from) = match txt {
        Some(s) => (s, "mdns TXT macaddress"),
        None => match d.mac.as_deref().and_then(hex12) {
            Some(s) => (s, "the MAC"),
            None => return,
        },
    };
    d.evidence.push(format!(
        "serial {serial} from {from} (the vendor's serial number is its MAC)"
    ));
    d.serial = Some(serial);
}
