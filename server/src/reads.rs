//! What a signed-in principal reads, for HTTP and the websocket alike (as `intake` is for
//! writes): each read checks the catalog first (an unknown queue, facility or unit is named
//! as such), then asks the access policy, then reads.

use floorboard_shared::access::{Action, Principal, decide};
use floorboard_shared::protocol::{BoardAt, IssuesAt, QueueSummary, Topic};
use floorboard_shared::{ErrorBody, ErrorCode, FacilityId, Issue, Kind, QueueId, ReportId, ReporterId, UnitId};

use crate::audit::{Audit, AuditEntry};
use crate::auth::Session;
use crate::error::store_error_body;
use crate::state::AppState;
use crate::telemetry;

/// Snapshot sizes: a queue's open issues, a reporter's latest reports, a unit's issues.
pub const QUEUE_LIMIT: u32 = 5_000;
pub const REPORTER_LIMIT: u32 = 200;
pub const UNIT_LIMIT: u32 = 200;

/// The access policy's answer; a refusal is counted, logged and recorded in the audit trail
/// (who tried what, on what).
pub fn allow(audit: &Audit, who: &Principal, action: Action<'_>) -> Result<(), ErrorBody> {
    decide(who, action).map_err(|denied| {
        metrics::counter!(telemetry::ACCESS_REFUSED, "code" => "forbidden").increment(1);
        tracing::info!(login = %who.login, action = action.label(), "refused by the access policy");
        let target =
            Some(action.target().map_or_else(|| action.label().to_owned(), |t| format!("{}:{t}", action.label())));
        audit.record_soon(AuditEntry::new("refused", Some(who.login.as_str()), target, None, "forbidden"));
        ErrorBody::from(denied)
    })
}

fn unknown_facility() -> ErrorBody {
    ErrorBody::new(ErrorCode::UnknownFacility, "no such facility in this go-live").with_field("facility")
}

/// The facility `unit` belongs to, or `unknown_unit`.
pub fn unit_facility<'a>(state: &'a AppState, unit: &str) -> Result<&'a FacilityId, ErrorBody> {
    state
        .config
        .golive
        .unit_facility(unit)
        .ok_or_else(|| ErrorBody::new(ErrorCode::UnknownUnit, "no such unit in this go-live").with_field("unit"))
}

fn unknown_queue() -> ErrorBody {
    ErrorBody::new(ErrorCode::UnknownQueue, "no such queue in this go-live").with_field("queue")
}

/// Records that `session` read `target` (an issue list, or one issue), once per session and
/// target: a client that polls or resubscribes is one entry, not one per poll.
pub async fn audit_read(state: &AppState, session: &Session, source: Option<std::net::IpAddr>, target: String) {
    if session.first_read(&target) {
        let login = session.principal.login.as_str();
        let entry = AuditEntry::new("read", Some(login), Some(target), source.map(|a| a.to_string()), "ok");
        state.audit.record(entry).await;
    }
}

/// What the audit trail names a topic's list by.
pub fn topic_target(topic: &Topic) -> String {
    match topic {
        Topic::Board { facility } => format!("board:{}", facility.as_ref().map_or("all", |f| f.as_str())),
        Topic::Queue { queue } => format!("queue:{queue}"),
        Topic::Mine { reporter } => format!("reports_of:{reporter}"),
    }
}

/// Whether `who` may follow `topic`: it names what the go-live has, and the policy allows it.
pub fn check_topic(state: &AppState, who: &Principal, topic: &Topic) -> Result<(), ErrorBody> {
    let golive = &state.config.golive;
    match topic {
        Topic::Board { facility } => {
            if facility.as_ref().is_some_and(|f| golive.facility(f.as_str()).is_none()) {
                return Err(unknown_facility());
            }
            allow(&state.audit, who, Action::ReadBoard { facility: facility.as_ref() })
        }
        Topic::Queue { queue } => {
            if golive.queue(queue.as_str()).is_none() {
                return Err(unknown_queue());
            }
            allow(&state.audit, who, Action::ReadQueue { queue })
        }
        Topic::Mine { reporter } => allow(&state.audit, who, Action::ReadReports { reporter }),
    }
}

/// The issues of a queue or a reporter topic, checked.
pub async fn topic_issues(state: &AppState, who: &Principal, topic: &Topic) -> Result<IssuesAt, ErrorBody> {
    check_topic(state, who, topic)?;
    let read = match topic {
        Topic::Queue { queue } => state.store.queue_issues(queue, QUEUE_LIMIT).await,
        Topic::Mine { reporter } => state.store.reporter_issues(reporter, REPORTER_LIMIT).await,
        Topic::Board { .. } => {
            return Err(ErrorBody::new(ErrorCode::InvalidValue, "a board is cells, not issues").with_field("topic"));
        }
    };
    read.map_err(|e| store_error_body(&e))
}

/// A queue's open issues.
pub async fn queue_issues(state: &AppState, who: &Principal, queue: &str) -> Result<IssuesAt, ErrorBody> {
    topic_issues(state, who, &Topic::Queue { queue: QueueId::new(queue) }).await
}

/// A reporter's latest reports.
pub async fn reporter_issues(state: &AppState, who: &Principal, reporter: ReporterId) -> Result<IssuesAt, ErrorBody> {
    topic_issues(state, who, &Topic::Mine { reporter }).await
}

/// The queues `who` may read, with their open counts.
pub async fn queues(state: &AppState, who: &Principal) -> Result<Vec<QueueSummary>, ErrorBody> {
    allow(&state.audit, who, Action::ListQueues)?;
    let counts: std::collections::HashMap<QueueId, u64> =
        state.store.queue_counts().await.map_err(|e| store_error_body(&e))?.into_iter().collect();
    Ok(state
        .config
        .golive
        .queues()
        .iter()
        .filter(|q| decide(who, Action::ReadQueue { queue: &q.id }).is_ok())
        .map(|q| QueueSummary { id: q.id.clone(), name: q.name.clone(), open: counts.get(&q.id).copied().unwrap_or(0) })
        .collect())
}

/// The board of every facility or of one, as last sent to live boards.
pub fn board(state: &AppState, who: &Principal, facility: Option<String>) -> Result<BoardAt, ErrorBody> {
    let facility = facility.map(FacilityId::new);
    check_topic(state, who, &Topic::Board { facility: facility.clone() })?;
    let snapshot = state.hub.board_snapshot(facility.as_ref());
    Ok(BoardAt { seq: snapshot.seq, facility, cells: snapshot.cells })
}

/// A unit's issues (a board cell's drill-down).
pub async fn unit_issues(
    state: &AppState,
    who: &Principal,
    unit: &str,
    kind: Option<Kind>,
) -> Result<IssuesAt, ErrorBody> {
    let facility = unit_facility(state, unit)?;
    allow(&state.audit, who, Action::ReadUnit { facility })?;
    state.store.unit_issues(&UnitId::new(unit), kind, UNIT_LIMIT).await.map_err(|e| store_error_body(&e))
}

/// One issue. One that does not exist and one `who` may not read are told apart (404 and
/// 403): a report id is a UUID, which nobody guesses.
pub async fn issue(state: &AppState, who: &Principal, id: ReportId) -> Result<Issue, ErrorBody> {
    let issue = state.store.issue(id).await.map_err(|e| store_error_body(&e))?;
    let issue = issue.ok_or_else(|| ErrorBody::new(ErrorCode::NotFound, "no report with this id").with_id(id))?;
    allow(&state.audit, who, Action::ReadIssue { issue: &issue }).map_err(|e| e.with_id(id))?;
    Ok(issue)
}
