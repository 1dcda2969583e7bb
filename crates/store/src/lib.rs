//! Bursar's persistence: one `Store` over SQLite (the embedded default) or
//! PostgreSQL, through the same functions and portable SQL.
//!
//! Code map:
//! - `error`: `Error`, sqlx errors mapped once (`NotFound`, `Conflict`).
//! - `migrate`: the per-backend migrations embedded from `migrations/`.
//! - `group`: group commit: concurrent writes share one durable commit.
//! - `crypto`: the card key and the AEAD that encrypts card numbers, bank
//!   accounts and export secrets at rest.
//! - `setup`: what `init` creates (agent 1, source 1, the `api` employee,
//!   default reasons, the locality table) and the `conf` table.
//! - `catalog`: the declarative catalog: snapshot and idempotent apply.
//! - `customer`: customers, their locations and invoicing destinations.
//! - `customer_update`: changing customers, reference and locality lookups,
//!   location listing.
//! - `package`: customer packages.
//! - `relocate`: moving a package to another location.
//! - `service_list`: the services of a customer.
//! - `referral`: advertising sources and the e-mail opt-out.
//! - `service`: mail accounts of packages and the exports of their definitions.
//! - `jobs`: the durable export job queue.
//! - `export_lock`: the per-customer lock export work takes across processes.
//! - `ledger`: invoices, payments, credits, refunds, applications, balance.
//! - `payment_api`: what the back-office ledger methods look up around the
//!   ledger: customer lock, API settings, idempotency keys, reasons, phone
//!   owners, unsuspension after a payment.
//! - `billing`: the billing run: passes per customer in batched
//!   transactions, collection, dunning (`bill_all`, `bill_customer_now`).
//! - `gateway`: the `PaymentGateway` trait billing charges through, and the
//!   built-in `TestGateway`.
//! - `invoice_doc`: an invoice with everything a rendered document shows.
//! - `bench_data`: generated catalogs and customers for `bursar bench
//!   billing` and tests, and the raw-insert ceiling.
//! - `rows`: row → domain type conversions, in one place.
//! - `testing` (feature `testing`): throwaway SQLite files and PostgreSQL
//!   clusters for tests of every crate.
//!
//! Invariants: no other crate talks SQL; every write runs in one transaction
//! (`Store::write`), so an error leaves nothing half-written; money columns
//! are integer cents; SQL is shared by both backends except where a module
//! says why not.

pub mod bench_data;
pub mod billing;
pub mod catalog;
pub mod crypto;
pub mod customer;
pub mod customer_update;
mod error;
pub mod export_lock;
pub mod gateway;
pub mod group;
pub mod invoice_doc;
pub mod jobs;
mod json_rows;
pub mod ledger;
mod migrate;
pub mod package;
pub mod payment_api;
pub mod referral;
pub mod relocate;
mod rows;
pub mod service;
pub mod service_list;
pub mod setup;
#[cfg(feature = "testing")]
pub mod testing;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use crypto::{CardKey, Cipher};
pub use error::{Error, Result};

/// A transaction on either backend.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;
/// A connection on either backend (what store functions take).
pub type Conn = sqlx::AnyConnection;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file in WAL mode.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// `$start, $start+1, …` for `n` values: the placeholders of an `IN (…)`
/// list (chunked by callers to stay within both backends' limits).
pub(crate) fn in_list(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|idx| format!("${idx}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `sql`, whose one `IN ({})` takes the list, over `values` 500 at a
/// time; returns all the rows (none for a `DELETE`).
pub(crate) async fn fetch_in_list(
    conn: &mut Conn,
    sql: &str,
    values: &[i64],
) -> Result<Vec<sqlx::any::AnyRow>> {
    let mut rows = Vec::new();
    for chunk in values.chunks(500) {
        let sql = sql.replace("{}", &in_list(1, chunk.len()));
        let mut query = sqlx::query(&sql);
        for value in chunk {
            query = query.bind(*value);
        }
        rows.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

/// The database: a reader pool and a writer pool (the same pool on
/// PostgreSQL; one connection on SQLite, so writers queue in the process
/// instead of spinning on `SQLITE_BUSY`), and the cipher for secrets.
#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    cipher: Cipher,
    /// The group-commit queue (SQLite).
    group: Option<group::GroupQueue>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// Hides the password of a database URL, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Opens the database at `url` (`sqlite://PATH` or `postgres://…`),
    /// creating a SQLite file (and its folder) when missing. Does not migrate.
    ///
    /// # Errors
    /// [`Error::Config`] for an unsupported URL, [`Error::Backend`] when the
    /// database cannot be reached.
    pub async fn open(url: &str, cipher: Cipher) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(Error::Config(format!(
                "unsupported database URL {} (use sqlite://PATH or postgres://...)",
                redact_url(url)
            )));
        };
        match backend {
            Backend::Sqlite => Self::open_sqlite(url, cipher).await,
            Backend::Postgres => {
                let options = AnyConnectOptions::from_str(url).map_err(|e| {
                    Error::Config(format!("bad database URL {}: {e}", redact_url(url)))
                })?;
                let pool = AnyPoolOptions::new()
                    .max_connections(32)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                Ok(Store {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    cipher,
                    group: None,
                })
            }
        }
    }

    async fn open_sqlite(url: &str, cipher: Cipher) -> Result<Store> {
        let path = url
            .trim_start_matches("sqlite:")
            .trim_start_matches("//")
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();
        if path.is_empty() || path == ":memory:" {
            return Err(Error::Config("a SQLite database needs a file path".into()));
        }
        if let Some(parent) = Path::new(&path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    Error::Config(format!(
                        "cannot create database folder {}: {e}",
                        parent.display()
                    ))
                })?;
            }
        }
        let full_url = format!("sqlite://{path}?mode=rwc");
        let options = AnyConnectOptions::from_str(&full_url)
            .map_err(|e| Error::Config(format!("bad database URL {url}: {e}")))?;
        let pragmas = |pool: AnyPoolOptions| {
            pool.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            })
        };
        let write = pragmas(AnyPoolOptions::new().max_connections(1).min_connections(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        let read = pragmas(AnyPoolOptions::new().max_connections(4))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        let group = Some(group::start(write.clone()));
        Ok(Store {
            read,
            write,
            backend: Backend::Sqlite,
            cipher,
            group,
        })
    }

    /// Applies the pending migrations of this backend.
    ///
    /// # Errors
    /// [`Error::Migrate`] when a migration fails or the database was changed
    /// by a newer Bursar.
    pub async fn migrate(&self) -> Result<()> {
        migrate::run(&self.write, self.backend).await
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The cipher for secrets at rest.
    pub fn cipher(&self) -> &Cipher {
        &self.cipher
    }

    /// Starts a write transaction: every store write happens inside one, and
    /// nothing of it is visible until [`Tx::commit`].
    ///
    /// # Errors
    /// [`Error::Backend`] when the database is unreachable.
    pub async fn write(&self) -> Result<Tx> {
        Ok(self.write.begin().await?)
    }

    /// Starts a read-only transaction: a consistent snapshot for reports.
    ///
    /// # Errors
    /// [`Error::Backend`] when the database is unreachable.
    pub async fn read(&self) -> Result<Tx> {
        Ok(self.read.begin().await?)
    }

    /// Checks that the database answers.
    ///
    /// # Errors
    /// [`Error::Backend`] when it does not.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Closes every connection (checkpointing SQLite's WAL).
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// After rows were inserted with explicit numbers, moves PostgreSQL's
    /// identity sequence of `table.column` above the highest number in use,
    /// so numbers generated later continue above it (SQLite does this by
    /// itself for `INTEGER PRIMARY KEY`).
    pub(crate) async fn bump_sequence(
        conn: &mut Conn,
        backend: Backend,
        table: &str,
        column: &str,
    ) -> Result<()> {
        if backend == Backend::Postgres {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                 GREATEST((SELECT COALESCE(MAX({column}), 0) FROM {table}), 1), \
                 (SELECT COUNT(*) FROM {table}) > 0)"
            );
            sqlx::query(&sql).execute(conn).await?;
        }
        Ok(())
    }
}
