//! Running one hook on every export of a service, inside the operation's
//! transaction. If an export fails, it has compensated itself (its own
//! rollback); the exports that already succeeded are brought back to the
//! state from before the operation (`reconcile`), newest first; and what
//! could not be settled at once is returned as repairs, to queue once the
//! transaction is rolled back.
//!
//! Every export that fails, or succeeds with warnings, also gets a
//! `resync` job: a reply can be lost after the platform applied the change
//! (or an error sent for a change that was applied), and a warning means
//! a step was skipped; the job compares the platform with the database
//! once the operation is over and finishes what is left.

use std::sync::Arc;

use bursar_core::model::ExportDef;
use bursar_magicmail::Compensation;
use bursar_store::service::{self, Account};
use bursar_store::{Conn, Store};

use crate::facts::{customer_facts, mail_service, unsaved_service};
use crate::reconcile::{reconcile, Subject, Wanted};
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

/// A hook failure: the message for the caller and what must be repaired
/// after the rollback.
#[derive(Debug)]
pub(crate) struct HookFailure {
    pub message: String,
    pub repairs: Vec<Repair>,
}

/// Work for the queue: compensations and resyncs.
#[derive(Debug, Clone)]
pub(crate) enum Repair {
    /// A compensation the export could not complete, for customer
    /// `custnum` when known (its job then takes the customer's lock).
    Compensate {
        exportnum: i64,
        custnum: Option<i64>,
        compensation: Compensation,
    },
    /// Bring the remote side of a service in line with the local one, as
    /// the database holds it when the job runs.
    Resync { exportnum: i64, subject: Subject },
}

/// Runs `hook` for the service on every export in `exports`. `old` is the
/// service before the operation (`None` for an insert), `new` after it
/// (`None` for a delete). Returns the resyncs to queue with the commit
/// (exports that warned).
pub(crate) async fn run(
    conn: &mut Conn,
    store: &Store,
    registry: &Registry,
    exports: &[ExportDef],
    hook: Hook,
    old: Option<&Account>,
    new: Option<&Account>,
) -> Result<Vec<Repair>, HookFailure> {
    let service = old.or(new).expect("a hook has a service");
    let mut done: Vec<(&ExportDef, Arc<ExportImpl>)> = Vec::new();
    let mut follow_up = Vec::new();
    for def in exports {
        let instance = match registry.get(def) {
            Ok(instance) => instance,
            Err(error) => {
                let repairs = undo(conn, store, &done, hook, old, new).await;
                return Err(HookFailure {
                    message: error.to_string(),
                    repairs,
                });
            }
        };
        match call(conn, store, &instance, def, hook, old, new).await {
            Ok(warnings) => {
                if !warnings.is_empty() {
                    for warning in &warnings {
                        tracing::warn!(export = %def.name, svcnum = service.svcnum, %warning, "export warning; queued a resync");
                    }
                    follow_up.push(resync(conn, def, service).await);
                }
                done.push((def, instance));
            }
            Err((message, mut repairs)) => {
                repairs.push(resync(conn, def, service).await);
                repairs.extend(undo(conn, store, &done, hook, old, new).await);
                return Err(HookFailure { message, repairs });
            }
        }
    }
    Ok(follow_up)
}

/// Brings every export in `exports` back to the state from before a
/// `hook` that succeeded on all of them (the local commit failed, or a
/// later service of the same package failed). Returns what is left to
/// queue.
pub(crate) async fn undo_all(
    conn: &mut Conn,
    store: &Store,
    registry: &Registry,
    exports: &[ExportDef],
    hook: Hook,
    old: Option<&Account>,
    new: Option<&Account>,
) -> Vec<Repair> {
    let mut done = Vec::new();
    let mut repairs = Vec::new();
    for def in exports {
        match registry.get(def) {
            Ok(instance) => done.push((def, instance)),
            Err(error) => {
                tracing::error!(export = %def.name, %error, "cannot undo on this export; queued a resync");
                let service = old.or(new).expect("a hook has a service");
                repairs.push(resync(conn, def, service).await);
            }
        }
    }
    repairs.extend(undo(conn, store, &done, hook, old, new).await);
    repairs
}

/// A resync of `service` on `def`.
async fn resync(conn: &mut Conn, def: &ExportDef, service: &Account) -> Repair {
    Repair::Resync {
        exportnum: def.exportnum,
        subject: subject(conn, def, service).await,
    }
}

/// `service` as a resync names it, with the account id `def` recorded so
/// far (a failed read only loses the hint: the id is then recomputed).
async fn subject(conn: &mut Conn, def: &ExportDef, service: &Account) -> Subject {
    let account_id = service::remote_id(conn, service.svcnum, def.exportnum)
        .await
        .ok()
        .flatten();
    Subject::of(service, account_id)
}

/// Brings the exports that succeeded back to the state from before the
/// operation, newest first.
async fn undo(
    conn: &mut Conn,
    store: &Store,
    done: &[(&ExportDef, Arc<ExportImpl>)],
    hook: Hook,
    old: Option<&Account>,
    new: Option<&Account>,
) -> Vec<Repair> {
    let mut repairs = Vec::new();
    for (def, instance) in done.iter().rev() {
        let ExportImpl::MagicMail(export) = instance.as_ref();
        let result = match (hook, old, new) {
            (Hook::Insert, _, Some(inserted)) => {
                let subject = subject(conn, def, inserted).await;
                reconcile(conn, store, def, export, Wanted::Absent(&subject)).await
            }
            (_, Some(before), _) => {
                reconcile(conn, store, def, export, Wanted::Present(before)).await
            }
            _ => Ok(()),
        };
        if let Err(failure) = result {
            tracing::error!(export = %def.name, message = %failure.message, "undoing an export hook failed; queued a resync");
            let custnum = old.or(new).map(|a| a.custnum);
            repairs.extend(failure.compensations.into_iter().map(|compensation| {
                Repair::Compensate {
                    exportnum: def.exportnum,
                    custnum,
                    compensation,
                }
            }));
            repairs.push(resync(conn, def, old.or(new).expect("a hook has a service")).await);
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
    let to_failure = |e: bursar_magicmail::ExportError| {
        let repairs: Vec<Repair> = e
            .repairs
            .iter()
            .cloned()
            .map(|compensation| Repair::Compensate {
                exportnum: def.exportnum,
                custnum: old.or(new).map(|a| a.custnum),
                compensation,
            })
            .collect();
        (format!("{}: {}", def.name, e.message), repairs)
    };
    let local = |e: ServiceError| (e.to_string(), Vec::new());
    match hook {
        Hook::Insert => {
            let account = new.expect("insert has the new service");
            let facts = customer_facts(conn, store, account.custnum, def, None, None)
                .await
                .map_err(local)?;
            let service = unsaved_service(account, None);
            let outcome = export.insert(&facts, &service).await.map_err(to_failure)?;
            service::set_remote_id(conn, account.svcnum, def.exportnum, &outcome.account_id)
                .await
                .map_err(|e| local(e.into()))?;
            Ok(outcome.warnings)
        }
        Hook::Delete => {
            let account = old.expect("delete has the old service");
            let facts = customer_facts(
                conn,
                store,
                account.custnum,
                def,
                Some(account.svcnum),
                None,
            )
            .await
            .map_err(local)?;
            let service = mail_service(conn, account, def.exportnum)
                .await
                .map_err(local)?;
            export.delete(&facts, &service).await.map_err(to_failure)
        }
        Hook::Replace => {
            let (before, after) = (
                old.expect("replace has the old service"),
                new.expect("and the new one"),
            );
            let facts = customer_facts(conn, store, after.custnum, def, None, None)
                .await
                .map_err(local)?;
            let old_service = mail_service(conn, before, def.exportnum)
                .await
                .map_err(local)?;
            let new_service = unsaved_service(after, old_service.account_id.clone());
            export
                .replace(&facts, &old_service, &new_service)
                .await
                .map_err(to_failure)
        }
        Hook::Suspend | Hook::Unsuspend => {
            let account = new.expect("suspend has the service");
            let facts = customer_facts(conn, store, account.custnum, def, None, None)
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
            result.map_err(to_failure)
        }
    }
}
