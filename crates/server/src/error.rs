//! `ApiError`, the one error type of service functions, and the one place
//! that decides what a client sees of it.

use std::fmt;

/// What a service function can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A refusal the client must read: a wrong secret, an unknown record, a
    /// field error or a business rule. The text is Freeside's, word for
    /// word; it travels in the reply's `error` member (never as a fault).
    #[error("{0}")]
    Refused(String),
    /// An unexpected failure (database down, bug). The client sees a generic
    /// fault with a reference id; the cause is logged once, under that id.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A refusal with this client-visible text.
    pub fn refused(message: impl Into<String>) -> ApiError {
        ApiError::Refused(message.into())
    }
}

impl From<bursar_store::Error> for ApiError {
    fn from(error: bursar_store::Error) -> ApiError {
        match error {
            bursar_store::Error::Refused(message) => ApiError::Refused(message),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<bursar_core::field::FieldError> for ApiError {
    fn from(error: bursar_core::field::FieldError) -> ApiError {
        ApiError::Refused(error.to_string())
    }
}

/// A short random id that ties a client's fault to the log line with the cause.
#[derive(Debug, Clone, Copy)]
pub struct RefId(u64);

impl RefId {
    /// A new id.
    pub fn new() -> RefId {
        RefId(rand::random::<u64>() & 0xffff_ffff_ffff)
    }
}

impl Default for RefId {
    fn default() -> Self {
        RefId::new()
    }
}

impl fmt::Display for RefId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:012x}", self.0)
    }
}
