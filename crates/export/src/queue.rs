//! The worker side of the durable job queue: repairs that a rollback could
//! not finish (compensating calls, resyncs), and the work `export audit
//! --repair` queues. `run_once` claims and carries out one job and says
//! what it did, so tests step the queue instead of sleeping; `serve` calls
//! it in a loop.

use bursar_magicmail::{Compensation, Status};
use bursar_store::jobs::{enqueue, Job};
use bursar_store::service::{self, Account};
use bursar_store::Store;

use crate::facts::customer_facts;
use crate::hooks::{self, Hook, Repair};
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

fn encode_compensation(compensation: &Compensation) -> (&'static str, String) {
    match compensation {
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
    }
}

fn decode_compensation(action: &str, payload: &str) -> Option<Compensation> {
    let mut parts = payload.split('\t').map(str::to_string);
    let mut next = || parts.next();
    Some(match action {
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
    })
}

/// The facts a resync needs when the service no longer exists here.
fn encode_account(account: &Account) -> String {
    format!(
        "{}\t{}\t{}\t{}",
        account.custnum, account.username, account.domain, account.finger
    )
}

/// Queues `repairs` (each in the queue's own transaction); failures to queue
/// are logged, never lost silently.
pub(crate) async fn queue_repairs(store: &Store, repairs: &[Repair], now: i64) {
    if repairs.is_empty() {
        return;
    }
    let result: Result<(), bursar_store::Error> = async {
        let mut tx = store.write().await?;
        for repair in repairs {
            match repair {
                Repair::Compensate {
                    exportnum,
                    compensation,
                } => {
                    let (action, payload) = encode_compensation(compensation);
                    enqueue(&mut tx, *exportnum, None, action, &payload, now).await?;
                }
                Repair::Resync { exportnum, account } => {
                    enqueue(
                        &mut tx,
                        *exportnum,
                        Some(account.svcnum),
                        "resync",
                        &encode_account(account),
                        now,
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => tracing::warn!(count = repairs.len(), "queued export repairs"),
        Err(error) => {
            tracing::error!(%error, ?repairs, "could not queue export repairs; run `bursar export audit --repair`")
        }
    }
}

/// Queues a resync of `svcnum` on `exportnum` (used by audit --repair).
///
/// # Errors
/// [`ServiceError::Store`] when the database fails.
pub async fn queue_resync(
    store: &Store,
    exportnum: i64,
    svcnum: i64,
    payload: &str,
    now: i64,
) -> Result<i64, ServiceError> {
    let mut tx = store.write().await?;
    let jobnum = enqueue(&mut tx, exportnum, Some(svcnum), "resync", payload, now).await?;
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
    let (action, payload) = encode_compensation(compensation);
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
    if let Some(compensation) = decode_compensation(&job.action, &job.payload) {
        return export
            .compensate(&compensation)
            .await
            .map_err(|e| e.to_string());
    }
    if job.action != "resync" {
        return Err(format!("unknown job action {}", job.action));
    }
    let svcnum = job.svcnum.ok_or("resync without a service")?;
    let mut tx = store.write().await.map_err(|e| e.to_string())?;
    let local = match service::account(&mut tx, svcnum).await {
        Ok(account) => Some(account),
        Err(bursar_store::Error::NotFound) => None,
        Err(error) => return Err(error.to_string()),
    };
    match local {
        Some(account) => {
            // The service exists here: make the remote side hold it, with
            // the status its package has.
            let remote = export
                .client()
                .get_user(&account.username)
                .await
                .map_err(|e| e.to_string())?;
            let exports = [def.clone()];
            let hook = match remote.as_ref().and_then(|u| u.status()) {
                None | Some(Status::Deleted) => Some(Hook::Insert),
                Some(Status::Suspended) if !account.suspended => Some(Hook::Unsuspend),
                Some(Status::Active) if account.suspended => Some(Hook::Suspend),
                _ => None,
            };
            if let Some(hook) = hook {
                hooks::run(
                    &mut tx,
                    store,
                    registry,
                    &exports,
                    hook,
                    None,
                    Some(&account),
                )
                .await
                .map_err(|f| f.message)?;
                if hook == Hook::Insert && account.suspended {
                    hooks::run(
                        &mut tx,
                        store,
                        registry,
                        &exports,
                        Hook::Suspend,
                        None,
                        Some(&account),
                    )
                    .await
                    .map_err(|f| f.message)?;
                }
            }
            tx.commit().await.map_err(|e| e.to_string())
        }
        None => {
            // The service is gone here: unprovision what the remote side holds.
            let mut parts = job.payload.split('\t');
            let custnum: i64 = parts
                .next()
                .and_then(|c| c.parse().ok())
                .ok_or("resync payload without a customer")?;
            let username = parts.next().unwrap_or_default().to_string();
            let domain = parts.next().unwrap_or_default().to_string();
            let finger = parts.next().unwrap_or_default().to_string();
            let facts = customer_facts(&mut tx, store, custnum, &def, Some(svcnum))
                .await
                .map_err(|e| e.to_string())?;
            let service = bursar_magicmail::MailService {
                svcnum,
                username,
                domain,
                finger,
                password: bursar_magicmail::Password::new(String::new()),
                password_encoding: bursar_core::model::PasswordEncoding::Plain,
                account_id: service::remote_id(&mut tx, svcnum, def.exportnum)
                    .await
                    .map_err(|e| e.to_string())?,
            };
            export
                .delete(&facts, &service)
                .await
                .map_err(|e| e.message)?;
            service::clear_remote_ids(&mut tx, svcnum)
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())
        }
    }
}
