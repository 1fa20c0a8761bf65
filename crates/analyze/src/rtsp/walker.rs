//! Sending DESCRIBEs on one connection and logging in: how an answer reads ([`Answer`]), the
//! [`Walker`] that keeps a connection's Digest challenge to that connection, the [`Walkers`] that ask
//! several paths side by side, and [`try_credentials`] within the host's budget.

use crate::budget::AuthSession;
use crate::context::ScanContext;
use credentials::Credential;
use error::NetError;
use http_auth::PasswordParams;
use model::AuthScheme;
use net::rtsp::{Busy, Reply, RtspClient, is_busy, retry_after, start_patience, url};
use proto::sdp;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// How a server answered a DESCRIBE.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Answer {
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

pub(super) fn classify(reply: &Reply) -> Answer {
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
pub(super) struct Walker {
    pub(super) client: Option<RtspClient>,
    pub(super) addr: SocketAddr,
    pub(super) connect_timeout: Duration,
    pub(super) timeout: Duration,
    /// `WWW-Authenticate` values of the latest 401, to answer with a credential.
    pub(super) challenges: Vec<String>,
    /// The first redirect the server answered, as the failure to record. Redirects are not followed:
    /// a `Location` may name another host (out of scope), and a server can redirect forever.
    pub(super) redirect: Option<String>,
    /// Connections opened so far, and the one the challenges came on: a Digest nonce may be bound
    /// to its connection (GStreamer's is), and answering it on another connection is a failed login
    /// on the camera's side (which counts toward its lockout).
    pub(super) conn_gen: u64,
    pub(super) challenge_gen: u64,
    /// The latest DESCRIBE's answer came to a request that carried the credential.
    pub(super) sent_credential: bool,
    /// The `Content-Base` (else `Content-Location`) of the latest DESCRIBE's answer, which its
    /// SDP's control URLs are relative to ([`content_base`]).
    pub(super) base: Option<String>,
    /// DESCRIBE answers by status code (busy answers asked again left out), for the walk's
    /// account ([`model::PathWalk::answers`]).
    pub(super) tally: std::collections::BTreeMap<u16, u32>,
    /// DESCRIBE requests this walker sent (each one written, answered or not), for the walk's
    /// account ([`model::PathWalk::asked`]).
    pub(super) sent: u32,
    /// The paths it sent them for, each once.
    pub(super) asked: Vec<String>,
    /// The device's sessions: a busy answer ends those of ours that linger after their checks
    /// (a camera that counts them refuses our DESCRIBE while they hold its few).
    pub(super) sessions: std::sync::Arc<crate::sessions::DeviceSessions>,
}

impl Walker {
    pub(super) fn new(
        client: Option<RtspClient>,
        addr: SocketAddr,
        settings: &ScanContext,
    ) -> Self {
        Walker {
            client,
            addr,
            connect_timeout: settings.settings.get(&net::CONNECT_TIMEOUT),
            timeout: settings.settings.get(&net::TIMEOUT),
            challenges: Vec::new(),
            redirect: None,
            conn_gen: 1,
            challenge_gen: 1,
            sent_credential: false,
            base: None,
            tally: Default::default(),
            sent: 0,
            asked: Vec::new(),
            sessions: settings.sessions.clone(),
        }
    }
}

/// Several walkers on one port, so that paths are asked side by side: a server that prepares a
/// stream before answering its DESCRIBE (GStreamer with a look-ahead encoder: 1.5 s and more) costs
/// that once for two paths, and a slow link costs its round trip once per pair of paths.
pub(super) struct Walkers {
    pub(super) list: Vec<Walker>,
    /// `Some(n)`: once a path serves a stream (or asks for a login: it is there), no more paths
    /// are handed out past the first `n`
    /// of a list (a focused walk's rounds of guessed paths, after the paths the device announced
    /// or the user gave: the sub streams are asked after, from the found path's entries).
    pub(super) stop_at_media: Option<usize>,
    /// `Some((n, live))`: once the port's HTTP side serves live media (`live` marks it: VLC's
    /// HTTP output, which answers every RTSP path 404), no more paths are handed out past the
    /// first `n` of a list (a focused walk's first round: the paths the device announced or the
    /// user gave, and `/`, are asked; the guesses are not).
    pub(super) stop_when_live: Option<(usize, crate::context::LivePorts)>,
    /// Found streams' connections still to be left holding them (see [`super::Job::Media`]).
    pub(super) holds: AtomicUsize,
}

/// One path's answer and, for a stream, the connection left holding it.
pub(super) type PathAnswer = (Result<Answer, NetError>, Option<Box<Held>>);

impl Walkers {
    /// `width` walkers (the first on the detection connection), holding at most `width` streams.
    pub(super) fn new(client: RtspClient, settings: &ScanContext, width: usize) -> Self {
        let addr = client.addr();
        let mut list = vec![Walker::new(Some(client), addr, settings)];
        list.extend((1..width.max(1)).map(|_| Walker::new(None, addr, settings)));
        Walkers {
            holds: AtomicUsize::new(width),
            list,
            stop_at_media: None,
            stop_when_live: None,
        }
    }

    pub(super) fn first(&mut self) -> &mut Walker {
        &mut self.list[0]
    }

    /// Every login scheme the challenges the walkers met offered, strongest first
    /// (`digest-sha-256`, `digest-md5`, `basic`...).
    pub(super) fn login_schemes(&self) -> Vec<String> {
        proto::auth::offered_logins(
            self.list
                .iter()
                .flat_map(|w| &w.challenges)
                .map(String::as_str),
        )
    }

    /// Every scheme the challenges the walkers met offered.
    pub(super) fn offered(&self) -> Vec<AuthScheme> {
        let ch: Vec<_> = self
            .list
            .iter()
            .flat_map(|w| &w.challenges)
            .flat_map(|v| proto::auth::parse_challenges(v))
            .collect();
        detect::head::offered(&ch)
    }

    /// DESCRIBE `paths`, one per walker at a time, in the list's order. Once one fails, no more
    /// paths are handed out: an entry is `None` for a path not asked. A walker that finds a stream
    /// leaves its connection holding it while holds remain, and goes on on a fresh one.
    pub(super) async fn describe_all(
        &mut self,
        paths: &[String],
        cred: Option<&Credential>,
    ) -> Vec<Option<PathAnswer>> {
        self.describe_until(paths, cred, None).await
    }

    /// [`Walkers::describe_all`], handing out no path after `until` (those are `None`, not asked),
    /// nor after one served a stream when [`Walkers::stop_at_media`], nor once the port's HTTP
    /// side serves live media when [`Walkers::stop_when_live`].
    pub(super) async fn describe_until(
        &mut self,
        paths: &[String],
        cred: Option<&Credential>,
        until: Option<tokio::time::Instant>,
    ) -> Vec<Option<PathAnswer>> {
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let served = AtomicBool::new(false);
        let results: std::sync::Mutex<Vec<Option<PathAnswer>>> =
            std::sync::Mutex::new((0..paths.len()).map(|_| None).collect());
        let holds = &self.holds;
        let stop_at_media = self.stop_at_media;
        let stop_when_live = self.stop_when_live.as_ref();
        let workers = self.list.iter_mut().take(paths.len().max(1)).map(|w| {
            let (next, stop, results, served) = (&next, &stop, &results, &served);
            async move {
                while !stop.load(Ordering::Relaxed)
                    && until.is_none_or(|t| tokio::time::Instant::now() < t)
                {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    if served.load(Ordering::Relaxed) && stop_at_media.is_some_and(|n| i >= n) {
                        break;
                    }
                    if stop_when_live.is_some_and(|(n, live)| i >= *n && live.has(w.addr)) {
                        break;
                    }
                    let answer = w.describe(path, cred).await;
                    let take = matches!(answer, Ok(Answer::Media(_)))
                        && holds
                            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                                n.checked_sub(1)
                            })
                            .is_ok();
                    let holder = if take { w.hand_over() } else { None };
                    if answer.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    // A stream, or a path that is there behind a login.
                    if matches!(
                        answer,
                        Ok(Answer::Media(_) | Answer::Auth { .. } | Answer::Forbidden)
                    ) {
                        served.store(true, Ordering::Relaxed);
                    }
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some((answer, holder));
                }
            }
        });
        futures::future::join_all(workers).await;
        results.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// Every walker's DESCRIBE answers by status code.
    pub(super) fn tally(&self) -> std::collections::BTreeMap<u16, u32> {
        let mut all = std::collections::BTreeMap::new();
        for w in &self.list {
            for (status, n) in &w.tally {
                *all.entry(*status).or_default() += n;
            }
        }
        all
    }

    /// The paths every walker sent a DESCRIBE for so far, each once.
    pub(super) fn asked(&self) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        for p in self.list.iter().flat_map(|w| &w.asked) {
            if !all.contains(p) {
                all.push(p.clone());
            }
        }
        all
    }

    /// DESCRIBE requests every walker sent so far.
    pub(super) fn sent(&self) -> u32 {
        self.list.iter().map(|w| w.sent).sum()
    }

    /// The first redirect any walker met.
    pub(super) fn take_redirect(&mut self) -> Option<String> {
        self.list.iter_mut().find_map(|w| w.redirect.take())
    }

    /// Close every connection (no idle connection held on the camera while we wait).
    pub(super) fn disconnect(&mut self) {
        for w in &mut self.list {
            w.client = None;
        }
    }
}

/// The failure recorded for a redirect answer (RTSP 3xx, RFC 2326 §11.3.3), or `None` for others.
pub(super) fn redirect_note(target: &str, reply: &Reply) -> Option<String> {
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
    pub(super) async fn describe(
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
            // A source that starts on DESCRIBE can take the whole start patience on a busy
            // machine, and a look-ahead encoder on a loaded one twice that (GStreamer answers no
            // client while it prepares a media: the table lab's 1080p x264 took more than 12 s in
            // CI). The walk waits twice the start patience and a step before it gives up on the
            // port, on this connection: a new one would make GStreamer drop the media it is
            // preparing and start it again.
            let patience = (start_patience(self.timeout) + self.timeout) * 2;
            self.sent += 1;
            if !self.asked.iter().any(|p| p == path) {
                self.asked.push(path.to_string());
            }
            let reply = client
                .request_patient("DESCRIBE", &target, &headers, patience)
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
                    self.sessions.hurry(self.addr.ip());
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
                    self.sent_credential = authorization.is_some();
                    self.base = content_base(&reply);
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
                    *self.tally.entry(reply.head.status).or_default() += 1;
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
    pub(super) fn authorization(&self, cred: &Credential, uri: &str) -> Option<String> {
        authorize(&self.challenges, cred, "DESCRIBE", uri)
    }

    /// The connection, left holding what its last DESCRIBE found, with the challenge it got, or
    /// the Basic challenge another connection got (Basic is bound to no connection: the DESCRIBE
    /// that found the stream answered it, so its SETUP and PLAY must too, or the server answers
    /// them 401 and the check needs a session of its own, which costs a server with shared media
    /// and a look-ahead encoder its start again).
    pub(super) fn hand_over(&mut self) -> Option<Box<Held>> {
        let client = self.client.take()?;
        let challenges = if self.challenge_gen == self.conn_gen
            || scheme_of(&self.challenges) == AuthScheme::Basic
        {
            self.challenges.clone()
        } else {
            Vec::new()
        };
        Some(Box::new(Held {
            client,
            challenges,
            base: self.base.clone(),
            played: None,
        }))
    }
}

/// The URL a 200 answer's SDP control URLs are relative to, when the answer names one:
/// `Content-Base`, else `Content-Location` (RFC 2326 §C.1.1; the request URL otherwise). A server
/// that ignores the query string may name its path without it (GStreamer's does), and answers
/// SETUP 404 on the request URL's. Only an `rtsp://` URL without spaces or control characters is
/// taken (it goes into our request lines); anything else is as if none were named.
pub(super) fn content_base(reply: &Reply) -> Option<String> {
    if reply.head.status != 200 {
        return None;
    }
    let value = reply
        .head
        .header("content-base")
        .or_else(|| reply.head.header("content-location"))?
        .trim();
    let rtsp = value.len() > 7 && value[..7].eq_ignore_ascii_case("rtsp://");
    let clean = !value.chars().any(|c| c.is_whitespace() || c.is_control());
    (rtsp && clean && value.len() <= 1024).then(|| value.to_string())
}

/// The `Authorization` value of `method` on `uri` for `cred` against `challenges` (the strongest
/// scheme offered: Digest SHA-256 before MD5 before Basic, [`net::http::strongest_client`]),
/// or `None` when there is none to answer.
pub(super) fn authorize(
    challenges: &[String],
    cred: &Credential,
    method: &str,
    uri: &str,
) -> Option<String> {
    let values: Vec<&str> = challenges.iter().map(String::as_str).collect();
    let (mut client, _) = net::http::strongest_client(&values)?;
    client
        .respond(&PasswordParams {
            username: &cred.username,
            password: &cred.password,
            uri,
            method,
            body: Some(&[]),
        })
        .ok()
}

/// The login scheme [`authorize`] answers `challenges` with (`digest-sha-256`, `basic`...).
pub(super) fn login_used(challenges: &[String]) -> Option<String> {
    let values: Vec<&str> = challenges.iter().map(String::as_str).collect();
    net::http::strongest_client(&values).map(|(_, name)| name)
}

/// The connection whose DESCRIBE found a stream, kept open so that a server with shared media
/// keeps it prepared; the PLAY check goes on it ([`super::play`]). With the connection's
/// challenge: a Digest nonce may be bound to its connection.
pub struct Held {
    pub(super) client: RtspClient,
    pub(super) challenges: Vec<String>,
    /// The description's base URL, when its answer named one ([`content_base`]).
    pub(super) base: Option<String>,
    /// Dropped once the PLAY check on this connection has its PLAY answered (or will not send
    /// one): the walk that handed the connection over waits for it before its next DESCRIBEs
    /// (`find::log_in`).
    pub(super) played: Option<tokio::sync::oneshot::Sender<()>>,
}

/// How the authentication phase ended.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum AuthOutcome {
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
pub(super) async fn try_credentials(
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
        None => creds
            .iter()
            .copied()
            .filter(|c| !session.refused(c))
            .collect(),
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
            Answer::Auth { .. } | Answer::Forbidden => session.record_refused(cred),
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

pub(super) fn scheme_of(challenges: &[String]) -> AuthScheme {
    let ch: Vec<_> = challenges
        .iter()
        .flat_map(|v| proto::auth::parse_challenges(v))
        .collect();
    detect::head::best_scheme(&ch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(head: &str) -> Reply {
        let (head, _) = proto::response::parse_head(head.as_bytes())
            .unwrap()
            .unwrap();
        Reply {
            head,
            body: Vec::new(),
        }
    }

    /// GStreamer's RTSP server with query-ignoring mount points (issue 54's camera) names the
    /// path without the query in its answer to `...realmonitor?channel=1&subtype=0`.
    #[test]
    fn the_base_url_a_description_names() {
        let r = reply(
            "RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Type: application/sdp\r\n\
             Content-Base: rtsp://10.0.0.9:554/cam/realmonitor/\r\nContent-Length: 0\r\n\r\n",
        );
        assert_eq!(
            content_base(&r).as_deref(),
            Some("rtsp://10.0.0.9:554/cam/realmonitor/")
        );
        let r = reply("RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Location: rtsp://h/x\r\n\r\n");
        assert_eq!(content_base(&r).as_deref(), Some("rtsp://h/x"));
        // Not one we put in a request line: another scheme, spaces; and not for other statuses.
        for bad in ["http://h/x", "rtsp://h/a b", "rtsp:/"] {
            let r = reply(&format!(
                "RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Base: {bad}\r\n\r\n"
            ));
            assert_eq!(content_base(&r), None, "{bad}");
        }
        let r = reply("RTSP/1.0 404 Not Found\r\nCSeq: 3\r\nContent-Base: rtsp://h/x/\r\n\r\n");
        assert_eq!(content_base(&r), None);
        assert_eq!(
            content_base(&reply("RTSP/1.0 200 OK\r\nCSeq: 3\r\n\r\n")),
            None
        );
    }
}
