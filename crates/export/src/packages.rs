//! Package suspension, unsuspension and cancellation, driving the hooks of
//! every mail account in the package inside the same transaction: either
//! the package and all its services change, here and remotely, or nothing
//! does.

use bursar_core::model::ExportDef;
use bursar_store::package as store_package;
use bursar_store::service::{self, Account};
use bursar_store::Store;

use crate::accounts::{begin, fail};
use crate::hooks::{self, Hook, HookFailure, Repair};
use crate::queue::{enqueue_repairs, queue_repairs};
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

/// Applies `action` to package `pkgnum` at `now`. A service suspended on
/// its own stays suspended when its package is unsuspended.
///
/// # Errors
/// [`ServiceError::Refused`] for an unknown or cancelled package,
/// [`ServiceError::Export`] when an export refused (nothing changed
/// anywhere).
pub async fn change_package(
    store: &Store,
    registry: &Registry,
    pkgnum: i64,
    action: PackageAction,
    now: i64,
) -> Result<(), ServiceError> {
    let unknown = |e: bursar_store::Error| match e {
        bursar_store::Error::NotFound => ServiceError::Refused(format!("Unknown pkgnum {pkgnum}")),
        other => other.into(),
    };
    let custnum = {
        let mut conn = store.read().await?;
        store_package::package(&mut conn, pkgnum)
            .await
            .map_err(unknown)?
            .custnum
    };
    let mut tx = begin(store, custnum).await?;
    let package = store_package::package(&mut tx, pkgnum)
        .await
        .map_err(unknown)?;
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
    let mut accounts = service::accounts_of_package(&mut tx, pkgnum).await?;
    if action == PackageAction::Cancel {
        // Newest first: the master (the customer's oldest service) goes
        // last, so no master hand-over happens on the way, and undoing a
        // partial cancel only reactivates users that were not master.
        accounts.reverse();
    }
    // (service before, service after, its exports, the hook) of each
    // service whose hooks ran, to undo them if a later one fails.
    let mut done: Vec<(Account, Option<Account>, Vec<ExportDef>, Hook)> = Vec::new();
    let mut follow_up = Vec::new();
    let mut failure: Option<HookFailure> = None;
    for account in &accounts {
        let exports = service::exports_of_svcpart(&mut tx, store, account.svcpart).await?;
        let (hook, after) = match action {
            // Already suspended on its own: nothing changes remotely.
            PackageAction::Suspend if account.suspended => continue,
            PackageAction::Suspend => (
                Hook::Suspend,
                Some(Account {
                    suspended: true,
                    ..account.clone()
                }),
            ),
            // Suspended on its own: stays suspended.
            PackageAction::Unsuspend if account.service_suspended => continue,
            PackageAction::Unsuspend => (
                Hook::Unsuspend,
                Some(Account {
                    suspended: false,
                    ..account.clone()
                }),
            ),
            PackageAction::Cancel => {
                service::delete_account(&mut tx, account.svcnum).await?;
                (Hook::Delete, None)
            }
        };
        match hooks::run(
            &mut tx,
            store,
            registry,
            &exports,
            hook,
            Some(account),
            after.as_ref(),
        )
        .await
        {
            Ok(more) => {
                follow_up.extend(more);
                if hook == Hook::Delete {
                    service::clear_remote_ids(&mut tx, account.svcnum).await?;
                }
                done.push((account.clone(), after, exports, hook));
            }
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    if let Some(mut failure) = failure {
        // Bring the services already changed back, newest first.
        for (before, after, exports, hook) in done.iter().rev() {
            let more = hooks::undo_all(
                &mut tx,
                store,
                registry,
                exports,
                *hook,
                Some(before),
                after.as_ref(),
            )
            .await;
            failure.repairs.extend(more);
        }
        drop(tx);
        return Err(fail(store, failure).await);
    }
    match action {
        PackageAction::Suspend => store_package::suspend_package(&mut tx, pkgnum, now).await?,
        PackageAction::Unsuspend => store_package::unsuspend_package(&mut tx, pkgnum).await?,
        PackageAction::Cancel => store_package::cancel_package(&mut tx, pkgnum, now).await?,
    }
    if let Err(error) = commit(tx, &follow_up).await {
        tracing::error!(%error, pkgnum, "commit failed after the exports ran; undoing them");
        let mut repairs = Vec::new();
        if let Ok(mut undo_tx) = begin(store, custnum).await {
            for (before, after, exports, hook) in done.iter().rev() {
                repairs.extend(
                    hooks::undo_all(
                        &mut undo_tx,
                        store,
                        registry,
                        exports,
                        *hook,
                        Some(before),
                        after.as_ref(),
                    )
                    .await,
                );
            }
            if let Err(error) = undo_tx.commit().await {
                tracing::error!(%error, "could not record the undo");
            }
        }
        queue_repairs(store, &repairs, crate::now()).await;
        return Err(ServiceError::Store(error));
    }
    tracing::info!(
        pkgnum,
        ?action,
        services = accounts.len(),
        "package changed"
    );
    Ok(())
}

async fn commit(mut tx: bursar_store::Tx, follow_up: &[Repair]) -> Result<(), bursar_store::Error> {
    enqueue_repairs(&mut tx, follow_up, crate::now()).await?;
    tx.commit().await?;
    Ok(())
}
