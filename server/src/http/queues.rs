//! `/api/v1/queues`: the command-center queues and their open issues.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use floorboard_shared::protocol::{IssuesAt, QueueSummary};
use floorboard_shared::{ErrorBody, ErrorCode, QueueId};

use super::ApiPath;
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/queues", get(list_queues)).route("/api/v1/queues/{queue}/issues", get(queue_issues))
}

/// Every queue of the go-live with its count of open issues.
#[utoipa::path(get, path = "/api/v1/queues", tag = "queues", responses(
    (status = 200, description = "The queues", body = Vec<QueueSummary>),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
        headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn list_queues(State(state): State<AppState>) -> Result<Json<Vec<QueueSummary>>, AppError> {
    let counts: std::collections::HashMap<QueueId, u64> = state.store.queue_counts().await?.into_iter().collect();
    let queues = state
        .config
        .golive
        .queues()
        .iter()
        .map(|q| QueueSummary { id: q.id.clone(), name: q.name.clone(), open: counts.get(&q.id).copied().unwrap_or(0) })
        .collect();
    Ok(Json(queues))
}

/// A queue's open issues (up to 5,000), patient safety first, then oldest first.
#[utoipa::path(get, path = "/api/v1/queues/{queue}/issues", tag = "queues",
    params(("queue" = QueueId, Path)),
    responses(
        (status = 200, description = "The queue's open issues", body = IssuesAt),
        (status = 404, description = "`not_found`: an empty queue (no such endpoint)", body = ErrorBody),
        (status = 422, description = "`unknown_queue`: not a queue of this go-live", body = ErrorBody),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds"))),
    ))]
pub async fn queue_issues(
    State(state): State<AppState>,
    ApiPath(queue): ApiPath<String>,
) -> Result<Json<IssuesAt>, AppError> {
    if state.config.golive.queue(&queue).is_none() {
        return Err(AppError(
            ErrorBody::new(ErrorCode::UnknownQueue, "no such queue in this go-live").with_field("queue"),
        ));
    }
    Ok(Json(state.store.queue_issues(&QueueId::new(queue), 5_000).await?))
}
