//! The embedded backend: one SQLite file in the data directory, WAL journal, and
//! `synchronous = FULL`, so a commit the server acknowledged survives power loss, not just a
//! crash. Only this process writes (the data directory is locked), on one connection of its
//! own, so the committer's own order is the log's order and nothing needs announcing.
//!
//! Reads go through sqlx's pool. Writes call SQLite directly (rusqlite) on the thread that
//! applies the batch, the committer's own: through sqlx every statement of a batch was a
//! hand-off to sqlx's worker thread and back, a dozen thread wake-ups per commit, and at the
//! heatmap benchmark's one report per commit those hand-offs cost more CPU than SQLite's
//! own work on the batch, fsync included (docs/benchmark.md, S2).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use floorboard_shared::{Issue, ReportId};
use rusqlite::types::{Null, ToSqlOutput};
use rusqlite::{Connection, OptionalExtension, ToSql, Transaction, TransactionBehavior};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Sqlite, SqlitePool};
use time::OffsetDateTime;

use super::batch::{self, Attempt, Plan, Reads};
use super::sql::{
    COPIES_BEFORE, COPY_REPORTED, DELETE_QUEUES, EVENT_COLUMNS, HEAD, ISSUE_COLUMNS, IssueRow, QUEUE_COLUMNS,
    REWRITE_COPY, STATUS_COLUMNS, Value, count_columns, event_row, queue_rows, report_row, scrubbed, sql_store,
    status_row,
};
use super::{Applied, Command, NotApplied, StoreError};
use crate::sync::Unpoisoned;

pub struct SqliteStore {
    pool: SqlitePool,
    /// The committer's connection. Each connection keeps its own page cache and drops it
    /// when another connection wrote since; with writes spread over connections, every batch
    /// read the indexes it inserts into back from the file.
    writer: Mutex<Connection>,
}

/// How every connection to the file is set up, sqlx's and the writer's alike.
const PRAGMAS: [(&str, &str); 6] = [
    ("journal_mode", "WAL"),
    // A commit is durable once acknowledged: the WAL is synced at every commit.
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
    // A statement that may fail halfway in a transaction keeps a statement journal (so it can
    // be undone alone); in memory it costs a copy, in a temp file a write per page.
    ("temp_store", "memory"),
    // SQLite's default 2 MiB cache spills dirty pages of a 1,000-report batch into the WAL
    // before the commit and reads index pages back from the file: 64 MiB holds a batch and the
    // hot part of the indexes. It is a ceiling, filled only as used.
    ("cache_size", "-65536"),
    // Checkpoints run inside a commit, before its acknowledgements. At the default 1,000
    // pages that is nearly every batch, each copying the same hot index pages and syncing the
    // database file again; every 10,000 pages (a 40 MiB WAL) copies each page once for many
    // batches.
    ("wal_autocheckpoint", "10000"),
];

/// How long a connection waits for another's write lock (an operator's `sqlite3` shell,
/// say) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl SqliteStore {
    /// A SQLite read transaction already reads one snapshot (from its first read, in WAL mode).
    const SNAPSHOT_READ: Option<&'static str> = None;

    /// How sqlx opens the database file: durable and tuned for group commits (`PRAGMAS`).
    /// Public so tests and tools open the file as the server does.
    pub fn connect_options(path: &Path) -> SqliteConnectOptions {
        let options = SqliteConnectOptions::new().filename(path).create_if_missing(true).busy_timeout(BUSY_TIMEOUT);
        PRAGMAS.iter().fold(options, |options, (name, value)| options.pragma(*name, *value))
    }

    /// A connection of SQLite's own to the file (created if missing), set up as the writer's is; public
    /// so the benchmark's raw-SQLite baseline writes as the server does.
    pub fn connect_direct(path: &Path) -> Result<Connection, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        for (name, value) in PRAGMAS {
            conn.pragma_update(None, name, value)?;
        }
        Ok(conn)
    }

    /// Opens (creating if needed) `floorboard.db` in `dir` and applies pending migrations.
    pub async fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        let path = dir.join("floorboard.db");
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(Self::connect_options(&path)).await?;
        sqlx::migrate!("migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrations failed: {e}")))?;
        let writer = Mutex::new(Self::connect_direct(&path)?);
        let store = SqliteStore { pool, writer };
        let repaired = store.repair_stored_rows().await?;
        if repaired > 0 {
            tracing::warn!(repairs = repaired, "repaired stored rows that broke the rule at the trust boundary");
        }
        Ok(store)
    }

    /// A transaction holding the write lock from its first statement (`BEGIN IMMEDIATE`), for
    /// one that reads before it writes. Begun deferred, it would fail at once with
    /// SQLITE_BUSY, not wait out the busy timeout, if the committer's connection (or another
    /// of the pool's) wrote between its first read and its first write.
    async fn begin_writing(&self) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Nothing to announce: one node, which polls the account-change log (`auth`) for what
    /// `floorboard user` wrote beside it.
    async fn announce_account_change(_: &mut sqlx::SqliteConnection) -> Result<(), StoreError> {
        Ok(())
    }

    /// Applies a batch (`Store::apply`) on the calling thread, which it blocks for the commit
    /// (the committer's thread runs nothing else). Planned taking every submission as new,
    /// and planned again knowing every stored issue it touches if one was a retry of a stored
    /// report.
    async fn write(&self, batch: Vec<Command>, at: OffsetDateTime) -> Result<Vec<Applied>, NotApplied> {
        let mut conn = self.writer();
        match try_write(&mut conn, batch, at, Reads::StatusTargets)? {
            Attempt::Done(outcomes) => Ok(outcomes),
            Attempt::Retry(batch) => try_write(&mut conn, batch, at, Reads::Touched)?.last(),
        }
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A batch that panicked midway left its transaction to roll back when dropped.
        self.writer.lock_unpoisoned()
    }
}

sql_store!(SqliteStore, Sqlite);
super::accounts::sql_accounts!(SqliteStore, Sqlite);
super::audit::sql_audit!(SqliteStore, Sqlite);
super::check_ins::sql_check_ins!(SqliteStore, Sqlite);

/// One attempt at a batch, in one transaction. The transaction takes the write lock before
/// it reads the head: begun deferred, it would read first, and a read transaction that then
/// finds the lock held fails at once with SQLITE_BUSY instead of waiting out the busy timeout.
fn try_write(
    conn: &mut Connection,
    batch: Vec<Command>,
    at: OffsetDateTime,
    reads: Reads,
) -> Result<Attempt, NotApplied> {
    // A rollback that failed (the transaction is dropped on every early return) would have
    // left the connection inside it, and every batch after failing to begin.
    if !conn.is_autocommit()
        && let Err(e) = conn.execute_batch("ROLLBACK")
    {
        return Err(NotApplied::new(e, batch));
    }
    // Dropped without a commit (on an early return or a panic), the transaction rolls back.
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return Err(NotApplied::new(e, batch)),
    };
    let read = tx
        .prepare_cached(HEAD)
        .and_then(|mut head| head.query_row([], |row| row.get::<_, i64>(0)))
        .map_err(StoreError::from)
        .and_then(|head| {
            let stored = stored_issues(&tx, &batch::reads(&batch, reads)).map_err(StoreError::of_touched_rows)?;
            Ok((head, stored))
        });
    let (head, stored) = match read {
        Ok(read) => read,
        Err(error) => return Err(NotApplied { error, batch }),
    };
    let plan = batch::plan(batch, stored, head as u64 + 1, at);
    if plan.last_seq().is_none() {
        return Ok(Attempt::Done(plan.outcomes));
    }
    match write_plan(&tx, &plan) {
        Ok(true) => match tx.commit() {
            Ok(()) => Ok(Attempt::Done(plan.outcomes)),
            Err(e) => Err(NotApplied::new(e, plan.into_batch())),
        },
        Ok(false) => Ok(Attempt::Retry(plan.into_batch())),
        Err(error) => Err(NotApplied { error, batch: plan.into_batch() }),
    }
}

/// The stored issues with these ids, by id, read in the writer's transaction.
fn stored_issues(tx: &Transaction<'_>, ids: &[ReportId]) -> Result<HashMap<ReportId, Issue>, StoreError> {
    let mut found = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(found);
    }
    static SELECT: LazyLock<String> = LazyLock::new(|| format!("SELECT {ISSUE_COLUMNS} FROM reports WHERE id = ?"));
    let mut select = tx.prepare_cached(&SELECT)?;
    for id in ids {
        if let Some(row) = select.query_row([id.to_string()], issue_row).optional()? {
            found.insert(*id, Issue::try_from(row)?);
        }
    }
    Ok(found)
}

fn issue_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<IssueRow> {
    Ok(IssueRow {
        id: row.get("id")?,
        facility: row.get("facility")?,
        unit: row.get("unit")?,
        module: row.get("module")?,
        kind: row.get("kind")?,
        severity: row.get("severity")?,
        summary: row.get("summary")?,
        details: row.get("details")?,
        affected_role: row.get("affected_role")?,
        affected_users: row.get("affected_users")?,
        resolved_at_elbow: row.get("resolved_at_elbow")?,
        reporter: row.get("reporter")?,
        reported_at: row.get("reported_at")?,
        received_at: row.get("received_at")?,
        queues: row.get("queues")?,
        status: row.get("status")?,
        assignee: row.get("assignee")?,
        resolution: row.get("resolution")?,
        note: row.get("note")?,
        updated_at: row.get("updated_at")?,
        reported_seq: row.get("reported_seq")?,
        seq: row.get("seq")?,
    })
}

/// Writes a plan, a prepared statement per row (SQLite runs in this process: a statement
/// costs no round trip, and one prepared once beats parsing a multi-row one per batch).
/// False, with the transaction to be rolled back, if a report planned as new was stored
/// already.
fn write_plan(tx: &Transaction<'_>, plan: &Plan) -> Result<bool, StoreError> {
    // `OR FAIL` instead of the default `ABORT` for the constraints the upsert does not name:
    // a statement that may abort halfway makes SQLite keep a statement journal, a copy of
    // every page it touches, to undo it alone. A failure still fails the statement, and the
    // transaction is rolled back whole.
    static REPORT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "INSERT OR FAIL INTO reports ({ISSUE_COLUMNS}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
            placeholders(ISSUE_COLUMNS)
        )
    });
    static QUEUE: LazyLock<String> = LazyLock::new(|| {
        format!("INSERT INTO report_queues ({QUEUE_COLUMNS}) VALUES ({})", placeholders(QUEUE_COLUMNS))
    });
    static CHANGE: LazyLock<String> = LazyLock::new(|| {
        let set: Vec<String> = STATUS_COLUMNS.iter().map(|column| format!("{column} = ?")).collect();
        format!("UPDATE reports SET {} WHERE reported_seq = ?", set.join(", "))
    });
    static EVENT: LazyLock<String> =
        LazyLock::new(|| format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES ({})", placeholders(EVENT_COLUMNS)));
    let mut report = tx.prepare_cached(&REPORT)?;
    let mut queue = tx.prepare_cached(&QUEUE)?;
    for issue in plan.new_issues() {
        // The unique id is the duplicate check: a row it skips was stored before.
        if report.execute(rusqlite::params_from_iter(report_row(issue)?))? == 0 {
            return Ok(false);
        }
        for row in queue_rows(issue) {
            queue.execute(rusqlite::params_from_iter(row))?;
        }
    }
    let mut change = tx.prepare_cached(&CHANGE)?;
    for issue in &plan.changed {
        change.execute(rusqlite::params_from_iter(status_row(issue)?))?;
    }
    let mut unqueue = tx.prepare_cached(DELETE_QUEUES)?;
    for issue in plan.rerouted() {
        unqueue.execute([issue.reported_seq as i64])?;
        for row in queue_rows(issue) {
            queue.execute(rusqlite::params_from_iter(row))?;
        }
    }
    let mut event = tx.prepare_cached(&EVENT)?;
    for e in plan.events() {
        event.execute(rusqlite::params_from_iter(event_row(e)?))?;
    }
    for issue in &plan.reported_copies {
        let copy = serde_json::to_string(issue).map_err(|e| StoreError::Rejected(e.to_string()))?;
        tx.prepare_cached(COPY_REPORTED)?.execute((copy, issue.reported_seq as i64))?;
    }
    for redacted in &plan.redactions {
        let mut copies = tx.prepare_cached(COPIES_BEFORE)?;
        let rows = copies.query_map((redacted.reported_seq as i64, redacted.seq as i64), |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?;
        let rows = rows.collect::<Result<Vec<_>, _>>()?;
        let mut rewrite = tx.prepare_cached(REWRITE_COPY)?;
        for (seq, copy) in rows {
            rewrite.execute((scrubbed(&copy, redacted.field)?, seq))?;
        }
    }
    Ok(true)
}

/// A `?` for each of `columns`.
fn placeholders(columns: &str) -> String {
    vec!["?"; count_columns(columns)].join(", ")
}

impl ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Int(v) => ToSqlOutput::from(*v),
            Value::Bool(v) => ToSqlOutput::from(*v),
            Value::Text(Some(v)) => ToSqlOutput::from(v.as_ref()),
            Value::Text(None) => ToSqlOutput::from(Null),
        })
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::InvalidColumnName(_) => StoreError::Corrupt(e.to_string()),
            rusqlite::Error::ToSqlConversionFailure(_) => StoreError::Rejected(e.to_string()),
            rusqlite::Error::SqliteFailure(ref f, _)
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::ConstraintViolation
                        | rusqlite::ErrorCode::TooBig
                        | rusqlite::ErrorCode::TypeMismatch
                ) =>
            {
                StoreError::Rejected(e.to_string())
            }
            e => StoreError::Unavailable(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::batch::tests::submit;

    #[tokio::test]
    async fn a_batch_commits_even_if_the_writer_was_left_inside_a_transaction() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("open");
        store.writer().execute_batch("BEGIN").expect("begin");
        let outcomes = store.apply(vec![submit(1)], OffsetDateTime::now_utc()).await.expect("the batch commits");
        assert!(matches!(outcomes[..], [Applied::Committed(_)]));
        assert!(store.writer().is_autocommit(), "the writer is left outside any transaction");
        assert_eq!(store.head_seq().await.expect("head"), 1, "committed: the readers see it");
    }
}
