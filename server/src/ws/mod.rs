//! One websocket connection: a task with one `select!` over the socket, the hub's event
//! stream, pending acknowledgements, the heartbeat and shutdown. Board updates do not pass
//! through it: the board fan-out writes them to the socket directly (`fanout`, `wire`) and
//! calls on the task only when the socket could not take them. Nothing here blocks the hub:
//! a connection reads the event stream at its own pace, and one that falls behind is resynced
//! (replay or snapshot) or, if it stops reading entirely, disconnected.

mod decode;
mod handshake;

pub use decode::decode_client_msg;
pub use handshake::upgrade;

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use floorboard_shared::heatmap::BoardDigest;
use floorboard_shared::protocol::{ClientMsg, MAX_FRAME_BYTES, MAX_SUBSCRIPTIONS, ServerMsg, SnapshotReason, Topic};
use floorboard_shared::{ErrorBody, ErrorCode, FacilityId};
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::auth::Session;
use crate::fanout::Membership;
use crate::hub::{BoardResume, Published, Replay};
use crate::state::{AppState, ConnectionGuard};
use crate::telemetry;
use crate::wire::{TextFrame, Wire, WireIo};
use crate::{intake, reads};

/// Frames above this are abuse: the connection is closed (1009). Between `MAX_FRAME_BYTES`
/// and this, the client gets `frame_too_large` and the connection lives on.
const HARD_FRAME_LIMIT: usize = 64 * 1024;
/// Submissions one connection may have waiting for their commit before reading pauses.
const MAX_PENDING_SUBMITS: usize = 256;
/// How long a resume waits for this node to catch up with the shared log.
const CATCH_UP_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

struct Subscription {
    topic: Topic,
    /// Events at or below this were covered by the snapshot or replay.
    since: u64,
}

type PendingReply = Pin<Box<dyn std::future::Future<Output = ServerMsg> + Send>>;

/// Why a connection ends, for its close frame and the log.
enum Ending {
    ClientLeft,
    Close(CloseCode, &'static str),
    /// The socket is unusable (write stalled or failed): drop it without a close frame.
    Abort(&'static str),
}

struct Connection {
    /// The session the upgrade was signed in with: every message is decided for its
    /// principal, and the connection closes when it ends.
    session: Arc<Session>,
    /// The client's address, for the audit trail.
    source: Option<std::net::IpAddr>,
    /// Shared with each submission in flight: one reference count per report instead of a
    /// dozen (cloning and dropping the state's fields was 1.7 % of the ingest profile).
    state: Arc<AppState>,
    wire: Arc<Wire>,
    socket: WebSocketStream<WireIo>,
    guard: ConnectionGuard,
    _permit: OwnedSemaphorePermit,
    subscriptions: Vec<Subscription>,
    events: Option<broadcast::Receiver<Arc<Published>>>,
    /// Set while the connection watches a board: the fan-out then writes its updates.
    boards: Option<Membership>,
    pending: FuturesUnordered<PendingReply>,
    /// The newest event taken off the event stream (sent, or not wanted).
    handled: u64,
    last_heard: Instant,
}

async fn next_of<T: Clone>(rx: &mut Option<broadcast::Receiver<T>>) -> Result<T, RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

impl Connection {
    fn new(
        state: AppState,
        session: Arc<Session>,
        source: Option<std::net::IpAddr>,
        wire: Arc<Wire>,
        socket: WebSocketStream<WireIo>,
        permit: OwnedSemaphorePermit,
    ) -> Connection {
        let guard = ConnectionGuard::register(&state);
        Connection {
            session,
            source,
            state: Arc::new(state),
            wire,
            socket,
            guard,
            _permit: permit,
            subscriptions: Vec::new(),
            events: None,
            boards: None,
            pending: FuturesUnordered::new(),
            handled: 0,
            last_heard: Instant::now(),
        }
    }

    /// Serves the connection; `on_connect` is a subscription made with the upgrade request.
    /// (Boxed: the connection's future keeps room for it for its whole life, and an idle
    /// board's memory is mostly that future.)
    async fn run(mut self, on_connect: Option<Box<ClientMsg>>) {
        let Err(ending) = self.serve(on_connect).await;
        let id = self.guard.id();
        // Out of the fan-out before the socket closes.
        self.boards = None;
        match ending {
            Ending::ClientLeft => tracing::debug!(conn.id = id, "client closed the connection"),
            Ending::Close(code, reason) => {
                tracing::debug!(conn.id = id, close.code = u16::from(code), reason, "closing connection");
                let frame = CloseFrame { code, reason: reason.into() };
                let timeout = self.state.config.send_timeout;
                let _ = Box::pin(tokio::time::timeout(timeout, self.socket.send(Message::Close(Some(frame))))).await;
            }
            Ending::Abort(reason) => {
                metrics::counter!(telemetry::CLIENTS_DISCONNECTED, "reason" => reason).increment(1);
                // Counted above; per-connection detail only at debug (a reconnect storm is 10k lines).
                tracing::debug!(conn.id = id, reason, "connection dropped");
            }
        }
    }

    async fn serve(&mut self, on_connect: Option<Box<ClientMsg>>) -> Result<std::convert::Infallible, Ending> {
        let welcome = ServerMsg::Welcome {
            server: concat!("floorboard/", env!("CARGO_PKG_VERSION")).into(),
            protocol: floorboard_shared::protocol::PROTOCOL_VERSION,
            head_seq: self.state.hub.head(),
            heartbeat_secs: self.state.config.heartbeat.as_secs(),
            max_frame_bytes: MAX_FRAME_BYTES,
        };
        // The welcome and the answer to a board subscribed with the upgrade go out in one
        // write (a reconnect storm is little else).
        self.wire.cork();
        self.wire.push(TextFrame::json(&welcome).bytes());
        if let Some(msg) = on_connect {
            Box::pin(self.on_client_msg(*msg)).await?;
        }
        self.drain().await?;
        let shutdown = self.state.shutdown.clone();
        let session_ended = self.session.ended();
        tokio::pin!(session_ended);
        let wire = self.wire.clone();
        let mut heartbeat = tokio::time::interval(self.state.config.heartbeat);
        heartbeat.tick().await;

        loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Err(Ending::Close(CloseCode::Away, "server shutting down")),
                // Signed out (here or on another node), disabled, changed or expired.
                _ = &mut session_ended => return Err(Ending::Close(CloseCode::Policy, "session ended")),
                // Committed changes go out before new input is read, so a client sees every
                // change that was committed before its next request was answered.
                // Handlers are boxed: an idle connection then holds only this select's state,
                // not room for the deepest handler (that halved the memory of an idle board).
                event = next_of(&mut self.events) => Box::pin(self.on_event(event)).await?,
                _ = wire.attention().notified() => Box::pin(self.attend()).await?,
                Some(reply) = self.pending.next(), if !self.pending.is_empty() => Box::pin(self.send_replies(reply)).await?,
                incoming = self.socket.next(), if self.pending.len() < MAX_PENDING_SUBMITS => match incoming {
                    Some(Ok(message)) => {
                        self.last_heard = Instant::now();
                        // A panic in one message's handling answers that message `internal`;
                        // the connection and its other subscriptions live on.
                        match AssertUnwindSafe(Box::pin(self.on_message(message))).catch_unwind().await {
                            Ok(handled) => handled?,
                            Err(_) => Box::pin(self.on_handler_panic()).await?,
                        }
                    }
                    Some(Err(e)) => return Err(read_failure(&e)),
                    None => return Err(Ending::ClientLeft),
                },
                _ = heartbeat.tick() => {
                    if self.last_heard.elapsed() > self.state.config.heartbeat * 3 {
                        return Err(Ending::Close(CloseCode::Policy, "no heartbeat"));
                    }
                    Box::pin(self.send_control(Message::Ping(Default::default()))).await?;
                }
            }
        }
    }

    /// Waits until the socket has taken everything queued for it; a client that takes
    /// nothing for the send timeout is dropped.
    async fn drain(&mut self) -> Result<(), Ending> {
        if self.wire.queued() == 0 {
            return Ok(());
        }
        match tokio::time::timeout(self.state.config.send_timeout, self.wire.drain()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Ending::Abort("write failed")),
            Err(_) => Err(Ending::Abort("client too slow")),
        }
    }

    /// The fan-out left bytes queued, or had to stop writing to a board that fell behind.
    async fn attend(&mut self) -> Result<(), Ending> {
        self.drain().await?;
        if self.boards.as_ref().is_some_and(|b| b.resync_if_lagged(&self.state.hub)) {
            metrics::counter!(telemetry::CLIENTS_RESYNCED, "stream" => "board").increment(1);
            self.drain().await?;
        }
        Ok(())
    }

    /// Pings and close frames, written by tungstenite through the same queue.
    async fn send_control(&mut self, message: Message) -> Result<(), Ending> {
        match tokio::time::timeout(self.state.config.send_timeout, self.socket.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Ending::Abort("write failed")),
            Err(_) => Err(Ending::Abort("client too slow")),
        }
    }

    /// Frames gathered into one buffer, in one write.
    async fn send_gathered(&mut self, gathered: BytesMut) -> Result<(), Ending> {
        if gathered.is_empty() {
            return Ok(());
        }
        self.wire.push(&gathered.freeze());
        self.drain().await
    }

    async fn send_msg(&mut self, msg: &ServerMsg) -> Result<(), Ending> {
        self.wire.push(TextFrame::json(msg).bytes());
        self.drain().await
    }

    /// Sends `first` and every other reply already settled in one write: a group commit
    /// answers a tablet's pipelined reports together, and a write per receipt was a fifth
    /// of the connection's share of ingest.
    async fn send_replies(&mut self, first: ServerMsg) -> Result<(), Ending> {
        let mut batch = BytesMut::from(TextFrame::json(&first).bytes().as_ref());
        while let Some(Some(reply)) = self.pending.next().now_or_never() {
            batch.extend_from_slice(TextFrame::json(&reply).bytes());
        }
        self.send_gathered(batch).await
    }

    async fn on_handler_panic(&mut self) -> Result<(), Ending> {
        tracing::error!(conn.id = self.guard.id(), "handling a client message panicked; answered internal");
        metrics::counter!(telemetry::HANDLER_PANICS).increment(1);
        self.send_error(ErrorBody::new(ErrorCode::Internal, "internal error")).await
    }

    async fn send_error(&mut self, body: ErrorBody) -> Result<(), Ending> {
        self.send_msg(&ServerMsg::Error(body)).await
    }

    async fn on_message(&mut self, message: Message) -> Result<(), Ending> {
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
                return self.send_error(ErrorBody::new(ErrorCode::MalformedJson, "send JSON in text frames")).await;
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return Ok(()),
            Message::Close(_) => return Err(Ending::ClientLeft),
        };
        if text.len() > MAX_FRAME_BYTES {
            let body =
                ErrorBody::new(ErrorCode::FrameTooLarge, format!("messages are limited to {MAX_FRAME_BYTES} bytes"));
            return self.send_error(body).await;
        }
        match decode_client_msg(&text) {
            Ok(msg) => self.on_client_msg(msg).await,
            Err(body) => self.send_error(body).await,
        }
    }

    async fn on_client_msg(&mut self, msg: ClientMsg) -> Result<(), Ending> {
        if !matches!(msg, ClientMsg::Ping { .. }) {
            // A ping is the app's heartbeat, not the person's activity.
            self.session.touch(time::OffsetDateTime::now_utc());
        }
        match msg {
            ClientMsg::Submit { report } => {
                let state = self.state.clone();
                let by = self.session.principal.clone();
                let id = report.id;
                self.pending.push(Box::pin(async move {
                    match AssertUnwindSafe(intake::submit_report(&state, &by, report)).catch_unwind().await {
                        Ok(Ok(receipt)) => ServerMsg::Submitted(receipt),
                        Ok(Err(body)) => ServerMsg::Error(body),
                        Err(_) => {
                            tracing::error!(report.id = %id, "submitting a report panicked; answered internal");
                            metrics::counter!(telemetry::HANDLER_PANICS).increment(1);
                            ServerMsg::Error(ErrorBody::new(ErrorCode::Internal, "internal error").with_id(id))
                        }
                    }
                }));
                Ok(())
            }
            ClientMsg::Subscribe { topic, resume_from, digest } => self.subscribe(topic, resume_from, digest).await,
            ClientMsg::Unsubscribe { topic } => {
                if !self.subscriptions.iter().any(|s| s.topic == topic) {
                    let body =
                        ErrorBody::new(ErrorCode::NotFound, "this connection holds no subscription to that topic")
                            .with_field("topic");
                    return self.send_error(body).await;
                }
                self.subscriptions.retain(|s| s.topic != topic);
                if let Topic::Board { facility } = &topic
                    && self.boards.as_ref().is_some_and(|b| b.unsubscribe(facility))
                {
                    self.boards = None;
                }
                if !self.subscriptions.iter().any(|s| !matches!(s.topic, Topic::Board { .. })) {
                    self.events = None;
                }
                self.send_msg(&ServerMsg::Unsubscribed { topic }).await
            }
            ClientMsg::Ping { nonce } => self.send_msg(&ServerMsg::Pong { nonce }).await,
        }
    }

    async fn subscribe(
        &mut self,
        topic: Topic,
        resume_from: Option<u64>,
        digest: Option<BoardDigest>,
    ) -> Result<(), Ending> {
        if let Err(body) = reads::check_topic(&self.state, &self.session.principal, &topic) {
            return self.send_error(body).await;
        }
        // Subscribing again replaces the old subscription (a client resyncing itself).
        self.subscriptions.retain(|s| s.topic != topic);
        if self.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            let body = ErrorBody::new(
                ErrorCode::TooManySubscriptions,
                format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection"),
            );
            return self.send_error(body).await;
        }
        match (&topic, resume_from) {
            (Topic::Board { facility }, _) => self.watch_board(facility.clone(), resume_from, digest).await,
            (_, Some(after)) => self.resume(vec![topic], after, SnapshotReason::ResumeTooOld).await,
            (_, None) => self.issues_snapshot(topic, SnapshotReason::Subscribed).await,
        }
    }

    /// Starts a board: a snapshot, or `resumed` when the client shows it holds the board.
    async fn watch_board(
        &mut self,
        facility: Option<FacilityId>,
        resume_from: Option<u64>,
        digest: Option<BoardDigest>,
    ) -> Result<(), Ending> {
        let (state, wire) = (&self.state, &self.wire);
        let boards = self.boards.get_or_insert_with(|| state.fanout.join(self.guard.id(), wire.clone()));
        telemetry::hot().fanned_out.increment(1);
        boards.subscribe(&state.hub, facility.clone(), BoardResume { from: resume_from, digest });
        self.subscriptions.push(Subscription { topic: Topic::Board { facility }, since: 0 });
        self.drain().await
    }

    /// A queue's or a reporter's issues, read as HTTP reads them (`reads`).
    async fn issues_snapshot(&mut self, topic: Topic, reason: SnapshotReason) -> Result<(), Ending> {
        self.ensure_events();
        let at = match reads::topic_issues(&self.state, &self.session.principal, &topic).await {
            Ok(at) => at,
            Err(body) => return self.send_error(body).await,
        };
        reads::audit_read(&self.state, &self.session, self.source, reads::topic_target(&topic)).await;
        self.subscriptions.retain(|s| s.topic != topic);
        self.subscriptions.push(Subscription { topic: topic.clone(), since: at.seq });
        let msg =
            ServerMsg::Snapshot { topic, seq: at.seq, reason, cells: Vec::new(), issues: at.issues, digest: None };
        self.send_msg(&msg).await
    }

    /// Sends what `topics` missed after `after` as one run in sequence order, each event
    /// once, then a `resumed` per topic; or, when the replay window no longer reaches back
    /// that far, a snapshot per topic (for `fallback`).
    async fn resume(&mut self, topics: Vec<Topic>, after: u64, fallback: SnapshotReason) -> Result<(), Ending> {
        self.ensure_events();
        catch_up_with_log(&self.state.clone(), after).await;
        let replay = self.state.hub.replay(after, |event| topics.iter().any(|t| t.wants(event)));
        let Replay::Events { events, head } = replay else {
            for topic in topics {
                self.issues_snapshot(topic, fallback).await?;
            }
            return Ok(());
        };
        for topic in &topics {
            self.subscriptions.retain(|s| s.topic != *topic);
            self.subscriptions.push(Subscription { topic: topic.clone(), since: head });
        }
        let mut gathered = BytesMut::new();
        for published in &events {
            gather_frame(&mut gathered, published.frame());
            if gathered.len() >= GATHER_BYTES {
                self.send_gathered(std::mem::take(&mut gathered)).await?;
            }
        }
        self.send_gathered(gathered).await?;
        for topic in topics {
            let replayed = events.iter().filter(|p| topic.wants(&p.event)).count() as u64;
            self.send_msg(&ServerMsg::Resumed { topic, from: after, seq: head, replayed }).await?;
        }
        Ok(())
    }

    fn ensure_events(&mut self) {
        if self.events.is_none() {
            self.events = Some(self.state.hub.subscribe_events());
        }
    }

    /// A committed event, and every other one already waiting on the event stream: a group
    /// commit publishes its events together, and they go out to this client in one write
    /// (S3's queue watchers each took a write per report, about as much of the server's CPU
    /// as the reports' commit).
    async fn on_event(&mut self, event: Result<Arc<Published>, RecvError>) -> Result<(), Ending> {
        let mut gathered = BytesMut::new();
        let mut next = event;
        loop {
            match next {
                Ok(published) => self.gather_event(&published, &mut gathered),
                Err(RecvError::Lagged(missed)) => {
                    self.send_gathered(gathered).await?;
                    return self.on_lagged(missed).await;
                }
                Err(RecvError::Closed) => return Err(Ending::Close(CloseCode::Away, "server shutting down")),
            }
            if gathered.len() >= GATHER_BYTES {
                break;
            }
            // Nothing waiting (or the stream closed, which the next `recv` reports): write.
            next = match self.events.as_mut().map(broadcast::Receiver::try_recv) {
                Some(Ok(published)) => Ok(published),
                Some(Err(TryRecvError::Lagged(missed))) => Err(RecvError::Lagged(missed)),
                _ => break,
            };
        }
        self.send_gathered(gathered).await
    }

    /// Adds the event's frame to `gathered` if a subscription wants it; either way, it has
    /// been handled.
    fn gather_event(&mut self, published: &Published, gathered: &mut BytesMut) {
        let seq = published.event.seq;
        self.handled = self.handled.max(seq);
        if self.subscriptions.iter().any(|s| s.since < seq && s.topic.wants(&published.event)) {
            telemetry::hot().commit_to_send.record(published.committed.elapsed().as_secs_f64());
            gather_frame(gathered, published.frame());
        }
    }

    /// The connection fell off the event stream: events after the last one handled may be
    /// lost, so they are replayed, or the topics snapshotted.
    async fn on_lagged(&mut self, missed: u64) -> Result<(), Ending> {
        tracing::info!(conn.id = self.guard.id(), missed, "connection fell behind the event stream; resyncing");
        metrics::counter!(telemetry::CLIENTS_RESYNCED, "stream" => "events").increment(1);
        let event_subs = self.subscriptions.iter().filter(|s| !matches!(s.topic, Topic::Board { .. }));
        let oldest = event_subs.clone().map(|s| s.since).min().unwrap_or(0);
        let topics = event_subs.map(|s| s.topic.clone()).collect();
        self.resume(topics, self.handled.max(oldest), SnapshotReason::Lagged).await
    }
}

/// How many bytes of frames are gathered for one write at most.
const GATHER_BYTES: usize = 64 * 1024;

/// Adds a change for a subscriber to the frames gathered for one write (counted as fanned out).
fn gather_frame(gathered: &mut BytesMut, frame: &TextFrame) {
    telemetry::hot().fanned_out.increment(1);
    gathered.extend_from_slice(frame.bytes());
}

/// On a shared log, this node may lag the database (or the node the client came from)
/// by a moment: wait, briefly, until it has published all the client could have seen, so
/// a resume replays exactly instead of falling back to a snapshot.
async fn catch_up_with_log(state: &AppState, after: u64) {
    if !state.shared_log {
        return;
    }
    let target = match state.store.head_seq().await {
        Ok(head) => head.max(after),
        Err(_) => after,
    };
    state.hub.wait_for_head(target, CATCH_UP_WAIT).await;
}

fn read_failure(e: &tungstenite::Error) -> Ending {
    match e {
        tungstenite::Error::Capacity(_) => Ending::Close(CloseCode::Size, "frame too large"),
        // RFC 6455: a frame that breaks the protocol (unmasked, reserved bits, a bad opcode or
        // control frame) closes with 1002, a text frame that is not UTF-8 with 1007.
        // A peer gone without a close frame is a client that left, not a broken protocol.
        tungstenite::Error::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake) => {
            Ending::ClientLeft
        }
        tungstenite::Error::Protocol(_) => Ending::Close(CloseCode::Protocol, "protocol error"),
        tungstenite::Error::Utf8(_) => Ending::Close(CloseCode::Invalid, "text frame is not UTF-8"),
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => Ending::ClientLeft,
        _ => Ending::Abort("read failed"),
    }
}
