//! `apply_catalog`: creates, updates, never deletes, and is idempotent.

use std::collections::BTreeMap;

use bursar_core::frequency::Frequency;
use bursar_core::model::{
    AdvertisingSource, Agent, ExportDef, PackageDef, PackageService, PasswordEncoding, ServiceDef,
    SvcTable, TaxRate,
};
use bursar_core::Money;
use bursar_store::catalog::{Catalog, SECRET_PLACEHOLDER};
use bursar_store::testing::backends;
use bursar_store::Error;

fn sample() -> Catalog {
    let options: BTreeMap<String, String> = [
        ("host", "127.0.0.1"),
        ("port", "8443"),
        ("client_id", "bursar"),
        ("client_password", "hunter2"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Catalog {
        agents: vec![Agent {
            agentnum: 2,
            agent: "Resale".into(),
            disabled: false,
        }],
        advertising_sources: vec![AdvertisingSource {
            refnum: 2,
            referral: "Flyer".into(),
            disabled: false,
            agentnum: Some(2),
            title: String::new(),
        }],
        taxes: vec![TaxRate {
            taxnum: 0,
            country: "US".into(),
            state: "CA".into(),
            county: String::new(),
            city: String::new(),
            name: "CA sales tax".into(),
            rate: "7.25".parse().unwrap(),
        }],
        exports: vec![ExportDef {
            exportnum: 0,
            name: "mail".into(),
            export_type: "magicmail".into(),
            options,
        }],
        service_defs: vec![ServiceDef {
            svcpart: 1,
            svc: "Mailbox".into(),
            table: SvcTable::SvcAcct,
            exports: vec!["mail".into()],
            domains: vec!["lakeside.example".into()],
            password_encoding: PasswordEncoding::CryptMd5,
            disabled: false,
        }],
        package_defs: vec![PackageDef {
            pkgpart: 1,
            pkg: "Mail Basic".into(),
            comment: String::new(),
            setup_fee: Money::from_cents(1000),
            recur_fee: Money::from_cents(1995),
            freq: Frequency::Months(1),
            taxable: true,
            prorate_day: None,
            disabled: false,
            services: vec![PackageService {
                svcpart: 1,
                quantity: 1,
            }],
        }],
    }
}

#[tokio::test]
async fn applying_twice_reports_no_changes_the_second_time() {
    for db in backends().await {
        let first = db.store.apply_catalog(&sample()).await.unwrap();
        assert_eq!(first.changes.len(), 6, "{}: {:?}", db.name(), first.changes);
        let second = db.store.apply_catalog(&sample()).await.unwrap();
        assert!(
            second.changes.is_empty(),
            "{}: {:?}",
            db.name(),
            second.changes
        );
        // What `show` prints, applied again, changes nothing either.
        let shown = db.store.catalog_snapshot().await.unwrap();
        assert_eq!(
            shown.exports[0].options["client_password"],
            SECRET_PLACEHOLDER
        );
        let third = db.store.apply_catalog(&shown).await.unwrap();
        assert!(
            third.changes.is_empty(),
            "{}: {:?}",
            db.name(),
            third.changes
        );
        assert_eq!(shown.agents.len(), 2, "init's agent stays");
    }
}

#[tokio::test]
async fn changes_are_reported_and_numbers_continue_above_the_highest() {
    for db in backends().await {
        db.store.apply_catalog(&sample()).await.unwrap();
        let mut changed = sample();
        changed.package_defs[0].recur_fee = Money::from_cents(2495);
        changed.agents.push(Agent {
            agentnum: 7,
            agent: "Seven".into(),
            disabled: false,
        });
        let report = db.store.apply_catalog(&changed).await.unwrap();
        assert_eq!(
            report.changes,
            vec![
                "created agent 7 \"Seven\"".to_string(),
                "changed package_def 1 \"Mail Basic\": recur_fee".to_string()
            ],
            "{}",
            db.name()
        );
        // A generated number continues above 7.
        let mut tx = db.store.write().await.unwrap();
        let next: i64 =
            sqlx::query_scalar("INSERT INTO agent (agent) VALUES ('next') RETURNING agentnum")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        assert_eq!(next, 8, "{}", db.name());
        tx.rollback().await.unwrap();
        let shown = db.store.catalog_snapshot().await.unwrap();
        assert_eq!(shown.package_defs[0].recur_fee.to_string(), "24.95");
        assert_eq!(
            shown.service_defs[0].domains,
            vec!["lakeside.example".to_string()]
        );
    }
}

#[tokio::test]
async fn a_reference_to_something_undefined_applies_nothing() {
    for db in backends().await {
        let mut bad = sample();
        bad.package_defs[0].services.push(PackageService {
            svcpart: 99,
            quantity: 1,
        });
        let error = db.store.apply_catalog(&bad).await.unwrap_err();
        assert!(
            matches!(error, Error::Refused(ref m) if m.contains("svcpart 99")),
            "{error}"
        );
        let shown = db.store.catalog_snapshot().await.unwrap();
        assert_eq!(
            shown.agents.len(),
            1,
            "{}: nothing of the refused catalog is applied",
            db.name()
        );
        assert!(shown.exports.is_empty());
    }
}

#[tokio::test]
async fn export_secrets_are_encrypted_at_rest() {
    for db in backends().await {
        db.store.apply_catalog(&sample()).await.unwrap();
        let mut tx = db.store.read().await.unwrap();
        let stored: String = sqlx::query_scalar(
            "SELECT optionvalue FROM part_export_option WHERE optionname = 'client_password'",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert!(!stored.contains("hunter2"), "{}: {stored}", db.name());
        assert!(stored.starts_with("v1:"));
    }
}
