//! `/api/v1/sessions`: sign in, who is signed in, sign out.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use floorboard_shared::ErrorBody;
use floorboard_shared::access::{DisplayOpen, Reach, SessionInfo, SignIn};

use super::{ApiJson, Signed, edge};
use crate::audit::AuditEntry;
use crate::auth::credentials;
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sessions", post(sign_in))
        .route("/api/v1/sessions/display", post(open_display))
        .route("/api/v1/sessions/current", axum::routing::get(current).delete(sign_out))
}

/// Sign in with a login and a password. Answers the session with its bearer token (for
/// devices and integrations) and sets the session cookie (for browsers: HttpOnly,
/// SameSite=Strict, Secure under TLS).
#[utoipa::path(post, path = "/api/v1/sessions", request_body = SignIn, tag = "sessions", security(()), responses(
    (status = 201, description = "Signed in", body = SessionInfo,
        headers(("Set-Cookie" = String, description = "The session cookie"))),
    (status = 400, description = "`malformed_json`", body = ErrorBody),
    (status = 401, description = "`bad_credentials`: the login or the password is wrong (or the account is disabled)", body = ErrorBody),
    (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
    (status = 422, description = "`invalid_value`: JSON of the wrong shape", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`: too many failed sign-ins for this account or from this address", body = ErrorBody),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
        headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SignIn>,
) -> Result<Response, AppError> {
    let client = edge::client_address(&state.config, &headers, Some(peer.ip()));
    let source = client.map(|a| a.to_string());
    let (token, session) = match state.auth.sign_in(&request.login, &request.password, client).await {
        Ok(signed_in) => signed_in,
        Err(body) => {
            // The login tried is kept only when it names an account (a password typed into
            // the login field must not end up in the trail).
            let login = request.login.trim().to_lowercase();
            let known = matches!(state.auth.store().user(&login).await, Ok(Some(_)));
            let entry = AuditEntry::new("sign_in", known.then_some(login.as_str()), None, source, body.code.as_str());
            state.audit.record(entry).await;
            return Err(body.into());
        }
    };
    let entry = AuditEntry::new("sign_in", Some(session.principal.login.as_str()), None, source, "ok");
    state.audit.record_durably(entry).await?;
    let lifetime = state.auth.limits.lifetime.as_secs();
    let info = SessionInfo {
        token: Some(token.clone()),
        principal: (*session.principal).clone(),
        expires_at: session.expires_at,
    };
    let mut response = (StatusCode::CREATED, Json(info)).into_response();
    if let Some(cookie) = credentials::session_cookie(&token, lifetime, state.config.secure_cookies) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// A wall opens its display token: the session cookie is set for it, so the board's page and
/// its websocket carry it from then on.
#[utoipa::path(post, path = "/api/v1/sessions/display", request_body = DisplayOpen, tag = "sessions", security(()), responses(
    (status = 200, description = "The display's session (without its token); the cookie is set", body = SessionInfo,
        headers(("Set-Cookie" = String, description = "The session cookie"))),
    (status = 400, description = "`malformed_json`", body = ErrorBody),
    (status = 401, description = "`unauthenticated`: not a live display token", body = ErrorBody),
    (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
    (status = 422, description = "`invalid_value`: JSON of the wrong shape", body = ErrorBody),
    (status = 503, description = "`unavailable`", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn open_display(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<DisplayOpen>,
) -> Result<Response, AppError> {
    let session = state.auth.authenticate(request.token.trim()).await?;
    if !matches!(session.principal.reach, Reach::Display { .. }) {
        return Err(AppError::new(floorboard_shared::ErrorCode::Unauthenticated, "not a display's token"));
    }
    let source = edge::client_address(&state.config, &headers, Some(peer.ip())).map(|a| a.to_string());
    let entry = AuditEntry::new("display_open", Some(session.principal.login.as_str()), None, source, "ok");
    state.audit.record(entry).await;
    let lifetime = (session.expires_at - time::OffsetDateTime::now_utc()).whole_seconds().max(0) as u64;
    let info = SessionInfo { token: None, principal: (*session.principal).clone(), expires_at: session.expires_at };
    let mut response = Json(info).into_response();
    if let Some(cookie) = credentials::session_cookie(request.token.trim(), lifetime, state.config.secure_cookies) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/v1/sessions/current", tag = "sessions", responses(
    (status = 200, description = "The session (without its token)", body = SessionInfo),
    (status = 401, description = "`unauthenticated`: no valid session", body = ErrorBody),
))]
pub async fn current(Signed { session, .. }: Signed) -> Json<SessionInfo> {
    Json(SessionInfo { token: None, principal: (*session.principal).clone(), expires_at: session.expires_at })
}

/// Sign out: the session ends on every node and its websockets close, and the person's
/// check-in ends.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "sessions", responses(
    (status = 204, description = "Signed out; the cookie is cleared"),
    (status = 401, description = "`unauthenticated`: no valid session", body = ErrorBody),
    (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
        headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn sign_out(State(state): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    state.auth.sign_out(&signed.session).await?;
    crate::coverage::signed_out(&state, signed.principal(), time::OffsetDateTime::now_utc()).await?;
    state.audit.record_durably(signed.entry("sign_out", None)).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, credentials::cleared_cookie(state.config.secure_cookies));
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}
