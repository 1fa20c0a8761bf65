//! A small hand-written RTSP/1.0 client for detection and path discovery.
//!
//! retina does not expose the `WWW-Authenticate` scheme and realm, nor the `Server` and `Public`
//! headers, and it rejects some real SDPs outright (`docs/design/crates.md`, "retina" and "retina's
//! strict SDP parser"). This client sends one request at a time on a kept-alive connection, with a
//! deadline on every read, a cap on every reply, and the pure parser from
//! [`proto::response`].

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use error::NetError;
use proto::response::{self, ResponseError, ResponseHead};

/// Largest reply body kept (an SDP). Cameradar caps whole replies at 64 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub use proto::USER_AGENT;

/// A server that answers `503 Service Unavailable` (GStreamer while it tears a shared media down;
/// Dahua while its connection limit is full, rroller/dahua#603) or `453 Not Enough Bandwidth` (a
/// camera whose few sessions are in use) says nothing about the path: it is busy. Ask again.
pub fn is_busy(status: u16) -> bool {
    matches!(status, 453 | 503)
}

/// A `Retry-After` value in delta-seconds (RFC 2326 §12.31; an HTTP-date is not honoured, the
/// backoff applies instead).
pub fn retry_after(head: &ResponseHead) -> Option<Duration> {
    let secs: u64 = head.header("retry-after")?.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(3600)))
}

/// First pause after a busy answer; each later one doubles (100, 200, 400, 800 ms...).
pub const BUSY_FIRST_PAUSE: Duration = Duration::from_millis(100);

/// Pauses between busy answers to one request, all within one step deadline.
#[derive(Debug)]
pub struct Busy {
    deadline: tokio::time::Instant,
    attempt: u32,
}

impl Busy {
    /// Busy answers may be waited out until `budget` from now (the step timeout).
    pub fn new(budget: Duration) -> Self {
        Busy {
            deadline: tokio::time::Instant::now() + budget,
            attempt: 0,
        }
    }

    /// Wait before asking again (the server's `Retry-After` when it gave one, else the backoff);
    /// `false` when that would pass the deadline: the server stayed busy.
    pub async fn wait(&mut self, retry_after: Option<Duration>) -> bool {
        let backoff = BUSY_FIRST_PAUSE * 2u32.saturating_pow(self.attempt.min(10));
        let pause = retry_after.unwrap_or(backoff);
        if tokio::time::Instant::now() + pause > self.deadline {
            return false;
        }
        self.attempt += 1;
        tokio::time::sleep(pause).await;
        true
    }

    /// Busy answers waited out so far.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

/// How long a server that starts its source when asked may take to answer DESCRIBE or PLAY, or to
/// send the first media packet: three step deadlines, at most 10 s, never less than one step.
/// GStreamer prepares a media on DESCRIBE and prerolls it again on PLAY, and an x264 encoder with
/// look-ahead (no zerolatency, as servers and NVR re-streamers run it) needs 1.5 s at 25 fps, 3.3 s
/// at 12 fps for its first frame each time; MediaMTX waits up to its `sourceOnDemandStartTimeout`
/// (10 s by default) for an on-demand source before answering DESCRIBE. Only the first byte gets
/// this patience: a reply that trickles still has one step deadline.
pub fn start_patience(timeout: Duration) -> Duration {
    (timeout * 3).min(Duration::from_secs(10)).max(timeout)
}

/// How much of a reply's body to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// All of its `Content-Length` (refused above [`MAX_BODY_BYTES`]): RTSP replies, an SDP.
    Whole,
    /// Only what arrived with the head: the head is the answer (detection's `GET /`), and a body that
    /// is huge or trickles must cost nothing.
    Arrived,
}

/// An RTSP status with its reason phrase as RFC 2326 §7.1.1 names it (`400 Bad Request`, `461
/// Unsupported Transport`), for messages in words; the bare number for one it does not name.
pub fn status_words(status: u16) -> String {
    let phrase = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        451 => "Parameter Not Understood",
        453 => "Not Enough Bandwidth",
        454 => "Session Not Found",
        455 => "Method Not Valid in This State",
        459 => "Aggregate operation not allowed",
        461 => "Unsupported Transport",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => return status.to_string(),
    };
    format!("{status} {phrase}")
}

/// A reply: head and (possibly empty) body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub head: ResponseHead,
    pub body: Vec<u8>,
}

/// What a playing connection carries ([`RtspClient::next_item`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interleaved {
    Frame {
        channel: u8,
        data: Vec<u8>,
    },
    /// An RTSP answer (with its status) or a request of the server's; its body was skipped.
    Message {
        status: Option<u16>,
        cseq: Option<u32>,
    },
}

/// How many timed-out requests a connection remembers, to drop their late replies.
const MAX_UNANSWERED: usize = 8;

/// One RTSP connection.
pub struct RtspClient {
    stream: TcpStream,
    addr: SocketAddr,
    cseq: u32,
    /// Bytes read past the end of the previous reply.
    buf: Vec<u8>,
    timeout: Duration,
    /// The CSeqs of requests whose deadline passed (the last [`MAX_UNANSWERED`]): their replies
    /// may still come, and must not be read as a later request's ([`read_reply`](Self::read_reply)
    /// drops them by CSeq).
    unanswered: Vec<u32>,
}

impl RtspClient {
    /// Change the deadline of each later request (detection's client carries on into analysis).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    pub fn new(stream: TcpStream, addr: SocketAddr, timeout: Duration) -> Self {
        RtspClient {
            stream,
            addr,
            cseq: 0,
            buf: Vec::new(),
            timeout,
            unanswered: Vec::new(),
        }
    }

    pub async fn connect(
        addr: SocketAddr,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Self, NetError> {
        // A slot of the device's gate while the connection is made.
        let _slot = crate::host_gate::connection(addr.ip()).await;
        let stream = crate::connect_stream(addr, connect_timeout).await?;
        Ok(Self::new(stream, addr, timeout))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// This end's address of the connection.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.stream.local_addr().ok()
    }

    /// Send `METHOD url RTSP/1.0` with CSeq, User-Agent and `extra` header lines; read the reply.
    pub async fn request(
        &mut self,
        method: &str,
        url: &str,
        extra: &[(&str, &str)],
    ) -> Result<Reply, NetError> {
        let req = self.format_request(method, url, extra);
        self.send(req.as_bytes(), format!("RTSP {method} {url}"))
            .await
    }

    /// The next request's bytes (its CSeq taken).
    fn format_request(&mut self, method: &str, url: &str, extra: &[(&str, &str)]) -> String {
        self.cseq += 1;
        // The request line only: a header may carry a credential.
        tracing::trace!(method, url, cseq = self.cseq, "RTSP request");
        let mut req = format!(
            "{method} {url} RTSP/1.0\r\nCSeq: {}\r\nUser-Agent: {USER_AGENT}\r\n",
            self.cseq
        );
        for (k, v) in extra {
            req.push_str(k);
            req.push_str(": ");
            req.push_str(v);
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        req
    }

    /// Send a request without reading its answer, under the client's deadline: on a connection
    /// that is playing, the answer comes between interleaved frames ([`next_item`](Self::next_item)).
    /// Returns its CSeq.
    pub async fn send_request(
        &mut self,
        method: &str,
        url: &str,
        extra: &[(&str, &str)],
    ) -> Result<u32, NetError> {
        let req = self.format_request(method, url, extra);
        let (addr, timeout) = (self.addr, self.timeout);
        let what = format!("RTSP {method} {url}");
        let _slot = crate::host_gate::open(addr.ip(), crate::host_gate::Wire::Rtsp).await;
        match tokio::time::timeout(timeout, self.stream.write_all(req.as_bytes())).await {
            Ok(Ok(())) => Ok(self.cseq),
            Ok(Err(source)) => Err(NetError::Io { addr, what, source }),
            Err(_) => Err(NetError::Timeout {
                addr,
                what,
                timeout,
            }),
        }
    }

    /// The next interleaved frame or RTSP message on a playing connection ([`proto::rtp`]);
    /// no deadline of its own (the caller's).
    pub async fn next_item(&mut self) -> Result<Interleaved, NetError> {
        use proto::rtp::{Item, next};
        let what = "RTSP interleaved data";
        loop {
            match next(&self.buf) {
                Ok(Some((item, n))) => {
                    let item = match item {
                        Item::Frame { channel, data } => Interleaved::Frame {
                            channel,
                            data: data.to_vec(),
                        },
                        Item::Message { status, cseq } => Interleaved::Message { status, cseq },
                    };
                    self.buf.drain(..n);
                    return Ok(item);
                }
                Ok(None) => self.fill(what).await?,
                Err(e) => {
                    return Err(NetError::Malformed {
                        addr: self.addr,
                        what: what.to_string(),
                        reason: e.to_string(),
                    });
                }
            }
        }
    }

    /// [`request`](Self::request), but the reply's first byte may take up to `patience` (the
    /// rest of the reply still has the client's deadline): a server that starts its source on
    /// DESCRIBE answers late but is not dead (see [`start_patience`]).
    pub async fn request_patient(
        &mut self,
        method: &str,
        url: &str,
        extra: &[(&str, &str)],
        patience: Duration,
    ) -> Result<Reply, NetError> {
        if patience <= self.timeout {
            return self.request(method, url, extra).await;
        }
        let what = format!("RTSP {method} {url}");
        let (addr, saved) = (self.addr, self.timeout);
        let _slot = crate::host_gate::open(addr.ip(), crate::host_gate::Wire::Rtsp).await;
        let first = async {
            let req = self.format_request(method, url, extra);
            self.stream
                .write_all(req.as_bytes())
                .await
                .map_err(|source| NetError::Io {
                    addr,
                    what: what.clone(),
                    source,
                })?;
            if self.buf.is_empty() {
                self.fill(&what).await?;
            }
            Ok(())
        };
        match tokio::time::timeout(patience, first).await {
            Err(_) => {
                self.timed_out();
                return Err(NetError::Timeout {
                    addr,
                    what,
                    timeout: patience,
                });
            }
            Ok(Err(e)) => return Err(e),
            Ok(Ok(())) => {}
        }
        match tokio::time::timeout(saved, self.read_reply(&what, Body::Whole)).await {
            Ok(r) => r,
            Err(_) => {
                self.timed_out();
                Err(NetError::Timeout {
                    addr,
                    what,
                    timeout: saved,
                })
            }
        }
    }

    /// [`request_patient`](Self::request_patient), the patience given only to a peer that has
    /// earned it: the reply's first byte has the client's deadline; when it has not come by then,
    /// `earned` is asked (it may wait, for instance for the device's other ports to say what they
    /// are, while the reply is still read), and only when it says yes may the first byte take the
    /// rest of `patience` from the request. A silent peer with no such sign costs one deadline.
    pub async fn request_patient_if(
        &mut self,
        method: &str,
        url: &str,
        extra: &[(&str, &str)],
        patience: Duration,
        earned: impl std::future::Future<Output = bool>,
    ) -> Result<Reply, NetError> {
        if patience <= self.timeout {
            return self.request(method, url, extra).await;
        }
        let what = format!("RTSP {method} {url}");
        let (addr, saved) = (self.addr, self.timeout);
        let _slot = crate::host_gate::open(addr.ip(), crate::host_gate::Wire::Rtsp).await;
        let asked = tokio::time::Instant::now();
        let req = self.format_request(method, url, extra);
        let io = |source| NetError::Io {
            addr,
            what: what.clone(),
            source,
        };
        match tokio::time::timeout(saved, self.stream.write_all(req.as_bytes())).await {
            Ok(r) => r.map_err(io)?,
            Err(_) => {
                self.timed_out();
                return Err(NetError::Timeout {
                    addr,
                    what,
                    timeout: saved,
                });
            }
        }
        if self.buf.is_empty() {
            let mut waited = saved;
            let first = tokio::time::timeout_at(asked + saved, self.fill(&what)).await;
            let first = match first {
                Ok(r) => Some(r),
                Err(_) => {
                    // Silent for one deadline: more only for a peer that has shown it is a media
                    // server (the answer is still read while that is asked).
                    let until = asked + patience;
                    let mut earned = std::pin::pin!(earned);
                    let mut asking = true;
                    let mut got = None;
                    while got.is_none() {
                        tokio::select! {
                            r = self.fill(&what) => got = Some(r),
                            yes = &mut earned, if asking => {
                                asking = false;
                                if !yes {
                                    break;
                                }
                                waited = patience;
                            }
                            () = tokio::time::sleep_until(until) => break,
                        }
                    }
                    if asking {
                        // Still asking at the end: the sign did not come in time.
                        waited = saved.max(asked.elapsed().min(patience));
                    }
                    got
                }
            };
            match first {
                Some(r) => r?,
                None => {
                    self.timed_out();
                    return Err(NetError::Timeout {
                        addr,
                        what,
                        timeout: waited,
                    });
                }
            }
        }
        match tokio::time::timeout(saved, self.read_reply(&what, Body::Whole)).await {
            Ok(r) => r,
            Err(_) => {
                self.timed_out();
                Err(NetError::Timeout {
                    addr,
                    what,
                    timeout: saved,
                })
            }
        }
    }

    /// Send raw request bytes and read one reply, under the client's deadline. `what` names the
    /// request in errors.
    pub async fn send(&mut self, req: &[u8], what: String) -> Result<Reply, NetError> {
        self.send_reading(req, what, Body::Whole, crate::host_gate::Wire::Rtsp)
            .await
    }

    async fn send_reading(
        &mut self,
        req: &[u8],
        what: String,
        body: Body,
        wire: crate::host_gate::Wire,
    ) -> Result<Reply, NetError> {
        let addr = self.addr;
        let timeout = self.timeout;
        // A slot and a token of the device's gate, the slot held until the reply is in.
        let _slot = crate::host_gate::open(addr.ip(), wire).await;
        match tokio::time::timeout(timeout, self.exchange(req, &what, body)).await {
            Ok(r) => r,
            Err(_) => {
                self.timed_out();
                Err(NetError::Timeout {
                    addr,
                    what,
                    timeout,
                })
            }
        }
    }

    async fn exchange(&mut self, req: &[u8], what: &str, body: Body) -> Result<Reply, NetError> {
        let io_err = |source| NetError::Io {
            addr: self.addr,
            what: what.to_string(),
            source,
        };
        self.stream.write_all(req).await.map_err(io_err)?;
        self.read_reply(what, body).await
    }

    /// Read one reply (head, then as much body as `body` says) from what arrived and arrives.
    /// A late reply to an earlier request that timed out (its CSeq below this request's) is read
    /// whole and dropped, so it is never taken for this request's answer.
    async fn read_reply(&mut self, what: &str, body: Body) -> Result<Reply, NetError> {
        loop {
            let (head, head_len) = self.read_head(what).await?;
            if !self.is_late(&head) {
                return self.read_body(head, head_len, what, body).await;
            }
            tracing::debug!(addr = %self.addr, what, "RTSP: dropped a late reply to an earlier request");
            self.read_body(head, head_len, what, Body::Whole).await?;
        }
    }

    /// The request just sent ran out of time: its answer may still come.
    fn timed_out(&mut self) {
        if self.unanswered.len() == MAX_UNANSWERED {
            self.unanswered.remove(0);
        }
        self.unanswered.push(self.cseq);
    }

    /// Whether `head` answers an earlier request whose deadline passed, not the one just sent
    /// (taking it off the list). A reply without a CSeq, or with one never sent, is this request's.
    fn is_late(&mut self, head: &ResponseHead) -> bool {
        let Some(cseq) = head
            .header("CSeq")
            .and_then(|v| v.trim().parse::<u32>().ok())
        else {
            return false;
        };
        match self
            .unanswered
            .iter()
            .position(|&c| c == cseq && c != self.cseq)
        {
            Some(i) => {
                self.unanswered.remove(i);
                true
            }
            None => false,
        }
    }

    /// A reply's head, read from what arrived and arrives.
    async fn read_head(&mut self, what: &str) -> Result<(ResponseHead, usize), NetError> {
        loop {
            match response::parse_head(&self.buf) {
                Ok(Some(done)) => return Ok(done),
                Ok(None) => {}
                Err(ResponseError::TooLong) => {
                    return Err(NetError::TooLarge {
                        addr: self.addr,
                        what: what.to_string(),
                        limit: response::MAX_HEAD_BYTES,
                    });
                }
                Err(e) => {
                    return Err(NetError::Malformed {
                        addr: self.addr,
                        what: what.to_string(),
                        reason: e.to_string(),
                    });
                }
            }
            self.fill(what).await?;
        }
    }

    /// The body of the reply whose head was just read (as much as `body` says).
    async fn read_body(
        &mut self,
        head: ResponseHead,
        head_len: usize,
        what: &str,
        body: Body,
    ) -> Result<Reply, NetError> {
        // Requests read replies only before PLAY (a playing connection is read with `next_item`),
        // so no interleaved frame comes before the reply.
        let body_len = head.content_length().unwrap_or(0);
        if body == Body::Arrived {
            let end = self.buf.len().min(head_len + body_len.min(MAX_BODY_BYTES));
            let body = self.buf[head_len..end].to_vec();
            self.buf.clear(); // the connection is not used again
            return Ok(Reply { head, body });
        }
        if body_len > MAX_BODY_BYTES {
            return Err(NetError::TooLarge {
                addr: self.addr,
                what: what.to_string(),
                limit: MAX_BODY_BYTES,
            });
        }
        while self.buf.len() < head_len + body_len {
            self.fill(what).await?;
        }
        let body = self.buf[head_len..head_len + body_len].to_vec();
        self.buf.drain(..head_len + body_len);
        Ok(Reply { head, body })
    }

    async fn fill(&mut self, what: &str) -> Result<(), NetError> {
        let mut chunk = [0u8; 4096];
        let n = self
            .stream
            .read(&mut chunk)
            .await
            .map_err(|source| NetError::Io {
                addr: self.addr,
                what: what.to_string(),
                source,
            })?;
        if n == 0 {
            return Err(NetError::Closed {
                addr: self.addr,
                what: what.to_string(),
                received: self.buf.len(),
            });
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// `GET path HTTP/1.0` on a fresh connection; returns as soon as the reply head is complete, with
/// whatever body bytes arrived with it. HTTP/1.0 with `Connection: close` keeps old camera web servers
/// simple. Detection uses this rather than [`crate::http::send`] because the head is all it needs:
/// a body that never ends (an MJPEG stream on `/`), trickles, or declares 100 MB costs nothing, where
/// `send` reads on to its cap or deadline.
pub async fn http_get(
    addr: SocketAddr,
    path: &str,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<Reply, NetError> {
    let mut client = RtspClient::connect(addr, connect_timeout, timeout).await?;
    let host = match addr {
        SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    };
    let req = format!(
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    client
        .send_reading(
            req.as_bytes(),
            format!("HTTP GET {path}"),
            Body::Arrived,
            crate::host_gate::Wire::Http,
        )
        .await
}

/// `rtsp://host:port/path` for an address (IPv6 in brackets, a link-local one with its zone as
/// `[fe80::1%25eth0]`: [`crate::zone::authority`]), path starting with `/`.
pub fn url(addr: SocketAddr, path: &str) -> String {
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    format!("rtsp://{}{path}", crate::zone::authority(addr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    async fn serve(replies: Vec<&'static [u8]>) -> SocketAddr {
        serve_on("127.0.0.1", replies).await
    }

    async fn serve_on(ip: &str, replies: Vec<&'static [u8]>) -> SocketAddr {
        let l = TcpListener::bind((ip, 0)).await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = [0u8; 2048];
            for r in replies {
                let _ = s.read(&mut buf).await;
                s.write_all(r).await.unwrap();
            }
            // then go silent
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        addr
    }

    #[tokio::test]
    async fn keeps_alive_and_reads_bodies() {
        let addr = serve(vec![
            b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n",
            b"RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 5\r\n\r\nv=0\r\n",
        ])
        .await;
        let mut c = RtspClient::connect(addr, Duration::from_secs(1), Duration::from_secs(1))
            .await
            .unwrap();
        let r = c.request("OPTIONS", &url(addr, "/"), &[]).await.unwrap();
        assert_eq!(r.head.header("public"), Some("OPTIONS, DESCRIBE"));
        let r = c
            .request(
                "DESCRIBE",
                &url(addr, "/x"),
                &[("Accept", "application/sdp")],
            )
            .await
            .unwrap();
        assert_eq!(r.body, b"v=0\r\n");
    }

    #[tokio::test(start_paused = true)]
    async fn silent_peer_times_out_naming_the_request() {
        let addr = serve(vec![]).await;
        let mut c = RtspClient::connect(addr, Duration::from_secs(1), Duration::from_secs(2))
            .await
            .unwrap();
        let e = c
            .request("OPTIONS", &url(addr, "/"), &[])
            .await
            .unwrap_err();
        assert!(matches!(e, NetError::Timeout { .. }), "{e}");
        assert!(e.to_string().contains("RTSP OPTIONS"), "{e}");
        assert!(e.to_string().contains("2s"), "{e}");
    }

    /// A DESCRIBE answered after its deadline (a source that starts slowly): its late 200 arrives
    /// just before the next request's 404 and must not be read as that request's answer.
    #[tokio::test(start_paused = true)]
    async fn a_late_reply_is_not_taken_for_the_next_requests() {
        let l = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf).await; // DESCRIBE /slow (CSeq 1)
            let _ = s.read(&mut buf).await; // DESCRIBE /other (CSeq 2), after 1's deadline
            s.write_all(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 5\r\n\r\nv=0\r\n")
                .await
                .unwrap();
            s.write_all(b"RTSP/1.0 404 Not Found\r\nCSeq: 2\r\n\r\n")
                .await
                .unwrap();
            let _ = s.read(&mut buf).await; // OPTIONS (CSeq 3), a server that echoes no CSeq
            s.write_all(b"RTSP/1.0 200 OK\r\n\r\n").await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let mut c = RtspClient::connect(addr, Duration::from_secs(1), Duration::from_secs(2))
            .await
            .unwrap();
        let e = c.request("DESCRIBE", &url(addr, "/slow"), &[]).await;
        assert!(matches!(e, Err(NetError::Timeout { .. })), "{e:?}");
        let r = c
            .request("DESCRIBE", &url(addr, "/other"), &[])
            .await
            .unwrap();
        assert_eq!(
            r.head.status, 404,
            "the late 200 of /slow was read as /other's"
        );
        assert_eq!(r.head.header("CSeq"), Some("2"));
        let r = c.request("OPTIONS", &url(addr, "/"), &[]).await.unwrap();
        assert_eq!(r.head.status, 200);
    }

    #[tokio::test]
    async fn oversized_body_is_refused() {
        let addr = serve(vec![b"RTSP/1.0 200 OK\r\nContent-Length: 99999999\r\n\r\n"]).await;
        let mut c = RtspClient::connect(addr, Duration::from_secs(1), Duration::from_secs(1))
            .await
            .unwrap();
        let e = c
            .request("DESCRIBE", &url(addr, "/"), &[])
            .await
            .unwrap_err();
        assert!(matches!(e, NetError::TooLarge { .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn http_get_returns_the_head_of_a_huge_or_slow_body() {
        // A hostile web server: 100 MB declared, a few bytes sent, then nothing.
        let addr = serve_on("127.0.0.93", vec![
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 104857600\r\n\r\n<html>",
        ])
        .await;
        let started = tokio::time::Instant::now();
        let r = http_get(addr, "/", Duration::from_secs(1), Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(r.head.status, 200);
        assert_eq!(r.body, b"<html>");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "no wait for the body"
        );
    }

    #[test]
    fn urls() {
        let a: SocketAddr = "127.0.0.11:554".parse().unwrap();
        assert_eq!(url(a, "/x?y=1"), "rtsp://127.0.0.11:554/x?y=1");
        let b: SocketAddr = "[::1]:8554".parse().unwrap();
        assert_eq!(url(b, "live"), "rtsp://[::1]:8554/live");
    }
}
