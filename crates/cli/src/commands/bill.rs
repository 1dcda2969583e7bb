//! `bursar bill`: the billing run. Progress goes to stderr (a bar on a
//! terminal, a plain line per committed batch otherwise); the summary line
//! goes to stdout. Declined charges are part of a completed run (exit 0);
//! customers whose pass failed are listed on stderr and make the exit
//! status 1 once the run has finished.
//!
//! `BURSAR_TEST_BILL_PAUSE_MS` (tests only, not configuration) pauses after
//! each committed batch, so a test can kill the run midway.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use bursar_store::billing::{bill_all, bill_customer_now, Progress, RunReport};
use bursar_store::gateway::TestGateway;
use indicatif::{ProgressBar, ProgressStyle};

use crate::runtime;

/// Seconds since the epoch.
pub(crate) fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}

/// The one-line summary of a run.
pub(crate) fn summary(report: &RunReport) -> String {
    format!(
        "billed {} of {} customers: {} invoices, total {}; {} payments ({}), {} declines, {} unknown; \
         {} suspensions, {} unsuspensions, {} expired; {} untaxed; {} errors",
        report.billed,
        report.customers,
        report.invoices,
        report.total,
        report.payments,
        report.collected,
        report.declines,
        report.unknown,
        report.suspensions,
        report.unsuspensions,
        report.expired,
        report.untaxed,
        report.errors.len()
    )
}

/// `bursar bill [--time UNIX] [--custnum N]`.
pub async fn bill(config: &Path, time: Option<i64>, custnum: Option<i64>) -> Result<ExitCode> {
    let loaded = runtime::load(config)?;
    let store = runtime::open_store(&loaded, false).await?;
    let mut options = loaded.billing_options(time.unwrap_or_else(wall_clock))?;
    if let Ok(pause) = std::env::var("BURSAR_TEST_BILL_PAUSE_MS") {
        let millis: u64 = pause
            .trim()
            .parse()
            .context("BURSAR_TEST_BILL_PAUSE_MS must be a number of milliseconds")?;
        options.pause_after_batch = Duration::from_millis(millis);
    }
    let gateway = TestGateway;
    let report = match custnum {
        Some(custnum) => bill_customer_now(&store, &gateway, &options, custnum)
            .await?
            .ok_or_else(|| anyhow!("unknown customer {custnum}"))?,
        None => {
            let bar = std::io::stderr().is_terminal().then(|| {
                let bar = ProgressBar::new(0);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} billing [{bar:40}] {pos}/{len} customers, {msg} ({eta} left)",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar
            });
            let mut progress = |p: Progress| match &bar {
                Some(bar) => {
                    bar.set_length(p.total);
                    bar.set_position(p.done);
                    bar.set_message(format!("{} invoices", p.invoices));
                }
                None => eprintln!(
                    "bursar: billing {}/{} customers, {} invoices",
                    p.done, p.total, p.invoices
                ),
            };
            let report = bill_all(&store, &gateway, &options, &mut progress).await;
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            report.context("the billing run stopped (what was committed stays; run it again)")?
        }
    };
    store.close().await;
    for error in &report.errors {
        eprintln!("bursar: {error}");
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", summary(&report))?;
    if report.errors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "bursar: error: {} customers could not be billed (listed above)",
            report.errors.len()
        );
        Ok(ExitCode::FAILURE)
    }
}
