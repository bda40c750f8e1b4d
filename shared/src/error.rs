//! The one error body every client sees, over HTTP and over the websocket: a stable
//! machine-readable `code`, a human `message`, and where it helps the offending `field`.

use serde::{Deserialize, Serialize};

use crate::ReportId;

/// Stable error codes. Clients branch on these; the wire spelling never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body or frame is not valid JSON, or not the shape of any message.
    MalformedJson,
    /// A websocket message whose `type` the server does not know.
    UnknownMessageType,
    /// An HTTP body that is not declared JSON (`Content-Type: application/json`).
    UnsupportedMediaType,
    /// An HTTP method the endpoint does not take.
    MethodNotAllowed,
    /// A websocket frame or HTTP body over the size limit.
    FrameTooLarge,
    UnknownFacility,
    UnknownUnit,
    /// The unit exists but belongs to another facility.
    UnitNotInFacility,
    UnknownModule,
    UnknownQueue,
    EmptySummary,
    FieldTooLong,
    /// A value outside its allowed range or form (a count of zero, a bad reporter name...).
    InvalidValue,
    /// The free text looks like it carries patient identifiers; rephrase without them.
    PhiSuspected,
    /// The same report id was already used for a report with different content.
    IdConflict,
    NotFound,
    /// The status change is not allowed from the current status.
    InvalidTransition,
    /// Resolving or closing needs a note saying what was done; reopening, one saying why.
    NoteRequired,
    /// Resolving needs a resolution code from the go-live's list (`resolutions`).
    ResolutionRequired,
    /// Too many subscriptions on one connection.
    TooManySubscriptions,
    /// No valid session: sign in (`POST /api/v1/sessions`) and send its cookie or token.
    Unauthenticated,
    /// The session is locked after its idle limit: unlock it with its PIN
    /// (`POST /api/v1/sessions/current/unlock`), or sign out.
    SessionLocked,
    /// Signed in, but this account may not do that (docs/protocol.md §8.3).
    Forbidden,
    /// Sign-in refused: the login or the password is wrong (which one is not said).
    BadCredentials,
    /// Too many failed sign-ins for this account or from this address: wait `Retry-After`.
    TooManyAttempts,
    /// The request's `Origin` or `Host` is not one this server answers (a cross-site page,
    /// DNS rebinding).
    UntrustedOrigin,
    /// This one item could not be stored and never will be as it is (the database refused
    /// what it holds); the others sent with it were not affected. Do not retry it unchanged.
    CannotStore,
    /// The database cannot be reached or the server is shutting down: retry later.
    Unavailable,
    /// A fault on the server; details are in its log, never in the response.
    Internal,
}

impl ErrorCode {
    /// The wire spelling, as in `"code": "unknown_unit"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::UnknownMessageType => "unknown_message_type",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::FrameTooLarge => "frame_too_large",
            Self::UnknownFacility => "unknown_facility",
            Self::UnknownUnit => "unknown_unit",
            Self::UnitNotInFacility => "unit_not_in_facility",
            Self::UnknownModule => "unknown_module",
            Self::UnknownQueue => "unknown_queue",
            Self::EmptySummary => "empty_summary",
            Self::FieldTooLong => "field_too_long",
            Self::InvalidValue => "invalid_value",
            Self::PhiSuspected => "phi_suspected",
            Self::IdConflict => "id_conflict",
            Self::NotFound => "not_found",
            Self::InvalidTransition => "invalid_transition",
            Self::NoteRequired => "note_required",
            Self::ResolutionRequired => "resolution_required",
            Self::TooManySubscriptions => "too_many_subscriptions",
            Self::Unauthenticated => "unauthenticated",
            Self::SessionLocked => "session_locked",
            Self::Forbidden => "forbidden",
            Self::BadCredentials => "bad_credentials",
            Self::TooManyAttempts => "too_many_attempts",
            Self::UntrustedOrigin => "untrusted_origin",
            Self::CannotStore => "cannot_store",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// Whether the same request may succeed if sent again later unchanged.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Unavailable | Self::Internal)
    }
}

/// The error body: `{"code": "...", "message": "...", "field": "...", "id": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The report the error is about, when there is one (a refused submission).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ReportId>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None, id: None }
    }

    pub fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    pub fn with_id(mut self, id: ReportId) -> Self {
        self.id = Some(id);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_stable_spelling() {
        for code in [ErrorCode::MalformedJson, ErrorCode::UnitNotInFacility, ErrorCode::IdConflict] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
