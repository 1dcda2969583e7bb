//! insert_credit, insert_refund and apply_payments_and_credits (backend
//! spec 6.3, 6.4, 8.3, 8.5, 8.7; checklist items 19–21): default and
//! text reasons, refunds of payments and credits, the order in which money
//! is applied, and refusals that leave the ledger as it was.

use bursar_store::setup::{CONF_CREDIT_REASON, CONF_REFUND_REASON};

use crate::fixtures::{count, customer};
use crate::payments::{balance, invoice, ledger_rows, owed, scalar, set_conf, unapplied};
use crate::support::{apps, member, TestApp};

/// The default reason `conf` points at.
async fn configured_reason(app: &TestApp, name: &str) -> i64 {
    let mut tx = app.ctx.store.read().await.unwrap();
    bursar_store::setup::conf_get(&mut tx, name)
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap()
}

/// Calls `method` and returns the number member `member_name`, asserting
/// success.
async fn insert(app: &TestApp, method: &str, member_name: &str, pairs: &[(&str, &str)]) -> i64 {
    let reply = app.call(method, pairs).await;
    assert_eq!(
        member(&reply, "error"),
        "",
        "{}: {method} {pairs:?}",
        app.name()
    );
    member(&reply, member_name).parse().unwrap()
}

#[tokio::test]
async fn insert_credit_without_a_reason_uses_the_api_credit_reason_and_lowers_the_balance() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await;
        invoice(&app, custnum, 1_700_000_000, 10_000).await;
        let reply = app
            .call(
                "insert_credit",
                &[
                    ("custnum", &custnum.to_string()),
                    ("amount", "54.32"),
                    ("_date", "1397977200"),
                ],
            )
            .await;
        let names: Vec<&str> = reply.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["error", "crednum"], "{}", app.name());
        assert_eq!(member(&reply, "error"), "");
        let crednum: i64 = member(&reply, "crednum").parse().unwrap();
        assert_eq!(balance(&app, custnum).await, "45.68");
        let reasonnum = scalar(
            &app,
            "SELECT reasonnum FROM cust_credit WHERE crednum = $1",
            crednum,
        )
        .await;
        assert_eq!(reasonnum, configured_reason(&app, CONF_CREDIT_REASON).await);
        assert_eq!(
            scalar(
                &app,
                "SELECT _date FROM cust_credit WHERE crednum = $1",
                crednum
            )
            .await,
            1_397_977_200
        );
    }
}

#[tokio::test]
async fn insert_credit_refusals_carry_freesides_strings_and_change_nothing() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await.to_string();
        let c = custnum.as_str();
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("custnum", "999999"), ("amount", "1.00")],
                "Unknown custnum 999999",
            ),
            // The customer is checked before any field.
            (
                &[("custnum", "999999"), ("amount", "abc")],
                "Unknown custnum 999999",
            ),
            (&[("amount", "1.00")], "Unknown custnum "),
            (
                &[("custnum", c), ("amount", "abc")],
                "Illegal (money) amount: abc",
            ),
            (&[("custnum", c), ("amount", "0")], "amount must be > 0 "),
            (&[("custnum", c), ("amount", "-1")], "amount must be > 0 "),
            (
                &[("custnum", c), ("amount", "1"), ("_date", "now")],
                "Illegal (numeric) _date: now",
            ),
            (
                &[
                    ("custnum", c),
                    ("amount", "1"),
                    ("addlinfo", "50% off {promo}"),
                ],
                "Illegal or empty (text) addlinfo: 50% off {promo}",
            ),
            (
                &[("custnum", c), ("amount", "1"), ("pkgnum", "999")],
                "Can't find cust_credit.pkgnum 999 in cust_pkg.pkgnum",
            ),
            (
                &[("custnum", c), ("amount", "1"), ("reasonnum", "999")],
                "Can't find cust_credit.reasonnum 999 in reason.reasonnum",
            ),
            (
                &[("custnum", c), ("amount", "0"), ("reasonnum", "999")],
                "Can't find cust_credit.reasonnum 999 in reason.reasonnum",
            ),
            (
                &[("custnum", c), ("amount", "1"), ("reason", "bad {reason}")],
                "Illegal or empty (text) reason: bad {reason}",
            ),
        ];
        for (pairs, expected) in cases {
            let before = ledger_rows(&app).await;
            let reply = app.call("insert_credit", pairs).await;
            assert_eq!(
                member(&reply, "error"),
                *expected,
                "{}: {pairs:?}",
                app.name()
            );
            assert_eq!(member(&reply, "crednum"), "");
            assert_eq!(ledger_rows(&app).await, before, "{pairs:?}");
        }
        assert_eq!(balance(&app, custnum.parse().unwrap()).await, "0.00");
    }
}

#[tokio::test]
async fn a_reason_text_finds_or_creates_one_reason_of_the_right_class() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await.to_string();
        let reasons = count(&app, "reason").await;
        let credit = |amount: &'static str| {
            let custnum = custnum.clone();
            let app = &app;
            async move {
                insert(
                    app,
                    "insert_credit",
                    "crednum",
                    &[
                        ("custnum", &custnum),
                        ("amount", amount),
                        ("reason", "Outage March 3"),
                    ],
                )
                .await
            }
        };
        let first = credit("5.00").await;
        let second = credit("2.50").await;
        assert_eq!(count(&app, "reason").await, reasons + 1, "{}", app.name());
        let reason_of = |crednum| {
            scalar(
                &app,
                "SELECT reasonnum FROM cust_credit WHERE crednum = $1",
                crednum,
            )
        };
        let reasonnum = reason_of(first).await;
        assert_eq!(reason_of(second).await, reasonnum);
        let mut tx = app.ctx.store.read().await.unwrap();
        let (text, class): (String, String) =
            sqlx::query_as("SELECT reason, class FROM reason WHERE reasonnum = $1")
                .bind(reasonnum)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        drop(tx);
        assert_eq!((text.as_str(), class.as_str()), ("Outage March 3", "R"));

        // The same text for a refund is a refund reason of its own.
        insert(
            &app,
            "insert_refund",
            "refundnum",
            &[
                ("custnum", &custnum),
                ("payby", "CASH"),
                ("refund", "1.00"),
                ("reason", "Outage March 3"),
            ],
        )
        .await;
        assert_eq!(count(&app, "reason").await, reasons + 2);
        // An explicit reasonnum wins over the text.
        let explicit = insert(
            &app,
            "insert_credit",
            "crednum",
            &[
                ("custnum", &custnum),
                ("amount", "1.00"),
                ("reasonnum", &reasonnum.to_string()),
                ("reason", "Something else"),
            ],
        )
        .await;
        assert_eq!(reason_of(explicit).await, reasonnum);
        assert_eq!(count(&app, "reason").await, reasons + 2);
        assert_eq!(balance(&app, custnum.parse().unwrap()).await, "-7.50");
    }
}

#[tokio::test]
async fn without_a_configured_reason_a_credit_needs_one() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await.to_string();
        set_conf(&app, CONF_CREDIT_REASON, "").await;
        let reply = app
            .call("insert_credit", &[("custnum", &custnum), ("amount", "1")])
            .await;
        assert_eq!(
            member(&reply, "error"),
            "reason text or existing reason required",
            "{}",
            app.name()
        );
        assert_eq!(count(&app, "cust_credit").await, 0);
    }
}

#[tokio::test]
async fn a_plain_refund_without_a_reason_raises_the_balance() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await;
        let reply = app
            .call(
                "insert_refund",
                &[
                    ("custnum", &custnum.to_string()),
                    ("payby", "CASH"),
                    ("refund", "54.32"),
                    ("_date", "1397977200"),
                ],
            )
            .await;
        let names: Vec<&str> = reply.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["error", "refundnum"], "{}", app.name());
        assert_eq!(member(&reply, "error"), "");
        let refundnum: i64 = member(&reply, "refundnum").parse().unwrap();
        assert_eq!(balance(&app, custnum).await, "54.32");
        let reasonnum = scalar(
            &app,
            "SELECT reasonnum FROM cust_refund WHERE refundnum = $1",
            refundnum,
        )
        .await;
        assert_eq!(reasonnum, configured_reason(&app, CONF_REFUND_REASON).await);
    }
}

#[tokio::test]
async fn a_refund_of_a_payment_takes_its_customer_and_cannot_exceed_what_is_unapplied() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await;
        let c = custnum.to_string();
        let paynum = insert(
            &app,
            "insert_payment",
            "paynum",
            &[("custnum", &c), ("payby", "CASH"), ("paid", "50.00")],
        )
        .await;
        let p = paynum.to_string();
        let before = ledger_rows(&app).await;
        let reply = app
            .call(
                "insert_refund",
                &[("paynum", &p), ("payby", "CASH"), ("refund", "50.01")],
            )
            .await;
        assert_eq!(
            member(&reply, "error"),
            "Cannot apply more than remaining value of payment",
            "{}",
            app.name()
        );
        assert_eq!(member(&reply, "refundnum"), "");
        assert_eq!(ledger_rows(&app).await, before);

        // No custnum sent: the payment's customer is refunded.
        insert(
            &app,
            "insert_refund",
            "refundnum",
            &[("paynum", &p), ("payby", "CASH"), ("refund", "20.00")],
        )
        .await;
        assert_eq!(unapplied(&app, paynum).await, "30.00");
        assert_eq!(balance(&app, custnum).await, "-30.00");

        // Applied to an invoice, the payment has less left to refund.
        let invnum = invoice(&app, custnum, 1_700_000_000, 2_500).await;
        let reply = app
            .call("apply_payments_and_credits", &[("custnum", &c)])
            .await;
        assert_eq!(member(&reply, "error"), "");
        assert_eq!(owed(&app, invnum).await, "0.00");
        let reply = app
            .call(
                "insert_refund",
                &[("paynum", &p), ("payby", "CASH"), ("refund", "5.01")],
            )
            .await;
        assert_eq!(
            member(&reply, "error"),
            "Cannot apply more than remaining value of payment"
        );
        insert(
            &app,
            "insert_refund",
            "refundnum",
            &[("paynum", &p), ("payby", "CASH"), ("refund", "5.00")],
        )
        .await;
        assert_eq!(unapplied(&app, paynum).await, "0.00");
        assert_eq!(balance(&app, custnum).await, "0.00");
    }
}

#[tokio::test]
async fn a_refund_of_a_credit_wins_over_paynum_and_cannot_exceed_the_credit() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await;
        let c = custnum.to_string();
        let crednum = insert(
            &app,
            "insert_credit",
            "crednum",
            &[("custnum", &c), ("amount", "15.00")],
        )
        .await;
        let paynum = insert(
            &app,
            "insert_payment",
            "paynum",
            &[("custnum", &c), ("payby", "CASH"), ("paid", "100.00")],
        )
        .await;
        let before = ledger_rows(&app).await;
        let reply = app
            .call(
                "insert_refund",
                &[
                    ("crednum", &crednum.to_string()),
                    ("paynum", &paynum.to_string()),
                    ("payby", "CASH"),
                    ("refund", "15.01"),
                ],
            )
            .await;
        assert_eq!(
            member(&reply, "error"),
            "Cannot apply more than remaining value of credit",
            "{}",
            app.name()
        );
        assert_eq!(ledger_rows(&app).await, before);
        insert(
            &app,
            "insert_refund",
            "refundnum",
            &[
                ("crednum", &crednum.to_string()),
                ("payby", "CASH"),
                ("refund", "15.00"),
            ],
        )
        .await;
        assert_eq!(count(&app, "cust_credit_refund").await, 1);
        assert_eq!(count(&app, "cust_pay_refund").await, 0);
        assert_eq!(balance(&app, custnum).await, "-100.00");
    }
}

#[tokio::test]
async fn insert_refund_refusals_carry_freesides_strings_and_change_nothing() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await.to_string();
        let c = custnum.as_str();
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("custnum", "999999"), ("payby", "CASH"), ("refund", "1.00")],
                "unknown cust_main.custnum: 999999",
            ),
            (
                &[("paynum", "999"), ("payby", "CASH"), ("refund", "1.00")],
                "Unknown cust_pay.paynum: 999",
            ),
            (
                &[("crednum", "999"), ("payby", "CASH"), ("refund", "1.00")],
                "Unknown cust_credit.crednum: 999",
            ),
            (
                &[("custnum", c), ("payby", "CASH"), ("refund", "abc")],
                "Illegal (money) refund: abc",
            ),
            (
                &[("custnum", c), ("payby", "CASH"), ("refund", "0")],
                "refund must be > 0 ",
            ),
            (
                &[("custnum", c), ("payby", "ZZZZ"), ("refund", "1")],
                "Illegal payby: ZZZZ",
            ),
            (
                &[("custnum", "x1"), ("payby", "CASH"), ("refund", "1")],
                "Illegal (numeric) custnum: x1",
            ),
            (
                &[
                    ("custnum", c),
                    ("payby", "CASH"),
                    ("refund", "1"),
                    ("reasonnum", "999"),
                ],
                "Can't find cust_refund.reasonnum 999 in reason.reasonnum",
            ),
            (
                &[
                    ("custnum", c),
                    ("payby", "CARD"),
                    ("refund", "1"),
                    ("payinfo", "4111111111111112"),
                ],
                "Illegal credit card number",
            ),
            // Freeside's order: the amount before the customer, the customer
            // before the payment type.
            (
                &[("custnum", "999999"), ("payby", "ZZZZ"), ("refund", "abc")],
                "Illegal (money) refund: abc",
            ),
            (
                &[("custnum", "999999"), ("payby", "ZZZZ"), ("refund", "1")],
                "unknown cust_main.custnum: 999999",
            ),
        ];
        for (pairs, expected) in cases {
            let before = ledger_rows(&app).await;
            let reply = app.call("insert_refund", pairs).await;
            assert_eq!(
                member(&reply, "error"),
                *expected,
                "{}: {pairs:?}",
                app.name()
            );
            assert_eq!(member(&reply, "refundnum"), "");
            assert_eq!(ledger_rows(&app).await, before, "{pairs:?}");
        }
    }
}

#[tokio::test]
async fn apply_payments_and_credits_pays_the_oldest_invoice_with_the_oldest_payment_first() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await;
        let c = custnum.to_string();
        let older = invoice(&app, custnum, 1_700_000_000, 10_000).await;
        let newer = invoice(&app, custnum, 1_700_100_000, 5_000).await;
        let late = insert(
            &app,
            "insert_payment",
            "paynum",
            &[
                ("custnum", &c),
                ("payby", "CASH"),
                ("paid", "70.00"),
                ("_date", "1700300000"),
            ],
        )
        .await;
        let early = insert(
            &app,
            "insert_payment",
            "paynum",
            &[
                ("custnum", &c),
                ("payby", "CHEK"),
                ("paid", "40.00"),
                ("_date", "1700200000"),
            ],
        )
        .await;
        let crednum = insert(
            &app,
            "insert_credit",
            "crednum",
            &[
                ("custnum", &c),
                ("amount", "20.00"),
                ("_date", "1700250000"),
            ],
        )
        .await;
        assert_eq!(balance(&app, custnum).await, "20.00", "{}", app.name());
        assert_eq!(count(&app, "cust_bill_pay").await, 0, "not applied yet");

        let reply = app
            .call("apply_payments_and_credits", &[("custnum", &c)])
            .await;
        assert_eq!(reply.len(), 1, "{reply:?}");
        assert_eq!(member(&reply, "error"), "");
        // 100.00 owed: 40.00 of the earlier payment, then 60.00 of the later;
        // 50.00 owed: the later payment's last 10.00, then the 20.00 credit.
        assert_eq!(owed(&app, older).await, "0.00");
        assert_eq!(owed(&app, newer).await, "20.00");
        assert_eq!(unapplied(&app, early).await, "0.00");
        assert_eq!(unapplied(&app, late).await, "0.00");
        let applied_from = |sql: &'static str, num: i64| scalar(&app, sql, num);
        assert_eq!(
            applied_from(
                "SELECT CAST(SUM(amount) AS BIGINT) FROM cust_bill_pay WHERE invnum = $1",
                older
            )
            .await,
            10_000
        );
        assert_eq!(
            applied_from(
                "SELECT CAST(SUM(amount) AS BIGINT) FROM cust_credit_bill WHERE crednum = $1",
                crednum
            )
            .await,
            2_000
        );
        assert_eq!(
            balance(&app, custnum).await,
            "20.00",
            "applying moves no money"
        );

        // Nothing left to apply: a second call does nothing.
        let rows = ledger_rows(&app).await;
        let reply = app
            .call("apply_payments_and_credits", &[("custnum", &c)])
            .await;
        assert_eq!(member(&reply, "error"), "");
        assert_eq!(ledger_rows(&app).await, rows);
    }
}

#[tokio::test]
async fn apply_payments_and_credits_for_an_unknown_customer_is_only_an_error() {
    for app in apps().await {
        for custnum in ["999999", "", "abc"] {
            let reply = app
                .call("apply_payments_and_credits", &[("custnum", custnum)])
                .await;
            assert_eq!(reply.len(), 1, "{}: {reply:?}", app.name());
            assert_eq!(member(&reply, "error"), "Unknown custnum");
        }
    }
}
