//! What a camera can do beyond giving its streams: talk-back, PTZ, events, the ONVIF services and
//! profiles it claims, the login schemes each service offers, which stream is for recording and
//! which for detection, and which streams a browser plays. The device's `capabilities` object,
//! versioned on its own ([`CAPABILITIES_VERSION`]) so it can grow without bumping the report's
//! schema.
//!
//! Everything here was learned read-only: ONVIF `Get*` requests and RTSP DESCRIBE. A field that is
//! absent was not asked or not answered; `false` means the device said no.

use serde::{Deserialize, Serialize};

/// The `capabilities` object's version: a field added keeps it, a meaning changed bumps it.
pub const CAPABILITIES_VERSION: u32 = 1;

/// A device's capability sheet. Empty (and left out of the JSON) when nothing was learned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Capabilities {
    /// [`CAPABILITIES_VERSION`] when written.
    pub version: u32,
    /// Two-way audio: the ONVIF RTSP backchannel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub talkback: Option<Talkback>,
    /// Pan, tilt and zoom, from the ONVIF PTZ service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptz: Option<Ptz>,
    /// Events, from the ONVIF event service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Events>,
    /// The ONVIF services the device lists and the profiles (S, T, G, M...) it claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onvif: Option<OnvifServices>,
    /// The login schemes each service offered, and the one camscan used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logins: Vec<LoginSchemes>,
    /// The stream to record (the main stream) and the one to detect on (the sub stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<StreamRoles>,
    /// How a browser can play each stream, by the rule camscan's own live page uses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub playback: Vec<Playback>,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            version: CAPABILITIES_VERSION,
            talkback: None,
            ptz: None,
            events: None,
            onvif: None,
            logins: Vec::new(),
            roles: None,
            playback: Vec::new(),
        }
    }
}

impl Capabilities {
    /// Nothing was learned: the object is left out of the JSON.
    pub fn is_empty(&self) -> bool {
        self.talkback.is_none()
            && self.ptz.is_none()
            && self.events.is_none()
            && self.onvif.is_none()
            && self.logins.is_empty()
            && self.roles.is_none()
            && self.playback.is_empty()
    }
}

impl Capabilities {
    /// Fold in what another source learned. A talk-back that worked beats one that did not (a
    /// second stream may carry the backchannel); other facts fill what is missing; login schemes
    /// are kept per service. Roles and playback are derived from the streams, not merged.
    pub fn merge(&mut self, other: Capabilities) {
        match (&self.talkback, other.talkback) {
            (None, t) => self.talkback = t,
            (Some(mine), Some(t)) if !mine.supported && t.supported => self.talkback = Some(t),
            (Some(mine), Some(t)) if mine.supported == t.supported => {
                let mut keep = mine.clone();
                keep.audio_outputs = keep.audio_outputs.or(t.audio_outputs);
                self.talkback = Some(keep);
            }
            _ => {}
        }
        if self.ptz.is_none() {
            self.ptz = other.ptz;
        }
        if self.events.is_none() {
            self.events = other.events;
        }
        match (&mut self.onvif, other.onvif) {
            (None, o) => self.onvif = o,
            (Some(mine), Some(o)) => {
                for p in o.profiles {
                    if !mine.profiles.contains(&p) {
                        mine.profiles.push(p);
                    }
                }
                for s in o.services {
                    if !mine.services.contains(&s) {
                        mine.services.push(s);
                    }
                }
                mine.profiles.sort();
                mine.services.sort();
            }
            _ => {}
        }
        for l in other.logins {
            match self.logins.iter_mut().find(|x| x.service == l.service) {
                Some(x) => {
                    for o in l.offered {
                        if !x.offered.contains(&o) {
                            x.offered.push(o);
                        }
                    }
                    x.offered.sort_by_key(|o| login_rank(o));
                    x.used = x.used.take().or(l.used);
                }
                None => self.logins.push(l),
            }
        }
        self.logins.sort_by(|a, b| a.service.cmp(&b.service));
    }
}

/// Serde's `skip_serializing_if` for a device's capabilities.
pub fn no_capabilities(c: &Capabilities) -> bool {
    c.is_empty()
}

/// Whether the device talks back: a DESCRIBE of a stream with
/// `Require: www.onvif.org/ver20/backchannel` (ONVIF Streaming Specification, "Back channel
/// connection").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Talkback {
    pub supported: bool,
    /// The stream URL the DESCRIBE asked (never with credentials).
    pub url: String,
    /// The backchannel's audio codec (`pcmu`, `pcma`, `aac`, `g726`...), lowercase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<u16>,
    /// What the answer was: `sendonly audio section`, `551 Option not supported`, `no sendonly
    /// audio section`...
    pub evidence: String,
    /// Audio outputs ONVIF media lists (`GetAudioOutputs`), when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_outputs: Option<u32>,
}

/// The ONVIF PTZ service's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub struct Ptz {
    /// PTZ nodes (`GetNodes`).
    pub nodes: u32,
    /// Move kinds the nodes support: any absolute, relative or continuous pan/tilt or zoom space.
    pub absolute: bool,
    pub relative: bool,
    pub continuous: bool,
    /// A relative pan/tilt space in field-of-view units
    /// (`http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov`).
    pub fov_relative: bool,
    /// Every space URI the nodes list, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spaces: Vec<String>,
    /// Presets the node holds (`MaximumNumberOfPresets`), or the ones `GetPresets` listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presets: Option<u32>,
    /// The node has a home position.
    pub home: bool,
    /// `GetStatus` reports `MoveStatus` (idle or moving): needed to know when a move ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_status: Option<bool>,
    /// The profile's PTZ configuration's default relative pan/tilt translation space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_relative_space: Option<String>,
    /// Whether Frigate's autotracking can drive it, and why not.
    pub autotracking: Readiness,
}

/// Ready or not, with the reason either way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub struct Readiness {
    pub ready: bool,
    pub reason: String,
}

/// The ONVIF event service's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub struct Events {
    /// `WSPullPointSupport` in the event service's capabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_point: Option<bool>,
    /// `WSSubscriptionPolicySupport`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_policy: Option<bool>,
    /// The topics `GetEventProperties` announces (`tns1:RuleEngine/CellMotionDetector/Motion`...),
    /// sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
}

impl Events {
    /// A topic about motion (cell motion, motion alarm, a video-analytics motion rule).
    pub fn has_motion(&self) -> bool {
        self.topics
            .iter()
            .any(|t| t.to_ascii_lowercase().contains("motion"))
    }
}

/// The ONVIF services a device lists and the profiles it claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub struct OnvifServices {
    /// ONVIF profiles claimed in the WS-Discovery scopes (`onvif://www.onvif.org/Profile/S`):
    /// `S`, `T`, `G`, `M`..., sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// Services `GetServices` listed, by short name: `device`, `media`, `media2`, `ptz`,
    /// `events`, `imaging`, `deviceio`, `analytics`, `recording`..., sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
}

impl OnvifServices {
    pub fn has(&self, service: &str) -> bool {
        self.services.iter().any(|s| s == service)
    }
}

/// The login schemes one service offered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LoginSchemes {
    /// `rtsp://198.18.0.10:554`, `http://198.18.0.10:80`, `onvif http://198.18.0.10:80`.
    pub service: String,
    /// What it offered, strongest first ([`login_rank`]): `digest-sha-256`,
    /// `digest-sha-256-sess`, `digest-sha-512-256`, `digest-md5` (Digest without `algorithm=`
    /// is MD5, RFC 7616 §3.3), `digest-md5-sess`, `ws-usernametoken`, `basic`, `bearer`, or
    /// another challenge's scheme name lowercased.
    pub offered: Vec<String>,
    /// The scheme camscan logged in with, when it did: one of `offered`, or
    /// `ws-usernametoken-text` (an ONVIF PasswordText token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<String>,
}

/// Where a login scheme stands, strongest first (lower is stronger), for ordering
/// [`LoginSchemes::offered`]. Digest with SHA-256 before SHA-512/256 (both 256-bit hashes RFC
/// 7616 §1 adds) before MD5 (which RFC 7616 §1 keeps for backward compatibility), then
/// ONVIF's WS-UsernameToken PasswordDigest (SHA-1 of nonce, time and password), Basic and a
/// PasswordText token (the password itself), Bearer, and any other scheme.
pub fn login_rank(scheme: &str) -> u8 {
    match scheme {
        "digest-sha-256" => 0,
        "digest-sha-256-sess" => 1,
        "digest-sha-512-256" => 2,
        "digest-sha-512-256-sess" => 3,
        "digest-md5" => 4,
        "digest-md5-sess" => 5,
        s if s.starts_with("digest") => 6,
        "ws-usernametoken" => 7,
        "basic" => 8,
        "ws-usernametoken-text" => 9,
        "bearer" => 10,
        _ => 11,
    }
}

/// The streams to record and to detect on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub struct StreamRoles {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<StreamRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detect: Option<StreamRole>,
}

/// One stream chosen for a role, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StreamRole {
    pub url: String,
    pub reason: String,
}

/// How a browser plays one stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Playback {
    pub url: String,
    /// `everywhere` (H.264 in MSE or WebRTC; MJPEG as an image), `some` (H.265: where the browser
    /// decodes it), or `none` (needs transcoding or a player).
    pub browsers: BrowserSupport,
    /// How: `mse`, `webrtc`, `image`; empty when no browser plays it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BrowserSupport {
    Everywhere,
    Some,
    None,
}

impl BrowserSupport {
    pub fn as_str(self) -> &'static str {
        match self {
            BrowserSupport::Everywhere => "everywhere",
            BrowserSupport::Some => "some",
            BrowserSupport::None => "none",
        }
    }
}

impl Talkback {
    /// `yes (pcmu 8000 Hz)`, `no (551 Option not supported)`.
    pub fn summary(&self) -> String {
        if self.supported {
            let mut what = Vec::new();
            if let Some(c) = &self.codec {
                what.push(c.clone());
            }
            if let Some(r) = self.sample_rate {
                what.push(format!("{r} Hz"));
            }
            if what.is_empty() {
                "yes".into()
            } else {
                format!("yes ({})", what.join(" "))
            }
        } else {
            format!("no ({})", self.evidence)
        }
    }
}

impl Ptz {
    /// `absolute, relative, continuous; 256 presets; home`.
    pub fn summary(&self) -> String {
        let mut moves: Vec<&str> = Vec::new();
        for (on, name) in [
            (self.absolute, "absolute"),
            (self.relative, "relative"),
            (self.continuous, "continuous"),
        ] {
            if on {
                moves.push(name);
            }
        }
        let mut parts = vec![if moves.is_empty() {
            "no moves listed".to_string()
        } else {
            moves.join(", ")
        }];
        if self.fov_relative {
            parts.push("field-of-view moves".into());
        }
        if let Some(p) = self.presets {
            parts.push(format!("{p} presets"));
        }
        if self.home {
            parts.push("home".into());
        }
        parts.join("; ")
    }
}

impl Events {
    /// `pull-point; 5 topics (motion)`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        match self.pull_point {
            Some(true) => parts.push("pull-point".to_string()),
            Some(false) => parts.push("no pull-point".to_string()),
            None => {}
        }
        if !self.topics.is_empty() {
            let n = self.topics.len();
            let mut t = format!("{n} topic{}", if n == 1 { "" } else { "s" });
            if self.has_motion() {
                t.push_str(" (motion)");
            }
            parts.push(t);
        }
        if parts.is_empty() {
            "event service".into()
        } else {
            parts.join("; ")
        }
    }
}

impl LoginSchemes {
    /// `rtsp://198.18.0.10:554 digest-sha-256 (used), digest-md5`.
    pub fn summary(&self) -> String {
        let offered: Vec<String> = self
            .offered
            .iter()
            .map(|o| {
                if self.used.as_deref() == Some(o.as_str()) {
                    format!("{o} (used)")
                } else {
                    o.clone()
                }
            })
            .collect();
        format!("{} {}", self.service, offered.join(", "))
    }
}

impl Capabilities {
    /// One line per capability learned, for people: `talk-back: yes (pcmu 8000 Hz)`, `PTZ:
    /// absolute, relative; autotracking: no (...)`, `events: pull-point; 3 topics (motion)`,
    /// `ONVIF: Profile S, T`. Roles and playback are per stream and shown beside the streams.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = &self.talkback {
            out.push(format!("talk-back: {}", t.summary()));
        }
        if let Some(p) = &self.ptz {
            out.push(format!("PTZ: {}", p.summary()));
            out.push(format!(
                "autotracking: {} ({})",
                if p.autotracking.ready { "ready" } else { "no" },
                p.autotracking.reason
            ));
        }
        if let Some(e) = &self.events {
            out.push(format!("events: {}", e.summary()));
        }
        if let Some(o) = &self.onvif
            && !o.profiles.is_empty()
        {
            out.push(format!("ONVIF: Profile {}", o.profiles.join(", ")));
        }
        out
    }

    /// The roles a stream plays: `record`, `detect`, both, or none.
    pub fn roles_of(&self, url: &str) -> Vec<&'static str> {
        let Some(r) = &self.roles else {
            return Vec::new();
        };
        let mut v = Vec::new();
        if r.record.as_ref().is_some_and(|x| x.url == url) {
            v.push("record");
        }
        if r.detect.as_ref().is_some_and(|x| x.url == url) {
            v.push("detect");
        }
        v
    }

    /// How a browser plays the stream at `url`, when judged.
    pub fn playback_of(&self, url: &str) -> Option<&Playback> {
        self.playback.iter().find(|p| p.url == url)
    }
}
