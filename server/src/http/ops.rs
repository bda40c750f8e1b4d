//! Operational endpoints: liveness, readiness, Prometheus metrics.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use floorboard_shared::access::Action;

use super::Signed;
use crate::auth::{credentials, secret};
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

/// An operations request (`/metrics`, the API document): the configured scrape token as a
/// bearer token, or an administrator's session.
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let (Some(expected), Some(token)) = (&state.config.scrape_token, credentials::token_of(&parts.headers)) {
            // Compared by their hashes: the comparison's time says nothing of the token.
            if secret::token_hash(expected) == secret::token_hash(token) {
                return Ok(Operator);
            }
        }
        Signed::from_request_parts(parts, state).await?.may(Action::Operate)?;
        Ok(Operator)
    }
}

async fn metrics(State(state): State<AppState>, _: Operator) -> impl IntoResponse {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
