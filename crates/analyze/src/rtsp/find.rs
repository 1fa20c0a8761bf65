//! Steps 1-3 of an RTSP port's analysis ([`super::analyze`]): who made the device orders the
//! path walk ([`crate::identity`], [`crate::paths`]); the random-path baseline;
//! the first round without credentials; the login within the host's budget; the rest of the walk
//! (the found paths' sub streams, or the rest of the dictionary, a batch at a time); the walk's
//! account and, when no path served, the reason; then the channel walk.

use super::account::{Stop, asks_login, first_round_stop, no_answer, tell};
use super::opening::{Baseline, Planned, Rounds, order_rest, plan_walk};
use super::*;

/// Steps 1-3 of [`analyze`], for a device not known or changed: the stream paths found, how the
/// login went, and the channel walks to resume when SADP/DHIP announces a count.
pub(super) async fn find_paths(
    walkers: &mut Walkers,
    service: &mut Service,
    settings: &ScanContext,
    failures: &mut Vec<AnalyzeError>,
    early: tokio::sync::mpsc::UnboundedSender<(Found, AuthScheme)>,
) -> (Vec<Found>, AuthOutcome, Vec<(ChannelScheme, u32)>) {
    let addr = walkers.first().addr;
    let ip = addr.ip();
    let plan = plan_walk(walkers, service, settings, failures).await;
    let (identity, realm) = (&plan.identity, plan.realm.clone());
    let candidates = plan.walk.first.clone();

    let mut served = Handed::default();
    let FirstRound {
        mut found,
        any_path_auth,
        mut outcome,
        mut stop,
    } = first_round(
        walkers,
        service,
        (settings, &plan, &candidates),
        failures,
        (early.clone(), &mut served),
    )
    .await;
    let cred = credential_of(&outcome);
    let walking_on = stop.is_none()
        && match &outcome {
            AuthOutcome::Locked | AuthOutcome::Failed { .. } => false,
            AuthOutcome::NotTried => any_path_auth.is_none(),
            AuthOutcome::Succeeded(..) => true,
        };
    let nothing_served =
        served.paths.is_empty() && !found.iter().any(|f| matches!(f.answer, Answer::Media(_)));
    // A thorough walk waits for a late clue only when nothing named a maker; a focused one, when
    // the device announced no path (its device API may still name its streams).
    let waits = match plan.mode {
        paths::WalkMode::Thorough => identity.by.is_none(),
        paths::WalkMode::Focused => plan.announced == 0,
    };
    let (latest, rounds) = order_rest(
        settings,
        addr,
        (identity, service.server.as_deref(), realm.as_deref()),
        (&plan, &candidates),
        (
            walking_on && nothing_served,
            walking_on && nothing_served && waits,
        ),
    )
    .await;
    if stop.is_none() {
        let any_path = matches!(plan.baseline, Baseline::AnyPath);
        stop = Some(first_round_stop(
            (&plan, &candidates),
            (&found, &served.paths),
            (any_path, any_path_auth.is_some(), &outcome),
        ));
    }
    // The first round's sub streams (the other paths of the entries whose path served), or the
    // rest of the walk when it found nothing.
    // (What was asked: a directed round may have left guesses unasked, which a sub stream may be.)
    let mut asked: Vec<String> = walkers.asked();
    if walking_on {
        let scheme = login_scheme(&outcome, service.auth);
        let until = rest_deadline(latest.by.is_some());
        let ended = walk_on(
            walkers,
            &mut found,
            (&mut served, &rounds, until),
            &mut asked,
            cred.as_ref(),
            failures,
            (&early, scheme, &settings.http_live),
        )
        .await;
        if nothing_served {
            stop = Some(ended);
        }
    }
    // Paths after the first round that ask for a login of their own (the first round's asked
    // none): logged in now, within the same budget, and asked again with the credential.
    if matches!(outcome, AuthOutcome::NotTried) && found.iter().any(asks_login) {
        let again = (early.clone(), &mut served);
        let (ip, walked) = (ip, (&mut found, candidates.as_slice()));
        outcome = log_in(walkers, walked, false, ip, settings, failures, again).await;
    }
    let cred = credential_of(&outcome);
    tell(
        service,
        walkers,
        (&plan, &latest, &rounds),
        (&found, &served.paths, &outcome, any_path_auth.is_some()),
        nothing_served && walking_on,
        (stop.unwrap_or(Stop::Exhausted), settings),
    );

    // 3. Channels of multi-channel devices. A walk that meets a gap while SADP/DHIP may still
    // announce the device's channel count goes on in step 4, beside the streams found so far.
    // Then what the channel walk (or a walk that did not go on) found goes to analysis too: what
    // stays is aliases and paths behind a login, analysed with the streams handed on.
    if matches!(outcome, AuthOutcome::Locked) {
        return (found, outcome, Vec::new());
    }
    walkers.stop_at_media = None;
    walkers.stop_when_live = None;
    let announced = settings.announcements.of(ip);
    let channels = (&mut found, served.paths.as_slice());
    let resume = walk_channels(walkers, channels, cred.as_ref(), failures, addr, announced).await;
    let scheme = login_scheme(&outcome, service.auth);
    hand_early(&mut found, &mut served, &early, scheme, false).await;
    (found, outcome, resume)
}

/// What the first round (step 1's paths without credentials, step 2's login) left.
struct FirstRound {
    found: Vec<Found>,
    /// The scheme, when the server asks for a login on any path.
    any_path_auth: Option<AuthScheme>,
    outcome: AuthOutcome,
    /// Set when the round already ended the walk: the port stopped answering.
    stop: Option<Stop>,
}

/// The first round: the walk without credentials (a focused walk asks every path the device
/// announced or the user gave, and `/`, and its guesses only until one is there), then the login
/// within the host's budget and the re-test of the paths behind it. `served`: the streams handed
/// to analysis at once (not in `found`): the login's, then the walk's.
async fn first_round(
    walkers: &mut Walkers,
    service: &mut Service,
    (settings, plan, candidates): (&ScanContext, &Planned, &[String]),
    failures: &mut Vec<AnalyzeError>,
    (early, served): (
        tokio::sync::mpsc::UnboundedSender<(Found, AuthScheme)>,
        &mut Handed,
    ),
) -> FirstRound {
    // A directed round (what the device announced, its maker's documented paths) stops guessing
    // once a path is there; a round of a device nothing named is asked whole, as before.
    let directed = plan.mode == paths::WalkMode::Focused && !plan.walk.fill.is_empty();
    walkers.stop_at_media = directed.then_some(plan.first.len() + 1);
    // A focused round stops guessing too once the port's HTTP side serves live media (VLC's
    // HTTP output answers every RTSP path 404, and each DESCRIBE costs its main loop time the
    // MJPEG read beside it measures): what the device announced and `/` are still asked.
    walkers.stop_when_live = (plan.mode == paths::WalkMode::Focused)
        .then(|| (plan.first.len() + 1, settings.http_live.clone()));
    let failed_before = failures.len();
    let baseline_failed = matches!(plan.baseline, Baseline::Failed);
    let (mut found, any_path_auth) =
        walk_unauthenticated(walkers, plan.baseline, candidates, failures).await;
    let stop = (baseline_failed || failures.len() > failed_before)
        .then(|| no_answer(failures))
        .flatten();
    if let Some(scheme) = any_path_auth {
        service.auth = scheme;
    }
    note_offered(service, walkers);
    // 2. Authentication, within the host's budget, and the re-test of paths behind the login.
    let ip = walkers.first().addr.ip();
    let walked = (&mut found, candidates);
    let asks = any_path_auth.is_some();
    let outcome = log_in(
        walkers,
        walked,
        asks,
        ip,
        settings,
        failures,
        (early, served),
    )
    .await;
    FirstRound {
        found,
        any_path_auth,
        outcome,
        stop,
    }
}

/// The schemes the service offered in its challenges, on the service once each.
fn note_offered(service: &mut Service, walkers: &Walkers) {
    for scheme in walkers.offered() {
        if !service.offered.contains(&scheme) {
            service.offered.push(scheme);
        }
    }
}

/// When the rest of the walk stops: a named maker's walk may go on longer than a device
/// nothing named.
fn rest_deadline(named: bool) -> tokio::time::Instant {
    let time = if named {
        paths::REST_TIME_NAMED
    } else {
        paths::REST_TIME
    };
    tokio::time::Instant::now() + time
}

/// The credential that logged in, if one did.
fn credential_of(outcome: &AuthOutcome) -> Option<Credential> {
    match outcome {
        AuthOutcome::Succeeded(c, _) => Some(c.clone()),
        _ => None,
    }
}

/// The scheme of the streams the walk hands to analysis at once: the login's, or the service's
/// when no login was made.
fn login_scheme(outcome: &AuthOutcome, service: AuthScheme) -> AuthScheme {
    match outcome {
        AuthOutcome::Succeeded(_, scheme) => *scheme,
        _ => service,
    }
}

/// After the first round: the other paths of the entries whose path served a stream (the sub
/// stream), or, when the round found no stream, the next of the `rounds`: the paths the device
/// announced late, then the fill a batch at a time, then the rest of the dictionary; then the sub
/// streams of what that found. With the credential that worked, if any. A path that asks for a
/// login the credential passed elsewhere ends the walk (no more logins sent to a device that may
/// be locking us out). Returns why it stopped.
/// The rest is asked a batch at a time until `until`: a server that answers slowly (VLC takes
/// 25 ms a DESCRIBE) is not asked hundreds of paths.
///
/// Each stream it finds but an alias goes to analysis at once (`early`, with the login's scheme),
/// as the login's does, and joins `served_early` ([`hand_early`]). When it holds the connection
/// that found it, the next paths are asked once its PLAY is answered (at most
/// [`EARLY_PLAY_WAIT`]): a server that answers one request at a time then plays it before it
/// looks up the next path.
#[allow(clippy::too_many_arguments)]
async fn walk_on(
    walkers: &mut Walkers,
    found: &mut Vec<Found>,
    (served_early, rounds, until): (&mut Handed, &Rounds, tokio::time::Instant),
    asked: &mut Vec<String>,
    cred: Option<&Credential>,
    failures: &mut Vec<AnalyzeError>,
    (early, scheme, live): (
        &tokio::sync::mpsc::UnboundedSender<(Found, AuthScheme)>,
        AuthScheme,
        &crate::context::LivePorts,
    ),
) -> Stop {
    // Where the next batch of the fill and of the rest starts.
    let (mut named, mut at_fill, mut at) = (false, 0, 0);
    let rest = &rounds.rest;
    let addr = walkers.first().addr;
    loop {
        let live_over_http = live.has(addr);
        hand_early(found, served_early, early, scheme, true).await;
        // Paths that are streams (served, or asking for a login of their own).
        let served: Vec<String> = found
            .iter()
            .filter(|f| matches!(f.answer, Answer::Media(_)) || asks_login(f))
            .map(|f| f.path.clone())
            .chain(served_early.paths.iter().cloned())
            .collect();
        let mut next: Vec<String> = Vec::new();
        for p in &served {
            for s in paths::siblings(p, asked, &rounds.makers) {
                if !next.contains(&s) {
                    next.push(s);
                }
            }
        }
        if next.is_empty() && !served.is_empty() {
            return Stop::Later;
        }
        let mut in_rest = false;
        if next.is_empty() && !named {
            // What the device announced after the walk began (its device API), alone.
            named = true;
            next.extend(rounds.named.iter().filter(|p| !asked.contains(p)).cloned());
        }
        // The port's HTTP side serves its live media (VLC's HTTP output, which answers every
        // RTSP path 404): no other maker's guesses either.
        if next.is_empty() && live_over_http && at_fill < rounds.fill.len() {
            tracing::debug!(
                asked = at_fill,
                paths = rounds.fill.len(),
                "RTSP: the port serves live media over HTTP; the other makers' main paths are not asked"
            );
            return Stop::LiveOverHttp;
        }
        if next.is_empty() && at_fill < rounds.fill.len() {
            // The other makers' main paths, a batch at a time, as a thorough first round asks them.
            while at_fill < rounds.fill.len() && next.len() < paths::FIRST_ROUND {
                if !asked.contains(&rounds.fill[at_fill]) {
                    next.push(rounds.fill[at_fill].clone());
                }
                at_fill += 1;
            }
        }
        if next.is_empty() {
            // Nothing served yet: the next batch of the rest (a batch at a time, so that the
            // walk ends soon after the path that serves).
            if at == 0 {
                tracing::debug!(
                    paths = rest.len(),
                    "RTSP: no stream in the first round; asking the rest of the dictionary"
                );
            }
            if tokio::time::Instant::now() >= until {
                tracing::debug!(
                    asked = at,
                    paths = rest.len(),
                    "RTSP: the rest of the dictionary's time is up"
                );
                return Stop::TimeUp;
            }
            // The port's HTTP side serves its live media (VLC's HTTP output, which answers
            // every RTSP path 404): the first round was asked, the rest is not worth its time.
            if live_over_http {
                tracing::debug!(
                    asked = at,
                    paths = rest.len(),
                    "RTSP: the port serves live media over HTTP; the rest of the dictionary is not asked"
                );
                return Stop::LiveOverHttp;
            }
            while at < rest.len() && next.len() < paths::FIRST_ROUND {
                if !asked.contains(&rest[at]) {
                    next.push(rest[at].clone());
                }
                at += 1;
            }
            in_rest = true;
        }
        if next.is_empty() {
            return Stop::Exhausted;
        }
        // The rest of the dictionary stops at `until`, within a batch too (a server that answers
        // one request at a time takes a second or more for a batch); the sub streams do not.
        let deadline = (in_rest && served.is_empty()).then_some(until);
        walkers.stop_at_media = None;
        walkers.stop_when_live = None;
        let answers = walkers.describe_until(&next, cred, deadline).await;
        let asked_now = answers.iter().filter(|a| a.is_some()).count();
        asked.extend(next.iter().take(asked_now).cloned());
        if let Some(stop) = record_batch(next, answers, cred, found, failures) {
            return stop;
        }
    }
}

/// [`record`] a batch of the walk after the first round: `None` when the walk goes on, else why
/// it stops (a request failed, a credential that worked elsewhere was refused, or the rest's
/// time ran out within the batch). A guess that was there and left the batch's other paths
/// unasked goes on: its sub streams are next.
fn record_batch(
    next: Vec<String>,
    answers: Vec<Option<walker::PathAnswer>>,
    cred: Option<&Credential>,
    found: &mut Vec<Found>,
    failures: &mut Vec<AnalyzeError>,
) -> Option<Stop> {
    let failed_before = failures.len();
    let refused = cred.is_some()
        && answers
            .iter()
            .any(|a| matches!(a, Some((Ok(Answer::Auth { .. }), _))));
    let there = answers.iter().any(|a| {
        matches!(
            a,
            Some((
                Ok(Answer::Media(_) | Answer::Auth { .. } | Answer::Forbidden),
                _
            ))
        )
    });
    if record(next, answers, cred, found, failures) {
        None
    } else if failures.len() > failed_before {
        Some(no_answer(failures).unwrap_or(Stop::Exhausted))
    } else if refused {
        Some(Stop::Login)
    } else if !there {
        Some(Stop::TimeUp)
    } else {
        None
    }
}

/// The streams handed to analysis at once, before the walk ends: their paths (streams, for the
/// walk's sub streams and channels) and descriptions. A path whose description is one of theirs on
/// the same channel stays in the walk's `found`, where the analysis makes it that stream's alias.
#[derive(Default)]
struct Handed {
    paths: Vec<String>,
    /// (path, description) of each that has one.
    keys: Vec<(String, String)>,
}

impl Handed {
    fn add(&mut self, path: &str, answer: &Answer) {
        self.paths.push(path.to_string());
        if let Answer::Media(body) = answer
            && let Some(key) = description_key(body)
        {
            self.keys.push((path.to_string(), key));
        }
    }

    /// Whether `path`, described by `answer`, is an alias of a stream handed on.
    fn has_original_of(&self, path: &str, answer: &Answer) -> bool {
        let Answer::Media(body) = answer else {
            return false;
        };
        description_key(body).is_some_and(|key| {
            self.keys
                .iter()
                .any(|(p, k)| *k == key && !paths::different_channels(p, path))
        })
    }
}

/// Hand each stream of `found` to analysis at once (`early`), but an alias of one handed on (its
/// analysis takes the original's). With `wait`, returns once the PLAYs of those that hold the
/// connection that described them are answered, at most [`EARLY_PLAY_WAIT`] after: a server that
/// answers one request at a time then plays them before the walk's next DESCRIBE.
async fn hand_early(
    found: &mut Vec<Found>,
    served: &mut Handed,
    early: &tokio::sync::mpsc::UnboundedSender<(Found, AuthScheme)>,
    scheme: AuthScheme,
    wait: bool,
) {
    let mut answers = Vec::new();
    let mut i = 0;
    while i < found.len() {
        let f = &found[i];
        if !matches!(f.answer, Answer::Media(_)) || served.has_original_of(&f.path, &f.answer) {
            i += 1;
            continue;
        }
        let mut f = found.remove(i);
        if let Some(holder) = f.holder.as_mut()
            && wait
        {
            let (played, answered) = tokio::sync::oneshot::channel();
            holder.played = Some(played);
            answers.push(answered);
        }
        served.add(&f.path, &f.answer);
        if early.send((f, scheme)).is_err() {
            answers.clear();
        }
    }
    if !answers.is_empty() {
        let _ = tokio::time::timeout(EARLY_PLAY_WAIT, futures::future::join_all(answers)).await;
    }
}

/// Keep what answered a walk's DESCRIBEs of `paths` (asked with `cred`): every path that is
/// there (a stream, or one asking for a login) goes to `found`. `false` when the walk must end:
/// a path was not asked (an earlier request failed, and is recorded: a server that stops
/// answering will not answer the next path either), or one asks for a login the credential passed
/// elsewhere (no more logins to a device that may be locking the address out).
fn record(
    paths: Vec<String>,
    answers: Vec<Option<walker::PathAnswer>>,
    cred: Option<&Credential>,
    found: &mut Vec<Found>,
    failures: &mut Vec<AnalyzeError>,
) -> bool {
    for (path, answer) in paths.into_iter().zip(answers) {
        match answer {
            None => return false,
            Some((Ok(Answer::Missing), _)) => {}
            Some((Ok(Answer::Auth { .. }), _)) if cred.is_some() => return false,
            Some((Ok(answer), holder)) => found.push(Found {
                path,
                answer,
                cred: cred.cloned(),
                holder,
            }),
            Some((Err(e), _)) => {
                failures.push(e.into());
                return false;
            }
        }
    }
    true
}

/// The walk without credentials after the baseline (`super::opening`): a server that answers any path with a
/// stream is reported at `/` only; otherwise `/` and the candidate paths. Returns what answered,
/// and the scheme when the server asks for credentials on any path (its paths are then tested
/// after logging in).
async fn walk_unauthenticated(
    walkers: &mut Walkers,
    baseline: Baseline,
    candidates: &[String],
    failures: &mut Vec<AnalyzeError>,
) -> (Vec<Found>, Option<AuthScheme>) {
    let mut found: Vec<Found> = Vec::new();
    let mut any_path_auth = None;
    match baseline {
        Baseline::Failed => {}
        Baseline::AnyPath => match walkers.describe_all(&["/".to_string()], None).await.pop() {
            Some(Some((Ok(answer @ Answer::Media(_)), holder))) => found.push(Found {
                path: "/".into(),
                answer,
                cred: None,
                holder,
            }),
            Some(Some((Err(e), _))) => failures.push(e.into()),
            _ => {}
        },
        Baseline::Login(scheme) => any_path_auth = Some(scheme),
        Baseline::Walk => {
            // The walk's first path (the named maker's main stream) goes first, on the
            // connection the baseline opened; `/` second, on the next one. With `/` first, the
            // open connection asked `/` and then the walk's second path while the next one was
            // still connecting, and the camera read its most likely path third (issue 54).
            let mut paths: Vec<String> = candidates.to_vec();
            paths.insert(paths.len().min(1), "/".to_string());
            let answers = walkers.describe_all(&paths, None).await;
            record(paths, answers, None, &mut found, failures);
        }
    }
    (found, any_path_auth)
}

/// Longest wait of the walk for the early PLAY check's PLAY to be answered before the next paths
/// are asked (on a server with the media prepared it is answered in milliseconds; a server that
/// starts something on PLAY does not hold the walk longer than this).
const EARLY_PLAY_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// Step 2 of [`analyze`]: when a path (or every path) asked for credentials, log in within the
/// host's failed-login budget, then ask the paths behind the login again with the credential that
/// worked. A refusal of that credential is treated as a lockout: no more logins are sent.
#[allow(clippy::too_many_arguments)]
async fn log_in(
    walkers: &mut Walkers,
    (found, candidates): (&mut Vec<Found>, &[String]),
    any_path_auth: bool,
    ip: std::net::IpAddr,
    settings: &ScanContext,
    failures: &mut Vec<AnalyzeError>,
    (early, served): (
        tokio::sync::mpsc::UnboundedSender<(Found, AuthScheme)>,
        &mut Handed,
    ),
) -> AuthOutcome {
    let needs_auth = any_path_auth || found.iter().any(|f| !matches!(f.answer, Answer::Media(_)));
    // The login that followed its device here first, then the entries scoped to cover it.
    let creds: Vec<&Credential> = settings.credentials_for(ip);
    let mut outcome = AuthOutcome::NotTried;
    if needs_auth && !settings.settings.get(&NO_AUTH) && !creds.is_empty() {
        let mut session = settings.auth.budget.session(ip).await;
        let probe = found
            .iter()
            .find(|f| !matches!(f.answer, Answer::Media(_)))
            .map(|f| f.path.clone())
            .unwrap_or_else(|| candidates[0].clone());
        match try_credentials(walkers.first(), &mut session, &creds, &probe).await {
            Err(e) => failures.push(e.into()),
            Ok(o) => outcome = o,
        }
        if let AuthOutcome::Succeeded(cred, scheme) = outcome.clone() {
            let mut retest: Vec<String> = if any_path_auth {
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
            // The path the login was tried on serves media to the credential: asked once more on
            // the login's connection (a server with shared media has it prepared: no wait), it
            // is handed to analysis at once, and its PLAY check runs while the other paths are
            // asked. The PLAY goes out before them: a server that starts an encoder for a
            // DESCRIBE (GStreamer, one request at a time) answers nothing else meanwhile.
            // The PLAY is *sent* before them: the walk waits until it is answered (at most
            // EARLY_PLAY_WAIT), since nothing else orders two connections' requests at the server.
            if let Some(i) = retest.iter().position(|p| *p == probe)
                && let Ok(answer @ Answer::Media(_)) =
                    walkers.first().describe(&probe, Some(&cred)).await
                && let Some(holder) = walkers.first().hand_over()
            {
                retest.remove(i);
                let mut login = vec![Found {
                    path: probe.clone(),
                    answer,
                    cred: Some(cred.clone()),
                    holder: Some(holder),
                }];
                hand_early(&mut login, served, &early, scheme, true).await;
                // An alias of a stream handed on already: analysed with the walk's list.
                found.extend(login);
            }
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
                        failures.push(e.into());
                        break;
                    }
                }
            }
        }
        match &outcome {
            AuthOutcome::Failed {
                tried,
                budget_spent,
            } => failures.push(AnalyzeError::Auth(format!(
                "RTSP login refused for {tried} credential(s){}{}",
                if *budget_spent {
                    "; failed-login budget for this host spent"
                } else {
                    ""
                },
                settings
                    .login_left_behind(ip, &creds)
                    .map_or_else(String::new, |n| format!("; {n}"))
            ))),
            AuthOutcome::Locked => failures.push(AnalyzeError::Auth(
                "device refused a credential that had worked (lockout?); no more logins sent"
                    .into(),
            )),
            _ => {}
        }
    }
    outcome
}
