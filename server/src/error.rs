//! The service's error type and the decoding of untrusted JSON. Every refusal, over HTTP or
//! the websocket, is an `ErrorBody` with a stable code; decoding errors name the field at
//! fault but never repeat what was sent, since that may be a trainer's free text.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use floorboard_shared::{ErrorBody, ErrorCode};
use serde::de::DeserializeOwned;

use crate::store::StoreError;

/// An error on its way to a client.
#[derive(Debug)]
pub struct AppError(pub ErrorBody);

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError(ErrorBody::new(code, message))
    }
}

impl From<ErrorBody> for AppError {
    fn from(body: ErrorBody) -> Self {
        AppError(body)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError(store_error_body(&e))
    }
}

/// Logs a storage fault once, here, and turns it into a body that reveals nothing.
pub fn store_error_body(e: &StoreError) -> ErrorBody {
    match e {
        StoreError::Unavailable(_) => {
            tracing::warn!(error = %e, "database unavailable");
            ErrorBody::new(ErrorCode::Unavailable, "the database is unavailable; retry shortly")
        }
        StoreError::Corrupt(_) => {
            tracing::error!(error = %e, "stored data could not be read");
            ErrorBody::new(ErrorCode::Internal, "internal error")
        }
        StoreError::Rejected(_) => {
            tracing::error!(error = %e, "the database refused a write");
            ErrorBody::new(ErrorCode::Internal, "internal error")
        }
    }
}

pub fn http_status(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        MalformedJson | UnknownMessageType => StatusCode::BAD_REQUEST,
        FrameTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        NotFound => StatusCode::NOT_FOUND,
        IdConflict | InvalidTransition => StatusCode::CONFLICT,
        TooManySubscriptions => StatusCode::TOO_MANY_REQUESTS,
        Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Internal => StatusCode::INTERNAL_SERVER_ERROR,
        UnknownFacility | UnknownUnit | UnitNotInFacility | UnknownModule | UnknownQueue | EmptySummary
        | FieldTooLong | InvalidValue | PhiSuspected | NoteRequired | CannotStore => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = (http_status(self.0.code), Json(&self.0)).into_response();
        if self.0.code == ErrorCode::Unavailable {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("2"));
        }
        response
    }
}

/// Decodes JSON into `T`, mapping failures to `malformed_json` (not JSON at all) or
/// `invalid_value` (JSON of the wrong shape), with the path of the field at fault.
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ErrorBody> {
    // The fast path decodes plainly; only a failure pays for tracking the field path.
    serde_json::from_slice(bytes).or_else(|_| {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            json_error(e.into_inner(), (path != ".").then_some(path))
        })?;
        de.end().map_err(|e| json_error(e, None))?;
        Ok(value)
    })
}

fn json_error(e: serde_json::Error, field: Option<String>) -> ErrorBody {
    if e.classify() != serde_json::error::Category::Data {
        return ErrorBody::new(
            ErrorCode::MalformedJson,
            format!("not valid JSON (line {}, column {})", e.line(), e.column()),
        );
    }
    let what = describe_data_error(&e.to_string());
    match field {
        Some(f) => ErrorBody::new(ErrorCode::InvalidValue, format!("field `{f}`: {what}")).with_field(&f),
        None => ErrorBody::new(ErrorCode::InvalidValue, what),
    }
}

/// Keeps the part of a serde message that speaks of the schema ("missing field `x`",
/// "expected one of ...") and drops any quoted input.
fn describe_data_error(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    if message.starts_with("missing field") || message.starts_with("unknown field") {
        return message.split(", expected").next().unwrap_or(message).to_owned();
    }
    match message.split_once(", expected ").or_else(|| message.split_once("expected ")) {
        Some((_, expected)) => format!("expected {expected}"),
        None => "invalid value".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use floorboard_shared::ReportDraft;

    #[test]
    fn syntax_errors_are_malformed_json() {
        let e = decode_json::<ReportDraft>(b"{not json").unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedJson);
    }

    #[test]
    fn shape_errors_name_the_field_without_echoing_input() {
        let e = decode_json::<ReportDraft>(
            br#"{"id":"00000000-0000-0000-0000-000000000001","facility":"rmc","unit":"rmc-ed","module":"asap",
                "kind":"secret words here","severity":"low","summary":"s","reporter":"r","reported_at":"2026-11-21T08:00:00Z"}"#,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidValue);
        assert_eq!(e.field.as_deref(), Some("kind"));
        assert!(!e.message.contains("secret"), "{}", e.message);
        assert!(e.message.contains("training_gap"), "{}", e.message);
    }

    #[test]
    fn missing_fields_are_named() {
        let e = decode_json::<ReportDraft>(br#"{"id":"00000000-0000-0000-0000-000000000001"}"#).unwrap_err();
        assert!(e.message.contains("missing field"), "{}", e.message);
    }

    #[test]
    fn wrong_types_do_not_echo_strings() {
        let e = decode_json::<ReportDraft>(
            br#"{"id":"00000000-0000-0000-0000-000000000001","affected_users":"Mrs Jones"}"#,
        )
        .unwrap_err();
        assert!(!e.message.contains("Jones"), "{}", e.message);
    }
}
