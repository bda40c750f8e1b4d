//! Board fan-out: each coalesced board frame is written to every board's socket from one
//! loop per shard, as non-blocking writes of bytes framed once (see `wire`). A board never
//! costs a task wake-up or a timer per update; its connection task is only called when its
//! socket could not take a frame (to drain what waits, or to resync a board that fell too
//! far behind with a fresh snapshot).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use floorboard_shared::FacilityId;
use floorboard_shared::protocol::SnapshotReason;
use smallvec::SmallVec;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::hub::{BoardFrame, BoardResume, Hub};
use crate::sync::Unpoisoned;
use crate::telemetry;
use crate::wire::{TextFrame, Wire};

/// Board connections, spread over shards that each write frames from a loop of their own.
pub struct BoardFanout {
    shards: Vec<Arc<Shard>>,
}

#[derive(Default)]
struct Shard {
    members: Mutex<Members>,
}

#[derive(Default)]
struct Members {
    by_id: HashMap<u64, Arc<Wire>>,
    /// The members as one list shared by every frame until one joins or leaves: a frame
    /// takes one reference count, not one per member, and touches a member's memory only to
    /// write to it (a tick to thousands of boards is bound by cache misses).
    listed: Option<Arc<[Arc<Wire>]>>,
}

/// One connection's board subscriptions, as the fan-out sees them. Kept under the socket's
/// own lock, with its write queue (`wire::State`): a tick reads both for every board.
#[derive(Debug, Default)]
pub struct Boards {
    /// Nearly every connection shows one board: kept inline, read beside the lock.
    subscribed: SmallVec<[Board; 1]>,
    /// A frame could not be queued: nothing more is written until the connection task
    /// has drained the socket and sent a fresh snapshot.
    lagged: bool,
}

#[derive(Debug)]
struct Board {
    facility: Option<FacilityId>,
    /// Frames at or below this version are covered by what the board was sent.
    version: u64,
}

impl BoardFanout {
    pub fn new(shards: usize) -> BoardFanout {
        BoardFanout { shards: (0..shards.max(1)).map(|_| Arc::default()).collect() }
    }

    /// One task per shard, each reading the hub's board frames, until shutdown.
    pub fn spawn(&self, hub: &Hub, shutdown: &CancellationToken) -> Vec<JoinHandle<()>> {
        self.shards
            .iter()
            .map(|shard| {
                let shard = shard.clone();
                let mut frames = hub.subscribe_boards();
                let shutdown = shutdown.clone();
                tokio::spawn(async move {
                    loop {
                        let frame = tokio::select! {
                            _ = shutdown.cancelled() => break,
                            frame = frames.recv() => frame,
                        };
                        match frame {
                            Ok(frame) => shard.deliver(&frame),
                            Err(RecvError::Lagged(_)) => shard.lag_all(),
                            Err(RecvError::Closed) => break,
                        }
                    }
                })
            })
            .collect()
    }

    /// Adds a connection's socket; it receives frames for the boards it then subscribes.
    pub fn join(&self, id: u64, wire: Arc<Wire>) -> Membership {
        #[allow(
            clippy::indexing_slicing,
            reason = "a fan-out has at least one shard, and the index is modulo their number"
        )]
        let shard = self.shards[id as usize % self.shards.len()].clone();
        // A connection that left and comes back starts afresh.
        *wire.lock().boards() = Boards::default();
        shard.members().join(id, wire.clone());
        Membership { shard, id, wire }
    }
}

impl Shard {
    fn members(&self) -> MutexGuard<'_, Members> {
        self.members.lock_unpoisoned()
    }

    fn deliver(&self, frame: &BoardFrame) {
        // Written outside the members lock, so joining never waits for a fan-out.
        let members = self.members().list();
        let delivered: u64 = members.iter().map(|w| w.deliver(frame)).sum();
        if delivered > 0 {
            let hot = telemetry::hot();
            hot.fanned_out.increment(delivered);
            hot.commit_to_send.record(frame.committed.elapsed().as_secs_f64());
        }
    }

    fn lag_all(&self) {
        metrics::counter!(telemetry::CLIENTS_RESYNCED, "stream" => "board").increment(1);
        for wire in self.members().by_id.values() {
            wire.lock().boards().lagged = true;
            wire.call();
        }
    }
}

impl Members {
    fn join(&mut self, id: u64, wire: Arc<Wire>) {
        self.by_id.insert(id, wire);
        self.listed = None;
    }

    fn leave(&mut self, id: u64) {
        self.by_id.remove(&id);
        self.listed = None;
    }

    fn list(&mut self) -> Arc<[Arc<Wire>]> {
        let Members { by_id, listed } = self;
        listed.get_or_insert_with(|| by_id.values().cloned().collect()).clone()
    }
}

impl Wire {
    /// Writes the frame's bytes for each board newer than what it was sent; returns how many.
    #[allow(clippy::indexing_slicing, reason = "i counts the subscribed boards, under one lock")]
    fn deliver(&self, frame: &BoardFrame) -> u64 {
        let mut wire = self.lock();
        if wire.boards().lagged {
            return 0;
        }
        let mut delivered = 0;
        for i in 0..wire.boards().subscribed.len() {
            let board = &mut wire.boards().subscribed[i];
            if frame.version <= board.version {
                continue;
            }
            board.version = frame.version;
            let Some(bytes) = frame.for_board(board.facility.as_ref()) else { continue };
            if !wire.offer(bytes.bytes()) {
                wire.boards().lagged = true;
                self.call();
                break;
            }
            delivered += 1;
        }
        delivered
    }
}

/// A connection's place in the fan-out; leaves it when dropped.
pub struct Membership {
    shard: Arc<Shard>,
    id: u64,
    wire: Arc<Wire>,
}

impl Membership {
    /// Subscribes a board (again, if it was): writes its snapshot or `resumed`, then every
    /// newer frame. The answer is written under the socket's lock, so no frame overtakes it.
    pub fn subscribe(&self, hub: &Hub, facility: Option<FacilityId>, resume: BoardResume) {
        let mut wire = self.wire.lock();
        let (version, answer) = hub.board_answer(facility.as_ref(), resume);
        wire.push(answer.bytes());
        let boards = wire.boards();
        boards.subscribed.retain(|b| b.facility != facility);
        boards.subscribed.push(Board { facility, version });
    }

    /// Stops a board; true when the connection has no board left.
    pub fn unsubscribe(&self, facility: &Option<FacilityId>) -> bool {
        let mut wire = self.wire.lock();
        let boards = wire.boards();
        boards.subscribed.retain(|b| b.facility != *facility);
        boards.subscribed.is_empty()
    }

    /// If the fan-out had to stop writing to this connection, sends each of its boards a
    /// fresh snapshot (`lagged`) and resumes. True when it did.
    #[allow(clippy::indexing_slicing, reason = "i counts the subscribed boards, under one lock")]
    pub fn resync_if_lagged(&self, hub: &Hub) -> bool {
        let mut wire = self.wire.lock();
        if !wire.boards().lagged {
            return false;
        }
        for i in 0..wire.boards().subscribed.len() {
            let board = &wire.boards().subscribed[i];
            let (version, snapshot): (u64, TextFrame) =
                hub.board_snapshot_frame(board.facility.as_ref(), SnapshotReason::Lagged);
            wire.push(snapshot.bytes());
            wire.boards().subscribed[i].version = version;
        }
        wire.boards().lagged = false;
        true
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.shard.members().leave(self.id);
    }
}

#[cfg(test)]
mod tests {
    use floorboard_shared::protocol::ServerMsg;
    use floorboard_shared::{GoLive, Kind};
    use futures_util::StreamExt;
    use time::OffsetDateTime;
    use tokio::net::{TcpSocket, TcpStream};
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::protocol::Role;

    use super::*;
    use crate::hub::testing::event;

    /// A socket for the wire and its peer, both with small kernel buffers so they fill soon.
    async fn small_socket_pair() -> (Arc<Wire>, TcpStream) {
        let listen = TcpSocket::new_v4().unwrap();
        listen.set_recv_buffer_size(4096).unwrap();
        listen.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = listen.listen(1).unwrap();
        let connect = TcpSocket::new_v4().unwrap();
        connect.set_send_buffer_size(4096).unwrap();
        let server = connect.connect(listener.local_addr().unwrap()).await.unwrap();
        let (client, _) = listener.accept().await.unwrap();
        (Wire::new(server, None), client)
    }

    fn next_frame(hub: &Hub, seq: u64) -> Arc<BoardFrame> {
        hub.publish(event(seq, "rmc-4w", Kind::Access));
        hub.tick_board(OffsetDateTime::now_utc()).expect("a changed cell")
    }

    /// A hub with one event, and a connection (its client side unread) showing the whole
    /// board through a one-shard fan-out.
    async fn one_board() -> (Hub, BoardFanout, Arc<Wire>, TcpStream, Membership) {
        let hub = Hub::new(Arc::new(GoLive::example()), 100, 100);
        next_frame(&hub, 1);
        let (wire, client) = small_socket_pair().await;
        let fanout = BoardFanout::new(1);
        let member = fanout.join(7, wire.clone());
        member.subscribe(&hub, None, BoardResume::default());
        (hub, fanout, wire, client, member)
    }

    #[tokio::test]
    async fn a_board_that_stops_reading_is_resynced_with_a_snapshot_once_it_drains() {
        let (hub, fanout, wire, client, member) = one_board().await;
        let shard = fanout.shards[0].clone();

        // Updates while the client reads nothing: the kernel's buffers fill, then the queue.
        let mut seq = 1;
        while !member.wire.lock().boards().lagged {
            seq += 1;
            shard.deliver(&next_frame(&hub, seq));
            assert!(seq < 100_000, "the board never fell behind");
        }
        assert!(wire.queued() > 0);
        // Nothing more is queued for a board that fell behind.
        let queued = wire.queued();
        for _ in 0..10 {
            seq += 1;
            shard.deliver(&next_frame(&hub, seq));
        }
        assert_eq!(wire.queued(), queued, "a lagging board's queue stays bounded");

        // The client reads again: what was queued goes out whole, then a fresh snapshot.
        let reader = tokio::spawn(async move {
            let mut ws = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
            let mut received = Vec::new();
            while let Some(message) = ws.next().await {
                let msg: ServerMsg = serde_json::from_str(message.unwrap().to_text().unwrap()).unwrap();
                let done = matches!(msg, ServerMsg::Snapshot { reason: SnapshotReason::Lagged, .. });
                received.push(msg);
                if done {
                    return received;
                }
            }
            panic!("the connection ended before the resync");
        });
        wire.drain().await.unwrap();
        assert!(member.resync_if_lagged(&hub));
        assert!(!member.resync_if_lagged(&hub), "resynced once");
        wire.drain().await.unwrap();
        let received = tokio::time::timeout(std::time::Duration::from_secs(10), reader)
            .await
            .expect("the resync snapshot arrives")
            .unwrap();

        assert!(
            matches!(received[0], ServerMsg::Snapshot { reason: SnapshotReason::Subscribed, seq: 1, .. }),
            "the subscription's snapshot comes first"
        );
        let updates: Vec<u64> = received[1..received.len() - 1]
            .iter()
            .map(|m| match m {
                ServerMsg::BoardUpdate { seq, .. } => *seq,
                other => panic!("expected board updates, got {other:?}"),
            })
            .collect();
        assert_eq!(updates, (2..2 + updates.len() as u64).collect::<Vec<_>>(), "every update written, in order");
        let ServerMsg::Snapshot { seq: at, cells, .. } = received.last().unwrap() else { unreachable!() };
        assert_eq!(*at, seq, "the resync shows the latest board");
        assert_eq!(*cells, hub.board_snapshot(None).cells);

        // Writing resumes after the resync.
        assert_eq!(shard.members().list().len(), 1);
        shard.deliver(&next_frame(&hub, seq + 1));
        drop(member);
        assert!(shard.members().list().is_empty(), "a dropped membership leaves the fan-out");
    }

    #[tokio::test]
    async fn a_connection_that_leaves_the_fan_out_and_joins_again_starts_afresh() {
        let (hub, fanout, wire, _client, member) = one_board().await;
        // It fell behind, then unsubscribed its last board before it was resynced.
        wire.lock().boards().lagged = true;
        assert!(member.unsubscribe(&None));
        drop(member);

        let member = fanout.join(7, wire.clone());
        member.subscribe(&hub, None, BoardResume::default());
        assert_eq!(wire.deliver(&next_frame(&hub, 2)), 1, "the board gets the next frame");
    }
}
