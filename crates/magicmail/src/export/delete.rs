//! Delete (spec 4.6): unprovision one mail service. The user is marked
//! deleted (purged with `autopurge`); a master hands its role to the
//! customer's oldest other service; the account is marked deleted once it
//! has no user left. Only the user's own status change can fail the hook;
//! everything after it is a warning.
//!
//! Bursar decisions: only a not-found user is skipped with a warning (B-4),
//! "master" means `master_user == "Y"` (B-1), account ids compare ignoring
//! ASCII case (B-9), and a customer with no other service gets an empty
//! candidate list (B-2).

use crate::model::Status;

use super::insert::wanted_packages;
use super::{warn, CustomerFacts, ExportError, MagicMailExport, MailService};

impl MagicMailExport {
    /// Unprovisions `service` of `customer` (spec 4.6).
    ///
    /// # Errors
    /// When the user cannot be read (other than not found), belongs to
    /// another account, or cannot be marked deleted.
    #[tracing::instrument(skip_all, fields(svcnum = service.svcnum, custnum = customer.custnum))]
    pub async fn delete(
        &self,
        customer: &CustomerFacts,
        service: &MailService,
    ) -> Result<Vec<String>, ExportError> {
        let client = &self.client;
        let expected_account = self.service_account_id(customer, service);
        let _guard = self.lock_account(&expected_account).await;
        let username = &service.username;
        let mut warnings = Vec::new();
        let not_retrievable =
            format!("Could not remove user from magicmail, username {username} not retrievable");

        // D1, D2.
        let user = match client.get_user(username).await {
            Ok(Some(user)) => user,
            Ok(None) => {
                warn(&mut warnings, &expected_account, not_retrievable);
                return Ok(warnings);
            }
            Err(e) => {
                let mut error = ExportError::from_call(&e, warnings);
                error.message = format!("{e}\n{not_retrievable}");
                error.outcome_unknown = false;
                return Err(error);
            }
        };
        if !user.belongs_to(&expected_account) {
            let mut error =
                ExportError::new("Could not remove user from magicmail, account id does not match");
            error.warnings = warnings;
            return Err(error);
        }
        let account = user.account.clone().unwrap_or(expected_account);

        // D3: a replacement master.
        let mut replacement = None;
        if user.is_master() {
            match client.list_users(&account).await {
                Ok(users) if users.len() > 1 => {
                    let mut candidates: Vec<_> = customer
                        .magic_services
                        .iter()
                        .filter(|s| s.svcnum != service.svcnum)
                        .filter(|s| !s.username.eq_ignore_ascii_case(username))
                        .collect();
                    candidates.sort_by_key(|s| s.svcnum);
                    replacement = candidates
                        .into_iter()
                        .find(|s| users.contains_key(&s.username.to_ascii_uppercase()))
                        .map(|s| s.username.clone());
                    if replacement.is_none() {
                        warn(
                            &mut warnings,
                            &account,
                            format!("Cannot find replacement master user for account {account}"),
                        );
                    }
                }
                Ok(_) => {}
                Err(e) => warn(&mut warnings, &account, e.to_string()),
            }
        }

        // D4: the only step that fails the hook from here on.
        if let Err(e) = client.set_user_status(username, Status::Deleted).await {
            return Err(ExportError::from_call(&e, warnings));
        }

        // D5.
        if let Some(replacement) = &replacement {
            if let Err(e) = client.make_master_user(replacement).await {
                warn(&mut warnings, &account, e.to_string());
            }
        }

        // D6.
        let wanted = wanted_packages(customer, None, Some(service.svcnum));
        self.sync_packages(&account, &wanted, &mut warnings).await;

        // D7.
        if self.options.autopurge {
            if let Err(e) = client.purge_user(username, false).await {
                warn(&mut warnings, &account, e.to_string());
            }
        }

        // D8, D9, D10: the account, once empty.
        match client.list_users(&account).await {
            Ok(users) if users.is_empty() => {}
            Ok(_) => return Ok(warnings),
            Err(e) => {
                warn(&mut warnings, &account, e.to_string());
                return Ok(warnings);
            }
        }
        if let Err(e) = client.set_account_status(&account, Status::Deleted).await {
            warn(&mut warnings, &account, e.to_string());
            return Ok(warnings);
        }
        if self.options.autopurge {
            if let Err(e) = client.purge_account(&account, false).await {
                warn(&mut warnings, &account, e.to_string());
            }
        }
        Ok(warnings)
    }
}
