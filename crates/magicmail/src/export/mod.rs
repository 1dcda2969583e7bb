//! The MagicMail export: Freeside's hooks (insert, delete, replace, suspend,
//! unsuspend of one mail service) over `MagicMailClient`, with the rollback
//! order and the Bursar decisions of spec 4 and 6.
//!
//! The export framework calls these functions inside its service operation
//! and passes everything the hooks need as plain facts (`CustomerFacts`,
//! `MailService`): nothing here reads the database. A hook returns its
//! warnings (non-fatal problems, also logged at `warn`) or an
//! `ExportError`, whose `repairs` list what the remote side may still hold
//! after the compensating calls, so that the framework can queue them.
//!
//! Files: `options.rs` (the catalog's option map), `insert.rs` (I1-I9 and
//! the rollback), `delete.rs` (D1-D10), `modify.rs` (replace, suspend,
//! unsuspend), `sync.rs` (package sync), `repair.rs` (deferred
//! compensations).

mod delete;
mod insert;
mod modify;
mod options;
mod repair;
mod sync;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bursar_core::model::PasswordEncoding;

use crate::client::MagicMailClient;
use crate::error::Error;
use crate::model::{Password, PasswordType, Status};

pub use options::ExportOptions;

/// What the hooks need to know about the customer who owns the service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerFacts {
    /// `custnum`.
    pub custnum: i64,
    /// The agent's own customer id, if any (used with `use_agent_custid`).
    pub agent_custid: Option<String>,
    /// The customer's first name (given to a new account).
    pub first: String,
    /// The customer's last name.
    pub last: String,
    /// The customer's "magic services" (spec 4.3): every mail service of
    /// the customer whose service definition has a MagicMail export on the
    /// same host, port and `account_prefix` as this one. The service being
    /// inserted or deleted may be in the list or not: insert adds it, delete
    /// leaves it out. Suspended services count.
    pub magic_services: Vec<MagicService>,
}

/// One of the customer's MagicMail services, as package sync and the master
/// hand-over see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MagicService {
    /// `svcnum`; the lowest one wins a master hand-over.
    pub svcnum: i64,
    /// Its username.
    pub username: String,
    /// The `package` option of every MagicMail export (same host, port and
    /// prefix) attached to its service definition.
    pub packages: Vec<String>,
}

/// The mail service (`svc_acct`) a hook acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailService {
    /// `svcnum`.
    pub svcnum: i64,
    /// The username (the mailbox's local part).
    pub username: String,
    /// The service's mail domain.
    pub domain: String,
    /// The full name (GECOS); the user's first and last names come from it.
    pub finger: String,
    /// The password as stored, in `password_encoding`.
    pub password: Password,
    /// The encoding of `password` (the service definition's).
    pub password_encoding: PasswordEncoding,
    /// The MagicMail account id recorded when the service was provisioned
    /// (`InsertOutcome::account_id`, B-11); `None` recomputes it from the
    /// customer.
    pub account_id: Option<String>,
}

/// What a successful insert leaves for the framework to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertOutcome {
    /// The account id the server confirmed; store it with the service and
    /// pass it back as `MailService::account_id` (B-11, B-19).
    pub account_id: String,
    /// Non-fatal problems (package sync, reactivated account).
    pub warnings: Vec<String>,
}

/// A hook failure. The local operation must be rolled back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExportError {
    /// The hook's error: the original error, then the error of each failing
    /// compensating call, separated by newlines (spec 4.5).
    pub message: String,
    /// Warnings gathered before the failure.
    pub warnings: Vec<String>,
    /// Compensations that failed or could not be decided: the remote side
    /// may still hold what they undo. Run them later with
    /// `MagicMailExport::compensate` (each checks before acting).
    pub repairs: Vec<Compensation>,
    /// True when the failing call may have been applied and nothing undid
    /// it (delete, replace, suspend, unsuspend): the hook should be run
    /// again, or the service audited, once the server answers.
    pub outcome_unknown: bool,
}

impl ExportError {
    fn new(message: impl Into<String>) -> ExportError {
        ExportError {
            message: message.into(),
            warnings: Vec::new(),
            repairs: Vec::new(),
            outcome_unknown: false,
        }
    }

    fn from_call(error: &Error, warnings: Vec<String>) -> ExportError {
        ExportError {
            message: error.to_string(),
            warnings,
            repairs: Vec::new(),
            outcome_unknown: error.outcome_unknown(),
        }
    }

    /// True when nothing is left to repair or to retry.
    pub fn is_clean(&self) -> bool {
        self.repairs.is_empty() && !self.outcome_unknown
    }
}

/// A compensating call that could not be completed during a rollback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compensation {
    /// Take `package` off `username` (if the user still holds it).
    RemovePackage {
        /// The user.
        username: String,
        /// The package.
        package: String,
    },
    /// Purge `username` with `force=true`, only if it still belongs to
    /// `account`.
    PurgeUser {
        /// The user.
        username: String,
        /// The account it must belong to.
        account: String,
    },
    /// Set the account back to `status` (suspended or deleted), only while
    /// it has no user that is not deleted.
    SetAccountStatus {
        /// The account.
        account: String,
        /// The status to restore.
        status: Status,
    },
    /// Purge the account with `force=true`, only while it has no user that
    /// is not deleted.
    PurgeAccount {
        /// The account.
        account: String,
    },
}

/// The MagicMail export of one catalog entry: its options and its client.
#[derive(Debug)]
pub struct MagicMailExport {
    options: ExportOptions,
    client: MagicMailClient,
    /// One insert or delete at a time per account id inside this process
    /// (spec 4.5); the framework adds a database lock across processes.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl MagicMailExport {
    /// Builds the export from parsed options.
    ///
    /// # Errors
    /// `Error::Config` when the client cannot be built (bad host, CA file).
    pub fn new(options: ExportOptions) -> Result<MagicMailExport, Error> {
        let client = MagicMailClient::new(&options.client)?;
        Ok(MagicMailExport {
            options,
            client,
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// Builds the export from the catalog's option map.
    ///
    /// # Errors
    /// The option error of `bursar_core::export_type::validate_options`, or
    /// the client's configuration error.
    pub fn from_options(
        options: &std::collections::BTreeMap<String, String>,
    ) -> Result<MagicMailExport, String> {
        let options = ExportOptions::parse(options)?;
        MagicMailExport::new(options).map_err(|e| e.to_string())
    }

    /// The parsed options.
    pub fn options(&self) -> &ExportOptions {
        &self.options
    }

    /// The API client (for operator tools: test, audit).
    pub fn client(&self) -> &MagicMailClient {
        &self.client
    }

    /// The account id of `customer`: `account_prefix` followed by the
    /// agent's customer id (with `use_agent_custid`, when set) or `custnum`.
    pub fn account_id(&self, customer: &CustomerFacts) -> String {
        let agent_custid = customer
            .agent_custid
            .as_deref()
            .filter(|id| self.options.use_agent_custid && !id.is_empty());
        match agent_custid {
            Some(id) => format!("{}{id}", self.options.account_prefix),
            None => format!("{}{}", self.options.account_prefix, customer.custnum),
        }
    }

    /// The account id a hook on an existing service uses: the recorded one,
    /// else the computed one (B-11).
    fn service_account_id(&self, customer: &CustomerFacts, service: &MailService) -> String {
        service
            .account_id
            .clone()
            .unwrap_or_else(|| self.account_id(customer))
    }

    /// Serialises inserts and deletes on one account id.
    async fn lock_account(&self, account: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            locks
                .entry(account.to_ascii_uppercase())
                .or_default()
                .clone()
        };
        lock.lock_owned().await
    }
}

/// The password and its type as MagicMail takes them, from the stored
/// encoding (spec 4.2).
///
/// # Errors
/// `password encoding X not supported by MagicMail` for encodings the
/// server cannot take (crypt-sha512, ldap-ssha).
pub fn wire_password(
    password: &Password,
    encoding: PasswordEncoding,
) -> Result<(Password, PasswordType), String> {
    bursar_core::export_type::check_password_encoding("magicmail", encoding)?;
    let stored = password.expose();
    Ok(match encoding {
        PasswordEncoding::Plain => (password.clone(), PasswordType::Plain),
        PasswordEncoding::LdapPlain => {
            let clear = strip_prefix_ci(stored, "{PLAIN}")
                .or_else(|| strip_prefix_ci(stored, "{CLEARTEXT}"))
                .unwrap_or(stored);
            (Password::new(clear), PasswordType::Plain)
        }
        PasswordEncoding::CryptDes | PasswordEncoding::CryptMd5 => (
            Password::new(strip_lock_marks(stored)),
            PasswordType::Encrypted,
        ),
        PasswordEncoding::LdapCrypt => {
            let crypt = strip_prefix_ci(stored, "{CRYPT}").unwrap_or(stored);
            (
                Password::new(strip_lock_marks(crypt)),
                PasswordType::Encrypted,
            )
        }
        PasswordEncoding::CryptSha512 | PasswordEncoding::LdapSsha => {
            return Err(format!(
                "password encoding {} not supported by MagicMail",
                encoding.as_str()
            ))
        }
    })
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Removes the legacy lock marks Freeside put before crypt strings
/// (`*SUSPENDED* `, `!`, `!!`); Bursar never stores them (spec 4.2).
fn strip_lock_marks(crypt: &str) -> &str {
    let crypt = crypt.strip_prefix("*SUSPENDED* ").unwrap_or(crypt);
    crypt.trim_start_matches('!')
}

/// The user's first and last names from the finger: split at the last
/// whitespace, both parts trimmed (spec 4.2).
pub fn split_finger(finger: &str) -> (String, String) {
    let finger = finger.trim();
    match finger.rfind(char::is_whitespace) {
        Some(idx) => {
            let space_len = finger[idx..].chars().next().map_or(1, char::len_utf8);
            (
                finger[..idx].trim().to_string(),
                finger[idx + space_len..].trim().to_string(),
            )
        }
        None => (finger.to_string(), String::new()),
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

fn warn(warnings: &mut Vec<String>, account: &str, text: String) {
    tracing::warn!(account, "{text}");
    warnings.push(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finger_splits_at_the_last_whitespace() {
        let cases = [
            ("Ada Lovelace", ("Ada", "Lovelace")),
            ("Ada King Lovelace", ("Ada King", "Lovelace")),
            ("Ada", ("Ada", "")),
            ("  Ada  Lovelace ", ("Ada", "Lovelace")),
            ("0 Lovelace", ("0", "Lovelace")),
            ("Ada\tLovelace", ("Ada", "Lovelace")),
            ("", ("", "")),
        ];
        for (finger, (first, last)) in cases {
            assert_eq!(
                split_finger(finger),
                (first.into(), last.into()),
                "{finger:?}"
            );
        }
    }

    #[test]
    fn passwords_go_out_as_the_spec_says() {
        let check = |stored: &str, encoding, expected: Result<(&str, PasswordType), &str>| {
            let got = wire_password(&Password::new(stored), encoding)
                .map(|(p, t)| (p.expose().to_string(), t));
            let expected = expected
                .map(|(p, t)| (p.to_string(), t))
                .map_err(str::to_string);
            assert_eq!(got, expected, "{stored} {encoding:?}");
        };
        use PasswordEncoding as E;
        use PasswordType::{Encrypted, Plain};
        check("s3cret", E::Plain, Ok(("s3cret", Plain)));
        check("0", E::Plain, Ok(("0", Plain)));
        check("{PLAIN}s3cret", E::LdapPlain, Ok(("s3cret", Plain)));
        check("{CLEARTEXT}s3cret", E::LdapPlain, Ok(("s3cret", Plain)));
        check(
            "abJnggxhB/yWI",
            E::CryptDes,
            Ok(("abJnggxhB/yWI", Encrypted)),
        );
        check("$1$ab$xyz", E::CryptMd5, Ok(("$1$ab$xyz", Encrypted)));
        check("!!$1$ab$xyz", E::CryptMd5, Ok(("$1$ab$xyz", Encrypted)));
        check(
            "*SUSPENDED* abJnggxhB/yWI",
            E::CryptDes,
            Ok(("abJnggxhB/yWI", Encrypted)),
        );
        check(
            "{CRYPT}abJnggxhB/yWI",
            E::LdapCrypt,
            Ok(("abJnggxhB/yWI", Encrypted)),
        );
        check(
            "$6$salt$hash",
            E::CryptSha512,
            Err("password encoding crypt-sha512 not supported by MagicMail"),
        );
        check(
            "{SSHA}abc",
            E::LdapSsha,
            Err("password encoding ldap-ssha not supported by MagicMail"),
        );
    }
}
