//! Dates as clients send them to `order_package` (`start_date`,
//! `contract_end`): UNIX seconds, `YYYY-MM-DD[ HH:MM[:SS]]`,
//! `YYYY-MM-DDTHH:MM:SS[Z|±HH:MM]` and US `M/D/YYYY`, read in the billing
//! time zone when they carry no offset. Anything else is refused (Freeside
//! silently ignored it and started the package at once).

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// Parses a date text to UNIX seconds; `None` when it is none of the forms.
pub fn parse_date_text(text: &str, tz: &TimeZone) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Some(timestamp.as_second());
    }
    let local = parse_local(text)?;
    local
        .to_zoned(tz.clone())
        .ok()
        .map(|z| z.timestamp().as_second())
}

fn parse_local(text: &str) -> Option<DateTime> {
    if let Some((month, rest)) = text.split_once('/') {
        let (day, year) = rest.split_once('/')?;
        let number = |s: &str| -> Option<i16> {
            (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())?
        };
        let year = number(year)?;
        if year < 1000 {
            return None;
        }
        let date = Date::new(
            year,
            i8::try_from(number(month)?).ok()?,
            i8::try_from(number(day)?).ok()?,
        )
        .ok()?;
        return Some(date.to_datetime(Time::midnight()));
    }
    let normalized = text.replacen(' ', "T", 1);
    if let Ok(datetime) = normalized.parse::<DateTime>() {
        return Some(datetime);
    }
    text.parse::<Date>()
        .ok()
        .map(|d| d.to_datetime(Time::midnight()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<i64>) {
        assert_eq!(parse_date_text(text, &TimeZone::UTC), expected, "{text:?}");
    }

    #[test]
    fn reads_the_accepted_forms() {
        check("1796083200", Some(1_796_083_200));
        check("12/1/2027", Some(1_827_619_200));
        check("2027-12-01", Some(1_827_619_200));
        check("2027-12-01 10:30", Some(1_827_619_200 + 37_800));
        check("2027-12-01T10:30:00", Some(1_827_619_200 + 37_800));
        check("2027-12-01T10:30:00Z", Some(1_827_619_200 + 37_800));
        check("2027-12-01T10:30:00+01:00", Some(1_827_619_200 + 34_200));
        check("next tuesday", None);
        check("13/45/2027", None);
        check("", None);
    }

    #[test]
    fn local_forms_use_the_time_zone() {
        let tz = TimeZone::get("America/New_York").unwrap();
        assert_eq!(
            parse_date_text("12/1/2027", &tz),
            Some(1_827_619_200 + 5 * 3600)
        );
    }
}
