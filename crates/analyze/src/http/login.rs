//! A web server that asks for a login on every path is one login, not one stream per dictionary
//! path (issue 27): an Axis-style server answers `401` with a Basic challenge to `/mjpg/video.mjpg`
//! and `/live/livestream.flv` alike, and a dictionary path that answers as a made-up one proves
//! nothing. So, as the RTSP analysis does (`analyze::rtsp`, its random-path baseline), a made-up
//! path is asked first when the root asks for a login:
//!
//! * it answers the same (`401`, or `403` everywhere): a **login wall**. Without credentials the
//!   service is reported as needing a login (scheme and realm on the service, a note saying so)
//!   and no stream is guessed. With credentials, they are tried on `/` within the host's
//!   failed-login budget ([`crate::budget`], shared with RTSP and ONVIF); the one that
//!   opens it is sent with every request of the analysis ([`open`]: Basic with the request, Digest
//!   as the answer to each request's own challenge), which then finds the paths that really serve.
//! * it answers otherwise (`404`): the server locks some paths only, and the locked media paths
//!   are listed `auth_required` as before.
//!
//! A root that serves a page while every other path asks for a login is caught after the
//! dictionary ([`drop_guessed_locks`]): its locked paths are dropped when a made-up path is
//! locked too.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;

use super::{HttpFindings, HttpSettings};
use credentials::{Credential, url_with_credentials};
use detect::head;
use error::{AnalyzeError, NetError};
use model::{AuthScheme, Protocol, StreamStatus};
use net::http::{OpenGet, answer_challenges, open_get, open_get_as};
use net::rtsp::Reply;
use proto::response::ResponseHead;

/// The pure decision: a locked answer (`401`, `403`) to a path proves nothing when a made-up path
/// gets the same status: the server answers every path so (a login wall).
pub fn same_as_made_up(path_status: u16, made_up_status: u16) -> bool {
    matches!(path_status, 401 | 403) && made_up_status == path_status
}

/// A path no server has: `/camscan-<16 hex digits>`, new for each port.
pub(super) fn made_up_path() -> String {
    format!("/camscan-{:016x}", net::random_u64())
}

/// The login a wall asks for, as its 401 (or 403) says: for the service's note.
#[derive(Debug, Clone, PartialEq)]
pub struct Wall {
    pub status: u16,
    pub scheme: AuthScheme,
    pub realm: Option<String>,
}

impl Wall {
    pub fn of(h: &ResponseHead) -> Wall {
        let service = head::service(0, Protocol::Http, h);
        Wall {
            status: h.status,
            scheme: service.auth,
            realm: service.realm,
        }
    }

    /// `asks for a login on every path, made-up ones too (HTTP 401, Basic realm "AXIS_ACCC8E")`.
    pub fn describe(&self) -> String {
        if self.status == 403 {
            return "refuses every path, made-up ones too (HTTP 403)".into();
        }
        let realm = self
            .realm
            .as_deref()
            .map(|r| format!(" realm {r:?}"))
            .unwrap_or_default();
        let scheme = match self.scheme {
            AuthScheme::Basic => "Basic",
            AuthScheme::Digest => "Digest",
            _ => "an unknown scheme",
        };
        format!(
            "asks for a login on every path, made-up ones too (HTTP {}, {scheme}{realm})",
            self.status
        )
    }
}

/// Why no login opened the wall.
#[derive(Debug)]
pub enum Refusal {
    /// No credential applies to this host.
    NoCredentials,
    /// `--no-auth`.
    Disabled,
    /// Every credential tried was refused (within the budget).
    Failed { tried: usize, budget_spent: bool },
    /// The host refused a credential that had worked: no more logins are sent to it.
    Locked,
    /// The server's challenges are none we answer: the login schemes they offer
    /// ([`proto::auth::offered_logins`]).
    Unanswerable(Vec<String>),
    /// The login request failed.
    Net(NetError),
}

impl Refusal {
    /// The failure recorded on the device for a refusal that is one (a login refused, a
    /// lockout, a challenge no login answers, a request that failed).
    fn failure(self) -> Option<AnalyzeError> {
        match self {
            Refusal::Failed {
                tried,
                budget_spent,
            } => Some(AnalyzeError::Auth(format!(
                "HTTP login refused for {tried} credential(s){}",
                if budget_spent {
                    "; failed-login budget for this host spent"
                } else {
                    ""
                }
            ))),
            Refusal::Locked => Some(AnalyzeError::Auth(
                "device refused a credential that had worked (lockout?); no more logins sent"
                    .into(),
            )),
            Refusal::Unanswerable(_) => Some(AnalyzeError::Auth(format!(
                "HTTP login not sent: {}",
                self.reason()
            ))),
            Refusal::Net(e) => Some(e.into()),
            Refusal::NoCredentials | Refusal::Disabled => None,
        }
    }

    /// What the note says after the wall's description.
    fn describe(&self) -> String {
        format!("no stream guessed; {}", self.reason())
    }

    /// Why no login was taken, in words.
    fn reason(&self) -> String {
        match self {
            Refusal::NoCredentials => "give credentials with --credentials".into(),
            Refusal::Disabled => "credentials not sent (--no-auth)".into(),
            Refusal::Failed {
                tried,
                budget_spent,
            } => format!(
                "the {tried} credential(s) tried were refused{}",
                if *budget_spent {
                    "; failed-login budget for this host spent"
                } else {
                    ""
                }
            ),
            Refusal::Locked => {
                "the host refused a credential that had worked (lockout?); no more logins sent"
                    .into()
            }
            Refusal::Unanswerable(offered) if offered.is_empty() => {
                "its challenge names no login scheme".into()
            }
            Refusal::Unanswerable(offered) => format!(
                "camscan answers none of the logins it offers ({}; camscan answers Basic and \
                 Digest MD5, SHA-256, SHA-512-256)",
                offered.join(", ")
            ),
            Refusal::Net(_) => "the login request failed".into(),
        }
    }
}

/// A credential that opened the port: sent with every request of the analysis.
#[derive(Debug)]
pub struct Login {
    cred: Credential,
    scheme: AuthScheme,
    /// The `WWW-Authenticate` values the credential answered (Basic is sent from them).
    challenges: Vec<String>,
    /// Its position in the credentials list ([`model::Stream::credential_entry`]).
    entry: Option<usize>,
    /// `--show-credentials`: put it into stream URLs.
    show: bool,
    /// Requests that were refused after the login had worked: after the first, none is sent
    /// with the credential (a host that starts refusing may be locking us out).
    refused: AtomicUsize,
}

/// What the gate in front of a port decided.
pub enum Gate {
    /// No login wall: analyse the port as it is (with these failures of a login its real pages
    /// asked for and that was not taken, [`protected_pages`]).
    Open(Vec<AnalyzeError>),
    /// A wall no credential opened: what to report (a note, no streams).
    Closed(Box<HttpFindings>),
    /// A credential opened the wall: analyse with it, from the root it now answers. `wall`: the
    /// root's answer before the login (its realm names a server whose page is behind it: Motion).
    Opened {
        settings: Box<HttpSettings>,
        root: Reply,
        wall: Box<ResponseHead>,
    },
}

/// The first step of the HTTP analysis: when the root asks for a login (or refuses), ask a
/// made-up path; when it answers the same, log in or report the wall.
pub async fn gate(addr: SocketAddr, root: &Reply, s: &HttpSettings) -> Gate {
    if !matches!(root.head.status, 401 | 403) {
        return Gate::Open(Vec::new());
    }
    let made_up = made_up_path();
    let Ok(answer) = open_get(addr, &made_up, s.tls, s.connect_timeout, s.timeout).await else {
        return Gate::Open(Vec::new());
    };
    if !same_as_made_up(root.head.status, answer.head.status) {
        if root.head.status == 401 {
            return protected_pages(addr, root, s).await;
        }
        return Gate::Open(Vec::new());
    }
    let wall = Wall::of(&root.head);
    tracing::info!(%addr, status = wall.status, "a made-up path is locked too: a login wall, no stream guessed");
    let refusal = if wall.status == 403 {
        None
    } else {
        match log_in(addr, &root.head, s).await {
            Ok(login) => return opened(addr, root, s, login).await,
            Err(r) => Some(r),
        }
    };
    let mut findings = HttpFindings::default();
    let observation = detect::fingerprint::Observation::new("/", &root.head, &[]);
    findings.fingerprint = Some(detect::fingerprint::classify(&[observation]));
    findings.note = Some(match &refusal {
        Some(r) => format!("{}: {}", wall.describe(), r.describe()),
        None => format!("{}: no stream guessed", wall.describe()),
    });
    findings.failures.extend(refusal.and_then(Refusal::failure));
    Gate::Closed(Box::new(findings))
}

/// The port behind the login `login` taken on its root (`wall`, the root's answer before): the
/// analysis's settings carry it, and the root is read again with it.
async fn opened(addr: SocketAddr, wall: &Reply, s: &HttpSettings, login: Login) -> Gate {
    let mut settings = s.clone();
    settings.login = Some(Arc::new(login));
    let root = match open(addr, "/", &settings).await {
        Ok(got) => Reply {
            head: got.head,
            body: Vec::new(),
        },
        Err(_) => wall.clone(),
    };
    Gate::Opened {
        settings: Box::new(settings),
        wall: Box::new(wall.head.clone()),
        root,
    }
}

/// A server that protects what exists (µStreamer with `--user`: `401 Basic` on `/`, `/stream`,
/// `/snapshot`, a `404` for a made-up path): the root is a real page, and its login is offered
/// where a login is due. The credentials that apply to the host are tried on `/` as on a wall
/// ([`log_in`]); the one taken goes with every request of the analysis. None given, none taken:
/// the port is analysed as it is, its locked media paths listed as needing a login, and a refused
/// login is among its failures.
async fn protected_pages(addr: SocketAddr, root: &Reply, s: &HttpSettings) -> Gate {
    match log_in(addr, &root.head, s).await {
        Ok(login) => {
            tracing::info!(%addr, "the root asks for a login a made-up path does not: logged in");
            opened(addr, root, s, login).await
        }
        Err(r) => Gate::Open(r.failure().into_iter().collect()),
    }
}

/// Try the credentials that apply to the host on `/`, within its failed-login budget, one at a
/// time; a `401` is a refusal, any other answer (even `403`, nginx's answer for a folder it may
/// not list) means the credential was taken.
async fn log_in(addr: SocketAddr, wall: &ResponseHead, s: &HttpSettings) -> Result<Login, Refusal> {
    log_in_at(addr, "/", wall, s).await
}

/// The login of a port whose pages open without one but whose API at `path` asks for it (an
/// NVR's web page is public, its ISAPI or CGI is behind Digest): `path` is asked without a
/// credential and, when it answers `401`, the credentials are tried on it as [`gate`] tries them
/// on `/`, within the host's failed-login budget (a credential that already worked on this host
/// goes alone). `None`: it needs no login, or none was taken.
pub async fn for_path(addr: SocketAddr, path: &str, s: &HttpSettings) -> Option<HttpSettings> {
    let got = open_get(addr, path, s.tls, s.connect_timeout, s.timeout)
        .await
        .ok()?;
    if got.head.status != 401 {
        return None;
    }
    match log_in_at(addr, path, &got.head, s).await {
        Ok(login) => {
            let mut settings = s.clone();
            settings.login = Some(Arc::new(login));
            Some(settings)
        }
        Err(r) => {
            tracing::debug!(%addr, path, "no login for the API: {}", r.describe());
            None
        }
    }
}

/// [`log_in`] on `path`: the credentials answer `wall`'s challenges for it.
async fn log_in_at(
    addr: SocketAddr,
    path: &str,
    wall: &ResponseHead,
    s: &HttpSettings,
) -> Result<Login, Refusal> {
    let Some(auth) = &s.auth else {
        return Err(Refusal::NoCredentials);
    };
    if !s.use_auth {
        return Err(Refusal::Disabled);
    }
    let ip = addr.ip();
    // The login that followed its device here first ([`crate::followed`]).
    let creds: Vec<&Credential> = s
        .followed
        .iter()
        .chain(
            auth.credentials
                .iter()
                .filter(|c| c.applies_to(ip) && Some(*c) != s.followed.as_ref()),
        )
        .collect();
    if creds.is_empty() {
        return Err(Refusal::NoCredentials);
    }
    let mut session = auth.budget.session(ip).await;
    if session.locked() {
        return Err(Refusal::Locked);
    }
    // A credential that already worked on this host (another port, another protocol) goes alone.
    let known = session.known_good().cloned();
    let list: Vec<Credential> = match &known {
        Some(k) => vec![k.clone()],
        None => creds
            .into_iter()
            .filter(|c| !session.refused(c))
            .cloned()
            .collect(),
    };
    let mut challenges: Vec<String> = wall
        .headers_named("www-authenticate")
        .take(8)
        .map(str::to_string)
        .collect();
    let mut tried = 0;
    for cred in list {
        let proven = known.as_ref() == Some(&cred);
        if !proven && !session.may_try() {
            return Err(Refusal::Failed {
                tried,
                budget_spent: true,
            });
        }
        let values: Vec<&str> = challenges.iter().map(String::as_str).collect();
        let Some(authorization) = answer_challenges(&values, &cred.username, &cred.password, path)
        else {
            return Err(Refusal::Unanswerable(proto::auth::offered_logins(values)));
        };
        let got = open_get_as(
            addr,
            path,
            s.tls,
            Some(&authorization),
            s.connect_timeout,
            s.timeout,
        )
        .await
        .map_err(Refusal::Net)?;
        tried += 1;
        if got.head.status == 401 {
            if proven {
                session.mark_locked();
                return Err(Refusal::Locked);
            }
            session.record_refused(&cred);
            // A Digest server's refusal carries a fresh nonce: the next credential answers it.
            let fresh: Vec<String> = got
                .head
                .headers_named("www-authenticate")
                .take(8)
                .map(str::to_string)
                .collect();
            if !fresh.is_empty() {
                challenges = fresh;
            }
            continue;
        }
        session.record_success(&cred);
        let scheme = head::best_scheme(
            &challenges
                .iter()
                .flat_map(|v| proto::auth::parse_challenges(v))
                .collect::<Vec<_>>(),
        );
        tracing::info!(%addr, user = %cred.username, "HTTP login accepted");
        return Ok(Login {
            entry: auth.credentials.iter().position(|c| *c == cred),
            cred,
            scheme,
            challenges,
            show: s.show_credentials,
            refused: AtomicUsize::new(0),
        });
    }
    Err(Refusal::Failed {
        tried,
        budget_spent: !session.may_try(),
    })
}

/// `GET path`, with the login when the port has one: Basic goes with the request; Digest
/// answers the request's own `401` (a fresh nonce for each request, which every Digest server
/// takes). A credentialed request that is still refused stops the credential for the rest of the
/// analysis ([`settle`] records it).
pub async fn open(addr: SocketAddr, path: &str, s: &HttpSettings) -> Result<OpenGet, NetError> {
    let login = s
        .login
        .as_deref()
        .filter(|l| l.refused.load(Ordering::SeqCst) == 0);
    let Some(login) = login else {
        return open_get(addr, path, s.tls, s.connect_timeout, s.timeout).await;
    };
    let (user, pass) = (&login.cred.username, &login.cred.password);
    let first = if login.scheme == AuthScheme::Basic {
        let values: Vec<&str> = login.challenges.iter().map(String::as_str).collect();
        answer_challenges(&values, user, pass, path)
    } else {
        None
    };
    let mut sent = first.is_some();
    let get = |authorization: Option<String>| async move {
        open_get_as(
            addr,
            path,
            s.tls,
            authorization.as_deref(),
            s.connect_timeout,
            s.timeout,
        )
        .await
    };
    let mut got = get(first).await?;
    if got.head.status == 401 && !sent {
        let values: Vec<&str> = got.head.headers_named("www-authenticate").collect();
        if let Some(a) = answer_challenges(&values, user, pass, path) {
            got = get(Some(a)).await?;
            sent = true;
        }
    }
    if got.head.status == 401 && sent {
        login.refused.fetch_add(1, Ordering::SeqCst);
        tracing::warn!(%addr, path, "the HTTP login that worked was refused; no more sent");
    }
    Ok(got)
}

/// Media paths that asked for a login while the root did not ask for one (or asked for one no
/// credential opened): the credentials that apply to the host are tried on the first of them
/// ([`for_path`], within the host's budget), and the one taken asks each locked path again, as
/// RTSP re-tests its paths after a login. What they serve replaces their `auth_required` entries,
/// with the user on each.
pub async fn open_locked(addr: SocketAddr, findings: &mut HttpFindings, s: &HttpSettings) {
    let applies = s
        .auth
        .as_ref()
        .is_some_and(|a| a.credentials.iter().any(|c| c.applies_to(addr.ip())));
    if s.login.is_some() || !s.use_auth || !applies {
        return;
    }
    let locked: Vec<String> = findings
        .streams
        .iter()
        .filter(|st| st.status == StreamStatus::AuthRequired && st.protocol != Protocol::Webrtc)
        .filter_map(|st| path_of(&st.url))
        .collect();
    let Some(first) = locked.first() else {
        return;
    };
    let Some(settings) = for_path(addr, first, s).await else {
        return;
    };
    let results = futures::stream::iter(locked.iter().cloned())
        .map(|path| {
            let settings = &settings;
            async move { super::probe_path(addr, &path, settings).await }
        })
        .buffered(super::IN_PARALLEL)
        .collect()
        .await;
    findings
        .streams
        .retain(|st| !path_of(&st.url).is_some_and(|p| locked.contains(&p)));
    let mut behind = HttpFindings::default();
    behind.take(results);
    settle(addr, &mut behind, &settings).await;
    findings.streams.append(&mut behind.streams);
    findings.failures.append(&mut behind.failures);
    findings.login = behind.login;
    findings.login_scheme = behind.login_scheme;
}

/// The path (and query) of a stream's URL.
fn path_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    })
}

/// After an analysis behind a login: its streams carry the user (and the credential in the URL
/// with `--show-credentials`), the port's scheme; refusals after the login count against the
/// host's budget and stop its logins, as RTSP treats them.
pub async fn settle(addr: SocketAddr, findings: &mut HttpFindings, s: &HttpSettings) {
    let Some(login) = s.login.as_deref() else {
        return;
    };
    findings.login = Some((login.cred.username.clone(), login.entry));
    let values: Vec<&str> = login.challenges.iter().map(String::as_str).collect();
    findings.login_scheme = net::http::strongest_client(&values).map(|(_, name)| name);
    for stream in &mut findings.streams {
        if stream.protocol == Protocol::Webrtc || !stream.status.answers() {
            continue;
        }
        stream.username = Some(login.cred.username.clone());
        stream.credential_entry = login.entry;
        stream.auth = login.scheme;
        if login.show {
            stream.url = url_with_credentials(&stream.url, &login.cred);
        }
    }
    let refused = login.refused.load(Ordering::SeqCst);
    if refused > 0
        && let Some(auth) = &s.auth
    {
        let mut session = auth.budget.session(addr.ip()).await;
        for _ in 0..refused {
            session.record_failure();
        }
        session.mark_locked();
        findings.failures.push(AnalyzeError::Auth(format!(
            "device refused the HTTP login that had worked on {refused} request(s) (lockout?); \
             no more logins sent"
        )));
    }
    if findings.streams.is_empty() && findings.note.is_none() {
        findings.note = Some(format!(
            "login as {} accepted, but no media path answered behind it",
            login.cred.username
        ));
    }
}

/// A root that serves while the other paths ask for a login: the locked paths found (those the
/// user did not name with `--paths`) are dropped when a made-up path is locked too, and the
/// service's note says why.
pub async fn drop_guessed_locks(addr: SocketAddr, findings: &mut HttpFindings, s: &HttpSettings) {
    let guessed = |st: &model::Stream| {
        st.status == StreamStatus::AuthRequired
            && !s.hint_paths.iter().any(|p| st.url.ends_with(p.as_str()))
    };
    if s.login.is_some() || !findings.streams.iter().any(guessed) {
        return;
    }
    let Ok(answer) = open_get(addr, &made_up_path(), s.tls, s.connect_timeout, s.timeout).await
    else {
        return;
    };
    if !matches!(answer.head.status, 401 | 403) {
        return;
    }
    let before = findings.streams.len();
    findings.streams.retain(|st| !guessed(st));
    tracing::info!(%addr, dropped = before - findings.streams.len(), "a made-up path is locked too: locked paths prove nothing");
    if findings.note.is_none() {
        findings.note = Some(format!(
            "{} but the root: no stream guessed",
            Wall::of(&answer.head).describe()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str) -> ResponseHead {
        proto::response::parse_head(raw.as_bytes())
            .unwrap()
            .unwrap()
            .0
    }

    /// The decision: a dictionary path locked as a made-up one is a login wall; one locked while
    /// a made-up path is missing is a stream that needs a login.
    #[test]
    fn a_path_locked_like_a_made_up_one_proves_nothing() {
        assert!(same_as_made_up(401, 401));
        assert!(same_as_made_up(403, 403));
        // Locks some paths only (the made-up one is missing): the locked path exists.
        assert!(!same_as_made_up(401, 404));
        assert!(!same_as_made_up(403, 404));
        // Not locked at all.
        assert!(!same_as_made_up(200, 200));
        assert!(!same_as_made_up(404, 404));
        // Locked differently: no proof either way, the paths are asked.
        assert!(!same_as_made_up(401, 403));
    }

    /// An Axis-style wall: the note names the scheme and realm as the 401 gives them.
    #[test]
    fn the_wall_says_scheme_and_realm() {
        let axis = head(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"AXIS_ACCC8E012345\"\r\n\r\n",
        );
        let w = Wall::of(&axis);
        assert_eq!(
            (w.status, w.scheme, w.realm.as_deref()),
            (401, AuthScheme::Basic, Some("AXIS_ACCC8E012345"))
        );
        assert_eq!(
            w.describe(),
            "asks for a login on every path, made-up ones too (HTTP 401, Basic realm \"AXIS_ACCC8E012345\")"
        );
        let digest = head(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"cam\", nonce=\"1\", qop=\"auth\"\r\nWWW-Authenticate: Basic realm=\"cam\"\r\n\r\n",
        );
        assert_eq!(Wall::of(&digest).scheme, AuthScheme::Digest);
        let forbidden = head("HTTP/1.1 403 Forbidden\r\n\r\n");
        assert!(Wall::of(&forbidden).describe().contains("HTTP 403"));
        let note = format!(
            "{}: {}",
            w.describe(),
            Refusal::Failed {
                tried: 3,
                budget_spent: true
            }
            .describe()
        );
        assert!(
            note.ends_with(
                "the 3 credential(s) tried were refused; failed-login budget for this host spent"
            ),
            "{note}"
        );
    }

    /// Digest (RFC 7616, SHA-256, qop=auth) in front of every path, as a camera's web server
    /// asks: a fresh nonce in each 401, and a request passes only with a response computed from
    /// the password. No Debian web server does Digest (nginx has no module for it), hence this
    /// loopback peer. Without the password: one login, no stream; with it: the snapshot that
    /// exists and nothing else, each request answering its own challenge.
    #[tokio::test]
    async fn a_digest_wall_is_opened_by_the_right_password() {
        use sha2::{Digest, Sha256};
        use std::sync::Mutex;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let hex = |b: &[u8]| -> String {
            Sha256::digest(b)
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.157:0")
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        // (requests that carried an Authorization, of them refused)
        let counts = Arc::new(Mutex::new((0usize, 0usize)));
        let seen = counts.clone();
        tokio::spawn(async move {
            let mut n = 0u32;
            while let Ok((mut c, _)) = listener.accept().await {
                n += 1;
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let k = c.read(&mut buf).await.unwrap_or(0);
                    let req = String::from_utf8_lossy(&buf[..k]).into_owned();
                    let mut words = req.split_whitespace();
                    let (method, uri) = (words.next().unwrap_or(""), words.next().unwrap_or("/"));
                    let auth = req
                        .lines()
                        .find_map(|l| l.strip_prefix("Authorization: Digest "))
                        .map(|a| {
                            let mut m = std::collections::HashMap::new();
                            for part in a.split(", ") {
                                if let Some((k, v)) = part.split_once('=') {
                                    m.insert(k.trim().to_string(), v.trim_matches('"').to_string());
                                }
                            }
                            m
                        });
                    let ok = auth.as_ref().is_some_and(|m| {
                        let g = |k: &str| m.get(k).cloned().unwrap_or_default();
                        let ha1 = hex(format!("{}:cam:s3cret", g("username")).as_bytes());
                        let ha2 = hex(format!("{method}:{}", g("uri")).as_bytes());
                        let want = hex(format!(
                            "{ha1}:{}:{}:{}:auth:{ha2}",
                            g("nonce"),
                            g("nc"),
                            g("cnonce")
                        )
                        .as_bytes());
                        g("username") == "admin" && g("uri") == uri && g("response") == want
                    });
                    if auth.is_some() {
                        let mut s = seen.lock().unwrap();
                        s.0 += 1;
                        s.1 += usize::from(!ok);
                    }
                    let jpeg: &[u8] = &[
                        0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 0xff, 0xd9,
                    ];
                    let (status, ctype, body): (&str, &str, &[u8]) = if !ok {
                        ("401 Unauthorized", "text/html", b"no")
                    } else if uri == "/" {
                        ("200 OK", "text/html", b"<html><title>Camera</title></html>")
                    } else if uri == "/snapshot.jpg" {
                        ("200 OK", "image/jpeg", jpeg)
                    } else {
                        ("404 Not Found", "text/html", b"missing")
                    };
                    let challenge = if ok {
                        String::new()
                    } else {
                        format!(
                            "WWW-Authenticate: Digest realm=\"cam\", qop=\"auth\", algorithm=SHA-256, nonce=\"n{n:08x}\"\r\n"
                        )
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\n{challenge}Content-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = c.write_all(head.as_bytes()).await;
                    let _ = c.write_all(body).await;
                });
            }
        });
        let settings = |password: &str| HttpSettings {
            tls: false,
            connect_timeout: std::time::Duration::from_secs(1),
            timeout: std::time::Duration::from_secs(2),
            window: std::time::Duration::from_secs(1),
            hint_paths: Default::default(),
            known_paths: Default::default(),
            verify: false,
            auth: Some(crate::context::AuthSettings {
                credentials: Arc::new(vec![Credential::new("admin", password)]),
                budget: Arc::new(crate::budget::AuthBudget::new(3)),
            }),
            use_auth: true,
            followed: None,
            show_credentials: false,
            login: None,
            clues: None,
            focused: true,
            makers: Vec::new(),
            media: Default::default(),
            live: Default::default(),
        };
        let root = |s: HttpSettings| async move {
            let got = open_get(addr, "/", false, s.connect_timeout, s.timeout)
                .await
                .unwrap();
            (
                Reply {
                    head: got.head,
                    body: Vec::new(),
                },
                s,
            )
        };
        // The wrong password: one login refused, no stream, the wall in the note.
        let (r, s) = root(settings("wrong")).await;
        let f = super::super::analyze(addr, &r, &s).await;
        assert!(f.streams.is_empty(), "{:?}", f.streams);
        let note = f.note.unwrap();
        assert!(note.contains("(HTTP 401, Digest realm \"cam\")"), "{note}");
        assert!(
            note.ends_with("the 1 credential(s) tried were refused"),
            "{note}"
        );
        assert_eq!(*counts.lock().unwrap(), (1, 1));
        // The right one: the snapshot, and every credentialed request taken.
        *counts.lock().unwrap() = (0, 0);
        let (r, s) = root(settings("s3cret")).await;
        let f = super::super::analyze(addr, &r, &s).await;
        let urls: Vec<&str> = f.streams.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(
            urls,
            [format!("http://{addr}/snapshot.jpg")],
            "{:?}",
            f.failures
        );
        let st = &f.streams[0];
        assert_eq!(
            (st.auth, st.username.as_deref()),
            (AuthScheme::Digest, Some("admin"))
        );
        assert_eq!(st.credential_entry, Some(0));
        let (sent, refused) = *counts.lock().unwrap();
        assert!(sent > 10, "{sent}");
        assert_eq!(refused, 0);
        assert!(f.failures.is_empty(), "{:?}", f.failures);
    }
}
