//! WebRTC viewers (WHEP): the camera's H.264 RTP forwarded by str0m in RTP mode.
