//! Following the shared log, when several nodes write to one PostgreSQL: every node, the
//! committing one included, learns of events by reading the log in sequence order. An
//! announcement (NOTIFY) wakes it; a periodic poll covers announcements lost while the
//! listener reconnected. The log is the truth, the announcement only a hint.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::hub::Hub;
use crate::store::{Announcements, Store};

/// How many events one read takes.
const PAGE: u32 = 1_000;
/// A read happens at least this often even without an announcement.
const POLL: Duration = Duration::from_secs(1);
/// Pause after a failed read or a broken listener, so a database outage is not a busy loop.
const BACKOFF: Duration = Duration::from_millis(500);

pub fn spawn(
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
    mut announcements: Box<dyn Announcements>,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if !catch_up(store.as_ref(), &hub).await {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(BACKOFF) => continue,
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                heard = announcements.next() => if let Err(e) = heard {
                    tracing::warn!(error = %e, "lost the database's announcements; re-reading the log");
                    tokio::time::sleep(BACKOFF).await;
                },
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    })
}

/// Publishes every event after the hub's head, in order. False if the read failed.
async fn catch_up(store: &dyn Store, hub: &Hub) -> bool {
    loop {
        let head = hub.head();
        let events = match store.events_after(head, PAGE).await {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the event log");
                return false;
            }
        };
        let full = events.len() == PAGE as usize;
        for event in events {
            // Writers serialise on one lock, so the log has no holes; never publish past one.
            if event.seq != hub.head() + 1 {
                tracing::error!(seq = event.seq, head = hub.head(), "hole in the event log; re-reading");
                return true;
            }
            hub.publish(event);
        }
        if !full {
            return true;
        }
    }
}
