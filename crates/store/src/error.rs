//! The store's error type: sqlx errors are mapped once, here.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The record asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A configuration problem: bad URL, unusable path, bad key.
    #[error("{0}")]
    Config(String),
    /// A rule of the domain refused the operation; the text is for the client.
    #[error("{0}")]
    Refused(String),
    /// Stored data that cannot be decrypted or parsed.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database failed.
    #[error("database error: {0}")]
    Backend(#[source] sqlx::Error),
}

/// The store's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Error {
        match error {
            sqlx::Error::RowNotFound => Error::NotFound,
            sqlx::Error::Database(ref db)
                if db.is_unique_violation() || db.is_foreign_key_violation() =>
            {
                Error::Conflict(
                    db.constraint()
                        .map(str::to_string)
                        .unwrap_or_else(|| db.message().to_string()),
                )
            }
            other => Error::Backend(other),
        }
    }
}
