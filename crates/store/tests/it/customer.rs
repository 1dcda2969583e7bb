//! Customers: insert, read back, list with balance and status; card numbers
//! encrypted at rest.

use bursar_core::model::Customer;
use bursar_core::status::CustomerStatus;
use bursar_store::customer::{customer_payinfo, insert_customer, NewCustomer};
use bursar_store::package::{order_package, NewPackage};
use bursar_store::testing::backends;

use crate::support::{address, new_customer};

#[tokio::test]
async fn a_new_customer_is_a_prospect_with_a_zero_balance() {
    for db in backends().await {
        let custnum = new_customer(&db.store, "Tofu", "Beast").await;
        assert_eq!(custnum, 1, "{}: numbers start at 1", db.name());
        let details = db.store.customer_details(custnum).await.unwrap();
        assert_eq!(details.customer.name(), "Tofu Beast");
        assert_eq!(details.status, CustomerStatus::Prospect);
        assert_eq!(details.totals.balance().to_string(), "0.00");
        assert_eq!(details.bill_location, details.ship_location);
        assert_eq!(details.invoice_emails, vec!["tofu@example.com".to_string()]);
        assert!(matches!(
            db.store.customer_details(999).await,
            Err(bursar_store::Error::NotFound)
        ));
    }
}

#[tokio::test]
async fn list_derives_status_for_many_customers_at_once() {
    for db in backends().await {
        let a = new_customer(&db.store, "Ann", "One").await;
        let b = new_customer(&db.store, "Bob", "Two").await;
        let mut tx = db.store.write().await.unwrap();
        let details = bursar_store::customer::customer_details(&mut tx, b)
            .await
            .unwrap();
        sqlx::query("INSERT INTO part_pkg (pkgpart, pkg, freq) VALUES (1, 'Basic', '1')")
            .execute(&mut *tx)
            .await
            .unwrap();
        order_package(
            &mut tx,
            &NewPackage {
                custnum: b,
                pkgpart: 1,
                locationnum: details.customer.ship_locationnum,
                quantity: 1,
                order_date: 1_700_000_000,
                usernum: details.customer.usernum,
                ..NewPackage::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let list = db.store.list_customers(0, 100).await.unwrap();
        let statuses: Vec<(i64, &str)> = list
            .iter()
            .map(|s| (s.customer.custnum, s.status.as_str()))
            .collect();
        assert_eq!(
            statuses,
            vec![(a, "prospect"), (b, "ordered")],
            "{}",
            db.name()
        );
        assert_eq!(db.store.list_customers(a, 100).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn card_numbers_are_encrypted_at_rest_and_never_read_back_in_records() {
    for db in backends().await {
        let usernum = db.store.api_usernum().await.unwrap();
        let new = NewCustomer {
            customer: Customer {
                agentnum: 1,
                refnum: 1,
                usernum,
                first: "Card".into(),
                last: "Holder".into(),
                payby: "CARD".into(),
                paymask: "411111xxxxxx1111".into(),
                ..Customer::default()
            },
            payinfo: "4111111111111111".into(),
            bill_location: address("1 Main St"),
            ..NewCustomer::default()
        };
        let mut tx = db.store.write().await.unwrap();
        let custnum = insert_customer(&mut tx, &db.store, &new).await.unwrap();
        let stored: String = sqlx::query_scalar("SELECT payinfo FROM cust_main WHERE custnum = $1")
            .bind(custnum)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert!(!stored.contains("4111111111111111"), "{}", db.name());
        assert_eq!(
            customer_payinfo(&mut tx, &db.store, custnum).await.unwrap(),
            "4111111111111111"
        );
        tx.commit().await.unwrap();
        let details = db.store.customer_details(custnum).await.unwrap();
        assert_eq!(details.customer.paymask, "411111xxxxxx1111");
        assert!(!format!("{details:?}").contains("4111111111111111"));
    }
}

#[tokio::test]
async fn a_failed_insert_leaves_nothing_behind() {
    for db in backends().await {
        let new = NewCustomer {
            customer: Customer {
                agentnum: 42,
                refnum: 1,
                usernum: 1,
                first: "No".into(),
                last: "Agent".into(),
                ..Customer::default()
            },
            bill_location: address("1 Main St"),
            ..NewCustomer::default()
        };
        let mut tx = db.store.write().await.unwrap();
        let error = insert_customer(&mut tx, &db.store, &new).await.unwrap_err();
        assert!(
            matches!(error, bursar_store::Error::Conflict(_)),
            "{}: {error}",
            db.name()
        );
        drop(tx);
        assert!(db.store.list_customers(0, 10).await.unwrap().is_empty());
    }
}
