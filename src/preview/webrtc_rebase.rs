//! One viewer's re-basing of a camera's RTP for WebRTC (`super::webrtc`): its sequence numbers
//! and timestamps in, one continuous outgoing stream's out, across the camera's restarts and the
//! viewer queue's cuts. Pure, so its rules are tested on their own (in `webrtc.rs`'s tests).

use std::time::Instant;

use super::RtpPacket;

/// H.264's RTP clock (RFC 6184 §8.2.1: "a 90 kHz clock rate MUST be used").
const CLOCK_RATE: u64 = 90_000;

/// A jump in the camera's sequence numbers larger than this is a discontinuity (not packet loss):
/// the viewer waits for the next keyframe. RFC 3550 Appendix A.1 uses 3000 ("MAX_DROPOUT") for
/// its own checks; a preview can afford to be stricter.
const MAX_SEQ_GAP: i32 = 1000;

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    // A failed getrandom only makes the start predictable, which RTP tolerates.
    let _ = getrandom::fill(&mut b);
    u32::from_le_bytes(b)
}

/// One viewer's re-basing of the camera's RTP: the camera's sequence numbers and timestamps in,
/// one continuous outgoing stream's out. Pure (no I/O), so its rules are tested on their own.
#[derive(Debug)]
pub(super) struct Rebase {
    /// Waiting for a packet that starts a keyframe; everything else is dropped meanwhile.
    waiting: bool,
    /// The camera's stream (re)started (new parameters, a reconnect): timestamps re-based too.
    restarted: bool,
    /// The last camera sequence number forwarded, extended (no wrap).
    last_in: Option<i64>,
    /// Outgoing extended sequence number = camera's extended + `seq_offset`.
    seq_offset: i64,
    /// Highest outgoing extended sequence number so far.
    max_out: Option<u64>,
    /// The outgoing sequence number of this run's first packet (its keyframe).
    run_start: u64,
    /// Outgoing timestamp = camera's + `ts_offset` (mod 2^32).
    ts_offset: u32,
    /// The last outgoing timestamp and when it went.
    last_ts: Option<(u32, Instant)>,
    /// Random starts (RFC 3550 §5.1: sequence number and timestamp start at random values).
    seq_start: u64,
    ts_start: u32,
}

impl Rebase {
    pub(super) fn new() -> Rebase {
        // Below 2^15, so the first wrap is at least 32768 packets away and the SRTP rollover
        // counter starts at 0 as the receiver assumes (RFC 3711 §3.3.1).
        let seq_start = u64::from(random_u32() & 0x7fff);
        Rebase {
            waiting: true,
            restarted: true,
            last_in: None,
            seq_offset: 0,
            max_out: None,
            run_start: seq_start,
            ts_offset: 0,
            last_ts: None,
            seq_start,
            ts_start: random_u32(),
        }
    }

    /// The camera's session restarted or changed parameters: wait for its next keyframe.
    pub(super) fn restart(&mut self) {
        self.waiting = true;
        self.restarted = true;
        self.last_in = None;
    }

    /// The outgoing (extended sequence number, timestamp) for `p`, or `None` to drop it.
    /// `cut`: the viewer's queue skipped packets before this one (it was cut back to a keyframe).
    pub(super) fn map(&mut self, p: &RtpPacket, cut: bool, now: Instant) -> Option<(u64, u32)> {
        let ext = match self.last_in {
            Some(last) if !self.waiting && !cut => {
                let delta = i32::from(p.sequence.wrapping_sub(last as u16) as i16);
                if delta == 0 {
                    // A duplicate.
                    return None;
                }
                if delta.abs() > MAX_SEQ_GAP {
                    // A jump no loss explains: start again at this or the next keyframe.
                    self.waiting = true;
                    None
                } else {
                    Some(last + i64::from(delta))
                }
            }
            _ => None,
        };
        let ext = match ext {
            Some(e) => e,
            None => {
                if !p.keyframe_start {
                    self.waiting = true;
                    return None;
                }
                self.resync(p, now)
            }
        };
        let out = ext + self.seq_offset;
        if out < self.run_start as i64 {
            // Reordered from before this run's keyframe: its number was used by the last run.
            return None;
        }
        let out = out as u64;
        self.last_in = Some(ext.max(self.last_in.unwrap_or(ext)));
        self.max_out = Some(self.max_out.map_or(out, |m| m.max(out)));
        let ts = p.timestamp.wrapping_add(self.ts_offset);
        self.last_ts = Some((ts, now));
        Some((out, ts))
    }

    /// Starts a run at keyframe packet `p`: its sequence number follows the highest sent so far
    /// (or the random start); after a camera restart its timestamp follows the last one sent by
    /// the wall-clock time since (or the random start). Returns `p`'s extended camera sequence.
    pub(super) fn resync(&mut self, p: &RtpPacket, now: Instant) -> i64 {
        let ext = i64::from(p.sequence);
        let next_out = self.max_out.map_or(self.seq_start, |m| m + 1);
        self.seq_offset = next_out as i64 - ext;
        self.run_start = next_out;
        if self.restarted {
            let target = match self.last_ts {
                Some((ts, at)) => {
                    let gap = now.saturating_duration_since(at);
                    let ticks = (gap.as_micros() as u64).saturating_mul(CLOCK_RATE) / 1_000_000;
                    // At least one tick: the new picture comes after the last one.
                    ts.wrapping_add(ticks.max(1) as u32)
                }
                None => self.ts_start,
            };
            self.ts_offset = target.wrapping_sub(p.timestamp);
            self.restarted = false;
        }
        self.waiting = false;
        self.last_in = None;
        ext
    }
}
