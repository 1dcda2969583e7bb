//! The service operations on mail accounts (`svc_acct`), one function each,
//! shared by the CLI, the self-service API, the provisioner and dunning:
//! add, edit, remove, suspend, unsuspend. Each is one local transaction
//! with the realtime export hooks inside it (see the crate docs).

use bursar_store::service::{self, Account, NewAccount};
use bursar_store::Store;

use crate::facts::{check_username, encode_password};
use crate::hooks::{self, Hook, HookFailure};
use crate::queue::queue_repairs;
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

/// Adds a mail account and provisions it on its exports; returns its `svcnum`.
///
/// # Errors
/// [`ServiceError::Refused`] for bad input, [`ServiceError::Export`] when an
/// export refused it (nothing is left on either side).
pub async fn add_account(
    store: &Store,
    registry: &Registry,
    request: &AddAccount,
) -> Result<i64, ServiceError> {
    let username = request.username.trim().to_ascii_lowercase();
    check_username(&username)?;
    let mut tx = store.write().await?;
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
    if let Err(failure) = hooks::run(
        &mut tx,
        store,
        registry,
        &exports,
        Hook::Insert,
        None,
        Some(&account),
    )
    .await
    {
        drop(tx);
        return Err(fail(store, failure).await);
    }
    commit_or_undo(
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

/// Commits; if the commit fails after the remote side changed, undoes the
/// remote change with the inverse hook (queued as a resync when even that
/// fails).
async fn commit_or_undo(
    store: &Store,
    registry: &Registry,
    tx: bursar_store::Tx,
    exports: &[bursar_core::model::ExportDef],
    hook: Hook,
    old: Option<&Account>,
    new: Option<&Account>,
) -> Result<(), ServiceError> {
    match tx.commit().await {
        Ok(()) => Ok(()),
        Err(error) => {
            tracing::error!(%error, "commit failed after the exports ran; undoing them");
            let mut undo_tx = store.write().await?;
            let (undo_hook, undo_old, undo_new) = match hook {
                Hook::Insert => (Hook::Delete, new, None),
                Hook::Delete => (Hook::Insert, None, old),
                Hook::Replace => (Hook::Replace, new, old),
                Hook::Suspend => (Hook::Unsuspend, None, new),
                Hook::Unsuspend => (Hook::Suspend, None, new),
            };
            if let Err(failure) = hooks::run(
                &mut undo_tx,
                store,
                registry,
                exports,
                undo_hook,
                undo_old,
                undo_new,
            )
            .await
            {
                drop(undo_tx);
                queue_repairs(store, &failure.repairs, now()).await;
            }
            Err(ServiceError::Store(bursar_store::Error::from(error)))
        }
    }
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
    let mut tx = store.write().await?;
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
    if let Err(failure) = hooks::run(
        &mut tx,
        store,
        registry,
        &exports,
        Hook::Replace,
        Some(&old),
        Some(&new),
    )
    .await
    {
        drop(tx);
        return Err(fail(store, failure).await);
    }
    commit_or_undo(
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

/// Removes a mail account here and unprovisions it on its exports.
///
/// # Errors
/// As [`add_account`].
pub async fn remove_account(
    store: &Store,
    registry: &Registry,
    svcnum: i64,
) -> Result<(), ServiceError> {
    let mut tx = store.write().await?;
    let old = load(&mut tx, svcnum).await?;
    let exports = service::exports_of_svcpart(&mut tx, store, old.svcpart).await?;
    // The hooks read the customer's remaining services, so the local delete
    // goes first, inside the same transaction; the remote ids stay readable
    // until the hooks have run.
    service::delete_account(&mut tx, svcnum).await?;
    if let Err(failure) = hooks::run(
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
        drop(tx);
        return Err(fail(store, failure).await);
    }
    service::clear_remote_ids(&mut tx, svcnum).await?;
    commit_or_undo(
        store,
        registry,
        tx,
        &exports,
        Hook::Delete,
        Some(&old),
        None,
    )
    .await
}

/// Suspends (`suspend = true`) or unsuspends a mail account on its exports.
///
/// # Errors
/// As [`add_account`].
pub async fn set_account_suspended(
    store: &Store,
    registry: &Registry,
    svcnum: i64,
    suspend: bool,
) -> Result<(), ServiceError> {
    let mut tx = store.write().await?;
    let account = load(&mut tx, svcnum).await?;
    let exports = service::exports_of_svcpart(&mut tx, store, account.svcpart).await?;
    let hook = if suspend {
        Hook::Suspend
    } else {
        Hook::Unsuspend
    };
    if let Err(failure) = hooks::run(
        &mut tx,
        store,
        registry,
        &exports,
        hook,
        None,
        Some(&account),
    )
    .await
    {
        drop(tx);
        return Err(fail(store, failure).await);
    }
    commit_or_undo(store, registry, tx, &exports, hook, None, Some(&account)).await
}
