//! update_customer (backend spec 8.9, 5.5; checklist 25, 27): the
//! present/absent contract, address merging, service-location moves with
//! their packages, payment method changes and the exact invoicing list.

/// Argument pairs of one table row.
type Pairs = &'static [(&'static str, &'static str)];

use bursar_core::frequency::Frequency;
use bursar_core::model::PackageDef;
use bursar_core::Money;
use bursar_rpc::Reply;
use bursar_store::catalog::Catalog;
use bursar_store::customer::customer;
use bursar_store::package::{order_package, package, set_billing_dates, NewPackage};

use crate::new_customer::{assert_no_card_number, create, footprint, info, locations, CARD};
use crate::support::{apps, member, TestApp};

/// Calls `update_customer` for `custnum` with `pairs`.
async fn update(app: &TestApp, custnum: i64, pairs: &[(&str, &str)]) -> Reply {
    let custnum = custnum.to_string();
    let mut all = vec![("custnum", custnum.as_str())];
    all.extend_from_slice(pairs);
    let reply = app.call("update_customer", &all).await;
    assert_no_card_number(&reply);
    reply
}

/// Updates and expects success.
async fn update_ok(app: &TestApp, custnum: i64, pairs: &[(&str, &str)]) {
    let reply = update(app, custnum, pairs).await;
    assert_eq!(member(&reply, "error"), "", "{}: {pairs:?}", app.name());
    assert_eq!(reply.len(), 1);
}

/// Calls `update_customer` with `pairs` for `custnum` and expects exactly
/// `{error: message}` with the customer, its locations and every count
/// unchanged.
async fn check_refused(app: &TestApp, custnum: i64, pairs: &[(&str, &str)], message: &str) {
    let before = (
        info(app, custnum).await,
        locations(app, custnum).await,
        footprint(app).await,
    );
    let reply = update(app, custnum, pairs).await;
    assert_eq!(
        member(&reply, "error"),
        message,
        "{}: {pairs:?}",
        app.name()
    );
    assert_eq!(reply.len(), 1);
    let after = (
        info(app, custnum).await,
        locations(app, custnum).await,
        footprint(app).await,
    );
    assert_eq!(after, before, "{pairs:?} changed something");
}

/// The members of `customer_info` named in `keys`.
fn pick<'a>(info: &'a Reply, keys: &[&str]) -> Vec<&'a str> {
    keys.iter().map(|key| member(info, key)).collect()
}

#[tokio::test]
async fn custnum_must_name_a_customer() {
    for app in apps().await {
        for (pairs, message) in [
            (&[][..], "no customer record"),
            (&[("custnum", "")][..], "no customer record"),
            (&[("custnum", "0")][..], "no customer record"),
            (&[("custnum", "999999")][..], "unknown custnum 999999"),
            (&[("custnum", "abc")][..], "unknown custnum abc"),
        ] {
            let mut all = pairs.to_vec();
            all.push(("first", "Nobody"));
            let reply = app.call("update_customer", &all).await;
            assert_eq!(member(&reply, "error"), message, "{pairs:?}");
            assert_eq!(reply.len(), 1);
        }
    }
}

#[tokio::test]
async fn present_keys_set_absent_keys_keep_empty_keys_clear() {
    for app in apps().await {
        let custnum = create(&app, &[("night", "555 000 1111"), ("fax", "555 000 2222")]).await;
        let keys = [
            "first", "last", "company", "daytime", "night", "fax", "mobile",
        ];
        update_ok(
            &app,
            custnum,
            &[
                ("daytime", "(555) 444-9999"),
                ("company", ""),
                ("night", ""),
            ],
        )
        .await;
        let shown = info(&app, custnum).await;
        assert_eq!(
            pick(&shown, &keys),
            [
                "Tofu",
                "Beast",
                "",
                "555-444-9999",
                "",
                "555-000-2222",
                "123-466-3332"
            ]
        );
        assert_eq!(member(&shown, "invoicing_list"), "tofu@example.com");
        assert_eq!(member(&shown, "postal_invoicing"), "1");
        assert_eq!(member(&shown, "address1"), "1234 Soybean Ln.");
    }
}

#[tokio::test]
async fn the_spec_example_sets_the_phone_and_makes_the_invoicing_list_exact() {
    for app in apps().await {
        let custnum = create(&app, &[]).await;
        update_ok(
            &app,
            custnum,
            &[
                ("daytime", "(555) 444-9999"),
                ("invoicing_list", "b@example.com, a@example.com"),
            ],
        )
        .await;
        let shown = info(&app, custnum).await;
        assert_eq!(member(&shown, "daytime"), "555-444-9999");
        assert_eq!(
            member(&shown, "invoicing_list"),
            "a@example.com, b@example.com"
        );
        // POST is not in the new list, so paper invoicing stops.
        assert_eq!(member(&shown, "postal_invoicing"), "");
    }
}

#[tokio::test]
async fn invoicing_destinations_become_exactly_the_new_list() {
    // (update pairs, expected invoicing_list, expected postal_invoicing),
    // each applied to a fresh customer with tofu@example.com and POST.
    let cases: &[(Pairs, &str, &str)] = &[
        (&[("first", "Tofu")], "tofu@example.com", "1"),
        (&[("invoicing_list", "a@x.com, POST")], "a@x.com", "1"),
        (
            &[("invoicing_list", "tofu@example.com")],
            "tofu@example.com",
            "",
        ),
        (&[("invoicing_list", "")], "", ""),
        (&[("postal_invoicing", "0")], "", ""),
        (&[("postal_invoicing", "1")], "", "1"),
        (
            &[("invoicing_list", "a@x.com"), ("postal_invoicing", "1")],
            "a@x.com",
            "1",
        ),
    ];
    for app in apps().await {
        for (pairs, list, postal) in cases {
            let custnum = create(&app, &[]).await;
            update_ok(&app, custnum, pairs).await;
            let shown = info(&app, custnum).await;
            assert_eq!(
                pick(&shown, &["invoicing_list", "postal_invoicing"]),
                [*list, *postal],
                "{pairs:?}"
            );
        }
    }
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("first", "")], "Illegal (name) first: "),
        (&[("last", "B$")], "Illegal (name) last: B$"),
        (&[("agentnum", "99")], "Unknown agent"),
        (
            &[("refnum", "")],
            "Illegal or empty (numeric) refnum: Please select an advertising source.",
        ),
        (&[("refnum", "77")], "Unknown refnum"),
        (
            &[("referral_custnum", "999999")],
            "Unknown referring custnum: 999999",
        ),
        (&[("daytime", "12")], "Illegal (phone) daytime: 12"),
        // Location errors carry no suffix on update_customer.
        (&[("address1", "")], "Illegal or empty (text) address1: "),
        (
            &[("address1", "2 New St"), ("zip", "1")],
            "Illegal (zip) zip for country US: 1",
        ),
        (
            &[("address1", "2 New St"), ("county", "Nowhere")],
            "Unknown state/county/country: CA/Nowhere/US",
        ),
        (
            &[("ship_address1", "2 New St"), ("ship_city", "")],
            "Illegal or empty (text) city: ",
        ),
        (
            &[("payby", "PREPAY"), ("payinfo", "ABC")],
            "Illegal payby: PREPAY",
        ),
        (&[("payby", "ZZZZ")], "Illegal payby: ZZZZ"),
        (
            &[("payinfo", "4111111111111112")],
            "Invalid credit card number",
        ),
        (
            &[("payby", "CARD"), ("paydate", "soon")],
            "Illegal expiration date: soon",
        ),
        (
            &[("invoicing_list", "nope")],
            "Illegal email invoice address: nope",
        ),
        // A failure after a valid address change undoes the change too.
        (
            &[("address1", "2 New St"), ("daytime", "12")],
            "Illegal (phone) daytime: 12",
        ),
        (
            &[("ship_address1", "2 New St"), ("invoicing_list", "x")],
            "Illegal email invoice address: x",
        ),
    ];
    for app in apps().await {
        create(&app, &[("agent_custid", "TAKEN")]).await;
        for (pairs, message) in cases {
            let custnum = create(&app, &[]).await;
            check_refused(&app, custnum, pairs, message).await;
        }
        let custnum = create(&app, &[("agent_custid", "MINE")]).await;
        check_refused(
            &app,
            custnum,
            &[("agent_custid", "TAKEN")],
            "Agent customer ID already in use",
        )
        .await;
        update_ok(
            &app,
            custnum,
            &[("agent_custid", "MINE"), ("first", "Tofu")],
        )
        .await;
    }
}

#[tokio::test]
async fn billing_address_merges_absent_keys_and_leaves_the_service_location() {
    for app in apps().await {
        let custnum = create(&app, &[]).await;
        let address = [
            "address1", "address2", "city", "county", "state", "zip", "country",
        ];
        let ship: Vec<String> = address.iter().map(|key| format!("ship_{key}")).collect();
        let ship: Vec<&str> = ship.iter().map(String::as_str).collect();

        // The same address changes nothing.
        update_ok(
            &app,
            custnum,
            &[("address1", "1234 Soybean Ln."), ("country", "us")],
        )
        .await;
        assert_eq!(locations(&app, custnum).await.len(), 1);

        update_ok(
            &app,
            custnum,
            &[("address1", "77 Tempeh Ave"), ("zip", "54322")],
        )
        .await;
        let shown = info(&app, custnum).await;
        assert_eq!(
            pick(&shown, &address),
            ["77 Tempeh Ave", "", "Tofutown", "", "CA", "54322", "US"]
        );
        assert_eq!(
            pick(&shown, &ship),
            ["1234 Soybean Ln.", "", "Tofutown", "", "CA", "54321", "US"]
        );
        let listed = locations(&app, custnum).await;
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().all(|l| member(l, "disabled").is_empty()));

        // ship_address1='' alone: the service location becomes the billing one,
        // and the old one, now unused, is disabled.
        update_ok(&app, custnum, &[("ship_address1", "")]).await;
        let shown = info(&app, custnum).await;
        assert_eq!(pick(&shown, &ship), pick(&shown, &address));
        let listed = locations(&app, custnum).await;
        assert_eq!(listed.len(), 2);
        let disabled: Vec<&str> = listed.iter().map(|l| member(l, "disabled")).collect();
        assert_eq!(disabled, ["Y", ""]);

        // ship_address1='' with another ship_ key sent changes nothing.
        update_ok(
            &app,
            custnum,
            &[("ship_address1", ""), ("ship_city", "Elsewhere")],
        )
        .await;
        assert_eq!(pick(&info(&app, custnum).await, &ship), pick(&shown, &ship));
    }
}

/// Applies a catalog with a monthly package definition (pkgpart 1).
pub async fn monthly_package_def(app: &TestApp) {
    let catalog = Catalog {
        package_defs: vec![PackageDef {
            pkgpart: 1,
            pkg: "Mail Basic".into(),
            comment: String::new(),
            setup_fee: Money::parse("10.00").unwrap(),
            recur_fee: Money::parse("19.95").unwrap(),
            freq: Frequency::parse("1").unwrap(),
            taxable: true,
            prorate_day: None,
            disabled: false,
            services: vec![],
        }],
        ..Catalog::default()
    };
    app.ctx.store.apply_catalog(&catalog).await.unwrap();
}

/// Orders package 1 for `custnum` at its service location; `set_up` marks
/// it billed once.
pub async fn order(app: &TestApp, custnum: i64, set_up: bool) -> i64 {
    let usernum = app.ctx.store.api_usernum().await.unwrap();
    let mut tx = app.ctx.store.write().await.unwrap();
    let record = customer(&mut tx, custnum).await.unwrap();
    let pkgnum = order_package(
        &mut tx,
        &NewPackage {
            custnum,
            pkgpart: 1,
            locationnum: record.ship_locationnum,
            quantity: 1,
            order_date: 1_700_000_000,
            usernum,
            details: vec!["detail line".into()],
            ..NewPackage::default()
        },
    )
    .await
    .unwrap();
    if set_up {
        set_billing_dates(
            &mut tx,
            pkgnum,
            Some(1_700_000_000),
            Some(1_702_592_000),
            Some(1_700_000_000),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    pkgnum
}

#[tokio::test]
async fn changing_the_service_address_moves_the_packages() {
    for app in apps().await {
        monthly_package_def(&app).await;
        let custnum = create(&app, &[]).await;
        let fresh = order(&app, custnum, false).await;
        let billed = order(&app, custnum, true).await;
        let old_location = customer(&mut app.ctx.store.read().await.unwrap(), custnum)
            .await
            .unwrap()
            .ship_locationnum;

        update_ok(
            &app,
            custnum,
            &[("ship_address1", "9 Warehouse Rd"), ("ship_zip", "54329")],
        )
        .await;
        let shown = info(&app, custnum).await;
        assert_eq!(
            pick(
                &shown,
                &["address1", "ship_address1", "ship_city", "ship_zip"]
            ),
            ["1234 Soybean Ln.", "9 Warehouse Rd", "Tofutown", "54329"]
        );
        let mut tx = app.ctx.store.read().await.unwrap();
        let record = customer(&mut tx, custnum).await.unwrap();
        let new_location = record.ship_locationnum;
        assert_ne!(new_location, old_location);
        assert_eq!(record.bill_locationnum, old_location);

        // Not yet set up: moved in place.
        let moved = package(&mut tx, fresh).await.unwrap();
        assert_eq!((moved.locationnum, moved.cancel), (new_location, None));

        // Set up: replaced by a copy at the new location, the old one
        // cancelled and linked to it.
        let details = app.ctx.store.customer_details(custnum).await.unwrap();
        let old = details
            .packages
            .iter()
            .find(|p| p.pkgnum == billed)
            .unwrap();
        assert!(old.cancel.is_some());
        assert_eq!(old.locationnum, old_location);
        let copy = details
            .packages
            .iter()
            .find(|p| p.change_pkgnum == Some(billed))
            .unwrap();
        assert_ne!(copy.pkgnum, billed);
        assert_eq!(
            (
                copy.locationnum,
                copy.setup,
                copy.bill,
                copy.last_bill,
                copy.cancel,
                copy.pkgpart
            ),
            (
                new_location,
                old.setup,
                old.bill,
                old.last_bill,
                None,
                old.pkgpart
            )
        );
        assert_eq!(details.packages.len(), 3);
        // The billing location is still in use; nothing was disabled.
        assert!(locations(&app, custnum)
            .await
            .iter()
            .all(|l| member(l, "disabled").is_empty()));
    }
}

#[tokio::test]
async fn payment_method_changes_keep_or_drop_the_stored_details() {
    for app in apps().await {
        let custnum = create(&app, &[]).await;
        let stored = |app: &TestApp| {
            let store = app.ctx.store.clone();
            async move {
                let mut tx = store.read().await.unwrap();
                let c = customer(&mut tx, custnum).await.unwrap();
                let payinfo = bursar_store::customer::customer_payinfo(&mut tx, &store, custnum)
                    .await
                    .unwrap();
                (c.payby, c.paymask, c.paydate, c.payname, payinfo)
            }
        };
        // A new date keeps the card.
        update_ok(&app, custnum, &[("paydate", "12/2031")]).await;
        assert_eq!(
            stored(&app).await,
            (
                "CARD".into(),
                "411111xxxxxx1111".into(),
                "2031-12-01".into(),
                "Thomas Beast".into(),
                CARD.into()
            )
        );
        // A new method does not inherit the card number.
        update_ok(&app, custnum, &[("payby", "BILL")]).await;
        assert_eq!(
            stored(&app).await,
            (
                "BILL".into(),
                String::new(),
                String::new(),
                "Tofu Beast".into(),
                String::new()
            )
        );
        // Back to a card: the number must be sent again.
        let reply = update(&app, custnum, &[("payby", "CARD"), ("paydate", "1/30")]).await;
        assert_eq!(member(&reply, "error"), "Invalid credit card number");
        update_ok(
            &app,
            custnum,
            &[
                ("payby", "CARD"),
                ("payinfo", CARD),
                ("paydate", "1/30"),
                ("paycvv", "999"),
            ],
        )
        .await;
        assert_eq!(stored(&app).await.1, "411111xxxxxx1111");
        // payby='' clears the method.
        update_ok(&app, custnum, &[("payby", "")]).await;
        assert_eq!(
            stored(&app).await,
            (
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new()
            )
        );
    }
}
