//! RTSP analysis of one port: find the stream paths, authenticate within the host's budget, walk the
//! channels of multi-channel devices, then describe each stream's media. A device an earlier scan
//! knew is re-checked first (the paths and credential that worked then, `revisit`): when nothing
//! changed, the finding steps are skipped.
//!
//! Path discovery uses the hand-written client (it sees status, scheme and realm); media facts come from
//! retina's DESCRIBE (it decodes SPS/VPS into dimensions, frame rate and RFC 6381 profile), with our
//! lenient SDP reader as the base and the fallback when retina rejects a camera's SDP.
//!
//! Pitfalls designed against (`docs/design/protocols.md`, "RTSP probing rules"): a server that
//! answers 200 to any path must not produce one fake stream per dictionary entry (Cameradar #438,
//! #369), hence the random-path baseline; a camera that answers 401 before 404 hides its paths
//! until we have credentials, hence the re-test after authenticating; a camera locks the source
//! address after a few bad logins, hence the shared [`AuthBudget`](super::budget::AuthBudget); a
//! server that ignores the channel number would make a channel walk run to the cap, hence the
//! impossible-channel check before walking.
//!
//! [`analyze`] runs four steps: `find::walk_unauthenticated`, `find::log_in`, the channel walk
//! ([`channels`]) and the media facts and PLAY check of each stream found ([`media`]); [`walker`]
//! holds the connections the DESCRIBEs go on.

use channels::{walk_channels, walk_resumed};
use find::find_paths;
use media::{description_key, media_and_checks};
use revisit::{Reuse, Revisit, revisit};
use std::net::SocketAddr;
use walker::{Answer, AuthOutcome, Walker, Walkers, scheme_of, try_credentials};

pub use super::context::{DEFAULT_VERIFY_WINDOW, ScanContext};
use super::context::{NO_AUTH, SHOW_CREDENTIALS};
use super::identity;
use super::paths::{self, ChannelScheme};
use credentials::{Credential, url_with_credentials};
use error::{AnalyzeError, NetError};
use model::{AuthScheme, Protocol, Service, Stream, StreamStatus};
use net::rtsp::{Reply, RtspClient, url};

mod account;
mod backchannel;
mod channels;
mod find;
pub mod keyframe;
mod media;
mod opening;
mod play;
mod revisit;
mod walker;

pub use media::{audio_codec, video_codec};
pub(crate) use media::{audio_from_sdp, video_from_sdp};

/// What analysis found on one RTSP port.
#[derive(Debug)]
pub struct RtspFindings {
    pub service: Service,
    pub streams: Vec<Stream>,
    pub failures: Vec<AnalyzeError>,
    /// Whether the port's main stream has an ONVIF audio backchannel ([`backchannel`]); `None`
    /// when no stream opened or the answer said nothing about it (the failure says why).
    pub talkback: Option<model::capabilities::Talkback>,
    /// The login schemes the port's challenges offered and the one camscan logged in with
    /// (service `rtsp://ip:port`); `None` when nothing asked for a login.
    pub logins: Option<model::capabilities::LoginSchemes>,
}

/// One path's result before media analysis.
struct Found {
    path: String,
    answer: Answer,
    /// The credential that opened it.
    cred: Option<Credential>,
    /// The connection that described it, held until analysis has its own session (see
    /// [`Job::Media`]).
    holder: Option<Box<walker::Held>>,
}

/// A rescan's note on an RTSP port that last served HTTP media and no RTSP stream (VLC's HTTP
/// port answers RTSP too): the walk's account, like `path_walk`, which `watch --write` does not
/// count as a change.
pub const NOT_WALKED: &str = "RTSP paths not walked: the last scan found HTTP media on this port \
                              and no RTSP stream (--fresh walks them)";

/// Analyse an RTSP port whose `OPTIONS` reply is `options`, reusing the detection connection.
pub async fn analyze(
    mut client: RtspClient,
    options: &Reply,
    settings: &ScanContext,
) -> RtspFindings {
    // Detection asked under its shorter deadline; analysis requests get the full one.
    client.set_timeout(settings.settings.get(&net::TIMEOUT));
    let addr = client.addr();
    let ip = addr.ip();
    let mut service = detect::head::service(addr.port(), Protocol::Rtsp, &options.head);
    let mut failures = Vec::new();
    // A port an earlier scan found serving HTTP media and no RTSP stream (VLC's HTTP port answers
    // RTSP too, 404 to every path, 25-65 ms each): a rescan re-checks its HTTP media and does not
    // walk the RTSP dictionary there again (`--fresh` does, or paths given with `--paths`).
    if settings.known_as_http_media_only(addr)
        && settings.rtsp_paths.is_empty()
        && !settings.stream_hints.has(addr)
    {
        service.note = Some(NOT_WALKED.into());
        return RtspFindings {
            service,
            streams: Vec::new(),
            failures,
            talkback: None,
            logins: None,
        };
    }
    let mut walkers = Walkers::new(client, settings, settings.sessions.cap());
    let Walked {
        checked,
        found,
        outcome,
        resume,
        mut reuse,
        early,
    } = walk(&mut walkers, &mut service, settings, &mut failures).await;
    if let AuthOutcome::Succeeded(_, scheme) = &outcome {
        service.auth = *scheme;
    }
    let logins = login_schemes(&walkers, &options.head, &outcome, addr);
    let cred = match &outcome {
        AuthOutcome::Succeeded(c, _) => Some(c.clone()),
        _ => None,
    };

    // 4. Media facts and the report. Streams are described and PLAY-checked side by side, within
    // the device's session cap (`--sessions-per-device`, shared with every other port and path of
    // the device): one slow stream does not hold up the others, and a camera that allows few
    // sessions never sees more than the cap from us.
    let how = Analysis {
        addr,
        auth: service.auth,
        outcome: &outcome,
        settings,
    };
    let first = analyse_found(found, &mut reuse, early, how);
    let rest = async {
        let mut more = Vec::new();
        let mut notes = Vec::new();
        if !resume.is_empty() {
            walkers.disconnect(); // no idle connection held on the camera while we wait
            if let Some(n) = settings.announcements.wait_for(ip).await {
                walk_resumed(
                    &mut walkers,
                    &mut more,
                    cred.as_ref(),
                    &mut notes,
                    resume,
                    n,
                )
                .await;
            }
        }
        notes.extend(walkers.take_redirect().map(AnalyzeError::NotFollowed));
        drop(walkers);
        let analysed = analyse_found(more, &mut Reuse::default(), Vec::new(), how).await;
        (analysed, notes)
    };
    let (mut analysed, (more, notes)) = tokio::join!(first, rest);
    analysed.splice(0..0, checked);
    analysed.extend(more);
    failures.extend(notes);
    let mut streams = Vec::new();
    for (stream, notes) in analysed {
        failures.extend(notes);
        streams.push(stream);
    }
    settle_auth(&mut service, &streams);
    // 5. Talk-back: one more DESCRIBE of the main stream, with the credential that opened it.
    let talkback = backchannel::talkback(addr, &streams, settings, &mut failures).await;
    // No more requests to this port: the sessions its checks left lingering end now.
    settings.sessions.settle(addr.ip()).await;
    RtspFindings {
        service,
        streams,
        failures,
        talkback,
        logins,
    }
}

/// What steps 0-3 leave for the media step.
struct Walked {
    /// Streams a revisit analysed whole (the walk was skipped).
    checked: Vec<revisit::Analysed>,
    /// Paths found and not yet analysed (aliases, paths behind a login).
    found: Vec<Found>,
    outcome: AuthOutcome,
    /// Channel walks waiting for the device's announcement.
    resume: Vec<(ChannelScheme, u32)>,
    reuse: Reuse,
    /// Streams analysed while the walk went on.
    early: Vec<(Option<String>, String, revisit::Analysed)>,
}

/// Steps 0-3. 0: a device an earlier scan knew is asked its paths first ([`revisit`](mod@revisit)); when all
/// still serve media, they are analysed and the rest is skipped. Else the walk ([`find_paths`]):
/// each stream it finds (the login's first) is analysed (described, PLAY-checked) at once,
/// beside the rest of the walk; what it leaves in `found` is analysed after it.
async fn walk(
    walkers: &mut Walkers,
    service: &mut Service,
    settings: &ScanContext,
    failures: &mut Vec<AnalyzeError>,
) -> Walked {
    let addr = walkers.first().addr;
    let known = settings.known_rtsp_paths(addr);
    let revisited = if known.is_empty() {
        Revisit::Changed(Reuse::default())
    } else {
        revisit(walkers, known, addr, settings).await
    };
    match revisited {
        Revisit::Unchanged { streams, outcome } => Walked {
            checked: streams,
            found: Vec::new(),
            outcome,
            resume: Vec::new(),
            reuse: Reuse::default(),
            early: Vec::new(),
        },
        Revisit::Changed(mut reuse) => {
            let (early_tx, early_rx) =
                tokio::sync::mpsc::unbounded_channel::<(Found, AuthScheme)>();
            let walk = find_paths(walkers, service, settings, failures, early_tx);
            let early = analyse_early(early_rx, &mut reuse, addr, settings);
            let ((found, outcome, resume), early) = tokio::join!(walk, early);
            Walked {
                checked: Vec::new(),
                found,
                outcome,
                resume,
                reuse,
                early,
            }
        }
    }
}

/// The port's scheme as its streams show it: none when one opened without a login, else the
/// first login's.
fn settle_auth(service: &mut Service, streams: &[Stream]) {
    if streams
        .iter()
        .any(|s| s.status.answers() && s.username.is_none())
    {
        service.auth = AuthScheme::None;
    } else if let Some(s) = streams.iter().find(|s| s.auth != AuthScheme::None) {
        service.auth = s.auth;
    }
}

/// The login schemes the challenges of the walkers (and of the `OPTIONS` reply) offered, and the
/// one the login answered (the
/// strongest, as [`walker::authorize`] chooses: the first walker's challenge, on whose
/// connection the credentials were tried).
fn login_schemes(
    walkers: &Walkers,
    options: &proto::response::ResponseHead,
    outcome: &AuthOutcome,
    addr: SocketAddr,
) -> Option<model::capabilities::LoginSchemes> {
    let mut offered = walkers.login_schemes();
    for o in proto::auth::offered_logins(options.headers_named("www-authenticate")) {
        if !offered.contains(&o) {
            offered.push(o);
        }
    }
    offered.sort_by_key(|o| model::capabilities::login_rank(o));
    if offered.is_empty() {
        return None;
    }
    let used = match outcome {
        AuthOutcome::Succeeded(..) => walkers
            .list
            .iter()
            .map(|w| &w.challenges)
            .find(|c| !c.is_empty())
            .and_then(|c| walker::login_used(c)),
        _ => None,
    };
    Some(model::capabilities::LoginSchemes {
        service: format!("rtsp://{addr}"),
        offered,
        used,
    })
}

/// The streams the walk hands on as it finds them ([`find::find_paths`]), analysed side by side
/// (within the device's session cap), each with what the re-check left for its stream; in the
/// order they were found, which the report keeps.
async fn analyse_early(
    mut early_rx: tokio::sync::mpsc::UnboundedReceiver<(Found, AuthScheme)>,
    reusing: &mut Reuse,
    addr: SocketAddr,
    settings: &ScanContext,
) -> Vec<(Option<String>, String, revisit::Analysed)> {
    use futures::StreamExt;
    let mut running = futures::stream::FuturesUnordered::new();
    let mut done = Vec::new();
    let mut open = true;
    let mut sent = 0usize;
    while open || !running.is_empty() {
        tokio::select! {
            got = early_rx.recv(), if open => match got {
                Some((f, scheme)) => {
                    let mut mine = reusing.split_off(&url(addr, &f.path));
                    let order = sent;
                    sent += 1;
                    running.push(async move {
                        let key = match &f.answer {
                            Answer::Media(body) => description_key(body),
                            _ => None,
                        };
                        let path = f.path.clone();
                        let how = Analysis {
                            addr,
                            auth: scheme,
                            outcome: &AuthOutcome::NotTried,
                            settings,
                        };
                        let analysed = analyse_found(vec![f], &mut mine, Vec::new(), how).await;
                        let analysed: Vec<_> = analysed
                            .into_iter()
                            .map(|a| (key.clone(), path.clone(), a))
                            .collect();
                        (order, analysed)
                    });
                }
                None => open = false,
            },
            Some(analysed) = running.next(), if !running.is_empty() => done.push(analysed),
        }
    }
    done.sort_by_key(|(order, _)| *order);
    done.into_iter()
        .flat_map(|(_, analysed)| analysed)
        .collect()
}

/// How a port's found paths are analysed, the same for every batch the walk hands on: the
/// port, the scheme its login answered, how the login went, and the scan's context.
#[derive(Clone, Copy)]
struct Analysis<'a> {
    addr: SocketAddr,
    auth: AuthScheme,
    outcome: &'a AuthOutcome,
    settings: &'a ScanContext,
}

/// Describe and PLAY-check the streams `found` names (those not yet taken by another path of
/// this scan), as many at a time as the device's session cap allows, after the streams
/// `analysed` already (reported first; their descriptions find aliases too), as `how` says (its
/// `auth`: the port's scheme, which a stream opened with a credential was asked in). A stream whose description
/// is the same as an earlier one's of this port (an alias: a server that ignores the sub-stream
/// selector or serves one stream under two names) is reported with `same_as` and the facts and
/// PLAY check of the first, not opened again. A stream a re-check analysed already (`reuse`) is
/// taken as it found it.
async fn analyse_found(
    found: Vec<Found>,
    reuse: &mut Reuse,
    analysed: Vec<(Option<String>, String, revisit::Analysed)>,
    how: Analysis<'_>,
) -> Vec<(Stream, Vec<AnalyzeError>)> {
    let jobs = jobs_of(found, reuse, analysed, how);
    let Analysis { addr, settings, .. } = how;
    use futures::StreamExt;
    let aliases: Vec<(usize, usize)> = jobs
        .iter()
        .enumerate()
        .filter_map(|(i, j)| match j {
            Job::Alias { of, .. } => Some((i, *of)),
            _ => None,
        })
        .collect();
    // Unordered (then put back in order), so that a job done at once (an alias, a stream that
    // asks for a login) does not hold a place while an earlier stream still plays.
    let mut done: Vec<(usize, (Stream, Vec<AnalyzeError>))> =
        futures::stream::iter(jobs.into_iter().enumerate())
            .map(|(i, job)| async move {
                let analysed = match job {
                    Job::Done(stream) | Job::Alias { stream, .. } => (stream, Vec::new()),
                    Job::Reused(done) => done,
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
                };
                (i, analysed)
            })
            .buffer_unordered(settings.sessions.cap())
            .collect()
            .await;
    done.sort_by_key(|(i, _)| *i);
    let mut done: Vec<(Stream, Vec<AnalyzeError>)> = done.into_iter().map(|(_, d)| d).collect();
    for (i, of) in aliases {
        let original = done[of].0.clone();
        take_facts_of(&mut done[i].0, &original);
    }
    done
}

/// What becomes of each stream: analysed already (`analysed`, reused from a re-check), an alias
/// of an earlier one, one to describe and PLAY-check, or done as it is (behind a login).
fn jobs_of(
    found: Vec<Found>,
    reuse: &mut Reuse,
    analysed: Vec<(Option<String>, String, revisit::Analysed)>,
    how: Analysis<'_>,
) -> Vec<Job> {
    let Analysis {
        addr,
        auth,
        outcome,
        settings,
    } = how;
    let mut jobs = Vec::new();
    // (description, path, job index) of each stream to open, to find aliases.
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    // Streams analysed already (with their description and path): first, and originals of the
    // aliases among `found`.
    for (key, path, done) in analysed {
        if let Some(k) = key {
            seen.push((k, path, jobs.len()));
        }
        jobs.push(Job::Reused(done));
    }
    for mut f in found {
        let plain_url = url(addr, &f.path);
        let mut stream = new_stream(&plain_url, addr, f.cred.as_ref(), settings);
        let reused = match f.answer {
            Answer::Media(_) => reuse.take(&plain_url),
            _ => None,
        };
        match f.answer {
            Answer::Media(_) if let Some(Some(done)) = reused => {
                park(settings, addr, f.holder.take());
                jobs.push(Job::Reused(done));
                continue;
            }
            // Taken by the re-check but not analysed: ours to open.
            Answer::Media(_) if reused.is_none() && !settings.claim(&plain_url) => {
                tracing::debug!(url = %plain_url, "already analysed through another path");
                park(settings, addr, f.holder.take());
                continue;
            }
            Answer::Media(body) => {
                if f.cred.is_some() {
                    stream.auth = auth;
                }
                let key = description_key(&body);
                let original = key.as_ref().and_then(|k| {
                    seen.iter()
                        .find(|(sk, path, _)| sk == k && !paths::different_channels(path, &f.path))
                });
                if let Some((_, _, of)) = original {
                    tracing::info!(url = %plain_url, "same description as an earlier stream: an alias");
                    park(settings, addr, f.holder.take());
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
                stream.auth = if auth == AuthScheme::None {
                    AuthScheme::Unknown
                } else {
                    auth
                };
                stream.status = auth_status(outcome);
                jobs.push(Job::Done(stream));
            }
            Answer::Missing => continue,
        }
    }
    jobs
}

/// The connection whose DESCRIBE found a stream it is not needed for (an alias, a stream
/// analysed already): closed when the device's analysis settles, not now
/// ([`crate::sessions::DeviceSessions::park`]). The walk waits for it no more.
fn park(settings: &ScanContext, addr: SocketAddr, holder: Option<Box<walker::Held>>) {
    if let Some(mut held) = holder {
        held.played.take();
        settings.sessions.park(addr.ip(), held);
    }
}

/// A stream at `plain_url` (our DESCRIBE's or a known one), as the report shows it: with the
/// credential's user, and the credential in the URL when asked to show it.
fn new_stream(
    plain_url: &str,
    addr: SocketAddr,
    cred: Option<&Credential>,
    settings: &ScanContext,
) -> Stream {
    let shown_url = match (cred, settings.settings.get(&SHOW_CREDENTIALS)) {
        (Some(c), true) => url_with_credentials(plain_url, c),
        _ => plain_url.to_string(),
    };
    let mut stream = Stream::new(shown_url, Protocol::Rtsp, addr.port());
    stream.username = cred.map(|c| c.username.clone());
    stream.credential_entry = settings.credential_entry(cred);
    stream
}

/// `alias` is the same stream as `original` under another name: it names it and takes its facts.
fn take_facts_of(alias: &mut Stream, original: &Stream) {
    alias.same_as = Some(original.url.clone());
    alias.status = original.status;
    alias.verified = original.verified;
    alias.video = original.video.clone();
    alias.audio = original.audio.clone();
    alias.measured = original.measured.clone();
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
    /// Analysed by the re-check of a known device.
    Reused(revisit::Analysed),
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
        holder: Option<Box<walker::Held>>,
    },
}

/// DESCRIBE one stream URL path on `addr` and analyse its media: the library entry point for a single
/// known URL (see `examples/describe.rs`). Failures of the media analysis are returned beside the
/// stream, as a scan records them.
pub async fn describe_stream(
    addr: SocketAddr,
    path: &str,
    settings: &ScanContext,
) -> Result<(Stream, Vec<AnalyzeError>), NetError> {
    let mut walker = Walker::new(None, addr, settings);
    let mut answer = walker.describe(path, None).await?;
    let mut cred = None;
    if matches!(answer, Answer::Auth { .. }) && !settings.settings.get(&NO_AUTH) {
        let creds: Vec<&Credential> = settings.credentials_for(addr.ip());
        let mut session = settings.auth.budget.session(addr.ip()).await;
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
    stream.credential_entry = settings.credential_entry(cred.as_ref());
    let mut notes = Vec::new();
    match answer {
        Answer::Media(body) => {
            let holder = walker.hand_over();
            notes = media_and_checks(
                &mut stream,
                addr,
                &target,
                &body,
                cred.as_ref(),
                settings,
                holder,
            )
            .await;
        }
        Answer::Auth { scheme, .. } => {
            stream.auth = scheme;
            stream.status = if settings.auth.credentials.is_empty() {
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
            notes.extend(walker.redirect.take().map(AnalyzeError::NotFollowed));
        }
    }
    Ok((stream, notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::sdp;
    use std::sync::Arc;
    use std::time::Duration;

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
        let settings = ScanContext::anonymous(ct, t).with(&crate::context::VERIFY, false);
        let f = analyze(client, &options, &settings).await;
        assert!(f.streams.is_empty());
        assert_eq!(f.failures.len(), 1, "{:?}", f.failures);
        let m = &f.failures[0].to_string();
        assert!(m.contains("redirected (302) to rtsp://"), "{m}");
        assert!(m.contains("redirects are not followed"), "{m}");
        assert_eq!(followed.load(std::sync::atomic::Ordering::SeqCst), 0);
        // A single URL (the ONVIF path) says the same beside its not-found stream.
        let (stream, notes) = describe_stream(addr, "/live", &settings).await.unwrap();
        assert_eq!(stream.status, StreamStatus::NotFound);
        assert!(
            matches!(notes[..], [AnalyzeError::NotFollowed(_)]),
            "{notes:?}"
        );
        assert!(notes[0].to_string().contains("redirected (302)"));
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
