//! What a billing batch reads, in a fixed number of queries however many
//! customers it holds: the lock, the customers, their uncancelled packages,
//! locations, ledger totals, newest invoice, open invoices, unapplied
//! payments and credits, unresolved gateway attempts and dunning marks; and
//! the package definitions and tax rates, cached for the whole run.

use std::collections::{HashMap, HashSet};

use bursar_core::billing::TaxTable;
use bursar_core::frequency::Frequency;
use bursar_core::ledger::{LedgerTotals, OpenItem};
use bursar_core::model::{Customer, CustomerPackage, Location, PackageDef, TaxRate};
use bursar_core::Money;
use rust_decimal::Decimal;
use sqlx::Row;

use super::{BillingOptions, Selection};
use crate::in_list;
use crate::json_rows::fetch_rows;
use crate::{Backend, Conn, Result, Store};

/// A customer of the batch and its encrypted `payinfo`.
pub(super) struct BatchCustomer {
    pub customer: Customer,
    pub payinfo: String,
}

/// An uncancelled package and its switches.
#[derive(Debug, Clone)]
pub(super) struct BatchPackage {
    pub package: CustomerPackage,
    pub waive_setup: bool,
    pub separate_bill: bool,
    pub no_auto: bool,
}

/// A package dunning suspended, at `susp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DunningMark {
    pub pkgnum: i64,
    pub susp: i64,
}

/// Everything one batch's pass needs, read under the batch's lock.
#[derive(Default)]
pub(super) struct BatchData {
    pub customers: Vec<BatchCustomer>,
    pub packages: HashMap<i64, Vec<BatchPackage>>,
    pub locations: HashMap<i64, Location>,
    pub totals: HashMap<i64, LedgerTotals>,
    /// Newest invoice's `billing_balance + charged`, per customer.
    pub previous: HashMap<i64, Money>,
    pub open_invoices: HashMap<i64, Vec<OpenItem>>,
    /// Open invoices that are never charged automatically (`no_auto`).
    pub no_auto_invoices: HashSet<i64>,
    pub payments: HashMap<i64, Vec<OpenItem>>,
    pub credits: HashMap<i64, Vec<OpenItem>>,
    /// Customers with a gateway attempt still pending or unknown.
    pub unresolved: HashSet<i64>,
    pub marks: HashMap<i64, Vec<DunningMark>>,
}

impl BatchData {
    pub fn last_custnum(&self) -> i64 {
        self.customers
            .last()
            .map(|c| c.customer.custnum)
            .unwrap_or_default()
    }
}

/// Package definitions (or why one cannot be billed) and tax rates, read
/// once per run.
#[derive(Default)]
pub(crate) struct DefinitionCache {
    pub defs: HashMap<i64, std::result::Result<PackageDef, String>>,
    pub tax_table: Option<TaxTable>,
}

/// How many customers exist (for progress).
pub(super) async fn customer_count(store: &Store) -> Result<u64> {
    let mut tx = store.read().await?;
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM cust_main")
        .fetch_one(&mut *tx)
        .await?
        .get(0);
    tx.rollback().await?;
    Ok(u64::try_from(count).unwrap_or_default())
}

/// Takes the billing lock of the backend for the customers `custnums` (on
/// SQLite the database's write lock, whatever the customers).
pub(super) async fn lock_customers(
    conn: &mut Conn,
    backend: Backend,
    custnums: &[i64],
    now: i64,
) -> Result<()> {
    match backend {
        Backend::Sqlite => {
            sqlx::query("UPDATE billing_lock SET locked_at = $1 WHERE name = 'billing'")
                .bind(now)
                .execute(conn)
                .await?;
        }
        Backend::Postgres => {
            for chunk in custnums.chunks(1000) {
                let sql = format!(
                    "SELECT custnum FROM cust_main WHERE custnum IN ({}) ORDER BY custnum FOR UPDATE",
                    in_list(1, chunk.len())
                );
                let mut query = sqlx::query(&sql);
                for custnum in chunk {
                    query = query.bind(*custnum);
                }
                query.fetch_all(&mut *conn).await?;
            }
        }
    }
    Ok(())
}

/// Locks and reads one batch; `None` when the selection holds no customer.
pub(super) async fn read_batch(
    conn: &mut Conn,
    backend: Backend,
    options: &BillingOptions,
    cache: &mut DefinitionCache,
    selection: Selection,
) -> Result<Option<BatchData>> {
    let for_update = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    if backend == Backend::Sqlite {
        lock_customers(conn, backend, &[], options.now).await?;
    }
    let limit = i64::try_from(options.batch_size.max(1)).unwrap_or(500);
    let (inner, binds) = match selection {
        Selection::After(after) => (
            format!(
                "SELECT {BILLING_CUSTOMER_SELECT} FROM cust_main WHERE custnum > $1 ORDER BY custnum LIMIT $2{for_update}"
            ),
            vec![after, limit],
        ),
        Selection::Only(custnum) => (
            format!("SELECT {BILLING_CUSTOMER_SELECT} FROM cust_main WHERE custnum = $1{for_update}"),
            vec![custnum],
        ),
    };
    let mut customers: Vec<BatchCustomer> = fetch_rows::<CustomerRow>(
        conn,
        backend,
        &inner,
        BILLING_CUSTOMER_COLUMNS,
        None,
        &binds,
    )
    .await?
    .into_iter()
    .map(CustomerRow::into_batch_customer)
    .collect();
    customers.sort_unstable_by_key(|c| c.customer.custnum);
    let (Some(first), Some(last)) = (customers.first(), customers.last()) else {
        return Ok(None);
    };
    let (first, last) = (first.customer.custnum, last.customer.custnum);
    let in_batch: HashSet<i64> = customers.iter().map(|c| c.customer.custnum).collect();
    let mut data = BatchData {
        customers,
        ..BatchData::default()
    };

    data.packages =
        read_packages(conn, backend, "custnum BETWEEN $1 AND $2", &[first, last]).await?;
    data.packages
        .retain(|custnum, _| in_batch.contains(custnum));

    // Only what taxes look at: a batch reads many locations.
    let columns = "locationnum, country, state, county, city";
    let inner = format!("SELECT {columns} FROM cust_location WHERE custnum BETWEEN $1 AND $2");
    for (locationnum, country, state, county, city) in
        fetch_rows::<(i64, String, String, String, String)>(
            conn,
            backend,
            &inner,
            columns,
            None,
            &[first, last],
        )
        .await?
    {
        let location = Location {
            locationnum,
            country,
            state,
            county,
            city,
            ..Location::default()
        };
        data.locations.insert(location.locationnum, location);
    }

    for row in sqlx::query(
        "SELECT custnum, CAST(0 AS BIGINT), CAST(SUM(charged) AS BIGINT) FROM cust_bill WHERE custnum BETWEEN $1 AND $2 GROUP BY custnum \
         UNION ALL SELECT custnum, CAST(1 AS BIGINT), CAST(SUM(paid) AS BIGINT) FROM cust_pay WHERE custnum BETWEEN $1 AND $2 GROUP BY custnum \
         UNION ALL SELECT custnum, CAST(2 AS BIGINT), CAST(SUM(amount) AS BIGINT) FROM cust_credit WHERE custnum BETWEEN $1 AND $2 GROUP BY custnum \
         UNION ALL SELECT custnum, CAST(3 AS BIGINT), CAST(SUM(refund) AS BIGINT) FROM cust_refund WHERE custnum BETWEEN $1 AND $2 GROUP BY custnum",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?
    {
        let totals = data.totals.entry(row.get(0)).or_default();
        let amount = Money::from_cents(row.get(2));
        match row.get::<i64, _>(1) {
            0 => totals.charged = amount,
            1 => totals.paid = amount,
            2 => totals.credited = amount,
            _ => totals.refunded = amount,
        }
    }

    for row in sqlx::query(
        "SELECT b.custnum, CAST(b.billing_balance + b.charged AS BIGINT) FROM cust_bill b \
         WHERE b.custnum BETWEEN $1 AND $2 AND NOT EXISTS (SELECT 1 FROM cust_bill n WHERE n.custnum = b.custnum \
         AND (n._date > b._date OR (n._date = b._date AND n.invnum > b.invnum)))",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?
    {
        data.previous
            .insert(row.get(0), Money::from_cents(row.get(1)));
    }

    data.open_invoices = open_items(conn, backend, OPEN_INVOICES, &[first, last]).await?;
    for row in sqlx::query(NO_AUTO_INVOICES)
        .bind(first)
        .bind(last)
        .fetch_all(&mut *conn)
        .await?
    {
        data.no_auto_invoices.insert(row.get(0));
    }
    data.payments = open_items(conn, backend, OPEN_PAYMENTS, &[first, last]).await?;
    data.credits = open_items(conn, backend, OPEN_CREDITS, &[first, last]).await?;

    for row in sqlx::query(
        "SELECT DISTINCT custnum FROM cust_pay_attempt WHERE status IN ('pending', 'unknown') \
         AND custnum BETWEEN $1 AND $2",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?
    {
        data.unresolved.insert(row.get(0));
    }

    for row in sqlx::query(
        "SELECT pkgnum, custnum, susp FROM cust_pkg_dunning WHERE custnum BETWEEN $1 AND $2",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?
    {
        data.marks.entry(row.get(1)).or_default().push(DunningMark {
            pkgnum: row.get(0),
            susp: row.get(2),
        });
    }

    let missing: Vec<i64> = data
        .packages
        .values()
        .flatten()
        .map(|p| p.package.pkgpart)
        .filter(|pkgpart| !cache.defs.contains_key(pkgpart))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    load_definitions(conn, cache, &missing).await?;
    if cache.tax_table.is_none() {
        cache.tax_table = Some(TaxTable::new(load_tax_rates(conn).await?));
    }
    Ok(Some(data))
}

/// The uncancelled packages of the customers `filter` (a condition on
/// `cust_pkg`, its parameters bound to `binds`) selects, by customer, in
/// `pkgnum` order.
pub(super) async fn read_packages(
    conn: &mut Conn,
    backend: Backend,
    filter: &str,
    binds: &[i64],
) -> Result<HashMap<i64, Vec<BatchPackage>>> {
    let inner = format!(
        "SELECT {BILLING_PACKAGE_COLUMNS}, {PACKAGE_FLAGS} AS flags FROM cust_pkg WHERE {filter} AND cancel IS NULL"
    );
    let columns = format!("{BILLING_PACKAGE_COLUMNS}, flags");
    let mut packages: HashMap<i64, Vec<BatchPackage>> = HashMap::new();
    for row in fetch_rows::<PackageRow>(conn, backend, &inner, &columns, None, binds).await? {
        let package = row.into_package();
        packages
            .entry(package.package.custnum)
            .or_default()
            .push(package);
    }
    for list in packages.values_mut() {
        list.sort_unstable_by_key(|p| p.package.pkgnum);
    }
    Ok(packages)
}

/// The `cust_main` columns billing uses, in [`CustomerRow`]'s order
/// (a batch reads many customers, so no more than these).
const BILLING_CUSTOMER_COLUMNS: &str =
    "custnum, agentnum, bill_locationnum, ship_locationnum, tax_exempt, \
    payby, paymask, paydate, payname, payinfo";

/// What selects [`BILLING_CUSTOMER_COLUMNS`]: the payment details only of
/// customers charged automatically (`CARD`, `CHEK`; the others are never
/// sent to the gateway), so a batch carries no ciphertext it will not use.
const BILLING_CUSTOMER_SELECT: &str = "custnum, agentnum, bill_locationnum, ship_locationnum, \
    tax_exempt, payby, \
    CASE WHEN payby IN ('CARD', 'CHEK') THEN paymask ELSE '' END AS paymask, \
    CASE WHEN payby IN ('CARD', 'CHEK') THEN paydate ELSE '' END AS paydate, \
    CASE WHEN payby IN ('CARD', 'CHEK') THEN payname ELSE '' END AS payname, \
    CASE WHEN payby IN ('CARD', 'CHEK') THEN payinfo ELSE '' END AS payinfo";

/// A row of [`BILLING_CUSTOMER_COLUMNS`].
#[derive(serde::Deserialize)]
struct CustomerRow(
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    String,
    String,
    String,
    String,
    String,
    String,
);

impl CustomerRow {
    fn into_batch_customer(self) -> BatchCustomer {
        let CustomerRow(
            custnum,
            agentnum,
            bill_locationnum,
            ship_locationnum,
            tax_exempt,
            payby,
            paymask,
            paydate,
            payname,
            payinfo,
        ) = self;
        BatchCustomer {
            customer: Customer {
                custnum,
                agentnum,
                bill_locationnum: bill_locationnum.unwrap_or_default(),
                ship_locationnum: ship_locationnum.unwrap_or_default(),
                tax_exempt: tax_exempt == "Y",
                payby,
                paymask,
                paydate,
                payname,
                ..Customer::default()
            },
            payinfo,
        }
    }
}

/// The `cust_pkg` columns billing uses, in [`PackageRow`]'s order (a batch
/// reads many packages, so no more than these; the others stay `None`).
const BILLING_PACKAGE_COLUMNS: &str = "pkgnum, custnum, pkgpart, locationnum, quantity, \
    start_date, setup, bill, last_bill, susp, adjourn, resume, expire, cancel";

/// The package's switches as one number (an integer is cheaper to carry
/// than three strings): `waive_setup` 1, `separate_bill` 2, `no_auto` 4.
const PACKAGE_FLAGS: &str = "CASE WHEN waive_setup = 'Y' THEN 1 ELSE 0 END \
    + CASE WHEN separate_bill = 'Y' THEN 2 ELSE 0 END + CASE WHEN no_auto = 'Y' THEN 4 ELSE 0 END";

/// A row of [`BILLING_PACKAGE_COLUMNS`] and [`PACKAGE_FLAGS`].
#[derive(serde::Deserialize)]
struct PackageRow {
    pkgnum: i64,
    custnum: i64,
    pkgpart: i64,
    locationnum: Option<i64>,
    quantity: i64,
    start_date: Option<i64>,
    setup: Option<i64>,
    bill: Option<i64>,
    last_bill: Option<i64>,
    susp: Option<i64>,
    adjourn: Option<i64>,
    resume: Option<i64>,
    expire: Option<i64>,
    cancel: Option<i64>,
    flags: i64,
}

impl PackageRow {
    fn into_package(self) -> BatchPackage {
        let package = CustomerPackage {
            pkgnum: self.pkgnum,
            custnum: self.custnum,
            pkgpart: self.pkgpart,
            locationnum: self.locationnum.unwrap_or_default(),
            quantity: self.quantity,
            order_date: None,
            start_date: self.start_date,
            setup: self.setup,
            bill: self.bill,
            last_bill: self.last_bill,
            susp: self.susp,
            adjourn: self.adjourn,
            resume: self.resume,
            expire: self.expire,
            cancel: self.cancel,
            contract_end: None,
            change_date: None,
            change_pkgnum: None,
        };
        BatchPackage {
            package,
            waive_setup: self.flags & 1 != 0,
            separate_bill: self.flags & 2 != 0,
            no_auto: self.flags & 4 != 0,
        }
    }
}

/// Open invoices (owed > 0) of customers in a custnum range.
pub(super) const OPEN_INVOICES: &str = "SELECT b.invnum AS num, b.custnum AS custnum, b._date AS at, \
    CAST(b.charged - COALESCE((SELECT SUM(amount) FROM cust_bill_pay WHERE invnum = b.invnum), 0) \
    - COALESCE((SELECT SUM(amount) FROM cust_credit_bill WHERE invnum = b.invnum), 0) AS BIGINT) AS owed \
    FROM cust_bill b WHERE b.custnum BETWEEN $1 AND $2";
/// Invoices of customers in a custnum range never charged automatically.
pub(super) const NO_AUTO_INVOICES: &str =
    "SELECT invnum FROM cust_bill WHERE custnum BETWEEN $1 AND $2 AND no_auto = 'Y'";
/// Payments with money left to apply automatically.
const OPEN_PAYMENTS: &str = "SELECT p.paynum AS num, p.custnum AS custnum, p._date AS at, \
    CAST(p.paid - COALESCE((SELECT SUM(amount) FROM cust_bill_pay WHERE paynum = p.paynum), 0) \
    - COALESCE((SELECT SUM(amount) FROM cust_pay_refund WHERE paynum = p.paynum), 0) AS BIGINT) AS owed \
    FROM cust_pay p WHERE p.custnum BETWEEN $1 AND $2 AND p.no_auto_apply <> 'Y'";
/// Credits with money left to apply.
const OPEN_CREDITS: &str = "SELECT c.crednum AS num, c.custnum AS custnum, c._date AS at, \
    CAST(c.amount - COALESCE((SELECT SUM(amount) FROM cust_credit_bill WHERE crednum = c.crednum), 0) \
    - COALESCE((SELECT SUM(amount) FROM cust_credit_refund WHERE crednum = c.crednum), 0) AS BIGINT) AS owed \
    FROM cust_credit c WHERE c.custnum BETWEEN $1 AND $2";

/// Runs one of the open-item queries (`num, custnum, at, owed`), its
/// parameters bound to `binds`; keeps items with something left, grouped by
/// customer.
pub(super) async fn open_items(
    conn: &mut Conn,
    backend: Backend,
    sql: &str,
    binds: &[i64],
) -> Result<HashMap<i64, Vec<OpenItem>>> {
    let mut items: HashMap<i64, Vec<OpenItem>> = HashMap::new();
    for (num, custnum, date, owed) in fetch_rows::<(i64, i64, i64, i64)>(
        conn,
        backend,
        sql,
        "num, custnum, at, owed",
        None,
        binds,
    )
    .await?
    {
        let item = OpenItem {
            num,
            date,
            left: Money::from_cents(owed),
        };
        if item.left.is_positive() {
            items.entry(custnum).or_default().push(item);
        }
    }
    Ok(items)
}

/// Reads the definitions `pkgparts` into the cache; one that cannot be
/// billed (an unknown frequency) is kept as the reason.
async fn load_definitions(
    conn: &mut Conn,
    cache: &mut DefinitionCache,
    pkgparts: &[i64],
) -> Result<()> {
    for chunk in pkgparts.chunks(500) {
        let sql = format!(
            "SELECT pkgpart, pkg, comment, setup_fee, recur_fee, freq, setuptax, prorate_day, disabled \
             FROM part_pkg WHERE pkgpart IN ({})",
            in_list(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for pkgpart in chunk {
            query = query.bind(*pkgpart);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let pkgpart: i64 = row.get(0);
            let freq: String = row.get(5);
            let def = Frequency::parse(&freq)
                .map_err(|_| {
                    format!("package definition {pkgpart} has an unknown frequency {freq:?}")
                })
                .map(|freq| PackageDef {
                    pkgpart,
                    pkg: row.get(1),
                    comment: row.get(2),
                    setup_fee: Money::from_cents(row.get(3)),
                    recur_fee: Money::from_cents(row.get(4)),
                    freq,
                    taxable: row.get::<String, _>(6) != "Y",
                    prorate_day: row
                        .get::<Option<i32>, _>(7)
                        .and_then(|d| u8::try_from(d).ok()),
                    disabled: row.get::<i32, _>(8) != 0,
                    services: Vec::new(),
                });
            cache.defs.insert(pkgpart, def);
        }
    }
    Ok(())
}

/// The tax rows that name a tax (the catalog's `[[tax]]` entries; the
/// seeded zero-rate localities have none). A rate that does not parse or
/// lies outside 0–100 % is left out and reported in the log.
async fn load_tax_rates(conn: &mut Conn) -> Result<Vec<TaxRate>> {
    let mut rates = Vec::new();
    for row in sqlx::query(
        "SELECT taxnum, country, state, county, city, taxname, tax FROM cust_main_county \
         WHERE taxname <> '' ORDER BY taxnum",
    )
    .fetch_all(conn)
    .await?
    {
        let taxnum: i64 = row.get(0);
        let text: String = row.get(6);
        match text.trim().parse::<Decimal>() {
            Ok(rate) if rate >= Decimal::ZERO && rate <= Decimal::ONE_HUNDRED => {
                rates.push(TaxRate {
                    taxnum,
                    country: row.get(1),
                    state: row.get(2),
                    county: row.get(3),
                    city: row.get(4),
                    name: row.get(5),
                    rate,
                });
            }
            _ => tracing::warn!(
                taxnum,
                rate = %text,
                "tax rate out of range (0 to 100 percent) ignored"
            ),
        }
    }
    Ok(rates)
}
