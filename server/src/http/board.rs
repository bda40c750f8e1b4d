//! `/api/v1/board`: the unit heatmap as last sent to live boards.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use floorboard_shared::protocol::BoardAt;
use floorboard_shared::{ErrorBody, ErrorCode, FacilityId};
use serde::Deserialize;

use super::ApiQuery;
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/board", get(board))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// Only this facility's units.
    #[param(value_type = FacilityId, required = false)]
    facility: Option<String>,
}

/// The board snapshot: every cell with anything to show, as of `seq`.
#[utoipa::path(get, path = "/api/v1/board", tag = "board", params(BoardQuery),
    responses(
        (status = 200, description = "The board", body = BoardAt),
        (status = 422, description = "`unknown_facility`: not a facility of this go-live; `invalid_value`: the query string is not of this form", body = ErrorBody),
    ))]
pub async fn board(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<BoardQuery>,
) -> Result<Json<BoardAt>, AppError> {
    let facility = match query.facility {
        Some(f) if state.config.golive.facility(&f).is_none() => {
            return Err(AppError(
                ErrorBody::new(ErrorCode::UnknownFacility, "no such facility in this go-live").with_field("facility"),
            ));
        }
        f => f.map(FacilityId::new),
    };
    let snapshot = state.hub.board_snapshot(facility.as_ref());
    Ok(Json(BoardAt { seq: snapshot.seq, facility, cells: snapshot.cells }))
}
