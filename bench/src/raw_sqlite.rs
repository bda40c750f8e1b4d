//! The ingest baseline: raw SQLite in this one process doing the multi-row INSERTs a
//! Floorboard group commit does (reports, their queues, events referring to their reports),
//! one transaction per batch, on Floorboard's own schema, in WAL mode with
//! `synchronous = FULL` and the server's cache, temp store and checkpoint settings.

use std::path::Path;
use std::time::{Duration, Instant};

use floorboard_server::store::SqliteStore;
use floorboard_shared::routing::route_report;
use floorboard_shared::{GoLive, Issue, Status};
use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection};
use time::OffsetDateTime;

use crate::clients::tablet;

/// Floorboard's SQLite migrations, applied in order.
const MIGRATIONS: [&str; 4] = [
    include_str!("../../server/migrations/sqlite/0001_init.sql"),
    include_str!("../../server/migrations/sqlite/0002_reports_by_unit.sql"),
    include_str!("../../server/migrations/sqlite/0003_events_reference_reports.sql"),
    include_str!("../../server/migrations/sqlite/0004_reports_keyed_by_seq.sql"),
];
/// Rows per INSERT statement, as the server chunks them.
const CHUNK: usize = 500;

/// Inserts batches of `batch` reports for `duration`; the reports stored and the seconds taken.
pub async fn ingest(dir: &Path, batch: usize, duration: Duration) -> anyhow::Result<(u64, f64)> {
    // Opened exactly as the server opens its database.
    let options = SqliteStore::connect_options(&dir.join("raw.db"));
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

async fn insert(conn: &mut SqliteConnection, issues: &[Issue]) -> anyhow::Result<()> {
    // Values bound by reference, as the server binds them.
    let ids: Vec<String> = issues.iter().map(|i| i.report.id.to_string()).collect();
    let queues = issues.iter().map(|i| serde_json::to_string(&i.queues)).collect::<Result<Vec<_>, _>>()?;
    // OR FAIL, as the server: a statement that cannot abort halfway needs no statement journal.
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT OR FAIL INTO reports (id, facility, unit, module, kind, severity, summary, details, affected_role, \
         affected_users, resolved_at_elbow, reporter, reported_at, received_at, queues, status, note, updated_at, \
         reported_seq, seq) ",
    );
    q.push_values(issues.iter().zip(&ids).zip(&queues), |mut row, ((i, id), queues)| {
        let r = &i.report;
        row.push_bind(id.as_str())
            .push_bind(r.facility.as_str())
            .push_bind(r.unit.as_str())
            .push_bind(r.module.as_str())
            .push_bind(r.kind.as_str())
            .push_bind(r.severity.as_str())
            .push_bind(r.summary.as_str())
            .push_bind(r.details.as_deref())
            .push_bind(r.affected_role.as_deref())
            .push_bind(i64::from(r.affected_users))
            .push_bind(r.resolved_at_elbow)
            .push_bind(r.reporter.as_str())
            .push_bind(micros(r.reported_at))
            .push_bind(micros(i.received_at))
            .push_bind(queues.as_str())
            .push_bind(i.status.as_str())
            .push_bind(i.note.as_deref())
            .push_bind(micros(i.updated_at))
            .push_bind(i.reported_seq as i64)
            .push_bind(i.seq as i64);
    });
    q.build().execute(&mut *conn).await?;

    // Queue rows and events refer to their report by its sequence number.
    let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO report_queues (queue, report_seq) ");
    let pairs = issues.iter().flat_map(|i| i.queues.iter().map(move |queue| (queue.as_str(), i.reported_seq as i64)));
    q.push_values(pairs, |mut row, (queue, report)| {
        row.push_bind(queue).push_bind(report);
    });
    q.build().execute(&mut *conn).await?;

    let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO events (seq, at, report_seq, change, from_status, issue) ");
    // A reported event refers to its report's row instead of repeating the issue.
    q.push_values(issues, |mut row, i| {
        row.push_bind(i.seq as i64)
            .push_bind(micros(i.received_at))
            .push_bind(i.reported_seq as i64)
            .push_bind("reported")
            .push_bind(None::<String>)
            .push_bind(None::<String>);
    });
    q.build().execute(&mut *conn).await?;
    Ok(())
}
