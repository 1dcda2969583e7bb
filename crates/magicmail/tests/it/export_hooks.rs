//! The export's hooks end to end against the emulator: the scenarios of
//! spec 5.6 (first service, second services, master hand-over, last
//! delete, autopurge, re-provisioning, suspend, replace) and the checks of
//! delete, replace and suspend.

use bursar_core::model::PasswordEncoding;
use bursar_magicmail::sim::{Fault, FaultEffect, Snapshot};
use bursar_magicmail::{MailService, Password};

use crate::support::{calls, customer, export, service, sim, strings, ACCT, MAILBOX_PASSWORD};

fn packages(sim: &bursar_magicmail::sim::SimHandle, user: &str) -> Vec<String> {
    sim.state()
        .user(user)
        .map(|u| u.packages.iter().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn first_service_creates_account_master_package_and_address() {
    let sim = sim().await;
    let export = export(&sim, &[]);
    let outcome = export
        .insert(&customer(&[(1, "ada", &["EMAIL"])]), &service(1, "ada"))
        .await
        .unwrap();
    assert_eq!(outcome.account_id, ACCT);
    assert_eq!(outcome.warnings, Vec::<String>::new());
    assert_eq!(
        calls(&sim),
        strings(&[
            "get_account FREESIDE12",
            "add_account FREESIDE12",
            "list_users",
            "add_user ada",
            "get_packages ADA",
            "assign_package ADA package=EMAIL",
            "add_email_address ada@lakeside.example",
            "list_users",
            "get_packages ADA",
        ])
    );
    let state = sim.state();
    let account = state.account(ACCT).unwrap();
    assert_eq!(
        (account.status.as_str(), account.first_name.as_str()),
        ("active", "Ada")
    );
    assert_eq!(account.last_name, "Lovelace");
    let user = state.user("ada").unwrap();
    assert!(user.master);
    assert_eq!(
        (user.first_name.as_str(), user.last_name.as_str()),
        ("Ada King", "Lovelace")
    );
    assert_eq!(
        (user.password.as_str(), user.password_type.as_str()),
        (MAILBOX_PASSWORD, "plain")
    );
    assert_eq!(packages(&sim, "ada"), ["EMAIL"]);
    assert_eq!(state.addresses["ada@lakeside.example"].user, "ADA");
}

#[tokio::test]
async fn a_second_service_gets_the_additional_mailbox() {
    let sim = sim().await;
    let export = export(&sim, &[]);
    let both = customer(&[(1, "ada", &["EMAIL"]), (2, "bob", &["EMAIL"])]);
    export
        .insert(&customer(&[(1, "ada", &["EMAIL"])]), &service(1, "ada"))
        .await
        .unwrap();
    let outcome = export.insert(&both, &service(2, "bob")).await.unwrap();
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    let state = sim.state();
    assert!(!state.user("bob").unwrap().master);
    assert_eq!(packages(&sim, "bob"), ["ADDITIONAL NOCOST MAILBOX"]);
    assert_eq!(packages(&sim, "ada"), ["EMAIL"]);
}

#[tokio::test]
async fn a_second_export_puts_its_package_on_the_master() {
    let sim = sim().await;
    let email = export(&sim, &[]);
    let premium = export(&sim, &[("package", "PREMIUM")]);
    let both = customer(&[(1, "ada", &["EMAIL"]), (2, "bob", &["PREMIUM"])]);
    email
        .insert(&customer(&[(1, "ada", &["EMAIL"])]), &service(1, "ada"))
        .await
        .unwrap();
    sim.clear_log();
    premium.insert(&both, &service(2, "bob")).await.unwrap();
    assert!(calls(&sim).contains(&"assign_package ADA package=PREMIUM".to_string()));
    assert_eq!(packages(&sim, "ada"), ["EMAIL", "PREMIUM"]);
    assert_eq!(packages(&sim, "bob"), ["ADDITIONAL NOCOST MAILBOX"]);

    // Deleting bob takes PREMIUM off the master again (sync, D6), and a
    // non-master is never replaced (B-1).
    sim.clear_log();
    let warnings = premium.delete(&both, &service(2, "bob")).await.unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(!calls(&sim)
        .iter()
        .any(|c| c.starts_with("make_master_user")));
    assert_eq!(packages(&sim, "ada"), ["EMAIL"]);
    assert_eq!(sim.state().user("bob").unwrap().status, "deleted");
    assert_eq!(sim.state().account(ACCT).unwrap().status, "active");
}

#[tokio::test]
async fn deleting_the_master_hands_over_to_the_oldest_other_service() {
    let sim = sim().await;
    let export = export(&sim, &[]);
    let all = customer(&[
        (1, "ada", &["EMAIL"]),
        (3, "carl", &["EMAIL"]),
        (2, "bob", &["EMAIL"]),
    ]);
    for (svcnum, name) in [(1, "ada"), (2, "bob"), (3, "carl")] {
        export.insert(&all, &service(svcnum, name)).await.unwrap();
    }
    sim.clear_log();
    let warnings = export.delete(&all, &service(1, "ada")).await.unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        calls(&sim),
        strings(&[
            "get_user ada",
            "list_users",
            "set_user_status ada status=deleted",
            "make_master_user bob master_user=Y",
            "list_users",
            "get_packages BOB",
            "assign_package BOB package=EMAIL",
            "remove_package BOB package=ADDITIONAL NOCOST MAILBOX",
            "list_users",
        ])
    );
    let state = sim.state();
    assert!(state.user("bob").unwrap().master && !state.user("carl").unwrap().master);
    assert_eq!(packages(&sim, "bob"), ["EMAIL"]);
    assert_eq!(packages(&sim, "carl"), ["ADDITIONAL NOCOST MAILBOX"]);
}

#[tokio::test]
async fn a_master_without_a_local_replacement_only_warns() {
    // B-2: the account has another user (made by hand) but the customer no
    // other service.
    let sim = sim().await;
    sim.set_state(
        Snapshot::default()
            .with_account(ACCT, "active")
            .with_user("ada", ACCT, "active", true, &["EMAIL"])
            .with_user("manual", ACCT, "active", false, &[]),
    );
    let export = export(&sim, &[]);
    let warnings = export
        .delete(&customer(&[(1, "ada", &["EMAIL"])]), &service(1, "ada"))
        .await
        .unwrap();
    assert_eq!(
        warnings,
        strings(&[
            "Cannot find replacement master user for account FREESIDE12",
            "Could not find master user for account FREESIDE12",
        ])
    );
    assert_eq!(sim.state().user("ada").unwrap().status, "deleted");
}

#[tokio::test]
async fn deleting_the_last_service_deletes_the_account() {
    let sim = sim().await;
    let export = export(&sim, &[]);
    let one = customer(&[(1, "ada", &["EMAIL"])]);
    export.insert(&one, &service(1, "ada")).await.unwrap();
    let warnings = export.delete(&one, &service(1, "ada")).await.unwrap();
    assert_eq!(
        warnings,
        strings(&["Could not find master user for account FREESIDE12"])
    );
    let state = sim.state();
    assert_eq!(state.account(ACCT).unwrap().status, "deleted");
    assert_eq!(state.user("ada").unwrap().status, "deleted");
    assert!(
        state.addresses.contains_key("ada@lakeside.example"),
        "E3: kept until purged"
    );

    // Provisioning again reactivates the account (B-18 warning); the old
    // username stays reserved, and the failed insert deletes the account
    // again.
    let before = sim.state();
    let err = export.insert(&one, &service(1, "ada")).await.unwrap_err();
    assert!(
        err.message.starts_with("user.error.exists: "),
        "{}",
        err.message
    );
    assert!(err.is_clean());
    assert_eq!(
        err.warnings,
        strings(&["Reactivating MagicMail account FREESIDE12 (status was deleted)"])
    );
    assert_eq!(sim.state(), before);
    let outcome = export
        .insert(&customer(&[(4, "carl", &["EMAIL"])]), &service(4, "carl"))
        .await
        .unwrap();
    assert_eq!(outcome.warnings.len(), 1);
    let state = sim.state();
    assert_eq!(state.account(ACCT).unwrap().status, "active");
    assert!(
        state.user("carl").unwrap().master,
        "a deleted master does not count"
    );
    assert_eq!(packages(&sim, "carl"), ["EMAIL"]);
}

#[tokio::test]
async fn autopurge_frees_the_username_and_the_account() {
    let sim = sim().await;
    let export = export(&sim, &[("autopurge", "true")]);
    let one = customer(&[(1, "ada", &["EMAIL"])]);
    export.insert(&one, &service(1, "ada")).await.unwrap();
    sim.clear_log();
    export.delete(&one, &service(1, "ada")).await.unwrap();
    assert_eq!(
        calls(&sim),
        strings(&[
            "get_user ada",
            "list_users",
            "set_user_status ada status=deleted",
            "list_users",
            "purge_user ada",
            "list_users",
            "set_account_status FREESIDE12 status=deleted",
            "purge_account FREESIDE12",
        ])
    );
    assert_eq!(sim.state(), Snapshot::default());
    export.insert(&one, &service(1, "ada")).await.unwrap();
    assert!(sim.state().user("ada").unwrap().master);
}

#[tokio::test]
async fn suspend_and_unsuspend_touch_only_the_user() {
    let sim = sim().await;
    let export = export(&sim, &[]);
    let one = customer(&[(1, "ada", &["EMAIL"])]);
    export.insert(&one, &service(1, "ada")).await.unwrap();
    sim.clear_log();
    export.suspend(&one, &service(1, "ada")).await.unwrap();
    assert_eq!(sim.state().user("ada").unwrap().status, "suspended");
    assert_eq!(sim.state().account(ACCT).unwrap().status, "active");
    export.unsuspend(&one, &service(1, "ada")).await.unwrap();
    assert_eq!(sim.state().user("ada").unwrap().status, "active");
    assert_eq!(
        calls(&sim),
        strings(&[
            "get_user ada",
            "set_user_status ada status=suspended",
            "get_user ada",
            "set_user_status ada status=active",
        ])
    );
    assert_eq!(packages(&sim, "ada"), ["EMAIL"]);
}

#[tokio::test]
async fn replace_sends_names_and_password_in_their_encoding() {
    let sim = sim().await;
    let export = export(&sim, &[]);
    let one = customer(&[(1, "ada", &["EMAIL"])]);
    let old = service(1, "ada");
    export.insert(&one, &old).await.unwrap();
    let cases = [
        (PasswordEncoding::Plain, "n3w-plain", "n3w-plain", "plain"),
        (PasswordEncoding::LdapPlain, "{PLAIN}n3w", "n3w", "plain"),
        (
            PasswordEncoding::CryptDes,
            "abJnggxhB/yWI",
            "abJnggxhB/yWI",
            "encrypted",
        ),
        (
            PasswordEncoding::CryptMd5,
            "$1$saltsalt$qjQ1zW3o7mvP5s3YJ0l8S.",
            "$1$saltsalt$qjQ1zW3o7mvP5s3YJ0l8S.",
            "encrypted",
        ),
        (
            PasswordEncoding::LdapCrypt,
            "{CRYPT}abJnggxhB/yWI",
            "abJnggxhB/yWI",
            "encrypted",
        ),
    ];
    for (encoding, stored, sent, kind) in cases {
        let new = MailService {
            finger: "Augusta Ada".into(),
            password: Password::new(stored),
            password_encoding: encoding,
            ..old.clone()
        };
        export.replace(&one, &old, &new).await.unwrap();
        let user = sim.state().user("ada").unwrap().clone();
        assert_eq!(
            (user.password.as_str(), user.password_type.as_str()),
            (sent, kind),
            "{encoding:?}"
        );
        assert_eq!(
            (user.first_name.as_str(), user.last_name.as_str()),
            ("Augusta", "Ada")
        );
    }
    // An empty finger clears the names (B-10).
    let cleared = MailService {
        finger: String::new(),
        ..old.clone()
    };
    export.replace(&one, &old, &cleared).await.unwrap();
    assert_eq!(sim.state().user("ada").unwrap().first_name, "");
}

#[tokio::test]
async fn refused_changes_make_no_call() {
    let sim = sim().await;
    let export = export(&sim, &[]);
    let one = customer(&[(1, "ada", &["EMAIL"])]);
    let old = service(1, "ada");
    let renamed = MailService {
        username: "adah".into(),
        ..old.clone()
    };
    let moved = MailService {
        domain: "other.example".into(),
        ..old.clone()
    };
    let sha512 = MailService {
        password: Password::new("$6$salt$hash"),
        password_encoding: PasswordEncoding::CryptSha512,
        ..old.clone()
    };
    let ssha = MailService {
        password: Password::new("{SSHA}abc"),
        password_encoding: PasswordEncoding::LdapSsha,
        ..old.clone()
    };
    let err = export.replace(&one, &old, &renamed).await.unwrap_err();
    assert_eq!(err.message, "Cannot change username on a magicmail account");
    let err = export.replace(&one, &old, &moved).await.unwrap_err();
    assert_eq!(err.message, "Cannot change domain on a magicmail account");
    let err = export.replace(&one, &old, &sha512).await.unwrap_err();
    assert_eq!(
        err.message,
        "password encoding crypt-sha512 not supported by MagicMail"
    );
    let err = export.insert(&one, &ssha).await.unwrap_err();
    assert_eq!(
        err.message,
        "password encoding ldap-ssha not supported by MagicMail"
    );
    assert!(sim.log().is_empty());
}

#[tokio::test]
async fn delete_skips_a_missing_user_but_fails_on_other_errors() {
    let sim = sim().await;
    let export = export(&sim, &[]);
    let one = customer(&[(1, "ada", &["EMAIL"])]);
    let warnings = export.delete(&one, &service(1, "ada")).await.unwrap();
    assert_eq!(
        warnings,
        strings(&["Could not remove user from magicmail, username ada not retrievable"])
    );

    export.insert(&one, &service(1, "ada")).await.unwrap();
    let before = sim.state();
    sim.add_fault(Fault::on("get_user", FaultEffect::Close).first(1));
    let err = export.delete(&one, &service(1, "ada")).await.unwrap_err();
    assert!(err.message.starts_with("Bad Response: "), "{}", err.message);
    assert!(err
        .message
        .ends_with("\nCould not remove user from magicmail, username ada not retrievable"));
    assert_eq!(sim.state(), before, "B-4: the mailbox is not orphaned");

    // A user of another customer's account is never touched.
    let other = bursar_magicmail::CustomerFacts {
        custnum: 13,
        ..one.clone()
    };
    let err = export.delete(&other, &service(1, "ada")).await.unwrap_err();
    assert_eq!(
        err.message,
        "Could not remove user from magicmail, account id does not match"
    );
    let err = export
        .suspend(&other, &service(1, "ada"))
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "Could not update user ada, account id does not match"
    );
    let err = export
        .unsuspend(&one, &service(9, "nobody"))
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "Could not update user, username nobody not retrievable"
    );
    assert_eq!(sim.state(), before);
}

#[tokio::test]
async fn the_recorded_account_id_wins_over_a_recomputed_one() {
    let sim = sim().await;
    let agent = export(
        &sim,
        &[("use_agent_custid", "true"), ("account_prefix", "LAKE")],
    );
    let mut facts = customer(&[(1, "ada", &["EMAIL"])]);
    facts.agent_custid = Some("A-77".into());
    let outcome = agent.insert(&facts, &service(1, "ada")).await.unwrap();
    assert_eq!(outcome.account_id, "LAKEA-77");
    // Later the agent id changes (B-11): the recorded id still matches.
    facts.agent_custid = Some("A-78".into());
    let recorded = MailService {
        account_id: Some(outcome.account_id.clone()),
        ..service(1, "ada")
    };
    let err = agent.suspend(&facts, &service(1, "ada")).await.unwrap_err();
    assert_eq!(
        err.message,
        "Could not update user ada, account id does not match"
    );
    agent.suspend(&facts, &recorded).await.unwrap();
    agent.delete(&facts, &recorded).await.unwrap();
    assert_eq!(sim.state().account("LAKEA-77").unwrap().status, "deleted");
}

#[tokio::test]
async fn concurrent_inserts_for_one_customer_take_turns() {
    let sim = sim().await;
    let export = export(&sim, &[]);
    let both = customer(&[(1, "ada", &["EMAIL"]), (2, "bob", &["EMAIL"])]);
    let (ada, bob) = (service(1, "ada"), service(2, "bob"));
    let (a, b) = tokio::join!(export.insert(&both, &ada), export.insert(&both, &bob));
    a.unwrap();
    b.unwrap();
    let state = sim.state();
    let masters = state.users.values().filter(|u| u.master).count();
    assert_eq!(masters, 1);
}
