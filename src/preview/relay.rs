//! One RTSP session per camera stream, fanned out to every viewer.

use std::sync::Arc;

use super::Unit;
use super::queue::Queue;

/// What a viewer wants from the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewerKind {
    /// Depacketized access units (`Unit::Video`, `Unit::Audio`): the MSE player.
    Frames,
    /// The camera's RTP packets of the video stream (`Unit::Rtp`): WebRTC.
    Rtp,
}

/// Caps of the preview.
#[derive(Debug, Clone)]
pub struct HubLimits {
    pub viewers_per_stream: usize,
    pub viewers_total: usize,
    pub queue_bytes: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("no stream {0} in the inventory")]
    NoStream(i64),
}

/// The relays of the streams being watched.
pub struct Hub {}

/// One viewer of a relay: the units for it, in order.
pub struct Viewer {
    kind: ViewerKind,
    queue: Arc<Queue>,
}

impl Viewer {
    /// A viewer fed by hand (tests and benchmarks): push units into the returned queue.
    pub fn detached(kind: ViewerKind, cap: usize) -> (Arc<Queue>, Viewer) {
        let queue = Queue::new(cap);
        (queue.clone(), Viewer { kind, queue })
    }

    pub fn kind(&self) -> ViewerKind {
        self.kind
    }

    /// The next unit; `None` once the relay has ended (the server is stopping, the stream is gone).
    pub async fn next(&mut self) -> Option<Unit> {
        self.queue.pop().await
    }

    /// Times this viewer fell behind by more than its byte cap and was cut back to a keyframe.
    pub fn dropped(&self) -> u64 {
        self.queue.dropped()
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.queue.close();
    }
}
