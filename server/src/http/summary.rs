//! `/api/v1/summary`: the daily floor support summary of a day or a shift, as JSON or CSV;
//! `/api/v1/reteach`: the re-teach list of the last days.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use floorboard_shared::reteach::Reteach;
use floorboard_shared::summary::Summary;
use floorboard_shared::{ErrorBody, ErrorCode, FacilityId, ReporterId};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{ApiQuery, Signed};
use crate::error::AppError;
use crate::state::AppState;
use crate::summary::{self, Ask};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/summary", get(get_summary)).route("/api/v1/reteach", get(get_reteach))
}

#[derive(Clone, Copy, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Json,
    /// RFC 4180 CSV for a spreadsheet.
    Csv,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// The local date; absent: today.
    #[param(value_type = String, format = Date, required = false)]
    date: Option<String>,
    /// A shift's local start time (`07:00`), one of the go-live's `shift_starts`; absent: the
    /// whole day.
    #[param(value_type = String, pattern = "^[0-2][0-9]:[0-5][0-9]$", required = false)]
    shift: Option<String>,
    /// Only this facility.
    #[param(value_type = FacilityId, required = false)]
    facility: Option<String>,
    /// Only this reporter's issues (a trainer's own summary).
    #[param(value_type = ReporterId, required = false)]
    reporter: Option<String>,
    #[param(value_type = Format, required = false)]
    #[serde(default)]
    format: Format,
}

/// The daily floor support summary (docs/protocol.md §12): for a day or a shift of the
/// go-live's local time, the issues received by kind, unit, status, module and queue; the
/// open issues affecting most users; open patient-safety issues; each queue's median and
/// 90th-percentile time to acknowledge and to resolve; reopened issues. For leads (one
/// facility's when limited to one) and administrators; anyone who reports reads their own
/// with `reporter` set to their login. An export as CSV is recorded in the audit trail.
#[utoipa::path(get, path = "/api/v1/summary", tag = "summary", params(SummaryQuery), responses(
    (status = 200, description = "The summary", body = Summary,
        content((Summary = "application/json"), (String = "text/csv"))),
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not read this summary (docs/protocol.md §8.3)", body = ErrorBody),
    (status = 422, description = "`unknown_facility`: not a facility of this go-live; `invalid_value`: a date that does not exist, a shift that is not one of the go-live's, a reporter that is not a login, or a query string not of this form", body = ErrorBody),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
        headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn get_summary(
    State(state): State<AppState>,
    signed: Signed,
    ApiQuery(query): ApiQuery<SummaryQuery>,
) -> Result<Response, AppError> {
    let SummaryQuery { date, shift, facility, reporter, format } = query;
    let ask = Ask { date, shift, facility, reporter };
    let summary = summary::read(&state, signed.principal(), ask, OffsetDateTime::now_utc()).await?;
    let target = target(&summary);
    let shift = summary.shift.as_deref().map_or(String::new(), |s| format!("-{}", s.replace(':', "")));
    let file = format!("floorboard-summary-{}{shift}.csv", summary.date);
    let golive = state.config.golive.clone();
    answer(&state, &signed, format, Export { action: "summary_export", target, file }, summary, |out, s| {
        summary::write_csv(out, &golive, s)
    })
    .await
}

/// What the audit trail names a summary by: `summary:DATE[Tshift]:FACILITY[:reports_of:LOGIN]`.
fn target(s: &Summary) -> String {
    let period = s.shift.as_ref().map_or_else(|| s.date.clone(), |shift| format!("{}T{shift}", s.date));
    let facility = match s.sections.as_slice() {
        [only] => only.facility.as_ref().map_or("all", FacilityId::as_str),
        _ => "all",
    };
    match &s.reporter {
        Some(r) => format!("summary:{period}:{facility}:reports_of:{r}"),
        None => format!("summary:{period}:{facility}"),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReteachQuery {
    /// The window's last local day; absent: today.
    #[param(value_type = String, format = Date, required = false)]
    date: Option<String>,
    /// How many days the window spans, 1 to 28 (7 when absent).
    #[param(minimum = 1, maximum = 28, required = false)]
    days: Option<u32>,
    /// Only this facility.
    #[param(value_type = FacilityId, required = false)]
    facility: Option<String>,
    #[param(value_type = Format, required = false)]
    #[serde(default)]
    format: Format,
}

/// The re-teach list (docs/protocol.md §12.2): training-gap reports of the window grouped
/// by module and workflow (similar summaries) across units, with the units, how many reports,
/// reporters and users, reports per day and the trend; most reports first. For leads (one
/// facility's when limited to one) and administrators. An export as CSV is audited.
#[utoipa::path(get, path = "/api/v1/reteach", tag = "summary", params(ReteachQuery), responses(
    (status = 200, description = "The re-teach list", body = Reteach,
        content((Reteach = "application/json"), (String = "text/csv"))),
    (status = 401, description = "`unauthenticated`: no valid session: sign in with `POST /api/v1/sessions`", body = ErrorBody),
    (status = 403, description = "`forbidden`: the signed-in account may not read summaries (docs/protocol.md §8.3)", body = ErrorBody),
    (status = 422, description = "`unknown_facility`: not a facility of this go-live; `invalid_value`: a date that does not exist, `days` out of range, or a query string not of this form", body = ErrorBody),
    (status = 500, description = "`internal`", body = ErrorBody),
    (status = 503, description = "`unavailable`: retry shortly", body = ErrorBody,
        headers(("Retry-After" = u32, description = "Seconds"))),
))]
pub async fn get_reteach(
    State(state): State<AppState>,
    signed: Signed,
    ApiQuery(query): ApiQuery<ReteachQuery>,
) -> Result<Response, AppError> {
    let ReteachQuery { date, days, facility, format } = query;
    let now = OffsetDateTime::now_utc();
    let list = summary::reteach(&state, signed.principal(), date, days.unwrap_or(7), facility, now).await?;
    let day = state.config.golive.local(list.to - time::Duration::nanoseconds(1)).date();
    let target = format!("reteach:{day}:{}", list.facility.as_ref().map_or("all", FacilityId::as_str));
    let file = format!("floorboard-reteach-{day}.csv");
    answer(&state, &signed, format, Export { action: "reteach_export", target, file }, list, summary::write_reteach_csv)
        .await
}

/// How a read is named in the audit trail, and exported.
struct Export {
    /// The audit action of an export (a JSON read is a `read`).
    action: &'static str,
    target: String,
    /// The CSV's file name.
    file: String,
}

/// `value` as JSON (its read audited once per session), or as a CSV download written by
/// `write` (its export audited durably first).
async fn answer<T: serde::Serialize>(
    state: &AppState,
    signed: &Signed,
    format: Format,
    export: Export,
    value: T,
    write: impl FnOnce(&mut Vec<u8>, &T) -> Result<(), csv::Error>,
) -> Result<Response, AppError> {
    let Export { action, target, file } = export;
    match format {
        Format::Json => {
            crate::reads::audit_read(state, &signed.session, signed.source, target).await;
            Ok(Json(value).into_response())
        }
        Format::Csv => {
            state.audit.record_durably(signed.entry(action, Some(target))).await?;
            let mut body = Vec::new();
            write(&mut body, &value).map_err(|e| {
                tracing::error!(error = %e, export = action, "cannot write a CSV export");
                AppError::new(ErrorCode::Internal, "internal error")
            })?;
            Ok(csv_answer(body, &file))
        }
    }
}

/// A CSV download named `file`.
fn csv_answer(body: Vec<u8>, file: &str) -> Response {
    let disposition = format!("attachment; filename=\"{file}\"");
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}
