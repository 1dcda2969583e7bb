//! Generated data for the billing benchmark (`bursar bench billing`) and for
//! tests that need many customers: a small catalog and N customers with one
//! to three packages each, written in multi-row inserts; and the raw
//! ceiling the benchmark compares the run against (the same invoice and
//! line rows inserted in batches with no logic).
//!
//! Generation is deterministic for a seed, so runs compare across machines
//! and two databases generated alike are identical. Not for production data.

use std::collections::HashMap;

use bursar_core::frequency::Frequency;
use bursar_core::model::{PackageDef, TaxRate};
use bursar_core::payby::{mask_card, CardMasking};
use bursar_core::Money;
use rust_decimal::Decimal;
use sqlx::Row;

use crate::billing::write::{run_values, Val};
use crate::catalog::Catalog;
use crate::gateway::{TEST_CARD_APPROVED, TEST_CARD_DECLINED, TEST_CARD_TRANSPORT_ERROR};
use crate::{Result, Store};

/// What [`generate`] made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    /// Customers inserted.
    pub customers: u64,
    /// Packages inserted.
    pub packages: u64,
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn def(
    pkgpart: i64,
    pkg: &str,
    setup: i64,
    recur: i64,
    freq: Frequency,
    taxable: bool,
) -> PackageDef {
    PackageDef {
        pkgpart,
        pkg: pkg.into(),
        comment: String::new(),
        setup_fee: Money::from_cents(setup),
        recur_fee: Money::from_cents(recur),
        freq,
        taxable,
        prorate_day: None,
        disabled: false,
        services: Vec::new(),
    }
}

fn tax(state: &str, name: &str, rate: &str) -> TaxRate {
    TaxRate {
        taxnum: 0,
        country: "US".into(),
        state: state.into(),
        county: String::new(),
        city: String::new(),
        name: name.into(),
        rate: rate.parse::<Decimal>().unwrap_or_default(),
    }
}

/// The generated catalog: five package definitions (monthly, monthly
/// without setup, yearly, weekly, a non-taxable one-time install) and a
/// tax row for each state customers live in.
pub fn catalog() -> Catalog {
    Catalog {
        package_defs: vec![
            def(101, "Mail Basic", 1000, 1995, Frequency::Months(1), true),
            def(102, "Fibre 100", 0, 4995, Frequency::Months(1), true),
            def(103, "Domain", 0, 1200, Frequency::Months(12), true),
            def(104, "Backup", 0, 250, Frequency::Weeks(1), true),
            def(105, "Install", 4900, 0, Frequency::OneTime, false),
        ],
        taxes: vec![
            tax("CA", "CA sales tax", "7.25"),
            tax("NY", "NY sales tax", "4"),
            tax("WA", "WA sales tax", "6.5"),
            tax("OR", "No sales tax", "0"),
        ],
        ..Catalog::default()
    }
}

const STATES: [&str; 4] = ["CA", "NY", "WA", "OR"];

/// Generates [`catalog`] and `customers` customers (one location each, one
/// to three packages) billable at `now`: most packages were set up earlier
/// and have a period due by `now`, some are new. About one customer in ten
/// pays by card (mostly the approving test card, a few the declining and
/// the failing one); the others are billed.
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn generate(store: &Store, customers: u64, seed: u64, now: i64) -> Result<Generated> {
    store.apply_catalog(&catalog()).await?;
    let usernum = store.api_usernum().await?;
    let usernum = (usernum > 0).then_some(usernum);
    let mut rng = Rng(seed);
    let (mut next_custnum, mut next_locationnum, mut next_pkgnum) = {
        let mut tx = store.read().await?;
        let mut next = [0i64; 3];
        for (idx, sql) in [
            "SELECT COALESCE(MAX(custnum), 0) FROM cust_main",
            "SELECT COALESCE(MAX(locationnum), 0) FROM cust_location",
            "SELECT COALESCE(MAX(pkgnum), 0) FROM cust_pkg",
        ]
        .iter()
        .enumerate()
        {
            next[idx] = sqlx::query(sql).fetch_one(&mut *tx).await?.get::<i64, _>(0) + 1;
        }
        tx.rollback().await?;
        (next[0], next[1], next[2])
    };
    let pkgparts = [101i64, 102, 103, 104, 105];
    let mut n_packages = 0u64;
    let mut remaining = customers;
    while remaining > 0 {
        let chunk = remaining.min(2000);
        remaining -= chunk;
        let mut customer_rows = Vec::new();
        let mut location_rows = Vec::new();
        let mut package_rows = Vec::new();
        for _ in 0..chunk {
            let custnum = next_custnum;
            next_custnum += 1;
            let locationnum = next_locationnum;
            next_locationnum += 1;
            let pick = rng.below(1000);
            let (payby, card) = match pick {
                0..=4 => ("CARD", TEST_CARD_DECLINED),
                5..=6 => ("CARD", TEST_CARD_TRANSPORT_ERROR),
                7..=99 => ("CARD", TEST_CARD_APPROVED),
                _ => ("BILL", ""),
            };
            let (payinfo, paymask, paydate) = if card.is_empty() {
                (String::new(), String::new(), String::new())
            } else {
                (
                    store.cipher().encrypt(card),
                    mask_card(card, CardMasking::DEFAULT),
                    "2099-12-01".to_string(),
                )
            };
            customer_rows.push(vec![
                Val::Int(Some(custnum)),
                Val::Int(Some(1)),
                Val::Int(Some(1)),
                Val::Int(usernum),
                Val::Text(format!("First{custnum}")),
                Val::Text(format!("Last{}", rng.below(10_000))),
                Val::Int(Some(now - 86_400 * 400)),
                Val::Int(Some(locationnum)),
                Val::Int(Some(locationnum)),
                Val::Text(payby.into()),
                Val::Text(payinfo),
                Val::Text(paymask),
                Val::Text(paydate),
            ]);
            let state = STATES[usize::try_from(rng.below(4)).unwrap_or_default()];
            location_rows.push(vec![
                Val::Int(Some(locationnum)),
                Val::Int(Some(custnum)),
                Val::Text(format!("{} Main St", rng.below(9999) + 1)),
                Val::Text("Springfield".into()),
                Val::Text(state.into()),
                Val::Text(format!("{:05}", rng.below(99_999))),
                Val::Text("US".into()),
            ]);
            for _ in 0..=rng.below(3) {
                let pkgnum = next_pkgnum;
                next_pkgnum += 1;
                n_packages += 1;
                let pkgpart = pkgparts[usize::try_from(rng.below(5)).unwrap_or_default()];
                // One package in five is new (setup and first period due);
                // the others were set up earlier and have a period due.
                let (setup, bill, last_bill) = if rng.below(5) == 0 || pkgpart == 105 {
                    (None, None, None)
                } else {
                    let bill = now - i64::try_from(rng.below(20 * 86_400)).unwrap_or_default();
                    let period = match pkgpart {
                        103 => 365 * 86_400,
                        104 => 7 * 86_400,
                        _ => 30 * 86_400,
                    };
                    (Some(bill - period), Some(bill), Some(bill - period))
                };
                package_rows.push(vec![
                    Val::Int(Some(pkgnum)),
                    Val::Int(Some(custnum)),
                    Val::Int(Some(pkgpart)),
                    Val::Int(Some(locationnum)),
                    Val::Int(usernum),
                    Val::Int(Some(1)),
                    Val::Int(Some(now - 86_400 * 400)),
                    Val::Int(setup),
                    Val::Int(bill),
                    Val::Int(last_bill),
                ]);
            }
        }
        let mut tx = store.write().await?;
        let mut casts = ["TEXT"; 13];
        for idx in [0, 1, 2, 3, 6, 7, 8] {
            casts[idx] = "BIGINT";
        }
        run_values(&mut tx, &casts, &customer_rows, |values| {
            format!(
                "INSERT INTO cust_main (custnum, agentnum, refnum, usernum, first, last, signupdate, \
                 bill_locationnum, ship_locationnum, payby, payinfo, paymask, paydate) VALUES {values}"
            )
        })
        .await?;
        let casts = ["BIGINT", "BIGINT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT"];
        run_values(&mut tx, &casts, &location_rows, |values| {
            format!(
                "INSERT INTO cust_location (locationnum, custnum, address1, city, state, zip, country) VALUES {values}"
            )
        })
        .await?;
        run_values(&mut tx, &["BIGINT"; 10], &package_rows, |values| {
            format!(
                "INSERT INTO cust_pkg (pkgnum, custnum, pkgpart, locationnum, usernum, quantity, order_date, \
                 setup, bill, last_bill) VALUES {values}"
            )
        })
        .await?;
        tx.commit().await?;
    }
    let mut tx = store.write().await?;
    let backend = store.backend();
    Store::bump_sequence(&mut tx, backend, "cust_main", "custnum").await?;
    Store::bump_sequence(&mut tx, backend, "cust_location", "locationnum").await?;
    Store::bump_sequence(&mut tx, backend, "cust_pkg", "pkgnum").await?;
    tx.commit().await?;
    Ok(Generated {
        customers,
        packages: n_packages,
    })
}

/// An invoice row with its lines, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawInvoice {
    /// Customer.
    pub custnum: i64,
    /// `_date`.
    pub date: i64,
    /// `charged`, cents.
    pub charged: i64,
    /// `billing_balance`, cents.
    pub billing_balance: i64,
    /// `previous_balance`, cents.
    pub previous_balance: i64,
    /// `no_auto`.
    pub no_auto: String,
    /// Its lines.
    pub lines: Vec<RawLine>,
}

/// A line row as stored (cents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    /// `pkgnum`.
    pub pkgnum: i64,
    /// `setup`.
    pub setup: i64,
    /// `recur`.
    pub recur: i64,
    /// `unitsetup`.
    pub unitsetup: i64,
    /// `unitrecur`.
    pub unitrecur: i64,
    /// `quantity`.
    pub quantity: i64,
    /// `sdate`.
    pub sdate: Option<i64>,
    /// `edate`.
    pub edate: Option<i64>,
    /// `itemdesc`.
    pub itemdesc: String,
}

/// Reads every invoice with its lines, by customer (two queries).
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn read_invoices(store: &Store) -> Result<Vec<RawInvoice>> {
    let mut tx = store.read().await?;
    let mut invoices = Vec::new();
    let mut by_invnum = HashMap::new();
    for row in sqlx::query(
        "SELECT invnum, custnum, _date, charged, billing_balance, previous_balance, no_auto FROM cust_bill ORDER BY invnum",
    )
    .fetch_all(&mut *tx)
    .await?
    {
        by_invnum.insert(row.get::<i64, _>(0), invoices.len());
        invoices.push(RawInvoice {
            custnum: row.get(1),
            date: row.get(2),
            charged: row.get(3),
            billing_balance: row.get(4),
            previous_balance: row.get(5),
            no_auto: row.get(6),
            lines: Vec::new(),
        });
    }
    for row in sqlx::query(
        "SELECT invnum, pkgnum, setup, recur, unitsetup, unitrecur, quantity, sdate, edate, itemdesc \
         FROM cust_bill_pkg ORDER BY billpkgnum",
    )
    .fetch_all(&mut *tx)
    .await?
    {
        if let Some(&idx) = by_invnum.get(&row.get::<i64, _>(0)) {
            invoices[idx].lines.push(RawLine {
                pkgnum: row.get(1),
                setup: row.get(2),
                recur: row.get(3),
                unitsetup: row.get(4),
                unitrecur: row.get(5),
                quantity: row.get(6),
                sdate: row.get(7),
                edate: row.get(8),
                itemdesc: row.get(9),
            });
        }
    }
    tx.rollback().await?;
    Ok(invoices)
}

/// The raw ceiling: inserts `invoices` (at most one per customer per
/// batch) and their lines with no logic, `batch_size` invoices per
/// transaction, in multi-row statements.
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn insert_raw(store: &Store, invoices: &[RawInvoice], batch_size: usize) -> Result<()> {
    for batch in invoices.chunks(batch_size.max(1)) {
        let mut tx = store.write().await?;
        let rows: Vec<Vec<Val>> = batch
            .iter()
            .map(|i| {
                vec![
                    Val::Int(Some(i.custnum)),
                    Val::Int(Some(i.date)),
                    Val::Int(Some(i.charged)),
                    Val::Int(Some(i.billing_balance)),
                    Val::Int(Some(i.previous_balance)),
                    Val::Text(i.no_auto.clone()),
                ]
            })
            .collect();
        let mut invnums = HashMap::new();
        let mut casts = ["BIGINT"; 6];
        casts[5] = "TEXT";
        for row in run_values(&mut tx, &casts, &rows, |values| {
            format!(
                "INSERT INTO cust_bill (custnum, _date, charged, billing_balance, previous_balance, no_auto) \
                 VALUES {values} RETURNING invnum, custnum"
            )
        })
        .await?
        {
            invnums.insert(row.get::<i64, _>(1), row.get::<i64, _>(0));
        }
        let mut line_rows = Vec::new();
        for invoice in batch {
            let Some(&invnum) = invnums.get(&invoice.custnum) else {
                continue;
            };
            for l in &invoice.lines {
                line_rows.push(vec![
                    Val::Int(Some(invnum)),
                    Val::Int(Some(l.pkgnum)),
                    Val::Int(Some(l.setup)),
                    Val::Int(Some(l.recur)),
                    Val::Int(Some(l.unitsetup)),
                    Val::Int(Some(l.unitrecur)),
                    Val::Int(Some(l.quantity)),
                    Val::Int(l.sdate),
                    Val::Int(l.edate),
                    Val::Text(l.itemdesc.clone()),
                ]);
            }
        }
        let mut casts = ["BIGINT"; 10];
        casts[9] = "TEXT";
        run_values(&mut tx, &casts, &line_rows, |values| {
            format!(
                "INSERT INTO cust_bill_pkg (invnum, pkgnum, setup, recur, unitsetup, unitrecur, quantity, sdate, edate, itemdesc) \
                 VALUES {values}"
            )
        })
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Creates database `name` on the PostgreSQL server of `admin_url` (any
/// database there the user may connect to) and returns its URL.
///
/// # Errors
/// [`crate::Error::Backend`] when the server refuses.
pub async fn create_postgres_database(admin_url: &str, name: &str) -> Result<String> {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(admin_url).await?;
    conn.execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
        .await?;
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    conn.close().await?;
    let base = admin_url.split('?').next().unwrap_or(admin_url);
    let server = base
        .rsplit_once('/')
        .map(|(server, _)| server)
        .unwrap_or(base);
    Ok(format!("{server}/{name}"))
}

/// Drops database `name` on the server of `admin_url`.
///
/// # Errors
/// [`crate::Error::Backend`] when the server refuses.
pub async fn drop_postgres_database(admin_url: &str, name: &str) -> Result<()> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::AnyConnection::connect(admin_url).await?;
    conn.execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
        .await?;
    conn.close().await?;
    Ok(())
}
