//! Re-checking a device an earlier scan knew ([`crate::analyze::context::Known`]): the stream
//! paths it served are asked first, with the credential that worked then, and when every one still
//! serves media the device is taken as unchanged. Its streams then go straight to media analysis
//! and the PLAY check: no random-path baseline, no dictionary walk, no login trials, no channel
//! walk. Anything else (a known path gone, the credential refused, a channel beyond the known
//! ones, SADP/DHIP announcing more channels than known) and the full analysis runs, as for a
//! device never seen. A credential refused here is a failed login counted in the host's budget
//! and is not sent again by that analysis.
//!
//! Why no baseline: it keeps a server that answers any path from yielding one stream per
//! dictionary entry, and here no dictionary is asked; every path asked was reported by a scan
//! that ran the baseline (a server answering anything was reported at `/` only).
//!
//! What an unchanged verdict cannot see: a new stream path beside the known ones that is no
//! further channel of a vendor scheme (a second mount added to a media server), and a channel
//! filled into a gap below the highest known one. `--fresh` finds those.

use super::*;

/// What re-checking the known paths gave.
pub(super) enum Revisit {
    /// Every known path still serves media: the streams, and how the login went.
    Unchanged {
        found: Vec<Found>,
        outcome: AuthOutcome,
    },
    /// Something changed: run the full analysis.
    Changed,
}

/// Ask `known` (the paths this port served last time, non-empty) again. The credential is the
/// one proven on this host in this scan, else the one that worked last time. While it is unproven
/// the paths go one at a time on the first connection with the host's login session held, so a
/// credential that no longer works costs one failed login; once it is proven (or with none) the
/// rest go side by side, as the full analysis asks paths. Connections that find a stream are left
/// holding it until its media session has described it, as in the full analysis: a server with
/// shared media need not prepare it again.
pub(super) async fn revisit(
    walkers: &mut Walkers,
    known: &[String],
    addr: SocketAddr,
    settings: &ScanContext,
) -> Revisit {
    let ip = addr.ip();
    let mut cred: Option<Credential> = None;
    let mut session = None;
    // The credential worked on this host already (in this scan, or here): a refusal is a lockout.
    let mut proven = false;
    if let Some(k) = settings.known_credential(ip) {
        let s = settings.auth.budget.session(ip).await;
        if s.locked() {
            return Revisit::Changed; // the full analysis reports the lockout
        }
        proven = s.known_good().is_some();
        cred = match s.known_good() {
            Some(good) => Some(good.clone()),
            None if s.refused(k) || !s.may_try() => None,
            None => Some(k.clone()),
        };
        session = Some(s);
    }
    let mut found = Vec::new();
    let mut rest = known;
    while let Some((path, tail)) = rest.split_first()
        && cred.is_some()
        && !proven
    {
        rest = tail;
        let mut answer = walkers
            .describe_all(std::slice::from_ref(path), cred.as_ref())
            .await
            .pop()
            .flatten();
        if matches!(answer, Some((Ok(Answer::Auth { stale: true, .. }), _)))
            && walkers.first().sent_credential
        {
            // A fresh nonce, the same password.
            let again = walkers.first().describe(path, cred.as_ref()).await;
            answer = Some((again, None));
        }
        let sent = walkers.first().sent_credential;
        match (answer, cred.as_ref()) {
            (Some((Ok(answer @ Answer::Media(_)), holder)), c) => {
                if sent && let (Some(s), Some(c)) = (session.as_mut(), c) {
                    s.record_success(c);
                    proven = true;
                }
                found.push(Found {
                    path: path.clone(),
                    answer,
                    cred: c.filter(|_| sent).cloned(),
                    holder,
                });
            }
            (Some((Ok(Answer::Auth { .. } | Answer::Forbidden), _)), Some(c)) if sent => {
                tracing::info!(%addr, %path, "the credential that worked last time is refused");
                if let Some(s) = session.as_mut() {
                    s.record_refused(c);
                }
                return Revisit::Changed;
            }
            (Some((Ok(Answer::Missing), _)), Some(c)) if sent => {
                // 404 behind the login: the credential is good (Cameradar's rule), the path gone.
                if let Some(s) = session.as_mut() {
                    s.record_success(c);
                }
                tracing::info!(%addr, %path, "a known path is gone");
                return Revisit::Changed;
            }
            _ => {
                tracing::info!(%addr, %path, "a known path no longer serves media");
                return Revisit::Changed;
            }
        }
    }
    drop(session);
    let cred = cred.filter(|_| proven);
    let answers = walkers.describe_all(rest, cred.as_ref()).await;
    for (path, answer) in rest.iter().zip(answers) {
        match answer {
            Some((Ok(answer @ Answer::Media(_)), holder)) => found.push(Found {
                path: path.clone(),
                answer,
                cred: cred.clone(),
                holder,
            }),
            Some((Ok(Answer::Auth { .. } | Answer::Forbidden), _)) if cred.is_some() => {
                // The credential that just worked is refused: a lockout, as in step 2.
                tracing::info!(%addr, %path, "a credential that worked is refused");
                settings.auth.budget.session(ip).await.mark_locked();
                return Revisit::Changed;
            }
            _ => {
                tracing::info!(%addr, %path, "a known path no longer serves media");
                return Revisit::Changed;
            }
        }
    }
    if new_channels(walkers, &found, cred.as_ref(), addr, settings).await {
        return Revisit::Changed;
    }
    tracing::info!(%addr, streams = found.len(), "known paths all serve media: device unchanged");
    let outcome = match cred {
        Some(c) => AuthOutcome::Succeeded(c, scheme_of(&walkers.first().challenges)),
        None => AuthOutcome::NotTried,
    };
    Revisit::Unchanged { found, outcome }
}

/// Does the device have more channels than the known paths name? For each vendor channel scheme
/// among them: SADP/DHIP announced more, or the main stream of the channel after the highest
/// known one answers with media (unless the server ignores channel numbers: then the full
/// analysis walks nothing either). One DESCRIBE per scheme on an unchanged device.
async fn new_channels(
    walkers: &mut Walkers,
    found: &[Found],
    cred: Option<&Credential>,
    addr: SocketAddr,
    settings: &ScanContext,
) -> bool {
    let mut schemes: Vec<ChannelScheme> = found
        .iter()
        .filter_map(|f| ChannelScheme::of(&f.path))
        .collect();
    schemes.dedup();
    let announced = settings.announcements.of(addr.ip());
    for scheme in schemes {
        let top = found
            .iter()
            .filter_map(|f| {
                let ch = paths::channel_of(&f.path)?;
                scheme.paths(ch).contains(&f.path).then_some(ch)
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
