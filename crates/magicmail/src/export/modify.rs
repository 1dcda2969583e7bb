//! Replace, suspend and unsuspend (spec 4.7, 4.8): the user is read back,
//! checked against the customer's account, then updated. Account status and
//! packages are never touched here.

use crate::model::{Status, User, UserFields};

use super::{
    split_finger, warn, wire_password, CustomerFacts, ExportError, MagicMailExport, MailService,
};

impl MagicMailExport {
    /// Applies an edit of a provisioned service (spec 4.7): names from the
    /// finger and the password (always sent). A changed username or domain
    /// is refused (B-12).
    ///
    /// # Errors
    /// A refused change, a user that cannot be read or belongs to another
    /// account, or a failed update.
    #[tracing::instrument(skip_all, fields(svcnum = new.svcnum, custnum = customer.custnum))]
    pub async fn replace(
        &self,
        customer: &CustomerFacts,
        old: &MailService,
        new: &MailService,
    ) -> Result<Vec<String>, ExportError> {
        if old.username != new.username {
            return Err(ExportError::new(
                "Cannot change username on a magicmail account",
            ));
        }
        if !old.domain.eq_ignore_ascii_case(&new.domain) {
            return Err(ExportError::new(
                "Cannot change domain on a magicmail account",
            ));
        }
        let password =
            wire_password(&new.password, new.password_encoding).map_err(ExportError::new)?;
        let recorded = MailService {
            account_id: new.account_id.clone().or_else(|| old.account_id.clone()),
            ..new.clone()
        };
        let user = self.checked_user(customer, &recorded).await?;
        let (first, last) = split_finger(&new.finger);
        let fields = UserFields {
            first_name: Some(first),
            last_name: Some(last),
            memo: None,
            password: Some(password),
        };
        let account = user.account.clone().unwrap_or_default();
        self.client
            .update_user(&account, &new.username, &fields)
            .await
            .map_err(|e| ExportError::from_call(&e, Vec::new()))?;
        Ok(Vec::new())
    }

    /// Suspends the service's user (spec 4.8).
    ///
    /// # Errors
    /// As `replace`'s checks, or a failed status change.
    #[tracing::instrument(skip_all, fields(svcnum = service.svcnum, custnum = customer.custnum))]
    pub async fn suspend(
        &self,
        customer: &CustomerFacts,
        service: &MailService,
    ) -> Result<Vec<String>, ExportError> {
        self.set_status(customer, service, Status::Suspended).await
    }

    /// Reactivates the service's user (spec 4.8).
    ///
    /// # Errors
    /// As `replace`'s checks, or a failed status change.
    #[tracing::instrument(skip_all, fields(svcnum = service.svcnum, custnum = customer.custnum))]
    pub async fn unsuspend(
        &self,
        customer: &CustomerFacts,
        service: &MailService,
    ) -> Result<Vec<String>, ExportError> {
        self.set_status(customer, service, Status::Active).await
    }

    async fn set_status(
        &self,
        customer: &CustomerFacts,
        service: &MailService,
        status: Status,
    ) -> Result<Vec<String>, ExportError> {
        let user = self.checked_user(customer, service).await?;
        let mut warnings = Vec::new();
        if user.status() == Some(Status::Deleted) {
            let account = user.account.clone().unwrap_or_default();
            warn(
                &mut warnings,
                &account,
                format!("MagicMail user {} is deleted", service.username),
            );
        }
        self.client
            .set_user_status(&service.username, status)
            .await
            .map_err(|e| ExportError::from_call(&e, warnings.clone()))?;
        Ok(warnings)
    }

    /// Replace's steps 2 and 3: the user, which must belong to the
    /// service's account.
    async fn checked_user(
        &self,
        customer: &CustomerFacts,
        service: &MailService,
    ) -> Result<User, ExportError> {
        let username = &service.username;
        let not_retrievable = format!("Could not update user, username {username} not retrievable");
        let user = match self.client.get_user(username).await {
            Ok(Some(user)) => user,
            Ok(None) => return Err(ExportError::new(not_retrievable)),
            Err(e) => return Err(ExportError::new(format!("{e}\n{not_retrievable}"))),
        };
        let account = self.service_account_id(customer, service);
        if !user.belongs_to(&account) {
            return Err(ExportError::new(format!(
                "Could not update user {username}, account id does not match"
            )));
        }
        Ok(user)
    }
}
