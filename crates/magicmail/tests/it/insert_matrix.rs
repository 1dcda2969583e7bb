//! The insert test matrix of spec 5.6: from each starting state (N, E, Dl,
//! S), a failure injected at each step must produce exactly the rollback
//! calls of spec 4.5, in order, and leave the emulator's state equal to
//! the starting state. Also: every rollback call failing at once.

use bursar_magicmail::sim::{Fault, FaultEffect, SimHandle, Snapshot};
use bursar_magicmail::{Compensation, CustomerFacts, Status};

use crate::support::{calls, customer, export, service, sim, strings, ACCT};

/// A starting state: the emulator's snapshot, the customer's services and
/// the calls of a successful insert of `ada` from there.
struct Start {
    name: &'static str,
    snapshot: Snapshot,
    customer: CustomerFacts,
    success: &'static [&'static str],
}

const NEW_ACCOUNT: &[&str] = &[
    "get_account FREESIDE12",
    "add_account FREESIDE12",
    "list_users",
    "add_user ada",
    "get_packages ADA",
    "assign_package ADA package=EMAIL",
    "add_email_address ada@lakeside.example",
    "list_users",
    "get_packages ADA",
];

const EXISTING_MASTER: &[&str] = &[
    "get_account FREESIDE12",
    "list_users",
    "get_packages MAX",
    "assign_package MAX package=EMAIL",
    "add_user ada",
    "add_email_address ada@lakeside.example",
    "list_users",
    "get_packages MAX",
];

const REACTIVATED: &[&str] = &[
    "get_account FREESIDE12",
    "set_account_status FREESIDE12 status=active",
    "list_users",
    "add_user ada",
    "get_packages ADA",
    "assign_package ADA package=EMAIL",
    "add_email_address ada@lakeside.example",
    "list_users",
    "get_packages ADA",
];

fn start_n() -> Start {
    Start {
        name: "N",
        snapshot: Snapshot::default(),
        customer: customer(&[(2, "ada", &["EMAIL"])]),
        success: NEW_ACCOUNT,
    }
}

fn start_e() -> Start {
    Start {
        name: "E",
        snapshot: Snapshot::default()
            .with_account(ACCT, "active")
            .with_user("max", ACCT, "active", true, &["PREMIUM"])
            .with_address("max@lakeside.example", "max"),
        customer: customer(&[(1, "max", &["PREMIUM"]), (2, "ada", &["EMAIL"])]),
        success: EXISTING_MASTER,
    }
}

fn start_inactive(status: &str) -> Start {
    Start {
        name: if status == "deleted" { "Dl" } else { "S" },
        // A deleted former master stays in the account but is not listed.
        snapshot: Snapshot::default().with_account(ACCT, status).with_user(
            "old",
            ACCT,
            "deleted",
            true,
            &["EMAIL"],
        ),
        customer: customer(&[(2, "ada", &["EMAIL"])]),
        success: REACTIVATED,
    }
}

/// Where the failure is injected.
enum Step {
    /// The n-th call of this operation fails with an API error.
    Fails(&'static str, u32),
    /// `add_user` answers `master_user=N` (I7).
    NotMaster,
}

async fn prepared(start: &Start, step: &Step) -> SimHandle {
    let sim = sim().await;
    sim.set_state(start.snapshot.clone());
    match step {
        Step::Fails(op, nth) => {
            sim.add_fault(
                Fault::on(op, FaultEffect::api_error("sim.error.injected", "boom")).nth(*nth),
            );
        }
        Step::NotMaster => {
            sim.add_fault(Fault::on(
                "add_user",
                FaultEffect::SetText {
                    name: "master_user".into(),
                    text: "N".into(),
                },
            ));
        }
    }
    sim
}

/// The calls of a successful insert up to the failing one.
fn prefix(start: &Start, step: &Step) -> Vec<String> {
    let (op, nth) = match step {
        Step::Fails(op, nth) => (*op, *nth),
        Step::NotMaster => ("add_user", 1),
    };
    let mut seen = 0;
    let end = start
        .success
        .iter()
        .position(|call| {
            if call.split(' ').next() == Some(op) {
                seen += 1;
            }
            seen == nth
        })
        .unwrap_or_else(|| panic!("{} has no call {op} #{nth}", start.name));
    strings(&start.success[..=end])
}

async fn check(start: Start, step: Step, rollback: &[&str]) {
    let sim = prepared(&start, &step).await;
    let export = export(&sim, &[]);
    let err = export
        .insert(&start.customer, &service(2, "ada"))
        .await
        .expect_err("the insert fails");
    let expected_message = match step {
        Step::Fails(..) => "sim.error.injected: boom",
        Step::NotMaster => "Unexpected lack of master user on account",
    };
    let label = format!("{} / {}", start.name, prefix(&start, &step).last().unwrap());
    assert_eq!(err.message, expected_message, "{label}");
    assert!(err.is_clean(), "{label}: {err:?}");
    let mut expected = prefix(&start, &step);
    expected.extend(strings(rollback));
    assert_eq!(calls(&sim), expected, "{label}");
    assert_eq!(sim.state(), start.snapshot, "{label}: nothing half-made");
}

#[tokio::test]
async fn matrix_from_no_account() {
    let purge_account = "purge_account FREESIDE12 force=true";
    let purge_user = "purge_user ada force=true";
    check(start_n(), Step::Fails("get_account", 1), &[]).await;
    check(start_n(), Step::Fails("add_account", 1), &[]).await;
    check(start_n(), Step::Fails("list_users", 1), &[purge_account]).await;
    check(start_n(), Step::Fails("add_user", 1), &[purge_account]).await;
    check(start_n(), Step::NotMaster, &[purge_user, purge_account]).await;
    check(
        start_n(),
        Step::Fails("get_packages", 1),
        &[purge_user, purge_account],
    )
    .await;
    check(
        start_n(),
        Step::Fails("assign_package", 1),
        &[purge_user, purge_account],
    )
    .await;
    check(
        start_n(),
        Step::Fails("add_email_address", 1),
        &[
            "remove_package ADA package=EMAIL",
            purge_user,
            purge_account,
        ],
    )
    .await;
}

#[tokio::test]
async fn matrix_from_an_account_with_a_master() {
    let remove = "remove_package MAX package=EMAIL";
    check(start_e(), Step::Fails("get_account", 1), &[]).await;
    check(start_e(), Step::Fails("list_users", 1), &[]).await;
    check(start_e(), Step::Fails("get_packages", 1), &[]).await;
    check(start_e(), Step::Fails("assign_package", 1), &[]).await;
    check(start_e(), Step::Fails("add_user", 1), &[remove]).await;
    check(
        start_e(),
        Step::Fails("add_email_address", 1),
        &[remove, "purge_user ada force=true"],
    )
    .await;
}

#[tokio::test]
async fn matrix_from_deleted_and_suspended_accounts() {
    for status in ["deleted", "suspended"] {
        let restore = format!("set_account_status FREESIDE12 status={status}");
        let restore = restore.as_str();
        let purge_user = "purge_user ada force=true";
        check(start_inactive(status), Step::Fails("get_account", 1), &[]).await;
        check(
            start_inactive(status),
            Step::Fails("set_account_status", 1),
            &[],
        )
        .await;
        check(
            start_inactive(status),
            Step::Fails("list_users", 1),
            &[restore],
        )
        .await;
        check(
            start_inactive(status),
            Step::Fails("add_user", 1),
            &[restore],
        )
        .await;
        check(
            start_inactive(status),
            Step::NotMaster,
            &[purge_user, restore],
        )
        .await;
        check(
            start_inactive(status),
            Step::Fails("get_packages", 1),
            &[purge_user, restore],
        )
        .await;
        check(
            start_inactive(status),
            Step::Fails("assign_package", 1),
            &[purge_user, restore],
        )
        .await;
        check(
            start_inactive(status),
            Step::Fails("add_email_address", 1),
            &["remove_package ADA package=EMAIL", purge_user, restore],
        )
        .await;
    }
}

#[tokio::test]
async fn a_failing_sync_is_only_a_warning() {
    for start in [
        start_n(),
        start_e(),
        start_inactive("deleted"),
        start_inactive("suspended"),
    ] {
        let step = Step::Fails("list_users", 2);
        let sim = prepared(&start, &step).await;
        let outcome = export(&sim, &[])
            .insert(&start.customer, &service(2, "ada"))
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", start.name));
        assert!(
            outcome
                .warnings
                .contains(&"sim.error.injected: boom".to_string()),
            "{}: {:?}",
            start.name,
            outcome.warnings
        );
        // Sync stops at its failing list_users: no get_packages after it.
        let until_sync = &start.success[..start.success.len() - 1];
        assert_eq!(calls(&sim), strings(until_sync), "{}", start.name);
        assert_eq!(sim.state().user("ada").unwrap().status, "active");
    }
}

#[tokio::test]
async fn an_assign_reply_without_the_package_rolls_back() {
    // I5: the list after the assignment must hold P; B-20: its removal is
    // recorded anyway, so the package does not stay behind.
    let start = start_e();
    let sim = sim().await;
    sim.set_state(start.snapshot.clone());
    sim.add_fault(Fault::on(
        "assign_package",
        FaultEffect::OmitItem {
            key: "EMAIL".into(),
        },
    ));
    let err = export(&sim, &[])
        .insert(&start.customer, &service(2, "ada"))
        .await
        .unwrap_err();
    assert_eq!(err.message, "Unknown error");
    assert_eq!(
        calls(&sim).last().unwrap(),
        "remove_package MAX package=EMAIL"
    );
    assert_eq!(sim.state(), start.snapshot);
}

#[tokio::test]
async fn a_malformed_reply_is_rolled_back_too() {
    // B-7: an unreadable add_user reply; the rollback looks before it purges.
    let start = start_n();
    let sim = sim().await;
    sim.add_fault(Fault::on(
        "add_user",
        FaultEffect::Body {
            status: 200,
            body: "<response><user><id>ADA".into(),
            content_type: "text/xml".into(),
        },
    ));
    let err = export(&sim, &[])
        .insert(&start.customer, &service(2, "ada"))
        .await
        .unwrap_err();
    assert!(
        err.message.starts_with("Malformed response: "),
        "{}",
        err.message
    );
    assert_eq!(
        calls(&sim)[3..],
        strings(&[
            "add_user ada",
            "get_user ada",
            "purge_account FREESIDE12 force=true"
        ])
    );
    assert_eq!(sim.state(), Snapshot::default());
}

#[tokio::test]
async fn every_rollback_call_is_attempted_when_all_fail() {
    let start = start_n();
    let sim = sim().await;
    for op in [
        "add_email_address",
        "remove_package",
        "purge_user",
        "purge_account",
    ] {
        sim.add_fault(Fault::on(
            op,
            FaultEffect::api_error("sim.error.injected", op),
        ));
    }
    let export = export(&sim, &[]);
    let err = export
        .insert(&start.customer, &service(2, "ada"))
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "sim.error.injected: add_email_address\nsim.error.injected: remove_package\n\
         sim.error.injected: purge_user\nsim.error.injected: purge_account"
    );
    assert_eq!(
        err.repairs,
        [
            Compensation::RemovePackage {
                username: "ADA".into(),
                package: "EMAIL".into()
            },
            Compensation::PurgeUser {
                username: "ada".into(),
                account: ACCT.into()
            },
            Compensation::PurgeAccount {
                account: ACCT.into()
            },
        ]
    );
    // The framework's queue runs the repairs later; twice is harmless.
    sim.clear_faults();
    for _ in 0..2 {
        for repair in &err.repairs {
            export.compensate(repair).await.unwrap();
        }
    }
    assert_eq!(sim.state(), Snapshot::default());
}

#[tokio::test]
async fn a_failing_status_restore_is_left_as_a_repair() {
    let start = start_inactive("suspended");
    let sim = sim().await;
    sim.set_state(start.snapshot.clone());
    sim.add_fault(Fault::on(
        "add_user",
        FaultEffect::api_error("sim.error.injected", "boom"),
    ));
    sim.add_fault(
        Fault::on(
            "set_account_status",
            FaultEffect::api_error("sim.error.injected", "restore"),
        )
        .nth(2),
    );
    let export = export(&sim, &[]);
    let err = export
        .insert(&start.customer, &service(2, "ada"))
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "sim.error.injected: boom\nsim.error.injected: restore"
    );
    assert_eq!(
        err.repairs,
        [Compensation::SetAccountStatus {
            account: ACCT.into(),
            status: Status::Suspended
        }]
    );
    assert_eq!(sim.state().account(ACCT).unwrap().status, "active");
    export.compensate(&err.repairs[0]).await.unwrap();
    assert_eq!(sim.state(), start.snapshot);
}

#[tokio::test]
async fn odd_shapes_are_rolled_back_like_errors() {
    // An empty <master_user/> is not "Y" (B-1, B-3); a <user> without id
    // cannot be keyed (2.5): both end the insert with nothing left.
    let cases = [
        (
            start_n(),
            "add_user",
            FaultEffect::SetText {
                name: "master_user".into(),
                text: String::new(),
            },
            "Unexpected lack of master user on account",
        ),
        (
            start_e(),
            "list_users",
            FaultEffect::DropElement { name: "id".into() },
            "Unknown error, a user in users has no name, key or id",
        ),
    ];
    for (start, op, effect, message) in cases {
        let sim = sim().await;
        sim.set_state(start.snapshot.clone());
        sim.add_fault(Fault::on(op, effect));
        let err = export(&sim, &[])
            .insert(&start.customer, &service(2, "ada"))
            .await
            .unwrap_err();
        assert_eq!(err.message, message);
        assert_eq!(sim.state(), start.snapshot, "{op}");
    }
}
