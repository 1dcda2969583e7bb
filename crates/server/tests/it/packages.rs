//! order_package, package_status, list_customer_packages.

use bursar_rpc::{Args, ReplyValue, Value};

use crate::fixtures::{catalog, count, customer};
use crate::support::{apps, member, SECRET};

#[tokio::test]
async fn ordering_a_package_makes_the_customer_ordered_and_lists_it() {
    for app in apps().await {
        catalog(&app).await;
        let custnum = customer(&app, "Tofu", "Beast").await.to_string();
        let reply = app
            .call("list_customer_packages", &[("custnum", &custnum)])
            .await;
        assert_eq!(member(&reply, "error"), "No packages", "{}", app.name());
        let reply = app
            .call("order_package", &[("custnum", &custnum), ("pkgpart", "1")])
            .await;
        assert_eq!(member(&reply, "error"), "", "{}: {reply:?}", app.name());
        let pkgnum = member(&reply, "pkgnum").to_string();
        let info = app.call("customer_info", &[("custnum", &custnum)]).await;
        assert_eq!(
            (member(&info, "status"), member(&info, "statuscolor")),
            ("ordered", "009999")
        );
        let status = app.call("package_status", &[("pkgnum", &pkgnum)]).await;
        assert_eq!(status.len(), 1);
        assert_eq!(member(&status, "status"), "not yet billed");
        let list = app
            .call("list_customer_packages", &[("custnum", &custnum)])
            .await;
        assert!(
            list.get("error").is_none(),
            "no error member on success: {list:?}"
        );
        let Some(ReplyValue::Array(packages)) = list.get("packages") else {
            panic!("{list:?}")
        };
        assert_eq!(packages.len(), 1);
        let ReplyValue::Struct(package) = &packages[0] else {
            panic!()
        };
        assert_eq!(member(package, "pkgnum"), pkgnum);
        assert_eq!(member(package, "pkg"), "Mail Basic");
        assert_eq!(member(package, "freq"), "1");
        assert_eq!(member(package, "setup"), "");
        assert_eq!(member(package, "first"), "Tofu");
        assert_eq!(member(package, "quantity"), "1");
        assert!(!member(package, "order_date").is_empty());
    }
}

#[tokio::test]
async fn order_package_errors_change_nothing() {
    for app in apps().await {
        catalog(&app).await;
        let custnum = customer(&app, "Err", "Or").await.to_string();
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("custnum", "999999"), ("pkgpart", "1")], "Unknown custnum"),
            (&[("custnum", &custnum), ("pkgpart", "77")], "inserting cust_pkg (transaction rolled back): Can't find cust_pkg.pkgpart 77 in part_pkg.pkgpart"),
            (&[("custnum", &custnum), ("pkgpart", "1"), ("quantity", "x")], "inserting cust_pkg (transaction rolled back): Illegal (numeric) quantity: x"),
            (&[("custnum", &custnum), ("pkgpart", "1"), ("start_date", "someday")], "Illegal start_date: someday"),
            (&[("custnum", &custnum), ("pkgpart", "1"), ("setup_fee", "1,000")], "error customizing package: Illegal (money) setup_fee: 1,000"),
        ];
        for (pairs, expected) in cases {
            let reply = app.call("order_package", pairs).await;
            assert_eq!(member(&reply, "error"), *expected, "{}", app.name());
        }
        assert_eq!(count(&app, "cust_pkg").await, 0);
        assert_eq!(count(&app, "part_pkg").await, 2);
    }
}

#[tokio::test]
async fn custom_fees_make_a_disabled_copy_and_dates_and_details_are_kept() {
    for app in apps().await {
        catalog(&app).await;
        let custnum = customer(&app, "Cus", "Tom").await.to_string();
        let mut args = Args::new();
        for (key, value) in [
            ("secret", SECRET),
            ("custnum", &custnum),
            ("pkgpart", "1"),
            ("quantity", "5"),
            ("start_date", "12/1/2027"),
            ("setup_fee", "23"),
            ("recur_fee", "19000"),
        ] {
            args.insert(key, Value::string(value));
        }
        args.insert(
            "invoice_details",
            Value::Array(vec![
                Value::string("detail"),
                Value::string("even more detail"),
            ]),
        );
        let reply = app.call_args("order_package", args).await;
        assert_eq!(member(&reply, "error"), "", "{}: {reply:?}", app.name());
        let catalog = app.ctx.store.catalog_snapshot().await.unwrap();
        let copy = catalog
            .package_defs
            .iter()
            .find(|d| d.pkgpart == 3)
            .expect("a custom copy");
        assert!(copy.disabled);
        assert_eq!(
            (copy.setup_fee.to_string(), copy.recur_fee.to_string()),
            ("23.00".into(), "19000.00".into())
        );
        let list = app
            .call("list_customer_packages", &[("custnum", &custnum)])
            .await;
        let Some(ReplyValue::Array(packages)) = list.get("packages") else {
            panic!()
        };
        let ReplyValue::Struct(package) = &packages[0] else {
            panic!()
        };
        assert_eq!(member(package, "pkgpart"), "3");
        assert_eq!(member(package, "quantity"), "5");
        assert!(!member(package, "start_date").is_empty());
        assert_eq!(count(&app, "cust_pkg_detail").await, 2);
    }
}

#[tokio::test]
async fn package_status_of_an_unknown_package() {
    for app in apps().await {
        let reply = app.call("package_status", &[("pkgnum", "4242")]).await;
        assert_eq!(member(&reply, "error"), "No packages");
    }
}

#[tokio::test]
async fn order_package_with_an_address_and_change_package_location() {
    for app in apps().await {
        catalog(&app).await;
        let custnum = customer(&app, "Move", "Er").await.to_string();
        let ordered = app
            .call(
                "order_package",
                &[
                    ("custnum", &custnum),
                    ("pkgpart", "1"),
                    ("address1", "5432 API Lane"),
                    ("city", "API Town"),
                    ("state", "AZ"),
                    ("zip", "54321"),
                    ("country", "US"),
                ],
            )
            .await;
        assert_eq!(member(&ordered, "error"), "", "{}: {ordered:?}", app.name());
        let pkgnum = member(&ordered, "pkgnum").to_string();
        let locations = app.call("location_info", &[("custnum", &custnum)]).await;
        let Some(ReplyValue::Array(list)) = locations.get("locations") else {
            panic!()
        };
        assert_eq!(list.len(), 2, "the package got its own location");

        let bad = app
            .call(
                "order_package",
                &[
                    ("custnum", &custnum),
                    ("pkgpart", "1"),
                    ("address1", "1 X St"),
                    ("city", "Y"),
                    ("country", "US"),
                    ("state", "ZZ"),
                ],
            )
            .await;
        assert!(
            member(&bad, "error")
                .starts_with("inserting cust_location (transaction rolled back): "),
            "{bad:?}"
        );

        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("pkgnum", "9999"), ("locationnum", "1")],
                "Unknown pkgnum",
            ),
            (
                &[("pkgnum", &pkgnum), ("locationnum", "1"), ("address1", "x")],
                "Cannot pass both locationnum and location fields",
            ),
            (&[("pkgnum", &pkgnum)], "No changes passed to method"),
            (
                &[("pkgnum", &pkgnum), ("locationnum", "0")],
                "No changes passed to method",
            ),
            (
                &[("pkgnum", &pkgnum), ("locationnum", "777")],
                "Unknown locationnum 777",
            ),
        ];
        for (pairs, expected) in cases {
            let reply = app.call("change_package_location", pairs).await;
            assert_eq!(member(&reply, "error"), *expected, "{}", app.name());
        }
        let moved = app
            .call(
                "change_package_location",
                &[
                    ("pkgnum", &pkgnum),
                    ("address1", "9 New St"),
                    ("city", "Tofutown"),
                    ("state", "CA"),
                    ("zip", "54322"),
                    ("country", "US"),
                ],
            )
            .await;
        assert!(moved.get("error").is_none(), "{}: {moved:?}", app.name());
        assert_eq!(
            member(&moved, "pkgnum"),
            pkgnum,
            "an unbilled package moves in place"
        );
        let locationnum = member(&moved, "locationnum").to_string();
        let list = app
            .call("list_customer_packages", &[("custnum", &custnum)])
            .await;
        let Some(ReplyValue::Array(packages)) = list.get("packages") else {
            panic!()
        };
        let ReplyValue::Struct(package) = &packages[0] else {
            panic!()
        };
        assert_eq!(member(package, "locationnum"), locationnum);
    }
}
