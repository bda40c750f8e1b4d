//! The HTTP surface: the JSON API under `/api/v1`, its OpenAPI document, the websocket
//! endpoint, and the operational endpoints. Each resource module owns its routes.

mod audit;
mod board;
mod coverage;
mod curve;
mod displays;
pub mod edge;
mod golive;
mod ops;
mod queues;
mod reports;
mod sessions;
mod summary;
mod units;
mod users;
mod web;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
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

use std::sync::Arc;

use floorboard_shared::access::Action;

use crate::auth::Session;
use crate::auth::credentials;
use crate::error::{AppError, decode_json, decode_query};
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
        reports::assign,
        reports::reroute,
        reports::redact,
        reports::reporter_reports,
        queues::list_queues,
        queues::queue_issues,
        board::board,
        coverage::check_in,
        coverage::check_out,
        coverage::coverage,
        units::unit_issues,
        golive::golive,
        sessions::sign_in,
        sessions::current,
        sessions::sign_out,
        sessions::set_pin,
        sessions::unlock,
        displays::issue_display,
        displays::list,
        displays::revoke,
        sessions::open_display,
        users::list,
        users::add,
        users::update,
        users::reset_password,
        audit::entries,
        audit::export,
        summary::get_summary,
        summary::get_reteach,
        curve::get_curve,
    ),
    components(schemas(floorboard_shared::ErrorBody, floorboard_shared::ErrorCode, summary::Format)),
    modifiers(&SessionSecurity),
    security(("bearer" = []), ("session_cookie" = []))
)]
struct ApiDoc;

/// The two ways a request carries its session: a bearer token, or the browser's cookie.
struct SessionSecurity;

impl utoipa::Modify for SessionSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(credentials::COOKIE))),
        );
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(reports::router())
        .merge(queues::router())
        .merge(board::router())
        .merge(coverage::router())
        .merge(golive::router())
        .merge(ops::router())
        .merge(units::router())
        .merge(sessions::router())
        .merge(displays::router())
        .merge(users::router())
        .merge(audit::router())
        .merge(summary::router())
        .merge(curve::router())
        .route("/api/openapi.json", get(|_: ops::Operator| async { Json(ApiDoc::openapi()) }))
        .merge(web::router(state.config.web_dir.as_deref()))
        .layer(DefaultBodyLimit::max(MAX_FRAME_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge::guard))
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
        // Last, so it covers every route above (it applies to those already added).
        .method_not_allowed_fallback(|| async {
            AppError::new(ErrorCode::MethodNotAllowed, "this endpoint does not take that method")
        })
        // After the fallback, so a preflight (`OPTIONS`, which no route takes) reaches it.
        .layer(tower::util::option_layer(edge::cors(&state.config)))
        .with_state(state)
}

/// A JSON body decoded with the service's own error codes (never echoing the input). The
/// body must say it is JSON: a browser sends a cross-site form (`text/plain`, form-encoded,
/// multipart) without asking first, and such a body is refused unread.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            return Err(AppError::new(
                ErrorCode::UnsupportedMediaType,
                "request bodies are JSON: send `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            AppError::new(ErrorCode::FrameTooLarge, format!("request bodies are limited to {MAX_FRAME_BYTES} bytes"))
        })?;
        let value = decode_json(&bytes)?;
        // Every body is a JSON object: serde also reads a struct from an array of its fields
        // in order (`[]` is a struct whose fields all have defaults), which the API document
        // does not offer and no client means.
        if bytes.trim_ascii_start().first() != Some(&b'{') {
            return Err(AppError::new(ErrorCode::InvalidValue, "the body is a JSON object"));
        }
        Ok(ApiJson(value))
    }
}

/// Whether the request's content type is JSON (`application/json`, or `application/*+json`),
/// with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A query string decoded with the service's own error (`invalid_value` naming the
/// parameter, never echoing it). Unknown parameters are ignored (cache-busters).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        Ok(ApiQuery(decode_query(parts.uri.query().unwrap_or_default())?))
    }
}

/// Path parameters with the service's own error: a segment that is not valid percent-encoded
/// UTF-8 is `invalid_value`, without echoing it.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(_) => Err(AppError::new(ErrorCode::InvalidValue, "a path segment is not valid percent-encoded UTF-8")),
        }
    }
}

/// The session a request is signed in with (its bearer token, else its session cookie);
/// refused `unauthenticated` (401) without one. What it may do is asked of the access
/// policy with `may`, the same function the websocket asks.
pub struct Signed {
    pub session: Arc<Session>,
    /// Where a refusal is recorded.
    audit: crate::audit::Audit,
    /// The client's address (`edge::client_address`), for the audit trail.
    pub source: Option<std::net::IpAddr>,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Some(token) = credentials::token_of(&parts.headers) else {
            metrics::counter!(crate::telemetry::ACCESS_REFUSED, "code" => "unauthenticated").increment(1);
            return Err(AppError::new(ErrorCode::Unauthenticated, "sign in first: no session cookie or bearer token"));
        };
        edge::check_cookie_change(&state.config, &parts.method, &parts.uri, &parts.headers)?;
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
        let source = edge::client_address(&state.config, &parts.headers, peer);
        match state.auth.authenticate(token).await {
            Ok(session) => Ok(Signed { session, source, audit: state.audit.clone() }),
            Err(body) => {
                metrics::counter!(crate::telemetry::ACCESS_REFUSED, "code" => "unauthenticated").increment(1);
                Err(AppError(body))
            }
        }
    }
}

impl Signed {
    /// Whether the access policy lets this session do `action`; `forbidden` (403) if not.
    pub fn may(&self, action: Action<'_>) -> Result<(), AppError> {
        Ok(crate::reads::allow(&self.audit, &self.session.principal, action)?)
    }

    pub fn principal(&self) -> &floorboard_shared::access::Principal {
        &self.session.principal
    }

    /// An audit entry of `action` (on `target`) by this session, from its address, `ok`.
    pub fn entry(&self, action: &'static str, target: Option<String>) -> crate::audit::AuditEntry {
        let source = self.source.map(|a| a.to_string());
        crate::audit::AuditEntry::new(action, Some(self.session.principal.login.as_str()), target, source, "ok")
    }
}

/// Parses a report id from a path segment.
fn report_id(raw: &str) -> Result<floorboard_shared::ReportId, AppError> {
    raw.parse().map(floorboard_shared::ReportId).map_err(|_| {
        AppError(floorboard_shared::ErrorBody::new(ErrorCode::InvalidValue, "report ids are UUIDs").with_field("id"))
    })
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    /// Every `$ref` in the API document names a schema it defines: a client generator, or
    /// schemathesis, would otherwise skip the part it cannot resolve.
    #[test]
    fn every_reference_in_the_api_document_resolves() {
        let doc = serde_json::to_value(super::ApiDoc::openapi()).expect("serialises");
        let defined = doc["components"]["schemas"].as_object().expect("schemas").clone();
        let mut missing = std::collections::BTreeSet::new();
        let mut stack = vec![&doc];
        while let Some(value) = stack.pop() {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(target)) = map.get("$ref")
                        && let Some(name) = target.strip_prefix("#/components/schemas/")
                        && !defined.contains_key(name)
                    {
                        missing.insert(name.to_owned());
                    }
                    stack.extend(map.values());
                }
                serde_json::Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        assert!(missing.is_empty(), "references to undefined schemas: {missing:?}");
    }
}
