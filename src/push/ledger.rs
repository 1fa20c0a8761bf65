//! The ledger of what camscan wrote into a tool, read against what the tool holds now, before
//! a plan is made ([`super::plan`], which also settles pending writes: `plan::settle`): entries
//! a person renamed found again by the tool's own key ([`rekey`]), and entries a person handed
//! back ([`hand_back`]). Pure functions, no I/O.

use std::collections::BTreeMap;

use serde_json::Value;

use super::plan::{Running, canonical, mask, project, readback_hash};
use store::PushRecord;

/// Entries a person renamed in a tool that keys its entries by a key of its own beside the name
/// people see (Home Assistant's entry id, [`PushRecord::tool_key`]; one item per entry): each
/// ledger row's entry found again by that key and moved under camscan's name in `running`, so
/// that a rename leaves the entry camscan's (the title is then the person's). `key_of` reads an
/// item's key. Returns the names the person gave, by camscan's name.
pub fn rekey(
    running: &mut Running,
    ledger: &[PushRecord],
    key_of: &dyn Fn(&Value) -> Option<String>,
) -> BTreeMap<String, String> {
    let mut renamed = BTreeMap::new();
    for r in ledger {
        let Some(k) = r.tool_key.as_deref() else {
            continue;
        };
        let holds = |v: &Value| key_of(v).as_deref() == Some(k);
        if running.get(&r.name).is_some_and(holds) {
            continue;
        }
        let Some(found) = running
            .iter()
            .find(|(_, v)| holds(v))
            .map(|(name, _)| name.clone())
        else {
            continue;
        };
        let Some(v) = running.remove(&found) else {
            continue;
        };
        // Another entry titled with camscan's name (a person's) stays, under its own key too.
        if let Some(other) = running.remove(&r.name) {
            let id = key_of(&other).unwrap_or_default();
            running.insert(format!("{} ({id})", r.name), other);
        }
        running.insert(r.name.clone(), v);
        renamed.insert(r.name.clone(), found);
    }
    renamed
}

/// The ledger rows of `names` (`--hand-back`) taken as camscan's again: each row's written
/// fields become what the tool holds there now, so the plan updates them to camscan's; an error
/// names an entry camscan never wrote (one the tool no longer holds the plan adds anew anyway).
pub fn hand_back(
    ledger: &mut [PushRecord],
    running: &Running,
    names: &[String],
) -> Result<(), String> {
    for name in names {
        let Some(r) = ledger.iter_mut().find(|r| &r.name == name) else {
            return Err(format!(
                "--hand-back {name:?}: camscan wrote no entry of that name there (the plan lists \
                 the entries it wrote)"
            ));
        };
        let written: Value = serde_json::from_str(&r.written).unwrap_or(Value::Null);
        let Value::Object(items) = &written else {
            continue;
        };
        if !items.keys().any(|k| running.contains_key(k)) {
            // Gone from the tool: the plan adds it anew anyway.
            continue;
        }
        let held: serde_json::Map<String, Value> = items
            .iter()
            .map(|(k, v)| {
                let now = running.get(k).map_or(Value::Null, |rv| project(rv, v));
                (k.clone(), mask(&now))
            })
            .collect();
        let held = Value::Object(held);
        r.hash = readback_hash(running, &held);
        r.written = canonical(&held);
        // Its login as the tool holds it is unknown: written again.
        r.secret = None;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(name: &str, key: Option<&str>, written: &Value, running: &Running) -> PushRecord {
        PushRecord {
            tool: "homeassistant".into(),
            target: "t".into(),
            name: name.into(),
            tool_key: key.map(str::to_string),
            device_id: 1,
            channel: 1,
            written: canonical(written),
            hash: readback_hash(running, written),
            secret: None,
            written_at: 0,
            pending: None,
        }
    }

    fn key_of(v: &Value) -> Option<String> {
        v["_entry_id"].as_str().map(str::to_string)
    }

    #[test]
    fn a_renamed_entry_is_found_by_the_tools_own_key() {
        let ours = json!({"_entry_id": "a1", "stream_source": "rtsp://198.18.0.5/live"});
        let written = json!({"front": {"stream_source": "rtsp://198.18.0.5/live"}});
        let before: Running = [("front".to_string(), ours.clone())].into();
        let ledger = [row("front", Some("a1"), &written, &before)];
        // A person renamed it "Front door", and titled one of their own "front".
        let mut running: Running = [
            ("Front door".to_string(), ours.clone()),
            ("front".to_string(), json!({"_entry_id": "p9"})),
        ]
        .into();
        let renamed = rekey(&mut running, &ledger, &key_of);
        assert_eq!(renamed["front"], "Front door");
        assert_eq!(running["front"], ours);
        assert_eq!(running["front (p9)"]["_entry_id"], "p9");
        assert_eq!(running.len(), 2);
        // Its hash is what camscan wrote: still camscan's.
        assert_eq!(readback_hash(&running, &written), ledger[0].hash);
        // A row without the tool's key, or an entry not renamed, moves nothing.
        let mut same: Running = [("front".to_string(), ours)].into();
        assert!(rekey(&mut same, &ledger, &key_of).is_empty());
        let unkeyed = [row("front", None, &written, &before)];
        let mut r2: Running = [("x".to_string(), json!({"_entry_id": "a1"}))].into();
        assert!(rekey(&mut r2, &unkeyed, &key_of).is_empty());
        assert!(r2.contains_key("x"));
    }

    #[test]
    fn a_handed_back_entry_is_camscans_with_what_the_tool_holds() {
        let written = json!({"front": {"stream_source": "rtsp://198.18.0.5/live", "framerate": 2}});
        let as_written: Running = [("front".to_string(), written["front"].clone())].into();
        let mut ledger = vec![row("front", None, &written, &as_written)];
        ledger[0].secret = Some(vec![7]);
        // A person set another frame rate: the hash differs (a person's).
        let mut running = as_written.clone();
        running.get_mut("front").unwrap()["framerate"] = json!(5);
        assert_ne!(readback_hash(&running, &written), ledger[0].hash);
        hand_back(&mut ledger, &running, &["front".into()]).unwrap();
        let now: Value = serde_json::from_str(&ledger[0].written).unwrap();
        assert_eq!(now["front"]["framerate"], 5, "what the tool holds");
        assert_eq!(
            readback_hash(&running, &now),
            ledger[0].hash,
            "unchanged since"
        );
        assert_eq!(ledger[0].secret, None, "its login written again");
        let e = hand_back(&mut ledger, &running, &["nobody".into()]).unwrap_err();
        assert!(e.contains("nobody"), "{e}");
    }
}
