//! The routers of the two listeners. The back-office listener carries the
//! back-office API and `/metrics`; the public listener must never expose
//! `/metrics` or back-office methods.

use axum::middleware;
use axum::routing::get;
use axum::Router;

use crate::{health, metrics, Ctx};

/// Routes of the back-office listener (loopback by default).
pub(crate) fn backoffice_router(ctx: Ctx) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::render))
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
