//! `camscan watch --push TOOL=URL`: after each scan round, each tool planned and brought up to
//! date from the inventory ([`crate::push`]): a camera that moved is updated under the name
//! camscan gave it, a new one added, a person's entries left alone, nothing deleted (unless
//! `--prune`). Each camera pushed is a `pushed` event for the sinks, each refused one a
//! `push_failed`; a round that changes nothing sends nothing and records nothing.
//!
//! A tool that cannot be reached is tried again after a backoff (30 s, doubling to 15 min),
//! logged once when it goes away and once when it is back: an outage is not an event per camera
//! per round (the cameras it missed are pushed, as `pushed` events, when it answers again).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::push::plan::Action;
use crate::push::{Outcome, PushError, Settings};
use store::EventKind;
use store::Inventory;

/// The first wait after a tool did not answer.
const BACKOFF_FIRST: Duration = Duration::from_secs(30);
/// The longest wait between two tries.
const BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);

/// One `--push` target and its retry state.
pub struct Pusher {
    settings: Settings,
    /// Tries failed in a row (the tool unreachable or its login refused).
    failures: u32,
    /// Not before this.
    next_try: Option<Instant>,
    /// Entries already told to the sinks as moved but a person's ([`stranded`]): each is told
    /// once, not every round.
    told: std::collections::BTreeSet<String>,
}

impl Pusher {
    pub fn all(settings: &[Settings]) -> Vec<Pusher> {
        settings
            .iter()
            .map(|s| Pusher {
                settings: s.clone(),
                failures: 0,
                next_try: None,
                told: Default::default(),
            })
            .collect()
    }

    /// Push once, unless backing off; whether events were recorded.
    pub async fn round(&mut self, db: &Inventory) -> bool {
        if self.next_try.is_some_and(|t| Instant::now() < t) {
            return false;
        }
        let shown = self.settings.target.shown();
        let tool = self.settings.target.tool.name();
        let mut store = match crate::record::open(db) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("watch --push {tool}: the inventory: {e}");
                return false;
            }
        };
        match crate::push::run(&mut store, &self.settings).await {
            Ok(o) => {
                if self.failures > 0 {
                    tracing::info!("watch --push: {tool} at {shown} answers again");
                }
                self.failures = 0;
                self.next_try = None;
                let mut events = events(&o);
                for (device, name, detail) in stranded(&o) {
                    if self.told.insert(name) {
                        events.push((EventKind::PushFailed, device, detail));
                    }
                }
                let any = !events.is_empty();
                for (kind, device, detail) in events {
                    if let Err(e) = store.record_push_event(kind, device, &detail) {
                        tracing::error!("watch --push: recording its event: {e}");
                    }
                }
                let changed = o.count("add") + o.count("update") + o.count("remove");
                if changed > 0 || o.failed() {
                    tracing::info!("watch --push: {}", crate::push::render::summary(&o));
                }
                any
            }
            Err(e @ (PushError::Unreachable { .. } | PushError::Login { .. })) => {
                let wait = backoff(self.failures);
                if self.failures == 0 {
                    tracing::warn!(
                        "watch --push: {e}; trying again in {} s, then less often",
                        wait.as_secs()
                    );
                } else {
                    tracing::debug!("watch --push: {e}; next try in {} s", wait.as_secs());
                }
                self.failures = self.failures.saturating_add(1);
                self.next_try = Some(Instant::now() + wait);
                false
            }
            Err(e) => {
                tracing::error!("watch --push {tool} at {shown}: {e}");
                false
            }
        }
    }
}

/// The wait after `failures` earlier failed tries: 30 s doubling, at most 15 min.
fn backoff(failures: u32) -> Duration {
    BACKOFF_FIRST
        .saturating_mul(1u32 << failures.min(10))
        .min(BACKOFF_MAX)
}

/// The events of one push: `pushed` for each camera added, updated or removed and verified,
/// `push_failed` for each refused or not holding what was sent.
fn events(o: &Outcome) -> Vec<(EventKind, i64, serde_json::Value)> {
    let mut out = Vec::new();
    for (step, r) in o.steps.iter().zip(&o.results) {
        let (Some(device), true) = (step.device_id, r.sent) else {
            continue;
        };
        let why = match &step.action {
            Action::Update(w) => w.clone(),
            _ => Vec::new(),
        };
        let detail = json!({
            "tool": o.tool.name(),
            "target": o.target,
            "name": step.name,
            "action": step.action.word(),
            "why": why,
            "error": r.message,
        });
        let kind = if r.accepted && r.verified != Some(false) {
            EventKind::Pushed
        } else {
            EventKind::PushFailed
        };
        out.push((kind, device, detail));
    }
    out
}

/// The entries a person edited whose camera has moved since ([`crate::push::plan::Step::stranded`]):
/// the tool still pulls the old address and camscan may not follow. Each is a `push_failed`
/// event with the plan's reason, so a watch says it instead of silently leaving the tool on the
/// old address.
fn stranded(o: &Outcome) -> Vec<(i64, String, serde_json::Value)> {
    o.steps
        .iter()
        .filter_map(|step| match (&step.action, step.device_id) {
            (Action::Leave(why), Some(device)) if step.stranded => Some((
                device,
                step.name.clone(),
                json!({
                    "tool": o.tool.name(),
                    "target": o.target,
                    "name": step.name,
                    "action": "leave",
                    "why": [why],
                    "error": why,
                }),
            )),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 73: a camera a person's edit keeps on its old address is told once.
    #[test]
    fn a_moved_camera_a_person_edited_is_told() {
        use crate::push::plan::Step;
        let step = |name: &str, action: Action, stranded: bool| Step {
            name: name.into(),
            action,
            device_id: Some(3),
            channel: Some(1),
            stream: String::new(),
            instead_of: None,
            note: None,
            wanted: Some(0),
            stranded,
        };
        let o = Outcome {
            tool: crate::push::ToolKind::parse("frigate").unwrap(),
            target: "http://f:5000".into(),
            dry_run: false,
            steps: vec![
                step(
                    "front",
                    Action::Leave("moved: a → b, but the entry was edited".into()),
                    true,
                ),
                step(
                    "yard",
                    Action::Leave("edited in the tool since camscan wrote it".into()),
                    false,
                ),
                step("gate", Action::Keep, false),
            ],
            results: Vec::new(),
            references: Vec::new(),
            notes: Vec::new(),
        };
        let told = stranded(&o);
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].1, "front");
        assert_eq!(
            told[0].2["why"][0],
            "moved: a → b, but the entry was edited"
        );
    }

    #[test]
    fn backoff_doubles_to_a_ceiling() {
        assert_eq!(backoff(0), Duration::from_secs(30));
        assert_eq!(backoff(1), Duration::from_secs(60));
        assert_eq!(backoff(4), Duration::from_secs(480));
        assert_eq!(backoff(5), BACKOFF_MAX);
        assert_eq!(backoff(u32::MAX), BACKOFF_MAX);
    }
}
