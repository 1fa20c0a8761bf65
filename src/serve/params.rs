//! What every handler of the API reads and answers with: a request's query parameters checked
//! against the ones its route takes, pages of a list, and JSON bodies.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::problem::{Kind, Problem};

/// A page holds at most this many items (`limit`); 100 when not given. 1,000 keeps a page of
/// devices under a megabyte of JSON.
pub const MAX_PAGE: usize = 1000;
pub const DEFAULT_PAGE: usize = 100;

/// `value` as JSON (`application/json`).
/// Whether a request body is declared JSON (`Content-Type: application/json`, any parameters):
/// what the routes that read a body (`POST /api/v1/scans`, `POST /api/v1/push/{tool}`) take.
pub fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

pub fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(e) => Problem::new(Kind::Store, format!("cannot write JSON: {e}")).into_response(),
    }
}

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Give it as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// The query parameters of a request, checked against the ones its route takes.
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parse `query`; a parameter not in `allowed`, or given twice, is a 400.
    pub fn parse(query: Option<&str>, allowed: &[&str]) -> Result<Params, Problem> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if !allowed.contains(&k.as_ref()) {
                let takes = if allowed.is_empty() {
                    "this route takes no query parameters".to_string()
                } else {
                    format!("not a parameter of this route ({})", allowed.join(", "))
                };
                return Err(Problem::new(
                    Kind::InvalidParameter,
                    format!("{:?}: {takes}", sanitize::terminal(&k)),
                ));
            }
            if pairs.iter().any(|(seen, _)| *seen == k) {
                return Err(Problem::new(
                    Kind::InvalidParameter,
                    format!("{k} given more than once"),
                ));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Params(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// `name` parsed with `parse`; a value it refuses is a 400 naming `expected`.
    pub fn parsed<T>(
        &self,
        name: &str,
        expected: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, Problem> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => parse(v)
                .map(Some)
                .ok_or_else(|| Problem::invalid(name, v, expected)),
        }
    }

    /// `limit`: 1 to [`MAX_PAGE`], [`DEFAULT_PAGE`] when absent.
    pub fn limit(&self) -> Result<usize, Problem> {
        let expected = format!("a whole number from 1 to {MAX_PAGE}");
        Ok(self
            .parsed("limit", &expected, |v| {
                v.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
            })?
            .unwrap_or(DEFAULT_PAGE))
    }

    /// A yes/no filter: `true`/`1` yes, `false`/`0` or absent no.
    pub fn flag(&self, name: &str) -> Result<bool, Problem> {
        Ok(self
            .parsed(name, "true or false", |v| match v {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            })?
            .unwrap_or(false))
    }

    /// `cursor`: what a previous page's `next_cursor` said.
    pub fn cursor(&self) -> Result<Option<i64>, Problem> {
        self.parsed("cursor", "the next_cursor of a previous page", |v| {
            v.parse::<i64>().ok().filter(|n| *n >= 0)
        })
    }

    /// `since`: an age (`7d`), a date or a time, as the CLI's `--since`.
    pub fn since(&self) -> Result<Option<jiff::Timestamp>, Problem> {
        match self.get("since") {
            None => Ok(None),
            Some(v) => model::when::parse_since(v, jiff::Timestamp::now())
                .map(Some)
                .map_err(|reason| Problem::invalid("since", v, reason)),
        }
    }
}

/// The first `limit` of `items` (already in page order, all after the cursor), and the cursor of
/// the page after them.
pub fn page<T>(mut items: Vec<T>, limit: usize, id: impl Fn(&T) -> i64) -> Page<T> {
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|t| id(t).to_string())
    } else {
        None
    };
    Page { items, next_cursor }
}

/// "one of a, b, c", the expected value of an enumerated parameter.
pub fn one_of(names: &[&str]) -> String {
    format!("one of {}", names.join(", "))
}
