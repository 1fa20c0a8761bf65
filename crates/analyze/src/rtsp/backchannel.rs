//! Talk-back: does the device take audio from a client (the ONVIF RTSP backchannel)? One more
//! DESCRIBE of the port's main stream, with `Require: www.onvif.org/ver20/backchannel` (ONVIF
//! Streaming Specification 5.3.1, "RTSP Require-Tag"), read by [`proto::backchannel`].
//!
//! Read-only and within the lockout rules: nothing is set up or sent to the device but the
//! DESCRIBE, and only the credential that already opened the stream goes with it (no new login
//! attempt): a Digest challenge is fetched on the new connection first (a request without
//! credentials, as the walk does; GStreamer binds its nonce to the connection), and a refusal of
//! that proven credential marks the host locked, as the re-check does
//! ([`super::revisit`](mod@super::revisit)). A host the budget has marked locked is not asked.

use std::net::SocketAddr;

use super::walker::authorize;
use crate::context::ScanContext;
use credentials::Credential;
use error::{AnalyzeError, NetError};
use model::capabilities::Talkback;
use model::{Stream, main_stream};
use net::rtsp::{Busy, Reply, RtspClient, is_busy, retry_after, start_patience};
use proto::backchannel::{REQUIRE_TAG, Verdict, classify};

/// [`check`], its failure added to `failures`.
pub(super) async fn talkback(
    addr: SocketAddr,
    streams: &[Stream],
    settings: &ScanContext,
    failures: &mut Vec<AnalyzeError>,
) -> Option<Talkback> {
    match check(addr, streams, settings).await? {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::debug!(%addr, error = %e, "talk-back not known");
            failures.push(e);
            None
        }
    }
}

/// Ask the main stream among `streams` (those of this port; [`main_stream`]) for its backchannel.
/// `None` when no stream opened. The failure is what to note when the answer said nothing about
/// talk-back (a deadline, a refusal, 404...): no talk-back fact is recorded then.
async fn check(
    addr: SocketAddr,
    streams: &[Stream],
    settings: &ScanContext,
) -> Option<Result<Talkback, AnalyzeError>> {
    let main = main_stream(streams.iter().filter(|s| s.status.answers()))?;
    let url = plain_url(&main.url);
    let cred = match (&main.username, main.credential_entry) {
        (Some(user), Some(i)) => settings
            .auth
            .credentials
            .get(i)
            .filter(|c| &c.username == user),
        _ => None,
    };
    if main.username.is_some() && cred.is_none() {
        return Some(Err(AnalyzeError::Auth(format!(
            "talk-back check of {url} skipped: the credential that opened it is not known"
        ))));
    }
    let what = format!("talk-back DESCRIBE {url}");
    let answer = match cred {
        Some(c) => {
            // The host's login session, held while the proven credential is sent: no other
            // login of this scan runs on the host meanwhile, and a lockout is seen.
            let mut session = settings.auth.budget.session(addr.ip()).await;
            if session.locked() {
                return Some(Err(AnalyzeError::Auth(format!(
                    "{what} not sent: the host locked camscan out"
                ))));
            }
            let reply = describe(addr, &url, Some(c), settings).await;
            if let Ok((r, true)) = &reply
                && r.head.status == 401
            {
                // The credential that just opened the stream is refused: a lockout, as in the
                // re-check of a known device.
                session.mark_locked();
            }
            reply
        }
        None => describe(addr, &url, None, settings).await,
    };
    let reply = match answer {
        Ok((r, _)) => r,
        Err(e) => return Some(Err(AnalyzeError::from(e).within(what))),
    };
    Some(match classify(&reply.head, &reply.body) {
        Verdict::Yes {
            codec,
            sample_rate,
            channels,
            evidence,
        } => Ok(Talkback {
            supported: true,
            url,
            codec: Some(codec),
            sample_rate,
            channels,
            evidence,
            audio_outputs: None,
        }),
        Verdict::No { evidence } => Ok(Talkback {
            supported: false,
            url,
            codec: None,
            sample_rate: None,
            channels: None,
            evidence,
            audio_outputs: None,
        }),
        Verdict::Unknown { note } => Err(AnalyzeError::Refused(format!("{what}: {note}"))),
    })
}

/// DESCRIBE `url` on a connection of its own with the backchannel's `Require` header; with
/// `cred`, a 401's challenge is answered once on the same connection. Busy answers (503, 453)
/// are asked again within one step deadline, as the walk does. With the reply: whether the
/// credential went with the request it answers.
async fn describe(
    addr: SocketAddr,
    url: &str,
    cred: Option<&Credential>,
    settings: &ScanContext,
) -> Result<(Reply, bool), NetError> {
    let connect_timeout = settings.settings.get(&net::CONNECT_TIMEOUT);
    let timeout = settings.settings.get(&net::TIMEOUT);
    let mut client = RtspClient::connect(addr, connect_timeout, timeout).await?;
    // A server that builds the media on DESCRIBE (GStreamer builds a backchannel media afresh: it
    // is never shared, rtsp-onvif-media-factory.c) answers late but is not dead.
    let patience = start_patience(timeout);
    let mut busy = Busy::new(timeout);
    let mut authorization: Option<String> = None;
    let mut reconnected = false;
    loop {
        let mut headers = vec![("Accept", "application/sdp"), ("Require", REQUIRE_TAG)];
        if let Some(a) = authorization.as_deref() {
            headers.push(("Authorization", a));
        }
        let reply = match client
            .request_patient("DESCRIBE", url, &headers, patience)
            .await
        {
            Ok(r) => r,
            // Some cameras close after each reply: once, a fresh connection, and its own
            // challenge (a Digest nonce may be bound to the connection that gave it).
            Err(NetError::Closed { .. } | NetError::Io { .. }) if !reconnected => {
                reconnected = true;
                authorization = None;
                client = RtspClient::connect(addr, connect_timeout, timeout).await?;
                continue;
            }
            Err(e) => return Err(e),
        };
        tracing::debug!(url, status = reply.head.status, "talk-back DESCRIBE");
        if is_busy(reply.head.status) {
            settings.sessions.hurry(addr.ip());
            if busy.wait(retry_after(&reply.head)).await {
                continue;
            }
            return Ok((reply, authorization.is_some()));
        }
        if reply.head.status == 401
            && authorization.is_none()
            && let Some(c) = cred
        {
            let challenges: Vec<String> = reply
                .head
                .headers_named("www-authenticate")
                .take(8)
                .map(str::to_string)
                .collect();
            authorization = authorize(&challenges, c, "DESCRIBE", url);
            if authorization.is_some() {
                continue;
            }
        }
        return Ok((reply, authorization.is_some()));
    }
}

/// The stream's URL without the credential the report may show in it.
fn plain_url(shown: &str) -> String {
    match url::Url::parse(shown) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => shown.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Protocol;
    use model::StreamStatus;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A stream opened with the scan's only credential, on a listener that counts connections.
    async fn opened_with_a_credential() -> (SocketAddr, Arc<AtomicUsize>, Stream, ScanContext) {
        let l = tokio::net::TcpListener::bind("127.0.0.93:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let n = Arc::new(AtomicUsize::new(0));
        let seen = n.clone();
        tokio::spawn(async move {
            while let Ok((_s, _)) = l.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        });
        let d = Duration::from_secs(1);
        let mut settings = ScanContext::anonymous(d, d);
        settings.auth.credentials = Arc::new(vec![Credential::new("admin", "secret")]);
        let mut s = Stream::new(format!("rtsp://{addr}/live"), Protocol::Rtsp, addr.port());
        s.username = Some("admin".into());
        s.credential_entry = Some(0);
        (addr, n, s, settings)
    }

    /// A host the budget marked locked is not asked, even with the credential that worked.
    #[tokio::test]
    async fn a_locked_host_is_not_asked() {
        let (addr, connections, stream, settings) = opened_with_a_credential().await;
        settings.auth.budget.session(addr.ip()).await.mark_locked();
        let e = check(addr, &[stream], &settings)
            .await
            .unwrap()
            .unwrap_err();
        assert!(e.to_string().contains("locked"), "{e}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(connections.load(Ordering::SeqCst), 0);
    }

    /// Only a stream that opened is asked; without one there is nothing to say.
    #[tokio::test]
    async fn no_open_stream_no_question() {
        let (addr, connections, mut stream, settings) = opened_with_a_credential().await;
        stream.status = StreamStatus::AuthFailed;
        assert!(check(addr, &[stream], &settings).await.is_none());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(connections.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            plain_url("rtsp://admin:secret@127.0.0.1:8554/live?x=1"),
            "rtsp://127.0.0.1:8554/live?x=1"
        );
        assert_eq!(
            plain_url("rtsp://127.0.0.1:8554/live"),
            "rtsp://127.0.0.1:8554/live"
        );
    }
}
