//! `/api/v1/display-tokens`: a wall display's token, issued for one board, listed and
//! revoked by an administrator or the lead who issued it. Revoking ends the token's session
//! on every node (the account-change log), so the wall's socket closes at once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use floorboard_shared::access::{Action, DisplayInfo, DisplayRequest, Reach, SessionInfo, decide};
use floorboard_shared::{ErrorBody, ErrorCode};
use time::OffsetDateTime;

use super::{ApiJson, ApiPath, Signed};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::accounts::SessionRecord;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/display-tokens", post(issue_display).get(list))
        .route("/api/v1/display-tokens/{id}", delete(revoke))
}

/// How a display's token is named: the first 16 hex digits of its SHA-256.
fn display_id(token_hash: &str) -> String {
    token_hash.chars().take(16).collect()
}

fn info(record: &SessionRecord) -> DisplayInfo {
    let facility = match &record.reach {
        Reach::Display { facility } => facility.clone(),
        Reach::Session => None,
    };
    DisplayInfo {
        id: display_id(&record.token_hash),
        issued_by: record.login.clone(),
        facility,
        issued_at: record.created_at,
        expires_at: record.expires_at,
    }
}

fn board_target(facility: Option<&floorboard_shared::FacilityId>) -> String {
    format!("board:{}", facility.map_or("all", |f| f.as_str()))
}

/// Issue a wall display's token: a session limited to reading one board (or every
/// facility's), for 30 days, with no idle limit; it ends with the issuing account. Open it
/// on the wall at `/display#TOKEN` (after `#`, so no server or proxy log sees it).
#[utoipa::path(post, path = "/api/v1/display-tokens", request_body = DisplayRequest, tag = "displays", responses(
    (status = 201, description = "The display's session, with its token", body = SessionInfo),
    (status = 400, description = "`malformed_json`", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: only an administrator, or a lead for the boards they see", body = ErrorBody),
    (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
    (status = 422, description = "`unknown_facility`, or `invalid_value` for JSON of the wrong shape", body = ErrorBody),
    (status = 503, description = "`unavailable`", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn issue_display(
    State(state): State<AppState>,
    signed: Signed,
    ApiJson(request): ApiJson<DisplayRequest>,
) -> Result<(StatusCode, Json<SessionInfo>), AppError> {
    if request.facility.as_ref().is_some_and(|f| state.config.golive.facility(f.as_str()).is_none()) {
        return Err(AppError(
            ErrorBody::new(ErrorCode::UnknownFacility, "no such facility in this go-live").with_field("facility"),
        ));
    }
    signed.may(Action::IssueDisplay { facility: request.facility.as_ref() })?;
    let (token, display) = state.auth.issue_display_token(signed.principal(), request.facility.clone()).await?;
    state.audit.record_durably(signed.entry("display_issue", Some(board_target(request.facility.as_ref())))).await?;
    Ok((StatusCode::CREATED, Json(display.info(Some(token)))))
}

/// The wall displays' tokens that still open a board: every one for an administrator, a
/// lead's own for a lead.
#[utoipa::path(get, path = "/api/v1/display-tokens", tag = "displays", responses(
    (status = 200, description = "The live display tokens, oldest first (never the tokens themselves)", body = Vec<DisplayInfo>),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: only administrators and leads have display tokens to manage", body = ErrorBody),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn list(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<DisplayInfo>>, AppError> {
    let me = signed.principal();
    signed.may(Action::ManageDisplay { issuer: &me.login })?;
    let live = state.auth.store().display_sessions(OffsetDateTime::now_utc()).await?;
    let mine = live.iter().filter(|r| decide(me, Action::ManageDisplay { issuer: &r.login }).is_ok());
    Ok(Json(mine.map(info).collect()))
}

/// Revoke a wall display's token: its session ends on every node and the wall's socket
/// closes (`1008 session ended`); the wall shows the sign-in screen.
#[utoipa::path(delete, path = "/api/v1/display-tokens/{id}", tag = "displays",
    params(("id" = String, Path, description = "The token's id, as listed")),
    responses(
    (status = 204, description = "Revoked"),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: only an administrator, or the lead who issued it; `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
    (status = 404, description = "`not_found`: no live display token with this id", body = ErrorBody),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn revoke(
    State(state): State<AppState>,
    signed: Signed,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, AppError> {
    let live = state.auth.store().display_sessions(OffsetDateTime::now_utc()).await?;
    let found = live.iter().find(|r| id.len() == 16 && display_id(&r.token_hash) == id);
    let Some(record) = found else {
        return Err(AppError(ErrorBody::new(ErrorCode::NotFound, "no live display token with this id")));
    };
    signed.may(Action::ManageDisplay { issuer: &record.login })?;
    state.auth.revoke(&record.token_hash, record.login.as_str()).await?;
    let shown = info(record);
    state.audit.record_durably(signed.entry("display_revoke", Some(board_target(shown.facility.as_ref())))).await?;
    Ok(StatusCode::NO_CONTENT)
}
