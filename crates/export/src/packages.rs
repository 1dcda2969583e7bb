//! Package suspension, unsuspension and cancellation, driving the hooks of
//! every mail account in the package inside the same transaction: either
//! the package and all its services change, here and remotely, or nothing
//! does.

use bursar_store::package as store_package;
use bursar_store::service;
use bursar_store::Store;

use crate::accounts::fail;
use crate::hooks::{self, Hook, HookFailure};
use crate::{Registry, ServiceError};

/// What to do to a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageAction {
    /// Suspend it and its services.
    Suspend,
    /// Unsuspend it and its services.
    Unsuspend,
    /// Cancel it: its services are unprovisioned and removed.
    Cancel,
}

/// Applies `action` to package `pkgnum` at `now`.
///
/// # Errors
/// [`ServiceError::Refused`] for an unknown package, [`ServiceError::Export`]
/// when an export refused (nothing changed anywhere).
pub async fn change_package(
    store: &Store,
    registry: &Registry,
    pkgnum: i64,
    action: PackageAction,
    now: i64,
) -> Result<(), ServiceError> {
    let mut tx = store.write().await?;
    let package = store_package::package(&mut tx, pkgnum)
        .await
        .map_err(|e| match e {
            bursar_store::Error::NotFound => {
                ServiceError::Refused(format!("Unknown pkgnum {pkgnum}"))
            }
            other => other.into(),
        })?;
    if package.cancel.is_some() {
        return Err(ServiceError::Refused(format!(
            "Package {pkgnum} is cancelled"
        )));
    }
    let already = match action {
        PackageAction::Suspend => package.susp.is_some(),
        PackageAction::Unsuspend => package.susp.is_none(),
        PackageAction::Cancel => false,
    };
    if already {
        return Ok(());
    }
    let accounts = service::accounts_of_package(&mut tx, pkgnum).await?;
    let mut done: Vec<(usize, Vec<bursar_core::model::ExportDef>)> = Vec::new();
    let mut failure: Option<HookFailure> = None;
    for (idx, account) in accounts.iter().enumerate() {
        let exports = service::exports_of_svcpart(&mut tx, store, account.svcpart).await?;
        let result = match action {
            PackageAction::Suspend => {
                hooks::run(
                    &mut tx,
                    store,
                    registry,
                    &exports,
                    Hook::Suspend,
                    None,
                    Some(account),
                )
                .await
            }
            PackageAction::Unsuspend => {
                hooks::run(
                    &mut tx,
                    store,
                    registry,
                    &exports,
                    Hook::Unsuspend,
                    None,
                    Some(account),
                )
                .await
            }
            PackageAction::Cancel => {
                service::delete_account(&mut tx, account.svcnum).await?;
                let result = hooks::run(
                    &mut tx,
                    store,
                    registry,
                    &exports,
                    Hook::Delete,
                    Some(account),
                    None,
                )
                .await;
                if result.is_ok() {
                    service::clear_remote_ids(&mut tx, account.svcnum).await?;
                }
                result
            }
        };
        match result {
            Ok(_) => done.push((idx, exports)),
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    if let Some(mut failure) = failure {
        // Undo the services already changed, newest first.
        for (idx, exports) in done.into_iter().rev() {
            let account = &accounts[idx];
            let undone = match action {
                PackageAction::Suspend => {
                    hooks::run(
                        &mut tx,
                        store,
                        registry,
                        &exports,
                        Hook::Unsuspend,
                        None,
                        Some(account),
                    )
                    .await
                }
                PackageAction::Unsuspend => {
                    hooks::run(
                        &mut tx,
                        store,
                        registry,
                        &exports,
                        Hook::Suspend,
                        None,
                        Some(account),
                    )
                    .await
                }
                PackageAction::Cancel => {
                    hooks::run(
                        &mut tx,
                        store,
                        registry,
                        &exports,
                        Hook::Insert,
                        None,
                        Some(account),
                    )
                    .await
                }
            };
            if let Err(more) = undone {
                failure.repairs.extend(more.repairs);
            }
        }
        drop(tx);
        return Err(fail(store, failure).await);
    }
    match action {
        PackageAction::Suspend => store_package::suspend_package(&mut tx, pkgnum, now).await?,
        PackageAction::Unsuspend => store_package::unsuspend_package(&mut tx, pkgnum).await?,
        PackageAction::Cancel => store_package::cancel_package(&mut tx, pkgnum, now).await?,
    }
    tx.commit().await.map_err(bursar_store::Error::from)?;
    tracing::info!(
        pkgnum,
        ?action,
        services = accounts.len(),
        "package changed"
    );
    Ok(())
}
