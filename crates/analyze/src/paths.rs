//! RTSP stream paths per vendor, ordered by who made the device, and the channel schemes of
//! multi-channel devices.
//!
//! The paths are data: `data/rtsp_paths.yaml`, each entry citing the maker's manual, API or
//! knowledge-base page, with the user's knowledge files before it ([`knowledge`]). A walk
//! ([`plan`]) asks, in order:
//!
//! 1. the user's paths (`--paths`, mDNS announcements);
//! 2. the paths of the makers the device's clues name ([`super::identity`]): the maker that
//!    decided, then every other one named, each followed by its platform; entries for the
//!    device's model before the maker's others;
//! 3. every user knowledge entry's paths;
//! 4. the main paths most likely by model counts (each maker's `model_count` with its OEMs'),
//!    until the first round holds [`FIRST_ROUND`] paths.
//!
//! That is the first round of a `--walk thorough` walk. The default walk ([`WalkMode::Focused`])
//! asks less of a device that names its streams: the paths it announced (ONVIF `GetStreamUri`,
//! an mDNS TXT `path`) and the user's make its first round alone; else, when a maker is named, the
//! user's paths and that maker's documented ones do. The rest of the thorough first round (the
//! other makers' main paths, the `fill`) is asked only when that round found nothing.
//!
//! When a round finds a stream, the other paths of the entries that document the path found are
//! asked too (the sub stream); when it finds nothing, the rest of the dictionary is (every other
//! main path by weight, then the others), at most [`MAX_PATHS`] in all.

use knowledge::{Knowledge, RtspPaths, VendorId};

use super::identity::Identity;

/// Paths in a walk's first round (the user's and the named makers' paths come first and are
/// never cut): the walk that finds a stream in it asks no more than the dictionary of 2025 did
/// (45 paths), so a scan of known makers is no slower.
pub const FIRST_ROUND: usize = 40;

/// Most paths asked on one port in all: a device answering none is not asked forever.
pub const MAX_PATHS: usize = 600;

/// How long the rest of the dictionary is asked on a device nothing has named: a LAN camera
/// answers a DESCRIBE in a few milliseconds (the whole rest in well under a second), a media
/// server such as VLC in 25 ms, and a server whose streams are named by its user is not worth
/// seconds of guessing.
pub const REST_TIME: std::time::Duration = std::time::Duration::from_secs(1);

/// The same for a device whose maker is named (an OEM whose documented paths did not serve may
/// run another maker's firmware).
pub const REST_TIME_NAMED: std::time::Duration = std::time::Duration::from_secs(3);

/// Vendor named by an RTSP `Server` header or auth realm: the registry's aliases (whole words) and
/// realm prefixes (`data/vendors.yaml`; nmap service probes, Cameradar #347), first match in
/// registry order.
pub fn vendor_from_evidence(server: Option<&str>, realm: Option<&str>) -> Option<VendorId> {
    knowledge::get().vendor_named_in(server, realm)
}

/// A port's walk: the first round, the fill (the other makers' main paths a focused walk leaves
/// out of its first round; empty in a thorough walk) and the rest, each asked only when what went
/// before found nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    pub first: Vec<String>,
    pub fill: Vec<String>,
    pub rest: Vec<String>,
}

input::choices! {
    /// How much of the path dictionaries a device is asked (`--walk`).
    pub enum WalkMode {
        /// A device that names its streams (ONVIF GetStreamUri, an mDNS TXT path) is asked those; a device whose maker is named, that maker's documented paths (RTSP) and its paths and device API (web); other makers' RTSP paths only when none of those served, the whole web dictionary only when no maker is named
        Focused = "focused",
        /// Every RTSP port's first round asks the named makers' paths and the other makers' main paths (40 in all), and every web port the whole web dictionary, whatever the device names: an audit of rebadged devices
        Thorough = "thorough",
    }
}

/// `--walk`: how much of the path dictionaries a device is asked ([`WalkMode`]): an RTSP port's
/// walk, and a web port's dictionary, fingerprint probes, WHEP guesses and media folders
/// (`http::focus`).
pub static WALK: input::setting::Setting<WalkMode> = input::setting::Setting {
    key: "walk",
    flag: "--walk",
    short: None,
    repeat: input::setting::Repeat::Once,
    env: "CAMSCAN_WALK",
    value_name: "WALK",
    help: "How much of the path dictionaries a device is asked: `focused` asks a camera the \
           paths it names (ONVIF, mDNS) or its maker documents, other makers' RTSP paths only \
           when none served and the whole web dictionary only when no maker is named; \
           `thorough` asks every port the other makers' paths too [default: focused]",
    default: WalkMode::Focused,
    choices: Some(input::choice::named::<WalkMode>),
    parse: input::choice::one::<WalkMode>,
};

/// The walk for a device with `identity` (see the module docs): `extra` first, the paths the
/// device `announced` (ONVIF, mDNS) then the user's.
pub fn plan(extra: &[String], announced: usize, identity: &Identity, mode: WalkMode) -> Walk {
    plan_mode(knowledge::get(), extra, announced, identity, mode)
}

/// `p` with a leading `/`.
fn slashed(p: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    }
}

fn push(out: &mut Vec<String>, p: &str) {
    let p = slashed(p);
    if !out.contains(&p) {
        out.push(p);
    }
}

/// The entries of `vendor`, those for `model` first, then the vendor's general ones, then its
/// other models'.
fn entries_of<'k>(k: &'k Knowledge, vendor: &str, model: Option<&str>) -> Vec<&'k RtspPaths> {
    let of = |e: &&RtspPaths| e.vendor == vendor;
    let for_model = |e: &&RtspPaths| {
        model.is_some_and(|m| {
            e.models
                .iter()
                .any(|p| knowledge::firmware::model_matches(p, m))
        })
    };
    let mut out: Vec<&RtspPaths> = k.rtsp_paths.iter().filter(of).filter(for_model).collect();
    out.extend(
        k.rtsp_paths
            .iter()
            .filter(of)
            .filter(|e| e.models.is_empty()),
    );
    out.extend(
        k.rtsp_paths
            .iter()
            .filter(of)
            .filter(|e| !e.models.is_empty() && !for_model(e)),
    );
    out
}

/// A maker's documented main path ([`main_path`]) and the port its entry documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainPath {
    pub path: String,
    /// The RTSP port the entry documents, when it is not 554.
    pub port: Option<u16>,
}

/// `vendor`'s documented main path: the first path of its first entry (its general entries before
/// those for some models), else its platform's; what a walk that names the maker asks first.
pub fn main_path(k: &'static Knowledge, vendor: VendorId) -> Option<MainPath> {
    std::iter::once(vendor)
        .chain(k.platform_of(vendor))
        .find_map(|m| entries_of(k, m.as_str(), None).first().copied())
        .map(|e| MainPath {
            path: slashed(&e.paths[0]),
            port: e.port,
        })
}

/// Each vendor with RTSP paths, most models first (its own `model_count` and its OEMs'); ties in
/// file order.
pub fn by_weight(k: &'static Knowledge) -> Vec<VendorId> {
    let mut vendors: Vec<VendorId> = Vec::new();
    for e in &k.rtsp_paths {
        if let Some(v) = k.vendor(&e.vendor)
            && !vendors.contains(&v)
        {
            vendors.push(v);
        }
    }
    let weights = weights(k);
    vendors.sort_by_key(|v| std::cmp::Reverse(weights.get(v.as_str()).copied().unwrap_or(0)));
    vendors
}

/// Each vendor's model count with the counts of the makers whose platform it is, by id. A vendor
/// extended by a user file takes the first `model_count` and `platform` its entries give (as
/// [`Knowledge::platform_of`] reads it).
fn weights(k: &Knowledge) -> std::collections::HashMap<&str, u64> {
    let mut own: std::collections::HashMap<&str, (Option<u32>, Option<&str>)> = Default::default();
    for v in &k.vendors {
        let e = own.entry(v.id.as_str()).or_default();
        e.0 = e.0.or(v.model_count);
        e.1 = e.1.or(v.platform.as_deref());
    }
    let mut total: std::collections::HashMap<&str, u64> = own
        .iter()
        .map(|(id, (n, _))| (*id, u64::from(n.unwrap_or(0))))
        .collect();
    for (n, platform) in own.values() {
        if let Some(p) = platform {
            *total.entry(p).or_default() += u64::from(n.unwrap_or(0));
        }
    }
    total
}

/// A thorough [`plan`] from the RTSP paths of `k` (user entries, then the embedded ones).
pub fn plan_in(k: &'static Knowledge, extra: &[String], identity: &Identity) -> Walk {
    plan_mode(k, extra, 0, identity, WalkMode::Thorough)
}

/// [`plan`] from the RTSP paths of `k`: the first `announced` of `extra` are the device's own.
pub fn plan_mode(
    k: &'static Knowledge,
    extra: &[String],
    announced: usize,
    identity: &Identity,
    mode: WalkMode,
) -> Walk {
    let model = identity.model.as_deref();
    let mut first: Vec<String> = Vec::new();
    for p in extra {
        push(&mut first, p);
    }
    let given = first.len();
    for (i, m) in identity.makers.iter().enumerate() {
        // The model names the device of the deciding maker (and its platform), not the others.
        let model = if i == 0 || Some(*m) == identity.maker().and_then(|d| k.platform_of(d)) {
            model
        } else {
            None
        };
        for e in entries_of(k, m.as_str(), model) {
            for p in &e.paths {
                push(&mut first, p);
            }
        }
    }
    let makers = first.len() > given;
    let user = |e: &&RtspPaths| matches!(k.origin(e.from), knowledge::Origin::User(_));
    for e in k.rtsp_paths.iter().filter(user) {
        for p in &e.paths {
            push(&mut first, p);
        }
    }
    let documented = first.len();
    let ranked = by_weight(k);
    let mains: Vec<&str> = ranked
        .iter()
        .filter_map(|v| {
            entries_of(k, v.as_str(), None)
                .first()
                .map(|e| e.paths[0].as_str())
        })
        .collect();
    for p in &mains {
        if first.len() >= FIRST_ROUND {
            break;
        }
        push(&mut first, p);
    }
    let mut all = first.clone();
    for p in &mains {
        push(&mut all, p);
    }
    for v in &ranked {
        for e in entries_of(k, v.as_str(), None) {
            for p in &e.paths {
                push(&mut all, p);
            }
        }
    }
    all.truncate(MAX_PATHS.max(first.len()));
    let rest = all.split_off(first.len());
    // A focused walk's first round ends after what the device announced (and the user's paths),
    // else after its makers' documented paths; a device nothing names gets the whole round.
    let cut = match mode {
        WalkMode::Thorough => first.len(),
        WalkMode::Focused if announced > 0 => given,
        WalkMode::Focused if makers => documented,
        WalkMode::Focused => first.len(),
    };
    let fill = first.split_off(cut);
    Walk { first, fill, rest }
}

/// The other paths of the entries that document `found` (a path that served a stream): its sub
/// stream and the entry's other streams, in the file's order, leaving out `asked`. Only the
/// entries holding the path: a maker's other product lines are not asked of a device whose line
/// is known. Where an entry of one of `makers` (the device's, as a focused walk decided them)
/// holds the path, only those makers' entries: an OEM whose manual prints its source maker's path
/// beside its own (Advidia's lists Hikvision's `/Streaming/Channels/101` after Uniview's
/// `/media/video1`) does not send a Hikvision camera Uniview's paths (issue 83).
pub fn siblings(found: &str, asked: &[String], makers: &[VendorId]) -> Vec<String> {
    siblings_in(knowledge::get(), found, asked, makers)
}

/// [`siblings`] from the RTSP paths of `k`.
pub fn siblings_in(
    k: &Knowledge,
    found: &str,
    asked: &[String],
    makers: &[VendorId],
) -> Vec<String> {
    let found = slashed(found);
    let holds = |e: &&RtspPaths| e.paths.iter().any(|p| slashed(p) == found);
    let of_makers = |e: &&RtspPaths| makers.iter().any(|m| m.as_str() == e.vendor);
    let makers_hold = k.rtsp_paths.iter().filter(holds).any(|e| of_makers(&e));
    let mut out = Vec::new();
    for e in k
        .rtsp_paths
        .iter()
        .filter(holds)
        .filter(|e| !makers_hold || of_makers(e))
    {
        for p in &e.paths {
            let p = slashed(p);
            if !asked.contains(&p) && !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// How the login went on a port whose walk found no stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// No path asked for one.
    NotAsked,
    /// Every path asked for one and camscan had no credential for the address.
    NoCredential,
    /// A credential was accepted.
    Accepted,
    /// This many credentials were refused.
    Refused(usize),
    /// The device refused a credential that had worked: no more logins were sent.
    Locked,
}

/// The one line that says why a port with an open RTSP server has no stream in the report:
/// which maker was assumed from which evidence, how many paths were asked, what the device
/// answered, and what to do.
pub fn why_none(
    identity: &Identity,
    asked: usize,
    answers: &std::collections::BTreeMap<u16, u32>,
    login: &Login,
) -> String {
    let maker = match &identity.by {
        Some(c) => format!(
            "maker {} assumed from the {}",
            c.maker.display_name(),
            c.source.label()
        ),
        None => "no maker named by any evidence".to_string(),
    };
    let total: u32 = answers.values().sum();
    let only =
        |codes: &[u16]| total > 0 && answers.iter().all(|(s, n)| codes.contains(s) || *n == 0);
    let said = if total == 0 {
        "no answer".to_string()
    } else if only(&[404]) {
        "404 to every path".to_string()
    } else if only(&[401]) {
        "401 (login) to every path".to_string()
    } else {
        answers
            .iter()
            .map(|(s, n)| format!("{s} x{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let todo = match login {
        Login::NoCredential => "give a credential (--credentials)",
        Login::Refused(_) => "check the credential (refused)",
        Login::Locked => "wait for the lockout to end, then scan again",
        _ if only(&[400, 454]) || answers.contains_key(&400) || answers.contains_key(&454) => {
            "give the camera's documented path with --paths, or enable ONVIF so GetStreamUri names it"
        }
        _ => {
            "give the camera's documented path with --paths (a line /path), or enable ONVIF on the camera so GetStreamUri names it"
        }
    };
    format!("no stream path found: {maker}; {asked} paths asked, {said}; {todo}")
}

/// The channel number a path names in a vendor's channel scheme (Hikvision `/Streaming/Channels/201`
/// is 2, Dahua `channel=2`, Uniview `/unicast/c2/`, Reolink `_02_`), if any.
pub fn channel_of(path: &str) -> Option<u32> {
    let digits = |s: &str| -> Option<u32> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        s[..end].parse().ok()
    };
    let lower = path.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("/streaming/channels/") {
        let id = digits(rest)?;
        return (id >= 100).then_some(id / 100);
    }
    if let Some(at) = lower.find("channel=") {
        return digits(&lower[at + "channel=".len()..]);
    }
    if let Some(rest) = lower.strip_prefix("/unicast/c") {
        return digits(rest);
    }
    for prefix in ["/preview_", "/h264preview_", "/h265preview_"] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return digits(rest);
        }
    }
    None
}

/// `true` when both paths name a channel and the channels differ: two channels of an NVR with the
/// same camera model give the same description and are still two streams.
pub fn different_channels(a: &str, b: &str) -> bool {
    matches!((channel_of(a), channel_of(b)), (Some(x), Some(y)) if x != y)
}

/// Most channels walked on one device (large NVRs have 64).
pub const MAX_CHANNELS: u32 = 64;

/// How a vendor numbers channels and streams in its paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelScheme {
    /// `/Streaming/Channels/<ch><01|02>`
    Hikvision,
    /// `/cam/realmonitor?channel=<ch>&subtype=<0|1>`
    Dahua,
    /// `/unicast/c<ch>/s<0|1>/live`
    Uniview,
    /// `/Preview_<cc>_main|sub` (and the older `h264Preview_` form)
    Reolink { prefix: &'static str },
}

impl ChannelScheme {
    /// The scheme a found channel-1 path belongs to, if any.
    pub fn of(path: &str) -> Option<ChannelScheme> {
        Some(match path {
            "/Streaming/Channels/101" | "/Streaming/Channels/102" => ChannelScheme::Hikvision,
            p if p.starts_with("/cam/realmonitor?channel=1&subtype=") => ChannelScheme::Dahua,
            p if p.starts_with("/unicast/c1/") => ChannelScheme::Uniview,
            p if p.starts_with("/Preview_01_") => ChannelScheme::Reolink { prefix: "Preview" },
            p if p.starts_with("/h264Preview_01_") => ChannelScheme::Reolink {
                prefix: "h264Preview",
            },
            _ => return None,
        })
    }

    /// Main and sub stream paths of channel `ch` (1-based).
    pub fn paths(self, ch: u32) -> [String; 2] {
        match self {
            ChannelScheme::Hikvision => [
                format!("/Streaming/Channels/{ch}01"),
                format!("/Streaming/Channels/{ch}02"),
            ],
            ChannelScheme::Dahua => [
                format!("/cam/realmonitor?channel={ch}&subtype=0"),
                format!("/cam/realmonitor?channel={ch}&subtype=1"),
            ],
            ChannelScheme::Uniview => [
                format!("/unicast/c{ch}/s0/live"),
                format!("/unicast/c{ch}/s1/live"),
            ],
            ChannelScheme::Reolink { prefix } => [
                format!("/{prefix}_{ch:02}_main"),
                format!("/{prefix}_{ch:02}_sub"),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::identity::{Clue, ClueSource, decide};

    /// Every path of a walk, the first round's then the rest's.
    fn candidates(extra: &[String], vendor: Option<VendorId>) -> Vec<String> {
        candidates_in(knowledge::get(), extra, vendor)
    }

    fn candidates_in(
        k: &'static Knowledge,
        extra: &[String],
        vendor: Option<VendorId>,
    ) -> Vec<String> {
        let clues: Vec<Clue> = vendor
            .map(|maker| Clue {
                source: ClueSource::RtspServer,
                maker,
                model: None,
                said: String::new(),
                named_by: None,
            })
            .into_iter()
            .collect();
        let w = plan_in(k, extra, &decide(k, &clues));
        w.first.into_iter().chain(w.rest).collect()
    }

    #[test]
    fn user_paths_first_and_deduplicated() {
        let c = candidates(&["my/cam".into(), "/11".into()], None);
        assert_eq!(&c[..3], ["/my/cam", "/11", "/Streaming/Channels/101"]);
        assert_eq!(c.iter().filter(|p| *p == "/11").count(), 1);
    }

    /// The id of the vendor the evidence names.
    fn named(server: Option<&str>, realm: Option<&str>) -> Option<&'static str> {
        vendor_from_evidence(server, realm).map(VendorId::as_str)
    }

    #[test]
    fn evidence_puts_the_vendor_first() {
        let c = candidates(&[], knowledge::get().vendor("dahua"));
        assert_eq!(c[0], "/cam/realmonitor?channel=1&subtype=0");
        assert_eq!(named(Some("Dahua Rtsp Server"), None), Some("dahua"));
        assert_eq!(named(None, Some("IP Camera(C1234)")), Some("hikvision"));
        assert_eq!(named(Some("H264DVR 1.0"), None), Some("xmeye"));
        assert_eq!(named(Some("GStreamer RTSP server"), None), None);
    }

    #[test]
    fn user_paths_come_before_the_built_in_ones() {
        let file = "rtsp_paths:\n  - vendor: dahua\n    paths: [/dahua/extra]\n    source: our DVR\n  - vendor: axis\n    paths: [/axis/extra]\n    source: our encoder\n";
        let k: &'static Knowledge = Box::leak(Box::new(
            Knowledge::with_user_files(&[("mine.yaml".into(), file.into())]).unwrap(),
        ));
        // No vendor named: the user's paths first, then the built-in dictionary in its order.
        let c = candidates_in(k, &["/hint".into()], None);
        assert_eq!(
            c[..4],
            [
                "/hint",
                "/dahua/extra",
                "/axis/extra",
                "/Streaming/Channels/101"
            ]
        );
        assert_eq!(c.len(), candidates(&[], None).len() + 3);
        // The named vendor's paths, the user's first, then everyone else's.
        let c = candidates_in(k, &[], k.vendor("axis"));
        assert_eq!(
            c[..4],
            [
                "/axis/extra",
                "/axis-media/media.amp",
                "/onvif-media/media.amp",
                "/dahua/extra"
            ]
        );
    }

    /// A clue of `source` naming `maker` (and `model`).
    fn clue(k: &'static Knowledge, maker: &str, source: ClueSource, model: Option<&str>) -> Clue {
        Clue {
            source,
            maker: k.vendor(maker).unwrap(),
            model: model.map(str::to_string),
            said: String::new(),
            named_by: None,
        }
    }

    /// A focused walk's first round: what the device announced (and the user's paths) alone;
    /// else a named maker's documented paths; else the thorough round. What it leaves out is
    /// the fill, asked (before the rest) only when the round found nothing; nothing is lost.
    #[test]
    fn a_focused_walk_asks_what_the_device_names_first() {
        let k = knowledge::get();
        let none = decide(k, &[]);
        let hik = decide(k, &[clue(k, "hikvision", ClueSource::Mac, None)]);
        let onvif = vec!["/onvif/ch101".to_string(), "/onvif/ch102".to_string()];
        let thorough = plan_in(k, &onvif, &hik);
        let named = plan_mode(k, &onvif, 2, &hik, WalkMode::Focused);
        assert_eq!(named.first, onvif);
        assert_eq!(named.fill[0], "/Streaming/Channels/101", "{named:?}");
        let all = |w: &Walk| -> Vec<String> {
            w.first
                .iter()
                .chain(&w.fill)
                .chain(&w.rest)
                .cloned()
                .collect()
        };
        assert_eq!(all(&named), all(&thorough));
        assert!(thorough.fill.is_empty());
        // A maker named, nothing announced: its documented paths, no other maker's.
        let maker = plan_mode(k, &[], 0, &hik, WalkMode::Focused);
        assert_eq!(maker.first[0], "/Streaming/Channels/101");
        let hikvision: Vec<String> = entries_of(k, "hikvision", None)
            .iter()
            .flat_map(|e| e.paths.iter().map(|p| slashed(p)))
            .collect();
        assert!(
            maker.first.iter().all(|p| hikvision.contains(p)),
            "{:?}",
            maker.first
        );
        assert!(!maker.fill.is_empty());
        assert_eq!(all(&maker), all(&plan_in(k, &[], &hik)));
        // Nothing named: the thorough round.
        assert_eq!(
            plan_mode(k, &[], 0, &none, WalkMode::Focused),
            plan_in(k, &[], &none)
        );
        // The user's paths alone name nothing: the round stays whole.
        let user = vec!["/mine".to_string()];
        assert_eq!(
            plan_mode(k, &user, 0, &none, WalkMode::Focused),
            plan_in(k, &user, &none)
        );
    }

    #[test]
    fn the_named_makers_paths_go_first_then_their_platforms() {
        let k = knowledge::get();
        // Sunell's main stream is not in the first round of an unknown device (few catalogued
        // models), and first once an ONVIF answer names Sunell.
        let main = "/snl/live/1/1".to_string();
        let unknown = plan_in(k, &[], &Identity::default());
        assert!(!unknown.first.contains(&main));
        assert!(unknown.rest.contains(&main));
        let sunell = decide(k, &[clue(k, "sunell", ClueSource::OnvifDevice, None)]);
        assert_eq!(plan_in(k, &[], &sunell).first[0], main);
        // i-PRO, with 354 catalogued models, is in the first round unnamed, and first named.
        let ipro = "/Src/MediaInput/stream_1".to_string();
        assert!(unknown.first.contains(&ipro));
        let named = decide(k, &[clue(k, "i-pro", ClueSource::OnvifDevice, None)]);
        assert_eq!(plan_in(k, &[], &named).first[0], ipro);
        // An OEM: its own paths, then its platform's (Annke runs Hikvision's).
        let annke = decide(k, &[clue(k, "annke", ClueSource::OnvifDevice, None)]);
        assert_eq!(
            annke.makers[..2],
            [k.vendor("annke").unwrap(), k.vendor("hikvision").unwrap()]
        );
        let w = plan_in(k, &[], &annke);
        let hik = w
            .first
            .iter()
            .position(|p| p == "/Streaming/Channels/101")
            .unwrap();
        assert!(hik < 8, "{:?}", &w.first[..hik + 1]);
        // A conflict: the device API says ABUS, the MAC says Hikvision: ABUS first (the more
        // trusted source), Hikvision's paths right after, and both reported.
        let id = decide(
            k,
            &[
                clue(k, "hikvision", ClueSource::Mac, None),
                clue(k, "abus", ClueSource::OnvifDevice, Some("IPCB42501")),
            ],
        );
        assert_eq!(id.maker(), k.vendor("abus"));
        assert_eq!(id.model.as_deref(), Some("IPCB42501"));
        assert_eq!(
            id.others,
            [(k.vendor("hikvision").unwrap(), ClueSource::Mac)]
        );
        let w = plan_in(k, &[], &id);
        assert_eq!(w.first[..3], ["/h264", "/mpeg4", "/Streaming/Channels/101"]);
        // The user's paths always come first.
        let w = plan_in(k, &["/mine".into()], &id);
        assert_eq!(w.first[..2], ["/mine", "/h264"]);
    }

    #[test]
    fn a_models_entry_goes_first_for_that_model() {
        let k = knowledge::get();
        let multi = decide(
            k,
            &[clue(
                k,
                "hanwha",
                ClueSource::OnvifDevice,
                Some("PNM-9084RQZ"),
            )],
        );
        assert_eq!(plan_in(k, &[], &multi).first[0], "/0/profile2/media.smp");
        let single = decide(
            k,
            &[clue(
                k,
                "hanwha",
                ClueSource::OnvifDevice,
                Some("XNV-8080R"),
            )],
        );
        let w = plan_in(k, &[], &single);
        assert_eq!(w.first[..2], ["/profile2/media.smp", "/profile3/media.smp"]);
    }

    #[test]
    fn a_found_path_brings_its_makers_other_paths() {
        let k = knowledge::get();
        let asked = vec!["/Src/MediaInput/stream_1".to_string()];
        let s = siblings_in(k, "/Src/MediaInput/stream_1", &asked, &[]);
        assert_eq!(s[0], "/Src/MediaInput/stream_2");
        assert!(!s.contains(&asked[0]));
        assert!(siblings_in(k, "/nobody/documents/this", &[], &[]).is_empty());
    }

    /// Hikvision's `/Streaming/Channels/101` is also in an OEM's entry beside Uniview's paths:
    /// a device whose maker is Hikvision gets Hikvision's siblings only; one whose maker nothing
    /// named, every entry's.
    #[test]
    fn a_named_makers_path_brings_only_that_makers_siblings() {
        let k = knowledge::get();
        let hik = k.vendor("hikvision").unwrap();
        let asked = vec!["/Streaming/Channels/101".to_string()];
        let named = siblings_in(k, &asked[0], &asked, &[hik]);
        assert_eq!(
            named,
            ["/Streaming/Channels/102", "/Streaming/Channels/103"]
        );
        let unnamed = siblings_in(k, &asked[0], &asked, &[]);
        assert!(
            unnamed.contains(&"/media/video1".to_string()),
            "{unnamed:?}"
        );
        // A maker none of whose entries holds the path: every entry's, as with no maker.
        let axis = k.vendor("axis").unwrap();
        assert_eq!(siblings_in(k, &asked[0], &asked, &[axis]), unnamed);
    }

    #[test]
    fn the_walk_is_bounded_and_holds_every_documented_main_path() {
        let k = knowledge::get();
        let w = plan_in(k, &[], &Identity::default());
        assert_eq!(w.first.len(), FIRST_ROUND);
        assert!(w.first.len() + w.rest.len() <= MAX_PATHS);
        let all: Vec<&String> = w.first.iter().chain(&w.rest).collect();
        for e in &k.rtsp_paths {
            assert!(all.contains(&&e.paths[0]), "{} {}", e.vendor, e.paths[0]);
        }
    }

    /// The shares issue 39 asks for, printed (`cargo test --lib shares_of_makers -- --nocapture`):
    /// of the makers whose main path is documented (their own, or their platform's), how many
    /// have it asked first when evidence names the maker, within the first round when nothing
    /// does, and within the walk's bound at all.
    #[test]
    #[allow(clippy::print_stdout)] // the figures are this test's report
    fn shares_of_makers_whose_main_path_is_asked() {
        let k = knowledge::get();
        let unknown = plan_in(k, &[], &Identity::default());
        let all: Vec<&String> = unknown.first.iter().chain(&unknown.rest).collect();
        let (mut makers, mut first_try, mut first_round, mut reached) = (0, 0, 0, 0);
        let (mut models, mut models_first_round) = (0u64, 0u64);
        let mut outside = Vec::new();
        for v in &k.vendors {
            let Some(id) = k.vendor(&v.id) else { continue };
            let Some(main) = main_path(k, id).map(|m| m.path) else {
                continue;
            };
            makers += 1;
            let named = plan_in(
                k,
                &[],
                &decide(k, &[clue(k, &v.id, ClueSource::OnvifDevice, None)]),
            );
            first_try += usize::from(named.first[0] == main);
            let in_first = unknown.first.contains(&main);
            first_round += usize::from(in_first);
            reached += usize::from(all.contains(&&main));
            models += u64::from(v.model_count.unwrap_or(0));
            if in_first {
                models_first_round += u64::from(v.model_count.unwrap_or(0));
            } else {
                outside.push(v.id.as_str());
            }
        }
        let pct = |n: usize| 100.0 * n as f64 / makers as f64;
        println!(
            "makers with a documented main path: {makers}\n\
             asked first when evidence names the maker: {first_try} ({:.0}%)\n\
             in the first round ({FIRST_ROUND} paths) when nothing names it: {first_round} ({:.0}%; {:.0}% of their {models} catalogued models)\n\
             within the walk's bound ({MAX_PATHS} paths): {reached} ({:.0}%)\n\
             not in the first round: {}",
            pct(first_try),
            pct(first_round),
            100.0 * models_first_round as f64 / models.max(1) as f64,
            pct(reached),
            outside.join(" ")
        );
        assert!(makers >= 115, "{makers}");
        assert!(pct(first_try) >= 90.0);
        assert!(pct(reached) >= 95.0);
    }

    /// The walk a device gets when `clue` is all that names its maker: its first two paths (the
    /// root and the random baseline path are asked beside the walk, not in it).
    fn first_two(k: &'static Knowledge, clue: Option<Clue>) -> Vec<String> {
        let w = plan_in(k, &[], &decide(k, &Vec::from_iter(clue)));
        w.first.into_iter().take(2).collect()
    }

    /// Issue 54: every maker with a documented main path has it among the first two paths asked
    /// (a) when its RTSP `Server` header names it in plain words (`Server: ABUS`), and (b) when
    /// all that names it is a MAC from a block of one of its IEEE registry organisations (each
    /// organisation's, not only the first). `scripts/bench --zoo` measures the same on real
    /// servers.
    #[test]
    fn a_makers_name_or_mac_block_puts_its_main_path_first() {
        use crate::identity::{clue_from_mac, clue_from_rtsp};
        let k = knowledge::get();
        let (mut makers, mut blocks, mut failed) = (0, 0, Vec::new());
        for v in &k.vendors {
            let Some(id) = k.vendor(&v.id) else { continue };
            let Some(main) = main_path(k, id) else {
                continue;
            };
            makers += 1;
            let by_name = first_two(k, clue_from_rtsp(k, Some(id.display_name()), None));
            if !by_name.contains(&main.path) {
                failed.push(format!("Server: {} asks {by_name:?}", id.display_name()));
            }
            for o in &v.organisations {
                let named = knowledge::oui::macs_of(o)
                    .into_iter()
                    .map(|m| m.map(|b| format!("{b:02x}")).join(":"))
                    .find(|mac| k.mac_maker(mac).vendor == Some(id));
                let Some(mac) = named else {
                    failed.push(format!("{}: no block of {o:?} names it", v.id));
                    continue;
                };
                blocks += 1;
                let by_mac = first_two(k, clue_from_mac(k, &mac));
                if !by_mac.contains(&main.path) {
                    failed.push(format!("{}: MAC {mac} ({o}) asks {by_mac:?}", v.id));
                }
            }
        }
        assert!(failed.is_empty(), "{}", failed.join("\n"));
        assert!(makers >= 125, "{makers}");
        assert!(blocks >= 80, "{blocks}");
    }

    #[test]
    fn why_no_path_was_found() {
        let k = knowledge::get();
        let id = decide(k, &[clue(k, "milesight", ClueSource::Mac, None)]);
        let answers = [(404u16, 41u32)].into_iter().collect();
        let line = why_none(&id, 41, &answers, &Login::NotAsked);
        assert_eq!(
            line,
            "no stream path found: maker Milesight assumed from the MAC registry; 41 paths asked, 404 to every path; give the camera's documented path with --paths (a line /path), or enable ONVIF on the camera so GetStreamUri names it"
        );
        let answers = [(401u16, 1u32)].into_iter().collect();
        let line = why_none(&Identity::default(), 0, &answers, &Login::NoCredential);
        assert!(line.contains("no maker named by any evidence"), "{line}");
        assert!(line.contains("401 (login) to every path"), "{line}");
        assert!(
            line.ends_with("give a credential (--credentials)"),
            "{line}"
        );
    }

    #[test]
    fn channel_numbers_of_paths() {
        assert_eq!(channel_of("/Streaming/Channels/101"), Some(1));
        assert_eq!(channel_of("/Streaming/Channels/1202"), Some(12));
        assert_eq!(channel_of("/cam/realmonitor?channel=3&subtype=1"), Some(3));
        assert_eq!(channel_of("/unicast/c2/s0/live"), Some(2));
        assert_eq!(channel_of("/Preview_04_sub"), Some(4));
        assert_eq!(channel_of("/stream1"), None);
        assert_eq!(channel_of("/Streaming/Channels/"), None);
        assert!(different_channels(
            "/Streaming/Channels/101",
            "/Streaming/Channels/201"
        ));
        assert!(!different_channels(
            "/Streaming/Channels/101",
            "/Streaming/Channels/102"
        ));
        assert!(!different_channels("/stream1", "/Streaming/Channels/201"));
    }

    #[test]
    fn channel_schemes() {
        assert_eq!(
            ChannelScheme::of("/Streaming/Channels/101"),
            Some(ChannelScheme::Hikvision)
        );
        assert_eq!(
            ChannelScheme::Hikvision.paths(12),
            ["/Streaming/Channels/1201", "/Streaming/Channels/1202"]
        );
        assert_eq!(
            ChannelScheme::of("/cam/realmonitor?channel=1&subtype=0")
                .unwrap()
                .paths(3)[1],
            "/cam/realmonitor?channel=3&subtype=1"
        );
        assert_eq!(
            ChannelScheme::of("/Preview_01_main").unwrap().paths(2)[0],
            "/Preview_02_main"
        );
        assert_eq!(
            ChannelScheme::of("/unicast/c1/s0/live").unwrap().paths(4)[0],
            "/unicast/c4/s0/live"
        );
        assert_eq!(ChannelScheme::of("/11"), None);
    }

    /// The exports number a camera's channel as the channel walk does (`export::cameras::channel`).
    #[test]
    fn channels_as_the_channel_walk_numbers_them() {
        for url in [
            "rtsp://198.18.0.1:554/Streaming/Channels/101",
            "rtsp://198.18.0.1:554/Streaming/Channels/202",
            "rtsp://198.18.0.1/cam/realmonitor?channel=3&subtype=1",
            "rtsp://198.18.0.1/unicast/c12/s0/live",
            "rtsp://198.18.0.1/Preview_05_sub",
            "rtsp://198.18.0.1/h264Preview_01_main",
            "rtsp://198.18.0.1/live",
            "rtsp://198.18.0.1/Streaming/Channels/1",
            "rtsp://198.18.0.1/cam/realmonitor?channel=0",
            "rtmp://198.18.0.1/live/stream",
        ] {
            let path = &url[url.find("0.1").unwrap() + 3..];
            let path = path.trim_start_matches(":554");
            let walked = channel_of(path).filter(|&c| c > 0);
            assert_eq!(export::cameras::channel(url), walked.unwrap_or(1), "{url}");
        }
        assert_eq!(
            export::cameras::channel("rtsp://198.18.0.1:554/Streaming/Channels/202"),
            2
        );
        assert_eq!(
            export::cameras::channel("rtsp://198.18.0.1/unicast/c12/s0/live"),
            12
        );
    }
}
