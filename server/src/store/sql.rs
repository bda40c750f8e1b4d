//! The SQL both backends run. Reads are written once and built with sqlx's `QueryBuilder`,
//! which spells placeholders for each database; `sql_store!` instantiates the one `Store`
//! implementation for SQLite and for PostgreSQL. Writes differ in how they reach the database
//! (PostgreSQL: multi-row statements over the network through sqlx; SQLite: one prepared
//! statement per row, called directly on the committer's thread), so each backend brings its
//! own `write`; what a batch writes, the columns and each row's values in their order, is
//! here once.

use std::borrow::Cow;
use std::collections::HashMap;

use floorboard_shared::protocol::{Change, Event};
use floorboard_shared::{Issue, Report, ResolutionId, TextField};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use super::StoreError;

/// Values per statement where their number grows with the batch (PostgreSQL's multi-row
/// INSERTs, both backends' `IN (..)` reads): well under either database's limit on bound values.
pub(super) const INSERT_CHUNK: usize = 500;

/// Orders open work the way the command center reads it: safety first, then oldest.
pub(super) const SEVERITY_ORDER: &str =
    "CASE r.severity WHEN 'patient_safety' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END";

pub(super) const ISSUE_COLUMNS: &str = "id, facility, unit, module, kind, severity, summary, details, affected_role, \
     affected_users, resolved_at_elbow, reporter, reported_at, received_at, queues, status, assignee, resolution, note, \
     updated_at, \
     reported_seq, seq";

/// The latest sequence number of the log (0 before the first event).
pub(super) const HEAD: &str = "SELECT COALESCE(MAX(seq), 0) FROM events";

/// Times are stored as microseconds since the epoch, UTC: exact, sortable, the same on both.
pub(super) fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

pub(super) fn from_micros(us: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Reads an enum back from its wire spelling, as stored (written with its `as_str`).
pub(super) fn wire<T: DeserializeOwned>(s: String) -> Result<T, StoreError> {
    Ok(serde_json::from_value(serde_json::Value::String(s))?)
}

/// A report's row, in `ISSUE_COLUMNS` order.
#[derive(sqlx::FromRow)]
pub(super) struct IssueRow {
    pub id: String,
    pub facility: String,
    pub unit: String,
    pub module: String,
    pub kind: String,
    pub severity: String,
    pub summary: String,
    pub details: Option<String>,
    pub affected_role: Option<String>,
    pub affected_users: i64,
    pub resolved_at_elbow: bool,
    pub reporter: String,
    pub reported_at: i64,
    pub received_at: i64,
    pub queues: String,
    pub status: String,
    pub assignee: Option<String>,
    pub resolution: Option<String>,
    pub note: Option<String>,
    pub updated_at: i64,
    pub reported_seq: i64,
    pub seq: i64,
}

impl TryFrom<IssueRow> for Issue {
    type Error = StoreError;

    fn try_from(r: IssueRow) -> Result<Issue, StoreError> {
        let (reported_at, received_at) = (from_micros(r.reported_at)?, from_micros(r.received_at)?);
        Ok(Issue {
            report: Report {
                id: wire(r.id)?,
                facility: r.facility.as_str().into(),
                unit: r.unit.as_str().into(),
                module: r.module.as_str().into(),
                kind: wire(r.kind)?,
                severity: wire(r.severity)?,
                summary: r.summary,
                details: r.details,
                affected_role: r.affected_role,
                affected_users: u32::try_from(r.affected_users).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                resolved_at_elbow: r.resolved_at_elbow,
                reporter: wire(r.reporter)?,
                reported_at,
            },
            queues: serde_json::from_str(&r.queues)?,
            status: wire(r.status)?,
            assignee: r.assignee.map(wire).transpose()?,
            resolution: r.resolution.map(ResolutionId::new),
            note: r.note,
            received_at,
            updated_at: from_micros(r.updated_at)?,
            skew_secs: Issue::skew_of(reported_at, received_at),
            reported_seq: r.reported_seq as u64,
            seq: r.seq as u64,
        })
    }
}

/// An event as the log stores it, referring to its report by the report's sequence number.
/// A `reported` event keeps no copy of its issue (`issue` is NULL): the report's row holds
/// it, which halves what a report writes.
#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    seq: i64,
    at: i64,
    report_seq: i64,
    change: String,
    from_status: Option<String>,
    issue: Option<String>,
    actor: Option<String>,
    replaced: Option<String>,
}

impl EventRow {
    /// The `reported_seq` of the report whose row holds this event's issue, if the event
    /// keeps no copy.
    pub(super) fn issue_by_reference(&self) -> Option<i64> {
        self.issue.is_none().then_some(self.report_seq)
    }

    /// The event, given the stored issues its `issue_by_reference` names, by `reported_seq`.
    pub(super) fn into_event(self, stored: &HashMap<u64, Issue>) -> Result<Event, StoreError> {
        let (seq, at) = (self.seq as u64, from_micros(self.at)?);
        let change = change_of_row(&self.change, self.from_status, self.replaced)
            .ok_or_else(|| StoreError::Corrupt(format!("event {seq}: an unknown change")))??;
        let issue = match (self.issue, &change) {
            (Some(issue), _) => {
                let issue: Issue = serde_json::from_str(&issue)?;
                // Copies stored before the skew was flagged have none: derive it as rows do.
                Issue { skew_secs: Issue::skew_of(issue.report.reported_at, issue.received_at), ..issue }
            }
            (None, Change::Reported) => {
                let report = self.report_seq;
                let stored = stored
                    .get(&(report as u64))
                    .ok_or_else(|| StoreError::Corrupt(format!("event {seq}: no report numbered {report}")))?;
                as_reported(stored, seq, at)?
            }
            (None, _) => {
                return Err(StoreError::Corrupt(format!("event {seq}: a change without its issue")));
            }
        };
        let actor = self.actor.map(wire).transpose()?;
        Ok(Event { seq, at, change, actor, issue })
    }
}

/// An event's `change` column: the kind of change it stores, read back as it was written.
pub(crate) fn change_column(change: &Change) -> &'static str {
    match change {
        Change::Reported => "reported",
        Change::StatusChanged { .. } => "status_changed",
        Change::Assigned { .. } => "assigned",
        Change::Rerouted { .. } => "rerouted",
        Change::Redacted { field: TextField::Summary } => "redacted_summary",
        Change::Redacted { field: TextField::Details } => "redacted_details",
        Change::Redacted { field: TextField::Note } => "redacted_note",
    }
}

/// An event's `from_status` column: a status change's former status.
pub(crate) fn from_status(change: &Change) -> Option<&'static str> {
    match change {
        Change::StatusChanged { from } => Some(from.as_str()),
        _ => None,
    }
}

/// An event's `replaced` column: what an assignment or a re-route replaced (the previous
/// assignee's login; the previous queues, as a JSON array).
pub(crate) fn replaced(change: &Change) -> Result<Option<String>, StoreError> {
    Ok(match change {
        Change::Assigned { from } => from.as_ref().map(ToString::to_string),
        Change::Rerouted { from } => {
            Some(serde_json::to_string(from).map_err(|e| StoreError::Rejected(e.to_string()))?)
        }
        _ => None,
    })
}

/// The change an event's `change`, `from_status` and `replaced` columns hold; `None`
/// for a kind this server does not know.
fn change_of_row(
    change: &str,
    from_status: Option<String>,
    replaced: Option<String>,
) -> Option<Result<Change, StoreError>> {
    let redacted = |field| Some(Ok(Change::Redacted { field }));
    match (change, from_status) {
        ("reported", _) => Some(Ok(Change::Reported)),
        ("status_changed", Some(from)) => Some(wire(from).map(|from| Change::StatusChanged { from })),
        ("status_changed", None) => Some(Err(StoreError::Corrupt("a status change without its former status".into()))),
        ("assigned", _) => Some(replaced.map(wire).transpose().map(|from| Change::Assigned { from })),
        ("rerouted", _) => Some(match replaced {
            Some(from) => serde_json::from_str(&from).map(|from| Change::Rerouted { from }).map_err(StoreError::from),
            None => Err(StoreError::Corrupt("a re-route without its former queues".into())),
        }),
        ("redacted_summary", _) => redacted(TextField::Summary),
        ("redacted_details", _) => redacted(TextField::Details),
        ("redacted_note", _) => redacted(TextField::Note),
        _ => None,
    }
}

/// The issue as event `seq` reported it, from its row as it stands now. Only status,
/// assignee, resolution, note, update time and seq of a row change (and redacted text), and
/// at its report they were the report's initial status, nobody, none, no note, the receipt
/// time and the report's own seq. Its queues change too, by a re-route: the first re-route
/// gives the reported event a copy of its own (`reported_copy`), so a reference means the
/// row's queues are the reported ones.
fn as_reported(stored: &Issue, seq: u64, at: OffsetDateTime) -> Result<Issue, StoreError> {
    if (stored.reported_seq, stored.received_at) != (seq, at) {
        return Err(StoreError::Corrupt(format!("event {seq} does not match its report's seq and receipt time")));
    }
    Ok(reported_copy(stored))
}

/// The issue as its report committed it, from the issue as it stands before its queues first
/// change (as `as_reported` reads it back).
pub(super) fn reported_copy(issue: &Issue) -> Issue {
    Issue {
        status: issue.report.initial_status(),
        assignee: None,
        resolution: None,
        note: None,
        updated_at: issue.received_at,
        seq: issue.reported_seq,
        ..issue.clone()
    }
}

/// Gives report `$2`'s reported event the copy `$1` of its issue, unless it has one: written
/// when the issue is first re-routed, as its row's queues then no longer say where it was
/// reported to.
pub(super) const COPY_REPORTED: &str = "UPDATE events SET issue = $1 WHERE seq = $2 AND issue IS NULL";

/// One value of a row a batch writes, as both databases store it: times as microseconds,
/// enums in their wire spelling, queues as a JSON array.
#[derive(Debug)]
pub(super) enum Value<'a> {
    Int(i64),
    Bool(bool),
    Text(Option<Cow<'a, str>>),
}

fn text<'a>(s: impl Into<Cow<'a, str>>) -> Value<'a> {
    Value::Text(Some(s.into()))
}

fn optional(s: Option<&str>) -> Value<'_> {
    Value::Text(s.map(Cow::Borrowed))
}

/// How many columns a comma-separated list of them names: each row below is an array of
/// exactly as many values as its columns, or it does not compile.
#[allow(clippy::indexing_slicing, reason = "i < bytes.len(), checked by the loop")]
pub(super) const fn count_columns(list: &str) -> usize {
    let bytes = list.as_bytes();
    let (mut i, mut count) = (0, 1);
    while i < bytes.len() {
        if bytes[i] == b',' {
            count += 1;
        }
        i += 1;
    }
    count
}

/// The columns of `events`, in the order of `event_row`.
pub(super) const EVENT_COLUMNS: &str = "seq, at, report_seq, change, from_status, issue, actor, replaced";
/// The columns of `report_queues`, in the order of `queue_rows`.
pub(super) const QUEUE_COLUMNS: &str = "queue, report_seq";
/// What a change to a stored issue sets, in the order of `status_row` (whose last value is
/// the `reported_seq` of the row to change): its work, and its redactable text.
pub(super) const STATUS_COLUMNS: [&str; 9] =
    ["status", "assignee", "resolution", "queues", "note", "summary", "details", "updated_at", "seq"];
/// Removes the queue rows of report `$1`, for a re-route to write them again.
pub(super) const DELETE_QUEUES: &str = "DELETE FROM report_queues WHERE report_seq = $1";

/// A new issue's row of `reports`, in `ISSUE_COLUMNS` order.
pub(super) fn report_row(i: &Issue) -> Result<[Value<'_>; count_columns(ISSUE_COLUMNS)], StoreError> {
    let r = &i.report;
    Ok([
        text(r.id.to_string()),
        text(r.facility.as_str()),
        text(r.unit.as_str()),
        text(r.module.as_str()),
        text(r.kind.as_str()),
        text(r.severity.as_str()),
        text(r.summary.as_str()),
        optional(r.details.as_deref()),
        optional(r.affected_role.as_deref()),
        Value::Int(i64::from(r.affected_users)),
        Value::Bool(r.resolved_at_elbow),
        text(r.reporter.as_str()),
        Value::Int(micros(r.reported_at)),
        Value::Int(micros(i.received_at)),
        text(serde_json::to_string(&i.queues).map_err(|e| StoreError::Rejected(e.to_string()))?),
        text(i.status.as_str()),
        optional(i.assignee.as_ref().map(|a| a.as_str())),
        optional(i.resolution.as_ref().map(|r| r.as_str())),
        optional(i.note.as_deref()),
        Value::Int(micros(i.updated_at)),
        Value::Int(i.reported_seq as i64),
        Value::Int(i.seq as i64),
    ])
}

/// A new issue's rows of `report_queues`, one per queue it was routed to.
pub(super) fn queue_rows(i: &Issue) -> impl Iterator<Item = [Value<'_>; count_columns(QUEUE_COLUMNS)]> {
    i.queues.iter().map(|queue| [text(queue.as_str()), Value::Int(i.reported_seq as i64)])
}

/// An event's row of `events`. A status change keeps the issue as it then stood (its note,
/// its status); a report's is in its row, which later changes leave as it was.
pub(super) fn event_row(e: &Event) -> Result<[Value<'_>; count_columns(EVENT_COLUMNS)], StoreError> {
    let copy = || serde_json::to_string(&e.issue).map_err(|e| StoreError::Rejected(e.to_string()));
    let issue = match e.change {
        Change::Reported => None,
        _ => Some(copy()?),
    };
    let (change, from, replaced) = (change_column(&e.change), from_status(&e.change), replaced(&e.change)?);
    Ok([
        Value::Int(e.seq as i64),
        Value::Int(micros(e.at)),
        Value::Int(e.issue.reported_seq as i64),
        text(change),
        optional(from),
        Value::Text(issue.map(Cow::Owned)),
        optional(e.actor.as_ref().map(|a| a.as_str())),
        Value::Text(replaced.map(Cow::Owned)),
    ])
}

/// The log's copies of an issue that a redaction scrubs: `seq` and `issue` of the events of
/// report `?1` before event `?2` that keep a copy.
pub(super) const COPIES_BEFORE: &str =
    "SELECT seq, issue FROM events WHERE report_seq = $1 AND seq < $2 AND issue IS NOT NULL ORDER BY seq";
/// Rewrites event `?2`'s copy of its issue to `?1`.
pub(super) const REWRITE_COPY: &str = "UPDATE events SET issue = $1 WHERE seq = $2";

/// An event's stored copy of its issue with `field` redacted.
pub(super) fn scrubbed(copy: &str, field: TextField) -> Result<String, StoreError> {
    let mut issue: Issue = serde_json::from_str(copy)?;
    issue.scrub(field);
    serde_json::to_string(&issue).map_err(|e| StoreError::Rejected(e.to_string()))
}

/// A stored issue's status change: `STATUS_COLUMNS`, then the `reported_seq` of its row.
pub(super) fn status_row(i: &Issue) -> Result<[Value<'_>; STATUS_COLUMNS.len() + 1], StoreError> {
    Ok([
        text(i.status.as_str()),
        optional(i.assignee.as_ref().map(|a| a.as_str())),
        optional(i.resolution.as_ref().map(|r| r.as_str())),
        text(serde_json::to_string(&i.queues).map_err(|e| StoreError::Rejected(e.to_string()))?),
        optional(i.note.as_deref()),
        text(i.report.summary.as_str()),
        optional(i.report.details.as_deref()),
        Value::Int(micros(i.updated_at)),
        Value::Int(i.seq as i64),
        Value::Int(i.reported_seq as i64),
    ])
}

/// A report's row as the summary reads it (`summary_records`): no details, no notes.
pub(super) type RecordRow =
    (i64, String, String, String, String, String, String, String, String, i64, bool, String, i64, String);

pub(super) const RECORD_COLUMNS: &str = "r.reported_seq, r.id, r.facility, r.unit, r.module, r.kind, r.severity, \
     r.queues, r.reporter, r.affected_users, r.resolved_at_elbow, r.summary, r.received_at, r.status";

/// The reports `Store::summary_records` reads, as a condition on `r`: received before `$to`,
/// and received at or after `$from`, open now, or changed at or after `$from` (an issue that
/// was open at some moment after `$from`, or reopened then, was changed then or is open now).
pub(super) fn push_record_filter<DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<'_, DB>, from: i64, to: i64)
where
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    q.push(" r.received_at < ")
        .push_bind(to)
        .push(" AND (r.received_at >= ")
        .push_bind(from)
        .push(" OR r.status NOT IN ('resolved', 'closed') OR r.updated_at >= ")
        .push_bind(from)
        .push(")");
}

/// The summary's records from their rows and their status changes (`(report_seq, at,
/// from_status)` in log order).
pub(super) fn records_of(
    rows: Vec<RecordRow>,
    moves: Vec<(i64, i64, Option<String>)>,
) -> Result<Vec<floorboard_shared::summary::Record>, StoreError> {
    use floorboard_shared::summary::{Move, Record};
    let mut left: HashMap<i64, Vec<(OffsetDateTime, floorboard_shared::Status)>> = HashMap::new();
    for (seq, at, from) in moves {
        let from =
            from.ok_or_else(|| StoreError::Corrupt(format!("a status change of report {seq} without from_status")))?;
        left.entry(seq).or_default().push((from_micros(at)?, wire(from)?));
    }
    rows.into_iter()
        .map(
            |(
                seq,
                id,
                facility,
                unit,
                module,
                kind,
                severity,
                queues,
                reporter,
                users,
                elbow,
                summary,
                received,
                status,
            )| {
                let status = wire(status)?;
                Ok(Record {
                    id: wire(id)?,
                    facility: facility.as_str().into(),
                    unit: unit.as_str().into(),
                    module: module.as_str().into(),
                    kind: wire(kind)?,
                    severity: wire(severity)?,
                    queues: serde_json::from_str(&queues)?,
                    reporter: wire(reporter)?,
                    affected_users: u32::try_from(users).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    resolved_at_elbow: elbow,
                    summary,
                    received_at: from_micros(received)?,
                    moves: Move::chain(left.remove(&seq).unwrap_or_default(), status),
                    status,
                })
            },
        )
        .collect()
}

/// Implements `Store` for `$store`, a struct with `pool: sqlx::Pool<$db>` (for reads), whose
/// `write(&self, batch, at)` applies a batch (`Store::apply`) and whose `begin_writing()`
/// begins a transaction that may read before it writes without racing the committer.
macro_rules! sql_store {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn head(conn: &mut <$db as sqlx::Database>::Connection) -> Result<u64, $crate::store::StoreError> {
                let seq: i64 = sqlx::query_scalar($crate::store::sql::HEAD).fetch_one(conn).await?;
                Ok(seq as u64)
            }

            /// The stored issues whose `column` (`id` or `reported_seq`, both unique) is one of
            /// `keys`, in statements of at most `INSERT_CHUNK` values.
            async fn fetch_issues_where<K>(
                conn: &mut <$db as sqlx::Database>::Connection,
                column: &str,
                keys: &[K],
            ) -> Result<Vec<floorboard_shared::Issue>, $crate::store::StoreError>
            where
                K: Clone + Send + for<'q> sqlx::Encode<'q, $db> + sqlx::Type<$db>,
            {
                use $crate::store::sql::*;
                let mut found = Vec::with_capacity(keys.len());
                for chunk in keys.chunks(INSERT_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {ISSUE_COLUMNS} FROM reports WHERE {column} IN ("
                    ));
                    let mut list = q.separated(", ");
                    for key in chunk {
                        list.push_bind(key.clone());
                    }
                    q.push(")");
                    for row in q.build_query_as::<IssueRow>().fetch_all(&mut *conn).await? {
                        found.push(floorboard_shared::Issue::try_from(row)?);
                    }
                }
                Ok(found)
            }

            /// The stored issues with these ids, by id.
            async fn fetch_issues(
                conn: &mut <$db as sqlx::Database>::Connection,
                ids: &[floorboard_shared::ReportId],
            ) -> Result<
                std::collections::HashMap<floorboard_shared::ReportId, floorboard_shared::Issue>,
                $crate::store::StoreError,
            > {
                let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
                let found = Self::fetch_issues_where(conn, "id", &ids).await?;
                Ok(found.into_iter().map(|issue| (issue.report.id, issue)).collect())
            }

            /// The stored issues numbered `seqs` (their `reported_seq`), by that number.
            async fn fetch_issues_by_seq(
                conn: &mut <$db as sqlx::Database>::Connection,
                seqs: &[i64],
            ) -> Result<std::collections::HashMap<u64, floorboard_shared::Issue>, $crate::store::StoreError> {
                let found = Self::fetch_issues_where(conn, "reported_seq", seqs).await?;
                Ok(found.into_iter().map(|issue| (issue.reported_seq, issue)).collect())
            }

            /// Repairs the rows stored before today's rule at the trust boundary
            /// (`store::repair`), once per version of the rule, in one transaction that holds
            /// off every writer; the number of repairs made.
            pub(super) async fn repair_stored_rows(&self) -> Result<u64, $crate::store::StoreError> {
                use $crate::store::repair;
                use $crate::store::sql::IssueRow;
                let mut tx = self.begin_writing().await?;
                let mut done = sqlx::QueryBuilder::<$db>::new("SELECT COUNT(*) FROM repair_runs WHERE version = ");
                done.push_bind(repair::VERSION);
                let done: i64 = done.build_query_scalar().fetch_one(&mut *tx).await?;
                if done > 0 {
                    tx.commit().await?;
                    return Ok(0);
                }
                let mut repaired = 0_i64;
                let rows: Vec<IssueRow> = sqlx::query_as("SELECT * FROM reports").fetch_all(&mut *tx).await?;
                for mut row in rows {
                    let repairs = repair::repair_row(&mut row);
                    if repairs.is_empty() {
                        continue;
                    }
                    let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE reports SET summary = ");
                    q.push_bind(row.summary)
                        .push(", details = ")
                        .push_bind(row.details)
                        .push(", affected_role = ")
                        .push_bind(row.affected_role)
                        .push(", reporter = ")
                        .push_bind(row.reporter)
                        .push(", note = ")
                        .push_bind(row.note)
                        .push(", reported_at = ")
                        .push_bind(row.reported_at)
                        .push(" WHERE reported_seq = ")
                        .push_bind(row.reported_seq);
                    q.build().execute(&mut *tx).await?;
                    repaired += Self::record_repairs(&mut tx, "reports", row.reported_seq, &repairs).await?;
                }
                let copies: Vec<(i64, String)> =
                    sqlx::query_as("SELECT seq, issue FROM events WHERE issue IS NOT NULL").fetch_all(&mut *tx).await?;
                for (seq, copy) in copies {
                    let Some((issue, repairs)) = repair::repair_event_issue(&copy) else { continue };
                    let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE events SET issue = ");
                    q.push_bind(issue).push(" WHERE seq = ").push_bind(seq);
                    q.build().execute(&mut *tx).await?;
                    repaired += Self::record_repairs(&mut tx, "events", seq, &repairs).await?;
                }
                let mut run = sqlx::QueryBuilder::<$db>::new("INSERT INTO repair_runs (version, at, repairs) VALUES (");
                let mut values = run.separated(", ");
                values.push_bind(repair::VERSION);
                values.push_bind($crate::store::sql::micros(time::OffsetDateTime::now_utc()));
                values.push_bind(repaired);
                run.push(")");
                run.build().execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(repaired as u64)
            }

            async fn record_repairs(
                conn: &mut <$db as sqlx::Database>::Connection,
                table: &str,
                key: i64,
                repairs: &[$crate::store::repair::Repair],
            ) -> Result<i64, $crate::store::StoreError> {
                for r in repairs {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO repairs (version, row_table, row_key, field, fault, was_micros) VALUES (",
                    );
                    let mut values = q.separated(", ");
                    values.push_bind($crate::store::repair::VERSION);
                    values.push_bind(table.to_owned());
                    values.push_bind(key);
                    values.push_bind(r.field);
                    values.push_bind(r.fault.as_str());
                    values.push_bind(r.was_micros);
                    q.push(")");
                    q.build().execute(&mut *conn).await?;
                }
                Ok(repairs.len() as i64)
            }

            /// Runs an issue query and reads the head it is consistent with, in one read
            /// transaction.
            async fn issues_at(
                &self,
                mut query: sqlx::QueryBuilder<'_, $db>,
            ) -> Result<floorboard_shared::protocol::IssuesAt, $crate::store::StoreError> {
                use $crate::store::sql::*;
                let mut tx = self.pool.begin().await?;
                let seq = Self::head(&mut tx).await?;
                let rows = query.build_query_as::<IssueRow>().fetch_all(&mut *tx).await?;
                tx.commit().await?;
                let issues = rows.into_iter().map(floorboard_shared::Issue::try_from).collect::<Result<_, _>>()?;
                Ok(floorboard_shared::protocol::IssuesAt { seq, issues })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            async fn apply(
                &self,
                batch: Vec<$crate::store::Command>,
                at: time::OffsetDateTime,
            ) -> Result<Vec<$crate::store::Applied>, $crate::store::NotApplied> {
                self.write(batch, at).await
            }

            async fn issue(
                &self,
                id: floorboard_shared::ReportId,
            ) -> Result<Option<floorboard_shared::Issue>, $crate::store::StoreError> {
                let mut conn = self.pool.acquire().await?;
                Ok(Self::fetch_issues(&mut conn, &[id]).await?.remove(&id))
            }

            async fn queue_issues(
                &self,
                queue: &floorboard_shared::QueueId,
                limit: u32,
            ) -> Result<floorboard_shared::protocol::IssuesAt, $crate::store::StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT r.* FROM report_queues q JOIN reports r ON r.reported_seq = q.report_seq WHERE q.queue = ",
                );
                q.push_bind(queue.to_string())
                    .push(" AND r.status NOT IN ('resolved', 'closed') ORDER BY ")
                    .push($crate::store::sql::SEVERITY_ORDER)
                    .push(", r.received_at, r.reported_seq LIMIT ")
                    .push_bind(i64::from(limit));
                self.issues_at(q).await
            }

            async fn reporter_issues(
                &self,
                reporter: &floorboard_shared::ReporterId,
                limit: u32,
            ) -> Result<floorboard_shared::protocol::IssuesAt, $crate::store::StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT * FROM reports WHERE reporter = ");
                q.push_bind(reporter.to_string())
                    .push(" ORDER BY received_at DESC, reported_seq DESC LIMIT ")
                    .push_bind(i64::from(limit));
                self.issues_at(q).await
            }

            async fn unit_issues(
                &self,
                unit: &floorboard_shared::UnitId,
                kind: Option<floorboard_shared::Kind>,
                limit: u32,
            ) -> Result<floorboard_shared::protocol::IssuesAt, $crate::store::StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT * FROM reports WHERE unit = ");
                q.push_bind(unit.to_string());
                if let Some(kind) = kind {
                    q.push(" AND kind = ").push_bind(kind.as_str());
                }
                q.push(" ORDER BY status IN ('resolved', 'closed'), received_at DESC, reported_seq DESC LIMIT ")
                    .push_bind(i64::from(limit));
                self.issues_at(q).await
            }

            async fn events_after(
                &self,
                seq: u64,
                limit: u32,
            ) -> Result<Vec<floorboard_shared::protocol::Event>, $crate::store::StoreError> {
                use $crate::store::sql::EventRow;
                let mut conn = self.pool.acquire().await?;
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq > "));
                q.push_bind(seq as i64).push(" ORDER BY seq LIMIT ").push_bind(i64::from(limit));
                let rows: Vec<EventRow> = q.build_query_as().fetch_all(&mut *conn).await?;
                // Reports' immutable columns never change once committed: no need to read
                // them in the transaction that read the events.
                let reported: Vec<i64> = rows.iter().filter_map(|r| r.issue_by_reference()).collect();
                let stored = Self::fetch_issues_by_seq(&mut conn, &reported).await?;
                rows.into_iter().map(|row| row.into_event(&stored)).collect()
            }

            async fn heatmap_facts(
                &self,
            ) -> Result<(u64, Vec<floorboard_shared::heatmap::Fact>), $crate::store::StoreError> {
                use $crate::store::sql::*;
                let mut tx = self.pool.begin().await?;
                if let Some(snapshot) = Self::SNAPSHOT_READ {
                    sqlx::query(snapshot).execute(&mut *tx).await?;
                }
                let seq = Self::head(&mut tx).await?;
                let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
                    "SELECT facility, unit, kind, severity, status, received_at FROM reports ORDER BY received_at",
                )
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                let facts = rows
                    .into_iter()
                    .map(|(facility, unit, kind, severity, status, at)| {
                        Ok(floorboard_shared::heatmap::Fact::Reported {
                            facility: facility.as_str().into(),
                            unit: unit.as_str().into(),
                            kind: wire(kind)?,
                            severity: wire(severity)?,
                            status: wire(status)?,
                            at: from_micros(at)?,
                        })
                    })
                    .collect::<Result<_, $crate::store::StoreError>>()?;
                Ok((seq, facts))
            }

            async fn summary_records(
                &self,
                from: time::OffsetDateTime,
                to: time::OffsetDateTime,
            ) -> Result<Vec<floorboard_shared::summary::Record>, $crate::store::StoreError> {
                use $crate::store::sql::*;
                let (from, to) = (micros(from), micros(to));
                let mut tx = self.pool.begin().await?;
                if let Some(snapshot) = Self::SNAPSHOT_READ {
                    sqlx::query(snapshot).execute(&mut *tx).await?;
                }
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {RECORD_COLUMNS} FROM reports r WHERE"));
                push_record_filter(&mut q, from, to);
                let rows: Vec<RecordRow> = q.build_query_as().fetch_all(&mut *tx).await?;
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT e.report_seq, e.at, e.from_status FROM events e \
                     JOIN reports r ON r.reported_seq = e.report_seq WHERE e.change = 'status_changed' AND",
                );
                push_record_filter(&mut q, from, to);
                q.push(" ORDER BY e.seq");
                let moves: Vec<(i64, i64, Option<String>)> = q.build_query_as().fetch_all(&mut *tx).await?;
                tx.commit().await?;
                records_of(rows, moves)
            }

            async fn kept_summary(&self, period: &str) -> Result<Option<String>, $crate::store::StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT body FROM summaries WHERE period = ");
                q.push_bind(period.to_owned());
                Ok(q.build_query_scalar().fetch_optional(&self.pool).await?)
            }

            async fn keep_summary(
                &self,
                period: &str,
                at: time::OffsetDateTime,
                body: &str,
            ) -> Result<(), $crate::store::StoreError> {
                let mut q =
                    sqlx::QueryBuilder::<$db>::new("INSERT INTO summaries (period, generated_at, body) VALUES (");
                let mut values = q.separated(", ");
                values.push_bind(period.to_owned());
                values.push_bind($crate::store::sql::micros(at));
                values.push_bind(body.to_owned());
                q.push(") ON CONFLICT (period) DO NOTHING");
                q.build().execute(&self.pool).await?;
                Ok(())
            }

            async fn queue_counts(&self) -> Result<Vec<(floorboard_shared::QueueId, u64)>, $crate::store::StoreError> {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT q.queue, COUNT(*) FROM report_queues q JOIN reports r ON r.reported_seq = q.report_seq \
                     WHERE r.status NOT IN ('resolved', 'closed') GROUP BY q.queue",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(q, n)| (floorboard_shared::QueueId::new(q), n as u64)).collect())
            }

            async fn head_seq(&self) -> Result<u64, $crate::store::StoreError> {
                let mut conn = self.pool.acquire().await?;
                Self::head(&mut conn).await
            }

            async fn ping(&self) -> Result<(), $crate::store::StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }
        }
    };
}

pub(super) use sql_store;

#[cfg(test)]
mod tests {
    use floorboard_shared::{Kind, Severity, Status};

    fn spelled<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_value(v).expect("serialises").as_str().expect("a string").to_owned()
    }

    /// Columns are written with `as_str` and read back with serde: the two must agree.
    #[test]
    fn stored_spellings_are_the_wire_spellings() {
        for kind in Kind::ALL {
            assert_eq!(kind.as_str(), spelled(&kind));
        }
        for severity in Severity::ALL {
            assert_eq!(severity.as_str(), spelled(&severity));
        }
        for status in Status::ALL {
            assert_eq!(status.as_str(), spelled(&status));
        }
    }
}
