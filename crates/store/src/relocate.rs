//! Moving a package to another location (backend spec 8.16), shared by
//! `change_package_location` and `update_customer`'s service-address moves.
//!
//! A package not yet set up is changed in place. A set-up package is
//! replaced: a copy with the same definition, quantity, dates and invoice
//! details is created at the new location, the services move to it, and the
//! old package is cancelled with links both ways (`change_to_pkgnum` on the
//! old one, `change_pkgnum` on the new one). No charge or credit arises.
//! Export hooks are the caller's business.

use sqlx::Row;

use crate::package::package;
use crate::{Conn, Error, Result};

/// Moves package `pkgnum` to `locationnum` at time `now`; returns the
/// package that holds it afterwards (the same `pkgnum` when it was not set
/// up yet, or when it already was at that location; a new one otherwise).
///
/// The location must be one of the package's customer's; the caller checks
/// that, as it chooses the location.
///
/// # Errors
/// [`Error::NotFound`] for an unknown package, [`Error::Refused`] with
/// `Cannot change canceled package` for a cancelled one.
pub async fn change_location(
    conn: &mut Conn,
    pkgnum: i64,
    locationnum: i64,
    now: i64,
) -> Result<i64> {
    let current = package(conn, pkgnum).await?;
    if current.cancel.is_some() {
        return Err(Error::Refused("Cannot change canceled package".into()));
    }
    if current.locationnum == locationnum {
        return Ok(pkgnum);
    }
    if current.setup.is_none() {
        sqlx::query("UPDATE cust_pkg SET locationnum = $1 WHERE pkgnum = $2")
            .bind(locationnum)
            .bind(pkgnum)
            .execute(&mut *conn)
            .await?;
        return Ok(pkgnum);
    }
    // The copy keeps every date of the old package, so billing continues
    // exactly where it was; only the location and the change links differ.
    let new_pkgnum: i64 = sqlx::query(
        "INSERT INTO cust_pkg (custnum, pkgpart, locationnum, usernum, quantity, order_date, start_date, setup, bill, \
         last_bill, susp, adjourn, resume, expire, contract_end, dundate, change_date, change_pkgnum, change_pkgpart, \
         change_locationnum, no_auto, waive_setup, separate_bill, agent_pkgid) \
         SELECT custnum, pkgpart, $1, usernum, quantity, order_date, start_date, setup, bill, last_bill, susp, adjourn, \
         resume, expire, contract_end, dundate, $2, pkgnum, pkgpart, locationnum, no_auto, waive_setup, separate_bill, \
         agent_pkgid FROM cust_pkg WHERE pkgnum = $3 RETURNING pkgnum",
    )
    .bind(locationnum)
    .bind(now)
    .bind(pkgnum)
    .fetch_one(&mut *conn)
    .await?
    .get(0);
    sqlx::query(
        "INSERT INTO cust_pkg_detail (pkgnum, detail) SELECT $1, detail FROM cust_pkg_detail WHERE pkgnum = $2 \
         ORDER BY detailnum",
    )
    .bind(new_pkgnum)
    .bind(pkgnum)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE cust_svc SET pkgnum = $1 WHERE pkgnum = $2")
        .bind(new_pkgnum)
        .bind(pkgnum)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE cust_pkg SET cancel = $1, change_to_pkgnum = $2 WHERE pkgnum = $3")
        .bind(now)
        .bind(new_pkgnum)
        .bind(pkgnum)
        .execute(&mut *conn)
        .await?;
    Ok(new_pkgnum)
}
