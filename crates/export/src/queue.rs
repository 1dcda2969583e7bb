//! The worker side of the durable job queue: repairs that a rollback could
//! not finish (compensating calls, resyncs), and the work `export audit
//! --repair` queues. `run_once` claims and carries out one job and says
//! what it did, so tests step the queue instead of sleeping; `serve` calls
//! it in a loop.

use bursar_magicmail::{Compensation, Status};
use bursar_store::export_lock::lock_customer;
use bursar_store::jobs::{enqueue, Job};
use bursar_store::service;
use bursar_store::{Conn, Store};

use crate::hooks::Repair;
use crate::reconcile::{reconcile, Subject, Wanted};
use crate::registry::ExportImpl;
use crate::{Registry, ServiceError};

/// What one `run_once` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    /// The job.
    pub jobnum: i64,
    /// Its action.
    pub action: String,
    /// `done`, `queued` (will be retried) or `dead`.
    pub status: String,
    /// The error of this attempt, if any.
    pub error: Option<String>,
}

/// A compensation as a job: its action and payload (tab-separated fields,
/// then the customer's number when known).
fn encode_compensation(
    compensation: &Compensation,
    custnum: Option<i64>,
) -> (&'static str, String) {
    let (action, mut payload) = match compensation {
        Compensation::RemovePackage { username, package } => {
            ("remove_package", format!("{username}\t{package}"))
        }
        Compensation::PurgeUser { username, account } => {
            ("purge_user", format!("{username}\t{account}"))
        }
        Compensation::SetAccountStatus { account, status } => (
            "set_account_status",
            format!("{account}\t{}", status.as_str()),
        ),
        Compensation::PurgeAccount { account } => ("purge_account", account.clone()),
    };
    if let Some(custnum) = custnum {
        payload.push_str(&format!("\t{custnum}"));
    }
    (action, payload)
}

fn decode_compensation(action: &str, payload: &str) -> Option<(Compensation, Option<i64>)> {
    let mut parts = payload.split('\t').map(str::to_string);
    let mut next = || parts.next();
    let compensation = match action {
        "remove_package" => Compensation::RemovePackage {
            username: next()?,
            package: next()?,
        },
        "purge_user" => Compensation::PurgeUser {
            username: next()?,
            account: next()?,
        },
        "set_account_status" => {
            let account = next()?;
            Compensation::SetAccountStatus {
                account,
                status: Status::parse(&next()?)?,
            }
        }
        "purge_account" => Compensation::PurgeAccount { account: next()? },
        _ => return None,
    };
    Some((compensation, next().and_then(|c| c.parse().ok())))
}

/// Queues `repairs` on `conn` (the caller commits them with its own work).
pub(crate) async fn enqueue_repairs(
    conn: &mut Conn,
    repairs: &[Repair],
    now: i64,
) -> Result<(), bursar_store::Error> {
    for repair in repairs {
        match repair {
            Repair::Compensate {
                exportnum,
                custnum,
                compensation,
            } => {
                let (action, payload) = encode_compensation(compensation, *custnum);
                enqueue(conn, *exportnum, None, action, &payload, now).await?;
            }
            Repair::Resync { exportnum, subject } => {
                enqueue(
                    conn,
                    *exportnum,
                    Some(subject.svcnum),
                    "resync",
                    &subject.encode(),
                    now,
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Queues `repairs` in their own transaction (after a rollback); failures
/// to queue are logged, never lost silently.
pub(crate) async fn queue_repairs(store: &Store, repairs: &[Repair], now: i64) {
    if repairs.is_empty() {
        return;
    }
    let result: Result<(), bursar_store::Error> = async {
        let mut tx = store.write().await?;
        enqueue_repairs(&mut tx, repairs, now).await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => tracing::info!(count = repairs.len(), "queued export repairs"),
        Err(error) => {
            tracing::error!(%error, ?repairs, "could not queue export repairs; run `bursar export audit --repair`")
        }
    }
}

/// Queues a resync of service `svcnum` (named `username`, of customer
/// `custnum`) on `exportnum`: the job makes the platform agree with the
/// database as it is when the job runs (used by audit --repair).
///
/// # Errors
/// [`ServiceError::Store`] when the database fails.
pub async fn queue_resync(
    store: &Store,
    exportnum: i64,
    svcnum: i64,
    custnum: i64,
    username: &str,
    now: i64,
) -> Result<i64, ServiceError> {
    let subject = Subject {
        svcnum,
        custnum,
        username: username.to_string(),
        account_id: None,
    };
    let mut tx = store.write().await?;
    let jobnum = enqueue(
        &mut tx,
        exportnum,
        Some(svcnum),
        "resync",
        &subject.encode(),
        now,
    )
    .await?;
    tx.commit().await.map_err(bursar_store::Error::from)?;
    Ok(jobnum)
}

/// Queues a compensating call (used by audit --repair for remote extras).
///
/// # Errors
/// [`ServiceError::Store`] when the database fails.
pub async fn queue_compensation(
    store: &Store,
    exportnum: i64,
    compensation: &Compensation,
    now: i64,
) -> Result<i64, ServiceError> {
    let (action, payload) = encode_compensation(compensation, None);
    let mut tx = store.write().await?;
    let jobnum = enqueue(&mut tx, exportnum, None, action, &payload, now).await?;
    tx.commit().await.map_err(bursar_store::Error::from)?;
    Ok(jobnum)
}

/// Claims and carries out one due job; `None` when nothing is due.
///
/// # Errors
/// [`ServiceError::Store`] when the queue itself cannot be read or written.
pub async fn run_once(
    store: &Store,
    registry: &Registry,
    now: i64,
) -> Result<Option<JobReport>, ServiceError> {
    let Some(job) = store.claim_job(now).await? else {
        return Ok(None);
    };
    let outcome = carry_out(store, registry, &job).await;
    let (status, error) = match outcome {
        Ok(()) => {
            store.finish_job(job.jobnum, now).await?;
            ("done".to_string(), None)
        }
        Err(message) => {
            let status = store.fail_job(&job, &message, now).await?;
            tracing::warn!(jobnum = job.jobnum, action = %job.action, %message, status, "export job failed");
            (status.to_string(), Some(message))
        }
    };
    Ok(Some(JobReport {
        jobnum: job.jobnum,
        action: job.action,
        status,
        error,
    }))
}

async fn carry_out(store: &Store, registry: &Registry, job: &Job) -> Result<(), String> {
    let mut conn = store.read().await.map_err(|e| e.to_string())?;
    let def = service::export_by_num(&mut conn, store, job.exportnum)
        .await
        .map_err(|e| e.to_string())?;
    drop(conn);
    let instance = registry.get(&def).map_err(|e| e.to_string())?;
    let ExportImpl::MagicMail(export) = instance.as_ref();
    if let Some((compensation, custnum)) = decode_compensation(&job.action, &job.payload) {
        // Under the customer's lock when known, so that its check (no live
        // user left, say) and its action are not split by an insert.
        let mut lock = None;
        if let Some(custnum) = custnum {
            let mut tx = store.write().await.map_err(|e| e.to_string())?;
            match lock_customer(&mut tx, store.backend(), custnum).await {
                Ok(()) | Err(bursar_store::Error::NotFound) => lock = Some(tx),
                Err(error) => return Err(error.to_string()),
            }
        }
        let result = export
            .compensate(&compensation)
            .await
            .map_err(|e| e.to_string());
        if let Some(tx) = lock {
            tx.rollback().await.map_err(|e| e.to_string())?;
        }
        return result;
    }

    if job.action != "resync" {
        return Err(format!("unknown job action {}", job.action));
    }
    let subject = job
        .svcnum
        .and_then(|svcnum| Subject::decode(svcnum, &job.payload))
        .ok_or_else(|| format!("unreadable resync job {}", job.jobnum))?;
    let mut tx = store.write().await.map_err(|e| e.to_string())?;
    // The same lock as the service operations: no insert or delete of this
    // customer runs meanwhile, here or in another process.
    match lock_customer(&mut tx, store.backend(), subject.custnum).await {
        Ok(()) | Err(bursar_store::Error::NotFound) => {}
        Err(error) => return Err(error.to_string()),
    }
    // The service as the database holds it now; a number reused by another
    // name (SQLite reuses a rolled-back number) is not this subject.
    let local = match service::account(&mut tx, subject.svcnum).await {
        Ok(account) if account.username.eq_ignore_ascii_case(&subject.username) => Some(account),
        Ok(_) | Err(bursar_store::Error::NotFound) => None,
        Err(error) => return Err(error.to_string()),
    };
    let wanted = match &local {
        Some(account) => Wanted::Present(account),
        None => Wanted::Absent(&subject),
    };
    match reconcile(&mut tx, store, &def, export, wanted).await {
        Ok(()) => tx.commit().await.map_err(|e| e.to_string()),
        Err(failure) => {
            drop(tx);
            let repairs: Vec<Repair> = failure
                .compensations
                .into_iter()
                .map(|compensation| Repair::Compensate {
                    exportnum: def.exportnum,
                    custnum: Some(subject.custnum),
                    compensation,
                })
                .collect();
            queue_repairs(store, &repairs, crate::now()).await;
            Err(failure.message)
        }
    }
}
