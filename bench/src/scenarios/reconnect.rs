//! S7: a reconnect storm. 10,000 boards hold a board with issues on it, all drop at once
//! and resume (`subscribe` with `resume_from`); the time until every one has its resumed
//! snapshot with exactly the current board, against the time uWebSockets.js takes to
//! accept as many connections from the same dialer.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use floorboard_shared::protocol::{ClientMsg, Topic};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use crate::clients::protocol;
use crate::clients::tablet::{self, Pace};
use crate::clients::watcher;
use crate::delivery::Acked;
use crate::results::{Delivery, Figure, Outcome, Target};
use crate::scenarios::Bench;
use crate::servers::{Peer, Serve, Server};
use crate::sockets::{self, Dial, OPEN_CONCURRENCY, Socket};

const TARGET_RATIO: f64 = 1.5;

/// The board every resumed board must show: its sequence number and its cells as sent.
/// Snapshots are encoded from one ordered map, so the same board is the same bytes; the
/// bytes are compared rather than decoded, which keeps the dialer's share of the storm small.
#[derive(PartialEq)]
struct Board {
    seq: u64,
    cells: String,
}

/// A subscription's answer, read without decoding the cells.
#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(default)]
    seq: u64,
    #[serde(borrow)]
    cells: Option<&'a RawValue>,
}

pub async fn run(bench: &mut Bench) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new("S7", "reconnect storm");
    let boards = bench.size(10_000, 20);
    let case = format!("{boards} boards");
    let server = bench.floorboard(&Serve { board_interval_ms: 50, ..Serve::default() }).await?;
    let found = storm(bench, &server, boards).await;
    server.stop().await;
    let (secs, exact) = found?;
    outcome.row("Floorboard", &case, vec![Figure::new("all resumed with exact state", "s", secs)]);
    // The share of the handshake alone, from the same dialer, on a fresh server.
    let server = bench.floorboard(&Serve::default()).await?;
    let accepted = accept_time(&server, boards).await;
    server.stop().await;
    outcome.row("Floorboard, handshake only", &case, vec![Figure::new("all connections accepted", "s", accepted?)]);
    outcome
        .deliveries
        .push(Delivery::new("resumed with the exact board", boards as u64, exact).of("Floorboard", &case));

    let mut uws_secs = None;
    for peer in bench.peers() {
        let server = bench.peer(peer).await?;
        let secs = accept_time(&server, boards).await;
        server.stop().await;
        let secs = secs?;
        outcome.row(peer.name(), &case, vec![Figure::new("all connections accepted", "s", secs)]);
        if peer == Peer::Uws {
            uws_secs = Some(secs);
        }
    }
    let ratio = uws_secs.map(|u| secs / u);
    if let Some(r) = ratio {
        outcome.row("Floorboard / uWebSockets.js", &case, vec![Figure::new("ratio", "x", r)]);
    }
    let goal = format!("{boards} boards resumed with exact state <= {TARGET_RATIO}x uWebSockets.js accepting as many");
    outcome.targets.push(Target::check(goal, ratio, TARGET_RATIO, true, "x"));
    outcome.notes.push(format!(
        "The same dialer for both: {OPEN_CONCURRENCY} handshakes in flight, one loopback source address per \
         connection. Floorboard's time runs from dropping every socket to the last verified snapshot."
    ));
    outcome.notes.extend(bench.no_peers_note());
    Ok(outcome)
}

/// Fills the board, drops every board at once and resumes them; the seconds until all had
/// their snapshot, and how many matched the board exactly.
async fn storm(bench: &Bench, server: &Server, boards: usize) -> anyhow::Result<(f64, u64)> {
    let dial = Dial::to(server.addr);
    let stop = CancellationToken::new();
    let watchers = watcher::open_boards(&dial, boards, 0, &stop).await?;
    let reports = bench.size(Duration::from_millis(500), Duration::from_millis(200));
    let pace = Pace { rate: Some(400.0), in_flight: 64, duration: reports };
    let logs = tablet::run_tablets(&dial, 1, boards, pace, tablet::hot_units(40)).await?;
    let last = Acked::from_tablets(&logs).last_seq();
    if !watcher::wait_all_seen(&watchers, last, Duration::from_secs(30)).await {
        bail!("boards did not all see the reports before the storm");
    }
    let expected = current_board(&dial, boards + 1).await?;
    stop.cancel();
    let mut held = Vec::with_capacity(boards);
    for w in watchers {
        held.extend(w.finish().await.0);
    }

    let started = Instant::now();
    drop(held);
    let resumed = sockets::open_many(boards, |i| async move {
        let mut ws = protocol::connect(&dial, boards + 2 + i).await?;
        let board = board_answer(&mut ws, Some(last)).await?;
        Ok((board, ws))
    })
    .await?;
    let secs = started.elapsed().as_secs_f64();
    let exact = resumed.iter().filter(|(b, _)| b.as_ref() == Some(&expected)).count() as u64;
    Ok((secs, exact))
}

/// The board as a fresh subscriber sees it.
async fn current_board(dial: &Dial, index: usize) -> anyhow::Result<Board> {
    let mut ws = protocol::connect(dial, index).await?;
    let board = board_answer(&mut ws, None).await?;
    board.ok_or_else(|| anyhow::anyhow!("no board snapshot"))
}

/// Subscribes to the whole board; the snapshot it answers with, if it is one.
async fn board_answer(ws: &mut Socket, resume_from: Option<u64>) -> anyhow::Result<Option<Board>> {
    protocol::send(ws, &ClientMsg::Subscribe { topic: Topic::Board { facility: None }, resume_from }).await?;
    loop {
        let text = protocol::recv_text(ws).await?;
        let answer: Answer = serde_json::from_str(text.as_str()).context("unreadable server message")?;
        match (answer.kind, answer.cells) {
            ("board_update", _) => continue,
            ("snapshot", Some(cells)) => return Ok(Some(Board { seq: answer.seq, cells: cells.get().to_owned() })),
            _ => return Ok(None),
        }
    }
}

/// Seconds for a hub to accept `n` websocket connections from the same dialer.
async fn accept_time(server: &Server, n: usize) -> anyhow::Result<f64> {
    let dial = Dial::to(server.addr);
    let started = Instant::now();
    let held = sockets::open_many(n, |i| async move { dial.open(i).await }).await?;
    let secs = started.elapsed().as_secs_f64();
    drop(held);
    Ok(secs)
}
