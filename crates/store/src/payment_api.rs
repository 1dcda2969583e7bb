//! What the back-office ledger methods (`insert_payment`, `insert_credit`,
//! `insert_refund`, their `_phonenum` variants, `apply_payments_and_credits`)
//! look up around the ledger writes of `ledger`: the customer lock, the API
//! settings in `conf`, idempotency keys of payments, reasons, the owner of a
//! phone number, and the unsuspension that may follow a payment.
//!
//! Every function runs on the caller's connection, inside the caller's
//! transaction, and takes a fixed number of queries (no N+1); the payment
//! path asks only for what it needs, since it is the API's hot path. Nothing
//! here validates client input: the server's service functions do, before
//! calling in.

use bursar_core::billing::bill_date_after_unsuspend;
use bursar_core::model::ReasonClass;
use bursar_core::Money;
use sqlx::Row;

use crate::rows::{self, PACKAGE_COLUMNS};
use crate::setup::{CONF_API_USERNUM, CONF_CREDIT_REASON, CONF_REFUND_REASON};
use crate::{Backend, Conn, Result};

/// `conf` key: when set (`Zero`, `Latest invoice charges` or `Charges not
/// past due`), a payment or credit unsuspends the customer's packages once
/// the balance is at or below that threshold (backend spec 6.5). Unset by
/// default, as in Freeside.
pub const CONF_UNSUSPEND_BALANCE: &str = "unsuspend_balance";
/// `conf` key: when set (any non-empty value), `CASH` payments need `bank`,
/// `depositor`, `account` and `teller`.
pub const CONF_REQUIRE_CASH_DEPOSIT_INFO: &str = "require_cash_deposit_info";

/// The `conf` values the ledger methods read, in one query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiSettings {
    /// The `api` employee, who enters every record the API inserts (0 when
    /// the database was never initialised).
    pub usernum: i64,
    /// Default reason of `insert_credit`.
    pub credit_reason: Option<i64>,
    /// Default reason of `insert_refund`.
    pub refund_reason: Option<i64>,
    /// The unsuspend threshold, when configured.
    pub unsuspend_balance: Option<UnsuspendThreshold>,
    /// Whether `CASH` payments need their deposit details.
    pub require_cash_deposit_info: bool,
}

/// The balance at or below which a payment unsuspends (`unsuspend_balance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsuspendThreshold {
    /// `Zero`: the balance is at most zero.
    Zero,
    /// `Latest invoice charges`: at most the newest invoice's total.
    LatestInvoiceCharges,
    /// `Charges not past due`: at most what is not yet due. Bursar has no
    /// payment terms, so every invoice is due on its own date and this is
    /// the same as [`UnsuspendThreshold::Zero`].
    ChargesNotPastDue,
}

impl UnsuspendThreshold {
    /// Reads a `conf` value; `None` for an empty or unknown one.
    pub fn parse(value: &str) -> Option<UnsuspendThreshold> {
        match value {
            "Zero" => Some(UnsuspendThreshold::Zero),
            "Latest invoice charges" => Some(UnsuspendThreshold::LatestInvoiceCharges),
            "Charges not past due" => Some(UnsuspendThreshold::ChargesNotPastDue),
            _ => None,
        }
    }
}

/// Reads the [`ApiSettings`].
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn api_settings(conn: &mut Conn) -> Result<ApiSettings> {
    let found = sqlx::query("SELECT name, value FROM conf WHERE name IN ($1, $2, $3, $4, $5)")
        .bind(CONF_API_USERNUM)
        .bind(CONF_CREDIT_REASON)
        .bind(CONF_REFUND_REASON)
        .bind(CONF_UNSUSPEND_BALANCE)
        .bind(CONF_REQUIRE_CASH_DEPOSIT_INFO)
        .fetch_all(conn)
        .await?;
    let mut settings = ApiSettings::default();
    for row in &found {
        let name: String = row.get(0);
        let value: String = row.get(1);
        let value = value.trim();
        match name.as_str() {
            CONF_API_USERNUM => settings.usernum = value.parse().unwrap_or_default(),
            CONF_CREDIT_REASON => settings.credit_reason = value.parse().ok(),
            CONF_REFUND_REASON => settings.refund_reason = value.parse().ok(),
            CONF_UNSUSPEND_BALANCE => {
                settings.unsuspend_balance = UnsuspendThreshold::parse(value);
                if settings.unsuspend_balance.is_none() && !value.is_empty() {
                    tracing::warn!(value, "unknown unsuspend_balance setting ignored");
                }
            }
            CONF_REQUIRE_CASH_DEPOSIT_INFO => {
                settings.require_cash_deposit_info = !value.is_empty() && value != "0";
            }
            _ => {}
        }
    }
    Ok(settings)
}

/// Locks customer `custnum` for the rest of the transaction, so concurrent
/// ledger changes of one customer run one after the other; returns false
/// when there is no such customer.
///
/// PostgreSQL locks the row (`SELECT … FOR UPDATE`). SQLite has no row
/// locks and needs none: every write transaction runs on the store's single
/// writer connection, so write transactions are already serialised.
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn lock_customer(conn: &mut Conn, backend: Backend, custnum: i64) -> Result<bool> {
    let sql = match backend {
        Backend::Postgres => "SELECT custnum FROM cust_main WHERE custnum = $1 FOR UPDATE",
        Backend::Sqlite => "SELECT custnum FROM cust_main WHERE custnum = $1",
    };
    Ok(sqlx::query(sql)
        .bind(custnum)
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// Which idempotency key of a payment matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentKey {
    /// `order_number`.
    OrderNumber,
    /// `payunique`.
    Payunique,
}

impl PaymentKey {
    /// The column's name, as the duplicate error names it.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKey::OrderNumber => "order_number",
            PaymentKey::Payunique => "payunique",
        }
    }
}

/// An earlier payment that carries one of a new payment's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedPayment {
    /// Its `paynum`.
    pub paynum: i64,
    /// Its amount.
    pub paid: Money,
    /// Its payment code.
    pub payby: String,
    /// The key it shares.
    pub key: PaymentKey,
    /// The shared key's value.
    pub value: String,
}

/// Finds the earliest payment of `custnum` whose `order_number` equals
/// `order_number`, else the earliest whose `payunique` equals `payunique`;
/// an empty key matches nothing, and with both keys empty no query runs.
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn find_keyed_payment(
    conn: &mut Conn,
    custnum: i64,
    order_number: &str,
    payunique: &str,
) -> Result<Option<KeyedPayment>> {
    let keys = [
        (PaymentKey::OrderNumber, order_number),
        (PaymentKey::Payunique, payunique),
    ];
    for (key, value) in keys {
        if value.is_empty() {
            continue;
        }
        // One statement text per key, so each uses its (custnum, key) index
        // and stays in sqlx's statement cache.
        let sql = match key {
            PaymentKey::OrderNumber => {
                "SELECT paynum, paid, payby FROM cust_pay WHERE custnum = $1 AND order_number = $2 \
                 ORDER BY paynum LIMIT 1"
            }
            PaymentKey::Payunique => {
                "SELECT paynum, paid, payby FROM cust_pay WHERE custnum = $1 AND payunique = $2 \
                 ORDER BY paynum LIMIT 1"
            }
        };
        let found = sqlx::query(sql)
            .bind(custnum)
            .bind(value)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = found {
            return Ok(Some(KeyedPayment {
                paynum: row.get(0),
                paid: Money::from_cents(row.get(1)),
                payby: row.get(2),
                key,
                value: value.to_owned(),
            }));
        }
    }
    Ok(None)
}

/// The customer of invoice `invnum`, or `None` when there is no such invoice.
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn invoice_custnum(conn: &mut Conn, invnum: i64) -> Result<Option<i64>> {
    owner(
        conn,
        "SELECT custnum FROM cust_bill WHERE invnum = $1",
        invnum,
    )
    .await
}

/// The customer of payment `paynum`, or `None` when there is no such payment.
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn payment_custnum(conn: &mut Conn, paynum: i64) -> Result<Option<i64>> {
    owner(
        conn,
        "SELECT custnum FROM cust_pay WHERE paynum = $1",
        paynum,
    )
    .await
}

/// The customer of credit `crednum`, or `None` when there is no such credit.
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn credit_custnum(conn: &mut Conn, crednum: i64) -> Result<Option<i64>> {
    owner(
        conn,
        "SELECT custnum FROM cust_credit WHERE crednum = $1",
        crednum,
    )
    .await
}

/// Whether package `pkgnum` exists (any customer's, cancelled or not).
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn package_exists(conn: &mut Conn, pkgnum: i64) -> Result<bool> {
    Ok(owner(
        conn,
        "SELECT custnum FROM cust_pkg WHERE pkgnum = $1",
        pkgnum,
    )
    .await?
    .is_some())
}

/// Whether reason `reasonnum` exists (any class).
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn reason_exists(conn: &mut Conn, reasonnum: i64) -> Result<bool> {
    Ok(
        sqlx::query("SELECT reasonnum FROM reason WHERE reasonnum = $1")
            .bind(reasonnum)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// The enabled reason of `class` whose text is exactly `text` (the lowest
/// number when several are), inserted when there is none; returns its
/// `reasonnum`.
///
/// Two transactions creating the same new text at once may each insert
/// one; both rows are valid reasons and later look-ups take the lower.
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn find_or_create_reason(conn: &mut Conn, class: ReasonClass, text: &str) -> Result<i64> {
    let found = sqlx::query(
        "SELECT reasonnum FROM reason WHERE class = $1 AND reason = $2 AND disabled = 0 \
         ORDER BY reasonnum LIMIT 1",
    )
    .bind(class.code())
    .bind(text)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = found {
        return Ok(row.get(0));
    }
    Ok(
        sqlx::query("INSERT INTO reason (reason, class) VALUES ($1, $2) RETURNING reasonnum")
            .bind(text)
            .bind(class.code())
            .fetch_one(conn)
            .await?
            .get(0),
    )
}

/// Who a phone number belongs to (backend spec 6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneOwner {
    /// No phone service has this number.
    Unknown,
    /// The service is in no package.
    Unlinked,
    /// The customer of the package holding the service.
    Customer(i64),
}

/// Finds the owner of the phone service whose `phonenum` is exactly
/// `phonenum` (no normalisation; the lowest `svcnum` when several country
/// codes share the number), in one query.
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn phone_owner(conn: &mut Conn, phonenum: &str) -> Result<PhoneOwner> {
    let found = sqlx::query(
        "SELECT p.custnum FROM svc_phone s JOIN cust_svc cs ON cs.svcnum = s.svcnum \
         LEFT JOIN cust_pkg p ON p.pkgnum = cs.pkgnum WHERE s.phonenum = $1 ORDER BY s.svcnum LIMIT 1",
    )
    .bind(phonenum)
    .fetch_optional(conn)
    .await?;
    Ok(match found {
        None => PhoneOwner::Unknown,
        Some(row) => match row.get::<Option<i64>, _>(0) {
            None => PhoneOwner::Unlinked,
            Some(custnum) => PhoneOwner::Customer(custnum),
        },
    })
}

/// The total of the customer's newest invoice (zero without invoices).
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn latest_invoice_charged(conn: &mut Conn, custnum: i64) -> Result<Money> {
    Ok(sqlx::query(
        "SELECT charged FROM cust_bill WHERE custnum = $1 ORDER BY _date DESC, invnum DESC LIMIT 1",
    )
    .bind(custnum)
    .fetch_optional(conn)
    .await?
    .map(|row| Money::from_cents(row.get(0)))
    .unwrap_or(Money::ZERO))
}

/// Unsuspends, at `now`, every suspended package of the customer that was
/// set up and is not cancelled (packages on hold stay on hold), moving each
/// next bill date forward by the time it spent suspended; returns their
/// `pkgnum`s in order.
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn unsuspend_packages(conn: &mut Conn, custnum: i64, now: i64) -> Result<Vec<i64>> {
    let sql = format!(
        "SELECT {PACKAGE_COLUMNS} FROM cust_pkg WHERE custnum = $1 AND susp IS NOT NULL \
         AND setup IS NOT NULL AND cancel IS NULL ORDER BY pkgnum"
    );
    let suspended: Vec<_> = sqlx::query(&sql)
        .bind(custnum)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(rows::package)
        .collect();
    let mut unsuspended = Vec::with_capacity(suspended.len());
    for package in &suspended {
        let bill = bill_date_after_unsuspend(package, now).or(package.bill);
        sqlx::query("UPDATE cust_pkg SET susp = NULL, bill = $1 WHERE pkgnum = $2")
            .bind(bill)
            .bind(package.pkgnum)
            .execute(&mut *conn)
            .await?;
        unsuspended.push(package.pkgnum);
    }
    // The platform follows through the export queue (same transaction).
    crate::jobs::queue_package_resyncs(conn, &unsuspended, false, now).await?;
    Ok(unsuspended)
}

async fn owner(conn: &mut Conn, sql: &str, num: i64) -> Result<Option<i64>> {
    Ok(sqlx::query(sql)
        .bind(num)
        .fetch_optional(conn)
        .await?
        .map(|row| row.get(0)))
}
