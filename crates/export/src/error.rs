//! `ServiceError`: what a service operation fails with.

/// Why a service operation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input or a rule of the domain; nothing changed anywhere.
    #[error("{0}")]
    Refused(String),
    /// An export refused or failed; the local change was rolled back and
    /// the remote side compensated (what could not be undone at once was
    /// queued as a repair).
    #[error("{0}")]
    Export(String),
    /// The database failed.
    #[error(transparent)]
    Store(bursar_store::Error),
}

impl From<bursar_store::Error> for ServiceError {
    fn from(error: bursar_store::Error) -> ServiceError {
        match error {
            bursar_store::Error::Refused(message) => ServiceError::Refused(message),
            bursar_store::Error::NotFound => ServiceError::Refused("not found".into()),
            other => ServiceError::Store(other),
        }
    }
}
