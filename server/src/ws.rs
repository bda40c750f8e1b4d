//! One websocket connection: a task with one `select!` over the socket, the hub's event
//! stream, pending acknowledgements, the heartbeat and shutdown. Board updates do not pass
//! through it: the board fan-out writes them to the socket directly (`fanout`, `wire`) and
//! calls on the task only when the socket could not take them. Nothing here blocks the hub:
//! a connection reads the event stream at its own pace, and one that falls behind is resynced
//! (replay or snapshot) or, if it stops reading entirely, disconnected.

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use floorboard_shared::heatmap::BoardDigest;
use floorboard_shared::protocol::{ClientMsg, MAX_FRAME_BYTES, MAX_SUBSCRIPTIONS, ServerMsg, SnapshotReason, Topic};
use floorboard_shared::{ErrorBody, ErrorCode, FacilityId};
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};

use crate::error::{AppError, decode_json};
use crate::fanout::Membership;
use crate::hub::{BoardResume, Published, Replay};
use crate::intake;
use crate::state::{AppState, ConnectionGuard};
use crate::telemetry;
use crate::wire::{TextFrame, Wire, WireIo};

/// Frames above this are abuse: the connection is closed (1009). Between `MAX_FRAME_BYTES`
/// and this, the client gets `frame_too_large` and the connection lives on.
const HARD_FRAME_LIMIT: usize = 64 * 1024;
/// Submissions one connection may have waiting for their commit before reading pauses.
const MAX_PENDING_SUBMITS: usize = 256;
/// How long a resume waits for this node to catch up with the shared log.
const CATCH_UP_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
/// Snapshot sizes: a queue's open issues, a reporter's latest reports.
const QUEUE_SNAPSHOT_LIMIT: u32 = 5_000;
const MINE_SNAPSHOT_LIMIT: u32 = 200;

/// `GET /ws`: the websocket handshake (RFC 6455). Done here rather than by axum's extractor
/// because the board fan-out writes to the TCP socket itself (see `wire`).
pub async fn upgrade(State(state): State<AppState>, mut request: Request) -> Response {
    let accept = match accept_key(request.headers()) {
        Ok(accept) => accept,
        Err(body) => {
            let headers = [(header::UPGRADE, HeaderValue::from_static("websocket"))];
            return (StatusCode::UPGRADE_REQUIRED, headers, axum::Json(body)).into_response();
        }
    };
    let on_connect = match board_on_connect(request.uri().query()) {
        Ok(msg) => msg,
        Err(body) => return AppError::from(body).into_response(),
    };
    let Ok(permit) = state.connection_slots.clone().try_acquire_owned() else {
        return AppError::new(ErrorCode::Unavailable, "the server is at its connection limit; retry shortly")
            .into_response();
    };
    let on_upgrade = hyper::upgrade::on(&mut request);
    let tasks = state.connection_tasks.clone();
    tasks.spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(e) => return tracing::debug!(error = %e, "websocket upgrade failed"),
        };
        let Some((stream, prefix)) = tcp_of(upgraded) else {
            return tracing::error!("websocket upgrade on a connection that is not a TCP socket");
        };
        // Each frame is a complete update: send it now rather than wait for the last one's ACK.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let wire = Wire::new(stream);
        let config = WebSocketConfig::default()
            .read_buffer_size(512)
            .write_buffer_size(0)
            .max_write_buffer_size(crate::wire::QUEUE_LIMIT)
            .max_message_size(Some(HARD_FRAME_LIMIT))
            .max_frame_size(Some(HARD_FRAME_LIMIT));
        let socket =
            WebSocketStream::from_partially_read(WireIo::new(wire.clone()), prefix, Role::Server, Some(config)).await;
        Connection::new(state, wire, socket, permit).run(on_connect).await
    });
    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    response
}

/// The upgraded connection's TCP socket and the bytes hyper read past the handshake. The
/// bytes are copied out: hyper's read buffer they share would otherwise stay allocated for
/// the life of the connection (8 KiB per idle board).
fn tcp_of(upgraded: hyper::upgrade::Upgraded) -> Option<(TcpStream, Vec<u8>)> {
    let parts = hyper_util::server::conn::auto::upgrade::downcast::<TokioIo<TcpStream>>(upgraded).ok()?;
    Some((parts.io.into_inner(), parts.read_buf.to_vec()))
}

/// A board subscription made with the upgrade request: `/ws?board` (every facility) or
/// `/ws?board=rmc`, with `digest` and `resume_from` as in `subscribe`, answered right after
/// the `welcome`. A display that follows one board then resumes with the handshake and one
/// answer. Other query parameters are ignored (cache-busters); a bad value refuses the
/// upgrade with `invalid_value` naming it.
fn board_on_connect(query: Option<&str>) -> Result<Option<Box<ClientMsg>>, ErrorBody> {
    let (mut board, mut digest, mut resume_from) = (None, None, None);
    let invalid = |field: &str, what: &str| {
        ErrorBody::new(ErrorCode::InvalidValue, format!("query parameter `{field}`: {what}")).with_field(field)
    };
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*key {
            "board" => board = Some((!value.is_empty()).then(|| FacilityId::new(value.into_owned()))),
            "digest" => {
                let parsed = BoardDigest::try_from(value.into_owned()).map_err(|what| invalid("digest", what))?;
                digest = Some(parsed);
            }
            "resume_from" => {
                let parsed = value.parse::<u64>().map_err(|_| invalid("resume_from", "expected an integer >= 0"))?;
                resume_from = Some(parsed);
            }
            _ => {}
        }
    }
    match board {
        Some(facility) => {
            Ok(Some(Box::new(ClientMsg::Subscribe { topic: Topic::Board { facility }, resume_from, digest })))
        }
        None if digest.is_none() && resume_from.is_none() => Ok(None),
        None => Err(invalid("board", "`digest` and `resume_from` resume a board named by `board`")),
    }
}

/// Checks a websocket upgrade request and derives its `Sec-WebSocket-Accept`.
fn accept_key(headers: &HeaderMap) -> Result<HeaderValue, ErrorBody> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    let refuse = |field: &str, what: &str| {
        ErrorBody::new(ErrorCode::InvalidValue, format!("not a websocket upgrade: {what}")).with_field(field)
    };
    if !has_token(header::CONNECTION, "upgrade") {
        return Err(refuse("Connection", "expected `Connection: upgrade`"));
    }
    if !has_token(header::UPGRADE, "websocket") {
        return Err(refuse("Upgrade", "expected `Upgrade: websocket`"));
    }
    if headers.get(header::SEC_WEBSOCKET_VERSION).is_none_or(|v| v != "13") {
        return Err(refuse("Sec-WebSocket-Version", "expected `Sec-WebSocket-Version: 13`"));
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Err(refuse("Sec-WebSocket-Key", "expected a `Sec-WebSocket-Key`"));
    };
    HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
        .map_err(|_| refuse("Sec-WebSocket-Key", "expected a base64 `Sec-WebSocket-Key`"))
}

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
        wire: Arc<Wire>,
        socket: WebSocketStream<WireIo>,
        permit: OwnedSemaphorePermit,
    ) -> Connection {
        let guard = ConnectionGuard::register(&state);
        Connection {
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
        let wire = self.wire.clone();
        let mut heartbeat = tokio::time::interval(self.state.config.heartbeat);
        heartbeat.tick().await;

        loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Err(Ending::Close(CloseCode::Away, "server shutting down")),
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
        match msg {
            ClientMsg::Submit { report } => {
                let state = self.state.clone();
                let id = report.id;
                self.pending.push(Box::pin(async move {
                    match AssertUnwindSafe(intake::submit_report(&state, report)).catch_unwind().await {
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
        if let Err(body) = self.check_topic(&topic) {
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

    fn check_topic(&self, topic: &Topic) -> Result<(), ErrorBody> {
        let golive = &self.state.config.golive;
        match topic {
            Topic::Board { facility: Some(f) } if golive.facility(f.as_str()).is_none() => {
                Err(ErrorBody::new(ErrorCode::UnknownFacility, "no such facility in this go-live")
                    .with_field("topic.facility"))
            }
            Topic::Queue { queue } if golive.queue(queue.as_str()).is_none() => {
                Err(ErrorBody::new(ErrorCode::UnknownQueue, "no such queue in this go-live").with_field("topic.queue"))
            }
            _ => Ok(()),
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

    #[allow(clippy::unreachable, reason = "its callers hold queue and mine topics only; boards have the fan-out")]
    async fn issues_snapshot(&mut self, topic: Topic, reason: SnapshotReason) -> Result<(), Ending> {
        self.ensure_events();
        let store = &self.state.store;
        let read = match &topic {
            Topic::Queue { queue } => store.queue_issues(queue, QUEUE_SNAPSHOT_LIMIT).await,
            Topic::Mine { reporter } => store.reporter_issues(reporter, MINE_SNAPSHOT_LIMIT).await,
            Topic::Board { .. } => unreachable!("boards have their own snapshot"),
        };
        let at = match read {
            Ok(at) => at,
            Err(e) => return self.send_error(crate::error::store_error_body(&e)).await,
        };
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
        let replay = self.state.hub.replay(after, |issue| topics.iter().any(|t| t.wants(issue)));
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
            let replayed = events.iter().filter(|p| topic.wants(&p.event.issue)).count() as u64;
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
        if self.subscriptions.iter().any(|s| s.since < seq && s.topic.wants(&published.event.issue)) {
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
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => Ending::ClientLeft,
        _ => Ending::Abort("read failed"),
    }
}

/// The error of `value[key]` decoded alone as a `T`, with its field named from the message's
/// top; `None` when the key is absent or decodes.
fn nested_fault<T: serde::de::DeserializeOwned>(value: &serde_json::Value, key: &str) -> Option<ErrorBody> {
    let inner = decode_json::<T>(value.get(key)?.to_string().as_bytes()).err()?;
    let field = match &inner.field {
        Some(field) => format!("{key}.{field}"),
        None => key.to_owned(),
    };
    let what = inner.message.split_once(": ").map_or(inner.message.as_str(), |(_, what)| what);
    Some(ErrorBody::new(inner.code, format!("field `{field}`: {what}")).with_field(&field))
}

/// A `submit` read straight into its fields. Nearly every client message is one, and an
/// internally tagged enum is decoded by first buffering the whole message to find its tag.
#[derive(serde::Deserialize)]
struct SubmitFrame {
    #[serde(rename = "type")]
    _kind: SubmitTag,
    report: floorboard_shared::ReportDraft,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum SubmitTag {
    Submit,
}

/// Decodes a client frame, telling an unknown `type` apart from a bad body, and pinning a
/// refused submission's error to its report id when the id can be read.
pub fn decode_client_msg(text: &str) -> Result<ClientMsg, ErrorBody> {
    // The fast path accepts only what `ClientMsg` accepts; anything else (other messages,
    // and every fault, for its exact error) goes the general way. From `&str`: a text frame
    // is UTF-8 already (tungstenite checked), and serde_json then skips checking each string.
    if let Ok(SubmitFrame { report, .. }) = serde_json::from_str::<SubmitFrame>(text) {
        return Ok(ClientMsg::Submit { report });
    }
    let bytes = text.as_bytes();
    decode_json::<ClientMsg>(bytes).map_err(|body| {
        if body.code == ErrorCode::MalformedJson {
            return body;
        }
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return body;
        };
        match value.get("type").and_then(|t| t.as_str()) {
            Some(kind) if ClientMsg::TYPES.contains(&kind) => {
                // Tagged enums lose the path of a nested fault: decode the parts alone to find it.
                let fault = match kind {
                    "submit" => nested_fault::<floorboard_shared::ReportDraft>(&value, "report"),
                    "subscribe" | "unsubscribe" => nested_fault::<Topic>(&value, "topic")
                        .or_else(|| nested_fault::<u64>(&value, "resume_from"))
                        .or_else(|| nested_fault::<BoardDigest>(&value, "digest")),
                    _ => None,
                };
                let body = fault.unwrap_or(body);
                let id = value.pointer("/report/id").and_then(|id| serde_json::from_value(id.clone()).ok());
                match id {
                    Some(id) => body.with_id(id),
                    None => body,
                }
            }
            Some(_) => ErrorBody::new(
                ErrorCode::UnknownMessageType,
                format!("unknown message type; expected one of {}", ClientMsg::TYPES.join(", ")),
            )
            .with_field("type"),
            None => {
                ErrorBody::new(ErrorCode::UnknownMessageType, "every message is a JSON object with a string `type`")
                    .with_field("type")
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft_json() -> serde_json::Value {
        serde_json::json!({
            "id": "9a1c7f02-55e3-4b8d-a0f4-6c2e91d3b845",
            "facility": "rmc", "unit": "rmc-4w", "module": "clindoc", "kind": "access",
            "severity": "high", "summary": "Cannot sign orders", "affected_users": 2,
            "resolved_at_elbow": false, "reporter": "trainer-07",
            "reported_at": "2026-11-22T08:44:03Z"
        })
    }

    #[test]
    fn a_submit_decodes_as_the_enum_does_in_any_field_order() {
        let report = draft_json();
        for text in [
            serde_json::json!({"type": "submit", "report": report}).to_string(),
            format!(r#"{{"report": {report}, "type": "submit"}}"#),
        ] {
            let expected: ClientMsg = serde_json::from_str(&text).unwrap();
            assert_eq!(decode_client_msg(&text).unwrap(), expected);
        }
    }

    #[test]
    fn other_messages_and_faults_take_the_general_way() {
        let subscribe = r#"{"type": "subscribe", "topic": {"name": "board"}}"#;
        assert!(matches!(decode_client_msg(subscribe).unwrap(), ClientMsg::Subscribe { .. }));
        let mut report = draft_json();
        report["kind"] = "sideways".into();
        let text = serde_json::json!({"type": "submit", "report": report}).to_string();
        let err = decode_client_msg(&text).unwrap_err();
        assert_eq!((err.code, err.field.as_deref()), (ErrorCode::InvalidValue, Some("report.kind")));
        assert!(err.id.is_some(), "the refused report is named");
    }
}
