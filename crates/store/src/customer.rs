//! Customers (`cust_main`), their locations (`cust_location`) and invoicing
//! destinations, plus the derived balance and status, read in a fixed few
//! queries however many customers are asked for (no N+1).

use std::collections::HashMap;

use bursar_core::ledger::LedgerTotals;
use bursar_core::model::{Customer, CustomerPackage, Location};
use bursar_core::status::{CustomerStatus, PackageFacts};
use bursar_core::Money;
use sqlx::Row;

use crate::rows::{self, flag, CUSTOMER_COLUMNS, LOCATION_COLUMNS, PACKAGE_COLUMNS};
use crate::{Backend, Conn, Error, Result, Store};

/// A customer to insert: the record's fields (validated by the caller) and
/// the clear payment details, which are encrypted here.
#[derive(Clone, Default)]
pub struct NewCustomer {
    /// The fields of the record; `custnum`, the location numbers and the
    /// masked payment fields are filled in by the store.
    pub customer: Customer,
    /// Clear card number or bank account (`payinfo`), encrypted at rest.
    pub payinfo: String,
    /// Address the payment details were entered from.
    pub payip: String,
    /// Billing address.
    pub bill_location: Location,
    /// Service address, when it differs from the billing one.
    pub ship_location: Option<Location>,
    /// Invoice e-mail destinations.
    pub invoice_emails: Vec<String>,
}

impl std::fmt::Debug for NewCustomer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCustomer")
            .field("customer", &self.customer)
            .field("payinfo", &"<secret>")
            .finish_non_exhaustive()
    }
}

/// One line of a customer list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSummary {
    /// The record.
    pub customer: Customer,
    /// Positive when the customer owes.
    pub balance: Money,
    /// Derived from the packages.
    pub status: CustomerStatus,
}

/// Everything `customer show` and `customer_info` need about one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerDetails {
    /// The record.
    pub customer: Customer,
    /// Billing location.
    pub bill_location: Location,
    /// Service location (equal to the billing one when shared).
    pub ship_location: Location,
    /// Every location of the customer, by number.
    pub locations: Vec<Location>,
    /// Every package, cancelled ones included, by number.
    pub packages: Vec<CustomerPackage>,
    /// E-mail addresses that get invoices.
    pub invoice_emails: Vec<String>,
    /// The ledger's totals.
    pub totals: LedgerTotals,
    /// Derived from the packages.
    pub status: CustomerStatus,
}

/// Inserts `location` for `custnum`, or returns the number of an identical
/// location the customer has (Freeside's find-or-insert on the address).
pub async fn find_or_insert_location(
    conn: &mut Conn,
    custnum: i64,
    location: &Location,
) -> Result<i64> {
    let found = sqlx::query(
        "SELECT locationnum FROM cust_location WHERE custnum = $1 AND address1 = $2 AND address2 = $3 AND city = $4 \
         AND county = $5 AND state = $6 AND zip = $7 AND country = $8 AND location_type = $9 \
         AND location_number = $10 AND location_kind = $11 AND locationname = $12 ORDER BY locationnum LIMIT 1",
    )
    .bind(custnum)
    .bind(&location.address1)
    .bind(&location.address2)
    .bind(&location.city)
    .bind(&location.county)
    .bind(&location.state)
    .bind(&location.zip)
    .bind(&location.country)
    .bind(&location.location_type)
    .bind(&location.location_number)
    .bind(&location.location_kind)
    .bind(&location.locationname)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = found {
        let locationnum: i64 = row.get(0);
        sqlx::query("UPDATE cust_location SET disabled = '' WHERE locationnum = $1")
            .bind(locationnum)
            .execute(&mut *conn)
            .await?;
        return Ok(locationnum);
    }
    Ok(sqlx::query(
        "INSERT INTO cust_location (custnum, locationname, address1, address2, city, county, state, zip, country, \
         latitude, longitude, coord_auto, addr_clean, geocode, district, censustract, censusyear, location_type, \
         location_number, location_kind, incorporated) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
         RETURNING locationnum",
    )
    .bind(custnum)
    .bind(&location.locationname)
    .bind(&location.address1)
    .bind(&location.address2)
    .bind(&location.city)
    .bind(&location.county)
    .bind(&location.state)
    .bind(&location.zip)
    .bind(&location.country)
    .bind(&location.latitude)
    .bind(&location.longitude)
    .bind(&location.coord_auto)
    .bind(&location.addr_clean)
    .bind(&location.geocode)
    .bind(&location.district)
    .bind(&location.censustract)
    .bind(&location.censusyear)
    .bind(&location.location_type)
    .bind(&location.location_number)
    .bind(&location.location_kind)
    .bind(&location.incorporated)
    .fetch_one(&mut *conn)
    .await?
    .get(0))
}

/// Inserts a customer with its locations and invoicing destinations;
/// returns the new `custnum`.
///
/// # Errors
/// [`Error::Conflict`] when a reference (agent, source, employee) is missing
/// or `agent_custid` is taken for the agent.
pub async fn insert_customer(conn: &mut Conn, store: &Store, new: &NewCustomer) -> Result<i64> {
    let c = &new.customer;
    let payinfo = store.cipher().encrypt(&new.payinfo);
    let agent_custid = (!c.agent_custid.is_empty()).then_some(c.agent_custid.as_str());
    let custnum: i64 = sqlx::query(
        "INSERT INTO cust_main (agentnum, agent_custid, refnum, classnum, salesnum, usernum, first, last, company, \
         daytime, night, fax, mobile, referral_custnum, postal_invoice, tax_exempt, signupdate, payby, payinfo, \
         paymask, paycardtype, paydate, payname, payip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) \
         RETURNING custnum",
    )
    .bind(c.agentnum)
    .bind(agent_custid)
    .bind(c.refnum)
    .bind(c.classnum)
    .bind(c.salesnum)
    .bind(c.usernum)
    .bind(&c.first)
    .bind(&c.last)
    .bind(&c.company)
    .bind(&c.daytime)
    .bind(&c.night)
    .bind(&c.fax)
    .bind(&c.mobile)
    .bind(c.referral_custnum)
    .bind(flag(c.postal_invoice))
    .bind(flag(c.tax_exempt))
    .bind(c.signupdate)
    .bind(&c.payby)
    .bind(payinfo)
    .bind(&c.paymask)
    .bind(&c.paycardtype)
    .bind(&c.paydate)
    .bind(&c.payname)
    .bind(&new.payip)
    .fetch_one(&mut *conn)
    .await?
    .get(0);
    let bill = find_or_insert_location(conn, custnum, &new.bill_location).await?;
    let ship = match &new.ship_location {
        Some(ship) => find_or_insert_location(conn, custnum, ship).await?,
        None => bill,
    };
    sqlx::query(
        "UPDATE cust_main SET bill_locationnum = $1, ship_locationnum = $2 WHERE custnum = $3",
    )
    .bind(bill)
    .bind(ship)
    .bind(custnum)
    .execute(&mut *conn)
    .await?;
    set_invoice_emails(conn, custnum, &new.invoice_emails).await?;
    Ok(custnum)
}

/// Makes `emails` exactly the customer's invoice destinations: listed
/// addresses get `invoice_dest`, others lose it (their contact stays).
pub async fn set_invoice_emails(conn: &mut Conn, custnum: i64, emails: &[String]) -> Result<()> {
    sqlx::query("UPDATE cust_contact_email SET invoice_dest = '' WHERE custnum = $1")
        .bind(custnum)
        .execute(&mut *conn)
        .await?;
    for email in emails {
        sqlx::query(
            "INSERT INTO cust_contact_email (custnum, emailaddress, invoice_dest) VALUES ($1, $2, 'Y') \
             ON CONFLICT (custnum, emailaddress) DO UPDATE SET invoice_dest = 'Y'",
        )
        .bind(custnum)
        .bind(email)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Reads one customer record.
///
/// # Errors
/// [`Error::NotFound`] when there is no such customer.
pub async fn customer(conn: &mut Conn, custnum: i64) -> Result<Customer> {
    let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM cust_main WHERE custnum = $1");
    let row = sqlx::query(&sql)
        .bind(custnum)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(rows::customer(&row))
}

/// The decrypted payment details (`payinfo`) of a customer, for charging.
///
/// # Errors
/// [`Error::NotFound`], or [`Error::Corrupt`] with the wrong key.
pub async fn customer_payinfo(conn: &mut Conn, store: &Store, custnum: i64) -> Result<String> {
    let row = sqlx::query("SELECT payinfo FROM cust_main WHERE custnum = $1")
        .bind(custnum)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound)?;
    store.cipher().decrypt(&row.get::<String, _>(0))
}

/// The ledger totals of one customer, in one query.
pub async fn ledger_totals(conn: &mut Conn, custnum: i64) -> Result<LedgerTotals> {
    let row = sqlx::query(
        "SELECT CAST((SELECT COALESCE(SUM(charged), 0) FROM cust_bill WHERE custnum = $1) AS BIGINT), \
                CAST((SELECT COALESCE(SUM(paid), 0) FROM cust_pay WHERE custnum = $1) AS BIGINT), \
                CAST((SELECT COALESCE(SUM(amount), 0) FROM cust_credit WHERE custnum = $1) AS BIGINT), \
                CAST((SELECT COALESCE(SUM(refund), 0) FROM cust_refund WHERE custnum = $1) AS BIGINT)",
    )
    .bind(custnum)
    .fetch_one(conn)
    .await?;
    Ok(LedgerTotals {
        charged: Money::from_cents(row.get(0)),
        paid: Money::from_cents(row.get(1)),
        credited: Money::from_cents(row.get(2)),
        refunded: Money::from_cents(row.get(3)),
    })
}

/// The status facts of every package of the customers in `custnums`.
async fn package_facts(
    conn: &mut Conn,
    first: i64,
    last: i64,
) -> Result<HashMap<i64, Vec<PackageFacts>>> {
    let mut facts: HashMap<i64, Vec<PackageFacts>> = HashMap::new();
    for row in sqlx::query(
        "SELECT p.custnum, d.freq, p.setup, p.susp, p.cancel FROM cust_pkg p JOIN part_pkg d ON d.pkgpart = p.pkgpart \
         WHERE p.custnum BETWEEN $1 AND $2",
    )
    .bind(first)
    .bind(last)
    .fetch_all(conn)
    .await?
    {
        facts.entry(row.get(0)).or_default().push(PackageFacts {
            recurring: row.get::<String, _>(1) != "0",
            set_up: row.get::<Option<i64>, _>(2).is_some(),
            suspended: row.get::<Option<i64>, _>(3).is_some(),
            cancelled: row.get::<Option<i64>, _>(4).is_some(),
        });
    }
    Ok(facts)
}

/// Lists customers with `custnum` above `after`, at most `limit`, with their
/// balance and status, in four queries whatever the count.
pub async fn list_customers(
    conn: &mut Conn,
    after: i64,
    limit: i64,
) -> Result<Vec<CustomerSummary>> {
    let sql = format!(
        "SELECT {CUSTOMER_COLUMNS} FROM cust_main WHERE custnum > $1 ORDER BY custnum LIMIT $2"
    );
    let customers: Vec<Customer> = sqlx::query(&sql)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(rows::customer)
        .collect();
    let (Some(first), Some(last)) = (customers.first(), customers.last()) else {
        return Ok(Vec::new());
    };
    let (first, last) = (first.custnum, last.custnum);
    let mut totals: HashMap<i64, LedgerTotals> = HashMap::new();
    let sums = [
        ("SELECT custnum, CAST(SUM(charged) AS BIGINT) FROM cust_bill WHERE custnum BETWEEN $1 AND $2 GROUP BY custnum", 0),
        ("SELECT custnum, CAST(SUM(paid) AS BIGINT) FROM cust_pay WHERE custnum BETWEEN $1 AND $2 GROUP BY custnum", 1),
        ("SELECT custnum, CAST(SUM(amount) AS BIGINT) FROM cust_credit WHERE custnum BETWEEN $1 AND $2 GROUP BY custnum", 2),
        ("SELECT custnum, CAST(SUM(refund) AS BIGINT) FROM cust_refund WHERE custnum BETWEEN $1 AND $2 GROUP BY custnum", 3),
    ];
    for (sql, which) in sums {
        for row in sqlx::query(sql)
            .bind(first)
            .bind(last)
            .fetch_all(&mut *conn)
            .await?
        {
            let entry = totals.entry(row.get(0)).or_default();
            let amount = Money::from_cents(row.get(1));
            match which {
                0 => entry.charged = amount,
                1 => entry.paid = amount,
                2 => entry.credited = amount,
                _ => entry.refunded = amount,
            }
        }
    }
    let facts = package_facts(conn, first, last).await?;
    Ok(customers
        .into_iter()
        .map(|customer| {
            let balance = totals
                .get(&customer.custnum)
                .copied()
                .unwrap_or_default()
                .balance();
            let status = CustomerStatus::derive(
                facts
                    .get(&customer.custnum)
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
            );
            CustomerSummary {
                customer,
                balance,
                status,
            }
        })
        .collect())
}

/// Reads a customer with locations, packages, invoicing list, ledger totals
/// and status.
///
/// # Errors
/// [`Error::NotFound`] when there is no such customer.
pub async fn customer_details(conn: &mut Conn, custnum: i64) -> Result<CustomerDetails> {
    let customer = customer(conn, custnum).await?;
    let sql = format!(
        "SELECT {LOCATION_COLUMNS} FROM cust_location WHERE custnum = $1 ORDER BY locationnum"
    );
    let locations: Vec<Location> = sqlx::query(&sql)
        .bind(custnum)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(rows::location)
        .collect();
    let find = |num: i64| {
        locations
            .iter()
            .find(|l| l.locationnum == num)
            .cloned()
            .unwrap_or_default()
    };
    let bill_location = find(customer.bill_locationnum);
    let ship_location = find(customer.ship_locationnum);
    let sql = format!("SELECT {PACKAGE_COLUMNS} FROM cust_pkg WHERE custnum = $1 ORDER BY pkgnum");
    let packages: Vec<CustomerPackage> = sqlx::query(&sql)
        .bind(custnum)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(rows::package)
        .collect();
    let invoice_emails = sqlx::query(
        "SELECT emailaddress FROM cust_contact_email WHERE custnum = $1 AND invoice_dest = 'Y' ORDER BY emailaddress",
    )
    .bind(custnum)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    let totals = ledger_totals(conn, custnum).await?;
    let facts = package_facts(conn, custnum, custnum).await?;
    let status = CustomerStatus::derive(facts.get(&custnum).map(Vec::as_slice).unwrap_or_default());
    Ok(CustomerDetails {
        customer,
        bill_location,
        ship_location,
        locations,
        packages,
        invoice_emails,
        totals,
        status,
    })
}

impl Store {
    /// [`list_customers`] on a read snapshot.
    ///
    /// # Errors
    /// [`Error::Backend`] when the database fails.
    pub async fn list_customers(&self, after: i64, limit: i64) -> Result<Vec<CustomerSummary>> {
        let mut tx = self.read().await?;
        let list = list_customers(&mut tx, after, limit).await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// [`customer_details`] on a read snapshot.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such customer.
    pub async fn customer_details(&self, custnum: i64) -> Result<CustomerDetails> {
        let mut tx = self.read().await?;
        let details = customer_details(&mut tx, custnum).await?;
        tx.rollback().await?;
        Ok(details)
    }
}

/// What `customer_info` shows: the record, its two locations, the ledger
/// totals, the derived status and the invoice e-mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerCard {
    /// The record.
    pub customer: Customer,
    /// Billing location.
    pub bill_location: Location,
    /// Service location.
    pub ship_location: Location,
    /// The ledger's totals.
    pub totals: LedgerTotals,
    /// Derived from the packages.
    pub status: CustomerStatus,
    /// E-mail addresses that get invoices.
    pub invoice_emails: Vec<String>,
}

/// Reads a [`CustomerCard`] in one query and no transaction (this is the
/// back-office's hottest read): the record with both locations, the ledger
/// sums, the facts status derives from, and the invoice e-mails, each as a
/// subselect. The e-mail aggregate is the one part whose SQL differs by
/// backend (`group_concat` / `string_agg`).
///
/// # Errors
/// [`Error::NotFound`] when there is no such customer.
pub async fn customer_card(
    conn: &mut Conn,
    backend: Backend,
    custnum: i64,
) -> Result<CustomerCard> {
    static SQL: [std::sync::OnceLock<String>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    let sql = SQL[usize::from(backend == Backend::Postgres)].get_or_init(|| card_sql(backend));
    let row = sqlx::query(sql)
        .bind(custnum)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)?;
    let text = |idx: usize| row.get::<Option<String>, _>(idx).unwrap_or_default();
    let customer = Customer {
        custnum: row.get(0),
        agentnum: row.get(1),
        agent_custid: text(2),
        refnum: row.get(3),
        classnum: row.get(4),
        salesnum: row.get(5),
        usernum: row.get(6),
        first: text(7),
        last: text(8),
        company: text(9),
        daytime: text(10),
        night: text(11),
        fax: text(12),
        mobile: text(13),
        referral_custnum: row.get(14),
        bill_locationnum: row.get::<Option<i64>, _>(15).unwrap_or_default(),
        ship_locationnum: row.get::<Option<i64>, _>(16).unwrap_or_default(),
        postal_invoice: text(17) == "Y",
        ..Customer::default()
    };
    let address = |at: usize| Location {
        locationnum: row.get::<Option<i64>, _>(at).unwrap_or_default(),
        address1: text(at + 1),
        address2: text(at + 2),
        city: text(at + 3),
        county: text(at + 4),
        state: text(at + 5),
        zip: text(at + 6),
        country: text(at + 7),
        ..Location::default()
    };
    let bill_location = address(18);
    let ship_location = address(26);
    let at = 34;
    let totals = LedgerTotals {
        charged: Money::from_cents(row.get(at)),
        paid: Money::from_cents(row.get(at + 1)),
        credited: Money::from_cents(row.get(at + 2)),
        refunded: Money::from_cents(row.get(at + 3)),
    };
    let flag = |idx: usize| row.get::<i64, _>(at + 4 + idx) != 0;
    let status = CustomerStatus::from_flags(
        flag(0),
        flag(1),
        flag(2),
        flag(3),
        flag(4),
        flag(5),
        flag(6),
    );
    let emails: Option<String> = row.get(at + 11);
    let mut invoice_emails: Vec<String> = emails
        .unwrap_or_default()
        .split('\n')
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect();
    invoice_emails.sort();
    Ok(CustomerCard {
        customer,
        bill_location,
        ship_location,
        totals,
        status,
        invoice_emails,
    })
}

/// The one statement of [`customer_card`] for `backend`.
fn card_sql(backend: Backend) -> String {
    // Only what customer_info shows: every column read costs an allocation.
    const CARD_CUSTOMER: &str = "custnum, agentnum, agent_custid, refnum, classnum, salesnum, usernum, first, last, \
        company, daytime, night, fax, mobile, referral_custnum, bill_locationnum, ship_locationnum, postal_invoice";
    const CARD_LOCATION: &str =
        "locationnum, address1, address2, city, county, state, zip, country";
    let columns = |alias: &str, list: &str| {
        list.split(',')
            .map(|c| format!("{alias}.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let packages =
        "FROM cust_pkg p JOIN part_pkg d ON d.pkgpart = p.pkgpart WHERE p.custnum = c.custnum";
    let exists = |condition: &str| {
        format!("CASE WHEN EXISTS (SELECT 1 {packages} AND {condition}) THEN 1 ELSE 0 END")
    };
    let emails = match backend {
        Backend::Sqlite => "(SELECT group_concat(emailaddress, char(10)) FROM cust_contact_email WHERE custnum = c.custnum AND invoice_dest = 'Y')",
        Backend::Postgres => "(SELECT string_agg(emailaddress, chr(10)) FROM cust_contact_email WHERE custnum = c.custnum AND invoice_dest = 'Y')",
    };
    format!(
        "SELECT {customer}, {bill}, {ship}, \
         CAST((SELECT COALESCE(SUM(charged), 0) FROM cust_bill WHERE custnum = c.custnum) AS BIGINT), \
         CAST((SELECT COALESCE(SUM(paid), 0) FROM cust_pay WHERE custnum = c.custnum) AS BIGINT), \
         CAST((SELECT COALESCE(SUM(amount), 0) FROM cust_credit WHERE custnum = c.custnum) AS BIGINT), \
         CAST((SELECT COALESCE(SUM(refund), 0) FROM cust_refund WHERE custnum = c.custnum) AS BIGINT), \
         {any}, {active}, {ordered}, {inactive}, {suspended}, {recurring_uncancelled}, {cancelled}, {emails} \
         FROM cust_main c LEFT JOIN cust_location b ON b.locationnum = c.bill_locationnum \
         LEFT JOIN cust_location s ON s.locationnum = c.ship_locationnum WHERE c.custnum = $1",
        customer = columns("c", CARD_CUSTOMER),
        bill = columns("b", CARD_LOCATION),
        ship = columns("s", CARD_LOCATION),
        any = exists("1 = 1"),
        active = exists("d.freq <> '0' AND p.setup IS NOT NULL AND p.cancel IS NULL AND p.susp IS NULL"),
        ordered = exists("p.setup IS NULL AND p.cancel IS NULL AND p.susp IS NULL"),
        inactive = exists("d.freq = '0' AND p.setup IS NOT NULL AND p.cancel IS NULL AND p.susp IS NULL"),
        suspended = exists("p.susp IS NOT NULL AND p.setup IS NOT NULL AND p.cancel IS NULL"),
        recurring_uncancelled = exists("d.freq <> '0' AND p.cancel IS NULL"),
        cancelled = exists("p.cancel IS NOT NULL"),
    )
}

impl Store {
    /// [`customer_card`] on a pooled reader connection.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such customer.
    pub async fn customer_card(&self, custnum: i64) -> Result<CustomerCard> {
        let mut conn = self.read.acquire().await?;
        customer_card(&mut conn, self.backend, custnum).await
    }
}
