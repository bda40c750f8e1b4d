//! The front end: the wasm bundle and its page, built by `scripts/build-web`. Every screen
//! (`/report`, `/queues`, `/board`) is the same page, routed in the browser; unknown API
//! paths stay JSON errors.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::any;
use floorboard_shared::ErrorCode;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::state::AppState;

pub fn router(dir: Option<&Path>) -> Router<AppState> {
    let api_fallback = any(|| async { AppError::new(ErrorCode::NotFound, "no such API endpoint") });
    let router = Router::new().route("/api/{*rest}", api_fallback);
    match dir.filter(|d| d.join("index.html").is_file()) {
        Some(dir) => {
            // `scripts/build-web` leaves a `.gz` beside each file: served as is, never recompressed.
            let files = ServeDir::new(dir)
                .precompressed_gzip()
                .fallback(ServeFile::new(dir.join("index.html")).precompressed_gzip());
            // Names are stable across releases: always revalidate (a cheap 304).
            let revalidate =
                SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            router.fallback_service(tower::ServiceBuilder::new().layer(revalidate).service(files))
        }
        None => router.fallback(|| async {
            let page = "<!doctype html><title>Floorboard</title><h1>Floorboard</h1>\
                <p>The API is running, but the front end is not built. Run <code>scripts/build-web</code> \
                (or start with <code>scripts/run</code>), or pass <code>--web-dir</code>.</p>";
            (StatusCode::SERVICE_UNAVAILABLE, Html(page)).into_response()
        }),
    }
}
