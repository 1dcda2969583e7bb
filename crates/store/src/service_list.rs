//! The services of a customer (`cust_svc` with its `svc_acct`, `svc_domain`
//! or `svc_phone` row), read with one query per service table whatever the
//! count, and the plain insert that provisioning and tests build on.
//!
//! Passwords and PINs are returned as stored; whether a face shows them is
//! the face's decision. Nothing here checks service rules.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

/// One service of a customer: the link (`cust_svc`) and its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerService {
    /// `svcnum`.
    pub svcnum: i64,
    /// The package holding it.
    pub pkgnum: i64,
    /// Its definition.
    pub svcpart: i64,
    /// The agent's own id for it.
    pub agent_svcid: String,
    /// The service record.
    pub record: ServiceRecord,
}

/// The record of a service, by table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceRecord {
    /// `svc_acct`.
    Account(AccountService),
    /// `svc_domain`.
    Domain(DomainService),
    /// `svc_phone`.
    Phone(PhoneService),
}

/// A mail/login account (`svc_acct`). `Debug` hides the password.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct AccountService {
    /// Login name.
    pub username: String,
    /// svcnum of its domain.
    pub domsvc: i64,
    /// The password as stored (hashed, or clear for plain encodings).
    pub password: String,
    /// How `password` is kept (the catalog spelling, e.g. `crypt-md5`).
    pub password_encoding: String,
    /// Real name.
    pub finger: String,
    /// Quota.
    pub quota: String,
}

impl std::fmt::Debug for AccountService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountService")
            .field("username", &self.username)
            .field("domsvc", &self.domsvc)
            .field("password", &"<secret>")
            .field("password_encoding", &self.password_encoding)
            .finish_non_exhaustive()
    }
}

/// A domain (`svc_domain`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DomainService {
    /// The domain name.
    pub domain: String,
    /// svcnum of the catch-all account.
    pub catchall: Option<i64>,
    /// svcnum of the parent domain.
    pub parent_svcnum: Option<i64>,
    /// Most accounts allowed.
    pub max_accounts: Option<i64>,
}

/// A phone number (`svc_phone`). `Debug` hides the PIN.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct PhoneService {
    /// Country calling code.
    pub countrycode: String,
    /// The number.
    pub phonenum: String,
    /// Voicemail or access PIN.
    pub pin: String,
    /// Caller name.
    pub phone_name: String,
}

impl std::fmt::Debug for PhoneService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneService")
            .field("countrycode", &self.countrycode)
            .field("phonenum", &self.phonenum)
            .field("pin", &"<secret>")
            .finish_non_exhaustive()
    }
}

/// A service to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewService {
    /// The package holding it (`None` for system records such as the
    /// catalog's mail domains).
    pub pkgnum: Option<i64>,
    /// Its definition.
    pub svcpart: i64,
    /// The agent's own id for it.
    pub agent_svcid: String,
    /// The record.
    pub record: ServiceRecord,
}

/// Every service in the packages of `custnum`, ordered by `pkgnum`, then
/// `svcnum`; three queries (one per service table).
pub async fn customer_services(conn: &mut Conn, custnum: i64) -> Result<Vec<CustomerService>> {
    const LINK: &str = "s.svcnum, s.pkgnum, s.svcpart, s.agent_svcid";
    const FROM: &str = "FROM cust_svc s JOIN cust_pkg p ON p.pkgnum = s.pkgnum";
    let mut services = Vec::new();
    let sql = format!(
        "SELECT {LINK}, a.username, a.domsvc, a.password, a.password_encoding, a.finger, a.quota \
         {FROM} JOIN svc_acct a ON a.svcnum = s.svcnum WHERE p.custnum = $1"
    );
    for row in sqlx::query(&sql)
        .bind(custnum)
        .fetch_all(&mut *conn)
        .await?
    {
        let record = ServiceRecord::Account(AccountService {
            username: row.get(4),
            domsvc: row.get(5),
            password: row.get(6),
            password_encoding: row.get(7),
            finger: row.get(8),
            quota: row.get(9),
        });
        services.push(link(&row, record));
    }
    let sql = format!(
        "SELECT {LINK}, d.domain, d.catchall, d.parent_svcnum, d.max_accounts \
         {FROM} JOIN svc_domain d ON d.svcnum = s.svcnum WHERE p.custnum = $1"
    );
    for row in sqlx::query(&sql)
        .bind(custnum)
        .fetch_all(&mut *conn)
        .await?
    {
        let record = ServiceRecord::Domain(DomainService {
            domain: row.get(4),
            catchall: row.get(5),
            parent_svcnum: row.get(6),
            max_accounts: row.get(7),
        });
        services.push(link(&row, record));
    }
    let sql = format!(
        "SELECT {LINK}, ph.countrycode, ph.phonenum, ph.pin, ph.phone_name \
         {FROM} JOIN svc_phone ph ON ph.svcnum = s.svcnum WHERE p.custnum = $1"
    );
    for row in sqlx::query(&sql)
        .bind(custnum)
        .fetch_all(&mut *conn)
        .await?
    {
        let record = ServiceRecord::Phone(PhoneService {
            countrycode: row.get(4),
            phonenum: row.get(5),
            pin: row.get(6),
            phone_name: row.get(7),
        });
        services.push(link(&row, record));
    }
    services.sort_by_key(|service| (service.pkgnum, service.svcnum));
    Ok(services)
}

/// Inserts a service link and its record; returns the new `svcnum`.
///
/// # Errors
/// [`crate::Error::Conflict`] when the package, definition or domain is
/// missing, or a unique name (domain, username in its domain) is taken.
pub async fn insert_service(conn: &mut Conn, new: &NewService) -> Result<i64> {
    let svcnum: i64 = sqlx::query(
        "INSERT INTO cust_svc (pkgnum, svcpart, agent_svcid) VALUES ($1, $2, $3) RETURNING svcnum",
    )
    .bind(new.pkgnum)
    .bind(new.svcpart)
    .bind(&new.agent_svcid)
    .fetch_one(&mut *conn)
    .await?
    .get(0);
    match &new.record {
        ServiceRecord::Account(account) => {
            sqlx::query(
                "INSERT INTO svc_acct (svcnum, username, domsvc, password, password_encoding, finger, quota) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(svcnum)
            .bind(&account.username)
            .bind(account.domsvc)
            .bind(&account.password)
            .bind(&account.password_encoding)
            .bind(&account.finger)
            .bind(&account.quota)
            .execute(&mut *conn)
            .await?;
        }
        ServiceRecord::Domain(domain) => {
            sqlx::query(
                "INSERT INTO svc_domain (svcnum, domain, catchall, parent_svcnum, max_accounts) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(svcnum)
            .bind(&domain.domain)
            .bind(domain.catchall)
            .bind(domain.parent_svcnum)
            .bind(domain.max_accounts)
            .execute(&mut *conn)
            .await?;
        }
        ServiceRecord::Phone(phone) => {
            sqlx::query(
                "INSERT INTO svc_phone (svcnum, countrycode, phonenum, pin, phone_name) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(svcnum)
            .bind(&phone.countrycode)
            .bind(&phone.phonenum)
            .bind(&phone.pin)
            .bind(&phone.phone_name)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(svcnum)
}

/// The link fields, the first four columns of every listing query.
fn link(row: &AnyRow, record: ServiceRecord) -> CustomerService {
    CustomerService {
        svcnum: row.get(0),
        pkgnum: row.get(1),
        svcpart: row.get(2),
        agent_svcid: row.get(3),
        record,
    }
}
