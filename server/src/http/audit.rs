//! `/api/v1/audit`: the audit trail, for administrators: read it in pages, export it as CSV.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use floorboard_shared::ErrorBody;
use floorboard_shared::access::Action;
use floorboard_shared::audit::AuditRecord;
use serde::Deserialize;

use super::{ApiQuery, Signed};
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(entries)).route("/api/v1/audit/export", get(export))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Entries after this number (0: from the first).
    #[serde(default)]
    after: u64,
    /// At most this many (1 to 10,000; 1,000 when absent).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<u32>,
}

/// Audit entries in order, a page at a time. (Reports and status changes are the event log's;
/// each event names its actor.)
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(Page), responses(
    (status = 200, description = "The entries after `after`, oldest first", body = Vec<AuditRecord>),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not an administrator", body = ErrorBody),
    (status = 422, description = "`invalid_value`: a query parameter out of its range", body = ErrorBody),
    (status = 503, description = "`unavailable`", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn entries(
    State(state): State<AppState>,
    signed: Signed,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Vec<AuditRecord>>, AppError> {
    signed.may(Action::ReadAudit)?;
    let limit = page.limit.unwrap_or(1_000);
    if !(1..=10_000).contains(&limit) {
        return Err(AppError(
            ErrorBody::new(floorboard_shared::ErrorCode::InvalidValue, "limit is 1 to 10,000").with_field("limit"),
        ));
    }
    let entries = state.audit_store.audit_entries(page.after, limit).await?;
    crate::reads::audit_read(&state, &signed.session, signed.source, "audit".into()).await;
    Ok(Json(entries))
}

/// The whole audit trail as CSV (RFC 4180): seq, at, actor, action, target, source,
/// outcome. The export is itself recorded.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", responses(
    (status = 200, description = "The trail as CSV", body = String, content_type = "text/csv"),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not an administrator", body = ErrorBody),
    (status = 503, description = "`unavailable`", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn export(State(state): State<AppState>, signed: Signed) -> Result<impl IntoResponse, AppError> {
    signed.may(Action::ReadAudit)?;
    state.audit.record_durably(signed.entry("audit_export", None)).await?;
    let entries = crate::audit::all_entries(&*state.audit_store).await?;
    let mut body = Vec::new();
    crate::audit::write_csv(&mut body, &entries).map_err(|e| {
        tracing::error!(error = %e, "cannot write the audit export");
        AppError::new(floorboard_shared::ErrorCode::Internal, "internal error")
    })?;
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
        (header::CONTENT_DISPOSITION, "attachment; filename=\"floorboard-audit.csv\""),
    ];
    Ok((headers, body))
}
