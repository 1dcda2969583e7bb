//! `bursar service add|edit|remove|suspend|unsuspend` and `bursar package
//! suspend|unsuspend|cancel`: the service operations of bursar-export,
//! realtime exports included, from the command line. `service add` prints
//! only the new `svcnum` on stdout; the others print nothing there and one
//! confirmation line on stderr. Nothing here decides anything: the
//! operations and their rules live in bursar-export.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use bursar_export::accounts::{self, AddAccount, EditAccount};
use bursar_export::packages::{change_package, PackageAction};
use bursar_export::Registry;
use clap::Subcommand;

use crate::runtime;

/// `bursar service …`.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Add a mail account to a package and provision it on its exports; prints the new svcnum.
    Add {
        /// The package it belongs to.
        #[arg(long)]
        pkgnum: i64,
        /// Its service definition.
        #[arg(long)]
        svcpart: i64,
        /// The mailbox name (the address's local part).
        #[arg(long)]
        username: String,
        /// The mail domain, one of the definition's (default: its first).
        #[arg(long)]
        domain: Option<String>,
        /// The password in clear; `-` reads one line from stdin.
        #[arg(long)]
        password: String,
        /// The account holder's full name.
        #[arg(long, default_value = "")]
        finger: String,
    },
    /// Change a mail account here and on its exports.
    Edit {
        /// The service number.
        svcnum: i64,
        /// New mailbox name.
        #[arg(long)]
        username: Option<String>,
        /// New mail domain.
        #[arg(long)]
        domain: Option<String>,
        /// New password in clear; `-` reads one line from stdin.
        #[arg(long)]
        password: Option<String>,
        /// New full name.
        #[arg(long)]
        finger: Option<String>,
    },
    /// Remove a mail account here and unprovision it.
    Remove {
        /// The service number.
        svcnum: i64,
    },
    /// Suspend a mail account on its own (its package stays active).
    Suspend {
        /// The service number.
        svcnum: i64,
    },
    /// Lift a mail account's own suspension.
    Unsuspend {
        /// The service number.
        svcnum: i64,
    },
}

/// `bursar package …`.
#[derive(Debug, Subcommand)]
pub enum PackageCommand {
    /// Suspend a package and every service in it.
    Suspend {
        /// The package number.
        pkgnum: i64,
    },
    /// Unsuspend a package and its services (those suspended on their own stay so).
    Unsuspend {
        /// The package number.
        pkgnum: i64,
    },
    /// Cancel a package: its services are unprovisioned and removed.
    Cancel {
        /// The package number.
        pkgnum: i64,
    },
}

/// `bursar service …`.
pub async fn service(config: &Path, command: ServiceCommand) -> Result<ExitCode> {
    let loaded = runtime::load(config)?;
    let store = runtime::open_store(&loaded, false).await?;
    let registry = Registry::new();
    let result = match command {
        ServiceCommand::Add {
            pkgnum,
            svcpart,
            username,
            domain,
            password,
            finger,
        } => {
            let request = AddAccount {
                pkgnum,
                svcpart,
                username,
                domain,
                password: password_arg(password)?,
                finger,
            };
            accounts::add_account(&store, &registry, &request)
                .await
                .map(|svcnum| {
                    let _ = writeln!(std::io::stdout(), "{svcnum}");
                })
        }
        ServiceCommand::Edit {
            svcnum,
            username,
            domain,
            password,
            finger,
        } => {
            let changes = EditAccount {
                username,
                domain,
                password: password.map(password_arg).transpose()?,
                finger,
            };
            let result = accounts::edit_account(&store, &registry, svcnum, &changes).await;
            confirm(result, format!("service {svcnum} changed"))
        }
        ServiceCommand::Remove { svcnum } => confirm(
            accounts::remove_account(&store, &registry, svcnum).await,
            format!("service {svcnum} removed"),
        ),
        ServiceCommand::Suspend { svcnum } => {
            let result = accounts::set_account_suspended(&store, &registry, svcnum, true).await;
            confirm(result, format!("service {svcnum} suspended"))
        }
        ServiceCommand::Unsuspend { svcnum } => {
            let result = accounts::set_account_suspended(&store, &registry, svcnum, false).await;
            confirm(result, format!("service {svcnum} unsuspended"))
        }
    };
    store.close().await;
    result?;
    Ok(ExitCode::SUCCESS)
}

/// `bursar package …`.
pub async fn package(config: &Path, command: PackageCommand) -> Result<ExitCode> {
    let loaded = runtime::load(config)?;
    let store = runtime::open_store(&loaded, false).await?;
    let registry = Registry::new();
    let (pkgnum, action, done) = match command {
        PackageCommand::Suspend { pkgnum } => (pkgnum, PackageAction::Suspend, "suspended"),
        PackageCommand::Unsuspend { pkgnum } => (pkgnum, PackageAction::Unsuspend, "unsuspended"),
        PackageCommand::Cancel { pkgnum } => (pkgnum, PackageAction::Cancel, "cancelled"),
    };
    let result = change_package(&store, &registry, pkgnum, action, bursar_export::now()).await;
    store.close().await;
    confirm(result, format!("package {pkgnum} {done}"))?;
    Ok(ExitCode::SUCCESS)
}

/// The password argument, or one line of stdin for `-` (so that it need
/// not appear in the process list).
fn password_arg(value: String) -> Result<String> {
    if value != "-" {
        return Ok(value);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn confirm(
    result: Result<(), bursar_export::ServiceError>,
    done: String,
) -> Result<(), bursar_export::ServiceError> {
    if result.is_ok() {
        eprintln!("bursar: {done}");
    }
    result
}
