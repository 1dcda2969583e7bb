//! Helpers shared by the scenarios: sample records and the two-backend loop.

use bursar_core::model::{Customer, Location};
use bursar_store::customer::{insert_customer, NewCustomer};
use bursar_store::Store;

/// A US billing address.
pub fn address(street: &str) -> Location {
    Location {
        address1: street.into(),
        city: "Tofutown".into(),
        state: "CA".into(),
        zip: "54321".into(),
        country: "US".into(),
        ..Location::default()
    }
}

/// Inserts a customer named `first last` in its own transaction.
pub async fn new_customer(store: &Store, first: &str, last: &str) -> i64 {
    let usernum = store.api_usernum().await.unwrap();
    let new = NewCustomer {
        customer: Customer {
            agentnum: 1,
            refnum: 1,
            usernum,
            first: first.into(),
            last: last.into(),
            signupdate: 1_700_000_000,
            ..Customer::default()
        },
        bill_location: address("1234 Soybean Ln."),
        invoice_emails: vec![format!("{}@example.com", first.to_lowercase())],
        ..NewCustomer::default()
    };
    let mut tx = store.write().await.unwrap();
    let custnum = insert_customer(&mut tx, store, &new).await.unwrap();
    tx.commit().await.unwrap();
    custnum
}
