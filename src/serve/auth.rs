//! Who may use `camscan serve`, and the headers every answer carries.
//!
//! The server is a map of the network (and, later, a remote scan trigger), so:
//!
//! * **Binding.** On a loopback address (the default, 127.0.0.1:8750) nothing is asked: only
//!   this machine's users reach it, as with any local tool. `--auth` asks for the token there
//!   too. Any other address always asks for it, and refuses to start unless the token file exists
//!   already (`camscan serve --print-token` creates it), so that a server reachable from the LAN
//!   is never started with a secret nobody has seen. Without `--tls-cert/--tls-key` such a start
//!   says on stderr that the token and the session cookie cross the network in clear
//!   ([`bind_policy`]).
//! * **The token** ([`super::token`]): 32 random bytes as 64 hex digits and a newline, in
//!   `serve.token` next to the inventory file, mode 0600, created atomically on the first start
//!   (a temporary file made with `O_CREAT|O_EXCL` and mode 0600 before a byte is written, then
//!   hard-linked to its name, which fails rather than replace a file another process made
//!   meanwhile). A token file any other user may read or write (a group or other permission bit)
//!   is refused, as ssh refuses such a private key.
//! * **Who is let in** when the token is asked for ([`Guard`]): a request with
//!   `Authorization: Bearer <token>` (compared in constant time, on SHA-256 digests so that not
//!   even the length leaks), or with the cookie `camscan_session` the login form sets. The cookie
//!   holds a random session id kept in this process (at most [`MAX_SESSIONS`], each for
//!   [`SESSION_LIFE`]), never the token; `HttpOnly; SameSite=Strict; Path=/`, and `Secure` over
//!   TLS. Otherwise `/api/...` answers 401 (a problem document, `WWW-Authenticate: Bearer`) and
//!   the page's paths redirect (303) to `/login`. `/login`, `/logout` and `/assets/...` (static
//!   files, no data) are open. Failed logins are limited per peer ([`LOGIN_FAILURES`] a
//!   [`LOGIN_WINDOW`], then 429 without looking at the token).
//! * **Cross-site requests** ([`cross_site`]), whether or not the token is asked for (a page on
//!   another site can make the browser POST to 127.0.0.1): a request whose method is not GET,
//!   HEAD or OPTIONS is let through only when
//!   1. it has an `Origin` header equal to this server's own origin: `http://` or `https://`
//!      (as the server speaks TLS or not) followed by the request's `Host` header; or
//!   2. it has no `Origin` and `Sec-Fetch-Site: same-origin`; or
//!   3. it has neither `Origin` nor `Sec-Fetch-Site` **and no `camscan_session` cookie**: such a
//!      request does not come from a browser of today (they all send `Origin` on a POST), and
//!      without the cookie it carries no authority a page could borrow; when the token is asked
//!      for it must then bring it itself (`Authorization: Bearer`, as `curl` does).
//!
//!   Anything else is 403 `urn:camscan:problem:cross-origin`. The server answers no CORS
//!   preflight, so another site's script cannot send `Authorization` either.
//! * **DNS rebinding**: without the token, a request whose `Host` is not an IP address or
//!   `localhost` is refused (403 cross-origin): a site whose name an attacker points at
//!   127.0.0.1 would otherwise be same-origin with this server.
//! * **Headers** on every answer ([`SECURITY_HEADERS`]): the Content-Security-Policy of the page
//!   (no inline script or style), `X-Content-Type-Options: nosniff`, `Referrer-Policy:
//!   no-referrer`, `X-Frame-Options: DENY`; over TLS also `Strict-Transport-Security`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::problem::{Kind, Problem};
pub use super::token::{TOKEN_FILE, Token, create_token, read_token, token, token_path};
use super::token::{random_hex, sha256};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "camscan_session";
/// How long a login lasts: 12 h, a working day; then the form again.
pub const SESSION_LIFE: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at once; past it the one nearest its end goes. 1,024: far more browsers than
/// a site has people, and a bounded map whatever a client does.
pub const MAX_SESSIONS: usize = 1024;
/// Failed logins a peer may make in [`LOGIN_WINDOW`] before it is answered 429. 5 a minute
/// (fail2ban's default `maxretry`) leaves a person room for typos and makes guessing a 256-bit
/// token hopeless even without it.
pub const LOGIN_FAILURES: u32 = 5;
pub const LOGIN_WINDOW: Duration = Duration::from_secs(60);
/// Peers whose failures are counted at once; past it (after dropping finished windows) every new
/// peer shares one count, so the map is bounded and a flood of addresses cannot dodge the limit.
pub const MAX_PEERS: usize = 1024;
/// The login form's body (`token=` and 64 hex digits) is far under this; more is 413.
pub const MAX_LOGIN_BODY: usize = 1024;
/// How long the login form's body may take to arrive (the header deadline covers only the head).
pub const LOGIN_BODY_DEADLINE: Duration = Duration::from_secs(10);

/// The Content-Security-Policy of every answer (the contract in `notes/serve-contract.md`): only
/// this server's own files; no inline script or style, no plugins, no framing, no `<base>`, forms
/// only to this server. Images may be `data:` and `blob:` URLs (a snapshot shown from memory),
/// video `blob:` (the live preview's Media Source); `connect-src 'self'` covers the preview's
/// WebSocket (CSP 3 matches `ws:` of the same host).
pub const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; \
                       style-src 'self'; \
                       script-src 'self'; connect-src 'self'; object-src 'none'; \
                       frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Headers set on every answer.
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

/// Over TLS: browsers keep to HTTPS for this host for a year (RFC 6797; they ignore it for an IP
/// address). No `includeSubDomains`: other services under the name are not ours to decide for.
pub const HSTS: &str = "max-age=31536000";

/// What a `--listen` address means for the server's security.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// The token is asked for (beyond loopback always; on loopback with `--auth`).
    pub auth: bool,
    /// A line for stderr: the token crosses the network in clear.
    pub warning: Option<String>,
}

/// Whether the server may listen on `addr`, and how: `auth_flag` is `--auth`, `tls` whether
/// `--tls-cert/--tls-key` were given, `token_exists` whether the token file (`token_file`) is
/// there. Beyond loopback the token file must exist already: it is refused otherwise, with how to
/// make one.
pub fn bind_policy(
    addr: SocketAddr,
    auth_flag: bool,
    tls: bool,
    token_exists: bool,
    token_file: &Path,
) -> Result<Bind, String> {
    if addr.ip().is_loopback() {
        return Ok(Bind {
            auth: auth_flag,
            warning: None,
        });
    }
    if !token_exists {
        return Err(format!(
            "refusing to listen on {addr}: beyond loopback the server asks for its token, and \
             there is no token file at {}; run `camscan serve --print-token` first (it creates \
             the token and prints it), give the token to the API's clients as \
             `Authorization: Bearer TOKEN` or in the login form, then start the server again",
            token_file.display()
        ));
    }
    let warning = (!tls).then(|| {
        format!(
            "camscan serve: warning: listening on {addr} without TLS: the token and the session \
             cookie cross the network in clear text; give --tls-cert and --tls-key to serve HTTPS"
        )
    });
    Ok(Bind {
        auth: true,
        warning,
    })
}

/// The sessions of logged-in browsers: the SHA-256 of each session id (so a lookup's timing says
/// nothing about the ids) and when it ends.
#[derive(Debug, Default)]
pub struct Sessions {
    ends: HashMap<[u8; 32], Instant>,
}

impl Sessions {
    /// A new session; the id to put in the cookie.
    pub fn open(&mut self, now: Instant) -> Result<String, String> {
        self.ends.retain(|_, end| *end > now);
        if self.ends.len() >= MAX_SESSIONS
            && let Some(oldest) = self.ends.iter().min_by_key(|(_, e)| **e).map(|(k, _)| *k)
        {
            self.ends.remove(&oldest);
        }
        let id = random_hex(32)?;
        self.ends.insert(sha256(id.as_bytes()), now + SESSION_LIFE);
        Ok(id)
    }

    pub fn is_valid(&self, id: &str, now: Instant) -> bool {
        self.ends
            .get(&sha256(id.as_bytes()))
            .is_some_and(|end| *end > now)
    }

    pub fn close(&mut self, id: &str) {
        self.ends.remove(&sha256(id.as_bytes()));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// Failed logins per peer: a count in a window that starts at the first failure.
#[derive(Debug, Default)]
pub struct Failures {
    peers: HashMap<IpAddr, (u32, Instant)>,
}

impl Failures {
    /// The key a peer is counted under: its address (an IPv6 one by its /64, what one host
    /// usually has to pick from); when [`MAX_PEERS`] are counted, new peers share one key.
    fn key(&mut self, ip: IpAddr, now: Instant) -> IpAddr {
        let ip = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let s = v6.segments();
                    IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
                }
            },
            v4 => v4,
        };
        if self.peers.contains_key(&ip) || self.peers.len() < MAX_PEERS {
            return ip;
        }
        self.peers
            .retain(|_, (_, start)| now.duration_since(*start) < LOGIN_WINDOW);
        if self.peers.len() < MAX_PEERS {
            ip
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        }
    }

    /// `Some(wait)` when `ip` has used up its failures: how long until it may try again.
    pub fn blocked(&mut self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let key = self.key(ip, now);
        let (count, start) = *self.peers.get(&key)?;
        let passed = now.duration_since(start);
        if passed >= LOGIN_WINDOW {
            self.peers.remove(&key);
            return None;
        }
        (count >= LOGIN_FAILURES).then(|| LOGIN_WINDOW - passed)
    }

    pub fn failed(&mut self, ip: IpAddr, now: Instant) {
        let key = self.key(ip, now);
        let entry = self.peers.entry(key).or_insert((0, now));
        if now.duration_since(entry.1) >= LOGIN_WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn succeeded(&mut self, ip: IpAddr, now: Instant) {
        let key = self.key(ip, now);
        self.peers.remove(&key);
    }
}

/// The security state of a running server.
#[derive(Debug)]
pub struct Guard {
    /// `None`: no token asked for (loopback without `--auth`).
    token: Option<Token>,
    tls: bool,
    sessions: Mutex<Sessions>,
    failures: Mutex<Failures>,
}

impl Guard {
    /// `token`: the token to ask for, or `None`; `tls`: whether the server speaks HTTPS.
    pub fn new(token: Option<Token>, tls: bool) -> Arc<Guard> {
        Arc::new(Guard {
            token,
            tls,
            sessions: Mutex::default(),
            failures: Mutex::default(),
        })
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `headers` bring the token or a live session.
    fn lets_in(&self, token: &Token, headers: &HeaderMap) -> bool {
        if let Some(given) = bearer(headers)
            && token.matches(given)
        {
            return true;
        }
        session_id(headers).is_some_and(|id| self.sessions().is_valid(id, Instant::now()))
    }
}

/// The token of an `Authorization: Bearer` header (RFC 6750 §2.1; the scheme is
/// case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The value of the session cookie, if the request has one.
fn session_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name.trim() == SESSION_COOKIE).then(|| value.trim())
        })
        .filter(|v| !v.is_empty())
}

/// Which rules a path falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// `/api` and below: 401 problem documents.
    Api,
    /// `/login`, `/logout`, `/assets/...`: open to all.
    Open,
    /// Everything else (the page): a redirect to `/login`.
    Page,
}

pub fn area(path: &str) -> Area {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if under("/api") || path == "/metrics" {
        Area::Api
    } else if path == "/login" || path == "/logout" || under("/assets") {
        Area::Open
    } else {
        Area::Page
    }
}

/// Why a request may not change anything here (the rule in the module's doc), or `Ok`.
/// `tls`: whether this server speaks HTTPS (its origin's scheme).
pub fn cross_site(method: &Method, headers: &HeaderMap, tls: bool) -> Result<(), String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let text = |name| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("(not ASCII)"))
    };
    if let Some(origin) = text(header::ORIGIN) {
        let own = text(header::HOST).map(|host| {
            let scheme = if tls { "https" } else { "http" };
            format!("{scheme}://{host}")
        });
        return match own {
            Some(own) if origin.eq_ignore_ascii_case(&own) => Ok(()),
            Some(own) => Err(format!(
                "the request comes from {:?}, not from this server ({own})",
                sanitize::terminal(origin)
            )),
            None => Err("the request has an Origin but no Host".to_string()),
        };
    }
    if let Some(site) = text(axum::http::HeaderName::from_static("sec-fetch-site")) {
        return if site.eq_ignore_ascii_case("same-origin") {
            Ok(())
        } else {
            Err(format!(
                "the browser says the request comes from another site (Sec-Fetch-Site: {})",
                sanitize::terminal(site)
            ))
        };
    }
    if session_id(headers).is_some() {
        return Err(
            "a request with the session cookie must say where it comes from (Origin)".to_string(),
        );
    }
    Ok(())
}

/// Whether `host` (a Host header) names this machine's loopback: an IP address (as typed in a
/// URL), `localhost` or a name under `.localhost` (RFC 6761 §6.3), with an optional port. Any
/// other name may be one an attacker points at 127.0.0.1 (DNS rebinding).
pub fn host_is_address(host: &str) -> bool {
    if let Some(rest) = host.strip_prefix('[') {
        // `[v6]` or `[v6]:port`.
        return rest
            .split_once(']')
            .is_some_and(|(a, _)| a.parse::<std::net::Ipv6Addr>().is_ok());
    }
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    name.parse::<Ipv4Addr>().is_ok() || lower == "localhost" || lower.ends_with(".localhost")
}

/// Put the login routes (when the token is asked for) and the checks of this module around
/// `app` (which has everything else the server answers).
pub fn protect(app: Router, guard: Arc<Guard>) -> Router {
    let app = if guard.token.is_some() {
        app.merge(
            Router::new()
                .route("/login", get(login_form).post(login))
                .route("/logout", post(logout))
                .route("/assets/login.css", get(login_css))
                .with_state(guard.clone()),
        )
    } else {
        app
    };
    app.layer(axum::middleware::from_fn_with_state(guard, check))
}

/// The middleware: the rebinding guard, the cross-site rule, the token, and the headers.
async fn check(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let mut resp = match refuse(&guard, &req) {
        Some(refused) => refused,
        None => next.run(req).await,
    };
    let h = resp.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        h.insert(name, HeaderValue::from_static(value));
    }
    if guard.tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    resp
}

/// The answer to a request that may not go on, or `None`.
fn refuse(guard: &Guard, req: &Request) -> Option<Response> {
    let headers = req.headers();
    let Some(token) = &guard.token else {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        if let Some(host) = host.filter(|h| !host_is_address(h)) {
            return Some(
                Problem::new(
                    Kind::CrossOrigin,
                    format!(
                        "Host {:?} is not an address of this server; without a token it answers \
                         only requests to an IP address or localhost (a guard against DNS \
                         rebinding)",
                        sanitize::terminal(host)
                    ),
                )
                .into_response(),
            );
        }
        return cross_site(req.method(), headers, guard.tls)
            .err()
            .map(|why| Problem::new(Kind::CrossOrigin, why).into_response());
    };
    if let Err(why) = cross_site(req.method(), headers, guard.tls) {
        return Some(Problem::new(Kind::CrossOrigin, why).into_response());
    }
    match area(req.uri().path()) {
        Area::Open => None,
        _ if guard.lets_in(token, headers) => None,
        Area::Api => {
            let mut resp = Problem::new(
                Kind::Unauthorized,
                "this server asks for its token: send `Authorization: Bearer TOKEN` (on the \
                 server, `camscan serve --print-token` prints it) or log in at /login",
            )
            .into_response();
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"camscan\""),
            );
            Some(resp)
        }
        Area::Page => Some(see_other("/login")),
    }
}

fn see_other(to: &'static str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    resp.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(to));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The login page: a form, and `message` (escaped) above its button.
fn form_page(status: StatusCode, message: Option<&str>) -> Response {
    let message = message
        .map(|m| {
            format!(
                "<p class=\"error\" role=\"alert\">{}</p>",
                sanitize::html(m)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>camscan: log in</title>\n<link rel=\"stylesheet\" href=\"/assets/login.css\">\n\
         </head>\n<body>\n<main>\n<h1>camscan</h1>\n\
         <form method=\"post\" action=\"/login\">\n\
         <label for=\"token\">Access token</label>\n\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" \
         required autofocus>\n\
         <p class=\"hint\">On the server, <code>camscan serve --print-token</code> prints it.</p>\n\
         {message}\n<button type=\"submit\">Log in</button>\n</form>\n</main>\n</body>\n</html>\n"
    );
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `GET /login`.
async fn login_form() -> Response {
    form_page(StatusCode::OK, None)
}

/// `GET /assets/login.css`: the login page's few rules, light and dark.
async fn login_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("login.css"),
    )
        .into_response()
}

/// `POST /login` (`application/x-www-form-urlencoded`, `token=...`): the right token opens a
/// session and sets its cookie; a wrong one is 401 and the form again; too many wrong ones from a
/// peer are 429 until its window ends.
async fn login(State(guard): State<Arc<Guard>>, req: Request) -> Response {
    // Put there by the accept loop (crate::http_server).
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.0.ip());
    if let Some(wait) = guard.failures().blocked(ip, Instant::now()) {
        let secs = wait.as_secs().max(1);
        let mut resp = form_page(
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "Too many wrong tokens from this address; try again in {secs} s."
            )),
        );
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    let body = tokio::time::timeout(
        LOGIN_BODY_DEADLINE,
        axum::body::to_bytes(req.into_body(), MAX_LOGIN_BODY),
    )
    .await;
    let body = match body {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return Problem::new(
                Kind::BodyTooLarge,
                format!("the login form takes at most {MAX_LOGIN_BODY} bytes"),
            )
            .into_response();
        }
        Err(_) => {
            return Problem::new(
                Kind::Timeout,
                format!(
                    "the login form's body did not arrive within {} s",
                    LOGIN_BODY_DEADLINE.as_secs()
                ),
            )
            .into_response();
        }
    };
    let given = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let Some(token) = &guard.token else {
        return see_other("/");
    };
    if !token.matches(&given) {
        guard.failures().failed(ip, Instant::now());
        tracing::info!(%ip, "serve: a wrong token in the login form");
        return form_page(
            StatusCode::UNAUTHORIZED,
            Some("That is not the token of this server."),
        );
    }
    guard.failures().succeeded(ip, Instant::now());
    let id = match guard.sessions().open(Instant::now()) {
        Ok(id) => id,
        Err(e) => return Problem::new(Kind::Store, e).into_response(),
    };
    let mut resp = see_other("/");
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&id, SESSION_LIFE, guard.tls)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// `POST /logout`: the session ends, the cookie is cleared, and back to the form.
async fn logout(State(guard): State<Arc<Guard>>, headers: HeaderMap) -> Response {
    if let Some(id) = session_id(&headers) {
        guard.sessions().close(id);
    }
    let mut resp = see_other("/login");
    if let Ok(v) = HeaderValue::from_str(&session_cookie("", Duration::ZERO, guard.tls)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// The `Set-Cookie` value of a session (an empty `id` and no `life` clear it).
pub fn session_cookie(id: &str, life: Duration, tls: bool) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={id}; Max-Age={}; Path=/; HttpOnly; SameSite=Strict{secure}",
        life.as_secs()
    )
}

/// A request without a body: for tests of the checks without a server.
#[cfg(test)]
fn request(method: Method, path: &str, headers: &[(&str, &str)]) -> Request {
    let mut b = axum::http::Request::builder().method(method).uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(axum::body::Body::empty()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    /// The token file of the SQLite inventory at `db`.
    fn token_path(db: &Path) -> std::path::PathBuf {
        super::token_path(&store::Inventory::at(db.into()))
    }

    #[test]
    fn the_token_file_is_next_to_the_store() {
        assert_eq!(
            token_path(Path::new("/var/lib/camscan/inventory.db")),
            Path::new("/var/lib/camscan/serve.token")
        );
        assert_eq!(
            token_path(Path::new("inventory.db")),
            Path::new("serve.token")
        );
    }

    #[test]
    fn a_token_file_is_made_0600_and_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join(TOKEN_FILE);
        assert_eq!(read_token(&path), Ok(None));
        let made = token(&path).unwrap();
        assert_eq!(made.len(), 64);
        assert!(made.bytes().all(|b| b.is_ascii_hexdigit()));
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::read_to_string(&path).unwrap(), format!("{made}\n"));
        // The second start reads the same token; no temporary file is left.
        assert_eq!(token(&path).unwrap(), made);
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        // Never replaced.
        assert!(create_token(&path).is_err());
        assert_eq!(read_token(&path).unwrap().as_deref(), Some(made.as_str()));

        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_token(&path).unwrap_err();
        assert!(e.contains("permissions 0644"), "{e}");
        assert!(e.contains("chmod 600"), "{e}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o620)).unwrap();
        assert!(read_token(&path).unwrap_err().contains("0620"));

        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, "short\n").unwrap();
        assert!(read_token(&path).unwrap_err().contains("not a token"));
    }

    #[test]
    fn tokens_are_compared_whole() {
        let t = Token::new("0123456789abcdef0123456789abcdef");
        assert!(t.matches("0123456789abcdef0123456789abcdef"));
        assert!(!t.matches("0123456789abcdef0123456789abcdee"));
        assert!(!t.matches("0123456789abcdef"));
        assert!(!t.matches(""));
        assert_eq!(format!("{t:?}"), "Token(..)");
    }

    #[test]
    fn beyond_loopback_the_token_file_must_exist() {
        let file = Path::new("/state/serve.token");
        let lo = "127.0.0.1:8750".parse().unwrap();
        assert_eq!(
            bind_policy(lo, false, false, false, file),
            Ok(Bind {
                auth: false,
                warning: None
            })
        );
        assert!(bind_policy(lo, true, false, false, file).unwrap().auth);
        assert!(
            bind_policy("[::1]:1".parse().unwrap(), false, false, false, file)
                .unwrap()
                .warning
                .is_none()
        );
        for addr in ["0.0.0.0:8750", "192.168.1.10:8750", "[::]:8750"] {
            let addr = addr.parse().unwrap();
            let e = bind_policy(addr, false, false, false, file).unwrap_err();
            assert!(e.contains(&format!("refusing to listen on {addr}")), "{e}");
            assert!(e.contains("camscan serve --print-token"), "{e}");
            assert!(e.contains("/state/serve.token"), "{e}");
            let b = bind_policy(addr, false, false, true, file).unwrap();
            assert!(b.auth);
            let w = b.warning.unwrap();
            assert!(w.contains("in clear text"), "{w}");
            assert_eq!(
                bind_policy(addr, false, true, true, file),
                Ok(Bind {
                    auth: true,
                    warning: None
                })
            );
        }
    }

    #[test]
    fn sessions_end_and_are_bounded() {
        let mut s = Sessions::default();
        let t0 = Instant::now();
        let id = s.open(t0).unwrap();
        assert_eq!(id.len(), 64);
        assert!(s.is_valid(&id, t0));
        assert!(!s.is_valid("not-a-session", t0));
        assert!(!s.is_valid(&id, t0 + SESSION_LIFE));
        s.close(&id);
        assert!(!s.is_valid(&id, t0));

        let first = s.open(t0).unwrap();
        for i in 1..MAX_SESSIONS + 10 {
            s.open(t0 + Duration::from_millis(i as u64)).unwrap();
        }
        assert_eq!(s.len(), MAX_SESSIONS);
        // The oldest went first.
        assert!(!s.is_valid(&first, t0 + Duration::from_secs(1)));
        // Ended ones are dropped when the next opens.
        s.open(t0 + SESSION_LIFE + Duration::from_secs(2)).unwrap();
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn failed_logins_are_limited_per_peer() {
        let mut f = Failures::default();
        let t0 = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..LOGIN_FAILURES {
            assert_eq!(f.blocked(a, t0), None);
            f.failed(a, t0);
        }
        let wait = f.blocked(a, t0 + Duration::from_secs(10)).unwrap();
        assert_eq!(wait, LOGIN_WINDOW - Duration::from_secs(10));
        assert_eq!(f.blocked(b, t0), None);
        assert_eq!(f.blocked(a, t0 + LOGIN_WINDOW), None);

        // One IPv6 host's /64 is one peer.
        let v6a: IpAddr = "2001:db8::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8::ffff:2".parse().unwrap();
        for _ in 0..LOGIN_FAILURES {
            f.failed(v6a, t0);
        }
        assert!(f.blocked(v6b, t0).is_some());

        // Bounded: past MAX_PEERS live entries, new peers share one count.
        let mut f = Failures::default();
        for i in 0..MAX_PEERS as u32 {
            f.failed(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)), t0);
        }
        for i in 0..LOGIN_FAILURES {
            f.failed(IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + i)), t0);
        }
        assert!(f.peers.len() <= MAX_PEERS + 1);
        assert!(f.blocked("11.9.9.9".parse().unwrap(), t0).is_some());
    }

    #[test]
    fn areas() {
        assert_eq!(area("/api/v1/devices"), Area::Api);
        assert_eq!(area("/api"), Area::Api);
        assert_eq!(area("/apiary"), Area::Page);
        assert_eq!(area("/metrics"), Area::Api);
        assert_eq!(area("/login"), Area::Open);
        assert_eq!(area("/logout"), Area::Open);
        assert_eq!(area("/assets/login.css"), Area::Open);
        assert_eq!(area("/"), Area::Page);
        assert_eq!(area("/devices/3"), Area::Page);
        assert_eq!(area("/login/x"), Area::Page);
    }

    #[test]
    fn the_cross_site_rule() {
        let host = ("host", "127.0.0.1:8750");
        let cookie = ("cookie", "camscan_session=abc");
        let ok = |m: Method, h: &[(&str, &str)], tls| cross_site(&m, &headers(h), tls).is_ok();
        // Reads are never refused.
        assert!(ok(
            Method::GET,
            &[host, ("origin", "http://evil.example")],
            false
        ));
        // Same origin, by Origin (scheme from TLS) or by Sec-Fetch-Site.
        assert!(ok(
            Method::POST,
            &[host, ("origin", "http://127.0.0.1:8750")],
            false
        ));
        assert!(!ok(
            Method::POST,
            &[host, ("origin", "http://127.0.0.1:8750")],
            true
        ));
        assert!(ok(
            Method::POST,
            &[host, ("origin", "https://127.0.0.1:8750")],
            true
        ));
        assert!(ok(
            Method::DELETE,
            &[host, cookie, ("sec-fetch-site", "same-origin")],
            false
        ));
        // Another origin, another port, `null`, another site: refused, cookie or not.
        for origin in [
            "http://evil.example",
            "http://127.0.0.1:8751",
            "null",
            "http://127.0.0.1",
        ] {
            assert!(
                !ok(Method::POST, &[host, cookie, ("origin", origin)], false),
                "{origin}"
            );
            assert!(
                !ok(Method::POST, &[host, ("origin", origin)], false),
                "{origin}"
            );
        }
        assert!(!ok(
            Method::POST,
            &[host, ("sec-fetch-site", "cross-site")],
            false
        ));
        assert!(!ok(
            Method::POST,
            &[host, ("sec-fetch-site", "same-site")],
            false
        ));
        // No Origin and no Sec-Fetch-Site: curl with a bearer token (or nothing, on loopback),
        // but never the cookie.
        assert!(ok(
            Method::POST,
            &[host, ("authorization", "Bearer x")],
            false
        ));
        assert!(ok(Method::POST, &[host], false));
        assert!(!ok(Method::POST, &[host, cookie], false));
        assert!(!ok(
            Method::POST,
            &[host, ("cookie", "a=b; camscan_session=x")],
            false
        ));
        assert!(ok(Method::POST, &[host, ("cookie", "other=1")], false));
    }

    #[test]
    fn hosts_that_cannot_be_rebound() {
        for ok in [
            "127.0.0.1:8750",
            "127.0.0.1",
            "[::1]:8750",
            "localhost:8750",
            "LOCALHOST",
            "app.localhost:1",
            "localhost.",
        ] {
            assert!(host_is_address(ok), "{ok}");
        }
        for bad in [
            "evil.example:8750",
            "localhost.evil.example",
            "[evil]:1",
            "x",
        ] {
            assert!(!host_is_address(bad), "{bad}");
        }
    }

    #[test]
    fn bearer_and_cookie_are_read() {
        let h = headers(&[
            ("authorization", "bearer  abc "),
            ("cookie", "x=1; camscan_session=s1d"),
        ]);
        assert_eq!(bearer(&h), Some("abc"));
        assert_eq!(session_id(&h), Some("s1d"));
        assert_eq!(bearer(&headers(&[("authorization", "Basic abc")])), None);
        assert_eq!(
            session_id(&headers(&[("cookie", "camscan_session=")])),
            None
        );
    }

    #[test]
    fn the_cookie_has_its_attributes() {
        let c = session_cookie("abc", SESSION_LIFE, true);
        assert_eq!(
            c,
            "camscan_session=abc; Max-Age=43200; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!session_cookie("abc", SESSION_LIFE, false).contains("Secure"));
    }

    #[test]
    fn refusals() {
        let token_text = "f".repeat(64);
        let on = Guard::new(Some(Token::new(&token_text)), false);
        let off = Guard::new(None, false);
        let host = ("host", "127.0.0.1:1");
        let status = |g: &Guard, m: Method, p: &str, h: &[(&str, &str)]| {
            refuse(g, &request(m, p, h)).map(|r| r.status().as_u16())
        };
        assert_eq!(status(&off, Method::GET, "/api/v1/devices", &[host]), None);
        assert_eq!(
            status(&off, Method::GET, "/", &[("host", "rebound.example:1")]),
            Some(403)
        );
        assert_eq!(
            status(&on, Method::GET, "/", &[("host", "camscan.lan:1")]),
            Some(303)
        );
        assert_eq!(
            status(&on, Method::GET, "/api/v1/devices", &[host]),
            Some(401)
        );
        let bearer = format!("Bearer {token_text}");
        assert_eq!(
            status(
                &on,
                Method::GET,
                "/api/v1/devices",
                &[host, ("authorization", &bearer)]
            ),
            None
        );
        assert_eq!(status(&on, Method::GET, "/login", &[host]), None);
        assert_eq!(
            status(
                &on,
                Method::POST,
                "/login",
                &[host, ("origin", "http://evil.example")]
            ),
            Some(403)
        );
    }

    #[test]
    fn messages_are_escaped() {
        assert_eq!(
            sanitize::html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
