//! Step 1 of an RTSP port's path walk (`super::find`): the random-path baseline (how the server
//! answers a path it does not serve), and who made the device, from the clues of this address
//! and what the RTSP service itself says, which orders the walk; a clue that comes later orders
//! what is left of it.

use super::*;

/// Step 1's plan: the paths the user gave or the device announced, what the random path was
/// answered, and who made the device with the walk that follows from it.
pub(super) struct Planned {
    /// Announced (mDNS) and the user's paths, asked first.
    pub(super) first: Vec<String>,
    pub(super) baseline: Baseline,
    /// The baseline's DESCRIBE went out (it counts as sent).
    pub(super) baseline_sent: bool,
    /// The realm of the service's login, where it asked for one.
    pub(super) realm: Option<String>,
    pub(super) identity: identity::Identity,
    pub(super) walk: paths::Walk,
}

/// Step 1: the random-path baseline, while the clues still on their way for this address come in
/// (another port's detection and web fingerprint, an ONVIF device API): then who made the
/// device orders the walk.
pub(super) async fn plan_walk(
    walkers: &mut Walkers,
    service: &Service,
    settings: &ScanContext,
    failures: &mut Vec<AnalyzeError>,
) -> Planned {
    let addr = walkers.first().addr;
    // What the device announced for this port (mDNS) first, then the user's paths.
    let mut first = settings.stream_hints.take(addr);
    if !first.is_empty() {
        tracing::debug!(%addr, paths = ?first, "RTSP: announced paths tried first");
    }
    first.extend(settings.rtsp_paths.iter().cloned());
    let (baseline, clues) = tokio::join!(
        baseline(walkers, addr, failures),
        settings
            .identities
            .settled(addr.ip(), addr.port(), identity::SETTLE)
    );
    let baseline_sent = !matches!(baseline, Baseline::Failed);
    let realm = service
        .realm
        .clone()
        .or_else(|| realm_of(&walkers.first().challenges));
    let identity = decide(service.server.as_deref(), realm.as_deref(), clues);
    let walk = paths::plan(&first, &identity);
    if let Some(by) = &identity.by {
        tracing::debug!(%addr, maker = %by.maker, evidence = %by.said, "RTSP: paths ordered by the maker");
    }
    Planned {
        first,
        baseline,
        baseline_sent,
        realm,
        identity,
        walk,
    }
}

/// Who made the device, from `clues` and what the RTSP service itself says (its `Server`
/// header and its login's realm).
fn decide(
    server: Option<&str>,
    realm: Option<&str>,
    mut clues: Vec<identity::Clue>,
) -> identity::Identity {
    let k = crate::knowledge::get();
    clues.extend(identity::clue_from_rtsp(k, server, realm));
    identity::decide(k, &clues)
}

/// A clue that came during the first round (an ONVIF answer is often 0.5 s late: WS-Discovery
/// responders wait a random while before answering) orders what is left of the walk. `wait`: a
/// device nothing has named whose first round found nothing is given a moment for one, before
/// the rest of the dictionary is asked. The identity now and the paths left, in their order.
pub(super) async fn order_rest(
    settings: &ScanContext,
    addr: std::net::SocketAddr,
    (identity, server, realm): (&identity::Identity, Option<&str>, Option<&str>),
    (first, walk, candidates): (&[String], &paths::Walk, &[String]),
    wait: bool,
) -> (identity::Identity, Vec<String>) {
    let ip = addr.ip();
    let now = settings.identities.clues(ip);
    let now = if wait {
        settings
            .identities
            .news(
                ip,
                addr.port(),
                now.len(),
                settings
                    .identities
                    .late_clues_until()
                    .saturating_duration_since(tokio::time::Instant::now()),
            )
            .await
    } else {
        now
    };
    let latest = decide(server, realm, now);
    let rest: Vec<String> = if latest.makers == identity.makers {
        walk.rest.clone()
    } else {
        tracing::debug!(%addr, maker = ?latest.maker(), "RTSP: a later clue orders the rest of the walk");
        let again = paths::plan(first, &latest);
        again
            .first
            .into_iter()
            .chain(again.rest)
            .filter(|p| !candidates.contains(p))
            .collect()
    };
    (latest, rest)
}

/// What the random path (one no device serves) was answered.
pub(super) enum Baseline {
    /// A stream: the server answers any path with one.
    AnyPath,
    /// A login asked for, with its scheme: the paths are tested after logging in.
    Login(AuthScheme),
    /// Not found (or forbidden): the paths can be walked.
    Walk,
    /// The request failed (recorded).
    Failed,
}

/// Step 1 of [`analyze`]: a random path first, to know how the server answers a path it does not
/// serve.
async fn baseline(
    walkers: &mut Walkers,
    addr: SocketAddr,
    failures: &mut Vec<AnalyzeError>,
) -> Baseline {
    let nonce = crate::net::random_u64();
    match walkers
        .first()
        .describe(&format!("/camscan-{nonce:016x}"), None)
        .await
    {
        Err(e) => {
            failures.push(e.into());
            Baseline::Failed
        }
        Ok(Answer::Media(_)) => {
            tracing::info!(%addr, "answers DESCRIBE of any path with a stream; reporting only /");
            Baseline::AnyPath
        }
        Ok(Answer::Auth { scheme, .. }) => {
            tracing::info!(%addr, "asks for credentials on any path; paths are tested after logging in");
            Baseline::Login(scheme)
        }
        Ok(Answer::Forbidden | Answer::Missing) => Baseline::Walk,
    }
}

/// The realm of the latest challenges, if any.
fn realm_of(challenges: &[String]) -> Option<String> {
    challenges
        .iter()
        .flat_map(|v| crate::proto::auth::parse_challenges(v))
        .find_map(|c| c.realm)
}
