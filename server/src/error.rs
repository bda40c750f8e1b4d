//! The service's error type and the decoding of untrusted JSON. Every refusal, over HTTP or
//! the websocket, is an `ErrorBody` with a stable code; decoding errors name the field at
//! fault but never repeat what was sent, since that may be a trainer's free text.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use floorboard_shared::{ErrorBody, ErrorCode};
use serde::de::DeserializeOwned;
use serde_path_to_error::{Path, Segment};

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
        UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        NotFound => StatusCode::NOT_FOUND,
        IdConflict | InvalidTransition => StatusCode::CONFLICT,
        TooManySubscriptions | TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        Unauthenticated | SessionLocked | BadCredentials => StatusCode::UNAUTHORIZED,
        Forbidden | UntrustedOrigin => StatusCode::FORBIDDEN,
        Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Internal => StatusCode::INTERNAL_SERVER_ERROR,
        UnknownFacility | UnknownUnit | UnitNotInFacility | UnknownModule | UnknownQueue | EmptySummary
        | FieldTooLong | InvalidValue | PhiSuspected | NoteRequired | ResolutionRequired | CannotStore => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
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
/// `invalid_value` (JSON of the wrong shape), naming the field at fault.
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ErrorBody> {
    // The fast path decodes plainly; only a failure pays for tracking the field path.
    serde_json::from_slice(bytes).or_else(|_| {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().clone();
            let inner = e.into_inner();
            if inner.classify() != serde_json::error::Category::Data {
                return ErrorBody::new(
                    ErrorCode::MalformedJson,
                    format!("not valid JSON (line {}, column {})", inner.line(), inner.column()),
                );
            }
            shape_error(&path, &inner.to_string())
        })?;
        de.end().map_err(|e| {
            ErrorBody::new(
                ErrorCode::MalformedJson,
                format!("not valid JSON (line {}, column {})", e.line(), e.column()),
            )
        })?;
        Ok(value)
    })
}

/// Decodes a query string into `T` as `decode_json` decodes a body: `invalid_value` naming
/// the parameter at fault, never repeating what was sent.
pub fn decode_query<T: DeserializeOwned>(query: &str) -> Result<T, ErrorBody> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().clone();
        shape_error(&path, &e.into_inner().to_string())
    })
}

/// The error for input of the wrong shape at `path` (serde's path from the top of the
/// input). `field` is the bare name of the field at fault (a missing one's too), the same
/// over HTTP and the websocket, whatever message held it.
fn shape_error(path: &Path, serde_message: &str) -> ErrorBody {
    let what = describe_data_error(serde_message);
    // An unknown field's own name is the client's: its segment is dropped, so the error names
    // the known field that holds it (or none, at the top).
    let segments: Vec<&Segment> = path.iter().collect();
    let segments = match segments.split_last() {
        Some((_, parent)) if serde_message.starts_with("unknown field") => parent,
        _ => &segments[..],
    };
    let field = missing_field(serde_message).or_else(|| bare_field(segments));
    match field {
        Some(f) => ErrorBody::new(ErrorCode::InvalidValue, format!("field `{f}`: {what}")).with_field(&f),
        None => ErrorBody::new(ErrorCode::InvalidValue, what),
    }
}

/// The field a serde path starts at (`status` for `status.closed`: a variant written as an
/// object is the field's value, not a field). Nested messages are decoded part by part
/// (`ws::decode`), so a path starts at the field the client sees. `None` for a position in
/// an array (`[0]`) or the top.
fn bare_field(segments: &[&Segment]) -> Option<String> {
    match segments.first()? {
        Segment::Map { key } if !key.is_empty() => Some(key.clone()),
        Segment::Seq { .. } | Segment::Map { .. } | Segment::Enum { .. } | Segment::Unknown => None,
    }
}

/// The field a "missing field `x`" message names.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    let name = rest.split('`').next()?;
    floorboard_shared::ids::is_slug(name).then(|| name.to_owned())
}

/// Keeps the part of a serde message that speaks of the schema ("missing field `x`",
/// "expected one of ...") and drops any quoted input.
fn describe_data_error(message: &str) -> String {
    let message = message.rsplit_once(" at line ").map_or(message, |(before, _)| before);
    if let Some(field) = missing_field(message) {
        return format!("missing field `{field}`");
    }
    if message.starts_with("unknown field") {
        // The unknown name is the client's.
        return "unknown field".to_owned();
    }
    // serde puts what was sent before what was expected ("unknown variant `...`, expected one
    // of ..."), and what was sent may hold ", expected " itself: the expectation is what
    // follows the last one, and what a parser says it found is dropped.
    let expected = message.rsplit_once(", expected ").or_else(|| message.rsplit_once("expected "));
    match expected {
        Some((_, expected)) => {
            let expected = expected.split_once(", found").map_or(expected, |(before, _)| before);
            format!("expected {expected}")
        }
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
    fn what_was_sent_is_never_repeated_even_when_it_reads_like_serdes_own_words() {
        // Found by the fuzzer (fuzz/artifacts/*/crash-echo-*).
        let e = decode_json::<floorboard_shared::protocol::StatusChange>(
            br#"{"status": "pending, expected Mrs Jones, DOB 3/14/1962", "note": "x"}"#,
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("status"));
        assert!(!e.message.contains("Jones") && !e.message.contains("1962"), "{}", e.message);
        let e = decode_json::<ReportDraft>(br#"{"id": "Mrs Jones expected here"}"#).unwrap_err();
        assert!(!e.message.contains("Jones"), "{}", e.message);
        let e = decode_json::<ReportDraft>(br#"{"id": "Zeta"}"#).unwrap_err();
        assert!(!e.message.contains("`Z`"), "a parser's `found` is dropped: {}", e.message);
    }

    #[test]
    fn an_unknown_fields_name_is_not_repeated() {
        // Found by the fuzzer: a body that refuses unknown fields named the client's key.
        for body in [&br#"{"login": "a", "Mrs Jones": 1}"#[..], br#"{"Mrs.Jones": 1}"#] {
            let e = decode_json::<floorboard_shared::access::SignIn>(body).unwrap_err();
            assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidValue, None));
            assert!(!e.message.contains("Jones"), "{}", e.message);
        }
    }

    #[test]
    fn missing_fields_are_named() {
        let e = decode_json::<ReportDraft>(br#"{"id":"00000000-0000-0000-0000-000000000001"}"#).unwrap_err();
        assert!(e.message.contains("missing field"), "{}", e.message);
        assert_eq!(e.field.as_deref(), Some("facility"));
    }

    #[test]
    fn a_variant_written_as_an_object_is_its_fields_fault() {
        // Found by the fuzzer (fuzz/artifacts/http_bodies/crash-8ff302b4…).
        let e = decode_json::<floorboard_shared::protocol::StatusChange>(br#"{"status": {"closed": 5}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("status"));
    }

    #[test]
    fn fields_are_named_bare_wherever_they_sit() {
        let key = |k: &str| Segment::Map { key: k.to_owned() };
        let (kind, status, closed) = (key("kind"), key("status"), Segment::Enum { variant: "closed".to_owned() });
        assert_eq!(bare_field(&[&kind]).as_deref(), Some("kind"));
        assert_eq!(bare_field(&[&status, &closed]).as_deref(), Some("status"), "a variant as an object");
        assert_eq!(bare_field(&[&Segment::Seq { index: 0 }]), None);
        assert_eq!(bare_field(&[]), None);
    }

    #[test]
    fn query_strings_are_decoded_without_echoing() {
        #[derive(Debug, serde::Deserialize)]
        struct Q {
            #[allow(dead_code)]
            kind: Option<floorboard_shared::Kind>,
        }
        let e = decode_query::<Q>("kind=hardware-secret").unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidValue, Some("kind")));
        assert!(!e.message.contains("secret"), "{}", e.message);
        assert!(decode_query::<Q>("kind=access&cachebust=1").is_ok());
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
