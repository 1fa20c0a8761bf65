//! Which protocol speaks on an open port. Each detector is the bytes to send plus a pure classifier of
//! the reply; this module runs them. Today one exchange tells RTSP and HTTP apart (an RTSP `OPTIONS`
//! draws an `RTSP/1.0` status line from an RTSP server and an `HTTP/1.x` error from a web server); the
//! RTMP, HLS, MJPEG, DASH and WebRTC detectors join here.

pub mod rtsp;

use std::net::SocketAddr;
use std::time::Duration;

use crate::error::NetError;
use crate::net::rtsp::{Reply, RtspClient, url};
use crate::proto::response::HeadProtocol;

/// What answered on a port.
pub enum Detection {
    /// An RTSP server; the connection is kept for analysis.
    Rtsp { client: RtspClient, options: Reply },
    /// A web server (it answered our RTSP request with an HTTP status line).
    Http { options: Reply },
}

/// Connect to `addr` and find out what it speaks. `Ok(None)`: something we do not recognise.
pub async fn detect(
    addr: SocketAddr,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<Option<Detection>, NetError> {
    let mut client = RtspClient::connect(addr, connect_timeout, timeout).await?;
    let reply = match client.request("OPTIONS", &url(addr, "/"), &[]).await {
        Ok(r) => r,
        // Another protocol, a peer that says nothing, or one that hangs up on RTSP: not ours (yet).
        Err(NetError::Malformed { .. } | NetError::Timeout { .. } | NetError::Closed { .. }) => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    Ok(Some(match reply.head.protocol {
        HeadProtocol::Rtsp => Detection::Rtsp {
            client,
            options: reply,
        },
        HeadProtocol::Http => Detection::Http { options: reply },
    }))
}
