//! Fragmented MP4 for Media Source Extensions (pure: no I/O, never panics on any input).
