//! `/api/v1/reports`: submit a report, read one, change its status or assignee; a reporter's
//! reports.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use floorboard_shared::protocol::{Assignment, IssuesAt, Receipt, Redaction, Reroute, StatusChange};
use floorboard_shared::{ErrorBody, ErrorCode, Issue, ReportDraft, ReportId, ReporterId};

use super::{ApiJson, ApiPath, Signed, report_id};
use crate::error::AppError;
use crate::state::AppState;
use crate::{intake, reads};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports", post(submit))
        .route("/api/v1/reports/{id}", get(get_report))
        .route("/api/v1/reports/{id}/status", post(change_status))
        .route("/api/v1/reports/{id}/assignment", post(assign))
        .route("/api/v1/reports/{id}/route", post(reroute))
        .route("/api/v1/reports/{id}/redactions", post(redact))
        .route("/api/v1/reporters/{reporter}/reports", get(reporter_reports))
}

/// Submit a report. Answered only once it is durably committed; sending the same id again
/// returns the same receipt (200, `duplicate: true`) and stores nothing.
#[utoipa::path(post, path = "/api/v1/reports", request_body = ReportDraft, tag = "reports", responses(
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not do this (docs/protocol.md §8.3); `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
    (status = 201, description = "Committed and routed", body = Receipt),
    (status = 200, description = "Already committed with the same content", body = Receipt),
    (status = 400, description = "`malformed_json`: the body is not JSON", body = ErrorBody),
    (status = 409, description = "`id_conflict`: the id was used for a different report", body = ErrorBody),
    (status = 413, description = "`frame_too_large`: the body is over the size limit (16 KiB)", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `Content-Type: application/json`", body = ErrorBody),
    (status = 422, description = "The report is refused; `field` names the field at fault. `invalid_value` \
        (JSON of the wrong shape, or a value out of its range), `empty_summary`, `field_too_long`; and what \
        this document cannot say: `unknown_facility`, `unknown_unit`, `unknown_module` (not in this \
        go-live's catalog, `GET /api/v1/golive`), `unit_not_in_facility`, `phi_suspected` (text that looks \
        like a patient identifier), `invalid_value` for a `reported_at` whose offset carries it out of \
        2000 to 2099 UTC, `field_too_long` for text longer once in NFC only, and `cannot_store`", body = ErrorBody),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`: the database is unreachable or the server is shutting down; \
        retry with the same id", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn submit(
    State(state): State<AppState>,
    signed: Signed,
    ApiJson(draft): ApiJson<ReportDraft>,
) -> Result<(StatusCode, Json<Receipt>), AppError> {
    let receipt = intake::submit_report(&state, signed.principal(), draft).await?;
    let status = if receipt.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(receipt)))
}

/// One issue with its routing and status.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", params(("id" = ReportId, Path)),
    responses(
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not do this (docs/protocol.md §8.3); `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
        (status = 200, description = "The issue", body = Issue),
        (status = 404, description = "`not_found`: no report with this id (or an empty id: no such endpoint)", body = ErrorBody),
        (status = 422, description = "`invalid_value`: the id is not a UUID", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds"))),
    ))]
pub async fn get_report(
    State(state): State<AppState>,
    signed: Signed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Issue>, AppError> {
    let id = report_id(&id)?;
    let issue = reads::issue(&state, signed.principal(), id).await?;
    reads::audit_read(&state, &signed.session, signed.source, format!("report:{id}")).await;
    Ok(Json(issue))
}

/// Move an issue to another status. Resolving and closing need a note.
#[utoipa::path(post, path = "/api/v1/reports/{id}/status", tag = "reports", request_body = StatusChange,
    params(("id" = ReportId, Path)),
    responses(
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not do this (docs/protocol.md §8.3); `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
        (status = 200, description = "The issue after the change", body = Issue),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = ErrorBody),
        (status = 404, description = "`not_found`: no report with this id (or an empty id: no such endpoint)", body = ErrorBody),
        (status = 409, description = "`invalid_transition`: not allowed from the current status", body = ErrorBody),
        (status = 413, description = "`frame_too_large`: the body is over the size limit (16 KiB)", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_value` (the id is not a UUID, JSON of the wrong shape, a note \
            with a control or formatting character); and what this document cannot say: `note_required` \
            (resolving or closing without a note), `phi_suspected` (a note that looks like a patient \
            identifier), `field_too_long` (a note longer once in NFC only), `cannot_store`", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds"))),
    ))]
pub async fn change_status(
    State(state): State<AppState>,
    signed: Signed,
    ApiPath(id): ApiPath<String>,
    ApiJson(change): ApiJson<StatusChange>,
) -> Result<Json<Issue>, AppError> {
    let id = report_id(&id)?;
    Ok(Json(intake::change_status(&state, signed.session.principal.clone(), id, change).await?))
}

/// Hand an open issue to someone who may work it (one's own login: "assign to me"), or to
/// nobody. Watchers of its queues get an `assigned` event naming the previous assignee.
#[utoipa::path(post, path = "/api/v1/reports/{id}/assignment", request_body = Assignment, tag = "reports",
    params(("id" = ReportId, Path)),
    responses(
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account does not work this issue's queues (docs/protocol.md §8.3); `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
        (status = 200, description = "The issue after the change", body = Issue),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = ErrorBody),
        (status = 404, description = "`not_found`: no report with this id (or an empty id: no such endpoint)", body = ErrorBody),
        (status = 409, description = "`invalid_transition`: the issue is resolved or closed, assigned to this person already, or (unassigning) assigned to nobody", body = ErrorBody),
        (status = 413, description = "`frame_too_large`: the body is over the size limit (16 KiB)", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_value`: the id is not a UUID, JSON of the wrong shape; and what \
            this document cannot say: `assignee` names no account that may be assigned work, or one who does \
            not work any of the issue's queues", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds"))),
    ))]
pub async fn assign(
    State(state): State<AppState>,
    signed: Signed,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<Assignment>,
) -> Result<Json<Issue>, AppError> {
    let id = report_id(&id)?;
    Ok(Json(intake::assign(&state, signed.session.principal.clone(), id, request.assignee).await?))
}

/// Send an open issue to other queues, saying why (the reason becomes its note). Watchers of
/// the queues it leaves get a `rerouted` event naming them, and so do watchers of its new
/// queues; whoever had it lets it go.
#[utoipa::path(post, path = "/api/v1/reports/{id}/route", request_body = Reroute, tag = "reports",
    params(("id" = ReportId, Path)),
    responses(
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account does not work this issue's queues (docs/protocol.md §8.3); `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
        (status = 200, description = "The issue after the change", body = Issue),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = ErrorBody),
        (status = 404, description = "`not_found`: no report with this id (or an empty id: no such endpoint)", body = ErrorBody),
        (status = 409, description = "`invalid_transition`: the issue is resolved or closed, or in these queues already", body = ErrorBody),
        (status = 413, description = "`frame_too_large`: the body is over the size limit (16 KiB)", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_value`: the id is not a UUID, JSON of the wrong shape, no queue, a \
            reason with a control or formatting character; and what this document cannot say: `unknown_queue`, \
            `note_required` (an empty reason), `phi_suspected`, `field_too_long`", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds"))),
    ))]
pub async fn reroute(
    State(state): State<AppState>,
    signed: Signed,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<Reroute>,
) -> Result<Json<Issue>, AppError> {
    let id = report_id(&id)?;
    Ok(Json(intake::reroute(&state, signed.session.principal.clone(), id, request).await?))
}

/// Redact an issue's free text that let patient data through (administrators): the field
/// then reads `[redacted]` in every read, snapshot and replay, and watchers of the issue get
/// a `redacted` event. The redaction is in the log with its actor and in the audit trail.
#[utoipa::path(post, path = "/api/v1/reports/{id}/redactions", request_body = Redaction, tag = "reports",
    params(("id" = ReportId, Path)),
    responses(
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: only an administrator redacts; `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
        (status = 200, description = "The issue after the redaction", body = Issue),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = ErrorBody),
        (status = 404, description = "`not_found`: no report with this id (or an empty id: no such endpoint)", body = ErrorBody),
        (status = 413, description = "`frame_too_large`: the body is over the size limit (16 KiB)", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_value`: the id is not a UUID, JSON of the wrong shape, or \
            (what this document cannot say) the field is empty or redacted already", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds"))),
    ))]
pub async fn redact(
    State(state): State<AppState>,
    signed: Signed,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<Redaction>,
) -> Result<Json<Issue>, AppError> {
    let id = report_id(&id)?;
    let target = Some(format!("report:{id}:{}", request.field.as_str()));
    let redacted = intake::redact(&state, signed.session.principal.clone(), id, request.field).await;
    let mut entry = signed.entry("redact", target);
    if let Err(refused) = &redacted {
        entry.outcome = refused.code.as_str().to_owned();
    }
    state.audit.record_durably(entry).await?;
    Ok(Json(redacted?))
}

/// A reporter's latest reports (up to 200), newest first: "my reports".
#[utoipa::path(get, path = "/api/v1/reporters/{reporter}/reports", tag = "reports",
    params(("reporter" = ReporterId, Path)),
    responses(
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not do this (docs/protocol.md §8.3); `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
        (status = 200, description = "The reporter's latest reports", body = IssuesAt),
        (status = 404, description = "`not_found`: an empty reporter (no such endpoint)", body = ErrorBody),
        (status = 422, description = "`invalid_value`: not a reporter name", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds"))),
    ))]
pub async fn reporter_reports(
    State(state): State<AppState>,
    signed: Signed,
    ApiPath(reporter): ApiPath<String>,
) -> Result<Json<IssuesAt>, AppError> {
    let reporter = ReporterId::parse(&reporter).ok_or_else(|| {
        AppError(
            ErrorBody::new(ErrorCode::InvalidValue, "a reporter is 1 to 64 printable characters")
                .with_field("reporter"),
        )
    })?;
    let target = format!("reports_of:{reporter}");
    let issues = reads::reporter_issues(&state, signed.principal(), reporter).await?;
    reads::audit_read(&state, &signed.session, signed.source, target).await;
    Ok(Json(issues))
}
