//! Settings resolved once: each command turns its clap arguments, their `CAMSCAN_*` variables and
//! the config file (read once per process, [`crate::config::FileConfig::load`]) into the typed
//! settings it hands down ([`crate::config::ScanConfig`], [`crate::watch::WatchConfig`], the
//! inventory's place). Nothing below the commands names an argument type of [`crate::cli`].

mod scan;
