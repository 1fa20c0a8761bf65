//! The plan of a push, as pure functions: which camera is added, updated, kept or left alone,
//! decided from the inventory's cameras, the ledger of what camscan wrote ([`PushRecord`]) and
//! what the tool holds now. No I/O; unit-tested without a tool.
//!
//! Ownership is by field, as Kubernetes' server-side apply owns fields: camscan owns the fields it
//! wrote into an entry (`written`, passwords masked). The tool's read-back of exactly those fields
//! is hashed ([`readback_hash`]); when the hash differs from the ledger's, a person changed what
//! camscan wrote and the entry is a person's from then on: never touched again. Fields a person
//! adds beside camscan's (zones, masks, a retention) are not camscan's and survive every update,
//! since every tool here merges what it is sent (Frigate's `config_set` merges `config_data` key
//! by key; go2rtc's and MediaMTX's entries hold only what camscan writes).
//!
//! Passwords never enter the ledger: URLs lose their userinfo and any `password` field is masked
//! ([`mask`]) before anything is compared, stored or hashed; whether a password changed is told
//! by a keyed MAC of it ([`store::Store::secret_mac`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use store::PushRecord;

/// One camera camscan would write, before a name is fixed.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub device_id: i64,
    pub channel: u32,
    /// The name the exports give it ([`export::names()`]).
    pub proposed: String,
    /// The device's addresses as a URL writes them (`198.18.0.12`, `[fd00::12]`): a tool entry
    /// pulling from one of them is this camera.
    pub addresses: Vec<String>,
    /// What the plan shows of it: its main stream's URL, without credentials.
    pub label: String,
    /// Why it cannot be written (a password camscan does not know), if so.
    pub blocked: Option<String>,
}

/// What the push does with one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "why")]
pub enum Action {
    /// A camera the tool does not have yet.
    Add,
    /// An entry camscan wrote that is no longer right: the reasons (moved, path, login).
    Update(Vec<String>),
    /// Already right: nothing sent.
    Keep,
    /// An entry that is a person's, or a camera already in the tool under a person's entry:
    /// never touched.
    Leave(#[serde(serialize_with = "one_reason")] String),
    /// A camera camscan cannot write (its password is unknown).
    Skip(#[serde(serialize_with = "one_reason")] String),
    /// `--prune`: an entry camscan wrote for a camera no longer in the inventory, unchanged since.
    Remove,
}

/// A leave's or skip's reason as `why` holds every reason: a list (an update's has several).
fn one_reason<S: serde::Serializer>(why: &str, s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize as _;
    [why].serialize(s)
}

impl Action {
    /// The word the table shows.
    pub fn word(&self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Update(_) => "update",
            Action::Keep => "keep",
            Action::Leave(_) => "leave",
            Action::Skip(_) => "skip",
            Action::Remove => "remove",
        }
    }

    /// Whether the push sends something for it.
    pub fn sends(&self) -> bool {
        matches!(self, Action::Add | Action::Update(_) | Action::Remove)
    }
}

/// One line of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The entry's name in the tool.
    pub name: String,
    #[serde(flatten)]
    pub action: Action,
    /// The camera (`device_id`, `channel`), for every step but a person's entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<u32>,
    /// Its main stream, without credentials.
    pub stream: String,
    /// The name the exports give it, when a person's entry holds that name and it gets another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instead_of: Option<String>,
    /// What else the plan knows of the entry: deleted in the tool and added anew, handed back,
    /// or the fields a person owns in it (a title they gave it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Index into the wanted cameras.
    #[serde(skip)]
    pub wanted: Option<usize>,
    /// A person's entry whose camera has moved since: the tool still pulls its old address and
    /// camscan may not follow (`watch --push` tells the sinks once).
    #[serde(skip)]
    pub stranded: bool,
}

/// What the tool holds now, by item key (see [`super::tools::items_of`]), passwords as the
/// tool shows them.
pub type Running = BTreeMap<String, Value>;

/// What one camera's entry is made of: item key to value (passwords in clear, in memory only).
pub type Entry = BTreeMap<String, Value>;

/// How a tool names the items of one camera's entry.
pub trait Items {
    /// The item keys an entry named `name` writes (`cameras.front_door` and, with Frigate's
    /// restream, `go2rtc.streams.front_door` and `go2rtc.streams.front_door_sub`).
    fn keys(&self, name: &str) -> Vec<String>;
}

/// Names camscan chose for cameras whose add it sent but never saw land (`pending` with no
/// hash): proposed again, so that a push killed mid-way gives the camera the same name next time.
pub type Reserved = std::collections::BTreeMap<(i64, u32), String>;

/// The ledger as the tool now proves it: a row with a `pending` write whose fields the tool
/// holds as they were sent becomes that write, with the passwords' MAC it carried (its hash
/// taken from the tool now); a pending
/// update that did not land stays as it was written before; a pending add that did not land is
/// no row at all (its name kept in [`Reserved`]). A push killed between its request and the
/// read-back thus never turns camscan's own entry into "a person's".
pub fn settle(ledger: Vec<PushRecord>, running: &Running) -> (Vec<PushRecord>, Reserved) {
    let mut out = Vec::with_capacity(ledger.len());
    let mut reserved = Reserved::new();
    for mut r in ledger {
        if let Some(p) = r.pending.take() {
            let sent: Value = serde_json::from_str(&p.written).unwrap_or(Value::Null);
            if landed(running, &sent) {
                r.hash = readback_hash(running, &sent);
                r.written = p.written;
                r.secret = p.secret;
            } else if r.hash.is_empty() {
                reserved.insert((r.device_id, r.channel), r.name);
                continue;
            }
        }
        out.push(r);
    }
    (out, reserved)
}

/// Whether the tool holds every item of `sent` (item key -> masked value) as it was sent.
fn landed(running: &Running, sent: &Value) -> bool {
    let Value::Object(items) = sent else {
        return false;
    };
    !items.is_empty()
        && items.iter().all(|(k, v)| {
            running
                .get(k)
                .is_some_and(|now| differs(&mask(&project(now, v)), v, k).is_none())
        })
}

/// What may leave a tool: with `--prune`, an entry camscan wrote and nobody changed, for a device
/// the inventory no longer holds (`camscan prune` removed it after the retention the user set, or
/// `camscan forget`). A device still in the inventory keeps its entry whatever its last scan could
/// open: a scan without the credentials (its stream `refused`) or a camera rebooting (`down`) is
/// no reason to delete it from the tool.
#[derive(Clone, Copy)]
pub struct Leaving<'a> {
    /// `--prune`.
    pub prune: bool,
    /// Whether the inventory holds the device of this id.
    pub in_inventory: &'a dyn Fn(i64) -> bool,
}

/// Decide what to do with every camera of `wanted` and every entry of `ledger` (settled:
/// [`settle`]); `reserved` names cameras whose add never landed.
///
/// `entry(i, name)` is what wanted camera `i` would be written as under `name`; `secret(i)` the
/// MAC of the passwords it would carry.
pub fn plan(
    wanted: &[Wanted],
    (ledger, reserved): (&[PushRecord], &Reserved),
    running: &Running,
    items: &dyn Items,
    entry: &dyn Fn(usize, &str) -> Entry,
    secret: &dyn Fn(usize) -> Option<Vec<u8>>,
    leaving: Leaving<'_>,
) -> Vec<Step> {
    let owned: BTreeSet<String> = ledger
        .iter()
        .flat_map(|r| written_keys(&r.written))
        .collect();
    let mut taken: BTreeSet<String> = running.keys().cloned().collect();
    taken.extend(owned.iter().cloned());
    // Item keys of entries a person wrote, with the addresses their URLs pull from.
    let persons: Vec<(&String, BTreeSet<String>)> = running
        .iter()
        .filter(|(k, _)| !owned.contains(k.as_str()))
        .map(|(k, v)| (k, hosts(v)))
        .collect();
    let mut steps = Vec::new();
    let mut seen_records = BTreeSet::new();
    for (i, w) in wanted.iter().enumerate() {
        let step = |name: &str, action: Action| Step {
            name: name.to_string(),
            action,
            device_id: Some(w.device_id),
            channel: Some(w.channel),
            stream: w.label.clone(),
            instead_of: None,
            note: None,
            wanted: Some(i),
            stranded: false,
        };
        if let Some(r) = ledger
            .iter()
            .find(|r| r.device_id == w.device_id && r.channel == w.channel)
        {
            seen_records.insert(r.name.clone());
            let (action, stranded) = recorded_action(r, w, running, || {
                (mask_entry(&entry(i, &r.name)), secret(i))
            });
            let note = (action == Action::Add).then(|| {
                "deleted in the tool since camscan wrote it: added anew (camscan forget keeps a \
                 camera out of every push)"
                    .to_string()
            });
            steps.push(Step {
                stranded,
                note,
                ..step(&r.name, action)
            });
            continue;
        }
        // Not camscan's yet: a person's entry pulling from this camera keeps it.
        if let Some((key, _)) = persons
            .iter()
            .find(|(_, hs)| w.addresses.iter().any(|a| hs.contains(a)))
        {
            steps.push(step(
                &w.proposed,
                Action::Leave(format!(
                    "already in the tool as {key}, an entry camscan did not write"
                )),
            ));
            continue;
        }
        let proposed = reserved
            .get(&(w.device_id, w.channel))
            .unwrap_or(&w.proposed);
        let name = free_name(proposed, &taken, items);
        taken.extend(items.keys(&name));
        let mut s = step(
            &name,
            match &w.blocked {
                Some(why) => Action::Skip(why.clone()),
                None => Action::Add,
            },
        );
        if name != *proposed {
            s.instead_of = Some(proposed.clone());
        }
        steps.push(s);
    }
    for r in ledger {
        if !seen_records.contains(&r.name) {
            steps.push(orphan_step(r, running, leaving));
        }
    }
    steps
}

/// What becomes of the entry camscan wrote (`r`) for a camera still wanted (`w`): left when it
/// is gone from the tool or a person edited it, skipped when the camera is blocked, else kept or
/// updated as `new()` (the entry it would be now, masked, and its passwords' MAC) differs; and
/// whether it is stranded ([`Step::stranded`]).
fn recorded_action(
    r: &PushRecord,
    w: &Wanted,
    running: &Running,
    new: impl FnOnce() -> (Value, Option<Vec<u8>>),
) -> (Action, bool) {
    let written: Value = serde_json::from_str(&r.written).unwrap_or(Value::Null);
    let keys = written_keys(&r.written);
    if !keys.iter().any(|k| running.contains_key(k)) {
        // Deleted in the tool: handed back, and added anew (the plan's advice to a person who
        // edited an entry and wants camscan to own it again).
        let action = match &w.blocked {
            Some(why) => Action::Skip(why.clone()),
            None => Action::Add,
        };
        return (action, false);
    }
    if readback_hash(running, &written) != r.hash {
        let (why, moved) = edited(&r.name, &written, running, w);
        return (Action::Leave(why), moved);
    }
    (current_action(r, w, &written, new), false)
}

/// What becomes of an entry camscan wrote that nobody changed: kept, updated, or skipped when
/// the camera is blocked and the entry would change.
fn current_action(
    r: &PushRecord,
    w: &Wanted,
    written: &Value,
    new: impl FnOnce() -> (Value, Option<Vec<u8>>),
) -> Action {
    let (new, secret) = new();
    if let Some(why) = &w.blocked {
        // Its password is unknown to this push (no --credentials): an entry that is right but
        // for what cannot be known is kept, not skipped.
        let same = changes(written, &new, r.secret.as_deref(), r.secret.as_deref());
        return if same.is_empty() {
            Action::Keep
        } else {
            Action::Skip(why.clone())
        };
    }
    let reasons = changes(written, &new, r.secret.as_deref(), secret.as_deref());
    if reasons.is_empty() {
        Action::Keep
    } else {
        Action::Update(reasons)
    }
}

/// Why an entry camscan wrote and a person edited since is left alone: the field they changed,
/// and, when the camera has moved since, that the tool still pulls its old address and how to
/// hand the entry back (issue 73: a person's edit stopped a camera following its moves, and the
/// plan said only "now a person's"); and whether it has moved.
fn edited(name: &str, written: &Value, running: &Running, w: &Wanted) -> (String, bool) {
    let sent: Entry = match written {
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => Entry::new(),
    };
    let field = first_difference(running, &sent).unwrap_or_else(|| "a field".into());
    let old = camera_hosts(written);
    let now: BTreeSet<String> = w.addresses.iter().cloned().collect();
    let back = format!(
        "push with --hand-back {name} (or delete the entry in the tool and push again) to hand it \
         back to camscan"
    );
    if !old.is_empty() && old.is_disjoint(&now) {
        let why = format!(
            "moved: {} → {}, but the entry was edited in the tool since camscan wrote it ({field}), \
             so it is a person's and still pulls {}: set the new address there, or {back}",
            listed(&old),
            listed(&now),
            listed(&old)
        );
        (why, true)
    } else {
        let why =
            format!("edited in the tool since camscan wrote it ({field}): now a person's; {back}");
        (why, false)
    }
}

/// Addresses as the plan lists them: `a, b`.
fn listed(s: &BTreeSet<String>) -> String {
    s.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// The cameras' own addresses among the URLs of `v`: a restream through the tool's own go2rtc
/// (`127.0.0.1`, `--frigate-restream`) is no address of the camera.
fn camera_hosts(v: &Value) -> BTreeSet<String> {
    let mut h = hosts(v);
    h.retain(|h| !matches!(h.as_str(), "127.0.0.1" | "localhost" | "[::1]"));
    h
}

/// The step for an entry camscan wrote whose camera is no longer wanted: removed under
/// `--prune` when untouched and its device is gone from the inventory ([`Leaving`]), else left
/// with why.
fn orphan_step(r: &PushRecord, running: &Running, leaving: Leaving<'_>) -> Step {
    let written: Value = serde_json::from_str(&r.written).unwrap_or(Value::Null);
    let present = written_keys(&r.written)
        .iter()
        .any(|k| running.contains_key(k));
    let action = if !present {
        Action::Leave("removed from the tool; its camera is no longer in the inventory".into())
    } else if readback_hash(running, &written) != r.hash {
        Action::Leave("edited in the tool since camscan wrote it: now a person's".into())
    } else if (leaving.in_inventory)(r.device_id) {
        Action::Leave(
            "its camera is still in the inventory, but its last scan opened no stream of it \
             (refused, down or not checked): left as written; an entry leaves the tool only once \
             its device leaves the inventory (camscan prune, forget)"
                .into(),
        )
    } else if leaving.prune {
        Action::Remove
    } else {
        Action::Leave(
            "camscan wrote it for a camera no longer in the inventory: --prune removes it".into(),
        )
    };
    Step {
        name: r.name.clone(),
        action,
        device_id: Some(r.device_id),
        channel: Some(r.channel),
        stream: String::new(),
        instead_of: None,
        note: None,
        wanted: None,
        stranded: false,
    }
}

/// `proposed`, or the first of `proposed_2`, `proposed_3`... whose items are all free.
fn free_name(proposed: &str, taken: &BTreeSet<String>, items: &dyn Items) -> String {
    let free = |n: &str| items.keys(n).iter().all(|k| !taken.contains(k));
    if free(proposed) {
        return proposed.to_string();
    }
    // Bounded by the number of names taken: one of the first `taken.len() + 2` is free.
    (2..taken.len() + 3)
        .map(|n| format!("{proposed}_{n}"))
        .find(|n| free(n))
        .unwrap_or_else(|| format!("{proposed}_{}", taken.len() + 3))
}

/// The item keys of a ledger row's `written` object (none for a text that is not one).
pub fn written_keys(written: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(written) {
        Ok(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Why the new entry differs from what camscan wrote: the addresses, the rest of what it
/// writes, the login.
fn changes(
    old: &Value,
    new: &Value,
    old_secret: Option<&[u8]>,
    new_secret: Option<&[u8]>,
) -> Vec<String> {
    let mut reasons = Vec::new();
    let (before, after) = (camera_hosts(old), camera_hosts(new));
    if before != after {
        reasons.push(format!("moved: {} → {}", listed(&before), listed(&after)));
    }
    if strip_hosts(old) != strip_hosts(new) {
        reasons.push("its streams or settings changed".into());
    }
    if old_secret != new_secret {
        reasons.push("its login changed".into());
    }
    reasons
}

/// `v` with every URL's host replaced, to tell a move from other changes.
fn strip_hosts(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(match url_host(s) {
            Some(h) => s.replacen(&h, "HOST", 1),
            None => s.clone(),
        }),
        Value::Array(a) => Value::Array(a.iter().map(strip_hosts).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = if k == "host" {
                        Value::Null
                    } else {
                        strip_hosts(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The host of a URL in `s` (`198.18.0.12`, `[fd00::12]`), if `s` holds one (also after a
/// go2rtc source prefix such as `ffmpeg:`).
pub fn url_host(s: &str) -> Option<String> {
    let at = s.find("://")?;
    let rest = &s[at + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        &host_port[..host_port.find(']').map_or(host_port.len(), |i| i + 1)]
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Every URL host in `v`, and the `host` fields (Frigate's `onvif.host`).
fn hosts(v: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::String(s) => out.extend(url_host(s)),
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            Value::Object(m) => m.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(v, &mut out);
    out
}

/// `v` with every password out (URLs lose their userinfo, `password` fields read `*`), and
/// `roles` lists in one order: Frigate rewrites a lone input's roles as `["record", "detect"]`
/// whatever was sent (`frigate/config/camera/camera.py` `CameraConfig.__init__`, "add roles to the
/// input if there is only one"), and their order means nothing.
pub fn mask(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(strip_userinfo(s)),
        Value::Array(a) => Value::Array(a.iter().map(mask).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(_) if k == "password" => Value::String("*".into()),
                        Value::Array(roles) if k == "roles" => {
                            let mut roles: Vec<Value> = roles.iter().map(mask).collect();
                            roles.sort_by_key(|r| r.to_string());
                            Value::Array(roles)
                        }
                        _ => mask(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// An entry as one JSON object (item key -> value), passwords masked: what the ledger keeps.
pub fn mask_entry(e: &Entry) -> Value {
    Value::Object(e.iter().map(|(k, v)| (k.clone(), mask(v))).collect())
}

/// The ledger's text of an entry ([`mask_entry`], keys sorted).
pub fn ledger_text(e: &Entry) -> String {
    canonical(&mask_entry(e))
}

/// `s` without the userinfo of every URL in it (`rtsp://u:p@h/x` -> `rtsp://h/x`); a go2rtc
/// source prefix (`ffmpeg:`) is kept.
fn strip_userinfo(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("://") {
        out.push_str(&rest[..at + 3]);
        rest = &rest[at + 3..];
        let end = rest.find(['/', '?', '#', ' ']).unwrap_or(rest.len());
        if let Some(i) = rest[..end].rfind('@') {
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// `running` seen through `written`'s shape: for every field camscan wrote, what the tool holds
/// there now (`null` where it holds nothing); lists are compared whole, element by element. A
/// field whose name begins with `_` is camscan's note beside the entry (Home Assistant's `_why`,
/// `_login`), never sent as a field: taken as held as written.
pub fn project(running: &Value, written: &Value) -> Value {
    match (written, running) {
        (Value::Object(w), Value::Object(r)) => Value::Object(
            w.iter()
                .map(|(k, wv)| {
                    let now = if k.starts_with('_') {
                        wv.clone()
                    } else {
                        r.get(k).map_or(Value::Null, |rv| project(rv, wv))
                    };
                    (k.clone(), now)
                })
                .collect(),
        ),
        (Value::Array(w), Value::Array(r)) if w.len() == r.len() => {
            Value::Array(w.iter().zip(r).map(|(wv, rv)| project(rv, wv)).collect())
        }
        (_, r) => r.clone(),
    }
}

/// SHA-256 (hex) of what `running` holds in the fields of `written` (an object of item key ->
/// value), passwords masked: what the ledger compares to tell a person's edit.
pub fn readback_hash(running: &Running, written: &Value) -> String {
    let Value::Object(w) = written else {
        return String::new();
    };
    let seen: serde_json::Map<String, Value> = w
        .iter()
        .map(|(k, wv)| {
            let now = running.get(k).map_or(Value::Null, |rv| project(rv, wv));
            (k.clone(), mask(&now))
        })
        .collect();
    let digest = Sha256::digest(canonical(&Value::Object(seen)).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON with every object's keys sorted: the same value always gives the same text.
pub fn canonical(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&m[k])))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(v).to_string()
}

/// Where the projection of the tool's read-back differs from what was sent: the first field, or
/// `None` when the tool holds exactly what camscan wrote (passwords aside).
pub fn first_difference(running: &Running, entry: &Entry) -> Option<String> {
    for (k, sent) in entry {
        let sent = mask(sent);
        let Some(now) = running.get(k) else {
            return Some(format!("{k}: missing"));
        };
        let seen = mask(&project(now, &sent));
        if let Some(path) = differs(&seen, &sent, k) {
            return Some(path);
        }
    }
    None
}

fn differs(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => y.iter().find_map(|(k, yv)| {
            differs(x.get(k).unwrap_or(&Value::Null), yv, &format!("{path}.{k}"))
        }),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (xv, yv))| differs(xv, yv, &format!("{path}.{i}"))),
        _ if a == b => None,
        // Numbers the tool read back as floats (5 as 5.0).
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => None,
        _ => Some(format!("{path}: sent {b}, the tool holds {a}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Frigate;
    impl Items for Frigate {
        fn keys(&self, name: &str) -> Vec<String> {
            vec![format!("cameras.{name}")]
        }
    }

    fn wanted(id: i64, name: &str, ip: &str) -> Wanted {
        Wanted {
            device_id: id,
            channel: 1,
            proposed: name.into(),
            addresses: vec![ip.into()],
            label: format!("rtsp://{ip}/live"),
            blocked: None,
        }
    }

    fn camera(ip: &str) -> Value {
        json!({"ffmpeg": {"inputs": [{"path": format!("rtsp://admin:secret@{ip}:554/live"),
                                       "roles": ["detect", "record"]}]},
               "detect": {"enabled": true, "width": 640, "height": 360, "fps": 5}})
    }

    fn entry_of(w: &[Wanted]) -> impl Fn(usize, &str) -> Entry + '_ {
        move |i, name| {
            let ip = w[i].addresses[0].clone();
            BTreeMap::from([(format!("cameras.{name}"), camera(&ip))])
        }
    }

    /// What the tool reads back after camscan wrote `e`: defaults added, passwords masked as
    /// Frigate masks them.
    fn readback(e: &Entry) -> Running {
        e.iter()
            .map(|(k, v)| {
                let mut v = v.clone();
                v["detect"]["stationary"] = json!({"interval": 50});
                let p = v["ffmpeg"]["inputs"][0]["path"]
                    .as_str()
                    .unwrap()
                    .to_string();
                v["ffmpeg"]["inputs"][0]["path"] = json!(p.replace("admin:secret@", "*:*@"));
                v["ffmpeg"]["inputs"][0]["input_args"] = json!("preset-rtsp-generic");
                (k.clone(), v)
            })
            .collect()
    }

    /// The plan into Frigate of `w`, with the `ledger` settled, nothing reserved and no prune.
    fn frigate_plan(
        w: &[Wanted],
        ledger: &[PushRecord],
        running: &Running,
        entry: &dyn Fn(usize, &str) -> Entry,
        secret: &dyn Fn(usize) -> Option<Vec<u8>>,
    ) -> Vec<Step> {
        plan(
            w,
            (ledger, &Reserved::new()),
            running,
            &Frigate,
            entry,
            secret,
            Leaving {
                prune: false,
                in_inventory: &|_| false,
            },
        )
    }

    fn record(name: &str, id: i64, e: &Entry, running: &Running) -> PushRecord {
        let written: Value = serde_json::from_str(&ledger_text(e)).unwrap();
        PushRecord {
            tool: "frigate".into(),
            target: "t".into(),
            name: name.into(),
            tool_key: None,
            device_id: id,
            channel: 1,
            written: ledger_text(e),
            hash: readback_hash(running, &written),
            secret: Some(vec![1]),
            written_at: 0,
            pending: None,
        }
    }

    #[test]
    fn the_ledger_never_holds_a_password() {
        let e = BTreeMap::from([(
            "cameras.x".to_string(),
            json!({"ffmpeg": {"inputs": [{"path": "rtsp://admin:s3cr3t@h/x"}]},
                   "onvif": {"user": "admin", "password": "s3cr3t"}}),
        )]);
        let text = ledger_text(&e);
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("rtsp://h/x"), "{text}");
    }

    #[test]
    fn add_then_keep_then_move_is_one_update_under_the_same_name() {
        let w = vec![wanted(1, "front", "198.18.0.12")];
        let entry = entry_of(&w);
        let secret = |_| Some(vec![1]);
        let empty = Running::new();
        let steps = frigate_plan(&w, &[], &empty, &entry, &secret);
        assert_eq!(steps[0].action, Action::Add);
        assert_eq!(steps[0].name, "front");
        // Written: the tool reads it back with its defaults.
        let e = entry(0, "front");
        let running = readback(&e);
        let ledger = [record("front", 1, &e, &running)];
        let steps = frigate_plan(&w, &ledger, &running, &entry, &secret);
        assert_eq!(steps[0].action, Action::Keep, "{steps:?}");
        // The camera moved: the same name, one update saying so.
        let moved = vec![wanted(1, "front_other_name", "198.18.0.15")];
        let entry2 = entry_of(&moved);
        let steps = frigate_plan(&moved, &ledger, &running, &entry2, &secret);
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].name, "front");
        match &steps[0].action {
            Action::Update(why) => {
                assert_eq!(why, &["moved: 198.18.0.12 → 198.18.0.15".to_string()])
            }
            other => panic!("{other:?}"),
        }
        // A new password alone is an update too.
        let other = |_| Some(vec![2]);
        let steps = frigate_plan(&w, &ledger, &running, &entry, &other);
        assert_eq!(
            steps[0].action,
            Action::Update(vec!["its login changed".into()])
        );
    }

    /// Issue 73: a push without --credentials (the password unknown) keeps an entry that is
    /// right but for the password it cannot know, and skips only one that would change.
    #[test]
    fn an_unknown_password_keeps_an_entry_that_is_right() {
        let w = vec![wanted(1, "front", "198.18.0.12")];
        let e = entry_of(&w)(0, "front");
        let running = readback(&e);
        let ledger = [record("front", 1, &e, &running)];
        let mut w = w.clone();
        w[0].blocked = Some("its password is unknown".into());
        let entry = entry_of(&w);
        let steps = frigate_plan(&w, &ledger, &running, &entry, &|_| None);
        assert_eq!(steps[0].action, Action::Keep, "{steps:?}");
        let mut moved = vec![wanted(1, "front", "198.18.0.15")];
        moved[0].blocked = w[0].blocked.clone();
        let entry2 = entry_of(&moved);
        let steps = frigate_plan(&moved, &ledger, &running, &entry2, &|_| None);
        assert!(matches!(steps[0].action, Action::Skip(_)), "{steps:?}");
    }

    /// Issue 73: an input through the tool's own go2rtc (`--frigate-restream`,
    /// rtsp://127.0.0.1:8554/NAME) is no move of the camera; `why` is a list in every step.
    #[test]
    fn a_restream_is_no_move_and_why_is_always_a_list() {
        let old = json!({"ffmpeg": {"inputs": [{"path": "rtsp://198.18.0.12:554/live"}]}});
        let new = json!({"ffmpeg": {"inputs": [{"path": "rtsp://127.0.0.1:8554/front"},
                                               {"path": "rtsp://198.18.0.12:554/live"}]}});
        assert_eq!(
            changes(&old, &new, None, None),
            ["its streams or settings changed".to_string()]
        );
        for a in [
            Action::Leave("a".into()),
            Action::Skip("b".into()),
            Action::Update(vec!["c".into()]),
        ] {
            let v = serde_json::to_value(&a).unwrap();
            assert!(v["why"].is_array(), "{v}");
        }
    }

    /// An update with a new password, killed after its request and before its record: the next
    /// plan sees the tool holding it and takes its passwords' MAC with it (nothing to do); an
    /// update that did not land keeps the old MAC, so the new password is still proposed.
    #[test]
    fn a_killed_update_that_landed_keeps_the_login_it_sent() {
        let w = vec![wanted(1, "front", "198.18.0.12")];
        let entry = entry_of(&w);
        let e = entry(0, "front");
        let running = readback(&e);
        let mut r = record("front", 1, &e, &running);
        r.pending = Some(store::Pending {
            written: ledger_text(&e),
            secret: Some(vec![2]),
        });
        let new_password = |_| Some(vec![2]);
        let (ledger, reserved) = settle(vec![r.clone()], &running);
        assert!(reserved.is_empty());
        assert_eq!(ledger[0].secret, Some(vec![2]), "the pending write's MAC");
        assert_eq!(ledger[0].pending, None);
        let steps = frigate_plan(&w, &ledger, &running, &entry, &new_password);
        assert_eq!(steps[0].action, Action::Keep, "{steps:?}");
        // Not landed: the tool holds nothing of it; the row stays as written, old MAC and all.
        let (ledger, _) = settle(vec![r], &Running::new());
        assert_eq!(ledger[0].secret, Some(vec![1]));
        let steps = frigate_plan(&w, &ledger, &running, &entry, &new_password);
        assert_eq!(
            steps[0].action,
            Action::Update(vec!["its login changed".into()])
        );
    }

    #[test]
    fn a_persons_edit_makes_the_entry_theirs_and_their_additions_do_not() {
        let w = vec![wanted(1, "front", "198.18.0.12")];
        let entry = entry_of(&w);
        let secret = |_| Some(vec![1]);
        let e = entry(0, "front");
        let mut running = readback(&e);
        let ledger = [record("front", 1, &e, &running)];
        // A zone added beside camscan's fields: still camscan's entry.
        running.get_mut("cameras.front").unwrap()["zones"] = json!({"porch": {}});
        let steps = frigate_plan(&w, &ledger, &running, &entry, &secret);
        assert_eq!(steps[0].action, Action::Keep);
        // The detect size camscan wrote, changed by a person: theirs now, even when moved.
        running.get_mut("cameras.front").unwrap()["detect"]["width"] = json!(1280);
        let moved = vec![wanted(1, "front", "198.18.0.15")];
        let entry2 = entry_of(&moved);
        let steps = frigate_plan(&moved, &ledger, &running, &entry2, &secret);
        // Issue 73: the plan says it moved, which field the person changed, that the tool still
        // pulls the old address, and how to hand the entry back.
        match &steps[0].action {
            Action::Leave(why) => {
                assert!(steps[0].stranded, "{steps:?}");
                for words in [
                    "moved: 198.18.0.12 → 198.18.0.15",
                    "detect.width",
                    "still pulls 198.18.0.12",
                    "hand it back",
                ] {
                    assert!(why.contains(words), "{words}: {why}");
                }
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_entry_deleted_in_the_tool_is_added_anew_under_its_name() {
        let w = vec![wanted(1, "front", "198.18.0.12")];
        let entry = entry_of(&w);
        let secret = |_| None;
        let e = entry(0, "front");
        let ledger = [record("front", 1, &e, &readback(&e))];
        let steps = frigate_plan(&w, &ledger, &Running::new(), &entry, &secret);
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert_eq!(
            (steps[0].name.as_str(), &steps[0].action),
            ("front", &Action::Add)
        );
        assert!(
            steps[0]
                .note
                .as_deref()
                .unwrap_or("")
                .contains("deleted in the tool"),
            "{steps:?}"
        );
        // A camera whose password is unknown is skipped instead, with why.
        let mut blocked = w.clone();
        blocked[0].blocked = Some("its password is unknown".into());
        let steps = frigate_plan(&blocked, &ledger, &Running::new(), &entry, &secret);
        assert!(matches!(steps[0].action, Action::Skip(_)), "{steps:?}");
    }

    #[test]
    fn a_name_a_person_holds_gives_the_new_camera_another_name() {
        let w = vec![wanted(1, "front", "198.18.0.12")];
        let entry = entry_of(&w);
        let secret = |_| None;
        let running = Running::from([
            ("cameras.front".to_string(), camera("10.0.0.9")),
            ("cameras.front_2".to_string(), camera("10.0.0.8")),
        ]);
        let steps = frigate_plan(&w, &[], &running, &entry, &secret);
        assert_eq!(steps[0].action, Action::Add);
        assert_eq!(steps[0].name, "front_3");
        assert_eq!(steps[0].instead_of.as_deref(), Some("front"));
        assert_eq!(
            steps.len(),
            1,
            "the person's cameras get no step: {steps:?}"
        );
    }

    #[test]
    fn a_camera_a_person_already_added_is_left_alone() {
        let w = vec![wanted(1, "front", "198.18.0.12")];
        let entry = entry_of(&w);
        let running = Running::from([("cameras.porch".to_string(), camera("198.18.0.12"))]);
        let steps = frigate_plan(&w, &[], &running, &entry, &|_| None);
        assert_eq!(
            steps[0].action,
            Action::Leave(
                "already in the tool as cameras.porch, an entry camscan did not write".into()
            )
        );
    }

    #[test]
    fn prune_removes_only_what_camscan_wrote_and_nobody_changed() {
        let e = entry_of(&[wanted(1, "a", "198.18.0.12")])(0, "a");
        let f = entry_of(&[wanted(2, "b", "198.18.0.13")])(0, "b");
        let mut running = readback(&e);
        running.extend(readback(&f));
        let ledger = [record("a", 1, &e, &running), record("b", 2, &f, &running)];
        running.get_mut("cameras.b").unwrap()["detect"]["fps"] = json!(10);
        let none = |_: usize, _: &str| Entry::new();
        let kept = frigate_plan(&[], &ledger, &running, &none, &|_| None);
        assert!(
            kept.iter().all(|s| matches!(s.action, Action::Leave(_))),
            "{kept:?}"
        );
        let pruned = |in_inventory: &dyn Fn(i64) -> bool| {
            plan(
                &[],
                (&ledger, &Reserved::new()),
                &running,
                &Frigate,
                &none,
                &|_| None,
                Leaving {
                    prune: true,
                    in_inventory,
                },
            )
        };
        let gone = pruned(&|_| false);
        assert_eq!(gone[0].action, Action::Remove);
        assert!(matches!(gone[1].action, Action::Leave(_)), "{gone:?}");
        // Issue 73: a camera still in the inventory whose stream the last scan could not open
        // (a rescan without --credentials, a reboot) is never removed, and the plan says why.
        let still_there = pruned(&|id| id == 1);
        match &still_there[0].action {
            Action::Leave(why) => assert!(why.contains("still in the inventory"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn frigates_own_order_of_a_lone_inputs_roles_is_no_edit() {
        let e = BTreeMap::from([("cameras.x".to_string(), camera("198.18.0.1"))]);
        let mut r = readback(&e);
        r.get_mut("cameras.x").unwrap()["ffmpeg"]["inputs"][0]["roles"] =
            json!(["record", "detect"]);
        assert_eq!(first_difference(&r, &e), None);
        let written: Value = serde_json::from_str(&ledger_text(&e)).unwrap();
        assert_eq!(
            readback_hash(&r, &written),
            readback_hash(&readback(&e), &written)
        );
    }

    #[test]
    fn hosts_and_userinfo_of_urls() {
        assert_eq!(
            url_host("rtsp://u:p@198.18.0.1:554/x").as_deref(),
            Some("198.18.0.1")
        );
        assert_eq!(
            url_host("ffmpeg:http://[fd00::1]:80/a.m3u8").as_deref(),
            Some("[fd00::1]")
        );
        assert_eq!(url_host("not a url"), None);
        assert_eq!(
            strip_userinfo("rtsp://u:p@h/x#backchannel=0"),
            "rtsp://h/x#backchannel=0"
        );
        assert_eq!(strip_userinfo("rtsp://***@h/x"), "rtsp://h/x");
        assert_eq!(strip_userinfo("rtsp://h/x?a=b@c"), "rtsp://h/x?a=b@c");
    }

    #[test]
    fn the_first_difference_names_the_field() {
        let e = BTreeMap::from([("cameras.x".to_string(), camera("198.18.0.1"))]);
        let mut r = readback(&e);
        assert_eq!(first_difference(&r, &e), None);
        r.get_mut("cameras.x").unwrap()["detect"]["fps"] = json!(5.0);
        assert_eq!(first_difference(&r, &e), None);
        r.get_mut("cameras.x").unwrap()["detect"]["width"] = json!(1);
        assert_eq!(
            first_difference(&r, &e).as_deref(),
            Some("cameras.x.detect.width: sent 640, the tool holds 1")
        );
    }
}
