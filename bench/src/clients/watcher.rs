//! Receivers: Floorboard boards and queue watchers, and broadcast clients of the reference
//! hubs. Each runs as a task that logs `(sequence number, microseconds)` per message until
//! stopped, and publishes the highest sequence number seen so the driver can wait for the
//! last delivery without polling the tasks.

use std::borrow::Borrow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use floorboard_shared::protocol::{ServerMsg, Topic};
use serde::Deserialize;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::clients::protocol;
use crate::sockets::{self, Dial, Socket, now_micros};

/// What a receiver is and what it logs per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A Floorboard board: `(seq the update reflects, received at)`.
    Board,
    /// A Floorboard queue watcher: `(event seq, received minus reported_at)`.
    Queue,
    /// A reference hub's client: `(message number, received minus sent)`.
    Broadcast,
}

/// What a receiver saw.
#[derive(Debug, Default)]
pub struct Log {
    pub entries: Vec<(u64, i64)>,
    /// Messages also decoded in full as `ServerMsg`, and how many of those disagreed.
    pub checked: u64,
    pub malformed: u64,
}

/// A running receiver.
pub struct Watcher {
    seen: Arc<AtomicU64>,
    task: JoinHandle<(Option<Socket>, Log)>,
}

/// Every this many messages a Floorboard receiver decodes one in full as the shared
/// `ServerMsg` and checks it against the probe.
const CHECK_EVERY: u64 = 64;

/// The fields a Floorboard receiver needs. Board cells and the rest of an issue are skipped
/// without being built, which leaves the shared cores to the server under test.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    seq: Option<u64>,
    issue: Option<IssueProbe>,
}

#[derive(Deserialize)]
struct IssueProbe {
    #[serde(with = "time::serde::rfc3339")]
    reported_at: time::OffsetDateTime,
}

/// The part of a broadcast message a receiver reads: its number and when it was sent.
#[derive(Deserialize)]
struct Stamp {
    n: u64,
    t: i64,
}

impl Role {
    /// What to log for a message, if anything.
    fn entry(self, text: &str, at: i64) -> Option<(u64, i64)> {
        if self == Role::Broadcast {
            return serde_json::from_str::<Stamp>(text).ok().map(|s| (s.n, at - s.t));
        }
        let probe = serde_json::from_str::<Probe>(text).ok()?;
        match (self, probe.kind, probe.seq, probe.issue) {
            (Role::Board, "board_update" | "snapshot", Some(seq), _) => Some((seq, at)),
            (Role::Queue, "event", Some(seq), Some(issue)) => Some((seq, at - micros(issue.reported_at))),
            _ => None,
        }
    }

    /// Whether the full `ServerMsg` decoding of `text` agrees with `entry`.
    fn agrees(self, text: &str, entry: Option<(u64, i64)>) -> bool {
        let Ok(msg) = serde_json::from_str::<ServerMsg>(text) else { return false };
        let seq = match (&msg, self) {
            (ServerMsg::BoardUpdate { seq, .. } | ServerMsg::Snapshot { seq, .. }, Role::Board) => Some(*seq),
            (ServerMsg::Event(e), Role::Queue) => Some(e.seq),
            _ => None,
        };
        seq == entry.map(|(seq, _)| seq)
    }
}

fn micros(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

impl Watcher {
    /// Starts logging `ws` as `role`; `start` is the sequence number already covered.
    pub fn spawn(ws: Socket, role: Role, start: Option<(u64, i64)>, stop: CancellationToken) -> Watcher {
        let seen = Arc::new(AtomicU64::new(start.map_or(0, |(seq, _)| seq)));
        let mark = seen.clone();
        let task = tokio::spawn(async move {
            let mut log = Log { entries: start.into_iter().collect(), ..Log::default() };
            let mut received = 0u64;
            let ws = sockets::read_until(ws, stop, |text, at| {
                let entry = role.entry(text, at);
                if role != Role::Broadcast && received.is_multiple_of(CHECK_EVERY) {
                    log.checked += 1;
                    log.malformed += u64::from(!role.agrees(text, entry));
                }
                received += 1;
                if let Some((seq, value)) = entry {
                    mark.fetch_max(seq, Ordering::Relaxed);
                    log.entries.push((seq, value));
                }
            })
            .await;
            (ws, log)
        });
        Watcher { seen, task }
    }

    /// Whether the connection is still being read (the server has not closed it).
    pub fn alive(&self) -> bool {
        !self.task.is_finished()
    }

    pub fn seen(&self) -> u64 {
        self.seen.load(Ordering::Relaxed)
    }

    /// Waits for the task after its stop token fired; the socket, if still open, and the log.
    pub async fn finish(self) -> (Option<Socket>, Log) {
        self.task.await.unwrap_or_default()
    }
}

/// Opens `n` boards subscribed to every facility, from connection index `first` on.
pub async fn open_boards(
    dial: &Dial,
    n: usize,
    first: usize,
    stop: &CancellationToken,
) -> anyhow::Result<Vec<Watcher>> {
    sockets::open_many(n, |i| {
        let (stop, dial) = (stop.clone(), dial.clone());
        async move {
            let mut ws = protocol::connect(&dial, first + i).await?;
            let answer = protocol::subscribe(&mut ws, Topic::Board { facility: None }, None).await?;
            let start = (protocol::answer_seq(&answer), now_micros());
            Ok(Watcher::spawn(ws, Role::Board, Some(start), stop))
        }
    })
    .await
}

/// Opens `n` watchers of one queue.
pub async fn open_queue_watchers(
    dial: &Dial,
    queue: &str,
    n: usize,
    first: usize,
    stop: &CancellationToken,
) -> anyhow::Result<Vec<Watcher>> {
    sockets::open_many(n, |i| {
        let (stop, topic, dial) = (stop.clone(), Topic::Queue { queue: queue.into() }, dial.clone());
        async move {
            let mut ws = protocol::connect(&dial, first + i).await?;
            protocol::subscribe(&mut ws, topic, None).await?;
            Ok(Watcher::spawn(ws, Role::Queue, None, stop))
        }
    })
    .await
}

/// Opens `n` plain clients of a reference hub.
pub async fn open_broadcast(
    dial: &Dial,
    n: usize,
    first: usize,
    stop: &CancellationToken,
) -> anyhow::Result<Vec<Watcher>> {
    sockets::open_many(n, |i| {
        let (stop, dial) = (stop.clone(), dial.clone());
        async move { Ok(Watcher::spawn(dial.open(first + i).await?, Role::Broadcast, None, stop)) }
    })
    .await
}

/// Waits until every watcher has seen `target`, or `timeout` passes. True when all have.
pub async fn wait_all_seen<W: Borrow<Watcher>>(watchers: &[W], target: u64, timeout: Duration) -> bool {
    wait_until(|| watchers.iter().all(|w| w.borrow().seen() >= target), timeout).await
}

/// Checks `done` every 20 ms until it holds or `timeout` passes. True when it held.
pub async fn wait_until(done: impl Fn() -> bool, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Stops (the token must have fired) and collects every watcher's log; sockets are dropped.
pub async fn finish_all(watchers: Vec<Watcher>) -> Vec<Log> {
    let mut logs = Vec::with_capacity(watchers.len());
    for w in watchers {
        logs.push(w.finish().await.1);
    }
    logs
}
