//! Operator tools for an export: `test` (reachability, credentials, the
//! domains the platform shows) and `audit` (every local mail service against
//! the remote users and accounts; drift reported, and with `repair` fixed
//! through the job queue).

use std::collections::{BTreeMap, BTreeSet};

use bursar_magicmail::{Compensation, Status};
use bursar_store::service;
use bursar_store::Store;

use crate::queue::{queue_compensation, queue_resync};
use crate::registry::ExportImpl;
use crate::{now, Registry, ServiceError};

/// Loads the named export's instance.
async fn instance(
    store: &Store,
    registry: &Registry,
    name: &str,
) -> Result<(bursar_core::model::ExportDef, std::sync::Arc<ExportImpl>), ServiceError> {
    let mut tx = store.read().await?;
    let def = service::export_by_name(&mut tx, store, name)
        .await
        .map_err(|e| match e {
            bursar_store::Error::NotFound => {
                ServiceError::Refused(format!("unknown export {name}"))
            }
            other => other.into(),
        })?;
    drop(tx);
    let instance = registry.get(&def)?;
    Ok((def, instance))
}

/// `bursar export test NAME`: lines of a short report; an error when the
/// platform cannot be reached or refuses the credentials.
///
/// # Errors
/// [`ServiceError::Export`] with the client's error.
pub async fn test_export(
    store: &Store,
    registry: &Registry,
    name: &str,
) -> Result<Vec<String>, ServiceError> {
    let (def, instance) = instance(store, registry, name).await?;
    let ExportImpl::MagicMail(export) = instance.as_ref();
    let options = export.options();
    let mut report = vec![format!("export {name} ({})", def.export_type)];
    let accounts = export
        .client()
        .list_accounts()
        .await
        .map_err(|e| ServiceError::Export(format!("cannot list accounts: {e}")))?;
    report.push("reachable, credentials accepted".to_string());
    let ours = accounts
        .keys()
        .filter(|id| {
            id.to_ascii_uppercase()
                .starts_with(&options.account_prefix.to_ascii_uppercase())
        })
        .count();
    report.push(format!(
        "{} accounts on the platform, {ours} with prefix {}",
        accounts.len(),
        options.account_prefix
    ));
    report.push(format!("package put on master users: {}", options.package));
    let mut tx = store.read().await?;
    let mut domains = BTreeSet::new();
    for row in service::accounts_of_export(&mut tx, def.exportnum).await? {
        domains.insert(row.domain);
    }
    drop(tx);
    for domain in domains {
        let seen = export
            .client()
            .get_domain(&domain)
            .await
            .map_err(|e| ServiceError::Export(e.to_string()))?;
        report.push(format!(
            "domain {domain}: {}",
            if seen.is_some() {
                "visible"
            } else {
                "NOT visible to this client"
            }
        ));
    }
    Ok(report)
}

/// One difference between here and the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// `missing`, `extra`, `wrong status`, `wrong account`, `wrong package`, `wrong master`.
    pub kind: &'static str,
    /// The username (or account) concerned.
    pub subject: String,
    /// Details for the operator.
    pub detail: String,
}

/// `bursar export audit NAME [--repair]`: the drift; with `repair`, the
/// fixes are queued (see `bursar export jobs`).
///
/// # Errors
/// [`ServiceError::Export`] when the platform cannot be read.
pub async fn audit(
    store: &Store,
    registry: &Registry,
    name: &str,
    repair: bool,
) -> Result<Vec<Drift>, ServiceError> {
    let (def, instance) = instance(store, registry, name).await?;
    let ExportImpl::MagicMail(export) = instance.as_ref();
    let options = export.options();
    let client = export.client();
    let remote_err = |e: bursar_magicmail::Error| ServiceError::Export(e.to_string());
    let mut tx = store.read().await?;
    let locals = service::accounts_of_export(&mut tx, def.exportnum).await?;
    let mut expected_accounts = BTreeMap::new();
    for account in &locals {
        let recorded = service::remote_id(&mut tx, account.svcnum, def.exportnum).await?;
        let customer = bursar_store::customer::customer(&mut tx, account.custnum).await?;
        let computed = match (&customer.agent_custid, options.use_agent_custid) {
            (id, true) if !id.is_empty() => format!("{}{id}", options.account_prefix),
            _ => format!("{}{}", options.account_prefix, account.custnum),
        };
        expected_accounts.insert(account.svcnum, recorded.unwrap_or(computed));
    }
    drop(tx);
    let prefix = options.account_prefix.to_ascii_uppercase();
    let mut remote_users = BTreeMap::new();
    for id in client
        .list_accounts()
        .await
        .map_err(remote_err)?
        .into_keys()
    {
        if !id.to_ascii_uppercase().starts_with(&prefix) {
            continue;
        }
        for (username, user) in client.list_users(&id).await.map_err(remote_err)? {
            remote_users.insert(username, (id.clone(), user));
        }
    }
    let mut drift = Vec::new();
    let local_names: BTreeSet<String> = locals.iter().map(|a| a.username.clone()).collect();
    for account in &locals {
        let expected = &expected_accounts[&account.svcnum];
        let want = if account.suspended {
            Status::Suspended
        } else {
            Status::Active
        };
        match remote_users.get(&account.username) {
            None => drift.push(Drift {
                kind: "missing",
                subject: account.username.clone(),
                detail: format!("svcnum {} has no user on the platform", account.svcnum),
            }),
            Some((remote_account, user)) => {
                if !remote_account.eq_ignore_ascii_case(expected) {
                    drift.push(Drift {
                        kind: "wrong account",
                        subject: account.username.clone(),
                        detail: format!("in {remote_account}, expected {expected}"),
                    });
                } else if user.status() == Some(Status::Deleted) {
                    drift.push(Drift {
                        kind: "missing",
                        subject: account.username.clone(),
                        detail: "deleted on the platform".into(),
                    });
                } else if user.status() != Some(want) {
                    drift.push(Drift {
                        kind: "wrong status",
                        subject: account.username.clone(),
                        detail: format!(
                            "{} on the platform, {} here",
                            user.status().map(Status::as_str).unwrap_or("unknown"),
                            want.as_str()
                        ),
                    });
                }
            }
        }
    }
    let mut accounts_with_master: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (username, (remote_account, user)) in &remote_users {
        if user.status() == Some(Status::Deleted) {
            continue;
        }
        if !local_names.contains(username) {
            drift.push(Drift {
                kind: "extra",
                subject: username.clone(),
                detail: format!("user in {remote_account} with no service here"),
            });
        }
        if user.is_master() {
            accounts_with_master
                .entry(remote_account.clone())
                .or_default()
                .push(username.clone());
        }
    }
    let live_accounts: BTreeSet<&String> = remote_users
        .values()
        .filter(|(_, u)| u.status() != Some(Status::Deleted))
        .map(|(a, _)| a)
        .collect();
    for account in live_accounts {
        match accounts_with_master.get(account).map(Vec::len).unwrap_or(0) {
            1 => {
                let master = &accounts_with_master[account][0];
                let packages = client.get_packages(master).await.map_err(remote_err)?;
                if !packages
                    .keys()
                    .any(|p| p.eq_ignore_ascii_case(&options.package))
                {
                    drift.push(Drift {
                        kind: "wrong package",
                        subject: master.clone(),
                        detail: format!("master of {account} lacks package {}", options.package),
                    });
                }
            }
            n => drift.push(Drift {
                kind: "wrong master",
                subject: account.clone(),
                detail: format!("{n} master users"),
            }),
        }
    }
    if repair {
        let now = now();
        for item in &drift {
            match item.kind {
                "extra" => {
                    let (account, _) = &remote_users[&item.subject];
                    queue_compensation(
                        store,
                        def.exportnum,
                        &Compensation::PurgeUser {
                            username: item.subject.clone(),
                            account: account.clone(),
                        },
                        now,
                    )
                    .await?;
                }
                "missing" | "wrong status" | "wrong package" => {
                    let holder = locals
                        .iter()
                        .find(|a| a.username == item.subject)
                        .or_else(|| {
                            // A master's package: resync any local service of that account.
                            remote_users.get(&item.subject).and_then(|(acct, _)| {
                                locals.iter().find(|a| {
                                    expected_accounts[&a.svcnum].eq_ignore_ascii_case(acct)
                                })
                            })
                        });
                    if let Some(account) = holder {
                        let payload = format!(
                            "{}\t{}\t{}\t{}",
                            account.custnum, account.username, account.domain, account.finger
                        );
                        queue_resync(store, def.exportnum, account.svcnum, &payload, now).await?;
                    }
                }
                _ => {
                    tracing::warn!(kind = item.kind, subject = %item.subject, "drift needs an operator")
                }
            }
        }
    }
    Ok(drift)
}
