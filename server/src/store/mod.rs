//! Storage: one `Store` trait holding every query the service makes, so handlers never see
//! SQL and a second backend (PostgreSQL) slots in beside SQLite. Writes arrive in batches
//! from the committer and are applied in one transaction: one durable commit for many reports.

pub mod accounts;
pub mod audit;
pub(crate) mod batch;
pub mod check_ins;
mod postgres;
mod repair;
mod sql;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use floorboard_shared::access::Principal;
use floorboard_shared::heatmap::Fact;
use floorboard_shared::protocol::{Event, IssuesAt};
use floorboard_shared::workflow::Work;
use floorboard_shared::{ErrorBody, Issue, Kind, QueueId, Report, ReportId, ReporterId, UnitId};
use time::OffsetDateTime;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// One write, as the committer hands it over. Inputs are already validated and routed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Submit {
        report: Report,
        queues: Vec<QueueId>,
    },
    /// Work on an issue that exists, by `by`: decided (`workflow::decide`: the access policy
    /// and the workflow's rules) against the issue as it stands when the batch is applied,
    /// not as it stood when asked.
    Work {
        id: ReportId,
        work: Work,
        by: Arc<Principal>,
    },
}

impl Command {
    /// The issue the command writes to.
    pub fn issue_id(&self) -> ReportId {
        match self {
            Command::Submit { report, .. } => report.id,
            Command::Work { id, .. } => *id,
        }
    }
}

/// What became of one command of a batch.
#[derive(Clone, Debug)]
pub enum Applied {
    /// Committed as a new event, shared by its caller and the hub (which publishes it).
    Committed(Arc<Event>),
    /// A submission with an id already stored with the same content: nothing was written.
    Duplicate(Box<Issue>),
    /// Refused (id conflict, unknown issue, invalid transition); nothing was written.
    Refused(ErrorBody),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or refused the transaction: retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Stored data that cannot be read back: a bug or a damaged database.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The database refused what a write holds (a constraint, a value it cannot store): a
    /// fault of some command of the batch, not of the database, which another batch
    /// without that command would not meet.
    #[error("the database refused the data written: {0}")]
    Rejected(String),
}

impl StoreError {
    /// Whether the fault lies with what some command of the batch reads or writes (so the
    /// batch without that command would commit), rather than with the database.
    pub fn is_in_the_data(&self) -> bool {
        matches!(self, StoreError::Rejected(_))
    }

    /// A fault met reading the stored rows a batch's commands touch belongs to those
    /// commands: a row that cannot be read is refused with the command that reads it. (Any
    /// other unreadable data, the log's head say, is the database's, and fails the batch.)
    pub fn of_touched_rows(self) -> StoreError {
        match self {
            StoreError::Corrupt(why) => StoreError::Rejected(why),
            other => other,
        }
    }
}

/// A batch that was not written: why, and the batch itself, in order, to be tried again
/// in parts (`committer`).
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct NotApplied {
    pub error: StoreError,
    pub batch: Vec<Command>,
}

impl NotApplied {
    pub fn new(error: impl Into<StoreError>, batch: Vec<Command>) -> NotApplied {
        NotApplied { error: error.into(), batch }
    }
}

impl From<NotApplied> for StoreError {
    fn from(e: NotApplied) -> Self {
        e.error
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) | sqlx::Error::ColumnNotFound(_) => {
                StoreError::Corrupt(e.to_string())
            }
            sqlx::Error::Encode(_) => StoreError::Rejected(e.to_string()),
            // SQLSTATE classes 22 (data exception: a NUL in text, a value out of range) and
            // 23 (integrity constraint violation) are about the rows written.
            sqlx::Error::Database(ref db) if db.code().is_some_and(|c| c.starts_with("22") || c.starts_with("23")) => {
                StoreError::Rejected(e.to_string())
            }
            e => StoreError::Unavailable(e.to_string()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// Wake-ups saying the shared log may have grown (PostgreSQL's NOTIFY).
#[async_trait]
pub trait Announcements: Send {
    /// Resolves at the next announcement. An error means the channel broke; the next call
    /// reconnects, and announcements in between are lost, so callers re-read the log.
    async fn next(&mut self) -> Result<(), StoreError>;
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Applies a batch in order, in one transaction, with one durable commit. Per-command
    /// refusals do not abort the batch; an `Err` means nothing of the batch was written, and
    /// gives the batch back.
    /// SQLite's applies it on the calling thread, blocking it until the commit: call it from
    /// the committer's thread (or a test), never from a task of the server's runtime.
    async fn apply(&self, batch: Vec<Command>, at: OffsetDateTime) -> Result<Vec<Applied>, NotApplied>;

    async fn issue(&self, id: ReportId) -> Result<Option<Issue>, StoreError>;

    /// The open issues of a queue, most severe first, then oldest first.
    async fn queue_issues(&self, queue: &QueueId, limit: u32) -> Result<IssuesAt, StoreError>;

    /// A reporter's latest issues, newest first.
    async fn reporter_issues(&self, reporter: &ReporterId, limit: u32) -> Result<IssuesAt, StoreError>;

    /// A unit's issues, of one kind or all, open ones first, then newest first.
    async fn unit_issues(&self, unit: &UnitId, kind: Option<Kind>, limit: u32) -> Result<IssuesAt, StoreError>;

    /// Events after `seq`, oldest first, at most `limit`.
    async fn events_after(&self, seq: u64, limit: u32) -> Result<Vec<Event>, StoreError>;

    /// Every issue as a heatmap fact, for folding the board at start-up, with the head seq.
    async fn heatmap_facts(&self) -> Result<(u64, Vec<Fact>), StoreError>;

    /// What the daily summary reads (`floorboard_shared::summary`): every issue received
    /// before `to` that was received at or after `from`, is open now, or changed at or after
    /// `from`, with its status changes.
    async fn summary_records(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<floorboard_shared::summary::Record>, StoreError>;

    /// The summary kept for `period` (`summary::Period::key`), as JSON.
    async fn kept_summary(&self, period: &str) -> Result<Option<String>, StoreError>;

    /// Keeps `body` as the summary of `period`, unless one is kept already (another node
    /// may have kept it first: the same summary).
    async fn keep_summary(&self, period: &str, at: OffsetDateTime, body: &str) -> Result<(), StoreError>;

    /// Open issues per queue.
    async fn queue_counts(&self) -> Result<Vec<(QueueId, u64)>, StoreError>;

    /// The latest sequence number (0 before the first event).
    async fn head_seq(&self) -> Result<u64, StoreError>;

    /// Whether the database answers, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;
}
