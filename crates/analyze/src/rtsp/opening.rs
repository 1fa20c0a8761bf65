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
/// focused walk of a device that announced no stream, with a web server on another port (where an
/// ONVIF device API may be), waits for WS-Discovery first: a device API that answers names the
/// streams, and the walk asks those instead of its first round ([`first_round_wait`]).
async fn clues_before_walking(
    settings: &ScanContext,
    addr: SocketAddr,
    service: &Service,
) -> Vec<identity::Clue> {
    let (ip, board) = (addr.ip(), &settings.identities);
    let clues = board.settled(ip, addr.port(), identity::SETTLE).await;
    let announced = settings.settings.get(&paths::WALK) == paths::WalkMode::Thorough
        || !settings.rtsp_paths.is_empty()
        || settings.stream_hints.has(addr);
    if announced || !board.has_web(ip) {
        return clues;
    }
    let identity = decide(
        service.server.as_deref(),
        service.realm.as_deref(),
        clues.clone(),
    );
    let Some(until) = first_round_wait(&identity, board) else {
        return clues;
    };
    if tokio::time::Instant::now() >= until {
        return clues;
    }
    tracing::debug!(%addr, "RTSP: waiting for WS-Discovery before the first round");
    let hints = &settings.stream_hints;
    let named = || hints.has(addr);
    // Waiting only: the analysis slot is lent meanwhile.
    crate::slot::idle(async {
        let mut clues = clues;
        // Until the device API names streams or the wait ends (other clues may come meanwhile).
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

/// Until when the first round of a device with `identity` waits for WS-Discovery: one that would
/// guess ([`guesses`]), through the discovery window; one whose maker a clue named (its MAC's
/// block, a web page) and who documents an RTSP path, only until the answers to the first
/// multicast Probes are due (a device API that answers them names the streams; one that does not
/// is asked its maker's documented paths, a documented path that serves naming the stream as
/// ONVIF would, and waits for the window before any other maker's path, [`order_rest`]), and not
/// at all when no multicast Probe went out. Waiting for the whole window held every camera of a
/// 1,000-host site idle, its PLAY checks queued behind it (issue 83). `None`: no wait (a maker
/// ONVIF's scopes named: its device API names the streams).
fn first_round_wait(
    identity: &identity::Identity,
    board: &identity::Identities,
) -> Option<tokio::time::Instant> {
    if guesses(identity) {
        return Some(board.late_clues_until());
    }
    match &identity.by {
        Some(c) if c.source < identity::ClueSource::OnvifScopes => board.onvif_answers_due(),
        _ => None,
    }
}

/// Whether a walk of a device with `identity` would guess its first round: no maker named, or only
/// one that documents no RTSP path. A maker named by ONVIF's scopes never is (its device API names
/// the streams).
fn guesses(identity: &identity::Identity) -> bool {
    match &identity.by {
        None => true,
        Some(c) if c.source >= identity::ClueSource::OnvifScopes => false,
        Some(c) => paths::main_path(knowledge::get(), c.maker).is_none(),
    }
}

/// Who made the device, from `clues` and what the RTSP service itself says (its `Server`
/// header and its login's realm).
fn decide(
    server: Option<&str>,
    realm: Option<&str>,
    mut clues: Vec<identity::Clue>,
) -> identity::Identity {
    let k = knowledge::get();
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
    pub(super) makers: Vec<knowledge::VendorId>,
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
    let nonce = net::random_u64();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn named(source: identity::ClueSource, maker: knowledge::VendorId) -> identity::Identity {
        identity::Identity {
            by: Some(identity::Clue {
                source,
                maker,
                model: None,
                said: String::new(),
                named_by: None,
            }),
            ..Default::default()
        }
    }

    /// A camera whose MAC names a maker that documents an RTSP path is not guessed at (its first
    /// round is that maker's paths, issue 83); one that nothing named, or whose named maker
    /// documents none, is (it waits for the whole WS-Discovery window first).
    #[test]
    fn a_maker_named_with_documented_paths_is_not_guessed_at() {
        let k = knowledge::get();
        let hikvision = k.vendor("hikvision").unwrap();
        assert!(!guesses(&named(identity::ClueSource::Mac, hikvision)));
        assert!(!guesses(&named(
            identity::ClueSource::HttpFingerprint,
            hikvision
        )));
        assert!(!guesses(&named(
            identity::ClueSource::OnvifScopes,
            hikvision
        )));
        assert!(guesses(&identity::Identity::default()));
        let undocumented = k
            .vendors
            .iter()
            .filter_map(|v| k.vendor(&v.id))
            .find(|&v| paths::main_path(k, v).is_none())
            .expect("a maker with no RTSP path");
        assert!(guesses(&named(identity::ClueSource::Mac, undocumented)));
        // ONVIF's scopes named it: its device API names the streams, nothing is guessed.
        assert!(!guesses(&named(
            identity::ClueSource::OnvifScopes,
            undocumented
        )));
    }

    /// How long a first round waits for WS-Discovery: a device nothing named, through the window;
    /// one whose MAC names a maker that documents a path, until the first multicast Probes'
    /// answers are due, and not at all when none went out (a routed scan); one ONVIF's scopes
    /// named, not at all. Before, a MAC-named camera waited for the whole window (issue 83).
    #[tokio::test]
    async fn a_named_maker_waits_only_for_the_first_answers() {
        let k = knowledge::get();
        let hikvision = named(identity::ClueSource::Mac, k.vendor("hikvision").unwrap());
        let board = identity::Identities::default();
        let now = tokio::time::Instant::now();
        let window = now + std::time::Duration::from_millis(1500);
        board.onvif_window(window);
        assert_eq!(
            first_round_wait(&identity::Identity::default(), &board),
            Some(window)
        );
        assert_eq!(first_round_wait(&hikvision, &board), None, "no multicast");
        let due = now + identity::FIRST_ANSWERS_DUE;
        board.onvif_answers(due);
        assert_eq!(first_round_wait(&hikvision, &board), Some(due));
        assert!(due < window);
        let scopes = named(
            identity::ClueSource::OnvifScopes,
            k.vendor("hikvision").unwrap(),
        );
        assert_eq!(first_round_wait(&scopes, &board), None);
    }
}
