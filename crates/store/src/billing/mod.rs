//! The billing run (backend spec section 9, the billing issue's rules): for
//! each customer, under a lock taken in the database, scheduled suspensions
//! and resumptions, the charges `bursar_core::billing::bill_customer`
//! computes, expiry, the application of unapplied payments and credits,
//! collection through a [`PaymentGateway`], and dunning.
//!
//! Shape of a run:
//! 1. **Resolve** (`collect::resolve_open_attempts`): gateway attempts whose
//!    outcome is unknown (a transport error, a crash mid-charge) are looked
//!    up first, each under its customer's lock, so nobody is charged twice.
//! 2. **Pass** (`read`, `plan`, `write`), per batch of customers in custnum
//!    order, in one transaction: lock the batch (PostgreSQL: `SELECT … FOR
//!    UPDATE` on their `cust_main` rows; SQLite: a write to `billing_lock`
//!    first, so the transaction holds the single write lock from its start),
//!    read everything in a fixed number of queries (the many-row ones folded
//!    into one JSON value each, see `json_rows`), plan every customer in
//!    memory (pure), write in multi-row statements inside a savepoint. Should
//!    that write fail, the batch is written again customer by customer, each
//!    in its own savepoint, so one customer's failure costs only that
//!    customer. Charges to send are recorded as `pending` attempts in the
//!    same commit.
//! 3. **Collect** (`collect::collect_batch`), once a batch's worth of
//!    charges is pending and at the end of the run: in a transaction that
//!    locks their customers, the pending attempts are sent to the gateway
//!    and their outcomes, payments, applications and dunning written.
//!
//! A crash loses at most the uncommitted batch; running again for the same
//! time bills nothing twice (package dates moved past `now` in the same
//! commit as the invoice) and resolves pending charges before any new one.
//! Declines are recorded with their reason and never stop a run.
//!
//! Exports follow through the queue: the suspensions, unsuspensions and
//! cancellations a pass makes queue `resync` jobs for the packages' mail
//! services in the same commit (`write::write_work`), which `serve`'s worker
//! carries out.

mod collect;
mod plan;
mod read;
pub(crate) mod write;

use std::collections::BTreeMap;
use std::time::Duration;

use bursar_core::billing::BillingCalendar;
use bursar_core::Money;

use crate::gateway::PaymentGateway;
use crate::{Result, Store};

pub use collect::resolve_open_attempts;

/// `cust_event.event` of a package suspended for non-payment.
pub const EVENT_DUNNING_SUSPEND: &str = "dunning_suspend";
/// `cust_event.event` of a package unsuspended once the balance was paid.
pub const EVENT_DUNNING_UNSUSPEND: &str = "dunning_unsuspend";
/// `cust_event.event` of a package cancelled because its `expire` came.
pub const EVENT_EXPIRE: &str = "expire";
/// `cust_event.event` of a package suspended at its `adjourn` time.
pub const EVENT_ADJOURN: &str = "adjourn";
/// `cust_event.event` of a package unsuspended at its `resume` time.
pub const EVENT_RESUME: &str = "resume";
/// `cust_event.event` of a declined charge (the reason in `detail`).
pub const EVENT_CHARGE_DECLINED: &str = "charge_declined";
/// `cust_event.event` of a charge whose outcome is unknown.
pub const EVENT_CHARGE_UNKNOWN: &str = "charge_unknown";

/// Suspension for non-payment: off unless configured, globally or per agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DunningPolicy {
    /// Days past due after which a customer's packages are suspended, for
    /// every agent without its own setting; `None` = never.
    pub suspend_after_days: Option<u32>,
    /// Per-agent settings, overriding the global one (`None` = never for
    /// that agent).
    pub per_agent: BTreeMap<i64, Option<u32>>,
}

impl DunningPolicy {
    /// The days past due that suspend customers of `agentnum`, if any.
    pub fn days_for(&self, agentnum: i64) -> Option<u32> {
        match self.per_agent.get(&agentnum) {
            Some(days) => *days,
            None => self.suspend_after_days,
        }
    }
}

/// Which address a package's charges are taxed at (spec 9.5 `tax.location`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaxAddress {
    /// The customer's billing location (the default).
    #[default]
    Billing,
    /// The customer's service location.
    Service,
    /// The package's own location.
    Package,
}

/// How a run bills.
#[derive(Debug, Clone)]
pub struct BillingOptions {
    /// Time zone and month-end rule of period arithmetic.
    pub calendar: BillingCalendar,
    /// The time of the run (UNIX seconds): the wall clock, or `--time`.
    pub now: i64,
    /// Suspension for non-payment.
    pub dunning: DunningPolicy,
    /// Which address taxes follow.
    pub tax_address: TaxAddress,
    /// Customers per transaction.
    pub batch_size: usize,
    /// A pause after each committed batch (tests use it to kill a run
    /// midway; zero otherwise).
    pub pause_after_batch: Duration,
}

impl BillingOptions {
    /// Options for a run at `now` on `calendar`, with the defaults: no
    /// dunning, taxes at the billing address, 500 customers per batch.
    pub fn new(calendar: BillingCalendar, now: i64) -> BillingOptions {
        BillingOptions {
            calendar,
            now,
            dunning: DunningPolicy::default(),
            tax_address: TaxAddress::default(),
            batch_size: 500,
            pause_after_batch: Duration::ZERO,
        }
    }
}

/// The step of a pass that failed (spec 8.17's prefixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Cancelling expired packages.
    Expiring,
    /// Suspending packages at their `adjourn` time.
    Adjourning,
    /// Unsuspending packages at their `resume` time.
    Resuming,
    /// Charging and invoicing.
    Billing,
    /// Applying payments and credits.
    Applying,
    /// Charging the gateway.
    Collecting,
}

impl Stage {
    /// The word in the error prefix (`Error billing custnum N: …`).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Expiring => "expiring",
            Stage::Adjourning => "adjourning",
            Stage::Resuming => "resuming",
            Stage::Billing => "billing",
            Stage::Applying => "applying",
            Stage::Collecting => "collecting",
        }
    }
}

/// One customer's pass failed: nothing of it was written. The text is what
/// `bill_now` answers (`Error billing custnum 7: negative setup -5.00 for
/// pkgnum 11`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Error {} custnum {custnum}: {message}", stage.as_str())]
pub struct PassError {
    /// The step that failed.
    pub stage: Stage,
    /// The customer.
    pub custnum: i64,
    /// What went wrong.
    pub message: String,
}

/// What a run (or one customer's pass) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Customers whose pass ran (successfully or not).
    pub customers: u64,
    /// Customers who got an invoice.
    pub billed: u64,
    /// Invoices created.
    pub invoices: u64,
    /// Their total, taxes included.
    pub total: Money,
    /// Approved gateway charges (payments created).
    pub payments: u64,
    /// Their total.
    pub collected: Money,
    /// Declined charges (expired cards included).
    pub declines: u64,
    /// Charges whose outcome is unknown (looked up on the next pass).
    pub unknown: u64,
    /// Packages suspended for non-payment.
    pub suspensions: u64,
    /// Packages unsuspended after the balance was paid.
    pub unsuspensions: u64,
    /// Packages cancelled at their expiry.
    pub expired: u64,
    /// Taxable packages billed without tax: no tax row matches their address.
    pub untaxed: u64,
    /// Customers whose pass failed, with why.
    pub errors: Vec<PassError>,
}

impl RunReport {
    fn add(&mut self, other: RunReport) {
        self.customers += other.customers;
        self.billed += other.billed;
        self.invoices += other.invoices;
        self.total += other.total;
        self.payments += other.payments;
        self.collected += other.collected;
        self.declines += other.declines;
        self.unknown += other.unknown;
        self.suspensions += other.suspensions;
        self.unsuspensions += other.unsuspensions;
        self.expired += other.expired;
        self.untaxed += other.untaxed;
        self.errors.extend(other.errors);
    }
}

/// How far a run is, after each committed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Customers done so far.
    pub done: u64,
    /// Customers in the database when the run started.
    pub total: u64,
    /// Invoices so far.
    pub invoices: u64,
}

/// Which customers a batch takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selection {
    /// The next `batch_size` customers with a custnum above this one.
    After(i64),
    /// Just this customer.
    Only(i64),
}

/// Bills every customer at `options.now`, batch by batch; `progress` is
/// called after each committed batch.
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails outside a customer's
/// pass (a customer's own failure is in [`RunReport::errors`] and the run
/// goes on). Everything committed before stays; running again continues.
pub async fn bill_all(
    store: &Store,
    gateway: &dyn PaymentGateway,
    options: &BillingOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<RunReport> {
    let mut report = RunReport::default();
    let resolved = resolve_open_attempts(store, gateway, None, options.now).await?;
    report.add(resolved);
    let total = read::customer_count(store).await?;
    let mut cache = read::DefinitionCache::default();
    let mut after = 0;
    // Charges are sent once a batch's worth is pending (or at the end), so
    // collection takes few transactions even when few customers pay by
    // card; until then they wait committed as `pending`, which a crash
    // leaves for the next run to resolve.
    let mut charges = Vec::new();
    loop {
        let batch = run_batch(store, options, &mut cache, Selection::After(after)).await?;
        let Some(batch) = batch else {
            break;
        };
        after = batch.last;
        report.add(batch.report);
        charges.extend(batch.charges);
        if charges.len() >= options.batch_size.max(1) {
            let collected = collect::collect_batch(store, gateway, options, &charges).await?;
            report.add(collected);
            charges.clear();
        }
        progress(Progress {
            done: report.customers,
            total: total.max(report.customers),
            invoices: report.invoices,
        });
        if !options.pause_after_batch.is_zero() {
            tokio::time::sleep(options.pause_after_batch).await;
        }
    }
    if !charges.is_empty() {
        report.add(collect::collect_batch(store, gateway, options, &charges).await?);
    }
    Ok(report)
}

/// Runs one full pass for customer `custnum` (what `bill_now` and `bursar
/// bill --custnum` do); `None` when there is no such customer (and nothing
/// changed).
///
/// # Errors
/// [`crate::Error::Backend`] when the database fails; the customer's own
/// failure is in [`RunReport::errors`].
pub async fn bill_customer_now(
    store: &Store,
    gateway: &dyn PaymentGateway,
    options: &BillingOptions,
    custnum: i64,
) -> Result<Option<RunReport>> {
    let mut report = resolve_open_attempts(store, gateway, Some(custnum), options.now).await?;
    let mut cache = read::DefinitionCache::default();
    let Some(batch) = run_batch(store, options, &mut cache, Selection::Only(custnum)).await? else {
        return Ok(None);
    };
    report.add(batch.report);
    if !batch.charges.is_empty() {
        report.add(collect::collect_batch(store, gateway, options, &batch.charges).await?);
    }
    Ok(Some(report))
}

/// Plans every customer of a batch, in order. Planning is pure computation
/// while the database waits, so a large batch is split across the
/// machine's cores (scoped threads; at most [`PLAN_THREADS`]).
fn plan_all(
    data: &read::BatchData,
    cache: &read::DefinitionCache,
    options: &BillingOptions,
) -> Vec<std::result::Result<plan::CustomerPlan, PassError>> {
    let plan_slice = |customers: &[read::BatchCustomer]| {
        customers
            .iter()
            .map(|customer| plan::plan_customer(data, cache, customer, options))
            .collect::<Vec<_>>()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(PLAN_THREADS);
    if threads < 2 || data.customers.len() < 64 {
        return plan_slice(&data.customers);
    }
    let per_thread = data.customers.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = data.customers.chunks(per_thread);
        let first = parts.next().unwrap_or_default();
        let others: Vec<_> = parts
            .map(|part| scope.spawn(move || plan_slice(part)))
            .collect();
        let mut plans = plan_slice(first);
        for handle in others {
            match handle.join() {
                Ok(part) => plans.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        plans
    })
}

/// The most threads one batch is planned on.
const PLAN_THREADS: usize = 4;

/// What one committed batch's pass did.
struct BatchDone {
    /// Its last custnum.
    last: i64,
    report: RunReport,
    /// The charges it recorded `pending`, to send.
    charges: Vec<collect::PendingCharge>,
}

/// One batch's pass, in one transaction; `None` when no customer was
/// selected. Its charges are for the caller to collect.
async fn run_batch(
    store: &Store,
    options: &BillingOptions,
    cache: &mut read::DefinitionCache,
    selection: Selection,
) -> Result<Option<BatchDone>> {
    let mut tx = store.write().await?;
    let Some(data) = read::read_batch(&mut tx, store.backend(), options, cache, selection).await?
    else {
        tx.rollback().await?;
        return Ok(None);
    };
    let last = data.last_custnum();
    let mut report = RunReport::default();
    let mut plans = Vec::with_capacity(data.customers.len());
    for outcome in plan_all(&data, cache, options) {
        report.customers += 1;
        match outcome {
            Ok(plan) => plans.push(plan),
            Err(error) => {
                tracing::warn!(custnum = error.custnum, %error, "customer not billed");
                report.errors.push(error);
            }
        }
    }
    let written = write::write_plans(&mut tx, &plans, options.now).await?;
    tx.commit().await?;
    let mut charges = Vec::new();
    for plan in &plans {
        if written.failed.iter().any(|e| e.custnum == plan.custnum) {
            continue;
        }
        report.add(plan.report());
        if let (Some(attempt), Some(&attemptnum)) =
            (&plan.attempt, written.attempts.get(&plan.custnum))
        {
            if attempt.pending {
                charges.push(collect::PendingCharge {
                    attemptnum,
                    custnum: plan.custnum,
                    agentnum: plan.agentnum,
                    attempt: attempt.clone(),
                });
            }
        }
    }
    report.errors.extend(written.failed);
    Ok(Some(BatchDone {
        last,
        report,
        charges,
    }))
}
