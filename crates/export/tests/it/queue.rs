//! The job queue's repairs: compensations a rollback could not make are
//! queued and finished once the platform answers; failing jobs back off
//! and end `dead` with their last error, and `retry` revives them; a
//! `resync` never touches a user of another account nor a name another
//! service here holds.

use bursar_export::queue::run_once;
use bursar_magicmail::sim::{Fault, FaultEffect, Snapshot};
use bursar_store::jobs::{enqueue, MAX_ATTEMPTS};
use bursar_store::service;
use bursar_store::testing::backends;

use crate::support::{account_of, Env, MAILBOX};

fn failing(op: &str) -> Fault {
    Fault::on(op, FaultEffect::api_error("sim.error.injected", op))
}

async fn exportnum(env: &Env, name: &str) -> i64 {
    let mut tx = env.store().read().await.unwrap();
    service::export_by_name(&mut tx, env.store(), name)
        .await
        .unwrap()
        .exportnum
}

#[tokio::test]
async fn rollback_calls_that_fail_are_queued_and_finished_later() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        for op in [
            "add_email_address",
            "remove_package",
            "purge_user",
            "purge_account",
        ] {
            env.sim.add_fault(failing(op));
        }
        let err = env.add(pkgnum, MAILBOX, "ada").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "mail: sim.error.injected: add_email_address\nsim.error.injected: remove_package\n\
             sim.error.injected: purge_user\nsim.error.injected: purge_account"
        );
        let jobs: Vec<(String, String)> = env
            .store()
            .list_jobs(Some("queued"), 10)
            .await
            .unwrap()
            .into_iter()
            .rev()
            .map(|j| (j.action, j.payload))
            .collect();
        let account = account_of(custnum);
        assert_eq!(
            jobs,
            [
                (
                    "remove_package".to_string(),
                    format!("ADA\tEMAIL\t{custnum}")
                ),
                ("purge_user".into(), format!("ada\t{account}\t{custnum}")),
                ("purge_account".into(), format!("{account}\t{custnum}")),
                ("resync".into(), format!("{custnum}\tada\t")),
            ]
        );
        // While the platform still refuses, the jobs fail and back off.
        let report = run_once(env.store(), &env.registry, bursar_export::now() + 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (report.action.as_str(), report.status.as_str()),
            ("remove_package", "queued")
        );
        assert_eq!(
            report.error.as_deref(),
            Some("sim.error.injected: remove_package")
        );
        env.sim.clear_faults();
        let reports = env.drain().await;
        assert_eq!(
            reports.len(),
            3,
            "the failed one waits for its backoff: {reports:?}"
        );
        let later = bursar_export::now() + 3600;
        let report = run_once(env.store(), &env.registry, later)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (report.action.as_str(), report.status.as_str()),
            ("remove_package", "done")
        );
        assert_eq!(
            env.sim.state(),
            Snapshot::default(),
            "nothing half-made is left"
        );
        env.assert_consistent(custnum, "repaired").await;
    }
}

#[tokio::test]
async fn an_applied_but_failed_compensation_is_settled_by_its_job() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        env.sim.add_fault(failing("add_email_address"));
        env.sim.add_fault(Fault::on(
            "purge_user",
            FaultEffect::ApplyThenFail {
                then: Box::new(FaultEffect::Close),
            },
        ));
        env.add(pkgnum, MAILBOX, "ada").await.unwrap_err();
        env.sim.clear_faults();
        let reports = env.drain().await;
        assert!(reports.iter().all(|r| r.status == "done"), "{reports:?}");
        assert_eq!(env.sim.state(), Snapshot::default());
        env.assert_consistent(custnum, "settled").await;
    }
}

#[tokio::test]
async fn jobs_back_off_die_and_are_revived_by_retry() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        let ada = env.add(pkgnum, MAILBOX, "ada").await.unwrap();
        // The platform loses ada; a resync is queued and fails until the
        // platform answers again.
        env.sim.set_state(Snapshot::default());
        let mail = exportnum(&env, "mail").await;
        bursar_export::queue::queue_resync(env.store(), mail, ada, custnum, "ada", 0)
            .await
            .unwrap();
        env.sim.add_fault(Fault::on_every_call(FaultEffect::Status {
            status: 503,
            body: String::new(),
        }));
        let mut now = bursar_export::now();
        let mut attempts = 0;
        while let Some(report) = run_once(env.store(), &env.registry, now).await.unwrap() {
            attempts += 1;
            assert_eq!(
                report.error.as_deref(),
                Some("Bad Response: 503 Service Unavailable")
            );
            assert_eq!(
                report.status,
                if attempts < MAX_ATTEMPTS {
                    "queued"
                } else {
                    "dead"
                }
            );
            now += 3600;
        }
        assert_eq!(attempts, MAX_ATTEMPTS);
        let dead = env.store().list_jobs(Some("dead"), 10).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].last_error, "Bad Response: 503 Service Unavailable");
        env.sim.clear_faults();
        assert_eq!(env.drain().await, vec![], "a dead job stays dead");
        env.store()
            .retry_job(dead[0].jobnum, bursar_export::now())
            .await
            .unwrap();
        let reports = env.drain().await;
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].status, "done");
        env.assert_consistent(custnum, "re-provisioned by the resync")
            .await;
    }
}

#[tokio::test]
async fn a_resync_never_touches_another_accounts_user_or_another_services_name() {
    for db in backends().await {
        let env = Env::new(db).await;
        let mail = exportnum(&env, "mail").await;
        let (custnum, pkgnum) = env.customer().await;
        let ada = env.add(pkgnum, MAILBOX, "ada").await.unwrap();
        let bob = env.add(pkgnum, MAILBOX, "bob").await.unwrap();
        // A resync naming ada under bob's number (as after SQLite reused a
        // rolled-back number): the name is what counts, and ada is held by
        // its own service here, so nothing happens to it.
        let mut tx = env.store().write().await.unwrap();
        enqueue(
            &mut tx,
            mail,
            Some(bob),
            "resync",
            &format!("{custnum}\tada\t"),
            0,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let before = env.sim.state();
        let reports = env.drain().await;
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].status, "done");
        assert_eq!(env.sim.state(), before);

        // A live user of another account with a name no service here holds.
        let mut state = env.sim.state();
        let other = Snapshot::default()
            .with_account("FREESIDE999", "active")
            .with_user("zed", "FREESIDE999", "active", true, &["EMAIL"]);
        state.accounts.extend(other.accounts);
        state.users.extend(other.users);
        env.sim.set_state(state.clone());
        bursar_export::queue::queue_resync(env.store(), mail, 99_999, custnum, "zed", 0)
            .await
            .unwrap();
        let reports = env.drain().await;
        assert_eq!(reports[0].status, "done");
        assert_eq!(
            env.sim.state(),
            state,
            "zed belongs to FREESIDE999: untouched"
        );

        // A service here whose user lives in another account: the job
        // fails with a message for the operator and never purges it.
        let mut moved = state.clone();
        moved.users.get_mut("ADA").unwrap().account = "FREESIDE999".into();
        env.sim.set_state(moved.clone());
        bursar_export::queue::queue_resync(env.store(), mail, ada, custnum, "ada", 0)
            .await
            .unwrap();
        let reports = env.drain().await;
        assert_eq!(reports.len(), 1);
        assert_eq!(
            reports[0].error.as_deref(),
            Some(
                format!(
                    "MagicMail user ada belongs to account FREESIDE999, not {}; settle it by hand",
                    account_of(custnum)
                )
                .as_str()
            )
        );
        assert_eq!(env.sim.state(), moved);
    }
}
