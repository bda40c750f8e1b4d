//! `/api/v1/curve`: the go-live curve, hour by hour since go-live.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use floorboard_shared::curve::{Breakdown, Curves};
use floorboard_shared::{ErrorBody, FacilityId};
use serde::Deserialize;

use super::{ApiQuery, Signed};
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/curve", get(get_curve))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CurveQuery {
    /// Only this facility's curve; absent: every facility's the reader's board shows, and the
    /// whole go-live's.
    #[param(value_type = FacilityId, required = false)]
    facility: Option<String>,
    /// Series by kind (default) or by severity.
    #[param(value_type = Breakdown, required = false)]
    #[serde(default)]
    by: Breakdown,
}

/// The go-live curve (docs/protocol.md §12): per hour since go-live, the issues reported and
/// resolved and the backlog open at each hour's end, by kind or severity, for the whole
/// go-live and each facility. For whoever may see the board (a wall display's token
/// included). Made at most every 30 seconds.
#[utoipa::path(get, path = "/api/v1/curve", tag = "summary", params(CurveQuery), responses(
    (status = 200, description = "The curves", body = Curves),
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not see that board (docs/protocol.md §8.3)", body = ErrorBody),
    (status = 422, description = "`unknown_facility`: not a facility of this go-live; `invalid_value`: the query string is not of this form", body = ErrorBody),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
        headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn get_curve(
    State(state): State<AppState>,
    signed: Signed,
    ApiQuery(query): ApiQuery<CurveQuery>,
) -> Result<Json<Curves>, AppError> {
    Ok(Json(crate::curve::read(&state, signed.principal(), query.facility, query.by).await?))
}
