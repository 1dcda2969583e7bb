//! Moving packages between locations (`relocate`), the locality lookup and
//! the location and service listings the customer methods read.

use bursar_core::model::Location;
use bursar_store::customer::find_or_insert_location;
use bursar_store::customer_update::{disable_location_if_unused, locality_known, locations};
use bursar_store::package::{order_package, package, set_billing_dates, NewPackage};
use bursar_store::relocate::change_location;
use bursar_store::service_list::{
    customer_services, insert_service, DomainService, NewService, ServiceRecord,
};
use bursar_store::testing::backends;
use bursar_store::{Conn, Store};

use crate::support::{address, new_customer};

/// A package definition (pkgpart 1) and a domain service definition
/// (svcpart 1).
async fn definitions(conn: &mut Conn) {
    sqlx::query("INSERT INTO part_pkg (pkgpart, pkg, freq) VALUES (1, 'Basic', '1')")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO part_svc (svcpart, svc, svcdb) VALUES (1, 'Domain', 'svc_domain')")
        .execute(&mut *conn)
        .await
        .unwrap();
}

/// Orders package 1 for `custnum` at `locationnum`, with one detail line.
async fn order(conn: &mut Conn, store: &Store, custnum: i64, locationnum: i64) -> i64 {
    order_package(
        conn,
        &NewPackage {
            custnum,
            pkgpart: 1,
            locationnum,
            quantity: 2,
            order_date: 1_700_000_000,
            usernum: store.api_usernum().await.unwrap(),
            details: vec!["first".into(), "second".into()],
            ..NewPackage::default()
        },
    )
    .await
    .unwrap()
}

async fn details_of(conn: &mut Conn, pkgnum: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT detail FROM cust_pkg_detail WHERE pkgnum = $1 ORDER BY detailnum")
        .bind(pkgnum)
        .fetch_all(conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn packages_move_in_place_until_set_up_then_are_replaced_with_links() {
    for db in backends().await {
        let custnum = new_customer(&db.store, "Tofu", "Beast").await;
        let mut tx = db.store.write().await.unwrap();
        definitions(&mut tx).await;
        let home = locations(&mut tx, custnum).await.unwrap()[0].locationnum;
        let away = find_or_insert_location(&mut tx, custnum, &address("9 Warehouse Rd"))
            .await
            .unwrap();

        let fresh = order(&mut tx, &db.store, custnum, home).await;
        assert_eq!(
            change_location(&mut tx, fresh, home, 1_800_000_000)
                .await
                .unwrap(),
            fresh
        );
        assert_eq!(
            change_location(&mut tx, fresh, away, 1_800_000_000)
                .await
                .unwrap(),
            fresh
        );
        assert_eq!(package(&mut tx, fresh).await.unwrap().locationnum, away);

        let billed = order(&mut tx, &db.store, custnum, home).await;
        set_billing_dates(
            &mut tx,
            billed,
            Some(1_700_000_000),
            Some(1_702_592_000),
            Some(1_700_000_000),
        )
        .await
        .unwrap();
        let svcnum = insert_service(
            &mut tx,
            &NewService {
                pkgnum: Some(billed),
                svcpart: 1,
                agent_svcid: "ext-1".into(),
                record: ServiceRecord::Domain(DomainService {
                    domain: "tofu.example".into(),
                    ..DomainService::default()
                }),
            },
        )
        .await
        .unwrap();
        let copy = change_location(&mut tx, billed, away, 1_800_000_000)
            .await
            .unwrap();
        assert_ne!(copy, billed);
        let (old, new) = (
            package(&mut tx, billed).await.unwrap(),
            package(&mut tx, copy).await.unwrap(),
        );
        assert_eq!((old.cancel, old.locationnum), (Some(1_800_000_000), home));
        assert_eq!(
            (
                new.locationnum,
                new.quantity,
                new.setup,
                new.bill,
                new.last_bill,
                new.order_date
            ),
            (away, 2, old.setup, old.bill, old.last_bill, old.order_date)
        );
        assert_eq!(
            (new.change_pkgnum, new.change_date, new.cancel),
            (Some(billed), Some(1_800_000_000), None)
        );
        let change_to: Option<i64> =
            sqlx::query_scalar("SELECT change_to_pkgnum FROM cust_pkg WHERE pkgnum = $1")
                .bind(billed)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        assert_eq!(change_to, Some(copy));
        assert_eq!(details_of(&mut tx, copy).await, ["first", "second"]);
        let services = customer_services(&mut tx, custnum).await.unwrap();
        assert_eq!(services.len(), 1);
        assert_eq!(
            (
                services[0].svcnum,
                services[0].pkgnum,
                services[0].agent_svcid.as_str()
            ),
            (svcnum, copy, "ext-1")
        );

        let refused = change_location(&mut tx, billed, home, 1_800_000_001).await;
        assert!(
            matches!(&refused, Err(bursar_store::Error::Refused(m)) if m == "Cannot change canceled package"),
            "{refused:?}"
        );
        assert!(matches!(
            change_location(&mut tx, 999_999, home, 0).await,
            Err(bursar_store::Error::NotFound)
        ));

        // Home is the customer's and `away` holds packages; only the spare,
        // which nothing uses, gets disabled.
        let spare = find_or_insert_location(&mut tx, custnum, &address("1 Spare St"))
            .await
            .unwrap();
        for locationnum in [home, away, spare] {
            disable_location_if_unused(&mut tx, locationnum)
                .await
                .unwrap();
        }
        let disabled: Vec<(i64, bool)> = locations(&mut tx, custnum)
            .await
            .unwrap()
            .iter()
            .map(|l| (l.locationnum, l.disabled))
            .collect();
        assert_eq!(disabled, [(home, false), (away, false), (spare, true)]);
        tx.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn localities_come_from_the_seeded_table_and_tax_rows() {
    for db in backends().await {
        let mut tx = db.store.write().await.unwrap();
        sqlx::query("INSERT INTO cust_main_county (country, state, county, taxname, tax) VALUES ('US', 'CA', 'ORANGE', 'OC', '1')")
            .execute(&mut *tx)
            .await
            .unwrap();
        // (country, state, county, known)
        let cases = [
            ("US", "CA", "", true),
            ("US", "AA", "", true),
            ("US", "ZZ", "", false),
            ("US", "", "", false),
            ("US", "CA", "Nowhere", false),
            ("US", "CA", "Orange", true),
            ("US", "NV", "Orange", false),
            ("GI", "Anything", "At all", true),
            ("CA", "ON", "", true),
            ("XX", "", "", false),
        ];
        for (country, state, county, known) in cases {
            assert_eq!(
                locality_known(&mut tx, country, state, county)
                    .await
                    .unwrap(),
                known,
                "{}: {country}/{state}/{county}",
                db.name()
            );
        }
        tx.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn identical_addresses_share_one_location() {
    for db in backends().await {
        let custnum = new_customer(&db.store, "Tofu", "Beast").await;
        let mut tx = db.store.write().await.unwrap();
        let first = find_or_insert_location(&mut tx, custnum, &address("2 Same St"))
            .await
            .unwrap();
        let again = find_or_insert_location(&mut tx, custnum, &address("2 Same St"))
            .await
            .unwrap();
        let other = find_or_insert_location(
            &mut tx,
            custnum,
            &Location {
                address2: "Unit 5".into(),
                ..address("2 Same St")
            },
        )
        .await
        .unwrap();
        assert_eq!(first, again);
        assert_ne!(first, other);
        tx.rollback().await.unwrap();
    }
}
