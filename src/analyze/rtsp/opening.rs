//! Step 1 of an RTSP port's path walk (`super::find`): the random-path baseline (how the server
//! answers a path it does not serve), and who made the device, from the clues of this address
//! and what the RTSP service itself says, which orders the walk; a clue that comes later orders
//! what is left of it.

use super::*;

/// Step 1's plan: the paths the user gave or the device announced, what the random path was
/// answered, and who made the device with the walk that follows from it.
pub(super) struct Planned {
    /// Announced (ONVIF GetStreamUri, mDNS) and the user's paths, asked first.
    pub(super) first: Vec<String>,
    /// How many of `first` the device announced.
    pub(super) announced: usize,
    /// `--walk`.
    pub(super) mode: paths::WalkMode,
    pub(super) baseline: Baseline,
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
    let (baseline, clues) = tokio::join!(
        baseline(walkers, addr, failures),
        clues_before_walking(settings, addr, service)
    );
    // What the device announced for this port (mDNS, ONVIF GetStreamUri: taken once the clues
    // promised for the address are in, the device API's among them) first, then the user's paths.
    let mut first = settings.stream_hints.take(addr);
    if !first.is_empty() {
        tracing::debug!(%addr, paths = ?first, "RTSP: announced paths tried first");
    }
    let announced = first.len();
    for p in settings.rtsp_paths.iter() {
        if !first.contains(p) {
            first.push(p.clone());
        }
    }
    let mode = settings.settings.get(&paths::WALK);
    let realm = service
        .realm
        .clone()
        .or_else(|| realm_of(&walkers.first().challenges));
    let identity = decide(service.server.as_deref(), realm.as_deref(), clues);
    let walk = paths::plan(&first, announced, &identity, mode);
    if let Some(by) = &identity.by {
        tracing::debug!(%addr, maker = %by.maker, evidence = %by.said, "RTSP: paths ordered by the maker");
    }
    Planned {
        first,
        announced,
        mode,
        baseline,
        realm,
        identity,
        walk,
    }
}

/// The clues for the address once those promised are in (at most [`identity::SETTLE`]). A
/// focused walk of a device that announced no stream, that nothing named or only a clue less
/// trusted than ONVIF did (its MAC's block, a web page), with a web server on another port (where
/// an ONVIF device API may be), waits for WS-Discovery first, within its window: a device API that
/// answers names the streams, and the walk asks those instead of guessing.
async fn clues_before_walking(
    settings: &ScanContext,
    addr: SocketAddr,
    service: &Service,
) -> Vec<identity::Clue> {
    let (ip, board) = (addr.ip(), &settings.identities);
    let clues = board.settled(ip, addr.port(), identity::SETTLE).await;
    let guessing = settings.settings.get(&paths::WALK) == paths::WalkMode::Focused
        && settings.rtsp_paths.is_empty()
        && !settings.stream_hints.has(addr)
        && decide(
            service.server.as_deref(),
            service.realm.as_deref(),
            clues.clone(),
        )
        .by
        .is_none_or(|c| c.source < identity::ClueSource::OnvifScopes);
    let until = board.late_clues_until();
    if !guessing || !board.has_web(ip) || tokio::time::Instant::now() >= until {
        return clues;
    }
    tracing::debug!(%addr, "RTSP: waiting for WS-Discovery before the first round");
    let hints = &settings.stream_hints;
    let named = || hints.has(addr);
    // Waiting only: the analysis slot is lent meanwhile.
    crate::analyze::slot::idle(async {
        let mut clues = clues;
        // Until the device API names streams or the window closes (other clues may come meanwhile).
        while !named() && tokio::time::Instant::now() < until {
            let wait = until.saturating_duration_since(tokio::time::Instant::now());
            clues = board.news(ip, addr.port(), clues.len(), wait, named).await;
        }
        if board.onvif_pending(ip) && !named() {
            return board
                .news(ip, addr.port(), clues.len(), identity::SETTLE, named)
                .await;
        }
        clues
    })
    .await
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

/// What a walk asks after its first round, each part only when the parts before found nothing:
/// the paths the device announced late (an ONVIF answer that came after the walk began), the
/// fill, then the rest of the dictionary.
#[derive(Debug, Default)]
pub(super) struct Rounds {
    /// The makers whose entries alone give a found path's siblings ([`paths::siblings`]): the
    /// device's in a focused walk, none (every entry) in a thorough one.
    pub(super) makers: Vec<crate::knowledge::VendorId>,
    pub(super) named: Vec<String>,
    pub(super) fill: Vec<String>,
    pub(super) rest: Vec<String>,
}

/// A clue that came during the first round (an ONVIF answer is often 0.5 s late: WS-Discovery
/// responders wait a random while before answering) orders what is left of the walk. `wait`: a
/// device whose first round found nothing is given a moment for a clue (and, when WS-Discovery
/// runs, for its device API to name its streams: until the discovery window has closed and no
/// device API of the address is being asked) before the other makers' paths are asked. The
/// identity now and the rounds left, in their order. `goes_on`: the walk goes on after its
/// first round, which found nothing.
pub(super) async fn order_rest(
    settings: &ScanContext,
    addr: std::net::SocketAddr,
    (identity, server, realm): (&identity::Identity, Option<&str>, Option<&str>),
    (planned, candidates): (&Planned, &[String]),
    (goes_on, wait): (bool, bool),
) -> (identity::Identity, Rounds) {
    let ip = addr.ip();
    let now = settings.identities.clues(ip);
    let now = if wait {
        let hints = &settings.stream_hints;
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
                || hints.has(addr),
            )
            .await
    } else {
        now
    };
    // Streams the device API named while the first round was asked, taken only by a walk that
    // goes on to ask them (else the discovery that learnt them describes them).
    let named: Vec<String> = if goes_on {
        settings.stream_hints.take(addr)
    } else {
        Vec::new()
    };
    let named: Vec<String> = named
        .into_iter()
        .filter(|p| !candidates.contains(p))
        .collect();
    if !named.is_empty() {
        tracing::debug!(%addr, paths = ?named, "RTSP: paths the device announced late asked next");
    }
    let latest = decide(server, realm, now);
    let (first, walk) = (&planned.first, &planned.walk);
    let (fill, rest) = if latest.makers == identity.makers {
        (walk.fill.clone(), walk.rest.clone())
    } else {
        tracing::debug!(%addr, maker = ?latest.maker(), "RTSP: a later clue orders the rest of the walk");
        let again = paths::plan(first, planned.announced, &latest, planned.mode);
        let new = |p: &String| !candidates.contains(p);
        (
            again
                .first
                .into_iter()
                .chain(again.fill)
                .filter(new)
                .collect(),
            again.rest.into_iter().filter(new).collect(),
        )
    };
    let makers = match planned.mode {
        paths::WalkMode::Focused => latest.makers.clone(),
        paths::WalkMode::Thorough => Vec::new(),
    };
    (
        latest,
        Rounds {
            makers,
            named,
            fill,
            rest,
        },
    )
}

/// What the random path (one no device serves) was answered.
#[derive(Debug, Clone, Copy)]
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
        .flat_map(|v| proto::auth::parse_challenges(v))
        .find_map(|c| c.realm)
}
