//! Scans: recording one ([`record`], by the rules of [`derive`]) and whether a running scan's
//! process is still there ([`lock`]).

pub(crate) mod derive;
pub(crate) mod lock;
pub(crate) mod record;

pub(crate) use super::{Recorded, ScanInfo};
