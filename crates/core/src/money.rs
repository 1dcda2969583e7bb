//! Money: an exact decimal amount in the currency's cents, never a float.
//!
//! `Money` always carries exactly two fraction digits. It parses the wire's
//! money format (backend spec 4.3), prints with two decimals and converts to
//! and from the integer cents the store keeps.

use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use rust_decimal::{Decimal, RoundingStrategy};

/// An amount of money with exactly two decimals.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

/// Why a money text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a money amount")]
pub struct MoneyParseError;

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// The amount of `cents` cents.
    pub const fn from_cents(cents: i64) -> Money {
        Money(cents)
    }

    /// The amount in cents, as the store keeps it.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// The amount as an exact decimal with two fraction digits.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// Rounds `value` half-up (away from zero at .5) to the cent.
    ///
    /// # Errors
    /// Fails when the value does not fit in 64-bit cents.
    pub fn from_decimal_rounded(value: Decimal) -> Result<Money, MoneyParseError> {
        let rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let scaled = rounded * Decimal::ONE_HUNDRED;
        i64::try_from(scaled.trunc())
            .map(Money)
            .map_err(|_| MoneyParseError)
    }

    /// Parses the wire format: optional blanks, optional `-`, digits, and at
    /// most two fraction digits (`5`, `5.5`, `5.50`, `.5`); empty means zero.
    /// `1,000.00`, `$5`, `54.321` and `1e3` are refused.
    ///
    /// # Errors
    /// [`MoneyParseError`] for anything else.
    pub fn parse(text: &str) -> Result<Money, MoneyParseError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Money::ZERO);
        }
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match body.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (body, ""),
        };
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty())
            || !all_digits(whole)
            || !all_digits(fraction)
            || fraction.len() > 2
            || (body.contains('.') && fraction.is_empty())
            || whole.len() > 15
        {
            return Err(MoneyParseError);
        }
        let whole_cents: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse::<i64>().map_err(|_| MoneyParseError)? * 100
        };
        let fraction_cents: i64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().map_err(|_| MoneyParseError)? * 10,
            _ => fraction.parse::<i64>().map_err(|_| MoneyParseError)?,
        };
        let cents = whole_cents + fraction_cents;
        Ok(Money(if negative { -cents } else { cents }))
    }

    /// True when the amount is above zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// The smaller of two amounts.
    pub fn min(self, other: Money) -> Money {
        Money(self.0.min(other.0))
    }

    /// `self × quantity`.
    pub const fn times(self, quantity: i64) -> Money {
        Money(self.0 * quantity)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money(self.0 + other.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        self.0 += other.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money(self.0 - other.0)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, other: Money) {
        self.0 -= other.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |acc, m| acc + m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, expected: Option<&str>) {
        let got = Money::parse(input).ok().map(|m| m.to_string());
        assert_eq!(got.as_deref(), expected, "input {input:?}");
    }

    #[test]
    fn parses_the_wire_formats() {
        check("54.32", Some("54.32"));
        check(" 5.5 ", Some("5.50"));
        check("5", Some("5.00"));
        check("", Some("0.00"));
        check("-54.3", Some("-54.30"));
        check(".5", Some("0.50"));
        check("0", Some("0.00"));
        for bad in [
            "1,000.00", "$5", "54.321", "1e3", "abc", "-", ".", "5.", "--5", "5.-1",
        ] {
            check(bad, None);
        }
    }

    #[test]
    fn rounds_half_up_to_the_cent() {
        let r = |s: &str| {
            Money::from_decimal_rounded(s.parse().unwrap())
                .unwrap()
                .to_string()
        };
        assert_eq!(r("1.445"), "1.45");
        assert_eq!(r("1.4449"), "1.44");
        assert_eq!(r("-1.445"), "-1.45");
        assert_eq!(r("1.446375"), "1.45");
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(cents in -1_000_000_000_000i64..1_000_000_000_000) {
            let money = Money::from_cents(cents);
            prop_assert_eq!(Money::parse(&money.to_string()).unwrap(), money);
        }

        #[test]
        fn rounding_is_within_half_a_cent(units in -10_000_000i64..10_000_000, scale in 0u32..6) {
            let value = Decimal::new(units, scale);
            let money = Money::from_decimal_rounded(value).unwrap();
            let diff = (money.to_decimal() - value).abs();
            prop_assert!(diff <= Decimal::new(5, 3));
        }
    }
}
