//! One invoice with everything a rendered document shows: the customer and
//! billing address, the lines with their package names and detail lines,
//! the payments and credits applied to it, what it still owes and the
//! customer's balance. Read in a fixed few queries on a read snapshot;
//! rendering (text, HTML, PDF) is the caller's.

use bursar_core::model::{Customer, Invoice, InvoiceLine, Location};
use bursar_core::Money;
use sqlx::Row;

use crate::customer::{customer, ledger_totals};
use crate::ledger::invoice_owed;
use crate::rows::{self, LOCATION_COLUMNS};
use crate::{Conn, Error, Result, Store};

/// A line of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLine {
    /// The stored line.
    pub line: InvoiceLine,
    /// What it is for: the package definition's name, or the tax name.
    pub description: String,
    /// The package's invoice detail lines.
    pub details: Vec<String>,
}

/// Money applied to the invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPayment {
    /// When it was applied.
    pub date: i64,
    /// How much of it went to this invoice.
    pub amount: Money,
    /// `Payment #12 (CARD 411111xxxxxx1111)` or `Credit #3 (reason)`.
    pub description: String,
}

/// An invoice ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocument {
    /// The invoice record.
    pub invoice: Invoice,
    /// Its customer.
    pub customer: Customer,
    /// The customer's billing address.
    pub bill_location: Location,
    /// Its lines, package lines first, in the order stored.
    pub lines: Vec<DocumentLine>,
    /// Payments and credits applied to it.
    pub payments: Vec<DocumentPayment>,
    /// What it still owes.
    pub owed: Money,
    /// The customer's balance now.
    pub balance: Money,
}

/// Reads invoice `invnum` as a document.
///
/// # Errors
/// [`Error::NotFound`] when there is no such invoice.
pub async fn invoice_document(conn: &mut Conn, invnum: i64) -> Result<InvoiceDocument> {
    let row = sqlx::query(
        "SELECT invnum, custnum, _date, charged, billing_balance, previous_balance FROM cust_bill WHERE invnum = $1",
    )
    .bind(invnum)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    let invoice = Invoice {
        invnum: row.get(0),
        custnum: row.get(1),
        date: row.get(2),
        charged: Money::from_cents(row.get(3)),
        billing_balance: Money::from_cents(row.get(4)),
        previous_balance: Money::from_cents(row.get(5)),
    };
    let customer = customer(conn, invoice.custnum).await?;
    let sql = format!("SELECT {LOCATION_COLUMNS} FROM cust_location WHERE locationnum = $1");
    let bill_location = sqlx::query(&sql)
        .bind(customer.bill_locationnum)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| rows::location(&row))
        .unwrap_or_default();

    let details: Vec<(i64, String)> = sqlx::query(
        "SELECT pkgnum, detail FROM cust_pkg_detail WHERE pkgnum IN \
         (SELECT pkgnum FROM cust_bill_pkg WHERE invnum = $1) ORDER BY detailnum",
    )
    .bind(invnum)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    let lines = sqlx::query(
        "SELECT l.billpkgnum, l.invnum, l.pkgnum, l.setup, l.recur, l.unitsetup, l.unitrecur, l.quantity, \
         l.sdate, l.edate, l.itemdesc, d.pkg FROM cust_bill_pkg l LEFT JOIN cust_pkg p ON p.pkgnum = l.pkgnum \
         LEFT JOIN part_pkg d ON d.pkgpart = p.pkgpart WHERE l.invnum = $1 ORDER BY l.billpkgnum",
    )
    .bind(invnum)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let line = InvoiceLine {
            billpkgnum: r.get(0),
            invnum: r.get(1),
            pkgnum: r.get(2),
            setup: Money::from_cents(r.get(3)),
            recur: Money::from_cents(r.get(4)),
            unitsetup: Money::from_cents(r.get(5)),
            unitrecur: Money::from_cents(r.get(6)),
            quantity: r.get(7),
            sdate: r.get(8),
            edate: r.get(9),
            itemdesc: r.get(10),
        };
        let description = match r.get::<Option<String>, _>(11) {
            Some(pkg) if line.pkgnum != 0 => pkg,
            _ if line.itemdesc.is_empty() => "Tax".to_string(),
            _ => line.itemdesc.clone(),
        };
        let details = details
            .iter()
            .filter(|(pkgnum, _)| *pkgnum == line.pkgnum && line.pkgnum != 0)
            .map(|(_, detail)| detail.clone())
            .collect();
        DocumentLine {
            line,
            description,
            details,
        }
    })
    .collect();

    let mut payments: Vec<DocumentPayment> = sqlx::query(
        "SELECT a._date, a.amount, p.paynum, p.payby, p.paymask FROM cust_bill_pay a \
         JOIN cust_pay p ON p.paynum = a.paynum WHERE a.invnum = $1 ORDER BY a.billpaynum",
    )
    .bind(invnum)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let payby: String = r.get(3);
        let paymask: String = r.get(4);
        let how = if paymask.is_empty() {
            payby
        } else {
            format!("{payby} {paymask}")
        };
        DocumentPayment {
            date: r.get(0),
            amount: Money::from_cents(r.get(1)),
            description: format!("Payment #{} ({how})", r.get::<i64, _>(2)),
        }
    })
    .collect();
    payments.extend(
        sqlx::query(
            "SELECT a._date, a.amount, c.crednum, r.reason FROM cust_credit_bill a \
             JOIN cust_credit c ON c.crednum = a.crednum LEFT JOIN reason r ON r.reasonnum = c.reasonnum \
             WHERE a.invnum = $1 ORDER BY a.creditbillnum",
        )
        .bind(invnum)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| DocumentPayment {
            date: r.get(0),
            amount: Money::from_cents(r.get(1)),
            description: match r.get::<Option<String>, _>(3) {
                Some(reason) if !reason.is_empty() => {
                    format!("Credit #{} ({reason})", r.get::<i64, _>(2))
                }
                _ => format!("Credit #{}", r.get::<i64, _>(2)),
            },
        }),
    );
    let owed = invoice_owed(conn, invnum).await?;
    let balance = ledger_totals(conn, invoice.custnum).await?.balance();
    Ok(InvoiceDocument {
        invoice,
        customer,
        bill_location,
        lines,
        payments,
        owed,
        balance,
    })
}

impl Store {
    /// [`invoice_document`] on a read snapshot.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such invoice.
    pub async fn invoice_document(&self, invnum: i64) -> Result<InvoiceDocument> {
        let mut tx = self.read().await?;
        let document = invoice_document(&mut tx, invnum).await?;
        tx.rollback().await?;
        Ok(document)
    }
}
