//! `/api/v1/golive`: the go-live's catalog, for clients to offer facilities, units, modules.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use floorboard_shared::golive::GoLiveSpec;

use floorboard_shared::access::Action;

use super::Signed;
use crate::error::AppError;
use crate::state::AppState;
use floorboard_shared::ErrorBody;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/golive", get(golive))
}

/// Facilities and units, modules, queues, routing rules and schedule.
#[utoipa::path(get, path = "/api/v1/golive", tag = "golive", responses(
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not do this (docs/protocol.md §8.3); `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
    (status = 200, description = "The catalog", body = GoLiveSpec),
))]
pub async fn golive(State(state): State<AppState>, signed: Signed) -> Result<Json<GoLiveSpec>, AppError> {
    signed.may(Action::ReadCatalog)?;
    Ok(Json(state.config.golive.spec().clone()))
}
