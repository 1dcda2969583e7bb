//! The export job queue: claims, leases, backoff, dead jobs, retries, and
//! concurrent workers never taking one job twice.

use std::collections::{BTreeMap, HashSet};

use bursar_core::model::ExportDef;
use bursar_store::catalog::Catalog;
use bursar_store::jobs::{enqueue, MAX_ATTEMPTS};
use bursar_store::testing::backends;

async fn with_export(store: &bursar_store::Store) -> i64 {
    let options: BTreeMap<String, String> =
        [("host", "h"), ("client_id", "i"), ("client_password", "p")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
    let catalog = Catalog {
        exports: vec![ExportDef {
            exportnum: 0,
            name: "mail".into(),
            export_type: "magicmail".into(),
            options,
        }],
        ..Catalog::default()
    };
    store.apply_catalog(&catalog).await.unwrap();
    store.catalog_snapshot().await.unwrap().exports[0].exportnum
}

#[tokio::test]
async fn jobs_are_claimed_retried_with_backoff_and_die_after_the_last_attempt() {
    for db in backends().await {
        let exportnum = with_export(&db.store).await;
        let mut tx = db.store.write().await.unwrap();
        let jobnum = enqueue(&mut tx, exportnum, Some(5), "insert", "", 1000)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            db.store.claim_job(999).await.unwrap().is_none(),
            "not due yet"
        );
        let job = db.store.claim_job(1000).await.unwrap().expect("due");
        assert_eq!(
            (job.jobnum, job.attempts, job.status.as_str()),
            (jobnum, 1, "running")
        );
        assert!(
            db.store.claim_job(1000).await.unwrap().is_none(),
            "claimed jobs are not claimed twice"
        );
        assert_eq!(
            db.store.fail_job(&job, "timeout", 1000).await.unwrap(),
            "queued"
        );
        assert!(
            db.store.claim_job(1059).await.unwrap().is_none(),
            "backoff of 60 s after the first failure"
        );
        let mut now = 1060;
        let mut last_status = "";
        for _ in 1..MAX_ATTEMPTS {
            let job = db.store.claim_job(now).await.unwrap().expect("retried");
            last_status = db.store.fail_job(&job, "still down", now).await.unwrap();
            now += 4000;
        }
        assert_eq!(last_status, "dead", "{}", db.name());
        assert!(db.store.claim_job(now + 100_000).await.unwrap().is_none());
        let dead = db.store.list_jobs(Some("dead"), 10).await.unwrap();
        assert_eq!(dead[0].last_error, "still down");
        db.store.retry_job(jobnum, now).await.unwrap();
        let job = db
            .store
            .claim_job(now)
            .await
            .unwrap()
            .expect("retry makes it due");
        db.store.finish_job(job.jobnum, now).await.unwrap();
        assert_eq!(
            db.store.list_jobs(None, 10).await.unwrap()[0].status,
            "done"
        );
    }
}

#[tokio::test]
async fn an_expired_lease_makes_a_running_job_claimable_again() {
    for db in backends().await {
        let exportnum = with_export(&db.store).await;
        let mut tx = db.store.write().await.unwrap();
        enqueue(&mut tx, exportnum, None, "repair", "", 0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let first = db.store.claim_job(10).await.unwrap().unwrap();
        assert!(db.store.claim_job(10 + 299).await.unwrap().is_none());
        let again = db
            .store
            .claim_job(10 + 301)
            .await
            .unwrap()
            .expect("lease expired");
        assert_eq!(again.jobnum, first.jobnum);
        assert_eq!(again.attempts, 2);
    }
}

#[tokio::test]
async fn concurrent_workers_never_claim_one_job_twice() {
    for db in backends().await {
        let exportnum = with_export(&db.store).await;
        let mut tx = db.store.write().await.unwrap();
        for n in 0..40 {
            enqueue(&mut tx, exportnum, Some(n), "insert", "", 0)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let mut workers = Vec::new();
        for _ in 0..8 {
            let store = db.store.clone();
            workers.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(job) = store.claim_job(1).await.unwrap() {
                    mine.push(job.jobnum);
                }
                mine
            }));
        }
        let mut seen = HashSet::new();
        for worker in workers {
            for jobnum in worker.await.unwrap() {
                assert!(
                    seen.insert(jobnum),
                    "{}: job {jobnum} claimed twice",
                    db.name()
                );
            }
        }
        assert_eq!(seen.len(), 40);
    }
}
