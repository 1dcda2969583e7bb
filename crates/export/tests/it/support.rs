//! Shared helpers: a database (SQLite or PostgreSQL) whose catalog points
//! at an in-process MagicMail emulator, customers with a package, stepping
//! the job queue, and the check that the two sides agree.
//!
//! The catalog: exports `mail` (package `EMAIL`) and `premium` (package
//! `PREMIUM`) on the same emulator, so they share accounts; service
//! definitions 1 "Mailbox" (`mail`, crypt-md5), 2 "Premium mailbox"
//! (`premium`, crypt-md5) and 3 "Legacy mailbox" (`mail`, crypt-des); and
//! package definition 1 with three of 1, two of 2 and one of 3.

use std::collections::{BTreeMap, BTreeSet};

use bursar_core::frequency::Frequency;
use bursar_core::model::{
    Customer, ExportDef, Location, PackageDef, PackageService, PasswordEncoding, ServiceDef,
    SvcTable,
};
use bursar_core::Money;
use bursar_export::accounts::{add_account, AddAccount};
use bursar_export::queue::{run_once, JobReport};
use bursar_export::{Registry, ServiceError};
use bursar_magicmail::sim::{spawn, SimConfig, SimHandle, Snapshot};
use bursar_store::catalog::Catalog;
use bursar_store::customer::{insert_customer, NewCustomer};
use bursar_store::package::{order_package, NewPackage};
use bursar_store::service;
use bursar_store::testing::TestDb;
use bursar_store::Store;
use sqlx::Row;

/// Service definition on export `mail` (package `EMAIL`).
pub const MAILBOX: i64 = 1;
/// Service definition on export `premium` (package `PREMIUM`).
pub const PREMIUM_BOX: i64 = 2;
/// Service definition on `mail` with DES crypt passwords.
pub const LEGACY_BOX: i64 = 3;
/// The package every test customer orders.
pub const MAIL_PACKAGE: i64 = 1;
/// The mail domain of every definition.
pub const DOMAIN: &str = "lakeside.example";
/// A second domain of every definition (not visible to the emulator's client).
pub const OTHER_DOMAIN: &str = "lakeside.test";
/// A password every encoding holds.
pub const PASSWORD: &str = "Sup3rpw";

/// A database, an emulator and the registry of export instances.
pub struct Env {
    /// The database.
    pub db: TestDb,
    /// The emulator both exports point at.
    pub sim: SimHandle,
    /// This "process's" export instances.
    pub registry: Registry,
}

/// Export options reaching `sim` over plain HTTP with short timeouts.
pub fn options(sim: &SimHandle, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut options: BTreeMap<String, String> = [
        ("host", "127.0.0.1".to_string()),
        ("port", sim.addr().port().to_string()),
        ("client_id", "bursar".to_string()),
        ("client_password", "s3cret".to_string()),
        ("scheme", "http".to_string()),
        ("timeout_secs", "2".to_string()),
        ("connect_timeout_secs", "2".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        options.insert(k.to_string(), v.to_string());
    }
    options
}

/// The test catalog with `extra` options on both exports.
pub fn catalog(sim: &SimHandle, extra: &[(&str, &str)]) -> Catalog {
    let export = |name: &str, package: &str| {
        let mut options = options(sim, extra);
        options.insert("package".into(), package.into());
        ExportDef {
            exportnum: 0,
            name: name.into(),
            export_type: "magicmail".into(),
            options,
        }
    };
    let service_def = |svcpart: i64, svc: &str, export: &str, encoding| ServiceDef {
        svcpart,
        svc: svc.into(),
        table: SvcTable::SvcAcct,
        exports: vec![export.into()],
        domains: vec![DOMAIN.into(), OTHER_DOMAIN.into()],
        password_encoding: encoding,
        disabled: false,
    };
    Catalog {
        agents: vec![],
        advertising_sources: vec![],
        taxes: vec![],
        exports: vec![export("mail", "EMAIL"), export("premium", "PREMIUM")],
        service_defs: vec![
            service_def(MAILBOX, "Mailbox", "mail", PasswordEncoding::CryptMd5),
            service_def(
                PREMIUM_BOX,
                "Premium mailbox",
                "premium",
                PasswordEncoding::CryptMd5,
            ),
            service_def(
                LEGACY_BOX,
                "Legacy mailbox",
                "mail",
                PasswordEncoding::CryptDes,
            ),
        ],
        package_defs: vec![PackageDef {
            pkgpart: MAIL_PACKAGE,
            pkg: "Mail".into(),
            comment: String::new(),
            setup_fee: Money::from_cents(0),
            recur_fee: Money::from_cents(1000),
            freq: Frequency::Months(1),
            taxable: true,
            prorate_day: None,
            disabled: false,
            services: vec![
                PackageService {
                    svcpart: MAILBOX,
                    quantity: 3,
                },
                PackageService {
                    svcpart: PREMIUM_BOX,
                    quantity: 2,
                },
                PackageService {
                    svcpart: LEGACY_BOX,
                    quantity: 1,
                },
            ],
        }],
    }
}

impl Env {
    /// A fresh emulator and the test catalog on `db`.
    pub async fn new(db: TestDb) -> Env {
        Env::with_options(db, &[]).await
    }

    /// As [`Env::new`] with extra export options (e.g. `autopurge`).
    pub async fn with_options(db: TestDb, extra: &[(&str, &str)]) -> Env {
        let (_, sim) = spawn(SimConfig::default()).await.expect("emulator starts");
        db.store
            .apply_catalog(&catalog(&sim, extra))
            .await
            .expect("catalog applies");
        Env {
            db,
            sim,
            registry: Registry::new(),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.db.store
    }

    /// `sqlite` or `postgres`, for messages.
    pub fn name(&self) -> &'static str {
        self.db.name()
    }

    /// Starts over: the emulator empty, no mail service and no job here
    /// (customers and packages stay; the next test customer gets a fresh
    /// account id).
    pub async fn reset(&self) {
        self.sim.reset();
        let mut tx = self.store().write().await.unwrap();
        for sql in [
            "DELETE FROM export_job",
            "DELETE FROM svc_export_state",
            "DELETE FROM svc_acct",
            "DELETE FROM cust_svc WHERE pkgnum IS NOT NULL",
        ] {
            sqlx::query(sql).execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }

    /// A new customer "Ada Lovelace" with the mail package; (custnum, pkgnum).
    pub async fn customer(&self) -> (i64, i64) {
        let store = self.store();
        let usernum = store.api_usernum().await.unwrap();
        let new = NewCustomer {
            customer: Customer {
                agentnum: 1,
                refnum: 1,
                usernum,
                first: "Ada".into(),
                last: "Lovelace".into(),
                signupdate: 1_700_000_000,
                ..Customer::default()
            },
            bill_location: Location {
                address1: "1 Lake Road".into(),
                city: "Lakeside".into(),
                state: "CA".into(),
                zip: "54321".into(),
                country: "US".into(),
                ..Location::default()
            },
            ..NewCustomer::default()
        };
        let mut tx = store.write().await.unwrap();
        let custnum = insert_customer(&mut tx, store, &new).await.unwrap();
        let locationnum: i64 =
            sqlx::query("SELECT bill_locationnum FROM cust_main WHERE custnum = $1")
                .bind(custnum)
                .fetch_one(&mut *tx)
                .await
                .unwrap()
                .get(0);
        let pkgnum = order_package(
            &mut tx,
            &NewPackage {
                custnum,
                pkgpart: MAIL_PACKAGE,
                locationnum,
                quantity: 1,
                order_date: 1_700_000_000,
                start_date: None,
                contract_end: None,
                usernum,
                details: vec![],
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        (custnum, pkgnum)
    }

    /// Adds `username` on definition `svcpart` to package `pkgnum`.
    pub async fn add(
        &self,
        pkgnum: i64,
        svcpart: i64,
        username: &str,
    ) -> Result<i64, ServiceError> {
        let request = AddAccount {
            pkgnum,
            svcpart,
            username: username.into(),
            domain: None,
            password: PASSWORD.into(),
            finger: format!("{} Tester", capitalised(username)),
        };
        add_account(self.store(), &self.registry, &request).await
    }

    /// Steps the queue until nothing is due; returns what it did.
    pub async fn drain(&self) -> Vec<JobReport> {
        let mut reports = Vec::new();
        let now = bursar_export::now() + 1;
        while let Some(report) = run_once(self.store(), &self.registry, now)
            .await
            .expect("the queue runs")
        {
            reports.push(report);
            assert!(
                reports.len() < 200,
                "the queue does not settle: {reports:?}"
            );
        }
        reports
    }

    /// Jobs that are not done (queued, running or dead), as `action status error`.
    pub async fn unfinished_jobs(&self) -> Vec<String> {
        self.store()
            .list_jobs(None, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.status != "done")
            .map(|j| format!("{} {} {} {}", j.jobnum, j.action, j.status, j.last_error))
            .collect()
    }

    /// The local rows of a customer's services, for "nothing changed"
    /// assertions: services, accounts (password included), recorded remote
    /// ids and the package's dates.
    pub async fn local_rows(&self, custnum: i64) -> Vec<String> {
        let mut tx = self.store().read().await.unwrap();
        let queries = [
            "SELECT s.svcnum, s.pkgnum, s.svcpart, a.username, a.domsvc, a.password, a.finger, COALESCE(a.susp, -1) \
             FROM cust_svc s JOIN svc_acct a ON a.svcnum = s.svcnum JOIN cust_pkg p ON p.pkgnum = s.pkgnum \
             WHERE p.custnum = $1 ORDER BY s.svcnum",
            "SELECT e.svcnum, e.exportnum, e.remote_id, '', '', '', '', 0 FROM svc_export_state e \
             JOIN cust_svc s ON s.svcnum = e.svcnum JOIN cust_pkg p ON p.pkgnum = s.pkgnum \
             WHERE p.custnum = $1 ORDER BY e.svcnum, e.exportnum",
            "SELECT pkgnum, COALESCE(susp, -1), COALESCE(cancel, -1), 0, 0, '', '', 0 FROM cust_pkg WHERE custnum = $1 ORDER BY pkgnum",
        ];
        let mut rows = Vec::new();
        for (idx, sql) in queries.iter().enumerate() {
            for row in sqlx::query(sql)
                .bind(custnum)
                .fetch_all(&mut *tx)
                .await
                .unwrap()
            {
                let text: Vec<String> = (0..row.len())
                    .map(|col| {
                        row.try_get::<i64, _>(col)
                            .map(|v| v.to_string())
                            .or_else(|_| row.try_get::<String, _>(col))
                            .unwrap_or_default()
                    })
                    .collect();
                rows.push(format!("{idx}: {}", text.join(" ")));
            }
        }
        tx.rollback().await.unwrap();
        rows
    }

    /// Asserts that the customer's services here and the emulator agree:
    /// every service has a live user in the customer's account with the
    /// status, password and address the database says; every live user of
    /// the account has a service here; an account with services is active
    /// with exactly one master holding the packages its services want; an
    /// account without any is not active; no job is left queued or dead.
    pub async fn assert_consistent(&self, custnum: i64, label: &str) {
        let label = format!("{} / {label}", self.name());
        let unfinished = self.unfinished_jobs().await;
        assert!(
            unfinished.is_empty(),
            "{label}: unfinished jobs {unfinished:?}"
        );
        let state = self.sim.state();
        let account_id = format!("FREESIDE{custnum}");
        let mut tx = self.store().read().await.unwrap();
        let locals = service::accounts_of_customer(&mut tx, custnum)
            .await
            .unwrap();
        let mut wanted_packages = BTreeSet::new();
        for local in &locals {
            let exports = service::exports_of_svcpart(&mut tx, self.store(), local.svcpart)
                .await
                .unwrap();
            for export in &exports {
                wanted_packages.insert(export.options["package"].clone());
                let recorded = service::remote_id(&mut tx, local.svcnum, export.exportnum)
                    .await
                    .unwrap();
                assert_eq!(
                    recorded.as_deref(),
                    Some(account_id.as_str()),
                    "{label}: remote id of {}",
                    local.username
                );
            }
            let user = state.user(&local.username).unwrap_or_else(|| {
                panic!(
                    "{label}: service {} has no user remotely\n{state:#?}",
                    local.username
                )
            });
            let want = if local.suspended {
                "suspended"
            } else {
                "active"
            };
            assert_eq!(user.status, want, "{label}: status of {}", local.username);
            assert!(
                user.account.eq_ignore_ascii_case(&account_id),
                "{label}: account of {}",
                local.username
            );
            assert_eq!(
                user.password, local.password,
                "{label}: password of {}",
                local.username
            );
            let address = format!("{}@{}", local.username, local.domain);
            let found = state.addresses.get(&address).map(|a| a.user.as_str());
            assert_eq!(found, Some(user.id.as_str()), "{label}: address {address}");
        }
        tx.rollback().await.unwrap();
        let local_names: BTreeSet<String> = locals
            .iter()
            .map(|a| a.username.to_ascii_uppercase())
            .collect();
        let live: Vec<_> = state
            .users
            .values()
            .filter(|u| {
                u.status != "deleted"
                    && (u.account.eq_ignore_ascii_case(&account_id) || local_names.contains(&u.id))
            })
            .collect();
        for user in &live {
            assert!(
                local_names.contains(&user.id),
                "{label}: user {} has no service here\n{state:#?}",
                user.id
            );
        }
        let account = state.account(&account_id);
        if locals.is_empty() {
            assert!(
                account.is_none_or(|a| a.status != "active"),
                "{label}: account left active\n{state:#?}"
            );
            return;
        }
        let account = account.unwrap_or_else(|| panic!("{label}: no account {account_id}"));
        assert_eq!(account.status, "active", "{label}: account status");
        let masters: Vec<_> = live.iter().filter(|u| u.master).collect();
        assert_eq!(masters.len(), 1, "{label}: masters {masters:#?}");
        let held: BTreeSet<String> = masters[0].packages.iter().cloned().collect();
        assert_eq!(
            held, wanted_packages,
            "{label}: packages of master {}",
            masters[0].id
        );
        for user in live.iter().filter(|u| !u.master) {
            assert!(
                user.packages.is_disjoint(&wanted_packages),
                "{label}: non-master {} holds {:?}",
                user.id,
                user.packages
            );
        }
    }
}

/// `ada` → `Ada`.
pub fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The account id of customer `custnum`.
pub fn account_of(custnum: i64) -> String {
    format!("FREESIDE{custnum}")
}

/// The emulator's state with a deleted or suspended account for
/// `custnum` whose former master `old` is deleted (spec 5.6's Dl and S).
pub fn inactive_account(custnum: i64, status: &str) -> Snapshot {
    let account = account_of(custnum);
    Snapshot::default()
        .with_account(&account, status)
        .with_user("old", &account, "deleted", true, &["EMAIL"])
}
