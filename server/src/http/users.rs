//! `/api/v1/users`: accounts, for administrators (`auth::accounts` does the work, as for
//! `floorboard user`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use floorboard_shared::ErrorBody;
use floorboard_shared::access::{Account, AccountIssued, AccountSpec, Action, NewAccount, PasswordReset};

use super::{ApiJson, ApiPath, Signed};
use crate::auth::accounts;
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list).post(add))
        .route("/api/v1/users/{login}", put(update))
        .route("/api/v1/users/{login}/password", post(reset_password))
}

/// Every account.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses(
    (status = 200, description = "The accounts, by login", body = Vec<Account>),
    (status = 400, description = "`malformed_json`: the body is not JSON", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not an administrator", body = ErrorBody),
    (status = 503, description = "`unavailable`", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn list(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<Account>>, AppError> {
    signed.may(Action::ManageAccounts)?;
    let users = state.auth.store().users().await?;
    Ok(Json(users.into_iter().map(|u| u.account).collect()))
}

/// Add an account. Without a password, a one-time password is made and answered, once.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewAccount, responses(
    (status = 201, description = "Added", body = AccountIssued),
    (status = 400, description = "`malformed_json`: the body is not JSON", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not an administrator", body = ErrorBody),
    (status = 409, description = "`id_conflict`: the login is taken", body = ErrorBody),
    (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
    (status = 422, description = "`invalid_value`, `unknown_queue`, `unknown_facility`, `unknown_module`, naming the field", body = ErrorBody),
    (status = 503, description = "`unavailable`", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn add(
    State(state): State<AppState>,
    signed: Signed,
    ApiJson(new): ApiJson<NewAccount>,
) -> Result<(StatusCode, Json<AccountIssued>), AppError> {
    signed.may(Action::ManageAccounts)?;
    let (account, one_time_password) = accounts::add(&**state.auth.store(), &state.config.golive, new).await?;
    tracing::info!(by = %signed.principal().login, account = %account.login, "account added");
    state.audit.record_durably(signed.entry("account_add", Some(account.login.to_string()))).await?;
    Ok((StatusCode::CREATED, Json(AccountIssued { account, one_time_password })))
}

/// Replace what an account is: name, roles, queues, facility, modules, disabled. Its
/// sessions take the change at once on every node; disabling ends them.
#[utoipa::path(put, path = "/api/v1/users/{login}", tag = "users", request_body = AccountSpec,
    params(("login" = String, Path)), responses(
    (status = 200, description = "The account as it now is", body = Account),
    (status = 400, description = "`malformed_json`: the body is not JSON", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not an administrator", body = ErrorBody),
    (status = 404, description = "`not_found`: no such account", body = ErrorBody),
    (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
    (status = 422, description = "`invalid_value` (also: this would leave no administrator), `unknown_queue`, `unknown_facility`, `unknown_module`", body = ErrorBody),
    (status = 503, description = "`unavailable`", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn update(
    State(state): State<AppState>,
    signed: Signed,
    ApiPath(login): ApiPath<String>,
    ApiJson(spec): ApiJson<AccountSpec>,
) -> Result<Json<Account>, AppError> {
    signed.may(Action::ManageAccounts)?;
    let account = accounts::update(&**state.auth.store(), &state.config.golive, &login, spec).await?;
    state.auth.account_changed(account.login.as_str());
    tracing::info!(by = %signed.principal().login, account = %account.login, disabled = account.disabled, "account changed");
    state.audit.record_durably(signed.entry("account_change", Some(account.login.to_string()))).await?;
    Ok(Json(account))
}

/// Set a new password (none: a one-time password is made and answered). The account's
/// sessions end.
#[utoipa::path(post, path = "/api/v1/users/{login}/password", tag = "users", request_body = PasswordReset,
    params(("login" = String, Path)), responses(
    (status = 200, description = "Reset", body = AccountIssued),
    (status = 400, description = "`malformed_json`: the body is not JSON", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not an administrator", body = ErrorBody),
    (status = 404, description = "`not_found`: no such account", body = ErrorBody),
    (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
    (status = 422, description = "`invalid_value`: a password shorter than 10 characters", body = ErrorBody),
    (status = 503, description = "`unavailable`", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn reset_password(
    State(state): State<AppState>,
    signed: Signed,
    ApiPath(login): ApiPath<String>,
    ApiJson(reset): ApiJson<PasswordReset>,
) -> Result<Json<AccountIssued>, AppError> {
    signed.may(Action::ManageAccounts)?;
    let one_time_password = accounts::reset_password(&**state.auth.store(), &login, reset.password).await?;
    state.auth.account_changed(&login.trim().to_lowercase());
    let account = state
        .auth
        .store()
        .user(&login.trim().to_lowercase())
        .await?
        .map(|u| u.account)
        .ok_or_else(|| AppError::new(floorboard_shared::ErrorCode::NotFound, "no account with this login"))?;
    tracing::info!(by = %signed.principal().login, account = %account.login, "password reset");
    state.audit.record_durably(signed.entry("password_reset", Some(account.login.to_string()))).await?;
    Ok(Json(AccountIssued { account, one_time_password }))
}
