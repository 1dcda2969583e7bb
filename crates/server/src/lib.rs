//! Bursar's HTTP faces: one axum app per listener, started together by
//! [`serve`] with already-bound listeners and a shutdown future (so tests
//! bind port 0 and stop the server when they are done).
//!
//! Code map:
//! - `health`: `GET /healthz` on both listeners.
//! - `metrics`: the Prometheus registry, the request-counting middleware and
//!   `GET /metrics` (back-office listener only).
//! - `backoffice`: the `FS.API.*` face (method table, transports, methods).
//! - `error`: `ApiError`, what service functions fail with.
//! - `app`: the routers of the back-office and public listeners.
//!
//! Invariant: no SQL here (the store does it) and no wire-format parsing
//! (the rpc crate does it); a face decodes, calls a service function,
//! encodes.

mod app;
pub mod backoffice;
pub mod error;
mod health;
pub mod metrics;

use std::future::{Future, IntoFuture};
use std::sync::Arc;

use bursar_store::Store;
use tokio::net::TcpListener;

/// What every face's service functions share.
#[derive(Clone)]
pub struct Ctx {
    /// The database.
    pub store: Store,
    /// Counters and histograms for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// Back-office secret and switches.
    pub backoffice: Arc<backoffice::BackofficeSettings>,
    /// The billing time zone and month-end rule, for every calendar date.
    pub calendar: Arc<bursar_core::billing::BillingCalendar>,
}

/// Failures of the server as a whole.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A listener failed while serving.
    #[error("listener failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves the back-office face on `backoffice` and the public faces on
/// `public` until `shutdown` completes, then finishes in-flight requests.
///
/// # Errors
/// [`Error::Io`] when a listener fails.
pub async fn serve(
    ctx: Ctx,
    backoffice: TcpListener,
    public: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stopped| *stopped).await;
    };
    let backoffice_server = axum::serve(
        backoffice,
        app::backoffice_router(ctx.clone())
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(wait(stop_rx.clone()));
    let public_server = axum::serve(
        public,
        app::public_router(ctx).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(wait(stop_rx));
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let (a, b) = tokio::join!(backoffice_server.into_future(), public_server.into_future());
    a?;
    b?;
    Ok(())
}
