//! The records of the domain, with Freeside's table named on each. These are
//! plain data: the store fills them, the faces convert them to wire shapes by
//! hand (no `Serialize` here). Dates are UNIX seconds; money is [`Money`].

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::frequency::Frequency;
use crate::money::Money;

/// A reseller (`agent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// `agentnum`.
    pub agentnum: i64,
    /// Its name.
    pub agent: String,
    /// Hidden from new sign-ups.
    pub disabled: bool,
}

/// An advertising source (`part_referral`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvertisingSource {
    /// `refnum`.
    pub refnum: i64,
    /// Its name.
    pub referral: String,
    /// `Y` when disabled.
    pub disabled: bool,
    /// The only agent it is for; `None` = every agent.
    pub agentnum: Option<i64>,
    /// External id.
    pub title: String,
}

/// A tax rate for a locality (`cust_main_county`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxRate {
    /// `taxnum`.
    pub taxnum: i64,
    /// Two-letter country.
    pub country: String,
    /// Subdivision code, or empty.
    pub state: String,
    /// County, or empty.
    pub county: String,
    /// City, or empty.
    pub city: String,
    /// `taxname`, shown on invoices.
    pub name: String,
    /// Percent (`tax`), e.g. `7.25`.
    pub rate: Decimal,
}

/// Which service table a service definition makes records in (`part_svc.svcdb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SvcTable {
    /// Mail/login accounts.
    SvcAcct,
    /// Domains.
    SvcDomain,
    /// Phone numbers.
    SvcPhone,
}

impl SvcTable {
    /// Parses `svc_acct`, `svc_domain` or `svc_phone`.
    pub fn parse(text: &str) -> Option<SvcTable> {
        match text {
            "svc_acct" => Some(SvcTable::SvcAcct),
            "svc_domain" => Some(SvcTable::SvcDomain),
            "svc_phone" => Some(SvcTable::SvcPhone),
            _ => None,
        }
    }

    /// The table name.
    pub fn as_str(self) -> &'static str {
        match self {
            SvcTable::SvcAcct => "svc_acct",
            SvcTable::SvcDomain => "svc_domain",
            SvcTable::SvcPhone => "svc_phone",
        }
    }
}

/// How a mail account's password is kept (the service definition's choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PasswordEncoding {
    /// Clear text.
    Plain,
    /// `{PLAIN}` clear text.
    LdapPlain,
    /// Traditional DES crypt.
    CryptDes,
    /// `$1$` MD5 crypt.
    CryptMd5,
    /// `$6$` SHA-512 crypt (the default).
    #[default]
    CryptSha512,
    /// `{CRYPT}` followed by a crypt hash.
    LdapCrypt,
    /// `{SSHA}` salted SHA-1.
    LdapSsha,
}

impl PasswordEncoding {
    /// Every encoding, in catalog spelling order.
    pub const ALL: [PasswordEncoding; 7] = [
        PasswordEncoding::Plain,
        PasswordEncoding::LdapPlain,
        PasswordEncoding::CryptDes,
        PasswordEncoding::CryptMd5,
        PasswordEncoding::CryptSha512,
        PasswordEncoding::LdapCrypt,
        PasswordEncoding::LdapSsha,
    ];

    /// Parses the catalog spelling (`plain`, `crypt-md5`, …).
    pub fn parse(text: &str) -> Option<PasswordEncoding> {
        PasswordEncoding::ALL
            .into_iter()
            .find(|e| e.as_str() == text)
    }

    /// The catalog spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordEncoding::Plain => "plain",
            PasswordEncoding::LdapPlain => "ldap-plain",
            PasswordEncoding::CryptDes => "crypt-des",
            PasswordEncoding::CryptMd5 => "crypt-md5",
            PasswordEncoding::CryptSha512 => "crypt-sha512",
            PasswordEncoding::LdapCrypt => "ldap-crypt",
            PasswordEncoding::LdapSsha => "ldap-ssha",
        }
    }
}

/// An export: a remote system that learns about services (`part_export`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportDef {
    /// `exportnum`.
    pub exportnum: i64,
    /// Its unique name (the catalog's key).
    pub name: String,
    /// The export type, e.g. `magicmail`.
    pub export_type: String,
    /// Options, secrets included in clear (the store encrypts them at rest).
    pub options: BTreeMap<String, String>,
}

/// True for export option names that hold secrets (encrypted at rest,
/// printed as `"<secret>"`).
pub fn is_secret_option(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("password") || name.contains("secret") || name.ends_with("_key") || name == "key"
}

/// A service definition (`part_svc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDef {
    /// `svcpart`.
    pub svcpart: i64,
    /// Its name.
    pub svc: String,
    /// The table its services live in.
    pub table: SvcTable,
    /// Names of the exports attached.
    pub exports: Vec<String>,
    /// Mail domains its accounts may use; the first is the default.
    pub domains: Vec<String>,
    /// Password encoding of its accounts.
    pub password_encoding: PasswordEncoding,
    /// Hidden.
    pub disabled: bool,
}

/// A package definition (`part_pkg`, `flat` price plan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageDef {
    /// `pkgpart`.
    pub pkgpart: i64,
    /// Its name.
    pub pkg: String,
    /// Longer description.
    pub comment: String,
    /// Charged once on the first bill.
    pub setup_fee: Money,
    /// Charged every period.
    pub recur_fee: Money,
    /// The period.
    pub freq: Frequency,
    /// Taxable (setup and recurring).
    pub taxable: bool,
    /// Billing day to prorate the first period to (1–28).
    pub prorate_day: Option<u8>,
    /// Hidden from ordering (custom copies are disabled).
    pub disabled: bool,
    /// Service definitions it includes, with how many of each.
    pub services: Vec<PackageService>,
}

/// One service allowance of a package definition (`pkg_svc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageService {
    /// The service definition.
    pub svcpart: i64,
    /// How many such services one package may hold.
    pub quantity: i64,
}

/// An address (`cust_location`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// `locationnum` (0 before insertion).
    pub locationnum: i64,
    /// Owner.
    pub custnum: i64,
    /// Name of the place.
    pub locationname: String,
    /// Street.
    pub address1: String,
    /// Unit.
    pub address2: String,
    /// City.
    pub city: String,
    /// County.
    pub county: String,
    /// Subdivision code.
    pub state: String,
    /// Postal code.
    pub zip: String,
    /// Two-letter country.
    pub country: String,
    /// Decimal degrees, or empty.
    pub latitude: String,
    /// Decimal degrees, or empty.
    pub longitude: String,
    /// `Y` or empty.
    pub coord_auto: String,
    /// `Y` or empty.
    pub addr_clean: String,
    /// Tax geocode.
    pub geocode: String,
    /// Tax district.
    pub district: String,
    /// Census tract.
    pub censustract: String,
    /// Census year.
    pub censusyear: String,
    /// Location type.
    pub location_type: String,
    /// Location number.
    pub location_number: String,
    /// `R`, `B` or empty.
    pub location_kind: String,
    /// `Y` or empty.
    pub incorporated: String,
    /// Unused old location.
    pub disabled: bool,
}

/// A customer (`cust_main`), without the derived balance and status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Customer {
    /// `custnum`.
    pub custnum: i64,
    /// Reseller.
    pub agentnum: i64,
    /// The agent's own id for the customer.
    pub agent_custid: String,
    /// Advertising source.
    pub refnum: i64,
    /// Customer class.
    pub classnum: Option<i64>,
    /// Sales person.
    pub salesnum: Option<i64>,
    /// Employee who created it.
    pub usernum: i64,
    /// First name.
    pub first: String,
    /// Last name.
    pub last: String,
    /// Company.
    pub company: String,
    /// Day phone.
    pub daytime: String,
    /// Night phone.
    pub night: String,
    /// Fax.
    pub fax: String,
    /// Mobile phone.
    pub mobile: String,
    /// Customer who referred this one.
    pub referral_custnum: Option<i64>,
    /// Billing location.
    pub bill_locationnum: i64,
    /// Service location (may equal the billing one).
    pub ship_locationnum: i64,
    /// Paper invoices (`POST`).
    pub postal_invoice: bool,
    /// Exempt from taxes.
    pub tax_exempt: bool,
    /// Sign-up time.
    pub signupdate: i64,
    /// Stored payment method code (empty = none, behaves as `BILL`).
    pub payby: String,
    /// Masked payment details (never the clear number).
    pub paymask: String,
    /// Card type, e.g. `VISA card`.
    pub paycardtype: String,
    /// Card expiry, `YYYY-MM-01`, or empty.
    pub paydate: String,
    /// Name on the card or bank.
    pub payname: String,
}

impl Customer {
    /// `first last`, as `customer_info`'s `name`.
    pub fn name(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
}

/// A customer's package (`cust_pkg`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerPackage {
    /// `pkgnum`.
    pub pkgnum: i64,
    /// Owner.
    pub custnum: i64,
    /// Definition.
    pub pkgpart: i64,
    /// Where it is delivered.
    pub locationnum: i64,
    /// How many.
    pub quantity: i64,
    /// Ordered at.
    pub order_date: Option<i64>,
    /// Future start.
    pub start_date: Option<i64>,
    /// First billed.
    pub setup: Option<i64>,
    /// Next bill date.
    pub bill: Option<i64>,
    /// Start of the current period.
    pub last_bill: Option<i64>,
    /// Suspended at.
    pub susp: Option<i64>,
    /// Scheduled suspension.
    pub adjourn: Option<i64>,
    /// Scheduled unsuspension.
    pub resume: Option<i64>,
    /// Scheduled cancellation.
    pub expire: Option<i64>,
    /// Cancelled at.
    pub cancel: Option<i64>,
    /// Contract end.
    pub contract_end: Option<i64>,
    /// Last changed at.
    pub change_date: Option<i64>,
    /// Package it replaced.
    pub change_pkgnum: Option<i64>,
}

/// An invoice (`cust_bill`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// `invnum`.
    pub invnum: i64,
    /// Customer.
    pub custnum: i64,
    /// Date.
    pub date: i64,
    /// Total including tax.
    pub charged: Money,
    /// Balance before it.
    pub billing_balance: Money,
    /// Previous invoice's balance plus its charges.
    pub previous_balance: Money,
}

/// A line of an invoice (`cust_bill_pkg`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    /// `billpkgnum`.
    pub billpkgnum: i64,
    /// Invoice.
    pub invnum: i64,
    /// Package (0 for tax lines).
    pub pkgnum: i64,
    /// Setup amount.
    pub setup: Money,
    /// Recurring amount.
    pub recur: Money,
    /// Unit setup price.
    pub unitsetup: Money,
    /// Unit recurring price.
    pub unitrecur: Money,
    /// Quantity.
    pub quantity: i64,
    /// Period start.
    pub sdate: Option<i64>,
    /// Period end.
    pub edate: Option<i64>,
    /// Description (tax name on tax lines).
    pub itemdesc: String,
}

/// A payment (`cust_pay`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Payment {
    /// `paynum`.
    pub paynum: i64,
    /// Customer.
    pub custnum: i64,
    /// Date.
    pub date: i64,
    /// Amount.
    pub paid: Money,
    /// Payment code.
    pub payby: String,
    /// Masked payment details.
    pub paymask: String,
    /// Batch or deposit reference.
    pub paybatch: String,
    /// Client's unique id.
    pub payunique: String,
    /// Gateway transaction id.
    pub order_number: String,
    /// Authorisation code.
    pub auth: String,
    /// Processor name.
    pub processor: String,
    /// Never auto-applied.
    pub no_auto_apply: bool,
    /// Package it is for.
    pub pkgnum: Option<i64>,
}

/// A credit (`cust_credit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    /// `crednum`.
    pub crednum: i64,
    /// Customer.
    pub custnum: i64,
    /// Date.
    pub date: i64,
    /// Amount.
    pub amount: Money,
    /// Reason.
    pub reasonnum: i64,
    /// Note.
    pub addlinfo: String,
    /// Package credited.
    pub pkgnum: Option<i64>,
}

/// A refund (`cust_refund`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// `refundnum`.
    pub refundnum: i64,
    /// Customer.
    pub custnum: i64,
    /// Date.
    pub date: i64,
    /// Amount.
    pub refund: Money,
    /// Payment code.
    pub payby: String,
    /// Masked payment details.
    pub paymask: String,
    /// Reason.
    pub reasonnum: i64,
}

/// The class of a reason (`reason_type.class`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonClass {
    /// `R`: credit reasons.
    Credit,
    /// `F`: refund reasons.
    Refund,
    /// `S`: suspension reasons.
    Suspend,
    /// `C`: cancellation reasons.
    Cancel,
}

impl ReasonClass {
    /// The one-letter code.
    pub fn code(self) -> &'static str {
        match self {
            ReasonClass::Credit => "R",
            ReasonClass::Refund => "F",
            ReasonClass::Suspend => "S",
            ReasonClass::Cancel => "C",
        }
    }
}
