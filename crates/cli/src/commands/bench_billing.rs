//! `bursar bench billing --customers N`: a billing run over N generated
//! customers (one to three packages each, a tenth paying by card through
//! the test gateway) in a throwaway SQLite database, against the raw
//! ceiling: the same invoice and line rows inserted in batches with no
//! logic into an identically generated database. Prints both times and
//! their ratio (run speed as a fraction of the ceiling's).
//!
//! With `BURSAR_BENCH_PG_URL=postgres://USER@HOST/DB` (a database the user
//! may connect to and create databases from; not configuration) the same is
//! measured on two throwaway PostgreSQL databases, dropped afterwards.
//! The last line is a one-line summary.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use bursar_store::bench_data::{self, RawInvoice};
use bursar_store::billing::{bill_all, BillingOptions};
use bursar_store::gateway::TestGateway;
use bursar_store::{CardKey, Cipher, Store};

use super::bill::summary;

/// The run's time: 2024-01-15 10:00 UTC, so figures compare across days.
const NOW: i64 = 1_705_312_800;
/// The generator's seed.
const SEED: u64 = 42;
/// Customers per transaction, in the run and the ceiling alike.
const BATCH: usize = 500;

/// What one backend measured.
struct Figures {
    run_secs: f64,
    ceiling_secs: f64,
    invoices: usize,
    lines: usize,
}

impl Figures {
    fn ratio(&self) -> f64 {
        if self.run_secs > 0.0 {
            self.ceiling_secs / self.run_secs
        } else {
            0.0
        }
    }
}

async fn fresh(url: &str) -> Result<Store> {
    let store = Store::open(url, Cipher::new(&CardKey::generate()))
        .await
        .with_context(|| format!("cannot open {}", bursar_store::redact_url(url)))?;
    store.migrate().await?;
    store.init().await?;
    Ok(store)
}

async fn measure(name: &str, url_run: &str, url_ceiling: &str, customers: u64) -> Result<Figures> {
    let store = fresh(url_run).await?;
    let started = Instant::now();
    let generated = bench_data::generate(&store, customers, SEED, NOW).await?;
    eprintln!(
        "bursar: {name}: generated {} customers, {} packages in {:.1} s",
        generated.customers,
        generated.packages,
        started.elapsed().as_secs_f64()
    );
    let mut options = BillingOptions::new(bursar_core::billing::BillingCalendar::default(), NOW);
    options.batch_size = BATCH;
    let started = Instant::now();
    let report = bill_all(&store, &TestGateway, &options, &mut |_| {}).await?;
    let run_secs = started.elapsed().as_secs_f64();
    println!("{name}: {}", summary(&report));
    let invoices: Vec<RawInvoice> = bench_data::read_invoices(&store).await?;
    store.close().await;
    let lines = invoices.iter().map(|i| i.lines.len()).sum();

    let ceiling = fresh(url_ceiling).await?;
    bench_data::generate(&ceiling, customers, SEED, NOW).await?;
    let started = Instant::now();
    bench_data::insert_raw(&ceiling, &invoices, BATCH).await?;
    let ceiling_secs = started.elapsed().as_secs_f64();
    ceiling.close().await;
    let figures = Figures {
        run_secs,
        ceiling_secs,
        invoices: invoices.len(),
        lines,
    };
    println!(
        "{name}: billing run {:.2} s ({:.0} customers/s); raw ceiling {:.2} s for the same {} invoices and {} lines; \
         ratio {:.2} of the ceiling",
        figures.run_secs,
        customers as f64 / figures.run_secs.max(1e-9),
        figures.ceiling_secs,
        figures.invoices,
        figures.lines,
        figures.ratio()
    );
    Ok(figures)
}

/// `bursar bench billing --customers N`.
pub async fn bench_billing(customers: u64) -> Result<ExitCode> {
    let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
    let url = |file: &str| format!("sqlite://{}", Path::new(dir.path()).join(file).display());
    let sqlite = measure("sqlite", &url("run.db"), &url("ceiling.db"), customers).await?;
    let mut summary_line = format!(
        "bench billing: {customers} customers; sqlite run {:.2} s, ceiling {:.2} s, ratio {:.2}",
        sqlite.run_secs,
        sqlite.ceiling_secs,
        sqlite.ratio()
    );
    if let Ok(admin_url) = std::env::var("BURSAR_BENCH_PG_URL") {
        let names = [
            format!("bursar_bench_run_{}", std::process::id()),
            format!("bursar_bench_ceiling_{}", std::process::id()),
        ];
        let run_url = bench_data::create_postgres_database(&admin_url, &names[0]).await?;
        let ceiling_url = bench_data::create_postgres_database(&admin_url, &names[1]).await?;
        let measured = measure("postgres", &run_url, &ceiling_url, customers).await;
        for name in &names {
            if let Err(error) = bench_data::drop_postgres_database(&admin_url, name).await {
                eprintln!("bursar: could not drop {name}: {error}");
            }
        }
        let postgres = measured?;
        summary_line.push_str(&format!(
            "; postgres run {:.2} s, ceiling {:.2} s, ratio {:.2}",
            postgres.run_secs,
            postgres.ceiling_secs,
            postgres.ratio()
        ));
    }
    println!("{summary_line}");
    Ok(ExitCode::SUCCESS)
}
