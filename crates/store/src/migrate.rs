//! The migrations of each backend, embedded in the binary from
//! `migrations/sqlite/` and `migrations/postgres/` (same versions, same
//! names). Never edit an applied migration: add a new one to both folders.

use std::borrow::Cow;

use futures_core::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::AnyPool;

use crate::{Backend, Result};

/// (version, description, SQLite text, PostgreSQL text).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
        include_str!("../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "billing",
        include_str!("../migrations/sqlite/0002_billing.sql"),
        include_str!("../migrations/postgres/0002_billing.sql"),
    ),
    (
        3,
        "exports",
        include_str!("../migrations/sqlite/0003_exports.sql"),
        include_str!("../migrations/postgres/0003_exports.sql"),
    ),
    (
        4,
        "ledger_sums",
        include_str!("../migrations/sqlite/0004_ledger_sums.sql"),
        include_str!("../migrations/postgres/0004_ledger_sums.sql"),
    ),
    (
        5,
        "service suspension",
        include_str!("../migrations/sqlite/0005_service_suspension.sql"),
        include_str!("../migrations/postgres/0005_service_suspension.sql"),
    ),
    (
        6,
        "invoice no_auto",
        include_str!("../migrations/sqlite/0006_invoice_no_auto.sql"),
        include_str!("../migrations/postgres/0006_invoice_no_auto.sql"),
    ),
];

#[derive(Debug)]
struct Embedded(Backend);

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            Ok(MIGRATIONS
                .iter()
                .map(|&(version, description, sqlite, postgres)| {
                    let sql = if self.0 == Backend::Sqlite {
                        sqlite
                    } else {
                        postgres
                    };
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// Applies the pending migrations of `backend` on `pool`.
pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<()> {
    let migrator = Migrator::new(Embedded(backend)).await?;
    migrator.run(pool).await?;
    Ok(())
}
