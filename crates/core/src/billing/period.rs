//! Calendar arithmetic for billing periods on the local calendar of the
//! billing time zone (backend spec 9.3, with the billing issue's month-end
//! clamping as the default).
//!
//! Months move on the calendar and keep the wall-clock time; weeks and days
//! add calendar days and keep the wall-clock time across DST changes; hours
//! add wall-clock hours. A local time that does not exist (a DST gap) becomes
//! the first instant after the gap, and an ambiguous one (a DST fold) the
//! earlier of its two instants. Dates are UNIX seconds, as the records keep
//! them. This module knows nothing of packages or money.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, ToSpan};

use super::BillingError;
use crate::frequency::Frequency;

/// What adding months does to a day that the target month lacks
/// (`billing.month_end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MonthEnd {
    /// `clamp` (the default): the month's last day, then back to the
    /// anniversary day (Jan 31 → Feb 28 or 29 → Mar 31 → Apr 30).
    #[default]
    Clamp,
    /// `rollover`: Freeside's behaviour, the surplus days spill into the next
    /// month (Jan 31 + 1 month = Mar 3, or Mar 2 in a leap year), and later
    /// periods count from that date.
    Rollover,
    /// `day28`: Freeside's `anniversary-rollback`, days 29 to 31 become the
    /// 28th before adding (Jan 31 → Feb 28 → Mar 28).
    Day28,
}

impl MonthEnd {
    /// Parses the configuration spelling: `clamp`, `rollover` or `day28`.
    pub fn parse(text: &str) -> Option<MonthEnd> {
        match text {
            "clamp" => Some(MonthEnd::Clamp),
            "rollover" => Some(MonthEnd::Rollover),
            "day28" => Some(MonthEnd::Day28),
            _ => None,
        }
    }

    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MonthEnd::Clamp => "clamp",
            MonthEnd::Rollover => "rollover",
            MonthEnd::Day28 => "day28",
        }
    }
}

/// The calendar billing periods are counted on: `billing.time_zone` and
/// `billing.month_end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingCalendar {
    /// The zone whose local calendar and wall clock periods follow.
    pub time_zone: TimeZone,
    /// What adding months does at the end of a month.
    pub month_end: MonthEnd,
}

impl BillingCalendar {
    /// A calendar on `time_zone` with the given month-end rule.
    pub fn new(time_zone: TimeZone, month_end: MonthEnd) -> BillingCalendar {
        BillingCalendar {
            time_zone,
            month_end,
        }
    }

    /// The end of the period of `freq` that starts at `start`: the start of
    /// the next one.
    ///
    /// `anchor_day` is the package's anniversary day of the month (the day
    /// its first period started, or its proration day). Under
    /// [`MonthEnd::Clamp`] a start that was clamped to a month's last day
    /// returns to it; without it, the start's own day is the anniversary.
    /// The other month-end rules ignore it.
    ///
    /// # Errors
    /// [`BillingError::NoPeriod`] for a one-time frequency;
    /// [`BillingError::DateOutOfRange`] when `start` or the result lies
    /// outside years -9999 to 9999.
    pub fn add_period(
        &self,
        start: i64,
        freq: Frequency,
        anchor_day: Option<u8>,
    ) -> Result<i64, BillingError> {
        let out_of_range = |_| BillingError::DateOutOfRange(start);
        let local = self.local(start)?;
        let end_local = match freq {
            Frequency::OneTime => return Err(BillingError::NoPeriod),
            Frequency::Months(n_months) => {
                let date = add_months(local.date(), n_months, anchor_day, self.month_end)
                    .ok_or(BillingError::DateOutOfRange(start))?;
                date.to_datetime(local.time())
            }
            // Civil time has no DST: 24 hours of it are one calendar day.
            Frequency::Weeks(n_weeks) => local
                .checked_add(SignedDuration::from_hours(i64::from(n_weeks) * 7 * 24))
                .map_err(out_of_range)?,
            Frequency::Days(n_days) => local
                .checked_add(SignedDuration::from_hours(i64::from(n_days) * 24))
                .map_err(out_of_range)?,
            Frequency::Hours(n_hours) => local
                .checked_add(SignedDuration::from_hours(i64::from(n_hours)))
                .map_err(out_of_range)?,
        };
        let end = self
            .resolve(end_local)
            .ok_or(BillingError::DateOutOfRange(start))?;
        // Every frequency is at least an hour of wall-clock time, so the end
        // is later in every real zone; refusing otherwise keeps catch-up
        // loops finite whatever the zone data says.
        if end <= start {
            return Err(BillingError::DateOutOfRange(start));
        }
        Ok(end)
    }

    /// The local day of the month of `t`.
    ///
    /// # Errors
    /// [`BillingError::DateOutOfRange`] when `t` lies outside the calendar.
    pub fn day_of_month(&self, t: i64) -> Result<u8, BillingError> {
        let day = self.local(t)?.day();
        // A day of the month is 1 to 31.
        Ok(u8::try_from(day).unwrap_or(1))
    }

    /// The instant of local wall-clock time `local`: the first instant after
    /// a DST gap, the earlier instant in a DST fold; `None` outside the
    /// calendar.
    pub(crate) fn resolve(&self, local: DateTime) -> Option<i64> {
        let instant = match self.time_zone.to_ambiguous_timestamp(local).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(local).ok()?,
            // The earlier instant of a fold is the one still on the offset
            // in force before the clocks went back.
            AmbiguousOffset::Fold { before, .. } => before.to_timestamp(local).ok()?,
            // Read with the later offset, the local time names an instant
            // just before the transition; the transition itself is the
            // first instant whose wall clock is past the gap.
            AmbiguousOffset::Gap { before, after } => {
                let before_transition = after.to_timestamp(local).ok()?;
                match self.time_zone.following(before_transition).next() {
                    Some(transition) => transition.timestamp(),
                    None => before.to_timestamp(local).ok()?,
                }
            }
        };
        Some(instant.as_second())
    }

    /// The local wall-clock time of `t`.
    pub(crate) fn local(&self, t: i64) -> Result<DateTime, BillingError> {
        let timestamp = Timestamp::from_second(t).map_err(|_| BillingError::DateOutOfRange(t))?;
        Ok(self.time_zone.to_datetime(timestamp))
    }

    /// The bounds of a first period prorated to `prorate_day` (1–28): it
    /// ends at local midnight of the next such day after `start`, and it is
    /// a part of the full period of `n_months` that ends there. `None` when
    /// `start` is exactly such a midnight (nothing to prorate).
    pub(crate) fn prorated_first_period(
        &self,
        start: i64,
        prorate_day: u8,
        n_months: u32,
    ) -> Result<Option<ProratedPeriod>, BillingError> {
        let out_of_range = || BillingError::DateOutOfRange(start);
        let day = i8::try_from(prorate_day.clamp(1, 28)).unwrap_or(1);
        let local = self.local(start)?;
        let this_month = Date::new(local.year(), local.month(), day).map_err(|_| out_of_range())?;
        let this_month_boundary = self
            .resolve(this_month.to_datetime(Time::midnight()))
            .ok_or_else(out_of_range)?;
        if start == this_month_boundary {
            return Ok(None);
        }
        let end_date = if start < this_month_boundary {
            this_month
        } else {
            add_months(this_month, 1, None, MonthEnd::Clamp).ok_or_else(out_of_range)?
        };
        let full_start_date = sub_months(end_date, n_months).ok_or_else(out_of_range)?;
        let midnight = |date: Date| {
            self.resolve(date.to_datetime(Time::midnight()))
                .ok_or_else(out_of_range)
        };
        Ok(Some(ProratedPeriod {
            end: midnight(end_date)?,
            full_start: midnight(full_start_date)?,
        }))
    }
}

impl Default for BillingCalendar {
    /// UTC with month-end clamping.
    fn default() -> BillingCalendar {
        BillingCalendar::new(TimeZone::UTC, MonthEnd::Clamp)
    }
}

/// A prorated first period's end and the start of the full period it is
/// part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProratedPeriod {
    /// The end of the prorated period (the proration day's midnight).
    pub(crate) end: i64,
    /// One full period before `end`.
    pub(crate) full_start: i64,
}

/// `date` plus `n_months` months under the month-end rule; `None` outside
/// the calendar.
fn add_months(
    date: Date,
    n_months: u32,
    anchor_day: Option<u8>,
    month_end: MonthEnd,
) -> Option<Date> {
    let day = date.day();
    let (year, month) = shift_month(date.year(), date.month(), i64::from(n_months))?;
    let first_of_target = Date::new(year, month, 1).ok()?;
    let days_in_target = first_of_target.days_in_month();
    match month_end {
        MonthEnd::Clamp => {
            let anchor = anchor_day.and_then(|d| i8::try_from(d).ok()).unwrap_or(day);
            let clamped_here = day == date.days_in_month() && anchor > day;
            let wanted = if clamped_here { anchor } else { day };
            Date::new(year, month, wanted.min(days_in_target)).ok()
        }
        MonthEnd::Rollover => first_of_target.checked_add(i64::from(day - 1).days()).ok(),
        MonthEnd::Day28 => Date::new(year, month, day.min(28)).ok(),
    }
}

/// `date` minus `n_months` months, for days that every month has (1–28).
fn sub_months(date: Date, n_months: u32) -> Option<Date> {
    let (year, month) = shift_month(date.year(), date.month(), -i64::from(n_months))?;
    Date::new(year, month, date.day()).ok()
}

/// The (year, month) `delta` months after (`year`, `month`).
fn shift_month(year: i16, month: i8, delta: i64) -> Option<(i16, i8)> {
    let index = i64::from(year) * 12 + i64::from(month) - 1 + delta;
    let year = i16::try_from(index.div_euclid(12)).ok()?;
    let month = i8::try_from(index.rem_euclid(12) + 1).ok()?;
    Some((year, month))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZoneDatabase;
    use proptest::prelude::*;

    /// New York from the tzdb bundled into the binary, so the tests never
    /// depend on the host's zoneinfo.
    fn new_york(month_end: MonthEnd) -> BillingCalendar {
        let zone = TimeZoneDatabase::bundled()
            .get("America/New_York")
            .expect("bundled tzdb has America/New_York");
        BillingCalendar::new(zone, month_end)
    }

    fn at(calendar: &BillingCalendar, local: &str) -> i64 {
        calendar.resolve(local.parse().unwrap()).unwrap()
    }

    fn show(calendar: &BillingCalendar, t: i64) -> String {
        Timestamp::from_second(t)
            .unwrap()
            .to_zoned(calendar.time_zone.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    /// Walks `expected.len()` periods of `freq` from local time `start`,
    /// with the start's day as the anniversary.
    fn check(month_end: MonthEnd, start: &str, freq: &str, expected: &[&str]) {
        let calendar = new_york(month_end);
        let freq = Frequency::parse(freq).unwrap();
        let first = at(&calendar, start);
        let anchor = calendar.day_of_month(first).unwrap();
        let mut t = first;
        let mut got = Vec::new();
        for _ in expected {
            t = calendar.add_period(t, freq, Some(anchor)).unwrap();
            got.push(show(&calendar, t));
        }
        assert_eq!(got, expected, "{month_end:?} from {start} every {freq}");
    }

    #[test]
    fn months_clamp_to_the_month_end_and_return_to_the_anniversary() {
        // Checklist 37, Bursar's default.
        check(
            MonthEnd::Clamp,
            "2023-01-31T10:00",
            "1",
            &[
                "2023-02-28 10:00 EST",
                "2023-03-31 10:00 EDT",
                "2023-04-30 10:00 EDT",
                "2023-05-31 10:00 EDT",
            ],
        );
        check(
            MonthEnd::Clamp,
            "2024-01-31T10:00",
            "1",
            &["2024-02-29 10:00 EST", "2024-03-31 10:00 EDT"],
        );
        check(
            MonthEnd::Clamp,
            "2023-01-30T00:00",
            "1",
            &["2023-02-28 00:00 EST", "2023-03-30 00:00 EDT"],
        );
        check(
            MonthEnd::Clamp,
            "2023-11-30T09:15",
            "3",
            &["2024-02-29 09:15 EST", "2024-05-30 09:15 EDT"],
        );
        check(
            MonthEnd::Clamp,
            "2024-02-29T12:00",
            "12",
            &[
                "2025-02-28 12:00 EST",
                "2026-02-28 12:00 EST",
                "2027-02-28 12:00 EST",
                "2028-02-29 12:00 EST",
            ],
        );
        check(
            MonthEnd::Clamp,
            "2023-12-15T08:00",
            "1",
            &["2024-01-15 08:00 EST", "2024-02-15 08:00 EST"],
        );
    }

    #[test]
    fn months_roll_over_like_freeside() {
        // Checklist 37, `billing.month_end = "rollover"`.
        check(
            MonthEnd::Rollover,
            "2023-01-31T10:00",
            "1",
            &["2023-03-03 10:00 EST", "2023-04-03 10:00 EDT"],
        );
        check(
            MonthEnd::Rollover,
            "2024-01-31T10:00",
            "1",
            &["2024-03-02 10:00 EST", "2024-04-02 10:00 EDT"],
        );
        check(
            MonthEnd::Rollover,
            "2023-03-31T10:00",
            "1",
            &["2023-05-01 10:00 EDT", "2023-06-01 10:00 EDT"],
        );
        check(
            MonthEnd::Rollover,
            "2023-01-15T10:00",
            "1",
            &["2023-02-15 10:00 EST"],
        );
    }

    #[test]
    fn months_roll_back_to_the_28th() {
        check(
            MonthEnd::Day28,
            "2023-01-31T10:00",
            "1",
            &["2023-02-28 10:00 EST", "2023-03-28 10:00 EDT"],
        );
        check(
            MonthEnd::Day28,
            "2023-01-29T10:00",
            "1",
            &["2023-02-28 10:00 EST", "2023-03-28 10:00 EDT"],
        );
        check(
            MonthEnd::Day28,
            "2023-01-10T10:00",
            "1",
            &["2023-02-10 10:00 EST"],
        );
    }

    #[test]
    fn weeks_days_and_hours_keep_the_wall_clock_across_dst() {
        // Checklist 38: 2024-03-10 02:00 EST became 03:00 EDT, 2024-11-03
        // 02:00 EDT became 01:00 EST.
        check(
            MonthEnd::Clamp,
            "2024-03-05T10:00",
            "1w",
            &["2024-03-12 10:00 EDT", "2024-03-19 10:00 EDT"],
        );
        check(
            MonthEnd::Clamp,
            "2024-10-29T10:00",
            "1w",
            &["2024-11-05 10:00 EST"],
        );
        check(
            MonthEnd::Clamp,
            "2024-03-09T10:00",
            "1d",
            &["2024-03-10 10:00 EDT", "2024-03-11 10:00 EDT"],
        );
        check(
            MonthEnd::Clamp,
            "2024-11-02T23:00",
            "1d",
            &["2024-11-03 23:00 EST"],
        );
        check(
            MonthEnd::Clamp,
            "2024-03-10T00:30",
            "1h",
            &[
                "2024-03-10 01:30 EST",
                "2024-03-10 03:00 EDT",
                "2024-03-10 04:00 EDT",
            ],
        );
        check(
            MonthEnd::Clamp,
            "2024-11-03T00:30",
            "1h",
            &["2024-11-03 01:30 EDT", "2024-11-03 02:30 EST"],
        );
        check(
            MonthEnd::Clamp,
            "2024-01-01T00:00",
            "45d",
            &["2024-02-15 00:00 EST"],
        );
        check(
            MonthEnd::Clamp,
            "2024-01-01T00:00",
            "2w",
            &["2024-01-15 00:00 EST"],
        );
    }

    #[test]
    fn a_wall_clock_time_in_a_dst_gap_or_fold_is_resolved() {
        // Daily at 02:30 meets the spring gap: the first instant after it.
        check(
            MonthEnd::Clamp,
            "2024-03-09T02:30",
            "1d",
            &["2024-03-10 03:00 EDT", "2024-03-11 03:00 EDT"],
        );
        // Daily at 01:30 meets the autumn fold: the earlier instant.
        check(
            MonthEnd::Clamp,
            "2024-11-02T01:30",
            "1d",
            &["2024-11-03 01:30 EDT", "2024-11-04 01:30 EST"],
        );
    }

    #[test]
    fn a_week_across_the_spring_change_is_an_hour_shorter() {
        let calendar = new_york(MonthEnd::Clamp);
        let start = at(&calendar, "2024-03-05T10:00");
        let end = calendar
            .add_period(start, Frequency::Weeks(1), None)
            .unwrap();
        assert_eq!(end - start, 7 * 86_400 - 3_600);
        let start = at(&calendar, "2024-03-10T01:00");
        let end = calendar
            .add_period(start, Frequency::Hours(1), None)
            .unwrap();
        assert_eq!(show(&calendar, end), "2024-03-10 03:00 EDT");
        assert_eq!(end - start, 3_600);
    }

    #[test]
    fn odd_inputs_are_errors() {
        let calendar = new_york(MonthEnd::Clamp);
        assert_eq!(
            calendar.add_period(0, Frequency::OneTime, None),
            Err(BillingError::NoPeriod)
        );
        assert_eq!(
            calendar.add_period(i64::MAX, Frequency::Months(1), None),
            Err(BillingError::DateOutOfRange(i64::MAX))
        );
        let late = at(&calendar, "9999-12-01T00:00");
        assert_eq!(
            calendar.add_period(late, Frequency::Months(1), None),
            Err(BillingError::DateOutOfRange(late))
        );
        assert_eq!(
            calendar.add_period(0, Frequency::Hours(u32::MAX), None),
            Err(BillingError::DateOutOfRange(0))
        );
    }

    #[test]
    fn month_end_settings_parse() {
        for rule in [MonthEnd::Clamp, MonthEnd::Rollover, MonthEnd::Day28] {
            assert_eq!(MonthEnd::parse(rule.as_str()), Some(rule));
        }
        assert_eq!(MonthEnd::parse("Clamp"), None);
    }

    #[test]
    fn prorated_first_periods_end_on_the_next_billing_day() {
        let calendar = new_york(MonthEnd::Clamp);
        let bounds = |start: &str, day: u8, months: u32| {
            calendar
                .prorated_first_period(at(&calendar, start), day, months)
                .unwrap()
                .map(|p| (show(&calendar, p.full_start), show(&calendar, p.end)))
        };
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(
            bounds("2024-01-15T10:00", 1, 1),
            pair("2024-01-01 00:00 EST", "2024-02-01 00:00 EST")
        );
        assert_eq!(
            bounds("2024-01-15T10:00", 20, 1),
            pair("2023-12-20 00:00 EST", "2024-01-20 00:00 EST")
        );
        assert_eq!(
            bounds("2024-12-20T10:00", 20, 1),
            pair("2024-12-20 00:00 EST", "2025-01-20 00:00 EST")
        );
        assert_eq!(
            bounds("2024-01-15T10:00", 1, 3),
            pair("2023-11-01 00:00 EDT", "2024-02-01 00:00 EST")
        );
        assert_eq!(bounds("2024-01-01T00:00", 1, 1), None);
    }

    proptest! {
        #[test]
        fn a_period_always_moves_time_forward(
            start in 0i64..4_102_444_800,
            count in 1u32..40,
            unit in 0u8..4,
            rule in 0u8..3,
        ) {
            let month_end = [MonthEnd::Clamp, MonthEnd::Rollover, MonthEnd::Day28][usize::from(rule)];
            let calendar = new_york(month_end);
            let freq = match unit {
                0 => Frequency::Months(count),
                1 => Frequency::Weeks(count),
                2 => Frequency::Days(count),
                _ => Frequency::Hours(count),
            };
            let end = calendar.add_period(start, freq, None).unwrap();
            prop_assert!(end > start);
        }

        #[test]
        fn clamped_months_stay_on_the_anniversary_when_they_can(
            start in 0i64..4_102_444_800,
            n_periods in 1usize..30,
        ) {
            let calendar = new_york(MonthEnd::Clamp);
            let anchor = calendar.day_of_month(start).unwrap();
            let mut t = start;
            for _ in 0..n_periods {
                t = calendar.add_period(t, Frequency::Months(1), Some(anchor)).unwrap();
                let local = calendar.local(t).unwrap();
                let expected = i8::try_from(anchor).unwrap().min(local.date().days_in_month());
                prop_assert_eq!(local.day(), expected);
            }
        }
    }
}
