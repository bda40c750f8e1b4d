//! The embedded backend: one SQLite file in the data directory, WAL journal, and
//! `synchronous = FULL`, so a commit the server acknowledged survives power loss, not just a
//! crash. Only this process writes (the data directory is locked), on one connection of its
//! own, so the committer's own order is the log's order and nothing needs announcing.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

use super::StoreError;
use super::sql::sql_store;

pub struct SqliteStore {
    pool: SqlitePool,
    /// The committer's own connection. Each connection keeps its own page cache and drops it
    /// when another connection wrote since; with writes spread over the pool, every batch
    /// read the indexes it inserts into back from the file.
    writer: SqlitePool,
}

impl SqliteStore {
    /// A SQLite read transaction already reads one snapshot (from its first read, in WAL mode).
    const SNAPSHOT_READ: Option<&'static str> = None;

    /// How the database file is opened: durable (WAL, synchronous=FULL) and tuned for
    /// group commits. Public so the benchmark's raw-SQLite baseline opens its file the same way.
    pub fn connect_options(path: &Path) -> SqliteConnectOptions {
        SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // Every multi-row INSERT in a transaction keeps a statement journal (so a failed
            // statement can be undone alone); in memory it costs a copy, in a temp file a
            // write per page.
            .pragma("temp_store", "memory")
            // SQLite's default 2 MiB cache spills dirty pages of a 1,000-report batch into the
            // WAL before the commit and reads index pages back from the file: 64 MiB holds a
            // batch and the hot part of the indexes. It is a ceiling, filled only as used.
            .pragma("cache_size", "-65536")
            // Checkpoints run inside a commit, before its acknowledgements. At the default
            // 1,000 pages that is nearly every batch, each copying the same hot index pages
            // and syncing the database file again; every 10,000 pages (a 40 MiB WAL) copies
            // each page once for many batches.
            .pragma("wal_autocheckpoint", "10000")
    }

    /// Opens (creating if needed) `floorboard.db` in `dir` and applies pending migrations.
    pub async fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        let options = Self::connect_options(&dir.join("floorboard.db"));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options.clone()).await?;
        sqlx::migrate!("migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrations failed: {e}")))?;
        // A file does not drop connections: no ping before every batch.
        let writer =
            SqlitePoolOptions::new().max_connections(1).test_before_acquire(false).connect_with(options).await?;
        Ok(SqliteStore { pool, writer })
    }

    /// A batch takes the write lock before it reads the head. Begun deferred, it would read
    /// first, and a read transaction that then finds the lock held (an operator's `sqlite3`
    /// shell writing, say) fails at once with SQLITE_BUSY instead of waiting out the busy
    /// timeout.
    const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

    /// `OR FAIL` instead of the default `ABORT` for the constraints the upsert does not name:
    /// a statement that may abort halfway makes SQLite keep a statement journal, a copy of
    /// every page it touches, to undo it alone. A failure still fails the statement, and the
    /// transaction is rolled back whole.
    const INSERT_REPORTS: &str = "INSERT OR FAIL INTO reports";

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// One writer per file already: nothing to serialise.
    async fn lock_log(_: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        Ok(())
    }

    /// No other node reads this file.
    async fn announce(_: &mut SqliteConnection, _last_seq: u64) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

sql_store!(SqliteStore, Sqlite);
