//! Countries (ISO 3166-1 alpha-2), their subdivisions (ISO 3166-2) and the
//! `country` and `zip` field rules (backend spec 4.4, 5.2).
//!
//! The tables are text files under `data/`, compiled in and parsed once on
//! first use. This module only answers questions about that fixed data; the
//! locality table that tax rows extend lives in the store, which seeds it
//! from [`localities`]. Nothing here does I/O.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use crate::field::{is_word_char, FieldError};

/// `country`: two ASCII letters, upper-cased, or a full English country
/// name (any case, blanks collapsed), converted to its code. Like Freeside,
/// any two letters pass; whether the country exists is the locality
/// check's business.
///
/// # Errors
/// `Illegal (country) F: V`, V trimmed.
pub fn country(field: &str, value: &str) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.len() == 2 && trimmed.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Ok(trimmed.to_ascii_uppercase());
    }
    country_code_for_name(trimmed)
        .map(str::to_owned)
        .ok_or_else(|| FieldError::new(format!("Illegal (country) {field}: {trimmed}")))
}

/// The code of the country called `name` in English (`United States`,
/// `korea, republic of`, `Vietnam`), or `None`.
pub fn country_code_for_name(name: &str) -> Option<&'static str> {
    data().code_by_name.get(&name_key(name)).copied()
}

/// The English short name of the country with `code`, or `None`.
pub fn country_name(code: &str) -> Option<&'static str> {
    data().countries.get(code).copied()
}

/// Whether `code` is an ISO 3166-1 alpha-2 code.
pub fn is_known_country(code: &str) -> bool {
    data().countries.contains_key(code)
}

/// Every country as `(code, English name)`, ordered by code.
pub fn countries() -> impl Iterator<Item = (&'static str, &'static str)> {
    data().countries.iter().map(|(code, name)| (*code, *name))
}

/// The subdivision codes of `country` (the part after `CC-`), sorted;
/// empty for a country without subdivision data.
pub fn subdivisions(country: &str) -> &'static [&'static str] {
    data()
        .subdivisions
        .get(country)
        .map_or(&[][..], Vec::as_slice)
}

/// Whether `country` has subdivision data; a country without it accepts
/// any state.
pub fn has_subdivisions(country: &str) -> bool {
    !subdivisions(country).is_empty()
}

/// Whether `state` is one of `country`'s subdivision codes.
pub fn is_known_subdivision(country: &str, state: &str) -> bool {
    subdivisions(country).binary_search(&state).is_ok()
}

/// The built-in localities as `(country, state)`, for seeding the locality
/// table: one pair per subdivision, and `(country, "")` for each country
/// without subdivisions. Ordered by country, then state.
pub fn localities() -> impl Iterator<Item = (&'static str, &'static str)> {
    countries().flat_map(|(code, _)| {
        let states = subdivisions(code);
        let no_state: &'static [&'static str] = if states.is_empty() { &[""] } else { &[] };
        states
            .iter()
            .chain(no_state)
            .map(move |state| (code, *state))
    })
}

/// The error for a location whose `(state, county, country)` is not a known
/// locality: `Unknown state/county/country: STATE/COUNTY/COUNTRY`.
pub fn unknown_locality(state: &str, county: &str, country: &str) -> FieldError {
    FieldError::new(format!(
        "Unknown state/county/country: {state}/{county}/{country}"
    ))
}

/// `zip` for a location in `country`; blanks around the value are ignored.
///
/// - `US`: `NNNNN` or `NNNNN-NNNN`, required.
/// - `CA`: `A9A 9A9`, the space optional, stored upper case with one space.
/// - `AU`: four digits.
/// - elsewhere: empty, or 2 to 10 word characters, `-` and spaces,
///   starting and ending with a word character.
///
/// # Errors
/// `Illegal (zip) F for country CC: V` for US, CA and AU, else
/// `Illegal (zip) F: V`; V trimmed.
pub fn zip(field: &str, value: &str, country: &str) -> Result<String, FieldError> {
    let trimmed = value.trim();
    let cleaned = match country {
        "US" => is_us_zip(trimmed).then(|| trimmed.to_owned()),
        "CA" => canadian_postal_code(trimmed),
        "AU" => (trimmed.len() == 4 && all_ascii_digits(trimmed)).then(|| trimmed.to_owned()),
        _ => {
            return if trimmed.is_empty() || is_other_zip(trimmed) {
                Ok(trimmed.to_owned())
            } else {
                Err(FieldError::new(format!("Illegal (zip) {field}: {trimmed}")))
            };
        }
    };
    cleaned.ok_or_else(|| {
        FieldError::new(format!(
            "Illegal (zip) {field} for country {country}: {trimmed}"
        ))
    })
}

/// The parsed tables.
struct GeoData {
    /// Code → display name.
    countries: BTreeMap<&'static str, &'static str>,
    /// Normalised name or alias → code.
    code_by_name: HashMap<String, &'static str>,
    /// Code → sorted subdivision codes.
    subdivisions: HashMap<&'static str, Vec<&'static str>>,
}

const COUNTRIES: &str = include_str!("../data/countries.txt");
const SUBDIVISIONS: &str = include_str!("../data/subdivisions.txt");

fn data() -> &'static GeoData {
    static DATA: OnceLock<GeoData> = OnceLock::new();
    DATA.get_or_init(|| parse_tables(COUNTRIES, SUBDIVISIONS))
}

/// Lines that are neither blank nor comments.
fn data_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

fn parse_tables(countries_text: &'static str, subdivisions_text: &'static str) -> GeoData {
    let mut countries = BTreeMap::new();
    let mut code_by_name = HashMap::new();
    for line in data_lines(countries_text) {
        let mut fields = line.split('|');
        let code = fields.next().unwrap_or_default();
        let names: Vec<&'static str> = fields.collect();
        if let Some(display_name) = names.first() {
            countries.insert(code, *display_name);
        }
        for name in names {
            code_by_name.insert(name_key(name), code);
        }
    }
    let mut subdivisions: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
    for line in data_lines(subdivisions_text) {
        if let Some((code, states)) = line.split_once(':') {
            subdivisions
                .entry(code.trim())
                .or_default()
                .extend(states.split_whitespace());
        }
    }
    for states in subdivisions.values_mut() {
        states.sort_unstable();
        states.dedup();
    }
    GeoData {
        countries,
        code_by_name,
        subdivisions,
    }
}

/// A country name in the form names are compared: lower case, single
/// spaces.
fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn all_ascii_digits(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_digit())
}

fn is_us_zip(value: &str) -> bool {
    let (five, plus_four) = value.split_once('-').unwrap_or((value, "0000"));
    five.len() == 5 && all_ascii_digits(five) && plus_four.len() == 4 && all_ascii_digits(plus_four)
}

/// `A9A 9A9` (any blanks between the halves), upper-cased with one space.
fn canadian_postal_code(value: &str) -> Option<String> {
    let compact: String = value.split_whitespace().collect();
    let compact = compact.to_ascii_uppercase();
    let shape_ok = compact.len() == 6
        && compact.bytes().enumerate().all(|(idx, b)| {
            if idx % 2 == 0 {
                b.is_ascii_uppercase()
            } else {
                b.is_ascii_digit()
            }
        });
    let halves_ok = value.split_whitespace().count() <= 2 && {
        let first = value.split_whitespace().next().unwrap_or_default();
        first.len() == 3 || first.len() == 6
    };
    (shape_ok && halves_ok).then(|| format!("{} {}", &compact[..3], &compact[3..]))
}

fn is_other_zip(value: &str) -> bool {
    let n_chars = value.chars().count();
    let first_ok = value.chars().next().is_some_and(is_word_char);
    let last_ok = value.chars().last().is_some_and(is_word_char);
    (2..=10).contains(&n_chars)
        && first_ok
        && last_ok
        && value
            .chars()
            .all(|c| is_word_char(c) || c == '-' || c == ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `input` is `(value, country)`; `expected` the cleaned zip or the error.
    fn check(input: (&str, &str), expected: Result<&str, &str>) {
        let (value, country) = input;
        let got = zip("zip", value, country);
        assert_eq!(
            got.as_deref().map_err(FieldError::message),
            expected,
            "input {input:?}"
        );
    }

    fn check_country(input: &str, expected: Result<&str, &str>) {
        let got = country("country", input);
        assert_eq!(
            got.as_deref().map_err(FieldError::message),
            expected,
            "input {input:?}"
        );
    }

    #[test]
    fn zips_by_country() {
        check(("94110", "US"), Ok("94110"));
        check((" 94110-1234 ", "US"), Ok("94110-1234"));
        check(
            ("9411", "US"),
            Err("Illegal (zip) zip for country US: 9411"),
        );
        check(
            ("94110-12", "US"),
            Err("Illegal (zip) zip for country US: 94110-12"),
        );
        check(("", "US"), Err("Illegal (zip) zip for country US: "));
        check(("k1a 0b1", "CA"), Ok("K1A 0B1"));
        check(("K1A0B1", "CA"), Ok("K1A 0B1"));
        check(("K1A   0B1", "CA"), Ok("K1A 0B1"));
        check(
            ("K1 A0B1", "CA"),
            Err("Illegal (zip) zip for country CA: K1 A0B1"),
        );
        check(
            ("12345", "CA"),
            Err("Illegal (zip) zip for country CA: 12345"),
        );
        check(("2000", "AU"), Ok("2000"));
        check(("200", "AU"), Err("Illegal (zip) zip for country AU: 200"));
        check(("", "GB"), Ok(""));
        check(("  ", "GB"), Ok(""));
        check(("SW1A 1AA", "GB"), Ok("SW1A 1AA"));
        check(("10115", "DE"), Ok("10115"));
        check(("1000-001", "PT"), Ok("1000-001"));
        check(("X", "GB"), Err("Illegal (zip) zip: X"));
        check(("-1234", "GB"), Err("Illegal (zip) zip: -1234"));
        check(("12345678901", "GB"), Err("Illegal (zip) zip: 12345678901"));
        check(("AB#12", "GB"), Err("Illegal (zip) zip: AB#12"));
    }

    #[test]
    fn countries_by_code_or_name() {
        check_country("US", Ok("US"));
        check_country("us", Ok("US"));
        check_country(" ca ", Ok("CA"));
        check_country("ZZ", Ok("ZZ"));
        check_country("United States", Ok("US"));
        check_country("united  kingdom", Ok("GB"));
        check_country("Korea, Republic of", Ok("KR"));
        check_country("Côte d'Ivoire", Ok("CI"));
        check_country("", Err("Illegal (country) country: "));
        check_country("U1", Err("Illegal (country) country: U1"));
        check_country("USA", Err("Illegal (country) country: USA"));
        check_country("Atlantis", Err("Illegal (country) country: Atlantis"));
    }

    #[test]
    fn country_table_is_the_full_iso_list() {
        assert_eq!(countries().count(), 249);
        assert_eq!(country_name("US"), Some("United States"));
        assert_eq!(country_name("GB"), Some("United Kingdom"));
        assert_eq!(country_name("XX"), None);
        assert!(is_known_country("AX"));
        assert!(!is_known_country("ZZ"));
        for (code, name) in countries() {
            assert!(
                code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()),
                "{code}"
            );
            assert_eq!(country_code_for_name(name), Some(code), "{name}");
        }
    }

    #[test]
    fn subdivisions_per_country() {
        assert_eq!(subdivisions("US").len(), 51 + 6 + 6);
        for state in ["CA", "NY", "DC", "PR", "AA", "AE", "AP", "FM", "MH", "PW"] {
            assert!(is_known_subdivision("US", state), "{state}");
        }
        assert!(!is_known_subdivision("US", "XX"));
        assert!(!is_known_subdivision("US", "ca"));
        assert_eq!(subdivisions("CA").len(), 13);
        assert_eq!(subdivisions("AU").len(), 8);
        assert_eq!(subdivisions("DE").len(), 16);
        assert_eq!(subdivisions("BR").len(), 27);
        assert_eq!(subdivisions("JP").len(), 47);
        assert_eq!(subdivisions("CH").len(), 26);
        assert!(is_known_subdivision("FR", "2A"));
        assert!(is_known_subdivision("GB", "LND"));
        assert!(is_known_subdivision("ES", "M"));
        assert!(!has_subdivisions("AD"));
        assert!(subdivisions("ZZ").is_empty());
    }

    #[test]
    fn every_subdivision_belongs_to_a_known_country() {
        let table = parse_tables(COUNTRIES, SUBDIVISIONS);
        let required = [
            "US", "CA", "AU", "GB", "DE", "FR", "IT", "ES", "NL", "BR", "MX", "IN", "JP", "CN",
            "NZ", "IE", "CH", "AT", "BE", "SE", "NO", "DK", "FI", "PL", "PT", "ZA", "AR",
        ];
        for code in required {
            assert!(has_subdivisions(code), "{code}");
        }
        for (code, states) in &table.subdivisions {
            assert!(is_known_country(code), "{code}");
            for state in states {
                let shape_ok = (1..=3).contains(&state.len())
                    && state
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
                assert!(shape_ok, "{code}-{state}");
            }
        }
    }

    #[test]
    fn localities_cover_every_country_once_or_by_subdivision() {
        let all: Vec<(&str, &str)> = localities().collect();
        assert!(all.contains(&("US", "CA")));
        assert!(all.contains(&("US", "AE")));
        assert!(all.contains(&("AD", "")));
        assert!(!all.contains(&("US", "")));
        let n_without = countries()
            .filter(|(code, _)| !has_subdivisions(code))
            .count();
        let n_with: usize = countries().map(|(code, _)| subdivisions(code).len()).sum();
        assert_eq!(all.len(), n_without + n_with);
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, all);
    }

    #[test]
    fn unknown_locality_message() {
        assert_eq!(
            unknown_locality("CA", "Nowhere", "US").message(),
            "Unknown state/county/country: CA/Nowhere/US"
        );
    }
}
