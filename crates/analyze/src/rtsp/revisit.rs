//! Re-checking a device an earlier scan knew ([`crate::context::Known`]): the stream
//! paths it served are opened again, with the credential that worked then, and when every one
//! still serves media the device is taken as unchanged: no random-path baseline, no dictionary
//! walk, no login trials, no channel walk. The streams' own media sessions (for their facts and
//! PLAY check) are the re-check; our client asks only the first path, to prove the credential.
//! Anything else (a known path gone, the credential refused, a channel beyond the known ones,
//! SADP/DHIP announcing more channels than known) and the full analysis runs, as for a device
//! never seen, taking the streams already analysed. A credential refused here is a failed login
//! counted in the host's budget and is not sent again by that analysis.
//!
//! Why no baseline: it keeps a server that answers any path from yielding one stream per
//! dictionary entry, and here no dictionary is asked; every path asked was reported by a scan
//! that ran the baseline (a server answering anything was reported at `/` only).
//!
//! A known path whose description is the same as that of a stream opened before it (an alias, as
//! the first scan tells them: [`super::analyse_found`]) is not opened: its DESCRIBE is its
//! re-check, and it takes the facts and PLAY check of the stream it is an alias of. A server with
//! shared media whose paths are aliases (a Dahua-path camera that ignores the query string) thus
//! sees one PLAY, while the stream's media runs, and never starts its encoder again for an alias.
//!
//! What an unchanged verdict cannot see: a new stream path beside the known ones that is no
//! further channel of a vendor scheme (a second mount added to a media server), and a channel
//! filled into a gap below the highest known one. `--fresh` finds those.

use super::media::{description_key, finish, open_session};
use super::walker::{Answer, AuthOutcome, Walker, Walkers, scheme_of};
use super::{new_stream, take_facts_of};
use crate::budget::AuthSession;
use crate::context::ScanContext;
use crate::paths;
use crate::paths::{ChannelScheme, MAX_CHANNELS};
use credentials::Credential;
use error::AnalyzeError;
use model::{AuthScheme, Stream};
use net::rtsp::url;
use std::collections::HashMap;
use std::net::SocketAddr;

/// A stream analysed: it, and the failures to record on its device.
pub(super) type Analysed = (Stream, Vec<AnalyzeError>);

/// The stream URLs (without credentials) a re-check took ([`ScanContext::claim`]), with the
/// streams it analysed in full: after a `Changed` verdict the full analysis takes these rather
/// than opening them again, and asks the others as its own.
#[derive(Default)]
pub(super) struct Reuse(HashMap<String, Option<Analysed>>);

impl Reuse {
    /// `None`: not the re-check's; `Some(None)`: taken by it but not analysed; `Some(Some(_))`:
    /// analysed.
    pub(super) fn take(&mut self, plain_url: &str) -> Option<Option<Analysed>> {
        self.0.remove(plain_url)
    }

    /// What it holds for `plain_url` alone, taken out (for an analysis of that stream of its own).
    pub(super) fn split_off(&mut self, plain_url: &str) -> Reuse {
        Reuse(self.0.remove_entry(plain_url).into_iter().collect())
    }
}

/// What re-checking the known paths gave.
pub(super) enum Revisit {
    /// Every known path still serves media: the streams, analysed, and how the login went.
    Unchanged {
        streams: Vec<Analysed>,
        outcome: AuthOutcome,
    },
    /// Something changed: run the full analysis, taking what the re-check analysed.
    Changed(Reuse),
}

/// Ask `known` (the paths this port served last time, non-empty) again. The credential is the
/// one proven on this host in this scan, else the one that worked last time. With a credential,
/// the first path is asked with our client on the first connection with the host's login session
/// held (a credential that no longer works costs one failed login, and the answer names the
/// scheme); then the next channel is looked at ([`new_channels`]). The other paths get no
/// DESCRIBE of ours: their media sessions (which describe them for their facts and PLAY check
/// anyway) are the re-check, side by side within the device's session cap. A session that ends
/// before its stream is described gives its verdict by its status (401/403: the credential
/// refused, other 4xx: the path gone); without one (no answer, an SDP retina rejects) our client
/// asks that path.
pub(super) async fn revisit(
    walkers: &mut Walkers,
    known: &[String],
    addr: SocketAddr,
    settings: &ScanContext,
) -> Revisit {
    let mut login = match Login::start(addr.ip(), settings).await {
        Ok(l) => l,
        Err(verdict) => return verdict,
    };
    let (asked, rest) = match ask_first(walkers, known, &mut login, addr).await {
        Ok(x) => x,
        Err(verdict) => return verdict,
    };
    let Login {
        cred,
        session,
        proven,
    } = login;
    drop(session);
    let cred = cred.filter(|_| proven);
    if new_channels(walkers, known, cred.as_ref(), addr, settings).await {
        return Revisit::Changed(Reuse::default());
    }
    let scheme = scheme_of(&walkers.first().challenges);
    // The connection that described the last path asked holds its stream until its session has
    // described it (a server with shared media need not prepare it again).
    let holder = walkers.first().hand_over();
    let (jobs, reuse) = recheck_jobs(asked, rest, cred.as_ref(), holder, scheme, addr, settings);
    use futures::StreamExt;
    let opened = Opened::default();
    // Unordered, so that an alias (a DESCRIBE, no session) done early makes room for the next
    // path at once, while the stream it is an alias of still plays.
    let mut checked: Vec<(usize, Checked)> = futures::stream::iter(jobs.into_iter().enumerate())
        .map(|(i, job)| {
            let opened = &opened;
            async move { (i, recheck(job, addr, settings, opened).await) }
        })
        .buffer_unordered(settings.sessions.cap())
        .collect()
        .await;
    checked.sort_by_key(|(i, _)| *i);
    let checked = checked.into_iter().map(|(_, c)| c).collect();
    verdict(checked, reuse, cred, scheme, addr, settings).await
}

/// The login a revisit goes in with.
struct Login {
    cred: Option<Credential>,
    session: Option<AuthSession>,
    /// The credential worked on this host already (in this scan, or here): a refusal is a lockout.
    proven: bool,
}

impl Login {
    /// The credential proven on this host in this scan, else the one that worked last time
    /// (unless refused already or the budget is spent), with the host's login session held. A
    /// host locked already is a change (the full analysis reports the lockout).
    async fn start(ip: std::net::IpAddr, settings: &ScanContext) -> Result<Login, Revisit> {
        let mut login = Login {
            cred: None,
            session: None,
            proven: false,
        };
        if let Some(k) = settings.known_credential(ip) {
            let s = settings.auth.budget.session(ip).await;
            if s.locked() {
                return Err(Revisit::Changed(Reuse::default()));
            }
            login.proven = s.known_good().is_some();
            login.cred = match s.known_good() {
                Some(good) => Some(good.clone()),
                None if s.refused(k) || !s.may_try() => None,
                None => Some(k.clone()),
            };
            login.session = Some(s);
        }
        Ok(login)
    }
}

/// A path our client asked: its SDP and the credential that opened it.
type Asked = (String, Vec<u8>, Option<Credential>);

/// With a credential, ask the first known path (and, until the credential is proven, the next)
/// with our client. Returns what was asked and the paths left; a refusal, a gone path or one
/// that no longer serves media is a change.
async fn ask_first<'k>(
    walkers: &mut Walkers,
    known: &'k [String],
    login: &mut Login,
    addr: SocketAddr,
) -> Result<(Vec<Asked>, &'k [String]), Revisit> {
    let mut asked: Vec<Asked> = Vec::new();
    let mut rest = known;
    while let Some((path, tail)) = rest.split_first()
        && login.cred.is_some()
        && (!login.proven || asked.is_empty())
    {
        rest = tail;
        let cred = login.cred.as_ref();
        let w = walkers.first();
        let mut answer = w.describe(path, cred).await;
        if matches!(answer, Ok(Answer::Auth { stale: true, .. })) && w.sent_credential {
            answer = w.describe(path, cred).await; // a fresh nonce, the same password
        }
        let sent = w.sent_credential;
        match (answer, cred) {
            (Ok(Answer::Media(body)), c) => {
                if sent && let (Some(s), Some(c)) = (login.session.as_mut(), c) {
                    s.record_success(c);
                    login.proven = true;
                }
                asked.push((path.clone(), body, c.filter(|_| sent).cloned()));
            }
            (Ok(Answer::Auth { .. } | Answer::Forbidden), Some(c)) if sent => {
                tracing::info!(%addr, %path, "the credential that worked last time is refused");
                if let Some(s) = login.session.as_mut() {
                    s.record_refused(c);
                }
                return Err(Revisit::Changed(Reuse::default()));
            }
            (Ok(Answer::Missing), Some(c)) if sent => {
                // 404 behind the login: the credential is good (Cameradar's rule), the path gone.
                if let Some(s) = login.session.as_mut() {
                    s.record_success(c);
                }
                tracing::info!(%addr, %path, "a known path is gone");
                return Err(Revisit::Changed(Reuse::default()));
            }
            _ => {
                tracing::info!(%addr, %path, "a known path no longer serves media");
                return Err(Revisit::Changed(Reuse::default()));
            }
        }
    }
    Ok((asked, rest))
}

/// One media-session re-check per known path not analysed already through another: those our
/// client asked (the last with the connection that holds its stream), then the rest. The
/// re-check's claims, in [`Reuse`].
fn recheck_jobs(
    asked: Vec<Asked>,
    rest: &[String],
    cred: Option<&Credential>,
    mut holder: Option<Box<super::walker::Held>>,
    scheme: AuthScheme,
    addr: SocketAddr,
    settings: &ScanContext,
) -> (Vec<Recheck>, Reuse) {
    let mut reuse = Reuse::default();
    let mut jobs = Vec::new();
    let asked_len = asked.len();
    let asked = asked.into_iter().enumerate().map(|(i, (p, body, c))| {
        let held = if i + 1 == asked_len {
            holder.take()
        } else {
            None
        };
        (p, Some(body), c, held)
    });
    let unasked = rest.iter().map(|p| (p.clone(), None, cred.cloned(), None));
    for (path, body, cred, holder) in asked.chain(unasked) {
        let plain_url = url(addr, &path);
        if !settings.claim(&plain_url) {
            tracing::debug!(url = %plain_url, "already analysed through another path");
            continue;
        }
        reuse.0.insert(plain_url.clone(), None);
        let mut stream = new_stream(&plain_url, addr, cred.as_ref(), settings);
        if cred.is_some() {
            stream.auth = scheme;
        }
        jobs.push(Recheck {
            path,
            plain_url,
            stream,
            body,
            cred,
            holder,
        });
    }
    (jobs, reuse)
}

/// The re-checks' verdict: unchanged when every known stream served media (with how the login
/// went), else a change that hands the full analysis what was analysed. A credential refused
/// now, after it just worked, marks the host locked.
async fn verdict(
    checked: Vec<Checked>,
    mut reuse: Reuse,
    cred: Option<Credential>,
    scheme: AuthScheme,
    addr: SocketAddr,
    settings: &ScanContext,
) -> Revisit {
    let mut changed = false;
    let mut streams = Vec::new();
    for c in checked {
        match c.verdict {
            Ok((analysed, body)) => {
                streams.push((c.path, c.plain_url, analysed, body, c.alias_of));
            }
            Err(refused) => {
                if refused {
                    // The credential that just worked is refused: a lockout, as in step 2.
                    settings.auth.budget.session(addr.ip()).await.mark_locked();
                }
                changed = true;
            }
        }
    }
    if changed {
        // An alias not opened stays taken but not analysed: the full analysis makes it the alias
        // of its stream, or opens it.
        for (_, plain_url, analysed, _, alias_of) in streams {
            if alias_of.is_none() {
                reuse.0.insert(plain_url, Some(analysed));
            }
        }
        return Revisit::Changed(reuse);
    }
    let streams: Vec<_> = streams
        .into_iter()
        .map(|(path, _, analysed, body, alias_of)| (path, analysed, body, alias_of))
        .collect();
    tracing::info!(%addr, streams = streams.len(), "known paths all serve media: device unchanged");
    let outcome = match cred {
        Some(c) => AuthOutcome::Succeeded(c, scheme),
        None => AuthOutcome::NotTried,
    };
    Revisit::Unchanged {
        streams: mark_aliases(streams),
        outcome,
    }
}

/// A known stream to re-check through its media session.
struct Recheck {
    path: String,
    plain_url: String,
    stream: Stream,
    /// The SDP our DESCRIBE got (the first path asked), else `None`.
    body: Option<Vec<u8>>,
    cred: Option<Credential>,
    holder: Option<Box<super::walker::Held>>,
}

/// A re-check's verdict: the stream analysed with the SDP it was described with, or `Err(true)`
/// when the credential was refused, `Err(false)` when the path no longer serves media.
struct Checked {
    path: String,
    plain_url: String,
    verdict: Result<(Analysed, Vec<u8>), bool>,
    /// Not opened: an alias of the stream at this path (its description is that stream's).
    alias_of: Option<String>,
}

/// The streams a re-check opens, by description ([`description_key`]) and path: a known path
/// described the same as one of them on the same channel is its alias and is not opened.
#[derive(Default)]
struct Opened(std::sync::Mutex<Vec<(String, String)>>);

impl Opened {
    /// The path of the stream opened already that `path`, described by `body`, is an alias of;
    /// else `None`, and `path` is recorded as opened (the first of a description is the stream).
    fn original_or_open(&self, path: &str, body: &[u8]) -> Option<String> {
        let key = description_key(body)?;
        let mut opened = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let original = opened
            .iter()
            .find(|(k, p)| *k == key && !paths::different_channels(p, path))
            .map(|(_, p)| p.clone());
        if original.is_none() {
            opened.push((key, path.to_string()));
        }
        original
    }
}

/// Open a known stream's media session; its verdict comes from the session, or, when the session
/// ended before describing it without an RTSP status to go by, from one DESCRIBE of ours. A
/// stream whose description is that of one `opened` already is its alias: not opened, its
/// DESCRIBE is its verdict.
async fn recheck(
    job: Recheck,
    addr: SocketAddr,
    settings: &ScanContext,
    opened: &Opened,
) -> Checked {
    let Recheck {
        path,
        plain_url,
        mut stream,
        mut body,
        cred,
        mut holder,
    } = job;
    // A path our client did not ask yet is described on a connection of its own, held for the
    // check's PLAY, as the first scan found it: a session of retina's own would describe it again
    // and ask PLAY for a range, which a server with shared media takes as a seek (a look-ahead
    // encoder's start twice: 2.3 s and 2.0 s on the benchmark lab's camera nothing names).
    if body.is_none() && holder.is_none() {
        // Boxed: a walker's DESCRIBE inside every re-check's future would make it too big for a
        // worker thread's stack in a debug build.
        let (answer, sent, held) =
            Box::pin(describe_held(&path, cred.as_ref(), addr, settings)).await;
        match answer {
            Ok(Answer::Media(b)) => {
                body = Some(b);
                holder = held;
            }
            Ok(Answer::Auth { .. } | Answer::Forbidden) if sent => {
                // Refused: not sent again by a session (one failed login, not two).
                tracing::info!(url = %plain_url, "a known path refuses the credential");
                return Checked {
                    path,
                    plain_url,
                    verdict: Err(true),
                    alias_of: None,
                };
            }
            // Anything else: the session below asks, and its verdict is the re-check's.
            _ => {}
        }
    }
    if let Some(b) = body.as_deref()
        && let Some(original) = opened.original_or_open(&path, b)
    {
        tracing::info!(url = %plain_url, %original, "same description as a known stream: an alias, not opened");
        drop(holder); // the stream's own connection or session holds the media
        return Checked {
            path,
            plain_url,
            verdict: Ok(((stream, Vec::new()), body.unwrap_or_default())),
            alias_of: Some(original),
        };
    }
    let session = open_session(
        addr,
        &plain_url,
        body.as_deref(),
        cred.as_ref(),
        settings,
        holder,
    )
    .await;
    let body = match (body, &session.sdp, &session.result) {
        (Some(b), ..) => Ok(b),
        (None, Some(sdp), _) => Ok(sdp.clone()),
        (None, None, Err(f)) => match f.status {
            Some(401 | 403) => Err(cred.is_some()),
            Some(400..=499) => Err(false),
            _ => match Walker::new(None, addr, settings)
                .describe(&path, cred.as_ref())
                .await
            {
                Ok(Answer::Media(b)) => Ok(b),
                Ok(Answer::Auth { .. } | Answer::Forbidden) => Err(cred.is_some()),
                _ => Err(false),
            },
        },
        (None, None, Ok(_)) => Err(false), // a session's result comes after its description
    };
    let verdict = match body {
        Ok(body) => {
            let notes = finish(
                &mut stream,
                addr,
                &plain_url,
                &body,
                session,
                cred.as_ref(),
                settings,
            )
            .await;
            Ok(((stream, notes), body))
        }
        Err(refused) => {
            tracing::info!(url = %plain_url, refused, "a known path no longer serves media");
            Err(refused)
        }
    };
    Checked {
        path,
        plain_url,
        verdict,
        alias_of: None,
    }
}

/// DESCRIBE `path` on a connection of its own: the answer, whether the credential was sent, and
/// the connection (held) when the answer is a stream.
async fn describe_held(
    path: &str,
    cred: Option<&Credential>,
    addr: SocketAddr,
    settings: &ScanContext,
) -> (
    Result<Answer, error::NetError>,
    bool,
    Option<Box<super::walker::Held>>,
) {
    let mut w = Walker::new(None, addr, settings);
    let answer = w.describe(path, cred).await;
    let held = match answer {
        Ok(Answer::Media(_)) => w.hand_over(),
        _ => None,
    };
    (answer, w.sent_credential, held)
}

/// Streams whose descriptions are the same as an earlier one's (an alias, as [`super::analyse_found`]
/// tells them before opening them) take its facts and name it in `same_as`, as the first scan
/// reported them. `alias_of`: the path of the stream an alias not opened is the alias of (only an
/// opened stream is one); the others were opened, and one whose description an earlier opened
/// stream has (its session was under way when it was described) is that one's alias too.
fn mark_aliases(streams: Vec<(String, Analysed, Vec<u8>, Option<String>)>) -> Vec<Analysed> {
    let mut seen: Vec<(String, &str, usize)> = Vec::new();
    let mut of = Vec::new();
    for (i, (path, _, body, alias_of)) in streams.iter().enumerate() {
        if alias_of.is_some() {
            continue;
        }
        let Some(key) = description_key(body) else {
            continue;
        };
        match seen
            .iter()
            .find(|(k, p, _)| *k == key && !paths::different_channels(p, path))
        {
            Some((.., original)) => of.push((i, *original)),
            None => seen.push((key, path, i)),
        }
    }
    for (i, (_, _, _, alias_of)) in streams.iter().enumerate() {
        if let Some(original) = alias_of
            && let Some(at) = streams.iter().position(|(p, ..)| p == original)
        {
            of.push((i, at));
        }
    }
    let mut out: Vec<Analysed> = streams.into_iter().map(|(_, a, ..)| a).collect();
    for (i, original) in of {
        let original = out[original].0.clone();
        take_facts_of(&mut out[i].0, &original);
    }
    out
}

/// Does the device have more channels than the known paths name? For each vendor channel scheme
/// among them: SADP/DHIP announced more, or the main stream of the channel after the highest
/// known one answers with media (unless the server ignores channel numbers: then the full
/// analysis walks nothing either). One DESCRIBE per scheme on an unchanged device.
async fn new_channels(
    walkers: &mut Walkers,
    known: &[String],
    cred: Option<&Credential>,
    addr: SocketAddr,
    settings: &ScanContext,
) -> bool {
    let mut schemes: Vec<ChannelScheme> =
        known.iter().filter_map(|p| ChannelScheme::of(p)).collect();
    schemes.dedup();
    let announced = settings.announcements.of(addr.ip());
    for scheme in schemes {
        let top = known
            .iter()
            .filter_map(|p| {
                let ch = paths::channel_of(p)?;
                scheme.paths(ch).contains(p).then_some(ch)
            })
            .max()
            .unwrap_or(1);
        if announced.is_some_and(|n| n.min(MAX_CHANNELS) > top) {
            tracing::info!(%addr, top, ?announced, "more channels announced than known");
            return true;
        }
        if top >= MAX_CHANNELS {
            continue;
        }
        let [next, _] = scheme.paths(top + 1);
        // On a connection still open (the others hold streams): its challenge is answered at once.
        let w = match walkers.list.iter().position(|w| w.client.is_some()) {
            Some(i) => &mut walkers.list[i],
            None => walkers.first(),
        };
        if !matches!(w.describe(&next, cred).await, Ok(Answer::Media(_))) {
            continue;
        }
        // A channel no device has: if it "exists", the server ignores the channel number.
        let impossible = scheme.paths(MAX_CHANNELS + 33)[0].clone();
        if let Ok(Answer::Missing) = w.describe(&impossible, cred).await {
            tracing::info!(%addr, channel = top + 1, "a channel beyond the known ones");
            return true;
        }
    }
    false
}
