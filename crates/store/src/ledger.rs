//! The ledger (`cust_bill`, `cust_bill_pkg`, `cust_pay`, `cust_credit`,
//! `cust_refund` and the application tables): inserting records and
//! applications, and reading what is left on each. Amounts left (owed,
//! unapplied) are always computed from the applications, never stored.

use bursar_core::ledger::{
    check_application, plan_applications, Application, OpenItem, Side, SourceKind,
};
use bursar_core::model::Payment;
use bursar_core::Money;
use sqlx::Row;

use crate::customer::ledger_totals;
use crate::rows::{self, flag, PAYMENT_COLUMNS};
use crate::{Conn, Error, Result, Store};

/// A line of a new invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewLine {
    /// Package (0 for tax lines).
    pub pkgnum: i64,
    /// Setup amount (total for the quantity).
    pub setup: Money,
    /// Recurring amount (total for the quantity).
    pub recur: Money,
    /// Unit setup price.
    pub unitsetup: Money,
    /// Unit recurring price.
    pub unitrecur: Money,
    /// Quantity.
    pub quantity: i64,
    /// Period start.
    pub sdate: Option<i64>,
    /// Period end.
    pub edate: Option<i64>,
    /// Description (the tax name on tax lines).
    pub itemdesc: String,
}

/// Inserts an invoice with its lines (`charged` = Σ setup + recur); returns
/// its `invnum`.
pub async fn insert_invoice(
    conn: &mut Conn,
    custnum: i64,
    date: i64,
    lines: &[NewLine],
) -> Result<i64> {
    let charged: Money = lines.iter().map(|l| l.setup + l.recur).sum();
    let billing_balance = ledger_totals(conn, custnum).await?.balance();
    let previous = sqlx::query("SELECT billing_balance, charged FROM cust_bill WHERE custnum = $1 ORDER BY _date DESC, invnum DESC LIMIT 1")
        .bind(custnum)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.get::<i64, _>(0) + r.get::<i64, _>(1))
        .unwrap_or(0);
    let invnum: i64 = sqlx::query(
        "INSERT INTO cust_bill (custnum, _date, charged, billing_balance, previous_balance) VALUES ($1, $2, $3, $4, $5) RETURNING invnum",
    )
    .bind(custnum)
    .bind(date)
    .bind(charged.cents())
    .bind(billing_balance.cents())
    .bind(previous)
    .fetch_one(&mut *conn)
    .await?
    .get(0);
    for line in lines {
        sqlx::query(
            "INSERT INTO cust_bill_pkg (invnum, pkgnum, setup, recur, unitsetup, unitrecur, quantity, sdate, edate, itemdesc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(invnum)
        .bind(line.pkgnum)
        .bind(line.setup.cents())
        .bind(line.recur.cents())
        .bind(line.unitsetup.cents())
        .bind(line.unitrecur.cents())
        .bind(line.quantity)
        .bind(line.sdate)
        .bind(line.edate)
        .bind(&line.itemdesc)
        .execute(&mut *conn)
        .await?;
    }
    Ok(invnum)
}

/// A payment to insert (validated by the caller).
#[derive(Clone, Default)]
pub struct NewPayment {
    /// The record's fields; `paynum` is ignored.
    pub payment: Payment,
    /// Clear card number or reference (`payinfo`); encrypted for cards and
    /// bank accounts.
    pub payinfo: String,
    /// Card expiry, `YYYY-MM-01`, or empty.
    pub paydate: String,
    /// Deposit details.
    pub bank: String,
    /// Deposit details.
    pub depositor: String,
    /// Deposit details.
    pub account: String,
    /// Deposit details.
    pub teller: String,
    /// Employee who entered it.
    pub usernum: i64,
}

impl std::fmt::Debug for NewPayment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPayment")
            .field("payment", &self.payment)
            .finish_non_exhaustive()
    }
}

/// Inserts a payment; returns its `paynum`.
pub async fn insert_payment(conn: &mut Conn, store: &Store, new: &NewPayment) -> Result<i64> {
    let p = &new.payment;
    let secret_payinfo = matches!(p.payby.as_str(), "CARD" | "DCRD" | "CHEK" | "DCHK");
    let payinfo = if secret_payinfo {
        store.cipher().encrypt(&new.payinfo)
    } else {
        new.payinfo.clone()
    };
    Ok(sqlx::query(
        "INSERT INTO cust_pay (custnum, _date, paid, payby, payinfo, paymask, paydate, paybatch, payunique, order_number, \
         auth, processor, bank, depositor, account, teller, pkgnum, no_auto_apply, usernum) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING paynum",
    )
    .bind(p.custnum)
    .bind(p.date)
    .bind(p.paid.cents())
    .bind(&p.payby)
    .bind(payinfo)
    .bind(&p.paymask)
    .bind(&new.paydate)
    .bind(&p.paybatch)
    .bind(&p.payunique)
    .bind(&p.order_number)
    .bind(&p.auth)
    .bind(&p.processor)
    .bind(&new.bank)
    .bind(&new.depositor)
    .bind(&new.account)
    .bind(&new.teller)
    .bind(p.pkgnum)
    .bind(flag(p.no_auto_apply))
    .bind(new.usernum)
    .fetch_one(conn)
    .await?
    .get(0))
}

/// Reads one payment.
///
/// # Errors
/// [`Error::NotFound`] when there is no such payment.
pub async fn payment(conn: &mut Conn, paynum: i64) -> Result<Payment> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM cust_pay WHERE paynum = $1");
    let row = sqlx::query(&sql)
        .bind(paynum)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(rows::payment(&row))
}

/// A credit to insert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCredit {
    /// Customer.
    pub custnum: i64,
    /// Date.
    pub date: i64,
    /// Amount, > 0.
    pub amount: Money,
    /// Reason.
    pub reasonnum: i64,
    /// Note.
    pub addlinfo: String,
    /// Package credited.
    pub pkgnum: Option<i64>,
    /// Employee who entered it.
    pub usernum: i64,
}

/// Inserts a credit; returns its `crednum`.
pub async fn insert_credit(conn: &mut Conn, new: &NewCredit) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO cust_credit (custnum, _date, amount, reasonnum, addlinfo, pkgnum, usernum) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING crednum",
    )
    .bind(new.custnum)
    .bind(new.date)
    .bind(new.amount.cents())
    .bind(new.reasonnum)
    .bind(&new.addlinfo)
    .bind(new.pkgnum)
    .bind(new.usernum)
    .fetch_one(conn)
    .await?
    .get(0))
}

/// A refund to insert.
#[derive(Clone, Default)]
pub struct NewRefund {
    /// Customer.
    pub custnum: i64,
    /// Date.
    pub date: i64,
    /// Amount, > 0.
    pub refund: Money,
    /// Payment code.
    pub payby: String,
    /// Clear reference or card number.
    pub payinfo: String,
    /// Masked form of `payinfo`.
    pub paymask: String,
    /// Reason.
    pub reasonnum: i64,
    /// References.
    pub paybatch: String,
    /// References.
    pub order_number: String,
    /// References.
    pub auth: String,
    /// Refund of this payment (applied to it).
    pub paynum: Option<i64>,
    /// Refund of this credit (applied to it; wins over `paynum`).
    pub crednum: Option<i64>,
    /// Employee who entered it.
    pub usernum: i64,
}

impl std::fmt::Debug for NewRefund {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRefund")
            .field("custnum", &self.custnum)
            .field("refund", &self.refund)
            .finish_non_exhaustive()
    }
}

/// Inserts a refund and, for the refund of a payment or credit, its
/// application; returns its `refundnum`.
///
/// # Errors
/// [`Error::Refused`] with `Cannot apply more than remaining value of payment`
/// (or credit) when the source has too little unapplied.
pub async fn insert_refund(conn: &mut Conn, store: &Store, new: &NewRefund) -> Result<i64> {
    let secret_payinfo = matches!(new.payby.as_str(), "CARD" | "CHEK");
    let payinfo = if secret_payinfo {
        store.cipher().encrypt(&new.payinfo)
    } else {
        new.payinfo.clone()
    };
    let refundnum: i64 = sqlx::query(
        "INSERT INTO cust_refund (custnum, _date, refund, payby, payinfo, paymask, reasonnum, paybatch, order_number, auth, \
         source_paynum, usernum) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING refundnum",
    )
    .bind(new.custnum)
    .bind(new.date)
    .bind(new.refund.cents())
    .bind(&new.payby)
    .bind(payinfo)
    .bind(&new.paymask)
    .bind(new.reasonnum)
    .bind(&new.paybatch)
    .bind(&new.order_number)
    .bind(&new.auth)
    .bind(new.paynum)
    .bind(new.usernum)
    .fetch_one(&mut *conn)
    .await?
    .get(0);
    let refund_side = Side::Refund(new.refund);
    if let Some(crednum) = new.crednum {
        let left = credit_unapplied(conn, crednum).await?;
        check_application(new.refund, Side::Credit(left), refund_side)
            .map_err(|e| Error::Refused(e.to_string()))?;
        sqlx::query("INSERT INTO cust_credit_refund (crednum, refundnum, amount, _date) VALUES ($1, $2, $3, $4)")
            .bind(crednum)
            .bind(refundnum)
            .bind(new.refund.cents())
            .bind(new.date)
            .execute(&mut *conn)
            .await?;
    } else if let Some(paynum) = new.paynum {
        let left = payment_unapplied(conn, paynum).await?;
        check_application(new.refund, Side::Payment(left), refund_side)
            .map_err(|e| Error::Refused(e.to_string()))?;
        sqlx::query("INSERT INTO cust_pay_refund (paynum, refundnum, amount, _date) VALUES ($1, $2, $3, $4)")
            .bind(paynum)
            .bind(refundnum)
            .bind(new.refund.cents())
            .bind(new.date)
            .execute(&mut *conn)
            .await?;
    }
    Ok(refundnum)
}

async fn single_amount(conn: &mut Conn, sql: &str, num: i64) -> Result<Money> {
    let row = sqlx::query(sql)
        .bind(num)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Money::from_cents(row.get(0)))
}

/// What an invoice still owes.
///
/// # Errors
/// [`Error::NotFound`] when there is no such invoice.
pub async fn invoice_owed(conn: &mut Conn, invnum: i64) -> Result<Money> {
    single_amount(
        conn,
        "SELECT CAST(b.charged - COALESCE((SELECT SUM(amount) FROM cust_bill_pay WHERE invnum = b.invnum), 0) \
         - COALESCE((SELECT SUM(amount) FROM cust_credit_bill WHERE invnum = b.invnum), 0) AS BIGINT) \
         FROM cust_bill b WHERE b.invnum = $1",
        invnum,
    )
    .await
}

/// What a payment has not yet applied to invoices or refunds.
///
/// # Errors
/// [`Error::NotFound`] when there is no such payment.
pub async fn payment_unapplied(conn: &mut Conn, paynum: i64) -> Result<Money> {
    single_amount(
        conn,
        "SELECT CAST(p.paid - COALESCE((SELECT SUM(amount) FROM cust_bill_pay WHERE paynum = p.paynum), 0) \
         - COALESCE((SELECT SUM(amount) FROM cust_pay_refund WHERE paynum = p.paynum), 0) AS BIGINT) \
         FROM cust_pay p WHERE p.paynum = $1",
        paynum,
    )
    .await
}

/// What a credit has not yet applied to invoices or refunds.
///
/// # Errors
/// [`Error::NotFound`] when there is no such credit.
pub async fn credit_unapplied(conn: &mut Conn, crednum: i64) -> Result<Money> {
    single_amount(
        conn,
        "SELECT CAST(c.amount - COALESCE((SELECT SUM(amount) FROM cust_credit_bill WHERE crednum = c.crednum), 0) \
         - COALESCE((SELECT SUM(amount) FROM cust_credit_refund WHERE crednum = c.crednum), 0) AS BIGINT) \
         FROM cust_credit c WHERE c.crednum = $1",
        crednum,
    )
    .await
}

/// Applies `amount` of payment `paynum` to invoice `invnum`.
///
/// # Errors
/// [`Error::Refused`] with Freeside's `Cannot apply more than remaining value
/// of invoice` (or payment) or `amount must be > 0`.
pub async fn apply_payment(
    conn: &mut Conn,
    paynum: i64,
    invnum: i64,
    amount: Money,
    date: i64,
) -> Result<()> {
    let owed = invoice_owed(conn, invnum).await?;
    let left = payment_unapplied(conn, paynum).await?;
    check_application(amount, Side::Invoice(owed), Side::Payment(left))
        .map_err(|e| Error::Refused(e.to_string()))?;
    sqlx::query(
        "INSERT INTO cust_bill_pay (invnum, paynum, amount, _date) VALUES ($1, $2, $3, $4)",
    )
    .bind(invnum)
    .bind(paynum)
    .bind(amount.cents())
    .bind(date)
    .execute(conn)
    .await?;
    Ok(())
}

async fn open_items(conn: &mut Conn, sql: &str, custnum: i64) -> Result<Vec<OpenItem>> {
    Ok(sqlx::query(sql)
        .bind(custnum)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| OpenItem {
            num: r.get(0),
            date: r.get(1),
            left: Money::from_cents(r.get(2)),
        })
        .filter(|item| item.left.is_positive())
        .collect())
}

/// Applies the customer's unapplied payments and credits to open invoices
/// (backend spec 6.3); returns what was applied.
pub async fn apply_payments_and_credits(
    conn: &mut Conn,
    custnum: i64,
    date: i64,
) -> Result<Vec<Application>> {
    let invoices = open_items(
        conn,
        "SELECT b.invnum, b._date, CAST(b.charged - COALESCE((SELECT SUM(amount) FROM cust_bill_pay WHERE invnum = b.invnum), 0) \
         - COALESCE((SELECT SUM(amount) FROM cust_credit_bill WHERE invnum = b.invnum), 0) AS BIGINT) \
         FROM cust_bill b WHERE b.custnum = $1",
        custnum,
    )
    .await?;
    if invoices.is_empty() {
        return Ok(Vec::new());
    }
    let payments = open_items(
        conn,
        "SELECT p.paynum, p._date, CAST(p.paid - COALESCE((SELECT SUM(amount) FROM cust_bill_pay WHERE paynum = p.paynum), 0) \
         - COALESCE((SELECT SUM(amount) FROM cust_pay_refund WHERE paynum = p.paynum), 0) AS BIGINT) \
         FROM cust_pay p WHERE p.custnum = $1 AND p.no_auto_apply <> 'Y'",
        custnum,
    )
    .await?;
    let credits = open_items(
        conn,
        "SELECT c.crednum, c._date, CAST(c.amount - COALESCE((SELECT SUM(amount) FROM cust_credit_bill WHERE crednum = c.crednum), 0) \
         - COALESCE((SELECT SUM(amount) FROM cust_credit_refund WHERE crednum = c.crednum), 0) AS BIGINT) \
         FROM cust_credit c WHERE c.custnum = $1",
        custnum,
    )
    .await?;
    let plan = plan_applications(&invoices, &payments, &credits, |_| false);
    for application in &plan {
        let sql = match application.kind {
            SourceKind::Payment => "INSERT INTO cust_bill_pay (invnum, paynum, amount, _date) VALUES ($1, $2, $3, $4)",
            SourceKind::Credit => "INSERT INTO cust_credit_bill (invnum, crednum, amount, _date) VALUES ($1, $2, $3, $4)",
        };
        sqlx::query(sql)
            .bind(application.invnum)
            .bind(application.source_num)
            .bind(application.amount.cents())
            .bind(date)
            .execute(&mut *conn)
            .await?;
    }
    Ok(plan)
}
