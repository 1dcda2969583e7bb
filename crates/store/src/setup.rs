//! What `bursar init` creates, idempotently: agent 1 ("Internal"),
//! advertising source 1 ("Direct"), the `api` employee, the default credit
//! and refund reasons (pointed at by `conf`), and the locality table seeded
//! with every country and its subdivisions. Also the `conf` key/value table.

use sqlx::Row;

use crate::{Conn, Result, Store};

/// `conf` key holding the reasonnum of the default API credit reason.
pub const CONF_CREDIT_REASON: &str = "api.credit_reason";
/// `conf` key holding the reasonnum of the default API refund reason.
pub const CONF_REFUND_REASON: &str = "api.refund_reason";
/// `conf` key holding the usernum of the `api` employee.
pub const CONF_API_USERNUM: &str = "api.usernum";

/// What [`Store::init`] found or created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// True when this run created the defaults (a fresh database).
    pub created: bool,
    /// The `api` employee's usernum.
    pub api_usernum: i64,
    /// Localities in the table after seeding.
    pub localities: i64,
}

/// Reads a `conf` value.
pub async fn conf_get(conn: &mut Conn, name: &str) -> Result<Option<String>> {
    Ok(sqlx::query("SELECT value FROM conf WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?
        .map(|row| row.get::<String, _>(0)))
}

/// Sets a `conf` value.
pub async fn conf_set(conn: &mut Conn, name: &str, value: &str) -> Result<()> {
    sqlx::query("INSERT INTO conf (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
        .bind(name)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}

impl Store {
    /// Creates what a fresh database needs (see the module docs); on a
    /// database that has it, changes nothing. One transaction.
    ///
    /// # Errors
    /// [`crate::Error::Backend`] when the database fails.
    pub async fn init(&self) -> Result<InitReport> {
        let mut tx = self.write().await?;
        let backend = self.backend();
        let existing = conf_get(&mut tx, CONF_API_USERNUM).await?;
        let created = existing.is_none();
        if created {
            let has_agent = sqlx::query("SELECT 1 FROM agent WHERE agentnum = 1")
                .fetch_optional(&mut *tx)
                .await?;
            if has_agent.is_none() {
                sqlx::query("INSERT INTO agent (agentnum, agent) VALUES (1, 'Internal')")
                    .execute(&mut *tx)
                    .await?;
                Store::bump_sequence(&mut tx, backend, "agent", "agentnum").await?;
            }
            let has_source = sqlx::query("SELECT 1 FROM part_referral WHERE refnum = 1")
                .fetch_optional(&mut *tx)
                .await?;
            if has_source.is_none() {
                sqlx::query("INSERT INTO part_referral (refnum, referral) VALUES (1, 'Direct')")
                    .execute(&mut *tx)
                    .await?;
                Store::bump_sequence(&mut tx, backend, "part_referral", "refnum").await?;
            }
            let usernum: i64 =
                sqlx::query("INSERT INTO access_user (username) VALUES ('api') RETURNING usernum")
                    .fetch_one(&mut *tx)
                    .await?
                    .get(0);
            let credit = insert_reason(&mut tx, "API credit", "R").await?;
            let refund = insert_reason(&mut tx, "API refund", "F").await?;
            conf_set(&mut tx, CONF_API_USERNUM, &usernum.to_string()).await?;
            conf_set(&mut tx, CONF_CREDIT_REASON, &credit.to_string()).await?;
            conf_set(&mut tx, CONF_REFUND_REASON, &refund.to_string()).await?;
            seed_localities(&mut tx).await?;
        }
        let api_usernum: i64 = conf_get(&mut tx, CONF_API_USERNUM)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or_default();
        let localities: i64 = sqlx::query("SELECT COUNT(*) FROM cust_main_county")
            .fetch_one(&mut *tx)
            .await?
            .get(0);
        tx.commit().await?;
        Ok(InitReport {
            created,
            api_usernum,
            localities,
        })
    }

    /// The `api` employee's usernum (0 before init).
    ///
    /// # Errors
    /// [`crate::Error::Backend`] when the database fails.
    pub async fn api_usernum(&self) -> Result<i64> {
        let mut conn = self.read.acquire().await?;
        Ok(conf_get(&mut conn, CONF_API_USERNUM)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or_default())
    }
}

async fn insert_reason(conn: &mut Conn, reason: &str, class: &str) -> Result<i64> {
    Ok(
        sqlx::query("INSERT INTO reason (reason, class) VALUES ($1, $2) RETURNING reasonnum")
            .bind(reason)
            .bind(class)
            .fetch_one(conn)
            .await?
            .get(0),
    )
}

/// Inserts every (country, subdivision) locality with a zero rate, in
/// multi-row statements; rows that exist are kept.
async fn seed_localities(conn: &mut Conn) -> Result<()> {
    let localities: Vec<(&str, &str)> = bursar_core::geo::localities().collect();
    for chunk in localities.chunks(400) {
        let mut sql = String::with_capacity(64 + chunk.len() * 12);
        sql.push_str("INSERT INTO cust_main_county (country, state) VALUES ");
        for idx in 0..chunk.len() {
            if idx > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("(${}, ${})", idx * 2 + 1, idx * 2 + 2));
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        let mut query = sqlx::query(&sql);
        for (country, state) in chunk {
            query = query.bind(*country).bind(*state);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
