//! A web server that serves the same MJPEG stream on any path (Motion 4.5's stream port, behind
//! its login: `/`, `/stream`, `/camscan-…`, `/video.mp4` all answer
//! `multipart/x-mixed-replace`) is one stream, not one per path asked: as the RTSP analysis
//! reports a server that answers DESCRIBE of any path at `/` only, a port whose root streams MJPEG
//! gets one `GET` of a made-up path (after the login, with it) before its dictionary: when that
//! streams MJPEG too, `/` is the one stream and nothing else is asked (Motion streams at about
//! 1 fps, and each MJPEG path read costs up to 9 s). An HTTP port with MJPEG on two or more other
//! paths gets the same question after them, and when the made-up path streams, only one of them
//! is kept (`/` when it streams, else the first found). The port's note says so. µStreamer's mjpg-streamer compatibility paths (`/?action=stream` beside
//! `/stream`) are its own aliases and are dropped the same way, without a request.

use std::net::SocketAddr;

use super::{HttpFindings, HttpSettings, login};
use model::{Protocol, Stream};

/// The MJPEG streams of `streams` that prove nothing when a made-up path streams MJPEG too:
/// every one but the one kept (`/` when it is among them, else the first). Their indexes.
pub fn aliases(streams: &[Stream], root_url: &str) -> Vec<usize> {
    let mjpeg: Vec<usize> = streams
        .iter()
        .enumerate()
        .filter(|(_, st)| st.protocol == Protocol::Mjpeg && st.status.answers())
        .map(|(i, _)| i)
        .collect();
    if mjpeg.len() < 2 {
        return Vec::new();
    }
    let kept = mjpeg
        .iter()
        .copied()
        .find(|&i| streams[i].url == root_url)
        .unwrap_or(mjpeg[0]);
    mjpeg.into_iter().filter(|&i| i != kept).collect()
}

/// mjpg-streamer's `/?action=NAME` streams that µStreamer serves as its aliases of `/NAME`
/// ("/?action=stream as alias to the /stream", its index page): those answering beside a `/NAME`
/// stream of the same kind on the port. Their indexes.
pub fn action_aliases(streams: &[Stream]) -> Vec<usize> {
    let path = |st: &Stream| {
        url::Url::parse(&st.url)
            .ok()
            .map(|u| (u.path().to_string(), u.query().map(str::to_string)))
    };
    streams
        .iter()
        .enumerate()
        .filter(|(_, st)| st.status.answers())
        .filter_map(|(i, st)| {
            let (p, q) = path(st)?;
            let name = q.as_deref()?.strip_prefix("action=")?.to_string();
            let plain = format!("/{name}");
            (p == "/"
                && streams.iter().any(|o| {
                    o.protocol == st.protocol
                        && o.status.answers()
                        && path(o).is_some_and(|(op, oq)| op == plain && oq.is_none())
                }))
            .then_some(i)
        })
        .collect()
}

/// Drop the indexes `dropped` from `streams`.
fn drop_indexes(streams: &mut Vec<Stream>, dropped: &[usize]) {
    let mut i = 0;
    streams.retain(|_| {
        i += 1;
        !dropped.contains(&(i - 1))
    });
}

/// Ask a made-up path when two or more paths stream MJPEG; when it streams MJPEG too, keep one.
/// mjpg-streamer-style aliases of a stream found by its own name go first ([`action_aliases`]).
pub async fn check(addr: SocketAddr, findings: &mut HttpFindings, s: &HttpSettings) {
    let aliases_found = action_aliases(&findings.streams);
    drop_indexes(&mut findings.streams, &aliases_found);
    let root_url = super::http_url(addr, "/", s.tls);
    let dropped = aliases(&findings.streams, &root_url);
    if dropped.is_empty() {
        return;
    }
    if !made_up_streams(addr, s).await {
        return;
    }
    drop_indexes(&mut findings.streams, &dropped);
    let kept = findings
        .streams
        .iter()
        .find(|st| st.protocol == Protocol::Mjpeg && st.status.answers())
        .map(|st| st.url.clone())
        .unwrap_or_default();
    tracing::info!(%addr, dropped = dropped.len(), "MJPEG on any path, a made-up one too");
    say(findings, &kept);
}

/// Whether a made-up path streams MJPEG (`2xx`, `multipart/x-mixed-replace`), asked with the
/// port's login when it has one; only the head is read.
pub async fn made_up_streams(addr: SocketAddr, s: &HttpSettings) -> bool {
    let Ok(answer) = login::open(addr, &login::made_up_path(), s).await else {
        return false;
    };
    (200..300).contains(&answer.head.status)
        && answer
            .head
            .header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().contains("multipart/x-mixed-replace"))
}

/// The port's note: only `kept` is reported.
pub fn say(findings: &mut HttpFindings, kept: &str) {
    let note = format!(
        "serves the same MJPEG stream on any path, a made-up one too: reporting only {kept}"
    );
    findings.note = Some(match findings.note.take() {
        Some(n) => format!("{n}; {note}"),
        None => note,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mjpeg(url: &str) -> Stream {
        Stream::new(url.into(), Protocol::Mjpeg, 8081)
    }

    /// Motion's stream port: `/` and dictionary paths all stream; `/` is kept, the snapshot too.
    #[test]
    fn one_mjpeg_per_port_when_any_path_streams() {
        let root = "http://10.0.0.5:8081/";
        let streams = vec![
            mjpeg("http://10.0.0.5:8081/video.mjpg"),
            mjpeg(root),
            Stream::new("http://10.0.0.5:8081/current".into(), Protocol::Jpeg, 8081),
            mjpeg("http://10.0.0.5:8081/mjpg/video.mjpg"),
        ];
        assert_eq!(aliases(&streams, root), [0, 3]);
        // Without `/` among them: the first is kept.
        assert_eq!(aliases(&streams[2..], root), Vec::<usize>::new());
        let two = vec![mjpeg("http://h/a.mjpg"), mjpeg("http://h/b.mjpg")];
        assert_eq!(aliases(&two, "http://h/"), [1]);
        // A locked path is no stream to compare.
        let mut locked = mjpeg("http://h/c.mjpg");
        locked.status = model::StreamStatus::AuthRequired;
        assert!(aliases(&[two[0].clone(), locked], "http://h/").is_empty());
    }

    /// µStreamer: `/?action=stream` beside `/stream` is its alias; on mjpg-streamer, where
    /// `/stream` is missing, `/?action=stream` is the stream.
    #[test]
    fn mjpg_streamer_actions_beside_their_names() {
        let streams = vec![
            mjpeg("http://h:8080/stream"),
            Stream::new("http://h:8080/snapshot".into(), Protocol::Jpeg, 8080),
            mjpeg("http://h:8080/?action=stream"),
            Stream::new(
                "http://h:8080/?action=snapshot".into(),
                Protocol::Jpeg,
                8080,
            ),
        ];
        assert_eq!(action_aliases(&streams), [2, 3]);
        assert!(action_aliases(&streams[2..]).is_empty());
        // Another kind at the plain name is no alias.
        let other = vec![
            Stream::new("http://h:8080/stream".into(), Protocol::Jpeg, 8080),
            mjpeg("http://h:8080/?action=stream"),
        ];
        assert!(action_aliases(&other).is_empty());
    }
}
