//! Names of cameras in the configuration exports (go2rtc streams, Frigate cameras, MediaMTX paths,
//! the Home Assistant sheet), in one place so every export calls a camera the same way.
//!
//! A device's cameras are named once ([`settle`], at the end of every scan) and keep the name:
//! the report carries it ([`Device::camera_name`]), the inventory keeps it, and the next scan
//! gives it back to the same device (matched as the inventory matches devices: MAC, serial,
//! endpoint, then address), wherever the device moved and whatever else appeared. In Frigate a
//! renamed camera is a new camera whose recordings start again.
//!
//! A new name is made from the device itself, never from what else is on the network: its DNS
//! name's first label (`hik-entrance.lab.test` is `hik_entrance`), else the name set on it, used
//! alone; else its model, else its vendor, else `camera`, always followed by the device's tag, the
//! last three bytes of its MAC (`hikvision_b60011`) or, with no MAC, its address. Words are
//! letters and digits only, lowercased, common Latin accents folded (`Entrée` is `entree`). A
//! new name another device has (here, or given to one the inventory knows) gets the tag too;
//! a given name never changes. `ch<N>` names channel N (N > 1) of a multi-channel device, and
//! `sub` its sub stream.
//!
//! Two styles, from what the tools accept:
//! * [`Style::Underscore`] (`front_door`, `front_door_sub`): go2rtc stream names and Frigate camera
//!   names. Frigate requires `^[a-zA-Z0-9_-]+$` (`frigate/const.py` `REGEX_CAMERA_NAME`, used as the
//!   `pattern` of `CameraConfig.name` in `frigate/config/camera/camera.py`), and its restream reads
//!   go2rtc streams under the camera's name (`docs/docs/configuration/restream.md`).
//! * [`Style::Compact`] (`frontdoor`, `frontdoorsub`): MediaMTX path names. MediaMTX accepts
//!   `^[0-9a-zA-Z_\-/\.]+$` (`internal/conf/path.go` `rePathName`), but a path's settings are
//!   overridden from the environment as `MTX_PATHS_<NAME>_<KEY>`, and `internal/conf/env/env.go`
//!   takes `<NAME>` up to the first `_` and lowercases it: a path name with `_` or capitals cannot
//!   be reached that way, and `-`, `.` and `/` are not allowed in a shell variable name. So
//!   MediaMTX names are lowercase letters and digits only.
//!
//! Names every tool treats specially are avoided: MediaMTX's `all` and `all_others` match every
//! path (`internal/conf/conf.go`), Frigate's `birdseye` is its own restream
//! (`frigate/api/media.py`). Such a name gets `cam` appended.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use model::Device;

/// How a tool wants its names written (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Words joined by `_`: go2rtc, Frigate.
    Underscore,
    /// Words run together, lowercase letters and digits only: MediaMTX.
    Compact,
}

/// At most this many characters of the device's own words (names stay readable in a UI and
/// an environment variable name); a cut falls between words where it can.
const MAX_WORDS_LEN: usize = 32;

/// Names a tool reserves (see the module docs), compared to the whole name.
const RESERVED: [&str; 3] = ["all", "all_others", "birdseye"];

/// One camera's names: its device's base words in each style, and the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    underscore: Vec<String>,
    compact: Vec<String>,
    channel: u32,
}

impl Names {
    /// The camera's name in `style`.
    pub fn camera(&self, style: Style) -> String {
        render(&self.words(style, false), style)
    }

    /// The name of its sub stream where a tool needs one of its own (`front_door_sub`).
    pub fn sub(&self, style: Style) -> String {
        render(&self.words(style, true), style)
    }

    /// The device's part, for environment variables shared by all of a device's channels:
    /// `FRONT_DOOR` (uppercase, words joined by `_`).
    pub fn env_key(&self) -> String {
        self.underscore.join("_").to_ascii_uppercase()
    }

    fn words(&self, style: Style, sub: bool) -> Vec<String> {
        let mut words = match style {
            Style::Underscore => self.underscore.clone(),
            Style::Compact => self.compact.clone(),
        };
        if self.channel != 1 {
            words.push(format!("ch{}", self.channel));
        }
        if sub {
            words.push("sub".into());
        }
        words
    }
}

/// Words joined per `style`, with a reserved name moved aside.
fn render(words: &[String], style: Style) -> String {
    let joined = match style {
        Style::Underscore => words.join("_"),
        Style::Compact => words.concat(),
    };
    if RESERVED.contains(&joined.as_str()) {
        match style {
            Style::Underscore => format!("{joined}_cam"),
            Style::Compact => format!("{joined}cam"),
        }
    } else {
        joined
    }
}

/// A character's ASCII letters, for the Latin letters with accents people put in camera names
/// (Latin-1 Supplement and the common Latin Extended-A ones); `None` for anything else.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => "c",
        'ď' | 'đ' | 'Ď' | 'Đ' | 'ð' | 'Ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "e",
        'ğ' | 'Ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'Į' | 'İ' => {
            "i"
        }
        'ł' | 'ľ' | 'ĺ' | 'Ł' | 'Ľ' | 'Ĺ' => "l",
        'ñ' | 'ń' | 'ň' | 'Ñ' | 'Ń' | 'Ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ő' => "o",
        'œ' | 'Œ' => "oe",
        'ŕ' | 'ř' | 'Ŕ' | 'Ř' => "r",
        'ś' | 'š' | 'ş' | 'Ś' | 'Š' | 'Ş' => "s",
        'ß' => "ss",
        'ť' | 'ţ' | 'Ť' | 'Ţ' => "t",
        'þ' | 'Þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű' | 'Ų' => "u",
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
        _ => return None,
    })
}

/// The lowercase ASCII words of `s`: runs of letters and digits (accents folded); everything else
/// separates words. At most [`MAX_WORDS_LEN`] characters of them.
pub fn words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        } else if let Some(letters) = fold(c) {
            word.push_str(letters);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    let mut len = 0;
    let mut kept = Vec::new();
    for w in out {
        let room = MAX_WORDS_LEN.saturating_sub(len + usize::from(!kept.is_empty()));
        if room == 0 {
            break;
        }
        if w.len() > room {
            if kept.is_empty() {
                kept.push(w[..room].to_string());
            }
            break;
        }
        len += w.len() + usize::from(!kept.is_empty());
        kept.push(w);
    }
    kept
}

/// Where a new name's words come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The device's own: its DNS name's first label, else the name set on it. Unique on most
    /// networks, so used alone unless another device has it too.
    Own,
    /// Its maker's: a model, a vendor, or `camera`. Every camera of the make shares it, so the
    /// name always ends with the device's own tag (the end of its MAC, else its address):
    /// a second camera of the make appearing never renames the first.
    Maker,
}

/// The words a new name starts from: the DNS name's first label (`hik-entrance.lab.test`), else
/// the device's own name, else its model, else its vendor, else `camera`.
fn fresh_words(d: &Device) -> (Vec<String>, Source) {
    let label = d
        .hostname
        .as_deref()
        .and_then(|h| h.split('.').next())
        .filter(|l| l.chars().any(|c| c.is_ascii_alphabetic()));
    let own = [label, d.name.as_deref()]
        .into_iter()
        .flatten()
        .map(words)
        .find(|w| !w.is_empty());
    if let Some(w) = own {
        return (w, Source::Own);
    }
    let maker = [&d.model, &d.vendor]
        .into_iter()
        .flatten()
        .map(|s| words(s))
        .find(|w| !w.is_empty())
        .unwrap_or_else(|| vec!["camera".to_string()]);
    (maker, Source::Maker)
}

/// A name the device already has ([`Device::camera_name`]) as words: runs of letters and digits,
/// lowercased, not cut (it was given whole).
fn given_words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// What is the device's own to tell it from others of its make: the last three bytes of its MAC
/// (`b60011`), else its address as words (IPv4 octets, IPv6 groups). MediaMTX's style runs the
/// words together (`camera12700121`); two addresses that run together alike are a clash, which
/// numbers the later device.
fn tag(d: &Device) -> Vec<String> {
    let mac = d
        .mac
        .as_deref()
        .filter(|_| !d.mac_shared)
        .and_then(model::identity::normalize_mac);
    if let Some(mac) = mac {
        let hex: String = mac.split(':').skip(3).collect();
        if hex.len() == 6 {
            return vec![hex];
        }
    }
    match d.ip {
        IpAddr::V4(v4) => v4.octets().iter().map(u8::to_string).collect(),
        IpAddr::V6(v6) => v6.segments().iter().map(|s| format!("{s:x}")).collect(),
    }
}

/// What a device needs named: its address, and the channels it has cameras on with whether each
/// has a sub stream.
#[derive(Debug, Clone)]
pub struct Wanted<'a> {
    pub device: &'a Device,
    /// (channel, has a sub stream)
    pub channels: Vec<(u32, bool)>,
}

/// How one device's base words are made while names are settled.
struct Base {
    /// A name it was given (kept as it is), else the words of a new one and where they came from.
    given: Option<Vec<String>>,
    fresh: (Vec<String>, Source),
    /// The device's tag is added (always for a maker's words; for its own after a clash).
    tagged: bool,
    /// A number, when even tagged names clash (a hand-made report, words that spell a tag).
    counter: Option<usize>,
}

impl Base {
    fn of(d: &Device) -> Base {
        let given = d
            .camera_name
            .as_deref()
            .map(given_words)
            .filter(|w| !w.is_empty());
        let fresh = fresh_words(d);
        let tagged = fresh.1 == Source::Maker;
        Base {
            given,
            fresh,
            tagged,
            counter: None,
        }
    }

    fn words(&self, d: &Device) -> Vec<String> {
        let mut words = match &self.given {
            Some(w) => w.clone(),
            None => {
                let mut w = self.fresh.0.clone();
                if self.tagged {
                    w.extend(tag(d));
                }
                w
            }
        };
        if let Some(n) = self.counter {
            words.push(n.to_string());
        }
        words
    }
}

/// Names for every camera of `wanted`, keyed by (device index in `wanted`, channel), unique in
/// both styles among everything the export may write (cameras, sub streams, channels). A
/// device's given name ([`Device::camera_name`]) is kept; the others get new ones.
pub fn assign(wanted: &[Wanted<'_>]) -> BTreeMap<(usize, u32), Names> {
    assign_around(wanted, &BTreeSet::new())
}

/// [`assign`], new names also kept clear of `taken` (names given to devices not in `wanted`).
fn assign_around(wanted: &[Wanted<'_>], taken: &BTreeSet<String>) -> BTreeMap<(usize, u32), Names> {
    let mut bases: Vec<Base> = wanted.iter().map(|w| Base::of(w.device)).collect();
    // Bounded: each round tags at least one device or numbers one, and numbering settles it.
    for _round in 0..=2 * wanted.len() + 1 {
        let clashing = clashes(wanted, &bases, taken);
        if clashing.is_empty() {
            break;
        }
        // A new name that clashes gets its tag; a given one stays as it was given.
        let fresh: Vec<usize> = clashing
            .iter()
            .copied()
            .filter(|&i| bases[i].given.is_none() && !bases[i].tagged)
            .collect();
        if !fresh.is_empty() {
            for i in fresh {
                bases[i].tagged = true;
            }
            continue;
        }
        // Only tagged or given names clash: number the new ones in report order (deterministic);
        // given names clash only with each other (a hand-made report): all but the first.
        let new: Vec<usize> = clashing
            .iter()
            .copied()
            .filter(|&i| bases[i].given.is_none())
            .collect();
        let numbered = if new.is_empty() {
            clashing.into_iter().skip(1).collect()
        } else {
            new
        };
        for (n, i) in numbered.into_iter().enumerate() {
            bases[i].counter = Some(n + 2);
        }
    }
    let mut out = BTreeMap::new();
    for (i, w) in wanted.iter().enumerate() {
        let underscore = bases[i].words(w.device);
        let compact = bases[i].words(w.device);
        for &(channel, _) in &w.channels {
            out.insert(
                (i, channel),
                Names {
                    underscore: underscore.clone(),
                    compact: compact.clone(),
                    channel,
                },
            );
        }
    }
    out
}

/// The devices whose names (in either style, their channels' and sub streams' included, or their
/// password variable) another device or a `taken` name has.
fn clashes(wanted: &[Wanted<'_>], bases: &[Base], taken: &BTreeSet<String>) -> BTreeSet<usize> {
    const TAKEN: usize = usize::MAX;
    let mut owners: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for t in taken {
        let w = given_words(t);
        owners
            .entry(format!("env:{}", w.join("_")))
            .or_default()
            .insert(TAKEN);
        for style in [Style::Underscore, Style::Compact] {
            let key = format!("{style:?}:{}", render(&w, style));
            owners.entry(key).or_default().insert(TAKEN);
        }
    }
    for (i, w) in wanted.iter().enumerate() {
        // The device's own part names its password variable: one per device.
        let key = bases[i].words(w.device).join("_");
        owners.entry(format!("env:{key}")).or_default().insert(i);
        for style in [Style::Underscore, Style::Compact] {
            let base = bases[i].words(w.device);
            for &(channel, has_sub) in &w.channels {
                let n = Names {
                    underscore: base.clone(),
                    compact: base.clone(),
                    channel,
                };
                let mut all = vec![n.camera(style)];
                if has_sub {
                    all.push(n.sub(style));
                }
                for name in all {
                    // The two styles are separate namespaces.
                    owners
                        .entry(format!("{style:?}:{name}"))
                        .or_default()
                        .insert(i);
                }
            }
        }
    }
    owners
        .values()
        .filter(|o| o.len() > 1)
        .flatten()
        .copied()
        .filter(|&i| i != TAKEN)
        .collect()
}

/// Give every camera device of a scan its name ([`Device::camera_name`]): the name the inventory
/// gave it before (`given`, matched by the inventory's identity rules: MAC, serial, endpoint,
/// then address), else a new one made from the device itself and kept clear of every name given
/// to another device, here or not.
pub fn settle(devices: &mut [Device], given: &[model::known::GivenName]) {
    use model::identity::{Candidate, Identity, resolve_all};
    let candidates: Vec<Candidate> = given
        .iter()
        .map(|g| Candidate {
            identity: g.identity.clone(),
            ip: g.ip,
            last_seen: g.last_seen,
        })
        .collect();
    let ids: Vec<Identity> = devices.iter().map(Identity::of).collect();
    let observed: Vec<(&Identity, IpAddr)> = ids.iter().zip(devices.iter().map(|d| d.ip)).collect();
    let matched = resolve_all(&candidates, &observed);
    let mut used = vec![false; given.len()];
    for (d, m) in devices.iter_mut().zip(&matched) {
        if let Some(g) = *m {
            used[g] = true;
            if d.camera_name.is_none() {
                d.camera_name = Some(given[g].name.clone());
            }
        }
    }
    let taken: BTreeSet<String> = given
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(g, _)| g.name.clone())
        .collect();
    let named: Vec<usize> = (0..devices.len())
        .filter(|&i| devices[i].is_camera || !devices[i].streams.is_empty())
        .collect();
    let wanted: Vec<Wanted<'_>> = named
        .iter()
        .map(|&i| Wanted {
            device: &devices[i],
            channels: vec![(1, false)],
        })
        .collect();
    let names: Vec<String> = assign_around(&wanted, &taken)
        .into_values()
        .map(|n| n.underscore.join("_"))
        .collect();
    for (i, name) in named.into_iter().zip(names) {
        devices[i].camera_name.get_or_insert(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(ip: &str, name: Option<&str>, model: Option<&str>, vendor: Option<&str>) -> Device {
        Device {
            name: name.map(Into::into),
            model: model.map(Into::into),
            vendor: vendor.map(Into::into),
            ..Device::new(ip.parse().unwrap())
        }
    }

    fn names(devices: &[Device], channels: &[(u32, bool)]) -> Vec<(String, String, String)> {
        let wanted: Vec<Wanted<'_>> = devices
            .iter()
            .map(|device| Wanted {
                device,
                channels: channels.to_vec(),
            })
            .collect();
        let map = assign(&wanted);
        map.values()
            .map(|n| {
                (
                    n.camera(Style::Underscore),
                    n.camera(Style::Compact),
                    n.sub(Style::Underscore),
                )
            })
            .collect()
    }

    /// Frigate's `REGEX_CAMERA_NAME`.
    fn frigate_ok(s: &str) -> bool {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }

    /// MediaMTX's `IsValidPathName` plus what its environment overrides can reach.
    fn mediamtx_ok(s: &str) -> bool {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && !RESERVED.contains(&s)
    }

    #[test]
    fn own_name_alone_a_makers_words_with_the_devices_tag() {
        let devices = [
            device(
                "198.18.0.1",
                Some("Front Door"),
                Some("DS-2CD2143G2-I"),
                None,
            ),
            device(
                "198.18.0.2",
                Some("  "),
                Some("DS-2CD2143G2-I"),
                Some("Hik"),
            ),
            device("198.18.0.3", None, None, Some("Hikvision")),
            device("198.18.0.4", Some("!!"), Some("--"), None),
        ];
        let got = names(&devices, &[(1, true)]);
        assert_eq!(
            got,
            [
                (
                    "front_door".into(),
                    "frontdoor".into(),
                    "front_door_sub".into()
                ),
                (
                    "ds_2cd2143g2_i_198_18_0_2".into(),
                    "ds2cd2143g2i1981802".into(),
                    "ds_2cd2143g2_i_198_18_0_2_sub".into()
                ),
                (
                    "hikvision_198_18_0_3".into(),
                    "hikvision1981803".into(),
                    "hikvision_198_18_0_3_sub".into()
                ),
                (
                    "camera_198_18_0_4".into(),
                    "camera1981804".into(),
                    "camera_198_18_0_4_sub".into()
                ),
            ]
        );
    }

    #[test]
    fn collisions_suffix_every_device_involved_whatever_the_order() {
        let a = device("198.18.0.60", Some("Garage"), None, None);
        let b = device("198.18.0.61", Some("garage!"), None, None);
        let c = device("198.18.0.62", Some("Porch"), None, None);
        let got = names(&[a.clone(), b.clone(), c.clone()], &[(1, false)]);
        assert_eq!(got[0].0, "garage_198_18_0_60");
        assert_eq!(got[1].0, "garage_198_18_0_61");
        assert_eq!(got[2].0, "porch", "a device without a clash keeps its name");
        assert_eq!(got[0].1, "garage19818060");
        let reversed = names(&[c, b, a], &[(1, false)]);
        assert_eq!(
            reversed[2].0, "garage_198_18_0_60",
            "same name in any order"
        );
    }

    #[test]
    fn derived_names_clash_too() {
        // "Garage Sub" is the sub-stream name of "Garage": both get their address.
        let a = device("198.18.0.60", Some("Garage"), None, None);
        let b = device("198.18.0.61", Some("Garage Sub"), None, None);
        let got = names(&[a, b], &[(1, true)]);
        assert_eq!(got[0].2, "garage_198_18_0_60_sub");
        assert_eq!(got[1].0, "garage_sub_198_18_0_61");
        // Only the compact style clashes ("front door" and "frontdoor"): both styles change, so
        // one device has one base name everywhere.
        let a = device("198.18.0.70", Some("front door"), None, None);
        let b = device("198.18.0.71", Some("FrontDoor"), None, None);
        let got = names(&[a, b], &[(1, false)]);
        assert_eq!(got[0].0, "front_door_198_18_0_70");
        assert_eq!(got[1].1, "frontdoor19818071");
    }

    #[test]
    fn channels_and_unnamed_devices() {
        let nvr = device("198.18.0.80", None, None, None);
        let wanted = [Wanted {
            device: &nvr,
            channels: vec![(1, true), (2, true), (12, false)],
        }];
        let map = assign(&wanted);
        let n = |ch| map[&(0, ch)].camera(Style::Underscore);
        assert_eq!(n(1), "camera_198_18_0_80");
        assert_eq!(n(2), "camera_198_18_0_80_ch2");
        assert_eq!(n(12), "camera_198_18_0_80_ch12");
        assert_eq!(map[&(0, 2)].sub(Style::Compact), "camera19818080ch2sub");
        assert_eq!(map[&(0, 12)].env_key(), "CAMERA_198_18_0_80");
        let v6 = device("fd00::1:2", Some("Hof"), None, None);
        let v6b = device("fd00::1:3", Some("hof"), None, None);
        let got = names(&[v6, v6b], &[(1, false)]);
        assert_eq!(got[0].0, "hof_fd00_0_0_0_0_0_1_2");
        assert_eq!(got[0].1, "hoffd000000012");
    }

    #[test]
    fn one_password_variable_per_device() {
        // Channel 2 of one "Hall" and channel 1 of another: different camera names, but the
        // same device part, which names the password variable.
        let a = device("198.18.0.1", Some("Hall"), None, None);
        let b = device("198.18.0.2", Some("Hall"), None, None);
        let wanted = [
            Wanted {
                device: &a,
                channels: vec![(2, false)],
            },
            Wanted {
                device: &b,
                channels: vec![(1, false)],
            },
        ];
        let map = assign(&wanted);
        assert_eq!(map[&(0, 2)].env_key(), "HALL_198_18_0_1");
        assert_eq!(map[&(1, 1)].camera(Style::Underscore), "hall_198_18_0_2");
    }

    #[test]
    fn non_ascii_empty_and_hostile_names() {
        assert_eq!(words("Entrée Café"), ["entree", "cafe"]);
        assert_eq!(words("Straße/Øst"), ["strasse", "ost"]);
        assert_eq!(
            words("Кухня 2"),
            ["2"],
            "scripts without a folding keep their digits"
        );
        assert!(words("Кухня").is_empty());
        assert!(words("").is_empty());
        assert_eq!(words("a\n#b: ${X}\u{202e}"), ["a", "b", "x"]);
        let long = "a".repeat(40);
        assert_eq!(words(&long), ["a".repeat(MAX_WORDS_LEN)]);
        let many = "word ".repeat(20);
        let w = words(&many);
        assert!(w.join("_").len() <= MAX_WORDS_LEN, "{w:?}");
        // A non-Latin name falls back to the model.
        let d = device("198.18.0.9", Some("Кухня"), Some("IPC-HDW"), None);
        assert_eq!(names(&[d], &[(1, false)])[0].0, "ipc_hdw_198_18_0_9");
    }

    #[test]
    fn dns_name_first_and_the_mac_tag_for_a_makers_words() {
        let mut a = device("198.18.0.12", Some("IPC"), Some("DS-2CD2143G2-I"), None);
        a.hostname = Some("hik-entrance.lab.test".into());
        let mut b = device("198.18.0.13", None, Some("DS-2CD2143G2-I"), None);
        b.mac = Some("44:19:B6:00:00:13".into());
        let mut c = device("198.18.0.14", None, None, Some("Axis"));
        c.hostname = Some("198-18-0-14".into());
        let got = names(&[a, b, c], &[(1, false)]);
        assert_eq!(got[0].0, "hik_entrance");
        assert_eq!(got[1].0, "ds_2cd2143g2_i_000013");
        assert_eq!(got[1].1, "ds2cd2143g2i000013");
        assert_eq!(
            got[2].0, "axis_198_18_0_14",
            "a label without letters is no name"
        );
    }

    fn given(name: &str, mac: Option<&str>, ip: &str) -> model::known::GivenName {
        model::known::GivenName {
            identity: model::identity::Identity {
                mac: mac.and_then(model::identity::normalize_mac),
                ..Default::default()
            },
            ip: Some(ip.parse().unwrap()),
            last_seen: 1,
            name: name.into(),
        }
    }

    fn camera(ip: &str, mac: Option<&str>, vendor: &str) -> Device {
        let mut d = device(ip, None, None, Some(vendor));
        d.mac = mac.map(Into::into);
        d.is_camera = true;
        d
    }

    #[test]
    fn a_name_is_fixed_once_given_whatever_appears_or_moves() {
        // Scan 1: one Hikvision, named from itself.
        let mut first = vec![camera(
            "198.18.0.12",
            Some("44:19:b6:00:00:12"),
            "Hikvision",
        )];
        settle(&mut first, &[]);
        let name = first[0].camera_name.clone().unwrap();
        assert_eq!(name, "hikvision_000012");
        // Scan 2: a second Hikvision appears, and the first moved to another address.
        let mut second = vec![
            camera("198.18.0.40", Some("44:19:b6:00:00:12"), "Hikvision"),
            camera("198.18.0.13", Some("44:19:b6:00:00:13"), "Hikvision"),
        ];
        settle(
            &mut second,
            &[given(&name, Some("44:19:b6:00:00:12"), "198.18.0.12")],
        );
        assert_eq!(second[0].camera_name.as_deref(), Some("hikvision_000012"));
        assert_eq!(second[1].camera_name.as_deref(), Some("hikvision_000013"));
        // A name given to a device that is not here today is not given to another.
        let mut third = vec![{
            let mut d = device("198.18.0.50", Some("Garage"), None, None);
            d.is_camera = true;
            d
        }];
        settle(
            &mut third,
            &[given("garage", Some("44:19:b6:00:00:99"), "198.18.0.9")],
        );
        assert_eq!(third[0].camera_name.as_deref(), Some("garage_198_18_0_50"));
        // A device without a camera or a stream gets no name.
        let mut printer = vec![device("198.18.0.60", None, None, Some("HP"))];
        settle(&mut printer, &[]);
        assert_eq!(printer[0].camera_name, None);
    }

    #[test]
    fn a_given_name_wins_over_a_new_one_that_clashes() {
        let mut kept = device("198.18.0.1", Some("Hall"), None, None);
        kept.camera_name = Some("hall".into());
        let newcomer = device("198.18.0.2", Some("Hall"), None, None);
        let got = names(&[kept, newcomer], &[(1, true)]);
        assert_eq!(got[0].0, "hall");
        assert_eq!(got[1].0, "hall_198_18_0_2");
        // Two given names that clash (a hand-made report): the first keeps it.
        let mut a = device("198.18.0.1", None, None, None);
        a.camera_name = Some("porch".into());
        let mut b = device("198.18.0.2", None, None, None);
        b.camera_name = Some("porch".into());
        let got = names(&[a, b], &[(1, false)]);
        assert_eq!((got[0].0.as_str(), got[1].0.as_str()), ("porch", "porch_2"));
    }

    #[test]
    fn names_that_a_tool_reserves_or_misreads() {
        let devices = [
            device("198.18.0.1", Some("All"), None, None),
            device("198.18.0.2", Some("Birdseye"), None, None),
            device("198.18.0.3", Some("all others"), None, None),
            device("198.18.0.4", Some("on"), None, None),
            device("198.18.0.5", Some("1e3"), None, None),
            device("198.18.0.6", Some("-evil"), None, None),
            device("198.18.0.7", Some("../../etc"), None, None),
        ];
        let got = names(&devices, &[(1, true)]);
        assert_eq!(got[0].0, "all_cam");
        assert_eq!(got[0].1, "allcam");
        assert_eq!(got[1].0, "birdseye_cam");
        assert_eq!(got[2].0, "all_others_cam");
        assert_eq!(got[2].1, "allothers", "not reserved run together");
        assert_eq!(got[3].0, "on", "the YAML writer quotes it");
        assert_eq!(got[4].0, "1e3");
        assert_eq!(got[5].0, "evil");
        assert_eq!(got[6].0, "etc");
        for (u, c, s) in &got {
            assert!(frigate_ok(u) && frigate_ok(s), "{u} {s}");
            assert!(mediamtx_ok(c), "{c}");
        }
    }

    #[test]
    fn every_name_valid_and_unique_in_a_crowd() {
        let mut devices = Vec::new();
        let labels = [
            Some("Garage"),
            Some("garage"),
            Some("GARAGE sub"),
            None,
            Some("Кухня"),
            Some("all"),
            Some("camera 198.18.1.3"),
        ];
        for (i, l) in labels.iter().enumerate() {
            devices.push(device(&format!("198.18.1.{i}"), *l, None, None));
        }
        let wanted: Vec<Wanted<'_>> = devices
            .iter()
            .map(|device| Wanted {
                device,
                channels: vec![(1, true), (2, true)],
            })
            .collect();
        let map = assign(&wanted);
        for style in [Style::Underscore, Style::Compact] {
            let mut seen = BTreeSet::new();
            for n in map.values() {
                for name in [n.camera(style), n.sub(style)] {
                    assert!(frigate_ok(&name), "{name}");
                    if style == Style::Compact {
                        assert!(mediamtx_ok(&name), "{name}");
                    }
                    assert!(seen.insert(name.clone()), "{name} twice");
                }
            }
        }
        let keys: BTreeSet<String> = map.values().map(Names::env_key).collect();
        assert_eq!(keys.len(), devices.len(), "one variable name per device");
    }
}
