//! Package sync (spec 4.9): the account's master user holds exactly the
//! packages the customer's magic services want. Warnings only, never an
//! error. Packages an operator added by hand on the master are removed too
//! (B-15); that is also how a new master loses its
//! `ADDITIONAL NOCOST MAILBOX` after a hand-over.

use crate::model::contains_ci;

use super::insert::wanted_packages;
use super::{warn, CustomerFacts, MagicMailExport};

impl MagicMailExport {
    /// Package sync on its own, for repairs: the master of `account` gets
    /// exactly what `customer`'s magic services want. Returns the warnings
    /// (none when everything went through).
    pub async fn sync_account_packages(
        &self,
        customer: &CustomerFacts,
        account: &str,
    ) -> Vec<String> {
        let wanted = wanted_packages(customer, None, None);
        let mut warnings = Vec::new();
        self.sync_packages(account, &wanted, &mut warnings).await;
        warnings
    }

    /// Puts `wanted` on the master of `account` and takes everything else
    /// off, collecting problems in `warnings`.
    pub(super) async fn sync_packages(
        &self,
        account: &str,
        wanted: &[String],
        warnings: &mut Vec<String>,
    ) {
        let client = &self.client;
        let master = match client.list_users(account).await {
            Ok(users) => users
                .into_iter()
                .find(|(_, user)| user.is_master())
                .map(|(key, _)| key),
            Err(e) => return warn(warnings, account, e.to_string()),
        };
        let Some(master) = master else {
            return warn(
                warnings,
                account,
                format!("Could not find master user for account {account}"),
            );
        };
        let have = match client.get_packages(&master).await {
            Ok(have) => have,
            Err(e) => return warn(warnings, account, e.to_string()),
        };
        let mut assign_errors = Vec::new();
        for package in wanted {
            if !contains_ci(have.keys(), package) {
                if let Err(e) = client.assign_package(&master, package).await {
                    assign_errors.push(e.to_string());
                }
            }
        }
        if !assign_errors.is_empty() {
            return warn(warnings, account, assign_errors.join("\n"));
        }
        let mut remove_errors = Vec::new();
        for package in have.keys() {
            if !contains_ci(wanted.iter(), package) {
                if let Err(e) = client.remove_package(&master, package).await {
                    remove_errors.push(e.to_string());
                }
            }
        }
        if !remove_errors.is_empty() {
            warn(warnings, account, remove_errors.join("\n"));
        }
    }
}
