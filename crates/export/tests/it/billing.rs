//! Billing changes packages outside a service operation (adjourn and
//! dunning suspend, resume and payment unsuspend, expiry cancels): the
//! platform follows through the resync jobs queued in the billing pass's
//! own transaction, once the queue runs.

use bursar_core::billing::BillingCalendar;
use bursar_store::billing::{bill_customer_now, BillingOptions};
use bursar_store::gateway::TestGateway;
use bursar_store::testing::backends;

use crate::support::{Env, MAILBOX};

async fn set_package_date(env: &Env, pkgnum: i64, column: &str, when: i64) {
    let mut tx = env.store().write().await.unwrap();
    sqlx::query(&format!(
        "UPDATE cust_pkg SET {column} = $1 WHERE pkgnum = $2"
    ))
    .bind(when)
    .bind(pkgnum)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn bill(env: &Env, custnum: i64, now: i64) {
    let options = BillingOptions::new(BillingCalendar::default(), now);
    bill_customer_now(env.store(), &TestGateway, &options, custnum)
        .await
        .unwrap()
        .expect("customer exists");
}

#[tokio::test]
async fn adjourn_resume_and_expiry_reach_the_platform_through_the_queue() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        env.add(pkgnum, MAILBOX, "ada").await.unwrap();
        let now = bursar_export::now();

        set_package_date(&env, pkgnum, "adjourn", now - 60).await;
        bill(&env, custnum, now).await;
        let queued = env.store().list_jobs(Some("queued"), 10).await.unwrap();
        assert!(
            queued.iter().any(|j| j.action == "resync"),
            "{}: {queued:?}",
            env.name()
        );
        env.drain().await;
        env.assert_consistent(custnum, "after the scheduled suspension")
            .await;
        let user = &env.sim.state().users["ADA"];
        assert_eq!(user.status.as_str(), "suspended", "{}", env.name());

        set_package_date(&env, pkgnum, "resume", now - 30).await;
        bill(&env, custnum, now).await;
        env.drain().await;
        env.assert_consistent(custnum, "after the scheduled resumption")
            .await;
        assert_eq!(env.sim.state().users["ADA"].status.as_str(), "active");

        set_package_date(&env, pkgnum, "expire", now - 10).await;
        bill(&env, custnum, now).await;
        env.drain().await;
        env.assert_consistent(custnum, "after expiry").await;
        let mut tx = env.store().read().await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM svc_acct")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(left, 0, "the cancelled package's service is gone here");
        let live = env
            .sim
            .state()
            .users
            .values()
            .filter(|u| u.status.as_str() != "deleted")
            .count();
        assert_eq!(live, 0, "{}: and not live on the platform", env.name());
    }
}
