//! The billing run on both backends: checklist 35–41, idempotence,
//! collection through the test gateway, dunning, expiry, refusals, and two
//! runs at once.

use bursar_core::billing::BillingCalendar;
use bursar_core::frequency::Frequency;
use bursar_core::model::{Customer, PackageDef, Payment, TaxRate};
use bursar_core::Money;
use bursar_store::billing::{
    bill_all, bill_customer_now, BillingOptions, DunningPolicy, RunReport,
};
use bursar_store::catalog::Catalog;
use bursar_store::customer::{insert_customer, ledger_totals, NewCustomer};
use bursar_store::gateway::TestGateway;
use bursar_store::ledger::{insert_payment, NewPayment};
use bursar_store::package::{order_package, NewPackage};
use bursar_store::testing::{backends, TestDb};
use bursar_store::Store;
use sqlx::Row;

use crate::support::address;

const T0: i64 = 1_705_312_800; // 2024-01-15 10:00 UTC
const DAY: i64 = 86_400;

fn def(pkgpart: i64, setup: i64, recur: i64, freq: Frequency, taxable: bool) -> PackageDef {
    PackageDef {
        pkgpart,
        pkg: format!("Package {pkgpart}"),
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

/// pkgpart 1: monthly 10.00 + 19.95 taxable; 2: one-time 5.00; 3: monthly
/// 19.95 not taxable; 4: negative setup (bad input); CA tax 7.25 %.
async fn catalog(store: &Store) {
    let catalog = Catalog {
        package_defs: vec![
            def(1, 1000, 1995, Frequency::Months(1), true),
            def(2, 500, 0, Frequency::OneTime, true),
            def(3, 0, 1995, Frequency::Months(1), false),
            def(4, -500, 100, Frequency::Months(1), true),
        ],
        taxes: vec![TaxRate {
            taxnum: 0,
            country: "US".into(),
            state: "CA".into(),
            county: String::new(),
            city: String::new(),
            name: "CA sales tax".into(),
            rate: "7.25".parse().unwrap(),
        }],
        ..Catalog::default()
    };
    store.apply_catalog(&catalog).await.unwrap();
}

async fn customer(store: &Store, payby: &str, card: &str) -> i64 {
    let usernum = store.api_usernum().await.unwrap();
    let new = NewCustomer {
        customer: Customer {
            agentnum: 1,
            refnum: 1,
            usernum,
            first: "Bill".into(),
            last: payby.into(),
            signupdate: T0 - 400 * DAY,
            payby: payby.into(),
            paymask: card.chars().rev().take(4).collect(),
            paydate: if card.is_empty() {
                String::new()
            } else {
                "2099-12-01".into()
            },
            ..Customer::default()
        },
        payinfo: card.into(),
        bill_location: address("1 Main St"),
        ..NewCustomer::default()
    };
    let mut tx = store.write().await.unwrap();
    let custnum = insert_customer(&mut tx, store, &new).await.unwrap();
    tx.commit().await.unwrap();
    custnum
}

async fn order(store: &Store, custnum: i64, pkgpart: i64, at: i64) -> i64 {
    let mut tx = store.write().await.unwrap();
    let locationnum: i64 = sqlx::query("SELECT bill_locationnum FROM cust_main WHERE custnum = $1")
        .bind(custnum)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
        .get(0);
    let pkgnum = order_package(
        &mut tx,
        &NewPackage {
            custnum,
            pkgpart,
            locationnum,
            quantity: 1,
            order_date: at,
            usernum: 1,
            ..NewPackage::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    pkgnum
}

fn options(now: i64) -> BillingOptions {
    BillingOptions::new(BillingCalendar::default(), now)
}

async fn bill_one(db: &TestDb, custnum: i64, now: i64) -> RunReport {
    bill_customer_now(&db.store, &TestGateway, &options(now), custnum)
        .await
        .unwrap()
        .expect("known customer")
}

async fn scalar(db: &TestDb, sql: &str, num: i64) -> i64 {
    let mut tx = db.store.read().await.unwrap();
    let value: Option<i64> = sqlx::query(sql)
        .bind(num)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
        .get(0);
    value.unwrap_or_default()
}

/// Invoice lines of a customer as `pkgnum setup/recur itemdesc`.
async fn lines(db: &TestDb, custnum: i64) -> Vec<String> {
    let mut tx = db.store.read().await.unwrap();
    sqlx::query(
        "SELECT l.pkgnum, l.setup, l.recur, l.itemdesc FROM cust_bill_pkg l JOIN cust_bill b ON b.invnum = l.invnum \
         WHERE b.custnum = $1 ORDER BY l.billpkgnum",
    )
    .bind(custnum)
    .fetch_all(&mut *tx)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        format!(
            "{} {}/{} {}",
            r.get::<i64, _>(0),
            Money::from_cents(r.get(1)),
            Money::from_cents(r.get(2)),
            r.get::<String, _>(3)
        )
        .trim_end()
        .to_string()
    })
    .collect()
}

async fn balance(db: &TestDb, custnum: i64) -> Money {
    let mut tx = db.store.read().await.unwrap();
    ledger_totals(&mut tx, custnum).await.unwrap().balance()
}

#[tokio::test]
async fn a_new_monthly_package_is_billed_setup_first_month_and_tax_once() {
    // Checklist 35 and 40.
    for db in backends().await {
        catalog(&db.store).await;
        let custnum = customer(&db.store, "BILL", "").await;
        let pkgnum = order(&db.store, custnum, 1, T0).await;
        let report = bill_one(&db, custnum, T0).await;
        assert_eq!(
            (report.invoices, report.total.to_string().as_str()),
            (1, "32.12"),
            "{}",
            db.name()
        );
        assert_eq!(
            lines(&db, custnum).await,
            [
                format!("{pkgnum} 10.00/19.95"),
                "0 2.17/0.00 CA sales tax".to_string()
            ]
        );
        let (setup, bill, last_bill) = {
            let mut tx = db.store.read().await.unwrap();
            let row = sqlx::query("SELECT setup, bill, last_bill FROM cust_pkg WHERE pkgnum = $1")
                .bind(pkgnum)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            (
                row.get::<Option<i64>, _>(0),
                row.get::<Option<i64>, _>(1),
                row.get::<Option<i64>, _>(2),
            )
        };
        assert_eq!(setup, Some(T0));
        assert_eq!(last_bill, Some(T0));
        assert_eq!(bill, Some(T0 + 31 * DAY), "Jan 15 + 1 month = Feb 15");
        let again = bill_one(&db, custnum, T0).await;
        assert_eq!(again.invoices, 0, "{}", db.name());
        assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM cust_bill WHERE custnum = $1",
                custnum
            )
            .await,
            1
        );
    }
}

#[tokio::test]
async fn three_periods_behind_make_three_lines_and_untaxable_gets_no_tax() {
    // Checklist 36 and 40.
    for db in backends().await {
        catalog(&db.store).await;
        let custnum = customer(&db.store, "BILL", "").await;
        let pkgnum = order(&db.store, custnum, 3, T0).await;
        {
            let mut tx = db.store.write().await.unwrap();
            sqlx::query(
                "UPDATE cust_pkg SET setup = $1, last_bill = $1, bill = $2 WHERE pkgnum = $3",
            )
            .bind(T0 - 100 * DAY)
            .bind(T0 - 69 * DAY)
            .bind(pkgnum)
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        bill_one(&db, custnum, T0).await;
        assert_eq!(
            lines(&db, custnum).await,
            vec![format!("{pkgnum} 0.00/19.95"); 3],
            "{}",
            db.name()
        );
    }
}

#[tokio::test]
async fn unapplied_payments_pay_the_new_invoice_and_cards_are_charged() {
    // Checklist 41.
    for db in backends().await {
        catalog(&db.store).await;
        let cash = customer(&db.store, "BILL", "").await;
        order(&db.store, cash, 3, T0).await;
        {
            let mut tx = db.store.write().await.unwrap();
            insert_payment(
                &mut tx,
                &db.store,
                &NewPayment {
                    payment: Payment {
                        custnum: cash,
                        date: T0 - DAY,
                        paid: Money::from_cents(5000),
                        payby: "CASH".into(),
                        ..Payment::default()
                    },
                    usernum: 1,
                    ..NewPayment::default()
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let card = customer(&db.store, "CARD", "4111111111111111").await;
        order(&db.store, card, 1, T0).await;
        let declined = customer(&db.store, "CARD", "4000000000000002").await;
        order(&db.store, declined, 1, T0).await;
        let failing = customer(&db.store, "CARD", "4000000000000119").await;
        order(&db.store, failing, 1, T0).await;

        let report = bill_all(&db.store, &TestGateway, &options(T0), &mut |_| {})
            .await
            .unwrap();
        assert_eq!(report.invoices, 4, "{}: {report:?}", db.name());
        assert_eq!(
            (report.payments, report.declines, report.unknown),
            (1, 1, 1)
        );
        assert!(report.errors.is_empty());
        let owed_sql = "SELECT CAST(SUM(b.charged - COALESCE((SELECT SUM(amount) FROM cust_bill_pay WHERE invnum = b.invnum), 0)) AS BIGINT) \
                        FROM cust_bill b WHERE b.custnum = $1";
        assert_eq!(scalar(&db, owed_sql, cash).await, 0, "{}", db.name());
        assert_eq!(balance(&db, cash).await.to_string(), "-30.05");
        assert_eq!(scalar(&db, owed_sql, card).await, 0);
        assert_eq!(balance(&db, card).await, Money::ZERO);
        assert_eq!(scalar(&db, owed_sql, declined).await, 3212);
        let message: String = {
            let mut tx = db.store.read().await.unwrap();
            sqlx::query("SELECT message FROM cust_pay_attempt WHERE custnum = $1")
                .bind(declined)
                .fetch_one(&mut *tx)
                .await
                .unwrap()
                .get(0)
        };
        assert_eq!(message, "Declined");

        // The next pass resolves the unknown charge before trying again,
        // and never charges the paid customer twice.
        let next = bill_all(&db.store, &TestGateway, &options(T0 + DAY), &mut |_| {})
            .await
            .unwrap();
        assert_eq!(
            (next.invoices, next.payments),
            (0, 0),
            "{}: {next:?}",
            db.name()
        );
        assert_eq!((next.declines, next.unknown), (1, 1));
        let statuses: Vec<String> = {
            let mut tx = db.store.read().await.unwrap();
            sqlx::query(
                "SELECT status FROM cust_pay_attempt WHERE custnum = $1 ORDER BY attemptnum",
            )
            .bind(failing)
            .fetch_all(&mut *tx)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
        };
        assert_eq!(statuses, ["failed", "unknown"], "{}", db.name());
        assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM cust_pay WHERE custnum = $1",
                card
            )
            .await,
            1
        );
    }
}

#[tokio::test]
async fn rerunning_the_same_time_bills_nothing_twice_and_the_ledger_balances() {
    for db in backends().await {
        let generated = bursar_store::bench_data::generate(&db.store, 120, 7, T0)
            .await
            .unwrap();
        assert_eq!(generated.customers, 120);
        let mut options = options(T0);
        options.batch_size = 25;
        let mut seen = Vec::new();
        let first = bill_all(&db.store, &TestGateway, &options, &mut |p| {
            seen.push(p.done)
        })
        .await
        .unwrap();
        assert_eq!(seen.len(), 5, "{}", db.name());
        assert_eq!(first.customers, 120);
        assert_eq!(first.billed, 120, "{}: {first:?}", db.name());
        assert!(first.errors.is_empty());
        let second = bill_all(&db.store, &TestGateway, &options, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(
            (second.invoices, second.payments),
            (0, 0),
            "{}: {second:?}",
            db.name()
        );
        let mismatched = scalar(
            &db,
            "SELECT COUNT(*) FROM cust_bill b WHERE b.charged <> \
             (SELECT COALESCE(SUM(setup + recur), 0) FROM cust_bill_pkg WHERE invnum = b.invnum) AND $1 = $1",
            0,
        )
        .await;
        assert_eq!(
            mismatched, 0,
            "every invoice's total is the sum of its lines"
        );
        let charged = scalar(
            &db,
            "SELECT CAST(SUM(charged) AS BIGINT) FROM cust_bill WHERE $1 = $1",
            0,
        )
        .await;
        assert_eq!(Money::from_cents(charged), first.total);
    }
}

#[tokio::test]
async fn two_runs_at_once_never_bill_a_period_twice() {
    for db in backends().await {
        bursar_store::bench_data::generate(&db.store, 200, 11, T0)
            .await
            .unwrap();
        let mut options = options(T0);
        options.batch_size = 20;
        let (mut progress_a, mut progress_b) = (|_| {}, |_| {});
        let (a, b) = tokio::join!(
            bill_all(&db.store, &TestGateway, &options, &mut progress_a),
            bill_all(&db.store, &TestGateway, &options, &mut progress_b),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a.errors.is_empty() && b.errors.is_empty(), "{a:?} {b:?}");
        assert_eq!(a.invoices + b.invoices, 200, "{}", db.name());
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM cust_bill WHERE $1 = $1", 0).await,
            200
        );
    }
}

#[tokio::test]
async fn dunning_suspends_past_due_customers_and_a_payment_unsuspends() {
    for db in backends().await {
        catalog(&db.store).await;
        let custnum = customer(&db.store, "BILL", "").await;
        let pkgnum = order(&db.store, custnum, 3, T0).await;
        let mut options = options(T0);
        options.dunning = DunningPolicy {
            suspend_after_days: Some(10),
            ..DunningPolicy::default()
        };
        bill_all(&db.store, &TestGateway, &options, &mut |_| {})
            .await
            .unwrap();
        options.now = T0 + 5 * DAY;
        let early = bill_all(&db.store, &TestGateway, &options, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(early.suspensions, 0, "{}", db.name());
        options.now = T0 + 11 * DAY;
        let late = bill_all(&db.store, &TestGateway, &options, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(late.suspensions, 1, "{}: {late:?}", db.name());
        assert_eq!(
            scalar(&db, "SELECT susp FROM cust_pkg WHERE pkgnum = $1", pkgnum).await,
            T0 + 11 * DAY
        );
        {
            let mut tx = db.store.write().await.unwrap();
            insert_payment(
                &mut tx,
                &db.store,
                &NewPayment {
                    payment: Payment {
                        custnum,
                        date: T0 + 12 * DAY,
                        paid: Money::from_cents(1995),
                        payby: "CASH".into(),
                        ..Payment::default()
                    },
                    usernum: 1,
                    ..NewPayment::default()
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        options.now = T0 + 13 * DAY;
        let paid = bill_all(&db.store, &TestGateway, &options, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(paid.unsuspensions, 1, "{}: {paid:?}", db.name());
        assert_eq!(paid.invoices, 0);
        assert_eq!(
            scalar(&db, "SELECT susp FROM cust_pkg WHERE pkgnum = $1", pkgnum).await,
            0
        );
        // The next bill date moved forward by the two suspended days.
        assert_eq!(
            scalar(&db, "SELECT bill FROM cust_pkg WHERE pkgnum = $1", pkgnum).await,
            T0 + 31 * DAY + 2 * DAY
        );
        let events: Vec<String> = {
            let mut tx = db.store.read().await.unwrap();
            sqlx::query("SELECT event FROM cust_event WHERE custnum = $1 ORDER BY eventnum")
                .bind(custnum)
                .fetch_all(&mut *tx)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect()
        };
        assert_eq!(events, ["dunning_suspend", "dunning_unsuspend"]);
    }
}

#[tokio::test]
async fn expired_suspended_complimentary_and_refused_customers() {
    // Checklist 39 and the bad input.
    for db in backends().await {
        catalog(&db.store).await;
        let expiring = customer(&db.store, "BILL", "").await;
        let pkgnum = order(&db.store, expiring, 3, T0).await;
        let suspended = customer(&db.store, "BILL", "").await;
        let suspended_pkg = order(&db.store, suspended, 1, T0).await;
        let comp = customer(&db.store, "COMP", "").await;
        order(&db.store, comp, 1, T0).await;
        let negative = customer(&db.store, "BILL", "").await;
        order(&db.store, negative, 4, T0).await;
        {
            let mut tx = db.store.write().await.unwrap();
            sqlx::query("UPDATE cust_pkg SET setup = $1, last_bill = $1, bill = $2, expire = $3 WHERE pkgnum = $4")
                .bind(T0 - 45 * DAY)
                .bind(T0 - 14 * DAY)
                .bind(T0 - DAY)
                .bind(pkgnum)
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query("UPDATE cust_pkg SET susp = $1 WHERE pkgnum = $2")
                .bind(T0 - DAY)
                .bind(suspended_pkg)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let report = bill_all(&db.store, &TestGateway, &options(T0), &mut |_| {})
            .await
            .unwrap();
        // The period that began before the expiry is billed, nothing after.
        assert_eq!(
            lines(&db, expiring).await,
            [format!("{pkgnum} 0.00/19.95")],
            "{}",
            db.name()
        );
        assert_eq!(
            scalar(&db, "SELECT cancel FROM cust_pkg WHERE pkgnum = $1", pkgnum).await,
            T0
        );
        assert_eq!(report.expired, 1);
        assert!(lines(&db, suspended).await.is_empty());
        assert!(lines(&db, comp).await.is_empty());
        assert!(lines(&db, negative).await.is_empty());
        assert_eq!(report.errors.len(), 1, "{report:?}");
        assert_eq!(
            report.errors[0].to_string(),
            format!(
                "Error billing custnum {negative}: negative setup -5.00 for pkgnum {}",
                pkgnum + 3
            )
        );
        assert!(
            bill_customer_now(&db.store, &TestGateway, &options(T0), 999_999)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn separate_bill_and_no_auto_packages_are_invoiced_apart_and_no_auto_is_never_charged() {
    // Spec 9.6.
    for db in backends().await {
        catalog(&db.store).await;
        let card = customer(&db.store, "CARD", "4111111111111111").await;
        order(&db.store, card, 1, T0).await;
        let separate = order(&db.store, card, 3, T0).await;
        let manual = order(&db.store, card, 2, T0).await;
        {
            let mut tx = db.store.write().await.unwrap();
            for (pkgnum, column) in [(separate, "separate_bill"), (manual, "no_auto")] {
                sqlx::query(&format!(
                    "UPDATE cust_pkg SET {column} = 'Y' WHERE pkgnum = $1"
                ))
                .bind(pkgnum)
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
        }

        let report = bill_one(&db, card, T0).await;
        assert_eq!(report.invoices, 3, "{}: {report:?}", db.name());
        let mut tx = db.store.read().await.unwrap();
        let invoices: Vec<(i64, i64, i64, i64, String, i64)> = sqlx::query(
            "SELECT b.invnum, b.charged, b.billing_balance, b.previous_balance, b.no_auto, \
             CAST(b.charged - COALESCE((SELECT SUM(amount) FROM cust_bill_pay WHERE invnum = b.invnum), 0) AS BIGINT) \
             FROM cust_bill b WHERE b.custnum = $1 ORDER BY b.invnum",
        )
        .bind(card)
        .fetch_all(&mut *tx)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
        tx.rollback().await.unwrap();
        let summary: Vec<(i64, i64, i64, &str, i64)> = invoices
            .iter()
            .map(|(_, charged, before, previous, no_auto, owed)| {
                (*charged, *before, *previous, no_auto.as_str(), *owed)
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                // 29.95 + 7.25 % tax 2.17; charged to the card.
                (3212, 0, 0, "", 0),
                // Not taxable, on its own invoice; charged to the card.
                (1995, 3212, 3212, "", 0),
                // The one-time 5.00 + 0.36 tax: never charged automatically.
                (536, 5207, 5207, "Y", 536),
            ],
            "{}",
            db.name()
        );
        assert_eq!(report.payments, 1, "{}", db.name());
        assert_eq!(report.collected, Money::from_cents(5207), "{}", db.name());
        assert_eq!(balance(&db, card).await, Money::from_cents(536));

        // Later passes still leave the no_auto invoice to the customer.
        let again = bill_one(&db, card, T0 + DAY).await;
        assert_eq!((again.invoices, again.payments), (0, 0), "{}", db.name());
        assert_eq!(balance(&db, card).await, Money::from_cents(536));
    }
}
