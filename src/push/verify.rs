//! Step 3 of a push ([`super::run`]): the tool read again once it has settled, each step's
//! result, and the ledger written from what the tool holds.

use std::time::Duration;

use super::plan::{self, Action};
use super::{Outcome, Push, PushError, Result1, held, tools};
use super::{ledger, written_keys_of};
use store::{Pending, PushRecord, Store};

/// Step 3: read the tool again; each step's result, and the ledger written from what the tool
/// holds.
pub(super) async fn verify(
    store: &mut Store,
    p: &Push<'_>,
    outcome: &mut Outcome,
    sent: &[Option<tools::Sent>],
) -> Result<(), PushError> {
    let (tool, shown, cams) = (p.tool, &p.shown, &p.cams);
    tracing::info!("push: verifying at {shown}");
    let (after, waited) = settled_read(p, outcome, sent).await?;
    let now = jiff::Timestamp::now().as_millisecond();
    for (step, s) in outcome.steps.iter().zip(sent) {
        let result = match (&step.action, step.wanted, s) {
            (Action::Add | Action::Update(_), Some(i), Some(s)) if s.ok => {
                let e = s.instead.clone().unwrap_or_else(|| p.entry(i, &step.name));
                let diff = unsettled(p, &after, &e);
                let written = plan::ledger_text(&e);
                let masked: serde_json::Value = serde_json::from_str(&written).unwrap_or_default();
                let secret = cams.secret(store, i);
                // A write the tool still reads back otherwise once it had time to apply it stays
                // pending in the ledger: a later read that holds it takes it (`plan::settle`),
                // and what it reads meanwhile is never taken for a person's edit.
                let pending = diff.as_ref().map(|_| Pending {
                    written: written.clone(),
                    secret: secret.clone(),
                });
                store.record_push(&PushRecord {
                    tool: tool.name().into(),
                    target: shown.clone(),
                    name: step.name.clone(),
                    tool_key: after.get(&step.name).and_then(|v| tool.tool_key(v)),
                    device_id: cams.ids[i].0,
                    channel: cams.ids[i].1,
                    written,
                    hash: plan::readback_hash(&after, &masked),
                    secret,
                    written_at: now,
                    pending,
                })?;
                let diff = diff.map(|d| match waited {
                    Some(w) => format!(
                        "pending: {d}, {} s after the write (the tool has not applied it yet, \
                         or not as sent; the next push reads it again)",
                        w.as_secs()
                    ),
                    None => d,
                });
                Result1 {
                    sent: true,
                    accepted: true,
                    verified: Some(diff.is_none()),
                    message: diff.or(s.message.clone()),
                }
            }
            (Action::Remove, _, Some(s)) if s.ok => {
                let keys = p.ledger_keys(&step.name);
                let gone = keys.iter().all(|k| !after.contains_key(k));
                if gone {
                    store.forget_push(tool.name(), shown, &step.name)?;
                }
                Result1 {
                    sent: true,
                    accepted: true,
                    verified: Some(gone),
                    message: (!gone).then(|| "still in the tool after removal".to_string()),
                }
            }
            (_, _, Some(s)) => Result1 {
                sent: true,
                accepted: false,
                verified: None,
                message: s.message.clone(),
            },
            (Action::Keep, Some(i), None) => {
                // A row written before the ledger kept the tool's own key: kept now.
                let key = after.get(&step.name).and_then(|v| tool.tool_key(v));
                if let Some(key) = key.filter(|_| {
                    p.ledger
                        .iter()
                        .any(|r| r.name == step.name && r.tool_key.is_none())
                }) {
                    store.set_push_tool_key(tool.name(), shown, &step.name, &key)?;
                }
                let e = p.entry(i, &step.name);
                let diff = plan::first_difference(&after, &e)
                    .or_else(|| tool.health(&held(&after, &written_keys_of(&e))));
                Result1 {
                    sent: false,
                    accepted: true,
                    verified: Some(diff.is_none()),
                    message: diff,
                }
            }
            _ => Result1 {
                sent: false,
                accepted: true,
                verified: None,
                message: None,
            },
        };
        outcome.results.push(result);
    }
    Ok(())
}

/// Why the tool does not hold `e` as sent, or the camera does not work there (`None`: it does).
fn unsettled(p: &Push<'_>, after: &plan::Running, e: &plan::Entry) -> Option<String> {
    plan::first_difference(after, e)
        .map(|d| format!("read back differently: {d}"))
        .or_else(|| p.tool.health(&held(after, &written_keys_of(e))))
}

/// The tool read back after a push, entries a person renamed found by the tool's own key; read
/// again, every half second within the tool's [`tools::PushTool::settles_within`], while a write
/// it took reads back otherwise (Home Assistant reloads an ONVIF entry after its flow answered).
/// How long it waited, when a write was still unsettled at the end.
async fn settled_read(
    p: &Push<'_>,
    outcome: &Outcome,
    sent: &[Option<tools::Sent>],
) -> Result<(plan::Running, Option<Duration>), PushError> {
    let started = std::time::Instant::now();
    let bound = p.tool.settles_within();
    loop {
        let mut after = p.tool.read(&p.client).await?;
        ledger::rekey(&mut after, &p.ledger, &|v| p.tool.tool_key(v));
        let waiting =
            outcome
                .steps
                .iter()
                .zip(sent)
                .any(|(step, s)| match (&step.action, step.wanted, s) {
                    (Action::Add | Action::Update(_), Some(i), Some(s)) if s.ok => {
                        let e = s.instead.clone().unwrap_or_else(|| p.entry(i, &step.name));
                        unsettled(p, &after, &e).is_some()
                    }
                    _ => false,
                });
        if !waiting {
            return Ok((after, None));
        }
        if started.elapsed() + Duration::from_millis(500) > bound {
            let waited = (!bound.is_zero()).then(|| started.elapsed());
            return Ok((after, waited));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
