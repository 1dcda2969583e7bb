//! Writing planned passes in multi-row statements: package dates (one
//! `UPDATE … FROM (VALUES …)`), invoices and their lines, applications,
//! gateway attempts, dunning marks and events; and the hook functions the
//! export framework will fill in for suspensions, unsuspensions and
//! cancellations.
//!
//! The SQL is shared by both backends: `VALUES` columns are `column1`,
//! `column2`… on both; on PostgreSQL every value is cast so it types the
//! list without guessing (SQLite takes bare `?`, see `values_list`).

use std::collections::{BTreeMap, HashMap};

use bursar_core::ledger::SourceKind;
use sqlx::any::AnyRow;
use sqlx::{Acquire, Row};

use super::plan::{new_invoice_index, CustomerPlan, PackageUpdate};
use super::read::DunningMark;
use super::{PassError, Stage};
use crate::{Conn, Result, Tx};

/// A value bound into a multi-row statement.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    Int(Option<i64>),
    Text(String),
}

/// `(CAST($1 AS BIGINT), CAST($2 AS TEXT), …), (…)` for `n_rows` rows of
/// `casts.len()` columns. On SQLite the parameters are anonymous and bare
/// (`(?, ?, …)`): SQLite looks a named parameter up by a linear scan on every
/// bind, which makes binding a statement of thousands of `$N` quadratic
/// (measured: three quarters of a billing run's time); and it needs no casts
/// (a bound value keeps its type, the column's affinity applies on write),
/// while a `CAST` in every cell makes SQLite 3.46 parse and run a multi-row
/// `VALUES` several times slower (measured: 500-row `UPDATE … FROM (VALUES
/// …)` statements about fourteen times; the billing benchmark at 100,000
/// customers from 11 s to 6.5 s without them).
fn values_list(casts: &[&str], n_rows: usize, anonymous: bool) -> String {
    let n_cols = casts.len();
    let mut sql = String::with_capacity(n_rows * n_cols * 24);
    for row_idx in 0..n_rows {
        if row_idx > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (col_idx, cast) in casts.iter().enumerate() {
            if col_idx > 0 {
                sql.push_str(", ");
            }
            if anonymous {
                sql.push('?');
                continue;
            }
            sql.push_str("CAST($");
            sql.push_str(&(row_idx * n_cols + col_idx + 1).to_string());
            sql.push_str(" AS ");
            sql.push_str(cast);
            sql.push(')');
        }
        sql.push(')');
    }
    sql
}

/// Runs `statement(values)` over `rows` in chunks that stay well within
/// both backends' parameter limits; returns the rows it returned. The
/// statement's only parameters must be those of `values`.
pub(crate) async fn run_values(
    conn: &mut Conn,
    casts: &[&str],
    rows: &[Vec<Val>],
    statement: impl Fn(&str) -> String,
) -> Result<Vec<AnyRow>> {
    let per_chunk = (20_000 / casts.len().max(1)).clamp(1, 500);
    // Only the values are parameters, so positional binding is the same.
    let anonymous = conn.backend_name().eq_ignore_ascii_case("sqlite");
    let mut returned = Vec::new();
    for chunk in rows.chunks(per_chunk) {
        let sql = statement(&values_list(casts, chunk.len(), anonymous));
        let mut query = sqlx::query(&sql);
        for row in chunk {
            for value in row {
                query = match value {
                    Val::Int(int) => query.bind(*int),
                    Val::Text(text) => query.bind(text.as_str()),
                };
            }
        }
        returned.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(returned)
}

/// What writing a batch gave.
#[derive(Debug, Default)]
pub(super) struct Written {
    /// The attempt recorded for each customer that has one.
    pub attempts: HashMap<i64, i64>,
    /// Customers whose writes failed (and were rolled back).
    pub failed: Vec<PassError>,
}

/// Writes `plans` inside `tx`: all at once in a savepoint, or, when that
/// fails, customer by customer, each in its own savepoint.
pub(super) async fn write_plans(tx: &mut Tx, plans: &[CustomerPlan], now: i64) -> Result<Written> {
    let mut written = Written::default();
    if plans.is_empty() {
        return Ok(written);
    }
    let all: Vec<&CustomerPlan> = plans.iter().collect();
    {
        let mut savepoint = tx.begin().await?;
        match write_some(&mut savepoint, &all, now).await {
            Ok(attempts) => {
                savepoint.commit().await?;
                written.attempts = attempts;
                return Ok(written);
            }
            Err(error) => {
                tracing::warn!(%error, "batch write failed; writing customer by customer");
                savepoint.rollback().await?;
            }
        }
    }
    for plan in plans {
        let mut savepoint = tx.begin().await?;
        match write_some(&mut savepoint, &[plan], now).await {
            Ok(attempts) => {
                savepoint.commit().await?;
                written.attempts.extend(attempts);
            }
            Err(error) => {
                savepoint.rollback().await?;
                tracing::warn!(custnum = plan.custnum, %error, "customer not billed");
                written.failed.push(PassError {
                    stage: Stage::Billing,
                    custnum: plan.custnum,
                    message: error.to_string(),
                });
            }
        }
    }
    Ok(written)
}

/// Writes the passes of `plans`; returns the attempt numbers by customer.
async fn write_some(
    conn: &mut Conn,
    plans: &[&CustomerPlan],
    now: i64,
) -> Result<HashMap<i64, i64>> {
    let updates: Vec<PackageUpdate> = plans.iter().flat_map(|p| p.updates.clone()).collect();
    update_packages(conn, &updates).await?;

    // Round k inserts every customer's kth new invoice, so each statement
    // holds at most one invoice per customer and RETURNING maps back by
    // custnum.
    let mut invnums: HashMap<(i64, usize), i64> = HashMap::new();
    let most = plans.iter().map(|p| p.invoices.len()).max().unwrap_or(0);
    for round in 0..most {
        let invoice_rows: Vec<Vec<Val>> = plans
            .iter()
            .filter_map(|plan| {
                plan.invoices.get(round).map(|invoice| {
                    vec![
                        Val::Int(Some(plan.custnum)),
                        Val::Int(Some(invoice.date)),
                        Val::Int(Some(invoice.charged.cents())),
                        Val::Int(Some(invoice.billing_balance.cents())),
                        Val::Int(Some(invoice.previous_balance.cents())),
                        Val::Text(if invoice.no_auto { "Y" } else { "" }.to_string()),
                    ]
                })
            })
            .collect();
        let mut casts = ["BIGINT"; 6];
        casts[5] = "TEXT";
        for row in run_values(conn, &casts, &invoice_rows, |values| {
            format!(
                "INSERT INTO cust_bill (custnum, _date, charged, billing_balance, previous_balance, no_auto) \
                 VALUES {values} RETURNING invnum, custnum"
            )
        })
        .await?
        {
            invnums.insert((row.get(1), round), row.get(0));
        }
    }

    let mut line_rows = Vec::new();
    for plan in plans {
        for (round, invoice) in plan.invoices.iter().enumerate() {
            let Some(&invnum) = invnums.get(&(plan.custnum, round)) else {
                continue;
            };
            for line in &invoice.lines {
                line_rows.push(vec![
                    Val::Int(Some(invnum)),
                    Val::Int(Some(line.pkgnum)),
                    Val::Int(Some(line.setup.cents())),
                    Val::Int(Some(line.recur.cents())),
                    Val::Int(Some(line.unitsetup.cents())),
                    Val::Int(Some(line.unitrecur.cents())),
                    Val::Int(Some(line.quantity)),
                    Val::Int(line.sdate),
                    Val::Int(line.edate),
                    Val::Text(line.itemdesc.clone()),
                ]);
            }
        }
    }
    let mut casts = ["BIGINT"; 10];
    casts[9] = "TEXT";
    run_values(conn, &casts, &line_rows, |values| {
        format!(
            "INSERT INTO cust_bill_pkg (invnum, pkgnum, setup, recur, unitsetup, unitrecur, quantity, sdate, edate, itemdesc) \
             VALUES {values}"
        )
    })
    .await?;

    let resolve = |custnum: i64, invnum: i64| -> Option<i64> {
        match new_invoice_index(invnum) {
            Some(round) => invnums.get(&(custnum, round)).copied(),
            None => Some(invnum),
        }
    };
    let mut payment_rows = Vec::new();
    let mut credit_rows = Vec::new();
    for plan in plans {
        for application in &plan.applications {
            let Some(invnum) = resolve(plan.custnum, application.invnum) else {
                continue;
            };
            let row = vec![
                Val::Int(Some(invnum)),
                Val::Int(Some(application.source_num)),
                Val::Int(Some(application.amount.cents())),
                Val::Int(Some(now)),
            ];
            match application.kind {
                SourceKind::Payment => payment_rows.push(row),
                SourceKind::Credit => credit_rows.push(row),
            }
        }
    }
    insert_applications(conn, &payment_rows, &credit_rows).await?;

    let attempt_rows: Vec<Vec<Val>> = plans
        .iter()
        .filter_map(|plan| {
            plan.attempt.as_ref().map(|attempt| {
                vec![
                    Val::Int(Some(plan.custnum)),
                    Val::Int(Some(now)),
                    Val::Int(Some(attempt.amount.cents())),
                    Val::Text(attempt.payby.as_str().to_string()),
                    Val::Text(attempt.payinfo.clone()),
                    Val::Text(attempt.paymask.clone()),
                    Val::Text(attempt.paydate.clone()),
                    Val::Text(attempt.order_number.clone()),
                    Val::Text(
                        if attempt.pending {
                            "pending"
                        } else {
                            "declined"
                        }
                        .into(),
                    ),
                    Val::Text(attempt.message.clone()),
                    Val::Int((!attempt.pending).then_some(now)),
                ]
            })
        })
        .collect();
    let casts = [
        "BIGINT", "BIGINT", "BIGINT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT",
        "BIGINT",
    ];
    let mut attempts = HashMap::new();
    for row in run_values(conn, &casts, &attempt_rows, |values| {
        format!(
            "INSERT INTO cust_pay_attempt (custnum, _date, amount, payby, payinfo, paymask, paydate, order_number, \
             status, message, resolved_date) VALUES {values} RETURNING attemptnum, custnum"
        )
    })
    .await?
    {
        attempts.insert(row.get::<i64, _>(1), row.get::<i64, _>(0));
    }

    let works: Vec<&super::plan::Work> = plans.iter().map(|p| &p.work).collect();
    write_work(conn, &works, &invnums, &attempts, now).await?;
    Ok(attempts)
}

/// Writes what a pass did to packages besides billing: dunning marks,
/// events, and the export hooks of suspended, unsuspended and cancelled
/// packages.
pub(super) async fn write_work(
    conn: &mut Conn,
    works: &[&super::plan::Work],
    invnums: &HashMap<(i64, usize), i64>,
    attempts: &HashMap<i64, i64>,
    now: i64,
) -> Result<()> {
    let removed: Vec<i64> = works.iter().flat_map(|w| w.marks_remove.clone()).collect();
    crate::fetch_in_list(
        conn,
        "DELETE FROM cust_pkg_dunning WHERE pkgnum IN ({})",
        &removed,
    )
    .await?;
    let mark_rows: Vec<Vec<Val>> = works
        .iter()
        .flat_map(|w| {
            w.marks_add.iter().map(|&DunningMark { pkgnum, susp }| {
                vec![
                    Val::Int(Some(pkgnum)),
                    Val::Int(Some(w.custnum())),
                    Val::Int(Some(susp)),
                ]
            })
        })
        .collect();
    run_values(conn, &["BIGINT"; 3], &mark_rows, |values| {
        format!("INSERT INTO cust_pkg_dunning (pkgnum, custnum, susp) VALUES {values}")
    })
    .await?;

    let mut event_rows = Vec::new();
    for work in works {
        let custnum = work.custnum();
        for event in &work.events {
            let invnum = event
                .invnum
                .and_then(|invnum| match new_invoice_index(invnum) {
                    Some(round) => invnums.get(&(custnum, round)).copied(),
                    None => Some(invnum),
                });
            let attemptnum = if event.about_attempt {
                attempts.get(&custnum).copied()
            } else {
                None
            };
            event_rows.push(vec![
                Val::Int(Some(custnum)),
                Val::Int(Some(now)),
                Val::Text(event.event.to_string()),
                Val::Int(event.pkgnum),
                Val::Int(invnum),
                Val::Int(attemptnum),
                Val::Text(event.detail.clone()),
            ]);
        }
    }
    let casts = [
        "BIGINT", "BIGINT", "TEXT", "BIGINT", "BIGINT", "BIGINT", "TEXT",
    ];
    run_values(conn, &casts, &event_rows, |values| {
        format!(
            "INSERT INTO cust_event (custnum, _date, event, pkgnum, invnum, attemptnum, detail) VALUES {values}"
        )
    })
    .await?;

    // Export hooks, queued in this transaction for `serve`'s worker: the
    // services of suspended and unsuspended packages (dunning, `adjourn`,
    // `resume`) are resynced, which suspends or reactivates them on the
    // platform; those of cancelled packages are removed here first, so
    // the resync unprovisions them.
    let changed: Vec<i64> = works
        .iter()
        .flat_map(|w| {
            w.suspended
                .iter()
                .chain(&w.adjourned)
                .chain(&w.unsuspended)
                .chain(&w.resumed)
                .copied()
        })
        .collect();
    let cancelled: Vec<i64> = works.iter().flat_map(|w| w.cancelled.clone()).collect();
    crate::jobs::queue_package_resyncs(conn, &changed, false, now).await?;
    crate::jobs::queue_package_resyncs(conn, &cancelled, true, now).await?;
    Ok(())
}

/// Inserts payment and credit applications (`cust_bill_pay`,
/// `cust_credit_bill`): rows of (invnum, paynum or crednum, amount, date).
pub(super) async fn insert_applications(
    conn: &mut Conn,
    payment_rows: &[Vec<Val>],
    credit_rows: &[Vec<Val>],
) -> Result<()> {
    run_values(conn, &["BIGINT"; 4], payment_rows, |values| {
        format!("INSERT INTO cust_bill_pay (invnum, paynum, amount, _date) VALUES {values}")
    })
    .await?;
    run_values(conn, &["BIGINT"; 4], credit_rows, |values| {
        format!("INSERT INTO cust_credit_bill (invnum, crednum, amount, _date) VALUES {values}")
    })
    .await?;
    Ok(())
}

/// Stores the new dates of packages: one statement per chunk of packages
/// whose same dates changed (only those columns are written; a billing run
/// mostly moves `bill` and `last_bill`, so most packages share one shape).
pub(super) async fn update_packages(conn: &mut Conn, updates: &[PackageUpdate]) -> Result<()> {
    let mut by_shape: BTreeMap<u8, Vec<&PackageUpdate>> = BTreeMap::new();
    for update in updates.iter().filter(|u| u.changed != 0) {
        by_shape.entry(update.changed).or_default().push(update);
    }
    for (shape, updates) in by_shape {
        let columns: Vec<usize> = (0..PackageUpdate::DATES.len())
            .filter(|idx| shape & (1 << idx) != 0)
            .collect();
        let rows: Vec<Vec<Val>> = updates
            .iter()
            .map(|update| {
                let dates = update.dates();
                std::iter::once(Val::Int(Some(update.pkgnum)))
                    .chain(columns.iter().map(|&idx| Val::Int(dates[idx])))
                    .collect()
            })
            .collect();
        let set = columns
            .iter()
            .enumerate()
            .map(|(position, &idx)| {
                format!("{} = v.column{}", PackageUpdate::DATES[idx], position + 2)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let casts = vec!["BIGINT"; columns.len() + 1];
        run_values(conn, &casts, &rows, |values| {
            format!("UPDATE cust_pkg AS p SET {set} FROM (VALUES {values}) AS v WHERE p.pkgnum = v.column1")
        })
        .await?;
    }
    Ok(())
}

/// A payment the gateway approved, to insert.
#[derive(Debug, Clone)]
pub(super) struct GatewayPayment {
    pub custnum: i64,
    pub date: i64,
    pub paid: bursar_core::Money,
    pub payby: String,
    /// Encrypted, as stored on the customer.
    pub payinfo: String,
    pub paymask: String,
    pub paydate: String,
    pub order_number: String,
    pub auth: String,
    pub processor: String,
    pub usernum: Option<i64>,
}

/// Inserts gateway payments (at most one per customer); returns their
/// `paynum` by customer.
pub(super) async fn insert_gateway_payments(
    conn: &mut Conn,
    payments: &[GatewayPayment],
) -> Result<HashMap<i64, i64>> {
    let rows: Vec<Vec<Val>> = payments
        .iter()
        .map(|p| {
            vec![
                Val::Int(Some(p.custnum)),
                Val::Int(Some(p.date)),
                Val::Int(Some(p.paid.cents())),
                Val::Text(p.payby.clone()),
                Val::Text(p.payinfo.clone()),
                Val::Text(p.paymask.clone()),
                Val::Text(p.paydate.clone()),
                Val::Text(p.order_number.clone()),
                Val::Text(p.auth.clone()),
                Val::Text(p.processor.clone()),
                Val::Int(p.usernum),
            ]
        })
        .collect();
    let casts = [
        "BIGINT", "BIGINT", "BIGINT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT",
        "BIGINT",
    ];
    let mut paynums = HashMap::new();
    for row in run_values(conn, &casts, &rows, |values| {
        format!(
            "INSERT INTO cust_pay (custnum, _date, paid, payby, payinfo, paymask, paydate, order_number, auth, \
             processor, usernum) VALUES {values} RETURNING paynum, custnum"
        )
    })
    .await?
    {
        paynums.insert(row.get::<i64, _>(1), row.get::<i64, _>(0));
    }
    Ok(paynums)
}
