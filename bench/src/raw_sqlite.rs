//! The ingest baseline: SQLite called directly (rusqlite) in this one process, doing the
//! INSERTs a Floorboard group commit does (reports, their queues, events referring to their
//! reports), one transaction per batch, on Floorboard's own schema, in WAL mode with
//! `synchronous = FULL` and the server's cache, temp store and checkpoint settings.

use std::path::Path;
use std::time::{Duration, Instant};

use floorboard_server::store::SqliteStore;
use floorboard_shared::routing::route_report;
use floorboard_shared::{GoLive, Issue, Status};
use time::OffsetDateTime;

use crate::clients::tablet;

/// Floorboard's SQLite migrations, applied in order.
const MIGRATIONS: [&str; 4] = [
    include_str!("../../server/migrations/sqlite/0001_init.sql"),
    include_str!("../../server/migrations/sqlite/0002_reports_by_unit.sql"),
    include_str!("../../server/migrations/sqlite/0003_events_reference_reports.sql"),
    include_str!("../../server/migrations/sqlite/0004_reports_keyed_by_seq.sql"),
];
/// Inserts batches of `batch` reports for `duration`; the reports stored and the seconds taken.
/// The reports are the ones `tablets` tablets would send, taken in turn (each tablet reports
/// under its own name: the reporter index gets the same keys as in the server's run).
/// Blocks its thread throughout.
pub fn ingest(dir: &Path, batch: usize, tablets: usize, duration: Duration) -> anyhow::Result<(u64, f64)> {
    // Opened exactly as the server opens its database for writing.
    let mut conn = SqliteStore::connect_direct(&dir.join("raw.db"))?;
    for migration in MIGRATIONS {
        conn.execute_batch(migration)?;
    }
    let golive = GoLive::example();
    let units = tablet::hot_units(24);
    let started = Instant::now();
    let mut seq = 0u64;
    while started.elapsed() < duration {
        let issues: Vec<Issue> = (0..batch)
            .map(|_| {
                seq += 1;
                issue(&golive, &units, seq, tablets.max(1) as u64)
            })
            .collect();
        let tx = conn.transaction()?;
        insert(&tx, &issues)?;
        tx.commit()?;
    }
    Ok((seq, started.elapsed().as_secs_f64()))
}

/// The `seq`th new issue as the server would commit it, from the draft one of `tablets`
/// tablets would send.
fn issue(golive: &GoLive, units: &[(String, String)], seq: u64, tablets: u64) -> Issue {
    let report = tablet::draft((seq % tablets) as usize, seq / tablets, units)
        .validate(golive)
        .expect("the bench's drafts are valid");
    let now = OffsetDateTime::now_utc().truncate_to_microsecond();
    Issue {
        queues: route_report(&report, golive),
        status: Status::New,
        report,
        assignee: None,
        resolution: None,
        note: None,
        received_at: now,
        updated_at: now,
        skew_secs: None,
        reported_seq: seq,
        seq,
    }
}

fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

/// The rows of `issues`, a prepared statement per row, as any program using SQLite directly
/// would write them. Written here on its own, not with the server's code: this is the side
/// the server is measured against.
fn insert(tx: &rusqlite::Transaction<'_>, issues: &[Issue]) -> anyhow::Result<()> {
    // OR FAIL, as the server: a statement that cannot abort halfway needs no statement journal.
    let mut report = tx.prepare_cached(
        "INSERT OR FAIL INTO reports (id, facility, unit, module, kind, severity, summary, details, affected_role, \
         affected_users, resolved_at_elbow, reporter, reported_at, received_at, queues, status, note, updated_at, \
         reported_seq, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    // Queue rows and events refer to their report by its sequence number.
    let mut queue = tx.prepare_cached("INSERT INTO report_queues (queue, report_seq) VALUES (?, ?)")?;
    let mut event = tx.prepare_cached(
        "INSERT INTO events (seq, at, report_seq, change, from_status, issue) VALUES (?, ?, ?, 'reported', NULL, NULL)",
    )?;
    for i in issues {
        let r = &i.report;
        report.execute(rusqlite::params![
            r.id.to_string(),
            r.facility.as_str(),
            r.unit.as_str(),
            r.module.as_str(),
            r.kind.as_str(),
            r.severity.as_str(),
            r.summary.as_str(),
            r.details.as_deref(),
            r.affected_role.as_deref(),
            r.affected_users,
            r.resolved_at_elbow,
            r.reporter.as_str(),
            micros(r.reported_at),
            micros(i.received_at),
            serde_json::to_string(&i.queues)?,
            i.status.as_str(),
            i.note.as_deref(),
            micros(i.updated_at),
            i.reported_seq as i64,
            i.seq as i64,
        ])?;
        for q in &i.queues {
            queue.execute(rusqlite::params![q.as_str(), i.reported_seq as i64])?;
        }
        // A reported event refers to its report's row instead of repeating the issue.
        event.execute(rusqlite::params![i.seq as i64, micros(i.received_at), i.reported_seq as i64])?;
    }
    Ok(())
}
