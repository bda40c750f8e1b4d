//! The embedded backend: one SQLite file in the data directory, WAL journal, and
//! `synchronous = FULL`, so a commit the server acknowledged survives power loss, not just a
//! crash. Only the committer writes; readers run beside it on the pool.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use floorboard_shared::heatmap::Fact;
use floorboard_shared::protocol::{Change, Event};
use floorboard_shared::report::Kind;
use floorboard_shared::{Issue, QueueId, Report, ReportId, ReporterId, Severity, Status, UnitId};
use serde::de::DeserializeOwned;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use time::OffsetDateTime;

use super::{Applied, Command, IssuesAt, Store, StoreError, batch};

/// Rows per multi-row INSERT: well under SQLite's 32,766 bound variables at 19 columns.
const INSERT_CHUNK: usize = 500;

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) `floorboard.db` in `dir` and applies pending migrations.
    pub async fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(dir.join("floorboard.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrations failed: {e}")))?;
        Ok(SqliteStore { pool })
    }
}

type IssueQuery<'q> = sqlx::query::QueryAs<'q, Sqlite, IssueRow, sqlx::sqlite::SqliteArguments<'q>>;

impl SqliteStore {
    /// Runs an issue query and reads the head it is consistent with, in one read transaction.
    async fn issues_at(&self, query: IssueQuery<'_>) -> Result<IssuesAt, StoreError> {
        let mut tx = self.pool.begin().await?;
        let seq = head(&mut tx).await?;
        let rows = query.fetch_all(&mut *tx).await?;
        tx.commit().await?;
        Ok(IssuesAt {
            seq,
            issues: rows
                .into_iter()
                .map(Issue::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}

fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

fn from_micros(us: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Reads an enum back from its wire spelling, as stored.
fn wire<T: DeserializeOwned>(s: String) -> Result<T, StoreError> {
    Ok(serde_json::from_value(serde_json::Value::String(s))?)
}

fn spelled<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => unreachable!("enums stored in columns serialise as strings"),
    }
}

#[derive(sqlx::FromRow)]
struct IssueRow {
    id: String,
    facility: String,
    unit: String,
    module: String,
    kind: String,
    severity: String,
    summary: String,
    details: Option<String>,
    affected_role: Option<String>,
    affected_users: i64,
    resolved_at_elbow: bool,
    reporter: String,
    reported_at: i64,
    received_at: i64,
    queues: String,
    status: String,
    note: Option<String>,
    updated_at: i64,
    reported_seq: i64,
    seq: i64,
}

impl TryFrom<IssueRow> for Issue {
    type Error = StoreError;

    fn try_from(r: IssueRow) -> Result<Issue, StoreError> {
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
                affected_users: u32::try_from(r.affected_users)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                resolved_at_elbow: r.resolved_at_elbow,
                reporter: wire(r.reporter)?,
                reported_at: from_micros(r.reported_at)?,
            },
            queues: serde_json::from_str(&r.queues)?,
            status: wire(r.status)?,
            note: r.note,
            received_at: from_micros(r.received_at)?,
            updated_at: from_micros(r.updated_at)?,
            reported_seq: r.reported_seq as u64,
            seq: r.seq as u64,
        })
    }
}

const ISSUE_COLUMNS: &str = "id, facility, unit, module, kind, severity, summary, details, affected_role, affected_users, \
     resolved_at_elbow, reporter, reported_at, received_at, queues, status, note, updated_at, reported_seq, seq";

/// Orders open work the way the command center reads it: safety first, then oldest.
const SEVERITY_ORDER: &str = "CASE r.severity WHEN 'patient_safety' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END";

async fn fetch_issues(
    conn: &mut SqliteConnection,
    ids: &[ReportId],
) -> Result<HashMap<ReportId, Issue>, StoreError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(INSERT_CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {ISSUE_COLUMNS} FROM reports WHERE id IN ("
        ));
        let mut list = q.separated(", ");
        for id in chunk {
            list.push_bind(id.to_string());
        }
        q.push(")");
        for row in q.build_query_as::<IssueRow>().fetch_all(&mut *conn).await? {
            let issue = Issue::try_from(row)?;
            found.insert(issue.report.id, issue);
        }
    }
    Ok(found)
}

async fn head(conn: &mut SqliteConnection) -> Result<u64, StoreError> {
    let seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events")
        .fetch_one(conn)
        .await?;
    Ok(seq as u64)
}

#[async_trait]
impl Store for SqliteStore {
    async fn apply(
        &self,
        batch: &[Command],
        at: OffsetDateTime,
    ) -> Result<Vec<Applied>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let first_seq = head(&mut tx).await? + 1;
        let stored = fetch_issues(&mut tx, &batch::touched(batch)).await?;
        let plan = batch::plan(batch, stored, first_seq, at);
        if plan.events.is_empty() {
            tx.rollback().await?;
            return Ok(plan.outcomes);
        }
        let new: Vec<&Issue> = plan.new.iter().collect();
        for chunk in new.chunks(INSERT_CHUNK) {
            insert_reports(&mut tx, chunk).await?;
            let mut q =
                QueryBuilder::<Sqlite>::new("INSERT INTO report_queues (queue, report_id) ");
            let rows = chunk
                .iter()
                .flat_map(|i| i.queues.iter().map(move |queue| (queue, i.report.id)));
            q.push_values(rows, |mut row, (queue, id)| {
                row.push_bind(queue.as_str()).push_bind(id.to_string());
            });
            q.build().execute(&mut *tx).await?;
        }
        for issue in &plan.changed {
            sqlx::query(
                "UPDATE reports SET status = ?, note = ?, updated_at = ?, seq = ? WHERE id = ?",
            )
            .bind(spelled(&issue.status))
            .bind(&issue.note)
            .bind(micros(issue.updated_at))
            .bind(issue.seq as i64)
            .bind(issue.report.id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        for chunk in plan.events.chunks(INSERT_CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (seq, at, report_id, change, from_status, issue) ",
            );
            let rows: Vec<_> = chunk
                .iter()
                .map(|e| Ok((e, serde_json::to_string(&e.issue)?)))
                .collect::<Result<_, StoreError>>()?;
            q.push_values(rows, |mut row, (e, issue)| {
                let from = match e.change {
                    Change::StatusChanged { from } => Some(spelled(&from)),
                    Change::Reported => None,
                };
                row.push_bind(e.seq as i64)
                    .push_bind(micros(e.at))
                    .push_bind(e.issue.report.id.to_string())
                    .push_bind(if from.is_some() {
                        "status_changed"
                    } else {
                        "reported"
                    })
                    .push_bind(from)
                    .push_bind(issue);
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(plan.outcomes)
    }

    async fn issue(&self, id: ReportId) -> Result<Option<Issue>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(fetch_issues(&mut conn, &[id]).await?.remove(&id))
    }

    async fn queue_issues(&self, queue: &QueueId, limit: u32) -> Result<IssuesAt, StoreError> {
        let sql = format!(
            "SELECT r.* FROM report_queues q JOIN reports r ON r.id = q.report_id \
             WHERE q.queue = ? AND r.status NOT IN ('resolved', 'closed') \
             ORDER BY {SEVERITY_ORDER}, r.received_at LIMIT ?"
        );
        self.issues_at(sqlx::query_as(&sql).bind(queue.as_str()).bind(limit))
            .await
    }

    async fn reporter_issues(
        &self,
        reporter: &ReporterId,
        limit: u32,
    ) -> Result<IssuesAt, StoreError> {
        let sql =
            "SELECT * FROM reports WHERE reporter = ? ORDER BY received_at DESC, seq DESC LIMIT ?";
        self.issues_at(sqlx::query_as(sql).bind(reporter.as_str()).bind(limit))
            .await
    }

    async fn unit_issues(
        &self,
        unit: &UnitId,
        kind: Option<Kind>,
        limit: u32,
    ) -> Result<IssuesAt, StoreError> {
        let sql = "SELECT * FROM reports WHERE unit = ?1 AND (?2 IS NULL OR kind = ?2) \
                   ORDER BY status IN ('resolved', 'closed'), received_at DESC LIMIT ?3";
        let kind = kind.map(|k| spelled(&k));
        self.issues_at(
            sqlx::query_as(sql)
                .bind(unit.as_str())
                .bind(kind)
                .bind(limit),
        )
        .await
    }

    async fn events_after(&self, seq: u64, limit: u32) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<(i64, i64, Option<String>, String)> = sqlx::query_as(
            "SELECT seq, at, from_status, issue FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(seq as i64)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(seq, at, from, issue)| {
                let change = match from {
                    Some(from) => Change::StatusChanged { from: wire(from)? },
                    None => Change::Reported,
                };
                Ok(Event {
                    seq: seq as u64,
                    at: from_micros(at)?,
                    change,
                    issue: serde_json::from_str(&issue)?,
                })
            })
            .collect()
    }

    async fn heatmap_facts(&self) -> Result<(u64, Vec<Fact>), StoreError> {
        let mut tx = self.pool.begin().await?;
        let seq = head(&mut tx).await?;
        let rows: Vec<(String, String, String, String, String, i64)> =
            sqlx::query_as("SELECT facility, unit, kind, severity, status, received_at FROM reports ORDER BY received_at")
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        let facts = rows
            .into_iter()
            .map(|(facility, unit, kind, severity, status, at)| {
                Ok(Fact::Reported {
                    facility: facility.as_str().into(),
                    unit: unit.as_str().into(),
                    kind: wire::<Kind>(kind)?,
                    severity: wire::<Severity>(severity)?,
                    status: wire::<Status>(status)?,
                    at: from_micros(at)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((seq, facts))
    }

    async fn queue_counts(&self) -> Result<Vec<(QueueId, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT q.queue, COUNT(*) FROM report_queues q JOIN reports r ON r.id = q.report_id \
             WHERE r.status NOT IN ('resolved', 'closed') GROUP BY q.queue",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(q, n)| (QueueId::new(q), n as u64))
            .collect())
    }

    async fn head_seq(&self) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        head(&mut conn).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

async fn insert_reports(conn: &mut SqliteConnection, issues: &[&Issue]) -> Result<(), StoreError> {
    let mut q = QueryBuilder::<Sqlite>::new(format!("INSERT INTO reports ({ISSUE_COLUMNS}) "));
    let rows: Vec<_> = issues
        .iter()
        .map(|i| Ok((*i, serde_json::to_string(&i.queues)?)))
        .collect::<Result<_, StoreError>>()?;
    q.push_values(rows, |mut row, (i, queues)| {
        let r = &i.report;
        row.push_bind(r.id.to_string())
            .push_bind(r.facility.as_str().to_owned())
            .push_bind(r.unit.as_str().to_owned())
            .push_bind(r.module.as_str().to_owned())
            .push_bind(spelled(&r.kind))
            .push_bind(spelled(&r.severity))
            .push_bind(r.summary.clone())
            .push_bind(r.details.clone())
            .push_bind(r.affected_role.clone())
            .push_bind(i64::from(r.affected_users))
            .push_bind(r.resolved_at_elbow)
            .push_bind(r.reporter.as_str().to_owned())
            .push_bind(micros(r.reported_at))
            .push_bind(micros(i.received_at))
            .push_bind(queues)
            .push_bind(spelled(&i.status))
            .push_bind(i.note.clone())
            .push_bind(micros(i.updated_at))
            .push_bind(i.reported_seq as i64)
            .push_bind(i.seq as i64);
    });
    q.build().execute(conn).await?;
    Ok(())
}
