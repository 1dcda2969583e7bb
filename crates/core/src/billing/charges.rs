//! What one billing pass charges one package, and the dates to store after
//! it (backend spec 9.1, 9.2 and 9.4, with the billing issue's proration,
//! expiry and suspension rules).
//!
//! The setup fee is charged once; recurring fees are charged in advance, one
//! line per period, catching up every period that began by `now`. A
//! package whose cancel or expire time has come is billed for the periods
//! that began before that time and nothing after. Suspended and on-hold
//! packages get nothing and keep their dates. This module neither reads nor
//! writes records: the caller stores [`PackageDates`] with the lines.

use super::period::{BillingCalendar, ProratedPeriod};
use super::{date_set, BillingError};
use crate::frequency::Frequency;
use crate::model::{CustomerPackage, PackageDef};
use crate::money::Money;

/// Per-package switches that sit outside the package definition's fees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PackageFlags {
    /// `waive_setup = Y`: the setup date is set but no setup fee charged.
    pub waive_setup: bool,
    /// `setup_show_zero`: a zero setup charge still gets its line.
    pub setup_show_zero: bool,
    /// `recur_show_zero`: a zero recurring charge still gets its line.
    pub recur_show_zero: bool,
    /// `separate_bill = Y`: the package's lines go on an invoice of their
    /// own.
    pub separate_bill: bool,
    /// `no_auto = Y`: the package's lines go on an invoice that is never
    /// charged automatically.
    pub no_auto: bool,
}

/// One line of an invoice draft (`cust_bill_pkg`): a package's charges for
/// one period, or a tax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    /// The package; 0 on tax lines.
    pub pkgnum: i64,
    /// Setup amount for the whole quantity; the amount of a tax line.
    pub setup: Money,
    /// Recurring amount for the whole quantity.
    pub recur: Money,
    /// Setup price of one unit.
    pub unitsetup: Money,
    /// Recurring price of one unit (prorated when the period is).
    pub unitrecur: Money,
    /// How many units; 1 on tax lines.
    pub quantity: i64,
    /// Period start; `None` on one-time setup lines and tax lines.
    pub sdate: Option<i64>,
    /// Period end (the new next bill date); `None` where `sdate` is.
    pub edate: Option<i64>,
    /// Empty on package lines; the tax name on tax lines.
    pub itemdesc: String,
}

impl LineItem {
    /// Setup plus recurring amount.
    pub fn amount(&self) -> Money {
        self.setup + self.recur
    }
}

/// A package's billing dates after a pass, to store (`cust_pkg`): every
/// field holds its new value, changed or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageDates {
    /// The package.
    pub pkgnum: i64,
    /// Future start; cleared once the package is set up.
    pub start_date: Option<i64>,
    /// First billed.
    pub setup: Option<i64>,
    /// Next bill date: the end of the last period charged.
    pub bill: Option<i64>,
    /// Start of the last period charged.
    pub last_bill: Option<i64>,
}

impl PackageDates {
    /// The dates `package` has now.
    pub fn of(package: &CustomerPackage) -> PackageDates {
        PackageDates {
            pkgnum: package.pkgnum,
            start_date: package.start_date,
            setup: package.setup,
            bill: package.bill,
            last_bill: package.last_bill,
        }
    }

    /// Writes these dates into `package`.
    pub fn apply_to(&self, package: &mut CustomerPackage) {
        package.start_date = self.start_date;
        package.setup = self.setup;
        package.bill = self.bill;
        package.last_bill = self.last_bill;
    }
}

/// What one pass charges one package.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PackageCharges {
    /// Its lines, in period order, zero lines already omitted (9.2).
    pub lines: Vec<LineItem>,
    /// The dates to store; `None` when nothing changed.
    pub dates: Option<PackageDates>,
}

/// Computes what a pass at `now` charges `package` of definition `def`.
///
/// Setup fee: once, when `setup` is unset and the package has started
/// (`start_date` unset or ≤ now); `setup` becomes `start_date` or now.
/// Recurring fee (unless one-time): every period whose start is ≤ now, from
/// `bill` (else `setup`, else now), in advance; `last_bill` and `bill`
/// become the bounds of the last one. With the definition's `prorate_day`
/// and a monthly frequency, the package's first period ends on the next
/// such day (local midnight) and is charged pro rata by time. Amounts are
/// multiplied by `quantity` (0 counts as 1). A period or setup that begins
/// at or after the earlier of `cancel` and `expire` is not charged.
///
/// # Errors
/// [`BillingError::NegativeSetup`] and [`BillingError::NegativeRecur`] for
/// negative amounts (nothing of the package is charged then);
/// [`BillingError::DateOutOfRange`] for dates outside the calendar.
pub fn charge_package(
    def: &PackageDef,
    package: &CustomerPackage,
    flags: PackageFlags,
    calendar: &BillingCalendar,
    now: i64,
) -> Result<PackageCharges, BillingError> {
    let pkgnum = package.pkgnum;
    if date_set(package.susp).is_some() {
        return Ok(PackageCharges::default());
    }
    let start_date = date_set(package.start_date);
    if start_date.is_some_and(|start| start > now) {
        return Ok(PackageCharges::default());
    }
    let stop = [date_set(package.cancel), date_set(package.expire)]
        .into_iter()
        .flatten()
        .min();
    let begins_in_time = |t: i64| stop.is_none_or(|stop| t < stop);
    let quantity = if package.quantity == 0 {
        1
    } else {
        package.quantity
    };
    let mut dates = PackageDates::of(package);
    let mut setup = date_set(package.setup);

    let mut setup_charge = None;
    if setup.is_none() {
        let setup_time = start_date.unwrap_or(now);
        if begins_in_time(setup_time) {
            setup = Some(setup_time);
            dates.setup = setup;
            dates.start_date = None;
            if !flags.waive_setup {
                let amount = times(def.setup_fee, quantity)?;
                if amount < Money::ZERO {
                    return Err(BillingError::NegativeSetup { amount, pkgnum });
                }
                setup_charge = Some(amount);
            }
        }
    } else if start_date.is_some() {
        dates.start_date = None;
    }

    let mut periods = Vec::new();
    if def.freq.is_recurring() {
        periods = recurring_periods(
            def,
            package,
            setup,
            quantity,
            calendar,
            now,
            &begins_in_time,
        )?;
    }
    if let Some(last) = periods.last() {
        dates.last_bill = Some(last.start);
        dates.bill = Some(last.end);
    }

    // The setup fee shares the first period's line (9.2); a one-time
    // package's setup line has no period.
    let blank_line = || LineItem {
        pkgnum,
        setup: Money::ZERO,
        recur: Money::ZERO,
        unitsetup: Money::ZERO,
        unitrecur: Money::ZERO,
        quantity,
        sdate: None,
        edate: None,
        itemdesc: String::new(),
    };
    let mut lines = Vec::new();
    let mut periods = periods.into_iter();
    if let Some(setup_amount) = setup_charge {
        let mut line = LineItem {
            setup: setup_amount,
            unitsetup: def.setup_fee,
            ..blank_line()
        };
        let mut shown = flags.setup_show_zero;
        if let Some(period) = periods.next() {
            period.fill(&mut line);
            shown |= flags.recur_show_zero;
        }
        if shown || line.amount() != Money::ZERO {
            lines.push(line);
        }
    }
    for period in periods {
        let mut line = blank_line();
        period.fill(&mut line);
        if flags.recur_show_zero || line.amount() != Money::ZERO {
            lines.push(line);
        }
    }

    let changed = dates != PackageDates::of(package);
    Ok(PackageCharges {
        lines,
        dates: changed.then_some(dates),
    })
}

/// The next bill date of a suspended package unsuspended at `now`, moved
/// forward by the time it spent suspended (the billing issue's rule; Freeside
/// does it when the definition asks). `None` when there is nothing to move:
/// the package is not suspended, has no next bill date yet, or `now` is not
/// after the suspension.
pub fn bill_date_after_unsuspend(package: &CustomerPackage, now: i64) -> Option<i64> {
    let suspended_at = date_set(package.susp)?;
    let bill = date_set(package.bill)?;
    let suspended_for = now.checked_sub(suspended_at).filter(|&t| t > 0)?;
    bill.checked_add(suspended_for)
}

/// One recurring period charged.
#[derive(Debug, Clone, Copy)]
struct Period {
    start: i64,
    end: i64,
    unit_price: Money,
    amount: Money,
}

impl Period {
    fn fill(self, line: &mut LineItem) {
        line.recur = self.amount;
        line.unitrecur = self.unit_price;
        line.sdate = Some(self.start);
        line.edate = Some(self.end);
    }
}

/// The recurring periods due at `now`, in order.
fn recurring_periods(
    def: &PackageDef,
    package: &CustomerPackage,
    setup: Option<i64>,
    quantity: i64,
    calendar: &BillingCalendar,
    now: i64,
    begins_in_time: &dyn Fn(i64) -> bool,
) -> Result<Vec<Period>, BillingError> {
    let pkgnum = package.pkgnum;
    let never_billed = date_set(package.bill).is_none();
    let proration = match (def.prorate_day, def.freq) {
        (Some(day), Frequency::Months(n_months)) if never_billed => Some((day, n_months)),
        _ => None,
    };
    let mut start = date_set(package.bill).or(setup).unwrap_or(now);
    // The anniversary day: the proration day when the definition has one
    // (even after the first period), else the day the package was set up.
    let anchor_day = match (def.prorate_day, def.freq) {
        (Some(day), Frequency::Months(_)) => day,
        _ => calendar.day_of_month(setup.unwrap_or(start))?,
    };
    let mut periods = Vec::new();
    while start <= now && begins_in_time(start) {
        let prorated = match proration {
            Some((day, n_months)) if periods.is_empty() => {
                calendar.prorated_first_period(start, day, n_months)?
            }
            _ => None,
        };
        let (end, unit_price) = match prorated {
            Some(ProratedPeriod { end, full_start }) => {
                (end, prorate(def.recur_fee, end - start, end - full_start))
            }
            None => (
                calendar.add_period(start, def.freq, Some(anchor_day))?,
                def.recur_fee,
            ),
        };
        let amount = times(unit_price, quantity)?;
        if amount < Money::ZERO {
            return Err(BillingError::NegativeRecur { amount, pkgnum });
        }
        periods.push(Period {
            start,
            end,
            unit_price,
            amount,
        });
        start = end;
    }
    Ok(periods)
}

/// `price × quantity`, refused when it does not fit.
fn times(price: Money, quantity: i64) -> Result<Money, BillingError> {
    price
        .cents()
        .checked_mul(quantity)
        .map(Money::from_cents)
        .ok_or(BillingError::AmountOutOfRange)
}

/// `fee × part / whole`, rounded half-up (away from zero) to the cent.
fn prorate(fee: Money, part: i64, whole: i64) -> Money {
    if whole <= 0 {
        return fee;
    }
    let numerator = i128::from(fee.cents()) * i128::from(part.clamp(0, whole));
    let whole = i128::from(whole);
    let rounded = (2 * numerator.abs() + whole) / (2 * whole);
    let cents = if numerator < 0 { -rounded } else { rounded };
    // |cents| ≤ |fee| because part ≤ whole, so it fits.
    Money::from_cents(i64::try_from(cents).unwrap_or(fee.cents()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::period::MonthEnd;
    use jiff::civil::DateTime;
    use jiff::tz::TimeZone;
    use jiff::Timestamp;
    use proptest::prelude::*;

    fn utc() -> BillingCalendar {
        BillingCalendar::new(TimeZone::UTC, MonthEnd::Clamp)
    }

    /// UNIX seconds of a UTC time written `2024-01-31T10:00`.
    fn t(text: &str) -> i64 {
        let local: DateTime = text.parse().unwrap();
        local
            .to_zoned(TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_second()
    }

    fn show(t: Option<i64>) -> String {
        match t {
            Some(t) => Timestamp::from_second(t)
                .unwrap()
                .strftime("%Y-%m-%dT%H:%M")
                .to_string(),
            None => "-".to_string(),
        }
    }

    fn def(setup_fee: &str, recur_fee: &str, freq: &str) -> PackageDef {
        PackageDef {
            pkgpart: 1,
            pkg: "Mail".to_string(),
            comment: String::new(),
            setup_fee: Money::parse(setup_fee).unwrap(),
            recur_fee: Money::parse(recur_fee).unwrap(),
            freq: Frequency::parse(freq).unwrap(),
            taxable: true,
            prorate_day: None,
            disabled: false,
            services: Vec::new(),
        }
    }

    fn package() -> CustomerPackage {
        CustomerPackage {
            pkgnum: 7,
            custnum: 1,
            pkgpart: 1,
            quantity: 1,
            ..CustomerPackage::default()
        }
    }

    /// Renders a pass as text: one `setup/recur xQ sdate..edate` per line,
    /// then the new dates (`setup bill last_bill`) or `unchanged`.
    fn render(charges: &PackageCharges) -> Vec<String> {
        let mut out: Vec<String> = charges
            .lines
            .iter()
            .map(|line| {
                format!(
                    "{}/{} x{} {}..{}",
                    line.setup,
                    line.recur,
                    line.quantity,
                    show(line.sdate),
                    show(line.edate)
                )
            })
            .collect();
        out.push(match charges.dates {
            Some(dates) => format!(
                "dates start={} setup={} bill={} last_bill={}",
                show(dates.start_date),
                show(dates.setup),
                show(dates.bill),
                show(dates.last_bill)
            ),
            None => "unchanged".to_string(),
        });
        out
    }

    fn check_with(
        def: &PackageDef,
        package: &CustomerPackage,
        flags: PackageFlags,
        now: &str,
        expected: &[&str],
    ) {
        let charges = charge_package(def, package, flags, &utc(), t(now)).unwrap();
        assert_eq!(render(&charges), expected, "{package:?} at {now}");
    }

    fn check(def: &PackageDef, package: &CustomerPackage, now: &str, expected: &[&str]) {
        check_with(def, package, PackageFlags::default(), now, expected);
    }

    #[test]
    fn a_new_monthly_package_gets_setup_and_the_first_month_together() {
        // Checklist 35.
        check(
            &def("10.00", "19.95", "1"),
            &package(),
            "2024-01-15T10:00",
            &[
                "10.00/19.95 x1 2024-01-15T10:00..2024-02-15T10:00",
                "dates start=- setup=2024-01-15T10:00 bill=2024-02-15T10:00 last_bill=2024-01-15T10:00",
            ],
        );
    }

    #[test]
    fn a_package_three_periods_behind_gets_three_lines() {
        // Checklist 36.
        let behind = CustomerPackage {
            setup: Some(t("2024-01-01T00:00")),
            last_bill: Some(t("2024-01-01T00:00")),
            bill: Some(t("2024-02-01T00:00")),
            ..package()
        };
        check(
            &def("10.00", "19.95", "1"),
            &behind,
            "2024-04-15T00:00",
            &[
                "0.00/19.95 x1 2024-02-01T00:00..2024-03-01T00:00",
                "0.00/19.95 x1 2024-03-01T00:00..2024-04-01T00:00",
                "0.00/19.95 x1 2024-04-01T00:00..2024-05-01T00:00",
                "dates start=- setup=2024-01-01T00:00 bill=2024-05-01T00:00 last_bill=2024-04-01T00:00",
            ],
        );
        // A period that starts exactly now is due.
        check(
            &def("10.00", "19.95", "1"),
            &behind,
            "2024-02-01T00:00",
            &[
                "0.00/19.95 x1 2024-02-01T00:00..2024-03-01T00:00",
                "dates start=- setup=2024-01-01T00:00 bill=2024-03-01T00:00 last_bill=2024-02-01T00:00",
            ],
        );
        // Not due yet.
        check(
            &def("10.00", "19.95", "1"),
            &behind,
            "2024-01-31T23:59",
            &["unchanged"],
        );
    }

    #[test]
    fn a_month_end_package_walks_back_to_the_31st() {
        let behind = CustomerPackage {
            setup: Some(t("2023-01-31T09:00")),
            last_bill: Some(t("2023-01-31T09:00")),
            bill: Some(t("2023-02-28T09:00")),
            ..package()
        };
        check(
            &def("0", "5.00", "1"),
            &behind,
            "2023-03-31T09:00",
            &[
                "0.00/5.00 x1 2023-02-28T09:00..2023-03-31T09:00",
                "0.00/5.00 x1 2023-03-31T09:00..2023-04-30T09:00",
                "dates start=- setup=2023-01-31T09:00 bill=2023-04-30T09:00 last_bill=2023-03-31T09:00",
            ],
        );
    }

    #[test]
    fn one_time_packages_get_their_setup_fee_once() {
        check(
            &def("49.00", "0", "0"),
            &package(),
            "2024-01-15T10:00",
            &[
                "49.00/0.00 x1 -..-",
                "dates start=- setup=2024-01-15T10:00 bill=- last_bill=-",
            ],
        );
        let done = CustomerPackage {
            setup: Some(t("2024-01-15T10:00")),
            ..package()
        };
        check(
            &def("49.00", "0", "0"),
            &done,
            "2025-01-15T10:00",
            &["unchanged"],
        );
    }

    #[test]
    fn quantity_multiplies_every_amount() {
        let three = CustomerPackage {
            quantity: 3,
            ..package()
        };
        let charges = charge_package(
            &def("10.00", "19.95", "1"),
            &three,
            PackageFlags::default(),
            &utc(),
            t("2024-01-15T10:00"),
        )
        .unwrap();
        let line = &charges.lines[0];
        assert_eq!(
            (line.setup, line.recur, line.unitsetup, line.unitrecur),
            (
                Money::from_cents(3000),
                Money::from_cents(5985),
                Money::from_cents(1000),
                Money::from_cents(1995)
            )
        );
        // Quantity 0 (unset in imported rows) counts as 1.
        let zero = CustomerPackage {
            quantity: 0,
            ..package()
        };
        check(
            &def("10.00", "0", "0"),
            &zero,
            "2024-01-15T10:00",
            &[
                "10.00/0.00 x1 -..-",
                "dates start=- setup=2024-01-15T10:00 bill=- last_bill=-",
            ],
        );
    }

    #[test]
    fn start_date_delays_then_backdates_the_package() {
        let later = CustomerPackage {
            start_date: Some(t("2024-03-01T00:00")),
            ..package()
        };
        check(
            &def("10.00", "19.95", "1"),
            &later,
            "2024-02-15T00:00",
            &["unchanged"],
        );
        check(
            &def("10.00", "19.95", "1"),
            &later,
            "2024-04-10T00:00",
            &[
                "10.00/19.95 x1 2024-03-01T00:00..2024-04-01T00:00",
                "0.00/19.95 x1 2024-04-01T00:00..2024-05-01T00:00",
                "dates start=- setup=2024-03-01T00:00 bill=2024-05-01T00:00 last_bill=2024-04-01T00:00",
            ],
        );
    }

    #[test]
    fn suspended_and_on_hold_packages_get_nothing() {
        // Checklist 39.
        let on_hold = CustomerPackage {
            susp: Some(t("2024-01-01T00:00")),
            ..package()
        };
        check(
            &def("10.00", "19.95", "1"),
            &on_hold,
            "2024-02-15T00:00",
            &["unchanged"],
        );
        let suspended = CustomerPackage {
            setup: Some(t("2023-12-01T00:00")),
            bill: Some(t("2024-01-01T00:00")),
            susp: Some(t("2024-01-05T00:00")),
            ..package()
        };
        check(
            &def("10.00", "19.95", "1"),
            &suspended,
            "2024-03-15T00:00",
            &["unchanged"],
        );
    }

    #[test]
    fn expiry_bills_periods_begun_before_it_and_nothing_after() {
        let behind = CustomerPackage {
            setup: Some(t("2024-01-01T00:00")),
            bill: Some(t("2024-02-01T00:00")),
            ..package()
        };
        let expiring = |expire: &str| CustomerPackage {
            expire: Some(t(expire)),
            ..behind.clone()
        };
        let monthly = def("10.00", "19.95", "1");
        check(
            &monthly,
            &expiring("2024-02-15T00:00"),
            "2024-04-15T00:00",
            &[
                "0.00/19.95 x1 2024-02-01T00:00..2024-03-01T00:00",
                "dates start=- setup=2024-01-01T00:00 bill=2024-03-01T00:00 last_bill=2024-02-01T00:00",
            ],
        );
        // A period that begins at the expiry time is after it.
        check(
            &monthly,
            &expiring("2024-03-01T00:00"),
            "2024-04-15T00:00",
            &[
                "0.00/19.95 x1 2024-02-01T00:00..2024-03-01T00:00",
                "dates start=- setup=2024-01-01T00:00 bill=2024-03-01T00:00 last_bill=2024-02-01T00:00",
            ],
        );
        check(
            &monthly,
            &expiring("2024-02-01T00:00"),
            "2024-04-15T00:00",
            &["unchanged"],
        );
        // A future expiry does not shorten the current period.
        check(
            &monthly,
            &expiring("2024-02-10T00:00"),
            "2024-02-05T00:00",
            &[
                "0.00/19.95 x1 2024-02-01T00:00..2024-03-01T00:00",
                "dates start=- setup=2024-01-01T00:00 bill=2024-03-01T00:00 last_bill=2024-02-01T00:00",
            ],
        );
        // Expired before it was ever set up: nothing.
        check(
            &monthly,
            &CustomerPackage {
                expire: Some(t("2024-01-10T00:00")),
                ..package()
            },
            "2024-01-15T00:00",
            &["unchanged"],
        );
        // Cancelled (by the expiry step at its expire time, or by hand):
        // the same rule.
        check(
            &monthly,
            &CustomerPackage {
                cancel: Some(t("2024-02-15T00:00")),
                ..behind.clone()
            },
            "2024-04-15T00:00",
            &[
                "0.00/19.95 x1 2024-02-01T00:00..2024-03-01T00:00",
                "dates start=- setup=2024-01-01T00:00 bill=2024-03-01T00:00 last_bill=2024-02-01T00:00",
            ],
        );
        check(
            &monthly,
            &CustomerPackage {
                cancel: Some(t("2024-04-15T00:00")),
                expire: Some(t("2024-02-15T00:00")),
                ..behind
            },
            "2024-04-15T00:00",
            &[
                "0.00/19.95 x1 2024-02-01T00:00..2024-03-01T00:00",
                "dates start=- setup=2024-01-01T00:00 bill=2024-03-01T00:00 last_bill=2024-02-01T00:00",
            ],
        );
    }

    #[test]
    fn waived_setup_sets_the_date_without_the_fee() {
        let waive = PackageFlags {
            waive_setup: true,
            ..PackageFlags::default()
        };
        check_with(
            &def("10.00", "19.95", "1"),
            &package(),
            waive,
            "2024-01-15T10:00",
            &[
                "0.00/19.95 x1 2024-01-15T10:00..2024-02-15T10:00",
                "dates start=- setup=2024-01-15T10:00 bill=2024-02-15T10:00 last_bill=2024-01-15T10:00",
            ],
        );
        check_with(
            &def("10.00", "0", "0"),
            &package(),
            waive,
            "2024-01-15T10:00",
            &["dates start=- setup=2024-01-15T10:00 bill=- last_bill=-"],
        );
    }

    #[test]
    fn zero_lines_are_omitted_unless_shown() {
        let free = def("0", "0", "1");
        check(
            &free,
            &package(),
            "2024-01-15T10:00",
            &["dates start=- setup=2024-01-15T10:00 bill=2024-02-15T10:00 last_bill=2024-01-15T10:00"],
        );
        let show_recur = PackageFlags {
            recur_show_zero: true,
            ..PackageFlags::default()
        };
        check_with(
            &free,
            &package(),
            show_recur,
            "2024-01-15T10:00",
            &[
                "0.00/0.00 x1 2024-01-15T10:00..2024-02-15T10:00",
                "dates start=- setup=2024-01-15T10:00 bill=2024-02-15T10:00 last_bill=2024-01-15T10:00",
            ],
        );
        let show_setup = PackageFlags {
            setup_show_zero: true,
            ..PackageFlags::default()
        };
        check_with(
            &def("0", "0", "0"),
            &package(),
            show_setup,
            "2024-01-15T10:00",
            &[
                "0.00/0.00 x1 -..-",
                "dates start=- setup=2024-01-15T10:00 bill=- last_bill=-",
            ],
        );
    }

    #[test]
    fn negative_amounts_are_refused() {
        let refused = |def: &PackageDef, package: &CustomerPackage| {
            charge_package(def, package, PackageFlags::default(), &utc(), 1_000)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused(&def("-5", "19.95", "1"), &package()),
            "negative setup -5.00 for pkgnum 7"
        );
        assert_eq!(
            refused(&def("0", "-1.50", "1"), &package()),
            "negative recur -1.50 for pkgnum 7"
        );
        let negative_quantity = CustomerPackage {
            quantity: -2,
            ..package()
        };
        assert_eq!(
            refused(&def("0", "1.50", "1"), &negative_quantity),
            "negative recur -3.00 for pkgnum 7"
        );
    }

    #[test]
    fn the_first_period_is_prorated_to_the_billing_day() {
        let prorated = |recur_fee: &str, day: u8| PackageDef {
            prorate_day: Some(day),
            ..def("0", recur_fee, "1")
        };
        // 17 of January's 31 days.
        check(
            &prorated("31.00", 1),
            &package(),
            "2024-01-15T00:00",
            &[
                "0.00/17.00 x1 2024-01-15T00:00..2024-02-01T00:00",
                "dates start=- setup=2024-01-15T00:00 bill=2024-02-01T00:00 last_bill=2024-01-15T00:00",
            ],
        );
        // 19.95 × 17 / 31 = 10.9403…; later periods run from the 1st.
        check(
            &prorated("19.95", 1),
            &CustomerPackage {
                start_date: Some(t("2024-01-15T00:00")),
                ..package()
            },
            "2024-02-01T00:00",
            &[
                "0.00/10.94 x1 2024-01-15T00:00..2024-02-01T00:00",
                "0.00/19.95 x1 2024-02-01T00:00..2024-03-01T00:00",
                "dates start=- setup=2024-01-15T00:00 bill=2024-03-01T00:00 last_bill=2024-02-01T00:00",
            ],
        );
        // Half a day of the 30 from April 20 to May 20 at 30.00: 0.50.
        check(
            &prorated("30.00", 20),
            &CustomerPackage {
                start_date: Some(t("2024-05-19T12:00")),
                ..package()
            },
            "2024-05-19T12:00",
            &[
                "0.00/0.50 x1 2024-05-19T12:00..2024-05-20T00:00",
                "dates start=- setup=2024-05-19T12:00 bill=2024-05-20T00:00 last_bill=2024-05-19T12:00",
            ],
        );
        // Set up on the billing day at midnight: a full period.
        check(
            &prorated("31.00", 1),
            &package(),
            "2024-01-01T00:00",
            &[
                "0.00/31.00 x1 2024-01-01T00:00..2024-02-01T00:00",
                "dates start=- setup=2024-01-01T00:00 bill=2024-02-01T00:00 last_bill=2024-01-01T00:00",
            ],
        );
        // Only the first period of a package is prorated.
        check(
            &prorated("31.00", 1),
            &CustomerPackage {
                setup: Some(t("2024-01-15T00:00")),
                bill: Some(t("2024-02-01T00:00")),
                ..package()
            },
            "2024-02-01T00:00",
            &[
                "0.00/31.00 x1 2024-02-01T00:00..2024-03-01T00:00",
                "dates start=- setup=2024-01-15T00:00 bill=2024-03-01T00:00 last_bill=2024-02-01T00:00",
            ],
        );
    }

    #[test]
    fn zero_dates_count_as_unset() {
        let zeros = CustomerPackage {
            setup: Some(0),
            bill: Some(0),
            last_bill: Some(0),
            ..package()
        };
        check(
            &def("10.00", "19.95", "1"),
            &zeros,
            "2024-01-15T10:00",
            &[
                "10.00/19.95 x1 2024-01-15T10:00..2024-02-15T10:00",
                "dates start=- setup=2024-01-15T10:00 bill=2024-02-15T10:00 last_bill=2024-01-15T10:00",
            ],
        );
    }

    #[test]
    fn unsuspending_moves_the_bill_date_by_the_time_suspended() {
        let suspended = CustomerPackage {
            setup: Some(1_000),
            bill: Some(5_000),
            susp: Some(3_000),
            ..package()
        };
        assert_eq!(bill_date_after_unsuspend(&suspended, 10_000), Some(12_000));
        assert_eq!(bill_date_after_unsuspend(&suspended, 3_000), None);
        let never_billed = CustomerPackage {
            bill: None,
            ..suspended.clone()
        };
        assert_eq!(bill_date_after_unsuspend(&never_billed, 10_000), None);
        assert_eq!(bill_date_after_unsuspend(&package(), 10_000), None);
    }

    #[test]
    fn prorating_rounds_half_up() {
        let p = |cents: i64, part: i64, whole: i64| prorate(Money::from_cents(cents), part, whole);
        assert_eq!(p(1995, 17, 31), Money::from_cents(1094));
        assert_eq!(p(3, 1, 2), Money::from_cents(2));
        assert_eq!(p(-3, 1, 2), Money::from_cents(-2));
        assert_eq!(p(1000, 0, 10), Money::ZERO);
        assert_eq!(p(1000, 10, 10), Money::from_cents(1000));
        assert_eq!(p(1000, 5, 0), Money::from_cents(1000));
    }

    fn frequency() -> impl Strategy<Value = Frequency> {
        prop_oneof![
            Just(Frequency::OneTime),
            (1u32..13).prop_map(Frequency::Months),
            (1u32..5).prop_map(Frequency::Weeks),
            (1u32..46).prop_map(Frequency::Days),
            (1u32..25).prop_map(Frequency::Hours),
        ]
    }

    const YEAR: i64 = 31_536_000;
    const YEAR_2000: i64 = 946_684_800;
    const YEAR_2030: i64 = 1_893_456_000;

    proptest! {
        #[test]
        fn a_second_pass_at_the_same_time_charges_nothing(
            freq in frequency(),
            setup_fee in 0i64..10_000,
            recur_fee in 0i64..10_000,
            prorate_day in proptest::option::of(1u8..29),
            quantity in 0i64..5,
            setup_ago in proptest::option::of(-YEAR..YEAR),
            start_ago in proptest::option::of(-YEAR..YEAR),
            bill_ago in proptest::option::of(-YEAR..YEAR),
            expire_ago in proptest::option::of(-YEAR..YEAR),
            suspended in any::<bool>(),
            now in YEAR_2000..YEAR_2030,
        ) {
            let def = PackageDef {
                setup_fee: Money::from_cents(setup_fee),
                recur_fee: Money::from_cents(recur_fee),
                freq,
                prorate_day,
                ..def("0", "0", "0")
            };
            // Dates within a year of `now` keep the hourly cases small.
            let mut package = CustomerPackage {
                quantity,
                setup: setup_ago.map(|ago| now - ago),
                start_date: start_ago.map(|ago| now - ago),
                bill: bill_ago.map(|ago| now - ago),
                expire: expire_ago.map(|ago| now - ago),
                susp: suspended.then_some(now - 1),
                ..package()
            };
            let expire_at = package.expire;
            let calendar = utc();
            let first = charge_package(&def, &package, PackageFlags::default(), &calendar, now).unwrap();
            if let Some(dates) = first.dates {
                dates.apply_to(&mut package);
            }
            let second = charge_package(&def, &package, PackageFlags::default(), &calendar, now).unwrap();
            prop_assert!(second.lines.is_empty());
            prop_assert_eq!(second.dates, None);
            // A live recurring package is billed up to a period after `now`.
            if freq.is_recurring() && !suspended && expire_at.is_none() && package.start_date.is_none() {
                let next_start = package.bill.or(package.setup).unwrap();
                prop_assert!(next_start > now);
            }
        }

        #[test]
        fn catching_up_n_periods_gives_n_lines(
            freq in frequency().prop_filter("recurring", |f| f.is_recurring()),
            bill in YEAR_2000..YEAR_2030,
            n_periods in 1usize..20,
            permille in 0i64..1000,
        ) {
            let calendar = utc();
            let anchor = calendar.day_of_month(bill).unwrap();
            let mut bounds = vec![bill];
            for _ in 0..n_periods {
                let last = *bounds.last().unwrap();
                bounds.push(calendar.add_period(last, freq, Some(anchor)).unwrap());
            }
            let last_start = bounds[n_periods - 1];
            let last_end = bounds[n_periods];
            let now = last_start + (last_end - last_start) * permille / 1000;
            let package = CustomerPackage {
                setup: Some(bill),
                bill: Some(bill),
                ..package()
            };
            let charges = charge_package(
                &def("10.00", "1.00", &freq.to_string()),
                &package,
                PackageFlags::default(),
                &calendar,
                now,
            )
            .unwrap();
            prop_assert_eq!(charges.lines.len(), n_periods);
            let starts: Vec<i64> = charges.lines.iter().filter_map(|l| l.sdate).collect();
            prop_assert_eq!(&starts[..], &bounds[..n_periods]);
            prop_assert_eq!(charges.dates.unwrap().bill, Some(last_end));
        }

        #[test]
        fn a_prorated_period_costs_no_more_than_a_full_one(
            recur_fee in 0i64..100_000,
            quantity in 1i64..10,
            prorate_day in 1u8..29,
            n_months in 1u32..13,
            now in YEAR_2000..YEAR_2030,
            zone in 0usize..3,
        ) {
            let zone = ["UTC", "America/New_York", "Australia/Lord_Howe"][zone];
            let calendar = BillingCalendar::new(
                jiff::tz::TimeZoneDatabase::bundled().get(zone).unwrap(),
                MonthEnd::Clamp,
            );
            let def = PackageDef {
                recur_fee: Money::from_cents(recur_fee),
                freq: Frequency::Months(n_months),
                prorate_day: Some(prorate_day),
                ..def("0", "0", "0")
            };
            let package = CustomerPackage { quantity, ..package() };
            let charges = charge_package(&def, &package, PackageFlags::default(), &calendar, now).unwrap();
            let full = Money::from_cents(recur_fee).times(quantity);
            for line in &charges.lines {
                prop_assert!(line.recur >= Money::ZERO && line.recur <= full);
                prop_assert_eq!(line.recur, line.unitrecur.times(quantity));
            }
            let first = &charges.lines.first();
            if let Some(line) = first {
                let end = line.edate.unwrap();
                prop_assert_eq!(calendar.day_of_month(end).unwrap(), prorate_day);
            }
        }
    }
}
