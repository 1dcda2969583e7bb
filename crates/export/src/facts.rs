//! What an export needs to know about a service and its customer, read from
//! the store inside the operation's transaction.

use bursar_core::model::{ExportDef, PasswordEncoding};
use bursar_magicmail::{CustomerFacts, MagicService, MailService, Password};
use bursar_store::service::{self, Account};
use bursar_store::{customer, Conn, Store};

use crate::ServiceError;

/// True when two MagicMail exports address the same accounts (same host,
/// port and prefix).
pub(crate) fn same_platform(a: &ExportDef, b: &ExportDef) -> bool {
    let opt = |d: &ExportDef, k: &str, default: &str| {
        d.options
            .get(k)
            .cloned()
            .filter(|v| !v.is_empty())
            .unwrap_or(default.into())
    };
    a.export_type == b.export_type
        && opt(a, "host", "") == opt(b, "host", "")
        && opt(a, "port", "443") == opt(b, "port", "443")
        && opt(a, "account_prefix", "FREESIDE") == opt(b, "account_prefix", "FREESIDE")
}

/// The customer facts for a hook of `export`: names, agent id and the
/// customer's mail services on the same platform (`exclude` left out,
/// `include` added when the database does not hold it, e.g. a service
/// whose deletion is being undone).
pub(crate) async fn customer_facts(
    conn: &mut Conn,
    store: &Store,
    custnum: i64,
    export: &ExportDef,
    exclude: Option<i64>,
    include: Option<&Account>,
) -> Result<CustomerFacts, ServiceError> {
    let customer = customer::customer(conn, custnum).await?;
    let mut accounts = service::accounts_of_customer(conn, custnum).await?;
    if let Some(included) = include {
        if !accounts.iter().any(|a| a.svcnum == included.svcnum) {
            accounts.push(included.clone());
            accounts.sort_by_key(|a| a.svcnum);
        }
    }
    let mut svcparts: Vec<i64> = accounts.iter().map(|a| a.svcpart).collect();
    svcparts.sort_unstable();
    svcparts.dedup();
    let exports_by_svcpart = service::export_defs_by_svcpart(conn, store, &svcparts).await?;
    let mut magic_services = Vec::new();
    for account in accounts.iter().filter(|a| Some(a.svcnum) != exclude) {
        let exports = exports_by_svcpart
            .iter()
            .find(|(svcpart, _)| *svcpart == account.svcpart)
            .map(|(_, e)| e.as_slice())
            .unwrap_or(&[]);
        let matching: Vec<&ExportDef> = exports
            .iter()
            .filter(|e| same_platform(e, export))
            .collect();
        if matching.is_empty() {
            continue;
        }
        magic_services.push(MagicService {
            svcnum: account.svcnum,
            username: account.username.clone(),
            packages: matching
                .iter()
                .map(|e| {
                    e.options
                        .get("package")
                        .cloned()
                        .filter(|p| !p.is_empty())
                        .unwrap_or_else(|| "EMAIL".into())
                })
                .collect(),
        });
    }
    Ok(CustomerFacts {
        custnum,
        agent_custid: (!customer.agent_custid.is_empty()).then(|| customer.agent_custid.clone()),
        first: customer.first,
        last: customer.last,
        magic_services,
    })
}

/// True when service definition `svcpart` has an export on the same
/// platform as `export`.
pub(crate) async fn on_platform(
    conn: &mut Conn,
    store: &Store,
    svcpart: i64,
    export: &ExportDef,
) -> Result<bool, ServiceError> {
    let exports = service::exports_of_svcpart(conn, store, svcpart).await?;
    Ok(exports.iter().any(|e| same_platform(e, export)))
}

/// The service as an export sees it, with its recorded remote id.
pub(crate) async fn mail_service(
    conn: &mut Conn,
    account: &Account,
    exportnum: i64,
) -> Result<MailService, ServiceError> {
    Ok(MailService {
        svcnum: account.svcnum,
        username: account.username.clone(),
        domain: account.domain.clone(),
        finger: account.finger.clone(),
        password: Password::new(account.password.clone()),
        password_encoding: account.password_encoding,
        account_id: service::remote_id(conn, account.svcnum, exportnum).await?,
    })
}

/// A mail service before it is stored (for a replace's new side).
pub(crate) fn unsaved_service(account: &Account, account_id: Option<String>) -> MailService {
    MailService {
        svcnum: account.svcnum,
        username: account.username.clone(),
        domain: account.domain.clone(),
        finger: account.finger.clone(),
        password: Password::new(account.password.clone()),
        password_encoding: account.password_encoding,
        account_id,
    }
}

/// A random crypt salt.
pub(crate) fn salt() -> String {
    use rand::Rng;
    let alphabet = bursar_core::password::SALT_ALPHABET;
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// Checks a mail username: 2–32 of lower-case letters, digits, `.`, `_` and
/// `-`, starting with a letter or digit.
pub(crate) fn check_username(username: &str) -> Result<(), ServiceError> {
    let ok = (2..=32).contains(&username.len())
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
        && username
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ServiceError::Refused(format!(
            "Illegal username: {username}"
        )))
    }
}

/// Encodes a clear password in the definition's encoding.
pub(crate) fn encode_password(
    encoding: PasswordEncoding,
    clear: &str,
) -> Result<String, ServiceError> {
    bursar_core::password::encode(encoding, clear, &salt())
        .map_err(|e| ServiceError::Refused(e.to_string()))
}
