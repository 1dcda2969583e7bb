//! The durable export job queue (`export_job`): non-realtime export work and
//! repairs, claimed one at a time by workers in any process. On PostgreSQL
//! a claim skips rows other workers hold (`FOR UPDATE SKIP LOCKED`); on
//! SQLite the single writer connection makes the claim's transaction
//! exclusive, which is the same guarantee. A claim is a lease: a job whose
//! worker died becomes claimable again when the lease runs out. Failures
//! are retried with exponential backoff; after the last attempt the job is
//! kept as `dead` with its last error.

use std::collections::HashMap;

use sqlx::Row;

use crate::billing::write::{run_values, Val};
use crate::{Backend, Conn, Error, Result, Store};

/// How long a claim lasts before another worker may take the job.
pub const LEASE_SECONDS: i64 = 300;
/// Attempts before a job is dead.
pub const MAX_ATTEMPTS: i32 = 8;

/// One job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// `jobnum`.
    pub jobnum: i64,
    /// The export that carries it out.
    pub exportnum: i64,
    /// The service it concerns, if any.
    pub svcnum: Option<i64>,
    /// What to do (`insert`, `delete`, `replace`, `suspend`, `unsuspend`, `repair`, …).
    pub action: String,
    /// Action details (JSON text or empty).
    pub payload: String,
    /// `queued`, `running`, `done` or `dead`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// Not before this time.
    pub next_attempt: i64,
    /// The last failure.
    pub last_error: String,
}

const COLUMNS: &str =
    "jobnum, exportnum, svcnum, action, payload, status, attempts, next_attempt, last_error";

fn job(row: &sqlx::any::AnyRow) -> Job {
    Job {
        jobnum: row.get(0),
        exportnum: row.get(1),
        svcnum: row.get(2),
        action: row.get(3),
        payload: row.get(4),
        status: row.get(5),
        attempts: row.get(6),
        next_attempt: row.get(7),
        last_error: row.get(8),
    }
}

/// Queues a job, due at `now`; returns its `jobnum`.
pub async fn enqueue(
    conn: &mut Conn,
    exportnum: i64,
    svcnum: Option<i64>,
    action: &str,
    payload: &str,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO export_job (exportnum, svcnum, action, payload, next_attempt, created, updated) \
         VALUES ($1, $2, $3, $4, $5, $5, $5) RETURNING jobnum",
    )
    .bind(exportnum)
    .bind(svcnum)
    .bind(action)
    .bind(payload)
    .bind(now)
    .fetch_one(conn)
    .await?
    .get(0))
}

/// Backoff after `attempts` failures: 30 s doubling, at most an hour.
pub fn backoff_seconds(attempts: i32) -> i64 {
    (30i64 << attempts.clamp(0, 7)).min(3600)
}

impl Store {
    /// Claims the oldest due job, in its own short transaction; `None` when
    /// nothing is due.
    ///
    /// # Errors
    /// [`Error::Backend`] when the database fails.
    pub async fn claim_job(&self, now: i64) -> Result<Option<Job>> {
        let mut tx = self.write().await?;
        let pick = match self.backend() {
            // Other workers' claimed rows are skipped, not waited for.
            Backend::Postgres => {
                "SELECT jobnum FROM export_job WHERE (status = 'queued' AND next_attempt <= $1) \
                 OR (status = 'running' AND claimed_at < $2) ORDER BY jobnum LIMIT 1 FOR UPDATE SKIP LOCKED"
            }
            // The single writer connection already makes this exclusive.
            Backend::Sqlite => {
                "SELECT jobnum FROM export_job WHERE (status = 'queued' AND next_attempt <= $1) \
                 OR (status = 'running' AND claimed_at < $2) ORDER BY jobnum LIMIT 1"
            }
        };
        let Some(row) = sqlx::query(pick)
            .bind(now)
            .bind(now - LEASE_SECONDS)
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        let jobnum: i64 = row.get(0);
        let sql = format!(
            "UPDATE export_job SET status = 'running', claimed_at = $1, attempts = attempts + 1, updated = $1 \
             WHERE jobnum = $2 RETURNING {COLUMNS}"
        );
        let claimed = sqlx::query(&sql)
            .bind(now)
            .bind(jobnum)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(job(&claimed)))
    }

    /// Marks a claimed job done.
    ///
    /// # Errors
    /// [`Error::Backend`] when the database fails.
    pub async fn finish_job(&self, jobnum: i64, now: i64) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE export_job SET status = 'done', last_error = '', claimed_at = NULL, updated = $1 WHERE jobnum = $2")
            .bind(now)
            .bind(jobnum)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a failure: retried after a backoff, or dead after
    /// [`MAX_ATTEMPTS`]. Returns the new status.
    ///
    /// # Errors
    /// [`Error::Backend`] when the database fails.
    pub async fn fail_job(&self, job: &Job, error: &str, now: i64) -> Result<&'static str> {
        let status = if job.attempts >= MAX_ATTEMPTS {
            "dead"
        } else {
            "queued"
        };
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE export_job SET status = $1, last_error = $2, next_attempt = $3, claimed_at = NULL, updated = $4 WHERE jobnum = $5",
        )
        .bind(status)
        .bind(error)
        .bind(now + backoff_seconds(job.attempts))
        .bind(now)
        .bind(job.jobnum)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(status)
    }

    /// Jobs, newest first (all, or only those with `status`).
    ///
    /// # Errors
    /// [`Error::Backend`] when the database fails.
    pub async fn list_jobs(&self, status: Option<&str>, limit: i64) -> Result<Vec<Job>> {
        let mut tx = self.read().await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM export_job WHERE ($1 = '' OR status = $1) ORDER BY jobnum DESC LIMIT $2"
        );
        let jobs = sqlx::query(&sql)
            .bind(status.unwrap_or(""))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(job)
            .collect();
        tx.rollback().await?;
        Ok(jobs)
    }

    /// Makes a dead or queued job due now, with its attempts reset.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown job; [`Error::Refused`] for one that
    /// is running or done.
    pub async fn retry_job(&self, jobnum: i64, now: i64) -> Result<()> {
        let mut tx = self.write().await?;
        let status: String = sqlx::query("SELECT status FROM export_job WHERE jobnum = $1")
            .bind(jobnum)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?
            .get(0);
        if status != "dead" && status != "queued" {
            return Err(Error::Refused(format!("job {jobnum} is {status}")));
        }
        sqlx::query("UPDATE export_job SET status = 'queued', attempts = 0, next_attempt = $1, updated = $1 WHERE jobnum = $2")
            .bind(now)
            .bind(jobnum)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The payload of a `resync` job: the customer, the username and the
/// export's recorded id, tab-separated — enough for the worker to act once
/// the service is gone here (bursar-export reads it back).
pub fn resync_payload(custnum: i64, username: &str, remote_id: Option<&str>) -> String {
    format!("{custnum}\t{username}\t{}", remote_id.unwrap_or(""))
}

/// Queues, inside the caller's transaction, a `resync` job for every mail
/// service of `pkgnums` on every export of its definition, so that the
/// platform follows a change made outside a service operation (billing's
/// dunning suspension and unsuspension, expiry). With `remove_services`
/// (cancelled packages) the services are removed here first, so that the
/// worker unprovisions them. Returns how many jobs were queued.
pub async fn queue_package_resyncs(
    conn: &mut Conn,
    pkgnums: &[i64],
    remove_services: bool,
    now: i64,
) -> Result<u64> {
    // A fixed number of statements however many packages: the accounts,
    // their definitions' exports and their remote ids are read in lists,
    // and the jobs written in multi-row inserts.
    let mut accounts = crate::service::accounts_of_packages(conn, pkgnums).await?;
    if accounts.is_empty() {
        return Ok(0);
    }
    // Jobs follow the packages' order, then the accounts' svcnum.
    let position: HashMap<i64, usize> = pkgnums.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    accounts.sort_by_key(|a| (position.get(&a.pkgnum).copied(), a.svcnum));

    let mut svcparts: Vec<i64> = accounts.iter().map(|a| a.svcpart).collect();
    svcparts.sort_unstable();
    svcparts.dedup();
    let mut exports: HashMap<i64, Vec<i64>> = HashMap::new();
    for row in crate::fetch_in_list(
        conn,
        "SELECT svcpart, exportnum FROM export_svc WHERE svcpart IN ({}) ORDER BY exportnum",
        &svcparts,
    )
    .await?
    {
        exports.entry(row.get(0)).or_default().push(row.get(1));
    }
    let svcnums: Vec<i64> = accounts.iter().map(|a| a.svcnum).collect();
    let mut remote_ids: HashMap<(i64, i64), String> = HashMap::new();
    for row in crate::fetch_in_list(
        conn,
        "SELECT svcnum, exportnum, remote_id FROM svc_export_state WHERE svcnum IN ({})",
        &svcnums,
    )
    .await?
    {
        remote_ids.insert((row.get(0), row.get(1)), row.get(2));
    }

    let mut jobs = Vec::new();
    for account in &accounts {
        for &exportnum in exports
            .get(&account.svcpart)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let remote = remote_ids.get(&(account.svcnum, exportnum));
            jobs.push(vec![
                Val::Int(Some(exportnum)),
                Val::Int(Some(account.svcnum)),
                Val::Text(resync_payload(
                    account.custnum,
                    &account.username,
                    remote.map(String::as_str),
                )),
                Val::Int(Some(now)),
            ]);
        }
    }
    if remove_services {
        crate::service::delete_accounts(conn, &svcnums).await?;
    }
    run_values(conn, &["BIGINT", "BIGINT", "TEXT", "BIGINT"], &jobs, |values| {
        format!(
            "INSERT INTO export_job (exportnum, svcnum, action, payload, next_attempt, created, updated) \
             SELECT v.column1, v.column2, 'resync', v.column3, v.column4, v.column4, v.column4 \
             FROM (VALUES {values}) AS v"
        )
    })
    .await?;
    Ok(u64::try_from(jobs.len()).unwrap_or(u64::MAX))
}
