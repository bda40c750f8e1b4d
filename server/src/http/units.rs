//! `/api/v1/units/{unit}/issues`: a board cell's drill-down.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use floorboard_shared::protocol::IssuesAt;
use floorboard_shared::{ErrorBody, ErrorCode, Kind, UnitId};
use serde::Deserialize;

use super::{ApiPath, ApiQuery};
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/units/{unit}/issues", get(unit_issues))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UnitQuery {
    /// Only issues of this kind.
    kind: Option<Kind>,
}

/// A unit's issues (up to 200): open ones first, then newest first.
#[utoipa::path(get, path = "/api/v1/units/{unit}/issues", tag = "board",
    params(("unit" = String, Path, description = "Unit id"), UnitQuery),
    responses((status = 200, body = IssuesAt), (status = 422, description = "`unknown_unit`", body = ErrorBody)))]
pub async fn unit_issues(
    State(state): State<AppState>,
    ApiPath(unit): ApiPath<String>,
    ApiQuery(query): ApiQuery<UnitQuery>,
) -> Result<Json<IssuesAt>, AppError> {
    if state.config.golive.unit_facility(&unit).is_none() {
        return Err(AppError(
            ErrorBody::new(ErrorCode::UnknownUnit, "no such unit in this go-live").with_field("unit"),
        ));
    }
    Ok(Json(state.store.unit_issues(&UnitId::new(unit), query.kind, 200).await?))
}
