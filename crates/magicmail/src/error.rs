//! What one MagicMail API call can end in. The `Display` texts are the ones
//! Freeside's export shows where it has one (spec 2.4); the export joins
//! them into its hook errors, so they are client-visible.

/// The result of one API call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an API call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// DNS, connect, TLS or I/O failure, including a connection dropped
    /// mid-reply. The request may have reached the server: the outcome is
    /// unknown.
    #[error("Bad Response: {0}")]
    Transport(String),
    /// The connect or request deadline passed. The outcome is unknown.
    #[error("Bad Response: timeout")]
    Timeout,
    /// An HTTP status other than 200, 400 or 500 (the body is ignored).
    #[error("Bad Response: {code} {reason}")]
    Status {
        /// The status code.
        code: u16,
        /// Its reason phrase.
        reason: String,
    },
    /// The body is not well-formed XML (or not UTF-8).
    #[error("Malformed response: {0}")]
    Malformed(String),
    /// The server answered with an `<error>` element.
    #[error("{code}: {message}")]
    Api {
        /// The error code, e.g. `account.error.not_found`.
        code: String,
        /// The server's message.
        message: String,
    },
    /// A 400/500 reply without `<error>` (an empty body included), an object
    /// expected but missing, or a list item without a key.
    #[error("{0}")]
    Protocol(String),
    /// The client cannot be built (unreadable CA file, bad host).
    #[error("MagicMail client configuration: {0}")]
    Config(String),
}

/// The error text used when the server gave no message (spec 4.4, 4.5).
pub const UNKNOWN_ERROR: &str = "Unknown error";

impl Error {
    /// True when the call may have been applied although it failed: the
    /// request may have reached the server and the reply did not say what
    /// happened (timeouts, transport failures, gateway statuses, unreadable
    /// replies). API errors and client-side statuses are definite.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Transport(_) | Error::Timeout | Error::Malformed(_) | Error::Protocol(_) => true,
            Error::Status { code, .. } => !(400..500).contains(code),
            Error::Api { .. } | Error::Config(_) => false,
        }
    }

    /// True for the not-found codes of accounts and users
    /// (`account.error.not_found`, and `user.error.not_found`, B-8).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Api { code, .. }
            if code == "account.error.not_found" || code == "user.error.not_found")
    }

    /// True for `error.permission_denied`, which also means "no such address
    /// or domain" (spec 3, E2).
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, Error::Api { code, .. } if code == "error.permission_denied")
    }

    /// The API error code, if this is an API error.
    pub fn api_code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}
