//! PostgreSQL, for several nodes on one database. Writers on every node take one
//! transaction-scoped advisory lock while they number and write a batch, so sequence numbers
//! commit in order and a reader following `seq > n` never skips an event that commits late.
//! Each commit announces its last sequence number with one NOTIFY per batch (not per report:
//! NOTIFY takes a lock at commit); nodes treat it only as a wake-up and read the log.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgConnectOptions, PgListener, PgPoolOptions, PgTypeInfo};
use sqlx::{Encode, PgConnection, PgPool, Postgres, QueryBuilder, Type};
use time::OffsetDateTime;

use super::batch::{self, Attempt, Plan, Reads};
use super::sql::{
    COPIES_BEFORE, COPY_REPORTED, DELETE_QUEUES, EVENT_COLUMNS, INSERT_CHUNK, ISSUE_COLUMNS, QUEUE_COLUMNS,
    REWRITE_COPY, STATUS_COLUMNS, Value, event_row, queue_rows, report_row, scrubbed, sql_store, status_row,
};
use super::{Announcements, Applied, Command, NotApplied, StoreError};

/// The NOTIFY channel carrying "the log grew to seq N".
const CHANNEL: &str = "floorboard_events";
/// The NOTIFY channel saying "the account-change log grew" (a sign-out, a disabled account).
const ACCOUNTS_CHANNEL: &str = "floorboard_accounts";
/// The advisory lock key serialising writers to the event log.
const LOG_LOCK: i64 = 0x0066_6c6f_6f72_6264; // "floorbd"

pub struct PgStore {
    pool: PgPool,
    /// The committer's connection, opened on first use from the committer's own runtime and
    /// used only there (a socket is driven by the runtime it was opened on), and never
    /// reaped or recycled by a task of the server's runtime.
    writer: PgPool,
    /// The connections that LISTEN for announcements, held for as long as the node runs.
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
        // One connection listens for the event log's announcements, one for the accounts'.
        let listening =
            PgPoolOptions::new().max_connections(2).acquire_timeout(Duration::from_secs(3)).connect_lazy_with(options);
        let store = PgStore { pool, writer, listening };
        let repaired = store.repair_stored_rows().await?;
        if repaired > 0 {
            tracing::warn!(repairs = repaired, "repaired stored rows that broke the rule at the trust boundary");
        }
        Ok(store)
    }

    /// Wakes every node's account follower when the transaction commits.
    async fn announce_account_change(conn: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, '')").bind(ACCOUNTS_CHANNEL).execute(conn).await?;
        Ok(())
    }

    /// A transaction holding the writers' lock (`lock_out_writers`), for one that reads
    /// before it writes what the committers' writes must come after.
    async fn begin_writing(&self) -> Result<sqlx::Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await?;
        Self::lock_out_writers(&mut tx).await?;
        Ok(tx)
    }

    /// Takes the writers' lock for the rest of the transaction: the nodes' committers wait.
    async fn lock_out_writers(conn: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(LOG_LOCK).execute(conn).await?;
        Ok(())
    }

    /// Applies a batch (`Store::apply`): planned taking every submission as new, and planned
    /// again knowing every stored issue it touches if one was a retry of a stored report.
    /// Writers are serialised, so the second attempt is exact.
    async fn write(&self, batch: Vec<Command>, at: OffsetDateTime) -> Result<Vec<Applied>, NotApplied> {
        match self.try_write(batch, at, Reads::StatusTargets).await? {
            Attempt::Done(outcomes) => Ok(outcomes),
            Attempt::Retry(batch) => self.try_write(batch, at, Reads::Touched).await?.last(),
        }
    }

    /// One attempt at a batch, in one transaction. The advisory lock, taken first, orders the
    /// writers of all nodes; the NOTIFY is delivered when the transaction commits, never if
    /// it rolls back.
    async fn try_write(&self, batch: Vec<Command>, at: OffsetDateTime, reads: Reads) -> Result<Attempt, NotApplied> {
        let mut tx = match self.writer.begin().await {
            Ok(tx) => tx,
            Err(e) => return Err(NotApplied::new(e, batch)),
        };
        let read = async {
            Self::lock_out_writers(&mut tx).await?;
            let first_seq = Self::head(&mut tx).await? + 1;
            let stored =
                Self::fetch_issues(&mut tx, &batch::reads(&batch, reads)).await.map_err(StoreError::of_touched_rows)?;
            Ok::<_, StoreError>((first_seq, stored))
        };
        let (first_seq, stored) = match read.await {
            Ok(read) => read,
            Err(error) => return Err(NotApplied { error, batch }),
        };
        let plan = batch::plan(batch, stored, first_seq, at);
        let Some(last) = plan.last_seq() else {
            // Nothing to write: the outcomes stand whether or not the rollback is heard.
            let _ = tx.rollback().await;
            return Ok(Attempt::Done(plan.outcomes));
        };
        let written = async {
            if !write_plan(&mut tx, &plan).await? {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(last.to_string()).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(true)
        };
        match written.await {
            Ok(true) => Ok(Attempt::Done(plan.outcomes)),
            Ok(false) => Ok(Attempt::Retry(plan.into_batch())),
            Err(error) => Err(NotApplied { error, batch: plan.into_batch() }),
        }
    }

    /// Wake-ups when the event log grows.
    pub async fn announcements(&self) -> Result<Box<dyn Announcements>, StoreError> {
        self.listen(CHANNEL).await
    }

    /// Wake-ups when the account-change log grows.
    pub async fn account_announcements(&self) -> Result<Box<dyn Announcements>, StoreError> {
        self.listen(ACCOUNTS_CHANNEL).await
    }

    async fn listen(&self, channel: &str) -> Result<Box<dyn Announcements>, StoreError> {
        let mut listener = PgListener::connect_with(&self.listening).await?;
        listener.listen(channel).await?;
        Ok(Box::new(Listener(listener)))
    }
}

sql_store!(PgStore, Postgres);
super::accounts::sql_accounts!(PgStore, Postgres);
super::audit::sql_audit!(PgStore, Postgres);
super::check_ins::sql_check_ins!(PgStore, Postgres);

/// Writes a plan in multi-row statements (each a round trip). False, with the transaction to
/// be rolled back, if a report planned as new was stored already.
async fn write_plan(conn: &mut PgConnection, plan: &Plan) -> Result<bool, StoreError> {
    for chunk in plan.new_issues().chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(|i| report_row(i)).collect::<Result<Vec<_>, _>>()?;
        // The unique id is the duplicate check: a row it skips was stored before.
        let inserted =
            insert(conn, &format!("reports ({ISSUE_COLUMNS})"), rows, " ON CONFLICT (id) DO NOTHING").await?;
        if inserted != chunk.len() as u64 {
            return Ok(false);
        }
        insert(conn, &format!("report_queues ({QUEUE_COLUMNS})"), chunk.iter().flat_map(|i| queue_rows(i)), "").await?;
    }
    for issue in &plan.changed {
        let mut values = status_row(issue)?.into_iter();
        let mut q = QueryBuilder::<Postgres>::new("UPDATE reports SET ");
        let mut set = q.separated(", ");
        for (column, value) in STATUS_COLUMNS.iter().zip(values.by_ref()) {
            set.push(format_args!("{column} = ")).push_bind_unseparated(value);
        }
        let Some(key) = values.next() else {
            return Err(StoreError::Corrupt("a status row without its row's key".into()));
        };
        q.push(" WHERE reported_seq = ").push_bind(key);
        q.build().execute(&mut *conn).await?;
    }
    for issue in plan.rerouted() {
        sqlx::query(DELETE_QUEUES).bind(issue.reported_seq as i64).execute(&mut *conn).await?;
        insert(conn, &format!("report_queues ({QUEUE_COLUMNS})"), queue_rows(issue), "").await?;
    }
    let events: Vec<_> = plan.events().collect();
    for chunk in events.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(|e| event_row(e)).collect::<Result<Vec<_>, _>>()?;
        insert(conn, &format!("events ({EVENT_COLUMNS})"), rows, "").await?;
    }
    for issue in &plan.reported_copies {
        let copy = serde_json::to_string(issue).map_err(|e| StoreError::Rejected(e.to_string()))?;
        sqlx::query(COPY_REPORTED).bind(copy).bind(issue.reported_seq as i64).execute(&mut *conn).await?;
    }
    for redacted in &plan.redactions {
        let copies: Vec<(i64, String)> = sqlx::query_as(COPIES_BEFORE)
            .bind(redacted.reported_seq as i64)
            .bind(redacted.seq as i64)
            .fetch_all(&mut *conn)
            .await?;
        for (seq, copy) in copies {
            sqlx::query(REWRITE_COPY).bind(scrubbed(&copy, redacted.field)?).bind(seq).execute(&mut *conn).await?;
        }
    }
    Ok(true)
}

/// `INSERT INTO {into} VALUES (..), (..){tail}`, one row per item of `rows`; the rows written.
async fn insert<'a, const N: usize>(
    conn: &mut PgConnection,
    into: &str,
    rows: impl IntoIterator<Item = [Value<'a>; N]>,
    tail: &str,
) -> Result<u64, sqlx::Error> {
    let mut q = QueryBuilder::<Postgres>::new(format!("INSERT INTO {into} "));
    q.push_values(rows, |mut row, values| {
        for value in values {
            row.push_bind(value);
        }
    });
    q.push(tail);
    Ok(q.build().execute(conn).await?.rows_affected())
}

/// A value is bound with the type of what it holds (`produces`, which sqlx's `PgArguments`
/// prefers); `type_info` is only the fallback it never needs.
impl Type<Postgres> for Value<'_> {
    fn type_info() -> PgTypeInfo {
        <&str as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Value<'_> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        match self {
            Value::Int(v) => <i64 as Encode<Postgres>>::encode_by_ref(v, buf),
            Value::Bool(v) => <bool as Encode<Postgres>>::encode_by_ref(v, buf),
            Value::Text(v) => <Option<&str> as Encode<Postgres>>::encode_by_ref(&v.as_deref(), buf),
        }
    }

    fn produces(&self) -> Option<PgTypeInfo> {
        Some(match self {
            Value::Int(_) => <i64 as Type<Postgres>>::type_info(),
            Value::Bool(_) => <bool as Type<Postgres>>::type_info(),
            Value::Text(_) => <&str as Type<Postgres>>::type_info(),
        })
    }
}

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
