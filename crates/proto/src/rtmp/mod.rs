//! RTMP (Adobe RTMP 1.0, port 1935): enough of the client side to tell an RTMP server from anything
//! else, ask it for a stream, and read what it says back.
//!
//! Detection is the simple handshake (`docs/design/protocols.md`, "RTMP handshake"): we send C0
//! (version 3) + C1 (1536 bytes: time, four zero bytes, 1528 random); a server answers S0 + S1
//! (+ S2). S0 must be 3; 6 and 8 mean RTMPE (encrypted), which we report as such. We accept any S1
//! body: Flash Media Server and Wowza put a version and a digest in it (the "complex" handshake,
//! which also works with a simple client), and some small servers simply echo our C1 back as S1
//! ([`S0S1::echoes`] tells).
//!
//! After the handshake, [`connect_command`], [`create_stream`] and [`play`] build the three commands
//! (AMF0 in 128-byte chunks), [`chunk::ChunkReader`] reassembles the server's messages, and
//! [`parse_command`] / [`Status`] / [`parse_metadata`] read `_result`, `_error`, `onStatus` and
//! `onMetaData`. Codec IDs are mapped only where a specification or a widely deployed convention
//! says so (see [`Metadata::video_codec`]).

pub mod amf0;
pub mod chunk;

use amf0::{Amf0Error, Amf0Value};
pub use chunk::{ChunkReader, Message, message_type};

/// RTMP version byte of C0/S0 (RTMP 1.0 §5.2.2).
pub const RTMP_VERSION: u8 = 3;
/// Length of C1/S1/C2/S2 (§5.2.3).
pub const HANDSHAKE_SIZE: usize = 1536;
/// Random bytes in C1 after time and zero fields.
pub const C1_RANDOM_LEN: usize = 1528;
/// Chunk stream ID our commands use (ffmpeg and librtmp use 3 for NetConnection commands).
pub const COMMAND_CSID: u8 = 3;
/// Chunk stream ID for NetStream commands (play), as ffmpeg's `RTMP_SOURCE_CHANNEL` (8).
pub const STREAM_CSID: u8 = 8;
/// `flashVer` we announce: ffmpeg's default for a playing client (`LNX 9,0,124,2`), which servers
/// that look at it accept.
pub const FLASH_VER: &str = "LNX 9,0,124,2";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtmpError {
    #[error("RTMP handshake truncated: {got} bytes of {need}")]
    Truncated { need: usize, got: usize },
    #[error("RTMPE (encrypted RTMP, version {0}) is not supported")]
    Encrypted(u8),
    #[error("not RTMP: S0 version byte is 0x{0:02x}, expected 3")]
    NotRtmp(u8),
    #[error("more than {limit} RTMP chunk streams")]
    TooManyChunkStreams { limit: usize },
    #[error("RTMP chunk on chunk stream {csid} refers to a previous header that was never sent")]
    NoPreviousHeader { csid: u32 },
    #[error("RTMP message of {length} bytes on chunk stream {csid} exceeds {limit}")]
    MessageTooLarge {
        csid: u32,
        length: usize,
        limit: usize,
    },
    #[error("more than {limit} bytes of unfinished RTMP messages")]
    PendingTooLarge { limit: usize },
    #[error("RTMP Set Chunk Size of {0}")]
    BadChunkSize(u32),
    #[error("RTMP message type {0} is not a command")]
    NotACommand(u8),
    #[error("RTMP command without a name")]
    NoCommandName,
    #[error("RTMP command body: {0}")]
    Amf0(#[from] Amf0Error),
}

/// C0 + C1 for the simple handshake: version 3, then `time` (ms, any epoch), four zero bytes and
/// the 1528 random bytes (1537 bytes in all).
pub fn c0c1(time: u32, random: &[u8; C1_RANDOM_LEN]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + HANDSHAKE_SIZE);
    out.push(RTMP_VERSION);
    out.extend_from_slice(&time.to_be_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(random);
    out
}

/// The server's S0 + S1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S0S1 {
    /// S0: 3.
    pub version: u8,
    /// First four bytes of S1: the server's epoch, ms.
    pub time: u32,
    /// Bytes 4..8 of S1: zero in the simple handshake; FMS/Wowza-style servers put their version
    /// here (e.g. `0x04050001`) when they speak the digest ("complex") handshake.
    pub peer_version: u32,
    /// All of S1 (1536 bytes), echoed back as C2.
    pub s1: Vec<u8>,
}

impl S0S1 {
    /// C2: the echo of S1 that completes the handshake (§5.2.4).
    pub fn c2(&self) -> Vec<u8> {
        self.s1.clone()
    }

    /// Whether S1 is our C1 sent back (an echoing server). `c0c1` may include C0.
    pub fn echoes(&self, c0c1: &[u8]) -> bool {
        let c1 = if c0c1.len() == 1 + HANDSHAKE_SIZE {
            &c0c1[1..]
        } else {
            c0c1
        };
        c1 == self.s1.as_slice()
    }
}

/// Check the first 1537 bytes of a server's handshake reply (more, such as S2, may follow and are
/// ignored). The version byte is judged first, so a non-RTMP answer is refused after one byte.
pub fn check_s0s1(bytes: &[u8]) -> Result<S0S1, RtmpError> {
    let need = 1 + HANDSHAKE_SIZE;
    match bytes.first() {
        None => return Err(RtmpError::Truncated { need, got: 0 }),
        Some(&RTMP_VERSION) => {}
        Some(&v @ (6 | 8)) => return Err(RtmpError::Encrypted(v)),
        Some(&v) => return Err(RtmpError::NotRtmp(v)),
    }
    let s1 = bytes.get(1..need).ok_or(RtmpError::Truncated {
        need,
        got: bytes.len(),
    })?;
    Ok(S0S1 {
        version: RTMP_VERSION,
        time: u32::from_be_bytes([s1[0], s1[1], s1[2], s1[3]]),
        peer_version: u32::from_be_bytes([s1[4], s1[5], s1[6], s1[7]]),
        s1: s1.to_vec(),
    })
}

fn command(name: &str, tx_id: u32, object: Amf0Value, args: &[Amf0Value]) -> Vec<u8> {
    let mut body = Vec::new();
    amf0::encode(&Amf0Value::String(name.into()), &mut body);
    amf0::encode(&Amf0Value::Number(f64::from(tx_id)), &mut body);
    amf0::encode(&object, &mut body);
    for a in args {
        amf0::encode(a, &mut body);
    }
    body
}

/// `connect(app)` (RTMP 1.0 §7.2.1.1), chunked at 128 bytes on chunk stream 3, message stream 0.
/// The command object carries what ffmpeg's `gen_connect` sends for a player: `app`, `flashVer`,
/// `tcUrl`, `fpad`, `capabilities` 15, `audioCodecs` 4071, `videoCodecs` 252, `videoFunction` 1.
pub fn connect_command(app: &str, tc_url: &str, tx_id: u32) -> Vec<u8> {
    let s = |v: &str| Amf0Value::String(v.into());
    let n = Amf0Value::Number;
    let object = Amf0Value::Object(vec![
        ("app".into(), s(app)),
        ("flashVer".into(), s(FLASH_VER)),
        ("tcUrl".into(), s(tc_url)),
        ("fpad".into(), Amf0Value::Boolean(false)),
        ("capabilities".into(), n(15.0)),
        ("audioCodecs".into(), n(4071.0)),
        ("videoCodecs".into(), n(252.0)),
        ("videoFunction".into(), n(1.0)),
    ]);
    let body = command("connect", tx_id, object, &[]);
    chunk::chunk_message(
        COMMAND_CSID,
        0,
        message_type::COMMAND_AMF0,
        0,
        &body,
        chunk::DEFAULT_CHUNK_SIZE,
    )
}

/// `createStream` (§7.2.1.3); the `_result` carries the new message stream ID
/// ([`created_stream_id`]).
pub fn create_stream(tx_id: u32) -> Vec<u8> {
    let body = command("createStream", tx_id, Amf0Value::Null, &[]);
    chunk::chunk_message(
        COMMAND_CSID,
        0,
        message_type::COMMAND_AMF0,
        0,
        &body,
        chunk::DEFAULT_CHUNK_SIZE,
    )
}

/// `play(stream_name)` (§7.2.2.1) on the message stream `stream_id` that createStream returned. Start,
/// duration and reset are left out, so the server uses its defaults (live, then recorded).
pub fn play(stream_name: &str, stream_id: u32, tx_id: u32) -> Vec<u8> {
    let body = command(
        "play",
        tx_id,
        Amf0Value::Null,
        &[Amf0Value::String(stream_name.into())],
    );
    chunk::chunk_message(
        STREAM_CSID,
        0,
        message_type::COMMAND_AMF0,
        stream_id,
        &body,
        chunk::DEFAULT_CHUNK_SIZE,
    )
}

/// A command from the server: `_result`, `_error`, `onStatus`, `onBWDone`...
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub name: String,
    pub transaction_id: f64,
    /// The command object (often `Null`; connect's `_result` carries server properties here).
    pub command_object: Amf0Value,
    /// The values after it (the info object of `_result`/`_error`/`onStatus`).
    pub args: Vec<Amf0Value>,
}

/// Read a command message: type 20 (AMF0), or type 17 (AMF3 command, whose body is a zero format
/// byte and then AMF0, which is what servers send in it).
pub fn parse_command(msg: &Message) -> Result<Command, RtmpError> {
    let body = match msg.type_id {
        message_type::COMMAND_AMF0 => &msg.payload[..],
        message_type::COMMAND_AMF3 => msg.payload.get(1..).unwrap_or_default(),
        t => return Err(RtmpError::NotACommand(t)),
    };
    let mut values = amf0::decode_values(body)?.into_iter();
    let Some(Amf0Value::String(name)) = values.next() else {
        return Err(RtmpError::NoCommandName);
    };
    let transaction_id = values.next().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let command_object = values.next().unwrap_or(Amf0Value::Undefined);
    Ok(Command {
        name: name.chars().take(256).collect(),
        transaction_id,
        command_object,
        args: values.collect(),
    })
}

/// The message stream ID in a `_result` to createStream.
pub fn created_stream_id(cmd: &Command) -> Option<u32> {
    if cmd.name != "_result" {
        return None;
    }
    let id = cmd.args.first()?.as_f64()?;
    (id.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&id)).then_some(id as u32)
}

/// `NetStream.Play.Start`: the server is about to send the stream.
pub const PLAY_START: &str = "NetStream.Play.Start";
/// `NetStream.Play.StreamNotFound`: no such stream (the app exists).
pub const PLAY_STREAM_NOT_FOUND: &str = "NetStream.Play.StreamNotFound";
/// `NetConnection.Connect.Success`.
pub const CONNECT_SUCCESS: &str = "NetConnection.Connect.Success";
/// `NetConnection.Connect.Rejected` (wrong app, or authentication required).
pub const CONNECT_REJECTED: &str = "NetConnection.Connect.Rejected";

/// The info object of `onStatus`, `_result` or `_error` (RTMP 1.0 §7.2; codes from the E-RTMP v2
/// onStatus table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// `status`, `warning` or `error`.
    pub level: Option<String>,
    /// e.g. [`PLAY_START`], [`PLAY_STREAM_NOT_FOUND`], [`CONNECT_SUCCESS`].
    pub code: Option<String>,
    pub description: Option<String>,
}

impl Status {
    /// The first object among the command object and arguments that has a `code`.
    pub fn from_command(cmd: &Command) -> Option<Status> {
        let info = std::iter::once(&cmd.command_object)
            .chain(&cmd.args)
            .find(|v| v.get("code").is_some())?;
        let text = |k: &str| {
            info.get(k)
                .and_then(Amf0Value::as_str)
                .map(|s| s.chars().take(256).collect())
        };
        Some(Status {
            level: text("level"),
            code: text("code"),
            description: text("description"),
        })
    }

    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

/// What `onMetaData` says about the stream (FLV spec v10.1 §E.5 property names).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// `framerate`, frames per second rounded to 3 decimals.
    pub frame_rate: Option<f64>,
    /// `videocodecid`: an FLV CodecID or, with Enhanced RTMP, a FourCC as a number.
    pub video_codec_id: Option<u32>,
    /// `audiocodecid`: an FLV SoundFormat.
    pub audio_codec_id: Option<u32>,
    /// `videodatarate`, kbit/s.
    pub video_data_rate: Option<f64>,
    /// `audiosamplerate`, Hz.
    pub audio_sample_rate: Option<u32>,
    /// `encoder`, e.g. `Lavf59.27.100`.
    pub encoder: Option<String>,
}

impl Metadata {
    /// Our video codec name: 7 is AVC (FLV spec v10.1 §E.4.3.1); FourCCs `avc1`, `hvc1`, `av01`,
    /// `vp09` are Enhanced RTMP (veovera/enhanced-rtmp v1, "Enhancing onMetaData": the FourCC as a
    /// big-endian number). 12 is HEVC by the Chinese CDN convention (github.com/CDN-Union/H265, used
    /// by SRS, nginx-http-flv-module and ireader/media-server's `FLV_VIDEO_H265`); neither Adobe's nor
    /// Veovera's spec defines it (the latter lists 12 as reserved), but cameras and CDNs send it.
    pub fn video_codec(&self) -> Option<&'static str> {
        Some(match self.video_codec_id? {
            7 | 0x6176_6331 => "h264",
            12 | 0x6876_6331 => "h265",
            0x6176_3031 => "av1",
            0x7670_3039 => "vp9",
            _ => return None,
        })
    }

    /// Our audio codec name from the FLV SoundFormat (FLV spec v10.1 §E.4.2.1): 10 AAC, 2 and 14 MP3,
    /// 7 G.711 A-law, 8 G.711 mu-law, 11 Speex.
    pub fn audio_codec(&self) -> Option<&'static str> {
        Some(match self.audio_codec_id? {
            10 => "aac",
            2 | 14 => "mp3",
            7 => "pcma",
            8 => "pcmu",
            11 => "speex",
            _ => return None,
        })
    }
}

/// Read `onMetaData` from a data message (type 18, or 15 with its leading format byte). Accepts the
/// publisher form `@setDataFrame`, `onMetaData`, {..} that some servers relay as is. `None` for other
/// data messages (`|RtmpSampleAccess`, `onTextData`...).
pub fn parse_metadata(msg: &Message) -> Option<Metadata> {
    let body = match msg.type_id {
        message_type::DATA_AMF0 => &msg.payload[..],
        message_type::DATA_AMF3 => msg.payload.get(1..)?,
        _ => return None,
    };
    parse_metadata_body(body)
}

/// `onMetaData` from the AMF0 body of a data message or of an FLV script tag (`proto::flv`).
pub fn parse_metadata_body(body: &[u8]) -> Option<Metadata> {
    let values = amf0::decode_values(body).ok()?;
    let at = values
        .iter()
        .take(2)
        .position(|v| v.as_str() == Some("onMetaData"))?;
    let meta = values.get(at + 1)?;
    if !matches!(meta, Amf0Value::Object(_) | Amf0Value::EcmaArray(_)) {
        return None;
    }
    let num = |k: &str| {
        meta.get(k)
            .and_then(Amf0Value::as_f64)
            .filter(|n| n.is_finite())
    };
    let whole = |k: &str| {
        num(k)
            .filter(|n| *n >= 0.0 && *n <= f64::from(u32::MAX))
            .map(|n| n as u32)
    };
    Some(Metadata {
        width: whole("width").filter(|w| *w > 0),
        height: whole("height").filter(|h| *h > 0),
        frame_rate: num("framerate")
            .filter(|f| *f > 0.0 && *f <= 1000.0)
            .map(|f| (f * 1000.0).round() / 1000.0),
        video_codec_id: whole("videocodecid"),
        audio_codec_id: whole("audiocodecid"),
        video_data_rate: num("videodatarate").filter(|r| *r >= 0.0),
        audio_sample_rate: whole("audiosamplerate").filter(|r| *r > 0),
        encoder: meta
            .get("encoder")
            .and_then(Amf0Value::as_str)
            .map(|s| s.chars().take(256).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::chunk::chunk_message;
    use super::*;

    fn random() -> [u8; C1_RANDOM_LEN] {
        std::array::from_fn(|i| (i * 31 % 251) as u8)
    }

    #[test]
    fn handshake() {
        let c = c0c1(0x0102_0304, &random());
        assert_eq!(c.len(), 1537);
        assert_eq!(&c[..9], &[3, 1, 2, 3, 4, 0, 0, 0, 0]);
        assert_eq!(&c[9..], &random()[..]);

        // A simple-handshake server: S0, S1 with its own time and zeros, then S2.
        let mut reply = vec![3, 0, 0, 0x10, 0, 0, 0, 0, 0];
        reply.extend([0x5a; C1_RANDOM_LEN]);
        reply.extend(&c[1..]);
        let s = check_s0s1(&reply).unwrap();
        assert_eq!((s.version, s.time, s.peer_version), (3, 0x1000, 0));
        assert_eq!(s.c2().len(), HANDSHAKE_SIZE);
        assert_eq!(s.c2(), reply[1..1537]);
        assert!(!s.echoes(&c));

        // An echoing server sends our C1 back as S1.
        let mut echo = vec![3];
        echo.extend(&c[1..]);
        let s = check_s0s1(&echo).unwrap();
        assert!(s.echoes(&c) && s.echoes(&c[1..]));

        // An FMS-style server announces its version in S1 bytes 4..8.
        let mut fms = vec![3, 0, 0, 0, 0, 4, 5, 0, 1];
        fms.extend([0; C1_RANDOM_LEN]);
        assert_eq!(check_s0s1(&fms).unwrap().peer_version, 0x0405_0001);
    }

    #[test]
    fn handshake_refusals() {
        assert_eq!(
            check_s0s1(&[]),
            Err(RtmpError::Truncated { need: 1537, got: 0 })
        );
        assert_eq!(
            check_s0s1(&[3; 100]),
            Err(RtmpError::Truncated {
                need: 1537,
                got: 100
            })
        );
        assert_eq!(check_s0s1(&[6; 1537]), Err(RtmpError::Encrypted(6)));
        assert_eq!(check_s0s1(&[8]), Err(RtmpError::Encrypted(8)));
        // An HTTP or RTSP server answering our bytes with text.
        assert_eq!(check_s0s1(b"HTTP/1.1 400"), Err(RtmpError::NotRtmp(b'H')));
        assert_eq!(check_s0s1(b"RTSP/1.0 400"), Err(RtmpError::NotRtmp(b'R')));
    }

    /// Our builders, read back by our own reader: what a server's chunk parser sees.
    #[test]
    fn client_commands_decode() {
        let mut r = ChunkReader::new();
        r.feed(&connect_command("live", "rtmp://198.18.0.7:1935/live", 1));
        let m = r.next_message().unwrap().unwrap();
        assert_eq!((m.chunk_stream_id, m.type_id, m.stream_id), (3, 20, 0));
        assert!(
            m.payload.len() > 128,
            "the connect body spans several chunks"
        );
        let c = parse_command(&m).unwrap();
        assert_eq!((c.name.as_str(), c.transaction_id), ("connect", 1.0));
        assert_eq!(
            c.command_object.get("app").and_then(Amf0Value::as_str),
            Some("live")
        );
        assert_eq!(
            c.command_object.get("tcUrl").and_then(Amf0Value::as_str),
            Some("rtmp://198.18.0.7:1935/live")
        );

        r.feed(&create_stream(2));
        let c = parse_command(&r.next_message().unwrap().unwrap()).unwrap();
        assert_eq!((c.name.as_str(), c.transaction_id), ("createStream", 2.0));
        assert_eq!(c.command_object, Amf0Value::Null);

        r.feed(&play("channel0_main.bcs", 1, 3));
        let m = r.next_message().unwrap().unwrap();
        assert_eq!((m.chunk_stream_id, m.stream_id), (STREAM_CSID as u32, 1));
        let c = parse_command(&m).unwrap();
        assert_eq!(c.name, "play");
        assert_eq!(c.args, [Amf0Value::String("channel0_main.bcs".into())]);
    }

    fn server_command(csid: u8, stream_id: u32, values: &[Amf0Value], chunk: usize) -> Vec<u8> {
        let mut body = Vec::new();
        for v in values {
            amf0::encode(v, &mut body);
        }
        chunk_message(csid, 0, message_type::COMMAND_AMF0, stream_id, &body, chunk)
    }

    fn obj(pairs: &[(&str, Amf0Value)]) -> Amf0Value {
        Amf0Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn s(v: &str) -> Amf0Value {
        Amf0Value::String(v.into())
    }

    /// The reply sequence of an nginx-rtmp-style server to connect / createStream / play, including
    /// Window Ack Size, Set Peer Bandwidth and Set Chunk Size 4096 first, a user control message,
    /// the ffmpeg `onMetaData` fixture and a 10 kB video message interleaved with audio.
    #[test]
    fn server_reply_sequence() {
        let n = Amf0Value::Number;
        let mut wire = Vec::new();
        wire.extend(chunk_message(
            2,
            0,
            message_type::WINDOW_ACK_SIZE,
            0,
            &5_000_000u32.to_be_bytes(),
            128,
        ));
        wire.extend(chunk_message(
            2,
            0,
            message_type::SET_PEER_BANDWIDTH,
            0,
            &[0, 0x4c, 0x4b, 0x40, 2],
            128,
        ));
        wire.extend(chunk_message(
            2,
            0,
            message_type::SET_CHUNK_SIZE,
            0,
            &4096u32.to_be_bytes(),
            128,
        ));
        wire.extend(server_command(
            3,
            0,
            &[
                s("_result"),
                n(1.0),
                obj(&[("fmsVer", s("FMS/3,0,1,123")), ("capabilities", n(31.0))]),
                obj(&[
                    ("level", s("status")),
                    ("code", s(CONNECT_SUCCESS)),
                    ("description", s("Connection succeeded.")),
                    ("objectEncoding", n(0.0)),
                ]),
            ],
            4096,
        ));
        wire.extend(server_command(
            3,
            0,
            &[s("_result"), n(2.0), Amf0Value::Null, n(1.0)],
            4096,
        ));
        wire.extend(chunk_message(
            2,
            0,
            message_type::USER_CONTROL,
            0,
            &[0, 0, 0, 0, 0, 1],
            4096,
        ));
        wire.extend(server_command(
            5,
            1,
            &[
                s("onStatus"),
                n(0.0),
                Amf0Value::Null,
                obj(&[
                    ("level", s("status")),
                    ("code", s(PLAY_START)),
                    ("description", s("Start live")),
                ]),
            ],
            4096,
        ));
        let meta = &crate::test_fixture("rtmp/ffmpeg_onmetadata.amf0");
        wire.extend(chunk_message(5, 0, message_type::DATA_AMF0, 1, meta, 4096));
        let video = chunk_message(6, 0, message_type::VIDEO, 1, &[0x17; 10_000], 4096);
        let audio = chunk_message(4, 0, message_type::AUDIO, 1, &[0xAF; 100], 4096);
        wire.extend(&video[..12 + 4096]);
        wire.extend(&audio);
        wire.extend(&video[12 + 4096..]);

        for step in [1, 5, 1000, usize::MAX] {
            let mut r = ChunkReader::new();
            let mut msgs = Vec::new();
            for c in wire.chunks(step) {
                r.feed(c);
                while let Some(m) = r.next_message().unwrap() {
                    msgs.push(m);
                }
            }
            let types: Vec<u8> = msgs.iter().map(|m| m.type_id).collect();
            assert_eq!(types, [5, 6, 1, 20, 20, 4, 20, 18, 8, 9], "step {step}");

            let connect = parse_command(&msgs[3]).unwrap();
            assert_eq!(connect.name, "_result");
            let st = Status::from_command(&connect).unwrap();
            assert!(st.is(CONNECT_SUCCESS));
            assert_eq!(st.level.as_deref(), Some("status"));

            let created = parse_command(&msgs[4]).unwrap();
            assert_eq!(created_stream_id(&created), Some(1));
            assert_eq!(Status::from_command(&created), None);

            let on_status = parse_command(&msgs[6]).unwrap();
            let st = Status::from_command(&on_status).unwrap();
            assert!(st.is(PLAY_START) && !st.is(PLAY_STREAM_NOT_FOUND));
            assert_eq!(st.description.as_deref(), Some("Start live"));

            let md = parse_metadata(&msgs[7]).unwrap();
            assert_eq!((md.width, md.height), (Some(640), Some(360)));
            assert_eq!(md.frame_rate, Some(25.0));
            assert_eq!(
                (md.video_codec(), md.audio_codec()),
                (Some("h264"), Some("aac"))
            );
            assert_eq!(md.audio_sample_rate, Some(44_100));
            assert_eq!(md.encoder.as_deref(), Some("Lavf59.27.100"));
            assert_eq!(msgs[9].payload.len(), 10_000);
        }
    }

    #[test]
    fn stream_not_found_and_errors() {
        let mut r = ChunkReader::new();
        r.feed(&server_command(
            5,
            1,
            &[
                s("onStatus"),
                Amf0Value::Number(0.0),
                Amf0Value::Null,
                obj(&[
                    ("level", s("error")),
                    ("code", s(PLAY_STREAM_NOT_FOUND)),
                    ("description", s("No such stream")),
                ]),
            ],
            128,
        ));
        let st = Status::from_command(&parse_command(&r.next_message().unwrap().unwrap()).unwrap());
        assert!(st.unwrap().is(PLAY_STREAM_NOT_FOUND));

        // _error to connect (e.g. SRS with a wrong app): the info object is in the arguments.
        let mut r = ChunkReader::new();
        r.feed(&server_command(
            3,
            0,
            &[
                s("_error"),
                Amf0Value::Number(1.0),
                Amf0Value::Null,
                obj(&[("level", s("error")), ("code", s(CONNECT_REJECTED))]),
            ],
            128,
        ));
        let c = parse_command(&r.next_message().unwrap().unwrap()).unwrap();
        assert!(Status::from_command(&c).unwrap().is(CONNECT_REJECTED));
        assert_eq!(created_stream_id(&c), None);

        // AMF3 command (type 17) with its leading format byte.
        let mut body = vec![0];
        amf0::encode(&s("onBWDone"), &mut body);
        let msg = Message {
            chunk_stream_id: 3,
            timestamp: 0,
            type_id: 17,
            stream_id: 0,
            payload: body,
        };
        assert_eq!(parse_command(&msg).unwrap().name, "onBWDone");
        // Not commands.
        let msg = Message { type_id: 9, ..msg };
        assert_eq!(parse_command(&msg), Err(RtmpError::NotACommand(9)));
        let msg = Message {
            type_id: 20,
            payload: vec![0, 0, 0, 0, 0, 0, 0, 0, 0],
            ..msg
        };
        assert_eq!(parse_command(&msg), Err(RtmpError::NoCommandName));
        let msg = Message {
            payload: vec![3, 0],
            ..msg
        };
        assert!(matches!(parse_command(&msg), Err(RtmpError::Amf0(_))));
    }

    #[test]
    fn metadata_forms_and_codec_ids() {
        let meta = |values: &[Amf0Value], type_id: u8| {
            let mut payload = if type_id == 15 { vec![0] } else { vec![] };
            for v in values {
                amf0::encode(v, &mut payload);
            }
            parse_metadata(&Message {
                chunk_stream_id: 5,
                timestamp: 0,
                type_id,
                stream_id: 1,
                payload,
            })
        };
        let n = Amf0Value::Number;
        // Publisher form relayed as is, HEVC by the CDN convention, odd frame rate.
        let m = meta(
            &[
                s("@setDataFrame"),
                s("onMetaData"),
                obj(&[
                    ("videocodecid", n(12.0)),
                    ("framerate", n(29.97002997)),
                    ("width", n(-1.0)),
                ]),
            ],
            18,
        )
        .unwrap();
        assert_eq!(m.video_codec(), Some("h265"));
        assert_eq!(m.frame_rate, Some(29.97));
        assert_eq!(m.width, None);
        // Enhanced RTMP FourCC: 'hvc1' and 'av01' (== 1635135537.0 in the spec's example).
        let m = meta(
            &[
                s("onMetaData"),
                obj(&[("videocodecid", n(1_752_589_105.0))]),
            ],
            15,
        )
        .unwrap();
        assert_eq!(m.video_codec(), Some("h265"));
        let m = meta(
            &[
                s("onMetaData"),
                obj(&[("videocodecid", n(1_635_135_537.0))]),
            ],
            18,
        )
        .unwrap();
        assert_eq!(m.video_codec(), Some("av1"));
        // Unknown or unmapped IDs stay unmapped.
        let m = meta(
            &[
                s("onMetaData"),
                obj(&[("videocodecid", n(2.0)), ("audiocodecid", n(13.0))]),
            ],
            18,
        )
        .unwrap();
        assert_eq!((m.video_codec(), m.audio_codec()), (None, None));
        assert_eq!(m.video_codec_id, Some(2));
        // Other data messages.
        assert_eq!(
            meta(&[s("|RtmpSampleAccess"), Amf0Value::Boolean(true)], 18),
            None
        );
        assert_eq!(meta(&[s("onMetaData"), n(1.0)], 18), None);
        assert_eq!(meta(&[s("onMetaData")], 20), None);
        assert_eq!(meta(&[], 18), None);
    }
}
