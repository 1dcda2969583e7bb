//! Rows → domain types, in one place: the column lists each query selects
//! and the functions that read them back. Money columns are integer cents.

use bursar_core::model::{Customer, CustomerPackage, Location, Payment};
use bursar_core::Money;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Columns of `cust_location`, in [`location`]'s order.
pub(crate) const LOCATION_COLUMNS: &str = "locationnum, custnum, locationname, address1, address2, city, county, \
    state, zip, country, latitude, longitude, coord_auto, addr_clean, geocode, district, censustract, censusyear, \
    location_type, location_number, location_kind, incorporated, disabled";

pub(crate) fn location(row: &AnyRow) -> Location {
    location_at(row, 0)
}

/// Reads [`LOCATION_COLUMNS`] starting at column `at`; a row of a LEFT JOIN
/// that matched nothing gives an empty location.
pub(crate) fn location_at(row: &AnyRow, at: usize) -> Location {
    let text = |idx: usize| row.get::<Option<String>, _>(at + idx).unwrap_or_default();
    let Some(locationnum) = row.get::<Option<i64>, _>(at) else {
        return Location::default();
    };
    Location {
        locationnum,
        custnum: row.get::<Option<i64>, _>(at + 1).unwrap_or_default(),
        locationname: text(2),
        address1: text(3),
        address2: text(4),
        city: text(5),
        county: text(6),
        state: text(7),
        zip: text(8),
        country: text(9),
        latitude: text(10),
        longitude: text(11),
        coord_auto: text(12),
        addr_clean: text(13),
        geocode: text(14),
        district: text(15),
        censustract: text(16),
        censusyear: text(17),
        location_type: text(18),
        location_number: text(19),
        location_kind: text(20),
        incorporated: text(21),
        disabled: text(22) == "Y",
    }
}

/// Columns of `cust_main`, in [`customer`]'s order (never `payinfo`).
pub(crate) const CUSTOMER_COLUMNS: &str = "custnum, agentnum, agent_custid, refnum, classnum, salesnum, usernum, \
    first, last, company, daytime, night, fax, mobile, referral_custnum, bill_locationnum, ship_locationnum, \
    postal_invoice, tax_exempt, signupdate, payby, paymask, paycardtype, paydate, payname";

pub(crate) fn customer(row: &AnyRow) -> Customer {
    Customer {
        custnum: row.get(0),
        agentnum: row.get(1),
        agent_custid: row.get::<Option<String>, _>(2).unwrap_or_default(),
        refnum: row.get(3),
        classnum: row.get(4),
        salesnum: row.get(5),
        usernum: row.get(6),
        first: row.get(7),
        last: row.get(8),
        company: row.get(9),
        daytime: row.get(10),
        night: row.get(11),
        fax: row.get(12),
        mobile: row.get(13),
        referral_custnum: row.get(14),
        bill_locationnum: row.get::<Option<i64>, _>(15).unwrap_or_default(),
        ship_locationnum: row.get::<Option<i64>, _>(16).unwrap_or_default(),
        postal_invoice: row.get::<String, _>(17) == "Y",
        tax_exempt: row.get::<String, _>(18) == "Y",
        signupdate: row.get(19),
        payby: row.get(20),
        paymask: row.get(21),
        paycardtype: row.get(22),
        paydate: row.get(23),
        payname: row.get(24),
    }
}

/// Columns of `cust_pkg`, in [`package`]'s order.
pub(crate) const PACKAGE_COLUMNS: &str = "pkgnum, custnum, pkgpart, locationnum, quantity, order_date, start_date, \
    setup, bill, last_bill, susp, adjourn, resume, expire, cancel, contract_end, change_date, change_pkgnum";

pub(crate) fn package(row: &AnyRow) -> CustomerPackage {
    CustomerPackage {
        pkgnum: row.get(0),
        custnum: row.get(1),
        pkgpart: row.get(2),
        locationnum: row.get::<Option<i64>, _>(3).unwrap_or_default(),
        quantity: row.get(4),
        order_date: row.get(5),
        start_date: row.get(6),
        setup: row.get(7),
        bill: row.get(8),
        last_bill: row.get(9),
        susp: row.get(10),
        adjourn: row.get(11),
        resume: row.get(12),
        expire: row.get(13),
        cancel: row.get(14),
        contract_end: row.get(15),
        change_date: row.get(16),
        change_pkgnum: row.get(17),
    }
}

/// Columns of `cust_pay`, in [`payment`]'s order (never `payinfo`).
pub(crate) const PAYMENT_COLUMNS: &str =
    "paynum, custnum, _date, paid, payby, paymask, paybatch, payunique, \
    order_number, auth, processor, no_auto_apply, pkgnum";

pub(crate) fn payment(row: &AnyRow) -> Payment {
    Payment {
        paynum: row.get(0),
        custnum: row.get(1),
        date: row.get(2),
        paid: Money::from_cents(row.get(3)),
        payby: row.get(4),
        paymask: row.get(5),
        paybatch: row.get(6),
        payunique: row.get(7),
        order_number: row.get(8),
        auth: row.get(9),
        processor: row.get(10),
        no_auto_apply: row.get::<String, _>(11) == "Y",
        pkgnum: row.get(12),
    }
}

/// Reads an optional text flag column (`Y` or empty) as stored.
pub(crate) fn flag(value: bool) -> &'static str {
    if value {
        "Y"
    } else {
        ""
    }
}
