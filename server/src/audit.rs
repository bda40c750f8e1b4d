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

pub use crate::store::audit::AuditEntry;
use crate::store::audit::AuditStore;

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
    /// Starts the writer; it stops after writing what is queued once `shutdown` fires.
    pub fn spawn(store: Arc<dyn AuditStore>, shutdown: CancellationToken) -> (Audit, tokio::task::JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(MAX_BATCH * 8);
        (Audit { queue }, tokio::spawn(run(store, rx, shutdown)))
    }

    /// Records `entry`; it is committed within `LINGER`.
    pub async fn record(&self, entry: AuditEntry) {
        if self.queue.send(Pending { entry, committed: None }).await.is_err() {
            tracing::warn!("the audit writer has stopped; an entry was not recorded");
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

async fn run(store: Arc<dyn AuditStore>, mut rx: mpsc::Receiver<Pending>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(CHAIN_EVERY);
    loop {
        let mut batch = Vec::new();
        tokio::select! {
            _ = shutdown.cancelled() => {
                rx.close();
                while let Ok(pending) = rx.try_recv() {
                    batch.push(pending);
                }
                write(&*store, batch).await;
                return;
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
        write(&*store, batch).await;
    }
}

/// Commits a batch (retrying a transaction that met another writer's), then tells whoever
/// waits. A batch that cannot be written is logged and counted, and its waiters refused.
async fn write(store: &dyn AuditStore, batch: Vec<Pending>) {
    let (entries, waiters): (Vec<AuditEntry>, Vec<Option<oneshot::Sender<()>>>) =
        batch.into_iter().map(|p| (p.entry, p.committed)).unzip();
    let mut attempt = 0;
    loop {
        attempt += 1;
        match store.append_audit(&entries, OffsetDateTime::now_utc()).await {
            Ok(()) => break,
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
