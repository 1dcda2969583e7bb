//! The ledger's arithmetic: balance, what is left on each side of an
//! application, and the order in which payments and credits are applied to
//! open invoices (backend spec 6.1–6.3). Pure: the store feeds it sums and
//! open items and writes back what it decides.

use crate::money::Money;

/// Totals of one customer's ledger, as the store sums them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerTotals {
    /// Σ invoices' `charged`.
    pub charged: Money,
    /// Σ payments' `paid`.
    pub paid: Money,
    /// Σ credits' `amount`.
    pub credited: Money,
    /// Σ refunds' `refund`.
    pub refunded: Money,
}

impl LedgerTotals {
    /// The balance: positive when the customer owes.
    pub fn balance(self) -> Money {
        self.charged - self.paid - self.credited + self.refunded
    }
}

/// Why an application was refused (exact Freeside strings).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    /// The amount is zero or negative.
    #[error("amount must be > 0")]
    NotPositive,
    /// More than the invoice still owes.
    #[error("Cannot apply more than remaining value of invoice")]
    ExceedsInvoice,
    /// More than the payment has unapplied.
    #[error("Cannot apply more than remaining value of payment")]
    ExceedsPayment,
    /// More than the credit has unapplied.
    #[error("Cannot apply more than remaining value of credit")]
    ExceedsCredit,
    /// More than the refund has unapplied.
    #[error("Cannot apply more than remaining value of refund")]
    ExceedsRefund,
}

/// One side of an application and what it has left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// An invoice and what it still owes.
    Invoice(Money),
    /// A payment and its unapplied amount.
    Payment(Money),
    /// A credit and its unapplied amount.
    Credit(Money),
    /// A refund and its unapplied amount.
    Refund(Money),
}

impl Side {
    fn check(self, amount: Money) -> Result<(), ApplicationError> {
        let (left, error) = match self {
            Side::Invoice(left) => (left, ApplicationError::ExceedsInvoice),
            Side::Payment(left) => (left, ApplicationError::ExceedsPayment),
            Side::Credit(left) => (left, ApplicationError::ExceedsCredit),
            Side::Refund(left) => (left, ApplicationError::ExceedsRefund),
        };
        if amount > left {
            Err(error)
        } else {
            Ok(())
        }
    }
}

/// Checks an application of `amount` between `target` and `source`.
///
/// # Errors
/// `amount must be > 0`, or `Cannot apply more than remaining value of X`
/// naming the side (target first) that has too little left.
pub fn check_application(
    amount: Money,
    target: Side,
    source: Side,
) -> Result<(), ApplicationError> {
    if !amount.is_positive() {
        return Err(ApplicationError::NotPositive);
    }
    target.check(amount)?;
    source.check(amount)
}

/// An item with money left on it: an open invoice or an unapplied payment or
/// credit, ordered by date then number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenItem {
    /// `invnum`, `paynum` or `crednum`.
    pub num: i64,
    /// `_date`, UNIX seconds.
    pub date: i64,
    /// What is left (owed or unapplied), > 0.
    pub left: Money,
}

/// Which kind of money an [`Application`] moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A payment (`cust_bill_pay`).
    Payment,
    /// A credit (`cust_credit_bill`).
    Credit,
}

/// One application decided by [`plan_applications`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Application {
    /// Payment or credit.
    pub kind: SourceKind,
    /// Its `paynum` or `crednum`.
    pub source_num: i64,
    /// The invoice.
    pub invnum: i64,
    /// The amount applied, > 0.
    pub amount: Money,
}

/// Decides how unapplied payments and credits pay open invoices (6.3):
/// invoices oldest first; for each, payments oldest first, then credits
/// (`credits_first` swaps them, for invoices whose package definitions weigh
/// credits higher); each application is the smaller of what is left.
pub fn plan_applications(
    invoices: &[OpenItem],
    payments: &[OpenItem],
    credits: &[OpenItem],
    credits_first: impl Fn(i64) -> bool,
) -> Vec<Application> {
    let sorted = |items: &[OpenItem]| {
        let mut items: Vec<OpenItem> = items
            .iter()
            .copied()
            .filter(|i| i.left.is_positive())
            .collect();
        items.sort_by_key(|i| (i.date, i.num));
        items
    };
    let invoices = sorted(invoices);
    let mut payments = sorted(payments);
    let mut credits = sorted(credits);
    let mut applications = Vec::new();
    for invoice in invoices {
        let mut owed = invoice.left;
        let order: [(&mut Vec<OpenItem>, SourceKind); 2] = if credits_first(invoice.num) {
            [
                (&mut credits, SourceKind::Credit),
                (&mut payments, SourceKind::Payment),
            ]
        } else {
            [
                (&mut payments, SourceKind::Payment),
                (&mut credits, SourceKind::Credit),
            ]
        };
        for (sources, kind) in order {
            for source in sources.iter_mut() {
                if !owed.is_positive() {
                    break;
                }
                if !source.left.is_positive() {
                    continue;
                }
                let amount = owed.min(source.left);
                owed -= amount;
                source.left -= amount;
                applications.push(Application {
                    kind,
                    source_num: source.num,
                    invnum: invoice.num,
                    amount,
                });
            }
        }
    }
    applications
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(num: i64, date: i64, cents: i64) -> OpenItem {
        OpenItem {
            num,
            date,
            left: Money::from_cents(cents),
        }
    }

    #[test]
    fn balance_is_charged_minus_paid_minus_credited_plus_refunded() {
        let totals = LedgerTotals {
            charged: Money::from_cents(10_000),
            paid: Money::from_cents(5_432),
            credited: Money::from_cents(1_000),
            refunded: Money::from_cents(500),
        };
        assert_eq!(totals.balance().to_string(), "40.68");
    }

    #[test]
    fn oldest_payment_pays_oldest_invoice_first() {
        let invoices = [item(2, 200, 1_000), item(1, 100, 500)];
        let payments = [item(7, 50, 700), item(6, 50, 300)];
        let plan = plan_applications(&invoices, &payments, &[], |_| false);
        let got: Vec<(i64, i64, i64)> = plan
            .iter()
            .map(|a| (a.source_num, a.invnum, a.amount.cents()))
            .collect();
        assert_eq!(got, vec![(6, 1, 300), (7, 1, 200), (7, 2, 500)]);
    }

    #[test]
    fn payments_go_before_credits_unless_weighted() {
        let invoices = [item(1, 100, 500)];
        let payments = [item(1, 100, 500)];
        let credits = [item(1, 100, 500)];
        let plan = plan_applications(&invoices, &payments, &credits, |_| false);
        assert_eq!(plan[0].kind, SourceKind::Payment);
        let plan = plan_applications(&invoices, &payments, &credits, |_| true);
        assert_eq!(plan[0].kind, SourceKind::Credit);
        assert_eq!(plan.len(), 1);
    }

    #[test]
    fn application_checks_name_the_short_side() {
        let m = Money::from_cents;
        assert_eq!(
            check_application(m(0), Side::Invoice(m(5)), Side::Payment(m(5))),
            Err(ApplicationError::NotPositive)
        );
        assert_eq!(
            check_application(m(6), Side::Invoice(m(5)), Side::Payment(m(9)))
                .unwrap_err()
                .to_string(),
            "Cannot apply more than remaining value of invoice"
        );
        assert_eq!(
            check_application(m(6), Side::Payment(m(5)), Side::Refund(m(9)))
                .unwrap_err()
                .to_string(),
            "Cannot apply more than remaining value of payment"
        );
        assert!(check_application(m(5), Side::Invoice(m(5)), Side::Credit(m(5))).is_ok());
    }

    fn items() -> impl Strategy<Value = Vec<OpenItem>> {
        prop::collection::vec((0i64..5, 1i64..100_000), 0..8).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (date, cents))| item(i as i64 + 1, date, cents))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn applications_never_exceed_either_side(
            invoices in items(), payments in items(), credits in items(), credits_first in any::<bool>()
        ) {
            let plan = plan_applications(&invoices, &payments, &credits, |_| credits_first);
            let applied_to = |num: i64| plan.iter().filter(|a| a.invnum == num).map(|a| a.amount).sum::<Money>();
            let applied_from = |kind: SourceKind, num: i64| {
                plan.iter().filter(|a| a.kind == kind && a.source_num == num).map(|a| a.amount).sum::<Money>()
            };
            for a in &plan {
                prop_assert!(a.amount.is_positive());
            }
            for invoice in &invoices {
                prop_assert!(applied_to(invoice.num) <= invoice.left);
            }
            for payment in &payments {
                prop_assert!(applied_from(SourceKind::Payment, payment.num) <= payment.left);
            }
            for credit in &credits {
                prop_assert!(applied_from(SourceKind::Credit, credit.num) <= credit.left);
            }
            // Either every invoice is paid or every source is used up.
            let owed: Money = invoices.iter().map(|i| i.left).sum::<Money>() - plan.iter().map(|a| a.amount).sum::<Money>();
            let left: Money = payments.iter().chain(&credits).map(|i| i.left).sum::<Money>()
                - plan.iter().map(|a| a.amount).sum::<Money>();
            prop_assert!(owed == Money::ZERO || left == Money::ZERO);
        }

        #[test]
        fn applying_never_changes_the_balance(
            charged in 0i64..1_000_000, paid in 0i64..1_000_000, credited in 0i64..1_000_000, refunded in 0i64..1_000_000
        ) {
            // The balance is computed from record totals, which applications do not touch;
            // the equivalent "open items" form gives the same number.
            let totals = LedgerTotals {
                charged: Money::from_cents(charged), paid: Money::from_cents(paid),
                credited: Money::from_cents(credited), refunded: Money::from_cents(refunded),
            };
            let applied = charged.min(paid);
            let open_form = Money::from_cents(charged - applied) + Money::from_cents(refunded)
                - Money::from_cents(credited) - Money::from_cents(paid - applied);
            prop_assert_eq!(totals.balance(), open_form);
        }
    }
}
