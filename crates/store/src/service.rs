//! Services of customers' packages (`cust_svc`), mail accounts (`svc_acct`)
//! for now: inserting, reading, changing and removing them, with the rules a
//! package's definition sets (which service definitions, how many, which
//! domains). Exports are driven by the caller around these functions.

use std::collections::BTreeMap;

use bursar_core::model::{is_secret_option, ExportDef, PasswordEncoding, ServiceDef, SvcTable};
use sqlx::Row;

use crate::{Conn, Error, Result, Store};

/// A mail account with what exports need to know about it.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// `svcnum`.
    pub svcnum: i64,
    /// Its package.
    pub pkgnum: i64,
    /// The package's customer.
    pub custnum: i64,
    /// Its service definition.
    pub svcpart: i64,
    /// The local part.
    pub username: String,
    /// The domain's `svcnum`.
    pub domsvc: i64,
    /// The domain.
    pub domain: String,
    /// The password as stored (in `password_encoding`).
    pub password: String,
    /// How `password` is encoded.
    pub password_encoding: PasswordEncoding,
    /// Full name (GECOS).
    pub finger: String,
    /// Suspended: its package is, or it is on its own (`service_suspended`).
    pub suspended: bool,
    /// Suspended on its own, not with its package (`svc_acct.susp`).
    pub service_suspended: bool,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("svcnum", &self.svcnum)
            .field("pkgnum", &self.pkgnum)
            .field("username", &self.username)
            .field("domain", &self.domain)
            .field("password", &"<secret>")
            .finish_non_exhaustive()
    }
}

impl Account {
    /// `username@domain`.
    pub fn address(&self) -> String {
        format!("{}@{}", self.username, self.domain)
    }
}

const ACCOUNT_SELECT: &str =
    "SELECT a.svcnum, s.pkgnum, p.custnum, s.svcpart, a.username, a.domsvc, d.domain, a.password, \
     a.password_encoding, a.finger, p.susp, a.susp FROM svc_acct a JOIN cust_svc s ON s.svcnum = a.svcnum \
     JOIN cust_pkg p ON p.pkgnum = s.pkgnum JOIN svc_domain d ON d.svcnum = a.domsvc";

fn account_row(row: &sqlx::any::AnyRow) -> Result<Account> {
    let encoding: String = row.get(8);
    Ok(Account {
        svcnum: row.get(0),
        pkgnum: row.get(1),
        custnum: row.get(2),
        svcpart: row.get(3),
        username: row.get(4),
        domsvc: row.get(5),
        domain: row.get(6),
        password: row.get(7),
        password_encoding: PasswordEncoding::parse(&encoding)
            .ok_or_else(|| Error::Corrupt(format!("password encoding {encoding}")))?,
        finger: row.get(9),
        suspended: row.get::<Option<i64>, _>(10).is_some()
            || row.get::<Option<i64>, _>(11).is_some(),
        service_suspended: row.get::<Option<i64>, _>(11).is_some(),
    })
}

/// Reads one mail account.
///
/// # Errors
/// [`Error::NotFound`] when there is no such account.
pub async fn account(conn: &mut Conn, svcnum: i64) -> Result<Account> {
    let sql = format!("{ACCOUNT_SELECT} WHERE a.svcnum = $1");
    let row = sqlx::query(&sql)
        .bind(svcnum)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound)?;
    account_row(&row)
}

/// Every mail account of a customer, by `svcnum`.
pub async fn accounts_of_customer(conn: &mut Conn, custnum: i64) -> Result<Vec<Account>> {
    let sql = format!("{ACCOUNT_SELECT} WHERE p.custnum = $1 ORDER BY a.svcnum");
    sqlx::query(&sql)
        .bind(custnum)
        .fetch_all(conn)
        .await?
        .iter()
        .map(account_row)
        .collect()
}

/// Every mail account named `username` (in any domain), by `svcnum`.
pub async fn accounts_named(conn: &mut Conn, username: &str) -> Result<Vec<Account>> {
    let sql = format!("{ACCOUNT_SELECT} WHERE a.username = $1 ORDER BY a.svcnum");
    sqlx::query(&sql)
        .bind(username.to_ascii_lowercase())
        .fetch_all(conn)
        .await?
        .iter()
        .map(account_row)
        .collect()
}

/// Suspends a mail account on its own at `when`, or lifts that (`None`).
pub async fn set_service_suspended(conn: &mut Conn, svcnum: i64, when: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE svc_acct SET susp = $1 WHERE svcnum = $2")
        .bind(when)
        .bind(svcnum)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every mail account of a package, by `svcnum`.
pub async fn accounts_of_package(conn: &mut Conn, pkgnum: i64) -> Result<Vec<Account>> {
    let sql = format!("{ACCOUNT_SELECT} WHERE s.pkgnum = $1 ORDER BY a.svcnum");
    sqlx::query(&sql)
        .bind(pkgnum)
        .fetch_all(conn)
        .await?
        .iter()
        .map(account_row)
        .collect()
}

/// The mail accounts of the packages `pkgnums`, in `svcnum` order (one
/// query per 500 packages).
pub async fn accounts_of_packages(conn: &mut Conn, pkgnums: &[i64]) -> Result<Vec<Account>> {
    let sql = format!("{ACCOUNT_SELECT} WHERE s.pkgnum IN ({{}})");
    let mut accounts = crate::fetch_in_list(conn, &sql, pkgnums)
        .await?
        .iter()
        .map(account_row)
        .collect::<Result<Vec<_>>>()?;
    accounts.sort_by_key(|a| a.svcnum);
    Ok(accounts)
}

/// Every mail account of service definitions attached to `exportnum`.
pub async fn accounts_of_export(conn: &mut Conn, exportnum: i64) -> Result<Vec<Account>> {
    let sql = format!(
        "{ACCOUNT_SELECT} WHERE s.svcpart IN (SELECT svcpart FROM export_svc WHERE exportnum = $1) \
         AND p.cancel IS NULL ORDER BY a.svcnum"
    );
    sqlx::query(&sql)
        .bind(exportnum)
        .fetch_all(conn)
        .await?
        .iter()
        .map(account_row)
        .collect()
}

/// A service definition with its export names and domains.
///
/// # Errors
/// [`Error::NotFound`] when there is no such definition.
pub async fn service_def(conn: &mut Conn, svcpart: i64) -> Result<ServiceDef> {
    let row = sqlx::query(
        "SELECT svcpart, svc, svcdb, password_encoding, disabled FROM part_svc WHERE svcpart = $1",
    )
    .bind(svcpart)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    let table: String = row.get(2);
    let encoding: String = row.get(3);
    let exports = sqlx::query(
        "SELECT e.exportname FROM export_svc x JOIN part_export e ON e.exportnum = x.exportnum WHERE x.svcpart = $1 ORDER BY e.exportname",
    )
    .bind(svcpart)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    let domains = sqlx::query(
        "SELECT d.domain FROM part_svc_domain p JOIN svc_domain d ON d.svcnum = p.domsvc WHERE p.svcpart = $1 ORDER BY p.position",
    )
    .bind(svcpart)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    Ok(ServiceDef {
        svcpart: row.get(0),
        svc: row.get(1),
        table: SvcTable::parse(&table).ok_or_else(|| Error::Corrupt(format!("svcdb {table}")))?,
        exports,
        domains,
        password_encoding: PasswordEncoding::parse(&encoding)
            .ok_or_else(|| Error::Corrupt(format!("encoding {encoding}")))?,
        disabled: row.get::<i32, _>(4) != 0,
    })
}

/// The exports attached to a service definition, options decrypted.
pub async fn exports_of_svcpart(
    conn: &mut Conn,
    store: &Store,
    svcpart: i64,
) -> Result<Vec<ExportDef>> {
    let rows = sqlx::query(
        "SELECT e.exportnum, e.exportname, e.exporttype FROM export_svc x JOIN part_export e ON e.exportnum = x.exportnum \
         WHERE x.svcpart = $1 ORDER BY e.exportnum",
    )
    .bind(svcpart)
    .fetch_all(&mut *conn)
    .await?;
    let mut exports = Vec::with_capacity(rows.len());
    for row in rows {
        let exportnum: i64 = row.get(0);
        exports.push(ExportDef {
            exportnum,
            name: row.get(1),
            export_type: row.get(2),
            options: export_options(conn, store, exportnum).await?,
        });
    }
    Ok(exports)
}

/// One export by name, options decrypted.
///
/// # Errors
/// [`Error::NotFound`] when there is no such export.
pub async fn export_by_name(conn: &mut Conn, store: &Store, name: &str) -> Result<ExportDef> {
    let row = sqlx::query(
        "SELECT exportnum, exportname, exporttype FROM part_export WHERE exportname = $1",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    let exportnum: i64 = row.get(0);
    Ok(ExportDef {
        exportnum,
        name: row.get(1),
        export_type: row.get(2),
        options: export_options(conn, store, exportnum).await?,
    })
}

/// One export by number, options decrypted.
///
/// # Errors
/// [`Error::NotFound`] when there is no such export.
pub async fn export_by_num(conn: &mut Conn, store: &Store, exportnum: i64) -> Result<ExportDef> {
    let row = sqlx::query("SELECT exportname FROM part_export WHERE exportnum = $1")
        .bind(exportnum)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound)?;
    let name: String = row.get(0);
    export_by_name(conn, store, &name).await
}

async fn export_options(
    conn: &mut Conn,
    store: &Store,
    exportnum: i64,
) -> Result<BTreeMap<String, String>> {
    let mut options = BTreeMap::new();
    for row in sqlx::query(
        "SELECT optionname, optionvalue, encrypted FROM part_export_option WHERE exportnum = $1",
    )
    .bind(exportnum)
    .fetch_all(conn)
    .await?
    {
        let name: String = row.get(0);
        let value: String = row.get(1);
        let value =
            if row.get::<i32, _>(2) != 0 || (is_secret_option(&name) && value.starts_with("v1:")) {
                store.cipher().decrypt(&value)?
            } else {
                value
            };
        options.insert(name, value);
    }
    Ok(options)
}

/// A mail account to insert (password already encoded).
#[derive(Clone)]
pub struct NewAccount {
    /// Its package.
    pub pkgnum: i64,
    /// Its service definition.
    pub svcpart: i64,
    /// Local part, already checked.
    pub username: String,
    /// Domain, one of the definition's.
    pub domain: String,
    /// Encoded password.
    pub password: String,
    /// Its encoding.
    pub password_encoding: PasswordEncoding,
    /// Full name.
    pub finger: String,
}

/// Inserts a mail account after checking the package (exists, not
/// cancelled), the definition (a `svc_acct` one the package includes, below
/// its quantity), the domain (one of the definition's) and the username
/// (unused in that domain). Returns the new `svcnum`.
///
/// # Errors
/// [`Error::Refused`] with the reason.
pub async fn insert_account(conn: &mut Conn, new: &NewAccount) -> Result<i64> {
    let package = sqlx::query("SELECT pkgpart, cancel FROM cust_pkg WHERE pkgnum = $1")
        .bind(new.pkgnum)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::Refused(format!("Unknown pkgnum {}", new.pkgnum)))?;
    if package.get::<Option<i64>, _>(1).is_some() {
        return Err(Error::Refused(format!(
            "Package {} is cancelled",
            new.pkgnum
        )));
    }
    let pkgpart: i64 = package.get(0);
    let allowed: Option<i64> =
        sqlx::query("SELECT quantity FROM pkg_svc WHERE pkgpart = $1 AND svcpart = $2")
            .bind(pkgpart)
            .bind(new.svcpart)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.get(0));
    let Some(allowed) = allowed else {
        return Err(Error::Refused(format!(
            "Package {} does not include service definition {}",
            new.pkgnum, new.svcpart
        )));
    };
    let used: i64 = sqlx::query("SELECT COUNT(*) FROM cust_svc WHERE pkgnum = $1 AND svcpart = $2")
        .bind(new.pkgnum)
        .bind(new.svcpart)
        .fetch_one(&mut *conn)
        .await?
        .get(0);
    if used >= allowed {
        return Err(Error::Refused(format!(
            "Package {} already has {used} of {allowed} services of definition {}",
            new.pkgnum, new.svcpart
        )));
    }
    let definition = service_def(conn, new.svcpart).await?;
    if definition.table != SvcTable::SvcAcct {
        return Err(Error::Refused(format!(
            "Service definition {} is not for mail accounts",
            new.svcpart
        )));
    }
    let domsvc: i64 = sqlx::query(
        "SELECT d.svcnum FROM part_svc_domain p JOIN svc_domain d ON d.svcnum = p.domsvc WHERE p.svcpart = $1 AND d.domain = $2",
    )
    .bind(new.svcpart)
    .bind(&new.domain)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.get(0))
    .ok_or_else(|| Error::Refused(format!("Domain {} is not available for service definition {}", new.domain, new.svcpart)))?;
    if username_taken(conn, &new.username, domsvc, None).await? {
        return Err(Error::Refused("Username in use".into()));
    }
    let svcnum: i64 =
        sqlx::query("INSERT INTO cust_svc (pkgnum, svcpart) VALUES ($1, $2) RETURNING svcnum")
            .bind(new.pkgnum)
            .bind(new.svcpart)
            .fetch_one(&mut *conn)
            .await?
            .get(0);
    sqlx::query(
        "INSERT INTO svc_acct (svcnum, username, domsvc, password, password_encoding, finger) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(svcnum)
    .bind(&new.username)
    .bind(domsvc)
    .bind(&new.password)
    .bind(new.password_encoding.as_str())
    .bind(&new.finger)
    .execute(&mut *conn)
    .await
    .map_err(|e| match Error::from(e) {
        Error::Conflict(_) => Error::Refused("Username in use".into()),
        other => other,
    })?;
    Ok(svcnum)
}

async fn username_taken(
    conn: &mut Conn,
    username: &str,
    domsvc: i64,
    except: Option<i64>,
) -> Result<bool> {
    Ok(sqlx::query(
        "SELECT svcnum FROM svc_acct WHERE username = $1 AND domsvc = $2 AND svcnum <> $3",
    )
    .bind(username)
    .bind(domsvc)
    .bind(except.unwrap_or(0))
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Finds the `svc_domain` of `domain` among a definition's domains.
///
/// # Errors
/// [`Error::Refused`] when the definition does not offer that domain.
pub async fn definition_domain(conn: &mut Conn, svcpart: i64, domain: &str) -> Result<i64> {
    sqlx::query(
        "SELECT d.svcnum FROM part_svc_domain p JOIN svc_domain d ON d.svcnum = p.domsvc WHERE p.svcpart = $1 AND d.domain = $2",
    )
    .bind(svcpart)
    .bind(domain)
    .fetch_optional(conn)
    .await?
    .map(|r| r.get(0))
    .ok_or_else(|| Error::Refused(format!("Domain {domain} is not available for service definition {svcpart}")))
}

/// Stores a changed account (username, domain, password, finger).
///
/// # Errors
/// [`Error::Refused`] with `Username in use` when the new name is taken.
pub async fn update_account(conn: &mut Conn, changed: &Account) -> Result<()> {
    if username_taken(
        conn,
        &changed.username,
        changed.domsvc,
        Some(changed.svcnum),
    )
    .await?
    {
        return Err(Error::Refused("Username in use".into()));
    }
    sqlx::query("UPDATE svc_acct SET username = $1, domsvc = $2, password = $3, password_encoding = $4, finger = $5 WHERE svcnum = $6")
        .bind(&changed.username)
        .bind(changed.domsvc)
        .bind(&changed.password)
        .bind(changed.password_encoding.as_str())
        .bind(&changed.finger)
        .bind(changed.svcnum)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes an account and its service link.
pub async fn delete_account(conn: &mut Conn, svcnum: i64) -> Result<()> {
    delete_accounts(conn, &[svcnum]).await
}

/// Removes the accounts `svcnums` and their service links.
pub async fn delete_accounts(conn: &mut Conn, svcnums: &[i64]) -> Result<()> {
    for table in ["svc_acct", "cust_svc"] {
        let sql = format!("DELETE FROM {table} WHERE svcnum IN ({{}})");
        crate::fetch_in_list(conn, &sql, svcnums).await?;
    }
    Ok(())
}

/// Records what export `exportnum` calls service `svcnum`.
pub async fn set_remote_id(
    conn: &mut Conn,
    svcnum: i64,
    exportnum: i64,
    remote_id: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO svc_export_state (svcnum, exportnum, remote_id) VALUES ($1, $2, $3) \
         ON CONFLICT (svcnum, exportnum) DO UPDATE SET remote_id = excluded.remote_id",
    )
    .bind(svcnum)
    .bind(exportnum)
    .bind(remote_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// What export `exportnum` calls service `svcnum`, if recorded.
pub async fn remote_id(conn: &mut Conn, svcnum: i64, exportnum: i64) -> Result<Option<String>> {
    Ok(
        sqlx::query("SELECT remote_id FROM svc_export_state WHERE svcnum = $1 AND exportnum = $2")
            .bind(svcnum)
            .bind(exportnum)
            .fetch_optional(conn)
            .await?
            .map(|r| r.get(0)),
    )
}

/// Forgets the remote ids of a removed service.
pub async fn clear_remote_ids(conn: &mut Conn, svcnum: i64) -> Result<()> {
    sqlx::query("DELETE FROM svc_export_state WHERE svcnum = $1")
        .bind(svcnum)
        .execute(conn)
        .await?;
    Ok(())
}

/// The (svcpart, exports) pairs of every definition used by the customer's
/// accounts, options decrypted: what package sync needs to know.
pub async fn export_defs_by_svcpart(
    conn: &mut Conn,
    store: &Store,
    svcparts: &[i64],
) -> Result<Vec<(i64, Vec<ExportDef>)>> {
    let mut out = Vec::with_capacity(svcparts.len());
    for svcpart in svcparts {
        out.push((*svcpart, exports_of_svcpart(conn, store, *svcpart).await?));
    }
    Ok(out)
}
