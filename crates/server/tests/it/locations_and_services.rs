//! location_info and customer_list_svcs (backend spec 8.11, 8.12;
//! checklist 33, 34): exact members, order, unknown customers, secret
//! redaction, and services following a package moved by update_customer.

use std::sync::Arc;

use bursar_core::model::{PasswordEncoding, ServiceDef, SvcTable};
use bursar_rpc::{Reply, ReplyValue};
use bursar_server::backoffice::BackofficeSettings;
use bursar_store::catalog::Catalog;
use bursar_store::service_list::{
    insert_service, AccountService, DomainService, NewService, PhoneService, ServiceRecord,
};

use crate::new_customer::{create, locations};
use crate::support::{apps, member, TestApp, SECRET};
use crate::update_customer::{monthly_package_def, order};

const LOCATION_MEMBERS: [&str; 24] = [
    "locationnum",
    "custnum",
    "prospectnum",
    "locationname",
    "address1",
    "address2",
    "city",
    "county",
    "state",
    "zip",
    "country",
    "latitude",
    "longitude",
    "coord_auto",
    "addr_clean",
    "geocode",
    "district",
    "censustract",
    "censusyear",
    "location_type",
    "location_number",
    "location_kind",
    "incorporated",
    "disabled",
];

#[tokio::test]
async fn location_info_for_an_unknown_customer_is_an_empty_list() {
    for app in apps().await {
        for custnum in ["999999", "", "abc"] {
            let reply = app.call("location_info", &[("custnum", custnum)]).await;
            assert_eq!(member(&reply, "error"), "");
            assert!(
                matches!(reply.get("locations"), Some(ReplyValue::Array(list)) if list.is_empty())
            );
            assert_eq!(reply.len(), 2);
        }
    }
}

#[tokio::test]
async fn location_info_lists_every_field_of_every_location() {
    for app in apps().await {
        let custnum = create(
            &app,
            &[
                ("locationname", "Head office"),
                ("latitude", "37 30"),
                ("censustract", "12345678901"),
                ("location_kind", "B"),
                ("incorporated", "y"),
                ("ship_address1", "9 Warehouse Rd"),
                ("ship_city", "Tofutown"),
                ("ship_state", "CA"),
                ("ship_zip", "54329"),
                ("ship_country", "US"),
            ],
        )
        .await;
        let listed = locations(&app, custnum).await;
        assert_eq!(listed.len(), 2);
        for location in &listed {
            let names: Vec<&str> = location.iter().map(|(name, _)| name).collect();
            assert_eq!(names, LOCATION_MEMBERS);
            assert_eq!(member(location, "custnum"), custnum.to_string());
        }
        let numbers: Vec<i64> = listed
            .iter()
            .map(|l| member(l, "locationnum").parse().unwrap())
            .collect();
        assert!(numbers[0] < numbers[1]);
        let billing: Vec<&str> = LOCATION_MEMBERS[3..]
            .iter()
            .map(|key| member(&listed[0], key))
            .collect();
        assert_eq!(
            billing,
            [
                "Head office",
                "1234 Soybean Ln.",
                "",
                "Tofutown",
                "",
                "CA",
                "54321",
                "US",
                "37.5",
                "",
                "",
                "",
                "",
                "",
                "123456789.01",
                "2020",
                "",
                "",
                "B",
                "Y",
                ""
            ]
        );
        assert_eq!(member(&listed[1], "address1"), "9 Warehouse Rd");
        assert_eq!(member(&listed[1], "locationname"), "");
    }
}

/// A catalog with a mailbox, a domain and a phone service definition
/// (svcparts 1, 2, 3) besides package 1.
async fn service_defs(app: &TestApp) {
    monthly_package_def(app).await;
    let def = |svcpart: i64, svc: &str, table: SvcTable| ServiceDef {
        svcpart,
        svc: svc.into(),
        table,
        exports: vec![],
        domains: vec![],
        password_encoding: PasswordEncoding::CryptMd5,
        disabled: false,
    };
    let catalog = Catalog {
        service_defs: vec![
            def(1, "Mailbox", SvcTable::SvcAcct),
            def(2, "Domain", SvcTable::SvcDomain),
            def(3, "Phone", SvcTable::SvcPhone),
        ],
        ..Catalog::default()
    };
    app.ctx.store.apply_catalog(&catalog).await.unwrap();
}

/// Adds `record` to package `pkgnum`; returns its svcnum.
async fn add_service(app: &TestApp, pkgnum: i64, svcpart: i64, record: ServiceRecord) -> i64 {
    let mut tx = app.ctx.store.write().await.unwrap();
    let svcnum = insert_service(
        &mut tx,
        &NewService {
            pkgnum: Some(pkgnum),
            svcpart,
            agent_svcid: String::new(),
            record,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    svcnum
}

/// `customer_list_svcs` of `custnum`: the `cust_svc` list.
async fn services(app: &TestApp, custnum: i64) -> Vec<Reply> {
    let reply = app
        .call("customer_list_svcs", &[("custnum", &custnum.to_string())])
        .await;
    assert_eq!(reply.len(), 1, "no error member on success: {reply:?}");
    match reply.get("cust_svc") {
        Some(ReplyValue::Array(items)) => items
            .iter()
            .map(|item| match item {
                ReplyValue::Struct(service) => service.clone(),
                other => panic!("service {other:?}"),
            })
            .collect(),
        other => panic!("cust_svc: {other:?}"),
    }
}

/// The members of `reply` as (name, text) pairs.
fn pairs(reply: &Reply) -> Vec<(String, String)> {
    reply
        .iter()
        .map(|(name, _)| (name.to_string(), member(reply, name).to_string()))
        .collect()
}

/// `(name, value)` pairs as owned strings.
fn owned(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn customer_list_svcs_merges_links_and_records_in_package_order() {
    for mut app in apps().await {
        service_defs(&app).await;
        let custnum = create(&app, &[]).await;
        assert!(services(&app, custnum).await.is_empty());

        let first_pkg = order(&app, custnum, false).await;
        let second_pkg = order(&app, custnum, true).await;
        // The phone is inserted first but its package comes second.
        let phone = add_service(
            &app,
            second_pkg,
            3,
            ServiceRecord::Phone(PhoneService {
                countrycode: "1".into(),
                phonenum: "5554443211".into(),
                pin: "4321".into(),
                phone_name: "Tofu".into(),
            }),
        )
        .await;
        let domain = add_service(
            &app,
            first_pkg,
            2,
            ServiceRecord::Domain(DomainService {
                domain: "tofu.example".into(),
                max_accounts: Some(5),
                ..DomainService::default()
            }),
        )
        .await;
        let account = add_service(
            &app,
            first_pkg,
            1,
            ServiceRecord::Account(AccountService {
                username: "tofu".into(),
                domsvc: domain,
                password: "$1$salt$hash".into(),
                password_encoding: "crypt-md5".into(),
                finger: "Tofu Beast".into(),
                quota: String::new(),
            }),
        )
        .await;

        let listed = services(&app, custnum).await;
        let (first, second) = (first_pkg.to_string(), second_pkg.to_string());
        let (domain, account, phone) = (domain.to_string(), account.to_string(), phone.to_string());
        let expected_domain = owned(&[
            ("svcnum", &domain),
            ("pkgnum", &first),
            ("svcpart", "2"),
            ("agent_svcid", ""),
            ("domain", "tofu.example"),
            ("catchall", ""),
            ("parent_svcnum", ""),
            ("registrarnum", ""),
            ("max_accounts", "5"),
        ]);
        let expected_account = owned(&[
            ("svcnum", &account),
            ("pkgnum", &first),
            ("svcpart", "1"),
            ("agent_svcid", ""),
            ("username", "tofu"),
            ("domsvc", &domain),
            ("_password", "$1$salt$hash"),
            ("_password_encoding", "crypt"),
            ("sec_phrase", ""),
            ("popnum", ""),
            ("uid", ""),
            ("gid", ""),
            ("finger", "Tofu Beast"),
            ("dir", ""),
            ("shell", ""),
            ("quota", ""),
            ("slipip", ""),
            ("seconds", ""),
            ("seconds_threshold", ""),
            ("upbytes", ""),
            ("upbytes_threshold", ""),
            ("downbytes", ""),
            ("downbytes_threshold", ""),
            ("totalbytes", ""),
            ("totalbytes_threshold", ""),
        ]);
        let expected_phone = owned(&[
            ("svcnum", &phone),
            ("pkgnum", &second),
            ("svcpart", "3"),
            ("agent_svcid", ""),
            ("countrycode", "1"),
            ("phonenum", "5554443211"),
            ("pin", "4321"),
            ("sip_password", ""),
            ("phone_name", "Tofu"),
            ("domsvc", ""),
            ("locationnum", ""),
            ("forwarddst", ""),
            ("email", ""),
        ]);
        let got: Vec<Vec<(String, String)>> = listed.iter().map(pairs).collect();
        assert_eq!(
            got,
            [expected_domain, expected_account.clone(), expected_phone]
        );

        // Redacted on request.
        let mut settings = BackofficeSettings::new(SECRET);
        settings.redact_service_secrets = true;
        app.ctx.backoffice = Arc::new(settings);
        let listed = services(&app, custnum).await;
        assert_eq!(member(&listed[1], "_password"), "");
        assert_eq!(member(&listed[2], "pin"), "");
        assert_eq!(member(&listed[1], "username"), "tofu");
    }
}

#[tokio::test]
async fn customer_list_svcs_for_an_unknown_customer_is_only_an_error() {
    for app in apps().await {
        for custnum in ["999999", "", "x"] {
            let reply = app
                .call("customer_list_svcs", &[("custnum", custnum)])
                .await;
            assert_eq!(reply.len(), 1, "{reply:?}");
            assert_eq!(member(&reply, "error"), "Unknown custnum");
        }
    }
}

#[tokio::test]
async fn services_follow_a_package_replaced_by_a_service_address_change() {
    for app in apps().await {
        service_defs(&app).await;
        let custnum = create(&app, &[]).await;
        let pkgnum = order(&app, custnum, true).await;
        let domain = add_service(
            &app,
            pkgnum,
            2,
            ServiceRecord::Domain(DomainService {
                domain: "move.example".into(),
                ..DomainService::default()
            }),
        )
        .await;
        let reply = app
            .call(
                "update_customer",
                &[
                    ("custnum", &custnum.to_string()),
                    ("ship_address1", "9 Warehouse Rd"),
                ],
            )
            .await;
        assert_eq!(member(&reply, "error"), "");
        let listed = services(&app, custnum).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(member(&listed[0], "svcnum"), domain.to_string());
        let new_pkgnum: i64 = member(&listed[0], "pkgnum").parse().unwrap();
        assert_ne!(new_pkgnum, pkgnum);
        let details = app.ctx.store.customer_details(custnum).await.unwrap();
        let copy = details
            .packages
            .iter()
            .find(|p| p.pkgnum == new_pkgnum)
            .unwrap();
        assert_eq!(copy.change_pkgnum, Some(pkgnum));
    }
}
