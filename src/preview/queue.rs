//! A viewer's queue: what the relay has for it and it has not yet sent, capped in bytes.
//!
//! The relay never waits for a viewer. When a viewer's unsent units would pass its byte cap (a slow
//! browser, a congested link), its queue is emptied and it skips ahead to the next point a decoder
//! can start from (a keyframe, new parameters): the picture jumps, memory stays bounded, and the
//! other viewers of the camera never notice. moonfire-nvr's live stream does the same with a
//! lagging broadcast receiver; here the cap is in bytes, so a 4K keyframe counts as what it is.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::Unit;

/// Default byte cap per viewer: about 4 s of a 4 Mbit/s main stream. A viewer further behind than
/// that is better served by skipping to the next keyframe than by a picture seconds late.
pub const DEFAULT_CAP: usize = 2 * 1024 * 1024;

struct State {
    units: VecDeque<Unit>,
    bytes: usize,
    /// Waiting for a unit a decoder can start from; everything else is dropped meanwhile.
    skipping: bool,
    /// Times the queue was cut back.
    dropped: u64,
    closed: bool,
}

/// The relay's end and the viewer's end share one of these.
pub struct Queue {
    state: Mutex<State>,
    notify: Notify,
    cap: usize,
}

impl Queue {
    /// A queue holding at most `cap` bytes, waiting for a starting unit.
    pub fn new(cap: usize) -> Arc<Queue> {
        Arc::new(Queue {
            state: Mutex::new(State {
                units: VecDeque::new(),
                bytes: 0,
                skipping: true,
                dropped: 0,
                closed: false,
            }),
            notify: Notify::new(),
            cap: cap.max(1),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `unit` (the relay's side; never waits). Returns false once the viewer has gone.
    pub fn push(&self, unit: Unit) -> bool {
        let mut s = self.lock();
        if s.closed {
            return false;
        }
        let size = unit.size();
        if size > self.cap {
            // A unit larger than the whole cap can never be delivered whole: skip to the next start.
            s.skipping = true;
            s.dropped += 1;
            return true;
        }
        if s.skipping {
            if !unit.is_start() {
                return true;
            }
            s.skipping = false;
        } else if s.bytes + size > self.cap {
            s.units.clear();
            s.bytes = 0;
            s.dropped += 1;
            if !unit.is_start() {
                s.skipping = true;
                return true;
            }
        }
        s.bytes += size;
        s.units.push_back(unit);
        drop(s);
        self.notify.notify_one();
        true
    }

    /// The next unit, waiting for one; `None` once closed and empty.
    pub async fn pop(&self) -> Option<Unit> {
        loop {
            let notified = self.notify.notified();
            {
                let mut s = self.lock();
                if let Some(u) = s.units.pop_front() {
                    s.bytes -= u.size();
                    return Some(u);
                }
                if s.closed {
                    return None;
                }
            }
            notified.await;
        }
    }

    /// Ends the queue: `push` refuses, `pop` drains then returns `None`.
    pub fn close(&self) {
        self.lock().closed = true;
        self.notify.notify_one();
    }

    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Times the viewer was cut back to the next keyframe.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Bytes waiting.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preview::VideoFrame;
    use bytes::Bytes;
    use std::time::Instant;

    fn frame(key: bool, len: usize) -> Unit {
        Unit::Video(Arc::new(VideoFrame {
            pts: 0,
            keyframe: key,
            data: Bytes::from(vec![0u8; len]),
            received: Instant::now(),
        }))
    }

    fn key_of(u: &Unit) -> bool {
        matches!(u, Unit::Video(f) if f.keyframe)
    }

    #[tokio::test]
    async fn a_viewer_starts_at_a_keyframe() {
        let q = Queue::new(1000);
        q.push(frame(false, 10));
        q.push(frame(true, 10));
        q.push(frame(false, 10));
        assert!(key_of(&q.pop().await.unwrap()));
        assert!(!key_of(&q.pop().await.unwrap()));
        assert_eq!(q.bytes(), 0);
    }

    #[tokio::test]
    async fn a_slow_viewer_is_cut_back_to_the_next_keyframe() {
        let q = Queue::new(100);
        q.push(frame(true, 40));
        q.push(frame(false, 40));
        // Over the cap: emptied, and the P-frames until the next keyframe are skipped.
        q.push(frame(false, 40));
        q.push(frame(false, 40));
        assert_eq!(q.dropped(), 1);
        assert_eq!(q.bytes(), 0);
        q.push(frame(true, 30));
        q.push(frame(false, 30));
        assert!(q.bytes() <= 100);
        assert!(key_of(&q.pop().await.unwrap()));
        assert!(!key_of(&q.pop().await.unwrap()));
        q.close();
        assert!(q.pop().await.is_none());
        assert!(!q.push(frame(true, 1)));
    }

    #[tokio::test]
    async fn a_keyframe_over_the_cap_restarts_the_queue_with_itself() {
        let q = Queue::new(100);
        q.push(frame(true, 60));
        q.push(frame(true, 60));
        assert_eq!(q.dropped(), 1);
        assert_eq!(q.bytes(), 60);
        // A unit bigger than the cap is never queued.
        q.push(frame(true, 500));
        assert_eq!(q.dropped(), 2);
        assert_eq!(q.bytes(), 60);
        q.push(frame(false, 10));
        q.push(frame(true, 10));
        assert_eq!(q.bytes(), 70);
    }
}
