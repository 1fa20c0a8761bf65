//! The WHEP gateway of a camscan built without the `webrtc` feature (the quick build's default):
//! the same interface as the real one (`webrtc.rs`), every offer refused, so `serve` and the page
//! fall back to the MSE preview. The page is never offered WebRTC by such a build (`serve::live`
//! leaves `webrtc` out of a stream's modes).

use std::net::IpAddr;
use std::time::Duration;

use super::Viewer;

/// Largest offer accepted (the real gateway's figure, so the HTTP body limit is the same).
pub const MAX_OFFER_BYTES: usize = 64 * 1024;

/// Caps and deadlines of the WHEP gateway (unused here; kept so `serve` builds one way).
#[derive(Debug, Clone, Default)]
pub struct GatewayLimits {
    pub max_sessions: usize,
    pub connect_timeout: Duration,
    pub silence_timeout: Duration,
}

/// Why an offer was not answered.
#[derive(Debug, thiserror::Error)]
pub enum WhepError {
    /// This build has no WebRTC (HTTP 422: not playable as asked).
    #[error("this camscan was built without WebRTC (cargo feature `webrtc`); use the MSE preview")]
    NotBuilt,
}

impl WhepError {
    /// The HTTP status `serve` answers with.
    pub fn status(&self) -> u16 {
        422
    }
}

/// A gateway with no sessions, ever.
pub struct Gateway;

impl Gateway {
    pub fn new(_limits: GatewayLimits) -> Gateway {
        Gateway
    }

    /// Never: this build refuses every offer, before a camera session is opened for it.
    pub fn ready(&self) -> Result<(), WhepError> {
        Err(WhepError::NotBuilt)
    }

    /// Refuses every offer.
    pub async fn answer(
        &self,
        _offer: &str,
        _viewer: Viewer,
        _local_ip: IpAddr,
    ) -> Result<(String, String), WhepError> {
        Err(WhepError::NotBuilt)
    }

    /// No session to end.
    pub fn end(&self, _id: &str) -> bool {
        false
    }

    /// Always 0.
    pub fn sessions(&self) -> usize {
        0
    }

    /// Nothing to stop.
    pub fn shutdown(&self) {}
}
