//! One customer's billing pass assembled into an invoice draft (backend spec
//! 9.5 and 9.6): the package lines of every package, in the order given,
//! then one tax line per tax name, and the total charged.
//!
//! A pass with nothing due makes no invoice, though package dates may still
//! move (a waived or zero setup, a cleared start date); a complimentary
//! customer is not billed at all. The draft has no `invnum` and no balances:
//! the store numbers it and reads `billing_balance` and `previous_balance`
//! in the same transaction that writes it.

use super::charges::{charge_package, LineItem, PackageDates, PackageFlags};
use super::period::BillingCalendar;
use super::tax::{compute_taxes, TaxTable, TaxableItem, Untaxed};
use super::BillingError;
use crate::model::{Customer, CustomerPackage, Location, PackageDef};
use crate::money::Money;
use crate::payby::Payby;

/// One of the customer's packages, with what billing it needs.
#[derive(Debug, Clone, Copy)]
pub struct PackageToBill<'a> {
    /// The package and its dates.
    pub package: &'a CustomerPackage,
    /// Its definition (the package's own copy for custom prices).
    pub def: &'a PackageDef,
    /// Its switches outside the definition's fees.
    pub flags: PackageFlags,
    /// The address its charges are taxed at (`tax.location`: the
    /// customer's billing location, the service location or the package's).
    pub tax_location: &'a Location,
}

/// A new invoice (`cust_bill` with its `cust_bill_pkg` lines), before the
/// store numbers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDraft {
    /// The customer.
    pub custnum: i64,
    /// `_date`: the time of the pass.
    pub date: i64,
    /// Package lines, then tax lines (`pkgnum` 0, `itemdesc` = tax name).
    pub lines: Vec<LineItem>,
    /// Σ setup + Σ recur over the lines, taxes included.
    pub charged: Money,
    /// Lines of `no_auto` packages: the invoice is never charged to the
    /// customer's card or account automatically.
    pub no_auto: bool,
}

/// What one pass bills one customer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerBill {
    /// The invoices, empty when nothing is due: one for the lines of
    /// ordinary packages, then one per `separate_bill` package, then one
    /// for `no_auto` packages (9.6), each with its own taxes.
    pub invoices: Vec<InvoiceDraft>,
    /// New dates of the packages whose dates changed, to store with the
    /// invoice (even when there is none).
    pub dates: Vec<PackageDates>,
    /// Taxable packages billed without tax because no tax row matches
    /// their address, to report.
    pub untaxed: Vec<Untaxed>,
}

/// The lines bound for one invoice of a pass.
struct InvoiceGroup<'a> {
    /// Which invoice: the `separate_bill` package it is for, if any, and
    /// whether it holds `no_auto` packages.
    key: (Option<i64>, bool),
    lines: Vec<LineItem>,
    taxable_items: Vec<TaxableItem<'a>>,
}

/// Bills `customer` at `now`: charges each of `packages` (9.1), taxes the
/// taxable amounts from `tax_table` (9.5) and assembles the invoices (9.6).
///
/// A complimentary customer (`payby` `COMP`) gets nothing and no dates
/// move. A tax-exempt customer and packages whose definition is not
/// taxable get no tax.
///
/// # Errors
/// The first package's [`BillingError`] (a negative amount, a date out of
/// range); nothing of the pass is to be stored then.
pub fn bill_customer(
    customer: &Customer,
    packages: &[PackageToBill<'_>],
    tax_table: &TaxTable,
    calendar: &BillingCalendar,
    now: i64,
) -> Result<CustomerBill, BillingError> {
    if Payby::from_code(&customer.payby) == Some(Payby::Comp) {
        return Ok(CustomerBill::default());
    }
    let mut groups: Vec<InvoiceGroup<'_>> = Vec::new();
    let mut dates = Vec::new();
    for to_bill in packages {
        let charges = charge_package(to_bill.def, to_bill.package, to_bill.flags, calendar, now)?;
        dates.extend(charges.dates);
        if charges.lines.is_empty() {
            continue;
        }
        let key = (
            to_bill
                .flags
                .separate_bill
                .then_some(to_bill.package.pkgnum),
            to_bill.flags.no_auto,
        );
        let group_idx = match groups.iter().position(|g| g.key == key) {
            Some(idx) => idx,
            None => {
                groups.push(InvoiceGroup {
                    key,
                    lines: Vec::new(),
                    taxable_items: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let group = &mut groups[group_idx];
        if !customer.tax_exempt && to_bill.def.taxable {
            group
                .taxable_items
                .extend(charges.lines.iter().map(|line| TaxableItem {
                    pkgnum: line.pkgnum,
                    location: to_bill.tax_location,
                    amount: line.amount(),
                }));
        }
        group.lines.extend(charges.lines);
    }
    // Ordinary lines first, then separate bills in package order, then
    // no_auto (a stable sort keeps package order within each kind).
    groups.sort_by_key(|g| (g.key.1, g.key.0.is_some()));
    let mut invoices = Vec::with_capacity(groups.len());
    let mut untaxed = Vec::new();
    for InvoiceGroup {
        key: (_, no_auto),
        mut lines,
        taxable_items,
    } in groups
    {
        let taxes = compute_taxes(tax_table, &taxable_items)?;
        untaxed.extend(taxes.untaxed);
        lines.extend(taxes.lines.into_iter().map(|tax| LineItem {
            pkgnum: 0,
            setup: tax.amount,
            recur: Money::ZERO,
            unitsetup: tax.amount,
            unitrecur: Money::ZERO,
            quantity: 1,
            sdate: None,
            edate: None,
            itemdesc: tax.name,
        }));
        invoices.push(InvoiceDraft {
            custnum: customer.custnum,
            date: now,
            charged: lines.iter().map(LineItem::amount).sum(),
            lines,
            no_auto,
        });
    }
    Ok(CustomerBill {
        invoices,
        dates,
        untaxed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::period::MonthEnd;
    use crate::frequency::Frequency;
    use crate::model::TaxRate;
    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    const NOW: i64 = 1_705_312_800; // 2024-01-15 10:00 UTC

    fn utc() -> BillingCalendar {
        BillingCalendar::new(TimeZone::UTC, MonthEnd::Clamp)
    }

    fn customer() -> Customer {
        Customer {
            custnum: 2,
            payby: "BILL".to_string(),
            ..Customer::default()
        }
    }

    fn def(pkgpart: i64, setup_fee: i64, recur_fee: i64, freq: &str, taxable: bool) -> PackageDef {
        PackageDef {
            pkgpart,
            pkg: format!("Package {pkgpart}"),
            comment: String::new(),
            setup_fee: Money::from_cents(setup_fee),
            recur_fee: Money::from_cents(recur_fee),
            freq: Frequency::parse(freq).unwrap(),
            taxable,
            prorate_day: None,
            disabled: false,
            services: Vec::new(),
        }
    }

    fn package(pkgnum: i64, pkgpart: i64) -> CustomerPackage {
        CustomerPackage {
            pkgnum,
            custnum: 2,
            pkgpart,
            quantity: 1,
            ..CustomerPackage::default()
        }
    }

    fn california() -> Location {
        Location {
            country: "US".to_string(),
            state: "CA".to_string(),
            city: "Oakland".to_string(),
            ..Location::default()
        }
    }

    fn rates() -> TaxTable {
        TaxTable::new(vec![TaxRate {
            taxnum: 1,
            country: "US".to_string(),
            state: "CA".to_string(),
            county: String::new(),
            city: String::new(),
            name: "CA sales tax".to_string(),
            rate: "7.25".parse().unwrap(),
        }])
    }

    /// Bills `customer` for packages made of (definition, package) pairs
    /// taxed in `location`, and renders the invoice as
    /// `pkgnum setup/recur itemdesc` lines then `charged X`, or `no invoice`.
    fn check(
        customer: &Customer,
        packages: &[(PackageDef, CustomerPackage)],
        location: &Location,
        expected: &[&str],
    ) -> CustomerBill {
        let to_bill: Vec<PackageToBill<'_>> = packages
            .iter()
            .map(|(def, package)| PackageToBill {
                package,
                def,
                flags: PackageFlags::default(),
                tax_location: location,
            })
            .collect();
        let bill = bill_customer(customer, &to_bill, &rates(), &utc(), NOW).unwrap();
        let got: Vec<String> = match bill.invoices.as_slice() {
            [invoice] => invoice
                .lines
                .iter()
                .map(|line| {
                    format!(
                        "{} {}/{} {}",
                        line.pkgnum, line.setup, line.recur, line.itemdesc
                    )
                    .trim_end()
                    .to_string()
                })
                .chain([format!("charged {}", invoice.charged)])
                .collect(),
            [] => vec!["no invoice".to_string()],
            more => panic!("{} invoices", more.len()),
        };
        assert_eq!(got, expected);
        bill
    }

    #[test]
    fn an_invoice_has_package_lines_then_tax_lines() {
        let bill = check(
            &customer(),
            &[
                (def(1, 1000, 1995, "1", true), package(10, 1)),
                (def(2, 4900, 0, "0", false), package(11, 2)),
            ],
            &california(),
            &[
                "10 10.00/19.95",
                "11 49.00/0.00",
                "0 2.17/0.00 CA sales tax",
                "charged 81.12",
            ],
        );
        let invoice = &bill.invoices[0];
        assert_eq!((invoice.custnum, invoice.date), (2, NOW));
        assert_eq!(bill.dates.len(), 2);
        assert!(bill.untaxed.is_empty());
    }

    #[test]
    fn separate_bill_and_no_auto_packages_get_invoices_of_their_own() {
        let defs = [
            def(1, 0, 1995, "1", true),
            def(2, 0, 1000, "1", true),
            def(3, 0, 500, "1", false),
            def(4, 0, 700, "1", true),
        ];
        let packages = [
            package(10, 1),
            package(11, 2),
            package(12, 3),
            package(13, 4),
        ];
        let flags = [
            PackageFlags::default(),
            PackageFlags {
                no_auto: true,
                ..PackageFlags::default()
            },
            PackageFlags {
                separate_bill: true,
                ..PackageFlags::default()
            },
            PackageFlags::default(),
        ];
        let location = california();
        let to_bill: Vec<PackageToBill<'_>> = defs
            .iter()
            .zip(&packages)
            .zip(flags)
            .map(|((def, package), flags)| PackageToBill {
                package,
                def,
                flags,
                tax_location: &location,
            })
            .collect();
        let bill = bill_customer(&customer(), &to_bill, &rates(), &utc(), NOW).unwrap();
        let got: Vec<(Vec<i64>, String, bool)> = bill
            .invoices
            .iter()
            .map(|i| {
                (
                    i.lines.iter().map(|l| l.pkgnum).collect(),
                    i.charged.to_string(),
                    i.no_auto,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                // 26.95 taxed at 7.25 % = 1.95 (1.953875).
                (vec![10, 13, 0], "28.90".to_string(), false),
                // Not taxable: no tax line.
                (vec![12], "5.00".to_string(), false),
                // 10.00 at 7.25 % = 0.73 (0.725), taxed on its own invoice.
                (vec![11, 0], "10.73".to_string(), true),
            ]
        );
        assert_eq!(bill.dates.len(), 4);
    }

    #[test]
    fn checklist_taxes() {
        // Checklist 40: 19.95 at 7.25 % is 1.45.
        let taxable_monthly = || {
            let setup_done = CustomerPackage {
                setup: Some(NOW - 86_400),
                bill: Some(NOW),
                ..package(10, 1)
            };
            (def(1, 1000, 1995, "1", true), setup_done)
        };
        check(
            &customer(),
            &[taxable_monthly()],
            &california(),
            &["10 0.00/19.95", "0 1.45/0.00 CA sales tax", "charged 21.40"],
        );
        let (mut untaxable, setup_done) = taxable_monthly();
        untaxable.taxable = false;
        check(
            &customer(),
            &[(untaxable, setup_done)],
            &california(),
            &["10 0.00/19.95", "charged 19.95"],
        );
        let exempt = Customer {
            tax_exempt: true,
            ..customer()
        };
        check(
            &exempt,
            &[taxable_monthly()],
            &california(),
            &["10 0.00/19.95", "charged 19.95"],
        );
    }

    #[test]
    fn an_address_without_a_tax_row_is_billed_untaxed_and_reported() {
        let berlin = Location {
            country: "DE".to_string(),
            city: "Berlin".to_string(),
            ..Location::default()
        };
        let bill = check(
            &customer(),
            &[(def(1, 0, 1995, "1", true), package(10, 1))],
            &berlin,
            &["10 0.00/19.95", "charged 19.95"],
        );
        assert_eq!(bill.untaxed.len(), 1);
        assert_eq!(bill.untaxed[0].pkgnum, 10);
        assert_eq!(bill.untaxed[0].country, "DE");
    }

    #[test]
    fn nothing_due_makes_no_invoice() {
        let billed = CustomerPackage {
            setup: Some(NOW - 86_400),
            bill: Some(NOW + 86_400),
            ..package(10, 1)
        };
        let bill = check(
            &customer(),
            &[(def(1, 1000, 1995, "1", true), billed)],
            &california(),
            &["no invoice"],
        );
        assert!(bill.dates.is_empty());
        // A free package still gets its dates.
        let bill = check(
            &customer(),
            &[(def(1, 0, 0, "1", true), package(10, 1))],
            &california(),
            &["no invoice"],
        );
        assert_eq!(bill.dates.len(), 1);
        assert_eq!(bill.dates[0].setup, Some(NOW));
    }

    #[test]
    fn complimentary_customers_get_nothing() {
        // Checklist 39.
        let comp = Customer {
            payby: "COMP".to_string(),
            ..customer()
        };
        let bill = check(
            &comp,
            &[(def(1, 1000, 1995, "1", true), package(10, 1))],
            &california(),
            &["no invoice"],
        );
        assert_eq!(bill, CustomerBill::default());
    }

    #[test]
    fn a_negative_package_refuses_the_whole_pass() {
        let negative = def(2, -500, 0, "0", true);
        let positive = def(1, 1000, 1995, "1", true);
        let first = package(10, 1);
        let second = package(11, 2);
        let location = california();
        let to_bill = [
            PackageToBill {
                package: &first,
                def: &positive,
                flags: PackageFlags::default(),
                tax_location: &location,
            },
            PackageToBill {
                package: &second,
                def: &negative,
                flags: PackageFlags::default(),
                tax_location: &location,
            },
        ];
        let refused = bill_customer(&customer(), &to_bill, &rates(), &utc(), NOW);
        assert_eq!(
            refused.unwrap_err().to_string(),
            "negative setup -5.00 for pkgnum 11"
        );
    }

    proptest! {
        #[test]
        fn charged_is_the_sum_of_the_lines_and_a_rerun_bills_nothing(
            fees in proptest::collection::vec((0i64..10_000, 0i64..10_000, 0usize..4, any::<bool>(), 1i64..4), 0..5),
            months_behind in 0i64..4,
        ) {
            let freqs = ["0", "1", "1w", "1d"];
            let location = california();
            let defs: Vec<PackageDef> = fees
                .iter()
                .enumerate()
                .map(|(idx, &(setup, recur, freq, taxable, _))| {
                    def(i64::try_from(idx).unwrap(), setup, recur, freqs[freq], taxable)
                })
                .collect();
            let mut packages: Vec<CustomerPackage> = fees
                .iter()
                .enumerate()
                .map(|(idx, &(_, _, _, _, quantity))| CustomerPackage {
                    quantity,
                    start_date: Some(NOW - months_behind * 2_592_000),
                    ..package(100 + i64::try_from(idx).unwrap(), i64::try_from(idx).unwrap())
                })
                .collect();
            let bill = {
                let to_bill: Vec<PackageToBill<'_>> = defs
                    .iter()
                    .zip(&packages)
                    .map(|(def, package)| PackageToBill { package, def, flags: PackageFlags::default(), tax_location: &location })
                    .collect();
                bill_customer(&customer(), &to_bill, &rates(), &utc(), NOW).unwrap()
            };
            for invoice in &bill.invoices {
                let sum: Money = invoice.lines.iter().map(|l| l.setup + l.recur).sum();
                prop_assert_eq!(invoice.charged, sum);
                prop_assert!(!invoice.lines.is_empty());
            }
            for dates in &bill.dates {
                let package = packages.iter_mut().find(|p| p.pkgnum == dates.pkgnum).unwrap();
                dates.apply_to(package);
            }
            let to_bill: Vec<PackageToBill<'_>> = defs
                .iter()
                .zip(&packages)
                .map(|(def, package)| PackageToBill { package, def, flags: PackageFlags::default(), tax_location: &location })
                .collect();
            let again = bill_customer(&customer(), &to_bill, &rates(), &utc(), NOW).unwrap();
            prop_assert_eq!(again, CustomerBill::default());
        }
    }
}
