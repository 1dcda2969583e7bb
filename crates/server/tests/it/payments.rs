//! insert_payment (backend spec 8.1, checklist items 14–17): the reply,
//! the balance, Freeside's refusals leaving the ledger untouched, the
//! application to an invoice, idempotent retries and the unsuspend hook.
//! Also the ledger helpers the credit, refund and phone tests share.

use bursar_core::Money;
use bursar_rpc::{Args, ScalarType, Value};
use bursar_server::backoffice::{dispatch, Outcome};
use bursar_store::ledger::{self, NewLine};

use crate::fixtures::{catalog, count, customer};
use crate::support::{apps, member, TestApp, SECRET};

/// The customer's balance as `customer_info` shows it.
pub async fn balance(app: &TestApp, custnum: i64) -> String {
    let info = app
        .call("customer_info", &[("custnum", &custnum.to_string())])
        .await;
    member(&info, "balance").to_string()
}

/// Inserts an invoice of one line of `cents` dated `date`; returns its invnum.
pub async fn invoice(app: &TestApp, custnum: i64, date: i64, cents: i64) -> i64 {
    let line = NewLine {
        recur: Money::from_cents(cents),
        quantity: 1,
        itemdesc: "Mail Basic".into(),
        ..NewLine::default()
    };
    let mut tx = app.ctx.store.write().await.unwrap();
    let invnum = ledger::insert_invoice(&mut tx, custnum, date, &[line])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    invnum
}

/// What invoice `invnum` still owes.
pub async fn owed(app: &TestApp, invnum: i64) -> String {
    let mut tx = app.ctx.store.read().await.unwrap();
    ledger::invoice_owed(&mut tx, invnum)
        .await
        .unwrap()
        .to_string()
}

/// What payment `paynum` has not applied.
pub async fn unapplied(app: &TestApp, paynum: i64) -> String {
    let mut tx = app.ctx.store.read().await.unwrap();
    ledger::payment_unapplied(&mut tx, paynum)
        .await
        .unwrap()
        .to_string()
}

/// Rows of every ledger table, to show a refusal changed nothing.
pub async fn ledger_rows(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "cust_pay",
        "cust_credit",
        "cust_refund",
        "cust_bill_pay",
        "cust_credit_bill",
        "cust_pay_refund",
        "cust_credit_refund",
        "reason",
    ] {
        counts.push(count(app, table).await);
    }
    counts
}

/// Sets a `conf` value.
pub async fn set_conf(app: &TestApp, name: &str, value: &str) {
    let mut tx = app.ctx.store.write().await.unwrap();
    bursar_store::setup::conf_set(&mut tx, name, value)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// One number from `sql` with one bound number.
pub async fn scalar(app: &TestApp, sql: &str, num: i64) -> i64 {
    let mut tx = app.ctx.store.read().await.unwrap();
    sqlx::query_scalar(sql)
        .bind(num)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
}

#[tokio::test]
async fn insert_payment_returns_the_paynum_and_lowers_the_balance_leaving_it_unapplied() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await;
        let invnum = invoice(&app, custnum, 1_700_000_000, 10_000).await;
        assert_eq!(balance(&app, custnum).await, "100.00");
        let reply = app
            .call(
                "insert_payment",
                &[
                    ("custnum", &custnum.to_string()),
                    ("payby", "CASH"),
                    ("paid", "54.32"),
                    ("_date", "1397977200"),
                ],
            )
            .await;
        let names: Vec<&str> = reply.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["error", "paynum"], "{}", app.name());
        assert_eq!(member(&reply, "error"), "");
        let paynum: i64 = member(&reply, "paynum").parse().unwrap();
        assert_eq!(balance(&app, custnum).await, "45.68", "{}", app.name());
        assert_eq!(unapplied(&app, paynum).await, "54.32");
        assert_eq!(owed(&app, invnum).await, "100.00");
        let mut tx = app.ctx.store.read().await.unwrap();
        let payment = ledger::payment(&mut tx, paynum).await.unwrap();
        assert_eq!(payment.date, 1_397_977_200);
        assert_eq!(payment.payby, "CASH");
        assert_eq!(payment.custnum, custnum);
        drop(tx);
        let api_usernum = app.ctx.store.api_usernum().await.unwrap();
        let usernum = scalar(
            &app,
            "SELECT usernum FROM cust_pay WHERE paynum = $1",
            paynum,
        )
        .await;
        assert_eq!(usernum, api_usernum, "entered by the api employee");
    }
}

#[tokio::test]
async fn insert_payment_reads_numbers_whatever_their_wire_type() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await;
        let mut args = Args::new();
        args.insert("secret", Value::string(SECRET));
        args.insert(
            "custnum",
            Value::scalar(ScalarType::I4, custnum.to_string()),
        );
        args.insert("payby", Value::string("CASH"));
        args.insert("paid", Value::scalar(ScalarType::Double, "2.5"));
        args.insert("_date", Value::scalar(ScalarType::Int, "1397977200"));
        let reply = app.call_args("insert_payment", args).await;
        assert_eq!(member(&reply, "error"), "", "{}", app.name());
        assert_eq!(balance(&app, custnum).await, "-2.50");
    }
}

#[tokio::test]
async fn insert_payment_refusals_carry_freesides_strings_and_change_nothing() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await.to_string();
        let c = custnum.as_str();
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("custnum", "999999"), ("payby", "CASH"), ("paid", "1.00")],
                "unknown cust_main.custnum: 999999",
            ),
            (
                &[("payby", "CASH"), ("paid", "1.00")],
                "unknown cust_main.custnum: ",
            ),
            (
                &[("custnum", c), ("payby", "CASH"), ("paid", "abc")],
                "Illegal (money) paid: abc",
            ),
            (
                &[("custnum", c), ("payby", "CASH"), ("paid", "54.321")],
                "Illegal (money) paid: 54.321",
            ),
            (
                &[("custnum", c), ("payby", "ZZZZ"), ("paid", "1.00")],
                "Illegal payby: ZZZZ",
            ),
            (
                &[("custnum", c), ("payby", "DCRD"), ("paid", "1.00")],
                "Illegal payby: DCRD",
            ),
            (&[("custnum", c), ("paid", "1.00")], "Illegal payby: "),
            (
                &[("custnum", c), ("payby", "CASH"), ("paid", "0")],
                "paid must be > 0 ",
            ),
            (
                &[("custnum", c), ("payby", "CASH"), ("paid", "-5.00")],
                "paid must be > 0 ",
            ),
            (&[("custnum", c), ("payby", "CASH")], "paid must be > 0 "),
            (
                &[("custnum", "abc"), ("payby", "CASH"), ("paid", "1.00")],
                "Illegal (numeric) custnum: abc",
            ),
            (
                &[
                    ("custnum", c),
                    ("payby", "CASH"),
                    ("paid", "1.00"),
                    ("_date", "yesterday"),
                ],
                "Illegal (numeric) _date: yesterday",
            ),
            (
                &[
                    ("custnum", c),
                    ("payby", "CASH"),
                    ("paid", "1.00"),
                    ("no_auto_apply", "X"),
                ],
                "Illegal (flag) field no_auto_apply: X",
            ),
            (
                &[
                    ("custnum", c),
                    ("payby", "CASH"),
                    ("paid", "1.00"),
                    ("pkgnum", "999"),
                ],
                "Can't find cust_pay.pkgnum 999 in cust_pkg.pkgnum",
            ),
            (
                &[
                    ("custnum", c),
                    ("payby", "CASH"),
                    ("paid", "1.00"),
                    ("depositor", "Jo Smith"),
                ],
                "Illegal (alphanumeric) depositor: Jo Smith",
            ),
            (
                &[
                    ("custnum", c),
                    ("payby", "CARD"),
                    ("paid", "1.00"),
                    ("payinfo", "4111111111111112"),
                ],
                "Illegal credit card number",
            ),
            (
                &[
                    ("custnum", c),
                    ("payby", "CARD"),
                    ("paid", "1.00"),
                    ("payinfo", "4111"),
                ],
                "Illegal (mistyped?) credit card number (payinfo)",
            ),
            (
                &[
                    ("custnum", c),
                    ("payby", "CARD"),
                    ("paid", "1.00"),
                    ("payinfo", "4111111111111111"),
                    ("paydate", "someday"),
                ],
                "Illegal expiration date: someday",
            ),
            (
                &[
                    ("custnum", c),
                    ("payby", "CASH"),
                    ("paid", "1.00"),
                    ("invnum", "999"),
                ],
                "Unknown cust_bill.invnum: 999",
            ),
            // The first failing check wins, in Freeside's order.
            (
                &[("custnum", "999999"), ("payby", "ZZZZ"), ("paid", "abc")],
                "Illegal (money) paid: abc",
            ),
            (
                &[("custnum", "999999"), ("payby", "ZZZZ"), ("paid", "0")],
                "Illegal payby: ZZZZ",
            ),
            (
                &[("custnum", "999999"), ("payby", "CASH"), ("paid", "0")],
                "paid must be > 0 ",
            ),
        ];
        for (pairs, expected) in cases {
            let before = ledger_rows(&app).await;
            let reply = app.call("insert_payment", pairs).await;
            assert_eq!(
                member(&reply, "error"),
                *expected,
                "{}: {pairs:?}",
                app.name()
            );
            assert_eq!(member(&reply, "paynum"), "", "{pairs:?}");
            assert_eq!(reply.len(), 2, "{pairs:?}: {reply:?}");
            assert_eq!(ledger_rows(&app).await, before, "{pairs:?}");
        }
        assert_eq!(balance(&app, custnum.parse().unwrap()).await, "0.00");
    }
}

#[tokio::test]
async fn a_struct_where_an_amount_belongs_is_refused_as_an_empty_amount() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await;
        let mut args = Args::new();
        args.insert("secret", Value::string(SECRET));
        args.insert("custnum", Value::string(custnum.to_string()));
        args.insert("payby", Value::string("CASH"));
        args.insert("paid", Value::Array(vec![Value::string("54.32")]));
        let reply = app.call_args("insert_payment", args).await;
        assert_eq!(member(&reply, "error"), "Illegal (money) paid: ");
        assert_eq!(count(&app, "cust_pay").await, 0, "{}", app.name());
    }
}

#[tokio::test]
async fn insert_payment_with_invnum_applies_the_whole_payment_to_that_invoice() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await;
        let older = invoice(&app, custnum, 1_700_000_000, 3_000).await;
        let newer = invoice(&app, custnum, 1_700_100_000, 5_000).await;
        // No custnum: the invoice names the customer.
        let reply = app
            .call(
                "insert_payment",
                &[
                    ("invnum", &newer.to_string()),
                    ("payby", "CHEK"),
                    ("paid", "20.00"),
                    ("payinfo", "1234"),
                ],
            )
            .await;
        assert_eq!(member(&reply, "error"), "", "{}", app.name());
        let paynum: i64 = member(&reply, "paynum").parse().unwrap();
        assert_eq!(owed(&app, newer).await, "30.00");
        assert_eq!(owed(&app, older).await, "30.00");
        assert_eq!(unapplied(&app, paynum).await, "0.00");
        assert_eq!(balance(&app, custnum).await, "60.00");

        let before = ledger_rows(&app).await;
        let too_much = app
            .call(
                "insert_payment",
                &[
                    ("custnum", &custnum.to_string()),
                    ("invnum", &newer.to_string()),
                    ("payby", "CASH"),
                    ("paid", "30.01"),
                ],
            )
            .await;
        assert_eq!(
            member(&too_much, "error"),
            "error inserting cust_bill_pay: Cannot apply more than remaining value of invoice"
        );
        assert_eq!(member(&too_much, "paynum"), "");
        assert_eq!(
            ledger_rows(&app).await,
            before,
            "the payment is rolled back too"
        );

        let other = customer(&app, "Other", "Person").await;
        let mismatch = app
            .call(
                "insert_payment",
                &[
                    ("custnum", &other.to_string()),
                    ("invnum", &newer.to_string()),
                    ("payby", "CASH"),
                    ("paid", "1.00"),
                ],
            )
            .await;
        assert_eq!(
            member(&mismatch, "error"),
            format!(
                "Invoice custnum {custnum} does not match specified custnum {other} for invoice {newer}"
            )
        );
        assert_eq!(ledger_rows(&app).await, before);
        assert_eq!(balance(&app, custnum).await, "60.00");
    }
}

#[tokio::test]
async fn a_card_payment_is_stored_encrypted_and_shown_masked() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await;
        let reply = app
            .call(
                "insert_payment",
                &[
                    ("custnum", &custnum.to_string()),
                    ("payby", "CARD"),
                    ("paid", "10.00"),
                    ("payinfo", "4111 1111 1111 1111"),
                    ("paydate", "11/2029"),
                ],
            )
            .await;
        assert_eq!(member(&reply, "error"), "", "{}", app.name());
        let paynum: i64 = member(&reply, "paynum").parse().unwrap();
        let mut tx = app.ctx.store.read().await.unwrap();
        let payment = ledger::payment(&mut tx, paynum).await.unwrap();
        assert_eq!(payment.paymask, "411111xxxxxx1111");
        let (payinfo, paydate): (String, String) =
            sqlx::query_as("SELECT payinfo, paydate FROM cust_pay WHERE paynum = $1")
                .bind(paynum)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        assert!(!payinfo.contains("4111111111111111"), "{payinfo}");
        assert_eq!(paydate, "2029-11-01");
    }
}

#[tokio::test]
async fn repeating_an_order_number_returns_the_first_paynum_and_inserts_nothing() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await.to_string();
        let pay = |order_number: &'static str, paid: &'static str, payby: &'static str| {
            let custnum = custnum.clone();
            let app = &app;
            async move {
                app.call(
                    "insert_payment",
                    &[
                        ("custnum", &custnum),
                        ("payby", payby),
                        ("paid", paid),
                        ("order_number", order_number),
                    ],
                )
                .await
            }
        };
        let first = pay("TX-1001", "54.32", "CASH").await;
        let paynum = member(&first, "paynum").to_string();
        assert_eq!(member(&first, "error"), "", "{}", app.name());
        let retry = pay("TX-1001", "54.32", "CASH").await;
        assert_eq!(member(&retry, "error"), "");
        assert_eq!(member(&retry, "paynum"), paynum);
        assert_eq!(count(&app, "cust_pay").await, 1);
        assert_eq!(balance(&app, custnum.parse().unwrap()).await, "-54.32");

        let other_amount = pay("TX-1001", "54.33", "CASH").await;
        assert_eq!(
            member(&other_amount, "error"),
            format!("duplicate transaction: paynum {paynum} already has order_number TX-1001")
        );
        assert_eq!(member(&other_amount, "paynum"), "");
        let other_type = pay("TX-1001", "54.32", "WEST").await;
        assert_eq!(
            member(&other_type, "error"),
            format!("duplicate transaction: paynum {paynum} already has order_number TX-1001")
        );
        assert_eq!(count(&app, "cust_pay").await, 1);

        // Another key, and the same key for another customer, are new payments.
        let second = pay("TX-1002", "54.32", "CASH").await;
        assert_ne!(member(&second, "paynum"), paynum);
        let other = customer(&app, "Other", "Person").await;
        let elsewhere = app
            .call(
                "insert_payment",
                &[
                    ("custnum", &other.to_string()),
                    ("payby", "CASH"),
                    ("paid", "54.32"),
                    ("order_number", "TX-1001"),
                ],
            )
            .await;
        assert_eq!(member(&elsewhere, "error"), "");
        assert_eq!(count(&app, "cust_pay").await, 3);
        // Without a key, the same payment twice is two payments.
        pay("", "1.00", "CASH").await;
        pay("", "1.00", "CASH").await;
        assert_eq!(count(&app, "cust_pay").await, 5);
    }
}

#[tokio::test]
async fn repeating_a_payunique_returns_the_first_paynum_and_applies_nothing_twice() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await;
        let invnum = invoice(&app, custnum, 1_700_000_000, 10_000).await;
        let pairs = [
            ("custnum", custnum.to_string()),
            ("invnum", invnum.to_string()),
            ("payby", "CASH".to_string()),
            ("paid", "40.00".to_string()),
            ("payunique", "lockbox-7/0042".to_string()),
        ];
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let first = app.call("insert_payment", &pairs).await;
        assert_eq!(member(&first, "error"), "", "{}", app.name());
        let retry = app.call("insert_payment", &pairs).await;
        assert_eq!(member(&retry, "paynum"), member(&first, "paynum"));
        assert_eq!(owed(&app, invnum).await, "60.00");
        assert_eq!(balance(&app, custnum).await, "60.00");
        assert_eq!(count(&app, "cust_bill_pay").await, 1);

        let mut changed = pairs.clone();
        changed[3] = ("paid", "41.00");
        let refused = app.call("insert_payment", &changed).await;
        assert_eq!(
            member(&refused, "error"),
            format!(
                "duplicate transaction: paynum {} already has payunique lockbox-7/0042",
                member(&first, "paynum")
            )
        );
        assert_eq!(count(&app, "cust_pay").await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_of_one_order_number_make_one_payment() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await.to_string();
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let ctx = app.ctx.clone();
            let custnum = custnum.clone();
            calls.spawn(async move {
                let mut args = Args::new();
                for (key, value) in [
                    ("secret", SECRET),
                    ("custnum", &custnum),
                    ("payby", "CASH"),
                    ("paid", "10.00"),
                    ("order_number", "RACE-1"),
                ] {
                    args.insert(key, Value::string(value));
                }
                match dispatch(&ctx, "FS.API.insert_payment", args).await {
                    Outcome::Reply(reply) => {
                        assert_eq!(member(&reply, "error"), "");
                        member(&reply, "paynum").to_string()
                    }
                    other => panic!("{other:?}"),
                }
            });
        }
        let paynums: Vec<String> = calls.join_all().await;
        assert!(
            paynums.iter().all(|p| *p == paynums[0]),
            "{}: {paynums:?}",
            app.name()
        );
        assert_eq!(count(&app, "cust_pay").await, 1);
    }
}

#[tokio::test]
async fn cash_deposit_details_are_required_only_when_configured() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await.to_string();
        let plain = [
            ("custnum", custnum.as_str()),
            ("payby", "CASH"),
            ("paid", "5"),
        ];
        let reply = app.call("insert_payment", &plain).await;
        assert_eq!(member(&reply, "error"), "", "{}", app.name());
        set_conf(&app, "require_cash_deposit_info", "Y").await;
        let reply = app.call("insert_payment", &plain).await;
        assert_eq!(member(&reply, "error"), "bank required");
        let reply = app
            .call(
                "insert_payment",
                &[
                    ("custnum", &custnum),
                    ("payby", "CASH"),
                    ("paid", "5"),
                    ("bank", "First Tofu Bank"),
                    ("depositor", "Jo"),
                    ("account", "1234"),
                ],
            )
            .await;
        assert_eq!(member(&reply, "error"), "teller required");
        let reply = app
            .call(
                "insert_payment",
                &[("custnum", &custnum), ("payby", "MCHK"), ("paid", "5")],
            )
            .await;
        assert_eq!(member(&reply, "error"), "", "only CASH needs them");
        assert_eq!(count(&app, "cust_pay").await, 2);
    }
}

/// A set-up package of `custnum`, suspended at `susp`; returns its pkgnum.
async fn suspended_package(app: &TestApp, custnum: i64, susp: i64) -> i64 {
    let mut tx = app.ctx.store.write().await.unwrap();
    let pkgnum: i64 = sqlx::query_scalar(
        "INSERT INTO cust_pkg (custnum, pkgpart, setup, bill, susp) VALUES ($1, 1, $2, $3, $4) RETURNING pkgnum",
    )
    .bind(custnum)
    .bind(1_700_000_000_i64)
    .bind(1_700_000_000_i64 + 30 * 86_400)
    .bind(susp)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    pkgnum
}

#[tokio::test]
async fn a_payment_unsuspends_only_when_unsuspend_balance_is_configured() {
    for app in apps().await {
        catalog(&app).await;
        let custnum = customer(&app, "Tofu", "Beast").await;
        invoice(&app, custnum, 1_700_000_000, 2_995).await;
        let pkgnum = suspended_package(&app, custnum, 1_700_500_000).await;
        let susp = "SELECT COUNT(*) FROM cust_pkg WHERE pkgnum = $1 AND susp IS NOT NULL";
        let pay = |paid: &'static str| {
            let custnum = custnum.to_string();
            let app = &app;
            async move {
                let reply = app
                    .call(
                        "insert_payment",
                        &[("custnum", &custnum), ("payby", "CASH"), ("paid", paid)],
                    )
                    .await;
                assert_eq!(member(&reply, "error"), "");
            }
        };
        // Unset (the default): paying in full changes no package.
        pay("29.95").await;
        assert_eq!(scalar(&app, susp, pkgnum).await, 1, "{}", app.name());

        invoice(&app, custnum, 1_700_100_000, 2_995).await;
        set_conf(&app, "unsuspend_balance", "Zero").await;
        pay("10.00").await;
        assert_eq!(scalar(&app, susp, pkgnum).await, 1, "19.95 still owed");
        pay("19.95").await;
        assert_eq!(scalar(&app, susp, pkgnum).await, 0, "{}", app.name());
        let bill = scalar(&app, "SELECT bill FROM cust_pkg WHERE pkgnum = $1", pkgnum).await;
        assert!(
            bill > 1_700_000_000 + 30 * 86_400,
            "the bill date moves by the time suspended"
        );
    }
}
