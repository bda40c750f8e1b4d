//! `/api/v1/reports`: submit a report, read one, change its status; a reporter's reports.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use floorboard_shared::protocol::{IssuesAt, Receipt, StatusChange};
use floorboard_shared::{ErrorBody, ErrorCode, Issue, ReportDraft, ReporterId};

use super::{ApiJson, ApiPath, report_id};
use crate::error::AppError;
use crate::intake;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports", post(submit))
        .route("/api/v1/reports/{id}", get(get_report))
        .route("/api/v1/reports/{id}/status", post(change_status))
        .route("/api/v1/reporters/{reporter}/reports", get(reporter_reports))
}

/// Submit a report. Answered only once it is durably committed; sending the same id again
/// returns the same receipt (200, `duplicate: true`) and stores nothing.
#[utoipa::path(post, path = "/api/v1/reports", request_body = ReportDraft, tag = "reports", responses(
    (status = 201, description = "Committed and routed", body = Receipt),
    (status = 200, description = "Already committed with the same content", body = Receipt),
    (status = 409, description = "The id was used for a different report (`id_conflict`)", body = ErrorBody),
    (status = 422, description = "Invalid report", body = ErrorBody),
    (status = 503, description = "Database unavailable: retry with the same id", body = ErrorBody),
))]
pub async fn submit(
    State(state): State<AppState>,
    ApiJson(draft): ApiJson<ReportDraft>,
) -> Result<(StatusCode, Json<Receipt>), AppError> {
    let receipt = intake::submit_report(&state, draft).await?;
    let status = if receipt.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(receipt)))
}

/// One issue with its routing and status.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = String, Path, description = "Report UUID")),
    responses((status = 200, body = Issue), (status = 404, body = ErrorBody)))]
pub async fn get_report(State(state): State<AppState>, ApiPath(id): ApiPath<String>) -> Result<Json<Issue>, AppError> {
    let id = report_id(&id)?;
    let issue = state.store.issue(id).await?;
    issue.map(Json).ok_or_else(|| AppError(ErrorBody::new(ErrorCode::NotFound, "no report with this id").with_id(id)))
}

/// Move an issue to another status. Resolving and closing need a note.
#[utoipa::path(post, path = "/api/v1/reports/{id}/status", tag = "reports", request_body = StatusChange,
    params(("id" = String, Path, description = "Report UUID")),
    responses(
        (status = 200, description = "The issue after the change", body = Issue),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed from the current status (`invalid_transition`)", body = ErrorBody),
        (status = 422, description = "Missing or invalid note", body = ErrorBody),
    ))]
pub async fn change_status(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(change): ApiJson<StatusChange>,
) -> Result<Json<Issue>, AppError> {
    let id = report_id(&id)?;
    Ok(Json(intake::change_status(&state, id, change).await?))
}

/// A reporter's latest reports (up to 200), newest first: "my reports".
#[utoipa::path(get, path = "/api/v1/reporters/{reporter}/reports", tag = "reports",
    params(("reporter" = String, Path, description = "The reporter's login")),
    responses((status = 200, body = IssuesAt), (status = 422, body = ErrorBody)))]
pub async fn reporter_reports(
    State(state): State<AppState>,
    ApiPath(reporter): ApiPath<String>,
) -> Result<Json<IssuesAt>, AppError> {
    let reporter = ReporterId::parse(&reporter).ok_or_else(|| {
        AppError(
            ErrorBody::new(ErrorCode::InvalidValue, "a reporter is 1 to 64 printable characters")
                .with_field("reporter"),
        )
    })?;
    Ok(Json(state.store.reporter_issues(&reporter, 200).await?))
}
