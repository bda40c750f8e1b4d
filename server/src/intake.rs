//! The writes a client can make, shared by the HTTP API and the websocket: submitting a
//! report (validate, route, commit), changing an issue's status or its assignee, and
//! redacting its text.

use std::sync::Arc;

use floorboard_shared::access::{Action, Principal, Reach, decide};
use floorboard_shared::protocol::{Event, Receipt, Reroute, StatusChange};
use floorboard_shared::report::{validate_note, validate_reason};
use floorboard_shared::routing::route_report;
use floorboard_shared::workflow::Work;
use floorboard_shared::{ErrorBody, ErrorCode, Issue, ReportDraft, ReportId, ReporterId, TextField};

use crate::state::AppState;
use crate::store::{Applied, Command};
use crate::telemetry;

/// Validates, routes and durably commits a report filed by `by`, its reporter whatever the
/// draft says. A retry of an acknowledged report gets the same receipt, marked `duplicate`,
/// and stores nothing.
pub async fn submit_report(state: &AppState, by: &Principal, mut draft: ReportDraft) -> Result<Receipt, ErrorBody> {
    let id = draft.id;
    let outcome = async {
        decide(by, Action::Submit)?;
        by.login.as_str().clone_into(&mut draft.reporter);
        let report = draft.validate(&state.config.golive)?;
        let queues = route_report(&report, &state.config.golive);
        state.committer.apply(Command::Submit { report, queues }).await
    }
    .await;
    let receipt = match outcome {
        Ok(Applied::Committed(event)) => {
            metrics::counter!(telemetry::REPORTS_ACCEPTED).increment(1);
            tracing::debug!(report.id = %event.issue.report.id, seq = event.seq, unit = %event.issue.report.unit,
                kind = event.issue.report.kind.as_str(), severity = event.issue.report.severity.as_str(), "report committed");
            receipt(&event.issue, false)
        }
        Ok(Applied::Duplicate(issue)) => {
            metrics::counter!(telemetry::REPORTS_DUPLICATE).increment(1);
            tracing::debug!(report.id = %issue.report.id, "duplicate submission acknowledged again");
            receipt(&issue, true)
        }
        Ok(Applied::Refused(body)) | Err(body) => {
            // Every refusal names its report, so a client with several in flight knows which.
            let body = body.with_id(id);
            metrics::counter!(telemetry::REPORTS_REFUSED, "code" => body.code.as_str()).increment(1);
            tracing::info!(report.id = ?body.id, code = body.code.as_str(), "report refused");
            return Err(body);
        }
    };
    Ok(receipt)
}

fn receipt(issue: &Issue, duplicate: bool) -> Receipt {
    // A retry gets the receipt the first submission got, whatever happened since.
    Receipt {
        id: issue.report.id,
        seq: issue.reported_seq,
        status: issue.report.initial_status(),
        queues: issue.queues.clone(),
        duplicate,
    }
}

/// Moves an issue to another status, with a note where one is required, by `by` if the
/// access policy lets `by` act on the issue as it stands when the change is applied.
pub async fn change_status(
    state: &AppState,
    by: Arc<Principal>,
    id: ReportId,
    change: StatusChange,
) -> Result<Issue, ErrorBody> {
    let note = validate_note(change.note, change.status).map_err(|e| e.with_id(id))?;
    if let Some(resolution) = &change.resolution
        && state.config.golive.resolution(resolution).is_none()
    {
        let unknown = format!("no resolution `{resolution}` in this go-live");
        return Err(ErrorBody::new(ErrorCode::InvalidValue, unknown).with_field("resolution").with_id(id));
    }
    let work = Work::SetStatus { to: change.status, note, resolution: change.resolution };
    let event = committed(state.committer.apply(Command::Work { id, work, by }).await?)?;
    tracing::info!(report.id = %id, seq = event.seq, status = change.status.as_str(), "status changed");
    Ok(Arc::unwrap_or_clone(event).issue)
}

/// Sends an issue to other queues of the catalog with a reason, by `by`, if the access
/// policy lets `by` work the issue as it stands when the change is applied. Watchers of the
/// queues it leaves see it leave.
pub async fn reroute(state: &AppState, by: Arc<Principal>, id: ReportId, request: Reroute) -> Result<Issue, ErrorBody> {
    let reason = validate_reason(request.reason).map_err(|e| e.with_id(id))?;
    if let Some(unknown) = request.queues.iter().find(|q| state.config.golive.queue(q.as_str()).is_none()) {
        let message = format!("no queue `{unknown}` in this go-live");
        return Err(ErrorBody::new(ErrorCode::UnknownQueue, message).with_field("queues").with_id(id));
    }
    let work = Work::Reroute { to: request.queues, reason };
    let event = committed(state.committer.apply(Command::Work { id, work, by }).await?)?;
    tracing::info!(report.id = %id, seq = event.seq, "issue re-routed");
    Ok(Arc::unwrap_or_clone(event).issue)
}

/// Hands an issue to `assignee` (or to nobody), by `by`, if the access policy lets `by` work
/// the issue and `assignee` (an account that is not disabled) may work it too, as the issue
/// stands when the change is applied.
pub async fn assign(
    state: &AppState,
    by: Arc<Principal>,
    id: ReportId,
    assignee: Option<ReporterId>,
) -> Result<Issue, ErrorBody> {
    let to = match assignee {
        None => None,
        Some(login) if login == by.login => Some(by.clone()),
        Some(login) => {
            let unknown = || {
                ErrorBody::new(ErrorCode::InvalidValue, format!("no account `{login}` that may be assigned work"))
                    .with_field("assignee")
                    .with_id(id)
            };
            let user = state.auth.store().user(login.as_str()).await;
            let user = user.map_err(|e| crate::error::store_error_body(&e))?.ok_or_else(unknown)?;
            if user.account.disabled {
                return Err(unknown());
            }
            Some(Arc::new(user.account.principal(Reach::Session)))
        }
    };
    let assignee = to.as_ref().map(|to| to.login.to_string());
    let event = committed(state.committer.apply(Command::Work { id, work: Work::Assign { to }, by }).await?)?;
    tracing::info!(report.id = %id, seq = event.seq, assignee, "issue assigned");
    Ok(Arc::unwrap_or_clone(event).issue)
}

/// Replaces an issue's free-text `field` with `[redacted]` everywhere it is served, by `by`
/// if the access policy lets `by` (an administrator).
pub async fn redact(state: &AppState, by: Arc<Principal>, id: ReportId, field: TextField) -> Result<Issue, ErrorBody> {
    let event = committed(state.committer.apply(Command::Work { id, work: Work::Redact { field }, by }).await?)?;
    tracing::info!(report.id = %id, seq = event.seq, field = field.as_str(), "text redacted");
    Ok(Arc::unwrap_or_clone(event).issue)
}

/// The event a change to a stored issue committed, or why it was refused.
fn committed(applied: Applied) -> Result<Arc<Event>, ErrorBody> {
    match applied {
        Applied::Committed(event) => Ok(event),
        Applied::Refused(body) => Err(body),
        Applied::Duplicate(_) => Err(ErrorBody::new(ErrorCode::Internal, "internal error")),
    }
}
