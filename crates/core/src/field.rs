//! Freeside's field rules: each takes a field name and the raw value and
//! returns the cleaned value or a [`FieldError`] whose text is Freeside's
//! message, word for word (backend spec 4.4, 5.5).
//!
//! These are pure string checks. They must not look anything up (foreign
//! keys, localities, configuration): callers pass what a rule needs.
//! Rules that trim report the trimmed value in their message; the others
//! report the value exactly as received.

use std::net::{IpAddr, Ipv4Addr};

use rust_decimal::Decimal;

use crate::money::Money;

/// A value refused by a field rule; its text is the message clients see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    message: String,
}

impl FieldError {
    /// An error carrying exactly `message`.
    pub fn new(message: impl Into<String>) -> FieldError {
        FieldError {
            message: message.into(),
        }
    }

    /// The client-visible message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The message, by value.
    pub fn into_message(self) -> String {
        self.message
    }

    /// The same error with `suffix` glued to the end of its message, as
    /// Freeside does with ` (in billing location)`.
    pub fn with_suffix(mut self, suffix: &str) -> FieldError {
        self.message.push_str(suffix);
        self
    }
}

/// The cleaned destinations of an `invoicing_list` (spec 5.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvoicingList {
    /// E-mail destinations, in the order given, without duplicates.
    pub emails: Vec<String>,
    /// True when the special word `POST` (paper invoices) was listed.
    pub postal: bool,
}

/// `number`: one or more ASCII digits.
///
/// # Errors
/// `Illegal or empty (numeric) F: V`.
pub fn number(field: &str, value: &str) -> Result<String, FieldError> {
    if !value.is_empty() && all_ascii_digits(value) {
        Ok(value.to_owned())
    } else {
        Err(illegal("Illegal or empty (numeric)", field, value))
    }
}

/// `numbern`: ASCII digits or the empty string.
///
/// # Errors
/// `Illegal (numeric) F: V`.
pub fn numbern(field: &str, value: &str) -> Result<String, FieldError> {
    if all_ascii_digits(value) {
        Ok(value.to_owned())
    } else {
        Err(illegal("Illegal (numeric)", field, value))
    }
}

/// `money`: the wire money format of spec 4.3 (empty means zero).
///
/// # Errors
/// `Illegal (money) F: V`.
pub fn money(field: &str, value: &str) -> Result<Money, FieldError> {
    Money::parse(value).map_err(|_| illegal("Illegal (money)", field, value))
}

/// `text`: one or more word characters, spaces and the punctuation of
/// spec 4.4. The value is kept as is (no trimming).
///
/// # Errors
/// `Illegal or empty (text) F: V`.
pub fn text(field: &str, value: &str) -> Result<String, FieldError> {
    if !value.is_empty() && value.chars().all(is_text_char) {
        Ok(value.to_owned())
    } else {
        Err(illegal("Illegal or empty (text)", field, value))
    }
}

/// `textn`: like [`text`], or the empty string.
///
/// # Errors
/// `Illegal or empty (text) F: V` (Freeside uses the same message).
pub fn textn(field: &str, value: &str) -> Result<String, FieldError> {
    if value.is_empty() {
        Ok(String::new())
    } else {
        text(field, value)
    }
}

/// `name`: word characters, spaces and `, . - '`; ends trimmed and runs of
/// blanks collapsed to one space; must not be empty once trimmed.
///
/// # Errors
/// `Illegal (name) F: V`, V trimmed.
pub fn name(field: &str, value: &str) -> Result<String, FieldError> {
    let cleaned = namen(field, value)?;
    if cleaned.is_empty() {
        return Err(illegal("Illegal (name)", field, ""));
    }
    Ok(cleaned)
}

/// `namen`: like [`name`], or empty.
///
/// # Errors
/// `Illegal (name) F: V`, V trimmed.
pub fn namen(field: &str, value: &str) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.chars().all(is_name_char) {
        Ok(collapse_blanks(trimmed))
    } else {
        Err(illegal("Illegal (name)", field, trimmed))
    }
}

/// `alphan`: word characters only, or empty.
///
/// # Errors
/// `Illegal (alphanumeric) F: V`.
pub fn alphan(field: &str, value: &str) -> Result<String, FieldError> {
    if value.chars().all(is_word_char) {
        Ok(value.to_owned())
    } else {
        Err(illegal("Illegal (alphanumeric)", field, value))
    }
}

/// `flag`: `Y` (any case) or empty; returns true for `Y`, which is how the
/// flag is stored.
///
/// # Errors
/// `Illegal (flag) field F: V`.
pub fn flag(field: &str, value: &str) -> Result<bool, FieldError> {
    match value {
        "" => Ok(false),
        "Y" | "y" => Ok(true),
        _ => Err(illegal("Illegal (flag) field", field, value)),
    }
}

/// `enum`: one of `choices`, compared exactly; returns the matching choice.
///
/// # Errors
/// `Illegal (enum) field F: V`.
pub fn enum_value<'c>(
    field: &str,
    value: &str,
    choices: &[&'c str],
) -> Result<&'c str, FieldError> {
    choices
        .iter()
        .find(|choice| **choice == value)
        .copied()
        .ok_or_else(|| illegal("Illegal (enum) field", field, value))
}

/// `coord`: an optional coordinate in decimal degrees (`-122.4194`),
/// degrees and decimal minutes (`37 46.494`) or degrees, minutes and
/// seconds (`37 46 29.6`), with an optional `-` and trailing `°`.
/// Returns the decimal degrees (at most 8 fraction digits), or `None` for
/// an empty value. Like Freeside, no range is enforced beyond the syntax.
///
/// # Errors
/// `Invalid (coordinate) F: V`.
pub fn coord(field: &str, value: &str) -> Result<Option<Decimal>, FieldError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    parse_coordinate(value)
        .map(Some)
        .ok_or_else(|| illegal("Invalid (coordinate)", field, value))
}

/// `ip`: an IPv4 dotted quad (leading zeros tolerated, normalised away) or,
/// as Bursar allows, an IPv6 address.
///
/// # Errors
/// `Illegal (IP address) F: V`.
pub fn ip(field: &str, value: &str) -> Result<IpAddr, FieldError> {
    parse_ip(value).ok_or_else(|| illegal("Illegal (IP address)", field, value))
}

/// `ipn`: like [`ip`], or `None` for an empty value.
///
/// # Errors
/// `Illegal (IP address) F: V`.
pub fn ipn(field: &str, value: &str) -> Result<Option<IpAddr>, FieldError> {
    if value.is_empty() {
        Ok(None)
    } else {
        ip(field, value).map(Some)
    }
}

/// Census tract, optional: `NNNNNNNNN.NN` (dot optional, stored with it)
/// or a 15-digit block code (stored as is); blanks around are ignored.
/// Returns the empty string for an empty value.
///
/// # Errors
/// `Illegal census tract: V`, V trimmed.
pub fn census_tract(value: &str) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let digits: String = trimmed.chars().filter(|c| *c != '.').collect();
    let dot_count = trimmed.len() - digits.len();
    let dot_well_placed = dot_count == 0 || (dot_count == 1 && trimmed.find('.') == Some(9));
    match (all_ascii_digits(&digits), digits.len(), dot_well_placed) {
        (true, 11, true) => Ok(format!("{}.{}", &digits[..9], &digits[9..])),
        (true, 15, true) if dot_count == 0 => Ok(digits),
        _ => Err(FieldError::new(format!("Illegal census tract: {trimmed}"))),
    }
}

/// One invoicing e-mail address: `local@domain.tld`, the local part made of
/// word characters and `. - +`, the domain of dot-separated labels of word
/// characters and `-`, ending in a label of word characters.
///
/// # Errors
/// `Illegal email invoice address: V`.
pub fn invoice_email(value: &str) -> Result<String, FieldError> {
    if is_invoice_email(value) {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(format!(
            "Illegal email invoice address: {value}"
        )))
    }
}

/// Parses an `invoicing_list`: comma-separated destinations, blanks around
/// commas ignored, empty items skipped, the word `POST` meaning paper.
///
/// # Errors
/// The first bad e-mail's `Illegal email invoice address: V`.
pub fn parse_invoicing_list(value: &str) -> Result<InvoicingList, FieldError> {
    let mut list = InvoicingList::default();
    for item in value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        if item == "POST" {
            list.postal = true;
            continue;
        }
        let email = invoice_email(item)?;
        if !list.emails.contains(&email) {
            list.emails.push(email);
        }
    }
    Ok(list)
}

/// Whether a `postal_invoicing` value asks for paper invoices: any value
/// other than empty and `0`.
pub fn postal_invoicing_requested(value: &str) -> bool {
    !value.is_empty() && value != "0"
}

/// Trims the ends and collapses every run of blanks to a single space, as
/// done to `company` before its `textn` check.
pub fn collapse_blanks(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `c` is a word character in the sense of Perl's `\w` under
/// Unicode: letters, digits, combining marks, connector punctuation (`_`)
/// and the joiners.
///
/// Rust's standard library has no general-category tables, so marks are
/// recognised by the blocks that hold the combining marks real names use;
/// most script-specific marks are alphabetic anyway.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_connector_punctuation(c) || is_combining_mark(c)
}

/// Builds Freeside's usual `PREFIX F: V` message.
fn illegal(prefix: &str, field: &str, value: &str) -> FieldError {
    FieldError::new(format!("{prefix} {field}: {value}"))
}

fn all_ascii_digits(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_digit())
}

/// Characters `text` accepts besides word characters.
const TEXT_PUNCTUATION: &str = " !@#$%&()-+;:'\",.?/=[]<>~";

fn is_text_char(c: char) -> bool {
    is_word_char(c) || TEXT_PUNCTUATION.contains(c)
}

fn is_name_char(c: char) -> bool {
    is_word_char(c) || " ,.-'".contains(c)
}

fn is_connector_punctuation(c: char) -> bool {
    matches!(
        c,
        '_' | '\u{203F}' | '\u{2040}' | '\u{2054}' | '\u{FE33}' | '\u{FE34}' | '\u{FE4D}'
            ..='\u{FE4F}' | '\u{FF3F}' | '\u{200C}' | '\u{200D}'
    )
}

fn is_combining_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'
            | '\u{0483}'..='\u{0489}'
            | '\u{0591}'..='\u{05BD}'
            | '\u{05BF}'
            | '\u{05C1}'..='\u{05C2}'
            | '\u{05C4}'..='\u{05C5}'
            | '\u{05C7}'
            | '\u{0610}'..='\u{061A}'
            | '\u{064B}'..='\u{065F}'
            | '\u{0670}'
            | '\u{06D6}'..='\u{06DC}'
            | '\u{06DF}'..='\u{06E4}'
            | '\u{06E7}'..='\u{06E8}'
            | '\u{06EA}'..='\u{06ED}'
            | '\u{093C}'
            | '\u{094D}'
            | '\u{09BC}'
            | '\u{09CD}'
            | '\u{0A3C}'
            | '\u{0A4D}'
            | '\u{0ABC}'
            | '\u{0ACD}'
            | '\u{0B3C}'
            | '\u{0B4D}'
            | '\u{0BCD}'
            | '\u{0C4D}'
            | '\u{0CBC}'
            | '\u{0CCD}'
            | '\u{0D4D}'
            | '\u{0DCA}'
            | '\u{0E47}'..='\u{0E4E}'
            | '\u{0EC8}'..='\u{0ECD}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20F0}'
            | '\u{3099}'..='\u{309A}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

fn is_invoice_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty() && local.chars().all(|c| is_word_char(c) || ".-+".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let labels_ok = labels.len() >= 2
        && labels
            .iter()
            .all(|label| !label.is_empty() && label.chars().all(|c| is_word_char(c) || c == '-'));
    let tld_ok = labels
        .last()
        .is_some_and(|tld| tld.chars().all(is_word_char));
    local_ok && labels_ok && tld_ok
}

/// Decimal degrees from the accepted coordinate forms, or `None`.
fn parse_coordinate(value: &str) -> Option<Decimal> {
    let trimmed = value.trim();
    let (negative, rest) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let rest = rest.trim_end().trim_end_matches('°').trim();
    let parts: Vec<&str> = rest.split_whitespace().collect();
    let sixty = Decimal::from(60);
    let degrees = match parts.as_slice() {
        [degrees] => unsigned_decimal(degrees, 3)?,
        [degrees, minutes] => {
            let minutes = unsigned_decimal(minutes, 2)?;
            (minutes < sixty).then_some(())?;
            whole_number(degrees, 3)? + minutes / sixty
        }
        [degrees, minutes, seconds] => {
            let minutes = whole_number(minutes, 2)?;
            let seconds = unsigned_decimal(seconds, 2)?;
            (minutes < sixty && seconds < sixty).then_some(())?;
            whole_number(degrees, 3)? + minutes / sixty + seconds / Decimal::from(3600)
        }
        _ => return None,
    };
    let degrees = degrees.round_dp(8).normalize();
    Some(if negative { -degrees } else { degrees })
}

/// `D{1,max}` as a decimal.
fn whole_number(text: &str, max_digits: usize) -> Option<Decimal> {
    (!text.is_empty() && text.len() <= max_digits && all_ascii_digits(text))
        .then(|| text.parse().ok())
        .flatten()
}

/// `D{1,max}(.D+)?` as a decimal.
fn unsigned_decimal(text: &str, max_whole_digits: usize) -> Option<Decimal> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    whole_number(whole, max_whole_digits)?;
    (!fraction.is_empty() && fraction.len() <= 20 && all_ascii_digits(fraction)).then_some(())?;
    text.parse().ok()
}

fn parse_ip(value: &str) -> Option<IpAddr> {
    if value.contains(':') {
        return value.parse().ok();
    }
    let octets: Vec<u8> = value
        .split('.')
        .map(|part| {
            (!part.is_empty() && part.len() <= 3 && all_ascii_digits(part))
                .then(|| part.parse::<u8>().ok())
                .flatten()
        })
        .collect::<Option<_>>()?;
    match octets.as_slice() {
        [a, b, c, d] => Some(IpAddr::V4(Ipv4Addr::new(*a, *b, *c, *d))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rule = fn(&str, &str) -> Result<String, FieldError>;

    /// Runs `rule` on field `f`; `expected` is the cleaned value or the
    /// error message.
    fn check(rule: Rule, input: &str, expected: Result<&str, &str>) {
        let got = rule("f", input);
        let got = got
            .as_ref()
            .map(String::as_str)
            .map_err(FieldError::message);
        assert_eq!(got, expected, "input {input:?}");
    }

    #[test]
    fn field_error_displays_exactly_its_message_and_takes_suffixes() {
        let error = text("address1", "").unwrap_err();
        assert_eq!(error.to_string(), "Illegal or empty (text) address1: ");
        let error = error.with_suffix(" (in billing location)");
        assert_eq!(
            error.message(),
            "Illegal or empty (text) address1:  (in billing location)"
        );
        assert_eq!(
            FieldError::new("Unknown agent").into_message(),
            "Unknown agent"
        );
    }

    #[test]
    fn number_rules() {
        check(number, "42", Ok("42"));
        check(number, "", Err("Illegal or empty (numeric) f: "));
        check(number, " 42", Err("Illegal or empty (numeric) f:  42"));
        check(number, "-1", Err("Illegal or empty (numeric) f: -1"));
        check(numbern, "", Ok(""));
        check(numbern, "007", Ok("007"));
        check(numbern, "1.5", Err("Illegal (numeric) f: 1.5"));
        check(numbern, "١٢", Err("Illegal (numeric) f: ١٢"));
    }

    #[test]
    fn money_rule() {
        let check_money = |input: &str, expected: Result<&str, &str>| {
            let got = money("paid", input).map(|m| m.to_string());
            let got = got.as_deref().map_err(FieldError::message);
            assert_eq!(got, expected, "input {input:?}");
        };
        check_money("5.5", Ok("5.50"));
        check_money("", Ok("0.00"));
        check_money("abc", Err("Illegal (money) paid: abc"));
        check_money("1,000.00", Err("Illegal (money) paid: 1,000.00"));
    }

    #[test]
    fn text_rules() {
        check(text, "1 Main St.", Ok("1 Main St."));
        check(
            text,
            "Apt #5 (rear) - c/o \"Bob\" [x] <y> ~z = a+b; c: d? e!",
            Ok("Apt #5 (rear) - c/o \"Bob\" [x] <y> ~z = a+b; c: d? e!"),
        );
        check(text, "Straße 5, Zürich", Ok("Straße 5, Zürich"));
        check(text, "Cafe\u{301}", Ok("Cafe\u{301}"));
        check(text, "  padded  ", Ok("  padded  "));
        check(text, "", Err("Illegal or empty (text) f: "));
        check(text, "a*b", Err("Illegal or empty (text) f: a*b"));
        check(
            text,
            "tab\there",
            Err("Illegal or empty (text) f: tab\there"),
        );
        check(
            text,
            "back\\slash",
            Err("Illegal or empty (text) f: back\\slash"),
        );
        check(textn, "", Ok(""));
        check(textn, "a{b}", Err("Illegal or empty (text) f: a{b}"));
    }

    #[test]
    fn name_rules() {
        check(
            name,
            "  Mary   Ann  O'Neil-Smith, Jr. ",
            Ok("Mary Ann O'Neil-Smith, Jr."),
        );
        check(name, "José", Ok("José"));
        check(name, "", Err("Illegal (name) f: "));
        check(name, "   ", Err("Illegal (name) f: "));
        check(name, " Bob$ ", Err("Illegal (name) f: Bob$"));
        check(name, "A&B", Err("Illegal (name) f: A&B"));
        check(namen, "", Ok(""));
        check(namen, " x ", Ok("x"));
        check(namen, "a/b", Err("Illegal (name) f: a/b"));
    }

    #[test]
    fn alphan_rule() {
        check(alphan, "", Ok(""));
        check(alphan, "ab_12", Ok("ab_12"));
        check(alphan, "a b", Err("Illegal (alphanumeric) f: a b"));
        check(alphan, "a-b", Err("Illegal (alphanumeric) f: a-b"));
    }

    #[test]
    fn flag_rule() {
        let check_flag = |input: &str, expected: Result<bool, &str>| {
            let got = flag("incorporated", input);
            assert_eq!(
                got.as_ref().map_err(FieldError::message).copied(),
                expected,
                "{input:?}"
            );
        };
        check_flag("", Ok(false));
        check_flag("Y", Ok(true));
        check_flag("y", Ok(true));
        check_flag("N", Err("Illegal (flag) field incorporated: N"));
        check_flag("YY", Err("Illegal (flag) field incorporated: YY"));
        check_flag(" Y", Err("Illegal (flag) field incorporated:  Y"));
    }

    #[test]
    fn enum_rule() {
        let kinds = ["", "R", "B"];
        assert_eq!(enum_value("location_kind", "R", &kinds), Ok("R"));
        assert_eq!(enum_value("location_kind", "", &kinds), Ok(""));
        assert_eq!(
            enum_value("location_kind", "r", &kinds)
                .unwrap_err()
                .message(),
            "Illegal (enum) field location_kind: r"
        );
    }

    #[test]
    fn coord_rule() {
        let check_coord = |input: &str, expected: Result<Option<&str>, &str>| {
            let got = coord("latitude", input).map(|c| c.map(|d| d.to_string()));
            let got = got
                .as_ref()
                .map(|c| c.as_deref())
                .map_err(FieldError::message);
            assert_eq!(got, expected, "input {input:?}");
        };
        check_coord("", Ok(None));
        check_coord("37.7749", Ok(Some("37.7749")));
        check_coord("-122.4194", Ok(Some("-122.4194")));
        check_coord(" 45 ", Ok(Some("45")));
        check_coord("45°", Ok(Some("45")));
        check_coord("37 30", Ok(Some("37.5")));
        check_coord("-37 30.6", Ok(Some("-37.51")));
        check_coord("37 30 36", Ok(Some("37.51")));
        check_coord("10 0 1", Ok(Some("10.00027778")));
        check_coord("north", Err("Invalid (coordinate) latitude: north"));
        check_coord("1234", Err("Invalid (coordinate) latitude: 1234"));
        check_coord("37 75", Err("Invalid (coordinate) latitude: 37 75"));
        check_coord("37.", Err("Invalid (coordinate) latitude: 37."));
        check_coord("+37", Err("Invalid (coordinate) latitude: +37"));
        check_coord("37.5 30", Err("Invalid (coordinate) latitude: 37.5 30"));
    }

    #[test]
    fn ip_rule() {
        let check_ip = |input: &str, expected: Result<Option<&str>, &str>| {
            let got = ipn("payip", input).map(|ip| ip.map(|ip| ip.to_string()));
            let got = got
                .as_ref()
                .map(|ip| ip.as_deref())
                .map_err(FieldError::message);
            assert_eq!(got, expected, "input {input:?}");
        };
        check_ip("", Ok(None));
        check_ip("192.168.0.1", Ok(Some("192.168.0.1")));
        check_ip("010.000.000.001", Ok(Some("10.0.0.1")));
        check_ip("2001:db8::1", Ok(Some("2001:db8::1")));
        check_ip("256.1.1.1", Err("Illegal (IP address) payip: 256.1.1.1"));
        check_ip("1.2.3", Err("Illegal (IP address) payip: 1.2.3"));
        check_ip("1.2.3.4.5", Err("Illegal (IP address) payip: 1.2.3.4.5"));
        check_ip("::g", Err("Illegal (IP address) payip: ::g"));
        assert_eq!(
            ip("payip", "").unwrap_err().message(),
            "Illegal (IP address) payip: "
        );
    }

    #[test]
    fn census_tract_rule() {
        let check_tract = |input: &str, expected: Result<&str, &str>| {
            let got = census_tract(input);
            assert_eq!(
                got.as_deref().map_err(FieldError::message),
                expected,
                "{input:?}"
            );
        };
        check_tract("", Ok(""));
        check_tract("123456789.01", Ok("123456789.01"));
        check_tract(" 12345678901 ", Ok("123456789.01"));
        check_tract("060750101001001", Ok("060750101001001"));
        check_tract("12345678.901", Err("Illegal census tract: 12345678.901"));
        check_tract("1234567890", Err("Illegal census tract: 1234567890"));
        check_tract("12345678901.", Err("Illegal census tract: 12345678901."));
        check_tract(
            "060750101.001001",
            Err("Illegal census tract: 060750101.001001"),
        );
    }

    #[test]
    fn invoice_email_rule() {
        let check_email = |input: &str, ok: bool| {
            let got = invoice_email(input);
            let expected = if ok {
                Ok(input.to_owned())
            } else {
                Err(format!("Illegal email invoice address: {input}"))
            };
            assert_eq!(got.map_err(FieldError::into_message), expected);
        };
        check_email("tofu@example.com", true);
        check_email("first.last+bills@mail.example.co.uk", true);
        check_email("a-b_c@ex-ample.net", true);
        check_email("tofu@localhost", false);
        check_email("tofu@", false);
        check_email("@example.com", false);
        check_email("to fu@example.com", false);
        check_email("tofu@example..com", false);
        check_email("tofu@example.c-m", false);
        check_email("a@b@example.com", false);
    }

    #[test]
    fn invoicing_list_parsing() {
        let check_list = |input: &str, expected: Result<(&[&str], bool), &str>| {
            let got = parse_invoicing_list(input);
            let got = got.as_ref().map_err(FieldError::message);
            let got = got.map(|list| {
                (
                    list.emails.iter().map(String::as_str).collect::<Vec<_>>(),
                    list.postal,
                )
            });
            let expected = expected.map(|(emails, postal)| (emails.to_vec(), postal));
            assert_eq!(got, expected, "input {input:?}");
        };
        check_list("", Ok((&[], false)));
        check_list("POST", Ok((&[], true)));
        check_list(
            "a@x.com , POST,b@y.org",
            Ok((&["a@x.com", "b@y.org"], true)),
        );
        check_list(" a@x.com,, a@x.com ,", Ok((&["a@x.com"], false)));
        check_list("a@x.com, post", Err("Illegal email invoice address: post"));
        check_list("a@x.com, bad", Err("Illegal email invoice address: bad"));
    }

    #[test]
    fn postal_invoicing_values() {
        for (input, expected) in [("", false), ("0", false), ("1", true), ("Y", true)] {
            assert_eq!(postal_invoicing_requested(input), expected, "{input:?}");
        }
    }

    #[test]
    fn collapsing_blanks() {
        assert_eq!(
            collapse_blanks("  Acme \t  Widgets  Inc "),
            "Acme Widgets Inc"
        );
        assert_eq!(collapse_blanks(""), "");
    }

    #[test]
    fn word_characters() {
        for c in [
            'a', 'Z', '0', '_', 'é', 'ß', 'Ж', '中', '\u{301}', '\u{94D}', '\u{203F}',
        ] {
            assert!(is_word_char(c), "{c:?}");
        }
        for c in [' ', '-', '.', '@', '\t', '*', '\u{964}'] {
            assert!(!is_word_char(c), "{c:?}");
        }
    }
}
