//! Which protocol speaks on an open port. Each detector is the bytes to send plus a pure classifier of
//! the reply; this module runs them. An RTSP `OPTIONS` goes first: an RTSP server answers with an
//! `RTSP/1.0` status line. Anything else that answered (an `HTTP/1.x` error, an HTTP/0.9-style bare
//! body as CPython's http.server sends, a hang-up) gets a real `GET /` on a fresh connection, so a web
//! server is described by its own answer. A peer that stays silent is not asked twice. The RTMP, HLS,
//! MJPEG, DASH and WebRTC detectors join here.

pub mod fingerprint;
pub mod head;

use std::net::SocketAddr;
use std::time::Duration;

use crate::error::NetError;
use crate::net::rtsp::{Reply, RtspClient, http_get, url};
use crate::proto::response::HeadProtocol;

/// What answered on a port.
pub enum Detection {
    /// An RTSP server; the connection is kept for analysis.
    Rtsp { client: RtspClient, options: Reply },
    /// A web server; `reply` is its answer to `GET /`.
    Http { reply: Reply },
}

/// Connect to `addr` and find out what it speaks. `Ok(None)`: something answered that we do not
/// recognise. A peer that accepts and then says nothing within `timeout` is an error.
pub async fn detect(
    addr: SocketAddr,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<Option<Detection>, NetError> {
    let mut client = RtspClient::connect(addr, connect_timeout, timeout).await?;
    let options = match client.request("OPTIONS", &url(addr, "/"), &[]).await {
        Ok(r) if r.head.protocol == HeadProtocol::Rtsp => {
            return Ok(Some(Detection::Rtsp { client, options: r }));
        }
        Ok(r) => Some(r),
        // Another protocol, or one that hangs up on RTSP: ask it in HTTP below.
        Err(NetError::Malformed { .. } | NetError::Closed { .. } | NetError::Io { .. }) => None,
        // Silent (a tarpit, or a protocol that waits for its own greeting): recorded on the device as
        // an error, and not worth a second timeout.
        Err(e) => return Err(e),
    };
    drop(client);
    match http_get(addr, "/", connect_timeout, timeout).await {
        Ok(reply) if reply.head.protocol == HeadProtocol::Http => {
            Ok(Some(Detection::Http { reply }))
        }
        // It answered OPTIONS in HTTP but not GET: describe it by the OPTIONS answer.
        _ => Ok(options.map(|reply| Detection::Http { reply })),
    }
}
