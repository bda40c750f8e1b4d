//! `/api/v1/board`: the unit heatmap as last sent to live boards.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use floorboard_shared::protocol::BoardAt;
use floorboard_shared::{ErrorBody, FacilityId};
use serde::Deserialize;

use super::{ApiQuery, Signed};
use crate::error::AppError;
use crate::reads;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/board", get(board))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// Only this facility's units.
    #[param(value_type = FacilityId, required = false)]
    pub facility: Option<String>,
}

/// The board snapshot: every cell with anything to show, as of `seq`.
#[utoipa::path(get, path = "/api/v1/board", tag = "board", params(BoardQuery),
    responses(
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not do this (docs/protocol.md §8.3); `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
        (status = 200, description = "The board", body = BoardAt),
        (status = 422, description = "`unknown_facility`: not a facility of this go-live; `invalid_value`: the query string is not of this form", body = ErrorBody),
    ))]
pub async fn board(
    State(state): State<AppState>,
    signed: Signed,
    ApiQuery(query): ApiQuery<BoardQuery>,
) -> Result<Json<BoardAt>, AppError> {
    Ok(Json(reads::board(&state, signed.principal(), query.facility)?))
}
