//! Records the package and referral tests start from, made through the
//! store (the way an operator's catalog and sign-ups would make them).

use bursar_core::frequency::Frequency;
use bursar_core::model::{Customer, Location, PackageDef};
use bursar_core::Money;
use bursar_store::catalog::Catalog;
use bursar_store::customer::{insert_customer, NewCustomer};

use crate::support::TestApp;

/// Applies a catalog with pkgpart 1 (monthly, 10.00 + 19.95) and pkgpart 2
/// (one-time 5.00).
pub async fn catalog(app: &TestApp) {
    let def = |pkgpart: i64, pkg: &str, setup: i64, recur: i64, freq: Frequency| PackageDef {
        pkgpart,
        pkg: pkg.into(),
        comment: String::new(),
        setup_fee: Money::from_cents(setup),
        recur_fee: Money::from_cents(recur),
        freq,
        taxable: true,
        prorate_day: None,
        disabled: false,
        services: Vec::new(),
    };
    let catalog = Catalog {
        package_defs: vec![
            def(1, "Mail Basic", 1000, 1995, Frequency::Months(1)),
            def(2, "Install", 500, 0, Frequency::OneTime),
        ],
        ..Catalog::default()
    };
    app.ctx.store.apply_catalog(&catalog).await.unwrap();
}

/// Inserts customer `first last` in Tofutown, CA; returns its custnum.
pub async fn customer(app: &TestApp, first: &str, last: &str) -> i64 {
    let store = &app.ctx.store;
    let new = NewCustomer {
        customer: Customer {
            agentnum: 1,
            refnum: 1,
            usernum: store.api_usernum().await.unwrap(),
            first: first.into(),
            last: last.into(),
            signupdate: 1_700_000_000,
            ..Customer::default()
        },
        bill_location: Location {
            address1: "1234 Soybean Ln.".into(),
            city: "Tofutown".into(),
            state: "CA".into(),
            zip: "54321".into(),
            country: "US".into(),
            ..Location::default()
        },
        invoice_emails: vec![format!("{}@example.com", first.to_lowercase())],
        ..NewCustomer::default()
    };
    let mut tx = store.write().await.unwrap();
    let custnum = insert_customer(&mut tx, store, &new).await.unwrap();
    tx.commit().await.unwrap();
    custnum
}

/// Counts the rows of `table`.
pub async fn count(app: &TestApp, table: &str) -> i64 {
    let mut tx = app.ctx.store.read().await.unwrap();
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut *tx)
        .await
        .unwrap()
}
