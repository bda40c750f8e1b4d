//! The committer: the one writer. Commands queue up while a commit is in flight and go into
//! the next transaction together (group commit), so one fsync acknowledges many reports.
//! Only after the commit are events published and callers answered: acknowledged means
//! durable.
//!
//! It runs on a thread of its own, with a single-threaded runtime, while publishing and
//! answering stay on the server's runtime. Every step of a batch is on the path of every
//! acknowledgement. SQLite's store runs the batch on this thread, blocking it (nothing else
//! runs here); PostgreSQL's is a dozen round trips (begin, lock, head, each multi-row insert,
//! commit), and on the server's runtime each wake-up queued behind busy connection tasks (a
//! wake lands in tokio's global queue, which a busy worker looks at only every few dozen
//! polls) while the database idled: with the ingest benchmark's 2,048 reports in flight a
//! batch's inserts took 18.6 ms there against 10.4 ms here (measured with SQLite through
//! sqlx; docs/benchmark.md, S4).

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use floorboard_shared::{ErrorBody, ErrorCode, ReportId};
use futures_util::FutureExt;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use crate::error::store_error_body;
use crate::hub::Hub;
use crate::store::{Applied, Command, NotApplied, Store};
use crate::telemetry;

type Reply = oneshot::Sender<Result<Applied, ErrorBody>>;

struct Pending {
    command: Command,
    queued: Instant,
    reply: Reply,
}

/// A handle for queueing commands; cheap to clone.
#[derive(Clone)]
pub struct Committer {
    queue: mpsc::Sender<Pending>,
}

impl Committer {
    /// Starts the writer on its own thread; must be called within the server's runtime, where
    /// batches are published and answered. The writer stops once every handle is dropped and
    /// the queue is drained, and then `Stopped` resolves. With `publish_to`, it publishes what
    /// it commits (this process is the only writer); without, the node learns of its own
    /// events by following the shared log.
    pub fn spawn(
        store: Arc<dyn Store>,
        publish_to: Option<Arc<Hub>>,
        max_batch: usize,
    ) -> std::io::Result<(Committer, Stopped)> {
        let (queue, rx) = mpsc::channel(max_batch * 4);
        let (stopped, on_stop) = oneshot::channel();
        let answers = tokio::runtime::Handle::try_current().map_err(std::io::Error::other)?;
        // The runtime is built (and dropped) on its own thread, never inside this async context.
        let (started, on_start) = std::sync::mpsc::sync_channel(1);
        std::thread::Builder::new().name("committer".into()).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => {
                    let _ = started.send(Ok(()));
                    runtime
                }
                Err(e) => {
                    let _ = started.send(Err(e));
                    return;
                }
            };
            runtime.block_on(run(rx, store, publish_to, max_batch.max(1), answers));
            let _ = stopped.send(());
        })?;
        on_start.recv().map_err(|_| std::io::Error::other("the committer's thread ended at start"))??;
        Ok((Committer { queue }, Stopped(on_stop)))
    }

    /// Whether the writer still takes commands (it stops only at shutdown, or if its thread
    /// died): readiness says so.
    pub fn is_running(&self) -> bool {
        !self.queue.is_closed()
    }

    /// Queues a command and waits for its commit.
    pub async fn apply(&self, command: Command) -> Result<Applied, ErrorBody> {
        let (reply, answer) = oneshot::channel();
        let unavailable = || ErrorBody::new(ErrorCode::Unavailable, "the server is shutting down; retry shortly");
        self.queue.send(Pending { command, queued: Instant::now(), reply }).await.map_err(|_| unavailable())?;
        answer.await.map_err(|_| unavailable())?
    }
}

/// Resolves once the committer has drained its queue and stopped.
pub struct Stopped(oneshot::Receiver<()>);

impl Future for Stopped {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // An error means the thread ended without saying so (it panicked): stopped as well.
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

/// What became of one command: applied (committed, a duplicate, refused) or not written.
type Outcome = Result<Applied, ErrorBody>;

/// A batch's outcomes on their way to the hub and to the callers, in command order.
struct Done {
    outcomes: Vec<Outcome>,
    waiting: Vec<(Instant, Reply)>,
}

async fn run(
    mut rx: mpsc::Receiver<Pending>,
    store: Arc<dyn Store>,
    hub: Option<Arc<Hub>>,
    max_batch: usize,
    answers_on: tokio::runtime::Handle,
) {
    // Publishing and answering a batch (folding it into the board, waking every caller)
    // overlaps with committing the next, on the server's runtime: the database never waits
    // for it. One batch at most waits to be answered, so a slow hub slows commits instead of
    // piling them up.
    let (done, answers) = mpsc::channel(1);
    let answerer = answers_on.spawn(answer(answers, hub));
    let mut isolation = Isolation::default();
    let mut batch = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        metrics::histogram!(telemetry::COMMIT_BATCH_SIZE).record(batch.len() as f64);
        let at = OffsetDateTime::now_utc();
        let sorted = isolation.sort(batch.drain(..));
        let mut parts = Vec::with_capacity(3);
        if !sorted.poisoned.is_empty() {
            let outcomes = sorted.poisoned.iter().map(|p| Ok(cannot_store(p.command.issue_id()))).collect();
            parts.push(Done { outcomes, waiting: sorted.poisoned.into_iter().map(Pending::waiting).collect() });
        }
        for (pending, suspected) in [(sorted.clean, false), (sorted.suspects, true)] {
            if pending.is_empty() {
                continue;
            }
            let (commands, waiting): (Vec<Command>, Vec<_>) = pending.into_iter().map(Pending::split).unzip();
            let outcomes = isolation.commit(&*store, commands, at, suspected).await;
            parts.push(Done { outcomes, waiting });
        }
        for part in parts {
            if done.send(part).await.is_err() {
                return;
            }
        }
    }
    drop(done);
    let _ = answerer.await;
    tracing::debug!("committer drained and stopped");
}

impl Pending {
    fn split(self) -> (Command, (Instant, Reply)) {
        (self.command, (self.queued, self.reply))
    }

    fn waiting(self) -> (Instant, Reply) {
        (self.queued, self.reply)
    }
}

/// What keeps one bad command from failing the others. A write the database refuses for
/// what a command holds is retried in halves, in order, until the command at fault stands
/// alone: it gets `cannot_store`, the rest commit. When the database itself fails, nothing
/// of what is left is written and every caller is told so (`unavailable`: retry). A panic
/// while applying a batch rolls it back and acknowledges none of it (each caller gets
/// `internal` and may retry); the issues it touched are then suspects, applied apart from
/// everyone else's and split on a further panic, so the one command that panics alone is
/// refused from then on instead of taking every batch it lands in down with it.
#[derive(Default)]
struct Isolation {
    suspects: HashSet<ReportId>,
    poisoned: HashSet<ReportId>,
}

/// A batch sorted by what is known of the issues its commands touch, each part in order.
#[derive(Default)]
struct Sorted {
    clean: Vec<Pending>,
    suspects: Vec<Pending>,
    poisoned: Vec<Pending>,
}

/// Suspects and poisoned issues remembered at most (a panicking batch makes as many suspects
/// as it has commands); past this, new ones are not remembered.
const ISOLATION_MEMORY: usize = 100_000;

impl Isolation {
    fn sort(&self, batch: impl Iterator<Item = Pending>) -> Sorted {
        let mut sorted = Sorted::default();
        for pending in batch {
            let id = pending.command.issue_id();
            if self.poisoned.is_empty() && self.suspects.is_empty() {
                sorted.clean.push(pending);
            } else if self.poisoned.contains(&id) {
                sorted.poisoned.push(pending);
            } else if self.suspects.contains(&id) {
                sorted.suspects.push(pending);
            } else {
                sorted.clean.push(pending);
            }
        }
        sorted
    }

    /// Commits a batch, in order; see `Isolation`. Every panic is caught around one
    /// `Store::apply`, which it rolls back, so the parts of a split batch already committed
    /// keep their outcomes (and are published) whatever happens to the rest. A suspects'
    /// batch is copied first, so that it can be split on a panic; no other batch is (every
    /// acknowledgement waits on this path), and a panic answers it `internal`.
    async fn commit(
        &mut self,
        store: &dyn Store,
        batch: Vec<Command>,
        at: OffsetDateTime,
        suspected: bool,
    ) -> Vec<Outcome> {
        let ids: Vec<ReportId> = batch.iter().map(Command::issue_id).collect();
        let copy = suspected.then(|| batch.clone());
        let applied = match AssertUnwindSafe(store.apply(batch, at)).catch_unwind().await {
            Ok(applied) => applied,
            Err(_) => return self.after_panic(store, ids, copy, at).await,
        };
        match applied {
            Ok(outcomes) => {
                if suspected {
                    for id in &ids {
                        self.suspects.remove(id);
                    }
                }
                outcomes.into_iter().map(Ok).collect()
            }
            Err(NotApplied { error, batch }) if error.is_in_the_data() => match <[Command; 1]>::try_from(batch) {
                Ok([command]) => {
                    let id = command.issue_id();
                    tracing::error!(report.id = %id, error = %error, "the database refused a command; it alone is refused");
                    metrics::counter!(telemetry::COMMANDS_UNSTORABLE).increment(1);
                    vec![Ok(cannot_store(id))]
                }
                Err(left) => self.commit_halves(store, left, at, suspected).await,
            },
            Err(NotApplied { error, batch }) => vec![Err(store_error_body(&error)); batch.len()],
        }
    }

    /// A batch's `Store::apply` panicked and was rolled back: nothing of it is acknowledged.
    /// Its issues become suspects; a suspects' batch is split until the command that panics
    /// stands alone, and that issue is refused from then on.
    async fn after_panic(
        &mut self,
        store: &dyn Store,
        ids: Vec<ReportId>,
        copy: Option<Vec<Command>>,
        at: OffsetDateTime,
    ) -> Vec<Outcome> {
        metrics::counter!(telemetry::COMMITTER_PANICS).increment(1);
        let Some(copy) = copy else {
            tracing::error!(commands = ids.len(), "applying a batch panicked; rolled back, nothing acknowledged");
            let room = ISOLATION_MEMORY.saturating_sub(self.suspects.len());
            self.suspects.extend(ids.iter().copied().take(room));
            return vec![Err(internal()); ids.len()];
        };
        match <[Command; 1]>::try_from(copy) {
            Ok([command]) => {
                let id = command.issue_id();
                tracing::error!(report.id = %id, "a command panicked alone; its issue is refused from now on");
                self.suspects.remove(&id);
                if self.poisoned.len() < ISOLATION_MEMORY {
                    self.poisoned.insert(id);
                }
                vec![Ok(cannot_store(id))]
            }
            Err(left) => self.commit_halves(store, left, at, true).await,
        }
    }

    /// Commits the first half of `batch`, then the second: in order, each on its own.
    async fn commit_halves(
        &mut self,
        store: &dyn Store,
        mut batch: Vec<Command>,
        at: OffsetDateTime,
        suspected: bool,
    ) -> Vec<Outcome> {
        let right = batch.split_off(batch.len() / 2);
        let mut outcomes = Box::pin(self.commit(store, batch, at, suspected)).await;
        outcomes.extend(Box::pin(self.commit(store, right, at, suspected)).await);
        outcomes
    }
}

fn cannot_store(id: ReportId) -> Applied {
    Applied::Refused(
        ErrorBody::new(
            ErrorCode::CannotStore,
            "the server cannot store this as it is; the rest was not affected (do not retry it unchanged)",
        )
        .with_id(id),
    )
}

fn internal() -> ErrorBody {
    ErrorBody::new(ErrorCode::Internal, "internal error; nothing was stored (retry)")
}

/// Publishes what each batch committed, in commit order, then answers its callers: an
/// acknowledgement is only ever sent for a committed batch.
async fn answer(mut answers: mpsc::Receiver<Done>, hub: Option<Arc<Hub>>) {
    while let Some(Done { outcomes, waiting }) = answers.recv().await {
        let committed = || {
            outcomes.iter().filter_map(|o| match o {
                Ok(Applied::Committed(event)) => Some(event),
                _ => None,
            })
        };
        // A panic while publishing (folding the board, filling the ring) must not end the
        // answering: the batch is committed, and its callers are answered all the same.
        if let Some(hub) = &hub {
            let events = committed().cloned().collect();
            if std::panic::catch_unwind(AssertUnwindSafe(|| hub.publish_all(events))).is_err() {
                tracing::error!("publishing a committed batch panicked; its callers are answered");
                metrics::counter!(telemetry::COMMITTER_PANICS).increment(1);
            }
        }
        metrics::counter!(telemetry::EVENTS_COMMITTED).increment(committed().count() as u64);
        for ((queued, reply), outcome) in waiting.into_iter().zip(outcomes) {
            metrics::histogram!(telemetry::SUBMIT_TO_COMMIT).record(queued.elapsed().as_secs_f64());
            let _ = reply.send(outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use floorboard_shared::heatmap::Fact;
    use floorboard_shared::protocol::{Event, IssuesAt};
    use floorboard_shared::{Issue, Kind, QueueId, ReporterId, UnitId};

    use super::*;
    use crate::store::batch::tests::submit;
    use crate::store::{SqliteStore, StoreError};

    /// A real store that refuses any batch holding `refuse` (as a database refuses a value it
    /// cannot hold) and panics on any batch holding `panic`.
    struct Faulty {
        inner: SqliteStore,
        refuse: ReportId,
        panic: ReportId,
        _dir: tempfile::TempDir,
    }

    impl Faulty {
        async fn new(refuse: u128, panic: u128) -> Faulty {
            let dir = tempfile::tempdir().expect("temp dir");
            let inner = SqliteStore::open(dir.path()).await.expect("open");
            Faulty { inner, refuse: id(refuse), panic: id(panic), _dir: dir }
        }
    }

    fn id(n: u128) -> ReportId {
        ReportId(uuid::Uuid::from_u128(n))
    }

    #[async_trait]
    impl Store for Faulty {
        async fn apply(&self, batch: Vec<Command>, at: OffsetDateTime) -> Result<Vec<Applied>, NotApplied> {
            if batch.iter().any(|c| c.issue_id() == self.refuse) {
                return Err(NotApplied::new(StoreError::Rejected("a value it cannot hold".into()), batch));
            }
            if batch.iter().any(|c| c.issue_id() == self.panic) {
                panic!("a command this store cannot take");
            }
            self.inner.apply(batch, at).await
        }
        async fn issue(&self, id: ReportId) -> Result<Option<Issue>, StoreError> {
            self.inner.issue(id).await
        }
        async fn queue_issues(&self, queue: &QueueId, limit: u32) -> Result<IssuesAt, StoreError> {
            self.inner.queue_issues(queue, limit).await
        }
        async fn reporter_issues(&self, reporter: &ReporterId, limit: u32) -> Result<IssuesAt, StoreError> {
            self.inner.reporter_issues(reporter, limit).await
        }
        async fn unit_issues(&self, unit: &UnitId, kind: Option<Kind>, limit: u32) -> Result<IssuesAt, StoreError> {
            self.inner.unit_issues(unit, kind, limit).await
        }
        async fn events_after(&self, seq: u64, limit: u32) -> Result<Vec<Event>, StoreError> {
            self.inner.events_after(seq, limit).await
        }
        async fn heatmap_facts(&self) -> Result<(u64, Vec<Fact>), StoreError> {
            self.inner.heatmap_facts().await
        }
        async fn summary_records(
            &self,
            from: OffsetDateTime,
            to: OffsetDateTime,
        ) -> Result<Vec<floorboard_shared::summary::Record>, StoreError> {
            self.inner.summary_records(from, to).await
        }
        async fn kept_summary(&self, period: &str) -> Result<Option<String>, StoreError> {
            self.inner.kept_summary(period).await
        }
        async fn keep_summary(&self, period: &str, at: OffsetDateTime, body: &str) -> Result<(), StoreError> {
            self.inner.keep_summary(period, at, body).await
        }
        async fn queue_counts(&self) -> Result<Vec<(QueueId, u64)>, StoreError> {
            self.inner.queue_counts().await
        }
        async fn head_seq(&self) -> Result<u64, StoreError> {
            self.inner.head_seq().await
        }
        async fn ping(&self) -> Result<(), StoreError> {
            self.inner.ping().await
        }
    }

    fn code(outcome: &Outcome) -> Option<ErrorCode> {
        match outcome {
            Ok(Applied::Refused(body)) | Err(body) => Some(body.code),
            Ok(_) => None,
        }
    }

    fn seqs(outcomes: &[Outcome]) -> Vec<u64> {
        outcomes
            .iter()
            .filter_map(|o| match o {
                Ok(Applied::Committed(event)) => Some(event.seq),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn a_command_the_database_refuses_is_refused_alone_and_the_rest_commit_in_order() {
        let store = Faulty::new(4, 0).await;
        let batch = (1..=8).map(submit).collect();
        let outcomes = Isolation::default().commit(&store, batch, OffsetDateTime::now_utc(), false).await;
        let codes: Vec<_> = outcomes.iter().map(code).collect();
        let mut expected = vec![None; 8];
        expected[3] = Some(ErrorCode::CannotStore);
        assert_eq!(codes, expected);
        assert_eq!(seqs(&outcomes), [1, 2, 3, 4, 5, 6, 7], "the others commit, numbered in command order");
        assert_eq!(store.head_seq().await.expect("head"), 7);
        assert_eq!(store.issue(id(4)).await.expect("read"), None, "nothing of the refused command is stored");
        assert!(!ErrorCode::CannotStore.is_retryable());
    }

    #[tokio::test]
    async fn a_panic_rolls_the_batch_back_and_then_only_its_command_is_refused() {
        let store = Faulty::new(0, 3).await;
        let mut isolation = Isolation::default();
        let at = OffsetDateTime::now_utc();

        let outcomes = isolation.commit(&store, (1..=4).map(submit).collect(), at, false).await;
        assert!(outcomes.iter().all(|o| code(o) == Some(ErrorCode::Internal)), "nothing acknowledged");
        assert_eq!(store.head_seq().await.expect("head"), 0, "nothing stored");

        // The callers retry, with others' reports in the same batch: the others commit as
        // usual, the suspects apart; only the command that panics alone is refused.
        let pending = |n| Pending { command: submit(n), queued: Instant::now(), reply: oneshot::channel().0 };
        let sorted =
            isolation.sort([pending(1), pending(5), pending(2), pending(3), pending(6), pending(4)].into_iter());
        let ids = |part: &[Pending]| part.iter().map(|p| p.command.issue_id()).collect::<Vec<_>>();
        assert_eq!(ids(&sorted.clean), [id(5), id(6)]);
        assert_eq!(ids(&sorted.suspects), [id(1), id(2), id(3), id(4)]);
        let clean = sorted.clean.into_iter().map(|p| p.command).collect();
        assert_eq!(seqs(&isolation.commit(&store, clean, at, false).await), [1, 2]);
        let suspects = sorted.suspects.into_iter().map(|p| p.command).collect();
        let outcomes = isolation.commit(&store, suspects, at, true).await;
        let codes: Vec<_> = outcomes.iter().map(code).collect();
        assert_eq!(codes, [None, None, Some(ErrorCode::CannotStore), None]);
        assert_eq!(seqs(&outcomes), [3, 4, 5]);

        // Cleared suspects go with everyone again; the poisoned issue is refused at once.
        let sorted = isolation.sort([pending(1), pending(3)].into_iter());
        assert_eq!((ids(&sorted.clean), ids(&sorted.poisoned)), (vec![id(1)], vec![id(3)]));
    }

    #[tokio::test]
    async fn a_panic_after_a_split_keeps_what_the_halves_before_it_committed() {
        let store = Faulty::new(2, 7).await;
        let mut isolation = Isolation::default();
        let outcomes = isolation.commit(&store, (1..=8).map(submit).collect(), OffsetDateTime::now_utc(), false).await;
        let codes: Vec<_> = outcomes.iter().map(code).collect();
        let internal = Some(ErrorCode::Internal);
        assert_eq!(codes, [None, Some(ErrorCode::CannotStore), None, None, internal, internal, internal, internal]);
        assert_eq!(seqs(&outcomes), [1, 2, 3], "the committed halves keep their events, to be published");
        assert_eq!(store.head_seq().await.expect("head"), 3);
        let sorted = isolation.sort((5..=8).map(|n| Pending {
            command: submit(n),
            queued: Instant::now(),
            reply: oneshot::channel().0,
        }));
        assert_eq!(sorted.suspects.len(), 4, "only the panicking half is under suspicion");
    }

    #[tokio::test]
    async fn suspicion_is_cleared_only_by_a_commit() {
        let store = Faulty::new(0, 3).await;
        let mut isolation = Isolation::default();
        let at = OffsetDateTime::now_utc();
        isolation.commit(&store, vec![submit(1), submit(3)], at, false).await;
        let outcomes = isolation.commit(&store, vec![submit(1)], at, true).await;
        assert!(matches!(outcomes[..], [Ok(Applied::Committed(_))]));
        assert!(!isolation.suspects.contains(&id(1)), "committed: no longer a suspect");
        assert!(isolation.suspects.contains(&id(3)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_committer_outlives_a_panicking_batch() {
        let store: Arc<dyn Store> = Arc::new(Faulty::new(0, 9).await);
        let (committer, stopped) = Committer::spawn(store.clone(), None, 16).expect("spawn");
        let refused = committer.apply(submit(9)).await.expect_err("the panicking batch is not acknowledged");
        assert_eq!(refused.code, ErrorCode::Internal);
        assert!(matches!(committer.apply(submit(1)).await, Ok(Applied::Committed(_))), "the committer lives on");
        let again = committer.apply(submit(9)).await.expect("answered");
        assert!(matches!(again, Applied::Refused(body) if body.code == ErrorCode::CannotStore));
        drop(committer);
        stopped.await;
    }
}
