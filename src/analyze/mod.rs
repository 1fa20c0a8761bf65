//! Deep looks at services found by `detect`: RTSP path discovery, SDP analysis (via retina) and PLAY
//! verification, the ONVIF device API, and the media an HTTP port serves (HLS, DASH, MJPEG, JPEG), RTMP servers' streams, and WebRTC infrastructure (STUN/TURN, gateway APIs).
//! Every network call is under a deadline.

pub mod budget;
pub mod context;
pub mod ffconcat;
pub mod ffprobe;
pub mod followed;
pub mod hints;
pub mod http;
pub mod identity;
pub mod onvif;
pub mod paths;
pub mod rtmp;
pub mod rtsp;
pub mod sessions;
pub mod slot;
pub mod verify;
pub mod webrtc;
