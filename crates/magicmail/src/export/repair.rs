//! Deferred compensations: what a rollback could not undo, run again later
//! by the framework's job queue. Each one checks the server first, so
//! running it twice, or after it already happened, is harmless, and none
//! destroys a user or account that someone else has put to use since.

use crate::error::Error;
use crate::model::contains_ci;

use super::{Compensation, MagicMailExport};

impl MagicMailExport {
    /// Runs one compensation (spec 4.5), checking before acting.
    ///
    /// # Errors
    /// A failing call, or `Protocol` when the check finds the object in use
    /// (a user of another account, an account with live users); such a
    /// repair must not be retried blindly.
    pub async fn compensate(&self, compensation: &Compensation) -> Result<(), Error> {
        let client = &self.client;
        match compensation {
            Compensation::RemovePackage { username, package } => {
                match client.get_packages(username).await {
                    Ok(have) if contains_ci(have.keys(), package) => {
                        client.remove_package(username, package).await
                    }
                    Ok(_) => Ok(()),
                    Err(e) if e.is_not_found() => Ok(()),
                    Err(e) => Err(e),
                }
            }
            Compensation::PurgeUser { username, account } => {
                match client.get_user(username).await? {
                    None => Ok(()),
                    Some(user) if user.belongs_to(account) => {
                        client.purge_user(username, true).await
                    }
                    Some(_) => Err(Error::Protocol(format!(
                        "user {username} now belongs to another account; not purged"
                    ))),
                }
            }
            Compensation::SetAccountStatus { account, status } => {
                if client.get_account(account).await?.is_none() {
                    return Ok(());
                }
                if !client.list_users(account).await?.is_empty() {
                    return Err(Error::Protocol(format!(
                        "account {account} has users again; status not set to {status}"
                    )));
                }
                client.set_account_status(account, *status).await.map(drop)
            }
            Compensation::PurgeAccount { account } => {
                if client.get_account(account).await?.is_none() {
                    return Ok(());
                }
                if !client.list_users(account).await?.is_empty() {
                    return Err(Error::Protocol(format!(
                        "account {account} has users again; not purged"
                    )));
                }
                client.purge_account(account, true).await
            }
        }
    }
}
