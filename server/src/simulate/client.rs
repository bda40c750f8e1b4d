//! Talking to the server: websocket helpers, and the trainers, one connection each, whose
//! pipelined submits are resent with the same id after a drop and counted once in a `Tally`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use floorboard_shared::protocol::{ClientMsg, Receipt, ServerMsg};
use floorboard_shared::{ErrorBody, GoLive, ReportDraft, ReportId};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, Stream, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use tokio_util::sync::CancellationToken;

use super::traffic::trainer_name;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(2);

pub(super) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type WsSink = SplitSink<Ws, Message>;

/// The HTTP address of the server whose websocket is `ws_url`: `ws://h:p/ws` gives `http://h:p`.
pub(super) fn http_base(ws_url: &str) -> anyhow::Result<String> {
    let url = golive_url(ws_url)?;
    Ok(url.as_str().strip_suffix("/api/v1/golive").unwrap_or(url.as_str()).to_owned())
}

/// The go-live catalog's HTTP address, next to the websocket: `ws://h:p/ws` gives
/// `http://h:p/api/v1/golive`.
fn golive_url(ws_url: &str) -> anyhow::Result<reqwest::Url> {
    let mut url = reqwest::Url::parse(ws_url).with_context(|| format!("--url `{ws_url}` is not a URL"))?;
    let scheme = match url.scheme() {
        "ws" => "http",
        "wss" => "https",
        other => bail!("--url must be a ws:// or wss:// address, not {other}://"),
    };
    url.set_scheme(scheme).map_err(|()| anyhow!("cannot derive an HTTP address from {ws_url}"))?;
    let path = format!("{}/api/v1/golive", url.path().strip_suffix("/ws").unwrap_or(""));
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

pub(super) async fn fetch_golive(ws_url: &str, token: &str) -> anyhow::Result<GoLive> {
    let url = golive_url(ws_url)?;
    let client = reqwest::Client::builder().timeout(CONNECT_TIMEOUT).build()?;
    let response = client
        .get(url.clone())
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("cannot reach the server at {url}"))?;
    let response = response.error_for_status().with_context(|| format!("the server refused {url}"))?;
    response.json().await.with_context(|| format!("{url} did not return a valid go-live"))
}

/// Opens a websocket signed in with `token` and reads the server's `welcome`.
async fn open(url: &str, token: &str) -> anyhow::Result<Ws> {
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(url)?;
    request.headers_mut().insert(tungstenite::http::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
    let (mut ws, _) =
        tokio::time::timeout(CONNECT_TIMEOUT, connect_async(request)).await.context("connection timed out")??;
    let first =
        tokio::time::timeout(CONNECT_TIMEOUT, next_text(&mut ws)).await.context("no welcome from the server")??;
    match serde_json::from_str::<ServerMsg>(&first) {
        Ok(ServerMsg::Welcome { server, head_seq, .. }) => {
            tracing::debug!(%server, head_seq, "connected");
            Ok(ws)
        }
        _ => bail!("the server did not open with `welcome`"),
    }
}

/// Opens a websocket, retrying with backoff; `None` once `stop` is cancelled.
pub(super) async fn connect(url: &str, token: &str, stop: &CancellationToken) -> Option<Ws> {
    let mut delay = RETRY_FIRST;
    loop {
        match stop.run_until_cancelled(open(url, token)).await? {
            Ok(ws) => return Some(ws),
            Err(e) => {
                tracing::warn!(url, error = %e, retry_in_ms = delay.as_millis() as u64, "cannot connect")
            }
        }
        stop.run_until_cancelled(tokio::time::sleep(delay)).await?;
        delay = (delay * 2).min(RETRY_MAX);
    }
}

/// The next text frame; pings are answered by the library, other frames skipped. An error
/// once the connection is closed or broken.
pub(super) async fn next_text<S>(stream: &mut S) -> anyhow::Result<Utf8Bytes>
where
    S: Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    loop {
        match stream.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text),
            Some(Ok(Message::Close(_))) | None => bail!("the server closed the connection"),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
        }
    }
}

pub(super) fn encode(msg: &ClientMsg) -> anyhow::Result<Utf8Bytes> {
    Ok(serde_json::to_string(msg)?.into())
}

pub(super) fn parse(text: &str) -> Option<ServerMsg> {
    serde_json::from_str(text)
        .inspect_err(|e| tracing::warn!(error = ?e.classify(), line = e.line(), column = e.column(), "unreadable server message"))
        .ok()
}

// ---------------------------------------------------------------------------------------
// Trainers: one connection each, pipelined submissions, resends after a drop
// ---------------------------------------------------------------------------------------

/// What one trainer (or all of them) saw.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Reports submitted on a live connection (each counted once, however often resent).
    pub(super) sent: u64,
    pub(super) acknowledged: u64,
    /// Acknowledgements saying the report was already committed (a resend after a drop).
    pub(super) duplicates: u64,
    /// Refused reports by error code.
    pub(super) refused: BTreeMap<&'static str, u64>,
    pub(super) resent: u64,
    pub(super) reconnects: u64,
    /// Submitted but never answered before the drain deadline.
    pub(super) unanswered: u64,
    /// Never submitted: no connection before the drain deadline.
    pub(super) unsent: u64,
    /// Submit-to-acknowledgement, from the first send.
    pub(super) latencies: Vec<Duration>,
}

impl Tally {
    pub(super) fn merge(&mut self, other: Tally) {
        self.sent += other.sent;
        self.acknowledged += other.acknowledged;
        self.duplicates += other.duplicates;
        for (code, n) in other.refused {
            *self.refused.entry(code).or_default() += n;
        }
        self.resent += other.resent;
        self.reconnects += other.reconnects;
        self.unanswered += other.unanswered;
        self.unsent += other.unsent;
        self.latencies.extend(other.latencies);
    }
}

/// A submission waiting for its answer: the exact frame, for a resend with the same id.
struct Outstanding {
    frame: Utf8Bytes,
    first_sent: Instant,
}

struct Trainer {
    name: String,
    inbox: mpsc::UnboundedReceiver<ReportDraft>,
    inbox_closed: bool,
    outstanding: HashMap<ReportId, Outstanding>,
    tally: Tally,
}

pub(super) fn spawn_trainer(
    index: usize,
    url: &str,
    token: &str,
    stop: CancellationToken,
) -> (mpsc::UnboundedSender<ReportDraft>, JoinHandle<Tally>) {
    let (tx, inbox) = mpsc::unbounded_channel();
    let trainer = Trainer::new(index, inbox);
    (tx, tokio::spawn(trainer.run(url.to_owned(), token.to_owned(), stop)))
}

impl Trainer {
    fn new(index: usize, inbox: mpsc::UnboundedReceiver<ReportDraft>) -> Trainer {
        Trainer {
            name: trainer_name(index),
            inbox,
            inbox_closed: false,
            outstanding: HashMap::new(),
            tally: Tally::default(),
        }
    }

    /// Submits what arrives in the inbox until it is closed and every report is answered,
    /// or until `stop`; reconnects and resends after a drop.
    async fn run(mut self, url: String, token: String, stop: CancellationToken) -> Tally {
        while !self.done() {
            let Some(ws) = connect(&url, &token, &stop).await else {
                break;
            };
            match self.session(ws, &stop).await {
                Ok(()) => break,
                Err(e) => {
                    self.tally.reconnects += 1;
                    let unanswered = self.outstanding.len();
                    tracing::warn!(trainer = %self.name, error = %e, unanswered, "connection lost; reconnecting to resend");
                }
            }
        }
        self.tally.unanswered = self.outstanding.len() as u64;
        self.tally.unsent = self.inbox.len() as u64;
        self.tally
    }

    fn done(&self) -> bool {
        self.inbox_closed && self.outstanding.is_empty()
    }

    /// One connection's life: `Ok` when done or stopped, `Err` when the connection failed.
    async fn session(&mut self, ws: Ws, stop: &CancellationToken) -> anyhow::Result<()> {
        let (mut sink, mut stream) = ws.split();
        for pending in self.outstanding.values() {
            sink.send(Message::Text(pending.frame.clone())).await?;
            self.tally.resent += 1;
        }
        while !self.done() {
            tokio::select! {
                () = stop.cancelled() => break,
                draft = self.inbox.recv(), if !self.inbox_closed => match draft {
                    Some(draft) => self.submit(&mut sink, draft).await?,
                    None => self.inbox_closed = true,
                },
                text = next_text(&mut stream) => self.on_text(&text?),
            }
        }
        let _ = sink.close().await;
        Ok(())
    }

    /// Sends without waiting for the answer; the report stays outstanding until answered,
    /// even if this send fails (it is resent after reconnecting).
    async fn submit(&mut self, sink: &mut WsSink, draft: ReportDraft) -> anyhow::Result<()> {
        let id = draft.id;
        let frame = encode(&ClientMsg::Submit { report: draft })?;
        self.outstanding.insert(id, Outstanding { frame: frame.clone(), first_sent: Instant::now() });
        self.tally.sent += 1;
        sink.send(Message::Text(frame)).await?;
        Ok(())
    }

    fn on_text(&mut self, text: &str) {
        match parse(text) {
            Some(ServerMsg::Submitted(receipt)) => self.on_receipt(&receipt),
            Some(ServerMsg::Error(body)) => self.on_error(&body),
            _ => {}
        }
    }

    fn on_receipt(&mut self, receipt: &Receipt) {
        // A second answer for a report already counted (its resend raced the first answer).
        let Some(pending) = self.outstanding.remove(&receipt.id) else {
            tracing::debug!(trainer = %self.name, id = %receipt.id, "answer for a report already counted");
            return;
        };
        self.tally.acknowledged += 1;
        self.tally.duplicates += u64::from(receipt.duplicate);
        self.tally.latencies.push(pending.first_sent.elapsed());
    }

    fn on_error(&mut self, body: &ErrorBody) {
        let refused = body.id.and_then(|id| self.outstanding.remove(&id)).is_some();
        if refused {
            *self.tally.refused.entry(body.code.as_str()).or_default() += 1;
        }
        // Error messages never echo a report's free text; the summary is not logged here either.
        tracing::warn!(
            trainer = %self.name,
            code = body.code.as_str(),
            field = body.field.as_deref(),
            message = %body.message,
            refused,
            "the server answered with an error"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::tests::serve;
    use crate::simulate::traffic::Traffic;
    use time::OffsetDateTime;
    use uuid::Uuid;

    #[test]
    fn the_catalog_address_sits_next_to_the_websocket() {
        assert_eq!(golive_url("ws://127.0.0.1:8080/ws").unwrap().as_str(), "http://127.0.0.1:8080/api/v1/golive");
        assert_eq!(
            golive_url("wss://cc.example/floorboard/ws?x=1").unwrap().as_str(),
            "https://cc.example/floorboard/api/v1/golive"
        );
        assert!(golive_url("http://127.0.0.1:8080/ws").is_err());
        assert!(golive_url("not a url").is_err());
    }

    #[test]
    fn tallies_add_up() {
        let mut a = Tally { sent: 2, acknowledged: 1, latencies: vec![Duration::from_millis(3)], ..Tally::default() };
        a.refused.insert("phi_suspected", 1);
        let mut b = Tally { sent: 3, acknowledged: 3, duplicates: 1, ..Tally::default() };
        b.refused.insert("phi_suspected", 2);
        a.merge(b);
        assert_eq!((a.sent, a.acknowledged, a.duplicates, a.latencies.len()), (5, 4, 1, 1));
        assert_eq!(a.refused.get("phi_suspected"), Some(&3));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_resend_after_a_lost_answer_reuses_the_id_and_counts_once() {
        let (url, _server, _dir) = serve().await;
        let mut traffic = Traffic::new(&GoLive::example(), 1, 1.0, 3);
        let planned = traffic.next_report();
        let draft = traffic.draft(&planned, ReportId(Uuid::now_v7()), OffsetDateTime::now_utc());
        let token = super::super::tests::trainer_token(&url).await;
        let run = |trainer: Trainer| {
            let (url, token) = (url.clone(), token.clone());
            async move {
                let stop = CancellationToken::new();
                tokio::time::timeout(Duration::from_secs(10), trainer.run(url, token, stop)).await.unwrap()
            }
        };

        // The first submission is committed and answered.
        let (tx, inbox) = mpsc::unbounded_channel();
        tx.send(draft.clone()).unwrap();
        drop(tx);
        let first = run(Trainer::new(0, inbox)).await;
        assert_eq!((first.sent, first.acknowledged, first.duplicates), (1, 1, 0));

        // Its answer was lost: the trainer still holds it and resends it on a new connection.
        let (tx, inbox) = mpsc::unbounded_channel();
        drop(tx);
        let mut trainer = Trainer::new(0, inbox);
        let frame = encode(&ClientMsg::Submit { report: draft.clone() }).unwrap();
        let first_sent = Instant::now();
        trainer.outstanding.insert(draft.id, Outstanding { frame, first_sent });
        let second = run(trainer).await;
        assert_eq!((second.sent, second.resent, second.acknowledged, second.duplicates), (0, 1, 1, 1));
    }

    #[test]
    fn an_answer_is_counted_once_and_refusals_by_code() {
        let (_tx, inbox) = mpsc::unbounded_channel();
        let mut trainer = Trainer::new(0, inbox);
        let [a, b] = [(); 2].map(|()| ReportId(Uuid::now_v7()));
        for id in [a, b] {
            let (frame, first_sent) = (Utf8Bytes::from("{}"), Instant::now());
            trainer.outstanding.insert(id, Outstanding { frame, first_sent });
        }
        let receipt =
            Receipt { id: a, seq: 1, status: floorboard_shared::Status::New, queues: Vec::new(), duplicate: false };
        trainer.on_receipt(&receipt);
        trainer.on_receipt(&Receipt { duplicate: true, ..receipt });
        let phi = floorboard_shared::ErrorCode::PhiSuspected;
        trainer.on_error(&ErrorBody::new(phi, "rephrase").with_id(b));
        trainer.on_error(&ErrorBody::new(phi, "rephrase").with_id(b));
        let t = &trainer.tally;
        assert_eq!((t.acknowledged, t.duplicates, t.latencies.len()), (1, 0, 1));
        assert_eq!(t.refused.get("phi_suspected"), Some(&1));
        assert!(trainer.outstanding.is_empty());
    }
}
