//! go2rtc's side of a push.
//!
//! **go2rtc** (AlexxIT/go2rtc `internal/streams/api.go` `apiStreams`): `PUT
//! /api/streams?name=N&src=URL[&src=URL2]` makes the stream and writes it into go2rtc's YAML
//! (`app.PatchConfig`); `GET /api/streams` lists every stream as `{"producers":[{"url":..}]}`
//! (a connected producer shows its connection, `url` among its fields; secrets masked by
//! `pkg/creds/secrets.go`, `://***@`); `DELETE /api/streams?src=N` deletes it from both.

use serde_json::Value;

use super::{EntryInput, Fut, Job, PushTool, Sent, is_it, list};
use crate::push::Options;
use crate::push::client::{Client, Request};
use crate::push::plan::{Entry, Running};
use export::cameras::Tool;

pub struct Go2rtc;

/// Push's `--help` line for `--backchannel` ([`super::FORMAT_OPTION_HELP`]).
pub const BACKCHANNEL_HELP: &str = "go2rtc (and Frigate with --frigate-restream): let go2rtc take \
     the talk-back channel of cameras that have one. Off by default (`#backchannel=0`): while \
     go2rtc holds it, some doorbells lose their call button";

impl PushTool for Go2rtc {
    fn name(&self) -> &'static str {
        "go2rtc"
    }

    fn title(&self) -> &'static str {
        "go2rtc"
    }

    fn help(&self) -> &'static str {
        "go2rtc (`PUT /api/streams`)"
    }

    fn usual_url(&self) -> &'static str {
        "http://HOST:1984"
    }

    fn streams(&self) -> Tool {
        export::go2rtc::TOOL
    }

    fn reference(&self, key: &str) -> Option<(String, String)> {
        let var = format!("CAMSCAN_{key}_PASSWORD");
        let text = format!("${{{var}}}");
        Some((var, text))
    }

    fn read_options(&self, formats: &input::setting::Settings, options: &mut Options) {
        options.backchannel = formats.get(&export::go2rtc::BACKCHANNEL);
    }

    fn keys(&self, name: &str, _options: Options) -> Vec<String> {
        vec![name.to_string(), format!("{name}_sub")]
    }

    fn entry(&self, i: &EntryInput<'_, '_>) -> Entry {
        export::go2rtc::camera_streams(
            i.cam,
            i.name,
            &format!("{}_sub", i.name),
            i.in_url,
            &export::go2rtc::stream_source,
            i.options.backchannel,
        )
        .into_iter()
        .map(|(n, v)| (n, list(super::json(&v))))
        .collect()
    }

    fn items(&self, doc: &Value) -> Running {
        go2rtc_items(doc)
    }

    fn read<'a>(&'a self, c: &'a Client) -> Fut<'a, Running> {
        Box::pin(async move {
            let v = c
                .read_json(Request::get("/api/streams"))
                .await
                .map_err(|e| is_it(self, e))?;
            Ok(self.items(&v))
        })
    }

    fn write_all<'a>(
        &'a self,
        c: &'a Client,
        jobs: &'a [Job],
        _running: &'a Running,
    ) -> Fut<'a, Vec<Sent>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(jobs.len());
            for j in jobs {
                let mut answers = Vec::new();
                for (n, v) in &j.entry {
                    let sources = v.as_array().into_iter().flatten().filter_map(Value::as_str);
                    let put = sources
                        .fold(Request::put("/api/streams").query("name", n), |r, src| {
                            r.query("src", src)
                        });
                    answers.push(c.send(put).await?);
                }
                out.push(Sent::from(&answers));
            }
            Ok(out)
        })
    }

    fn remove<'a>(
        &'a self,
        c: &'a Client,
        _name: &'a str,
        keys: &'a [String],
        _running: &'a Running,
    ) -> Fut<'a, Sent> {
        Box::pin(async move {
            let mut answers = Vec::new();
            for k in keys {
                answers.push(
                    c.send(Request::delete("/api/streams").query("src", k))
                        .await?,
                );
            }
            Ok(Sent::from(&answers))
        })
    }

    fn notes(&self, _jobs: usize, _adds: usize) -> Vec<String> {
        vec!["go2rtc saves each stream into its own YAML file".into()]
    }
}

/// go2rtc's streams, each as the list of its producers' URLs.
pub fn go2rtc_items(v: &Value) -> Running {
    let mut out = Running::new();
    for (name, s) in v.as_object().into_iter().flatten() {
        let urls: Vec<Value> = s["producers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["url"].as_str().map(|u| Value::String(u.to_string())))
            .collect();
        out.insert(name.clone(), Value::Array(urls));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readbacks_become_items() {
        let g = json!({"a": {"producers": [{"url": "rtsp://h/x"}, {"remote_addr": "1"}], "consumers": []}});
        assert_eq!(go2rtc_items(&g)["a"], json!(["rtsp://h/x"]));
        // Hostile shapes read as nothing, never a panic.
        assert!(go2rtc_items(&json!("x")).is_empty());
    }
}
