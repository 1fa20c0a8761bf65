//! What every command's settings read beside its own arguments and the config file: the global
//! `--color` and the process environment, taken once at the door ([`Process`]); and the one error
//! a refused value is reported with ([`invalid`]).

use input::environment::ColorChoice;

/// What every command's settings read beside its own arguments and the config file: the global
/// `--color` and the process environment, both taken at the entrance (`Cli::process`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Process {
    pub color: Option<ColorChoice>,
    pub env: input::environment::Environment,
}

/// The error every setting reports a bad value with.
pub fn invalid(field: &'static str, value: &str, reason: &str) -> error::Error {
    error::Error::InvalidValue {
        field,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}
