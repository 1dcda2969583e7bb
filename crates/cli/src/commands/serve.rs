//! `bursar serve`: initialise when needed, guard the data folder with an
//! advisory lock (SQLite only: several servers may share PostgreSQL), bind
//! both listeners, run the export job queue beside them, and serve until
//! SIGINT or SIGTERM.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use fs4::fs_std::FileExt;
use tokio::net::TcpListener;

use crate::runtime;

/// `bursar serve`.
pub async fn serve(config: &Path) -> Result<ExitCode> {
    let (loaded, store) = runtime::initialise(config).await?;
    // An OS advisory lock, released by the kernel however the process ends.
    let _lock = if store.backend() == bursar_store::Backend::Sqlite {
        let path = loaded.data_dir().join("serve.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        if !file.try_lock_exclusive().unwrap_or(false) {
            bail!(
                "another bursar serve is using {}",
                loaded.data_dir().display()
            );
        }
        Some(file)
    } else {
        None
    };
    let settings_check = loaded.backoffice_settings()?;
    drop(settings_check);
    if loaded.config.api.shared_secret.is_empty() {
        tracing::warn!(
            "no back-office shared secret is configured: every back-office call will be refused"
        );
    }
    let backoffice = bind(loaded.backoffice_listen(), "back-office").await?;
    let public = bind(loaded.public_listen(), "public").await?;
    tracing::info!(
        backoffice = %backoffice.local_addr()?,
        public = %public.local_addr()?,
        config = %loaded.path.display(),
        "serving; the back-office shared secret is [api] shared_secret in the configuration"
    );
    let ctx = bursar_server::Ctx {
        store: store.clone(),
        metrics: Arc::new(bursar_server::metrics::Metrics::new()),
        backoffice: Arc::new(loaded.backoffice_settings()?),
        calendar: Arc::new(loaded.billing_calendar()?),
    };
    // The export job queue runs beside the listeners until shutdown.
    let (stop_queue, queue_stop) = tokio::sync::watch::channel(false);
    let registry = Arc::new(bursar_export::Registry::new());
    let queue = tokio::spawn(super::export::run_queue(
        store.clone(),
        registry,
        queue_stop,
    ));
    // Billing runs by itself only when billing.schedule is set.
    let billing = match super::schedule::Schedule::parse(&loaded.config.billing.schedule)? {
        Some(schedule) => {
            tracing::info!(?schedule, "scheduled billing is on");
            Some(tokio::spawn(super::schedule::run_billing_schedule(
                store.clone(),
                loaded.clone(),
                schedule,
                stop_queue.subscribe(),
            )))
        }
        None => None,
    };
    let served = bursar_server::serve(ctx, backoffice, public, shutdown_signal()).await;
    let _ = stop_queue.send(true);
    let _ = queue.await;
    if let Some(billing) = billing {
        let _ = billing.await;
    }
    served?;
    store.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn bind(address: &str, name: &str) -> Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address} ({name} listener)"))
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return interrupt.await.unwrap_or(()),
            };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    interrupt.await.unwrap_or(());
}
