//! Changing a customer after sign-up (`update_customer`), the lookups the
//! customer methods check references against (agents, advertising sources,
//! referring customers, sales people, `agent_custid` uniqueness, the
//! locality table) and the location listing of `location_info`.
//!
//! Nothing here validates field syntax: callers pass values their rules have
//! already cleaned. Every function runs on the caller's transaction.

use bursar_core::model::{Customer, Location};
use sqlx::Row;

use crate::rows::{self, flag, LOCATION_COLUMNS};
use crate::{Backend, Conn, Error, Result, Store};

/// A customer's new state, as `update_customer` computed it: every column
/// the API may change, plus the payment details when they changed.
#[derive(Clone, Default)]
pub struct CustomerUpdate {
    /// The record with its new values; `custnum` names the row. The
    /// creation fields (`usernum`, `signupdate`, `classnum`, `tax_exempt`)
    /// are not written.
    pub customer: Customer,
    /// New clear `payinfo` (encrypted here); `None` keeps the stored one.
    pub payinfo: Option<String>,
    /// New `payip`; `None` keeps the stored one.
    pub payip: Option<String>,
}

impl std::fmt::Debug for CustomerUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerUpdate")
            .field("customer", &self.customer)
            .field("payinfo", &self.payinfo.as_ref().map(|_| "<secret>"))
            .field("payip", &self.payip)
            .finish()
    }
}

/// Writes the changeable columns of a customer (its locations included).
///
/// # Errors
/// [`Error::NotFound`] when there is no such customer, [`Error::Conflict`]
/// when a reference is missing or `agent_custid` is taken for the agent.
pub async fn update_customer(
    conn: &mut Conn,
    store: &Store,
    update: &CustomerUpdate,
) -> Result<()> {
    let c = &update.customer;
    let agent_custid = (!c.agent_custid.is_empty()).then_some(c.agent_custid.as_str());
    let done = sqlx::query(
        "UPDATE cust_main SET agentnum = $1, agent_custid = $2, refnum = $3, salesnum = $4, first = $5, last = $6, \
         company = $7, daytime = $8, night = $9, fax = $10, mobile = $11, referral_custnum = $12, \
         bill_locationnum = $13, ship_locationnum = $14, postal_invoice = $15, payby = $16, paymask = $17, \
         paycardtype = $18, paydate = $19, payname = $20 WHERE custnum = $21",
    )
    .bind(c.agentnum)
    .bind(agent_custid)
    .bind(c.refnum)
    .bind(c.salesnum)
    .bind(&c.first)
    .bind(&c.last)
    .bind(&c.company)
    .bind(&c.daytime)
    .bind(&c.night)
    .bind(&c.fax)
    .bind(&c.mobile)
    .bind(c.referral_custnum)
    .bind(c.bill_locationnum)
    .bind(c.ship_locationnum)
    .bind(flag(c.postal_invoice))
    .bind(&c.payby)
    .bind(&c.paymask)
    .bind(&c.paycardtype)
    .bind(&c.paydate)
    .bind(&c.payname)
    .bind(c.custnum)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    if let Some(payinfo) = &update.payinfo {
        sqlx::query("UPDATE cust_main SET payinfo = $1 WHERE custnum = $2")
            .bind(store.cipher().encrypt(payinfo))
            .bind(c.custnum)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(payip) = &update.payip {
        sqlx::query("UPDATE cust_main SET payip = $1 WHERE custnum = $2")
            .bind(payip)
            .bind(c.custnum)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Takes the customer's row lock for the rest of the transaction, so
/// concurrent changes of one customer serialise (PostgreSQL `FOR UPDATE`;
/// SQLite's single writer already serialises). Returns false when there is
/// no such customer.
pub async fn lock_customer(conn: &mut Conn, backend: Backend, custnum: i64) -> Result<bool> {
    // SQLite has no row locks and refuses the clause; its writes are
    // serialised by the one writer connection.
    let sql = match backend {
        Backend::Postgres => "SELECT custnum FROM cust_main WHERE custnum = $1 FOR UPDATE",
        Backend::Sqlite => "SELECT custnum FROM cust_main WHERE custnum = $1",
    };
    Ok(sqlx::query(sql)
        .bind(custnum)
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// Every location of a customer, disabled ones included, by number.
pub async fn locations(conn: &mut Conn, custnum: i64) -> Result<Vec<Location>> {
    let sql = format!(
        "SELECT {LOCATION_COLUMNS} FROM cust_location WHERE custnum = $1 ORDER BY locationnum"
    );
    Ok(sqlx::query(&sql)
        .bind(custnum)
        .fetch_all(conn)
        .await?
        .iter()
        .map(rows::location)
        .collect())
}

/// Disables a location that neither a customer (billing or service) nor a
/// package that is not cancelled uses any more; a used one is left alone.
pub async fn disable_location_if_unused(conn: &mut Conn, locationnum: i64) -> Result<()> {
    sqlx::query(
        "UPDATE cust_location SET disabled = 'Y' WHERE locationnum = $1 \
         AND NOT EXISTS (SELECT 1 FROM cust_main WHERE bill_locationnum = $1 OR ship_locationnum = $1) \
         AND NOT EXISTS (SELECT 1 FROM cust_pkg WHERE locationnum = $1 AND cancel IS NULL)",
    )
    .bind(locationnum)
    .execute(conn)
    .await?;
    Ok(())
}

/// The packages of a customer at `locationnum` that are not cancelled, by
/// number.
pub async fn packages_at_location(
    conn: &mut Conn,
    custnum: i64,
    locationnum: i64,
) -> Result<Vec<i64>> {
    Ok(sqlx::query(
        "SELECT pkgnum FROM cust_pkg WHERE custnum = $1 AND locationnum = $2 AND cancel IS NULL ORDER BY pkgnum",
    )
    .bind(custnum)
    .bind(locationnum)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| row.get(0))
    .collect())
}

/// Whether `(state, county, country)` is a known locality (backend spec
/// 5.2): the country has a row with an empty state (it has no
/// subdivisions, so any state and county pass), or a row with exactly this
/// state and county exists. The table holds the seeded localities and
/// every tax rate's place. Counties compare without regard to case, as the
/// catalog stores them upper-cased.
pub async fn locality_known(
    conn: &mut Conn,
    country: &str,
    state: &str,
    county: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 FROM cust_main_county WHERE country = $1 \
         AND (state = '' OR (state = $2 AND (county = $3 OR county = $4))) LIMIT 1",
    )
    .bind(country)
    .bind(state)
    .bind(county.to_uppercase())
    .bind(county)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Whether agent `agentnum` exists.
pub async fn agent_exists(conn: &mut Conn, agentnum: i64) -> Result<bool> {
    exists(conn, "SELECT 1 FROM agent WHERE agentnum = $1", agentnum).await
}

/// Whether advertising source `refnum` exists.
pub async fn source_exists(conn: &mut Conn, refnum: i64) -> Result<bool> {
    exists(
        conn,
        "SELECT 1 FROM part_referral WHERE refnum = $1",
        refnum,
    )
    .await
}

/// Whether customer `custnum` exists.
pub async fn customer_exists(conn: &mut Conn, custnum: i64) -> Result<bool> {
    exists(conn, "SELECT 1 FROM cust_main WHERE custnum = $1", custnum).await
}

/// Whether sales person `salesnum` exists.
pub async fn sales_person_exists(conn: &mut Conn, salesnum: i64) -> Result<bool> {
    exists(conn, "SELECT 1 FROM sales WHERE salesnum = $1", salesnum).await
}

/// Whether another customer of `agentnum` than `except_custnum` already has
/// `agent_custid`.
pub async fn agent_custid_in_use(
    conn: &mut Conn,
    agentnum: i64,
    agent_custid: &str,
    except_custnum: Option<i64>,
) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM cust_main WHERE agentnum = $1 AND agent_custid = $2 AND custnum <> $3 LIMIT 1")
        .bind(agentnum)
        .bind(agent_custid)
        .bind(except_custnum.unwrap_or(0))
        .fetch_optional(conn)
        .await?
        .is_some())
}

async fn exists(conn: &mut Conn, sql: &str, key: i64) -> Result<bool> {
    Ok(sqlx::query(sql)
        .bind(key)
        .fetch_optional(conn)
        .await?
        .is_some())
}
