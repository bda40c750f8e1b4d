//! The ingest baseline: raw SQLite in this one process doing the multi-row INSERTs a
//! Floorboard group commit does (reports, their queues, events with the issue as JSON), one
//! transaction per batch, on Floorboard's own schema, in WAL mode with `synchronous = FULL`.

use std::path::Path;
use std::time::{Duration, Instant};

use floorboard_shared::routing::route_report;
use floorboard_shared::{GoLive, Issue, Status};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection};
use time::OffsetDateTime;

use crate::clients::tablet;

/// Floorboard's SQLite migrations, applied in order.
const MIGRATIONS: [&str; 2] = [
    include_str!("../../server/migrations/sqlite/0001_init.sql"),
    include_str!("../../server/migrations/sqlite/0002_reports_by_unit.sql"),
];
/// Rows per INSERT statement, as the server chunks them.
const CHUNK: usize = 500;

/// Inserts batches of `batch` reports for `duration`; the reports stored and the seconds taken.
pub async fn ingest(dir: &Path, batch: usize, duration: Duration) -> anyhow::Result<(u64, f64)> {
    let options = SqliteConnectOptions::new()
        .filename(dir.join("raw.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    for migration in MIGRATIONS {
        sqlx::raw_sql(migration).execute(&mut conn).await?;
    }
    let golive = GoLive::example();
    let units = tablet::hot_units(24);
    let started = Instant::now();
    let mut seq = 0u64;
    while started.elapsed() < duration {
        let issues: Vec<Issue> = (0..batch)
            .map(|_| {
                seq += 1;
                issue(&golive, &units, seq)
            })
            .collect();
        let mut tx = conn.begin().await?;
        for chunk in issues.chunks(CHUNK) {
            insert(&mut tx, chunk).await?;
        }
        tx.commit().await?;
    }
    Ok((seq, started.elapsed().as_secs_f64()))
}

/// A new issue as the server would commit it, from a tablet's draft.
fn issue(golive: &GoLive, units: &[(String, String)], seq: u64) -> Issue {
    let report = tablet::draft(0, seq, units).validate(golive).expect("the bench's drafts are valid");
    let now = OffsetDateTime::now_utc().truncate_to_microsecond();
    Issue {
        queues: route_report(&report, golive),
        status: Status::New,
        report,
        note: None,
        received_at: now,
        updated_at: now,
        reported_seq: seq,
        seq,
    }
}

fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

fn spelled<T: serde::Serialize>(v: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_value(v)?.as_str().unwrap_or_default().to_string())
}

async fn insert(conn: &mut SqliteConnection, issues: &[Issue]) -> anyhow::Result<()> {
    let mut rows = Vec::with_capacity(issues.len());
    for i in issues {
        rows.push((i, serde_json::to_string(&i.queues)?, spelled(&i.report.kind)?, spelled(&i.report.severity)?));
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO reports (id, facility, unit, module, kind, severity, summary, details, affected_role, \
         affected_users, resolved_at_elbow, reporter, reported_at, received_at, queues, status, note, updated_at, \
         reported_seq, seq) ",
    );
    q.push_values(&rows, |mut row, (i, queues, kind, severity)| {
        let r = &i.report;
        row.push_bind(r.id.to_string())
            .push_bind(r.facility.to_string())
            .push_bind(r.unit.to_string())
            .push_bind(r.module.to_string())
            .push_bind(kind.clone())
            .push_bind(severity.clone())
            .push_bind(r.summary.clone())
            .push_bind(r.details.clone())
            .push_bind(r.affected_role.clone())
            .push_bind(i64::from(r.affected_users))
            .push_bind(r.resolved_at_elbow)
            .push_bind(r.reporter.to_string())
            .push_bind(micros(r.reported_at))
            .push_bind(micros(i.received_at))
            .push_bind(queues.clone())
            .push_bind(i.status.as_str())
            .push_bind(i.note.clone())
            .push_bind(micros(i.updated_at))
            .push_bind(i.reported_seq as i64)
            .push_bind(i.seq as i64);
    });
    q.build().execute(&mut *conn).await?;

    let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO report_queues (queue, report_id) ");
    let pairs =
        issues.iter().flat_map(|i| i.queues.iter().map(move |queue| (queue.to_string(), i.report.id.to_string())));
    q.push_values(pairs, |mut row, (queue, id)| {
        row.push_bind(queue).push_bind(id);
    });
    q.build().execute(&mut *conn).await?;

    let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO events (seq, at, report_id, change, from_status, issue) ");
    let events = issues.iter().map(|i| Ok((i, serde_json::to_string(i)?))).collect::<anyhow::Result<Vec<_>>>()?;
    q.push_values(events, |mut row, (i, json)| {
        row.push_bind(i.seq as i64)
            .push_bind(micros(i.received_at))
            .push_bind(i.report.id.to_string())
            .push_bind("reported")
            .push_bind(None::<String>)
            .push_bind(json);
    });
    q.build().execute(&mut *conn).await?;
    Ok(())
}
