//! Reconciliation: bring what one export holds for one mail service in line
//! with the state wanted here, either the service present (user live in
//! the customer's account, with this status, password and names, the
//! account active with one master holding the wanted packages) or absent
//! (no live user of that name in the customer's account, and an account
//! left with nothing is no longer active).
//!
//! The job queue's `resync` runs it with the state the database holds when
//! the job runs; the hooks run it to undo an export that succeeded before a
//! later one failed, with the state from before the operation. Every step
//! reads the platform before it changes anything, so running it twice, or
//! when the platform already agrees, changes nothing. It never touches a
//! user of another account, nor a username another service here holds.

use std::collections::BTreeSet;

use bursar_core::model::ExportDef;
use bursar_magicmail::export::{split_finger, wire_password};
use bursar_magicmail::{
    Compensation, CustomerFacts, MagicMailExport, Password, Status, UserFields,
};
use bursar_store::service::{self, Account};
use bursar_store::{Conn, Store};

use crate::facts::{customer_facts, on_platform, unsaved_service};
use crate::ServiceError;

/// Which service a reconciliation is about: what a `resync` job carries,
/// enough to act once the service is gone here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subject {
    /// The service's `svcnum`.
    pub svcnum: i64,
    /// Its customer.
    pub custnum: i64,
    /// Its username.
    pub username: String,
    /// The account id the export recorded for it, if any.
    pub account_id: Option<String>,
}

impl Subject {
    /// The subject of a local service (`account_id` as recorded).
    pub fn of(account: &Account, account_id: Option<String>) -> Subject {
        Subject {
            svcnum: account.svcnum,
            custnum: account.custnum,
            username: account.username.clone(),
            account_id,
        }
    }

    /// The job payload: `custnum`, username and account id, tab-separated.
    pub fn encode(&self) -> String {
        bursar_store::jobs::resync_payload(self.custnum, &self.username, self.account_id.as_deref())
    }

    /// Reads a job payload back (`svcnum` is the job's own column).
    pub fn decode(svcnum: i64, payload: &str) -> Option<Subject> {
        let mut parts = payload.split('\t');
        let custnum = parts.next()?.parse().ok()?;
        let username = parts.next().filter(|u| !u.is_empty())?.to_string();
        let account_id = parts.next().filter(|a| !a.is_empty()).map(str::to_string);
        Some(Subject {
            svcnum,
            custnum,
            username,
            account_id,
        })
    }
}

/// The state wanted on the export.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wanted<'a> {
    /// The service exists here, in this state.
    Present(&'a Account),
    /// No service here holds this username any more (or ever did).
    Absent(&'a Subject),
}

/// Why a reconciliation stopped: the message, and the compensations a
/// failed provisioning could not finish (to be queued).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unreconciled {
    /// What failed.
    pub message: String,
    /// Left over by a failed insert's rollback.
    pub compensations: Vec<Compensation>,
}

impl Unreconciled {
    fn new(message: impl Into<String>) -> Unreconciled {
        Unreconciled {
            message: message.into(),
            compensations: Vec::new(),
        }
    }
}

impl From<bursar_magicmail::Error> for Unreconciled {
    fn from(error: bursar_magicmail::Error) -> Unreconciled {
        Unreconciled::new(error.to_string())
    }
}

impl From<ServiceError> for Unreconciled {
    fn from(error: ServiceError) -> Unreconciled {
        Unreconciled::new(error.to_string())
    }
}

impl From<bursar_store::Error> for Unreconciled {
    fn from(error: bursar_store::Error) -> Unreconciled {
        Unreconciled::new(error.to_string())
    }
}

/// Makes export `def` hold what `wanted` says. Reads the customer's other
/// services through `conn` (the caller's transaction) and records the
/// account id of a service it provisions there.
pub(crate) async fn reconcile(
    conn: &mut Conn,
    store: &Store,
    def: &ExportDef,
    export: &MagicMailExport,
    wanted: Wanted<'_>,
) -> Result<(), Unreconciled> {
    match wanted {
        Wanted::Present(account) => present(conn, store, def, export, account).await,
        Wanted::Absent(subject) => absent(conn, store, def, export, subject).await,
    }
}

async fn present(
    conn: &mut Conn,
    store: &Store,
    def: &ExportDef,
    export: &MagicMailExport,
    account: &Account,
) -> Result<(), Unreconciled> {
    let client = export.client();
    let facts = customer_facts(conn, store, account.custnum, def, None, Some(account)).await?;
    let recorded = service::remote_id(conn, account.svcnum, def.exportnum).await?;
    let expected = recorded
        .clone()
        .unwrap_or_else(|| export.account_id(&facts));
    let want = if account.suspended {
        Status::Suspended
    } else {
        Status::Active
    };
    let username = account.username.as_str();
    let remote_account = match client.get_user(username).await? {
        None => {
            let outcome = export
                .insert(&facts, &unsaved_service(account, None))
                .await
                .map_err(|e| Unreconciled {
                    message: e.message,
                    compensations: e.repairs,
                })?;
            if want == Status::Suspended {
                client.set_user_status(username, Status::Suspended).await?;
            }
            outcome.account_id
        }
        Some(user) if !user.belongs_to(&expected) => {
            return Err(Unreconciled::new(format!(
                "MagicMail user {username} belongs to account {}, not {expected}; settle it by hand",
                user.account.as_deref().unwrap_or("(none)")
            )));
        }
        Some(user) => {
            // The account is made active below (settle_account): a live
            // user needs one, account-level suspension is only ever a
            // rollback's.
            let remote_account = user.account.clone().unwrap_or(expected);
            if user.status() != Some(want) {
                client.set_user_status(username, want).await?;
            }
            let password = wire_password(
                &Password::new(account.password.clone()),
                account.password_encoding,
            )
            .map_err(Unreconciled::new)?;
            let (first, last) = split_finger(&account.finger);
            let fields = UserFields {
                first_name: Some(first),
                last_name: Some(last),
                memo: None,
                password: Some(password),
            };
            client
                .update_user(&remote_account, username, &fields)
                .await?;
            remote_account
        }
    };
    if recorded.as_deref() != Some(remote_account.as_str()) {
        service::set_remote_id(conn, account.svcnum, def.exportnum, &remote_account).await?;
    }
    settle_account(export, &facts, &remote_account).await
}

async fn absent(
    conn: &mut Conn,
    store: &Store,
    def: &ExportDef,
    export: &MagicMailExport,
    subject: &Subject,
) -> Result<(), Unreconciled> {
    // Usernames are one namespace on the platform: if another service here
    // holds the name on this platform, the user is that service's.
    for other in service::accounts_named(conn, &subject.username).await? {
        if other.svcnum != subject.svcnum && on_platform(conn, store, other.svcpart, def).await? {
            return Ok(());
        }
    }
    let client = export.client();
    let facts = customer_facts(
        conn,
        store,
        subject.custnum,
        def,
        Some(subject.svcnum),
        None,
    )
    .await?;
    let expected = subject
        .account_id
        .clone()
        .unwrap_or_else(|| export.account_id(&facts));
    if let Some(user) = client.get_user(&subject.username).await? {
        if user.belongs_to(&expected) {
            if user.status() != Some(Status::Deleted) {
                // Live with no service here: what a failed provisioning
                // left. Purged, as the insert's own rollback would, so the
                // username is free again.
                client.purge_user(&subject.username, true).await?;
            } else if export.options().autopurge {
                client.purge_user(&subject.username, false).await?;
            }
        }
    }
    settle_account(export, &facts, &expected).await
}

/// The account after one of its users changed: with services here, active
/// with one master holding the wanted packages; without, no longer active
/// (and purged with `autopurge`) once it has no live user.
async fn settle_account(
    export: &MagicMailExport,
    facts: &CustomerFacts,
    account_id: &str,
) -> Result<(), Unreconciled> {
    let client = export.client();
    let Some(account) = client.get_account(account_id).await? else {
        return Ok(());
    };
    if facts.magic_services.is_empty() {
        if !client.list_users(account_id).await?.is_empty() {
            // Users no service here knows about: the audit reports them.
            return Ok(());
        }
        let mut status = account.status();
        if status == Some(Status::Active) {
            client
                .set_account_status(account_id, Status::Deleted)
                .await?;
            status = Some(Status::Deleted);
        }
        if status == Some(Status::Deleted) && export.options().autopurge {
            client.purge_account(account_id, false).await?;
        }
        return Ok(());
    }
    if account.status() != Some(Status::Active) {
        client
            .set_account_status(account_id, Status::Active)
            .await?;
    }
    let users = client.list_users(account_id).await?;
    if users.is_empty() {
        return Ok(());
    }
    let masters: Vec<&String> = users
        .iter()
        .filter(|(_, u)| u.is_master())
        .map(|(key, _)| key)
        .collect();
    let master = if masters.len() == 1 {
        masters[0].clone()
    } else {
        // Spec 4.6 D3's rule: the service with the lowest number.
        let mut candidates: Vec<_> = facts.magic_services.iter().collect();
        candidates.sort_by_key(|s| s.svcnum);
        let Some(candidate) = candidates
            .iter()
            .find(|s| users.contains_key(&s.username.to_ascii_uppercase()))
        else {
            return Err(Unreconciled::new(format!(
                "no user of account {account_id} can be its master"
            )));
        };
        client.make_master_user(&candidate.username).await?;
        candidate.username.to_ascii_uppercase()
    };
    // The exports' packages belong on the master only (spec 4.3, 4.9): a
    // user that was master once (a hand-over undone) gives them back.
    let managed: BTreeSet<String> = facts
        .magic_services
        .iter()
        .flat_map(|s| s.packages.iter())
        .map(|p| p.to_ascii_uppercase())
        .collect();
    for username in users.keys().filter(|u| **u != master) {
        for package in client.get_packages(username).await?.into_keys() {
            if managed.contains(&package.to_ascii_uppercase()) {
                client.remove_package(username, &package).await?;
            }
        }
    }
    let warnings = export.sync_account_packages(facts, account_id).await;
    if warnings.is_empty() {
        Ok(())
    } else {
        Err(Unreconciled::new(warnings.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_survive_the_job_payload() {
        let subject = Subject {
            svcnum: 7,
            custnum: 3,
            username: "ada".into(),
            account_id: Some("FREESIDE3".into()),
        };
        assert_eq!(Subject::decode(7, &subject.encode()), Some(subject.clone()));
        let bare = Subject {
            account_id: None,
            ..subject
        };
        assert_eq!(Subject::decode(7, &bare.encode()), Some(bare));
        assert_eq!(Subject::decode(7, "x\tada"), None);
        assert_eq!(Subject::decode(7, "3\t"), None);
    }
}
