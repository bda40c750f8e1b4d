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

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use floorboard_shared::{ErrorBody, ErrorCode};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use crate::error::store_error_body;
use crate::hub::Hub;
use crate::store::{Applied, Command, Store};
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

/// A batch's result on its way to the hub and to the callers.
struct Done {
    result: Result<Vec<Applied>, ErrorBody>,
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
    let mut batch = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        let (commands, waiting): (Vec<Command>, Vec<(Instant, Reply)>) =
            batch.drain(..).map(|p| (p.command, (p.queued, p.reply))).unzip();
        metrics::histogram!(telemetry::COMMIT_BATCH_SIZE).record(commands.len() as f64);
        let result = store.apply(commands, OffsetDateTime::now_utc()).await.map_err(|e| store_error_body(&e));
        if done.send(Done { result, waiting }).await.is_err() {
            break;
        }
    }
    drop(done);
    let _ = answerer.await;
    tracing::debug!("committer drained and stopped");
}

/// Publishes what each batch committed, in commit order, then answers its callers: an
/// acknowledgement is only ever sent for a committed batch.
async fn answer(mut answers: mpsc::Receiver<Done>, hub: Option<Arc<Hub>>) {
    while let Some(Done { result, waiting }) = answers.recv().await {
        match result {
            Ok(outcomes) => {
                if let Some(hub) = &hub {
                    let events = outcomes.iter().filter_map(|o| match o {
                        Applied::Committed(event) => Some(event.clone()),
                        _ => None,
                    });
                    hub.publish_all(events.collect());
                }
                metrics::counter!(telemetry::EVENTS_COMMITTED)
                    .increment(outcomes.iter().filter(|o| matches!(o, Applied::Committed(_))).count() as u64);
                for ((queued, reply), outcome) in waiting.into_iter().zip(outcomes) {
                    metrics::histogram!(telemetry::SUBMIT_TO_COMMIT).record(queued.elapsed().as_secs_f64());
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(body) => {
                for (_, reply) in waiting {
                    let _ = reply.send(Err(body.clone()));
                }
            }
        }
    }
}
