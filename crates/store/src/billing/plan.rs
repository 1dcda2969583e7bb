//! One customer's pass decided in memory, from what `read` found: the
//! package date changes (adjourn, resume, billing, expiry, dunning), the
//! invoice, the applications, the gateway attempt and the events. Nothing
//! here touches the database, so a refused pass leaves nothing to undo.

use bursar_core::billing::LineItem;
use bursar_core::billing::{
    bill_customer, bill_date_after_unsuspend, PackageFlags, PackageToBill, TaxTable,
};
use bursar_core::ledger::{plan_applications, OpenItem, SourceKind};
use bursar_core::model::{CustomerPackage, Location, PackageDef};
use bursar_core::payby::{CardExpiry, Payby};
use bursar_core::Money;

use super::read::{BatchCustomer, BatchData, BatchPackage, DefinitionCache, DunningMark};
use super::{
    BillingOptions, PassError, RunReport, Stage, TaxAddress, EVENT_ADJOURN, EVENT_CHARGE_DECLINED,
    EVENT_DUNNING_SUSPEND, EVENT_DUNNING_UNSUSPEND, EVENT_EXPIRE, EVENT_RESUME,
};

/// The first of the numbers standing for the invoices this pass creates,
/// until the store numbers them: above any real invoice number, so new
/// invoices sort after older ones of the same second, and in their order.
const NEW_INVOICE_BASE: i64 = i64::MAX - (1 << 20);

/// The number standing for this pass's `idx`th new invoice.
pub(super) fn new_invoice(idx: usize) -> i64 {
    NEW_INVOICE_BASE + i64::try_from(idx).unwrap_or(0)
}

/// Which of this pass's new invoices `invnum` stands for, if any.
pub(super) fn new_invoice_index(invnum: i64) -> Option<usize> {
    invnum
        .checked_sub(NEW_INVOICE_BASE)
        .filter(|idx| *idx >= 0)
        .and_then(|idx| usize::try_from(idx).ok())
}

/// A package's dates after the pass (every field its new value), and
/// which of them changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PackageUpdate {
    pub pkgnum: i64,
    /// Bit `i` set: the `i`th date of [`PackageUpdate::DATES`] changed.
    pub changed: u8,
    pub start_date: Option<i64>,
    pub setup: Option<i64>,
    pub bill: Option<i64>,
    pub last_bill: Option<i64>,
    pub susp: Option<i64>,
    pub adjourn: Option<i64>,
    pub resume: Option<i64>,
    pub cancel: Option<i64>,
}

impl PackageUpdate {
    /// The `cust_pkg` columns of the dates, in [`PackageUpdate::dates`]'
    /// order.
    pub const DATES: [&'static str; 8] = [
        "start_date",
        "setup",
        "bill",
        "last_bill",
        "susp",
        "adjourn",
        "resume",
        "cancel",
    ];

    fn of(package: &CustomerPackage) -> PackageUpdate {
        PackageUpdate {
            pkgnum: package.pkgnum,
            changed: 0,
            start_date: package.start_date,
            setup: package.setup,
            bill: package.bill,
            last_bill: package.last_bill,
            susp: package.susp,
            adjourn: package.adjourn,
            resume: package.resume,
            cancel: package.cancel,
        }
    }

    /// The dates' values, in [`PackageUpdate::DATES`]' order.
    pub fn dates(&self) -> [Option<i64>; 8] {
        [
            self.start_date,
            self.setup,
            self.bill,
            self.last_bill,
            self.susp,
            self.adjourn,
            self.resume,
            self.cancel,
        ]
    }

    /// `self` with `changed` marking the dates that differ from `before`'s.
    fn changed_from(mut self, before: &PackageUpdate) -> PackageUpdate {
        self.changed = self
            .dates()
            .iter()
            .zip(before.dates())
            .enumerate()
            .filter(|(_, (after, before))| **after != *before)
            .fold(0, |mask, (idx, _)| mask | (1 << idx));
        self
    }
}

/// The invoice to create.
#[derive(Debug, Clone)]
pub(super) struct InvoicePlan {
    pub date: i64,
    pub charged: Money,
    pub billing_balance: Money,
    pub previous_balance: Money,
    pub lines: Vec<LineItem>,
    /// Never charged automatically (lines of `no_auto` packages).
    pub no_auto: bool,
}

/// An application to insert; `invnum` may be one of this pass's invoices
/// ([`new_invoice`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct ApplicationPlan {
    pub kind: SourceKind,
    pub source_num: i64,
    pub invnum: i64,
    pub amount: Money,
}

/// A gateway attempt to record: `pending` ones are sent after the commit;
/// the others were refused before sending (an expired card).
#[derive(Debug, Clone)]
pub(super) struct AttemptPlan {
    pub amount: Money,
    pub payby: Payby,
    /// Encrypted, as stored on the customer.
    pub payinfo: String,
    pub paymask: String,
    pub paydate: String,
    pub payname: String,
    pub order_number: String,
    pub pending: bool,
    pub message: String,
}

/// A `cust_event` row to insert.
#[derive(Debug, Clone)]
pub(super) struct EventPlan {
    pub event: &'static str,
    pub pkgnum: Option<i64>,
    /// Possibly one of this pass's invoices ([`new_invoice`]).
    pub invnum: Option<i64>,
    /// The attempt this pass records, when the event is about it.
    pub about_attempt: bool,
    pub detail: String,
}

/// Everything one customer's pass writes.
#[derive(Debug, Clone)]
pub(super) struct CustomerPlan {
    pub custnum: i64,
    pub agentnum: i64,
    pub updates: Vec<PackageUpdate>,
    /// In [`new_invoice`] order.
    pub invoices: Vec<InvoicePlan>,
    pub applications: Vec<ApplicationPlan>,
    pub attempt: Option<AttemptPlan>,
    pub work: Work,
    pub untaxed: u64,
}

impl CustomerPlan {
    /// This pass's counts (the customer itself is counted by the caller).
    pub fn report(&self) -> RunReport {
        RunReport {
            billed: u64::from(!self.invoices.is_empty()),
            invoices: count(&self.invoices),
            total: self.invoices.iter().map(|i| i.charged).sum(),
            declines: u64::from(self.attempt.as_ref().is_some_and(|a| !a.pending)),
            suspensions: count(&self.work.suspended),
            unsuspensions: count(&self.work.unsuspended),
            expired: count(&self.work.cancelled),
            untaxed: self.untaxed,
            ..RunReport::default()
        }
    }
}

fn count<T>(items: &[T]) -> u64 {
    u64::try_from(items.len()).unwrap_or(u64::MAX)
}

/// A date column that is set (Freeside's `0` counts as unset).
fn set(value: Option<i64>) -> Option<i64> {
    value.filter(|&t| t != 0)
}

/// The packages of one customer as a pass changes them, with the dunning
/// marks and the events it records.
#[derive(Debug, Clone)]
pub(super) struct Work {
    custnum: i64,
    now: i64,
    pub packages: Vec<BatchPackage>,
    original: Vec<CustomerPackage>,
    marks: Vec<DunningMark>,
    pub marks_remove: Vec<i64>,
    pub marks_add: Vec<DunningMark>,
    pub events: Vec<EventPlan>,
    /// Suspended for non-payment.
    pub suspended: Vec<i64>,
    /// Unsuspended because the balance was paid.
    pub unsuspended: Vec<i64>,
    /// Suspended at their `adjourn` time.
    pub adjourned: Vec<i64>,
    /// Unsuspended at their `resume` time.
    pub resumed: Vec<i64>,
    /// Cancelled at their expiry.
    pub cancelled: Vec<i64>,
}

impl Work {
    pub fn new(
        custnum: i64,
        now: i64,
        packages: Vec<BatchPackage>,
        marks: Vec<DunningMark>,
    ) -> Work {
        let original = packages.iter().map(|p| p.package.clone()).collect();
        Work {
            custnum,
            now,
            packages,
            original,
            marks,
            marks_remove: Vec::new(),
            marks_add: Vec::new(),
            events: Vec::new(),
            suspended: Vec::new(),
            unsuspended: Vec::new(),
            adjourned: Vec::new(),
            resumed: Vec::new(),
            cancelled: Vec::new(),
        }
    }

    fn event(
        &mut self,
        event: &'static str,
        pkgnum: Option<i64>,
        invnum: Option<i64>,
        detail: String,
    ) {
        self.events.push(EventPlan {
            event,
            pkgnum,
            invnum,
            about_attempt: false,
            detail,
        });
    }

    fn drop_mark(&mut self, pkgnum: i64) {
        if let Some(idx) = self.marks.iter().position(|m| m.pkgnum == pkgnum) {
            self.marks.remove(idx);
            self.marks_remove.push(pkgnum);
        }
    }

    /// Unsuspends `package` now, moving its next bill date forward by the
    /// time it spent suspended.
    fn unsuspend(package: &mut CustomerPackage, now: i64) {
        package.bill = bill_date_after_unsuspend(package, now).or(package.bill);
        package.susp = None;
    }

    /// Scheduled suspensions (`adjourn` ≤ now) of live packages.
    pub fn adjourn(&mut self) {
        let now = self.now;
        let mut done = Vec::new();
        for p in &mut self.packages {
            let package = &mut p.package;
            if set(package.adjourn).is_some_and(|t| t <= now) && set(package.susp).is_none() {
                package.susp = Some(now);
                package.adjourn = None;
                done.push(package.pkgnum);
            }
        }
        for pkgnum in done {
            self.event(
                EVENT_ADJOURN,
                Some(pkgnum),
                None,
                "scheduled suspension".into(),
            );
            self.adjourned.push(pkgnum);
        }
    }

    /// Scheduled unsuspensions (`resume` ≤ now) of suspended packages.
    pub fn resume(&mut self) {
        let now = self.now;
        let mut done = Vec::new();
        for p in &mut self.packages {
            let package = &mut p.package;
            if set(package.resume).is_some_and(|t| t <= now) && set(package.susp).is_some() {
                Work::unsuspend(package, now);
                package.resume = None;
                done.push(package.pkgnum);
            }
        }
        for pkgnum in done {
            self.drop_mark(pkgnum);
            self.event(
                EVENT_RESUME,
                Some(pkgnum),
                None,
                "scheduled unsuspension".into(),
            );
            self.resumed.push(pkgnum);
        }
    }

    /// Cancels packages whose `expire` has come (after billing, which
    /// charged the periods that began before it).
    pub fn expire(&mut self) {
        let now = self.now;
        let mut done = Vec::new();
        for p in &mut self.packages {
            let package = &mut p.package;
            if set(package.expire).is_some_and(|t| t <= now) && set(package.cancel).is_none() {
                package.cancel = Some(now);
                done.push(package.pkgnum);
            }
        }
        for pkgnum in done {
            self.drop_mark(pkgnum);
            self.event(EVENT_EXPIRE, Some(pkgnum), None, "expired".into());
            self.cancelled.push(pkgnum);
        }
    }

    /// When `balance` is paid (≤ 0), unsuspends the packages dunning
    /// suspended and that are still suspended since then.
    pub fn unsuspend_paid(&mut self, balance: Money) {
        if balance.is_positive() || self.marks.is_empty() {
            return;
        }
        let now = self.now;
        for mark in std::mem::take(&mut self.marks) {
            self.marks_remove.push(mark.pkgnum);
            let Some(p) = self
                .packages
                .iter_mut()
                .find(|p| p.package.pkgnum == mark.pkgnum)
            else {
                continue;
            };
            if p.package.susp != Some(mark.susp) || set(p.package.cancel).is_some() {
                continue;
            }
            Work::unsuspend(&mut p.package, now);
            self.unsuspended.push(mark.pkgnum);
            self.event(
                EVENT_DUNNING_UNSUSPEND,
                Some(mark.pkgnum),
                None,
                format!("balance paid ({balance})"),
            );
        }
    }

    /// Suspends the live packages when the oldest open invoice is `days`
    /// or more days past due (`open` as left after applications).
    pub fn suspend_past_due(&mut self, open: &[OpenItem], days: Option<u32>) {
        let Some(days) = days else {
            return;
        };
        let now = self.now;
        let Some(oldest) = open
            .iter()
            .filter(|i| i.left.is_positive())
            .min_by_key(|i| (i.date, i.num))
            .copied()
        else {
            return;
        };
        let due_for = now - oldest.date;
        if due_for < i64::from(days) * 86_400 {
            return;
        }
        let mut done = Vec::new();
        for p in &mut self.packages {
            let package = &mut p.package;
            if set(package.susp).is_none()
                && set(package.setup).is_some()
                && set(package.cancel).is_none()
            {
                package.susp = Some(now);
                done.push(package.pkgnum);
            }
        }
        for pkgnum in done {
            self.drop_mark(pkgnum);
            self.marks_add.push(DunningMark { pkgnum, susp: now });
            self.suspended.push(pkgnum);
            self.event(
                EVENT_DUNNING_SUSPEND,
                Some(pkgnum),
                Some(oldest.num),
                format!(
                    "{} owed, {} days past due (limit {days})",
                    oldest.left,
                    due_for / 86_400
                ),
            );
        }
    }

    /// Rows of the packages whose dates changed.
    pub fn updates(&self) -> Vec<PackageUpdate> {
        self.packages
            .iter()
            .zip(&self.original)
            .map(|(now, before)| (PackageUpdate::of(&now.package), PackageUpdate::of(before)))
            .filter(|(after, before)| after != before)
            .map(|(after, before)| after.changed_from(&before))
            .collect()
    }

    /// The customer.
    pub fn custnum(&self) -> i64 {
        self.custnum
    }
}

fn error(stage: Stage, custnum: i64, message: impl Into<String>) -> PassError {
    PassError {
        stage,
        custnum,
        message: message.into(),
    }
}

/// Plans one customer's pass.
///
/// # Errors
/// The [`PassError`] of the step that refused (a negative amount, a
/// definition that cannot be billed); nothing of the pass is written then.
pub(super) fn plan_customer(
    data: &BatchData,
    cache: &DefinitionCache,
    batch_customer: &BatchCustomer,
    options: &BillingOptions,
) -> Result<CustomerPlan, PassError> {
    let customer = &batch_customer.customer;
    let custnum = customer.custnum;
    let now = options.now;
    let mut work = Work::new(
        custnum,
        now,
        data.packages.get(&custnum).cloned().unwrap_or_default(),
        data.marks.get(&custnum).cloned().unwrap_or_default(),
    );
    let balance_before = data
        .totals
        .get(&custnum)
        .copied()
        .unwrap_or_default()
        .balance();
    // Money paid since the last pass may already cover everything: such
    // packages come back before billing.
    work.unsuspend_paid(balance_before);
    work.adjourn();
    work.resume();

    let empty = Location::default();
    let location_of = |locationnum: i64| data.locations.get(&locationnum).unwrap_or(&empty);
    let mut defs: Vec<&PackageDef> = Vec::with_capacity(work.packages.len());
    for p in &work.packages {
        match cache.defs.get(&p.package.pkgpart) {
            Some(Ok(def)) => defs.push(def),
            Some(Err(reason)) => return Err(error(Stage::Billing, custnum, reason.clone())),
            None => {
                return Err(error(
                    Stage::Billing,
                    custnum,
                    format!("unknown package definition {}", p.package.pkgpart),
                ))
            }
        }
    }
    let to_bill: Vec<PackageToBill<'_>> = work
        .packages
        .iter()
        .zip(&defs)
        .map(|(p, def)| PackageToBill {
            package: &p.package,
            def,
            flags: PackageFlags {
                waive_setup: p.waive_setup,
                separate_bill: p.separate_bill,
                no_auto: p.no_auto,
                ..PackageFlags::default()
            },
            tax_location: match options.tax_address {
                TaxAddress::Billing => location_of(customer.bill_locationnum),
                TaxAddress::Service => location_of(customer.ship_locationnum),
                TaxAddress::Package => location_of(if p.package.locationnum != 0 {
                    p.package.locationnum
                } else {
                    customer.bill_locationnum
                }),
            },
        })
        .collect();
    // Read before any customer is planned; empty means no tax rows.
    let no_taxes = TaxTable::default();
    let bill = bill_customer(
        customer,
        &to_bill,
        cache.tax_table.as_ref().unwrap_or(&no_taxes),
        &options.calendar,
        now,
    )
    .map_err(|e| error(Stage::Billing, custnum, e.to_string()))?;
    drop(to_bill);
    for dates in &bill.dates {
        if let Some(p) = work
            .packages
            .iter_mut()
            .find(|p| p.package.pkgnum == dates.pkgnum)
        {
            dates.apply_to(&mut p.package);
        }
    }
    for untaxed in &bill.untaxed {
        tracing::warn!(
            custnum,
            pkgnum = untaxed.pkgnum,
            country = %untaxed.country,
            state = %untaxed.state,
            county = %untaxed.county,
            city = %untaxed.city,
            "no tax row matches the address: billed without tax"
        );
    }
    work.expire();

    // Each new invoice follows the one before: its balance before includes
    // the earlier ones of this pass.
    let mut billing_balance = balance_before;
    let mut previous_balance = data.previous.get(&custnum).copied().unwrap_or(Money::ZERO);
    let invoices: Vec<InvoicePlan> = bill
        .invoices
        .into_iter()
        .map(|draft| {
            let invoice = InvoicePlan {
                date: draft.date,
                charged: draft.charged,
                billing_balance,
                previous_balance,
                lines: draft.lines,
                no_auto: draft.no_auto,
            };
            previous_balance = billing_balance + draft.charged;
            billing_balance += draft.charged;
            invoice
        })
        .collect();
    let mut open = data
        .open_invoices
        .get(&custnum)
        .cloned()
        .unwrap_or_default();
    for (idx, invoice) in invoices.iter().enumerate() {
        if invoice.charged.is_positive() {
            open.push(OpenItem {
                num: new_invoice(idx),
                date: now,
                left: invoice.charged,
            });
        }
    }
    let planned = plan_applications(
        &open,
        data.payments
            .get(&custnum)
            .map(Vec::as_slice)
            .unwrap_or_default(),
        data.credits
            .get(&custnum)
            .map(Vec::as_slice)
            .unwrap_or_default(),
        |_| false,
    );
    for application in &planned {
        if let Some(item) = open.iter_mut().find(|i| i.num == application.invnum) {
            item.left -= application.amount;
        }
    }
    let applications = planned
        .iter()
        .map(|a| ApplicationPlan {
            kind: a.kind,
            source_num: a.source_num,
            invnum: a.invnum,
            amount: a.amount,
        })
        .collect();
    let balance_after = billing_balance;

    // Invoices of no_auto packages are never charged automatically.
    let charged_automatically: Vec<OpenItem> = open
        .iter()
        .filter(|item| match new_invoice_index(item.num) {
            Some(idx) => !invoices[idx].no_auto,
            None => !data.no_auto_invoices.contains(&item.num),
        })
        .copied()
        .collect();
    let attempt = collection_attempt(
        batch_customer,
        balance_after,
        &charged_automatically,
        data.unresolved.contains(&custnum),
        options,
    );
    if let Some(attempt) = attempt.as_ref().filter(|a| !a.pending) {
        work.events.push(EventPlan {
            event: EVENT_CHARGE_DECLINED,
            pkgnum: None,
            invnum: None,
            about_attempt: true,
            detail: attempt.message.clone(),
        });
    }
    // With a charge on its way, dunning waits for its outcome (collect).
    if !attempt.as_ref().is_some_and(|a| a.pending) {
        work.unsuspend_paid(balance_after);
        work.suspend_past_due(&open, options.dunning.days_for(customer.agentnum));
    }
    Ok(CustomerPlan {
        custnum,
        agentnum: customer.agentnum,
        updates: work.updates(),
        invoices,
        applications,
        attempt,
        work,
        untaxed: u64::try_from(bill.untaxed.len()).unwrap_or_default(),
    })
}

/// The charge to send for a `CARD` or `CHEK` customer who owes: the
/// smaller of the balance and what the open invoices still owe. None while
/// an earlier attempt is unresolved (never charge twice). An expired card is
/// not sent: the attempt is recorded refused with `Expired card`.
fn collection_attempt(
    batch_customer: &BatchCustomer,
    balance: Money,
    open: &[OpenItem],
    unresolved: bool,
    options: &BillingOptions,
) -> Option<AttemptPlan> {
    let customer = &batch_customer.customer;
    let payby = Payby::from_code(&customer.payby)?;
    if !matches!(payby, Payby::Card | Payby::Chek) || unresolved || !balance.is_positive() {
        return None;
    }
    let owed: Money = open
        .iter()
        .map(|i| i.left)
        .filter(|l| l.is_positive())
        .sum();
    let amount = balance.min(owed);
    if !amount.is_positive() {
        return None;
    }
    let mut attempt = AttemptPlan {
        amount,
        payby,
        payinfo: batch_customer.payinfo.clone(),
        paymask: customer.paymask.clone(),
        paydate: customer.paydate.clone(),
        payname: customer.payname.clone(),
        order_number: new_order_number(customer.custnum),
        pending: true,
        message: String::new(),
    };
    if payby == Payby::Card {
        match CardExpiry::parse(&customer.paydate) {
            Ok(expiry) => {
                let (year, month) = year_month(options, options.now);
                if expiry.is_expired(year, month) {
                    attempt.pending = false;
                    attempt.message = "Expired card".into();
                }
            }
            Err(e) => {
                attempt.pending = false;
                attempt.message = e.to_string();
            }
        }
    }
    Some(attempt)
}

/// A reference unique to one attempt, sent to the gateway as its
/// idempotency key.
pub(super) fn new_order_number(custnum: i64) -> String {
    format!("B{custnum}-{:016x}", rand::random::<u64>())
}

/// The local year and month of `t` on the billing calendar.
fn year_month(options: &BillingOptions, t: i64) -> (u16, u8) {
    jiff::Timestamp::from_second(t)
        .map(|ts| ts.to_zoned(options.calendar.time_zone.clone()))
        .map(|z| {
            (
                u16::try_from(z.year()).unwrap_or_default(),
                u8::try_from(z.month()).unwrap_or(1),
            )
        })
        .unwrap_or((1970, 1))
}
