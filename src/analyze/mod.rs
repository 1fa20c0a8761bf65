//! Deep looks at services found by `detect`: RTSP path discovery and SDP analysis (via retina, every
//! call under a deadline). ONVIF device API and PLAY verification join here.

pub mod budget;
pub mod ffprobe;
pub mod onvif;
pub mod paths;
pub mod rtsp;
pub mod verify;
