//! Operator tools for an export: `test` (reachability, credentials, the
//! domains the platform shows) and `audit` (every local mail service against
//! the remote users and accounts; drift reported, and with `repair` fixed
//! through the job queue).

use std::collections::{BTreeMap, BTreeSet};

use bursar_magicmail::{Compensation, Status};
use bursar_store::service::{self, Account};
use bursar_store::Store;

use crate::facts::same_platform;
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
    /// `missing`, `extra`, `wrong status`, `wrong account`, `wrong package`
    /// or `wrong master`.
    pub kind: &'static str,
    /// The username (or account) concerned.
    pub subject: String,
    /// Details for the operator.
    pub detail: String,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.kind, self.subject, self.detail)
    }
}

/// A local mail service as the audit compares it.
struct Expected {
    account: Account,
    /// The account id it should live in (recorded, else computed).
    remote_account: String,
    /// True when it is a service of the audited export itself (not only of
    /// another export on the same platform).
    own: bool,
}

/// `bursar export audit NAME [--repair]`: every local mail service on the
/// export's platform (same host, port and account prefix, so services of
/// sibling exports are not reported as extra) against the platform's
/// accounts and users; with `repair`, the fixes are queued (see `bursar
/// export jobs`). A `wrong account` needs an operator.
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

    // Here: the services of every export on the same platform.
    let siblings: Vec<i64> = store
        .catalog_snapshot()
        .await?
        .exports
        .iter()
        .filter(|e| same_platform(e, &def))
        .map(|e| e.exportnum)
        .collect();
    let mut tx = store.read().await?;
    let mut expected: BTreeMap<String, Expected> = BTreeMap::new();
    for exportnum in siblings {
        for account in service::accounts_of_export(&mut tx, exportnum).await? {
            let key = account.username.to_ascii_uppercase();
            let own = exportnum == def.exportnum;
            if let Some(seen) = expected.get_mut(&key) {
                seen.own |= own;
                continue;
            }
            let recorded = service::remote_id(&mut tx, account.svcnum, exportnum).await?;
            let customer = bursar_store::customer::customer(&mut tx, account.custnum).await?;
            let computed = match (customer.agent_custid.as_str(), options.use_agent_custid) {
                (id, true) if !id.is_empty() => format!("{}{id}", options.account_prefix),
                _ => format!("{}{}", options.account_prefix, account.custnum),
            };
            let remote_account = recorded.unwrap_or(computed);
            expected.insert(
                key,
                Expected {
                    account,
                    remote_account,
                    own,
                },
            );
        }
    }
    drop(tx);

    // There: the accounts with the prefix and their live users (lists leave
    // deleted users out), keys upper-cased.
    let prefix = options.account_prefix.to_ascii_uppercase();
    let mut accounts = BTreeMap::new();
    let mut users = BTreeMap::new();
    for (id, account) in client.list_accounts().await.map_err(remote_err)? {
        if !id.to_ascii_uppercase().starts_with(&prefix) {
            continue;
        }
        for (username, user) in client.list_users(&id).await.map_err(remote_err)? {
            users.insert(username.to_ascii_uppercase(), (id.clone(), user));
        }
        accounts.insert(id.to_ascii_uppercase(), (id, account));
    }

    let mut drift = Vec::new();
    for (key, wanted) in &expected {
        let local = &wanted.account;
        let want = if local.suspended {
            Status::Suspended
        } else {
            Status::Active
        };
        match users.get(key) {
            None => drift.push(Drift {
                kind: "missing",
                subject: local.username.clone(),
                detail: format!("svcnum {} has no live user on the platform", local.svcnum),
            }),
            Some((remote_account, _))
                if !remote_account.eq_ignore_ascii_case(&wanted.remote_account) =>
            {
                drift.push(Drift {
                    kind: "wrong account",
                    subject: local.username.clone(),
                    detail: format!("in {remote_account}, expected {}", wanted.remote_account),
                })
            }
            Some((_, user)) if user.status() != Some(want) => drift.push(Drift {
                kind: "wrong status",
                subject: local.username.clone(),
                detail: format!(
                    "{} on the platform, {} here",
                    user.status().map(Status::as_str).unwrap_or("unknown"),
                    want.as_str()
                ),
            }),
            Some(_) => {}
        }
    }
    for (key, (remote_account, _)) in &users {
        if !expected.contains_key(key) {
            drift.push(Drift {
                kind: "extra",
                subject: key.clone(),
                detail: format!("user in {remote_account} with no service here"),
            });
        }
    }
    for (key, (id, account)) in &accounts {
        let live: Vec<(&String, &bursar_magicmail::User)> = users
            .iter()
            .filter(|(_, (a, _))| a.eq_ignore_ascii_case(key))
            .map(|(u, (_, user))| (u, user))
            .collect();
        let wanted_here: Vec<&Expected> = expected
            .values()
            .filter(|e| e.remote_account.eq_ignore_ascii_case(key))
            .collect();
        if live.is_empty() {
            if wanted_here.is_empty() && account.status() == Some(Status::Active) {
                drift.push(Drift {
                    kind: "extra",
                    subject: id.clone(),
                    detail: "active account with no user and no service here".into(),
                });
            }
            continue;
        }
        let masters: Vec<&String> = live
            .iter()
            .filter(|(_, u)| u.is_master())
            .map(|(u, _)| *u)
            .collect();
        if masters.len() != 1 {
            drift.push(Drift {
                kind: "wrong master",
                subject: id.clone(),
                detail: format!("{} master users", masters.len()),
            });
            continue;
        }
        if wanted_here.iter().any(|e| e.own) {
            let packages = client.get_packages(masters[0]).await.map_err(remote_err)?;
            if !packages
                .keys()
                .any(|p| p.eq_ignore_ascii_case(&options.package))
            {
                drift.push(Drift {
                    kind: "wrong package",
                    subject: id.clone(),
                    detail: format!("master {} lacks package {}", masters[0], options.package),
                });
            }
        }
        if account.status() != Some(Status::Active) && !wanted_here.is_empty() {
            drift.push(Drift {
                kind: "wrong status",
                subject: id.clone(),
                detail: format!(
                    "account {} with live users",
                    account.status().map(Status::as_str).unwrap_or("unknown")
                ),
            });
        }
    }

    if repair {
        let now = now();
        for item in &drift {
            let key = item.subject.to_ascii_uppercase();
            let resync_of = expected.get(&key).or_else(|| {
                expected
                    .values()
                    .filter(|e| e.remote_account.eq_ignore_ascii_case(&key))
                    .min_by_key(|e| e.account.svcnum)
            });
            match (item.kind, resync_of) {
                ("extra", _) => {
                    let compensation = match users.get(&key) {
                        Some((account, _)) => Compensation::PurgeUser {
                            username: item.subject.clone(),
                            account: account.clone(),
                        },
                        None => Compensation::SetAccountStatus {
                            account: item.subject.clone(),
                            status: Status::Deleted,
                        },
                    };
                    queue_compensation(store, def.exportnum, &compensation, now).await?;
                }
                ("missing" | "wrong status" | "wrong package" | "wrong master", Some(wanted)) => {
                    let local = &wanted.account;
                    queue_resync(
                        store,
                        def.exportnum,
                        local.svcnum,
                        local.custnum,
                        &local.username,
                        now,
                    )
                    .await?;
                }
                _ => {
                    tracing::warn!(kind = item.kind, subject = %item.subject, "drift needs an operator")
                }
            }
        }
    }
    Ok(drift)
}
