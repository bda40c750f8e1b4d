//! `/api/v1/units/{unit}/issues`: a board cell's drill-down.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use floorboard_shared::protocol::IssuesAt;
use floorboard_shared::{ErrorBody, Kind, UnitId};
use serde::Deserialize;

use super::{ApiPath, ApiQuery, Signed};
use crate::error::AppError;
use crate::reads;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/units/{unit}/issues", get(unit_issues))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Only issues of this kind.
    #[param(value_type = Kind, required = false)]
    kind: Option<Kind>,
}

/// A unit's issues (up to 200): open ones first, then newest first.
#[utoipa::path(get, path = "/api/v1/units/{unit}/issues", tag = "board",
    params(("unit" = UnitId, Path), UnitQuery),
    responses(
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not do this (docs/protocol.md §8.3); `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
        (status = 200, description = "The unit's issues", body = IssuesAt),
        (status = 404, description = "`not_found`: an empty unit (no such endpoint)", body = ErrorBody),
        (status = 422, description = "`unknown_unit`: not a unit of this go-live; `invalid_value`: the query string is not of this form (`kind` not one of the kinds)", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds"))),
    ))]
pub async fn unit_issues(
    State(state): State<AppState>,
    signed: Signed,
    ApiPath(unit): ApiPath<String>,
    ApiQuery(query): ApiQuery<UnitQuery>,
) -> Result<Json<IssuesAt>, AppError> {
    let issues = reads::unit_issues(&state, signed.principal(), &unit, query.kind).await?;
    reads::audit_read(&state, &signed.session, signed.source, format!("unit:{unit}")).await;
    Ok(Json(issues))
}
