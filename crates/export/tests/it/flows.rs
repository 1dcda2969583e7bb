//! The service operations end to end against the emulator, on SQLite and
//! PostgreSQL: add, edit, remove, suspend and unsuspend of mail accounts,
//! the master hand-over, reactivation and autopurge (spec 5.6's end-to-end
//! scenarios), with the two sides checked to agree after each step and
//! `export audit` finding no drift.

use bursar_export::accounts::{edit_account, remove_account, set_account_suspended, EditAccount};
use bursar_export::audit::audit;
use bursar_export::ServiceError;
use bursar_store::testing::backends;

use crate::support::{account_of, Env, LEGACY_BOX, MAILBOX, OTHER_DOMAIN, PREMIUM_BOX};

async fn assert_no_drift(env: &Env, label: &str) {
    for export in ["mail", "premium"] {
        let drift = audit(env.store(), &env.registry, export, false)
            .await
            .unwrap();
        assert!(
            drift.is_empty(),
            "{} / {label}: audit of {export}: {drift:?}",
            env.name()
        );
    }
}

#[tokio::test]
async fn first_and_further_services_share_one_account_and_one_master() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        let ada = env.add(pkgnum, MAILBOX, "ada").await.unwrap();
        let state = env.sim.state();
        let user = state.user("ada").unwrap();
        assert!(user.master && user.status == "active");
        assert_eq!(user.packages.iter().collect::<Vec<_>>(), ["EMAIL"]);
        assert_eq!(
            (user.first_name.as_str(), user.last_name.as_str()),
            ("Ada", "Tester")
        );
        assert_eq!(user.password_type, "encrypted");
        assert!(
            user.password.starts_with("$1$"),
            "crypt-md5 is sent as stored"
        );
        assert_eq!(
            state.account(&account_of(custnum)).unwrap().first_name,
            "Ada"
        );
        env.assert_consistent(custnum, "first").await;

        // A second mailbox: not master, the additional no-cost package.
        let bob = env.add(pkgnum, MAILBOX, "bob").await.unwrap();
        assert!(bob > ada);
        let state = env.sim.state();
        let bob_user = state.user("bob").unwrap();
        assert!(!bob_user.master);
        assert_eq!(
            bob_user.packages.iter().collect::<Vec<_>>(),
            ["ADDITIONAL NOCOST MAILBOX"]
        );
        // A premium mailbox on the sibling export: the master gains PREMIUM.
        env.add(pkgnum, PREMIUM_BOX, "cyd").await.unwrap();
        let master = env.sim.state().user("ada").unwrap().packages.clone();
        assert_eq!(master.into_iter().collect::<Vec<_>>(), ["EMAIL", "PREMIUM"]);
        env.assert_consistent(custnum, "three").await;
        assert_no_drift(&env, "three").await;
        assert_eq!(env.drain().await, vec![], "nothing was left to repair");
    }
}

#[tokio::test]
async fn edits_change_password_and_names_and_refuse_username_and_domain_changes() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        let ada = env.add(pkgnum, MAILBOX, "ada").await.unwrap();
        let before = env.sim.state().user("ada").unwrap().password.clone();
        let change = EditAccount {
            password: Some("n3w-pass".into()),
            finger: Some("Augusta Ada King".into()),
            ..EditAccount::default()
        };
        edit_account(env.store(), &env.registry, ada, &change)
            .await
            .unwrap();
        let user = env.sim.state().user("ada").unwrap().clone();
        assert_ne!(user.password, before);
        assert_eq!(
            (user.first_name.as_str(), user.last_name.as_str()),
            ("Augusta Ada", "King")
        );
        env.assert_consistent(custnum, "edited").await;

        let local = env.local_rows(custnum).await;
        let remote = env.sim.state();
        for (change, message) in [
            (
                EditAccount {
                    username: Some("ada2".into()),
                    ..EditAccount::default()
                },
                "mail: Cannot change username on a magicmail account",
            ),
            (
                EditAccount {
                    domain: Some(OTHER_DOMAIN.into()),
                    ..EditAccount::default()
                },
                "mail: Cannot change domain on a magicmail account",
            ),
        ] {
            let err = edit_account(env.store(), &env.registry, ada, &change)
                .await
                .unwrap_err();
            assert!(
                matches!(&err, ServiceError::Export(m) if m == message),
                "{err:?}"
            );
            assert_eq!(
                env.local_rows(custnum).await,
                local,
                "{message}: nothing changed here"
            );
            assert_eq!(env.sim.state(), remote, "{message}: nor there");
        }
        env.drain().await;
        assert_eq!(env.sim.state(), remote, "the verification changed nothing");
        env.assert_consistent(custnum, "refused edits").await;
    }
}

#[tokio::test]
async fn suspend_and_unsuspend_one_service() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        let ada = env.add(pkgnum, MAILBOX, "ada").await.unwrap();
        env.add(pkgnum, MAILBOX, "bob").await.unwrap();
        set_account_suspended(env.store(), &env.registry, ada, true)
            .await
            .unwrap();
        assert_eq!(env.sim.state().user("ada").unwrap().status, "suspended");
        assert_eq!(env.sim.state().user("bob").unwrap().status, "active");
        env.assert_consistent(custnum, "suspended").await;
        assert_no_drift(&env, "suspended").await;
        // Again: nothing to do, no call made.
        env.sim.clear_log();
        set_account_suspended(env.store(), &env.registry, ada, true)
            .await
            .unwrap();
        assert_eq!(env.sim.calls(), Vec::<String>::new());
        set_account_suspended(env.store(), &env.registry, ada, false)
            .await
            .unwrap();
        assert_eq!(
            env.sim.calls(),
            ["get_user ada", "set_user_status ada status=active"]
        );
        env.assert_consistent(custnum, "unsuspended").await;
        assert_no_drift(&env, "unsuspended").await;
    }
}

#[tokio::test]
async fn removing_hands_the_master_over_and_the_last_removal_deletes_the_account() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        let ada = env.add(pkgnum, MAILBOX, "ada").await.unwrap();
        let bob = env.add(pkgnum, MAILBOX, "bob").await.unwrap();
        let cyd = env.add(pkgnum, MAILBOX, "cyd").await.unwrap();
        // The master goes: the lowest remaining service number takes over,
        // with the master's packages and without its no-cost one.
        remove_account(env.store(), &env.registry, ada)
            .await
            .unwrap();
        let state = env.sim.state();
        assert_eq!(state.user("ada").unwrap().status, "deleted");
        let new_master = state.user("bob").unwrap();
        assert!(new_master.master);
        assert_eq!(new_master.packages.iter().collect::<Vec<_>>(), ["EMAIL"]);
        env.assert_consistent(custnum, "hand-over").await;
        // A non-master goes.
        remove_account(env.store(), &env.registry, cyd)
            .await
            .unwrap();
        env.assert_consistent(custnum, "non-master").await;
        // The last one: the account is deleted (package sync warns that the
        // emptied account has no master; the resync finds nothing to do).
        remove_account(env.store(), &env.registry, bob)
            .await
            .unwrap();
        let reports = env.drain().await;
        assert!(reports.iter().all(|r| r.status == "done"), "{reports:?}");
        let state = env.sim.state();
        assert_eq!(
            state.account(&account_of(custnum)).unwrap().status,
            "deleted"
        );
        assert_eq!(state.user("bob").unwrap().status, "deleted");
        env.assert_consistent(custnum, "last").await;
        assert_no_drift(&env, "last").await;

        // Provisioning again reactivates the account; the old usernames stay
        // taken until purged: refused, and the account goes back to deleted.
        let snapshot = env.sim.state();
        let err = env.add(pkgnum, MAILBOX, "bob").await.unwrap_err();
        assert!(
            matches!(&err, ServiceError::Export(m) if m.starts_with("mail: user.error.exists")),
            "{err:?}"
        );
        env.drain().await;
        assert_eq!(env.sim.state(), snapshot);
        env.add(pkgnum, MAILBOX, "dot").await.unwrap();
        env.drain().await;
        assert_eq!(
            env.sim
                .state()
                .account(&account_of(custnum))
                .unwrap()
                .status,
            "active"
        );
        assert!(env.sim.state().user("dot").unwrap().master);
        env.assert_consistent(custnum, "reactivated").await;
    }
}

#[tokio::test]
async fn autopurge_frees_the_username_at_once() {
    for db in backends().await {
        let env = Env::with_options(db, &[("autopurge", "true")]).await;
        let (custnum, pkgnum) = env.customer().await;
        let ada = env.add(pkgnum, MAILBOX, "ada").await.unwrap();
        remove_account(env.store(), &env.registry, ada)
            .await
            .unwrap();
        env.drain().await;
        let state = env.sim.state();
        assert!(
            state.user("ada").is_none() && state.account(&account_of(custnum)).is_none(),
            "{state:#?}"
        );
        env.add(pkgnum, MAILBOX, "ada").await.unwrap();
        env.drain().await;
        env.assert_consistent(custnum, "re-added").await;
    }
}

#[tokio::test]
async fn a_des_password_travels_as_its_crypt_string() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        env.add(pkgnum, LEGACY_BOX, "ada").await.unwrap();
        let user = env.sim.state().user("ada").unwrap().clone();
        assert_eq!(
            (user.password.len(), user.password_type.as_str()),
            (13, "encrypted")
        );
        env.assert_consistent(custnum, "des").await;
    }
}
