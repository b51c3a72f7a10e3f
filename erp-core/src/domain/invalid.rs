//! The error a domain constructor returns before it knows which field it was parsing.

use std::fmt;

use crate::error::Error;

/// Why a value was rejected. The caller names the field with [`FieldResult::field`], which turns it
/// into [`Error::Validation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    reason: String,
}

impl Invalid {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// The human-readable reason, e.g. "must not be empty".
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Attaches the field name, producing the public validation error.
    pub fn in_field(self, field: impl Into<String>) -> Error {
        Error::Validation {
            field: field.into(),
            reason: self.reason,
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Invalid {}

/// Names the field of a failed parse: `Sku::parse(raw).field("sku")?`.
pub trait FieldResult<T> {
    /// Converts an [`Invalid`] into [`Error::Validation`] for `field`.
    fn field(self, field: &str) -> Result<T, Error>;
}

impl<T> FieldResult<T> for Result<T, Invalid> {
    fn field(self, field: &str) -> Result<T, Error> {
        self.map_err(|invalid| invalid.in_field(field))
    }
}
