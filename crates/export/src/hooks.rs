//! Running one hook on every export of a service, inside the operation's
//! transaction: if an export fails, the exports that already succeeded are
//! undone with the inverse hook (the failing export compensated itself),
//! and what could not be undone is returned as repairs to queue once the
//! transaction is rolled back.

use std::sync::Arc;

use bursar_core::model::ExportDef;
use bursar_magicmail::Compensation;
use bursar_store::service::{self, Account};
use bursar_store::{Conn, Store};

use crate::facts::{customer_facts, mail_service, unsaved_service};
use crate::registry::{ExportImpl, Registry};
use crate::ServiceError;

/// Which hook to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hook {
    /// Provision the service.
    Insert,
    /// Unprovision the service.
    Delete,
    /// Change the service (old → new).
    Replace,
    /// Suspend the service.
    Suspend,
    /// Unsuspend the service.
    Unsuspend,
}

impl Hook {
    fn inverse(self) -> Hook {
        match self {
            Hook::Insert => Hook::Delete,
            Hook::Delete => Hook::Insert,
            Hook::Replace => Hook::Replace,
            Hook::Suspend => Hook::Unsuspend,
            Hook::Unsuspend => Hook::Suspend,
        }
    }
}

/// A hook failure: the message for the caller and what must be repaired
/// after the rollback.
#[derive(Debug)]
pub(crate) struct HookFailure {
    pub message: String,
    pub repairs: Vec<Repair>,
}

/// Work for the queue once the local transaction is gone.
#[derive(Debug, Clone)]
pub(crate) enum Repair {
    /// A compensation the export could not complete.
    Compensate {
        exportnum: i64,
        compensation: Compensation,
    },
    /// Bring the remote side of a service in line with the local one (the
    /// service's facts are kept for when it no longer exists here).
    Resync {
        exportnum: i64,
        account: Box<Account>,
    },
}

/// Runs `hook` for the service on every export in `exports`. `old` is the
/// service before the operation (delete, replace), `new` after it (insert,
/// replace, suspend, unsuspend). Returns the warnings.
pub(crate) async fn run(
    conn: &mut Conn,
    store: &Store,
    registry: &Registry,
    exports: &[ExportDef],
    hook: Hook,
    old: Option<&Account>,
    new: Option<&Account>,
) -> Result<Vec<String>, HookFailure> {
    let mut done: Vec<(&ExportDef, Arc<ExportImpl>)> = Vec::new();
    let mut warnings = Vec::new();
    for def in exports {
        let instance = match registry.get(def) {
            Ok(instance) => instance,
            Err(error) => {
                let mut repairs = undo(conn, store, &done, hook, old, new).await;
                repairs.shrink_to_fit();
                return Err(HookFailure {
                    message: error.to_string(),
                    repairs,
                });
            }
        };
        match call(conn, store, &instance, def, hook, old, new).await {
            Ok(mut more) => {
                warnings.append(&mut more);
                done.push((def, instance));
            }
            Err((message, mut repairs)) => {
                repairs.extend(undo(conn, store, &done, hook, old, new).await);
                return Err(HookFailure { message, repairs });
            }
        }
    }
    for warning in &warnings {
        tracing::warn!(%warning, "export warning");
    }
    Ok(warnings)
}

/// Undoes the hooks that succeeded, newest first.
async fn undo(
    conn: &mut Conn,
    store: &Store,
    done: &[(&ExportDef, Arc<ExportImpl>)],
    hook: Hook,
    old: Option<&Account>,
    new: Option<&Account>,
) -> Vec<Repair> {
    let mut repairs = Vec::new();
    let (undo_old, undo_new) = match hook {
        Hook::Replace => (new, old),
        Hook::Insert => (new, None),
        Hook::Delete => (None, old),
        Hook::Suspend | Hook::Unsuspend => (None, new),
    };
    for (def, instance) in done.iter().rev() {
        if let Err((message, more)) = call(
            conn,
            store,
            instance,
            def,
            hook.inverse(),
            undo_old,
            undo_new,
        )
        .await
        {
            tracing::error!(export = %def.name, %message, "undoing an export hook failed; queued a resync");
            repairs.extend(more);
            if let Some(account) = old.or(new) {
                repairs.push(Repair::Resync {
                    exportnum: def.exportnum,
                    account: Box::new(account.clone()),
                });
            }
        }
    }
    repairs
}

/// One hook on one export.
async fn call(
    conn: &mut Conn,
    store: &Store,
    instance: &ExportImpl,
    def: &ExportDef,
    hook: Hook,
    old: Option<&Account>,
    new: Option<&Account>,
) -> Result<Vec<String>, (String, Vec<Repair>)> {
    let ExportImpl::MagicMail(export) = instance;
    let to_failure = |e: bursar_magicmail::ExportError, account: &Account| {
        let mut repairs: Vec<Repair> = e
            .repairs
            .iter()
            .cloned()
            .map(|compensation| Repair::Compensate {
                exportnum: def.exportnum,
                compensation,
            })
            .collect();
        if e.outcome_unknown {
            repairs.push(Repair::Resync {
                exportnum: def.exportnum,
                account: Box::new(account.clone()),
            });
        }
        (format!("{}: {}", def.name, e.message), repairs)
    };
    let local = |e: ServiceError| (e.to_string(), Vec::new());
    match hook {
        Hook::Insert => {
            let account = new.expect("insert has the new service");
            let facts = customer_facts(conn, store, account.custnum, def, None)
                .await
                .map_err(local)?;
            let service = unsaved_service(account, None);
            let outcome = export
                .insert(&facts, &service)
                .await
                .map_err(|e| to_failure(e, account))?;
            service::set_remote_id(conn, account.svcnum, def.exportnum, &outcome.account_id)
                .await
                .map_err(|e| local(e.into()))?;
            Ok(outcome.warnings)
        }
        Hook::Delete => {
            let account = old.expect("delete has the old service");
            let facts = customer_facts(conn, store, account.custnum, def, Some(account.svcnum))
                .await
                .map_err(local)?;
            let service = mail_service(conn, account, def.exportnum)
                .await
                .map_err(local)?;
            export
                .delete(&facts, &service)
                .await
                .map_err(|e| to_failure(e, account))
        }
        Hook::Replace => {
            let (before, after) = (
                old.expect("replace has the old service"),
                new.expect("and the new one"),
            );
            let facts = customer_facts(conn, store, after.custnum, def, None)
                .await
                .map_err(local)?;
            let old_service = mail_service(conn, before, def.exportnum)
                .await
                .map_err(local)?;
            let new_service = unsaved_service(after, old_service.account_id.clone());
            export
                .replace(&facts, &old_service, &new_service)
                .await
                .map_err(|e| to_failure(e, after))
        }
        Hook::Suspend | Hook::Unsuspend => {
            let account = new.expect("suspend has the service");
            let facts = customer_facts(conn, store, account.custnum, def, None)
                .await
                .map_err(local)?;
            let service = mail_service(conn, account, def.exportnum)
                .await
                .map_err(local)?;
            let result = if hook == Hook::Suspend {
                export.suspend(&facts, &service).await
            } else {
                export.unsuspend(&facts, &service).await
            };
            result.map_err(|e| to_failure(e, account))
        }
    }
}
