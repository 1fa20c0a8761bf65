//! The RTMP chunk stream (Adobe RTMP 1.0 §5.3): messages cut into chunks and interleaved by chunk
//! stream ID. [`ChunkReader`] reassembles a server's messages from bytes fed as they arrive;
//! [`chunk_message`] cuts one of ours.
//!
//! Each chunk starts with a basic header (format 0-3 and chunk stream ID in 1, 2 or 3 bytes) and a
//! message header of 11, 7, 3 or 0 bytes that carries only what changed since the previous chunk on
//! the same chunk stream. A 24-bit timestamp field of 0xFFFFFF means a 4-byte extended timestamp
//! follows; it is repeated on format-3 chunks of that message, as Adobe's servers and ffmpeg's
//! `rtmppkt.c` do (the spec's text is ambiguous about it). Protocol control messages Set Chunk Size
//! (type 1) and Abort (type 2) are applied here and also handed to the caller.
//!
//! Bounds: a message longer than [`MAX_MESSAGE`] is an error (before any of it is buffered), as are
//! more than [`MAX_CHUNK_STREAMS`] chunk stream IDs and more than [`MAX_PENDING`] bytes of
//! half-assembled messages across them. A peer's chunk size above [`MAX_MESSAGE`] is clamped, which
//! changes nothing: a chunk never carries more than what is left of its message. After an error the
//! reader's state is unspecified; drop the connection.

use super::RtmpError;

/// Chunk size until the peer sends Set Chunk Size (RTMP 1.0 §5.4.1).
pub const DEFAULT_CHUNK_SIZE: usize = 128;
/// Largest message reassembled: replies to connect/createStream/play and `onMetaData` are under
/// 4 KiB; a keyframe of a 1080p camera stream fits comfortably.
pub const MAX_MESSAGE: usize = 1024 * 1024;
/// Most chunk stream IDs tracked (servers use 2-8).
pub const MAX_CHUNK_STREAMS: usize = 64;
/// Most bytes held in half-assembled messages across all chunk streams.
pub const MAX_PENDING: usize = 4 * MAX_MESSAGE;

/// Message type IDs (RTMP 1.0 §5.4 and §7.1).
pub mod message_type {
    pub const SET_CHUNK_SIZE: u8 = 1;
    pub const ABORT: u8 = 2;
    pub const ACKNOWLEDGEMENT: u8 = 3;
    pub const USER_CONTROL: u8 = 4;
    pub const WINDOW_ACK_SIZE: u8 = 5;
    pub const SET_PEER_BANDWIDTH: u8 = 6;
    pub const AUDIO: u8 = 8;
    pub const VIDEO: u8 = 9;
    pub const DATA_AMF3: u8 = 15;
    pub const COMMAND_AMF3: u8 = 17;
    pub const DATA_AMF0: u8 = 18;
    pub const COMMAND_AMF0: u8 = 20;
}

/// One reassembled message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub chunk_stream_id: u32,
    /// Milliseconds, as the chunk headers accumulate them (informational).
    pub timestamp: u32,
    pub type_id: u8,
    /// Message stream ID (0 for NetConnection traffic, the created stream for play/media).
    pub stream_id: u32,
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
struct ChunkStream {
    id: u32,
    /// The raw 24-bit timestamp field of the last header with one, to know whether format-3 chunks
    /// carry an extended timestamp.
    ts_field: u32,
    timestamp: u32,
    delta: u32,
    length: usize,
    type_id: u8,
    stream_id: u32,
    payload: Vec<u8>,
}

/// Reassembles messages from a server's chunk stream (the bytes after the handshake).
#[derive(Debug, Clone)]
pub struct ChunkReader {
    buf: Vec<u8>,
    pos: usize,
    chunk_size: usize,
    streams: Vec<ChunkStream>,
    pending: usize,
}

impl Default for ChunkReader {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkReader {
    pub fn new() -> Self {
        ChunkReader {
            buf: Vec::new(),
            pos: 0,
            chunk_size: DEFAULT_CHUNK_SIZE,
            streams: Vec::new(),
            pending: 0,
        }
    }

    /// Append bytes read from the socket. Call [`next_message`](Self::next_message) until it returns
    /// `Ok(None)` after each feed; the reader then holds at most one partial chunk.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The peer's current chunk size (after clamping to [`MAX_MESSAGE`]).
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// The next complete message, or `Ok(None)` when more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Message>, RtmpError> {
        loop {
            let b = &self.buf[self.pos..];
            let Some((fmt, csid, start)) = basic_header(b) else {
                return Ok(None);
            };
            let header_len = [11, 7, 3, 0][usize::from(fmt)];
            let Some(h) = b.get(start..start + header_len) else {
                return Ok(None);
            };
            let index = self.streams.iter().position(|s| s.id == csid);
            let prev = self.previous(index, fmt, csid)?;
            let Some(head) = ChunkHeader::read(b, h, fmt, start + header_len, &prev) else {
                return Ok(None);
            };
            if head.length > MAX_MESSAGE {
                return Err(RtmpError::MessageTooLarge {
                    csid,
                    length: head.length,
                    limit: MAX_MESSAGE,
                });
            }
            // A format 0-2 header always starts a new message; format 3 continues one if any is open.
            let have = match index {
                Some(x) if fmt == 3 => self.streams[x].payload.len(),
                _ => 0,
            };
            let take = self.chunk_size.min(head.length.saturating_sub(have));
            if b.len() < head.end + take {
                return Ok(None);
            }
            let discarded = index.map_or(0, |x| {
                if fmt < 3 {
                    self.streams[x].payload.len()
                } else {
                    0
                }
            });
            if self.pending - discarded + take > MAX_PENDING {
                return Err(RtmpError::PendingTooLarge { limit: MAX_PENDING });
            }

            // Commit: the whole chunk is here.
            let chunk = b[head.end..head.end + take].to_vec();
            self.pos += head.end + take;
            self.pending = self.pending - discarded + take;
            if let Some(msg) = self.append(index, prev, fmt, &head, have, &chunk) {
                self.apply_control(&msg)?;
                return Ok(Some(msg));
            }
        }
    }

    /// The state a chunk of chunk stream `csid` continues: the stream's, or a new one for a
    /// format-0 chunk (within [`MAX_CHUNK_STREAMS`]).
    fn previous(&self, index: Option<usize>, fmt: u8, csid: u32) -> Result<ChunkStream, RtmpError> {
        match index {
            Some(x) => Ok(self.streams[x].clone_header()),
            None if fmt == 0 => {
                if self.streams.len() >= MAX_CHUNK_STREAMS {
                    return Err(RtmpError::TooManyChunkStreams {
                        limit: MAX_CHUNK_STREAMS,
                    });
                }
                Ok(ChunkStream {
                    id: csid,
                    ..Default::default()
                })
            }
            None => Err(RtmpError::NoPreviousHeader { csid }),
        }
    }

    /// Apply a whole chunk (`chunk`, its header `head`) to its chunk stream: the header's fields,
    /// then its bytes. The message, when this chunk completed one.
    fn append(
        &mut self,
        index: Option<usize>,
        prev: ChunkStream,
        fmt: u8,
        head: &ChunkHeader,
        have: usize,
        chunk: &[u8],
    ) -> Option<Message> {
        let x = match index {
            Some(x) => x,
            None => {
                self.streams.push(prev);
                self.streams.len() - 1
            }
        };
        let s = &mut self.streams[x];
        if fmt < 3 {
            s.payload.clear();
            s.ts_field = head.ts_field;
        }
        match fmt {
            0 => {
                s.timestamp = head.ts_value;
                s.delta = 0;
                s.stream_id = head.stream_id;
            }
            1 | 2 => {
                s.delta = head.ts_value;
                s.timestamp = s.timestamp.wrapping_add(head.ts_value);
            }
            _ if have == 0 => s.timestamp = s.timestamp.wrapping_add(s.delta),
            _ => {}
        }
        s.length = head.length;
        s.type_id = head.type_id;
        s.payload.extend_from_slice(chunk);
        if s.payload.len() < s.length {
            return None;
        }
        let payload = std::mem::take(&mut s.payload);
        self.pending -= payload.len();
        Some(Message {
            chunk_stream_id: s.id,
            timestamp: s.timestamp,
            type_id: s.type_id,
            stream_id: s.stream_id,
            payload,
        })
    }

    fn apply_control(&mut self, msg: &Message) -> Result<(), RtmpError> {
        let word = || {
            msg.payload
                .get(..4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        match msg.type_id {
            message_type::SET_CHUNK_SIZE => {
                // The top bit must be zero (§5.4.1); size 0 would never make progress.
                let size = word().map(|w| w & 0x7FFF_FFFF).unwrap_or(0);
                if size == 0 {
                    return Err(RtmpError::BadChunkSize(size));
                }
                self.chunk_size = (size as usize).min(MAX_MESSAGE);
            }
            message_type::ABORT => {
                if let Some(csid) = word()
                    && let Some(s) = self.streams.iter_mut().find(|s| s.id == csid)
                {
                    self.pending -= s.payload.len();
                    s.payload.clear();
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl ChunkStream {
    /// The header state without the payload (which stays where it is).
    fn clone_header(&self) -> ChunkStream {
        ChunkStream {
            payload: Vec::new(),
            ..*self
        }
    }
}

/// Cut one message into chunks of `chunk_size`: a format-0 header, then format-3 continuations.
/// `csid` is clamped to 2..=63 (the one-byte basic header); payloads are cut at 16 MiB - 1, the
/// largest length the header can state; a timestamp of 0xFFFFFF or more goes in an extended
/// timestamp, repeated on every chunk.
pub fn chunk_message(
    csid: u8,
    timestamp: u32,
    type_id: u8,
    stream_id: u32,
    payload: &[u8],
    chunk_size: usize,
) -> Vec<u8> {
    let csid = csid.clamp(2, 63);
    let payload = &payload[..payload.len().min(0xFF_FFFF)];
    let chunk_size = chunk_size.max(1);
    let extended = timestamp >= 0xFF_FFFF;
    let ts_field = if extended { 0xFF_FFFF } else { timestamp };
    let mut out = Vec::with_capacity(payload.len() + 16 + payload.len() / chunk_size * 5);
    out.push(csid);
    out.extend_from_slice(&ts_field.to_be_bytes()[1..]);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    out.push(type_id);
    out.extend_from_slice(&stream_id.to_le_bytes());
    if extended {
        out.extend_from_slice(&timestamp.to_be_bytes());
    }
    for (n, chunk) in payload.chunks(chunk_size).enumerate() {
        if n > 0 {
            out.push(0xC0 | csid);
            if extended {
                out.extend_from_slice(&timestamp.to_be_bytes());
            }
        }
        out.extend_from_slice(chunk);
    }
    out
}

/// A chunk's basic header: its format (0-3), chunk stream id and length (1-3 bytes); `None`
/// until all of it is here.
fn basic_header(b: &[u8]) -> Option<(u8, u32, usize)> {
    let b0 = *b.first()?;
    let fmt = b0 >> 6;
    let (csid, len) = match b0 & 0x3f {
        0 => (64 + u32::from(*b.get(1)?), 2),
        1 => (64 + u32::from(*b.get(1)?) + 256 * u32::from(*b.get(2)?), 3),
        n => (u32::from(n), 1),
    };
    Some((fmt, csid, len))
}

/// A chunk's message header (and extended timestamp), with what a format 1-3 header leaves out
/// taken from the chunk stream's previous one.
struct ChunkHeader {
    /// The raw 24-bit timestamp field.
    ts_field: u32,
    /// The timestamp (format 0) or delta (1, 2), extended when the field says so.
    ts_value: u32,
    length: usize,
    type_id: u8,
    stream_id: u32,
    /// Where the chunk's data starts in the buffer.
    end: usize,
}

impl ChunkHeader {
    /// `h` is the message header (11, 7, 3 or 0 bytes for format 0-3) and `end` where it ends in
    /// `b`; `None` until the extended timestamp, when there is one, is here too.
    fn read(b: &[u8], h: &[u8], fmt: u8, end: usize, prev: &ChunkStream) -> Option<ChunkHeader> {
        let u24 = |o: usize| u32::from_be_bytes([0, h[o], h[o + 1], h[o + 2]]);
        let ts_field = if fmt < 3 { u24(0) } else { prev.ts_field };
        let (length, type_id) = if fmt < 2 {
            (u24(3) as usize, h[6])
        } else {
            (prev.length, prev.type_id)
        };
        let stream_id = if fmt == 0 {
            u32::from_le_bytes([h[7], h[8], h[9], h[10]])
        } else {
            prev.stream_id
        };
        let (ts_value, end) = if ts_field == 0xFF_FFFF {
            let e = b.get(end..end + 4)?;
            (u32::from_be_bytes([e[0], e[1], e[2], e[3]]), end + 4)
        } else {
            (ts_field, end)
        };
        Some(ChunkHeader {
            ts_field,
            ts_value,
            length,
            type_id,
            stream_id,
            end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::message_type::*;
    use super::*;

    fn drain(r: &mut ChunkReader, bytes: &[u8], step: usize) -> Result<Vec<Message>, RtmpError> {
        let mut out = Vec::new();
        for c in bytes.chunks(step.max(1)) {
            r.feed(c);
            while let Some(m) = r.next_message()? {
                out.push(m);
            }
        }
        Ok(out)
    }

    fn set_chunk_size(size: u32) -> Vec<u8> {
        chunk_message(2, 0, SET_CHUNK_SIZE, 0, &size.to_be_bytes(), 128)
    }

    #[test]
    fn round_trip_across_chunk_sizes() {
        let payload: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        for step in [1, 3, 128, 5000] {
            let bytes = chunk_message(3, 1234, COMMAND_AMF0, 0, &payload, 128);
            let msgs = drain(&mut ChunkReader::new(), &bytes, step).unwrap();
            assert_eq!(msgs.len(), 1);
            assert_eq!(msgs[0].payload, payload);
            assert_eq!(
                (
                    msgs[0].chunk_stream_id,
                    msgs[0].timestamp,
                    msgs[0].type_id,
                    msgs[0].stream_id
                ),
                (3, 1234, COMMAND_AMF0, 0)
            );
        }
    }

    /// A server raising its chunk size mid-stream (nginx-rtmp and SRS send Set Chunk Size right
    /// after connect; ffmpeg's server side does too).
    #[test]
    fn set_chunk_size_then_big_message() {
        let big: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let mut bytes = set_chunk_size(4096);
        bytes.extend(chunk_message(6, 40, VIDEO, 1, &big, 4096));
        bytes.extend(set_chunk_size(64));
        bytes.extend(chunk_message(6, 80, VIDEO, 1, &big[..200], 64));
        for step in [1, 100, 4097, usize::MAX] {
            let mut r = ChunkReader::new();
            let msgs = drain(&mut r, &bytes, step).unwrap();
            let types: Vec<u8> = msgs.iter().map(|m| m.type_id).collect();
            assert_eq!(types, [SET_CHUNK_SIZE, VIDEO, SET_CHUNK_SIZE, VIDEO]);
            assert_eq!(msgs[1].payload, big);
            assert_eq!(msgs[3].payload, &big[..200]);
            assert_eq!((msgs[3].stream_id, msgs[3].timestamp), (1, 80));
            assert_eq!(r.chunk_size(), 64);
        }
        // A huge chunk size is clamped; 0 (or only the forbidden top bit) is refused.
        let mut r = ChunkReader::new();
        drain(&mut r, &set_chunk_size(0x7FFF_FFFF), 1).unwrap();
        assert_eq!(r.chunk_size(), MAX_MESSAGE);
        for bad in [0, 0x8000_0000] {
            assert_eq!(
                drain(&mut ChunkReader::new(), &set_chunk_size(bad), 1),
                Err(RtmpError::BadChunkSize(0))
            );
        }
    }

    #[test]
    fn header_formats_1_2_3_and_interleaving() {
        let mut bytes = chunk_message(4, 1000, AUDIO, 1, &[1; 200], 128);
        // Format 1: delta 40, new length 10, same type; stream ID kept.
        bytes.extend([0x40 | 4, 0, 0, 40, 0, 0, 10, AUDIO]);
        bytes.extend([2; 10]);
        // Interleave: a video message on csid 6 starts, its continuation comes after audio.
        let video = chunk_message(6, 1000, VIDEO, 1, &[9; 150], 128);
        bytes.extend(&video[..12 + 128]);
        // Format 2: delta 40, same length and type.
        bytes.extend([0x80 | 4, 0, 0, 40]);
        bytes.extend([3; 10]);
        bytes.extend(&video[12 + 128..]);
        // Format 3 starting a new message: same delta, length and type.
        bytes.push(0xC0 | 4);
        bytes.extend([4; 10]);
        let msgs = drain(&mut ChunkReader::new(), &bytes, 1).unwrap();
        let got: Vec<_> = msgs
            .iter()
            .map(|m| {
                (
                    m.chunk_stream_id,
                    m.timestamp,
                    m.payload.len(),
                    m.payload[0],
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (4, 1000, 200, 1),
                (4, 1040, 10, 2),
                (4, 1080, 10, 3),
                (6, 1000, 150, 9),
                (4, 1120, 10, 4)
            ]
        );
        assert!(msgs.iter().all(|m| m.stream_id == 1));
    }

    #[test]
    fn extended_timestamps_and_long_chunk_stream_ids() {
        let payload = [7u8; 300];
        let bytes = chunk_message(3, 0x0100_0000, DATA_AMF0, 1, &payload, 128);
        // 3 chunks: the format-3 continuations repeat the 4-byte extended timestamp.
        assert_eq!(bytes.len(), 12 + 4 + 300 + 2 * 5);
        let msgs = drain(&mut ChunkReader::new(), &bytes, 1).unwrap();
        assert_eq!(msgs[0].timestamp, 0x0100_0000);
        assert_eq!(msgs[0].payload, payload);
        // Two-byte (csid 64 + 10) and three-byte (csid 64 + 1 + 256) basic headers.
        let mut bytes = vec![
            0x00,
            10,
            0,
            0,
            5,
            0,
            0,
            2,
            COMMAND_AMF0,
            0,
            0,
            0,
            0,
            0xAA,
            0xBB,
        ];
        bytes.extend([0x01, 1, 1, 0, 0, 5, 0, 0, 1, COMMAND_AMF0, 0, 0, 0, 0, 0xCC]);
        let msgs = drain(&mut ChunkReader::new(), &bytes, 1).unwrap();
        assert_eq!(msgs[0].chunk_stream_id, 74);
        assert_eq!(msgs[0].payload, [0xAA, 0xBB]);
        assert_eq!(msgs[1].chunk_stream_id, 321);
    }

    #[test]
    fn abort_discards_a_partial_message() {
        let mut bytes = chunk_message(5, 0, VIDEO, 1, &[1; 300], 128);
        bytes.truncate(12 + 128);
        bytes.extend(chunk_message(2, 0, ABORT, 0, &5u32.to_be_bytes(), 128));
        // Format 3 on csid 5 now starts a new 300-byte message.
        bytes.push(0xC0 | 5);
        bytes.extend([2; 128]);
        let mut r = ChunkReader::new();
        let msgs = drain(&mut r, &bytes, 7).unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].type_id, ABORT);
        assert_eq!(r.pending, 128);
    }

    #[test]
    fn hostile_streams_are_bounded() {
        // A message claiming 16 MiB.
        let bytes = [3, 0, 0, 0, 0xFF, 0xFF, 0xFF, VIDEO, 0, 0, 0, 0];
        assert!(matches!(
            drain(&mut ChunkReader::new(), &bytes, 1),
            Err(RtmpError::MessageTooLarge {
                csid: 3,
                length: 0xFF_FFFF,
                ..
            })
        ));
        // Format 1 on a chunk stream never opened.
        assert_eq!(
            drain(
                &mut ChunkReader::new(),
                &[0x40 | 9, 0, 0, 0, 0, 0, 1, 8, 0],
                1
            ),
            Err(RtmpError::NoPreviousHeader { csid: 9 })
        );
        // Too many chunk streams.
        let mut bytes = Vec::new();
        for csid in 0..=MAX_CHUNK_STREAMS as u8 {
            bytes.extend([0x00, csid, 0, 0, 0, 0, 0, 0, VIDEO, 0, 0, 0, 0]);
        }
        assert_eq!(
            drain(&mut ChunkReader::new(), &bytes, 1000),
            Err(RtmpError::TooManyChunkStreams {
                limit: MAX_CHUNK_STREAMS
            })
        );
        // Many half-open 1 MiB messages exceed the pending budget.
        let mut r = ChunkReader::new();
        r.feed(&set_chunk_size(65_536));
        r.next_message().unwrap();
        let mut result = Ok(None);
        for csid in 3..20u8 {
            let mut head = vec![csid, 0, 0, 0, 0x10, 0, 0, VIDEO, 0, 0, 0, 0];
            head.extend(vec![0; 65_536]);
            // 15 of the 16 chunks of a 1 MiB message: never finished.
            for _ in 0..14 {
                head.push(0xC0 | csid);
                head.extend(vec![0; 65_536]);
            }
            r.feed(&head);
            result = r.next_message().map(|m| m.map(|m| m.type_id));
            if result.is_err() {
                break;
            }
        }
        assert_eq!(
            result,
            Err(RtmpError::PendingTooLarge { limit: MAX_PENDING })
        );
        // Junk never panics.
        for seed in 0u32..3000 {
            let junk: Vec<u8> = (0..200u32)
                .map(|i| (seed.wrapping_mul(2_654_435_761).wrapping_add(i * 97) >> 11) as u8)
                .collect();
            let _ = drain(&mut ChunkReader::new(), &junk, 1 + seed as usize % 50);
        }
    }

    #[test]
    fn builder_clamps() {
        let b = chunk_message(0, 0, COMMAND_AMF0, 0, b"x", 0);
        assert_eq!(b[0], 2);
        let b = chunk_message(200, 0, COMMAND_AMF0, 0, b"xy", 0);
        assert_eq!(
            b,
            [
                63,
                0,
                0,
                0,
                0,
                0,
                2,
                COMMAND_AMF0,
                0,
                0,
                0,
                0,
                b'x',
                0xC0 | 63,
                b'y'
            ]
        );
    }
}
