//! Floorboard's protocol from the client side: connect and read the `welcome`, send a
//! `ClientMsg`, read the next `ServerMsg`, subscribe to a topic.

use std::time::Duration;

use anyhow::{Context, bail};
use floorboard_shared::protocol::{ClientMsg, ServerMsg, Topic};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::sockets::{Dial, Socket};

const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens connection `index` and reads its `welcome`.
pub async fn connect(dial: &Dial, index: usize) -> anyhow::Result<Socket> {
    connect_at(dial, index, "/ws").await
}

/// Opens connection `index` to `path` (a subscription in its query, say) and reads its `welcome`.
pub async fn connect_at(dial: &Dial, index: usize, path: &str) -> anyhow::Result<Socket> {
    let mut ws = dial.open_at(index, path).await?;
    match recv(&mut ws).await? {
        ServerMsg::Welcome { .. } => Ok(ws),
        other => bail!("expected welcome, got {}", kind(&other)),
    }
}

pub async fn send(ws: &mut Socket, msg: &ClientMsg) -> anyhow::Result<()> {
    ws.send(Message::text(serde_json::to_string(msg)?)).await.context("send")
}

/// The next protocol message, skipping websocket control frames.
pub async fn recv(ws: &mut Socket) -> anyhow::Result<ServerMsg> {
    loop {
        let frame = tokio::time::timeout(REPLY_TIMEOUT, ws.next()).await.context("no message in time")?;
        match frame.context("connection closed")?.context("connection failed")? {
            Message::Text(text) => return serde_json::from_str(text.as_str()).context("unreadable server message"),
            Message::Close(_) => bail!("connection closed by the server"),
            _ => continue,
        }
    }
}

/// Subscribes and returns the answer's sequence number (snapshot or resume point).
pub async fn subscribe(ws: &mut Socket, topic: Topic, resume_from: Option<u64>) -> anyhow::Result<ServerMsg> {
    send(ws, &ClientMsg::Subscribe { topic, resume_from, digest: None }).await?;
    loop {
        match recv(ws).await? {
            ServerMsg::BoardUpdate { .. } | ServerMsg::Event(_) => continue,
            ServerMsg::Error(body) => bail!("subscription refused: {:?}", body.code),
            answer => return Ok(answer),
        }
    }
}

/// The sequence number a subscription answer covers.
pub fn answer_seq(msg: &ServerMsg) -> u64 {
    match msg {
        ServerMsg::Snapshot { seq, .. } | ServerMsg::Resumed { seq, .. } => *seq,
        _ => 0,
    }
}

/// A message's `type`, for errors (never its content).
pub fn kind(msg: &ServerMsg) -> &'static str {
    match msg {
        ServerMsg::Welcome { .. } => "welcome",
        ServerMsg::Submitted(_) => "submitted",
        ServerMsg::Snapshot { .. } => "snapshot",
        ServerMsg::Resumed { .. } => "resumed",
        ServerMsg::Event(_) => "event",
        ServerMsg::BoardUpdate { .. } => "board_update",
        ServerMsg::Unsubscribed { .. } => "unsubscribed",
        ServerMsg::Pong { .. } => "pong",
        ServerMsg::Error(_) => "error",
    }
}
