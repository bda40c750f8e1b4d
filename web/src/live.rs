//! The live connection: one websocket per page, shared by its views, open while someone is
//! signed in (the browser sends the session cookie with the upgrade). It reconnects with
//! backoff and jitter, resumes every subscription from the last sequence number it covered,
//! sends the outbox on every (re)connect once the session is confirmed to be the outbox's
//! author's, and notices a dead socket after sleep or a Wi-Fi drop with an application ping.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use floorboard_shared::heatmap::BoardDigest;
use floorboard_shared::protocol::{ClientMsg, ServerMsg, Topic};
use floorboard_shared::{ErrorCode, ReportDraft, ReportId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::app::sleep_ms;
use crate::outbox::Outbox;
use crate::session::Auth;

/// What the connection indicator shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnStatus {
    Connecting,
    Live,
    /// Waiting to try again, in this many seconds.
    Reconnecting(u32),
}

/// A subscription the page holds, with the newest sequence number it covers.
struct Held {
    topic: Topic,
    covered: Option<u64>,
    /// For boards: the digest of the board last sent, so a reconnect that finds the board
    /// unchanged is answered `resumed` instead of with the whole board.
    digest: Option<BoardDigest>,
    holders: usize,
}

type Handler = Rc<dyn Fn(&ServerMsg)>;

struct Inner {
    url: String,
    /// Someone is signed in: connect, and keep connected.
    wanted: bool,
    socket: Option<WebSocket>,
    /// Bumped per socket, so callbacks of an old socket are ignored.
    generation: u64,
    held: Vec<Held>,
    /// The server's session behind this socket is the outbox's author's: the outbox may go
    /// out on it. Checked after each `welcome`, as the browser's cookie may have changed
    /// (expired, or another person signed in from another tab).
    confirmed: bool,
    /// This socket was welcomed: a close before that may be the server refusing the session.
    welcomed: bool,
    /// Subscriptions sent and not yet answered, oldest first.
    answering: VecDeque<Topic>,
    handlers: Vec<(u64, Handler)>,
    next_handler: u64,
    attempt: u32,
    ping_sent_at: Option<f64>,
    next_nonce: u64,
}

#[derive(Clone, Copy)]
pub struct Live {
    pub status: RwSignal<ConnStatus>,
    pub outbox: Outbox,
    /// The protocol version the server said it speaks in its last `welcome`.
    pub server_protocol: RwSignal<Option<u32>>,
    auth: Auth,
    inner: StoredValue<Rc<RefCell<Inner>>, LocalStorage>,
}

const PING_EVERY_MS: u64 = 15_000;
const PONG_WITHIN_MS: f64 = 10_000.0;
/// How long a report sent on a live socket may wait for its acknowledgement before the link
/// is checked, and how long that check's ping may wait for its answer.
const ACK_WITHIN_MS: u64 = 3_000;
const PROBE_WITHIN_MS: u64 = 2_000;
/// How long a new socket may take to be welcomed.
const WELCOME_WITHIN_MS: u64 = 8_000;
/// How the server closes the sockets of a session that ended (signed out, disabled, expired).
const SESSION_ENDED: (u16, &str) = (1008, "session ended");
/// How soon to ask again when the session could not be confirmed for want of an answer.
const CONFIRM_RETRY_MS: i32 = 2_000;

fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl Live {
    /// The page's connection, to open when someone signs in (`open`).
    pub fn start(auth: Auth) -> Live {
        let location = window().location();
        let scheme = if location.protocol().as_deref() == Ok("https:") { "wss" } else { "ws" };
        let url = format!("{scheme}://{}/ws", location.host().unwrap_or_default());
        let inner = Inner {
            url,
            wanted: false,
            socket: None,
            generation: 0,
            held: Vec::new(),
            confirmed: false,
            welcomed: false,
            answering: VecDeque::new(),
            handlers: Vec::new(),
            next_handler: 1,
            attempt: 0,
            ping_sent_at: None,
            next_nonce: 1,
        };
        let live = Live {
            status: RwSignal::new(ConnStatus::Connecting),
            outbox: Outbox::new(),
            server_protocol: RwSignal::new(None),
            auth,
            inner: StoredValue::new_local(Rc::new(RefCell::new(inner))),
        };
        live.watch_health();
        live
    }

    /// Connects, and keeps connected until `close`.
    pub fn open(self) {
        self.inner().borrow_mut().wanted = true;
        self.connect();
    }

    /// Disconnects and stays so: nobody is signed in (or is signing out). The old socket's
    /// callbacks are ignored from here on, its close included.
    pub fn close(self) {
        {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            i.wanted = false;
            i.generation += 1;
            i.attempt = 0;
            if let Some(old) = i.socket.take() {
                let _ = old.close();
            }
        }
        self.status.set(ConnStatus::Connecting);
    }

    fn inner(&self) -> Rc<RefCell<Inner>> {
        self.inner.get_value()
    }

    fn connect(self) {
        let inner = self.inner();
        let (url, generation) = {
            let mut i = inner.borrow_mut();
            if !i.wanted {
                return;
            }
            i.generation += 1;
            i.ping_sent_at = None;
            i.confirmed = false;
            i.welcomed = false;
            if let Some(old) = i.socket.take() {
                let _ = old.close();
            }
            (i.url.clone(), i.generation)
        };
        self.status.set(ConnStatus::Connecting);
        let Ok(socket) = WebSocket::new(&url) else {
            self.schedule_reconnect(generation);
            return;
        };
        let current = move |live: &Live| live.inner().borrow().generation == generation;

        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if !current(&self) {
                return;
            }
            if let Some(text) = e.data().as_string() {
                match serde_json::from_str::<ServerMsg>(&text) {
                    Ok(msg) => self.dispatch(msg),
                    // Where, never what: serde's message can quote the value, a report's text.
                    Err(e) => web_sys::console::warn_1(
                        &format!("unreadable server message ({:?} at column {})", e.classify(), e.column()).into(),
                    ),
                }
            }
        });
        let onclose = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            if !current(&self) {
                return;
            }
            let welcomed = {
                let inner = self.inner();
                let mut i = inner.borrow_mut();
                i.socket = None;
                i.welcomed
            };
            // Ended, or locked after its idle limit: asking tells which (the API's hook shows
            // the sign-in or the lock screen, and closes this connection for good).
            if !welcomed || (e.code(), e.reason().as_str()) == SESSION_ENDED {
                // Refused before the welcome, the server may no longer know the session (a
                // refused upgrade shows the page no status). Asking settles it.
                spawn_local(async move {
                    let _ = self.auth.confirm().await;
                });
            }
            self.schedule_reconnect(generation);
        });
        socket.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        socket.set_onclose(Some(onclose.as_ref().unchecked_ref()));
        // The socket owns its callbacks for as long as it lives.
        onmessage.forget();
        onclose.forget();
        inner.borrow_mut().socket = Some(socket);
        // A link that accepts the connection and passes nothing leaves the socket connecting
        // for minutes: without a welcome in time, give up on it and try again.
        set_timeout(
            move || {
                let stuck = {
                    let inner = self.inner();
                    let mut i = inner.borrow_mut();
                    let stuck = i.generation == generation && !i.welcomed;
                    if stuck {
                        i.generation += 1;
                        if let Some(old) = i.socket.take() {
                            let _ = old.close();
                        }
                    }
                    stuck.then_some(i.generation)
                };
                if let Some(next) = stuck {
                    self.schedule_reconnect(next);
                }
            },
            std::time::Duration::from_millis(WELCOME_WITHIN_MS),
        );
    }

    /// Exponential backoff from half a second to thirty, with jitter so a hundred tablets
    /// coming back into Wi-Fi range do not all knock at once.
    fn schedule_reconnect(self, generation: u64) {
        let attempt = {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            i.attempt += 1;
            i.attempt
        };
        let ceiling = (500.0 * 2f64.powi(attempt.min(6) as i32 - 1)).min(30_000.0);
        let delay = ceiling * (0.5 + js_sys::Math::random() / 2.0);
        self.status.set(ConnStatus::Reconnecting((delay / 1000.0).ceil() as u32));
        set_timeout(
            move || {
                if self.inner().borrow().generation == generation {
                    self.connect();
                }
            },
            std::time::Duration::from_millis(delay as u64),
        );
    }

    /// Pings while connected and reconnects when the answer does not come; reconnects at
    /// once when the device comes back online or the page becomes visible again.
    fn watch_health(self) {
        let _ = set_interval_with_handle(move || self.check_pulse(), std::time::Duration::from_millis(PING_EVERY_MS));
        let wake = Closure::<dyn FnMut()>::new(move || {
            if self.status.get_untracked() == ConnStatus::Live {
                self.check_pulse();
            } else {
                self.connect();
            }
        });
        let _ = window().add_event_listener_with_callback("online", wake.as_ref().unchecked_ref());
        let _ = document().add_event_listener_with_callback("visibilitychange", wake.as_ref().unchecked_ref());
        wake.forget();
    }

    fn check_pulse(self) {
        if self.status.get_untracked() != ConnStatus::Live {
            return;
        }
        let overdue = self.inner().borrow().ping_sent_at.is_some_and(|at| now_ms() - at > PONG_WITHIN_MS);
        if overdue {
            // The socket looks open but nothing comes back (sleep, a dead access point).
            self.connect();
            return;
        }
        let nonce = {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            if i.ping_sent_at.is_none() {
                i.ping_sent_at = Some(now_ms());
            }
            i.next_nonce += 1;
            i.next_nonce
        };
        self.send(&ClientMsg::Ping { nonce });
    }

    fn send(&self, msg: &ClientMsg) -> bool {
        let inner = self.inner();
        let i = inner.borrow();
        match (&i.socket, serde_json::to_string(msg)) {
            (Some(socket), Ok(text)) if socket.ready_state() == WebSocket::OPEN => socket.send_with_str(&text).is_ok(),
            _ => false,
        }
    }

    fn dispatch(self, msg: ServerMsg) {
        match &msg {
            ServerMsg::Welcome { protocol, .. } => {
                self.server_protocol.set(Some(*protocol));
                self.on_welcome();
            }
            ServerMsg::Pong { .. } => self.inner().borrow_mut().ping_sent_at = None,
            ServerMsg::Submitted(receipt) => self.outbox.delivered(receipt.id),
            ServerMsg::Error(body) => {
                if let Some(id) = body.id.filter(|_| !body.code.is_retryable()) {
                    self.outbox.refused(id, body.clone());
                }
                if body.id.is_none() && body.code != ErrorCode::MalformedJson {
                    self.inner().borrow_mut().answering.pop_front();
                }
            }
            _ => {}
        }
        self.track_coverage(&msg);
        // Handlers may subscribe or send: call them with no borrow held.
        let handlers: Vec<Handler> = self.inner().borrow().handlers.iter().map(|(_, h)| h.clone()).collect();
        for handler in handlers {
            handler(&msg);
        }
    }

    fn on_welcome(self) {
        let generation = {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            i.attempt = 0;
            i.welcomed = true;
            i.generation
        };
        self.status.set(ConnStatus::Live);
        let subscribes: Vec<ClientMsg> = {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            let topics: Vec<Topic> = i.held.iter().map(|h| h.topic.clone()).collect();
            let msgs = i
                .held
                .iter()
                .map(|h| ClientMsg::Subscribe { topic: h.topic.clone(), resume_from: h.covered, digest: h.digest })
                .collect();
            i.answering = topics.into();
            msgs
        };
        for msg in &subscribes {
            self.send(msg);
        }
        spawn_local(self.confirm_then_send_outbox(generation));
    }

    /// Sends the outbox once the server confirms the socket's session is still its author's;
    /// while it cannot say, asks again as long as the socket lives.
    async fn confirm_then_send_outbox(self, generation: u64) {
        let current = move || self.inner().borrow().generation == generation;
        loop {
            match self.auth.confirm().await {
                Some(true) if current() => {
                    self.inner().borrow_mut().confirmed = true;
                    for report in self.outbox.waiting.get_untracked() {
                        self.send(&ClientMsg::Submit { report });
                    }
                    return;
                }
                None if current() => sleep_ms(CONFIRM_RETRY_MS).await,
                // Another session, none, or another socket by now: nothing goes out on this one.
                _ => return,
            }
        }
    }

    /// Keeps each subscription's resume point: the snapshot's or `resumed`'s sequence
    /// number, then every event it matches. Events inside a topic's replay count for that
    /// topic only (see docs/protocol.md, "Resume points").
    fn track_coverage(&self, msg: &ServerMsg) {
        let inner = self.inner();
        let mut i = inner.borrow_mut();
        match msg {
            ServerMsg::Snapshot { topic, seq, .. } | ServerMsg::Resumed { topic, seq, .. } => {
                if i.answering.front() == Some(topic) {
                    i.answering.pop_front();
                }
                if let Some(h) = i.held.iter_mut().find(|h| h.topic == *topic) {
                    h.covered = Some(*seq);
                    if let ServerMsg::Snapshot { digest, .. } = msg {
                        h.digest = *digest;
                    }
                }
            }
            ServerMsg::Event(event) => {
                let replaying = i.answering.front().cloned();
                for h in i.held.iter_mut().filter(|h| h.topic.wants(event)) {
                    if replaying.as_ref().is_none_or(|t| *t == h.topic) {
                        h.covered = Some(h.covered.unwrap_or(0).max(event.seq));
                    }
                }
            }
            ServerMsg::BoardUpdate { facility, seq, digest, .. } => {
                let topic = Topic::Board { facility: facility.clone() };
                if let Some(h) = i.held.iter_mut().find(|h| h.topic == topic) {
                    h.covered = Some(*seq);
                    h.digest = Some(*digest);
                }
            }
            _ => {}
        }
    }

    /// Follows `topic` (across reconnects) until `unsubscribe`.
    pub fn subscribe(&self, topic: Topic) {
        let fresh = {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            match i.held.iter_mut().find(|h| h.topic == topic) {
                Some(h) => {
                    h.holders += 1;
                    false
                }
                None => {
                    i.held.push(Held { topic: topic.clone(), covered: None, digest: None, holders: 1 });
                    true
                }
            }
        };
        if fresh && self.send(&ClientMsg::Subscribe { topic: topic.clone(), resume_from: None, digest: None }) {
            self.inner().borrow_mut().answering.push_back(topic);
        }
    }

    pub fn unsubscribe(&self, topic: &Topic) {
        let last = {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            let Some(at) = i.held.iter().position(|h| h.topic == *topic) else {
                return;
            };
            i.held[at].holders -= 1;
            let last = i.held[at].holders == 0;
            if last {
                i.held.remove(at);
            }
            last
        };
        if last {
            self.send(&ClientMsg::Unsubscribe { topic: topic.clone() });
        }
    }

    /// Calls `handler` with every server message while the current owner lives.
    pub fn on_message(&self, handler: impl Fn(&ServerMsg) + 'static) {
        let id = {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            let id = i.next_handler;
            i.next_handler += 1;
            i.handlers.push((id, Rc::new(handler)));
            id
        };
        let live = *self;
        on_cleanup(move || live.inner().borrow_mut().handlers.retain(|(h, _)| *h != id));
    }

    /// Stores the report in the outbox first, then sends it if connected (and confirmed: else
    /// the confirmation sends it); the outbox resends it with the same id on every reconnect
    /// until the server answers.
    pub fn submit(&self, report: ReportDraft) -> bool {
        let stored = self.outbox.add(report.clone());
        self.send_confirmed(report);
        stored
    }

    /// As `submit`, for the trainer's fix of a report the server refused: the refused one is
    /// forgotten once the fix is in the outbox.
    pub fn submit_edited(&self, refused_id: ReportId, report: ReportDraft) -> bool {
        let stored = self.outbox.replace_refused(refused_id, report.clone());
        self.send_confirmed(report);
        stored
    }

    fn send_confirmed(&self, report: ReportDraft) {
        let id = report.id;
        if self.inner().borrow().confirmed {
            self.send(&ClientMsg::Submit { report });
        }
        self.expect_ack(id);
    }

    /// A report not acknowledged within `ACK_WITHIN_MS` makes the page check the link at once
    /// rather than at the next heartbeat: a socket over a dead access point looks open.
    fn expect_ack(&self, id: ReportId) {
        let live = *self;
        set_timeout(
            move || {
                let waiting = live.outbox.waiting.with_untracked(|w| w.iter().any(|r| r.id == id));
                if waiting && live.status.get_untracked() == ConnStatus::Live {
                    live.probe();
                }
            },
            std::time::Duration::from_millis(ACK_WITHIN_MS),
        );
    }

    /// Pings now, and reconnects unless the answer comes within `PROBE_WITHIN_MS`.
    fn probe(self) {
        let generation = self.inner().borrow().generation;
        self.check_pulse();
        set_timeout(
            move || {
                let silent = {
                    let inner = self.inner();
                    let i = inner.borrow();
                    i.generation == generation
                        && i.ping_sent_at.is_some_and(|at| now_ms() - at >= PROBE_WITHIN_MS as f64)
                };
                if silent {
                    self.connect();
                }
            },
            std::time::Duration::from_millis(PROBE_WITHIN_MS),
        );
    }
}
