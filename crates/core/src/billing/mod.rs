//! The billing calculation: what one billing pass charges a customer, as pure
//! functions of the records and `now` (backend spec section 9, with the
//! billing issue's month-end clamping, proration and expiry rules).
//!
//! Code map:
//! - `period`: calendar arithmetic on the billing time zone (`BillingCalendar`,
//!   `MonthEnd`): adding one period of a frequency.
//! - `charges`: what one pass charges one package (`charge_package`), and the
//!   new dates to store (`PackageDates`).
//! - `tax`: tax row lookup by locality and the tax amounts of an invoice.
//! - `invoice`: one customer's pass assembled into an invoice draft
//!   (`bill_customer`).
//!
//! Invariant: nothing here does I/O or reads the clock; `now` is always an
//! argument, and the same inputs always give the same draft. The store runs
//! this inside its transaction and writes what it returns.

pub mod charges;
pub mod invoice;
pub mod period;
pub mod tax;

pub use charges::{
    bill_date_after_unsuspend, charge_package, LineItem, PackageCharges, PackageDates, PackageFlags,
};
pub use invoice::{bill_customer, CustomerBill, InvoiceDraft, PackageToBill};
pub use period::{BillingCalendar, MonthEnd};
pub use tax::{compute_taxes, find_tax_rates, TaxLine, TaxTable, TaxableItem, Taxes, Untaxed};

use crate::money::Money;

/// Why a billing calculation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// A package's setup charge would be negative (a negative fee or
    /// quantity); the client sees Freeside's message after the pass prefix.
    #[error("negative setup {amount} for pkgnum {pkgnum}")]
    NegativeSetup {
        /// The refused amount (fee × quantity).
        amount: Money,
        /// The package.
        pkgnum: i64,
    },
    /// A package's recurring charge for one period would be negative.
    #[error("negative recur {amount} for pkgnum {pkgnum}")]
    NegativeRecur {
        /// The refused amount (fee × quantity, prorated when it applies).
        amount: Money,
        /// The package.
        pkgnum: i64,
    },
    /// A date (UNIX seconds) or a date computed from it lies outside the
    /// calendar's range (years -9999 to 9999), or a period does not move
    /// time forward; only corrupt data gets here.
    #[error("date out of range: {0}")]
    DateOutOfRange(i64),
    /// A computed amount does not fit in money (only absurd rates or
    /// quantities get here).
    #[error("amount out of range")]
    AmountOutOfRange,
    /// A period was asked of a one-time frequency, which has none.
    #[error("a one-time frequency has no period")]
    NoPeriod,
}

/// Treats Freeside's `0` like an unset date, as its Perl code does (`bill ||
/// setup || now`), so imported rows with zeros behave like empty ones.
fn date_set(value: Option<i64>) -> Option<i64> {
    value.filter(|&seconds| seconds != 0)
}
