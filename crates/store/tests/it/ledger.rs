//! The ledger: invoices, payments, credits, refunds and applications keep
//! balance = invoices − payments − credits + refunds, and no application
//! exceeds either side.

use bursar_core::model::Payment;
use bursar_core::Money;
use bursar_store::customer::ledger_totals;
use bursar_store::ledger::{
    apply_payment, apply_payments_and_credits, insert_credit, insert_invoice, insert_payment,
    insert_refund, invoice_owed, payment_unapplied, NewCredit, NewLine, NewPayment, NewRefund,
};
use bursar_store::testing::{backends, sqlite};
use proptest::prelude::*;

use crate::support::new_customer;

fn line(cents: i64) -> NewLine {
    NewLine {
        pkgnum: 0,
        recur: Money::from_cents(cents),
        quantity: 1,
        itemdesc: "charge".into(),
        ..NewLine::default()
    }
}

fn cash(custnum: i64, cents: i64, date: i64) -> NewPayment {
    NewPayment {
        payment: Payment {
            custnum,
            date,
            paid: Money::from_cents(cents),
            payby: "CASH".into(),
            ..Payment::default()
        },
        usernum: 1,
        ..NewPayment::default()
    }
}

#[tokio::test]
async fn oldest_payment_pays_oldest_invoice_and_balance_is_unchanged() {
    for db in backends().await {
        let custnum = new_customer(&db.store, "Pay", "Er").await;
        let mut tx = db.store.write().await.unwrap();
        let old = insert_invoice(&mut tx, custnum, 100, &[line(1000)])
            .await
            .unwrap();
        let new = insert_invoice(&mut tx, custnum, 200, &[line(500), line(250)])
            .await
            .unwrap();
        let p1 = insert_payment(&mut tx, &db.store, &cash(custnum, 800, 150))
            .await
            .unwrap();
        let p2 = insert_payment(&mut tx, &db.store, &cash(custnum, 700, 160))
            .await
            .unwrap();
        insert_credit(
            &mut tx,
            &NewCredit {
                custnum,
                date: 170,
                amount: Money::from_cents(100),
                reasonnum: 1,
                usernum: 1,
                ..NewCredit::default()
            },
        )
        .await
        .unwrap();
        let before = ledger_totals(&mut tx, custnum).await.unwrap().balance();
        assert_eq!(before.to_string(), "1.50", "{}", db.name());
        let plan = apply_payments_and_credits(&mut tx, custnum, 300)
            .await
            .unwrap();
        assert_eq!(plan.len(), 4, "{}: {plan:?}", db.name());
        assert_eq!(invoice_owed(&mut tx, old).await.unwrap(), Money::ZERO);
        assert_eq!(
            invoice_owed(&mut tx, new).await.unwrap().to_string(),
            "1.50"
        );
        assert_eq!(payment_unapplied(&mut tx, p1).await.unwrap(), Money::ZERO);
        assert_eq!(payment_unapplied(&mut tx, p2).await.unwrap(), Money::ZERO);
        assert_eq!(
            ledger_totals(&mut tx, custnum).await.unwrap().balance(),
            before
        );
        // A second run finds nothing more to apply.
        assert!(apply_payments_and_credits(&mut tx, custnum, 301)
            .await
            .unwrap()
            .is_empty());
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn applications_beyond_what_is_left_are_refused_with_freeside_strings() {
    for db in backends().await {
        let custnum = new_customer(&db.store, "Over", "Pay").await;
        let mut tx = db.store.write().await.unwrap();
        let invnum = insert_invoice(&mut tx, custnum, 100, &[line(1000)])
            .await
            .unwrap();
        let paynum = insert_payment(&mut tx, &db.store, &cash(custnum, 5000, 150))
            .await
            .unwrap();
        let error = apply_payment(&mut tx, paynum, invnum, Money::from_cents(1001), 200)
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Cannot apply more than remaining value of invoice",
            "{}",
            db.name()
        );
        let refund = NewRefund {
            custnum,
            date: 200,
            refund: Money::from_cents(5001),
            payby: "CASH".into(),
            reasonnum: 2,
            usernum: 1,
            paynum: Some(paynum),
            ..NewRefund::default()
        };
        let error = insert_refund(&mut tx, &db.store, &refund)
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Cannot apply more than remaining value of payment"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_balance_always_equals_what_the_ledger_sums_to(
        invoices in prop::collection::vec(1i64..100_000, 0..5),
        payments in prop::collection::vec(1i64..100_000, 0..5),
        credits in prop::collection::vec(1i64..50_000, 0..3),
        refunds in prop::collection::vec(1i64..10_000, 0..2),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let db = sqlite().await;
            let custnum = new_customer(&db.store, "Prop", "Erty").await;
            let mut tx = db.store.write().await.unwrap();
            for (i, cents) in invoices.iter().enumerate() {
                insert_invoice(&mut tx, custnum, i as i64, &[line(*cents)]).await.unwrap();
            }
            for (i, cents) in payments.iter().enumerate() {
                insert_payment(&mut tx, &db.store, &cash(custnum, *cents, i as i64)).await.unwrap();
            }
            for cents in &credits {
                insert_credit(&mut tx, &NewCredit { custnum, date: 1, amount: Money::from_cents(*cents), reasonnum: 1, usernum: 1, ..NewCredit::default() }).await.unwrap();
            }
            for cents in &refunds {
                insert_refund(&mut tx, &db.store, &NewRefund { custnum, date: 1, refund: Money::from_cents(*cents), payby: "CASH".into(), reasonnum: 2, usernum: 1, ..NewRefund::default() }).await.unwrap();
            }
            let expected = invoices.iter().sum::<i64>() - payments.iter().sum::<i64>() - credits.iter().sum::<i64>() + refunds.iter().sum::<i64>();
            assert_eq!(ledger_totals(&mut tx, custnum).await.unwrap().balance().cents(), expected);
            apply_payments_and_credits(&mut tx, custnum, 10).await.unwrap();
            assert_eq!(ledger_totals(&mut tx, custnum).await.unwrap().balance().cents(), expected);
            // No invoice is over-applied and no payment over-used.
            let over: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM cust_bill b WHERE b.charged < COALESCE((SELECT SUM(amount) FROM cust_bill_pay WHERE invnum = b.invnum), 0) \
                 + COALESCE((SELECT SUM(amount) FROM cust_credit_bill WHERE invnum = b.invnum), 0)")
                .fetch_one(&mut *tx).await.unwrap();
            assert_eq!(over, 0);
            let overused: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM cust_pay p WHERE p.paid < COALESCE((SELECT SUM(amount) FROM cust_bill_pay WHERE paynum = p.paynum), 0)")
                .fetch_one(&mut *tx).await.unwrap();
            assert_eq!(overused, 0);
        });
    }
}
