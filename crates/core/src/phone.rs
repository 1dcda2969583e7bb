//! The `phone` field rule (backend spec 4.4): North American numbers are
//! reformatted as `AAA-PPP-NNNN[ xEXT]`, other countries' numbers are only
//! checked as `textn`.
//!
//! Pure string work: the caller passes the location's country and the
//! configured default area code; nothing here reads configuration.

use crate::field::{self, FieldError};

/// Checks and formats an optional phone number for `country` (the billing
/// location's ISO code). An empty value stays empty.
///
/// For `US` and `CA`, every non-digit is dropped; seven digits get
/// `default_area_code` in front when one is configured; at least ten digits
/// must remain, formatted `AAA-PPP-NNNN`, and any further digits become an
/// extension ` xEXT`. So `1 555 444 3211` becomes `155-544-4321 x1`, as in
/// Freeside. Other countries' numbers are kept as given if they pass
/// `textn`.
///
/// # Errors
/// `Illegal (phone) F: V` for North America, `textn`'s message otherwise.
pub fn phone(
    field: &str,
    value: &str,
    country: &str,
    default_area_code: Option<&str>,
) -> Result<String, FieldError> {
    if value.is_empty() {
        return Ok(String::new());
    }
    if !matches!(country, "US" | "CA") {
        return field::textn(field, value);
    }
    let mut digits: String = value.chars().filter(char::is_ascii_digit).collect();
    if let Some(area_code) = default_area_code.filter(|code| !code.is_empty()) {
        if digits.len() == 7 {
            digits.insert_str(0, area_code);
        }
    }
    format_north_american(&digits)
        .ok_or_else(|| FieldError::new(format!("Illegal (phone) {field}: {value}")))
}

/// `AAA-PPP-NNNN[ xEXT]` from ten or more ASCII digits.
fn format_north_american(digits: &str) -> Option<String> {
    if digits.len() < 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (number, extension) = digits.split_at(10);
    let mut formatted = format!("{}-{}-{}", &number[..3], &number[3..6], &number[6..]);
    if !extension.is_empty() {
        formatted.push_str(" x");
        formatted.push_str(extension);
    }
    Some(formatted)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `input` is `(value, country, default area code)`.
    fn check(input: (&str, &str, Option<&str>), expected: Result<&str, &str>) {
        let (value, country, area_code) = input;
        let got = phone("daytime", value, country, area_code);
        assert_eq!(
            got.as_deref().map_err(FieldError::message),
            expected,
            "input {input:?}"
        );
    }

    #[test]
    fn north_american_numbers_are_reformatted() {
        check(("555 444 3211", "US", None), Ok("555-444-3211"));
        check(("(555) 444-3211", "CA", None), Ok("555-444-3211"));
        check(("555.444.3211", "US", Some("212")), Ok("555-444-3211"));
        check(("1 555 444 3211", "US", None), Ok("155-544-4321 x1"));
        check(("555-444-3211 ext 99", "US", None), Ok("555-444-3211 x99"));
        check(("", "US", None), Ok(""));
    }

    #[test]
    fn seven_digits_take_the_default_area_code() {
        check(("444-3211", "US", Some("555")), Ok("555-444-3211"));
        check(
            ("444-3211", "US", None),
            Err("Illegal (phone) daytime: 444-3211"),
        );
        check(
            ("444-3211", "US", Some("")),
            Err("Illegal (phone) daytime: 444-3211"),
        );
        check(
            ("44-3211", "US", Some("555")),
            Err("Illegal (phone) daytime: 44-3211"),
        );
    }

    #[test]
    fn short_or_digitless_north_american_numbers_are_refused() {
        check(
            ("555 444 321", "US", None),
            Err("Illegal (phone) daytime: 555 444 321"),
        );
        check(
            ("call me", "CA", None),
            Err("Illegal (phone) daytime: call me"),
        );
    }

    #[test]
    fn other_countries_are_text() {
        check(("+44 20 7946 0958", "GB", None), Ok("+44 20 7946 0958"));
        check(("030/1234-567", "DE", Some("555")), Ok("030/1234-567"));
        check(
            ("123*456", "GB", None),
            Err("Illegal or empty (text) daytime: 123*456"),
        );
        check(("555 444 3211", "", None), Ok("555 444 3211"));
    }
}
