//! The embedded backend: one SQLite file in the data directory, WAL journal, and
//! `synchronous = FULL`, so a commit the server acknowledged survives power loss, not just a
//! crash. Only this process writes (the data directory is locked), so the committer's own
//! order is the log's order and nothing needs announcing.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

use super::StoreError;
use super::sql::sql_store;

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
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::migrate!("migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrations failed: {e}")))?;
        Ok(SqliteStore { pool })
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
