//! RTSP analysis of one port: find the stream paths, authenticate within the host's budget, walk the
//! channels of multi-channel devices, then describe each stream's media.
//!
//! Path discovery uses the hand-written client (it sees status, scheme and realm); media facts come from
//! retina's DESCRIBE (it decodes SPS/VPS into dimensions, frame rate and RFC 6381 profile), with our
//! lenient SDP reader as the base and the fallback when retina rejects a camera's SDP.
//!
//! Pitfalls designed against (`shared/PROTOCOLS.md` §4.7): a server that answers 200 to any path must
//! not produce one fake stream per dictionary entry (Cameradar #438, #369), hence the random-path
//! baseline; a camera that answers 401 before 404 hides its paths until we have credentials, hence the
//! re-test after authenticating; a camera locks the source address after a few bad logins, hence the
//! shared [`AuthBudget`]; a server that ignores the channel number would make a channel walk run to the
//! cap, hence the impossible-channel check before walking.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use http_auth::{PasswordClient, PasswordParams};
use retina::client::Session;
use retina::codec::ParametersRef;

use super::budget::{AuthBudget, AuthSession};
use super::paths::{self, ChannelScheme, MAX_CHANNELS};
use super::sessions::DeviceSessions;
use super::verify::{self, Check};
use crate::credentials::{Credential, url_with_credentials};
use crate::detect;
use crate::error::NetError;
use crate::model::{
    AudioInfo, AuthScheme, Failure, Protocol, Service, Stage, Stream, StreamStatus, VideoInfo,
};
use crate::net::rtsp::{Busy, Reply, RtspClient, is_busy, retry_after, start_patience, url};
use crate::proto::{h26x, sdp, sdp_facts};

/// Settings for RTSP analysis.
#[derive(Debug, Clone)]
pub struct RtspSettings {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Deadline of protocol detection's first answers (≤ `timeout`).
    pub detect_timeout: Duration,
    /// User paths tried before the dictionary (`--paths FILE`, config `paths:`).
    pub extra_paths: Vec<String>,
    /// Credentials in the order to try them.
    pub credentials: Arc<Vec<Credential>>,
    /// Failed-login budget shared by every protocol, per host.
    pub budget: Arc<AuthBudget>,
    /// `false` with `--no-auth`: never send credentials.
    pub use_auth: bool,
    /// Put working credentials into stream URLs (`--show-credentials`).
    pub show_credentials: bool,
    /// PLAY each stream found to prove media flows and measure it (`--no-verify` turns it off).
    pub verify: bool,
    /// How long a PLAY check listens at most.
    pub verify_window: Duration,
    /// Run this ffprobe on streams to fill what our analysis left empty (`--ffprobe`).
    pub ffprobe: Option<std::path::PathBuf>,
    /// Stream URLs already taken for analysis in this scan: a stream found both on its RTSP port and
    /// through ONVIF is described and PLAYed once (clones of these settings share the set).
    pub claimed: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    /// Video channel counts devices announced (SADP, DHIP), by address: the channel walk then visits
    /// every announced channel instead of stopping at the first gap (an unplugged NVR input).
    pub channel_counts: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, u32>>>,
    /// `true` once the discovery that announces channel counts (SADP, DHIP) has finished: a channel
    /// walk that meets a gap before then waits for it (port probes start before discovery ends).
    pub announcements_done: tokio::sync::watch::Receiver<bool>,
    /// Woken at every announced channel count (a walk waiting at a gap goes on at once).
    pub announced_now: Arc<tokio::sync::Notify>,
    /// `--stun-ports`: ports where a STUN Binding goes first over TCP, and over UDP to every host
    /// with an open TCP port (3478 is always tried over TCP, and over UDP once TCP answered).
    pub stun_ports: Vec<u16>,
    /// RTSP sessions camscan may hold on one device at a time (`--sessions-per-device`), shared by
    /// media analysis, the PLAY check and ffprobe across every port and path of the scan.
    pub sessions: Arc<DeviceSessions>,
    /// The user's hints (`--paths`) for the other protocols: HTTP media paths, RTMP
    /// application/stream pairs and stream names (`extra_paths` is their RTSP projection).
    pub hints: Arc<super::hints::Hints>,
}

impl RtspSettings {
    /// Take `url` for analysis; `false` if another path of this scan already took it.
    pub fn claim(&self, url: &str) -> bool {
        self.claimed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(claim_key(url))
    }

    /// Remember that the device at `ip` announced `channels` video channels.
    pub fn announce_channels(&self, ip: std::net::IpAddr, channels: u32) {
        self.channel_counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ip, channels);
        self.announced_now.notify_waiters();
    }

    fn channels_of(&self, ip: std::net::IpAddr) -> Option<u32> {
        self.channel_counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ip)
            .copied()
    }

    /// The channel count `ip` announced: at once when known, else as soon as it arrives or the
    /// announcing discovery has finished (at most [`MAX_ANNOUNCE_WAIT`] from now).
    async fn channels_announced(&self, ip: std::net::IpAddr) -> Option<u32> {
        let deadline = tokio::time::Instant::now() + MAX_ANNOUNCE_WAIT;
        let mut done = self.announcements_done.clone();
        loop {
            // Registered before the check, so an announcement in between is not missed.
            let notified = self.announced_now.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(n) = self.channels_of(ip) {
                return Some(n);
            }
            if *done.borrow_and_update() {
                return None;
            }
            tokio::select! {
                _ = notified => {}
                changed = done.changed() => {
                    if changed.is_err() {
                        return self.channels_of(ip); // discovery is gone
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return self.channels_of(ip),
            }
        }
    }
}

/// The stream a URL names, for [`RtspSettings::claim`]: Hikvision's ONVIF stream URIs add
/// `?transportmode=unicast&profile=Profile_1` to the path its RTSP port serves, and name the same
/// stream. Only a query made of nothing but those two keys is dropped; any other query (Dahua's
/// `channel=1&subtype=0`) names a different stream.
fn claim_key(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let only_noise = query.split('&').all(|pair| {
        let key = pair.split('=').next().unwrap_or("");
        key.eq_ignore_ascii_case("transportmode") || key.eq_ignore_ascii_case("profile")
    });
    if only_noise {
        base.to_string()
    } else {
        url.to_string()
    }
}

/// Longest a channel walk waits at a gap for SADP/DHIP to announce the device's channel count.
pub const MAX_ANNOUNCE_WAIT: Duration = Duration::from_secs(10);

/// Default PLAY window: enough for a keyframe and 25 frames at 15 fps and a typical 1-2 s GOP.
pub const DEFAULT_VERIFY_WINDOW: Duration = Duration::from_secs(2);

impl RtspSettings {
    /// Settings with no credentials (and a budget of its own).
    pub fn anonymous(connect_timeout: Duration, timeout: Duration) -> Self {
        RtspSettings {
            connect_timeout,
            timeout,
            detect_timeout: timeout.min(crate::detect::DEFAULT_DETECT_TIMEOUT),
            extra_paths: Vec::new(),
            credentials: Arc::new(Vec::new()),
            budget: Arc::new(AuthBudget::new(super::budget::DEFAULT_AUTH_BUDGET)),
            use_auth: true,
            show_credentials: false,
            verify: true,
            verify_window: DEFAULT_VERIFY_WINDOW,
            ffprobe: None,
            claimed: Default::default(),
            channel_counts: Default::default(),
            announcements_done: tokio::sync::watch::channel(true).1,
            announced_now: Default::default(),
            stun_ports: Vec::new(),
            sessions: Default::default(),
            hints: Default::default(),
        }
    }
}

/// What analysis found on one RTSP port.
#[derive(Debug, Clone)]
pub struct RtspFindings {
    pub service: Service,
    pub streams: Vec<Stream>,
    pub failures: Vec<Failure>,
}

/// How a server answered a DESCRIBE.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    /// 200 with an SDP carrying at least one `m=` line.
    Media(Vec<u8>),
    /// 401: credentials needed (or refused), with the scheme offered. `stale`: a Digest nonce
    /// expired, which is no verdict on the password (RFC 7616 §3.3).
    Auth { scheme: AuthScheme, stale: bool },
    /// 403: the path may exist but we may not have it.
    Forbidden,
    /// Anything else (404, 454, 400, or 200 without media).
    Missing,
}

fn classify(reply: &Reply) -> Answer {
    match reply.head.status {
        200 if !sdp::parse(&reply.body).media.is_empty() => Answer::Media(reply.body.clone()),
        401 => {
            let ch = detect::head::challenges(&reply.head);
            let stale = reply.head.headers_named("www-authenticate").any(|v| {
                v.to_ascii_lowercase()
                    .replace(' ', "")
                    .contains("stale=true")
            });
            Answer::Auth {
                scheme: detect::head::best_scheme(&ch),
                stale,
            }
        }
        403 => Answer::Forbidden,
        _ => Answer::Missing,
    }
}

/// Sends DESCRIBEs on one connection (reconnecting once when a camera hangs up between requests) and
/// answers authentication challenges when given a credential.
struct Walker {
    client: Option<RtspClient>,
    addr: SocketAddr,
    connect_timeout: Duration,
    timeout: Duration,
    /// `WWW-Authenticate` values of the latest 401, to answer with a credential.
    challenges: Vec<String>,
    /// The first redirect the server answered, as the failure to record. Redirects are not followed:
    /// a `Location` may name another host (out of scope), and a server can redirect forever.
    redirect: Option<String>,
    /// Connections opened so far, and the one the challenges came on: a Digest nonce may be bound
    /// to its connection (GStreamer's is), and answering it on another connection is a failed login
    /// on the camera's side (which counts toward its lockout).
    conn_gen: u64,
    challenge_gen: u64,
}

impl Walker {
    fn new(client: Option<RtspClient>, addr: SocketAddr, settings: &RtspSettings) -> Self {
        Walker {
            client,
            addr,
            connect_timeout: settings.connect_timeout,
            timeout: settings.timeout,
            challenges: Vec::new(),
            redirect: None,
            conn_gen: 1,
            challenge_gen: 1,
        }
    }
}

/// Several walkers on one port, so that paths are asked side by side: a server that prepares a
/// stream before answering its DESCRIBE (GStreamer with a look-ahead encoder: 1.5 s and more) costs
/// that once for two paths, and a slow link costs its round trip once per pair of paths.
struct Walkers {
    list: Vec<Walker>,
    /// Found streams' connections still to be left holding them (see [`Job::Media`]).
    holds: AtomicUsize,
}

/// One path's answer and, for a stream, the connection left holding it.
type PathAnswer = (Result<Answer, NetError>, Option<Box<RtspClient>>);

impl Walkers {
    /// `width` walkers (the first on the detection connection), holding at most `width` streams.
    fn new(client: RtspClient, settings: &RtspSettings, width: usize) -> Self {
        let addr = client.addr();
        let mut list = vec![Walker::new(Some(client), addr, settings)];
        list.extend((1..width.max(1)).map(|_| Walker::new(None, addr, settings)));
        Walkers {
            list,
            holds: AtomicUsize::new(width),
        }
    }

    fn first(&mut self) -> &mut Walker {
        &mut self.list[0]
    }

    /// DESCRIBE `paths`, one per walker at a time, in the list's order. Once one fails, no more
    /// paths are handed out: an entry is `None` for a path not asked. A walker that finds a stream
    /// leaves its connection holding it while holds remain, and goes on on a fresh one.
    async fn describe_all(
        &mut self,
        paths: &[String],
        cred: Option<&Credential>,
    ) -> Vec<Option<PathAnswer>> {
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let results: std::sync::Mutex<Vec<Option<PathAnswer>>> =
            std::sync::Mutex::new((0..paths.len()).map(|_| None).collect());
        let holds = &self.holds;
        let workers = self.list.iter_mut().take(paths.len().max(1)).map(|w| {
            let (next, stop, results) = (&next, &stop, &results);
            async move {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    let answer = w.describe(path, cred).await;
                    let take = matches!(answer, Ok(Answer::Media(_)))
                        && holds
                            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                                n.checked_sub(1)
                            })
                            .is_ok();
                    let holder = if take {
                        w.client.take().map(Box::new)
                    } else {
                        None
                    };
                    if answer.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some((answer, holder));
                }
            }
        });
        futures::future::join_all(workers).await;
        results.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// The first redirect any walker met.
    fn take_redirect(&mut self) -> Option<String> {
        self.list.iter_mut().find_map(|w| w.redirect.take())
    }

    /// Close every connection (no idle connection held on the camera while we wait).
    fn disconnect(&mut self) {
        for w in &mut self.list {
            w.client = None;
        }
    }
}

/// The failure recorded for a redirect answer (RTSP 3xx, RFC 2326 §11.3.3), or `None` for others.
fn redirect_note(target: &str, reply: &Reply) -> Option<String> {
    if !matches!(reply.head.status, 300..=399) {
        return None;
    }
    let location: String = reply
        .head
        .header("location")
        .unwrap_or("no Location")
        .chars()
        .take(200)
        .collect();
    Some(format!(
        "RTSP DESCRIBE {target} redirected ({}) to {location}; redirects are not followed",
        reply.head.status
    ))
}

impl Walker {
    async fn describe(
        &mut self,
        path: &str,
        cred: Option<&Credential>,
    ) -> Result<Answer, NetError> {
        let target = url(self.addr, path);
        let mut retried = false;
        let mut rechallenged = false;
        let mut busy = Busy::new(self.timeout);
        loop {
            if self.client.is_none() {
                self.client =
                    Some(RtspClient::connect(self.addr, self.connect_timeout, self.timeout).await?);
                self.conn_gen += 1;
            }
            // A Digest challenge of another connection is not answered: the request goes without
            // credentials and the 401 brings this connection's challenge (no password sent, no
            // failed login). Basic needs no challenge of its own.
            let answerable = self.challenge_gen == self.conn_gen
                || scheme_of(&self.challenges) == AuthScheme::Basic;
            let authorization = cred
                .filter(|_| answerable)
                .and_then(|c| self.authorization(c, &target));
            let Some(client) = self.client.as_mut() else {
                continue;
            };
            let mut headers = vec![("Accept", "application/sdp")];
            if let Some(a) = authorization.as_deref() {
                headers.push(("Authorization", a));
            }
            let asked = std::time::Instant::now();
            let reply = client
                .request_patient("DESCRIBE", &target, &headers, start_patience(self.timeout))
                .await;
            tracing::debug!(
                url = %target,
                status = reply.as_ref().ok().map(|r| r.head.status),
                ms = asked.elapsed().as_millis() as u64,
                "DESCRIBE"
            );
            match reply {
                Ok(reply) if is_busy(reply.head.status) => {
                    // Busy (session limit, or a shared stream being torn down): not an answer
                    // about the path. Asked again after the pause, within the step's deadline.
                    tracing::debug!(url = %target, status = reply.head.status, "busy; asking again");
                    if !busy.wait(retry_after(&reply.head)).await {
                        return Err(NetError::Busy {
                            addr: self.addr,
                            what: format!("RTSP DESCRIBE {target}"),
                            status: reply.head.status,
                            attempts: busy.attempts() + 1,
                            waited: self.timeout,
                        });
                    }
                }
                Ok(reply) => {
                    if self.redirect.is_none() {
                        self.redirect = redirect_note(&target, &reply);
                    }
                    if reply.head.status == 401 {
                        self.challenges = reply
                            .head
                            .headers_named("www-authenticate")
                            .take(8)
                            .map(str::to_string)
                            .collect();
                        self.challenge_gen = self.conn_gen;
                        if cred.is_some() && authorization.is_none() && !rechallenged {
                            // The credential was not sent (no challenge of this connection to
                            // answer): answer the one just given, once.
                            rechallenged = true;
                            continue;
                        }
                    }
                    return Ok(classify(&reply));
                }
                Err(NetError::Closed { .. } | NetError::Io { .. }) if !retried => {
                    retried = true;
                    self.client = None; // some cameras close after each reply: try a fresh connection
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The `Authorization` value for `cred` against the latest challenge (Digest MD5/SHA-256 or Basic,
    /// the strongest offered), or `None` if there is no challenge to answer.
    fn authorization(&self, cred: &Credential, uri: &str) -> Option<String> {
        let mut builder = PasswordClient::builder();
        for v in &self.challenges {
            builder = builder.challenges(v);
        }
        let mut client = builder.build().ok()?;
        client
            .respond(&PasswordParams {
                username: &cred.username,
                password: &cred.password,
                uri,
                method: "DESCRIBE",
                body: Some(&[]),
            })
            .ok()
    }
}

/// How the authentication phase ended.
#[derive(Debug, Clone, PartialEq)]
enum AuthOutcome {
    /// No credentials tried (none apply, `--no-auth`, or nothing asked for them).
    NotTried,
    Succeeded(Credential, AuthScheme),
    Failed {
        tried: usize,
        budget_spent: bool,
    },
    Locked,
}

/// Try credentials on `path` until one works, the budget is spent or the device locks us out.
async fn try_credentials(
    walker: &mut Walker,
    session: &mut AuthSession,
    creds: &[&Credential],
    path: &str,
) -> Result<AuthOutcome, NetError> {
    if session.locked() {
        return Ok(AuthOutcome::Locked);
    }
    // A credential that already worked on this host (another port, another protocol) goes alone.
    let known = session.known_good().cloned();
    let list: Vec<&Credential> = match &known {
        Some(k) => vec![k],
        None => creds.to_vec(),
    };
    if walker.challenges.is_empty() {
        walker.describe(path, None).await?; // fetch a challenge to answer
    }
    let mut tried = 0;
    for cred in list {
        let proven = known.as_ref() == Some(cred);
        if !proven && !session.may_try() {
            return Ok(AuthOutcome::Failed {
                tried,
                budget_spent: true,
            });
        }
        let mut answer = walker.describe(path, Some(cred)).await?;
        if matches!(answer, Answer::Auth { stale: true, .. }) {
            answer = walker.describe(path, Some(cred)).await?; // fresh nonce, same password
        }
        tried += 1;
        match answer {
            Answer::Auth { .. } | Answer::Forbidden if proven => {
                session.mark_locked();
                return Ok(AuthOutcome::Locked);
            }
            Answer::Auth { .. } | Answer::Forbidden => session.record_failure(),
            // 200, or 404 behind the login: the credential is good (Cameradar's rule).
            Answer::Media(_) | Answer::Missing => {
                session.record_success(cred);
                let scheme = scheme_of(&walker.challenges);
                return Ok(AuthOutcome::Succeeded(cred.clone(), scheme));
            }
        }
    }
    Ok(AuthOutcome::Failed {
        tried,
        budget_spent: !session.may_try(),
    })
}

fn scheme_of(challenges: &[String]) -> AuthScheme {
    let ch: Vec<_> = challenges
        .iter()
        .flat_map(|v| crate::proto::auth::parse_challenges(v))
        .collect();
    detect::head::best_scheme(&ch)
}

/// One path's result before media analysis.
struct Found {
    path: String,
    answer: Answer,
    /// The credential that opened it.
    cred: Option<Credential>,
    /// The connection that described it, held until analysis has its own session (see
    /// [`Job::Media`]).
    holder: Option<Box<RtspClient>>,
}

/// Analyse an RTSP port whose `OPTIONS` reply is `options`, reusing the detection connection.
pub async fn analyze(
    mut client: RtspClient,
    options: &Reply,
    settings: &RtspSettings,
) -> RtspFindings {
    // Detection asked under its shorter deadline; analysis requests get the full one.
    client.set_timeout(settings.timeout);
    let addr = client.addr();
    let ip = addr.ip();
    let mut service = detect::head::service(addr.port(), Protocol::Rtsp, &options.head);
    let mut failures = Vec::new();
    let fail = |message: String| Failure {
        stage: Stage::Analyze,
        port: Some(addr.port()),
        message,
    };
    let mut walkers = Walkers::new(client, settings, settings.sessions.cap());
    let vendor = paths::vendor_from_evidence(service.server.as_deref(), service.realm.as_deref());
    let candidates = paths::candidates(&settings.extra_paths, vendor);

    // 1. Baseline, then the unauthenticated walk.
    let nonce = crate::net::random_u64();
    let mut found: Vec<Found> = Vec::new();
    let mut any_path_auth = false;
    match walkers
        .first()
        .describe(&format!("/camscan-{nonce:016x}"), None)
        .await
    {
        Err(e) => failures.push(fail(e.to_string())),
        Ok(Answer::Media(_)) => {
            tracing::info!(%addr, "answers DESCRIBE of any path with a stream; reporting only /");
            match walkers.describe_all(&["/".to_string()], None).await.pop() {
                Some(Some((Ok(answer @ Answer::Media(_)), holder))) => found.push(Found {
                    path: "/".into(),
                    answer,
                    cred: None,
                    holder,
                }),
                Some(Some((Err(e), _))) => failures.push(fail(e.to_string())),
                _ => {}
            }
        }
        Ok(Answer::Auth { scheme, .. }) => {
            tracing::info!(%addr, "asks for credentials on any path; paths are tested after logging in");
            service.auth = scheme;
            any_path_auth = true;
        }
        Ok(Answer::Forbidden | Answer::Missing) => {
            let paths: Vec<String> = std::iter::once("/".to_string())
                .chain(candidates.iter().cloned())
                .collect();
            let answers = walkers.describe_all(&paths, None).await;
            for (path, answer) in paths.into_iter().zip(answers) {
                match answer {
                    None => break,
                    Some((Ok(Answer::Missing), _)) => {}
                    Some((Ok(answer), holder)) => found.push(Found {
                        path,
                        answer,
                        cred: None,
                        holder,
                    }),
                    Some((Err(e), _)) => {
                        failures.push(fail(e.to_string()));
                        break; // a server that stops answering will not answer the next path either
                    }
                }
            }
        }
    }

    // 2. Authentication, within the host's budget, and the re-test of paths behind the login.
    let needs_auth = any_path_auth || found.iter().any(|f| !matches!(f.answer, Answer::Media(_)));
    let creds: Vec<&Credential> = settings
        .credentials
        .iter()
        .filter(|c| c.applies_to(ip))
        .collect();
    let mut outcome = AuthOutcome::NotTried;
    if needs_auth && settings.use_auth && !creds.is_empty() {
        let mut session = settings.budget.session(ip).await;
        let probe = found
            .iter()
            .find(|f| !matches!(f.answer, Answer::Media(_)))
            .map(|f| f.path.clone())
            .unwrap_or_else(|| candidates[0].clone());
        match try_credentials(walkers.first(), &mut session, &creds, &probe).await {
            Err(e) => failures.push(fail(e.to_string())),
            Ok(o) => outcome = o,
        }
        if let AuthOutcome::Succeeded(cred, scheme) = outcome.clone() {
            service.auth = scheme;
            let retest: Vec<String> = if any_path_auth {
                std::iter::once("/".to_string())
                    .chain(candidates.iter().cloned())
                    .collect()
            } else {
                found
                    .iter()
                    .filter(|f| !matches!(f.answer, Answer::Media(_)))
                    .map(|f| f.path.clone())
                    .collect()
            };
            found.retain(|f| matches!(f.answer, Answer::Media(_)));
            let answers = walkers.describe_all(&retest, Some(&cred)).await;
            for (path, answer) in retest.into_iter().zip(answers) {
                match answer {
                    None => break,
                    Some((Ok(answer @ Answer::Media(_)), holder)) => found.push(Found {
                        path,
                        answer,
                        cred: Some(cred.clone()),
                        holder,
                    }),
                    Some((Ok(Answer::Auth { .. } | Answer::Forbidden), _)) => {
                        // The credential that just worked is refused: treat it as a lockout.
                        session.mark_locked();
                        outcome = AuthOutcome::Locked;
                        found.push(Found {
                            path,
                            answer: Answer::Forbidden,
                            cred: None,
                            holder: None,
                        });
                        break;
                    }
                    Some((Ok(_), _)) => {}
                    Some((Err(e), _)) => {
                        failures.push(fail(e.to_string()));
                        break;
                    }
                }
            }
        }
        match &outcome {
            AuthOutcome::Failed {
                tried,
                budget_spent,
            } => failures.push(fail(format!(
                "RTSP login refused for {tried} credential(s){}",
                if *budget_spent {
                    "; failed-login budget for this host spent"
                } else {
                    ""
                }
            ))),
            AuthOutcome::Locked => failures.push(fail(
                "device refused a credential that had worked (lockout?); no more logins sent"
                    .into(),
            )),
            _ => {}
        }
    }

    // 3. Channels of multi-channel devices. A walk that meets a gap while SADP/DHIP may still
    // announce the device's channel count goes on in step 4, beside the streams found so far.
    let cred = match &outcome {
        AuthOutcome::Succeeded(c, _) => Some(c.clone()),
        _ => None,
    };
    let mut resume = Vec::new();
    if !matches!(outcome, AuthOutcome::Locked) {
        resume = walk_channels(
            &mut walkers,
            &mut found,
            cred.as_ref(),
            &mut failures,
            addr,
            settings.channels_of(ip),
        )
        .await;
    }

    // 4. Media facts and the report. Streams are described and PLAY-checked side by side, within
    // the device's session cap (`--sessions-per-device`, shared with every other port and path of
    // the device): one slow stream does not hold up the others, and a camera that allows few
    // sessions never sees more than the cap from us.
    let first = analyse_found(found, addr, &service, &outcome, settings);
    let rest = async {
        let mut more = Vec::new();
        let mut notes = Vec::new();
        if !resume.is_empty() {
            walkers.disconnect(); // no idle connection held on the camera while we wait
            if let Some(n) = settings.channels_announced(ip).await {
                walk_resumed(
                    &mut walkers,
                    &mut more,
                    cred.as_ref(),
                    &mut notes,
                    addr,
                    resume,
                    n,
                )
                .await;
            }
        }
        notes.extend(walkers.take_redirect().map(fail));
        drop(walkers);
        let analysed = analyse_found(more, addr, &service, &outcome, settings).await;
        (analysed, notes)
    };
    let (mut analysed, (more, notes)) = tokio::join!(first, rest);
    analysed.extend(more);
    failures.extend(notes);
    let mut streams = Vec::new();
    for (stream, notes) in analysed {
        failures.extend(notes.into_iter().map(fail));
        streams.push(stream);
    }

    if streams
        .iter()
        .any(|s| s.status == StreamStatus::Ok && s.username.is_none())
    {
        service.auth = AuthScheme::None;
    } else if let Some(s) = streams.iter().find(|s| s.auth != AuthScheme::None) {
        service.auth = s.auth;
    }
    RtspFindings {
        service,
        streams,
        failures,
    }
}

/// Describe and PLAY-check the streams `found` names (those not yet taken by another path of
/// this scan), as many at a time as the device's session cap allows. A stream whose description
/// is the same as an earlier one's of this port (an alias: a server that ignores the sub-stream
/// selector or serves one stream under two names) is reported with `same_as` and the facts and
/// PLAY check of the first, not opened again.
async fn analyse_found(
    found: Vec<Found>,
    addr: SocketAddr,
    service: &crate::model::Service,
    outcome: &AuthOutcome,
    settings: &RtspSettings,
) -> Vec<(Stream, Vec<String>)> {
    let mut jobs = Vec::new();
    // (description, path, job index) of each stream to open, to find aliases.
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    for f in found {
        let plain_url = url(addr, &f.path);
        let shown_url = match (&f.cred, settings.show_credentials) {
            (Some(c), true) => url_with_credentials(&plain_url, c),
            _ => plain_url.clone(),
        };
        let mut stream = Stream::new(shown_url, Protocol::Rtsp, addr.port());
        stream.username = f.cred.as_ref().map(|c| c.username.clone());
        match f.answer {
            Answer::Media(_) if !settings.claim(&plain_url) => {
                tracing::debug!(url = %plain_url, "already analysed through another path");
                continue;
            }
            Answer::Media(body) => {
                if f.cred.is_some() {
                    stream.auth = service.auth;
                }
                let key = description_key(&body);
                let original = key.as_ref().and_then(|k| {
                    seen.iter()
                        .find(|(sk, path, _)| sk == k && !paths::different_channels(path, &f.path))
                });
                if let Some((_, _, of)) = original {
                    tracing::info!(url = %plain_url, "same description as an earlier stream: an alias");
                    jobs.push(Job::Alias { stream, of: *of });
                    continue;
                }
                if let Some(k) = key {
                    seen.push((k, f.path.clone(), jobs.len()));
                }
                jobs.push(Job::Media {
                    stream,
                    plain_url,
                    body,
                    cred: f.cred,
                    holder: f.holder,
                });
            }
            Answer::Auth { scheme, .. } => {
                stream.auth = scheme;
                stream.status = auth_status(outcome);
                jobs.push(Job::Done(stream));
            }
            Answer::Forbidden => {
                stream.auth = if service.auth == AuthScheme::None {
                    AuthScheme::Unknown
                } else {
                    service.auth
                };
                stream.status = auth_status(outcome);
                jobs.push(Job::Done(stream));
            }
            Answer::Missing => continue,
        }
    }
    use futures::StreamExt;
    let aliases: Vec<(usize, usize)> = jobs
        .iter()
        .enumerate()
        .filter_map(|(i, j)| match j {
            Job::Alias { of, .. } => Some((i, *of)),
            _ => None,
        })
        .collect();
    let mut done: Vec<(Stream, Vec<String>)> = futures::stream::iter(jobs)
        .map(|job| async move {
            match job {
                Job::Done(stream) | Job::Alias { stream, .. } => (stream, Vec::new()),
                Job::Media {
                    mut stream,
                    plain_url,
                    body,
                    cred,
                    holder,
                } => {
                    let notes = media_and_checks(
                        &mut stream,
                        addr,
                        &plain_url,
                        &body,
                        cred.as_ref(),
                        settings,
                        holder,
                    )
                    .await;
                    (stream, notes)
                }
            }
        })
        .buffered(settings.sessions.cap())
        .collect()
        .await;
    for (i, of) in aliases {
        let original = done[of].0.clone();
        let alias = &mut done[i].0;
        alias.same_as = Some(original.url.clone());
        alias.status = original.status;
        alias.verified = original.verified;
        alias.video = original.video;
        alias.audio = original.audio;
        alias.measured = original.measured;
    }
    done
}

/// What makes two descriptions the same stream: per media, its kind, encoding, clock, the
/// parameter sets or decoder config it declares, its size and rate. `None` when the video carries
/// no parameter sets (two such streams cannot be told apart from their descriptions).
fn description_key(body: &[u8]) -> Option<String> {
    let sd = sdp::parse(body);
    let mut key = String::new();
    let mut has_parameters = false;
    for m in &sd.media {
        let params: Vec<&str> = [
            "sprop-parameter-sets",
            "sprop-vps",
            "sprop-sps",
            "sprop-pps",
            "config",
        ]
        .iter()
        .filter_map(|p| m.fmtp_param(p))
        .collect();
        if m.kind == "video" && !params.is_empty() {
            has_parameters = true;
        }
        key.push_str(&format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{};",
            m.kind,
            m.encoding_name(),
            m.clock_rate,
            m.channels,
            m.dimensions,
            m.framerate,
            params.join(",")
        ));
    }
    has_parameters.then_some(key)
}

/// Fold a PLAY check's measurement into the stream: a measured frame rate that differs from the
/// declared one by more than 5% replaces it (and says so in `fps_source`).
fn fold_measured(stream: &mut Stream, url: &str, m: crate::model::Measured) {
    stream.verified = true;
    if let (Some(v), Some(measured)) = (stream.video.as_mut(), m.fps) {
        let agrees = v.fps.is_some_and(|d| (d - measured).abs() <= d * 0.05);
        if !agrees {
            if let Some(declared) = v.fps {
                tracing::info!(
                    url,
                    declared,
                    measured,
                    "stream frame rate differs from what it declares"
                );
            }
            v.fps = Some(measured);
            v.fps_source = Some("rtp".into());
        }
    }
    if let (Some(v), Some(w), Some(h)) = (stream.video.as_mut(), m.width, m.height)
        && v.width.is_none()
    {
        v.width = Some(w);
        v.height = Some(h);
    }
    stream.measured = Some(m);
}

fn auth_status(outcome: &AuthOutcome) -> StreamStatus {
    match outcome {
        AuthOutcome::NotTried => StreamStatus::AuthRequired,
        AuthOutcome::Locked => StreamStatus::AuthLocked,
        AuthOutcome::Failed { .. } | AuthOutcome::Succeeded(..) => StreamStatus::AuthFailed,
    }
}

/// A stream on its way into the report.
enum Job {
    /// Nothing more to learn (auth required, forbidden).
    Done(Stream),
    /// The same stream as job `of`: takes its facts once they are known.
    Alias { stream: Stream, of: usize },
    /// DESCRIBE answered: media facts, PLAY check, ffprobe to do.
    Media {
        stream: Stream,
        plain_url: String,
        body: Vec<u8>,
        cred: Option<Credential>,
        /// The connection whose DESCRIBE found the stream, kept open until our session has
        /// described it: a server with shared media (GStreamer) then need not prepare it again
        /// (a look-ahead encoder takes 1.5 s and more) nor tear it down in between (503).
        holder: Option<Box<RtspClient>>,
    },
}

/// Media facts from the SDP and a retina session, the PLAY check on that same session, and
/// optional ffprobe enrichment of one described stream, within the device's session cap; returns
/// the failures to record.
async fn media_and_checks(
    stream: &mut Stream,
    addr: SocketAddr,
    plain_url: &str,
    body: &[u8],
    cred: Option<&Credential>,
    settings: &RtspSettings,
    holder: Option<Box<RtspClient>>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let ip = addr.ip();
    let (mut video, mut audio, sd) = facts_of_sdp(body, plain_url);
    let slot = crate::timing::phase("slot", settings.sessions.acquire(ip)).await;
    let check = Check {
        url: plain_url,
        cred,
        timeout: settings.timeout,
        window: settings.verify_window,
        play: settings.verify,
        group: Some(slot.group()),
    };
    let mut described = false;
    let mut holder = holder;
    let mut on_described = |session: &Session<retina::client::Described>| {
        holder.take(); // our session holds the media now
        described = true;
        retina_facts(session, &mut video, &mut audio);
    };
    let phase = if settings.verify { "play" } else { "facts" };
    let result = crate::timing::phase(phase, verify::session(&check, &mut on_described)).await;
    drop(holder);
    slot.release().await;
    stream.video = video;
    stream.audio = audio;
    // retina refused the answer (its strict SDP parser, most often): every repair our reader made
    // is reported, and the facts are what `sdp_facts` decoded from the SDP.
    let rejected = matches!(&result, Err(f) if !described && !f.timed_out);
    stream.notes = sdp_facts::repair_notes(&sd, rejected);
    match result {
        Ok(Some(m)) => fold_measured(stream, plain_url, m),
        Ok(None) => {}
        Err(f) if !described => notes.push(format!("{}; facts from SDP only", f.message)),
        Err(f) => notes.push(f.message),
    }
    if let Some(ffprobe) = &settings.ffprobe
        && (stream.verified || stream.video.is_none())
    {
        let slot = crate::timing::phase("slot", settings.sessions.acquire(ip)).await;
        let probe = super::ffprobe::probe(ffprobe, plain_url, cred, settings.timeout);
        let probed = crate::timing::phase("ffprobe", probe).await;
        slot.release().await;
        match probed {
            Ok(p) => {
                super::ffprobe::enrich(stream, &p);
            }
            Err(message) => notes.push(message),
        }
    }
    notes
}

/// Walk the channels of every channel scheme the found paths use. An announced count bounds the
/// walk and lets it step over gaps; otherwise the first missing channel ends it, and the channel
/// after it is returned per scheme, to go on from if a count is announced later
/// ([`walk_resumed`]). An error ends the whole walk.
async fn walk_channels(
    walkers: &mut Walkers,
    found: &mut Vec<Found>,
    cred: Option<&Credential>,
    failures: &mut Vec<Failure>,
    addr: SocketAddr,
    announced: Option<u32>,
) -> Vec<(ChannelScheme, u32)> {
    let last = announced.map_or(MAX_CHANNELS, |n| n.clamp(1, MAX_CHANNELS));
    let mut schemes: Vec<ChannelScheme> = found
        .iter()
        .filter(|f| matches!(f.answer, Answer::Media(_)))
        .filter_map(|f| ChannelScheme::of(&f.path))
        .collect();
    schemes.dedup();
    let mut resume = Vec::new();
    for scheme in schemes {
        // A channel no device has: if it "exists", the server ignores the channel number.
        let impossible = scheme.paths(MAX_CHANNELS + 33)[0].clone();
        match walkers.first().describe(&impossible, cred).await {
            Ok(Answer::Missing) => {}
            Ok(_) => {
                tracing::info!(%addr, "channel numbers are not checked by the server; not walking channels");
                continue;
            }
            Err(e) => {
                failures.push(Failure {
                    stage: Stage::Analyze,
                    port: Some(addr.port()),
                    message: e.to_string(),
                });
                continue;
            }
        }
        let stop_at_gap = announced.is_none();
        match walk_scheme(
            walkers,
            found,
            cred,
            failures,
            addr,
            &scheme,
            2,
            last,
            stop_at_gap,
        )
        .await
        {
            WalkEnd::Done => {}
            WalkEnd::Gap(ch) => resume.push((scheme, ch + 1)),
            WalkEnd::Failed => return resume,
        }
    }
    resume
}

/// Go on with walks [`walk_channels`] stopped at a gap, now that the device announced
/// `announced` channels.
async fn walk_resumed(
    walkers: &mut Walkers,
    found: &mut Vec<Found>,
    cred: Option<&Credential>,
    failures: &mut Vec<Failure>,
    addr: SocketAddr,
    resume: Vec<(ChannelScheme, u32)>,
    announced: u32,
) {
    let last = announced.clamp(1, MAX_CHANNELS);
    for (scheme, from) in resume {
        if let WalkEnd::Failed = walk_scheme(
            walkers, found, cred, failures, addr, &scheme, from, last, false,
        )
        .await
        {
            return;
        }
    }
}

/// How one scheme's walk ended.
enum WalkEnd {
    Done,
    /// This channel was missing and the walk stopped there.
    Gap(u32),
    Failed,
}

/// DESCRIBE channels `from..=last` of one scheme; a missing channel ends the walk when
/// `stop_at_gap`.
#[allow(clippy::too_many_arguments)]
async fn walk_scheme(
    walkers: &mut Walkers,
    found: &mut Vec<Found>,
    cred: Option<&Credential>,
    failures: &mut Vec<Failure>,
    addr: SocketAddr,
    scheme: &ChannelScheme,
    from: u32,
    last: u32,
    stop_at_gap: bool,
) -> WalkEnd {
    for ch in from..=last {
        let paths = scheme.paths(ch);
        let mut any = paths.iter().any(|p| found.iter().any(|f| &f.path == p));
        let ask: Vec<String> = paths
            .into_iter()
            .filter(|p| !found.iter().any(|f| &f.path == p))
            .collect();
        let answers = walkers.describe_all(&ask, cred).await;
        for (path, answer) in ask.into_iter().zip(answers) {
            match answer {
                Some((Ok(answer @ Answer::Media(_)), holder)) => {
                    any = true;
                    found.push(Found {
                        path,
                        answer,
                        cred: cred.cloned(),
                        holder,
                    });
                }
                Some((Err(e), _)) => {
                    failures.push(Failure {
                        stage: Stage::Analyze,
                        port: Some(addr.port()),
                        message: e.to_string(),
                    });
                    return WalkEnd::Failed;
                }
                _ => {}
            }
        }
        if !any && stop_at_gap {
            return WalkEnd::Gap(ch); // the device says this channel does not exist
        }
    }
    WalkEnd::Done
}

/// DESCRIBE one stream URL path on `addr` and analyse its media: the library entry point for a single
/// known URL (see `examples/describe.rs`). Failures of the media analysis are returned as messages
/// beside the stream, as a scan records them.
pub async fn describe_stream(
    addr: SocketAddr,
    path: &str,
    settings: &RtspSettings,
) -> Result<(Stream, Option<String>), NetError> {
    let mut walker = Walker::new(None, addr, settings);
    let mut answer = walker.describe(path, None).await?;
    let mut cred = None;
    if matches!(answer, Answer::Auth { .. }) && settings.use_auth {
        let creds: Vec<&Credential> = settings
            .credentials
            .iter()
            .filter(|c| c.applies_to(addr.ip()))
            .collect();
        let mut session = settings.budget.session(addr.ip()).await;
        if let AuthOutcome::Succeeded(c, _) =
            try_credentials(&mut walker, &mut session, &creds, path).await?
        {
            answer = walker.describe(path, Some(&c)).await?;
            cred = Some(c);
        }
    }
    let target = url(addr, path);
    let mut stream = Stream::new(target.clone(), Protocol::Rtsp, addr.port());
    if cred.is_some() {
        stream.auth = scheme_of(&walker.challenges);
    }
    stream.username = cred.as_ref().map(|c| c.username.clone());
    let mut note = None;
    match answer {
        Answer::Media(body) => {
            let holder = walker.client.take().map(Box::new);
            let notes = media_and_checks(
                &mut stream,
                addr,
                &target,
                &body,
                cred.as_ref(),
                settings,
                holder,
            )
            .await;
            note = (!notes.is_empty()).then(|| notes.join("; "));
        }
        Answer::Auth { scheme, .. } => {
            stream.auth = scheme;
            stream.status = if settings.credentials.is_empty() {
                StreamStatus::AuthRequired
            } else {
                StreamStatus::AuthFailed
            };
        }
        Answer::Forbidden => {
            stream.auth = AuthScheme::Unknown;
            stream.status = StreamStatus::AuthRequired;
        }
        Answer::Missing => {
            stream.status = StreamStatus::NotFound;
            note = walker.redirect.take();
        }
    }
    Ok((stream, note))
}

/// Media facts our SDP reading gives (parameter sets included: `proto::sdp_facts`): the base, and
/// all there is when retina rejects the SDP; with the description, for its repairs.
fn facts_of_sdp(
    sdp_body: &[u8],
    stream_url: &str,
) -> (
    Option<VideoInfo>,
    Option<AudioInfo>,
    sdp::SessionDescription,
) {
    let sd = sdp::parse_for(sdp_body, stream_url);
    let video = sd
        .media
        .iter()
        .find(|m| m.kind == "video")
        .map(video_from_sdp);
    let audio = sd
        .media
        .iter()
        .find(|m| m.kind == "audio")
        .map(audio_from_sdp);
    (video, audio, sd)
}

/// retina's decoded parameters (SPS/VPS: dimensions, frame rate, RFC 6381 profile) on top of the
/// SDP's facts.
fn retina_facts(
    session: &Session<retina::client::Described>,
    video: &mut Option<VideoInfo>,
    audio: &mut Option<AudioInfo>,
) {
    if let Some(st) = session.streams().iter().find(|s| s.media() == "video") {
        let v = video.get_or_insert_with(|| VideoInfo::new(video_codec(st.encoding_name())));
        if let Some(ParametersRef::Video(p)) = st.parameters() {
            let (w, h) = p.pixel_dimensions();
            if w > 0 && h > 0 {
                v.width = Some(w);
                v.height = Some(h);
            }
            if let Some((num, den)) = p.frame_rate().filter(|(n, d)| *n > 0 && *d > 0) {
                v.fps = Some(round_fps(f64::from(den) / f64::from(num)));
                v.fps_source = Some("sps".into());
            }
            let codec = p.rfc6381_codec();
            let (profile, level) = h26x::from_rfc6381(codec);
            if profile.is_some() {
                v.profile = profile;
            }
            if level.is_some() {
                v.level = level;
            }
            v.rfc6381 = Some(codec.to_string());
        }
        if v.fps.is_none() {
            v.fps = st.framerate().map(|f| round_fps(f64::from(f)));
            v.fps_source = v.fps.map(|_| "sdp".into());
        }
    }
    if let Some(st) = session.streams().iter().find(|s| s.media() == "audio") {
        let a = audio.get_or_insert_with(|| AudioInfo {
            codec: audio_codec(st.encoding_name()),
            sample_rate: None,
            channels: None,
        });
        if let Some(ParametersRef::Audio(p)) = st.parameters() {
            a.sample_rate = Some(p.clock_rate());
            a.channels = Some(p.channels().get());
        } else {
            a.sample_rate = a.sample_rate.or(Some(st.clock_rate_hz()));
            a.channels = a.channels.or(st.channels().map(|c| c.get()));
        }
    }
}

/// Frame rates to 3 decimals (29.97), so `(1001, 30000)` does not print as 29.970029970029973.
fn round_fps(f: f64) -> f64 {
    (f * 1000.0).round() / 1000.0
}

/// Our codec names from SDP encoding names (`proto::sdp_facts`, shared with the SDP reader).
pub fn video_codec(encoding: &str) -> String {
    sdp_facts::video_codec(encoding)
}

pub fn audio_codec(encoding: &str) -> String {
    sdp_facts::audio_codec(encoding)
}

/// Video facts of one SDP media section, parameter sets included: the same reading on the main
/// path (under retina's) and the fallback (`proto::sdp_facts::video`).
pub(crate) fn video_from_sdp(m: &sdp::MediaDescription) -> VideoInfo {
    sdp_facts::video(m)
}

/// Audio facts of one SDP media section (`proto::sdp_facts::audio`).
pub(crate) fn audio_from_sdp(m: &sdp::MediaDescription) -> AudioInfo {
    sdp_facts::audio(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A channel walk at a gap waits for SADP/DHIP: it goes on the moment its host's count is
    /// announced, or when discovery says it is done, whichever comes first.
    #[tokio::test(start_paused = true)]
    async fn a_walk_waits_for_announcements_only_as_long_as_needed() {
        let (done_tx, done_rx) = tokio::sync::watch::channel(false);
        let mut s = RtspSettings::anonymous(Duration::from_secs(1), Duration::from_secs(3));
        s.announcements_done = done_rx;
        let s = Arc::new(s);
        let ip: std::net::IpAddr = "198.18.0.11".parse().unwrap();
        let other: std::net::IpAddr = "198.18.0.12".parse().unwrap();
        let t0 = tokio::time::Instant::now();
        let announcer = {
            let s = s.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(40)).await;
                s.announce_channels(other, 8); // someone else's count: keeps waiting
                tokio::time::sleep(Duration::from_millis(10)).await;
                s.announce_channels(ip, 4);
                tokio::time::sleep(Duration::from_millis(450)).await;
                done_tx.send(true).unwrap();
            })
        };
        assert_eq!(s.channels_announced(ip).await, Some(4));
        assert_eq!(t0.elapsed(), Duration::from_millis(50));
        assert_eq!(s.channels_announced(ip).await, Some(4), "known: no wait");
        assert_eq!(t0.elapsed(), Duration::from_millis(50));
        let silent: std::net::IpAddr = "198.18.0.13".parse().unwrap();
        assert_eq!(s.channels_announced(silent).await, None);
        assert_eq!(
            t0.elapsed(),
            Duration::from_millis(500),
            "released when discovery is done"
        );
        announcer.await.unwrap();
        // Without discovery (a library caller), nothing waits.
        let lone = RtspSettings::anonymous(Duration::from_secs(1), Duration::from_secs(3));
        let t1 = tokio::time::Instant::now();
        assert_eq!(lone.channels_announced(silent).await, None);
        assert_eq!(t1.elapsed(), Duration::ZERO);
    }

    /// An RTSP server that answers every request with a redirect to a new path on itself (a hostile
    /// peer, tests/hostile.rs): nothing is followed, the walk ends, and the redirect is recorded.
    #[tokio::test]
    async fn redirects_are_recorded_and_not_followed() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.93:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let followed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = followed.clone();
        let n = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let (seen, n) = (seen.clone(), n.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while let Ok(k) = s.read(&mut chunk).await {
                        if k == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..k]);
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let req = String::from_utf8_lossy(&buf[..end]).into_owned();
                            buf.drain(..end + 4);
                            if req.contains("/moved/") {
                                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            }
                            let cseq = req
                                .lines()
                                .find_map(|l| l.strip_prefix("CSeq: "))
                                .unwrap_or("0")
                                .to_string();
                            let n = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                            let reply = format!(
                                "RTSP/1.0 302 Moved Temporarily\r\nCSeq: {cseq}\r\nLocation: rtsp://{addr}/moved/{n}\r\n\r\n"
                            );
                            let _ = s.write_all(reply.as_bytes()).await;
                        }
                    }
                });
            }
        });
        let (ct, t) = (Duration::from_secs(1), Duration::from_secs(2));
        let mut client = RtspClient::connect(addr, ct, t).await.unwrap();
        let options = client
            .request("OPTIONS", &url(addr, "/"), &[])
            .await
            .unwrap();
        let mut settings = RtspSettings::anonymous(ct, t);
        settings.verify = false;
        let f = analyze(client, &options, &settings).await;
        assert!(f.streams.is_empty());
        assert_eq!(f.failures.len(), 1, "{:?}", f.failures);
        let m = &f.failures[0].message;
        assert!(m.contains("redirected (302) to rtsp://"), "{m}");
        assert!(m.contains("redirects are not followed"), "{m}");
        assert_eq!(followed.load(std::sync::atomic::Ordering::SeqCst), 0);
        // A single URL (the ONVIF path) says the same beside its not-found stream.
        let (stream, note) = describe_stream(addr, "/live", &settings).await.unwrap();
        assert_eq!(stream.status, StreamStatus::NotFound);
        assert!(note.unwrap().contains("redirected (302)"));
    }

    #[test]
    fn claim_keys_join_hikvision_onvif_uris_only() {
        let plain = "rtsp://10.0.0.2:554/Streaming/Channels/101";
        assert_eq!(
            claim_key(&format!("{plain}?transportmode=unicast&profile=Profile_1")),
            plain
        );
        assert_eq!(claim_key(plain), plain);
        let dahua = "rtsp://10.0.0.3:554/cam/realmonitor?channel=1&subtype=0";
        assert_eq!(claim_key(dahua), dahua);
        let mixed = "rtsp://10.0.0.3:554/a?transportmode=unicast&channel=2";
        assert_eq!(claim_key(mixed), mixed);
        let s = RtspSettings::anonymous(Duration::from_secs(1), Duration::from_secs(1));
        assert!(s.claim(plain));
        assert!(!s.claim(&format!("{plain}?transportmode=unicast")));
    }

    #[test]
    fn a_stream_is_claimed_once_per_scan() {
        let a = RtspSettings::anonymous(Duration::from_secs(1), Duration::from_secs(1));
        let b = a.clone(); // the ONVIF path holds a clone of the same settings
        assert!(a.claim("rtsp://10.0.0.2:554/x"));
        assert!(!b.claim("rtsp://10.0.0.2:554/x"));
        assert!(b.claim("rtsp://10.0.0.2:554/y"));
    }

    #[test]
    fn codec_names() {
        assert_eq!(video_codec("H264"), "h264");
        assert_eq!(video_codec("JPEG"), "mjpeg");
        assert_eq!(video_codec("MP4V-ES"), "mpeg4");
        assert_eq!(audio_codec("MPEG4-GENERIC"), "aac");
        assert_eq!(audio_codec("G726-32"), "g726");
        assert_eq!(audio_codec("PCMU"), "pcmu");
        assert_eq!(audio_codec("opus"), "opus");
    }

    #[test]
    fn facts_from_a_hikvision_style_sdp() {
        let body = b"v=0\r\ns=Media Presentation\r\nm=video 0 RTP/AVP 96\r\nb=AS:4096\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=640029;packetization-mode=1\r\na=x-dimensions:1920,1080\r\nm=audio 0 RTP/AVP 8\r\n";
        let sd = sdp::parse(body);
        let v = video_from_sdp(&sd.media[0]);
        assert_eq!(
            (v.width, v.height, v.bitrate_kbps),
            (Some(1920), Some(1080), Some(4096))
        );
        assert_eq!(v.profile.as_deref(), Some("high"));
        let a = audio_from_sdp(&sd.media[1]);
        assert_eq!(
            (a.codec.as_str(), a.sample_rate, a.channels),
            ("pcma", Some(8000), Some(1))
        );
    }
}
