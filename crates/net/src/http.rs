//! A small HTTP/1.1 client: for SOAP one POST per connection (`Connection: close`), a deadline on the
//! whole exchange, a cap on the body, optional HTTP Digest/Basic answer to a 401; and [`open_get`]
//! for stream detection, whose body is read as it arrives.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::rtsp::{Reply, USER_AGENT};
use error::NetError;
use proto::response::{self, HeadProtocol};

/// Largest body kept (SOAP replies are a few KiB; GetProfiles of a 64-channel NVR tens of KiB).
pub const MAX_BODY: usize = 512 * 1024;

/// One request.
pub struct Request<'a> {
    /// `POST` or `GET`.
    pub method: &'a str,
    /// `Host:` header value.
    pub host: &'a str,
    pub path: &'a str,
    pub content_type: &'a str,
    pub body: &'a str,
    pub authorization: Option<&'a str>,
}

/// Send `req` to `addr` and read the reply, under `timeout` for the whole exchange.
pub async fn send(
    addr: SocketAddr,
    req: &Request<'_>,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<Reply, NetError> {
    send_over(addr, req, false, connect_timeout, timeout).await
}

/// [`send`], over TLS when `tls` (any certificate accepted, see [`crate::tls`]).
pub async fn send_over(
    addr: SocketAddr,
    req: &Request<'_>,
    tls: bool,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<Reply, NetError> {
    let (method, path) = (req.method, req.path);
    let what = format!("HTTP{} {method} {path}", if tls { "S" } else { "" });
    // One request on a connection of its own: a slot and a token of the device's gate.
    let _slot = crate::host_gate::open(addr.ip(), crate::host_gate::Wire::Http).await;
    let mut stream: Box<dyn Io> = if tls {
        Box::new(crate::tls::connect(addr, connect_timeout, timeout).await?.0)
    } else {
        Box::new(crate::connect_stream(addr, connect_timeout).await?)
    };
    let req = request_text(req);
    let exchange = async {
        stream.write_all(req.as_bytes()).await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.len() > MAX_BODY + response::MAX_HEAD_BYTES {
                break;
            }
            // Stop as soon as a Content-Length body is complete.
            if let Ok(Some((head, len))) = response::parse_head(&buf)
                && let Some(cl) = head.content_length()
                && buf.len() >= len + cl
            {
                break;
            }
        }
        Ok::<_, std::io::Error>(buf)
    };
    let buf = match tokio::time::timeout(timeout, exchange).await {
        Err(_) => {
            return Err(NetError::Timeout {
                addr,
                what,
                timeout,
            });
        }
        Ok(Err(source)) => return Err(NetError::Io { addr, what, source }),
        Ok(Ok(buf)) => buf,
    };
    let (head, len) = match response::parse_head(&buf) {
        Ok(Some(h)) => h,
        Ok(None) => {
            return Err(NetError::Closed {
                addr,
                what,
                received: buf.len(),
            });
        }
        Err(e) => {
            return Err(NetError::Malformed {
                addr,
                what,
                reason: e.to_string(),
            });
        }
    };
    if head.protocol != HeadProtocol::Http {
        return Err(NetError::Malformed {
            addr,
            what,
            reason: "not an HTTP reply".into(),
        });
    }
    let raw = &buf[len..];
    let body = if head
        .header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    {
        proto::http::dechunk(raw, MAX_BODY)
    } else {
        let n = head
            .content_length()
            .unwrap_or(raw.len())
            .min(raw.len())
            .min(MAX_BODY);
        raw[..n].to_vec()
    };
    Ok(Reply { head, body })
}

/// The bytes of `req` on the wire: one request, the connection closed after it.
fn request_text(req: &Request<'_>) -> String {
    let Request {
        method,
        host,
        path,
        content_type,
        body,
        authorization,
    } = *req;
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\nConnection: close\r\n"
    );
    if !body.is_empty() || method == "POST" {
        // WHEP answers are only taken as SDP.
        if content_type == "application/sdp" {
            text.push_str("Accept: application/sdp\r\n");
        }
        text.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    if let Some(a) = authorization {
        text.push_str("Authorization: ");
        text.push_str(a);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    text
}

/// The `Authorization` answering a 401's `WWW-Authenticate` values (its first 8 challenges:
/// the strongest offered, [`strongest_client`]) to `GET path` as `username`/`password`;
/// `None` when there is no challenge we can answer.
pub fn answer_challenges(
    challenges: &[&str],
    username: &str,
    password: &str,
    path: &str,
) -> Option<String> {
    let (mut client, _) = strongest_client(challenges)?;
    client
        .respond(&http_auth::PasswordParams {
            username,
            password,
            uri: path,
            method: "GET",
            body: None,
        })
        .ok()
}

/// The client answering the strongest challenge of `values` (`WWW-Authenticate` values, their
/// first 8, 8 challenges each) that http-auth answers, with its login scheme's name
/// ([`proto::auth::login_scheme`]): Digest SHA-256 before SHA-512/256 before MD5, then
/// Basic.
///
/// Why not http-auth's own choice: its `PasswordClient` builder takes the *first* Digest
/// challenge it can parse (measured: offered MD5 then SHA-256, it answers MD5), following RFC
/// 7616 §3.7's "use the first challenge it supports, unless a local policy dictates
/// otherwise"; camscan's policy is the strongest hash (RFC 7616 §1 keeps MD5 only for backward
/// compatibility), so the challenges are ordered before it chooses. A challenge http-auth cannot
/// read (an unknown algorithm, a syntax error) is skipped.
pub fn strongest_client(values: &[&str]) -> Option<(http_auth::PasswordClient, String)> {
    let mut offered: Vec<(u8, String, http_auth::ChallengeRef<'_>)> = Vec::new();
    for v in values.iter().take(8) {
        for c in http_auth::ChallengeParser::new(v).take(8) {
            let Ok(mut c) = c else { break };
            registered_spelling(&mut c);
            let algorithm = c
                .params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("algorithm"))
                .map(|(_, v)| v.to_unescaped());
            let name = proto::auth::login_scheme(&proto::auth::Challenge {
                scheme: c.scheme.to_ascii_lowercase(),
                realm: None,
                algorithm,
            });
            offered.push((model::capabilities::login_rank(&name), name, c));
        }
    }
    offered.sort_by_key(|(rank, ..)| *rank); // stable: the server's order within a rank
    offered.into_iter().find_map(|(_, name, c)| {
        http_auth::PasswordClient::try_from(&c)
            .ok()
            .map(|client| (client, name))
    })
}

/// Give a Digest challenge's `algorithm` its registered spelling
/// ([`proto::auth::registered_algorithm`]): http-auth knows `MD5`, not Motion's `md5`.
fn registered_spelling(c: &mut http_auth::ChallengeRef<'_>) {
    for (k, v) in c.params.iter_mut() {
        if k.eq_ignore_ascii_case("algorithm")
            && let Some(name) = proto::auth::registered_algorithm(&v.to_unescaped())
            && let Ok(value) = http_auth::ParamValue::try_from_escaped(name)
        {
            *v = value;
        }
    }
}

/// A `GET` whose body is read as it arrives: for bodies that never end (MJPEG) or that we only need
/// the start of (a page, a playlist). Every read has the caller's deadline.
pub struct OpenGet {
    pub head: response::ResponseHead,
    /// Body bytes that arrived with the head.
    pub body: Vec<u8>,
    /// What the TLS handshake agreed on (HTTPS only).
    pub tls: Option<crate::tls::TlsInfo>,
    stream: Box<dyn Io>,
    addr: SocketAddr,
    what: String,
    timeout: Duration,
}

/// A byte stream a request can go over: TCP, or TLS over TCP.
pub trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// Send `GET path` (HTTP/1.1, `Connection: close`) and read up to the end of the reply head; over TLS
/// when `tls` (any certificate accepted, see [`crate::tls`]).
pub async fn open_get(
    addr: SocketAddr,
    path: &str,
    tls: bool,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<OpenGet, NetError> {
    open_get_as(addr, path, tls, None, connect_timeout, timeout).await
}

/// [`open_get`] with an `Authorization` header (an answer to the server's challenge).
pub async fn open_get_as(
    addr: SocketAddr,
    path: &str,
    tls: bool,
    authorization: Option<&str>,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<OpenGet, NetError> {
    let what = format!("HTTP{} GET {path}", if tls { "S" } else { "" });
    // A slot of the device's gate until the reply's head is in.
    let slot = crate::host_gate::open(addr.ip(), crate::host_gate::Wire::Http).await;
    let (mut stream, tls_info): (Box<dyn Io>, _) = if tls {
        let (s, info) = crate::tls::connect(addr, connect_timeout, timeout).await?;
        (Box::new(s), Some(info))
    } else {
        (
            Box::new(crate::connect_stream(addr, connect_timeout).await?),
            None,
        )
    };
    let host = match addr {
        SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    };
    // A header value never carries a line break (it would end the head early).
    let authorization = authorization
        .filter(|a| !a.contains(['\r', '\n']))
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\n{authorization}Connection: close\r\n\r\n"
    );
    let exchange = async {
        stream.write_all(req.as_bytes()).await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(buf);
            }
            buf.extend_from_slice(&chunk[..n]);
            if !matches!(response::parse_head(&buf), Ok(None)) {
                return Ok(buf);
            }
        }
    };
    let buf = match tokio::time::timeout(timeout, exchange).await {
        Err(_) => {
            return Err(NetError::Timeout {
                addr,
                what,
                timeout,
            });
        }
        Ok(Err(source)) => return Err(NetError::Io { addr, what, source }),
        Ok(Ok(buf)) => buf,
    };
    drop(slot);
    match response::parse_head(&buf) {
        Ok(Some((head, len))) if head.protocol == HeadProtocol::Http => Ok(OpenGet {
            head,
            body: buf[len..].to_vec(),
            tls: tls_info,
            stream,
            addr,
            what,
            timeout,
        }),
        Ok(Some(_)) => Err(NetError::Malformed {
            addr,
            what,
            reason: "not an HTTP reply".into(),
        }),
        Ok(None) => Err(NetError::Closed {
            addr,
            what,
            received: buf.len(),
        }),
        Err(e) => Err(NetError::Malformed {
            addr,
            what,
            reason: e.to_string(),
        }),
    }
}

impl OpenGet {
    /// The body bytes read so far, taken out (a relay passes them on as they come).
    pub fn take_body(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.body)
    }

    /// Whether the body comes in chunked transfer coding.
    pub fn is_chunked(&self) -> bool {
        self.chunked()
    }

    /// Read more of the body into `self.body`; `Ok(0)` at its end. Fails at `deadline`.
    pub async fn read_more(&mut self, deadline: tokio::time::Instant) -> Result<usize, NetError> {
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
            Err(_) => Err(NetError::Timeout {
                addr: self.addr,
                what: self.what.clone(),
                timeout: self.timeout,
            }),
            Ok(Err(source)) => Err(NetError::Io {
                addr: self.addr,
                what: self.what.clone(),
                source,
            }),
            Ok(Ok(n)) => {
                self.body.extend_from_slice(&chunk[..n]);
                Ok(n)
            }
        }
    }

    /// Whether the body comes in `Transfer-Encoding: chunked` (live HTTP-FLV/TS servers such as SRS,
    /// and any HTTP/1.1 proxy in front of a server that sends no length).
    fn chunked(&self) -> bool {
        self.head
            .header("transfer-encoding")
            .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    }

    /// Read a live stream until `done` holds for what arrived (chunked transfer coding removed),
    /// `cap` bytes arrived, the body ends, or `deadline` passes (an error only when nothing came).
    /// The body is left decoded.
    pub async fn read_while(
        &mut self,
        cap: usize,
        deadline: tokio::time::Instant,
        mut done: impl FnMut(&[u8]) -> bool,
    ) -> Result<(), NetError> {
        let chunked = self.chunked();
        while self.body.len() < cap {
            let ready = if chunked {
                done(&proto::http::dechunk(&self.body, cap))
            } else {
                done(&self.body)
            };
            if ready {
                break;
            }
            match self.read_more(deadline).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(NetError::Timeout { .. }) if !self.body.is_empty() => break,
                Err(e) => return Err(e),
            }
        }
        if chunked {
            self.body = proto::http::dechunk(&self.body, cap);
        }
        self.body.truncate(cap);
        Ok(())
    }

    /// Whether reading this body is worth it: a `2xx` answer's always; another status's only when
    /// its end is known (a `Content-Length`, or chunked coding), since its head says all we need.
    pub fn body_ends(&self) -> bool {
        (200..300).contains(&self.head.status)
            || self.head.content_length().is_some()
            || self.chunked()
    }

    /// Read until the body holds `want` bytes, ends (or its `Content-Length` is complete), or
    /// `deadline` passes; a deadline with some body read is not an error.
    pub async fn read_up_to(
        &mut self,
        want: usize,
        deadline: tokio::time::Instant,
    ) -> Result<(), NetError> {
        let limit = self.head.content_length().map_or(want, |cl| cl.min(want));
        while self.body.len() < limit {
            match self.read_more(deadline).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(NetError::Timeout { .. }) if !self.body.is_empty() => break,
                Err(e) => return Err(e),
            }
        }
        if self.chunked() {
            self.body = proto::http::dechunk(&self.body, want);
        }
        self.body.truncate(want);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7616 §3.9.1's two challenges (the same nonce and opaque), one header value each.
    const SHA256: &str = "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", \
        algorithm=SHA-256, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
        opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
    const MD5: &str = "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", \
        algorithm=MD5, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
        opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
    const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

    /// The RFC's `response=` for Mufasa / "Circle of Life", GET /dir/index.html, with its cnonce.
    fn rfc_response(client: http_auth::PasswordClient) -> String {
        let http_auth::PasswordClient::Digest(mut d) = client else {
            panic!("not Digest");
        };
        let a = d
            .respond_with_testing_cnonce(
                &http_auth::PasswordParams {
                    username: "Mufasa",
                    password: "Circle of Life",
                    uri: "/dir/index.html",
                    method: "GET",
                    body: None,
                },
                CNONCE,
            )
            .unwrap();
        let r = a.split("response=\"").nth(1).unwrap();
        r[..r.find('"').unwrap()].to_string()
    }

    #[test]
    fn http_auth_alone_answers_the_first_digest_challenge() {
        // What was measured: offered MD5 first, http-auth's builder answers MD5.
        let first = http_auth::PasswordClient::builder()
            .challenges(MD5)
            .challenges(SHA256)
            .build()
            .unwrap();
        assert_eq!(rfc_response(first), "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn the_strongest_challenge_is_answered_in_either_order() {
        let sha = "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1";
        for values in [[MD5, SHA256], [SHA256, MD5]] {
            let (client, name) = strongest_client(&values).unwrap();
            assert_eq!(name, "digest-sha-256");
            assert_eq!(rfc_response(client), sha);
        }
        let one = format!("Basic realm=\"x\", {MD5}");
        let (client, name) = strongest_client(&[one.as_str()]).unwrap();
        assert_eq!(name, "digest-md5");
        assert_eq!(rfc_response(client), "8ca523f5e9506fed4657c9700eebdbec");
        // An algorithm http-auth does not know is skipped, not answered as MD5.
        let odd = "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-1, Basic realm=\"r\"";
        assert_eq!(strongest_client(&[odd]).unwrap().1, "basic");
        assert!(strongest_client(&["Bearer realm=\"x\""]).is_none());
        assert!(strongest_client(&["Basic realm=\"unterminated"]).is_none());
        assert!(strongest_client(&[]).is_none());
        let a = answer_challenges(&[MD5, SHA256], "Mufasa", "Circle of Life", "/").unwrap();
        assert!(a.contains("algorithm=SHA-256"), "{a}");
    }

    /// Motion 4.5's challenge (libmicrohttpd): `algorithm=md5`, lower case, is MD5 (RFC 5234
    /// §2.3: the grammar's literals are case-insensitive) and is answered as MD5; before, http-auth
    /// refused it and only Basic, when offered, was left.
    #[test]
    fn a_lower_case_algorithm_is_answered() {
        let lower = MD5.replace("algorithm=MD5", "algorithm=md5");
        let (client, name) = strongest_client(&[lower.as_str()]).unwrap();
        assert_eq!(name, "digest-md5");
        assert_eq!(rfc_response(client), "8ca523f5e9506fed4657c9700eebdbec");
        let motion = "Digest realm=\"Motion\",qop=\"auth\",nonce=\"b0f0f5a40ffabfcabbf6f979b61fdd0400000006\",opaque=\"01e5435f0189aa24\",algorithm=md5";
        let a = answer_challenges(&[motion], "admin", "secret", "/").unwrap();
        assert!(
            a.starts_with("Digest ") && a.contains("realm=\"Motion\""),
            "{a}"
        );
        let sha = SHA256.replace("algorithm=SHA-256", "algorithm=\"sha-256\"");
        assert_eq!(
            strongest_client(&[sha.as_str()]).unwrap().1,
            "digest-sha-256"
        );
    }
}
