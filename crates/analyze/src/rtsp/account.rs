//! The account of an RTSP port's path walk (`super::find`): why it stopped ([`Stop`]), what
//! `path_walk` reports (which walk ran, the maker whose paths went first, the DESCRIBEs sent and
//! what they were answered), and the note of a port where no path served: why none did, or that
//! the port stopped answering.

use super::opening::Planned;
use super::*;

/// Why a port's walk stopped asking paths (`path_walk.stopped`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stop {
    /// A path the device announced (ONVIF GetStreamUri, mDNS) or the user gave served.
    Named,
    /// A documented path of the maker the evidence named served (a focused walk's first round).
    Maker,
    /// A path of a thorough first round (or of the first round of a device nothing named) served.
    FirstRound,
    /// A path of a later round served: the device's late announcement, the other makers' main
    /// paths or the rest of the dictionary.
    Later,
    /// Every path was asked and none served.
    Exhausted,
    /// The rest of the dictionary's time was up.
    TimeUp,
    /// The port's HTTP side serves live media: the rest of the dictionary was not asked.
    LiveOverHttp,
    /// Every path asks for a login, and none was made (no credential, refused, locked out).
    Login,
    /// The server answers any path with a stream: only `/` was asked.
    AnyPath,
    /// The port stopped answering: the failure, as recorded.
    NoAnswer(String),
}

impl Stop {
    /// The name the report gives it.
    fn as_str(&self) -> &'static str {
        match self {
            Stop::Named => "named",
            Stop::Maker => "maker",
            Stop::FirstRound => "first-round",
            Stop::Later => "later-round",
            Stop::Exhausted => "exhausted",
            Stop::TimeUp => "time-up",
            Stop::LiveOverHttp => "live-over-http",
            Stop::Login => "login",
            Stop::AnyPath => "any-path",
            Stop::NoAnswer(_) => "no-answer",
        }
    }
}

/// The stop of a walk whose latest request failed: the failure it recorded.
pub(super) fn no_answer(failures: &[AnalyzeError]) -> Option<Stop> {
    failures.last().map(|e| Stop::NoAnswer(e.to_string()))
}

/// Why the first round ended the walk, if it did: what served (a path the device announced or
/// the user gave, a named maker's, another), the login it could not make; else `Exhausted`
/// (a later round says more).
pub(super) fn first_round_stop(
    (plan, candidates): (&Planned, &[String]),
    (found, served): (&[Found], &[String]),
    (any_path, any_path_auth, outcome): (bool, bool, &AuthOutcome),
) -> Stop {
    if any_path {
        return Stop::AnyPath;
    }
    let streams: Vec<&str> = found
        .iter()
        .filter(|f| matches!(f.answer, Answer::Media(_)))
        .map(|f| f.path.as_str())
        .chain(served.iter().map(String::as_str))
        .collect();
    if streams.is_empty() {
        return match outcome {
            AuthOutcome::Locked | AuthOutcome::Failed { .. } => Stop::Login,
            AuthOutcome::NotTried if any_path_auth => Stop::Login,
            _ => Stop::Exhausted,
        };
    }
    if streams.iter().any(|p| plan.first.iter().any(|g| g == p)) {
        Stop::Named
    } else if plan.mode == paths::WalkMode::Focused
        && plan.identity.by.is_some()
        && !plan.walk.fill.is_empty()
        && streams.iter().any(|p| candidates.iter().any(|c| c == p))
    {
        Stop::Maker
    } else {
        Stop::FirstRound
    }
}

/// The walk's account on `service` ([`account()`]): the maker whose paths went first (`latest` when
/// it `reordered` the rest, with the first path of that rest), which walk ran and why it stopped,
/// and, given the login's outcome when no path served, why none did ([`paths::why_none`]), or
/// that the port stopped answering.
fn tell_walk(
    service: &mut Service,
    walkers: &Walkers,
    (identity, latest, reordered): (
        &identity::Identity,
        &identity::Identity,
        Option<Option<&str>>,
    ),
    (plan, sent, stop): (&Planned, usize, Stop),
    none_served: Option<(paths::Login, Option<String>)>,
) {
    let by = if reordered.is_some() {
        latest
    } else {
        identity
    };
    service.path_walk = Some(Box::new(account(
        by,
        (plan, reordered),
        (sent, &stop),
        walkers,
    )));
    if let Some((login, left_behind)) = none_served {
        let mut note = match &stop {
            Stop::NoAnswer(why) => format!(
                "the port stopped answering after {sent} DESCRIBE request(s) of the path walk: {why}"
            ),
            _ => paths::why_none(latest, sent, &walkers.tally(), &login),
        };
        // No credential covered the address, and its device's known login was scoped to its old
        // one ([`ScanContext::login_left_behind`]).
        if let (paths::Login::NoCredential, Some(left)) = (login, left_behind) {
            note.push_str(&format!("; {left}"));
        }
        service.note = Some(note);
    }
}

/// How the login went, for [`paths::why_none`].
fn outcome_summary(
    outcome: &AuthOutcome,
    any_path_auth: bool,
    settings: &ScanContext,
    ip: std::net::IpAddr,
) -> paths::Login {
    match outcome {
        AuthOutcome::Succeeded(..) => paths::Login::Accepted,
        AuthOutcome::Failed { tried, .. } => paths::Login::Refused(*tried),
        AuthOutcome::Locked => paths::Login::Locked,
        AuthOutcome::NotTried if !any_path_auth => paths::Login::NotAsked,
        // Nothing sent: no entry covered the address when the login was due (a device recognised
        // only later had its known login left behind: [`ScanContext::login_left_behind`]).
        AuthOutcome::NotTried
            if settings.settings.get(&NO_AUTH)
                || settings.credentials_for(ip).is_empty()
                || settings.login_left_behind(ip, &[]).is_some() =>
        {
            paths::Login::NoCredential
        }
        AuthOutcome::NotTried => paths::Login::NotAsked,
    }
}

/// The walk's account for the report.
/// `reordered`: the first path of the rest of the walk, when a clue that came after the first
/// round ordered it.
fn account(
    identity: &identity::Identity,
    (plan, reordered): (&Planned, Option<Option<&str>>),
    (asked, stop): (usize, &Stop),
    walkers: &Walkers,
) -> model::PathWalk {
    let by = identity.by.as_ref();
    let walk = &plan.walk;
    model::PathWalk {
        maker: by.map(|c| c.maker.display_name().to_string()),
        model: identity.model.clone(),
        by: by.map(|c| c.source.as_str().to_string()),
        evidence: by.map(|c| c.said.clone()),
        named_by: by.and_then(|c| c.named_by.clone()),
        also: identity
            .others
            .iter()
            .map(|(m, s)| format!("{} ({})", m.display_name(), s.as_str()))
            .collect(),
        first: match reordered {
            Some(rest) => rest.map(str::to_string),
            None => walk
                .first
                .get(plan.first.len())
                .or(walk.fill.first())
                .cloned(),
        },
        after_first_round: reordered.is_some(),
        walk: input::choice::Choice::choice(plan.mode).to_string(),
        announced: u32::try_from(plan.announced).unwrap_or(u32::MAX),
        stopped: stop.as_str().to_string(),
        asked: u32::try_from(asked).unwrap_or(u32::MAX),
        answers: walkers
            .tally()
            .into_iter()
            .map(|(status, n)| (status.to_string(), n))
            .collect(),
    }
}

/// A path that answered with a login to make (or refused without one).
pub(super) fn asks_login(f: &Found) -> bool {
    matches!(f.answer, Answer::Auth { .. } | Answer::Forbidden)
}

/// Tell the walk on `service` ([`tell_walk`]): the DESCRIBEs sent (the random baseline path, the
/// paths asked and the login's), the maker whose paths went first (a later clue's only when it
/// ordered the rest that was walked: `walked_on`, the first round found nothing and the walk went
/// on), and, when no path served, how the login went.
pub(super) fn tell(
    service: &mut Service,
    walkers: &Walkers,
    (plan, latest, rounds): (&Planned, &identity::Identity, &super::opening::Rounds),
    (found, served, outcome, any_path_auth): (&[Found], &[String], &AuthOutcome, bool),
    walked_on: bool,
    (stop, settings): (Stop, &ScanContext),
) {
    let identity = &plan.identity;
    let sent = walkers.sent() as usize;
    let reordered = (latest.makers != identity.makers && walked_on).then(|| {
        rounds
            .fill
            .iter()
            .chain(&rounds.rest)
            .next()
            .map(String::as_str)
    });
    let any_stream = !served.is_empty()
        || found
            .iter()
            .any(|f| matches!(f.answer, Answer::Media(_)) || asks_login(f));
    let ip = walkers.list[0].addr.ip();
    let login = outcome_summary(outcome, any_path_auth, settings, ip);
    tell_walk(
        service,
        walkers,
        (identity, latest, reordered),
        (plan, sent, stop),
        (!any_stream).then(|| (login, settings.login_left_behind(ip, &[]))),
    );
}
