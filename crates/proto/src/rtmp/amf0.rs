//! AMF0 (Adobe "Action Message Format -- AMF 0", 2006), the encoding of RTMP commands and of
//! `onMetaData`: a bounded decoder for what servers send and a small encoder for what we send.
//!
//! Bounds: nesting deeper than [`MAX_DEPTH`] and more than [`MAX_ITEMS`] values in one decode are
//! errors (a few bytes of `0x03` markers would otherwise recurse without end), lengths are checked
//! against the input before anything is allocated, and strings that are not UTF-8 are decoded
//! lossily rather than refused. References, typed objects, AVM+ (AMF3) switches and the other rare
//! markers are reported as [`Amf0Error::Unsupported`]; RTMP servers do not send them in replies to
//! connect/createStream/play.
//!
//! Quirk: some encoders end an ECMA array at the end of the buffer without the `00 00 09` end marker
//! (the array's count field says how many pairs there are); that is accepted.

/// Deepest nesting of objects and arrays (real `onMetaData` nests 2 levels).
pub const MAX_DEPTH: usize = 16;
/// Most values decoded from one buffer, all levels counted.
pub const MAX_ITEMS: usize = 4096;

/// An AMF0 value. Long strings (marker 0x0C) decode to [`Amf0Value::String`].
#[derive(Debug, Clone, PartialEq)]
pub enum Amf0Value {
    Number(f64),
    Boolean(bool),
    String(String),
    /// Anonymous object: properties in wire order.
    Object(Vec<(String, Amf0Value)>),
    Null,
    Undefined,
    /// Associative ("ECMA") array, as `onMetaData` uses.
    EcmaArray(Vec<(String, Amf0Value)>),
    StrictArray(Vec<Amf0Value>),
    /// Milliseconds since the Unix epoch (the time-zone field is reserved and ignored).
    Date(f64),
}

impl Amf0Value {
    /// A property of an object or ECMA array (first match, exact name).
    pub fn get(&self, key: &str) -> Option<&Amf0Value> {
        match self {
            Amf0Value::Object(p) | Amf0Value::EcmaArray(p) => {
                p.iter().find(|(k, _)| k == key).map(|(_, v)| v)
            }
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Amf0Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Amf0Value::String(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Amf0Error {
    #[error("AMF0 value truncated at byte {0}")]
    Truncated(usize),
    #[error("AMF0 nesting deeper than {MAX_DEPTH} at byte {0}")]
    TooDeep(usize),
    #[error("more than {MAX_ITEMS} AMF0 values")]
    TooManyItems,
    #[error("unsupported AMF0 marker 0x{marker:02x} at byte {at}")]
    Unsupported { marker: u8, at: usize },
    #[error("AMF0 object-end marker outside an object at byte {0}")]
    UnexpectedObjectEnd(usize),
}

const NUMBER: u8 = 0x00;
const BOOLEAN: u8 = 0x01;
const STRING: u8 = 0x02;
const OBJECT: u8 = 0x03;
const NULL: u8 = 0x05;
const UNDEFINED: u8 = 0x06;
const ECMA_ARRAY: u8 = 0x08;
const OBJECT_END: u8 = 0x09;
const STRICT_ARRAY: u8 = 0x0A;
const DATE: u8 = 0x0B;
const LONG_STRING: u8 = 0x0C;

/// Decode every value in `bytes`, in order (a command message is a sequence of values).
pub fn decode_values(bytes: &[u8]) -> Result<Vec<Amf0Value>, Amf0Error> {
    let mut d = Decoder {
        bytes,
        at: 0,
        items: 0,
    };
    let mut out = Vec::new();
    while d.at < bytes.len() {
        out.push(d.value(0)?);
    }
    Ok(out)
}

struct Decoder<'a> {
    bytes: &'a [u8],
    at: usize,
    items: usize,
}

impl Decoder<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Amf0Error> {
        let end = self
            .at
            .checked_add(n)
            .ok_or(Amf0Error::Truncated(self.at))?;
        let s = self
            .bytes
            .get(self.at..end)
            .ok_or(Amf0Error::Truncated(self.at))?;
        self.at = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, Amf0Error> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, Amf0Error> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, Amf0Error> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f64(&mut self) -> Result<f64, Amf0Error> {
        let b = self.take(8)?;
        Ok(f64::from_be_bytes(b.try_into().unwrap_or([0; 8])))
    }

    fn string(&mut self, len: usize) -> Result<String, Amf0Error> {
        Ok(String::from_utf8_lossy(self.take(len)?).into_owned())
    }

    fn value(&mut self, depth: usize) -> Result<Amf0Value, Amf0Error> {
        self.items += 1;
        if self.items > MAX_ITEMS {
            return Err(Amf0Error::TooManyItems);
        }
        let at = self.at;
        Ok(match self.u8()? {
            NUMBER => Amf0Value::Number(self.f64()?),
            BOOLEAN => Amf0Value::Boolean(self.u8()? != 0),
            STRING => {
                let n = self.u16()?;
                Amf0Value::String(self.string(usize::from(n))?)
            }
            LONG_STRING => {
                let n = self.u32()?;
                Amf0Value::String(self.string(n as usize)?)
            }
            NULL => Amf0Value::Null,
            UNDEFINED => Amf0Value::Undefined,
            OBJECT => Amf0Value::Object(self.properties(depth, at, None)?),
            ECMA_ARRAY => {
                let count = self.u32()?;
                Amf0Value::EcmaArray(self.properties(depth, at, Some(count))?)
            }
            STRICT_ARRAY => {
                if depth + 1 > MAX_DEPTH {
                    return Err(Amf0Error::TooDeep(at));
                }
                let count = self.u32()? as usize;
                // Every value takes at least one byte: a count beyond the input is a lie.
                if count > self.bytes.len() - self.at {
                    return Err(Amf0Error::Truncated(self.at));
                }
                let mut items = Vec::new();
                for _ in 0..count {
                    items.push(self.value(depth + 1)?);
                }
                Amf0Value::StrictArray(items)
            }
            DATE => {
                let ms = self.f64()?;
                self.take(2)?;
                Amf0Value::Date(ms)
            }
            OBJECT_END => return Err(Amf0Error::UnexpectedObjectEnd(at)),
            marker => return Err(Amf0Error::Unsupported { marker, at }),
        })
    }

    /// Name/value pairs up to the `00 00 09` end marker. For an ECMA array with `count` pairs, the
    /// end of the input after them also ends it.
    fn properties(
        &mut self,
        depth: usize,
        at: usize,
        count: Option<u32>,
    ) -> Result<Vec<(String, Amf0Value)>, Amf0Error> {
        if depth + 1 > MAX_DEPTH {
            return Err(Amf0Error::TooDeep(at));
        }
        let mut props = Vec::new();
        loop {
            if self.at == self.bytes.len() && count.is_some_and(|c| props.len() >= c as usize) {
                return Ok(props);
            }
            let n = self.u16()?;
            if n == 0 && self.bytes.get(self.at) == Some(&OBJECT_END) {
                self.at += 1;
                return Ok(props);
            }
            let key = self.string(usize::from(n))?;
            let value = self.value(depth + 1)?;
            props.push((key, value));
        }
    }
}

/// Append the AMF0 encoding of `v` to `out`. Strings longer than 65535 bytes become long strings;
/// property names are cut at 65535 bytes.
pub fn encode(v: &Amf0Value, out: &mut Vec<u8>) {
    match v {
        Amf0Value::Number(n) => {
            out.push(NUMBER);
            out.extend_from_slice(&n.to_be_bytes());
        }
        Amf0Value::Boolean(b) => out.extend_from_slice(&[BOOLEAN, u8::from(*b)]),
        Amf0Value::String(s) => match u16::try_from(s.len()) {
            Ok(n) => {
                out.push(STRING);
                out.extend_from_slice(&n.to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            Err(_) => {
                let bytes = &s.as_bytes()[..s.len().min(u32::MAX as usize)];
                out.push(LONG_STRING);
                out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
                out.extend_from_slice(bytes);
            }
        },
        Amf0Value::Object(p) => {
            out.push(OBJECT);
            encode_properties(p, out);
        }
        Amf0Value::Null => out.push(NULL),
        Amf0Value::Undefined => out.push(UNDEFINED),
        Amf0Value::EcmaArray(p) => {
            out.push(ECMA_ARRAY);
            out.extend_from_slice(&(p.len().min(u32::MAX as usize) as u32).to_be_bytes());
            encode_properties(p, out);
        }
        Amf0Value::StrictArray(items) => {
            out.push(STRICT_ARRAY);
            out.extend_from_slice(&(items.len().min(u32::MAX as usize) as u32).to_be_bytes());
            for i in items {
                encode(i, out);
            }
        }
        Amf0Value::Date(ms) => {
            out.push(DATE);
            out.extend_from_slice(&ms.to_be_bytes());
            out.extend_from_slice(&[0, 0]);
        }
    }
}

fn encode_properties(p: &[(String, Amf0Value)], out: &mut Vec<u8>) {
    for (k, v) in p {
        let k = &k.as_bytes()[..k.len().min(usize::from(u16::MAX))];
        out.extend_from_slice(&(k.len() as u16).to_be_bytes());
        out.extend_from_slice(k);
        encode(v, out);
    }
    out.extend_from_slice(&[0, 0, OBJECT_END]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Amf0Value {
        Amf0Value::String(v.into())
    }

    #[test]
    fn round_trip_every_supported_type() {
        let values = vec![
            s("_result"),
            Amf0Value::Number(1.0),
            Amf0Value::Object(vec![
                ("fmsVer".into(), s("FMS/3,0,1,123")),
                ("capabilities".into(), Amf0Value::Number(31.0)),
            ]),
            Amf0Value::Null,
            Amf0Value::Undefined,
            Amf0Value::Boolean(true),
            Amf0Value::EcmaArray(vec![(
                "nested".into(),
                Amf0Value::StrictArray(vec![Amf0Value::Number(-2.5), Amf0Value::Boolean(false)]),
            )]),
            Amf0Value::Date(1.7e12),
            s(&"L".repeat(70_000)),
        ];
        let mut bytes = Vec::new();
        for v in &values {
            encode(v, &mut bytes);
        }
        assert_eq!(decode_values(&bytes).unwrap(), values);
        // The long string used marker 0x0C.
        assert!(
            bytes
                .windows(5)
                .any(|w| w == [LONG_STRING, 0, 1, 0x11, 0x70])
        );
    }

    /// ffmpeg's FLV `onMetaData` (tests/fixtures/rtmp/README.md).
    #[test]
    fn ffmpeg_onmetadata() {
        let bytes = &crate::test_fixture("rtmp/ffmpeg_onmetadata.amf0");
        let v = decode_values(bytes).unwrap();
        assert_eq!(v[0], s("onMetaData"));
        let meta = &v[1];
        assert!(matches!(meta, Amf0Value::EcmaArray(p) if p.len() == 13));
        let num = |k| meta.get(k).and_then(Amf0Value::as_f64);
        assert_eq!(num("width"), Some(640.0));
        assert_eq!(num("height"), Some(360.0));
        assert_eq!(num("framerate"), Some(25.0));
        assert_eq!(num("videocodecid"), Some(7.0));
        assert_eq!(num("audiocodecid"), Some(10.0));
        assert_eq!(num("audiosamplerate"), Some(44_100.0));
        assert_eq!(meta.get("stereo"), Some(&Amf0Value::Boolean(false)));
        assert_eq!(
            meta.get("encoder").and_then(Amf0Value::as_str),
            Some("Lavf59.27.100")
        );
    }

    #[test]
    fn ecma_array_without_end_marker() {
        let mut b = vec![ECMA_ARRAY, 0, 0, 0, 1, 0, 1, b'w'];
        encode(&Amf0Value::Number(2.0), &mut b);
        assert_eq!(
            decode_values(&b).unwrap(),
            [Amf0Value::EcmaArray(vec![(
                "w".into(),
                Amf0Value::Number(2.0)
            )])]
        );
        // An object (no count) cut short is an error.
        let mut b = vec![OBJECT, 0, 1, b'w'];
        encode(&Amf0Value::Number(2.0), &mut b);
        assert_eq!(decode_values(&b), Err(Amf0Error::Truncated(13)));
    }

    #[test]
    fn depth_bomb_and_item_bomb() {
        // 100 000 nested objects: refused at MAX_DEPTH without deep recursion.
        let bomb = [OBJECT, 0, 1, b'a'].repeat(100_000);
        assert!(matches!(decode_values(&bomb), Err(Amf0Error::TooDeep(_))));
        let arrays = [STRICT_ARRAY, 0, 0, 0, 1].repeat(100_000);
        assert!(matches!(decode_values(&arrays), Err(Amf0Error::TooDeep(_))));
        let ecma = [ECMA_ARRAY, 0, 0, 0, 1, 0, 0].repeat(100_000);
        assert!(matches!(decode_values(&ecma), Err(Amf0Error::TooDeep(_))));
        // A million nulls: refused at MAX_ITEMS.
        assert_eq!(
            decode_values(&[NULL; 1_000_000]),
            Err(Amf0Error::TooManyItems)
        );
        // A strict array claiming 4 billion items is checked against the input, not allocated.
        assert!(matches!(
            decode_values(&[STRICT_ARRAY, 0xff, 0xff, 0xff, 0xff, NULL]),
            Err(Amf0Error::Truncated(5))
        ));
        let long = [LONG_STRING, 0xff, 0xff, 0xff, 0xff, b'x'];
        assert!(matches!(decode_values(&long), Err(Amf0Error::Truncated(5))));
    }

    #[test]
    fn junk_never_panics() {
        assert_eq!(decode_values(&[]).unwrap(), []);
        assert_eq!(
            decode_values(&[OBJECT_END]),
            Err(Amf0Error::UnexpectedObjectEnd(0))
        );
        assert_eq!(
            decode_values(&[0x07, 0, 1]),
            Err(Amf0Error::Unsupported { marker: 7, at: 0 })
        );
        assert_eq!(
            decode_values(&[0x11]),
            Err(Amf0Error::Unsupported {
                marker: 0x11,
                at: 0
            })
        );
        // Non-UTF-8 strings decode lossily.
        assert_eq!(
            decode_values(&[STRING, 0, 2, 0xC3, 0x28]).unwrap(),
            [s("\u{fffd}(")]
        );
        // Every prefix of a valid message is handled.
        let mut b = Vec::new();
        for v in [s("onStatus"), Amf0Value::Number(0.0), Amf0Value::Null] {
            encode(&v, &mut b);
        }
        encode(
            &Amf0Value::Object(vec![("code".into(), s("NetStream.Play.Start"))]),
            &mut b,
        );
        for n in 0..b.len() {
            let _ = decode_values(&b[..n]);
        }
        for seed in 0u32..2000 {
            let junk: Vec<u8> = (0..64u32)
                .map(|i| {
                    (seed.wrapping_mul(2_654_435_761).wrapping_add(i * 40_503) >> 13) as u8 % 14
                })
                .collect();
            let _ = decode_values(&junk);
        }
    }
}
