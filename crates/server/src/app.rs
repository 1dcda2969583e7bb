//! The routers of the two listeners. The back-office listener carries the
//! back-office API and `/metrics`; the public listener must never expose
//! `/metrics` or back-office methods.

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{any, get};
use axum::Router;

use crate::{backoffice, health, metrics, Ctx};

/// Routes of the back-office listener (loopback by default).
pub(crate) fn backoffice_router(ctx: Ctx) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::render))
        .route("/jsonrpc", any(backoffice::jsonrpc))
        .fallback(backoffice::xmlrpc)
        // The transports check the configured limit; this one only stops
        // axum's own 2 MB default from answering first.
        .layer(DefaultBodyLimit::max(
            ctx.backoffice.max_body.saturating_add(1),
        ))
        .layer(middleware::from_fn_with_state(
            ctx.clone(),
            metrics::track_backoffice,
        ))
        .with_state(ctx)
}

/// Routes of the public listener.
pub(crate) fn public_router(ctx: Ctx) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .layer(middleware::from_fn_with_state(
            ctx.clone(),
            metrics::track_public,
        ))
        .with_state(ctx)
}
