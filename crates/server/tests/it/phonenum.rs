//! The `_phonenum` variants (backend spec 6.6, 8.2, 8.4, 8.6; checklist
//! item 18): the customer is the owner of the package holding the phone
//! service with exactly that number.

use bursar_rpc::{Args, ScalarType, Value};

use crate::fixtures::{catalog, count, customer};
use crate::payments::{balance, ledger_rows};
use crate::support::{apps, member, TestApp, SECRET};

/// A phone service with `phonenum` in a new package of `custnum`, or in no
/// package when `custnum` is `None`; returns its svcnum.
async fn phone(app: &TestApp, custnum: Option<i64>, countrycode: &str, phonenum: &str) -> i64 {
    let mut tx = app.ctx.store.write().await.unwrap();
    let svcpart: i64 = sqlx::query_scalar(
        "INSERT INTO part_svc (svc, svcdb) VALUES ('Phone line', 'svc_phone') RETURNING svcpart",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let pkgnum: Option<i64> = match custnum {
        Some(custnum) => Some(
            sqlx::query_scalar(
                "INSERT INTO cust_pkg (custnum, pkgpart) VALUES ($1, 1) RETURNING pkgnum",
            )
            .bind(custnum)
            .fetch_one(&mut *tx)
            .await
            .unwrap(),
        ),
        None => None,
    };
    let svcnum: i64 = sqlx::query_scalar(
        "INSERT INTO cust_svc (pkgnum, svcpart) VALUES ($1, $2) RETURNING svcnum",
    )
    .bind(pkgnum)
    .bind(svcpart)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    sqlx::query("INSERT INTO svc_phone (svcnum, countrycode, phonenum) VALUES ($1, $2, $3)")
        .bind(svcnum)
        .bind(countrycode)
        .bind(phonenum)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    svcnum
}

#[tokio::test]
async fn insert_payment_phonenum_pays_the_owner_with_a_number_beyond_32_bits() {
    for app in apps().await {
        catalog(&app).await;
        let owner = customer(&app, "Tofu", "Beast").await;
        let other = customer(&app, "Other", "Person").await;
        phone(&app, Some(owner), "1", "3125550001").await;
        let mut args = Args::new();
        args.insert("secret", Value::string(SECRET));
        args.insert("phonenum", Value::scalar(ScalarType::I4, "3125550001"));
        args.insert("payby", Value::string("CASH"));
        args.insert("paid", Value::scalar(ScalarType::Double, "54.32"));
        // A custnum sent along is overridden by the phone's owner.
        args.insert("custnum", Value::string(other.to_string()));
        let reply = app.call_args("insert_payment_phonenum", args).await;
        assert_eq!(member(&reply, "error"), "", "{}", app.name());
        assert!(!member(&reply, "paynum").is_empty());
        assert_eq!(balance(&app, owner).await, "-54.32");
        assert_eq!(balance(&app, other).await, "0.00");
    }
}

#[tokio::test]
async fn an_unknown_or_unlinked_phonenum_is_only_an_error_and_changes_nothing() {
    for app in apps().await {
        catalog(&app).await;
        let owner = customer(&app, "Tofu", "Beast").await;
        phone(&app, Some(owner), "1", "3125550001").await;
        phone(&app, None, "1", "3125550002").await;
        for method in [
            "insert_payment_phonenum",
            "insert_credit_phonenum",
            "insert_refund_phonenum",
        ] {
            let cases = [
                // Exact match only: no normalisation of the number.
                ("312-555-0001", "Unknown phonenum"),
                ("13125550001", "Unknown phonenum"),
                ("", "Unknown phonenum"),
                ("3125550002", "Unlinked phonenum"),
            ];
            for (phonenum, expected) in cases {
                let before = ledger_rows(&app).await;
                let reply = app
                    .call(
                        method,
                        &[
                            ("phonenum", phonenum),
                            ("custnum", &owner.to_string()),
                            ("payby", "CASH"),
                            ("paid", "1.00"),
                            ("amount", "1.00"),
                            ("refund", "1.00"),
                        ],
                    )
                    .await;
                assert_eq!(reply.len(), 1, "{}: {method} {reply:?}", app.name());
                assert_eq!(member(&reply, "error"), expected, "{method} {phonenum:?}");
                assert_eq!(ledger_rows(&app).await, before);
            }
        }
    }
}

#[tokio::test]
async fn credits_and_refunds_by_phonenum_reach_the_owner() {
    for app in apps().await {
        catalog(&app).await;
        let owner = customer(&app, "Tofu", "Beast").await;
        phone(&app, Some(owner), "1", "3125550001").await;
        let reply = app
            .call(
                "insert_credit_phonenum",
                &[("phonenum", "3125550001"), ("amount", "54.32")],
            )
            .await;
        assert_eq!(member(&reply, "error"), "", "{}", app.name());
        assert!(!member(&reply, "crednum").is_empty());
        assert_eq!(balance(&app, owner).await, "-54.32");
        let reply = app
            .call(
                "insert_refund_phonenum",
                &[
                    ("phonenum", "3125550001"),
                    ("payby", "CASH"),
                    ("refund", "4.32"),
                ],
            )
            .await;
        assert_eq!(member(&reply, "error"), "");
        assert!(!member(&reply, "refundnum").is_empty());
        assert_eq!(balance(&app, owner).await, "-50.00");
        // The plain method's refusals come back unchanged.
        let reply = app
            .call(
                "insert_payment_phonenum",
                &[("phonenum", "3125550001"), ("payby", "ZZZZ"), ("paid", "1")],
            )
            .await;
        assert_eq!(member(&reply, "error"), "Illegal payby: ZZZZ");
        assert_eq!(member(&reply, "paynum"), "");
    }
}

#[tokio::test]
async fn a_number_in_several_country_codes_belongs_to_the_lowest_svcnum() {
    for app in apps().await {
        catalog(&app).await;
        let first = customer(&app, "First", "Owner").await;
        let second = customer(&app, "Second", "Owner").await;
        phone(&app, Some(first), "1", "5550001").await;
        phone(&app, Some(second), "44", "5550001").await;
        let reply = app
            .call(
                "insert_payment_phonenum",
                &[("phonenum", "5550001"), ("payby", "CASH"), ("paid", "3")],
            )
            .await;
        assert_eq!(member(&reply, "error"), "", "{}", app.name());
        assert_eq!(balance(&app, first).await, "-3.00");
        assert_eq!(balance(&app, second).await, "0.00");
        assert_eq!(count(&app, "cust_pay").await, 1);
    }
}

#[tokio::test]
async fn a_wrong_secret_is_refused_before_the_phone_lookup() {
    for app in apps().await {
        let mut args = Args::new();
        args.insert("secret", Value::string("wrong"));
        args.insert("phonenum", Value::string("3125550001"));
        let reply = app.call_args("insert_payment_phonenum", args).await;
        assert_eq!(reply.len(), 1, "{}", app.name());
        assert_eq!(member(&reply, "error"), "Incorrect shared secret");
    }
}
