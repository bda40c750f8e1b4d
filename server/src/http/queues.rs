//! `/api/v1/queues`: the command-center queues and their open issues.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use floorboard_shared::protocol::{IssuesAt, QueueSummary};
use floorboard_shared::{ErrorBody, QueueId};

use super::{ApiPath, Signed};
use crate::error::AppError;
use crate::reads;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/queues", get(list_queues)).route("/api/v1/queues/{queue}/issues", get(queue_issues))
}

/// Every queue of the go-live with its count of open issues.
#[utoipa::path(get, path = "/api/v1/queues", tag = "queues", responses(
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not do this (docs/protocol.md §8.3); `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
    (status = 200, description = "The queues", body = Vec<QueueSummary>),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
        headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn list_queues(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<QueueSummary>>, AppError> {
    Ok(Json(reads::queues(&state, signed.principal()).await?))
}

/// A queue's open issues (up to 5,000), patient safety first, then oldest first.
#[utoipa::path(get, path = "/api/v1/queues/{queue}/issues", tag = "queues",
    params(("queue" = QueueId, Path)),
    responses(
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not do this (docs/protocol.md §8.3); `untrusted_origin`: a change made with the session cookie from another site's page", body = ErrorBody),
        (status = 200, description = "The queue's open issues", body = IssuesAt),
        (status = 404, description = "`not_found`: an empty queue (no such endpoint)", body = ErrorBody),
        (status = 422, description = "`unknown_queue`: not a queue of this go-live", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds"))),
    ))]
pub async fn queue_issues(
    State(state): State<AppState>,
    signed: Signed,
    ApiPath(queue): ApiPath<String>,
) -> Result<Json<IssuesAt>, AppError> {
    let issues = reads::queue_issues(&state, signed.principal(), &queue).await?;
    reads::audit_read(&state, &signed.session, signed.source, format!("queue:{queue}")).await;
    Ok(Json(issues))
}
