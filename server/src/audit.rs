//! Recording the audit trail: sign-ins and their failures, sign-outs, account changes,
//! reads of issue lists (once per session and list), exports. Reports and status changes
//! are the event log's, each event naming its actor, and are chained with these entries.
//!
//! Entries are group-committed by a writer of their own: whatever arrives within
//! `LINGER` of the first waiting entry goes into one transaction, which also chains the
//! events committed since the last link (`store::audit`), so recording costs no commit, and
//! no fsync, per action. Sign-in and sign-out wait for their entry's commit before they
//! answer; reads do not, so a crash may lose the read entries of its last `LINGER` (never a
//! report, a change or a sign-in that was answered). Every second the writer also chains the
//! events committed meanwhile, so the log is covered while nobody signs in.

use std::sync::Arc;
use std::time::Duration;

use floorboard_shared::{ErrorBody, ErrorCode};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use tokio::sync::broadcast;

use crate::hub::{Hub, Published};
pub use crate::store::audit::AuditEntry;
use crate::store::audit::{AuditStore, ChainedEvent};

/// How long the first waiting entry waits for others to share its commit.
const LINGER: Duration = Duration::from_millis(50);
/// Most entries in one commit.
const MAX_BATCH: usize = 1_000;
/// How often the events committed meanwhile are chained when no entry arrives.
const CHAIN_EVERY: Duration = Duration::from_secs(1);

struct Pending {
    entry: AuditEntry,
    committed: Option<oneshot::Sender<()>>,
}

/// A handle for recording; cheap to clone.
#[derive(Clone)]
pub struct Audit {
    queue: mpsc::Sender<Pending>,
}

impl AuditEntry {
    /// An entry of `action` by `actor`, with what it was done to, from where, and how it
    /// ended (`ok`, or the error code it was refused with).
    pub fn new(
        action: &'static str,
        actor: Option<&str>,
        target: Option<String>,
        source: Option<String>,
        outcome: &str,
    ) -> AuditEntry {
        AuditEntry { actor: actor.map(str::to_owned), action, target, source, outcome: outcome.to_owned() }
    }
}

impl Audit {
    /// Starts the writer; it stops after writing what is queued once `shutdown` fires. It
    /// follows `hub`'s events, so the ones a link covers are hashed as committed rather than
    /// read back from the database (that read cost about a fifth of S3's throughput).
    pub fn spawn(
        store: Arc<dyn AuditStore>,
        hub: &Hub,
        shutdown: CancellationToken,
    ) -> (Audit, tokio::task::JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(MAX_BATCH * 8);
        let events = hub.subscribe_events();
        (Audit { queue }, tokio::spawn(run(store, rx, events, shutdown)))
    }

    /// Records `entry`; it is committed within `LINGER`.
    pub async fn record(&self, entry: AuditEntry) {
        if self.queue.send(Pending { entry, committed: None }).await.is_err() {
            tracing::warn!("the audit writer has stopped; an entry was not recorded");
        }
    }

    /// Records `entry` without waiting for room in the writer's queue (from code that cannot
    /// wait): when the queue is full the entry is dropped, logged and counted.
    pub fn record_soon(&self, entry: AuditEntry) {
        if self.queue.try_send(Pending { entry, committed: None }).is_err() {
            tracing::warn!("the audit writer is behind or stopped; an entry was not recorded");
            metrics::counter!(crate::telemetry::AUDIT_FAILURES).increment(1);
        }
    }

    /// Records `entry` and waits until it is committed.
    pub async fn record_durably(&self, entry: AuditEntry) -> Result<(), ErrorBody> {
        let (committed, done) = oneshot::channel();
        let unavailable = || ErrorBody::new(ErrorCode::Unavailable, "the audit trail cannot be written; retry shortly");
        self.queue.send(Pending { entry, committed: Some(committed) }).await.map_err(|_| unavailable())?;
        done.await.map_err(|_| unavailable())
    }
}

/// Every entry of the trail, oldest first (for an export).
pub async fn all_entries(
    store: &dyn AuditStore,
) -> Result<Vec<floorboard_shared::audit::AuditRecord>, crate::store::StoreError> {
    let mut all = Vec::new();
    loop {
        let page = store.audit_entries(all.len() as u64, 10_000).await?;
        if page.is_empty() {
            return Ok(all);
        }
        all.extend(page);
    }
}

/// Writes entries as CSV (RFC 4180, CRLF line ends, a header row): what opens in a
/// spreadsheet with the right columns.
pub fn write_csv(out: impl std::io::Write, entries: &[floorboard_shared::audit::AuditRecord]) -> anyhow::Result<()> {
    let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    csv.write_record(["seq", "at", "actor", "action", "target", "source", "outcome"])?;
    for e in entries {
        let at = e.at.format(&time::format_description::well_known::Rfc3339)?;
        let seq = e.seq.to_string();
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        csv.write_record([
            seq,
            at,
            opt(&e.actor),
            e.action.clone(),
            opt(&e.target),
            opt(&e.source),
            e.outcome.clone(),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

/// Most events held for the next link; beyond, the link reads them back instead.
const MAX_KNOWN: usize = 200_000;

async fn run(
    store: Arc<dyn AuditStore>,
    mut rx: mpsc::Receiver<Pending>,
    mut events: broadcast::Receiver<Arc<Published>>,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(CHAIN_EVERY);
    let mut known: Vec<ChainedEvent> = Vec::new();
    // Until the hub stops publishing (at shutdown, once the committer has stopped).
    let mut following = true;
    loop {
        let mut batch = Vec::new();
        tokio::select! {
            _ = shutdown.cancelled() => {
                rx.close();
                while let Ok(pending) = rx.try_recv() {
                    batch.push(pending);
                }
                write(&*store, batch, &mut known).await;
                return;
            }
            published = events.recv(), if following => {
                // A group commit publishes its events together: take them all in one wake-up.
                let mut next = published;
                loop {
                    match next {
                        Ok(published) if known.len() < MAX_KNOWN => known.push(ChainedEvent::of(&published.event)),
                        // Behind the stream, or holding too many: the next link reads them back.
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => known.clear(),
                        Err(broadcast::error::RecvError::Closed) => {
                            following = false;
                            break;
                        }
                    }
                    next = match events.try_recv() {
                        Ok(published) => Ok(published),
                        Err(broadcast::error::TryRecvError::Lagged(n)) => Err(broadcast::error::RecvError::Lagged(n)),
                        Err(_) => break,
                    };
                }
                continue;
            }
            first = rx.recv() => {
                let Some(first) = first else { return };
                batch.push(first);
                let linger = tokio::time::sleep(LINGER);
                tokio::pin!(linger);
                while batch.len() < MAX_BATCH {
                    tokio::select! {
                        _ = &mut linger => break,
                        next = rx.recv() => match next {
                            Some(next) => batch.push(next),
                            None => break,
                        },
                    }
                }
            }
            _ = tick.tick() => {}
        }
        write(&*store, batch, &mut known).await;
    }
}

/// Commits a batch (retrying a transaction that met another writer's), then tells whoever
/// waits. A batch that cannot be written is logged and counted, and its waiters refused.
async fn write(store: &dyn AuditStore, batch: Vec<Pending>, known: &mut Vec<ChainedEvent>) {
    let (entries, waiters): (Vec<AuditEntry>, Vec<Option<oneshot::Sender<()>>>) =
        batch.into_iter().map(|p| (p.entry, p.committed)).unzip();
    let mut attempt = 0;
    loop {
        attempt += 1;
        match store.append_audit(&entries, known, OffsetDateTime::now_utc()).await {
            Ok(chained) => {
                known.retain(|e| e.seq > chained);
                break;
            }
            Err(e) if attempt < 3 => tracing::debug!(error = %e, "appending to the audit trail; retrying"),
            Err(e) => {
                tracing::error!(error = %e, entries = entries.len(), "cannot append to the audit trail");
                metrics::counter!(crate::telemetry::AUDIT_FAILURES).increment(1);
                return;
            }
        }
    }
    for waiter in waiters.into_iter().flatten() {
        let _ = waiter.send(());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;
    use crate::store::audit::Verified;
    use async_trait::async_trait;
    use std::sync::Mutex;

    /// Remembers how many entries each append held.
    #[derive(Default)]
    struct Appends(Mutex<Vec<usize>>);

    #[async_trait]
    impl AuditStore for Appends {
        async fn append_audit(
            &self,
            entries: &[AuditEntry],
            _: &[ChainedEvent],
            _: OffsetDateTime,
        ) -> Result<i64, StoreError> {
            self.0.lock().map_err(|_| StoreError::Corrupt("poisoned".into()))?.push(entries.len());
            Ok(0)
        }
        async fn audit_entries(
            &self,
            _: u64,
            _: u32,
        ) -> Result<Vec<floorboard_shared::audit::AuditRecord>, StoreError> {
            Ok(Vec::new())
        }
        async fn verify_audit(&self) -> Result<Verified, StoreError> {
            Err(StoreError::Unavailable("not kept".into()))
        }
    }

    #[tokio::test]
    async fn the_writer_stops_at_shutdown_after_the_hub_has_stopped_publishing() {
        let store = Arc::new(Appends::default());
        let (events_tx, events) = broadcast::channel(4);
        let (queue, rx) = mpsc::channel(4);
        let shutdown = CancellationToken::new();
        let writer = tokio::spawn(run(store.clone(), rx, events, shutdown.clone()));
        // The committer stops first, and with it the hub's publishing.
        drop(events_tx);
        tokio::task::yield_now().await;
        let audit = Audit { queue };
        audit.record(AuditEntry::new("sign_out", Some("trainer-07"), None, None, "ok")).await;
        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), writer).await.expect("the writer stops").expect("no panic");
        let appended: usize = store.0.lock().expect("not poisoned").iter().sum();
        assert_eq!(appended, 1, "the entry queued before shutdown is written");
    }
}
