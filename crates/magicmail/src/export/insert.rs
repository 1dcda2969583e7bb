//! Insert (spec 4.4) and its rollback (spec 4.5): provision one mail
//! service, and on failure undo, in Freeside's fixed order, everything this
//! insert did, so that nothing is left half-made on the server.
//!
//! Bursar's additions: a reply without `master_user=Y` for the first user
//! rolls back instead of dying (B-3); a call that failed with an unknown
//! outcome (timeout, dropped connection, unreadable reply) is re-read during
//! the rollback and undone only if it did land and belongs to this
//! customer's account; a compensation that fails is reported in
//! `ExportError::repairs`.

use std::collections::BTreeSet;

use crate::error::{Error, UNKNOWN_ERROR};
use crate::model::{contains_ci, AccountFields, Status, UserFields};

use super::{
    non_empty, split_finger, warn, wire_password, Compensation, CustomerFacts, ExportError,
    InsertOutcome, MagicMailExport, MailService,
};

/// What the rollback must undo. Each "maybe" entry is a call whose outcome
/// is unknown: the rollback checks before undoing it.
#[derive(Debug, Default)]
struct Rollback {
    remove_package: Option<(String, String)>,
    maybe_assigned: Option<(String, String)>,
    purge_user: Option<String>,
    maybe_added_user: Option<String>,
    suspend_account: bool,
    delete_account: bool,
    purge_account: bool,
    maybe_added_account: bool,
}

impl MagicMailExport {
    /// Provisions `service` for `customer` (spec 4.4): creates or reactivates
    /// the customer's account, puts this export's package on the master
    /// user, adds the user and its address, then syncs packages.
    ///
    /// # Errors
    /// The first failing step's error followed by the errors of failing
    /// compensations; what the compensations could not undo is in
    /// `ExportError::repairs`.
    #[tracing::instrument(skip_all, fields(svcnum = service.svcnum, custnum = customer.custnum))]
    pub async fn insert(
        &self,
        customer: &CustomerFacts,
        service: &MailService,
    ) -> Result<InsertOutcome, ExportError> {
        let password = wire_password(&service.password, service.password_encoding)
            .map_err(ExportError::new)?;
        let wanted_account = self.account_id(customer);
        let _guard = self.lock_account(&wanted_account).await;
        let client = &self.client;
        let package = &self.options.package;
        let mut warnings = Vec::new();
        let mut rollback = Rollback::default();

        // I1, I2, I3: the account, created or made active.
        let existing = client
            .get_account(&wanted_account)
            .await
            .map_err(|e| ExportError::new(e.to_string()))?;
        let account = match existing {
            None => {
                let fields = AccountFields {
                    first_name: non_empty(&customer.first),
                    last_name: non_empty(&customer.last),
                    ..AccountFields::default()
                };
                match client.add_account(&wanted_account, &fields).await {
                    Ok(created) => {
                        rollback.purge_account = true;
                        created.id
                    }
                    Err(e) => {
                        rollback.maybe_added_account = e.outcome_unknown();
                        return Err(self
                            .roll_back(rollback, &wanted_account, &e.to_string(), warnings)
                            .await);
                    }
                }
            }
            Some(existing) => {
                let old_status = existing.status();
                if old_status != Some(Status::Active) {
                    warn(
                        &mut warnings,
                        &existing.id,
                        format!(
                            "Reactivating MagicMail account {} (status was {})",
                            existing.id,
                            existing.status.as_deref().unwrap_or("missing")
                        ),
                    );
                    let result = client
                        .set_account_status(&existing.id, Status::Active)
                        .await;
                    // Restoring the old status is harmless if the change did
                    // not land, so an unknown outcome records it too.
                    if result.is_ok() || result.as_ref().is_err_and(Error::outcome_unknown) {
                        rollback.delete_account = old_status == Some(Status::Deleted);
                        rollback.suspend_account = old_status == Some(Status::Suspended);
                    }
                    if let Err(e) = result {
                        return Err(self
                            .roll_back(rollback, &existing.id, &e.to_string(), warnings)
                            .await);
                    }
                }
                existing.id
            }
        };

        let result = self
            .insert_user(service, &account, package, password, &mut rollback)
            .await;
        if let Err(message) = result {
            return Err(self.roll_back(rollback, &account, &message, warnings).await);
        }

        // I9: package sync, warnings only.
        let wanted = wanted_packages(customer, Some((service.svcnum, package)), None);
        self.sync_packages(&account, &wanted, &mut warnings).await;
        Ok(InsertOutcome {
            account_id: account,
            warnings,
        })
    }

    /// Steps I4 to I8 on an active account; an `Err` is the text to roll
    /// back with.
    async fn insert_user(
        &self,
        service: &MailService,
        account: &str,
        package: &str,
        password: (crate::model::Password, crate::model::PasswordType),
        rollback: &mut Rollback,
    ) -> Result<(), String> {
        let client = &self.client;
        // I4: the master, if any.
        let users = client
            .list_users(account)
            .await
            .map_err(|e| e.to_string())?;
        let master = users
            .iter()
            .find(|(_, user)| user.is_master())
            .map(|(key, _)| key.clone());
        // I5: the export's package on the existing master.
        if let Some(master) = &master {
            self.ensure_package(master, package, rollback).await?;
        }
        // I6: the user.
        let (first, last) = split_finger(&service.finger);
        let fields = UserFields {
            first_name: non_empty(&first),
            last_name: non_empty(&last),
            memo: None,
            password: Some(password),
        };
        let user = match client.add_user(account, &service.username, &fields).await {
            Ok(user) => {
                rollback.purge_user = Some(service.username.clone());
                user
            }
            Err(e) => {
                if e.outcome_unknown() {
                    rollback.maybe_added_user = Some(service.username.clone());
                }
                return Err(e.to_string());
            }
        };
        // I7: the first user must be the master, and gets the package.
        if master.is_none() {
            if !user.is_master() {
                return Err("Unexpected lack of master user on account".to_string());
            }
            self.ensure_package(&user.id, package, rollback).await?;
        }
        // I8: the address.
        let address = format!("{}@{}", service.username, service.domain);
        client
            .add_email_address(&service.username, &address)
            .await
            .map_err(|e| e.to_string())
    }

    /// I5: `package` on `master`, recording its removal for the rollback.
    async fn ensure_package(
        &self,
        master: &str,
        package: &str,
        rollback: &mut Rollback,
    ) -> Result<(), String> {
        let have = self
            .client
            .get_packages(master)
            .await
            .map_err(|e| e.to_string())?;
        if contains_ci(have.keys(), package) {
            return Ok(());
        }
        match self.client.assign_package(master, package).await {
            Ok(after) => {
                // B-20: record the removal even when the reply leaves the
                // package out, in case it was assigned all the same.
                rollback.remove_package = Some((master.to_string(), package.to_string()));
                if contains_ci(after.keys(), package) {
                    Ok(())
                } else {
                    Err(UNKNOWN_ERROR.to_string())
                }
            }
            Err(e) => {
                if e.outcome_unknown() {
                    rollback.maybe_assigned = Some((master.to_string(), package.to_string()));
                }
                Err(e.to_string())
            }
        }
    }

    /// Undoes what `rollback` records, in the order of spec 4.5, attempting
    /// every step even when an earlier one fails.
    async fn roll_back(
        &self,
        rollback: Rollback,
        account: &str,
        original: &str,
        warnings: Vec<String>,
    ) -> ExportError {
        let client = &self.client;
        let mut errors = vec![if original.is_empty() {
            UNKNOWN_ERROR.to_string()
        } else {
            original.to_string()
        }];
        let mut repairs = Vec::new();
        let mut failed = |e: Error, repair: Compensation| {
            errors.push(e.to_string());
            repairs.push(repair);
        };

        // 1. The package put on the master.
        if let Some((username, package)) = rollback.remove_package {
            if let Err(e) = client.remove_package(&username, &package).await {
                failed(e, Compensation::RemovePackage { username, package });
            }
        } else if let Some((username, package)) = rollback.maybe_assigned {
            let held = client
                .get_packages(&username)
                .await
                .map(|have| contains_ci(have.keys(), &package));
            let result = match held {
                Ok(false) => Ok(()),
                Ok(true) => client.remove_package(&username, &package).await,
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                failed(e, Compensation::RemovePackage { username, package });
            }
        }

        // 2. The user (its address goes with it).
        if let Some(username) = rollback.purge_user {
            if let Err(e) = client.purge_user(&username, true).await {
                let account = account.to_string();
                failed(e, Compensation::PurgeUser { username, account });
            }
        } else if let Some(username) = rollback.maybe_added_user {
            let result = match client.get_user(&username).await {
                Ok(Some(user))
                    if user.belongs_to(account) && user.status() != Some(Status::Deleted) =>
                {
                    client.purge_user(&username, true).await
                }
                Ok(_) => Ok(()),
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                let account = account.to_string();
                failed(e, Compensation::PurgeUser { username, account });
            }
        }

        // 3, 4. The account's previous status.
        for (wanted, status) in [
            (rollback.suspend_account, Status::Suspended),
            (rollback.delete_account, Status::Deleted),
        ] {
            if wanted {
                if let Err(e) = client.set_account_status(account, status).await {
                    let account = account.to_string();
                    failed(e, Compensation::SetAccountStatus { account, status });
                }
            }
        }

        // 5. The account this insert created.
        if rollback.purge_account {
            if let Err(e) = client.purge_account(account, true).await {
                let account = account.to_string();
                failed(e, Compensation::PurgeAccount { account });
            }
        } else if rollback.maybe_added_account {
            let result = match client.get_account(account).await {
                Ok(Some(_)) => client.purge_account(account, true).await,
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                let account = account.to_string();
                failed(e, Compensation::PurgeAccount { account });
            }
        }

        let message = errors.join("\n");
        tracing::warn!(
            account,
            repairs = repairs.len(),
            "MagicMail insert rolled back: {message}"
        );
        ExportError {
            message,
            warnings,
            repairs,
            outcome_unknown: false,
        }
    }
}

/// The packages the customer's magic services want (spec 4.3), with
/// `include` added and `ignore` left out, compared ignoring ASCII case.
pub(super) fn wanted_packages(
    customer: &CustomerFacts,
    include: Option<(i64, &str)>,
    ignore: Option<i64>,
) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut wanted = Vec::new();
    let mut add = |package: &str| {
        if !package.is_empty() && seen.insert(package.to_ascii_uppercase()) {
            wanted.push(package.to_string());
        }
    };
    if let Some((_, package)) = include {
        add(package);
    }
    for service in &customer.magic_services {
        if Some(service.svcnum) == ignore {
            continue;
        }
        for package in &service.packages {
            add(package);
        }
    }
    wanted
}
