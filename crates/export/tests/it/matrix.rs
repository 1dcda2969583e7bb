//! The fault matrix of issue 5 at the framework level, on SQLite and
//! PostgreSQL: for every call of insert, delete, replace, suspend and
//! unsuspend (and of package suspension, unsuspension and cancellation),
//! from every starting state of spec 5.6, a failure is injected at that
//! call, and afterwards
//!
//! - a step that fails the hook fails the operation: nothing changed here,
//!   and for a plain API error the calls made are exactly the spec's up to
//!   the failing one followed by its rollback (spec 4.5's order, 5.6's
//!   table), and the emulator's state equals the starting state;
//! - a step that only warns (package sync, the steps after D4) lets the
//!   operation succeed;
//! - in every case, once the job queue has been stepped until nothing is
//!   due, the two sides agree (`Env::assert_consistent`): this is what
//!   settles the faults that apply a change and then lose or fail the reply.
//!
//! Each case runs on a fresh customer, with the emulator reset and the
//! previous case's services and jobs gone (`Env::reset`); the
//! operation's calls without a fault (the "golden" sequence) are checked
//! against the spec first.

use std::fmt;

use bursar_export::accounts::{edit_account, remove_account, set_account_suspended, EditAccount};
use bursar_export::packages::{change_package, PackageAction};
use bursar_export::ServiceError;
use bursar_magicmail::sim::{Fault, FaultEffect};
use bursar_store::testing::backends;

use crate::support::{account_of, inactive_account, Env, MAILBOX, PREMIUM_BOX};

/// The starting states of spec 5.6 for an insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// No account.
    N,
    /// An active account whose master (`max`, on the `premium` export)
    /// lacks `EMAIL`.
    E,
    /// A deleted account, no user listed (its old master is deleted).
    Dl,
    /// A suspended account, no user listed.
    S,
}

/// What is done, from which state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    /// `ada` added on the `mail` export.
    Insert(Start),
    /// `ada`, the only service, removed.
    DeleteLast,
    /// As `DeleteLast` with `autopurge`.
    DeleteLastAutopurge,
    /// `ada` removed while `max` is master.
    DeleteNonMaster,
    /// `ada`, the master, removed while `bob` remains (hand-over).
    DeleteMaster,
    /// `ada`'s password changed.
    Replace,
    /// `ada` suspended.
    Suspend,
    /// `ada` unsuspended.
    Unsuspend,
    /// The package of `ada` and `bob` suspended.
    PackageSuspend,
    /// The package of `ada` and `bob` unsuspended.
    PackageUnsuspend,
    /// The package of `ada` and `bob` cancelled.
    PackageCancel,
}

/// How the faulty call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An API error; nothing applied.
    Error,
    /// The connection closes without a reply; nothing applied.
    Dropped,
    /// Applied, then the connection closes without a reply.
    AppliedThenDropped,
    /// Applied, then an API error.
    AppliedThenError,
    /// `add_user` answers `master_user=N` for the first user (I7).
    NotMaster,
}

impl Kind {
    const INJECTED: [Kind; 4] = [
        Kind::Error,
        Kind::Dropped,
        Kind::AppliedThenDropped,
        Kind::AppliedThenError,
    ];

    fn effect(self) -> FaultEffect {
        let error = FaultEffect::api_error("sim.error.injected", "boom");
        match self {
            Kind::Error => error,
            Kind::Dropped => FaultEffect::Close,
            Kind::AppliedThenDropped => FaultEffect::ApplyThenFail {
                then: Box::new(FaultEffect::Close),
            },
            Kind::AppliedThenError => FaultEffect::ApplyThenFail {
                then: Box::new(error),
            },
            Kind::NotMaster => FaultEffect::SetText {
                name: "master_user".into(),
                text: "N".into(),
            },
        }
    }

    /// True when the platform may hold the change the caller was told failed.
    fn applied(self) -> bool {
        matches!(
            self,
            Kind::AppliedThenDropped | Kind::AppliedThenError | Kind::NotMaster
        )
    }
}

/// What a failure at one call does to the hook.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// The hook fails; these rollback calls follow the failing one.
    Fatal(Vec<String>),
    /// The hook only warns and the operation succeeds.
    Warning,
}

/// A prepared case: the customer, its package and the service acted on.
struct Prepared {
    custnum: i64,
    pkgnum: i64,
    target: i64,
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl Scenario {
    /// The calls of the operation without a fault (spec 4.4, 4.6–4.9), `{A}`
    /// standing for the account id.
    fn golden(self) -> &'static [&'static str] {
        match self {
            Scenario::Insert(Start::N) => &[
                "get_account {A}",
                "add_account {A}",
                "list_users",
                "add_user ada",
                "get_packages ADA",
                "assign_package ADA package=EMAIL",
                "add_email_address ada@lakeside.example",
                "list_users",
                "get_packages ADA",
            ],
            Scenario::Insert(Start::E) => &[
                "get_account {A}",
                "list_users",
                "get_packages MAX",
                "assign_package MAX package=EMAIL",
                "add_user ada",
                "add_email_address ada@lakeside.example",
                "list_users",
                "get_packages MAX",
            ],
            Scenario::Insert(Start::Dl) => &[
                "get_account {A}",
                "set_account_status {A} status=active",
                "list_users",
                "add_user ada",
                "get_packages ADA",
                "assign_package ADA package=EMAIL",
                "add_email_address ada@lakeside.example",
                "list_users",
                "get_packages ADA",
            ],
            Scenario::Insert(Start::S) => Scenario::Insert(Start::Dl).golden(),
            Scenario::DeleteLast => &[
                "get_user ada",
                "list_users",
                "set_user_status ada status=deleted",
                "list_users",
                "list_users",
                "set_account_status {A} status=deleted",
            ],
            Scenario::DeleteLastAutopurge => &[
                "get_user ada",
                "list_users",
                "set_user_status ada status=deleted",
                "list_users",
                "purge_user ada",
                "list_users",
                "set_account_status {A} status=deleted",
                "purge_account {A}",
            ],
            Scenario::DeleteNonMaster => &[
                "get_user ada",
                "set_user_status ada status=deleted",
                "list_users",
                "get_packages MAX",
                "list_users",
            ],
            Scenario::DeleteMaster => &[
                "get_user ada",
                "list_users",
                "set_user_status ada status=deleted",
                "make_master_user bob master_user=Y",
                "list_users",
                "get_packages BOB",
                "assign_package BOB package=EMAIL",
                "remove_package BOB package=ADDITIONAL NOCOST MAILBOX",
                "list_users",
            ],
            Scenario::Replace => &["get_user ada", "update_user ada"],
            Scenario::Suspend => &["get_user ada", "set_user_status ada status=suspended"],
            Scenario::Unsuspend => &["get_user ada", "set_user_status ada status=active"],
            Scenario::PackageSuspend => &[
                "get_user ada",
                "set_user_status ada status=suspended",
                "get_user bob",
                "set_user_status bob status=suspended",
            ],
            Scenario::PackageUnsuspend => &[
                "get_user ada",
                "set_user_status ada status=active",
                "get_user bob",
                "set_user_status bob status=active",
            ],
            // Newest first: the master goes last, without a hand-over.
            Scenario::PackageCancel => &[
                "get_user bob",
                "set_user_status bob status=deleted",
                "list_users",
                "get_packages ADA",
                "list_users",
                "get_user ada",
                "list_users",
                "set_user_status ada status=deleted",
                "list_users",
                "list_users",
                "set_account_status {A} status=deleted",
            ],
        }
    }

    /// What a failure at the `nth` call of `op` does. For inserts this is
    /// spec 5.6's table: the rollback calls of each failing step, from
    /// each starting state.
    fn verdict(self, op: &str, nth: u32) -> Verdict {
        const PURGE_ACCOUNT: &str = "purge_account {A} force=true";
        const PURGE_ADA: &str = "purge_user ada force=true";
        const REMOVE_FROM_ADA: &str = "remove_package ADA package=EMAIL";
        const REMOVE_FROM_MAX: &str = "remove_package MAX package=EMAIL";
        let fatal = |calls: &[&str]| Verdict::Fatal(calls.iter().map(|c| c.to_string()).collect());
        match self {
            Scenario::Insert(start) => {
                let restore = match start {
                    Start::S => "set_account_status {A} status=suspended",
                    _ => "set_account_status {A} status=deleted",
                };
                match (start, op, nth) {
                    (_, "list_users" | "get_packages", 2) => Verdict::Warning,
                    (_, "get_account", 1) => fatal(&[]),
                    (Start::N, "add_account", 1) => fatal(&[]),
                    (Start::N, "list_users", 1) => fatal(&[PURGE_ACCOUNT]),
                    (Start::N, "add_user", 1) => fatal(&[PURGE_ACCOUNT]),
                    (Start::N, "get_packages" | "assign_package", 1) => {
                        fatal(&[PURGE_ADA, PURGE_ACCOUNT])
                    }
                    (Start::N, "add_email_address", 1) => {
                        fatal(&[REMOVE_FROM_ADA, PURGE_ADA, PURGE_ACCOUNT])
                    }
                    (Start::E, "list_users" | "get_packages" | "assign_package", 1) => fatal(&[]),
                    (Start::E, "add_user", 1) => fatal(&[REMOVE_FROM_MAX]),
                    (Start::E, "add_email_address", 1) => fatal(&[REMOVE_FROM_MAX, PURGE_ADA]),
                    (Start::Dl | Start::S, "set_account_status", 1) => fatal(&[]),
                    (Start::Dl | Start::S, "list_users" | "add_user", 1) => fatal(&[restore]),
                    (Start::Dl | Start::S, "get_packages" | "assign_package", 1) => {
                        fatal(&[PURGE_ADA, restore])
                    }
                    (Start::Dl | Start::S, "add_email_address", 1) => {
                        fatal(&[REMOVE_FROM_ADA, PURGE_ADA, restore])
                    }
                    _ => panic!("{self}: no verdict for {op} #{nth}"),
                }
            }
            // Spec 4.6: only reading the user and marking it deleted fail
            // the hook; 4.7, 4.8: every step does. None of them makes
            // compensating calls. A package's hooks fail as each service's.
            Scenario::DeleteLast
            | Scenario::DeleteLastAutopurge
            | Scenario::DeleteNonMaster
            | Scenario::DeleteMaster
            | Scenario::PackageCancel
            | Scenario::Suspend
            | Scenario::Unsuspend
            | Scenario::PackageSuspend
            | Scenario::PackageUnsuspend => match op {
                "get_user" | "set_user_status" => fatal(&[]),
                _ => Verdict::Warning,
            },
            Scenario::Replace => fatal(&[]),
        }
    }

    /// The expected rollback when `add_user` returns a non-master first
    /// user (I7): the user and what the account step did are undone.
    fn not_master_rollback(self) -> Option<Vec<String>> {
        let calls: &[&str] = match self {
            Scenario::Insert(Start::N) => {
                &["purge_user ada force=true", "purge_account {A} force=true"]
            }
            Scenario::Insert(Start::Dl) => &[
                "purge_user ada force=true",
                "set_account_status {A} status=deleted",
            ],
            Scenario::Insert(Start::S) => &[
                "purge_user ada force=true",
                "set_account_status {A} status=suspended",
            ],
            _ => return None,
        };
        Some(calls.iter().map(|c| c.to_string()).collect())
    }

    /// True when the calls after the failing one are all the rollback's
    /// (one hook); a package's operation also brings its other services
    /// back, with calls this test does not spell out.
    fn exact_calls(self) -> bool {
        !matches!(
            self,
            Scenario::PackageSuspend | Scenario::PackageUnsuspend | Scenario::PackageCancel
        )
    }

    /// A fresh customer in the starting state, the emulator reset.
    async fn prepare(self, env: &Env) -> Prepared {
        env.reset().await;
        let (custnum, pkgnum) = env.customer().await;
        let add = |username: &'static str| async move {
            env.add(pkgnum, MAILBOX, username)
                .await
                .expect("setup adds")
        };
        let target = match self {
            Scenario::Insert(Start::N) => 0,
            Scenario::Insert(Start::E) => {
                env.add(pkgnum, PREMIUM_BOX, "max").await.unwrap();
                0
            }
            Scenario::Insert(Start::Dl) => {
                env.sim.set_state(inactive_account(custnum, "deleted"));
                0
            }
            Scenario::Insert(Start::S) => {
                env.sim.set_state(inactive_account(custnum, "suspended"));
                0
            }
            Scenario::DeleteLast
            | Scenario::DeleteLastAutopurge
            | Scenario::Replace
            | Scenario::Suspend => add("ada").await,
            Scenario::Unsuspend => {
                let ada = add("ada").await;
                set_account_suspended(env.store(), &env.registry, ada, true)
                    .await
                    .unwrap();
                ada
            }
            Scenario::DeleteNonMaster => {
                add("max").await;
                add("ada").await
            }
            Scenario::DeleteMaster | Scenario::PackageSuspend | Scenario::PackageCancel => {
                let ada = add("ada").await;
                add("bob").await;
                ada
            }
            Scenario::PackageUnsuspend => {
                let ada = add("ada").await;
                add("bob").await;
                change_package(
                    env.store(),
                    &env.registry,
                    pkgnum,
                    PackageAction::Suspend,
                    1_700_000_100,
                )
                .await
                .unwrap();
                ada
            }
        };
        let reports = env.drain().await;
        assert!(
            reports.iter().all(|r| r.status == "done"),
            "{self}: setup left {reports:?}"
        );
        env.assert_consistent(custnum, &format!("{self}: starting state"))
            .await;
        env.sim.clear_log();
        Prepared {
            custnum,
            pkgnum,
            target,
        }
    }

    /// The operation under test.
    async fn act(self, env: &Env, prepared: &Prepared) -> Result<(), ServiceError> {
        let (store, registry) = (env.store(), &env.registry);
        let package =
            |action| change_package(store, registry, prepared.pkgnum, action, 1_700_000_200);
        match self {
            Scenario::Insert(_) => env.add(prepared.pkgnum, MAILBOX, "ada").await.map(drop),
            Scenario::DeleteLast
            | Scenario::DeleteLastAutopurge
            | Scenario::DeleteNonMaster
            | Scenario::DeleteMaster => remove_account(store, registry, prepared.target).await,
            Scenario::Replace => {
                let change = EditAccount {
                    password: Some("n3w-pass".into()),
                    ..EditAccount::default()
                };
                edit_account(store, registry, prepared.target, &change).await
            }
            Scenario::Suspend => {
                set_account_suspended(store, registry, prepared.target, true).await
            }
            Scenario::Unsuspend => {
                set_account_suspended(store, registry, prepared.target, false).await
            }
            Scenario::PackageSuspend => package(PackageAction::Suspend).await,
            Scenario::PackageUnsuspend => package(PackageAction::Unsuspend).await,
            Scenario::PackageCancel => package(PackageAction::Cancel).await,
        }
    }
}

/// `{A}` replaced by the customer's account id.
fn expand(calls: &[impl AsRef<str>], custnum: i64) -> Vec<String> {
    calls
        .iter()
        .map(|c| c.as_ref().replace("{A}", &account_of(custnum)))
        .collect()
}

fn is_read(op: &str) -> bool {
    op.starts_with("get_") || op.starts_with("list_")
}

/// The whole matrix of one scenario on one database.
async fn run_matrix(env: &Env, scenario: Scenario) {
    // Without a fault: the spec's calls, and the two sides agree.
    let prepared = scenario.prepare(env).await;
    scenario
        .act(env, &prepared)
        .await
        .unwrap_or_else(|e| panic!("{scenario} without a fault: {e}"));
    let golden = expand(scenario.golden(), prepared.custnum);
    assert_eq!(
        env.sim.calls(),
        golden,
        "{} / {scenario}: the calls of spec 4",
        env.name()
    );
    env.drain().await;
    env.assert_consistent(prepared.custnum, &format!("{scenario} without a fault"))
        .await;

    let template = scenario.golden();
    let mut cases = 0;
    for (idx, call) in template.iter().enumerate() {
        let op = call.split(' ').next().unwrap();
        let nth = template[..=idx]
            .iter()
            .filter(|c| c.split(' ').next() == Some(op))
            .count() as u32;
        let verdict = scenario.verdict(op, nth);
        for kind in Kind::INJECTED {
            if kind.applied() && is_read(op) {
                continue;
            }
            run_case(
                env,
                scenario,
                &template[..=idx],
                Fault::on(op, kind.effect()).nth(nth),
                kind,
                &verdict,
            )
            .await;
            cases += 1;
        }
    }
    if let Some(rollback) = scenario.not_master_rollback() {
        let until = template.iter().position(|c| *c == "add_user ada").unwrap();
        let fault = Fault::on("add_user", Kind::NotMaster.effect());
        run_case(
            env,
            scenario,
            &template[..=until],
            fault,
            Kind::NotMaster,
            &Verdict::Fatal(rollback),
        )
        .await;
        cases += 1;
    }
    // Spec 5.6: each rollback call failing in turn; all are still made,
    // the errors are joined, and the queue finishes what was left.
    if matches!(scenario, Scenario::Insert(_)) {
        for (idx, call) in template.iter().enumerate() {
            let op = call.split(' ').next().unwrap();
            let nth = template[..=idx]
                .iter()
                .filter(|c| c.split(' ').next() == Some(op))
                .count() as u32;
            let Verdict::Fatal(rollback) = scenario.verdict(op, nth) else {
                continue;
            };
            for failing in 0..rollback.len() {
                run_failing_rollback_case(
                    env,
                    scenario,
                    &template[..=idx],
                    nth,
                    &rollback,
                    failing,
                )
                .await;
                cases += 1;
            }
        }
    }
    eprintln!("{} / {scenario}: {cases} faults injected", env.name());
}

/// A failure at the last call of `until`, and another at rollback call
/// number `failing`.
async fn run_failing_rollback_case(
    env: &Env,
    scenario: Scenario,
    until: &[&str],
    nth: u32,
    rollback: &[String],
    failing: usize,
) {
    let prepared = scenario.prepare(env).await;
    let custnum = prepared.custnum;
    let op = until.last().unwrap().split(' ').next().unwrap();
    let rollback_op = rollback[failing].split(' ').next().unwrap();
    let label = format!(
        "{scenario} / {} fails, then {}",
        until.last().unwrap(),
        rollback[failing]
    );
    let earlier = until
        .iter()
        .filter(|c| c.split(' ').next() == Some(rollback_op))
        .count() as u32;
    let remote_before = env.sim.state();
    let local_before = env.local_rows(custnum).await;
    env.sim
        .add_fault(Fault::on(op, Kind::Error.effect()).nth(nth));
    env.sim.add_fault(
        Fault::on(
            rollback_op,
            FaultEffect::api_error("sim.error.rollback", "also boom"),
        )
        .nth(earlier + 1),
    );
    let err = scenario.act(env, &prepared).await.expect_err(&label);
    assert_eq!(
        err.to_string(),
        "mail: sim.error.injected: boom\nsim.error.rollback: also boom",
        "{label}"
    );
    let mut expected = expand(until, custnum);
    expected.extend(expand(rollback, custnum));
    assert_eq!(
        env.sim.calls(),
        expected,
        "{label}: every rollback call is still made"
    );
    assert_eq!(
        env.local_rows(custnum).await,
        local_before,
        "{label}: nothing changed here"
    );
    env.sim.clear_faults();
    let reports = env.drain().await;
    assert!(
        reports.iter().all(|r| r.status == "done"),
        "{label}: {reports:?}"
    );
    env.assert_consistent(custnum, &label).await;
    assert_eq!(
        env.sim.state(),
        remote_before,
        "{label}: the queue finished the rollback"
    );
}

/// One failure at the last call of `until`.
async fn run_case(
    env: &Env,
    scenario: Scenario,
    until: &[&str],
    fault: Fault,
    kind: Kind,
    verdict: &Verdict,
) {
    let prepared = scenario.prepare(env).await;
    let custnum = prepared.custnum;
    let label = format!("{scenario} / {} fails ({kind:?})", until.last().unwrap());
    let remote_before = env.sim.state();
    let local_before = env.local_rows(custnum).await;
    env.sim.add_fault(fault);
    let result = scenario.act(env, &prepared).await;
    let calls = env.sim.calls();
    let until = expand(until, custnum);
    match verdict {
        Verdict::Fatal(rollback) => {
            let err = result.expect_err(&label);
            assert!(matches!(err, ServiceError::Export(_)), "{label}: {err:?}");
            assert_eq!(
                env.local_rows(custnum).await,
                local_before,
                "{label}: nothing changed here"
            );
            if kind == Kind::Error || kind == Kind::NotMaster {
                let mut expected = until.clone();
                expected.extend(expand(rollback, custnum));
                if scenario.exact_calls() {
                    assert_eq!(calls, expected, "{label}: the spec's calls and rollback");
                } else {
                    assert_eq!(calls[..until.len()], until[..], "{label}: the spec's calls");
                }
            }
            if !kind.applied() && scenario.exact_calls() {
                assert_eq!(
                    env.sim.state(),
                    remote_before,
                    "{label}: nothing half-made there"
                );
            }
        }
        Verdict::Warning => {
            result.unwrap_or_else(|e| {
                panic!("{label}: a warning-only step failed the operation: {e}")
            });
            assert_eq!(calls[..until.len()], until[..], "{label}: the spec's calls");
        }
    }
    env.sim.clear_faults();
    let reports = env.drain().await;
    env.assert_consistent(
        custnum,
        &format!("{label}, after the queue ran {reports:?}"),
    )
    .await;
    if matches!(verdict, Verdict::Fatal(_)) && !kind.applied() {
        assert_eq!(
            env.sim.state(),
            remote_before,
            "{label}: the queue restored the starting state"
        );
        assert_eq!(
            env.local_rows(custnum).await,
            local_before,
            "{label}: and changed nothing here"
        );
    }
}

#[tokio::test]
async fn insert_from_no_account() {
    for db in backends().await {
        run_matrix(&Env::new(db).await, Scenario::Insert(Start::N)).await;
    }
}

#[tokio::test]
async fn insert_into_an_account_with_a_master() {
    for db in backends().await {
        run_matrix(&Env::new(db).await, Scenario::Insert(Start::E)).await;
    }
}

#[tokio::test]
async fn insert_into_deleted_and_suspended_accounts() {
    for db in backends().await {
        let env = Env::new(db).await;
        run_matrix(&env, Scenario::Insert(Start::Dl)).await;
        run_matrix(&env, Scenario::Insert(Start::S)).await;
    }
}

#[tokio::test]
async fn delete_the_last_service() {
    for db in backends().await {
        run_matrix(&Env::new(db).await, Scenario::DeleteLast).await;
    }
}

#[tokio::test]
async fn delete_the_last_service_with_autopurge() {
    for db in backends().await {
        run_matrix(
            &Env::with_options(db, &[("autopurge", "true")]).await,
            Scenario::DeleteLastAutopurge,
        )
        .await;
    }
}

#[tokio::test]
async fn delete_a_non_master_and_a_master() {
    for db in backends().await {
        let env = Env::new(db).await;
        run_matrix(&env, Scenario::DeleteNonMaster).await;
        run_matrix(&env, Scenario::DeleteMaster).await;
    }
}

#[tokio::test]
async fn replace_suspend_and_unsuspend() {
    for db in backends().await {
        let env = Env::new(db).await;
        run_matrix(&env, Scenario::Replace).await;
        run_matrix(&env, Scenario::Suspend).await;
        run_matrix(&env, Scenario::Unsuspend).await;
    }
}

#[tokio::test]
async fn package_suspend_unsuspend_and_cancel() {
    for db in backends().await {
        let env = Env::new(db).await;
        run_matrix(&env, Scenario::PackageSuspend).await;
        run_matrix(&env, Scenario::PackageUnsuspend).await;
        run_matrix(&env, Scenario::PackageCancel).await;
    }
}
