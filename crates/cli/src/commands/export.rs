//! `bursar export jobs|retry|test|audit`: the operator's view of the
//! provisioning exports and their job queue, and `run_queue`, the worker
//! loop `bursar serve` runs in the background. Output is plain text on
//! stdout; `audit` exits 1 when it found drift.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use bursar_export::audit::{audit, test_export};
use bursar_export::queue::run_once;
use bursar_export::Registry;
use bursar_store::Store;
use clap::Subcommand;

use crate::runtime;

/// How long the worker waits when no job is due.
const IDLE_PAUSE: Duration = Duration::from_secs(2);

/// `bursar export …`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// List export jobs, newest first.
    Jobs {
        /// Only jobs with this status: queued, running, done or dead.
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Make a dead or queued job due now, with its attempts reset.
    Retry {
        /// The job number.
        jobnum: i64,
    },
    /// Check an export: reachability, credentials and what the platform shows.
    Test {
        /// The export's name in the catalog.
        name: String,
    },
    /// Compare every mail service here with the platform and print the drift (exit 1 when there is some).
    Audit {
        /// The export's name in the catalog.
        name: String,
        /// Queue the fixes (see `bursar export jobs`); `serve` carries them out.
        #[arg(long)]
        repair: bool,
    },
}

/// `bursar export …`.
pub async fn export(config: &Path, command: ExportCommand) -> Result<ExitCode> {
    let loaded = runtime::load(config)?;
    let store = runtime::open_store(&loaded, false).await?;
    let result = run(&store, command).await;
    store.close().await;
    result
}

async fn run(store: &Store, command: ExportCommand) -> Result<ExitCode> {
    let registry = Registry::new();
    let mut out = std::io::stdout().lock();
    match command {
        ExportCommand::Jobs { status, limit } => {
            if let Some(status) = &status {
                if !matches!(status.as_str(), "queued" | "running" | "done" | "dead") {
                    bail!("unknown job status {status} (queued, running, done or dead)");
                }
            }
            let jobs = store.list_jobs(status.as_deref(), limit).await?;
            writeln!(
                out,
                "{:>7}  {:<7}  {:>8}  {:<18}  {:>7}  {:<20}  {:<24}  last error",
                "jobnum", "status", "attempts", "action", "svcnum", "next attempt", "subject"
            )?;
            for job in jobs {
                let next = jiff::Timestamp::from_second(job.next_attempt)
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                let svcnum = job.svcnum.map(|n| n.to_string()).unwrap_or_default();
                let subject = job.payload.replace('\t', " ");
                let error = job.last_error.replace('\n', " | ");
                writeln!(
                    out,
                    "{:>7}  {:<7}  {:>8}  {:<18}  {:>7}  {:<20}  {:<24}  {error}",
                    job.jobnum, job.status, job.attempts, job.action, svcnum, next, subject
                )?;
            }
        }
        ExportCommand::Retry { jobnum } => {
            store
                .retry_job(jobnum, bursar_export::now())
                .await
                .map_err(|e| match e {
                    bursar_store::Error::NotFound => anyhow::anyhow!("unknown job {jobnum}"),
                    other => other.into(),
                })?;
            eprintln!("bursar: job {jobnum} is due now");
        }
        ExportCommand::Test { name } => {
            for line in test_export(store, &registry, &name).await? {
                writeln!(out, "{line}")?;
            }
        }
        ExportCommand::Audit { name, repair } => {
            let drift = audit(store, &registry, &name, repair).await?;
            if drift.is_empty() {
                writeln!(out, "no drift")?;
                return Ok(ExitCode::SUCCESS);
            }
            for item in &drift {
                writeln!(out, "{item}")?;
            }
            if repair {
                eprintln!("bursar: repairs queued; `bursar serve` carries them out (see `bursar export jobs`)");
            }
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the export job queue until `stop` turns true (or its sender is
/// gone): one job at a time, a pause when none is due. A job in progress
/// is finished before it stops.
pub async fn run_queue(
    store: Store,
    registry: Arc<Registry>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        let idle = match run_once(&store, &registry, bursar_export::now()).await {
            Ok(Some(report)) => {
                tracing::info!(jobnum = report.jobnum, action = %report.action, status = %report.status, "export job");
                false
            }
            Ok(None) => true,
            Err(error) => {
                tracing::error!(%error, "the export queue cannot run");
                true
            }
        };
        if idle {
            tokio::select! {
                changed = stop.changed() => if changed.is_err() { break },
                () = tokio::time::sleep(IDLE_PAUSE) => {}
            }
        }
    }
}
