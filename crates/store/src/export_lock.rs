//! The database lock that serialises export work on one customer across
//! processes: inserts and deletes on a MagicMail account must not interleave
//! (two first services would both create the account, or both find no
//! master), and the export's own lock only covers one process.
//!
//! The lock is the customer's `cust_main` row, taken at the start of the
//! operation's write transaction and released by its commit or rollback. On
//! PostgreSQL that is `SELECT … FOR UPDATE`; on SQLite a no-op `UPDATE` that
//! makes the transaction take the database's write lock at once (inside one
//! process the single writer connection already serialises writers; this
//! also holds off other processes sharing the file). Nothing else here.

use crate::{Backend, Conn, Error, Result};

/// Locks customer `custnum` until the transaction on `conn` ends.
///
/// # Errors
/// [`Error::NotFound`] when there is no such customer; [`Error::Backend`]
/// when the database fails (a lock wait past its timeout included).
pub async fn lock_customer(conn: &mut Conn, backend: Backend, custnum: i64) -> Result<()> {
    let found = match backend {
        Backend::Postgres => {
            sqlx::query("SELECT custnum FROM cust_main WHERE custnum = $1 FOR UPDATE")
                .bind(custnum)
                .fetch_optional(conn)
                .await?
                .is_some()
        }
        // SQLite has no row locks; a write takes the database's write lock
        // for the rest of the transaction.
        Backend::Sqlite => {
            sqlx::query("UPDATE cust_main SET custnum = custnum WHERE custnum = $1")
                .bind(custnum)
                .execute(conn)
                .await?
                .rows_affected()
                > 0
        }
    };
    if found {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
