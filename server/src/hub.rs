//! The hub: fans committed events out to connections and folds them into the unit board.
//! Publishers never wait on a client: events go into a bounded broadcast ring that each
//! connection reads at its own pace, and a connection that falls off the ring resyncs from
//! the replay window or a snapshot. Board updates are coalesced on a timer and serialised
//! once per tick, not once per client.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use floorboard_shared::heatmap::{Cell, Fact, Heatmap};
use floorboard_shared::protocol::{Change, Event, ServerMsg, Topic};
use floorboard_shared::{FacilityId, GoLive};
use time::OffsetDateTime;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// An event with its wire form, serialised once for every client.
#[derive(Debug)]
pub struct Published {
    pub event: Event,
    pub frame: Utf8Bytes,
    pub committed: Instant,
}

/// One coalesced board update: the changed cells for all-facility boards, and for each
/// facility with changes, that facility's share.
#[derive(Debug)]
pub struct BoardFrame {
    pub version: u64,
    pub all: Utf8Bytes,
    pub by_facility: HashMap<FacilityId, Utf8Bytes>,
    pub built: Instant,
}

impl BoardFrame {
    /// The bytes a board with this filter receives, if anything changed for it.
    pub fn for_board(&self, facility: Option<&FacilityId>) -> Option<&Utf8Bytes> {
        match facility {
            None => Some(&self.all),
            Some(f) => self.by_facility.get(f),
        }
    }
}

/// A board as of one frame version, for a new or resyncing board subscriber.
pub struct BoardSnapshot {
    pub version: u64,
    pub seq: u64,
    pub cells: Vec<Cell>,
}

/// What a resuming subscriber can be given.
pub enum Replay {
    /// Every event of the topic after the resume point, and the head they lead to.
    Events {
        events: Vec<Arc<Published>>,
        head: u64,
    },
    /// The resume point is outside the replay window: send a snapshot.
    TooOld,
}

struct Ring {
    events: VecDeque<Arc<Published>>,
    /// Events at or below this sequence number are no longer held.
    floor: u64,
    head: u64,
}

struct Board {
    heatmap: Heatmap,
    version: u64,
    /// The last event folded into the heatmap.
    applied_seq: u64,
    /// The last event reflected in the cells handed out.
    shown_seq: u64,
}

pub struct Hub {
    golive: Arc<GoLive>,
    replay_window: usize,
    events: broadcast::Sender<Arc<Published>>,
    ring: RwLock<Ring>,
    board: Mutex<Board>,
    boards: broadcast::Sender<Arc<BoardFrame>>,
    next_connection: AtomicU64,
}

impl Hub {
    pub fn new(golive: Arc<GoLive>, replay_window: usize, fanout_buffer: usize) -> Hub {
        Hub {
            golive,
            replay_window: replay_window.max(1),
            events: broadcast::channel(fanout_buffer.max(1)).0,
            ring: RwLock::new(Ring {
                events: VecDeque::new(),
                floor: 0,
                head: 0,
            }),
            board: Mutex::new(Board {
                heatmap: Heatmap::new(),
                version: 0,
                applied_seq: 0,
                shown_seq: 0,
            }),
            // Boards only ever need the latest frames; a board that misses one resyncs.
            boards: broadcast::channel(16).0,
            next_connection: AtomicU64::new(1),
        }
    }

    /// Rebuilds state after a start: the board from every stored issue, the replay window
    /// from the latest events. `recent` must be the newest events, oldest first.
    pub fn restore(&self, head: u64, facts: &[Fact], recent: Vec<Event>) {
        let mut board = self.board.lock().expect("board lock");
        for fact in facts {
            board.heatmap.apply(fact);
        }
        board.applied_seq = head;
        board
            .heatmap
            .changes(&self.golive, OffsetDateTime::now_utc());
        board.shown_seq = head;
        drop(board);

        let mut ring = self.ring.write().expect("ring lock");
        ring.floor = recent.first().map_or(head, |e| e.seq - 1);
        ring.head = head;
        ring.events = recent.into_iter().map(|e| Arc::new(published(e))).collect();
    }

    pub fn head(&self) -> u64 {
        self.ring.read().expect("ring lock").head
    }

    pub fn next_connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    /// Publishes one committed event. Called by the committer only, in sequence order.
    pub fn publish(&self, event: Event) {
        let fact = fact_of(&event);
        let seq = event.seq;
        let item = Arc::new(published(event));
        {
            let mut board = self.board.lock().expect("board lock");
            board.heatmap.apply(&fact);
            board.applied_seq = seq;
        }
        // Ring before broadcast: a subscriber that subscribes, then reads the ring, misses
        // nothing (it may see an event twice, and skips it by sequence number).
        {
            let mut ring = self.ring.write().expect("ring lock");
            ring.events.push_back(item.clone());
            ring.head = seq;
            while ring.events.len() > self.replay_window {
                let old = ring.events.pop_front().expect("non-empty");
                ring.floor = old.event.seq;
            }
        }
        // No receivers is fine: nobody is watching.
        let _ = self.events.send(item);
    }

    pub fn subscribe_events(&self) -> broadcast::Receiver<Arc<Published>> {
        self.events.subscribe()
    }

    pub fn subscribe_boards(&self) -> broadcast::Receiver<Arc<BoardFrame>> {
        self.boards.subscribe()
    }

    /// The events of `topic` after `after`, if the replay window still reaches back there.
    pub fn replay(&self, topic: &Topic, after: u64) -> Replay {
        let ring = self.ring.read().expect("ring lock");
        if after < ring.floor || after > ring.head {
            return Replay::TooOld;
        }
        let start = ring.events.partition_point(|p| p.event.seq <= after);
        let events = ring
            .events
            .range(start..)
            .filter(|p| topic.wants(&p.event.issue))
            .cloned()
            .collect();
        Replay::Events {
            events,
            head: ring.head,
        }
    }

    pub fn board_snapshot(&self, facility: Option<&FacilityId>) -> BoardSnapshot {
        let board = self.board.lock().expect("board lock");
        let cells = board
            .heatmap
            .snapshot()
            .into_iter()
            .filter(|c| facility.is_none_or(|f| *f == c.facility))
            .collect();
        BoardSnapshot {
            version: board.version,
            seq: board.shown_seq,
            cells,
        }
    }

    /// Hands out the cells that changed since the last tick as one frame, if any did.
    pub fn tick_board(&self, now: OffsetDateTime) -> Option<Arc<BoardFrame>> {
        let mut board = self.board.lock().expect("board lock");
        let cells = board.heatmap.changes(&self.golive, now);
        if cells.is_empty() {
            return None;
        }
        board.version += 1;
        board.shown_seq = board.applied_seq;
        let seq = board.shown_seq;
        let mut per_facility: HashMap<FacilityId, Vec<Cell>> = HashMap::new();
        for cell in &cells {
            per_facility
                .entry(cell.facility.clone())
                .or_default()
                .push(cell.clone());
        }
        let by_facility = per_facility
            .into_iter()
            .map(|(f, cells)| {
                let bytes = encode(&ServerMsg::BoardUpdate {
                    facility: Some(f.clone()),
                    seq,
                    cells,
                });
                (f, bytes)
            })
            .collect();
        let frame = Arc::new(BoardFrame {
            version: board.version,
            all: encode(&ServerMsg::BoardUpdate {
                facility: None,
                seq,
                cells,
            }),
            by_facility,
            built: Instant::now(),
        });
        drop(board);
        let _ = self.boards.send(frame.clone());
        Some(frame)
    }

    /// Runs the board coalescer until shutdown: at most one frame per `interval`.
    pub fn spawn_board_coalescer(
        self: Arc<Self>,
        interval: Duration,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = ticks.tick() => { self.tick_board(OffsetDateTime::now_utc()); }
                }
            }
        })
    }
}

fn published(event: Event) -> Published {
    let frame = encode(&ServerMsg::Event(event.clone()));
    Published {
        event,
        frame,
        committed: Instant::now(),
    }
}

pub fn encode(msg: &ServerMsg) -> Utf8Bytes {
    serde_json::to_string(msg)
        .expect("server messages serialise")
        .into()
}

/// What an event means for the board.
pub fn fact_of(event: &Event) -> Fact {
    let r = &event.issue.report;
    match event.change {
        Change::Reported => Fact::Reported {
            facility: r.facility.clone(),
            unit: r.unit.clone(),
            kind: r.kind,
            severity: r.severity,
            status: event.issue.status,
            at: event.issue.received_at,
        },
        Change::StatusChanged { from } => Fact::StatusChanged {
            facility: r.facility.clone(),
            unit: r.unit.clone(),
            kind: r.kind,
            severity: r.severity,
            from,
            to: event.issue.status,
        },
    }
}
