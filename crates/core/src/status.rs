//! Customer and package status, derived from packages (never stored), with
//! Freeside's "Classic" rule order and colours (backend spec 7.1, 7.2).

/// The facts about one package that status depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageFacts {
    /// Its definition recurs (`freq` is not `0`).
    pub recurring: bool,
    /// `setup` is set (first billed).
    pub set_up: bool,
    /// `susp` is set.
    pub suspended: bool,
    /// `cancel` is set.
    pub cancelled: bool,
}

impl PackageFacts {
    fn live(self) -> bool {
        !self.cancelled && !self.suspended
    }
}

/// A customer's status (7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerStatus {
    /// No packages at all.
    Prospect,
    /// Some recurring package set up and live.
    Active,
    /// Some package live but not yet set up.
    Ordered,
    /// Only one-time packages live.
    Inactive,
    /// Some set-up package suspended.
    Suspended,
    /// Everything cancelled.
    Cancelled,
    /// None of the rules hold (e.g. only on-hold packages): empty strings.
    Unknown,
}

impl CustomerStatus {
    /// Derives the status from the customer's packages, cancelled ones included.
    pub fn derive(packages: &[PackageFacts]) -> CustomerStatus {
        if packages.is_empty() {
            return CustomerStatus::Prospect;
        }
        let any = |rule: fn(&PackageFacts) -> bool| packages.iter().any(rule);
        if any(|p| p.recurring && p.set_up && p.live()) {
            return CustomerStatus::Active;
        }
        if any(|p| !p.set_up && p.live()) {
            return CustomerStatus::Ordered;
        }
        let inactive = any(|p| !p.recurring && p.set_up && p.live());
        if inactive {
            return CustomerStatus::Inactive;
        }
        if any(|p| p.suspended && p.set_up && !p.cancelled) {
            return CustomerStatus::Suspended;
        }
        if !any(|p| p.recurring && !p.cancelled) && any(|p| p.cancelled) {
            return CustomerStatus::Cancelled;
        }
        CustomerStatus::Unknown
    }

    /// Derives the status from the facts a query aggregated: whether the
    /// customer has any package, and whether some package is
    /// recurring-set-up-live (active), not-set-up-live (ordered),
    /// one-time-set-up-live (inactive), set-up-suspended-uncancelled,
    /// recurring-uncancelled, or cancelled. Same rules as [`Self::derive`].
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    pub fn from_flags(
        any: bool,
        active: bool,
        ordered: bool,
        inactive: bool,
        suspended: bool,
        recurring_uncancelled: bool,
        cancelled: bool,
    ) -> CustomerStatus {
        if !any {
            CustomerStatus::Prospect
        } else if active {
            CustomerStatus::Active
        } else if ordered {
            CustomerStatus::Ordered
        } else if inactive {
            CustomerStatus::Inactive
        } else if suspended {
            CustomerStatus::Suspended
        } else if !recurring_uncancelled && cancelled {
            CustomerStatus::Cancelled
        } else {
            CustomerStatus::Unknown
        }
    }

    /// The wire name (`prospect`, `active`, …; empty for `Unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerStatus::Prospect => "prospect",
            CustomerStatus::Active => "active",
            CustomerStatus::Ordered => "ordered",
            CustomerStatus::Inactive => "inactive",
            CustomerStatus::Suspended => "suspended",
            CustomerStatus::Cancelled => "cancelled",
            CustomerStatus::Unknown => "",
        }
    }

    /// The colour Freeside shows it in (`statuscolor`).
    pub fn color(self) -> &'static str {
        match self {
            CustomerStatus::Prospect => "FF00F5",
            CustomerStatus::Active => "00CC00",
            CustomerStatus::Ordered => "009999",
            CustomerStatus::Inactive => "0000CC",
            CustomerStatus::Suspended => "FF9900",
            CustomerStatus::Cancelled => "FF0000",
            CustomerStatus::Unknown => "",
        }
    }
}

/// A package's status (7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageStatus {
    /// `cancel` set.
    Cancelled,
    /// Suspended before ever being set up.
    OnHold,
    /// `susp` set.
    Suspended,
    /// Not set up yet.
    NotYetBilled,
    /// Set up, one-time definition.
    OneTimeCharge,
    /// Otherwise.
    Active,
}

impl PackageStatus {
    /// Derives the status of one package.
    pub fn derive(package: PackageFacts) -> PackageStatus {
        if package.cancelled {
            PackageStatus::Cancelled
        } else if package.suspended && !package.set_up {
            PackageStatus::OnHold
        } else if package.suspended {
            PackageStatus::Suspended
        } else if !package.set_up {
            PackageStatus::NotYetBilled
        } else if !package.recurring {
            PackageStatus::OneTimeCharge
        } else {
            PackageStatus::Active
        }
    }

    /// The wire name (`not yet billed`, `on hold`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            PackageStatus::Cancelled => "cancelled",
            PackageStatus::OnHold => "on hold",
            PackageStatus::Suspended => "suspended",
            PackageStatus::NotYetBilled => "not yet billed",
            PackageStatus::OneTimeCharge => "one-time charge",
            PackageStatus::Active => "active",
        }
    }

    /// The colour of the status.
    pub fn color(self) -> &'static str {
        match self {
            PackageStatus::Cancelled => "FF0000",
            PackageStatus::OnHold => "FF00F5",
            PackageStatus::Suspended => "FF9900",
            PackageStatus::NotYetBilled => "009999",
            PackageStatus::OneTimeCharge => "0000CC",
            PackageStatus::Active => "00CC00",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn pkg(recurring: bool, set_up: bool, suspended: bool, cancelled: bool) -> PackageFacts {
        PackageFacts {
            recurring,
            set_up,
            suspended,
            cancelled,
        }
    }
    const ORDERED: PackageFacts = pkg(true, false, false, false);
    const ACTIVE: PackageFacts = pkg(true, true, false, false);
    const SUSPENDED: PackageFacts = pkg(true, true, true, false);
    const CANCELLED: PackageFacts = pkg(true, true, false, true);
    const ONE_TIME: PackageFacts = pkg(false, true, false, false);
    const ON_HOLD: PackageFacts = pkg(true, false, true, false);

    fn check(packages: &[PackageFacts], status: &str, color: &str) {
        let derived = CustomerStatus::derive(packages);
        assert_eq!(
            (derived.as_str(), derived.color()),
            (status, color),
            "{packages:?}"
        );
    }

    #[test]
    fn customer_status_follows_the_classic_order() {
        check(&[], "prospect", "FF00F5");
        check(&[ORDERED], "ordered", "009999");
        check(&[ACTIVE], "active", "00CC00");
        check(&[ACTIVE, SUSPENDED, ORDERED], "active", "00CC00");
        check(&[SUSPENDED], "suspended", "FF9900");
        check(&[CANCELLED], "cancelled", "FF0000");
        check(&[ONE_TIME], "inactive", "0000CC");
        check(&[ONE_TIME, CANCELLED], "inactive", "0000CC");
        check(&[ON_HOLD], "", "");
        check(&[SUSPENDED, CANCELLED], "suspended", "FF9900");
        check(&[pkg(false, true, false, true)], "cancelled", "FF0000");
    }

    #[test]
    fn flags_give_the_same_status_as_the_packages() {
        let sets: &[&[PackageFacts]] = &[
            &[],
            &[ORDERED],
            &[ACTIVE],
            &[ACTIVE, SUSPENDED, ORDERED],
            &[SUSPENDED],
            &[CANCELLED],
            &[ONE_TIME],
            &[ONE_TIME, CANCELLED],
            &[ON_HOLD],
            &[SUSPENDED, CANCELLED],
            &[pkg(false, true, false, true)],
            &[ON_HOLD, CANCELLED],
            &[pkg(false, false, true, false)],
        ];
        for packages in sets {
            let any = |rule: fn(&PackageFacts) -> bool| packages.iter().any(rule);
            let from_flags = CustomerStatus::from_flags(
                !packages.is_empty(),
                any(|p| p.recurring && p.set_up && !p.cancelled && !p.suspended),
                any(|p| !p.set_up && !p.cancelled && !p.suspended),
                any(|p| !p.recurring && p.set_up && !p.cancelled && !p.suspended),
                any(|p| p.suspended && p.set_up && !p.cancelled),
                any(|p| p.recurring && !p.cancelled),
                any(|p| p.cancelled),
            );
            assert_eq!(from_flags, CustomerStatus::derive(packages), "{packages:?}");
        }
    }

    #[test]
    fn package_status_follows_the_rule_order() {
        let cases = [
            (CANCELLED, "cancelled"),
            (ON_HOLD, "on hold"),
            (SUSPENDED, "suspended"),
            (ORDERED, "not yet billed"),
            (ONE_TIME, "one-time charge"),
            (ACTIVE, "active"),
        ];
        for (facts, expected) in cases {
            assert_eq!(PackageStatus::derive(facts).as_str(), expected);
        }
    }
}
