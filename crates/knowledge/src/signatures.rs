//! HTTP fingerprint signatures and probe paths as data (`data/signatures.yaml`): the types
//! `detect::fingerprint` matches device answers against, and their file format.
//!
//! A condition is written as a one-key mapping (`- server_prefix: App-webs`), a model source as
//! `{realm: true}`, `{xml_tag: model}` or `{json_string: ProdFullName}`: plain YAML a user can write,
//! where serde_yaml's own enum form would need `!tags`.

use serde::{Deserialize, Serialize};

use super::entry::{self, Check, Context};

/// What sort of thing serves the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A camera's (or video encoder's) own web UI.
    CameraUi,
    /// A recorder: DVR/NVR box or NVR software (Frigate, ZoneMinder, Blue Iris, ...).
    Nvr,
    /// A streaming server or relay (go2rtc, MediaMTX, Janus, nginx-rtmp, Wowza, an MJPEG stream, ...).
    VideoServer,
    /// An ordinary web server: no camera signature matched (or a known non-camera page did).
    Generic,
    /// Nothing to judge (no observations). Never a signature's kind.
    Unknown,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CameraUi => "camera-ui",
            Kind::Nvr => "nvr",
            Kind::VideoServer => "video-server",
            Kind::Generic => "generic",
            Kind::Unknown => "unknown",
        }
    }

    /// Camera, recorder or video server: worth stream analysis.
    pub fn is_video(self) -> bool {
        matches!(self, Kind::CameraUi | Kind::Nvr | Kind::VideoServer)
    }
}

/// One condition of a signature; all of a signature's conditions must hold for one observation.
/// String comparisons are ASCII case-insensitive unless the name says `Case`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawMatch", into = "RawMatch")]
pub enum Match {
    /// The request path equals this (a probe path).
    Path(String),
    Status(u16),
    /// This status, while some other observation of the port got a different one: a server that
    /// answers 401 to everything says nothing by answering 401 to a vendor path.
    StatusUnlikeOthers(u16),
    ServerIs(String),
    ServerPrefix(String),
    ServerContains(String),
    /// No `Server` header at all.
    NoServer,
    RealmPrefix(String),
    RealmContainsCase(String),
    /// The realm starts with this (case-sensitive) followed by a digit; the realm is then a model name.
    RealmModel(String),
    TitleIs(String),
    TitlePrefix(String),
    TitleContains(String),
    /// The title starts with this whole word, case-sensitive (`AXIS M1054`, not `Axis2`, not
    /// `Polycom CloudAXIS`, not a blog title that mentions AXIS halfway).
    TitleStartsWordCase(String),
    /// The body contains this.
    Body(String),
    ContentTypePrefix(String),
    /// A header whose name is spelled exactly so (e.g. all upper case).
    HeaderSpelledCase(String),
    /// Header `.0` contains `.1`.
    Header(String, String),
}

/// A condition as written: exactly one key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_unlike_others: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_is: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_contains: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    no_server: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    realm_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    realm_contains_case: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    realm_model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title_is: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title_contains: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title_starts_word_case: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    header_spelled_case: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<RawHeader>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: String,
    contains: String,
}

impl TryFrom<RawMatch> for Match {
    type Error = String;

    fn try_from(r: RawMatch) -> Result<Match, String> {
        let text = |key: &str, v: Option<String>| -> Option<Result<Match, String>> {
            let v = v?;
            Some(if v.is_empty() {
                Err(format!("condition `{key}` is empty"))
            } else {
                Ok(match key {
                    "path" => Match::Path(v),
                    "server_is" => Match::ServerIs(v),
                    "server_prefix" => Match::ServerPrefix(v),
                    "server_contains" => Match::ServerContains(v),
                    "realm_prefix" => Match::RealmPrefix(v),
                    "realm_contains_case" => Match::RealmContainsCase(v),
                    "realm_model" => Match::RealmModel(v),
                    "title_is" => Match::TitleIs(v),
                    "title_prefix" => Match::TitlePrefix(v),
                    "title_contains" => Match::TitleContains(v),
                    "title_starts_word_case" => Match::TitleStartsWordCase(v),
                    "body" => Match::Body(v),
                    "content_type_prefix" => Match::ContentTypePrefix(v),
                    _ => Match::HeaderSpelledCase(v),
                })
            })
        };
        let found: Vec<Result<Match, String>> = [
            text("path", r.path),
            r.status.map(|s| Ok(Match::Status(s))),
            r.status_unlike_others
                .map(|s| Ok(Match::StatusUnlikeOthers(s))),
            text("server_is", r.server_is),
            text("server_prefix", r.server_prefix),
            text("server_contains", r.server_contains),
            r.no_server.map(|b| {
                if b {
                    Ok(Match::NoServer)
                } else {
                    Err("`no_server` can only be true".to_string())
                }
            }),
            text("realm_prefix", r.realm_prefix),
            text("realm_contains_case", r.realm_contains_case),
            text("realm_model", r.realm_model),
            text("title_is", r.title_is),
            text("title_prefix", r.title_prefix),
            text("title_contains", r.title_contains),
            text("title_starts_word_case", r.title_starts_word_case),
            text("body", r.body),
            text("content_type_prefix", r.content_type_prefix),
            text("header_spelled_case", r.header_spelled_case),
            r.header.map(|h| {
                if h.name.is_empty() || h.contains.is_empty() {
                    Err("condition `header` needs a name and a text it contains".to_string())
                } else {
                    Ok(Match::Header(h.name, h.contains))
                }
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        match <[_; 1]>::try_from(found) {
            Ok([one]) => one,
            Err(v) if v.is_empty() => {
                Err("a condition needs one key (e.g. `server_prefix: App-webs`)".into())
            }
            Err(v) => Err(format!(
                "a condition has one key, this one has {} (write each as its own `- key: value`)",
                v.len()
            )),
        }
    }
}

impl From<Match> for RawMatch {
    fn from(m: Match) -> RawMatch {
        let mut r = RawMatch::default();
        match m {
            Match::Path(v) => r.path = Some(v),
            Match::Status(s) => r.status = Some(s),
            Match::StatusUnlikeOthers(s) => r.status_unlike_others = Some(s),
            Match::ServerIs(v) => r.server_is = Some(v),
            Match::ServerPrefix(v) => r.server_prefix = Some(v),
            Match::ServerContains(v) => r.server_contains = Some(v),
            Match::NoServer => r.no_server = Some(true),
            Match::RealmPrefix(v) => r.realm_prefix = Some(v),
            Match::RealmContainsCase(v) => r.realm_contains_case = Some(v),
            Match::RealmModel(v) => r.realm_model = Some(v),
            Match::TitleIs(v) => r.title_is = Some(v),
            Match::TitlePrefix(v) => r.title_prefix = Some(v),
            Match::TitleContains(v) => r.title_contains = Some(v),
            Match::TitleStartsWordCase(v) => r.title_starts_word_case = Some(v),
            Match::Body(v) => r.body = Some(v),
            Match::ContentTypePrefix(v) => r.content_type_prefix = Some(v),
            Match::HeaderSpelledCase(v) => r.header_spelled_case = Some(v),
            Match::Header(name, contains) => r.header = Some(RawHeader { name, contains }),
        }
        r
    }
}

impl std::fmt::Display for Match {
    /// As written in a file: `server_prefix: App-webs`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (key, value) = match self {
            Match::Path(v) => ("path", v.clone()),
            Match::Status(s) => ("status", s.to_string()),
            Match::StatusUnlikeOthers(s) => ("status_unlike_others", s.to_string()),
            Match::ServerIs(v) => ("server_is", v.clone()),
            Match::ServerPrefix(v) => ("server_prefix", v.clone()),
            Match::ServerContains(v) => ("server_contains", v.clone()),
            Match::NoServer => ("no_server", "true".into()),
            Match::RealmPrefix(v) => ("realm_prefix", v.clone()),
            Match::RealmContainsCase(v) => ("realm_contains_case", v.clone()),
            Match::RealmModel(v) => ("realm_model", v.clone()),
            Match::TitleIs(v) => ("title_is", v.clone()),
            Match::TitlePrefix(v) => ("title_prefix", v.clone()),
            Match::TitleContains(v) => ("title_contains", v.clone()),
            Match::TitleStartsWordCase(v) => ("title_starts_word_case", v.clone()),
            Match::Body(v) => ("body", v.clone()),
            Match::ContentTypePrefix(v) => ("content_type_prefix", v.clone()),
            Match::HeaderSpelledCase(v) => ("header_spelled_case", v.clone()),
            Match::Header(n, c) => ("header", format!("{n} contains {c}")),
        };
        write!(f, "{key}: {value}")
    }
}

/// Where a signature finds the model name, if the device states it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "RawModel", into = "RawModel")]
pub enum Model {
    #[default]
    None,
    /// The auth realm is the model (Hikvision `DS-...`).
    Realm,
    /// Text of the first `<tag>` element in the body.
    XmlTag(String),
    /// String value of the first JSON key of this name in the body.
    JsonString(String),
}

impl Model {
    pub fn is_none(&self) -> bool {
        *self == Model::None
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    #[serde(skip_serializing_if = "Option::is_none")]
    realm: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xml_tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    json_string: Option<String>,
}

impl TryFrom<RawModel> for Model {
    type Error = String;

    fn try_from(r: RawModel) -> Result<Model, String> {
        match (r.realm, r.xml_tag, r.json_string) {
            (Some(true), None, None) => Ok(Model::Realm),
            (None, Some(t), None) if !t.is_empty() => Ok(Model::XmlTag(t)),
            (None, None, Some(k)) if !k.is_empty() => Ok(Model::JsonString(k)),
            _ => Err(
                "model is one of {realm: true}, {xml_tag: TAG} or {json_string: KEY}".to_string(),
            ),
        }
    }
}

impl From<Model> for RawModel {
    fn from(m: Model) -> RawModel {
        let mut r = RawModel::default();
        match m {
            Model::None => {}
            Model::Realm => r.realm = Some(true),
            Model::XmlTag(t) => r.xml_tag = Some(t),
            Model::JsonString(k) => r.json_string = Some(k),
        }
        r
    }
}

/// One row of the fingerprint table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// A vendor id; `None` for streams and ordinary pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Human name used when the device does not state its model.
    pub product: String,
    pub kind: Kind,
    /// 0-100: how sure this signature alone makes us. Below the claim threshold it is a hint.
    pub confidence: u8,
    /// Conditions, all of which must hold for one observation.
    pub all: Vec<Match>,
    #[serde(default, skip_serializing_if = "Model::is_none")]
    pub model: Model,
    /// Where this behaviour was seen.
    pub source: String,
    #[serde(skip)]
    pub from: usize,
}

impl Check for Signature {
    fn label(&self) -> String {
        format!("{:?}", self.product)
    }

    fn key(&self) -> String {
        let all: Vec<String> = self.all.iter().map(Match::to_string).collect();
        format!("{:?} {}", self.vendor, all.join(", "))
    }

    fn check(&self) -> Result<(), String> {
        entry::required("source", &self.source)?;
        entry::required("product", &self.product)?;
        if self.all.is_empty() {
            return Err("`all` lists no condition".into());
        }
        if self.confidence > 100 {
            return Err(format!("confidence {} is above 100", self.confidence));
        }
        match (&self.vendor, self.kind) {
            (_, Kind::Unknown) => Err("kind is camera-ui, nvr, video-server or generic".into()),
            (Some(v), _) => entry::vendor_id(v),
            (None, Kind::Generic | Kind::VideoServer) => Ok(()),
            (None, _) => Err(format!(
                "a {} signature names its vendor",
                self.kind.as_str()
            )),
        }
    }

    fn check_in(&self, cx: &Context) -> Result<(), String> {
        if let Some(v) = &self.vendor {
            cx.vendor(v)?;
        }
        for m in &self.all {
            if let Match::Path(p) = m {
                cx.probe(p)?;
            }
        }
        Ok(())
    }

    fn from(&self) -> usize {
        self.from
    }

    fn set_from(&mut self, from: usize) {
        self.from = from;
    }
}

/// A harmless GET asked on every HTTP port, whose answer signatures read (`path:` conditions):
/// an HTTP path with the vendor or project its answer reveals, read and checked as
/// [`super::media::HttpPath`] is.
pub type Probe = super::media::HttpPath;
