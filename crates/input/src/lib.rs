//! What camscan takes from its user, as machinery: a setting's one declaration ([`setting`]), the
//! closed sets of names some settings take ([`choice`], declared with [`choices!`]), and the
//! process environment, read once at the entrance and handed down ([`environment`]). The
//! declarations themselves stand beside their uses (`<module>/settings.rs` in the main crate and
//! in the store); this crate only says what a declaration is and how a value is read.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod choice;
pub mod environment;
pub mod setting;
