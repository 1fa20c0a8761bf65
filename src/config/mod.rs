//! The config file's shape: its keys ([`FileConfig`], its `watch:` section [`WatchFile`]) and how
//! its text is read into them ([`FileConfig::parse`]): the file's own fields, then the keys that
//! registrations name, taken out of a mapping by a sieve (`sieve`): the formats' options
//! (`format_options`) and the scan settings at its top level (`top_level`), the sinks' options in
//! its `watch:` section (`sink_options`). Precedence, applied by the entrance that reads the file
//! (`cli::settings`): flags > env > the file > defaults.
//!
//! Nothing here reads a file or the environment: the entrance reads the config file once and
//! resolves every setting from it; doctor judges the text the entrance read.

mod file;
pub mod format_options;
mod sieve;
pub mod sink_options;
mod top_level;

pub use file::*;
pub use top_level::keys;
