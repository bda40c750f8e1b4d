//! `/api/v1/sessions`: sign in, who is signed in, sign out.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use floorboard_shared::access::{DisplayOpen, PinRequest, Reach, SessionInfo, SignIn};
use floorboard_shared::{ErrorBody, ErrorCode};

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
        .route("/api/v1/sessions/current/pin", axum::routing::put(set_pin))
        .route("/api/v1/sessions/current/unlock", post(unlock))
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
    let info = session.info(Some(token.clone()));
    let mut response = (StatusCode::CREATED, Json(info)).into_response();
    if let Some(cookie) = credentials::session_cookie(&token, lifetime, state.config.over_tls()) {
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
    let mut response = Json(session.info(None)).into_response();
    if let Some(cookie) = credentials::session_cookie(request.token.trim(), lifetime, state.config.over_tls()) {
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
    Json(session.info(None))
}

/// Sign out: the session ends on every node and its websockets close, and the person's
/// check-in ends. A locked session may sign out too (the lock screen's "not me").
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "sessions", responses(
    (status = 204, description = "Signed out; the cookie is cleared"),
    (status = 401, description = "`unauthenticated`: no valid session", body = ErrorBody),
    (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
        headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn sign_out(
    State(state): State<AppState>,
    signed: Result<Signed, AppError>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    match signed {
        Ok(signed) => {
            state.auth.sign_out(&signed.session).await?;
            crate::coverage::signed_out(&state, signed.principal(), time::OffsetDateTime::now_utc()).await?;
            state.audit.record_durably(signed.entry("sign_out", None)).await?;
        }
        Err(AppError(refused)) if refused.code == ErrorCode::SessionLocked => {
            let token = credentials::token_of(&headers).ok_or(AppError(refused))?;
            let login = state.auth.sign_out_token(token).await?;
            crate::coverage::left(&state, &login, time::OffsetDateTime::now_utc()).await?;
        }
        Err(refused) => return Err(refused),
    }
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, credentials::cleared_cookie(state.config.over_tls()));
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// Set this session's PIN (4 to 8 digits): after its idle limit the session locks, and the
/// PIN opens it again in seconds, where the password would take a minute at the bedside.
#[utoipa::path(put, path = "/api/v1/sessions/current/pin", request_body = PinRequest, tag = "sessions", responses(
    (status = 204, description = "The PIN is set"),
    (status = 400, description = "`malformed_json`", body = ErrorBody),
    (status = 401, description = "`unauthenticated`, or `session_locked`", body = ErrorBody),
    (status = 403, description = "`forbidden`: a wall display's token has no PIN; `untrusted_origin`", body = ErrorBody),
    (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
    (status = 422, description = "`invalid_value` (`pin`): not 4 to 8 digits, or JSON of the wrong shape", body = ErrorBody),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn set_pin(
    State(state): State<AppState>,
    signed: Signed,
    ApiJson(request): ApiJson<PinRequest>,
) -> Result<StatusCode, AppError> {
    if !matches!(signed.principal().reach, Reach::Session) {
        return Err(AppError::new(ErrorCode::Forbidden, "a wall display's token has no PIN"));
    }
    state.auth.set_pin(&signed.session, &request.pin).await?;
    state.audit.record(signed.entry("pin_set", None)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlock a locked session with its PIN. Five wrong PINs in a row end the session.
#[utoipa::path(post, path = "/api/v1/sessions/current/unlock", request_body = PinRequest, tag = "sessions", responses(
    (status = 200, description = "Unlocked (or was not locked): the session", body = SessionInfo),
    (status = 400, description = "`malformed_json`", body = ErrorBody),
    (status = 401, description = "`bad_credentials`: a wrong PIN; `unauthenticated`: no such session, or it ended (the fifth wrong PIN ends it)", body = ErrorBody),
    (status = 403, description = "`untrusted_origin`: with the session cookie from another site's page", body = ErrorBody),
    (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
    (status = 422, description = "`invalid_value` (`pin`): not 4 to 8 digits, or JSON of the wrong shape", body = ErrorBody),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn unlock(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    ApiJson(request): ApiJson<PinRequest>,
) -> Result<Json<SessionInfo>, AppError> {
    let Some(token) = credentials::token_of(&headers) else {
        return Err(AppError::new(ErrorCode::Unauthenticated, "sign in first: no session cookie or bearer token"));
    };
    edge::check_cookie_change(&state.config, &method, &uri, &headers)?;
    let source = edge::client_address(&state.config, &headers, Some(peer.ip())).map(|a| a.to_string());
    let unlocked = state.auth.unlock(token, &request.pin).await;
    let (actor, outcome) = match &unlocked {
        Ok(session) => (Some(session.principal.login.to_string()), "ok"),
        Err(refused) => (None, refused.code.as_str()),
    };
    state.audit.record(AuditEntry::new("unlock", actor.as_deref(), None, source, outcome)).await;
    Ok(Json(unlocked?.info(None)))
}
