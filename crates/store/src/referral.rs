//! Advertising sources (`part_referral`) for the back-office API, and the
//! e-mail opt-out that clears contact flags.

use bursar_core::model::AdvertisingSource;
use sqlx::Row;

use crate::{Conn, Error, Result};

const COLUMNS: &str = "refnum, referral, disabled, agentnum, title";

fn source(row: &sqlx::any::AnyRow) -> AdvertisingSource {
    AdvertisingSource {
        refnum: row.get(0),
        referral: row.get(1),
        disabled: row.get::<String, _>(2) == "Y",
        agentnum: row.get(3),
        title: row.get(4),
    }
}

/// Every advertising source, disabled ones included, by `refnum`.
pub async fn list_sources(conn: &mut Conn) -> Result<Vec<AdvertisingSource>> {
    let sql = format!("SELECT {COLUMNS} FROM part_referral ORDER BY refnum");
    Ok(sqlx::query(&sql)
        .fetch_all(conn)
        .await?
        .iter()
        .map(source)
        .collect())
}

/// One advertising source.
///
/// # Errors
/// [`Error::NotFound`] when there is no such source.
pub async fn get_source(conn: &mut Conn, refnum: i64) -> Result<AdvertisingSource> {
    let sql = format!("SELECT {COLUMNS} FROM part_referral WHERE refnum = $1");
    let row = sqlx::query(&sql)
        .bind(refnum)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(source(&row))
}

/// Inserts a source (its `refnum` is generated); returns it as stored.
pub async fn insert_source(conn: &mut Conn, new: &AdvertisingSource) -> Result<AdvertisingSource> {
    let refnum: i64 = sqlx::query(
        "INSERT INTO part_referral (referral, disabled, agentnum, title) VALUES ($1, $2, $3, $4) RETURNING refnum",
    )
    .bind(&new.referral)
    .bind(if new.disabled { "Y" } else { "" })
    .bind(new.agentnum)
    .bind(&new.title)
    .fetch_one(&mut *conn)
    .await?
    .get(0);
    get_source(conn, refnum).await
}

/// Replaces a source's fields; returns it as stored.
pub async fn update_source(
    conn: &mut Conn,
    changed: &AdvertisingSource,
) -> Result<AdvertisingSource> {
    sqlx::query("UPDATE part_referral SET referral = $1, disabled = $2, agentnum = $3, title = $4 WHERE refnum = $5")
        .bind(&changed.referral)
        .bind(if changed.disabled { "Y" } else { "" })
        .bind(changed.agentnum)
        .bind(&changed.title)
        .bind(changed.refnum)
        .execute(&mut *conn)
        .await?;
    get_source(conn, changed.refnum).await
}

/// True when agent `agentnum` exists.
pub async fn agent_exists(conn: &mut Conn, agentnum: i64) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM agent WHERE agentnum = $1")
        .bind(agentnum)
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// Clears the invoice and/or message flags of every customer contact with
/// e-mail `address`; returns how many links changed.
pub async fn email_opt_out(
    conn: &mut Conn,
    address: &str,
    invoice: bool,
    message: bool,
) -> Result<u64> {
    let sql = match (invoice, message) {
        (true, true) => "UPDATE cust_contact_email SET invoice_dest = '', message_dest = '' WHERE emailaddress = $1",
        (true, false) => "UPDATE cust_contact_email SET invoice_dest = '' WHERE emailaddress = $1",
        (false, true) => "UPDATE cust_contact_email SET message_dest = '' WHERE emailaddress = $1",
        (false, false) => return Ok(0),
    };
    Ok(sqlx::query(sql)
        .bind(address)
        .execute(conn)
        .await?
        .rows_affected())
}
