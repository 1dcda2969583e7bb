//! Customer packages (`cust_pkg`): ordering and reading. Billing, changes,
//! suspension and cancellation build on these.

use bursar_core::model::CustomerPackage;
use sqlx::Row;

use crate::rows::{self, PACKAGE_COLUMNS};
use crate::{Conn, Error, Result};

/// A package to order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewPackage {
    /// Owner.
    pub custnum: i64,
    /// Definition.
    pub pkgpart: i64,
    /// Where it is delivered.
    pub locationnum: i64,
    /// How many (≥ 1).
    pub quantity: i64,
    /// Ordered at.
    pub order_date: i64,
    /// Future start, if any.
    pub start_date: Option<i64>,
    /// Contract end, if any.
    pub contract_end: Option<i64>,
    /// Employee who ordered it.
    pub usernum: i64,
    /// Invoice detail lines.
    pub details: Vec<String>,
}

/// Inserts a package; returns its `pkgnum`.
///
/// # Errors
/// [`Error::Conflict`] when the customer, definition or location is missing.
pub async fn order_package(conn: &mut Conn, new: &NewPackage) -> Result<i64> {
    let pkgnum: i64 = sqlx::query(
        "INSERT INTO cust_pkg (custnum, pkgpart, locationnum, usernum, quantity, order_date, start_date, contract_end) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING pkgnum",
    )
    .bind(new.custnum)
    .bind(new.pkgpart)
    .bind(new.locationnum)
    .bind(new.usernum)
    .bind(new.quantity)
    .bind(new.order_date)
    .bind(new.start_date)
    .bind(new.contract_end)
    .fetch_one(&mut *conn)
    .await?
    .get(0);
    for detail in &new.details {
        sqlx::query("INSERT INTO cust_pkg_detail (pkgnum, detail) VALUES ($1, $2)")
            .bind(pkgnum)
            .bind(detail)
            .execute(&mut *conn)
            .await?;
    }
    Ok(pkgnum)
}

/// Reads one package.
///
/// # Errors
/// [`Error::NotFound`] when there is no such package.
pub async fn package(conn: &mut Conn, pkgnum: i64) -> Result<CustomerPackage> {
    let sql = format!("SELECT {PACKAGE_COLUMNS} FROM cust_pkg WHERE pkgnum = $1");
    let row = sqlx::query(&sql)
        .bind(pkgnum)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(rows::package(&row))
}

/// Sets the billing dates of a package (after a billing pass charged it).
pub async fn set_billing_dates(
    conn: &mut Conn,
    pkgnum: i64,
    setup: Option<i64>,
    bill: Option<i64>,
    last_bill: Option<i64>,
) -> Result<()> {
    sqlx::query("UPDATE cust_pkg SET setup = $1, bill = $2, last_bill = $3, start_date = NULL WHERE pkgnum = $4")
        .bind(setup)
        .bind(bill)
        .bind(last_bill)
        .bind(pkgnum)
        .execute(conn)
        .await?;
    Ok(())
}

/// Suspends a package at `when` (no effect when it already is).
pub async fn suspend_package(conn: &mut Conn, pkgnum: i64, when: i64) -> Result<()> {
    sqlx::query(
        "UPDATE cust_pkg SET susp = $1 WHERE pkgnum = $2 AND susp IS NULL AND cancel IS NULL",
    )
    .bind(when)
    .bind(pkgnum)
    .execute(conn)
    .await?;
    Ok(())
}

/// Cancels a package at `when` (no effect when it already is).
pub async fn cancel_package(conn: &mut Conn, pkgnum: i64, when: i64) -> Result<()> {
    sqlx::query("UPDATE cust_pkg SET cancel = $1 WHERE pkgnum = $2 AND cancel IS NULL")
        .bind(when)
        .bind(pkgnum)
        .execute(conn)
        .await?;
    Ok(())
}
