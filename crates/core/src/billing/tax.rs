//! Taxes of one invoice from the tax table (`cust_main_county`, the
//! catalog's `[[tax]]` entries), backend spec 9.5.
//!
//! Lookup: the rows equal to the taxed address on country, state, county and
//! city (compared without regard to case and surrounding blanks); if none,
//! the city is blanked and the lookup retried, then also the county, then
//! also the state. The first attempt that finds rows wins and all its rows
//! apply; a zero-rate row wins like any other and produces nothing. Each row
//! taxes the sum of the taxable amounts it applies to, rounded half-up to
//! the cent once per invoice; rows with the same name make one tax line.
//! Exemptions (tax-exempt customers, non-taxable definitions) are the
//! caller's: it passes only taxable amounts.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::BillingError;
use crate::model::{Location, TaxRate};
use crate::money::Money;

/// The name of a tax row whose name is empty.
pub const DEFAULT_TAX_NAME: &str = "Tax";

/// A taxable amount of an invoice and the address it is taxed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxableItem<'a> {
    /// The package it was charged for.
    pub pkgnum: i64,
    /// The taxed address (billing, service or package location, as
    /// configured).
    pub location: &'a Location,
    /// The taxable amount.
    pub amount: Money,
}

/// One tax of an invoice: the rows of one name added up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxLine {
    /// The tax name shown on the invoice.
    pub name: String,
    /// The amount, never zero.
    pub amount: Money,
}

/// A taxable package billed without tax because no tax row matches its
/// address: the pass goes on and reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untaxed {
    /// The package.
    pub pkgnum: i64,
    /// Country of the taxed address.
    pub country: String,
    /// State of the taxed address.
    pub state: String,
    /// County of the taxed address.
    pub county: String,
    /// City of the taxed address.
    pub city: String,
}

/// The taxes of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Taxes {
    /// One line per tax name with a non-zero amount, in the order the rows
    /// are given.
    pub lines: Vec<TaxLine>,
    /// Taxable items for whose address no row exists, one per package and
    /// address.
    pub untaxed: Vec<Untaxed>,
}

/// A locality: country, state, county and city, trimmed and upper case.
type LocalityKey = [String; 4];

/// The tax table ready for lookups: its rows, and the rows of each
/// locality. Built once per billing run; a lookup is at most four hash
/// probes, however long the table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaxTable {
    rates: Vec<TaxRate>,
    by_locality: HashMap<LocalityKey, Vec<usize>>,
}

impl TaxTable {
    /// The table of `rates` (their order is the order of tax lines).
    pub fn new(rates: Vec<TaxRate>) -> TaxTable {
        let mut by_locality: HashMap<LocalityKey, Vec<usize>> = HashMap::new();
        for (row_idx, rate) in rates.iter().enumerate() {
            let key = [&rate.country, &rate.state, &rate.county, &rate.city].map(|p| normalize(p));
            by_locality.entry(key).or_default().push(row_idx);
        }
        TaxTable { rates, by_locality }
    }

    /// The rows, in the order given.
    pub fn rates(&self) -> &[TaxRate] {
        &self.rates
    }

    /// Indices of the rows of the most specific locality matching
    /// `location` (empty when none does).
    fn matching_rows(&self, location: &Location) -> &[usize] {
        let mut key = [
            &location.country,
            &location.state,
            &location.county,
            &location.city,
        ]
        .map(|p| normalize(p));
        // Attempt k keeps the first 4 - k parts and blanks the rest.
        for n_kept in (1..=4).rev() {
            for part in key.iter_mut().skip(n_kept) {
                part.clear();
            }
            if let Some(rows) = self.by_locality.get(&key) {
                return rows;
            }
        }
        &[]
    }
}

impl From<Vec<TaxRate>> for TaxTable {
    fn from(rates: Vec<TaxRate>) -> TaxTable {
        TaxTable::new(rates)
    }
}

/// The tax rows that apply at `location`: those of the most specific
/// locality that has any (empty when none does).
pub fn find_tax_rates<'a>(table: &'a TaxTable, location: &Location) -> Vec<&'a TaxRate> {
    table
        .matching_rows(location)
        .iter()
        .map(|&row_idx| &table.rates[row_idx])
        .collect()
}

/// The taxes on `items`, from the tax table `rates`.
///
/// # Errors
/// [`BillingError::AmountOutOfRange`] when a tax does not fit in money
/// (only an absurd rate gets there).
pub fn compute_taxes(table: &TaxTable, items: &[TaxableItem<'_>]) -> Result<Taxes, BillingError> {
    let rates = table.rates();
    let mut taxable_per_row = vec![Money::ZERO; rates.len()];
    let mut taxes = Taxes::default();
    for item in items {
        let rows = table.matching_rows(item.location);
        if rows.is_empty() {
            let untaxed = Untaxed {
                pkgnum: item.pkgnum,
                country: item.location.country.clone(),
                state: item.location.state.clone(),
                county: item.location.county.clone(),
                city: item.location.city.clone(),
            };
            if !taxes.untaxed.contains(&untaxed) {
                taxes.untaxed.push(untaxed);
            }
        }
        for &row_idx in rows {
            taxable_per_row[row_idx] += item.amount;
        }
    }
    for (rate, taxable) in rates.iter().zip(taxable_per_row) {
        let amount = tax_amount(taxable, rate.rate)?;
        if amount == Money::ZERO {
            continue;
        }
        let name = if rate.name.trim().is_empty() {
            DEFAULT_TAX_NAME
        } else {
            rate.name.as_str()
        };
        match taxes.lines.iter_mut().find(|line| line.name == name) {
            Some(line) => line.amount += amount,
            None => taxes.lines.push(TaxLine {
                name: name.to_string(),
                amount,
            }),
        }
    }
    taxes.lines.retain(|line| line.amount != Money::ZERO);
    Ok(taxes)
}

/// `round_half_up(taxable × percent / 100)` to the cent.
fn tax_amount(taxable: Money, percent: Decimal) -> Result<Money, BillingError> {
    taxable
        .to_decimal()
        .checked_mul(percent)
        .and_then(|product| product.checked_div(Decimal::ONE_HUNDRED))
        .and_then(|exact| Money::from_decimal_rounded(exact).ok())
        .ok_or(BillingError::AmountOutOfRange)
}

/// Tax rows keep localities upper case; addresses may not.
fn normalize(text: &str) -> String {
    text.trim().to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(
        country: &str,
        state: &str,
        county: &str,
        city: &str,
        name: &str,
        percent: &str,
    ) -> TaxRate {
        TaxRate {
            taxnum: 0,
            country: country.to_string(),
            state: state.to_string(),
            county: county.to_string(),
            city: city.to_string(),
            name: name.to_string(),
            rate: percent.parse().unwrap(),
        }
    }

    fn place(country: &str, state: &str, county: &str, city: &str) -> Location {
        Location {
            country: country.to_string(),
            state: state.to_string(),
            county: county.to_string(),
            city: city.to_string(),
            ..Location::default()
        }
    }

    fn table() -> Vec<TaxRate> {
        vec![
            rate("US", "", "", "", "", "0"),
            rate("US", "CA", "", "", "CA sales tax", "7.25"),
            rate("US", "CA", "Los Angeles", "", "LA county tax", "2.25"),
            rate("US", "CA", "Los Angeles", "", "CA sales tax", "7.25"),
            rate(
                "US",
                "CA",
                "SAN FRANCISCO",
                "SAN FRANCISCO",
                "SF tax",
                "1.375",
            ),
            rate(
                "US",
                "CA",
                "SAN FRANCISCO",
                "SAN FRANCISCO",
                "CA sales tax",
                "7.25",
            ),
            rate("US", "OR", "", "", "", "0"),
            rate("CA", "ON", "", "", "HST", "13"),
            rate("CA", "QC", "", "", "", "5"),
            rate("CA", "QC", "", "", "", "9.975"),
        ]
    }

    /// Taxes on one item per `(location, cents)`, as `name amount` texts,
    /// then `untaxed pkgnum` for each reported package.
    fn check(items: &[(Location, i64)], expected: &[&str]) {
        let rates = TaxTable::new(table());
        let items: Vec<TaxableItem<'_>> = items
            .iter()
            .enumerate()
            .map(|(item_idx, (location, cents))| TaxableItem {
                pkgnum: i64::try_from(item_idx).unwrap() + 1,
                location,
                amount: Money::from_cents(*cents),
            })
            .collect();
        let taxes = compute_taxes(&rates, &items).unwrap();
        let mut got: Vec<String> = taxes
            .lines
            .iter()
            .map(|line| format!("{} {}", line.name, line.amount))
            .collect();
        got.extend(
            taxes
                .untaxed
                .iter()
                .map(|u| format!("untaxed {}", u.pkgnum)),
        );
        assert_eq!(got, expected);
    }

    #[test]
    fn california_rate_on_a_monthly_fee() {
        // Checklist 40: 19.95 × 7.25 % = 1.446375 → 1.45.
        check(
            &[(place("US", "CA", "Alameda", "Oakland"), 1995)],
            &["CA sales tax 1.45"],
        );
    }

    #[test]
    fn the_most_specific_locality_wins_and_all_its_rows_apply() {
        check(
            &[(place("us", "ca", "san francisco", "san francisco"), 10_000)],
            &["SF tax 1.38", "CA sales tax 7.25"],
        );
        check(
            &[(place("US", "CA", "Los Angeles", "Pasadena"), 10_000)],
            &["LA county tax 2.25", "CA sales tax 7.25"],
        );
        check(
            &[(place("US", "CA", "San Francisco", "Daly City"), 10_000)],
            &["CA sales tax 7.25"],
        );
        // Two unnamed rows share the default name.
        check(
            &[(place("CA", "QC", "", "Montréal"), 10_000)],
            &["Tax 14.98"],
        );
    }

    #[test]
    fn zero_rate_localities_win_and_produce_nothing() {
        check(&[(place("US", "OR", "", "Portland"), 10_000)], &[]);
        check(&[(place("US", "TX", "", "Austin"), 10_000)], &[]);
    }

    #[test]
    fn addresses_without_a_row_are_reported() {
        check(
            &[
                (place("DE", "", "", "Berlin"), 10_000),
                (place("US", "CA", "", ""), 1995),
            ],
            &["CA sales tax 1.45", "untaxed 1"],
        );
    }

    #[test]
    fn tax_is_rounded_once_per_invoice() {
        // 0.10 × 7.25 % = 0.00725 per line; 0.0145 over the invoice.
        let california = place("US", "CA", "", "");
        check(
            &[(california.clone(), 10), (california, 10)],
            &["CA sales tax 0.01"],
        );
    }

    #[test]
    fn lookup_returns_the_winning_rows() {
        let rates = TaxTable::new(table());
        let found = find_tax_rates(&rates, &place("CA", "ON", "", "Toronto"));
        assert_eq!(found, vec![&rates.rates()[7]]);
        assert!(find_tax_rates(&rates, &place("FR", "", "", "")).is_empty());
    }

    #[test]
    fn an_absurd_rate_is_an_error_not_a_panic() {
        let rates = TaxTable::new(vec![rate(
            "US",
            "",
            "",
            "",
            "",
            "79228162514264337593543950335",
        )]);
        let location = place("US", "", "", "");
        let items = [TaxableItem {
            pkgnum: 1,
            location: &location,
            amount: Money::from_cents(1_000_000),
        }];
        assert_eq!(
            compute_taxes(&rates, &items),
            Err(BillingError::AmountOutOfRange)
        );
    }
}
