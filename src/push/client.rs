//! The HTTP client of a push: one tool's base URL, its login (Basic for go2rtc and MediaMTX,
//! Frigate's `POST /api/login` and JWT cookie), TLS with a CA file or an explicit `--insecure`,
//! and a deadline on every request that names the URL when it passes.
//!
//! reqwest (already camscan's webhook client, rustls with ring), built without its `json` and
//! `query` features: bodies are serde_json text and queries are written with `url`.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::{Login, PushError, Tls};

/// A client for one tool.
pub struct Client {
    http: reqwest::Client,
    base: url::Url,
    /// The base URL as messages show it (never with credentials).
    pub shown: String,
    /// Sent with every request: Basic (go2rtc, MediaMTX) or a bearer token (Home Assistant).
    auth: Auth,
    /// TLS towards the tool, for a connection reqwest does not make (the websocket).
    tls: Tls,
    /// Frigate's session cookie, once logged in.
    cookie: Option<String>,
    timeout: Duration,
    /// How the tool takes a login, and whether one was given: a refusal without one says so.
    way: LoginWay,
    given: bool,
}

/// How camscan logs in to a tool with the login it is given (`--push-login-file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginWay {
    /// HTTP Basic on every request, `user:password` (go2rtc, MediaMTX).
    Basic,
    /// A login request whose cookie goes with every later request (Frigate's `POST /api/login`).
    Cookie,
    /// A bearer token on every request, the file's first line or `CAMSCAN_PUSH_TOKEN` (Home
    /// Assistant's long-lived access token).
    Token,
}

/// What goes with every request.
enum Auth {
    None,
    Basic(Login),
    Bearer(String),
}

/// A tool's answer: its status and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// The `name=value` of each `Set-Cookie` (Frigate's login).
    pub cookies: Vec<String>,
}

impl Answer {
    /// The body as JSON, or an error naming `what` and the URL.
    pub fn json(&self, shown: &str, what: &str) -> Result<Value, PushError> {
        serde_json::from_str(&self.body).map_err(|e| PushError::Malformed {
            url: shown.to_string(),
            detail: format!("{what}: not JSON ({e})"),
        })
    }

    /// The tool's own words for a refusal: Frigate's `message`, MediaMTX's `error`, else the
    /// body's first line (go2rtc answers text), at most 300 characters, made safe to print.
    pub fn message(&self) -> String {
        let from_json = serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| {
                ["message", "error", "detail"].iter().find_map(|k| {
                    v.get(*k)
                        .map(|m| m.as_str().map_or(m.to_string(), str::to_string))
                })
            });
        let text = from_json.unwrap_or_else(|| self.body.lines().next().unwrap_or("").to_string());
        let mut text = sanitize::terminal(text.trim()).into_owned();
        if text.chars().count() > 300 {
            text = text.chars().take(300).collect::<String>() + "…";
        }
        if text.is_empty() {
            format!("HTTP {}", self.status)
        } else {
            format!("HTTP {}: {text}", self.status)
        }
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One request to a tool: its method, its path under the base URL (`/api/config`), query pairs,
/// a JSON body and extra headers. Every request of a push is one of these, sent by
/// [`Client::send`] (or read by [`Client::read_json`]).
#[derive(Debug)]
pub struct Request<'a> {
    method: reqwest::Method,
    path: String,
    query: Vec<(&'a str, String)>,
    body: Option<Value>,
    headers: &'a [(&'static str, &'a str)],
    /// A longer deadline than the client's, for a request the tool is known to take long over
    /// (Home Assistant's generic camera flow opens the stream: 30 s before it says "timeout").
    deadline: Option<Duration>,
}

impl<'a> Request<'a> {
    pub fn new(method: reqwest::Method, path: impl Into<String>) -> Request<'a> {
        Request {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            headers: &[],
            deadline: None,
        }
    }

    /// At least `d` for this request (never less than the client's deadline).
    pub fn deadline(mut self, d: Duration) -> Request<'a> {
        self.deadline = Some(d);
        self
    }

    pub fn get(path: impl Into<String>) -> Request<'a> {
        Request::new(reqwest::Method::GET, path)
    }

    pub fn put(path: impl Into<String>) -> Request<'a> {
        Request::new(reqwest::Method::PUT, path)
    }

    pub fn post(path: impl Into<String>, body: Value) -> Request<'a> {
        Request::new(reqwest::Method::POST, path).body(body)
    }

    pub fn delete(path: impl Into<String>) -> Request<'a> {
        Request::new(reqwest::Method::DELETE, path)
    }

    /// The JSON body.
    pub fn body(mut self, body: Value) -> Request<'a> {
        self.body = Some(body);
        self
    }

    /// A query pair, after those given before.
    pub fn query(mut self, key: &'a str, value: impl Into<String>) -> Request<'a> {
        self.query.push((key, value.into()));
        self
    }

    pub fn headers(mut self, headers: &'a [(&'static str, &'a str)]) -> Request<'a> {
        self.headers = headers;
        self
    }
}

impl Client {
    /// A client for `base`; `login` is sent on every request as `way` says (Basic for go2rtc and
    /// MediaMTX, a bearer token for Home Assistant; Frigate's is a login request of its own,
    /// [`Client::login_with_cookie`]).
    pub fn new(
        base: &url::Url,
        way: LoginWay,
        login: &Option<Login>,
        tls: &Tls,
        timeout: Duration,
    ) -> Result<Client, PushError> {
        net::tls::install_default_provider();
        let shown = shown(base);
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("camscan/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            // A tool on this machine or the LAN: never through a proxy of the environment.
            .no_proxy();
        if let Some(pem) = &tls.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| PushError::Setup(format!("the CA file for {shown}: {e}")))?;
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        if tls.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        let http = builder
            .build()
            .map_err(|e| PushError::Setup(format!("{shown}: {e}")))?;
        Ok(Client {
            http,
            base: base.clone(),
            shown,
            auth: match (way, login) {
                (LoginWay::Basic, Some(l)) => Auth::Basic(l.clone()),
                (LoginWay::Token, Some(l)) => Auth::Bearer(l.password.clone()),
                _ => Auth::None,
            },
            cookie: None,
            tls: tls.clone(),
            timeout,
            way,
            given: login.is_some(),
        })
    }

    /// A 401 or 403 to `what` as the user reads it: with a login given, refused in the tool's
    /// words; without one, that none was given and where one goes (a newcomer's first push to
    /// Home Assistant has no token yet: the same "HTTP 401" as a wrong one would not say so).
    fn refused_login(&self, what: &str, a: &Answer) -> PushError {
        let said = a.message();
        let detail = match (self.given, self.way) {
            (true, _) => format!("login refused: {what}: {said}"),
            (false, LoginWay::Token) => format!(
                "no token was given ({what}: {said}): give the tool's long-lived access token \
                 with --push-login-file FILE (the token on its first line) or CAMSCAN_PUSH_TOKEN"
            ),
            (false, _) => format!(
                "no login was given ({what}: {said}): give the tool's own login with \
                 --push-login-file FILE (user:password on its first line) or CAMSCAN_PUSH_USER \
                 and CAMSCAN_PUSH_PASSWORD"
            ),
        };
        PushError::Login {
            url: self.shown.clone(),
            detail,
        }
    }

    /// The URL of `path` (`/api/config`) with `query` pairs, under the base URL's own path.
    fn url(&self, path: &str, query: &[(&str, String)]) -> url::Url {
        let mut u = self.base.clone();
        let prefix = u.path().trim_end_matches('/').to_string();
        u.set_path(&format!("{prefix}{path}"));
        u.set_query(None);
        if !query.is_empty() {
            let mut q = u.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        u
    }

    /// Read one document: `req`'s answer as JSON. A refusal is an error in the tool's own words
    /// (a login refused is [`PushError::Login`]), as is a body that is not JSON.
    pub async fn read_json(&self, req: Request<'_>) -> Result<Value, PushError> {
        let what = format!("{} {}", req.method, req.path);
        let a = self.send(req).await?;
        if a.status == 401 || a.status == 403 {
            return Err(self.refused_login(&what, &a));
        }
        if !a.ok() {
            return Err(PushError::Refused {
                url: self.shown.clone(),
                detail: format!("{what}: {}", a.message()),
            });
        }
        a.json(&self.shown, &what)
    }

    /// Send one request. Every failure to get an answer names the URL.
    pub async fn send(&self, req: Request<'_>) -> Result<Answer, PushError> {
        let url = self.url(&req.path, &req.query);
        let shown_url = format!("{} {}", req.method, shown_path(&url));
        let deadline = req.deadline.unwrap_or(self.timeout).max(self.timeout);
        let mut builder = self.http.request(req.method, url).timeout(deadline);
        let mut h = HeaderMap::new();
        for (k, v) in req.headers {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(HeaderName::from_static(k), v);
            }
        }
        if let Some(v) = self
            .cookie
            .as_deref()
            .and_then(|c| HeaderValue::from_str(c).ok())
        {
            h.insert(reqwest::header::COOKIE, v);
        }
        builder = builder.headers(h);
        match &self.auth {
            Auth::Basic(l) => builder = builder.basic_auth(&l.user, Some(&l.password)),
            Auth::Bearer(token) => builder = builder.bearer_auth(token),
            Auth::None => {}
        }
        if let Some(b) = req.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        let unreachable = |e: reqwest::Error| {
            let detail = if e.is_timeout() {
                format!("no answer within {} s", deadline.as_secs_f32())
            } else if e.is_connect() {
                format!("cannot connect ({})", root_cause(&e))
            } else {
                root_cause(&e)
            };
            PushError::Unreachable {
                url: self.shown.clone(),
                detail: format!("{shown_url}: {detail}"),
            }
        };
        // The whole exchange, body included, within the deadline.
        let exchange = async {
            let resp = builder.send().await.map_err(unreachable)?;
            let status = resp.status().as_u16();
            let cookies = resp
                .headers()
                .get_all(reqwest::header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(|v| v.split(';').next().unwrap_or("").trim().to_string())
                .filter(|c| c.contains('='))
                .collect();
            let body = resp.text().await.map_err(unreachable)?;
            Ok::<_, PushError>(Answer {
                status,
                body,
                cookies,
            })
        };
        let answer = tokio::time::timeout(deadline, exchange)
            .await
            .map_err(|_| PushError::Unreachable {
                url: self.shown.clone(),
                detail: format!("{shown_url}: no answer within {} s", deadline.as_secs_f32()),
            })??;
        Ok(answer)
    }

    /// Frigate's login (`frigate/api/auth.py` `login`: `POST /api/login` with `{"user",
    /// "password"}` answers with the JWT in a `Set-Cookie`, `frigate_token` by default); the
    /// cookie goes with every later request.
    pub async fn login_with_cookie(&mut self, login: &Login) -> Result<(), PushError> {
        let body = serde_json::json!({"user": login.user, "password": login.password});
        let answer = self.send(Request::post("/api/login", body)).await?;
        if !answer.ok() || answer.cookies.is_empty() {
            return Err(PushError::Login {
                url: self.shown.clone(),
                detail: format!("login refused: {}", answer.message()),
            });
        }
        self.cookie = Some(answer.cookies.join("; "));
        Ok(())
    }
}

impl Client {
    /// One command over the tool's websocket API (Home Assistant's `/api/websocket`: `auth` with
    /// the token, then the command as id 1); its `result`, or the tool's refusal in words. The
    /// whole exchange within the request deadline.
    pub async fn websocket(&self, mut command: Value) -> Result<Value, String> {
        let mut url = self.url("/api/websocket", &[]);
        let tls = url.scheme() == "https";
        let _ = url.set_scheme(if tls { "wss" } else { "ws" });
        let token = match &self.auth {
            Auth::Bearer(t) => t.clone(),
            _ => String::new(),
        };
        command["id"] = Value::from(1);
        let exchange = async {
            let host = url
                .host_str()
                .unwrap_or("")
                .trim_matches(['[', ']'])
                .to_string();
            let port = url.port_or_known_default().unwrap_or(80);
            let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
                .await
                .map_err(|e| format!("cannot connect ({e})"))?;
            if tls {
                let config = net::tls::tool_client(self.tls.ca_pem.as_deref(), self.tls.insecure)?;
                let name = rustls::pki_types::ServerName::try_from(host.clone())
                    .map_err(|e| format!("{host}: {e}"))?;
                let stream = tokio_rustls::TlsConnector::from(config)
                    .connect(name, tcp)
                    .await
                    .map_err(|e| format!("TLS: {e}"))?;
                ws_exchange(url.as_str(), stream, &token, &command).await
            } else {
                ws_exchange(url.as_str(), tcp, &token, &command).await
            }
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| {
                format!(
                    "{}/api/websocket: no answer within {} s",
                    self.shown,
                    self.timeout.as_secs_f32()
                )
            })?
    }
}

/// Home Assistant's websocket exchange on `stream`: `auth_required`, `auth`, `auth_ok`, then
/// `command` and its `result` (other messages skipped, at most a bounded number).
async fn ws_exchange<S>(url: &str, stream: S, token: &str, command: &Value) -> Result<Value, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .map_err(|e| format!("websocket: {e}"))?;
    let auth = serde_json::json!({"type": "auth", "access_token": token});
    ws.send(Message::text(auth.to_string()))
        .await
        .map_err(|e| format!("websocket: {e}"))?;
    let mut sent = false;
    for _ in 0..32 {
        let Some(msg) = ws.next().await else {
            return Err("websocket closed".into());
        };
        let msg = msg.map_err(|e| format!("websocket: {e}"))?;
        let Message::Text(text) = msg else {
            continue;
        };
        let v: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
        match v["type"].as_str() {
            Some("auth_invalid") => {
                return Err(format!(
                    "login refused: {}",
                    sanitize::terminal(v["message"].as_str().unwrap_or(""))
                ));
            }
            Some("auth_ok") if !sent => {
                ws.send(Message::text(command.to_string()))
                    .await
                    .map_err(|e| format!("websocket: {e}"))?;
                sent = true;
            }
            Some("result") if v["id"] == 1 => {
                let _ = ws.close(None).await;
                if v["success"] == true {
                    return Ok(v["result"].clone());
                }
                return Err(sanitize::terminal(
                    v["error"]["message"].as_str().unwrap_or("refused"),
                )
                .into_owned());
            }
            _ => {}
        }
    }
    Err("websocket: no result".into())
}

/// The innermost cause of a reqwest error (the OS's "Connection refused"), and what to do about
/// a certificate refused.
fn root_cause(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    let mut tls_garbage = false;
    loop {
        // TLS's first record was not TLS: a plain-HTTP port asked with https://.
        if let Some(rustls::Error::InvalidMessage(_)) = source.downcast_ref::<rustls::Error>() {
            tls_garbage = true;
        }
        match source.source() {
            Some(s) => source = s,
            None => break,
        }
    }
    let text = sanitize::terminal(&source.to_string()).into_owned();
    if tls_garbage {
        return format!(
            "{text}: the server does not speak TLS on this port; is it plain HTTP (http://)?"
        );
    }
    if text.contains("certificate") {
        // Frigate's default (`docker/main/rootfs/etc/s6-overlay/s6-rc.d/nginx/run`) is
        // self-signed with `CN=*` and no subject alternative name: no CA file makes it valid.
        format!(
            "{text}: a self-signed certificate (Frigate's default) needs --push-insecure; one \
             from your own CA, --push-ca-file"
        )
    } else {
        text
    }
}

/// `url` as messages show it: scheme, host, port and path, never a userinfo or query.
pub fn shown(url: &url::Url) -> String {
    let mut s = format!("{}://", url.scheme());
    if let Some(h) = url.host_str() {
        s.push_str(h);
    }
    if let Some(p) = url.port() {
        s.push_str(&format!(":{p}"));
    }
    s.push_str(url.path().trim_end_matches('/'));
    s
}

fn shown_path(url: &url::Url) -> String {
    url.path().to_string()
}
