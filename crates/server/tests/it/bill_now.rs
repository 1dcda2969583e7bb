//! `bill_now` (backend spec 8.17, checklist 28, 35 and 41): one pass for one
//! customer, its keys and errors, on both backends.

use bursar_core::model::{Customer, Location};
use bursar_rpc::ReplyValue;
use bursar_store::customer::{insert_customer, NewCustomer};
use bursar_store::package::cancel_package;

use crate::fixtures::{catalog, count, customer};
use crate::support::{apps, member, TestApp};

/// A customer paying by `card` (expiring in 2099).
async fn card_customer(app: &TestApp, card: &str) -> String {
    let store = &app.ctx.store;
    let new = NewCustomer {
        customer: Customer {
            agentnum: 1,
            refnum: 1,
            usernum: store.api_usernum().await.unwrap(),
            first: "Card".into(),
            last: "Holder".into(),
            signupdate: 1_700_000_000,
            payby: "CARD".into(),
            paymask: format!("xxxx{}", &card[card.len() - 4..]),
            paydate: "2099-12-01".into(),
            ..Customer::default()
        },
        payinfo: card.into(),
        bill_location: Location {
            address1: "1 Main St".into(),
            city: "Tofutown".into(),
            state: "CA".into(),
            zip: "54321".into(),
            country: "US".into(),
            ..Location::default()
        },
        ..NewCustomer::default()
    };
    let mut tx = store.write().await.unwrap();
    let custnum = insert_customer(&mut tx, store, &new).await.unwrap();
    tx.commit().await.unwrap();
    custnum.to_string()
}

async fn order(app: &TestApp, custnum: &str, pkgpart: &str) -> String {
    let reply = app
        .call(
            "order_package",
            &[("custnum", custnum), ("pkgpart", pkgpart)],
        )
        .await;
    assert_eq!(member(&reply, "error"), "", "{reply:?}");
    member(&reply, "pkgnum").to_string()
}

#[tokio::test]
async fn bill_now_bills_once_and_makes_the_customer_active() {
    for app in apps().await {
        catalog(&app).await;
        let custnum = customer(&app, "Tofu", "Beast").await.to_string();
        let pkgnum = order(&app, &custnum, "1").await;
        let reply = app.call("bill_now", &[("custnum", &custnum)]).await;
        assert_eq!(member(&reply, "error"), "", "{}: {reply:?}", app.name());
        assert_eq!(count(&app, "cust_bill").await, 1);
        let info = app.call("customer_info", &[("custnum", &custnum)]).await;
        assert_eq!(
            (member(&info, "status"), member(&info, "statuscolor")),
            ("active", "00CC00")
        );
        assert_eq!(member(&info, "balance"), "29.95");
        let list = app
            .call("list_customer_packages", &[("custnum", &custnum)])
            .await;
        let Some(ReplyValue::Array(packages)) = list.get("packages") else {
            panic!("{list:?}")
        };
        let ReplyValue::Struct(package) = &packages[0] else {
            panic!()
        };
        assert_eq!(member(package, "pkgnum"), pkgnum);
        let setup: i64 = member(package, "setup").parse().unwrap();
        let bill: i64 = member(package, "bill").parse().unwrap();
        assert_eq!(member(package, "last_bill"), member(package, "setup"));
        assert!(bill >= setup + 28 * 86_400 && bill <= setup + 31 * 86_400);
        let again = app.call("bill_now", &[("custnum", &custnum)]).await;
        assert_eq!(member(&again, "error"), "");
        assert_eq!(count(&app, "cust_bill").await, 1, "{}", app.name());
    }
}

#[tokio::test]
async fn bill_now_for_unknown_or_cancelled_customers_creates_nothing() {
    for app in apps().await {
        catalog(&app).await;
        for custnum in ["999999", "", "abc"] {
            let reply = app.call("bill_now", &[("custnum", custnum)]).await;
            assert_eq!(member(&reply, "error"), "Unknown custnum", "{}", app.name());
            assert_eq!(reply.len(), 1);
        }
        let custnum = customer(&app, "Gone", "Away").await.to_string();
        let pkgnum = order(&app, &custnum, "1").await;
        {
            let mut tx = app.ctx.store.write().await.unwrap();
            cancel_package(&mut tx, pkgnum.parse().unwrap(), 1_700_000_000)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let reply = app.call("bill_now", &[("custnum", &custnum)]).await;
        assert_eq!(member(&reply, "error"), "", "{}", app.name());
        assert_eq!(count(&app, "cust_bill").await, 0);
        assert_eq!(count(&app, "cust_pay_attempt").await, 0);
    }
}

#[tokio::test]
async fn bill_now_applies_payments_and_charges_cards() {
    // Checklist 41.
    for app in apps().await {
        catalog(&app).await;
        let custnum = customer(&app, "Pre", "Paid").await.to_string();
        let reply = app
            .call(
                "insert_payment",
                &[("custnum", &custnum), ("payby", "CASH"), ("paid", "50.00")],
            )
            .await;
        assert_eq!(member(&reply, "error"), "", "{reply:?}");
        order(&app, &custnum, "1").await;
        app.call("bill_now", &[("custnum", &custnum)]).await;
        assert_eq!(count(&app, "cust_bill_pay").await, 1, "{}", app.name());
        let info = app.call("customer_info", &[("custnum", &custnum)]).await;
        assert_eq!(member(&info, "balance"), "-20.05");

        let paying = card_customer(&app, "4111111111111111").await;
        order(&app, &paying, "1").await;
        let reply = app.call("bill_now", &[("custnum", &paying)]).await;
        assert_eq!(member(&reply, "error"), "");
        let info = app.call("customer_info", &[("custnum", &paying)]).await;
        assert_eq!(member(&info, "balance"), "0.00", "{}", app.name());

        let declined = card_customer(&app, "4000000000000002").await;
        order(&app, &declined, "1").await;
        let reply = app.call("bill_now", &[("custnum", &declined)]).await;
        assert_eq!(member(&reply, "error"), "", "a decline is not an error");
        let info = app.call("customer_info", &[("custnum", &declined)]).await;
        assert_eq!(member(&info, "balance"), "29.95");
        assert_eq!(count(&app, "cust_pay").await, 2);
    }
}
