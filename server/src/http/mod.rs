//! The HTTP surface: the JSON API under `/api/v1`, its OpenAPI document, the websocket
//! endpoint, and the operational endpoints. Each resource module owns its routes.

mod board;
mod golive;
mod ops;
mod queues;
mod reports;
mod units;
mod web;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use floorboard_shared::ErrorCode;
use floorboard_shared::protocol::MAX_FRAME_BYTES;
use serde::de::DeserializeOwned;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

use crate::error::{AppError, decode_json};
use crate::state::AppState;
use crate::ws;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Floorboard API",
        description = "Reports in, routed to live queues, unit heatmap out. \
        The live protocol over /ws is described in docs/protocol.md."
    ),
    paths(
        reports::submit,
        reports::get_report,
        reports::change_status,
        reports::reporter_reports,
        queues::list_queues,
        queues::queue_issues,
        board::board,
        units::unit_issues,
        golive::golive,
    ),
    components(schemas(floorboard_shared::ErrorBody, floorboard_shared::ErrorCode))
)]
struct ApiDoc;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(reports::router())
        .merge(queues::router())
        .merge(board::router())
        .merge(golive::router())
        .merge(ops::router())
        .merge(units::router())
        .route("/api/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .merge(web::router(state.config.web_dir.as_deref()))
        .layer(DefaultBodyLimit::max(MAX_FRAME_BYTES))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        // A panic in a handler answers that request `internal`, in the documented body.
        .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            tracing::error!("handling a request panicked; answered internal");
            metrics::counter!(crate::telemetry::HANDLER_PANICS).increment(1);
            AppError::new(ErrorCode::Internal, "internal error").into_response()
        }))
        // After the layers, so the handshake skips them: it has no body to bound or compress,
        // the connection logs its own life, and a reconnect storm is ten thousand handshakes.
        .route("/ws", get(ws::upgrade))
        .with_state(state)
}

/// A JSON body decoded with the service's own error codes (never echoing the input).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            AppError::new(ErrorCode::FrameTooLarge, format!("request bodies are limited to {MAX_FRAME_BYTES} bytes"))
        })?;
        Ok(ApiJson(decode_json(&bytes)?))
    }
}

/// Parses a report id from a path segment.
fn report_id(raw: &str) -> Result<floorboard_shared::ReportId, AppError> {
    raw.parse().map(floorboard_shared::ReportId).map_err(|_| {
        AppError(floorboard_shared::ErrorBody::new(ErrorCode::InvalidValue, "report ids are UUIDs").with_field("id"))
    })
}
