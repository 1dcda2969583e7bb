//! Bad input gets a clear error and changes nothing on either side: export
//! options missing or malformed (refused when the catalog is applied), a
//! password encoding the export cannot send, a username refused here or
//! by the platform, a username taken here or on the platform (one
//! namespace for the whole server), a password the encoding cannot hold,
//! and operations on what does not exist or is suspended or cancelled.

use bursar_core::model::PasswordEncoding;
use bursar_export::accounts::{add_account, set_account_suspended, AddAccount};
use bursar_export::packages::{change_package, PackageAction};
use bursar_export::ServiceError;
use bursar_magicmail::sim::{Fault, FaultEffect};
use bursar_store::testing::{backends, sqlite};

use crate::support::{catalog, Env, LEGACY_BOX, MAILBOX, OTHER_DOMAIN, PASSWORD};

fn refused(result: Result<impl std::fmt::Debug, ServiceError>) -> String {
    match result {
        Err(ServiceError::Refused(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn export_options_are_checked_when_the_catalog_is_applied() {
    let env = Env::new(sqlite().await).await;
    let before = env.store().catalog_snapshot().await.unwrap();
    let cases: [(&str, Option<&str>, &str); 4] = [
        (
            "client_password",
            None,
            "export mail: missing required option client_password",
        ),
        (
            "port",
            Some("https"),
            "export mail: option port must be a port number 1-65535, not \"https\"",
        ),
        (
            "timeout_secs",
            Some("0"),
            "export mail: option timeout_secs must be a whole number of seconds above 0, not \"0\"",
        ),
        (
            "hots",
            Some("typo.example"),
            "export mail: unknown option hots",
        ),
    ];
    for (option, value, message) in cases {
        let mut bad = catalog(&env.sim, &[]);
        match value {
            Some(value) => bad.exports[0].options.insert(option.into(), value.into()),
            None => bad.exports[0].options.remove(option),
        };
        let err = env.store().apply_catalog(&bad).await.unwrap_err();
        assert_eq!(err.to_string(), message);
        assert_eq!(
            env.store().catalog_snapshot().await.unwrap(),
            before,
            "{option}: nothing applied"
        );
    }
    // A MagicMail export cannot send SHA-512 crypt passwords.
    let mut bad = catalog(&env.sim, &[]);
    bad.service_defs[0].password_encoding = PasswordEncoding::CryptSha512;
    let err = env.store().apply_catalog(&bad).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "service_def 1: password encoding crypt-sha512 not supported by MagicMail"
    );
    assert_eq!(env.store().catalog_snapshot().await.unwrap(), before);
}

#[tokio::test]
async fn bad_usernames_and_passwords_are_refused_before_any_call() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        env.add(pkgnum, MAILBOX, "ada").await.unwrap();
        let local = env.local_rows(custnum).await;
        let remote = env.sim.state();
        env.sim.clear_log();
        let request = |svcpart, username: &str, password: &str| AddAccount {
            pkgnum,
            svcpart,
            username: username.into(),
            domain: None,
            password: password.into(),
            finger: String::new(),
        };
        let cases = [
            (
                request(MAILBOX, "ada lovelace", PASSWORD),
                "Illegal username: ada lovelace",
            ),
            (request(MAILBOX, "-ada", PASSWORD), "Illegal username: -ada"),
            (request(MAILBOX, "x", PASSWORD), "Illegal username: x"),
            (request(MAILBOX, "ADA", PASSWORD), "Username in use"),
            (
                request(LEGACY_BOX, "bob", "nine-char"),
                "Password too long for crypt-des (at most 8 characters)",
            ),
            (request(MAILBOX, "bob", ""), "Illegal password"),
            (request(MAILBOX, "bob", "tab\there"), "Illegal password"),
            (
                AddAccount {
                    domain: Some("elsewhere.example".into()),
                    ..request(MAILBOX, "bob", PASSWORD)
                },
                "Domain elsewhere.example is not available for service definition 1",
            ),
            (request(99, "bob", PASSWORD), "Unknown svcpart 99"),
            (
                AddAccount {
                    pkgnum: 9999,
                    ..request(MAILBOX, "bob", PASSWORD)
                },
                "Unknown pkgnum 9999",
            ),
        ];
        for (request, message) in cases {
            let got = refused(add_account(env.store(), &env.registry, &request).await);
            assert_eq!(got, message, "{}", env.name());
        }
        assert_eq!(env.sim.calls(), Vec::<String>::new(), "nothing was sent");
        assert_eq!(env.local_rows(custnum).await, local);
        assert_eq!(env.sim.state(), remote);
        assert_eq!(env.drain().await, vec![]);
    }
}

#[tokio::test]
async fn a_username_the_platform_refuses_changes_nothing() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        let local = env.local_rows(custnum).await;
        env.sim.add_fault(Fault::on(
            "add_user",
            FaultEffect::api_error(
                "user.error.invalid_username",
                "Username postmaster is reserved",
            ),
        ));
        let err = env.add(pkgnum, MAILBOX, "postmaster").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "mail: user.error.invalid_username: Username postmaster is reserved"
        );
        assert_eq!(env.local_rows(custnum).await, local);
        assert_eq!(
            env.sim.state(),
            Default::default(),
            "the new account was purged"
        );
        env.sim.clear_faults();
        env.drain().await;
        assert_eq!(env.sim.state(), Default::default());
        env.assert_consistent(custnum, "refused username").await;
    }
}

#[tokio::test]
async fn a_username_taken_on_the_platform_changes_nothing_on_either_side() {
    for db in backends().await {
        let env = Env::new(db).await;
        // Customer 1's ada@lakeside.example holds the name platform-wide.
        let (first, first_pkg) = env.customer().await;
        env.add(first_pkg, MAILBOX, "ada").await.unwrap();
        let remote = env.sim.state();
        // Customer 2 may have ada@lakeside.test here, but not on MagicMail.
        let (second, second_pkg) = env.customer().await;
        let local = env.local_rows(second).await;
        let request = AddAccount {
            pkgnum: second_pkg,
            svcpart: MAILBOX,
            username: "ada".into(),
            domain: Some(OTHER_DOMAIN.into()),
            password: PASSWORD.into(),
            finger: String::new(),
        };
        let err = add_account(env.store(), &env.registry, &request)
            .await
            .unwrap_err();
        assert!(
            err.to_string().starts_with("mail: user.error.exists: "),
            "{err}"
        );
        assert_eq!(env.local_rows(second).await, local);
        assert_eq!(
            env.sim.state(),
            remote,
            "customer 2's new account was purged, customer 1 untouched"
        );
        // The verification of the failed insert leaves customer 1's user alone.
        env.drain().await;
        assert_eq!(env.sim.state(), remote);
        env.assert_consistent(first, "owner").await;
        env.assert_consistent(second, "refused").await;
    }
}

#[tokio::test]
async fn suspended_cancelled_and_unknown_things_are_refused() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        let ada = env.add(pkgnum, MAILBOX, "ada").await.unwrap();
        let (store, registry) = (env.store(), &env.registry);
        change_package(
            store,
            registry,
            pkgnum,
            PackageAction::Suspend,
            1_700_000_100,
        )
        .await
        .unwrap();
        assert_eq!(
            refused(env.add(pkgnum, MAILBOX, "bob").await),
            format!("Package {pkgnum} is suspended")
        );
        assert_eq!(
            refused(set_account_suspended(store, registry, ada, false).await),
            format!("Service {ada} is suspended with package {pkgnum}; unsuspend the package")
        );
        assert_eq!(
            refused(set_account_suspended(store, registry, 9999, true).await),
            "Unknown svcnum 9999"
        );
        assert_eq!(
            refused(change_package(store, registry, 9999, PackageAction::Cancel, 0).await),
            "Unknown pkgnum 9999"
        );
        change_package(
            store,
            registry,
            pkgnum,
            PackageAction::Cancel,
            1_700_000_200,
        )
        .await
        .unwrap();
        assert_eq!(
            refused(change_package(store, registry, pkgnum, PackageAction::Unsuspend, 0).await),
            format!("Package {pkgnum} is cancelled")
        );
        assert_eq!(
            refused(env.add(pkgnum, MAILBOX, "bob").await),
            format!("Package {pkgnum} is cancelled")
        );
        env.drain().await;
        env.assert_consistent(custnum, "after refusals").await;
    }
}
