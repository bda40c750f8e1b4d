//! The reference hubs' sender: one client sends numbered, timestamped messages of about
//! 500 bytes at a fixed rate; the hub sends each to every connected client.

use std::time::{Duration, Instant};

use futures_util::stream::SplitSink;

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::sockets::{Socket, now_micros};

/// Bytes of each broadcast message.
pub const MESSAGE_BYTES: usize = 500;

/// Sends messages numbered from 1 at `rate` per second for `duration`, draining what the
/// hub echoes back until `stop`; the number sent, and the socket's sending half to hold
/// until every client has its messages (closing with unread echoes would reset the
/// connection, and the hub could lose the last message).
pub async fn send_at_rate(
    ws: Socket,
    rate: f64,
    duration: Duration,
    stop: &CancellationToken,
) -> anyhow::Result<(u64, SplitSink<Socket, Message>)> {
    let (mut sink, mut stream) = ws.split();
    let stop = stop.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                frame = stream.next() => if !matches!(frame, Some(Ok(_))) { break },
            }
        }
    });
    let started = Instant::now();
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let mut n = 0;
    while started.elapsed() < duration {
        ticks.tick().await;
        n += 1;
        sink.send(Message::text(message(n))).await.context("broadcast send")?;
    }
    Ok((n, sink))
}

/// `{"n":N,"t":MICROS,"pad":"..."}`, padded to `MESSAGE_BYTES`.
fn message(n: u64) -> String {
    let head = format!("{{\"n\":{n},\"t\":{},\"pad\":\"", now_micros());
    let pad = MESSAGE_BYTES.saturating_sub(head.len() + 2);
    format!("{head}{}\"}}", "x".repeat(pad))
}
