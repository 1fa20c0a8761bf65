//! The channel walk of multi-channel devices (NVRs, encoders): channel 1, 2, ... of the scheme
//! that found a stream, until a gap (or the channel count SADP/DHIP announced).

use super::Found;
use super::walker::{Answer, Walkers};
use crate::paths::{ChannelScheme, MAX_CHANNELS};
use credentials::Credential;
use error::AnalyzeError;
use std::net::SocketAddr;

/// Walk the channels of every channel scheme the found paths use. An announced count bounds the
/// walk and lets it step over gaps; otherwise the first missing channel ends it, and the channel
/// after it is returned per scheme, to go on from if a count is announced later
/// ([`walk_resumed`]). An error ends the whole walk.
/// `served` are the paths the login found a stream on (analysed at once, so not in `found`): an
/// NVR is behind a login, so its channel 1 is usually one of them.
pub(super) async fn walk_channels(
    walkers: &mut Walkers,
    (found, served): (&mut Vec<Found>, &[String]),
    cred: Option<&Credential>,
    failures: &mut Vec<AnalyzeError>,
    addr: SocketAddr,
    announced: Option<u32>,
) -> Vec<(ChannelScheme, u32)> {
    let last = announced.map_or(MAX_CHANNELS, |n| n.clamp(1, MAX_CHANNELS));
    let mut schemes: Vec<ChannelScheme> = Vec::new();
    for scheme in found
        .iter()
        .filter(|f| matches!(f.answer, Answer::Media(_)))
        .map(|f| f.path.as_str())
        .chain(served.iter().map(String::as_str))
        .filter_map(ChannelScheme::of)
    {
        if !schemes.contains(&scheme) {
            schemes.push(scheme);
        }
    }
    let mut resume = Vec::new();
    for scheme in schemes {
        let stop_at_gap = announced.is_none();
        // Unless a count was announced, channel 2's main stream first, alone: a camera (one
        // channel) answers it missing and is asked nothing more about channels, neither its sub
        // stream nor the impossible channel below (issue 83: ask each camera only what it needs).
        if stop_at_gap {
            let second = scheme.paths(2)[0].clone();
            if !found.iter().any(|f| f.path == second) {
                match walkers.first().describe(&second, cred).await {
                    Ok(Answer::Media(_)) => {}
                    Ok(_) => {
                        resume.push((scheme, 3));
                        continue;
                    }
                    Err(e) => {
                        failures.push(e.into());
                        continue;
                    }
                }
            }
        }
        // A channel no device has: if it "exists", the server ignores the channel number.
        let impossible = scheme.paths(MAX_CHANNELS + 33)[0].clone();
        match walkers.first().describe(&impossible, cred).await {
            Ok(Answer::Missing) => {}
            Ok(_) => {
                tracing::info!(%addr, "channel numbers are not checked by the server; not walking channels");
                continue;
            }
            Err(e) => {
                failures.push(e.into());
                continue;
            }
        }
        match walk_scheme(
            walkers,
            found,
            cred,
            failures,
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
pub(super) async fn walk_resumed(
    walkers: &mut Walkers,
    found: &mut Vec<Found>,
    cred: Option<&Credential>,
    failures: &mut Vec<AnalyzeError>,
    resume: Vec<(ChannelScheme, u32)>,
    announced: u32,
) {
    let last = announced.clamp(1, MAX_CHANNELS);
    for (scheme, from) in resume {
        if let WalkEnd::Failed =
            walk_scheme(walkers, found, cred, failures, &scheme, from, last, false).await
        {
            return;
        }
    }
}

/// How one scheme's walk ended.
pub(super) enum WalkEnd {
    Done,
    /// This channel was missing and the walk stopped there.
    Gap(u32),
    Failed,
}

/// DESCRIBE channels `from..=last` of one scheme; a missing channel ends the walk when
/// `stop_at_gap`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn walk_scheme(
    walkers: &mut Walkers,
    found: &mut Vec<Found>,
    cred: Option<&Credential>,
    failures: &mut Vec<AnalyzeError>,
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
                    failures.push(e.into());
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
