//! Apply-then-fail: the server commits a change and then the reply is lost
//! (timeout, dropped connection) or is an error. Insert re-reads what it
//! cannot be sure of and undoes it only when it landed; the other hooks
//! report `outcome_unknown` and are safe to run again; what cannot be
//! settled is listed in `ExportError::repairs` for the caller to run.

use bursar_magicmail::sim::{Fault, FaultEffect, Snapshot};
use bursar_magicmail::Compensation;

use crate::support::{calls, customer, export, service, sim, strings, ACCT};

fn applied_then(then: FaultEffect) -> FaultEffect {
    FaultEffect::ApplyThenFail {
        then: Box::new(then),
    }
}

#[tokio::test]
async fn a_lost_add_account_reply_is_found_and_undone() {
    let sim = sim().await;
    sim.add_fault(Fault::on("add_account", applied_then(FaultEffect::Hang)));
    let err = export(&sim, &[])
        .insert(&customer(&[]), &service(1, "ada"))
        .await
        .unwrap_err();
    assert_eq!(err.message, "Bad Response: timeout");
    assert!(err.is_clean(), "{err:?}");
    assert_eq!(
        calls(&sim),
        strings(&[
            "get_account FREESIDE12",
            "add_account FREESIDE12",
            "get_account FREESIDE12",
            "purge_account FREESIDE12 force=true",
        ])
    );
    assert_eq!(sim.state(), Snapshot::default());
}

#[tokio::test]
async fn a_lost_add_account_request_is_not_undone() {
    // Dropped before it was applied: the re-read finds nothing to purge.
    let sim = sim().await;
    sim.add_fault(Fault::on("add_account", FaultEffect::Reset));
    let err = export(&sim, &[])
        .insert(&customer(&[]), &service(1, "ada"))
        .await
        .unwrap_err();
    assert!(err.message.starts_with("Bad Response: "), "{}", err.message);
    assert_eq!(calls(&sim).last().unwrap(), "get_account FREESIDE12");
    assert_eq!(sim.state(), Snapshot::default());
}

#[tokio::test]
async fn a_lost_add_user_reply_is_purged_only_when_it_is_ours() {
    let sim = sim().await;
    sim.add_fault(Fault::on("add_user", applied_then(FaultEffect::Close)));
    let err = export(&sim, &[])
        .insert(&customer(&[]), &service(1, "ada"))
        .await
        .unwrap_err();
    assert!(err.is_clean(), "{err:?}");
    assert_eq!(
        calls(&sim)[3..],
        strings(&[
            "add_user ada",
            "get_user ada",
            "purge_user ada force=true",
            "purge_account FREESIDE12 force=true",
        ])
    );
    assert_eq!(sim.state(), Snapshot::default());

    // A same-named user of another account is never purged.
    let other = Snapshot::default()
        .with_account("FREESIDE99", "active")
        .with_user("ada", "FREESIDE99", "active", true, &["EMAIL"]);
    sim.set_state(other.clone());
    sim.clear_log();
    sim.clear_faults();
    sim.add_fault(Fault::on("add_user", FaultEffect::Hang));
    export(&sim, &[])
        .insert(&customer(&[]), &service(1, "ada"))
        .await
        .unwrap_err();
    assert!(!calls(&sim).iter().any(|c| c.starts_with("purge_user")));
    assert_eq!(sim.state(), other);
}

#[tokio::test]
async fn a_lost_assign_reply_is_checked_before_removal() {
    let start = Snapshot::default().with_account(ACCT, "active").with_user(
        "max",
        ACCT,
        "active",
        true,
        &["PREMIUM"],
    );
    let sim = sim().await;
    sim.set_state(start.clone());
    sim.add_fault(Fault::on(
        "assign_package",
        applied_then(FaultEffect::Reset),
    ));
    let err = export(&sim, &[])
        .insert(&customer(&[(1, "max", &["PREMIUM"])]), &service(2, "ada"))
        .await
        .unwrap_err();
    assert!(err.is_clean(), "{err:?}");
    assert_eq!(
        calls(&sim)[3..],
        strings(&[
            "assign_package MAX package=EMAIL",
            "get_packages MAX",
            "remove_package MAX package=EMAIL",
        ])
    );
    assert_eq!(sim.state(), start);
}

#[tokio::test]
async fn a_lost_address_reply_goes_with_the_user() {
    let sim = sim().await;
    sim.add_fault(Fault::on(
        "add_email_address",
        applied_then(FaultEffect::Close),
    ));
    let err = export(&sim, &[])
        .insert(&customer(&[]), &service(1, "ada"))
        .await
        .unwrap_err();
    assert!(err.is_clean(), "{err:?}");
    assert_eq!(sim.state(), Snapshot::default());
}

#[tokio::test]
async fn an_applied_activation_is_restored() {
    let start = Snapshot::default().with_account(ACCT, "deleted");
    let sim = sim().await;
    sim.set_state(start.clone());
    sim.add_fault(Fault::on("set_account_status", applied_then(FaultEffect::Hang)).first(1));
    let err = export(&sim, &[])
        .insert(&customer(&[]), &service(1, "ada"))
        .await
        .unwrap_err();
    assert!(err.is_clean(), "{err:?}");
    assert_eq!(
        calls(&sim)[1..],
        strings(&[
            "set_account_status FREESIDE12 status=active",
            "set_account_status FREESIDE12 status=deleted",
        ])
    );
    assert_eq!(sim.state(), start);
}

#[tokio::test]
async fn an_applied_add_user_answered_with_an_error_is_reported_by_an_audit_only() {
    // An API error is definite by protocol, so the export trusts it: a
    // server that applied the call anyway leaves a user behind, which only
    // an audit of the account (or a later insert failing with
    // user.error.exists) reveals. The error is what the caller sees.
    let start = Snapshot::default().with_account(ACCT, "active").with_user(
        "max",
        ACCT,
        "active",
        true,
        &["EMAIL"],
    );
    let sim = sim().await;
    sim.set_state(start.clone());
    sim.add_fault(Fault::on(
        "add_user",
        applied_then(FaultEffect::api_error(
            "sim.error.injected",
            "applied anyway",
        )),
    ));
    let err = export(&sim, &[])
        .insert(&customer(&[(1, "max", &["EMAIL"])]), &service(2, "ada"))
        .await
        .unwrap_err();
    assert_eq!(err.message, "sim.error.injected: applied anyway");
    assert!(err.is_clean());
    let state = sim.state();
    assert_eq!(state.user("ada").unwrap().account, ACCT, "left behind");
    // The repair an audit would queue: purge the stray user of this account.
    let repair = Compensation::PurgeUser {
        username: "ada".into(),
        account: ACCT.into(),
    };
    export(&sim, &[]).compensate(&repair).await.unwrap();
    assert_eq!(sim.state(), start);
}

#[tokio::test]
async fn a_lost_compensation_is_left_for_the_queue() {
    let sim = sim().await;
    sim.add_fault(Fault::on(
        "add_email_address",
        FaultEffect::api_error("x", "y"),
    ));
    sim.add_fault(Fault::on("purge_account", applied_then(FaultEffect::Hang)).first(1));
    sim.add_fault(Fault::on("purge_user", FaultEffect::Hang).first(1));
    let export = export(&sim, &[]);
    let err = export
        .insert(&customer(&[]), &service(1, "ada"))
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "x: y\nBad Response: timeout\nBad Response: timeout"
    );
    assert_eq!(err.repairs.len(), 2);
    // The account purge did land (cascading to the user); the queue's
    // repairs find nothing left and succeed.
    for repair in &err.repairs {
        export.compensate(repair).await.unwrap();
    }
    assert_eq!(sim.state(), Snapshot::default());
}

#[tokio::test]
async fn a_delete_with_a_lost_reply_is_safe_to_run_again() {
    let sim = sim().await;
    let export = export(&sim, &[]);
    let both = customer(&[(1, "ada", &["EMAIL"]), (2, "bob", &["EMAIL"])]);
    export.insert(&both, &service(1, "ada")).await.unwrap();
    export.insert(&both, &service(2, "bob")).await.unwrap();
    sim.add_fault(Fault::on("set_user_status", applied_then(FaultEffect::Close)).first(1));
    let err = export.delete(&both, &service(2, "bob")).await.unwrap_err();
    assert!(err.outcome_unknown, "{err:?}");
    assert_eq!(sim.state().user("bob").unwrap().status, "deleted");
    // The local service stays; the framework retries the hook.
    export.delete(&both, &service(2, "bob")).await.unwrap();
    let state = sim.state();
    assert_eq!(state.user("bob").unwrap().status, "deleted");
    assert!(state.user("ada").unwrap().master);
    assert_eq!(state.account(ACCT).unwrap().status, "active");
}

#[tokio::test]
async fn suspend_and_replace_with_lost_replies_report_an_unknown_outcome() {
    let sim = sim().await;
    let export = export(&sim, &[]);
    let one = customer(&[(1, "ada", &["EMAIL"])]);
    export.insert(&one, &service(1, "ada")).await.unwrap();
    sim.add_fault(Fault::on("set_user_status", applied_then(FaultEffect::Hang)).first(1));
    let err = export.suspend(&one, &service(1, "ada")).await.unwrap_err();
    assert!(err.outcome_unknown);
    export.suspend(&one, &service(1, "ada")).await.unwrap();
    assert_eq!(sim.state().user("ada").unwrap().status, "suspended");

    sim.add_fault(Fault::on(
        "update_user",
        FaultEffect::api_error("user.error.x", "no"),
    ));
    let err = export
        .replace(&one, &service(1, "ada"), &service(1, "ada"))
        .await
        .unwrap_err();
    assert_eq!(err.message, "user.error.x: no");
    assert!(!err.outcome_unknown, "an API error is definite");
}
