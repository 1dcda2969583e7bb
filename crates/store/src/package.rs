//! Customer packages (`cust_pkg`): ordering and reading. Billing, changes,
//! suspension and cancellation build on these.

use bursar_core::frequency::Frequency;
use bursar_core::model::{CustomerPackage, PackageDef, PackageService};
use bursar_core::Money;
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

/// Columns of a package listing (`list_customer_packages`): Freeside's
/// `cust_pkg` fields plus the definition's name and frequency and the
/// customer's names, each as text (NULL as empty), in this order.
pub const LISTING_COLUMNS: &[&str] = &[
    "pkgnum",
    "custnum",
    "pkgpart",
    "pkgbatch",
    "contactnum",
    "locationnum",
    "otaker",
    "usernum",
    "salesnum",
    "order_date",
    "start_date",
    "setup",
    "bill",
    "last_bill",
    "susp",
    "adjourn",
    "resume",
    "expire",
    "cancel",
    "uncancel",
    "uncancel_pkgnum",
    "contract_end",
    "dundate",
    "change_date",
    "change_pkgnum",
    "change_pkgpart",
    "change_locationnum",
    "change_custnum",
    "main_pkgnum",
    "pkglinknum",
    "no_auto",
    "quantity",
    "agent_pkgid",
    "waive_setup",
    "recur_show_zero",
    "setup_show_zero",
    "change_to_pkgnum",
    "separate_bill",
    "pkg",
    "freq",
    "classname",
    "cust_main_custnum",
    "last",
    "first",
    "company",
    "agent_custid",
];

/// Every package of a customer (cancelled ones included) by `pkgnum`, as
/// [`LISTING_COLUMNS`] texts, in one query.
pub async fn package_listing(conn: &mut Conn, custnum: i64) -> Result<Vec<Vec<String>>> {
    const INTEGERS: &[&str] = &[
        "p.pkgnum",
        "p.custnum",
        "p.pkgpart",
        "p.locationnum",
        "p.usernum",
        "p.order_date",
        "p.start_date",
        "p.setup",
        "p.bill",
        "p.last_bill",
        "p.susp",
        "p.adjourn",
        "p.resume",
        "p.expire",
        "p.cancel",
        "p.uncancel",
        "p.contract_end",
        "p.dundate",
        "p.change_date",
        "p.change_pkgnum",
        "p.change_pkgpart",
        "p.change_locationnum",
        "p.quantity",
        "p.change_to_pkgnum",
        "c.custnum",
    ];
    const TEXTS: &[&str] = &[
        "u.username",
        "p.no_auto",
        "p.agent_pkgid",
        "p.waive_setup",
        "p.separate_bill",
        "d.pkg",
        "d.freq",
        "c.last",
        "c.first",
        "c.company",
    ];
    let rows = sqlx::query(&format!(
        "SELECT {}, {}, c.agent_custid FROM cust_pkg p JOIN part_pkg d ON d.pkgpart = p.pkgpart \
         JOIN cust_main c ON c.custnum = p.custnum LEFT JOIN access_user u ON u.usernum = p.usernum \
         WHERE p.custnum = $1 ORDER BY p.pkgnum",
        INTEGERS.join(", "),
        TEXTS.join(", ")
    ))
    .bind(custnum)
    .fetch_all(conn)
    .await?;
    let mut listing = Vec::with_capacity(rows.len());
    for row in &rows {
        let int = |idx: usize| {
            row.get::<Option<i64>, _>(idx)
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        let text = |idx: usize| {
            row.get::<Option<String>, _>(INTEGERS.len() + idx)
                .unwrap_or_default()
        };
        let by_name = |name: &str| -> String {
            match name {
                "pkgnum" => int(0),
                "custnum" => int(1),
                "pkgpart" => int(2),
                "locationnum" => int(3),
                "otaker" => text(0),
                "usernum" => int(4),
                "order_date" => int(5),
                "start_date" => int(6),
                "setup" => int(7),
                "bill" => int(8),
                "last_bill" => int(9),
                "susp" => int(10),
                "adjourn" => int(11),
                "resume" => int(12),
                "expire" => int(13),
                "cancel" => int(14),
                "uncancel" => int(15),
                "contract_end" => int(16),
                "dundate" => int(17),
                "change_date" => int(18),
                "change_pkgnum" => int(19),
                "change_pkgpart" => int(20),
                "change_locationnum" => int(21),
                "quantity" => int(22),
                "change_to_pkgnum" => int(23),
                "cust_main_custnum" => int(24),
                "no_auto" => text(1),
                "agent_pkgid" => text(2),
                "waive_setup" => text(3),
                "separate_bill" => text(4),
                "pkg" => text(5),
                "freq" => text(6),
                "last" => text(7),
                "first" => text(8),
                "company" => text(9),
                "agent_custid" => row
                    .get::<Option<String>, _>(INTEGERS.len() + TEXTS.len())
                    .unwrap_or_default(),
                // Columns Bursar does not keep (batches, contacts, sales,
                // links, package classes) are always empty.
                _ => String::new(),
            }
        };
        listing.push(LISTING_COLUMNS.iter().map(|name| by_name(name)).collect());
    }
    Ok(listing)
}

/// A package with its definition's frequency (for its status).
pub async fn package_with_freq(
    conn: &mut Conn,
    pkgnum: i64,
) -> Result<Option<(CustomerPackage, String)>> {
    let sql = format!(
        "SELECT {}, d.freq FROM cust_pkg p JOIN part_pkg d ON d.pkgpart = p.pkgpart WHERE p.pkgnum = $1",
        PACKAGE_COLUMNS.split(", ").map(|c| format!("p.{}", c.trim())).collect::<Vec<_>>().join(", ")
    );
    Ok(sqlx::query(&sql)
        .bind(pkgnum)
        .fetch_optional(conn)
        .await?
        .map(|row| {
            (
                rows::package(&row),
                row.get::<String, _>(PACKAGE_COLUMNS.split(", ").count()),
            )
        }))
}

/// Reads a package definition with its services.
pub async fn package_def(conn: &mut Conn, pkgpart: i64) -> Result<Option<PackageDef>> {
    let Some(row) = sqlx::query(
        "SELECT pkgpart, pkg, comment, setup_fee, recur_fee, freq, setuptax, prorate_day, disabled FROM part_pkg WHERE pkgpart = $1",
    )
    .bind(pkgpart)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let freq: String = row.get(5);
    let services =
        sqlx::query("SELECT svcpart, quantity FROM pkg_svc WHERE pkgpart = $1 ORDER BY svcpart")
            .bind(pkgpart)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| PackageService {
                svcpart: r.get(0),
                quantity: r.get(1),
            })
            .collect();
    Ok(Some(PackageDef {
        pkgpart: row.get(0),
        pkg: row.get(1),
        comment: row.get(2),
        setup_fee: Money::from_cents(row.get(3)),
        recur_fee: Money::from_cents(row.get(4)),
        freq: Frequency::parse(&freq).map_err(|e| Error::Corrupt(e.to_string()))?,
        taxable: row.get::<String, _>(6) != "Y",
        prorate_day: row.get::<Option<i32>, _>(7).map(|d| d as u8),
        disabled: row.get::<i32, _>(8) != 0,
        services,
    }))
}

/// Copies a definition with other fees for one customer's package: the copy
/// is disabled (never offered) and includes the same services. Returns the
/// copy's `pkgpart`.
pub async fn customize_package_def(
    conn: &mut Conn,
    base: &PackageDef,
    setup_fee: Money,
    recur_fee: Money,
) -> Result<i64> {
    let pkgpart: i64 = sqlx::query(
        "INSERT INTO part_pkg (pkg, comment, setup_fee, recur_fee, freq, setuptax, recurtax, prorate_day, disabled, custom_of) \
         SELECT pkg, comment, $1, $2, freq, setuptax, recurtax, prorate_day, 1, pkgpart FROM part_pkg WHERE pkgpart = $3 \
         RETURNING pkgpart",
    )
    .bind(setup_fee.cents())
    .bind(recur_fee.cents())
    .bind(base.pkgpart)
    .fetch_one(&mut *conn)
    .await?
    .get(0);
    sqlx::query("INSERT INTO pkg_svc (pkgpart, svcpart, quantity) SELECT $1, svcpart, quantity FROM pkg_svc WHERE pkgpart = $2")
        .bind(pkgpart)
        .bind(base.pkgpart)
        .execute(conn)
        .await?;
    Ok(pkgpart)
}

/// Unsuspends a package (no effect when it is not suspended).
pub async fn unsuspend_package(conn: &mut Conn, pkgnum: i64) -> Result<()> {
    sqlx::query("UPDATE cust_pkg SET susp = NULL WHERE pkgnum = $1 AND cancel IS NULL")
        .bind(pkgnum)
        .execute(conn)
        .await?;
    Ok(())
}
