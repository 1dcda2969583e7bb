//! Payment types (`payby`) and the checks and masks of their `payinfo`:
//! card numbers and brands, CVV, expiry dates, bank accounts, phone-bill
//! numbers, the name on the method (backend spec 5.3, 5.4).
//!
//! Pure and clock-free: whether a card has expired is asked with today's
//! month as an argument. Card and account numbers are secrets, so the
//! types holding them print only their mask in `Debug`; a CVV is checked
//! here and never kept.

use std::fmt;

use crate::field::{self, is_word_char, FieldError};

/// A payment type code, as stored in `payby` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Payby {
    /// `CARD`: credit card, charged automatically.
    Card,
    /// `DCRD`: credit card, charged only on demand.
    Dcrd,
    /// `CHEK`: electronic check (ACH), automatic.
    Chek,
    /// `DCHK`: electronic check, on demand.
    Dchk,
    /// `LECB`: billed on the phone bill (local exchange carrier).
    Lecb,
    /// `BILL`: invoiced, paid by other means.
    Bill,
    /// `COMP`: complimentary, never billed.
    Comp,
    /// `PREPAY`: signup with a prepaid card's PIN.
    Prepay,
    /// `PREP`: prepaid card redemption.
    Prep,
    /// `CASH`: cash.
    Cash,
    /// `WEST`: Western Union.
    West,
    /// `MCRD`: card taken manually.
    Mcrd,
    /// `MCHK`: check taken manually.
    Mchk,
    /// `PPAL`: PayPal.
    Ppal,
    /// `IDTP`: IDT.
    Idtp,
    /// `APPL`: Apple Store.
    Appl,
    /// `ANRD`: Android Market.
    Anrd,
    /// `EDI`: electronic debit.
    Edi,
    /// `WIRE`: wire transfer.
    Wire,
    /// `CBAK`: chargeback.
    Cbak,
}

impl Payby {
    /// Every code, in the order of spec 5.3.
    pub const ALL: [Payby; 20] = [
        Payby::Card,
        Payby::Dcrd,
        Payby::Chek,
        Payby::Dchk,
        Payby::Lecb,
        Payby::Bill,
        Payby::Comp,
        Payby::Prepay,
        Payby::Prep,
        Payby::Cash,
        Payby::West,
        Payby::Mcrd,
        Payby::Mchk,
        Payby::Ppal,
        Payby::Idtp,
        Payby::Appl,
        Payby::Anrd,
        Payby::Edi,
        Payby::Wire,
        Payby::Cbak,
    ];

    /// The stored code (`CARD`, `PREPAY`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Payby::Card => "CARD",
            Payby::Dcrd => "DCRD",
            Payby::Chek => "CHEK",
            Payby::Dchk => "DCHK",
            Payby::Lecb => "LECB",
            Payby::Bill => "BILL",
            Payby::Comp => "COMP",
            Payby::Prepay => "PREPAY",
            Payby::Prep => "PREP",
            Payby::Cash => "CASH",
            Payby::West => "WEST",
            Payby::Mcrd => "MCRD",
            Payby::Mchk => "MCHK",
            Payby::Ppal => "PPAL",
            Payby::Idtp => "IDTP",
            Payby::Appl => "APPL",
            Payby::Anrd => "ANRD",
            Payby::Edi => "EDI",
            Payby::Wire => "WIRE",
            Payby::Cbak => "CBAK",
        }
    }

    /// The payby with exactly this code (case-sensitive), whatever the
    /// context; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Payby> {
        Payby::ALL.into_iter().find(|payby| payby.as_str() == code)
    }

    /// Parses the payby of a payment or refund: every code except `DCRD`,
    /// `DCHK`, `COMP` and `PREPAY`.
    ///
    /// # Errors
    /// `Illegal payby: X`.
    pub fn parse_for_payment(code: &str) -> Result<Payby, FieldError> {
        Payby::from_code(code)
            .filter(|payby| payby.allowed_for_payments())
            .ok_or_else(|| illegal_payby(code))
    }

    /// Parses a customer's payby: `CARD DCRD CHEK DCHK LECB BILL COMP
    /// PREPAY` as they are, while `CASH WEST MCRD MCHK PPAL` silently
    /// become `BILL`. (`PREPAY` is for `new_customer` only; the caller
    /// enforces that.)
    ///
    /// # Errors
    /// `Illegal payby: X`.
    pub fn parse_for_customer(code: &str) -> Result<Payby, FieldError> {
        match Payby::from_code(code) {
            Some(
                payby @ (Payby::Card
                | Payby::Dcrd
                | Payby::Chek
                | Payby::Dchk
                | Payby::Lecb
                | Payby::Bill
                | Payby::Comp
                | Payby::Prepay),
            ) => Ok(payby),
            Some(Payby::Cash | Payby::West | Payby::Mcrd | Payby::Mchk | Payby::Ppal) => {
                Ok(Payby::Bill)
            }
            _ => Err(illegal_payby(code)),
        }
    }

    /// Whether payments and refunds may carry this code.
    pub const fn allowed_for_payments(self) -> bool {
        !matches!(
            self,
            Payby::Dcrd | Payby::Dchk | Payby::Comp | Payby::Prepay
        )
    }

    /// `CARD` or `DCRD`.
    pub const fn is_card(self) -> bool {
        matches!(self, Payby::Card | Payby::Dcrd)
    }

    /// `CHEK` or `DCHK`.
    pub const fn is_check(self) -> bool {
        matches!(self, Payby::Chek | Payby::Dchk)
    }

    /// Whether a gateway charges this method in real time (cards and
    /// electronic checks).
    pub const fn is_realtime(self) -> bool {
        self.is_card() || self.is_check()
    }
}

impl fmt::Display for Payby {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A card brand, named as Freeside's `paycardtype` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardType {
    /// `VISA card`.
    Visa,
    /// `MasterCard`.
    MasterCard,
    /// `American Express card`.
    AmericanExpress,
    /// `Discover card`; in the US/Canadian processing convention this also
    /// covers Diners Club and 16-digit JCB cards.
    Discover,
    /// `JCB` (the old 15-digit 1800/2131 ranges).
    Jcb,
    /// `enRoute`.
    EnRoute,
    /// `BankCard`.
    BankCard,
    /// `Switch`.
    Switch,
    /// `Solo`.
    Solo,
    /// `China Union Pay`.
    ChinaUnionPay,
    /// `Laser`.
    Laser,
    /// `Isracard` (8 or 9 digits).
    Isracard,
    /// `Unknown`: no brand matches.
    Unknown,
}

impl CardType {
    /// The stored name (`VISA card`, `MasterCard`, `American Express card`…).
    pub const fn as_str(self) -> &'static str {
        match self {
            CardType::Visa => "VISA card",
            CardType::MasterCard => "MasterCard",
            CardType::AmericanExpress => "American Express card",
            CardType::Discover => "Discover card",
            CardType::Jcb => "JCB",
            CardType::EnRoute => "enRoute",
            CardType::BankCard => "BankCard",
            CardType::Switch => "Switch",
            CardType::Solo => "Solo",
            CardType::ChinaUnionPay => "China Union Pay",
            CardType::Laser => "Laser",
            CardType::Isracard => "Isracard",
            CardType::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for CardType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A checked card number: digits only, with a valid check digit and a known
/// brand. `Debug` shows the default mask, never the number.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber {
    digits: String,
    card_type: CardType,
}

impl CardNumber {
    /// Checks a customer's card `payinfo`: non-digits dropped, 13–19 digits
    /// with a valid Luhn check digit (or an 8–9 digit Isracard with its own
    /// check), and a known brand.
    ///
    /// # Errors
    /// `Invalid credit card number` for a wrong length or check digit,
    /// `Unknown card type` for an unrecognised brand.
    pub fn parse(payinfo: &str) -> Result<CardNumber, FieldError> {
        let digits = digits_of(payinfo);
        if !has_card_length(&digits) || !check_digits_valid(&digits) {
            return Err(FieldError::new("Invalid credit card number"));
        }
        CardNumber::with_known_type(digits)
    }

    /// Checks the card `payinfo` of a payment or refund. Non-digits are
    /// dropped; nothing left means no number, which is stored as `N/A`
    /// (`Ok(None)`).
    ///
    /// # Errors
    /// `Illegal (mistyped?) credit card number (payinfo)` for a wrong
    /// length, `Illegal credit card number` for a bad check digit,
    /// `Unknown card type` for an unrecognised brand.
    pub fn parse_for_payment(payinfo: &str) -> Result<Option<CardNumber>, FieldError> {
        let digits = digits_of(payinfo);
        if digits.is_empty() {
            return Ok(None);
        }
        if !has_card_length(&digits) {
            return Err(FieldError::new(
                "Illegal (mistyped?) credit card number (payinfo)",
            ));
        }
        if !check_digits_valid(&digits) {
            return Err(FieldError::new("Illegal credit card number"));
        }
        CardNumber::with_known_type(digits).map(Some)
    }

    /// The digits, for encryption at rest and for the gateway only.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// The brand.
    pub fn card_type(&self) -> CardType {
        self.card_type
    }

    /// The number as every output shows it.
    pub fn mask(&self, masking: CardMasking) -> String {
        mask_card(&self.digits, masking)
    }

    fn with_known_type(digits: String) -> Result<CardNumber, FieldError> {
        match card_type(&digits) {
            CardType::Unknown => Err(FieldError::new("Unknown card type")),
            card_type => Ok(CardNumber { digits, card_type }),
        }
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CardNumber({}, {})",
            self.mask(CardMasking::DEFAULT),
            self.card_type
        )
    }
}

/// The brand of a card number (digits only), by prefix and length; `Unknown`
/// when nothing matches. Follows the US/Canadian processing convention, in
/// which Diners Club and 16-digit JCB cards are processed as Discover. The
/// 49xx ranges once issued as Switch are classified as Visa, which they are
/// today.
pub fn card_type(digits: &str) -> CardType {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return CardType::Unknown;
    }
    if (8..=9).contains(&digits.len()) {
        return CardType::Isracard;
    }
    CARD_RANGES
        .iter()
        .find(|range| range.matches(digits))
        .map_or(CardType::Unknown, |range| range.card_type)
}

/// Whether a digit string passes the Luhn (mod 10) check.
pub fn luhn_valid(digits: &str) -> bool {
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && luhn_sum(digits.bytes().rev().map(|b| b - b'0'), false) % 10 == 0
}

/// The Luhn check digit to append to `partial` (digits only).
pub fn luhn_check_digit(partial: &str) -> u8 {
    let sum = luhn_sum(partial.bytes().rev().map(|b| b - b'0'), true);
    ((10 - sum % 10) % 10) as u8
}

/// Checks an optional CVV for a card of `card_type`: four digits for
/// American Express, three for the others; blanks around are ignored. The
/// CVV is never stored, so nothing is returned.
///
/// # Errors
/// `CVV2 (CID) for American Express cards is four digits.` or
/// `CVV2 (CVC2/CID) is three digits.`
pub fn check_cvv(cvv: &str, card_type: CardType) -> Result<(), FieldError> {
    let cvv = cvv.trim();
    let all_digits = cvv.bytes().all(|b| b.is_ascii_digit());
    match card_type {
        _ if cvv.is_empty() => Ok(()),
        CardType::AmericanExpress if cvv.len() == 4 && all_digits => Ok(()),
        CardType::AmericanExpress => Err(FieldError::new(
            "CVV2 (CID) for American Express cards is four digits.",
        )),
        _ if cvv.len() == 3 && all_digits => Ok(()),
        _ => Err(FieldError::new("CVV2 (CVC2/CID) is three digits.")),
    }
}

/// A card's expiry month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CardExpiry {
    /// Four-digit year.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
}

impl CardExpiry {
    /// The expiry for `month`/`year` (four-digit year); `None` when the
    /// month is not 1–12.
    pub fn new(year: u16, month: u8) -> Option<CardExpiry> {
        (1..=12)
            .contains(&month)
            .then_some(CardExpiry { year, month })
    }

    /// Parses a `paydate`: `M/YY`, `MM/YYYY`, `M-YYYY` (either separator,
    /// one or two month digits, two or four year digits), `YYYY-MM-DD` or
    /// `YY-M-D`; two-digit years are 20YY. Blanks around are ignored.
    ///
    /// # Errors
    /// `Expiration date required` for an empty value,
    /// `Illegal expiration date: X` otherwise.
    pub fn parse(paydate: &str) -> Result<CardExpiry, FieldError> {
        let paydate = paydate.trim();
        if paydate.is_empty() {
            return Err(FieldError::new("Expiration date required"));
        }
        parse_expiry_parts(paydate)
            .ok_or_else(|| FieldError::new(format!("Illegal expiration date: {paydate}")))
    }

    /// The stored form, the first of the month: `2019-11-01`.
    pub fn first_of_month(self) -> String {
        format!("{:04}-{:02}-01", self.year, self.month)
    }

    /// Whether the card no longer works in the month `today_year`/
    /// `today_month` (a card is good through its expiry month).
    pub fn is_expired(self, today_year: u16, today_month: u8) -> bool {
        (self.year, self.month) < (today_year, today_month)
    }
}

/// Which country's bank numbers `CHEK`/`DCHK` accounts use (Freeside's
/// `echeck-country`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EcheckCountry {
    /// US: a 9-digit ABA routing number.
    #[default]
    Us,
    /// Canada: `branch.bank`, 5 and 3 digits.
    Ca,
    /// Anywhere else: any digits (and dots).
    Other,
}

/// How bank account `payinfo` is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EcheckRules {
    /// The routing number's country.
    pub country: EcheckCountry,
    /// For US routing numbers, also verify the ABA check digit.
    pub verify_aba_checksum: bool,
}

/// A checked bank account, `account@routing`. `Debug` shows the mask.
#[derive(Clone, PartialEq, Eq)]
pub struct BankAccount {
    account: String,
    routing: String,
}

impl BankAccount {
    /// Checks `CHEK`/`DCHK` `payinfo`: characters other than digits, `@`
    /// and `.` are dropped; then it must read `account@routing` (digits,
    /// the routing number may hold dots), with a 9-digit ABA number for
    /// the US (check digit verified when asked) or `branch.bank` (5 and 3
    /// digits) for Canada.
    ///
    /// # Errors
    /// `invalid echeck account@routing`, `invalid echeck account@aba`,
    /// `invalid echeck account@branch.bank`.
    pub fn parse(payinfo: &str, rules: EcheckRules) -> Result<BankAccount, FieldError> {
        let cleaned: String = payinfo
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '@' || *c == '.')
            .collect();
        let (account, routing) = cleaned
            .split_once('@')
            .filter(|(account, routing)| {
                !account.is_empty()
                    && account.bytes().all(|b| b.is_ascii_digit())
                    && routing.bytes().any(|b| b.is_ascii_digit())
                    && routing.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            })
            .ok_or_else(|| FieldError::new("invalid echeck account@routing"))?;
        let routing_ok = match rules.country {
            EcheckCountry::Us => {
                let aba_ok = routing.len() == 9 && routing.bytes().all(|b| b.is_ascii_digit());
                aba_ok && (!rules.verify_aba_checksum || aba_checksum_valid(routing))
            }
            EcheckCountry::Ca => is_canadian_transit(routing),
            EcheckCountry::Other => true,
        };
        if !routing_ok {
            return Err(FieldError::new(match rules.country {
                EcheckCountry::Ca => "invalid echeck account@branch.bank",
                _ => "invalid echeck account@aba",
            }));
        }
        Ok(BankAccount {
            account: account.to_owned(),
            routing: routing.to_owned(),
        })
    }

    /// The account number.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The routing number (ABA, or `branch.bank`).
    pub fn routing(&self) -> &str {
        &self.routing
    }

    /// The stored form, `account@routing`.
    pub fn payinfo(&self) -> String {
        format!("{}@{}", self.account, self.routing)
    }

    /// The mask: the account all but its last two digits as `x`, then the
    /// routing number in clear (`xxxxxx89@123456789`).
    pub fn mask(&self) -> String {
        format!("{}@{}", mask_all_but_last(&self.account, 2), self.routing)
    }
}

impl fmt::Debug for BankAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BankAccount({})", self.mask())
    }
}

/// Whether a 9-digit US routing number's ABA check digit is right
/// (weights 3, 7, 1 repeated; the sum is a multiple of ten).
pub fn aba_checksum_valid(routing: &str) -> bool {
    routing.len() == 9
        && routing.bytes().all(|b| b.is_ascii_digit())
        && routing
            .bytes()
            .zip([3u32, 7, 1].into_iter().cycle())
            .map(|(b, weight)| u32::from(b - b'0') * weight)
            .sum::<u32>()
            % 10
            == 0
}

/// Checks `LECB` `payinfo`, the billing telephone number: non-digits
/// dropped, ten digits after an optional leading `1`. Returns the ten
/// digits.
///
/// # Errors
/// `invalid btn billing telephone number`.
pub fn lecb_btn(payinfo: &str) -> Result<String, FieldError> {
    let digits = digits_of(payinfo);
    let ten = match digits.len() {
        10 => Some(digits.as_str()),
        11 => digits.strip_prefix('1'),
        _ => None,
    };
    ten.map(str::to_owned)
        .ok_or_else(|| FieldError::new("invalid btn billing telephone number"))
}

/// Checks `BILL` `payinfo`, an optional purchase-order number (`textn`).
///
/// # Errors
/// `Illegal P.O. number: X`.
pub fn po_number(payinfo: &str) -> Result<String, FieldError> {
    field::textn("payinfo", payinfo)
        .map_err(|_| FieldError::new(format!("Illegal P.O. number: {payinfo}")))
}

/// Checks `COMP` `payinfo`, the optional name of who granted the account
/// (`textn`).
///
/// # Errors
/// `Illegal comp account issuer: X`.
pub fn comp_issuer(payinfo: &str) -> Result<String, FieldError> {
    field::textn("payinfo", payinfo)
        .map_err(|_| FieldError::new(format!("Illegal comp account issuer: {payinfo}")))
}

/// Reduces `PREPAY` `payinfo`, a prepaid card PIN, to its word characters.
///
/// # Errors
/// `Illegal prepayment identifier: X` when nothing is left.
pub fn prepay_pin(payinfo: &str) -> Result<String, FieldError> {
    let pin: String = payinfo.chars().filter(|c| is_word_char(*c)).collect();
    if pin.is_empty() {
        Err(FieldError::new(format!(
            "Illegal prepayment identifier: {payinfo}"
        )))
    } else {
        Ok(pin)
    }
}

/// Checks `payname`, the name on the card or the bank's name, for a method
/// of type `payby`. Blanks around are trimmed. Empty becomes `first last`,
/// except for checks, where it stays empty. Allowed: word characters,
/// spaces and `, . - ' &` (`&` not for checks).
///
/// # Errors
/// `Illegal (name) payname: X`.
pub fn payname(payby: Payby, value: &str, first: &str, last: &str) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(if payby.is_check() {
            String::new()
        } else {
            format!("{first} {last}")
        });
    }
    let allowed_punctuation = if payby.is_check() { " ,.-'" } else { " ,.-'&" };
    if value
        .chars()
        .all(|c| is_word_char(c) || allowed_punctuation.contains(c))
    {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(format!("Illegal (name) payname: {value}")))
    }
}

/// How many leading and trailing card digits a mask shows (Freeside's
/// `card_masking`, `firstNlastM`), capped at the six and four PCI allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardMasking {
    first: u8,
    last: u8,
}

impl CardMasking {
    /// Freeside's default, `first6last4`.
    pub const DEFAULT: CardMasking = CardMasking { first: 6, last: 4 };

    /// Shows the first `first` and last `last` digits, capped at 6 and 4.
    pub fn new(first: u8, last: u8) -> CardMasking {
        CardMasking {
            first: first.min(6),
            last: last.min(4),
        }
    }

    /// Parses a `card_masking` setting, `firstNlastM` (`first4last4`);
    /// `None` when it has another shape. Values above 6 and 4 are capped.
    pub fn parse(setting: &str) -> Option<CardMasking> {
        let rest = setting.strip_prefix("first")?;
        let (first, last) = rest.split_once("last")?;
        let count = |text: &str| {
            (!text.is_empty() && text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse::<u8>().ok())
                .flatten()
        };
        Some(CardMasking::new(count(first)?, count(last)?))
    }

    /// Digits shown at the start.
    pub const fn first(self) -> u8 {
        self.first
    }

    /// Digits shown at the end.
    pub const fn last(self) -> u8 {
        self.last
    }
}

impl Default for CardMasking {
    fn default() -> CardMasking {
        CardMasking::DEFAULT
    }
}

/// Masks a stored card number: the first N and last M digits shown, the
/// rest `x` (`411111xxxxxx1111`). Numbers shorter than 13 (8–9 digit local
/// cards) show only their last four. A value without digits (`N/A`) is
/// returned as is.
pub fn mask_card(payinfo: &str, masking: CardMasking) -> String {
    if !payinfo.bytes().any(|b| b.is_ascii_digit()) {
        return payinfo.to_owned();
    }
    let chars: Vec<char> = payinfo.chars().collect();
    if chars.len() < 13 {
        return mask_all_but_last(payinfo, 4);
    }
    let n_first = usize::from(masking.first);
    let n_last = usize::from(masking.last);
    chars
        .iter()
        .enumerate()
        .map(|(idx, c)| {
            if idx < n_first || idx >= chars.len() - n_last {
                *c
            } else {
                'x'
            }
        })
        .collect()
}

/// The mask every output shows for stored `payinfo` of type `payby`: cards
/// per [`mask_card`]; checks `xxxxxx89@routing`; `EDI` all but the last
/// four; other types as they are.
pub fn mask_payinfo(payby: Payby, payinfo: &str, masking: CardMasking) -> String {
    match payby {
        Payby::Card | Payby::Dcrd => mask_card(payinfo, masking),
        Payby::Chek | Payby::Dchk => match payinfo.split_once('@') {
            Some((account, routing)) => format!("{}@{routing}", mask_all_but_last(account, 2)),
            None => mask_all_but_last(payinfo, 2),
        },
        Payby::Edi => mask_all_but_last(payinfo, 4),
        _ => payinfo.to_owned(),
    }
}

fn illegal_payby(code: &str) -> FieldError {
    FieldError::new(format!("Illegal payby: {code}"))
}

fn digits_of(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn has_card_length(digits: &str) -> bool {
    (13..=19).contains(&digits.len()) || (8..=9).contains(&digits.len())
}

/// A block of card numbers: those whose leading digits lie between `low`
/// and `high` (strings of equal length) and whose length is listed.
struct CardRange {
    low: &'static str,
    high: &'static str,
    lengths: &'static [usize],
    card_type: CardType,
}

impl CardRange {
    fn matches(&self, digits: &str) -> bool {
        let prefix = digits.get(..self.low.len()).unwrap_or_default();
        self.lengths.contains(&digits.len()) && self.low <= prefix && prefix <= self.high
    }
}

const FIFTEEN: &[usize] = &[15];
const SIXTEEN: &[usize] = &[16];
const SIXTEEN_TO_NINETEEN: &[usize] = &[16, 17, 18, 19];
const FOURTEEN_TO_NINETEEN: &[usize] = &[14, 15, 16, 17, 18, 19];
const MAESTRO_UK_LENGTHS: &[usize] = &[16, 18, 19];

/// Card brands by number range; the first match wins, so narrower ranges
/// come before the wider ones they sit in.
const CARD_RANGES: &[CardRange] = &[
    card_range("34", "34", FIFTEEN, CardType::AmericanExpress),
    card_range("37", "37", FIFTEEN, CardType::AmericanExpress),
    card_range("2014", "2014", FIFTEEN, CardType::EnRoute),
    card_range("2149", "2149", FIFTEEN, CardType::EnRoute),
    card_range("1800", "1800", FIFTEEN, CardType::Jcb),
    card_range("2131", "2131", FIFTEEN, CardType::Jcb),
    card_range("300", "305", FOURTEEN_TO_NINETEEN, CardType::Discover),
    card_range("3095", "3095", FOURTEEN_TO_NINETEEN, CardType::Discover),
    card_range("36", "36", FOURTEEN_TO_NINETEEN, CardType::Discover),
    card_range("38", "39", FOURTEEN_TO_NINETEEN, CardType::Discover),
    card_range("3528", "3589", SIXTEEN_TO_NINETEEN, CardType::Discover),
    card_range("51", "55", SIXTEEN, CardType::MasterCard),
    card_range("2221", "2720", SIXTEEN, CardType::MasterCard),
    card_range("5610", "5610", SIXTEEN, CardType::BankCard),
    card_range("560221", "560225", SIXTEEN, CardType::BankCard),
    card_range("564182", "564182", MAESTRO_UK_LENGTHS, CardType::Switch),
    card_range("633110", "633110", MAESTRO_UK_LENGTHS, CardType::Switch),
    card_range("6333", "6333", MAESTRO_UK_LENGTHS, CardType::Switch),
    card_range("6759", "6759", MAESTRO_UK_LENGTHS, CardType::Switch),
    card_range("6334", "6334", MAESTRO_UK_LENGTHS, CardType::Solo),
    card_range("6767", "6767", MAESTRO_UK_LENGTHS, CardType::Solo),
    card_range("6304", "6304", SIXTEEN_TO_NINETEEN, CardType::Laser),
    card_range("6706", "6706", SIXTEEN_TO_NINETEEN, CardType::Laser),
    card_range("6709", "6709", SIXTEEN_TO_NINETEEN, CardType::Laser),
    card_range("6771", "6771", SIXTEEN_TO_NINETEEN, CardType::Laser),
    card_range("6011", "6011", SIXTEEN_TO_NINETEEN, CardType::Discover),
    card_range("644", "649", SIXTEEN_TO_NINETEEN, CardType::Discover),
    card_range("65", "65", SIXTEEN_TO_NINETEEN, CardType::Discover),
    card_range("622", "622", SIXTEEN_TO_NINETEEN, CardType::Discover),
    card_range("62", "62", SIXTEEN_TO_NINETEEN, CardType::ChinaUnionPay),
    card_range("4", "4", &[13, 16, 19], CardType::Visa),
];

const fn card_range(
    low: &'static str,
    high: &'static str,
    lengths: &'static [usize],
    card_type: CardType,
) -> CardRange {
    CardRange {
        low,
        high,
        lengths,
        card_type,
    }
}

/// Luhn for 13–19 digits; the Isracard weighted check for 8–9.
fn check_digits_valid(digits: &str) -> bool {
    if (8..=9).contains(&digits.len()) {
        isracard_valid(digits)
    } else {
        luhn_valid(digits)
    }
}

/// Sums digits given right to left, doubling every other one (the first
/// one too when `double_first`).
fn luhn_sum(digits_right_to_left: impl Iterator<Item = u8>, double_first: bool) -> u32 {
    digits_right_to_left
        .enumerate()
        .map(|(idx, digit)| {
            let digit = u32::from(digit);
            if (idx % 2 == 0) == double_first {
                let doubled = digit * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                digit
            }
        })
        .sum()
}

/// Isracard numbers, padded to nine digits, weigh their digits 9 down to 1
/// from the left; the sum is a multiple of eleven.
fn isracard_valid(digits: &str) -> bool {
    let padded = format!("{digits:0>9}");
    padded
        .bytes()
        .zip((1..=9u32).rev())
        .map(|(b, weight)| u32::from(b - b'0') * weight)
        .sum::<u32>()
        % 11
        == 0
}

fn is_canadian_transit(routing: &str) -> bool {
    routing.split_once('.').is_some_and(|(branch, bank)| {
        branch.len() == 5
            && bank.len() == 3
            && branch
                .bytes()
                .chain(bank.bytes())
                .all(|b| b.is_ascii_digit())
    })
}

/// Every character but the last `n_shown` replaced by `x`.
fn mask_all_but_last(text: &str, n_shown: usize) -> String {
    let n_chars = text.chars().count();
    text.chars()
        .enumerate()
        .map(|(idx, c)| if idx + n_shown >= n_chars { c } else { 'x' })
        .collect()
}

fn parse_expiry_parts(paydate: &str) -> Option<CardExpiry> {
    let parts: Vec<&str> = paydate.split(['/', '-']).collect();
    let number = |text: &str, lengths: &[usize]| {
        (lengths.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u16>().ok())
            .flatten()
    };
    let (year, month) = match parts.as_slice() {
        [month, year] => (number(year, &[2, 4])?, number(month, &[1, 2])?),
        [year, month, day] => {
            number(day, &[1, 2])?;
            (number(year, &[2, 4])?, number(month, &[1, 2])?)
        }
        _ => return None,
    };
    let year = if year < 100 { 2000 + year } else { year };
    CardExpiry::new(year, u8::try_from(month).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn message<T>(result: Result<T, FieldError>) -> Result<T, String> {
        result.map_err(FieldError::into_message)
    }

    #[test]
    fn payby_codes_round_trip() {
        for payby in Payby::ALL {
            assert_eq!(Payby::from_code(payby.as_str()), Some(payby));
            assert_eq!(payby.to_string(), payby.as_str());
        }
        assert_eq!(Payby::from_code("card"), None);
    }

    #[test]
    fn payby_for_payments() {
        let check = |input: &str, expected: Result<&str, &str>| {
            let got = Payby::parse_for_payment(input).map(Payby::as_str);
            assert_eq!(
                got.map_err(FieldError::into_message),
                expected.map_err(str::to_owned),
                "{input:?}"
            );
        };
        for code in [
            "CARD", "CHEK", "LECB", "BILL", "PREP", "CASH", "WEST", "MCRD", "MCHK", "PPAL", "IDTP",
            "APPL", "ANRD", "EDI", "WIRE", "CBAK",
        ] {
            check(code, Ok(code));
        }
        check("DCRD", Err("Illegal payby: DCRD"));
        check("DCHK", Err("Illegal payby: DCHK"));
        check("COMP", Err("Illegal payby: COMP"));
        check("PREPAY", Err("Illegal payby: PREPAY"));
        check("", Err("Illegal payby: "));
        check("ZZZZ", Err("Illegal payby: ZZZZ"));
        check("card", Err("Illegal payby: card"));
    }

    #[test]
    fn payby_for_customers() {
        let check = |input: &str, expected: Result<&str, &str>| {
            let got = Payby::parse_for_customer(input).map(Payby::as_str);
            assert_eq!(
                got.map_err(FieldError::into_message),
                expected.map_err(str::to_owned),
                "{input:?}"
            );
        };
        for code in [
            "CARD", "DCRD", "CHEK", "DCHK", "LECB", "BILL", "COMP", "PREPAY",
        ] {
            check(code, Ok(code));
        }
        for code in ["CASH", "WEST", "MCRD", "MCHK", "PPAL"] {
            check(code, Ok("BILL"));
        }
        for code in [
            "PREP", "EDI", "WIRE", "CBAK", "IDTP", "APPL", "ANRD", "", "BOGUS",
        ] {
            check(code, Err(&format!("Illegal payby: {code}")));
        }
    }

    #[test]
    fn card_brands() {
        let check = |input: &str, expected: &str| {
            assert_eq!(card_type(input).as_str(), expected, "{input}");
        };
        check("4111111111111111", "VISA card");
        check("4222222222222", "VISA card");
        check("4903000000000000", "VISA card");
        check("5555555555554444", "MasterCard");
        check("2221000000000009", "MasterCard");
        check("2720990000000000", "MasterCard");
        check("378282246310005", "American Express card");
        check("341111111111111", "American Express card");
        check("6011111111111117", "Discover card");
        check("6445000000000000", "Discover card");
        check("6500000000000000", "Discover card");
        check("6221260000000000", "Discover card");
        check("30569309025904", "Discover card");
        check("38520000023237", "Discover card");
        check("3530111333300000", "Discover card");
        check("180000000000000", "JCB");
        check("201400000000000", "enRoute");
        check("5610000000000000", "BankCard");
        check("6759000000000000", "Switch");
        check("6334000000000000", "Solo");
        check("6304000000000000", "Laser");
        check("6210000000000000", "China Union Pay");
        check("12345678", "Isracard");
        check("1234567890123", "Unknown");
        check("55555555555544", "Unknown");
        check("4111-1111", "Unknown");
    }

    #[test]
    fn customer_card_numbers() {
        let check = |input: &str, expected: Result<(&str, &str), &str>| {
            let got = CardNumber::parse(input);
            let got = got
                .as_ref()
                .map(|card| (card.digits(), card.card_type().as_str()));
            assert_eq!(got.map_err(FieldError::message), expected, "{input:?}");
        };
        check("4111111111111111", Ok(("4111111111111111", "VISA card")));
        check("4111 1111-1111 1111", Ok(("4111111111111111", "VISA card")));
        check(
            "3782 822463 10005",
            Ok(("378282246310005", "American Express card")),
        );
        check("4111111111111112", Err("Invalid credit card number"));
        check("411111111111", Err("Invalid credit card number"));
        check("41111111111111111111", Err("Invalid credit card number"));
        check("", Err("Invalid credit card number"));
        check("1234567890128", Err("Unknown card type"));
        check("00000019", Ok(("00000019", "Isracard")));
        check("00000018", Err("Invalid credit card number"));
    }

    #[test]
    fn payment_card_numbers() {
        let check = |input: &str, expected: Result<Option<&str>, &str>| {
            let got = CardNumber::parse_for_payment(input);
            let got = got
                .as_ref()
                .map(|card| card.as_ref().map(CardNumber::digits));
            assert_eq!(got.map_err(FieldError::message), expected, "{input:?}");
        };
        check("", Ok(None));
        check("n/a", Ok(None));
        check("4111 1111 1111 1111", Ok(Some("4111111111111111")));
        check(
            "4111",
            Err("Illegal (mistyped?) credit card number (payinfo)"),
        );
        check("4111111111111112", Err("Illegal credit card number"));
        check("1234567890128", Err("Unknown card type"));
    }

    #[test]
    fn card_numbers_debug_as_their_mask() {
        let card = CardNumber::parse("4111111111111111").unwrap();
        assert_eq!(
            format!("{card:?}"),
            "CardNumber(411111xxxxxx1111, VISA card)"
        );
    }

    #[test]
    fn cvv_by_brand() {
        let check = |input: (&str, CardType), expected: Result<(), &str>| {
            let got = check_cvv(input.0, input.1);
            assert_eq!(
                got.map_err(FieldError::into_message),
                expected.map_err(str::to_owned),
                "{input:?}"
            );
        };
        let amex_msg = "CVV2 (CID) for American Express cards is four digits.";
        let other_msg = "CVV2 (CVC2/CID) is three digits.";
        check(("", CardType::Visa), Ok(()));
        check(("123", CardType::Visa), Ok(()));
        check((" 123 ", CardType::MasterCard), Ok(()));
        check(("1234", CardType::Visa), Err(other_msg));
        check(("12a", CardType::Discover), Err(other_msg));
        check(("1234", CardType::AmericanExpress), Ok(()));
        check(("123", CardType::AmericanExpress), Err(amex_msg));
        check(("", CardType::AmericanExpress), Ok(()));
    }

    #[test]
    fn expiry_dates() {
        let check = |input: &str, expected: Result<(u16, u8), &str>| {
            let got = CardExpiry::parse(input).map(|e| (e.year, e.month));
            assert_eq!(
                got.map_err(FieldError::into_message),
                expected.map_err(str::to_owned),
                "{input:?}"
            );
        };
        check("11/2019", Ok((2019, 11)));
        check("1/27", Ok((2027, 1)));
        check("7-2027", Ok((2027, 7)));
        check("07/27", Ok((2027, 7)));
        check("2027-07-01", Ok((2027, 7)));
        check("27-7-1", Ok((2027, 7)));
        check(" 12/2030 ", Ok((2030, 12)));
        check("", Err("Expiration date required"));
        check("  ", Err("Expiration date required"));
        check("13/2027", Err("Illegal expiration date: 13/2027"));
        check("0/27", Err("Illegal expiration date: 0/27"));
        check("7/202", Err("Illegal expiration date: 7/202"));
        check("July 2027", Err("Illegal expiration date: July 2027"));
        check("2027-13-01", Err("Illegal expiration date: 2027-13-01"));
        check("2027/07", Err("Illegal expiration date: 2027/07"));
        check("7/27/", Err("Illegal expiration date: 7/27/"));
    }

    #[test]
    fn expiry_storage_and_age() {
        let expiry = CardExpiry::parse("11/2019").unwrap();
        assert_eq!(expiry.first_of_month(), "2019-11-01");
        assert!(!expiry.is_expired(2019, 11));
        assert!(expiry.is_expired(2019, 12));
        assert!(expiry.is_expired(2020, 1));
        assert_eq!(CardExpiry::new(2027, 0), None);
    }

    #[test]
    fn bank_accounts() {
        let us = EcheckRules::default();
        let us_checksum = EcheckRules {
            verify_aba_checksum: true,
            ..us
        };
        let ca = EcheckRules {
            country: EcheckCountry::Ca,
            ..us
        };
        let other = EcheckRules {
            country: EcheckCountry::Other,
            ..us
        };
        let check = |input: (&str, EcheckRules), expected: Result<(&str, &str), &str>| {
            let got = BankAccount::parse(input.0, input.1)
                .map(|account| (account.payinfo(), account.mask()));
            let expected = expected.map(|(payinfo, mask)| (payinfo.to_owned(), mask.to_owned()));
            assert_eq!(
                got.map_err(FieldError::into_message),
                expected.map_err(str::to_owned),
                "{input:?}"
            );
        };
        check(
            ("12345689@123456789", us),
            Ok(("12345689@123456789", "xxxxxx89@123456789")),
        );
        check(
            (" 123-456 89 @ 021000021 ", us_checksum),
            Ok(("12345689@021000021", "xxxxxx89@021000021")),
        );
        check(
            ("12345689@123456789", us_checksum),
            Err("invalid echeck account@aba"),
        );
        check(("12345689@12345678", us), Err("invalid echeck account@aba"));
        check(
            ("12345689@12345.678", us),
            Err("invalid echeck account@aba"),
        );
        check(("12345689", us), Err("invalid echeck account@routing"));
        check(("@123456789", us), Err("invalid echeck account@routing"));
        check(("1.2@123456789", us), Err("invalid echeck account@routing"));
        check(
            ("12345689@12345.678", ca),
            Ok(("12345689@12345.678", "xxxxxx89@12345.678")),
        );
        check(
            ("12345689@123456789", ca),
            Err("invalid echeck account@branch.bank"),
        );
        check(("12@1", other), Ok(("12@1", "12@1")));
        check(("12@.", other), Err("invalid echeck account@routing"));
    }

    #[test]
    fn aba_check_digits() {
        assert!(aba_checksum_valid("021000021"));
        assert!(aba_checksum_valid("011000015"));
        assert!(!aba_checksum_valid("123456789"));
        assert!(!aba_checksum_valid("02100002"));
    }

    #[test]
    fn lecb_billing_numbers() {
        let check = |input: &str, expected: Result<&str, &str>| {
            let got = lecb_btn(input);
            assert_eq!(
                got.as_deref().map_err(FieldError::message),
                expected,
                "{input:?}"
            );
        };
        check("(555) 444-3211", Ok("5554443211"));
        check("1-555-444-3211", Ok("5554443211"));
        check(
            "2-555-444-3211",
            Err("invalid btn billing telephone number"),
        );
        check("444-3211", Err("invalid btn billing telephone number"));
    }

    #[test]
    fn other_payinfo_rules() {
        assert_eq!(po_number("PO 1234/A"), Ok("PO 1234/A".to_owned()));
        assert_eq!(po_number(""), Ok(String::new()));
        assert_eq!(
            message(po_number("PO*1")),
            Err("Illegal P.O. number: PO*1".to_owned())
        );
        assert_eq!(comp_issuer("Ivan"), Ok("Ivan".to_owned()));
        assert_eq!(
            message(comp_issuer("a{b}")),
            Err("Illegal comp account issuer: a{b}".to_owned())
        );
        assert_eq!(prepay_pin(" AB-12 34 "), Ok("AB1234".to_owned()));
        assert_eq!(
            message(prepay_pin("--")),
            Err("Illegal prepayment identifier: --".to_owned())
        );
        assert_eq!(
            message(prepay_pin("")),
            Err("Illegal prepayment identifier: ".to_owned())
        );
    }

    #[test]
    fn paynames() {
        let check = |input: (Payby, &str), expected: Result<&str, &str>| {
            let got = payname(input.0, input.1, "Tofu", "Beast");
            assert_eq!(
                got.as_deref().map_err(FieldError::message),
                expected,
                "{input:?}"
            );
        };
        check((Payby::Card, ""), Ok("Tofu Beast"));
        check((Payby::Bill, "  "), Ok("Tofu Beast"));
        check((Payby::Chek, ""), Ok(""));
        check((Payby::Card, "Thomas Beast"), Ok("Thomas Beast"));
        check(
            (Payby::Card, " O'Brien & Sons, Ltd. "),
            Ok("O'Brien & Sons, Ltd."),
        );
        check(
            (Payby::Chek, "First National Bank"),
            Ok("First National Bank"),
        );
        check(
            (Payby::Dchk, "Smith & Co"),
            Err("Illegal (name) payname: Smith & Co"),
        );
        check(
            (Payby::Card, "Bob <b>"),
            Err("Illegal (name) payname: Bob <b>"),
        );
    }

    #[test]
    fn card_masking_settings() {
        let check = |input: &str, expected: Option<(u8, u8)>| {
            let got = CardMasking::parse(input).map(|m| (m.first(), m.last()));
            assert_eq!(got, expected, "{input:?}");
        };
        check("first6last4", Some((6, 4)));
        check("first4last4", Some((4, 4)));
        check("first0last4", Some((0, 4)));
        check("first8last6", Some((6, 4)));
        check("last4", None);
        check("first6last", None);
        check("first-1last4", None);
        assert_eq!(CardMasking::default(), CardMasking::DEFAULT);
    }

    #[test]
    fn payinfo_masks() {
        let check = |input: (Payby, &str, &str), expected: &str| {
            let masking = CardMasking::parse(input.2).unwrap();
            assert_eq!(
                mask_payinfo(input.0, input.1, masking),
                expected,
                "{input:?}"
            );
        };
        check(
            (Payby::Card, "4111111111111111", "first6last4"),
            "411111xxxxxx1111",
        );
        check(
            (Payby::Dcrd, "4111111111111111", "first4last4"),
            "4111xxxxxxxx1111",
        );
        check(
            (Payby::Card, "378282246310005", "first6last4"),
            "378282xxxxx0005",
        );
        check(
            (Payby::Card, "4222222222222", "first6last4"),
            "422222xxx2222",
        );
        check((Payby::Card, "123456789", "first6last4"), "xxxxx6789");
        check((Payby::Card, "12345678", "first6last4"), "xxxx5678");
        check((Payby::Card, "N/A", "first6last4"), "N/A");
        check(
            (Payby::Chek, "12345689@123456789", "first6last4"),
            "xxxxxx89@123456789",
        );
        check((Payby::Dchk, "12@12345.678", "first6last4"), "12@12345.678");
        check((Payby::Edi, "987654321", "first6last4"), "xxxxx4321");
        check((Payby::Bill, "PO 1234", "first6last4"), "PO 1234");
        check((Payby::Cash, "receipt 9", "first6last4"), "receipt 9");
    }

    fn with_check_digit(partial: &str) -> String {
        format!("{partial}{}", luhn_check_digit(partial))
    }

    proptest! {
        #[test]
        fn appending_the_luhn_check_digit_makes_a_valid_number(partial in "[0-9]{12,18}") {
            prop_assert!(luhn_valid(&with_check_digit(&partial)));
        }

        #[test]
        fn changing_one_digit_breaks_the_luhn_check(
            partial in "[0-9]{12,18}",
            idx in 0usize..19,
            delta in 1u8..10,
        ) {
            let mut digits = with_check_digit(&partial).into_bytes();
            let idx = idx % digits.len();
            digits[idx] = b'0' + (digits[idx] - b'0' + delta) % 10;
            prop_assert!(!luhn_valid(&String::from_utf8(digits).unwrap()));
        }

        #[test]
        fn masks_never_show_more_than_first_six_and_last_four(
            digits in "[0-9]{8,19}",
            first in 0u8..10,
            last in 0u8..10,
        ) {
            let masking = CardMasking::new(first, last);
            let mask = mask_card(&digits, masking);
            prop_assert_eq!(mask.len(), digits.len());
            let n_shown_at_start = mask.bytes().take_while(|b| *b != b'x').count();
            let n_shown_at_end = mask.bytes().rev().take_while(|b| *b != b'x').count();
            prop_assert!(n_shown_at_start + n_shown_at_end <= 10);
            prop_assert!(mask.bytes().filter(|b| *b != b'x').count() <= 10);
            if digits.len() >= 13 {
                prop_assert!(n_shown_at_start <= 6 && n_shown_at_end <= 4);
            } else {
                prop_assert_eq!(n_shown_at_start, 0);
                prop_assert_eq!(n_shown_at_end, 4);
            }
            for (shown, original) in mask.bytes().zip(digits.bytes()) {
                prop_assert!(shown == b'x' || shown == original);
            }
        }

        #[test]
        fn valid_visa_numbers_parse_with_their_brand(body in "[0-9]{14}") {
            let number = with_check_digit(&format!("4{body}"));
            let card = CardNumber::parse(&number).unwrap();
            prop_assert_eq!(card.card_type(), CardType::Visa);
            prop_assert_eq!(card.digits(), number.as_str());
        }
    }
}
