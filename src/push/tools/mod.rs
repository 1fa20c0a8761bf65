//! The tools camscan pushes into, each one unit: a file implementing [`PushTool`] (how its
//! running configuration is read into items, how one camera's entry is made, and the requests that
//! add, update and remove it, each contract cited from the tool's own source) and one line of
//! [`TOOLS`]. The plan ([`super::plan`]), the ledger and the three steps of a push
//! ([`super::run`]) know nothing of any one tool. CONTRIBUTING.md has the recipe for a new one.

mod frigate;
mod go2rtc;
mod homeassistant;
mod mediamtx;

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

pub use super::client::LoginWay;
use super::client::{Answer, Client};
use super::plan::{Entry, Running};
use super::{Options, PushError};
use export::cameras::{Camera, Tool};
use export::names::Style;

/// Every tool, in the order `--help` lists them: one line each.
pub static TOOLS: &[ToolKind] = &[
    ToolKind(&frigate::Frigate),
    ToolKind(&go2rtc::Go2rtc),
    ToolKind(&mediamtx::Mediamtx),
    ToolKind(&homeassistant::HomeAssistant),
];

/// The formats' options a push reads (what it writes beside each camera), declared beside their
/// exporters, each read by its tool ([`PushTool::read_options`]); [`FORMAT_OPTION_HELP`] says
/// what each does in a push, each line the tool's own.
pub static FORMAT_OPTIONS: &[&dyn input::setting::Declared] =
    &[&export::frigate::RESTREAM, &export::go2rtc::BACKCHANNEL];

/// Push's `--help` line for each of [`FORMAT_OPTIONS`], by key.
pub static FORMAT_OPTION_HELP: &[(&str, &str)] = &[
    ("frigate_restream", frigate::RESTREAM_HELP),
    ("backchannel", go2rtc::BACKCHANNEL_HELP),
];

/// What a push writes beside each camera, read from the formats' options by the tools that
/// declare them ([`PushTool::read_options`]).
pub fn options_of(formats: &input::setting::Settings) -> Options {
    let mut options = Options::default();
    for t in TOOLS {
        t.0.read_options(formats, &mut options);
    }
    options
}

/// Where a help text names every tool as `TOOL=URL` ([`expand_help`]): the lists are made from
/// [`TOOLS`], never written by hand, so a new tool is in every help at once.
pub const URL_SPECS_MARK: &str = "{push tools as TOOL=URL}";

/// Where a help text names every tool by its title ([`expand_help`]).
pub const TITLES_MARK: &str = "{push tools}";

/// Where a help text names every tool with where its API usually is ([`expand_help`]).
pub const URLS_MARK: &str = "{push tools' URLs}";

/// `items` as a sentence lists them: `a`, `a or b`, `a, b or c`.
fn either(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Every tool's title: "Frigate, go2rtc, MediaMTX or Home Assistant".
pub fn titles() -> String {
    either(
        &TOOLS
            .iter()
            .map(|t| t.title().to_string())
            .collect::<Vec<_>>(),
    )
}

/// Every tool as `--push` takes it: "`frigate=URL`, `go2rtc=URL`, ... or `homeassistant=URL`".
pub fn url_specs() -> String {
    either(
        &TOOLS
            .iter()
            .map(|t| format!("`{}=URL`", t.name()))
            .collect::<Vec<_>>(),
    )
}

/// Every tool with where its API usually is: "Frigate http://HOST:5000 (...), go2rtc
/// http://HOST:1984, ... or Home Assistant http://HOST:8123".
pub fn usual_urls() -> String {
    either(
        &TOOLS
            .iter()
            .map(|t| format!("{} {}", t.title(), t.usual_url()))
            .collect::<Vec<_>>(),
    )
}

/// `line` with [`URL_SPECS_MARK`], [`TITLES_MARK`] and [`URLS_MARK`] written out from [`TOOLS`]
/// (the entrance passes every help line through it).
pub fn expand_help(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains('{') {
        return std::borrow::Cow::Borrowed(line);
    }
    std::borrow::Cow::Owned(
        line.replace(URL_SPECS_MARK, &url_specs())
            .replace(TITLES_MARK, &titles())
            .replace(URLS_MARK, &usual_urls()),
    )
}

/// A tool's future (the trait is used as `dyn`, so its async methods are boxed).
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, PushError>> + Send + 'a>>;

/// One camera's password as a push writes it (its `Debug` never shows the password).
#[derive(Clone)]
pub enum Password {
    /// The camera needs none.
    None,
    /// Known: the password itself (kept in memory only).
    Known(String),
    /// Written as the tool's reference to its environment (`--password-refs`).
    Reference,
    /// Needed, not known.
    Unknown,
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Password::None => "None",
            Password::Known(_) => "Known(<redacted>)",
            Password::Reference => "Reference",
            Password::Unknown => "Unknown",
        })
    }
}

/// What one camera's entry is made from.
pub struct EntryInput<'c, 'a> {
    pub cam: &'c Camera<'a>,
    /// The entry's name in the tool.
    pub name: &'c str,
    pub password: &'c Password,
    /// The password as a URL's userinfo writes it (encoded), or the tool's reference; empty when
    /// it carries none.
    pub in_url: &'c str,
    /// The password as a field holds it, or the tool's reference; empty when none.
    pub raw: &'c str,
    pub options: Options,
    /// What camscan wrote for this camera before (the ledger's, passwords masked): Home
    /// Assistant keeps a camera its ONVIF integration refused on the generic camera.
    pub written: Option<&'c Value>,
}

/// One camera to write: its name, its entry, whether it is new, and the fields camscan wrote
/// before and no longer writes ([`PushTool::gone`]).
pub struct Job {
    pub name: String,
    pub entry: Entry,
    pub add: bool,
    pub gone: Vec<String>,
    /// What the tool holds under the entry's items now (for an update: Home Assistant's entry id).
    pub running: Running,
}

/// What a request did for one entry.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The tool accepted every request.
    pub ok: bool,
    /// Its own words when it refused, or what the user must know of how it was taken.
    pub message: Option<String>,
    /// The entry as the tool took it, when not as planned (Home Assistant: a camera its ONVIF
    /// flow refused, added through the generic camera instead).
    pub instead: Option<Entry>,
}

impl Sent {
    pub fn from(answers: &[Answer]) -> Sent {
        match answers.iter().find(|a| !a.ok()) {
            Some(a) => Sent::refused(a.message()),
            None => Sent {
                ok: true,
                message: None,
                instead: None,
            },
        }
    }

    pub fn refused(message: String) -> Sent {
        Sent {
            ok: false,
            message: Some(message),
            instead: None,
        }
    }
}

/// One tool camscan pushes into.
pub trait PushTool: Sync {
    /// Its name on the command line, in the ledger and the API (`frigate`).
    fn name(&self) -> &'static str;

    /// Its name as people write it (`Frigate`, `Home Assistant`).
    fn title(&self) -> &'static str;

    /// Its line in `--help`.
    fn help(&self) -> &'static str;

    /// Where its API usually is, for the messages of a push aimed elsewhere.
    fn usual_url(&self) -> &'static str;

    /// How its login is sent.
    fn login_way(&self) -> LoginWay {
        LoginWay::Basic
    }

    /// Which of a camera's streams it can take (the exports' camera plan).
    fn streams(&self) -> Tool;

    /// How its entries are named.
    fn style(&self) -> Style {
        Style::Underscore
    }

    /// The variable and the reference text for a password written as a reference to the tool's
    /// environment (`--password-refs`) for the camera whose variable key is `key`; `None`: the
    /// tool expands none.
    fn reference(&self, key: &str) -> Option<(String, String)>;

    /// Whether it expands password references at all (`--password-refs`).
    fn expands_references(&self) -> bool {
        self.reference("KEY").is_some()
    }

    /// What of [`Options`] its format options set ([`FORMAT_OPTIONS`]), from `formats`.
    fn read_options(&self, _formats: &input::setting::Settings, _options: &mut Options) {}

    /// The item keys an entry named `name` writes (`cameras.front_door` and, with Frigate's
    /// restream, `go2rtc.streams.front_door`).
    fn keys(&self, name: &str, options: Options) -> Vec<String>;

    /// One camera's entry: item key to value (passwords in clear, in memory only).
    fn entry(&self, input: &EntryInput<'_, '_>) -> Entry;

    /// The items of what the tool answered a read with (a pure parser: the fuzz target's entry).
    fn items(&self, doc: &Value) -> Running;

    /// What the tool holds now, as items.
    fn read<'a>(&'a self, c: &'a Client) -> Fut<'a, Running>;

    /// Write every job; one [`Sent`] per job, in order. `running` is what the tool held when the
    /// plan was made.
    fn write_all<'a>(
        &'a self,
        c: &'a Client,
        jobs: &'a [Job],
        running: &'a Running,
    ) -> Fut<'a, Vec<Sent>>;

    /// Remove what camscan wrote under `keys` (`push --prune`); `running` is what the tool holds
    /// under them.
    fn remove<'a>(
        &'a self,
        c: &'a Client,
        name: &'a str,
        keys: &'a [String],
        running: &'a Running,
    ) -> Fut<'a, Sent>;

    /// The fields of the entry camscan wrote before (`old`, masked) and writes no more (an update
    /// deletes them); nothing for a tool that is sent every field of camscan's each time (go2rtc
    /// replaces a stream whole; camscan sends MediaMTX each field it writes, since a patch keeps
    /// what it is not sent).
    fn gone(&self, _name: &str, _old: &Value, _new: &Entry) -> Vec<String> {
        Vec::new()
    }

    /// What the user must know of how the tool takes a push that writes `jobs` (`adds` of them
    /// new): said only when something is written.
    fn notes(&self, jobs: usize, adds: usize) -> Vec<String>;

    /// Why a camera the tool holds as camscan wrote it still does not work there (Home
    /// Assistant: its entity unavailable), from what the tool holds under its items.
    fn health(&self, _items: &Running) -> Option<String> {
        None
    }

    /// The tool's own key of the entry an item holds, where it keys entries by something other
    /// than the name people see and may change (Home Assistant's entry id); `None`: the name is
    /// the key. Such a tool has one item per entry ([`super::ledger::rekey`]).
    fn tool_key(&self, _item: &Value) -> Option<String> {
        None
    }

    /// How long the tool may take to apply a write it has answered (Home Assistant reloads an
    /// ONVIF entry after its flow ended): the read-back is taken again within this while a write
    /// reads back otherwise; zero for a tool that holds a write once it answered.
    fn settles_within(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

/// A tool, as the command line, the API and the ledger name it.
#[derive(Clone, Copy)]
pub struct ToolKind(pub &'static dyn PushTool);

impl ToolKind {
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    pub fn parse(s: &str) -> Option<ToolKind> {
        <ToolKind as input::choice::Choice>::from_choice(s, true)
    }
}

impl std::ops::Deref for ToolKind {
    type Target = dyn PushTool;

    fn deref(&self) -> &(dyn PushTool + 'static) {
        self.0
    }
}

impl PartialEq for ToolKind {
    fn eq(&self, other: &ToolKind) -> bool {
        self.name() == other.name()
    }
}

impl Eq for ToolKind {}

impl std::fmt::Debug for ToolKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for ToolKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl input::choice::Choice for ToolKind {
    fn choices() -> &'static [Self] {
        TOOLS
    }

    fn choice(self) -> &'static str {
        self.name()
    }

    fn choice_help(self) -> Option<&'static str> {
        Some(self.0.help())
    }
}

/// What `tool`'s read-back document holds, as items (the fuzz target's entry point).
pub fn items_of(tool: ToolKind, doc: &Value) -> Running {
    tool.items(doc)
}

/// A read of the tool refused or answered with something not JSON: most often the URL is
/// another tool's (go2rtc's push aimed at Frigate: "HTTP 404: Camera not found"), so say where
/// the tool's API usually is.
pub fn is_it(tool: &dyn PushTool, e: PushError) -> PushError {
    let hint = |detail: String| {
        format!(
            "{detail}; is this {}'s API? It is usually at {}",
            tool.title(),
            tool.usual_url()
        )
    };
    match e {
        PushError::Refused { url, detail } => PushError::Refused {
            url,
            detail: hint(detail),
        },
        PushError::Malformed { url, detail } => PushError::Malformed {
            url,
            detail: hint(detail),
        },
        other => other,
    }
}

/// The exports' YAML value as JSON.
pub fn json(v: &serde_yaml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// One source or a list, as a list (how go2rtc and Frigate's go2rtc read them back).
pub fn list(v: Value) -> Value {
    match v {
        Value::String(_) => Value::Array(vec![v]),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use input::choice::Choice;

    /// Every tool is one line of the list, its name unique and its own.
    #[test]
    fn each_tool_is_named_once() {
        let names = ToolKind::choice_names();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        for t in TOOLS {
            assert_eq!(ToolKind::parse(t.name()), Some(*t));
            assert!(!t.usual_url().is_empty() && !t.title().is_empty());
        }
    }
}
