//! The command line's and config file's values read from text (CSV delimiters, port lists; the
//! declared settings' parsers are theirs, [`crate::model::setting`]) and the errors every setting
//! reports a bad one with.

use crate::error::Error;

/// A CSV delimiter (the CSV exporter's option reads it).
pub use crate::export::parse_csv_delimiter;

/// `554,8554,8000-8010`: ports in the order given, duplicates dropped
/// ([`crate::model::setting::ports`], with the error a scan request's ports get).
pub fn parse_ports(spec: &str) -> Result<Vec<u16>, Error> {
    crate::model::setting::ports(spec).map_err(|reason| Error::InvalidPorts {
        spec: spec.to_string(),
        reason,
    })
}

pub(crate) fn invalid(field: &'static str, value: &str, reason: &str) -> Error {
    Error::InvalidValue {
        field,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}
