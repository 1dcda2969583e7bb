//! Collection: sending the attempts a pass recorded as `pending` to the
//! gateway and writing what came of them, and resolving attempts whose
//! outcome is unknown before any new one.
//!
//! Never charge twice: an attempt is committed before it is sent; it is
//! sent and its outcome written inside one transaction that holds its
//! customer's lock, and only while it is still `pending` (a compare-and-set
//! on the status). An attempt left `pending` by a crash, or `unknown` after
//! a transport error, is looked up with the gateway (by its order number)
//! under the same lock before the customer is charged again.

use std::collections::{HashMap, HashSet};

use bursar_core::ledger::{plan_applications, OpenItem, SourceKind};
use bursar_core::payby::Payby;
use bursar_core::Money;
use sqlx::Row;

use super::plan::{AttemptPlan, EventPlan, Work};
use super::read::{self, lock_customers, DunningMark};
use super::write::{self, run_values, GatewayPayment, Val};
use super::{BillingOptions, RunReport, EVENT_CHARGE_DECLINED, EVENT_CHARGE_UNKNOWN};
use crate::gateway::{ChargeOutcome, ChargeRequest, LookupOutcome, PaymentGateway};
use crate::in_list;
use crate::json_rows::fetch_rows;
use crate::setup::{conf_get, CONF_API_USERNUM};
use crate::{Conn, Result, Store};

/// An attempt recorded `pending` by a committed pass, to send.
#[derive(Debug, Clone)]
pub(super) struct PendingCharge {
    pub attemptnum: i64,
    pub custnum: i64,
    pub agentnum: i64,
    pub attempt: AttemptPlan,
}

fn request(store: &Store, custnum: i64, attempt: &AttemptPlan) -> Result<ChargeRequest> {
    Ok(ChargeRequest {
        order_number: attempt.order_number.clone(),
        custnum,
        amount: attempt.amount,
        payby: attempt.payby,
        payinfo: store.cipher().decrypt(&attempt.payinfo)?,
        paydate: attempt.paydate.clone(),
        payname: attempt.payname.clone(),
    })
}

async fn api_usernum(conn: &mut Conn) -> Result<Option<i64>> {
    Ok(conf_get(conn, CONF_API_USERNUM)
        .await?
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|&v| v > 0))
}

/// Sends `charges` (at most one per customer, from one or more committed
/// batches) and writes their outcomes, the payments and their applications,
/// and dunning for these customers, in one transaction holding their locks.
pub(super) async fn collect_batch(
    store: &Store,
    gateway: &dyn PaymentGateway,
    options: &BillingOptions,
    charges: &[PendingCharge],
) -> Result<RunReport> {
    let now = options.now;
    let mut report = RunReport::default();
    let mut tx = store.write().await?;
    let mut custnums: Vec<i64> = charges.iter().map(|c| c.custnum).collect();
    custnums.sort_unstable();
    custnums.dedup();
    lock_customers(&mut tx, store.backend(), &custnums, now).await?;
    let usernum = api_usernum(&mut tx).await?;

    let mut still_pending = HashSet::new();
    for chunk in charges.chunks(500) {
        let sql = format!(
            "SELECT attemptnum FROM cust_pay_attempt WHERE status = 'pending' AND attemptnum IN ({})",
            in_list(1, chunk.len())
        );
        let attemptnums: Vec<i64> = chunk.iter().map(|c| c.attemptnum).collect();
        for (attemptnum,) in fetch_rows::<(i64,)>(
            &mut tx,
            store.backend(),
            &sql,
            "attemptnum",
            None,
            &attemptnums,
        )
        .await?
        {
            still_pending.insert(attemptnum);
        }
    }

    let mut payments = Vec::new();
    let mut outcomes = Vec::new();
    for charge in charges
        .iter()
        .filter(|c| still_pending.contains(&c.attemptnum))
    {
        let outcome = match request(store, charge.custnum, &charge.attempt) {
            Ok(request) => gateway.charge(&request).await,
            Err(error) => ChargeOutcome::Declined {
                message: format!("stored payment details unreadable: {error}"),
            },
        };
        if let ChargeOutcome::Approved { auth } = &outcome {
            payments.push(GatewayPayment {
                custnum: charge.custnum,
                date: now,
                paid: charge.attempt.amount,
                payby: charge.attempt.payby.as_str().to_string(),
                payinfo: charge.attempt.payinfo.clone(),
                paymask: charge.attempt.paymask.clone(),
                paydate: charge.attempt.paydate.clone(),
                order_number: charge.attempt.order_number.clone(),
                auth: auth.clone(),
                processor: gateway.processor().to_string(),
                usernum,
            });
        }
        outcomes.push((charge, outcome));
    }
    let paynums = write::insert_gateway_payments(&mut tx, &payments).await?;

    let mut attempt_rows = Vec::new();
    let mut events: HashMap<i64, Vec<EventPlan>> = HashMap::new();
    for (charge, outcome) in &outcomes {
        let (status, message, auth) = match outcome {
            ChargeOutcome::Approved { auth } => {
                report.payments += 1;
                report.collected += charge.attempt.amount;
                ("approved", String::new(), auth.clone())
            }
            ChargeOutcome::Declined { message } => {
                report.declines += 1;
                ("declined", message.clone(), String::new())
            }
            ChargeOutcome::Unknown { message } => {
                report.unknown += 1;
                ("unknown", message.clone(), String::new())
            }
        };
        if status != "approved" {
            tracing::info!(custnum = charge.custnum, status, %message, "charge not approved");
            events.entry(charge.custnum).or_default().push(EventPlan {
                event: if status == "declined" {
                    EVENT_CHARGE_DECLINED
                } else {
                    EVENT_CHARGE_UNKNOWN
                },
                pkgnum: None,
                invnum: None,
                about_attempt: true,
                detail: message.clone(),
            });
        }
        attempt_rows.push(vec![
            Val::Int(Some(charge.attemptnum)),
            Val::Text(status.to_string()),
            Val::Text(message),
            Val::Text(auth),
            Val::Text(gateway.processor().to_string()),
            Val::Int(paynums.get(&charge.custnum).copied()),
            Val::Int((status != "unknown").then_some(now)),
        ]);
    }
    update_attempts(&mut tx, &attempt_rows).await?;

    // Dunning marks, and what the customers owe now, read again under the
    // lock: open invoices of those who paid or whom dunning concerns (it
    // is on for their agent, or a package of theirs is suspended for
    // non-payment); balances and packages only of the latter.
    let marks = read_marks(&mut tx, &custnums).await?;
    let mut dunning_custnums: Vec<i64> = charges
        .iter()
        .filter(|c| {
            marks.contains_key(&c.custnum) || options.dunning.days_for(c.agentnum).is_some()
        })
        .map(|c| c.custnum)
        .collect();
    dunning_custnums.sort_unstable();
    dunning_custnums.dedup();
    let mut open_custnums: Vec<i64> = paynums
        .keys()
        .copied()
        .chain(dunning_custnums.iter().copied())
        .collect();
    open_custnums.sort_unstable();
    open_custnums.dedup();
    let mut open: HashMap<i64, Vec<OpenItem>> = HashMap::new();
    for chunk in open_custnums.chunks(500) {
        let sql = read::OPEN_INVOICES.replace(
            "BETWEEN $1 AND $2",
            &format!("IN ({})", in_list(1, chunk.len())),
        );
        open.extend(read::open_items(&mut tx, store.backend(), &sql, chunk).await?);
    }
    let no_auto: HashSet<i64> = by_customers(&mut tx, read::NO_AUTO_INVOICES, &open_custnums)
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let totals = read_balances(&mut tx, &dunning_custnums).await?;
    let mut packages = HashMap::new();
    for chunk in dunning_custnums.chunks(500) {
        packages.extend(
            read::read_packages(
                &mut tx,
                store.backend(),
                &format!("custnum IN ({})", in_list(1, chunk.len())),
                chunk,
            )
            .await?,
        );
    }

    let mut payment_rows = Vec::new();
    let mut works = Vec::new();
    let mut attempts: HashMap<i64, i64> = HashMap::new();
    for (charge, _) in &outcomes {
        attempts.insert(charge.custnum, charge.attemptnum);
        let mut customer_open: Vec<OpenItem> =
            open.get(&charge.custnum).cloned().unwrap_or_default();
        if let Some(&paynum) = paynums.get(&charge.custnum) {
            let payment = OpenItem {
                num: paynum,
                date: now,
                left: charge.attempt.amount,
            };
            // It pays what it was charged for: not no_auto invoices.
            let charged_for: Vec<OpenItem> = customer_open
                .iter()
                .filter(|item| !no_auto.contains(&item.num))
                .copied()
                .collect();
            for application in plan_applications(&charged_for, &[payment], &[], |_| false) {
                debug_assert_eq!(application.kind, SourceKind::Payment);
                payment_rows.push(vec![
                    Val::Int(Some(application.invnum)),
                    Val::Int(Some(paynum)),
                    Val::Int(Some(application.amount.cents())),
                    Val::Int(Some(now)),
                ]);
                if let Some(item) = customer_open
                    .iter_mut()
                    .find(|i| i.num == application.invnum)
                {
                    item.left -= application.amount;
                }
            }
        }
        let mut work = Work::new(
            charge.custnum,
            now,
            packages.get(&charge.custnum).cloned().unwrap_or_default(),
            marks.get(&charge.custnum).cloned().unwrap_or_default(),
        );
        work.events = events.remove(&charge.custnum).unwrap_or_default();
        let balance = totals.get(&charge.custnum).copied().unwrap_or(Money::ZERO);
        work.unsuspend_paid(balance);
        work.suspend_past_due(&customer_open, options.dunning.days_for(charge.agentnum));
        works.push(work);
    }
    write::insert_applications(&mut tx, &payment_rows, &[]).await?;
    let updates: Vec<_> = works.iter().flat_map(Work::updates).collect();
    write::update_packages(&mut tx, &updates).await?;
    let work_refs: Vec<&Work> = works.iter().collect();
    write::write_work(&mut tx, &work_refs, &HashMap::new(), &attempts, now).await?;
    for work in &works {
        report.suspensions += u64::try_from(work.suspended.len()).unwrap_or_default();
        report.unsuspensions += u64::try_from(work.unsuspended.len()).unwrap_or_default();
    }
    tx.commit().await?;
    Ok(report)
}

/// Sets attempts' outcomes: rows of (attemptnum, status, message, auth,
/// processor, paynum, resolved_date).
async fn update_attempts(conn: &mut Conn, rows: &[Vec<Val>]) -> Result<()> {
    let casts = ["BIGINT", "TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "BIGINT"];
    run_values(conn, &casts, rows, |values| {
        format!(
            "UPDATE cust_pay_attempt AS a SET status = v.column2, message = v.column3, auth = v.column4, \
             processor = v.column5, paynum = v.column6, resolved_date = v.column7 \
             FROM (VALUES {values}) AS v WHERE a.attemptnum = v.column1"
        )
    })
    .await?;
    Ok(())
}

/// Runs `sql`, written for a custnum range (`BETWEEN $1 AND $2`), for the
/// customers `custnums` instead (`IN (…)`), in chunks.
async fn by_customers(
    conn: &mut Conn,
    sql: &str,
    custnums: &[i64],
) -> Result<Vec<sqlx::any::AnyRow>> {
    crate::fetch_in_list(conn, &sql.replace("BETWEEN $1 AND $2", "IN ({})"), custnums).await
}

/// Balances of the customers `custnums`.
async fn read_balances(conn: &mut Conn, custnums: &[i64]) -> Result<HashMap<i64, Money>> {
    let mut balances: HashMap<i64, Money> = HashMap::new();
    for row in by_customers(
        conn,
        "SELECT custnum, CAST(SUM(charged) AS BIGINT) FROM cust_bill WHERE custnum BETWEEN $1 AND $2 GROUP BY custnum \
         UNION ALL SELECT custnum, CAST(-SUM(paid) AS BIGINT) FROM cust_pay WHERE custnum BETWEEN $1 AND $2 GROUP BY custnum \
         UNION ALL SELECT custnum, CAST(-SUM(amount) AS BIGINT) FROM cust_credit WHERE custnum BETWEEN $1 AND $2 GROUP BY custnum \
         UNION ALL SELECT custnum, CAST(SUM(refund) AS BIGINT) FROM cust_refund WHERE custnum BETWEEN $1 AND $2 GROUP BY custnum",
        custnums,
    )
    .await?
    {
        *balances.entry(row.get(0)).or_insert(Money::ZERO) += Money::from_cents(row.get(1));
    }
    Ok(balances)
}

/// Dunning marks of the customers `custnums`.
async fn read_marks(conn: &mut Conn, custnums: &[i64]) -> Result<HashMap<i64, Vec<DunningMark>>> {
    let mut marks: HashMap<i64, Vec<DunningMark>> = HashMap::new();
    for row in by_customers(
        conn,
        "SELECT pkgnum, custnum, susp FROM cust_pkg_dunning WHERE custnum BETWEEN $1 AND $2",
        custnums,
    )
    .await?
    {
        marks.entry(row.get(1)).or_default().push(DunningMark {
            pkgnum: row.get(0),
            susp: row.get(2),
        });
    }
    Ok(marks)
}

/// Looks up every gateway attempt still `pending` or `unknown` (of customer
/// `only`, or of everyone) and records what became of it: an approved one
/// becomes a payment, applied at once; one that was not charged is marked
/// `failed`; one still unknown stays so. Each in its own transaction under
/// its customer's lock, and only if nobody resolved it meanwhile.
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails.
pub async fn resolve_open_attempts(
    store: &Store,
    gateway: &dyn PaymentGateway,
    only: Option<i64>,
    now: i64,
) -> Result<RunReport> {
    let mut report = RunReport::default();
    let open: Vec<(i64, i64)> = {
        let mut tx = store.read().await?;
        let sql = match only {
            Some(_) => "SELECT attemptnum, custnum FROM cust_pay_attempt WHERE status IN ('pending', 'unknown') \
                        AND custnum = $1 ORDER BY attemptnum",
            None => "SELECT attemptnum, custnum FROM cust_pay_attempt WHERE status IN ('pending', 'unknown') \
                     AND custnum <> $1 ORDER BY attemptnum",
        };
        let found = sqlx::query(sql)
            .bind(only.unwrap_or(-1))
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        tx.rollback().await?;
        found
    };
    for (attemptnum, custnum) in open {
        let mut tx = store.write().await?;
        lock_customers(&mut tx, store.backend(), &[custnum], now).await?;
        let Some(row) = sqlx::query(
            "SELECT amount, payby, payinfo, paymask, paydate, order_number FROM cust_pay_attempt \
             WHERE attemptnum = $1 AND status IN ('pending', 'unknown')",
        )
        .bind(attemptnum)
        .fetch_optional(&mut *tx)
        .await?
        else {
            tx.rollback().await?;
            continue;
        };
        let payby_code: String = row.get(1);
        let attempt = AttemptPlan {
            amount: Money::from_cents(row.get(0)),
            payby: Payby::from_code(&payby_code).unwrap_or(Payby::Card),
            payinfo: row.get(2),
            paymask: row.get(3),
            paydate: row.get(4),
            payname: String::new(),
            order_number: row.get(5),
            pending: true,
            message: String::new(),
        };
        let outcome = match request(store, custnum, &attempt) {
            Ok(request) => gateway.lookup(&request).await,
            Err(error) => LookupOutcome::NotCharged {
                message: format!("stored payment details unreadable: {error}"),
            },
        };
        let (status, message, auth, paynum) = match outcome {
            LookupOutcome::Approved { auth } => {
                let usernum = api_usernum(&mut tx).await?;
                let paynums = write::insert_gateway_payments(
                    &mut tx,
                    &[GatewayPayment {
                        custnum,
                        date: now,
                        paid: attempt.amount,
                        payby: payby_code.clone(),
                        payinfo: attempt.payinfo.clone(),
                        paymask: attempt.paymask.clone(),
                        paydate: attempt.paydate.clone(),
                        order_number: attempt.order_number.clone(),
                        auth: auth.clone(),
                        processor: gateway.processor().to_string(),
                        usernum,
                    }],
                )
                .await?;
                report.payments += 1;
                report.collected += attempt.amount;
                (
                    "approved",
                    String::new(),
                    auth,
                    paynums.get(&custnum).copied(),
                )
            }
            LookupOutcome::NotCharged { message } => ("failed", message, String::new(), None),
            LookupOutcome::Unknown { message } => ("unknown", message, String::new(), None),
        };
        tracing::info!(attemptnum, custnum, status, "resolved an earlier charge");
        update_attempts(
            &mut tx,
            &[vec![
                Val::Int(Some(attemptnum)),
                Val::Text(status.into()),
                Val::Text(message),
                Val::Text(auth),
                Val::Text(gateway.processor().to_string()),
                Val::Int(paynum),
                Val::Int((status != "unknown").then_some(now)),
            ]],
        )
        .await?;
        if paynum.is_some() {
            crate::ledger::apply_payments_and_credits(&mut tx, custnum, now).await?;
        }
        tx.commit().await?;
    }
    Ok(report)
}
