//! `GET /healthz`: answers `ok` when the database answers, 503 otherwise.

use axum::extract::State;
use axum::http::StatusCode;

use crate::Ctx;

/// The health check shared by both listeners.
pub(crate) async fn healthz(State(ctx): State<Ctx>) -> (StatusCode, &'static str) {
    match ctx.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}
