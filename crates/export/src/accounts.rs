//! The service operations on mail accounts (`svc_acct`), one function each,
//! shared by the CLI, the self-service API, the provisioner and dunning:
//! add, edit, remove, suspend, unsuspend. Each is one local transaction
//! with the realtime export hooks inside it (see the crate docs).

use bursar_core::model::ExportDef;
use bursar_store::export_lock::lock_customer;
use bursar_store::package as store_package;
use bursar_store::service::{self, Account, NewAccount};
use bursar_store::{Store, Tx};

use crate::facts::{check_username, encode_password};
use crate::hooks::{self, Hook, HookFailure, Repair};
use crate::queue::{enqueue_repairs, queue_repairs};
use crate::{now, Registry, ServiceError};

/// A mail account to add.
#[derive(Clone)]
pub struct AddAccount {
    /// The package it belongs to.
    pub pkgnum: i64,
    /// Its service definition.
    pub svcpart: i64,
    /// The local part.
    pub username: String,
    /// The domain; `None` = the definition's first.
    pub domain: Option<String>,
    /// The password in clear (encoded here as the definition asks).
    pub password: String,
    /// Full name.
    pub finger: String,
}

impl std::fmt::Debug for AddAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddAccount")
            .field("pkgnum", &self.pkgnum)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Changes to a mail account; `None` keeps the field.
#[derive(Clone, Default)]
pub struct EditAccount {
    /// New local part.
    pub username: Option<String>,
    /// New domain (one of the definition's).
    pub domain: Option<String>,
    /// New password in clear.
    pub password: Option<String>,
    /// New full name.
    pub finger: Option<String>,
}

impl std::fmt::Debug for EditAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditAccount")
            .field("username", &self.username)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// Turns a hook failure into the caller's error, after queueing its repairs
/// (the local transaction is already gone).
pub(crate) async fn fail(store: &Store, failure: HookFailure) -> ServiceError {
    queue_repairs(store, &failure.repairs, now()).await;
    ServiceError::Export(failure.message)
}

/// Opens the operation's transaction and takes the customer's lock (see
/// `bursar_store::export_lock`).
pub(crate) async fn begin(store: &Store, custnum: i64) -> Result<Tx, ServiceError> {
    let mut tx = store.write().await?;
    lock_customer(&mut tx, store.backend(), custnum)
        .await
        .map_err(|e| match e {
            bursar_store::Error::NotFound => {
                ServiceError::Refused(format!("Unknown custnum {custnum}"))
            }
            other => other.into(),
        })?;
    Ok(tx)
}

/// Adds a mail account and provisions it on its exports; returns its `svcnum`.
///
/// # Errors
/// [`ServiceError::Refused`] for bad input (an unknown, cancelled or
/// suspended package included), [`ServiceError::Export`] when an export
/// refused it (nothing is left on either side).
pub async fn add_account(
    store: &Store,
    registry: &Registry,
    request: &AddAccount,
) -> Result<i64, ServiceError> {
    let username = request.username.trim().to_ascii_lowercase();
    check_username(&username)?;
    let custnum = {
        let mut conn = store.read().await?;
        store_package::package(&mut conn, request.pkgnum)
            .await
            .map_err(|e| match e {
                bursar_store::Error::NotFound => {
                    ServiceError::Refused(format!("Unknown pkgnum {}", request.pkgnum))
                }
                other => other.into(),
            })?
            .custnum
    };
    let mut tx = begin(store, custnum).await?;
    // A suspended package would need its new service provisioned and
    // suspended at once; refused instead, so that a service is never live
    // remotely while its package is suspended.
    let package = store_package::package(&mut tx, request.pkgnum).await?;
    if package.susp.is_some() && package.cancel.is_none() {
        return Err(ServiceError::Refused(format!(
            "Package {} is suspended",
            request.pkgnum
        )));
    }
    let definition = service::service_def(&mut tx, request.svcpart)
        .await
        .map_err(|e| match e {
            bursar_store::Error::NotFound => {
                ServiceError::Refused(format!("Unknown svcpart {}", request.svcpart))
            }
            other => other.into(),
        })?;
    let domain = match &request.domain {
        Some(domain) => domain.trim().to_ascii_lowercase(),
        None => definition.domains.first().cloned().ok_or_else(|| {
            ServiceError::Refused(format!(
                "Service definition {} has no domain",
                request.svcpart
            ))
        })?,
    };
    let password = encode_password(definition.password_encoding, &request.password)?;
    for name in &definition.exports {
        let def = service::export_by_name(&mut tx, store, name).await?;
        bursar_core::export_type::check_password_encoding(
            &def.export_type,
            definition.password_encoding,
        )
        .map_err(ServiceError::Refused)?;
    }
    let svcnum = service::insert_account(
        &mut tx,
        &NewAccount {
            pkgnum: request.pkgnum,
            svcpart: request.svcpart,
            username,
            domain,
            password,
            password_encoding: definition.password_encoding,
            finger: request.finger.trim().to_string(),
        },
    )
    .await?;
    let account = service::account(&mut tx, svcnum).await?;
    let exports = service::exports_of_svcpart(&mut tx, store, request.svcpart).await?;
    run_and_commit(
        store,
        registry,
        tx,
        &exports,
        Hook::Insert,
        None,
        Some(&account),
    )
    .await?;
    tracing::info!(svcnum, pkgnum = request.pkgnum, "mail account added");
    Ok(svcnum)
}

/// Runs `hook` on every export inside `tx`, then commits (see
/// [`commit_or_undo`]); a hook failure rolls `tx` back and queues its
/// repairs.
async fn run_and_commit(
    store: &Store,
    registry: &Registry,
    mut tx: Tx,
    exports: &[ExportDef],
    hook: Hook,
    old: Option<&Account>,
    new: Option<&Account>,
) -> Result<(), ServiceError> {
    match hooks::run(&mut tx, store, registry, exports, hook, old, new).await {
        Ok(follow_up) => {
            commit_or_undo(store, registry, tx, exports, hook, old, new, &follow_up).await
        }
        Err(failure) => {
            drop(tx);
            Err(fail(store, failure).await)
        }
    }
}

/// Commits with the follow-up resyncs; if the commit fails after the
/// remote side changed, brings the exports back to the state from before
/// (queued as resyncs when even that fails).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn commit_or_undo(
    store: &Store,
    registry: &Registry,
    mut tx: Tx,
    exports: &[ExportDef],
    hook: Hook,
    old: Option<&Account>,
    new: Option<&Account>,
    follow_up: &[Repair],
) -> Result<(), ServiceError> {
    let committed = match enqueue_repairs(&mut tx, follow_up, now()).await {
        Ok(()) => tx.commit().await.map_err(bursar_store::Error::from),
        Err(error) => Err(error),
    };
    let Err(error) = committed else {
        return Ok(());
    };
    tracing::error!(%error, "commit failed after the exports ran; undoing them");
    let custnum = old.or(new).map(|a| a.custnum).unwrap_or_default();
    let repairs = match begin(store, custnum).await {
        Ok(mut undo_tx) => {
            let repairs =
                hooks::undo_all(&mut undo_tx, store, registry, exports, hook, old, new).await;
            if let Err(error) = undo_tx.commit().await {
                tracing::error!(%error, "could not record the undo");
            }
            repairs
        }
        Err(error) => {
            tracing::error!(%error, "cannot undo the exports; run `bursar export audit --repair`");
            Vec::new()
        }
    };
    queue_repairs(store, &repairs, now()).await;
    Err(ServiceError::Store(error))
}

/// Changes a mail account (username, domain, password, full name) here and
/// on its exports.
///
/// # Errors
/// As [`add_account`].
pub async fn edit_account(
    store: &Store,
    registry: &Registry,
    svcnum: i64,
    changes: &EditAccount,
) -> Result<(), ServiceError> {
    let custnum = custnum_of(store, svcnum).await?;
    let mut tx = begin(store, custnum).await?;
    let old = load(&mut tx, svcnum).await?;
    let definition = service::service_def(&mut tx, old.svcpart).await?;
    let mut new = old.clone();
    if let Some(username) = &changes.username {
        new.username = username.trim().to_ascii_lowercase();
        check_username(&new.username)?;
    }
    if let Some(domain) = &changes.domain {
        new.domain = domain.trim().to_ascii_lowercase();
        new.domsvc = service::definition_domain(&mut tx, old.svcpart, &new.domain).await?;
    }
    if let Some(password) = &changes.password {
        new.password = encode_password(definition.password_encoding, password)?;
        new.password_encoding = definition.password_encoding;
    }
    if let Some(finger) = &changes.finger {
        new.finger = finger.trim().to_string();
    }
    if new == old {
        return Ok(());
    }
    service::update_account(&mut tx, &new).await?;
    let exports = service::exports_of_svcpart(&mut tx, store, old.svcpart).await?;
    run_and_commit(
        store,
        registry,
        tx,
        &exports,
        Hook::Replace,
        Some(&old),
        Some(&new),
    )
    .await
}

async fn load(conn: &mut bursar_store::Conn, svcnum: i64) -> Result<Account, ServiceError> {
    service::account(conn, svcnum).await.map_err(|e| match e {
        bursar_store::Error::NotFound => ServiceError::Refused(format!("Unknown svcnum {svcnum}")),
        other => other.into(),
    })
}

/// The customer of service `svcnum` (read before the lock is taken).
async fn custnum_of(store: &Store, svcnum: i64) -> Result<i64, ServiceError> {
    let mut conn = store.read().await?;
    Ok(load(&mut conn, svcnum).await?.custnum)
}

/// Removes a mail account here and unprovisions it on its exports.
///
/// # Errors
/// As [`add_account`].
pub async fn remove_account(
    store: &Store,
    registry: &Registry,
    svcnum: i64,
) -> Result<(), ServiceError> {
    let custnum = custnum_of(store, svcnum).await?;
    let mut tx = begin(store, custnum).await?;
    let old = load(&mut tx, svcnum).await?;
    let exports = service::exports_of_svcpart(&mut tx, store, old.svcpart).await?;
    // The hooks read the customer's remaining services, so the local delete
    // goes first, inside the same transaction; the remote ids stay readable
    // until the hooks have run.
    service::delete_account(&mut tx, svcnum).await?;
    let follow_up = match hooks::run(
        &mut tx,
        store,
        registry,
        &exports,
        Hook::Delete,
        Some(&old),
        None,
    )
    .await
    {
        Ok(follow_up) => follow_up,
        Err(failure) => {
            drop(tx);
            return Err(fail(store, failure).await);
        }
    };
    service::clear_remote_ids(&mut tx, svcnum).await?;
    commit_or_undo(
        store,
        registry,
        tx,
        &exports,
        Hook::Delete,
        Some(&old),
        None,
        &follow_up,
    )
    .await
}

/// Suspends (`suspend = true`) or unsuspends a mail account on its own,
/// here and on its exports. Suspending one already suspended, or
/// unsuspending one not suspended on its own, changes nothing; a service
/// suspended with its package is unsuspended with the package.
///
/// # Errors
/// As [`add_account`].
pub async fn set_account_suspended(
    store: &Store,
    registry: &Registry,
    svcnum: i64,
    suspend: bool,
) -> Result<(), ServiceError> {
    let custnum = custnum_of(store, svcnum).await?;
    let mut tx = begin(store, custnum).await?;
    let old = load(&mut tx, svcnum).await?;
    let package_suspended = store_package::package(&mut tx, old.pkgnum)
        .await?
        .susp
        .is_some();
    if suspend == old.service_suspended {
        if !suspend && package_suspended {
            return Err(ServiceError::Refused(format!(
                "Service {svcnum} is suspended with package {}; unsuspend the package",
                old.pkgnum
            )));
        }
        return Ok(());
    }
    service::set_service_suspended(&mut tx, svcnum, suspend.then(now)).await?;
    let mut new = old.clone();
    new.service_suspended = suspend;
    new.suspended = suspend || package_suspended;
    if new.suspended == old.suspended {
        // The package keeps it suspended on the platform.
        tx.commit().await.map_err(bursar_store::Error::from)?;
        return Ok(());
    }
    let exports = service::exports_of_svcpart(&mut tx, store, old.svcpart).await?;
    let hook = if suspend {
        Hook::Suspend
    } else {
        Hook::Unsuspend
    };
    run_and_commit(store, registry, tx, &exports, hook, Some(&old), Some(&new)).await
}
