//! MediaMTX's side of a push.
//!
//! **MediaMTX** (bluenviron/mediamtx `api/openapi.yaml`): `POST /v3/config/paths/add/{name}`,
//! `PATCH /v3/config/paths/patch/{name}`, `DELETE /v3/config/paths/delete/{name}`, and
//! `GET /v3/config/paths/list?page=&itemsPerPage=` (`{pageCount, items: [PathConf with name]}`).
//! Kept in RAM only: MediaMTX does not write its file, so a restart forgets what the API added
//! (said in the plan and the docs).

use reqwest::Method;
use serde_json::Value;

use super::Password;
use super::{EntryInput, Fut, Job, PushTool, Sent, is_it};
use crate::push::Options;
use crate::push::client::{Client, Request};
use crate::push::plan::{Entry, Running};
use export::cameras::Tool;
use export::names::Style;
use model::Stream;

/// MediaMTX's page size when listing paths (its maximum is not capped; 100 is the default).
const MTX_PAGE: usize = 500;

/// Pages read at most (500 paths each): a bound on a hostile or broken tool's answer.
const MTX_MAX_PAGES: usize = 100;

pub struct Mediamtx;

impl PushTool for Mediamtx {
    fn name(&self) -> &'static str {
        "mediamtx"
    }

    fn title(&self) -> &'static str {
        "MediaMTX"
    }

    fn help(&self) -> &'static str {
        "MediaMTX (`/v3/config/paths/*`)"
    }

    fn usual_url(&self) -> &'static str {
        "http://HOST:9997 (its API: api: yes in mediamtx.yml)"
    }

    fn streams(&self) -> Tool {
        export::mediamtx::TOOL
    }

    fn style(&self) -> Style {
        Style::Compact
    }

    /// MediaMTX expands no variable in its configuration.
    fn reference(&self, _key: &str) -> Option<(String, String)> {
        None
    }

    fn keys(&self, name: &str, _options: Options) -> Vec<String> {
        vec![name.to_string(), format!("{name}sub")]
    }

    fn entry(&self, i: &EntryInput<'_, '_>) -> Entry {
        let pass = match i.password {
            Password::Known(_) => Some(i.in_url),
            _ => None,
        };
        let path = |s: &Stream| super::json(&export::mediamtx::push_path(s, pass));
        let mut e = Entry::new();
        e.insert(i.name.to_string(), path(i.cam.main));
        if let Some(sub) = i.cam.sub {
            e.insert(format!("{}sub", i.name), path(sub));
        }
        e
    }

    /// Page by page, as MediaMTX lists its paths (at most [`MTX_MAX_PAGES`]).
    fn items(&self, doc: &Value) -> Running {
        mediamtx_items(doc)
    }

    fn read<'a>(&'a self, c: &'a Client) -> Fut<'a, Running> {
        Box::pin(async move {
            let mut out = Running::new();
            for page in 0..MTX_MAX_PAGES {
                let req = Request::get("/v3/config/paths/list")
                    .query("page", page.to_string())
                    .query("itemsPerPage", MTX_PAGE.to_string());
                let v = c.read_json(req).await.map_err(|e| is_it(self, e))?;
                out.extend(self.items(&v));
                let pages = v["pageCount"].as_u64().unwrap_or(1) as usize;
                if page + 1 >= pages {
                    break;
                }
            }
            Ok(out)
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
                    let (method, path) = if j.add {
                        (Method::POST, format!("/v3/config/paths/add/{n}"))
                    } else {
                        (Method::PATCH, format!("/v3/config/paths/patch/{n}"))
                    };
                    answers.push(c.send(Request::new(method, path).body(v.clone())).await?);
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
                let delete = Request::delete(format!("/v3/config/paths/delete/{k}"));
                answers.push(c.send(delete).await?);
            }
            Ok(Sent::from(&answers))
        })
    }

    fn notes(&self, _jobs: usize, _adds: usize) -> Vec<String> {
        vec![
            "MediaMTX keeps paths added by its API in memory only: after a restart, push again \
             (camscan watch --push does)"
                .into(),
        ]
    }
}

/// One page of MediaMTX's paths (`items`), each by its name and without it.
pub fn mediamtx_items(v: &Value) -> Running {
    let mut out = Running::new();
    for item in v["items"].as_array().into_iter().flatten() {
        if let Some(name) = item["name"].as_str() {
            let mut conf = item.clone();
            if let Some(m) = conf.as_object_mut() {
                m.remove("name");
            }
            out.insert(name.to_string(), conf);
        }
    }
    out
}
