//! Group commit: concurrent small write operations share one transaction
//! and one durable commit (one fsync of SQLite's WAL), each inside its own
//! savepoint so that one operation's failure rolls back only that
//! operation. Every caller gets its answer only after the shared commit, so
//! an acknowledged write survives `kill -9`.
//!
//! On PostgreSQL, whose own commit path already groups concurrent commits,
//! each operation simply runs in its own transaction.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::{mpsc, oneshot};

use crate::{Backend, Conn, Error, Store};

/// A boxed future borrowing the connection.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the group task calls once the shared commit is known: delivers the
/// operation's result, or the commit's error.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// One queued operation: runs on the shared connection inside a savepoint;
/// says whether it succeeded (keep its savepoint) and how to finish.
type Job = Box<dyn for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, (bool, Finish)> + Send>;

/// Most operations sharing one commit.
const MAX_BATCH: usize = 256;

/// The queue of the group-commit task (SQLite only).
#[derive(Clone, Debug)]
pub(crate) struct GroupQueue(mpsc::Sender<Job>);

/// Starts the task that batches jobs on `pool`'s (single) connection.
pub(crate) fn start(pool: sqlx::AnyPool) -> GroupQueue {
    let (sender, mut receiver) = mpsc::channel::<Job>(4096);
    tokio::spawn(async move {
        while let Some(first) = receiver.recv().await {
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            run_batch(&pool, jobs).await;
        }
    });
    GroupQueue(sender)
}

async fn run_batch(pool: &sqlx::AnyPool, jobs: Vec<Job>) {
    let mut finishers: Vec<Finish> = Vec::with_capacity(jobs.len());
    let outcome: Result<(), String> = async {
        let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
        sqlx::query("BEGIN")
            .execute(&mut *conn)
            .await
            .map_err(|e| e.to_string())?;
        for job in jobs {
            if let Err(error) = sqlx::query("SAVEPOINT op").execute(&mut *conn).await {
                finishers.push(Box::new(move |_| drop(error)));
                continue;
            }
            let (ok, finish) = job(&mut conn).await;
            let end = if ok { "RELEASE op" } else { "ROLLBACK TO op" };
            let ended = sqlx::query(end).execute(&mut *conn).await;
            if !ok && ended.is_ok() {
                let _ = sqlx::query("RELEASE op").execute(&mut *conn).await;
            }
            finishers.push(finish);
        }
        match sqlx::query("COMMIT").execute(&mut *conn).await {
            Ok(_) => Ok(()),
            Err(error) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                Err(error.to_string())
            }
        }
    }
    .await;
    for finish in finishers {
        finish(outcome.clone());
    }
}

impl Store {
    /// Runs `operation` as one atomic write that may share its commit with
    /// concurrent ones (see the module docs). An `Err` from the operation
    /// rolls back only what it did; the result is returned after the commit.
    ///
    /// # Errors
    /// The operation's own error, or the commit's as `E::from(Error)`.
    pub async fn write_grouped<T, E, F>(&self, operation: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<Error> + Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
    {
        let queue = match (&self.group, self.backend) {
            (Some(queue), Backend::Sqlite) => queue.clone(),
            _ => {
                let mut tx = self.write().await.map_err(E::from)?;
                let value = operation(&mut tx).await?;
                tx.commit().await.map_err(|e| E::from(Error::from(e)))?;
                return Ok(value);
            }
        };
        let (answer, answered) = oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn: &mut Conn| {
            Box::pin(async move {
                let result = operation(conn).await;
                let ok = result.is_ok();
                let finish: Finish = Box::new(move |commit: Result<(), String>| {
                    let delivered = match (commit, result) {
                        (Ok(()), result) => result,
                        (Err(_), Err(error)) => Err(error),
                        (Err(commit_error), Ok(_)) => {
                            Err(E::from(Error::Backend(sqlx::Error::Protocol(commit_error))))
                        }
                    };
                    let _ = answer.send(delivered);
                });
                (ok, finish)
            })
        });
        if queue.0.send(job).await.is_err() {
            return Err(E::from(Error::Config(
                "the group-commit task has stopped".into(),
            )));
        }
        answered.await.map_err(|_| {
            E::from(Error::Config(
                "the group-commit task dropped an operation".into(),
            ))
        })?
    }
}
