//! The hub: fans committed events out to connections and folds them into the unit board.
//! Publishers never wait on a client: events go into a bounded broadcast ring that each
//! connection reads at its own pace, and a connection that falls off the ring resyncs from
//! the replay window or a snapshot. Board updates are coalesced on a timer and serialised
//! once per tick, not once per client.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use floorboard_shared::heatmap::{BoardDigest, Cell, Fact, Heatmap};
use floorboard_shared::protocol::{Change, Event, ServerMsg, SnapshotReason, Topic};
use floorboard_shared::{FacilityId, GoLive, ReportId, TextField};
use time::OffsetDateTime;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::sync::{Unpoisoned, UnpoisonedRw};
use crate::wire::TextFrame;

/// An event with its wire form, serialised once for every client, when the first one is
/// sent it: most events go to a watcher or two, or to none.
#[derive(Debug)]
pub struct Published {
    pub event: Arc<Event>,
    frame: OnceLock<TextFrame>,
    pub committed: Instant,
}

impl Published {
    fn new(event: Arc<Event>) -> Published {
        Published { event, frame: OnceLock::new(), committed: Instant::now() }
    }

    /// `ServerMsg::Event` for this event, encoded on first use from a borrow of it.
    pub fn frame(&self) -> &TextFrame {
        self.frame.get_or_init(|| TextFrame::json(&EventMsg { kind: "event", event: &self.event }))
    }
}

/// One coalesced board update: the changed cells for all-facility boards, and for each
/// facility with changes, that facility's share.
#[derive(Debug)]
pub struct BoardFrame {
    pub version: u64,
    pub all: TextFrame,
    pub by_facility: HashMap<FacilityId, TextFrame>,
    /// When the newest event it reflects was committed.
    pub committed: Instant,
}

impl BoardFrame {
    /// The bytes a board with this filter receives, if anything changed for it.
    pub fn for_board(&self, facility: Option<&FacilityId>) -> Option<&TextFrame> {
        match facility {
            None => Some(&self.all),
            Some(f) => self.by_facility.get(f),
        }
    }
}

/// How often the board is recomputed with no new events, for windows that move with time.
const WINDOW_TICK: Duration = Duration::from_secs(1);

/// A board snapshot's filter (one facility or all) and reason.
type SnapshotKey = (Option<FacilityId>, SnapshotReason);

/// A board as of one frame version, for a new or resyncing board subscriber.
pub struct BoardSnapshot {
    pub version: u64,
    pub seq: u64,
    pub cells: Vec<Cell>,
    pub digest: BoardDigest,
}

/// How a board subscriber asked to resume, if it did: from a sequence number, with the
/// digest of the board it holds. The default is a plain subscription.
#[derive(Clone, Copy, Debug, Default)]
pub struct BoardResume {
    pub from: Option<u64>,
    pub digest: Option<BoardDigest>,
}

impl BoardResume {
    fn asked(&self) -> bool {
        self.from.is_some() || self.digest.is_some()
    }
}

/// What a resuming subscriber can be given.
pub enum Replay {
    /// Every event of the topic after the resume point, and the head they lead to.
    Events { events: Vec<Arc<Published>>, head: u64 },
    /// The resume point is outside the replay window: send a snapshot.
    TooOld,
}

struct Ring {
    events: VecDeque<Arc<Published>>,
    /// Events at or below this sequence number are no longer held.
    floor: u64,
    head: u64,
}

impl Ring {
    /// Redacts `field` in every copy of issue `id` the window holds, so a replay serves what
    /// the store now does. Entries are replaced, not changed: a connection still sending
    /// the old one keeps its own.
    fn scrub(&mut self, id: ReportId, field: TextField) {
        for entry in self.events.iter_mut().filter(|p| p.event.issue.report.id == id) {
            let mut event = Event::clone(&entry.event);
            event.issue.scrub(field);
            *entry = Arc::new(Published { event: Arc::new(event), frame: OnceLock::new(), committed: entry.committed });
        }
    }
}

struct Board {
    heatmap: Heatmap,
    version: u64,
    /// The last event folded into the heatmap.
    applied_seq: u64,
    /// The last event reflected in the cells handed out.
    shown_seq: u64,
    /// When the last event folded in was committed (for commit-to-send latency).
    applied_at: Option<Instant>,
    /// Digests of the board as handed out, by filter, with the version they were taken at.
    digests: HashMap<Option<FacilityId>, (u64, BoardDigest)>,
}

impl Board {
    /// The digest of the board as handed out, for every facility or one.
    fn digest(&mut self, facility: Option<&FacilityId>) -> BoardDigest {
        let version = self.version;
        match self.digests.get(&facility.cloned()) {
            Some((v, digest)) if *v == version => *digest,
            _ => {
                let digest = self.heatmap.digest(facility);
                self.digests.insert(facility.cloned(), (version, digest));
                digest
            }
        }
    }
}

pub struct Hub {
    golive: Arc<GoLive>,
    replay_window: usize,
    events: broadcast::Sender<Arc<Published>>,
    ring: RwLock<Ring>,
    board: Mutex<Board>,
    boards: broadcast::Sender<Arc<BoardFrame>>,
    next_connection: AtomicU64,
    /// The head, for waiting until this node has caught up with the log.
    head_seen: tokio::sync::watch::Sender<u64>,
    /// Wakes the board coalescer when an event changes the heatmap.
    dirty: tokio::sync::Notify,
    /// Encoded board snapshots by filter and reason, with the board version they show.
    snapshot_frames: Mutex<HashMap<SnapshotKey, (u64, TextFrame)>>,
}

impl Hub {
    pub fn new(golive: Arc<GoLive>, replay_window: usize, fanout_buffer: usize) -> Hub {
        Hub {
            golive,
            replay_window: replay_window.max(1),
            events: broadcast::channel(fanout_buffer.max(1)).0,
            ring: RwLock::new(Ring { events: VecDeque::new(), floor: 0, head: 0 }),
            board: Mutex::new(Board {
                heatmap: Heatmap::new(),
                version: 0,
                applied_seq: 0,
                shown_seq: 0,
                applied_at: None,
                digests: HashMap::new(),
            }),
            // Boards only ever need the latest frames; a board that misses one resyncs.
            boards: broadcast::channel(16).0,
            next_connection: AtomicU64::new(1),
            head_seen: tokio::sync::watch::Sender::new(0),
            snapshot_frames: Mutex::default(),
            dirty: tokio::sync::Notify::new(),
        }
    }

    /// Rebuilds state after a start: the board from every stored issue as of `head`, the
    /// replay window from the latest events. `recent` must be the newest events, oldest
    /// first; any after `head` (committed by another node since `head` was read) are left
    /// for the follower, which publishes them in order after `head`.
    pub fn restore(&self, head: u64, facts: &[Fact], mut recent: Vec<Event>) {
        recent.retain(|e| e.seq <= head);
        let mut board = self.board.lock_unpoisoned();
        for fact in facts {
            board.heatmap.apply(fact);
        }
        board.applied_seq = head;
        board.heatmap.changes(&self.golive, OffsetDateTime::now_utc());
        board.shown_seq = head;
        drop(board);

        let mut ring = self.ring.write_unpoisoned();
        ring.floor = recent.first().map_or(head, |e| e.seq - 1);
        ring.head = head;
        ring.events = recent.into_iter().map(|e| Arc::new(Published::new(Arc::new(e)))).collect();
        self.head_seen.send_replace(head);
    }

    /// Waits until this node has published event `seq`, or `timeout` passes. False on timeout.
    pub async fn wait_for_head(&self, seq: u64, timeout: Duration) -> bool {
        let mut head = self.head_seen.subscribe();
        tokio::time::timeout(timeout, head.wait_for(|&h| h >= seq)).await.is_ok_and(|r| r.is_ok())
    }

    pub fn head(&self) -> u64 {
        self.ring.read_unpoisoned().head
    }

    pub fn next_connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    /// Publishes one committed event. Called by the publisher only, in sequence order.
    pub fn publish(&self, event: Event) {
        self.publish_all(vec![Arc::new(event)]);
    }

    /// Publishes a batch of committed events, in sequence order, taking each lock once.
    pub fn publish_all(&self, events: Vec<Arc<Event>>) {
        let Some(head) = events.last().map(|e| e.seq) else { return };
        let items: Vec<Arc<Published>> = events.into_iter().map(|e| Arc::new(Published::new(e))).collect();
        {
            let mut board = self.board.lock_unpoisoned();
            for fact in items.iter().filter_map(|item| fact_of(&item.event)) {
                board.heatmap.apply(&fact);
            }
            board.applied_seq = head;
            board.applied_at = items.last().map(|i| i.committed);
        }
        self.dirty.notify_one();
        // Ring before broadcast: a subscriber that subscribes, then reads the ring, misses
        // nothing (it may see an event twice, and skips it by sequence number).
        {
            let mut ring = self.ring.write_unpoisoned();
            for item in &items {
                if let Change::Redacted { field } = item.event.change {
                    ring.scrub(item.event.issue.report.id, field);
                }
                ring.events.push_back(item.clone());
            }
            ring.head = head;
            while ring.events.len() > self.replay_window
                && let Some(old) = ring.events.pop_front()
            {
                ring.floor = old.event.seq;
            }
        }
        for item in items {
            // No receivers is fine: nobody is watching.
            let _ = self.events.send(item);
        }
        self.head_seen.send_replace(head);
    }

    pub fn subscribe_events(&self) -> broadcast::Receiver<Arc<Published>> {
        self.events.subscribe()
    }

    pub fn subscribe_boards(&self) -> broadcast::Receiver<Arc<BoardFrame>> {
        self.boards.subscribe()
    }

    /// The events after `after` that `wants`, if the replay window still reaches back there.
    pub fn replay(&self, after: u64, wants: impl Fn(&Event) -> bool) -> Replay {
        let ring = self.ring.read_unpoisoned();
        if after < ring.floor || after > ring.head {
            return Replay::TooOld;
        }
        let start = ring.events.partition_point(|p| p.event.seq <= after);
        let events = ring.events.range(start..).filter(|p| wants(&p.event)).cloned().collect();
        Replay::Events { events, head: ring.head }
    }

    pub fn board_snapshot(&self, facility: Option<&FacilityId>) -> BoardSnapshot {
        let mut board = self.board.lock_unpoisoned();
        let cells =
            board.heatmap.snapshot().into_iter().filter(|c| facility.is_none_or(|f| *f == c.facility)).collect();
        let digest = board.digest(facility);
        BoardSnapshot { version: board.version, seq: board.shown_seq, cells, digest }
    }

    /// The answer to a board subscription, and the board version it covers: `resumed` when
    /// the client's digest shows it holds the current board (a reconnect storm after a
    /// restart then costs a hundred bytes per board, not the board), otherwise a snapshot.
    pub fn board_answer(&self, facility: Option<&FacilityId>, resume: BoardResume) -> (u64, TextFrame) {
        if let Some(digest) = resume.digest {
            let mut board = self.board.lock_unpoisoned();
            if board.digest(facility) == digest {
                let (version, seq) = (board.version, board.shown_seq);
                drop(board);
                let topic = Topic::Board { facility: facility.cloned() };
                let from = resume.from.unwrap_or(seq);
                return (version, TextFrame::json(&ServerMsg::Resumed { topic, from, seq, replayed: 0 }));
            }
        }
        let reason = if resume.asked() { SnapshotReason::Resumed } else { SnapshotReason::Subscribed };
        self.board_snapshot_frame(facility, reason)
    }

    /// A board subscriber's `snapshot` message, encoded once per board version, filter and
    /// reason and shared by every subscriber until the board changes (a reconnect storm of
    /// ten thousand boards encodes it a handful of times, not ten thousand).
    pub fn board_snapshot_frame(&self, facility: Option<&FacilityId>, reason: SnapshotReason) -> (u64, TextFrame) {
        let version = self.board.lock_unpoisoned().version;
        let key = (facility.cloned(), reason);
        if let Some((v, bytes)) = self.snapshot_frames.lock_unpoisoned().get(&key)
            && *v == version
        {
            return (*v, bytes.clone());
        }
        let snapshot = self.board_snapshot(facility);
        let topic = Topic::Board { facility: facility.cloned() };
        let msg = ServerMsg::Snapshot {
            topic,
            seq: snapshot.seq,
            reason,
            cells: snapshot.cells,
            issues: Vec::new(),
            digest: Some(snapshot.digest),
        };
        let bytes = TextFrame::json(&msg);
        self.snapshot_frames.lock_unpoisoned().insert(key, (snapshot.version, bytes.clone()));
        (snapshot.version, bytes)
    }

    /// Hands out the cells that changed since the last tick as one frame, if any did.
    pub fn tick_board(&self, now: OffsetDateTime) -> Option<Arc<BoardFrame>> {
        let mut board = self.board.lock_unpoisoned();
        let cells = board.heatmap.changes(&self.golive, now);
        if cells.is_empty() {
            return None;
        }
        board.version += 1;
        board.shown_seq = board.applied_seq;
        let seq = board.shown_seq;
        let mut per_facility: HashMap<FacilityId, Vec<Cell>> = HashMap::new();
        for cell in &cells {
            per_facility.entry(cell.facility.clone()).or_default().push(cell.clone());
        }
        let by_facility = per_facility
            .into_iter()
            .map(|(f, cells)| {
                let digest = board.digest(Some(&f));
                let bytes = TextFrame::json(&ServerMsg::BoardUpdate { facility: Some(f.clone()), seq, cells, digest });
                (f, bytes)
            })
            .collect();
        let digest = board.digest(None);
        let frame = Arc::new(BoardFrame {
            version: board.version,
            all: TextFrame::json(&ServerMsg::BoardUpdate { facility: None, seq, cells, digest }),
            by_facility,
            committed: board.applied_at.unwrap_or_else(Instant::now),
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
            let mut pacer = Pacer::new(interval);
            loop {
                // A slower clock tick moves the windows (last hour, this shift, today) that
                // change with time alone.
                let slot = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.dirty.notified() => pacer.slot(tokio::time::Instant::now()),
                    _ = tokio::time::sleep(WINDOW_TICK) => pacer.slot(tokio::time::Instant::now()),
                };
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep_until(slot) => {}
                }
                if self.tick_board(OffsetDateTime::now_utc()).is_some() {
                    pacer.sent();
                }
            }
        })
    }
}

/// When board frames may go out: the first change after a quiet spell at once (leading
/// edge), and while changes keep coming, one frame per interval. Slots are counted from when
/// the previous frame was due, not from when it went out: counted from the send, every
/// frame's timer lateness (a millisecond or so) would add up, and changes arriving at the
/// interval's own pace would drift later and later until two shared a frame.
#[derive(Debug)]
struct Pacer {
    interval: Duration,
    /// The slot the coming frame waits for.
    pending: Option<tokio::time::Instant>,
    /// The earliest time the frame after the last one sent may go out.
    next: Option<tokio::time::Instant>,
}

impl Pacer {
    fn new(interval: Duration) -> Pacer {
        Pacer { interval, pending: None, next: None }
    }

    /// When a change seen at `now` may go out.
    fn slot(&mut self, now: tokio::time::Instant) -> tokio::time::Instant {
        let slot = self.next.map_or(now, |next| next.max(now));
        self.pending = Some(slot);
        slot
    }

    /// The frame for the last slot went out: the next may follow one interval after that slot.
    fn sent(&mut self) {
        self.next = self.pending.take().map(|slot| slot + self.interval);
    }
}

/// `ServerMsg::Event` encoded from a borrowed event: the same bytes without a copy of it.
#[derive(serde::Serialize)]
struct EventMsg<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    event: &'a Event,
}

/// What an event means for the board, if anything.
pub fn fact_of(event: &Event) -> Option<Fact> {
    let r = &event.issue.report;
    Some(match event.change {
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
        Change::Assigned { .. } | Change::Rerouted { .. } | Change::Redacted { .. } => return None,
    })
}

/// Events for tests of the hub and of what reads from it.
#[cfg(test)]
pub(crate) mod testing {
    use floorboard_shared::protocol::{Change, Event};
    use floorboard_shared::routing::route_report;
    use floorboard_shared::{GoLive, Issue, Kind, ReportDraft, ReportId, Severity};
    use time::OffsetDateTime;

    /// A committed report of `kind` on `unit` (`facility-unit`), as event `seq`.
    pub(crate) fn event(seq: u64, unit: &str, kind: Kind) -> Event {
        let golive = GoLive::example();
        let report = ReportDraft {
            id: ReportId(uuid::Uuid::now_v7()),
            facility: unit.split('-').next().unwrap().into(),
            unit: unit.into(),
            module: "clindoc".into(),
            kind,
            severity: Severity::Medium,
            summary: "Flowsheet row missing".into(),
            details: None,
            affected_role: None,
            affected_users: 1,
            resolved_at_elbow: false,
            reporter: "trainer-01".into(),
            reported_at: OffsetDateTime::now_utc(),
        }
        .validate(&golive)
        .unwrap();
        let now = OffsetDateTime::now_utc();
        let issue = Issue {
            queues: route_report(&report, &golive),
            status: report.initial_status(),
            report,
            assignee: None,
            resolution: None,
            note: None,
            received_at: now,
            updated_at: now,
            skew_secs: None,
            reported_seq: seq,
            seq,
        };
        Event { seq, at: now, change: Change::Reported, actor: None, issue }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use floorboard_shared::protocol::{ServerMsg, SnapshotReason, Topic};
    use floorboard_shared::{GoLive, Kind, QueueId};
    use time::OffsetDateTime;
    use tokio::sync::broadcast::error::RecvError;

    use super::testing::event;
    use super::*;

    impl Hub {
        fn replay_topic(&self, topic: &Topic, after: u64) -> Replay {
            self.replay(after, |event| topic.wants(event))
        }
    }

    fn hub(window: usize, buffer: usize) -> Arc<Hub> {
        Arc::new(Hub::new(Arc::new(GoLive::example()), window, buffer))
    }

    fn cells_of(bytes: &TextFrame) -> usize {
        match serde_json::from_str::<ServerMsg>(bytes.text()).unwrap() {
            ServerMsg::BoardUpdate { cells, .. } => cells.len(),
            other => panic!("not a board update: {other:?}"),
        }
    }

    #[test]
    fn a_burst_between_ticks_becomes_one_frame_of_changed_cells() {
        let hub = hub(100, 100);
        for seq in 1..=1000 {
            hub.publish(event(seq, if seq % 2 == 0 { "rmc-4w" } else { "sjh-ed" }, Kind::Access));
        }
        let frame = hub.tick_board(OffsetDateTime::now_utc()).expect("a frame");
        assert_eq!(cells_of(&frame.all), 2);
        assert_eq!(cells_of(frame.for_board(Some(&"rmc".into())).unwrap()), 1);
        assert!(frame.for_board(Some(&"lch".into())).is_none(), "no bytes for a facility without changes");
        assert!(hub.tick_board(OffsetDateTime::now_utc()).is_none(), "nothing new, nothing sent");
        assert_eq!(hub.board_snapshot(None).seq, 1000);
    }

    #[test]
    fn board_snapshots_are_encoded_once_per_version_and_shared() {
        let hub = hub(100, 100);
        hub.publish(event(1, "rmc-4w", Kind::Access));
        hub.tick_board(OffsetDateTime::now_utc());
        let (v1, a) = hub.board_snapshot_frame(None, SnapshotReason::Subscribed);
        let (_, b) = hub.board_snapshot_frame(None, SnapshotReason::Subscribed);
        assert_eq!(a.bytes().as_ptr(), b.bytes().as_ptr(), "the same bytes, not a copy");
        let (_, resumed) = hub.board_snapshot_frame(None, SnapshotReason::Resumed);
        assert!(resumed.text().contains("\"reason\":\"resumed\""));

        hub.publish(event(2, "rmc-4w", Kind::Access));
        hub.tick_board(OffsetDateTime::now_utc());
        let (v2, c) = hub.board_snapshot_frame(None, SnapshotReason::Subscribed);
        assert!(v2 > v1);
        assert!(c.text().contains("\"seq\":2"), "rebuilt after the board changed: {}", c.text());
    }

    #[tokio::test(start_paused = true)]
    async fn the_coalescer_sends_at_most_one_frame_per_interval() {
        let hub = hub(100, 100);
        let mut frames = hub.subscribe_boards();
        let stop = CancellationToken::new();
        let task = hub.clone().spawn_board_coalescer(Duration::from_millis(250), stop.clone());
        tokio::time::sleep(Duration::from_millis(10)).await;
        // Reports keep arriving every 10 ms for a second: four intervals.
        for seq in 1..=100 {
            hub.publish(event(seq, "rmc-4w", Kind::Process));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.cancel();
        task.await.unwrap();
        let mut count = 0;
        while frames.try_recv().is_ok() {
            count += 1;
        }
        assert!((4..=5).contains(&count), "{count} frames for 100 reports over four intervals");
    }

    #[test]
    fn changes_at_the_intervals_own_pace_each_get_a_frame_however_late_the_timer() {
        // Changes every 20 ms, each up to 3 ms late; a frame that waits for its slot goes out
        // a millisecond after it (the timer's lateness). A change that arrives before the
        // previous frame went out shares that frame.
        let interval = Duration::from_millis(20);
        let start = tokio::time::Instant::now();
        let mut pacer = Pacer::new(interval);
        let mut last_out: Option<tokio::time::Instant> = None;
        let mut frames = 0;
        for k in 0..500u32 {
            let arrival = start + interval * k + Duration::from_micros(u64::from(k * 7_919 % 3_000));
            if last_out.is_some_and(|out| arrival <= out) {
                continue;
            }
            let slot = pacer.slot(arrival);
            let out = if slot > arrival { slot + Duration::from_millis(1) } else { arrival };
            assert!(last_out.is_none_or(|prev| out >= prev + interval - Duration::from_millis(1)));
            pacer.sent();
            last_out = Some(out);
            frames += 1;
        }
        assert_eq!(frames, 500, "changes merged into one frame though none came faster than the interval");
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_change_after_a_quiet_spell_goes_out_at_once() {
        let hub = hub(100, 100);
        let mut frames = hub.subscribe_boards();
        let stop = CancellationToken::new();
        let task = hub.clone().spawn_board_coalescer(Duration::from_secs(10), stop.clone());
        // A quiet spell that does not end on an interval boundary.
        tokio::time::sleep(Duration::from_secs(25)).await;
        let start = tokio::time::Instant::now();
        hub.publish(event(1, "rmc-4w", Kind::Process));
        frames.recv().await.unwrap();
        assert!(start.elapsed() < Duration::from_secs(1), "not held back for the interval: {:?}", start.elapsed());
        // The next change waits for the interval.
        hub.publish(event(2, "rmc-4w", Kind::Process));
        frames.recv().await.unwrap();
        assert!(start.elapsed() >= Duration::from_secs(10), "{:?}", start.elapsed());
        stop.cancel();
        task.await.unwrap();
    }

    #[test]
    fn an_events_frame_is_its_server_message() {
        let event = event(3, "rmc-4w", Kind::Access);
        let published = Published::new(Arc::new(event.clone()));
        assert_eq!(published.frame().text(), serde_json::to_string(&ServerMsg::Event(event)).unwrap());
    }

    /// A node that starts while another writes can read events newer than the head its
    /// board was read at: those are published by its follower, once and in order.
    #[test]
    fn a_restore_keeps_events_after_its_head_for_the_follower() {
        let hub = hub(10, 100);
        let recent: Vec<Event> = (1..=4).map(|seq| event(seq, "rmc-4w", Kind::Access)).collect();
        let facts: Vec<Fact> = recent[..2].iter().filter_map(fact_of).collect();
        hub.restore(2, &facts, recent.clone());
        assert_eq!(hub.head(), 2);
        for e in &recent[2..] {
            hub.publish(e.clone());
        }
        let all = Topic::Queue { queue: QueueId::new("it-access") };
        let Replay::Events { events, head } = hub.replay_topic(&all, 0) else { panic!("in the window") };
        assert_eq!(events.iter().map(|p| p.event.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(head, 4);
    }

    #[test]
    fn replay_gives_a_topics_events_after_the_resume_point() {
        let hub = hub(10, 100);
        for seq in 1..=6 {
            hub.publish(event(seq, "rmc-4w", if seq % 2 == 0 { Kind::Access } else { Kind::Process }));
        }
        let it = Topic::Queue { queue: QueueId::new("it-access") };
        let Replay::Events { events, head } = hub.replay_topic(&it, 2) else { panic!("in the window") };
        assert_eq!(events.iter().map(|p| p.event.seq).collect::<Vec<_>>(), [4, 6]);
        assert_eq!(head, 6);
        assert!(matches!(hub.replay_topic(&it, 7), Replay::TooOld), "a resume point from the future");
    }

    #[test]
    fn replay_refuses_a_point_the_window_no_longer_covers() {
        let hub = hub(3, 100);
        for seq in 1..=6 {
            hub.publish(event(seq, "rmc-4w", Kind::Access));
        }
        let it = Topic::Queue { queue: QueueId::new("it-access") };
        assert!(matches!(hub.replay_topic(&it, 2), Replay::TooOld));
        assert!(matches!(hub.replay_topic(&it, 3), Replay::Events { ref events, .. } if events.len() == 3));
    }

    #[tokio::test]
    async fn a_receiver_that_stops_reading_never_holds_up_publishing() {
        let hub = hub(10, 8);
        let mut stalled = hub.subscribe_events();
        let mut reading = hub.subscribe_events();
        for seq in 1..=100 {
            hub.publish(event(seq, "rmc-4w", Kind::Access));
            assert_eq!(reading.recv().await.unwrap().event.seq, seq);
        }
        // Memory stays bounded by the buffer; the stalled one learns it fell behind.
        assert!(matches!(stalled.recv().await, Err(RecvError::Lagged(92))));
    }
}
