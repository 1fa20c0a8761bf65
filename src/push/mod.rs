//! `camscan push`: the cameras of the inventory written into a running tool (Frigate, go2rtc,
//! MediaMTX, Home Assistant: [`tools::TOOLS`], each one unit) through its own API, in three
//! visible steps (Terraform's plan / apply, Kubernetes'
//! field ownership):
//!
//! 1. **plan** ([`plan`]): read the tool's running configuration and the ledger of what camscan
//!    wrote there (the inventory's `pushes` table), and decide per camera: add, update (it moved,
//!    its path or login changed), keep (already right), leave (a person's entry, or one a person
//!    edited since), skip (a password camscan does not know). `--dry-run` stops here.
//! 2. **apply** ([`tools::PushTool::write_all`]): one request (or the tool's few) per camera, so
//!    that one refusal blocks nothing else; the tool's own message is kept with the camera.
//!    Frigate, which rewrites its whole file on every change, takes a large push in batches, a
//!    refused batch split until its refusals are alone.
//! 3. **verify**: read the tool again and check each camera sent is there as sent
//!    ([`plan::first_difference`]); only then is the ledger row written, with the hash of the
//!    tool's read-back ([`plan::readback_hash`]).
//!
//! Nothing is deleted unless `--prune` asks, and then only entries camscan wrote and nobody has
//! changed since, for devices the inventory no longer holds ([`plan::Leaving`]: a camera whose
//! last scan could not open it is still there). Camera passwords never reach stdout, stderr, the logs, argv or the ledger
//! ([`entries`]: found by the inventory's keyed hash among `--credentials`).

pub mod client;
pub mod entries;
pub mod ledger;
pub mod plan;
pub mod render;
pub mod settings;
pub mod tools;
mod verify;

use std::time::Duration;

use serde::Serialize;

use client::Client;
use model::Credential;
use plan::{Action, Step};
use store::{Pending, PushRecord, Store, StoreError};

/// A request's deadline: an unreachable or stuck tool fails the push within this (15 s with the
/// connect attempt's own 5 s cap: the bound).
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub use tools::ToolKind;

/// What a push writes beside each camera, as the exports' options say (`--frigate-restream`,
/// `--backchannel`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Frigate: inputs from its go2rtc restream, and the go2rtc streams beside each camera.
    pub restream: bool,
    /// go2rtc (and Frigate's restream): let go2rtc take talk-back.
    pub backchannel: bool,
}

/// Where to push: a tool and its URL (never with credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub tool: ToolKind,
    pub url: url::Url,
}

impl Target {
    /// `tool` at `url`: http(s) only, and no login in the URL (it would be on argv, for `ps` to
    /// show: the login goes in `--login-file` or the `CAMSCAN_PUSH_*` variables).
    pub fn new(tool: ToolKind, url: &str) -> Result<Target, String> {
        let u = url::Url::parse(url).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => format!(
                "{}: {url:?}: give the whole URL, with http:// or https:// (http://{url})",
                tool.name()
            ),
            e => format!("{}: {url:?}: {e}", tool.name()),
        })?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(format!(
                "{}: {url:?}: not an http:// or https:// URL",
                tool.name()
            ));
        }
        if !u.username().is_empty() || u.password().is_some() {
            let mut bare = u.clone();
            let _ = bare.set_username("");
            let _ = bare.set_password(None);
            return Err(match tool.login_way() {
                client::LoginWay::Token => format!(
                    "{}: the URL carries a user and password, which {} does not take: it takes a \
                     long-lived access token (your profile in {}, Security, Long-lived access \
                     tokens), given with --push-login-file FILE (the token on its first line) or \
                     CAMSCAN_PUSH_TOKEN; give the URL without the login ({})",
                    tool.name(),
                    tool.title(),
                    tool.title(),
                    client::shown(&bare)
                ),
                _ => format!(
                    "{}: the URL carries a login, which any user could read in the process list: \
                     give it with --push-login-file FILE (user:password) or CAMSCAN_PUSH_USER and \
                     CAMSCAN_PUSH_PASSWORD, and the URL without it ({})",
                    tool.name(),
                    client::shown(&bare)
                ),
            });
        }
        if u.host_str().is_none() {
            return Err(format!("{}: {url:?}: no host", tool.name()));
        }
        Ok(Target { tool, url: u })
    }

    /// `TOOL=URL` (`scan --push`, `watch --push`).
    pub fn parse(spec: &str) -> Result<Target, String> {
        let (tool, url) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?}: give TOOL=URL (frigate=http://frigate:5000)"))?;
        let tool = ToolKind::parse(tool).ok_or_else(|| {
            format!(
                "{tool:?}: not a tool camscan pushes into ({})",
                <ToolKind as input::choice::Choice>::choice_names().join(", ")
            )
        })?;
        Target::new(tool, url)
    }

    /// The URL as the ledger and messages name it.
    pub fn shown(&self) -> String {
        client::shown(&self.url)
    }
}

/// A login: the tool's own (`--push-login-file`), never a camera's.
#[derive(Clone)]
pub struct Login {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// TLS towards the tool.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// PEM certificates to trust besides the system's (`--push-ca-file`).
    pub ca_pem: Option<Vec<u8>>,
    /// Accept any certificate (`--push-insecure`: Frigate's self-signed default on 8971).
    pub insecure: bool,
}

/// A push's settings, resolved once at the entrance (`cmds::push`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: Target,
    /// Plan only.
    pub dry_run: bool,
    /// Remove what camscan wrote for cameras no longer in the inventory.
    pub prune: bool,
    /// Also push cameras whose main stream answered but never played (`--push-unverified`):
    /// by default a camera goes into a tool only once camscan has received its media.
    pub unverified: bool,
    /// Write the tool's references to password variables instead of the passwords.
    pub password_refs: bool,
    /// What is written beside each camera (Frigate's restream, go2rtc's talk-back).
    pub options: Options,
    /// The camera logins the scan used (`--credentials`), to find each camera's password.
    pub credentials: Vec<Credential>,
    /// The passwords camscan's own environment gives (`CAMSCAN_<KEY>_PASSWORD`, never its
    /// argv), by KEY: a camera's when no login of `credentials` opens it.
    pub env_passwords: EnvPasswords,
    /// The tool's own login.
    pub login: Option<Login>,
    pub tls: Tls,
    pub timeout: Duration,
    /// Only these devices' cameras (`None`: every camera of the inventory): the page's "Add to
    /// Frigate" for one camera or a selection. Entries of other devices get no step.
    pub only: Option<std::collections::BTreeSet<i64>>,
    /// Entries camscan wrote and a person edited since, handed back to camscan by name
    /// (`--hand-back`): planned as camscan's again.
    pub hand_back: Vec<String>,
}

/// Passwords by KEY; `Debug` names the keys only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvPasswords(pub std::collections::BTreeMap<String, String>);

impl std::fmt::Debug for EnvPasswords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Why a push could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("{url}: unreachable: {detail}")]
    Unreachable { url: String, detail: String },
    /// A login refused, or none given to a tool that asks for one: `detail` says which
    /// ([`client::Client`]'s `refused_login`).
    #[error("{url}: {detail}")]
    Login { url: String, detail: String },
    #[error("{url}: refused: {detail}")]
    Refused { url: String, detail: String },
    #[error("{url}: {detail}")]
    Malformed { url: String, detail: String },
    #[error("{0}")]
    Setup(String),
    /// Devices asked for (`Settings::only`) that the inventory does not hold.
    #[error("no device {} in the inventory", .0.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))]
    UnknownDevices(Vec<i64>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What happened to one step.
#[derive(Debug, Clone, Serialize)]
pub struct Result1 {
    /// A request was sent for it.
    pub sent: bool,
    /// The tool accepted it (or, for a step that sends nothing, nothing was asked).
    pub accepted: bool,
    /// The tool's own message when it refused, or why the read-back differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The tool now holds the camera as camscan wants it (read back after the push); `None`
    /// for entries that are not camscan's to check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// A push's plan and, unless a dry run, what each step did.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub tool: ToolKind,
    pub target: String,
    pub dry_run: bool,
    pub steps: Vec<Step>,
    /// Per step, in order (empty on a dry run).
    pub results: Vec<Result1>,
    /// Variables the tool must have for the references written (`--password-refs`).
    pub references: Vec<String>,
    /// What the user must know about how the tool takes the change.
    pub notes: Vec<String>,
}

impl Outcome {
    /// Something was refused or did not verify.
    pub fn failed(&self) -> bool {
        self.results
            .iter()
            .any(|r| !r.accepted || r.verified == Some(false))
    }

    /// How many steps of each action.
    pub fn count(&self, word: &str) -> usize {
        self.steps
            .iter()
            .filter(|s| s.action.word() == word)
            .count()
    }
}

/// What the three steps of one push share.
struct Push<'a> {
    tool: ToolKind,
    shown: String,
    client: Client,
    cams: entries::Cameras<'a>,
    /// What camscan wrote there (only the devices asked for, with `Settings::only`).
    ledger: Vec<PushRecord>,
    /// What the tool held when the plan was made.
    running: plan::Running,
}

impl Push<'_> {
    /// The item keys camscan wrote under the entry `name` (its ledger row's), for a removal.
    fn ledger_keys(&self, name: &str) -> Vec<String> {
        self.ledger
            .iter()
            .find(|r| r.name == name)
            .map(|r| written_keys(&r.written, self.tool, name))
            .unwrap_or_default()
    }

    /// Camera `i`'s entry under `name`, with what camscan wrote for it before.
    fn entry(&self, i: usize, name: &str) -> plan::Entry {
        let written = written_for(&self.ledger, self.cams.ids[i]);
        self.cams.entry(i, name, written.as_ref())
    }
}

/// What camscan wrote for the camera `id` (device, channel) before: its ledger row's entry.
fn written_for(ledger: &[PushRecord], id: (i64, u32)) -> Option<serde_json::Value> {
    ledger
        .iter()
        .find(|r| (r.device_id, r.channel) == id)
        .and_then(|r| serde_json::from_str(&r.written).ok())
}

/// The item keys of one tool's entries.
struct ToolItems {
    tool: ToolKind,
    options: Options,
}

impl plan::Items for ToolItems {
    fn keys(&self, name: &str) -> Vec<String> {
        self.tool.keys(name, self.options)
    }
}

/// Plan, apply and verify one push of the inventory `store` into `settings.target`.
pub async fn run(store: &mut Store, settings: &Settings) -> Result<Outcome, PushError> {
    let devices = store.stored_devices()?;
    let (report, ids) = entries::report(devices);
    if let Some(only) = &settings.only {
        let held: std::collections::BTreeSet<i64> = ids.iter().copied().collect();
        let missing: Vec<i64> = only.difference(&held).copied().collect();
        if !missing.is_empty() {
            return Err(PushError::UnknownDevices(missing));
        }
    }
    let (p, mut outcome) = plan_push(store, settings, &report, &ids).await?;
    if settings.dry_run {
        return Ok(outcome);
    }
    let sent = apply(store, &p, &mut outcome).await?;
    verify::verify(store, &p, &mut outcome, &sent).await?;
    Ok(outcome)
}

/// Step 1: read the tool and the ledger, and decide.
async fn plan_push<'a>(
    store: &mut Store,
    settings: &Settings,
    report: &'a model::Report,
    ids: &[i64],
) -> Result<(Push<'a>, Outcome), PushError> {
    let target = &settings.target;
    let tool = target.tool;
    let shown = target.shown();
    let cams = entries::Cameras::new(report, ids, settings, store)?;
    let mut client = Client::new(
        &target.url,
        tool.login_way(),
        &settings.login,
        &settings.tls,
        settings.timeout,
    )?;
    if let (tools::LoginWay::Cookie, Some(login)) = (tool.login_way(), &settings.login) {
        client.login_with_cookie(login).await?;
    }
    tracing::info!("push: reading {} at {shown}", tool.name());
    let mut running = tool.read(&client).await?;
    let mut ledger = store.pushes(tool.name(), &shown)?;
    if let Some(only) = &settings.only {
        ledger.retain(|r| only.contains(&r.device_id));
    }
    // Entries a person renamed, found by the tool's own key (Home Assistant's entry id).
    let renamed = ledger::rekey(&mut running, &ledger, &|v| tool.tool_key(v));
    let (mut ledger, reserved) = plan::settle(ledger, &running);
    ledger::hand_back(&mut ledger, &running, &settings.hand_back).map_err(PushError::Setup)?;
    let items = ToolItems {
        tool,
        options: cams.options,
    };
    let steps = {
        let store = &*store;
        let entry =
            |i: usize, name: &str| cams.entry(i, name, written_for(&ledger, cams.ids[i]).as_ref());
        let secret = |i: usize| cams.secret(store, i);
        let in_inventory = |id: i64| ids.contains(&id);
        plan::plan(
            &cams.wanted,
            (&ledger, &reserved),
            &running,
            &items,
            &entry,
            &secret,
            plan::Leaving {
                prune: settings.prune,
                in_inventory: &in_inventory,
            },
        )
    };
    let mut steps = steps;
    // Every camera of the inventory is in the plan: those the tool cannot take, with why.
    let stepped: std::collections::BTreeSet<i64> =
        steps.iter().filter_map(|s| s.device_id).collect();
    steps.extend(
        cams.left_out
            .iter()
            .filter(|l| !stepped.contains(&l.device_id))
            .map(|l| Step {
                name: l.name.clone(),
                action: Action::Skip(l.why.clone()),
                device_id: Some(l.device_id),
                channel: None,
                stream: l.label.clone(),
                instead_of: None,
                note: None,
                wanted: None,
                stranded: false,
            }),
    );
    for s in &mut steps {
        if settings.hand_back.contains(&s.name) && s.action.sends() {
            s.note = Some("handed back to camscan (--hand-back)".into());
        } else if let Some(title) = renamed.get(&s.name).filter(|_| s.note.is_none()) {
            s.note = Some(format!(
                "titled {:?} in the tool by a person: the title is theirs, the rest camscan's",
                sanitize::terminal(title)
            ));
        }
    }
    let outcome = Outcome {
        tool,
        target: shown.clone(),
        dry_run: settings.dry_run,
        notes: Vec::new(),
        steps,
        results: Vec::new(),
        references: cams.references(),
    };
    Ok((
        Push {
            tool,
            shown,
            client,
            cams,
            ledger,
            running,
        },
        outcome,
    ))
}

/// Step 2: send what the plan changes; what each step's requests did.
async fn apply(
    store: &mut Store,
    p: &Push<'_>,
    outcome: &mut Outcome,
) -> Result<Vec<Option<tools::Sent>>, PushError> {
    let (tool, c) = (p.tool, &p.client);
    let sending = outcome.steps.iter().filter(|s| s.action.sends()).count();
    tracing::info!("push: applying {sending} change(s) to {}", p.shown);
    // Each camera on its own (Frigate: in batches beyond a few, see `tools`).
    let mut jobs = Vec::new();
    let mut of_job = Vec::new();
    for (k, step) in outcome.steps.iter().enumerate() {
        let (add, i) = match (&step.action, step.wanted) {
            (Action::Add, Some(i)) => (true, i),
            (Action::Update(_), Some(i)) => (false, i),
            _ => continue,
        };
        let entry = p.entry(i, &step.name);
        let gone = match p.ledger.iter().find(|r| r.name == step.name) {
            Some(r) if !add => {
                let old: serde_json::Value = serde_json::from_str(&r.written).unwrap_or_default();
                tool.gone(&step.name, &old, &entry)
            }
            _ => Vec::new(),
        };
        let running = held(&p.running, &tool.keys(&step.name, p.cams.options));
        jobs.push(tools::Job {
            name: step.name.clone(),
            entry,
            add,
            gone,
            running,
        });
        of_job.push(k);
    }
    if !jobs.is_empty() {
        let adds = jobs.iter().filter(|j| j.add).count();
        outcome.notes = tool.notes(jobs.len(), adds);
    }
    // What is about to be written, in the ledger before it is sent (`PushRecord::pending`).
    let now = jiff::Timestamp::now().as_millisecond();
    for (job, &k) in jobs.iter().zip(&of_job) {
        let Some(i) = outcome.steps[k].wanted else {
            continue;
        };
        let mut r = p
            .ledger
            .iter()
            .find(|r| r.name == job.name)
            .cloned()
            .unwrap_or_else(|| PushRecord {
                tool: tool.name().into(),
                target: p.shown.clone(),
                name: job.name.clone(),
                tool_key: None,
                device_id: p.cams.ids[i].0,
                channel: p.cams.ids[i].1,
                written: String::new(),
                hash: String::new(),
                secret: None,
                written_at: now,
                pending: None,
            });
        // The passwords go with the pending write: a plan read before its record (the page, a
        // push killed meanwhile) takes them with the write once the tool holds it, so the
        // login it sent is not proposed again as "its login changed".
        let pending = Pending {
            written: plan::ledger_text(&job.entry),
            secret: p.cams.secret(store, i),
        };
        if r.written.is_empty() {
            r.written = pending.written.clone();
            r.secret = pending.secret.clone();
        }
        r.pending = Some(pending);
        store.record_push(&r)?;
    }
    let mut sent: Vec<Option<tools::Sent>> = vec![None; outcome.steps.len()];
    for (k, r) in of_job
        .into_iter()
        .zip(tool.write_all(c, &jobs, &p.running).await?)
    {
        sent[k] = Some(r);
    }
    for (k, step) in outcome.steps.iter().enumerate() {
        if step.action == Action::Remove {
            let keys = p.ledger_keys(&step.name);
            let running = held(&p.running, &keys);
            sent[k] = Some(tool.remove(c, &step.name, &keys, &running).await?);
        }
    }
    for (step, s) in outcome.steps.iter().zip(&sent) {
        if let Some(s) = s.as_ref().filter(|s| !s.ok) {
            tracing::warn!(
                "push: {} refused {}: {}",
                tool.name(),
                step.name,
                s.message.as_deref().unwrap_or("")
            );
        }
    }
    Ok(sent)
}

/// The item keys a ledger row's `written` holds; for a text that does not read, the usual keys
/// of an entry named `name`.
fn written_keys(written: &str, tool: ToolKind, name: &str) -> Vec<String> {
    let keys = plan::written_keys(written);
    if keys.is_empty() {
        return tool.keys(name, Options::default());
    }
    keys
}

/// The item keys of an entry.
fn written_keys_of(e: &plan::Entry) -> Vec<String> {
    e.keys().cloned().collect()
}

/// What `running` holds under `keys`.
fn held(running: &plan::Running, keys: &[String]) -> plan::Running {
    keys.iter()
        .filter_map(|k| running.get(k).map(|v| (k.clone(), v.clone())))
        .collect()
}
