//! AMF0 values (`proto::rtmp::amf0`) as command and data message bodies.
//!
//! Checked: what decodes re-encodes to bytes that decode to the same values (compared through a
//! second encoding, so NaN numbers compare equal).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::rtmp::amf0::{self, Amf0Value};
use proto::rtmp::chunk::{Message, message_type};
use proto::rtmp::{self};

fn encode_all(values: &[Amf0Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        amf0::encode(v, &mut out);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if let Ok(values) = amf0::decode_values(data) {
        for v in &values {
            let _ = v.get("code");
            let _ = v.as_f64();
            let _ = v.as_str();
        }
        let once = encode_all(&values);
        let again = amf0::decode_values(&once).expect("our own encoding decodes");
        assert_eq!(
            encode_all(&again),
            once,
            "AMF0 round trip changed the values"
        );
    }
    for type_id in [
        message_type::COMMAND_AMF0,
        message_type::COMMAND_AMF3,
        message_type::DATA_AMF0,
        message_type::DATA_AMF3,
    ] {
        let msg = Message {
            chunk_stream_id: 3,
            timestamp: 0,
            type_id,
            stream_id: 0,
            payload: data.to_vec(),
        };
        if let Ok(cmd) = rtmp::parse_command(&msg) {
            let _ = rtmp::created_stream_id(&cmd);
            let _ = rtmp::Status::from_command(&cmd);
        }
        let _ = rtmp::parse_metadata(&msg);
    }
});
