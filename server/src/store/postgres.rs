//! PostgreSQL, for several nodes on one database. Writers on every node take one
//! transaction-scoped advisory lock while they number and write a batch, so sequence numbers
//! commit in order and a reader following `seq > n` never skips an event that commits late.
//! Each commit announces its last sequence number with one NOTIFY per batch (not per report:
//! NOTIFY takes a lock at commit); nodes treat it only as a wake-up and read the log.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres};

use super::sql::sql_store;
use super::{Announcements, StoreError};

/// The NOTIFY channel carrying "the log grew to seq N".
const CHANNEL: &str = "floorboard_events";
/// The advisory lock key serialising writers to the event log.
const LOG_LOCK: i64 = 0x0066_6c6f_6f72_6264; // "floorbd"

pub struct PgStore {
    pool: PgPool,
    /// The committer's connection, opened on first use from the committer's own runtime and
    /// used only there (a socket is driven by the runtime it was opened on), and never
    /// reaped or recycled by a task of the server's runtime.
    writer: PgPool,
    /// The one connection that LISTENs for announcements, held for as long as the node runs.
    listening: PgPool,
}

impl PgStore {
    /// Makes a transaction read one snapshot: under PostgreSQL's default (read committed)
    /// each statement sees new commits, and a node starting while others write would read
    /// a head and then reports committed after it, and fold them in twice.
    const SNAPSHOT_READ: Option<&'static str> = Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");

    /// Connects and applies pending migrations. Migrations take their own lock, so nodes
    /// starting together apply them once. Of `max_connections` (at least 2), one is the
    /// committer's and the rest serve reads; the listening connection comes on top.
    pub async fn open(url: &str, max_connections: u32) -> Result<PgStore, StoreError> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.saturating_sub(1).max(1))
            .acquire_timeout(Duration::from_secs(3))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrations failed: {e}")))?;
        // No check before each batch: sqlx pings a connection when it is returned, and a
        // second ping on taking it back would add a round trip to every commit.
        let writer = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(3))
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(options.clone());
        let listening =
            PgPoolOptions::new().max_connections(1).acquire_timeout(Duration::from_secs(3)).connect_lazy_with(options);
        Ok(PgStore { pool, writer, listening })
    }

    /// The advisory lock, not the transaction's start, serialises writers.
    const BEGIN_WRITE: &str = "BEGIN";

    const INSERT_REPORTS: &str = "INSERT INTO reports";

    /// The advisory lock orders the writers of all nodes.
    fn writer(&self) -> &PgPool {
        &self.writer
    }

    async fn lock_log(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(LOG_LOCK).execute(conn).await?;
        Ok(())
    }

    /// Delivered to listeners when the transaction commits, never if it rolls back.
    async fn announce(conn: &mut PgConnection, last_seq: u64) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(last_seq.to_string()).execute(conn).await?;
        Ok(())
    }

    pub async fn announcements(&self) -> Result<Box<dyn Announcements>, StoreError> {
        let mut listener = PgListener::connect_with(&self.listening).await?;
        listener.listen(CHANNEL).await?;
        Ok(Box::new(Listener(listener)))
    }
}

sql_store!(PgStore, Postgres);

struct Listener(PgListener);

#[async_trait]
impl Announcements for Listener {
    async fn next(&mut self) -> Result<(), StoreError> {
        // After a lost connection the listener reconnects on the next call; what was
        // announced meanwhile is lost, which is why the caller re-reads the log every time.
        self.0.recv().await?;
        Ok(())
    }
}
