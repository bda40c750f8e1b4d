//! `/api/v1/check-ins` and `/api/v1/coverage`: a person checks in to the unit they are on;
//! the board shows how many are on each unit.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use floorboard_shared::coverage::{CheckIn, CheckInRequest, Coverage};
use floorboard_shared::{ErrorBody, FacilityId};
use time::OffsetDateTime;

use super::board::BoardQuery;
use super::{ApiJson, ApiQuery, Signed};
use crate::coverage;
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/check-ins", post(check_in))
        .route("/api/v1/check-ins/current", delete(check_out))
        .route("/api/v1/coverage", get(coverage))
}

/// Check in to a unit: the signed-in person is on it from now, until their next check-in,
/// their check-out or sign-out, or 13 hours.
#[utoipa::path(post, path = "/api/v1/check-ins", request_body = CheckInRequest, tag = "coverage", responses(
    (status = 201, description = "Checked in", body = CheckIn),
    (status = 400, description = "`malformed_json`", body = ErrorBody),
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: this account does not work on the units (viewers, administrators, displays); `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
    (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
    (status = 422, description = "`unknown_unit`: not a unit of this go-live; `invalid_value`: JSON of the wrong shape", body = ErrorBody),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
        headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn check_in(
    State(state): State<AppState>,
    signed: Signed,
    ApiJson(request): ApiJson<CheckInRequest>,
) -> Result<(StatusCode, Json<CheckIn>), AppError> {
    let check_in =
        coverage::check_in(&state, signed.principal(), request.unit.as_str(), OffsetDateTime::now_utc()).await?;
    state.audit.record(signed.entry("check_in", Some(format!("unit:{}", check_in.unit)))).await;
    Ok((StatusCode::CREATED, Json(check_in)))
}

/// Check out: the signed-in person is on no unit (signing out does this too).
#[utoipa::path(delete, path = "/api/v1/check-ins/current", tag = "coverage", responses(
    (status = 204, description = "Checked out (also when not checked in)"),
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: this account does not work on the units; `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
        headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn check_out(State(state): State<AppState>, signed: Signed) -> Result<StatusCode, AppError> {
    coverage::check_out(&state, signed.principal(), OffsetDateTime::now_utc()).await?;
    state.audit.record(signed.entry("check_out", None)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// How many people are checked in on each unit (units with nobody are left out): what the
/// board shows beside each unit's heat. Whoever may see a board may see its coverage.
#[utoipa::path(get, path = "/api/v1/coverage", tag = "coverage", params(BoardQuery), responses(
    (status = 200, description = "The coverage", body = Coverage),
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not see that board", body = ErrorBody),
    (status = 422, description = "`unknown_facility`: not a facility of this go-live; `invalid_value`: the query string is not of this form", body = ErrorBody),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
        headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn coverage(
    State(state): State<AppState>,
    signed: Signed,
    ApiQuery(query): ApiQuery<BoardQuery>,
) -> Result<Json<Coverage>, AppError> {
    let facility = query.facility.map(FacilityId::new);
    Ok(Json(coverage::coverage(&state, signed.principal(), facility, OffsetDateTime::now_utc()).await?))
}
