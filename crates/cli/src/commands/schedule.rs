//! `billing.schedule`: when `serve` runs the billing run by itself. Forms:
//! `daily HH:MM` (in the billing time zone), `hourly`, `every Nm`, `every Nh`.
//! Empty (the default) means never: operators run `bursar bill` from cron.
//! Several servers on one PostgreSQL may all run it: the run's database
//! locks and unique keys make it bill each period once.

use std::time::Duration;

use anyhow::{bail, Result};
use bursar_store::gateway::TestGateway;
use bursar_store::Store;

use crate::config::Loaded;

/// A parsed schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every day at this local time (hour, minute).
    Daily(u8, u8),
    /// Every this many seconds.
    Every(u64),
}

impl Schedule {
    /// Parses the setting; `None` for empty.
    ///
    /// # Errors
    /// A message naming the setting for anything else.
    pub fn parse(text: &str) -> Result<Option<Schedule>> {
        let text = text.trim();
        let bad = || {
            anyhow::anyhow!("bad configuration: billing.schedule must be \"daily HH:MM\", \"hourly\", \"every Nm\" or \"every Nh\", not {text:?}")
        };
        if text.is_empty() {
            return Ok(None);
        }
        if text == "hourly" {
            return Ok(Some(Schedule::Every(3600)));
        }
        if let Some(time) = text.strip_prefix("daily ") {
            let (hour, minute) = time.trim().split_once(':').ok_or_else(bad)?;
            let hour: u8 = hour.parse().map_err(|_| bad())?;
            let minute: u8 = minute.parse().map_err(|_| bad())?;
            if hour > 23 || minute > 59 {
                bail!(bad());
            }
            return Ok(Some(Schedule::Daily(hour, minute)));
        }
        if let Some(interval) = text.strip_prefix("every ") {
            let interval = interval.trim();
            let (count, unit) = interval.split_at(interval.len().saturating_sub(1));
            let count: u64 = count.parse().map_err(|_| bad())?;
            let seconds = match unit {
                "m" => count * 60,
                "h" => count * 3600,
                _ => bail!(bad()),
            };
            if seconds == 0 {
                bail!(bad());
            }
            return Ok(Some(Schedule::Every(seconds)));
        }
        bail!(bad())
    }

    /// Seconds from `now` to the next run.
    pub fn wait_from(self, now: i64, time_zone: &jiff::tz::TimeZone) -> u64 {
        match self {
            Schedule::Every(seconds) => seconds,
            Schedule::Daily(hour, minute) => {
                let Ok(now_zoned) =
                    jiff::Timestamp::from_second(now).map(|t| t.to_zoned(time_zone.clone()))
                else {
                    return 86_400;
                };
                let today = now_zoned.date().at(hour as i8, minute as i8, 0, 0);
                let next = today
                    .to_zoned(time_zone.clone())
                    .ok()
                    .filter(|at| at.timestamp().as_second() > now)
                    .or_else(|| {
                        today
                            .tomorrow()
                            .ok()
                            .and_then(|d| d.to_zoned(time_zone.clone()).ok())
                    });
                next.map(|at| (at.timestamp().as_second() - now).max(1) as u64)
                    .unwrap_or(86_400)
            }
        }
    }
}

/// Runs billing on `schedule` until `stop` turns true.
pub async fn run_billing_schedule(
    store: Store,
    loaded: Loaded,
    schedule: Schedule,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let time_zone = loaded
        .billing_calendar()
        .map(|c| c.time_zone)
        .unwrap_or(jiff::tz::TimeZone::UTC);
    loop {
        let wait = schedule.wait_from(bursar_export::now(), &time_zone);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(wait)) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        let options = match loaded.billing_options(bursar_export::now()) {
            Ok(options) => options,
            Err(error) => {
                tracing::error!(%error, "scheduled billing run skipped");
                continue;
            }
        };
        let mut progress = |_: bursar_store::billing::Progress| {};
        match bursar_store::billing::bill_all(&store, &TestGateway, &options, &mut progress).await {
            Ok(report) => tracing::info!(?report, "scheduled billing run finished"),
            Err(error) => tracing::error!(%error, "scheduled billing run failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_and_refuses_the_rest() {
        assert_eq!(Schedule::parse("").unwrap(), None);
        assert_eq!(
            Schedule::parse("daily 02:30").unwrap(),
            Some(Schedule::Daily(2, 30))
        );
        assert_eq!(
            Schedule::parse("hourly").unwrap(),
            Some(Schedule::Every(3600))
        );
        assert_eq!(
            Schedule::parse("every 15m").unwrap(),
            Some(Schedule::Every(900))
        );
        assert_eq!(
            Schedule::parse("every 2h").unwrap(),
            Some(Schedule::Every(7200))
        );
        for bad in ["0 2 * * *", "daily 25:00", "every 0m", "every 5s", "weekly"] {
            assert!(
                Schedule::parse(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("billing.schedule"),
                "{bad}"
            );
        }
    }

    #[test]
    fn daily_waits_until_the_next_local_time() {
        let utc = jiff::tz::TimeZone::UTC;
        // 2026-11-30 01:00 UTC → 02:30 the same day.
        let now = 1_795_998_000 - 1_795_998_000 % 86_400 + 3_600;
        assert_eq!(Schedule::Daily(2, 30).wait_from(now, &utc), 5_400);
        // At 03:00 the next run is tomorrow 02:30.
        assert_eq!(
            Schedule::Daily(2, 30).wait_from(now + 7_200, &utc),
            86_400 - 1_800
        );
    }
}
