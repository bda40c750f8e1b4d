//! Operational endpoints: liveness, readiness, Prometheus metrics.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::error::AppError;
use crate::state::AppState;
use floorboard_shared::ErrorCode;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

/// The process is alive.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers, the writer takes commands, and the server is not shutting down.
async fn readyz(State(state): State<AppState>) -> Result<&'static str, AppError> {
    if state.shutdown.is_cancelled() {
        return Err(AppError::new(ErrorCode::Unavailable, "shutting down"));
    }
    if !state.committer.is_running() {
        return Err(AppError::new(ErrorCode::Unavailable, "the writer has stopped"));
    }
    state.store.ping().await?;
    Ok("ready")
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
