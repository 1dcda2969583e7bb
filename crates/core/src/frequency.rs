//! Package frequencies: how often a package definition's recurring fee is
//! charged (`"0"` one-time, `"N"` months, `"Nw"` weeks, `"Nd"` days, `"Nh"`
//! hours), as Freeside spells them in `part_pkg.freq`.

use std::fmt;

/// How often a package recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// `"0"`: charged once (setup fee only).
    OneTime,
    /// `"N"`: every N calendar months.
    Months(u32),
    /// `"Nw"`: every N weeks.
    Weeks(u32),
    /// `"Nd"`: every N days.
    Days(u32),
    /// `"Nh"`: every N hours.
    Hours(u32),
}

/// A frequency text that is not `^\d+[hdw]?$` (or a zero count with a unit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Illegal or empty freq: {0}")]
pub struct FrequencyError(pub String);

impl Frequency {
    /// Parses Freeside's frequency text.
    ///
    /// # Errors
    /// `Illegal or empty freq: X` for anything that is not digits with an
    /// optional `h`, `d` or `w`, or a zero count with a unit.
    pub fn parse(text: &str) -> Result<Frequency, FrequencyError> {
        let error = || FrequencyError(text.to_string());
        let trimmed = text.trim();
        let (digits, unit) = match trimmed.as_bytes().last() {
            Some(b'h' | b'd' | b'w') => trimmed.split_at(trimmed.len() - 1),
            Some(_) => (trimmed, ""),
            None => return Err(error()),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        let count: u32 = digits.parse().map_err(|_| error())?;
        match (count, unit) {
            (0, "") => Ok(Frequency::OneTime),
            (0, _) => Err(error()),
            (n, "") => Ok(Frequency::Months(n)),
            (n, "w") => Ok(Frequency::Weeks(n)),
            (n, "d") => Ok(Frequency::Days(n)),
            (n, _) => Ok(Frequency::Hours(n)),
        }
    }

    /// True for every frequency but one-time.
    pub fn is_recurring(self) -> bool {
        self != Frequency::OneTime
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Frequency::OneTime => f.write_str("0"),
            Frequency::Months(n) => write!(f, "{n}"),
            Frequency::Weeks(n) => write!(f, "{n}w"),
            Frequency::Days(n) => write!(f, "{n}d"),
            Frequency::Hours(n) => write!(f, "{n}h"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<Frequency, &str>) {
        let got = Frequency::parse(input).map_err(|e| e.to_string());
        assert_eq!(got, expected.map_err(str::to_string), "input {input:?}");
    }

    #[test]
    fn parses_freeside_frequencies() {
        check("0", Ok(Frequency::OneTime));
        check("1", Ok(Frequency::Months(1)));
        check("12", Ok(Frequency::Months(12)));
        check("1w", Ok(Frequency::Weeks(1)));
        check("45d", Ok(Frequency::Days(45)));
        check("1h", Ok(Frequency::Hours(1)));
        check("", Err("Illegal or empty freq: "));
        check("1m", Err("Illegal or empty freq: 1m"));
        check("w", Err("Illegal or empty freq: w"));
        check("0d", Err("Illegal or empty freq: 0d"));
        check("-1", Err("Illegal or empty freq: -1"));
    }

    #[test]
    fn display_round_trips() {
        for text in ["0", "1", "2w", "3d", "4h", "120"] {
            assert_eq!(Frequency::parse(text).unwrap().to_string(), text);
        }
    }
}
