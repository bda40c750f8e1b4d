//! The audit trail in the database (both backends): entries appended in batches, each batch
//! one link of a hash chain over its entries and the events committed since the previous
//! link; reading it back; verifying the chain. The SQL is written once (`sql_audit!`).
//!
//! A link's hash is the SHA-256 of the previous link's hash and of every field of what it
//! covers, each length-prefixed, in order: an entry or event edited, deleted or inserted
//! after the fact no longer hashes to the stored link, and a link deleted leaves a gap in
//! the links' numbers or in the ranges they cover. (Deleting the newest links together with
//! what they cover is found only against a copy of the head hash kept elsewhere, which
//! `floorboard audit verify` prints.)

use async_trait::async_trait;
use floorboard_shared::audit::AuditRecord;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::StoreError;
use super::sql::from_micros;

/// One entry to append; its number and time are the batch's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub actor: Option<String>,
    pub action: &'static str,
    pub target: Option<String>,
    pub source: Option<String>,
    pub outcome: String,
}

/// What verifying the chain found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub links: u64,
    pub entries: u64,
    pub events: u64,
    /// The newest link's hash: keep a copy elsewhere to detect the newest links' removal.
    pub head: String,
}

#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Appends `entries` (at `at`) and chains them, with every event committed since the
    /// last link, as one new link; nothing when there is nothing new. In one transaction.
    /// `known` are events as committed, in order, that the caller holds already (the hub's):
    /// the ones the link covers are taken from there rather than read back. Answers the last
    /// event chained.
    async fn append_audit(
        &self,
        entries: &[AuditEntry],
        known: &[ChainedEvent],
        at: OffsetDateTime,
    ) -> Result<i64, StoreError>;

    /// Entries after `after`, oldest first, at most `limit`.
    async fn audit_entries(&self, after: u64, limit: u32) -> Result<Vec<AuditRecord>, StoreError>;

    /// Recomputes the chain; `Err(Corrupt)` names the first link that does not hold.
    async fn verify_audit(&self) -> Result<Verified, StoreError>;
}

/// An audit row as stored.
#[derive(sqlx::FromRow, Clone)]
pub(super) struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub source: Option<String>,
    pub outcome: String,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = StoreError;

    fn try_from(r: AuditRow) -> Result<AuditRecord, StoreError> {
        Ok(AuditRecord {
            seq: r.seq as u64,
            at: from_micros(r.at)?,
            actor: r.actor,
            action: r.action,
            target: r.target,
            source: r.source,
            outcome: r.outcome,
        })
    }
}

/// The columns of an event a link covers: the ones never rewritten after the commit.
#[derive(sqlx::FromRow, Clone, Debug, PartialEq, Eq)]
pub struct ChainedEvent {
    pub seq: i64,
    pub at: i64,
    pub report_seq: i64,
    pub change: String,
    pub from_status: Option<String>,
    pub actor: Option<String>,
    pub replaced: Option<String>,
}

impl ChainedEvent {
    /// What an event's row holds of these columns (`sql::event_row` writes them).
    pub fn of(event: &floorboard_shared::protocol::Event) -> ChainedEvent {
        let change = super::sql::change_column(&event.change);
        let from_status = super::sql::from_status(&event.change).map(str::to_owned);
        // What `event_row` wrote: a re-route's queues serialise as they did there.
        let replaced = super::sql::replaced(&event.change).ok().flatten();
        ChainedEvent {
            seq: event.seq as i64,
            at: super::sql::micros(event.at),
            report_seq: event.issue.reported_seq as i64,
            change: change.to_owned(),
            from_status,
            actor: event.actor.as_ref().map(|a| a.to_string()),
            replaced,
        }
    }
}

/// The events after `after` up to `until` that `known` holds without a gap from the first,
/// if it holds that first one.
pub(super) fn known_run(known: &[ChainedEvent], after: i64, until: i64) -> Option<&[ChainedEvent]> {
    if until <= after {
        return Some(&[]);
    }
    let start = known.iter().position(|e| e.seq == after + 1)?;
    let rest = known.get(start..)?;
    let len = rest.iter().zip(after + 1..=until).take_while(|(e, seq)| e.seq == *seq).count();
    rest.get(..len)
}

/// A link as stored.
#[derive(sqlx::FromRow, Clone, Debug, Default)]
pub(super) struct Link {
    pub link: i64,
    pub last_audit: i64,
    pub last_event: i64,
    pub hash: String,
}

/// Most events one link covers: a first link over a long log is made in steps.
pub(super) const EVENTS_PER_LINK: i64 = 100_000;

/// The hash of a link after `previous` covering `entries` and `events`.
pub(super) fn link_hash(previous: &str, entries: &[AuditRow], events: &[ChainedEvent]) -> String {
    fn field(hasher: &mut Sha256, value: Option<&str>) {
        match value {
            Some(v) => {
                hasher.update((v.len() as u64).to_be_bytes());
                hasher.update(v.as_bytes());
            }
            None => hasher.update(u64::MAX.to_be_bytes()),
        }
    }
    let mut hasher = Sha256::new();
    field(&mut hasher, Some(previous));
    for e in entries {
        hasher.update(b"a");
        hasher.update(e.seq.to_be_bytes());
        hasher.update(e.at.to_be_bytes());
        for value in [
            e.actor.as_deref(),
            Some(e.action.as_str()),
            e.target.as_deref(),
            e.source.as_deref(),
            Some(e.outcome.as_str()),
        ] {
            field(&mut hasher, value);
        }
    }
    for e in events {
        hasher.update(b"e");
        hasher.update(e.seq.to_be_bytes());
        hasher.update(e.at.to_be_bytes());
        hasher.update(e.report_seq.to_be_bytes());
        for value in [Some(e.change.as_str()), e.from_status.as_deref(), e.actor.as_deref()] {
            field(&mut hasher, value);
        }
        // Hashed only where there is one, so links made before assignments verify as made.
        if let Some(from) = e.replaced.as_deref() {
            hasher.update(b"f");
            field(&mut hasher, Some(from));
        }
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks one link against the one before it and what it covers.
pub(super) fn check_link(
    previous: &Link,
    link: &Link,
    entries: &[AuditRow],
    events: &[ChainedEvent],
) -> Result<(), StoreError> {
    let fault = |what: &str| Err(StoreError::Corrupt(format!("audit link {}: {what}", link.link)));
    if link.link != previous.link + 1 {
        return fault("the link before it is missing");
    }
    let dense = |first: i64, seqs: &mut dyn Iterator<Item = i64>, last: i64| {
        let mut expected = first;
        for seq in seqs {
            if seq != expected {
                return false;
            }
            expected += 1;
        }
        expected == last + 1
    };
    if !dense(previous.last_audit + 1, &mut entries.iter().map(|e| e.seq), link.last_audit) {
        return fault("an audit entry it covers is missing");
    }
    if !dense(previous.last_event + 1, &mut events.iter().map(|e| e.seq), link.last_event) {
        return fault("an event it covers is missing");
    }
    if link_hash(&previous.hash, entries, events) != link.hash {
        return fault("what it covers was changed after it was written");
    }
    Ok(())
}

/// Implements `AuditStore` for `$store` (with `pool: sqlx::Pool<$db>` and a
/// `begin_writing()` of its own).
macro_rules! sql_audit {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn last_link(
                conn: &mut <$db as sqlx::Database>::Connection,
            ) -> Result<$crate::store::audit::Link, $crate::store::StoreError> {
                let link = sqlx::query_as::<_, $crate::store::audit::Link>(
                    "SELECT link, last_audit, last_event, hash FROM audit_links ORDER BY link DESC LIMIT 1",
                )
                .fetch_optional(&mut *conn)
                .await?;
                Ok(link.unwrap_or_default())
            }

            async fn chained_events(
                conn: &mut <$db as sqlx::Database>::Connection,
                after: i64,
                until: i64,
            ) -> Result<Vec<$crate::store::audit::ChainedEvent>, $crate::store::StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT seq, at, report_seq, change, from_status, actor, replaced FROM events WHERE seq > ",
                );
                q.push_bind(after).push(" AND seq <= ").push_bind(until).push(" ORDER BY seq");
                Ok(q.build_query_as().fetch_all(&mut *conn).await?)
            }

            async fn audit_rows(
                conn: &mut <$db as sqlx::Database>::Connection,
                after: i64,
                until: i64,
            ) -> Result<Vec<$crate::store::audit::AuditRow>, $crate::store::StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT seq, at, actor, action, target, source, outcome FROM audit WHERE seq > ",
                );
                q.push_bind(after).push(" AND seq <= ").push_bind(until).push(" ORDER BY seq");
                Ok(q.build_query_as().fetch_all(&mut *conn).await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::audit::AuditStore for $store {
            async fn append_audit(
                &self,
                entries: &[$crate::store::audit::AuditEntry],
                known: &[$crate::store::audit::ChainedEvent],
                at: time::OffsetDateTime,
            ) -> Result<i64, $crate::store::StoreError> {
                use $crate::store::audit::*;
                // The writers' lock orders links with the events they cover.
                let mut tx = self.begin_writing().await?;
                let previous = Self::last_link(&mut tx).await?;
                let head = Self::head(&mut tx).await? as i64;
                let until = head.min(previous.last_event + EVENTS_PER_LINK);
                // What the caller holds is what was committed: no need to read it back.
                let read_back;
                let events = match known_run(known, previous.last_event, until) {
                    Some(run) => run,
                    None => {
                        read_back = Self::chained_events(&mut tx, previous.last_event, until).await?;
                        &read_back[..]
                    }
                };
                if entries.is_empty() && events.is_empty() {
                    tx.rollback().await?;
                    return Ok(previous.last_event);
                }
                let at = $crate::store::sql::micros(at);
                let rows: Vec<AuditRow> = entries
                    .iter()
                    .zip(previous.last_audit + 1..)
                    .map(|(e, seq)| AuditRow {
                        seq,
                        at,
                        actor: e.actor.clone(),
                        action: e.action.to_owned(),
                        target: e.target.clone(),
                        source: e.source.clone(),
                        outcome: e.outcome.clone(),
                    })
                    .collect();
                for chunk in rows.chunks($crate::store::sql::INSERT_CHUNK / 8) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO audit (seq, at, actor, action, target, source, outcome) ",
                    );
                    q.push_values(chunk, |mut row, e| {
                        row.push_bind(e.seq)
                            .push_bind(e.at)
                            .push_bind(e.actor.clone())
                            .push_bind(e.action.clone())
                            .push_bind(e.target.clone())
                            .push_bind(e.source.clone())
                            .push_bind(e.outcome.clone());
                    });
                    q.build().execute(&mut *tx).await?;
                }
                let link = Link {
                    link: previous.link + 1,
                    last_audit: previous.last_audit + rows.len() as i64,
                    last_event: events.last().map_or(previous.last_event, |e| e.seq),
                    hash: link_hash(&previous.hash, &rows, events),
                };
                let chained = link.last_event;
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO audit_links (link, last_audit, last_event, hash) VALUES (",
                );
                q.separated(", ")
                    .push_bind(link.link)
                    .push_bind(link.last_audit)
                    .push_bind(link.last_event)
                    .push_bind(link.hash);
                q.push(")").build().execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(chained)
            }

            async fn audit_entries(
                &self,
                after: u64,
                limit: u32,
            ) -> Result<Vec<floorboard_shared::audit::AuditRecord>, $crate::store::StoreError> {
                let mut conn = self.pool.acquire().await?;
                let rows = Self::audit_rows(&mut conn, after as i64, after as i64 + i64::from(limit)).await?;
                rows.into_iter().map(floorboard_shared::audit::AuditRecord::try_from).collect()
            }

            async fn verify_audit(&self) -> Result<$crate::store::audit::Verified, $crate::store::StoreError> {
                use $crate::store::audit::*;
                let mut conn = self.pool.acquire().await?;
                let links: Vec<Link> =
                    sqlx::query_as("SELECT link, last_audit, last_event, hash FROM audit_links ORDER BY link")
                        .fetch_all(&mut *conn)
                        .await?;
                let mut previous = Link::default();
                for link in links.iter() {
                    let entries = Self::audit_rows(&mut conn, previous.last_audit, link.last_audit).await?;
                    let events = Self::chained_events(&mut conn, previous.last_event, link.last_event).await?;
                    check_link(&previous, link, &entries, &events)?;
                    previous = link.clone();
                }
                // Nothing may follow the newest link but what the next link will cover.
                let (entries, _): (i64, i64) =
                    sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM audit").fetch_one(&mut *conn).await?;
                if entries != previous.last_audit {
                    return Err($crate::store::StoreError::Corrupt(format!(
                        "the audit trail holds {entries} entries; its links cover {}",
                        previous.last_audit
                    )));
                }
                Ok(Verified {
                    links: links.len() as u64,
                    entries: previous.last_audit as u64,
                    events: previous.last_event as u64,
                    head: previous.hash,
                })
            }
        }
    };
}

pub(super) use sql_audit;

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64) -> ChainedEvent {
        ChainedEvent {
            seq,
            at: seq * 10,
            report_seq: seq,
            change: "reported".into(),
            from_status: None,
            actor: None,
            replaced: None,
        }
    }

    #[test]
    fn a_link_takes_the_known_events_only_without_a_gap_from_the_first_it_needs() {
        let known: Vec<ChainedEvent> = [3, 4, 5, 7].into_iter().map(event).collect();
        let seqs = |run: Option<&[ChainedEvent]>| run.map(|r| r.iter().map(|e| e.seq).collect::<Vec<_>>());
        assert_eq!(seqs(known_run(&known, 2, 10)), Some(vec![3, 4, 5]), "up to the gap");
        assert_eq!(seqs(known_run(&known, 3, 4)), Some(vec![4]), "up to the head");
        assert_eq!(seqs(known_run(&known, 1, 10)), None, "the first needed is not held: read back");
        assert_eq!(seqs(known_run(&known, 5, 5)), Some(vec![]), "nothing new");
    }

    #[test]
    fn an_edit_anywhere_changes_the_link() {
        let events: Vec<ChainedEvent> = (1..=3).map(event).collect();
        let base = link_hash("", &[], &events);
        let mut edited = events.clone();
        edited[1].actor = Some("mallory".into());
        assert_ne!(link_hash("", &[], &edited), base);
        assert_ne!(link_hash("other", &[], &events), base, "the previous link counts");
        assert_ne!(link_hash("", &[], &events[..2]), base);
    }
}
