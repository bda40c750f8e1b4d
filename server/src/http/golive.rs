//! `/api/v1/golive`: the go-live's catalog, for clients to offer facilities, units, modules.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use floorboard_shared::golive::GoLiveSpec;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/golive", get(golive))
}

/// Facilities and units, modules, queues, routing rules and schedule.
#[utoipa::path(get, path = "/api/v1/golive", tag = "golive", responses((status = 200, body = GoLiveSpec)))]
pub async fn golive(State(state): State<AppState>) -> Json<GoLiveSpec> {
    Json(state.config.golive.spec().clone())
}
