//! Home Assistant's config and options flows, step by step, for each camera of a push.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::{Value, json};

use super::entry::{integration, normal_mac};
use super::identity::reported_identity;
use super::read::seg;
use crate::push::PushError;
use crate::push::client::{Answer, Client, Request};
use crate::push::plan::{Entry, Running};
use crate::push::tools::{Job, Sent};

/// Flows run side by side at most: Home Assistant opens each camera's stream in a flow (3 s when
/// it plays, 30 s when not), and a site's worth at once would load the machine it runs on.
const FLOWS_AT_ONCE: usize = 4;

/// A flow step's deadline: Home Assistant opens the camera's stream in the generic camera's step
/// and answers "timeout" after 30 s (`components/stream/const.py` `SOURCE_TIMEOUT`); a still
/// image 10 s (`components/generic/const.py` `GET_IMAGE_TIMEOUT`).
const STEP_DEADLINE: std::time::Duration = std::time::Duration::from_secs(45);

/// Every job written: ONVIF adds one after another, the rest side by side within a bound.
pub(super) async fn write_all(
    c: &Client,
    jobs: &[Job],
    running: &Running,
) -> Result<Vec<Sent>, PushError> {
    // The identities Home Assistant's ONVIF entries are keyed by, and whose.
    let mut identities: BTreeMap<String, String> = running
        .iter()
        .filter(|(_, v)| v["integration"] == "onvif")
        .filter_map(|(k, v)| Some((v["identity"].as_str()?.to_string(), k.clone())))
        .collect();
    // ONVIF adds one after another (a shared identity found on one turns the next to the
    // generic camera); the rest side by side within a bound.
    let mut out: Vec<Option<Sent>> = (0..jobs.len()).map(|_| None).collect();
    let (onvif, rest): (Vec<usize>, Vec<usize>) = (0..jobs.len())
        .partition(|&k| jobs[k].add && integration(&jobs[k].entry, &jobs[k].name) == "onvif");
    for k in onvif {
        let job = &jobs[k];
        let sent = match add_onvif(c, job, &job.entry[&job.name], &mut identities).await {
            Ok(sent) => sent,
            Err(e) => Sent::refused(e),
        };
        out[k] = Some(sent);
    }
    let results: Vec<(usize, Result<Sent, PushError>)> = futures::stream::iter(
        rest.into_iter()
            .map(|k| async move { (k, write(c, &jobs[k]).await) }),
    )
    .buffer_unordered(FLOWS_AT_ONCE)
    .collect()
    .await;
    for (k, r) in results {
        out[k] = Some(r?);
    }
    Ok(out
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Sent::refused("not sent".into())))
        .collect())
}

/// The fields of `v` a flow's form takes (camscan's own markers out).
fn form_fields(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.retain(|k, _| !k.starts_with('_') && k != "integration");
    }
    v
}

/// What a flow step answered.
struct Step {
    kind: String,
    flow_id: Option<String>,
    step_id: String,
    /// The errors of a form shown again, with the integration's own detail.
    errors: Option<String>,
    /// The entry created.
    entry: Option<Value>,
    /// An abort's reason.
    reason: Option<String>,
}

impl Step {
    fn of(a: &Answer) -> Result<Step, String> {
        if !a.ok() {
            return Err(a.message());
        }
        let v: Value = serde_json::from_str(&a.body).map_err(|e| format!("not JSON ({e})"))?;
        let errors = v["errors"].as_object().filter(|m| !m.is_empty()).map(|m| {
            let detail = v["description_placeholders"]["error"].as_str();
            let mut s = m
                .iter()
                .map(|(k, e)| format!("{k}: {}", e.as_str().unwrap_or("?")))
                .collect::<Vec<_>>()
                .join(", ");
            if let Some(d) = detail {
                s.push_str(&format!(" ({})", sanitize::terminal(d)));
            }
            s
        });
        Ok(Step {
            kind: v["type"].as_str().unwrap_or("").to_string(),
            flow_id: v["flow_id"].as_str().map(str::to_string),
            step_id: v["step_id"].as_str().unwrap_or("").to_string(),
            errors,
            entry: v.get("result").cloned().filter(|r| r.is_object()),
            reason: v["reason"].as_str().map(str::to_string),
        })
    }
}

/// A config or options flow in progress.
struct Flow<'c> {
    c: &'c Client,
    base: &'static str,
    id: Option<String>,
}

impl<'c> Flow<'c> {
    /// Start a flow of `handler` (a domain, or an entry id for an options flow).
    async fn start(
        c: &'c Client,
        options: bool,
        handler: &str,
    ) -> Result<(Flow<'c>, Step), String> {
        let base = if options {
            "/api/config/config_entries/options/flow"
        } else {
            "/api/config/config_entries/flow"
        };
        let a = c
            .send(Request::post(base, json!({"handler": handler})))
            .await
            .map_err(|e| e.to_string())?;
        let step = Step::of(&a)?;
        Ok((
            Flow {
                c,
                base,
                id: step.flow_id.clone(),
            },
            step,
        ))
    }

    async fn next(&mut self, data: Value) -> Result<Step, String> {
        let Some(id) = &self.id else {
            return Err("the flow has ended".into());
        };
        let path = format!("{}/{}", self.base, seg(id));
        let a = self
            .c
            .send(Request::post(path, data).deadline(STEP_DEADLINE))
            .await
            .map_err(|e| e.to_string())?;
        let step = Step::of(&a)?;
        if step.kind != "form" {
            self.id = None;
        }
        Ok(step)
    }

    /// Delete a flow given up on (no entry is left half made).
    async fn abandon(&mut self) {
        if let Some(id) = self.id.take() {
            let path = format!("{}/{}", self.base, seg(&id));
            let _ = self.c.send(Request::delete(path)).await;
        }
    }
}

/// The answers of a generic or MJPEG flow: `data` to its form, `confirmed_ok` to the
/// `user_confirm` step that follows a stream test.
fn form_then_confirm(data: Value) -> impl Fn(&str) -> Value {
    move |step| match step {
        "user_confirm" => json!({"confirmed_ok": true}),
        _ => data.clone(),
    }
}

/// Run a config flow (an options flow when `options`) of `handler` to its end: each form
/// answered with `answer(its step id)`, a form shown again with errors a refusal in the
/// integration's words (its `errors`, its detail). Its last step: an entry created, or an abort.
/// A flow that ends any other way is deleted, so none is left half made. At most four steps.
async fn run_flow(
    c: &Client,
    options: bool,
    handler: &str,
    answer: impl Fn(&str) -> Value,
) -> Result<Step, String> {
    let (mut flow, mut step) = Flow::start(c, options, handler).await?;
    let r = async {
        for _ in 0..4 {
            match step.kind.as_str() {
                "form" if step.errors.is_some() => return Err(step.errors.unwrap_or_default()),
                "form" => step = flow.next(answer(&step.step_id)).await?,
                "create_entry" | "abort" => return Ok(step),
                other => return Err(format!("unexpected flow step {other:?}")),
            }
        }
        Err("the flow did not end".into())
    }
    .await;
    if r.is_err() {
        flow.abandon().await;
    }
    r
}

/// Write one camera: a flow, the entry renamed to camscan's name.
async fn write(c: &Client, job: &Job) -> Result<Sent, PushError> {
    let Some(value) = job.entry.get(&job.name) else {
        return Ok(Sent::refused("no entry".into()));
    };
    let held = job.running.get(&job.name);
    let r = match (value["integration"].as_str().unwrap_or(""), job.add) {
        // ONVIF adds go one after another, in `write_all`, each knowing the identities before it.
        ("onvif", true) => Err("an ONVIF add outside its turn".into()),
        ("onvif", false) => onvif_flow(c, &job.name, value, job)
            .await
            .map(|_| Sent::from(&[])),
        ("generic", true) => add_generic(c, &job.name, value).await,
        (domain, true) => add_with_flow(c, &job.name, domain, value)
            .await
            .map(|_| Sent::from(&[])),
        (_, false) => match held.and_then(|h| h["_entry_id"].as_str()) {
            Some(id) if held.is_some_and(|h| h["integration"] == value["integration"]) => {
                let kept = persons_fields(held, value, &job.gone);
                update_options(c, id, value, &kept)
                    .await
                    .map(|_| Sent::from(&[]))
            }
            // Another integration than camscan wrote (ONVIF to generic): the entry replaced.
            Some(id) => {
                let path = format!("/api/config/config_entries/entry/{}", seg(id));
                let a = c.send(Request::delete(path)).await?;
                if !a.ok() {
                    return Ok(Sent::from(&[a]));
                }
                let domain = value["integration"].as_str().unwrap_or("generic");
                add_with_flow(c, &job.name, domain, value)
                    .await
                    .map(|_| Sent::from(&[]))
            }
            None => Err("not in Home Assistant any more".into()),
        },
    };
    Ok(match r {
        Ok(mut sent) => {
            if sent.message.is_none() {
                sent.message = value["_why"]
                    .as_str()
                    .map(|w| format!("through the generic camera: {w}"));
            }
            sent
        }
        Err(e) => Sent::refused(e),
    })
}

/// A config flow of `domain` for `value`, to its entry (renamed to `name`); its id.
async fn add_with_flow(
    c: &Client,
    name: &str,
    domain: &str,
    value: &Value,
) -> Result<String, String> {
    let mut data = form_fields(value);
    if domain == "mjpeg" {
        data["name"] = json!(name);
    }
    let end = run_flow(c, false, domain, form_then_confirm(data)).await?;
    if end.kind == "abort" {
        return Err(format!(
            "Home Assistant aborted: {}",
            end.reason.unwrap_or_default()
        ));
    }
    let id = end
        .entry
        .as_ref()
        .and_then(|e| e["entry_id"].as_str())
        .ok_or_else(|| "the flow created no entry".to_string())?
        .to_string();
    rename(c, &id, name).await?;
    Ok(id)
}

/// An ONVIF camera added: first the identity it reports asked as Home Assistant will ask it; a
/// camera that would be refused, that reports a MAC other than its own (when camscan knows its
/// own), or whose identity one of Home Assistant's ONVIF entries already holds (`identities`:
/// the flow would rewrite that entry, this push's earlier adds included) goes through the generic
/// camera instead, the reason said. Then the ONVIF flow, and the identity it keyed the entry by
/// checked again.
async fn add_onvif(
    c: &Client,
    job: &Job,
    value: &Value,
    identities: &mut BTreeMap<String, String>,
) -> Result<Sent, String> {
    let own = value["identity"].as_str().unwrap_or("");
    let login = &value["_login"];
    let reported = reported_identity(
        value["device"].as_str().unwrap_or(""),
        login["username"].as_str().unwrap_or(""),
        login["password"].as_str().unwrap_or(""),
    )
    .await;
    let why = match &reported {
        Err(e) => Some(format!(
            "Home Assistant's ONVIF integration would refuse it ({e})"
        )),
        Ok(r) if !own.is_empty() && r != own => Some(format!(
            "it reports the identity {r} over ONVIF, not its own MAC {own}; Home Assistant keys \
             ONVIF entries by it, and a second camera reporting it would overwrite the first \
             (home-assistant/core #70056)"
        )),
        Ok(r) => identities.get(r).map(|holder| {
            format!(
                "Home Assistant's ONVIF entry {holder} already holds its identity {r}: its ONVIF \
                 flow would rewrite that entry"
            )
        }),
    };
    if let Some(why) = why {
        return add_generic_instead(c, job, why).await;
    }
    let asked = reported.unwrap_or_default();
    let expected = if own.is_empty() { asked.as_str() } else { own };
    let (id, title) = match onvif_flow(c, &job.name, value, job).await {
        Ok(v) => v,
        Err(e) => {
            let why = format!("Home Assistant's ONVIF integration refused it ({e})");
            return add_generic_instead(c, job, why).await;
        }
    };
    let keyed = title.rsplit_once(" - ").map(|(_, m)| normal_mac(m));
    if keyed.as_deref() != Some(expected) {
        let path = format!("/api/config/config_entries/entry/{}", seg(&id));
        let a = c
            .send(Request::delete(path))
            .await
            .map_err(|e| e.to_string())?;
        if !a.ok() {
            return Err(a.message());
        }
        let why = format!(
            "Home Assistant keyed its ONVIF entry by {}, not {expected}; another camera reporting \
             that would overwrite this one (home-assistant/core #70056)",
            keyed.unwrap_or_default()
        );
        return add_generic_instead(c, job, why).await;
    }
    identities.insert(expected.to_string(), job.name.clone());
    rename(c, &id, &job.name).await?;
    Ok(Sent::from(&[]))
}

/// The camera of `job` through the generic camera; the entry it is now.
async fn add_generic_instead(c: &Client, job: &Job, why: String) -> Result<Sent, String> {
    let mut value = job.entry[&job.name]["_generic"].clone();
    if !value.is_object() {
        return Err(format!(
            "{why}, and camscan has no stream of it for the generic camera"
        ));
    }
    value["_why"] = json!(why);
    let sent = add_generic(c, &job.name, &value).await?;
    let taken = sent
        .instead
        .as_ref()
        .and_then(|e| e.get(&job.name))
        .cloned()
        .unwrap_or(value);
    let mut instead = Entry::new();
    instead.insert(job.name.clone(), taken);
    Ok(Sent {
        ok: true,
        message: Some(format!("through the generic camera: {why}")),
        instead: Some(instead),
    })
}

/// A camera through the generic camera: with its still image, else (Home Assistant could not
/// load it: a snapshot behind another login, an MJPEG stream as a still) without, said.
async fn add_generic(c: &Client, name: &str, value: &Value) -> Result<Sent, String> {
    match add_with_flow(c, name, "generic", value).await {
        Ok(_) => Ok(Sent::from(&[])),
        Err(e) if e.contains("still_image_url") && value.get("still_image_url").is_some() => {
            let mut v = value.clone();
            if let Some(m) = v.as_object_mut() {
                m.remove("still_image_url");
            }
            v["_still_refused"] = json!(true);
            add_with_flow(c, name, "generic", &v).await?;
            let mut instead = Entry::new();
            instead.insert(name.to_string(), v);
            Ok(Sent {
                ok: true,
                message: Some(format!(
                    "without its still image, which Home Assistant could not load ({e})"
                )),
                instead: Some(instead),
            })
        }
        Err(e) => Err(e),
    }
}

/// The ONVIF flow for `value` (a new entry, or the update of the camera's own: Home Assistant
/// rewrites an entry of the same identity); the entry's id and title.
async fn onvif_flow(
    c: &Client,
    name: &str,
    value: &Value,
    job: &Job,
) -> Result<(String, String), String> {
    let device = value["device"].as_str().unwrap_or("");
    let u = url::Url::parse(device).map_err(|e| format!("{device:?}: {e}"))?;
    let host = u
        .host_str()
        .unwrap_or("")
        .trim_matches(['[', ']'])
        .to_string();
    let port = u.port_or_known_default().unwrap_or(80);
    let login = &value["_login"];
    let (user, pass) = (
        login["username"].as_str().unwrap_or(""),
        login["password"].as_str().unwrap_or(""),
    );
    let end = run_flow(c, false, "onvif", |step| match step {
        "user" => json!({"auto": false}),
        _ => json!({"name": name, "host": host, "port": port, "username": user,
                    "password": pass}),
    })
    .await?;
    match (end.kind.as_str(), end.reason.as_deref()) {
        ("create_entry", _) => {
            let e = end.entry.unwrap_or_default();
            Ok((
                e["entry_id"].as_str().unwrap_or("").to_string(),
                e["title"].as_str().unwrap_or("").to_string(),
            ))
        }
        // An update: the entry of this identity rewritten (its id unchanged).
        ("abort", Some("already_configured")) if !job.add => {
            let id = job
                .running
                .get(name)
                .and_then(|h| h["_entry_id"].as_str())
                .unwrap_or("")
                .to_string();
            Ok((id, String::new()))
        }
        _ => Err(format!("aborted: {}", end.reason.unwrap_or_default())),
    }
}

/// The fields an entry holds (`held`, its options form's values) that camscan does not write:
/// a person's (a frame rate setting of their own, `use_wallclock_as_timestamps`), kept by an
/// update, which replaces the whole options; `gone`: fields camscan wrote before and no longer
/// writes, not kept.
fn persons_fields(held: Option<&Value>, value: &Value, gone: &[String]) -> Value {
    let mut kept = serde_json::Map::new();
    if let Some(Value::Object(h)) = held {
        for (k, v) in h {
            let ours = value.get(k).is_some() || gone.contains(k);
            if !ours && !k.starts_with('_') && !matches!(k.as_str(), "integration" | "name") {
                kept.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(kept)
}

/// A generic or MJPEG entry updated through its options flow (the whole options, the login
/// again), with the fields a person set that camscan does not write (`kept`) as they are.
async fn update_options(
    c: &Client,
    entry_id: &str,
    value: &Value,
    kept: &Value,
) -> Result<(), String> {
    let mut data = kept.clone();
    if let (Value::Object(d), Value::Object(ours)) = (&mut data, form_fields(value)) {
        d.extend(ours);
    }
    if value["integration"] == "generic" && data.get("limit_refetch_to_url_change").is_none() {
        // Required by the options flow's form only (`build_schema`).
        data["limit_refetch_to_url_change"] = json!(false);
    }
    let end = run_flow(c, true, entry_id, form_then_confirm(data)).await?;
    if end.kind == "create_entry" {
        Ok(())
    } else {
        Err(format!("aborted: {}", end.reason.unwrap_or_default()))
    }
}

/// Give entry `id` the title `name`: Home Assistant's websocket command `config_entries/update`
/// (its REST API has no route for it).
async fn rename(c: &Client, id: &str, name: &str) -> Result<(), String> {
    let cmd = json!({"type": "config_entries/update", "entry_id": id, "title": name});
    c.websocket(cmd).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An options-flow update keeps what a person set that camscan does not write, and drops what
    /// camscan wrote before and writes no more (issue 82: an update replaced the whole options).
    #[test]
    fn an_update_keeps_a_persons_own_fields() {
        let held = json!({
            "integration": "generic", "_entry_id": "a1", "name": "front",
            "stream_source": "rtsp://198.18.0.5/live", "framerate": 2.0,
            "use_wallclock_as_timestamps": true, "username": "admin", "password": "x"
        });
        let ours = json!({
            "integration": "generic", "stream_source": "rtsp://198.18.0.6/live", "framerate": 2.0
        });
        let kept = persons_fields(Some(&held), &ours, &["username".into(), "password".into()]);
        assert_eq!(kept, json!({"use_wallclock_as_timestamps": true}));
        assert_eq!(persons_fields(None, &ours, &[]), json!({}));
    }
}
